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

/*
 * Where each key of a kvvec is: open addressing, slot = entry index + 1
 * (0 = empty). Hashing keeps the diff of two 100k-entry maps linear; a
 * sort of both by memcmp cost more than the map I/O (docs/BENCHMARKS.md).
 */
struct kv_index {
	const struct kvvec *kv;
	size_t *slot;
	size_t mask;
};

/* murmur3's finalizer: every input bit moves every output bit */
static __u64 mix64(__u64 h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	return h ^ (h >> 33);
}

static size_t key_hash(const void *key, size_t len)
{
	const unsigned char *p = key;
	__u64 h = len, w;

	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&w, p, 8);
		h = mix64(h ^ w);
	}
	if (len) {
		w = 0;
		memcpy(&w, p, len);
		h = mix64(h ^ w);
	}
	return (size_t)h;
}

static int index_build(const struct kvvec *kv, struct kv_index *x)
{
	size_t cap = 16, i, h;

	while (cap < kv->n * 2)
		cap *= 2;
	x->kv = kv;
	x->mask = cap - 1;
	x->slot = calloc(cap, sizeof(*x->slot));
	if (!x->slot)
		return -ENOMEM;
	for (i = 0; i < kv->n; i++) {
		h = key_hash((char *)kv->k + i * kv->ksize, kv->ksize);
		while (x->slot[h & x->mask])
			h++;
		x->slot[h & x->mask] = i + 1;
	}
	return 0;
}

/* Index in @x->kv of @key, or -1. */
static long index_find(const struct kv_index *x, const void *key)
{
	size_t ks = x->kv->ksize, h = key_hash(key, ks), at;

	for (; (at = x->slot[h & x->mask]) != 0; h++)
		if (!memcmp((char *)x->kv->k + (at - 1) * ks, key, ks))
			return (long)(at - 1);
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

static int delete_batch(int fd, const char *k, size_t n, size_t ksize)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	size_t done = 0;
	__u32 cnt;

	while (done < n) {
		cnt = n - done > BATCH ? BATCH : n - done;
		if (bpf_map_delete_batch(fd, k + done * ksize, &cnt, &opts))
			break;
		done += cnt;
	}
	for (; done < n; done++)
		if (bpf_map_delete_elem(fd, k + done * ksize) &&
		    errno != ENOENT)
			return -errno;
	return 0;
}

void kv_append(struct kvvec *out, const void *k, const void *v, size_t i)
{
	memcpy((char *)out->k + out->n * out->ksize,
	       (const char *)k + i * out->ksize, out->ksize);
	if (v)
		memcpy((char *)out->v + out->n * out->vsize,
		       (const char *)v + i * out->vsize, out->vsize);
	out->n++;
}

void kv_diff_free(struct kv_diff *d)
{
	kv_free(&d->put);
	kv_free(&d->del);
}

int kv_diff(const void *keys, const void *vals, size_t n,
	    const struct kvvec *old, struct kv_diff *d)
{
	size_t i, ks = old->ksize, vs = old->vsize;
	unsigned char *seen;
	struct kv_index x;
	long at;
	int ret;

	memset(d, 0, sizeof(*d));
	d->put.ksize = d->del.ksize = ks;
	d->put.vsize = d->del.vsize = vs;
	ret = index_build(old, &x);
	if (ret)
		return ret;
	seen = calloc(old->n ? old->n : 1, 1);
	d->put.k = malloc((n ? n : 1) * ks);
	d->put.v = malloc((n ? n : 1) * vs);
	d->del.k = malloc((old->n ? old->n : 1) * ks);
	if (!seen || !d->put.k || !d->put.v || !d->del.k) {
		ret = -ENOMEM;
		kv_diff_free(d);
		goto out;
	}
	for (i = 0; i < n; i++) {
		at = index_find(&x, (const char *)keys + i * ks);
		if (at >= 0) {
			seen[at] = 1;
			if (!memcmp((char *)old->v + at * vs,
				    (const char *)vals + i * vs, vs))
				continue;
		}
		kv_append(&d->put, keys, vals, i);
	}
	for (i = 0; i < old->n; i++)
		if (!seen[i])
			kv_append(&d->del, old->k, NULL, i);
out:
	free(seen);
	free(x.slot);
	return ret;
}

int kv_diff_apply(int fd, const struct kv_diff *d,
		  struct map_sync_count *count)
{
	/* wanted entries first: a failure leaves extra entries, not holes */
	int ret = write_batch(fd, d->put.k, d->put.v, d->put.n, d->put.ksize,
			      d->put.vsize);

	if (!ret)
		ret = delete_batch(fd, d->del.k, d->del.n, d->del.ksize);
	if (!ret && count) {
		count->written += d->put.n;
		count->deleted += d->del.n;
	}
	return ret;
}

int map_sync(int fd, const void *keys, const void *vals, size_t n,
	     const struct kvvec *old, struct map_sync_count *count)
{
	struct kv_diff d;
	int ret = kv_diff(keys, vals, n, old, &d);

	if (!ret)
		ret = kv_diff_apply(fd, &d, count);
	kv_diff_free(&d);
	return ret;
}

int map_write_same(int fd, const void *keys, size_t n, size_t ksize,
		   const void *val, size_t vsize, struct map_sync_count *count)
{
	char *vals = malloc((n ? n : 1) * vsize);
	size_t i;
	int ret;

	if (!vals)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		memcpy(vals + i * vsize, val, vsize);
	ret = write_batch(fd, keys, vals, n, ksize, vsize);
	if (!ret && count)
		count->written += n;
	free(vals);
	return ret;
}
