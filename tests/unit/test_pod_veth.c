// SPDX-License-Identifier: GPL-2.0
/*
 * ctl/dataplane/pod_veth.c: a pod's veth comes from its binding or the kernel's
 * tables, never from a flow event. Hostile events (another veth claiming
 * a pod's address, a flood of them, an event before anything is known)
 * are judged, and none of them re-points a pod; a binding does, and a
 * binding removed sends the pod back to "unknown".
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <arpa/inet.h>

#include "dataplane/pod_veth.h"

#define VA	7u	/* pod A's veth */
#define VC	9u	/* pod C's veth: the attacker */

static __be32 ip(const char *s)
{
	return inet_addr(s);
}

static struct pod_veth_table t;

static int setup(void **state)
{
	(void)state;
	memset(&t, 0, sizeof(t));
	return 0;
}

static void forged_event_never_repoints_kernel_known_pod(void **state)
{
	__be32 a = ip("10.200.1.1");
	int i;

	(void)state;
	assert_int_equal(pod_veth_kernel(&t, a, VA), 1);
	/* pod C sends SYNs with A's source address: event at VC */
	for (i = 0; i < 10000; i++)
		assert_int_equal(pod_veth_check(&t, a, VC), POD_VETH_MISMATCH);
	assert_int_equal(pod_veth_check(&t, a, VA), POD_VETH_MATCH);
	assert_int_equal(pod_veth_get(&t, a), VA);
	/* the kernel's tables (ARP poisoned later) cannot re-point it */
	assert_int_equal(pod_veth_kernel(&t, a, VC), 0);
	assert_int_equal(pod_veth_get(&t, a), VA);
}

static void event_for_unknown_pod_teaches_nothing(void **state)
{
	__be32 a = ip("10.200.1.1");

	(void)state;
	assert_int_equal(pod_veth_check(&t, a, VC), POD_VETH_UNKNOWN);
	assert_int_equal(pod_veth_get(&t, a), 0);
	/* still unknown: the first trusted source decides */
	assert_int_equal(pod_veth_kernel(&t, a, VA), 1);
	assert_int_equal(pod_veth_check(&t, a, VC), POD_VETH_MISMATCH);
}

static void binding_is_final_and_overrides_kernel(void **state)
{
	__be32 a = ip("10.200.1.1"), c = ip("10.200.1.2");
	struct pod_veth_bound b[] = { { VA, a }, { VC, c } };

	(void)state;
	/* ARP said A sits behind C's veth (poisoned before any binding) */
	assert_int_equal(pod_veth_kernel(&t, a, VC), 1);
	assert_int_equal(pod_veth_sync_bound(&t, b, 2), 2);
	assert_int_equal(pod_veth_get(&t, a), VA);
	assert_int_equal(pod_veth_source(&t, a), POD_VETH_BOUND);
	assert_int_equal(pod_veth_check(&t, a, VC), POD_VETH_MISMATCH);
	assert_int_equal(pod_veth_kernel(&t, a, VC), 0);
	/* the same bindings again: nothing changes */
	assert_int_equal(pod_veth_sync_bound(&t, b, 2), 0);
}

static void binding_removed_falls_back_to_unknown(void **state)
{
	__be32 a = ip("10.200.1.1");
	struct pod_veth_bound b[] = { { VA, a } };

	(void)state;
	assert_int_equal(pod_veth_sync_bound(&t, b, 1), 1);
	assert_int_equal(pod_veth_sync_bound(&t, NULL, 0), 1);
	assert_int_equal(pod_veth_get(&t, a), 0);
	assert_int_equal(pod_veth_check(&t, a, VC), POD_VETH_UNKNOWN);
	assert_int_equal(pod_veth_kernel(&t, a, VA), 1);
}

static void address_bound_twice_is_trusted_nowhere(void **state)
{
	__be32 a = ip("10.200.1.1");
	struct pod_veth_bound b[] = { { VA, a }, { VC, a } };

	(void)state;
	pod_veth_sync_bound(&t, b, 2);
	assert_int_equal(pod_veth_get(&t, a), 0);
	assert_int_equal(pod_veth_check(&t, a, VA), POD_VETH_UNKNOWN);
	/* and the kernel's tables may not pick one either */
	assert_int_equal(pod_veth_kernel(&t, a, VC), 0);
	assert_int_equal(pod_veth_get(&t, a), 0);
}

static void addrs_of_device_for_binding(void **state)
{
	__be32 out[8];
	int i;

	(void)state;
	pod_veth_kernel(&t, ip("10.200.1.1"), VA);
	pod_veth_kernel(&t, ip("10.200.1.3"), VA);
	pod_veth_kernel(&t, ip("10.200.1.2"), VC);
	assert_int_equal(pod_veth_addrs_of(&t, VA, out, 8), 2);
	assert_int_equal(out[0], ip("10.200.1.1"));
	assert_int_equal(out[1], ip("10.200.1.3"));
	assert_int_equal(pod_veth_addrs_of(&t, 0, out, 8), 0);
	for (i = 0; i < 20; i++)
		pod_veth_kernel(&t, htonl(0x0a000100 + (__u32)i + 10), VA);
	assert_int_equal(pod_veth_addrs_of(&t, VA, out, 8), 8);
}

static bool keep_first(__be32 a, void *arg)
{
	(void)arg;
	return a == ip("10.200.1.1");
}

static void prune_and_full_table(void **state)
{
	unsigned int i;

	(void)state;
	pod_veth_kernel(&t, ip("10.200.1.1"), VA);
	pod_veth_kernel(&t, ip("10.200.1.2"), VC);
	pod_veth_prune(&t, keep_first, NULL);
	assert_int_equal(t.n, 1);
	assert_int_equal(pod_veth_get(&t, ip("10.200.1.2")), 0);
	for (i = 1; i < POD_VETH_MAX; i++)
		assert_int_equal(pod_veth_kernel(&t, htonl(0x0b000000 + i), VA), 1);
	assert_int_equal(pod_veth_kernel(&t, ip("10.9.9.9"), VA), -ENOSPC);
	assert_int_equal(pod_veth_kernel(&t, 0, VA), 0);
	assert_int_equal(pod_veth_kernel(&t, ip("10.9.9.9"), 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(forged_event_never_repoints_kernel_known_pod, setup),
		cmocka_unit_test_setup(event_for_unknown_pod_teaches_nothing, setup),
		cmocka_unit_test_setup(binding_is_final_and_overrides_kernel, setup),
		cmocka_unit_test_setup(binding_removed_falls_back_to_unknown, setup),
		cmocka_unit_test_setup(address_bound_twice_is_trusted_nowhere, setup),
		cmocka_unit_test_setup(addrs_of_device_for_binding, setup),
		cmocka_unit_test_setup(prune_and_full_table, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
