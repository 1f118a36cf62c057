// SPDX-License-Identifier: GPL-2.0
/*
 * Streaming JSON writer (json.h): commas, indentation and string escaping
 * are done here so callers only say what to write. Strings are escaped
 * (", \ and control characters as \u00XX) and invalid UTF-8 becomes
 * U+FFFD, so any C string (device names, file names) yields valid JSON.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "lib/json.h"

static void init(struct jsonw *j, FILE *f, bool pretty)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
	j->pretty = pretty;
	j->first[0] = true;
}

struct jsonw *jsonw_new(FILE *f, bool pretty)
{
	struct jsonw *j = malloc(sizeof(*j));

	if (j)
		init(j, f, pretty);
	return j;
}

void jsonw_init_buf(struct jsonw *j, char *buf, size_t len)
{
	init(j, NULL, false);
	j->buf = buf;
	j->len = len;
	if (len)
		buf[0] = 0;
	else
		j->overflow = true;
}

/* Every byte goes through here: a token fits whole or not at all. */
static void out(struct jsonw *j, const char *s, size_t n)
{
	if (j->f) {
		fwrite(s, 1, n, j->f);
		return;
	}
	if (j->overflow || n >= j->len - j->o) {
		j->overflow = true;
		return;
	}
	memcpy(j->buf + j->o, s, n);
	j->o += n;
	j->buf[j->o] = 0;
}

static void outc(struct jsonw *j, char c)
{
	out(j, &c, 1);
}

static void outs(struct jsonw *j, const char *s)
{
	out(j, s, strlen(s));
}

static int level(const struct jsonw *j)
{
	return j->depth < JSONW_MAX_DEPTH ? j->depth : JSONW_MAX_DEPTH;
}

static void indent(struct jsonw *j)
{
	int i;

	outc(j, '\n');
	for (i = 0; i < j->depth; i++)
		outs(j, "    ");
}

/* Separator and indentation before a value or a name. */
static void before(struct jsonw *j)
{
	if (j->named) {
		j->named = false;
		return;
	}
	if (j->depth == 0) {
		if (!j->first[0])
			outc(j, '\n');
		j->first[0] = false;
		return;
	}
	if (!j->first[level(j)])
		outc(j, ',');
	j->first[level(j)] = false;
	if (j->pretty)
		indent(j);
}

static void start(struct jsonw *j, char open, char close)
{
	before(j);
	outc(j, open);
	j->depth++;
	j->closer[level(j)] = close;
	j->first[level(j)] = true;
}

static void end(struct jsonw *j)
{
	bool empty;
	char close;

	if (j->depth == 0)
		return;
	empty = j->first[level(j)];
	close = j->closer[level(j)];
	j->named = false;
	j->depth--;
	if (j->pretty && !empty)
		indent(j);
	outc(j, close);
}

void jsonw_start_object(struct jsonw *j)
{
	start(j, '{', '}');
}

void jsonw_end_object(struct jsonw *j)
{
	end(j);
}

void jsonw_start_array(struct jsonw *j)
{
	start(j, '[', ']');
}

void jsonw_end_array(struct jsonw *j)
{
	end(j);
}

/* Length of the valid UTF-8 sequence at @s, 0 if invalid. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* @str escaped, one character (or escape) at a time. */
static void put_escaped(struct jsonw *j, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	char u[8];
	size_t n;

	while (*s) {
		if (*s == '"' || *s == '\\') {
			u[0] = '\\';
			u[1] = (char)*s++;
			out(j, u, 2);
		} else if (*s < 0x20 || *s == 0x7f) {
			snprintf(u, sizeof(u), "\\u%04x", *s++);
			out(j, u, 6);
		} else if ((n = utf8_len(s)) != 0) {
			out(j, (const char *)s, n);
			s += n;
		} else {
			outs(j, "\\ufffd");
			s++;
		}
	}
}

static void put_string(struct jsonw *j, const char *s)
{
	outc(j, '"');
	put_escaped(j, s);
	outc(j, '"');
}

const char *jsonw_esc(const char *s, char *buf, size_t len)
{
	struct jsonw j;

	jsonw_init_buf(&j, buf, len);
	put_escaped(&j, s);
	return buf;
}

void jsonw_name(struct jsonw *j, const char *name)
{
	before(j);
	put_string(j, name ? name : "");
	outs(j, j->pretty ? ": " : ":");
	j->named = true;
}

void jsonw_string(struct jsonw *j, const char *s)
{
	if (!s) {
		jsonw_null(j);
		return;
	}
	before(j);
	put_string(j, s);
}

void jsonw_printf(struct jsonw *j, const char *fmt, ...)
{
	char v[64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(v, sizeof(v), fmt, ap);
	va_end(ap);
	before(j);
	if (n < 0 || (size_t)n >= sizeof(v))
		outs(j, "null");	/* never a cut number */
	else
		out(j, v, (size_t)n);
}

void jsonw_uint(struct jsonw *j, uint64_t v)
{
	jsonw_printf(j, "%" PRIu64, v);
}

void jsonw_int(struct jsonw *j, int64_t v)
{
	jsonw_printf(j, "%" PRId64, v);
}

void jsonw_bool(struct jsonw *j, bool v)
{
	before(j);
	outs(j, v ? "true" : "false");
}

void jsonw_null(struct jsonw *j)
{
	before(j);
	outs(j, "null");
}

void jsonw_string_field(struct jsonw *j, const char *name, const char *s)
{
	jsonw_name(j, name);
	jsonw_string(j, s);
}

void jsonw_uint_field(struct jsonw *j, const char *name, uint64_t v)
{
	jsonw_name(j, name);
	jsonw_uint(j, v);
}

void jsonw_int_field(struct jsonw *j, const char *name, int64_t v)
{
	jsonw_name(j, name);
	jsonw_int(j, v);
}

void jsonw_bool_field(struct jsonw *j, const char *name, bool v)
{
	jsonw_name(j, name);
	jsonw_bool(j, v);
}

/* Close what is open and end the line. */
static void close_all(struct jsonw *j)
{
	if (j->named)
		jsonw_null(j);
	while (j->depth)
		end(j);
	outc(j, '\n');
}

size_t jsonw_finish(struct jsonw *j)
{
	close_all(j);
	return j->overflow ? 0 : j->o;
}

void jsonw_destroy(struct jsonw **jp)
{
	struct jsonw *j = jp ? *jp : NULL;

	if (!j)
		return;
	close_all(j);
	if (j->f)
		fflush(j->f);
	free(j);
	*jp = NULL;
}
