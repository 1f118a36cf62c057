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
#include "daemon_config.h"
#include "loader.h"
#include "pod_map.h"
#include "pod_veth.h"
#include "pod_reg.h"
#include "capture_loader.h"
#include "tcsegd_corr.h"
#include "clock.h"
#include "verdict_json.h"
#include "tcsegd_log.h"
#include "tcsegd_metrics.h"

struct tcsegd;

#define TCSEGD_SOCK_DEFAULT	"/run/tcseg/tcsegd.sock"
#define TCSEGD_SOCK_ENV		"TCSEG_SOCK"
#define TCSEGD_WORKERS		4
#define TCSEGD_MAX_JOBS		256
#define TCSEGD_REQ_MAX		256	/* control request line, bytes */

/*
 * The data path's families (ctl/tcsegd_dpmetrics.c: counters, drops by
 * reason, map fill, pressure, per-rule hits), main thread only.
 */
void dp_metrics_render(struct tcsegd *d, FILE *f);
/* The hooks the metrics (a leaf) call into the daemon, with @d. */
void tcsegd_metrics_ops(struct tcsegd *d, struct tcsegd_metrics_ops *ops);

/*
 * ---- verdict log (tcsegd_vlog.c, docs/DAEMON.md §Verdict log): log,
 * audit and drop records to a rotated file or syslog. Main thread only.
 */
/* (Re)open as @cfg says (start, SIGHUP); 0 or -errno (logged). */
int vlog_open(const struct capture_config *cfg, struct tcsegd_metrics *m);
void vlog_close(void);
/* Does an event of @type go to the log? */
bool vlog_wants(__u32 type);
/* One record line ('\n' included): never split across files. */
void vlog_write(const char *line, size_t len);
/* The record of a data path event: to the monitors and the log. */
void verdict_event(struct tcsegd *d, const struct tcseg_event *e);

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

int handoff_start(struct tcsegd *d, int nworkers);
void handoff_stop(struct tcsegd *d);		/* fails every job in flight */
/* Queue a hand-off; returns a job id (> 0) or negative errno. */
long handoff_submit(struct tcsegd *d, const struct handoff_req *r);
/* The veth of a job's end became known (TC event after the record). */
void handoff_set_ifindex(long job, __u32 ifindex);
/* Fail jobs past their deadline; called from the main loop's timer. */
void handoff_watchdog(struct tcsegd *d);
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
	struct tcsegd_metrics *m;	/* any thread (atomic adds) */
	/* the event loop (tcsegd.c), main thread only */
	int epfd, sig_fd, tick_fd, rb_fd, link_fd;
	struct ring_buffer *rb;
	bool exiting;			/* no new hand-offs */
};


void epoll_del_close(int epfd, int fd);

/* This node's pods (tcsegd_pods.c, docs/DAEMON.md §Pod veths). */
/* This node's pod with IP @ip? (pods_lock taken inside) */
bool tcsegd_is_local_pod(struct tcsegd *d, __be32 ip);
/* Same for a pod address of either family (docs/DAEMON.md §IPv6). */
bool tcsegd_is_local_addr(struct tcsegd *d, __u8 family,
			  const union tcseg_addr *a);
/* Its veth from the binding or the kernel's tables, 0 = unknown. */
__u32 tcsegd_pod_ifindex(struct tcsegd *d, __be32 ip);
/* The veth of a pod address of either family, 0 unknown. */
__u32 tcsegd_addr_ifindex(struct tcsegd *d, __u8 family,
			  const union tcseg_addr *a);
unsigned int tcsegd_local_pod_count(struct tcsegd *d);
/* Load the pod mapping (a bad file keeps the old table); 0 or -EINVAL. */
int tcsegd_load_pods(struct tcsegd *d, const char *path);
/* After start-up or a new mapping: bindings, tcseg_cap_pods, lookups. */
void tcsegd_pods_refresh(struct tcsegd *d);
/* Every 2 s: bindings re-read, unknown pods looked up. */
void tcsegd_pods_tick(struct tcsegd *d);
/*
 * Re-read the registered pods (tcseg_pods in the pin dir): at start,
 * every 2 s and on the `pods sync` request. Returns their count, the
 * records refused in *@bad (may be NULL), or -errno (the old list is
 * kept).
 */
int tcsegd_pods_sync(struct tcsegd *d, const char *via, unsigned int *bad);
/* Bind the known pod addresses on a device tcsegd attached, if unbound. */
void tcsegd_bind_known(struct tcsegd *d, __u32 ifindex);
/*
 * Check a flow event's veth against the pod's: the veth for the hand-off
 * (0 = unknown yet), or -1 when it names the pod's address on another
 * veth (refused, logged, counted).
 */
long tcsegd_event_veth(struct tcsegd *d, const struct tcseg_event *e);

/* Held-process ledger, pinned map tcseg_held (tcsegd_held.c). */
void held_init(int map_fd);
int held_record(__u32 tid, const struct tcseg_held *h);
void held_forget(__u32 tid);		/* after the SIGCONT */
/* Fail closed and release holds made before boot-clock @cutoff_ns. */
void held_sweep(struct tcsegd_metrics *m, __u64 cutoff_ns);

/* Control socket and metrics listener (tcsegd_ctl.c). */
int ctl_open(const char *path);
/* Accept a control (or metrics) client and add it to @epfd. */
void ctl_accept(struct tcsegd *d, int lfd);
/* Close control clients that sent no request, or read nothing, in 5 s. */
void ctl_reap(struct tcsegd *d);
/* Events on a control client: read, answer, send; never waits. */
void ctl_client_io(struct tcsegd *d, int fd);
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
 * host (/proc/PID/net/tcp per network namespace -> inode -> /proc/PID/fd).
 * Returns a dup'd fd (and *tgid) or -errno (-ENOENT: not accepted yet).
 */
int sock_find_owner(const struct sock_match *sm, __u32 *tgid, char *why,
		    size_t whylen);
/* Flow text "A:P->B:Q" of a corr key. */
/* "A:P->B:P", IPv6 "[A]:P->[B]:P"; FLOW_STR_LEN holds any */
#define FLOW_STR_LEN	112
void flow_str(const struct corr_key *k, char *buf, size_t len);

#endif
