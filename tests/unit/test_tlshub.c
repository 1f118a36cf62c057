// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for the TLSHub client: SHA-256/HMAC/HKDF against the RFC
 * vectors and against OpenSSL, request bytes of both layouts against the
 * original client's natural C structs, reply parsing (hostile replies
 * included), the key schedule (independent recomputation with OpenSSL,
 * mirror property), and the transport against a scripted fake module on
 * NETLINK_USERSOCK (stale/spoofed/short/bogus replies, timeouts, log line
 * bound, fetch -> handshake -> fetch, reuse guard, peer absent).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "keys/tlshub_client.h"
#include "keys/tlshub_hkdf.h"
#include "keys_test_util.h"

static void unhex(const char *h, __u8 *out, size_t *len)
{
	size_t n = 0;
	unsigned int v;

	while (h[0] && h[1] && sscanf(h, "%2x", &v) == 1) {
		out[n++] = v;
		h += 2;
	}
	*len = n;
}

static void assert_hex(const __u8 *got, size_t len, const char *want)
{
	__u8 w[256];
	size_t wl;

	unhex(want, w, &wl);
	assert_int_equal(len, wl);
	assert_memory_equal(got, w, wl);
}

/* ---------- SHA-256, HMAC, HKDF ---------- */

static void t_sha256_vectors(void **st)
{
	__u8 d[32];
	static const char q[] =
		"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	struct th_sha256 c;
	char a[1000];
	int i;

	(void)st;
	th_sha256("", 0, d);
	assert_hex(d, 32, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	th_sha256("abc", 3, d);
	assert_hex(d, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	th_sha256(q, strlen(q), d);
	assert_hex(d, 32, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	/* one million 'a', fed in odd-sized chunks */
	memset(a, 'a', sizeof(a));
	th_sha256_init(&c);
	for (i = 0; i < 1000; i++)
		th_sha256_update(&c, a, 999);
	th_sha256_update(&c, a, 1000);
	th_sha256_final(&c, d);
	assert_hex(d, 32, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void t_hmac_rfc4231(void **st)
{
	__u8 key[131], d[32];
	size_t kl;
	static const char big[] =
		"Test Using Larger Than Block-Size Key - Hash Key First";

	(void)st;
	th_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, d);
	assert_hex(d, 32, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	unhex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", key, &kl);
	th_hmac_sha256(key, kl, "Hi There", 8, d);
	assert_hex(d, 32, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	memset(key, 0xaa, sizeof(key));	/* key longer than the block */
	th_hmac_sha256(key, 131, big, strlen(big), d);
	assert_hex(d, 32, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

struct hkdf_vec {
	const char *ikm, *salt, *info, *prk, *okm;
};

static const struct hkdf_vec rfc5869[] = {
	{ "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
	  "000102030405060708090a0b0c", "f0f1f2f3f4f5f6f7f8f9",
	  "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5",
	  "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
	  "34007208d5b887185865" },
	{ "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	  "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
	  "404142434445464748494a4b4c4d4e4f",
	  "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
	  "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
	  "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf",
	  "b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecf"
	  "d0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeef"
	  "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
	  "06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244",
	  "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
	  "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
	  "cc30c58179ec3e87c14c01d5c1f3434f1d87" },
	{ "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "", "",
	  "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04",
	  "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
	  "9d201395faa4b61a96c8" },
};

static void t_hkdf_rfc5869(void **st)
{
	__u8 ikm[128], salt[128], info[128], prk[32], okm[128], want[128];
	size_t il, sl, nl, wl;
	size_t i;

	(void)st;
	for (i = 0; i < sizeof(rfc5869) / sizeof(rfc5869[0]); i++) {
		unhex(rfc5869[i].ikm, ikm, &il);
		unhex(rfc5869[i].salt, salt, &sl);
		unhex(rfc5869[i].info, info, &nl);
		th_hkdf_extract(sl ? salt : NULL, sl, ikm, il, prk);
		assert_hex(prk, 32, rfc5869[i].prk);
		unhex(rfc5869[i].okm, want, &wl);
		assert_int_equal(th_hkdf_expand(prk, info, nl, okm, wl), 0);
		assert_memory_equal(okm, want, wl);
	}
	assert_int_equal(th_hkdf_expand(prk, NULL, 0, okm, 255 * 32 + 1),
			 -EINVAL);
}

/* OpenSSL's HKDF; mode EXTRACT_AND_EXPAND or EXPAND_ONLY (key = PRK). */
static void ossl_hkdf(int mode, const __u8 *key, size_t kl, const __u8 *salt,
		      size_t sl, const __u8 *info, size_t nl, __u8 *out,
		      size_t ol)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *k = EVP_KDF_CTX_new(kdf);
	OSSL_PARAM p[6], *q = p;

	*q++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
						"SHA256", 0);
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
						 (void *)key, kl);
	if (sl)
		*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
							 (void *)salt, sl);
	if (info)
		*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
							 (void *)info, nl);
	*q++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	*q = OSSL_PARAM_construct_end();
	assert_non_null(k);
	assert_int_equal(EVP_KDF_derive(k, out, ol, p), 1);
	EVP_KDF_CTX_free(k);
	EVP_KDF_free(kdf);
}

static void t_hkdf_vs_openssl(void **st)
{
	__u8 ikm[200], salt[200], info[200], prk[32], a[600], b[600];
	size_t il, sl, nl, ol;
	int i;

	(void)st;
	for (i = 0; i < 200; i++) {
		il = 1 + (i * 37) % 150;
		sl = (i * 11) % 140;	/* 0, and longer than a block */
		nl = (i * 7) % 200;
		ol = 1 + (i * 53) % 600;
		RAND_bytes(ikm, il);
		RAND_bytes(salt, sl ? sl : 1);
		RAND_bytes(info, nl ? nl : 1);
		th_hkdf_extract(salt, sl, ikm, il, prk);
		assert_int_equal(th_hkdf_expand(prk, info, nl, a, ol), 0);
		ossl_hkdf(EVP_KDF_HKDF_MODE_EXTRACT_AND_EXPAND, ikm, il, salt,
			  sl, info, nl, b, ol);
		assert_memory_equal(a, b, ol);
	}
}

/* ---------- request layouts ---------- */

/* The original clients' payload structs, natural layout. */
struct orig_v1 {
	uint32_t client_pod_ip, server_pod_ip;
	unsigned short client_pod_port, server_pod_port;
	char opcode;
	bool server;
};

struct orig_v2 {
	uint32_t client_pod_ip, server_pod_ip, server_node_ip;
	unsigned short client_pod_port, server_pod_port;
	char opcode;
	bool server;
};

static struct tlshub_request sample_req(void)
{
	struct tlshub_request r = {
		.client_pod_ip = inet_addr("10.1.0.1"),
		.server_pod_ip = inet_addr("10.2.0.1"),
		.server_node_ip = inet_addr("192.168.1.20"),
		.client_pod_port = 40000,	/* 0x9c40 */
		.server_pod_port = 443,		/* 0x01bb */
		.opcode = TLSHUB_OP_FETCH,
		.server = 1,
	};
	return r;
}

static void assert_req_equal(const struct tlshub_request *a,
			     const struct tlshub_request *b)
{
	assert_int_equal(a->client_pod_ip, b->client_pod_ip);
	assert_int_equal(a->server_pod_ip, b->server_pod_ip);
	assert_int_equal(a->server_node_ip, b->server_node_ip);
	assert_int_equal(a->client_pod_port, b->client_pod_port);
	assert_int_equal(a->server_pod_port, b->server_pod_port);
	assert_int_equal(a->opcode, b->opcode);
	assert_int_equal(a->server, b->server);
}

static void t_encode_v1(void **st)
{
	static const __u8 want[16] = {
		10, 1, 0, 1, 10, 2, 0, 1, 0x9c, 0x40, 0x01, 0xbb, 2, 1, 0, 0,
	};
	struct tlshub_request r = sample_req(), d;
	struct orig_v1 o;
	enum tlshub_layout lay;
	__u8 buf[32];

	(void)st;
	assert_int_equal(sizeof(struct orig_v1), 16);
	assert_int_equal(offsetof(struct orig_v1, opcode), 12);
	assert_int_equal(tlshub_encode_request(TLSHUB_LAYOUT_V1, &r, buf,
					       sizeof(buf)), 16);
	assert_memory_equal(buf, want, 16);
	/* what the original client puts on the wire for the same flow */
	memset(&o, 0, sizeof(o));
	o.client_pod_ip = r.client_pod_ip;
	o.server_pod_ip = r.server_pod_ip;
	o.client_pod_port = htons(r.client_pod_port);
	o.server_pod_port = htons(r.server_pod_port);
	o.opcode = 2;
	o.server = true;
	assert_memory_equal(buf, &o, 16);
	assert_int_equal(tlshub_decode_request(buf, 16, &d, &lay), 0);
	assert_int_equal(lay, TLSHUB_LAYOUT_V1);
	r.server_node_ip = 0;
	assert_req_equal(&d, &r);
	assert_int_equal(tlshub_encode_request(TLSHUB_LAYOUT_V1, &r, buf, 15),
			 -EINVAL);
}

static void t_encode_v2(void **st)
{
	static const __u8 want[20] = {
		10, 1, 0, 1, 10, 2, 0, 1, 192, 168, 1, 20,
		0x9c, 0x40, 0x01, 0xbb, 2, 1, 0, 0,
	};
	struct tlshub_request r = sample_req(), d;
	struct orig_v2 o;
	enum tlshub_layout lay;
	__u8 buf[32];

	(void)st;
	assert_int_equal(sizeof(struct orig_v2), 20);
	assert_int_equal(offsetof(struct orig_v2, client_pod_port), 12);
	assert_int_equal(tlshub_encode_request(TLSHUB_LAYOUT_V2, &r, buf,
					       sizeof(buf)), 20);
	assert_memory_equal(buf, want, 20);
	memset(&o, 0, sizeof(o));
	o.client_pod_ip = r.client_pod_ip;
	o.server_pod_ip = r.server_pod_ip;
	o.server_node_ip = r.server_node_ip;
	o.client_pod_port = htons(r.client_pod_port);
	o.server_pod_port = htons(r.server_pod_port);
	o.opcode = 2;
	o.server = true;
	assert_memory_equal(buf, &o, 20);
	assert_int_equal(tlshub_decode_request(buf, 20, &d, &lay), 0);
	assert_int_equal(lay, TLSHUB_LAYOUT_V2);
	assert_req_equal(&d, &r);
	/* default layout is v2 */
	assert_int_equal(tlshub_encode_request(TLSHUB_LAYOUT_DEFAULT, &r, buf,
					       sizeof(buf)), 20);
}

static void t_decode_bad_lengths(void **st)
{
	static const size_t bad[] = { 0, 1, 14, 15, 17, 18, 19, 21, 32 };
	struct tlshub_request d;
	__u8 buf[32] = { 0 };
	size_t i;

	(void)st;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(tlshub_decode_request(buf, bad[i], &d, NULL),
				 -EBADMSG);
}

/* ---------- replies ---------- */

static size_t fetch_payload(__u8 *p, __s32 status, __u8 fill)
{
	memset(p, 0, 126);
	p[0] = 0;
	memcpy(p + 1, &status, 4);
	memset(p + 5, fill, 32);
	return 126;
}

static void t_parse_fetch(void **st)
{
	struct tlshub_reply r;
	const char *why;
	__u8 p[200];
	__u8 k[32];

	(void)st;
	memset(k, 0x5a, sizeof(k));
	fetch_payload(p, 0, 0x5a);
	assert_int_equal(tlshub_parse_reply(TLSHUB_OP_FETCH, p, 126, &r, &why), 0);
	assert_int_equal(r.key_status, 0);
	assert_memory_equal(r.master, k, 32);
	/* exactly msg_type + key_back is enough, one byte less is not */
	assert_int_equal(tlshub_parse_reply(TLSHUB_OP_FETCH, p, 37, &r, &why), 0);
	assert_int_equal(tlshub_parse_reply(TLSHUB_OP_FETCH, p, 36, &r, &why),
			 -EBADMSG);
	assert_non_null(why);
	assert_int_equal(tlshub_parse_reply(TLSHUB_OP_FETCH, p, 0, &r, &why),
			 -EBADMSG);
	fetch_payload(p, -1, 0);
	assert_int_equal(tlshub_parse_reply(TLSHUB_OP_FETCH, p, 126, &r, &why), 0);
	assert_int_equal(r.key_status, TLSHUB_KEY_NONE);
	fetch_payload(p, -2, 0);
	assert_int_equal(tlshub_parse_reply(TLSHUB_OP_FETCH, p, 126, &r, &why), 0);
	assert_int_equal(r.key_status, TLSHUB_KEY_EXPIRED);
	fetch_payload(p, 7, 0x5a);
	assert_int_equal(tlshub_parse_reply(TLSHUB_OP_FETCH, p, 126, &r, &why),
			 -EBADMSG);
	assert_string_equal(why, "unknown key_back.status");
	fetch_payload(p, 0, 0);		/* "ok" with an all-zero key */
	assert_int_equal(tlshub_parse_reply(TLSHUB_OP_FETCH, p, 126, &r, &why),
			 -EBADMSG);
	assert_string_equal(why, "all-zero master key");
}

static void t_parse_log(void **st)
{
	struct tlshub_reply r;
	const char *why;
	__u8 p[1 + 125];

	(void)st;
	/* 125 bytes of text, no NUL, with control characters */
	p[0] = TLSHUB_MSG_LOG;
	memset(p + 1, 'x', 125);
	p[1] = '\n';
	p[2] = 0x1b;
	p[3] = 0xff;
	assert_int_equal(tlshub_parse_reply(TLSHUB_OP_START, p, sizeof(p), &r,
					    &why), 0);
	assert_int_equal(r.msg_type, TLSHUB_MSG_LOG);
	assert_int_equal(strlen(r.text), 125);
	assert_memory_equal(r.text, "???xx", 5);
	/* a short log line ends at its NUL */
	memcpy(p + 1, "hello\0garbage", 13);
	assert_int_equal(tlshub_parse_reply(TLSHUB_OP_INIT, p, 20, &r, &why), 0);
	assert_string_equal(r.text, "hello");
	/* msg_type only is a valid START/INIT reply */
	p[0] = TLSHUB_MSG_HS_FIRST;
	assert_int_equal(tlshub_parse_reply(TLSHUB_OP_START, p, 1, &r, &why), 0);
	assert_int_equal(r.msg_type, 1);
}

/*
 * Regression (fuzz_tlshub_reply): a message with nlmsg_len >= 2^31 passed
 * mnl_nlmsg_ok() (it compares as int) and the next-message step jumped
 * far outside the datagram: SEGV. Such a datagram is malformed; one that
 * follows an ignored message ends the datagram.
 */
static void put_nlmsg(__u8 *p, __u32 len, __u32 seq, const void *pl,
		      size_t plen)
{
	struct nlmsghdr h = { .nlmsg_len = len, .nlmsg_seq = seq,
			      .nlmsg_pid = 4242 };

	memcpy(p, &h, sizeof(h));
	memcpy(p + sizeof(h), pl, plen);
}

static void t_datagram_huge_nlmsg_len(void **st)
{
	struct tlshub_config c = { .peer_pid = 4242,
				   .layout = TLSHUB_LAYOUT_V1 };
	__u32 dgram[32] = { 0 };	/* aligned like the receive buffer */
	__u8 *d = (__u8 *)dgram, pl[1 + 4 + 32];
	struct tlshub_reply r;
	__s32 status = 0;

	(void)st;
	assert_int_equal(tlshub_client_configure(&c), 0);
	pl[0] = 0;
	memcpy(pl + 1, &status, 4);
	memset(pl + 5, 0xab, 32);
	/* the only message claims 0xff000024 bytes */
	put_nlmsg(d, 0xff000024u, 7, pl, sizeof(pl));
	assert_int_equal(tlshub_handle_datagram(TLSHUB_OP_FETCH, 0x1234, d,
						16 + sizeof(pl), &r), -EBADMSG);
	/* an ignored message (wrong seq), then one with a huge length */
	put_nlmsg(d, 16 + sizeof(pl), 7, pl, sizeof(pl));
	put_nlmsg(d + NLMSG_ALIGN(16 + sizeof(pl)), 0x80000000u, 0x1234, pl,
		  sizeof(pl));
	assert_int_equal(tlshub_handle_datagram(TLSHUB_OP_FETCH, 0x1234, d,
						2 * NLMSG_ALIGN(16 + sizeof(pl)),
						&r), 0);
	/* the same with a good second message: the key is taken */
	put_nlmsg(d + NLMSG_ALIGN(16 + sizeof(pl)), 16 + sizeof(pl), 0x1234,
		  pl, sizeof(pl));
	assert_int_equal(tlshub_handle_datagram(TLSHUB_OP_FETCH, 0x1234, d,
						2 * NLMSG_ALIGN(16 + sizeof(pl)),
						&r), 1);
	assert_int_equal(r.key_status, 0);
	assert_int_equal(r.master[31], 0xab);
}

/* ---------- key schedule ---------- */

static const __u16 ciphers[] = { TCSEG_CIPHER_AES_GCM_128,
				 TCSEG_CIPHER_AES_GCM_256,
				 TCSEG_CIPHER_CHACHA20_POLY1305 };

static struct flow_tuple sample_tuple(void)
{
	struct flow_tuple t = {
		.saddr = inet_addr("10.1.0.1"), .daddr = inet_addr("10.2.0.1"),
		.sport = 40000, .dport = 443,
	};
	return t;
}

/*
 * Independent recomputation: OpenSSL HKDF + HkdfLabel built by hand.
 * Context: the sample tuple, the cipher and, with @isn (v2), the client
 * and the server ISN, all big-endian.
 */
static void ossl_label(const __u8 *prk, const char *label, __u16 cipher,
		       const struct flow_isn *isn, __u8 *out, size_t len)
{
	__u8 info[72], ctx[22] = { 10, 1, 0, 1, 10, 2, 0, 1, 0x9c, 0x40,
				   0x01, 0xbb };
	size_t n = 0, ll = strlen(label), cl = isn ? 22 : 14;

	ctx[12] = cipher >> 8;
	ctx[13] = cipher & 0xff;
	if (isn) {
		__u32 c = htonl(isn->client), sv = htonl(isn->server);

		memcpy(ctx + 14, &c, 4);
		memcpy(ctx + 18, &sv, 4);
	}
	info[n++] = 0;
	info[n++] = len;
	info[n++] = 6 + ll;
	memcpy(info + n, "tls13 ", 6);
	memcpy(info + n + 6, label, ll);
	n += 6 + ll;
	info[n++] = cl;
	memcpy(info + n, ctx, cl);
	n += cl;
	ossl_hkdf(EVP_KDF_HKDF_MODE_EXPAND_ONLY, prk, 32, NULL, 0, info, n,
		  out, len);
}

static void t_schedule_known_answer(void **st)
{
	static const char salt[] = "tcseg tlshub v1";
	struct flow_tuple t = sample_tuple();
	struct tls_key_info c, s;
	__u8 master[32], prk[32], ck[32], civ[12], sk[32], siv[12];
	size_t i;
	int kl;

	(void)st;
	for (i = 0; i < 32; i++)
		master[i] = i * 7 + 1;
	for (i = 0; i < 3; i++) {
		kl = ciphers[i] == TCSEG_CIPHER_AES_GCM_128 ? 16 : 32;
		ossl_hkdf(EVP_KDF_HKDF_MODE_EXTRACT_ONLY, master, 32,
			  (const __u8 *)salt, strlen(salt), NULL, 0, prk, 32);
		ossl_label(prk, "tcseg c2s key", ciphers[i], NULL, ck, kl);
		ossl_label(prk, "tcseg c2s iv", ciphers[i], NULL, civ, 12);
		ossl_label(prk, "tcseg s2c key", ciphers[i], NULL, sk, kl);
		ossl_label(prk, "tcseg s2c iv", ciphers[i], NULL, siv, 12);
		assert_int_equal(tlshub_derive(master, &t, ciphers[i],
					       TLSHUB_ROLE_CLIENT, &c), 0);
		assert_int_equal(tlshub_derive(master, &t, ciphers[i],
					       TLSHUB_ROLE_SERVER, &s), 0);
		assert_int_equal(c.key_len, kl);
		assert_int_equal(c.iv_len, 12);
		assert_int_equal(c.version, TCSEG_TLS_1_3);
		assert_int_equal(c.cipher, ciphers[i]);
		assert_int_equal(c.tx_seq, 0);
		assert_memory_equal(c.key, ck, kl);
		assert_memory_equal(c.iv, civ, 12);
		assert_memory_equal(c.rx_key, sk, kl);
		assert_memory_equal(c.rx_iv, siv, 12);
		assert_memory_equal(s.key, sk, kl);
		assert_memory_equal(s.rx_key, ck, kl);
	}
}

static void t_schedule_mirror(void **st)
{
	struct flow_tuple t = sample_tuple(), t2;
	struct tls_key_info c, s, x;
	__u8 master[32], zero[12] = { 0 };
	int i, j;

	(void)st;
	for (j = 0; j < 50; j++) {
		RAND_bytes(master, sizeof(master));
		for (i = 0; i < 3; i++) {
			assert_int_equal(tlshub_derive(master, &t, ciphers[i],
						TLSHUB_ROLE_CLIENT, &c), 0);
			assert_int_equal(tlshub_derive(master, &t, ciphers[i],
						TLSHUB_ROLE_SERVER, &s), 0);
			/* client TX == server RX and the other way round */
			assert_memory_equal(c.key, s.rx_key, c.key_len);
			assert_memory_equal(c.iv, s.rx_iv, 12);
			assert_memory_equal(s.key, c.rx_key, c.key_len);
			assert_memory_equal(s.iv, c.rx_iv, 12);
			/* never one key/IV for both directions, never zero IV */
			assert_memory_not_equal(c.key, c.rx_key, c.key_len);
			assert_memory_not_equal(c.iv, c.rx_iv, 12);
			assert_memory_not_equal(c.iv, zero, 12);
			assert_memory_not_equal(c.rx_iv, zero, 12);
		}
	}
	/* every tuple field and the cipher change the keys */
	assert_int_equal(tlshub_derive(master, &t, TCSEG_CIPHER_AES_GCM_256,
				       TLSHUB_ROLE_CLIENT, &c), 0);
	assert_int_equal(tlshub_derive(master, &t,
				       TCSEG_CIPHER_CHACHA20_POLY1305,
				       TLSHUB_ROLE_CLIENT, &x), 0);
	assert_memory_not_equal(c.key, x.key, 32);
	for (i = 0; i < 4; i++) {
		t2 = t;
		if (i == 0) t2.saddr ^= htonl(1);
		if (i == 1) t2.daddr ^= htonl(1);
		if (i == 2) t2.sport++;
		if (i == 3) t2.dport++;
		assert_int_equal(tlshub_derive(master, &t2,
					       TCSEG_CIPHER_AES_GCM_256,
					       TLSHUB_ROLE_CLIENT, &x), 0);
		assert_memory_not_equal(c.key, x.key, 32);
		assert_memory_not_equal(c.iv, x.iv, 12);
	}
	assert_int_equal(tlshub_derive(master, &t, 99, TLSHUB_ROLE_CLIENT, &x),
			 -EINVAL);
	assert_int_equal(tlshub_derive(master, &t, TCSEG_CIPHER_AES_GCM_128,
				       TLSHUB_ROLE_AUTO, &x), -EINVAL);
}

/*
 * v2 schedule (docs/TLSHUB.md §4): the ISNs are in the context, the salt
 * is "tcseg tlshub v2"; recomputed with OpenSSL for all three ciphers.
 * Both ends derive the same mirrored material, and a change of either
 * ISN changes every key and IV although master key and tuple are equal.
 */
static void t_schedule_isn(void **st)
{
	static const char salt[] = "tcseg tlshub v2";
	struct flow_tuple t = sample_tuple();
	struct flow_isn isn = { 0x01020304, 0xa0b0c0d0 }, i2;
	struct tls_key_info c, s, x, v1;
	__u8 master[32], prk[32], ck[32], civ[12], sk[32], siv[12];
	int i, kl;

	(void)st;
	for (i = 0; i < 32; i++)
		master[i] = i * 5 + 3;
	for (i = 0; i < 3; i++) {
		kl = ciphers[i] == TCSEG_CIPHER_AES_GCM_128 ? 16 : 32;
		ossl_hkdf(EVP_KDF_HKDF_MODE_EXTRACT_ONLY, master, 32,
			  (const __u8 *)salt, strlen(salt), NULL, 0, prk, 32);
		ossl_label(prk, "tcseg c2s key", ciphers[i], &isn, ck, kl);
		ossl_label(prk, "tcseg c2s iv", ciphers[i], &isn, civ, 12);
		ossl_label(prk, "tcseg s2c key", ciphers[i], &isn, sk, kl);
		ossl_label(prk, "tcseg s2c iv", ciphers[i], &isn, siv, 12);
		assert_int_equal(tlshub_derive_conn(master, &t, &isn,
						    ciphers[i],
						    TLSHUB_ROLE_CLIENT, &c), 0);
		assert_int_equal(tlshub_derive_conn(master, &t, &isn,
						    ciphers[i],
						    TLSHUB_ROLE_SERVER, &s), 0);
		assert_memory_equal(c.key, ck, kl);
		assert_memory_equal(c.iv, civ, 12);
		assert_memory_equal(c.rx_key, sk, kl);
		assert_memory_equal(c.rx_iv, siv, 12);
		assert_memory_equal(s.key, sk, kl);
		assert_memory_equal(s.iv, siv, 12);
		assert_memory_equal(s.rx_key, ck, kl);
		assert_memory_equal(s.rx_iv, civ, 12);
	}
	assert_int_equal(tlshub_derive_conn(master, &t, &isn,
					    TCSEG_CIPHER_AES_GCM_128,
					    TLSHUB_ROLE_CLIENT, &c), 0);
	assert_int_equal(tlshub_derive(master, &t, TCSEG_CIPHER_AES_GCM_128,
				       TLSHUB_ROLE_CLIENT, &v1), 0);
	assert_memory_not_equal(c.key, v1.key, 16);
	for (i = 0; i < 2; i++) {
		i2 = isn;
		if (i == 0) i2.client++;
		if (i == 1) i2.server++;
		assert_int_equal(tlshub_derive_conn(master, &t, &i2,
						    TCSEG_CIPHER_AES_GCM_128,
						    TLSHUB_ROLE_CLIENT, &x), 0);
		assert_memory_not_equal(c.key, x.key, 16);
		assert_memory_not_equal(c.iv, x.iv, 12);
		assert_memory_not_equal(c.rx_key, x.rx_key, 16);
		assert_memory_not_equal(c.rx_iv, x.rx_iv, 12);
	}
}

/* ---------- transport against a scripted fake module ---------- */

struct fake;
typedef void (*script_fn)(struct fake *f, int n, const struct nlmsghdr *req,
			  const struct tlshub_request *r, __u32 from);

struct fake {
	int fd, spoof;
	__u32 pid;
	script_fn script;
	int nreq;
	int ops[32];
	struct tlshub_request reqs[32];
	int lens[32];
	volatile int stop;
	pthread_t th;
};

static struct fake F;

static void raw_send(int fd, __u32 to, const void *buf, size_t len)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_pid = to };

	sendto(fd, buf, len, 0, (struct sockaddr *)&sa, sizeof(sa));
}

/* One reply: nlmsghdr + msg_type + data, padded to 126 payload bytes. */
static size_t build(__u8 *buf, __u32 seq, __u16 nltype, __u8 type,
		    const void *data, size_t len)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;

	memset(buf, 0, NLMSG_HDRLEN + 128);
	buf[NLMSG_HDRLEN] = type;
	if (len)
		memcpy(buf + NLMSG_HDRLEN + 1, data, len);
	nlh->nlmsg_len = NLMSG_HDRLEN + 126;
	nlh->nlmsg_type = nltype;
	nlh->nlmsg_seq = seq;
	return NLMSG_ALIGN(nlh->nlmsg_len);
}

static void send_type(__u32 to, __u32 seq, __u8 type)
{
	__u8 buf[256];

	raw_send(F.fd, to, buf, build(buf, seq, NLMSG_DONE, type, NULL, 0));
}

static void send_key(int fd, __u32 to, __u32 seq, __s32 status, __u8 fill)
{
	__u8 kb[36], buf[256];

	memcpy(kb, &status, 4);
	memset(kb + 4, status ? 0 : fill, 32);
	raw_send(fd, to, buf, build(buf, seq, NLMSG_DONE, 0, kb, sizeof(kb)));
}

static void *fake_main(void *arg)
{
	struct pollfd p = { .fd = F.fd, .events = POLLIN };
	struct sockaddr_nl sa;
	socklen_t sl;
	__u8 buf[512];
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct tlshub_request r;
	int n;

	(void)arg;
	while (!F.stop) {
		if (poll(&p, 1, 50) <= 0)
			continue;
		sl = sizeof(sa);
		n = recvfrom(F.fd, buf, sizeof(buf), 0, (struct sockaddr *)&sa,
			     &sl);
		if (n < NLMSG_HDRLEN)
			continue;
		if (tlshub_decode_request(NLMSG_DATA(nlh),
					  nlh->nlmsg_len - NLMSG_HDRLEN, &r,
					  NULL))
			continue;
		if (F.nreq < 32) {	/* the first 32 are kept for checks */
			F.ops[F.nreq] = r.opcode;
			F.reqs[F.nreq] = r;
			F.lens[F.nreq] = nlh->nlmsg_len;
		}
		F.nreq++;
		if (r.opcode == TLSHUB_OP_INIT)
			send_type(sa.nl_pid, nlh->nlmsg_seq, TLSHUB_MSG_INIT_DONE);
		else if (F.script)
			F.script(&F, F.nreq - 1, nlh, &r, sa.nl_pid);
	}
	return NULL;
}

static int open_nl(__u32 *pid)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_USERSOCK);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	*pid = sa.nl_pid;
	return fd;
}

static void quiet_log(void *arg, int level, const char *msg)
{
	(void)arg;
	(void)level;
	(void)msg;
}

static void client_up(script_fn s, enum tlshub_layout layout, int max_logs)
{
	struct tlshub_config c = {
		.protocol = NETLINK_USERSOCK,
		.layout = layout,
		.timeout_ms = 300,
		.handshake_timeout_ms = 300,
		.max_log_lines = max_logs,
		.server_node_ip = inet_addr("192.168.1.20"),
		.log = quiet_log,
	};
	__u32 spid;

	memset(&F, 0, sizeof(F));
	F.fd = open_nl(&F.pid);
	F.spoof = open_nl(&spid);
	F.script = s;
	assert_int_equal(pthread_create(&F.th, NULL, fake_main, NULL), 0);
	c.peer_pid = F.pid;
	assert_int_equal(tlshub_client_configure(&c), 0);
	assert_int_equal(tlshub_client_init(), 0);
}

static int teardown(void **st)
{
	(void)st;
	tlshub_client_cleanup();
	F.stop = 1;
	pthread_join(F.th, NULL);
	close(F.fd);
	close(F.spoof);
	return 0;
}

static void expect_key(const struct tls_key_info *ki, __u8 fill,
		       enum tlshub_role role)
{
	struct flow_tuple t = sample_tuple();
	struct tls_key_info want;
	__u8 master[32];

	memset(master, fill, sizeof(master));
	assert_int_equal(tlshub_derive(master, &t, TCSEG_CIPHER_AES_GCM_128,
				       role, &want), 0);
	assert_memory_equal(ki, &want, sizeof(want));
}

static void s_key_a1(struct fake *f, int n, const struct nlmsghdr *req,
		     const struct tlshub_request *r, __u32 from)
{
	(void)f; (void)n; (void)r;
	send_key(F.fd, from, req->nlmsg_seq, 0, 0xa1);
}

static void t_fetch_ok_v1(void **st)
{
	struct flow_tuple t = sample_tuple();
	struct tls_key_info ki;

	(void)st;
	client_up(s_key_a1, TLSHUB_LAYOUT_V1, 0);
	assert_int_equal(tlshub_fetch_key_role(&t, &ki, TLSHUB_ROLE_CLIENT), 0);
	expect_key(&ki, 0xa1, TLSHUB_ROLE_CLIENT);
	assert_int_equal(F.nreq, 2);
	assert_int_equal(F.ops[0], TLSHUB_OP_INIT);
	assert_int_equal(F.lens[1], NLMSG_HDRLEN + 16);
	assert_int_equal(F.reqs[1].client_pod_port, 40000);
	assert_int_equal(F.reqs[1].server_pod_port, 443);
	assert_int_equal(F.reqs[1].client_pod_ip, t.saddr);
	assert_int_equal(F.reqs[1].server, 0);
}

static char v6_log[512];

static void keep_log(void *arg, int level, const char *msg)
{
	(void)arg;
	if (level == TLSHUB_LOG_WARN)
		snprintf(v6_log, sizeof(v6_log), "%s", msg);
}

/* TLSHub's wire has no IPv6: an IPv6 flow fails closed, nothing sent. */
static void t_ipv6_fails_closed(void **st)
{
	struct flow_tuple t = { .sport = 40000, .dport = 443,
				.family = FLOW_FAMILY_V6 };
	struct tlshub_config c = {
		.protocol = NETLINK_USERSOCK, .layout = TLSHUB_LAYOUT_V1,
		.timeout_ms = 300, .log = keep_log,
	};
	struct tls_key_info ki;
	int n;

	(void)st;
	client_up(s_key_a1, TLSHUB_LAYOUT_V1, 0);
	c.peer_pid = F.pid;
	assert_int_equal(tlshub_client_configure(&c), 0);
	assert_int_equal(tlshub_client_init(), 0);
	inet_pton(AF_INET6, "fd00:1::1", t.saddr6);
	inet_pton(AF_INET6, "fd00:2::1", t.daddr6);
	n = F.nreq;
	memset(&ki, 0x55, sizeof(ki));
	v6_log[0] = 0;
	assert_int_equal(tlshub_get_key(&t, &ki, TLSHUB_ROLE_CLIENT),
			 -EAFNOSUPPORT);
	assert_int_equal(tlshub_handshake(&t), -EAFNOSUPPORT);
	usleep(50000);
	assert_int_equal(F.nreq, n);
	assert_non_null(strstr(v6_log, "flow [fd00:1::1]:40000-[fd00:2::1]:443 "
			       "is IPv6: the TLSHub wire format has IPv4 pod "
			       "addresses only, TLSHub fails it closed"));
	assert_non_null(strstr(tlshub_last_error(), "TLSHub has no IPv6"));
	assert_string_equal(tlshub_strerror(-EAFNOSUPPORT),
			    "TLSHub has no IPv6");
}

static int node_ip_cb(void *arg, __u32 pod, __u32 *node)
{
	(void)arg;
	if (pod != inet_addr("10.2.0.1"))
		return -ENOENT;
	*node = inet_addr("192.168.7.8");
	return 0;
}

static void t_fetch_v2_node_ip(void **st)
{
	struct flow_tuple t = sample_tuple();
	struct tlshub_config c = {
		.protocol = NETLINK_USERSOCK, .timeout_ms = 300,
		.node_ip = node_ip_cb, .log = quiet_log,
	};
	struct tls_key_info ki;
	int n;

	(void)st;
	client_up(s_key_a1, TLSHUB_LAYOUT_V2, 0);
	c.peer_pid = F.pid;
	assert_int_equal(tlshub_client_configure(&c), 0);
	assert_int_equal(tlshub_client_init(), 0);
	assert_int_equal(tlshub_fetch_key_role(&t, &ki, TLSHUB_ROLE_SERVER), 0);
	expect_key(&ki, 0xa1, TLSHUB_ROLE_SERVER);
	assert_int_equal(F.lens[F.nreq - 1], NLMSG_HDRLEN + 20);
	assert_int_equal(F.reqs[F.nreq - 1].server_node_ip,
			 inet_addr("192.168.7.8"));
	assert_int_equal(F.reqs[F.nreq - 1].server, 1);
	/* no node IP for the server pod: error, nothing sent */
	n = F.nreq;
	t.daddr = inet_addr("10.9.9.9");
	assert_int_equal(tlshub_fetch_key_role(&t, &ki, TLSHUB_ROLE_CLIENT),
			 -ENOENT);
	usleep(50000);
	assert_int_equal(F.nreq, n);
	/* v2 without any node IP source is a configuration error */
	c.node_ip = NULL;
	assert_int_equal(tlshub_client_configure(&c), -EINVAL);
}

/* Stale (wrong seq) and spoofed replies first, then the real one. */
static void s_noise_then_key(struct fake *f, int n, const struct nlmsghdr *req,
			     const struct tlshub_request *r, __u32 from)
{
	(void)f; (void)n; (void)r;
	send_key(F.fd, from, req->nlmsg_seq - 1, 0, 0x01);
	send_key(F.fd, from, req->nlmsg_seq + 7, 0, 0x02);
	send_key(F.spoof, from, req->nlmsg_seq, 0, 0x03);
	send_key(F.fd, from, req->nlmsg_seq, 0, 0xa2);
}

static void t_stale_and_spoofed_ignored(void **st)
{
	struct flow_tuple t = sample_tuple();
	struct tls_key_info ki;
	struct tlshub_stats s0, s1;

	(void)st;
	client_up(s_noise_then_key, TLSHUB_LAYOUT_V1, 0);
	tlshub_client_stats(&s0);
	assert_int_equal(tlshub_fetch_key_role(&t, &ki, TLSHUB_ROLE_CLIENT), 0);
	expect_key(&ki, 0xa2, TLSHUB_ROLE_CLIENT);
	tlshub_client_stats(&s1);
	assert_int_equal(s1.ignored_seq - s0.ignored_seq, 2);
	assert_int_equal(s1.ignored_sender - s0.ignored_sender, 1);
}

static void s_wrong_seq_only(struct fake *f, int n, const struct nlmsghdr *req,
			     const struct tlshub_request *r, __u32 from)
{
	(void)f; (void)n; (void)r;
	send_key(F.fd, from, req->nlmsg_seq + 1000, 0, 0x01);
}

static long long ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void t_wrong_seq_times_out(void **st)
{
	struct flow_tuple t = sample_tuple();
	struct tls_key_info ki;
	long long t0 = ms_now(), dt;

	(void)st;
	client_up(s_wrong_seq_only, TLSHUB_LAYOUT_V1, 0);
	t0 = ms_now();
	assert_int_equal(tlshub_fetch_key_role(&t, &ki, TLSHUB_ROLE_CLIENT),
			 -ETIMEDOUT);
	dt = ms_now() - t0;
	assert_true(dt >= 290 && dt < 1500);
	assert_non_null(strstr(tlshub_last_error(),
			       "1 with a wrong sequence number"));
}

static void s_silent(struct fake *f, int n, const struct nlmsghdr *req,
		     const struct tlshub_request *r, __u32 from)
{
	(void)f; (void)n; (void)req; (void)r; (void)from;
}

/* get_key: a timeout on FETCH does not trigger a handshake. */
static void t_get_key_timeout_no_handshake(void **st)
{
	struct flow_tuple t = sample_tuple();
	struct tls_key_info ki;

	(void)st;
	client_up(s_silent, TLSHUB_LAYOUT_V1, 0);
	assert_int_equal(tlshub_get_key(&t, &ki, TLSHUB_ROLE_CLIENT),
			 -ETIMEDOUT);
	usleep(50000);
	assert_int_equal(F.nreq, 2);
	assert_int_equal(F.ops[1], TLSHUB_OP_FETCH);
}

static void s_short_fetch(struct fake *f, int n, const struct nlmsghdr *req,
			  const struct tlshub_request *r, __u32 from)
{
	__u8 buf[256];
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	__s32 ok = 0;

	(void)f; (void)r;
	build(buf, req->nlmsg_seq, NLMSG_DONE, 0, &ok, 4);
	if (n == 1) {		/* payload msg_type + 10 bytes */
		nlh->nlmsg_len = NLMSG_HDRLEN + 11;
		raw_send(F.fd, from, buf, nlh->nlmsg_len);
	} else if (n == 2) {	/* nlmsg_len larger than the datagram */
		nlh->nlmsg_len = 400;
		raw_send(F.fd, from, buf, NLMSG_HDRLEN + 126);
	} else if (n == 3) {	/* shorter than a netlink header */
		raw_send(F.fd, from, buf, 10);
	} else {
		send_key(F.fd, from, req->nlmsg_seq, 0, 0xa3);
	}
}

static void t_short_and_bogus_replies(void **st)
{
	struct flow_tuple t = sample_tuple();
	struct tls_key_info ki;

	(void)st;
	client_up(s_short_fetch, TLSHUB_LAYOUT_V1, 0);
	assert_int_equal(tlshub_fetch_key_role(&t, &ki, TLSHUB_ROLE_CLIENT),
			 -EBADMSG);
	assert_non_null(strstr(tlshub_last_error(), "shorter than"));
	assert_int_equal(tlshub_fetch_key_role(&t, &ki, TLSHUB_ROLE_CLIENT),
			 -EBADMSG);
	assert_non_null(strstr(tlshub_last_error(), "malformed netlink"));
	assert_int_equal(tlshub_fetch_key_role(&t, &ki, TLSHUB_ROLE_CLIENT),
			 -EBADMSG);
	/* the client still works afterwards */
	assert_int_equal(tlshub_fetch_key_role(&t, &ki, TLSHUB_ROLE_CLIENT), 0);
	expect_key(&ki, 0xa3, TLSHUB_ROLE_CLIENT);
}

static void s_nlmsg_error(struct fake *f, int n, const struct nlmsghdr *req,
			  const struct tlshub_request *r, __u32 from)
{
	__u8 buf[256];
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct nlmsgerr e = { .error = n == 1 ? -EPERM : 0 };

	(void)f; (void)r;
	memset(buf, 0, sizeof(buf));
	nlh->nlmsg_len = NLMSG_HDRLEN + sizeof(e);
	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_seq = req->nlmsg_seq;
	memcpy(NLMSG_DATA(nlh), &e, sizeof(e));
	raw_send(F.fd, from, buf, nlh->nlmsg_len);
	if (n == 2)	/* an ack first, then the answer */
		send_key(F.fd, from, req->nlmsg_seq, 0, 0xa4);
}

static void t_nlmsg_error_and_ack(void **st)
{
	struct flow_tuple t = sample_tuple();
	struct tls_key_info ki;

	(void)st;
	client_up(s_nlmsg_error, TLSHUB_LAYOUT_V1, 0);
	assert_int_equal(tlshub_fetch_key_role(&t, &ki, TLSHUB_ROLE_CLIENT),
			 -EPERM);
	assert_int_equal(tlshub_fetch_key_role(&t, &ki, TLSHUB_ROLE_CLIENT), 0);
	expect_key(&ki, 0xa4, TLSHUB_ROLE_CLIENT);
}

/* START: n log lines, then the answer given by the request count. */
static void s_start(struct fake *f, int n, const struct nlmsghdr *req,
		    const struct tlshub_request *r, __u32 from)
{
	__u8 buf[1024], *p = buf;
	size_t len = 0;
	int i;

	(void)f; (void)r;
	switch (n) {
	case 1:		/* 3 log lines in separate datagrams, then 0x01 */
		for (i = 0; i < 3; i++) {
			len = build(buf, req->nlmsg_seq, NLMSG_DONE,
				    TLSHUB_MSG_LOG, "line", 5);
			raw_send(F.fd, from, buf, len);
		}
		send_type(from, req->nlmsg_seq, TLSHUB_MSG_HS_FIRST);
		break;
	case 2:		/* log + 0x05 in one datagram */
		len = build(p, req->nlmsg_seq, NLMSG_DONE, TLSHUB_MSG_LOG,
			    "x", 2);
		len += build(p + len, req->nlmsg_seq, NLMSG_DONE,
			     TLSHUB_MSG_CONNECTED, NULL, 0);
		raw_send(F.fd, from, buf, len);
		break;
	case 3:		/* 10 log lines: more than the bound (5) */
		for (i = 0; i < 10; i++) {
			len = build(buf, req->nlmsg_seq, NLMSG_DONE,
				    TLSHUB_MSG_LOG, "spam", 5);
			raw_send(F.fd, from, buf, len);
		}
		break;
	case 4:
		send_type(from, req->nlmsg_seq, TLSHUB_MSG_HS_FAILED);
		break;
	default:	/* a type that does not answer START */
		send_type(from, req->nlmsg_seq, TLSHUB_MSG_INIT_DONE);
		break;
	}
}

static void t_start_replies(void **st)
{
	struct flow_tuple t = sample_tuple();

	(void)st;
	client_up(s_start, TLSHUB_LAYOUT_V1, 5);
	assert_int_equal(tlshub_handshake(&t), 0);
	assert_int_equal(tlshub_handshake(&t), 0);
	assert_int_equal(tlshub_handshake(&t), -EPROTO);
	assert_non_null(strstr(tlshub_last_error(), "more than 5 log lines"));
	assert_int_equal(tlshub_handshake(&t), -ECONNABORTED);
	assert_int_equal(tlshub_handshake(&t), -EPROTO);
	assert_non_null(strstr(tlshub_last_error(), "unexpected msg_type 0x07"));
}

/* FETCH -1, START ok, FETCH key (seed 001 order). */
static void s_get_flow(struct fake *f, int n, const struct nlmsghdr *req,
		       const struct tlshub_request *r, __u32 from)
{
	(void)f; (void)n;
	if (r->opcode == TLSHUB_OP_START)
		send_type(from, req->nlmsg_seq, TLSHUB_MSG_HS_FIRST);
	else
		send_key(F.fd, from, req->nlmsg_seq, n == 1 ? -1 : 0, 0xa5);
}

static void t_get_key_sequence(void **st)
{
	struct flow_tuple t = sample_tuple();
	struct tls_key_info ki;

	(void)st;
	client_up(s_get_flow, TLSHUB_LAYOUT_V1, 0);
	assert_int_equal(tlshub_get_key(&t, &ki, TLSHUB_ROLE_CLIENT), 0);
	expect_key(&ki, 0xa5, TLSHUB_ROLE_CLIENT);
	assert_int_equal(F.nreq, 4);
	assert_int_equal(F.ops[1], TLSHUB_OP_FETCH);
	assert_int_equal(F.ops[2], TLSHUB_OP_START);
	assert_int_equal(F.ops[3], TLSHUB_OP_FETCH);
	/* same flow, same end, same master key: refused (nonce reuse) */
	assert_int_equal(tlshub_get_key(&t, &ki, TLSHUB_ROLE_CLIENT), -ESTALE);
	/* the other end of the same flow may have it (same-node flow) */
	assert_int_equal(tlshub_get_key(&t, &ki, TLSHUB_ROLE_SERVER), 0);
	expect_key(&ki, 0xa5, TLSHUB_ROLE_SERVER);
}

static void s_expired(struct fake *f, int n, const struct nlmsghdr *req,
		      const struct tlshub_request *r, __u32 from)
{
	(void)f; (void)n;
	if (r->opcode == TLSHUB_OP_START)
		send_type(from, req->nlmsg_seq, TLSHUB_MSG_HS_OK);
	else
		send_key(F.fd, from, req->nlmsg_seq, -2, 0);
}

static void t_expired(void **st)
{
	struct flow_tuple t = sample_tuple();
	struct tls_key_info ki;

	(void)st;
	client_up(s_expired, TLSHUB_LAYOUT_V1, 0);
	assert_int_equal(tlshub_get_key(&t, &ki, TLSHUB_ROLE_CLIENT),
			 -EKEYEXPIRED);
	assert_int_equal(F.nreq, 4);
	assert_int_equal(F.ops[2], TLSHUB_OP_START);
}

static void s_seq_zero(struct fake *f, int n, const struct nlmsghdr *req,
		       const struct tlshub_request *r, __u32 from)
{
	(void)f; (void)n; (void)req; (void)r;
	send_key(F.fd, from, 0, 0, 0xa6);
}

static void t_seq_zero_modes(void **st)
{
	struct flow_tuple t = sample_tuple();
	struct tlshub_config c = {
		.protocol = NETLINK_USERSOCK, .layout = TLSHUB_LAYOUT_V1,
		.timeout_ms = 200, .log = quiet_log,
		.seq_check = TLSHUB_SEQ_ZERO_OK, .skip_init = 1,
	};
	struct tls_key_info ki;

	(void)st;
	client_up(s_seq_zero, TLSHUB_LAYOUT_V1, 0);
	c.peer_pid = F.pid;
	assert_int_equal(tlshub_client_configure(&c), 0);
	assert_int_equal(tlshub_client_init(), 0);
	assert_int_equal(tlshub_fetch_key_role(&t, &ki, TLSHUB_ROLE_CLIENT), 0);
	expect_key(&ki, 0xa6, TLSHUB_ROLE_CLIENT);
	/* default for a user-space peer is strict: seq 0 is ignored */
	c.seq_check = TLSHUB_SEQ_AUTO;
	assert_int_equal(tlshub_client_configure(&c), 0);
	assert_int_equal(tlshub_client_init(), 0);
	assert_int_equal(tlshub_fetch_key_role(&t, &ki, TLSHUB_ROLE_CLIENT),
			 -ETIMEDOUT);
}

/*
 * Like the module: one master key per 4-tuple, the same every time the
 * tuple comes back (a function of the client port here).
 */
static void s_key_per_tuple(struct fake *f, int n, const struct nlmsghdr *req,
			    const struct tlshub_request *r, __u32 from)
{
	(void)f; (void)n;
	send_key(F.fd, from, req->nlmsg_seq, 0,
		 (__u8)(r->client_pod_port * 31 + 7) | 1);
}

/*
 * No key/IV pair twice for a reused tuple (docs/KEYS.md §uniqueness):
 * the module returns the same master key for the tuple every time; new
 * connections on it (new ISNs) get fresh keys after 10 000 other flows
 * (more than the guard ring holds) and after a client restart (empty
 * guard). The very same connection values twice are still refused.
 */
static void t_tuple_reuse_fresh_keys(void **st)
{
	struct flow_tuple t = sample_tuple(), o = t;
	struct flow_isn isn[3] = { { 1000, 5000 }, { 1000 + 0x9e3779b9u,
				   5000 + 0x9e3779b9u }, { 77, 99 } }, oi;
	struct tls_key_info k[3], x;
	int i;

	(void)st;
	client_up(s_key_per_tuple, TLSHUB_LAYOUT_V1, 0);
	assert_int_equal(tlshub_get_key_conn(&t, &isn[0], &k[0],
					     TLSHUB_ROLE_CLIENT), 0);
	for (i = 0; i < 10000; i++) {
		o.sport = 1024 + i;	/* never 40000 */
		oi.client = i * 2654435761u;
		oi.server = ~oi.client;
		assert_int_equal(tlshub_get_key_conn(&o, &oi, &x,
						     TLSHUB_ROLE_CLIENT), 0);
	}
	assert_int_equal(tlshub_get_key_conn(&t, &isn[1], &k[1],
					     TLSHUB_ROLE_CLIENT), 0);
	assert_fresh(&k[0], &k[1]);
	/* restart of the client (daemon restart, provider switch) */
	tlshub_client_cleanup();
	assert_int_equal(tlshub_client_init(), 0);
	assert_int_equal(tlshub_get_key_conn(&t, &isn[2], &k[2],
					     TLSHUB_ROLE_CLIENT), 0);
	assert_fresh(&k[0], &k[2]);
	assert_fresh(&k[1], &k[2]);
	/* the same connection values again: refused, not repeated */
	assert_int_equal(tlshub_get_key_conn(&t, &isn[2], &x,
					     TLSHUB_ROLE_CLIENT), -ESTALE);
	/* the other end of that connection derives the mirror */
	assert_int_equal(tlshub_get_key_conn(&t, &isn[2], &x,
					     TLSHUB_ROLE_SERVER), 0);
	assert_memory_equal(x.key, k[2].rx_key, 16);
	assert_memory_equal(x.rx_iv, k[2].iv, 12);
	explicit_bzero(k, sizeof(k));
	explicit_bzero(&x, sizeof(x));
}

static void t_peer_absent(void **st)
{
	struct tlshub_config c = {
		.protocol = NETLINK_USERSOCK, .layout = TLSHUB_LAYOUT_V1,
		.timeout_ms = 200, .log = quiet_log,
	};
	__u32 pid;
	int fd;

	(void)st;
	fd = open_nl(&pid);	/* a port id that then has no socket */
	close(fd);
	c.peer_pid = pid;
	assert_int_equal(tlshub_client_configure(&c), 0);
	assert_int_equal(tlshub_client_init(), -ECONNREFUSED);
	assert_non_null(strstr(tlshub_last_error(), "TLSHub not available"));
	assert_string_equal(tlshub_strerror(-ECONNREFUSED),
			    "TLSHub not available");
	/* calls without a socket fail cleanly */
	{
		struct flow_tuple t = sample_tuple();
		struct tls_key_info ki;

		assert_int_equal(tlshub_fetch_key(&t, &ki), -ENOTCONN);
		assert_int_equal(tlshub_fetch_key(NULL, &ki), -EINVAL);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_sha256_vectors),
		cmocka_unit_test(t_hmac_rfc4231),
		cmocka_unit_test(t_hkdf_rfc5869),
		cmocka_unit_test(t_hkdf_vs_openssl),
		cmocka_unit_test(t_encode_v1),
		cmocka_unit_test(t_encode_v2),
		cmocka_unit_test(t_decode_bad_lengths),
		cmocka_unit_test(t_parse_fetch),
		cmocka_unit_test(t_parse_log),
		cmocka_unit_test(t_datagram_huge_nlmsg_len),
		cmocka_unit_test(t_schedule_known_answer),
		cmocka_unit_test(t_schedule_mirror),
		cmocka_unit_test(t_schedule_isn),
		cmocka_unit_test_teardown(t_fetch_ok_v1, teardown),
		cmocka_unit_test_teardown(t_fetch_v2_node_ip, teardown),
		cmocka_unit_test_teardown(t_ipv6_fails_closed, teardown),
		cmocka_unit_test_teardown(t_stale_and_spoofed_ignored, teardown),
		cmocka_unit_test_teardown(t_wrong_seq_times_out, teardown),
		cmocka_unit_test_teardown(t_get_key_timeout_no_handshake,
					  teardown),
		cmocka_unit_test_teardown(t_short_and_bogus_replies, teardown),
		cmocka_unit_test_teardown(t_nlmsg_error_and_ack, teardown),
		cmocka_unit_test_teardown(t_start_replies, teardown),
		cmocka_unit_test_teardown(t_get_key_sequence, teardown),
		cmocka_unit_test_teardown(t_expired, teardown),
		cmocka_unit_test_teardown(t_seq_zero_modes, teardown),
		cmocka_unit_test_teardown(t_tuple_reuse_fresh_keys, teardown),
		cmocka_unit_test(t_peer_absent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
