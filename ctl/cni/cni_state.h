/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The plugin's record of each pod it set up, one JSON file a
 * (container, interface) in the state dir (default /run/tcseg/cni):
 * DEL finds the host veth in it when the runtime no longer knows it, and
 * it is the pod registration that outlives tcsegd (docs/CNI.md).
 */
#ifndef TCSEG_CNI_STATE_H
#define TCSEG_CNI_STATE_H

#include "cni/cni_conf.h"

struct cni_state {
	char container_id[CNI_ID_MAX + 1];
	char ifname[IF_NAMESIZE];	/* in the container */
	char host_if[IF_NAMESIZE];
	int ifindex;			/* of host_if */
	char network[64];
	struct cni_args names;
	__u8 def;
	int n_addrs4;
	__be32 addrs4[TCSEG_DEV_MAX_ADDRS4];
};

/* Write atomically (temporary file, rename). 0 or -errno. */
int cni_state_write(const char *dir, const struct cni_state *s);
/* Read the record of (@id, @ifname): 0, -ENOENT when there is none, or
 * -EINVAL when it is damaged. */
int cni_state_read(const char *dir, const char *id, const char *ifname,
		   struct cni_state *s);
int cni_state_remove(const char *dir, const char *id, const char *ifname);

#endif
