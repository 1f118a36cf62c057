/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcsegd's side of its metrics (ctl/daemon/tcsegd_dpmetrics.c): the data
 * path's families and the hooks the metrics (a leaf) call.
 */
#ifndef TCSEG_TCSEGD_DPMETRICS_H
#define TCSEG_TCSEGD_DPMETRICS_H

#include <stdio.h>

struct tcsegd;
struct tcsegd_metrics_ops;

/*
 * The data path's families (ctl/daemon/tcsegd_dpmetrics.c: counters, drops by
 * reason, map fill, pressure, per-rule hits), main thread only.
 */
void dp_metrics_render(struct tcsegd *d, FILE *f);
/* The hooks the metrics (a leaf) call into the daemon, with @d. */
void tcsegd_metrics_ops(struct tcsegd *d, struct tcsegd_metrics_ops *ops);

#endif
