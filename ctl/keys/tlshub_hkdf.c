// SPDX-License-Identifier: GPL-2.0
/*
 * SHA-256 (FIPS 180-4), HMAC (RFC 2104) and HKDF (RFC 5869 / RFC 8446
 * §7.1) for the TLSHub key schedule. Checked against the RFC vectors and
 * against OpenSSL in tests/unit/test_tlshub.c. Every intermediate buffer
 * holding key material is wiped with explicit_bzero.
 */
#include <errno.h>
#include <string.h>
#include "keys/tlshub_hkdf.h"

static const uint32_t K256[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static inline uint32_t ror(uint32_t x, int n)
{
	return (x >> n) | (x << (32 - n));
}

static void sha256_block(uint32_t h[8], const uint8_t *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, k, t1, t2;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (; i < 64; i++)
		w[i] = w[i - 16] + w[i - 7] +
		       (ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3)) +
		       (ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10));
	a = h[0]; b = h[1]; c = h[2]; d = h[3];
	e = h[4]; f = h[5]; g = h[6]; k = h[7];
	for (i = 0; i < 64; i++) {
		t1 = k + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) +
		     ((e & f) ^ (~e & g)) + K256[i] + w[i];
		t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) +
		     ((a & b) ^ (a & c) ^ (b & c));
		k = g; g = f; f = e; e = d + t1;
		d = c; c = b; b = a; a = t1 + t2;
	}
	h[0] += a; h[1] += b; h[2] += c; h[3] += d;
	h[4] += e; h[5] += f; h[6] += g; h[7] += k;
	explicit_bzero(w, sizeof(w));
}

void th_sha256_init(struct th_sha256 *c)
{
	static const uint32_t iv[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};

	memcpy(c->h, iv, sizeof(iv));
	c->len = 0;
	c->used = 0;
}

void th_sha256_update(struct th_sha256 *c, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t n;

	c->len += len;
	while (len) {
		n = TH_SHA256_BLOCK - c->used;
		if (n > len)
			n = len;
		memcpy(c->buf + c->used, p, n);
		c->used += n;
		p += n;
		len -= n;
		if (c->used == TH_SHA256_BLOCK) {
			sha256_block(c->h, c->buf);
			c->used = 0;
		}
	}
}

void th_sha256_final(struct th_sha256 *c, uint8_t out[TH_SHA256_LEN])
{
	uint64_t bits = c->len * 8;
	uint8_t pad = 0x80, zero = 0, lenbuf[8];
	int i;

	th_sha256_update(c, &pad, 1);
	while (c->used != TH_SHA256_BLOCK - 8)
		th_sha256_update(c, &zero, 1);
	for (i = 0; i < 8; i++)
		lenbuf[i] = bits >> (56 - 8 * i);
	th_sha256_update(c, lenbuf, 8);
	for (i = 0; i < 8; i++) {
		out[4 * i] = c->h[i] >> 24;
		out[4 * i + 1] = c->h[i] >> 16;
		out[4 * i + 2] = c->h[i] >> 8;
		out[4 * i + 3] = c->h[i];
	}
	explicit_bzero(c, sizeof(*c));
}

void th_sha256(const void *data, size_t len, uint8_t out[TH_SHA256_LEN])
{
	struct th_sha256 c;

	th_sha256_init(&c);
	th_sha256_update(&c, data, len);
	th_sha256_final(&c, out);
}

/* HMAC with the message given as two pieces (HKDF-Expand needs T || info || i). */
static void hmac2(const void *key, size_t key_len, const void *d1, size_t l1,
		  const void *d2, size_t l2, uint8_t out[TH_SHA256_LEN])
{
	uint8_t k[TH_SHA256_BLOCK] = { 0 }, pad[TH_SHA256_BLOCK];
	uint8_t inner[TH_SHA256_LEN];
	struct th_sha256 c;
	int i;

	if (key_len > TH_SHA256_BLOCK)
		th_sha256(key, key_len, k);
	else if (key_len)
		memcpy(k, key, key_len);
	for (i = 0; i < TH_SHA256_BLOCK; i++)
		pad[i] = k[i] ^ 0x36;
	th_sha256_init(&c);
	th_sha256_update(&c, pad, sizeof(pad));
	th_sha256_update(&c, d1, l1);
	th_sha256_update(&c, d2, l2);
	th_sha256_final(&c, inner);
	for (i = 0; i < TH_SHA256_BLOCK; i++)
		pad[i] = k[i] ^ 0x5c;
	th_sha256_init(&c);
	th_sha256_update(&c, pad, sizeof(pad));
	th_sha256_update(&c, inner, sizeof(inner));
	th_sha256_final(&c, out);
	explicit_bzero(k, sizeof(k));
	explicit_bzero(pad, sizeof(pad));
	explicit_bzero(inner, sizeof(inner));
}

void th_hmac_sha256(const void *key, size_t key_len, const void *data,
		    size_t len, uint8_t out[TH_SHA256_LEN])
{
	hmac2(key, key_len, data, len, NULL, 0, out);
}

void th_hkdf_extract(const void *salt, size_t salt_len, const void *ikm,
		     size_t ikm_len, uint8_t prk[TH_SHA256_LEN])
{
	static const uint8_t zeros[TH_SHA256_LEN];

	/* RFC 5869 §2.2: no salt = HashLen zero bytes. */
	if (!salt || !salt_len) {
		salt = zeros;
		salt_len = sizeof(zeros);
	}
	th_hmac_sha256(salt, salt_len, ikm, ikm_len, prk);
}

int th_hkdf_expand(const uint8_t prk[TH_SHA256_LEN], const void *info,
		   size_t info_len, uint8_t *out, size_t out_len)
{
	uint8_t t[TH_SHA256_LEN], msg[TH_SHA256_LEN + 256 + 1];
	size_t done = 0, tlen = 0, n;
	uint8_t i = 0;

	if (out_len > 255 * TH_SHA256_LEN || info_len > 256)
		return -EINVAL;
	while (done < out_len) {
		/* T(i) = HMAC(PRK, T(i-1) || info || i) */
		i++;
		memcpy(msg, t, tlen);
		if (info_len)
			memcpy(msg + tlen, info, info_len);
		msg[tlen + info_len] = i;
		th_hmac_sha256(prk, TH_SHA256_LEN, msg, tlen + info_len + 1, t);
		tlen = TH_SHA256_LEN;
		n = out_len - done < tlen ? out_len - done : tlen;
		memcpy(out + done, t, n);
		done += n;
	}
	explicit_bzero(t, sizeof(t));
	explicit_bzero(msg, sizeof(msg));
	return 0;
}

int th_hkdf_expand_label(const uint8_t secret[TH_SHA256_LEN],
			 const char *label, const void *ctx, size_t ctx_len,
			 uint8_t *out, size_t out_len)
{
	static const char prefix[] = "tls13 ";
	uint8_t info[2 + 1 + 255 + 1 + 255];
	size_t llen = strlen(label), plen = sizeof(prefix) - 1, n = 0;
	int r;

	if (llen + plen > 255 || ctx_len > 255 || out_len > 0xffff)
		return -EINVAL;
	info[n++] = out_len >> 8;
	info[n++] = out_len & 0xff;
	info[n++] = plen + llen;
	memcpy(info + n, prefix, plen);
	n += plen;
	memcpy(info + n, label, llen);
	n += llen;
	info[n++] = ctx_len;
	if (ctx_len)
		memcpy(info + n, ctx, ctx_len);
	n += ctx_len;
	if (n > 256)
		return -EINVAL;
	r = th_hkdf_expand(secret, info, n, out, out_len);
	explicit_bzero(info, sizeof(info));
	return r;
}
