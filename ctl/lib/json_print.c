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

enum route { SKIP, TEXT, JSON };

/* Where a value goes; for JSON its key (if any) is written already. */
static enum route route(struct jprint *p, enum print_type t, const char *k)
{
	if (!(t & (p->j ? PRINT_JSON : PRINT_FP)))
		return SKIP;
	if (!p->j)
		return TEXT;
	if (k)
		jsonw_name(p->j, k);
	return JSON;
}

static void open(struct jprint *p, const char *k, bool array)
{
	if (route(p, PRINT_JSON, k) != JSON)
		return;
	if (array)
		jsonw_start_array(p->j);
	else
		jsonw_start_object(p->j);
}

void print_open_object(struct jprint *p, const char *k)
{
	open(p, k, false);
}

void print_open_array(struct jprint *p, const char *k)
{
	open(p, k, true);
}

/* jsonw_end_object and _array are one: the writer knows which is open */
void print_close_object(struct jprint *p)
{
	if (p->j)
		jsonw_end_object(p->j);
}

void print_close_array(struct jprint *p)
{
	print_close_object(p);
}

/* The formats are the callers' literals, checked by the tests' output. */
#pragma GCC diagnostic ignored "-Wformat-nonliteral"

void print_string(struct jprint *p, enum print_type t, const char *k,
		  const char *fmt, const char *v)
{
	enum route r = route(p, t, k);

	if (r == TEXT && fmt)
		fprintf(p->f, fmt, v ? v : "");
	else if (r == JSON)
		jsonw_string(p->j, v);
}

void print_uint(struct jprint *p, enum print_type t, const char *k,
		const char *fmt, unsigned long long v)
{
	enum route r = route(p, t, k);

	if (r == TEXT && fmt)
		fprintf(p->f, fmt, v);
	else if (r == JSON)
		jsonw_uint(p->j, v);
}

void print_int(struct jprint *p, enum print_type t, const char *k,
	       const char *fmt, long long v)
{
	enum route r = route(p, t, k);

	if (r == TEXT && fmt)
		fprintf(p->f, fmt, v);
	else if (r == JSON)
		jsonw_int(p->j, v);
}

void print_bool(struct jprint *p, enum print_type t, const char *k,
		const char *fmt, bool v)
{
	enum route r = route(p, t, k);

	if (r == TEXT && fmt)
		fprintf(p->f, fmt, v ? "true" : "false");
	else if (r == JSON)
		jsonw_bool(p->j, v);
}

void print_float(struct jprint *p, enum print_type t, const char *k,
		 const char *fmt, double v)
{
	enum route r = route(p, t, k);

	if (r == TEXT && fmt)
		fprintf(p->f, fmt, v);
	else if (r == JSON && isfinite(v))
		jsonw_printf(p->j, "%.17g", v);
	else if (r == JSON)
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
