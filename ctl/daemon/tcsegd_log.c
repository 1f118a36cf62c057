// SPDX-License-Identifier: GPL-2.0
/*
 * tcsegd: structured log lines and the monitor stream (one JSON object
 * a line to every `tcctl monitor`). All callable from any thread. A leaf
 * (ctl/daemon/tcsegd_log.h): the metrics copy its drop count.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#include <pthread.h>

#include "daemon/tcsegd_log.h"

static int log_level = L_INFO;
static bool use_syslog;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const level_names[] = { "error", "warn", "info", "debug" };

void dlog_set_level(int level)
{
	__atomic_store_n(&log_level, level, __ATOMIC_RELAXED);
}

void dlog_use_syslog(bool on)
{
	use_syslog = on;
	if (on)
		openlog("tcsegd", LOG_PID, LOG_DAEMON);
}

void dlog(int level, const char *comp, const char *fmt, ...)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	char msg[1024], ts[40];
	struct timespec now;
	struct tm tm;
	va_list ap;

	if (level > __atomic_load_n(&log_level, __ATOMIC_RELAXED))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	if (use_syslog) {
		syslog(prio[level & 3], "%s %s %s", level_names[level & 3],
		       comp, msg);
		return;
	}
	pthread_mutex_lock(&log_lock);
	fprintf(stderr, "%s.%06ldZ %s %s %s\n", ts, now.tv_nsec / 1000,
		level_names[level & 3], comp, msg);
	fflush(stderr);
	pthread_mutex_unlock(&log_lock);
}

/* ---- monitor clients */
static pthread_mutex_t mon_lock = PTHREAD_MUTEX_INITIALIZER;
static int mon_fd[TCSEGD_MAX_CLIENTS];
static bool mon_dead[TCSEGD_MAX_CLIENTS];
static int mon_n;
static __u64 mon_dropped;

int monitor_add(int fd)
{
	int ret = -ENOSPC;

	pthread_mutex_lock(&mon_lock);
	if (mon_n < TCSEGD_MAX_CLIENTS) {
		mon_fd[mon_n] = fd;
		mon_dead[mon_n] = false;
		mon_n++;
		ret = 0;
	}
	pthread_mutex_unlock(&mon_lock);
	return ret;
}

int monitor_count(void)
{
	int n;

	pthread_mutex_lock(&mon_lock);
	n = mon_n;
	pthread_mutex_unlock(&mon_lock);
	return n;
}

/* Close clients that went away or could not keep up. */
void monitor_reap(void)
{
	int i;

	pthread_mutex_lock(&mon_lock);
	for (i = 0; i < mon_n; i++) {
		char c;

		if (!mon_dead[i] &&
		    recv(mon_fd[i], &c, 1, MSG_DONTWAIT | MSG_PEEK) != 0)
			continue;
		close(mon_fd[i]);
		mon_fd[i] = mon_fd[--mon_n];
		mon_dead[i] = mon_dead[mon_n];
		i--;
	}
	pthread_mutex_unlock(&mon_lock);
}

void monitor_emit(const char *line)
{
	size_t len = strlen(line);
	int i;

	pthread_mutex_lock(&mon_lock);
	for (i = 0; i < mon_n; i++) {
		ssize_t n;

		if (mon_dead[i])
			continue;
		n = send(mon_fd[i], line, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n == (ssize_t)len)
			continue;
		/* a reader that cannot keep up loses its stream, not us */
		if (n >= 0 || errno == EAGAIN)
			__atomic_add_fetch(&mon_dropped, 1, __ATOMIC_RELAXED);
		mon_dead[i] = true;
	}
	pthread_mutex_unlock(&mon_lock);
}

__u64 monitor_dropped(void)
{
	return __atomic_load_n(&mon_dropped, __ATOMIC_RELAXED);
}

bool monitor_event_begin(struct monitor_event *ev, const char *type)
{
	struct timespec now;

	if (!monitor_count())
		return false;
	clock_gettime(CLOCK_REALTIME, &now);
	jsonw_init_buf(&ev->w, ev->buf, sizeof(ev->buf));
	jsonw_start_object(&ev->w);
	jsonw_name(&ev->w, "ts");
	jsonw_printf(&ev->w, "%ld.%06ld", (long)now.tv_sec,
		     now.tv_nsec / 1000);
	jsonw_string_field(&ev->w, "type", type);
	return true;
}

void monitor_event_end(struct monitor_event *ev)
{
	if (jsonw_finish(&ev->w))
		monitor_emit(ev->buf);
}
