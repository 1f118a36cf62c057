// SPDX-License-Identifier: GPL-2.0
/*
 * BPF_PROG_TEST_RUN suite of the tcseg data plane. Runs every case of
 * every area table against a fresh copy of the BPF object, inside a
 * private network namespace holding one veth pair (the two "pods").
 *
 * Usage: test_datapath [-v] [-f] [NAME-SUBSTRING...]
 *   -v  libbpf info messages   -f  load a fresh object for every case
 * Prints "PASS name" / "FAIL name: why" per case and "N passed, N failed".
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_link.h>
#include <linux/veth.h>
#include "harness6.h"

static int verbose;

static int libbpf_log(enum libbpf_print_level level, const char *fmt,
		      va_list ap)
{
	if (level == LIBBPF_DEBUG || (level == LIBBPF_INFO && !verbose))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

struct nlreq {
	struct nlmsghdr nh;
	struct ifinfomsg ifi;
	char buf[256];
};

static struct rtattr *nl_put(struct nlmsghdr *nh, unsigned short type,
			     const void *data, size_t len)
{
	struct rtattr *a = (void *)((char *)nh + NLMSG_ALIGN(nh->nlmsg_len));

	a->rta_type = type;
	a->rta_len = RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(a), data, len);
	nh->nlmsg_len = NLMSG_ALIGN(nh->nlmsg_len) + RTA_ALIGN(a->rta_len);
	return a;
}

static void nl_end(struct nlmsghdr *nh, struct rtattr *nest)
{
	nest->rta_len = (char *)nh + nh->nlmsg_len - (char *)nest;
}

/* ip link add tcsegt0 type veth peer name tcsegt1, by hand. */
static int veth_create(const char *a, const char *b)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct nlreq req = {};
	struct rtattr *info, *data, *peer;
	struct ifinfomsg pi = {};
	char ack[512];
	struct nlmsgerr *e;
	ssize_t n;
	int fd, err;

	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.ifi));
	req.nh.nlmsg_type = RTM_NEWLINK;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL |
			     NLM_F_ACK;
	req.ifi.ifi_family = AF_UNSPEC;
	nl_put(&req.nh, IFLA_IFNAME, a, strlen(a) + 1);
	info = nl_put(&req.nh, IFLA_LINKINFO, NULL, 0);
	nl_put(&req.nh, IFLA_INFO_KIND, "veth", 5);
	data = nl_put(&req.nh, IFLA_INFO_DATA, NULL, 0);
	peer = nl_put(&req.nh, VETH_INFO_PEER, &pi, sizeof(pi));
	nl_put(&req.nh, IFLA_IFNAME, b, strlen(b) + 1);
	nl_end(&req.nh, peer);
	nl_end(&req.nh, data);
	nl_end(&req.nh, info);

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	err = 0;
	if (sendto(fd, &req, req.nh.nlmsg_len, 0, (struct sockaddr *)&sa,
		   sizeof(sa)) < 0) {
		err = -errno;
		goto out;
	}
	n = recv(fd, ack, sizeof(ack), 0);
	if (n < (ssize_t)NLMSG_LENGTH(sizeof(*e))) {
		err = n < 0 ? -errno : -EPROTO;
		goto out;
	}
	e = NLMSG_DATA((struct nlmsghdr *)ack);
	if (((struct nlmsghdr *)ack)->nlmsg_type == NLMSG_ERROR)
		err = e->error;
out:
	close(fd);
	return err;
}

/* A private netns with a veth pair: ifindexes the kernel will accept. */
static int netns_setup(void)
{
	int err;

	if (unshare(CLONE_NEWNET)) {
		fprintf(stderr, "unshare(CLONE_NEWNET): %s\n", strerror(errno));
		return -1;
	}
	err = veth_create("tcsegt0", "tcsegt1");
	if (err) {
		fprintf(stderr, "creating veth pair: %s\n", strerror(-err));
		return -1;
	}
	ifi_a = if_nametoindex("tcsegt0");
	ifi_b = if_nametoindex("tcsegt1");
	if (!ifi_a || !ifi_b) {
		fprintf(stderr, "veth pair has no ifindex\n");
		return -1;
	}
	return 0;
}

/*
 * One CPU for the whole run: per-CPU counters are summed anyway, but the
 * session map's per-CPU LRU lists must be the same for every packet.
 */
static void pin_cpu(void)
{
	cpu_set_t set;
	int i;

	if (sched_getaffinity(0, sizeof(set), &set))
		return;
	for (i = 0; i < CPU_SETSIZE; i++) {
		if (CPU_ISSET(i, &set)) {
			CPU_ZERO(&set);
			CPU_SET(i, &set);
			sched_setaffinity(0, sizeof(set), &set);
			return;
		}
	}
}

static int wanted(const char *name, int argc, char **argv)
{
	int i, any = 0;

	for (i = 1; i < argc; i++) {
		if (argv[i][0] == '-')
			continue;
		any = 1;
		if (strstr(name, argv[i]))
			return 1;
	}
	return !any;
}

static int run_case(const struct tb_case *c)
{
	struct tb t;
	int ret;

	tb_why[0] = 0;
	if (tb_open(&t, c->sessions)) {
		printf("FAIL %s: setup: %s\n", c->name, tb_why);
		return -1;
	}
	ret = c->fn(&t);
	tb_close(&t);
	if (ret) {
		printf("FAIL %s: %s\n", c->name, tb_why[0] ? tb_why : "failed");
		return -1;
	}
	printf("PASS %s\n", c->name);
	return 0;
}

int main(int argc, char **argv)
{
	const struct tb_case *tables[] = { cases_parse, cases_policy,
					   cases_session, cases_limits,
					   cases_hostile,
					   cases_lifetime, cases_ipv6 };
	const struct tb_case *c;
	int pass = 0, fail = 0, i;
	size_t k;

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-v"))
			verbose = 1;
		else if (!strcmp(argv[i], "-f"))
			tb_fresh = 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	libbpf_set_print(libbpf_log);
	if (geteuid()) {
		printf("SKIP bpf_datapath: needs root (BPF_PROG_TEST_RUN, netns)\n");
		return 0;
	}
	if (netns_setup()) {
		printf("FAIL bpf_datapath_setup: no private netns with a veth pair\n");
		return 1;
	}
	pin_cpu();
	for (k = 0; k < sizeof(tables) / sizeof(tables[0]); k++) {
		for (c = tables[k]; c->name; c++) {
			if (!wanted(c->name, argc, argv))
				continue;
			if (run_case(c))
				fail++;
			else
				pass++;
		}
	}
	tb_cleanup();
	printf("%d passed, %d failed\n", pass, fail);
	return fail ? 1 : 0;
}
