// SPDX-License-Identifier: GPL-2.0
/*
 * tcsegd: the tcseg daemon. Loads (or picks up) the pinned data plane,
 * attaches the configured veths, runs the socket capture and the key
 * provider, joins flow events with socket records and hands encrypt
 * flows to kTLS (tcsegd_handoff.c). One epoll loop; see docs/DAEMON.md.
 *
 *   tcsegd [-c capture.conf] [-f] [-C auto|tracepoint|kprobe]
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <getopt.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "daemon/pod_map.h"
#include "lib/clock.h"
#include "dataplane/verdict_json.h"
#include "daemon/tcsegd.h"
#include "daemon/tcsegd_log.h"
#include "daemon/tcsegd_metrics.h"
#include "daemon/tcsegd_corr.h"
#include "daemon/tcsegd_handoff.h"
#include "daemon/tcsegd_pods.h"
#include "daemon/tcsegd_held.h"
#include "daemon/tcsegd_ctl.h"
#include "daemon/tcsegd_sock.h"
#include "daemon/tcsegd_vlog.h"
#include "daemon/tcsegd_dpmetrics.h"
#include "daemon/tcsegd_link.h"
#include "dataplane/devices.h"
#include "tcseg_names.h"
#include "dataplane/pin_lock.h"
#include "keys/key_provider.h"
#include "keys/ktls.h"
#include "keys/tlshub_client.h"
#include "lib/runtime.h"
#include "lib/json.h"

_Static_assert(L_ERR == (int)CFG_LOG_ERR && L_WARN == (int)CFG_LOG_WARN &&
	       L_INFO == (int)CFG_LOG_INFO && L_DEBUG == (int)CFG_LOG_DEBUG,
	       "log levels differ from log_level's values");

/* ---- devices */

/* @via: what found it (config, rescan, rtnetlink), for the log. */
/* how long an attach waits for a tcctl writer before the rescan retries */
#define ATTACH_LOCK_MS	2000

static void attach_one(struct tcsegd *d, const char *name, const char *via)
{
	struct tcseg_dev_opts o = { .default_action = TCSEG_ACT_UNSET,
				    .keep = true };
	char err[256];
	int ifindex = (int)if_nametoindex(name), tcx;
	struct tcseg_dev old;

	if (!ifindex) {
		dlog(L_WARN, "attach", "device not found dev=%s", name);
		return;
	}
	if (!bpf_map_lookup_elem(d->maps.devs, &ifindex, &old) &&
	    !strncmp(old.name, name, sizeof(old.name)) && d->start_ns &&
	    mono_ns() - d->start_ns > 1000000000ull)
		return;		/* already ours: the pattern rescan */
	/*
	 * tcctl's writer lock (docs/POLICY.md "Concurrent writers"), waited
	 * for briefly: the loop must not stall; the rescan tries again.
	 */
	if (pin_lock(d->cfg.pin_dir, ATTACH_LOCK_MS, 0, err, sizeof(err))) {
		dlog(L_WARN, "attach", "attach deferred dev=%s error=\"%s\"",
		     name, err);
		return;
	}
	if (tcseg_dev_attach(d->cfg.pin_dir, &d->maps, ifindex, name, &o,
			     ATTACH_AUTO, &tcx, err, sizeof(err))) {
		pin_unlock();
		dlog(L_ERR, "attach", "attach failed dev=%s error=\"%s\"", name,
		     err);
		return;
	}
	dlog(L_INFO, "attach", "attached dev=%s ifindex=%d mode=%s via=%s",
	     name, ifindex, tcx ? "tcx" : "clsact", via);
	tcsegd_bind_known(d, (__u32)ifindex);
	pin_unlock();
}

/* A link appeared (or changed): attach it if the pattern wants it. */
static void on_link(const char *name, void *arg)
{
	struct tcsegd *d = arg;

	if (d->cfg.attach_pattern[0] && !fnmatch(d->cfg.attach_pattern, name, 0))
		attach_one(d, name, "rtnetlink");
}

static void attach_configured(struct tcsegd *d)
{
	struct if_nameindex *ifs, *i;
	unsigned int k;

	for (k = 0; k < d->cfg.n_attach_devices; k++)
		attach_one(d, d->cfg.attach_devices[k], "config");
	if (!d->cfg.attach_pattern[0])
		return;
	ifs = if_nameindex();
	for (i = ifs; i && i->if_index; i++)
		if (!fnmatch(d->cfg.attach_pattern, i->if_name, 0))
			attach_one(d, i->if_name, "rescan");
	if (ifs)
		if_freenameindex(ifs);
}

/* ---- key provider */

/* The node of a pod address (@family 4: a __be32, 6: 16 bytes). */
static int kp_lookup_addr(struct tcsegd *d, int family, const void *addr,
			  char *node,
			  size_t node_len, struct sockaddr_in *svc)
{
	const struct pod_map_pod *p;
	int r = -ENOENT;

	pthread_rwlock_rdlock(&d->pods_lock);
	p = d->pods ? pod_map_find_pod_addr(d->pods, family, addr) : NULL;
	if (p) {
		snprintf(node, node_len, "%s", p->node);
		memset(svc, 0, sizeof(*svc));
		svc->sin_family = AF_INET;
		svc->sin_addr.s_addr = p->node_ip;
		svc->sin_port = d->cfg.key_service_listen.sin_port;
		r = p->node_ip ? 0 : -EHOSTUNREACH;
	}
	pthread_rwlock_unlock(&d->pods_lock);
	return r;
}

static int kp_lookup(void *arg, __u32 addr, char *node, size_t node_len,
		     struct sockaddr_in *svc)
{
	return kp_lookup_addr(arg, 4, &addr, node, node_len, svc);
}

static int kp_lookup6(void *arg, const __u8 *addr6, char *node,
		      size_t node_len, struct sockaddr_in *svc)
{
	return kp_lookup_addr(arg, 6, addr6, node, node_len, svc);
}

/* The key service talks to the nodes of the pod mapping only. */
static int kp_peer_known(void *arg, __u32 addr)
{
	struct tcsegd *d = arg;
	int r;

	pthread_rwlock_rdlock(&d->pods_lock);
	r = d->pods && pod_map_node_by_addr(d->pods, addr);
	pthread_rwlock_unlock(&d->pods_lock);
	return r;
}

/* @arg: the log component, "keyprov" or "tlshub". */
static void kp_log(void *arg, int level, const char *msg)
{
	static const int map[] = { L_ERR, L_WARN, L_INFO, L_DEBUG };

	dlog(map[level & 3], (const char *)arg, "%s", msg);
}

static int kp_is_local(void *arg, __u32 pod_ip)
{
	return tcsegd_is_local_pod(arg, pod_ip);
}

/* The facade picks the provider of the mode and its fallback. */
static int start_provider(struct tcsegd *d)
{
	struct kp_config kc = {
		.node_name = d->cfg.node_name,
		.cert_file = d->cfg.cert_file,
		.key_file = d->cfg.key_file,
		.ca_file = d->cfg.ca_file,
		.serve = 1,
		.listen = d->cfg.key_service_listen,
		.lookup = kp_lookup,
		.lookup6 = kp_lookup6,
		.lookup_arg = d,
		.peer_allowed = kp_peer_known,
		.is_local = kp_is_local,
		.cipher = d->cfg.cipher,
		.connect_timeout_ms = (int)d->cfg.handshake_timeout_ms,
		.io_timeout_ms = (int)d->cfg.key_fetch_timeout_ms,
		.flow_wait_ms = (int)d->cfg.flow_wait_ms,
		.flow_ttl_ms = (int)d->cfg.flow_ttl_ms,
		.idle_timeout_ms = (int)d->cfg.session_idle_timeout_ms,
		.plugin_dir = d->cfg.kp_plugin_dir[0] ? d->cfg.kp_plugin_dir : NULL,
		.fallback = d->cfg.fallback_mode == CFG_FALLBACK_NONE ?
			    KP_FALLBACK_NONE :
			    d->cfg.fallback_mode == MODE_BORINGSSL ?
			    KP_FALLBACK_BORINGSSL : KP_FALLBACK_OPENSSL,
		.log = kp_log,
		.log_arg = (void *)"keyprov",
		.tlshub = {
			.protocol = (int)d->cfg.tlshub_netlink_protocol,
			.peer_pid = d->cfg.tlshub_peer_port,
			.layout = d->cfg.tlshub_layout == CFG_TLSHUB_V1 ?
				  TLSHUB_LAYOUT_V1 : TLSHUB_LAYOUT_V2,
			.timeout_ms = (int)d->cfg.key_fetch_timeout_ms,
			.handshake_timeout_ms =
				(int)d->cfg.handshake_timeout_ms,
			.log = kp_log,
			.log_arg = (void *)"tlshub",
		},
	};
	int r;

	r = key_provider_configure(&kc);
	if (r)
		goto fail;
	r = key_provider_init(d->cfg.mode);
	if (r)
		goto fail;
	dlog(L_INFO, "keyprov", "key provider up mode=%s want=%s tls=%s "
	     "fallback=%s port=%d", kp_mode_name(key_provider_get_mode()),
	     cfg_mode_name(d->cfg.mode), key_provider_tls_name(),
	     cfg_mode_name(d->cfg.fallback_mode), key_provider_port());
	return 0;
fail:
	dlog(L_ERR, "keyprov", "key provider failed mode=%s error=\"%s\"",
	     cfg_mode_name(d->cfg.mode), key_provider_last_error());
	return r;
}

/* ---- records */

static const char *const act_names[TCSEG_ACT_MAX] = {
	"allow", "deny", "log", "encrypt",
};
static const char *const sock_ev_names[] = {
	"", "connect", "accept", "sendmsg", "close", "established",
};

/* Queue the hand-off of one end of a joined flow, from its capture record. */
static long start_end(struct tcsegd *d, struct corr_entry *ce,
		      enum job_role role,
		      const struct tcseg_sock_event *ev, __u32 ifindex,
		      const char *flow)
{
	struct handoff_req r;
	long id;

	memset(&r, 0, sizeof(r));
	r.role = role;
	r.key = ce->key;
	r.tgid = ev->tgid;
	r.pid = ev->pid;
	r.cookie = ev->cookie;
	r.event_ns = ev->ts_ns;
	r.ifindex = ifindex;
	r.held = ev->flags & TCSEG_SOCK_F_HELD;
	r.fd = ev->fd;
	id = handoff_submit(d, &r);
	dlog(id > 0 ? L_DEBUG : L_WARN, "handoff", "%s hand-off %s "
	     "flow=%s tgid=%u held=%d", role == JOB_CLIENT ? "client" : "server",
	     id > 0 ? "queued" : "refused", flow, r.tgid, r.held);
	return id > 0 ? id : 0;
}

static void maybe_start(struct tcsegd *d, struct corr_entry *ce)
{
	char flow[FLOW_STR_LEN];

	flow_str(&ce->key, flow, sizeof(flow));
	if (corr_client_ready(ce) &&
	    tcsegd_is_local_addr(d, ce->key.family, &ce->key.saddr)) {
		ce->flags |= CORR_CLIENT_GO;
		ce->client_job = start_end(d, ce, JOB_CLIENT, &ce->connect,
					   ce->ifindex_from, flow);
	}
	if (corr_server_ready(ce) &&
	    tcsegd_is_local_addr(d, ce->key.family, &ce->key.daddr)) {
		ce->flags |= CORR_SERVER_GO;
		ce->server_job = start_end(d, ce, JOB_SERVER, &ce->accept,
					   ce->ifindex_to, flow);
	}
}

/* Set by the main thread at exit, read by the workers reading records. */
static bool exiting(const struct tcsegd *d)
{
	return __atomic_load_n(&d->exiting, __ATOMIC_ACQUIRE);
}

/* A flow event, in the hand-off worker that reads the rings. */
static int on_tc(void *ctx, void *data, size_t size)
{
	const struct tcseg_event *e = data;
	struct tcseg_event ev;
	struct corr_entry *ce;
	long veth;
	const char *why;
	struct tcsegd *d = ctx;

	if (corr_check_tc(data, size, &why)) {
		MINC(d->m, tc_events_invalid);
		dlog(L_DEBUG, "events", "flow event refused size=%zu why=\"%s\"",
		     size, why);
		return 0;
	}
	MINC(d->m, tc_events[e->type]);
	verdict_event(d, e);
	if (e->type != TCSEG_EV_FLOW_ENCRYPT || e->proto != 6)
		return 0;
	veth = tcsegd_event_veth(d, e);
	if (veth < 0)
		return 0;
	ev = *e;
	ev.ifindex = (__u32)veth;
	pthread_mutex_lock(&d->corr_lock);
	ce = corr_add_tc(d->corr, &ev, mono_ns());
	if (!ce) {
		pthread_mutex_unlock(&d->corr_lock);
		MINC(d->m, corr_dropped);
		return 0;
	}
	if (veth && e->dir == TCSEG_DIR_FROM_POD && ce->client_job)
		handoff_set_ifindex(ce->client_job, ev.ifindex);
	if (veth && e->dir == TCSEG_DIR_TO_POD && ce->server_job)
		handoff_set_ifindex(ce->server_job, ev.ifindex);
	if (!exiting(d))
		maybe_start(d, ce);
	pthread_mutex_unlock(&d->corr_lock);
	return handoff_reader_stop() ? -EINTR : 0;
}

static void release_unowned(const struct tcseg_sock_event *e)
{
	/* nobody will hand this one off: let it run, payload stays dropped */
	if (e->flags & TCSEG_SOCK_F_HELD)
		kill((pid_t)e->tgid, SIGCONT);
}

/* A capture record, in the hand-off worker that reads the rings. */
static int on_sock(void *ctx, void *data, size_t size)
{
	struct monitor_event ev;
	const struct tcseg_sock_event *e = data;
	struct corr_entry *ce;
	struct corr_key k;
	const char *why;
	char flow[FLOW_STR_LEN], comm[80], c16[17];
	struct tcsegd *d = ctx;

	if (corr_check_sock(data, size, &why)) {
		MINC(d->m, sock_events_invalid);
		dlog(L_WARN, "capture", "socket record refused size=%zu "
		     "why=\"%s\"", size, why);
		/* a held process is still released if it is named */
		if (size == sizeof(*e) && (e->flags & TCSEG_SOCK_F_HELD) &&
		    e->tgid)
			kill((pid_t)e->tgid, SIGCONT);
		return 0;
	}
	if (e->type == TCSEG_SOCK_CONNECT)
		MINC(d->m, captured_connect);
	else if (e->type == TCSEG_SOCK_ACCEPT)
		MINC(d->m, captured_accept);
	else
		MINC(d->m, captured_other);
	corr_key_sock(e, &k);
	flow_str(&k, flow, sizeof(flow));
	memcpy(c16, e->comm, 16);
	c16[16] = 0;
	jsonw_esc(c16, comm, sizeof(comm));
	if (monitor_event_begin(&ev, "capture")) {
		jsonw_string_field(&ev.w, "event", sock_ev_names[e->type]);
		jsonw_string_field(&ev.w, "flow", flow);
		jsonw_uint_field(&ev.w, "tgid", e->tgid);
		jsonw_uint_field(&ev.w, "pid", e->pid);
		jsonw_string_field(&ev.w, "comm", c16);
		jsonw_uint_field(&ev.w, "cookie", e->cookie);
		jsonw_uint_field(&ev.w, "netns_cookie", e->netns_cookie);
		jsonw_bool_field(&ev.w, "held", e->flags & TCSEG_SOCK_F_HELD);
		jsonw_bool_field(&ev.w, "encrypt",
				 e->flags & TCSEG_SOCK_F_ENCRYPT);
		jsonw_bool_field(&ev.w, "kprobe", e->flags & TCSEG_SOCK_F_KPROBE);
		jsonw_string_field(&ev.w, "action", act_names[e->action]);
		jsonw_uint_field(&ev.w, "rule", e->policy_id);
		monitor_event_end(&ev);
	}
	/* the record that starts a hand-off at info; one that announces it
	 * (its fd comes later), state records, other flows' at debug */
	dlog((e->type == TCSEG_SOCK_CONNECT || e->type == TCSEG_SOCK_ACCEPT) &&
	     (e->flags & (TCSEG_SOCK_F_ENCRYPT | TCSEG_SOCK_F_FD_LATER)) ==
	     TCSEG_SOCK_F_ENCRYPT ? L_INFO : L_DEBUG, "capture",
	     "%s flow=%s tgid=%u pid=%u comm=\"%s\" held=%d encrypt=%d",
	     sock_ev_names[e->type], flow, e->tgid, e->pid, comm,
	     !!(e->flags & TCSEG_SOCK_F_HELD),
	     !!(e->flags & TCSEG_SOCK_F_ENCRYPT));
	if (e->type != TCSEG_SOCK_CONNECT && e->type != TCSEG_SOCK_ACCEPT)
		return 0;
	if (exiting(d)) {
		release_unowned(e);
		return 0;
	}
	pthread_mutex_lock(&d->corr_lock);
	ce = corr_add_sock(d->corr, e, mono_ns());
	if (ce)
		maybe_start(d, ce);
	pthread_mutex_unlock(&d->corr_lock);
	if (!ce) {
		MINC(d->m, corr_dropped);
		release_unowned(e);
	}
	return handoff_reader_stop() ? -EINTR : 0;
}

/* ---- config, signals, loop */

static int load_config(struct tcsegd *d, struct capture_config *cfg)
{
	char err[512];
	int r;

	r = daemon_config_load(d->cfg_path, 0, cfg, err, sizeof(err));
	if (r)
		dlog(L_ERR, "config", "configuration refused error=\"%s\"", err);
	return r;
}

static void reload(struct tcsegd *d)
{
	struct monitor_event ev;
	struct capture_config c = d->cfg;

	dlog(L_INFO, "config", "SIGHUP: reloading file=%s", d->cfg_path);
	if (!load_config(d, &c)) {
		if (strcmp(c.pin_dir, d->cfg.pin_dir) ||
		    strcmp(c.control_socket, d->cfg.control_socket) ||
		    strcmp(c.node_name, d->cfg.node_name) || c.mode != d->cfg.mode)
			dlog(L_WARN, "config", "pin_dir, control_socket, "
			     "node_name and mode changes need a restart");
		strcpy(c.pin_dir, d->cfg.pin_dir);
		strcpy(c.control_socket, d->cfg.control_socket);
		strcpy(c.node_name, d->cfg.node_name);
		c.mode = d->cfg.mode;
		d->cfg = c;	/* workers read scalar settings only */
		dlog_set_level(d->cfg.log_level);
	}
	vlog_open(&d->cfg, d->m);	/* new settings, or a file moved away */
	if (!tcsegd_load_pods(d, d->cfg.pod_node_config_path))
		tcsegd_pods_refresh(d);
	attach_configured(d);
	if (monitor_event_begin(&ev, "reload")) {
		jsonw_uint_field(&ev.w, "pods", tcsegd_local_pod_count(d));
		monitor_event_end(&ev);
	}
}

static int watch(struct tcsegd *d, int fd, __u32 events);

/* New links matching attach_pattern, as they appear (rescan: backstop). */
static int watch_links(struct tcsegd *d)
{
	if (!d->cfg.attach_pattern[0])
		return 0;
	d->link_fd = link_watch_open();
	if (d->link_fd < 0) {
		dlog(L_WARN, "attach", "no rtnetlink link notifications, "
		     "rescanning every 2 s only error=\"%s\"",
		     strerror(-d->link_fd));
		return 0;
	}
	return watch(d, d->link_fd, EPOLLIN) ? -errno : 0;
}

static int watch(struct tcsegd *d, int fd, __u32 events)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };

	return epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev);
}

static int setup_loop(struct tcsegd *d)
{
	struct itimerspec its = { { 0, 100000000 }, { 0, 100000000 } };
	sigset_t ss;

	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	sigemptyset(&ss);
	sigaddset(&ss, SIGHUP);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	d->sig_fd = signalfd(-1, &ss, SFD_CLOEXEC | SFD_NONBLOCK);
	d->tick_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (d->epfd < 0 || d->sig_fd < 0 || d->tick_fd < 0)
		return -errno;
	timerfd_settime(d->tick_fd, 0, &its, NULL);
	/*
	 * Read by the hand-off workers (handoff_start), not by this loop;
	 * the capture ring first: its records start hand-offs
	 */
	d->rb = ring_buffer__new(tcseg_capture_events_fd(d->cap), on_sock, d,
				 NULL);
	if (!d->rb)
		return -errno;
	if (ring_buffer__add(d->rb, d->maps.events, on_tc, d))
		return -errno;
	if (watch(d, d->sig_fd, EPOLLIN) || watch(d, d->tick_fd, EPOLLIN) ||
	    watch(d, d->ctl_fd, EPOLLIN) ||
	    (d->metrics_fd >= 0 && watch(d, d->metrics_fd, EPOLLIN)))
		return -errno;
	return watch_links(d);
}

static void on_tick(struct tcsegd *d)
{
	static unsigned int n;
	__u64 x;

	if (read(d->tick_fd, &x, sizeof(x)) < 0)
		return;
	/* records that woke no one, if no worker is free to read them */
	handoff_events_backstop();
	handoff_watchdog(d);
	monitor_reap();
	ctl_reap(d);
	n++;
	if (n % 10 == 0) {
		pthread_mutex_lock(&d->corr_lock);
		corr_expire(d->corr, mono_ns());
		pthread_mutex_unlock(&d->corr_lock);
		/* a job owns a hold for hold_timeout_ms at most */
		held_sweep(d->m, boot_ns() -
			   ((__u64)d->cfg.hold_timeout_ms + 2000) * 1000000ull);
	}
	if (n % 20 == 0) {
		tcsegd_pods_tick(d);
		if (d->cfg.attach_pattern[0])
			attach_configured(d);
	}
}

/* Returns 1 to stop. */
static int on_signal(struct tcsegd *d)
{
	struct signalfd_siginfo si;

	while (read(d->sig_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			reload(d);
			continue;
		}
		dlog(L_INFO, "daemon", "signal %s: exiting, enforcement stays",
		     strsignal((int)si.ssi_signo));
		return 1;
	}
	return 0;
}

static int loop(struct tcsegd *d)
{
	struct epoll_event ev[32];
	int n, i, fd;

	for (;;) {
		n = epoll_wait(d->epfd, ev, 32, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		for (i = 0; i < n; i++) {
			fd = ev[i].data.fd;
			if (fd == d->sig_fd) {
				if (on_signal(d))
					return 0;
			} else if (fd == d->tick_fd) {
				on_tick(d);
			} else if (fd == d->link_fd) {
				if (link_watch_read(d->link_fd, on_link, d) < 0)
					dlog(L_DEBUG, "attach", "link notifications "
					     "lost, the rescan catches up");
			} else if (fd == d->ctl_fd || fd == d->metrics_fd) {
				ctl_accept(d, fd);
			} else {
				ctl_client_io(d, fd);
			}
		}
	}
}

static int setup_dataplane_locked(struct tcsegd *d);

static int setup_dataplane(struct tcsegd *d)
{
	char err[512];
	int r;

	r = tcseg_ensure_bpffs(d->cfg.pin_dir, err, sizeof(err));
	if (r) {
		dlog(L_ERR, "daemon", "bpffs error=\"%s\"", err);
		return r;
	}
	/* a tcctl writing meanwhile must not see a half-made data plane */
	r = pin_lock(d->cfg.pin_dir, PIN_LOCK_TIMEOUT_MS, 1, err, sizeof(err));
	if (r) {
		dlog(L_ERR, "daemon", "pin dir lock error=\"%s\"", err);
		return r;
	}
	r = setup_dataplane_locked(d);
	pin_unlock();
	return r;
}

static int setup_dataplane_locked(struct tcsegd *d)
{
	struct tcseg_sizes sz;
	char err[512];
	__u64 t0;
	int r;

	if (!tcseg_is_loaded(d->cfg.pin_dir)) {
		tcseg_sizes_default(&sz);
		r = tcseg_load(d->cfg.pin_dir, &sz, err, sizeof(err));
		if (r) {
			dlog(L_ERR, "daemon", "data plane load failed "
			     "error=\"%s\"", err);
			return r;
		}
		dlog(L_INFO, "daemon", "data plane loaded pin_dir=%s",
		     d->cfg.pin_dir);
	} else {
		dlog(L_INFO, "daemon", "data plane picked up pin_dir=%s",
		     d->cfg.pin_dir);
	}
	r = tcseg_maps_open(d->cfg.pin_dir, &d->maps, err, sizeof(err));
	if (r) {
		dlog(L_ERR, "daemon", "cannot open maps error=\"%s\"", err);
		return r;
	}
	attach_configured(d);
	t0 = boot_ns();
	r = tcseg_capture_load(d->cfg.pin_dir, d->variant, &d->cap, err,
			       sizeof(err));
	if (r) {
		dlog(L_ERR, "capture", "socket capture failed error=\"%s\"", err);
		return r;
	}
	d->variant = tcseg_capture_variant(d->cap);
	d->cap_pods_fd = tcseg_capture_pods_fd(d->cap);
	/* whatever a killed predecessor left stopped is nobody's now */
	held_init(tcseg_capture_held_fd(d->cap));
	held_sweep(d->m, t0);
	tcsegd_pods_refresh(d);
	r = tcseg_capture_set_hold(d->cap, true);
	if (r)
		dlog(L_ERR, "capture", "cannot enable the hold error=\"%s\"",
		     strerror(-r));
	dlog(L_INFO, "capture", "socket capture up variant=%s hold=%s",
	     tcseg_capture_variant_name(d->variant), r ? "off" : "on");
	return 0;
}

/* perf_metrics_dir's files, on exit; their outcome logged. */
static void write_perf_metrics(struct tcsegd *d)
{
	const char *dir = d->cfg.perf_metrics_dir;
	char path[4096];
	int r;

	if (!dir[0])
		return;
	r = perf_metrics_write(d->m, dir, d->cfg.node_name,
			       kp_mode_name(key_provider_get_mode()), path,
			       sizeof(path));
	if (r)
		dlog(L_ERR, "metrics", "perf_metrics_dir %s: cannot write the "
		     "perf_metrics files error=\"%s\"", dir, strerror(-r));
	else
		dlog(L_INFO, "metrics", "perf metrics written json=%s", path);
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: tcsegd [-c CONFIG] [-f] [-C auto|tracepoint|kprobe]\n"
		"  -c FILE  configuration (default %s)\n"
		"  -f       stay in the foreground, log to stderr\n"
		"  -C V     socket capture variant (default auto)\n"
		"  -V       version, and the kernel and libbpf it needs\n",
		CFG_DEFAULT_PATH);
}

static int daemonize(void)
{
	pid_t p = fork();
	int fd;

	if (p < 0)
		return -errno;
	if (p > 0)
		_exit(0);
	setsid();
	p = fork();
	if (p < 0)
		return -errno;
	if (p > 0)
		_exit(0);
	if (chdir("/"))
		return -errno;
	fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	dlog_use_syslog(true);
	return 0;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	char buf[512];
	size_t n;

	if (level != LIBBPF_WARN)
		return 0;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	n = strlen(buf);
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = 0;
	if (strstr(buf, "Kernel error message"))
		return 0;
	dlog(L_DEBUG, "libbpf", "%s", buf);
	return 0;
}

static int parse_args(struct tcsegd *d, int argc, char **argv)
{
	int c;

	d->cfg_path = CFG_DEFAULT_PATH;
	d->variant = CAPTURE_AUTO;
	while ((c = getopt(argc, argv, "c:fC:hV")) != -1) {
		switch (c) {
		case 'c':
			d->cfg_path = optarg;
			break;
		case 'f':
			d->foreground = true;
			break;
		case 'C':
			if (tcseg_capture_parse_variant(optarg, &d->variant)) {
				fprintf(stderr, "tcsegd: -C: '%.32s' is not auto, "
					"tracepoint or kprobe\n", optarg);
				return -1;
			}
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V': {
			char v[256];

			tcseg_version_string("tcsegd", v, sizeof(v));
			printf("%s\n", v);
			exit(0);
		}
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "tcsegd: unexpected '%.64s'\n", argv[optind]);
		return -1;
	}
	return 0;
}

/*
 * Keys live on the hand-off workers' stacks for a moment: no core dump
 * may ever carry them, and no unprivileged ptrace may read them.
 */
static int no_core_dumps(void)
{
	struct rlimit no = { 0, 0 };

	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) || setrlimit(RLIMIT_CORE, &no)) {
		fprintf(stderr, "tcsegd: cannot disable core dumps: %s\n",
			strerror(errno));
		return -1;
	}
	return 0;
}

/* An old kernel or libbpf: one clear line, not a verifier error later. */
static int check_runtime(void)
{
	char err[256];

	if (!tcseg_runtime_check(err, sizeof(err)))
		return 0;
	fprintf(stderr, "tcsegd: %s\n", err);
	return -1;
}

int main(int argc, char **argv)
{
	/* handed to the parts (docs/DAEMON.md §Code layout) */
	static struct tcsegd daemon = {
		.epfd = -1, .sig_fd = -1, .tick_fd = -1,
		.link_fd = -1,
	};
	static struct tcsegd_metrics metrics;
	struct tcsegd_metrics_ops mops;
	struct tcsegd *d = &daemon;
	sigset_t ss;
	int r;

	tcsegd_metrics_ops(d, &mops);
	metrics_init(&metrics, &mops);
	d->m = &metrics;
	if (parse_args(d, argc, argv))
		return 2;
	if (check_runtime())
		return 1;
	if (no_core_dumps())
		return 1;
	pthread_rwlock_init(&d->pods_lock, NULL);
	pthread_mutex_init(&d->veth_lock, NULL);
	pthread_mutex_init(&d->corr_lock, NULL);
	d->ctl_fd = d->metrics_fd = d->cap_pods_fd = -1;
	daemon_config_defaults(&d->cfg);
	if (load_config(d, &d->cfg))
		return 1;
	dlog_set_level(d->cfg.log_level);
	if (!d->cfg.node_name[0]) {
		dlog(L_ERR, "config", "node_name unknown: set node_name in %s",
		     d->cfg_path);
		return 1;
	}
	libbpf_set_print(libbpf_print);
	signal(SIGPIPE, SIG_IGN);
	/* signals go to the signalfd; threads started later inherit the mask */
	sigemptyset(&ss);
	sigaddset(&ss, SIGHUP);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	pthread_sigmask(SIG_BLOCK, &ss, NULL);
	if (!d->foreground && daemonize())
		return 1;
	d->start_ns = mono_ns();
	d->ktls_ok = ktls_available();
	dlog(L_INFO, "daemon", "starting pid=%d node=%s config=%s ktls=%s",
	     getpid(), d->cfg.node_name, d->cfg_path,
	     d->ktls_ok ? "available" : "kernel TLS not available");
	d->corr = corr_new(8192, 10000000000ull);
	if (!d->corr || tcsegd_load_pods(d, d->cfg.pod_node_config_path) ||
	    setup_dataplane(d) || start_provider(d))
		goto fail;
	tcsegd_pods_sync(d, "start", NULL);
	d->ctl_fd = ctl_open(d->cfg.control_socket);
	if (d->ctl_fd < 0) {
		dlog(L_ERR, "control", "control socket failed path=%s error=\"%s\"",
		     d->cfg.control_socket, d->ctl_fd == -EADDRINUSE ?
		     "another tcsegd answers there" : strerror(-d->ctl_fd));
		goto fail;
	}
	if (d->cfg.metrics_enabled) {
		d->metrics_fd = metrics_open(&d->cfg.metrics_listen);
		if (d->metrics_fd < 0) {
			dlog(L_ERR, "metrics", "metrics listener failed "
			     "error=\"%s\"", strerror(-d->metrics_fd));
			goto fail;
		}
	}
	vlog_open(&d->cfg, d->m);	/* not fatal: tried again at each record */
	r = setup_loop(d);
	if (r || handoff_start(d, TCSEGD_WORKERS, d->rb)) {
		dlog(L_ERR, "daemon", "cannot set up the event loop");
		goto fail;
	}
	dlog(L_INFO, "daemon", "ready control=%s metrics=%s capture=%s "
	     "provider=%s", d->cfg.control_socket,
	     d->cfg.metrics_enabled ? "on" : "off",
	     tcseg_capture_variant_name(d->variant),
	     kp_mode_name(key_provider_get_mode()));
	r = loop(d);
	/* no new holds; release what was captured meanwhile; fail the rest */
	__atomic_store_n(&d->exiting, true, __ATOMIC_RELEASE);
	tcseg_capture_set_hold(d->cap, false);
	handoff_stop(d);
	ring_buffer__consume(d->rb);	/* the workers are gone */
	write_perf_metrics(d);
	ring_buffer__free(d->rb);
	vlog_close();
	tcseg_capture_destroy(d->cap);
	key_provider_cleanup();
	unlink(d->cfg.control_socket);
	tcseg_maps_close(&d->maps);
	dlog(L_INFO, "daemon", "stopped");
	return r ? 1 : 0;
fail:
	if (d->cap) {
		tcseg_capture_destroy(d->cap);
	}
	return 1;
}
