// SPDX-License-Identifier: GPL-2.0
/*
 * The netlink replies tcsegd reads (ctl/lib/nl_req.c, ctl/daemon/nl_neigh.c,
 * ctl/daemon/sock_diag.c), crafted here: well-formed neighbour, FDB, link and
 * sock_diag messages give their fields; truncated messages, lengths
 * past the datagram (2^31 included), attributes of the wrong size or
 * running past the message, entries a pod's traffic cannot vouch for
 * (incomplete, proxy, the bridge's own) give nothing; an interrupted
 * dump (NLM_F_DUMP_INTR) is reported stale, kernel errors as errors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <linux/if_link.h>
#include <linux/inet_diag.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <libmnl/libmnl.h>

#include "lib/nl_req.h"
#include "daemon/nl_neigh.h"
#include "daemon/sock_diag.h"

static char buf[8192] __attribute__((aligned(4)));
static const __u8 MAC[6] = { 2, 0, 0, 0, 0, 5 };

/* A message of @type at @b (zeroed) with a family header of @hdr bytes. */
static void *start(void *b, __u16 type, size_t hdr, struct nlmsghdr **nlh)
{
	memset(b, 0, 512);
	*nlh = mnl_nlmsg_put_header(b);
	(*nlh)->nlmsg_type = type;
	return mnl_nlmsg_put_extra_header(*nlh, hdr);
}

/* An RTM_NEWNEIGH of @family: @addr (@alen bytes), MAC, @master. */
static struct nlmsghdr *neigh(void *b, int family, const void *addr,
			      size_t alen, int ifindex, __u16 state,
			      __u8 flags, __u32 master)
{
	struct nlmsghdr *nlh;
	struct ndmsg *ndm = start(b, RTM_NEWNEIGH, sizeof(*ndm), &nlh);

	ndm->ndm_family = (__u8)family;
	ndm->ndm_ifindex = ifindex;
	ndm->ndm_state = state;
	ndm->ndm_flags = flags;
	if (addr)
		mnl_attr_put(nlh, NDA_DST, alen, addr);
	mnl_attr_put(nlh, NDA_LLADDR, 6, MAC);
	if (master)
		mnl_attr_put_u32(nlh, NDA_MASTER, master);
	return nlh;
}

static struct nlmsghdr *neigh4(void *b, __u16 state, __u8 flags)
{
	__be32 ip = htonl(0x0a090005);

	return neigh(b, AF_INET, &ip, 4, 7, state, flags, 0);
}

static void neigh_v4_and_v6_parsed(void **state)
{
	struct nl_neigh n;
	__be32 ip = htonl(0x0a090005);
	__u8 ip6[16] = { 0xfd, [15] = 5 };

	(void)state;
	assert_int_equal(nl_neigh_parse(neigh4(buf, NUD_REACHABLE, 0), &n), 0);
	assert_int_equal(n.family, AF_INET);
	assert_int_equal(n.ifindex, 7);
	assert_memory_equal(n.addr, &ip, 4);
	assert_memory_equal(n.mac, MAC, 6);
	assert_true(nl_neigh_usable(&n, AF_INET, &ip));
	neigh(buf, AF_INET6, ip6, 16, 9, NUD_STALE, 0, 0);
	assert_int_equal(nl_neigh_parse((struct nlmsghdr *)buf, &n), 0);
	assert_int_equal(n.ifindex, 9);
	assert_true(nl_neigh_usable(&n, AF_INET6, ip6));
	assert_false(nl_neigh_usable(&n, AF_INET, ip6));
}

/* Only a complete entry (NUD_VALID, /proc/net/arp's ATF_COM) says where. */
static void neigh_unusable_entries(void **state)
{
	struct nl_neigh n;
	__be32 ip = htonl(0x0a090005), other = htonl(0x0a090006);

	(void)state;
	nl_neigh_parse(neigh4(buf, NUD_INCOMPLETE, 0), &n);
	assert_false(nl_neigh_usable(&n, AF_INET, &ip));
	nl_neigh_parse(neigh4(buf, NUD_FAILED, 0), &n);
	assert_false(nl_neigh_usable(&n, AF_INET, &ip));
	nl_neigh_parse(neigh4(buf, NUD_NONE, 0), &n);
	assert_false(nl_neigh_usable(&n, AF_INET, &ip));
	nl_neigh_parse(neigh4(buf, NUD_PERMANENT, NTF_PROXY), &n);
	assert_false(nl_neigh_usable(&n, AF_INET, &ip));
	nl_neigh_parse(neigh4(buf, NUD_STALE, 0), &n);
	assert_false(nl_neigh_usable(&n, AF_INET, &other));
	assert_true(nl_neigh_usable(&n, AF_INET, &ip));
	/* no device */
	neigh(buf, AF_INET, &ip, 4, 0, NUD_REACHABLE, 0, 0);
	nl_neigh_parse((struct nlmsghdr *)buf, &n);
	assert_false(nl_neigh_usable(&n, AF_INET, &ip));
	neigh(buf, AF_INET, &ip, 4, -3, NUD_REACHABLE, 0, 0);
	nl_neigh_parse((struct nlmsghdr *)buf, &n);
	assert_false(nl_neigh_usable(&n, AF_INET, &ip));
}

static void neigh_hostile_refused(void **state)
{
	struct nlmsghdr *nlh;
	struct nlattr *a;
	struct nl_neigh n;
	__be32 ip = htonl(0x0a090005);
	__u8 big[16] = { 0 };
	size_t l, cut;

	(void)state;
	/*
	 * every truncation: refused, never read past the end; cut after a
	 * whole attribute it is a shorter message, without its MAC
	 */
	nlh = neigh4(buf, NUD_REACHABLE, 0);
	l = nlh->nlmsg_len;
	for (cut = 0; cut < l; cut++) {
		nlh->nlmsg_len = (__u32)cut;
		if (nl_neigh_parse(nlh, &n) != -EBADMSG)
			assert_false(nl_neigh_usable(&n, AF_INET, &ip));
	}
	/* an address of the other family's size */
	neigh(buf, AF_INET, big, 16, 7, NUD_REACHABLE, 0, 0);
	assert_int_equal(nl_neigh_parse((struct nlmsghdr *)buf, &n), -EBADMSG);
	neigh(buf, AF_INET6, &ip, 4, 7, NUD_REACHABLE, 0, 0);
	assert_int_equal(nl_neigh_parse((struct nlmsghdr *)buf, &n), -EBADMSG);
	/* no address at all, a family that is none of ours, another type */
	neigh(buf, AF_INET, NULL, 0, 7, NUD_REACHABLE, 0, 0);
	assert_int_equal(nl_neigh_parse((struct nlmsghdr *)buf, &n), -EBADMSG);
	neigh(buf, AF_PACKET, &ip, 4, 7, NUD_REACHABLE, 0, 0);
	assert_int_equal(nl_neigh_parse((struct nlmsghdr *)buf, &n), -EBADMSG);
	nlh = neigh4(buf, NUD_REACHABLE, 0);
	nlh->nlmsg_type = RTM_DELNEIGH;
	assert_int_equal(nl_neigh_parse(nlh, &n), -EBADMSG);
	/* an attribute claiming more than the message holds */
	nlh = neigh4(buf, NUD_REACHABLE, 0);
	a = (struct nlattr *)((char *)mnl_nlmsg_get_payload(nlh) +
			      MNL_ALIGN(sizeof(struct ndmsg)));
	a->nla_len = 200;
	assert_int_equal(nl_neigh_parse(nlh, &n), -EBADMSG);
	/* an attribute shorter than its own header */
	a->nla_len = 2;
	assert_int_equal(nl_neigh_parse(nlh, &n), -EBADMSG);
	/* trailing bytes that are no attribute */
	nlh = neigh4(buf, NUD_REACHABLE, 0);
	nlh->nlmsg_len += 4;
	assert_int_equal(nl_neigh_parse(nlh, &n), -EBADMSG);
	/* a MAC that is not 6 bytes: no MAC, so not usable */
	nlh = neigh(buf, AF_INET, &ip, 4, 7, NUD_REACHABLE, 0, 0);
	a = mnl_nlmsg_get_payload_tail(nlh);
	nlh->nlmsg_len -= MNL_ALIGN(sizeof(*a) + 6);
	mnl_attr_put(nlh, NDA_LLADDR, 4, MAC);	/* the last one counts */
	nlh->nlmsg_len += 0;
	assert_int_equal(nl_neigh_parse(nlh, &n), 0);
	assert_false(n.has_mac);
	assert_false(nl_neigh_usable(&n, AF_INET, &ip));
}

static void fdb_entries(void **state)
{
	struct nl_fdb f;
	__u8 other[6] = { 2, 0, 0, 0, 0, 6 };
	struct nlmsghdr *nlh;
	struct nlattr *a;

	(void)state;
	neigh(buf, AF_BRIDGE, NULL, 0, 12, NUD_REACHABLE, 0, 3);
	assert_int_equal(nl_fdb_parse((struct nlmsghdr *)buf, &f), 0);
	assert_int_equal(f.port, 12);
	assert_int_equal(f.master, 3);
	assert_true(nl_fdb_usable(&f, 3, MAC));
	assert_false(nl_fdb_usable(&f, 4, MAC));	/* another bridge */
	assert_false(nl_fdb_usable(&f, 3, other));
	/* static entries count, as in brforward */
	neigh(buf, AF_BRIDGE, NULL, 0, 12, NUD_NOARP, 0, 3);
	nl_fdb_parse((struct nlmsghdr *)buf, &f);
	assert_true(nl_fdb_usable(&f, 3, MAC));
	/* the bridge's own addresses (brforward's is_local) do not */
	neigh(buf, AF_BRIDGE, NULL, 0, 12, NUD_PERMANENT, 0, 3);
	nl_fdb_parse((struct nlmsghdr *)buf, &f);
	assert_false(nl_fdb_usable(&f, 3, MAC));
	neigh(buf, AF_BRIDGE, NULL, 0, 3, NUD_REACHABLE, 0, 3);
	nl_fdb_parse((struct nlmsghdr *)buf, &f);
	assert_false(nl_fdb_usable(&f, 3, MAC));
	/* a device's own list (NTF_SELF, no master) */
	neigh(buf, AF_BRIDGE, NULL, 0, 12, NUD_REACHABLE, NTF_SELF, 0);
	nl_fdb_parse((struct nlmsghdr *)buf, &f);
	assert_false(nl_fdb_usable(&f, 3, MAC));
	/* NDA_MASTER of 2 bytes: refused */
	nlh = neigh(buf, AF_BRIDGE, NULL, 0, 12, NUD_REACHABLE, 0, 0);
	mnl_attr_put_u16(nlh, NDA_MASTER, 3);
	assert_int_equal(nl_fdb_parse(nlh, &f), -EBADMSG);
	/* an AF_INET entry is no FDB entry, nor the reverse */
	assert_int_equal(nl_fdb_parse(neigh4(buf, NUD_REACHABLE, 0), &f),
			 -EBADMSG);
	nlh = neigh(buf, AF_BRIDGE, NULL, 0, 12, NUD_REACHABLE, 0, 3);
	assert_int_equal(nl_neigh_parse(nlh, &(struct nl_neigh){ 0 }),
			 -EBADMSG);
	/* MAC attribute running past the message */
	a = (struct nlattr *)((char *)mnl_nlmsg_get_payload(nlh) +
			      MNL_ALIGN(sizeof(struct ndmsg)));
	a->nla_len = 100;
	assert_int_equal(nl_fdb_parse(nlh, &f), -EBADMSG);
}

static struct nlmsghdr *link_msg(void *b, int ifindex, const char *kind,
				 size_t klen)
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi = start(b, RTM_NEWLINK, sizeof(*ifi), &nlh);
	struct nlattr *nest;

	ifi->ifi_index = ifindex;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "br0");
	if (kind) {
		nest = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
		mnl_attr_put(nlh, IFLA_INFO_KIND, klen, kind);
		mnl_attr_nest_end(nlh, nest);
	}
	return nlh;
}

static void link_kind(void **state)
{
	struct nlmsghdr *nlh;
	struct nlattr *nest;

	(void)state;
	assert_int_equal(nl_link_is_bridge(link_msg(buf, 3, "bridge", 7), 3),
			 1);
	assert_int_equal(nl_link_is_bridge(link_msg(buf, 3, "veth", 5), 3), 0);
	assert_int_equal(nl_link_is_bridge(link_msg(buf, 3, NULL, 0), 3), 0);
	/* another link's answer */
	assert_int_equal(nl_link_is_bridge(link_msg(buf, 4, "bridge", 7), 3),
			 -EBADMSG);
	/* "bridge" without its terminator, or a prefix of it */
	assert_int_equal(nl_link_is_bridge(link_msg(buf, 3, "bridge", 6), 3),
			 -EBADMSG);
	assert_int_equal(nl_link_is_bridge(link_msg(buf, 3, "bridgeX", 8), 3),
			 0);
	/* a nested attribute running past its nest */
	nlh = link_msg(buf, 3, "bridge", 7);
	nest = mnl_nlmsg_get_payload_offset(nlh, sizeof(struct ifinfomsg));
	nest = mnl_attr_next(nest);		/* after IFLA_IFNAME */
	((struct nlattr *)mnl_attr_get_payload(nest))->nla_len = 40;
	assert_int_equal(nl_link_is_bridge(nlh, 3), -EBADMSG);
}

/* ---- one datagram of a reply */

struct got {
	int n;
};

static int count_cb(const struct nlmsghdr *nlh, void *arg)
{
	(void)nlh;
	((struct got *)arg)->n++;
	return 0;
}

/* Message @type at @b for request @seq of port @pid; its aligned size. */
static size_t put(void *b, __u16 type, __u16 flags, __u32 seq, __u32 pid,
		  int err)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(b);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_pid = pid;
	if (type == NLMSG_ERROR) {
		struct nlmsgerr *e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));

		e->error = err;
	} else if (type == NLMSG_DONE) {
		mnl_nlmsg_put_extra_header(nlh, sizeof(int));
	} else {
		mnl_nlmsg_put_extra_header(nlh, sizeof(struct ndmsg));
	}
	return NLMSG_ALIGN(nlh->nlmsg_len);
}

static int run(const void *b, size_t len, struct got *g)
{
	struct nl_reply r = { .seq = 9, .portid = 77, .cb = count_cb,
			      .arg = g };

	memset(g, 0, sizeof(*g));
	return nl_reply_datagram(&r, b, len);
}

static void dump_read_to_done(void **state)
{
	struct got g;
	size_t l = 0;

	(void)state;
	memset(buf, 0, sizeof(buf));
	l += put(buf + l, RTM_NEWNEIGH, NLM_F_MULTI, 9, 77, 0);
	l += put(buf + l, RTM_NEWNEIGH, NLM_F_MULTI, 8, 77, 0);	/* old */
	l += put(buf + l, RTM_NEWNEIGH, NLM_F_MULTI, 9, 78, 0);	/* other */
	l += put(buf + l, NLMSG_NOOP, 0, 9, 77, 0);
	l += put(buf + l, RTM_NEWNEIGH, NLM_F_MULTI, 9, 77, 0);
	assert_int_equal(run(buf, l, &g), 0);	/* more to read */
	assert_int_equal(g.n, 2);
	l += put(buf + l, NLMSG_DONE, NLM_F_MULTI, 9, 77, 0);
	assert_int_equal(run(buf, l, &g), 1);
	assert_int_equal(g.n, 2);
}

static void dump_interrupted_is_stale(void **state)
{
	struct got g;
	size_t l = 0;

	(void)state;
	memset(buf, 0, sizeof(buf));
	l += put(buf + l, RTM_NEWNEIGH, NLM_F_MULTI, 9, 77, 0);
	l += put(buf + l, RTM_NEWNEIGH, NLM_F_MULTI | NLM_F_DUMP_INTR, 9, 77,
		 0);
	l += put(buf + l, RTM_NEWNEIGH, NLM_F_MULTI, 9, 77, 0);
	l += put(buf + l, NLMSG_DONE, NLM_F_MULTI, 9, 77, 0);
	assert_int_equal(run(buf, l, &g), -EINTR);
	assert_int_equal(g.n, 1);	/* nothing used once it is stale */
	/* the flag on NLMSG_DONE alone */
	l = put(buf, RTM_NEWNEIGH, NLM_F_MULTI, 9, 77, 0);
	l += put(buf + l, NLMSG_DONE, NLM_F_MULTI | NLM_F_DUMP_INTR, 9, 77, 0);
	assert_int_equal(run(buf, l, &g), -EINTR);
}

static void errors_reported(void **state)
{
	struct got g;
	size_t l;

	(void)state;
	memset(buf, 0, sizeof(buf));
	l = put(buf, NLMSG_ERROR, 0, 9, 77, -ENOENT);
	assert_int_equal(run(buf, l, &g), -ENOENT);
	l = put(buf, NLMSG_ERROR, 0, 9, 77, 0);		/* the ack */
	assert_int_equal(run(buf, l, &g), 1);
	l = put(buf, NLMSG_ERROR, 0, 9, 77, -5000);	/* no errno */
	assert_int_equal(run(buf, l, &g), -EBADMSG);
	l = put(buf, NLMSG_ERROR, 0, 9, 77, 3);
	assert_int_equal(run(buf, l, &g), -EBADMSG);
	/* an NLMSG_ERROR too short for its nlmsgerr */
	l = put(buf, NLMSG_ERROR, 0, 9, 77, -ENOENT);
	((struct nlmsghdr *)buf)->nlmsg_len = NLMSG_LENGTH(2);
	assert_int_equal(run(buf, NLMSG_LENGTH(4), &g), -EBADMSG);
	/* another request's error is not ours */
	l = put(buf, NLMSG_ERROR, 0, 5, 77, -EPERM);
	assert_int_equal(run(buf, l, &g), 0);
}

static void hostile_lengths_refused(void **state)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct got g;
	size_t l, cut;

	(void)state;
	memset(buf, 0, sizeof(buf));
	l = put(buf, RTM_NEWNEIGH, NLM_F_MULTI, 9, 77, 0);
	/* 2^31 and more passes mnl_nlmsg_ok()'s (int) comparison */
	nlh->nlmsg_len = 0x80000000u;
	assert_int_equal(run(buf, l, &g), -EBADMSG);
	nlh->nlmsg_len = 0xfffffff0u;
	assert_int_equal(run(buf, l, &g), -EBADMSG);
	nlh->nlmsg_len = (__u32)l + 4;
	assert_int_equal(run(buf, l, &g), -EBADMSG);
	nlh->nlmsg_len = 8;
	assert_int_equal(run(buf, l, &g), -EBADMSG);
	assert_int_equal(g.n, 0);
	/* a good message then bytes that are none */
	l = put(buf, RTM_NEWNEIGH, NLM_F_MULTI, 9, 77, 0);
	assert_int_equal(run(buf, l + 8, &g), -EBADMSG);
	for (cut = 0; cut < sizeof(struct nlmsghdr); cut++)
		assert_int_equal(run(buf, cut, &g), -EBADMSG);
}

/* ---- sock_diag */

static void q4(struct sock_diag_q *q)
{
	memset(q, 0, sizeof(*q));
	q->family = TCSEG_FAMILY_V4;
	q->laddr.v4 = htonl(0x0a000105);
	q->raddr.v4 = htonl(0x0a000207);
	q->lport = htons(443);
	q->rport = htons(40000);
}

/* A reply for the socket (@family form of @q) in @state with @ino. */
static struct nlmsghdr *diag(void *b, const struct sock_diag_q *q,
			     int family, __u8 st, __u32 ino)
{
	struct nlmsghdr *nlh;
	struct inet_diag_msg *m = start(b, SOCK_DIAG_BY_FAMILY, sizeof(*m),
					&nlh);

	m->idiag_family = (__u8)family;
	m->idiag_state = st;
	m->idiag_inode = ino;
	m->id.idiag_sport = q->lport;
	m->id.idiag_dport = q->rport;
	if (family == AF_INET6 && q->family == TCSEG_FAMILY_V4) {
		m->id.idiag_src[2] = m->id.idiag_dst[2] = htonl(0xffff);
		m->id.idiag_src[3] = q->laddr.v4;
		m->id.idiag_dst[3] = q->raddr.v4;
	} else {
		memcpy(m->id.idiag_src, q->laddr.b, 16);
		memcpy(m->id.idiag_dst, q->raddr.b, 16);
	}
	mnl_attr_put_u8(nlh, INET_DIAG_SHUTDOWN, 0);
	return nlh;
}

static void diag_request_names_the_tuple(void **state)
{
	struct sock_diag_q q;
	struct nlmsghdr *nlh;
	struct inet_diag_req_v2 *r;

	(void)state;
	q4(&q);
	nlh = sock_diag_req(buf, &q);
	r = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(nlh->nlmsg_type, SOCK_DIAG_BY_FAMILY);
	assert_false(nlh->nlmsg_flags & NLM_F_DUMP);
	assert_int_equal(r->sdiag_family, AF_INET);
	assert_int_equal(r->sdiag_protocol, IPPROTO_TCP);
	assert_int_equal(r->id.idiag_src[0], q.laddr.v4);
	assert_int_equal(r->id.idiag_dst[0], q.raddr.v4);
	assert_int_equal(r->id.idiag_sport, q.lport);
	assert_int_equal(r->id.idiag_dport, q.rport);
	assert_int_equal(r->id.idiag_cookie[0], INET_DIAG_NOCOOKIE);
	assert_int_equal(r->id.idiag_cookie[1], INET_DIAG_NOCOOKIE);
	q.cookie = 0x1122334455667788ull;
	r = mnl_nlmsg_get_payload(sock_diag_req(buf, &q));
	assert_int_equal(r->id.idiag_cookie[0], 0x55667788);
	assert_int_equal(r->id.idiag_cookie[1], 0x11223344);
	q.family = TCSEG_FAMILY_V6;
	r = mnl_nlmsg_get_payload(sock_diag_req(buf, &q));
	assert_int_equal(r->sdiag_family, AF_INET6);
}

static void diag_replies_judged(void **state)
{
	struct sock_diag_q q, q6;
	struct sock_diag_sock s;

	(void)state;
	q4(&q);
	assert_int_equal(sock_diag_parse(diag(buf, &q, AF_INET,
					      TCP_ESTABLISHED, 42), &s), 0);
	assert_int_equal(sock_diag_judge(&q, &s), SOCK_DIAG_FOUND);
	assert_int_equal(s.inode, 42);
	/* a dual-stack socket's IPv4 flow (v4-mapped) is the IPv4 flow */
	sock_diag_parse(diag(buf, &q, AF_INET6, TCP_CLOSE_WAIT, 43), &s);
	assert_int_equal(s.family, TCSEG_FAMILY_V4);
	assert_int_equal(sock_diag_judge(&q, &s), SOCK_DIAG_FOUND);
	/* in the accept queue: no inode yet */
	sock_diag_parse(diag(buf, &q, AF_INET, TCP_ESTABLISHED, 0), &s);
	assert_int_equal(sock_diag_judge(&q, &s), SOCK_DIAG_PENDING);
	/* not established */
	sock_diag_parse(diag(buf, &q, AF_INET, TCP_SYN_RECV, 44), &s);
	assert_int_equal(sock_diag_judge(&q, &s), SOCK_DIAG_ABSENT);
	sock_diag_parse(diag(buf, &q, AF_INET, TCP_TIME_WAIT, 0), &s);
	assert_int_equal(sock_diag_judge(&q, &s), SOCK_DIAG_ABSENT);
	/* the listener the kernel's lookup falls back to: another tuple */
	q6 = q;
	q6.raddr.v4 = 0;
	q6.rport = 0;
	sock_diag_parse(diag(buf, &q6, AF_INET, TCP_LISTEN, 45), &s);
	assert_int_equal(sock_diag_judge(&q, &s), SOCK_DIAG_ABSENT);
	q6 = q;
	q6.rport = htons(40001);
	sock_diag_parse(diag(buf, &q6, AF_INET, TCP_ESTABLISHED, 46), &s);
	assert_int_equal(sock_diag_judge(&q, &s), SOCK_DIAG_ABSENT);
	/* an IPv6 flow never answers an IPv4 question of the same words */
	q6 = q;
	q6.family = TCSEG_FAMILY_V6;
	sock_diag_parse(diag(buf, &q6, AF_INET6, TCP_ESTABLISHED, 47), &s);
	assert_int_equal(s.family, TCSEG_FAMILY_V6);
	assert_int_equal(sock_diag_judge(&q, &s), SOCK_DIAG_ABSENT);
	assert_int_equal(sock_diag_judge(&q6, &s), SOCK_DIAG_FOUND);
}

static void diag_hostile_refused(void **state)
{
	struct sock_diag_q q;
	struct sock_diag_sock s;
	struct nlmsghdr *nlh;
	struct inet_diag_msg *m;
	size_t l, cut;

	(void)state;
	q4(&q);
	nlh = diag(buf, &q, AF_INET, TCP_ESTABLISHED, 42);
	l = nlh->nlmsg_len;
	for (cut = 0; cut < l; cut++) {
		nlh->nlmsg_len = (__u32)cut;
		/* the inet_diag_msg alone is whole: its attributes cut off */
		assert_int_equal(sock_diag_parse(nlh, &s),
				 cut == NLMSG_LENGTH(sizeof(*m)) ? 0 : -EBADMSG);
	}
	nlh = diag(buf, &q, AF_INET, TCP_ESTABLISHED, 42);
	nlh->nlmsg_type = RTM_NEWNEIGH;
	assert_int_equal(sock_diag_parse(nlh, &s), -EBADMSG);
	nlh = diag(buf, &q, AF_UNIX, TCP_ESTABLISHED, 42);
	assert_int_equal(sock_diag_parse(nlh, &s), -EBADMSG);
	/* one end v4-mapped, the other a real IPv6 address */
	nlh = diag(buf, &q, AF_INET6, TCP_ESTABLISHED, 42);
	m = mnl_nlmsg_get_payload(nlh);
	m->id.idiag_dst[0] = htonl(0xfd000000);
	m->id.idiag_dst[2] = 0;
	assert_int_equal(sock_diag_parse(nlh, &s), -EBADMSG);
	/* an attribute running past the message */
	nlh = diag(buf, &q, AF_INET, TCP_ESTABLISHED, 42);
	((struct nlattr *)mnl_nlmsg_get_payload_offset(nlh,
					sizeof(*m)))->nla_len = 64;
	assert_int_equal(sock_diag_parse(nlh, &s), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(neigh_v4_and_v6_parsed),
		cmocka_unit_test(neigh_unusable_entries),
		cmocka_unit_test(neigh_hostile_refused),
		cmocka_unit_test(fdb_entries),
		cmocka_unit_test(link_kind),
		cmocka_unit_test(dump_read_to_done),
		cmocka_unit_test(dump_interrupted_is_stale),
		cmocka_unit_test(errors_reported),
		cmocka_unit_test(hostile_lengths_refused),
		cmocka_unit_test(diag_request_names_the_tuple),
		cmocka_unit_test(diag_replies_judged),
		cmocka_unit_test(diag_hostile_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
