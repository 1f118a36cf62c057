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
	__u64 last_id;		/* session_id() >> SESSION_ID_CPU_BITS */
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

/*
 * A new session's id (its created_ns, the id a kTLS mark names,
 * docs/DATAPATH.md "Session lifetime"): the packet's coarse time with
 * this CPU's number in the low SESSION_ID_CPU_BITS bits, and above the
 * last id this CPU gave out. No two sessions share an id: one CPU never
 * repeats one, two CPUs differ in the low bits (up to 4096 CPUs), even
 * within one tick, where the coarse time alone would repeat. It still
 * reads as the creation time (to a tick, or ahead of it by 4 us a
 * session while one CPU opens more than one session per 4 us).
 */
#define SESSION_ID_CPU_BITS	12

static __always_inline __u64 session_id(struct clock_cache *cc, __u64 now)
{
	__u64 id = now >> SESSION_ID_CPU_BITS;

	if (id <= cc->last_id)
		id = cc->last_id + 1;
	cc->last_id = id;
	return id << SESSION_ID_CPU_BITS |
	       (bpf_get_smp_processor_id() & ((1u << SESSION_ID_CPU_BITS) - 1));
}

#endif
