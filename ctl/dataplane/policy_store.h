/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The rule set as the pinned maps hold it. Rules live in tcseg_rules (by
 * id); the lookup maps (tcseg_exact, tcseg_src_class, tcseg_cidr) are
 * always compiled from the whole set, so every change is: read the set,
 * change it in memory, compile and check it, then write the difference.
 * Nothing is written unless the new set compiles and fits.
 */
#ifndef TCSEG_POLICY_STORE_H
#define TCSEG_POLICY_STORE_H

#include "dataplane/loader.h"
#include "policy/rule.h"

/* Every rule in tcseg_rules, sorted by id. */
int store_read(const struct tcseg_maps *m, struct rule_set *out, char *err,
	       size_t errlen);

/* Ids for rules with id 0 (after the largest id in use). */
int store_assign_ids(struct rule_set *rules, char *err, size_t errlen);

/*
 * Replace the stored set @old with @new: assign counter slots (a rule
 * that keeps its id and match keeps its counters), compile, check the
 * map limits, write rules and lookup maps, bump the policy version.
 * On error nothing has been written.
 */
int store_commit(const struct tcseg_maps *m, const struct rule_set *old,
		 struct rule_set *new, char *err, size_t errlen);

/* Edit @rules in place (add, delete, replace); err gets why not. */
typedef int (*store_change_fn)(struct rule_set *rules, void *arg, char *err,
			       size_t errlen);

/*
 * One rule change as every tcctl writer makes it: read the stored set,
 * let @change edit a copy, give new rules ids, commit. The caller holds
 * the pin directory's writer lock (pin_lock.h) around the whole call.
 */
int store_change(const struct tcseg_maps *m, store_change_fn change,
		 void *arg, char *err, size_t errlen);

/* A store_change_fn: the set becomes @arg (a const struct rule_set *). */
int store_change_replace(struct rule_set *rules, void *arg, char *err,
			 size_t errlen);

/* Per-rule counters summed over CPUs. */
int store_rule_counter(const struct tcseg_maps *m, __u32 slot,
		       struct tcseg_rule_counter *out);

#endif
