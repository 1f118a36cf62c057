/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The benchmark policy: a few fixed rules the benchmarks' flows hit, plus
 * N exact and M CIDR filler rules that none of them match. Written as a
 * `tcctl policy apply -f` file; the benchmarks compute the flows from the
 * same functions, so the file and the packets always agree.
 *
 * Fixed rules (pods 10.200.0.1 = a, .2 = b, .3 = c, as in netns-tests):
 *   id 1  exact  a:40000 -> b:5201 tcp allow   (session hit)
 *   id 2  exact  a:40001 -> b:5201 tcp deny    (denied by an exact rule)
 *   id 3  CIDR   a -> b tcp dport 5201 allow   (new TCP flows, iperf3)
 *   id 4  CIDR   c -> b deny                   (denied by a CIDR rule)
 *   id 5  CIDR   10.200.0.0/24 -> 10.200.0.0/24 icmp allow
 * Exact filler i: 10.1.0.0+i -> 10.2.0.0+(i%4096), all distinct sources.
 * CIDR filler i: 172.16.0.0+(i<<8)/24 -> 10.60.(i%256).0/24 tcp, one
 * source class each (no nesting, so the compiled set is one entry each).
 *
 * With IPv6 (dual stack: the same policy in both families), also the
 * same fixed rules for the pods' IPv6 addresses (a fd00::1, b fd00::2,
 * c fd00::3) as ids 6-10, and every filler again with each IPv4 address
 * x mirrored to fd64::/96 + x (a /N prefix becomes /96+N), after the
 * IPv4 fillers.
 */
#ifndef TCSEG_BENCH_POLICY_H
#define TCSEG_BENCH_POLICY_H

#include <stdint.h>
#include <stdio.h>

#define BP_POD_A	"10.200.0.1"
#define BP_POD_B	"10.200.0.2"
#define BP_POD_C	"10.200.0.3"
#define BP_POD_A6	"fd00::1"
#define BP_POD_B6	"fd00::2"
#define BP_POD_C6	"fd00::3"
#define BP_FIXED6_ID	6		/* the first fixed IPv6 rule */
#define BP_PORT		5201		/* iperf3's default */
#define BP_HIT_SPORT	40000
#define BP_DENY_SPORT	40001
#define BP_FIRST_FILLER_ID 100
#define BP_MAX_EXACT	1000000
#define BP_MAX_CIDR	65536

/* One filler rule's match (host order) and action. */
struct bp_tuple {
	uint32_t saddr;
	uint32_t daddr;
	uint8_t src_plen;
	uint8_t dst_plen;
	uint8_t proto;		/* IPPROTO_TCP / IPPROTO_UDP */
	uint16_t sport;		/* 0 = none */
	uint16_t dport;
	int deny;
};

/* Exact filler rule @i (0-based); @change: the 1%-changed variant. */
void bp_exact(unsigned int i, int change, struct bp_tuple *t);
void bp_cidr(unsigned int i, int change, struct bp_tuple *t);

/* The IPv6 mirror of a filler's IPv4 address (host order): fd64::/96 + x */
void bp_mirror6(uint32_t x, uint8_t a[16]);

/*
 * prog_bench --range N: 0 = the rules above; N >= 1: rules 3 and 4 take
 * "proto tcp dport" BP_PORT (N = 1) or the range BP_PORT..BP_PORT+N-1.
 */
extern unsigned int bp_range_ports;

/*
 * Write the policy: fixed rules, @n_exact exact and @n_cidr CIDR fillers;
 * @v6: the fixed IPv6 rules and the fillers' IPv6 mirrors as well.
 * @change_pct > 0 changes that percentage of the fillers (dport + 1 and
 * the action flipped: one rule in every 100/@change_pct).
 * Returns 0 or negative errno.
 */
int bp_write(FILE *f, unsigned int n_exact, unsigned int n_cidr,
	     unsigned int change_pct, int v6);

#endif
