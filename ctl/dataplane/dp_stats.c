// SPDX-License-Identifier: GPL-2.0
/* What the data path counts, read for tcctl stats and tcsegd's metrics. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dataplane/dp_stats.h"

int dp_counters_read(const struct tcseg_maps *m, __u64 *out)
{
	int ncpu = libbpf_num_possible_cpus(), c;
	__u64 *v;
	__u32 i;

	if (ncpu <= 0)
		return -EINVAL;
	v = calloc(ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < TCSEG_STAT_MAX; i++) {
		out[i] = 0;
		if (bpf_map_lookup_elem(m->stats, &i, v))
			continue;
		for (c = 0; c < ncpu; c++)
			out[i] += v[c];
	}
	free(v);
	return 0;
}

__u64 dp_map_count(int fd, size_t ksize)
{
	char key[64] = { 0 }, next[64] = { 0 };
	__u64 n = 0;
	void *prev = NULL;

	if (ksize > sizeof(key))
		return 0;
	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(key, next, ksize);
		prev = key;
		n++;
	}
	return n;
}

void dp_fill_read(const struct tcseg_maps *m, __u64 sessions,
		  struct dp_fill *f, unsigned int mask)
{
	static const char *const names[DP_FILL_N] = {
		"sessions", "rules", "exact", "cidr", "src_classes", "devs",
		"frags",
	};
	struct tcseg_config cfg = { 0 };
	struct tcseg_policy_fds p;
	struct {
		int fd;
		size_t ksize;
	} src[DP_FILL_N];
	unsigned int i;

	/* the live policy set (docs/DATAPATH.md "Atomic policy replace") */
	tcseg_config_get(m, &cfg);
	p = tcseg_policy_fds(m, cfg.policy_set & 1);
	src[DP_FILL_SESSIONS].fd = m->sessions;
	src[DP_FILL_RULES].fd = m->rules;
	src[DP_FILL_RULES].ksize = sizeof(__u32);
	src[DP_FILL_EXACT].fd = p.exact;
	src[DP_FILL_EXACT].ksize = sizeof(struct tcseg_exact_key);
	src[DP_FILL_CIDR].fd = p.cidr;
	src[DP_FILL_CIDR].ksize = sizeof(struct tcseg_cidr_key);
	src[DP_FILL_SRC_CLASSES].fd = p.src_class;
	src[DP_FILL_SRC_CLASSES].ksize = sizeof(struct tcseg_src_key);
	src[DP_FILL_DEVS].fd = m->devs;
	src[DP_FILL_DEVS].ksize = sizeof(__u32);
	src[DP_FILL_FRAGS].fd = m->frags;
	src[DP_FILL_FRAGS].ksize = sizeof(struct tcseg_frag_key);
	for (i = 0; i < DP_FILL_N; i++) {
		if (!(mask & (1u << i)))
			continue;
		f[i].name = names[i];
		f[i].max = tcseg_map_max(src[i].fd);
		f[i].used = i == DP_FILL_SESSIONS ? sessions :
			    dp_map_count(src[i].fd, src[i].ksize);
	}
}

const char *dp_level_name(__u64 used, __u32 max)
{
	if (max && used * 100 >= (__u64)max * 90)
		return "critical";
	if (max && used * 100 >= (__u64)max * 70)
		return "warning";
	return "normal";
}
