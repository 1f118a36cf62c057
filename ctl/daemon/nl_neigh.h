/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where the kernel's own tables put an address: its neighbour entry
 * (ARP, NDP) gives a MAC and a device; when that device is a bridge, the
 * bridge's forwarding database gives the port. rtnetlink dumps
 * (RTM_GETNEIGH for AF_INET/AF_INET6 and AF_BRIDGE, RTM_GETLINK), every
 * message checked (ctl/lib/nl_req.h, mnl attribute validation). No daemon
 * state. docs/DAEMON.md §Pod veths.
 */
#ifndef TCSEG_NL_NEIGH_H
#define TCSEG_NL_NEIGH_H

#include <stdbool.h>
#include <linux/types.h>
#include <linux/netlink.h>

/* One neighbour entry (RTM_NEWNEIGH of AF_INET or AF_INET6). */
struct nl_neigh {
	__u8 family;		/* AF_INET, AF_INET6 */
	__u8 addr[16];		/* network order; IPv4 in the first 4 */
	__u32 ifindex;
	__u8 mac[6];
	bool has_mac;		/* NDA_LLADDR of 6 bytes */
	__u16 state;		/* NUD_* */
	__u8 flags;		/* NTF_* */
};

/* One bridge FDB entry (RTM_NEWNEIGH of AF_BRIDGE). */
struct nl_fdb {
	__u8 mac[6];
	__u32 port;		/* ndm_ifindex */
	__u32 master;		/* NDA_MASTER: the bridge; 0 absent */
	__u16 state;
	__u8 flags;
};

/* Parse one message (the parts tests drive): 0 or -EBADMSG. */
int nl_neigh_parse(const struct nlmsghdr *nlh, struct nl_neigh *n);
int nl_fdb_parse(const struct nlmsghdr *nlh, struct nl_fdb *f);
/* An RTM_NEWLINK of @ifindex: 1 a bridge, 0 not, -EBADMSG. */
int nl_link_is_bridge(const struct nlmsghdr *nlh, __u32 ifindex);

/*
 * Does the entry say where @addr is? A complete entry (NUD_VALID, as
 * /proc/net/arp's ATF_COM) of @family for @addr with a MAC and a device,
 * not a proxy entry.
 */
bool nl_neigh_usable(const struct nl_neigh *n, int family, const void *addr);
/*
 * Does the entry put @mac on a port of bridge @br? A learned or static
 * entry of @br (not the bridge's own addresses: NUD_PERMANENT, as
 * brforward's is_local) on a port other than the bridge itself.
 */
bool nl_fdb_usable(const struct nl_fdb *f, __u32 br, const __u8 *mac);

/*
 * The device behind which the kernel's tables put @addr (@family
 * AF_INET or AF_INET6, network order), in the caller's network
 * namespace: the port of a bridge, or the neighbour's device. 0 when
 * unknown; -errno when the kernel could not be asked.
 */
long nl_neigh_port(int family, const void *addr);

#endif
