// SPDX-License-Identifier: GPL-2.0
/* The JSON reader (json_read.h): libjansson plus tcseg's checks. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <jansson.h>

#include "lib/json_read.h"

static int fail(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;
	char *c;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	/* jansson quotes the input ("near '...'"): no control bytes out */
	for (c = err; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	return -1;
}

/* Append @s to the store, control characters as '?'; NULL if full. */
static const char *keep(struct jread_line *l, size_t *used, const char *s)
{
	size_t n = strlen(s), i;
	char *d = l->store + *used;

	if (n >= sizeof(l->store) - *used)
		return NULL;
	for (i = 0; i < n; i++)
		d[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	d[n] = 0;
	*used += n + 1;
	return d;
}

/* A scalar as text into @buf; false for an array or object. */
static bool scalar_text(const json_t *v, char *buf, size_t len,
			const char **text)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		*text = json_string_value(v);
		return true;
	case JSON_INTEGER:
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		snprintf(buf, len, "%.6f", json_real_value(v));
		break;
	case JSON_TRUE:
		snprintf(buf, len, "true");
		break;
	case JSON_FALSE:
		snprintf(buf, len, "false");
		break;
	case JSON_NULL:
		snprintf(buf, len, "null");
		break;
	default:
		return false;
	}
	*text = buf;
	return true;
}

int jread_flat(const char *s, struct jread_line *l, char *err, size_t errlen)
{
	const char *key, *text;
	size_t used = 0;
	json_error_t je;
	char num[400];
	json_t *o, *v;
	int ret = 0;

	l->n = 0;
	o = json_loads(s, JSON_REJECT_DUPLICATES, &je);
	if (!o)
		return fail(err, errlen, "not JSON at column %d: %s", je.column,
			    je.text);
	if (!json_is_object(o)) {
		ret = fail(err, errlen, "not a JSON object");
		goto out;
	}
	json_object_foreach(o, key, v) {
		struct jread_field *f = &l->f[l->n];

		if (l->n == JREAD_FIELDS_MAX) {
			ret = fail(err, errlen, "more than %d fields",
				   JREAD_FIELDS_MAX);
			goto out;
		}
		if (!scalar_text(v, num, sizeof(num), &text)) {
			ret = fail(err, errlen, "field '%.64s': nested value",
				   key);
			goto out;
		}
		f->str = json_is_string(v);
		f->key = keep(l, &used, key);
		f->val = f->key ? keep(l, &used, text) : NULL;
		if (!f->val) {
			ret = fail(err, errlen, "fields larger than %zu bytes",
				   sizeof(l->store));
			goto out;
		}
		l->n++;
	}
out:
	json_decref(o);
	if (ret)
		l->n = 0;
	return ret;
}

static const struct jread_field *find(const struct jread_line *l,
				      const char *key)
{
	int i;

	for (i = 0; i < l->n; i++)
		if (!strcmp(l->f[i].key, key))
			return &l->f[i];
	return NULL;
}

const char *jread_get(const struct jread_line *l, const char *key)
{
	const struct jread_field *f = find(l, key);

	return f ? f->val : NULL;
}

const char *jread_str(const struct jread_line *l, const char *key)
{
	const struct jread_field *f = find(l, key);

	return f && f->str ? f->val : NULL;
}
