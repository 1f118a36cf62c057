/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a policy commit (policy_store.c) writes: the difference from what
 * a policy map set holds to the compiled rules, per map, found by reading
 * the set or, for the exact map of a set known to hold the old rules,
 * from the rules that changed; and the rule map's difference. Only what
 * differs is written (docs/DATAPATH.md "Atomic policy replace").
 */
#ifndef TCSEG_POLICY_DIFF_H
#define TCSEG_POLICY_DIFF_H

#include <stdbool.h>

#include "dataplane/loader.h"
#include "dataplane/map_sync.h"
#include "policy/compile.h"
#include "policy/rule.h"

/* From what a set holds to the compiled rules, per map. */
struct policy_diff {
	struct kv_diff exact, src, cidr;
};

void policy_diff_free(struct policy_diff *d);

/*
 * @d = the difference from what the set @p holds now to @c; @exact
 * false: but for the exact map's, already in @d->exact (freed on error).
 */
int policy_diff_read(const struct tcseg_policy_fds *p,
		     const struct compiled *c, struct policy_diff *d,
		     bool exact);

/* Write @d into the set @p (no packet may read it). */
int policy_diff_apply(const struct tcseg_policy_fds *p,
		      const struct policy_diff *d,
		      struct map_sync_count *count);

/*
 * The exact map's difference from compile(@old) to @c = compile(@new)
 * (both sorted by id) without reading the map. Only for a set known to
 * hold compile(@old). -EAGAIN: port ranges, read the map instead.
 */
int policy_diff_exact(const struct rule_set *old, const struct rule_set *new,
		      const struct compiled *c, struct kv_diff *d);

/* The rule map @fd from @old to @s (both sorted by id), by a merge. */
int policy_diff_write_rules(int fd, const struct rule_set *old,
			    const struct rule_set *s,
			    struct map_sync_count *count);

#endif
