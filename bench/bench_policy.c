// SPDX-License-Identifier: GPL-2.0
/*
 * The benchmark policy file (see bench_policy.h for its layout).
 */
#include <errno.h>
#include <netinet/in.h>

#include "bench_policy.h"

void bp_exact(unsigned int i, int change, struct bp_tuple *t)
{
	t->saddr = (10u << 24 | 1u << 16) + i;		/* 10.1.0.0 + i */
	t->daddr = (10u << 24 | 2u << 16) + (i % 4096);
	t->src_plen = 32;
	t->dst_plen = 32;
	t->proto = i % 4 ? IPPROTO_TCP : IPPROTO_UDP;
	t->sport = 1024 + i % 60000;
	t->dport = 1 + i % 1000 + !!change;
	t->deny = (i % 10 == 9) ^ !!change;
}

void bp_cidr(unsigned int i, int change, struct bp_tuple *t)
{
	t->saddr = (172u << 24 | 16u << 16) + (i << 8);	/* 172.16.0.0 + i /24 */
	t->daddr = (10u << 24 | 60u << 16) + ((i % 256) << 8);
	t->src_plen = 24;
	t->dst_plen = 24;
	t->proto = IPPROTO_TCP;
	t->sport = 0;
	t->dport = 1000 + i % 5000 + !!change;
	t->deny = (i % 2) ^ !!change;
}

static void put_ip(FILE *f, const char *word, uint32_t a, uint8_t plen)
{
	fprintf(f, " %s %u.%u.%u.%u", word, a >> 24, (a >> 16) & 255,
		(a >> 8) & 255, a & 255);
	if (plen != 32)
		fprintf(f, "/%u", plen);
}

static void put_rule(FILE *f, unsigned int id, const struct bp_tuple *t)
{
	fprintf(f, "id %u", id);
	put_ip(f, "from", t->saddr, t->src_plen);
	put_ip(f, "to", t->daddr, t->dst_plen);
	fprintf(f, " proto %s", t->proto == IPPROTO_TCP ? "tcp" : "udp");
	if (t->sport)
		fprintf(f, " sport %u", t->sport);
	fprintf(f, " dport %u action %s\n", t->dport,
		t->deny ? "deny" : "allow");
}

static int changed(unsigned int i, unsigned int pct)
{
	return pct && i % (100 / pct) == 0;
}

unsigned int bp_range_ports;

int bp_write(FILE *f, unsigned int n_exact, unsigned int n_cidr,
	     unsigned int change_pct)
{
	struct bp_tuple t;
	unsigned int i, id = BP_FIRST_FILLER_ID;
	char ports[16];

	if (n_exact > BP_MAX_EXACT || n_cidr > BP_MAX_CIDR || change_pct > 100)
		return -EINVAL;
	if (bp_range_ports > 1)
		snprintf(ports, sizeof(ports), "%u-%u", BP_PORT,
			 BP_PORT + bp_range_ports - 1);
	else
		snprintf(ports, sizeof(ports), "%u", BP_PORT);
	fprintf(f, "# tcseg benchmark policy: %u exact + %u CIDR fillers, "
		"%u%% changed (bench/bench_policy.h)\n", n_exact, n_cidr,
		change_pct);
	fprintf(f, "id 1 from %s to %s proto tcp sport %u dport %u action allow\n",
		BP_POD_A, BP_POD_B, BP_HIT_SPORT, BP_PORT);
	fprintf(f, "id 2 from %s to %s proto tcp sport %u dport %u action deny\n",
		BP_POD_A, BP_POD_B, BP_DENY_SPORT, BP_PORT);
	fprintf(f, "id 3 from %s to %s proto tcp dport %s action allow\n",
		BP_POD_A, BP_POD_B, ports);
	if (bp_range_ports)
		fprintf(f, "id 4 from %s to %s proto tcp dport %s action "
			"deny\n", BP_POD_C, BP_POD_B, ports);
	else
		fprintf(f, "id 4 from %s to %s action deny\n", BP_POD_C,
			BP_POD_B);
	fprintf(f, "id 5 from 10.200.0.0/24 to 10.200.0.0/24 proto icmp "
		"action allow\n");
	for (i = 0; i < n_exact; i++) {
		bp_exact(i, changed(i, change_pct), &t);
		put_rule(f, id++, &t);
	}
	for (i = 0; i < n_cidr; i++) {
		bp_cidr(i, changed(i, change_pct), &t);
		put_rule(f, id++, &t);
	}
	if (fflush(f) || ferror(f))
		return -EIO;
	return 0;
}
