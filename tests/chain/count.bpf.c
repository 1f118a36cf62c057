// SPDX-License-Identifier: GPL-2.0
/*
 * A CNI's program beside tcseg, for the chaining test: counts the IPv4
 * UDP packets to ports 9000 and 9001 it sees, and passes every packet on
 * (TC_ACT_UNSPEC: the next program decides, docs/DATAPATH.md §Chaining).
 */
#include "lib/common.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} chain_counts SEC(".maps");

SEC("tc")
int chain_count(struct __sk_buff *skb)
{
	struct {
		__u8 vihl, tos;
		__be16 len, id, frag;
		__u8 ttl, proto;
	} ip;
	__be16 dport;
	__u64 *v;
	__u32 k;

	if (skb->protocol != bpf_htons(ETH_P_IP) ||
	    bpf_skb_load_bytes(skb, ETH_HLEN, &ip, sizeof(ip)) || ip.proto != 17 ||
	    bpf_skb_load_bytes(skb, ETH_HLEN + (ip.vihl & 0xf) * 4 + 2, &dport,
			       sizeof(dport)))
		return TC_ACT_UNSPEC;
	k = bpf_ntohs(dport) - 9000;
	v = k < 2 ? bpf_map_lookup_elem(&chain_counts, &k) : NULL;
	if (v)
		__sync_fetch_and_add(v, 1);
	return TC_ACT_UNSPEC;
}

char LICENSE[] SEC("license") = "GPL";
