/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Registered pods and the rules that name them (docs/POLICY.md §Pods,
 * docs/CNI.md). Pure: the records as the pinned maps hold them
 * (ctl/dataplane/pod_store.c does the I/O), their checks, and the resolution of a
 * rule's pod sides into addresses.
 *
 * A pod is registered by `tcctl attach DEV ... pod NS/NAME` (tcseg-cni's
 * ADD) and unregistered by `tcctl detach DEV` (DEL): one record per veth
 * in the pinned map tcseg_pods. A rule naming a pod keeps its words in
 * tcseg_pod_rules (by rule id); what tcseg_rules holds for that id is
 * derived: the rule with the pods' addresses, or nothing while a pod is
 * not registered. Every change of either map re-derives all of them
 * under the writer lock (pod_rules_merge), so the id never changes and
 * the addresses follow the pods.
 */
#ifndef TCSEG_POD_REG_H
#define TCSEG_POD_REG_H

#include <stdbool.h>
#include <stddef.h>
#include "tcseg.h"
#include "policy/pod_name.h"
#include "policy/rule.h"

#define POD_REG_MAX		4096	/* registered pods (veths) */
#define POD_REG_MAX_ADDRS	8
#define POD_RULES_MAX		16384	/* rules that name a pod */

/*
 * One address of a pod: include/tcseg.h's address and family, family
 * first (the layout of the pinned records; struct tcseg_addr_key has it
 * last).
 */
struct pod_reg_addr {
	__u8 family;		/* TCSEG_FAMILY_V4 or TCSEG_FAMILY_V6 */
	__u8 pad[3];
	union tcseg_addr addr;	/* IPv4 in w[0], the rest zero */
};

_Static_assert(sizeof(struct pod_reg_addr) == 20 &&
	       __builtin_offsetof(struct pod_reg_addr, addr) == 4,
	       "struct pod_reg_addr is the layout of pinned records");

/* Is @r the address @a of @family? */
static inline bool pod_reg_addr_eq(const struct pod_reg_addr *r, __u8 family,
				   const union tcseg_addr *a)
{
	return r->family == family && tcseg_addr_eq(&r->addr, a);
}

/* tcseg_pods value; the key is ifindex (__u32). */
struct pod_reg {
	char ns[POD_NS_MAX + 1];
	char name[POD_NAME_MAX + 3];
	char veth[16];
	__u32 ifindex;
	__u8 def;		/* TCSEG_ACT_ALLOW/DENY, TCSEG_ACT_UNSET: global */
	__u8 n_addrs;
	__u8 pad[2];
	struct pod_reg_addr addrs[POD_REG_MAX_ADDRS];
};

/* tcseg_pod_rules value; the key is the rule id (__u32). */
struct pod_rule_ref {
	struct tcseg_rule tmpl;		/* the rule without its pod sides */
	char from[POD_REF_MAX + 1];	/* "NS/NAME", "" = the rule's from */
	char to[POD_REF_MAX + 1];
};

/* Is @p a record tcctl could have written (names, NULs, counts)? */
int pod_reg_valid(const struct pod_reg *p, char *err, size_t errlen);

/* The record of pod "NS/NAME" @ref among @v, NULL when none. */
const struct pod_reg *pod_reg_find(const struct pod_reg *v, size_t n,
				   const char *ref);

/* Is @ref a record tcctl could have written? */
int pod_rule_ref_valid(const struct pod_rule_ref *ref, char *err,
		       size_t errlen);

/*
 * The rule @ref stands for with the pods of @regs: 1 and *@out filled,
 * 0 when a pod it names is not registered (or has no address of the
 * family the rule needs): then it matches nothing.
 */
int pod_rule_resolve(const struct pod_rule_ref *ref, const struct pod_reg *regs,
		     size_t nregs, struct tcseg_rule *out);

/*
 * Re-derive the pod rules in @rules: every rule whose id one of @refs
 * has is removed, and every ref that resolves is added, unless another
 * rule already has its match (then it is left out: the count is
 * returned, their ids in @clash if not NULL, at most @nclash). Returns
 * that count or -ENOMEM.
 */
int pod_rules_merge(struct rule_set *rules, const struct pod_rule_ref *refs,
		    size_t nrefs, const struct pod_reg *regs, size_t nregs,
		    __u32 *clash, size_t nclash);

#endif
