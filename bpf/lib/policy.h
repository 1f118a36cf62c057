/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Policy lookup: exact 5-tuple > most specific CIDR rule > pod default >
 * global default. See docs/POLICY.md for the CIDR order and why a
 * source class lookup precedes the CIDR trie.
 */
#ifndef TCSEG_BPF_POLICY_H
#define TCSEG_BPF_POLICY_H

#include "lib/stats.h"

/* The flow as its initiator sent it (ports network order). */
struct flow {
	const union tcseg_addr *saddr;	/* in the packet's struct pkt */
	const union tcseg_addr *daddr;
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 family;
};

/*
 * The keys of one decision's lookups. With 16-byte addresses they are
 * too big for the data path's stack beside everything else (512 bytes),
 * so its programs keep them in a per-CPU scratch entry (tcseg.bpf.c);
 * every byte is written before a lookup.
 */
struct policy_keys {
	struct tcseg_exact_key exact;
	struct tcseg_src_key src;
	struct tcseg_cidr_key cidr;
};

struct decision {
	__u32 version;		/* policy_version the decision was made under */
	__u32 rule_id;
	__u32 slot;
	__u8 action;
	__u8 src;		/* enum tcseg_verdict_src */
	__u8 rule_flags;
};

/*
 * A lookup in the live set's map: @set was read once for the packet, so
 * every lookup of one decision goes to the same set. Two call sites, one
 * map each, so the verifier keeps the lookups of the hash map inlined.
 */
static __always_inline void *set_lookup(__u16 set, void *map0, void *map1,
					const void *key)
{
	void *v;

	if (set) {
		v = bpf_map_lookup_elem(map1, key);
		/* keeps clang from merging the two calls into one */
		asm volatile("" : "+r"(v));
		return v;
	}
	return bpf_map_lookup_elem(map0, key);
}

static __always_inline struct tcseg_verdict *
exact_lookup(const struct flow *f, __u32 ifindex, __u16 set,
	     struct tcseg_exact_key *k)
{
	*k = (struct tcseg_exact_key){
		.ifindex = ifindex,
		.saddr = *f->saddr, .daddr = *f->daddr,
		.sport = f->sport, .dport = f->dport,
		.proto = f->proto, .family = f->family,
	};
	return set_lookup(set, &tcseg_exact, &tcseg_exact1, k);
}

/* The CIDR protocol key: TCP, UDP, the family's ICMP, or OTHER. */
static __always_inline __u8 proto_key(__u8 family, __u8 proto)
{
	if (proto == IPPROTO_TCP || proto == IPPROTO_UDP ||
	    proto == (family == TCSEG_FAMILY_V6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP))
		return proto;
	return TCSEG_PROTO_KEY_OTHER;
}

static __always_inline struct tcseg_verdict *
better(struct tcseg_verdict *a, struct tcseg_verdict *b)
{
	if (!a)
		return b;
	if (!b)
		return a;
	return b->spec > a->spec ? b : a;
}

static __always_inline struct tcseg_verdict *
cidr_lookup_dev(const struct flow *f, const struct tcseg_src_class *sc,
		__u32 ifindex, __u16 set, struct tcseg_cidr_key *k)
{
	struct tcseg_verdict *v = NULL;

	*k = (struct tcseg_cidr_key){
		.prefixlen = TCSEG_CIDR_FIXED_BITS + 128,
		.family = f->family,
		.src_net = sc->net,
		.src_plen = sc->plen,
		.proto = proto_key(f->family, f->proto),
		.dport = f->dport,
		.ifindex = ifindex,
		.daddr = *f->daddr,
	};
	/* ports only mean something for TCP and UDP */
	if (k->proto == IPPROTO_TCP || k->proto == IPPROTO_UDP)
		v = set_lookup(set, &tcseg_cidr, &tcseg_cidr1, k);
	k->dport = 0;
	return better(v, set_lookup(set, &tcseg_cidr, &tcseg_cidr1, k));
}

static __always_inline struct tcseg_verdict *
cidr_lookup(const struct flow *f, __u32 ifindex, __u32 dev_rules, __u16 set,
	    struct policy_keys *pk)
{
	struct tcseg_src_class *sc;
	struct tcseg_verdict *v;

	pk->src = (struct tcseg_src_key){
		.prefixlen = TCSEG_SRC_FIXED_BITS + 128,
		.family = f->family,
		.saddr = *f->saddr,
	};
	sc = set_lookup(set, &tcseg_src_class, &tcseg_src_class1, &pk->src);
	if (!sc)
		return NULL;
	v = cidr_lookup_dev(f, sc, 0, set, &pk->cidr);
	if (dev_rules)
		v = better(v, cidr_lookup_dev(f, sc, ifindex, set, &pk->cidr));
	return v;
}

static __always_inline void decide_from(struct decision *d,
					const struct tcseg_verdict *v, __u8 src)
{
	d->rule_id = v->rule_id;
	d->slot = v->slot;
	d->action = v->action;
	d->rule_flags = v->flags;
	d->src = src;
}

static __always_inline void policy_decide(const struct tcseg_config *cfg,
					  const struct tcseg_dev *dev,
					  __u32 ifindex, const struct flow *f,
					  struct decision *d,
					  struct policy_keys *pk)
{
	struct tcseg_verdict *v = NULL;
	__u16 set;

	/*
	 * The version first, then the set: tcctl flips the set before it
	 * bumps the version, so a session stamped with this version was
	 * decided by this version's set or a newer one (DATAPATH.md).
	 */
	d->version = *(volatile const __u32 *)&cfg->policy_version;
	asm volatile("" ::: "memory");
	set = *(volatile const __u16 *)&cfg->policy_set;
	stat_add(TCSEG_STAT_POLICY_LOOKUPS, 1);
	if (cfg->dev_rules)
		v = exact_lookup(f, ifindex, set, &pk->exact);
	if (!v)
		v = exact_lookup(f, 0, set, &pk->exact);
	if (v) {
		decide_from(d, v, TCSEG_SRC_EXACT);
		return;
	}
	v = cidr_lookup(f, ifindex, cfg->dev_rules, set, pk);
	if (v) {
		decide_from(d, v, TCSEG_SRC_CIDR);
		return;
	}
	d->rule_id = 0;
	d->slot = 0;
	d->rule_flags = 0;
	if (dev && dev->default_action != TCSEG_ACT_UNSET) {
		d->action = dev->default_action;
		d->src = TCSEG_SRC_POD_DEFAULT;
	} else {
		d->action = cfg->default_action;
		d->src = TCSEG_SRC_GLOBAL_DEFAULT;
	}
}

static __always_inline __u32 drop_reason_of(__u8 src)
{
	if (src == TCSEG_SRC_POD_DEFAULT)
		return TCSEG_DROP_POD_DEFAULT;
	if (src == TCSEG_SRC_GLOBAL_DEFAULT)
		return TCSEG_DROP_GLOBAL_DEFAULT;
	return TCSEG_DROP_POLICY;
}

/* Audit mode (global, per pod or per rule) turns a deny into a pass. */
static __always_inline int audit_applies(const struct tcseg_config *cfg,
					 const struct tcseg_dev *dev,
					 const struct decision *d)
{
	return (cfg->flags & TCSEG_CFG_F_AUDIT) ||
	       (dev && (dev->flags & TCSEG_DEV_F_AUDIT)) ||
	       (d->rule_flags & TCSEG_RULE_F_AUDIT);
}

#endif
