/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Compile a rule set into the data path's lookup maps:
 *  - exact rules    -> tcseg_exact entries (key per rule, ports network order)
 *  - CIDR rules     -> tcseg_src_class entries: one per distinct (family,
 *                      source prefix), plus 0.0.0.0/0 always and ::/0
 *                      when IPv6 has CIDR rules;
 *                   -> tcseg_cidr entries: for every source class S, every
 *                      rule whose source prefix contains S, expanded over
 *                      protocol keys (any = tcp, udp, the family's icmp,
 *                      other; with a dport: tcp, udp), keyed (family, S,
 *                      proto key, dport or 0, ifindex or 0, dst prefix).
 *                      A rule without addresses goes to both families
 *                      (rule_families()). When two rules land on
 *                      one key the more specific wins: longer source
 *                      prefix, then a protocol, then the lower id.
 * The value's spec is tcseg_rule_spec() of the winning rule.
 * Rules must have slots assigned (tcseg_verdict.slot = rule.slot).
 */
#ifndef TCSEG_COMPILE_H
#define TCSEG_COMPILE_H

#include <stddef.h>
#include "tcseg.h"

struct compiled {
	struct tcseg_exact_key *ekeys;
	struct tcseg_verdict *evals;
	size_t n_exact;
	struct tcseg_src_key *skeys;
	struct tcseg_src_class *svals;
	size_t n_src;
	struct tcseg_cidr_key *ckeys;
	struct tcseg_verdict *cvals;
	size_t n_cidr;
	__u32 dev_rules;	/* rules with ifindex != 0 */
};

/*
 * Returns 0, -ENOMEM, or -EINVAL when two rules have the same match
 * ("rule 7 has the same match as rule 3") or a rule is invalid.
 * @max_cidr > 0 bounds n_cidr: -E2BIG with a message naming the count.
 */
int policy_compile(const struct tcseg_rule *rules, size_t n, size_t max_cidr,
		   struct compiled *out, char *err, size_t errlen);
void compiled_free(struct compiled *c);

/* The decision the data path would take for a flow (reference model). */
struct model_verdict {
	int found;		/* 0: no rule matched (defaults apply) */
	__u32 rule_id;
	__u8 action;
	int exact;
};

/*
 * Evaluate a flow against a compiled set exactly as bpf/lib/policy.h
 * does (exact, then source class + CIDR lookups). Used by unit tests and
 * fuzzers as the reference model. Addresses/ports network order.
 */
void compiled_lookup(const struct compiled *c, __u32 ifindex, __u8 family,
		     const union tcseg_addr *saddr,
		     const union tcseg_addr *daddr, __be16 sport,
		     __be16 dport, __u8 proto, struct model_verdict *out);

/*
 * The same decision straight from the rule list, by the documented order
 * (exact > most specific CIDR rule). compiled_lookup() must always agree.
 */
void rules_lookup(const struct tcseg_rule *rules, size_t n, __u32 ifindex,
		  __u8 family, const union tcseg_addr *saddr,
		  const union tcseg_addr *daddr, __be16 sport, __be16 dport,
		  __u8 proto, struct model_verdict *out);

#endif
