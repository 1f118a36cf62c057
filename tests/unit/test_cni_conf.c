// SPDX-License-Identifier: GPL-2.0
/*
 * cmocka tests of tcseg-cni's input handling (ctl/cni/cni_conf.c,
 * cni_state.c): a podman prevResult (bridge, veth, eth0), hostile
 * documents (bad JSON, wrong types, missing fields, huge input,
 * ips[].interface out of range, too many addresses or interfaces),
 * CNI_ARGS, names fit for argv and file names, the pod record.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "cni/cni_conf.h"
#include "cni/cni_state.h"

#define PREV_IFS "\"interfaces\":[{\"name\":\"cni-t0\",\"mac\":\"aa:bb:cc:dd:ee:ff\"}," \
	"{\"name\":\"veth1234\",\"mac\":\"aa:bb:cc:dd:ee:f0\"}," \
	"{\"name\":\"eth0\",\"sandbox\":\"/run/netns/x\"}]"
#define PODMAN "{\"cniVersion\":\"0.4.0\",\"name\":\"tnet\",\"type\":\"tcseg-cni\"," \
	"\"default\":\"deny\",\"prevResult\":{\"cniVersion\":\"0.4.0\"," PREV_IFS "," \
	"\"ips\":[{\"version\":\"4\",\"interface\":2,\"address\":\"10.99.0.5/24\"," \
	"\"gateway\":\"10.99.0.1\"},{\"interface\":2,\"address\":\"fd00::5/64\"}]}}"

static struct cni_err e;

static int conf(const char *s, struct cni_conf *c)
{
	memset(&e, 0, sizeof(e));
	return cni_conf_parse(s, strlen(s), c, &e);
}

/* parse @s as a config, then prevResult for eth0 */
static int pod(const char *s, struct cni_pod *p)
{
	struct cni_conf c;
	int ret;

	if (conf(s, &c))
		return -100 - e.code;
	ret = cni_prev_pod(&c, "eth0", p, &e);
	cni_conf_free(&c);
	return ret;
}

static void test_podman_result(void **state)
{
	struct cni_conf c;
	struct cni_pod p;

	(void)state;
	assert_int_equal(conf(PODMAN, &c), 0);
	assert_string_equal(c.version, "0.4.0");
	assert_string_equal(c.name, "tnet");
	assert_int_equal(c.def, TCSEG_ACT_DENY);
	assert_string_equal(c.mode, "auto");
	assert_string_equal(c.state_dir, CNI_STATE_DIR);
	assert_int_equal(cni_prev_pod(&c, "eth0", &p, &e), 0);
	assert_int_equal(p.n_cand, 2);
	assert_string_equal(p.cand[0], "cni-t0");
	assert_string_equal(p.cand[1], "veth1234");
	assert_int_equal(p.n_addrs4, 1);	/* the IPv6 one is not bound */
	assert_int_equal(p.addrs4[0], inet_addr("10.99.0.5"));
	cni_conf_free(&c);
}

static void test_options(void **state)
{
	struct cni_conf c;

	(void)state;
	assert_int_equal(conf("{\"cniVersion\":\"1.0.0\",\"default\":\"allow\","
			      "\"mode\":\"tc\",\"position\":\"first\","
			      "\"tcctl\":\"/x/tcctl\",\"pin_dir\":\"/p\","
			      "\"state_dir\":\"/s\"}", &c), 0);
	assert_int_equal(c.def, TCSEG_ACT_ALLOW);
	assert_int_equal(c.pos, CNI_POS_FIRST);
	assert_string_equal(c.tcctl, "/x/tcctl");
	assert_string_equal(c.pin_dir, "/p");
	assert_string_equal(c.state_dir, "/s");
	assert_null(c.prev);
	cni_conf_free(&c);
	assert_int_equal(conf("{\"cniVersion\":\"1.0.0\"}", &c), 0);
	assert_int_equal(c.def, TCSEG_ACT_UNSET);
	cni_conf_free(&c);
}

static void test_bad_config(void **state)
{
	static const struct {
		const char *doc;
		int code;
	} bad[] = {
		{ "", CNI_E_DECODE },
		{ "{", CNI_E_DECODE },
		{ "{\"cniVersion\":\"1.0.0\"} x", CNI_E_DECODE },
		{ "[1,2]", CNI_E_DECODE },
		{ "\"str\"", CNI_E_DECODE },
		{ "{\"name\":\"n\"}", CNI_E_CONFIG },
		{ "{\"cniVersion\":1}", CNI_E_CONFIG },
		{ "{\"cniVersion\":\"0.2.0\"}", CNI_E_VERSION },
		{ "{\"cniVersion\":\"9.9.9\"}", CNI_E_VERSION },
		{ "{\"cniVersion\":\"1.0.0\",\"cniVersion\":\"1.0.0\"}", CNI_E_DECODE },
		{ "{\"cniVersion\":\"1.0.0\",\"default\":1}", CNI_E_CONFIG },
		{ "{\"cniVersion\":\"1.0.0\",\"default\":\"maybe\"}", CNI_E_CONFIG },
		{ "{\"cniVersion\":\"1.0.0\",\"default\":null}", CNI_E_CONFIG },
		{ "{\"cniVersion\":\"1.0.0\",\"mode\":\"xdp\"}", CNI_E_CONFIG },
		{ "{\"cniVersion\":\"1.0.0\",\"position\":\"middle\"}", CNI_E_CONFIG },
		{ "{\"cniVersion\":\"1.0.0\",\"tcctl\":\"tcctl\"}", CNI_E_CONFIG },
		{ "{\"cniVersion\":\"1.0.0\",\"pin_dir\":\"../p\"}", CNI_E_CONFIG },
		{ "{\"cniVersion\":\"1.0.0\",\"pin_dir\":[]}", CNI_E_CONFIG },
		{ "{\"cniVersion\":\"1.0.0\",\"name\":\"a\\u0000b\"}", CNI_E_DECODE },
		{ "{\"cniVersion\":\"1.0.0\",\"prevResult\":[]}", CNI_E_DECODE },
		{ "{\"cniVersion\":\"1.0.0\",\"prevResult\":\"x\"}", CNI_E_DECODE },
	};
	struct cni_conf c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (conf(bad[i].doc, &c) != -1 || e.code != bad[i].code)
			fail_msg("'%s': code %d, want %d", bad[i].doc, e.code,
				 bad[i].code);
		assert_non_null(e.msg[0] ? e.msg : NULL);
		assert_null(c.root);
	}
}

static void test_huge_input(void **state)
{
	size_t n = CNI_INPUT_MAX + 1, pad = n - 30;
	char *b = malloc(n);
	struct cni_conf c;

	(void)state;
	assert_non_null(b);
	/* a valid document, one byte over the bound */
	memset(b, ' ', n);
	memcpy(b, "{\"cniVersion\":\"1.0.0\"}", 22);
	assert_int_equal(cni_conf_parse(b, n, &c, &e), -1);
	assert_int_equal(e.code, CNI_E_DECODE);
	assert_int_equal(cni_conf_parse(b, pad, &c, &e), 0);
	cni_conf_free(&c);
	/* deep nesting: jansson's depth limit, not our stack */
	memset(b, '[', n);
	assert_int_equal(cni_conf_parse(b, CNI_INPUT_MAX, &c, &e), -1);
	free(b);
}

#define HEAD "{\"cniVersion\":\"1.0.0\",\"prevResult\":{"

static void test_bad_prev_result(void **state)
{
	static const char *const bad[] = {
		"{\"cniVersion\":\"1.0.0\"}",	/* not chained */
		HEAD "}}",
		HEAD "\"interfaces\":{}}}",
		HEAD "\"interfaces\":[1]}}",
		HEAD "\"interfaces\":[{}]}}",
		HEAD "\"interfaces\":[{\"name\":7}]}}",
		HEAD "\"interfaces\":[{\"name\":\"0123456789abcdefX\"}]}}",
		HEAD "\"interfaces\":[{\"name\":\"a b\"}]}}",
		HEAD "\"interfaces\":[{\"name\":\"../x\"}]}}",
		HEAD "\"interfaces\":[{\"name\":\"eth0\",\"sandbox\":1}]}}",
		/* no eth0 in a sandbox / no host side */
		HEAD "\"interfaces\":[{\"name\":\"veth1\"}]}}",
		HEAD "\"interfaces\":[{\"name\":\"eth0\",\"sandbox\":\"/n\"}]}}",
		HEAD "\"interfaces\":[{\"name\":\"eth0\"},{\"name\":\"v\"}]}}",
		HEAD PREV_IFS ",\"ips\":{}}}",
		HEAD PREV_IFS ",\"ips\":[1]}}",
		HEAD PREV_IFS ",\"ips\":[{\"interface\":2}]}}",
		HEAD PREV_IFS ",\"ips\":[{\"interface\":2,\"address\":5}]}}",
		HEAD PREV_IFS ",\"ips\":[{\"interface\":3,\"address\":\"10.0.0.1/8\"}]}}",
		HEAD PREV_IFS ",\"ips\":[{\"interface\":-1,\"address\":\"10.0.0.1/8\"}]}}",
		HEAD PREV_IFS ",\"ips\":[{\"interface\":9223372036854775807,\"address\":\"10.0.0.1/8\"}]}}",
		HEAD PREV_IFS ",\"ips\":[{\"interface\":\"2\",\"address\":\"10.0.0.1/8\"}]}}",
		HEAD PREV_IFS ",\"ips\":[{\"interface\":2.0,\"address\":\"10.0.0.1/8\"}]}}",
		HEAD PREV_IFS ",\"ips\":[{\"interface\":2,\"address\":\"10.0.0.256/8\"}]}}",
		HEAD PREV_IFS ",\"ips\":[{\"interface\":2,\"address\":\"10.0.0.1/33\"}]}}",
		HEAD PREV_IFS ",\"ips\":[{\"interface\":2,\"address\":\"host\"}]}}",
		HEAD PREV_IFS ",\"ips\":[{\"interface\":2,\"address\":\"10.0.0.1\"}]}}",
		HEAD PREV_IFS ",\"ips\":[{\"interface\":2,\"address\":\"10.0.0.1/\"}]}}",
		HEAD PREV_IFS ",\"ips\":[{\"interface\":2,\"address\":\"10.0.0.1/8x\"}]}}",
		HEAD PREV_IFS ",\"ips\":[{\"interface\":2,\"address\":\"10.0.0.1/24/1\"}]}}",
	};
	struct cni_pod p;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (pod(bad[i], &p) != -1)
			fail_msg("accepted '%s'", bad[i]);
		assert_true(e.code == CNI_E_DECODE || e.code == CNI_E_CONFIG);
	}
}

/* A JSON array of @n ips on interface 2, 10.0.0.1 .. 10.0.0.n */
static char *many_ips(int n, int dup)
{
	char *b = malloc(64 * (n + 8) + 512);
	size_t off;
	int i;

	off = sprintf(b, HEAD PREV_IFS ",\"ips\":[");
	for (i = 0; i < n; i++)
		off += sprintf(b + off, "%s{\"interface\":2,\"address\":"
			       "\"10.0.0.%d/24\"}", i ? "," : "",
			       dup ? 1 : i + 1);
	sprintf(b + off, "]}}");
	return b;
}

static void test_address_bounds(void **state)
{
	struct cni_pod p;
	char *b;

	(void)state;
	b = many_ips(TCSEG_DEV_MAX_ADDRS4, 0);
	assert_int_equal(pod(b, &p), 0);
	assert_int_equal(p.n_addrs4, TCSEG_DEV_MAX_ADDRS4);
	free(b);
	b = many_ips(TCSEG_DEV_MAX_ADDRS4 + 1, 0);
	assert_int_equal(pod(b, &p), -1);
	assert_int_equal(e.code, CNI_E_DECODE);
	free(b);
	b = many_ips(100, 1);		/* one address, repeated */
	assert_int_equal(pod(b, &p), 0);
	assert_int_equal(p.n_addrs4, 1);
	free(b);
}

static void test_interface_bounds(void **state)
{
	char b[4096];
	size_t off;
	struct cni_pod p;
	int i;

	(void)state;
	off = sprintf(b, HEAD "\"interfaces\":[{\"name\":\"eth0\",\"sandbox\":\"/n\"}");
	for (i = 0; i < CNI_MAX_CAND; i++)
		off += sprintf(b + off, ",{\"name\":\"v%d\"}", i);
	strcpy(b + off, "]}}");
	assert_int_equal(pod(b, &p), 0);
	assert_int_equal(p.n_cand, CNI_MAX_CAND);
	sprintf(b + off, ",{\"name\":\"one-more\"}]}}");
	assert_int_equal(pod(b, &p), -1);
	assert_int_equal(e.code, CNI_E_DECODE);
	/* the container's other interfaces and addresses are not the pod's */
	assert_int_equal(pod(HEAD PREV_IFS ",\"ips\":[{\"interface\":1,"
			     "\"address\":\"10.0.0.1/24\"},{\"address\":"
			     "\"10.0.0.2/24\"}]}}", &p), 0);
	assert_int_equal(p.n_addrs4, 0);
}

static void test_cni_args(void **state)
{
	struct cni_args a;

	(void)state;
	assert_int_equal(cni_args_parse("IgnoreUnknown=1;K8S_POD_NAME=web-1;"
					"K8S_POD_NAMESPACE=prod;K8S_POD_INFRA_"
					"CONTAINER_ID=x", &a, &e), 0);
	assert_string_equal(a.pod, "web-1");
	assert_string_equal(a.ns, "prod");
	assert_int_equal(cni_args_parse(NULL, &a, &e), 0);
	assert_string_equal(a.pod, "");
	assert_int_equal(cni_args_parse("", &a, &e), 0);
	assert_int_equal(cni_args_parse("K8S_POD_NAME=a;", &a, &e), 0);
	assert_string_equal(a.pod, "a");
	assert_int_equal(cni_args_parse("K8S_POD_NAME", &a, &e), -1);
	assert_int_equal(e.code, CNI_E_ENV);
	assert_int_equal(cni_args_parse("K8S_POD_NAME=", &a, &e), -1);
	assert_int_equal(cni_args_parse("K8S_POD_NAME=a b", &a, &e), -1);
	assert_int_equal(cni_args_parse("K8S_POD_NAME=a\"b", &a, &e), -1);
	assert_int_equal(cni_args_parse("K8S_POD_NAMESPACE=../x", &a, &e), -1);
	assert_int_equal(cni_args_parse(";;", &a, &e), -1);
}

static void test_long_pod_name(void **state)
{
	char b[CNI_NAME_MAX + 64];
	struct cni_args a;

	(void)state;
	strcpy(b, "K8S_POD_NAME=");
	memset(b + 13, 'a', CNI_NAME_MAX);
	b[13 + CNI_NAME_MAX] = 0;
	assert_int_equal(cni_args_parse(b, &a, &e), 0);
	assert_int_equal(strlen(a.pod), CNI_NAME_MAX);
	strcat(b, "a");
	assert_int_equal(cni_args_parse(b, &a, &e), -1);
}

static void test_names(void **state)
{
	(void)state;
	assert_true(cni_ifname_ok("veth1a2b3c4d"));
	assert_true(cni_ifname_ok("0123456789abcde"));
	assert_false(cni_ifname_ok("0123456789abcdef"));
	assert_false(cni_ifname_ok(""));
	assert_false(cni_ifname_ok(".."));
	assert_false(cni_ifname_ok("a/b"));
	assert_false(cni_ifname_ok("a b"));
	assert_false(cni_ifname_ok("a\nb"));
	assert_true(cni_id_ok("3f1c0ab9e2d4"));
	assert_false(cni_id_ok("../../etc/passwd"));
	assert_false(cni_id_ok(".hidden"));
	assert_false(cni_id_ok(""));
	assert_false(cni_id_ok("a/b"));
}

static void test_id_length(void **state)
{
	char id[CNI_ID_MAX + 2];

	(void)state;
	memset(id, 'f', CNI_ID_MAX);
	id[CNI_ID_MAX] = 0;
	assert_true(cni_id_ok(id));
	strcat(id, "f");
	assert_false(cni_id_ok(id));
}

static void test_addrs_str(void **state)
{
	__be32 a[2] = { inet_addr("10.0.0.1"), inet_addr("192.168.1.254") };
	char b[40];

	(void)state;
	assert_int_equal(cni_addrs_str(a, 2, b, sizeof(b)), 0);
	assert_string_equal(b, "10.0.0.1,192.168.1.254");
	assert_int_equal(cni_addrs_str(a, 0, b, sizeof(b)), 0);
	assert_string_equal(b, "none");
	assert_int_equal(cni_addrs_str(a, 2, b, 12), -1);
}

static void test_state_round_trip(void **state)
{
	char dir[] = "/tmp/cni-state-XXXXXX", path[256];
	struct cni_state s = { .ifindex = 42, .def = TCSEG_ACT_DENY,
			       .n_addrs4 = 1 }, r;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	strcpy(s.container_id, "abc123");
	strcpy(s.ifname, "eth0");
	strcpy(s.host_if, "veth9");
	s.addrs4[0] = inet_addr("10.0.0.9");
	assert_int_equal(cni_state_read(dir, "abc123", "eth0", &r), -ENOENT);
	assert_int_equal(cni_state_write(dir, &s), 0);
	assert_int_equal(cni_state_read(dir, "abc123", "eth0", &r), 0);
	assert_string_equal(r.host_if, "veth9");
	assert_int_equal(r.ifindex, 42);
	/* a name that would leave the dir is refused before any I/O */
	assert_int_equal(cni_state_read(dir, "../x", "eth0", &r), -EINVAL);
	strcpy(s.container_id, "..");
	assert_int_equal(cni_state_write(dir, &s), -EINVAL);
	/* damaged records: not JSON, a bad name, no ifindex */
	snprintf(path, sizeof(path), "%s/abc123-eth0.json", dir);
	f = fopen(path, "w");
	fputs("{\"host_if\":\"a/b\",\"ifindex\":3}", f);
	fclose(f);
	assert_int_equal(cni_state_read(dir, "abc123", "eth0", &r), -EINVAL);
	f = fopen(path, "w");
	fputs("{\"host_if\":\"v\"", f);
	fclose(f);
	assert_int_equal(cni_state_read(dir, "abc123", "eth0", &r), -EINVAL);
	assert_int_equal(cni_state_remove(dir, "abc123", "eth0"), 0);
	assert_int_equal(cni_state_remove(dir, "abc123", "eth0"), 0);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_podman_result),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_bad_config),
		cmocka_unit_test(test_huge_input),
		cmocka_unit_test(test_bad_prev_result),
		cmocka_unit_test(test_address_bounds),
		cmocka_unit_test(test_interface_bounds),
		cmocka_unit_test(test_cni_args),
		cmocka_unit_test(test_long_pod_name),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_id_length),
		cmocka_unit_test(test_addrs_str),
		cmocka_unit_test(test_state_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
