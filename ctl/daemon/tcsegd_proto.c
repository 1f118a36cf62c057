// SPDX-License-Identifier: GPL-2.0
/*
 * tcsegd control-socket request parser: line framing, words, command and
 * argument validation (ctl/daemon/tcsegd_proto.h). Pure: no daemon state, no
 * I/O, no allocation; the input is hostile (any local root process and
 * the fuzzer feed it).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "daemon/tcsegd_proto.h"

#define CTL_MAX_WORDS	4	/* more than any request has */

struct word {
	const char *s;
	size_t len;
};

static const struct {
	const char *name;
	enum key_provider_mode mode;
} ctl_modes[] = {
	{ "tlshub", MODE_TLSHUB },
	{ "openssl", MODE_OPENSSL },
	{ "boringssl", MODE_BORINGSSL },
};

static const char *const ctl_names[] = {
	[CTL_STATUS] = "status",
	[CTL_PODS] = "pods",
	[CTL_METRICS] = "metrics",
	[CTL_MONITOR] = "monitor",
	[CTL_PROVIDER_GET] = "provider get",
	[CTL_PROVIDER_SET] = "provider set",
	[CTL_PODS_SYNC] = "pods sync",
};

static int fail(char *err, size_t errlen, int r, const char *msg)
{
	if (errlen)
		snprintf(err, errlen, "%s", msg);
	return r;
}

static bool word_is(const struct word *w, const char *s)
{
	return w->len == strlen(s) && !memcmp(w->s, s, w->len);
}

/* Split @line (@len bytes, all printable or tab) at blanks. */
static int split_words(const char *line, size_t len, struct word *w)
{
	size_t i = 0, start;
	int n = 0;

	while (i < len) {
		while (i < len && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i == len)
			break;
		start = i;
		while (i < len && line[i] != ' ' && line[i] != '\t')
			i++;
		if (n == CTL_MAX_WORDS)
			return n + 1;	/* too many: the caller refuses */
		w[n].s = line + start;
		w[n].len = i - start;
		n++;
	}
	return n;
}

static int parse_provider(const struct word *w, int n,
			  struct ctl_request *out, char *err, size_t errlen)
{
	size_t i;

	if (n == 2 && word_is(&w[1], "get")) {
		out->cmd = CTL_PROVIDER_GET;
		return 1;
	}
	if (n != 3 || !word_is(&w[1], "set"))
		return fail(err, errlen, -EPROTO, "usage: provider get | "
			    "provider set tlshub|openssl|boringssl");
	for (i = 0; i < sizeof(ctl_modes) / sizeof(ctl_modes[0]); i++) {
		if (word_is(&w[2], ctl_modes[i].name)) {
			out->cmd = CTL_PROVIDER_SET;
			out->mode = ctl_modes[i].mode;
			return 1;
		}
	}
	return fail(err, errlen, -EPROTO,
		    "unknown mode (tlshub, openssl or boringssl)");
}

static int parse_words(const char *line, size_t len, struct ctl_request *out,
		       char *err, size_t errlen)
{
	static const enum ctl_cmd plain[] = {
		CTL_STATUS, CTL_PODS, CTL_METRICS, CTL_MONITOR,
	};
	struct word w[CTL_MAX_WORDS];
	int n = split_words(line, len, w);
	size_t i;

	if (n == 0)
		return fail(err, errlen, -EINVAL, "empty request");
	if (word_is(&w[0], "provider"))
		return parse_provider(w, n, out, err, errlen);
	if (word_is(&w[0], "pods") && n > 1) {
		if (n != 2 || !word_is(&w[1], "sync"))
			return fail(err, errlen, -EPROTO,
				    "usage: pods | pods sync");
		out->cmd = CTL_PODS_SYNC;
		return 1;
	}
	for (i = 0; n == 1 && i < sizeof(plain) / sizeof(plain[0]); i++) {
		if (word_is(&w[0], ctl_names[plain[i]])) {
			out->cmd = plain[i];
			return 1;
		}
	}
	return fail(err, errlen, -ENOENT, "unknown request (status, pods, "
		    "pods sync, provider get|set MODE, metrics, monitor)");
}

int ctl_parse_request(const char *buf, size_t len, struct ctl_request *out,
		      char *err, size_t errlen)
{
	size_t scan = len < CTL_REQ_MAX ? len : CTL_REQ_MAX;
	const char *nl = memchr(buf, '\n', scan);
	size_t i, line;

	if (errlen)
		err[0] = '\0';
	memset(out, 0, sizeof(*out));
	if (!nl) {
		if (len < CTL_REQ_MAX)
			return 0;
		return fail(err, errlen, -EMSGSIZE, "request too long");
	}
	line = (size_t)(nl - buf);
	if (line > 0 && buf[line - 1] == '\r')
		line--;
	for (i = 0; i < line; i++) {
		unsigned char c = (unsigned char)buf[i];

		if ((c < 0x20 || c > 0x7e) && c != '\t')
			return fail(err, errlen, -EINVAL,
				    "request is not printable text");
	}
	out->used = (size_t)(nl - buf) + 1;
	return parse_words(buf, line, out, err, errlen);
}

const char *ctl_cmd_name(enum ctl_cmd cmd)
{
	if ((unsigned int)cmd >= sizeof(ctl_names) / sizeof(ctl_names[0]) ||
	    !ctl_names[cmd])
		return NULL;
	return ctl_names[cmd];
}

static const char *mode_name(enum key_provider_mode m)
{
	size_t i;

	for (i = 0; i < sizeof(ctl_modes) / sizeof(ctl_modes[0]); i++)
		if (ctl_modes[i].mode == m)
			return ctl_modes[i].name;
	return NULL;
}

int ctl_format_request(const struct ctl_request *rq, char *buf, size_t len)
{
	const char *name = ctl_cmd_name(rq->cmd), *m = NULL;
	int n;

	if (!name)
		return -EINVAL;
	if (rq->cmd == CTL_PROVIDER_SET) {
		m = mode_name(rq->mode);
		if (!m)
			return -EINVAL;
	}
	n = snprintf(buf, len, "%s%s%s", name, m ? " " : "", m ? m : "");
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	return n;
}
