/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one JSON writer of tcctl (-j, -p) and tcsegd (control replies,
 * monitor events, logs): streaming, to a FILE or a bounded buffer. Names
 * are jsonw_* so that it links beside libjansson (the reader, json_*).
 */
#ifndef TCSEG_JSON_H
#define TCSEG_JSON_H

#include <stdio.h>
#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

/* Deeper nesting is not supported (commas and closers are not tracked). */
#define JSONW_MAX_DEPTH 64

/* Fields are private; the struct is public so it can live on the stack. */
struct jsonw {
	FILE *f;		/* NULL: the buffer below */
	char *buf;
	size_t len, o;		/* buffer size, bytes written */
	bool overflow;		/* buffer: something did not fit */
	bool pretty;
	bool named;		/* a name was written, its value comes next */
	int depth;
	char closer[JSONW_MAX_DEPTH + 1];	/* '}' or ']' per level */
	bool first[JSONW_MAX_DEPTH + 1];	/* nothing written yet */
};

struct jsonw *jsonw_new(FILE *f, bool pretty);
void jsonw_destroy(struct jsonw **j);	/* closes what is open, newline */

/*
 * Compact JSON into @buf (@len bytes, NUL-terminated). Once something
 * does not fit, nothing more is written: the buffer keeps whole tokens
 * only and jsonw_finish() reports the overflow.
 */
void jsonw_init_buf(struct jsonw *j, char *buf, size_t len);
/* Close what is open, add '\n'; the length written, or 0 on overflow. */
size_t jsonw_finish(struct jsonw *j);

void jsonw_start_object(struct jsonw *j);
void jsonw_end_object(struct jsonw *j);
void jsonw_start_array(struct jsonw *j);
void jsonw_end_array(struct jsonw *j);
void jsonw_name(struct jsonw *j, const char *name);

void jsonw_string(struct jsonw *j, const char *s);	/* escaped; NULL: null */
void jsonw_uint(struct jsonw *j, uint64_t v);
void jsonw_int(struct jsonw *j, int64_t v);
void jsonw_bool(struct jsonw *j, bool v);
void jsonw_null(struct jsonw *j);
/* A value as the caller formats it (a number such as "12.000345"). */
void jsonw_printf(struct jsonw *j, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* name + value in one call */
void jsonw_string_field(struct jsonw *j, const char *name, const char *s);
void jsonw_uint_field(struct jsonw *j, const char *name, uint64_t v);
void jsonw_int_field(struct jsonw *j, const char *name, int64_t v);
void jsonw_bool_field(struct jsonw *j, const char *name, bool v);

/*
 * @s escaped as the writer escapes strings, without the quotes, into
 * @out (@len bytes, cut at a whole character): for a quoted value in a
 * key="value" log line (tcsegd's log).
 */
const char *jsonw_esc(const char *s, char *out, size_t len);

#endif
