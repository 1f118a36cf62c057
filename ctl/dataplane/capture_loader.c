// SPDX-License-Identifier: GPL-2.0
/* Socket capture loader: probe, load, attach (see capture_loader.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "tcseg.h"
#include "dataplane/capture_loader.h"
#include "capture.skel.h"

#define errf(fmt, ...) snprintf(err, errlen, fmt, ##__VA_ARGS__)

struct tcseg_capture {
	struct capture_bpf *skel;
	enum capture_variant variant;
	bool accept_exit;	/* tcseg_cap_sys_exit attached */
};

const char *tcseg_capture_variant_name(enum capture_variant v)
{
	switch (v) {
	case CAPTURE_TP:
		return "tracepoint";
	case CAPTURE_KPROBE:
		return "kprobe";
	default:
		return "auto";
	}
}

int tcseg_capture_parse_variant(const char *s, enum capture_variant *v)
{
	if (!strcmp(s, "auto"))
		*v = CAPTURE_AUTO;
	else if (!strcmp(s, "tracepoint") || !strcmp(s, "tp"))
		*v = CAPTURE_TP;
	else if (!strcmp(s, "kprobe"))
		*v = CAPTURE_KPROBE;
	else
		return -EINVAL;
	return 0;
}

/* Does the running kernel have the BTF tracepoint @name? */
static bool kernel_has_btf_tp(const char *name)
{
	char type[128];
	struct btf *vmlinux = btf__load_vmlinux_btf();
	bool found;

	if (!vmlinux)
		return false;
	snprintf(type, sizeof(type), "btf_trace_%s", name);
	found = btf__find_by_name_kind(vmlinux, type, BTF_KIND_TYPEDEF) > 0;
	btf__free(vmlinux);
	return found;
}

/* Reuse every map already pinned under @pin_dir, whatever its size. */
static int reuse_pinned(struct bpf_object *obj, const char *pin_dir)
{
	char p[PATH_MAX];
	struct bpf_map *m;
	int fd, ret;

	bpf_object__for_each_map(m, obj) {
		snprintf(p, sizeof(p), "%s/%s", pin_dir, bpf_map__name(m));
		fd = bpf_obj_get(p);
		if (fd < 0)
			continue;
		ret = bpf_map__reuse_fd(m, fd);
		close(fd);
		if (ret)
			return ret;
	}
	return 0;
}

/* The syscalls/NAME tracepoint exists (tracefs or debugfs). */
static bool kernel_has_syscall_tp(const char *name)
{
	static const char *const roots[] = { "/sys/kernel/tracing",
					     "/sys/kernel/debug/tracing" };
	char p[PATH_MAX];
	unsigned int i;

	for (i = 0; i < 2; i++) {
		snprintf(p, sizeof(p), "%s/events/syscalls/%s", roots[i], name);
		if (access(p, F_OK) == 0)
			return true;
	}
	return false;
}

static void select_progs(struct capture_bpf *s, enum capture_variant v)
{
	bool tp = v == CAPTURE_TP, kp = v == CAPTURE_KPROBE;
	bool defer = tp && kernel_has_syscall_tp("sys_exit_connect");

	/* connect records with the real source port (docs/CAPTURE.md) */
	bpf_program__set_autoload(s->progs.tcseg_cap_connect_exit, defer);
	s->rodata->cap_defer_connect = !defer ? 0 :
		getenv(CAPTURE_DEFER_ALL_ENV) ? 2 : 1;
	bpf_program__set_autoload(s->progs.tcseg_cap_state, tp);
	bpf_program__set_autoload(s->progs.tcseg_cap_send,
				  tp && kernel_has_btf_tp("tcp_sendmsg_locked"));
	/* its syscall numbers are x86-64's (bpf/capture.bpf.c) */
#if defined(__x86_64__)
	bpf_program__set_autoload(s->progs.tcseg_cap_sys_exit, tp);
#else
	bpf_program__set_autoload(s->progs.tcseg_cap_sys_exit, false);
#endif
	bpf_program__set_autoload(s->progs.tcseg_kp_connect, kp);
	bpf_program__set_autoload(s->progs.tcseg_kp_connect_ret, kp);
	bpf_program__set_autoload(s->progs.tcseg_kp_connect6, kp);
	bpf_program__set_autoload(s->progs.tcseg_kp_connect6_ret, kp);
	bpf_program__set_autoload(s->progs.tcseg_kp_sendmsg, kp);
	bpf_program__set_autoload(s->progs.tcseg_kp_accept_ret, kp);
}

static int attach_progs(struct capture_bpf *s)
{
	struct bpf_program *p;
	struct bpf_link *l;

	bpf_object__for_each_program(p, s->obj) {
		if (!bpf_program__autoload(p))
			continue;
		l = bpf_program__attach(p);
		if (!l)
			return -errno;
		/* the skeleton destroys what it attached */
		if (p == s->progs.tcseg_cap_state)
			s->links.tcseg_cap_state = l;
		else if (p == s->progs.tcseg_cap_send)
			s->links.tcseg_cap_send = l;
		else if (p == s->progs.tcseg_cap_sys_exit)
			s->links.tcseg_cap_sys_exit = l;
		else if (p == s->progs.tcseg_kp_connect)
			s->links.tcseg_kp_connect = l;
		else if (p == s->progs.tcseg_kp_connect_ret)
			s->links.tcseg_kp_connect_ret = l;
		else if (p == s->progs.tcseg_kp_connect6)
			s->links.tcseg_kp_connect6 = l;
		else if (p == s->progs.tcseg_kp_connect6_ret)
			s->links.tcseg_kp_connect6_ret = l;
		else if (p == s->progs.tcseg_kp_sendmsg)
			s->links.tcseg_kp_sendmsg = l;
		else if (p == s->progs.tcseg_cap_connect_exit)
			s->links.tcseg_cap_connect_exit = l;
		else
			s->links.tcseg_kp_accept_ret = l;
	}
	return 0;
}

static int try_variant(const char *pin_dir, enum capture_variant v,
		       struct capture_bpf **out, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = pin_dir);
	struct capture_bpf *s;
	int ret;

	s = capture_bpf__open_opts(&opts);
	if (!s) {
		ret = -errno;
		errf("cannot open the capture object: %s", strerror(-ret));
		return ret;
	}
	select_progs(s, v);
	ret = reuse_pinned(s->obj, pin_dir);
	if (ret) {
		errf("cannot reuse the pinned maps in %s: %s", pin_dir,
		     strerror(-ret));
		goto fail;
	}
	ret = capture_bpf__load(s);
	if (ret) {
		errf("%s capture does not load on this kernel: %s",
		     tcseg_capture_variant_name(v), strerror(-ret));
		goto fail;
	}
	ret = attach_progs(s);
	if (ret) {
		errf("%s capture does not attach on this kernel: %s",
		     tcseg_capture_variant_name(v), strerror(-ret));
		goto fail;
	}
	*out = s;
	return 0;
fail:
	capture_bpf__destroy(s);
	return ret;
}

int tcseg_capture_load(const char *pin_dir, enum capture_variant want,
		       struct tcseg_capture **out, char *err, size_t errlen)
{
	struct tcseg_capture *c = calloc(1, sizeof(*c));
	char first[256] = "";
	int ret;

	if (!c)
		return -ENOMEM;
	c->variant = want == CAPTURE_AUTO ? CAPTURE_TP : want;
	ret = try_variant(pin_dir, c->variant, &c->skel, err, errlen);
	if (ret && want == CAPTURE_AUTO) {
		snprintf(first, sizeof(first), "%s", err);
		c->variant = CAPTURE_KPROBE;
		ret = try_variant(pin_dir, c->variant, &c->skel, err, errlen);
		if (ret) {
			size_t n = strlen(err);

			snprintf(err + n, errlen - n, "; %s", first);
		}
	}
	if (ret) {
		free(c);
		return ret;
	}
	c->accept_exit = bpf_program__autoload(c->skel->progs.tcseg_cap_sys_exit);
	*out = c;
	return 0;
}

void tcseg_capture_destroy(struct tcseg_capture *c)
{
	if (!c)
		return;
	tcseg_capture_set_hold(c, false);
	capture_bpf__destroy(c->skel);
	free(c);
}

enum capture_variant tcseg_capture_variant(const struct tcseg_capture *c)
{
	return c->variant;
}

bool tcseg_capture_accept_exit(const struct tcseg_capture *c)
{
	return c->accept_exit;
}

int tcseg_capture_events_fd(const struct tcseg_capture *c)
{
	return bpf_map__fd(c->skel->maps.tcseg_sock_events);
}

int tcseg_capture_pods_fd(const struct tcseg_capture *c)
{
	return bpf_map__fd(c->skel->maps.tcseg_cap_pods);
}

int tcseg_capture_held_fd(const struct tcseg_capture *c)
{
	return bpf_map__fd(c->skel->maps.tcseg_held);
}

int tcseg_capture_isn_fd(const struct tcseg_capture *c)
{
	return c ? bpf_map__fd(c->skel->maps.tcseg_sock_isn) : -1;
}

int tcseg_capture_set_hold(const struct tcseg_capture *c, bool hold)
{
	struct tcseg_cap_config cc = {
		.flags = (hold ? TCSEG_CAP_F_HOLD : 0) |
			 (c->accept_exit ? TCSEG_CAP_F_ACCEPT_EXIT : 0),
	};
	__u32 zero = 0;

	return bpf_map_update_elem(bpf_map__fd(c->skel->maps.tcseg_cap_config),
				   &zero, &cc, BPF_ANY) ? -errno : 0;
}
