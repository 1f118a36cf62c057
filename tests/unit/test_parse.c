// SPDX-License-Identifier: GPL-2.0
/* Unit tests for the value parsers (ctl/policy/parse.c): good and bad inputs. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "tcseg.h"
#include "policy/parse.h"

static char err[TCSEG_ERRLEN];

static void expect_cidr(const char *s, const char *addr, __u8 plen)
{
	__be32 a = 0xdeadbeef;
	__u8 p = 99;

	err[0] = '\0';
	assert_int_equal(parse_cidr(s, &a, &p, err, sizeof(err)), 0);
	assert_int_equal(a, inet_addr(addr));
	assert_int_equal(p, plen);
}

static void expect_bad_cidr(const char *s, const char *msg)
{
	__be32 a = 0x01020304;
	__u8 p = 7;

	err[0] = '\0';
	assert_int_equal(parse_cidr(s, &a, &p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, msg));
	/* outputs untouched on error */
	assert_int_equal(a, 0x01020304);
	assert_int_equal(p, 7);
}

static void test_cidr_good(void **state)
{
	(void)state;
	expect_cidr("10.0.0.1", "10.0.0.1", 32);
	expect_cidr("10.0.0.1/32", "10.0.0.1", 32);
	expect_cidr("10.0.0.0/8", "10.0.0.0", 8);
	expect_cidr("0.0.0.0/0", "0.0.0.0", 0);
	expect_cidr("255.255.255.255", "255.255.255.255", 32);
	expect_cidr("192.168.1.128/25", "192.168.1.128", 25);
	expect_cidr("0.0.0.0", "0.0.0.0", 32);
	expect_cidr("172.16.0.0/12", "172.16.0.0", 12);
}

static void test_cidr_bad(void **state)
{
	(void)state;
	expect_bad_cidr("", "bad address ''");
	expect_bad_cidr("10.0.0", "bad address '10.0.0'");
	expect_bad_cidr("10.0.0.0.0", "bad address");
	expect_bad_cidr("10..0.1", "bad address");
	expect_bad_cidr("256.0.0.1", "bad address '256.0.0.1'");
	expect_bad_cidr("+1.0.0.1", "bad address");
	expect_bad_cidr("-1.0.0.1", "bad address");
	expect_bad_cidr("1.0.0.1 ", "bad address");
	expect_bad_cidr(" 1.0.0.1", "bad address");
	expect_bad_cidr("010.0.0.1", "bad address");	/* octal? no */
	expect_bad_cidr("1.2.3.4x", "bad address");
	expect_bad_cidr("0x0a.0.0.1", "bad address");
	expect_bad_cidr("1.2.3.1000", "bad address");
	expect_bad_cidr("10", "bad address");
	expect_bad_cidr("10.0.0.0/", "bad prefix length in '10.0.0.0/'");
	expect_bad_cidr("10.0.0.0/33", "must be 0-32");
	expect_bad_cidr("10.0.0.0/-1", "bad prefix length");
	expect_bad_cidr("10.0.0.0/+8", "bad prefix length");
	expect_bad_cidr("10.0.0.0/8x", "bad prefix length");
	expect_bad_cidr("10.0.0.0/008", "bad prefix length");
	expect_bad_cidr("10.0.0.0/8/8", "bad prefix length");
	expect_bad_cidr("10.0.0.1/8",
			"10.0.0.1/8: host bits set (did you mean 10.0.0.0/8?)");
	expect_bad_cidr("192.168.1.1/24", "did you mean 192.168.1.0/24?");
	expect_bad_cidr("0.0.0.1/0", "did you mean 0.0.0.0/0?");
}

static void test_cidr_long_value_cut(void **state)
{
	char big[1000];
	__be32 a;
	__u8 p;

	(void)state;
	memset(big, '1', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(parse_cidr(big, &a, &p, err, sizeof(err)), -EINVAL);
	assert_true(strlen(err) < 200);
	assert_non_null(strstr(err, "...'"));
	/* a NULL error buffer is allowed */
	assert_int_equal(parse_cidr("x", &a, &p, NULL, 0), -EINVAL);
}

static void test_port(void **state)
{
	static const char *const bad[] = {
		"", "0", "65536", "70000", "-1", "+80", "80x", " 80", "80 ",
		"0x50", "123456", "99999", "000080",
	};
	__u16 port = 0;
	size_t i;

	(void)state;
	assert_int_equal(parse_port("1", &port, err, sizeof(err)), 0);
	assert_int_equal(port, 1);
	assert_int_equal(parse_port("80", &port, err, sizeof(err)), 0);
	assert_int_equal(port, 80);
	assert_int_equal(parse_port("65535", &port, err, sizeof(err)), 0);
	assert_int_equal(port, 65535);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		port = 7;
		assert_int_equal(parse_port(bad[i], &port, err, sizeof(err)),
				 -EINVAL);
		assert_int_equal(port, 7);
		assert_non_null(strstr(err, "must be 1-65535"));
	}
	parse_port("70000", &port, err, sizeof(err));
	assert_string_equal(err, "bad port '70000': must be 1-65535");
}

static void test_proto(void **state)
{
	__u8 p = 99;

	(void)state;
	assert_int_equal(parse_proto("tcp", &p, err, sizeof(err)), 0);
	assert_int_equal(p, IPPROTO_TCP);
	assert_int_equal(parse_proto("udp", &p, err, sizeof(err)), 0);
	assert_int_equal(p, IPPROTO_UDP);
	assert_int_equal(parse_proto("icmp", &p, err, sizeof(err)), 0);
	assert_int_equal(p, IPPROTO_ICMP);
	assert_int_equal(parse_proto("icmpv6", &p, err, sizeof(err)), 0);
	assert_int_equal(p, IPPROTO_ICMPV6);
	assert_string_equal(proto_name(IPPROTO_ICMPV6), "icmpv6");
	assert_int_equal(parse_proto("any", &p, err, sizeof(err)), 0);
	assert_int_equal(p, 0);
	assert_int_equal(parse_proto("TCP", &p, err, sizeof(err)), -EINVAL);
	assert_string_equal(err,
			    "bad protocol 'TCP': expected tcp, udp, icmp, icmpv6 or any");
	assert_int_equal(parse_proto("6", &p, err, sizeof(err)), -EINVAL);
	assert_int_equal(parse_proto("", &p, err, sizeof(err)), -EINVAL);
	assert_int_equal(parse_proto("tcpx", &p, err, sizeof(err)), -EINVAL);
}

static void test_action(void **state)
{
	__u8 a = 99;

	(void)state;
	assert_int_equal(parse_action("allow", &a, err, sizeof(err)), 0);
	assert_int_equal(a, TCSEG_ACT_ALLOW);
	assert_int_equal(parse_action("deny", &a, err, sizeof(err)), 0);
	assert_int_equal(a, TCSEG_ACT_DENY);
	assert_int_equal(parse_action("log", &a, err, sizeof(err)), 0);
	assert_int_equal(a, TCSEG_ACT_LOG);
	assert_int_equal(parse_action("encrypt", &a, err, sizeof(err)), 0);
	assert_int_equal(a, TCSEG_ACT_ENCRYPT);
	assert_int_equal(parse_action("drop", &a, err, sizeof(err)), -EINVAL);
	assert_string_equal(err,
			    "bad action 'drop': expected allow, deny, log or encrypt");
	assert_int_equal(parse_action("", &a, err, sizeof(err)), -EINVAL);

	assert_int_equal(parse_default_action("deny", &a, err, sizeof(err)), 0);
	assert_int_equal(a, TCSEG_ACT_DENY);
	assert_int_equal(parse_default_action("allow", &a, err, sizeof(err)),
			 0);
	assert_int_equal(a, TCSEG_ACT_ALLOW);
	assert_int_equal(parse_default_action("log", &a, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err,
			    "bad default action 'log': expected allow or deny");
}

static void test_u32(void **state)
{
	static const char *const bad[] = {
		"", "-1", "+1", "4294967296", "99999999999999999999", "1x",
		" 1", "1 ", "0x10", "1.0",
	};
	__u32 v = 0;
	size_t i;

	(void)state;
	assert_int_equal(parse_u32("0", &v, err, sizeof(err)), 0);
	assert_int_equal(v, 0);
	assert_int_equal(parse_u32("42", &v, err, sizeof(err)), 0);
	assert_int_equal(v, 42);
	assert_int_equal(parse_u32("4294967295", &v, err, sizeof(err)), 0);
	assert_int_equal(v, 4294967295u);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 7;
		assert_int_equal(parse_u32(bad[i], &v, err, sizeof(err)),
				 -EINVAL);
		assert_int_equal(v, 7);
		assert_non_null(strstr(err, "bad number"));
	}
}

static void test_names(void **state)
{
	char buf[32];

	(void)state;
	assert_string_equal(action_name(TCSEG_ACT_ALLOW), "allow");
	assert_string_equal(action_name(TCSEG_ACT_DENY), "deny");
	assert_string_equal(action_name(TCSEG_ACT_LOG), "log");
	assert_string_equal(action_name(TCSEG_ACT_ENCRYPT), "encrypt");
	assert_string_equal(action_name(77), "?");
	assert_string_equal(proto_name(IPPROTO_TCP), "tcp");
	assert_string_equal(proto_name(IPPROTO_UDP), "udp");
	assert_string_equal(proto_name(IPPROTO_ICMP), "icmp");
	assert_string_equal(proto_name(0), "any");
	assert_string_equal(proto_name(47), "47");
	assert_string_equal(proto_name(255), "255");

	format_cidr(inet_addr("10.1.2.3"), 32, buf, sizeof(buf));
	assert_string_equal(buf, "10.1.2.3");
	format_cidr(inet_addr("10.0.0.0"), 8, buf, sizeof(buf));
	assert_string_equal(buf, "10.0.0.0/8");
	format_cidr(0, 0, buf, sizeof(buf));
	assert_string_equal(buf, "0.0.0.0/0");
	format_cidr(inet_addr("10.0.0.0"), 8, buf, 5);
	assert_string_equal(buf, "10.0");
}

/* format_cidr and parse_cidr are inverse for every prefix length. */
static void test_cidr_round_trip(void **state)
{
	__be32 a;
	__u8 p;
	char buf[32];
	int plen;

	(void)state;
	for (plen = 0; plen <= 32; plen++) {
		__u32 m = plen ? ~0u << (32 - plen) : 0;
		__be32 net = htonl(0xc0a8817fu & m);

		format_cidr(net, (__u8)plen, buf, sizeof(buf));
		assert_int_equal(parse_cidr(buf, &a, &p, err, sizeof(err)), 0);
		assert_int_equal(a, net);
		assert_int_equal(p, plen);
	}
}

static void expect_bad_addrs(const char *s, const char *msg)
{
	struct addr_set as = { .n4 = 1, .a4 = { 0x01020304 } };

	err[0] = '\0';
	assert_int_equal(parse_addr_set(s, &as, err, sizeof(err)), -EINVAL);
	if (!strstr(err, msg))
		fail_msg("'%s': error '%s', want '%s'", s, err, msg);
	assert_int_equal(as.n4, 1);	/* untouched on error */
	assert_int_equal(as.a4[0], 0x01020304);
	assert_int_equal(as.n6, 0);
}

/* A pod's addresses for tcctl attach DEV addr A[,B...]. */
static void test_addr_list(void **state)
{
	struct addr_set as;
	char buf[TCSEG_ADDR_SET_STRLEN];

	(void)state;
	assert_int_equal(parse_addr_set("10.0.0.1", &as, err, sizeof(err)), 0);
	assert_int_equal(as.n4, 1);
	assert_int_equal(as.n6, 0);
	assert_int_equal(as.a4[0], inet_addr("10.0.0.1"));
	assert_int_equal(parse_addr_set("10.0.0.1,192.168.7.9", &as, err,
					sizeof(err)), 0);
	assert_int_equal(as.a4[1], inet_addr("192.168.7.9"));
	assert_int_equal(parse_addr_set("1.0.0.1,1.0.0.2,1.0.0.3,1.0.0.4,"
					"1.0.0.5,1.0.0.6,1.0.0.7,1.0.0.8",
					&as, err, sizeof(err)), 0);
	assert_int_equal(as.n4, 8);
	as.n4 = 3;
	format_addr_set(&as, "unbound", buf, sizeof(buf));
	assert_string_equal(buf, "1.0.0.1,1.0.0.2,1.0.0.3");
	as.n4 = 0;
	format_addr_set(&as, "unbound", buf, sizeof(buf));
	assert_string_equal(buf, "unbound");
	as.n4 = 8;
	format_addr_set(&as, "", buf, 12);
	assert_string_equal(buf, "1.0.0.1,1.0");

	expect_bad_addrs("", "bad address ''");
	expect_bad_addrs("10.0.0.1,", "bad address ''");
	expect_bad_addrs(",10.0.0.1", "bad address ''");
	expect_bad_addrs("10.0.0.1,,10.0.0.2", "bad address ''");
	expect_bad_addrs("10.0.0.256", "bad address '10.0.0.256'");
	expect_bad_addrs("10.0.0.1/32", "bad address '10.0.0.1/32'");
	expect_bad_addrs("10.0.0.1 ", "bad address '10.0.0.1 '");
	expect_bad_addrs("10.0.0.1;10.0.0.2", "bad address '10.0.0.1;10.0.0.2'");
	expect_bad_addrs("10.0.0.1,10.0.0.01", "bad address '10.0.0.01'");
	expect_bad_addrs("10.0.0.1,10.0.0.2,10.0.0.1",
			 "duplicate address 10.0.0.1");
	expect_bad_addrs("1.0.0.1,1.0.0.2,1.0.0.3,1.0.0.4,1.0.0.5,1.0.0.6,"
			 "1.0.0.7,1.0.0.8,1.0.0.9",
			 "too many IPv4 addresses (at most 8)");
	expect_bad_addrs("0.0.0.0", "0.0.0.0 is not a unicast host address");
	expect_bad_addrs("127.0.0.1", "127.0.0.1 is not a unicast host address");
	expect_bad_addrs("224.0.0.1", "224.0.0.1 is not a unicast host address");
	expect_bad_addrs("255.255.255.255", "is not a unicast host address");
	expect_bad_addrs("10.0.0.1,xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
			 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
			 "bad address 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	/* the same checks for addresses that come from elsewhere */
	as.a4[0] = inet_addr("10.0.0.1");
	as.a4[1] = inet_addr("10.0.0.1");
	assert_int_equal(check_addr_list(as.a4, 2, 8, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "duplicate address 10.0.0.1");
	assert_int_equal(check_addr_list(as.a4, 9, 8, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(check_addr_list(as.a4, -1, 8, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(check_addr_list(as.a4, 1, 8, err, sizeof(err)), 0);
	assert_int_equal(check_addr_list(as.a4, 0, 8, err, sizeof(err)), 0);
}

/* IPv6 (and mixed) pod addresses: link-local fine, the rest unicast. */
static void test_addr_set_v6(void **state)
{
	struct addr_set as;
	char buf[TCSEG_ADDR_SET_STRLEN];

	(void)state;
	assert_int_equal(parse_addr_set("10.0.0.1,fd00::1,fe80::1", &as, err,
					sizeof(err)), 0);
	assert_int_equal(as.n4, 1);
	assert_int_equal(as.n6, 2);
	assert_int_equal(as.a6[0].b[0], 0xfd);
	assert_int_equal(as.a6[0].b[15], 1);
	assert_int_equal(as.a6[1].b[0], 0xfe);
	format_addr_set(&as, "unbound", buf, sizeof(buf));
	assert_string_equal(buf, "10.0.0.1,fd00::1,fe80::1");
	assert_int_equal(parse_addr_set("2001:db8::1:2", &as, err, sizeof(err)),
			 0);
	assert_int_equal(as.n4, 0);
	assert_int_equal(parse_addr_set("fd00::1,fd00::2,fd00::3,fd00::4,"
					"fd00::5,fd00::6,fd00::7,fd00::8,"
					"10.0.0.1", &as, err, sizeof(err)), 0);
	assert_int_equal(as.n6, 8);

	expect_bad_addrs("fd00::1,fd00::2,fd00::3,fd00::4,fd00::5,fd00::6,"
			 "fd00::7,fd00::8,fd00::9",
			 "too many IPv6 addresses (at most 8)");
	expect_bad_addrs("fd00::1,FD00::1", "duplicate address fd00::1");
	expect_bad_addrs("::", ":: is not a unicast host address");
	expect_bad_addrs("::1", "::1 is not a unicast host address");
	expect_bad_addrs("::10.0.0.1", "is not a unicast host address");
	expect_bad_addrs("ff02::1", "ff02::1 is not a unicast host address");
	expect_bad_addrs("::ffff:10.0.0.1", "v4-mapped");
	expect_bad_addrs("fe80::1%eth0", "zone");
	expect_bad_addrs("fd00::1/128", "a prefix length is not allowed here");
	expect_bad_addrs("fd00::1::2", "bad address 'fd00::1::2'");
	expect_bad_addrs("fd00:::1", "bad address 'fd00:::1'");
	expect_bad_addrs("fd00::g", "bad address 'fd00::g'");
	expect_bad_addrs("fd00::1 ", "bad address 'fd00::1 '");
	/* 46 characters: one more than any IPv6 text, never cut to fit */
	expect_bad_addrs("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.2559",
			 "too long");
}

static void expect_addr(const char *s, int want_fam, int want_plen,
			const char *want_str)
{
	char buf[INET6_ADDRSTRLEN + 4];
	union tcseg_addr a;
	__u8 fam, plen;

	err[0] = '\0';
	if (parse_addr(s, &a, &fam, &plen, err, sizeof(err)))
		fail_msg("'%s': %s", s, err);
	assert_int_equal(fam, want_fam);
	assert_int_equal(plen, want_plen);
	format_prefix(&a, fam, plen, buf, sizeof(buf));
	assert_string_equal(buf, want_str);
	if (fam == TCSEG_FAMILY_V4)	/* the other twelve bytes are zero */
		assert_int_equal(a.w[1] | a.w[2] | a.w[3], 0);
	assert_int_equal(tcseg_addr_parse(s, &a, &fam, &plen), 0);
}

static void expect_bad_addr(const char *s, const char *msg)
{
	union tcseg_addr a = { .w = { 7 } };
	__u8 fam = 9, plen = 9;

	err[0] = '\0';
	assert_int_equal(parse_addr(s, &a, &fam, &plen, err, sizeof(err)),
			 -EINVAL);
	if (!strstr(err, msg))
		fail_msg("'%s': error '%s', want '%s'", s, err, msg);
	assert_int_equal(tcseg_addr_parse(s, &a, &fam, &plen), -EINVAL);
	assert_int_equal(a.w[0], 7);	/* untouched */
	assert_int_equal(fam, 9);
	assert_int_equal(plen, 9);
}

/* tcseg_addr_parse()/tcseg_addr_str(): both families, hostile text. */
static void test_addr_both_families(void **state)
{
	char buf[INET6_ADDRSTRLEN];
	union tcseg_addr a;
	__u8 fam;

	(void)state;
	expect_addr("10.1.0.0/16", TCSEG_FAMILY_V4, 16, "10.1.0.0/16");
	expect_addr("10.1.2.3", TCSEG_FAMILY_V4, 32, "10.1.2.3");
	expect_addr("fd00::1", TCSEG_FAMILY_V6, 128, "fd00::1");
	expect_addr("FD00:0:0:0::1/128", TCSEG_FAMILY_V6, 128, "fd00::1");
	expect_addr("fd00:1::/32", TCSEG_FAMILY_V6, 32, "fd00:1::/32");
	expect_addr("::/0", TCSEG_FAMILY_V6, 0, "::/0");
	expect_addr("fe80::1", TCSEG_FAMILY_V6, 128, "fe80::1");
	/* a prefix wider than the v4-mapped range (it never matches it) */
	expect_addr("::/80", TCSEG_FAMILY_V6, 80, "::/80");
	expect_addr("2001:db8::1.2.3.4",
		    TCSEG_FAMILY_V6, 128, "2001:db8::102:304");

	expect_bad_addr("fd00::1/129", "must be 0-128");
	expect_bad_addr("fd00::1/0129", "must be 0-128");
	expect_bad_addr("fd00::1/", "must be 0-128");
	expect_bad_addr("fd00::1/12x", "must be 0-128");
	expect_bad_addr("fd00::1/64", "host bits set (did you mean fd00::/64?)");
	expect_bad_addr("::ffff:10.0.0.1", "v4-mapped");
	expect_bad_addr("::ffff:a00:1", "v4-mapped");
	expect_bad_addr("::ffff:0:0/96", "v4-mapped");
	expect_bad_addr("fe80::1%eth0", "zone");
	expect_bad_addr("fe80::1%eth0/64", "zone");
	expect_bad_addr("fd00::1::2", "bad address");
	expect_bad_addr(":", "bad address");
	expect_bad_addr("[fd00::1]", "bad address");
	expect_bad_addr("fd00:: 1", "bad address");
	expect_bad_addr("fd00::-1", "bad address");
	expect_bad_addr("10.0.0.1/33", "must be 0-32");
	expect_bad_addr("10.0.0.1/8", "host bits set");
	expect_bad_addr("", "bad address");

	/* no prefix where none is allowed */
	assert_int_equal(tcseg_addr_parse("fd00::/64", &a, &fam, NULL), -EINVAL);
	assert_int_equal(tcseg_addr_parse("10.0.0.0/8", &a, &fam, NULL),
			 -EINVAL);
	assert_int_equal(tcseg_addr_parse("fd00::1", &a, &fam, NULL), 0);
	assert_string_equal(tcseg_addr_str(&a, fam, buf, sizeof(buf)),
			    "fd00::1");
	assert_string_equal(tcseg_addr_str(&a, 5, buf, sizeof(buf)), "?");
	assert_int_equal(tcseg_family_bits(TCSEG_FAMILY_V6), 128);
	assert_int_equal(tcseg_family_bits(0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cidr_good),
		cmocka_unit_test(test_cidr_bad),
		cmocka_unit_test(test_cidr_long_value_cut),
		cmocka_unit_test(test_port),
		cmocka_unit_test(test_proto),
		cmocka_unit_test(test_action),
		cmocka_unit_test(test_u32),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_cidr_round_trip),
		cmocka_unit_test(test_addr_list),
		cmocka_unit_test(test_addr_set_v6),
		cmocka_unit_test(test_addr_both_families),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
