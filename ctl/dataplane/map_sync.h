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

/* Write the @n wanted entries that @old lacks or holds with another value. */
int map_sync_write(int fd, const void *keys, const void *vals, size_t n,
		   const struct kvvec *old, size_t *written);
/* Delete the entries of @old whose key is not among the @n wanted keys. */
int map_sync_prune(int fd, const void *keys, size_t n, const struct kvvec *old,
		   size_t *deleted);

/* Same value for @n keys (e.g. zeroed per-CPU counters), batched. */
int map_write_same(int fd, const void *keys, size_t n, size_t ksize,
		   const void *val, size_t vsize);

#endif
