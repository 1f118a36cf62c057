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
 * of an ESTABLISHED connection that has carried no payload yet (else the
 * sequence numbers no longer show the ISNs: -EPROTO). Uses TCP_REPAIR
 * briefly (CAP_NET_ADMIN; no segment is sent) and restores SO_REUSEADDR.
 * Returns 0 or -errno; @why gets a one-line reason.
 */
int kp_isn_read(int fd, int client, struct flow_isn *isn, char *why,
		size_t whylen);

#endif
