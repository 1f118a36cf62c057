/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Key provider (docs/KEYS.md): per-flow kTLS keys
 * agreed between the two nodes of a flow, from one of two providers behind
 * struct kp_provider_ops (docs/KEYS.md §6):
 *  - the node protocol (ctl/keys/key_provider.c, modes openssl and
 *    boringssl): a TLS 1.3 mTLS session between the nodes' key
 *    services, each flow's keys from the TLS exporter; its TLS code is a
 *    plugin dlopen()ed from libtcseg_kp_{openssl,boringssl}.so (the
 *    part links no SSL library, only libcrypto's HKDF, docs/KEYS.md §10);
 *  - the TLSHub client (ctl/keys/kp_tlshub.c over tlshub_client.c, mode
 *    tlshub).
 * The facade (ctl/keys/kp_facade.c) starts the provider of the mode and, in
 * mode tlshub, the fallback_mode one behind it (docs/KEYS.md §6,
 * docs/CONFIG.md).
 */
#ifndef TCSEG_KEY_PROVIDER_H
#define TCSEG_KEY_PROVIDER_H

#include <stddef.h>
#include <netinet/in.h>
#include "tcseg_keys.h"
#include "keys/tlshub_client.h"

#define KP_EXPORTER_LABEL	"EXPORTER-tcseg-ktls-v1"
#define KP_NONCE_LEN		16
#define KP_CONTEXT_LEN		30	/* see docs/KEYS.md §context */
#define KP_CONTEXT6_LEN		54	/* IPv6 flows: 16-byte addresses */
#define KP_NODE_NAME_MAX	64
#define KP_DEFAULT_PORT		7443

/* Wire format of the node session (docs/KEYS.md §wire). */
#define KP_MSG_MAGIC		"TKP1"
#define KP_MSG_ANNOUNCE		1
#define KP_MSG_ACK		2
#define KP_MSG_END		3	/* one end of a flow secured/failed */
#define KP_MSG_EPOCH		4	/* client confirms the pair secret */
#define KP_MSG_ANNOUNCE6	5	/* ANNOUNCE of an IPv6 flow */
#define KP_MSG_END6		6	/* END of an IPv6 flow */
#define KP_REQ_LEN		36
#define KP_REQ6_LEN		68	/* KP_REQ_LEN + both IPv6 addresses */
#define KP_ACK_LEN		24
#define KP_FP_LEN		8	/* key fingerprint in KP_MSG_END */

/*
 * Who owns an address: fills the node's name and the address of its key
 * service. addr is network order (a pod IP, as in struct flow_tuple).
 * Returns 0, or -ENOENT when the address belongs to no known node.
 * Called from the caller's thread and from the key service threads.
 */
typedef int (*kp_lookup_fn)(void *arg, __u32 addr, char *node,
			    size_t node_len, struct sockaddr_in *svc);
/* Same for an IPv6 pod address (16 bytes); the node's service is IPv4. */
typedef int (*kp_lookup6_fn)(void *arg, const __u8 *addr6, char *node,
			     size_t node_len, struct sockaddr_in *svc);

/*
 * MODE_TLSHUB's fallback (docs/CONFIG.md fallback_mode): the provider
 * used when TLSHub cannot start or cannot serve a flow; NONE = no
 * fallback, such flows fail closed.
 */
enum kp_fallback {
	KP_FALLBACK_OPENSSL = 0,
	KP_FALLBACK_BORINGSSL = 1,
	KP_FALLBACK_NONE = 2,
};

enum kp_log_level { KP_LOG_ERR, KP_LOG_WARN, KP_LOG_INFO, KP_LOG_DEBUG };
typedef void (*kp_log_fn)(void *arg, int level, const char *msg);

struct kp_config {
	const char *node_name;	/* this node; must be named by its cert */
	const char *cert_file;	/* PEM certificate (chain) of this node */
	const char *key_file;	/* PEM private key */
	const char *ca_file;	/* PEM CA that signs every node */
	int serve;		/* run the key service on `listen` */
	struct sockaddr_in listen; /* port 0 with serve: ephemeral port */
	kp_lookup_fn lookup;	/* required */
	kp_lookup6_fn lookup6;	/* NULL: IPv6 flows map to no node */
	void *lookup_arg;
	/*
	 * Key service: may a connection from @addr (network order) start a
	 * handshake at all? Called at accept with lookup_arg; anything else
	 * is closed at once. NULL: every address (docs/SECURITY.md).
	 */
	int (*peer_allowed)(void *arg, __u32 addr);
	/*
	 * Is this pod address (network order) on this node? Called with
	 * lookup_arg; TLSHub's ROLE_AUTO. NULL: always the client.
	 */
	int (*is_local)(void *arg, __u32 addr);
	__u16 cipher;		/* TCSEG_CIPHER_*, 0 = AES-GCM-128 */
	int connect_timeout_ms;	/* TCP connect + TLS handshake, 3000 */
	int io_timeout_ms;	/* one announce round trip, 3000 */
	int flow_wait_ms;	/* server side: wait for an announce, 2000 */
	int flow_ttl_ms;	/* unclaimed announced flows expire, 30000 */
	int idle_timeout_ms;	/* key service closes idle sessions, 600000 */
	const char *plugin_dir;	/* NULL: $TCSEG_KP_DIR, then the exe's dir */
	enum kp_fallback fallback; /* MODE_TLSHUB only, 0 = openssl */
	/*
	 * Flows derived without an announce on one node session before the
	 * client opens a new one (new pair secret); 0 = KP_GUARD_MAX_CLIENT
	 * (ctl/keys/kp_pair.h). The key service takes twice as many.
	 */
	unsigned int guard_max;
	kp_log_fn log;		/* NULL: stderr */
	void *log_arg;
	/*
	 * MODE_TLSHUB: the client's wire settings (protocol, peer_pid,
	 * layout, timeouts; 0 = default). Its cipher is @cipher, its node_ip
	 * comes from @lookup, its is_local from @is_local; its log is
	 * tlshub.log when set, else @log.
	 */
	struct tlshub_config tlshub;
};

/* Which end of the flow the caller's socket is. */
enum kp_role { KP_ROLE_AUTO = 0, KP_ROLE_CLIENT = 1, KP_ROLE_SERVER = 2 };

/*
 * Hand-off sync (docs/DAEMON.md §hand-off): the daemon of one end tells
 * the other end's node that its end is secured (@status 0) or failed
 * (errno), with the fingerprint of the flow's keys (zeros when unknown).
 * The receiving node's key service checks the sender owns that end and
 * calls the handler (also called directly for a same-node flow).
 */
typedef void (*kp_end_fn)(void *arg, const struct flow_tuple *t,
			  enum kp_role end, int status,
			  const unsigned char *fp);
void key_provider_set_end_handler(kp_end_fn fn, void *arg);
/* Tell the other end of @t that end @end is secured/failed. 0 or -errno. */
int key_provider_tell_end(const struct flow_tuple *t, enum kp_role end,
			  int status, const unsigned char *fp);

struct kp_stats {
	__u64 handshakes;	/* client sessions opened */
	__u64 reuses;		/* flows announced on an open session */
	__u64 announced;	/* flows this node announced (client) */
	__u64 received;		/* announces accepted by the key service */
	__u64 rejected;		/* announces refused (auth, malformed) */
	__u64 claimed;		/* server-side get_key satisfied */
	__u64 expired;		/* announced flows never claimed */
	__u64 accepts;		/* key service handshakes that succeeded */
	__u64 accept_errors;	/* ... that failed */
	__u64 refused_unknown;	/* closed at accept: peer_allowed said no */
	__u64 refused_busy;	/* ... source had KP_MAX_PREAUTH_PER_SRC */
	__u64 derived;		/* flows keyed from the pair secret and the
				 * ISNs, without an announce (docs/KEYS.md) */
	__u64 epochs;		/* pair secrets confirmed (both sides) */
};

/* Key service connections one address may have before authentication. */
#define KP_MAX_PREAUTH_PER_SRC	4

/* --- the process-wide API, one provider (docs/KEYS.md §7) --- */
int key_provider_configure(const struct kp_config *cfg);
int key_provider_init(enum key_provider_mode mode);
void key_provider_cleanup(void);
int key_provider_get_key(struct flow_tuple *tuple,
			 struct tls_key_info *key_info);
void key_provider_set_mode(enum key_provider_mode mode);
enum key_provider_mode key_provider_get_mode(void);
/* Same as get_key with the socket's end given (AUTO = from lookup). */
int key_provider_get_key_role(struct flow_tuple *tuple, enum kp_role role,
			      struct tls_key_info *key_info);
/*
 * Same, with the connection's ISNs (ctl/keys/kp_isn.h) for the TLSHub key
 * schedule (NULL: the process-wide API's; docs/KEYS.md §uniqueness).
 */
int key_provider_get_key_conn(struct flow_tuple *tuple,
			      const struct flow_isn *isn, enum kp_role role,
			      struct tls_key_info *key_info);
/* TLS provider behind the current mode: "openssl", "boringssl", "none". */
const char *key_provider_tls_name(void);
/* Actual key service port (host order), 0 when not serving. */
int key_provider_port(void);
/* Counters since init, kept across set_mode (monotonic). */
void key_provider_stats(struct kp_stats *st);
/* Why the last call in this thread failed (never contains key bytes). */
const char *key_provider_last_error(void);

/*
 * One key provider (docs/KEYS.md §6). @st is the provider's own
 * state, made by init. The node protocol implements all of it; TLSHub
 * has no node counters, no key service and no hand-off sync (NULL).
 */
struct kp_provider_ops {
	const char *name;
	/* Start for @mode; @cfg stays valid until cleanup. 0 or -errno. */
	int (*init)(const struct kp_config *cfg, enum key_provider_mode mode,
		    void **st);
	/* The flow's keys for the socket's end; -errno leaves @ki zero. */
	int (*get_key)(void *st, const struct flow_tuple *t,
		       const struct flow_isn *isn, enum kp_role role,
		       struct tls_key_info *ki);
	void (*stats)(void *st, struct kp_stats *out);	/* fills @out */
	void (*cleanup)(void *st);
	int (*tell_end)(void *st, const struct flow_tuple *t,
			enum kp_role end, int status,
			const unsigned char *fp);
	int (*port)(void *st);			/* key service port */
	const char *(*tls_name)(void *st);	/* "openssl", "boringssl" */
};

/* key_provider.c, kp_tlshub.c */
extern const struct kp_provider_ops kp_node_provider;
extern const struct kp_provider_ops kp_tlshub_provider;

/*
 * Tests: run MODE_TLSHUB on @ops instead of kp_tlshub_provider (NULL:
 * back to it). Takes effect at the next init.
 */
void key_provider_set_tlshub_ops(const struct kp_provider_ops *ops);

/*
 * For the facade and the providers: a config checked (0 or -EINVAL with
 * the reason), copied with its strings and defaults, and freed.
 */
int kp_config_check(const struct kp_config *cfg);
void kp_config_copy(struct kp_config *dst, const struct kp_config *src);
void kp_config_free(struct kp_config *c);
/*
 * Log through cfg->log (NULL cfg: stderr); kp_fail also keeps the text
 * for key_provider_last_error() and returns @err.
 */
void kp_logf(const struct kp_config *cfg, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int kp_fail(const struct kp_config *cfg, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* --- instances: several nodes in one process (tests, tools) --- */
struct kp_node;
struct kp_tls_ops;

int kp_node_new(const struct kp_config *cfg, enum key_provider_mode mode,
		struct kp_node **out);
void kp_node_free(struct kp_node *n);
int kp_node_get_key(struct kp_node *n, const struct flow_tuple *tuple,
		    enum kp_role role, struct tls_key_info *ki);
/*
 * With the connection's ISNs (@isn, may be NULL): keys derived from the
 * node session's pair secret without a message when a session is up and
 * the context is new on it; else (no ISNs, a repeated context) the
 * announce (docs/KEYS.md §2).
 */
int kp_node_get_key_conn(struct kp_node *n, const struct flow_tuple *tuple,
			 const struct flow_isn *isn, enum kp_role role,
			 struct tls_key_info *ki);
int kp_node_port(struct kp_node *n);
int kp_node_tell_end(struct kp_node *n, const struct flow_tuple *t,
		     enum kp_role end, int status, const unsigned char *fp);
void kp_node_stats(struct kp_node *n, struct kp_stats *st);
/* The loaded TLS plugin (tests use it to build messages by hand). */
const struct kp_tls_ops *kp_node_tls(struct kp_node *n);
struct kp_ctx *kp_node_ctx(struct kp_node *n);
/* "openssl", "boringssl", "tlshub" */
const char *kp_mode_name(enum key_provider_mode mode);

#endif
