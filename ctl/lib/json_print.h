/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A listing described once and printed as text for people or as JSON
 * (tcctl -j, -p), as iproute2's print_*(PRINT_ANY, key, fmt, value)
 * does: each call names a value's JSON key and its text format. In text
 * mode keys and objects are ignored; in JSON mode formats are.
 */
#ifndef TCSEG_JSON_PRINT_H
#define TCSEG_JSON_PRINT_H

#include <stdbool.h>
#include <stdio.h>
#include "lib/json.h"

enum print_type {
	PRINT_FP = 1,		/* text only */
	PRINT_JSON = 2,		/* JSON only */
	PRINT_ANY = 3,
};

struct jprint {
	struct jsonw *j;	/* NULL: text */
	FILE *f;
};

/* Text or (pretty) JSON to @f; -ENOMEM. jprint_close ends the JSON. */
int jprint_open(struct jprint *p, FILE *f, bool json, bool pretty);
void jprint_close(struct jprint *p);

/* JSON containers; @key NULL inside an array or at the top. */
void print_open_object(struct jprint *p, const char *key);
void print_close_object(struct jprint *p);
void print_open_array(struct jprint *p, const char *key);
void print_close_array(struct jprint *p);

/* @fmt takes the value: %s, %llu, %lld, %s ("true"/"false"), %f; a NULL
 * @fmt prints nothing as text. */
void print_string(struct jprint *p, enum print_type t, const char *key,
		  const char *fmt, const char *v);	/* NULL: JSON null */
void print_uint(struct jprint *p, enum print_type t, const char *key,
		const char *fmt, unsigned long long v);
void print_int(struct jprint *p, enum print_type t, const char *key,
	       const char *fmt, long long v);
void print_bool(struct jprint *p, enum print_type t, const char *key,
		const char *fmt, bool v);
void print_float(struct jprint *p, enum print_type t, const char *key,
		 const char *fmt, double v);
/* Text only: headers, labels, line ends. */
void print_fp(struct jprint *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
