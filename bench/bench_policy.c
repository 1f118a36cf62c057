// SPDX-License-Identifier: GPL-2.0
/*
 * The benchmark policy file (see bench_policy.h for its layout).
 */
#include <errno.h>
#include <string.h>
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

void bp_mirror6(uint32_t x, uint8_t a[16])
{
	memset(a, 0, 16);
	a[0] = 0xfd;
	a[1] = 0x64;
	a[12] = x >> 24;
	a[13] = x >> 16;
	a[14] = x >> 8;
	a[15] = x;
}

/* IPv4 a.b.c.d[/plen], or (@v6) its mirror fd64::X:Y[/96+plen] */
static void put_ip(FILE *f, const char *word, uint32_t a, uint8_t plen,
		   int v6)
{
	if (v6) {
		fprintf(f, " %s fd64::%x:%x", word, a >> 16, a & 0xffff);
		if (plen != 32)
			fprintf(f, "/%u", 96 + plen);
		return;
	}
	fprintf(f, " %s %u.%u.%u.%u", word, a >> 24, (a >> 16) & 255,
		(a >> 8) & 255, a & 255);
	if (plen != 32)
		fprintf(f, "/%u", plen);
}

static void put_rule(FILE *f, unsigned int id, const struct bp_tuple *t,
		     int v6)
{
	fprintf(f, "id %u", id);
	put_ip(f, "from", t->saddr, t->src_plen, v6);
	put_ip(f, "to", t->daddr, t->dst_plen, v6);
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

/*
 * The fixed rules (ids @id.. @id+4) for the pods @a, @b, @c; rules 3 and 4
 * take @ports (one port or, with --range, a range).
 */
static void put_fixed(FILE *f, unsigned int id, const char *a, const char *b,
		      const char *c, const char *net, const char *icmp,
		      const char *ports)
{
	fprintf(f, "id %u from %s to %s proto tcp sport %u dport %u action allow\n",
		id, a, b, BP_HIT_SPORT, BP_PORT);
	fprintf(f, "id %u from %s to %s proto tcp sport %u dport %u action deny\n",
		id + 1, a, b, BP_DENY_SPORT, BP_PORT);
	fprintf(f, "id %u from %s to %s proto tcp dport %s action allow\n",
		id + 2, a, b, ports);
	if (bp_range_ports)
		fprintf(f, "id %u from %s to %s proto tcp dport %s action deny\n",
			id + 3, c, b, ports);
	else
		fprintf(f, "id %u from %s to %s action deny\n", id + 3, c, b);
	fprintf(f, "id %u from %s to %s proto %s action allow\n", id + 4, net,
		net, icmp);
}

/* The fillers, in IPv4 or (@v6) mirrored in IPv6; returns the next id. */
static unsigned int put_fillers(FILE *f, unsigned int id, unsigned int n_exact,
				unsigned int n_cidr, unsigned int change_pct,
				int v6)
{
	struct bp_tuple t;
	unsigned int i;

	for (i = 0; i < n_exact; i++) {
		bp_exact(i, changed(i, change_pct), &t);
		put_rule(f, id++, &t, v6);
	}
	for (i = 0; i < n_cidr; i++) {
		bp_cidr(i, changed(i, change_pct), &t);
		put_rule(f, id++, &t, v6);
	}
	return id;
}

int bp_write(FILE *f, unsigned int n_exact, unsigned int n_cidr,
	     unsigned int change_pct, int v6)
{
	unsigned int id;
	char ports[16];

	if (n_exact > BP_MAX_EXACT || n_cidr > BP_MAX_CIDR || change_pct > 100)
		return -EINVAL;
	if (bp_range_ports > 1)
		snprintf(ports, sizeof(ports), "%u-%u", BP_PORT,
			 BP_PORT + bp_range_ports - 1);
	else
		snprintf(ports, sizeof(ports), "%u", BP_PORT);
	fprintf(f, "# tcseg benchmark policy: %u exact + %u CIDR fillers, "
		"%u%% changed%s (bench/bench_policy.h)\n", n_exact, n_cidr,
		change_pct, v6 ? ", IPv4 and IPv6" : "");
	put_fixed(f, 1, BP_POD_A, BP_POD_B, BP_POD_C, "10.200.0.0/24", "icmp",
		  ports);
	if (v6)
		put_fixed(f, BP_FIXED6_ID, BP_POD_A6, BP_POD_B6, BP_POD_C6,
			  "fd00::/64", "icmpv6", ports);
	id = put_fillers(f, BP_FIRST_FILLER_ID, n_exact, n_cidr, change_pct, 0);
	if (v6)
		put_fillers(f, id, n_exact, n_cidr, change_pct, 1);
	if (fflush(f) || ferror(f))
		return -EIO;
	return 0;
}
