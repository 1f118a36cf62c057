// SPDX-License-Identifier: GPL-2.0
/* tcctl stats [reset] and tcctl sessions. */
#include <errno.h>
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "lib/clock.h"
#include "dataplane/dp_stats.h"
#include "dataplane/policy_store.h"
#include "tcctl/tcctl.h"
#include "tcseg_names.h"

static const char *const state_names[TCSEG_TCP_MAX] = {
	[TCSEG_TCP_NONE] = "-",
	[TCSEG_TCP_SYN_SENT] = "SYN_SENT",
	[TCSEG_TCP_SYN_RECV] = "SYN_RECV",
	[TCSEG_TCP_ESTABLISHED] = "ESTABLISHED",
	[TCSEG_TCP_FIN_WAIT1] = "FIN_WAIT1",
	[TCSEG_TCP_FIN_WAIT2] = "FIN_WAIT2",
	[TCSEG_TCP_TIME_WAIT] = "TIME_WAIT",
	[TCSEG_TCP_CLOSE] = "CLOSE",
	[TCSEG_TCP_CLOSE_WAIT] = "CLOSE_WAIT",
	[TCSEG_TCP_LAST_ACK] = "LAST_ACK",
	[TCSEG_TCP_CLOSING] = "CLOSING",
};

static const char *const src_names[TCSEG_SRC_MAX] = {
	[TCSEG_SRC_EXACT] = "exact",
	[TCSEG_SRC_CIDR] = "cidr",
	[TCSEG_SRC_POD_DEFAULT] = "pod-default",
	[TCSEG_SRC_GLOBAL_DEFAULT] = "default",
};

/*
 * LRU evictions never reach the data path's session count: recount the
 * map, write the true figure back and book the difference as evictions.
 */
static int recount_sessions(const struct tcseg_maps *m,
			    struct tcseg_pressure *p, __u64 *count)
{
	__u32 zero = 0;

	*count = dp_map_count(m->sessions, sizeof(struct tcseg_session_key));
	if (bpf_map_lookup_elem(m->pressure, &zero, p))
		return -errno;
	if (p->total_sessions > *count && p->total_sessions < (1ull << 62))
		p->evictions += p->total_sessions - *count;
	p->total_sessions = *count;
	return bpf_map_update_elem(m->pressure, &zero, p, BPF_ANY) ? -errno : 0;
}

static void stats_json(struct tcctl *t, const __u64 *v,
		       const struct tcseg_pressure *p, const struct dp_fill *f,
		       const struct rule_set *rules, const struct tcseg_maps *m)
{
	struct json *j = tcctl_json(t);
	struct tcseg_rule_counter c;
	size_t i;

	if (!j)
		return;
	json_start_object(j);
	json_name(j, "counters");
	json_start_object(j);
	for (i = 0; i < TCSEG_STAT_DROP_BASE; i++)
		json_uint_field(j, tcseg_stat_names[i], i == TCSEG_STAT_LRU_EVICTIONS ?
							p->evictions : v[i]);
	json_end_object(j);
	json_name(j, "drops");
	json_start_object(j);
	for (i = 0; i < TCSEG_DROP_MAX; i++)
		json_uint_field(j, tcseg_drop_name(i), v[TCSEG_STAT_DROP_BASE + i]);
	json_end_object(j);
	json_name(j, "pressure");
	json_start_object(j);
	json_uint_field(j, "sessions", p->total_sessions);
	json_uint_field(j, "session_max", f[0].max);
	json_string_field(j, "level", dp_level_name(f[0].used, f[0].max));
	json_uint_field(j, "evictions", p->evictions);
	json_uint_field(j, "insertion_failures", p->insertion_failures);
	json_end_object(j);
	json_name(j, "maps");
	json_start_array(j);
	for (i = 0; i < DP_FILL_N; i++) {
		json_start_object(j);
		json_string_field(j, "map", f[i].name);
		json_uint_field(j, "entries", f[i].used);
		json_uint_field(j, "max", f[i].max);
		json_string_field(j, "level", dp_level_name(f[i].used, f[i].max));
		json_end_object(j);
	}
	json_end_array(j);
	json_name(j, "rules");
	json_start_array(j);
	for (i = 0; i < rules->n; i++) {
		store_rule_counter(m, rules->v[i].slot, &c);
		json_start_object(j);
		json_uint_field(j, "id", rules->v[i].id);
		json_string_field(j, "action", action_name(rules->v[i].action));
		json_uint_field(j, "packets", c.packets);
		json_uint_field(j, "bytes", c.bytes);
		json_end_object(j);
	}
	json_end_array(j);
	json_end_object(j);
	json_destroy(&j);
}

static void stats_text(const __u64 *v, const struct tcseg_pressure *p,
		       const struct dp_fill *f, const struct rule_set *rules,
		       const struct tcseg_maps *m)
{
	struct tcseg_rule_counter c;
	size_t i;

	printf("Counters:\n");
	for (i = 0; i < TCSEG_STAT_DROP_BASE; i++)
		printf("  %-22s %llu\n", tcseg_stat_names[i],
		       (unsigned long long)(i == TCSEG_STAT_LRU_EVICTIONS ?
						    p->evictions : v[i]));
	printf("Drops by reason:\n");
	for (i = 0; i < TCSEG_DROP_MAX; i++)
		printf("  %-22s %llu\n", tcseg_drop_name(i),
		       (unsigned long long)v[TCSEG_STAT_DROP_BASE + i]);
	printf("Pressure: %llu/%u sessions (%s), %llu evictions, %llu "
	       "insertion failures\n", (unsigned long long)p->total_sessions,
	       f[0].max, dp_level_name(f[0].used, f[0].max),
	       (unsigned long long)p->evictions,
	       (unsigned long long)p->insertion_failures);
	printf("Maps:\n");
	for (i = 0; i < DP_FILL_N; i++)
		printf("  %-12s %8llu / %-8u %s\n", f[i].name,
		       (unsigned long long)f[i].used, f[i].max,
		       dp_level_name(f[i].used, f[i].max));
	if (!rules->n)
		return;
	printf("Rule hits:\n");
	for (i = 0; i < rules->n; i++) {
		store_rule_counter(m, rules->v[i].slot, &c);
		printf("  id %-6u %-8s %10llu packets %12llu bytes\n",
		       rules->v[i].id, action_name(rules->v[i].action),
		       (unsigned long long)c.packets,
		       (unsigned long long)c.bytes);
	}
}

static int zero_percpu(int fd, __u32 key, size_t vsize)
{
	int ncpu = libbpf_num_possible_cpus();
	void *z;
	int ret;

	if (ncpu <= 0)
		return -EINVAL;
	z = calloc(ncpu, vsize);
	if (!z)
		return -ENOMEM;
	ret = bpf_map_update_elem(fd, &key, z, BPF_ANY) ? -errno : 0;
	free(z);
	return ret;
}

static int stats_reset(const struct tcseg_maps *m)
{
	struct rule_set rules;
	struct tcseg_pressure p;
	char err[TCSEG_ERRLEN];
	__u32 i, zero = 0;
	int ret = 0;

	for (i = 0; i < TCSEG_STAT_MAX && !ret; i++)
		ret = zero_percpu(m->stats, i, sizeof(__u64));
	if (!ret && !store_read(m, &rules, err, sizeof(err))) {
		for (i = 0; i < rules.n && !ret; i++)
			ret = zero_percpu(m->rule_stats, rules.v[i].slot,
					  sizeof(struct tcseg_rule_counter));
		rule_set_free(&rules);
	}
	if (!ret && !bpf_map_lookup_elem(m->pressure, &zero, &p)) {
		p.evictions = 0;
		p.insertion_failures = 0;
		ret = bpf_map_update_elem(m->pressure, &zero, &p, BPF_ANY);
	}
	return ret ? tcctl_err("stats reset: %s", strerror(ret < 0 ? -ret : errno)) : 0;
}

int do_stats(struct tcctl *t, int argc, char **argv)
{
	static __u64 v[TCSEG_STAT_MAX];
	struct rule_set rules = { 0 };
	struct tcseg_pressure p;
	struct dp_fill f[DP_FILL_N];
	struct tcseg_maps m;
	char err[TCSEG_ERRLEN];
	__u64 sessions;
	int ret = 0;

	if (argc > 1 || (argc == 1 && !tcctl_is(argv[0], "reset")))
		return tcctl_err("stats: unexpected '%s' (tcctl stats [reset])",
				 argv[argc - 1]);
	if ((argc && tcctl_write_lock(t, 0)) || tcctl_open_maps(t, &m))
		return -1;
	if (argc) {
		ret = stats_reset(&m);
		goto out;
	}
	if (dp_counters_read(&m, v) || recount_sessions(&m, &p, &sessions) ||
	    store_read(&m, &rules, err, sizeof(err))) {
		ret = tcctl_err("stats: cannot read the maps: %s",
				strerror(errno));
		goto out;
	}
	dp_fill_read(&m, sessions, f, DP_FILL_ALL);
	if (t->json)
		stats_json(t, v, &p, f, &rules, &m);
	else
		stats_text(v, &p, f, &rules, &m);
	rule_set_free(&rules);
out:
	tcseg_maps_close(&m);
	return ret;
}

/* "A:port", "[A6]:port" for IPv6 (RFC 5952 section 6). */
static void endpoint_str(const union tcseg_addr *a, __u8 family, __be16 port,
			 char *buf, size_t len)
{
	char s[INET6_ADDRSTRLEN];

	tcseg_addr_str(a, family, s, sizeof(s));
	snprintf(buf, len, family == TCSEG_FAMILY_V6 ? "[%s]:%u" : "%s:%u", s,
		 ntohs(port));
}

/* The flow as its initiator sent it. */
static void session_ends(const struct tcseg_session_key *k,
			 const struct tcseg_session *s, char *src, char *dst,
			 size_t len)
{
	int hi = s->flags & TCSEG_SESS_F_INIT_HI;
	const union tcseg_addr *sa = hi ? &k->addr_hi : &k->addr_lo;
	const union tcseg_addr *da = hi ? &k->addr_lo : &k->addr_hi;
	__be16 sp = hi ? k->port_hi : k->port_lo, dp = hi ? k->port_lo : k->port_hi;

	endpoint_str(sa, k->family, sp, src, len);
	endpoint_str(da, k->family, dp, dst, len);
}

static void flags_str(__u16 f, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s", f & TCSEG_SESS_F_AUDIT ? "audit," : "",
		 f & TCSEG_SESS_F_ENCRYPT ? "encrypt," : "",
		 f & TCSEG_SESS_F_SECURED ? "secured," : "",
		 f & TCSEG_SESS_F_MIDSTREAM ? "midstream," : "");
	if (buf[0])
		buf[strlen(buf) - 1] = '\0';
	else
		snprintf(buf, len, "-");
}

static void session_out(struct tcctl *t, struct json *j,
			const struct tcseg_maps *m,
			const struct tcseg_session_key *k,
			const struct tcseg_session *s, __u64 now)
{
	char src[INET6_ADDRSTRLEN + 8], dst[INET6_ADDRSTRLEN + 8];
	char dev[32], fl[64];
	const char *state = s->state < TCSEG_TCP_MAX ? state_names[s->state] : "?";
	const char *vs = s->verdict_src < TCSEG_SRC_MAX ?
				 src_names[s->verdict_src] : "?";
	double age = now > s->created_ns ? (now - s->created_ns) / 1e9 : 0;

	session_ends(k, s, src, dst, sizeof(src));
	tcctl_dev_name(m, k->ifindex, dev, sizeof(dev));
	flags_str(s->flags, fl, sizeof(fl));
	if (!j) {
		printf("%-12s %-5s %-21s %-21s %-11s %-7s %-11s %6u %8llu %10llu "
		       "%7.1f %s\n", dev, proto_name(k->proto), src, dst, state,
		       action_name(s->action), vs, s->policy_id,
		       (unsigned long long)s->packets,
		       (unsigned long long)s->bytes, age, fl);
		return;
	}
	(void)t;
	json_start_object(j);
	json_string_field(j, "dev", dev);
	json_uint_field(j, "ifindex", k->ifindex);
	json_string_field(j, "family",
			  k->family == TCSEG_FAMILY_V6 ? "ipv6" : "ipv4");
	json_string_field(j, "proto", proto_name(k->proto));
	json_string_field(j, "src", src);
	json_string_field(j, "dst", dst);
	json_string_field(j, "state", state);
	json_string_field(j, "action", action_name(s->action));
	json_string_field(j, "verdict", vs);
	json_uint_field(j, "rule", s->policy_id);
	json_uint_field(j, "packets", s->packets);
	json_uint_field(j, "bytes", s->bytes);
	json_uint_field(j, "age_ms", (__u64)(age * 1000));
	json_string_field(j, "flags", fl);
	json_end_object(j);
}

int do_sessions(struct tcctl *t, int argc, char **argv)
{
	struct tcseg_session_key key, next, *prev = NULL;
	struct tcseg_session s;
	struct tcseg_maps m;
	struct json *j = NULL;
	__u64 now = mono_ns();
	int ifindex = 0;

	if (argc == 2 && !strcmp(argv[0], "dev")) {
		ifindex = tcctl_resolve_dev(argv[1], NULL);
		if (ifindex < 0)
			return tcctl_err("sessions: no such device '%s'",
					 argv[1]);
	} else if (argc) {
		return tcctl_err("sessions: unexpected '%s' (tcctl sessions "
				 "[dev DEV])", argv[0]);
	}
	if (tcctl_open_maps(t, &m))
		return -1;
	if (t->json) {
		j = tcctl_json(t);
		if (!j)
			goto out;
		json_start_array(j);
	} else {
		printf("%-12s %-5s %-21s %-21s %-11s %-7s %-11s %6s %8s %10s "
		       "%7s %s\n", "DEV", "PROTO", "SRC", "DST", "STATE",
		       "ACTION", "VERDICT", "RULE", "PACKETS", "BYTES", "AGE_S",
		       "FLAGS");
	}
	while (!bpf_map_get_next_key(m.sessions, prev, &next)) {
		key = next;
		prev = &key;
		if (ifindex && key.ifindex != (__u32)ifindex)
			continue;
		if (bpf_map_lookup_elem(m.sessions, &key, &s))
			continue;
		session_out(t, j, &m, &key, &s, now);
	}
	if (j) {
		json_end_array(j);
		json_destroy(&j);
	}
out:
	tcseg_maps_close(&m);
	return 0;
}
