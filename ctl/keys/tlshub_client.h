/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TLSHub client (docs/TLSHUB.md): asks the TLSHub kernel
 * module (or tests/tlshub_peer over NETLINK_USERSOCK) over netlink for a
 * flow's 32-byte master key and derives per-direction kTLS material from
 * it. Wire format and key schedule: docs/TLSHUB.md. Needs libmnl and,
 * for the HKDF (ctl/keys/tlshub_hkdf.c), libcrypto.
 *
 * Thread safety: every call may come from any thread; requests are
 * serialised on one netlink socket by an internal mutex.
 */
#ifndef TCSEG_TLSHUB_CLIENT_H
#define TCSEG_TLSHUB_CLIENT_H

#include <stddef.h>
#include <linux/types.h>
#include "tcseg_keys.h"

#define TLSHUB_NETLINK_PROTO	31	/* the module's family */
#define TLSHUB_MASTER_LEN	32
#define TLSHUB_MSG_LEN		125	/* reply: u8 msg_type + char msg[125] */
#define TLSHUB_REQ_V1_LEN	16
#define TLSHUB_REQ_V2_LEN	20

/* Request opcodes. */
enum tlshub_opcode {
	TLSHUB_OP_INIT = 0,
	TLSHUB_OP_START = 1,	/* handshake with the server's node */
	TLSHUB_OP_FETCH = 2,	/* the flow's master key */
};

/* Reply msg_type values. */
#define TLSHUB_MSG_HS_FIRST	0x01	/* handshake ok (first) */
#define TLSHUB_MSG_HS_OK	0x02	/* handshake ok (not first) */
#define TLSHUB_MSG_HS_FAILED	0x03	/* handshake failed (alert) */
#define TLSHUB_MSG_LOG		0x04	/* log text in msg, keep reading */
#define TLSHUB_MSG_CONNECTED	0x05	/* already connected */
#define TLSHUB_MSG_INIT_DONE	0x07	/* initialised */

/* struct key_back.status */
#define TLSHUB_KEY_OK		0
#define TLSHUB_KEY_NONE		(-1)
#define TLSHUB_KEY_EXPIRED	(-2)

/* Request payload layout (docs/TLSHUB.md §wire). */
enum tlshub_layout {
	TLSHUB_LAYOUT_DEFAULT = 0,	/* = V2 */
	TLSHUB_LAYOUT_V1 = 1,		/* 16 bytes, no server_node_ip */
	TLSHUB_LAYOUT_V2 = 2,		/* 20 bytes, server_node_ip */
};

/*
 * Reply sequence check. AUTO: STRICT for a user-space peer, ZERO_OK for
 * the kernel (nl_pid 0), whose module may reply with seq 0; stale replies
 * are drained before every request either way.
 */
enum tlshub_seq_check {
	TLSHUB_SEQ_AUTO = 0,
	TLSHUB_SEQ_STRICT = 1,	/* reply seq == request seq */
	TLSHUB_SEQ_ZERO_OK = 2,	/* ... or 0 */
};

/* Which end of the flow the caller's socket is (same values as kp_role). */
enum tlshub_role {
	TLSHUB_ROLE_AUTO = 0,	/* is_local(saddr) ? CLIENT : SERVER */
	TLSHUB_ROLE_CLIENT = 1,	/* connecting side: TX = c2s, RX = s2c */
	TLSHUB_ROLE_SERVER = 2,	/* accepting side: TX = s2c, RX = c2s */
};

enum tlshub_log_level { TLSHUB_LOG_ERR, TLSHUB_LOG_WARN, TLSHUB_LOG_INFO,
			TLSHUB_LOG_DEBUG };

/* Every field 0 = default. Copied by tlshub_client_configure. */
struct tlshub_config {
	int protocol;		/* netlink protocol, 0 = 31 */
	__u32 peer_pid;		/* nl_pid of the module (0 = kernel) or peer */
	enum tlshub_layout layout;
	enum tlshub_seq_check seq_check;
	int timeout_ms;		/* INIT and FETCH round trip, 0 = 2000 */
	int handshake_timeout_ms; /* START incl. log lines, 0 = 10000 */
	int max_log_lines;	/* 0x04 lines per request, 0 = 64 */
	__u16 cipher;		/* TCSEG_CIPHER_*, 0 = AES-GCM-128 */
	int skip_init;		/* do not send INIT in tlshub_client_init */
	int no_reuse_guard;	/* allow the same master key twice per flow+role */
	/* v2: the server pod's node IP (network order); 0 = not found */
	int (*node_ip)(void *arg, __u32 server_pod_ip, __u32 *node_ip);
	void *node_ip_arg;
	__u32 server_node_ip;	/* used when node_ip is NULL */
	/* ROLE_AUTO: is this pod IP on this node? NULL = always client */
	int (*is_local)(void *arg, __u32 pod_ip);
	void *is_local_arg;
	/* messages (never key bytes); NULL = stderr */
	void (*log)(void *arg, int level, const char *msg);
	void *log_arg;
};

/* --- the process-wide client (docs/TLSHUB.md) --- */
int tlshub_client_configure(const struct tlshub_config *cfg);
int tlshub_client_init(void);
void tlshub_client_cleanup(void);
/* FETCH once; role AUTO. -ENOKEY no key yet, -EKEYEXPIRED expired. */
int tlshub_fetch_key(struct flow_tuple *tuple, struct tls_key_info *key_info);
/* START; 0 when the module reports success or already connected. */
int tlshub_handshake(struct flow_tuple *tuple);
/*
 * fetch -> (-ENOKEY or -EKEYEXPIRED) handshake -> fetch; other fetch
 * errors (timeout, peer gone, bad reply) are returned without a handshake.
 * This is what the key provider calls in MODE_TLSHUB.
 */
int tlshub_get_key(struct flow_tuple *tuple, struct tls_key_info *key_info,
		   enum tlshub_role role);
int tlshub_fetch_key_role(struct flow_tuple *tuple,
			  struct tls_key_info *key_info, enum tlshub_role role);
/*
 * The same with the connection's ISNs mixed into the key schedule (v2,
 * docs/TLSHUB.md §4): a reused tuple gets fresh keys although the module
 * hands out the same master key. The daemon always uses these; isn NULL
 * is the process-wide API's v1 schedule.
 */
int tlshub_get_key_conn(struct flow_tuple *tuple, const struct flow_isn *isn,
			struct tls_key_info *key_info, enum tlshub_role role);
int tlshub_fetch_key_conn(struct flow_tuple *tuple,
			  const struct flow_isn *isn,
			  struct tls_key_info *key_info, enum tlshub_role role);
/* Why the last failing call in this thread failed (no key bytes). */
const char *tlshub_last_error(void);

struct tlshub_stats {
	__u64 requests, replies, log_lines;
	__u64 timeouts, bad_replies;
	__u64 ignored_sender, ignored_seq, drained;
	__u64 handshakes, keys, reuse_refused;
};
void tlshub_client_stats(struct tlshub_stats *st);

/* --- wire and key schedule, exposed for tests and the peer --- */
struct tlshub_request {
	__u32 client_pod_ip;	/* network order */
	__u32 server_pod_ip;	/* network order */
	__u32 server_node_ip;	/* network order, v2 only */
	__u16 client_pod_port;	/* host order here, network order on the wire */
	__u16 server_pod_port;
	__u8 opcode;
	__u8 server;
};

/* Payload bytes (16 or 20); -EINVAL if buf_len is too small. */
int tlshub_encode_request(enum tlshub_layout layout,
			  const struct tlshub_request *req, void *buf,
			  size_t buf_len);
/* Payload of exactly 16 (v1) or 20 (v2) bytes; -EBADMSG otherwise. */
int tlshub_decode_request(const void *buf, size_t len,
			  struct tlshub_request *req,
			  enum tlshub_layout *layout);

struct tlshub_reply {
	__u8 msg_type;
	char text[TLSHUB_MSG_LEN + 1];	/* log lines, printable only */
	int key_status;			/* FETCH */
	__u8 master[TLSHUB_MASTER_LEN];	/* FETCH, status 0 */
};

/*
 * Parse one reply message payload (after struct nlmsghdr) for opcode op.
 * Returns 0, or -EBADMSG with *why set (too short for op, all-zero key,
 * unknown key status).
 */
int tlshub_parse_reply(int op, const void *payload, size_t len,
		       struct tlshub_reply *out, const char **why);

/*
 * Test and fuzzing hook: run one received netlink datagram (@buf, @len
 * bytes, 4-byte aligned) through the client's reply handling for a
 * request @op with sequence number @seq, under the configured seq_check
 * and max_log_lines. Returns 1 with the final reply in @out, 0 when more
 * messages would be needed, or a negative errno (-EBADMSG, -EPROTO, a
 * netlink error) with tlshub_last_error() set. No socket is used.
 */
int tlshub_handle_datagram(int op, __u32 seq, const void *buf, size_t len,
			   struct tlshub_reply *out);

/*
 * Key schedule (docs/TLSHUB.md §keys): fills ki for the socket's end of
 * the flow. role must be CLIENT or SERVER. -EINVAL bad role/cipher,
 * -EIO if a derived IV is zero or the two directions' keys are equal.
 */
int tlshub_derive(const __u8 master[TLSHUB_MASTER_LEN],
		  const struct flow_tuple *tuple, __u16 cipher,
		  enum tlshub_role role, struct tls_key_info *ki);
/* v2: ISNs appended to the context, salt "tcseg tlshub v2"; NULL = v1. */
int tlshub_derive_conn(const __u8 master[TLSHUB_MASTER_LEN],
		       const struct flow_tuple *tuple,
		       const struct flow_isn *isn, __u16 cipher,
		       enum tlshub_role role, struct tls_key_info *ki);

/* errno -> short text for the client's errors ("TLSHub not available"). */
const char *tlshub_strerror(int err);

#endif
