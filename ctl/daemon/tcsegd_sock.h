/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcsegd's socket lookup (ctl/daemon/tcsegd_sock.c): an application's
 * socket by its fd or by a search, and the flow text of the logs.
 */
#ifndef TCSEG_TCSEGD_SOCK_H
#define TCSEG_TCSEGD_SOCK_H

#include <stddef.h>
#include "tcseg.h"
#include "daemon/tcsegd_corr.h"

/* Socket lookup (tcsegd_sock.c). */
struct sock_match {
	union tcseg_addr laddr, raddr;	/* local and remote, network order */
	__be16 lport, rport;
	__u8 family;			/* TCSEG_FAMILY_V4 or _V6 */
	__u64 cookie;			/* 0 = tuple only */
};
/* Take fd @fd of process @tgid if it is @sm; a dup'd fd or -errno. */
int sock_take_fd(__u32 tgid, int fd, const struct sock_match *sm, char *why,
		 size_t whylen);
/* Find the socket in process @tgid; returns a dup'd fd or -errno. */
int sock_find_in_pid(__u32 tgid, const struct sock_match *sm, char *why,
		     size_t whylen);
/*
 * Find the process owning the established socket @sm anywhere on the
 * host (sock_diag per network namespace -> inode -> /proc/PID/fd).
 * Returns a dup'd fd (and *tgid) or -errno (-ENOENT: not accepted yet).
 */
int sock_find_owner(const struct sock_match *sm, __u32 *tgid, char *why,
		    size_t whylen);
/* Flow text "A:P->B:Q" of a corr key. */
/* "A:P->B:P", IPv6 "[A]:P->[B]:P"; FLOW_STR_LEN holds any */
#define FLOW_STR_LEN	112
void flow_str(const struct corr_key *k, char *buf, size_t len);

#endif
