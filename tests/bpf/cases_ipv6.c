// SPDX-License-Identifier: GPL-2.0
/*
 * IPv6 cases: policy (exact, CIDR, family kept apart from IPv4), the
 * extension header walk and its bounds, truncated headers, fragments,
 * ICMPv6 echo and errors, neighbour discovery and MLD as link control,
 * v4-mapped addresses, address binding, and the per-flow machinery (TCP
 * tracking, SYN guard, quota, encrypt, audit, log, pressure) over IPv6
 * (docs/DATAPATH.md, "IPv6").
 */
#include "harness6.h"

#define ND_NS	135
#define ND_NA	136
#define ND_RA	134
#define ND_RS	133
#define MLD_QUERY	130
#define MLD2_REPORT	143

static int deny_all(struct tb *t)
{
	t->cfg.default_action = TCSEG_ACT_DENY;
	return tb_cfg_write(t);
}

/* A TCP connection over IPv6 driven from both ends. */
struct flow6 {
	struct pkt6_spec s;		/* initiator -> responder */
	int dir;			/* TCSEG_DIR_* of the initiator's */
	__u32 ifindex;
	__u32 iseq, rseq;
};

static void f6_make(struct flow6 *f, __u32 ifindex, int dir, const char *src,
		    uint16_t sport, const char *dst, uint16_t dport)
{
	memset(f, 0, sizeof(*f));
	f->s = tcp6_spec(src, sport, dst, dport, 0);
	f->dir = dir;
	f->ifindex = ifindex;
	f->iseq = 1000;
	f->rseq = 500000;
}

static int f6_send(struct tb *t, struct flow6 *f, int from_init,
		   uint8_t flags, uint16_t payload)
{
	__u32 *seq = from_init ? &f->iseq : &f->rseq;
	struct pkt6_spec s = f->s;

	if (!from_init) {
		memcpy(s.saddr, f->s.daddr, 16);
		memcpy(s.daddr, f->s.saddr, 16);
		s.sport = f->s.dport;
		s.dport = f->s.sport;
	}
	s.tcp_flags = flags;
	s.payload = payload;
	s.seq = *seq;
	s.ack = (flags & PKT_ACK) ? (from_init ? f->rseq : f->iseq) : 0;
	*seq += payload + !!(flags & PKT_SYN) + !!(flags & PKT_FIN);
	return tb_send6(t, from_init ? f->dir : !f->dir, f->ifindex, &s);
}

static int f6_handshake(struct tb *t, struct flow6 *f)
{
	if (f6_send(t, f, 1, PKT_SYN, 0) != TC_OK ||
	    f6_send(t, f, 0, PKT_SYN | PKT_ACK, 0) != TC_OK ||
	    f6_send(t, f, 1, PKT_ACK, 0) != TC_OK)
		return -1;
	return 0;
}

/* --- policy ---------------------------------------------------------- */

static int test_ipv6_tcp_cidr_rule_allows_only_its_port(struct tb *t)
{
	struct tb_rule r = { .dst = PEER6 "/128", .proto = IPPROTO_TCP,
			     .dport = 80, .action = TCSEG_ACT_ALLOW, .id = 5 };
	struct pkt6_spec p = tcp6_spec(POD6, 40000, PEER6, 80, PKT_SYN);
	struct tcseg_session s;
	struct flow6 f;

	T_OK(deny_all(t));
	T_OK(tb_rule6(t, &r));
	f6_make(&f, ifi_a, FROM, POD6, 40000, PEER6, 80);
	T_OK(f6_handshake(t, &f));
	T_OK(tb_sess6(t, ifi_a, &p, &s));
	T_EQ(s.policy_id, 5);
	T_STATE(s, TCSEG_TCP_ESTABLISHED);
	/* replies ride the session under default deny */
	T_VERDICT(f6_send(t, &f, 0, PKT_ACK | PKT_PSH, 100), TC_OK);
	p.dport = 81;
	T_VERDICT(tb_send6(t, FROM, ifi_a, &p), TC_SHOT);
	T_EQ(tb_drops(t, TCSEG_DROP_GLOBAL_DEFAULT), 1);
	return 0;
}

static int test_ipv6_cidr_prefix_and_deny_rule(struct tb *t)
{
	struct tb_rule allow = { .dst = "fd00:2::/32", .proto = IPPROTO_UDP,
				 .action = TCSEG_ACT_ALLOW, .id = 1 };
	struct tb_rule deny = { .dst = "fd00:2::66/128", .action = TCSEG_ACT_DENY,
				.id = 2 };
	struct pkt6_spec p = udp6_spec(POD6, 5000, PEER6, 53);

	T_OK(deny_all(t));
	T_OK(tb_rule6(t, &allow));
	T_OK(tb_rule6(t, &deny));
	T_VERDICT(tb_send6(t, FROM, ifi_a, &p), TC_OK);
	pkt6_addr(p.daddr, "fd00:2:ffff::1");
	T_VERDICT(tb_send6(t, FROM, ifi_a, &p), TC_OK);
	pkt6_addr(p.daddr, "fd00:3::1");
	T_VERDICT(tb_send6(t, FROM, ifi_a, &p), TC_SHOT);
	pkt6_addr(p.daddr, "fd00:2::66");
	T_VERDICT(tb_send6(t, FROM, ifi_a, &p), TC_SHOT);
	T_EQ(tb_drops(t, TCSEG_DROP_POLICY), 1);
	T_EQ(tb_drops(t, TCSEG_DROP_GLOBAL_DEFAULT), 1);
	return 0;
}

static int test_ipv6_exact_rule_udp(struct tb *t)
{
	struct pkt6_spec p = udp6_spec(POD6, 5000, PEER6, 53);
	struct tcseg_session s;

	T_OK(deny_all(t));
	T_OK(tb_exact6(t, 0, &p, TCSEG_ACT_ALLOW, 9, 0));
	T_VERDICT(tb_send6(t, FROM, ifi_a, &p), TC_OK);
	T_OK(tb_sess6(t, ifi_a, &p, &s));
	T_EQ(s.policy_id, 9);
	T_EQ(s.verdict_src, TCSEG_SRC_EXACT);
	p.sport = 5001;
	T_VERDICT(tb_send6(t, FROM, ifi_a, &p), TC_SHOT);
	return 0;
}

/*
 * IPv4 10.0.2.3 and IPv6 a00:203:: share their first four bytes: a rule
 * or a session of one family must never match the other.
 */
#define V4_PEER_AS_V6	"a00:203::"
#define V4_POD_AS_V6	"a00:102::"

static int test_ipv6_rule_does_not_match_ipv4_and_back(struct tb *t)
{
	struct tb_rule r6 = { .dst = V4_PEER_AS_V6 "/128",
			      .action = TCSEG_ACT_ALLOW, .id = 1 };
	struct tb_rule r4 = { .dst = PEER "/32", .action = TCSEG_ACT_ALLOW,
			      .id = 2 };
	struct pkt_spec p4 = udp_spec(POD, 5000, PEER, 53);
	struct pkt6_spec p6 = udp6_spec(V4_POD_AS_V6, 5000, V4_PEER_AS_V6, 53);

	T_OK(deny_all(t));
	T_OK(tb_rule6(t, &r6));
	T_VERDICT(tb_send(t, FROM, ifi_a, &p4), TC_SHOT);
	T_VERDICT(tb_send6(t, FROM, ifi_a, &p6), TC_OK);
	T_OK(tb_rule(t, &r4));
	T_VERDICT(tb_send(t, FROM, ifi_a, &p4), TC_OK);
	/* the exact layer too */
	p6.sport = 6000;
	p4.sport = 6000;
	T_OK(tb_exact(t, 0, &p4, TCSEG_ACT_DENY, 3, 0));
	T_VERDICT(tb_send6(t, FROM, ifi_a, &p6), TC_OK);
	T_VERDICT(tb_send(t, FROM, ifi_a, &p4), TC_SHOT);
	return 0;
}

static int test_ipv6_session_does_not_carry_ipv4(struct tb *t)
{
	struct tb_rule r4 = { .dst = PEER "/32", .action = TCSEG_ACT_ALLOW,
			      .id = 2 };
	struct pkt_spec p4 = udp_spec(POD, 5000, PEER, 53);
	struct pkt6_spec p6 = udp6_spec(V4_POD_AS_V6, 5000, V4_PEER_AS_V6, 53);

	T_OK(deny_all(t));
	T_OK(tb_rule(t, &r4));
	T_VERDICT(tb_send(t, FROM, ifi_a, &p4), TC_OK);
	T_EQ(tb_nsess(t), 1);
	/* same bytes, same ports, other family: no session hit */
	T_VERDICT(tb_send6(t, FROM, ifi_a, &p6), TC_SHOT);
	T_EQ(tb_stat(t, TCSEG_STAT_SESSION_HITS), 0);
	return 0;
}

/* --- extension headers ----------------------------------------------- */

static int ext_case(struct tb *t, const uint8_t *ext, int n)
{
	struct tb_rule r = { .dst = PEER6 "/128", .proto = IPPROTO_TCP,
			     .dport = 8080, .action = TCSEG_ACT_ALLOW,
			     .id = 1 };
	struct pkt6_spec p = tcp6_spec(POD6, 40000, PEER6, 8080, PKT_SYN);
	struct tcseg_session s;

	T_OK(deny_all(t));
	T_OK(tb_rule6(t, &r));
	memcpy(p.ext, ext, n);
	p.n_ext = n;
	T_VERDICT(tb_send6(t, FROM, ifi_a, &p), TC_OK);
	T_OK(tb_sess6(t, ifi_a, &p, &s));
	T_EQ(s.policy_id, 1);
	p.dport = 8081;
	T_VERDICT(tb_send6(t, FROM, ifi_a, &p), TC_SHOT);
	T_EQ(tb_drops(t, TCSEG_DROP_MALFORMED), 0);
	T_EQ(tb_drops(t, TCSEG_DROP_GLOBAL_DEFAULT), 1);
	return 0;
}

#define EXT_CASE(name, ...)						\
	static int test_ipv6_ext_##name(struct tb *t)			\
	{								\
		static const uint8_t e[] = { __VA_ARGS__ };		\
		return ext_case(t, e, sizeof(e));			\
	}

EXT_CASE(hop_by_hop, PKT6_HOP)
EXT_CASE(dest_options, PKT6_DEST)
EXT_CASE(routing_no_segments_left, PKT6_ROUTING)
EXT_CASE(auth, PKT6_AUTH)
EXT_CASE(atomic_fragment, PKT6_FRAGMENT)
EXT_CASE(full_chain, PKT6_HOP, PKT6_DEST, PKT6_ROUTING, PKT6_FRAGMENT,
	 PKT6_AUTH, PKT6_DEST)
/* eight headers: the most the walk takes */
EXT_CASE(eight_headers, PKT6_HOP, PKT6_DEST, PKT6_DEST, PKT6_DEST,
	 PKT6_DEST, PKT6_DEST, PKT6_DEST, PKT6_DEST)

static int ext_dropped(struct tb *t, const uint8_t *ext, int n,
		       uint8_t segleft, __u32 reason)
{
	struct pkt6_spec p = tcp6_spec(POD6, 40000, PEER6, 80, PKT_SYN);

	/* default allow: only the parser can drop these */
	memcpy(p.ext, ext, n);
	p.n_ext = n;
	p.rt_segleft = segleft;
	T_VERDICT(tb_send6(t, FROM, ifi_a, &p), TC_SHOT);
	T_VERDICT(tb_send6(t, TO, ifi_a, &p), TC_SHOT);
	T_EQ(tb_drops(t, reason), 2);
	T_EQ(tb_stat(t, TCSEG_STAT_POLICY_LOOKUPS), 0);
	T_EQ(tb_nsess(t), 0);
	return 0;
}

static int test_ipv6_ext_chain_beyond_bound_dropped(struct tb *t)
{
	static const uint8_t e[] = { PKT6_HOP, PKT6_DEST, PKT6_DEST, PKT6_DEST,
				     PKT6_DEST, PKT6_DEST, PKT6_DEST, PKT6_DEST,
				     PKT6_DEST };

	return ext_dropped(t, e, sizeof(e), 0, TCSEG_DROP_IPV6_EXT);
}

static int test_ipv6_ext_routing_segments_left_dropped(struct tb *t)
{
	static const uint8_t e[] = { PKT6_ROUTING };

	return ext_dropped(t, e, sizeof(e), 1, TCSEG_DROP_IPV6_EXT);
}

static int test_ipv6_ext_hop_by_hop_not_first_malformed(struct tb *t)
{
	static const uint8_t e[] = { PKT6_DEST, PKT6_HOP };

	return ext_dropped(t, e, sizeof(e), 0, TCSEG_DROP_MALFORMED);
}

static int test_ipv6_ext_two_fragment_headers_malformed(struct tb *t)
{
	static const uint8_t e[] = { PKT6_FRAGMENT, PKT6_FRAGMENT };

	return ext_dropped(t, e, sizeof(e), 0, TCSEG_DROP_MALFORMED);
}

/* --- truncated headers --------------------------------------------- */

#define OFF6		PKT_ETH_HLEN
#define OFF6_PLEN	(OFF6 + 4)

static int malformed6(struct tb *t, uint8_t *b, size_t n)
{
	T_VERDICT(tb_run(t, FROM, ifi_a, b, n), TC_SHOT);
	T_VERDICT(tb_run(t, TO, ifi_a, b, n), TC_SHOT);
	T_EQ(tb_drops(t, TCSEG_DROP_MALFORMED), 2);
	T_EQ(tb_stat(t, TCSEG_STAT_POLICY_LOOKUPS), 0);
	T_EQ(tb_nsess(t), 0);
	return 0;
}

static int test_ipv6_malformed_payload_length_beyond_frame(struct tb *t)
{
	struct pkt6_spec p = tcp6_spec(POD6, 40000, PEER6, 80, PKT_SYN);
	uint8_t b[PKT_MAX];
	size_t n = pkt6_build(b, &p);

	pkt_put16(b + OFF6_PLEN, 1000);
	return malformed6(t, b, n);
}

static int test_ipv6_malformed_version_not_6(struct tb *t)
{
	struct pkt6_spec p = tcp6_spec(POD6, 40000, PEER6, 80, PKT_SYN);
	uint8_t b[PKT_MAX];
	size_t n = pkt6_build(b, &p);

	b[OFF6] = 0x45;
	return malformed6(t, b, n);
}

static int test_ipv6_malformed_truncated_tcp(struct tb *t)
{
	struct pkt6_spec p = tcp6_spec(POD6, 40000, PEER6, 80, PKT_SYN);
	uint8_t b[PKT_MAX];
	size_t n = pkt6_build(b, &p);

	pkt_put16(b + OFF6_PLEN, 10);
	return malformed6(t, b, n - 10);
}

/* the payload length ends inside the destination options header */
static int test_ipv6_malformed_ext_header_beyond_payload(struct tb *t)
{
	struct pkt6_spec p = udp6_spec(POD6, 5000, PEER6, 53);
	uint8_t b[PKT_MAX];
	size_t n;

	p.ext[0] = PKT6_DEST;
	p.n_ext = 1;
	n = pkt6_build(b, &p);
	b[OFF6 + 40 + 1] = 20;		/* 168 bytes long */
	return malformed6(t, b, n);
}

static int test_ipv6_malformed_truncated_icmpv6(struct tb *t)
{
	struct pkt6_spec p = icmp6_spec(POD6, PEER6, 128, 7);
	uint8_t b[PKT_MAX];
	size_t n;

	p.payload = 0;
	n = pkt6_build(b, &p);
	pkt_put16(b + OFF6_PLEN, 4);
	return malformed6(t, b, n - 4);
}

/* --- fragments ----------------------------------------------------- */

static int test_ipv6_fragments_follow_first(struct tb *t)
{
	struct tb_rule r = { .dst = PEER6 "/128", .proto = IPPROTO_UDP,
			     .dport = 5353, .action = TCSEG_ACT_ALLOW,
			     .id = 1 };
	struct pkt6_spec first = udp6_spec(POD6, 4000, PEER6, 5353), later;

	T_OK(deny_all(t));
	T_OK(tb_rule6(t, &r));
	first.ext[0] = PKT6_FRAGMENT;
	first.n_ext = 1;
	first.frag_more = 1;
	first.frag_id = 0x12340001;
	first.payload = 1000;
	later = first;
	later.no_l4 = 1;
	later.frag_off = 126;
	later.frag_more = 0;
	later.payload = 300;
	T_VERDICT(tb_send6(t, FROM, ifi_a, &first), TC_OK);
	T_EQ(tb_frag_count(t), 1);
	T_VERDICT(tb_send6(t, FROM, ifi_a, &later), TC_OK);
	/* same low 16 bits of the id: the id is 32 bits for IPv6 */
	later.frag_id = 0x00000001;
	T_VERDICT(tb_send6(t, FROM, ifi_a, &later), TC_SHOT);
	T_EQ(tb_drops(t, TCSEG_DROP_FRAGMENT), 1);
	T_EQ(tb_stat(t, TCSEG_STAT_FRAGMENTS), 3);
	return 0;
}

static int test_ipv6_later_fragment_without_first_dropped(struct tb *t)
{
	struct pkt6_spec p = udp6_spec(POD6, 4000, PEER6, 5353);

	p.ext[0] = PKT6_FRAGMENT;
	p.n_ext = 1;
	p.no_l4 = 1;
	p.frag_off = 50;
	p.frag_id = 77;
	T_VERDICT(tb_send6(t, FROM, ifi_a, &p), TC_SHOT);
	T_EQ(tb_drops(t, TCSEG_DROP_FRAGMENT), 1);
	T_EQ(tb_stat(t, TCSEG_STAT_POLICY_LOOKUPS), 0);
	return 0;
}

static int test_ipv6_later_fragment_of_denied_flow_dropped(struct tb *t)
{
	struct pkt6_spec first = udp6_spec(POD6, 4000, PEER6, 9999), later;

	T_OK(deny_all(t));
	first.ext[0] = PKT6_FRAGMENT;
	first.n_ext = 1;
	first.frag_more = 1;
	first.frag_id = 5;
	later = first;
	later.no_l4 = 1;
	later.frag_off = 10;
	later.frag_more = 0;
	T_VERDICT(tb_send6(t, FROM, ifi_a, &first), TC_SHOT);
	T_VERDICT(tb_send6(t, FROM, ifi_a, &later), TC_SHOT);
	T_EQ(tb_drops(t, TCSEG_DROP_GLOBAL_DEFAULT), 2);
	return 0;
}

static int test_ipv6_tcp_fragment_offset_1_malformed(struct tb *t)
{
	struct pkt6_spec p = tcp6_spec(POD6, 40000, PEER6, 80, PKT_SYN);

	p.ext[0] = PKT6_FRAGMENT;
	p.n_ext = 1;
	p.no_l4 = 1;
	p.frag_off = 1;
	p.frag_id = 9;
	p.payload = 16;
	T_VERDICT(tb_send6(t, FROM, ifi_a, &p), TC_SHOT);
	T_EQ(tb_drops(t, TCSEG_DROP_MALFORMED), 1);
	return 0;
}

/* --- ICMPv6 --------------------------------------------------------- */

static int test_ipv6_icmpv6_echo_reply_rides_session(struct tb *t)
{
	struct tb_rule r = { .dst = PEER6 "/128", .proto = IPPROTO_ICMPV6,
			     .action = TCSEG_ACT_ALLOW, .id = 4 };
	struct pkt6_spec req = icmp6_spec(POD6, PEER6, 128, 77);
	struct pkt6_spec rep = icmp6_spec(PEER6, POD6, 129, 77);
	struct tcseg_session s;

	T_OK(deny_all(t));
	T_OK(tb_rule6(t, &r));
	T_VERDICT(tb_send6(t, FROM, ifi_a, &req), TC_OK);
	T_OK(tb_sess6(t, ifi_a, &req, &s));
	T_EQ(s.policy_id, 4);
	T_VERDICT(tb_send6(t, TO, ifi_a, &rep), TC_OK);
	rep.sport = rep.dport = 78;
	T_VERDICT(tb_send6(t, TO, ifi_a, &rep), TC_SHOT);
	return 0;
}

/* A UDP session POD6 -> PEER6:53 on ifi_a, the rest denied. */
static int icmp6_setup(struct tb *t, struct pkt6_spec *q)
{
	struct tb_rule r = { .dst = PEER6 "/128", .proto = IPPROTO_UDP,
			     .dport = 53, .action = TCSEG_ACT_ALLOW, .id = 1 };

	*q = udp6_spec(POD6, 5000, PEER6, 53);
	T_OK(deny_all(t));
	T_OK(tb_rule6(t, &r));
	T_VERDICT(tb_send6(t, FROM, ifi_a, q), TC_OK);
	return 0;
}

static int test_ipv6_icmpv6_error_of_session_passes(struct tb *t)
{
	struct pkt6_spec q;
	uint8_t b[PKT_MAX];
	size_t n;

	T_OK(icmp6_setup(t, &q));
	/* port unreachable back to the pod, 1000 bytes (> 576, <= 1280) */
	n = pkt6_icmp_error(b, q.daddr, q.saddr, 1, &q, 1000 - 96);
	T_VERDICT(tb_run(t, TO, ifi_a, b, n), TC_OK);
	T_EQ(tb_stat(t, TCSEG_STAT_ICMP_RELATED), 1);
	/* packet too big from the pod about the peer's reply */
	{
		struct pkt6_spec r = udp6_spec(PEER6, 53, POD6, 5000);

		n = pkt6_icmp_error(b, q.saddr, q.daddr, 2, &r, 0);
		T_VERDICT(tb_run(t, FROM, ifi_a, b, n), TC_OK);
	}
	T_EQ(tb_stat(t, TCSEG_STAT_ICMP_RELATED), 2);
	return 0;
}

static int test_ipv6_icmpv6_error_to_other_host_judged_by_policy(struct tb *t)
{
	struct pkt6_spec q, r;
	uint8_t b[PKT_MAX], other[16];
	size_t n;

	T_OK(icmp6_setup(t, &q));
	r = udp6_spec(PEER6, 53, POD6, 5000);
	pkt6_addr(other, "fd00:9::1");
	/* from the pod, quoting its session, to a third address */
	n = pkt6_icmp_error(b, q.saddr, other, 1, &r, 0);
	T_VERDICT(tb_run(t, FROM, ifi_a, b, n), TC_SHOT);
	T_EQ(tb_stat(t, TCSEG_STAT_ICMP_UNRELATED), 1);
	T_EQ(tb_drops(t, TCSEG_DROP_GLOBAL_DEFAULT), 1);
	return 0;
}

static int test_ipv6_icmpv6_error_beyond_1280_judged_by_policy(struct tb *t)
{
	struct pkt6_spec q, r;
	uint8_t b[PKT_MAX];
	size_t n;

	T_OK(icmp6_setup(t, &q));
	r = udp6_spec(PEER6, 53, POD6, 5000);
	n = pkt6_icmp_error(b, q.saddr, q.daddr, 1, &r, 1300 - 96);
	T_ASSERT(n - PKT_ETH_HLEN > 1280, "error is %zu bytes", n);
	T_VERDICT(tb_run(t, FROM, ifi_a, b, n), TC_SHOT);
	T_EQ(tb_stat(t, TCSEG_STAT_ICMP_UNRELATED), 1);
	return 0;
}

static int test_ipv6_icmpv6_error_not_session_of_this_veth(struct tb *t)
{
	struct pkt6_spec q, r;
	uint8_t b[PKT_MAX];
	size_t n;

	T_OK(icmp6_setup(t, &q));
	r = udp6_spec(PEER6, 53, POD6, 5000);
	n = pkt6_icmp_error(b, q.saddr, q.daddr, 1, &r, 0);
	T_VERDICT(tb_run(t, FROM, ifi_b, b, n), TC_SHOT);
	/* the wrong way on the right veth: quoting the pod's own packet */
	n = pkt6_icmp_error(b, q.daddr, q.saddr, 1, &q, 0);
	T_VERDICT(tb_run(t, FROM, ifi_a, b, n), TC_SHOT);
	T_EQ(tb_stat(t, TCSEG_STAT_ICMP_UNRELATED), 2);
	T_EQ(tb_stat(t, TCSEG_STAT_ICMP_RELATED), 0);
	return 0;
}

/* --- neighbour discovery and MLD ----------------------------------- */

static struct pkt6_spec nd(const char *src, const char *dst, uint8_t type,
			   const char *target)
{
	struct pkt6_spec s = spec6(src, dst, IPPROTO_ICMPV6, 0, 0);

	s.icmp_type = type;
	s.hop_limit = 255;
	if (target)
		pkt6_addr(s.nd_target, target);
	return s;
}

static int bind_pod(struct tb *t)
{
	const char *a6[] = { POD6 };
	const char *a4[] = { POD };

	return tb_dev_bind(t, ifi_a, a4, 1) ?: tb_dev_bind6(t, ifi_a, a6, 1);
}

/* Under default deny, link control of an unbound pod passes. */
static int test_ipv6_ndp_passes_unbound_under_default_deny(struct tb *t)
{
	struct pkt6_spec ns = nd(POD6, "ff02::1:ff00:3", ND_NS, PEER6);
	struct pkt6_spec na = nd(PEER6, POD6, ND_NA, PEER6);

	T_OK(deny_all(t));
	T_VERDICT(tb_send6(t, FROM, ifi_a, &ns), TC_OK);
	T_VERDICT(tb_send6(t, TO, ifi_a, &na), TC_OK);
	T_EQ(tb_stat(t, TCSEG_STAT_POLICY_LOOKUPS), 0);
	T_EQ(tb_nsess(t), 0);
	return 0;
}

static int test_ipv6_ndp_bound_pod_claims_only_its_addresses(struct tb *t)
{
	struct pkt6_spec p;

	T_OK(deny_all(t));
	T_OK(bind_pod(t));
	p = nd(POD6, "ff02::1:ff00:3", ND_NS, PEER6);
	T_VERDICT(tb_send6(t, FROM, ifi_a, &p), TC_OK);
	p = nd("fe80::2", "ff02::1:ff00:3", ND_NS, PEER6);
	T_VERDICT(tb_send6(t, FROM, ifi_a, &p), TC_OK);
	p = nd(POD6, PEER6, ND_NA, POD6);
	T_VERDICT(tb_send6(t, FROM, ifi_a, &p), TC_OK);
	p = nd("fe80::2", PEER6, ND_NA, POD6);
	T_VERDICT(tb_send6(t, FROM, ifi_a, &p), TC_OK);
	/* duplicate address detection for its own address */
	p = nd("::", "ff02::1:ff00:2", ND_NS, POD6);
	T_VERDICT(tb_send6(t, FROM, ifi_a, &p), TC_OK);
	T_EQ(tb_drops(t, TCSEG_DROP_SPOOFED), 0);

	/* answering for another pod's address */
	p = nd(POD6, PEER6, ND_NA, OTHER6);
	T_VERDICT(tb_send6(t, FROM, ifi_a, &p), TC_SHOT);
	p = nd("fe80::2", PEER6, ND_NA, OTHER6);
	T_VERDICT(tb_send6(t, FROM, ifi_a, &p), TC_SHOT);
	p = nd(OTHER6, PEER6, ND_NA, OTHER6);
	T_VERDICT(tb_send6(t, FROM, ifi_a, &p), TC_SHOT);
	/* soliciting in its name, or DAD-defending its address */
	p = nd(OTHER6, "ff02::1:ff00:3", ND_NS, PEER6);
	T_VERDICT(tb_send6(t, FROM, ifi_a, &p), TC_SHOT);
	p = nd("::", "ff02::1:ff00:9", ND_NS, OTHER6);
	T_VERDICT(tb_send6(t, FROM, ifi_a, &p), TC_SHOT);
	T_EQ(tb_drops(t, TCSEG_DROP_SPOOFED), 5);
	T_EQ(tb_stat(t, TCSEG_STAT_POLICY_LOOKUPS), 0);
	return 0;
}

/*
 * Link-local addresses are free in link control until the pod has one
 * bound; then only the bound one is its own.
 */
static int test_ipv6_ndp_link_local_free_until_one_is_bound(struct tb *t)
{
	const char *a6[] = { POD6, "fe80::2" };
	struct pkt6_spec na = nd("fe80::2", PEER6, ND_NA, "fe80::2");
	struct pkt6_spec dad = nd("::", "ff02::1:ff00:2", ND_NS, "fe80::2");
	struct pkt6_spec other = nd("fe80::9", PEER6, ND_NA, "fe80::9");

	T_OK(bind_pod(t));
	T_VERDICT(tb_send6(t, FROM, ifi_a, &na), TC_OK);
	T_VERDICT(tb_send6(t, FROM, ifi_a, &dad), TC_OK);
	T_VERDICT(tb_send6(t, FROM, ifi_a, &other), TC_OK);
	T_OK(tb_dev_bind6(t, ifi_a, a6, 2));
	T_VERDICT(tb_send6(t, FROM, ifi_a, &na), TC_OK);
	T_VERDICT(tb_send6(t, FROM, ifi_a, &dad), TC_OK);
	T_VERDICT(tb_send6(t, FROM, ifi_a, &other), TC_SHOT);
	pkt6_addr(na.nd_target, "fe80::9");
	T_VERDICT(tb_send6(t, FROM, ifi_a, &na), TC_SHOT);
	pkt6_addr(dad.nd_target, "fe80::9");
	T_VERDICT(tb_send6(t, FROM, ifi_a, &dad), TC_SHOT);
	T_EQ(tb_drops(t, TCSEG_DROP_SPOOFED), 3);
	return 0;
}

static int test_ipv6_ndp_router_messages_from_bound_pod_dropped(struct tb *t)
{
	struct pkt6_spec ra = nd("fe80::2", "ff02::1", ND_RA, NULL);
	struct pkt6_spec rs = nd("fe80::2", "ff02::2", ND_RS, NULL);
	struct pkt6_spec q = nd("fe80::2", "ff02::1", MLD_QUERY, NULL);

	T_OK(bind_pod(t));
	q.hop_limit = 1;
	T_VERDICT(tb_send6(t, FROM, ifi_a, &ra), TC_SHOT);
	T_VERDICT(tb_send6(t, FROM, ifi_a, &q), TC_SHOT);
	T_EQ(tb_drops(t, TCSEG_DROP_ND_ROUTER), 2);
	T_VERDICT(tb_send6(t, FROM, ifi_a, &rs), TC_OK);
	/* the host's router advertisements reach the pod */
	T_VERDICT(tb_send6(t, TO, ifi_a, &ra), TC_OK);
	return 0;
}

static int test_ipv6_mld_report_passes_as_link_control(struct tb *t)
{
	struct pkt6_spec p = nd("fe80::2", "ff02::16", MLD2_REPORT, NULL);

	T_OK(deny_all(t));
	T_OK(bind_pod(t));
	p.hop_limit = 1;
	p.ext[0] = PKT6_HOP;		/* router alert rides hop-by-hop */
	p.n_ext = 1;
	T_VERDICT(tb_send6(t, FROM, ifi_a, &p), TC_OK);
	/* from another pod's address: not the pod's to send */
	pkt6_addr(p.saddr, OTHER6);
	T_VERDICT(tb_send6(t, FROM, ifi_a, &p), TC_SHOT);
	T_EQ(tb_drops(t, TCSEG_DROP_SPOOFED), 1);
	return 0;
}

/* Hop limit not 255: no receiver takes it as NDP; judged by policy. */
static int test_ipv6_ndp_hop_limit_not_255_judged_by_policy(struct tb *t)
{
	struct pkt6_spec p = nd(PEER6, POD6, ND_NA, PEER6);

	T_OK(deny_all(t));
	p.hop_limit = 64;
	T_VERDICT(tb_send6(t, TO, ifi_a, &p), TC_SHOT);
	T_EQ(tb_drops(t, TCSEG_DROP_GLOBAL_DEFAULT), 1);
	return 0;
}

/* --- addresses ------------------------------------------------------ */

static int test_ipv6_v4_mapped_dropped(struct tb *t)
{
	struct pkt6_spec p = udp6_spec("::ffff:10.0.1.2", 5000, PEER6, 53);

	T_VERDICT(tb_send6(t, FROM, ifi_a, &p), TC_SHOT);
	p = udp6_spec(POD6, 5000, "::ffff:10.0.2.3", 53);
	T_VERDICT(tb_send6(t, FROM, ifi_a, &p), TC_SHOT);
	T_VERDICT(tb_send6(t, TO, ifi_a, &p), TC_SHOT);
	T_EQ(tb_drops(t, TCSEG_DROP_V4MAPPED), 3);
	T_EQ(tb_nsess(t), 0);
	return 0;
}

static int test_ipv6_spoofed_source_from_bound_pod_dropped(struct tb *t)
{
	struct pkt6_spec p = udp6_spec(OTHER6, 5000, PEER6, 53);
	const char *a4[] = { POD };

	/* bound with IPv4 only: no IPv6 source is the pod's */
	T_OK(tb_dev_bind(t, ifi_a, a4, 1));
	p = udp6_spec(POD6, 5000, PEER6, 53);
	T_VERDICT(tb_send6(t, FROM, ifi_a, &p), TC_SHOT);
	T_OK(bind_pod(t));
	T_VERDICT(tb_send6(t, FROM, ifi_a, &p), TC_OK);
	p = udp6_spec(OTHER6, 5000, PEER6, 53);
	T_VERDICT(tb_send6(t, FROM, ifi_a, &p), TC_SHOT);
	p.proto = IPPROTO_TCP;
	p.tcp_flags = PKT_SYN;
	T_VERDICT(tb_send6(t, FROM, ifi_a, &p), TC_SHOT);
	/* a link-local source is not bound either */
	p = udp6_spec("fe80::2", 5000, "fe80::1", 53);
	T_VERDICT(tb_send6(t, FROM, ifi_a, &p), TC_SHOT);
	T_EQ(tb_drops(t, TCSEG_DROP_SPOOFED), 4);
	/* the same packet from a veth it is not bound on: unchecked */
	p = udp6_spec(OTHER6, 5000, PEER6, 53);
	T_VERDICT(tb_send6(t, FROM, ifi_b, &p), TC_OK);
	return 0;
}

static int test_ipv6_pod_sending_peer_half_of_session_dropped(struct tb *t)
{
	struct pkt6_spec p = udp6_spec(POD6, 5000, PEER6, 53);
	struct pkt6_spec back = udp6_spec(PEER6, 53, POD6, 5000);

	T_VERDICT(tb_send6(t, FROM, ifi_a, &p), TC_OK);
	T_VERDICT(tb_send6(t, FROM, ifi_a, &back), TC_SHOT);
	T_EQ(tb_drops(t, TCSEG_DROP_SPOOFED), 1);
	return 0;
}

/* A packet flooded to a bound pod for another pod's address. */
static int test_ipv6_forged_reply_to_flooded_packet_dropped(struct tb *t)
{
	struct pkt6_spec in = udp6_spec(PEER6, 53, OTHER6, 5000);
	struct pkt6_spec out = udp6_spec(OTHER6, 5000, PEER6, 53);

	T_OK(bind_pod(t));
	T_VERDICT(tb_send6(t, TO, ifi_a, &in), TC_OK);
	T_VERDICT(tb_send6(t, FROM, ifi_a, &out), TC_SHOT);
	T_EQ(tb_drops(t, TCSEG_DROP_SPOOFED), 1);
	return 0;
}

/* --- non-IP ------------------------------------------------------- */

static size_t frame_ethertype(uint8_t *b, uint16_t type)
{
	size_t n = pkt_eth(b, type);

	memset(b + n, 0, 46);
	return n + 46;
}

static int test_ipv6_drop_non_ip_keeps_ipv6_and_arp(struct tb *t)
{
	struct pkt6_spec p = udp6_spec(POD6, 5000, PEER6, 53);
	uint8_t b[PKT_MAX];
	size_t n;

	t->cfg.flags |= TCSEG_CFG_F_DROP_NON_IP;
	T_OK(tb_cfg_write(t));
	T_VERDICT(tb_send6(t, FROM, ifi_a, &p), TC_OK);
	n = pkt_arp(b);
	T_VERDICT(tb_run(t, FROM, ifi_a, b, n), TC_OK);
	n = frame_ethertype(b, 0x88b5);		/* local experimental */
	T_VERDICT(tb_run(t, FROM, ifi_a, b, n), TC_SHOT);
	T_EQ(tb_drops(t, TCSEG_DROP_NON_IPV4), 1);
	/* IPv6 is IP: counted as neither non-IP nor dropped */
	T_EQ(tb_stat(t, TCSEG_STAT_NON_IPV4), 2);
	return 0;
}

static int test_ipv6_non_ip_passes_by_default(struct tb *t)
{
	uint8_t b[PKT_MAX];
	size_t n = frame_ethertype(b, 0x88b5);

	T_OK(deny_all(t));
	T_VERDICT(tb_run(t, FROM, ifi_a, b, n), TC_OK);
	T_VERDICT(tb_run(t, TO, ifi_a, b, n), TC_OK);
	T_EQ(tb_stat(t, TCSEG_STAT_NON_IPV4), 2);
	return 0;
}

/* --- per-flow machinery --------------------------------------------- */

static int test_ipv6_tcp_close_and_blind_rst(struct tb *t)
{
	struct pkt6_spec rst;
	struct tcseg_session s;
	struct flow6 f;

	f6_make(&f, ifi_a, FROM, POD6, 40000, PEER6, 80);
	T_OK(f6_handshake(t, &f));
	rst = f.s;
	memcpy(rst.saddr, f.s.daddr, 16);
	memcpy(rst.daddr, f.s.saddr, 16);
	rst.sport = 80;
	rst.dport = 40000;
	rst.tcp_flags = PKT_RST;
	rst.seq = f.rseq + 0x40000000;
	T_VERDICT(tb_send6(t, TO, ifi_a, &rst), TC_SHOT);
	T_EQ(tb_drops(t, TCSEG_DROP_RST_WINDOW), 1);
	T_VERDICT(f6_send(t, &f, 1, PKT_FIN | PKT_ACK, 0), TC_OK);
	T_VERDICT(f6_send(t, &f, 0, PKT_FIN | PKT_ACK, 0), TC_OK);
	T_VERDICT(f6_send(t, &f, 1, PKT_ACK, 0), TC_OK);
	T_OK(tb_sess6(t, ifi_a, &f.s, &s));
	T_STATE(s, TCSEG_TCP_TIME_WAIT);
	return 0;
}

static int test_ipv6_syn_guard_and_quota(struct tb *t)
{
	struct pkt6_spec p = tcp6_spec(POD6, 40000, PEER6, 80, PKT_SYN);
	struct tcseg_pressure pr;
	int i;

	t->cfg.syn_limit = 2;
	T_OK(tb_cfg_write(t));
	for (i = 0; i < 2; i++) {
		p.sport = 40000 + i;
		T_VERDICT(tb_send6(t, FROM, ifi_a, &p), TC_OK);
	}
	p.sport = 40002;
	T_VERDICT(tb_send6(t, FROM, ifi_a, &p), TC_SHOT);
	T_EQ(tb_drops(t, TCSEG_DROP_SYN_FLOOD), 1);
	T_OK(tb_pressure(t, &pr));
	T_EQ(pr.total_sessions, 2);

	t->cfg.syn_limit = 0;
	t->cfg.session_quota = 3;
	T_OK(tb_cfg_write(t));
	p = udp6_spec(POD6, 5000, PEER6, 53);
	T_VERDICT(tb_send6(t, FROM, ifi_a, &p), TC_OK);
	p.sport = 5001;
	T_VERDICT(tb_send6(t, FROM, ifi_a, &p), TC_SHOT);
	T_EQ(tb_drops(t, TCSEG_DROP_QUOTA), 1);
	return 0;
}

static int test_ipv6_encrypt_drops_unsecured_payload(struct tb *t)
{
	struct tb_rule r = { .dst = PEER6 "/128", .action = TCSEG_ACT_ENCRYPT,
			     .id = 7 };
	struct pkt6_spec u = udp6_spec(POD6, 5000, PEER6, 53);
	struct flow6 f;

	T_OK(tb_rule6(t, &r));
	f6_make(&f, ifi_a, FROM, POD6, 40000, PEER6, 443);
	T_OK(f6_handshake(t, &f));
	T_VERDICT(f6_send(t, &f, 1, PKT_ACK | PKT_PSH, 100), TC_SHOT);
	T_VERDICT(f6_send(t, &f, 0, PKT_ACK | PKT_PSH, 100), TC_SHOT);
	T_VERDICT(tb_send6(t, FROM, ifi_a, &u), TC_SHOT);
	T_EQ(tb_drops(t, TCSEG_DROP_UNSECURED), 3);
	tb_events(t);
	T_EQ(t->nev, 1);
	T_EQ(t->ev[0].type, TCSEG_EV_FLOW_ENCRYPT);
	T_EQ(t->ev[0].family, TCSEG_FAMILY_V6);
	T_ASSERT(!memcmp(&t->ev[0].daddr, f.s.daddr, 16), "event daddr");
	return 0;
}

static int test_ipv6_audit_and_log_events(struct tb *t)
{
	struct tb_rule audit = { .dst = PEER6 "/128", .proto = IPPROTO_UDP,
				 .action = TCSEG_ACT_DENY, .id = 3,
				 .flags = TCSEG_RULE_F_AUDIT };
	struct tb_rule log = { .dst = OTHER6 "/128", .action = TCSEG_ACT_LOG,
			       .id = 4 };
	struct pkt6_spec p = udp6_spec(POD6, 5000, PEER6, 53);

	T_OK(tb_rule6(t, &audit));
	T_OK(tb_rule6(t, &log));
	T_VERDICT(tb_send6(t, FROM, ifi_a, &p), TC_OK);
	T_EQ(tb_stat(t, TCSEG_STAT_AUDIT_PASSES), 1);
	p = udp6_spec(POD6, 5000, OTHER6, 53);
	T_VERDICT(tb_send6(t, FROM, ifi_a, &p), TC_OK);
	tb_events(t);
	T_EQ(t->nev, 2);
	T_EQ(t->ev[0].type, TCSEG_EV_AUDIT);
	T_EQ(t->ev[0].policy_id, 3);
	T_EQ(t->ev[0].family, TCSEG_FAMILY_V6);
	T_ASSERT(!memcmp(&t->ev[0].saddr, p.saddr, 16), "audit saddr");
	T_EQ(t->ev[1].type, TCSEG_EV_FLOW_LOG);
	T_EQ(t->ev[1].policy_id, 4);
	T_ASSERT(!memcmp(&t->ev[1].daddr, p.daddr, 16), "log daddr");
	return 0;
}

const struct tb_case cases_ipv6[] = {
	TB_CASE(ipv6_tcp_cidr_rule_allows_only_its_port),
	TB_CASE(ipv6_cidr_prefix_and_deny_rule),
	TB_CASE(ipv6_exact_rule_udp),
	TB_CASE(ipv6_rule_does_not_match_ipv4_and_back),
	TB_CASE(ipv6_session_does_not_carry_ipv4),
	TB_CASE(ipv6_ext_hop_by_hop),
	TB_CASE(ipv6_ext_dest_options),
	TB_CASE(ipv6_ext_routing_no_segments_left),
	TB_CASE(ipv6_ext_auth),
	TB_CASE(ipv6_ext_atomic_fragment),
	TB_CASE(ipv6_ext_full_chain),
	TB_CASE(ipv6_ext_eight_headers),
	TB_CASE(ipv6_ext_chain_beyond_bound_dropped),
	TB_CASE(ipv6_ext_routing_segments_left_dropped),
	TB_CASE(ipv6_ext_hop_by_hop_not_first_malformed),
	TB_CASE(ipv6_ext_two_fragment_headers_malformed),
	TB_CASE(ipv6_malformed_payload_length_beyond_frame),
	TB_CASE(ipv6_malformed_version_not_6),
	TB_CASE(ipv6_malformed_truncated_tcp),
	TB_CASE(ipv6_malformed_ext_header_beyond_payload),
	TB_CASE(ipv6_malformed_truncated_icmpv6),
	TB_CASE(ipv6_fragments_follow_first),
	TB_CASE(ipv6_later_fragment_without_first_dropped),
	TB_CASE(ipv6_later_fragment_of_denied_flow_dropped),
	TB_CASE(ipv6_tcp_fragment_offset_1_malformed),
	TB_CASE(ipv6_icmpv6_echo_reply_rides_session),
	TB_CASE(ipv6_icmpv6_error_of_session_passes),
	TB_CASE(ipv6_icmpv6_error_to_other_host_judged_by_policy),
	TB_CASE(ipv6_icmpv6_error_beyond_1280_judged_by_policy),
	TB_CASE(ipv6_icmpv6_error_not_session_of_this_veth),
	TB_CASE(ipv6_ndp_passes_unbound_under_default_deny),
	TB_CASE(ipv6_ndp_bound_pod_claims_only_its_addresses),
	TB_CASE(ipv6_ndp_link_local_free_until_one_is_bound),
	TB_CASE(ipv6_ndp_router_messages_from_bound_pod_dropped),
	TB_CASE(ipv6_mld_report_passes_as_link_control),
	TB_CASE(ipv6_ndp_hop_limit_not_255_judged_by_policy),
	TB_CASE(ipv6_v4_mapped_dropped),
	TB_CASE(ipv6_spoofed_source_from_bound_pod_dropped),
	TB_CASE(ipv6_pod_sending_peer_half_of_session_dropped),
	TB_CASE(ipv6_forged_reply_to_flooded_packet_dropped),
	TB_CASE(ipv6_drop_non_ip_keeps_ipv6_and_arp),
	TB_CASE(ipv6_non_ip_passes_by_default),
	TB_CASE(ipv6_tcp_close_and_blind_rst),
	TB_CASE(ipv6_syn_guard_and_quota),
	TB_CASE(ipv6_encrypt_drops_unsecured_payload),
	TB_CASE(ipv6_audit_and_log_events),
	TB_END,
};
