// SPDX-License-Identifier: GPL-2.0
/*
 * Streaming JSON writer: commas, indentation and string escaping are done
 * here so callers only say what to write. Strings are escaped (", \ and
 * control characters as \u00XX) and invalid UTF-8 becomes U+FFFD, so any
 * C string (device names, file names) yields valid JSON.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "lib/json.h"

/* Deeper nesting is not supported (commas and closers are not tracked). */
#define JSON_MAX_DEPTH 64

struct json {
	FILE *f;
	bool pretty;
	bool named;		/* a name was written, its value comes next */
	int depth;
	char closer[JSON_MAX_DEPTH + 1];	/* '}' or ']' per level */
	bool first[JSON_MAX_DEPTH + 1];		/* nothing written yet */
};

struct json *json_new(FILE *f, bool pretty)
{
	struct json *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	j->f = f;
	j->pretty = pretty;
	j->first[0] = true;
	return j;
}

static int level(const struct json *j)
{
	return j->depth < JSON_MAX_DEPTH ? j->depth : JSON_MAX_DEPTH;
}

static void indent(struct json *j)
{
	int i;

	fputc('\n', j->f);
	for (i = 0; i < j->depth; i++)
		fputs("    ", j->f);
}

/* Separator and indentation before a value or a name. */
static void before(struct json *j)
{
	if (j->named) {
		j->named = false;
		return;
	}
	if (j->depth == 0) {
		if (!j->first[0])
			fputc('\n', j->f);
		j->first[0] = false;
		return;
	}
	if (!j->first[level(j)])
		fputc(',', j->f);
	j->first[level(j)] = false;
	if (j->pretty)
		indent(j);
}

static void start(struct json *j, char open, char close)
{
	before(j);
	fputc(open, j->f);
	j->depth++;
	j->closer[level(j)] = close;
	j->first[level(j)] = true;
}

static void end(struct json *j)
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
	fputc(close, j->f);
}

void json_start_object(struct json *j)
{
	start(j, '{', '}');
}

void json_end_object(struct json *j)
{
	end(j);
}

void json_start_array(struct json *j)
{
	start(j, '[', ']');
}

void json_end_array(struct json *j)
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

static void put_escaped(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n;

	fputc('"', f);
	while (*s) {
		if (*s == '"' || *s == '\\') {
			fputc('\\', f);
			fputc(*s++, f);
		} else if (*s < 0x20 || *s == 0x7f) {
			fprintf(f, "\\u%04x", *s++);
		} else if ((n = utf8_len(s)) != 0) {
			fwrite(s, 1, n, f);
			s += n;
		} else {
			fputs("\\ufffd", f);
			s++;
		}
	}
	fputc('"', f);
}

void json_name(struct json *j, const char *name)
{
	before(j);
	put_escaped(j->f, name ? name : "");
	fputs(j->pretty ? ": " : ":", j->f);
	j->named = true;
}

void json_string(struct json *j, const char *s)
{
	if (!s) {
		json_null(j);
		return;
	}
	before(j);
	put_escaped(j->f, s);
}

void json_uint(struct json *j, uint64_t v)
{
	before(j);
	fprintf(j->f, "%" PRIu64, v);
}

void json_int(struct json *j, int64_t v)
{
	before(j);
	fprintf(j->f, "%" PRId64, v);
}

void json_bool(struct json *j, bool v)
{
	before(j);
	fputs(v ? "true" : "false", j->f);
}

void json_null(struct json *j)
{
	before(j);
	fputs("null", j->f);
}

void json_string_field(struct json *j, const char *name, const char *s)
{
	json_name(j, name);
	json_string(j, s);
}

void json_uint_field(struct json *j, const char *name, uint64_t v)
{
	json_name(j, name);
	json_uint(j, v);
}

void json_int_field(struct json *j, const char *name, int64_t v)
{
	json_name(j, name);
	json_int(j, v);
}

void json_bool_field(struct json *j, const char *name, bool v)
{
	json_name(j, name);
	json_bool(j, v);
}

void json_destroy(struct json **jp)
{
	struct json *j = jp ? *jp : NULL;

	if (!j)
		return;
	if (j->named)
		json_null(j);
	while (j->depth)
		end(j);
	fputc('\n', j->f);
	fflush(j->f);
	free(j);
	*jp = NULL;
}
