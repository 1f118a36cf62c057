// SPDX-License-Identifier: GPL-2.0
/* Unit tests for the pod-node mapping (ctl/daemon/pod_map.c) and the permission
 * check of ctl/lib/conf_file.c. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <time.h>
#include <arpa/inet.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "daemon/pod_map.h"
#include "conf_test_util.h"

static __be32 ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static char path[256];
static char err[512];

static struct pod_node_table *load_str(const char *text)
{
	tu_write(path, sizeof(path), "map.conf", text);
	err[0] = '\0';
	return pod_map_load(path, 0, err, sizeof(err));
}

/* Load must fail; the error must read "PATH:<where>". */
static void expect_bad(const char *text, const char *where)
{
	struct pod_node_table *t = load_str(text);
	char want[512];

	if (t) {
		print_error("loaded, expected error '%s' for:\n%s\n", where,
			    text);
		free_pod_node_mapping(t);
		fail();
	}
	snprintf(want, sizeof(want), "%s:%s", path, where);
	assert_contains(err, want);
}

static void test_seed_two_fields(void **state)
{
	struct pod_node_table *t;

	(void)state;
	t = load_str("# 注释行\n"
		     "web-pod-1 node-1\n"
		     "\n"
		     "   api-pod-1\tnode-2   # trailing comment\n"
		     "web-pod-2 node-1\n");
	assert_non_null(t);
	assert_string_equal(get_node_by_pod(t, "web-pod-1"), "node-1");
	assert_string_equal(get_node_by_pod(t, "web-pod-2"), "node-1");
	assert_string_equal(get_node_by_pod(t, "api-pod-1"), "node-2");
	assert_null(get_node_by_pod(t, "db-pod-1"));
	assert_null(get_node_by_pod(t, "web-pod"));
	assert_null(get_node_by_pod(t, ""));
	assert_null(get_node_by_pod(NULL, "web-pod-1"));
	assert_null(get_node_by_pod(t, NULL));
	assert_int_equal(pod_map_pod_count(t), 3);
	assert_int_equal(pod_map_node_count(t), 2);
	assert_int_equal(pod_map_find_node(t, "node-1")->pods, 2);
	assert_int_equal(pod_map_node_addr(t, "node-1"), 0);
	assert_int_equal(pod_map_find_pod(t, "api-pod-1")->line, 4);
	assert_int_equal(pod_map_find_pod(t, "api-pod-1")->ip, 0);
	free_pod_node_mapping(t);
}

static void test_tlshub_three_fields(void **state)
{
	struct pod_node_table *t;

	(void)state;
	t = load_str("pod-a1 node-a 10.100.0.1\n"
		     "pod-a2 node-a 10.100.0.1\n"
		     "pod-b1 node-b 10.100.0.2\r\n");
	assert_non_null(t);
	assert_int_equal(pod_map_node_addr(t, "node-a"), ip("10.100.0.1"));
	assert_int_equal(pod_map_node_addr(t, "node-b"), ip("10.100.0.2"));
	assert_int_equal(pod_map_node_addr(t, "node-c"), 0);
	assert_string_equal(pod_map_node_by_addr(t, ip("10.100.0.2")),
			    "node-b");
	assert_null(pod_map_node_by_addr(t, ip("10.100.0.3")));
	/* The third field is the node's address, not the pod's. */
	assert_null(pod_map_pod_by_ip(t, ip("10.100.0.1")));
	assert_int_equal(pod_map_find_pod(t, "pod-b1")->ip, 0);
	assert_int_equal(pod_map_find_pod(t, "pod-b1")->node_ip,
			 ip("10.100.0.2"));
	free_pod_node_mapping(t);
}

static void test_keywords_and_node_lines(void **state)
{
	struct pod_node_table *t;
	const struct pod_map_pod *p;

	(void)state;
	t = load_str("p1 n1 pod_ip=10.200.1.1\n"
		     "p2 n1 10.100.0.1 pod_ip=10.200.1.2\n"
		     "p3 n2 pod_ip=10.200.2.1 node_ip=10.100.0.2\n"
		     "p4 n3\n"
		     "ns/web:v1 n3 node_ip=10.100.0.3\n"
		     "node n4 10.100.0.4\n"
		     "node n1 10.100.0.1\n");
	assert_non_null(t);
	assert_string_equal(pod_map_node_by_pod_ip(t, ip("10.200.1.1")), "n1");
	assert_string_equal(pod_map_node_by_pod_ip(t, ip("10.200.2.1")), "n2");
	assert_string_equal(pod_map_pod_by_ip(t, ip("10.200.1.2")), "p2");
	assert_null(pod_map_node_by_pod_ip(t, ip("10.200.9.9")));
	assert_null(pod_map_pod_by_ip(t, 0));
	/* n1's address came from p2's line, before its node line. */
	p = pod_map_find_pod(t, "p1");
	assert_non_null(p);
	assert_int_equal(p->node_ip, ip("10.100.0.1"));
	assert_int_equal(p->ip, ip("10.200.1.1"));
	assert_int_equal(pod_map_node_addr(t, "n2"), ip("10.100.0.2"));
	assert_int_equal(pod_map_node_addr(t, "n3"), ip("10.100.0.3"));
	assert_int_equal(pod_map_node_addr(t, "n4"), ip("10.100.0.4"));
	assert_int_equal(pod_map_find_node(t, "n4")->pods, 0);
	assert_string_equal(get_node_by_pod(t, "ns/web:v1"), "n3");
	assert_int_equal(pod_map_pod_count(t), 5);
	assert_int_equal(pod_map_node_count(t), 4);
	/* File order. */
	assert_string_equal(pod_map_pod_at(t, 0)->name, "p1");
	assert_string_equal(pod_map_pod_at(t, 4)->name, "ns/web:v1");
	assert_null(pod_map_pod_at(t, 5));
	assert_string_equal(pod_map_node_at(t, 3)->name, "n4");
	assert_null(pod_map_node_at(t, 4));
	free_pod_node_mapping(t);
}

static void test_name_limits(void **state)
{
	char text[1200], pod[300], node[80];
	struct pod_node_table *t;

	(void)state;
	memset(pod, 'p', 253);
	pod[253] = '\0';
	memset(node, 'n', 63);
	node[63] = '\0';
	snprintf(text, sizeof(text), "%s %s\n", pod, node);
	t = load_str(text);
	assert_non_null(t);
	assert_string_equal(get_node_by_pod(t, pod), node);
	free_pod_node_mapping(t);

	pod[253] = 'p';
	pod[254] = '\0';
	snprintf(text, sizeof(text), "%s %s\n", pod, "n");
	expect_bad(text, "1: pod_name: name 'pppp");
	assert_contains(err, "too long (254, limit 253)");
	node[63] = 'n';
	node[64] = '\0';
	snprintf(text, sizeof(text), "p %s\n", node);
	expect_bad(text, "1: node_name: name");
	assert_contains(err, "too long (64, limit 63)");
}

static const struct bad_case {
	const char *text;
	const char *where;	/* after "PATH:" */
} bad_cases[] = {
	{ "pod-a\n", "1: node_name: missing" },
	{ "a b 10.0.0.1 pod_ip=10.0.0.2 pod_ip=fd00::1 x\n",
	  "1: line: too many fields (6" },
	{ "a b 10.0.0.1 pod_ip=10.0.0.2 x\n", "1: line: field 5 'x' must be pod_ip=" },
	{ "a b pod_ip=fd00::1 pod_ip=fd00::2\n",
	  "1: pod_ip: given twice for one address family" },
	{ "a b pod_ip=fd00::1::2\n", "1: pod_ip: bad address 'fd00::1::2' (IPv6" },
	{ "a b pod_ip=fd00::g\n", "1: pod_ip: bad address 'fd00::g'" },
	{ "a b pod_ip=::\n", "1: pod_ip: bad address '::'" },
	{ "a b pod_ip=::1\n", "1: pod_ip: bad address '::1'" },
	{ "a b pod_ip=ff02::1\n", "1: pod_ip: bad address 'ff02::1'" },
	{ "a b pod_ip=fe80::1\n", "1: pod_ip: bad address 'fe80::1'" },
	{ "a b pod_ip=febf::1\n", "1: pod_ip: bad address 'febf::1'" },
	{ "a b pod_ip=::ffff:10.0.0.1\n", "1: pod_ip: bad address '::ffff:10.0.0.1'" },
	{ "a b pod_ip=fd00::1/64\n", "1: pod_ip: bad address 'fd00::1/64'" },
	{ "a b pod_ip=fd00::1%eth0\n", "1: pod_ip: bad address 'fd00::1%eth0'" },
	{ "a b fd00::1\n", "1: node_ip: bad address 'fd00::1'" },
	{ "a n pod_ip=fd00::1\nb n pod_ip=FD00:0::1\n",
	  "2: pod_ip: FD00:0::1 is already pod 'a' (line 1)" },
	{ "a b 10.0.0.1 10.0.0.2\n", "1: line: field 4 '10.0.0.2' must be pod_ip=" },
	{ "a b c\n", "1: node_ip: bad address 'c'" },
	{ "a b 10.0.0.256\n", "1: node_ip: bad address '10.0.0.256'" },
	{ "a b 10.0.0\n", "1: node_ip: bad address" },
	{ "a b 010.0.0.1\n", "1: node_ip: bad address" },
	{ "a b 0.0.0.0\n", "1: node_ip: bad address" },
	{ "a b 255.255.255.255\n", "1: node_ip: bad address" },
	{ "a b 224.0.0.1\n", "1: node_ip: bad address" },
	{ "a b 240.0.0.1\n", "1: node_ip: bad address" },
	{ "a b pod_ip=1.2.3\n", "1: pod_ip: bad address '1.2.3'" },
	{ "a b pod_ip=\n", "1: pod_ip: bad address ''" },
	{ "a b pod_ip=10.0.0.1 pod_ip=10.0.0.2\n",
	  "1: pod_ip: given twice for one address family" },
	{ "a b 10.1.0.1 node_ip=10.1.0.1\n", "1: node_ip: given twice" },
	{ "a b foo=1\n", "1: line: unknown keyword in 'foo=1'" },
	{ "# c\n\na n1\na n2\n", "4: pod_name: duplicate pod 'a' (first at line 3)" },
	{ "a n pod_ip=10.0.0.1\nb n pod_ip=10.0.0.1\n",
	  "2: pod_ip: 10.0.0.1 is already pod 'a' (line 1)" },
	{ "a n 10.0.0.1\nb n 10.0.0.2\n",
	  "2: node_ip: node 'n' address 10.0.0.2 conflicts with 10.0.0.1 given at line 1" },
	{ "node n 10.0.0.1\na n node_ip=10.0.0.2\n",
	  "2: node_ip: node 'n' address 10.0.0.2 conflicts with 10.0.0.1" },
	{ "a n1 10.0.0.1\nb n2 10.0.0.1\n",
	  "2: node_ip: address 10.0.0.1 of node 'n2' is already node 'n1' (line 1)" },
	{ "node n 10.0.0.1\nnode n 10.0.0.1\n",
	  "2: node_name: duplicate node line for 'n' (first at line 1)" },
	{ "node n\n", "1: node_ip: missing" },
	{ "node\n", "1: node_name: missing" },
	{ "node n 10.0.0.1 x\n", "1: line: too many fields (4" },
	{ "node n@ 10.0.0.1\n", "1: node_name: bad character '@'" },
	{ "node n 10.0.0.x\n", "1: node_ip: bad address" },
	{ "a;b n\n", "1: pod_name: bad character ';'" },
	{ "a n/x\n", "1: node_name: bad character '/'" },
	{ "-a n\n", "1: pod_name: name '-a' must start with a letter or digit" },
	{ "a .n\n", "1: node_name: name '.n' must start" },
	{ "a\x01 n\n", "1: line: non-printable or non-ASCII byte 0x01 at column 2" },
	{ "ok n\na\x7f n\n", "2: line: non-printable or non-ASCII byte 0x7f" },
	{ "p\xc3\xa9 n\n", "1: line: non-printable or non-ASCII byte 0xc3" },
	{ "a n\x1b[31m\n", "1: line: non-printable or non-ASCII byte 0x1b" },
	{ "a\rb n\n", "1: line: non-printable or non-ASCII byte 0x0d" },
	{ "a n pod_ip=10.0.0.1#x\n", "1: pod_ip: bad address '10.0.0.1#x'" },
};

static void test_bad_lines(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++)
		expect_bad(bad_cases[i].text, bad_cases[i].where);
}

static void test_nul_and_long_lines(void **state)
{
	static const char nul[] = "a n\nb\0x n\n";
	static char big[2000];
	struct pod_node_table *t;
	char want[400];

	(void)state;
	tu_write_len(path, sizeof(path), "nul.conf", nul, sizeof(nul) - 1,
		     0644);
	t = pod_map_load(path, 0, err, sizeof(err));
	assert_null(t);
	snprintf(want, sizeof(want), "%s:2: line: non-printable or non-ASCII byte 0x00 at column 2",
		 path);
	assert_contains(err, want);

	memset(big, 'a', 1100);
	strcpy(big + 1100, " n\n");
	expect_bad(big, "1: line: too long (1102 bytes, limit 1024)");
	/* Exactly CONF_LINE_MAX bytes (without the newline) is accepted. */
	memset(big, ' ', 1024);
	memcpy(big + 1021, "a n\n", 5);
	t = load_str(big);
	assert_non_null(t);
	assert_string_equal(get_node_by_pod(t, "a"), "n");
	free_pod_node_mapping(t);
}

/* UTF-8 in comments is allowed (the seeds' files have Chinese comments);
 * a '#' inside a word is not a comment. */
static void test_comments(void **state)
{
	struct pod_node_table *t;

	(void)state;
	t = load_str("# Pod-Node 映射\n"
		     "a n # 注释 \x01\n"
		     "#a x\n"
		     "\t# indented comment\n"
		     "b n#1\n");
	assert_null(t);
	assert_contains(err, ":5: node_name: bad character '#'");
	t = load_str("# Pod-Node 映射\n"
		     "a n # 注释 \x01\n"
		     "#a x\n"
		     "\t# indented comment\n");
	assert_non_null(t);
	assert_int_equal(pod_map_pod_count(t), 1);
	assert_null(get_node_by_pod(t, "#a"));
	free_pod_node_mapping(t);
}

static void test_empty_file(void **state)
{
	struct pod_node_table *t;

	(void)state;
	t = load_str("");
	assert_non_null(t);
	assert_int_equal(pod_map_pod_count(t), 0);
	assert_null(get_node_by_pod(t, "a"));
	assert_null(pod_map_node_by_pod_ip(t, ip("10.0.0.1")));
	free_pod_node_mapping(t);
	t = load_str("# only comments\n\n   \n");
	assert_non_null(t);
	assert_int_equal(pod_map_pod_count(t), 0);
	free_pod_node_mapping(t);
}

static void test_not_regular_files(void **state)
{
	struct pod_node_table *t;
	char p[300];

	(void)state;
	tu_setup_dir();
	snprintf(p, sizeof(p), "%s/missing.conf", tu_dir);
	errno = 0;
	t = pod_map_load(p, 0, err, sizeof(err));
	assert_null(t);
	assert_int_equal(errno, ENOENT);
	assert_contains(err, "missing.conf: cannot open: No such file");

	t = pod_map_load(tu_dir, 0, err, sizeof(err));
	assert_null(t);
	assert_contains(err, ": not a regular file");

	/* A FIFO must be refused, not block the loader. */
	snprintf(p, sizeof(p), "%s/fifo", tu_dir);
	assert_int_equal(mkfifo(p, 0644), 0);
	t = pod_map_load(p, POD_MAP_NO_PERM_CHECK, err, sizeof(err));
	assert_null(t);
	assert_contains(err, "fifo: not a regular file");
	assert_null(pod_map_load(NULL, 0, err, sizeof(err)));
}

static void test_example_file(void **state)
{
	struct pod_node_table *t;
	static const struct {
		const char *pod, *node, *pod_ip, *node_ip;
	} want[] = {
		{ "pod-a1", "node-a", "10.200.1.1", "10.100.0.1" },
		{ "pod-a2", "node-a", "10.200.1.2", "10.100.0.1" },
		{ "pod-b1", "node-b", "10.200.2.1", "10.100.0.2" },
		{ "pod-b2", "node-b", "10.200.2.2", "10.100.0.2" },
	};
	size_t i;

	(void)state;
	/* Checked out with the user's umask: the mode is not under test. */
	t = pod_map_load(TCSEG_SRC_ROOT "/config/pod_node_mapping.conf",
			 POD_MAP_NO_PERM_CHECK, err, sizeof(err));
	if (!t)
		print_error("%s\n", err);
	assert_non_null(t);
	assert_int_equal(pod_map_pod_count(t), 4);
	assert_int_equal(pod_map_node_count(t), 2);
	for (i = 0; i < 4; i++) {
		const struct pod_map_pod *p = pod_map_pod_at(t, (unsigned)i);

		assert_string_equal(p->name, want[i].pod);
		assert_string_equal(p->node, want[i].node);
		assert_int_equal(p->ip, ip(want[i].pod_ip));
		assert_int_equal(p->node_ip, ip(want[i].node_ip));
		assert_string_equal(pod_map_node_by_pod_ip(t, ip(want[i].pod_ip)),
				    want[i].node);
		assert_int_equal(pod_map_node_addr(t, want[i].node),
				 ip(want[i].node_ip));
	}
	free_pod_node_mapping(t);
}

/* --- print --- */

static void do_print(void *arg)
{
	print_pod_node_mapping(arg);
}

static void test_print_seed_format(void **state)
{
	struct pod_node_table *t;
	char *out;

	(void)state;
	t = load_str("web-pod-1 node-1\n"
		     "web-pod-2 node-1 pod_ip=10.0.0.2\n"
		     "api-pod-1 node-2 10.1.0.1\n");
	assert_non_null(t);
	out = tu_capture(1, do_print, t);
	assert_string_equal(out,
		"Pod-Node Mapping Table (3 entries):\n"
		"Pod Name                       Node Name\n"
		"------------------------------------------------------------\n"
		"web-pod-1                      node-1\n"
		"web-pod-2                      node-1\n"
		"api-pod-1                      node-2\n");
	free(out);
	free_pod_node_mapping(t);

	out = tu_capture(1, do_print, NULL);
	assert_string_equal(out,
		"Pod-Node Mapping Table (0 entries):\n"
		"Pod Name                       Node Name\n"
		"------------------------------------------------------------\n");
	free(out);
}

static void test_print_addrs(void **state)
{
	struct pod_node_table *t;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	t = load_str("p1 n1 10.1.0.1 pod_ip=10.0.0.1\np2 n2\n");
	assert_non_null(t);
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	pod_map_fprint(f, t, 1);
	fclose(f);
	assert_string_equal(buf,
		"Pod-Node Mapping Table (2 entries):\n"
		"Pod Name                       Node Name                      Pod IP          Node IP\n"
		"------------------------------------------------------------------------------------------\n"
		"p1                             n1                             10.0.0.1        10.1.0.1\n"
		"p2                             n2                             -               -\n");
	free(buf);
	free_pod_node_mapping(t);
}

/* IPv6 and dual-stack pods: looked up by either address, printed. */
static void test_ipv6_pods(void **state)
{
	struct pod_node_table *t;
	const struct pod_map_pod *p;
	struct in6_addr a6, b6;
	__be32 a4 = ip("10.0.0.1");
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	t = load_str("dual n1 10.1.0.1 pod_ip=fd00::1 pod_ip=10.0.0.1\n"
		     "six n2 node_ip=10.1.0.2 pod_ip=2001:db8::2\n"
		     "four n2 pod_ip=10.0.0.2\n");
	assert_non_null(t);
	assert_int_equal(inet_pton(AF_INET6, "fd00::1", &a6), 1);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::2", &b6), 1);
	p = pod_map_find_pod_addr(t, 6, a6.s6_addr);
	assert_non_null(p);
	assert_string_equal(p->name, "dual");
	assert_int_equal(p->ip, a4);
	assert_memory_equal(p->ip6, a6.s6_addr, 16);
	assert_ptr_equal(pod_map_find_pod_addr(t, 4, &a4), p);
	p = pod_map_find_pod_addr(t, 6, b6.s6_addr);
	assert_non_null(p);
	assert_string_equal(p->node, "n2");
	assert_int_equal(p->node_ip, ip("10.1.0.2"));
	assert_int_equal(p->ip, 0);
	assert_false(pod_map_pod_has_ip6(pod_map_find_pod(t, "four")));
	/* an IPv4 address is never found as IPv6 and back */
	assert_null(pod_map_find_pod_addr(t, 6, (__u8[16]){ 10, 0, 0, 1 }));
	assert_null(pod_map_find_pod_addr(t, 4, a6.s6_addr));
	assert_null(pod_map_find_pod_addr(t, 5, &a4));
	assert_null(pod_map_find_pod_addr(t, 6, (__u8[16]){ 0 }));
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	pod_map_fprint(f, t, 1);
	fclose(f);
	assert_contains(buf, "dual                           n1                             10.0.0.1,fd00::1 10.1.0.1\n");
	assert_contains(buf, "six                            n2                             2001:db8::2     10.1.0.2\n");
	free(buf);
	free_pod_node_mapping(t);
}

static void do_init_bad(void *arg)
{
	struct pod_node_table **out = arg;

	*out = init_pod_node_mapping(path);
}

static void test_init_prints_error(void **state)
{
	struct pod_node_table *t = (void *)1;
	char *out, want[400];

	(void)state;
	tu_write(path, sizeof(path), "map.conf", "a n\na n 10.0.0.300\n");
	out = tu_capture(2, do_init_bad, &t);
	assert_null(t);
	snprintf(want, sizeof(want), "pod mapping: %s:2: node_ip: bad address '10.0.0.300'",
		 path);
	assert_contains(out, want);
	free(out);

	tu_write(path, sizeof(path), "map.conf", "a n\n");
	out = tu_capture(2, do_init_bad, &t);
	assert_non_null(t);
	assert_string_equal(out, "");
	assert_string_equal(get_node_by_pod(t, "a"), "n");
	free_pod_node_mapping(t);
	free(out);
}

/* --- permissions (seed 000 §8.3) --- */

static void test_perm_mode(void **state)
{
	static const mode_t bad[] = { 0664, 0646, 0666, 0620, 0602, 0777 };
	static const mode_t good[] = { 0644, 0600, 0444, 0400, 0640 };
	struct pod_node_table *t;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		tu_write(path, sizeof(path), "perm.conf", "a n\n");
		assert_int_equal(chmod(path, bad[i]), 0);
		errno = 0;
		t = pod_map_load(path, 0, err, sizeof(err));
		assert_null(t);
		assert_int_equal(errno, EPERM);
		assert_contains(err, "is group/world writable (chmod go-w ");
		/* The test switch turns the check off. */
		t = pod_map_load(path, POD_MAP_NO_PERM_CHECK, err, sizeof(err));
		assert_non_null(t);
		free_pod_node_mapping(t);
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		tu_write(path, sizeof(path), "perm.conf", "a n\n");
		assert_int_equal(chmod(path, good[i]), 0);
		t = pod_map_load(path, 0, err, sizeof(err));
		if (!t)
			print_error("mode %04o: %s\n", good[i], err);
		assert_non_null(t);
		free_pod_node_mapping(t);
	}
}

static void test_perm_owner(void **state)
{
	struct pod_node_table *t;
	char link[300];

	(void)state;
	if (geteuid() != 0) {
		print_message("# owner check needs root (CI runs as root)\n");
		skip();
	}
	tu_write(path, sizeof(path), "owner.conf", "a n\n");
	assert_int_equal(chown(path, 65534, 65534), 0);
	errno = 0;
	t = pod_map_load(path, 0, err, sizeof(err));
	assert_null(t);
	assert_int_equal(errno, EPERM);
	assert_contains(err, "owner.conf: owned by uid 65534, must be owned by root (chown root ");
	/* Group root-owned but file root-owned: fine. */
	assert_int_equal(chown(path, 0, 65534), 0);
	t = pod_map_load(path, 0, err, sizeof(err));
	assert_non_null(t);
	free_pod_node_mapping(t);
	/* A symlink is followed; the target is what gets checked. */
	snprintf(link, sizeof(link), "%s/link.conf", tu_dir);
	unlink(link);
	assert_int_equal(symlink(path, link), 0);
	t = pod_map_load(link, 0, err, sizeof(err));
	assert_non_null(t);
	free_pod_node_mapping(t);
	assert_int_equal(chown(path, 65534, 0), 0);
	t = pod_map_load(link, 0, err, sizeof(err));
	assert_null(t);
	assert_contains(err, "owned by uid 65534");
}

/* --- reload --- */

static void test_reload_keeps_old(void **state)
{
	struct pod_node_table *a, *b, *bad;
	const char *node_a;

	(void)state;
	a = load_str("p1 n1 pod_ip=10.0.0.1\np2 n2\n");
	assert_non_null(a);
	node_a = get_node_by_pod(a, "p1");
	/* The same path now holds a broken file: the old table is intact. */
	bad = load_str("p1 n9\np1 n9\n");
	assert_null(bad);
	assert_contains(err, ":2: pod_name: duplicate pod 'p1'");
	assert_ptr_equal(get_node_by_pod(a, "p1"), node_a);
	assert_string_equal(node_a, "n1");
	/* A good new file: both tables live side by side. */
	b = load_str("p1 n3 pod_ip=10.0.0.2\np3 n3\n");
	assert_non_null(b);
	assert_string_equal(get_node_by_pod(b, "p1"), "n3");
	assert_string_equal(get_node_by_pod(a, "p1"), "n1");
	assert_null(get_node_by_pod(b, "p2"));
	assert_string_equal(get_node_by_pod(a, "p2"), "n2");
	assert_null(pod_map_pod_by_ip(b, ip("10.0.0.1")));
	assert_string_equal(pod_map_pod_by_ip(a, ip("10.0.0.1")), "p1");
	/* Swap and free the old one: the new one does not depend on it. */
	free_pod_node_mapping(a);
	assert_string_equal(get_node_by_pod(b, "p3"), "n3");
	assert_string_equal(pod_map_pod_by_ip(b, ip("10.0.0.2")), "p1");
	free_pod_node_mapping(b);
	free_pod_node_mapping(NULL);
}

/* --- scale --- */

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void test_100k_lines(void **state)
{
	const unsigned int n = 100000, nodes = 100;
	struct pod_node_table *t;
	char name[64], node[32], ipbuf[32];
	double t0, ms, lk;
	unsigned int i;
	FILE *f;

	(void)state;
	tu_setup_dir();
	snprintf(path, sizeof(path), "%s/big.conf", tu_dir);
	f = fopen(path, "w");
	assert_non_null(f);
	for (i = 0; i < nodes; i++)
		fprintf(f, "node node-%u 10.100.%u.%u\n", i, i / 250, i % 250 + 1);
	for (i = 0; i < n; i++)
		fprintf(f, "pod-%u node-%u pod_ip=10.%u.%u.%u\n", i, i % nodes,
			128 + (i >> 16), (i >> 8) & 0xff, i & 0xff);
	assert_int_equal(fclose(f), 0);

	t0 = now_ms();
	t = pod_map_load(path, 0, err, sizeof(err));
	ms = now_ms() - t0;
	if (!t)
		print_error("%s\n", err);
	assert_non_null(t);
	assert_int_equal(pod_map_pod_count(t), n);
	assert_int_equal(pod_map_node_count(t), nodes);

	t0 = now_ms();
	for (i = 0; i < n; i++) {
		__be32 a = htonl((10u << 24) | ((128 + (i >> 16)) << 16) |
				 (((i >> 8) & 0xff) << 8) | (i & 0xff));

		snprintf(name, sizeof(name), "pod-%u", i);
		snprintf(node, sizeof(node), "node-%u", i % nodes);
		if (strcmp(get_node_by_pod(t, name), node) ||
		    strcmp(pod_map_node_by_pod_ip(t, a), node)) {
			print_error("wrong node for %s\n", name);
			fail();
		}
	}
	lk = now_ms() - t0;
	snprintf(ipbuf, sizeof(ipbuf), "10.100.0.%u", 42 % 250 + 1);
	assert_int_equal(pod_map_node_addr(t, "node-42"), ip(ipbuf));
	assert_null(get_node_by_pod(t, "pod-100000"));
	print_message("# pod map: %u pods, %u nodes loaded in %.1f ms; %u x 2 lookups in %.1f ms\n",
		      n, nodes, ms, n, lk);
	/* Generous bound for a slow CI machine: it takes ~50 ms here. */
	assert_true(ms < 1000.0);
	free_pod_node_mapping(t);
	unlink(path);
}

static int teardown_all(void **state)
{
	(void)state;
	tu_cleanup();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed_two_fields),
		cmocka_unit_test(test_tlshub_three_fields),
		cmocka_unit_test(test_keywords_and_node_lines),
		cmocka_unit_test(test_name_limits),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_nul_and_long_lines),
		cmocka_unit_test(test_comments),
		cmocka_unit_test(test_empty_file),
		cmocka_unit_test(test_not_regular_files),
		cmocka_unit_test(test_example_file),
		cmocka_unit_test(test_print_seed_format),
		cmocka_unit_test(test_print_addrs),
		cmocka_unit_test(test_ipv6_pods),
		cmocka_unit_test(test_init_prints_error),
		cmocka_unit_test(test_perm_mode),
		cmocka_unit_test(test_perm_owner),
		cmocka_unit_test(test_reload_keeps_old),
		cmocka_unit_test(test_100k_lines),
	};

	umask(022);
	return cmocka_run_group_tests(tests, NULL, teardown_all);
}
