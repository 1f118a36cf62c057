/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every map of the data plane. All are pinned by name under the pin
 * directory (libbpf pin_root_path), so tcctl and tcsegd share them and
 * they outlive the process that loaded them. max_entries here are the
 * defaults; the loader resizes them before load.
 */
#ifndef TCSEG_BPF_MAPS_H
#define TCSEG_BPF_MAPS_H

#include "lib/common.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tcseg_config);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tcseg_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TCSEG_DEF_DEVS);
	__type(key, __u32);
	__type(value, struct tcseg_dev);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tcseg_devs SEC(".maps");

/*
 * The compiled policy, twice: set 0 (tcseg_exact, tcseg_src_class,
 * tcseg_cidr) and set 1 (the same names with 1). tcseg_config.policy_set
 * names the live set; tcctl fills the other one and flips the word, so a
 * packet meets the whole old rule set or the whole new one, never a mix
 * (docs/DATAPATH.md "Atomic policy replace").
 */
#define TCSEG_EXACT_MAP(name)						\
	struct {							\
		__uint(type, BPF_MAP_TYPE_HASH);			\
		__uint(max_entries, TCSEG_DEF_EXACT_RULES);		\
		__type(key, struct tcseg_exact_key);			\
		__type(value, struct tcseg_verdict);			\
		__uint(pinning, LIBBPF_PIN_BY_NAME);			\
	} name SEC(".maps")

#define TCSEG_SRC_CLASS_MAP(name)					\
	struct {							\
		__uint(type, BPF_MAP_TYPE_LPM_TRIE);			\
		__uint(max_entries, TCSEG_DEF_SRC_CLASSES);		\
		__uint(map_flags, BPF_F_NO_PREALLOC);			\
		__type(key, struct tcseg_src_key);			\
		__type(value, struct tcseg_src_class);			\
		__uint(pinning, LIBBPF_PIN_BY_NAME);			\
	} name SEC(".maps")

#define TCSEG_CIDR_MAP(name)						\
	struct {							\
		__uint(type, BPF_MAP_TYPE_LPM_TRIE);			\
		__uint(max_entries, TCSEG_DEF_CIDR_ENTRIES);		\
		__uint(map_flags, BPF_F_NO_PREALLOC);			\
		__type(key, struct tcseg_cidr_key);			\
		__type(value, struct tcseg_verdict);			\
		__uint(pinning, LIBBPF_PIN_BY_NAME);			\
	} name SEC(".maps")

TCSEG_EXACT_MAP(tcseg_exact);
TCSEG_SRC_CLASS_MAP(tcseg_src_class);
TCSEG_CIDR_MAP(tcseg_cidr);
TCSEG_EXACT_MAP(tcseg_exact1);
TCSEG_SRC_CLASS_MAP(tcseg_src_class1);
TCSEG_CIDR_MAP(tcseg_cidr1);

/* The rules as written; only tcctl reads it (list, compile). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TCSEG_DEF_EXACT_RULES + TCSEG_DEF_CIDR_RULES);
	__type(key, __u32);
	__type(value, struct tcseg_rule);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tcseg_rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TCSEG_DEF_EXACT_RULES + TCSEG_DEF_CIDR_RULES + 1);
	__type(key, __u32);
	__type(value, struct tcseg_rule_counter);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tcseg_rule_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, TCSEG_DEF_SESSIONS);
	/*
	 * One common LRU, not BPF_F_NO_COMMON_LRU: per-CPU LRU lists split
	 * the map into max_entries / ncpus per CPU, so a flow-heavy CPU
	 * evicts live sessions at 1/ncpus fill, long before the pressure
	 * thresholds (70%/90% of max_entries) can react.
	 */
	__type(key, struct tcseg_session_key);
	__type(value, struct tcseg_session);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tcseg_sessions SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, TCSEG_DEF_SECURED);
	__type(key, struct tcseg_session_key);
	__type(value, struct tcseg_secure);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tcseg_secured SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tcseg_pressure);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tcseg_pressure SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, TCSEG_DEF_FRAGS);
	__type(key, struct tcseg_frag_key);
	__type(value, struct tcseg_frag_ports);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tcseg_frags SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TCSEG_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tcseg_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, TCSEG_DEF_RINGBUF);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tcseg_events SEC(".maps");

/* Per-CPU token bucket that rate-limits events. */
struct tcseg_evbucket {
	__u64 tokens;
	__u64 last_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tcseg_evbucket);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tcseg_evrate SEC(".maps");

#endif
