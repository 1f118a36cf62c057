/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Node-pair secret of one node session and the per-flow key schedule that
 * needs no message: both nodes derive a flow's keys from the session's
 * pair secret, the 4-tuple and the connection's two ISNs (docs/KEYS.md
 * §2). A per-session guard set makes sure no context is derived twice.
 */
#ifndef TCSEG_KP_PAIR_H
#define TCSEG_KP_PAIR_H

#include <stddef.h>
#include "tcseg_keys.h"

#define KP_PAIR_LABEL		"EXPORTER-tcseg-pair-v3"
#define KP_EPOCH_LABEL		"tcseg epoch v3"
/* per flow: keys, IVs, then the guard tag (docs/KEYS.md §2.1) */
#define KP_FLOW_LABEL		"tcseg ktls v3"
#define KP_GUARD_TAG_LEN	8
#define KP_PAIR_SECRET_LEN	32
#define KP_EPOCH_LEN		8
#define KP_FLOW_CTX_LEN		22	/* tuple 12, ISNs 8, cipher 2 */
/* an IPv6 flow: + family (6) + both IPv6 addresses (docs/KEYS.md) */
#define KP_FLOW_CTX6_LEN	(KP_FLOW_CTX_LEN + 1 + 32)
/* flows a session's guard takes before the client opens a new session */
#define KP_GUARD_MAX_CLIENT	(1u << 18)
/* the server side takes twice that: it never fills up before the client */
#define KP_GUARD_MAX_SERVER	(2 * KP_GUARD_MAX_CLIENT)

struct kp_pair {
	unsigned char secret[KP_PAIR_SECRET_LEN];
	unsigned char epoch[KP_EPOCH_LEN];	/* public: names the secret */
	__u64 *slot;		/* guard: tags of derived contexts, 0 = free */
	unsigned int cap;	/* slots, a power of two */
	unsigned int used;
	unsigned int max;	/* tags taken at most */
};

/* Set up from the session's exported secret (copied, caller zeroes its). */
int kp_pair_init(struct kp_pair *p, const unsigned char *secret,
		 unsigned int max);
void kp_pair_clear(struct kp_pair *p);

/*
 * The flow's keys from the pair secret, @role's orientation (TX = own
 * write direction). Takes the context into the guard first: -EEXIST when
 * this context was derived before on this session (the keys would repeat),
 * -ENOSPC when the guard is full; nothing derived then.
 */
int kp_pair_derive(struct kp_pair *p, const struct flow_tuple *t,
		   const struct flow_isn *isn, __u16 cipher, int server,
		   struct tls_key_info *ki);

/* Context bytes (docs/KEYS.md §2), for tests and the derivation. */
size_t kp_pair_context(const struct flow_tuple *t, const struct flow_isn *isn,
		       __u16 cipher, unsigned char *ctx);

/*
 * Fill @ki (role's orientation) from c2s key | s2c key | c2s iv | s2c iv
 * in @km (2 * key length + 2 * TCSEG_IV_LEN bytes).
 */
void kp_keys_from(const unsigned char *km, int kl, __u16 cipher, int server,
		  struct tls_key_info *ki);

#endif
