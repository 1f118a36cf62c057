// SPDX-License-Identifier: GPL-2.0
/*
 * Session lifetime and hostile pods (docs/DATAPATH.md, "Session
 * lifetime", "Session table", "TCP tracking"): expiry, the per-pod quota
 * against a table flood, the in-kernel sweep, RSTs outside the window,
 * TIME_WAIT, simultaneous open, the SYN guard's direction and kTLS marks
 * that end with their session. Each attack sits beside its legitimate
 * case.
 */
#include <errno.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "harness.h"

#define FLOOD_TABLE	4096

/* Make a session look idle for @secs seconds. */
static int age(struct tb *t, __u32 ifi, const struct pkt_spec *p, __u64 secs)
{
	struct tcseg_session s;

	T_OK(tb_sess(t, ifi, p, &s));
	s.last_seen_ns -= secs * 1000000000ull;
	T_OK(tb_sess_put(t, ifi, p, &s));
	return 0;
}

static __u32 dev_sessions(struct tb *t, __u32 ifi)
{
	struct tcseg_dev d;

	return tb_dev_get(t, ifi, &d) ? ~0u : d.sessions;
}

/* An expired UDP session is no session: the packet opens a new one. */
static int test_expired_udp_session_replaced(struct tb *t)
{
	struct pkt_spec p = udp_spec(POD, 5000, PEER, 53);
	struct pkt_spec q = udp_spec(POD, 5001, PEER, 53);
	struct tcseg_session s, n;

	T_VERDICT(tb_send(t, FROM, ifi_a, &p), TC_OK);
	T_VERDICT(tb_send(t, FROM, ifi_a, &q), TC_OK);
	T_OK(tb_sess(t, ifi_a, &p, &s));
	if (age(t, ifi_a, &p, TCSEG_DEF_TO_UDP + 1) ||
	    age(t, ifi_a, &q, TCSEG_DEF_TO_UDP - 5))
		return -1;
	T_VERDICT(tb_send(t, FROM, ifi_a, &p), TC_OK);
	T_VERDICT(tb_send(t, FROM, ifi_a, &q), TC_OK);
	T_OK(tb_sess(t, ifi_a, &p, &n));
	T_EQ(n.packets, 1);
	T_ASSERT(n.created_ns != s.created_ns, "expired session was kept");
	T_OK(tb_sess(t, ifi_a, &q, &n));
	T_EQ(n.packets, 2);		/* not expired: a hit */
	T_EQ(tb_stat(t, TCSEG_STAT_SESSIONS_EXPIRED), 1);
	T_EQ(tb_nsess(t), 2);
	T_EQ(dev_sessions(t, ifi_a), 2);
	return 0;
}

/* TCP timeouts follow the state: half-open goes after a minute. */
static int test_expiry_by_tcp_state(struct tb *t)
{
	struct tcpflow est, half;
	struct tcseg_session s;

	t->cfg.flags |= TCSEG_CFG_F_STRICT_TCP;
	T_OK(tb_cfg_write(t));
	tf_make(&est, ifi_a, FROM, POD, 40000, PEER, 80);
	tf_make(&half, ifi_a, FROM, POD, 40001, PEER, 80);
	T_OK(tf_handshake(t, &est));
	T_VERDICT(tf_send(t, &half, 1, PKT_SYN, 0), TC_OK);
	if (age(t, ifi_a, &est.init, TCSEG_DEF_TO_TCP_SYN + 1) ||
	    age(t, ifi_a, &half.init, TCSEG_DEF_TO_TCP_SYN + 1))
		return -1;
	T_VERDICT(tf_send(t, &est, 1, PKT_ACK | PKT_PSH, 10), TC_OK);
	T_OK(tf_sess(t, &est, &s));
	T_STATE(s, TCSEG_TCP_ESTABLISHED);
	/* the half-open one expired: its SYN-ACK has no session (strict) */
	T_VERDICT(tf_send(t, &half, 0, PKT_SYN | PKT_ACK, 0), TC_SHOT);
	T_EQ(tb_stat(t, TCSEG_STAT_SESSIONS_EXPIRED), 1);
	return 0;
}

/*
 * Issue 11 item 3: one pod sends 8 000 one-packet UDP flows into a 4 096
 * table. Its quota (4096 / 8) stops it; the connection another pod had
 * open survives and the other pod's new flows get sessions.
 */
static int test_flood_one_pod_others_keep_and_open_flows(struct tb *t)
{
	struct pkt_spec u = udp_spec(POD, 1000, PEER, 9000);
	__u32 quota = FLOOD_TABLE / TCSEG_QUOTA_DIV;
	struct tcpflow old, nu, in;
	struct tcseg_pressure pr;
	int i, passed = 0;

	tf_make(&old, ifi_b, FROM, "10.0.3.4", 40000, PEER, 443);
	T_OK(tf_handshake(t, &old));
	for (i = 0; i < 8000; i++) {
		u.sport = 1000 + i;
		passed += tb_send(t, FROM, ifi_a, &u) == TC_OK;
	}
	T_EQ(passed, quota);
	T_EQ(tb_drops(t, TCSEG_DROP_QUOTA), 8000 - quota);
	T_EQ(dev_sessions(t, ifi_a), quota);
	/* the other pod: its old flow goes on, new ones both ways open */
	T_VERDICT(tf_send(t, &old, 0, PKT_ACK | PKT_PSH, 100), TC_OK);
	T_EQ(tb_stat(t, TCSEG_STAT_NEW_SESSIONS), quota + 1);
	tf_make(&nu, ifi_b, FROM, "10.0.3.4", 40001, PEER, 80);
	T_OK(tf_handshake(t, &nu));
	tf_make(&in, ifi_b, TO, PEER, 50000, "10.0.3.4", 22);
	T_OK(tf_handshake(t, &in));
	T_EQ(tb_drops(t, TCSEG_DROP_MAP_FULL), 0);
	T_OK(tb_pressure(t, &pr));
	T_EQ(pr.pressure_level, TCSEG_PRESSURE_NORMAL);
	return 0;
}

/* Flows towards a pod are not charged to it; closes give quota back. */
static int test_quota_counts_own_flows_and_heals_on_close(struct tb *t)
{
	struct pkt_spec in = udp_spec(PEER, 7000, POD, 53);
	struct tcpflow f[3], g;
	int i;

	t->cfg.session_quota = 2;
	T_OK(tb_cfg_write(t));
	for (i = 0; i < 5; i++) {
		in.sport = 7000 + i;
		T_VERDICT(tb_send(t, TO, ifi_a, &in), TC_OK);
	}
	T_EQ(dev_sessions(t, ifi_a), 0);
	for (i = 0; i < 3; i++)
		tf_make(&f[i], ifi_a, FROM, POD, 41000 + i, PEER, 80);
	T_OK(tf_handshake(t, &f[0]));
	T_OK(tf_handshake(t, &f[1]));
	T_VERDICT(tf_send(t, &f[2], 1, PKT_SYN, 0), TC_SHOT);
	T_EQ(tb_drops(t, TCSEG_DROP_QUOTA), 1);
	/* the other pod is not limited by this pod's quota */
	tf_make(&g, ifi_b, FROM, "10.0.3.4", 41000, PEER, 80);
	T_OK(tf_handshake(t, &g));
	T_VERDICT(tf_send(t, &f[0], 1, PKT_RST, 0), TC_OK);
	T_EQ(dev_sessions(t, ifi_a), 1);
	f[2].iseq = 1000;
	T_OK(tf_handshake(t, &f[2]));
	return 0;
}

static int wait_for(struct tb *t, int (*done)(struct tb *t), int secs)
{
	int i;

	for (i = 0; i < secs * 10; i++) {
		if (done(t))
			return 0;
		usleep(100000);
	}
	return -1;
}

static int table_empty(struct tb *t)
{
	return tb_nsess(t) == 0;
}

static int quota_recounted(struct tb *t)
{
	return dev_sessions(t, ifi_a) == 1;
}

/*
 * The sweep (a BPF timer, no daemon) deletes expired sessions with their
 * marks and repairs the counts an LRU eviction would leave behind.
 */
static int test_sweep_reclaims_and_recounts(struct tb *t)
{
	struct pkt_spec p = udp_spec(POD, 6000, PEER, 53);
	struct tcseg_pressure pr;
	struct tcseg_dev d;
	int i;

	t->cfg.to_udp = 1;
	t->cfg.sweep_s = 1;
	T_OK(tb_cfg_write(t));
	for (i = 0; i < 10; i++) {
		p.sport = 6000 + i;
		T_VERDICT(tb_send(t, FROM, ifi_a, &p), TC_OK);
	}
	T_EQ(dev_sessions(t, ifi_a), 10);
	T_ASSERT(!wait_for(t, table_empty, 5), "%d sessions left after 5 s",
		 tb_nsess(t));
	T_EQ(tb_stat(t, TCSEG_STAT_SESSIONS_EXPIRED), 10);
	T_OK(tb_pressure(t, &pr));
	T_EQ(pr.total_sessions, 0);
	T_EQ(dev_sessions(t, ifi_a), 0);
	/* a count left high (silent LRU eviction) is put right */
	t->cfg.to_udp = 3600;
	T_OK(tb_cfg_write(t));
	T_VERDICT(tb_send(t, FROM, ifi_a, &p), TC_OK);
	T_OK(tb_dev_get(t, ifi_a, &d));
	d.sessions = 5000;
	T_OK(bpf_map_update_elem(bpf_map__fd(t->skel->maps.tcseg_devs), &ifi_a,
				 &d, BPF_ANY));
	T_ASSERT(!wait_for(t, quota_recounted, 5), "count %u after 5 s",
		 dev_sessions(t, ifi_a));
	return 0;
}

/* RFC 5961 §3: a blind RST far off the window leaves the flow alone. */
static int test_rst_out_of_window_ignored(struct tb *t)
{
	struct pkt_spec r;
	struct tcpflow f;
	struct tcseg_session s;
	int i;

	t->cfg.default_action = TCSEG_ACT_DENY;
	T_OK(tb_cfg_write(t));
	T_OK(tb_exact(t, 0, &(struct pkt_spec){ .saddr = pkt_ip(POD),
			.daddr = pkt_ip(PEER), .proto = IPPROTO_TCP,
			.sport = 40000, .dport = 80 }, TCSEG_ACT_ALLOW, 1, 0));
	tf_make(&f, ifi_a, FROM, POD, 40000, PEER, 80);
	T_OK(tf_handshake(t, &f));
	tf_spec(&f, 0, &r);
	r.tcp_flags = PKT_RST;
	for (i = 0; i < 3; i++) {
		r.seq = f.rseq + 100000000u * (i + 1);
		T_VERDICT(tb_send(t, TO, ifi_a, &r), TC_SHOT);
	}
	T_EQ(tb_drops(t, TCSEG_DROP_RST_WINDOW), 3);
	T_OK(tf_sess(t, &f, &s));
	T_STATE(s, TCSEG_TCP_ESTABLISHED);
	/* server-first data after it still flows (default deny) */
	T_VERDICT(tf_send(t, &f, 0, PKT_ACK | PKT_PSH, 100), TC_OK);
	/* the legitimate RST, at the sender's next sequence, ends it */
	r.seq = f.rseq;
	T_VERDICT(tb_send(t, TO, ifi_a, &r), TC_OK);
	T_ASSERT(tf_sess(t, &f, &s) == -ENOENT, "in-window RST kept session");
	return 0;
}

/* A refused connection: the RST must acknowledge the SYN exactly. */
static int test_rst_refusing_syn_must_ack_it(struct tb *t)
{
	struct pkt_spec r;
	struct tcpflow f;
	struct tcseg_session s;

	tf_make(&f, ifi_a, FROM, POD, 40000, PEER, 81);
	T_VERDICT(tf_send(t, &f, 1, PKT_SYN, 0), TC_OK);
	tf_spec(&f, 0, &r);
	r.tcp_flags = PKT_RST | PKT_ACK;
	r.seq = 0;
	r.ack = f.iseq + 5000;
	T_VERDICT(tb_send(t, TO, ifi_a, &r), TC_SHOT);
	T_OK(tf_sess(t, &f, &s));
	T_STATE(s, TCSEG_TCP_SYN_SENT);
	r.ack = f.iseq;
	T_VERDICT(tb_send(t, TO, ifi_a, &r), TC_OK);
	T_ASSERT(tf_sess(t, &f, &s) == -ENOENT, "refusing RST kept session");
	return 0;
}

/*
 * After the last ACK the session stays in TIME_WAIT: the peer's
 * retransmitted FIN and the pod's repeated ACK pass as part of the old
 * connection (strict mode would drop a lone ACK of an unknown flow).
 */
static int test_time_wait_passes_retransmitted_fin(struct tb *t)
{
	struct tcseg_session s;
	struct tcpflow f;
	__u32 fin;

	t->cfg.flags |= TCSEG_CFG_F_STRICT_TCP;
	T_OK(tb_cfg_write(t));
	tf_make(&f, ifi_a, FROM, POD, 40000, PEER, 80);
	T_OK(tf_handshake(t, &f));
	T_VERDICT(tf_send(t, &f, 1, PKT_FIN | PKT_ACK, 0), TC_OK);
	T_VERDICT(tf_send(t, &f, 0, PKT_ACK, 0), TC_OK);
	fin = f.rseq;
	T_VERDICT(tf_send(t, &f, 0, PKT_FIN | PKT_ACK, 0), TC_OK);
	T_VERDICT(tf_send(t, &f, 1, PKT_ACK, 0), TC_OK);
	T_OK(tf_sess(t, &f, &s));
	T_STATE(s, TCSEG_TCP_TIME_WAIT);
	/* the last ACK was lost: the peer sends its FIN again */
	f.rseq = fin;
	T_VERDICT(tf_send(t, &f, 0, PKT_FIN | PKT_ACK, 0), TC_OK);
	T_VERDICT(tf_send(t, &f, 1, PKT_ACK, 0), TC_OK);
	T_EQ(tb_stat(t, TCSEG_STAT_NEW_SESSIONS), 1);
	T_EQ(tb_drops(t, TCSEG_DROP_INVALID_STATE), 0);
	/* TIME_WAIT ends with its timeout; a new SYN replaces it at once */
	if (age(t, ifi_a, &f.init, TCSEG_DEF_TO_TCP_TW + 1))
		return -1;
	T_VERDICT(tf_send(t, &f, 1, PKT_ACK, 0), TC_SHOT);
	T_EQ(tb_stat(t, TCSEG_STAT_SESSIONS_EXPIRED), 1);
	return 0;
}

/* RFC 9293 §3.5 simultaneous open: SYN crosses SYN, then SYN-ACKs. */
static int test_simultaneous_open_valid(struct tb *t)
{
	struct tcseg_session s;
	struct tcpflow f;
	__u32 iisn, risn;

	t->cfg.flags |= TCSEG_CFG_F_STRICT_TCP;
	T_OK(tb_cfg_write(t));
	tf_make(&f, ifi_a, FROM, POD, 40000, PEER, 40000);
	iisn = f.iseq;
	risn = f.rseq;
	T_VERDICT(tf_send(t, &f, 1, PKT_SYN, 0), TC_OK);
	T_VERDICT(tf_send(t, &f, 0, PKT_SYN, 0), TC_OK);
	f.iseq = iisn;
	f.rseq = risn;
	T_VERDICT(tf_send_ack(t, &f, 1, PKT_SYN | PKT_ACK, 0, risn + 1), TC_OK);
	T_VERDICT(tf_send_ack(t, &f, 0, PKT_SYN | PKT_ACK, 0, iisn + 1), TC_OK);
	T_VERDICT(tf_send_ack(t, &f, 1, PKT_ACK | PKT_PSH, 10, risn + 1),
		  TC_OK);
	T_OK(tf_sess(t, &f, &s));
	T_STATE(s, TCSEG_TCP_ESTABLISHED);
	T_EQ(tb_stat(t, TCSEG_STAT_INVALID_STATE_TRANS), 0);
	/* a SYN-ACK from the initiator is still wrong in a normal open */
	tf_make(&f, ifi_a, FROM, POD, 40001, PEER, 80);
	T_VERDICT(tf_send(t, &f, 1, PKT_SYN, 0), TC_OK);
	T_VERDICT(tf_send(t, &f, 1, PKT_SYN | PKT_ACK, 0), TC_SHOT);
	return 0;
}

/* An outside SYN flood towards a pod does not lock out its clients. */
static int test_syn_toward_pod_not_charged(struct tb *t)
{
	struct tcpflow f;
	int i;

	t->cfg.syn_limit = 5;
	T_OK(tb_cfg_write(t));
	for (i = 0; i < 20; i++) {
		tf_make(&f, ifi_a, TO, PEER, 30000 + i, POD, 80);
		T_VERDICT(tf_send(t, &f, 1, PKT_SYN, 0), TC_OK);
	}
	for (i = 0; i < 5; i++) {
		tf_make(&f, ifi_a, FROM, POD, 40000 + i, PEER, 80);
		T_VERDICT(tf_send(t, &f, 1, PKT_SYN, 0), TC_OK);
	}
	tf_make(&f, ifi_a, FROM, POD, 40005, PEER, 80);
	T_VERDICT(tf_send(t, &f, 1, PKT_SYN, 0), TC_SHOT);
	T_EQ(tb_drops(t, TCSEG_DROP_SYN_FLOOD), 1);
	return 0;
}

static int set_action(struct tb *t, struct tb_rule *r, __u8 action)
{
	r->action = action;
	T_OK(tb_rule(t, r));
	t->cfg.policy_version++;
	return tb_cfg_write(t);
}

/*
 * A TCP flow from the pod to PEER:443, its session key, and rule 7 for
 * it with @action.
 */
static int flow_443(struct tb *t, struct tcpflow *f,
		    struct tcseg_session_key *k, struct tb_rule *r,
		    __u16 sport, __u8 action)
{
	union tcseg_addr sa = { .w = { 0 } }, da = { .w = { 0 } };

	*r = (struct tb_rule){ .dst = PEER "/32", .proto = IPPROTO_TCP,
			       .dport = 443, .action = action, .id = 7 };
	tf_make(f, ifi_a, FROM, POD, sport, PEER, 443);
	sa.v4 = f->init.saddr;
	da.v4 = f->init.daddr;
	tcseg_session_key_make(k, ifi_a, TCSEG_FAMILY_V4, &sa, &da,
			       htons(sport), htons(443), IPPROTO_TCP);
	return tb_rule(t, r);
}

/*
 * Issue 11: encrypt -> allow -> encrypt on one tuple. The mark of the
 * first (encrypt) connection must not secure the later plaintext one,
 * whether it lingers (deleted with its session) or comes late (a mark
 * names the session it was written for).
 */
static int test_stale_mark_does_not_secure_new_connection(struct tb *t)
{
	struct tcseg_session_key k;
	struct tcseg_secure m, stale;
	struct tb_rule r;
	struct tcpflow f;
	int fd = bpf_map__fd(t->skel->maps.tcseg_secured);

	T_OK(flow_443(t, &f, &k, &r, 40001, TCSEG_ACT_ENCRYPT));
	T_OK(tf_handshake(t, &f));
	T_OK(tb_secure(t, f.ifindex, &f.init, TCSEG_SECURE_OK));
	T_VERDICT(tf_send(t, &f, 1, PKT_ACK | PKT_PSH, 100), TC_OK);
	T_OK(bpf_map_lookup_elem(fd, &k, &stale));
	/* rule -> allow; a new plaintext connection reuses the tuple */
	T_OK(set_action(t, &r, TCSEG_ACT_ALLOW));
	T_OK(tf_handshake(t, &f));
	T_ASSERT(bpf_map_lookup_elem(fd, &k, &m) && errno == ENOENT,
		 "the old connection's mark outlived its session");
	/* ...and a mark of the old session written late secures nothing */
	T_OK(bpf_map_update_elem(fd, &k, &stale, BPF_ANY));
	T_OK(set_action(t, &r, TCSEG_ACT_ENCRYPT));
	T_VERDICT(tf_send(t, &f, 1, PKT_ACK | PKT_PSH, 100), TC_SHOT);
	T_EQ(tb_drops(t, TCSEG_DROP_UNSECURED), 1);
	/* legitimate: the mark of this session lets it flow */
	T_OK(tb_secure(t, f.ifindex, &f.init, TCSEG_SECURE_OK));
	T_VERDICT(tf_send(t, &f, 1, PKT_ACK | PKT_PSH, 100), TC_OK);
	return 0;
}

/*
 * A session's id (created_ns) is what a mark names, and a tuple can be
 * reused within one tick of the coarse clock the id is made from: allow
 * -> encrypt (marked) -> a new allow connection on the tuple -> encrypt.
 * The first connection's mark, written back, must not secure the second
 * (its id must differ although both came in the same tick).
 */
static int test_reused_tuple_gets_new_id_within_tick(struct tb *t)
{
	struct tcseg_session_key k;
	struct tcseg_session a, b;
	struct tcseg_secure stale;
	struct tb_rule r;
	struct tcpflow f;
	int fd = bpf_map__fd(t->skel->maps.tcseg_secured);

	T_OK(flow_443(t, &f, &k, &r, 40002, TCSEG_ACT_ALLOW));
	T_OK(tf_handshake(t, &f));
	T_OK(tf_sess(t, &f, &a));
	T_OK(set_action(t, &r, TCSEG_ACT_ENCRYPT));
	T_VERDICT(tf_send(t, &f, 1, PKT_ACK, 0), TC_OK);	/* re-decided */
	T_OK(tb_secure(t, f.ifindex, &f.init, TCSEG_SECURE_OK));
	T_VERDICT(tf_send(t, &f, 1, PKT_ACK | PKT_PSH, 100), TC_OK);
	T_OK(bpf_map_lookup_elem(fd, &k, &stale));
	T_OK(set_action(t, &r, TCSEG_ACT_ALLOW));
	T_OK(tf_handshake(t, &f));
	T_OK(tf_sess(t, &f, &b));
	T_ASSERT(b.created_ns != a.created_ns,
		 "a reused tuple's session got the old session's id");
	T_OK(bpf_map_update_elem(fd, &k, &stale, BPF_ANY));
	T_OK(set_action(t, &r, TCSEG_ACT_ENCRYPT));
	T_VERDICT(tf_send(t, &f, 1, PKT_ACK | PKT_PSH, 100), TC_SHOT);
	T_EQ(tb_drops(t, TCSEG_DROP_UNSECURED), 1);
	return 0;
}

const struct tb_case cases_lifetime[] = {
	TB_CASE(expired_udp_session_replaced),
	TB_CASE(expiry_by_tcp_state),
	TB_CASE_SZ(flood_one_pod_others_keep_and_open_flows, FLOOD_TABLE),
	TB_CASE(quota_counts_own_flows_and_heals_on_close),
	TB_CASE(sweep_reclaims_and_recounts),
	TB_CASE(rst_out_of_window_ignored),
	TB_CASE(rst_refusing_syn_must_ack_it),
	TB_CASE(time_wait_passes_retransmitted_fin),
	TB_CASE(simultaneous_open_valid),
	TB_CASE(syn_toward_pod_not_charged),
	TB_CASE(stale_mark_does_not_secure_new_connection),
	TB_CASE(reused_tuple_gets_new_id_within_tick),
	TB_END
};
