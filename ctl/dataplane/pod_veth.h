/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which veth each of this node's pods sits behind, as tcsegd knows it
 * (docs/DAEMON.md §pod veths). Only two sources may say it: the address
 * binding of an attached device (tcseg_devs, TCSEG_DEV_F_BOUND) and the
 * kernel's own tables (ARP entry + bridge FDB). A flow event is a packet
 * a pod can forge: it is only checked against this table, never learned
 * from. Pure data structure: the caller locks.
 */
#ifndef TCSEG_POD_VETH_H
#define TCSEG_POD_VETH_H

#include <stdbool.h>
#include <linux/types.h>

#define POD_VETH_MAX	1024	/* pods of one node */

enum pod_veth_src {
	POD_VETH_NONE = 0,
	POD_VETH_KERNEL,	/* ARP entry + bridge FDB, first answer kept */
	POD_VETH_BOUND,		/* address binding of the device: final */
};

struct pod_veth {
	__be32 ip;
	__u32 ifindex;		/* 0 = not known */
	__u8 src;		/* enum pod_veth_src */
	__u8 seen;		/* sync_bound: still bound */
};

struct pod_veth_table {
	struct pod_veth e[POD_VETH_MAX];
	unsigned int n;
};

/* A device's binding: the addresses of tcseg_dev.addrs4 on @ifindex. */
struct pod_veth_bound {
	__u32 ifindex;
	__be32 ip;
};

enum pod_veth_verdict {
	POD_VETH_MATCH,		/* the event's veth is the pod's */
	POD_VETH_UNKNOWN,	/* no trusted source knows the pod's veth */
	POD_VETH_MISMATCH,	/* another veth claims the pod's address */
};

__u32 pod_veth_get(const struct pod_veth_table *t, __be32 ip);
enum pod_veth_src pod_veth_source(const struct pod_veth_table *t, __be32 ip);
/*
 * What the kernel's tables say: fills a pod whose veth is unknown, never
 * re-points a known one. Returns 1 when the table changed, 0 otherwise,
 * -ENOSPC when full.
 */
int pod_veth_kernel(struct pod_veth_table *t, __be32 ip, __u32 ifindex);
/*
 * The bindings as they are now (every bound address of every device,
 * for this node's pods only): a bound address overrides what the kernel
 * said; a pod no longer bound falls back to unknown. Returns the number
 * of pods whose veth changed.
 */
int pod_veth_sync_bound(struct pod_veth_table *t,
			const struct pod_veth_bound *b, unsigned int n);
/* Judge a flow event's (pod address, ifindex). */
enum pod_veth_verdict pod_veth_check(const struct pod_veth_table *t,
				     __be32 ip, __u32 ifindex);
/* Addresses known behind @ifindex (at most @max) into @out; count. */
int pod_veth_addrs_of(const struct pod_veth_table *t, __u32 ifindex,
		      __be32 *out, int max);
/* Forget pods for which @keep says false (left this node's mapping). */
void pod_veth_prune(struct pod_veth_table *t,
		    bool (*keep)(__be32 ip, void *arg), void *arg);

#endif
