// SPDX-License-Identifier: GPL-2.0
/* What a policy commit writes: differences of map sets and rules (policy_diff.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/policy_diff.h"

/* What one policy map set holds, keys and values. */
struct set_maps {
	struct kvvec exact, src, cidr;
};

static void free_set(struct set_maps *o)
{
	kv_free(&o->exact);
	kv_free(&o->src);
	kv_free(&o->cidr);
}

/* @exact false: all but the exact map (its difference is known). */
static int read_set(const struct tcseg_policy_fds *p, struct set_maps *o,
		    bool exact)
{
	int ret = 0;

	memset(o, 0, sizeof(*o));
	o->exact.ksize = sizeof(struct tcseg_exact_key);
	o->exact.vsize = sizeof(struct tcseg_verdict);
	if (exact)
		ret = kv_read(p->exact, o->exact.ksize, o->exact.vsize,
			      &o->exact);
	if (!ret)
		ret = kv_read(p->src_class, sizeof(struct tcseg_src_key),
			      sizeof(struct tcseg_src_class), &o->src);
	if (!ret)
		ret = kv_read(p->cidr, sizeof(struct tcseg_cidr_key),
			      sizeof(struct tcseg_verdict), &o->cidr);
	if (ret)
		free_set(o);
	return ret;
}

void policy_diff_free(struct policy_diff *d)
{
	kv_diff_free(&d->exact);
	kv_diff_free(&d->src);
	kv_diff_free(&d->cidr);
}

/* @d->exact is given when @exact is false. */
static int diff_set(const struct set_maps *o, const struct compiled *c,
		    struct policy_diff *d, bool exact)
{
	int ret = 0;

	if (exact)
		ret = kv_diff(c->ekeys, c->evals, c->n_exact, &o->exact,
			      &d->exact);
	if (!ret)
		ret = kv_diff(c->skeys, c->svals, c->n_src, &o->src, &d->src);
	if (!ret)
		ret = kv_diff(c->ckeys, c->cvals, c->n_cidr, &o->cidr, &d->cidr);
	if (ret)
		policy_diff_free(d);
	return ret;
}

/* Write a set's difference into the set @p (no packet reads it). */
int policy_diff_apply(const struct tcseg_policy_fds *p,
			  const struct policy_diff *d,
			  struct map_sync_count *count)
{
	int ret = kv_diff_apply(p->exact, &d->exact, count);

	if (!ret)
		ret = kv_diff_apply(p->cidr, &d->cidr, count);
	if (!ret)
		ret = kv_diff_apply(p->src_class, &d->src, count);
	return ret;
}

/*
 * The difference from what the set @p holds now to the compiled rules;
 * @exact false: but for the exact map's, already in @d.
 */
int policy_diff_read(const struct tcseg_policy_fds *p,
			 const struct compiled *c, struct policy_diff *d,
			 bool exact)
{
	struct set_maps o;
	int ret = read_set(p, &o, exact);

	if (!ret) {
		ret = diff_set(&o, c, d, exact);
		free_set(&o);
	} else if (!exact) {
		policy_diff_free(d);
	}
	return ret;
}

static int diff_alloc(struct kv_diff *d, size_t ksize, size_t vsize,
		      size_t nput, size_t ndel)
{
	memset(d, 0, sizeof(*d));
	d->put.ksize = d->del.ksize = ksize;
	d->put.vsize = d->del.vsize = vsize;
	d->put.k = malloc((nput ? nput : 1) * ksize);
	d->put.v = malloc((nput ? nput : 1) * vsize);
	d->del.k = malloc((ndel ? ndel : 1) * ksize);
	if (d->put.k && d->put.v && d->del.k)
		return 0;
	kv_diff_free(d);
	return -ENOMEM;
}

/*
 * The rule map from @old to @s (both sorted by id): a merge, not a
 * lookup per rule. tcctl's own map; the data path never reads it.
 */
int policy_diff_write_rules(int fd, const struct rule_set *old,
			    const struct rule_set *s,
			    struct map_sync_count *count)
{
	size_t i = 0, j = 0;
	struct kv_diff d;
	int ret = diff_alloc(&d, sizeof(__u32), sizeof(struct tcseg_rule), s->n,
			     old->n);

	while (!ret && (i < old->n || j < s->n)) {
		const struct tcseg_rule *o = i < old->n ? &old->v[i] : NULL;
		const struct tcseg_rule *r = j < s->n ? &s->v[j] : NULL;

		if (o && (!r || o->id < r->id)) {
			((__u32 *)d.del.k)[d.del.n++] = o->id;
			i++;
			continue;
		}
		if (!o || r->id < o->id || memcmp(o, r, sizeof(*r))) {
			((__u32 *)d.put.k)[d.put.n] = r->id;
			((struct tcseg_rule *)d.put.v)[d.put.n++] = *r;
		}
		i += o && o->id == r->id;
		j++;
	}
	if (!ret)
		ret = kv_diff_apply(fd, &d, count);
	kv_diff_free(&d);
	return ret;
}

static bool has_exact_range(const struct rule_set *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->v[i].dport_max && rule_is_exact(&s->v[i]))
			return true;
	return false;
}

static int cmp_ekey(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct tcseg_exact_key));
}

/*
 * The exact map's difference from compile(@old) to @c = compile(@new)
 * without reading the map (100k entries: ~90 ms of reading and diffing,
 * docs/BENCHMARKS.md): without port ranges every exact rule is one entry
 * of its own, in id order (rule_exact_key()), so an unchanged rule is an
 * unchanged entry. Only for a set known to hold compile(@old)
 * (sets_same()). -EAGAIN: ranges, read the map instead.
 */
int policy_diff_exact(const struct rule_set *old, const struct rule_set *new,
		      const struct compiled *c, struct kv_diff *d)
{
	size_t i = 0, j = 0, e = 0, k, n;
	void *put;
	int ret;

	if (has_exact_range(old) || has_exact_range(new))
		return -EAGAIN;
	ret = diff_alloc(d, sizeof(struct tcseg_exact_key),
			 sizeof(struct tcseg_verdict), c->n_exact, old->n);
	while (!ret && (i < old->n || j < new->n)) {
		const struct tcseg_rule *o = i < old->n ? &old->v[i] : NULL;
		const struct tcseg_rule *r = j < new->n ? &new->v[j] : NULL;
		bool take_o = o && (!r || o->id <= r->id);
		bool take_r = r && (!o || r->id <= o->id);
		bool same = take_o && take_r && !memcmp(o, r, sizeof(*r));

		if (take_o && !same && rule_is_exact(o))
			rule_exact_key(o, (struct tcseg_exact_key *)d->del.k +
					  d->del.n++);
		if (take_r && rule_is_exact(r)) {
			if (e == c->n_exact || c->evals[e].rule_id != r->id)
				ret = -EAGAIN;	/* not one entry per rule */
			else if (!same)
				kv_append(&d->put, c->ekeys, c->evals, e);
			e++;
		}
		i += take_o;
		j += take_r;
	}
	if (!ret && e != c->n_exact)
		ret = -EAGAIN;
	if (ret) {
		kv_diff_free(d);
		return ret;
	}
	/* a key a removed rule had and a new rule has: written, not deleted */
	put = malloc((d->put.n ? d->put.n : 1) * d->put.ksize);
	if (!put) {
		kv_diff_free(d);
		return -ENOMEM;
	}
	memcpy(put, d->put.k, d->put.n * d->put.ksize);
	qsort(put, d->put.n, d->put.ksize, cmp_ekey);
	for (k = 0, n = 0; k < d->del.n; k++) {
		char *key = (char *)d->del.k + k * d->del.ksize;

		if (!bsearch(key, put, d->put.n, d->put.ksize, cmp_ekey))
			memmove((char *)d->del.k + n++ * d->del.ksize, key,
				d->del.ksize);
	}
	d->del.n = n;
	free(put);
	return 0;
}
