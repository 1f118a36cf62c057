/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared bits of the libFuzzer targets: the input as a file (a memfd
 * reached through /proc/self/fd, so the parsers open a real regular file
 * without touching the disk), a NUL-terminated copy of the input, and
 * FUZZ_CHECK, which aborts (a libFuzzer finding) when an invariant breaks.
 */
#ifndef TCSEG_FUZZ_UTIL_H
#define TCSEG_FUZZ_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#define FUZZ_CHECK(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "fuzz invariant failed at %s:%d: %s\n", \
				__FILE__, __LINE__, #cond);		\
			fprintf(stderr, "  " __VA_ARGS__);		\
			fputc('\n', stderr);				\
			abort();					\
		}							\
	} while (0)

struct fuzz_file {
	int fd;
	char path[64];
};

/* A memfd named by a path (created once, rewritten for every input). */
static inline void fuzz_file_init(struct fuzz_file *f, const char *name)
{
	f->fd = memfd_create(name, MFD_CLOEXEC);
	if (f->fd < 0) {
		perror("memfd_create");
		abort();
	}
	snprintf(f->path, sizeof(f->path), "/proc/self/fd/%d", f->fd);
}

static inline void fuzz_file_set(struct fuzz_file *f, const void *data,
				 size_t len)
{
	const char *p = data;
	size_t off = 0;
	ssize_t n;

	if (ftruncate(f->fd, 0))
		abort();
	while (off < len) {
		n = pwrite(f->fd, p + off, len - off, (off_t)off);
		if (n <= 0)
			abort();
		off += (size_t)n;
	}
}

/* The whole file back (NUL-terminated, malloc'd), for dump comparisons. */
static inline char *fuzz_file_get(struct fuzz_file *f, size_t *len)
{
	off_t end = lseek(f->fd, 0, SEEK_END);
	char *s;

	if (end < 0)
		abort();
	s = malloc((size_t)end + 1);
	if (!s || pread(f->fd, s, (size_t)end, 0) != end)
		abort();
	s[end] = '\0';
	if (len)
		*len = (size_t)end;
	return s;
}

/* NUL-terminated copy of the input (embedded NULs stay). */
static inline char *fuzz_strdup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* An error message must be a bounded C string. */
static inline void fuzz_check_err(const char *err, size_t errlen)
{
	FUZZ_CHECK(memchr(err, '\0', errlen) != NULL,
		   "error message not NUL-terminated");
}

#endif
