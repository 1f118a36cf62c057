/* SPDX-License-Identifier: GPL-2.0 */
/* tcsegd: rtnetlink link notifications (ctl/daemon/tcsegd_link.c). */
#ifndef TCSEG_TCSEGD_LINK_H
#define TCSEG_TCSEGD_LINK_H

#include <stddef.h>

#define LINK_NAME_MAX	16	/* IFNAMSIZ */

typedef void (*link_cb)(const char *name, void *arg);

/* A non-blocking NETLINK_ROUTE socket in RTMGRP_LINK; fd or -errno. */
int link_watch_open(void);
/* Drain @fd: @cb for the name of every RTM_NEWLINK; count, or -errno. */
int link_watch_read(int fd, link_cb cb, void *arg);
/* One datagram's messages (the part link_watch_read checks; tests). */
int link_watch_parse(const void *buf, size_t len, link_cb cb, void *arg);

#endif
