/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One netlink request and its reply (a dump or a single answer), read
 * as hostile input: only the kernel (port 0) is listened to, only
 * messages of this request (sequence number, port) are looked at, every
 * message must fit the datagram, an interrupted dump (NLM_F_DUMP_INTR)
 * is started over. Used for rtnetlink (ctl/daemon/nl_neigh.c), sock_diag
 * (ctl/daemon/sock_diag.c) and, for nl_msg_fits(), the TLSHub client's
 * replies (ctl/keys/tlshub_client.c). docs/DAEMON.md §Kernel interfaces.
 */
#ifndef TCSEG_NL_REQ_H
#define TCSEG_NL_REQ_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/netlink.h>

#define NL_REQ_TRIES	4	/* an interrupted dump: started over 3 times */
#define NL_REQ_BUF	32768	/* a dump datagram, as iproute2 reads them */

/* A message of the reply: 0 go on, <0 -errno ends the request. */
typedef int (*nl_msg_cb)(const struct nlmsghdr *nlh, void *arg);

/* The reading state of one request (the part tests drive). */
struct nl_reply {
	__u32 seq, portid;
	nl_msg_cb cb;
	void *arg;
	bool intr;		/* NLM_F_DUMP_INTR seen: the dump is stale */
};

/*
 * One message fits in the @len bytes left. Not mnl_nlmsg_ok(): it
 * compares (int)nlmsg_len, so a length of 2^31 or more passes it and
 * mnl_nlmsg_next() then jumps far past the buffer (found by
 * fuzz_tlshub_reply).
 */
bool nl_msg_fits(const struct nlmsghdr *nlh, size_t len);
/*
 * @fn for each message of a datagram, while it returns 0: 0 when every
 * byte was walked, what @fn returned, or -EBADMSG for bytes left that
 * are no message (the first included).
 */
int nl_walk(const void *buf, size_t len, nl_msg_cb fn, void *arg);
/*
 * One datagram of the reply: 1 the reply is complete (NLMSG_DONE, or
 * the ack of a single request), 0 more to read, -errno: the kernel's
 * error, -EBADMSG a malformed datagram, -EINTR an interrupted dump
 * (complete but stale), or what @cb returned.
 */
int nl_reply_datagram(struct nl_reply *r, const void *buf, size_t len);
/*
 * Send @req (its nlmsg_seq and nlmsg_pid are set here) on the netlink
 * socket @fd and read the reply into @cb. A dump interrupted by a
 * change is started over after @reset(@arg), at most NL_REQ_TRIES
 * times (then -EINTR). A single request is sent with NLM_F_ACK. 0 or
 * -errno.
 */
int nl_request(int fd, struct nlmsghdr *req, nl_msg_cb cb,
	       void (*reset)(void *arg), void *arg);
/* The payload length of @nlh; 0 for a length shorter than its header. */
size_t nl_payload_len(const struct nlmsghdr *nlh);
/*
 * The attributes after a header of @hdrlen into @tb[0..@max] (zeroed
 * first; unknown types skipped, the last of a type kept). 0, or -EBADMSG
 * when the message is shorter than its header, its length unaligned,
 * or an attribute runs past it. nl_attrs_nested: those inside @nest.
 */
int nl_attrs(const struct nlmsghdr *nlh, size_t hdrlen,
	     const struct nlattr **tb, unsigned int max);
int nl_attrs_nested(const struct nlattr *nest, const struct nlattr **tb,
		    unsigned int max);
/* A NETLINK_* socket, blocking, 2 s receive timeout; fd or -errno. */
int nl_open(int protocol);

#endif
