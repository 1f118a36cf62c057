// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the JSON writer (ctl/lib/json.c). The input drives a
 * well-formed sequence of writer calls (objects, arrays, names, strings
 * of arbitrary bytes, numbers, booleans, null; nesting up to the
 * writer's documented 64 levels), compact or pretty. The output must be
 * valid JSON (RFC 8259, checked by the small validator below: one value
 * per line at the top level, strings valid UTF-8 with no raw control
 * characters), and every string without invalid UTF-8 must decode back
 * to exactly the bytes that were written.
 */
#include <stdbool.h>
#include "lib/json.h"
#include "fuzz_util.h"

#define MAX_DEPTH	64

/* ---- input reader ---- */

struct in {
	const uint8_t *p;
	size_t n;
};

static int take(struct in *in)
{
	if (!in->n)
		return -1;
	in->n--;
	return *in->p++;
}

/* A string: bytes up to a NUL or the end, at most 200. */
static char *take_str(struct in *in, char *buf, size_t size)
{
	size_t i = 0;
	int c;

	while (i + 1 < size && i < 200 && (c = take(in)) > 0)
		buf[i++] = (char)c;
	buf[i] = '\0';
	return buf;
}

static uint64_t take_u64(struct in *in)
{
	uint64_t v = 0;
	int i, c;

	for (i = 0; i < 8 && (c = take(in)) >= 0; i++)
		v = v << 8 | (uint64_t)c;
	return v;
}

/* ---- expected strings, in writing order ---- */

#define MAX_STRS	512

static char *written[MAX_STRS];
static int nwritten, nchecked;

static void remember(const char *s)
{
	if (nwritten < MAX_STRS)
		written[nwritten++] = strdup(s);
}

/* ---- generator ---- */

static void gen_value(struct json *j, struct in *in, int depth);

static void gen_scalar(struct json *j, struct in *in, int c)
{
	char s[256];

	switch (c % 6) {
	case 0:
		take_str(in, s, sizeof(s));
		remember(s);
		json_string(j, s);
		break;
	case 1:
		json_uint(j, take_u64(in));
		break;
	case 2:
		json_int(j, (int64_t)take_u64(in));
		break;
	case 3:
		json_bool(j, c & 8);
		break;
	case 4:
		json_null(j);
		break;
	default:
		json_string(j, NULL);	/* writes null */
		break;
	}
}

static void gen_members(struct json *j, struct in *in, int depth)
{
	char name[256], s[256];
	int c;

	while ((c = take(in)) >= 0 && c != 0xff) {
		switch (c % 5) {
		case 0:
			take_str(in, name, sizeof(name));
			remember(name);
			json_name(j, name);
			gen_value(j, in, depth);
			break;
		case 1:
			take_str(in, name, sizeof(name));
			remember(name);
			take_str(in, s, sizeof(s));
			remember(s);
			json_string_field(j, name, s);
			break;
		case 2:
			take_str(in, name, sizeof(name));
			remember(name);
			json_uint_field(j, name, take_u64(in));
			break;
		case 3:
			take_str(in, name, sizeof(name));
			remember(name);
			json_int_field(j, name, (int64_t)take_u64(in));
			break;
		default:
			take_str(in, name, sizeof(name));
			remember(name);
			json_bool_field(j, name, c & 8);
			break;
		}
	}
}

static void gen_value(struct json *j, struct in *in, int depth)
{
	int c = take(in);

	if (c < 0) {
		json_null(j);
		return;
	}
	if (depth < MAX_DEPTH && (c & 0x30) == 0x10) {
		json_start_object(j);
		gen_members(j, in, depth + 1);
		json_end_object(j);
		return;
	}
	if (depth < MAX_DEPTH && (c & 0x30) == 0x20) {
		json_start_array(j);
		while ((c = take(in)) >= 0 && c != 0xff) {
			in->p--, in->n++;	/* put it back */
			gen_value(j, in, depth + 1);
		}
		json_end_array(j);
		return;
	}
	gen_scalar(j, in, c);
}

/* ---- validator ---- */

struct vp {
	const char *s;
	size_t i, n;
	int depth;
};

static void ws(struct vp *v)
{
	while (v->i < v->n && (v->s[v->i] == ' ' || v->s[v->i] == '\t' ||
			       v->s[v->i] == '\n' || v->s[v->i] == '\r'))
		v->i++;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void put_utf8(char *out, size_t *o, uint32_t cp)
{
	if (cp < 0x80) {
		out[(*o)++] = (char)cp;
	} else if (cp < 0x800) {
		out[(*o)++] = (char)(0xc0 | cp >> 6);
		out[(*o)++] = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		out[(*o)++] = (char)(0xe0 | cp >> 12);
		out[(*o)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[(*o)++] = (char)(0x80 | (cp & 0x3f));
	} else {
		out[(*o)++] = (char)(0xf0 | cp >> 18);
		out[(*o)++] = (char)(0x80 | ((cp >> 12) & 0x3f));
		out[(*o)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[(*o)++] = (char)(0x80 | (cp & 0x3f));
	}
}

/* Length of a valid UTF-8 sequence (RFC 3629) at s[0..n), 0 if none. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t len, k;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0)
		len = 2, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		len = 3, cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (k = 1; k < len; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[k] & 0x3f);
	}
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
	    (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* Is every byte of @s part of valid UTF-8? */
static bool valid_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0, k;

	while (i < n) {
		k = utf8_seq(p + i, n - i);
		if (!k)
			return false;
		i += k;
	}
	return true;
}

static void v_string(struct vp *v)
{
	char *out = malloc(v->n + 1);
	size_t o = 0, k;
	uint32_t cp;
	int h, d;

	if (!out)
		abort();
	FUZZ_CHECK(v->s[v->i] == '"', "string expected at %zu", v->i);
	v->i++;
	for (;;) {
		FUZZ_CHECK(v->i < v->n, "unterminated string");
		unsigned char c = (unsigned char)v->s[v->i];

		if (c == '"')
			break;
		FUZZ_CHECK(c >= 0x20, "raw control byte 0x%02x at %zu", c, v->i);
		if (c != '\\') {
			k = utf8_seq((const unsigned char *)v->s + v->i,
				     v->n - v->i);
			FUZZ_CHECK(k, "invalid UTF-8 at %zu", v->i);
			memcpy(out + o, v->s + v->i, k);
			o += k;
			v->i += k;
			continue;
		}
		FUZZ_CHECK(v->i + 1 < v->n, "escape at the end");
		c = (unsigned char)v->s[++v->i];
		v->i++;
		switch (c) {
		case '"': case '\\': case '/':
			out[o++] = (char)c;
			break;
		case 'b': out[o++] = '\b'; break;
		case 'f': out[o++] = '\f'; break;
		case 'n': out[o++] = '\n'; break;
		case 'r': out[o++] = '\r'; break;
		case 't': out[o++] = '\t'; break;
		case 'u':
			FUZZ_CHECK(v->i + 4 <= v->n, "short \\u escape");
			for (cp = 0, d = 0; d < 4; d++) {
				h = hexval(v->s[v->i + d]);
				FUZZ_CHECK(h >= 0, "bad \\u escape");
				cp = cp << 4 | (uint32_t)h;
			}
			v->i += 4;
			/* the writer never splits a character into surrogates */
			FUZZ_CHECK(cp < 0xd800 || cp > 0xdfff,
				   "lone surrogate \\u%04x", cp);
			put_utf8(out, &o, cp);
			break;
		default:
			FUZZ_CHECK(0, "bad escape \\%c", c);
		}
	}
	v->i++;
	out[o] = '\0';
	/* compare with what was written, in order */
	if (nchecked < nwritten) {
		const char *w = written[nchecked++];

		if (w && valid_utf8(w))
			FUZZ_CHECK(!strcmp(out, w),
				   "string decodes to a different value");
	}
	free(out);
}

static void v_number(struct vp *v)
{
	size_t start = v->i;

	if (v->s[v->i] == '-')
		v->i++;
	FUZZ_CHECK(v->i < v->n && v->s[v->i] >= '0' && v->s[v->i] <= '9',
		   "bad number at %zu", start);
	if (v->s[v->i] == '0') {
		v->i++;
	} else {
		while (v->i < v->n && v->s[v->i] >= '0' && v->s[v->i] <= '9')
			v->i++;
	}
	/* the writer only writes integers */
}

static void v_lit(struct vp *v, const char *lit)
{
	size_t n = strlen(lit);

	FUZZ_CHECK(v->i + n <= v->n && !memcmp(v->s + v->i, lit, n),
		   "bad literal at %zu", v->i);
	v->i += n;
}

static void v_value(struct vp *v)
{
	ws(v);
	FUZZ_CHECK(v->i < v->n, "value expected at the end");
	switch (v->s[v->i]) {
	case '{':
		FUZZ_CHECK(++v->depth <= MAX_DEPTH + 1, "too deep");
		v->i++;
		ws(v);
		if (v->i < v->n && v->s[v->i] == '}') {
			v->i++;
			v->depth--;
			return;
		}
		for (;;) {
			ws(v);
			v_string(v);
			ws(v);
			FUZZ_CHECK(v->i < v->n && v->s[v->i] == ':',
				   "':' expected at %zu", v->i);
			v->i++;
			v_value(v);
			ws(v);
			FUZZ_CHECK(v->i < v->n, "unterminated object");
			if (v->s[v->i] == '}')
				break;
			FUZZ_CHECK(v->s[v->i] == ',', "',' expected at %zu",
				   v->i);
			v->i++;
		}
		v->i++;
		v->depth--;
		return;
	case '[':
		FUZZ_CHECK(++v->depth <= MAX_DEPTH + 1, "too deep");
		v->i++;
		ws(v);
		if (v->i < v->n && v->s[v->i] == ']') {
			v->i++;
			v->depth--;
			return;
		}
		for (;;) {
			v_value(v);
			ws(v);
			FUZZ_CHECK(v->i < v->n, "unterminated array");
			if (v->s[v->i] == ']')
				break;
			FUZZ_CHECK(v->s[v->i] == ',', "',' expected at %zu",
				   v->i);
			v->i++;
		}
		v->i++;
		v->depth--;
		return;
	case '"':
		v_string(v);
		return;
	case 't':
		v_lit(v, "true");
		return;
	case 'f':
		v_lit(v, "false");
		return;
	case 'n':
		v_lit(v, "null");
		return;
	default:
		v_number(v);
	}
}

/* Top level: values separated by newlines, then one final newline. */
static void validate(const char *s, size_t n)
{
	struct vp v = { .s = s, .n = n };

	FUZZ_CHECK(n > 0 && s[n - 1] == '\n', "no final newline");
	for (;;) {
		v_value(&v);
		FUZZ_CHECK(v.i < v.n && s[v.i] == '\n',
			   "newline expected after a top-level value at %zu",
			   v.i);
		v.i++;
		if (v.i == v.n)
			return;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { data, size };
	struct json *j;
	char *out = NULL;
	size_t len = 0;
	FILE *f;
	int i, c, values = 0;

	if (size < 1 || size > 16384)
		return 0;
	f = open_memstream(&out, &len);
	if (!f)
		abort();
	j = json_new(f, take(&in) & 1);
	if (!j)
		abort();
	nwritten = nchecked = 0;
	while (in.n && values < 16) {
		c = take(&in);
		in.p--, in.n++;
		(void)c;
		gen_value(j, &in, 0);
		values++;
	}
	if (!values)
		json_null(j);
	json_destroy(&j);
	fclose(f);
	validate(out, len);
	FUZZ_CHECK(nchecked == nwritten || nwritten == MAX_STRS,
		   "%d strings written, %d found", nwritten, nchecked);
	for (i = 0; i < nwritten; i++)
		free(written[i]);
	free(out);
	return 0;
}
