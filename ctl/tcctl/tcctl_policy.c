// SPDX-License-Identifier: GPL-2.0
/* tcctl policy add|del|list|flush|apply. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>

#include "dataplane/policy_store.h"
#include "lib/clock.h"
#include "tcctl/tcctl.h"
#include "tcctl/tcctl_pods.h"

/* The pod rules of the change in progress (docs/POLICY.md §Pods). */
static struct pods_ctx pods;

static double now_ms(void)
{
	return mono_ns() / 1e6;
}

/*
 * Under the writer lock: read, change, commit (store_change()), with the
 * rules that name pods re-derived (pods_store_change()). @create: the
 * change may add pod rules.
 */
static int policy_change(struct tcctl *t, store_change_fn change, void *arg,
			 bool create)
{
	struct tcseg_maps m;
	int ret = -1;

	if (tcctl_ensure_loaded(t) || tcctl_open_maps(t, &m))
		return -1;
	if (!pods_ctx_load(t, &pods, create))
		ret = pods_store_change(t, &m, &pods, change, arg);
	pods_ctx_free(&pods);
	tcseg_maps_close(&m);
	return ret ? -1 : 0;
}

struct add_arg {
	struct tcseg_rule r;
	struct rule_pod_sides ps;
	__u32 id;	/* out */
};

static bool names_pod(const struct rule_pod_sides *ps)
{
	return ps->from[0] || ps->to[0];
}

/* A pod rule like @a (same pods, same other words) or with its id. */
static int check_pod_rules(const struct add_arg *a, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < pods.nrefs; i++) {
		const struct pod_rule_ref *p = &pods.refs[i];

		if (a->r.id && p->tmpl.id == a->r.id)
			return tcseg_errf(err, errlen, -EEXIST, "id: rule %u "
					  "already exists", a->r.id);
		if (names_pod(&a->ps) && rule_same_match(&p->tmpl, &a->r) &&
		    !strcmp(p->from, a->ps.from) && !strcmp(p->to, a->ps.to))
			return tcseg_errf(err, errlen, -EEXIST, "rule %u "
					  "already has this match",
					  p->tmpl.id);
	}
	return 0;
}

static int change_add(struct rule_set *rules, void *arg, char *err,
		      size_t errlen)
{
	struct add_arg *a = arg;
	bool pod = names_pod(&a->ps);
	size_t i;
	__u32 max = 0;
	int ret = check_pod_rules(a, err, errlen);

	if (ret)
		return ret;
	for (i = 0; i < rules->n; i++) {
		if (a->r.id && rules->v[i].id == a->r.id) {
			snprintf(err, errlen, "id: rule %u already exists",
				 a->r.id);
			return -EEXIST;
		}
		/* a pod rule's match is its pods', not an address */
		if (!pod && rule_overlaps(&rules->v[i], &a->r) &&
		    !pods_ctx_find(&pods, rules->v[i].id)) {
			snprintf(err, errlen, "rule %u already has this match",
				 rules->v[i].id);
			return -EEXIST;
		}
		if (rules->v[i].id > max)
			max = rules->v[i].id;
	}
	for (i = 0; i < pods.nrefs; i++)
		if (pods.refs[i].tmpl.id > max)
			max = pods.refs[i].tmpl.id;
	if (!a->r.id) {
		if (max == UINT32_MAX) {
			snprintf(err, errlen, "no rule id left");
			return -ENOSPC;
		}
		a->r.id = max + 1;
	}
	a->id = a->r.id;
	return pod ? pods_ctx_add(&pods, &a->r, &a->ps) :
		     rule_set_push(rules, &a->r);
}

static int policy_add(struct tcctl *t, int argc, char **argv)
{
	struct add_arg a = { 0 };
	char err[TCSEG_ERRLEN];

	if (rule_parse_words_pods(argc, argv, &a.r, &a.ps, tcctl_resolve_dev,
				  NULL, err, sizeof(err)) ||
	    rule_validate(&a.r, err, sizeof(err)))
		return tcctl_err("policy add: %s", err);
	if (policy_change(t, change_add, &a, names_pod(&a.ps)))
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
	struct pod_rule_ref *p = pods_ctx_find(&pods, id);
	size_t i;

	if (p) {	/* and its derived rule, if its pods are there */
		*p = pods.refs[--pods.nrefs];
		pods.refs_changed = true;
	}
	for (i = 0; i < rules->n; i++) {
		if (rules->v[i].id != id)
			continue;
		memmove(&rules->v[i], &rules->v[i + 1],
			(rules->n - i - 1) * sizeof(rules->v[0]));
		rules->n--;
		return 0;
	}
	if (p)
		return 0;
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
	return policy_change(t, change_del, &id, false);
}

static int change_flush(struct rule_set *rules, void *arg, char *err,
			size_t errlen)
{
	(void)arg;
	(void)err;
	(void)errlen;
	rules->n = 0;
	pods.refs_changed = pods.nrefs > 0;
	pods.nrefs = 0;
	return 0;
}

static int policy_flush(struct tcctl *t, int argc, char **argv)
{
	if (argc)
		return tcctl_err("policy flush: unexpected '%s'", argv[0]);
	return policy_change(t, change_flush, NULL, false);
}

struct apply_arg {
	struct rule_set plain;		/* the file's rules without pods */
	struct rule_set pod;		/* ... naming pods, */
	struct rule_pod_sides *ps;	/* ... with their pods */
};

static int change_apply(struct rule_set *rules, void *arg, char *err,
			size_t errlen)
{
	struct apply_arg *a = arg;
	size_t i;
	int ret = store_change_replace(rules, &a->plain, err, errlen);

	pods.refs_changed = pods.nrefs > 0 || a->pod.n > 0;
	pods.nrefs = 0;
	for (i = 0; !ret && i < a->pod.n; i++)
		ret = pods_ctx_add(&pods, &a->pod.v[i], &a->ps[i]);
	return ret;
}

/* The file's rules, ids given in file order, split by naming pods. */
static int split_file(struct rule_set *file, struct rule_pod_sides *ps,
		      struct apply_arg *a)
{
	char err[TCSEG_ERRLEN];
	size_t i, k = 0;
	int ret = store_assign_ids(file, err, sizeof(err));

	if (ret)
		return tcctl_err("%s", err);
	a->ps = ps;
	for (i = 0; !ret && i < file->n; i++) {
		if (ps && names_pod(&ps[i])) {
			ps[k++] = ps[i];
			ret = rule_set_push(&a->pod, &file->v[i]);
		} else {
			ret = rule_set_push(&a->plain, &file->v[i]);
		}
	}
	return ret ? tcctl_err("out of memory") : 0;
}

static int policy_apply(struct tcctl *t, int argc, char **argv)
{
	struct rule_set file = { 0 };
	struct apply_arg a = { 0 };
	struct rule_pod_sides *ps = NULL;
	char err[TCSEG_ERRLEN];
	double t0 = now_ms();
	int ret;

	if (argc != 2 || strcmp(argv[0], "-f"))
		return tcctl_err("policy apply: usage: tcctl policy apply -f FILE");
	if (rules_read_file_pods(argv[1], &file, &ps, tcctl_resolve_dev, NULL,
				 err, sizeof(err)))
		return tcctl_err("%s", err);
	ret = split_file(&file, ps, &a);
	if (!ret)
		ret = policy_change(t, change_apply, &a, a.pod.n > 0);
	if (!ret && !t->json)
		printf("applied %zu rules from %s in %.1f ms\n", file.n,
		       argv[1], now_ms() - t0);
	rule_set_free(&file);
	rule_set_free(&a.plain);
	rule_set_free(&a.pod);
	free(ps);
	return ret;
}

/*
 * "any", or the prefix; a rule of one family without any address shows
 * its family's /0 ("from ::/0"), as tcctl reads it back.
 */
static void cidr_str(const struct tcseg_rule *r, const union tcseg_addr *addr,
		     __u8 plen, char *buf, size_t len)
{
	if (!plen && !(r->family && !r->src_plen && !r->dst_plen))
		snprintf(buf, len, "any");
	else
		format_prefix(addr, r->family, plen, buf, len);
}

/* "ipv4", "ipv6" or "any" (a rule without addresses: both) */
static const char *family_name(__u8 family)
{
	return family == TCSEG_FAMILY_V4 ? "ipv4" :
	       family == TCSEG_FAMILY_V6 ? "ipv6" : "any";
}

/* "80", "8000-8099" (@max 0: one port) or "any" */
static void port_str(__u16 p, __u16 max, char *buf, size_t len)
{
	if (p && max)
		snprintf(buf, len, "%u-%u", p, max);
	else if (p)
		snprintf(buf, len, "%u", p);
	else
		snprintf(buf, len, "any");
}

static void rule_json(struct json *j, const struct tcseg_rule *r,
		      const char *dev, const struct tcseg_rule_counter *c,
		      const struct pod_rule_ref *p, bool resolved)
{
	char a[INET6_ADDRSTRLEN + 4], when[32];

	json_start_object(j);
	json_uint_field(j, "id", r->id);
	json_string_field(j, "dev", r->ifindex ? dev : "any");
	json_string_field(j, "family", family_name(r->family));
	cidr_str(r, &r->saddr, r->src_plen, a, sizeof(a));
	json_string_field(j, "from", resolved ? a : "none");
	cidr_str(r, &r->daddr, r->dst_plen, a, sizeof(a));
	json_string_field(j, "to", resolved ? a : "none");
	if (p) {
		json_string_field(j, "from_pod", p->from);
		json_string_field(j, "to_pod", p->to);
		json_bool_field(j, "resolved", resolved);
	}
	json_string_field(j, "proto", proto_name(r->proto));
	json_uint_field(j, "sport", r->sport);
	json_uint_field(j, "dport", r->dport);
	json_uint_field(j, "dport_max", r->dport_max ? r->dport_max : r->dport);
	json_string_field(j, "action", action_name(r->action));
	json_bool_field(j, "audit", r->flags & TCSEG_RULE_F_AUDIT);
	json_bool_field(j, "exact", rule_is_exact(r));
	json_uint_field(j, "packets", c->packets);
	json_uint_field(j, "bytes", c->bytes);
	json_name(j, "last_match");
	if (c->last_ns)
		json_string(j, mono_wall_str(c->last_ns, when, sizeof(when)));
	else
		json_null(j);
	json_end_object(j);
}

/* "pod:NS/NAME" for a pod side, else the prefix. */
static void side_str(const char *pod, const struct tcseg_rule *r,
		     const union tcseg_addr *addr, __u8 plen, char *buf,
		     size_t len)
{
	if (pod && pod[0])
		snprintf(buf, len, "pod:%s", pod);
	else
		cidr_str(r, addr, plen, buf, len);
}

static void rule_text(const struct tcseg_rule *r, const char *dev,
		      const struct tcseg_rule_counter *c,
		      const struct pod_rule_ref *p, bool resolved)
{
	char from[POD_REF_MAX + INET6_ADDRSTRLEN], to[POD_REF_MAX + INET6_ADDRSTRLEN];
	char sp[8], dp[16], when[32];

	side_str(p ? p->from : NULL, r, &r->saddr, r->src_plen, from,
		 sizeof(from));
	side_str(p ? p->to : NULL, r, &r->daddr, r->dst_plen, to, sizeof(to));
	port_str(r->sport, 0, sp, sizeof(sp));
	port_str(r->dport, r->dport_max, dp, sizeof(dp));
	printf("%-6u %-12s %-18s %-18s %-5s %-5s %-11s %-7s%s %10llu %12llu "
	       "%s%s\n", r->id, r->ifindex ? dev : "any", from, to,
	       proto_name(r->proto), sp, dp, action_name(r->action),
	       r->flags & TCSEG_RULE_F_AUDIT ? "*" : " ",
	       (unsigned long long)c->packets, (unsigned long long)c->bytes,
	       mono_wall_str(c->last_ns, when, sizeof(when)),
	       p && !resolved ? " (pod not registered)" : "");
}

static void list_one(struct json *j, const struct tcseg_rule *r,
		     const char *dev, const struct tcseg_rule_counter *c,
		     const struct pod_rule_ref *p, bool resolved)
{
	if (j)
		rule_json(j, r, dev, c, p, resolved);
	else
		rule_text(r, dev, c, p, resolved);
}

static bool store_has_id(const struct rule_set *s, __u32 id)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->v[i].id == id)
			return true;
	return false;
}

static int policy_list(struct tcctl *t, int argc, char **argv)
{
	struct rule_set rules = { 0 };
	struct tcseg_maps m;
	struct json *j = NULL;
	char err[TCSEG_ERRLEN];
	unsigned int unresolved = 0;
	size_t i;
	int ret;

	if (argc)
		return tcctl_err("policy list: unexpected '%s'", argv[0]);
	if (tcctl_open_maps(t, &m))
		return -1;
	ret = store_read(&m, &rules, err, sizeof(err));
	if (!ret && pods_ctx_load(t, &pods, false))
		ret = -1, err[0] = 0;
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
		printf("%-6s %-12s %-18s %-18s %-5s %-5s %-11s %-8s %10s %12s "
		       "%s\n", "ID", "DEV", "FROM", "TO", "PROTO", "SPORT",
		       "DPORT", "ACTION", "PACKETS", "BYTES", "LAST-MATCH");
	}
	for (i = 0; i < rules.n; i++) {
		struct tcseg_rule_counter c;
		char dev[32];

		store_rule_counter(&m, rules.v[i].slot, &c);
		tcctl_dev_name(&m, rules.v[i].ifindex, dev, sizeof(dev));
		list_one(j, &rules.v[i], dev, &c,
			 pods_ctx_find(&pods, rules.v[i].id), true);
	}
	/* pod rules whose pods are not all registered: they match nothing */
	for (i = 0; i < pods.nrefs; i++) {
		struct tcseg_rule_counter c = { 0 };
		char dev[32];

		if (store_has_id(&rules, pods.refs[i].tmpl.id))
			continue;
		tcctl_dev_name(&m, pods.refs[i].tmpl.ifindex, dev, sizeof(dev));
		list_one(j, &pods.refs[i].tmpl, dev, &c, &pods.refs[i], false);
		unresolved++;
	}
	if (j) {
		json_end_array(j);
		json_destroy(&j);
	} else if (rules.n && !t->json) {
		printf("(* = audit: a deny by this rule only logs)\n");
	}
	if (unresolved && !t->json)
		printf("(%u rules name a pod that is not registered: they match "
		       "nothing until it is)\n", unresolved);
out:
	pods_ctx_free(&pods);
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
