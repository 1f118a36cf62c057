// SPDX-License-Identifier: GPL-2.0
/*
 * tlshub_peer: a user-space stand-in for one node's TLSHub kernel module.
 * Speaks the module's netlink messages (docs/TLSHUB.md) on
 * NETLINK_USERSOCK and does what the module does between nodes: a real
 * TLS 1.3 mTLS session (OpenSSL) to the server pod's node, over which the
 * flow is announced; both nodes then export the flow's 32-byte master key
 * (SSL_export_keying_material, label EXPORTER-tcseg-tlshub-v1, context =
 * 4-tuple || 16-byte nonce chosen by the client node). Test tool only.
 *
 * Usage: tlshub_peer --node NAME --certs DIR --listen IP:PORT
 *          [--node-ip IP] [--node-port P] [--remote IP:PORT]
 *          [--remote-name NAME] [--nl-pid N] [--proto N]
 *          [--server-wait-ms N] [--delay-ms N] [--short-reply]
 *          [--wrong-seq] [--spoof-pid] [--log-lines N] [--fail-handshake]
 *          [--expire] [--fault-on init,start,fetch]
 *          [--fixed-key-file FILE]
 * START for a flow whose server node (v2 server_node_ip) is --node-ip
 * waits up to --server-wait-ms for the client node's announce; otherwise
 * it connects to server_node_ip:--node-port (v2) or --remote (v1).
 * Prints "READY nl_pid=N port=P" on stdout, diagnostics on stderr; never
 * prints key bytes.
 * --fixed-key-file FILE (tests only, netns-tests/test_key_hygiene.sh):
 * FILE holds 64 hex digits, a master key served for EVERY flow instead of
 * the exported one (the mTLS session and announce still run), so a test
 * knows the key and can look for it in the daemon's outputs. Warned about
 * loudly on stderr; the key itself is never printed.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include "keys/tlshub_client.h"

#define LABEL		"EXPORTER-tcseg-tlshub-v1"
#define MAGIC		"THP1"
#define ANN_LEN		36	/* magic 4, type 1, pad 3, tuple 12, nonce 16 */
#define ACK_LEN		24	/* magic 4, type 1, status 1, pad 2, nonce 16 */
#define READY_MSG	"THP1\3\0\0\0"	/* server accepted the client cert */
#define READY_LEN	8
#define NONCE_LEN	16
#define TUPLE_LEN	12
#define MAX_FLOWS	4096
#define MAX_SESS	16
#define IO_TIMEOUT_MS	3000

#define FAULT_INIT	1
#define FAULT_START	2
#define FAULT_FETCH	4

static struct {
	const char *node, *certs, *remote_name;
	struct sockaddr_in listen, remote;
	int have_remote;
	__u32 node_ip;
	int node_port;
	__u32 nl_pid;
	int proto;
	int server_wait_ms, delay_ms, short_reply, wrong_seq, spoof_pid;
	int log_lines, fail_hs, expire, fault_on;
	int have_fixed;
	__u8 fixed_key[TLSHUB_MASTER_LEN];	/* --fixed-key-file */
} O = { .proto = 2, .server_wait_ms = 2000, .fault_on = 7 };

struct flow {
	__u8 tuple[TUPLE_LEN];
	__u8 key[TLSHUB_MASTER_LEN];
	int used;
};

static struct flow flows[MAX_FLOWS];
static pthread_mutex_t flow_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t flow_cond = PTHREAD_COND_INITIALIZER;

struct sess {
	struct sockaddr_in addr;
	SSL *ssl;
	int fd;
};
static struct sess sessions[MAX_SESS];

static SSL_CTX *srv_ctx, *cli_ctx;
static int nl_fd, spoof_fd;
static __u32 nl_portid;

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "tlshub_peer: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	exit(2);
}

static void tuple_bytes(const struct tlshub_request *r, __u8 *b)
{
	memcpy(b, &r->client_pod_ip, 4);
	memcpy(b + 4, &r->server_pod_ip, 4);
	b[8] = r->client_pod_port >> 8;
	b[9] = r->client_pod_port & 0xff;
	b[10] = r->server_pod_port >> 8;
	b[11] = r->server_pod_port & 0xff;
}

/* ---------- flow table ---------- */

/* Caller holds flow_lock. */
static struct flow *flow_find(const __u8 *t)
{
	int i;

	for (i = 0; i < MAX_FLOWS; i++)
		if (flows[i].used && !memcmp(flows[i].tuple, t, TUPLE_LEN))
			return &flows[i];
	return NULL;
}

static int flow_store(const __u8 *t, const __u8 *key)
{
	struct flow *f;
	int i, r = 0;

	pthread_mutex_lock(&flow_lock);
	f = flow_find(t);
	for (i = 0; !f && i < MAX_FLOWS; i++)
		if (!flows[i].used)
			f = &flows[i];
	if (f) {
		memcpy(f->tuple, t, TUPLE_LEN);
		memcpy(f->key, key, TLSHUB_MASTER_LEN);
		f->used = 1;
		pthread_cond_broadcast(&flow_cond);
	} else {
		r = -ENOSPC;
	}
	pthread_mutex_unlock(&flow_lock);
	return r;
}

/* 1 and the key when the flow has one, 0 otherwise; waits up to wait_ms. */
static int flow_get(const __u8 *t, __u8 *key, int wait_ms)
{
	struct timespec ts;
	struct flow *f;
	int r = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += wait_ms / 1000;
	ts.tv_nsec += (long)(wait_ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&flow_lock);
	while (!(f = flow_find(t)) && wait_ms > 0)
		if (pthread_cond_timedwait(&flow_cond, &flow_lock, &ts))
			break;
	f = flow_find(t);
	if (f) {
		if (key)
			memcpy(key, f->key, TLSHUB_MASTER_LEN);
		r = 1;
	}
	pthread_mutex_unlock(&flow_lock);
	return r;
}

static int export_key(SSL *ssl, const __u8 *t, const __u8 *nonce,
		      __u8 *key)
{
	__u8 ctx[TUPLE_LEN + NONCE_LEN];

	memcpy(ctx, t, TUPLE_LEN);
	memcpy(ctx + TUPLE_LEN, nonce, NONCE_LEN);
	if (SSL_export_keying_material(ssl, key, TLSHUB_MASTER_LEN, LABEL,
				       strlen(LABEL), ctx, sizeof(ctx), 1) != 1)
		return -EIO;
	if (O.have_fixed)	/* test-only: the known key instead */
		memcpy(key, O.fixed_key, TLSHUB_MASTER_LEN);
	return 0;
}

/* ---------- TLS ---------- */

static SSL_CTX *make_ctx(int server)
{
	char cert[512], key[512], ca[512];
	SSL_CTX *c = SSL_CTX_new(server ? TLS_server_method() :
				 TLS_client_method());

	snprintf(cert, sizeof(cert), "%s/%s.pem", O.certs, O.node);
	snprintf(key, sizeof(key), "%s/%s.key", O.certs, O.node);
	snprintf(ca, sizeof(ca), "%s/ca.pem", O.certs);
	if (!c || SSL_CTX_set_min_proto_version(c, TLS1_3_VERSION) != 1)
		die("%s", "SSL_CTX_new failed");
	if (SSL_CTX_use_certificate_chain_file(c, cert) != 1)
		die("cannot load certificate %s", cert);
	if (SSL_CTX_use_PrivateKey_file(c, key, SSL_FILETYPE_PEM) != 1)
		die("cannot load private key %s", key);
	if (SSL_CTX_load_verify_locations(c, ca, NULL) != 1)
		die("cannot load CA %s", ca);
	SSL_CTX_set_verify(c, SSL_VERIFY_PEER |
			   SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	SSL_CTX_set_num_tickets(c, 0);
	return c;
}

static void set_timeouts(int fd)
{
	struct timeval tv = { .tv_sec = IO_TIMEOUT_MS / 1000,
			      .tv_usec = (IO_TIMEOUT_MS % 1000) * 1000 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static const char *ossl_err(void)
{
	static char buf[160];
	unsigned long e = ERR_get_error(), last = e;

	while (e) {	/* the last queued error is the most specific */
		last = e;
		e = ERR_get_error();
	}
	if (!last)
		return "connection closed";
	ERR_error_string_n(last, buf, sizeof(buf));
	return buf;
}

static int read_full(SSL *ssl, __u8 *buf, int len)
{
	int n, got = 0;

	while (got < len) {
		n = SSL_read(ssl, buf + got, len - got);
		if (n <= 0)
			return -EIO;
		got += n;
	}
	return 0;
}

/* Server side of one node session: ANNOUNCE in, derive, store, ACK out. */
static void *serve_conn(void *arg)
{
	int fd = (int)(long)arg;
	__u8 ann[ANN_LEN], ack[ACK_LEN], key[TLSHUB_MASTER_LEN];
	SSL *ssl = SSL_new(srv_ctx);

	set_timeouts(fd);
	SSL_set_fd(ssl, fd);
	if (SSL_accept(ssl) != 1) {
		fprintf(stderr, "tlshub_peer: %s: node session handshake "
			"failed\n", O.node);
		goto out;
	}
	/* TLS 1.3 clients finish before we verify them: say we accepted. */
	if (SSL_write(ssl, READY_MSG, READY_LEN) != READY_LEN)
		goto out;
	/* A node session is idle between flows: no read timeout. */
	{
		struct timeval tv = { 0 };

		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	while (read_full(ssl, ann, ANN_LEN) == 0) {
		if (memcmp(ann, MAGIC, 4) || ann[4] != 1) {
			fprintf(stderr, "tlshub_peer: bad announce\n");
			break;
		}
		memset(ack, 0, sizeof(ack));
		memcpy(ack, MAGIC, 4);
		ack[4] = 2;
		memcpy(ack + 8, ann + 20, NONCE_LEN);
		if (export_key(ssl, ann + 8, ann + 20, key) ||
		    flow_store(ann + 8, key))
			ack[5] = EIO;
		explicit_bzero(key, sizeof(key));
		if (SSL_write(ssl, ack, ACK_LEN) != ACK_LEN)
			break;
	}
out:
	SSL_free(ssl);
	close(fd);
	return NULL;
}

static void *service(void *arg)
{
	int lfd = (int)(long)arg, fd;
	pthread_t th;

	for (;;) {
		fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			continue;
		if (pthread_create(&th, NULL, serve_conn, (void *)(long)fd)) {
			close(fd);
			continue;
		}
		pthread_detach(th);
	}
	return NULL;
}

static void sess_close(struct sess *s)
{
	if (s->ssl)
		SSL_free(s->ssl);
	if (s->fd > 0)
		close(s->fd);
	memset(s, 0, sizeof(*s));
}

/* Open (*fresh = 1) or reuse the session to addr. */
static struct sess *sess_get(const struct sockaddr_in *addr, int *fresh,
			     char *why, size_t wlen)
{
	struct sess *s = NULL;
	__u8 ready[READY_LEN];
	long vr;
	int i;

	*fresh = 0;
	for (i = 0; i < MAX_SESS; i++)
		if (sessions[i].ssl &&
		    sessions[i].addr.sin_addr.s_addr == addr->sin_addr.s_addr &&
		    sessions[i].addr.sin_port == addr->sin_port)
			return &sessions[i];
	for (i = 0; i < MAX_SESS && !s; i++)
		if (!sessions[i].ssl)
			s = &sessions[i];
	if (!s)
		s = &sessions[0];
	sess_close(s);
	*fresh = 1;
	s->addr = *addr;
	s->fd = socket(AF_INET, SOCK_STREAM, 0);
	set_timeouts(s->fd);
	if (connect(s->fd, (const struct sockaddr *)addr, sizeof(*addr))) {
		snprintf(why, wlen, "connect to node %s:%u: %s",
			 inet_ntoa(addr->sin_addr), ntohs(addr->sin_port),
			 strerror(errno));
		goto err;
	}
	s->ssl = SSL_new(cli_ctx);
	SSL_set_fd(s->ssl, s->fd);
	if (O.remote_name)
		SSL_set1_host(s->ssl, O.remote_name);
	ERR_clear_error();
	if (SSL_connect(s->ssl) != 1) {
		vr = SSL_get_verify_result(s->ssl);
		snprintf(why, wlen, "mTLS handshake with %s failed: %s",
			 inet_ntoa(addr->sin_addr),
			 vr != X509_V_OK ? X509_verify_cert_error_string(vr) :
			 ossl_err());
		goto err;
	}
	if (read_full(s->ssl, ready, READY_LEN) ||
	    memcmp(ready, READY_MSG, READY_LEN)) {
		snprintf(why, wlen, "node %s rejected us: %s",
			 inet_ntoa(addr->sin_addr), ossl_err());
		goto err;
	}
	return s;
err:
	sess_close(s);
	return NULL;
}

static int announce(struct sess *s, const __u8 *t, char *why, size_t wlen)
{
	__u8 ann[ANN_LEN], ack[ACK_LEN], nonce[NONCE_LEN];
	__u8 key[TLSHUB_MASTER_LEN];
	int r;

	ERR_clear_error();
	if (RAND_bytes(nonce, sizeof(nonce)) != 1)
		return -EIO;
	memset(ann, 0, sizeof(ann));
	memcpy(ann, MAGIC, 4);
	ann[4] = 1;
	memcpy(ann + 8, t, TUPLE_LEN);
	memcpy(ann + 20, nonce, NONCE_LEN);
	if (SSL_write(s->ssl, ann, ANN_LEN) != ANN_LEN ||
	    read_full(s->ssl, ack, ACK_LEN)) {
		snprintf(why, wlen, "node session failed: %s", ossl_err());
		return -EIO;
	}
	if (memcmp(ack, MAGIC, 4) || ack[4] != 2 ||
	    memcmp(ack + 8, nonce, NONCE_LEN) || ack[5]) {
		snprintf(why, wlen, "server node refused the flow (status %u)",
			 ack[5]);
		return -EPROTO;
	}
	r = export_key(s->ssl, t, nonce, key);
	r = r ?: flow_store(t, key);
	explicit_bzero(key, sizeof(key));
	if (r)
		snprintf(why, wlen, "exporter failed");
	return r;
}

/* ---------- netlink ---------- */

static int faulty(int op)
{
	int bit = op == TLSHUB_OP_INIT ? FAULT_INIT :
		  op == TLSHUB_OP_START ? FAULT_START : FAULT_FETCH;

	return O.fault_on & bit;
}

static void reply(const struct nlmsghdr *req, __u32 to, int op, __u8 type,
		  const void *data, size_t len)
{
	__u8 buf[NLMSG_HDRLEN + 1 + TLSHUB_MSG_LEN + 3];
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_pid = to };
	size_t plen = 1 + TLSHUB_MSG_LEN;
	int f = faulty(op);

	memset(buf, 0, sizeof(buf));
	buf[NLMSG_HDRLEN] = type;
	if (len > TLSHUB_MSG_LEN)
		len = TLSHUB_MSG_LEN;
	memcpy(buf + NLMSG_HDRLEN + 1, data, len);
	if (f && O.short_reply)
		plen = op == TLSHUB_OP_FETCH ? 1 + 10 : 0;
	nlh->nlmsg_len = NLMSG_HDRLEN + plen;
	nlh->nlmsg_type = NLMSG_DONE;
	nlh->nlmsg_seq = req->nlmsg_seq + (f && O.wrong_seq ? 1000 : 0);
	nlh->nlmsg_pid = nl_portid;
	if (sendto(f && O.spoof_pid ? spoof_fd : nl_fd, buf, nlh->nlmsg_len,
		   0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		fprintf(stderr, "tlshub_peer: reply to %u: %s\n", to,
			strerror(errno));
	explicit_bzero(buf, sizeof(buf));
}

static void log_line(const struct nlmsghdr *req, __u32 to, int op,
		     const char *text)
{
	reply(req, to, op, TLSHUB_MSG_LOG, text, strlen(text) + 1);
}

static void injected_logs(const struct nlmsghdr *req, __u32 to, int op)
{
	char text[64];
	int i;

	if (!faulty(op))
		return;
	for (i = 0; i < O.log_lines; i++) {
		snprintf(text, sizeof(text), "%s: log line %d", O.node, i + 1);
		log_line(req, to, op, text);
	}
}

static __u8 do_start(const struct nlmsghdr *nlh, __u32 to,
		     const struct tlshub_request *rq, enum tlshub_layout lay)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	char why[200] = "", msg[TLSHUB_MSG_LEN];
	__u8 t[TUPLE_LEN];
	struct sess *s;
	int fresh, r;

	tuple_bytes(rq, t);
	if (O.fail_hs && faulty(TLSHUB_OP_START)) {
		log_line(nlh, to, TLSHUB_OP_START,
			 "handshake failed: injected alert");
		return TLSHUB_MSG_HS_FAILED;
	}
	if (!O.expire && flow_get(t, NULL, 0))
		return TLSHUB_MSG_CONNECTED;
	if (lay == TLSHUB_LAYOUT_V2 && O.node_ip &&
	    rq->server_node_ip == O.node_ip) {
		/* We are the server's node: the client's node announces. */
		if (flow_get(t, NULL, O.server_wait_ms))
			return TLSHUB_MSG_HS_OK;
		log_line(nlh, to, TLSHUB_OP_START,
			 "server node: no announce from the client node");
		return TLSHUB_MSG_HS_FAILED;
	}
	if (lay == TLSHUB_LAYOUT_V2 && rq->server_node_ip) {
		addr.sin_addr.s_addr = rq->server_node_ip;
		addr.sin_port = htons(O.node_port);
	} else if (O.have_remote) {
		addr = O.remote;
	} else {
		log_line(nlh, to, TLSHUB_OP_START, "no server node address");
		return TLSHUB_MSG_HS_FAILED;
	}
	s = sess_get(&addr, &fresh, why, sizeof(why));
	r = s ? announce(s, t, why, sizeof(why)) : -EIO;
	if (r && s && !fresh) {	/* stale session: reconnect once */
		sess_close(s);
		s = sess_get(&addr, &fresh, why, sizeof(why));
		r = s ? announce(s, t, why, sizeof(why)) : -EIO;
	}
	if (r) {
		if (s)
			sess_close(s);
		snprintf(msg, sizeof(msg), "%s", why);
		log_line(nlh, to, TLSHUB_OP_START, msg);
		return TLSHUB_MSG_HS_FAILED;
	}
	return fresh ? TLSHUB_MSG_HS_FIRST : TLSHUB_MSG_HS_OK;
}

static void do_fetch(const struct nlmsghdr *nlh, __u32 to,
		     const struct tlshub_request *rq)
{
	__u8 t[TUPLE_LEN], kb[4 + TLSHUB_MASTER_LEN];
	__s32 status = TLSHUB_KEY_NONE;

	memset(kb, 0, sizeof(kb));
	tuple_bytes(rq, t);
	if (flow_get(t, kb + 4, 0))
		status = O.expire ? TLSHUB_KEY_EXPIRED : TLSHUB_KEY_OK;
	if (status != TLSHUB_KEY_OK)
		memset(kb + 4, 0, TLSHUB_MASTER_LEN);
	memcpy(kb, &status, 4);
	reply(nlh, to, TLSHUB_OP_FETCH, 0, kb, sizeof(kb));
	explicit_bzero(kb, sizeof(kb));
}

static void handle(const struct nlmsghdr *nlh, __u32 from)
{
	struct tlshub_request rq;
	enum tlshub_layout lay;
	__u8 type;

	if (tlshub_decode_request(NLMSG_DATA(nlh),
				  nlh->nlmsg_len - NLMSG_HDRLEN, &rq, &lay) ||
	    rq.opcode > TLSHUB_OP_FETCH) {
		fprintf(stderr, "tlshub_peer: ignoring a malformed request "
			"from %u (%u bytes)\n", from, nlh->nlmsg_len);
		return;
	}
	if (O.delay_ms && faulty(rq.opcode))
		usleep(O.delay_ms * 1000);
	switch (rq.opcode) {
	case TLSHUB_OP_INIT:
		injected_logs(nlh, from, rq.opcode);
		reply(nlh, from, rq.opcode, TLSHUB_MSG_INIT_DONE, "", 1);
		break;
	case TLSHUB_OP_START:
		injected_logs(nlh, from, rq.opcode);
		type = do_start(nlh, from, &rq, lay);
		reply(nlh, from, rq.opcode, type, "", 1);
		break;
	case TLSHUB_OP_FETCH:
		do_fetch(nlh, from, &rq);
		break;
	}
}

static int nl_open(__u32 pid, __u32 *got)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_pid = pid };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_NETLINK, SOCK_RAW, O.proto);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    getsockname(fd, (struct sockaddr *)&sa, &len))
		die("netlink socket/bind: %s", strerror(errno));
	*got = sa.nl_pid;
	return fd;
}

/* ---------- options ---------- */

static int parse_addr(const char *s, struct sockaddr_in *a)
{
	char host[64];
	const char *c = strrchr(s, ':');
	char *end;
	long port;

	if (!c || (size_t)(c - s) >= sizeof(host))
		return -1;
	memcpy(host, s, c - s);
	host[c - s] = '\0';
	port = strtol(c + 1, &end, 10);
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_port = htons(port);
	if (*end || port < 0 || port > 65535 ||
	    inet_pton(AF_INET, host, &a->sin_addr) != 1)
		return -1;
	return 0;
}

static int parse_int(const char *s, const char *what)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (!*s || *end || v < 0 || v > 1000000000)
		die("bad number for %s", what);
	return (int)v;
}

static void parse_faults(const char *s)
{
	O.fault_on = 0;
	if (strstr(s, "init"))
		O.fault_on |= FAULT_INIT;
	if (strstr(s, "start"))
		O.fault_on |= FAULT_START;
	if (strstr(s, "fetch"))
		O.fault_on |= FAULT_FETCH;
	if (strstr(s, "all"))
		O.fault_on = 7;
	if (!O.fault_on)
		die("bad --fault-on '%s'", s);
}

/* 64 hex digits (surrounding blanks allowed) -> O.fixed_key. */
static void load_fixed_key(const char *path)
{
	char text[200], *p;
	FILE *f = fopen(path, "r");
	size_t n, i;
	unsigned int b;

	if (!f)
		die("cannot open --fixed-key-file %s", path);
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	for (p = text; *p == ' ' || *p == '\n'; p++)
		;
	for (i = 0; i < TLSHUB_MASTER_LEN; i++) {
		if (!isxdigit((unsigned char)p[2 * i]) ||
		    !isxdigit((unsigned char)p[2 * i + 1]) ||
		    sscanf(p + 2 * i, "%2x", &b) != 1)
			die("--fixed-key-file %s: want 64 hex digits", path);
		O.fixed_key[i] = (__u8)b;
	}
	for (p += 2 * TLSHUB_MASTER_LEN; *p == ' ' || *p == '\n'; p++)
		;
	if (*p)
		die("--fixed-key-file %s: want 64 hex digits", path);
	explicit_bzero(text, sizeof(text));
	O.have_fixed = 1;
	fprintf(stderr, "tlshub_peer: WARNING: --fixed-key-file: serving ONE "
		"KNOWN master key from %s for every flow. TEST ONLY: this "
		"is no key agreement, never use it outside tests.\n", path);
}

static void parse_args(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "node", 1, 0, 'n' }, { "certs", 1, 0, 'c' },
		{ "listen", 1, 0, 'l' }, { "node-ip", 1, 0, 'i' },
		{ "node-port", 1, 0, 'p' }, { "remote", 1, 0, 'r' },
		{ "remote-name", 1, 0, 'R' }, { "nl-pid", 1, 0, 'P' },
		{ "proto", 1, 0, 'N' }, { "server-wait-ms", 1, 0, 'w' },
		{ "delay-ms", 1, 0, 'd' }, { "short-reply", 0, 0, 's' },
		{ "wrong-seq", 0, 0, 'q' }, { "spoof-pid", 0, 0, 'S' },
		{ "log-lines", 1, 0, 'L' }, { "fail-handshake", 0, 0, 'f' },
		{ "expire", 0, 0, 'e' }, { "fault-on", 1, 0, 'F' },
		{ "fixed-key-file", 1, 0, 'K' },
		{ 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'n': O.node = optarg; break;
		case 'c': O.certs = optarg; break;
		case 'l':
			if (parse_addr(optarg, &O.listen))
				die("bad --listen '%s'", optarg);
			break;
		case 'i':
			if (inet_pton(AF_INET, optarg, &O.node_ip) != 1)
				die("bad --node-ip '%s'", optarg);
			break;
		case 'p': O.node_port = parse_int(optarg, "--node-port"); break;
		case 'r':
			if (parse_addr(optarg, &O.remote))
				die("bad --remote '%s'", optarg);
			O.have_remote = 1;
			break;
		case 'R': O.remote_name = optarg; break;
		case 'P': O.nl_pid = parse_int(optarg, "--nl-pid"); break;
		case 'N': O.proto = parse_int(optarg, "--proto"); break;
		case 'w': O.server_wait_ms = parse_int(optarg, "--server-wait-ms"); break;
		case 'd': O.delay_ms = parse_int(optarg, "--delay-ms"); break;
		case 's': O.short_reply = 1; break;
		case 'q': O.wrong_seq = 1; break;
		case 'S': O.spoof_pid = 1; break;
		case 'L': O.log_lines = parse_int(optarg, "--log-lines"); break;
		case 'f': O.fail_hs = 1; break;
		case 'e': O.expire = 1; break;
		case 'F': parse_faults(optarg); break;
		case 'K': load_fixed_key(optarg); break;
		default: exit(2);
		}
	}
	if (!O.node || !O.certs || !O.listen.sin_family)
		die("%s", "usage: tlshub_peer --node NAME --certs DIR "
		    "--listen IP:PORT [options] (see the file comment)");
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	struct sockaddr_nl from;
	struct nlmsghdr *nlh;
	__u8 buf[4096];
	pthread_t th;
	int lfd, one = 1, n;
	__u32 spoof_pid;

	parse_args(argc, argv);
	signal(SIGPIPE, SIG_IGN);
	srv_ctx = make_ctx(1);
	cli_ctx = make_ctx(0);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&O.listen, sizeof(O.listen)) ||
	    listen(lfd, 16) || getsockname(lfd, (struct sockaddr *)&sa, &len))
		die("cannot listen: %s", strerror(errno));
	nl_fd = nl_open(O.nl_pid, &nl_portid);
	spoof_fd = nl_open(0, &spoof_pid);
	if (pthread_create(&th, NULL, service, (void *)(long)lfd))
		die("%s", "pthread_create failed");
	printf("READY nl_pid=%u port=%u\n", nl_portid, ntohs(sa.sin_port));
	fflush(stdout);
	for (;;) {
		len = sizeof(from);
		n = recvfrom(nl_fd, buf, sizeof(buf), 0,
			     (struct sockaddr *)&from, &len);
		if (n < 0) {
			if (errno == EINTR || errno == ENOBUFS)
				continue;
			die("netlink receive: %s", strerror(errno));
		}
		nlh = (struct nlmsghdr *)buf;
		if (n < NLMSG_HDRLEN || nlh->nlmsg_len < NLMSG_HDRLEN ||
		    nlh->nlmsg_len > (__u32)n) {
			fprintf(stderr, "tlshub_peer: short netlink message "
				"from %u\n", from.nl_pid);
			continue;
		}
		handle(nlh, from.nl_pid);
	}
	return 0;
}
