/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one JSON reader: libjansson, with the checks tcseg wants on text
 * from another program (tcctl reading tcsegd's answer lines, one flat
 * object a line): strict RFC 8259, no duplicate keys, no NUL in strings,
 * no nesting, at most JREAD_FIELDS_MAX fields.
 */
#ifndef TCSEG_JSON_READ_H
#define TCSEG_JSON_READ_H

#include <stdbool.h>
#include <stddef.h>

#define JREAD_FIELDS_MAX	32

/* One field as text for people (strings decoded, see jread_flat). */
struct jread_field {
	const char *key;
	const char *val;
	bool str;		/* a JSON string (else number, bool, null) */
};

struct jread_line {
	struct jread_field f[JREAD_FIELDS_MAX];
	int n;
	char store[8192];	/* the texts the fields point at */
};

/*
 * Parse @s (one JSON object, nothing after it) into @l, in the order of
 * the object. Strings are decoded (escapes, non-ASCII kept as UTF-8)
 * with control characters shown as '?', so a field stays on its line;
 * integers as written, reals with six decimals (tcsegd's timestamps are
 * microseconds), true, false, null. 0, or -1 with why in @err.
 */
int jread_flat(const char *s, struct jread_line *l, char *err, size_t errlen);

/* The text of field @key, NULL when absent; jread_str: strings only. */
const char *jread_get(const struct jread_line *l, const char *key);
const char *jread_str(const struct jread_line *l, const char *key);

#endif
