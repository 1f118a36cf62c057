// SPDX-License-Identifier: GPL-2.0
/*
 * tcsegd: new links as the kernel announces them (rtnetlink, RTMGRP_LINK),
 * so a pod's veth matching attach_pattern is attached the moment it
 * appears, not at the next rescan. The periodic rescan stays as the
 * backstop (a full socket buffer loses notifications: ENOBUFS).
 * Messages are checked like any outside input: sender (the kernel, port
 * 0), lengths, attribute bounds.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

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
	const struct ifinfomsg *ifi = NLMSG_DATA(nh);
	const struct rtattr *rta;
	unsigned int rl;
	size_t n;

	if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return -EINVAL;
	rl = nh->nlmsg_len - NLMSG_LENGTH(sizeof(*ifi));
	for (rta = IFLA_RTA(ifi); RTA_OK(rta, rl); rta = RTA_NEXT(rta, rl)) {
		if (rta->rta_type != IFLA_IFNAME)
			continue;
		n = RTA_PAYLOAD(rta);
		n = strnlen(RTA_DATA(rta), n);
		if (!n || n >= len)
			return -EINVAL;
		memcpy(name, RTA_DATA(rta), n);
		name[n] = 0;
		return 0;
	}
	return -EINVAL;
}

int link_watch_parse(const void *buf, size_t len, link_cb cb, void *arg)
{
	const struct nlmsghdr *nh = buf;
	char name[LINK_NAME_MAX];
	int seen = 0;

	for (; NLMSG_OK(nh, len); nh = NLMSG_NEXT(nh, len)) {
		if (nh->nlmsg_type != RTM_NEWLINK)
			continue;
		if (newlink_name(nh, name, sizeof(name)))
			continue;
		seen++;
		cb(name, arg);
	}
	return seen;
}

int link_watch_read(int fd, link_cb cb, void *arg)
{
	char buf[16384] __attribute__((aligned(NLMSG_ALIGNTO)));
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
