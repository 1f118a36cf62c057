/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A TCP socket by its 4-tuple (and cookie) through sock_diag
 * (NETLINK_SOCK_DIAG, inet_diag_req_v2: the kernel looks the tuple up
 * itself), inside a given network namespace. Replies are checked like
 * any outside input (ctl/lib/nl_req.h). No daemon state. docs/DAEMON.md
 * §Kernel interfaces.
 */
#ifndef TCSEG_SOCK_DIAG_H
#define TCSEG_SOCK_DIAG_H

#include <linux/types.h>
#include <linux/netlink.h>

#include "tcseg.h"

/* The socket asked for, as its owner sees it (local, remote). */
struct sock_diag_q {
	union tcseg_addr laddr, raddr;	/* network order */
	__be16 lport, rport;
	__u8 family;			/* TCSEG_FAMILY_V4 or _V6 */
	__u64 cookie;			/* 0: any */
};

/* One reply (an IPv4 flow of a dual-stack socket as family 4). */
struct sock_diag_sock {
	union tcseg_addr laddr, raddr;
	__be16 lport, rport;
	__u8 family;
	__u8 state;			/* TCP_* */
	__u32 inode;			/* 0: not accepted yet */
};

enum sock_diag_found {
	SOCK_DIAG_ABSENT = 0,
	SOCK_DIAG_FOUND = 1,		/* established, with an inode */
	SOCK_DIAG_PENDING = 2,		/* established, not accepted yet */
};

/* The request for @q into @buf (MNL_SOCKET_BUFFER_SIZE bytes). */
struct nlmsghdr *sock_diag_req(void *buf, const struct sock_diag_q *q);
/* One SOCK_DIAG_BY_FAMILY reply: 0, or -EBADMSG. */
int sock_diag_parse(const struct nlmsghdr *nlh, struct sock_diag_sock *s);
/* Is @s the socket @q asks for, and how far is it? */
enum sock_diag_found sock_diag_judge(const struct sock_diag_q *q,
				     const struct sock_diag_sock *s);
/*
 * Look @q up in the network namespace @nsfd (a /proc/PID/ns/net fd;
 * the calling thread enters it only to open the netlink socket).
 * enum sock_diag_found (and *@ino when found), or -errno.
 */
int sock_diag_find(int nsfd, const struct sock_diag_q *q,
		   unsigned long *ino);

#endif
