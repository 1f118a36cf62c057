/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcsegd's verdict log (ctl/daemon/tcsegd_vlog.c, docs/DAEMON.md §Verdict
 * log): log, audit and drop records to a rotated file or syslog.
 */
#ifndef TCSEG_TCSEGD_VLOG_H
#define TCSEG_TCSEGD_VLOG_H

#include <stdbool.h>
#include <stddef.h>
#include "tcseg.h"

struct tcsegd;
struct tcsegd_metrics;
struct capture_config;

/*
 * ---- verdict log (tcsegd_vlog.c, docs/DAEMON.md §Verdict log): log,
 * audit and drop records to a rotated file or syslog. Main thread only.
 */
/* (Re)open as @cfg says (start, SIGHUP); 0 or -errno (logged). */
int vlog_open(const struct capture_config *cfg, struct tcsegd_metrics *m);
void vlog_close(void);
/* Does an event of @type go to the log? */
bool vlog_wants(__u32 type);
/* One record line ('\n' included): never split across files. */
void vlog_write(const char *line, size_t len);
/* The record of a data path event: to the monitors and the log. */
void verdict_event(struct tcsegd *d, const struct tcseg_event *e);

#endif
