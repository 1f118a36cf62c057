// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for the policy compiler (ctl/policy/compile.c): map contents,
 * collision resolution, limits, and agreement of the compiled maps'
 * model (compiled_lookup) with the rule list's (rules_lookup).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "policy/compile.h"
#include "policy/rule.h"

#ifndef TCSEG_SRC_ROOT
#define TCSEG_SRC_ROOT "."	/* mk/ctl/policy.mk passes the source tree */
#endif

static char err[TCSEG_ERRLEN];

static int resolver(const char *name, void *arg)
{
	(void)arg;
	if (!strncmp(name, "if", 2) && name[2])
		return atoi(name + 2);
	return -ENODEV;
}

/* Parse @line into a rule; slot = id + 1000 so slots are checked too. */
static struct tcseg_rule R(const char *line)
{
	char buf[512], *argv[64], *save = NULL, *w;
	struct tcseg_rule r;
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", line);
	for (w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	if (rule_parse_words(argc, argv, &r, resolver, NULL, err, sizeof(err))) {
		print_error("bad test rule '%s': %s\n", line, err);
		fail();
	}
	r.slot = r.id + 1000;
	return r;
}

/* An address of either family (tests use valid ones only). */
static union tcseg_addr A(const char *s)
{
	union tcseg_addr a;
	__u8 fam;

	if (tcseg_addr_parse(s, &a, &fam, NULL)) {
		print_error("bad test address '%s'\n", s);
		fail();
	}
	return a;
}

/* Its family. */
static __u8 F(const char *s)
{
	return strchr(s, ':') ? TCSEG_FAMILY_V6 : TCSEG_FAMILY_V4;
}

/* The CIDR entry with this key, or NULL. */
static const struct tcseg_verdict *
find_cidr(const struct compiled *c, const char *src, __u8 src_plen,
	  __u8 proto, __u16 dport, __u32 ifindex, const char *dst,
	  __u8 dst_plen)
{
	struct tcseg_cidr_key k = {
		.prefixlen = TCSEG_CIDR_FIXED_BITS + dst_plen,
		.family = F(dst),
		.src_net = A(src), .src_plen = src_plen, .proto = proto,
		.dport = htons(dport), .ifindex = ifindex, .daddr = A(dst),
	};
	size_t i;

	for (i = 0; i < c->n_cidr; i++)
		if (!memcmp(&c->ckeys[i], &k, sizeof(k)))
			return &c->cvals[i];
	return NULL;
}

static int has_class(const struct compiled *c, const char *net, __u8 plen)
{
	union tcseg_addr a = A(net);
	size_t i;

	for (i = 0; i < c->n_src; i++)
		if (c->skeys[i].prefixlen == TCSEG_SRC_FIXED_BITS + plen + 0u &&
		    c->skeys[i].family == F(net) &&
		    tcseg_addr_eq(&c->skeys[i].saddr, &a) &&
		    tcseg_addr_eq(&c->svals[i].net, &a) &&
		    c->svals[i].plen == plen)
			return 1;
	return 0;
}

static void test_exact(void **state)
{
	struct tcseg_rule rules[] = {
		R("id 1 from 10.0.0.1 to 10.0.0.2 proto tcp sport 1234 dport 80 action deny"),
		R("id 2 dev if4 from 10.0.0.1 to 10.0.0.2 proto udp sport 5 dport 53 audit action log"),
	};
	struct tcseg_exact_key want = {
		.ifindex = 0, .saddr = A("10.0.0.1"), .daddr = A("10.0.0.2"),
		.sport = htons(1234), .dport = htons(80), .proto = IPPROTO_TCP,
		.family = TCSEG_FAMILY_V4,
	};
	struct compiled c;

	(void)state;
	assert_int_equal(policy_compile(rules, 2, 0, &c, err, sizeof(err)), 0);
	assert_int_equal(c.n_exact, 2);
	assert_int_equal(c.dev_rules, 1);
	assert_memory_equal(&c.ekeys[0], &want, sizeof(want));
	assert_int_equal(c.evals[0].rule_id, 1);
	assert_int_equal(c.evals[0].slot, 1001);
	assert_int_equal(c.evals[0].action, TCSEG_ACT_DENY);
	assert_int_equal(c.evals[0].flags, 0);
	want.ifindex = 4;
	want.sport = htons(5);
	want.dport = htons(53);
	want.proto = IPPROTO_UDP;
	assert_memory_equal(&c.ekeys[1], &want, sizeof(want));
	assert_int_equal(c.evals[1].action, TCSEG_ACT_LOG);
	assert_int_equal(c.evals[1].flags, TCSEG_RULE_F_AUDIT);
	/* exact rules make no CIDR entries; the any class is always there */
	assert_int_equal(c.n_cidr, 0);
	assert_int_equal(c.n_src, 1);
	assert_true(has_class(&c, "0.0.0.0", 0));
	compiled_free(&c);
	assert_null(c.ekeys);
	assert_int_equal(c.n_exact, 0);
}

static void test_empty(void **state)
{
	union tcseg_addr a = A("1.2.3.4"), b = A("5.6.7.8");
	struct model_verdict v;
	struct compiled c;

	(void)state;
	assert_int_equal(policy_compile(NULL, 0, 0, &c, err, sizeof(err)), 0);
	assert_int_equal(c.n_exact + c.n_cidr, 0);
	assert_int_equal(c.n_src, 1);
	compiled_lookup(&c, 1, TCSEG_FAMILY_V4, &a, &b, htons(1), htons(2),
			IPPROTO_TCP, &v);
	assert_int_equal(v.found, 0);
	compiled_free(&c);
}

static void test_proto_expansion(void **state)
{
	struct tcseg_rule rules[] = {
		R("id 1 to 10.0.0.0/24 action allow"),
		R("id 2 to 10.0.1.0/24 dport 53 action allow"),
		R("id 3 dev if9 to 10.0.2.0/24 proto icmp action deny"),
		R("id 4 to 10.0.3.0/24 proto udp dport 53 action log"),
	};
	const struct tcseg_verdict *v;
	struct compiled c;

	(void)state;
	assert_int_equal(policy_compile(rules, 4, 0, &c, err, sizeof(err)), 0);
	assert_int_equal(c.n_cidr, 4 + 2 + 1 + 1);
	assert_int_equal(c.n_src, 1);
	assert_int_equal(c.dev_rules, 1);
	assert_non_null(find_cidr(&c, "0.0.0.0", 0, IPPROTO_TCP, 0, 0, "10.0.0.0", 24));
	assert_non_null(find_cidr(&c, "0.0.0.0", 0, IPPROTO_UDP, 0, 0, "10.0.0.0", 24));
	assert_non_null(find_cidr(&c, "0.0.0.0", 0, IPPROTO_ICMP, 0, 0, "10.0.0.0", 24));
	v = find_cidr(&c, "0.0.0.0", 0, TCSEG_PROTO_KEY_OTHER, 0, 0, "10.0.0.0", 24);
	assert_non_null(v);
	assert_int_equal(v->rule_id, 1);
	assert_int_equal(v->slot, 1001);
	assert_int_equal(v->spec, tcseg_rule_spec(24, 0, 0, 0, 0));
	/* any + dport: tcp and udp only, port in network order */
	v = find_cidr(&c, "0.0.0.0", 0, IPPROTO_TCP, 53, 0, "10.0.1.0", 24);
	assert_non_null(v);
	assert_int_equal(v->spec, tcseg_rule_spec(24, 0, 1, 0, 0));
	assert_non_null(find_cidr(&c, "0.0.0.0", 0, IPPROTO_UDP, 53, 0, "10.0.1.0", 24));
	v = find_cidr(&c, "0.0.0.0", 0, IPPROTO_ICMP, 9, 0, "10.0.2.0", 24);
	assert_null(v);
	v = find_cidr(&c, "0.0.0.0", 0, IPPROTO_ICMP, 0, 9, "10.0.2.0", 24);
	assert_non_null(v);
	assert_int_equal(v->action, TCSEG_ACT_DENY);
	assert_int_equal(v->spec, tcseg_rule_spec(24, 0, 0, 1, 1));
	v = find_cidr(&c, "0.0.0.0", 0, IPPROTO_UDP, 53, 0, "10.0.3.0", 24);
	assert_non_null(v);
	assert_int_equal(v->spec, tcseg_rule_spec(24, 0, 1, 1, 0));
	compiled_free(&c);
}

/* Rules of a shorter source prefix are copied into every longer class. */
static void test_source_classes(void **state)
{
	struct tcseg_rule rules[] = {
		R("id 1 from 10.0.0.0/8 to 192.168.0.0/16 proto tcp action allow"),
		R("id 2 from 10.1.0.0/16 to 172.16.0.0/12 proto tcp action deny"),
		R("id 3 from 10.2.0.0/16 to 172.16.0.0/12 proto tcp action deny"),
		R("id 4 from 11.0.0.0/8 to 1.1.1.1 proto tcp action deny"),
		R("id 5 from 10.1.0.0/16 to 2.2.2.2 proto tcp action deny"),
		/* exact rules make no class */
		R("id 6 from 12.0.0.1 to 1.1.1.1 proto tcp sport 1 dport 2 action deny"),
	};
	const struct tcseg_verdict *v;
	struct compiled c;

	(void)state;
	assert_int_equal(policy_compile(rules, 6, 0, &c, err, sizeof(err)), 0);
	assert_int_equal(c.n_src, 5);
	assert_true(has_class(&c, "0.0.0.0", 0));
	assert_true(has_class(&c, "10.0.0.0", 8));
	assert_true(has_class(&c, "10.1.0.0", 16));
	assert_true(has_class(&c, "10.2.0.0", 16));
	assert_true(has_class(&c, "11.0.0.0", 8));
	/* 10/8: rule 1; 10.1/16: 1, 2, 5; 10.2/16: 1, 3; 11/8: 4 */
	assert_int_equal(c.n_cidr, 1 + 3 + 2 + 1);
	v = find_cidr(&c, "10.1.0.0", 16, IPPROTO_TCP, 0, 0, "192.168.0.0", 16);
	assert_non_null(v);
	assert_int_equal(v->rule_id, 1);
	assert_int_equal(v->spec, tcseg_rule_spec(16, 8, 0, 1, 0));
	assert_non_null(find_cidr(&c, "10.2.0.0", 16, IPPROTO_TCP, 0, 0, "192.168.0.0", 16));
	assert_non_null(find_cidr(&c, "10.0.0.0", 8, IPPROTO_TCP, 0, 0, "192.168.0.0", 16));
	assert_null(find_cidr(&c, "11.0.0.0", 8, IPPROTO_TCP, 0, 0, "192.168.0.0", 16));
	assert_null(find_cidr(&c, "10.2.0.0", 16, IPPROTO_TCP, 0, 0, "2.2.2.2", 32));
	compiled_free(&c);
}

static void test_collisions(void **state)
{
	struct tcseg_rule rules[] = {
		R("id 10 from 10.0.0.0/8 to 1.0.0.0/8 action allow"),
		R("id 11 from 10.1.0.0/16 to 1.0.0.0/8 action deny"),
		R("id 12 from 10.0.0.0/8 to 1.0.0.0/8 proto udp action log"),
		/* a lower id does not beat a longer source prefix */
		R("id 1 from 10.0.0.0/8 to 2.0.0.0/8 proto tcp action allow"),
		R("id 2 from 10.1.0.0/16 to 2.0.0.0/8 action deny"),
	};
	const struct tcseg_verdict *v;
	struct compiled c;

	(void)state;
	assert_int_equal(policy_compile(rules, 5, 0, &c, err, sizeof(err)), 0);
	/* class 10/8: any-rule 10 (4 keys), 12 replaces its udp key */
	v = find_cidr(&c, "10.0.0.0", 8, IPPROTO_UDP, 0, 0, "1.0.0.0", 8);
	assert_int_equal(v->rule_id, 12);
	assert_int_equal(v->spec, tcseg_rule_spec(8, 8, 0, 1, 0));
	v = find_cidr(&c, "10.0.0.0", 8, IPPROTO_TCP, 0, 0, "1.0.0.0", 8);
	assert_int_equal(v->rule_id, 10);
	assert_int_equal(v->spec, tcseg_rule_spec(8, 8, 0, 0, 0));
	/* class 10.1/16: the /16 source beats proto and id */
	v = find_cidr(&c, "10.1.0.0", 16, IPPROTO_UDP, 0, 0, "1.0.0.0", 8);
	assert_int_equal(v->rule_id, 11);
	assert_int_equal(v->action, TCSEG_ACT_DENY);
	assert_int_equal(v->spec, tcseg_rule_spec(8, 16, 0, 0, 0));
	v = find_cidr(&c, "10.1.0.0", 16, IPPROTO_TCP, 0, 0, "2.0.0.0", 8);
	assert_int_equal(v->rule_id, 2);
	v = find_cidr(&c, "10.0.0.0", 8, IPPROTO_TCP, 0, 0, "2.0.0.0", 8);
	assert_int_equal(v->rule_id, 1);
	/* one entry per key */
	assert_int_equal(c.n_cidr, 4 + 1 + 4 + 4);
	compiled_free(&c);
}

static void test_same_match_refused(void **state)
{
	struct tcseg_rule rules[] = {
		R("id 3 from 10.0.0.0/8 dport 80 action allow"),
		R("id 5 to 1.1.1.1 action allow"),
		R("id 7 dport 80 from 10.0.0.0/8 action deny"),
	};
	struct tcseg_rule ex[] = {
		R("id 9 from 1.1.1.1 to 2.2.2.2 proto tcp sport 1 dport 2 action deny"),
		R("id 4 from 1.1.1.1 to 2.2.2.2 proto tcp sport 1 dport 2 action allow"),
	};
	struct compiled c;

	(void)state;
	assert_int_equal(policy_compile(rules, 3, 0, &c, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "rule 7 has the same match as rule 3");
	assert_null(c.ckeys);
	assert_int_equal(policy_compile(ex, 2, 0, &c, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "rule 9 has the same match as rule 4");
	ex[0].id = 0;
	ex[1].id = 0;
	assert_int_equal(policy_compile(ex, 2, 0, &c, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "rule #2 (no id) has the same match as rule #1 (no id)");
	/* different devices are different matches */
	ex[1].ifindex = 3;
	assert_int_equal(policy_compile(ex, 2, 0, &c, err, sizeof(err)), 0);
	compiled_free(&c);
}

static void test_invalid_rule_refused(void **state)
{
	struct tcseg_rule rules[] = {
		R("id 1 action allow"),
		R("id 5 action allow"),
	};
	struct compiled c;

	(void)state;
	rules[1].sport = 9;
	assert_int_equal(policy_compile(rules, 2, 0, &c, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "rule 5: sport: only allowed in exact rules "
			    "(from A/32 to B/32 proto tcp|udp sport P dport P; IPv6: /128)");
}

static void test_cidr_limit(void **state)
{
	struct tcseg_rule rules[] = {
		R("id 1 to 1.0.0.0/8 action allow"),		/* 4 x 3 classes */
		R("id 2 from 10.0.0.0/8 to 2.0.0.0/8 proto tcp action deny"),
		R("id 3 from 10.1.0.0/16 to 2.0.0.0/8 proto tcp action deny"),
	};
	struct compiled c;

	(void)state;
	/* 0/0: 4; 10/8: 4 + 1; 10.1/16: 4 + 1 (2 and 3 merge) */
	assert_int_equal(policy_compile(rules, 3, 14, &c, err, sizeof(err)), 0);
	assert_int_equal(c.n_cidr, 14);
	compiled_free(&c);
	assert_int_equal(policy_compile(rules, 3, 13, &c, err, sizeof(err)),
			 -E2BIG);
	assert_string_equal(err, "policy needs 14 CIDR entries (3 rules over 3 "
			    "source prefixes), the limit is 13");
	assert_null(c.ckeys);
	assert_int_equal(c.n_cidr, 0);
	/* far over the limit: refused before generating anything */
	assert_int_equal(policy_compile(rules, 3, 1, &c, err, sizeof(err)),
			 -E2BIG);
	assert_non_null(strstr(err, "the limit is 1"));
}

static void lookup_both(const struct compiled *c, const struct tcseg_rule *r,
			size_t n, __u32 ifindex, const char *src,
			const char *dst, __u16 sport, __u16 dport, __u8 proto,
			struct model_verdict *v)
{
	union tcseg_addr sa = A(src), da = A(dst);
	struct model_verdict w;

	compiled_lookup(c, ifindex, F(src), &sa, &da, htons(sport),
			htons(dport), proto, v);
	rules_lookup(r, n, ifindex, F(src), &sa, &da, htons(sport),
		     htons(dport), proto, &w);
	assert_memory_equal(v, &w, sizeof(w));
}

#define EXPECT(c, r, ifx, s, d, sp, dp, pr, want_id, want_exact) do {	\
	struct model_verdict v_;					\
	lookup_both(c, r, sizeof(r) / sizeof(r[0]), ifx, s, d, sp, dp,	\
		    pr, &v_);						\
	assert_int_equal(v_.found, (want_id) != 0);			\
	assert_int_equal(v_.rule_id, want_id);				\
	assert_int_equal(v_.exact, want_exact);				\
} while (0)

/* The documented order, on both models. */
static void test_lookup_order(void **state)
{
	struct tcseg_rule r[] = {
		R("id 1 from 10.0.0.1 to 10.0.0.2 proto tcp sport 1000 dport 80 action deny"),
		R("id 2 dev if7 from 10.0.0.1 to 10.0.0.2 proto tcp sport 1000 dport 80 action log"),
		R("id 3 to 10.0.0.0/24 action allow"),
		R("id 4 from 10.0.0.1 to 10.0.0.0/24 action deny"),
		R("id 5 to 10.0.0.2 action allow"),
		R("id 6 to 10.0.0.0/24 dport 53 action log"),
		R("id 7 to 10.0.0.0/24 proto udp dport 53 action deny"),
		R("id 8 dev if7 to 10.0.0.0/24 proto udp dport 53 action allow"),
		R("id 9 to 10.0.0.0/24 proto icmp action deny"),
	};
	struct compiled c;

	(void)state;
	assert_int_equal(policy_compile(r, sizeof(r) / sizeof(r[0]), 0, &c,
					err, sizeof(err)), 0);
	/* exact: device one first, then the any-device one */
	EXPECT(&c, r, 7, "10.0.0.1", "10.0.0.2", 1000, 80, IPPROTO_TCP, 2, 1);
	EXPECT(&c, r, 3, "10.0.0.1", "10.0.0.2", 1000, 80, IPPROTO_TCP, 1, 1);
	EXPECT(&c, r, 0, "10.0.0.1", "10.0.0.2", 1000, 80, IPPROTO_TCP, 1, 1);
	/* other sport: CIDR; a /32 destination beats a /32 source */
	EXPECT(&c, r, 7, "10.0.0.1", "10.0.0.2", 1001, 80, IPPROTO_TCP, 5, 0);
	/* source /32 beats source any at the same destination length */
	EXPECT(&c, r, 0, "10.0.0.1", "10.0.0.3", 1, 80, IPPROTO_TCP, 4, 0);
	EXPECT(&c, r, 0, "10.0.0.9", "10.0.0.3", 1, 80, IPPROTO_TCP, 3, 0);
	/* ... and a dport rule does not beat a longer source */
	EXPECT(&c, r, 0, "10.0.0.1", "10.0.0.3", 1, 53, IPPROTO_TCP, 4, 0);
	/* dport beats none; proto beats any; device beats none */
	EXPECT(&c, r, 0, "10.0.0.9", "10.0.0.3", 1, 53, IPPROTO_TCP, 6, 0);
	EXPECT(&c, r, 0, "10.0.0.9", "10.0.0.3", 1, 53, IPPROTO_UDP, 7, 0);
	EXPECT(&c, r, 7, "10.0.0.9", "10.0.0.3", 1, 53, IPPROTO_UDP, 8, 0);
	EXPECT(&c, r, 8, "10.0.0.9", "10.0.0.3", 1, 53, IPPROTO_UDP, 7, 0);
	/* icmp: no ports; "any dport 53" does not match it */
	EXPECT(&c, r, 0, "10.0.0.9", "10.0.0.3", 0, 53, IPPROTO_ICMP, 9, 0);
	/* another protocol: only proto-any rules without a port */
	EXPECT(&c, r, 0, "10.0.0.9", "10.0.0.3", 0, 53, 47, 3, 0);
	EXPECT(&c, r, 0, "10.0.0.1", "10.0.0.3", 0, 0, 132, 4, 0);
	/* nothing */
	EXPECT(&c, r, 0, "10.0.0.9", "10.0.1.3", 1, 53, IPPROTO_UDP, 0, 0);
	compiled_free(&c);
}

/* ---- randomized agreement of the two models ---- */

static __u32 rnd(__u32 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* An address in 10.0.0.0/24 (sometimes 10.0.1.x or 11.0.0.x) */
static __u32 rnd_host(__u32 *s)
{
	__u32 x = rnd(s) % 100;
	__u32 base = x < 90 ? 0x0a000000 : x < 95 ? 0x0a000100 : 0x0b000000;

	return base | ((rnd(s) % 16 * (rnd(s) % 2 ? 1 : 16)) & 0xff);
}

static __u8 rnd_plen(__u32 *s)
{
	static const __u8 p[] = { 8, 16, 24, 25, 26, 27, 28, 29, 30, 31,
				  32, 32, 28, 24, 0 };

	return p[rnd(s) % sizeof(p)];
}

static const __u16 ports[] = { 53, 80, 443 };
static const __u8 protos[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, 47 };

/*
 * The IPv6 twin of an IPv4 host or prefix: fd00::A.B.C.D, prefix length
 * 96 + N (fd00::/8 for some /8s), so IPv6 policies nest and collide as
 * densely as the IPv4 ones.
 */
static void lift6(union tcseg_addr *a, __u8 *plen, int short8)
{
	__be32 v4 = a->v4;

	memset(a, 0, sizeof(*a));
	a->b[0] = 0xfd;
	a->w[3] = v4;
	if (*plen == 8 && short8)
		*plen = 8;
	else if (*plen)
		*plen += 96;
	tcseg_addr_mask(a, *plen);
}

/* The protocol of @family for a flow or rule drawn as IPv4. */
static __u8 proto6(__u8 family, __u8 proto)
{
	return family == TCSEG_FAMILY_V6 && proto == IPPROTO_ICMP ?
		       IPPROTO_ICMPV6 : proto;
}

static void rnd_rule(__u32 *s, struct tcseg_rule *r, __u32 id, int devs)
{
	__u32 m;

	memset(r, 0, sizeof(*r));
	r->id = id;
	r->slot = id * 3;
	r->src_plen = rnd_plen(s);
	r->dst_plen = rnd_plen(s);
	if (!r->dst_plen)	/* keep some flows unmatched */
		r->dst_plen = 8;
	r->family = TCSEG_FAMILY_V4;
	m = r->src_plen ? ~0u << (32 - r->src_plen) : 0;
	r->saddr.v4 = htonl(rnd_host(s) & m);
	m = r->dst_plen ? ~0u << (32 - r->dst_plen) : 0;
	r->daddr.v4 = htonl(rnd_host(s) & m);
	r->proto = rnd(s) % 2 ? 0 : protos[rnd(s) % 3];
	if (r->proto != IPPROTO_ICMP && rnd(s) % 2)
		r->dport = ports[rnd(s) % 3];
	if (devs && rnd(s) % 4 == 0)
		r->ifindex = rnd(s) % 3 + 1;
	if (rnd(s) % 5 == 0) {
		r->src_plen = 32;
		r->dst_plen = 32;
		r->saddr.v4 = htonl(rnd_host(s));
		r->daddr.v4 = htonl(rnd_host(s));
		r->proto = rnd(s) % 2 ? IPPROTO_TCP : IPPROTO_UDP;
		r->sport = (__u16)(rnd(s) % 3 + 1000);
		r->dport = ports[rnd(s) % 3];
	}
	r->action = (__u8)(rnd(s) % 3);
	if (rnd(s) % 2) {		/* an IPv6 rule */
		r->family = TCSEG_FAMILY_V6;
		lift6(&r->saddr, &r->src_plen, rnd(s) % 2);
		lift6(&r->daddr, &r->dst_plen, 0);
		r->proto = proto6(r->family, r->proto);
	} else if (rnd(s) % 100 == 0 && r->dport && !r->sport) {
		/* no address: a rule of both families */
		r->family = 0;
		r->src_plen = r->dst_plen = 0;
		memset(&r->saddr, 0, sizeof(r->saddr));
		memset(&r->daddr, 0, sizeof(r->daddr));
	}
}

static int dup_match(const struct tcseg_rule *v, size_t n,
		     const struct tcseg_rule *r)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (rule_overlaps(&v[i], r))
			return 1;
	return 0;
}

struct counts {
	int flows, found, exact, cidr_dev;
};

/* A flow: random, or aimed at a random rule (inside its prefixes). */
static void rnd_flow(__u32 *s, const struct tcseg_rule *v, size_t n,
		     int devs, __u32 *ifx, __u8 *fam, union tcseg_addr *sa,
		     union tcseg_addr *da, __be16 *sp, __be16 *dp, __u8 *pr)
{
	const struct tcseg_rule *r = &v[rnd(s) % n];
	__u32 hs, hd, ms, md;
	__u8 p4 = 32;

	*ifx = devs ? rnd(s) % 4 : rnd(s) % 2;
	hs = rnd_host(s);
	hd = rnd(s) % 10 ? rnd_host(s) : 0xc0a80001;	/* nobody's */
	*sp = htons((__u16)(rnd(s) % 3 + 1000));
	*dp = htons(ports[rnd(s) % 3]);
	*pr = protos[rnd(s) % 4];
	*fam = rnd(s) % 2 ? TCSEG_FAMILY_V6 : TCSEG_FAMILY_V4;
	if (rnd(s) % 2) {
		/* aimed: inside the rule's prefixes (the IPv4 twin's) */
		int sp4 = r->src_plen > 32 ? r->src_plen - 96 : r->src_plen;
		int dp4 = r->dst_plen > 32 ? r->dst_plen - 96 : r->dst_plen;

		if (r->family)
			*fam = r->family;
		ms = sp4 > 0 && sp4 <= 32 ? ~0u << (32 - sp4) : 0;
		md = dp4 > 0 && dp4 <= 32 ? ~0u << (32 - dp4) : 0;
		hs = (ntohl(r->family == TCSEG_FAMILY_V6 ? r->saddr.w[3] :
			    r->saddr.v4) & ms) | (hs & ~ms);
		hd = (ntohl(r->family == TCSEG_FAMILY_V6 ? r->daddr.w[3] :
			    r->daddr.v4) & md) | (hd & ~md);
		if (r->proto && rnd(s) % 4)
			*pr = r->proto;
		if (r->sport)
			*sp = htons(r->sport);
		if (r->dport && rnd(s) % 4)
			*dp = htons(r->dport);
		if (r->ifindex && rnd(s) % 2)
			*ifx = r->ifindex;
	}
	memset(sa, 0, sizeof(*sa));
	memset(da, 0, sizeof(*da));
	sa->v4 = htonl(hs);
	da->v4 = htonl(hd);
	*pr = proto6(*fam, *pr == IPPROTO_ICMPV6 ? IPPROTO_ICMP : *pr);
	if (*fam == TCSEG_FAMILY_V6) {
		lift6(sa, &p4, 0);
		p4 = 32;
		lift6(da, &p4, 0);
		if (ntohl(da->w[3]) == 0xc0a80001)	/* nobody's: off fd00::/8 */
			da->b[0] = 0x20;
	}
}

static void agreement(__u32 seed, size_t n_rules, int n_flows, int devs,
		      struct counts *cnt)
{
	struct tcseg_rule *v = calloc(n_rules, sizeof(*v));
	struct model_verdict a, b;
	union tcseg_addr sa, da;
	char as[INET6_ADDRSTRLEN], ds[INET6_ADDRSTRLEN];
	struct compiled c;
	__be16 sp, dp;
	size_t n = 0;
	__u32 ifx;
	__u8 pr, fam;
	int i;

	assert_non_null(v);
	while (n < n_rules) {
		rnd_rule(&seed, &v[n], (__u32)n + 1, devs);
		assert_int_equal(rule_validate(&v[n], err, sizeof(err)), 0);
		if (!dup_match(v, n, &v[n]))
			n++;
	}
	assert_int_equal(policy_compile(v, n, 0, &c, err, sizeof(err)), 0);
	assert_true(c.n_src > 1);
	assert_int_equal(!!c.dev_rules, devs);
	for (i = 0; i < n_flows; i++) {
		rnd_flow(&seed, v, n, devs, &ifx, &fam, &sa, &da, &sp, &dp,
			 &pr);
		compiled_lookup(&c, ifx, fam, &sa, &da, sp, dp, pr, &a);
		rules_lookup(v, n, ifx, fam, &sa, &da, sp, dp, pr, &b);
		if (memcmp(&a, &b, sizeof(a))) {
			print_error("flow %d: if%u %s:%u -> %s:%u proto %u: "
				    "compiled %d/%u/%d, rules %d/%u/%d\n", i,
				    ifx, tcseg_addr_str(&sa, fam, as, sizeof(as)),
				    ntohs(sp), tcseg_addr_str(&da, fam, ds, sizeof(ds)),
				    ntohs(dp), pr, a.found, a.rule_id, a.exact,
				    b.found, b.rule_id, b.exact);
			fail();
		}
		cnt->flows++;
		cnt->found += a.found;
		cnt->exact += a.exact;
		if (a.found && !a.exact && v[a.rule_id - 1].ifindex)
			cnt->cidr_dev++;
	}
	compiled_free(&c);
	free(v);
}

/* The flows must exercise every path, or agreement proves little. */
static void check_counts(const struct counts *c, int devs)
{
	print_message("# %d flows: %d matched, %d exact, %d by a device CIDR rule\n",
		      c->flows, c->found, c->exact, c->cidr_dev);
	assert_true(c->found > c->flows / 4);
	assert_true(c->found < c->flows - c->flows / 40);
	assert_true(c->exact > c->flows / 50);
	assert_true(!devs || c->cidr_dev > c->flows / 50);
}

static void test_models_agree(void **state)
{
	struct counts c = { 0 };

	(void)state;
	agreement(1, 2000, 3000, 1, &c);
	check_counts(&c, 1);
}

static void test_models_agree_no_dev(void **state)
{
	struct counts c = { 0 };

	(void)state;
	agreement(77, 1000, 3000, 0, &c);
	check_counts(&c, 0);
}

static void test_models_agree_small(void **state)
{
	struct counts c = { 0 };
	__u32 seed;

	(void)state;
	/* many small policies: collisions are dense */
	for (seed = 100; seed < 300; seed++)
		agreement(seed, 40, 500, 1, &c);
	check_counts(&c, 1);
}

/* policies/example.policy loads, compiles and decides as its comments say. */
static void test_example_policy(void **state)
{
	const char *root = getenv("TCSEG_ROOT");
	struct rule_set s = { 0 };
	struct compiled c;
	char path[512];
	size_t i;
	struct {
		const char *src, *dst;
		__u8 proto;
		__u16 dport;
		__u32 id;
		__u8 action;
	} want[] = {
		{ "10.200.0.1", "10.200.0.2", IPPROTO_TCP, 80, 10, TCSEG_ACT_ALLOW },
		{ "10.200.0.1", "10.200.0.2", IPPROTO_TCP, 81, 0, 0 },
		{ "10.200.0.1", "10.200.0.2", IPPROTO_UDP, 53, 11, TCSEG_ACT_LOG },
		{ "10.200.0.3", "10.200.0.2", IPPROTO_TCP, 80, 20, TCSEG_ACT_DENY },
		{ "10.200.0.3", "10.200.0.2", IPPROTO_UDP, 53, 20, TCSEG_ACT_DENY },
		{ "10.200.0.3", "10.200.0.1", IPPROTO_ICMP, 0, 30, TCSEG_ACT_DENY },
		{ "10.200.0.3", "10.200.0.1", IPPROTO_TCP, 80, 0, 0 },
		{ "10.200.0.2", "10.200.0.1", IPPROTO_TCP, 80, 0, 0 },
	};

	(void)state;
	snprintf(path, sizeof(path), "%s/policies/example.policy",
		 root ? root : TCSEG_SRC_ROOT);
	if (rules_read_file(path, &s, NULL, NULL, err, sizeof(err))) {
		print_error("%s\n", err);
		fail();
	}
	assert_int_equal(s.n, 4);
	assert_int_equal(s.v[3].flags, TCSEG_RULE_F_AUDIT);
	assert_int_equal(policy_compile(s.v, s.n, 0, &c, err, sizeof(err)), 0);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct model_verdict v;

		lookup_both(&c, s.v, s.n, 3, want[i].src, want[i].dst, 40000,
			    want[i].dport, want[i].proto, &v);
		assert_int_equal(v.rule_id, want[i].id);
		assert_int_equal(v.found, want[i].id != 0);
		assert_int_equal(v.action, want[i].action);
	}
	compiled_free(&c);
	rule_set_free(&s);
}

/* IPv6 exact rules: the key carries family 6 and both addresses whole. */
static void test_v6_exact(void **state)
{
	struct tcseg_rule rules[] = {
		R("id 1 from fd00::1 to fd00::2 proto tcp sport 1234 dport 80 action deny"),
		R("id 2 from 10.0.0.1 to 10.0.0.2 proto tcp sport 1234 dport 80 action allow"),
	};
	struct tcseg_exact_key want = {
		.saddr = A("fd00::1"), .daddr = A("fd00::2"),
		.sport = htons(1234), .dport = htons(80), .proto = IPPROTO_TCP,
		.family = TCSEG_FAMILY_V6,
	};
	struct model_verdict v;
	struct compiled c;

	(void)state;
	assert_int_equal(policy_compile(rules, 2, 0, &c, err, sizeof(err)), 0);
	assert_int_equal(c.n_exact, 2);
	assert_memory_equal(&c.ekeys[0], &want, sizeof(want));
	assert_int_equal(c.evals[0].rule_id, 1);
	assert_int_equal(c.ekeys[1].family, TCSEG_FAMILY_V4);
	/* no CIDR rule of IPv6: no IPv6 class either */
	assert_int_equal(c.n_src, 1);
	lookup_both(&c, rules, 2, 0, "fd00::1", "fd00::2", 1234, 80,
		    IPPROTO_TCP, &v);
	assert_int_equal(v.rule_id, 1);
	assert_int_equal(v.exact, 1);
	lookup_both(&c, rules, 2, 0, "10.0.0.1", "10.0.0.2", 1234, 80,
		    IPPROTO_TCP, &v);
	assert_int_equal(v.rule_id, 2);
	/* the same bytes as IPv6 are another address */
	lookup_both(&c, rules, 2, 0, "a00:1::", "a00:2::", 1234, 80,
		    IPPROTO_TCP, &v);
	assert_int_equal(v.found, 0);
	compiled_free(&c);
}

/* IPv6 CIDR rules: classes up to /128, shorter sources replicated. */
static void test_v6_cidr(void **state)
{
	struct tcseg_rule rules[] = {
		R("id 1 from fd00::/8 to fd10::/16 proto tcp action allow"),
		R("id 2 from fd00:1::/32 to fd20::/16 proto tcp action deny"),
		R("id 3 from fd00:1::5 to fd30::/16 proto udp action deny"),
		R("id 4 to fd40::/120 action log"),
		R("id 5 from 10.0.0.0/8 to 10.10.0.0/16 proto tcp action allow"),
	};
	const struct tcseg_verdict *v;
	struct model_verdict m;
	struct compiled c;

	(void)state;
	assert_int_equal(policy_compile(rules, 5, 0, &c, err, sizeof(err)), 0);
	/* IPv4: 0/0, 10/8; IPv6: ::/0, fd00::/8, fd00:1::/32, fd00:1::5/128 */
	assert_int_equal(c.n_src, 6);
	assert_true(has_class(&c, "0.0.0.0", 0));
	assert_true(has_class(&c, "10.0.0.0", 8));
	assert_true(has_class(&c, "::", 0));
	assert_true(has_class(&c, "fd00::", 8));
	assert_true(has_class(&c, "fd00:1::", 32));
	assert_true(has_class(&c, "fd00:1::5", 128));
	/*
	 * IPv4 10/8: 5. IPv6 ::/0: 4 (4 keys); fd00::/8: 4 + 1;
	 * fd00:1::/32: 4 + 1 + 2; fd00:1::5: 4 + 1 + 2 + 3 (one key each).
	 */
	assert_int_equal(c.n_cidr, 1 + 4 + 5 + 6 + 7);
	v = find_cidr(&c, "fd00:1::5", 128, IPPROTO_TCP, 0, 0, "fd10::", 16);
	assert_non_null(v);
	assert_int_equal(v->rule_id, 1);
	assert_int_equal(v->spec, tcseg_rule_spec(16, 8, 0, 1, 0));
	v = find_cidr(&c, "fd00:1::5", 128, IPPROTO_UDP, 0, 0, "fd30::", 16);
	assert_int_equal(v->rule_id, 3);
	assert_int_equal(v->spec, tcseg_rule_spec(16, 128, 0, 1, 0));
	/* any = tcp, udp, icmpv6, other in IPv6 */
	assert_non_null(find_cidr(&c, "::", 0, IPPROTO_ICMPV6, 0, 0, "fd40::", 120));
	assert_null(find_cidr(&c, "::", 0, IPPROTO_ICMP, 0, 0, "fd40::", 120));
	assert_non_null(find_cidr(&c, "::", 0, TCSEG_PROTO_KEY_OTHER, 0, 0,
				  "fd40::", 120));
	assert_null(find_cidr(&c, "fd00::", 8, IPPROTO_TCP, 0, 0, "fd20::", 16));
	lookup_both(&c, rules, 5, 0, "fd00:1::5", "fd20::9", 1, 80,
		    IPPROTO_TCP, &m);
	assert_int_equal(m.rule_id, 2);
	lookup_both(&c, rules, 5, 0, "fd00:2::5", "fd20::9", 1, 80,
		    IPPROTO_TCP, &m);
	assert_int_equal(m.found, 0);
	lookup_both(&c, rules, 5, 0, "fd00:2::5", "fd40::ff", 1, 0,
		    IPPROTO_ICMPV6, &m);
	assert_int_equal(m.rule_id, 4);
	/* an IPv6 rule never opens IPv4, and back */
	lookup_both(&c, rules, 5, 0, "10.1.2.3", "10.10.0.1", 1, 80,
		    IPPROTO_TCP, &m);
	assert_int_equal(m.rule_id, 5);
	lookup_both(&c, rules, 5, 0, "fd00::a01:203", "fd10::a0a:1", 1, 80,
		    IPPROTO_TCP, &m);
	assert_int_equal(m.rule_id, 1);
	compiled_free(&c);
}

/* A rule without addresses is compiled into both families. */
static void test_both_families(void **state)
{
	struct tcseg_rule rules[] = {
		R("id 1 proto tcp dport 22 action deny"),
		R("id 2 proto icmp action allow"),
		R("id 3 proto icmpv6 action allow"),
		R("id 4 from fd00::/8 proto tcp dport 22 action allow"),
	};
	struct model_verdict m;
	struct compiled c;

	(void)state;
	assert_int_equal(policy_compile(rules, 4, 0, &c, err, sizeof(err)), 0);
	/* 0/0 (rules 1, 2), ::/0 (1, 3), fd00::/8 (1, 3, 4) */
	assert_int_equal(c.n_src, 3);
	assert_non_null(find_cidr(&c, "0.0.0.0", 0, IPPROTO_TCP, 22, 0, "0.0.0.0", 0));
	assert_non_null(find_cidr(&c, "::", 0, IPPROTO_TCP, 22, 0, "::", 0));
	assert_non_null(find_cidr(&c, "0.0.0.0", 0, IPPROTO_ICMP, 0, 0, "0.0.0.0", 0));
	assert_null(find_cidr(&c, "::", 0, IPPROTO_ICMP, 0, 0, "::", 0));
	assert_non_null(find_cidr(&c, "::", 0, IPPROTO_ICMPV6, 0, 0, "::", 0));
	assert_null(find_cidr(&c, "0.0.0.0", 0, IPPROTO_ICMPV6, 0, 0, "0.0.0.0", 0));
	/* in fd00::/8, rule 4 takes rule 1's key (longer source) */
	assert_int_equal(c.n_cidr, 2 + 2 + 2);
	lookup_both(&c, rules, 4, 0, "10.0.0.1", "10.0.0.2", 1, 22,
		    IPPROTO_TCP, &m);
	assert_int_equal(m.rule_id, 1);
	lookup_both(&c, rules, 4, 0, "fc00::1", "fd00::2", 1, 22,
		    IPPROTO_TCP, &m);
	assert_int_equal(m.rule_id, 1);
	lookup_both(&c, rules, 4, 0, "fd00::1", "fd00::2", 1, 22,
		    IPPROTO_TCP, &m);
	assert_int_equal(m.rule_id, 4);
	lookup_both(&c, rules, 4, 0, "fd00::1", "fd00::2", 0, 0,
		    IPPROTO_ICMPV6, &m);
	assert_int_equal(m.rule_id, 3);
	lookup_both(&c, rules, 4, 0, "10.0.0.1", "10.0.0.2", 0, 0,
		    IPPROTO_ICMP, &m);
	assert_int_equal(m.rule_id, 2);
	/* ICMP inside IPv6 (or ICMPv6 inside IPv4) is another protocol */
	lookup_both(&c, rules, 4, 0, "fd00::1", "fd00::2", 0, 0, IPPROTO_ICMP,
		    &m);
	assert_int_equal(m.found, 0);
	compiled_free(&c);
}

/* Identical matches are refused per family, never across families. */
static void test_same_match_per_family(void **state)
{
	struct tcseg_rule a[] = {
		R("id 1 dport 80 action allow"),
		R("id 2 from ::/0 dport 80 action deny"),
	};
	struct tcseg_rule b[] = {
		R("id 1 from 0.0.0.0/0 dport 80 action allow"),
		R("id 2 from ::/0 dport 80 action deny"),
	};
	struct compiled c;

	(void)state;
	assert_int_equal(policy_compile(a, 2, 0, &c, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "rule 2 has the same match as rule 1");
	assert_int_equal(policy_compile(b, 2, 0, &c, err, sizeof(err)), 0);
	compiled_free(&c);
}

/* 100k exact + 10k CIDR rules: content and a loose time bound. */
static void test_large(void **state)
{
	size_t n_ex = 100000, n_ci = 10000, n = n_ex + n_ci, i;
	struct tcseg_rule *v = calloc(n, sizeof(*v));
	union tcseg_addr one = { .w = { htonl(1) } };
	struct timespec t0, t1;
	struct model_verdict mv;
	struct compiled c;
	double ms;

	(void)state;
	assert_non_null(v);
	for (i = 0; i < n_ex; i++) {
		v[i].id = (__u32)i + 1;
		v[i].src_plen = v[i].dst_plen = 32;
		v[i].family = TCSEG_FAMILY_V4;
		v[i].saddr.v4 = htonl(0x0a000000 | (__u32)i);
		v[i].daddr.v4 = htonl(0x0b000000 | (__u32)(i * 7));
		v[i].proto = i % 2 ? IPPROTO_TCP : IPPROTO_UDP;
		v[i].sport = (__u16)(i % 60000 + 1);
		v[i].dport = 80;
	}
	for (i = n_ex; i < n; i++) {
		v[i].id = (__u32)i + 1;
		v[i].dst_plen = (__u8)(16 + i % 17);
		/* distinct prefixes of 16..32 bits */
		v[i].family = TCSEG_FAMILY_V4;
		v[i].daddr.v4 = htonl((__u32)(i - n_ex) << (32 - v[i].dst_plen));
		v[i].action = TCSEG_ACT_DENY;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(policy_compile(v, n, TCSEG_DEF_CIDR_ENTRIES, &c, err,
					sizeof(err)), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
	     (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	print_message("# compile 100k exact + 10k CIDR: %.1f ms\n", ms);
	assert_true(ms < 2000);
	assert_int_equal(c.n_exact, n_ex);
	assert_int_equal(c.n_cidr, n_ci * 4);
	assert_int_equal(c.n_src, 1);
	i = 54321;
	compiled_lookup(&c, 0, TCSEG_FAMILY_V4, &v[i].saddr, &v[i].daddr,
			htons(v[i].sport), htons(v[i].dport), v[i].proto, &mv);
	assert_int_equal(mv.rule_id, v[i].id);
	assert_int_equal(mv.exact, 1);
	i = n_ex + 4321;
	compiled_lookup(&c, 0, TCSEG_FAMILY_V4, &one, &v[i].daddr, 0, 0, 47,
			&mv);
	assert_int_equal(mv.rule_id, v[i].id);
	assert_int_equal(mv.action, TCSEG_ACT_DENY);
	compiled_free(&c);
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_proto_expansion),
		cmocka_unit_test(test_source_classes),
		cmocka_unit_test(test_collisions),
		cmocka_unit_test(test_same_match_refused),
		cmocka_unit_test(test_invalid_rule_refused),
		cmocka_unit_test(test_cidr_limit),
		cmocka_unit_test(test_lookup_order),
		cmocka_unit_test(test_models_agree),
		cmocka_unit_test(test_models_agree_no_dev),
		cmocka_unit_test(test_models_agree_small),
		cmocka_unit_test(test_example_policy),
		cmocka_unit_test(test_large),
		cmocka_unit_test(test_v6_exact),
		cmocka_unit_test(test_v6_cidr),
		cmocka_unit_test(test_both_families),
		cmocka_unit_test(test_same_match_per_family),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
