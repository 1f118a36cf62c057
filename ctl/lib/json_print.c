// SPDX-License-Identifier: GPL-2.0
/* Text or JSON from one description of a listing (json_print.h). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>

#include "lib/json_print.h"

int jprint_open(struct jprint *p, FILE *f, bool json, bool pretty)
{
	p->f = f;
	p->j = NULL;
	if (json && !(p->j = jsonw_new(f, pretty)))
		return -ENOMEM;
	return 0;
}

void jprint_close(struct jprint *p)
{
	jsonw_destroy(&p->j);
}

/* Does this value go to the current output? */
static bool wants(const struct jprint *p, enum print_type t)
{
	return p->j ? t & PRINT_JSON : t & PRINT_FP;
}

/* JSON: the key before a value (none in an array or at the top). */
static void key(struct jprint *p, const char *k)
{
	if (k)
		jsonw_name(p->j, k);
}

void print_open_object(struct jprint *p, const char *k)
{
	if (!p->j)
		return;
	key(p, k);
	jsonw_start_object(p->j);
}

void print_close_object(struct jprint *p)
{
	if (p->j)
		jsonw_end_object(p->j);
}

void print_open_array(struct jprint *p, const char *k)
{
	if (!p->j)
		return;
	key(p, k);
	jsonw_start_array(p->j);
}

void print_close_array(struct jprint *p)
{
	if (p->j)
		jsonw_end_array(p->j);
}

/* The formats are the callers' literals, checked by the tests' output. */
#pragma GCC diagnostic ignored "-Wformat-nonliteral"

void print_string(struct jprint *p, enum print_type t, const char *k,
		  const char *fmt, const char *v)
{
	if (!wants(p, t))
		return;
	if (!p->j) {
		fprintf(p->f, fmt, v ? v : "");
		return;
	}
	key(p, k);
	jsonw_string(p->j, v);
}

void print_uint(struct jprint *p, enum print_type t, const char *k,
		const char *fmt, unsigned long long v)
{
	if (!wants(p, t))
		return;
	if (!p->j) {
		fprintf(p->f, fmt, v);
		return;
	}
	key(p, k);
	jsonw_uint(p->j, v);
}

void print_int(struct jprint *p, enum print_type t, const char *k,
	       const char *fmt, long long v)
{
	if (!wants(p, t))
		return;
	if (!p->j) {
		fprintf(p->f, fmt, v);
		return;
	}
	key(p, k);
	jsonw_int(p->j, v);
}

void print_bool(struct jprint *p, enum print_type t, const char *k,
		const char *fmt, bool v)
{
	if (!wants(p, t))
		return;
	if (!p->j) {
		fprintf(p->f, fmt, v ? "true" : "false");
		return;
	}
	key(p, k);
	jsonw_bool(p->j, v);
}

void print_float(struct jprint *p, enum print_type t, const char *k,
		 const char *fmt, double v)
{
	if (!wants(p, t))
		return;
	if (!p->j) {
		fprintf(p->f, fmt, v);
		return;
	}
	key(p, k);
	if (isfinite(v))
		jsonw_printf(p->j, "%.17g", v);
	else
		jsonw_null(p->j);	/* JSON has no NaN or infinity */
}

void print_fp(struct jprint *p, const char *fmt, ...)
{
	va_list ap;

	if (p->j)
		return;
	va_start(ap, fmt);
	vfprintf(p->f, fmt, ap);
	va_end(ap);
}
