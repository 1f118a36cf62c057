/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Attach a pod's veth: the tcseg_devs entry (pod default, audit, name)
 * and the TC programs, in that order so the program sees the pod's
 * settings from its first packet. Shared by `tcctl attach` and tcsegd.
 */
#ifndef TCSEG_DEVICES_H
#define TCSEG_DEVICES_H

#include <stdbool.h>
#include <stddef.h>
#include "attach.h"
#include "loader.h"

struct tcseg_dev_opts {
	__u8 default_action;	/* TCSEG_ACT_ALLOW/DENY or TCSEG_ACT_UNSET */
	bool audit;
	bool keep;		/* keep the existing entry's settings, if any */
};

/*
 * Write the device entry and attach both programs to @ifindex. An
 * entry that already exists keeps its attach time (and, with o->keep,
 * its default and audit settings). A changed default or audit setting
 * bumps the policy version. *tcx says how it went (tcx or clsact).
 * Returns 0 or negative errno with a message in @err.
 */
int tcseg_dev_attach(const char *pin_dir, const struct tcseg_maps *m,
		     int ifindex, const char *name,
		     const struct tcseg_dev_opts *o, enum attach_mode mode,
		     int *tcx, char *err, size_t errlen);

/*
 * Bind @n addresses (network order) to the pod behind @ifindex: a
 * read-modify-write of its tcseg_devs entry (addrs4, n_addrs4,
 * TCSEG_DEV_F_BOUND); @n 0 clears the binding. Returns 0, -ENOENT (not
 * attached), -E2BIG (more than TCSEG_DEV_MAX_ADDRS4) or -errno.
 */
int dev_bind_addrs(int devs_fd, __u32 ifindex, const __be32 *addrs, int n);

#endif
