// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the netlink replies tcsegd reads (docs/DAEMON.md
 * §Kernel interfaces). The input is one received datagram (sequence 9,
 * port 77: the seeds use them): nl_reply_datagram() walks it and hands
 * every message of the request to each parser (neighbour, FDB, link,
 * sock_diag); link_watch_parse() reads it as link notifications.
 * Invariants: documented return values only, parsed fields in range,
 * nothing read past the datagram (a heap copy of exactly its size).
 */
#include <errno.h>
#include <sys/socket.h>
#include "lib/nl_req.h"
#include "daemon/nl_neigh.h"
#include "daemon/sock_diag.h"
#include "daemon/tcsegd_link.h"
#include "fuzz_util.h"

static int each(const struct nlmsghdr *nlh, void *arg)
{
	struct nl_neigh n;
	struct nl_fdb f;
	struct sock_diag_sock s;
	int r;

	(void)arg;
	if (!nl_neigh_parse(nlh, &n))
		FUZZ_CHECK(n.family == AF_INET || n.family == AF_INET6,
			   "neighbour family %d", n.family);
	if (!nl_fdb_parse(nlh, &f))
		FUZZ_CHECK(f.port <= 0x7fffffff, "port %u", f.port);
	r = nl_link_is_bridge(nlh, 3);
	FUZZ_CHECK(r == 0 || r == 1 || r == -EBADMSG, "is_bridge %d", r);
	if (!sock_diag_parse(nlh, &s))
		FUZZ_CHECK(s.family == TCSEG_FAMILY_V4 ||
			   s.family == TCSEG_FAMILY_V6, "family %d", s.family);
	return 0;
}

static void name_cb(const char *name, void *arg)
{
	size_t n = strlen(name);

	(void)arg;
	FUZZ_CHECK(n > 0 && n < LINK_NAME_MAX, "link name of %zu bytes", n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nl_reply r = { .seq = 9, .portid = 77, .cb = each };
	void *buf = malloc(size ? size : 1);
	int ret;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	ret = nl_reply_datagram(&r, buf, size);
	FUZZ_CHECK(ret == 0 || ret == 1 || (ret < 0 && ret > -4096),
		   "nl_reply_datagram %d", ret);
	link_watch_parse(buf, size, name_cb, NULL);
	free(buf);
	return 0;
}
