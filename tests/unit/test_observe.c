// SPDX-License-Identifier: GPL-2.0
/*
 * The verdict record (ctl/dataplane/verdict_json.c): the one schema of tcsegd's
 * verdict log and `tcctl monitor -j`, against well-formed and hostile
 * ring buffer records and pod names; and the monitor filters
 * (ctl/dataplane/monitor_filter.c): parsing and matching.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "dataplane/verdict_json.h"
#include "dataplane/monitor_filter.h"

/* ---- a strict JSON checker for one flat object on one line */

static const char *ws(const char *s)
{
	while (*s == ' ')
		s++;
	return s;
}

static const char *jstring(const char *s)
{
	if (*s++ != '"')
		return NULL;
	for (; *s && *s != '"'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c >= 0x7f)	/* the encoder escapes these */
			return NULL;
		if (c != '\\')
			continue;
		s++;
		if (*s == 'u') {
			int i;

			for (i = 1; i <= 4; i++)
				if (!strchr("0123456789abcdefABCDEF", s[i]))
					return NULL;
			s += 4;
		} else if (!strchr("\"\\/bfnrt", *s)) {
			return NULL;
		}
	}
	return *s == '"' ? s + 1 : NULL;
}

static const char *jvalue(const char *s)
{
	if (*s == '"')
		return jstring(s);
	if (!strncmp(s, "null", 4) || !strncmp(s, "true", 4))
		return s + 4;
	if (!strncmp(s, "false", 5))
		return s + 5;
	if (*s == '-')
		s++;
	if (*s < '0' || *s > '9')
		return NULL;
	while ((*s >= '0' && *s <= '9') || *s == '.')
		s++;
	return s;
}

/* One flat object and a newline, nothing else. */
static int valid_line(const char *l, size_t len)
{
	const char *s = l;

	if (!len || strlen(l) != len || l[len - 1] != '\n' ||
	    memchr(l, '\n', len - 1))
		return 0;
	if (*s++ != '{')
		return 0;
	for (;;) {
		s = jstring(ws(s));
		if (!s || *(s = ws(s)) != ':')
			return 0;
		s = jvalue(ws(s + 1));
		if (!s)
			return 0;
		s = ws(s);
		if (*s == '}')
			break;
		if (*s++ != ',')
			return 0;
	}
	return !strcmp(s, "}\n");
}

static struct tcseg_event ev4(void)
{
	struct tcseg_event e;

	memset(&e, 0, sizeof(e));
	e.type = TCSEG_EV_AUDIT;
	e.ifindex = 7;
	e.family = TCSEG_FAMILY_V4;
	inet_pton(AF_INET, "10.200.0.1", &e.saddr.v4);
	inet_pton(AF_INET, "10.200.0.2", &e.daddr.v4);
	e.sport = htons(40000);
	e.dport = htons(53);
	e.proto = 17;
	e.dir = TCSEG_DIR_FROM_POD;
	e.action = TCSEG_ACT_DENY;
	e.reason = TCSEG_DROP_POLICY;
	e.policy_id = 6;
	e.verdict_src = TCSEG_SRC_CIDR;
	return e;
}

static void test_record_schema(void **state)
{
	struct tcseg_event e = ev4();
	struct verdict_names n = { "node-a", "pod-one", NULL };
	char buf[VERDICT_LINE_MAX];
	size_t len;

	(void)state;
	len = verdict_json(buf, sizeof(buf), &e, &n, 1700000000123456789ull);
	assert_string_equal(buf,
		"{\"ts\":1700000000.123456,\"type\":\"verdict\",\"event\":\"audit\","
		"\"node\":\"node-a\",\"dir\":\"from_pod\",\"ifindex\":7,"
		"\"family\":4,\"proto\":\"udp\",\"src\":\"10.200.0.1\","
		"\"sport\":40000,\"dst\":\"10.200.0.2\",\"dport\":53,"
		"\"src_pod\":\"pod-one\",\"dst_pod\":null,\"action\":\"deny\","
		"\"verdict_by\":\"cidr\",\"rule\":6,\"reason\":\"\"}\n");
	assert_int_equal(len, strlen(buf));
	assert_true(valid_line(buf, len));
	/* a drop names its reason */
	e.type = TCSEG_EV_DROP;
	e.reason = TCSEG_DROP_SPOOFED;
	len = verdict_json(buf, sizeof(buf), &e, &n, 1);
	assert_non_null(strstr(buf, "\"event\":\"drop\""));
	assert_non_null(strstr(buf, "\"reason\":\"spoofed\"}\n"));
}

/* IPv6 ends in RFC 5952 text; a family that is neither: "?" */
static void test_record_ipv6(void **state)
{
	struct tcseg_event e = ev4();
	struct verdict_names n = { "node-a", NULL, NULL };
	char buf[VERDICT_LINE_MAX];
	size_t len;

	(void)state;
	e.family = TCSEG_FAMILY_V6;
	e.proto = 58;
	inet_pton(AF_INET6, "fd00:0:0:0:0:0:0:1", e.saddr.b);
	inet_pton(AF_INET6, "2001:db8:0:0:1:0:0:ab", e.daddr.b);
	len = verdict_json(buf, sizeof(buf), &e, &n, 0);
	assert_true(valid_line(buf, len));
	assert_non_null(strstr(buf, "\"family\":6,"));
	assert_non_null(strstr(buf, "\"src\":\"fd00::1\",\"sport\":40000,"
			       "\"dst\":\"2001:db8::1:0:0:ab\","));
	e.family = 5;
	len = verdict_json(buf, sizeof(buf), &e, &n, 0);
	assert_true(valid_line(buf, len));
	assert_non_null(strstr(buf, "\"family\":5,"));
	assert_non_null(strstr(buf, "\"src\":\"?\","));
	assert_non_null(strstr(buf, "\"dst\":\"?\","));
}

/* Every field out of range: "unknown", never an index past a table. */
static void test_hostile_fields(void **state)
{
	struct tcseg_event e = ev4();
	struct verdict_names n = { NULL, NULL, NULL };
	char buf[VERDICT_LINE_MAX];
	size_t len;

	(void)state;
	e.type = 0xdeadbeef;
	e.dir = 0xff;
	e.action = 0xff;
	e.reason = 0xff;
	e.verdict_src = 0xff;
	e.proto = 0xfe;
	len = verdict_json(buf, sizeof(buf), &e, &n, 0);
	assert_true(valid_line(buf, len));
	assert_non_null(strstr(buf, "\"event\":\"unknown\""));
	assert_non_null(strstr(buf, "\"dir\":\"unknown\""));
	assert_non_null(strstr(buf, "\"action\":\"unknown\""));
	assert_non_null(strstr(buf, "\"verdict_by\":\"unknown\""));
	assert_non_null(strstr(buf, "\"node\":null"));
	e.type = TCSEG_EV_DROP;		/* a drop with a reason past the table */
	len = verdict_json(buf, sizeof(buf), &e, &n, 0);
	assert_true(valid_line(buf, len));
	assert_non_null(strstr(buf, "\"reason\":\"unknown\""));
}

/* Random records: always one valid line. */
static void test_random_records(void **state)
{
	struct verdict_names n = { "n", "a", "b" };
	char buf[VERDICT_LINE_MAX];
	struct tcseg_event e;
	unsigned int i, k;
	size_t len;

	(void)state;
	srand(14);
	for (i = 0; i < 20000; i++) {
		for (k = 0; k < sizeof(e); k++)
			((unsigned char *)&e)[k] = (unsigned char)rand();
		len = verdict_json(buf, sizeof(buf), &e, &n,
				   (__u64)rand() * (__u64)rand());
		if (!valid_line(buf, len))
			fail_msg("record %u: %s", i, buf);
	}
}

/* Names with quotes, backslashes, newlines, control and 8-bit bytes. */
static void test_names_escaped(void **state)
{
	static const char *const hostile[] = {
		"a\"b", "a\\b", "a\nb\r", "\x01\x1f\x7f", "\xc3\xa9\xff",
		"},\"rule\":1,{\"", "",
	};
	char buf[VERDICT_LINE_MAX], big[4096];
	struct tcseg_event e = ev4();
	struct verdict_names n;
	unsigned int i;
	size_t len;

	(void)state;
	for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		n = (struct verdict_names){ hostile[i], hostile[i], hostile[i] };
		len = verdict_json(buf, sizeof(buf), &e, &n, 0);
		if (!valid_line(buf, len))
			fail_msg("name %u: %s", i, buf);
		assert_non_null(strstr(buf, "\"rule\":6,"));
	}
	/* every byte escaped (6x), three names, still one line */
	memset(big, '\n', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	n = (struct verdict_names){ big, big, big };
	len = verdict_json(buf, sizeof(buf), &e, &n, 0);
	assert_true(valid_line(buf, len));
	assert_true(len < sizeof(buf));
}

/* ---- monitor filters */

static int parse(struct mon_filter *f, const char *words, char *err)
{
	static char copy[256];
	char *argv[32], *save = NULL, *w;
	int argc = 0;

	snprintf(copy, sizeof(copy), "%s", words);
	for (w = strtok_r(copy, " ", &save); w && argc < 32;
	     w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	return mon_filter_parse(f, argc, argv, err, 160);
}

static void test_filter_parse_errors(void **state)
{
	static const char *const bad[] = {
		"rule 0", "rule 12x", "rule -1", "rule 4294967296",
		"ip 300.1.1.1", "ip 10.0.0.0/33", "ip 10.0.0.0/", "ip ::1/129",
		"verdict deny", "pod", "port 80", "ip 10.0.0.1/8x",
	};
	struct mon_filter f;
	char err[160];
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		if (!parse(&f, bad[i], err))
			fail_msg("'%s' accepted", bad[i]);
		assert_non_null(strstr(err, "monitor: "));
	}
	assert_int_equal(parse(&f, "pod a ip 10.0.0.0/8 ip fd00::/8 verdict "
			       "audit rule 4294967295", err), 0);
	assert_int_equal(f.n_ip, 2);
	assert_int_equal(f.rule[0], 4294967295u);
}

static void test_filter_match(void **state)
{
	struct mon_record r = {
		"verdict", "audit", "10.200.0.1", "fd00::2", "pod-one", NULL,
		"6",
	};
	struct mon_record other = { "capture", NULL, NULL, NULL, NULL, NULL,
				    NULL };
	struct mon_record hello = { "hello", NULL, NULL, NULL, NULL, NULL,
				    NULL };
	struct mon_filter f;
	char err[160];

	(void)state;
	assert_int_equal(parse(&f, "", err), 0);
	assert_true(mon_filter_match(&f, &other));	/* no filter: all */
	assert_int_equal(parse(&f, "pod pod-one", err), 0);
	assert_true(mon_filter_match(&f, &r));
	assert_false(mon_filter_match(&f, &other));	/* only verdicts */
	assert_true(mon_filter_match(&f, &hello));
	assert_int_equal(parse(&f, "pod pod-two", err), 0);
	assert_false(mon_filter_match(&f, &r));
	/* one kind twice: either; two kinds: both */
	assert_int_equal(parse(&f, "pod pod-two pod pod-one rule 6", err), 0);
	assert_true(mon_filter_match(&f, &r));
	assert_int_equal(parse(&f, "pod pod-one rule 7", err), 0);
	assert_false(mon_filter_match(&f, &r));
	assert_int_equal(parse(&f, "rule 60", err), 0);
	assert_false(mon_filter_match(&f, &r));
	/* prefixes of either end, by family */
	assert_int_equal(parse(&f, "ip 10.200.0.0/24", err), 0);
	assert_true(mon_filter_match(&f, &r));
	assert_int_equal(parse(&f, "ip 10.200.1.0/24", err), 0);
	assert_false(mon_filter_match(&f, &r));
	assert_int_equal(parse(&f, "ip fd00::/120", err), 0);
	assert_true(mon_filter_match(&f, &r));
	assert_int_equal(parse(&f, "ip fd00::1", err), 0);
	assert_false(mon_filter_match(&f, &r));
	assert_int_equal(parse(&f, "ip 10.200.0.1/31", err), 0);
	assert_true(mon_filter_match(&f, &r));
	assert_int_equal(parse(&f, "ip 0.0.0.0/0", err), 0);
	assert_true(mon_filter_match(&f, &r));	/* any IPv4 end */
	assert_int_equal(parse(&f, "verdict drop", err), 0);
	assert_false(mon_filter_match(&f, &r));
	assert_int_equal(parse(&f, "verdict drop verdict audit", err), 0);
	assert_true(mon_filter_match(&f, &r));
	/* a record with a hostile rule field */
	r.rule = "6x";
	assert_int_equal(parse(&f, "rule 6", err), 0);
	assert_false(mon_filter_match(&f, &r));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_schema),
		cmocka_unit_test(test_record_ipv6),
		cmocka_unit_test(test_hostile_fields),
		cmocka_unit_test(test_random_records),
		cmocka_unit_test(test_names_escaped),
		cmocka_unit_test(test_filter_parse_errors),
		cmocka_unit_test(test_filter_match),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
