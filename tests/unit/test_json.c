// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for the streaming JSON writer (ctl/lib/json.c), its bounded
 * buffer output, and the listing printer over it (ctl/lib/json_print.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/json.h"
#include "lib/json_print.h"

struct cap {
	FILE *f;
	char *buf;
	size_t len;
};

static struct jsonw *open_cap(struct cap *c, bool pretty)
{
	struct jsonw *j;

	c->buf = NULL;
	c->len = 0;
	c->f = open_memstream(&c->buf, &c->len);
	assert_non_null(c->f);
	j = jsonw_new(c->f, pretty);
	assert_non_null(j);
	return j;
}

/* Destroy the writer, close the stream, compare, free. */
static void expect_out(struct cap *c, struct jsonw **j, const char *want)
{
	jsonw_destroy(j);
	assert_null(*j);
	assert_int_equal(fclose(c->f), 0);
	if (strcmp(c->buf, want)) {
		print_error("got  >%s<\nwant >%s<\n", c->buf, want);
		fail();
	}
	free(c->buf);
}

static void write_sample(struct jsonw *j)
{
	jsonw_start_object(j);
	jsonw_string_field(j, "name", "veth0");
	jsonw_uint_field(j, "packets", 18446744073709551615ull);
	jsonw_int_field(j, "delta", INT64_MIN);
	jsonw_bool_field(j, "up", true);
	jsonw_bool_field(j, "audit", false);
	jsonw_name(j, "none");
	jsonw_null(j);
	jsonw_name(j, "list");
	jsonw_start_array(j);
	jsonw_uint(j, 1);
	jsonw_string(j, "two");
	jsonw_start_object(j);
	jsonw_end_object(j);
	jsonw_start_array(j);
	jsonw_end_array(j);
	jsonw_start_array(j);
	jsonw_int(j, -3);
	jsonw_end_array(j);
	jsonw_end_array(j);
	jsonw_name(j, "empty");
	jsonw_start_object(j);
	jsonw_end_object(j);
	jsonw_end_object(j);
}

static void test_compact(void **state)
{
	struct jsonw *j;
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
	struct jsonw *j;
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
	struct jsonw *j;
	struct cap c;

	(void)state;
	j = open_cap(&c, false);
	jsonw_start_array(j);
	jsonw_string(j, "say \"hi\"");
	jsonw_string(j, "C:\\dir\\");
	jsonw_string(j, "a\nb\tc\rd\x01\x1f\x7f" "e");
	jsonw_string(j, "");
	jsonw_string(j, NULL);
	jsonw_string(j, "/slash stays/");
	jsonw_end_array(j);
	expect_out(&c, &j,
		   "[\"say \\\"hi\\\"\",\"C:\\\\dir\\\\\","
		   "\"a\\u000ab\\u0009c\\u000dd\\u0001\\u001f\\u007fe\","
		   "\"\",null,\"/slash stays/\"]\n");
}

static void test_names_escaped(void **state)
{
	struct jsonw *j;
	struct cap c;

	(void)state;
	j = open_cap(&c, false);
	jsonw_start_object(j);
	jsonw_uint_field(j, "a\"b", 1);
	jsonw_uint_field(j, "c\\d\n", 2);
	jsonw_end_object(j);
	expect_out(&c, &j, "{\"a\\\"b\":1,\"c\\\\d\\u000a\":2}\n");
}

static void test_utf8(void **state)
{
	struct jsonw *j;
	struct cap c;

	(void)state;
	j = open_cap(&c, false);
	jsonw_start_array(j);
	jsonw_string(j, "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80");	/* é € 😀 */
	jsonw_string(j, "bad \xff end");		/* not UTF-8 */
	jsonw_string(j, "cut \xe2\x82");		/* truncated at the end */
	jsonw_string(j, "\xc0\x80");		/* overlong NUL */
	jsonw_string(j, "\xed\xa0\x80");		/* surrogate */
	jsonw_string(j, "\xf4\x90\x80\x80");	/* > U+10FFFF */
	jsonw_end_array(j);
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
	struct jsonw *j;
	struct cap c;
	int i, k, len;

	(void)state;
	for (i = 0; i < 2000; i++) {
		len = rand_r(&seed) % 40;
		for (k = 0; k < len; k++)
			in[k] = (char)(rand_r(&seed) % 127 + 1);
		in[len] = '\0';
		j = open_cap(&c, i % 2);
		jsonw_string(j, in);
		jsonw_destroy(&j);
		assert_int_equal(fclose(c.f), 0);
		assert_true(unescape(c.buf, back, sizeof(back)));
		assert_string_equal(in, back);
		free(c.buf);
	}
}

static void test_destroy_closes(void **state)
{
	struct jsonw *j;
	struct cap c;

	(void)state;
	j = open_cap(&c, false);
	jsonw_start_object(j);
	jsonw_name(j, "a");
	jsonw_start_array(j);
	jsonw_uint(j, 1);
	expect_out(&c, &j, "{\"a\":[1]}\n");

	/* a dangling name gets a null */
	j = open_cap(&c, false);
	jsonw_start_object(j);
	jsonw_name(j, "a");
	expect_out(&c, &j, "{\"a\":null}\n");

	/* nothing written: just the newline; NULL is fine */
	j = open_cap(&c, true);
	expect_out(&c, &j, "\n");
	jsonw_destroy(&j);
	jsonw_destroy(NULL);

	/* extra ends are ignored */
	j = open_cap(&c, false);
	jsonw_start_array(j);
	jsonw_end_array(j);
	jsonw_end_array(j);
	expect_out(&c, &j, "[]\n");
}

static void test_top_level_values(void **state)
{
	struct jsonw *j;
	struct cap c;

	(void)state;
	j = open_cap(&c, false);
	jsonw_start_object(j);
	jsonw_end_object(j);
	jsonw_start_object(j);
	jsonw_uint_field(j, "n", 2);
	jsonw_end_object(j);
	expect_out(&c, &j, "{}\n{\"n\":2}\n");
}

static void test_deep_nesting(void **state)
{
	struct jsonw *j;
	struct cap c;
	char want[256];
	int i, n = 0;

	(void)state;
	j = open_cap(&c, false);
	for (i = 0; i < 40; i++) {
		jsonw_start_array(j);
		jsonw_uint(j, (uint64_t)i);
		n += sprintf(want + n, "[%d,", i);
	}
	for (i = 0; i < 40; i++)
		jsonw_end_array(j);
	want[n - 1] = '\0';
	n--;
	for (i = 0; i < 40; i++)
		n += sprintf(want + n, "]");
	/* the innermost array has just its number: "[39]" */
	strcat(want, "\n");
	expect_out(&c, &j, want);
}

/* The buffer gets what a FILE gets, compact, NUL-terminated. */
static void test_buffer_same_as_file(void **state)
{
	struct jsonw *j, w;
	struct cap c;
	char buf[512];

	(void)state;
	j = open_cap(&c, false);
	write_sample(j);
	jsonw_destroy(&j);
	assert_int_equal(fclose(c.f), 0);
	jsonw_init_buf(&w, buf, sizeof(buf));
	write_sample(&w);
	assert_int_equal(jsonw_finish(&w), strlen(c.buf));
	assert_string_equal(buf, c.buf);
	free(c.buf);
}

/* Is @cut inside a \u escape or a number of @full (compact JSON)? */
static bool inside_token(const char *full, size_t cut)
{
	size_t i;

	for (i = 0; i < cut; i++) {
		if (full[i] == '\\') {
			size_t n = full[i + 1] == 'u' ? 6 : 2;

			if (cut < i + n)
				return true;
			i += n - 1;
		} else if (full[i] >= '0' && full[i] <= '9' &&
			   full[i - 1] == ':') {
			size_t n = strspn(full + i, "0123456789");

			if (cut < i + n)
				return true;
		}
	}
	return false;
}

/*
 * Too small a buffer: finish says 0, and what is there is a prefix of
 * the whole, cut between tokens (never inside a string or escape).
 */
static void test_buffer_overflow(void **state)
{
	char buf[64], full[256];
	struct jsonw w;
	size_t len, n;

	(void)state;
	jsonw_init_buf(&w, full, sizeof(full));
	jsonw_start_object(&w);
	jsonw_string_field(&w, "a", "0123456789");
	jsonw_string_field(&w, "b", "\x01\x02\x03\x04\x05\x06\x07");
	jsonw_uint_field(&w, "c", 18446744073709551615ull);
	len = jsonw_finish(&w);
	assert_true(len > 0);
	for (n = 0; n <= len + 1 && n < sizeof(buf); n++) {
		jsonw_init_buf(&w, buf, n);
		jsonw_start_object(&w);
		jsonw_string_field(&w, "a", "0123456789");
		jsonw_string_field(&w, "b", "\x01\x02\x03\x04\x05\x06\x07");
		jsonw_uint_field(&w, "c", 18446744073709551615ull);
		if (n > len) {		/* fits, with its NUL */
			assert_int_equal(jsonw_finish(&w), len);
			assert_string_equal(buf, full);
			continue;
		}
		assert_int_equal(jsonw_finish(&w), 0);
		if (!n)
			continue;
		assert_int_equal(strncmp(buf, full, strlen(buf)), 0);
		assert_false(inside_token(full, strlen(buf)));
	}
}

/* jsonw_esc: the writer's escaping, cut at a whole character. */
static void test_esc_bounded(void **state)
{
	char out[16];

	(void)state;
	assert_string_equal(jsonw_esc("a\"b\\c\n", out, sizeof(out)),
			    "a\\\"b\\\\c\\u000a");
	assert_string_equal(jsonw_esc("caf\xc3\xa9\xff", out, sizeof(out)),
			    "caf\xc3\xa9\\ufffd");
	/* 15 bytes of room: "\u0001\u0001" (12), not half of a third */
	assert_string_equal(jsonw_esc("\x01\x01\x01", out, sizeof(out)),
			    "\\u0001\\u0001");
	/* "é" is not split: 4 bytes of room hold "ab" + 2, not "abc" + 1 */
	assert_string_equal(jsonw_esc("abc\xc3\xa9", out, 5), "abc");
	assert_string_equal(jsonw_esc("", out, 1), "");
}

/* One description of a listing; its text and its JSON. */
static void describe(struct jprint *p)
{
	print_fp(p, "%-4s %s\n", "ID", "NAME");
	print_open_array(p, NULL);
	for (int i = 1; i <= 2; i++) {
		print_open_object(p, NULL);
		print_uint(p, PRINT_ANY, "id", "%-4llu ", i);
		print_string(p, PRINT_ANY, "name", "%s", i == 1 ? "a\"b" : NULL);
		print_bool(p, PRINT_JSON, "up", NULL, i == 1);
		print_string(p, PRINT_FP, NULL, " %s", i == 1 ? "up" : "down");
		print_int(p, PRINT_ANY, "delta", " %lld", -i);
		print_float(p, PRINT_FP, NULL, " %.1f\n", i / 4.0);
		print_float(p, PRINT_JSON, "ratio", NULL, i / 4.0);
		print_open_array(p, "addrs");
		print_string(p, PRINT_ANY, NULL, NULL, NULL);
		print_close_array(p);
		print_close_object(p);
	}
	print_close_array(p);
}

static char *printed(bool json, bool pretty)
{
	struct jprint p;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(jprint_open(&p, f, json, pretty), 0);
	describe(&p);
	jprint_close(&p);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void test_print_text_and_json(void **state)
{
	char *s;

	(void)state;
	s = printed(false, false);
	assert_string_equal(s, "ID   NAME\n"
			       "1    a\"b up -1 0.2\n"
			       "2     down -2 0.5\n");
	free(s);
	s = printed(true, false);
	assert_string_equal(s, "[{\"id\":1,\"name\":\"a\\\"b\",\"up\":true,"
			       "\"delta\":-1,\"ratio\":0.25,\"addrs\":[null]},"
			       "{\"id\":2,\"name\":null,\"up\":false,"
			       "\"delta\":-2,\"ratio\":0.5,\"addrs\":[null]}]\n");
	free(s);
	s = printed(true, true);
	assert_non_null(strstr(s, "[\n    {\n        \"id\": 1,\n"));
	free(s);
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
		cmocka_unit_test(test_buffer_same_as_file),
		cmocka_unit_test(test_buffer_overflow),
		cmocka_unit_test(test_esc_bounded),
		cmocka_unit_test(test_print_text_and_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
