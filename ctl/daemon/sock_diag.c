// SPDX-License-Identifier: GPL-2.0
/* A TCP socket by its tuple through sock_diag (see sock_diag.h). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <libmnl/libmnl.h>

#include "lib/nl_req.h"
#include "daemon/sock_diag.h"

struct nlmsghdr *sock_diag_req(void *buf, const struct sock_diag_q *q)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct inet_diag_req_v2 *r;
	bool v6 = q->family == TCSEG_FAMILY_V6;

	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST;	/* one socket: no dump */
	r = mnl_nlmsg_put_extra_header(nlh, sizeof(*r));
	r->sdiag_family = v6 ? AF_INET6 : AF_INET;
	r->sdiag_protocol = IPPROTO_TCP;
	r->idiag_states = 1u << TCP_ESTABLISHED | 1u << TCP_CLOSE_WAIT;
	memcpy(r->id.idiag_src, q->laddr.b, v6 ? 16 : 4);
	memcpy(r->id.idiag_dst, q->raddr.b, v6 ? 16 : 4);
	r->id.idiag_sport = q->lport;
	r->id.idiag_dport = q->rport;
	r->id.idiag_cookie[0] = q->cookie ? (__u32)q->cookie :
				INET_DIAG_NOCOOKIE;
	r->id.idiag_cookie[1] = q->cookie ? (__u32)(q->cookie >> 32) :
				INET_DIAG_NOCOOKIE;
	return nlh;
}

/* @w (16 bytes, @family's form) as the capture reports it. */
static void diag_addr(const __be32 *w, int family, union tcseg_addr *a,
		      __u8 *tf)
{
	memset(a, 0, sizeof(*a));
	if (family == AF_INET6 && !w[0] && !w[1] && w[2] == htonl(0xffff)) {
		a->v4 = w[3];	/* a dual-stack socket's IPv4 flow */
		*tf = TCSEG_FAMILY_V4;
	} else if (family == AF_INET6) {
		memcpy(a->w, w, 16);
		*tf = TCSEG_FAMILY_V6;
	} else {
		a->v4 = w[0];
		*tf = TCSEG_FAMILY_V4;
	}
}

int sock_diag_parse(const struct nlmsghdr *nlh, struct sock_diag_sock *s)
{
	const struct nlattr *tb[INET_DIAG_MAX + 1];
	const struct inet_diag_msg *m;
	__u8 rf;

	memset(s, 0, sizeof(*s));
	if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
	    nl_payload_len(nlh) < sizeof(*m) ||
	    nl_attrs(nlh, sizeof(*m), tb, INET_DIAG_MAX))
		return -EBADMSG;
	m = mnl_nlmsg_get_payload(nlh);
	if (m->idiag_family != AF_INET && m->idiag_family != AF_INET6)
		return -EBADMSG;
	diag_addr(m->id.idiag_src, m->idiag_family, &s->laddr, &s->family);
	diag_addr(m->id.idiag_dst, m->idiag_family, &s->raddr, &rf);
	if (rf != s->family)
		return -EBADMSG;	/* one end v4-mapped, the other not */
	s->lport = m->id.idiag_sport;
	s->rport = m->id.idiag_dport;
	s->state = m->idiag_state;
	s->inode = m->idiag_inode;
	return 0;
}

enum sock_diag_found sock_diag_judge(const struct sock_diag_q *q,
				     const struct sock_diag_sock *s)
{
	if (s->family != q->family || !tcseg_addr_eq(&s->laddr, &q->laddr) ||
	    !tcseg_addr_eq(&s->raddr, &q->raddr) || s->lport != q->lport ||
	    s->rport != q->rport)
		return SOCK_DIAG_ABSENT;	/* e.g. the listener */
	/* ESTABLISHED, or CLOSE_WAIT: the peer closed meanwhile */
	if (s->state != TCP_ESTABLISHED && s->state != TCP_CLOSE_WAIT)
		return SOCK_DIAG_ABSENT;
	return s->inode ? SOCK_DIAG_FOUND : SOCK_DIAG_PENDING;
}

/*
 * A sock_diag socket of the namespace @nsfd: this thread enters it and
 * comes back. Not coming back would leave it working in a pod's
 * namespace: that is not survived.
 */
static int open_in(int nsfd)
{
	struct stat a, b;
	int self, fd;

	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return -errno;
	if (!fstat(self, &a) && !fstat(nsfd, &b) && a.st_ino == b.st_ino &&
	    a.st_dev == b.st_dev) {
		close(self);		/* our own namespace */
		return nl_open(NETLINK_SOCK_DIAG);
	}
	if (setns(nsfd, CLONE_NEWNET)) {
		fd = -errno;
		close(self);
		return fd;
	}
	fd = nl_open(NETLINK_SOCK_DIAG);
	if (setns(self, CLONE_NEWNET)) {
		fprintf(stderr, "sock_diag: cannot return to the own network "
			"namespace: %s\n", strerror(errno));
		abort();
	}
	close(self);
	return fd;
}

struct find {
	const struct sock_diag_q *q;
	enum sock_diag_found found;
	__u32 inode;
};

static int find_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct find *f = arg;
	struct sock_diag_sock s;
	enum sock_diag_found r;

	if (sock_diag_parse(nlh, &s))
		return -EBADMSG;
	r = sock_diag_judge(f->q, &s);
	if (r == SOCK_DIAG_FOUND || (r && !f->found)) {
		f->found = r;
		f->inode = s.inode;
	}
	return 0;
}

int sock_diag_find(int nsfd, const struct sock_diag_q *q, unsigned long *ino)
{
	char buf[MNL_SOCKET_BUFFER_SIZE] __attribute__((aligned(4)));
	struct find f = { .q = q };
	int fd, r;

	fd = open_in(nsfd);
	if (fd < 0)
		return fd;
	r = nl_request(fd, sock_diag_req(buf, q), find_cb, NULL, &f);
	close(fd);
	if (r == -ENOENT || r == -ESTALE)	/* no such tuple, or cookie */
		return SOCK_DIAG_ABSENT;
	if (r)
		return r;
	if (f.found == SOCK_DIAG_FOUND)
		*ino = f.inode;
	return f.found;
}
