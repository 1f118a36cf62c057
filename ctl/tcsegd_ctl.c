// SPDX-License-Identifier: GPL-2.0
/*
 * tcsegd's control socket (UNIX, 0600; one request line, JSON answers,
 * docs/DAEMON.md §control) and the Prometheus metrics listener. Requests
 * are bounded and read without blocking the main loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "tcsegd.h"
#include "key_provider.h"
#include "tcsegd_proto.h"

_Static_assert(TCSEGD_REQ_MAX == CTL_REQ_MAX,
	       "control request bound differs from the parser's");

/* Partial request lines, by fd (control and metrics clients). */
struct pending {
	int fd;
	bool metrics;
	size_t len;
	__u64 since_ns;
	char buf[TCSEGD_REQ_MAX + 1];
};
static struct pending pend[TCSEGD_MAX_CLIENTS];

static int mkdir_parent(const char *path)
{
	char dir[PATH_MAX], *s;

	snprintf(dir, sizeof(dir), "%s", path);
	s = strrchr(dir, '/');
	if (!s || s == dir)
		return 0;
	*s = 0;
	if (mkdir(dir, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

int ctl_open(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, r;

	if (strlen(path) >= sizeof(a.sun_path))
		return -ENAMETOOLONG;
	strcpy(a.sun_path, path);
	r = mkdir_parent(path);
	if (r)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (!lstat(path, &st)) {
		/* a live daemon answers; a stale socket file is replaced */
		if (!S_ISSOCK(st.st_mode)) {
			close(fd);
			return -EEXIST;
		}
		int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (probe >= 0 && !connect(probe, (struct sockaddr *)&a,
					   sizeof(a))) {
			close(probe);
			close(fd);
			return -EADDRINUSE;
		}
		if (probe >= 0)
			close(probe);
		unlink(path);
	}
	/* 0600 from the start: no window where others could connect */
	mode_t old = umask(0177);

	r = bind(fd, (struct sockaddr *)&a, sizeof(a));
	umask(old);
	if (r || chmod(path, 0600) || listen(fd, 16)) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

int metrics_open(const struct sockaddr_in *a)
{
	int fd, one = 1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)a, sizeof(*a)) || listen(fd, 16)) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

static struct pending *pend_get(int fd)
{
	int i;

	for (i = 0; i < TCSEGD_MAX_CLIENTS; i++)
		if (pend[i].fd == fd && pend[i].since_ns)
			return &pend[i];
	return NULL;
}

static struct pending *pend_new(int fd, bool metrics)
{
	int i;

	for (i = 0; i < TCSEGD_MAX_CLIENTS; i++) {
		if (!pend[i].since_ns) {
			memset(&pend[i], 0, sizeof(pend[i]));
			pend[i].fd = fd;
			pend[i].metrics = metrics;
			pend[i].since_ns = mono_ns();
			return &pend[i];
		}
	}
	return NULL;
}

/* Accept one client; returns its fd (to watch) or -1. */
int ctl_accept(int lfd)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	bool metrics = lfd != -1 && lfd == D.metrics_fd;

	if (fd < 0)
		return -1;
	if (!pend_new(fd, metrics)) {
		close(fd);	/* too many clients at once */
		return -1;
	}
	return fd;
}

/* Drop clients that sent no complete request within 5 s. */
void ctl_reap(int epfd)
{
	__u64 now = mono_ns();
	int i;

	for (i = 0; i < TCSEGD_MAX_CLIENTS; i++) {
		if (pend[i].since_ns && now - pend[i].since_ns > 5000000000ull) {
			epoll_del_close(epfd, pend[i].fd);
			pend[i].since_ns = 0;
		}
	}
}

static void reply(int fd, const char *s)
{
	size_t len = strlen(s), off = 0;
	int tries = 0;

	/* answers are small; a client that does not read is cut short */
	while (off < len && tries++ < 100) {
		ssize_t n = send(fd, s + off, len - off, MSG_NOSIGNAL);

		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EAGAIN) {
			usleep(1000);
			continue;
		}
		break;
	}
}

static void replyf(int fd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void replyf(int fd, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	reply(fd, buf);
}

static void do_status(int fd)
{
	char node[CFG_NODE_NAME_MAX * 2];

	replyf(fd, "{\"pid\":%d,\"uptime_s\":%llu,\"node\":\"%s\","
	       "\"provider\":\"%s\",\"capture\":\"%s\",\"pin_dir\":\"%s\","
	       "\"ktls_available\":%s,\"hold_timeout_ms\":%u,\"pods\":%u,"
	       "\"captured_connect\":%llu,\"captured_accept\":%llu,"
	       "\"secured\":%llu,\"failed\":%llu,\"timeouts\":%llu,"
	       "\"in_flight\":%d,\"monitors\":%d}\n",
	       getpid(), (unsigned long long)((mono_ns() - D.start_ns) / 1000000000ull),
	       json_esc(D.cfg.node_name, node, sizeof(node)),
	       kp_mode_name(key_provider_get_mode()),
	       tcseg_capture_variant_name(D.variant), D.cfg.pin_dir,
	       D.ktls_ok ? "true" : "false", D.cfg.hold_timeout_ms,
	       tcsegd_local_pod_count(),
	       (unsigned long long)MGET(captured_connect),
	       (unsigned long long)MGET(captured_accept),
	       (unsigned long long)MGET(handoff_ok),
	       (unsigned long long)MGET(handoff_failed),
	       (unsigned long long)MGET(handoff_timeout),
	       handoff_in_flight(), monitor_count());
}

static void do_pods(int fd)
{
	unsigned int i, n;

	pthread_rwlock_rdlock(&D.pods_lock);
	n = D.pods ? pod_map_pod_count(D.pods) : 0;
	for (i = 0; i < n; i++) {
		const struct pod_map_pod *p = pod_map_pod_at(D.pods, i);
		char ip[INET_ADDRSTRLEN] = "", nip[INET_ADDRSTRLEN] = "";
		char name[600], node[200];
		bool local;

		if (p->ip)
			inet_ntop(AF_INET, &p->ip, ip, sizeof(ip));
		if (p->node_ip)
			inet_ntop(AF_INET, &p->node_ip, nip, sizeof(nip));
		local = !strcmp(p->node, D.cfg.node_name);
		replyf(fd, "{\"pod\":\"%s\",\"node\":\"%s\",\"ip\":\"%s\","
		       "\"node_ip\":\"%s\",\"local\":%s,\"ifindex\":%u}\n",
		       json_esc(p->name, name, sizeof(name)),
		       json_esc(p->node, node, sizeof(node)), ip, nip,
		       local ? "true" : "false",
		       local && p->ip ? tcsegd_pod_ifindex(p->ip) : 0);
	}
	pthread_rwlock_unlock(&D.pods_lock);
}

/* The request was parsed and validated by ctl_parse_request. */
static void do_provider_set(int fd, enum key_provider_mode m)
{
	enum key_provider_mode before;

	before = key_provider_get_mode();
	key_provider_set_mode(m);
	dlog(L_INFO, "control", "key provider mode set want=%s now=%s was=%s",
	     kp_mode_name(m), kp_mode_name(key_provider_get_mode()),
	     kp_mode_name(before));
	monitor_eventf("\"type\":\"provider\",\"mode\":\"%s\"",
		       kp_mode_name(key_provider_get_mode()));
	if (key_provider_get_mode() != m)
		replyf(fd, "{\"error\":\"mode %s not available, still %s\","
		       "\"mode\":\"%s\"}\n", kp_mode_name(m),
		       kp_mode_name(key_provider_get_mode()),
		       kp_mode_name(key_provider_get_mode()));
	else
		replyf(fd, "{\"mode\":\"%s\"}\n", kp_mode_name(m));
}

static void do_metrics_http(int fd)
{
	static char body[TCSEGD_METRICS_MAX];
	size_t n = metrics_render(body, sizeof(body));

	replyf(fd, "HTTP/1.0 200 OK\r\nContent-Type: text/plain; "
	       "version=0.0.4\r\nContent-Length: %zu\r\nConnection: close"
	       "\r\n\r\n", n);
	reply(fd, body);
}

/* Run one parsed request; returns 1 when the fd became a monitor stream. */
static int run_request(int fd, const struct ctl_request *rq)
{
	switch (rq->cmd) {
	case CTL_STATUS:
		do_status(fd);
		break;
	case CTL_PODS:
		do_pods(fd);
		break;
	case CTL_PROVIDER_GET:
		replyf(fd, "{\"mode\":\"%s\"}\n",
		       kp_mode_name(key_provider_get_mode()));
		break;
	case CTL_PROVIDER_SET:
		do_provider_set(fd, rq->mode);
		break;
	case CTL_METRICS: {
		static char body[TCSEGD_METRICS_MAX];

		metrics_render(body, sizeof(body));
		reply(fd, body);
		break;
	}
	case CTL_MONITOR:
		if (monitor_add(fd)) {
			reply(fd, "{\"error\":\"too many monitors\"}\n");
			return 0;
		}
		reply(fd, "{\"type\":\"hello\",\"node\":\"");
		reply(fd, D.cfg.node_name);
		reply(fd, "\"}\n");
		return 1;
	}
	return 0;
}

int ctl_client_io(int fd)
{
	struct pending *p = pend_get(fd);
	struct ctl_request rq;
	char err[160];
	ssize_t n;
	int r;

	if (!p)
		return 0;
	n = recv(fd, p->buf + p->len, TCSEGD_REQ_MAX - p->len, MSG_DONTWAIT);
	if (n < 0 && errno == EAGAIN)
		return 1;
	if (n <= 0)
		goto done;
	p->len += (size_t)n;
	p->buf[p->len] = 0;
	if (p->metrics) {
		/* any HTTP request gets the metrics once its head is in */
		if (!strstr(p->buf, "\r\n\r\n") && !strstr(p->buf, "\n\n") &&
		    p->len < TCSEGD_REQ_MAX)
			return 1;
		do_metrics_http(fd);
		/* FIN, not RST: the client reads all of it */
		shutdown(fd, SHUT_WR);
		goto done;
	}
	r = ctl_parse_request(p->buf, p->len, &rq, err, sizeof(err));
	if (r == 0)
		return 1;	/* no newline yet */
	if (r < 0) {
		/* err is JSON-safe (tcsegd_proto.h) */
		replyf(fd, "{\"error\":\"%s\"}\n", err);
		shutdown(fd, SHUT_WR);
		goto done;
	}
	p->since_ns = 0;
	if (run_request(fd, &rq))
		return 2;	/* now owned by the monitor list */
	shutdown(fd, SHUT_WR);
	return 0;
done:
	p->since_ns = 0;
	return 0;
}
