/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcctl's side of pods by name (docs/POLICY.md §Pods): the registry
 * (attach ... pod NS/NAME, detach), the pod rules kept beside the rule
 * store and re-derived at every change, `tcctl pods`.
 */
#ifndef TCSEG_TCCTL_PODS_H
#define TCSEG_TCCTL_PODS_H

#include "dataplane/policy_store.h"
#include "policy/pod_reg.h"
#include "tcctl/tcctl.h"

/* What one writer command knows of the pods (under the writer lock). */
struct pods_ctx {
	struct pod_reg *regs;
	size_t nregs;
	struct pod_rule_ref *refs;	/* sorted by id after each change */
	size_t nrefs, cap;
	int rules_fd;			/* -1: no pod rule map yet */
	bool refs_changed;
};

/* Read the registry and pod rules of @t's pin dir; @create: make the
 * pod rule map when missing. 0 or -1 (printed). */
int pods_ctx_load(struct tcctl *t, struct pods_ctx *c, bool create);
void pods_ctx_free(struct pods_ctx *c);
/* Append a pod rule (id 0: assigned at the change). 0 or -ENOMEM. */
int pods_ctx_add(struct pods_ctx *c, const struct tcseg_rule *tmpl,
		 const struct rule_pod_sides *ps);
/* The pod rule with id @id, NULL when none. */
struct pod_rule_ref *pods_ctx_find(struct pods_ctx *c, __u32 id);

/*
 * store_change() where @change may edit @c's pod rules too; the pod
 * rules are then given ids and re-derived from the registry, and written
 * back once the rule store took the new set. 0 or -1 (printed).
 */
int pods_store_change(struct tcctl *t, const struct tcseg_maps *m,
		      struct pods_ctx *c, store_change_fn change, void *arg);

/* Register pod @ref on the veth (attach ... pod NS/NAME) with its
 * default and the addresses bound in @dev: replaces any other veth's
 * registration of that pod, re-derives the pod rules. */
int pods_register(struct tcctl *t, const struct tcseg_maps *m,
		  const char *ref, const char *veth, __u32 ifindex,
		  const struct tcseg_dev *dev);
/* The veth went (detach): its pod is no longer registered. */
int pods_unregister(struct tcctl *t, const struct tcseg_maps *m,
		    __u32 ifindex);

int do_pods_cmd(struct tcctl *t, int argc, char **argv);

#endif
