// SPDX-License-Identifier: GPL-2.0
/*
 * TLS plugin of the key provider: node-to-node TLS 1.3 mutual TLS and the
 * TLS exporter. Built twice from this one file, against OpenSSL 3 and
 * against BoringSSL (OPENSSL_IS_BORINGSSL), into two shared objects that
 * are never loaded into one symbol scope (see ctl/keys/key_provider.c).
 * All sockets are non-blocking; every wait is a poll() with a deadline.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/crypto.h>

#include "keys/kp_tls.h"
#include "lib/clock.h"

#ifdef OPENSSL_IS_BORINGSSL
#define KP_LIB_NAME "boringssl"
#define kp_peer_cert(ssl) SSL_get_peer_certificate(ssl)
#else
#define KP_LIB_NAME "openssl"
#define kp_peer_cert(ssl) SSL_get1_peer_certificate(ssl)
#endif

struct kp_ctx {
	SSL_CTX *ctx;
};

struct kp_sess {
	SSL *ssl;
	X509 *peer;
	int fd;
};

/* Collect the library's error queue into err, prefixed by what. */
static void ssl_err(char *err, size_t len, const char *what)
{
	unsigned long e, last = 0;
	char buf[200] = "";

	while ((e = ERR_get_error()) != 0)
		last = e;
	if (last)
		ERR_error_string_n(last, buf, sizeof(buf));
	snprintf(err, len, "%s%s%s", what, buf[0] ? ": " : "", buf);
}

/*
 * Wait for events on fd until deadline (< 0: forever). stop_fd readable
 * cancels. 0, -ETIMEDOUT, -ECANCELED or -errno.
 */
static int wait_fd(int fd, short events, long long deadline, int stop_fd)
{
	struct pollfd p[2] = {
		{ .fd = fd, .events = events },
		{ .fd = stop_fd, .events = POLLIN },
	};
	int n = stop_fd >= 0 ? 2 : 1, tmo, r;

	for (;;) {
		tmo = -1;
		if (deadline >= 0) {
			long long left = deadline - mono_ms();

			if (left <= 0)
				return -ETIMEDOUT;
			tmo = left > 1 << 30 ? 1 << 30 : (int)left;
		}
		r = poll(p, n, tmo);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ETIMEDOUT;
		if (n == 2 && p[1].revents)
			return -ECANCELED;
		return 0;
	}
}

static const char *kp_version(void)
{
	return OpenSSL_version(OPENSSL_VERSION);
}

static int ctx_load(SSL_CTX *c, const struct kp_tls_cfg *cfg, char *err,
		    size_t len)
{
	char what[300];

	snprintf(what, sizeof(what), "certificate %s", cfg->cert_file);
	if (SSL_CTX_use_certificate_chain_file(c, cfg->cert_file) != 1)
		goto fail;
	snprintf(what, sizeof(what), "private key %s", cfg->key_file);
	if (SSL_CTX_use_PrivateKey_file(c, cfg->key_file, SSL_FILETYPE_PEM)
	    != 1)
		goto fail;
	snprintf(what, sizeof(what), "private key %s does not match %s",
		 cfg->key_file, cfg->cert_file);
	if (SSL_CTX_check_private_key(c) != 1)
		goto fail;
	snprintf(what, sizeof(what), "CA file %s", cfg->ca_file);
	if (SSL_CTX_load_verify_locations(c, cfg->ca_file, NULL) != 1)
		goto fail;
	return 0;
fail:
	ssl_err(err, len, what);
	return -EINVAL;
}

static int kp_ctx_new(const struct kp_tls_cfg *cfg, struct kp_ctx **out,
		      char *err, size_t len)
{
	struct kp_ctx *k;
	int ret = -ENOMEM;

	if (!cfg->cert_file || !cfg->key_file || !cfg->ca_file) {
		snprintf(err, len, "cert, key and CA files are all required");
		return -EINVAL;
	}
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->ctx = SSL_CTX_new(TLS_method());
	if (!k->ctx) {
		ssl_err(err, len, "SSL_CTX_new");
		goto fail;
	}
	ret = -EINVAL;
	if (SSL_CTX_set_min_proto_version(k->ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(k->ctx, TLS1_3_VERSION) != 1) {
		ssl_err(err, len, "TLS 1.3 not available");
		goto fail;
	}
	ret = ctx_load(k->ctx, cfg, err, len);
	if (ret)
		goto fail;
	SSL_CTX_set_verify(k->ctx, SSL_VERIFY_PEER |
			   SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	/* The node session is long-lived and never resumed: no tickets. */
	SSL_CTX_set_num_tickets(k->ctx, 0);
	SSL_CTX_set_options(k->ctx, SSL_OP_NO_TICKET);
	*out = k;
	return 0;
fail:
	SSL_CTX_free(k->ctx);
	free(k);
	return ret;
}

static void kp_ctx_free(struct kp_ctx *k)
{
	if (!k)
		return;
	SSL_CTX_free(k->ctx);
	free(k);
}

static void kp_sess_free(struct kp_sess *s)
{
	if (!s)
		return;
	if (s->ssl) {
		/* Best effort close_notify; the socket is non-blocking. */
		SSL_shutdown(s->ssl);
		SSL_free(s->ssl);
	}
	X509_free(s->peer);
	if (s->fd >= 0)
		close(s->fd);
	free(s);
}

static int kp_sess_fd(struct kp_sess *s)
{
	return s->fd;
}

/* Certificate alerts the peer sent us: it rejected our certificate. */
static int alert_is_cert(unsigned long e)
{
	int alert = ERR_GET_REASON(e) - SSL_AD_REASON_OFFSET;

	return ERR_GET_LIB(e) == ERR_LIB_SSL &&
	       (alert == 42 || alert == 43 || alert == 44 || alert == 45 ||
		alert == 46 || alert == 48 || alert == 49 || alert == 116);
}

/*
 * Turn a failed SSL call into -errno and a message. Returns 1 when the
 * call only has to wait (*events set).
 */
static int ssl_fail(struct kp_sess *s, int r, short *events, char *err,
		    size_t len, const char *what)
{
	int e = SSL_get_error(s->ssl, r), save = errno;
	unsigned long q = ERR_peek_last_error();
	long vr;

	if (e == SSL_ERROR_WANT_READ) {
		*events = POLLIN;
		return 1;
	}
	if (e == SSL_ERROR_WANT_WRITE) {
		*events = POLLOUT;
		return 1;
	}
	if (e == SSL_ERROR_ZERO_RETURN ||
	    (e == SSL_ERROR_SYSCALL && q == 0 && (r == 0 || save == 0 ||
						  save == ECONNRESET ||
						  save == EPIPE))) {
		ERR_clear_error();
		snprintf(err, len, "%s: connection closed by peer", what);
		return -ECONNRESET;
	}
	if (e == SSL_ERROR_SYSCALL && q == 0) {
		snprintf(err, len, "%s: %s", what, strerror(save));
		return -save;
	}
	vr = SSL_get_verify_result(s->ssl);
	if (vr != X509_V_OK) {
		ERR_clear_error();
		snprintf(err, len, "%s: peer certificate rejected: %s", what,
			 X509_verify_cert_error_string(vr));
		return -EKEYREJECTED;
	}
	if (alert_is_cert(q)) {
		ssl_err(err, len, what);
		strncat(err, " (peer rejected our certificate)",
			len - strlen(err) - 1);
		return -EKEYREJECTED;
	}
	ssl_err(err, len, what);
	return -EPROTO;
}

static int do_handshake(struct kp_sess *s, long long deadline, char *err,
			size_t len)
{
	short ev = 0;
	int r;

	for (;;) {
		ERR_clear_error();
		r = SSL_do_handshake(s->ssl);
		if (r == 1)
			break;
		r = ssl_fail(s, r, &ev, err, len, "TLS handshake");
		if (r <= 0)
			return r;
		r = wait_fd(s->fd, ev, deadline, -1);
		if (r) {
			snprintf(err, len, "TLS handshake: %s",
				 r == -ETIMEDOUT ? "timed out" : strerror(-r));
			return r;
		}
	}
	if (SSL_version(s->ssl) != TLS1_3_VERSION) {
		snprintf(err, len, "TLS handshake: not TLS 1.3");
		return -EPROTO;
	}
	s->peer = kp_peer_cert(s->ssl);
	if (!s->peer || SSL_get_verify_result(s->ssl) != X509_V_OK) {
		snprintf(err, len, "TLS handshake: no verified peer certificate");
		return -EKEYREJECTED;
	}
	return 0;
}

static struct kp_sess *sess_new(struct kp_ctx *k, int fd, char *err,
				size_t len)
{
	struct kp_sess *s = calloc(1, sizeof(*s));

	if (!s) {
		snprintf(err, len, "out of memory");
		return NULL;
	}
	s->fd = fd;
	s->ssl = SSL_new(k->ctx);
	if (!s->ssl || SSL_set_fd(s->ssl, fd) != 1) {
		ssl_err(err, len, "SSL_new");
		s->fd = -1;
		kp_sess_free(s);
		return NULL;
	}
	return s;
}

static int tcp_connect(const struct sockaddr_in *addr, long long deadline,
		       char *err, size_t len)
{
	char ip[INET_ADDRSTRLEN] = "?";
	int fd, r, one = 1, soerr = 0;
	socklen_t sl = sizeof(soerr);

	inet_ntop(AF_INET, &addr->sin_addr, ip, sizeof(ip));
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		r = -errno;
		goto fail;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) == 0)
		return fd;
	if (errno != EINPROGRESS) {
		r = -errno;
		goto fail;
	}
	r = wait_fd(fd, POLLOUT, deadline, -1);
	if (r)
		goto fail;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
		soerr = errno;
	if (soerr) {
		r = -soerr;
		goto fail;
	}
	return fd;
fail:
	snprintf(err, len, "connect to key service %s:%u: %s", ip,
		 ntohs(addr->sin_port),
		 r == -ETIMEDOUT ? "timed out" : strerror(-r));
	if (fd >= 0)
		close(fd);
	return r;
}

static int kp_connect(struct kp_ctx *k, const struct sockaddr_in *addr,
		      const char *peer_name, int timeout_ms,
		      struct kp_sess **out, char *err, size_t len)
{
	long long deadline = mono_ms() + timeout_ms;
	struct kp_sess *s;
	int fd, r;

	fd = tcp_connect(addr, deadline, err, len);
	if (fd < 0)
		return fd;
	s = sess_new(k, fd, err, len);
	if (!s) {
		close(fd);
		return -ENOMEM;
	}
	SSL_set_connect_state(s->ssl);
	SSL_set_hostflags(s->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (SSL_set1_host(s->ssl, peer_name) != 1) {
		ssl_err(err, len, "peer node name");
		kp_sess_free(s);
		return -EINVAL;
	}
	r = do_handshake(s, deadline, err, len);
	if (r) {
		kp_sess_free(s);
		return r;
	}
	*out = s;
	return 0;
}

static int kp_accept(struct kp_ctx *k, int fd, int timeout_ms,
		     struct kp_sess **out, char *err, size_t len)
{
	int one = 1, fl, r;
	struct kp_sess *s;

	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		snprintf(err, len, "fcntl: %s", strerror(errno));
		close(fd);
		return -errno;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	s = sess_new(k, fd, err, len);
	if (!s) {
		close(fd);
		return -ENOMEM;
	}
	SSL_set_accept_state(s->ssl);
	r = do_handshake(s, mono_ms() + timeout_ms, err, len);
	if (r) {
		kp_sess_free(s);
		return r;
	}
	*out = s;
	return 0;
}

static int kp_send(struct kp_sess *s, const void *buf, size_t len,
		   int timeout_ms)
{
	long long deadline = mono_ms() + timeout_ms;
	char err[KP_ERR_LEN];
	short ev = 0;
	int r;

	for (;;) {
		ERR_clear_error();
		r = SSL_write(s->ssl, buf, (int)len);
		if (r == (int)len)
			return 0;
		r = ssl_fail(s, r, &ev, err, sizeof(err), "send");
		if (r <= 0)
			return r;
		r = wait_fd(s->fd, ev, deadline, -1);
		if (r)
			return r;
	}
}

static int kp_recv(struct kp_sess *s, void *buf, size_t len, int timeout_ms,
		   int stop_fd)
{
	long long deadline = timeout_ms < 0 ? -1 : mono_ms() + timeout_ms;
	unsigned char *p = buf;
	char err[KP_ERR_LEN];
	size_t got = 0;
	short ev = 0;
	int r;

	while (got < len) {
		ERR_clear_error();
		r = SSL_read(s->ssl, p + got, (int)(len - got));
		if (r > 0) {
			got += r;
			/* The rest of a message must not wait forever. */
			if (deadline < 0)
				deadline = mono_ms() + 5000;
			continue;
		}
		r = ssl_fail(s, r, &ev, err, sizeof(err), "recv");
		if (r <= 0)
			return r;
		r = wait_fd(s->fd, ev, deadline, stop_fd);
		if (r)
			return r;
	}
	return 0;
}

static int kp_export(struct kp_sess *s, const char *label,
		     const unsigned char *context, size_t context_len,
		     unsigned char *out, size_t out_len)
{
	if (SSL_export_keying_material(s->ssl, out, out_len, label,
				       strlen(label), context, context_len,
				       1) != 1) {
		ERR_clear_error();
		return -EPROTO;
	}
	return 0;
}

static int kp_peer_is(struct kp_sess *s, const char *name)
{
	return s->peer &&
	       X509_check_host(s->peer, name, strlen(name),
			       X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, NULL) == 1;
}

/* Printable ASCII only: the name goes to logs. */
static void copy_name(char *dst, size_t len, const unsigned char *src,
		      size_t n)
{
	size_t i;

	for (i = 0; i < n && i + 1 < len; i++)
		dst[i] = src[i] >= 0x21 && src[i] < 0x7f ? src[i] : '?';
	dst[i] = 0;
}

static void kp_peer_name(struct kp_sess *s, char *buf, size_t len)
{
	GENERAL_NAMES *gens;
	int i, n;

	snprintf(buf, len, "?");
	if (!s->peer)
		return;
	gens = X509_get_ext_d2i(s->peer, NID_subject_alt_name, NULL, NULL);
	n = gens ? (int)sk_GENERAL_NAME_num(gens) : 0;
	for (i = 0; i < n; i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);

		if (g->type != GEN_DNS)
			continue;
		copy_name(buf, len, ASN1_STRING_get0_data(g->d.dNSName),
			  ASN1_STRING_length(g->d.dNSName));
		break;
	}
	GENERAL_NAMES_free(gens);
	if (i == n) {
		char cn[128];

		if (X509_NAME_get_text_by_NID(X509_get_subject_name(s->peer),
					      NID_commonName, cn,
					      sizeof(cn)) > 0)
			copy_name(buf, len, (unsigned char *)cn, strlen(cn));
	}
}

static int kp_random(void *buf, size_t len)
{
	return RAND_bytes(buf, len) == 1 ? 0 : -EIO;
}

static void kp_cleanse(void *buf, size_t len)
{
	OPENSSL_cleanse(buf, len);
}

__attribute__((visibility("default")))
const struct kp_tls_ops tcseg_kp_ops = {
	.abi		= KP_TLS_ABI,
	.name		= KP_LIB_NAME,
	.version	= kp_version,
	.ctx_new	= kp_ctx_new,
	.ctx_free	= kp_ctx_free,
	.connect	= kp_connect,
	.accept		= kp_accept,
	.sess_free	= kp_sess_free,
	.sess_fd	= kp_sess_fd,
	.send		= kp_send,
	.recv		= kp_recv,
	.export		= kp_export,
	.peer_is	= kp_peer_is,
	.peer_name	= kp_peer_name,
	.random		= kp_random,
	.cleanse	= kp_cleanse,
};
