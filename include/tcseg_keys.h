/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Flow and key structures shared by the key providers, the kTLS module,
 * the TLSHub client and the daemon (seed 001 §数据结构, extended).
 * The seed's fields come first and keep their meaning.
 */
#ifndef TCSEG_KEYS_H
#define TCSEG_KEYS_H

#include <linux/types.h>

/*
 * A TCP flow as its initiator sees it: saddr/sport = the connecting side
 * ("client"), daddr/dport = the accepting side ("server").
 * Addresses network order, ports host order (seed 001).
 * Extension: @family 6 = an IPv6 flow, its addresses in saddr6/daddr6
 * (saddr/daddr 0); 0 or 4 = IPv4 (the seed's fields), saddr6/daddr6
 * zero. A v4-mapped address is an IPv4 flow (docs/CAPTURE.md).
 */
#define FLOW_FAMILY_V6	6
struct flow_tuple {
	__u32 saddr;
	__u32 daddr;
	__u16 sport;
	__u16 dport;
	/* extensions */
	__u8 family;
	__u8 pad[3];
	__u8 saddr6[16];
	__u8 daddr6[16];
};

static inline int flow_is_v6(const struct flow_tuple *t)
{
	return t->family == FLOW_FAMILY_V6;
}

/*
 * The per-connection value both ends of one TCP connection know without
 * a message: the two initial sequence numbers (the SYN's and the
 * SYN-ACK's). Mixed into the TLSHub key schedule so that a reused
 * 4-tuple gets fresh keys (docs/KEYS.md §uniqueness).
 */
struct flow_isn {
	__u32 client;		/* ISN of the connecting end */
	__u32 server;		/* ISN of the accepting end */
};

/* Cipher ids: the kernel's TLS_CIPHER_* values from <linux/tls.h>. */
#define TCSEG_CIPHER_AES_GCM_128	51
#define TCSEG_CIPHER_AES_GCM_256	52
#define TCSEG_CIPHER_CHACHA20_POLY1305	54

/* TLS versions as the kernel encodes them (TLS_1_2_VERSION, ...). */
#define TCSEG_TLS_1_2	0x0303
#define TCSEG_TLS_1_3	0x0304

/*
 * Key material for one socket. key/iv are this socket's sending (TX)
 * direction (the seed had one key for both directions); rx_key/rx_iv the
 * receiving direction. For TLS 1.3 iv holds the 12-byte IV (salt = first
 * 4 bytes, the kernel's iv = last 8); for TLS 1.2 GCM salt = first 4
 * bytes, explicit iv = next 8. Zero with explicit_bzero after use.
 */
struct tls_key_info {
	__u8 key[32];		/* seed: TX key */
	__u8 iv[16];		/* seed: TX IV */
	__u32 key_len;		/* seed: 16 (AES-128), 32 (AES-256, ChaCha20) */
	__u32 iv_len;		/* seed: 12 */
	/* extensions */
	__u8 rx_key[32];
	__u8 rx_iv[16];
	__u64 tx_seq;		/* first record sequence number, TX */
	__u64 rx_seq;		/* first record sequence number, RX */
	__u16 version;		/* TCSEG_TLS_1_3 (default) or TCSEG_TLS_1_2 */
	__u16 cipher;		/* TCSEG_CIPHER_* */
	__u32 flags;
};

/* Seed 001 §4.3. */
enum key_provider_mode {
	MODE_TLSHUB = 0,
	MODE_OPENSSL = 1,
	MODE_BORINGSSL = 2,
};

/* Seed 001 §connection_info. */
struct connection_info {
	struct flow_tuple tuple;
	__u32 pid;
	__u64 timestamp;
	__u8 state;
};

/* Key length of a TCSEG_CIPHER_* (the IV is 12 bytes), -1 if unknown. */
static inline int tcseg_cipher_key_len(__u16 cipher)
{
	switch (cipher) {
	case TCSEG_CIPHER_AES_GCM_128:
		return 16;
	case TCSEG_CIPHER_AES_GCM_256:
	case TCSEG_CIPHER_CHACHA20_POLY1305:
		return 32;
	}
	return -1;
}

#endif /* TCSEG_KEYS_H */
