// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for port ranges (docs/POLICY.md §Port ranges): the words
 * ("dport 8000-8099" and hostile ones), map entries per range, which rule
 * wins where ranges overlap, and agreement of the compiled maps' model
 * with the rule list's on random policies with ranges.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "policy/compile.h"
#include "policy/rule.h"
#include "rule_test_util.h"

static char err[TCSEG_ERRLEN];

static int parse(const char *line, struct tcseg_rule *r)
{
	char *argv[64];
	int argc = split_test_line(line, argv, 64);

	err[0] = 0;
	return rule_parse_words(argc, argv, r, NULL, NULL, err, sizeof(err));
}

static struct tcseg_rule R(const char *line)
{
	struct tcseg_rule r;

	if (parse(line, &r)) {
		print_error("bad test rule '%s': %s\n", line, err);
		fail();
	}
	r.slot = r.id + 1000;
	return r;
}

static void expect_error(const char *line, const char *msg)
{
	struct tcseg_rule r;

	assert_int_equal(parse(line, &r), -EINVAL);
	if (!strstr(err, msg))
		fail_msg("'%s': error '%s' lacks '%s'", line, err, msg);
}

static void test_words(void **state)
{
	struct tcseg_rule r, back;
	char buf[256], *argv[64];
	int argc;

	(void)state;
	r = R("proto tcp dport 8000-8099 action allow");
	assert_int_equal(r.dport, 8000);
	assert_int_equal(r.dport_max, 8099);
	r = R("dport 80-80 action allow");	/* one port */
	assert_int_equal(r.dport, 80);
	assert_int_equal(r.dport_max, 0);
	r = R("dport 1-1024 action allow");	/* the longest range */
	assert_int_equal(r.dport_max, 1024);
	expect_error("dport 9-8 action allow",
		     "dport: bad port range '9-8': 9 is above 8");
	expect_error("dport 1-70000 action allow",
		     "dport: bad port '70000': must be 1-65535");
	expect_error("dport 1-1025 action allow",
		     "port range '1-1025' has 1025 ports, at most 1024");
	expect_error("dport -5 action allow", "dport: bad port ''");
	expect_error("dport 5- action allow", "dport: bad port ''");
	expect_error("dport 1-2-3 action allow", "dport: bad port '2-3'");
	expect_error("dport 0-5 action allow", "dport: bad port '0'");
	expect_error("dport 123456-123457 action allow",
		     "dport: bad port '123456'");
	expect_error("dport 12345678-1 action allow",
		     "dport: bad port range '12345678-1': expected LO-HI");
	expect_error("dport 80-90 proto icmp action allow", "dport: ports need");
	/* the canonical words parse back to the same rule */
	r = R("id 4 from 10.0.0.1 to 10.0.0.2 proto tcp sport 5 dport 10-20 "
	      "action deny");
	assert_true(rule_format(&r, NULL, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "dport 10-20"));
	argc = split_test_line(buf, argv, 64);
	assert_int_equal(rule_parse_words(argc, argv, &back, NULL, NULL, err,
					  sizeof(err)), 0);
	back.slot = r.slot;
	assert_memory_equal(&back, &r, sizeof(r));
	/* a range is part of the match */
	back.dport_max = 21;
	assert_false(rule_same_match(&back, &r));
	/* rules made by hand are checked too */
	r = R("dport 10 action allow");
	r.dport_max = 9;
	assert_int_equal(rule_validate(&r, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "dport: bad port range 10-9"));
	r.dport_max = 10 + RULE_PORT_RANGE_MAX;
	assert_int_equal(rule_validate(&r, err, sizeof(err)), -EINVAL);
	r.dport = 0;
	r.dport_max = 20;
	assert_int_equal(rule_validate(&r, err, sizeof(err)), -EINVAL);
}

/* Entries a range costs (docs/POLICY.md §Port ranges: one per port). */
static void test_entries(void **state)
{
	struct tcseg_rule one[] = {
		R("id 1 to 10.0.0.0/24 proto tcp dport 8000-8099 action allow"),
	}, any[] = {
		R("id 1 to 10.0.0.0/24 dport 8000-8099 action allow"),
	}, exact[] = {
		R("id 1 from 10.0.0.1 to 10.0.0.2 proto tcp sport 9 dport 100-109 action allow"),
	};
	struct compiled c;

	(void)state;
	assert_int_equal(policy_compile(one, 1, 0, &c, err, sizeof(err)), 0);
	assert_int_equal(c.n_cidr, 100);
	compiled_free(&c);
	/* proto any with a port: tcp and udp */
	assert_int_equal(policy_compile(any, 1, 0, &c, err, sizeof(err)), 0);
	assert_int_equal(c.n_cidr, 200);
	compiled_free(&c);
	assert_int_equal(policy_compile(exact, 1, 0, &c, err, sizeof(err)), 0);
	assert_int_equal(c.n_exact, 10);
	assert_int_equal(c.n_cidr, 0);
	compiled_free(&c);
	/* the map limit counts every port */
	assert_int_equal(policy_compile(any, 1, 199, &c, err, sizeof(err)),
			 -E2BIG);
	assert_non_null(strstr(err, "200"));
}

static void lookup_both(const struct compiled *c, const struct tcseg_rule *r,
			size_t n, const char *src, const char *dst,
			__u16 sport, __u16 dport, __u8 proto,
			struct model_verdict *v)
{
	union tcseg_addr sa = { .v4 = inet_addr(src) };
	union tcseg_addr da = { .v4 = inet_addr(dst) };
	struct model_verdict w;

	compiled_lookup(c, 0, TCSEG_FAMILY_V4, &sa, &da, htons(sport),
			htons(dport), proto, v);
	rules_lookup(r, n, 0, TCSEG_FAMILY_V4, &sa, &da, htons(sport),
		     htons(dport), proto, &w);
	assert_memory_equal(v, &w, sizeof(w));
}

#define EXPECT(c, r, s, d, sp, dp, pr, want_id) do {			\
	struct model_verdict v_;					\
	lookup_both(c, r, sizeof(r) / sizeof(r[0]), s, d, sp, dp, pr,	\
		    &v_);						\
	assert_int_equal(v_.rule_id, want_id);				\
} while (0)

/* Where ranges overlap, the narrower one decides, then the lower id. */
static void test_overlap(void **state)
{
	struct tcseg_rule r[] = {
		R("id 1 to 10.0.0.0/24 proto tcp dport 8000-8099 action allow"),
		R("id 2 to 10.0.0.0/24 proto tcp dport 8080 action deny"),
		R("id 3 to 10.0.0.0/24 proto tcp dport 8050-8059 action log"),
		R("id 4 to 10.0.0.0/24 proto tcp dport 8055-8064 action deny"),
		R("id 5 to 10.0.0.0/24 dport 8000-8009 action deny"),
		R("id 6 to 10.0.0.2 proto tcp dport 1-1000 action deny"),
		R("id 7 from 10.0.0.1 to 10.0.0.2 proto tcp sport 7 dport 20-30 action allow"),
		R("id 8 from 10.0.0.1 to 10.0.0.2 proto tcp sport 7 dport 25 action deny"),
		R("id 9 from 10.0.0.1 to 10.0.0.2 proto tcp sport 7 dport 28-40 action log"),
	};
	struct compiled c;

	(void)state;
	assert_int_equal(policy_compile(r, sizeof(r) / sizeof(r[0]), 0, &c,
					err, sizeof(err)), 0);
	EXPECT(&c, r, "10.0.0.9", "10.0.0.3", 1, 8000, IPPROTO_TCP, 1);
	EXPECT(&c, r, "10.0.0.9", "10.0.0.3", 1, 8099, IPPROTO_TCP, 1);
	EXPECT(&c, r, "10.0.0.9", "10.0.0.3", 1, 8100, IPPROTO_TCP, 0);
	EXPECT(&c, r, "10.0.0.9", "10.0.0.3", 1, 7999, IPPROTO_TCP, 0);
	EXPECT(&c, r, "10.0.0.9", "10.0.0.3", 1, 8080, IPPROTO_TCP, 2);
	EXPECT(&c, r, "10.0.0.9", "10.0.0.3", 1, 8052, IPPROTO_TCP, 3);
	/* 3 and 4 both 10 ports wide: the lower id */
	EXPECT(&c, r, "10.0.0.9", "10.0.0.3", 1, 8057, IPPROTO_TCP, 3);
	EXPECT(&c, r, "10.0.0.9", "10.0.0.3", 1, 8062, IPPROTO_TCP, 4);
	/* a protocol beats a narrower range without one (spec first) */
	EXPECT(&c, r, "10.0.0.9", "10.0.0.3", 1, 8005, IPPROTO_TCP, 1);
	EXPECT(&c, r, "10.0.0.9", "10.0.0.3", 1, 8005, IPPROTO_UDP, 5);
	/* a longer destination beats anything about ports */
	EXPECT(&c, r, "10.0.0.9", "10.0.0.2", 1, 999, IPPROTO_TCP, 6);
	EXPECT(&c, r, "10.0.0.9", "10.0.0.2", 1, 8080, IPPROTO_TCP, 2);
	/* exact rules with ranges: one key per port, the narrower wins */
	EXPECT(&c, r, "10.0.0.1", "10.0.0.2", 7, 20, IPPROTO_TCP, 7);
	EXPECT(&c, r, "10.0.0.1", "10.0.0.2", 7, 25, IPPROTO_TCP, 8);
	EXPECT(&c, r, "10.0.0.1", "10.0.0.2", 7, 29, IPPROTO_TCP, 7);
	EXPECT(&c, r, "10.0.0.1", "10.0.0.2", 7, 35, IPPROTO_TCP, 9);
	EXPECT(&c, r, "10.0.0.1", "10.0.0.2", 7, 41, IPPROTO_TCP, 6);
	assert_int_equal(c.n_exact, 11 + 1 + 13 - 3 - 1);
	compiled_free(&c);
}

static void test_same_range_refused(void **state)
{
	struct tcseg_rule r[] = {
		R("id 1 to 10.0.0.0/24 proto tcp dport 10-20 action allow"),
		R("id 2 to 10.0.0.0/24 proto tcp dport 10-20 action deny"),
	};
	struct compiled c;

	(void)state;
	assert_int_equal(policy_compile(r, 2, 0, &c, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "rule 2 has the same match as rule 1"));
}

static __u32 rnd(__u32 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Random rules about ports: few prefixes, many ranges and single ports. */
static void rnd_rule(__u32 *s, struct tcseg_rule *r, __u32 id)
{
	static const __u8 plens[] = { 0, 24, 28, 32 };
	__u32 m;

	memset(r, 0, sizeof(*r));
	r->id = id;
	r->slot = id;
	r->family = TCSEG_FAMILY_V4;
	r->src_plen = plens[rnd(s) % 4];
	r->dst_plen = plens[1 + rnd(s) % 3];	/* 10.0.2.x: nobody's */
	m = r->src_plen ? ~0u << (32 - r->src_plen) : 0;
	r->saddr.v4 = htonl((0x0a000000 | (rnd(s) % 32)) & m);
	m = ~0u << (32 - r->dst_plen);
	r->daddr.v4 = htonl((0x0a000000 | (rnd(s) % 2) << 8 |
			     (rnd(s) % 32)) & m);
	r->proto = rnd(s) % 3 ? (rnd(s) % 2 ? IPPROTO_TCP : IPPROTO_UDP) : 0;
	if (rnd(s) % 8) {
		r->dport = (__u16)(100 + rnd(s) % 60);
		if (rnd(s) % 2)
			r->dport_max = r->dport + (__u16)(1 + rnd(s) % 40);
	}
	if (r->src_plen == 32 && r->dst_plen == 32 && r->proto &&
	    r->dport && rnd(s) % 2)
		r->sport = (__u16)(1 + rnd(s) % 2);
	r->action = (__u8)(rnd(s) % 3);
}

static void test_models_agree(void **state)
{
	struct tcseg_rule v[300];
	struct model_verdict a, b;
	int found = 0, exact = 0, ranged = 0, i, flows = 0;
	union tcseg_addr sa, da;
	__u32 seed;
	struct compiled c;
	size_t n, k;

	(void)state;
	for (seed = 1; seed < 40; seed++) {
		__u32 s = seed;

		for (n = 0; n < sizeof(v) / sizeof(v[0]);) {
			rnd_rule(&s, &v[n], (__u32)n + 1);
			assert_int_equal(rule_validate(&v[n], err, sizeof(err)), 0);
			for (k = 0; k < n && !rule_same_match(&v[k], &v[n]); k++)
				;
			n += k == n;
		}
		assert_int_equal(policy_compile(v, n, 0, &c, err, sizeof(err)), 0);
		for (i = 0; i < 2000; i++) {
			__u16 sp = (__u16)(1 + rnd(&s) % 2);
			__u16 dp = (__u16)(95 + rnd(&s) % 110);
			__u8 pr = rnd(&s) % 2 ? IPPROTO_TCP : IPPROTO_UDP;

			const struct tcseg_rule *e = &v[rnd(&s) % n];

			memset(&sa, 0, sizeof(sa));
			memset(&da, 0, sizeof(da));
			sa.v4 = htonl(0x0a000000 | (rnd(&s) % 40));
			da.v4 = htonl(0x0a000000 | (rnd(&s) % 3) << 8 |
				      (rnd(&s) % 40));
			if (rule_is_exact(e) && rnd(&s) % 2) {
				/* around an exact rule's ports */
				sa = e->saddr;
				da = e->daddr;
				sp = e->sport;
				pr = e->proto;
				dp = (__u16)(e->dport - 1 + rnd(&s) %
					     ((e->dport_max ? e->dport_max -
					       e->dport : 0) + 3));
			}
			compiled_lookup(&c, 0, TCSEG_FAMILY_V4, &sa, &da,
					htons(sp), htons(dp), pr, &a);
			rules_lookup(v, n, 0, TCSEG_FAMILY_V4, &sa, &da,
				     htons(sp), htons(dp), pr, &b);
			if (memcmp(&a, &b, sizeof(a)))
				fail_msg("seed %u flow %d: %08x:%u -> %08x:%u/%u: "
					 "compiled %u, rules %u", seed, i,
					 ntohl(sa.v4), sp, ntohl(da.v4), dp, pr,
					 a.rule_id, b.rule_id);
			found += a.found;
			exact += a.exact;
			ranged += a.found && v[a.rule_id - 1].dport_max;
			flows++;
		}
		compiled_free(&c);
	}
	print_message("# %d flows: %d matched, %d exact, %d by a range\n",
		      flows, found, exact, ranged);
	assert_true(found > flows / 4 && found < flows - flows / 40);
	assert_true(exact > flows / 1000);
	assert_true(ranged > flows / 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_entries),
		cmocka_unit_test(test_overlap),
		cmocka_unit_test(test_same_range_refused),
		cmocka_unit_test(test_models_agree),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
