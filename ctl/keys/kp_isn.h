/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The two initial sequence numbers of an established TCP connection, read
 * from one of its sockets: the per-connection value both ends know without
 * exchanging a message (docs/KEYS.md §uniqueness).
 */
#ifndef TCSEG_KP_ISN_H
#define TCSEG_KP_ISN_H

#include "tcseg_keys.h"

/*
 * @fd is the connecting end (@client 1) or the accepting end (@client 0)
 * of a connection. First the capture's record: @map_fd (>= 0) is the
 * socket storage map tcseg_sock_isn (struct tcseg_sock_isn), written when
 * the socket became ESTABLISHED, valid whatever happened since. Else the
 * socket itself, which must be ESTABLISHED and have carried no payload
 * (else the sequence numbers no longer show the ISNs: -EPROTO): read with
 * TCP_REPAIR briefly (CAP_NET_ADMIN; no segment is sent), SO_REUSEADDR
 * restored. Returns 0 or -errno; @why gets a one-line reason.
 */
int kp_isn_read(int fd, int client, int map_fd, struct flow_isn *isn,
		char *why, size_t whylen);

#endif
