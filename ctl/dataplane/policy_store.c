// SPDX-License-Identifier: GPL-2.0
/* Read, compile and write the rule set in the pinned maps (policy_store.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "policy/compile.h"
#include "dataplane/map_sync.h"
#include "dataplane/policy_store.h"

#define errf(fmt, ...) snprintf(err, errlen, fmt, ##__VA_ARGS__)

static int cmp_rule_id(const void *a, const void *b)
{
	const struct tcseg_rule *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

int store_read(const struct tcseg_maps *m, struct rule_set *out, char *err,
	       size_t errlen)
{
	struct kvvec kv;
	size_t i;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = kv_read(m->rules, sizeof(__u32), sizeof(struct tcseg_rule), &kv);
	for (i = 0; !ret && i < kv.n; i++)
		ret = rule_set_push(out, (struct tcseg_rule *)kv.v + i);
	kv_free(&kv);
	if (ret) {
		errf("cannot read rules: %s", strerror(-ret));
		rule_set_free(out);
		return ret;
	}
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), cmp_rule_id);
	return 0;
}

int store_assign_ids(struct rule_set *rules, char *err, size_t errlen)
{
	__u32 max = 0;
	size_t i;

	for (i = 0; i < rules->n; i++)
		if (rules->v[i].id > max)
			max = rules->v[i].id;
	for (i = 0; i < rules->n; i++) {
		if (rules->v[i].id)
			continue;
		if (max == UINT32_MAX) {
			errf("no rule id left above %u", max);
			return -ENOSPC;
		}
		rules->v[i].id = ++max;
	}
	return 0;
}

static const struct tcseg_rule *find_id(const struct rule_set *s, __u32 id)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->v[mid].id == id)
			return &s->v[mid];
		if (s->v[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/*
 * Counter slots: kept for unchanged rules; a new rule takes a slot no rule
 * of the old set uses (the old set stays live until the flip and keeps
 * counting into its slots), and only when none is left one that a removed
 * rule used.
 */
#define SLOT_KEPT	2	/* used by a rule of both sets */
#define SLOT_OLD	1	/* used by the old set only */

/* @cur[0]: next never-used slot to try, @cur[1]: next old-only one. */
static int take_slot(unsigned char *used, __u32 max_slots, __u32 cur[2],
		     __u32 *slot)
{
	int pass;

	for (pass = 0; pass < 2; pass++) {
		for (; cur[pass] < max_slots; cur[pass]++) {
			__u32 i = cur[pass];

			if (used[i] == 0 || (pass && used[i] == SLOT_OLD)) {
				used[i] = SLOT_KEPT;
				*slot = i;
				return 0;
			}
		}
	}
	return -ENOSPC;
}

static int assign_slots(const struct rule_set *old, struct rule_set *new,
			__u32 max_slots, unsigned char *fresh, char *err,
			size_t errlen)
{
	unsigned char *used = calloc(max_slots + 1, 1);
	__u32 cur[2] = { 1, 1 };
	size_t i;

	if (!used)
		return -ENOMEM;
	for (i = 0; i < old->n; i++)
		if (old->v[i].slot && old->v[i].slot < max_slots)
			used[old->v[i].slot] = SLOT_OLD;
	for (i = 0; i < new->n; i++) {
		struct tcseg_rule *r = &new->v[i];
		const struct tcseg_rule *o = find_id(old, r->id);

		fresh[i] = 1;
		r->slot = 0;
		if (o && o->slot && o->slot < max_slots &&
		    used[o->slot] == SLOT_OLD && rule_same_match(o, r)) {
			r->slot = o->slot;
			used[o->slot] = SLOT_KEPT;
			fresh[i] = 0;
		}
	}
	for (i = 0; i < new->n; i++) {
		if (new->v[i].slot)
			continue;
		if (take_slot(used, max_slots, cur, &new->v[i].slot)) {
			free(used);
			errf("too many rules: %zu, the maps hold %u (tcctl load "
			     "exact/cidr N)", new->n, max_slots - 1);
			return -ENOSPC;
		}
	}
	free(used);
	return 0;
}

static int check_limits(const struct tcseg_maps *m, const struct rule_set *s,
			const struct compiled *c, char *err, size_t errlen)
{
	__u32 max_rules = tcseg_map_max(m->rules);
	__u32 max_exact = tcseg_map_max(m->exact);
	__u32 max_src = tcseg_map_max(m->src_class);

	if (s->n > max_rules) {
		errf("too many rules: %zu, the rule map holds %u", s->n,
		     max_rules);
		return -ENOSPC;
	}
	if (c->n_exact > max_exact) {
		errf("too many exact rules: %zu, the exact map holds %u",
		     c->n_exact, max_exact);
		return -ENOSPC;
	}
	if (c->n_src > max_src) {
		errf("too many distinct source prefixes: %zu, the class map "
		     "holds %u", c->n_src, max_src);
		return -ENOSPC;
	}
	return 0;
}

/* New rules start from zero (their slot may have counted another rule). */
static int zero_counters(const struct tcseg_maps *m,
			 const struct rule_set *s, const unsigned char *fresh)
{
	int ncpu = libbpf_num_possible_cpus();
	struct tcseg_rule_counter *zero;
	__u32 *slots;
	size_t i, n = 0;
	int ret;

	if (ncpu <= 0)
		return -EINVAL;
	zero = calloc(ncpu, sizeof(*zero));
	slots = malloc((s->n ? s->n : 1) * sizeof(*slots));
	if (!zero || !slots) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < s->n; i++)
		if (fresh[i])
			slots[n++] = s->v[i].slot;
	ret = map_write_same(m->rule_stats, slots, n, sizeof(*slots), zero,
			     ncpu * sizeof(*zero));
out:
	free(zero);
	free(slots);
	return ret;
}

/* What the maps hold now, keys and values: the rules and one policy set. */
struct old_maps {
	struct kvvec rules, exact, src, cidr;
};

static int read_old_maps(const struct tcseg_maps *m,
			 const struct tcseg_policy_fds *p, struct old_maps *o)
{
	int ret;

	memset(o, 0, sizeof(*o));
	ret = kv_read(m->rules, sizeof(__u32), sizeof(struct tcseg_rule),
		      &o->rules);
	if (!ret)
		ret = kv_read(p->exact, sizeof(struct tcseg_exact_key),
			      sizeof(struct tcseg_verdict), &o->exact);
	if (!ret)
		ret = kv_read(p->src_class, sizeof(struct tcseg_src_key),
			      sizeof(struct tcseg_src_class), &o->src);
	if (!ret)
		ret = kv_read(p->cidr, sizeof(struct tcseg_cidr_key),
			      sizeof(struct tcseg_verdict), &o->cidr);
	return ret;
}

static void free_old_maps(struct old_maps *o)
{
	kv_free(&o->rules);
	kv_free(&o->exact);
	kv_free(&o->src);
	kv_free(&o->cidr);
}

/* Bring one map to the @n wanted entries: write what differs, drop the rest. */
static int sync_map(int fd, const void *keys, const void *vals, size_t n,
		    const struct kvvec *old)
{
	int ret = map_sync_write(fd, keys, vals, n, old, NULL);

	return ret ? ret : map_sync_prune(fd, keys, n, old, NULL);
}

/*
 * Fill the set no packet reads (only what differs from what it held)
 * and the rule map (tcctl's own; the data path never reads it).
 */
static int write_maps(const struct tcseg_maps *m,
		      const struct tcseg_policy_fds *p,
		      const struct rule_set *s, const struct compiled *c,
		      struct old_maps *o)
{
	__u32 *ids = malloc((s->n ? s->n : 1) * sizeof(*ids));
	size_t i;
	int ret;

	if (!ids)
		return -ENOMEM;
	for (i = 0; i < s->n; i++)
		ids[i] = s->v[i].id;
	ret = sync_map(p->exact, c->ekeys, c->evals, c->n_exact, &o->exact);
	if (!ret)
		ret = sync_map(p->cidr, c->ckeys, c->cvals, c->n_cidr, &o->cidr);
	if (!ret)
		ret = sync_map(p->src_class, c->skeys, c->svals, c->n_src,
			       &o->src);
	if (!ret)
		ret = sync_map(m->rules, ids, s->v, s->n, &o->rules);
	free(ids);
	return ret;
}

/*
 * Wait until no packet still uses what it read before: the programs run
 * under RCU, and membarrier(MEMBARRIER_CMD_GLOBAL) returns after an RCU
 * grace period (synchronize_rcu()). Where the kernel refuses it
 * (nohz_full CPUs), a pause far longer than one program run.
 */
static void grace_period(void)
{
	struct timespec ts = { 0, 100 * 1000 * 1000 };

	if (syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0))
		nanosleep(&ts, NULL);
}

/*
 * Make the filled set @next live (docs/DATAPATH.md "Atomic policy
 * replace"): device lookups on if it needs them, flip the set word,
 * then bump the version (in that order: a packet that reads the new
 * version reads the new set too), wait for packets that read the old
 * set word, and only then lower dev_rules to what the new set needs.
 */
static int flip(const struct tcseg_maps *m, struct tcseg_config *cfg,
		__u16 next, __u32 dev_rules)
{
	int ret = 0;

	if (dev_rules && !cfg->dev_rules) {
		cfg->dev_rules = dev_rules;
		ret = tcseg_config_set(m, cfg);
	}
	if (!ret) {
		cfg->policy_set = next;
		ret = tcseg_config_set(m, cfg);
	}
	if (!ret) {
		cfg->policy_version = tcseg_version_next(cfg->policy_version);
		ret = tcseg_config_set(m, cfg);
	}
	if (ret)
		return ret;
	grace_period();
	if (cfg->dev_rules != dev_rules) {
		cfg->dev_rules = dev_rules;
		ret = tcseg_config_set(m, cfg);
	}
	return ret;
}

int store_commit(const struct tcseg_maps *m, const struct rule_set *old,
		 struct rule_set *new, char *err, size_t errlen)
{
	struct compiled c = { 0 };
	struct tcseg_policy_fds p;
	struct tcseg_config cfg;
	struct old_maps o;
	unsigned char *fresh;
	__u16 next;
	int ret;

	fresh = calloc(new->n ? new->n : 1, 1);
	if (!fresh)
		return -ENOMEM;
	ret = assign_slots(old, new, tcseg_map_max(m->rule_stats), fresh, err,
			   errlen);
	if (ret)
		goto out;
	ret = policy_compile(new->v, new->n, tcseg_map_max(m->cidr), &c, err,
			     errlen);
	if (ret)
		goto out;
	ret = check_limits(m, new, &c, err, errlen);
	if (ret)
		goto out;
	ret = tcseg_config_get(m, &cfg);
	next = !(cfg.policy_set & 1);
	p = tcseg_policy_fds(m, next);
	if (!ret)
		ret = read_old_maps(m, &p, &o);
	if (ret) {
		errf("cannot read the maps: %s", strerror(-ret));
		goto out;
	}
	/* from here on the maps change; the live set only at the flip */
	ret = zero_counters(m, new, fresh);
	if (!ret)
		ret = write_maps(m, &p, new, &c, &o);
	if (!ret)
		ret = flip(m, &cfg, next, c.dev_rules);
	if (ret)
		errf("writing the maps failed half way: %s (run the same "
		     "command again to finish)", strerror(-ret));
	free_old_maps(&o);
out:
	compiled_free(&c);
	free(fresh);
	return ret;
}

int store_change(const struct tcseg_maps *m, store_change_fn change,
		 void *arg, char *err, size_t errlen)
{
	struct rule_set old = { 0 }, new = { 0 };
	size_t i;
	int ret;

	ret = store_read(m, &old, err, errlen);
	for (i = 0; !ret && i < old.n; i++)
		ret = rule_set_push(&new, &old.v[i]);
	if (!ret)
		ret = change(&new, arg, err, errlen);
	if (!ret)
		ret = store_assign_ids(&new, err, errlen);
	if (!ret)
		ret = store_commit(m, &old, &new, err, errlen);
	rule_set_free(&old);
	rule_set_free(&new);
	return ret;
}

int store_change_replace(struct rule_set *rules, void *arg, char *err,
			 size_t errlen)
{
	const struct rule_set *file = arg;
	size_t i;
	int ret = 0;

	(void)err;
	(void)errlen;
	rules->n = 0;
	for (i = 0; !ret && i < file->n; i++)
		ret = rule_set_push(rules, &file->v[i]);
	return ret;
}

int store_rule_counter(const struct tcseg_maps *m, __u32 slot,
		       struct tcseg_rule_counter *out)
{
	int ncpu = libbpf_num_possible_cpus(), i;
	struct tcseg_rule_counter *v;

	memset(out, 0, sizeof(*out));
	if (ncpu <= 0)
		return -EINVAL;
	v = calloc(ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (bpf_map_lookup_elem(m->rule_stats, &slot, v)) {
		free(v);
		return -errno;
	}
	for (i = 0; i < ncpu; i++) {
		out->packets += v[i].packets;
		out->bytes += v[i].bytes;
		if (v[i].last_ns > out->last_ns)
			out->last_ns = v[i].last_ns;
	}
	free(v);
	return 0;
}
