// SPDX-License-Identifier: GPL-2.0
/*
 * Cost breakdown for prog_bench: each program does one of the operations
 * tcseg_from_pod does per packet, on the real (pinned, filled) tcseg maps
 * (prog_bench points every map here at its pinned twin). Keys come from
 * globals prog_bench fills in, so each lookup hits or misses as it would
 * for the benchmark flows. Run with BPF_PROG_TEST_RUN; cost = time minus
 * that of c_empty.
 */
#include "lib/common.h"
#include "lib/maps.h"
#include "lib/stats.h"
#include "lib/parse.h"
#include "key_cost.h"

char LICENSE[] SEC("license") = "GPL";

struct tcseg_session_key sess_key;	/* the hit flow's session */
struct tcseg_session_key new_key;	/* a session that does not exist */
struct tcseg_session new_sess;
struct tcseg_exact_key exact_hit;	/* rule 1 */
struct tcseg_exact_key exact_miss;
struct tcseg_src_key src_key;		/* the hit flow's source */
struct tcseg_cidr_key cidr_key;		/* rule 3's entry */
__u32 dev_key;
__u64 sink;

/*
 * Not tcseg's: the same session key and value in the two other map
 * types a session table could use, to price the alternatives.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TCSEG_DEF_SESSIONS);
	__type(key, struct tcseg_session_key);
	__type(value, struct tcseg_session);
} bench_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, TCSEG_DEF_SESSIONS);
	__uint(map_flags, BPF_F_NO_COMMON_LRU);
	__type(key, struct tcseg_session_key);
	__type(value, struct tcseg_session);
} bench_lru_percpu SEC(".maps");

SEC("tc")
int c_empty(struct __sk_buff *skb)
{
	return TC_ACT_OK;
}

SEC("tc")
int c_ktime(struct __sk_buff *skb)
{
	sink = bpf_ktime_get_ns();
	return TC_ACT_OK;
}

SEC("tc")
int c_ktime_coarse(struct __sk_buff *skb)
{
	sink = bpf_ktime_get_coarse_ns();
	return TC_ACT_OK;
}

SEC("tc")
int c_jiffies(struct __sk_buff *skb)
{
	sink = bpf_jiffies64();
	return TC_ACT_OK;
}

/* a call to a global function that does nothing: what a call costs */
__noinline int c_callee(struct __sk_buff *skb)
{
	return skb ? 0 : 1;
}

SEC("tc")
int c_call(struct __sk_buff *skb)
{
	sink = c_callee(skb);
	return TC_ACT_OK;
}

SEC("tc")
int c_config(struct __sk_buff *skb)
{
	__u32 zero = 0;

	sink = (long)bpf_map_lookup_elem(&tcseg_config, &zero);
	return TC_ACT_OK;
}

SEC("tc")
int c_stat(struct __sk_buff *skb)
{
	stat_add(TCSEG_STAT_TOTAL_PACKETS, 1);
	return TC_ACT_OK;
}

SEC("tc")
int c_rule_stat(struct __sk_buff *skb)
{
	rule_stat_add(1, skb->len, skb->tstamp);	/* a time, not folded */
	return TC_ACT_OK;
}

SEC("tc")
int c_parse(struct __sk_buff *skb)
{
	struct pkt p = {};

	sink = parse_pkt(skb, &p) + p.saddr.v4;
	return TC_ACT_OK;
}

SEC("tc")
int c_dev(struct __sk_buff *skb)
{
	sink = (long)bpf_map_lookup_elem(&tcseg_devs, &dev_key);
	return TC_ACT_OK;
}

SEC("tc")
int c_session(struct __sk_buff *skb)
{
	sink = (long)bpf_map_lookup_elem(&tcseg_sessions, &sess_key);
	return TC_ACT_OK;
}

SEC("tc")
int c_session_miss(struct __sk_buff *skb)
{
	sink = (long)bpf_map_lookup_elem(&tcseg_sessions, &new_key);
	return TC_ACT_OK;
}

/* the two atomic adds of a session hit */
SEC("tc")
int c_atomics(struct __sk_buff *skb)
{
	struct tcseg_session *s = bpf_map_lookup_elem(&tcseg_sessions,
						       &sess_key);

	if (s) {
		__sync_fetch_and_add(&s->packets, 1);
		__sync_fetch_and_add(&s->bytes, skb->len);
	}
	return TC_ACT_OK;
}

/* the same two adds without the lock prefix */
SEC("tc")
int c_plain_adds(struct __sk_buff *skb)
{
	struct tcseg_session *s = bpf_map_lookup_elem(&tcseg_sessions,
						       &sess_key);

	if (s) {
		s->packets += 1;
		s->bytes += skb->len;
	}
	return TC_ACT_OK;
}

SEC("tc")
int c_exact_hit(struct __sk_buff *skb)
{
	sink = (long)bpf_map_lookup_elem(&tcseg_exact, &exact_hit);
	return TC_ACT_OK;
}

SEC("tc")
int c_exact_miss(struct __sk_buff *skb)
{
	sink = (long)bpf_map_lookup_elem(&tcseg_exact, &exact_miss);
	return TC_ACT_OK;
}

SEC("tc")
int c_src_class(struct __sk_buff *skb)
{
	sink = (long)bpf_map_lookup_elem(&tcseg_src_class, &src_key);
	return TC_ACT_OK;
}

SEC("tc")
int c_cidr(struct __sk_buff *skb)
{
	sink = (long)bpf_map_lookup_elem(&tcseg_cidr, &cidr_key);
	return TC_ACT_OK;
}

/* a new session in, then out again (the map is left as it was) */
SEC("tc")
int c_session_insdel(struct __sk_buff *skb)
{
	if (!bpf_map_update_elem(&tcseg_sessions, &new_key, &new_sess,
				 BPF_NOEXIST))
		bpf_map_delete_elem(&tcseg_sessions, &new_key);
	return TC_ACT_OK;
}

SEC("tc")
int c_hash_insdel(struct __sk_buff *skb)
{
	if (!bpf_map_update_elem(&bench_hash, &new_key, &new_sess, BPF_NOEXIST))
		bpf_map_delete_elem(&bench_hash, &new_key);
	return TC_ACT_OK;
}

SEC("tc")
int c_lru_percpu_insdel(struct __sk_buff *skb)
{
	if (!bpf_map_update_elem(&bench_lru_percpu, &new_key, &new_sess,
				 BPF_NOEXIST))
		bpf_map_delete_elem(&bench_lru_percpu, &new_key);
	return TC_ACT_OK;
}

/*
 * Key design (bench/key_cost.c, docs/DATAPATH.md "IPv6: one key per
 * map"): the same lookup with the IPv4-only keys tcseg had and with the
 * family-tagged keys it has, each in a map of its own filled by
 * key_cost with the same entries. The old layouts are kept here only
 * for this price; the new ones are the ABI's (include/tcseg.h).
 * max_entries 1: prog_bench loads this object too and never fills them;
 * key_cost resizes them before load. Old layouts: bench/key_cost.h.
 */
#define KC_MAP(name, t, k, v, fl)					\
	struct {							\
		__uint(type, t);					\
		__uint(max_entries, 1);					\
		__uint(map_flags, fl);					\
		__type(key, k);						\
		__type(value, v);					\
	} name SEC(".maps")

KC_MAP(kc_hash20, BPF_MAP_TYPE_HASH, struct kc_sess20, struct tcseg_session, 0);
KC_MAP(kc_hash44, BPF_MAP_TYPE_HASH, struct tcseg_session_key,
       struct tcseg_session, 0);
KC_MAP(kc_lru20, BPF_MAP_TYPE_LRU_HASH, struct kc_sess20,
       struct tcseg_session, 0);
KC_MAP(kc_lru44, BPF_MAP_TYPE_LRU_HASH, struct tcseg_session_key,
       struct tcseg_session, 0);
KC_MAP(kc_lpm8, BPF_MAP_TYPE_LPM_TRIE, struct kc_lpm8, struct tcseg_src_class,
       BPF_F_NO_PREALLOC);
KC_MAP(kc_lpm20, BPF_MAP_TYPE_LPM_TRIE, struct kc_lpm20,
       struct tcseg_src_class, BPF_F_NO_PREALLOC);
KC_MAP(kc_lpm24, BPF_MAP_TYPE_LPM_TRIE, struct tcseg_src_key,
       struct tcseg_src_class, BPF_F_NO_PREALLOC);
KC_MAP(kc_cidr20, BPF_MAP_TYPE_LPM_TRIE, struct kc_cidr20,
       struct tcseg_verdict, BPF_F_NO_PREALLOC);
KC_MAP(kc_cidr48, BPF_MAP_TYPE_LPM_TRIE, struct tcseg_cidr_key,
       struct tcseg_verdict, BPF_F_NO_PREALLOC);

/*
 * The keys key_cost looks up (each one an entry of its map). The old
 * layouts as bytes: prog_bench includes this skeleton without
 * bench/key_cost.h.
 */
__u8 kc_k_sess20[sizeof(struct kc_sess20)];
struct tcseg_session_key kc_k_sess44;
__u8 kc_k_lpm8[sizeof(struct kc_lpm8)];
__u8 kc_k_lpm20[sizeof(struct kc_lpm20)];
struct tcseg_src_key kc_k_lpm24;
struct tcseg_src_key kc_k_lpm24v6;	/* an IPv6 entry of the same map */
struct tcseg_session_key kc_k_sess44v6;
__u8 kc_k_cidr20[sizeof(struct kc_cidr20)];
struct tcseg_cidr_key kc_k_cidr48;

#define KC_PROG(name, map, key)						\
	SEC("tc")							\
	int name(struct __sk_buff *skb)					\
	{								\
		sink = (long)bpf_map_lookup_elem(&map, &key);		\
		return TC_ACT_OK;					\
	}

KC_PROG(kc_hash20_hit, kc_hash20, kc_k_sess20)
KC_PROG(kc_hash44_hit, kc_hash44, kc_k_sess44)
KC_PROG(kc_hash44v6_hit, kc_hash44, kc_k_sess44v6)
KC_PROG(kc_lru20_hit, kc_lru20, kc_k_sess20)
KC_PROG(kc_lru44_hit, kc_lru44, kc_k_sess44)
KC_PROG(kc_lpm8_hit, kc_lpm8, kc_k_lpm8)
KC_PROG(kc_lpm20_hit, kc_lpm20, kc_k_lpm20)
KC_PROG(kc_lpm24_hit, kc_lpm24, kc_k_lpm24)
KC_PROG(kc_lpm24v6_hit, kc_lpm24, kc_k_lpm24v6)
KC_PROG(kc_cidr20_hit, kc_cidr20, kc_k_cidr20)
KC_PROG(kc_cidr48_hit, kc_cidr48, kc_k_cidr48)
