// SPDX-License-Identifier: GPL-2.0
/*
 * The table of notices from a flow's other end (ctl/daemon/tcsegd_ends.c): a
 * hand-off releases its process only on the notice of its own connection
 * (same keys), an earlier connection's notice on the same 4-tuple never
 * counts, a notice is used once, and without one the wait times out.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "daemon/tcsegd_ends.h"

static const struct corr_key K = {
	.saddr.w = { 0x0101c80a }, .daddr.w = { 0x0102c80a }, .sport = 0x3930,
	.dport = 0x581b, .family = TCSEG_FAMILY_V4,
};
static const __u8 FP1[ENDS_FP_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8 };
static const __u8 FP2[ENDS_FP_LEN] = { 9, 9, 9, 9, 9, 9, 9, 9 };
static const __u8 NOFP[ENDS_FP_LEN];

static __u64 now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int setup(void **st)
{
	(void)st;
	ends_init();
	return 0;
}

static void test_own_notice_releases_once(void **st)
{
	int status = -1;

	(void)st;
	ends_put(&K, 2, 0, FP1, now());
	assert_int_equal(ends_wait(&K, 2, FP1, 0, now() + 1000000, NULL,
				   &status), 0);
	assert_int_equal(status, 0);
	/* used up: a second wait finds nothing */
	assert_int_equal(ends_wait(&K, 2, FP1, 0, now() + 1000000, NULL,
				   &status), -ETIMEDOUT);
}

static void test_other_connection_or_end_does_not_count(void **st)
{
	int status = -1;
	__u64 t = now();

	(void)st;
	ends_put(&K, 2, 0, FP2, t);		/* earlier connection's keys */
	ends_put(&K, 1, 0, FP1, t);		/* our own end's notice */
	assert_int_equal(ends_wait(&K, 2, FP1, 0, now() + 2000000, NULL,
				   &status), -ETIMEDOUT);
}

static void test_failure_without_keys_counts_only_if_newer(void **st)
{
	int status = 0;
	__u64 t = now();

	(void)st;
	ends_put(&K, 1, EPIPE, NOFP, t);	/* before our record: stale */
	assert_int_equal(ends_wait(&K, 1, FP1, t + 1, now() + 2000000, NULL,
				   &status), -ETIMEDOUT);
	ends_put(&K, 1, EPIPE, NOFP, now());
	assert_int_equal(ends_wait(&K, 1, FP1, t + 1, now() + 2000000, NULL,
				   &status), 0);
	assert_int_equal(status, EPIPE);
	/* a "secured" without keys never releases anyone */
	ends_put(&K, 1, 0, NOFP, now());
	assert_int_equal(ends_wait(&K, 1, FP1, t + 1, now() + 2000000, NULL,
				   &status), -ETIMEDOUT);
}

static void test_cancel_ends_the_wait(void **st)
{
	bool cancel = true;
	int status;

	(void)st;
	assert_int_equal(ends_wait(&K, 1, FP1, 0, now() + 5000000000ull,
				   &cancel, &status), -ECANCELED);
}

static void test_full_table_keeps_the_newest(void **st)
{
	struct corr_key k = K;
	int status, i;

	(void)st;
	for (i = 0; i < ENDS_MAX + 10; i++) {
		k.sport = (__be16)i;
		ends_put(&k, 2, 0, FP1, now());
	}
	k.sport = 0;	/* the oldest went */
	assert_int_equal(ends_wait(&k, 2, FP1, 0, now() + 1000000, NULL,
				   &status), -ETIMEDOUT);
	k.sport = ENDS_MAX + 9;
	assert_int_equal(ends_wait(&k, 2, FP1, 0, now() + 1000000, NULL,
				   &status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_own_notice_releases_once, setup),
		cmocka_unit_test_setup(test_other_connection_or_end_does_not_count,
				       setup),
		cmocka_unit_test_setup(test_failure_without_keys_counts_only_if_newer,
				       setup),
		cmocka_unit_test_setup(test_cancel_ends_the_wait, setup),
		cmocka_unit_test_setup(test_full_table_keeps_the_newest, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
