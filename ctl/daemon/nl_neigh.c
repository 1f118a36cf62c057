// SPDX-License-Identifier: GPL-2.0
/* Neighbours and the bridge FDB through rtnetlink (see nl_neigh.h). */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <libmnl/libmnl.h>

#include "daemon/nl_neigh.h"
#include "lib/nl_req.h"

/* The kernel's NUD_VALID (include/net/neighbour.h): /proc/net/arp's ATF_COM */
#define NL_NUD_VALID	(NUD_PERMANENT | NUD_NOARP | NUD_REACHABLE | \
			 NUD_PROBE | NUD_STALE | NUD_DELAY)
#define NL_NEIGH_CAND	8	/* entries of one address tried */

static size_t addr_len(int family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

/* The ndmsg and attributes of an RTM_NEWNEIGH of @family. */
static int neigh_msg(const struct nlmsghdr *nlh, int family,
		     const struct ndmsg **ndm, const struct nlattr **tb)
{
	if (nlh->nlmsg_type != RTM_NEWNEIGH ||
	    nl_payload_len(nlh) < sizeof(**ndm))
		return -EBADMSG;
	*ndm = mnl_nlmsg_get_payload(nlh);
	if ((*ndm)->ndm_family != family)
		return -EBADMSG;
	return nl_attrs(nlh, sizeof(**ndm), tb, NDA_MAX);
}

/* NDA_LLADDR of an Ethernet device: 6 bytes into @mac. */
static bool lladdr(const struct nlattr *a, __u8 *mac)
{
	if (!a || mnl_attr_get_payload_len(a) != 6)
		return false;
	memcpy(mac, mnl_attr_get_payload(a), 6);
	return true;
}

int nl_neigh_parse(const struct nlmsghdr *nlh, struct nl_neigh *n)
{
	const struct nlattr *tb[NDA_MAX + 1];
	const struct ndmsg *ndm;
	size_t al;

	memset(n, 0, sizeof(*n));
	if (nl_payload_len(nlh) < sizeof(*ndm))
		return -EBADMSG;
	ndm = mnl_nlmsg_get_payload(nlh);
	al = addr_len(ndm->ndm_family);
	if (!al || neigh_msg(nlh, ndm->ndm_family, &ndm, tb))
		return -EBADMSG;
	if (!tb[NDA_DST] || mnl_attr_get_payload_len(tb[NDA_DST]) != al)
		return -EBADMSG;
	n->family = ndm->ndm_family;
	memcpy(n->addr, mnl_attr_get_payload(tb[NDA_DST]), al);
	n->ifindex = ndm->ndm_ifindex > 0 ? (__u32)ndm->ndm_ifindex : 0;
	n->has_mac = lladdr(tb[NDA_LLADDR], n->mac);
	n->state = ndm->ndm_state;
	n->flags = ndm->ndm_flags;
	return 0;
}

int nl_fdb_parse(const struct nlmsghdr *nlh, struct nl_fdb *f)
{
	const struct nlattr *tb[NDA_MAX + 1];
	const struct ndmsg *ndm;

	memset(f, 0, sizeof(*f));
	if (neigh_msg(nlh, AF_BRIDGE, &ndm, tb) ||
	    !lladdr(tb[NDA_LLADDR], f->mac))
		return -EBADMSG;
	if (tb[NDA_MASTER]) {
		if (mnl_attr_validate(tb[NDA_MASTER], MNL_TYPE_U32) < 0)
			return -EBADMSG;
		f->master = mnl_attr_get_u32(tb[NDA_MASTER]);
	}
	f->port = ndm->ndm_ifindex > 0 ? (__u32)ndm->ndm_ifindex : 0;
	f->state = ndm->ndm_state;
	f->flags = ndm->ndm_flags;
	return 0;
}

int nl_link_is_bridge(const struct nlmsghdr *nlh, __u32 ifindex)
{
	const struct nlattr *tb[IFLA_MAX + 1], *li[IFLA_INFO_MAX + 1];
	const struct ifinfomsg *ifi;
	const char *kind;

	if (nlh->nlmsg_type != RTM_NEWLINK ||
	    nl_payload_len(nlh) < sizeof(*ifi))
		return -EBADMSG;
	ifi = mnl_nlmsg_get_payload(nlh);
	if (ifi->ifi_index <= 0 || (__u32)ifi->ifi_index != ifindex ||
	    nl_attrs(nlh, sizeof(*ifi), tb, IFLA_MAX))
		return -EBADMSG;
	if (!tb[IFLA_LINKINFO])
		return 0;
	if (nl_attrs_nested(tb[IFLA_LINKINFO], li, IFLA_INFO_MAX))
		return -EBADMSG;
	if (!li[IFLA_INFO_KIND])
		return 0;
	if (mnl_attr_validate(li[IFLA_INFO_KIND], MNL_TYPE_NUL_STRING) < 0)
		return -EBADMSG;
	kind = mnl_attr_get_str(li[IFLA_INFO_KIND]);
	return !strcmp(kind, "bridge");
}

bool nl_neigh_usable(const struct nl_neigh *n, int family, const void *addr)
{
	return n->family == family && (n->state & NL_NUD_VALID) &&
	       !(n->flags & NTF_PROXY) && n->has_mac && n->ifindex &&
	       !memcmp(n->addr, addr, addr_len(family));
}

bool nl_fdb_usable(const struct nl_fdb *f, __u32 br, const __u8 *mac)
{
	return br && f->master == br && f->port && f->port != br &&
	       !(f->state & NUD_PERMANENT) && !memcmp(f->mac, mac, 6);
}

/* ---- the requests */

struct neigh_find {
	int family;
	const void *addr;
	struct nl_neigh c[NL_NEIGH_CAND];
	unsigned int n;
};

static int neigh_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct neigh_find *q = arg;
	struct nl_neigh n;

	/* a message that does not parse is skipped, never half-used */
	if (nl_neigh_parse(nlh, &n) || !nl_neigh_usable(&n, q->family, q->addr))
		return 0;
	if (q->n < NL_NEIGH_CAND)
		q->c[q->n++] = n;
	return 0;
}

static void neigh_reset(void *arg)
{
	((struct neigh_find *)arg)->n = 0;
}

/* RTM_GETNEIGH dump of @family (AF_INET, AF_INET6, AF_BRIDGE). */
static struct nlmsghdr *neigh_dump_req(void *buf, int family)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ndmsg *ndm;

	nlh->nlmsg_type = RTM_GETNEIGH;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	ndm->ndm_family = (__u8)family;
	return nlh;
}

struct fdb_find {
	__u32 br;
	const __u8 *mac;
	__u32 port;
};

static int fdb_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct fdb_find *q = arg;
	struct nl_fdb f;

	if (!q->port && !nl_fdb_parse(nlh, &f) &&
	    nl_fdb_usable(&f, q->br, q->mac))
		q->port = f.port;	/* the first, as brforward gave it */
	return 0;
}

static void fdb_reset(void *arg)
{
	((struct fdb_find *)arg)->port = 0;
}

struct link_find {
	__u32 ifindex;
	int bridge;		/* 1, 0, -errno */
};

static int bridge_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct link_find *q = arg;

	q->bridge = nl_link_is_bridge(nlh, q->ifindex);
	return q->bridge < 0 ? q->bridge : 0;
}

/* Is @ifindex a bridge? 1, 0, -errno. */
static int is_bridge(int fd, __u32 ifindex)
{
	char buf[MNL_SOCKET_BUFFER_SIZE] __attribute__((aligned(4)));
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;
	struct link_find q = { .ifindex = ifindex, .bridge = -ENODEV };
	int ret;

	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)ifindex;
	ret = nl_request(fd, nlh, bridge_cb, NULL, &q);
	return ret ? ret : q.bridge;
}

/* The port of bridge @br that has @mac: ifindex, 0 none, -errno. */
static long bridge_port(int fd, __u32 br, const __u8 *mac)
{
	char buf[MNL_SOCKET_BUFFER_SIZE] __attribute__((aligned(4)));
	struct fdb_find q = { .br = br, .mac = mac };
	int ret;

	ret = nl_request(fd, neigh_dump_req(buf, AF_BRIDGE), fdb_cb,
			 fdb_reset, &q);
	return ret ? ret : (long)q.port;
}

long nl_neigh_port(int family, const void *addr)
{
	char buf[MNL_SOCKET_BUFFER_SIZE] __attribute__((aligned(4)));
	struct neigh_find q = { .family = family, .addr = addr };
	unsigned int i;
	long r = 0;
	int fd, b;

	if (!addr_len(family))
		return -EAFNOSUPPORT;
	fd = nl_open(NETLINK_ROUTE);
	if (fd < 0)
		return fd;
	r = nl_request(fd, neigh_dump_req(buf, family), neigh_cb, neigh_reset,
		       &q);
	/* the first entry that names a device, as /proc/net/arp's order */
	for (i = 0; !r && i < q.n; i++) {
		b = is_bridge(fd, q.c[i].ifindex);
		if (b < 0)
			r = b == -ENODEV ? 0 : b;	/* gone meanwhile */
		else if (b)
			r = bridge_port(fd, q.c[i].ifindex, q.c[i].mac);
		else
			r = q.c[i].ifindex;
	}
	close(fd);
	return r;
}
