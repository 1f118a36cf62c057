// SPDX-License-Identifier: GPL-2.0
/* Read, compile and write the rule set in the pinned maps (policy_store.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "compile.h"
#include "policy_store.h"

#define errf(fmt, ...) snprintf(err, errlen, fmt, ##__VA_ARGS__)

/* Keys of a map, in one array of @ksize-byte entries. */
struct keyvec {
	void *k;
	size_t n;
	size_t ksize;
};

static int keys_read(int fd, size_t ksize, struct keyvec *kv)
{
	size_t cap = 1024;
	char *prev = NULL;

	kv->ksize = ksize;
	kv->n = 0;
	kv->k = malloc(cap * ksize);
	if (!kv->k)
		return -ENOMEM;
	for (;;) {
		char *slot;

		if (kv->n == cap) {
			void *p = realloc(kv->k, cap * 2 * ksize);

			if (!p)
				return -ENOMEM;
			kv->k = p;
			cap *= 2;
		}
		slot = (char *)kv->k + kv->n * ksize;
		prev = kv->n ? slot - ksize : NULL;
		if (bpf_map_get_next_key(fd, prev, slot))
			break;
		kv->n++;
	}
	return errno == ENOENT ? 0 : -errno;
}

static int cmp_bytes(const void *a, const void *b, void *size)
{
	return memcmp(a, b, *(size_t *)size);
}

static void keys_sort(void *k, size_t n, size_t ksize)
{
	qsort_r(k, n, ksize, cmp_bytes, &ksize);
}

/* Update @n entries, in batches where the map type allows it. */
static int map_write(int fd, const void *keys, const void *vals, size_t n,
		     size_t ksize, size_t vsize)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts, .elem_flags = BPF_ANY);
	const char *k = keys, *v = vals;
	size_t done = 0;
	__u32 cnt;

	while (done < n) {
		cnt = n - done > 8192 ? 8192 : n - done;
		if (bpf_map_update_batch(fd, k + done * ksize, v + done * vsize,
					 &cnt, &opts))
			break;
		done += cnt;
	}
	/* maps without batch support (or a partial batch): one by one */
	for (; done < n; done++)
		if (bpf_map_update_elem(fd, k + done * ksize, v + done * vsize,
					BPF_ANY))
			return -errno;
	return 0;
}

static int sorted_has(const void *key, const void *base, size_t n,
		      size_t ksize)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(key, (const char *)base + mid * ksize, ksize);

		if (!c)
			return 1;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}

/* Delete entries of @old that are not in @new_sorted. */
static int map_prune(int fd, const struct keyvec *old, const void *new_sorted,
		     size_t n_new)
{
	size_t i, ksize = old->ksize;
	int ret = 0;

	for (i = 0; i < old->n; i++) {
		const char *key = (const char *)old->k + i * ksize;

		if (n_new && sorted_has(key, new_sorted, n_new, ksize))
			continue;
		if (bpf_map_delete_elem(fd, key) && errno != ENOENT)
			ret = -errno;
	}
	return ret;
}

/* Delete what @old held that is not among the @n keys now wanted. */
static int prune_stale(int fd, const void *keys, size_t n, size_t ksize,
		       const struct keyvec *old)
{
	void *sorted = NULL;
	int ret;

	if (n) {
		sorted = malloc(n * ksize);
		if (!sorted)
			return -ENOMEM;
		memcpy(sorted, keys, n * ksize);
		keys_sort(sorted, n, ksize);
	}
	ret = map_prune(fd, old, sorted, n);
	free(sorted);
	return ret;
}

/* Write @n new entries, then delete what the map held beyond them. */
static int map_replace(int fd, const void *keys, const void *vals, size_t n,
		       size_t ksize, size_t vsize, const struct keyvec *old)
{
	int ret = map_write(fd, keys, vals, n, ksize, vsize);

	return ret ? ret : prune_stale(fd, keys, n, ksize, old);
}

static int cmp_rule_id(const void *a, const void *b)
{
	const struct tcseg_rule *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

int store_read(const struct tcseg_maps *m, struct rule_set *out, char *err,
	       size_t errlen)
{
	struct keyvec kv = { 0 };
	struct tcseg_rule r;
	size_t i;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = keys_read(m->rules, sizeof(__u32), &kv);
	for (i = 0; !ret && i < kv.n; i++) {
		__u32 id = ((__u32 *)kv.k)[i];

		if (bpf_map_lookup_elem(m->rules, &id, &r))
			continue;	/* deleted meanwhile */
		ret = rule_set_push(out, &r);
	}
	free(kv.k);
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

/* Counter slots: kept for unchanged rules, the lowest free one otherwise. */
static int assign_slots(const struct rule_set *old, struct rule_set *new,
			__u32 max_slots, unsigned char *fresh, char *err,
			size_t errlen)
{
	unsigned char *used = calloc(max_slots + 1, 1);
	__u32 next = 1;
	size_t i;

	if (!used)
		return -ENOMEM;
	for (i = 0; i < new->n; i++) {
		struct tcseg_rule *r = &new->v[i];
		const struct tcseg_rule *o = find_id(old, r->id);

		fresh[i] = 1;
		r->slot = 0;
		if (o && o->slot && o->slot < max_slots && !used[o->slot] &&
		    rule_same_match(o, r)) {
			r->slot = o->slot;
			used[o->slot] = 1;
			fresh[i] = 0;
		}
	}
	for (i = 0; i < new->n; i++) {
		if (new->v[i].slot)
			continue;
		while (next < max_slots && used[next])
			next++;
		if (next >= max_slots) {
			free(used);
			errf("too many rules: %zu, the maps hold %u (tcctl load "
			     "exact/cidr N)", new->n, max_slots - 1);
			return -ENOSPC;
		}
		new->v[i].slot = next;
		used[next] = 1;
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

static int zero_counters(const struct tcseg_maps *m,
			 const struct rule_set *s, const unsigned char *fresh)
{
	int ncpu = libbpf_num_possible_cpus();
	struct tcseg_rule_counter *zero;
	size_t i;
	int ret = 0;

	if (ncpu <= 0)
		return -EINVAL;
	zero = calloc(ncpu, sizeof(*zero));
	if (!zero)
		return -ENOMEM;
	for (i = 0; i < s->n && !ret; i++)
		if (fresh[i] && bpf_map_update_elem(m->rule_stats,
						    &s->v[i].slot, zero, BPF_ANY))
			ret = -errno;
	free(zero);
	return ret;
}

static int write_rules(const struct tcseg_maps *m, const struct rule_set *s,
		       const struct keyvec *old_ids)
{
	__u32 *ids = malloc((s->n ? s->n : 1) * sizeof(*ids));
	size_t i;
	int ret;

	if (!ids)
		return -ENOMEM;
	for (i = 0; i < s->n; i++)
		ids[i] = s->v[i].id;
	ret = map_replace(m->rules, ids, s->v, s->n, sizeof(*ids),
			  sizeof(*s->v), old_ids);
	free(ids);
	return ret;
}

struct old_keys {
	struct keyvec ids, exact, src, cidr;
};

static int read_old_keys(const struct tcseg_maps *m, struct old_keys *o)
{
	int ret;

	memset(o, 0, sizeof(*o));
	ret = keys_read(m->rules, sizeof(__u32), &o->ids);
	if (!ret)
		ret = keys_read(m->exact, sizeof(struct tcseg_exact_key),
				&o->exact);
	if (!ret)
		ret = keys_read(m->src_class, sizeof(struct tcseg_src_key),
				&o->src);
	if (!ret)
		ret = keys_read(m->cidr, sizeof(struct tcseg_cidr_key), &o->cidr);
	return ret;
}

static void free_old_keys(struct old_keys *o)
{
	free(o->ids.k);
	free(o->exact.k);
	free(o->src.k);
	free(o->cidr.k);
}

/*
 * Order matters for packets in flight: CIDR entries go in before the
 * source classes that reach them, and stale classes go before their
 * entries, so a lookup never lands on a class without its rules.
 */
static int write_maps(const struct tcseg_maps *m, const struct rule_set *s,
		      const struct compiled *c, struct old_keys *o)
{
	int ret;

	ret = write_rules(m, s, &o->ids);
	if (!ret)
		ret = map_replace(m->exact, c->ekeys, c->evals, c->n_exact,
				  sizeof(*c->ekeys), sizeof(*c->evals), &o->exact);
	if (!ret)
		ret = map_write(m->cidr, c->ckeys, c->cvals, c->n_cidr,
				sizeof(*c->ckeys), sizeof(*c->cvals));
	if (!ret)
		ret = map_replace(m->src_class, c->skeys, c->svals, c->n_src,
				  sizeof(*c->skeys), sizeof(*c->svals), &o->src);
	if (!ret)
		ret = prune_stale(m->cidr, c->ckeys, c->n_cidr, sizeof(*c->ckeys),
				  &o->cidr);
	return ret;
}

static int finish_config(const struct tcseg_maps *m, __u32 dev_rules)
{
	struct tcseg_config cfg;
	int ret = tcseg_config_get(m, &cfg);

	if (ret)
		return ret;
	cfg.dev_rules = dev_rules;
	cfg.policy_version++;
	if (!cfg.policy_version)
		cfg.policy_version = 1;
	return tcseg_config_set(m, &cfg);
}

int store_commit(const struct tcseg_maps *m, const struct rule_set *old,
		 struct rule_set *new, char *err, size_t errlen)
{
	struct compiled c = { 0 };
	struct old_keys o;
	unsigned char *fresh;
	struct tcseg_config cfg;
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
	if (!ret)
		ret = read_old_keys(m, &o);
	if (ret) {
		errf("cannot read the maps: %s", strerror(-ret));
		goto out;
	}
	/* from here on the maps change */
	ret = zero_counters(m, new, fresh);
	if (!ret) {
		/* device lookups on before the first device rule lands */
		if (c.dev_rules && !cfg.dev_rules)
			ret = finish_config(m, c.dev_rules);
	}
	if (!ret)
		ret = write_maps(m, new, &c, &o);
	if (!ret)
		ret = finish_config(m, c.dev_rules);
	if (ret)
		errf("writing the maps failed half way: %s (run the same "
		     "command again to finish)", strerror(-ret));
	free_old_keys(&o);
out:
	compiled_free(&c);
	free(fresh);
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
	}
	free(v);
	return 0;
}
