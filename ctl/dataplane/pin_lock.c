// SPDX-License-Identifier: GPL-2.0
/* The writer lock of a pin directory (see pin_lock.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "lib/clock.h"
#include "dataplane/loader.h"
#include "dataplane/pin_lock.h"

#define errf(fmt, ...) snprintf(err, errlen, fmt, ##__VA_ARGS__)

static int held_fd = -1;
static unsigned int depth;	/* pin_lock() calls not yet undone */

static void nap_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Is the locked directory still the one at @path (not removed by unload)? */
static int same_dir(int fd, const char *path)
{
	struct stat a, b;

	return !fstat(fd, &a) && !stat(path, &b) && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

static int open_dir(const char *pin_dir, int create, char *err, size_t errlen)
{
	int fd, ret;

	if (create) {
		ret = tcseg_ensure_bpffs(pin_dir, err, errlen);
		if (ret)
			return ret;
		ret = tcseg_mkdir_p(pin_dir);
		if (ret) {
			errf("cannot create %s: %s", pin_dir, strerror(-ret));
			return ret;
		}
	}
	fd = open(pin_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		if (ret != -ENOENT || create)
			errf("cannot open %s: %s", pin_dir, strerror(errno));
	}
	return fd < 0 ? ret : fd;
}

int pin_lock(const char *pin_dir, unsigned int timeout_ms, int create,
	     char *err, size_t errlen)
{
	__u64 deadline = mono_ns() + (__u64)timeout_ms * 1000000ull;
	unsigned int nap = 1;
	int fd;

	if (held_fd >= 0) {
		depth++;
		return 0;
	}
	for (;;) {
		fd = open_dir(pin_dir, create, err, errlen);
		if (fd == -ENOENT && !create)
			return 0;
		if (fd < 0)
			return fd;
		while (flock(fd, LOCK_EX | LOCK_NB)) {
			int e = errno;

			if (e != EWOULDBLOCK && e != EINTR) {
				errf("cannot lock %s: %s", pin_dir, strerror(e));
				close(fd);
				return -e;
			}
			if (mono_ns() >= deadline) {
				errf("another tcctl holds the lock on %s: gave "
				     "up after %.1f s (--lock-timeout)",
				     pin_dir, timeout_ms / 1000.0);
				close(fd);
				return -ETIMEDOUT;
			}
			nap_ms(nap);
			nap = nap < 32 ? nap * 2 : 50;
		}
		if (same_dir(fd, pin_dir)) {
			held_fd = fd;
			depth = 1;
			return 0;
		}
		/* unloaded (and maybe loaded again) while we waited */
		close(fd);
	}
}

void pin_unlock(void)
{
	if (held_fd < 0 || --depth)
		return;
	flock(held_fd, LOCK_UN);
	close(held_fd);
	held_fd = -1;
}
