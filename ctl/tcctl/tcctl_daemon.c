// SPDX-License-Identifier: GPL-2.0
/*
 * tcctl status|pods|provider|monitor: ask tcsegd over its control socket
 * (--socket PATH, $TCSEG_SOCK, default /run/tcseg/tcsegd.sock). The daemon
 * answers one JSON object a line; -j passes them through, text mode
 * prints them for people.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include "dataplane/monitor_filter.h"
#include "tcctl/tcctl.h"

#define DAEMON_SOCK_DEFAULT	"/run/tcseg/tcsegd.sock"
#define DAEMON_SOCK_ENV		"TCSEG_SOCK"
#define LINE_MAX_		8192
#define FIELDS_MAX		32

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

struct field {
	char *key;
	char *val;
	bool str;
};

/* Decode a JSON string in place starting after the quote; returns end. */
static char *json_str(char *s, char **out)
{
	char *w = s;

	*out = s;
	while (*s && *s != '"') {
		if (*s == '\\' && s[1]) {
			s++;
			if (*s == 'u' && strlen(s) >= 5) {
				unsigned int c;

				if (sscanf(s + 1, "%4x", &c) == 1 && c < 0x80)
					*w++ = c >= 0x20 ? (char)c : '?';
				else
					*w++ = '?';
				s += 5;
				continue;
			}
			*w++ = *s == 'n' ? ' ' : *s;
			s++;
			continue;
		}
		*w++ = *s++;
	}
	if (*s != '"')
		return NULL;
	*w = 0;
	return s + 1;
}

/* Flat JSON object -> fields (the daemon sends no nesting). */
static int parse_flat(char *s, struct field *f, int max)
{
	int n = 0;

	while (*s == ' ')
		s++;
	if (*s++ != '{')
		return -1;
	while (*s && *s != '}' && n < max) {
		while (*s == ' ' || *s == ',')
			s++;
		if (*s != '"' || !(s = json_str(s + 1, &f[n].key)))
			return -1;
		if (*s++ != ':')
			return -1;
		if (*s == '"') {
			if (!(s = json_str(s + 1, &f[n].val)))
				return -1;
			f[n].str = true;
		} else {
			f[n].val = s;
			f[n].str = false;
			while (*s && *s != ',' && *s != '}')
				s++;
			if (!*s)
				return -1;
			if (*s == ',') {
				*s++ = 0;
				n++;
				continue;
			}
			*s = 0;
			n++;
			return n;
		}
		n++;
	}
	return n;
}

static const char *field(const struct field *f, int n, const char *key)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(f[i].key, key))
			return f[i].val;
	return NULL;
}

/*
 * How the answer lines of one request are shown: with -j as they come
 * (one JSON object a line, or all in one array), otherwise parsed and
 * given to @text, which returns -1 for a line it cannot show.
 */
struct answer_fmt {
	int (*text)(const struct field *f, int n, int first);
	bool json_array;
	const char *what;		/* "answer", "event": for errors */
	const struct mon_filter *filter;	/* monitor: lines shown */
};

/* A string field's value; NULL when absent or not a string (null). */
static const char *str_field(const struct field *f, int n, const char *key)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(f[i].key, key))
			return f[i].str ? f[i].val : NULL;
	return NULL;
}

/* Does @line pass the monitor filters? (parsed on a copy) */
static bool line_passes(const struct mon_filter *mf, const char *line)
{
	char copy[LINE_MAX_];
	struct field f[FIELDS_MAX];
	struct mon_record r;
	int n;

	if (!mf || !mon_filter_any(mf))
		return true;
	snprintf(copy, sizeof(copy), "%s", line);
	n = parse_flat(copy, f, FIELDS_MAX);
	if (n < 0)
		return false;
	r = (struct mon_record){
		str_field(f, n, "type"), str_field(f, n, "event"),
		str_field(f, n, "src"), str_field(f, n, "dst"),
		str_field(f, n, "src_pod"), str_field(f, n, "dst_pod"),
		field(f, n, "rule"),
	};
	return mon_filter_match(mf, &r);
}

static int show_line(struct tcctl *t, const struct answer_fmt *af,
		     char *line, int first)
{
	struct field f[FIELDS_MAX];
	int n;

	if (t->json) {
		if (af->json_array)
			printf("%s%s", first ? "[" : ",", line);
		else
			puts(line);
		return 0;
	}
	n = parse_flat(line, f, FIELDS_MAX);
	if (n < 0 || af->text(f, n, first))
		return tcctl_err("bad %s from tcsegd: %.80s", af->what, line);
	return 0;
}

/* Run @req; each answer line is shown as @af says. Returns 0 or -1. */
static int ask(struct tcctl *t, const char *req, const struct answer_fmt *af)
{
	char line[LINE_MAX_];
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
		if (strstr(line, "\"error\":")) {
			struct field fl[FIELDS_MAX];
			int n = parse_flat(line, fl, FIELDS_MAX);
			const char *e = n > 0 ? field(fl, n, "error") : NULL;

			ret = tcctl_err("tcsegd: %s", e ? e : line);
			continue;
		}
		if (!line_passes(af->filter, line))
			continue;
		if (show_line(t, af, line, first))
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

static int show_kv(const struct field *f, int n, int first)
{
	int i;

	(void)first;
	for (i = 0; i < n; i++)
		printf("%-18s %s\n", f[i].key, f[i].val);
	return 0;
}

int do_status(struct tcctl *t, int argc, char **argv)
{
	static const struct answer_fmt af = { show_kv, false, "answer", NULL };

	if (argc)
		return tcctl_err("status: unexpected '%s'", argv[0]);
	return ask(t, "status\n", &af);
}

static int show_pod(const struct field *f, int n, int first)
{
	const char *ifx, *ip6;

	if (first)
		printf("%-24s %-12s %-15s %-15s %-5s %-7s %s\n", "POD", "NODE",
		       "IP", "NODE-IP", "LOCAL", "IFINDEX", "IP6");
	ifx = field(f, n, "ifindex");
	ip6 = field(f, n, "ip6");
	printf("%-24s %-12s %-15s %-15s %-5s %-7s %s\n",
	       field(f, n, "pod") ?: "", field(f, n, "node") ?: "",
	       field(f, n, "ip") ?: "", field(f, n, "node_ip") ?: "",
	       !strcmp(field(f, n, "local") ?: "", "true") ? "yes" : "no",
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

static int show_mode(const struct field *f, int n, int first)
{
	(void)first;
	if (!field(f, n, "mode"))
		return -1;
	printf("mode %s\n", field(f, n, "mode"));
	return 0;
}

int do_provider(struct tcctl *t, int argc, char **argv)
{
	static const struct answer_fmt af = { show_mode, false, "answer", NULL };
	char req[64];

	if (argc == 1 && tcctl_is(argv[0], "get"))
		return ask(t, "provider get\n", &af);
	if (argc == 2 && tcctl_is(argv[0], "set")) {
		if (strcmp(argv[1], "tlshub") && strcmp(argv[1], "openssl") &&
		    strcmp(argv[1], "boringssl"))
			return tcctl_err("provider set: '%.32s' is not tlshub, "
					 "openssl or boringssl", argv[1]);
		snprintf(req, sizeof(req), "provider set %s\n", argv[1]);
		return ask(t, req, &af);
	}
	printf("Usage: tcctl provider get | provider set tlshub|openssl|boringssl\n");
	return argc ? -1 : 0;
}

static int show_event(const struct field *f, int n, int first)
{
	int i;

	(void)first;
	/* "ts type event?" first, then the rest as key=value */
	printf("%s %s", field(f, n, "ts") ?: "-", field(f, n, "type") ?: "?");
	for (i = 0; i < n; i++) {
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
