/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Flow and key structures shared by the key providers, the kTLS module,
 * the TLSHub client and the daemon (docs/KEYS.md, docs/KTLS.md).
 * The original fields come first and keep their meaning.
 */
#ifndef TCSEG_KEYS_H
#define TCSEG_KEYS_H

#include <linux/types.h>

/*
 * A TCP flow as its initiator sees it: saddr/sport = the connecting side
 * ("client"), daddr/dport = the accepting side ("server").
 * Addresses network order, ports host order.
 * Extension: @family 6 = an IPv6 flow, its addresses in saddr6/daddr6
 * (saddr/daddr 0); 0 or 4 = IPv4 (the original fields), saddr6/daddr6
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
 * direction (the original design had one key for both); rx_key/rx_iv the
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

/*
 * Cipher facts, the one place that states them (docs/KEYS.md §10).
 * Every cipher uses a 12-byte IV (TLS 1.3 nonce); the kernel splits it
 * into a salt (4 bytes for AES-GCM, none for ChaCha20) and an explicit
 * part. ctl/keys/ktls.c checks these against <linux/tls.h> at build time.
 */
#define TCSEG_IV_LEN			12
#define TCSEG_KEY_LEN_MAX		32
#define TCSEG_AES_GCM_128_KEY_LEN	16
#define TCSEG_AES_GCM_256_KEY_LEN	32
#define TCSEG_CHACHA20_KEY_LEN		32
#define TCSEG_GCM_SALT_LEN		4
#define TCSEG_CHACHA20_SALT_LEN		0

/* Key length of a TCSEG_CIPHER_*, -1 if unknown. */
static inline int tcseg_cipher_key_len(__u16 cipher)
{
	switch (cipher) {
	case TCSEG_CIPHER_AES_GCM_128:
		return TCSEG_AES_GCM_128_KEY_LEN;
	case TCSEG_CIPHER_AES_GCM_256:
		return TCSEG_AES_GCM_256_KEY_LEN;
	case TCSEG_CIPHER_CHACHA20_POLY1305:
		return TCSEG_CHACHA20_KEY_LEN;
	}
	return -1;
}

/* Salt part of the IV the kernel wants for a TCSEG_CIPHER_*, -1 unknown. */
static inline int tcseg_cipher_salt_len(__u16 cipher)
{
	switch (cipher) {
	case TCSEG_CIPHER_AES_GCM_128:
	case TCSEG_CIPHER_AES_GCM_256:
		return TCSEG_GCM_SALT_LEN;
	case TCSEG_CIPHER_CHACHA20_POLY1305:
		return TCSEG_CHACHA20_SALT_LEN;
	}
	return -1;
}

/*
 * Names of ciphers and key provider modes as the config file, the
 * control protocol and the logs spell them: tables ending in a NULL name.
 */
struct tcseg_name {
	const char *name;
	int val;
};

#define TCSEG_MODE_NAME_TLSHUB		"tlshub"
#define TCSEG_MODE_NAME_OPENSSL		"openssl"
#define TCSEG_MODE_NAME_BORINGSSL	"boringssl"

static inline const struct tcseg_name *tcseg_mode_names(void)
{
	static const struct tcseg_name t[] = {
		{ TCSEG_MODE_NAME_TLSHUB, MODE_TLSHUB },
		{ TCSEG_MODE_NAME_OPENSSL, MODE_OPENSSL },
		{ TCSEG_MODE_NAME_BORINGSSL, MODE_BORINGSSL },
		{ 0, 0 },
	};
	return t;
}

static inline const struct tcseg_name *tcseg_cipher_names(void)
{
	static const struct tcseg_name t[] = {
		{ "aes-gcm-128", TCSEG_CIPHER_AES_GCM_128 },
		{ "aes-gcm-256", TCSEG_CIPHER_AES_GCM_256 },
		{ "chacha20-poly1305", TCSEG_CIPHER_CHACHA20_POLY1305 },
		{ 0, 0 },
	};
	return t;
}

/* The entry of table @t named @name, or NULL. */
static inline const struct tcseg_name *
tcseg_name_find(const struct tcseg_name *t, const char *name)
{
	for (; t->name; t++)
		if (!__builtin_strcmp(t->name, name))
			return t;
	return 0;
}

/* The name of @val in table @t, or NULL. */
static inline const char *tcseg_name_of(const struct tcseg_name *t, int val)
{
	for (; t->name; t++)
		if (t->val == val)
			return t->name;
	return 0;
}

static inline const char *tcseg_mode_name(int mode)
{
	return tcseg_name_of(tcseg_mode_names(), mode);
}

static inline const char *tcseg_cipher_name(__u16 cipher)
{
	return tcseg_name_of(tcseg_cipher_names(), cipher);
}

#endif /* TCSEG_KEYS_H */
