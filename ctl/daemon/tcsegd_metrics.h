/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcsegd metrics (ctl/daemon/tcsegd_metrics.c): counters, latency
 * histograms, the Prometheus text on the metrics listener and the
 * perf_metrics_*.json / .csv files written on exit. A leaf: it includes
 * nothing of the daemon; what it reads from the rest (provider
 * handshakes, counters kept elsewhere, more families) the daemon hands it
 * as struct tcsegd_metrics_ops. Every update is an atomic add: hand-off
 * workers are threads. See docs/DAEMON.md §Metrics, §Code layout.
 */
#ifndef TCSEG_TCSEGD_METRICS_H
#define TCSEG_TCSEGD_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>

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

struct tcsegd_metrics;
/* What the metrics read from the rest of the daemon; any may be NULL. */
struct tcsegd_metrics_ops {
	/* fresh provider sessions so far (kp + TLSHub) */
	__u64 (*handshakes)(void *arg);
	/* counters others keep, copied into @m before it is rendered */
	void (*refresh)(struct tcsegd_metrics *m, void *arg);
	/* more families, after the metrics' own in the exposition */
	void (*render)(FILE *f, void *arg);
	void *arg;
};

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
	__u64 monitor_dropped;		/* copied (tcsegd_log.h) */
	__u64 held_swept;		/* stale holds released (tcsegd_held.c) */
	__u64 pod_veth_mismatch;	/* flow events refused (pod_veth.h) */
	__u64 pod_bound;		/* devices whose pods tcsegd bound */
	__u64 keysvc_unknown, keysvc_busy; /* key service refusals (copied) */
	__u64 ctl_dropped;		/* control clients that did not read */
	__u64 vlog_lines, vlog_errors, vlog_rotations;	/* verdict log */
	__u64 sock_by_fd;		/* socket taken by the record's fd */
	__u64 sock_by_search;		/* ... by a search (no fd record) */
	__u64 keys_derived, keys_announced; /* flow keys (copied) */
	struct tcsegd_hist hist[H_NUM];
	/* key fetches running, and a count bumped when they overlap */
	unsigned int kf_running;
	__u64 kf_overlap_seq;
	struct tcsegd_metrics_ops ops;
};
#define MINC(m, f)	__atomic_add_fetch(&(m)->f, 1, __ATOMIC_RELAXED)
#define MGET(m, f)	__atomic_load_n(&(m)->f, __ATOMIC_RELAXED)

/* Everything zero, the histograms' bounds set, @ops (may be NULL) kept. */
void metrics_init(struct tcsegd_metrics *m,
		  const struct tcsegd_metrics_ops *ops);
void metrics_reset(struct tcsegd_metrics *m);	/* tests: ops kept */

void hist_observe(struct tcsegd_hist *h, __u64 us);
void hist_snapshot(const struct tcsegd_hist *h, struct tcsegd_hist_snap *s);
/* Quantile @q (0..1) in us, estimated from the buckets (linear inside the
 * bucket); 0 when empty, the last bound when it lies above every bound. */
double hist_quantile(const struct tcsegd_hist *h,
		     const struct tcsegd_hist_snap *s, double q);

void metrics_latency(struct tcsegd_metrics *m, __u64 us); /* hand-off */
/* The same, by whether the hand-off opened a provider session. */
void metrics_handoff_session(struct tcsegd_metrics *m, __u64 us,
			     bool new_session);
/* Fresh provider sessions so far (ops.handshakes), to tell new from reused. */
__u64 metrics_provider_handshakes(struct tcsegd_metrics *m);
/* Around one key provider call (any thread); @mode: enum mode. */
struct kf_timer {
	__u64 t0_ns, seq, handshakes;
};
void metrics_key_fetch_begin(struct tcsegd_metrics *m, struct kf_timer *t);
void metrics_key_fetch_end(struct tcsegd_metrics *m, struct kf_timer *t,
			   int mode, int err);
void metrics_ktls_config(struct tcsegd_metrics *m, int err, __u64 us);
/* The metrics' own families (counters, histograms) into @f. */
void metrics_render(struct tcsegd_metrics *m, FILE *f);
/*
 * The whole exposition (ours, then ops.render's), malloc'd (*len bytes +
 * NUL); NULL on ENOMEM.
 */
char *metrics_text(struct tcsegd_metrics *m, size_t *len);
/*
 * perf_metrics_<YYYYmmdd-HHMMSS>.json and .csv (UTC) in @dir, 0600,
 * through a temporary name; the JSON's path into @path (may be NULL).
 * Returns 0 or -errno (the caller logs it). @dir "" = off: nothing
 * written, 0.
 */
int perf_metrics_write(struct tcsegd_metrics *m, const char *dir,
		       const char *node, const char *provider, char *path,
		       size_t pathlen);

#endif
