// SPDX-License-Identifier: GPL-2.0
/*
 * cmocka tests of the minimum kernel check (ctl/lib/runtime.c): releases
 * below, at and above 6.1, distribution suffixes, and releases that do
 * not start with digits.digits (refused, not taken as new enough).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lib/runtime.h"

static void test_release_compare(void **state)
{
	(void)state;
	assert_int_equal(tcseg_release_at_least("6.1.0-18-amd64", 6, 1), 1);
	assert_int_equal(tcseg_release_at_least("6.18.44-fc-v1272", 6, 1), 1);
	assert_int_equal(tcseg_release_at_least("7.0", 6, 1), 1);
	assert_int_equal(tcseg_release_at_least("10.0.1", 6, 1), 1);
	assert_int_equal(tcseg_release_at_least("6.0.12", 6, 1), 0);
	assert_int_equal(tcseg_release_at_least("5.19.0", 6, 1), 0);
	assert_int_equal(tcseg_release_at_least("4.19", 6, 1), 0);
}

static void test_release_garbage(void **state)
{
	(void)state;
	assert_int_equal(tcseg_release_at_least("", 6, 1), -1);
	assert_int_equal(tcseg_release_at_least("linux-6.1", 6, 1), -1);
	assert_int_equal(tcseg_release_at_least("6", 6, 1), -1);
	assert_int_equal(tcseg_release_at_least("6.", 6, 1), -1);
	assert_int_equal(tcseg_release_at_least("6.x", 6, 1), -1);
	assert_int_equal(tcseg_release_at_least("99999999999999999999.1", 6, 1), -1);
}

static void test_this_machine(void **state)
{
	char err[256] = "", v[256];

	(void)state;
	/* the machines the tests run on are supported ones */
	assert_int_equal(tcseg_runtime_check(err, sizeof(err)), 0);
	tcseg_version_string("tcctl", v, sizeof(v));
	assert_non_null(strstr(v, "tcctl " TCSEG_VERSION " (libbpf "));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_release_compare),
		cmocka_unit_test(test_release_garbage),
		cmocka_unit_test(test_this_machine),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
