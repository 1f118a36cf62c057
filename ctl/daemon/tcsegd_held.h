/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcsegd's held-process ledger (ctl/daemon/tcsegd_held.c): processes the
 * capture or a hand-off stopped, released by their hand-off or swept.
 */
#ifndef TCSEG_TCSEGD_HELD_H
#define TCSEG_TCSEGD_HELD_H

#include "tcseg.h"

struct tcsegd_metrics;

/* Held-process ledger, pinned map tcseg_held (tcsegd_held.c). */
void held_init(int map_fd);
int held_record(__u32 tid, const struct tcseg_held *h);
void held_forget(__u32 tid);		/* after the SIGCONT */
/* Fail closed and release holds made before boot-clock @cutoff_ns. */
void held_sweep(struct tcsegd_metrics *m, __u64 cutoff_ns);

#endif
