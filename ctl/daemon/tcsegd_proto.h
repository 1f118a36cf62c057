/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcsegd control-socket request parser (docs/DAEMON.md §control), pure:
 * no daemon state, no I/O, so the fuzzer (fuzz/fuzz_ctl.c) and the unit
 * test (tests/unit/test_ctl_proto.c) run exactly what the daemon runs.
 *
 * A request is one line: printable ASCII and tabs, ended by "\n" (a "\r"
 * before it is dropped), at most CTL_REQ_MAX bytes with the newline.
 * Words are split at spaces and tabs:
 *   status | pods | pods sync | metrics | monitor | provider get |
 *   provider set tlshub|openssl|boringssl
 */
#ifndef TCSEG_TCSEGD_PROTO_H
#define TCSEG_TCSEGD_PROTO_H

#include <stddef.h>
#include "tcseg_keys.h"

#define CTL_REQ_MAX	256	/* request line with its newline, bytes */

enum ctl_cmd {
	CTL_STATUS = 1,
	CTL_PODS,
	CTL_METRICS,
	CTL_MONITOR,
	CTL_PROVIDER_GET,
	CTL_PROVIDER_SET,
	CTL_PODS_SYNC,		/* re-read the registered pods (tcseg-cni) */
};

struct ctl_request {
	enum ctl_cmd cmd;
	enum key_provider_mode mode;	/* CTL_PROVIDER_SET only */
	size_t used;			/* bytes of the line, newline included */
};

/*
 * Parse the first request line of @buf (@len bytes, need not be
 * NUL-terminated). Returns 1 with *@out filled, 0 when no newline is in
 * yet and more may come (@len < CTL_REQ_MAX), or a negative errno with a
 * one-line message in @err that is safe inside a JSON string (no quote,
 * backslash or control byte): -EMSGSIZE too long, -EINVAL not printable
 * or empty, -ENOENT unknown request, -EPROTO bad provider usage or mode.
 */
int ctl_parse_request(const char *buf, size_t len, struct ctl_request *out,
		      char *err, size_t errlen);

/* The request's canonical line ("provider set openssl", no newline) */
const char *ctl_cmd_name(enum ctl_cmd cmd);
int ctl_format_request(const struct ctl_request *rq, char *buf, size_t len);

#endif
