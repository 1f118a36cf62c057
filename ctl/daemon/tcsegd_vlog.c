// SPDX-License-Identifier: GPL-2.0
/*
 * The verdict log (docs/DAEMON.md §Verdict log): every log, audit and
 * drop event of the data path (rate-limited there) as one JSON line, the
 * record of `tcctl monitor -j` (ctl/dataplane/verdict_json.c), whether or not a
 * monitor is attached. To a file rotated by size (FILE.1 .. FILE.N kept)
 * or to syslog, as verdict_log says. Main thread only (the ring buffer
 * callback and SIGHUP).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <sys/stat.h>

#include "daemon/pod_map.h"
#include "lib/clock.h"
#include "dataplane/verdict_json.h"
#include "daemon/tcsegd.h"
#include "daemon/tcsegd_vlog.h"
#include "daemon/tcsegd_log.h"
#include "daemon/tcsegd_metrics.h"

static struct {
	enum cfg_vlog_sink sink;
	char path[CFG_PATH_MAX];
	__u64 max_bytes;
	unsigned int keep;
	int fd;
	__u64 size;			/* bytes in the open file */
	struct tcsegd_metrics *m;	/* vlog_open's */
} V = { .fd = -1 };
/* records are written by the worker reading the rings, (re)opened by
 * the main thread (SIGHUP) */
static pthread_mutex_t V_lock = PTHREAD_MUTEX_INITIALIZER;

static int open_file(void)
{
	struct stat st;
	char dir[CFG_PATH_MAX], *slash;
	int fd;

	snprintf(dir, sizeof(dir), "%s", V.path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = 0;
		tcseg_mkdir_p(dir);	/* 0700; the open below says if not */
	}
	/* O_NOFOLLOW: a link planted at the log's name is not followed */
	fd = open(V.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
		  O_NOFOLLOW | O_NONBLOCK, 0640);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	V.fd = fd;
	V.size = (__u64)st.st_size;
	return 0;
}

static void close_file(void)
{
	if (V.fd >= 0)
		close(V.fd);
	V.fd = -1;
}

void vlog_close(void)
{
	pthread_mutex_lock(&V_lock);
	close_file();
	pthread_mutex_unlock(&V_lock);
}

int vlog_open(const struct capture_config *cfg, struct tcsegd_metrics *m)
{
	int r = 0;

	pthread_mutex_lock(&V_lock);
	close_file();
	V.m = m;
	V.sink = cfg->verdict_log_sink;
	snprintf(V.path, sizeof(V.path), "%s", cfg->verdict_log);
	V.max_bytes = cfg->verdict_log_max_bytes;
	V.keep = cfg->verdict_log_keep;
	if (V.sink == CFG_VLOG_FILE)
		r = open_file();
	else if (V.sink == CFG_VLOG_SYSLOG)
		openlog("tcsegd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	pthread_mutex_unlock(&V_lock);
	if (r)
		dlog(L_ERR, "vlog", "cannot open the verdict log file=%s "
		     "error=\"%s\" (tried again at each record)", V.path,
		     strerror(-r));
	else
		dlog(L_INFO, "vlog", "verdict log to=%s max_bytes=%llu keep=%u",
		     V.sink == CFG_VLOG_FILE ? V.path :
		     V.sink == CFG_VLOG_SYSLOG ? "syslog" : "off",
		     (unsigned long long)V.max_bytes, V.keep);
	return r;
}

bool vlog_wants(__u32 type)
{
	return V.sink != CFG_VLOG_OFF &&
	       (type == TCSEG_EV_FLOW_LOG || type == TCSEG_EV_AUDIT ||
		type == TCSEG_EV_DROP);
}

/* FILE -> FILE.1 -> ... -> FILE.keep (the oldest falls off). */
static void rotate(void)
{
	char from[PATH_MAX], to[PATH_MAX];
	unsigned int i;

	close_file();
	for (i = V.keep; i >= 1; i--) {
		if (i > 1)
			snprintf(from, sizeof(from), "%s.%u", V.path, i - 1);
		else
			snprintf(from, sizeof(from), "%s", V.path);
		snprintf(to, sizeof(to), "%s.%u", V.path, i);
		if (rename(from, to) && errno != ENOENT)
			MINC(V.m, vlog_errors);
	}
	MINC(V.m, vlog_rotations);
}

static void write_locked(const char *line, size_t len)
{
	ssize_t n;

	if (V.sink == CFG_VLOG_SYSLOG) {
		/* without the newline: one record a line */
		syslog(LOG_INFO, "%.*s", (int)(len && line[len - 1] == '\n' ?
					       len - 1 : len), line);
		MINC(V.m, vlog_lines);
		return;
	}
	if (V.sink != CFG_VLOG_FILE)
		return;
	if (V.fd >= 0 && V.size && V.size + len > V.max_bytes)
		rotate();
	if (V.fd < 0 && open_file()) {
		MINC(V.m, vlog_errors);
		return;
	}
	n = write(V.fd, line, len);
	if (n != (ssize_t)len) {
		MINC(V.m, vlog_errors);
		if (n <= 0)
			return;
	}
	V.size += (__u64)n;
	MINC(V.m, vlog_lines);
}

void vlog_write(const char *line, size_t len)
{
	pthread_mutex_lock(&V_lock);
	write_locked(line, len);
	pthread_mutex_unlock(&V_lock);
}

/*
 * The pod with address @a from the pod map, copied; NULL = none. The
 * pod map holds IPv4 addresses only so far.
 */
static const char *pod_name(struct tcsegd *d, const union tcseg_addr *a,
			    __u8 family,
			    char *buf, size_t len)
{
	const char *p;

	if (family != TCSEG_FAMILY_V4)
		return NULL;
	pthread_rwlock_rdlock(&d->pods_lock);
	p = d->pods ? pod_map_pod_by_ip(d->pods, a->v4) : NULL;
	if (p)
		snprintf(buf, len, "%s", p);
	pthread_rwlock_unlock(&d->pods_lock);
	return p ? buf : NULL;
}

void verdict_event(struct tcsegd *d, const struct tcseg_event *e)
{
	char line[VERDICT_LINE_MAX], sp[POD_MAP_POD_NAME_MAX + 1],
		dp[POD_MAP_POD_NAME_MAX + 1];
	struct verdict_names n = { .node = d->cfg.node_name };
	bool log = vlog_wants(e->type);
	size_t len;

	if (!log && !monitor_count())
		return;
	if (!d->cfg.node_name[0])
		n.node = NULL;
	n.src_pod = pod_name(d, &e->saddr, e->family, sp, sizeof(sp));
	n.dst_pod = pod_name(d, &e->daddr, e->family, dp, sizeof(dp));
	len = verdict_json(line, sizeof(line), e, &n, clock_ns(CLOCK_REALTIME));
	monitor_emit(line);
	if (log)
		vlog_write(line, len);
}
