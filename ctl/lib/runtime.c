// SPDX-License-Identifier: GPL-2.0
/* Version and minimum kernel / libbpf check (see runtime.h). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/utsname.h>
#include <bpf/libbpf.h>

#include "lib/runtime.h"

int tcseg_release_at_least(const char *release, int major, int minor)
{
	unsigned long ma, mi;
	char *end;

	if (*release < '0' || *release > '9')
		return -1;
	ma = strtoul(release, &end, 10);
	if (*end != '.' || end[1] < '0' || end[1] > '9')
		return -1;
	mi = strtoul(end + 1, &end, 10);
	if (ma > 10000 || mi > 10000)
		return -1;
	return ma > (unsigned long)major ||
	       (ma == (unsigned long)major && mi >= (unsigned long)minor);
}

int tcseg_runtime_check(char *err, size_t errlen)
{
	struct utsname u;
	int ok;

	if (uname(&u)) {
		snprintf(err, errlen, "uname failed");
		return -1;
	}
	ok = tcseg_release_at_least(u.release, TCSEG_MIN_KERNEL_MAJOR,
				    TCSEG_MIN_KERNEL_MINOR);
	if (ok <= 0) {
		snprintf(err, errlen, "kernel %.64s %s: tcseg needs Linux %d.%d "
			 "or newer", u.release, ok < 0 ? "is unreadable" :
			 "is too old", TCSEG_MIN_KERNEL_MAJOR,
			 TCSEG_MIN_KERNEL_MINOR);
		return -1;
	}
	if (libbpf_major_version() < TCSEG_MIN_LIBBPF_MAJOR ||
	    (libbpf_major_version() == TCSEG_MIN_LIBBPF_MAJOR &&
	     libbpf_minor_version() < TCSEG_MIN_LIBBPF_MINOR)) {
		snprintf(err, errlen, "libbpf %u.%u is too old: tcseg needs "
			 "%d.%d or newer", libbpf_major_version(),
			 libbpf_minor_version(), TCSEG_MIN_LIBBPF_MAJOR,
			 TCSEG_MIN_LIBBPF_MINOR);
		return -1;
	}
	return 0;
}

void tcseg_version_string(const char *prog, char *buf, size_t len)
{
	struct utsname u;

	if (uname(&u))
		u.release[0] = 0;
	snprintf(buf, len, "%s %s (libbpf %u.%u, kernel %s; needs Linux "
		 ">= %d.%d, libbpf >= %d.%d)", prog, TCSEG_VERSION,
		 libbpf_major_version(), libbpf_minor_version(), u.release,
		 TCSEG_MIN_KERNEL_MAJOR, TCSEG_MIN_KERNEL_MINOR,
		 TCSEG_MIN_LIBBPF_MAJOR, TCSEG_MIN_LIBBPF_MINOR);
}
