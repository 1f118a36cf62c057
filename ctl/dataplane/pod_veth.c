// SPDX-License-Identifier: GPL-2.0
/* This node's pod -> veth table (see pod_veth.h, docs/DAEMON.md). */
#include <errno.h>
#include <string.h>

#include "dataplane/pod_veth.h"

static struct pod_veth *find(const struct pod_veth_table *t, __be32 ip)
{
	unsigned int i;

	for (i = 0; i < t->n; i++)
		if (t->e[i].ip == ip)
			return (struct pod_veth *)&t->e[i];
	return NULL;
}

static struct pod_veth *find_or_add(struct pod_veth_table *t, __be32 ip)
{
	struct pod_veth *e = find(t, ip);

	if (e || t->n >= POD_VETH_MAX)
		return e;
	e = &t->e[t->n++];
	memset(e, 0, sizeof(*e));
	e->ip = ip;
	return e;
}

__u32 pod_veth_get(const struct pod_veth_table *t, __be32 ip)
{
	const struct pod_veth *e = find(t, ip);

	return e ? e->ifindex : 0;
}

enum pod_veth_src pod_veth_source(const struct pod_veth_table *t, __be32 ip)
{
	const struct pod_veth *e = find(t, ip);

	return e && e->ifindex ? (enum pod_veth_src)e->src : POD_VETH_NONE;
}

int pod_veth_kernel(struct pod_veth_table *t, __be32 ip, __u32 ifindex)
{
	struct pod_veth *e;

	if (!ip || !ifindex)
		return 0;
	e = find_or_add(t, ip);
	if (!e)
		return -ENOSPC;
	if (e->ifindex || e->src == POD_VETH_BOUND)
		return 0;	/* known: only a binding may re-point it */
	e->ifindex = ifindex;
	e->src = POD_VETH_KERNEL;
	return 1;
}

int pod_veth_sync_bound(struct pod_veth_table *t,
			const struct pod_veth_bound *b, unsigned int n)
{
	unsigned int i;
	int changed = 0;

	for (i = 0; i < t->n; i++)
		t->e[i].seen = 0;
	for (i = 0; i < n; i++) {
		struct pod_veth *e = find_or_add(t, b[i].ip);

		if (!e || !b[i].ifindex)
			continue;
		if (e->seen) {
			/* two devices bind one address: trust neither */
			changed += e->ifindex != 0;
			e->ifindex = 0;
			continue;
		}
		e->seen = 1;
		changed += e->ifindex != b[i].ifindex;
		e->ifindex = b[i].ifindex;
		e->src = POD_VETH_BOUND;
	}
	for (i = 0; i < t->n; i++) {
		struct pod_veth *e = &t->e[i];

		if (e->src == POD_VETH_BOUND && !e->seen) {
			/* binding removed: ask the kernel again */
			e->ifindex = 0;
			e->src = POD_VETH_NONE;
			changed++;
		}
	}
	return changed;
}

enum pod_veth_verdict pod_veth_check(const struct pod_veth_table *t,
				     __be32 ip, __u32 ifindex)
{
	__u32 known = pod_veth_get(t, ip);

	if (!known)
		return POD_VETH_UNKNOWN;
	return known == ifindex ? POD_VETH_MATCH : POD_VETH_MISMATCH;
}

int pod_veth_addrs_of(const struct pod_veth_table *t, __u32 ifindex,
		      __be32 *out, int max)
{
	unsigned int i;
	int n = 0;

	for (i = 0; i < t->n && n < max; i++)
		if (ifindex && t->e[i].ifindex == ifindex)
			out[n++] = t->e[i].ip;
	return n;
}

void pod_veth_prune(struct pod_veth_table *t,
		    bool (*keep)(__be32 ip, void *arg), void *arg)
{
	unsigned int i;

	for (i = 0; i < t->n; i++) {
		if (keep(t->e[i].ip, arg))
			continue;
		t->e[i--] = t->e[--t->n];
	}
}
