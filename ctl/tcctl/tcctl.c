// SPDX-License-Identifier: GPL-2.0
/*
 * tcctl: drive the tcseg data plane through its pinned maps.
 *   tcctl [-j] [-p] [--pin-dir DIR] [-n NETNS] [--socket PATH] OBJECT COMMAND [ARGS]
 * Words follow iproute2: unique prefixes work, `help` at every level.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dataplane/pin_lock.h"
#include "lib/runtime.h"
#include "tcctl/tcctl.h"
#include "tcctl/tcctl_pods.h"

struct tcctl *tcctl_global;

int tcctl_err(const char *fmt, ...)
{
	va_list ap;

	fputs("tcctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

bool tcctl_is(const char *word, const char *full)
{
	size_t n = strlen(word);

	return n > 0 && n <= strlen(full) && !strncmp(word, full, n);
}

void tcctl_help(const char *what, const struct cmd *cmds)
{
	printf("Usage: tcctl [-j] [-p] [--pin-dir DIR] [-n NETNS] %s%sCOMMAND\n",
	       what ? what : "", what ? " " : "");
	for (; cmds->name; cmds++)
		if (cmds->help)
			printf("  %s\n", cmds->help);
}

/*
 * The daemon commands came after `policy`, `stats` and `sessions`: they
 * take whole words only, so `tcctl po`, `tcctl st` keep their meaning.
 */
static bool exact_only(const char *name)
{
	return !strcmp(name, "status") || !strcmp(name, "pods") ||
	       !strcmp(name, "provider");
}

int tcctl_dispatch(struct tcctl *t, const char *what, const struct cmd *cmds,
		   int argc, char **argv)
{
	const struct cmd *c, *found = NULL;
	int n = 0;

	if (argc < 1 || !strcmp(argv[0], "help") || !strcmp(argv[0], "-h") ||
	    !strcmp(argv[0], "--help")) {
		tcctl_help(what, cmds);
		return argc < 1 && what ? -1 : 0;
	}
	for (c = cmds; c->name; c++) {
		if (!strcmp(argv[0], c->name)) {
			found = c;
			n = 1;
			break;
		}
		if (!exact_only(c->name) && tcctl_is(argv[0], c->name)) {
			found = c;
			n++;
		}
	}
	if (!found)
		return tcctl_err("unknown command '%s'%s%s (try `tcctl %s%shelp`)",
				 argv[0], what ? " for " : "", what ? what : "",
				 what ? what : "", what ? " " : "");
	if (n > 1)
		return tcctl_err("ambiguous command '%s'", argv[0]);
	return found->fn(t, argc - 1, argv + 1);
}

int tcctl_open_maps(struct tcctl *t, struct tcseg_maps *m)
{
	char err[TCSEG_ERRLEN];

	if (tcseg_maps_open(t->pin_dir, m, err, sizeof(err)))
		return tcctl_err("%s", err);
	return 0;
}

int tcctl_write_lock(struct tcctl *t, int create)
{
	char err[TCSEG_ERRLEN];

	if (pin_lock(t->pin_dir, t->lock_timeout_ms, create, err, sizeof(err)))
		return tcctl_err("%s", err);
	return 0;
}

int tcctl_ensure_loaded(struct tcctl *t)
{
	struct tcseg_sizes sz;
	char err[TCSEG_ERRLEN];

	if (tcctl_write_lock(t, 1))
		return -1;
	if (tcseg_is_loaded(t->pin_dir))
		return 0;
	tcseg_sizes_default(&sz);
	if (tcseg_load(t->pin_dir, &sz, err, sizeof(err)))
		return tcctl_err("load: %s", err);
	return 0;
}

int tcctl_resolve_dev(const char *name, void *arg)
{
	unsigned int idx;

	(void)arg;
	if (!*name || strlen(name) >= IF_NAMESIZE)
		return -ENODEV;
	idx = if_nametoindex(name);
	return idx ? (int)idx : -ENODEV;
}

void tcctl_dev_name(const struct tcseg_maps *m, __u32 ifindex, char *buf,
		    size_t len)
{
	struct tcseg_dev dev;
	char name[IF_NAMESIZE];

	if (m && m->devs >= 0 && !bpf_map_lookup_elem(m->devs, &ifindex, &dev) &&
	    dev.name[0]) {
		snprintf(buf, len, "%.*s", (int)sizeof(dev.name), dev.name);
		return;
	}
	if (if_indextoname(ifindex, name)) {
		snprintf(buf, len, "%s", name);
		return;
	}
	snprintf(buf, len, "if%u", ifindex);
}

struct json *tcctl_json(struct tcctl *t)
{
	struct json *j = json_new(stdout, t->pretty);

	if (!j)
		tcctl_err("out of memory");
	return j;
}

/* Enter NETNS like `ip -n`: by name under /run/netns, or a path. */
static int enter_netns(const char *ns)
{
	char path[PATH_MAX];
	int fd, ret;

	if (strchr(ns, '/'))
		snprintf(path, sizeof(path), "%s", ns);
	else
		snprintf(path, sizeof(path), "/run/netns/%s", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return tcctl_err("netns %s: %s", ns, strerror(errno));
	ret = setns(fd, CLONE_NEWNET);
	close(fd);
	if (ret)
		return tcctl_err("netns %s: setns: %s", ns, strerror(errno));
	return 0;
}

/* --lock-timeout SECONDS: 0 .. 3600, decimals allowed ("0.5"). */
static int parse_lock_timeout(const char *v, unsigned int *ms)
{
	char *end;
	double s;

	errno = 0;
	s = strtod(v, &end);
	if (errno || end == v || *end || !(s >= 0 && s <= 3600))
		return tcctl_err("--lock-timeout: bad seconds '%s' (0..3600)",
				 v);
	*ms = (unsigned int)(s * 1000 + 0.5);
	return 0;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (level == LIBBPF_DEBUG && !getenv("TCSEG_DEBUG"))
		return 0;
	if (level == LIBBPF_INFO && !getenv("TCSEG_DEBUG"))
		return 0;
	/* bpf_tc_hook_create on an existing clsact: expected, not an error */
	if (strstr(fmt, "Kernel error message") && !getenv("TCSEG_DEBUG"))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int do_help(struct tcctl *t, int argc, char **argv);

static const struct cmd top_cmds[] = {
	{ "policy", do_policy,
	  "policy add|del|list|flush|apply ...   rules (tcctl policy help)" },
	{ "attach", do_attach,
	  "attach DEV [default allow|deny] [audit] [addr A[,B...]|none] [mode auto|tcx|tc] [first|last]" },
	{ "detach", do_detach, "detach DEV" },
	{ "list", do_list, "list                                 attached devices" },
	{ "default", do_default, "default [allow|deny]                 global default action" },
	{ "stats", do_stats, "stats [reset]                        counters, drops, pressure, rule hits" },
	{ "sessions", do_sessions, "sessions [dev DEV]                   tracked flows" },
	{ "config", do_config,
	  "config [strict|drop-non-ip|audit|trace-drops on|off] [syn-limit N] [syn-window-ms N] [event-rate N] [event-burst N]" },
	{ "load", do_load,
	  "load [sessions N] [exact N] [cidr N] [cidr-entries N] [classes N] [devs N] [ringbuf BYTES]" },
	{ "unload", do_unload, "unload                               detach all, remove pins" },
	{ "status", do_status, "status                               tcsegd: provider, capture, counts" },
	{ "pods", do_pods_cmd, "pods [list|sync|daemon]              registered pods (veth, addresses, default); daemon: tcsegd's pod mapping" },
	{ "provider", do_provider, "provider get|set MODE                tcsegd key provider (tlshub|openssl|boringssl)" },
	{ "monitor", do_monitor,
	  "monitor [pod NAME] [ip ADDR[/LEN]] [verdict flow_log|flow_encrypt|audit|drop] [rule ID]...  tcsegd: live verdicts, flows, kTLS events" },
	{ "help", do_help, NULL },
	{ NULL, NULL, NULL },
};

static int do_help(struct tcctl *t, int argc, char **argv)
{
	(void)t;
	(void)argc;
	(void)argv;
	tcctl_help(NULL, top_cmds);
	printf("Options: -j JSON, -p pretty JSON, --pin-dir DIR (or $%s, "
	       "default %s), -n NETNS, --socket PATH (tcsegd; or $TCSEG_SOCK, "
	       "default /run/tcseg/tcsegd.sock), --lock-timeout SECONDS "
	       "(writers wait this long for another writer, default %u)\n",
	       TCSEG_PIN_ENV, TCSEG_PIN_DIR_DEFAULT, PIN_LOCK_TIMEOUT_MS / 1000);
	return 0;
}

int main(int argc, char **argv)
{
	struct tcctl t = { 0 };
	const char *pin_opt = NULL;
	int i;

	tcctl_global = &t;
	t.lock_timeout_ms = PIN_LOCK_TIMEOUT_MS;
	libbpf_set_print(libbpf_print);
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *o = argv[i];

		if (!strcmp(o, "-j") || !strcmp(o, "--json")) {
			t.json = true;
		} else if (!strcmp(o, "-p") || !strcmp(o, "--pretty")) {
			t.json = true;
			t.pretty = true;
		} else if (!strcmp(o, "--pin-dir") || !strcmp(o, "-P")) {
			if (++i >= argc)
				return tcctl_err("%s: missing directory", o), 1;
			pin_opt = argv[i];
		} else if (!strcmp(o, "--socket") || !strcmp(o, "-S")) {
			if (++i >= argc)
				return tcctl_err("%s: missing path", o), 1;
			t.sock_path = argv[i];
		} else if (!strcmp(o, "--lock-timeout")) {
			if (++i >= argc)
				return tcctl_err("%s: missing seconds", o), 1;
			if (parse_lock_timeout(argv[i], &t.lock_timeout_ms))
				return 1;
		} else if (!strcmp(o, "-n") || !strcmp(o, "--netns")) {
			if (++i >= argc)
				return tcctl_err("%s: missing netns", o), 1;
			if (enter_netns(argv[i]))
				return 1;
		} else if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
			do_help(&t, 0, NULL);
			return 0;
		} else if (!strcmp(o, "-V") || !strcmp(o, "--version")) {
			char v[256];

			tcseg_version_string("tcctl", v, sizeof(v));
			printf("%s\n", v);
			return 0;
		} else {
			tcctl_err("unknown option '%s' (try `tcctl help`)", o);
			return 1;
		}
	}
	t.pin_dir = tcseg_pin_dir(pin_opt);
	if (i >= argc) {
		do_help(&t, 0, NULL);
		return 1;
	}
	if (strcmp(argv[i], "help")) {
		char err[256];

		if (tcseg_runtime_check(err, sizeof(err)))
			return tcctl_err("%s", err), 1;
	}
	return tcctl_dispatch(&t, NULL, top_cmds, argc - i, argv + i) ? 1 : 0;
}
