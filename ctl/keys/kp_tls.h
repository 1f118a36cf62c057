/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Interface between the key provider (ctl/keys/key_provider.c, no SSL linkage)
 * and its TLS plugins: ctl/keys/kp_tls.c built once against OpenSSL 3
 * (libtcseg_kp_openssl.so) and once against BoringSSL
 * (libtcseg_kp_boringssl.so). A plugin exports one symbol,
 * `const struct kp_tls_ops tcseg_kp_ops`, and nothing else.
 * Errors are negative errno; `err` buffers get a one-line reason.
 */
#ifndef TCSEG_KP_TLS_H
#define TCSEG_KP_TLS_H

#include <stddef.h>
#include <netinet/in.h>

#define KP_TLS_ABI		1
#define KP_TLS_OPS_SYMBOL	"tcseg_kp_ops"
#define KP_ERR_LEN		256

struct kp_ctx;		/* SSL_CTX + credentials of this node */
struct kp_sess;		/* one established node-to-node TLS 1.3 session */

struct kp_tls_cfg {
	const char *cert_file;	/* this node's certificate (PEM) */
	const char *key_file;	/* its private key (PEM) */
	const char *ca_file;	/* CA that signs every node certificate */
};

struct kp_tls_ops {
	unsigned int abi;	/* KP_TLS_ABI */
	const char *name;	/* "openssl" or "boringssl" */
	const char *(*version)(void);

	int (*ctx_new)(const struct kp_tls_cfg *cfg, struct kp_ctx **out,
		       char *err, size_t errlen);
	void (*ctx_free)(struct kp_ctx *ctx);

	/*
	 * Client: TCP connect to addr, TLS 1.3 mutual handshake, require the
	 * peer certificate to chain to the CA and to name peer_name (SAN DNS,
	 * or CN when there is no SAN). -ECONNREFUSED, -ETIMEDOUT,
	 * -EHOSTUNREACH, -EKEYREJECTED (certificate), -EPROTO (handshake).
	 */
	int (*connect)(struct kp_ctx *ctx, const struct sockaddr_in *addr,
		       const char *peer_name, int timeout_ms,
		       struct kp_sess **out, char *err, size_t errlen);
	/* Server: handshake on an accepted fd (the session owns it). */
	int (*accept)(struct kp_ctx *ctx, int fd, int timeout_ms,
		      struct kp_sess **out, char *err, size_t errlen);
	void (*sess_free)(struct kp_sess *s);
	int (*sess_fd)(struct kp_sess *s);

	/*
	 * Exactly len bytes. timeout_ms bounds the whole call; recv with
	 * timeout_ms < 0 waits for the first byte forever (idle session).
	 * 0 on success, -ECONNRESET on EOF, -ETIMEDOUT, -EPROTO.
	 * stop_fd >= 0: return -ECANCELED when it becomes readable.
	 */
	int (*send)(struct kp_sess *s, const void *buf, size_t len,
		    int timeout_ms);
	int (*recv)(struct kp_sess *s, void *buf, size_t len, int timeout_ms,
		    int stop_fd);

	/* SSL_export_keying_material (TLS 1.3 exporter), context given. */
	int (*export)(struct kp_sess *s, const char *label,
		      const unsigned char *context, size_t context_len,
		      unsigned char *out, size_t out_len);
	/* 1 if the peer's certificate names `name` (X509_check_host). */
	int (*peer_is)(struct kp_sess *s, const char *name);
	/* First SAN DNS name (or CN) of the peer certificate, for logs. */
	void (*peer_name)(struct kp_sess *s, char *buf, size_t len);

	int (*random)(void *buf, size_t len);	/* RAND_bytes */
	void (*cleanse)(void *buf, size_t len);	/* OPENSSL_cleanse */
};

#endif
