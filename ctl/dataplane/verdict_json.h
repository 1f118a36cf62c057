/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The verdict record: one JSON object a line for a data path event
 * (struct tcseg_event), the one schema of tcsegd's verdict log and of
 * `tcctl monitor -j` (docs/DAEMON.md §Verdict log). Pure: no daemon
 * state, every field of the record may be hostile.
 */
#ifndef TCSEG_VERDICT_JSON_H
#define TCSEG_VERDICT_JSON_H

#include <stddef.h>
#include "tcseg.h"

#define VERDICT_LINE_MAX	1536	/* bytes, newline and NUL included */

/* Names the record itself does not carry; NULL = unknown. */
struct verdict_names {
	const char *node;		/* this node */
	const char *src_pod;		/* pod of the source address */
	const char *dst_pod;
};

/*
 * The line for @e seen at wall-clock @wall_ns into @buf (at least
 * VERDICT_LINE_MAX bytes): fields in a fixed order, strings escaped,
 * values out of range as "unknown". Returns its length ('\n' included).
 */
size_t verdict_json(char *buf, size_t len, const struct tcseg_event *e,
		    const struct verdict_names *n, __u64 wall_ns);

/* "flow_log", "flow_encrypt", "audit", "drop" or "unknown". */
const char *verdict_event_name(__u32 type);

/* Escape @s for a JSON string (no quotes added) into @out; returns @out. */
const char *json_esc(const char *s, char *out, size_t len);

#endif
