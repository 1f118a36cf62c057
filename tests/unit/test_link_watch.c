// SPDX-License-Identifier: GPL-2.0
/*
 * ctl/daemon/tcsegd_link.c: rtnetlink link notifications. A well-formed
 * RTM_NEWLINK gives its name; truncated messages, names without a
 * terminator or too long, attributes running past the message, other
 * message types give nothing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "daemon/tcsegd_link.h"

struct seen {
	int n;
	char last[LINK_NAME_MAX];
};

static void cb(const char *name, void *arg)
{
	struct seen *s = arg;

	s->n++;
	strncpy(s->last, name, sizeof(s->last) - 1);
}

/* One message of @type with an IFLA_IFNAME of @nlen bytes at @buf. */
static size_t msg(void *buf, __u16 type, const char *name, size_t nlen)
{
	struct nlmsghdr *nh = buf;
	struct ifinfomsg *ifi;
	struct rtattr *rta;

	memset(buf, 0, 256);
	nh->nlmsg_type = type;
	ifi = NLMSG_DATA(nh);
	ifi->ifi_index = 7;
	rta = IFLA_RTA(ifi);
	rta->rta_type = IFLA_IFNAME;
	rta->rta_len = RTA_LENGTH(nlen);
	memcpy(RTA_DATA(rta), name, nlen);
	nh->nlmsg_len = NLMSG_LENGTH(sizeof(*ifi)) + RTA_ALIGN(rta->rta_len);
	return nh->nlmsg_len;
}

static void newlink_name_reported(void **state)
{
	char buf[512] __attribute__((aligned(4)));
	struct seen s = { 0 };
	size_t l = msg(buf, RTM_NEWLINK, "veth12", 7);

	(void)state;
	assert_int_equal(link_watch_parse(buf, l, cb, &s), 1);
	assert_string_equal(s.last, "veth12");
}

static void two_messages_in_one_datagram(void **state)
{
	char buf[512] __attribute__((aligned(4)));
	struct seen s = { 0 };
	size_t l = msg(buf, RTM_NEWLINK, "a0", 3);

	(void)state;
	l = NLMSG_ALIGN(l);
	l += msg(buf + l, RTM_NEWLINK, "b1", 3);
	assert_int_equal(link_watch_parse(buf, l, cb, &s), 2);
	assert_string_equal(s.last, "b1");
}

static void other_types_ignored(void **state)
{
	char buf[512] __attribute__((aligned(4)));
	struct seen s = { 0 };
	size_t l = msg(buf, RTM_DELLINK, "veth1", 6);

	(void)state;
	assert_int_equal(link_watch_parse(buf, l, cb, &s), 0);
	l = msg(buf, NLMSG_ERROR, "veth1", 6);
	assert_int_equal(link_watch_parse(buf, l, cb, &s), 0);
	assert_int_equal(s.n, 0);
}

static void hostile_names_refused(void **state)
{
	char buf[512] __attribute__((aligned(4)));
	char longname[40];
	struct seen s = { 0 };
	size_t l;

	(void)state;
	memset(longname, 'x', sizeof(longname));
	/* 16 bytes, no terminator inside IFNAMSIZ */
	l = msg(buf, RTM_NEWLINK, longname, 16);
	assert_int_equal(link_watch_parse(buf, l, cb, &s), 0);
	/* far too long */
	l = msg(buf, RTM_NEWLINK, longname, sizeof(longname));
	assert_int_equal(link_watch_parse(buf, l, cb, &s), 0);
	/* empty */
	l = msg(buf, RTM_NEWLINK, "", 1);
	assert_int_equal(link_watch_parse(buf, l, cb, &s), 0);
	assert_int_equal(s.n, 0);
}

static void truncated_messages_refused(void **state)
{
	char buf[512] __attribute__((aligned(4)));
	struct nlmsghdr *nh = (struct nlmsghdr *)buf;
	struct rtattr *rta;
	struct seen s = { 0 };
	size_t l = msg(buf, RTM_NEWLINK, "veth1", 6), cut;

	(void)state;
	/* every shorter datagram: never a name read past the end */
	for (cut = 0; cut < l; cut++)
		link_watch_parse(buf, cut, cb, &s);
	assert_int_equal(s.n, 0);
	/* header claims more than the datagram holds */
	nh->nlmsg_len = (__u32)l + 64;
	assert_int_equal(link_watch_parse(buf, l, cb, &s), 0);
	/* header too short for an ifinfomsg */
	nh->nlmsg_len = NLMSG_LENGTH(4);
	assert_int_equal(link_watch_parse(buf, l, cb, &s), 0);
	/* attribute longer than the message */
	l = msg(buf, RTM_NEWLINK, "veth1", 6);
	rta = IFLA_RTA((struct ifinfomsg *)NLMSG_DATA(nh));
	rta->rta_len = 200;
	assert_int_equal(link_watch_parse(buf, l, cb, &s), 0);
	assert_int_equal(s.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(newlink_name_reported),
		cmocka_unit_test(two_messages_in_one_datagram),
		cmocka_unit_test(other_types_ignored),
		cmocka_unit_test(hostile_names_refused),
		cmocka_unit_test(truncated_messages_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
