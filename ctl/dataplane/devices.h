/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Attach a pod's veth: the tcseg_devs entry (pod default, audit, name,
 * bound addresses) and the TC programs, in that order so the program
 * sees the pod's settings from its first packet. Shared by `tcctl
 * attach` and tcsegd.
 */
#ifndef TCSEG_DEVICES_H
#define TCSEG_DEVICES_H

#include <stdbool.h>
#include <stddef.h>
#include "dataplane/attach.h"
#include "dataplane/loader.h"
#include "policy/parse.h"

struct tcseg_dev_opts {
	__u8 default_action;	/* TCSEG_ACT_ALLOW/DENY or TCSEG_ACT_UNSET */
	bool audit;
	bool keep;		/* keep the existing entry's settings, if any */
	bool bind;		/* set the bound addresses (else keep them) */
	struct addr_set addrs;	/* with bind: both families; empty unbinds */
	enum attach_pos pos;	/* among other tc programs (attach.h) */
};

/*
 * Write the device entry and attach both programs to @ifindex. An
 * entry that already exists keeps its attach time, its bound addresses
 * unless o->bind (see tcseg_dev_bind()) and, with o->keep, its default
 * and audit settings. A changed default or audit setting
 * bumps the policy version. *tcx says how it went (tcx or clsact).
 * Returns 0 or negative errno with a message in @err.
 */
int tcseg_dev_attach(const char *pin_dir, const struct tcseg_maps *m,
		     int ifindex, const char *name,
		     const struct tcseg_dev_opts *o, enum attach_mode mode,
		     int *tcx, char *err, size_t errlen);

/*
 * Bind @n IPv4 addresses to an attached device, keeping its bound IPv6
 * addresses (none of either unbinds): from then on a packet or ARP from
 * the pod with another source is dropped (docs/DATAPATH.md, "Address
 * binding"). The addresses are checked first (unicast, distinct, at most
 * TCSEG_DEV_MAX_ADDRS4); the entry is written whole, then the device's
 * sessions whose pod side is no longer bound are deleted. Returns 0 or
 * negative errno with a message in @err; nothing is written on a bad
 * address or an unattached device.
 */
int tcseg_dev_bind(const struct tcseg_maps *m, __u32 ifindex,
		   const __be32 *a, int n, char *err, size_t errlen);
/*
 * Bind @n4 IPv4 and @n6 IPv6 addresses at once (a dual-stack pod: a
 * bound device with no address of a family sends nothing of it,
 * docs/DATAPATH.md); otherwise as tcseg_dev_bind(). tcsegd's auto-bind.
 */
int tcseg_dev_bind46(const struct tcseg_maps *m, __u32 ifindex,
		     const __be32 *a4, int n4, const union tcseg_addr *a6,
		     int n6, char *err, size_t errlen);

/* The addresses bound to @d (none when it is not bound), bounded. */
void tcseg_dev_addrs(const struct tcseg_dev *d, struct addr_set *as);

/*
 * Delete the sessions of @ifindex (all of them when @keep is NULL, else
 * those @keep refuses). Returns how many were deleted.
 */
int tcseg_dev_sessions_delete(const struct tcseg_maps *m, __u32 ifindex,
			      int (*keep)(const struct tcseg_session_key *k,
					  const struct tcseg_session *s,
					  const struct tcseg_dev *d),
			      const struct tcseg_dev *d);

#endif
