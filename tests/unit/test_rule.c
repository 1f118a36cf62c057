// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for the rule language (ctl/policy/rule.c): words, validation,
 * canonical format round trip and policy files with their line numbers.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "policy/rule.h"
#include "rule_test_util.h"

static char err[TCSEG_ERRLEN];

/* Test resolver: veth0 = 5, veth1 = 6, "if<N>" = N, the rest -ENODEV. */
static int resolver(const char *name, void *arg)
{
	int *calls = arg;

	if (calls)
		(*calls)++;
	if (!strcmp(name, "veth0"))
		return 5;
	if (!strcmp(name, "veth1"))
		return 6;
	if (!strcmp(name, "broken"))
		return -EPERM;
	if (!strncmp(name, "if", 2) && name[2])
		return atoi(name + 2);
	return -ENODEV;
}

/* Split @line on spaces into a static argv and parse it. */
static int parse_line(const char *line, struct tcseg_rule *r)
{
	char *argv[64];
	int argc = split_test_line(line, argv, 64);

	err[0] = '\0';
	return rule_parse_words(argc, argv, r, resolver, NULL, err,
				sizeof(err));
}

static void expect_error(const char *line, const char *msg)
{
	struct tcseg_rule r;

	assert_int_equal(parse_line(line, &r), -EINVAL);
	if (strcmp(err, msg)) {
		print_error("line '%s': got '%s', want '%s'\n", line, err, msg);
		fail();
	}
}

static void test_parse_full(void **state)
{
	struct tcseg_rule r;

	(void)state;
	assert_int_equal(parse_line("id 7 dev veth0 from 10.0.0.0/8 to 10.1.2.3 "
				    "proto tcp dport 80 audit action deny",
				    &r), 0);
	assert_int_equal(r.id, 7);
	assert_int_equal(r.ifindex, 5);
	assert_int_equal(r.family, TCSEG_FAMILY_V4);
	assert_int_equal(r.saddr.v4, inet_addr("10.0.0.0"));
	assert_int_equal(r.src_plen, 8);
	assert_int_equal(r.daddr.v4, inet_addr("10.1.2.3"));
	assert_int_equal(r.dst_plen, 32);
	assert_int_equal(r.proto, IPPROTO_TCP);
	assert_int_equal(r.dport, 80);	/* host order */
	assert_int_equal(r.sport, 0);
	assert_int_equal(r.flags, TCSEG_RULE_F_AUDIT);
	assert_int_equal(r.action, TCSEG_ACT_DENY);
	assert_int_equal(r.slot, 0);
}

static void test_parse_any_order_and_wildcards(void **state)
{
	struct tcseg_rule a, b;

	(void)state;
	assert_int_equal(parse_line("action log dport 53 to 10.0.0.2", &a), 0);
	assert_int_equal(parse_line("to 10.0.0.2 action log dport 53", &b), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_int_equal(a.id, 0);
	assert_int_equal(a.src_plen, 0);
	assert_int_equal(a.saddr.v4, 0);
	assert_int_equal(a.proto, 0);
	assert_int_equal(a.ifindex, 0);
	assert_int_equal(a.action, TCSEG_ACT_LOG);

	assert_int_equal(parse_line("action allow", &a), 0);
	assert_int_equal(a.action, TCSEG_ACT_ALLOW);

	/* rule_parse_words zeroes the rule first */
	memset(&a, 0xaa, sizeof(a));
	assert_int_equal(parse_line("action deny", &a), 0);
	memset(&b, 0, sizeof(b));
	b.action = TCSEG_ACT_DENY;
	assert_memory_equal(&a, &b, sizeof(a));
}

static void test_parse_errors(void **state)
{
	(void)state;
	expect_error("from 10.0.0.1 xyz action allow", "unknown word 'xyz'");
	expect_error("dport 80 dport 81 action allow",
		     "duplicate word 'dport'");
	expect_error("audit audit action allow", "duplicate word 'audit'");
	expect_error("action allow action deny", "duplicate word 'action'");
	expect_error("action allow dport", "dport: missing value");
	expect_error("action", "action: missing value");
	expect_error("from 10.0.0.1", "missing action");
	expect_error("", "missing action");
	expect_error("id 0 action allow", "id: must be 1-4294967295");
	expect_error("id x action allow",
		     "id: bad number 'x': must be 1-4294967295");
	expect_error("id 4294967296 action allow",
		     "id: bad number '4294967296': must be 1-4294967295");
	expect_error("dport 70000 action allow",
		     "dport: bad port '70000': must be 1-65535");
	expect_error("sport 0 action allow",
		     "sport: bad port '0': must be 1-65535");
	expect_error("from 10.0.0.1/8 action allow",
		     "from: 10.0.0.1/8: host bits set (did you mean 10.0.0.0/8?)");
	expect_error("to 10.0.0/8 action allow",
		     "to: bad address '10.0.0/8': expected A.B.C.D or A.B.C.D/N");
	expect_error("proto sctp action allow",
		     "proto: bad protocol 'sctp': expected tcp, udp, icmp, icmpv6 or any");
	expect_error("action permit",
		     "action: bad action 'permit': expected allow, deny, log or encrypt");
	expect_error("dev vethX action allow", "dev: no such device 'vethX'");
	expect_error("dev broken action allow",
		     "dev: cannot resolve 'broken': Operation not permitted");
	expect_error("dev 0123456789abcdef action allow",
		     "dev: bad device name '0123456789abcdef': must be 1-15 characters");
	/* a keyword is not a value */
	expect_error("from dport 80 action allow",
		     "from: bad address 'dport': expected A.B.C.D or A.B.C.D/N");
}

static void test_parse_dev_needs_resolver(void **state)
{
	char *argv[] = { "dev", "veth0", "action", "allow" };
	struct tcseg_rule r;
	int calls = 0;

	(void)state;
	assert_int_equal(rule_parse_words(4, argv, &r, NULL, NULL, err,
					  sizeof(err)), -EINVAL);
	assert_string_equal(err, "dev: device names cannot be used here ('veth0')");
	assert_int_equal(rule_parse_words(4, argv, &r, resolver, &calls, err,
					  sizeof(err)), 0);
	assert_int_equal(calls, 1);
	assert_int_equal(r.ifindex, 5);
}

static void test_validate(void **state)
{
	struct tcseg_rule r;

	(void)state;
	expect_error("from 10.0.0.1 to 10.0.0.2 proto tcp sport 1000 action allow",
		     "sport: only allowed in exact rules (from A/32 to B/32 proto tcp|udp sport P dport P; IPv6: /128)");
	expect_error("from 10.0.0.0/24 to 10.0.0.2 proto tcp sport 1 dport 2 action allow",
		     "sport: only allowed in exact rules (from A/32 to B/32 proto tcp|udp sport P dport P; IPv6: /128)");
	expect_error("from 10.0.0.1 to 10.0.0.2 sport 1 dport 2 action allow",
		     "sport: only allowed in exact rules (from A/32 to B/32 proto tcp|udp sport P dport P; IPv6: /128)");
	expect_error("proto icmp dport 80 action allow",
		     "dport: ports need proto tcp, udp or any (icmp has no ports)");
	expect_error("proto udp action encrypt",
		     "action encrypt: only TCP flows can be encrypted, not udp (use proto tcp)");
	expect_error("action encrypt proto icmp",
		     "action encrypt: only TCP flows can be encrypted, not icmp (use proto tcp)");
	assert_int_equal(parse_line("proto tcp action encrypt", &r), 0);
	assert_int_equal(parse_line("action encrypt", &r), 0);
	assert_int_equal(parse_line("dport 53 action allow", &r), 0);
	assert_int_equal(parse_line("proto icmp action allow", &r), 0);
	assert_int_equal(parse_line("from 10.0.0.1 to 10.0.0.2 proto udp "
				    "sport 1 dport 2 action allow", &r), 0);

	/* raw rules (from a map) get the same checks */
	memset(&r, 0, sizeof(r));
	assert_int_equal(rule_validate(&r, err, sizeof(err)), 0);
	r.src_plen = 8;		/* an address needs its family */
	assert_int_equal(rule_validate(&r, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "family: a rule with an address needs its family");
	r.family = 5;
	assert_int_equal(rule_validate(&r, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "family: bad address family 5");
	r.family = TCSEG_FAMILY_V4;
	r.src_plen = 33;
	assert_int_equal(rule_validate(&r, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "from: prefix length 33 out of range 0-32");
	r.src_plen = 8;
	r.saddr.v4 = inet_addr("10.0.0.1");
	assert_int_equal(rule_validate(&r, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "from: address has host bits set beyond /8");
	memset(&r, 0, sizeof(r));
	r.family = TCSEG_FAMILY_V4;
	r.daddr.v4 = inet_addr("10.0.0.1");
	assert_int_equal(rule_validate(&r, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "to: address has host bits set beyond /0");
	memset(&r, 0, sizeof(r));
	r.proto = 47;
	assert_int_equal(rule_validate(&r, err, sizeof(err)), -EINVAL);
	memset(&r, 0, sizeof(r));
	r.action = TCSEG_ACT_MAX;
	assert_int_equal(rule_validate(&r, err, sizeof(err)), -EINVAL);
	memset(&r, 0, sizeof(r));
	r.flags = 0x80;
	assert_int_equal(rule_validate(&r, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "flags: unknown flags 0x80");
}

static void test_is_exact(void **state)
{
	struct tcseg_rule r;

	(void)state;
	assert_int_equal(parse_line("from 1.1.1.1 to 2.2.2.2 proto tcp sport 1 "
				    "dport 2 action allow", &r), 0);
	assert_true(rule_is_exact(&r));
	assert_int_equal(parse_line("dev veth0 from 1.1.1.1 to 2.2.2.2 proto udp "
				    "sport 1 dport 2 action deny", &r), 0);
	assert_true(rule_is_exact(&r));
	assert_int_equal(parse_line("from 1.1.1.1 to 2.2.2.2 proto tcp dport 2 "
				    "action allow", &r), 0);
	assert_false(rule_is_exact(&r));
	assert_int_equal(parse_line("from 1.1.1.1 to 2.2.2.2 action allow", &r),
			 0);
	assert_false(rule_is_exact(&r));
	r.sport = 1;
	r.dport = 2;
	assert_false(rule_is_exact(&r));	/* proto any */
	r.proto = IPPROTO_TCP;
	assert_true(rule_is_exact(&r));
	r.dst_plen = 31;
	assert_false(rule_is_exact(&r));
}

static void test_same_match(void **state)
{
	struct tcseg_rule a, b;

	(void)state;
	assert_int_equal(parse_line("id 1 from 10.0.0.0/8 dport 80 action allow",
				    &a), 0);
	assert_int_equal(parse_line("id 2 dport 80 from 10.0.0.0/8 audit "
				    "action deny", &b), 0);
	b.slot = 9;
	assert_true(rule_same_match(&a, &b));
	assert_int_equal(rule_match_cmp(&a, &b), 0);
	b.dport = 81;
	assert_false(rule_same_match(&a, &b));
	assert_true(rule_match_cmp(&a, &b) < 0);
	assert_true(rule_match_cmp(&b, &a) > 0);
	b = a;
	b.proto = IPPROTO_TCP;
	assert_false(rule_same_match(&a, &b));
	b = a;
	b.ifindex = 3;
	assert_false(rule_same_match(&a, &b));
	b = a;
	b.src_plen = 16;
	assert_false(rule_same_match(&a, &b));
}

static void test_format(void **state)
{
	struct tcseg_rule r;
	char buf[256];

	(void)state;
	assert_int_equal(parse_line("action allow dport 80 proto tcp from "
				    "10.0.0.0/8 id 7", &r), 0);
	assert_int_equal(rule_format(&r, NULL, buf, sizeof(buf)),
			 (int)strlen("id 7 from 10.0.0.0/8 proto tcp dport 80 action allow"));
	assert_string_equal(buf, "id 7 from 10.0.0.0/8 proto tcp dport 80 action allow");

	assert_int_equal(parse_line("audit to 10.0.0.2 from 10.0.0.1 sport 5 "
				    "dport 6 proto udp dev veth1 action deny",
				    &r), 0);
	rule_format(&r, "veth1", buf, sizeof(buf));
	assert_string_equal(buf, "dev veth1 from 10.0.0.1 to 10.0.0.2 proto udp "
			    "sport 5 dport 6 audit action deny");
	rule_format(&r, NULL, buf, sizeof(buf));
	assert_string_equal(buf, "dev if6 from 10.0.0.1 to 10.0.0.2 proto udp "
			    "sport 5 dport 6 audit action deny");

	assert_int_equal(parse_line("action encrypt", &r), 0);
	rule_format(&r, NULL, buf, sizeof(buf));
	assert_string_equal(buf, "action encrypt");

	/* too small: -ENOSPC and an empty string, never a cut rule */
	assert_int_equal(parse_line("id 7 from 10.0.0.0/8 action allow", &r), 0);
	assert_int_equal(rule_format(&r, NULL, buf, 10), -ENOSPC);
	assert_string_equal(buf, "");
	assert_int_equal(rule_format(&r, NULL, buf, 0), -ENOSPC);
}

static __u32 rnd(__u32 *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 8;
}

/* A random address of @bits bits, masked to @plen. */
static void rnd_addr(__u32 *seed, union tcseg_addr *a, int bits, __u8 plen)
{
	int i;

	memset(a, 0, sizeof(*a));
	for (i = 0; i < bits / 8; i++)
		a->b[i] = (__u8)rnd(seed);
	tcseg_addr_mask(a, plen);
}

static void random_rule(__u32 *seed, struct tcseg_rule *r)
{
	static const __u8 protos[] = { 0, IPPROTO_TCP, IPPROTO_UDP,
				       IPPROTO_ICMP, IPPROTO_ICMPV6 };
	int v6 = rnd(seed) % 2, bits = v6 ? 128 : 32;

	memset(r, 0, sizeof(*r));
	r->id = rnd(seed) % 3 ? rnd(seed) + 1 : 0;
	r->ifindex = rnd(seed) % 4 ? 0 : rnd(seed) % 1000 + 1;
	r->src_plen = (__u8)(rnd(seed) % (bits + 1));
	r->dst_plen = (__u8)(rnd(seed) % (bits + 1));
	if (rnd(seed) % 3 == 0)		/* no address at all, often */
		r->src_plen = r->dst_plen = 0;
	rnd_addr(seed, &r->saddr, bits, r->src_plen);
	rnd_addr(seed, &r->daddr, bits, r->dst_plen);
	/* no address: both families, or one by "from 0.0.0.0/0" or "::/0" */
	if (r->src_plen || r->dst_plen || rnd(seed) % 2)
		r->family = v6 ? TCSEG_FAMILY_V6 : TCSEG_FAMILY_V4;
	r->proto = protos[rnd(seed) % 5];
	if ((r->proto == IPPROTO_ICMP && r->family == TCSEG_FAMILY_V6) ||
	    (r->proto == IPPROTO_ICMPV6 && r->family == TCSEG_FAMILY_V4))
		r->proto = 0;
	if (r->proto != IPPROTO_ICMP && r->proto != IPPROTO_ICMPV6 &&
	    rnd(seed) % 2)
		r->dport = (__u16)(rnd(seed) % 65535 + 1);
	if (rnd(seed) % 4 == 0) {	/* make it exact */
		r->src_plen = r->dst_plen = (__u8)bits;
		r->family = v6 ? TCSEG_FAMILY_V6 : TCSEG_FAMILY_V4;
		rnd_addr(seed, &r->saddr, bits, (__u8)bits);
		rnd_addr(seed, &r->daddr, bits, (__u8)bits);
		r->proto = rnd(seed) % 2 ? IPPROTO_TCP : IPPROTO_UDP;
		r->sport = (__u16)(rnd(seed) % 65535 + 1);
		r->dport = (__u16)(rnd(seed) % 65535 + 1);
	}
	r->action = (__u8)(rnd(seed) % TCSEG_ACT_MAX);
	if (r->action == TCSEG_ACT_ENCRYPT && r->proto != IPPROTO_TCP)
		r->proto = 0;
	if (r->action == TCSEG_ACT_ENCRYPT && !r->proto && r->sport)
		r->proto = IPPROTO_TCP;
	r->flags = rnd(seed) % 2 ? TCSEG_RULE_F_AUDIT : 0;
}

/* format -> parse gives back the very same rule, for many random rules. */
static void test_format_round_trip(void **state)
{
	struct tcseg_rule r, back;
	__u32 seed = 12345;
	char buf[256];
	int i;

	(void)state;
	for (i = 0; i < 20000; i++) {
		random_rule(&seed, &r);
		if (rule_validate(&r, err, sizeof(err))) {
			print_error("generator made a bad rule: %s\n", err);
			fail();
		}
		assert_true(rule_format(&r, NULL, buf, sizeof(buf)) > 0);
		if (parse_line(buf, &back)) {
			print_error("'%s' does not parse: %s\n", buf, err);
			fail();
		}
		assert_memory_equal(&r, &back, sizeof(r));
	}
}

/* ---- IPv6 ---- */

static void test_parse_v6(void **state)
{
	struct tcseg_rule r;

	(void)state;
	assert_int_equal(parse_line("from fd00::/8 to fd00:1::5 proto tcp "
				    "dport 443 action allow", &r), 0);
	assert_int_equal(r.family, TCSEG_FAMILY_V6);
	assert_int_equal(r.src_plen, 8);
	assert_int_equal(r.saddr.b[0], 0xfd);
	assert_int_equal(r.dst_plen, 128);
	assert_int_equal(r.daddr.b[15], 5);
	assert_false(rule_is_exact(&r));
	assert_int_equal(parse_line("from fd00::1 to fd00::2 proto udp sport 1 "
				    "dport 2 action deny", &r), 0);
	assert_true(rule_is_exact(&r));
	/* /32 is no exact IPv6 rule */
	expect_error("from fd00::/32 to fd00:1::/32 proto udp sport 1 dport 2 "
		     "action deny",
		     "sport: only allowed in exact rules (from A/32 to B/32 "
		     "proto tcp|udp sport P dport P; IPv6: /128)");
	assert_int_equal(parse_line("to fe80::1 proto icmpv6 action allow", &r),
			 0);
	assert_int_equal(r.proto, IPPROTO_ICMPV6);
	assert_int_equal(parse_line("from ::/0 action deny", &r), 0);
	assert_int_equal(r.family, TCSEG_FAMILY_V6);
	assert_int_equal(r.src_plen, 0);
	/* no address: both families, unless the protocol has one */
	assert_int_equal(parse_line("dport 53 action allow", &r), 0);
	assert_int_equal(r.family, 0);
	assert_int_equal(rule_families(&r), RULE_FAM_V4 | RULE_FAM_V6);
	assert_int_equal(parse_line("proto icmpv6 action allow", &r), 0);
	assert_int_equal(r.family, 0);
	assert_int_equal(rule_families(&r), RULE_FAM_V6);
	assert_int_equal(parse_line("proto icmp action allow", &r), 0);
	assert_int_equal(rule_families(&r), RULE_FAM_V4);
	assert_int_equal(parse_line("to 10.0.0.0/8 action allow", &r), 0);
	assert_int_equal(rule_families(&r), RULE_FAM_V4);
	assert_int_equal(parse_line("to fd00::/8 action allow", &r), 0);
	assert_int_equal(rule_families(&r), RULE_FAM_V6);
}

static void test_parse_v6_errors(void **state)
{
	(void)state;
	/* mixed families: the second address word is named */
	expect_error("from 10.0.0.1 to fd00::1 action allow",
		     "to: 'fd00::1' is IPv6 but 'from' is IPv4: a rule is of "
		     "one address family");
	expect_error("to fd00::/8 action deny from 10.0.0.0/8",
		     "from: '10.0.0.0/8' is IPv4 but 'to' is IPv6: a rule is of "
		     "one address family");
	expect_error("from ::/0 to 0.0.0.0/0 action deny",
		     "to: '0.0.0.0/0' is IPv4 but 'from' is IPv6: a rule is of "
		     "one address family");
	/* the protocol of the other family */
	expect_error("from fd00::1 proto icmp action allow",
		     "proto: icmp is not a protocol of IPv6 (the rule's "
		     "addresses): use icmpv6");
	expect_error("proto icmpv6 to 10.0.0.1 action allow",
		     "proto: icmpv6 is not a protocol of IPv4 (the rule's "
		     "addresses): use icmp");
	expect_error("proto icmpv6 dport 80 action allow",
		     "dport: ports need proto tcp, udp or any (icmpv6 has no ports)");
	expect_error("proto icmpv6 action encrypt",
		     "action encrypt: only TCP flows can be encrypted, not "
		     "icmpv6 (use proto tcp)");
	/* hostile addresses */
	expect_error("from fd00::1/129 action allow",
		     "from: bad prefix length in 'fd00::1/129': must be 0-128");
	expect_error("to ::ffff:10.0.0.1 action allow",
		     "to: bad address '::ffff:10.0.0.1': v4-mapped IPv6 "
		     "addresses (::ffff:a.b.c.d) never reach the data path: "
		     "write the IPv4 address");
	expect_error("to ::ffff:0:0/96 action allow",
		     "to: bad address '::ffff:0:0/96': v4-mapped IPv6 "
		     "addresses (::ffff:a.b.c.d) never reach the data path: "
		     "write the IPv4 address");
	expect_error("from fe80::1%eth0 action allow",
		     "from: bad address 'fe80::1%eth0': a zone (%...) is not "
		     "allowed: give the address alone");
	expect_error("from fd00::1/64 action allow",
		     "from: fd00::1/64: host bits set (did you mean fd00::/64?)");
	expect_error("to fd00:::1 action allow",
		     "to: bad address 'fd00:::1': expected an IPv4 or IPv6 "
		     "address (A.B.C.D, X:X::X), optionally /N");
	expect_error("to fd00::1/-1 action allow",
		     "to: bad prefix length in 'fd00::1/-1': must be 0-128");
	expect_error("to [fd00::1] action allow",
		     "to: bad address '[fd00::1]': expected an IPv4 or IPv6 "
		     "address (A.B.C.D, X:X::X), optionally /N");
	expect_error("to ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.2559 "
		     "action allow",
		     "to: bad address 'ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.2559': "
		     "expected an IPv4 or IPv6 address (A.B.C.D, X:X::X), "
		     "optionally /N");
}

/* Raw IPv6 rules (from the map) get the parser's checks. */
static void test_validate_v6(void **state)
{
	struct tcseg_rule r;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.family = TCSEG_FAMILY_V6;
	r.src_plen = 129;
	assert_int_equal(rule_validate(&r, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "from: prefix length 129 out of range 0-128");
	r.src_plen = 64;
	r.saddr.b[9] = 1;
	assert_int_equal(rule_validate(&r, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "from: address has host bits set beyond /64");
	memset(&r, 0, sizeof(r));
	r.family = TCSEG_FAMILY_V6;
	r.dst_plen = 128;
	r.daddr.b[10] = r.daddr.b[11] = 0xff;
	assert_int_equal(rule_validate(&r, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "to: v4-mapped IPv6 addresses never reach the "
			    "data path");
	/* an IPv4 rule's address has no bytes beyond its fourth */
	memset(&r, 0, sizeof(r));
	r.family = TCSEG_FAMILY_V4;
	r.dst_plen = 32;
	r.daddr.b[8] = 1;
	assert_int_equal(rule_validate(&r, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "to: IPv4 address with bytes beyond the fourth set");
	/* nor does a rule of both families */
	memset(&r, 0, sizeof(r));
	r.saddr.b[15] = 1;
	assert_int_equal(rule_validate(&r, err, sizeof(err)), -EINVAL);
	memset(&r, 0, sizeof(r));
	r.family = TCSEG_FAMILY_V6;
	r.proto = IPPROTO_ICMP;
	assert_int_equal(rule_validate(&r, err, sizeof(err)), -EINVAL);
	r.family = 0;
	assert_int_equal(rule_validate(&r, err, sizeof(err)), 0);
}

/* Overlap is per family: a rule of both families meets each one. */
static void test_overlaps(void **state)
{
	struct tcseg_rule any, v4, v6, v6b;

	(void)state;
	assert_int_equal(parse_line("dport 80 action allow", &any), 0);
	assert_int_equal(parse_line("from 0.0.0.0/0 dport 80 action deny", &v4),
			 0);
	assert_int_equal(parse_line("from ::/0 dport 80 action deny", &v6), 0);
	assert_int_equal(parse_line("dport 80 to ::/0 action log", &v6b), 0);
	assert_false(rule_same_match(&any, &v4));	/* not the same rule... */
	assert_true(rule_overlaps(&any, &v4));		/* ...the same in IPv4 */
	assert_true(rule_overlaps(&any, &v6));
	assert_false(rule_overlaps(&v4, &v6));		/* same bytes, two families */
	assert_true(rule_overlaps(&v6, &v6b));
	assert_int_equal(parse_line("proto icmp action allow", &v4), 0);
	assert_int_equal(parse_line("proto icmpv6 action allow", &v6), 0);
	assert_false(rule_overlaps(&v4, &v6));
}

static void test_format_v6(void **state)
{
	struct tcseg_rule r;
	char buf[256];

	(void)state;
	assert_int_equal(parse_line("id 4 from fd00:0:0::/48 to FD00::1 proto "
				    "tcp dport 22 action deny", &r), 0);
	assert_true(rule_format(&r, NULL, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "id 4 from fd00::/48 to fd00::1 proto tcp "
			    "dport 22 action deny");
	assert_int_equal(parse_line("from ::/0 action deny", &r), 0);
	assert_true(rule_format(&r, NULL, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "from ::/0 action deny");
	assert_int_equal(parse_line("from 0.0.0.0/0 action deny", &r), 0);
	assert_true(rule_format(&r, NULL, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "from 0.0.0.0/0 action deny");
	assert_int_equal(parse_line("proto icmpv6 action allow", &r), 0);
	assert_true(rule_format(&r, NULL, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "proto icmpv6 action allow");
}

/* ---- policy files ---- */

static char tmpdir[64];
static char path[128];

static int setup_dir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_rule.XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(path, sizeof(path), "%s/p.policy", tmpdir);
	return 0;
}

static int teardown_dir(void **state)
{
	(void)state;
	unlink(path);
	return rmdir(tmpdir);
}

static void write_file(const char *content, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(content, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static int read_str(const char *content, struct rule_set *s)
{
	write_file(content, strlen(content));
	err[0] = '\0';
	return rules_read_file(path, s, resolver, NULL, err, sizeof(err));
}

/* @msg with "FILE" replaced by the test file's path */
static void expect_file_error(const char *content, const char *msg)
{
	struct rule_set s = { 0 };
	char want[512];
	const char *rest = msg + strlen("FILE");

	assert_int_equal(strncmp(msg, "FILE", 4), 0);
	snprintf(want, sizeof(want), "%s%s", path, rest);
	assert_int_not_equal(read_str(content, &s), 0);
	if (strcmp(err, want)) {
		print_error("got '%s', want '%s'\n", err, want);
		fail();
	}
	assert_null(s.v);
	assert_int_equal(s.n, 0);
}

static void test_file_good(void **state)
{
	struct rule_set s = { 0 };

	(void)state;
	assert_int_equal(read_str("# a comment\n"
				  "\n"
				  "   \t \n"
				  "id 1 from 10.0.0.1 to 10.0.0.2 proto tcp dport 80 action allow\n"
				  "from 10.0.0.3 action deny # trailing comment\n"
				  "\tdev veth0\tproto icmp action log\r\n"
				  "to 10.0.0.2 dport 53 action allow#no space\n"
				  "id 9 action deny", &s), 0);
	assert_int_equal(s.n, 5);
	assert_int_equal(s.v[0].id, 1);
	assert_int_equal(s.v[0].dport, 80);
	assert_int_equal(s.v[1].id, 0);	/* left for the caller */
	assert_int_equal(s.v[1].saddr.v4, inet_addr("10.0.0.3"));
	assert_int_equal(s.v[1].action, TCSEG_ACT_DENY);
	assert_int_equal(s.v[2].ifindex, 5);
	assert_int_equal(s.v[2].proto, IPPROTO_ICMP);
	assert_int_equal(s.v[2].action, TCSEG_ACT_LOG);
	assert_int_equal(s.v[3].dport, 53);
	assert_int_equal(s.v[4].id, 9);	/* last line without newline */
	rule_set_free(&s);
	assert_null(s.v);

	/* empty and comment-only files are empty policies */
	assert_int_equal(read_str("", &s), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(read_str("# nothing\n\n", &s), 0);
	assert_int_equal(s.n, 0);
	rule_set_free(&s);
}

static void test_file_errors(void **state)
{
	(void)state;
	expect_file_error("action allow\n\n# x\ndport 99999 action allow\n",
			  "FILE:4: dport: bad port '99999': must be 1-65535");
	expect_file_error("from 10.0.0.1/8 action allow\n",
			  "FILE:1: from: 10.0.0.1/8: host bits set (did you mean 10.0.0.0/8?)");
	expect_file_error("action allow\nfrom 10.0.0.1 bogus 1 action deny\n",
			  "FILE:2: unknown word 'bogus'");
	expect_file_error("\n\nfrom 10.0.0.1\n", "FILE:3: missing action");
	expect_file_error("dev nope action allow\n",
			  "FILE:1: dev: no such device 'nope'");
	expect_file_error("id 3 from 10.0.0.1 action allow\n"
			  "id 4 from 10.0.0.2 action allow\n"
			  "id 3 from 10.0.0.3 action allow\n",
			  "FILE:3: id: duplicate id 3 (first on line 1)");
	expect_file_error("# header\n"
			  "\n"
			  "id 7 from 10.0.0.1 action allow\n"
			  "id 8 from 10.0.0.2 action allow\n"
			  "id 9 from 10.0.0.3 action allow\n"
			  "id 7 from 10.0.0.4 action allow\n",
			  "FILE:6: id: duplicate id 7 (first on line 3)");
	expect_file_error("from 10.0.0.1 dport 80 action allow\n"
			  "to 10.0.0.9 action deny\n"
			  "dport 80 from 10.0.0.1 action deny\n",
			  "FILE:3: match: same match as the rule on line 1");
	/* the earlier of two problems is reported */
	expect_file_error("id 1 action allow\n"
			  "id 2 action deny\n"
			  "id 1 to 10.0.0.1 action deny\n",
			  "FILE:2: match: same match as the rule on line 1");
	expect_file_error("action allow\n"
			  "from 1.1.1.1 to 1.1.1.1 from to from to from to from to from to "
			  "from to from to from to from to from to from to from to from to "
			  "from to from to from to\n",
			  "FILE:2: too many words (max 32)");
}

/* Files may mix IPv4 and IPv6 rules; duplicates are per family. */
static void test_file_v6(void **state)
{
	struct rule_set s = { 0 };

	(void)state;
	assert_int_equal(read_str("id 1 from 10.0.0.0/8 to 10.1.0.0/16 action allow\n"
				  "id 2 from fd00::/8 to fd01::/16 action allow\n"
				  "id 3 dport 53 action allow\n"
				  "id 4 proto icmpv6 action allow\n"
				  "id 5 proto icmp action allow\n"
				  "id 6 from 0.0.0.0/0 proto tcp action deny\n"
				  "id 7 from ::/0 proto tcp action deny\n", &s), 0);
	assert_int_equal(s.n, 7);
	assert_int_equal(s.v[0].family, TCSEG_FAMILY_V4);
	assert_int_equal(s.v[1].family, TCSEG_FAMILY_V6);
	assert_int_equal(s.v[2].family, 0);
	rule_set_free(&s);
	expect_file_error("action allow\n"
			  "from 10.0.0.1 to fd00::1 action deny\n",
			  "FILE:2: to: 'fd00::1' is IPv6 but 'from' is IPv4: a "
			  "rule is of one address family");
	expect_file_error("to fd00::/129 action deny\n",
			  "FILE:1: to: bad prefix length in 'fd00::/129': must "
			  "be 0-128");
	expect_file_error("from fd00::1 proto icmp action deny\n",
			  "FILE:1: proto: icmp is not a protocol of IPv6 (the "
			  "rule's addresses): use icmpv6");
	/* both families meet a rule of one */
	expect_file_error("from ::/0 dport 80 action allow\n"
			  "from 0.0.0.0/0 dport 81 action allow\n"
			  "dport 80 action deny\n",
			  "FILE:3: match: same match as the rule on line 1");
	expect_file_error("from ::/0 dport 80 action allow\n"
			  "to ::/0 dport 80 action deny\n",
			  "FILE:2: match: same match as the rule on line 1");
	expect_file_error("proto icmpv6 action allow\n"
			  "from ::/0 proto icmpv6 action deny\n",
			  "FILE:2: match: same match as the rule on line 1");
	/* ...but the two families never meet each other */
	assert_int_equal(read_str("from ::/0 dport 80 action allow\n"
				  "from 0.0.0.0/0 dport 80 action allow\n"
				  "proto icmp action allow\n"
				  "proto icmpv6 action deny\n", &s), 0);
	rule_set_free(&s);
}

static void test_file_long_line(void **state)
{
	char *big = malloc(5000);
	size_t n;

	(void)state;
	assert_non_null(big);
	/* exactly 4096 characters is fine */
	strcpy(big, "action allow");
	n = strlen(big);
	memset(big + n, ' ', 4096 - n);
	strcpy(big + 4096, "\n");
	{
		struct rule_set s = { 0 };

		assert_int_equal(read_str(big, &s), 0);
		assert_int_equal(s.n, 1);
		rule_set_free(&s);
	}
	/* 4097 is not */
	memset(big + n, ' ', 4097 - n);
	strcpy(big + 4097, "\naction deny\n");
	expect_file_error(big, "FILE:1: line longer than 4096 characters");
	free(big);
}

static void test_file_nul_byte(void **state)
{
	struct rule_set s = { 0 };
	char want[256];

	(void)state;
	write_file("action allow\naction\0 deny\n", 26);
	assert_int_equal(rules_read_file(path, &s, NULL, NULL, err, sizeof(err)),
			 -EINVAL);
	snprintf(want, sizeof(want), "%s:2: NUL byte in line", path);
	assert_string_equal(err, want);
}

/* Endless input without a newline fails on the first line, at once. */
static void test_file_dev_zero(void **state)
{
	struct rule_set s = { 0 };

	(void)state;
	assert_int_equal(rules_read_file("/dev/zero", &s, NULL, NULL, err,
					 sizeof(err)), -EINVAL);
	assert_string_equal(err, "/dev/zero:1: NUL byte in line");
}

static void test_file_unreadable(void **state)
{
	struct rule_set s = { 0 };
	char want[256];

	(void)state;
	assert_int_equal(rules_read_file("/nonexistent/x.policy", &s, NULL,
					 NULL, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "/nonexistent/x.policy: cannot read: "
			    "No such file or directory");
	assert_int_not_equal(rules_read_file(tmpdir, &s, NULL, NULL, err,
					     sizeof(err)), 0);
	snprintf(want, sizeof(want), "%s: cannot read: Is a directory", tmpdir);
	assert_string_equal(err, want);
	assert_null(s.v);
}

/* The file bound: 1,000,000 rules load, one more is refused. */
static void test_file_max_rules(void **state)
{
	struct rule_set s = { 0 };
	char want[256];
	FILE *f;
	int i;

	(void)state;
	f = fopen(path, "w");
	assert_non_null(f);
	for (i = 0; i < 1000000; i++)
		fprintf(f, "id %d to %u.%u.%u.%u action allow\n", i + 1,
			10, (i >> 16) & 255, (i >> 8) & 255, i & 255);
	assert_int_equal(fflush(f), 0);
	assert_int_equal(rules_read_file(path, &s, NULL, NULL, err,
					 sizeof(err)), 0);
	assert_int_equal(s.n, 1000000);
	assert_int_equal(s.v[999999].id, 1000000);
	rule_set_free(&s);
	fprintf(f, "id 1000001 action deny\n");
	assert_int_equal(fclose(f), 0);
	assert_int_equal(rules_read_file(path, &s, NULL, NULL, err,
					 sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s:1000001: too many rules (max 1000000)",
		 path);
	assert_string_equal(err, want);
}

static void test_rule_set_push(void **state)
{
	struct rule_set s = { 0 };
	struct tcseg_rule r = { 0 };
	__u32 i;

	(void)state;
	for (i = 0; i < 1000; i++) {
		r.id = i + 1;
		assert_int_equal(rule_set_push(&s, &r), 0);
	}
	assert_int_equal(s.n, 1000);
	assert_true(s.cap >= 1000);
	for (i = 0; i < 1000; i++)
		assert_int_equal(s.v[i].id, i + 1);
	rule_set_free(&s);
	assert_int_equal(s.n, 0);
	assert_int_equal(s.cap, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_full),
		cmocka_unit_test(test_parse_any_order_and_wildcards),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_dev_needs_resolver),
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_is_exact),
		cmocka_unit_test(test_same_match),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_format_round_trip),
		cmocka_unit_test(test_parse_v6),
		cmocka_unit_test(test_parse_v6_errors),
		cmocka_unit_test(test_validate_v6),
		cmocka_unit_test(test_overlaps),
		cmocka_unit_test(test_format_v6),
		cmocka_unit_test(test_file_v6),
		cmocka_unit_test(test_file_good),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_file_long_line),
		cmocka_unit_test(test_file_nul_byte),
		cmocka_unit_test(test_file_dev_zero),
		cmocka_unit_test(test_file_unreadable),
		cmocka_unit_test(test_file_max_rules),
		cmocka_unit_test(test_rule_set_push),
	};

	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
