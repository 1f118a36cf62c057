/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Address binding: a pod may only send from the addresses bound to its
 * veth (tcctl attach DEV addr A[,B...]). New flows and ARP check the
 * device's list; a session hit only checks the side of the session the
 * pod is on, recorded when the session was made (docs/DATAPATH.md,
 * "Address binding").
 */
#ifndef TCSEG_BPF_BIND_H
#define TCSEG_BPF_BIND_H

#include "lib/common.h"

/* Is @a one of the IPv4 addresses bound to @dev? (at most 8) */
static __always_inline int dev_addr4_bound(const struct tcseg_dev *dev,
					   __be32 a)
{
	__u32 i, n = dev->n_addrs4;

	for (i = 0; i < TCSEG_DEV_MAX_ADDRS4; i++) {
		if (i >= n)
			break;
		if (dev->addrs4[i] == a)
			return 1;
	}
	return 0;
}

/* The same over the IPv6 addresses (at most 8). */
static __always_inline int dev_addr6_bound(const struct tcseg_dev *dev,
					   const union tcseg_addr *a)
{
	__u32 i, n = dev->n_addrs6;

	for (i = 0; i < TCSEG_DEV_MAX_ADDRS6; i++) {
		if (i >= n)
			break;
		if (tcseg_addr_eq(&dev->addrs6[i], a))
			return 1;
	}
	return 0;
}

/*
 * Is @a, of @family, bound to @dev? A bound pod's source set is its
 * IPv4 and its IPv6 addresses: one with none of a family bound sends
 * nothing of that family (docs/DATAPATH.md, "Address binding").
 */
static __always_inline int dev_addr_bound(const struct tcseg_dev *dev,
					  __u8 family,
					  const union tcseg_addr *a)
{
	if (family == TCSEG_FAMILY_V6)
		return dev_addr6_bound(dev, a);
	return dev_addr4_bound(dev, a->v4);
}

/* The device is bound and @a is not one of its addresses. */
static __always_inline int dev_addr_foreign(const struct tcseg_dev *dev,
					    __u8 family,
					    const union tcseg_addr *a)
{
	return dev && (dev->flags & TCSEG_DEV_F_BOUND) &&
	       !dev_addr_bound(dev, family, a);
}

/*
 * Session flag naming the endpoint a packet from the pod may come from:
 * TCSEG_SESS_F_POD_LO for the lo endpoint, TCSEG_SESS_F_POD_HI for hi.
 */
_Static_assert(TCSEG_SESS_F_POD_HI == TCSEG_SESS_F_POD_LO << 1,
	       "pod_side_flag() shifts one into the other");

static __always_inline __u16 pod_side_flag(int lo)
{
	return TCSEG_SESS_F_POD_HI >> (lo != 0);
}

/*
 * The pod's side of a new session. From the pod, the source is the pod
 * (its address was checked before). To the pod, the destination is, if
 * it is bound there: a packet the bridge flooded to this veth for
 * another pod's address gets no pod side, so the pod can never answer
 * it in that pod's name.
 */
static __always_inline __u16 pod_side_new(const struct tcseg_dev *dev,
					  __u8 dir, int src_lo, __u8 family,
					  const union tcseg_addr *daddr)
{
	if (dir == TCSEG_DIR_FROM_POD)
		return pod_side_flag(src_lo);
	if (dev_addr_foreign(dev, family, daddr))
		return 0;
	return pod_side_flag(!src_lo);
}

/* A packet from the pod on a session: its source must be the pod's side. */
static __always_inline int pod_side_forged(const struct tcseg_session *s,
					   __u8 dir, int src_lo)
{
	return dir == TCSEG_DIR_FROM_POD && !(s->flags & pod_side_flag(src_lo));
}

#endif
