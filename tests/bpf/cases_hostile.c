// SPDX-License-Identifier: GPL-2.0
/*
 * Hostile-pod cases: address binding (spoofed IPv4 sources, forged
 * session directions, ARP), ICMP errors used as a tunnel, and encrypt
 * rules meeting non-TCP traffic. Each attack sits beside the legitimate
 * packet it imitates (docs/SECURITY.md maps them to the defences).
 */
#include "harness.h"

#define OTHER	"10.0.1.7"	/* another pod's address */
#define ROUTER	"10.0.9.1"
#define OFFNET	"10.0.9.9"	/* a host off the pods' veths */
#define SPORT	40000

static const char *const pod_addrs[] = { POD, "10.0.1.8" };

/* ifi_a is the pod's veth with POD (and 10.0.1.8) bound. */
static int bind_pod(struct tb *t)
{
	return tb_dev_bind(t, ifi_a, pod_addrs, 2);
}

static int set_default(struct tb *t, __u8 action)
{
	t->cfg.default_action = action;
	return tb_cfg_write(t);
}

static int test_spoofed_udp_from_bound_pod_dropped(struct tb *t)
{
	struct pkt_spec spoof = udp_spec(OTHER, SPORT, PEER, 5000);
	struct pkt_spec own = udp_spec(POD, SPORT, PEER, 5000);
	struct pkt_spec second = udp_spec("10.0.1.8", SPORT, PEER, 5000);

	T_OK(bind_pod(t));
	T_VERDICT(tb_send(t, FROM, ifi_a, &spoof), TC_SHOT);
	T_EQ(tb_drops(t, TCSEG_DROP_SPOOFED), 1);
	T_EQ(tb_nsess(t), 0);
	T_VERDICT(tb_send(t, FROM, ifi_a, &own), TC_OK);
	T_VERDICT(tb_send(t, FROM, ifi_a, &second), TC_OK);
	T_EQ(tb_nsess(t), 2);
	/* the pod's own sessions do not vouch for another source */
	T_VERDICT(tb_send(t, FROM, ifi_a, &spoof), TC_SHOT);
	T_EQ(tb_drops(t, TCSEG_DROP_SPOOFED), 2);
	/* packets to the pod are not source-checked: they are not the pod's */
	spoof.saddr = pkt_ip(PEER);
	spoof.daddr = pkt_ip(POD);
	T_VERDICT(tb_send(t, TO, ifi_a, &spoof), TC_OK);
	return 0;
}

static int test_spoofed_tcp_from_bound_pod_dropped(struct tb *t)
{
	struct pkt_spec syn = tcp_spec(OTHER, SPORT, PEER, 80, PKT_SYN);
	struct pkt_spec rst = tcp_spec(OTHER, SPORT, PEER, 80, PKT_RST);
	struct tcpflow f;

	T_OK(bind_pod(t));
	T_VERDICT(tb_send(t, FROM, ifi_a, &syn), TC_SHOT);
	/* a lone RST passes untracked when genuine; spoofed, it does not */
	T_VERDICT(tb_send(t, FROM, ifi_a, &rst), TC_SHOT);
	T_EQ(tb_drops(t, TCSEG_DROP_SPOOFED), 2);
	T_EQ(tb_nsess(t), 0);
	tf_make(&f, ifi_a, FROM, POD, SPORT, PEER, 80);
	T_OK(tf_handshake(t, &f));
	T_VERDICT(tf_send(t, &f, 1, PKT_ACK | PKT_PSH, 100), TC_OK);
	T_VERDICT(tf_send(t, &f, 0, PKT_ACK | PKT_PSH, 100), TC_OK);
	T_EQ(tb_drops(t, TCSEG_DROP_SPOOFED), 2);
	return 0;
}

static int test_spoofed_icmp_error_source_dropped(struct tb *t)
{
	struct pkt_spec q = udp_spec(PEER, 53, OTHER, SPORT);
	uint8_t b[PKT_MAX];
	size_t n;

	T_OK(bind_pod(t));
	n = pkt_icmp_error(b, pkt_ip(OTHER), pkt_ip(PEER), 3, 3, &q);
	T_VERDICT(tb_run(t, FROM, ifi_a, b, n), TC_SHOT);
	T_EQ(tb_drops(t, TCSEG_DROP_SPOOFED), 1);
	return 0;
}

/* No addresses bound: no source check (docs/SECURITY.md states the risk). */
static int test_unbound_device_not_checked(struct tb *t)
{
	struct pkt_spec spoof = udp_spec(OTHER, SPORT, PEER, 5000);
	uint8_t b[PKT_MAX];
	size_t n;

	/* binding one pod's veth leaves the others alone */
	T_OK(tb_dev_bind(t, ifi_b, pod_addrs, 2));
	T_VERDICT(tb_send(t, FROM, ifi_a, &spoof), TC_OK);
	n = pkt_arp_ip(b, 2, pkt_ip(OTHER), pkt_ip(PEER));
	T_VERDICT(tb_run(t, FROM, ifi_a, b, n), TC_OK);
	T_EQ(tb_drops(t, TCSEG_DROP_SPOOFED), 0);
	return 0;
}

/*
 * The session records the pod's side when it is made: a packet from the
 * pod to pod OTHER's address flooded here, from PEER, gets none on this
 * bound veth, so the pod cannot answer it in OTHER's name; a packet to
 * the pod's own address does.
 */
static int test_forged_reply_to_flooded_packet_dropped(struct tb *t)
{
	struct pkt_spec flooded = udp_spec(PEER, 53, OTHER, SPORT);
	struct pkt_spec forged = udp_spec(OTHER, SPORT, PEER, 53);
	struct pkt_spec to_pod = udp_spec(PEER, 53, POD, SPORT);
	struct pkt_spec reply = udp_spec(POD, SPORT, PEER, 53);
	__u16 sides = TCSEG_SESS_F_POD_LO | TCSEG_SESS_F_POD_HI;
	struct tcseg_session s;

	T_OK(bind_pod(t));
	T_VERDICT(tb_send(t, TO, ifi_a, &flooded), TC_OK);
	T_OK(tb_sess(t, ifi_a, &flooded, &s));
	T_EQ(s.flags & sides, 0);
	T_VERDICT(tb_send(t, FROM, ifi_a, &forged), TC_SHOT);
	T_EQ(tb_drops(t, TCSEG_DROP_SPOOFED), 1);
	T_VERDICT(tb_send(t, TO, ifi_a, &to_pod), TC_OK);
	T_OK(tb_sess(t, ifi_a, &to_pod, &s));
	/* POD (10.0.1.2) < PEER (10.0.2.3): the pod is the lo endpoint */
	T_EQ(s.flags & sides, TCSEG_SESS_F_POD_LO);
	T_VERDICT(tb_send(t, FROM, ifi_a, &reply), TC_OK);
	T_EQ(tb_drops(t, TCSEG_DROP_SPOOFED), 1);
	return 0;
}

/*
 * On a session hit the device's address list is not read: one compare
 * of the packet's side with the pod's side. The pod sending the peer's
 * half of its own connection (to inject into it, or to forge its
 * replies) is dropped, bound or not.
 */
static int test_pod_sending_peer_half_of_session_dropped(struct tb *t)
{
	struct pkt_spec fake;
	struct tcseg_session s;
	struct tcpflow f;

	tf_make(&f, ifi_a, FROM, POD, SPORT, PEER, 80);
	T_OK(tf_handshake(t, &f));
	T_OK(tf_sess(t, &f, &s));
	T_EQ(s.flags & (TCSEG_SESS_F_POD_LO | TCSEG_SESS_F_POD_HI),
	     TCSEG_SESS_F_POD_LO);
	tf_spec(&f, 0, &fake);
	fake.tcp_flags = PKT_ACK | PKT_PSH;
	fake.seq = f.rseq;
	fake.ack = f.iseq;
	fake.payload = 100;
	T_VERDICT(tb_send(t, FROM, ifi_a, &fake), TC_SHOT);
	T_EQ(tb_drops(t, TCSEG_DROP_SPOOFED), 1);
	T_VERDICT(tf_send(t, &f, 0, PKT_ACK | PKT_PSH, 100), TC_OK);
	T_VERDICT(tf_send(t, &f, 1, PKT_ACK, 0), TC_OK);
	return 0;
}

static int test_arp_from_bound_pod_must_claim_its_address(struct tb *t)
{
	uint8_t b[PKT_MAX];
	size_t n;

	T_OK(bind_pod(t));
	/* "OTHER is at my MAC", as a reply and as a gratuitous request */
	n = pkt_arp_ip(b, 2, pkt_ip(OTHER), pkt_ip(PEER));
	T_VERDICT(tb_run(t, FROM, ifi_a, b, n), TC_SHOT);
	n = pkt_arp_ip(b, 1, pkt_ip(OTHER), pkt_ip(OTHER));
	T_VERDICT(tb_run(t, FROM, ifi_a, b, n), TC_SHOT);
	T_EQ(tb_drops(t, TCSEG_DROP_SPOOFED), 2);
	/* its own addresses: request, reply, gratuitous announcement */
	n = pkt_arp_ip(b, 1, pkt_ip(POD), pkt_ip(PEER));
	T_VERDICT(tb_run(t, FROM, ifi_a, b, n), TC_OK);
	n = pkt_arp_ip(b, 2, pkt_ip("10.0.1.8"), pkt_ip(PEER));
	T_VERDICT(tb_run(t, FROM, ifi_a, b, n), TC_OK);
	n = pkt_arp_ip(b, 1, pkt_ip(POD), pkt_ip(POD));
	T_VERDICT(tb_run(t, FROM, ifi_a, b, n), TC_OK);
	/* a duplicate address probe (RFC 5227) claims nothing */
	n = pkt_arp_ip(b, 1, 0, pkt_ip(OTHER));
	T_VERDICT(tb_run(t, FROM, ifi_a, b, n), TC_OK);
	/* ARP to the pod is not the pod's claim */
	n = pkt_arp_ip(b, 2, pkt_ip(OTHER), pkt_ip(POD));
	T_VERDICT(tb_run(t, TO, ifi_a, b, n), TC_OK);
	T_EQ(tb_drops(t, TCSEG_DROP_SPOOFED), 2);
	/* cut before the sender address, or not IPv4: nothing to check */
	n = pkt_arp_ip(b, 2, pkt_ip(OTHER), pkt_ip(PEER));
	T_VERDICT(tb_run(t, FROM, ifi_a, b, PKT_ETH_HLEN + 16), TC_SHOT);
	b[PKT_ETH_HLEN + 2] = 0x86;	/* ptype 0x86dd */
	b[PKT_ETH_HLEN + 3] = 0xdd;
	T_VERDICT(tb_run(t, FROM, ifi_a, b, n), TC_SHOT);
	T_EQ(tb_drops(t, TCSEG_DROP_MALFORMED), 2);
	return 0;
}

/*
 * ICMP errors: default deny, DNS from the pod to PEER allowed, one live
 * DNS session (POD:40000 <-> PEER:53) on the pod's bound veth.
 */
static int icmp_setup(struct tb *t, struct pkt_spec *query,
		      struct pkt_spec *answer)
{
	struct tb_rule dns = { .src = POD "/32", .dst = PEER "/32",
			       .proto = IPPROTO_UDP, .dport = 53,
			       .action = TCSEG_ACT_ALLOW, .id = 1 };

	*query = udp_spec(POD, SPORT, PEER, 53);
	*answer = udp_spec(PEER, 53, POD, SPORT);
	if (set_default(t, TCSEG_ACT_DENY) || tb_rule(t, &dns) || bind_pod(t))
		return -1;
	if (tb_send(t, FROM, ifi_a, query) != TC_OK ||
	    tb_send(t, TO, ifi_a, answer) != TC_OK)
		return -1;
	return 0;
}

/* IP length of an error built with pkt_icmp_error_len(..., extra). */
#define ICMP_ERR_IP_LEN(extra)	(20 + 8 + 20 + 8 + (extra))

static int test_icmp_error_of_session_passes(struct tb *t)
{
	struct pkt_spec query, answer;
	uint8_t b[PKT_MAX];
	size_t n;

	T_OK(icmp_setup(t, &query, &answer));
	/* the pod's port unreachable back to PEER about its answer */
	n = pkt_icmp_error(b, pkt_ip(POD), pkt_ip(PEER), 3, 3, &answer);
	T_VERDICT(tb_run(t, FROM, ifi_a, b, n), TC_OK);
	/* a router's unreachable back to the pod about its query */
	n = pkt_icmp_error(b, pkt_ip(ROUTER), pkt_ip(POD), 3, 1, &query);
	T_VERDICT(tb_run(t, TO, ifi_a, b, n), TC_OK);
	/* as long as RFC 1812 allows: 576 bytes of IP */
	n = pkt_icmp_error_len(b, pkt_ip(POD), pkt_ip(PEER), 3, 3, &answer,
			       576 - ICMP_ERR_IP_LEN(0));
	T_EQ(n, PKT_ETH_HLEN + 576);
	T_VERDICT(tb_run(t, FROM, ifi_a, b, n), TC_OK);
	T_EQ(tb_stat(t, TCSEG_STAT_ICMP_RELATED), 3);
	T_EQ(tb_stat(t, TCSEG_STAT_ICMP_UNRELATED), 0);
	return 0;
}

/* Port unreachable @from -> @to quoting @q, @extra bytes longer: verdict. */
static int icmp_err_run(struct tb *t, int dir, __u32 ifindex,
			const char *from, const char *to,
			const struct pkt_spec *q, size_t extra)
{
	uint8_t b[PKT_MAX];
	size_t n;

	n = pkt_icmp_error_len(b, pkt_ip(from), pkt_ip(to), 3, 3, q, extra);
	return tb_run(t, dir, ifindex, b, n);
}

/*
 * That error, sent @dir on @ifindex, is not related: judged by policy
 * and, under icmp_setup()'s default deny, dropped.
 */
static int unrelated_dropped(struct tb *t, int dir, __u32 ifindex,
			     const char *from, const char *to,
			     const struct pkt_spec *q, size_t extra)
{
	__u64 unrelated = tb_stat(t, TCSEG_STAT_ICMP_UNRELATED);
	__u64 denied = tb_drops(t, TCSEG_DROP_GLOBAL_DEFAULT);

	T_VERDICT(icmp_err_run(t, dir, ifindex, from, to, q, extra), TC_SHOT);
	T_EQ(tb_stat(t, TCSEG_STAT_ICMP_UNRELATED), unrelated + 1);
	T_EQ(tb_drops(t, TCSEG_DROP_GLOBAL_DEFAULT), denied + 1);
	T_EQ(tb_stat(t, TCSEG_STAT_ICMP_RELATED), 0);
	return 0;
}

/* The tunnel: 1000 bytes to a host the policy denies. */
static int test_icmp_error_to_other_host_judged_by_policy(struct tb *t)
{
	struct tb_rule icmp = { .src = POD "/32", .dst = OFFNET "/32",
				.proto = IPPROTO_ICMP,
				.action = TCSEG_ACT_ALLOW, .id = 2 };
	struct pkt_spec query, answer;

	T_OK(icmp_setup(t, &query, &answer));
	T_OK(unrelated_dropped(t, FROM, ifi_a, POD, OFFNET, &answer, 1000));
	T_OK(unrelated_dropped(t, FROM, ifi_a, POD, OFFNET, &answer, 0));
	/* judged as ICMP, a rule may still allow it */
	T_OK(tb_rule(t, &icmp));
	T_VERDICT(icmp_err_run(t, FROM, ifi_a, POD, OFFNET, &answer, 0), TC_OK);
	T_EQ(tb_stat(t, TCSEG_STAT_ICMP_RELATED), 0);
	return 0;
}

static int test_icmp_error_longer_than_576_judged_by_policy(struct tb *t)
{
	struct pkt_spec query, answer;

	T_OK(icmp_setup(t, &query, &answer));
	T_OK(unrelated_dropped(t, FROM, ifi_a, POD, PEER, &answer,
			       577 - ICMP_ERR_IP_LEN(0)));
	T_OK(unrelated_dropped(t, FROM, ifi_a, POD, PEER, &answer, 1000));
	return 0;
}

/* The same error is related on the pod's veth, not on pod b's. */
static int test_icmp_error_quote_not_session_of_this_veth(struct tb *t)
{
	struct pkt_spec query, answer;

	T_OK(icmp_setup(t, &query, &answer));
	T_OK(unrelated_dropped(t, FROM, ifi_b, POD, PEER, &answer, 0));
	T_VERDICT(icmp_err_run(t, FROM, ifi_a, POD, PEER, &answer, 0), TC_OK);
	T_EQ(tb_stat(t, TCSEG_STAT_ICMP_RELATED), 1);
	return 0;
}

/*
 * The quoted packet must have crossed this veth the other way: an error
 * to the pod quotes what the pod sent, an error from the pod what it
 * received. Here an error sent towards PEER over the pod's veth quotes
 * PEER's answer (which came to the pod, the same way).
 */
static int test_icmp_error_wrong_direction_judged_by_policy(struct tb *t)
{
	struct pkt_spec query, answer;

	T_OK(icmp_setup(t, &query, &answer));
	return unrelated_dropped(t, TO, ifi_a, ROUTER, PEER, &answer, 0);
}

/*
 * A flow flooded to the bound pod for another address gives the pod no
 * side in it: its errors about that flow are not related either.
 */
static int test_icmp_error_about_flooded_flow_judged_by_policy(struct tb *t)
{
	struct tb_rule to_other = { .src = PEER "/32", .dst = OTHER "/32",
				    .proto = IPPROTO_UDP,
				    .action = TCSEG_ACT_ALLOW, .id = 3 };
	struct pkt_spec flooded = udp_spec(PEER, 53, OTHER, SPORT);
	struct pkt_spec query, answer;

	T_OK(icmp_setup(t, &query, &answer));
	T_OK(tb_rule(t, &to_other));
	T_VERDICT(tb_send(t, TO, ifi_a, &flooded), TC_OK);
	return unrelated_dropped(t, FROM, ifi_a, POD, PEER, &flooded, 0);
}

/* encrypt with proto any: TCP is encrypted, nothing else leaves. */
static int test_encrypt_any_drops_non_tcp(struct tb *t)
{
	struct tb_rule enc = { .src = POD "/32", .dst = PEER "/32",
			       .action = TCSEG_ACT_ENCRYPT, .id = 4 };
	struct pkt_spec udp = udp_spec(POD, SPORT, PEER, 5000);
	struct pkt_spec ping = icmp_spec(POD, PEER, 8, 7);
	struct pkt_spec other = udp;
	struct tcseg_session s;
	uint8_t b[PKT_MAX];
	struct tcpflow f;
	size_t n;

	other.proto = IPPROTO_GRE;
	T_OK(tb_rule(t, &enc));
	T_VERDICT(tb_send(t, FROM, ifi_a, &udp), TC_SHOT);
	T_VERDICT(tb_send(t, FROM, ifi_a, &ping), TC_SHOT);
	T_VERDICT(tb_send(t, FROM, ifi_a, &other), TC_SHOT);
	/* an ICMP error of no session is ICMP like the ping */
	n = pkt_icmp_error_len(b, pkt_ip(POD), pkt_ip(PEER), 3, 3, &udp, 200);
	T_VERDICT(tb_run(t, FROM, ifi_a, b, n), TC_SHOT);
	T_EQ(tb_drops(t, TCSEG_DROP_UNSECURED), 4);
	T_EQ(tb_nsess(t), 0);
	tf_make(&f, ifi_a, FROM, POD, SPORT, PEER, 443);
	T_OK(tf_handshake(t, &f));
	T_OK(tf_sess(t, &f, &s));
	T_ASSERT(s.flags & TCSEG_SESS_F_ENCRYPT, "flags 0x%x", s.flags);
	return 0;
}

/* Live UDP and ICMP sessions whose rule turns into encrypt stop at once. */
static int test_encrypt_rule_change_stops_live_non_tcp(struct tb *t)
{
	struct tb_rule r = { .src = POD "/32", .dst = PEER "/32",
			     .action = TCSEG_ACT_ALLOW, .id = 4 };
	struct pkt_spec udp = udp_spec(POD, SPORT, PEER, 5000);
	struct pkt_spec back = udp_spec(PEER, 5000, POD, SPORT);
	struct pkt_spec ping = icmp_spec(POD, PEER, 8, 7);
	struct pkt_spec pong = icmp_spec(PEER, POD, 0, 7);

	T_OK(tb_rule(t, &r));
	T_VERDICT(tb_send(t, FROM, ifi_a, &udp), TC_OK);
	T_VERDICT(tb_send(t, FROM, ifi_a, &ping), TC_OK);
	r.action = TCSEG_ACT_ENCRYPT;
	T_OK(tb_rule(t, &r));
	t->cfg.policy_version++;
	T_OK(tb_cfg_write(t));
	T_VERDICT(tb_send(t, FROM, ifi_a, &udp), TC_SHOT);
	T_VERDICT(tb_send(t, TO, ifi_a, &back), TC_SHOT);
	/* echo carries no payload the parser counts: dropped all the same */
	T_VERDICT(tb_send(t, FROM, ifi_a, &ping), TC_SHOT);
	T_VERDICT(tb_send(t, TO, ifi_a, &pong), TC_SHOT);
	T_EQ(tb_drops(t, TCSEG_DROP_UNSECURED), 4);
	return 0;
}

const struct tb_case cases_hostile[] = {
	TB_CASE(spoofed_udp_from_bound_pod_dropped),
	TB_CASE(spoofed_tcp_from_bound_pod_dropped),
	TB_CASE(spoofed_icmp_error_source_dropped),
	TB_CASE(unbound_device_not_checked),
	TB_CASE(forged_reply_to_flooded_packet_dropped),
	TB_CASE(pod_sending_peer_half_of_session_dropped),
	TB_CASE(arp_from_bound_pod_must_claim_its_address),
	TB_CASE(icmp_error_of_session_passes),
	TB_CASE(icmp_error_to_other_host_judged_by_policy),
	TB_CASE(icmp_error_longer_than_576_judged_by_policy),
	TB_CASE(icmp_error_quote_not_session_of_this_veth),
	TB_CASE(icmp_error_wrong_direction_judged_by_policy),
	TB_CASE(icmp_error_about_flooded_flow_judged_by_policy),
	TB_CASE(encrypt_any_drops_non_tcp),
	TB_CASE(encrypt_rule_change_stops_live_non_tcp),
	TB_END,
};
