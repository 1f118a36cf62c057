// SPDX-License-Identifier: GPL-2.0
/* Batched whole-map reads and minimal writes (see map_sync.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "dataplane/map_sync.h"

#define BATCH	8192

void kv_free(struct kvvec *kv)
{
	free(kv->k);
	free(kv->v);
	kv->k = kv->v = NULL;
	kv->n = 0;
}

static int kv_grow(struct kvvec *kv, size_t *cap, size_t need)
{
	void *k, *v;
	size_t c = *cap;

	if (need <= c)
		return 0;
	while (c < need)
		c = c ? c * 2 : BATCH;
	k = realloc(kv->k, c * kv->ksize);
	if (!k)
		return -ENOMEM;
	kv->k = k;
	v = realloc(kv->v, c * kv->vsize);
	if (!v)
		return -ENOMEM;
	kv->v = v;
	/* the kernel fills them; zeroed so tools like valgrind see them set */
	memset((char *)k + *cap * kv->ksize, 0, (c - *cap) * kv->ksize);
	memset((char *)v + *cap * kv->vsize, 0, (c - *cap) * kv->vsize);
	*cap = c;
	return 0;
}

/* Key by key, for map types without batch lookups (LPM tries). */
static int kv_read_slow(int fd, struct kvvec *kv, size_t *cap)
{
	char *prev = NULL, *key, *val;
	int ret;

	kv->n = 0;
	for (;;) {
		ret = kv_grow(kv, cap, kv->n + 1);
		if (ret)
			return ret;
		key = (char *)kv->k + kv->n * kv->ksize;
		val = (char *)kv->v + kv->n * kv->vsize;
		prev = kv->n ? key - kv->ksize : NULL;
		if (bpf_map_get_next_key(fd, prev, key))
			return errno == ENOENT ? 0 : -errno;
		if (bpf_map_lookup_elem(fd, key, val))
			continue;	/* deleted meanwhile: reuse the slot */
		kv->n++;
	}
}

int kv_read(int fd, size_t ksize, size_t vsize, struct kvvec *kv)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	size_t cap = 0;
	/*
	 * The batch cursor is a bucket number for hash maps but a whole key
	 * for maps on the generic batch code (LPM tries): room for either.
	 */
	char in[64] = { 0 }, out[64] = { 0 };
	void *inp = NULL;
	__u32 cnt;
	int ret;

	memset(kv, 0, sizeof(*kv));
	kv->ksize = ksize;
	kv->vsize = vsize;
	if (ksize > sizeof(out))
		return -E2BIG;
	for (;;) {
		ret = kv_grow(kv, &cap, kv->n + BATCH);
		if (ret)
			goto fail;
		cnt = BATCH;
		ret = bpf_map_lookup_batch(fd, inp, out,
					   (char *)kv->k + kv->n * ksize,
					   (char *)kv->v + kv->n * vsize, &cnt,
					   &opts);
		if (ret && errno != ENOENT) {
			if (!kv->n && (errno == EINVAL || errno == ENOTSUP ||
				       errno == EOPNOTSUPP))
				return kv_read_slow(fd, kv, &cap);
			ret = -errno;
			goto fail;
		}
		kv->n += cnt;
		if (ret)	/* ENOENT: that was the last batch */
			return 0;
		memcpy(in, out, sizeof(in));
		inp = in;
	}
fail:
	kv_free(kv);
	return ret;
}

static int cmp_key(const void *a, const void *b, void *arg)
{
	return memcmp(a, b, *(size_t *)arg);
}

struct sorted {
	char *k;		/* keys, sorted */
	size_t *idx;		/* position of each sorted key in the source */
	size_t n, ksize;
};

struct idx_ctx {
	const char *base;
	size_t ksize;
};

static int cmp_idx(const void *a, const void *b, void *arg)
{
	const struct idx_ctx *c = arg;

	return memcmp(c->base + *(const size_t *)a * c->ksize,
		      c->base + *(const size_t *)b * c->ksize, c->ksize);
}

static int sort_keys(const void *keys, size_t n, size_t ksize,
		     struct sorted *s)
{
	struct idx_ctx c = { keys, ksize };
	size_t i;

	s->n = n;
	s->ksize = ksize;
	s->k = malloc((n ? n : 1) * ksize);
	s->idx = malloc((n ? n : 1) * sizeof(*s->idx));
	if (!s->k || !s->idx) {
		free(s->k);
		free(s->idx);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++)
		s->idx[i] = i;
	qsort_r(s->idx, n, sizeof(*s->idx), cmp_idx, &c);
	for (i = 0; i < n; i++)
		memcpy(s->k + i * ksize, (const char *)keys + s->idx[i] * ksize,
		       ksize);
	return 0;
}

static void sorted_free(struct sorted *s)
{
	free(s->k);
	free(s->idx);
}

/* Index in the source of @key, or -1. */
static long sorted_find(const struct sorted *s, const void *key)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp_key(key, s->k + mid * s->ksize, (void *)&s->ksize);

		if (!c)
			return (long)s->idx[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

static int write_batch(int fd, const char *k, const char *v, size_t n,
		       size_t ksize, size_t vsize)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts, .elem_flags = BPF_ANY);
	size_t done = 0;
	__u32 cnt;

	while (done < n) {
		cnt = n - done > BATCH ? BATCH : n - done;
		if (bpf_map_update_batch(fd, k + done * ksize, v + done * vsize,
					 &cnt, &opts))
			break;
		done += cnt;
	}
	for (; done < n; done++)
		if (bpf_map_update_elem(fd, k + done * ksize, v + done * vsize,
					BPF_ANY))
			return -errno;
	return 0;
}

int map_sync_write(int fd, const void *keys, const void *vals, size_t n,
		   const struct kvvec *old, size_t *written)
{
	const char *k = keys, *v = vals;
	struct sorted s;
	char *wk, *wv;
	size_t i, m = 0, ks = old->ksize, vs = old->vsize;
	long at;
	int ret;

	ret = sort_keys(old->k, old->n, ks, &s);
	if (ret)
		return ret;
	wk = malloc((n ? n : 1) * ks);
	wv = malloc((n ? n : 1) * vs);
	if (!wk || !wv) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		at = sorted_find(&s, k + i * ks);
		if (at >= 0 && !memcmp((char *)old->v + at * vs, v + i * vs, vs))
			continue;
		memcpy(wk + m * ks, k + i * ks, ks);
		memcpy(wv + m * vs, v + i * vs, vs);
		m++;
	}
	ret = write_batch(fd, wk, wv, m, ks, vs);
	if (written)
		*written = m;
out:
	free(wk);
	free(wv);
	sorted_free(&s);
	return ret;
}

int map_sync_prune(int fd, const void *keys, size_t n, const struct kvvec *old,
		   size_t *deleted)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	size_t i, m = 0, done = 0, ks = old->ksize;
	struct sorted s;
	char *dk;
	__u32 cnt;
	int ret;

	ret = sort_keys(keys, n, ks, &s);
	if (ret)
		return ret;
	dk = malloc((old->n ? old->n : 1) * ks);
	if (!dk) {
		sorted_free(&s);
		return -ENOMEM;
	}
	for (i = 0; i < old->n; i++) {
		const char *key = (const char *)old->k + i * ks;

		if (sorted_find(&s, key) < 0)
			memcpy(dk + m++ * ks, key, ks);
	}
	while (done < m) {
		cnt = m - done > BATCH ? BATCH : m - done;
		if (bpf_map_delete_batch(fd, dk + done * ks, &cnt, &opts))
			break;
		done += cnt;
	}
	for (; done < m && !ret; done++)
		if (bpf_map_delete_elem(fd, dk + done * ks) && errno != ENOENT)
			ret = -errno;
	if (deleted)
		*deleted = m;
	free(dk);
	sorted_free(&s);
	return ret;
}

int map_write_same(int fd, const void *keys, size_t n, size_t ksize,
		   const void *val, size_t vsize)
{
	char *vals = malloc((n ? n : 1) * vsize);
	size_t i;
	int ret;

	if (!vals)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		memcpy(vals + i * vsize, val, vsize);
	ret = write_batch(fd, keys, vals, n, ksize, vsize);
	free(vals);
	return ret;
}
