// SPDX-License-Identifier: GPL-2.0
/*
 * cmocka tests of tcsegd's metrics (ctl/daemon/tcsegd_metrics.c): histogram
 * bucket placement, percentile estimation, handshake attribution of key
 * fetches, the Prometheus text, and the perf_metrics JSON/CSV files
 * (names, mode, content, errors), the perf_metrics_dir config key. The
 * daemon functions it calls are stubbed here.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "daemon/tcsegd.h"
#include "daemon/daemon_config.h"
#include "keys/key_provider.h"
#include "keys/tlshub_client.h"

/* ---- stubs of what the metrics file calls in the daemon */
static char last_log[1024];
static __u64 stub_kp_hs, stub_th_hs;

void dlog(int level, const char *comp, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(last_log, sizeof(last_log), "%d %s ", level, comp);
	va_start(ap, fmt);
	vsnprintf(last_log + n, sizeof(last_log) - (size_t)n, fmt, ap);
	va_end(ap);
}

int handoff_in_flight(void)
{
	return 0;
}

void key_provider_stats(struct kp_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->handshakes = stub_kp_hs;
}

void tlshub_client_stats(struct tlshub_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->handshakes = stub_th_hs;
}

/* the data path's families need the maps: a marker line stands in */
void dp_metrics_render(FILE *f)
{
	fputs("# dp_metrics_render\n", f);
}

static int setup(void **state)
{
	(void)state;
	metrics_reset();
	stub_kp_hs = stub_th_hs = 0;
	last_log[0] = 0;
	return 0;
}

/* ---- histograms */

static void test_bucket_placement(void **state)
{
	struct tcsegd_hist *h = &tcsegd_hists[H_HANDOFF];
	struct tcsegd_hist_snap s;

	(void)state;
	/* bounds 250, 500, 1000, ... 2000000 us; a bound is inclusive */
	hist_observe(h, 0);
	hist_observe(h, 250);
	hist_observe(h, 251);
	hist_observe(h, 2000000);
	hist_observe(h, 2000001);
	hist_observe(h, ULLONG_MAX / 4);
	hist_snapshot(h, &s);
	assert_int_equal(h->nbounds, 11);
	assert_int_equal(s.bucket[0], 2);
	assert_int_equal(s.bucket[1], 1);
	assert_int_equal(s.bucket[10], 1);
	assert_int_equal(s.bucket[11], 2);
	assert_int_equal(s.count, 6);
	assert_int_equal(s.sum_us, 0 + 250 + 251 + 2000000 + 2000001 +
			 ULLONG_MAX / 4);
	/* the other histograms untouched */
	hist_snapshot(&tcsegd_hists[H_KTLS], &s);
	assert_int_equal(s.count, 0);
}

static void test_quantile_estimates(void **state)
{
	struct tcsegd_hist *h = &tcsegd_hists[H_HANDOFF];
	struct tcsegd_hist_snap s;
	int i;

	(void)state;
	hist_snapshot(h, &s);
	assert_true(hist_quantile(h, &s, 0.5) == 0);	/* empty */
	for (i = 0; i < 50; i++) {
		hist_observe(h, 100);	/* (0, 250] */
		hist_observe(h, 700);	/* (500, 1000] */
	}
	hist_snapshot(h, &s);
	/* linear inside the bucket holding the rank */
	assert_true(hist_quantile(h, &s, 0.5) == 250.0);
	assert_true(hist_quantile(h, &s, 0.9) == 900.0);
	assert_true(hist_quantile(h, &s, 0.99) == 990.0);
	assert_true(hist_quantile(h, &s, 0.1) == 50.0);

	/* above every bound: the last bound is all that is known */
	h = &tcsegd_hists[H_KTLS];
	hist_observe(h, 1000000);
	hist_snapshot(h, &s);
	assert_true(hist_quantile(h, &s, 0.5) == 25000.0);
}

static void test_ktls_and_handoff_helpers(void **state)
{
	struct tcsegd_hist_snap s;

	(void)state;
	metrics_ktls_config(-ENOENT, 3);	/* failures are not timed */
	metrics_ktls_config(0, 7);
	hist_snapshot(&tcsegd_hists[H_KTLS], &s);
	assert_int_equal(s.count, 1);
	assert_int_equal(s.bucket[1], 1);	/* (5, 10] */
	metrics_latency(600);
	hist_snapshot(&tcsegd_hists[H_HANDOFF], &s);
	assert_int_equal(s.count, 1);
	assert_int_equal(s.bucket[2], 1);
}

static void test_key_fetch_handshake_attribution(void **state)
{
	struct tcsegd_hist_snap s;
	struct kf_timer a, b;

	(void)state;
	/* no handshake: key fetch timed, handshake not */
	metrics_key_fetch_begin(&a);
	metrics_key_fetch_end(&a, MODE_OPENSSL, 0);
	/* a fresh session while alone: timed as a handshake too */
	metrics_key_fetch_begin(&a);
	stub_kp_hs++;
	metrics_key_fetch_end(&a, MODE_OPENSSL, 0);
	/* TLSHub START counts too */
	metrics_key_fetch_begin(&a);
	stub_th_hs++;
	metrics_key_fetch_end(&a, MODE_TLSHUB, 0);
	hist_snapshot(&tcsegd_hists[H_KEY_OPENSSL], &s);
	assert_int_equal(s.count, 2);
	hist_snapshot(&tcsegd_hists[H_HS_OPENSSL], &s);
	assert_int_equal(s.count, 1);
	hist_snapshot(&tcsegd_hists[H_HS_TLSHUB], &s);
	assert_int_equal(s.count, 1);
	assert_int_equal(MGET(key_handshake), 2);

	/* overlapping fetches: whose handshake it was is unknown */
	metrics_key_fetch_begin(&a);
	metrics_key_fetch_begin(&b);
	stub_kp_hs++;
	metrics_key_fetch_end(&a, MODE_BORINGSSL, 0);
	metrics_key_fetch_end(&b, MODE_BORINGSSL, 0);
	hist_snapshot(&tcsegd_hists[H_KEY_BORINGSSL], &s);
	assert_int_equal(s.count, 2);
	hist_snapshot(&tcsegd_hists[H_HS_BORINGSSL], &s);
	assert_int_equal(s.count, 0);
	assert_int_equal(MGET(key_handshake), 2);
	assert_int_equal(MGET(key_handshake_unattributed), 2);

	/* alone again afterwards; failures and bad modes are not timed */
	metrics_key_fetch_begin(&a);
	stub_kp_hs++;
	metrics_key_fetch_end(&a, MODE_BORINGSSL, -ETIMEDOUT);
	metrics_key_fetch_begin(&a);
	metrics_key_fetch_end(&a, 7, 0);
	hist_snapshot(&tcsegd_hists[H_KEY_BORINGSSL], &s);
	assert_int_equal(s.count, 2);
	metrics_key_fetch_begin(&a);
	stub_kp_hs++;
	metrics_key_fetch_end(&a, MODE_BORINGSSL, 0);
	hist_snapshot(&tcsegd_hists[H_HS_BORINGSSL], &s);
	assert_int_equal(s.count, 1);
}

/* Hand-off workers are threads: no update may be lost. */
#define T_THREADS	4
#define T_ITER		1000000

static pthread_barrier_t go;

static void *hammer(void *arg)
{
	unsigned int i;

	(void)arg;
	pthread_barrier_wait(&go);	/* all at once, not one after another */
	for (i = 0; i < T_ITER; i++) {
		hist_observe(&tcsegd_hists[H_KEY_OPENSSL], i % 1000);
		MINC(key_ok);
	}
	return NULL;
}

static void test_concurrent_updates(void **state)
{
	pthread_t t[T_THREADS];
	struct tcsegd_hist_snap s;
	__u64 sum = 0;
	unsigned int i;

	(void)state;
	pthread_barrier_init(&go, NULL, T_THREADS);
	for (i = 0; i < T_THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, hammer, NULL), 0);
	for (i = 0; i < T_THREADS; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&go);
	for (i = 0; i < T_ITER; i++)
		sum += i % 1000;
	hist_snapshot(&tcsegd_hists[H_KEY_OPENSSL], &s);
	assert_int_equal(s.count, T_THREADS * T_ITER);
	assert_int_equal(tcsegd_hists[H_KEY_OPENSSL].count, T_THREADS * T_ITER);
	assert_int_equal(s.sum_us, T_THREADS * sum);
	assert_int_equal(MGET(key_ok), T_THREADS * T_ITER);
	/* 0..50 -> 51 values per 1000 in the first bucket */
	assert_int_equal(s.bucket[0], T_THREADS * (T_ITER / 1000) * 51);
}

/* ---- Prometheus text */

static int count_of(const char *hay, const char *needle)
{
	int n = 0;

	for (; (hay = strstr(hay, needle)); hay++)
		n++;
	return n;
}

static void test_render_format(void **state)
{
	char *buf;
	size_t n;

	(void)state;
	MINC(captured_connect);
	MINC(captured_connect);
	MINC(key_ok);
	MINC(ktls_unavailable);
	MINC(handoff_failed);
	metrics_latency(300);
	metrics_latency(3000000);
	hist_observe(&tcsegd_hists[H_KEY_OPENSSL], 80);
	hist_observe(&tcsegd_hists[H_KEY_OPENSSL], 120);
	buf = metrics_text(&n);
	assert_non_null(buf);
	assert_int_equal(n, strlen(buf));
	/* the names the netns tests and dashboards read */
	assert_non_null(strstr(buf, "\ntcseg_captured_connections_total"
			       "{side=\"connect\"} 2\n"));
	assert_non_null(strstr(buf, "\ntcseg_key_fetch_total{result=\"ok\"} 1\n"));
	assert_non_null(strstr(buf, "\ntcseg_ktls_total{result=\"unavailable\"} 1\n"));
	assert_non_null(strstr(buf, "\ntcseg_handoff_total{result=\"failed\"} 1\n"));
	assert_non_null(strstr(buf, "\ntcseg_handoff_latency_seconds_count 2\n"));
	assert_non_null(strstr(buf, "\ntcseg_handoff_latency_seconds_bucket"
			       "{le=\"0.0005\"} 1\n"));
	assert_non_null(strstr(buf, "\ntcseg_handoff_latency_seconds_bucket"
			       "{le=\"+Inf\"} 2\n"));
	assert_non_null(strstr(buf, "\ntcseg_handoff_latency_seconds_sum 3.000300\n"));
	/* labels before le, cumulative buckets */
	assert_non_null(strstr(buf, "\ntcseg_key_fetch_seconds_bucket"
			       "{provider=\"openssl\",le=\"0.0001\"} 1\n"
			       "tcseg_key_fetch_seconds_bucket"
			       "{provider=\"openssl\",le=\"0.00025\"} 2\n"));
	assert_non_null(strstr(buf, "\ntcseg_key_fetch_seconds_count"
			       "{provider=\"openssl\"} 2\n"));
	assert_non_null(strstr(buf, "\ntcseg_key_fetch_seconds_count"
			       "{provider=\"tlshub\"} 0\n"));
	assert_non_null(strstr(buf, "\ntcseg_provider_handshake_seconds_count"
			       "{provider=\"boringssl\"} 0\n"));
	assert_non_null(strstr(buf, "\ntcseg_ktls_config_seconds_count 0\n"));
	/* one HELP/TYPE per family */
	assert_int_equal(count_of(buf, "# TYPE tcseg_key_fetch_seconds "), 1);
	assert_int_equal(count_of(buf, "# TYPE tcseg_handoff_total "), 1);
	assert_int_equal(count_of(buf, "# TYPE "), count_of(buf, "# HELP ") + 1);
	assert_true(n > 0 && buf[n - 1] == '\n');
	/* the data path's families follow the daemon's */
	assert_non_null(strstr(buf, "\ntcseg_handoff_in_flight 0\n"
			       "# dp_metrics_render\n"));
	free(buf);
}

/* The largest values: nothing cut (the text grows as it needs). */
static void test_render_largest_values_whole(void **state)
{
	unsigned int i, b;
	size_t n;
	char *buf;

	(void)state;
	memset(&M, 0xff, sizeof(M));
	for (i = 0; i < H_NUM; i++) {
		for (b = 0; b <= tcsegd_hists[i].nbounds; b++)
			tcsegd_hists[i].bucket[b] = ULLONG_MAX / 32;
		tcsegd_hists[i].sum_us = ULLONG_MAX;
	}
	buf = metrics_text(&n);
	assert_non_null(buf);
	assert_int_equal(n, strlen(buf));
	assert_non_null(strstr(buf, "\ntcseg_handoff_in_flight 0\n"));
	assert_non_null(strstr(buf, "\ntcseg_captured_connections_total"
			       "{side=\"connect\"} 18446744073709551615\n"));
	free(buf);
}

/* ---- perf_metrics files */

static char tmpdir[64];

static int dir_setup(void **state)
{
	setup(state);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/tcseg-metrics-ut.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int dir_teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd);
}

static char *slurp(const char *path)
{
	static char buf[65536];
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	return buf;
}

/* Names in @dir: every one must be a perf_metrics file; returns count. */
static int check_names(const char *dir, int *json, int *csv)
{
	regex_t re;
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	assert_non_null(d);
	assert_int_equal(regcomp(&re, "^perf_metrics_[0-9]{8}-[0-9]{6}"
				 "(-[0-9]+)?\\.(json|csv)$", REG_EXTENDED), 0);
	*json = *csv = 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' && (!de->d_name[1] ||
		    !strcmp(de->d_name, "..")))
			continue;
		/* no temporary file left behind */
		assert_int_equal(regexec(&re, de->d_name, 0, NULL, 0), 0);
		*json += strstr(de->d_name, ".json") != NULL;
		*csv += strstr(de->d_name, ".csv") != NULL;
		n++;
	}
	regfree(&re);
	closedir(d);
	return n;
}

static void test_write_json_csv(void **state)
{
	char path[4096], csv[4200], *t, *line;
	struct stat st;
	int json_n, csv_n, rows = 0;

	(void)state;
	MINC(captured_connect);
	MINC(key_ok);
	MINC(key_ok);
	hist_observe(&tcsegd_hists[H_KEY_OPENSSL], 100);
	hist_observe(&tcsegd_hists[H_KEY_OPENSSL], 300);
	umask(022);
	assert_int_equal(perf_metrics_write(tmpdir, "node-\"a\"", "openssl",
					    path, sizeof(path)), 0);
	assert_non_null(strstr(last_log, "perf metrics written"));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(strncmp(path, tmpdir, strlen(tmpdir)), 0);

	t = slurp(path);
	assert_non_null(strstr(t, "\"node\": \"node-\\\"a\\\"\""));
	assert_non_null(strstr(t, "\"provider\": \"openssl\""));
	assert_non_null(strstr(t, "\"percentiles\": \"estimated from the "
			       "histogram buckets"));
	assert_non_null(strstr(t, "\"captured_connect\": 1,"));
	assert_non_null(strstr(t, "\"key_fetch_ok\": 2,"));
	assert_non_null(strstr(t, "\"key_fetch_openssl\": {\"count\": 2, "
			       "\"sum_us\": 400, \"p50_us\": 100.0, "
			       "\"p90_us\": 450.0, \"p99_us\": 495.0,"));
	assert_non_null(strstr(t, "{\"le_us\": 100, \"n\": 1}, "
			       "{\"le_us\": 250, \"n\": 0}, "
			       "{\"le_us\": 500, \"n\": 1}"));
	assert_non_null(strstr(t, "{\"le_us\": \"+Inf\", \"n\": 0}]}"));

	snprintf(csv, sizeof(csv), "%.*s.csv", (int)(strlen(path) - 5), path);
	assert_int_equal(stat(csv, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	t = slurp(csv);
	assert_int_equal(strncmp(t, "metric,type,value,count,sum_us,p50_us,"
				 "p90_us,p99_us,buckets\n", 58), 0);
	assert_non_null(strstr(t, "\nkey_fetch_ok,counter,2,,,,,,\n"));
	assert_non_null(strstr(t, "\nkey_fetch_openssl,histogram,,2,400,100.0,"
			       "450.0,495.0,50:0 100:1 250:0 500:1 "));
	for (line = t; (line = strchr(line, '\n')); line++)
		rows++;
	/* header + one row per metric: every row has 9 fields */
	assert_true(rows > H_NUM + 10);
	for (line = strtok(t, "\n"); line; line = strtok(NULL, "\n"))
		assert_int_equal(count_of(line, ","), 8);

	/* again in the same second: new names, nothing replaced */
	assert_int_equal(perf_metrics_write(tmpdir, "n", "openssl", NULL, 0),
			 0);
	assert_int_equal(check_names(tmpdir, &json_n, &csv_n), 4);
	assert_int_equal(json_n, 2);
	assert_int_equal(csv_n, 2);
}

static void test_write_off_and_errors(void **state)
{
	char path[4096] = "", bad[128];
	int json_n, csv_n;
	FILE *f;

	(void)state;
	/* off: nothing written, nothing logged */
	assert_int_equal(perf_metrics_write("", "n", "openssl", path,
					    sizeof(path)), 0);
	assert_int_equal(last_log[0], 0);
	assert_int_equal(check_names(tmpdir, &json_n, &csv_n), 0);

	snprintf(bad, sizeof(bad), "%s/missing", tmpdir);
	assert_int_equal(perf_metrics_write(bad, "n", "openssl", path,
					    sizeof(path)), -ENOENT);
	assert_non_null(strstr(last_log, "perf_metrics_dir"));
	assert_non_null(strstr(last_log, bad));
	assert_non_null(strstr(last_log, "No such file or directory"));

	snprintf(bad, sizeof(bad), "%s/file", tmpdir);
	f = fopen(bad, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(perf_metrics_write(bad, "n", "openssl", path,
					    sizeof(path)), -ENOTDIR);
	assert_non_null(strstr(last_log, "Not a directory"));

	/* a directory nobody may write, even root (read-only bind not
	 * available here): a directory on /proc */
	assert_true(perf_metrics_write("/proc/self", "n", "openssl", path,
				       sizeof(path)) < 0);
	assert_non_null(strstr(last_log, "cannot write"));
}

/* ---- perf_metrics_dir in capture.conf */

static int load_conf(const char *text, struct capture_config *cfg, char *err,
		     size_t errlen)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/capture.conf", tmpdir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(path, 0600);
	err[0] = 0;
	return daemon_config_load(path, 0, cfg, err, errlen);
}

/* daemon_config_dump() of @c, malloc'd */
static char *dump(const struct capture_config *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	daemon_config_dump(f, c);
	fclose(f);
	return buf;
}

static void test_config_key(void **state)
{
	struct capture_config c;
	char err[512], want[160], *buf;

	(void)state;
	daemon_config_defaults(&c);
	assert_string_equal(c.perf_metrics_dir, "");	/* off by default */
	assert_int_equal(load_conf("perf_metrics_dir = perf\n", &c, err,
				   sizeof(err)), 0);
	snprintf(want, sizeof(want), "%s/perf", tmpdir);
	assert_string_equal(c.perf_metrics_dir, want);	/* config's dir */
	assert_int_equal(load_conf("perf_metrics_dir = /var/tmp/p\n", &c, err,
				   sizeof(err)), 0);
	assert_string_equal(c.perf_metrics_dir, "/var/tmp/p");
	buf = dump(&c);
	assert_non_null(strstr(buf, "\nperf_metrics_dir = /var/tmp/p\n"));
	free(buf);
	assert_int_equal(load_conf("perf_metrics_dir = off\n", &c, err,
				   sizeof(err)), 0);
	assert_string_equal(c.perf_metrics_dir, "");
	assert_int_not_equal(load_conf("mode = openssl\nperf_metrics_dir = a b\n",
				       &c, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "capture.conf:2: perf_metrics_dir"));
	assert_int_not_equal(load_conf("perf_metrics_dir =\n", &c, err,
				       sizeof(err)), 0);
	assert_non_null(strstr(err, "perf_metrics_dir"));
}

/* metrics_rule_limit and the verdict log keys (docs/CONFIG.md). */
static void test_config_observe_keys(void **state)
{
	struct capture_config c;
	char err[512], want[160], *buf;

	(void)state;
	daemon_config_defaults(&c);
	assert_int_equal(c.metrics_rule_limit, 1000);
	assert_int_equal(c.verdict_log_sink, CFG_VLOG_FILE);	/* always on */
	assert_string_equal(c.verdict_log, "/var/log/tcseg/verdicts.log");
	assert_int_equal(c.verdict_log_max_bytes, 10u << 20);
	assert_int_equal(c.verdict_log_keep, 5);
	assert_int_equal(load_conf("verdict_log = syslog\n", &c, err,
				   sizeof(err)), 0);
	assert_int_equal(c.verdict_log_sink, CFG_VLOG_SYSLOG);
	assert_int_equal(load_conf("verdict_log = off\n", &c, err,
				   sizeof(err)), 0);
	assert_int_equal(c.verdict_log_sink, CFG_VLOG_OFF);
	assert_int_equal(load_conf("verdict_log = v/x.log\nverdict_log_keep = 2"
				   "\nverdict_log_max_bytes = 4096\n"
				   "metrics_rule_limit = 0\n", &c, err,
				   sizeof(err)), 0);
	snprintf(want, sizeof(want), "%s/v/x.log", tmpdir);
	assert_int_equal(c.verdict_log_sink, CFG_VLOG_FILE);
	assert_string_equal(c.verdict_log, want);	/* config's dir */
	assert_int_equal(c.verdict_log_keep, 2);
	assert_int_equal(c.metrics_rule_limit, 0);
	buf = dump(&c);
	assert_non_null(strstr(buf, "\nverdict_log_keep = 2\n"));
	assert_non_null(strstr(buf, "\nmetrics_rule_limit = 0\n"));
	snprintf(want, sizeof(want), "\nverdict_log = %s/v/x.log\n", tmpdir);
	assert_non_null(strstr(buf, want));
	free(buf);
	/* out of range: file, line and key named, settings untouched */
	assert_int_not_equal(load_conf("mode = openssl\nverdict_log_keep = 0\n",
				       &c, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "capture.conf:2: verdict_log_keep"));
	assert_int_equal(c.verdict_log_keep, 2);
	assert_int_not_equal(load_conf("verdict_log_max_bytes = 4095\n", &c,
				       err, sizeof(err)), 0);
	assert_non_null(strstr(err, "verdict_log_max_bytes"));
	assert_int_not_equal(load_conf("metrics_rule_limit = 100001\n", &c,
				       err, sizeof(err)), 0);
	assert_int_not_equal(load_conf("verdict_log = a b\n", &c, err,
				       sizeof(err)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_bucket_placement, setup),
		cmocka_unit_test_setup(test_quantile_estimates, setup),
		cmocka_unit_test_setup(test_ktls_and_handoff_helpers, setup),
		cmocka_unit_test_setup(test_key_fetch_handshake_attribution,
				       setup),
		cmocka_unit_test_setup(test_concurrent_updates, setup),
		cmocka_unit_test_setup(test_render_format, setup),
		cmocka_unit_test_setup(test_render_largest_values_whole, setup),
		cmocka_unit_test_setup_teardown(test_write_json_csv, dir_setup,
						dir_teardown),
		cmocka_unit_test_setup_teardown(test_write_off_and_errors,
						dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_config_key, dir_setup,
						dir_teardown),
		cmocka_unit_test_setup_teardown(test_config_observe_keys,
						dir_setup, dir_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
