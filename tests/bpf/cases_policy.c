// SPDX-License-Identifier: GPL-2.0
/*
 * Policy cases: verdict order (exact > CIDR by dst, src, dport, proto,
 * device > pod default > global default), the four actions and their
 * events, audit mode at every level, and policy-version re-evaluation.
 */
#include "harness.h"

static int set_default(struct tb *t, __u8 action)
{
	t->cfg.default_action = action;
	return tb_cfg_write(t);
}

static int test_exact_allow_beats_cidr_deny(struct tb *t)
{
	struct pkt_spec p = tcp_spec(POD, 40000, PEER, 80, PKT_SYN);
	struct tb_rule deny = { .dst = PEER "/32", .proto = IPPROTO_TCP,
				.dport = 80, .action = TCSEG_ACT_DENY,
				.id = 1 };
	struct tcseg_session s;

	T_OK(tb_rule(t, &deny));
	T_OK(tb_exact(t, 0, &p, TCSEG_ACT_ALLOW, 2, 0));
	T_VERDICT(tb_send(t, FROM, ifi_a, &p), TC_OK);
	T_OK(tb_sess(t, ifi_a, &p, &s));
	T_EQ(s.verdict_src, TCSEG_SRC_EXACT);
	T_EQ(s.policy_id, 2);
	p.sport = 40001;	/* no exact entry: the CIDR rule decides */
	T_VERDICT(tb_send(t, FROM, ifi_a, &p), TC_SHOT);
	T_EQ(tb_drops(t, TCSEG_DROP_POLICY), 1);
	return 0;
}

static int test_exact_deny_beats_cidr_allow(struct tb *t)
{
	struct pkt_spec p = tcp_spec(PEER, 50000, POD, 8080, PKT_SYN);
	struct tb_rule allow = { .dst = POD "/32", .proto = IPPROTO_TCP,
				 .action = TCSEG_ACT_ALLOW, .id = 1 };
	struct tcseg_rule_counter c;

	T_OK(set_default(t, TCSEG_ACT_DENY));
	T_OK(tb_rule(t, &allow));
	T_OK(tb_exact(t, 0, &p, TCSEG_ACT_DENY, 2, 0));
	T_VERDICT(tb_send(t, TO, ifi_a, &p), TC_SHOT);
	T_OK(tb_rule_ctr(t, 2, &c));
	T_EQ(c.packets, 1);
	p.sport = 50001;
	T_VERDICT(tb_send(t, TO, ifi_a, &p), TC_OK);
	T_OK(tb_rule_ctr(t, 1, &c));
	T_EQ(c.packets, 1);
	T_EQ(tb_nsess(t), 1);
	return 0;
}

static int test_longer_dst_cidr_wins(struct tb *t)
{
	struct tb_rule r[] = {
		{ .dst = "10.0.0.0/8", .proto = IPPROTO_TCP,
		  .action = TCSEG_ACT_ALLOW, .id = 1 },
		{ .dst = "10.0.2.0/24", .proto = IPPROTO_TCP,
		  .action = TCSEG_ACT_DENY, .id = 2 },
		{ .dst = PEER "/32", .proto = IPPROTO_TCP,
		  .action = TCSEG_ACT_ALLOW, .id = 3 },
	};
	struct pkt_spec p = tcp_spec(POD, 40000, PEER, 80, PKT_SYN);
	struct tcseg_session s;
	size_t i;

	T_OK(set_default(t, TCSEG_ACT_DENY));
	for (i = 0; i < 3; i++)
		T_OK(tb_rule(t, &r[i]));
	T_VERDICT(tb_send(t, FROM, ifi_a, &p), TC_OK);
	T_OK(tb_sess(t, ifi_a, &p, &s));
	T_EQ(s.policy_id, 3);
	p.daddr = pkt_ip("10.0.2.4");
	T_VERDICT(tb_send(t, FROM, ifi_a, &p), TC_SHOT);
	p.daddr = pkt_ip("10.0.3.4");
	T_VERDICT(tb_send(t, FROM, ifi_a, &p), TC_OK);
	T_OK(tb_sess(t, ifi_a, &p, &s));
	T_EQ(s.policy_id, 1);
	T_EQ(s.verdict_src, TCSEG_SRC_CIDR);
	p.daddr = pkt_ip("192.168.0.1");
	T_VERDICT(tb_send(t, FROM, ifi_a, &p), TC_SHOT);
	T_EQ(tb_drops(t, TCSEG_DROP_POLICY), 1);
	T_EQ(tb_drops(t, TCSEG_DROP_GLOBAL_DEFAULT), 1);
	return 0;
}

/* Equal destination: the rule with the longer source prefix decides. */
static int test_longer_src_wins_on_equal_dst(struct tb *t)
{
	struct tb_rule any = { .dst = PEER "/32", .proto = IPPROTO_TCP,
			       .action = TCSEG_ACT_ALLOW, .id = 1 };
	struct tb_rule net = { .src = "10.0.1.0/24", .dst = PEER "/32",
			       .proto = IPPROTO_TCP, .action = TCSEG_ACT_DENY,
			       .id = 2 };
	struct pkt_spec p = tcp_spec(POD, 40000, PEER, 80, PKT_SYN);
	struct tcseg_rule_counter c;

	T_OK(tb_src_class(t, "10.0.1.0/24"));
	T_OK(tb_rule(t, &any));
	T_OK(tb_rule(t, &net));
	T_VERDICT(tb_send(t, FROM, ifi_a, &p), TC_SHOT);
	T_OK(tb_rule_ctr(t, 2, &c));
	T_EQ(c.packets, 1);
	p.saddr = pkt_ip("10.0.9.9");
	T_VERDICT(tb_send(t, FROM, ifi_a, &p), TC_OK);
	T_OK(tb_rule_ctr(t, 1, &c));
	T_EQ(c.packets, 1);
	return 0;
}

/* Source before port: a /24-source rule beats a /0-source dport rule. */
static int test_longer_src_beats_dport_rule(struct tb *t)
{
	struct tb_rule port = { .dst = PEER "/32", .proto = IPPROTO_TCP,
				.dport = 80, .action = TCSEG_ACT_ALLOW,
				.id = 1 };
	struct tb_rule net = { .src = "10.0.1.0/24", .dst = PEER "/32",
			       .proto = IPPROTO_TCP, .action = TCSEG_ACT_DENY,
			       .id = 2 };
	struct pkt_spec p = tcp_spec(POD, 40000, PEER, 80, PKT_SYN);

	T_OK(tb_src_class(t, "10.0.1.0/24"));
	T_OK(tb_rule(t, &port));
	T_OK(tb_rule(t, &net));
	T_VERDICT(tb_send(t, FROM, ifi_a, &p), TC_SHOT);
	T_EQ(tb_drops(t, TCSEG_DROP_POLICY), 1);
	p.saddr = pkt_ip("10.0.9.9");	/* class /0 only has the dport rule */
	T_VERDICT(tb_send(t, FROM, ifi_a, &p), TC_OK);
	return 0;
}

/* Destination before source and before port. */
static int test_longer_dst_beats_longer_src_and_dport(struct tb *t)
{
	struct tb_rule host = { .dst = PEER "/32", .proto = IPPROTO_TCP,
				.action = TCSEG_ACT_ALLOW, .id = 1 };
	struct tb_rule net = { .src = "10.0.1.0/24", .dst = "10.0.2.0/24",
			       .proto = IPPROTO_TCP, .dport = 80,
			       .action = TCSEG_ACT_DENY, .id = 2 };
	struct pkt_spec p = tcp_spec(POD, 40000, PEER, 80, PKT_SYN);
	struct tcseg_session s;

	T_OK(tb_src_class(t, "10.0.1.0/24"));
	T_OK(tb_rule(t, &host));
	T_OK(tb_rule(t, &net));
	T_VERDICT(tb_send(t, FROM, ifi_a, &p), TC_OK);
	T_OK(tb_sess(t, ifi_a, &p, &s));
	T_EQ(s.policy_id, 1);
	p.daddr = pkt_ip("10.0.2.4");
	T_VERDICT(tb_send(t, FROM, ifi_a, &p), TC_SHOT);
	return 0;
}

static int test_dport_rule_beats_no_dport(struct tb *t)
{
	struct tb_rule all = { .dst = PEER "/32", .proto = IPPROTO_TCP,
			       .action = TCSEG_ACT_DENY, .id = 1 };
	struct tb_rule web = { .dst = PEER "/32", .proto = IPPROTO_TCP,
			       .dport = 80, .action = TCSEG_ACT_ALLOW,
			       .id = 2 };
	struct pkt_spec p = tcp_spec(POD, 40000, PEER, 80, PKT_SYN);
	struct tcseg_session s;

	T_OK(tb_rule(t, &all));
	T_OK(tb_rule(t, &web));
	T_VERDICT(tb_send(t, FROM, ifi_a, &p), TC_OK);
	T_OK(tb_sess(t, ifi_a, &p, &s));
	T_EQ(s.policy_id, 2);
	p.dport = 81;
	T_VERDICT(tb_send(t, FROM, ifi_a, &p), TC_SHOT);
	return 0;
}

/* A rule for one protocol beats "any protocol" on the same prefixes. */
static int test_proto_rule_beats_any_proto(struct tb *t)
{
	struct tb_rule any = { .dst = PEER "/32", .action = TCSEG_ACT_DENY,
			       .id = 1 };
	struct tb_rule tcp = { .dst = PEER "/32", .proto = IPPROTO_TCP,
			       .action = TCSEG_ACT_ALLOW, .id = 2 };
	struct pkt_spec p = tcp_spec(POD, 40000, PEER, 80, PKT_SYN);
	struct pkt_spec u = udp_spec(POD, 40000, PEER, 80);
	struct pkt_spec i = icmp_spec(POD, PEER, 8, 1);

	T_OK(tb_rule(t, &any));
	T_OK(tb_rule(t, &tcp));
	T_VERDICT(tb_send(t, FROM, ifi_a, &p), TC_OK);
	T_VERDICT(tb_send(t, FROM, ifi_a, &u), TC_SHOT);
	T_VERDICT(tb_send(t, FROM, ifi_a, &i), TC_SHOT);
	T_EQ(tb_drops(t, TCSEG_DROP_POLICY), 2);
	return 0;
}

/* Device rules only count with config.dev_rules, then beat generic ones. */
static int test_dev_rule_applies_with_dev_rules(struct tb *t)
{
	struct tb_rule all = { .dst = PEER "/32", .proto = IPPROTO_TCP,
			       .action = TCSEG_ACT_ALLOW, .id = 1 };
	struct tb_rule dev = { .dst = PEER "/32", .proto = IPPROTO_TCP,
			       .ifindex = ifi_a, .action = TCSEG_ACT_DENY,
			       .id = 2 };
	struct tb_rule wide = { .dst = "10.0.2.0/24", .proto = IPPROTO_TCP,
				.ifindex = ifi_b, .action = TCSEG_ACT_DENY,
				.id = 3 };
	struct pkt_spec p = tcp_spec(POD, 40000, PEER, 80, PKT_SYN);

	T_OK(set_default(t, TCSEG_ACT_ALLOW));
	T_OK(tb_rule(t, &all));
	T_OK(tb_rule(t, &dev));
	T_OK(tb_rule(t, &wide));
	/* dev_rules 0: the data path skips the device lookups */
	T_VERDICT(tb_send(t, FROM, ifi_a, &p), TC_OK);
	t->cfg.dev_rules = 2;
	T_OK(tb_cfg_write(t));
	p.sport = 40001;
	T_VERDICT(tb_send(t, FROM, ifi_a, &p), TC_SHOT);
	T_VERDICT(tb_send(t, FROM, ifi_b, &p), TC_OK);
	/* a longer generic destination still beats a device rule */
	p.sport = 40002;
	p.daddr = pkt_ip("10.0.2.9");
	T_VERDICT(tb_send(t, FROM, ifi_b, &p), TC_SHOT);
	T_VERDICT(tb_send(t, FROM, ifi_a, &p), TC_OK);
	T_EQ(tb_drops(t, TCSEG_DROP_POLICY), 2);
	return 0;
}

static int test_exact_dev_rule_applies_with_dev_rules(struct tb *t)
{
	struct pkt_spec p = tcp_spec(POD, 40000, PEER, 80, PKT_SYN);

	T_OK(set_default(t, TCSEG_ACT_DENY));
	T_OK(tb_exact(t, 0, &p, TCSEG_ACT_ALLOW, 1, 0));
	T_OK(tb_exact(t, ifi_a, &p, TCSEG_ACT_DENY, 2, 0));
	t->cfg.dev_rules = 1;
	T_OK(tb_cfg_write(t));
	T_VERDICT(tb_send(t, FROM, ifi_a, &p), TC_SHOT);
	T_VERDICT(tb_send(t, FROM, ifi_b, &p), TC_OK);
	T_EQ(tb_drops(t, TCSEG_DROP_POLICY), 1);
	/* dev_rules 0: the device entry is not even looked up */
	t->cfg.dev_rules = 0;
	T_OK(tb_cfg_write(t));
	T_VERDICT(tb_send(t, FROM, ifi_a, &p), TC_OK);
	return 0;
}

static int test_pod_default_deny_when_no_rule(struct tb *t)
{
	struct pkt_spec p = tcp_spec(POD, 40000, PEER, 80, PKT_SYN);
	struct tb_rule r = { .dst = PEER "/32", .proto = IPPROTO_TCP,
			     .dport = 443, .action = TCSEG_ACT_ALLOW,
			     .id = 1 };

	T_OK(tb_dev(t, ifi_a, TCSEG_ACT_DENY, 0));
	T_OK(tb_rule(t, &r));
	T_VERDICT(tb_send(t, FROM, ifi_a, &p), TC_SHOT);
	T_EQ(tb_drops(t, TCSEG_DROP_POD_DEFAULT), 1);
	T_VERDICT(tb_send(t, FROM, ifi_b, &p), TC_OK);	/* global allow */
	p.dport = 443;
	T_VERDICT(tb_send(t, FROM, ifi_a, &p), TC_OK);
	T_EQ(tb_nsess(t), 2);
	return 0;
}

static int test_pod_default_allow_beats_global_deny(struct tb *t)
{
	struct pkt_spec p = tcp_spec(POD, 40000, PEER, 80, PKT_SYN);
	struct tcseg_session s;

	T_OK(set_default(t, TCSEG_ACT_DENY));
	T_OK(tb_dev(t, ifi_a, TCSEG_ACT_ALLOW, 0));
	T_VERDICT(tb_send(t, FROM, ifi_a, &p), TC_OK);
	T_OK(tb_sess(t, ifi_a, &p, &s));
	T_EQ(s.verdict_src, TCSEG_SRC_POD_DEFAULT);
	T_VERDICT(tb_send(t, FROM, ifi_b, &p), TC_SHOT);
	T_EQ(tb_drops(t, TCSEG_DROP_GLOBAL_DEFAULT), 1);
	return 0;
}

static int test_global_default_deny_when_no_pod_default(struct tb *t)
{
	struct pkt_spec p = tcp_spec(PEER, 50000, POD, 22, PKT_SYN);

	T_OK(set_default(t, TCSEG_ACT_DENY));
	T_VERDICT(tb_send(t, TO, ifi_a, &p), TC_SHOT);
	T_VERDICT(tb_send(t, FROM, ifi_a, &p), TC_SHOT);
	T_EQ(tb_drops(t, TCSEG_DROP_GLOBAL_DEFAULT), 2);
	T_EQ(tb_stat(t, TCSEG_STAT_POLICY_LOOKUPS), 2);
	T_EQ(tb_nsess(t), 0);
	return 0;
}

/* No tcseg_devs entry (device not registered): the global default. */
static int test_global_default_without_dev_entry(struct tb *t)
{
	struct pkt_spec p = tcp_spec(POD, 40000, PEER, 80, PKT_SYN);

	T_OK(tb_dev_del(t, ifi_a));
	T_OK(set_default(t, TCSEG_ACT_DENY));
	T_VERDICT(tb_send(t, FROM, ifi_a, &p), TC_SHOT);
	T_EQ(tb_drops(t, TCSEG_DROP_GLOBAL_DEFAULT), 1);
	T_OK(set_default(t, TCSEG_ACT_ALLOW));
	T_VERDICT(tb_send(t, FROM, ifi_a, &p), TC_OK);
	T_EQ(tb_nsess(t), 1);
	return 0;
}

static int test_global_allow_creates_default_session(struct tb *t)
{
	struct pkt_spec p = tcp_spec(POD, 40000, PEER, 80, PKT_SYN);
	struct tcseg_session s;

	T_VERDICT(tb_send(t, FROM, ifi_a, &p), TC_OK);
	T_OK(tb_sess(t, ifi_a, &p, &s));
	T_EQ(s.verdict_src, TCSEG_SRC_GLOBAL_DEFAULT);
	T_EQ(s.policy_id, 0);
	T_EQ(s.action, TCSEG_ACT_ALLOW);
	T_EQ(tb_events(t), 0);
	return 0;
}

static int test_action_deny_counts_rule_no_session(struct tb *t)
{
	struct pkt_spec p = udp_spec(POD, 5000, PEER, 53);
	struct tb_rule r = { .dst = PEER "/32", .proto = IPPROTO_UDP,
			     .action = TCSEG_ACT_DENY, .id = 5 };
	struct tcseg_rule_counter c;
	uint8_t b[PKT_MAX];
	size_t n = pkt_build(b, &p);

	T_OK(tb_rule(t, &r));
	T_VERDICT(tb_run(t, FROM, ifi_a, b, n), TC_SHOT);
	T_VERDICT(tb_run(t, FROM, ifi_a, b, n), TC_SHOT);
	T_OK(tb_rule_ctr(t, 5, &c));
	T_EQ(c.packets, 2);
	T_EQ(c.bytes, 2 * n);
	T_EQ(tb_drops(t, TCSEG_DROP_POLICY), 2);
	T_EQ(tb_nsess(t), 0);
	T_EQ(tb_events(t), 0);	/* no TRACE_DROPS */
	return 0;
}

static int check_event(const struct tcseg_event *e, __u32 type, __u32 ifi,
		       const struct pkt_spec *p, __u8 dir, __u8 action,
		       __u32 id, __u8 src, __u8 reason)
{
	T_EQ(e->type, type);
	T_EQ(e->ifindex, ifi);
	T_EQ(e->family, TCSEG_FAMILY_V4);
	T_EQ(e->saddr.v4, p->saddr);
	T_EQ(e->daddr.v4, p->daddr);
	/* IPv4 in the first word, the rest zero (include/tcseg.h) */
	T_EQ(e->saddr.w[1] | e->saddr.w[2] | e->saddr.w[3], 0);
	T_EQ(e->daddr.w[1] | e->daddr.w[2] | e->daddr.w[3], 0);
	T_EQ(ntohs(e->sport), p->sport);
	T_EQ(ntohs(e->dport), p->dport);
	T_EQ(e->proto, p->proto);
	T_EQ(e->dir, dir);
	T_EQ(e->action, action);
	T_EQ(e->policy_id, id);
	T_EQ(e->verdict_src, src);
	T_EQ(e->reason, reason);
	T_ASSERT(e->ts_ns != 0, "event without a timestamp");
	return 0;
}

static int test_action_log_emits_flow_log_event(struct tb *t)
{
	struct tb_rule r = { .dst = PEER "/32", .proto = IPPROTO_TCP,
			     .action = TCSEG_ACT_LOG, .id = 6 };
	struct tcpflow f;
	struct pkt_spec p;

	tf_make(&f, ifi_a, FROM, POD, 40000, PEER, 80);
	T_OK(tb_rule(t, &r));
	T_OK(tf_handshake(t, &f));
	T_EQ(tb_events(t), 1);	/* once per flow, not per packet */
	tf_spec(&f, 1, &p);
	if (check_event(&t->ev[0], TCSEG_EV_FLOW_LOG, ifi_a, &p, FROM,
			TCSEG_ACT_LOG, 6, TCSEG_SRC_CIDR, 0))
		return -1;
	T_EQ(tb_stat(t, TCSEG_STAT_EVENTS_SENT), 1);
	return 0;
}

static int test_action_encrypt_emits_event_flags_session(struct tb *t)
{
	struct tb_rule r = { .dst = POD "/32", .proto = IPPROTO_TCP,
			     .dport = 443, .action = TCSEG_ACT_ENCRYPT,
			     .id = 7 };
	struct tcseg_session s;
	struct tcpflow f;
	struct pkt_spec p;

	/* the peer connects to the pod: the event is seen going TO the pod */
	tf_make(&f, ifi_a, TO, PEER, 50000, POD, 443);
	T_OK(tb_rule(t, &r));
	T_OK(tf_handshake(t, &f));
	T_OK(tf_sess(t, &f, &s));
	T_ASSERT(s.flags & TCSEG_SESS_F_ENCRYPT, "session flags 0x%x", s.flags);
	T_EQ(s.action, TCSEG_ACT_ENCRYPT);
	T_EQ(tb_events(t), 1);
	tf_spec(&f, 1, &p);
	return check_event(&t->ev[0], TCSEG_EV_FLOW_ENCRYPT, ifi_a, &p, TO,
			   TCSEG_ACT_ENCRYPT, 7, TCSEG_SRC_CIDR, 0);
}

/*
 * TCSEG_DROP_UNSECURED: "payload of an unsecured encrypt flow". The
 * handshake, bare ACKs and FIN pass; payload passes only once the daemon
 * has written TCSEG_SECURE_OK for the session into tcseg_secured.
 */
static int test_encrypt_payload_unsecured_dropped(struct tb *t)
{
	struct tb_rule r = { .dst = PEER "/32", .proto = IPPROTO_TCP,
			     .dport = 443, .action = TCSEG_ACT_ENCRYPT,
			     .id = 7 };
	struct tcseg_session s;
	struct tcpflow f;

	tf_make(&f, ifi_a, FROM, POD, 40000, PEER, 443);
	T_OK(tb_rule(t, &r));
	T_OK(tf_handshake(t, &f));
	T_VERDICT(tf_send(t, &f, 1, PKT_ACK, 0), TC_OK);
	T_VERDICT(tf_send(t, &f, 1, PKT_ACK | PKT_PSH, 100), TC_SHOT);
	T_VERDICT(tf_send(t, &f, 0, PKT_ACK | PKT_PSH, 100), TC_SHOT);
	T_EQ(tb_drops(t, TCSEG_DROP_UNSECURED), 2);
	/* a failed hand-off keeps the flow closed */
	T_OK(tb_secure(t, f.ifindex, &f.init, TCSEG_SECURE_FAILED));
	T_VERDICT(tf_send(t, &f, 1, PKT_ACK | PKT_PSH, 100), TC_SHOT);
	/* the daemon finished kTLS: payload flows, both ways */
	T_OK(tb_secure(t, f.ifindex, &f.init, TCSEG_SECURE_OK));
	T_VERDICT(tf_send(t, &f, 1, PKT_ACK | PKT_PSH, 100), TC_OK);
	T_VERDICT(tf_send(t, &f, 0, PKT_ACK | PKT_PSH, 100), TC_OK);
	T_EQ(tb_drops(t, TCSEG_DROP_UNSECURED), 3);
	T_OK(tf_sess(t, &f, &s));
	T_ASSERT(s.flags & TCSEG_SESS_F_SECURED, "flags 0x%x", s.flags);
	T_VERDICT(tf_send(t, &f, 1, PKT_FIN | PKT_ACK, 0), TC_OK);
	return 0;
}

/*
 * A new connection on the tuple of an old, secured one (a client port
 * reused) is not secured by the old mark: its payload is dropped until
 * the daemon marks it again. Found by bench/perf_test.sh in the VM: the
 * old TCSEG_SECURE_OK let a new connection's payload through both ways.
 */
static int test_encrypt_reused_tuple_needs_new_mark(struct tb *t)
{
	struct tb_rule r = { .dst = PEER "/32", .proto = IPPROTO_TCP,
			     .dport = 443, .action = TCSEG_ACT_ENCRYPT,
			     .id = 7 };
	struct tcpflow f;

	tf_make(&f, ifi_a, FROM, POD, 40001, PEER, 443);
	T_OK(tb_rule(t, &r));
	T_OK(tf_handshake(t, &f));
	T_OK(tb_secure(t, f.ifindex, &f.init, TCSEG_SECURE_OK));
	T_VERDICT(tf_send(t, &f, 1, PKT_ACK | PKT_PSH, 100), TC_OK);
	/* the connection ends (RST: session gone), the port is reused */
	T_VERDICT(tf_send(t, &f, 1, PKT_RST, 0), TC_OK);
	T_OK(tf_handshake(t, &f));
	T_VERDICT(tf_send(t, &f, 1, PKT_ACK | PKT_PSH, 100), TC_SHOT);
	T_VERDICT(tf_send(t, &f, 0, PKT_ACK | PKT_PSH, 100), TC_SHOT);
	T_EQ(tb_drops(t, TCSEG_DROP_UNSECURED), 2);
	/* same, with the old session still there (its end never seen) */
	T_OK(tb_secure(t, f.ifindex, &f.init, TCSEG_SECURE_OK));
	T_VERDICT(tf_send(t, &f, 1, PKT_ACK | PKT_PSH, 100), TC_OK);
	T_OK(tf_handshake(t, &f));
	T_VERDICT(tf_send(t, &f, 1, PKT_ACK | PKT_PSH, 100), TC_SHOT);
	T_EQ(tb_drops(t, TCSEG_DROP_UNSECURED), 3);
	/* marked for the new connection: it flows */
	T_OK(tb_secure(t, f.ifindex, &f.init, TCSEG_SECURE_OK));
	T_VERDICT(tf_send(t, &f, 1, PKT_ACK | PKT_PSH, 100), TC_OK);
	return 0;
}

/* TCP fast open: data in the SYN of an encrypt flow is not let out. */
static int test_encrypt_syn_with_data_dropped(struct tb *t)
{
	struct tb_rule r = { .dst = PEER "/32", .proto = IPPROTO_TCP,
			     .dport = 443, .action = TCSEG_ACT_ENCRYPT,
			     .id = 7 };
	struct pkt_spec p = tcp_spec(POD, 40000, PEER, 443, PKT_SYN);

	T_OK(tb_rule(t, &r));
	p.payload = 64;
	T_VERDICT(tb_send(t, FROM, ifi_a, &p), TC_SHOT);
	T_EQ(tb_drops(t, TCSEG_DROP_UNSECURED), 1);
	p.payload = 0;
	T_VERDICT(tb_send(t, FROM, ifi_a, &p), TC_OK);
	return 0;
}

static int test_trace_drops_emits_drop_event(struct tb *t)
{
	struct pkt_spec p = tcp_spec(POD, 40000, PEER, 80, PKT_SYN);
	uint8_t b[PKT_MAX];
	size_t n;

	t->cfg.flags |= TCSEG_CFG_F_TRACE_DROPS;
	T_OK(set_default(t, TCSEG_ACT_DENY));
	T_VERDICT(tb_send(t, FROM, ifi_a, &p), TC_SHOT);
	n = pkt_build(b, &p);
	b[PKT_OFF_IP] = 0x44;	/* ihl 4 */
	T_VERDICT(tb_run(t, FROM, ifi_a, b, n), TC_SHOT);
	T_EQ(tb_events(t), 2);
	if (check_event(&t->ev[0], TCSEG_EV_DROP, ifi_a, &p, FROM,
			TCSEG_ACT_DENY, 0, TCSEG_SRC_GLOBAL_DEFAULT,
			TCSEG_DROP_GLOBAL_DEFAULT))
		return -1;
	T_EQ(t->ev[1].type, TCSEG_EV_DROP);
	T_EQ(t->ev[1].reason, TCSEG_DROP_MALFORMED);
	return 0;
}

static int test_event_rate_limit_counts_dropped_events(struct tb *t)
{
	struct tb_rule r = { .dst = PEER "/32", .proto = IPPROTO_UDP,
			     .action = TCSEG_ACT_LOG, .id = 8 };
	struct pkt_spec p = udp_spec(POD, 5000, PEER, 53);
	int i;

	t->cfg.event_rate = 1;
	t->cfg.event_burst = 3;
	T_OK(tb_cfg_write(t));
	T_OK(tb_rule(t, &r));
	for (i = 0; i < 6; i++) {
		p.sport = 5000 + i;
		T_VERDICT(tb_send(t, FROM, ifi_a, &p), TC_OK);
	}
	T_EQ(tb_events(t), 3);
	T_EQ(tb_stat(t, TCSEG_STAT_EVENTS_SENT), 3);
	T_EQ(tb_stat(t, TCSEG_STAT_EVENTS_DROPPED), 3);
	return 0;
}

static int test_audit_global_flag_passes_would_be_deny(struct tb *t)
{
	struct tcseg_session s;
	struct tcpflow f;
	struct pkt_spec p;

	t->cfg.flags |= TCSEG_CFG_F_AUDIT;
	T_OK(set_default(t, TCSEG_ACT_DENY));
	tf_make(&f, ifi_a, FROM, POD, 40000, PEER, 80);
	T_OK(tf_handshake(t, &f));
	T_EQ(tb_stat(t, TCSEG_STAT_AUDIT_PASSES), 3);
	T_EQ(tb_stat(t, TCSEG_STAT_DENIED_PACKETS), 0);
	T_OK(tf_sess(t, &f, &s));
	T_ASSERT(s.flags & TCSEG_SESS_F_AUDIT, "session flags 0x%x", s.flags);
	T_EQ(tb_events(t), 1);
	tf_spec(&f, 1, &p);
	return check_event(&t->ev[0], TCSEG_EV_AUDIT, ifi_a, &p, FROM,
			   TCSEG_ACT_DENY, 0, TCSEG_SRC_GLOBAL_DEFAULT,
			   TCSEG_DROP_GLOBAL_DEFAULT);
}

static int test_audit_dev_flag_passes_would_be_deny(struct tb *t)
{
	struct pkt_spec p = udp_spec(PEER, 5000, POD, 53);

	T_OK(tb_dev(t, ifi_a, TCSEG_ACT_DENY, TCSEG_DEV_F_AUDIT));
	T_OK(tb_dev(t, ifi_b, TCSEG_ACT_DENY, 0));
	T_VERDICT(tb_send(t, TO, ifi_a, &p), TC_OK);
	T_VERDICT(tb_send(t, TO, ifi_b, &p), TC_SHOT);
	T_EQ(tb_stat(t, TCSEG_STAT_AUDIT_PASSES), 1);
	T_EQ(tb_drops(t, TCSEG_DROP_POD_DEFAULT), 1);
	T_EQ(tb_events(t), 1);
	return check_event(&t->ev[0], TCSEG_EV_AUDIT, ifi_a, &p, TO,
			   TCSEG_ACT_DENY, 0, TCSEG_SRC_POD_DEFAULT,
			   TCSEG_DROP_POD_DEFAULT);
}

static int test_audit_rule_flag_passes_would_be_deny(struct tb *t)
{
	struct tb_rule audit = { .dst = PEER "/32", .proto = IPPROTO_TCP,
				 .dport = 80, .action = TCSEG_ACT_DENY,
				 .id = 9, .flags = TCSEG_RULE_F_AUDIT };
	struct tb_rule deny = { .dst = PEER "/32", .proto = IPPROTO_TCP,
				.dport = 81, .action = TCSEG_ACT_DENY,
				.id = 10 };
	struct pkt_spec p = tcp_spec(POD, 40000, PEER, 80, PKT_SYN);
	struct tcseg_rule_counter c;

	T_OK(tb_rule(t, &audit));
	T_OK(tb_rule(t, &deny));
	T_VERDICT(tb_send(t, FROM, ifi_a, &p), TC_OK);
	T_OK(tb_rule_ctr(t, 9, &c));
	T_EQ(c.packets, 1);
	T_EQ(tb_events(t), 1);
	if (check_event(&t->ev[0], TCSEG_EV_AUDIT, ifi_a, &p, FROM,
			TCSEG_ACT_DENY, 9, TCSEG_SRC_CIDR, TCSEG_DROP_POLICY))
		return -1;
	p.dport = 81;
	T_VERDICT(tb_send(t, FROM, ifi_a, &p), TC_SHOT);
	T_EQ(tb_stat(t, TCSEG_STAT_AUDIT_PASSES), 1);
	return 0;
}

static int test_audit_leaves_allowed_flows_alone(struct tb *t)
{
	struct pkt_spec p = tcp_spec(POD, 40000, PEER, 80, PKT_SYN);

	t->cfg.flags |= TCSEG_CFG_F_AUDIT;
	T_OK(tb_cfg_write(t));
	T_VERDICT(tb_send(t, FROM, ifi_a, &p), TC_OK);
	T_EQ(tb_stat(t, TCSEG_STAT_AUDIT_PASSES), 0);
	T_EQ(tb_events(t), 0);
	return 0;
}

/* Allowed, established; rule turns to deny: only a version bump bites. */
static int test_policy_version_bump_reevaluates_flow(struct tb *t)
{
	struct tb_rule r = { .dst = PEER "/32", .proto = IPPROTO_TCP,
			     .dport = 80, .action = TCSEG_ACT_ALLOW, .id = 1 };
	struct tcseg_session s;
	struct tcpflow f;

	tf_make(&f, ifi_a, FROM, POD, 40000, PEER, 80);
	T_OK(tb_rule(t, &r));
	T_OK(tf_handshake(t, &f));
	r.action = TCSEG_ACT_DENY;
	T_OK(tb_rule(t, &r));
	T_VERDICT(tf_send(t, &f, 1, PKT_ACK, 10), TC_OK);	/* cached */
	t->cfg.policy_version++;
	T_OK(tb_cfg_write(t));
	T_VERDICT(tf_send(t, &f, 1, PKT_ACK, 10), TC_SHOT);
	T_VERDICT(tf_send(t, &f, 0, PKT_ACK, 10), TC_SHOT);
	T_EQ(tb_stat(t, TCSEG_STAT_REEVALUATIONS), 1);
	T_EQ(tb_drops(t, TCSEG_DROP_POLICY), 2);
	T_OK(tf_sess(t, &f, &s));
	T_EQ(s.action, TCSEG_ACT_DENY);
	T_EQ(s.policy_version, 2);
	/* an RST still closes the (denied) session */
	T_VERDICT(tf_send(t, &f, 0, PKT_RST, 0), TC_SHOT);
	T_ASSERT(tf_sess(t, &f, &s) == -ENOENT, "denied session not deleted");
	return 0;
}

/* The first packet after the bump is a reply: judged as the initiator's. */
static int test_policy_version_bump_reply_uses_initiator_view(struct tb *t)
{
	struct tb_rule r = { .dst = PEER "/32", .proto = IPPROTO_TCP,
			     .dport = 80, .action = TCSEG_ACT_ALLOW, .id = 1 };
	struct tcpflow f;

	tf_make(&f, ifi_a, FROM, POD, 40000, PEER, 80);
	T_OK(tb_rule(t, &r));
	T_OK(tf_handshake(t, &f));
	r.action = TCSEG_ACT_DENY;
	T_OK(tb_rule(t, &r));
	t->cfg.policy_version++;
	T_OK(tb_cfg_write(t));
	T_VERDICT(tf_send(t, &f, 0, PKT_ACK, 10), TC_SHOT);
	T_EQ(tb_stat(t, TCSEG_STAT_REEVALUATIONS), 1);
	return 0;
}

static int test_policy_version_bump_ends_audit_pass(struct tb *t)
{
	struct tcpflow f;

	t->cfg.flags |= TCSEG_CFG_F_AUDIT;
	T_OK(set_default(t, TCSEG_ACT_DENY));
	tf_make(&f, ifi_a, FROM, POD, 40000, PEER, 80);
	T_OK(tf_handshake(t, &f));
	t->cfg.flags &= ~TCSEG_CFG_F_AUDIT;
	t->cfg.policy_version++;
	T_OK(tb_cfg_write(t));
	T_VERDICT(tf_send(t, &f, 1, PKT_ACK, 10), TC_SHOT);
	T_EQ(tb_drops(t, TCSEG_DROP_GLOBAL_DEFAULT), 1);
	return 0;
}

const struct tb_case cases_policy[] = {
	TB_CASE(exact_allow_beats_cidr_deny),
	TB_CASE(exact_deny_beats_cidr_allow),
	TB_CASE(longer_dst_cidr_wins),
	TB_CASE(longer_src_wins_on_equal_dst),
	TB_CASE(longer_src_beats_dport_rule),
	TB_CASE(longer_dst_beats_longer_src_and_dport),
	TB_CASE(dport_rule_beats_no_dport),
	TB_CASE(proto_rule_beats_any_proto),
	TB_CASE(dev_rule_applies_with_dev_rules),
	TB_CASE(exact_dev_rule_applies_with_dev_rules),
	TB_CASE(pod_default_deny_when_no_rule),
	TB_CASE(pod_default_allow_beats_global_deny),
	TB_CASE(global_default_deny_when_no_pod_default),
	TB_CASE(global_default_without_dev_entry),
	TB_CASE(global_allow_creates_default_session),
	TB_CASE(action_deny_counts_rule_no_session),
	TB_CASE(action_log_emits_flow_log_event),
	TB_CASE(action_encrypt_emits_event_flags_session),
	TB_CASE(encrypt_payload_unsecured_dropped),
	TB_CASE(encrypt_reused_tuple_needs_new_mark),
	TB_CASE(encrypt_syn_with_data_dropped),
	TB_CASE(trace_drops_emits_drop_event),
	TB_CASE(event_rate_limit_counts_dropped_events),
	TB_CASE(audit_global_flag_passes_would_be_deny),
	TB_CASE(audit_dev_flag_passes_would_be_deny),
	TB_CASE(audit_rule_flag_passes_would_be_deny),
	TB_CASE(audit_leaves_allowed_flows_alone),
	TB_CASE(policy_version_bump_reevaluates_flow),
	TB_CASE(policy_version_bump_reply_uses_initiator_view),
	TB_CASE(policy_version_bump_ends_audit_pass),
	TB_END,
};
