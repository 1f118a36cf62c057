// SPDX-License-Identifier: GPL-2.0
/* Attach a pod's veth: device entry + TC programs (see devices.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>

#include "clock.h"
#include "devices.h"

int tcseg_dev_attach(const char *pin_dir, const struct tcseg_maps *m,
		     int ifindex, const char *name,
		     const struct tcseg_dev_opts *o, enum attach_mode mode,
		     int *tcx, char *err, size_t errlen)
{
	struct tcseg_dev dev = { 0 }, old;
	char aerr[256];
	int had, ret;

	*tcx = 0;
	had = !bpf_map_lookup_elem(m->devs, &ifindex, &old);
	dev.default_action = o->default_action;
	dev.flags = o->audit ? TCSEG_DEV_F_AUDIT : 0;
	if (had && o->keep) {
		dev.default_action = old.default_action;
		dev.flags = old.flags & (TCSEG_DEV_F_AUDIT | TCSEG_DEV_F_BOUND);
		dev.n_addrs4 = old.n_addrs4;
		memcpy(dev.addrs4, old.addrs4, sizeof(dev.addrs4));
	}
	dev.attached_ns = had ? old.attached_ns : mono_ns();
	memcpy(dev.name, name, strnlen(name, sizeof(dev.name)));
	/* settings first: the program must see the pod from its first packet */
	if (bpf_map_update_elem(m->devs, &ifindex, &dev, BPF_ANY)) {
		ret = -errno;
		snprintf(err, errlen, "cannot write device entry: %s "
			 "(too many devices?)", strerror(-ret));
		return ret;
	}
	ret = tcseg_attach(pin_dir, ifindex, mode, tcx, aerr, sizeof(aerr));
	if (ret) {
		if (had)
			bpf_map_update_elem(m->devs, &ifindex, &old, BPF_ANY);
		else
			bpf_map_delete_elem(m->devs, &ifindex);
		snprintf(err, errlen, "%s", aerr);
		return ret;
	}
	if (had && (old.flags & TCSEG_DEV_F_TCX) && !*tcx)
		tcseg_detach(pin_dir, ifindex, 1, NULL, 0);
	if (had && !(old.flags & TCSEG_DEV_F_TCX) && *tcx)
		tcseg_detach(pin_dir, ifindex, 0, NULL, 0);
	if (*tcx) {
		dev.flags |= TCSEG_DEV_F_TCX;
		bpf_map_update_elem(m->devs, &ifindex, &dev, BPF_ANY);
	}
	/* a new pod default or audit setting applies to live flows too */
	if (had && (old.default_action != dev.default_action ||
		    (old.flags ^ dev.flags) & TCSEG_DEV_F_AUDIT))
		tcseg_policy_bump(m);
	return 0;
}

int dev_bind_addrs(int devs_fd, __u32 ifindex, const __be32 *addrs, int n)
{
	struct tcseg_dev dev;

	if (n < 0 || n > TCSEG_DEV_MAX_ADDRS4)
		return -E2BIG;
	if (bpf_map_lookup_elem(devs_fd, &ifindex, &dev))
		return -errno;
	memset(dev.addrs4, 0, sizeof(dev.addrs4));
	if (n)
		memcpy(dev.addrs4, addrs, (size_t)n * sizeof(addrs[0]));
	dev.n_addrs4 = (__u8)n;
	if (n)
		dev.flags |= TCSEG_DEV_F_BOUND;
	else
		dev.flags &= (__u8)~TCSEG_DEV_F_BOUND;
	/* BPF_EXIST: a device detached meanwhile is not brought back */
	if (bpf_map_update_elem(devs_fd, &ifindex, &dev, BPF_EXIST))
		return -errno;
	return 0;
}
