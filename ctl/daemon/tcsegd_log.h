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
/* printf-style JSON body without braces: monitor_event("\"type\":\"x\""...) */
void monitor_eventf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int monitor_add(int fd);
void monitor_reap(void);
int monitor_count(void);
/* Monitor clients dropped so far (could not keep up), for the metrics. */
__u64 monitor_dropped(void);

#endif
