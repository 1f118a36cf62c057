/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading the daemon's own files (capture.conf, pod_node_mapping.conf):
 * the permission check (docs/CONFIG.md "Common rules") on the opened descriptor, a bounded
 * line reader, and "FILE:LINE: field: message" errors for both parsers.
 */
#ifndef TCSEG_CONF_FILE_H
#define TCSEG_CONF_FILE_H

#include <stdio.h>
#include <stddef.h>
#include <linux/types.h>

/* conf_open() flags. */
#define CONF_NO_PERM_CHECK	0x1	/* unit tests that run unprivileged */
#define CONF_SECRET		0x2	/* also refuse group/world readable */

#define CONF_LINE_MAX		1024	/* longest accepted line, bytes */

struct conf_reader {
	FILE *f;
	const char *path;
	unsigned int lineno;
	char *buf;
	size_t cap;
};

/*
 * Check an open file: a regular file, owned by root or by this process's
 * effective uid, not writable by group or others (and with CONF_SECRET
 * not readable by them either), at most @max_size bytes.
 * Returns 0 or a negative errno with "PATH: why" in @err.
 */
int conf_check_fd(int fd, const char *path, unsigned int flags,
		  off_t max_size, char *err, size_t errlen);

/* Open @path and run conf_check_fd() on it (unless CONF_NO_PERM_CHECK,
 * which skips the owner/mode part but still needs a regular file). */
int conf_open(struct conf_reader *r, const char *path, unsigned int flags,
	      off_t max_size, char *err, size_t errlen);
void conf_close(struct conf_reader *r);

/*
 * Next non-blank line with its comment and surrounding white space cut.
 * A comment starts at '#' at the start of the line or after a blank.
 * A trailing "\r" is dropped. Lines longer than CONF_LINE_MAX and any
 * byte outside printable ASCII (tab allowed) before the comment are
 * errors. Returns 1 with *line set (valid until the next call), 0 at end
 * of file, or a negative errno with "PATH:LINE: line: why" in @err.
 */
int conf_next(struct conf_reader *r, char **line, char *err, size_t errlen);

/* Split @line in place at blanks: at most @max fields are stored; the
 * return value is the real number of fields (may exceed @max). */
int conf_split(char *line, char **fields, int max);

/* "PATH:LINE: FIELD: message"; always returns -EINVAL. */
int conf_err(char *err, size_t errlen, const struct conf_reader *r,
	     const char *field, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Dotted quad only (inet_pton: no short forms, no leading zeros);
 * refuses 0.0.0.0, 255.255.255.255, multicast and 240/4. 0 or -EINVAL. */
int conf_parse_ipv4(const char *s, __be32 *addr);

/*
 * A name: 1..@max characters, the first a letter or digit, the rest
 * letters, digits, '.', '-', '_' or one of @extra. Returns 0, or -EINVAL
 * with the reason (mentioning the bad character) in @msg.
 */
int conf_check_name(const char *s, size_t max, const char *extra,
		    char *msg, size_t msglen);

/* Bounded quote of a hostile value for messages: at most 64 chars. */
#define CONF_Q		"'%.64s%s'"
#define CONF_QARG(s)	(s), (strlen(s) > 64 ? "..." : "")

#endif
