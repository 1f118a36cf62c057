/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading what the data path counts, for every reader (tcctl stats and
 * tcsegd's metrics endpoint): per-CPU counters summed, map fill and its
 * level. Read-only: nothing here writes a map.
 */
#ifndef TCSEG_DP_STATS_H
#define TCSEG_DP_STATS_H

#include "dataplane/loader.h"

/* tcseg_stats summed over CPUs into @out[TCSEG_STAT_MAX]; 0 or -errno. */
int dp_counters_read(const struct tcseg_maps *m, __u64 *out);

/* Entries of a map, by walking its keys (@ksize at most 64 bytes). */
__u64 dp_map_count(int fd, size_t ksize);

/* Map fill, one entry per map, in this order. */
enum dp_fill_id {
	DP_FILL_SESSIONS,
	DP_FILL_RULES,
	DP_FILL_EXACT,
	DP_FILL_CIDR,
	DP_FILL_SRC_CLASSES,
	DP_FILL_DEVS,
	DP_FILL_FRAGS,
	DP_FILL_N,
};

struct dp_fill {
	const char *name;		/* "sessions", "exact", ... */
	__u64 used;
	__u32 max;
};

/*
 * Fill the entries whose bit (1 << enum dp_fill_id) is in @mask; the
 * session count is @sessions (the caller's count: walking the session
 * map is the expensive part). The policy maps are the live set's.
 */
void dp_fill_read(const struct tcseg_maps *m, __u64 sessions,
		  struct dp_fill *f, unsigned int mask);
#define DP_FILL_ALL	((1u << DP_FILL_N) - 1)

/* "normal" (< 70 %), "warning" (70-90 %), "critical" (>= 90 %). */
const char *dp_level_name(__u64 used, __u32 max);

#endif
