/* SPDX-License-Identifier: GPL-2.0 */
/* Clocks in nanoseconds, for user space (ctl/). */
#ifndef TCSEG_CLOCK_H
#define TCSEG_CLOCK_H

#include <time.h>
#include <linux/types.h>

static inline __u64 clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
}

/* Intervals and deadlines. */
static inline __u64 mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

/* The clock of bpf_ktime_get_boot_ns() and of /proc/PID/stat starttime. */
static inline __u64 boot_ns(void)
{
	return clock_ns(CLOCK_BOOTTIME);
}

#endif
