/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcsegd's view of this node's pods (ctl/daemon/tcsegd_pods.c): the pod
 * mapping, the registered pods, their veths and bindings.
 */
#ifndef TCSEG_TCSEGD_PODS_H
#define TCSEG_TCSEGD_PODS_H

#include <stdbool.h>
#include "tcseg.h"

struct tcsegd;

/* This node's pods (tcsegd_pods.c, docs/DAEMON.md §Pod veths). */
/* This node's pod with IP @ip? (pods_lock taken inside) */
bool tcsegd_is_local_pod(struct tcsegd *d, __be32 ip);
/* Same for a pod address of either family (docs/DAEMON.md §IPv6). */
bool tcsegd_is_local_addr(struct tcsegd *d, __u8 family,
			  const union tcseg_addr *a);
/* Its veth from the binding or the kernel's tables, 0 = unknown. */
__u32 tcsegd_pod_ifindex(struct tcsegd *d, __be32 ip);
/* The veth of a pod address of either family, 0 unknown. */
__u32 tcsegd_addr_ifindex(struct tcsegd *d, __u8 family,
			  const union tcseg_addr *a);
unsigned int tcsegd_local_pod_count(struct tcsegd *d);
/* Load the pod mapping (a bad file keeps the old table); 0 or -EINVAL. */
int tcsegd_load_pods(struct tcsegd *d, const char *path);
/* After start-up or a new mapping: bindings, tcseg_cap_pods, lookups. */
void tcsegd_pods_refresh(struct tcsegd *d);
/* Every 2 s: bindings re-read, unknown pods looked up. */
void tcsegd_pods_tick(struct tcsegd *d);
/*
 * Re-read the registered pods (tcseg_pods in the pin dir): at start,
 * every 2 s and on the `pods sync` request. Returns their count, the
 * records refused in *@bad (may be NULL), or -errno (the old list is
 * kept).
 */
int tcsegd_pods_sync(struct tcsegd *d, const char *via, unsigned int *bad);
/* Bind the known pod addresses on a device tcsegd attached, if unbound. */
void tcsegd_bind_known(struct tcsegd *d, __u32 ifindex);
/*
 * Check a flow event's veth against the pod's: the veth for the hand-off
 * (0 = unknown yet), or -1 when it names the pod's address on another
 * veth (refused, logged, counted).
 */
long tcsegd_event_veth(struct tcsegd *d, const struct tcseg_event *e);

#endif
