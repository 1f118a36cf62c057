/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the config-file unit tests (test_pod_map, test_daemon_config):
 * temporary files with given contents and modes, and capturing what a
 * function writes to stdout or stderr. Include after <cmocka.h>.
 */
#ifndef TCSEG_CONF_TEST_UTIL_H
#define TCSEG_CONF_TEST_UTIL_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#ifndef TCSEG_SRC_ROOT
#define TCSEG_SRC_ROOT "."	/* mk/ctl/daemon.mk passes the source tree */
#endif

/* Private directory for one test binary's files, removed by tu_cleanup(). */
static char tu_dir[64];

static inline void tu_setup_dir(void)
{
	if (tu_dir[0])
		return;
	snprintf(tu_dir, sizeof(tu_dir), "/tmp/tcseg-conftest.XXXXXX");
	assert_non_null(mkdtemp(tu_dir));
}

static inline void tu_cleanup(void)
{
	char cmd[128];

	if (!tu_dir[0])
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tu_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "# could not remove %s\n", tu_dir);
}

/* Write @len bytes to tu_dir/@name with @mode; the path in @path. */
static inline void tu_write_len(char *path, size_t plen, const char *name,
			 const char *data, size_t len, mode_t mode)
{
	int fd;

	tu_setup_dir();
	snprintf(path, plen, "%s/%s", tu_dir, name);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static inline void tu_write(char *path, size_t plen, const char *name,
		     const char *data)
{
	tu_write_len(path, plen, name, data, strlen(data), 0644);
}

/* Run @fn(@arg) with file descriptor @fd (1 or 2) sent to a file; return
 * what was written (malloc'd, NUL-terminated). */
static inline char *tu_capture(int fd, void (*fn)(void *), void *arg)
{
	FILE *tmp = tmpfile();
	int saved;
	long len;
	char *buf;

	assert_non_null(tmp);
	fflush(stdout);
	fflush(stderr);
	saved = dup(fd);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(tmp), fd) >= 0);
	fn(arg);
	fflush(stdout);
	fflush(stderr);
	assert_true(dup2(saved, fd) >= 0);
	close(saved);
	len = lseek(fileno(tmp), 0, SEEK_END);
	assert_true(len >= 0);
	buf = calloc(1, (size_t)len + 1);
	assert_non_null(buf);
	assert_int_equal(pread(fileno(tmp), buf, (size_t)len, 0), len);
	fclose(tmp);
	return buf;
}

/* assert that @s contains @sub, showing both when not. */
#define assert_contains(s, sub) do {					\
	const char *_s = (s), *_sub = (sub);				\
	if (!_s || !strstr(_s, _sub)) {					\
		print_error("'%s'\n  does not contain\n'%s'\n",		\
			    _s ? _s : "(null)", _sub);			\
		fail();							\
	}								\
} while (0)

#endif
