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
	rule_stat_add(1, skb->len);
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
