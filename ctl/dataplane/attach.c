// SPDX-License-Identifier: GPL-2.0
/* tcx / clsact attachment of the data plane (see attach.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dataplane/attach.h"
#include "dataplane/loader.h"

/* Debian 12's uapi headers predate tcx (Linux 6.6). */
#define TCSEG_BPF_TCX_INGRESS 46
#define TCSEG_BPF_TCX_EGRESS 47

/* ... and its link_create flags (Linux 6.6 uapi, include/uapi/linux/bpf.h) */
#define TCSEG_BPF_F_BEFORE (1U << 3)
#define TCSEG_BPF_F_AFTER (1U << 4)

/* Our cls_bpf filters: fixed handle and priority so re-attach replaces;
 * first / last use the ends of the priority range. */
#define TCSEG_TC_HANDLE 0xc5e9
#define TCSEG_TC_PRIO 0xc5e9
static const __u32 tc_prios[3] = {
	[ATTACH_POS_ANY] = TCSEG_TC_PRIO,
	[ATTACH_POS_FIRST] = 1,
	[ATTACH_POS_LAST] = 0xffff,
};

#define errf(fmt, ...) snprintf(err, errlen, fmt, ##__VA_ARGS__)

struct direction {
	const char *prog;	/* pinned program name */
	int tcx_type;
	enum bpf_tc_attach_point tc_point;
};

/* from_pod = what the pod sends = tc ingress of the host-side veth */
static const struct direction dirs[2] = {
	{ "from_pod", TCSEG_BPF_TCX_INGRESS, BPF_TC_INGRESS },
	{ "to_pod", TCSEG_BPF_TCX_EGRESS, BPF_TC_EGRESS },
};

static void link_path(char *buf, size_t len, const char *pin_dir, int ifindex,
		      const char *prog)
{
	snprintf(buf, len, "%s/links/%d-%s", pin_dir, ifindex, prog);
}

/* BPF_LINK_CREATE's tcx part, which Debian 12's libbpf cannot pass */
struct tcx_link_create {
	__u32 prog_fd;
	__u32 target_ifindex;
	__u32 attach_type;
	__u32 flags;
	__u32 relative_fd;	/* 0 with BEFORE/AFTER: the chain's ends */
	__u32 pad;
	__u64 expected_revision;
};

int tcseg_tcx_link_create(int prog_fd, int ifindex, int ingress,
			  enum attach_pos pos)
{
	struct tcx_link_create a = {
		.prog_fd = prog_fd, .target_ifindex = ifindex,
		.attach_type = ingress ? TCSEG_BPF_TCX_INGRESS :
					TCSEG_BPF_TCX_EGRESS,
		.flags = pos == ATTACH_POS_FIRST ? TCSEG_BPF_F_BEFORE :
			 pos == ATTACH_POS_LAST ? TCSEG_BPF_F_AFTER : 0,
	};

	return syscall(__NR_bpf, BPF_LINK_CREATE, &a, sizeof(a));
}

static int tcx_attach_one(const char *pin_dir, int ifindex, int prog_fd,
			  const struct direction *d, enum attach_pos pos)
{
	char p[PATH_MAX];
	int fd, ret;

	link_path(p, sizeof(p), pin_dir, ifindex, d->prog);
	/* attached already: swap the program in place, never a gap */
	fd = bpf_obj_get(p);
	if (fd >= 0) {
		ret = bpf_link_update(fd, prog_fd, NULL);
		close(fd);
		if (!ret)
			return 0;
		unlink(p);	/* a defunct link (device gone) */
	}
	fd = tcseg_tcx_link_create(prog_fd, ifindex,
				   d->tcx_type == TCSEG_BPF_TCX_INGRESS, pos);
	if (fd < 0)
		return -errno;
	ret = bpf_obj_pin(fd, p) ? -errno : 0;
	close(fd);	/* the pin keeps the link alive */
	return ret;
}

/* Our filter at priority @prio, if there is one. */
static int tc_detach_prio(int ifindex, const struct direction *d, __u32 prio)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = d->tc_point);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = TCSEG_TC_HANDLE,
		    .priority = prio);
	int ret = bpf_tc_detach(&hook, &opts);

	return ret == -ENOENT || ret == -ENODEV ? 0 : ret;
}

static int tc_attach_one(int ifindex, int prog_fd, const struct direction *d,
			 enum attach_pos pos)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = d->tc_point);
	LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = prog_fd,
		    .handle = TCSEG_TC_HANDLE, .priority = tc_prios[pos],
		    .flags = BPF_TC_F_REPLACE);
	int ret, i;

	ret = bpf_tc_hook_create(&hook);
	if (ret && ret != -EEXIST)
		return ret;
	ret = bpf_tc_attach(&hook, &opts);
	/* moved: ours at the other priorities go (never two tcseg filters) */
	for (i = 0; !ret && i < 3; i++)
		if (tc_prios[i] != tc_prios[pos])
			tc_detach_prio(ifindex, d, tc_prios[i]);
	return ret;
}

static int tc_detach_one(int ifindex, const struct direction *d)
{
	int i, ret, first = 0;

	for (i = 0; i < 3; i++) {
		ret = tc_detach_prio(ifindex, d, tc_prios[i]);
		if (ret && !first)
			first = ret;
	}
	return first;
}

static int tcx_detach_one(const char *pin_dir, int ifindex,
			  const struct direction *d)
{
	char p[PATH_MAX];

	/* the link is released, and the program detached, with its pin */
	link_path(p, sizeof(p), pin_dir, ifindex, d->prog);
	if (unlink(p) && errno != ENOENT)
		return -errno;
	return 0;
}

static int attach_dir(const char *pin_dir, int ifindex, int tcx,
		      const struct direction *d, enum attach_pos pos)
{
	int prog_fd, ret;

	prog_fd = tcseg_prog_open(pin_dir, d->prog);
	if (prog_fd < 0)
		return prog_fd;
	ret = tcx ? tcx_attach_one(pin_dir, ifindex, prog_fd, d, pos) :
		    tc_attach_one(ifindex, prog_fd, d, pos);
	close(prog_fd);
	return ret;
}

int tcseg_attach(const char *pin_dir, int ifindex, enum attach_mode mode,
		 enum attach_pos pos, int *used_tcx, char *err, size_t errlen)
{
	int tcx = mode != ATTACH_TC;
	int ret;

	ret = attach_dir(pin_dir, ifindex, tcx, &dirs[0], pos);
	/* probe: a kernel without tcx rejects the attach type */
	if (ret && mode == ATTACH_AUTO &&
	    (ret == -EINVAL || ret == -EOPNOTSUPP || ret == -ENOTSUP)) {
		tcx = 0;
		ret = attach_dir(pin_dir, ifindex, tcx, &dirs[0], pos);
	}
	if (ret) {
		errf("cannot attach %s to ifindex %d: %s",
		     tcx ? "tcx ingress" : "clsact ingress", ifindex,
		     strerror(-ret));
		return ret;
	}
	ret = attach_dir(pin_dir, ifindex, tcx, &dirs[1], pos);
	if (ret) {
		errf("cannot attach %s to ifindex %d: %s",
		     tcx ? "tcx egress" : "clsact egress", ifindex,
		     strerror(-ret));
		tcseg_detach(pin_dir, ifindex, tcx, NULL, 0);
		return ret;
	}
	*used_tcx = tcx;
	return 0;
}

int tcseg_detach(const char *pin_dir, int ifindex, int tcx, char *err,
		 size_t errlen)
{
	int i, ret, first = 0;

	for (i = 0; i < 2; i++) {
		ret = tcx ? tcx_detach_one(pin_dir, ifindex, &dirs[i]) :
			    tc_detach_one(ifindex, &dirs[i]);
		if (ret && !first)
			first = ret;
	}
	if (first && err)
		errf("cannot detach from ifindex %d: %s", ifindex,
		     strerror(-first));
	return first;
}
