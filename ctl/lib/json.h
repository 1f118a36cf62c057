/* SPDX-License-Identifier: GPL-2.0 */
/* Minimal streaming JSON writer used by every `tcctl -j` command. */
#ifndef TCSEG_JSON_H
#define TCSEG_JSON_H

#include <stdio.h>
#include <stdint.h>
#include <stdbool.h>

struct json;

struct json *json_new(FILE *f, bool pretty);
void json_destroy(struct json **j);	/* prints a final newline */

void json_start_object(struct json *j);
void json_end_object(struct json *j);
void json_start_array(struct json *j);
void json_end_array(struct json *j);
void json_name(struct json *j, const char *name);

void json_string(struct json *j, const char *s);	/* escaped */
void json_uint(struct json *j, uint64_t v);
void json_int(struct json *j, int64_t v);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);

/* name + value in one call */
void json_string_field(struct json *j, const char *name, const char *s);
void json_uint_field(struct json *j, const char *name, uint64_t v);
void json_int_field(struct json *j, const char *name, int64_t v);
void json_bool_field(struct json *j, const char *name, bool v);

#endif
