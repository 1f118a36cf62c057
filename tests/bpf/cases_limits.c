// SPDX-License-Identifier: GPL-2.0
/*
 * Limits: session-map pressure levels and the map-full degradation, the
 * per-pod SYN-flood guard, counter consistency, and a fuzz loop of random
 * and truncated frames through both programs.
 */
#include <errno.h>
#include <time.h>
#include "harness.h"

#define SMALL_SESSIONS	20

/*
 * @n new UDP flows from the pod (one session each), sports from @sport.
 * The pod's quota is the whole table here: these cases are about the
 * table's fill, not about one pod's share (cases_lifetime.c).
 */
static int open_flows(struct tb *t, int n, uint16_t sport)
{
	struct pkt_spec p = udp_spec(POD, sport, PEER, 9000);
	int i;

	t->cfg.session_quota = t->sessions_max;
	if (tb_cfg_write(t))
		return -1;
	for (i = 0; i < n; i++) {
		p.sport = sport + i;
		if (tb_send(t, FROM, ifi_a, &p) != TC_OK) {
			tb_fail(__FILE__, __LINE__, "flow %d of %d refused",
				i + 1, n);
			return -1;
		}
	}
	return 0;
}

static int pressure_is(struct tb *t, __u64 total, __u32 level)
{
	struct tcseg_pressure pr;

	T_OK(tb_pressure(t, &pr));
	T_EQ(pr.total_sessions, total);
	T_EQ(pr.pressure_level, level);
	return 0;
}

/* Level is judged when a new flow arrives, against the sessions so far. */
static int test_pressure_warning_at_70_percent(struct tb *t)
{
	T_OK(open_flows(t, 14, 10000));
	if (pressure_is(t, 14, TCSEG_PRESSURE_NORMAL))	/* judged at 13 */
		return -1;
	T_OK(open_flows(t, 1, 20000));			/* judged at 14 */
	return pressure_is(t, 15, TCSEG_PRESSURE_WARNING);
}

/*
 * Critical fill is reported, but new flows are not refused: the LRU makes
 * room (docs/DATAPATH.md, "Session table"), so a full table never denies
 * a new flow of another pod.
 */
static int test_pressure_critical_at_90_percent_still_admits(struct tb *t)
{
	struct pkt_spec p = tcp_spec(PEER, 30000, POD, 9999, PKT_SYN);

	T_OK(open_flows(t, 18, 10000));
	if (pressure_is(t, 18, TCSEG_PRESSURE_WARNING))	/* judged at 17 */
		return -1;
	T_VERDICT(tb_send(t, TO, ifi_b, &p), TC_OK);	/* at 18 */
	if (pressure_is(t, 19, TCSEG_PRESSURE_CRITICAL))
		return -1;
	T_OK(tb_sess(t, ifi_b, &p, &(struct tcseg_session){}));
	T_EQ(tb_drops(t, TCSEG_DROP_MAP_FULL), 0);
	return 0;
}

static int critical(struct tb *t)
{
	return open_flows(t, 18, 10000);
}

static int test_critical_existing_session_still_passes(struct tb *t)
{
	struct pkt_spec r = udp_spec(PEER, 9000, POD, 10017);

	T_OK(critical(t));	/* the last flow opened used sport 10017 */
	T_VERDICT(tb_send(t, TO, ifi_a, &r), TC_OK);
	T_EQ(tb_stat(t, TCSEG_STAT_SESSION_HITS), 1);
	return 0;
}

/* Closed sessions give their room back: the level drops by itself. */
static int test_pressure_recovers_after_sessions_close(struct tb *t)
{
	struct pkt_spec p = tcp_spec(POD, 30000, PEER, 80, PKT_SYN);
	struct tcseg_pressure pr;
	int i;

	T_OK(open_flows(t, 13, 10000));
	for (i = 0; i < 6; i++) {
		p.sport = 30000 + i;
		p.tcp_flags = PKT_SYN;
		T_VERDICT(tb_send(t, FROM, ifi_a, &p), TC_OK);
	}
	if (pressure_is(t, 19, TCSEG_PRESSURE_CRITICAL))
		return -1;
	for (i = 0; i < 6; i++) {
		p.sport = 30000 + i;
		p.tcp_flags = PKT_RST;
		p.seq = 1001;	/* where the SYN left off: in the window */
		T_VERDICT(tb_send(t, FROM, ifi_a, &p), TC_OK);
	}
	T_OK(tb_pressure(t, &pr));
	T_EQ(pr.total_sessions, 13);
	p.sport = 31000;
	p.tcp_flags = PKT_SYN;
	T_VERDICT(tb_send(t, FROM, ifi_a, &p), TC_OK);
	return pressure_is(t, 14, TCSEG_PRESSURE_NORMAL);
}

/*
 * The session map is an LRU hash with BPF_F_NO_COMMON_LRU: the kernel
 * splits its entries among the possible CPUs and a CPU only evicts from
 * its own share. All traffic on one CPU (this run is pinned to one) must
 * still find room for the sessions the pressure accounting admits (below
 * 90%); otherwise live sessions vanish while the level reads normal.
 */
static int test_sessions_fit_below_critical_on_one_cpu(struct tb *t)
{
	struct pkt_spec p = udp_spec(POD, 10000, PEER, 9000);
	struct tcseg_pressure pr;
	int live;

	T_OK(open_flows(t, 17, 10000));
	T_OK(tb_pressure(t, &pr));
	T_EQ(pr.pressure_level, TCSEG_PRESSURE_WARNING);
	live = tb_nsess(t);
	T_ASSERT(live == 17 && !tb_sess(t, ifi_a, &p, &(struct tcseg_session){}),
		 "map of %u (session_max %u, %d possible CPUs): %d of 17 "
		 "admitted sessions left, the first one %s; the data path "
		 "counts %llu", t->sessions_max, t->cfg.session_max, t->ncpus,
		 live, tb_sess(t, ifi_a, &p, &(struct tcseg_session){}) ?
		 "evicted" : "kept", (unsigned long long)pr.total_sessions);
	return 0;
}

/* SYN guard, limit 5 half-open sessions per pod. */
static int syn_setup(struct tb *t, __u32 window_ms)
{
	t->cfg.syn_limit = 5;
	t->cfg.syn_window_ms = window_ms;
	return tb_cfg_write(t);
}

static __u64 syn_count(struct tb *t, __u32 ifi)
{
	struct tcseg_dev d;

	if (tb_dev_get(t, ifi, &d))
		return ~0ull;
	return d.syn_count[0] + d.syn_count[1];
}

static int syn_fill(struct tb *t, struct tcpflow *f, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		tf_make(&f[i], ifi_a, FROM, POD, 41000 + i, PEER, 80);
		T_VERDICT(tf_send(t, &f[i], 1, PKT_SYN, 0), TC_OK);
	}
	return 0;
}

static int test_syn_flood_sixth_syn_dropped(struct tb *t)
{
	struct tcpflow f[6];
	struct tcseg_session s;
	int i;

	T_OK(syn_setup(t, TB_SYN_WINDOW_MS));
	T_OK(syn_fill(t, f, 5));
	for (i = 0; i < 5; i++) {
		T_OK(tf_sess(t, &f[i], &s));
		T_STATE(s, TCSEG_TCP_SYN_SENT);
		T_ASSERT(s.flags & TCSEG_SESS_F_SYN_COUNTED, "flags 0x%x",
			 s.flags);
	}
	T_EQ(syn_count(t, ifi_a), 5);
	tf_make(&f[5], ifi_a, FROM, POD, 41005, PEER, 80);
	T_VERDICT(tf_send(t, &f[5], 1, PKT_SYN, 0), TC_SHOT);
	T_EQ(tb_drops(t, TCSEG_DROP_SYN_FLOOD), 1);
	T_EQ(tb_stat(t, TCSEG_STAT_TCP_SYN_FLOODS), 1);
	T_ASSERT(tf_sess(t, &f[5], &s) == -ENOENT, "6th SYN got a session");
	/* a retransmitted SYN of an admitted flow is not a new half-open */
	f[0].iseq--;
	T_VERDICT(tf_send(t, &f[0], 1, PKT_SYN, 0), TC_OK);
	T_EQ(syn_count(t, ifi_a), 5);
	return 0;
}

static int test_syn_flood_other_device_unaffected(struct tb *t)
{
	struct tcpflow f[5], g;

	T_OK(syn_setup(t, TB_SYN_WINDOW_MS));
	T_OK(syn_fill(t, f, 5));
	tf_make(&g, ifi_b, FROM, POD, 41000, PEER, 80);
	T_VERDICT(tf_send(t, &g, 1, PKT_SYN, 0), TC_OK);
	T_EQ(syn_count(t, ifi_b), 1);
	/* SYNs towards the pod are not charged to it (an outside flood
	 * must not lock out its clients): it still accepts, count stays */
	tf_make(&g, ifi_a, TO, PEER, 50000, POD, 22);
	T_VERDICT(tf_send(t, &g, 1, PKT_SYN, 0), TC_OK);
	T_EQ(syn_count(t, ifi_a), 5);
	T_EQ(tb_drops(t, TCSEG_DROP_SYN_FLOOD), 0);
	return 0;
}

static int test_syn_flood_completed_handshakes_free_count(struct tb *t)
{
	struct tcpflow f[5], g;
	int i;

	T_OK(syn_setup(t, TB_SYN_WINDOW_MS));
	T_OK(syn_fill(t, f, 5));
	for (i = 0; i < 2; i++) {
		T_VERDICT(tf_send(t, &f[i], 0, PKT_SYN | PKT_ACK, 0), TC_OK);
		T_VERDICT(tf_send(t, &f[i], 1, PKT_ACK, 0), TC_OK);
	}
	/* an RST on a half-open session frees its slot too */
	T_VERDICT(tf_send(t, &f[2], 0, PKT_RST | PKT_ACK, 0), TC_OK);
	T_EQ(syn_count(t, ifi_a), 2);
	for (i = 0; i < 3; i++) {
		tf_make(&g, ifi_a, FROM, POD, 42000 + i, PEER, 80);
		T_VERDICT(tf_send(t, &g, 1, PKT_SYN, 0), TC_OK);
	}
	tf_make(&g, ifi_a, FROM, POD, 42003, PEER, 80);
	T_VERDICT(tf_send(t, &g, 1, PKT_SYN, 0), TC_SHOT);
	T_EQ(tb_stat(t, TCSEG_STAT_TCP_SYN_FLOODS), 1);
	return 0;
}

/* Half-open sessions that never complete stop counting after 2 windows. */
static int test_syn_guard_heals_after_two_windows(struct tb *t)
{
	struct timespec ts = { 0, 350 * 1000 * 1000 };
	struct tcpflow f[5], g;

	T_OK(syn_setup(t, 100));
	T_OK(syn_fill(t, f, 5));
	tf_make(&g, ifi_a, FROM, POD, 42000, PEER, 80);
	T_VERDICT(tf_send(t, &g, 1, PKT_SYN, 0), TC_SHOT);
	nanosleep(&ts, NULL);
	g.iseq--;
	T_VERDICT(tf_send(t, &g, 1, PKT_SYN, 0), TC_OK);
	T_EQ(syn_count(t, ifi_a), 1);
	return 0;
}

/* Totals agree with what was sent, allowed, dropped and why. */
static int test_stats_totals_consistent(struct tb *t)
{
	struct tb_rule deny = { .dst = "10.0.9.0/24", .action = TCSEG_ACT_DENY,
				.id = 1 };
	struct pkt_spec ok = udp_spec(POD, 5000, PEER, 53);
	struct pkt_spec no = udp_spec(POD, 5000, "10.0.9.1", 53);
	__u64 bytes_ok = 0, bytes_no = 0, reasons = 0;
	uint8_t b[PKT_MAX];
	size_t n;
	int i;

	T_OK(tb_rule(t, &deny));
	for (i = 0; i < 4; i++) {
		ok.payload = 10 * i;
		n = pkt_build(b, &ok);
		T_VERDICT(tb_run(t, i & 1 ? TO : FROM, ifi_a, b, n), TC_OK);
		bytes_ok += n;
	}
	n = pkt_arp(b);
	T_VERDICT(tb_run(t, FROM, ifi_a, b, n), TC_OK);
	bytes_ok += n;
	for (i = 0; i < 3; i++) {
		no.payload = 100 * i;
		n = pkt_build(b, &no);
		T_VERDICT(tb_run(t, FROM, ifi_b, b, n), TC_SHOT);
		bytes_no += n;
	}
	n = pkt_build(b, &ok);
	b[PKT_OFF_IP] = 0x43;
	T_VERDICT(tb_run(t, FROM, ifi_a, b, n), TC_SHOT);
	bytes_no += n;

	T_EQ(tb_stat(t, TCSEG_STAT_TOTAL_PACKETS), 9);
	T_EQ(tb_stat(t, TCSEG_STAT_ALLOWED_PACKETS), 5);
	T_EQ(tb_stat(t, TCSEG_STAT_DENIED_PACKETS), 4);
	T_EQ(tb_stat(t, TCSEG_STAT_TOTAL_BYTES), bytes_ok + bytes_no);
	T_EQ(tb_stat(t, TCSEG_STAT_ALLOWED_BYTES), bytes_ok);
	T_EQ(tb_stat(t, TCSEG_STAT_DENIED_BYTES), bytes_no);
	for (i = 0; i < TCSEG_DROP_MAX; i++)
		reasons += tb_drops(t, i);
	T_EQ(reasons, 4);
	T_EQ(tb_drops(t, TCSEG_DROP_POLICY), 3);
	T_EQ(tb_drops(t, TCSEG_DROP_MALFORMED), 1);
	T_EQ(tb_stat(t, TCSEG_STAT_SESSION_HITS), 3);
	return 0;
}

static int test_rule_counter_counts_every_packet_of_flow(struct tb *t)
{
	struct tb_rule r = { .dst = PEER "/32", .proto = IPPROTO_TCP,
			     .action = TCSEG_ACT_ALLOW, .id = 4 };
	struct tcseg_rule_counter c;
	struct tcseg_session s;
	struct tcpflow f;

	tf_make(&f, ifi_a, FROM, POD, 40000, PEER, 80);
	T_OK(tb_rule(t, &r));
	T_OK(tf_handshake(t, &f));
	T_VERDICT(tf_send(t, &f, 0, PKT_ACK | PKT_PSH, 300), TC_OK);
	T_OK(tb_rule_ctr(t, 4, &c));
	T_OK(tf_sess(t, &f, &s));
	T_EQ(c.packets, 4);
	T_EQ(s.packets, 4);
	T_EQ(c.bytes, s.bytes);
	return 0;
}

/* Fuzz: xorshift, fixed seed so a failure can be replayed. */
static __u64 rnd_state = 0x9e3779b97f4a7c15ull;

static __u32 rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state >> 11;
}

static const char *const fuzz_addrs[] = { POD, PEER, "10.0.9.1",
					  "192.168.1.1", "0.0.0.0",
					  "255.255.255.255" };

static size_t fuzz_frame(uint8_t *b)
{
	static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP,
					  IPPROTO_ICMP, IPPROTO_GRE, 0 };
	struct pkt_spec s = {}, in = {};
	size_t n, i, flips;
	__u32 kind = rnd() % 100;

	if (kind < 15) {	/* noise with an Ethernet header */
		n = PKT_ETH_HLEN + rnd() % 200;
		for (i = 0; i < n; i++)
			b[i] = rnd();
		if (kind < 10)
			pkt_put16(b + 12, 0x0800);
		return n;
	}
	s.saddr = pkt_ip(fuzz_addrs[rnd() % 6]);
	s.daddr = pkt_ip(fuzz_addrs[rnd() % 6]);
	s.proto = protos[rnd() % 5];
	s.sport = rnd() % 4 ? rnd() : 53;
	s.dport = rnd() % 4 ? rnd() : 80;
	s.tcp_flags = rnd();
	s.seq = rnd();
	s.ack = rnd();
	s.payload = rnd() % 120;
	s.ip_optlen = rnd() % 3 ? 0 : 4 * (rnd() % 11);
	s.ip_id = rnd() % 8;
	s.frag = rnd() % 5 ? 0 : (rnd() & (PKT_IP_MF | 0x7));
	s.no_l4 = (s.frag & 0x1fff) != 0;
	s.icmp_type = rnd() % 4 ? (rnd() % 2 ? 8 : 0) : rnd() % 16;
	if (s.proto == IPPROTO_ICMP && s.icmp_type == 3 && rnd() % 2) {
		in = s;
		in.proto = IPPROTO_TCP;
		in.ip_optlen = 0;
		n = pkt_icmp_error(b, s.saddr, s.daddr, 3, rnd() % 16, &in);
	} else {
		n = pkt_build(b, &s);
	}
	if (rnd() % 4 == 0)		/* truncate, keep Ethernet + IPv4 */
		n = PKT_ETH_HLEN + 20 + rnd() % (n - PKT_ETH_HLEN - 19);
	flips = rnd() % 4 == 0 ? 1 + rnd() % 3 : 0;
	for (i = 0; i < flips; i++)	/* corrupt a header byte */
		b[PKT_ETH_HLEN + rnd() % 60 % (n - PKT_ETH_HLEN)] = rnd();
	return n;
}

/*
 * Global default deny, no allow rule, no audit: whatever the frame, an
 * IPv4 one is dropped. Runs are never refused by the kernel except for
 * IPv4/IPv6 frames shorter than their network header.
 */
static int test_fuzz_default_deny_never_allows_ipv4(struct tb *t)
{
	uint8_t b[PKT_MAX];
	int i, v, runs = 0, dir;
	__u32 ifi;
	size_t n;

	t->cfg.default_action = TCSEG_ACT_DENY;
	t->cfg.syn_limit = 3;
	T_OK(tb_cfg_write(t));
	for (i = 0; i < 20000; i++) {
		n = fuzz_frame(b);
		if (b[12] == 0x08 && b[13] == 0x00 && n < PKT_ETH_HLEN + 20)
			continue;	/* refused by test_run, see above */
		if (b[12] == 0x86 && b[13] == 0xdd && n < PKT_ETH_HLEN + 40)
			continue;
		for (dir = FROM; dir <= TO; dir++) {
			ifi = (i & 1) ? ifi_a : ifi_b;
			v = tb_run(t, dir, ifi, b, n);
			runs++;
			T_ASSERT(v == TC_OK || v == TC_SHOT,
				 "frame %d (len %zu): run failed or odd verdict %d",
				 i, n, v);
			if (b[12] == 0x08 && b[13] == 0x00 && v != TC_SHOT)
				T_FAIL("frame %d (len %zu, proto %u) allowed "
				       "under default deny", i, n, b[23]);
		}
	}
	T_EQ(tb_nsess(t), 0);
	T_EQ(tb_stat(t, TCSEG_STAT_TOTAL_PACKETS), runs);
	T_EQ(tb_stat(t, TCSEG_STAT_ALLOWED_PACKETS) +
	     tb_stat(t, TCSEG_STAT_DENIED_PACKETS), runs);
	return 0;
}

/* Same frames under allow with a tiny map: no failure, counters add up. */
static int test_fuzz_default_allow_counters_add_up(struct tb *t)
{
	__u64 reasons = 0;
	uint8_t b[PKT_MAX];
	int i, v, runs = 0;
	size_t n;

	t->cfg.syn_limit = 3;
	t->cfg.flags = TCSEG_CFG_F_TRACE_DROPS;
	T_OK(tb_cfg_write(t));
	for (i = 0; i < 10000; i++) {
		n = fuzz_frame(b);
		if ((b[12] == 0x08 && b[13] == 0x00 && n < PKT_ETH_HLEN + 20) ||
		    (b[12] == 0x86 && b[13] == 0xdd && n < PKT_ETH_HLEN + 40))
			continue;
		v = tb_run(t, i & 1, (i & 2) ? ifi_a : ifi_b, b, n);
		runs++;
		T_ASSERT(v == TC_OK || v == TC_SHOT,
			 "frame %d (len %zu): run failed or odd verdict %d", i,
			 n, v);
		if (i % 256 == 0)
			tb_events(t);	/* keep the ring buffer drained */
	}
	for (i = 0; i < TCSEG_DROP_MAX; i++)
		reasons += tb_drops(t, i);
	T_EQ(tb_stat(t, TCSEG_STAT_TOTAL_PACKETS), runs);
	T_EQ(tb_stat(t, TCSEG_STAT_ALLOWED_PACKETS) +
	     tb_stat(t, TCSEG_STAT_DENIED_PACKETS), runs);
	T_EQ(reasons, tb_stat(t, TCSEG_STAT_DENIED_PACKETS));
	T_ASSERT(tb_stat(t, TCSEG_STAT_ALLOWED_PACKETS) > 0 &&
		 tb_stat(t, TCSEG_STAT_DENIED_PACKETS) > 0,
		 "fuzz frames all had one verdict");
	return 0;
}

const struct tb_case cases_limits[] = {
	TB_CASE_SZ(pressure_warning_at_70_percent, SMALL_SESSIONS),
	TB_CASE_SZ(pressure_critical_at_90_percent_still_admits, SMALL_SESSIONS),
	TB_CASE_SZ(critical_existing_session_still_passes, SMALL_SESSIONS),
	TB_CASE_SZ(pressure_recovers_after_sessions_close, SMALL_SESSIONS),
	TB_CASE_SZ(sessions_fit_below_critical_on_one_cpu, SMALL_SESSIONS),
	TB_CASE(syn_flood_sixth_syn_dropped),
	TB_CASE(syn_flood_other_device_unaffected),
	TB_CASE(syn_flood_completed_handshakes_free_count),
	TB_CASE(syn_guard_heals_after_two_windows),
	TB_CASE(stats_totals_consistent),
	TB_CASE(rule_counter_counts_every_packet_of_flow),
	TB_CASE(fuzz_default_deny_never_allows_ipv4),
	TB_CASE_SZ(fuzz_default_allow_counters_add_up, 64),
	TB_END,
};
