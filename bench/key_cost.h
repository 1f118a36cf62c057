/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The IPv4-only key layouts tcseg had before the IPv6 ABI (and an
 * IPv6-only source key, as separate maps would need), kept only to price
 * them against the family-tagged ones: bench/cost.bpf.c, bench/key_cost.c.
 */
#ifndef TCSEG_BENCH_KEY_COST_H
#define TCSEG_BENCH_KEY_COST_H

struct kc_sess20 {			/* the IPv4-only session key */
	__u32 ifindex;
	__be32 addr_lo;
	__be32 addr_hi;
	__be16 port_lo;
	__be16 port_hi;
	__u8 proto;
	__u8 pad[3];
};

struct kc_lpm8 {			/* the IPv4-only source class key */
	__u32 prefixlen;
	__be32 saddr;
};

struct kc_lpm20 {			/* an IPv6-only one (separate maps) */
	__u32 prefixlen;
	__u8 saddr[16];
};

struct kc_cidr20 {			/* the IPv4-only CIDR key */
	__u32 prefixlen;
	__be32 src_net;
	__u8 src_plen;
	__u8 proto;
	__be16 dport;
	__u32 ifindex;
	__be32 daddr;
};

#define KC_CIDR20_FIXED_BITS	(8 * (4 + 1 + 1 + 2 + 4))

#endif
