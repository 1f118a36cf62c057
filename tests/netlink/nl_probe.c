// SPDX-License-Identifier: GPL-2.0
/*
 * The daemon's netlink lookups on the real kernel (tests/suites/57-netlink.sh):
 *   nl_probe neigh ADDR                      where the neighbour tables put ADDR
 *   nl_probe sock NSPATH LADDR LPORT RADDR RPORT [COOKIE]
 * Prints the answer on one line; exit 0 unless the arguments are bad.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "daemon/nl_neigh.h"
#include "daemon/sock_diag.h"

static int addr(const char *s, union tcseg_addr *a, __u8 *family)
{
	memset(a, 0, sizeof(*a));
	*family = strchr(s, ':') ? TCSEG_FAMILY_V6 : TCSEG_FAMILY_V4;
	return inet_pton(*family == TCSEG_FAMILY_V6 ? AF_INET6 : AF_INET, s,
			 a->b) == 1 ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct sock_diag_q q = { 0 };
	union tcseg_addr a;
	unsigned long ino = 0;
	__u8 f, rf;
	int ns, r;

	if (argc == 3 && !strcmp(argv[1], "neigh") && !addr(argv[2], &a, &f)) {
		printf("%ld\n", nl_neigh_port(f == TCSEG_FAMILY_V6 ? AF_INET6 :
					      AF_INET, a.b));
		return 0;
	}
	if ((argc != 7 && argc != 8) || strcmp(argv[1], "sock") ||
	    addr(argv[3], &q.laddr, &q.family) || addr(argv[5], &q.raddr, &rf) ||
	    rf != q.family) {
		fprintf(stderr, "usage: nl_probe neigh ADDR | sock NSPATH LADDR "
			"LPORT RADDR RPORT [COOKIE]\n");
		return 2;
	}
	q.lport = htons((__u16)atoi(argv[4]));
	q.rport = htons((__u16)atoi(argv[6]));
	q.cookie = argc == 8 ? strtoull(argv[7], NULL, 0) : 0;
	ns = open(argv[2], O_RDONLY | O_CLOEXEC);
	if (ns < 0) {
		perror(argv[2]);
		return 2;
	}
	r = sock_diag_find(ns, &q, &ino);
	if (r == SOCK_DIAG_FOUND)
		printf("found %lu\n", ino);
	else if (r == SOCK_DIAG_PENDING)
		printf("pending\n");
	else if (r == SOCK_DIAG_ABSENT)
		printf("absent\n");
	else
		printf("error %s\n", strerror(-r));
	close(ns);
	return 0;
}
