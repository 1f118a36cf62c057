// SPDX-License-Identifier: GPL-2.0
/*
 * The data path's families on tcsegd's metrics endpoint (docs/DAEMON.md
 * §Metrics): tcseg_stats summed over CPUs, drops by reason, pressure, map
 * fill and per-rule hits. Read at scrape time from the pinned maps, on
 * the main thread; nothing here writes a map.
 *
 * Cost: the counters are ~40 per-CPU lookups and one per exported rule.
 * The rule list and the policy maps' fill only change with the policy,
 * so they are read again only when policy_version moves (a first scrape
 * after applying 100k rules walks them once). The session count is the
 * data path's own (kept exact by its sweep), not a walk of the map.
 *
 * Cardinality: one series per counter and per drop reason, one per map,
 * and two per rule for at most metrics_rule_limit rules, the lowest ids
 * (a stable set: series do not come and go with traffic); the rules left
 * out are counted in tcseg_rule_series_omitted.
 */
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "daemon/tcsegd.h"
#include "dataplane/dp_stats.h"
#include "dataplane/policy_store.h"
#include "policy/parse.h"
#include "tcseg_names.h"

/* The exported rules, read again when the policy version moves. */
struct rule_ref {
	__u32 id;
	__u32 slot;
	__u8 action;
};

static struct {
	bool valid;
	__u32 version;
	__u16 set;
	struct rule_ref *v;
	size_t n;			/* exported: <= the limit */
	size_t total;			/* rules in the map */
	__u32 limit;
	struct dp_fill fill[DP_FILL_N];
} rc;

#define POLICY_FILL	((1u << DP_FILL_RULES) | (1u << DP_FILL_EXACT) | \
			 (1u << DP_FILL_CIDR) | (1u << DP_FILL_SRC_CLASSES))

static void rules_refresh(const struct tcseg_maps *m,
			  const struct tcseg_config *cfg, __u32 limit)
{
	struct rule_set rules = { 0 };
	char err[TCSEG_ERRLEN];
	size_t i, n;

	if (rc.valid && rc.version == cfg->policy_version &&
	    rc.set == cfg->policy_set && rc.limit == limit)
		return;
	if (store_read(m, &rules, err, sizeof(err))) {
		dlog(L_WARN, "metrics", "cannot read the rules error=\"%s\"",
		     err);
		return;			/* the old list stays, tried again */
	}
	/* store_read sorts by id: the first @limit are the lowest ids */
	n = rules.n < limit ? rules.n : limit;
	free(rc.v);
	rc.v = n ? calloc(n, sizeof(*rc.v)) : NULL;
	rc.n = rc.v ? n : 0;
	for (i = 0; i < rc.n; i++)
		rc.v[i] = (struct rule_ref){ rules.v[i].id, rules.v[i].slot,
					     rules.v[i].action };
	rc.total = rules.n;
	rule_set_free(&rules);
	dp_fill_read(m, 0, rc.fill, POLICY_FILL);
	rc.version = cfg->policy_version;
	rc.set = cfg->policy_set;
	rc.limit = limit;
	rc.valid = true;
}

static void family(FILE *f, const char *name, const char *type,
		   const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* tcseg_stats "total_packets" -> tcseg_datapath_packets_total */
static void render_counters(FILE *f, const __u64 *v)
{
	char name[96];
	unsigned int i;

	for (i = 0; i < TCSEG_STAT_DROP_BASE; i++) {
		const char *s = tcseg_stat_names[i];

		/* kept by tcctl's recount: see tcseg_session_evictions_total */
		if (!s || i == TCSEG_STAT_LRU_EVICTIONS)
			continue;
		if (!strncmp(s, "total_", 6))
			s += 6;
		snprintf(name, sizeof(name), "tcseg_datapath_%s_total", s);
		fprintf(f, "# HELP %s Data path counter %s (tcctl stats), "
			"all CPUs.\n# TYPE %s counter\n%s %llu\n", name,
			tcseg_stat_names[i], name, name,
			(unsigned long long)v[i]);
	}
	family(f, "tcseg_datapath_drops_total", "counter",
	       "Packets dropped by the data path, by reason "
	       "(docs/DATAPATH.md drop reasons).");
	for (i = 0; i < TCSEG_DROP_MAX; i++)
		fprintf(f, "tcseg_datapath_drops_total{reason=\"%s\"} %llu\n",
			tcseg_drop_name(i),
			(unsigned long long)v[TCSEG_STAT_DROP_BASE + i]);
}

static void render_pressure(FILE *f, const struct tcseg_pressure *p)
{
	family(f, "tcseg_session_pressure_level", "gauge",
	       "Session map pressure: 0 normal (< 70 % full), 1 warning "
	       "(70-90 %), 2 critical (>= 90 %: map-full degradation).");
	fprintf(f, "tcseg_session_pressure_level %u\n", p->pressure_level);
	family(f, "tcseg_session_evictions_total", "counter",
	       "LRU session evictions, as last recounted by tcctl stats.");
	fprintf(f, "tcseg_session_evictions_total %llu\n",
		(unsigned long long)p->evictions);
	family(f, "tcseg_session_insertion_failures_total", "counter",
	       "Session inserts the data path could not make.");
	fprintf(f, "tcseg_session_insertion_failures_total %llu\n",
		(unsigned long long)p->insertion_failures);
}

static void render_fill(FILE *f)
{
	unsigned int i;

	family(f, "tcseg_map_entries", "gauge",
	       "Entries in a data path map (policy maps: the live set).");
	for (i = 0; i < DP_FILL_N; i++)
		if (rc.fill[i].name)	/* NULL: never read yet */
			fprintf(f, "tcseg_map_entries{map=\"%s\"} %llu\n",
				rc.fill[i].name,
				(unsigned long long)rc.fill[i].used);
	family(f, "tcseg_map_max_entries", "gauge",
	       "Size of a data path map (max_entries).");
	for (i = 0; i < DP_FILL_N; i++)
		if (rc.fill[i].name)
			fprintf(f, "tcseg_map_max_entries{map=\"%s\"} %u\n",
				rc.fill[i].name, rc.fill[i].max);
}

/* One per-rule family: packets or bytes of each exported rule. */
static void rule_family(FILE *f, const char *name, const char *help,
			const struct tcseg_rule_counter *c, bool bytes)
{
	size_t i;

	family(f, name, "counter", help);
	for (i = 0; i < rc.n; i++)
		fprintf(f, "%s{rule=\"%u\",action=\"%s\"} %llu\n", name,
			rc.v[i].id, action_name(rc.v[i].action),
			(unsigned long long)(bytes ? c[i].bytes : c[i].packets));
}

static void render_rules(FILE *f, const struct tcseg_maps *m)
{
	struct tcseg_rule_counter *c = calloc(rc.n ?: 1, sizeof(*c));
	size_t i;

	if (!c)
		return;
	for (i = 0; i < rc.n; i++)
		store_rule_counter(m, rc.v[i].slot, &c[i]);
	rule_family(f, "tcseg_rule_packets_total", "Packets matched by a rule "
		    "(every packet of its flows), for the metrics_rule_limit "
		    "lowest rule ids.", c, false);
	rule_family(f, "tcseg_rule_bytes_total", "Bytes matched by a rule, "
		    "for the same rules.", c, true);
	family(f, "tcseg_rule_series_omitted", "gauge",
	       "Rules without their own series (beyond metrics_rule_limit).");
	fprintf(f, "tcseg_rule_series_omitted %zu\n", rc.total - rc.n);
	free(c);
}

void dp_metrics_render(FILE *f)
{
	static __u64 v[TCSEG_STAT_MAX];
	const struct tcseg_maps *m = &D.maps;
	struct tcseg_pressure p = { 0 };
	struct tcseg_config cfg = { 0 };
	__u32 zero = 0;

	if (tcseg_config_get(m, &cfg) || dp_counters_read(m, v)) {
		dlog(L_WARN, "metrics", "cannot read the data path's maps");
		return;
	}
	bpf_map_lookup_elem(m->pressure, &zero, &p);
	rules_refresh(m, &cfg, D.cfg.metrics_rule_limit);
	/* cheap ones every scrape; the session count is the data path's */
	dp_fill_read(m, p.total_sessions, rc.fill,
		     DP_FILL_ALL & ~POLICY_FILL);
	render_counters(f, v);
	render_pressure(f, &p);
	render_fill(f);
	render_rules(f, m);
}
