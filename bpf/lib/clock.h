/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The packet's time: bpf_ktime_get_coarse_ns(), read at most once per
 * jiffy on each CPU. bpf_jiffies64() is a plain load (the verifier
 * inlines it), the coarse clock a chain of kernel calls (~15 ns here,
 * docs/BENCHMARKS.md "Session hit without the clock call"). Both move at
 * the tick, so the value a CPU kept for the current jiffy is the coarse
 * clock as it was at most a tick ago: tick resolution, as before.
 */
#ifndef TCSEG_BPF_CLOCK_H
#define TCSEG_BPF_CLOCK_H

#include "lib/common.h"

/* One per CPU (the data path's scratch entry): never shared. */
struct clock_cache {
	__u64 jiffies;		/* the jiffy ns was read in (0: never) */
	__u64 ns;		/* bpf_ktime_get_coarse_ns() then */
};

static __always_inline __u64 clock_now(struct clock_cache *cc)
{
	__u64 j = bpf_jiffies64();

	if (cc->jiffies != j) {
		cc->ns = bpf_ktime_get_coarse_ns();
		cc->jiffies = j;
	}
	return cc->ns;
}

#endif
