// SPDX-License-Identifier: GPL-2.0
/*
 * Key provider: per-flow kTLS keys agreed between two nodes over a reused
 * TLS 1.3 mTLS node session, derived with the TLS exporter (docs/KEYS.md).
 * Client side: announce {tuple, nonce} to the server node, derive.
 * Server side: a key service (listener thread + one thread per peer node
 * session) derives on announce and parks the keys in a table that
 * get_key(server role) claims. The TLS code is a dlopen()ed plugin.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "keys/key_provider.h"
#include "keys/kp_tls.h"
#include "keys/kp_pair.h"
#include "lib/clock.h"

#define KP_MAX_FLOWS		65536
#define KP_MAX_CONNS		256
#define KP_PLUGIN_DIR_DEFAULT	"/usr/local/lib/tcseg"

static __thread char kp_err[KP_ERR_LEN];

struct kp_flow {
	struct flow_tuple tuple;
	struct tls_key_info ki;		/* server orientation */
	long long expires;
	int local;			/* same-node pair, random keys */
	struct kp_flow *next;
};

struct kp_peer {
	char name[KP_NODE_NAME_MAX];
	struct sockaddr_in addr;
	struct kp_sess *sess;
	struct kp_pair pair;		/* of sess, when pair_ok */
	int pair_ok;
	pthread_mutex_t lock;		/* one announce at a time */
	struct kp_peer *next;
};

/*
 * Server side of a node session whose client confirmed the pair secret
 * (KP_MSG_EPOCH): the flows that node derives without announcing.
 */
struct kp_spair {
	struct kp_pair pair;
	char node[KP_NODE_NAME_MAX];	/* the peer certificate's name */
	__u16 cipher;			/* the client node's cipher */
	unsigned long seq;		/* newer sessions have higher ones */
	struct kp_spair *next;
};

struct kp_conn {
	struct kp_node *node;
	int fd;
	__u32 src;			/* peer address, network order */
	pthread_t thread;
	int done;
	int authed;			/* handshake done: a known node */
	struct kp_conn *next;
};

struct kp_node {
	struct kp_config cfg;		/* strings owned */
	enum key_provider_mode mode;
	const struct kp_tls_ops *ops;
	struct kp_ctx *ctx;

	pthread_mutex_t lock;		/* peers, flows, conns, stats */
	pthread_cond_t flow_cv;
	struct kp_peer *peers;
	struct kp_flow *flows;		/* announced, unclaimed; one a tuple */
	unsigned int nflows;
	struct kp_spair *spairs;	/* live sessions' pair secrets */
	unsigned long spair_seq;
	struct kp_stats st;

	int listen_fd;
	int port;
	int stop_pipe[2];
	pthread_t listener;
	int listening;
	struct kp_conn *conns;
	unsigned int nconns;
	long long refuse_log_ms[2];	/* last refusal logged, by reason */
};

/* ---------- small helpers ---------- */

void kp_logf(const struct kp_config *cfg, int level, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "info",
					      "debug" };
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (cfg && cfg->log)
		cfg->log(cfg->log_arg, level, msg);
	else if (level <= KP_LOG_WARN)
		fprintf(stderr, "tcseg key provider: %s: %s\n",
			names[level & 3], msg);
}

int kp_fail(const struct kp_config *cfg, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(kp_err, sizeof(kp_err), fmt, ap);
	va_end(ap);
	kp_logf(cfg, KP_LOG_ERR, "%s", kp_err);
	return err;
}

/* Remember the reason for the caller and log it. Returns err. */
#define fail(n, err, ...) kp_fail((n) ? &(n)->cfg : NULL, err, __VA_ARGS__)

const char *key_provider_last_error(void)
{
	return kp_err;
}

static void ip_str(__u32 addr, char *buf, size_t len)
{
	struct in_addr a = { .s_addr = addr };

	if (!inet_ntop(AF_INET, &a, buf, len))
		snprintf(buf, len, "?");
}

#define KP_TUPLE_STR 128	/* "[v6]:port->[v6]:port" */

static void tuple_str(const struct flow_tuple *t, char *buf, size_t len)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];

	if (flow_is_v6(t)) {
		if (!inet_ntop(AF_INET6, t->saddr6, s, sizeof(s)) ||
		    !inet_ntop(AF_INET6, t->daddr6, d, sizeof(d)))
			snprintf(s, sizeof(s), "?");
		snprintf(buf, len, "[%s]:%u->[%s]:%u", s, t->sport, d,
			 t->dport);
		return;
	}
	ip_str(t->saddr, s, sizeof(s));
	ip_str(t->daddr, d, sizeof(d));
	snprintf(buf, len, "%s:%u->%s:%u", s, t->sport, d, t->dport);
}

const char *kp_mode_name(enum key_provider_mode mode)
{
	const char *name = tcseg_mode_name(mode);

	return name ? name : "?";
}

/* ---------- key schedule (docs/KEYS.md) ---------- */

static void put16(unsigned char *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static __u16 get16(const unsigned char *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

/*
 * saddr daddr (network order) sport dport (BE) nonce[16] cipher (BE);
 * the addresses are 4 bytes each (IPv4, 30 bytes) or 16 (IPv6, 54).
 * Returns the length.
 */
static size_t build_context(const struct flow_tuple *t,
			    const unsigned char *nonce, __u16 cipher,
			    unsigned char *c)
{
	size_t al = flow_is_v6(t) ? 16 : 4;

	memcpy(c, flow_is_v6(t) ? (const void *)t->saddr6 : &t->saddr, al);
	memcpy(c + al, flow_is_v6(t) ? (const void *)t->daddr6 : &t->daddr,
	       al);
	c += 2 * al;
	put16(c, t->sport);
	put16(c + 2, t->dport);
	memcpy(c + 4, nonce, KP_NONCE_LEN);
	put16(c + 4 + KP_NONCE_LEN, cipher);
	return 2 * al + 6 + KP_NONCE_LEN;
}

/*
 * Export client_write_key | server_write_key | client_write_iv |
 * server_write_iv and fill ki for `role` (TX = own write direction).
 */
static int derive(const struct kp_tls_ops *ops, struct kp_sess *s,
		  const struct flow_tuple *t, const unsigned char *nonce,
		  __u16 cipher, enum kp_role role, struct tls_key_info *ki)
{
	unsigned char ctx[KP_CONTEXT6_LEN];
	unsigned char km[2 * TCSEG_KEY_LEN_MAX + 2 * TCSEG_IV_LEN];
	int kl = tcseg_cipher_key_len(cipher), r;
	size_t cl;

	if (kl < 0)
		return -EINVAL;
	cl = build_context(t, nonce, cipher, ctx);
	r = ops->export(s, KP_EXPORTER_LABEL, ctx, cl, km,
			2 * kl + 2 * TCSEG_IV_LEN);
	if (!r)
		kp_keys_from(km, kl, cipher, role == KP_ROLE_SERVER, ki);
	ops->cleanse(km, sizeof(km));
	return r;
}

/* The other end's view of the same keys. */
static void mirror(const struct tls_key_info *a, struct tls_key_info *b)
{
	*b = *a;
	memcpy(b->key, a->rx_key, sizeof(b->key));
	memcpy(b->iv, a->rx_iv, sizeof(b->iv));
	memcpy(b->rx_key, a->key, sizeof(b->rx_key));
	memcpy(b->rx_iv, a->iv, sizeof(b->rx_iv));
}

/* ---------- wire ---------- */

/*
 * The tuple at bytes 8..19 of a request (addresses as they are); an IPv6
 * flow's message (ANNOUNCE6, END6) has zeros at 8..15 and the addresses
 * at 36..67 (docs/KEYS.md §wire).
 */
static void put_tuple(unsigned char *m, const struct flow_tuple *t)
{
	if (flow_is_v6(t)) {
		memcpy(m + KP_REQ_LEN, t->saddr6, 16);
		memcpy(m + KP_REQ_LEN + 16, t->daddr6, 16);
	} else {
		memcpy(m + 8, &t->saddr, 4);
		memcpy(m + 12, &t->daddr, 4);
	}
	put16(m + 16, t->sport);
	put16(m + 18, t->dport);
}

/* Is this message type one of an IPv6 flow (KP_REQ6_LEN bytes)? */
static int msg_is_v6(const unsigned char *m)
{
	return m[4] == KP_MSG_ANNOUNCE6 || m[4] == KP_MSG_END6;
}

static size_t msg_len(const unsigned char *m)
{
	return msg_is_v6(m) ? KP_REQ6_LEN : KP_REQ_LEN;
}

static int get_tuple(const unsigned char *m, struct flow_tuple *t,
		     const char **why)
{
	static const unsigned char zero[16];

	memset(t, 0, sizeof(*t));
	t->sport = get16(m + 16);
	t->dport = get16(m + 18);
	if (!msg_is_v6(m)) {
		memcpy(&t->saddr, m + 8, 4);
		memcpy(&t->daddr, m + 12, 4);
		return 0;
	}
	t->family = FLOW_FAMILY_V6;
	memcpy(t->saddr6, m + KP_REQ_LEN, 16);
	memcpy(t->daddr6, m + KP_REQ_LEN + 16, 16);
	if (memcmp(m + 8, zero, 8)) {
		*why = "IPv6 message with IPv4 addresses";
		return -EPROTO;
	}
	if (!memcmp(t->saddr6, zero, 16) || !memcmp(t->daddr6, zero, 16)) {
		*why = "incomplete tuple";
		return -EPROTO;
	}
	return 0;
}

static void enc_req(unsigned char *m, const struct flow_tuple *t,
		    const unsigned char *nonce, __u16 cipher)
{
	memset(m, 0, KP_REQ6_LEN);
	memcpy(m, KP_MSG_MAGIC, 4);
	m[4] = flow_is_v6(t) ? KP_MSG_ANNOUNCE6 : KP_MSG_ANNOUNCE;
	put16(m + 6, cipher);
	put_tuple(m, t);
	memcpy(m + 20, nonce, KP_NONCE_LEN);
}

static int dec_req(const unsigned char *m, struct flow_tuple *t,
		   unsigned char *nonce, __u16 *cipher, const char **why)
{
	if (memcmp(m, KP_MSG_MAGIC, 4)) {
		*why = "bad magic";
		return -EPROTO;
	}
	if (m[4] != KP_MSG_ANNOUNCE && m[4] != KP_MSG_ANNOUNCE6) {
		*why = "unknown message type";
		return -EPROTO;
	}
	if (m[5]) {
		*why = "reserved byte not zero";
		return -EPROTO;
	}
	*cipher = get16(m + 6);
	memcpy(nonce, m + 20, KP_NONCE_LEN);
	return get_tuple(m, t, why);
}

static void enc_ack(unsigned char *m, int status, const unsigned char *nonce)
{
	memset(m, 0, KP_ACK_LEN);
	memcpy(m, KP_MSG_MAGIC, 4);
	m[4] = KP_MSG_ACK;
	m[5] = status > 255 ? 255 : status;
	memcpy(m + 8, nonce, KP_NONCE_LEN);
}

/*
 * END (36 bytes, docs/KEYS.md §wire): magic, type 3, the end (1 client,
 * 2 server), status (16 bits, 0 = secured, else errno), the tuple, the
 * key fingerprint (8) and a random id (8); the ACK echoes bytes 20..35.
 */
static void enc_end(unsigned char *m, const struct flow_tuple *t,
		    enum kp_role end, int status, const unsigned char *fp,
		    const unsigned char *id)
{
	memset(m, 0, KP_REQ6_LEN);
	memcpy(m, KP_MSG_MAGIC, 4);
	m[4] = flow_is_v6(t) ? KP_MSG_END6 : KP_MSG_END;
	m[5] = (unsigned char)end;
	put16(m + 6, status < 0 || status > 0xffff ? EPROTO : status);
	put_tuple(m, t);
	if (fp)
		memcpy(m + 20, fp, KP_FP_LEN);
	memcpy(m + 28, id, 8);
}

static int dec_end(const unsigned char *m, struct flow_tuple *t,
		   enum kp_role *end, int *status, const char **why)
{
	if (memcmp(m, KP_MSG_MAGIC, 4) ||
	    (m[4] != KP_MSG_END && m[4] != KP_MSG_END6)) {
		*why = "not an end message";
		return -EPROTO;
	}
	if (m[5] != KP_ROLE_CLIENT && m[5] != KP_ROLE_SERVER) {
		*why = "unknown end";
		return -EPROTO;
	}
	*end = m[5];
	*status = get16(m + 6);
	if (get_tuple(m, t, why))
		return -EPROTO;
	if ((!flow_is_v6(t) && (!t->saddr || !t->daddr)) || !t->sport ||
	    !t->dport) {
		*why = "incomplete tuple";
		return -EPROTO;
	}
	return 0;
}

/*
 * EPOCH (36 bytes, docs/KEYS.md §3): magic, type 4, 0, the client node's
 * cipher, 12 zero bytes, the session's epoch (8, derived from the pair
 * secret, public) and a random id (8); the ACK echoes bytes 20..35.
 */
static void enc_epoch(unsigned char *m, const struct kp_pair *pr,
		      __u16 cipher, const unsigned char *id)
{
	memset(m, 0, KP_REQ_LEN);
	memcpy(m, KP_MSG_MAGIC, 4);
	m[4] = KP_MSG_EPOCH;
	put16(m + 6, cipher);
	memcpy(m + 20, pr->epoch, KP_EPOCH_LEN);
	memcpy(m + 28, id, 8);
}

/* The session's pair secret (docs/KEYS.md §2), into @pr. */
static int pair_export(struct kp_node *n, struct kp_sess *s,
		       struct kp_pair *pr, unsigned int max)
{
	unsigned char sec[KP_PAIR_SECRET_LEN];
	int r;

	r = n->ops->export(s, KP_PAIR_LABEL, (const unsigned char *)"", 0,
			   sec, sizeof(sec));
	if (!r)
		r = kp_pair_init(pr, sec, max);
	n->ops->cleanse(sec, sizeof(sec));
	return r;
}

static unsigned int guard_max(const struct kp_node *n, int server)
{
	unsigned int m = n->cfg.guard_max ? n->cfg.guard_max :
			 KP_GUARD_MAX_CLIENT;

	return server ? 2 * m : m;
}

/* Wait on flow_cv until @deadline (ms); caller holds n->lock. */
static void flow_wait(struct kp_node *n, long long deadline)
{
	struct timespec ts = { deadline / 1000, (deadline % 1000) * 1000000 };

	pthread_cond_timedwait(&n->flow_cv, &n->lock, &ts);
}

/* The hand-off's handler of end messages (one per process). */
static struct {
	kp_end_fn fn;
	void *arg;
	pthread_mutex_t lock;
} end_handler = { .lock = PTHREAD_MUTEX_INITIALIZER };

void key_provider_set_end_handler(kp_end_fn fn, void *arg)
{
	pthread_mutex_lock(&end_handler.lock);
	end_handler.fn = fn;
	end_handler.arg = arg;
	pthread_mutex_unlock(&end_handler.lock);
}

static void end_deliver(const struct flow_tuple *t, enum kp_role end,
			int status, const unsigned char *fp)
{
	pthread_mutex_lock(&end_handler.lock);
	if (end_handler.fn)
		end_handler.fn(end_handler.arg, t, end, status, fp);
	pthread_mutex_unlock(&end_handler.lock);
}

/* ---------- plugin loading ---------- */

/*
 * Where the plugins are: cfg->plugin_dir, else $TCSEG_KP_DIR, else the
 * executable's directory or its parent (build/tcsegd, build/tests/x),
 * else KP_PLUGIN_DIR_DEFAULT. Fills path for `mode`.
 */
static int plugin_path(const struct kp_config *cfg,
		       enum key_provider_mode mode, char *path, size_t len)
{
	const char *env = getenv("TCSEG_KP_DIR");
	char exe[PATH_MAX], *slash;
	ssize_t r;
	int i;

	if (cfg->plugin_dir || (env && *env))
		goto fixed;
	r = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	for (i = 0; r > 0 && i < 2; i++) {
		exe[r] = 0;
		slash = strrchr(exe, '/');
		if (!slash)
			break;
		*slash = 0;
		r = slash - exe;
		if (snprintf(path, len, "%s/libtcseg_kp_%s.so", exe,
			     kp_mode_name(mode)) >= (int)len)
			return -ENAMETOOLONG;
		if (access(path, R_OK) == 0)
			return 0;
	}
	env = KP_PLUGIN_DIR_DEFAULT;
fixed:
	if (cfg->plugin_dir)
		env = cfg->plugin_dir;
	return snprintf(path, len, "%s/libtcseg_kp_%s.so", env,
			kp_mode_name(mode)) >= (int)len ? -ENAMETOOLONG : 0;
}

/*
 * RTLD_LOCAL + RTLD_DEEPBIND: the plugin and its SSL library resolve
 * against themselves first, so the OpenSSL and the BoringSSL plugin (same
 * symbol names) can live in one process. Plugins are never unloaded.
 */
static int load_plugin(struct kp_node *n, enum key_provider_mode mode)
{
	const struct kp_tls_ops *ops;
	char path[PATH_MAX];
	void *h;

	if (plugin_path(&n->cfg, mode, path, sizeof(path)))
		return fail(n, -ENAMETOOLONG, "plugin path too long");
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
	if (!h)
		return fail(n, -ENOENT, "cannot load %s key provider: %s",
			    kp_mode_name(mode), dlerror());
	ops = dlsym(h, KP_TLS_OPS_SYMBOL);
	if (!ops || ops->abi != KP_TLS_ABI)
		return fail(n, -ENOEXEC, "%s: no %s with ABI %d", path,
			    KP_TLS_OPS_SYMBOL, KP_TLS_ABI);
	n->ops = ops;
	return 0;
}

/* ---------- announced flow table (server side) ---------- */

static void flow_free(struct kp_node *n, struct kp_flow *f)
{
	explicit_bzero(&f->ki, sizeof(f->ki));
	free(f);
	n->nflows--;
}

static void flows_expire(struct kp_node *n, long long now)
{
	struct kp_flow **pp = &n->flows, *f;

	while ((f = *pp)) {
		if (f->expires > now) {
			pp = &f->next;
			continue;
		}
		*pp = f->next;
		flow_free(n, f);
		n->st.expired++;
	}
}

static int tuple_eq(const struct flow_tuple *a, const struct flow_tuple *b)
{
	/* an IPv4 tuple's saddr6/daddr6 are not part of it (tcseg_keys.h) */
	if (flow_is_v6(a) != flow_is_v6(b) || a->sport != b->sport ||
	    a->dport != b->dport)
		return 0;
	if (flow_is_v6(a))
		return !memcmp(a->saddr6, b->saddr6, 16) &&
		       !memcmp(a->daddr6, b->daddr6, 16);
	return a->saddr == b->saddr && a->daddr == b->daddr;
}

/*
 * Caller holds n->lock. Takes a copy of ki. A tuple has at most one
 * entry: a new announce replaces an unclaimed older one (a 4-tuple is
 * live once at a time; the older one is a retry's leftover or dead).
 */
static int flow_put(struct kp_node *n, const struct flow_tuple *t,
		    const struct tls_key_info *ki, int local)
{
	struct kp_flow *f, **pp;

	flows_expire(n, mono_ms());
	for (pp = &n->flows; (f = *pp); pp = &f->next) {
		if (!tuple_eq(&f->tuple, t))
			continue;
		*pp = f->next;
		flow_free(n, f);
		break;
	}
	if (n->nflows >= KP_MAX_FLOWS)
		return -ENOSPC;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->tuple = *t;
	f->ki = *ki;
	f->local = local;
	f->expires = mono_ms() + n->cfg.flow_ttl_ms;
	for (pp = &n->flows; *pp; pp = &(*pp)->next)
		;
	*pp = f;
	n->nflows++;
	pthread_cond_broadcast(&n->flow_cv);
	return 0;
}

/* Caller holds n->lock. The tuple's entry, removed; 1 if found. */
static int flow_take(struct kp_node *n, const struct flow_tuple *t,
		     struct tls_key_info *ki)
{
	struct kp_flow **pp = &n->flows, *f;

	for (; (f = *pp); pp = &f->next) {
		if (!tuple_eq(&f->tuple, t))
			continue;
		*pp = f->next;
		*ki = f->ki;
		flow_free(n, f);
		n->st.claimed++;
		return 1;
	}
	return 0;
}

static int server_get_key(struct kp_node *n, const struct flow_tuple *t,
			  struct tls_key_info *ki)
{
	long long deadline = mono_ms() + n->cfg.flow_wait_ms;
	char ts_buf[KP_TUPLE_STR];
	int found;

	pthread_mutex_lock(&n->lock);
	for (;;) {
		flows_expire(n, mono_ms());
		found = flow_take(n, t, ki);
		if (found || mono_ms() >= deadline)
			break;
		flow_wait(n, deadline);
	}
	pthread_mutex_unlock(&n->lock);
	if (found)
		return 0;
	tuple_str(t, ts_buf, sizeof(ts_buf));
	return fail(n, -ETIMEDOUT,
		    "flow %s: no key announced by the client node within %d ms",
		    ts_buf, n->cfg.flow_wait_ms);
}

/* Caller holds n->lock. The newest confirmed session from node @name. */
static struct kp_spair *spair_find(struct kp_node *n, const char *name)
{
	struct kp_spair *sp, *best = NULL;

	for (sp = n->spairs; sp; sp = sp->next)
		if (!strcmp(sp->node, name) && (!best || sp->seq > best->seq))
			best = sp;
	return best;
}

/*
 * Server end with the connection's ISNs: the keys from the pair secret of
 * the newest session the client's node (@cn) opened to us, no message.
 * A context already derived on that session (or a full guard) means the
 * client announces this flow: take the announce then.
 */
static int server_derive(struct kp_node *n, const struct flow_tuple *t,
			 const struct flow_isn *isn, const char *cn,
			 struct tls_key_info *ki)
{
	long long deadline = mono_ms() + n->cfg.flow_wait_ms;
	struct kp_spair *sp;
	char ts[64];
	int r;

	pthread_mutex_lock(&n->lock);
	while (!(sp = spair_find(n, cn)) && mono_ms() < deadline)
		flow_wait(n, deadline);
	r = sp ? kp_pair_derive(&sp->pair, t, isn, sp->cipher, 1, ki) :
		 -ETIMEDOUT;
	n->st.derived += !r;
	pthread_mutex_unlock(&n->lock);
	if (r == -EEXIST || r == -ENOSPC)
		return server_get_key(n, t, ki);
	tuple_str(t, ts, sizeof(ts));
	if (r == -ETIMEDOUT)
		return fail(n, r, "flow %s: no node session from node %s "
			    "within %d ms", ts, cn, n->cfg.flow_wait_ms);
	return r ? fail(n, r, "flow %s: key derivation: %s", ts,
			strerror(-r)) : 0;
}

/*
 * Both ends on this node: random keys, the mirror parked for the other
 * socket. With KP_ROLE_AUTO the first caller is the "client"; take and
 * put happen under one lock so two racing callers still pair up.
 */
static int local_get_key(struct kp_node *n, const struct flow_tuple *t,
			 enum kp_role role, struct tls_key_info *ki)
{
	struct tls_key_info mine, other;
	int kl = tcseg_cipher_key_len(n->cfg.cipher), r;

	if (role == KP_ROLE_SERVER)
		return server_get_key(n, t, ki);
	memset(&mine, 0, sizeof(mine));
	pthread_mutex_lock(&n->lock);
	if (role == KP_ROLE_AUTO && flow_take(n, t, ki)) {
		pthread_mutex_unlock(&n->lock);
		return 0;
	}
	r = n->ops->random(mine.key, kl);
	r = r ?: n->ops->random(mine.rx_key, kl);
	r = r ?: n->ops->random(mine.iv, TCSEG_IV_LEN);
	r = r ?: n->ops->random(mine.rx_iv, TCSEG_IV_LEN);
	if (!r) {
		mine.key_len = kl;
		mine.iv_len = TCSEG_IV_LEN;
		mine.version = TCSEG_TLS_1_3;
		mine.cipher = n->cfg.cipher;
		mirror(&mine, &other);
		r = flow_put(n, t, &other, 1);
	}
	pthread_mutex_unlock(&n->lock);
	if (!r)
		*ki = mine;
	explicit_bzero(&mine, sizeof(mine));
	explicit_bzero(&other, sizeof(other));
	return r ? fail(n, r, "same-node flow: %s", strerror(-r)) : 0;
}

/* ---------- client side ---------- */

/* Drop the peer's session and its pair secret. Caller holds p->lock. */
static void peer_drop_sess(struct kp_node *n, struct kp_peer *p)
{
	if (p->sess)
		n->ops->sess_free(p->sess);
	p->sess = NULL;
	if (p->pair_ok)
		kp_pair_clear(&p->pair);
	p->pair_ok = 0;
}

static struct kp_peer *peer_get(struct kp_node *n, const char *name,
				const struct sockaddr_in *addr)
{
	struct kp_peer *p;

	pthread_mutex_lock(&n->lock);
	for (p = n->peers; p; p = p->next)
		if (!strcmp(p->name, name))
			break;
	if (!p) {
		p = calloc(1, sizeof(*p));
		if (p) {
			snprintf(p->name, sizeof(p->name), "%s", name);
			pthread_mutex_init(&p->lock, NULL);
			p->next = n->peers;
			n->peers = p;
		}
	}
	pthread_mutex_unlock(&n->lock);
	if (!p)
		return NULL;
	pthread_mutex_lock(&p->lock);
	if (memcmp(&p->addr.sin_addr, &addr->sin_addr, 4) ||
	    p->addr.sin_port != addr->sin_port) {
		peer_drop_sess(n, p);
		p->addr = *addr;
	}
	return p;
}

/* A session the server closed (idle, restart) is readable: drop it. */
static int sess_alive(struct kp_node *n, struct kp_sess *s)
{
	struct pollfd p = { .fd = n->ops->sess_fd(s), .events = POLLIN };

	return poll(&p, 1, 0) == 0;
}

/*
 * One request @req, one ACK echoing its bytes 20..35: 0 and the server's
 * status in *status, or a transport error.
 */
static int exchange(struct kp_node *n, struct kp_peer *p,
		    const unsigned char *req, int *status)
{
	unsigned char ack[KP_ACK_LEN];
	int r;

	r = n->ops->send(p->sess, req, msg_len(req), n->cfg.io_timeout_ms);
	if (r)
		return r;
	r = n->ops->recv(p->sess, ack, sizeof(ack), n->cfg.io_timeout_ms, -1);
	if (r)
		return r;
	if (memcmp(ack, KP_MSG_MAGIC, 4) || ack[4] != KP_MSG_ACK ||
	    memcmp(ack + 8, req + 20, KP_NONCE_LEN))
		return -EPROTO;
	*status = ack[5];
	return 0;
}

/* Why a message on a (@reused or fresh) session failed. */
static const char *sess_err_str(int r, int reused)
{
	return r == -ETIMEDOUT ? "no answer (timed out)" :
	       r == -EKEYREJECTED ? "the peer rejected this node's "
	       "certificate (TLS alert)" :
	       r == -ECONNRESET && !reused ? "connection closed right after "
	       "the handshake (our certificate rejected?)" : strerror(-r);
}

/*
 * Confirm the new session's pair secret with the server node (EPOCH):
 * once it answers, it has the secret too, and later flows on this session
 * need no message (docs/KEYS.md §2). Caller holds p->lock.
 */
static int pair_confirm(struct kp_node *n, struct kp_peer *p)
{
	unsigned char req[KP_REQ_LEN], id[8];
	int r, st = 0;

	r = pair_export(n, p->sess, &p->pair, guard_max(n, 0));
	if (r)
		return r;
	p->pair_ok = 1;
	r = n->ops->random(id, sizeof(id));
	if (!r) {
		enc_epoch(req, &p->pair, n->cfg.cipher, id);
		r = exchange(n, p, req, &st);
	}
	r = r ?: -st;
	if (r)
		peer_drop_sess(n, p);
	return r;
}

static int open_sess(struct kp_node *n, struct kp_peer *p)
{
	char err[KP_ERR_LEN] = "";
	int r;

	r = n->ops->connect(n->ctx, &p->addr, p->name,
			    n->cfg.connect_timeout_ms, &p->sess, err,
			    sizeof(err));
	if (r)
		return fail(n, r, "node %s: %s", p->name, err);
	pthread_mutex_lock(&n->lock);
	n->st.handshakes++;
	pthread_mutex_unlock(&n->lock);
	r = pair_confirm(n, p);
	if (r)
		return fail(n, r, "node %s: confirming the pair secret: %s",
			    p->name, sess_err_str(r, 0));
	pthread_mutex_lock(&n->lock);
	n->st.epochs++;
	pthread_mutex_unlock(&n->lock);
	return 0;
}

/*
 * The peer's session, opened if there is none or the old one is dead;
 * *reused says whether it was already open. Caller holds p->lock.
 */
static int sess_ready(struct kp_node *n, struct kp_peer *p, int *reused)
{
	if (p->sess && !sess_alive(n, p->sess))
		peer_drop_sess(n, p);
	*reused = p->sess != NULL;
	return *reused ? 0 : open_sess(n, p);
}

/*
 * Announce on the open session (or a new one); a reused session that
 * turns out dead is replaced once. Caller holds p->lock.
 */
static int client_announce(struct kp_node *n, struct kp_peer *p,
			   const struct flow_tuple *t,
			   const unsigned char *nonce)
{
	unsigned char req[KP_REQ6_LEN];
	int tries, r = 0, reused, status = 0;
	char ts[KP_TUPLE_STR];

	tuple_str(t, ts, sizeof(ts));
	enc_req(req, t, nonce, n->cfg.cipher);
	for (tries = 0; tries < 2; tries++) {
		r = sess_ready(n, p, &reused);
		if (r)
			return r;
		r = exchange(n, p, req, &status);
		if (r == 0 && status)	/* the server answered: no retry */
			return fail(n, -status, "node %s refused flow %s: %s",
				    p->name, ts, strerror(status));
		if (r == 0) {
			pthread_mutex_lock(&n->lock);
			n->st.announced++;
			n->st.reuses += reused;
			pthread_mutex_unlock(&n->lock);
			return 0;
		}
		peer_drop_sess(n, p);
		if (!reused)
			break;
	}
	return fail(n, r, "node %s: announcing flow %s: %s", p->name, ts,
		    sess_err_str(r, reused));
}

/*
 * Client end with the connection's ISNs: the keys from the session's pair
 * secret, no message. 1 when the flow must be announced instead (its
 * context was derived before on this session), 0 done, else -errno.
 * A full guard retires the session: the next one has a new secret.
 * Caller holds p->lock.
 */
static int client_derive(struct kp_node *n, struct kp_peer *p,
			 const struct flow_tuple *t,
			 const struct flow_isn *isn, struct tls_key_info *ki)
{
	int tries, reused, r = 0;

	for (tries = 0; tries < 2; tries++) {
		r = sess_ready(n, p, &reused);
		if (r)
			return r;
		r = p->pair_ok ? kp_pair_derive(&p->pair, t, isn,
						 n->cfg.cipher, 0, ki) : 1;
		if (r != -ENOSPC)
			break;
		peer_drop_sess(n, p);
	}
	if (r == -EEXIST || r == -ENOSPC)
		return 1;
	if (r)
		return r < 0 ? fail(n, r, "node %s: key derivation: %s",
				    p->name, strerror(-r)) : r;
	pthread_mutex_lock(&n->lock);
	n->st.derived++;
	n->st.reuses += reused;
	pthread_mutex_unlock(&n->lock);
	return 0;
}

static int client_get_key(struct kp_node *n, const struct flow_tuple *t,
			  const struct flow_isn *isn, const char *peer,
			  const struct sockaddr_in *svc,
			  struct tls_key_info *ki)
{
	unsigned char nonce[KP_NONCE_LEN];
	struct kp_peer *p;
	int r;

	p = peer_get(n, peer, svc);
	if (!p)
		return fail(n, -ENOMEM, "out of memory");
	if (isn) {
		r = client_derive(n, p, t, isn, ki);
		if (r <= 0) {
			pthread_mutex_unlock(&p->lock);
			return r;
		}
	}
	r = n->ops->random(nonce, sizeof(nonce));
	if (r) {
		pthread_mutex_unlock(&p->lock);
		return fail(n, r, "no random bytes for the flow nonce");
	}
	r = client_announce(n, p, t, nonce);
	if (!r) {
		r = derive(n->ops, p->sess, t, nonce, n->cfg.cipher,
			   KP_ROLE_CLIENT, ki);
		if (r)
			fail(n, r, "node %s: exporter failed", peer);
	}
	pthread_mutex_unlock(&p->lock);
	return r;
}

/* ---------- get_key ---------- */

/* The node of the flow's source (@src) or destination pod. */
static int lookup(struct kp_node *n, const struct flow_tuple *t, int src,
		  char *node, struct sockaddr_in *svc)
{
	int r;

	memset(svc, 0, sizeof(*svc));
	node[0] = 0;
	if (flow_is_v6(t))
		r = n->cfg.lookup6 ?
		    n->cfg.lookup6(n->cfg.lookup_arg,
				   src ? t->saddr6 : t->daddr6, node,
				   KP_NODE_NAME_MAX, svc) : -ENOENT;
	else
		r = n->cfg.lookup(n->cfg.lookup_arg, src ? t->saddr : t->daddr,
				  node, KP_NODE_NAME_MAX, svc);
	if (r)
		return -ENOENT;
	node[KP_NODE_NAME_MAX - 1] = 0;
	return node[0] ? 0 : -ENOENT;
}

static int node_get_key(struct kp_node *n, const struct flow_tuple *t,
			const struct flow_isn *isn, enum kp_role role,
			struct tls_key_info *ki)
{
	char sn[KP_NODE_NAME_MAX], dn[KP_NODE_NAME_MAX], ts[KP_TUPLE_STR];
	struct sockaddr_in ssvc, dsvc;
	int s_local, d_local;

	tuple_str(t, ts, sizeof(ts));
	if (lookup(n, t, 1, sn, &ssvc) || lookup(n, t, 0, dn, &dsvc))
		return fail(n, -ENOENT, "flow %s: an address maps to no node",
			    ts);
	s_local = !strcmp(sn, n->cfg.node_name);
	d_local = !strcmp(dn, n->cfg.node_name);
	if (s_local && d_local)
		return local_get_key(n, t, role, ki);
	if (role == KP_ROLE_AUTO)
		role = s_local ? KP_ROLE_CLIENT :
		       d_local ? KP_ROLE_SERVER : KP_ROLE_AUTO;
	if (role == KP_ROLE_CLIENT && s_local) {
		if (!dsvc.sin_port)
			return fail(n, -EDESTADDRREQ,
				    "node %s: no key service address", dn);
		return client_get_key(n, t, isn, dn, &dsvc, ki);
	}
	if (role == KP_ROLE_SERVER && d_local)
		return isn ? server_derive(n, t, isn, sn, ki) :
			     server_get_key(n, t, ki);
	return fail(n, -EINVAL, "flow %s (%s -> %s) has no end on node %s",
		    ts, sn, dn, n->cfg.node_name);
}

int kp_node_get_key_conn(struct kp_node *n, const struct flow_tuple *t,
			 const struct flow_isn *isn, enum kp_role role,
			 struct tls_key_info *ki)
{
	int r;

	if (!n || !t || !ki)
		return fail(n, -EINVAL, "get_key: NULL argument");
	r = node_get_key(n, t, isn, role, ki);
	if (r)
		explicit_bzero(ki, sizeof(*ki));
	return r;
}

int kp_node_get_key(struct kp_node *n, const struct flow_tuple *t,
		    enum kp_role role, struct tls_key_info *ki)
{
	return kp_node_get_key_conn(n, t, NULL, role, ki);
}

/* ---------- hand-off sync ---------- */

int kp_node_tell_end(struct kp_node *n, const struct flow_tuple *t,
		     enum kp_role end, int status, const unsigned char *fp)
{
	static const unsigned char nofp[KP_FP_LEN];
	unsigned char req[KP_REQ6_LEN], id[8];
	char name[KP_NODE_NAME_MAX], ts[KP_TUPLE_STR];
	struct sockaddr_in svc;
	struct kp_peer *p;
	int tries, reused, st = 0, r;

	if (!n || !t || (end != KP_ROLE_CLIENT && end != KP_ROLE_SERVER))
		return fail(n, -EINVAL, "tell_end: bad argument");
	tuple_str(t, ts, sizeof(ts));
	/* the node of the other end */
	if (lookup(n, t, end != KP_ROLE_CLIENT, name, &svc))
		return fail(n, -ENOENT, "flow %s: the other end maps to no "
			    "node", ts);
	if (!strcmp(name, n->cfg.node_name)) {
		end_deliver(t, end, status, fp ? fp : nofp);
		return 0;
	}
	if (!svc.sin_port)
		return fail(n, -EDESTADDRREQ, "node %s: no key service address",
			    name);
	r = n->ops->random(id, sizeof(id));
	if (r)
		return fail(n, r, "no random bytes for the message id");
	enc_end(req, t, end, status, fp, id);
	p = peer_get(n, name, &svc);
	if (!p)
		return fail(n, -ENOMEM, "out of memory");
	for (tries = 0; tries < 2; tries++) {
		r = sess_ready(n, p, &reused);
		if (r)
			break;
		r = exchange(n, p, req, &st);
		if (!r)
			break;
		peer_drop_sess(n, p);
		if (!reused)
			break;
	}
	pthread_mutex_unlock(&p->lock);
	if (r)
		return fail(n, r, "node %s: telling flow %s's end: %s", name,
			    ts, strerror(-r));
	if (st)
		return fail(n, -st, "node %s refused flow %s's end: %s", name,
			    ts, strerror(st));
	return 0;
}

/* ---------- key service (server side) ---------- */

/* Check and park one announce; returns the ack status (errno or 0). */
static int serve_announce(struct kp_node *n, struct kp_sess *s,
			  const struct flow_tuple *t,
			  const unsigned char *nonce, __u16 cipher,
			  const char *peer)
{
	char sn[KP_NODE_NAME_MAX], dn[KP_NODE_NAME_MAX], ts[KP_TUPLE_STR];
	struct sockaddr_in svc;
	struct tls_key_info ki;
	int r;

	tuple_str(t, ts, sizeof(ts));
	if (tcseg_cipher_key_len(cipher) < 0) {
		kp_logf(&n->cfg, KP_LOG_WARN, "key service: node %s: flow %s: "
		       "unsupported cipher %u", peer, ts, cipher);
		return EOPNOTSUPP;
	}
	/* A node may only announce flows of its own pods to ours. */
	if (lookup(n, t, 1, sn, &svc) || !n->ops->peer_is(s, sn) ||
	    lookup(n, t, 0, dn, &svc) || strcmp(dn, n->cfg.node_name)) {
		kp_logf(&n->cfg, KP_LOG_WARN, "key service: node %s may not "
		       "announce flow %s", peer, ts);
		return EACCES;
	}
	r = derive(n->ops, s, t, nonce, cipher, KP_ROLE_SERVER, &ki);
	if (!r) {
		pthread_mutex_lock(&n->lock);
		r = flow_put(n, t, &ki, 0);
		n->st.received += !r;
		pthread_mutex_unlock(&n->lock);
	}
	explicit_bzero(&ki, sizeof(ki));
	if (r)
		kp_logf(&n->cfg, KP_LOG_WARN, "key service: flow %s: %s", ts,
		       strerror(-r));
	return -r;
}

/*
 * An END message: the sender must be the node of the end it speaks for,
 * and the other end must be ours. Returns the ack status.
 */
static int serve_end(struct kp_node *n, struct kp_sess *s,
		     const unsigned char *req, const char *peer)
{
	char sn[KP_NODE_NAME_MAX], dn[KP_NODE_NAME_MAX], ts[KP_TUPLE_STR];
	struct sockaddr_in svc;
	struct flow_tuple t;
	enum kp_role end;
	const char *why;
	int status;

	if (dec_end(req, &t, &end, &status, &why)) {
		kp_logf(&n->cfg, KP_LOG_WARN, "key service: node %s: malformed "
		       "end message (%s)", peer, why);
		return EPROTO;
	}
	tuple_str(&t, ts, sizeof(ts));
	if (lookup(n, &t, 1, sn, &svc) || lookup(n, &t, 0, dn, &svc) ||
	    !n->ops->peer_is(s, end == KP_ROLE_CLIENT ? sn : dn) ||
	    strcmp(end == KP_ROLE_CLIENT ? dn : sn, n->cfg.node_name)) {
		kp_logf(&n->cfg, KP_LOG_WARN, "key service: node %s may not "
		       "speak for the %s end of flow %s", peer,
		       end == KP_ROLE_CLIENT ? "client" : "server", ts);
		return EACCES;
	}
	end_deliver(&t, end, status, req + 20);
	return 0;
}

/*
 * EPOCH from the client node of session @s: check it derived the same
 * pair secret, then publish the secret for server_derive(). Once per
 * session. Returns the ack status.
 */
static int serve_epoch(struct kp_node *n, struct kp_sess *s,
		       const unsigned char *req, const char *peer,
		       struct kp_spair **out)
{
	struct kp_spair *sp;
	__u16 cipher = get16(req + 6);
	int r;

	if (*out || req[5] || tcseg_cipher_key_len(cipher) < 0) {
		kp_logf(&n->cfg, KP_LOG_WARN, "key service: node %s: bad epoch "
		       "message", peer);
		return EPROTO;
	}
	sp = calloc(1, sizeof(*sp));
	if (!sp)
		return ENOMEM;
	r = pair_export(n, s, &sp->pair, guard_max(n, 1));
	if (r || memcmp(sp->pair.epoch, req + 20, KP_EPOCH_LEN)) {
		kp_logf(&n->cfg, KP_LOG_WARN, "key service: node %s: pair "
		       "secret %s", peer, r ? strerror(-r) : "differs");
		kp_pair_clear(&sp->pair);
		free(sp);
		return r ? -r : EPROTO;
	}
	snprintf(sp->node, sizeof(sp->node), "%s", peer);
	sp->cipher = cipher;
	pthread_mutex_lock(&n->lock);
	sp->seq = ++n->spair_seq;
	sp->next = n->spairs;
	n->spairs = sp;
	n->st.epochs++;
	pthread_cond_broadcast(&n->flow_cv);
	pthread_mutex_unlock(&n->lock);
	*out = sp;
	return 0;
}

/* The session ended: its pair secret goes. */
static void spair_drop(struct kp_node *n, struct kp_spair *sp)
{
	struct kp_spair **pp;

	if (!sp)
		return;
	pthread_mutex_lock(&n->lock);
	for (pp = &n->spairs; *pp && *pp != sp; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = sp->next;
	pthread_mutex_unlock(&n->lock);
	kp_pair_clear(&sp->pair);
	free(sp);
}

static void serve_sess(struct kp_node *n, struct kp_sess *s,
		       const char *peer)
{
	struct kp_spair *sp = NULL;
	unsigned char req[KP_REQ6_LEN], ack[KP_ACK_LEN];
	unsigned char nonce[KP_NONCE_LEN];
	struct flow_tuple t;
	const char *why;
	__u16 cipher;
	int r, st;

	for (;;) {
		r = n->ops->recv(s, req, KP_REQ_LEN, n->cfg.idle_timeout_ms,
				 n->stop_pipe[0]);
		/* an IPv6 flow's message: its addresses follow */
		if (!r && msg_is_v6(req))
			r = n->ops->recv(s, req + KP_REQ_LEN,
					 KP_REQ6_LEN - KP_REQ_LEN,
					 n->cfg.io_timeout_ms, n->stop_pipe[0]);
		if (r == -ECONNRESET || r == -ECANCELED || r == -ETIMEDOUT)
			break;
		if (r) {
			kp_logf(&n->cfg, KP_LOG_WARN, "key service: node %s: "
			       "%s", peer, strerror(-r));
			break;
		}
		if (req[4] == KP_MSG_EPOCH && !memcmp(req, KP_MSG_MAGIC, 4)) {
			st = serve_epoch(n, s, req, peer, &sp);
			enc_ack(ack, st, req + 20);
			if (n->ops->send(s, ack, sizeof(ack),
					 n->cfg.io_timeout_ms) || st)
				break;
			continue;
		}
		if ((req[4] == KP_MSG_END || req[4] == KP_MSG_END6) &&
		    !memcmp(req, KP_MSG_MAGIC, 4)) {
			st = serve_end(n, s, req, peer);
			enc_ack(ack, st, req + 20);
			if (n->ops->send(s, ack, sizeof(ack),
					 n->cfg.io_timeout_ms) || st == EPROTO)
				break;	/* malformed: error ack, then close */
			continue;
		}
		if (dec_req(req, &t, nonce, &cipher, &why)) {
			kp_logf(&n->cfg, KP_LOG_WARN, "key service: node %s: "
			       "malformed request (%s), closing", peer, why);
			pthread_mutex_lock(&n->lock);
			n->st.rejected++;
			pthread_mutex_unlock(&n->lock);
			enc_ack(ack, EPROTO, req + 20);
			n->ops->send(s, ack, sizeof(ack), n->cfg.io_timeout_ms);
			break;
		}
		st = serve_announce(n, s, &t, nonce, cipher, peer);
		if (st) {
			pthread_mutex_lock(&n->lock);
			n->st.rejected++;
			pthread_mutex_unlock(&n->lock);
		}
		enc_ack(ack, st, nonce);
		explicit_bzero(nonce, sizeof(nonce));
		if (n->ops->send(s, ack, sizeof(ack), n->cfg.io_timeout_ms))
			break;
	}
	spair_drop(n, sp);
}

static void *conn_thread(void *arg)
{
	struct kp_conn *c = arg;
	struct kp_node *n = c->node;
	char err[KP_ERR_LEN] = "", peer[KP_NODE_NAME_MAX], ip[64];
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	struct kp_sess *s = NULL;
	int r;

	if (getpeername(c->fd, (struct sockaddr *)&sa, &sl) == 0)
		snprintf(ip, sizeof(ip), "%s:%u", inet_ntoa(sa.sin_addr),
			 ntohs(sa.sin_port));
	else
		snprintf(ip, sizeof(ip), "?");
	r = n->ops->accept(n->ctx, c->fd, n->cfg.io_timeout_ms, &s, err,
			   sizeof(err));
	c->fd = -1;	/* owned (and closed on failure) by accept */
	pthread_mutex_lock(&n->lock);
	if (r)
		n->st.accept_errors++;
	else
		n->st.accepts++;
	c->authed = !r;
	pthread_mutex_unlock(&n->lock);
	if (r) {
		kp_logf(&n->cfg, KP_LOG_WARN, "key service: %s: %s", ip, err);
		goto out;
	}
	n->ops->peer_name(s, peer, sizeof(peer));
	kp_logf(&n->cfg, KP_LOG_INFO, "key service: node %s connected from %s",
	       peer, ip);
	serve_sess(n, s, peer);
	n->ops->sess_free(s);
out:
	pthread_mutex_lock(&n->lock);
	c->done = 1;
	pthread_mutex_unlock(&n->lock);
	return NULL;
}

/* Join finished connection threads. Caller holds n->lock. */
static void conns_reap(struct kp_node *n, int all)
{
	struct kp_conn **pp = &n->conns, *c;

	while ((c = *pp)) {
		if (!all && !c->done) {
			pp = &c->next;
			continue;
		}
		*pp = c->next;
		pthread_mutex_unlock(&n->lock);
		pthread_join(c->thread, NULL);
		pthread_mutex_lock(&n->lock);
		free(c);
		n->nconns--;
	}
}

/* Connections from @src still before authentication. Caller holds lock. */
static unsigned int preauth_from(const struct kp_node *n, __u32 src)
{
	const struct kp_conn *c;
	unsigned int k = 0;

	for (c = n->conns; c; c = c->next)
		k += c->src == src && !c->authed && !c->done;
	return k;
}

/*
 * Refuse at accept, before any handshake: unknown peers (peer_allowed)
 * and a source that already has KP_MAX_PREAUTH_PER_SRC connections
 * before authentication, so nobody can hold the KP_MAX_CONNS slots with
 * idle connections (docs/SECURITY.md). One log line a second per reason.
 */
static void refuse(struct kp_node *n, __u32 src, int busy)
{
	char ip[INET_ADDRSTRLEN];
	long long now = mono_ms();

	pthread_mutex_lock(&n->lock);
	if (busy)
		n->st.refused_busy++;
	else
		n->st.refused_unknown++;
	if (n->refuse_log_ms[busy] && now - n->refuse_log_ms[busy] < 1000) {
		pthread_mutex_unlock(&n->lock);
		return;
	}
	n->refuse_log_ms[busy] = now;
	pthread_mutex_unlock(&n->lock);
	ip_str(src, ip, sizeof(ip));
	kp_logf(&n->cfg, KP_LOG_WARN, "key service: connection from %s "
	       "refused: %s", ip, busy ? "too many connections before "
	       "authentication from this address" : "not a known node");
}

static void conn_start(struct kp_node *n, int fd, __u32 src)
{
	struct kp_conn *c;

	if (n->cfg.peer_allowed &&
	    !n->cfg.peer_allowed(n->cfg.lookup_arg, src)) {
		refuse(n, src, 0);	/* counted before the peer sees the close */
		close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	pthread_mutex_lock(&n->lock);
	conns_reap(n, 0);
	if (c && preauth_from(n, src) >= KP_MAX_PREAUTH_PER_SRC) {
		pthread_mutex_unlock(&n->lock);
		refuse(n, src, 1);
		close(fd);
		free(c);
		return;
	}
	if (!c || n->nconns >= KP_MAX_CONNS) {
		pthread_mutex_unlock(&n->lock);
		kp_logf(&n->cfg, KP_LOG_WARN, "key service: too many sessions, "
		       "refusing one");
		close(fd);
		free(c);
		return;
	}
	c->node = n;
	c->fd = fd;
	c->src = src;
	if (pthread_create(&c->thread, NULL, conn_thread, c)) {
		pthread_mutex_unlock(&n->lock);
		close(fd);
		free(c);
		return;
	}
	c->next = n->conns;
	n->conns = c;
	n->nconns++;
	pthread_mutex_unlock(&n->lock);
}

static void *listen_thread(void *arg)
{
	struct kp_node *n = arg;
	struct pollfd p[2] = {
		{ .fd = n->listen_fd, .events = POLLIN },
		{ .fd = n->stop_pipe[0], .events = POLLIN },
	};
	struct sockaddr_in sa;
	socklen_t sl;
	int fd;

	for (;;) {
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (!(p[0].revents & POLLIN))
			continue;
		sl = sizeof(sa);
		fd = accept4(n->listen_fd, (struct sockaddr *)&sa, &sl,
			     SOCK_CLOEXEC);
		if (fd >= 0)
			conn_start(n, fd, sa.sin_addr.s_addr);
	}
	return NULL;
}

static int serve_start(struct kp_node *n)
{
	struct sockaddr_in a = n->cfg.listen;
	socklen_t sl = sizeof(a);
	char ip[INET_ADDRSTRLEN];
	int one = 1, r;

	ip_str(a.sin_addr.s_addr, ip, sizeof(ip));
	a.sin_family = AF_INET;
	n->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (n->listen_fd < 0)
		return fail(n, -errno, "key service socket: %s",
			    strerror(errno));
	setsockopt(n->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(n->listen_fd, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(n->listen_fd, 64))
		return fail(n, -errno, "key service on %s:%u: %s", ip,
			    ntohs(a.sin_port), strerror(errno));
	getsockname(n->listen_fd, (struct sockaddr *)&a, &sl);
	n->port = ntohs(a.sin_port);
	r = pthread_create(&n->listener, NULL, listen_thread, n);
	if (r)
		return fail(n, -r, "key service thread: %s", strerror(r));
	n->listening = 1;
	kp_logf(&n->cfg, KP_LOG_INFO, "key service of node %s on %s:%d (%s)",
	       n->cfg.node_name, ip, n->port, n->ops->name);
	return 0;
}

/* ---------- node lifetime ---------- */

void kp_config_copy(struct kp_config *dst, const struct kp_config *src)
{
	*dst = *src;
	dst->node_name = src->node_name ? strdup(src->node_name) : NULL;
	dst->cert_file = src->cert_file ? strdup(src->cert_file) : NULL;
	dst->key_file = src->key_file ? strdup(src->key_file) : NULL;
	dst->ca_file = src->ca_file ? strdup(src->ca_file) : NULL;
	dst->plugin_dir = src->plugin_dir ? strdup(src->plugin_dir) : NULL;
	if (!dst->cipher)
		dst->cipher = TCSEG_CIPHER_AES_GCM_128;
	if (dst->connect_timeout_ms <= 0)
		dst->connect_timeout_ms = 3000;
	if (dst->io_timeout_ms <= 0)
		dst->io_timeout_ms = 3000;
	if (dst->flow_wait_ms <= 0)
		dst->flow_wait_ms = 2000;
	if (dst->flow_ttl_ms <= 0)
		dst->flow_ttl_ms = 30000;
	if (dst->idle_timeout_ms <= 0)
		dst->idle_timeout_ms = 600000;
}

void kp_config_free(struct kp_config *c)
{
	free((char *)c->node_name);
	free((char *)c->cert_file);
	free((char *)c->key_file);
	free((char *)c->ca_file);
	free((char *)c->plugin_dir);
	memset(c, 0, sizeof(*c));
}

int kp_config_check(const struct kp_config *c)
{
	if (!c->node_name || !*c->node_name ||
	    strlen(c->node_name) >= KP_NODE_NAME_MAX)
		return kp_fail(NULL, -EINVAL, "config: node_name missing or "
			       "longer than %d", KP_NODE_NAME_MAX - 1);
	if (!c->cert_file || !c->key_file || !c->ca_file)
		return kp_fail(NULL, -EINVAL, "config: cert_file, key_file "
			       "and ca_file are required");
	if (!c->lookup)
		return kp_fail(NULL, -EINVAL, "config: lookup callback "
			       "required");
	if (c->cipher && tcseg_cipher_key_len(c->cipher) < 0)
		return kp_fail(NULL, -EINVAL, "config: unknown cipher %u",
			       c->cipher);
	if ((unsigned int)c->fallback > KP_FALLBACK_NONE)
		return kp_fail(NULL, -EINVAL, "config: unknown fallback %d",
			       (int)c->fallback);
	return 0;
}

int kp_node_new(const struct kp_config *cfg, enum key_provider_mode mode,
		struct kp_node **out)
{
	struct kp_tls_cfg tc;
	char err[KP_ERR_LEN] = "";
	pthread_condattr_t ca;
	struct kp_node *n;
	int r;

	if (mode != MODE_OPENSSL && mode != MODE_BORINGSSL)
		return kp_fail(NULL, -ENOTSUP, "kp_node_new: mode %s has no "
			       "TLS plugin", kp_mode_name(mode));
	r = kp_config_check(cfg);
	if (r)
		return r;
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	kp_config_copy(&n->cfg, cfg);
	n->mode = mode;
	n->listen_fd = n->stop_pipe[0] = n->stop_pipe[1] = -1;
	pthread_mutex_init(&n->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&n->flow_cv, &ca);
	pthread_condattr_destroy(&ca);
	/* A peer closing mid-write must be an error, not a dead daemon. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		kp_logf(&n->cfg, KP_LOG_WARN, "cannot ignore SIGPIPE");
	r = load_plugin(n, mode);
	if (r)
		goto fail;
	tc.cert_file = n->cfg.cert_file;
	tc.key_file = n->cfg.key_file;
	tc.ca_file = n->cfg.ca_file;
	r = n->ops->ctx_new(&tc, &n->ctx, err, sizeof(err));
	if (r) {
		fail(n, r, "%s: %s", n->ops->name, err);
		goto fail;
	}
	if (pipe2(n->stop_pipe, O_CLOEXEC)) {
		r = fail(n, -errno, "pipe: %s", strerror(errno));
		goto fail;
	}
	if (n->cfg.serve) {
		r = serve_start(n);
		if (r)
			goto fail;
	}
	*out = n;
	return 0;
fail:
	kp_node_free(n);
	return r;
}

void kp_node_free(struct kp_node *n)
{
	struct kp_peer *p;

	if (!n)
		return;
	if (n->stop_pipe[1] >= 0 && write(n->stop_pipe[1], "x", 1) < 0)
		kp_logf(&n->cfg, KP_LOG_WARN, "stop pipe: %s", strerror(errno));
	if (n->listening)
		pthread_join(n->listener, NULL);
	pthread_mutex_lock(&n->lock);
	conns_reap(n, 1);
	while (n->flows) {
		struct kp_flow *f = n->flows;

		n->flows = f->next;
		flow_free(n, f);
	}
	pthread_mutex_unlock(&n->lock);
	while ((p = n->peers)) {
		n->peers = p->next;
		peer_drop_sess(n, p);
		pthread_mutex_destroy(&p->lock);
		free(p);
	}
	if (n->ctx)
		n->ops->ctx_free(n->ctx);
	if (n->listen_fd >= 0)
		close(n->listen_fd);
	if (n->stop_pipe[0] >= 0) {
		close(n->stop_pipe[0]);
		close(n->stop_pipe[1]);
	}
	pthread_cond_destroy(&n->flow_cv);
	pthread_mutex_destroy(&n->lock);
	kp_config_free(&n->cfg);
	free(n);
}

int kp_node_port(struct kp_node *n)
{
	return n ? n->port : 0;
}

void kp_node_stats(struct kp_node *n, struct kp_stats *st)
{
	pthread_mutex_lock(&n->lock);
	flows_expire(n, mono_ms());
	*st = n->st;
	pthread_mutex_unlock(&n->lock);
}

const struct kp_tls_ops *kp_node_tls(struct kp_node *n)
{
	return n->ops;
}

struct kp_ctx *kp_node_ctx(struct kp_node *n)
{
	return n->ctx;
}

/* ---------- the node protocol as a provider (kp_facade.c) ---------- */

static int np_init(const struct kp_config *cfg, enum key_provider_mode mode,
		   void **st)
{
	return kp_node_new(cfg, mode, (struct kp_node **)st);
}

static int np_get_key(void *st, const struct flow_tuple *t,
		      const struct flow_isn *isn, enum kp_role role,
		      struct tls_key_info *ki)
{
	return kp_node_get_key_conn(st, t, isn, role, ki);
}

static void np_stats(void *st, struct kp_stats *out)
{
	kp_node_stats(st, out);
}

static void np_cleanup(void *st)
{
	kp_node_free(st);
}

static int np_tell_end(void *st, const struct flow_tuple *t,
		       enum kp_role end, int status, const unsigned char *fp)
{
	return kp_node_tell_end(st, t, end, status, fp);
}

static int np_port(void *st)
{
	return kp_node_port(st);
}

static const char *np_tls_name(void *st)
{
	return kp_node_tls(st)->name;
}

const struct kp_provider_ops kp_node_provider = {
	.name = "node",
	.init = np_init,
	.get_key = np_get_key,
	.stats = np_stats,
	.cleanup = np_cleanup,
	.tell_end = np_tell_end,
	.port = np_port,
	.tls_name = np_tls_name,
};
