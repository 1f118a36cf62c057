// SPDX-License-Identifier: GPL-2.0
/* tcctl policy add|del|list|flush|apply. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>

#include "policy_store.h"
#include "clock.h"
#include "tcctl.h"

static double now_ms(void)
{
	return mono_ns() / 1e6;
}

/* Under the writer lock: read, change, commit (store_change()). */
static int policy_change(struct tcctl *t, store_change_fn change, void *arg)
{
	struct tcseg_maps m;
	char err[TCSEG_ERRLEN] = "";
	int ret;

	if (tcctl_ensure_loaded(t) || tcctl_open_maps(t, &m))
		return -1;
	ret = store_change(&m, change, arg, err, sizeof(err));
	if (ret)
		tcctl_err("%s", err[0] ? err : strerror(-ret));
	tcseg_maps_close(&m);
	return ret ? -1 : 0;
}

struct add_arg {
	struct tcseg_rule r;
	__u32 id;	/* out */
};

static int change_add(struct rule_set *rules, void *arg, char *err,
		      size_t errlen)
{
	struct add_arg *a = arg;
	size_t i;
	__u32 max = 0;

	for (i = 0; i < rules->n; i++) {
		if (a->r.id && rules->v[i].id == a->r.id) {
			snprintf(err, errlen, "id: rule %u already exists",
				 a->r.id);
			return -EEXIST;
		}
		if (rule_overlaps(&rules->v[i], &a->r)) {
			snprintf(err, errlen, "rule %u already has this match",
				 rules->v[i].id);
			return -EEXIST;
		}
		if (rules->v[i].id > max)
			max = rules->v[i].id;
	}
	if (!a->r.id) {
		if (max == UINT32_MAX) {
			snprintf(err, errlen, "no rule id left");
			return -ENOSPC;
		}
		a->r.id = max + 1;
	}
	a->id = a->r.id;
	return rule_set_push(rules, &a->r);
}

static int policy_add(struct tcctl *t, int argc, char **argv)
{
	struct add_arg a = { 0 };
	char err[TCSEG_ERRLEN];

	if (rule_parse_words(argc, argv, &a.r, tcctl_resolve_dev, NULL, err,
			     sizeof(err)) ||
	    rule_validate(&a.r, err, sizeof(err)))
		return tcctl_err("policy add: %s", err);
	if (policy_change(t, change_add, &a))
		return -1;
	if (t->json) {
		struct json *j = tcctl_json(t);

		if (j) {
			json_start_object(j);
			json_uint_field(j, "id", a.id);
			json_end_object(j);
			json_destroy(&j);
		}
	} else {
		printf("added rule id %u\n", a.id);
	}
	return 0;
}

static int change_del(struct rule_set *rules, void *arg, char *err,
		      size_t errlen)
{
	__u32 id = *(__u32 *)arg;
	size_t i;

	for (i = 0; i < rules->n; i++) {
		if (rules->v[i].id != id)
			continue;
		memmove(&rules->v[i], &rules->v[i + 1],
			(rules->n - i - 1) * sizeof(rules->v[0]));
		rules->n--;
		return 0;
	}
	snprintf(err, errlen, "policy del: no rule with id %u", id);
	return -ENOENT;
}

static int policy_del(struct tcctl *t, int argc, char **argv)
{
	char err[TCSEG_ERRLEN];
	const char *val;
	__u32 id;

	if (argc == 2 && !strcmp(argv[0], "id"))
		val = argv[1];
	else if (argc == 1)
		val = argv[0];
	else
		return tcctl_err("policy del: usage: tcctl policy del id N");
	if (parse_u32(val, &id, err, sizeof(err)) || !id)
		return tcctl_err("policy del: id: bad id '%s'", val);
	return policy_change(t, change_del, &id);
}

static int change_flush(struct rule_set *rules, void *arg, char *err,
			size_t errlen)
{
	(void)arg;
	(void)err;
	(void)errlen;
	rules->n = 0;
	return 0;
}

static int policy_flush(struct tcctl *t, int argc, char **argv)
{
	if (argc)
		return tcctl_err("policy flush: unexpected '%s'", argv[0]);
	return policy_change(t, change_flush, NULL);
}

static int policy_apply(struct tcctl *t, int argc, char **argv)
{
	struct rule_set file = { 0 };
	char err[TCSEG_ERRLEN];
	double t0 = now_ms();
	int ret;

	if (argc != 2 || strcmp(argv[0], "-f"))
		return tcctl_err("policy apply: usage: tcctl policy apply -f FILE");
	if (rules_read_file(argv[1], &file, tcctl_resolve_dev, NULL, err,
			    sizeof(err)))
		return tcctl_err("%s", err);
	ret = policy_change(t, store_change_replace, &file);
	if (!ret && !t->json)
		printf("applied %zu rules from %s in %.1f ms\n", file.n,
		       argv[1], now_ms() - t0);
	rule_set_free(&file);
	return ret;
}

static void cidr_str(const union tcseg_addr *addr, __u8 family, __u8 plen,
		     char *buf, size_t len)
{
	if (!plen)
		snprintf(buf, len, "any");
	else
		format_prefix(addr, family, plen, buf, len);
}

/* "ipv4", "ipv6" or "any" (a rule without addresses: both) */
static const char *family_name(__u8 family)
{
	return family == TCSEG_FAMILY_V4 ? "ipv4" :
	       family == TCSEG_FAMILY_V6 ? "ipv6" : "any";
}

static void port_str(__u16 p, char *buf, size_t len)
{
	if (p)
		snprintf(buf, len, "%u", p);
	else
		snprintf(buf, len, "any");
}

static void rule_json(struct json *j, const struct tcseg_rule *r,
		      const char *dev, const struct tcseg_rule_counter *c)
{
	char a[INET6_ADDRSTRLEN + 4];

	json_start_object(j);
	json_uint_field(j, "id", r->id);
	json_string_field(j, "dev", r->ifindex ? dev : "any");
	json_string_field(j, "family", family_name(r->family));
	cidr_str(&r->saddr, r->family, r->src_plen, a, sizeof(a));
	json_string_field(j, "from", a);
	cidr_str(&r->daddr, r->family, r->dst_plen, a, sizeof(a));
	json_string_field(j, "to", a);
	json_string_field(j, "proto", proto_name(r->proto));
	json_uint_field(j, "sport", r->sport);
	json_uint_field(j, "dport", r->dport);
	json_string_field(j, "action", action_name(r->action));
	json_bool_field(j, "audit", r->flags & TCSEG_RULE_F_AUDIT);
	json_bool_field(j, "exact", rule_is_exact(r));
	json_uint_field(j, "packets", c->packets);
	json_uint_field(j, "bytes", c->bytes);
	json_end_object(j);
}

static void rule_text(const struct tcseg_rule *r, const char *dev,
		      const struct tcseg_rule_counter *c)
{
	char from[INET6_ADDRSTRLEN + 4], to[INET6_ADDRSTRLEN + 4], sp[8], dp[8];

	cidr_str(&r->saddr, r->family, r->src_plen, from, sizeof(from));
	cidr_str(&r->daddr, r->family, r->dst_plen, to, sizeof(to));
	port_str(r->sport, sp, sizeof(sp));
	port_str(r->dport, dp, sizeof(dp));
	printf("%-6u %-12s %-18s %-18s %-5s %-5s %-5s %-7s%s %10llu %12llu\n",
	       r->id, r->ifindex ? dev : "any", from, to, proto_name(r->proto),
	       sp, dp, action_name(r->action),
	       r->flags & TCSEG_RULE_F_AUDIT ? "*" : " ",
	       (unsigned long long)c->packets, (unsigned long long)c->bytes);
}

static int policy_list(struct tcctl *t, int argc, char **argv)
{
	struct rule_set rules = { 0 };
	struct tcseg_maps m;
	struct json *j = NULL;
	char err[TCSEG_ERRLEN];
	size_t i;
	int ret;

	if (argc)
		return tcctl_err("policy list: unexpected '%s'", argv[0]);
	if (tcctl_open_maps(t, &m))
		return -1;
	ret = store_read(&m, &rules, err, sizeof(err));
	if (ret) {
		tcctl_err("%s", err);
		goto out;
	}
	if (t->json) {
		j = tcctl_json(t);
		if (!j)
			goto out;
		json_start_array(j);
	} else {
		printf("%-6s %-12s %-18s %-18s %-5s %-5s %-5s %-8s %10s %12s\n",
		       "ID", "DEV", "FROM", "TO", "PROTO", "SPORT", "DPORT",
		       "ACTION", "PACKETS", "BYTES");
	}
	for (i = 0; i < rules.n; i++) {
		struct tcseg_rule_counter c;
		char dev[32];

		store_rule_counter(&m, rules.v[i].slot, &c);
		tcctl_dev_name(&m, rules.v[i].ifindex, dev, sizeof(dev));
		if (j)
			rule_json(j, &rules.v[i], dev, &c);
		else
			rule_text(&rules.v[i], dev, &c);
	}
	if (j) {
		json_end_array(j);
		json_destroy(&j);
	} else if (rules.n && !t->json) {
		printf("(* = audit: a deny by this rule only logs)\n");
	}
out:
	rule_set_free(&rules);
	tcseg_maps_close(&m);
	return ret ? -1 : 0;
}

static const struct cmd policy_cmds[] = {
	{ "add", policy_add,
	  "add [id N] [dev DEV] [from CIDR] [to CIDR] [sport P] [dport P] "
	  "[proto tcp|udp|icmp|any] [audit] action allow|deny|log|encrypt" },
	{ "del", policy_del, "del id N" },
	{ "list", policy_list, "list                 rules with hit counts" },
	{ "flush", policy_flush, "flush                remove every rule" },
	{ "apply", policy_apply,
	  "apply -f FILE        replace all rules by the file's (checked first)" },
	{ "show", policy_list, NULL },
	{ NULL, NULL, NULL },
};

int do_policy(struct tcctl *t, int argc, char **argv)
{
	return tcctl_dispatch(t, "policy", policy_cmds, argc, argv);
}
