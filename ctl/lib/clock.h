/* SPDX-License-Identifier: GPL-2.0 */
/* Clocks in nanoseconds, for user space (ctl/). */
#ifndef TCSEG_CLOCK_H
#define TCSEG_CLOCK_H

#include <stdio.h>
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

/* Intervals and deadlines in milliseconds (timeouts of the key providers). */
static inline long long mono_ms(void)
{
	return (long long)(mono_ns() / 1000000ull);
}

/* The clock of bpf_ktime_get_boot_ns() and of /proc/PID/stat starttime. */
static inline __u64 boot_ns(void)
{
	return clock_ns(CLOCK_BOOTTIME);
}

/*
 * A time of the data path's clocks (bpf_ktime_get_ns, _coarse_ns: the
 * monotonic clock) as wall-clock time in @buf, "2026-01-02T03:04:05Z";
 * 0 = never ("-"). Returns @buf.
 */
static inline const char *mono_wall_str(__u64 ns, char *buf, size_t len)
{
	__u64 now = mono_ns(), age = now > ns ? now - ns : 0;
	time_t wall = (time_t)((clock_ns(CLOCK_REALTIME) - age) / 1000000000ull);
	struct tm tm;

	if (!ns || !gmtime_r(&wall, &tm) ||
	    !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "-");
	return buf;
}

#endif
