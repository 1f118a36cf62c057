// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for the JSON reader (ctl/lib/json_read.c): what tcctl makes of
 * tcsegd's answer lines, and the hostile lines it refuses. Each line the
 * one writer (ctl/lib/json.c) produces reads back to what was written.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "lib/json.h"
#include "lib/json_read.h"

static struct jread_line l;
static char err[160];

static void read_ok(const char *s)
{
	if (jread_flat(s, &l, err, sizeof(err)))
		fail_msg("refused >%s<: %s", s, err);
}

static void read_bad(const char *s, const char *why)
{
	if (!jread_flat(s, &l, err, sizeof(err)))
		fail_msg("accepted >%s<", s);
	if (!strstr(err, why))
		fail_msg(">%s<: error '%s' does not say '%s'", s, err, why);
	assert_int_equal(l.n, 0);
}

/* Fields in order, typed; numbers as written, ts with its microseconds. */
static void test_flat_object(void **state)
{
	(void)state;
	read_ok("{\"ts\":1700000000.123456,\"type\":\"ktls\",\"tgid\":42,"
		"\"held\":true,\"encrypt\":false,\"node\":null,\"n\":-7}");
	assert_int_equal(l.n, 7);
	assert_string_equal(l.f[0].key, "ts");
	assert_string_equal(l.f[0].val, "1700000000.123456");
	assert_false(l.f[0].str);
	assert_string_equal(jread_get(&l, "type"), "ktls");
	assert_true(l.f[1].str);
	assert_string_equal(jread_get(&l, "tgid"), "42");
	assert_string_equal(jread_get(&l, "held"), "true");
	assert_string_equal(jread_get(&l, "encrypt"), "false");
	assert_string_equal(jread_get(&l, "node"), "null");
	assert_null(jread_str(&l, "node"));	/* null is not a string */
	assert_null(jread_str(&l, "tgid"));
	assert_string_equal(jread_get(&l, "n"), "-7");
	assert_null(jread_get(&l, "absent"));
	assert_string_equal(l.f[6].key, "n");
	read_ok("{}");
	assert_int_equal(l.n, 0);
	read_ok("  { \"a\" : \"b\" }  ");
	assert_string_equal(jread_get(&l, "a"), "b");
}

/* Escapes decoded; non-ASCII kept; control characters shown as '?'. */
static void test_escapes(void **state)
{
	(void)state;
	read_ok("{\"a\":\"q\\\"b\\\\s\\/\",\"u\":\"\\u00e9\\u20ac\\ud83d\\ude00\","
		"\"raw\":\"\xc3\xa9\",\"nl\":\"x\\ny\\tz\\u0001\\u007f\"}");
	assert_string_equal(jread_get(&l, "a"), "q\"b\\s/");
	assert_string_equal(jread_get(&l, "u"),
			    "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	assert_string_equal(jread_get(&l, "raw"), "\xc3\xa9");
	/* a field stays on its line: "\n" is not a line break for people */
	assert_string_equal(jread_get(&l, "nl"), "x?y?z??");
	read_ok("{\"k\\nx\":1}");
	assert_string_equal(l.f[0].key, "k?x");
}

static void test_hostile(void **state)
{
	char big[9000];

	(void)state;
	read_bad("", "not JSON");
	read_bad("{\"a\":1", "not JSON");
	read_bad("{\"a\":1}{\"b\":2}", "not JSON");	/* one object only */
	read_bad("{\"a\":1} x", "not JSON");
	read_bad("{\"a\":1,}", "not JSON");
	read_bad("{'a':1}", "not JSON");
	read_bad("{\"a\":01}", "not JSON");
	read_bad("{\"a\":\"\\x\"}", "not JSON");
	read_bad("{\"a\":\"\\ud800\"}", "not JSON");	/* lone surrogate */
	read_bad("{\"a\":\"\xff\"}", "not JSON");	/* not UTF-8 */
	read_bad("{\"a\":\"\xc0\xaf\"}", "not JSON");	/* overlong */
	read_bad("{\"a\":\"x\ty\"}", "not JSON");	/* raw control */
	read_bad("{\"a\":\"x\\u0000y\"}", "not JSON");	/* NUL would cut it */
	read_bad("{\"a\":99999999999999999999}", "not JSON");
	read_bad("{\"error\":\"a\",\"error\":\"b\"}", "not JSON"); /* dup */
	read_bad("[1,2]", "not a JSON object");
	read_bad("\"s\"", "not JSON");
	read_bad("{\"a\":{\"b\":1}}", "field 'a': nested value");
	read_bad("{\"a\":[1]}", "field 'a': nested value");
	/* the error quotes the input: without its control bytes */
	read_bad("{\"a\":1,\x1b[2J}", "not JSON");
	assert_null(strchr(err, 0x1b));
	read_bad("{\"\x1b]0;x\x07\":1,}", "not JSON");
	assert_null(strchr(err, 0x1b));
	snprintf(big, sizeof(big), "{");
	for (int i = 0; i < JREAD_FIELDS_MAX + 1; i++)
		snprintf(big + strlen(big), sizeof(big) - strlen(big),
			 "%s\"k%d\":%d", i ? "," : "", i, i);
	strcat(big, "}");
	read_bad(big, "more than 32 fields");
	/* reals are widened to text: 1e300 takes 300 digits, and more */
	snprintf(big, sizeof(big), "{");
	for (int i = 0; i < 30; i++)
		snprintf(big + strlen(big), sizeof(big) - strlen(big),
			 "%s\"k%d\":1e300", i ? "," : "", i);
	strcat(big, "}");
	read_bad(big, "fields larger than");
}

/* What the one writer writes, the one reader reads back. */
static void test_writer_round_trip(void **state)
{
	static const char *const values[] = {
		"plain", "q\"b\\s", "caf\xc3\xa9", "\xe2\x82\xac\xf0\x9f\x98\x80",
		"", "},\"x\":{",
	};
	char buf[1024], key[8];
	struct jsonw w;
	size_t i;

	(void)state;
	jsonw_init_buf(&w, buf, sizeof(buf));
	jsonw_start_object(&w);
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		snprintf(key, sizeof(key), "s%zu", i);
		jsonw_string_field(&w, key, values[i]);
	}
	jsonw_uint_field(&w, "u", UINT64_C(9223372036854775807));
	jsonw_int_field(&w, "i", INT64_MIN);
	jsonw_bool_field(&w, "b", true);
	jsonw_name(&w, "ts");
	jsonw_printf(&w, "%u.%06u", 12u, 345u);
	assert_true(jsonw_finish(&w) > 0);
	read_ok(buf);
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		snprintf(key, sizeof(key), "s%zu", i);
		assert_string_equal(jread_str(&l, key), values[i]);
	}
	assert_string_equal(jread_get(&l, "u"), "9223372036854775807");
	assert_string_equal(jread_get(&l, "i"), "-9223372036854775808");
	assert_string_equal(jread_get(&l, "b"), "true");
	assert_string_equal(jread_get(&l, "ts"), "12.000345");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flat_object),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_writer_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
