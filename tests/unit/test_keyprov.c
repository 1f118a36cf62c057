// SPDX-License-Identifier: GPL-2.0
/*
 * Key provider: two nodes in one process (each with its own TLS plugin)
 * talking over loopback. Mirrored keys for all four library pairings, a
 * known-answer check of the wire format and the exporter context built
 * by hand, and the error paths (wrong CA, rogue cert, wrong node name,
 * peer down, timeouts, hostile peers); no key/IV twice for a reused
 * tuple; the connection ISNs read from real sockets; fallback_mode.
 * Certificates: $TCSEG_KP_CERTS, else tools/gen-certs.sh into a temp dir.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <cmocka.h>

#include "keys/key_provider.h"
#include "keys/kp_isn.h"
#include "keys/kp_pair.h"
#include "keys/tlshub_hkdf.h"
#include "keys/kp_tls.h"
#include "keys_test_util.h"

static char certs[512];
static char plugdir[512];
static int port_a, port_b;	/* key service ports the lookup returns */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char log_all[8192];

/* 10.1/16 = node-a, 10.2/16 = node-b, 10.3/16 = node-c (no service). */
static int lookup(void *arg, __u32 addr, char *node, size_t len,
		  struct sockaddr_in *svc)
{
	__u32 h = ntohl(addr);

	(void)arg;
	svc->sin_family = AF_INET;
	svc->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	switch (h >> 16) {
	case 0x0a01:
		snprintf(node, len, "node-a");
		svc->sin_port = htons(port_a);
		return 0;
	case 0x0a02:
		snprintf(node, len, "node-b");
		svc->sin_port = htons(port_b);
		return 0;
	case 0x0a03:
		snprintf(node, len, "node-c");
		svc->sin_port = htons(1);
		return 0;
	}
	return -ENOENT;
}

/* IPv6 pods: fd00:1::/32 = node-a, fd00:2::/32 = node-b, fd00:3:: node-c. */
static int lookup6(void *arg, const __u8 *a, char *node, size_t len,
		   struct sockaddr_in *svc)
{
	__u32 h = 0;

	memcpy(&h, a, 4);
	h = ntohl(h);
	if ((h >> 16) != 0xfd00 || (h & 0xffff) < 1 || (h & 0xffff) > 3)
		return -ENOENT;
	return lookup(arg, htonl(0x0a000000 | (h & 0xffff) << 16), node, len,
		      svc);
}

static void log_cb(void *arg, int level, const char *msg)
{
	(void)arg;
	(void)level;
	size_t len, ml = strlen(msg);

	pthread_mutex_lock(&log_lock);
	/* keep the newest lines: a long run (10 000 flows) must not fill the
	 * buffer so that a later test's message is silently lost */
	len = strlen(log_all);
	if (len + ml + 2 >= sizeof(log_all)) {
		size_t keep = sizeof(log_all) / 2 > ml + 2 ?
			      sizeof(log_all) / 2 - ml - 2 : 0;

		if (keep > len)
			keep = len;
		memmove(log_all, log_all + len - keep, keep);
		log_all[keep] = '\0';
	}
	if (strlen(log_all) + ml + 2 < sizeof(log_all)) {
		strcat(log_all, msg);
		strcat(log_all, "\n");
	}
	pthread_mutex_unlock(&log_lock);
}

static int log_has(const char *s)
{
	int r;

	pthread_mutex_lock(&log_lock);
	r = strstr(log_all, s) != NULL;
	pthread_mutex_unlock(&log_lock);
	return r;
}

static char *cpath(const char *f)
{
	static char buf[8][600];
	static int i;

	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", certs, f);
	return buf[i];
}

static void cfg_init(struct kp_config *c, const char *name, const char *cert)
{
	char *pem = cpath(cert), *key = strdup(pem);

	memcpy(key + strlen(key) - 4, ".key", 4);
	memset(c, 0, sizeof(*c));
	c->node_name = name;
	c->cert_file = strdup(pem);
	c->key_file = key;
	c->ca_file = strdup(cpath("ca.pem"));
	c->serve = 1;
	c->listen.sin_family = AF_INET;
	c->listen.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c->lookup = lookup;
	c->lookup6 = lookup6;
	c->connect_timeout_ms = 5000;	/* generous: valgrind, loaded CI */
	c->io_timeout_ms = 5000;
	c->flow_wait_ms = 500;
	c->plugin_dir = plugdir;
	c->log = log_cb;
}

static void cfg_fini(struct kp_config *c)
{
	free((char *)c->cert_file);
	free((char *)c->key_file);
	free((char *)c->ca_file);
}

static struct kp_node *node_cfg(struct kp_config *c, enum key_provider_mode m)
{
	struct kp_node *n = NULL;
	int r = kp_node_new(c, m, &n);

	if (r)
		fail_msg("kp_node_new(%s, %s): %d %s", c->node_name,
			 kp_mode_name(m), r, key_provider_last_error());
	return n;
}

static struct kp_node *node(const char *name, const char *cert,
			    enum key_provider_mode m)
{
	struct kp_config c;
	struct kp_node *n;

	cfg_init(&c, name, cert);
	n = node_cfg(&c, m);
	cfg_fini(&c);
	return n;
}

static struct flow_tuple tup(const char *s, __u16 sp, const char *d,
			     __u16 dp)
{
	struct flow_tuple t = { .sport = sp, .dport = dp };

	inet_pton(AF_INET, s, &t.saddr);
	inet_pton(AF_INET, d, &t.daddr);
	return t;
}

static struct flow_tuple tup6(const char *s, __u16 sp, const char *d,
			      __u16 dp)
{
	struct flow_tuple t = { .sport = sp, .dport = dp,
				.family = FLOW_FAMILY_V6 };

	assert_int_equal(inet_pton(AF_INET6, s, t.saddr6), 1);
	assert_int_equal(inet_pton(AF_INET6, d, t.daddr6), 1);
	return t;
}

static double ms_since(const struct timespec *a)
{
	struct timespec b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return (b.tv_sec - a->tv_sec) * 1e3 + (b.tv_nsec - a->tv_nsec) / 1e6;
}

static int is_zero(const void *p, size_t n)
{
	const unsigned char *c = p;

	while (n--)
		if (*c++)
			return 0;
	return 1;
}

static void assert_mirrored(const struct tls_key_info *c,
			    const struct tls_key_info *s, unsigned int kl)
{
	assert_int_equal(c->key_len, kl);
	assert_int_equal(s->key_len, kl);
	assert_int_equal(c->iv_len, 12);
	assert_int_equal(s->iv_len, 12);
	assert_int_equal(c->version, TCSEG_TLS_1_3);
	assert_int_equal(c->cipher, s->cipher);
	assert_true(c->tx_seq == 0 && c->rx_seq == 0);
	assert_true(s->tx_seq == 0 && s->rx_seq == 0);
	assert_memory_equal(c->key, s->rx_key, kl);
	assert_memory_equal(c->iv, s->rx_iv, 12);
	assert_memory_equal(c->rx_key, s->key, kl);
	assert_memory_equal(c->rx_iv, s->iv, 12);
	assert_memory_not_equal(c->key, c->rx_key, kl);
	assert_memory_not_equal(c->iv, c->rx_iv, 12);
	assert_false(is_zero(c->key, kl));
	/* Nothing beyond the key length is set. */
	assert_true(is_zero(c->key + kl, 32 - kl));
}

/*
 * Client on a, server on b, with the connection's ISNs (@isn) or without
 * (NULL: announced); returns both ends' keys.
 */
static void flow_conn(struct kp_node *a, struct kp_node *b,
		      const struct flow_tuple *t, const struct flow_isn *isn,
		      struct tls_key_info *ck, struct tls_key_info *sk)
{
	int r = kp_node_get_key_conn(a, t, isn, KP_ROLE_CLIENT, ck);

	if (r)
		fail_msg("client get_key: %d %s", r, key_provider_last_error());
	r = kp_node_get_key_conn(b, t, isn, KP_ROLE_SERVER, sk);
	if (r)
		fail_msg("server get_key: %d %s", r, key_provider_last_error());
}

static void flow(struct kp_node *a, struct kp_node *b,
		 const struct flow_tuple *t, struct tls_key_info *ck,
		 struct tls_key_info *sk)
{
	flow_conn(a, b, t, NULL, ck, sk);
}

/* ---------- agreement ---------- */

static void pair(enum key_provider_mode ma, enum key_provider_mode mb)
{
	struct kp_node *a = node("node-a", "node-a.pem", ma);
	struct kp_node *b = node("node-b", "node-b.pem", mb);
	struct flow_tuple t1 = tup("10.1.0.1", 40000, "10.2.0.1", 443);
	struct flow_tuple t2 = tup("10.1.0.1", 40001, "10.2.0.1", 443);
	struct flow_tuple t3 = tup("10.2.0.7", 50000, "10.1.0.9", 80);
	struct tls_key_info c1, s1, c2, s2, c3, s3;
	struct timespec ts;
	struct kp_stats st;
	double first, later;

	port_a = kp_node_port(a);
	port_b = kp_node_port(b);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	flow(a, b, &t1, &c1, &s1);
	first = ms_since(&ts);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	flow(a, b, &t2, &c2, &s2);
	later = ms_since(&ts);
	assert_mirrored(&c1, &s1, 16);
	assert_mirrored(&c2, &s2, 16);
	assert_memory_not_equal(c1.key, c2.key, 16);
	/* The other direction uses b's own session to a. */
	flow(b, a, &t3, &c3, &s3);
	assert_mirrored(&c3, &s3, 16);
	kp_node_stats(a, &st);
	assert_int_equal(st.handshakes, 1);
	assert_int_equal(st.reuses, 1);
	assert_int_equal(st.announced, 2);
	assert_int_equal(st.claimed, 1);
	kp_node_stats(b, &st);
	assert_int_equal(st.received, 2);
	assert_int_equal(st.claimed, 2);
	printf("# %s->%s: first flow (handshake) %.2f ms, next flow %.2f ms\n",
	       kp_mode_name(ma), kp_mode_name(mb), first, later);
	kp_node_free(a);
	kp_node_free(b);
}

static void test_pair_openssl_openssl(void **st)
{
	(void)st;
	pair(MODE_OPENSSL, MODE_OPENSSL);
}

static void test_pair_boringssl_boringssl(void **st)
{
	(void)st;
	pair(MODE_BORINGSSL, MODE_BORINGSSL);
}

static void test_pair_openssl_boringssl(void **st)
{
	(void)st;
	pair(MODE_OPENSSL, MODE_BORINGSSL);
}

static void test_pair_boringssl_openssl(void **st)
{
	(void)st;
	pair(MODE_BORINGSSL, MODE_OPENSSL);
}

/* Same 4-tuple twice (port reuse): fresh nonce, fresh keys. */
static void test_same_tuple_new_keys(void **state)
{
	struct kp_node *a = node("node-a", "node-a.pem", MODE_OPENSSL);
	struct kp_node *b = node("node-b", "node-b.pem", MODE_BORINGSSL);
	struct flow_tuple t = tup("10.1.0.1", 40000, "10.2.0.1", 443);
	struct tls_key_info c1, s1, c2, s2;

	(void)state;
	port_a = kp_node_port(a);
	port_b = kp_node_port(b);
	flow(a, b, &t, &c1, &s1);
	flow(a, b, &t, &c2, &s2);
	assert_mirrored(&c2, &s2, 16);
	assert_memory_not_equal(c1.key, c2.key, 16);
	assert_memory_not_equal(c1.iv, c2.iv, 12);
	assert_memory_not_equal(c1.rx_key, c2.rx_key, 16);
	/* Announced twice before the server claims: the newer one wins. */
	assert_int_equal(kp_node_get_key(a, &t, KP_ROLE_AUTO, &c1), 0);
	assert_int_equal(kp_node_get_key(a, &t, KP_ROLE_AUTO, &c2), 0);
	assert_int_equal(kp_node_get_key(b, &t, KP_ROLE_AUTO, &s2), 0);
	assert_mirrored(&c2, &s2, 16);
	assert_int_equal(kp_node_get_key(b, &t, KP_ROLE_AUTO, &s1),
			 -ETIMEDOUT);
	kp_node_free(a);
	kp_node_free(b);
}

static void cipher_case(__u16 cipher, unsigned int kl)
{
	struct kp_config c;
	struct kp_node *a, *b = node("node-b", "node-b.pem", MODE_OPENSSL);
	struct flow_tuple t = tup("10.1.0.1", 40000, "10.2.0.1", 443);
	struct tls_key_info ck, sk;

	cfg_init(&c, "node-a", "node-a.pem");
	c.cipher = cipher;
	a = node_cfg(&c, MODE_BORINGSSL);
	cfg_fini(&c);
	port_b = kp_node_port(b);
	flow(a, b, &t, &ck, &sk);
	assert_int_equal(ck.cipher, cipher);
	assert_int_equal(sk.cipher, cipher);
	assert_mirrored(&ck, &sk, kl);
	kp_node_free(a);
	kp_node_free(b);
}

static void test_cipher_aes256(void **st)
{
	(void)st;
	cipher_case(TCSEG_CIPHER_AES_GCM_256, 32);
}

static void test_cipher_chacha20(void **st)
{
	(void)st;
	cipher_case(TCSEG_CIPHER_CHACHA20_POLY1305, 32);
}

/* Both pods on one node: random keys, mirrored between the two calls. */
static void test_same_node_flow(void **state)
{
	struct kp_node *a = node("node-a", "node-a.pem", MODE_OPENSSL);
	struct flow_tuple t = tup("10.1.0.1", 40000, "10.1.0.2", 443);
	struct tls_key_info ck, sk;
	struct kp_stats st;

	(void)state;
	flow(a, a, &t, &ck, &sk);
	assert_mirrored(&ck, &sk, 16);
	kp_node_stats(a, &st);
	assert_int_equal(st.handshakes, 0);
	kp_node_free(a);
}

/* ---------- known answer: wire bytes and exporter context by hand ---------- */

static const unsigned char NONCE[16] = {
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };

/* Request bytes as docs/KEYS.md documents them, built independently. */
static void hand_req(unsigned char *m, const char *sa, unsigned sp,
		     const char *da, unsigned dp, unsigned cipher)
{
	memset(m, 0, 36);
	memcpy(m, "TKP1", 4);
	m[4] = 1;
	m[6] = cipher >> 8;
	m[7] = cipher & 0xff;
	inet_pton(AF_INET, sa, m + 8);
	inet_pton(AF_INET, da, m + 12);
	m[16] = sp >> 8;
	m[17] = sp & 0xff;
	m[18] = dp >> 8;
	m[19] = dp & 0xff;
	memcpy(m + 20, NONCE, 16);
}

/* Exporter context: the request's tuple and nonce, then the cipher. */
static void hand_ctx(unsigned char *ctx, const unsigned char *req)
{
	memcpy(ctx, req + 8, 28);
	memcpy(ctx + 28, req + 6, 2);
}

static struct kp_sess *raw_connect(struct kp_node *self, int port,
				   const char *peer, int *err)
{
	const struct kp_tls_ops *ops = kp_node_tls(self);
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(port) };
	char msg[KP_ERR_LEN];
	struct kp_sess *s = NULL;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	*err = ops->connect(kp_node_ctx(self), &sa, peer, 1000, &s, msg,
			    sizeof(msg));
	return s;
}

/* The server end's keys from km = client_write_key | server_write_key |
 * c_iv | s_iv (AES-GCM-128) */
static void assert_server_keys(const struct tls_key_info *sk,
			       const unsigned char *km)
{
	assert_memory_equal(sk->rx_key, km, 16);
	assert_memory_equal(sk->key, km + 16, 16);
	assert_memory_equal(sk->rx_iv, km + 32, 12);
	assert_memory_equal(sk->iv, km + 44, 12);
}

/* A hand-made client announces; the real server must derive the same. */
static void kat_server(enum key_provider_mode mc, enum key_provider_mode ms)
{
	struct kp_node *a = node("node-a", "node-a.pem", mc);
	struct kp_node *b = node("node-b", "node-b.pem", ms);
	const struct kp_tls_ops *ops = kp_node_tls(a);
	unsigned char req[36], ack[24], ctx[30], km[56];
	struct flow_tuple t = tup("10.1.0.5", 1234, "10.2.0.6", 8443);
	struct tls_key_info sk;
	struct timespec ts;
	struct kp_sess *s;
	int r, i;

	s = raw_connect(a, kp_node_port(b), "node-b", &r);
	assert_int_equal(r, 0);
	hand_req(req, "10.1.0.5", 1234, "10.2.0.6", 8443, 51);
	assert_int_equal(ops->send(s, req, 36, 1000), 0);
	assert_int_equal(ops->recv(s, ack, 24, 1000, -1), 0);
	assert_memory_equal(ack, "TKP1", 4);
	assert_int_equal(ack[4], 2);
	assert_int_equal(ack[5], 0);
	assert_memory_equal(ack + 8, NONCE, 16);
	hand_ctx(ctx, req);
	assert_int_equal(ops->export(s, "EXPORTER-tcseg-ktls-v1", ctx, 30,
				     km, 56), 0);
	assert_int_equal(kp_node_get_key(b, &t, KP_ROLE_SERVER, &sk), 0);
	assert_server_keys(&sk, km);
	/* Cost of the derivation alone (no round trip), for the report. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	for (i = 0; i < 1000; i++)
		assert_int_equal(ops->export(s, "EXPORTER-tcseg-ktls-v1", ctx,
					     30, km, 56), 0);
	printf("# %s exporter: %.1f us per flow\n", ops->name,
	       ms_since(&ts));
	ops->sess_free(s);
	kp_node_free(a);
	kp_node_free(b);
}

static void test_kat_server_openssl(void **st)
{
	(void)st;
	kat_server(MODE_BORINGSSL, MODE_OPENSSL);
}

static void test_kat_server_boringssl(void **st)
{
	(void)st;
	kat_server(MODE_OPENSSL, MODE_BORINGSSL);
}

struct raw_srv {
	struct kp_node *self;
	int lfd;
	unsigned char req[36];
	unsigned char km[56];
	unsigned char pair[32];	/* the session's pair secret */
	unsigned char epoch[8];	/* as the client sent it */
	int err;
};

static void *raw_srv_thread(void *arg)
{
	struct raw_srv *rs = arg;
	const struct kp_tls_ops *ops = kp_node_tls(rs->self);
	unsigned char ack[24] = "TKP1", ctx[30];
	char msg[KP_ERR_LEN];
	struct kp_sess *s;
	int fd = accept(rs->lfd, NULL, NULL);

	rs->err = ops->accept(kp_node_ctx(rs->self), fd, 1000, &s, msg,
			      sizeof(msg));
	if (rs->err)
		return NULL;
	rs->err = ops->recv(s, rs->req, 36, 1000, -1);
	/* the client confirms the pair secret first (KP_MSG_EPOCH) */
	if (!rs->err && rs->req[4] == KP_MSG_EPOCH) {
		ack[4] = 2;
		memcpy(ack + 8, rs->req + 20, 16);
		memcpy(rs->epoch, rs->req + 20, 8);
		rs->err = ops->export(s, KP_PAIR_LABEL,
				      (const unsigned char *)"", 0, rs->pair,
				      32);
		rs->err = rs->err ?: ops->send(s, ack, 24, 1000);
		rs->err = rs->err ?: ops->recv(s, rs->req, 36, 1000, -1);
	}
	if (!rs->err) {
		ack[4] = 2;
		memcpy(ack + 8, rs->req + 20, 16);
		hand_ctx(ctx, rs->req);
		rs->err = ops->export(s, "EXPORTER-tcseg-ktls-v1", ctx, 30,
				      rs->km, 56);
		rs->err = rs->err ?: ops->send(s, ack, 24, 1000);
	}
	ops->sess_free(s);
	return NULL;
}

static int listen_any(int *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 4), 0);
	getsockname(fd, (struct sockaddr *)&sa, &sl);
	*port = ntohs(sa.sin_port);
	return fd;
}

/* The real client against a hand-made server: request bytes and keys. */
static void kat_client(enum key_provider_mode mc, enum key_provider_mode ms)
{
	struct kp_node *a = node("node-a", "node-a.pem", mc);
	struct kp_config c;
	struct flow_tuple t = tup("10.1.2.3", 0xbeef, "10.2.4.5", 0x1f90);
	struct flow_isn isn = { .client = 0x01020304, .server = 0xa0b0c0d0 };
	unsigned char want[36], ctx[22], km[64], ep[8];
	struct tls_key_info ck, dk;
	struct raw_srv rs;
	pthread_t th;

	cfg_init(&c, "node-b", "node-b.pem");
	c.serve = 0;
	memset(&rs, 0, sizeof(rs));
	rs.self = node_cfg(&c, ms);
	cfg_fini(&c);
	rs.lfd = listen_any(&port_b);
	pthread_create(&th, NULL, raw_srv_thread, &rs);
	/* with ISNs: no message for the flow, keys from the pair secret */
	assert_int_equal(kp_node_get_key_conn(a, &t, &isn, KP_ROLE_CLIENT,
					      &dk), 0);
	assert_int_equal(kp_node_get_key(a, &t, KP_ROLE_AUTO, &ck), 0);
	pthread_join(th, NULL);
	assert_int_equal(rs.err, 0);
	/* docs/KEYS.md §2: epoch and flow context, byte by byte */
	assert_int_equal(th_hkdf_expand_label(rs.pair, "tcseg epoch v3", NULL,
					      0, ep, 8), 0);
	assert_memory_equal(rs.epoch, ep, 8);
	memcpy(ctx, "\x0a\x01\x02\x03\x0a\x02\x04\x05\xbe\xef\x1f\x90"
	       "\x01\x02\x03\x04\xa0\xb0\xc0\xd0\x00\x33", 22);
	assert_int_equal(th_hkdf_expand_label(rs.pair, "tcseg ktls v3", ctx, 22,
					      km, 64), 0);
	assert_memory_equal(dk.key, km, 16);
	assert_memory_equal(dk.rx_key, km + 16, 16);
	assert_memory_equal(dk.iv, km + 32, 12);
	assert_memory_equal(dk.rx_iv, km + 44, 12);
	/* Request layout: everything but the random nonce is fixed. */
	hand_req(want, "10.1.2.3", 0xbeef, "10.2.4.5", 0x1f90, 51);
	assert_memory_equal(rs.req, want, 20);
	assert_false(is_zero(rs.req + 20, 16));
	assert_memory_equal(ck.key, rs.km, 16);
	assert_memory_equal(ck.rx_key, rs.km + 16, 16);
	assert_memory_equal(ck.iv, rs.km + 32, 12);
	assert_memory_equal(ck.rx_iv, rs.km + 44, 12);
	close(rs.lfd);
	kp_node_free(rs.self);
	kp_node_free(a);
}

static void test_kat_client_openssl(void **st)
{
	(void)st;
	kat_client(MODE_OPENSSL, MODE_BORINGSSL);
}

static void test_kat_client_boringssl(void **st)
{
	(void)st;
	kat_client(MODE_BORINGSSL, MODE_OPENSSL);
}

/* ---------- errors ---------- */

static int client_err(struct kp_node *a, struct kp_node *b)
{
	struct flow_tuple t = tup("10.1.0.1", 40000, "10.2.0.1", 443);
	struct tls_key_info ck;
	int r;

	port_b = b ? kp_node_port(b) : port_b;
	memset(&ck, 0xaa, sizeof(ck));
	r = kp_node_get_key(a, &t, KP_ROLE_AUTO, &ck);
	assert_true(r < 0);
	assert_true(is_zero(&ck, sizeof(ck)));	/* no stale bytes on error */
	return r;
}

static void test_wrong_ca(void **state)
{
	struct kp_node *a, *b = node("node-b", "node-b.pem", MODE_OPENSSL);
	struct kp_config c;
	enum key_provider_mode m;
	int r;

	(void)state;
	for (m = MODE_OPENSSL; m <= MODE_BORINGSSL; m++) {
		cfg_init(&c, "node-a", "node-a.pem");
		free((char *)c.ca_file);
		c.ca_file = strdup(cpath("rogue-ca.pem"));
		a = node_cfg(&c, m);
		cfg_fini(&c);
		r = client_err(a, b);
		assert_int_equal(r, -EKEYREJECTED);
		assert_non_null(strstr(key_provider_last_error(),
				       "certificate"));
		kp_node_free(a);
	}
	kp_node_free(b);
}

/* A node-a certificate from another CA: the server refuses the client. */
static void test_rogue_cert(void **state)
{
	enum key_provider_mode m;
	struct kp_node *a, *b;
	struct kp_stats st;
	int r, i;

	(void)state;
	for (m = MODE_OPENSSL; m <= MODE_BORINGSSL; m++) {
		b = node("node-b", "node-b.pem", m);
		a = node("node-a", "rogue.pem", m == MODE_OPENSSL ?
			 MODE_BORINGSSL : MODE_OPENSSL);
		r = client_err(a, b);
		printf("# rogue client (%s) -> %s server: %d %s\n",
		       kp_mode_name(m == MODE_OPENSSL ? MODE_BORINGSSL :
				    MODE_OPENSSL), kp_mode_name(m), r,
		       key_provider_last_error());
		/* The server counts the failure right after its alert. */
		for (i = 0; i < 100; i++) {
			kp_node_stats(b, &st);
			if (st.accept_errors)
				break;
			usleep(10000);
		}
		assert_int_equal(st.accept_errors, 1);
		assert_int_equal(st.received, 0);
		kp_node_free(a);
		kp_node_free(b);
	}
	assert_true(log_has("certificate"));
}

/* The service at node-b's address presents node-a's (valid) cert. */
static void test_wrong_node_name(void **state)
{
	enum key_provider_mode m;
	struct kp_node *a, *b;

	(void)state;
	for (m = MODE_OPENSSL; m <= MODE_BORINGSSL; m++) {
		b = node("node-b", "node-a.pem", MODE_OPENSSL);
		a = node("node-a", "node-a.pem", m);
		assert_int_equal(client_err(a, b), -EKEYREJECTED);
		assert_non_null(strstr(key_provider_last_error(), "node-b"));
		kp_node_free(a);
		kp_node_free(b);
	}
}

static void test_peer_down(void **state)
{
	struct kp_node *a = node("node-a", "node-a.pem", MODE_BORINGSSL);
	int fd, port;

	(void)state;
	fd = listen_any(&port);
	close(fd);		/* nothing listens there any more */
	port_b = port;
	assert_int_equal(client_err(a, NULL), -ECONNREFUSED);
	assert_non_null(strstr(key_provider_last_error(), "connect"));
	kp_node_free(a);
}

/* TCP accepted by the kernel, but no TLS ever answers. */
static void test_peer_timeout(void **state)
{
	struct kp_config c;
	struct kp_node *a;
	struct timespec ts;
	int fd;

	(void)state;
	cfg_init(&c, "node-a", "node-a.pem");
	c.connect_timeout_ms = 300;
	a = node_cfg(&c, MODE_OPENSSL);
	cfg_fini(&c);
	fd = listen_any(&port_b);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	assert_int_equal(client_err(a, NULL), -ETIMEDOUT);
	assert_true(ms_since(&ts) < 1500);
	close(fd);
	kp_node_free(a);
}

/* Server side: nobody announced the flow. */
static void test_server_wait_timeout(void **state)
{
	struct kp_node *b = node("node-b", "node-b.pem", MODE_OPENSSL);
	struct flow_tuple t = tup("10.1.0.1", 40000, "10.2.0.1", 443);
	struct tls_key_info sk;
	struct timespec ts;
	double ms;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	assert_int_equal(kp_node_get_key(b, &t, KP_ROLE_AUTO, &sk),
			 -ETIMEDOUT);
	ms = ms_since(&ts);
	assert_true(ms >= 450 && ms < 1500);
	kp_node_free(b);
}

/* Send a @len byte request, expect an ACK with @status echoing 20..35. */
static void send_len_expect(const struct kp_tls_ops *ops, struct kp_sess *s,
			    const unsigned char *req, size_t len, int status)
{
	unsigned char ack[24];

	assert_int_equal(ops->send(s, req, len, 1000), 0);
	assert_int_equal(ops->recv(s, ack, 24, 1000, -1), 0);
	assert_memory_equal(ack, "TKP1", 4);
	assert_int_equal(ack[5], status);
	assert_memory_equal(ack + 8, req + 20, 16);
}

static void send_expect(const struct kp_tls_ops *ops, struct kp_sess *s,
			const unsigned char *req, int status)
{
	send_len_expect(ops, s, req, 36, status);
}

/* A valid node sends garbage and lies about flows; others still work. */
static void test_hostile_peer(void **state)
{
	struct kp_node *a = node("node-a", "node-a.pem", MODE_BORINGSSL);
	struct kp_node *b = node("node-b", "node-b.pem", MODE_OPENSSL);
	const struct kp_tls_ops *ops = kp_node_tls(a);
	struct flow_tuple t = tup("10.1.0.1", 40000, "10.2.0.1", 443);
	struct sockaddr_in sa = { .sin_family = AF_INET };
	unsigned char req[36], junk[24];
	struct tls_key_info ck, sk;
	struct kp_sess *s;
	struct kp_stats st;
	int r, fd;

	(void)state;
	port_b = kp_node_port(b);
	s = raw_connect(a, port_b, "node-b", &r);
	assert_int_equal(r, 0);
	/* Flow of a node-c pod: node-a may not announce it. */
	hand_req(req, "10.3.0.1", 1, "10.2.0.1", 443, 51);
	send_expect(ops, s, req, EACCES);
	/* Flow whose server is not on node-b. */
	hand_req(req, "10.1.0.1", 1, "10.1.0.2", 443, 51);
	send_expect(ops, s, req, EACCES);
	/* Unknown cipher. */
	hand_req(req, "10.1.0.1", 1, "10.2.0.1", 443, 99);
	send_expect(ops, s, req, EOPNOTSUPP);
	/* Bad magic: error ack, then the server hangs up. */
	hand_req(req, "10.1.0.1", 1, "10.2.0.1", 443, 51);
	req[0] = 'X';
	send_expect(ops, s, req, EPROTO);
	assert_int_equal(ops->recv(s, junk, 24, 1000, -1), -ECONNRESET);
	ops->sess_free(s);
	/* Plain TCP garbage instead of a TLS handshake. */
	sa.sin_port = htons(port_b);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(write(fd, "GET / HTTP/1.0\r\n\r\n", 18), 18);
	r = read(fd, junk, sizeof(junk));	/* alert or EOF */
	close(fd);
	/* Nothing of that was stored; a real flow still works. */
	flow(a, b, &t, &ck, &sk);
	assert_mirrored(&ck, &sk, 16);
	kp_node_stats(b, &st);
	assert_int_equal(st.rejected, 4);
	assert_int_equal(st.received, 1);
	assert_int_equal(st.claimed, 1);
	assert_true(st.accept_errors >= 1);
	assert_true(log_has("malformed request (bad magic)"));
	kp_node_free(a);
	kp_node_free(b);
}

/* What the hand-off's END handler last got (key_provider_set_end_handler). */
static struct {
	int calls, end, status;
	struct flow_tuple t;
	unsigned char fp[KP_FP_LEN];
} endrec;

static void end_cb(void *arg, const struct flow_tuple *t, enum kp_role end,
		   int status, const unsigned char *fp)
{
	(void)arg;
	endrec.calls++;
	endrec.t = *t;
	endrec.end = end;
	endrec.status = status;
	memcpy(endrec.fp, fp, KP_FP_LEN);
}

/* A hand-made END message: magic, type 3, end, status, tuple, fp, id. */
static void hand_end(unsigned char *m, const char *s, __u16 sp, const char *d,
		     __u16 dp, int end)
{
	struct flow_tuple t = tup(s, sp, d, dp);

	memset(m, 0, 36);
	memcpy(m, "TKP1", 4);
	m[4] = KP_MSG_END;
	m[5] = end;
	memcpy(m + 8, &t.saddr, 4);
	memcpy(m + 12, &t.daddr, 4);
	m[16] = sp >> 8, m[17] = sp & 0xff, m[18] = dp >> 8, m[19] = dp & 0xff;
	memset(m + 20, 0x5a, 16);
}

/*
 * Hand-off sync: each end tells the other node it is secured (or failed)
 * with the keys' fingerprint; a node may speak only for its own end.
 */
static void test_end_messages(void **state)
{
	struct kp_node *a = node("node-a", "node-a.pem", MODE_OPENSSL);
	struct kp_node *b = node("node-b", "node-b.pem", MODE_BORINGSSL);
	const struct kp_tls_ops *ops = kp_node_tls(a);
	struct flow_tuple t = tup("10.1.0.1", 40000, "10.2.0.1", 443);
	const unsigned char fp[KP_FP_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	unsigned char req[36];
	struct kp_sess *s;
	int r;

	(void)state;
	port_a = kp_node_port(a);
	port_b = kp_node_port(b);
	memset(&endrec, 0, sizeof(endrec));
	key_provider_set_end_handler(end_cb, NULL);
	/* the client's node tells the server's node: its end is secured */
	assert_int_equal(kp_node_tell_end(a, &t, KP_ROLE_CLIENT, 0, fp), 0);
	assert_int_equal(endrec.calls, 1);
	assert_int_equal(endrec.end, KP_ROLE_CLIENT);
	assert_int_equal(endrec.status, 0);
	assert_memory_equal(&endrec.t, &t, sizeof(t));
	assert_memory_equal(endrec.fp, fp, KP_FP_LEN);
	/* and back: the server end failed */
	assert_int_equal(kp_node_tell_end(b, &t, KP_ROLE_SERVER, EPIPE, fp), 0);
	assert_int_equal(endrec.calls, 2);
	assert_int_equal(endrec.end, KP_ROLE_SERVER);
	assert_int_equal(endrec.status, EPIPE);
	/* node-a may not speak for the server end (node-b's pod) ... */
	s = raw_connect(a, port_b, "node-b", &r);
	assert_int_equal(r, 0);
	hand_end(req, "10.1.0.1", 40000, "10.2.0.1", 443, KP_ROLE_SERVER);
	send_expect(ops, s, req, EACCES);
	/* ... nor for a node-c pod's client end */
	hand_end(req, "10.3.0.1", 40000, "10.2.0.1", 443, KP_ROLE_CLIENT);
	send_expect(ops, s, req, EACCES);
	/* nor about a flow with no end on node-b */
	hand_end(req, "10.1.0.1", 40000, "10.1.0.2", 443, KP_ROLE_CLIENT);
	send_expect(ops, s, req, EACCES);
	assert_int_equal(endrec.calls, 2);
	/* its own end: delivered, the ack echoes fp and id */
	hand_end(req, "10.1.0.1", 40000, "10.2.0.1", 443, KP_ROLE_CLIENT);
	send_expect(ops, s, req, 0);
	assert_int_equal(endrec.calls, 3);
	/* an unknown end is malformed: error ack, session closed */
	hand_end(req, "10.1.0.1", 40000, "10.2.0.1", 443, 7);
	send_expect(ops, s, req, EPROTO);
	assert_int_equal(endrec.calls, 3);
	ops->sess_free(s);
	key_provider_set_end_handler(NULL, NULL);
	kp_node_free(a);
	kp_node_free(b);
	/* its refusals filled the shared log: later tests search theirs */
	pthread_mutex_lock(&log_lock);
	log_all[0] = 0;
	pthread_mutex_unlock(&log_lock);
}

/* An IPv6 flow's message (ANNOUNCE6 / END6, 68 bytes, docs/KEYS.md). */
static void hand_msg6(unsigned char *m, int type, int b5, const char *sa,
		      unsigned sp, const char *da, unsigned dp, unsigned b67)
{
	memset(m, 0, 68);
	memcpy(m, "TKP1", 4);
	m[4] = type;
	m[5] = b5;
	m[6] = b67 >> 8;
	m[7] = b67 & 0xff;
	m[16] = sp >> 8, m[17] = sp & 0xff, m[18] = dp >> 8, m[19] = dp & 0xff;
	memcpy(m + 20, NONCE, 16);
	assert_int_equal(inet_pton(AF_INET6, sa, m + 36), 1);
	assert_int_equal(inet_pton(AF_INET6, da, m + 52), 1);
}

/*
 * IPv6 pods: keys agreed over the node session (ANNOUNCE6), the context
 * as documented (54 bytes: 16-byte addresses), END6, and the checks of
 * the key service on the new messages.
 */
static void test_ipv6_flows(void **state)
{
	struct kp_node *a = node("node-a", "node-a.pem", MODE_OPENSSL);
	struct kp_node *b = node("node-b", "node-b.pem", MODE_BORINGSSL);
	const struct kp_tls_ops *ops = kp_node_tls(a);
	struct flow_tuple t = tup6("fd00:1::5", 1234, "fd00:2::6", 8443);
	struct flow_tuple t4 = tup("10.1.0.5", 1234, "10.2.0.6", 8443);
	const unsigned char fp[KP_FP_LEN] = { 8, 7, 6, 5, 4, 3, 2, 1 };
	unsigned char req[68], ack[24], ctx[54], km[56];
	struct tls_key_info ck, sk, c4, s4;
	struct kp_config c;
	struct kp_node *old;
	struct kp_sess *s;
	int r;

	(void)state;
	port_a = kp_node_port(a);
	port_b = kp_node_port(b);
	flow(a, b, &t, &ck, &sk);
	assert_mirrored(&ck, &sk, 16);
	flow(a, b, &t4, &c4, &s4);
	assert_memory_not_equal(ck.key, c4.key, 16);
	/* known answer: a hand-made ANNOUNCE6, the server's keys */
	s = raw_connect(a, port_b, "node-b", &r);
	assert_int_equal(r, 0);
	hand_msg6(req, KP_MSG_ANNOUNCE6, 0, "fd00:1::5", 1234, "fd00:2::6",
		  8443, 51);
	send_len_expect(ops, s, req, 68, 0);
	memcpy(ctx, req + 36, 32);		/* saddr, daddr */
	memcpy(ctx + 32, req + 16, 4);		/* sport, dport */
	memcpy(ctx + 36, req + 20, 16);		/* nonce */
	memcpy(ctx + 52, req + 6, 2);		/* cipher */
	assert_int_equal(ops->export(s, "EXPORTER-tcseg-ktls-v1", ctx, 54,
				     km, 56), 0);
	assert_int_equal(kp_node_get_key(b, &t, KP_ROLE_SERVER, &sk), 0);
	assert_server_keys(&sk, km);
	/* node-a may not announce a node-c pod's flow */
	hand_msg6(req, KP_MSG_ANNOUNCE6, 0, "fd00:3::1", 1, "fd00:2::6",
		  8443, 51);
	send_len_expect(ops, s, req, 68, EACCES);
	/* nor speak for the server end; its own end is delivered */
	memset(&endrec, 0, sizeof(endrec));
	key_provider_set_end_handler(end_cb, NULL);
	hand_msg6(req, KP_MSG_END6, KP_ROLE_SERVER, "fd00:1::5", 1234,
		  "fd00:2::6", 8443, 0);
	send_len_expect(ops, s, req, 68, EACCES);
	hand_msg6(req, KP_MSG_END6, KP_ROLE_CLIENT, "fd00:1::5", 1234,
		  "fd00:2::6", 8443, 0);
	send_len_expect(ops, s, req, 68, 0);
	assert_int_equal(endrec.calls, 1);
	assert_memory_equal(&endrec.t, &t, sizeof(t));
	/* the daemon's path: tell_end of an IPv6 flow */
	assert_int_equal(kp_node_tell_end(a, &t, KP_ROLE_CLIENT, 0, fp), 0);
	assert_int_equal(endrec.calls, 2);
	assert_memory_equal(&endrec.t, &t, sizeof(t));
	assert_memory_equal(endrec.fp, fp, KP_FP_LEN);
	/* IPv4 bytes in an IPv6 message: malformed, the session closes */
	hand_msg6(req, KP_MSG_ANNOUNCE6, 0, "fd00:1::5", 1, "fd00:2::6",
		  8443, 51);
	memcpy(req + 8, "\x0a\x01\x00\x05", 4);
	send_len_expect(ops, s, req, 68, EPROTO);
	assert_int_equal(ops->recv(s, ack, 24, 1000, -1), -ECONNRESET);
	ops->sess_free(s);
	assert_true(log_has("IPv6 message with IPv4 addresses"));
	/* an address missing: malformed */
	s = raw_connect(a, port_b, "node-b", &r);
	assert_int_equal(r, 0);
	hand_msg6(req, KP_MSG_ANNOUNCE6, 0, "fd00:1::5", 1, "fd00:2::6",
		  8443, 51);
	memset(req + 52, 0, 16);
	send_len_expect(ops, s, req, 68, EPROTO);
	ops->sess_free(s);
	key_provider_set_end_handler(NULL, NULL);
	/* a node without an IPv6 lookup fails IPv6 flows closed */
	cfg_init(&c, "node-a", "node-a.pem");
	c.serve = 0;
	c.lookup6 = NULL;
	old = node_cfg(&c, MODE_OPENSSL);
	cfg_fini(&c);
	assert_int_equal(kp_node_get_key(old, &t, KP_ROLE_AUTO, &ck), -ENOENT);
	assert_true(is_zero(&ck, sizeof(ck)));
	assert_non_null(strstr(key_provider_last_error(),
			       "[fd00:1::5]:1234->[fd00:2::6]:8443"));
	kp_node_free(old);
	kp_node_free(a);
	kp_node_free(b);
	pthread_mutex_lock(&log_lock);
	log_all[0] = 0;
	pthread_mutex_unlock(&log_lock);
}

/* The server restarts: the client's stale session is replaced. */
static void test_server_restart(void **state)
{
	struct kp_node *a = node("node-a", "node-a.pem", MODE_OPENSSL);
	struct kp_node *b = node("node-b", "node-b.pem", MODE_BORINGSSL);
	struct flow_tuple t = tup("10.1.0.1", 40000, "10.2.0.1", 443);
	struct tls_key_info ck, sk;
	struct kp_config c;
	struct kp_stats st;

	(void)state;
	port_b = kp_node_port(b);
	flow(a, b, &t, &ck, &sk);
	kp_node_free(b);
	cfg_init(&c, "node-b", "node-b.pem");
	c.listen.sin_port = htons(port_b);
	b = node_cfg(&c, MODE_BORINGSSL);
	cfg_fini(&c);
	flow(a, b, &t, &ck, &sk);
	assert_mirrored(&ck, &sk, 16);
	kp_node_stats(a, &st);
	assert_int_equal(st.handshakes, 2);
	kp_node_free(a);
	kp_node_free(b);
}

static void test_bad_config(void **state)
{
	struct kp_config c;
	struct kp_node *n = NULL;

	(void)state;
	cfg_init(&c, "node-a", "node-a.pem");
	free((char *)c.key_file);
	c.key_file = strdup(cpath("node-b.key"));	/* not node-a's */
	assert_int_equal(kp_node_new(&c, MODE_OPENSSL, &n), -EINVAL);
	assert_non_null(strstr(key_provider_last_error(), "node-b.key"));
	assert_int_equal(kp_node_new(&c, MODE_BORINGSSL, &n), -EINVAL);
	assert_non_null(strstr(key_provider_last_error(), "node-b.key"));
	cfg_fini(&c);
	cfg_init(&c, "node-a", "missing.pem");
	assert_int_equal(kp_node_new(&c, MODE_OPENSSL, &n), -EINVAL);
	assert_non_null(strstr(key_provider_last_error(), "missing.pem"));
	cfg_fini(&c);
	cfg_init(&c, "node-a", "node-a.pem");
	c.cipher = 77;
	assert_int_equal(kp_node_new(&c, MODE_OPENSSL, &n), -EINVAL);
	assert_int_equal(kp_node_new(&c, MODE_TLSHUB, &n), -ENOTSUP);
	cfg_fini(&c);
	assert_null(n);
}

/* ---------- the seed's process-wide API ---------- */

static void test_seed_api(void **state)
{
	struct kp_node *b = node("node-b", "node-b.pem", MODE_BORINGSSL);
	struct flow_tuple t = tup("10.1.0.1", 40000, "10.2.0.1", 443);
	struct tls_key_info ck, sk;
	struct kp_config c;

	(void)state;
	key_provider_cleanup();
	assert_int_equal(key_provider_init(MODE_OPENSSL), -EINVAL);
	cfg_init(&c, "node-a", "node-a.pem");
	assert_int_equal(key_provider_configure(&c), 0);
	cfg_fini(&c);
	/* No TLSHub hook registered: fall back to openssl, with a warning. */
	assert_int_equal(key_provider_init(MODE_TLSHUB), 0);
	assert_int_equal(key_provider_get_mode(), MODE_OPENSSL);
	assert_true(log_has("falling back to openssl"));
	key_provider_set_mode(MODE_BORINGSSL);
	assert_int_equal(key_provider_get_mode(), MODE_BORINGSSL);
	port_a = key_provider_port();
	port_b = kp_node_port(b);
	assert_true(port_a > 0);
	assert_int_equal(key_provider_get_key(&t, &ck), 0);
	assert_int_equal(kp_node_get_key(b, &t, KP_ROLE_AUTO, &sk), 0);
	assert_mirrored(&ck, &sk, 16);
	key_provider_set_mode(MODE_OPENSSL);
	assert_int_equal(key_provider_get_mode(), MODE_OPENSSL);
	assert_int_equal(key_provider_get_key(&t, &ck), 0);
	assert_int_equal(kp_node_get_key(b, &t, KP_ROLE_AUTO, &sk), 0);
	assert_mirrored(&ck, &sk, 16);
	key_provider_cleanup();
	assert_int_equal(key_provider_get_key(&t, &ck), -ENODEV);
	kp_node_free(b);
}

/* ---------- uniqueness (docs/KEYS.md §uniqueness) ---------- */

/* A fresh pair of nodes (a restart of both) in mode @m. */
static void nodes_up(enum key_provider_mode m, struct kp_node **a,
		     struct kp_node **b)
{
	*a = node("node-a", "node-a.pem", m);
	*b = node("node-b", "node-b.pem", m);
	port_a = kp_node_port(*a);
	port_b = kp_node_port(*b);
}

/*
 * One tuple used again: after 10 000 other flows on the same session,
 * after a restart of both nodes, after a switch to the other library.
 * Every time the key and IV are new (and still mirrored). With @isn the
 * flows are derived from the pair secret (no announce) and the reused
 * tuple even comes back with the very same ISNs, the worst case.
 */
static void reuse_case_isn(enum key_provider_mode m,
			   enum key_provider_mode other,
			   const struct flow_isn *isn)
{
	struct flow_tuple t = tup("10.1.0.1", 40000, "10.2.0.1", 443), o = t;
	struct tls_key_info c[4], s, x, y;
	struct kp_node *a, *b;
	struct kp_stats st;
	int i, j;

	nodes_up(m, &a, &b);
	flow_conn(a, b, &t, isn, &c[0], &s);
	for (i = 0; i < 10000; i++) {
		o.sport = 1024 + i;
		flow_conn(a, b, &o, isn, &x, &y);
	}
	flow_conn(a, b, &t, isn, &c[1], &s);
	assert_mirrored(&c[1], &s, 16);
	kp_node_stats(a, &st);
	assert_int_equal(st.handshakes, 1);
	/* with ISNs only the repeated context was announced */
	assert_int_equal(st.announced, isn ? 1 : 10002);
	assert_int_equal(st.derived, isn ? 10001 : 0);
	kp_node_free(a);
	kp_node_free(b);
	nodes_up(m, &a, &b);
	flow_conn(a, b, &t, isn, &c[2], &s);
	kp_node_free(a);
	kp_node_free(b);
	nodes_up(other, &a, &b);
	flow_conn(a, b, &t, isn, &c[3], &s);
	assert_mirrored(&c[3], &s, 16);
	kp_node_free(a);
	kp_node_free(b);
	for (i = 0; i < 4; i++)
		for (j = i + 1; j < 4; j++)
			assert_fresh(&c[i], &c[j]);
	explicit_bzero(c, sizeof(c));
}

static const struct flow_isn ISN = { .client = 0x11223344, .server = 7 };

static void test_reuse_openssl(void **st)
{
	(void)st;
	reuse_case_isn(MODE_OPENSSL, MODE_BORINGSSL, NULL);
}

static void test_reuse_boringssl(void **st)
{
	(void)st;
	reuse_case_isn(MODE_BORINGSSL, MODE_OPENSSL, NULL);
}

static void test_reuse_isn_openssl(void **st)
{
	(void)st;
	reuse_case_isn(MODE_OPENSSL, MODE_BORINGSSL, &ISN);
}

static void test_reuse_isn_boringssl(void **st)
{
	(void)st;
	reuse_case_isn(MODE_BORINGSSL, MODE_OPENSSL, &ISN);
}

/*
 * With the ISNs and a session up, a flow's keys take no message: both
 * nodes derive them from the session's pair secret (both library
 * pairings agree), nothing is announced, the session is reused.
 */
static void derive_case(enum key_provider_mode ma, enum key_provider_mode mb)
{
	struct kp_node *a = node("node-a", "node-a.pem", ma);
	struct kp_node *b = node("node-b", "node-b.pem", mb);
	struct flow_tuple t1 = tup("10.1.0.1", 40000, "10.2.0.1", 443);
	struct flow_tuple t2 = tup("10.1.0.1", 40001, "10.2.0.1", 443);
	struct flow_isn i2 = { .client = 1, .server = 2 };
	struct tls_key_info c1, s1, c2, s2;
	struct timespec ts;
	struct kp_stats st;
	double later;

	port_a = kp_node_port(a);
	port_b = kp_node_port(b);
	flow_conn(a, b, &t1, &ISN, &c1, &s1);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	flow_conn(a, b, &t2, &i2, &c2, &s2);
	later = ms_since(&ts);
	assert_mirrored(&c1, &s1, 16);
	assert_mirrored(&c2, &s2, 16);
	assert_fresh(&c1, &c2);
	kp_node_stats(a, &st);
	assert_int_equal(st.handshakes, 1);
	assert_int_equal(st.epochs, 1);
	assert_int_equal(st.announced, 0);
	assert_int_equal(st.derived, 2);
	kp_node_stats(b, &st);
	assert_int_equal(st.received, 0);
	assert_int_equal(st.derived, 2);
	assert_int_equal(st.epochs, 1);
	printf("# %s->%s: later flow without a message %.3f ms\n",
	       kp_mode_name(ma), kp_mode_name(mb), later);
	kp_node_free(a);
	kp_node_free(b);
}

/*
 * IPv6 flows that differ only in their addresses (same ports and ISNs)
 * have contexts of their own: their derived keys differ and the guard
 * takes both; the same flow again is refused (its keys would repeat).
 */
static void test_pair_context_v6(void **st)
{
	unsigned char secret[KP_PAIR_SECRET_LEN], ca[KP_FLOW_CTX6_LEN];
	unsigned char cb[KP_FLOW_CTX6_LEN];
	struct tls_key_info ka, kb, kc;
	struct flow_tuple a, b, v4;
	struct kp_pair p;

	(void)st;
	memset(secret, 0x5a, sizeof(secret));
	memset(&a, 0, sizeof(a));
	a.family = FLOW_FAMILY_V6;
	a.sport = 40000;
	a.dport = 443;
	a.saddr6[0] = a.daddr6[0] = 0xfd;
	a.saddr6[15] = 1;
	a.daddr6[15] = 2;
	b = a;
	b.saddr6[15] = 3;
	v4 = a;
	v4.family = 4;
	assert_int_equal(kp_pair_context(&a, &ISN, TCSEG_CIPHER_AES_GCM_128, ca),
			 KP_FLOW_CTX6_LEN);
	assert_int_equal(kp_pair_context(&b, &ISN, TCSEG_CIPHER_AES_GCM_128, cb),
			 KP_FLOW_CTX6_LEN);
	assert_memory_not_equal(ca, cb, KP_FLOW_CTX6_LEN);
	assert_int_equal(kp_pair_context(&v4, &ISN, TCSEG_CIPHER_AES_GCM_128,
					 cb), KP_FLOW_CTX_LEN);
	assert_int_equal(kp_pair_init(&p, secret, 16), 0);
	assert_int_equal(kp_pair_derive(&p, &a, &ISN, TCSEG_CIPHER_AES_GCM_128,
					0, &ka), 0);
	assert_int_equal(kp_pair_derive(&p, &b, &ISN, TCSEG_CIPHER_AES_GCM_128,
					0, &kb), 0);
	assert_fresh(&ka, &kb);
	assert_int_equal(kp_pair_derive(&p, &a, &ISN, TCSEG_CIPHER_AES_GCM_128,
					0, &kc), -EEXIST);
	kp_pair_clear(&p);
	explicit_bzero(&ka, sizeof(ka));
	explicit_bzero(&kb, sizeof(kb));
}

static void test_derive_openssl_boringssl(void **st)
{
	(void)st;
	derive_case(MODE_OPENSSL, MODE_BORINGSSL);
}

static void test_derive_boringssl_openssl(void **st)
{
	(void)st;
	derive_case(MODE_BORINGSSL, MODE_OPENSSL);
}

/*
 * A session's guard holds guard_max contexts: the next flow makes the
 * client open a new session (new pair secret), still without announcing;
 * the server follows the newest session.
 */
static void test_guard_full_new_session(void **state)
{
	struct flow_tuple t = tup("10.1.0.1", 40000, "10.2.0.1", 443);
	struct tls_key_info c[6], s;
	struct kp_config ca;
	struct kp_node *a, *b;
	struct flow_isn isn = ISN;
	struct kp_stats st;
	int i, j;

	(void)state;
	cfg_init(&ca, "node-a", "node-a.pem");
	ca.guard_max = 5;
	a = node_cfg(&ca, MODE_OPENSSL);
	cfg_fini(&ca);
	b = node("node-b", "node-b.pem", MODE_OPENSSL);
	port_a = kp_node_port(a);
	port_b = kp_node_port(b);
	for (i = 0; i < 6; i++) {
		isn.server = i;
		flow_conn(a, b, &t, &isn, &c[i], &s);
		assert_mirrored(&c[i], &s, 16);
	}
	kp_node_stats(a, &st);
	assert_int_equal(st.handshakes, 2);
	assert_int_equal(st.announced, 0);
	assert_int_equal(st.derived, 6);
	for (i = 0; i < 6; i++)
		for (j = i + 1; j < 6; j++)
			assert_fresh(&c[i], &c[j]);
	explicit_bzero(c, sizeof(c));
	kp_node_free(a);
	kp_node_free(b);
}

/*
 * EPOCH: the key service publishes a session's pair secret only when the
 * client proves it derived the same one; a wrong epoch is malformed (the
 * session closes) and the server end then has no secret to derive from.
 */
static void test_epoch_checked(void **state)
{
	struct kp_node *a = node("node-a", "node-a.pem", MODE_OPENSSL);
	struct kp_node *b = node("node-b", "node-b.pem", MODE_OPENSSL);
	const struct kp_tls_ops *ops = kp_node_tls(a);
	struct flow_tuple t = tup("10.1.0.1", 40000, "10.2.0.1", 443);
	unsigned char req[36], junk[24];
	struct tls_key_info sk;
	struct kp_sess *s;
	struct kp_stats st;
	int r;

	(void)state;
	port_b = kp_node_port(b);
	s = raw_connect(a, port_b, "node-b", &r);
	assert_int_equal(r, 0);
	memset(req, 0, sizeof(req));
	memcpy(req, "TKP1", 4);
	req[4] = KP_MSG_EPOCH;
	req[7] = 51;
	memset(req + 20, 0xab, 8);	/* not this session's epoch */
	send_expect(ops, s, req, EPROTO);
	assert_int_equal(ops->recv(s, junk, 24, 1000, -1), -ECONNRESET);
	ops->sess_free(s);
	assert_int_equal(kp_node_get_key_conn(b, &t, &ISN, KP_ROLE_SERVER,
					      &sk), -ETIMEDOUT);
	kp_node_stats(b, &st);
	assert_int_equal(st.epochs, 0);
	assert_int_equal(st.derived, 0);
	kp_node_free(a);
	kp_node_free(b);
}

/* A loopback connection from 127.0.0.1:@lport to @l (listening). */
static void tcp_conn(int l, __u16 lport, int *c, int *s)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	int one = 1;

	assert_int_equal(getsockname(l, (struct sockaddr *)&a, &al), 0);
	*c = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(*c >= 0);
	setsockopt(*c, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in b = { .sin_family = AF_INET,
				 .sin_port = htons(lport),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	assert_int_equal(bind(*c, (struct sockaddr *)&b, sizeof(b)), 0);
	assert_int_equal(connect(*c, (struct sockaddr *)&a, sizeof(a)), 0);
	*s = accept(l, NULL, NULL);
	assert_true(*s >= 0);
}

/* Close with RST: no TIME_WAIT, the tuple can be used again at once. */
static void tcp_abort(int fd)
{
	struct linger lg = { 1, 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

/*
 * Both ends of a connection read the same ISN pair; the same 4-tuple
 * used again gives another pair; the connection still carries data and
 * keeps its SO_REUSEADDR; once payload flowed the ISNs are refused.
 */
static void test_isn_read(void **st)
{
	struct flow_isn ic[2], is;
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t ol = sizeof(int);
	char why[128], buf[4];
	__u16 lport = 0;
	int l, c, s, i, reuse = 0;

	(void)st;
	l = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(l, 4), 0);
	for (i = 0; i < 2; i++) {
		struct sockaddr_in la;
		socklen_t ll = sizeof(la);

		tcp_conn(l, lport, &c, &s);
		getsockname(c, (struct sockaddr *)&la, &ll);
		lport = ntohs(la.sin_port);	/* the same port next time */
		if (kp_isn_read(c, 1, -1, &ic[i], why, sizeof(why)))
			fail_msg("client end: %s", why);
		if (kp_isn_read(s, 0, -1, &is, why, sizeof(why)))
			fail_msg("server end: %s", why);
		assert_int_equal(ic[i].client, is.client);
		assert_int_equal(ic[i].server, is.server);
		getsockopt(c, SOL_SOCKET, SO_REUSEADDR, &reuse, &ol);
		assert_int_equal(reuse, 1);
		assert_int_equal(send(c, "ping", 4, 0), 4);
		assert_int_equal(recv(s, buf, 4, MSG_WAITALL), 4);
		assert_int_equal(send(s, "pong", 4, 0), 4);
		assert_int_equal(recv(c, buf, 4, MSG_WAITALL), 4);
		assert_int_equal(kp_isn_read(c, 1, -1, &is, why, sizeof(why)),
				 -EPROTO);
		assert_non_null(strstr(why, "payload"));
		tcp_abort(c);
		tcp_abort(s);
	}
	assert_true(ic[0].client != ic[1].client ||
		    ic[0].server != ic[1].server);
	close(l);
}

/* ---------- fallback_mode (docs/CONFIG.md) ---------- */

static int th_init_ret, th_calls;

static int th_init(const struct kp_config *cfg, enum key_provider_mode mode,
		   void **st)
{
	(void)cfg; (void)mode;
	*st = NULL;
	return th_init_ret;
}

static void th_cleanup(void *st)
{
	(void)st;
}

/*
 * A TLSHub that cannot serve any flow, and leaves bytes in @ki: the
 * facade must not hand them on (fallback none: @ki is zero).
 */
static int th_get_key(void *st, const struct flow_tuple *t,
		      const struct flow_isn *isn, enum kp_role role,
		      struct tls_key_info *ki)
{
	(void)st; (void)t; (void)isn; (void)role;
	memset(ki, 0xa5, sizeof(*ki));
	th_calls++;
	return -EKEYREJECTED;
}

static const struct kp_provider_ops th_ops = {
	.name = "TLSHub", .init = th_init, .cleanup = th_cleanup,
	.get_key = th_get_key,
};

/*
 * MODE_TLSHUB with @fb: TLSHub up but failing a flow, then TLSHub not
 * starting. openssl/boringssl: the flow gets keys from that library
 * (agreeing with a plain node b); none: the flow fails closed, nothing
 * is announced, no key service runs.
 */
static void fallback_case(enum kp_fallback fb, const char *tls,
			  enum key_provider_mode down_mode)
{
	struct kp_node *b = node("node-b", "node-b.pem", MODE_OPENSSL);
	struct flow_tuple t = tup("10.1.0.1", 40000, "10.2.0.1", 443);
	struct flow_isn isn = { 1, 2 };
	struct tls_key_info ck, sk;
	struct kp_config c;
	int up, r;

	cfg_init(&c, "node-a", "node-a.pem");
	c.fallback = fb;
	assert_int_equal(key_provider_configure(&c), 0);
	cfg_fini(&c);
	key_provider_set_tlshub_ops(&th_ops);
	port_b = kp_node_port(b);
	for (up = 1; up >= 0; up--) {
		th_init_ret = up ? 0 : -EPROTONOSUPPORT;
		th_calls = 0;
		assert_int_equal(key_provider_init(MODE_TLSHUB), 0);
		assert_string_equal(key_provider_tls_name(), tls);
		assert_int_equal(key_provider_get_mode(),
				 up ? MODE_TLSHUB : down_mode);
		port_a = key_provider_port();
		memset(&ck, 0xff, sizeof(ck));
		r = key_provider_get_key_conn(&t, &isn, KP_ROLE_CLIENT, &ck);
		assert_int_equal(th_calls, up);
		if (fb == KP_FALLBACK_NONE) {
			assert_int_equal(r, up ? -EKEYREJECTED : -ENODEV);
			assert_true(is_zero(&ck, sizeof(ck)));
			assert_non_null(strstr(key_provider_last_error(),
					       "fallback_mode is none"));
			assert_int_equal(port_a, 0);
			assert_int_equal(kp_node_get_key_conn(b, &t, &isn,
					 KP_ROLE_SERVER, &sk), -ETIMEDOUT);
		} else {
			assert_int_equal(r, 0);
			assert_int_equal(kp_node_get_key_conn(b, &t, &isn,
					 KP_ROLE_SERVER, &sk), 0);
			assert_mirrored(&ck, &sk, 16);
		}
	}
	key_provider_cleanup();
	key_provider_set_tlshub_ops(NULL);
	kp_node_free(b);
}

static void test_fallback_openssl(void **st)
{
	(void)st;
	fallback_case(KP_FALLBACK_OPENSSL, "openssl", MODE_OPENSSL);
	assert_true(log_has("falling back to openssl"));
}

static void test_fallback_boringssl(void **st)
{
	(void)st;
	fallback_case(KP_FALLBACK_BORINGSSL, "boringssl", MODE_BORINGSSL);
	assert_true(log_has("falling back to boringssl"));
}

static void test_fallback_none(void **st)
{
	(void)st;
	fallback_case(KP_FALLBACK_NONE, "none", MODE_TLSHUB);
	assert_true(log_has("encrypt flows fail closed"));
}

/* ---------- setup ---------- */

static int setup(void **state)
{
	const char *env = getenv("TCSEG_KP_CERTS");
	const char *root = getenv("TCSEG_ROOT");
	char exe[512], cmd[1200], *p;
	ssize_t n;

	(void)state;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return -1;
	exe[n] = 0;
	/* BUILD/tests/unit/test_keyprov -> BUILD */
	for (int i = 0; i < 3 && (p = strrchr(exe, '/')); i++)
		*p = 0;
	snprintf(plugdir, sizeof(plugdir), "%s", exe);
	if (env && *env) {
		snprintf(certs, sizeof(certs), "%s", env);
		return 0;
	}
	snprintf(certs, sizeof(certs), "/tmp/tcseg-kp-certs-XXXXXX");
	if (!mkdtemp(certs))
		return -1;
	snprintf(cmd, sizeof(cmd), "%s/tools/gen-certs.sh %s >/dev/null",
		 root && *root ? root : ".", certs);
	return system(cmd) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[700];

	(void)state;
	if (!getenv("TCSEG_KP_CERTS") && strstr(certs, "tcseg-kp-certs-")) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", certs);
		return system(cmd) == 0 ? 0 : -1;
	}
	return 0;
}

/* ---------- key service accept: known peers, per-source limit ---------- */

static int allow_none(void *arg, __u32 addr)
{
	(void)arg;
	(void)addr;
	return 0;
}

static int allow_loopback(void *arg, __u32 addr)
{
	(void)arg;
	return addr == htonl(INADDR_LOOPBACK);
}

/* A plain TCP connection to the key service on @port, sending nothing. */
static int idle_conn(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((__u16)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* 1 when the server closed @fd within @ms (recv returns 0 or an error). */
static int closed_within(int fd, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000,
			      .tv_usec = (ms % 1000) * 1000 };
	char c;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return recv(fd, &c, 1, 0) <= 0 && errno != EAGAIN;
}

static void test_service_refuses_unknown_peer(void **state)
{
	struct kp_config c;
	struct kp_node *b;
	struct kp_stats st;
	int fd;

	(void)state;
	cfg_init(&c, "node-b", "node-b.pem");
	c.peer_allowed = allow_none;
	b = node_cfg(&c, MODE_OPENSSL);
	cfg_fini(&c);
	fd = idle_conn(kp_node_port(b));
	errno = 0;
	assert_true(closed_within(fd, 1000));	/* not after io_timeout */
	close(fd);
	kp_node_stats(b, &st);
	assert_int_equal(st.refused_unknown, 1);
	assert_int_equal(st.accept_errors, 0);	/* no handshake started */
	assert_true(log_has("not a known node"));
	kp_node_free(b);
}

/* A known address holds KP_MAX_PREAUTH_PER_SRC idle slots, not more;
 * once they go, a real node session from that address works. */
static void test_service_preauth_limit_per_source(void **state)
{
	struct flow_tuple t = tup("10.1.0.1", 40100, "10.2.0.1", 443);
	struct tls_key_info ck, sk;
	int fds[KP_MAX_PREAUTH_PER_SRC], extra, i;
	struct kp_node *a, *b;
	struct kp_config c;
	struct kp_stats st;

	(void)state;
	cfg_init(&c, "node-b", "node-b.pem");
	c.peer_allowed = allow_loopback;
	b = node_cfg(&c, MODE_OPENSSL);
	cfg_fini(&c);
	a = node("node-a", "node-a.pem", MODE_OPENSSL);
	port_a = kp_node_port(a);
	port_b = kp_node_port(b);
	for (i = 0; i < KP_MAX_PREAUTH_PER_SRC; i++)
		fds[i] = idle_conn(port_b);
	usleep(100000);		/* the listener took them */
	extra = idle_conn(port_b);
	errno = 0;
	assert_true(closed_within(extra, 1000));
	close(extra);
	errno = 0;
	assert_false(closed_within(fds[0], 100));	/* still waiting */
	kp_node_stats(b, &st);
	assert_int_equal(st.refused_busy, 1);
	assert_int_equal(st.refused_unknown, 0);
	for (i = 0; i < KP_MAX_PREAUTH_PER_SRC; i++)
		close(fds[i]);
	usleep(200000);		/* their handshakes fail on EOF */
	flow(a, b, &t, &ck, &sk);
	assert_mirrored(&ck, &sk, 16);
	kp_node_free(a);
	kp_node_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pair_openssl_openssl),
		cmocka_unit_test(test_pair_boringssl_boringssl),
		cmocka_unit_test(test_pair_openssl_boringssl),
		cmocka_unit_test(test_pair_boringssl_openssl),
		cmocka_unit_test(test_same_tuple_new_keys),
		cmocka_unit_test(test_cipher_aes256),
		cmocka_unit_test(test_cipher_chacha20),
		cmocka_unit_test(test_same_node_flow),
		cmocka_unit_test(test_kat_server_openssl),
		cmocka_unit_test(test_kat_server_boringssl),
		cmocka_unit_test(test_kat_client_openssl),
		cmocka_unit_test(test_kat_client_boringssl),
		cmocka_unit_test(test_wrong_ca),
		cmocka_unit_test(test_rogue_cert),
		cmocka_unit_test(test_wrong_node_name),
		cmocka_unit_test(test_end_messages),
		cmocka_unit_test(test_ipv6_flows),
		cmocka_unit_test(test_peer_down),
		cmocka_unit_test(test_peer_timeout),
		cmocka_unit_test(test_server_wait_timeout),
		cmocka_unit_test(test_hostile_peer),
		cmocka_unit_test(test_server_restart),
		cmocka_unit_test(test_bad_config),
		cmocka_unit_test(test_seed_api),
		cmocka_unit_test(test_reuse_openssl),
		cmocka_unit_test(test_reuse_boringssl),
		cmocka_unit_test(test_reuse_isn_openssl),
		cmocka_unit_test(test_reuse_isn_boringssl),
		cmocka_unit_test(test_pair_context_v6),
		cmocka_unit_test(test_derive_openssl_boringssl),
		cmocka_unit_test(test_derive_boringssl_openssl),
		cmocka_unit_test(test_guard_full_new_session),
		cmocka_unit_test(test_epoch_checked),
		cmocka_unit_test(test_isn_read),
		cmocka_unit_test(test_fallback_openssl),
		cmocka_unit_test(test_fallback_boringssl),
		cmocka_unit_test(test_fallback_none),
		cmocka_unit_test(test_service_refuses_unknown_peer),
		cmocka_unit_test(test_service_preauth_limit_per_source),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
