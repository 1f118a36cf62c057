// SPDX-License-Identifier: GPL-2.0
/* One netlink request and its reply (see nl_req.h). */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <libmnl/libmnl.h>

#include "lib/nl_req.h"

bool nl_msg_fits(const struct nlmsghdr *nlh, size_t len)
{
	return len >= sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) &&
	       nlh->nlmsg_len <= len;
}

size_t nl_payload_len(const struct nlmsghdr *nlh)
{
	return nlh->nlmsg_len >= NLMSG_HDRLEN ?
	       nlh->nlmsg_len - NLMSG_HDRLEN : 0;
}

/* NLMSG_ERROR: 1 an ack (error 0), else the kernel's -errno. */
static int msg_error(const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

	if (nl_payload_len(nlh) < sizeof(*e))
		return -EBADMSG;
	if (!e->error)
		return 1;
	return e->error < 0 && e->error > -4096 ? e->error : -EBADMSG;
}

int nl_walk(const void *buf, size_t len, nl_msg_cb fn, void *arg)
{
	const struct nlmsghdr *nlh = buf;
	size_t step;
	int ret;

	while (nl_msg_fits(nlh, len)) {
		ret = fn(nlh, arg);
		if (ret)
			return ret;
		step = NLMSG_ALIGN(nlh->nlmsg_len);
		if (step >= len)
			return 0;
		len -= step;
		nlh = (const struct nlmsghdr *)((const char *)nlh + step);
	}
	return -EBADMSG;	/* bytes left that are no message */
}

/* One message of a reply: 1 complete, 0 go on, -errno. */
static int reply_msg(const struct nlmsghdr *nlh, void *arg)
{
	struct nl_reply *r = arg;

	if (nlh->nlmsg_seq != r->seq || nlh->nlmsg_pid != r->portid)
		return 0;	/* an older request's leftovers */
	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		r->intr = true;
	if (nlh->nlmsg_type == NLMSG_DONE)
		return r->intr ? -EINTR : 1;
	if (nlh->nlmsg_type == NLMSG_ERROR)
		return msg_error(nlh);
	if (nlh->nlmsg_type < NLMSG_MIN_TYPE || r->intr)
		return 0;	/* NOOP, OVERRUN; a stale dump */
	return r->cb(nlh, r->arg);
}

int nl_reply_datagram(struct nl_reply *r, const void *buf, size_t len)
{
	return nl_walk(buf, len, reply_msg, r);
}

/* Attributes in @len bytes at @p: every byte covered, none past. */
static int attrs_walk(const void *p, size_t len, const struct nlattr **tb,
		      unsigned int max)
{
	const struct nlattr *a = p;
	size_t step;

	memset(tb, 0, (max + 1) * sizeof(*tb));
	while (len) {
		if (len > INT_MAX || !mnl_attr_ok(a, (int)len))
			return -EBADMSG;
		if (mnl_attr_get_type(a) <= max)
			tb[mnl_attr_get_type(a)] = a;
		step = MNL_ALIGN(a->nla_len);
		if (step >= len)
			break;
		len -= step;
		a = mnl_attr_next(a);
	}
	return 0;
}

int nl_attrs(const struct nlmsghdr *nlh, size_t hdrlen,
	     const struct nlattr **tb, unsigned int max)
{
	size_t off = MNL_ALIGN(hdrlen);

	if (nlh->nlmsg_len != NLMSG_ALIGN(nlh->nlmsg_len) ||
	    nl_payload_len(nlh) < off)
		return -EBADMSG;
	return attrs_walk((const char *)mnl_nlmsg_get_payload(nlh) + off,
			  nl_payload_len(nlh) - off, tb, max);
}

int nl_attrs_nested(const struct nlattr *nest, const struct nlattr **tb,
		    unsigned int max)
{
	return attrs_walk(mnl_attr_get_payload(nest),
			  mnl_attr_get_payload_len(nest), tb, max);
}

static int port_of(int fd, __u32 *portid)
{
	struct sockaddr_nl a;
	socklen_t l = sizeof(a);

	if (getsockname(fd, (struct sockaddr *)&a, &l))
		return -errno;
	if (l != sizeof(a) || a.nl_family != AF_NETLINK)
		return -EPROTO;
	*portid = a.nl_pid;
	return 0;
}

/* Read until the reply is complete: 0 or -errno. */
static int read_reply(int fd, struct nl_reply *r)
{
	static __thread char buf[NL_REQ_BUF]
		__attribute__((aligned(NLMSG_ALIGNTO)));
	struct sockaddr_nl from;
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr m = { .msg_name = &from, .msg_iov = &iov,
			    .msg_iovlen = 1 };
	ssize_t n;
	int ret;

	for (;;) {
		m.msg_namelen = sizeof(from);
		n = recvmsg(fd, &m, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		}
		if (m.msg_flags & MSG_TRUNC)
			return -EMSGSIZE;
		if (m.msg_namelen != sizeof(from) ||
		    from.nl_family != AF_NETLINK || from.nl_pid != 0)
			continue;	/* only the kernel speaks here */
		ret = nl_reply_datagram(r, buf, (size_t)n);
		if (ret)
			return ret > 0 ? 0 : ret;
	}
}

int nl_request(int fd, struct nlmsghdr *req, nl_msg_cb cb,
	       void (*reset)(void *arg), void *arg)
{
	static __thread __u32 seq;
	struct nl_reply r = { .cb = cb, .arg = arg };
	int tries, ret;

	ret = port_of(fd, &r.portid);
	if (ret)
		return ret;
	if (!(req->nlmsg_flags & NLM_F_DUMP))
		req->nlmsg_flags |= NLM_F_ACK;
	for (tries = 0; tries < NL_REQ_TRIES; tries++) {
		if (tries && reset)
			reset(arg);
		r.seq = req->nlmsg_seq = ++seq ?: ++seq;
		r.intr = false;
		req->nlmsg_pid = 0;
		if (send(fd, req, req->nlmsg_len, 0) < 0)
			return -errno;
		ret = read_reply(fd, &r);
		if (ret != -EINTR)
			return ret;
	}
	return -EINTR;
}

int nl_open(int protocol)
{
	struct timeval tv = { .tv_sec = 2 };
	struct sockaddr_nl a = { .nl_family = AF_NETLINK };
	int fd, e;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a))) {
		e = errno;
		close(fd);
		return -e;
	}
	return fd;
}
