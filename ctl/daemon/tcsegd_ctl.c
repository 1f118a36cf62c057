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
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "daemon/pod_map.h"
#include "policy/pod_reg.h"
#include "lib/clock.h"
#include "dataplane/verdict_json.h"
#include "daemon/tcsegd.h"
#include "daemon/tcsegd_ctl.h"
#include "daemon/tcsegd_log.h"
#include "daemon/tcsegd_metrics.h"
#include "daemon/tcsegd_pods.h"
#include "daemon/tcsegd_handoff.h"
#include "keys/key_provider.h"
#include "daemon/tcsegd_proto.h"
#include "policy/parse.h"
#include "lib/json.h"

_Static_assert(TCSEGD_REQ_MAX == CTL_REQ_MAX,
	       "control request bound differs from the parser's");

/*
 * One control or metrics client. Nothing here ever waits for it: the
 * answer goes into a bounded buffer, sent as the socket takes it
 * (EPOLLOUT); a listing is produced a chunk at a time as the buffer
 * drains. A client whose answer does not fit, or that reads nothing for
 * CTL_IDLE_NS, is dropped (docs/DAEMON.md §control socket).
 */
#define CTL_OUT_MAX	(64 * 1024)	/* answer bytes buffered per client */
#define CTL_IDLE_NS	5000000000ull	/* no request / no progress: drop */

struct client {
	int fd;
	bool used, metrics, answering, monitor, overflow;
	bool listing;			/* `pods` still producing */
	unsigned int pod_next, pods_gen;
	size_t len;			/* request bytes so far */
	__u64 since_ns;			/* connected, then last progress */
	char buf[TCSEGD_REQ_MAX + 1];
	char *out;			/* CTL_OUT_MAX bytes while answering */
	size_t out_len, out_off;
};
static struct client clients[TCSEGD_MAX_CLIENTS];

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

static struct client *client_get(int fd)
{
	int i;

	for (i = 0; i < TCSEGD_MAX_CLIENTS; i++)
		if (clients[i].used && clients[i].fd == fd)
			return &clients[i];
	return NULL;
}

static void epoll_del_close(int ep, int fd)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
	close(fd);
}

static void client_close(int epfd, struct client *c)
{
	epoll_del_close(epfd, c->fd);
	free(c->out);
	memset(c, 0, sizeof(*c));
}

/* Accept one client and watch it; at most TCSEGD_MAX_CLIENTS at once. */
void ctl_accept(struct tcsegd *d, int lfd)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK), i;
	struct epoll_event ev = { .events = EPOLLIN };
	struct client *c = NULL;

	if (fd < 0)
		return;
	for (i = 0; i < TCSEGD_MAX_CLIENTS && !c; i++)
		if (!clients[i].used)
			c = &clients[i];
	ev.data.fd = fd;
	if (!c || epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		close(fd);	/* too many clients at once */
		return;
	}
	memset(c, 0, sizeof(*c));
	c->used = true;
	c->fd = fd;
	c->metrics = lfd == d->metrics_fd;
	c->since_ns = mono_ns();
}

/* Drop clients without a request, or not reading their answer, for 5 s. */
void ctl_reap(struct tcsegd *d)
{
	__u64 now = mono_ns();
	int i;

	for (i = 0; i < TCSEGD_MAX_CLIENTS; i++) {
		struct client *c = &clients[i];

		if (!c->used || now - c->since_ns <= CTL_IDLE_NS)
			continue;
		if (c->answering) {
			MINC(d->m, ctl_dropped);
			dlog(L_DEBUG, "control", "client dropped: read nothing "
			     "for 5 s");
		}
		client_close(d->epfd, c);
	}
}

/*
 * A JSON answer line written in place into the client's buffer by the
 * one JSON writer (ctl/json.h): reply_begin opens the object,
 * reply_end closes it and keeps it if it fitted whole.
 */
static void reply_begin(struct client *c, struct jsonw *w)
{
	jsonw_init_buf(w, c->out + c->out_len,
		       c->overflow ? 0 : CTL_OUT_MAX - c->out_len);
	jsonw_start_object(w);
}

static bool reply_end(struct client *c, struct jsonw *w)
{
	size_t n = jsonw_finish(w);

	c->out_len += n;
	return n;
}

/* A one-line answer that must fit, or the client is dropped. */
static void reply_done(struct client *c, struct jsonw *w)
{
	if (!reply_end(c, w))
		c->overflow = true;
}

static void reply_error(struct client *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void reply_error(struct client *c, const char *fmt, ...)
{
	struct jsonw w;
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	reply_begin(c, &w);
	jsonw_string_field(&w, "error", msg);
	reply_done(c, &w);
}

static void do_status(struct tcsegd *d, struct client *c)
{
	struct jsonw w;

	reply_begin(c, &w);
	jsonw_int_field(&w, "pid", getpid());
	jsonw_uint_field(&w, "uptime_s", (mono_ns() - d->start_ns) / 1000000000ull);
	jsonw_string_field(&w, "node", d->cfg.node_name);
	jsonw_string_field(&w, "provider", kp_mode_name(key_provider_get_mode()));
	jsonw_string_field(&w, "capture", tcseg_capture_variant_name(d->variant));
	jsonw_string_field(&w, "pin_dir", d->cfg.pin_dir);
	jsonw_bool_field(&w, "ktls_available", d->ktls_ok);
	jsonw_uint_field(&w, "hold_timeout_ms", d->cfg.hold_timeout_ms);
	jsonw_uint_field(&w, "pods", tcsegd_local_pod_count(d));
	jsonw_uint_field(&w, "captured_connect", MGET(d->m, captured_connect));
	jsonw_uint_field(&w, "captured_accept", MGET(d->m, captured_accept));
	jsonw_uint_field(&w, "secured", MGET(d->m, handoff_ok));
	jsonw_uint_field(&w, "failed", MGET(d->m, handoff_failed));
	jsonw_uint_field(&w, "timeouts", MGET(d->m, handoff_timeout));
	jsonw_int_field(&w, "in_flight", handoff_in_flight());
	jsonw_int_field(&w, "monitors", monitor_count());
	reply_done(c, &w);
}

/* One registered pod (tcctl attach ... pod NS/NAME) in a `pods` listing. */
static bool reg_line(struct tcsegd *d, struct client *c,
		     const struct pod_reg *r)
{
	char ip[INET_ADDRSTRLEN] = "", ref[sizeof(r->ns) + sizeof(r->name) + 1];
	unsigned int k;
	struct jsonw w;

	for (k = 0; k < r->n_addrs && !ip[0]; k++)
		if (r->addrs[k].family == TCSEG_FAMILY_V4)
			inet_ntop(AF_INET, r->addrs[k].addr.b, ip, sizeof(ip));
	snprintf(ref, sizeof(ref), "%s/%s", r->ns, r->name);
	reply_begin(c, &w);
	jsonw_string_field(&w, "pod", ref);
	jsonw_string_field(&w, "node", d->cfg.node_name);
	jsonw_string_field(&w, "ip", ip);
	jsonw_string_field(&w, "node_ip", "");
	jsonw_bool_field(&w, "local", true);
	jsonw_uint_field(&w, "ifindex", r->ifindex);
	jsonw_string_field(&w, "veth", r->veth);
	jsonw_string_field(&w, "default", r->def == TCSEG_ACT_UNSET ? "global" :
			   action_name(r->def));
	jsonw_bool_field(&w, "registered", true);
	return reply_end(c, &w);
}

/* One pod of the pod mapping in a `pods` listing. */
static bool map_line(struct tcsegd *d, struct client *c,
		     const struct pod_map_pod *p)
{
	char ip[INET_ADDRSTRLEN] = "", nip[INET_ADDRSTRLEN] = "";
	char ip6[INET6_ADDRSTRLEN] = "";
	bool local = !strcmp(p->node, d->cfg.node_name);
	struct jsonw w;

	if (p->ip)
		inet_ntop(AF_INET, &p->ip, ip, sizeof(ip));
	if (pod_map_pod_has_ip6(p))
		inet_ntop(AF_INET6, p->ip6, ip6, sizeof(ip6));
	if (p->node_ip)
		inet_ntop(AF_INET, &p->node_ip, nip, sizeof(nip));
	reply_begin(c, &w);
	jsonw_string_field(&w, "pod", p->name);
	jsonw_string_field(&w, "node", p->node);
	jsonw_string_field(&w, "ip", ip);
	jsonw_string_field(&w, "ip6", ip6);
	jsonw_string_field(&w, "node_ip", nip);
	jsonw_bool_field(&w, "local", local);
	jsonw_uint_field(&w, "ifindex",
			 local && p->ip ? tcsegd_pod_ifindex(d, p->ip) : 0);
	return reply_end(c, &w);
}

/*
 * The next pods of a `pods` listing, as many as the buffer takes whole
 * (the rest once it has drained); a new pod mapping in the middle ends
 * the listing with an error.
 */
static void pods_more(struct tcsegd *d, struct client *c)
{
	unsigned int n, nmap;
	bool fits = true;

	pthread_rwlock_rdlock(&d->pods_lock);
	nmap = d->pods ? pod_map_pod_count(d->pods) : 0;
	n = nmap + d->n_reg;
	if (d->pods_gen != c->pods_gen) {
		reply_error(c, "pod mapping reloaded during the listing");
		n = 0;
	}
	for (; c->pod_next < n && fits; c->pod_next++) {
		size_t before = c->out_len;

		fits = c->pod_next >= nmap ?
			reg_line(d, c, &d->reg[c->pod_next - nmap]) :
			map_line(d, c, pod_map_pod_at(d->pods, c->pod_next));
		if (!fits && !before)
			c->overflow = true;	/* a line larger than the buffer */
		if (!fits)
			break;
	}
	c->listing = c->pod_next < n;
	pthread_rwlock_unlock(&d->pods_lock);
}

static void reply_mode(struct client *c, enum key_provider_mode m)
{
	struct jsonw w;

	reply_begin(c, &w);
	jsonw_string_field(&w, "mode", kp_mode_name(m));
	reply_done(c, &w);
}

/* The request was parsed and validated by ctl_parse_request. */
static void do_provider_set(struct client *c, enum key_provider_mode m)
{
	struct monitor_event ev;
	enum key_provider_mode before;

	before = key_provider_get_mode();
	key_provider_set_mode(m);
	dlog(L_INFO, "control", "key provider mode set want=%s now=%s was=%s",
	     kp_mode_name(m), kp_mode_name(key_provider_get_mode()),
	     kp_mode_name(before));
	if (monitor_event_begin(&ev, "provider")) {
		jsonw_string_field(&ev.w, "mode",
				   kp_mode_name(key_provider_get_mode()));
		monitor_event_end(&ev);
	}
	if (key_provider_get_mode() != m) {
		struct jsonw w;
		char msg[96];

		snprintf(msg, sizeof(msg), "mode %s not available, still %s",
			 kp_mode_name(m), kp_mode_name(key_provider_get_mode()));
		reply_begin(c, &w);
		jsonw_string_field(&w, "error", msg);
		jsonw_string_field(&w, "mode",
				   kp_mode_name(key_provider_get_mode()));
		reply_done(c, &w);
	} else {
		reply_mode(c, m);
	}
}

/*
 * The metrics text, any size (per-rule series make it grow with the
 * rules, up to metrics_rule_limit): after @head, it becomes the answer
 * buffer itself instead of being copied into CTL_OUT_MAX bytes.
 */
static void reply_metrics(struct tcsegd *d, struct client *c, bool http)
{
	size_t n, hl, cap;
	char head[160], *body = metrics_text(d->m, &n), *out;

	hl = http ? (size_t)snprintf(head, sizeof(head), "HTTP/1.0 200 OK\r\n"
				     "Content-Type: text/plain; version=0.0.4"
				     "\r\nContent-Length: %zu\r\nConnection: "
				     "close\r\n\r\n", n) : 0;
	cap = c->out_len + hl + n;
	out = body ? malloc(cap > CTL_OUT_MAX ? cap : CTL_OUT_MAX) : NULL;
	if (!out) {
		free(body);
		c->overflow = true;
		return;
	}
	memcpy(out, c->out, c->out_len);
	memcpy(out + c->out_len, head, hl);
	memcpy(out + c->out_len + hl, body, n);
	free(body);
	free(c->out);
	c->out = out;
	c->out_len = cap;
}

/* Run one parsed request into the client's answer buffer. */
static void run_request(struct tcsegd *d, struct client *c,
			const struct ctl_request *rq)
{
	switch (rq->cmd) {
	case CTL_STATUS:
		do_status(d, c);
		break;
	case CTL_PODS:
		pthread_rwlock_rdlock(&d->pods_lock);
		c->pods_gen = d->pods_gen;
		pthread_rwlock_unlock(&d->pods_lock);
		c->listing = true;
		break;
	case CTL_PODS_SYNC: {
		unsigned int bad;
		int n = tcsegd_pods_sync(d, "request", &bad);
		struct jsonw w;

		if (n < 0) {
			reply_error(c, "registered pods: %s", strerror(-n));
			break;
		}
		reply_begin(c, &w);
		jsonw_int_field(&w, "pods", n);
		jsonw_uint_field(&w, "refused", bad);
		reply_done(c, &w);
		break;
	}
	case CTL_PROVIDER_GET:
		reply_mode(c, key_provider_get_mode());
		break;
	case CTL_PROVIDER_SET:
		do_provider_set(c, rq->mode);
		break;
	case CTL_METRICS:
		reply_metrics(d, c, false);
		break;
	case CTL_MONITOR: {
		struct jsonw w;

		if (monitor_count() >= TCSEGD_MAX_CLIENTS) {
			reply_error(c, "too many monitors");
			break;
		}
		c->monitor = true;
		reply_begin(c, &w);
		jsonw_string_field(&w, "type", "hello");
		jsonw_string_field(&w, "node", d->cfg.node_name);
		reply_done(c, &w);
		break;
	}
	}
}

/*
 * Send what the socket takes now. Returns 1 to keep the client (more to
 * send: EPOLLOUT armed), 0 when it is finished or dropped.
 */
static int flush(struct tcsegd *d, int epfd, struct client *c)
{
	struct epoll_event ev = { .events = EPOLLOUT, .data.fd = c->fd };

	for (;;) {
		if (c->overflow) {
			MINC(d->m, ctl_dropped);
			dlog(L_DEBUG, "control", "client dropped: answer larger "
			     "than its buffer");
			return 0;
		}
		if (c->out_off == c->out_len) {
			c->out_off = c->out_len = 0;
			if (!c->listing)
				break;
			pods_more(d, c);
			continue;
		}
		ssize_t n = send(c->fd, c->out + c->out_off,
				 c->out_len - c->out_off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) ? 0 : 1;
		if (n <= 0)
			return 0;
		c->out_off += (size_t)n;
		c->since_ns = mono_ns();
	}
	if (c->monitor) {
		/* the stream: monitor_emit never waits either (tcsegd_log.c) */
		epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
		if (!monitor_add(c->fd)) {
			free(c->out);
			memset(c, 0, sizeof(*c));
			return 1;
		}
		return 0;
	}
	/* FIN, not RST: the client reads all of it */
	shutdown(c->fd, SHUT_WR);
	return 0;
}

/* Read the request; once it is complete, answer it. 1 keep, 0 close. */
static int client_read(struct tcsegd *d, struct client *c)
{
	struct ctl_request rq;
	char err[160];
	ssize_t n;
	int r = 0;

	n = recv(c->fd, c->buf + c->len, TCSEGD_REQ_MAX - c->len,
		 MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 1;
	if (n <= 0)
		return 0;
	c->len += (size_t)n;
	c->buf[c->len] = 0;
	if (c->metrics) {
		/* any HTTP request gets the metrics once its head is in */
		if (!strstr(c->buf, "\r\n\r\n") && !strstr(c->buf, "\n\n") &&
		    c->len < TCSEGD_REQ_MAX)
			return 1;
	} else {
		r = ctl_parse_request(c->buf, c->len, &rq, err, sizeof(err));
		if (r == 0)
			return 1;	/* no newline yet */
	}
	c->out = malloc(CTL_OUT_MAX);
	if (!c->out)
		return 0;
	c->answering = true;
	c->since_ns = mono_ns();
	if (c->metrics)
		reply_metrics(d, c, true);
	else if (r < 0)
		reply_error(c, "%s", err);
	else
		run_request(d, c, &rq);
	return 1;
}

void ctl_client_io(struct tcsegd *d, int fd)
{
	struct client *c = client_get(fd);

	if (!c) {
		epoll_del_close(d->epfd, fd);
		return;
	}
	if (!c->answering) {
		if (!client_read(d, c))
			client_close(d->epfd, c);
		if (!c->answering)
			return;
	}
	if (c->answering && !flush(d, d->epfd, c) && c->used)
		client_close(d->epfd, c);
}
