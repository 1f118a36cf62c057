// SPDX-License-Identifier: GPL-2.0
/*
 * The per-flow key schedule without a message (docs/KEYS.md §2): HKDF
 * over the node session's pair secret with the flow's tuple and ISNs,
 * and the guard that refuses a context twice on one session (§9).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "keys/kp_pair.h"
#include "keys/tlshub_hkdf.h"

#define GUARD_CAP0	1024u

void kp_keys_from(const unsigned char *km, int kl, __u16 cipher, int server,
		  struct tls_key_info *ki)
{
	const unsigned char *ck = km, *sk = km + kl;
	const unsigned char *civ = km + 2 * kl, *siv = civ + TCSEG_IV_LEN;

	memset(ki, 0, sizeof(*ki));
	memcpy(ki->key, server ? sk : ck, kl);
	memcpy(ki->iv, server ? siv : civ, TCSEG_IV_LEN);
	memcpy(ki->rx_key, server ? ck : sk, kl);
	memcpy(ki->rx_iv, server ? civ : siv, TCSEG_IV_LEN);
	ki->key_len = kl;
	ki->iv_len = TCSEG_IV_LEN;
	ki->version = TCSEG_TLS_1_3;
	ki->cipher = cipher;
}

static void put16(unsigned char *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put32(unsigned char *p, __u32 v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

size_t kp_pair_context(const struct flow_tuple *t, const struct flow_isn *isn,
		       __u16 cipher, unsigned char *c)
{
	memcpy(c, &t->saddr, 4);
	memcpy(c + 4, &t->daddr, 4);
	put16(c + 8, t->sport);
	put16(c + 10, t->dport);
	put32(c + 12, isn->client);
	put32(c + 16, isn->server);
	put16(c + 20, cipher);
	if (!flow_is_v6(t))
		return KP_FLOW_CTX_LEN;
	/* IPv6: the IPv4 words are zero; the family and addresses follow */
	c[KP_FLOW_CTX_LEN] = 6;
	memcpy(c + KP_FLOW_CTX_LEN + 1, t->saddr6, 16);
	memcpy(c + KP_FLOW_CTX_LEN + 17, t->daddr6, 16);
	return KP_FLOW_CTX6_LEN;
}

int kp_pair_init(struct kp_pair *p, const unsigned char *secret,
		 unsigned int max)
{
	memset(p, 0, sizeof(*p));
	memcpy(p->secret, secret, KP_PAIR_SECRET_LEN);
	p->max = max;
	p->cap = GUARD_CAP0;
	p->slot = calloc(p->cap, sizeof(*p->slot));
	if (!p->slot) {
		kp_pair_clear(p);
		return -ENOMEM;
	}
	return th_hkdf_expand_label(p->secret, KP_EPOCH_LABEL, NULL, 0,
				    p->epoch, KP_EPOCH_LEN);
}

void kp_pair_clear(struct kp_pair *p)
{
	if (p->slot)
		explicit_bzero(p->slot, p->cap * sizeof(*p->slot));
	free(p->slot);
	explicit_bzero(p, sizeof(*p));
}

static int guard_put(__u64 *slot, unsigned int cap, __u64 tag)
{
	unsigned int i = (unsigned int)tag & (cap - 1);

	while (slot[i]) {
		if (slot[i] == tag)
			return -EEXIST;
		i = (i + 1) & (cap - 1);
	}
	slot[i] = tag;
	return 0;
}

/* Room for one more tag at load <= 1/2: double the table. */
static int guard_grow(struct kp_pair *p)
{
	unsigned int cap = p->cap * 2, i;
	__u64 *s;

	if (2 * (p->used + 1) <= p->cap)
		return 0;
	s = calloc(cap, sizeof(*s));
	if (!s)
		return -ENOMEM;
	for (i = 0; i < p->cap; i++)
		if (p->slot[i])
			guard_put(s, cap, p->slot[i]);
	explicit_bzero(p->slot, p->cap * sizeof(*p->slot));
	free(p->slot);
	p->slot = s;
	p->cap = cap;
	return 0;
}

/*
 * Take the context's tag (keyed: the last 8 bytes of the flow's key
 * schedule output, independent of the key bytes before them; distinct
 * contexts collide with chance 2^-64, which only sends that flow to the
 * announce).
 */
static int guard_take(struct kp_pair *p, const unsigned char *t)
{
	__u64 tag;
	int r;

	memcpy(&tag, t, sizeof(tag));
	tag |= 1;		/* never 0, the free slot */
	if (p->used >= p->max)
		return -ENOSPC;
	r = guard_grow(p);
	if (r)
		return r;
	r = guard_put(p->slot, p->cap, tag);
	p->used += !r;
	return r;
}

int kp_pair_derive(struct kp_pair *p, const struct flow_tuple *t,
		   const struct flow_isn *isn, __u16 cipher, int server,
		   struct tls_key_info *ki)
{
	unsigned char ctx[KP_FLOW_CTX6_LEN];
	unsigned char km[2 * TCSEG_KEY_LEN_MAX + 2 * TCSEG_IV_LEN +
			 KP_GUARD_TAG_LEN];
	int kl = tcseg_cipher_key_len(cipher), r;
	size_t cl, n;

	if (kl < 0 || !p->slot)
		return -EINVAL;
	cl = kp_pair_context(t, isn, cipher, ctx);
	/* keys and guard tag from one call (docs/KEYS.md §2.1) */
	n = 2 * kl + 2 * TCSEG_IV_LEN;
	r = th_hkdf_expand_label(p->secret, KP_FLOW_LABEL, ctx, cl, km,
				 n + KP_GUARD_TAG_LEN);
	if (!r)
		r = guard_take(p, km + n);
	if (!r)
		kp_keys_from(km, kl, cipher, server, ki);
	explicit_bzero(km, sizeof(km));
	return r;
}
