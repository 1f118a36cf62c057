/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The version of tcseg and the oldest kernel and libbpf it runs on
 * (README "Install"), checked by tcctl and tcsegd at start so an old
 * system gets one clear message instead of a verifier or attach error.
 */
#ifndef TCSEG_RUNTIME_H
#define TCSEG_RUNTIME_H

#include <stddef.h>

#define TCSEG_VERSION		"0.1.0"
/* Debian 12: Linux 6.1 (the VM suite's kernel), libbpf 1.1 */
#define TCSEG_MIN_KERNEL_MAJOR	6
#define TCSEG_MIN_KERNEL_MINOR	1
#define TCSEG_MIN_LIBBPF_MAJOR	1
#define TCSEG_MIN_LIBBPF_MINOR	1

/* Does a kernel release ("6.1.0-18-amd64") reach major.minor? 1, 0, or
 * -1 when it does not start with digits.digits. */
int tcseg_release_at_least(const char *release, int major, int minor);

/* 0, or -1 with a message naming what is too old and what is needed. */
int tcseg_runtime_check(char *err, size_t errlen);

/* "tcctl 0.1.0 (libbpf 1.1, kernel 6.1.0)" */
void tcseg_version_string(const char *prog, char *buf, size_t len);

#endif
