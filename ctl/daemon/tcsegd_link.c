// SPDX-License-Identifier: GPL-2.0
/*
 * tcsegd: new links as the kernel announces them (rtnetlink, RTMGRP_LINK),
 * so a pod's veth matching attach_pattern is attached the moment it
 * appears, not at the next rescan. The periodic rescan stays as the
 * backstop (a full socket buffer loses notifications: ENOBUFS).
 * Messages are checked like any outside input: sender (the kernel, port
 * 0), lengths, attribute bounds (libmnl, ctl/lib/nl_req.h).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <libmnl/libmnl.h>

#include "lib/nl_req.h"
#include "daemon/tcsegd_link.h"

int link_watch_open(void)
{
	struct sockaddr_nl a = { .nl_family = AF_NETLINK,
				 .nl_groups = RTMGRP_LINK };
	int fd;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a))) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

/* IFLA_IFNAME of one RTM_NEWLINK message into @name; 0 or -EINVAL. */
static int newlink_name(const struct nlmsghdr *nh, char *name, size_t len)
{
	const struct nlattr *tb[IFLA_MAX + 1];
	size_t n;

	if (nl_payload_len(nh) < sizeof(struct ifinfomsg) ||
	    nl_attrs(nh, sizeof(struct ifinfomsg), tb, IFLA_MAX) ||
	    !tb[IFLA_IFNAME] ||
	    mnl_attr_validate(tb[IFLA_IFNAME], MNL_TYPE_NUL_STRING) < 0)
		return -EINVAL;
	n = strlen(mnl_attr_get_str(tb[IFLA_IFNAME]));
	if (!n || n >= len)
		return -EINVAL;
	memcpy(name, mnl_attr_get_str(tb[IFLA_IFNAME]), n + 1);
	return 0;
}

struct link_seen {
	link_cb cb;
	void *arg;
	int seen;
};

static int link_msg(const struct nlmsghdr *nh, void *arg)
{
	struct link_seen *s = arg;
	char name[LINK_NAME_MAX];

	if (nh->nlmsg_type == RTM_NEWLINK &&
	    !newlink_name(nh, name, sizeof(name))) {
		s->seen++;
		s->cb(name, s->arg);
	}
	return 0;
}

int link_watch_parse(const void *buf, size_t len, link_cb cb, void *arg)
{
	struct link_seen s = { .cb = cb, .arg = arg };

	/* bytes that are no message end the datagram: the rescan is there */
	nl_walk(buf, len, link_msg, &s);
	return s.seen;
}

int link_watch_read(int fd, link_cb cb, void *arg)
{
	char buf[16384] __attribute__((aligned(4)));
	struct sockaddr_nl from;
	socklen_t fl;
	ssize_t n;
	int seen = 0;

	for (;;) {
		fl = sizeof(from);
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from,
			     &fl);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* ENOBUFS: some were lost, the rescan finds them */
			return errno == EAGAIN ? seen : -errno;
		}
		if (fl != sizeof(from) || from.nl_family != AF_NETLINK ||
		    from.nl_pid != 0)
			continue;	/* only the kernel speaks here */
		seen += link_watch_parse(buf, (size_t)n, cb, arg);
	}
}
