// SPDX-License-Identifier: GPL-2.0
/*
 * The key provider facade (one per process, API in key_provider.h):
 * picks the provider of the mode and runs the fallback chain
 * (docs/KEYS.md §6). openssl/boringssl: the node protocol alone. tlshub:
 * the TLSHub client first, then the fallback_mode node for what it
 * cannot serve; fallback_mode none: no node, such flows fail closed.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "keys/key_provider.h"

#define KP_CHAIN_MAX	2

struct kp_slot {
	const struct kp_provider_ops *ops;
	void *st;
};

static struct {
	pthread_rwlock_t lock;		/* write: init/cleanup/mode */
	struct kp_config cfg;
	int configured;
	const struct kp_provider_ops *tlshub; /* NULL: kp_tlshub_provider */
	struct kp_slot chain[KP_CHAIN_MAX];	/* asked in this order */
	int n;
	int tlshub_up;			/* chain[0] is TLSHub */
	enum key_provider_mode mode;
	struct kp_stats past;		/* earlier providers' (set_mode) */
} G = { .lock = PTHREAD_RWLOCK_INITIALIZER, .mode = MODE_OPENSSL };

int key_provider_configure(const struct kp_config *cfg)
{
	int r = kp_config_check(cfg);

	if (r)
		return r;
	pthread_rwlock_wrlock(&G.lock);
	if (G.configured)
		kp_config_free(&G.cfg);
	kp_config_copy(&G.cfg, cfg);
	G.configured = 1;
	pthread_rwlock_unlock(&G.lock);
	return 0;
}

void key_provider_set_tlshub_ops(const struct kp_provider_ops *ops)
{
	pthread_rwlock_wrlock(&G.lock);
	G.tlshub = ops;
	pthread_rwlock_unlock(&G.lock);
}

/* The node mode behind MODE_TLSHUB when TLSHub cannot serve. */
static enum key_provider_mode g_fallback(void)
{
	return G.cfg.fallback == KP_FALLBACK_BORINGSSL ? MODE_BORINGSSL :
	       MODE_OPENSSL;
}

static const char *g_fallback_name(void)
{
	return G.cfg.fallback == KP_FALLBACK_NONE ? "none" :
	       kp_mode_name(g_fallback());
}

/* Start @ops for @mode at the end of the chain. Caller holds G.lock. */
static int g_push(const struct kp_provider_ops *ops,
		  enum key_provider_mode mode)
{
	struct kp_slot *s = &G.chain[G.n];
	int r;

	r = ops->init(&G.cfg, mode, &s->st);
	if (r)
		return r;
	s->ops = ops;
	G.n++;
	return 0;
}

/* Caller holds G.lock. */
static int g_start(enum key_provider_mode mode)
{
	int none = G.cfg.fallback == KP_FALLBACK_NONE, r;

	if (!G.configured)
		return kp_fail(NULL, -EINVAL, "key_provider_init: call "
			       "key_provider_configure first");
	if (mode != MODE_TLSHUB && mode != MODE_OPENSSL &&
	    mode != MODE_BORINGSSL)
		return kp_fail(NULL, -EINVAL, "unknown key provider mode %d",
			       mode);
	if (mode != MODE_TLSHUB) {
		r = g_push(&kp_node_provider, mode);
		if (!r)
			G.mode = mode;
		return r;
	}
	G.tlshub_up = !g_push(G.tlshub ? G.tlshub : &kp_tlshub_provider,
			      MODE_TLSHUB);
	if (!G.tlshub_up)
		kp_logf(&G.cfg, none ? KP_LOG_ERR : KP_LOG_WARN,
		       "TLSHub key provider failed to start; falling back to "
		       "%s%s", g_fallback_name(),
		       none ? ": encrypt flows fail closed" : "");
	if (none) {	/* nothing to fall back to */
		G.mode = MODE_TLSHUB;
		return 0;
	}
	r = g_push(&kp_node_provider, g_fallback());
	if (r && !G.tlshub_up)
		return r;
	if (r)	/* TLSHub works; the fallback does not */
		kp_logf(&G.cfg, KP_LOG_WARN, "%s fallback unavailable",
		       g_fallback_name());
	G.mode = G.tlshub_up ? MODE_TLSHUB : g_fallback();
	return 0;
}

/* Add @b to @a, field by field (struct kp_stats is all __u64). */
static void stats_add(struct kp_stats *a, const struct kp_stats *b)
{
	__u64 *x = (__u64 *)a;
	const __u64 *y = (const __u64 *)b;
	size_t i;

	for (i = 0; i < sizeof(*a) / sizeof(__u64); i++)
		x[i] += y[i];
}

/* Every provider's counters added into @st. Caller holds G.lock. */
static void g_stats(struct kp_stats *st)
{
	struct kp_stats one;
	int i;

	for (i = 0; i < G.n; i++)
		if (G.chain[i].ops->stats) {
			G.chain[i].ops->stats(G.chain[i].st, &one);
			stats_add(st, &one);
		}
}

static void g_stop(void)
{
	int i;

	g_stats(&G.past);	/* counters stay monotonic across restarts */
	for (i = G.n - 1; i >= 0; i--)
		G.chain[i].ops->cleanup(G.chain[i].st);
	memset(G.chain, 0, sizeof(G.chain));
	G.n = 0;
	G.tlshub_up = 0;
}

int key_provider_init(enum key_provider_mode mode)
{
	int r;

	pthread_rwlock_wrlock(&G.lock);
	g_stop();
	r = g_start(mode);
	pthread_rwlock_unlock(&G.lock);
	return r;
}

void key_provider_cleanup(void)
{
	pthread_rwlock_wrlock(&G.lock);
	g_stop();
	memset(&G.past, 0, sizeof(G.past));
	if (G.configured)
		kp_config_free(&G.cfg);
	G.configured = 0;
	pthread_rwlock_unlock(&G.lock);
}

/*
 * Restart in the new mode (open sessions and unclaimed flows are lost);
 * if that fails, go back to the old one.
 */
void key_provider_set_mode(enum key_provider_mode mode)
{
	enum key_provider_mode old;

	pthread_rwlock_wrlock(&G.lock);
	old = G.mode;
	if (mode != old || !G.n) {
		g_stop();
		if (g_start(mode)) {
			kp_logf(&G.cfg, KP_LOG_ERR, "cannot switch to %s, "
			       "staying on %s", kp_mode_name(mode),
			       kp_mode_name(old));
			g_start(old);
		}
	}
	pthread_rwlock_unlock(&G.lock);
}

enum key_provider_mode key_provider_get_mode(void)
{
	return G.mode;
}

/*
 * The node protocol's slot: the provider with the extras (tell_end, port
 * and tls_name come together), or NULL.
 */
static struct kp_slot *g_node(void)
{
	int i;

	for (i = 0; i < G.n; i++)
		if (G.chain[i].ops->tls_name)
			return &G.chain[i];
	return NULL;
}

static const char *slot_name(const struct kp_slot *s)
{
	return s->ops->tls_name ? s->ops->tls_name(s->st) : s->ops->name;
}

/* Read lock: flows run in parallel; the providers have their own locks. */
int key_provider_get_key_conn(struct flow_tuple *tuple,
			      const struct flow_isn *isn, enum kp_role role,
			      struct tls_key_info *key_info)
{
	int r = -ENODEV, i;

	pthread_rwlock_rdlock(&G.lock);
	for (i = 0; i < G.n; i++) {
		r = G.chain[i].ops->get_key(G.chain[i].st, tuple, isn, role,
					    key_info);
		if (!r || i + 1 == G.n)
			break;
		kp_logf(&G.cfg, KP_LOG_WARN, "%s get_key failed (%d); "
		       "falling back to %s for this flow",
		       slot_name(&G.chain[i]), r, slot_name(&G.chain[i + 1]));
	}
	if (r && (!G.n || (G.tlshub_up && G.n == 1)))
		r = G.mode != MODE_TLSHUB ?
		    kp_fail(NULL, -ENODEV, "key provider not initialised") :
		    kp_fail(NULL, G.n ? r : -ENODEV, "TLSHub %s and "
			    "fallback_mode is %s: the flow fails closed",
			    G.n ? "cannot serve the flow" : "not available",
			    g_fallback_name());
	if (r)	/* whatever a failing provider left there */
		explicit_bzero(key_info, sizeof(*key_info));
	pthread_rwlock_unlock(&G.lock);
	return r;
}

int key_provider_get_key_role(struct flow_tuple *tuple, enum kp_role role,
			      struct tls_key_info *key_info)
{
	return key_provider_get_key_conn(tuple, NULL, role, key_info);
}

int key_provider_get_key(struct flow_tuple *tuple,
			 struct tls_key_info *key_info)
{
	return key_provider_get_key_role(tuple, KP_ROLE_AUTO, key_info);
}

int key_provider_tell_end(const struct flow_tuple *t, enum kp_role end,
			  int status, const unsigned char *fp)
{
	struct kp_slot *s;
	int r;

	pthread_rwlock_rdlock(&G.lock);
	s = g_node();
	r = s ? s->ops->tell_end(s->st, t, end, status, fp) :
		kp_fail(NULL, -ENODEV, "key provider not initialised");
	pthread_rwlock_unlock(&G.lock);
	return r;
}

const char *key_provider_tls_name(void)
{
	struct kp_slot *s;
	const char *name;

	pthread_rwlock_rdlock(&G.lock);
	s = g_node();
	name = s ? s->ops->tls_name(s->st) : "none";
	pthread_rwlock_unlock(&G.lock);
	return name;
}

int key_provider_port(void)
{
	struct kp_slot *s;
	int port;

	pthread_rwlock_rdlock(&G.lock);
	s = g_node();
	port = s ? s->ops->port(s->st) : 0;
	pthread_rwlock_unlock(&G.lock);
	return port;
}

void key_provider_stats(struct kp_stats *st)
{
	memset(st, 0, sizeof(*st));
	pthread_rwlock_rdlock(&G.lock);
	g_stats(st);
	stats_add(st, &G.past);
	pthread_rwlock_unlock(&G.lock);
}
