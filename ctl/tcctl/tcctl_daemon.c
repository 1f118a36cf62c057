// SPDX-License-Identifier: GPL-2.0
/*
 * tcctl status|pods|provider|monitor: ask tcsegd over its control socket
 * (--socket PATH, $TCSEG_SOCK, default /run/tcseg/tcsegd.sock). The daemon
 * answers one JSON object a line, each checked by the JSON reader
 * (ctl/json_read.h); -j passes them through, text mode prints them for
 * people.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include "tcseg_keys.h"
#include "lib/json_read.h"
#include "dataplane/monitor_filter.h"
#include "tcctl/tcctl.h"

#define DAEMON_SOCK_DEFAULT	"/run/tcseg/tcsegd.sock"
#define DAEMON_SOCK_ENV		"TCSEG_SOCK"
#define LINE_MAX_		8192

static const char *sock_path(const struct tcctl *t)
{
	const char *e = getenv(DAEMON_SOCK_ENV);

	if (t->sock_path && *t->sock_path)
		return t->sock_path;
	return e && *e ? e : DAEMON_SOCK_DEFAULT;
}

static int daemon_connect(struct tcctl *t, const char *req)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	const char *p = sock_path(t);
	size_t len = strlen(req);
	int fd;

	if (strlen(p) >= sizeof(a.sun_path))
		return tcctl_err("socket path too long: %s", p);
	strcpy(a.sun_path, p);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return tcctl_err("socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		tcctl_err("cannot reach tcsegd at %s: %s (is it running? "
			  "--socket PATH or $%s)", p, strerror(errno),
			  DAEMON_SOCK_ENV);
		close(fd);
		return -1;
	}
	if (send(fd, req, len, MSG_NOSIGNAL) != (ssize_t)len) {
		tcctl_err("send to tcsegd: %s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int tcctl_daemon_notify(struct tcctl *t, const char *req)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 1 };
	const char *p = sock_path(t);
	size_t len = strlen(req);
	char ans[256];
	int fd, ok;

	if (strlen(p) >= sizeof(a.sun_path))
		return -1;
	strcpy(a.sun_path, p);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	ok = !connect(fd, (struct sockaddr *)&a, sizeof(a)) &&
	     send(fd, req, len, MSG_NOSIGNAL) == (ssize_t)len &&
	     recv(fd, ans, sizeof(ans), 0) > 0;
	close(fd);
	return ok ? 0 : -1;
}

/* Read one line (without the newline); 1 ok, 0 EOF, -1 error. */
static int read_line(FILE *f, char *buf, size_t len)
{
	size_t n;

	if (!fgets(buf, (int)len, f))
		return 0;
	n = strlen(buf);
	if (n && buf[n - 1] == '\n')
		buf[--n] = 0;
	else if (n == len - 1)
		return tcctl_err("answer line too long"), -1;
	return 1;
}

/*
 * How the answer lines of one request are shown: with -j as they come
 * (one JSON object a line, or all in one array), otherwise parsed and
 * given to @text, which returns -1 for a line it cannot show.
 */
struct answer_fmt {
	int (*text)(const struct jread_line *l, int first);
	bool json_array;
	const char *what;		/* "answer", "event": for errors */
	const struct mon_filter *filter;	/* monitor: lines shown */
};

/* Does the line pass the monitor filters? */
static bool line_passes(const struct mon_filter *mf, const struct jread_line *l)
{
	struct mon_record r;

	if (!mf || !mon_filter_any(mf))
		return true;
	r = (struct mon_record){
		jread_str(l, "type"), jread_str(l, "event"),
		jread_str(l, "src"), jread_str(l, "dst"),
		jread_str(l, "src_pod"), jread_str(l, "dst_pod"),
		jread_get(l, "rule"),
	};
	return mon_filter_match(mf, &r);
}

/* -j: the line as it came (the reader checked it); else for people. */
static int show_line(struct tcctl *t, const struct answer_fmt *af,
		     const char *line, const struct jread_line *l, int first)
{
	if (t->json) {
		if (af->json_array)
			printf("%s%s", first ? "[" : ",", line);
		else
			puts(line);
		return 0;
	}
	if (af->text(l, first))
		return tcctl_err("bad %s from tcsegd: %.80s", af->what, line);
	return 0;
}

/* Run @req; each answer line is shown as @af says. Returns 0 or -1. */
static int ask(struct tcctl *t, const char *req, const struct answer_fmt *af)
{
	static struct jread_line l;
	char line[LINE_MAX_], err[160];
	int fd, r, first = 1, ret = 0;
	FILE *f;

	fd = daemon_connect(t, req);
	if (fd < 0) {
		ret = -1;
		goto out;
	}
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		ret = tcctl_err("fdopen: %s", strerror(errno));
		goto out;
	}
	while ((r = read_line(f, line, sizeof(line))) > 0) {
		if (jread_flat(line, &l, err, sizeof(err))) {
			/* a hostile or broken answer is shown to nobody */
			ret = tcctl_err("bad %s from tcsegd: %s", af->what, err);
			continue;
		}
		if (jread_get(&l, "error")) {
			ret = tcctl_err("tcsegd: %s", jread_get(&l, "error"));
			continue;
		}
		if (!line_passes(af->filter, &l))
			continue;
		if (show_line(t, af, line, &l, first))
			ret = -1;
		first = 0;
		fflush(stdout);
	}
	if (r < 0)
		ret = -1;
	fclose(f);
out:
	/* an array is always closed, even around an error */
	if (t->json && af->json_array)
		puts(first ? "[]" : "]");
	return ret;
}

static int show_kv(const struct jread_line *l, int first)
{
	int i;

	(void)first;
	for (i = 0; i < l->n; i++)
		printf("%-18s %s\n", l->f[i].key, l->f[i].val);
	return 0;
}

int do_status(struct tcctl *t, int argc, char **argv)
{
	static const struct answer_fmt af = { show_kv, false, "answer", NULL };

	if (argc)
		return tcctl_err("status: unexpected '%s'", argv[0]);
	return ask(t, "status\n", &af);
}

static int show_pod(const struct jread_line *l, int first)
{
	const char *ifx, *ip6;

	if (first)
		printf("%-24s %-12s %-15s %-15s %-5s %-7s %s\n", "POD", "NODE",
		       "IP", "NODE-IP", "LOCAL", "IFINDEX", "IP6");
	ifx = jread_get(l, "ifindex");
	ip6 = jread_get(l, "ip6");
	printf("%-24s %-12s %-15s %-15s %-5s %-7s %s\n",
	       jread_get(l, "pod") ?: "", jread_get(l, "node") ?: "",
	       jread_get(l, "ip") ?: "", jread_get(l, "node_ip") ?: "",
	       !strcmp(jread_get(l, "local") ?: "", "true") ? "yes" : "no",
	       ifx && strcmp(ifx, "0") ? ifx : "-", ip6 && *ip6 ? ip6 : "-");
	return 0;
}

int do_pods(struct tcctl *t, int argc, char **argv)
{
	static const struct answer_fmt af = { show_pod, true, "answer", NULL };

	if (argc)
		return tcctl_err("pods: unexpected '%s'", argv[0]);
	return ask(t, "pods\n", &af);
}

static int show_mode(const struct jread_line *l, int first)
{
	(void)first;
	if (!jread_get(l, "mode"))
		return -1;
	printf("mode %s\n", jread_get(l, "mode"));
	return 0;
}

int do_provider(struct tcctl *t, int argc, char **argv)
{
	static const struct answer_fmt af = { show_mode, false, "answer", NULL };
	char req[64];

	if (argc == 1 && tcctl_is(argv[0], "get"))
		return ask(t, "provider get\n", &af);
	if (argc == 2 && tcctl_is(argv[0], "set")) {
		if (!tcseg_name_find(tcseg_mode_names(), argv[1]))
			return tcctl_err("provider set: '%.32s' is not tlshub, "
					 "openssl or boringssl", argv[1]);
		snprintf(req, sizeof(req), "provider set %s\n", argv[1]);
		return ask(t, req, &af);
	}
	printf("Usage: tcctl provider get | provider set tlshub|openssl|boringssl\n");
	return argc ? -1 : 0;
}

static int show_event(const struct jread_line *l, int first)
{
	const struct jread_field *f = l->f;
	int i;

	(void)first;
	/* "ts type event?" first, then the rest as key=value */
	printf("%s %s", jread_get(l, "ts") ?: "-", jread_get(l, "type") ?: "?");
	for (i = 0; i < l->n; i++) {
		if (!strcmp(f[i].key, "ts") || !strcmp(f[i].key, "type"))
			continue;
		if (f[i].str && !*f[i].val)
			continue;
		printf(f[i].str && strchr(f[i].val, ' ') ? " %s=\"%s\"" :
		       " %s=%s", f[i].key, f[i].val);
	}
	putchar('\n');
	return 0;
}

/* tcctl monitor [pod NAME] [ip ADDR[/LEN]] [verdict EVENT] [rule ID]... */
int do_monitor(struct tcctl *t, int argc, char **argv)
{
	struct mon_filter mf;
	struct answer_fmt af = { show_event, false, "event", &mf };
	char err[160];

	if (mon_filter_parse(&mf, argc, argv, err, sizeof(err)))
		return tcctl_err("%s", err);
	return ask(t, "monitor\n", &af);
}
