// SPDX-License-Identifier: GPL-2.0
/*
 * TLSHub client: the module's netlink wire format (TLSHUB_PROTOCOL.md,
 * docs/TLSHUB.md) with the checks the original client lacks (timeout,
 * sender, sequence, lengths, bounded log lines, never exits), and the key
 * schedule from the flow's master key to per-direction kTLS material.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <libmnl/libmnl.h>
#include "keys/tlshub_client.h"
#include "keys/tlshub_hkdf.h"
#include "lib/clock.h"
#include "lib/nl_req.h"

#define DEF_TIMEOUT_MS		2000
#define DEF_HS_TIMEOUT_MS	10000
#define DEF_MAX_LOG_LINES	64
#define GUARD_SLOTS		1024
#define GUARD_TAG_LEN		16
#define KS_SALT			"tcseg tlshub v1"
#define KS_SALT_V2		"tcseg tlshub v2"
#define KS_CTX_LEN		14
#define KS_CTX_V2_LEN		22	/* + client ISN, server ISN (BE) */

struct guard_entry {
	struct flow_tuple t;
	__u8 role;
	__u8 used;
	__u8 tag[GUARD_TAG_LEN];
};

static struct {
	pthread_mutex_t lock;
	struct tlshub_config cfg;
	int configured;
	struct mnl_socket *nl;
	__u32 portid;
	__u32 seq;
	struct tlshub_stats st;
	__u8 guard_key[32];
	struct guard_entry guard[GUARD_SLOTS];
	unsigned int guard_next;
} G = { .lock = PTHREAD_MUTEX_INITIALIZER };

static __thread char last_err[256];

static const char *op_name(int op)
{
	switch (op) {
	case TLSHUB_OP_INIT:
		return "INIT";
	case TLSHUB_OP_START:
		return "START";
	case TLSHUB_OP_FETCH:
		return "FETCH";
	}
	return "?";
}

static void logmsg(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void logmsg(int level, const char *fmt, ...)
{
	char buf[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (G.cfg.log)
		G.cfg.log(G.cfg.log_arg, level, buf);
	else if (level <= TLSHUB_LOG_INFO)
		fprintf(stderr, "tlshub: %s\n", buf);
}

static int fail(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int fail(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_err, sizeof(last_err), fmt, ap);
	va_end(ap);
	return err;
}

const char *tlshub_last_error(void)
{
	return last_err[0] ? last_err : "no error";
}

const char *tlshub_strerror(int err)
{
	switch (err < 0 ? -err : err) {
	case ECONNREFUSED:
	case EPROTONOSUPPORT:
		return "TLSHub not available";
	case ETIMEDOUT:
		return "TLSHub did not answer in time";
	case ENOKEY:
		return "no key for this flow";
	case EKEYEXPIRED:
		return "master key expired";
	case EBADMSG:
		return "malformed reply";
	case EPROTO:
		return "protocol error";
	case ECONNABORTED:
		return "handshake failed";
	case ESTALE:
		return "master key already used for this flow";
	case ENOTCONN:
		return "TLSHub client not initialised";
	case EAFNOSUPPORT:
		return "TLSHub has no IPv6";
	}
	return strerror(err < 0 ? -err : err);
}

static void flow_str(const struct flow_tuple *t, char *buf, size_t len)
{
	char s[INET_ADDRSTRLEN], d[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &t->saddr, s, sizeof(s));
	inet_ntop(AF_INET, &t->daddr, d, sizeof(d));
	snprintf(buf, len, "%s:%u-%s:%u", s, t->sport, d, t->dport);
}

/* ---------- wire ---------- */

static void put_be16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static __u16 get_be16(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

static void put_be32(__u8 *p, __u32 v)
{
	put_be16(p, v >> 16);
	put_be16(p + 2, v & 0xffff);
}

int tlshub_encode_request(enum tlshub_layout layout,
			  const struct tlshub_request *req, void *buf,
			  size_t buf_len)
{
	size_t need = layout == TLSHUB_LAYOUT_V1 ? TLSHUB_REQ_V1_LEN :
		      TLSHUB_REQ_V2_LEN;
	__u8 *p = buf;
	size_t off = 8;

	if (buf_len < need)
		return -EINVAL;
	memset(p, 0, need);
	memcpy(p, &req->client_pod_ip, 4);	/* already network order */
	memcpy(p + 4, &req->server_pod_ip, 4);
	if (need == TLSHUB_REQ_V2_LEN) {
		memcpy(p + 8, &req->server_node_ip, 4);
		off = 12;
	}
	put_be16(p + off, req->client_pod_port);
	put_be16(p + off + 2, req->server_pod_port);
	p[off + 4] = req->opcode;
	p[off + 5] = req->server;
	return (int)need;
}

int tlshub_decode_request(const void *buf, size_t len,
			  struct tlshub_request *req,
			  enum tlshub_layout *layout)
{
	const __u8 *p = buf;
	size_t off = 8;

	memset(req, 0, sizeof(*req));
	if (len != TLSHUB_REQ_V1_LEN && len != TLSHUB_REQ_V2_LEN)
		return -EBADMSG;
	memcpy(&req->client_pod_ip, p, 4);
	memcpy(&req->server_pod_ip, p + 4, 4);
	if (len == TLSHUB_REQ_V2_LEN) {
		memcpy(&req->server_node_ip, p + 8, 4);
		off = 12;
	}
	req->client_pod_port = get_be16(p + off);
	req->server_pod_port = get_be16(p + off + 2);
	req->opcode = p[off + 4];
	req->server = p[off + 5];
	if (layout)
		*layout = len == TLSHUB_REQ_V1_LEN ? TLSHUB_LAYOUT_V1 :
			  TLSHUB_LAYOUT_V2;
	return 0;
}

static void copy_text(char *dst, const __u8 *src, size_t len)
{
	size_t i;

	if (len > TLSHUB_MSG_LEN)
		len = TLSHUB_MSG_LEN;
	for (i = 0; i < len && src[i]; i++)
		dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? src[i] : '?';
	dst[i] = '\0';
}

int tlshub_parse_reply(int op, const void *payload, size_t len,
		       struct tlshub_reply *out, const char **why)
{
	static const __u8 zero[TLSHUB_MASTER_LEN];
	const __u8 *p = payload;
	__s32 status;

	memset(out, 0, sizeof(*out));
	*why = NULL;
	if (len < 1) {
		*why = "empty payload (no msg_type)";
		return -EBADMSG;
	}
	out->msg_type = p[0];
	if (op != TLSHUB_OP_FETCH) {
		if (out->msg_type == TLSHUB_MSG_LOG)
			copy_text(out->text, p + 1, len - 1);
		return 0;
	}
	/* FETCH: msg holds struct key_back { int status; u8 masterkey[32]; } */
	if (len < 1 + sizeof(status) + TLSHUB_MASTER_LEN) {
		*why = "FETCH reply shorter than msg_type + struct key_back";
		return -EBADMSG;
	}
	memcpy(&status, p + 1, sizeof(status));
	out->key_status = status;
	if (status == TLSHUB_KEY_NONE || status == TLSHUB_KEY_EXPIRED)
		return 0;
	if (status != TLSHUB_KEY_OK) {
		*why = "unknown key_back.status";
		return -EBADMSG;
	}
	memcpy(out->master, p + 1 + sizeof(status), TLSHUB_MASTER_LEN);
	if (!memcmp(out->master, zero, sizeof(zero))) {
		explicit_bzero(out, sizeof(*out));
		*why = "all-zero master key";
		return -EBADMSG;
	}
	return 0;
}

/* ---------- key schedule ---------- */

static int all_zero(const __u8 *p, size_t len)
{
	__u8 acc = 0;
	size_t i;

	for (i = 0; i < len; i++)
		acc |= p[i];
	return acc == 0;
}

int tlshub_derive_conn(const __u8 master[TLSHUB_MASTER_LEN],
		       const struct flow_tuple *tuple,
		       const struct flow_isn *isn, __u16 cipher,
		       enum tlshub_role role, struct tls_key_info *ki)
{
	__u8 ctx[KS_CTX_V2_LEN], prk[TH_SHA256_LEN];
	__u8 ck[TCSEG_KEY_LEN_MAX], sk[TCSEG_KEY_LEN_MAX];
	__u8 civ[TCSEG_IV_LEN], siv[TCSEG_IV_LEN];
	int klen = tcseg_cipher_key_len(cipher), r;
	size_t cl = isn ? KS_CTX_V2_LEN : KS_CTX_LEN;

	memset(ki, 0, sizeof(*ki));
	if (klen < 0 || (role != TLSHUB_ROLE_CLIENT &&
			 role != TLSHUB_ROLE_SERVER))
		return -EINVAL;
	memcpy(ctx, &tuple->saddr, 4);
	memcpy(ctx + 4, &tuple->daddr, 4);
	put_be16(ctx + 8, tuple->sport);
	put_be16(ctx + 10, tuple->dport);
	put_be16(ctx + 12, cipher);
	if (isn) {
		put_be32(ctx + 14, isn->client);
		put_be32(ctx + 18, isn->server);
		r = th_hkdf_extract(KS_SALT_V2, sizeof(KS_SALT_V2) - 1,
				    master, TLSHUB_MASTER_LEN, prk);
	} else {
		r = th_hkdf_extract(KS_SALT, sizeof(KS_SALT) - 1, master,
				    TLSHUB_MASTER_LEN, prk);
	}
	r = r ?: th_hkdf_expand_label(prk, "tcseg c2s key", ctx, cl, ck, klen);
	r = r ?: th_hkdf_expand_label(prk, "tcseg c2s iv", ctx, cl,
				      civ, sizeof(civ));
	r = r ?: th_hkdf_expand_label(prk, "tcseg s2c key", ctx, cl, sk, klen);
	r = r ?: th_hkdf_expand_label(prk, "tcseg s2c iv", ctx, cl,
				      siv, sizeof(siv));
	if (r)
		goto out;
	/* Astronomically unlikely, but these would break AEAD outright. */
	if (all_zero(civ, sizeof(civ)) || all_zero(siv, sizeof(siv)) ||
	    !memcmp(ck, sk, klen) || !memcmp(civ, siv, sizeof(civ))) {
		r = -EIO;
		goto out;
	}
	ki->key_len = klen;
	ki->iv_len = TCSEG_IV_LEN;
	ki->version = TCSEG_TLS_1_3;
	ki->cipher = cipher;
	memcpy(ki->key, role == TLSHUB_ROLE_CLIENT ? ck : sk, klen);
	memcpy(ki->iv, role == TLSHUB_ROLE_CLIENT ? civ : siv, TCSEG_IV_LEN);
	memcpy(ki->rx_key, role == TLSHUB_ROLE_CLIENT ? sk : ck, klen);
	memcpy(ki->rx_iv, role == TLSHUB_ROLE_CLIENT ? siv : civ, TCSEG_IV_LEN);
out:
	if (r)
		explicit_bzero(ki, sizeof(*ki));
	explicit_bzero(prk, sizeof(prk));
	explicit_bzero(ck, sizeof(ck));
	explicit_bzero(sk, sizeof(sk));
	explicit_bzero(civ, sizeof(civ));
	explicit_bzero(siv, sizeof(siv));
	return r;
}

int tlshub_derive(const __u8 master[TLSHUB_MASTER_LEN],
		  const struct flow_tuple *tuple, __u16 cipher,
		  enum tlshub_role role, struct tls_key_info *ki)
{
	return tlshub_derive_conn(master, tuple, NULL, cipher, role, ki);
}

/* ---------- transport (caller holds G.lock) ---------- */

static int seq_ok(__u32 got, __u32 want)
{
	enum tlshub_seq_check m = G.cfg.seq_check;

	if (m == TLSHUB_SEQ_AUTO)
		m = G.cfg.peer_pid ? TLSHUB_SEQ_STRICT : TLSHUB_SEQ_ZERO_OK;
	return got == want || (m == TLSHUB_SEQ_ZERO_OK && got == 0);
}

/* Drop replies to earlier requests that timed out. */
static void drain(int fd)
{
	char buf[256];

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC) >= 0)
		G.st.drained++;
}

struct txn {
	int op;
	__u32 seq;
	int log_lines;
	struct tlshub_reply *out;
	char last_log[TLSHUB_MSG_LEN + 1];
};

/* 1: final reply in t->out, 0: keep reading, <0: error. */
static int handle_msg(struct txn *t, const struct nlmsghdr *nlh)
{
	const void *pl = mnl_nlmsg_get_payload(nlh);
	size_t plen = mnl_nlmsg_get_payload_len(nlh);
	const struct nlmsgerr *e = pl;
	const char *why;

	if (!seq_ok(nlh->nlmsg_seq, t->seq)) {
		G.st.ignored_seq++;
		return 0;
	}
	if (nlh->nlmsg_type == NLMSG_NOOP)
		return 0;
	if (nlh->nlmsg_type == NLMSG_ERROR) {
		if (plen < sizeof(*e))
			return fail(-EBADMSG, "short NLMSG_ERROR in reply to %s",
				    op_name(t->op));
		if (e->error == 0)	/* an ack, not our answer */
			return 0;
		if (e->error < 0 && e->error > -4096)
			return fail(e->error, "TLSHub answered %s with netlink "
				    "error: %s", op_name(t->op),
				    strerror(-e->error));
		return fail(-EBADMSG, "NLMSG_ERROR with bad code %d",
			    e->error);
	}
	if (tlshub_parse_reply(t->op, pl, plen, t->out, &why))
		return fail(-EBADMSG, "bad reply to %s (%zu payload bytes): %s",
			    op_name(t->op), plen, why);
	if (t->op == TLSHUB_OP_FETCH)	/* msg_type unused, as in the original */
		return 1;
	switch (t->out->msg_type) {
	case TLSHUB_MSG_LOG:
		if (++t->log_lines > G.cfg.max_log_lines)
			return fail(-EPROTO, "more than %d log lines in reply "
				    "to %s", G.cfg.max_log_lines,
				    op_name(t->op));
		G.st.log_lines++;
		logmsg(TLSHUB_LOG_INFO, "module: %s", t->out->text);
		memcpy(t->last_log, t->out->text, sizeof(t->last_log));
		return 0;
	case TLSHUB_MSG_INIT_DONE:
		if (t->op == TLSHUB_OP_INIT)
			return 1;
		break;
	case TLSHUB_MSG_HS_FIRST:
	case TLSHUB_MSG_HS_OK:
	case TLSHUB_MSG_CONNECTED:
	case TLSHUB_MSG_HS_FAILED:
		if (t->op == TLSHUB_OP_START)
			return 1;
		break;
	}
	return fail(-EPROTO, "unexpected msg_type 0x%02x in reply to %s",
		    t->out->msg_type, op_name(t->op));
}

static int handle_datagram(struct txn *t, const void *buf, int len)
{
	const struct nlmsghdr *nlh = buf;
	size_t left = len > 0 ? (size_t)len : 0, step;
	int r;

	if (!nl_msg_fits(nlh, left))
		return fail(-EBADMSG, "malformed netlink reply to %s: %d "
			    "bytes, nlmsg_len %u", op_name(t->op), len,
			    left >= sizeof(*nlh) ? nlh->nlmsg_len : 0);
	while (nl_msg_fits(nlh, left)) {
		r = handle_msg(t, nlh);
		if (r > 0)	/* the final answer carries the last log line */
			memcpy(t->out->text, t->last_log, sizeof(t->last_log));
		if (r)
			return r;
		step = NLMSG_ALIGN(nlh->nlmsg_len);
		if (step >= left)
			break;
		left -= step;
		nlh = (const struct nlmsghdr *)((const char *)nlh + step);
	}
	return 0;
}

int tlshub_handle_datagram(int op, __u32 seq, const void *buf, size_t len,
			   struct tlshub_reply *out)
{
	struct txn t = { .op = op, .seq = seq, .out = out, .last_log = "" };
	int r;

	if (len > INT_MAX)
		return fail(-EBADMSG, "datagram too long");
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&G.lock);
	r = handle_datagram(&t, buf, (int)len);
	pthread_mutex_unlock(&G.lock);
	return r;
}

static int send_req(const struct tlshub_request *req, __u32 seq)
{
	char buf[NLMSG_HDRLEN + TLSHUB_REQ_V2_LEN + 16];
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK,
				  .nl_pid = G.cfg.peer_pid };
	struct nlmsghdr *nlh;
	int fd = mnl_socket_get_fd(G.nl), n;

	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = 0;	/* type 0, flags 0: as the module expects */
	nlh->nlmsg_flags = 0;
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_pid = G.portid;
	n = tlshub_encode_request(G.cfg.layout, req,
				  mnl_nlmsg_put_extra_header(nlh, 0),
				  sizeof(buf) - NLMSG_HDRLEN);
	if (n < 0)
		return fail(n, "cannot encode request");
	nlh->nlmsg_len += n;
	drain(fd);
	if (sendto(fd, nlh, nlh->nlmsg_len, 0, (struct sockaddr *)&sa,
		   sizeof(sa)) < 0) {
		n = -errno;
		if (n == -ECONNREFUSED)
			return fail(n, "TLSHub not available: nobody listens "
				    "on netlink protocol %d nl_pid %u",
				    G.cfg.protocol, G.cfg.peer_pid);
		return fail(n, "netlink send of %s failed: %s",
			    op_name(req->opcode), strerror(-n));
	}
	G.st.requests++;
	return 0;
}

static int wait_reply(struct txn *t, int timeout_ms)
{
	/* netlink headers are read in place: keep them aligned */
	static __thread __u8 buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct sockaddr_nl sa;
	socklen_t salen;
	long long deadline = mono_ms() + timeout_ms, left;
	__u64 bad_pid0 = G.st.ignored_sender, bad_seq0 = G.st.ignored_seq;
	struct pollfd pfd = { .fd = mnl_socket_get_fd(G.nl), .events = POLLIN };
	ssize_t n;
	int r;

	for (;;) {
		left = deadline - mono_ms();
		if (left <= 0)
			break;
		r = poll(&pfd, 1, (int)left);
		if (r < 0 && errno != EINTR)
			return fail(-errno, "poll on the netlink socket: %s",
				    strerror(errno));
		if (r <= 0)
			continue;
		salen = sizeof(sa);
		n = recvfrom(pfd.fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC,
			     (struct sockaddr *)&sa, &salen);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR ||
			    errno == ENOBUFS)
				continue;
			return fail(-errno, "netlink receive: %s",
				    strerror(errno));
		}
		if (salen < sizeof(sa) || sa.nl_family != AF_NETLINK ||
		    sa.nl_pid != G.cfg.peer_pid) {
			G.st.ignored_sender++;
			continue;
		}
		if ((size_t)n > sizeof(buf)) {
			r = fail(-EBADMSG, "reply to %s too long (%zd bytes)",
				 op_name(t->op), n);
		} else {
			r = handle_datagram(t, buf, (int)n);
		}
		if (r < 0)
			G.st.bad_replies++;
		if (r) {
			explicit_bzero(buf, sizeof(buf));
			if (r > 0)
				G.st.replies++;
			return r < 0 ? r : 0;
		}
	}
	explicit_bzero(buf, sizeof(buf));
	G.st.timeouts++;
	return fail(-ETIMEDOUT, "TLSHub did not answer %s (seq %u) within "
		    "%d ms; ignored %llu message(s) from a wrong sender, "
		    "%llu with a wrong sequence number", op_name(t->op),
		    t->seq, timeout_ms,
		    (unsigned long long)(G.st.ignored_sender - bad_pid0),
		    (unsigned long long)(G.st.ignored_seq - bad_seq0));
}

static int transact(const struct tlshub_request *req, int timeout_ms,
		    struct tlshub_reply *out)
{
	struct txn t = { .op = req->opcode, .out = out, .last_log = "" };
	int r;

	if (!G.nl)
		return fail(-ENOTCONN, "TLSHub client not initialised");
	if (++G.seq == 0)
		++G.seq;
	t.seq = G.seq;
	r = send_req(req, t.seq);
	return r ?: wait_reply(&t, timeout_ms);
}

/* ------ configuration and the process-wide API (docs/TLSHUB.md) ------ */

static void cfg_defaults(struct tlshub_config *c)
{
	if (!c->protocol)
		c->protocol = TLSHUB_NETLINK_PROTO;
	if (c->layout == TLSHUB_LAYOUT_DEFAULT)
		c->layout = TLSHUB_LAYOUT_V2;
	if (c->timeout_ms <= 0)
		c->timeout_ms = DEF_TIMEOUT_MS;
	if (c->handshake_timeout_ms <= 0)
		c->handshake_timeout_ms = DEF_HS_TIMEOUT_MS;
	if (c->max_log_lines <= 0)
		c->max_log_lines = DEF_MAX_LOG_LINES;
	if (!c->cipher)
		c->cipher = TCSEG_CIPHER_AES_GCM_128;
}

int tlshub_client_configure(const struct tlshub_config *cfg)
{
	struct tlshub_config c = *cfg;

	cfg_defaults(&c);
	if (c.protocol < 0 || c.protocol >= 32)
		return fail(-EINVAL, "netlink protocol %d out of range 0..31",
			    c.protocol);
	if (c.layout != TLSHUB_LAYOUT_V1 && c.layout != TLSHUB_LAYOUT_V2)
		return fail(-EINVAL, "unknown request layout %d", c.layout);
	if (c.seq_check > TLSHUB_SEQ_ZERO_OK)
		return fail(-EINVAL, "unknown seq_check %d", c.seq_check);
	if (tcseg_cipher_key_len(c.cipher) < 0)
		return fail(-EINVAL, "unsupported cipher %u", c.cipher);
	if (c.layout == TLSHUB_LAYOUT_V2 && !c.node_ip && !c.server_node_ip)
		return fail(-EINVAL, "request layout v2 needs the server node "
			    "IP: set node_ip or server_node_ip");
	pthread_mutex_lock(&G.lock);
	G.cfg = c;
	G.configured = 1;
	pthread_mutex_unlock(&G.lock);
	return 0;
}

static void close_locked(void)
{
	if (G.nl)
		mnl_socket_close(G.nl);
	G.nl = NULL;
	explicit_bzero(G.guard, sizeof(G.guard));
	explicit_bzero(G.guard_key, sizeof(G.guard_key));
	G.guard_next = 0;
}

static struct mnl_socket *hub_socket_open(void)
{
	struct mnl_socket *nl = mnl_socket_open(G.cfg.protocol);
	int e;

	if (nl && mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		e = errno;
		mnl_socket_close(nl);
		errno = e;
		return NULL;
	}
	return nl;
}

static int open_locked(void)
{
	struct tlshub_request req = { .opcode = TLSHUB_OP_INIT, .server = 1 };
	struct tlshub_reply rep;
	int r;

	G.nl = hub_socket_open();
	if (G.nl && mnl_socket_get_portid(G.nl) == G.cfg.peer_pid) {
		/* The absent peer's port id was handed to us: we would talk
		 * to ourselves. Take another one while holding this one. */
		struct mnl_socket *old = G.nl;

		G.nl = hub_socket_open();
		mnl_socket_close(old);
	}
	if (!G.nl) {
		r = -errno;
		if (r == -EPROTONOSUPPORT)
			return fail(r, "TLSHub not available: netlink protocol "
				    "%d is not registered (module not loaded?)",
				    G.cfg.protocol);
		return fail(r, "netlink socket (protocol %d): %s",
			    G.cfg.protocol, strerror(-r));
	}
	G.portid = mnl_socket_get_portid(G.nl);
	if (getrandom(G.guard_key, sizeof(G.guard_key), 0) !=
	    sizeof(G.guard_key)) {
		r = fail(-EIO, "getrandom failed");
		goto err;
	}
	if (G.cfg.skip_init)
		return 0;
	r = transact(&req, G.cfg.timeout_ms, &rep);
	if (r)
		goto err;
	logmsg(TLSHUB_LOG_DEBUG, "initialised (protocol %d, peer %u, "
	       "layout v%d)", G.cfg.protocol, G.cfg.peer_pid, G.cfg.layout);
	return 0;
err:
	close_locked();
	return r;
}

int tlshub_client_init(void)
{
	struct tlshub_config def = { 0 };
	int r;

	pthread_mutex_lock(&G.lock);
	if (!G.configured) {
		/* Seed API without configure: the kernel module, layout v1
		 * (v2 needs the node IP source). */
		def.layout = TLSHUB_LAYOUT_V1;
		cfg_defaults(&def);
		G.cfg = def;
		G.configured = 1;
	}
	close_locked();
	r = open_locked();
	pthread_mutex_unlock(&G.lock);
	return r;
}

void tlshub_client_cleanup(void)
{
	pthread_mutex_lock(&G.lock);
	close_locked();
	pthread_mutex_unlock(&G.lock);
}

void tlshub_client_stats(struct tlshub_stats *st)
{
	pthread_mutex_lock(&G.lock);
	*st = G.st;
	pthread_mutex_unlock(&G.lock);
}

static int fill_req(struct tlshub_request *req, int op,
		    const struct flow_tuple *t, enum tlshub_role role)
{
	char fs[64];
	int r;

	memset(req, 0, sizeof(*req));
	req->opcode = op;
	req->server = role == TLSHUB_ROLE_SERVER;
	req->client_pod_ip = t->saddr;
	req->server_pod_ip = t->daddr;
	req->client_pod_port = t->sport;
	req->server_pod_port = t->dport;
	if (G.cfg.layout != TLSHUB_LAYOUT_V2)
		return 0;
	if (!G.cfg.node_ip) {
		req->server_node_ip = G.cfg.server_node_ip;
		return 0;
	}
	r = G.cfg.node_ip(G.cfg.node_ip_arg, t->daddr, &req->server_node_ip);
	if (r || !req->server_node_ip) {
		flow_str(t, fs, sizeof(fs));
		return fail(r < 0 ? r : -ENOENT, "flow %s: no node IP for the "
			    "server pod (request layout v2 needs it)", fs);
	}
	return 0;
}

/*
 * TLSHub's wire format carries a pod address as a u32 (client_pod_ip,
 * server_node_ip; /work/shared/TLSHUB_PROTOCOL.md): it has no IPv6. An
 * IPv6 flow is refused before anything is sent (the key provider's
 * fallback_mode decides what happens next; none = fail closed).
 */
static int refuse_v6(const struct flow_tuple *t)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];

	if (!inet_ntop(AF_INET6, t->saddr6, s, sizeof(s)) ||
	    !inet_ntop(AF_INET6, t->daddr6, d, sizeof(d)))
		snprintf(s, sizeof(s), "?");
	logmsg(TLSHUB_LOG_WARN, "flow [%s]:%u-[%s]:%u is IPv6: the TLSHub "
	       "wire format has IPv4 pod addresses only, TLSHub fails it "
	       "closed", s, t->sport, d, t->dport);
	return fail(-EAFNOSUPPORT, "TLSHub has no IPv6 (flow [%s]:%u-[%s]:%u)",
		    s, t->sport, d, t->dport);
}

static int check_tuple(const struct flow_tuple *t, const void *ki)
{
	if (!t || !ki)
		return fail(-EINVAL, "NULL tuple or key_info");
	if (flow_is_v6(t))
		return refuse_v6(t);
	if (!t->saddr || !t->daddr || !t->sport || !t->dport)
		return fail(-EINVAL, "flow tuple has a zero address or port");
	return 0;
}

static enum tlshub_role pick_role(const struct flow_tuple *t,
				  enum tlshub_role role)
{
	if (role != TLSHUB_ROLE_AUTO)
		return role;
	if (!G.cfg.is_local || G.cfg.is_local(G.cfg.is_local_arg, t->saddr))
		return TLSHUB_ROLE_CLIENT;
	return TLSHUB_ROLE_SERVER;
}

/*
 * A module keeps one master key per 4-tuple. If the tuple comes back (the
 * client port is reused) it may hand out the same key again. The v2
 * schedule mixes in the connection's ISNs, so a new connection gets new
 * keys anyway (docs/KEYS.md §uniqueness); this guard is the second line:
 * it remembers a keyed tag of (master key, ISNs) per flow and role in a
 * ring and refuses the very same input twice, as that would be AEAD nonce
 * reuse with record sequence numbers restarting at 0.
 */
static int guard_check(const struct flow_tuple *t, enum tlshub_role role,
		       const __u8 *master, const struct flow_isn *isn)
{
	__u8 in[TLSHUB_MASTER_LEN + 8], mac[TH_SHA256_LEN];
	struct guard_entry *e, *hit = NULL;
	unsigned int i;
	int r = 0;

	if (G.cfg.no_reuse_guard)
		return 0;
	memcpy(in, master, TLSHUB_MASTER_LEN);
	memset(in + TLSHUB_MASTER_LEN, 0, 8);
	if (isn) {
		put_be32(in + TLSHUB_MASTER_LEN, isn->client);
		put_be32(in + TLSHUB_MASTER_LEN + 4, isn->server);
	}
	r = th_hmac_sha256(G.guard_key, sizeof(G.guard_key), in, sizeof(in),
			   mac);
	explicit_bzero(in, sizeof(in));
	if (r)
		return r;	/* no tag, no key */
	for (i = 0; i < GUARD_SLOTS; i++) {
		e = &G.guard[i];
		if (e->used && e->role == role && !memcmp(&e->t, t, sizeof(*t))) {
			hit = e;
			break;
		}
	}
	if (hit && !memcmp(hit->tag, mac, GUARD_TAG_LEN)) {
		r = -ESTALE;
	} else {
		if (!hit) {
			hit = &G.guard[G.guard_next];
			G.guard_next = (G.guard_next + 1) % GUARD_SLOTS;
		}
		hit->t = *t;
		hit->role = role;
		hit->used = 1;
		memcpy(hit->tag, mac, GUARD_TAG_LEN);
	}
	explicit_bzero(mac, sizeof(mac));
	return r;
}

static int fetch_locked(struct flow_tuple *t, const struct flow_isn *isn,
			struct tls_key_info *ki, enum tlshub_role role)
{
	struct tlshub_request req;
	struct tlshub_reply rep;
	char fs[64];
	int r;

	role = pick_role(t, role);
	r = fill_req(&req, TLSHUB_OP_FETCH, t, role);
	if (r)
		return r;
	r = transact(&req, G.cfg.timeout_ms, &rep);
	if (r)
		goto out;
	flow_str(t, fs, sizeof(fs));
	if (rep.key_status == TLSHUB_KEY_NONE) {
		r = fail(-ENOKEY, "TLSHub has no key for flow %s (handshake "
			 "not done)", fs);
	} else if (rep.key_status == TLSHUB_KEY_EXPIRED) {
		r = fail(-EKEYEXPIRED, "TLSHub master key of flow %s expired",
			 fs);
	} else if (guard_check(t, role, rep.master, isn)) {
		G.st.reuse_refused++;
		r = fail(-ESTALE, "TLSHub returned the master key already "
			 "used for flow %s (%s end, same ISNs); refusing to "
			 "reuse key and IV", fs,
			 role == TLSHUB_ROLE_CLIENT ? "client" : "server");
	} else {
		r = tlshub_derive_conn(rep.master, t, isn, G.cfg.cipher, role,
				       ki);
		if (r)
			fail(r, "key schedule failed for flow %s", fs);
		else
			G.st.keys++;
	}
out:
	explicit_bzero(&rep, sizeof(rep));
	if (r)
		explicit_bzero(ki, sizeof(*ki));
	return r;
}

int tlshub_fetch_key_conn(struct flow_tuple *tuple,
			  const struct flow_isn *isn,
			  struct tls_key_info *key_info, enum tlshub_role role)
{
	int r = check_tuple(tuple, key_info);

	if (r)
		return r;
	pthread_mutex_lock(&G.lock);
	r = fetch_locked(tuple, isn, key_info, role);
	pthread_mutex_unlock(&G.lock);
	return r;
}

int tlshub_fetch_key_role(struct flow_tuple *tuple,
			  struct tls_key_info *key_info, enum tlshub_role role)
{
	return tlshub_fetch_key_conn(tuple, NULL, key_info, role);
}

int tlshub_fetch_key(struct flow_tuple *tuple, struct tls_key_info *key_info)
{
	return tlshub_fetch_key_role(tuple, key_info, TLSHUB_ROLE_AUTO);
}

static int handshake_locked(struct flow_tuple *t)
{
	struct tlshub_request req;
	struct tlshub_reply rep;
	char fs[64];
	int r;

	r = fill_req(&req, TLSHUB_OP_START, t, TLSHUB_ROLE_CLIENT);
	if (r)
		return r;
	req.server = 0;
	r = transact(&req, G.cfg.handshake_timeout_ms, &rep);
	if (r)
		return r;
	G.st.handshakes++;
	if (rep.msg_type == TLSHUB_MSG_HS_FAILED) {
		flow_str(t, fs, sizeof(fs));
		return fail(-ECONNABORTED, "TLSHub handshake for flow %s "
			    "failed (msg_type 0x03)%s%s", fs,
			    rep.text[0] ? ": " : "", rep.text);
	}
	return 0;
}

int tlshub_handshake(struct flow_tuple *tuple)
{
	int r = check_tuple(tuple, tuple);

	if (r)
		return r;
	pthread_mutex_lock(&G.lock);
	r = handshake_locked(tuple);
	pthread_mutex_unlock(&G.lock);
	return r;
}

int tlshub_get_key_conn(struct flow_tuple *tuple, const struct flow_isn *isn,
			struct tls_key_info *key_info, enum tlshub_role role)
{
	int r = tlshub_fetch_key_conn(tuple, isn, key_info, role);

	if (r != -ENOKEY && r != -EKEYEXPIRED)
		return r;
	r = tlshub_handshake(tuple);
	if (r)
		return r;
	return tlshub_fetch_key_conn(tuple, isn, key_info, role);
}

int tlshub_get_key(struct flow_tuple *tuple, struct tls_key_info *key_info,
		   enum tlshub_role role)
{
	return tlshub_get_key_conn(tuple, NULL, key_info, role);
}
