// SPDX-License-Identifier: GPL-2.0
/*
 * tcsegd: structured log lines, metrics counters and their Prometheus
 * text, and the monitor stream (one JSON object a line to every
 * `tcctl monitor`). All callable from any thread.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#include "tcsegd.h"

struct tcsegd_metrics M;
const __u64 tcsegd_lat_bounds_us[11] = {
	250, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000, 500000,
	2000000,
};

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

void metrics_latency(__u64 us)
{
	unsigned int i;

	for (i = 0; i < 11 && us > tcsegd_lat_bounds_us[i]; i++)
		;
	__atomic_add_fetch(&M.lat_bucket[i], 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&M.lat_count, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&M.lat_sum_us, us, __ATOMIC_RELAXED);
}

#define APPEND(...) do {						\
	int _n = snprintf(buf + off, off < len ? len - off : 0, __VA_ARGS__); \
	if (_n > 0)							\
		off += (size_t)_n;					\
} while (0)

static const char *const ev_names[] = {
	"", "flow_log", "flow_encrypt", "audit", "drop",
};

size_t metrics_render(char *buf, size_t len)
{
	size_t off = 0;
	__u64 cum = 0;
	unsigned int i;

	APPEND("# HELP tcseg_captured_connections_total TCP connections of "
	       "this node's pods reported by the socket capture.\n"
	       "# TYPE tcseg_captured_connections_total counter\n"
	       "tcseg_captured_connections_total{side=\"connect\"} %llu\n"
	       "tcseg_captured_connections_total{side=\"accept\"} %llu\n",
	       (unsigned long long)MGET(captured_connect),
	       (unsigned long long)MGET(captured_accept));
	APPEND("# HELP tcseg_key_fetch_total Key provider requests by result.\n"
	       "# TYPE tcseg_key_fetch_total counter\n"
	       "tcseg_key_fetch_total{result=\"ok\"} %llu\n"
	       "tcseg_key_fetch_total{result=\"error\"} %llu\n",
	       (unsigned long long)MGET(key_ok),
	       (unsigned long long)MGET(key_err));
	APPEND("# HELP tcseg_ktls_total kTLS set-ups on application sockets.\n"
	       "# TYPE tcseg_ktls_total counter\n"
	       "tcseg_ktls_total{result=\"ok\"} %llu\n"
	       "tcseg_ktls_total{result=\"unavailable\"} %llu\n"
	       "tcseg_ktls_total{result=\"error\"} %llu\n",
	       (unsigned long long)MGET(ktls_ok),
	       (unsigned long long)MGET(ktls_unavailable),
	       (unsigned long long)MGET(ktls_err));
	APPEND("# HELP tcseg_handoff_total Hand-offs by outcome.\n"
	       "# TYPE tcseg_handoff_total counter\n"
	       "tcseg_handoff_total{result=\"secured\"} %llu\n"
	       "tcseg_handoff_total{result=\"failed\"} %llu\n"
	       "tcseg_handoff_total{result=\"timeout\"} %llu\n"
	       "tcseg_handoff_total{result=\"plaintext_optional\"} %llu\n"
	       "tcseg_handoff_total{result=\"queue_full\"} %llu\n",
	       (unsigned long long)MGET(handoff_ok),
	       (unsigned long long)MGET(handoff_failed),
	       (unsigned long long)MGET(handoff_timeout),
	       (unsigned long long)MGET(handoff_optional),
	       (unsigned long long)MGET(handoff_dropped));
	APPEND("# HELP tcseg_handoff_latency_seconds Capture record to socket "
	       "secured.\n# TYPE tcseg_handoff_latency_seconds histogram\n");
	for (i = 0; i < 11; i++) {
		cum += MGET(lat_bucket[i]);
		APPEND("tcseg_handoff_latency_seconds_bucket{le=\"%g\"} %llu\n",
		       tcsegd_lat_bounds_us[i] / 1e6, (unsigned long long)cum);
	}
	APPEND("tcseg_handoff_latency_seconds_bucket{le=\"+Inf\"} %llu\n"
	       "tcseg_handoff_latency_seconds_sum %.6f\n"
	       "tcseg_handoff_latency_seconds_count %llu\n",
	       (unsigned long long)MGET(lat_count), MGET(lat_sum_us) / 1e6,
	       (unsigned long long)MGET(lat_count));
	APPEND("# HELP tcseg_events_total Data path events read.\n"
	       "# TYPE tcseg_events_total counter\n");
	for (i = 1; i <= TCSEG_EV_DROP; i++)
		APPEND("tcseg_events_total{type=\"%s\"} %llu\n", ev_names[i],
		       (unsigned long long)MGET(tc_events[i]));
	APPEND("# HELP tcseg_invalid_records_total Ring buffer records refused.\n"
	       "# TYPE tcseg_invalid_records_total counter\n"
	       "tcseg_invalid_records_total{ring=\"capture\"} %llu\n"
	       "tcseg_invalid_records_total{ring=\"datapath\"} %llu\n"
	       "# TYPE tcseg_join_dropped_total counter\n"
	       "tcseg_join_dropped_total %llu\n"
	       "# TYPE tcseg_monitor_dropped_total counter\n"
	       "tcseg_monitor_dropped_total %llu\n"
	       "# TYPE tcseg_handoff_in_flight gauge\n"
	       "tcseg_handoff_in_flight %d\n",
	       (unsigned long long)MGET(sock_events_invalid),
	       (unsigned long long)MGET(tc_events_invalid),
	       (unsigned long long)MGET(corr_dropped),
	       (unsigned long long)MGET(monitor_dropped), handoff_in_flight());
	return off < len ? off : len - 1;
}

/* ---- monitor clients */
static pthread_mutex_t mon_lock = PTHREAD_MUTEX_INITIALIZER;
static int mon_fd[TCSEGD_MAX_CLIENTS];
static bool mon_dead[TCSEGD_MAX_CLIENTS];
static int mon_n;

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
			MINC(monitor_dropped);
		mon_dead[i] = true;
	}
	pthread_mutex_unlock(&mon_lock);
}

void monitor_eventf(const char *fmt, ...)
{
	char body[TCSEGD_EVENT_MAX - 64], line[TCSEGD_EVENT_MAX];
	struct timespec now;
	va_list ap;

	if (!monitor_count())
		return;
	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	clock_gettime(CLOCK_REALTIME, &now);
	snprintf(line, sizeof(line), "{\"ts\":%ld.%06ld,%s}\n",
		 (long)now.tv_sec, now.tv_nsec / 1000, body);
	monitor_emit(line);
}

const char *json_esc(const char *s, char *out, size_t len)
{
	size_t o = 0;

	for (; *s && o + 7 < len; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c < 0x20 || c >= 0x7f) {
			o += (size_t)snprintf(out + o, len - o, "\\u%04x", c);
		} else {
			out[o++] = (char)c;
		}
	}
	out[o] = 0;
	return out;
}
