/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcsegd internals shared by its files (ctl/tcsegd*.c): the daemon state,
 * structured logging, metrics, monitor stream and the hand-off workers.
 * See docs/DAEMON.md.
 */
#ifndef TCSEG_TCSEGD_H
#define TCSEG_TCSEGD_H

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include "tcseg.h"
#include "tcseg_keys.h"
#include "daemon/daemon_config.h"
#include "dataplane/loader.h"
#include "daemon/pod_map.h"
#include "dataplane/pod_veth.h"
#include "policy/pod_reg.h"
#include "dataplane/capture_loader.h"
#include "daemon/tcsegd_corr.h"
#include "lib/clock.h"
#include "dataplane/verdict_json.h"

#define TCSEGD_SOCK_DEFAULT	"/run/tcseg/tcsegd.sock"
#define TCSEGD_SOCK_ENV		"TCSEG_SOCK"
#define TCSEGD_WORKERS		4
#define TCSEGD_MAX_JOBS		256
#define TCSEGD_MAX_CLIENTS	64
#define TCSEGD_REQ_MAX		256	/* control request line, bytes */
#define TCSEGD_EVENT_MAX	1024	/* one monitor line, bytes */

/* ---- logging (seed 000 §10.1): "ts level component msg key=value..." */
enum { L_ERR = CFG_LOG_ERR, L_WARN = CFG_LOG_WARN, L_INFO = CFG_LOG_INFO,
       L_DEBUG = CFG_LOG_DEBUG };
void dlog(int level, const char *comp, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void dlog_set_level(int level);
void dlog_use_syslog(bool on);

/*
 * ---- metrics (ctl/daemon/tcsegd_metrics.c): counters, latency histograms, the
 * Prometheus text on the metrics listener and the perf_metrics_*.json /
 * .csv files written on exit. Every update is an atomic add: hand-off
 * workers are threads. See docs/DAEMON.md §metrics.
 */
struct tcsegd_metrics {
	__u64 captured_connect, captured_accept, captured_other;
	__u64 sock_events_invalid, tc_events_invalid;
	__u64 tc_events[8];		/* by enum tcseg_event_type */
	__u64 key_ok, key_err;
	__u64 key_handshake;		/* fetch with a fresh handshake */
	__u64 key_handshake_unattributed; /* ... during parallel fetches */
	__u64 ktls_ok, ktls_unavailable, ktls_err;
	__u64 handoff_ok, handoff_failed, handoff_timeout, handoff_optional;
	__u64 handoff_dropped;		/* queue full */
	__u64 corr_dropped;		/* join table full */
	__u64 monitor_dropped;
	__u64 held_swept;		/* stale holds released (tcsegd_held.c) */
	__u64 pod_veth_mismatch;	/* flow events refused (pod_veth.h) */
	__u64 pod_bound;		/* devices whose pods tcsegd bound */
	__u64 keysvc_unknown, keysvc_busy; /* key service refusals (copied) */
	__u64 ctl_dropped;		/* control clients that did not read */
	__u64 vlog_lines, vlog_errors, vlog_rotations;	/* verdict log */
	__u64 sock_by_fd;		/* socket taken by the record's fd */
	__u64 sock_by_search;		/* ... by a search (no fd record) */
	__u64 keys_derived, keys_announced; /* flow keys (copied) */
};
extern struct tcsegd_metrics M;
#define MINC(f)	__atomic_add_fetch(&M.f, 1, __ATOMIC_RELAXED)
#define MGET(f)	__atomic_load_n(&M.f, __ATOMIC_RELAXED)

/* One latency histogram: upper bounds (us, ascending), one bucket more. */
#define TCSEGD_HIST_MAX		16	/* finite bounds at most */
struct tcsegd_hist {
	const char *key;		/* name in the perf_metrics files */
	const char *prom;		/* Prometheus family (_seconds) */
	const char *label;		/* "" or e.g. provider="openssl" */
	const __u64 *bounds_us;
	unsigned int nbounds;
	__u64 bucket[TCSEGD_HIST_MAX + 1]; /* [nbounds]: above every bound */
	__u64 count, sum_us;
};
/* A consistent copy: count is the sum of the copied buckets. */
struct tcsegd_hist_snap {
	__u64 bucket[TCSEGD_HIST_MAX + 1];
	__u64 count, sum_us;
};
enum tcsegd_hist_id {
	H_HANDOFF,			/* capture record -> socket secured */
	H_KEY_TLSHUB, H_KEY_OPENSSL, H_KEY_BORINGSSL,	/* by enum mode */
	H_HS_TLSHUB, H_HS_OPENSSL, H_HS_BORINGSSL,
	H_KTLS,				/* configure_ktls() that succeeded */
	H_HANDOFF_NEW,			/* hand-offs that opened a node session */
	H_HANDOFF_REUSED,		/* ... that found it open */
	H_NUM
};
extern struct tcsegd_hist tcsegd_hists[H_NUM];

void hist_observe(struct tcsegd_hist *h, __u64 us);
void hist_snapshot(const struct tcsegd_hist *h, struct tcsegd_hist_snap *s);
/* Quantile @q (0..1) in us, estimated from the buckets (linear inside the
 * bucket); 0 when empty, the last bound when it lies above every bound. */
double hist_quantile(const struct tcsegd_hist *h,
		     const struct tcsegd_hist_snap *s, double q);
void metrics_reset(void);		/* tests */

void metrics_latency(__u64 us);		/* hand-off latency */
/* The same, by whether the hand-off opened a provider session. */
void metrics_handoff_session(__u64 us, bool new_session);
/* Fresh provider sessions so far (kp + TLSHub), to tell new from reused. */
__u64 metrics_provider_handshakes(void);
/* Around one key provider call (any thread). */
struct kf_timer {
	__u64 t0_ns, seq, handshakes;
};
void metrics_key_fetch_begin(struct kf_timer *t);
void metrics_key_fetch_end(struct kf_timer *t, int mode, int err);
void metrics_ktls_config(int err, __u64 us);
/* The daemon's own families (counters, histograms) into @f. */
void metrics_render(FILE *f);
/*
 * The data path's families (ctl/daemon/tcsegd_dpmetrics.c: counters, drops by
 * reason, map fill, pressure, per-rule hits), main thread only.
 */
void dp_metrics_render(FILE *f);
/* The whole exposition, malloc'd (*len bytes + NUL); NULL on ENOMEM. */
char *metrics_text(size_t *len);
/*
 * perf_metrics_<YYYYmmdd-HHMMSS>.json and .csv (UTC) in @dir, 0600,
 * through a temporary name; the JSON's path into @path (may be NULL).
 * Logs the outcome; returns 0 or -errno. @dir "" = off: nothing written.
 */
int perf_metrics_write(const char *dir, const char *node,
		       const char *provider, char *path, size_t pathlen);

/* ---- monitor stream: one JSON object a line to every `monitor` client */
void monitor_emit(const char *json_line);
/* printf-style JSON body without braces: monitor_event("\"type\":\"x\""...) */
void monitor_eventf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int monitor_add(int fd);
void monitor_reap(void);
int monitor_count(void);

/*
 * ---- verdict log (tcsegd_vlog.c, docs/DAEMON.md §Verdict log): log,
 * audit and drop records to a rotated file or syslog. Main thread only.
 */
/* (Re)open as @cfg says (start, SIGHUP); 0 or -errno (logged). */
int vlog_open(const struct capture_config *cfg);
void vlog_close(void);
/* Does an event of @type go to the log? */
bool vlog_wants(__u32 type);
/* One record line ('\n' included): never split across files. */
void vlog_write(const char *line, size_t len);
/* The record of a data path event: to the monitors and the log. */
void verdict_event(const struct tcseg_event *e);

/* ---- hand-off */
enum job_role { JOB_CLIENT = 1, JOB_SERVER = 2 };

struct handoff_req {
	enum job_role role;
	struct corr_key key;		/* client -> server, network order */
	__u32 tgid;			/* 0 = find the owner (accept, tp) */
	__u32 pid;
	__u64 cookie;			/* 0 = match by tuple */
	__u64 event_ns;			/* capture record time (monotonic) */
	__u32 ifindex;			/* veth of this end's pod, 0 = later */
	bool held;			/* SIGSTOPped: we owe it a SIGCONT */
	int fd;				/* accept()'s fd in tgid, -1 = search */
	char comm[17];
};

int handoff_start(int nworkers);
void handoff_stop(void);		/* fails every job in flight */
/* Queue a hand-off; returns a job id (> 0) or negative errno. */
long handoff_submit(const struct handoff_req *r);
/* The veth of a job's end became known (TC event after the record). */
void handoff_set_ifindex(long job, __u32 ifindex);
/* Fail jobs past their deadline; called from the main loop's timer. */
void handoff_watchdog(void);
int handoff_in_flight(void);

/* ---- daemon state */
struct tcsegd {
	struct capture_config cfg;
	const char *cfg_path;
	bool foreground;
	enum capture_variant variant;
	struct tcseg_maps maps;
	struct tcseg_capture *cap;
	int cap_pods_fd;
	pthread_rwlock_t pods_lock;
	struct pod_node_table *pods;	/* under pods_lock */
	unsigned int pods_gen;		/* new mapping loaded: +1 */
	/* pods registered by tcctl attach ... pod (tcseg-cni), read from
	 * the pinned tcseg_pods (docs/DAEMON.md §Registered pods) */
	struct pod_reg *reg;		/* under pods_lock */
	size_t n_reg;
	__u64 start_ns;
	int ktls_ok;			/* ktls_available() at start */
	struct corr_table *corr;	/* main thread only */
	int ctl_fd;			/* control socket listener */
	int metrics_fd;			/* metrics listener, -1 = off */
	/* veth of each of this node's pods (main thread writes) */
	pthread_mutex_t veth_lock;
	struct pod_veth_table veths;	/* under veth_lock */
};
extern struct tcsegd D;

void epoll_del_close(int epfd, int fd);

/* This node's pods (tcsegd_pods.c, docs/DAEMON.md §Pod veths). */
/* This node's pod with IP @ip? (pods_lock taken inside) */
bool tcsegd_is_local_pod(__be32 ip);
/* Same for a pod address of either family (docs/DAEMON.md §IPv6). */
bool tcsegd_is_local_addr(__u8 family, const union tcseg_addr *a);
/* Its veth from the binding or the kernel's tables, 0 = unknown. */
__u32 tcsegd_pod_ifindex(__be32 ip);
/* The veth of a pod address of either family, 0 unknown. */
__u32 tcsegd_addr_ifindex(__u8 family, const union tcseg_addr *a);
unsigned int tcsegd_local_pod_count(void);
/* Load the pod mapping (a bad file keeps the old table); 0 or -EINVAL. */
int tcsegd_load_pods(const char *path);
/* After start-up or a new mapping: bindings, tcseg_cap_pods, lookups. */
void tcsegd_pods_refresh(void);
/* Every 2 s: bindings re-read, unknown pods looked up. */
void tcsegd_pods_tick(void);
/*
 * Re-read the registered pods (tcseg_pods in the pin dir): at start,
 * every 2 s and on the `pods sync` request. Returns their count, the
 * records refused in *@bad (may be NULL), or -errno (the old list is
 * kept).
 */
int tcsegd_pods_sync(const char *via, unsigned int *bad);
/* Bind the known pod addresses on a device tcsegd attached, if unbound. */
void tcsegd_bind_known(__u32 ifindex);
/*
 * Check a flow event's veth against the pod's: the veth for the hand-off
 * (0 = unknown yet), or -1 when it names the pod's address on another
 * veth (refused, logged, counted).
 */
long tcsegd_event_veth(const struct tcseg_event *e);

/* Held-process ledger, pinned map tcseg_held (tcsegd_held.c). */
void held_init(int map_fd);
int held_record(__u32 tid, const struct tcseg_held *h);
void held_forget(__u32 tid);		/* after the SIGCONT */
/* Fail closed and release holds made before boot-clock @cutoff_ns. */
void held_sweep(__u64 cutoff_ns);

/* Control socket and metrics listener (tcsegd_ctl.c). */
int ctl_open(const char *path);
/* Accept a control (or metrics) client and add it to @epfd. */
void ctl_accept(int epfd, int lfd);
/* Close control clients that sent no request, or read nothing, in 5 s. */
void ctl_reap(int epfd);
/* Events on a control client: read, answer, send; never waits. */
void ctl_client_io(int epfd, int fd);
int metrics_open(const struct sockaddr_in *a);
void metrics_serve(int lfd);

/* Socket lookup (tcsegd_sock.c). */
struct sock_match {
	union tcseg_addr laddr, raddr;	/* local and remote, network order */
	__be16 lport, rport;
	__u8 family;			/* TCSEG_FAMILY_V4 or _V6 */
	__u64 cookie;			/* 0 = tuple only */
};
/* Take fd @fd of process @tgid if it is @sm; a dup'd fd or -errno. */
int sock_take_fd(__u32 tgid, int fd, const struct sock_match *sm, char *why,
		 size_t whylen);
/* Find the socket in process @tgid; returns a dup'd fd or -errno. */
int sock_find_in_pid(__u32 tgid, const struct sock_match *sm, char *why,
		     size_t whylen);
/*
 * Find the process owning the established socket @sm anywhere on the
 * host (sock_diag per network namespace -> inode -> /proc/PID/fd).
 * Returns a dup'd fd (and *tgid) or -errno (-ENOENT: not accepted yet).
 */
int sock_find_owner(const struct sock_match *sm, __u32 *tgid, char *why,
		    size_t whylen);
/* Flow text "A:P->B:Q" of a corr key. */
/* "A:P->B:P", IPv6 "[A]:P->[B]:P"; FLOW_STR_LEN holds any */
#define FLOW_STR_LEN	112
void flow_str(const struct corr_key *k, char *buf, size_t len);

#endif
