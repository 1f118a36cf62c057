/* SPDX-License-Identifier: GPL-2.0 */
/* Per-CPU counters: global ones, drops by reason, and per-rule hits. */
#ifndef TCSEG_BPF_STATS_H
#define TCSEG_BPF_STATS_H

#include "lib/maps.h"

static __always_inline void stat_add(__u32 idx, __u64 val)
{
	__u64 *c = bpf_map_lookup_elem(&tcseg_stats, &idx);

	/* per-CPU slot: no other CPU writes it, a plain add is enough */
	if (c)
		*c += val;
}

/* @now: the packet's coarse time (lib/clock.h), read once per packet */
static __always_inline void rule_stat_add(__u32 slot, __u32 len, __u64 now)
{
	struct tcseg_rule_counter *c;

	if (!slot)
		return;
	c = bpf_map_lookup_elem(&tcseg_rule_stats, &slot);
	if (c) {
		c->packets++;
		c->bytes += len;
		c->last_ns = now;	/* when the rule last matched */
	}
}

static __always_inline void stat_pass(__u32 len)
{
	stat_add(TCSEG_STAT_ALLOWED_PACKETS, 1);
	stat_add(TCSEG_STAT_ALLOWED_BYTES, len);
}

static __always_inline void stat_drop(__u32 reason, __u32 len)
{
	stat_add(TCSEG_STAT_DENIED_PACKETS, 1);
	stat_add(TCSEG_STAT_DENIED_BYTES, len);
	stat_add(TCSEG_STAT_DROP_BASE + reason, 1);
}

#endif
