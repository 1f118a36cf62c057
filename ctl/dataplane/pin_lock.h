/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The writer lock of a pin directory: flock(LOCK_EX) on the directory
 * itself (bpffs directories take flock like any other), so every tcctl
 * that changes the pinned maps runs its whole read-modify-write alone.
 * Held until as many pin_unlock() as pin_lock() calls, or the process
 * exits; taking it again in the same process only counts (tcsegd's
 * start-up attaches devices under its own load lock). See docs/POLICY.md "Concurrent writers".
 */
#ifndef TCSEG_PIN_LOCK_H
#define TCSEG_PIN_LOCK_H

#include <stddef.h>

#define PIN_LOCK_TIMEOUT_MS	10000

/*
 * Lock @pin_dir, waiting at most @timeout_ms. With @create the directory
 * is made first (and bpffs mounted where the default expects it); without
 * it a missing directory is not locked (nothing to protect) and 0 is
 * returned. Returns 0, -ETIMEDOUT (@err names the directory and the wait)
 * or another negative errno.
 */
int pin_lock(const char *pin_dir, unsigned int timeout_ms, int create,
	     char *err, size_t errlen);
void pin_unlock(void);

#endif
