// SPDX-License-Identifier: GPL-2.0
/*
 * tcsegd metrics: the counters, one histogram type for every latency
 * (hand-off, key fetch and provider handshake per provider, kTLS set-up),
 * their Prometheus text, and the perf_metrics_*.json / .csv files written
 * on exit (docs/DAEMON.md "Metrics"). Updates are atomic adds from any thread; readers
 * take a snapshot. Nothing here ever sees key material. A leaf
 * (ctl/daemon/tcsegd_metrics.h): the daemon's part comes through m->ops.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "tcseg.h"
#include "tcseg_keys.h"
#include "lib/clock.h"
#include "daemon/tcsegd_metrics.h"

/* hand-off: kept as they were (tcseg_handoff_latency_seconds) */
static const __u64 b_handoff[] = {
	250, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000, 500000,
	2000000,
};
/* key fetch / handshake: a local announce is ~100 us, a timeout seconds */
static const __u64 b_key[] = {
	50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000,
	250000, 1000000, 5000000,
};
/* configure_ktls(): a few setsockopt() calls */
static const __u64 b_ktls[] = {
	5, 10, 25, 50, 100, 250, 500, 1000, 5000, 25000,
};

#define N(a)		(sizeof(a) / sizeof((a)[0]))
#define HIST(k, p, l, b) { .key = k, .prom = p, .label = l, \
			   .bounds_us = b, .nbounds = N(b) }
#define KF		"tcseg_key_fetch_seconds"
#define HS		"tcseg_provider_handshake_seconds"
#define HO_S		"tcseg_handoff_session_latency_seconds"

static const struct tcsegd_hist hists[H_NUM] = {
	[H_HANDOFF] = HIST("handoff_latency", "tcseg_handoff_latency_seconds",
			   "", b_handoff),
	[H_KEY_TLSHUB] = HIST("key_fetch_tlshub", KF, "provider=\"tlshub\"",
			      b_key),
	[H_KEY_OPENSSL] = HIST("key_fetch_openssl", KF, "provider=\"openssl\"",
			       b_key),
	[H_KEY_BORINGSSL] = HIST("key_fetch_boringssl", KF,
				 "provider=\"boringssl\"", b_key),
	[H_HS_TLSHUB] = HIST("handshake_tlshub", HS, "provider=\"tlshub\"",
			     b_key),
	[H_HS_OPENSSL] = HIST("handshake_openssl", HS, "provider=\"openssl\"",
			      b_key),
	[H_HS_BORINGSSL] = HIST("handshake_boringssl", HS,
				"provider=\"boringssl\"", b_key),
	[H_KTLS] = HIST("ktls_config", "tcseg_ktls_config_seconds", "", b_ktls),
	[H_HANDOFF_NEW] = HIST("handoff_latency_session_new", HO_S,
			       "session=\"new\"", b_handoff),
	[H_HANDOFF_REUSED] = HIST("handoff_latency_session_reused", HO_S,
				  "session=\"reused\"", b_handoff),
};

static const char *const hist_help[H_NUM] = {
	[H_HANDOFF] = "Capture record to socket secured.",
	[H_KEY_TLSHUB] = "Successful key provider fetches by provider "
			 "(a fetch with a fresh handshake included).",
	[H_HS_TLSHUB] = "Key fetches that opened a fresh provider session "
			"(mTLS to the peer node, TLSHub START); the whole "
			"fetch.",
	[H_KTLS] = "configure_ktls() on the application socket, successful.",
	[H_HANDOFF_NEW] = "Capture record to socket secured, by whether the "
			  "hand-off opened a provider session (new) or used "
			  "an open one (reused).",
};

/* Counters: one table walked by the Prometheus text, the JSON and CSV. */
struct mcounter {
	const char *key;		/* perf_metrics name */
	const char *prom;		/* family */
	const char *label;
	const char *help;		/* first of a family only */
	size_t off;			/* in struct tcsegd_metrics */
};
#define C(f)	offsetof(struct tcsegd_metrics, f)

static const struct mcounter counters[] = {
	{ "captured_connect", "tcseg_captured_connections_total",
	  "side=\"connect\"", "Encrypt connections of this node's pods "
	  "reported by the socket capture.", C(captured_connect) },
	{ "captured_accept", "tcseg_captured_connections_total",
	  "side=\"accept\"", NULL, C(captured_accept) },
	{ "key_fetch_ok", "tcseg_key_fetch_total", "result=\"ok\"",
	  "Key provider requests by result.", C(key_ok) },
	{ "key_fetch_error", "tcseg_key_fetch_total", "result=\"error\"", NULL,
	  C(key_err) },
	{ "key_fetch_handshake", "tcseg_key_fetch_handshakes_total",
	  "attributed=\"yes\"", "Fresh provider handshakes seen during key "
	  "fetches; attributed=no: other fetches ran in parallel, not timed.",
	  C(key_handshake) },
	{ "key_fetch_handshake_unattributed",
	  "tcseg_key_fetch_handshakes_total", "attributed=\"no\"", NULL,
	  C(key_handshake_unattributed) },
	{ "ktls_ok", "tcseg_ktls_total", "result=\"ok\"",
	  "kTLS set-ups on application sockets.", C(ktls_ok) },
	{ "ktls_unavailable", "tcseg_ktls_total", "result=\"unavailable\"",
	  NULL, C(ktls_unavailable) },
	{ "ktls_error", "tcseg_ktls_total", "result=\"error\"", NULL,
	  C(ktls_err) },
	{ "handoff_secured", "tcseg_handoff_total", "result=\"secured\"",
	  "Hand-offs by outcome.", C(handoff_ok) },
	{ "handoff_failed", "tcseg_handoff_total", "result=\"failed\"", NULL,
	  C(handoff_failed) },
	{ "handoff_timeout", "tcseg_handoff_total", "result=\"timeout\"", NULL,
	  C(handoff_timeout) },
	{ "handoff_plaintext_optional", "tcseg_handoff_total",
	  "result=\"plaintext_optional\"", NULL, C(handoff_optional) },
	{ "handoff_queue_full", "tcseg_handoff_total", "result=\"queue_full\"",
	  NULL, C(handoff_dropped) },
	{ "events_flow_log", "tcseg_events_total", "type=\"flow_log\"",
	  "Data path events read.", C(tc_events[TCSEG_EV_FLOW_LOG]) },
	{ "events_flow_encrypt", "tcseg_events_total", "type=\"flow_encrypt\"",
	  NULL, C(tc_events[TCSEG_EV_FLOW_ENCRYPT]) },
	{ "events_audit", "tcseg_events_total", "type=\"audit\"", NULL,
	  C(tc_events[TCSEG_EV_AUDIT]) },
	{ "events_drop", "tcseg_events_total", "type=\"drop\"", NULL,
	  C(tc_events[TCSEG_EV_DROP]) },
	{ "invalid_records_capture", "tcseg_invalid_records_total",
	  "ring=\"capture\"", "Ring buffer records refused.",
	  C(sock_events_invalid) },
	{ "invalid_records_datapath", "tcseg_invalid_records_total",
	  "ring=\"datapath\"", NULL, C(tc_events_invalid) },
	{ "join_dropped", "tcseg_join_dropped_total", "",
	  "Flow/record joins lost (table full).", C(corr_dropped) },
	{ "monitor_dropped", "tcseg_monitor_dropped_total", "",
	  "Monitor clients dropped (too slow).", C(monitor_dropped) },
	{ "held_released_stale", "tcseg_held_released_stale_total", "",
	  "Processes left stopped by a killed daemon or a lost record, "
	  "released with their flow failed closed.", C(held_swept) },
	{ "pod_veth_mismatch", "tcseg_pod_veth_mismatch_total", "",
	  "Flow events refused: a pod's address on another veth than its "
	  "binding or the kernel's tables say (forged source).",
	  C(pod_veth_mismatch) },
	{ "pods_bound", "tcseg_pods_bound_total", "",
	  "Devices tcsegd attached whose known pod addresses it bound.",
	  C(pod_bound) },
	{ "key_service_refused_unknown", "tcseg_key_service_refused_total",
	  "reason=\"unknown_peer\"", "Key service connections closed at "
	  "accept.", C(keysvc_unknown) },
	{ "key_service_refused_busy", "tcseg_key_service_refused_total",
	  "reason=\"per_source_limit\"", NULL, C(keysvc_busy) },
	{ "verdict_log_lines", "tcseg_verdict_log_lines_total", "",
	  "Verdict records written to the verdict log (file or syslog).",
	  C(vlog_lines) },
	{ "verdict_log_errors", "tcseg_verdict_log_errors_total", "",
	  "Verdict records or rotations the log could not write.",
	  C(vlog_errors) },
	{ "verdict_log_rotations", "tcseg_verdict_log_rotations_total", "",
	  "Verdict log files rotated (size limit reached).",
	  C(vlog_rotations) },
	{ "control_dropped", "tcseg_control_dropped_total", "",
	  "Control clients dropped: their answer did not fit the output "
	  "buffer or they read nothing for 5 s.", C(ctl_dropped) },
	{ "socket_found_fd", "tcseg_socket_found_total", "how=\"fd\"",
	  "Application sockets taken for a hand-off: by the fd of the "
	  "capture's syscall return record, or by a search of the process "
	  "(no such record: kprobe variant, other architectures).",
	  C(sock_by_fd) },
	{ "socket_found_search", "tcseg_socket_found_total",
	  "how=\"search\"", NULL, C(sock_by_search) },
	{ "keys_derived", "tcseg_flow_keys_total", "how=\"derived\"",
	  "Flow keys this node's key provider made: derived from the node "
	  "session's pair secret without a message, or announced "
	  "(docs/KEYS.md).", C(keys_derived) },
	{ "keys_announced", "tcseg_flow_keys_total", "how=\"announced\"",
	  NULL, C(keys_announced) },
};

/* ---- histograms */

void hist_observe(struct tcsegd_hist *h, __u64 us)
{
	unsigned int i;

	for (i = 0; i < h->nbounds && us > h->bounds_us[i]; i++)
		;
	__atomic_add_fetch(&h->bucket[i], 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&h->count, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&h->sum_us, us, __ATOMIC_RELAXED);
}

void hist_snapshot(const struct tcsegd_hist *h, struct tcsegd_hist_snap *s)
{
	unsigned int i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i <= h->nbounds; i++) {
		s->bucket[i] = __atomic_load_n(&h->bucket[i], __ATOMIC_RELAXED);
		s->count += s->bucket[i];
	}
	s->sum_us = __atomic_load_n(&h->sum_us, __ATOMIC_RELAXED);
}

double hist_quantile(const struct tcsegd_hist *h,
		     const struct tcsegd_hist_snap *s, double q)
{
	double rank = q * (double)s->count, cum = 0, lo = 0;
	unsigned int i;

	if (!s->count)
		return 0;
	for (i = 0; i < h->nbounds; i++) {
		double n = (double)s->bucket[i], hi = (double)h->bounds_us[i];

		if (n > 0 && cum + n >= rank)
			return lo + (hi - lo) * (rank - cum) / n;
		cum += n;
		lo = hi;
	}
	return lo;	/* above the last bound: that bound is all we know */
}

static __u64 cval(const struct tcsegd_metrics *m, const struct mcounter *c)
{
	return __atomic_load_n((const __u64 *)((const char *)m + c->off),
			       __ATOMIC_RELAXED);
}

void metrics_init(struct tcsegd_metrics *m,
		  const struct tcsegd_metrics_ops *ops)
{
	memset(m, 0, sizeof(*m));
	memcpy(m->hist, hists, sizeof(m->hist));
	if (ops)
		m->ops = *ops;
}

void metrics_reset(struct tcsegd_metrics *m)
{
	struct tcsegd_metrics_ops ops = m->ops;

	metrics_init(m, &ops);
}

void metrics_latency(struct tcsegd_metrics *m, __u64 us)
{
	hist_observe(&m->hist[H_HANDOFF], us);
}

void metrics_ktls_config(struct tcsegd_metrics *m, int err, __u64 us)
{
	if (!err)
		hist_observe(&m->hist[H_KTLS], us);
}

/* ---- key fetch timing and handshake attribution */

/*
 * The provider counts its fresh sessions (kp_stats.handshakes: mTLS
 * sessions to peer nodes; tlshub_stats.handshakes: START requests) but
 * not per call. A fetch that saw the count move while no other fetch ran
 * did that handshake itself: it is timed as a handshake. With fetches in
 * parallel nobody can tell whose it was: counted, not timed.
 */
static __u64 provider_handshakes(struct tcsegd_metrics *m)
{
	return m->ops.handshakes ? m->ops.handshakes(m->ops.arg) : 0;
}

__u64 metrics_provider_handshakes(struct tcsegd_metrics *m)
{
	return provider_handshakes(m);
}

void metrics_handoff_session(struct tcsegd_metrics *m, __u64 us,
			     bool new_session)
{
	hist_observe(&m->hist[new_session ? H_HANDOFF_NEW :
			      H_HANDOFF_REUSED], us);
}

void metrics_key_fetch_begin(struct tcsegd_metrics *m, struct kf_timer *t)
{
	t->seq = __atomic_load_n(&m->kf_overlap_seq, __ATOMIC_SEQ_CST);
	if (__atomic_add_fetch(&m->kf_running, 1, __ATOMIC_SEQ_CST) > 1)
		__atomic_add_fetch(&m->kf_overlap_seq, 1, __ATOMIC_SEQ_CST);
	t->handshakes = provider_handshakes(m);
	t->t0_ns = mono_ns();
}

void metrics_key_fetch_end(struct tcsegd_metrics *m, struct kf_timer *t,
			   int mode, int err)
{
	__u64 us = (mono_ns() - t->t0_ns) / 1000, hs = provider_handshakes(m);
	bool alone;

	__atomic_sub_fetch(&m->kf_running, 1, __ATOMIC_SEQ_CST);
	alone = __atomic_load_n(&m->kf_overlap_seq, __ATOMIC_SEQ_CST) == t->seq;
	if (err || mode < MODE_TLSHUB || mode > MODE_BORINGSSL)
		return;
	hist_observe(&m->hist[H_KEY_TLSHUB + mode], us);
	if (hs == t->handshakes)
		return;
	if (alone) {
		MINC(m, key_handshake);
		hist_observe(&m->hist[H_HS_TLSHUB + mode], us);
	} else {
		MINC(m, key_handshake_unattributed);
	}
}

/* ---- Prometheus text */

/* Counters others keep themselves (the key service, the monitor). */
static void counters_refresh(struct tcsegd_metrics *m)
{
	if (m->ops.refresh)
		m->ops.refresh(m, m->ops.arg);
}

static void render_counters(struct tcsegd_metrics *m, FILE *f)
{
	const struct mcounter *c;

	counters_refresh(m);
	for (c = counters; c < counters + N(counters); c++) {
		if (c->help)
			fprintf(f, "# HELP %s %s\n# TYPE %s counter\n", c->prom,
				c->help, c->prom);
		fprintf(f, "%s%s%s%s %llu\n", c->prom, *c->label ? "{" : "",
			c->label, *c->label ? "}" : "",
			(unsigned long long)cval(m, c));
	}
}

static void render_hist(struct tcsegd_metrics *m, FILE *f,
			enum tcsegd_hist_id id)
{
	const struct tcsegd_hist *h = &m->hist[id];
	const char *l = h->label, *sep = *l ? "," : "";
	struct tcsegd_hist_snap s;
	unsigned long long cum = 0;
	unsigned int i;

	if (hist_help[id])
		fprintf(f, "# HELP %s %s\n# TYPE %s histogram\n", h->prom,
			hist_help[id], h->prom);
	hist_snapshot(h, &s);
	for (i = 0; i < h->nbounds; i++) {
		cum += s.bucket[i];
		fprintf(f, "%s_bucket{%s%sle=\"%g\"} %llu\n", h->prom, l, sep,
			h->bounds_us[i] / 1e6, cum);
	}
	fprintf(f, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", h->prom, l, sep,
		(unsigned long long)s.count);
	fprintf(f, "%s_sum%s%s%s %.6f\n%s_count%s%s%s %llu\n", h->prom,
		*l ? "{" : "", l, *l ? "}" : "", s.sum_us / 1e6, h->prom,
		*l ? "{" : "", l, *l ? "}" : "", (unsigned long long)s.count);
}

void metrics_render(struct tcsegd_metrics *m, FILE *f)
{
	unsigned int i;

	render_counters(m, f);
	for (i = 0; i < H_NUM; i++)
		render_hist(m, f, i);
}

char *metrics_text(struct tcsegd_metrics *m, size_t *len)
{
	char *buf = NULL;
	FILE *f;

	*len = 0;
	f = open_memstream(&buf, len);
	if (!f)
		return NULL;
	metrics_render(m, f);
	if (m->ops.render)
		m->ops.render(f, m->ops.arg);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* ---- perf_metrics files */

/* Node names are checked names; escape anyway, the file is JSON. */
static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void json_hist(FILE *f, const struct tcsegd_hist *h)
{
	struct tcsegd_hist_snap s;
	unsigned int i;

	hist_snapshot(h, &s);
	fprintf(f, "    \"%s\": {\"count\": %llu, \"sum_us\": %llu, "
		"\"p50_us\": %.1f, \"p90_us\": %.1f, \"p99_us\": %.1f,\n"
		"      \"buckets\": [", h->key, (unsigned long long)s.count,
		(unsigned long long)s.sum_us, hist_quantile(h, &s, 0.5),
		hist_quantile(h, &s, 0.9), hist_quantile(h, &s, 0.99));
	for (i = 0; i <= h->nbounds; i++) {
		if (i < h->nbounds)
			fprintf(f, "{\"le_us\": %llu, ",
				(unsigned long long)h->bounds_us[i]);
		else
			fprintf(f, "{\"le_us\": \"+Inf\", ");
		fprintf(f, "\"n\": %llu}%s", (unsigned long long)s.bucket[i],
			i < h->nbounds ? ", " : "");
	}
	fprintf(f, "]}");
}

static void write_json(struct tcsegd_metrics *m, FILE *f, const char *node,
		       const char *provider, const char *ts)
{
	unsigned int i;

	fprintf(f, "{\n  \"format\": \"tcseg-perf-metrics-1\",\n"
		"  \"time_utc\": \"%s\",\n  \"node\": ", ts);
	json_str(f, node);
	fprintf(f, ",\n  \"provider\": ");
	json_str(f, provider);
	fprintf(f, ",\n  \"percentiles\": \"estimated from the histogram "
		"buckets: linear inside the bucket; above the last bound "
		"reported as that bound\",\n  \"counters\": {\n");
	counters_refresh(m);
	for (i = 0; i < N(counters); i++)
		fprintf(f, "    \"%s\": %llu%s\n", counters[i].key,
			(unsigned long long)cval(m, &counters[i]),
			i + 1 < N(counters) ? "," : "");
	fprintf(f, "  },\n  \"histograms\": {\n");
	for (i = 0; i < H_NUM; i++) {
		json_hist(f, &m->hist[i]);
		fprintf(f, "%s\n", i + 1 < H_NUM ? "," : "");
	}
	fprintf(f, "  }\n}\n");
}

static void write_csv(struct tcsegd_metrics *m, FILE *f)
{
	struct tcsegd_hist_snap s;
	unsigned int i, b;

	fprintf(f, "metric,type,value,count,sum_us,p50_us,p90_us,p99_us,"
		"buckets\n");
	for (i = 0; i < N(counters); i++)
		fprintf(f, "%s,counter,%llu,,,,,,\n", counters[i].key,
			(unsigned long long)cval(m, &counters[i]));
	for (i = 0; i < H_NUM; i++) {
		const struct tcsegd_hist *h = &m->hist[i];

		hist_snapshot(h, &s);
		fprintf(f, "%s,histogram,,%llu,%llu,%.1f,%.1f,%.1f,", h->key,
			(unsigned long long)s.count,
			(unsigned long long)s.sum_us, hist_quantile(h, &s, 0.5),
			hist_quantile(h, &s, 0.9), hist_quantile(h, &s, 0.99));
		/* le_us:n pairs, non-cumulative */
		for (b = 0; b < h->nbounds; b++)
			fprintf(f, "%llu:%llu ",
				(unsigned long long)h->bounds_us[b],
				(unsigned long long)s.bucket[b]);
		fprintf(f, "+Inf:%llu\n", (unsigned long long)s.bucket[b]);
	}
}

/* Write through a 0600 temporary file in @dir; its name into @tmp. */
static int write_tmp(struct tcsegd_metrics *m, const char *dir, char *tmp,
		     size_t tl, int json, const char *node,
		     const char *provider, const char *ts)
{
	FILE *f;
	int fd, r = 0;

	if ((size_t)snprintf(tmp, tl, "%s/.perf_metrics.XXXXXX", dir) >= tl)
		return -ENAMETOOLONG;
	fd = mkostemp(tmp, O_CLOEXEC);	/* 0600 whatever the umask */
	if (fd < 0)
		return -errno;
	if (fchmod(fd, 0600))
		r = -errno;
	f = fdopen(fd, "w");
	if (!f) {
		r = -errno;
		close(fd);
		goto out;
	}
	if (json)
		write_json(m, f, node, provider, ts);
	else
		write_csv(m, f);
	if (fflush(f) || fsync(fileno(f)))
		r = r ? r : -errno;
	if (fclose(f))
		r = r ? r : -errno;
out:
	if (r)
		unlink(tmp);
	return r;
}

/* Rename @tmp to @dst without replacing anything. */
static int place(const char *tmp, const char *dst)
{
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dst, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -errno;
	/* file system without RENAME_NOREPLACE */
	if (link(tmp, dst))
		return -errno;
	unlink(tmp);
	return 0;
}

static int write_both(struct tcsegd_metrics *m, const char *dir,
		      const char *node, const char *provider, char *path,
		      size_t pathlen)
{
	char tj[4096], tc[4096], stem[4096], dst[4200], ts[32], name[32];
	time_t now = time(NULL);
	struct tm tm;
	int r, k;

	gmtime_r(&now, &tm);
	strftime(name, sizeof(name), "%Y%m%d-%H%M%S", &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	r = write_tmp(m, dir, tj, sizeof(tj), 1, node, provider, ts);
	if (r)
		return r;
	r = write_tmp(m, dir, tc, sizeof(tc), 0, node, provider, ts);
	if (r)
		goto out_j;
	/* two exits in one second (several daemons, one directory): -1, -2 */
	for (k = 0; k < 100; k++) {
		snprintf(stem, sizeof(stem), k ? "%s/perf_metrics_%s-%d" :
			 "%s/perf_metrics_%s", dir, name, k);
		snprintf(dst, sizeof(dst), "%s.json", stem);
		r = place(tj, dst);
		if (r != -EEXIST)
			break;
	}
	if (r)
		goto out_c;
	snprintf(path, pathlen, "%s", dst);
	snprintf(dst, sizeof(dst), "%s.csv", stem);
	r = place(tc, dst);
	if (!r)
		return 0;
	snprintf(dst, sizeof(dst), "%s.json", stem);
	unlink(dst);		/* both or neither */
out_c:
	unlink(tc);
out_j:
	unlink(tj);
	return r;
}

int perf_metrics_write(struct tcsegd_metrics *m, const char *dir,
		       const char *node, const char *provider, char *path,
		       size_t pathlen)
{
	char own[4096];
	struct stat st;
	int r;

	if (!dir || !*dir)
		return 0;
	if (!path || !pathlen) {
		path = own;
		pathlen = sizeof(own);
	}
	if (stat(dir, &st))
		r = -errno;
	else if (!S_ISDIR(st.st_mode))
		r = -ENOTDIR;
	else
		r = write_both(m, dir, node, provider, path, pathlen);
	return r;
}
