// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: tcsegd control-socket requests (ctl_parse_request of
 * ctl/daemon/tcsegd_proto.c, exactly what ctl_client_io runs on a client's
 * bytes). The input is the client's receive buffer, unterminated.
 * Oracles: only the documented return values; the error text is a bounded
 * JSON-safe string; framing (0 = wait exactly when no newline is in and
 * the bound is not reached; the line ends at the first newline, never
 * past CTL_REQ_MAX; any prefix of a request waits, the request alone
 * parses the same); a parsed line is all printable text; a strtok-based
 * reference model (the daemon's old parser) agrees on the command, mode
 * and error class; the canonical format of a request parses back to it.
 */
#include <errno.h>
#include <stdbool.h>
#include "daemon/tcsegd_proto.h"
#include "fuzz_util.h"

static bool json_safe(const char *e)
{
	for (; *e; e++)
		if (*e < 0x20 || *e > 0x7e || *e == '"' || *e == '\\')
			return false;
	return true;
}

/* Reference: split the line (already checked printable) with strtok_r. */
static int ref_words(const char *line, size_t len, struct ctl_request *rq)
{
	char copy[CTL_REQ_MAX + 1], *save, *w[8];
	int n = 0;

	memcpy(copy, line, len);
	copy[len] = '\0';
	for (w[0] = strtok_r(copy, " \t", &save); w[n] && n < 7;)
		w[++n] = strtok_r(NULL, " \t", &save);
	if (n == 0)
		return -EINVAL;
	if (!strcmp(w[0], "provider")) {
		if (n == 2 && !strcmp(w[1], "get")) {
			rq->cmd = CTL_PROVIDER_GET;
			return 1;
		}
		if (n != 3 || strcmp(w[1], "set"))
			return -EPROTO;
		rq->cmd = CTL_PROVIDER_SET;
		if (!strcmp(w[2], "tlshub"))
			rq->mode = MODE_TLSHUB;
		else if (!strcmp(w[2], "openssl"))
			rq->mode = MODE_OPENSSL;
		else if (!strcmp(w[2], "boringssl"))
			rq->mode = MODE_BORINGSSL;
		else
			return -EPROTO;
		return 1;
	}
	if (!strcmp(w[0], "pods") && n > 1) {
		if (n != 2 || strcmp(w[1], "sync"))
			return -EPROTO;
		rq->cmd = CTL_PODS_SYNC;
		return 1;
	}
	if (n != 1)
		return -ENOENT;
	if (!strcmp(w[0], "status"))
		rq->cmd = CTL_STATUS;
	else if (!strcmp(w[0], "pods"))
		rq->cmd = CTL_PODS;
	else if (!strcmp(w[0], "metrics"))
		rq->cmd = CTL_METRICS;
	else if (!strcmp(w[0], "monitor"))
		rq->cmd = CTL_MONITOR;
	else
		return -ENOENT;
	return 1;
}

static int reference(const uint8_t *d, size_t size, struct ctl_request *rq)
{
	size_t i, line, lim = size < CTL_REQ_MAX ? size : CTL_REQ_MAX;

	memset(rq, 0, sizeof(*rq));
	for (i = 0; i < lim && d[i] != '\n'; i++)
		;
	if (i == lim)
		return size < CTL_REQ_MAX ? 0 : -EMSGSIZE;
	rq->used = i + 1;
	line = i;
	if (line && d[line - 1] == '\r')
		line--;
	for (i = 0; i < line; i++)
		if ((d[i] < 0x20 || d[i] > 0x7e) && d[i] != '\t')
			return -EINVAL;
	return ref_words((const char *)d, line, rq);
}

static void check_prefixes(const uint8_t *d, const struct ctl_request *rq)
{
	struct ctl_request again;
	size_t cuts[3] = { 0, rq->used / 2, rq->used - 1 };
	char err[96];
	int i, r;

	for (i = 0; i < 3; i++) {
		r = ctl_parse_request((const char *)d, cuts[i], &again, err,
				      sizeof(err));
		FUZZ_CHECK(r == 0, "prefix of %zu bytes of a %zu-byte request "
			   "gave %d", cuts[i], rq->used, r);
	}
	r = ctl_parse_request((const char *)d, rq->used, &again, err,
			      sizeof(err));
	FUZZ_CHECK(r == 1 && again.cmd == rq->cmd && again.mode == rq->mode &&
		   again.used == rq->used, "the request alone parses to %d", r);
}

static void check_format(const struct ctl_request *rq)
{
	struct ctl_request back;
	char line[64], err[96];
	int n;

	n = ctl_format_request(rq, line, sizeof(line) - 1);
	FUZZ_CHECK(n > 0 && (size_t)n < sizeof(line) - 1,
		   "format of cmd %d gave %d", rq->cmd, n);
	line[n] = '\n';
	FUZZ_CHECK(ctl_parse_request(line, (size_t)n + 1, &back, err,
				     sizeof(err)) == 1 &&
		   back.cmd == rq->cmd && back.mode == rq->mode,
		   "canonical '%.*s' does not parse back", n, line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctl_request rq, ref;
	char err[96];
	int r, want;

	memset(err, 0x5a, sizeof(err));
	r = ctl_parse_request((const char *)data, size, &rq, err, sizeof(err));
	fuzz_check_err(err, sizeof(err));
	FUZZ_CHECK(r == 1 || r == 0 || r == -EMSGSIZE || r == -EINVAL ||
		   r == -ENOENT || r == -EPROTO, "return %d", r);
	FUZZ_CHECK(r < 0 ? err[0] && json_safe(err) : !err[0],
		   "error text '%s' for %d", err, r);
	want = reference(data, size, &ref);
	FUZZ_CHECK(r == want, "parser %d, reference %d", r, want);
	if (r != 1)
		return 0;
	FUZZ_CHECK(rq.used >= 1 && rq.used <= size && rq.used <= CTL_REQ_MAX &&
		   data[rq.used - 1] == '\n' &&
		   !memchr(data, '\n', rq.used - 1),
		   "line of %zu bytes in %zu", rq.used, size);
	FUZZ_CHECK(rq.cmd == ref.cmd && rq.used == ref.used &&
		   (rq.cmd != CTL_PROVIDER_SET || rq.mode == ref.mode),
		   "cmd %d/%d mode %d/%d", rq.cmd, ref.cmd, rq.mode, ref.mode);
	FUZZ_CHECK(ctl_cmd_name(rq.cmd) != NULL, "cmd %d has no name", rq.cmd);
	check_prefixes(data, &rq);
	check_format(&rq);
	return 0;
}
