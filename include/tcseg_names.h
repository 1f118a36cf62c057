/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Names of the data path's enums as user space prints them (tcctl stats,
 * tcsegd monitor and metrics). One table each; BPF never includes this.
 */
#ifndef TCSEG_NAMES_H
#define TCSEG_NAMES_H

#include "tcseg.h"

/* Counters of tcseg_stats below the drops (tcctl stats, metrics). */
static const char *const tcseg_stat_names[TCSEG_STAT_DROP_BASE] = {
	[TCSEG_STAT_TOTAL_PACKETS] = "total_packets",
	[TCSEG_STAT_ALLOWED_PACKETS] = "allowed_packets",
	[TCSEG_STAT_DENIED_PACKETS] = "denied_packets",
	[TCSEG_STAT_TOTAL_BYTES] = "total_bytes",
	[TCSEG_STAT_ALLOWED_BYTES] = "allowed_bytes",
	[TCSEG_STAT_DENIED_BYTES] = "denied_bytes",
	[TCSEG_STAT_NEW_SESSIONS] = "new_sessions",
	[TCSEG_STAT_POLICY_LOOKUPS] = "policy_lookups",
	[TCSEG_STAT_SESSION_HITS] = "session_hits",
	[TCSEG_STAT_MAP_FULL_DROPS] = "map_full_drops",
	[TCSEG_STAT_LRU_EVICTIONS] = "lru_evictions",
	[TCSEG_STAT_TCP_SYN_FLOODS] = "tcp_syn_floods",
	[TCSEG_STAT_INVALID_STATE_TRANS] = "invalid_state_trans",
	[TCSEG_STAT_AUDIT_PASSES] = "audit_passes",
	[TCSEG_STAT_UNTRACKED_PASSES] = "untracked_passes",
	[TCSEG_STAT_NON_IPV4] = "non_ipv4",
	[TCSEG_STAT_SESSIONS_CLOSED] = "sessions_closed",
	[TCSEG_STAT_REEVALUATIONS] = "reevaluations",
	[TCSEG_STAT_EVENTS_SENT] = "events_sent",
	[TCSEG_STAT_EVENTS_DROPPED] = "events_dropped",
	[TCSEG_STAT_FRAGMENTS] = "fragments",
	[TCSEG_STAT_ICMP_RELATED] = "icmp_related",
	[TCSEG_STAT_ICMP_UNRELATED] = "icmp_unrelated",
	[TCSEG_STAT_SESSIONS_EXPIRED] = "sessions_expired",
};

static const char *const tcseg_drop_names[TCSEG_DROP_MAX] = {
	[TCSEG_DROP_POLICY] = "policy",
	[TCSEG_DROP_POD_DEFAULT] = "pod_default",
	[TCSEG_DROP_GLOBAL_DEFAULT] = "global_default",
	[TCSEG_DROP_MALFORMED] = "malformed",
	[TCSEG_DROP_SYN_FLOOD] = "syn_flood",
	[TCSEG_DROP_MAP_FULL] = "map_full",
	[TCSEG_DROP_INVALID_STATE] = "invalid_state",
	[TCSEG_DROP_FRAGMENT] = "fragment",
	[TCSEG_DROP_NON_IPV4] = "non_ipv4",
	[TCSEG_DROP_UNSECURED] = "unsecured",
	[TCSEG_DROP_SPOOFED] = "spoofed",
	[TCSEG_DROP_QUOTA] = "quota",
	[TCSEG_DROP_RST_WINDOW] = "rst_window",
	[TCSEG_DROP_IPV6_EXT] = "ipv6_ext",
	[TCSEG_DROP_V4MAPPED] = "v4mapped",
	[TCSEG_DROP_ND_ROUTER] = "nd_router",
};

static inline const char *tcseg_drop_name(unsigned int r)
{
	return r < TCSEG_DROP_MAX && tcseg_drop_names[r] ? tcseg_drop_names[r] :
							    "unknown";
}

#endif /* TCSEG_NAMES_H */
