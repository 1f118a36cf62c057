/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Whole-map I/O for the policy maps: read every entry in batches, and
 * bring a map to a wanted content writing only what differs (batch
 * update, batch delete; one element at a time where a map type has no
 * batch operations).
 */
#ifndef TCSEG_MAP_SYNC_H
#define TCSEG_MAP_SYNC_H

#include <stddef.h>

/* Entries of a map: n keys and n values, packed. */
struct kvvec {
	void *k;
	void *v;
	size_t n;
	size_t ksize;
	size_t vsize;
};

int kv_read(int fd, size_t ksize, size_t vsize, struct kvvec *kv);
void kv_free(struct kvvec *kv);
/* Copy entry @i of keys @k and values @v (NULL: keys only) to the end of
 * @out, which has room for it. */
void kv_append(struct kvvec *out, const void *k, const void *v, size_t i);

/* Entries a sync wrote and deleted (added to). */
struct map_sync_count {
	size_t written;
	size_t deleted;
};

/* What turns a map's content into another: entries to write, keys to delete. */
struct kv_diff {
	struct kvvec put;
	struct kvvec del;	/* keys only */
};

/* The difference from @old to the @n wanted entries (keys, values). */
int kv_diff(const void *keys, const void *vals, size_t n,
	    const struct kvvec *old, struct kv_diff *d);
/* Write, then delete (batched); @count may be NULL. */
int kv_diff_apply(int fd, const struct kv_diff *d,
		  struct map_sync_count *count);
void kv_diff_free(struct kv_diff *d);

/*
 * Bring map @fd from @old (what it holds, kv_read()) to the @n wanted
 * entries: write those @old lacks or holds with another value, delete
 * the keys of @old not wanted; nothing else. @count may be NULL.
 */
int map_sync(int fd, const void *keys, const void *vals, size_t n,
	     const struct kvvec *old, struct map_sync_count *count);

/* Same value for @n keys (e.g. zeroed per-CPU counters), batched. */
int map_write_same(int fd, const void *keys, size_t n, size_t ksize,
		   const void *val, size_t vsize, struct map_sync_count *count);

#endif
