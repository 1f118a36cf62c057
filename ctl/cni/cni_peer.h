/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which host interface is the container's veth peer: the container's
 * CNI_IFNAME, asked inside its netns over rtnetlink, names its peer's
 * ifindex in ours (IFLA_LINK). Used when prevResult lists more than one
 * host-side interface (the bridge and the veth, docs/CNI.md).
 */
#ifndef TCSEG_CNI_PEER_H
#define TCSEG_CNI_PEER_H

#include <stddef.h>

/* Host ifindex of @ifname's peer in netns @netns_path, or -errno. */
int cni_peer_ifindex(const char *netns_path, const char *ifname, char *err,
		     size_t errlen);

#endif
