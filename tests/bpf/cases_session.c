// SPDX-License-Identifier: GPL-2.0
/*
 * Session cases: one session per flow and device shared by both
 * directions, UDP and ICMP echo sessions, the TCP state machine from both
 * ends (handshake, every close order, RST, invalid transitions, strict
 * mode), fragments and ICMP errors.
 */
#include <errno.h>
#include "harness.h"

static int test_new_tcp_flow_creates_one_session(struct tb *t)
{
	struct pkt_spec p = tcp_spec(POD, 40000, PEER, 80, PKT_SYN);
	struct tcseg_pressure pr;
	struct tcseg_session s;
	uint8_t b[PKT_MAX];
	size_t n = pkt_build(b, &p);

	T_VERDICT(tb_run(t, FROM, ifi_a, b, n), TC_OK);
	T_EQ(tb_nsess(t), 1);
	T_OK(tb_sess(t, ifi_a, &p, &s));
	T_STATE(s, TCSEG_TCP_SYN_SENT);
	T_EQ(s.packets, 1);
	T_EQ(s.bytes, n);
	T_EQ(s.seq_init, 1000);
	T_EQ(s.policy_version, 1);
	T_EQ(s.flags & TCSEG_SESS_F_INIT_HI, 0);	/* POD is the lo end */
	/* created_ns: the session's id (lib/clock.h); last_seen_ns: coarse */
	T_ASSERT(s.created_ns && s.last_seen_ns, "bad timestamps");
	T_EQ(tb_stat(t, TCSEG_STAT_NEW_SESSIONS), 1);
	T_OK(tb_pressure(t, &pr));
	T_EQ(pr.total_sessions, 1);
	return 0;
}

static int test_reply_direction_hits_same_session(struct tb *t)
{
	struct tcseg_session s;
	struct tcpflow f;

	tf_make(&f, ifi_a, FROM, POD, 40000, PEER, 80);
	T_VERDICT(tf_send(t, &f, 1, PKT_SYN, 0), TC_OK);
	T_VERDICT(tf_send(t, &f, 0, PKT_SYN | PKT_ACK, 0), TC_OK);
	T_EQ(tb_nsess(t), 1);
	T_EQ(tb_stat(t, TCSEG_STAT_SESSION_HITS), 1);
	T_EQ(tb_stat(t, TCSEG_STAT_NEW_SESSIONS), 1);
	T_EQ(tb_stat(t, TCSEG_STAT_POLICY_LOOKUPS), 1);
	T_OK(tf_sess(t, &f, &s));
	T_EQ(s.packets, 2);
	T_STATE(s, TCSEG_TCP_SYN_RECV);
	T_EQ(s.ack_init, 500000);	/* the responder's ISN */
	return 0;
}

/* Default deny, one outbound rule: replies pass only through the session. */
static int test_reply_allowed_by_session_under_default_deny(struct tb *t)
{
	struct tb_rule r = { .src = POD "/32", .dst = PEER "/32",
			     .proto = IPPROTO_TCP, .dport = 80,
			     .action = TCSEG_ACT_ALLOW, .id = 1 };
	struct pkt_spec in = tcp_spec(PEER, 80, POD, 40001, PKT_SYN);
	struct tcpflow f;

	t->cfg.default_action = TCSEG_ACT_DENY;
	T_OK(tb_cfg_write(t));
	T_OK(tb_rule(t, &r));
	tf_make(&f, ifi_a, FROM, POD, 40000, PEER, 80);
	T_OK(tf_handshake(t, &f));
	T_VERDICT(tf_send(t, &f, 0, PKT_ACK | PKT_PSH, 500), TC_OK);
	/* the same ports opened from the other side: no rule allows it */
	T_VERDICT(tb_send(t, TO, ifi_a, &in), TC_SHOT);
	T_EQ(tb_drops(t, TCSEG_DROP_GLOBAL_DEFAULT), 1);
	return 0;
}

/* Each device keeps its own view of a flow. */
static int test_session_scoped_to_device(struct tb *t)
{
	struct pkt_spec p = udp_spec(POD, 5000, PEER, 53);
	struct tcseg_session s;

	T_VERDICT(tb_send(t, FROM, ifi_a, &p), TC_OK);
	T_VERDICT(tb_send(t, TO, ifi_b, &p), TC_OK);
	T_EQ(tb_nsess(t), 2);
	T_OK(tb_sess(t, ifi_a, &p, &s));
	T_OK(tb_sess(t, ifi_b, &p, &s));
	T_EQ(tb_stat(t, TCSEG_STAT_SESSION_HITS), 0);
	return 0;
}

static int test_denied_flow_creates_no_session(struct tb *t)
{
	struct pkt_spec p = tcp_spec(POD, 40000, PEER, 80, PKT_SYN);
	struct tcseg_pressure pr;

	t->cfg.default_action = TCSEG_ACT_DENY;
	T_OK(tb_cfg_write(t));
	T_VERDICT(tb_send(t, FROM, ifi_a, &p), TC_SHOT);
	T_VERDICT(tb_send(t, FROM, ifi_a, &p), TC_SHOT);
	T_EQ(tb_nsess(t), 0);
	T_EQ(tb_stat(t, TCSEG_STAT_NEW_SESSIONS), 0);
	T_EQ(tb_stat(t, TCSEG_STAT_POLICY_LOOKUPS), 2);
	T_OK(tb_pressure(t, &pr));
	T_EQ(pr.total_sessions, 0);
	return 0;
}

static int test_udp_session_both_directions(struct tb *t)
{
	struct pkt_spec q = udp_spec(POD, 5000, PEER, 53);
	struct pkt_spec r = udp_spec(PEER, 53, POD, 5000);
	struct tcseg_session s;

	T_VERDICT(tb_send(t, FROM, ifi_a, &q), TC_OK);
	T_VERDICT(tb_send(t, TO, ifi_a, &r), TC_OK);
	T_VERDICT(tb_send(t, TO, ifi_a, &r), TC_OK);
	T_EQ(tb_nsess(t), 1);
	T_OK(tb_sess(t, ifi_a, &r, &s));
	T_EQ(s.packets, 3);
	T_STATE(s, TCSEG_TCP_NONE);
	T_EQ(tb_stat(t, TCSEG_STAT_SESSION_HITS), 2);
	return 0;
}

static int test_icmp_echo_reply_hits_request_session(struct tb *t)
{
	struct tb_rule r = { .src = POD "/32", .dst = PEER "/32",
			     .proto = IPPROTO_ICMP, .action = TCSEG_ACT_ALLOW,
			     .id = 1 };
	struct pkt_spec req = icmp_spec(POD, PEER, 8, 77);
	struct pkt_spec rep = icmp_spec(PEER, POD, 0, 77);
	struct pkt_spec other = icmp_spec(PEER, POD, 8, 78);
	struct tcseg_session s;

	t->cfg.default_action = TCSEG_ACT_DENY;
	T_OK(tb_cfg_write(t));
	T_OK(tb_rule(t, &r));
	T_VERDICT(tb_send(t, FROM, ifi_a, &req), TC_OK);
	T_VERDICT(tb_send(t, TO, ifi_a, &rep), TC_OK);
	T_OK(tb_sess(t, ifi_a, &req, &s));
	T_EQ(s.packets, 2);
	T_EQ(tb_stat(t, TCSEG_STAT_SESSION_HITS), 1);
	T_VERDICT(tb_send(t, TO, ifi_a, &other), TC_SHOT);
	return 0;
}

/*
 * TCP both ways: the initiator is the pod or the peer, and its address
 * is the lower or the higher one (the session key's "lo" end).
 */
enum close_order { CLOSE_INIT_FIRST, CLOSE_RESP_FIRST, CLOSE_SIMULTANEOUS };

static void flow_for(struct tcpflow *f, int pod_inits, int init_lo)
{
	const char *init = init_lo ? "10.0.1.2" : "10.0.2.3";
	const char *resp = init_lo ? "10.0.2.3" : "10.0.1.2";

	tf_make(f, ifi_a, pod_inits ? FROM : TO, init, 40000, resp, 80);
}

static int expect_state(struct tb *t, struct tcpflow *f, int want)
{
	struct tcseg_session s;

	T_ASSERT(!tf_sess(t, f, &s), "no session, want state %s",
		 tb_state_name(want));
	T_STATE(s, want);
	return 0;
}

static int handshake_states(struct tb *t, struct tcpflow *f, int init_lo)
{
	struct tcseg_session s;

	T_VERDICT(tf_send(t, f, 1, PKT_SYN, 0), TC_OK);
	if (expect_state(t, f, TCSEG_TCP_SYN_SENT))
		return -1;
	T_VERDICT(tf_send(t, f, 0, PKT_SYN | PKT_ACK, 0), TC_OK);
	if (expect_state(t, f, TCSEG_TCP_SYN_RECV))
		return -1;
	T_VERDICT(tf_send(t, f, 1, PKT_ACK, 0), TC_OK);
	T_OK(tf_sess(t, f, &s));
	T_STATE(s, TCSEG_TCP_ESTABLISHED);
	T_EQ(!!(s.flags & TCSEG_SESS_F_INIT_HI), !init_lo);
	T_VERDICT(tf_send(t, f, 1, PKT_ACK | PKT_PSH, 100), TC_OK);
	T_VERDICT(tf_send(t, f, 0, PKT_ACK | PKT_PSH, 1000), TC_OK);
	T_VERDICT(tf_send(t, f, 1, PKT_ACK, 0), TC_OK);
	return expect_state(t, f, TCSEG_TCP_ESTABLISHED);
}

static int expect_closed(struct tb *t, struct tcpflow *f)
{
	struct tcseg_pressure pr;
	struct tcseg_session s;

	T_ASSERT(tf_sess(t, f, &s) == -ENOENT,
		 "session still there in state %s", tb_state_name(s.state));
	T_EQ(tb_stat(t, TCSEG_STAT_SESSIONS_CLOSED), 1);
	T_OK(tb_pressure(t, &pr));
	T_EQ(pr.total_sessions, 0);
	return 0;
}

/* Closed by FINs: TIME_WAIT keeps the session until its timeout. */
static int expect_time_wait(struct tb *t, struct tcpflow *f)
{
	struct tcseg_pressure pr;

	if (expect_state(t, f, TCSEG_TCP_TIME_WAIT))
		return -1;
	T_EQ(tb_stat(t, TCSEG_STAT_SESSIONS_CLOSED), 0);
	T_OK(tb_pressure(t, &pr));
	T_EQ(pr.total_sessions, 1);
	return 0;
}

static int tcp_close_check(struct tb *t, int pod_inits, int init_lo,
			   enum close_order order)
{
	int a = order == CLOSE_RESP_FIRST ? 0 : 1;	/* first closer */
	__u32 ack;
	struct tcpflow f;

	flow_for(&f, pod_inits, init_lo);
	if (handshake_states(t, &f, init_lo))
		return -1;
	if (order == CLOSE_SIMULTANEOUS) {
		/* the FINs cross: neither acknowledges the other */
		ack = f.iseq;
		T_VERDICT(tf_send(t, &f, 1, PKT_FIN | PKT_ACK, 0), TC_OK);
		if (expect_state(t, &f, TCSEG_TCP_FIN_WAIT1))
			return -1;
		T_VERDICT(tf_send_ack(t, &f, 0, PKT_FIN | PKT_ACK, 0, ack),
			  TC_OK);
		if (expect_state(t, &f, TCSEG_TCP_CLOSING))
			return -1;
		T_VERDICT(tf_send(t, &f, 1, PKT_ACK, 0), TC_OK);
		if (expect_state(t, &f, TCSEG_TCP_CLOSING))
			return -1;
		T_VERDICT(tf_send(t, &f, 0, PKT_ACK, 0), TC_OK);
	} else {
		T_VERDICT(tf_send(t, &f, a, PKT_FIN | PKT_ACK, 0), TC_OK);
		if (expect_state(t, &f, TCSEG_TCP_FIN_WAIT1))
			return -1;
		T_VERDICT(tf_send(t, &f, !a, PKT_ACK, 0), TC_OK);
		if (expect_state(t, &f, TCSEG_TCP_FIN_WAIT2))
			return -1;
		/* half-closed: the other end may still send data */
		T_VERDICT(tf_send(t, &f, !a, PKT_ACK | PKT_PSH, 50), TC_OK);
		T_VERDICT(tf_send(t, &f, a, PKT_ACK, 0), TC_OK);
		T_VERDICT(tf_send(t, &f, !a, PKT_FIN | PKT_ACK, 0), TC_OK);
		if (expect_state(t, &f, TCSEG_TCP_LAST_ACK))
			return -1;
		T_VERDICT(tf_send(t, &f, a, PKT_ACK, 0), TC_OK);
	}
	if (expect_time_wait(t, &f))
		return -1;
	T_EQ(tb_stat(t, TCSEG_STAT_INVALID_STATE_TRANS), 0);
	return 0;
}

#define CLOSE_CASE(name, pod, lo, order)				\
	static int test_##name(struct tb *t)				\
	{								\
		return tcp_close_check(t, pod, lo, order);		\
	}

CLOSE_CASE(tcp_close_initiator_first_pod_inits_lo, 1, 1, CLOSE_INIT_FIRST)
CLOSE_CASE(tcp_close_initiator_first_pod_inits_hi, 1, 0, CLOSE_INIT_FIRST)
CLOSE_CASE(tcp_close_initiator_first_peer_inits_lo, 0, 1, CLOSE_INIT_FIRST)
CLOSE_CASE(tcp_close_initiator_first_peer_inits_hi, 0, 0, CLOSE_INIT_FIRST)
CLOSE_CASE(tcp_close_responder_first_pod_inits_lo, 1, 1, CLOSE_RESP_FIRST)
CLOSE_CASE(tcp_close_responder_first_peer_inits_hi, 0, 0, CLOSE_RESP_FIRST)
CLOSE_CASE(tcp_simultaneous_close_pod_inits_hi, 1, 0, CLOSE_SIMULTANEOUS)
CLOSE_CASE(tcp_simultaneous_close_peer_inits_lo, 0, 1, CLOSE_SIMULTANEOUS)

/* The FIN is acknowledged only by an ack covering payload + 1. */
static int test_tcp_fin_ack_must_cover_fin(struct tb *t)
{
	struct tcpflow f;
	__u32 fin_seq;

	flow_for(&f, 1, 1);
	T_OK(tf_handshake(t, &f));
	fin_seq = f.iseq;
	T_VERDICT(tf_send(t, &f, 1, PKT_FIN | PKT_ACK | PKT_PSH, 20), TC_OK);
	T_VERDICT(tf_send_ack(t, &f, 0, PKT_ACK, 0, fin_seq + 20), TC_OK);
	if (expect_state(t, &f, TCSEG_TCP_FIN_WAIT1))
		return -1;
	T_VERDICT(tf_send_ack(t, &f, 0, PKT_ACK, 0, fin_seq + 21), TC_OK);
	return expect_state(t, &f, TCSEG_TCP_FIN_WAIT2);
}

static int test_tcp_rst_deletes_session(struct tb *t)
{
	struct tcpflow f;

	flow_for(&f, 0, 0);
	T_OK(tf_handshake(t, &f));
	T_VERDICT(tf_send(t, &f, 0, PKT_RST | PKT_ACK, 0), TC_OK);
	if (expect_closed(t, &f))
		return -1;
	/* a second RST finds no session: it passes untracked */
	T_VERDICT(tf_send(t, &f, 1, PKT_RST, 0), TC_OK);
	T_EQ(tb_stat(t, TCSEG_STAT_UNTRACKED_PASSES), 1);
	T_EQ(tb_nsess(t), 0);
	return 0;
}

static int test_tcp_rst_in_syn_sent_deletes_session(struct tb *t)
{
	struct tcpflow f;

	flow_for(&f, 1, 1);
	T_VERDICT(tf_send(t, &f, 1, PKT_SYN, 0), TC_OK);
	T_VERDICT(tf_send(t, &f, 0, PKT_RST | PKT_ACK, 0), TC_OK);
	return expect_closed(t, &f);
}

static int test_tcp_rst_without_session_passes_untracked(struct tb *t)
{
	struct pkt_spec p = tcp_spec(PEER, 80, POD, 40000, PKT_RST | PKT_ACK);

	T_VERDICT(tb_send(t, TO, ifi_a, &p), TC_OK);
	p.tcp_flags = PKT_FIN | PKT_ACK;
	T_VERDICT(tb_send(t, TO, ifi_a, &p), TC_OK);
	T_EQ(tb_stat(t, TCSEG_STAT_UNTRACKED_PASSES), 2);
	T_EQ(tb_stat(t, TCSEG_STAT_NEW_SESSIONS), 0);
	T_EQ(tb_nsess(t), 0);
	/* ... but only if policy allows it */
	t->cfg.default_action = TCSEG_ACT_DENY;
	T_OK(tb_cfg_write(t));
	p.tcp_flags = PKT_RST;
	T_VERDICT(tb_send(t, TO, ifi_a, &p), TC_SHOT);
	return 0;
}

/* Attached to a live flow: a mid-stream segment is picked up. */
static int test_tcp_midstream_segment_picked_up(struct tb *t)
{
	struct pkt_spec p = tcp_spec(PEER, 80, POD, 40000, PKT_SYN | PKT_ACK);
	struct pkt_spec d = tcp_spec(POD, 40001, PEER, 80, PKT_ACK | PKT_PSH);
	struct tcseg_session s;

	T_VERDICT(tb_send(t, TO, ifi_a, &p), TC_OK);
	T_OK(tb_sess(t, ifi_a, &p, &s));
	T_STATE(s, TCSEG_TCP_ESTABLISHED);
	T_ASSERT(s.flags & TCSEG_SESS_F_MIDSTREAM, "flags 0x%x", s.flags);
	d.payload = 100;
	T_VERDICT(tb_send(t, FROM, ifi_a, &d), TC_OK);
	T_EQ(tb_nsess(t), 2);
	return 0;
}

static int set_strict(struct tb *t)
{
	t->cfg.flags |= TCSEG_CFG_F_STRICT_TCP;
	return tb_cfg_write(t);
}

static int test_tcp_synack_without_session_dropped_strict(struct tb *t)
{
	struct pkt_spec p = tcp_spec(PEER, 80, POD, 40000, PKT_SYN | PKT_ACK);

	T_OK(set_strict(t));
	T_VERDICT(tb_send(t, TO, ifi_a, &p), TC_SHOT);
	T_EQ(tb_drops(t, TCSEG_DROP_INVALID_STATE), 1);
	T_EQ(tb_stat(t, TCSEG_STAT_INVALID_STATE_TRANS), 1);
	T_EQ(tb_nsess(t), 0);
	return 0;
}

static int test_tcp_data_before_handshake_counted_invalid(struct tb *t)
{
	struct tcpflow f;

	flow_for(&f, 1, 1);
	T_VERDICT(tf_send(t, &f, 1, PKT_SYN, 0), TC_OK);
	T_VERDICT(tf_send(t, &f, 1, PKT_ACK | PKT_PSH, 100), TC_OK);
	T_EQ(tb_stat(t, TCSEG_STAT_INVALID_STATE_TRANS), 1);
	return expect_state(t, &f, TCSEG_TCP_SYN_SENT);
}

static int test_tcp_data_before_handshake_dropped_strict(struct tb *t)
{
	struct tcpflow f;

	T_OK(set_strict(t));
	flow_for(&f, 0, 1);
	T_VERDICT(tf_send(t, &f, 1, PKT_SYN, 0), TC_OK);
	T_VERDICT(tf_send(t, &f, 0, PKT_SYN | PKT_ACK, 0), TC_OK);
	/* the responder may not send before the handshake completes */
	T_VERDICT(tf_send(t, &f, 0, PKT_ACK | PKT_PSH, 100), TC_SHOT);
	T_EQ(tb_drops(t, TCSEG_DROP_INVALID_STATE), 1);
	T_EQ(tb_stat(t, TCSEG_STAT_INVALID_STATE_TRANS), 1);
	if (expect_state(t, &f, TCSEG_TCP_SYN_RECV))
		return -1;
	T_VERDICT(tf_send(t, &f, 1, PKT_ACK, 0), TC_OK);
	return expect_state(t, &f, TCSEG_TCP_ESTABLISHED);
}

static int test_tcp_synack_from_initiator_invalid_strict(struct tb *t)
{
	struct tcpflow f;

	T_OK(set_strict(t));
	flow_for(&f, 1, 0);
	T_VERDICT(tf_send(t, &f, 1, PKT_SYN, 0), TC_OK);
	T_VERDICT(tf_send(t, &f, 1, PKT_SYN | PKT_ACK, 0), TC_SHOT);
	T_EQ(tb_drops(t, TCSEG_DROP_INVALID_STATE), 1);
	return expect_state(t, &f, TCSEG_TCP_SYN_SENT);
}

static int test_tcp_syn_fin_invalid_strict(struct tb *t)
{
	struct tcpflow f;

	T_OK(set_strict(t));
	flow_for(&f, 1, 1);
	T_OK(tf_handshake(t, &f));
	T_VERDICT(tf_send(t, &f, 0, PKT_SYN | PKT_FIN | PKT_ACK, 0), TC_SHOT);
	T_VERDICT(tf_send(t, &f, 1, PKT_RST | PKT_FIN, 0), TC_SHOT);
	T_EQ(tb_drops(t, TCSEG_DROP_INVALID_STATE), 2);
	return expect_state(t, &f, TCSEG_TCP_ESTABLISHED);
}

static int test_tcp_midstream_dropped_strict(struct tb *t)
{
	struct pkt_spec d = tcp_spec(POD, 40001, PEER, 80, PKT_ACK);

	T_OK(set_strict(t));
	T_VERDICT(tb_send(t, FROM, ifi_a, &d), TC_SHOT);
	T_EQ(tb_drops(t, TCSEG_DROP_INVALID_STATE), 1);
	T_EQ(tb_nsess(t), 0);
	return 0;
}

static int test_tcp_retransmitted_syn_and_synack_valid(struct tb *t)
{
	struct tcpflow f;

	T_OK(set_strict(t));
	flow_for(&f, 1, 1);
	T_VERDICT(tf_send(t, &f, 1, PKT_SYN, 0), TC_OK);
	f.iseq--;
	T_VERDICT(tf_send(t, &f, 1, PKT_SYN, 0), TC_OK);
	T_VERDICT(tf_send(t, &f, 0, PKT_SYN | PKT_ACK, 0), TC_OK);
	f.rseq--;
	T_VERDICT(tf_send(t, &f, 0, PKT_SYN | PKT_ACK, 0), TC_OK);
	f.iseq--;
	T_VERDICT(tf_send(t, &f, 1, PKT_SYN, 0), TC_OK);
	T_VERDICT(tf_send(t, &f, 1, PKT_ACK, 0), TC_OK);
	f.rseq--;
	T_VERDICT(tf_send(t, &f, 0, PKT_SYN | PKT_ACK, 0), TC_OK);
	T_EQ(tb_stat(t, TCSEG_STAT_INVALID_STATE_TRANS), 0);
	T_EQ(tb_nsess(t), 1);
	return expect_state(t, &f, TCSEG_TCP_ESTABLISHED);
}

/* Port reuse: a fresh SYN on an established tuple starts over. */
static int test_tcp_new_syn_replaces_old_session(struct tb *t)
{
	struct tcseg_pressure pr;
	struct tcpflow f;

	flow_for(&f, 1, 1);
	T_OK(tf_handshake(t, &f));
	f.iseq += 100000;
	T_VERDICT(tf_send(t, &f, 1, PKT_SYN, 0), TC_OK);
	if (expect_state(t, &f, TCSEG_TCP_SYN_SENT))
		return -1;
	T_EQ(tb_stat(t, TCSEG_STAT_SESSIONS_CLOSED), 1);
	T_EQ(tb_stat(t, TCSEG_STAT_NEW_SESSIONS), 2);
	T_OK(tb_pressure(t, &pr));
	T_EQ(pr.total_sessions, 1);
	return 0;
}

/* Fragments: a UDP datagram in two pieces, default deny, one rule. */
static int frag_setup(struct tb *t)
{
	struct tb_rule r = { .dst = PEER "/32", .proto = IPPROTO_UDP,
			     .dport = 5353, .action = TCSEG_ACT_ALLOW,
			     .id = 1 };

	t->cfg.default_action = TCSEG_ACT_DENY;
	return tb_cfg_write(t) ?: tb_rule(t, &r);
}

static struct pkt_spec frag_first(uint16_t id, uint16_t dport)
{
	struct pkt_spec p = udp_spec(POD, 6000, PEER, dport);

	p.ip_id = id;
	p.frag = PKT_IP_MF;
	p.payload = 40;		/* 48 bytes of UDP: next offset is 6 */
	return p;
}

static struct pkt_spec frag_later(uint16_t id)
{
	struct pkt_spec p = udp_spec(POD, 0, PEER, 0);

	p.ip_id = id;
	p.frag = 6;
	p.no_l4 = 1;
	p.payload = 30;
	return p;
}

static int test_frag_first_fragment_judged_by_policy(struct tb *t)
{
	struct pkt_spec ok = frag_first(77, 5353), bad = frag_first(78, 5354);

	T_OK(frag_setup(t));
	T_VERDICT(tb_send(t, FROM, ifi_a, &ok), TC_OK);
	T_VERDICT(tb_send(t, FROM, ifi_a, &bad), TC_SHOT);
	T_EQ(tb_drops(t, TCSEG_DROP_GLOBAL_DEFAULT), 1);
	T_EQ(tb_stat(t, TCSEG_STAT_FRAGMENTS), 2);
	T_EQ(tb_frag_count(t), 2);
	T_EQ(tb_nsess(t), 1);
	return 0;
}

static int test_frag_later_fragment_follows_first(struct tb *t)
{
	struct pkt_spec ok = frag_first(77, 5353), bad = frag_first(78, 5354);
	struct pkt_spec later = frag_later(77);
	struct tcseg_session s;

	T_OK(frag_setup(t));
	T_VERDICT(tb_send(t, FROM, ifi_a, &ok), TC_OK);
	T_VERDICT(tb_send(t, FROM, ifi_a, &later), TC_OK);
	T_EQ(tb_stat(t, TCSEG_STAT_SESSION_HITS), 1);
	T_OK(tb_sess(t, ifi_a, &ok, &s));
	T_EQ(s.packets, 2);
	/* the later piece of a denied datagram is denied as well */
	T_VERDICT(tb_send(t, FROM, ifi_a, &bad), TC_SHOT);
	later = frag_later(78);
	T_VERDICT(tb_send(t, FROM, ifi_a, &later), TC_SHOT);
	T_EQ(tb_drops(t, TCSEG_DROP_GLOBAL_DEFAULT), 2);
	T_EQ(tb_drops(t, TCSEG_DROP_FRAGMENT), 0);
	return 0;
}

static int test_frag_later_without_first_dropped(struct tb *t)
{
	struct pkt_spec later = frag_later(99);

	/* even the global allow does not let an unknown fragment through */
	T_VERDICT(tb_send(t, TO, ifi_a, &later), TC_SHOT);
	T_EQ(tb_drops(t, TCSEG_DROP_FRAGMENT), 1);
	T_EQ(tb_stat(t, TCSEG_STAT_FRAGMENTS), 1);
	return 0;
}

/* ICMP errors: default deny, one TCP rule, a router 10.0.9.1. */
static int icmp_setup(struct tb *t, struct tcpflow *f)
{
	struct tb_rule r = { .src = POD "/32", .dst = PEER "/32",
			     .proto = IPPROTO_TCP, .dport = 80,
			     .action = TCSEG_ACT_ALLOW, .id = 1 };

	t->cfg.default_action = TCSEG_ACT_DENY;
	tf_make(f, ifi_a, FROM, POD, 40000, PEER, 80);
	return tb_cfg_write(t) ?: tb_rule(t, &r);
}

static int test_icmp_error_related_to_tracked_flow_passes(struct tb *t)
{
	struct pkt_spec out, in;
	uint8_t b[PKT_MAX];
	struct tcpflow f;
	size_t n;

	T_OK(icmp_setup(t, &f));
	T_OK(tf_handshake(t, &f));
	/* frag-needed from a router about the pod's segment */
	tf_spec(&f, 1, &out);
	n = pkt_icmp_error(b, pkt_ip("10.0.9.1"), pkt_ip(POD), 3, 4, &out);
	T_VERDICT(tb_run(t, TO, ifi_a, b, n), TC_OK);
	/* port unreachable from the pod about the peer's segment */
	tf_spec(&f, 0, &in);
	n = pkt_icmp_error(b, pkt_ip(POD), pkt_ip(PEER), 3, 3, &in);
	T_VERDICT(tb_run(t, FROM, ifi_a, b, n), TC_OK);
	T_EQ(tb_stat(t, TCSEG_STAT_ICMP_RELATED), 2);
	T_EQ(tb_nsess(t), 1);
	return 0;
}

static int test_icmp_error_unknown_flow_judged_by_policy(struct tb *t)
{
	struct tb_rule icmp = { .src = "10.0.9.1/32", .dst = POD "/32",
				.proto = IPPROTO_ICMP,
				.action = TCSEG_ACT_ALLOW, .id = 2 };
	struct pkt_spec q = tcp_spec(POD, 41000, PEER, 80, PKT_ACK);
	uint8_t b[PKT_MAX];
	struct tcpflow f;
	size_t n;

	T_OK(icmp_setup(t, &f));
	n = pkt_icmp_error(b, pkt_ip("10.0.9.1"), pkt_ip(POD), 3, 4, &q);
	T_VERDICT(tb_run(t, TO, ifi_a, b, n), TC_SHOT);
	T_EQ(tb_drops(t, TCSEG_DROP_GLOBAL_DEFAULT), 1);
	T_OK(tb_rule(t, &icmp));
	T_VERDICT(tb_run(t, TO, ifi_a, b, n), TC_OK);
	T_EQ(tb_stat(t, TCSEG_STAT_ICMP_RELATED), 0);
	T_EQ(tb_nsess(t), 0);	/* errors never open sessions */
	return 0;
}

static int test_icmp_error_for_denied_session_not_related(struct tb *t)
{
	struct tb_rule r = { .src = POD "/32", .dst = PEER "/32",
			     .proto = IPPROTO_TCP, .dport = 80,
			     .action = TCSEG_ACT_DENY, .id = 1 };
	struct pkt_spec out;
	uint8_t b[PKT_MAX];
	struct tcpflow f;
	size_t n;

	T_OK(icmp_setup(t, &f));
	T_OK(tf_handshake(t, &f));
	T_OK(tb_rule(t, &r));
	t->cfg.policy_version++;
	T_OK(tb_cfg_write(t));
	T_VERDICT(tf_send(t, &f, 1, PKT_ACK, 10), TC_SHOT);
	tf_spec(&f, 1, &out);
	n = pkt_icmp_error(b, pkt_ip("10.0.9.1"), pkt_ip(POD), 3, 4, &out);
	T_VERDICT(tb_run(t, TO, ifi_a, b, n), TC_SHOT);
	T_EQ(tb_stat(t, TCSEG_STAT_ICMP_RELATED), 0);
	return 0;
}

const struct tb_case cases_session[] = {
	TB_CASE(new_tcp_flow_creates_one_session),
	TB_CASE(reply_direction_hits_same_session),
	TB_CASE(reply_allowed_by_session_under_default_deny),
	TB_CASE(session_scoped_to_device),
	TB_CASE(denied_flow_creates_no_session),
	TB_CASE(udp_session_both_directions),
	TB_CASE(icmp_echo_reply_hits_request_session),
	TB_CASE(tcp_close_initiator_first_pod_inits_lo),
	TB_CASE(tcp_close_initiator_first_pod_inits_hi),
	TB_CASE(tcp_close_initiator_first_peer_inits_lo),
	TB_CASE(tcp_close_initiator_first_peer_inits_hi),
	TB_CASE(tcp_close_responder_first_pod_inits_lo),
	TB_CASE(tcp_close_responder_first_peer_inits_hi),
	TB_CASE(tcp_simultaneous_close_pod_inits_hi),
	TB_CASE(tcp_simultaneous_close_peer_inits_lo),
	TB_CASE(tcp_fin_ack_must_cover_fin),
	TB_CASE(tcp_rst_deletes_session),
	TB_CASE(tcp_rst_in_syn_sent_deletes_session),
	TB_CASE(tcp_rst_without_session_passes_untracked),
	TB_CASE(tcp_midstream_segment_picked_up),
	TB_CASE(tcp_synack_without_session_dropped_strict),
	TB_CASE(tcp_data_before_handshake_counted_invalid),
	TB_CASE(tcp_data_before_handshake_dropped_strict),
	TB_CASE(tcp_synack_from_initiator_invalid_strict),
	TB_CASE(tcp_syn_fin_invalid_strict),
	TB_CASE(tcp_midstream_dropped_strict),
	TB_CASE(tcp_retransmitted_syn_and_synack_valid),
	TB_CASE(tcp_new_syn_replaces_old_session),
	TB_CASE(frag_first_fragment_judged_by_policy),
	TB_CASE(frag_later_fragment_follows_first),
	TB_CASE(frag_later_without_first_dropped),
	TB_CASE(icmp_error_related_to_tracked_flow_passes),
	TB_CASE(icmp_error_unknown_flow_judged_by_policy),
	TB_CASE(icmp_error_for_denied_session_not_related),
	TB_END,
};
