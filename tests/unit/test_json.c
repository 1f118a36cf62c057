// SPDX-License-Identifier: GPL-2.0
/* Unit tests for the streaming JSON writer (ctl/lib/json.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/json.h"

struct cap {
	FILE *f;
	char *buf;
	size_t len;
};

static struct json *open_cap(struct cap *c, bool pretty)
{
	struct json *j;

	c->buf = NULL;
	c->len = 0;
	c->f = open_memstream(&c->buf, &c->len);
	assert_non_null(c->f);
	j = json_new(c->f, pretty);
	assert_non_null(j);
	return j;
}

/* Destroy the writer, close the stream, compare, free. */
static void expect_out(struct cap *c, struct json **j, const char *want)
{
	json_destroy(j);
	assert_null(*j);
	assert_int_equal(fclose(c->f), 0);
	if (strcmp(c->buf, want)) {
		print_error("got  >%s<\nwant >%s<\n", c->buf, want);
		fail();
	}
	free(c->buf);
}

static void write_sample(struct json *j)
{
	json_start_object(j);
	json_string_field(j, "name", "veth0");
	json_uint_field(j, "packets", 18446744073709551615ull);
	json_int_field(j, "delta", INT64_MIN);
	json_bool_field(j, "up", true);
	json_bool_field(j, "audit", false);
	json_name(j, "none");
	json_null(j);
	json_name(j, "list");
	json_start_array(j);
	json_uint(j, 1);
	json_string(j, "two");
	json_start_object(j);
	json_end_object(j);
	json_start_array(j);
	json_end_array(j);
	json_start_array(j);
	json_int(j, -3);
	json_end_array(j);
	json_end_array(j);
	json_name(j, "empty");
	json_start_object(j);
	json_end_object(j);
	json_end_object(j);
}

static void test_compact(void **state)
{
	struct json *j;
	struct cap c;

	(void)state;
	j = open_cap(&c, false);
	write_sample(j);
	expect_out(&c, &j,
		   "{\"name\":\"veth0\",\"packets\":18446744073709551615,"
		   "\"delta\":-9223372036854775808,\"up\":true,\"audit\":false,"
		   "\"none\":null,\"list\":[1,\"two\",{},[],[-3]],\"empty\":{}}\n");
}

static void test_pretty(void **state)
{
	struct json *j;
	struct cap c;

	(void)state;
	j = open_cap(&c, true);
	write_sample(j);
	expect_out(&c, &j,
		   "{\n"
		   "    \"name\": \"veth0\",\n"
		   "    \"packets\": 18446744073709551615,\n"
		   "    \"delta\": -9223372036854775808,\n"
		   "    \"up\": true,\n"
		   "    \"audit\": false,\n"
		   "    \"none\": null,\n"
		   "    \"list\": [\n"
		   "        1,\n"
		   "        \"two\",\n"
		   "        {},\n"
		   "        [],\n"
		   "        [\n"
		   "            -3\n"
		   "        ]\n"
		   "    ],\n"
		   "    \"empty\": {}\n"
		   "}\n");
}

static void test_escaping(void **state)
{
	struct json *j;
	struct cap c;

	(void)state;
	j = open_cap(&c, false);
	json_start_array(j);
	json_string(j, "say \"hi\"");
	json_string(j, "C:\\dir\\");
	json_string(j, "a\nb\tc\rd\x01\x1f\x7f" "e");
	json_string(j, "");
	json_string(j, NULL);
	json_string(j, "/slash stays/");
	json_end_array(j);
	expect_out(&c, &j,
		   "[\"say \\\"hi\\\"\",\"C:\\\\dir\\\\\","
		   "\"a\\u000ab\\u0009c\\u000dd\\u0001\\u001f\\u007fe\","
		   "\"\",null,\"/slash stays/\"]\n");
}

static void test_names_escaped(void **state)
{
	struct json *j;
	struct cap c;

	(void)state;
	j = open_cap(&c, false);
	json_start_object(j);
	json_uint_field(j, "a\"b", 1);
	json_uint_field(j, "c\\d\n", 2);
	json_end_object(j);
	expect_out(&c, &j, "{\"a\\\"b\":1,\"c\\\\d\\u000a\":2}\n");
}

static void test_utf8(void **state)
{
	struct json *j;
	struct cap c;

	(void)state;
	j = open_cap(&c, false);
	json_start_array(j);
	json_string(j, "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80");	/* é € 😀 */
	json_string(j, "bad \xff end");		/* not UTF-8 */
	json_string(j, "cut \xe2\x82");		/* truncated at the end */
	json_string(j, "\xc0\x80");		/* overlong NUL */
	json_string(j, "\xed\xa0\x80");		/* surrogate */
	json_string(j, "\xf4\x90\x80\x80");	/* > U+10FFFF */
	json_end_array(j);
	expect_out(&c, &j,
		   "[\"h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80\","
		   "\"bad \\ufffd end\","
		   "\"cut \\ufffd\\ufffd\","
		   "\"\\ufffd\\ufffd\","
		   "\"\\ufffd\\ufffd\\ufffd\","
		   "\"\\ufffd\\ufffd\\ufffd\\ufffd\"]\n");
}

/* Undo our escapes; returns 0 if the text is not a single JSON string. */
static int unescape(const char *s, char *out, size_t len)
{
	size_t n = 0;
	unsigned int v;

	if (*s++ != '"')
		return 0;
	while (*s && *s != '"') {
		if ((unsigned char)*s < 0x20 || n + 1 >= len)
			return 0;
		if (*s != '\\') {
			out[n++] = *s++;
			continue;
		}
		s++;
		if (*s == '"' || *s == '\\') {
			out[n++] = *s++;
		} else if (*s == 'u' && sscanf(s + 1, "%4x", &v) == 1 &&
			   v < 0x80) {
			out[n++] = (char)v;
			s += 5;
		} else {
			return 0;
		}
	}
	out[n] = '\0';
	return s[0] == '"' && s[1] == '\n' && !s[2];
}

/* Random ASCII strings come back unchanged through our escaping. */
static void test_escape_round_trip(void **state)
{
	char in[64], back[64];
	unsigned int seed = 7;
	struct json *j;
	struct cap c;
	int i, k, len;

	(void)state;
	for (i = 0; i < 2000; i++) {
		len = rand_r(&seed) % 40;
		for (k = 0; k < len; k++)
			in[k] = (char)(rand_r(&seed) % 127 + 1);
		in[len] = '\0';
		j = open_cap(&c, i % 2);
		json_string(j, in);
		json_destroy(&j);
		assert_int_equal(fclose(c.f), 0);
		assert_true(unescape(c.buf, back, sizeof(back)));
		assert_string_equal(in, back);
		free(c.buf);
	}
}

static void test_destroy_closes(void **state)
{
	struct json *j;
	struct cap c;

	(void)state;
	j = open_cap(&c, false);
	json_start_object(j);
	json_name(j, "a");
	json_start_array(j);
	json_uint(j, 1);
	expect_out(&c, &j, "{\"a\":[1]}\n");

	/* a dangling name gets a null */
	j = open_cap(&c, false);
	json_start_object(j);
	json_name(j, "a");
	expect_out(&c, &j, "{\"a\":null}\n");

	/* nothing written: just the newline; NULL is fine */
	j = open_cap(&c, true);
	expect_out(&c, &j, "\n");
	json_destroy(&j);
	json_destroy(NULL);

	/* extra ends are ignored */
	j = open_cap(&c, false);
	json_start_array(j);
	json_end_array(j);
	json_end_array(j);
	expect_out(&c, &j, "[]\n");
}

static void test_top_level_values(void **state)
{
	struct json *j;
	struct cap c;

	(void)state;
	j = open_cap(&c, false);
	json_start_object(j);
	json_end_object(j);
	json_start_object(j);
	json_uint_field(j, "n", 2);
	json_end_object(j);
	expect_out(&c, &j, "{}\n{\"n\":2}\n");
}

static void test_deep_nesting(void **state)
{
	struct json *j;
	struct cap c;
	char want[256];
	int i, n = 0;

	(void)state;
	j = open_cap(&c, false);
	for (i = 0; i < 40; i++) {
		json_start_array(j);
		json_uint(j, (uint64_t)i);
		n += sprintf(want + n, "[%d,", i);
	}
	for (i = 0; i < 40; i++)
		json_end_array(j);
	want[n - 1] = '\0';
	n--;
	for (i = 0; i < 40; i++)
		n += sprintf(want + n, "]");
	/* the innermost array has just its number: "[39]" */
	strcat(want, "\n");
	expect_out(&c, &j, want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compact),
		cmocka_unit_test(test_pretty),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_names_escaped),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_escape_round_trip),
		cmocka_unit_test(test_destroy_closes),
		cmocka_unit_test(test_top_level_values),
		cmocka_unit_test(test_deep_nesting),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
