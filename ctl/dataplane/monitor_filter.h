/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcctl monitor filters, as hubble observe has them (docs/DAEMON.md
 * §Monitor filters): pod NAME, ip ADDR[/LEN], verdict EVENT, rule ID.
 * One kind given more than once: any of them; different kinds: all of
 * them. With a filter, only verdict records that pass are shown (and
 * the stream's hello).
 */
#ifndef TCSEG_MONITOR_FILTER_H
#define TCSEG_MONITOR_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define MON_FILTER_MAX	16		/* of each kind */

struct mon_prefix {
	int af;				/* AF_INET or AF_INET6 */
	__u8 addr[16];
	__u8 plen;
};

struct mon_filter {
	const char *pod[MON_FILTER_MAX];
	struct mon_prefix ip[MON_FILTER_MAX];
	const char *verdict[MON_FILTER_MAX];
	__u32 rule[MON_FILTER_MAX];
	unsigned int n_pod, n_ip, n_verdict, n_rule;
};

/* The fields of one record the filters look at; NULL = absent. */
struct mon_record {
	const char *type, *event, *src, *dst, *src_pod, *dst_pod, *rule;
};

/*
 * Parse "KIND VALUE" pairs from @argv (the strings must outlive @f).
 * 0, or -1 with @err naming the word and what is wrong.
 */
int mon_filter_parse(struct mon_filter *f, int argc, char **argv, char *err,
		     size_t errlen);
bool mon_filter_any(const struct mon_filter *f);
bool mon_filter_match(const struct mon_filter *f, const struct mon_record *r);

#endif
