// SPDX-License-Identifier: GPL-2.0
/*
 * The chaining test's other program (count.bpf.c) on a device's ingress:
 *   chain_count attach DEV tcx|tc first|last DIR
 *       load, attach at that end of the chain (tcx: BPF_F_BEFORE /
 *       BPF_F_AFTER; clsact: priority 0x100 / 0xf000, inside tcseg's own
 *       first 1 and last 0xffff), pin in DIR
 *   chain_count read DIR                "N9000 N9001" packets seen
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dataplane/attach.h"
#include "chain/count.skel.h"

static int attach(const char *dev, const char *mode, int first,
		  const char *dir)
{
	int ifindex = if_nametoindex(dev), fd, ret;
	struct count_bpf *s;
	char p[4096];

	if (!ifindex)
		return fprintf(stderr, "no device %s\n", dev), 1;
	s = count_bpf__open_and_load();
	if (!s)
		return fprintf(stderr, "load: %s\n", strerror(errno)), 1;
	snprintf(p, sizeof(p), "%s/counts", dir);
	ret = bpf_map__pin(s->maps.chain_counts, p);
	fd = bpf_program__fd(s->progs.chain_count);
	if (!ret && !strcmp(mode, "tcx")) {
		int l = tcseg_tcx_link_create(fd, ifindex, 1, first ?
						  ATTACH_POS_FIRST :
						  ATTACH_POS_LAST);

		snprintf(p, sizeof(p), "%s/link", dir);
		ret = l < 0 ? -errno : bpf_obj_pin(l, p);
	} else if (!ret) {
		LIBBPF_OPTS(bpf_tc_hook, h, .ifindex = ifindex,
			    .attach_point = BPF_TC_INGRESS);
		LIBBPF_OPTS(bpf_tc_opts, o, .prog_fd = fd, .handle = 0xc0c0,
			    .priority = first ? 0x100 : 0xf000);

		ret = bpf_tc_hook_create(&h);
		if (!ret || ret == -EEXIST)
			ret = bpf_tc_attach(&h, &o);
	}
	count_bpf__destroy(s);	/* the pins and the filter keep it */
	if (ret)
		fprintf(stderr, "attach %s %s: %s\n", dev, mode, strerror(-ret));
	return !!ret;
}

static int read_counts(const char *dir)
{
	__u64 v[2] = { 0 };
	char p[4096];
	__u32 k;
	int fd;

	snprintf(p, sizeof(p), "%s/counts", dir);
	fd = bpf_obj_get(p);
	if (fd < 0)
		return fprintf(stderr, "%s: %s\n", p, strerror(errno)), 1;
	for (k = 0; k < 2; k++)
		bpf_map_lookup_elem(fd, &k, &v[k]);
	printf("%llu %llu\n", (unsigned long long)v[0], (unsigned long long)v[1]);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 6 && !strcmp(argv[1], "attach"))
		return attach(argv[2], argv[3], !strcmp(argv[4], "first"),
			      argv[5]);
	if (argc == 3 && !strcmp(argv[1], "read"))
		return read_counts(argv[2]);
	fprintf(stderr, "usage: chain_count attach DEV tcx|tc first|last DIR | read DIR\n");
	return 2;
}
