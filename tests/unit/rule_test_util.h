/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by the rule language tests: split a line into argv words. */
#ifndef TCSEG_RULE_TEST_UTIL_H
#define TCSEG_RULE_TEST_UTIL_H

#include <stdio.h>
#include <string.h>

/* Split @line on spaces into @argv (words live in a static buffer). */
static inline int split_test_line(const char *line, char **argv, int max)
{
	static char buf[2048];
	char *save = NULL, *w;
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", line);
	for (w = strtok_r(buf, " ", &save); w && argc < max;
	     w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	return argc;
}

#endif
