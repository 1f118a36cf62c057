// SPDX-License-Identifier: GPL-2.0
/* The veth peer of a container interface (see cni_peer.h). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>

#include "cni/cni_peer.h"

/* A NETLINK_ROUTE socket bound inside @netns_path; we stay in ours. */
static struct mnl_socket *socket_in(const char *netns_path, char *err,
				    size_t errlen)
{
	struct mnl_socket *nl = NULL;
	int self, target, e = 0;

	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	target = open(netns_path, O_RDONLY | O_CLOEXEC);
	if (self < 0 || target < 0) {
		e = errno;
		snprintf(err, errlen, "open %s: %s", target < 0 ? netns_path :
			 "/proc/self/ns/net", strerror(e));
		goto out;
	}
	if (setns(target, CLONE_NEWNET)) {
		e = errno;
		snprintf(err, errlen, "setns %s: %s", netns_path, strerror(e));
		goto out;
	}
	nl = mnl_socket_open(NETLINK_ROUTE);
	if (!nl)
		e = errno;
	if (nl && mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID)) {
		e = errno;
		mnl_socket_close(nl);
		nl = NULL;
	}
	if (setns(self, CLONE_NEWNET)) {
		/* cannot go home: nothing after this may run */
		snprintf(err, errlen, "setns back: %s", strerror(errno));
		_exit(2);
	}
	if (!nl)
		snprintf(err, errlen, "netlink socket in %s: %s", netns_path,
			 strerror(e));
out:
	if (self >= 0)
		close(self);
	if (target >= 0)
		close(target);
	errno = e;
	return nl;
}

static int link_attr(const struct nlattr *a, void *data)
{
	if (mnl_attr_get_type(a) == IFLA_LINK &&
	    !mnl_attr_validate(a, MNL_TYPE_U32))
		*(int *)data = (int)mnl_attr_get_u32(a);
	return MNL_CB_OK;
}

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	mnl_attr_parse(nlh, sizeof(struct ifinfomsg), link_attr, data);
	return MNL_CB_OK;
}

int cni_peer_ifindex(const char *netns_path, const char *ifname, char *err,
		     size_t errlen)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;
	unsigned int seq = time(NULL), port;
	int peer = 0, ret;

	nl = socket_in(netns_path, err, errlen);
	if (!nl)
		return -errno;
	port = mnl_socket_get_portid(nl);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = seq;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname);
	ret = mnl_socket_sendto(nl, nlh, nlh->nlmsg_len);
	if (ret >= 0)
		ret = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (ret >= 0)
		ret = mnl_cb_run(buf, ret, seq, port, link_cb, &peer);
	if (ret < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s in %s: %s", ifname, netns_path,
			 strerror(errno));
	} else if (peer <= 0) {
		ret = -ENOENT;
		snprintf(err, errlen, "%s in %s has no peer (not a veth?)",
			 ifname, netns_path);
	} else {
		ret = peer;
	}
	mnl_socket_close(nl);
	return ret;
}
