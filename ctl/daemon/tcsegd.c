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

#include "daemon/tcsegd.h"
#include "daemon/tcsegd_link.h"
#include "dataplane/devices.h"
#include "tcseg_names.h"
#include "dataplane/pin_lock.h"
#include "keys/key_provider.h"
#include "keys/ktls.h"
#include "keys/tlshub_client.h"
#include "lib/runtime.h"

struct tcsegd D;

static int epfd = -1, sig_fd = -1, tick_fd = -1, rb_fd = -1, link_fd = -1;
static struct ring_buffer *rb;
static bool exiting;

void epoll_del_close(int ep, int fd)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
	close(fd);
}

/* ---- devices */

/* @via: what found it (config, rescan, rtnetlink), for the log. */
/* how long an attach waits for a tcctl writer before the rescan retries */
#define ATTACH_LOCK_MS	2000

static void attach_one(const char *name, const char *via)
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
	if (!bpf_map_lookup_elem(D.maps.devs, &ifindex, &old) &&
	    !strncmp(old.name, name, sizeof(old.name)) && D.start_ns &&
	    mono_ns() - D.start_ns > 1000000000ull)
		return;		/* already ours: the pattern rescan */
	/*
	 * tcctl's writer lock (docs/POLICY.md "Concurrent writers"), waited
	 * for briefly: the loop must not stall; the rescan tries again.
	 */
	if (pin_lock(D.cfg.pin_dir, ATTACH_LOCK_MS, 0, err, sizeof(err))) {
		dlog(L_WARN, "attach", "attach deferred dev=%s error=\"%s\"",
		     name, err);
		return;
	}
	if (tcseg_dev_attach(D.cfg.pin_dir, &D.maps, ifindex, name, &o,
			     ATTACH_AUTO, &tcx, err, sizeof(err))) {
		pin_unlock();
		dlog(L_ERR, "attach", "attach failed dev=%s error=\"%s\"", name,
		     err);
		return;
	}
	dlog(L_INFO, "attach", "attached dev=%s ifindex=%d mode=%s via=%s",
	     name, ifindex, tcx ? "tcx" : "clsact", via);
	tcsegd_bind_known((__u32)ifindex);
	pin_unlock();
}

/* A link appeared (or changed): attach it if the pattern wants it. */
static void on_link(const char *name, void *arg)
{
	(void)arg;
	if (D.cfg.attach_pattern[0] && !fnmatch(D.cfg.attach_pattern, name, 0))
		attach_one(name, "rtnetlink");
}

static void attach_configured(void)
{
	struct if_nameindex *ifs, *i;
	unsigned int k;

	for (k = 0; k < D.cfg.n_attach_devices; k++)
		attach_one(D.cfg.attach_devices[k], "config");
	if (!D.cfg.attach_pattern[0])
		return;
	ifs = if_nameindex();
	for (i = ifs; i && i->if_index; i++)
		if (!fnmatch(D.cfg.attach_pattern, i->if_name, 0))
			attach_one(i->if_name, "rescan");
	if (ifs)
		if_freenameindex(ifs);
}

/* ---- key provider */

/* The node of a pod address (@family 4: a __be32, 6: 16 bytes). */
static int kp_lookup_addr(int family, const void *addr, char *node,
			  size_t node_len, struct sockaddr_in *svc)
{
	const struct pod_map_pod *p;
	int r = -ENOENT;

	pthread_rwlock_rdlock(&D.pods_lock);
	p = D.pods ? pod_map_find_pod_addr(D.pods, family, addr) : NULL;
	if (p) {
		snprintf(node, node_len, "%s", p->node);
		memset(svc, 0, sizeof(*svc));
		svc->sin_family = AF_INET;
		svc->sin_addr.s_addr = p->node_ip;
		svc->sin_port = D.cfg.key_service_listen.sin_port;
		r = p->node_ip ? 0 : -EHOSTUNREACH;
	}
	pthread_rwlock_unlock(&D.pods_lock);
	return r;
}

static int kp_lookup(void *arg, __u32 addr, char *node, size_t node_len,
		     struct sockaddr_in *svc)
{
	(void)arg;
	return kp_lookup_addr(4, &addr, node, node_len, svc);
}

static int kp_lookup6(void *arg, const __u8 *addr6, char *node,
		      size_t node_len, struct sockaddr_in *svc)
{
	(void)arg;
	return kp_lookup_addr(6, addr6, node, node_len, svc);
}

/* The key service talks to the nodes of the pod mapping only. */
static int kp_peer_known(void *arg, __u32 addr)
{
	int r;

	(void)arg;
	pthread_rwlock_rdlock(&D.pods_lock);
	r = D.pods && pod_map_node_by_addr(D.pods, addr);
	pthread_rwlock_unlock(&D.pods_lock);
	return r;
}

static void kp_log(void *arg, int level, const char *msg)
{
	static const int map[] = { L_ERR, L_WARN, L_INFO, L_DEBUG };

	(void)arg;
	dlog(map[level & 3], "keyprov", "%s", msg);
}

static int th_node_ip(void *arg, __u32 pod_ip, __u32 *node_ip)
{
	char node[64];
	struct sockaddr_in svc;

	(void)arg;
	if (kp_lookup(NULL, pod_ip, node, sizeof(node), &svc))
		return -ENOENT;
	*node_ip = svc.sin_addr.s_addr;
	return 0;
}

static int th_is_local(void *arg, __u32 pod_ip)
{
	(void)arg;
	return tcsegd_is_local_pod(pod_ip);
}

static void th_log(void *arg, int level, const char *msg)
{
	static const int map[] = { L_ERR, L_WARN, L_INFO, L_DEBUG };

	(void)arg;
	dlog(map[level & 3], "tlshub", "%s", msg);
}

static int th_init(void)
{
	struct tlshub_config c = {
		.protocol = (int)D.cfg.tlshub_netlink_protocol,
		.peer_pid = D.cfg.tlshub_peer_port,
		.layout = D.cfg.tlshub_layout == CFG_TLSHUB_V1 ?
			  TLSHUB_LAYOUT_V1 : TLSHUB_LAYOUT_V2,
		.timeout_ms = (int)D.cfg.key_fetch_timeout_ms,
		.handshake_timeout_ms = (int)D.cfg.handshake_timeout_ms,
		.cipher = D.cfg.cipher,
		.node_ip = th_node_ip,
		.is_local = th_is_local,
		.log = th_log,
	};
	int r = tlshub_client_configure(&c);

	return r ? r : tlshub_client_init();
}

static void th_cleanup(void)
{
	tlshub_client_cleanup();
}

static int th_get_key(struct flow_tuple *t, const struct flow_isn *isn,
		      enum kp_role role, struct tls_key_info *ki)
{
	return tlshub_get_key_conn(t, isn, ki, role == KP_ROLE_CLIENT ?
				   TLSHUB_ROLE_CLIENT : role == KP_ROLE_SERVER ?
				   TLSHUB_ROLE_SERVER : TLSHUB_ROLE_AUTO);
}

static const struct kp_tlshub_ops th_ops = {
	.init = th_init, .cleanup = th_cleanup, .get_key = th_get_key,
};

static int start_provider(void)
{
	struct kp_config kc = {
		.node_name = D.cfg.node_name,
		.cert_file = D.cfg.cert_file,
		.key_file = D.cfg.key_file,
		.ca_file = D.cfg.ca_file,
		.serve = 1,
		.listen = D.cfg.key_service_listen,
		.lookup = kp_lookup,
		.lookup6 = kp_lookup6,
		.peer_allowed = kp_peer_known,
		.cipher = D.cfg.cipher,
		.connect_timeout_ms = (int)D.cfg.handshake_timeout_ms,
		.io_timeout_ms = (int)D.cfg.key_fetch_timeout_ms,
		.flow_wait_ms = (int)D.cfg.flow_wait_ms,
		.flow_ttl_ms = (int)D.cfg.flow_ttl_ms,
		.idle_timeout_ms = (int)D.cfg.session_idle_timeout_ms,
		.plugin_dir = D.cfg.kp_plugin_dir[0] ? D.cfg.kp_plugin_dir : NULL,
		.fallback = D.cfg.fallback_mode == CFG_FALLBACK_NONE ?
			    KP_FALLBACK_NONE :
			    D.cfg.fallback_mode == MODE_BORINGSSL ?
			    KP_FALLBACK_BORINGSSL : KP_FALLBACK_OPENSSL,
		.log = kp_log,
	};
	int r;

	r = key_provider_configure(&kc);
	if (r)
		goto fail;
	key_provider_register_tlshub(&th_ops);
	r = key_provider_init(D.cfg.mode);
	if (r)
		goto fail;
	dlog(L_INFO, "keyprov", "key provider up mode=%s want=%s tls=%s "
	     "fallback=%s port=%d", kp_mode_name(key_provider_get_mode()),
	     cfg_mode_name(D.cfg.mode), key_provider_tls_name(),
	     cfg_mode_name(D.cfg.fallback_mode), key_provider_port());
	return 0;
fail:
	dlog(L_ERR, "keyprov", "key provider failed mode=%s error=\"%s\"",
	     cfg_mode_name(D.cfg.mode), key_provider_last_error());
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
static long start_end(struct corr_entry *ce, enum job_role role,
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
	id = handoff_submit(&r);
	dlog(id > 0 ? L_DEBUG : L_WARN, "handoff", "%s hand-off %s "
	     "flow=%s tgid=%u held=%d", role == JOB_CLIENT ? "client" : "server",
	     id > 0 ? "queued" : "refused", flow, r.tgid, r.held);
	return id > 0 ? id : 0;
}

static void maybe_start(struct corr_entry *ce)
{
	char flow[FLOW_STR_LEN];

	flow_str(&ce->key, flow, sizeof(flow));
	if (corr_client_ready(ce) &&
	    tcsegd_is_local_addr(ce->key.family, &ce->key.saddr)) {
		ce->flags |= CORR_CLIENT_GO;
		ce->client_job = start_end(ce, JOB_CLIENT, &ce->connect,
					   ce->ifindex_from, flow);
	}
	if (corr_server_ready(ce) &&
	    tcsegd_is_local_addr(ce->key.family, &ce->key.daddr)) {
		ce->flags |= CORR_SERVER_GO;
		ce->server_job = start_end(ce, JOB_SERVER, &ce->accept,
					   ce->ifindex_to, flow);
	}
}

static int on_tc(void *ctx, void *data, size_t size)
{
	const struct tcseg_event *e = data;
	struct tcseg_event ev;
	struct corr_entry *ce;
	long veth;
	const char *why;

	(void)ctx;
	if (corr_check_tc(data, size, &why)) {
		MINC(tc_events_invalid);
		dlog(L_DEBUG, "events", "flow event refused size=%zu why=\"%s\"",
		     size, why);
		return 0;
	}
	MINC(tc_events[e->type]);
	verdict_event(e);
	if (e->type != TCSEG_EV_FLOW_ENCRYPT || e->proto != 6)
		return 0;
	veth = tcsegd_event_veth(e);
	if (veth < 0)
		return 0;
	ev = *e;
	ev.ifindex = (__u32)veth;
	ce = corr_add_tc(D.corr, &ev, mono_ns());
	if (!ce) {
		MINC(corr_dropped);
		return 0;
	}
	if (veth && e->dir == TCSEG_DIR_FROM_POD && ce->client_job)
		handoff_set_ifindex(ce->client_job, ev.ifindex);
	if (veth && e->dir == TCSEG_DIR_TO_POD && ce->server_job)
		handoff_set_ifindex(ce->server_job, ev.ifindex);
	if (!exiting)
		maybe_start(ce);
	return 0;
}

static void release_unowned(const struct tcseg_sock_event *e)
{
	/* nobody will hand this one off: let it run, payload stays dropped */
	if (e->flags & TCSEG_SOCK_F_HELD)
		kill((pid_t)e->tgid, SIGCONT);
}

static int on_sock(void *ctx, void *data, size_t size)
{
	const struct tcseg_sock_event *e = data;
	struct corr_entry *ce;
	struct corr_key k;
	const char *why;
	char flow[FLOW_STR_LEN], comm[80], c16[17];

	(void)ctx;
	if (corr_check_sock(data, size, &why)) {
		MINC(sock_events_invalid);
		dlog(L_WARN, "capture", "socket record refused size=%zu "
		     "why=\"%s\"", size, why);
		/* a held process is still released if it is named */
		if (size == sizeof(*e) && (e->flags & TCSEG_SOCK_F_HELD) &&
		    e->tgid)
			kill((pid_t)e->tgid, SIGCONT);
		return 0;
	}
	if (e->type == TCSEG_SOCK_CONNECT)
		MINC(captured_connect);
	else if (e->type == TCSEG_SOCK_ACCEPT)
		MINC(captured_accept);
	else
		MINC(captured_other);
	corr_key_sock(e, &k);
	flow_str(&k, flow, sizeof(flow));
	memcpy(c16, e->comm, 16);
	c16[16] = 0;
	json_esc(c16, comm, sizeof(comm));
	monitor_eventf("\"type\":\"capture\",\"event\":\"%s\",\"flow\":\"%s\","
		       "\"tgid\":%u,\"pid\":%u,\"comm\":\"%s\",\"cookie\":%llu,"
		       "\"netns_cookie\":%llu,\"held\":%s,\"encrypt\":%s,"
		       "\"kprobe\":%s,\"action\":\"%s\",\"rule\":%u",
		       sock_ev_names[e->type], flow, e->tgid, e->pid, comm,
		       (unsigned long long)e->cookie,
		       (unsigned long long)e->netns_cookie,
		       e->flags & TCSEG_SOCK_F_HELD ? "true" : "false",
		       e->flags & TCSEG_SOCK_F_ENCRYPT ? "true" : "false",
		       e->flags & TCSEG_SOCK_F_KPROBE ? "true" : "false",
		       act_names[e->action], e->policy_id);
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
	if (exiting) {
		release_unowned(e);
		return 0;
	}
	ce = corr_add_sock(D.corr, e, mono_ns());
	if (!ce) {
		MINC(corr_dropped);
		release_unowned(e);
		return 0;
	}
	maybe_start(ce);
	return 0;
}

/* ---- config, signals, loop */

static int load_config(struct capture_config *cfg)
{
	char err[512];
	int r;

	r = daemon_config_load(D.cfg_path, 0, cfg, err, sizeof(err));
	if (r)
		dlog(L_ERR, "config", "configuration refused error=\"%s\"", err);
	return r;
}

static void reload(void)
{
	struct capture_config c = D.cfg;

	dlog(L_INFO, "config", "SIGHUP: reloading file=%s", D.cfg_path);
	if (!load_config(&c)) {
		if (strcmp(c.pin_dir, D.cfg.pin_dir) ||
		    strcmp(c.control_socket, D.cfg.control_socket) ||
		    strcmp(c.node_name, D.cfg.node_name) || c.mode != D.cfg.mode)
			dlog(L_WARN, "config", "pin_dir, control_socket, "
			     "node_name and mode changes need a restart");
		strcpy(c.pin_dir, D.cfg.pin_dir);
		strcpy(c.control_socket, D.cfg.control_socket);
		strcpy(c.node_name, D.cfg.node_name);
		c.mode = D.cfg.mode;
		D.cfg = c;	/* workers read scalar settings only */
		dlog_set_level(D.cfg.log_level);
	}
	vlog_open(&D.cfg);	/* new settings, or a file moved away */
	if (!tcsegd_load_pods(D.cfg.pod_node_config_path))
		tcsegd_pods_refresh();
	attach_configured();
	monitor_eventf("\"type\":\"reload\",\"pods\":%u",
		       tcsegd_local_pod_count());
}

static int watch(int fd, __u32 events);

/* New links matching attach_pattern, as they appear (rescan: backstop). */
static int watch_links(void)
{
	if (!D.cfg.attach_pattern[0])
		return 0;
	link_fd = link_watch_open();
	if (link_fd < 0) {
		dlog(L_WARN, "attach", "no rtnetlink link notifications, "
		     "rescanning every 2 s only error=\"%s\"",
		     strerror(-link_fd));
		return 0;
	}
	return watch(link_fd, EPOLLIN) ? -errno : 0;
}

static int watch(int fd, __u32 events)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

static int setup_loop(void)
{
	struct itimerspec its = { { 0, 100000000 }, { 0, 100000000 } };
	sigset_t ss;
	int r;

	epfd = epoll_create1(EPOLL_CLOEXEC);
	sigemptyset(&ss);
	sigaddset(&ss, SIGHUP);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sig_fd = signalfd(-1, &ss, SFD_CLOEXEC | SFD_NONBLOCK);
	tick_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (epfd < 0 || sig_fd < 0 || tick_fd < 0)
		return -errno;
	timerfd_settime(tick_fd, 0, &its, NULL);
	rb = ring_buffer__new(D.maps.events, on_tc, NULL, NULL);
	if (!rb)
		return -errno;
	r = ring_buffer__add(rb, tcseg_capture_events_fd(D.cap), on_sock, NULL);
	if (r)
		return r;
	rb_fd = ring_buffer__epoll_fd(rb);
	if (watch(sig_fd, EPOLLIN) || watch(tick_fd, EPOLLIN) ||
	    watch(rb_fd, EPOLLIN) || watch(D.ctl_fd, EPOLLIN) ||
	    (D.metrics_fd >= 0 && watch(D.metrics_fd, EPOLLIN)))
		return -errno;
	return watch_links();
}

static void on_tick(void)
{
	static unsigned int n;
	__u64 x;

	if (read(tick_fd, &x, sizeof(x)) < 0)
		return;
	/* records the capture left without a wake-up (allow flows) */
	ring_buffer__consume(rb);
	handoff_watchdog();
	monitor_reap();
	ctl_reap(epfd);
	n++;
	if (n % 10 == 0) {
		corr_expire(D.corr, mono_ns());
		/* a job owns a hold for hold_timeout_ms at most */
		held_sweep(boot_ns() - ((__u64)D.cfg.hold_timeout_ms + 2000) *
				       1000000ull);
	}
	if (n % 20 == 0) {
		tcsegd_pods_tick();
		if (D.cfg.attach_pattern[0])
			attach_configured();
	}
}

/* Returns 1 to stop. */
static int on_signal(void)
{
	struct signalfd_siginfo si;

	while (read(sig_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			reload();
			continue;
		}
		dlog(L_INFO, "daemon", "signal %s: exiting, enforcement stays",
		     strsignal((int)si.ssi_signo));
		return 1;
	}
	return 0;
}

static int loop(void)
{
	struct epoll_event ev[32];
	int n, i, fd;

	for (;;) {
		n = epoll_wait(epfd, ev, 32, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		for (i = 0; i < n; i++) {
			fd = ev[i].data.fd;
			if (fd == sig_fd) {
				if (on_signal())
					return 0;
			} else if (fd == tick_fd) {
				on_tick();
			} else if (fd == rb_fd) {
				ring_buffer__consume(rb);
			} else if (fd == link_fd) {
				if (link_watch_read(link_fd, on_link, NULL) < 0)
					dlog(L_DEBUG, "attach", "link notifications "
					     "lost, the rescan catches up");
			} else if (fd == D.ctl_fd || fd == D.metrics_fd) {
				ctl_accept(epfd, fd);
			} else {
				ctl_client_io(epfd, fd);
			}
		}
	}
}

static int setup_dataplane_locked(void);

static int setup_dataplane(void)
{
	char err[512];
	int r;

	r = tcseg_ensure_bpffs(D.cfg.pin_dir, err, sizeof(err));
	if (r) {
		dlog(L_ERR, "daemon", "bpffs error=\"%s\"", err);
		return r;
	}
	/* a tcctl writing meanwhile must not see a half-made data plane */
	r = pin_lock(D.cfg.pin_dir, PIN_LOCK_TIMEOUT_MS, 1, err, sizeof(err));
	if (r) {
		dlog(L_ERR, "daemon", "pin dir lock error=\"%s\"", err);
		return r;
	}
	r = setup_dataplane_locked();
	pin_unlock();
	return r;
}

static int setup_dataplane_locked(void)
{
	struct tcseg_sizes sz;
	char err[512];
	__u64 t0;
	int r;

	if (!tcseg_is_loaded(D.cfg.pin_dir)) {
		tcseg_sizes_default(&sz);
		r = tcseg_load(D.cfg.pin_dir, &sz, err, sizeof(err));
		if (r) {
			dlog(L_ERR, "daemon", "data plane load failed "
			     "error=\"%s\"", err);
			return r;
		}
		dlog(L_INFO, "daemon", "data plane loaded pin_dir=%s",
		     D.cfg.pin_dir);
	} else {
		dlog(L_INFO, "daemon", "data plane picked up pin_dir=%s",
		     D.cfg.pin_dir);
	}
	r = tcseg_maps_open(D.cfg.pin_dir, &D.maps, err, sizeof(err));
	if (r) {
		dlog(L_ERR, "daemon", "cannot open maps error=\"%s\"", err);
		return r;
	}
	attach_configured();
	t0 = boot_ns();
	r = tcseg_capture_load(D.cfg.pin_dir, D.variant, &D.cap, err,
			       sizeof(err));
	if (r) {
		dlog(L_ERR, "capture", "socket capture failed error=\"%s\"", err);
		return r;
	}
	D.variant = tcseg_capture_variant(D.cap);
	D.cap_pods_fd = tcseg_capture_pods_fd(D.cap);
	/* whatever a killed predecessor left stopped is nobody's now */
	held_init(tcseg_capture_held_fd(D.cap));
	held_sweep(t0);
	tcsegd_pods_refresh();
	r = tcseg_capture_set_hold(D.cap, true);
	if (r)
		dlog(L_ERR, "capture", "cannot enable the hold error=\"%s\"",
		     strerror(-r));
	dlog(L_INFO, "capture", "socket capture up variant=%s hold=%s",
	     tcseg_capture_variant_name(D.variant), r ? "off" : "on");
	return 0;
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

static int parse_args(int argc, char **argv)
{
	int c;

	D.cfg_path = CFG_DEFAULT_PATH;
	D.variant = CAPTURE_AUTO;
	while ((c = getopt(argc, argv, "c:fC:hV")) != -1) {
		switch (c) {
		case 'c':
			D.cfg_path = optarg;
			break;
		case 'f':
			D.foreground = true;
			break;
		case 'C':
			if (tcseg_capture_parse_variant(optarg, &D.variant)) {
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
	sigset_t ss;
	int r;

	if (parse_args(argc, argv))
		return 2;
	if (check_runtime())
		return 1;
	if (no_core_dumps())
		return 1;
	pthread_rwlock_init(&D.pods_lock, NULL);
	pthread_mutex_init(&D.veth_lock, NULL);
	D.ctl_fd = D.metrics_fd = D.cap_pods_fd = -1;
	daemon_config_defaults(&D.cfg);
	if (load_config(&D.cfg))
		return 1;
	dlog_set_level(D.cfg.log_level);
	if (!D.cfg.node_name[0]) {
		dlog(L_ERR, "config", "node_name unknown: set node_name in %s",
		     D.cfg_path);
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
	if (!D.foreground && daemonize())
		return 1;
	D.start_ns = mono_ns();
	D.ktls_ok = ktls_available();
	dlog(L_INFO, "daemon", "starting pid=%d node=%s config=%s ktls=%s",
	     getpid(), D.cfg.node_name, D.cfg_path,
	     D.ktls_ok ? "available" : "kernel TLS not available");
	D.corr = corr_new(8192, 10000000000ull);
	if (!D.corr || tcsegd_load_pods(D.cfg.pod_node_config_path) ||
	    setup_dataplane() || start_provider())
		goto fail;
	tcsegd_pods_sync("start", NULL);
	D.ctl_fd = ctl_open(D.cfg.control_socket);
	if (D.ctl_fd < 0) {
		dlog(L_ERR, "control", "control socket failed path=%s error=\"%s\"",
		     D.cfg.control_socket, D.ctl_fd == -EADDRINUSE ?
		     "another tcsegd answers there" : strerror(-D.ctl_fd));
		goto fail;
	}
	if (D.cfg.metrics_enabled) {
		D.metrics_fd = metrics_open(&D.cfg.metrics_listen);
		if (D.metrics_fd < 0) {
			dlog(L_ERR, "metrics", "metrics listener failed "
			     "error=\"%s\"", strerror(-D.metrics_fd));
			goto fail;
		}
	}
	vlog_open(&D.cfg);	/* not fatal: tried again at each record */
	r = handoff_start(TCSEGD_WORKERS);
	if (r || setup_loop()) {
		dlog(L_ERR, "daemon", "cannot set up the event loop");
		goto fail;
	}
	dlog(L_INFO, "daemon", "ready control=%s metrics=%s capture=%s "
	     "provider=%s", D.cfg.control_socket,
	     D.cfg.metrics_enabled ? "on" : "off",
	     tcseg_capture_variant_name(D.variant),
	     kp_mode_name(key_provider_get_mode()));
	r = loop();
	/* no new holds; release what was captured meanwhile; fail the rest */
	exiting = true;
	tcseg_capture_set_hold(D.cap, false);
	ring_buffer__consume(rb);
	handoff_stop();
	perf_metrics_write(D.cfg.perf_metrics_dir, D.cfg.node_name,
			   kp_mode_name(key_provider_get_mode()), NULL, 0);
	ring_buffer__free(rb);
	vlog_close();
	tcseg_capture_destroy(D.cap);
	key_provider_cleanup();
	unlink(D.cfg.control_socket);
	tcseg_maps_close(&D.maps);
	dlog(L_INFO, "daemon", "stopped");
	return r ? 1 : 0;
fail:
	if (D.cap) {
		tcseg_capture_destroy(D.cap);
	}
	return 1;
}
