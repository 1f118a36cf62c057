// SPDX-License-Identifier: GPL-2.0
/*
 * cmocka tests of tcsegd's control request parser (ctl/daemon/tcsegd_proto.c):
 * every command, blanks and CRLF, partial lines, the length bound, bytes
 * that are not printable (NUL, DEL, high bytes) and bad provider usage,
 * error messages that are JSON-safe, and the canonical format round trip.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "daemon/tcsegd_proto.h"

static char err[160];

static int parse(const char *s, struct ctl_request *rq)
{
	return ctl_parse_request(s, strlen(s), rq, err, sizeof(err));
}

/* the message goes into {"error":"..."} as it is */
static void assert_json_safe(const char *e)
{
	assert_true(e[0] != '\0');
	for (; *e; e++)
		assert_true(*e >= 0x20 && *e < 0x7f && *e != '"' && *e != '\\');
}

static void test_every_command(void **state)
{
	static const struct {
		const char *line;
		enum ctl_cmd cmd;
		enum key_provider_mode mode;
	} ok[] = {
		{ "status\n", CTL_STATUS, 0 },
		{ "pods\n", CTL_PODS, 0 },
		{ "pods sync\n", CTL_PODS_SYNC, 0 },
		{ " pods \t sync\r\n", CTL_PODS_SYNC, 0 },
		{ "metrics\n", CTL_METRICS, 0 },
		{ "monitor\n", CTL_MONITOR, 0 },
		{ "provider get\n", CTL_PROVIDER_GET, 0 },
		{ "provider set tlshub\n", CTL_PROVIDER_SET, MODE_TLSHUB },
		{ "provider set openssl\n", CTL_PROVIDER_SET, MODE_OPENSSL },
		{ "provider set boringssl\n", CTL_PROVIDER_SET, MODE_BORINGSSL },
	};
	struct ctl_request rq;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(parse(ok[i].line, &rq), 1);
		assert_int_equal(rq.cmd, ok[i].cmd);
		assert_int_equal(rq.used, strlen(ok[i].line));
		if (rq.cmd == CTL_PROVIDER_SET)
			assert_int_equal(rq.mode, ok[i].mode);
	}
}

static void test_blanks_crlf_and_what_follows(void **state)
{
	struct ctl_request rq;
	const char *s = "status\r\nreboot\n";

	(void)state;
	assert_int_equal(parse(" \tprovider\t set  openssl \r\n", &rq), 1);
	assert_int_equal(rq.cmd, CTL_PROVIDER_SET);
	assert_int_equal(rq.mode, MODE_OPENSSL);
	/* one request per connection: the rest is not looked at */
	assert_int_equal(parse(s, &rq), 1);
	assert_int_equal(rq.cmd, CTL_STATUS);
	assert_int_equal(rq.used, 8);
	/* a lone CR inside the line is not text */
	assert_int_equal(parse("sta\rtus\n", &rq), -EINVAL);
}

static void test_partial_and_too_long(void **state)
{
	char big[CTL_REQ_MAX + 8];
	struct ctl_request rq;

	(void)state;
	assert_int_equal(parse("", &rq), 0);
	assert_int_equal(parse("stat", &rq), 0);
	assert_int_equal(parse("provider set open", &rq), 0);
	memset(big, 'a', sizeof(big));
	/* CTL_REQ_MAX - 1 bytes and no newline: one more may be it */
	assert_int_equal(ctl_parse_request(big, CTL_REQ_MAX - 1, &rq, err,
					   sizeof(err)), 0);
	assert_int_equal(ctl_parse_request(big, CTL_REQ_MAX, &rq, err,
					   sizeof(err)), -EMSGSIZE);
	assert_string_equal(err, "request too long");
	/* a newline past the bound does not count */
	big[CTL_REQ_MAX] = '\n';
	assert_int_equal(ctl_parse_request(big, CTL_REQ_MAX + 1, &rq, err,
					   sizeof(err)), -EMSGSIZE);
	/* the longest line that fits: blanks, then status */
	memset(big, ' ', CTL_REQ_MAX);
	memcpy(big + CTL_REQ_MAX - 7, "status\n", 7);
	assert_int_equal(ctl_parse_request(big, CTL_REQ_MAX, &rq, err,
					   sizeof(err)), 1);
	assert_int_equal(rq.cmd, CTL_STATUS);
	assert_int_equal(rq.used, CTL_REQ_MAX);
}

static void test_not_printable(void **state)
{
	static const char *const bad[] = {
		"st\0atus\n", "status\x7f\n", "status\xc3\xa9\n", "\x1b[2J\n",
		"provider set openssl\0\n",
	};
	static const size_t len[] = { 8, 8, 9, 5, 22 };
	struct ctl_request rq;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(ctl_parse_request(bad[i], len[i], &rq, err,
						   sizeof(err)), -EINVAL);
		assert_string_equal(err, "request is not printable text");
	}
	/* a NUL before any newline still waits for the newline */
	assert_int_equal(ctl_parse_request("st\0a", 4, &rq, err, sizeof(err)),
			 0);
}

static void test_refusals(void **state)
{
	static const struct {
		const char *line;
		int r;
	} bad[] = {
		{ "\n", -EINVAL }, { " \t\r\n", -EINVAL },
		{ "reboot\n", -ENOENT }, { "status now\n", -ENOENT },
		{ "STATUS\n", -ENOENT }, { "statusx\n", -ENOENT },
		{ "stat\n", -ENOENT }, { "pods pods\n", -EPROTO },
		{ "pods sync now\n", -EPROTO }, { "pods SYNC\n", -EPROTO },
		{ "pods syncx\n", -EPROTO }, { "podssync\n", -ENOENT },
		{ "pods sync ../../etc/passwd\n", -EPROTO },
		{ "monitor -j\n", -ENOENT }, { "providerget\n", -ENOENT },
		{ "provider\n", -EPROTO }, { "provider get now\n", -EPROTO },
		{ "provider set\n", -EPROTO }, { "provider put openssl\n", -EPROTO },
		{ "provider set openssl boringssl\n", -EPROTO },
		{ "provider set nonsense\n", -EPROTO },
		{ "provider set OPENSSL\n", -EPROTO },
		{ "provider set openssl2\n", -EPROTO },
		{ "provider a b c d e f g h\n", -EPROTO },
	};
	struct ctl_request rq;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(err, 'x', sizeof(err));
		assert_int_equal(parse(bad[i].line, &rq), bad[i].r);
		assert_json_safe(err);
	}
	/* a short error buffer is still a C string */
	assert_int_equal(ctl_parse_request("reboot\n", 7, &rq, err, 5),
			 -ENOENT);
	assert_string_equal(err, "unkn");
	/* and none at all is allowed */
	assert_int_equal(ctl_parse_request("reboot\n", 7, &rq, NULL, 0),
			 -ENOENT);
}

static void test_format_round_trip(void **state)
{
	struct ctl_request rq, back;
	char line[64];
	int n, cmd, mode;

	(void)state;
	for (cmd = CTL_STATUS; cmd <= CTL_PODS_SYNC; cmd++) {
		for (mode = MODE_TLSHUB; mode <= MODE_BORINGSSL; mode++) {
			memset(&rq, 0, sizeof(rq));
			rq.cmd = cmd;
			rq.mode = cmd == CTL_PROVIDER_SET ? mode : 0;
			n = ctl_format_request(&rq, line, sizeof(line) - 1);
			assert_true(n > 0);
			line[n] = '\n';
			assert_int_equal(ctl_parse_request(line, n + 1, &back,
							   err, sizeof(err)), 1);
			assert_int_equal(back.cmd, rq.cmd);
			assert_int_equal(back.mode, rq.mode);
		}
	}
	rq.cmd = 0;
	assert_int_equal(ctl_format_request(&rq, line, sizeof(line)), -EINVAL);
	rq.cmd = CTL_PROVIDER_SET;
	rq.mode = 7;
	assert_int_equal(ctl_format_request(&rq, line, sizeof(line)), -EINVAL);
	rq.mode = MODE_BORINGSSL;
	assert_int_equal(ctl_format_request(&rq, line, 10), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_command),
		cmocka_unit_test(test_blanks_crlf_and_what_follows),
		cmocka_unit_test(test_partial_and_too_long),
		cmocka_unit_test(test_not_printable),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_format_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
