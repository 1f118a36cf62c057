/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcsegd's log lines and its monitor stream (ctl/daemon/tcsegd_log.c).
 * A leaf: it includes nothing of the daemon, so any of its files may use
 * it.
 * Callable from any thread. See docs/DAEMON.md §Logs, §Code layout.
 */
#ifndef TCSEG_TCSEGD_LOG_H
#define TCSEG_TCSEGD_LOG_H

#include <stdbool.h>
#include <linux/types.h>

#include "lib/json.h"

#define TCSEGD_MAX_CLIENTS	64	/* control and monitor clients */
#define TCSEGD_EVENT_MAX	1024	/* one monitor line, bytes */

/*
 * ---- logging: "ts level component msg key=value..."; the levels are
 * log_level's values (CFG_LOG_*, checked in ctl/daemon/tcsegd.c).
 */
enum { L_ERR, L_WARN, L_INFO, L_DEBUG };
void dlog(int level, const char *comp, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void dlog_set_level(int level);
void dlog_use_syslog(bool on);

/* ---- monitor stream: one JSON object a line to every `monitor` client */
void monitor_emit(const char *json_line);
/*
 * One event, written with the one JSON writer (ctl/lib/json.h):
 * monitor_event_begin() opens {"ts":..,"type":@type and returns false
 * when no monitor listens (write nothing then); the caller adds fields
 * with jsonw_*_field(&ev.w, ..); monitor_event_end() sends the line if it
 * fitted whole (it always does at TCSEGD_EVENT_MAX: names, flows and
 * reasons are bounded).
 */
struct monitor_event {
	struct jsonw w;
	char buf[TCSEGD_EVENT_MAX];
};
bool monitor_event_begin(struct monitor_event *ev, const char *type);
void monitor_event_end(struct monitor_event *ev);
int monitor_add(int fd);
void monitor_reap(void);
int monitor_count(void);
/* Monitor clients dropped so far (could not keep up), for the metrics. */
__u64 monitor_dropped(void);

#endif
