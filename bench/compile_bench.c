// SPDX-License-Identifier: GPL-2.0
/*
 * Policy compiler timing: policy_compile() on generated rule sets, the
 * best and median of several runs each.
 *   compile_bench [RUNS]
 * Sets: 100k exact + 10k CIDR rules with a wildcard source (the target:
 * well under 200 ms); the same with 100 source prefixes (every wildcard
 * rule is copied into each class); with 1k source prefixes against the
 * default CIDR map size (refused: how fast); 1M exact rules.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "policy/compile.h"
#include "policy/rule.h"

struct set {
	const char *name;
	size_t n_exact;
	size_t n_cidr;
	size_t n_src;		/* distinct /24 sources among CIDR rules */
	size_t max_cidr;	/* 0 = no limit; else expect -E2BIG */
};

static void gen(const struct set *s, struct tcseg_rule *v)
{
	size_t i, j;

	for (i = 0; i < s->n_exact; i++) {
		v[i].id = (__u32)i + 1;
		v[i].slot = (__u32)i;
		v[i].src_plen = 32;
		v[i].dst_plen = 32;
		v[i].family = TCSEG_FAMILY_V4;
		v[i].saddr.v4 = htonl(0x0a000000 | (__u32)(i / 60000));
		v[i].daddr.v4 = htonl(0x0b000000 | (__u32)(i % 4096));
		v[i].proto = i % 2 ? IPPROTO_TCP : IPPROTO_UDP;
		v[i].sport = (__u16)(i % 60000 + 1);
		v[i].dport = (__u16)(i % 7 + 1);
		v[i].action = (__u8)(i % 3);
	}
	for (j = 0; j < s->n_cidr; j++) {
		struct tcseg_rule *r = &v[s->n_exact + j];

		r->id = (__u32)(s->n_exact + j + 1);
		r->slot = r->id - 1;
		r->dst_plen = (__u8)(16 + j % 17);
		r->family = TCSEG_FAMILY_V4;
		r->daddr.v4 = htonl((__u32)j << (32 - r->dst_plen));
		if (s->n_src && j % 10 == 0) {
			r->src_plen = 24;
			r->saddr.v4 = htonl(0x0a000000 |
					    (__u32)(j / 10 % s->n_src) << 8);
		}
		r->proto = j % 3 ? 0 : IPPROTO_TCP;
		r->dport = j % 5 ? 0 : 443;
		r->action = (__u8)(j % 3);
	}
}

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int run(const struct set *s, int runs)
{
	size_t n = s->n_exact + s->n_cidr;
	struct tcseg_rule *v = calloc(n, sizeof(*v));
	double *ms = calloc((size_t)runs, sizeof(*ms)), t;
	char err[TCSEG_ERRLEN];
	struct compiled c;
	int i, ret = 0;

	ret = -ENOMEM;
	if (!v || !ms)
		goto out;
	gen(s, v);
	for (i = 0; i < runs; i++) {
		t = now_ms();
		ret = policy_compile(v, n, s->max_cidr, &c, err, sizeof(err));
		ms[i] = now_ms() - t;
		if (ret == -E2BIG && s->max_cidr) {
			if (i == runs - 1)
				printf("%-28s refused: %s\n%28s  ", s->name,
				       err, "");
			ret = 0;
			continue;
		}
		if (ret) {
			fprintf(stderr, "%s: %s\n", s->name, err);
			goto out;
		}
		if (i == runs - 1)
			printf("%-28s exact %7zu  classes %5zu  cidr entries %8zu  ",
			       s->name, c.n_exact, c.n_src, c.n_cidr);
		compiled_free(&c);
	}
	qsort(ms, (size_t)runs, sizeof(*ms), cmp_double);
	printf("best %7.1f ms  median %7.1f ms  (%d runs)\n", ms[0],
	       ms[runs / 2], runs);
out:
	free(ms);
	free(v);
	return ret;
}

int main(int argc, char **argv)
{
	static const struct set sets[] = {
		{ "100k exact + 10k cidr", 100000, 10000, 0, 0 },
		{ "... with 100 src prefixes", 100000, 10000, 100, 0 },
		{ "... 1k src prefixes, limit", 100000, 10000, 1000,
		  TCSEG_DEF_CIDR_ENTRIES },
		{ "1M exact", 1000000, 0, 0, 0 },
	};
	int runs = argc > 1 ? atoi(argv[1]) : 5;
	size_t i;

	if (runs < 1 || runs > 1000) {
		fprintf(stderr, "usage: %s [RUNS 1-1000]\n", argv[0]);
		return 2;
	}
	for (i = 0; i < sizeof(sets) / sizeof(sets[0]); i++)
		if (run(&sets[i], runs))
			return 1;
	return 0;
}
