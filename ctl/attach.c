// SPDX-License-Identifier: GPL-2.0
/* tcx / clsact attachment of the data plane (see attach.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "attach.h"
#include "loader.h"

/* Debian 12's uapi headers predate tcx (Linux 6.6). */
#define TCSEG_BPF_TCX_INGRESS 46
#define TCSEG_BPF_TCX_EGRESS 47

/* Our cls_bpf filters: fixed handle and priority so re-attach replaces. */
#define TCSEG_TC_HANDLE 0xc5e9
#define TCSEG_TC_PRIO 0xc5e9

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

static int tcx_attach_one(const char *pin_dir, int ifindex, int prog_fd,
			  const struct direction *d)
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
	fd = bpf_link_create(prog_fd, ifindex, d->tcx_type, NULL);
	if (fd < 0)
		return -errno;
	ret = bpf_obj_pin(fd, p) ? -errno : 0;
	close(fd);	/* the pin keeps the link alive */
	return ret;
}

static int tc_attach_one(int ifindex, int prog_fd, const struct direction *d)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = d->tc_point);
	LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = prog_fd,
		    .handle = TCSEG_TC_HANDLE, .priority = TCSEG_TC_PRIO,
		    .flags = BPF_TC_F_REPLACE);
	int ret;

	ret = bpf_tc_hook_create(&hook);
	if (ret && ret != -EEXIST)
		return ret;
	return bpf_tc_attach(&hook, &opts);
}

static int tc_detach_one(int ifindex, const struct direction *d)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = d->tc_point);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = TCSEG_TC_HANDLE,
		    .priority = TCSEG_TC_PRIO);
	int ret = bpf_tc_detach(&hook, &opts);

	return ret == -ENOENT || ret == -ENODEV ? 0 : ret;
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
		      const struct direction *d)
{
	int prog_fd, ret;

	prog_fd = tcseg_prog_open(pin_dir, d->prog);
	if (prog_fd < 0)
		return prog_fd;
	ret = tcx ? tcx_attach_one(pin_dir, ifindex, prog_fd, d) :
		    tc_attach_one(ifindex, prog_fd, d);
	close(prog_fd);
	return ret;
}

int tcseg_attach(const char *pin_dir, int ifindex, enum attach_mode mode,
		 int *used_tcx, char *err, size_t errlen)
{
	int tcx = mode != ATTACH_TC;
	int ret;

	ret = attach_dir(pin_dir, ifindex, tcx, &dirs[0]);
	/* probe: a kernel without tcx rejects the attach type */
	if (ret && mode == ATTACH_AUTO &&
	    (ret == -EINVAL || ret == -EOPNOTSUPP || ret == -ENOTSUP)) {
		tcx = 0;
		ret = attach_dir(pin_dir, ifindex, tcx, &dirs[0]);
	}
	if (ret) {
		errf("cannot attach %s to ifindex %d: %s",
		     tcx ? "tcx ingress" : "clsact ingress", ifindex,
		     strerror(-ret));
		return ret;
	}
	ret = attach_dir(pin_dir, ifindex, tcx, &dirs[1]);
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
