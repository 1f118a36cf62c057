// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for pods by name (docs/POLICY.md §Pods): pod names, the
 * "from pod NS/NAME" words in rules and policy files (hostile words too),
 * the registry records tcsegd and tcctl accept, and how a rule's pods
 * become addresses (ctl/policy/pod_name.c, ctl/policy/rule.c, ctl/policy/pod_reg.c).
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

#include "policy/pod_reg.h"
#include "policy/rule.h"
#include "rule_test_util.h"

static char err[TCSEG_ERRLEN];

static int parse_pods(const char *line, struct tcseg_rule *r,
		      struct rule_pod_sides *ps)
{
	char *argv[64];
	int argc = split_test_line(line, argv, 64);

	err[0] = '\0';
	return rule_parse_words_pods(argc, argv, r, ps, NULL, NULL, err,
				     sizeof(err));
}

static void expect_error(const char *line, const char *msg)
{
	struct rule_pod_sides ps;
	struct tcseg_rule r;

	assert_int_equal(parse_pods(line, &r, &ps), -EINVAL);
	if (!strstr(err, msg))
		fail_msg("'%s': error '%s' lacks '%s'", line, err, msg);
}

static void test_names(void **state)
{
	char big[400];

	(void)state;
	assert_int_equal(pod_ref_check("default/web-1", err, sizeof(err)), 0);
	assert_int_equal(pod_ref_check("kube-system/coredns.x_y", NULL, 0), 0);
	assert_int_equal(pod_ref_check("ns", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "is not NAMESPACE/NAME"));
	assert_int_equal(pod_ref_check("/x", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "namespace"));
	assert_int_equal(pod_ref_check("x/", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "name must be"));
	assert_int_equal(pod_ref_check("a/b/c", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "more than one '/'"));
	assert_int_equal(pod_ref_check("-a/b", NULL, 0), -EINVAL);
	assert_int_equal(pod_ref_check("a/.b", NULL, 0), -EINVAL);
	assert_int_equal(pod_ref_check("a/b c", NULL, 0), -EINVAL);
	assert_int_equal(pod_ref_check("a/b\"", NULL, 0), -EINVAL);
	assert_int_equal(pod_ref_check("a/b\xc3\xa9", NULL, 0), -EINVAL);
	assert_int_equal(pod_ref_check("../x", NULL, 0), -EINVAL);
	/* bounds: namespace 63, name 253 */
	memset(big, 'n', 63);
	big[63] = '/';
	memset(big + 64, 'm', 253);
	big[64 + 253] = 0;
	assert_int_equal(pod_ref_check(big, NULL, 0), 0);
	big[64 + 253] = 'm';
	big[64 + 254] = 0;
	assert_int_equal(pod_ref_check(big, NULL, 0), -EINVAL);
	memset(big, 'n', 64);
	big[64] = '/';
	strcpy(big + 65, "x");
	assert_int_equal(pod_ref_check(big, NULL, 0), -EINVAL);
	assert_int_equal(pod_ref_join("default", "a", big, sizeof(big)), 0);
	assert_string_equal(big, "default/a");
	assert_int_equal(pod_ref_join("", "a", big, sizeof(big)), -EINVAL);
	assert_int_equal(pod_ref_join("a/b", "c", big, sizeof(big)), -EINVAL);
}

static void test_rule_words(void **state)
{
	struct rule_pod_sides ps;
	struct tcseg_rule r;

	(void)state;
	assert_int_equal(parse_pods("from pod default/a to pod prod/b proto "
				    "tcp dport 80 action allow", &r, &ps), 0);
	assert_string_equal(ps.from, "default/a");
	assert_string_equal(ps.to, "prod/b");
	assert_int_equal(r.src_plen, 0);
	assert_int_equal(r.dst_plen, 0);
	assert_int_equal(r.dport, 80);
	/* one side a pod, the other an address or any */
	assert_int_equal(parse_pods("from 10.0.0.0/8 to pod a/b action deny",
				    &r, &ps), 0);
	assert_string_equal(ps.from, "");
	assert_int_equal(r.src_plen, 8);
	assert_int_equal(parse_pods("to pod a/b action deny", &r, &ps), 0);
	/* hostile words */
	expect_error("from pod", "from: pod: missing NAMESPACE/NAME");
	expect_error("from pod action allow", "'action' is not NAMESPACE/NAME");
	expect_error("from pod /x action allow", "namespace must be");
	expect_error("to pod a/b/c action allow", "more than one '/'");
	expect_error("from pod a/ action allow", "name must be");
	expect_error("from pod a/b from pod c/d action allow",
		     "duplicate word 'from'");
	expect_error("from pod a/b from 1.2.3.4 action allow",
		     "duplicate word 'from'");
	expect_error("from pod a/b to pod c/d proto tcp sport 5 dport 6 "
		     "action allow", "sport: not in a rule that names a pod");
	expect_error("from pod a/b", "missing action");
	/* the plain parser refuses pod words */
	{
		char *argv[] = { "from", "pod", "a/b", "action", "allow" };

		assert_int_equal(rule_parse_words(5, argv, &r, NULL, NULL, err,
						  sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "pod names cannot be used here"));
	}
}

static int write_file(const char *text, char *path)
{
	int fd;

	strcpy(path, "/tmp/tcseg-test-pods.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return 0;
}

static void test_file(void **state)
{
	struct rule_pod_sides *ps = NULL;
	struct rule_set s;
	char path[64];

	(void)state;
	write_file("# pods\nfrom pod a/x to pod a/y dport 80 action allow\n"
		   "from 10.0.0.1 to 10.0.0.2 action deny\n"
		   "from pod a/z to pod a/y dport 80 action allow\n"
		   "to 10.0.0.2 dport 80 action allow\n", path);
	assert_int_equal(rules_read_file_pods(path, &s, &ps, NULL, NULL, err,
					      sizeof(err)), 0);
	assert_int_equal(s.n, 4);
	assert_non_null(ps);
	assert_string_equal(ps[0].from, "a/x");
	assert_string_equal(ps[1].from, "");
	assert_string_equal(ps[2].from, "a/z");
	assert_string_equal(ps[3].to, "");
	rule_set_free(&s);
	free(ps);
	unlink(path);
	/* the same pods and words twice: the same match */
	write_file("from pod a/x to pod a/y action allow\n"
		   "from pod a/x to pod a/y action deny\n", path);
	assert_int_equal(rules_read_file_pods(path, &s, &ps, NULL, NULL, err,
					      sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, ":2: match: same match as the rule on "
			       "line 1"));
	assert_null(ps);
	unlink(path);
	write_file("\nto pod bad/ action allow\n", path);
	assert_int_equal(rules_read_file_pods(path, &s, &ps, NULL, NULL, err,
					      sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, ":2: to: pod: 'bad/': name must be"));
	/* rules_read_file() knows no pods */
	assert_int_equal(rules_read_file(path, &s, NULL, NULL, err,
					 sizeof(err)), -EINVAL);
	unlink(path);
}

static struct pod_reg reg(const char *ns, const char *name, __u32 ifindex,
			  const char *addr)
{
	struct pod_reg p = { 0 };

	snprintf(p.ns, sizeof(p.ns), "%s", ns);
	snprintf(p.name, sizeof(p.name), "%s", name);
	snprintf(p.veth, sizeof(p.veth), "veth%u", ifindex);
	p.ifindex = ifindex;
	p.def = TCSEG_ACT_DENY;
	if (addr) {
		p.n_addrs = 1;
		p.addrs[0].family = TCSEG_FAMILY_V4;
		inet_pton(AF_INET, addr, &p.addrs[0].addr.v4);
	}
	return p;
}

static void test_reg_valid(void **state)
{
	struct pod_reg p = reg("default", "a", 7, "10.0.0.1"), q;

	(void)state;
	assert_int_equal(pod_reg_valid(&p, err, sizeof(err)), 0);
	q = p;
	memset(q.name, 'x', sizeof(q.name));	/* no NUL */
	assert_int_equal(pod_reg_valid(&q, err, sizeof(err)), -EINVAL);
	q = p;
	strcpy(q.ns, "a/b");
	assert_int_equal(pod_reg_valid(&q, NULL, 0), -EINVAL);
	q = p;
	q.veth[0] = 0;
	assert_int_equal(pod_reg_valid(&q, NULL, 0), -EINVAL);
	q = p;
	memset(q.veth, 'v', sizeof(q.veth));
	assert_int_equal(pod_reg_valid(&q, NULL, 0), -EINVAL);
	q = p;
	q.ifindex = 0;
	assert_int_equal(pod_reg_valid(&q, NULL, 0), -EINVAL);
	q = p;
	q.def = 9;
	assert_int_equal(pod_reg_valid(&q, NULL, 0), -EINVAL);
	q = p;
	q.n_addrs = POD_REG_MAX_ADDRS + 1;
	assert_int_equal(pod_reg_valid(&q, NULL, 0), -EINVAL);
	q = p;
	q.addrs[0].family = 5;
	assert_int_equal(pod_reg_valid(&q, NULL, 0), -EINVAL);
	q = p;
	q.addrs[0].addr.w[2] = 1;	/* IPv4 with junk beyond its 4 bytes */
	assert_int_equal(pod_reg_valid(&q, NULL, 0), -EINVAL);
}

static struct pod_rule_ref ref(__u32 id, const char *from, const char *to,
			       __u16 dport)
{
	struct pod_rule_ref r = { 0 };

	r.tmpl.id = id;
	r.tmpl.action = TCSEG_ACT_ALLOW;
	r.tmpl.proto = IPPROTO_TCP;
	r.tmpl.dport = dport;
	snprintf(r.from, sizeof(r.from), "%s", from);
	snprintf(r.to, sizeof(r.to), "%s", to);
	return r;
}

static void test_ref_valid(void **state)
{
	struct pod_rule_ref r = ref(3, "a/x", "", 80), q;

	(void)state;
	assert_int_equal(pod_rule_ref_valid(&r, err, sizeof(err)), 0);
	q = r;
	q.from[0] = 0;
	assert_int_equal(pod_rule_ref_valid(&q, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "names no pod"));
	q = r;
	memset(q.to, 'a', sizeof(q.to));
	assert_int_equal(pod_rule_ref_valid(&q, NULL, 0), -EINVAL);
	q = r;
	strcpy(q.to, "a/b/c");
	assert_int_equal(pod_rule_ref_valid(&q, NULL, 0), -EINVAL);
	q = r;
	q.tmpl.id = 0;
	assert_int_equal(pod_rule_ref_valid(&q, NULL, 0), -EINVAL);
	q = r;
	q.tmpl.action = 77;
	assert_int_equal(pod_rule_ref_valid(&q, NULL, 0), -EINVAL);
}

static void test_resolve_and_merge(void **state)
{
	struct pod_reg regs[] = {
		reg("a", "x", 7, "10.0.0.1"), reg("a", "y", 8, "10.0.0.2"),
		reg("a", "noaddr", 9, NULL),
	};
	struct pod_rule_ref refs[] = {
		ref(5, "a/x", "a/y", 80),	/* both there */
		ref(6, "a/x", "a/gone", 80),	/* one missing: nothing */
		ref(7, "", "a/y", 443),		/* any -> y */
		ref(8, "a/noaddr", "a/y", 80),	/* no address: nothing */
		ref(9, "a/y", "a/x", 22),	/* clashes with rule 1 */
	};
	struct rule_set rs = { 0 };
	struct tcseg_rule r = { 0 }, plain = { 0 };
	__u32 clash[4];
	int n;

	(void)state;
	assert_int_equal(pod_rule_resolve(&refs[0], regs, 3, &r), 1);
	assert_int_equal(r.id, 5);
	assert_int_equal(r.family, TCSEG_FAMILY_V4);
	assert_int_equal(r.saddr.v4, htonl(0x0a000001));
	assert_int_equal(r.src_plen, 32);
	assert_int_equal(r.daddr.v4, htonl(0x0a000002));
	assert_int_equal(r.dst_plen, 32);
	assert_int_equal(r.dport, 80);
	assert_int_equal(pod_rule_resolve(&refs[1], regs, 3, &r), 0);
	assert_int_equal(pod_rule_resolve(&refs[3], regs, 3, &r), 0);
	assert_int_equal(pod_rule_resolve(&refs[2], regs, 3, &r), 1);
	assert_int_equal(r.src_plen, 0);
	/* a plain rule 1 with rule 9's resolved match, a stale rule 6 */
	plain.id = 1;
	plain.action = TCSEG_ACT_DENY;
	plain.proto = IPPROTO_TCP;
	plain.dport = 22;
	plain.family = TCSEG_FAMILY_V4;
	plain.saddr.v4 = htonl(0x0a000002);
	plain.src_plen = 32;
	plain.daddr.v4 = htonl(0x0a000001);
	plain.dst_plen = 32;
	assert_int_equal(rule_set_push(&rs, &plain), 0);
	r = plain;
	r.id = 6;
	r.dport = 9999;
	assert_int_equal(rule_set_push(&rs, &r), 0);
	n = pod_rules_merge(&rs, refs, 5, regs, 3, clash, 4);
	assert_int_equal(n, 1);
	assert_int_equal(clash[0], 9);
	/* rule 1 stays, 6 is gone (its pod left), 5 and 7 are there */
	assert_int_equal(rs.n, 3);
	assert_int_equal(rs.v[0].id, 1);
	assert_int_equal(rs.v[1].id, 5);
	assert_int_equal(rs.v[2].id, 7);
	/* x moves: same ids, new addresses; rule 9 no longer clashes */
	inet_pton(AF_INET, "10.0.0.9", &regs[0].addrs[0].addr.v4);
	n = pod_rules_merge(&rs, refs, 5, regs, 3, NULL, 0);
	assert_int_equal(n, 0);
	assert_int_equal(rs.n, 4);
	assert_int_equal(rs.v[1].id, 5);
	assert_int_equal(rs.v[1].saddr.v4, htonl(0x0a000009));
	assert_int_equal(rs.v[3].id, 9);
	assert_int_equal(rs.v[3].daddr.v4, htonl(0x0a000009));
	/* every pod gone: only the plain rule */
	n = pod_rules_merge(&rs, refs, 5, NULL, 0, NULL, 0);
	assert_int_equal(n, 0);
	assert_int_equal(rs.n, 1);
	assert_int_equal(rs.v[0].id, 1);
	assert_null(pod_reg_find(regs, 3, "a"));
	assert_null(pod_reg_find(regs, 3, "a/"));
	assert_ptr_equal(pod_reg_find(regs, 3, "a/y"), &regs[1]);
	rule_set_free(&rs);
}

/* A pod with IPv4 and IPv6, one with IPv6 only: the family they share. */
static void test_resolve_v6(void **state)
{
	struct pod_reg regs[] = {
		reg("a", "dual", 7, "10.0.0.1"), reg("a", "six", 8, NULL),
	};
	struct pod_rule_ref both = ref(5, "a/dual", "a/six", 80);
	struct pod_rule_ref to4 = ref(6, "a/six", "", 80);
	struct tcseg_rule r;
	union tcseg_addr want;

	(void)state;
	regs[0].n_addrs = 2;
	regs[0].addrs[1].family = TCSEG_FAMILY_V6;
	inet_pton(AF_INET6, "fd00::1", regs[0].addrs[1].addr.b);
	regs[1].n_addrs = 1;
	regs[1].addrs[0].family = TCSEG_FAMILY_V6;
	inet_pton(AF_INET6, "fd00::2", regs[1].addrs[0].addr.b);
	assert_int_equal(pod_rule_resolve(&both, regs, 2, &r), 1);
	assert_int_equal(r.family, TCSEG_FAMILY_V6);
	assert_int_equal(r.src_plen, 128);
	assert_int_equal(r.dst_plen, 128);
	inet_pton(AF_INET6, "fd00::1", want.b);
	assert_memory_equal(&r.saddr, &want, sizeof(want));
	assert_int_equal(rule_validate(&r, err, sizeof(err)), 0);
	/* the other side an IPv4 prefix: a pod without IPv4 matches nothing */
	to4.tmpl.family = TCSEG_FAMILY_V4;
	to4.tmpl.dst_plen = 24;
	to4.tmpl.daddr.v4 = htonl(0x0a000000);
	assert_int_equal(pod_rule_resolve(&to4, regs, 2, &r), 0);
	strcpy(to4.from, "a/dual");
	assert_int_equal(pod_rule_resolve(&to4, regs, 2, &r), 1);
	assert_int_equal(r.family, TCSEG_FAMILY_V4);
	assert_int_equal(r.saddr.v4, htonl(0x0a000001));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_rule_words),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_reg_valid),
		cmocka_unit_test(test_ref_valid),
		cmocka_unit_test(test_resolve_and_merge),
		cmocka_unit_test(test_resolve_v6),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
