/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Self-contained SHA-256, HMAC-SHA256 and HKDF (RFC 5869) plus the
 * HKDF-Expand-Label of RFC 8446 §7.1, so the TLSHub client derives kTLS
 * material without linking any crypto library into the daemon.
 */
#ifndef TCSEG_TLSHUB_HKDF_H
#define TCSEG_TLSHUB_HKDF_H

#include <stddef.h>
#include <stdint.h>

#define TH_SHA256_LEN	32
#define TH_SHA256_BLOCK	64

struct th_sha256 {
	uint32_t h[8];
	uint64_t len;		/* bytes hashed so far */
	uint8_t buf[TH_SHA256_BLOCK];
	size_t used;
};

void th_sha256_init(struct th_sha256 *c);
void th_sha256_update(struct th_sha256 *c, const void *data, size_t len);
void th_sha256_final(struct th_sha256 *c, uint8_t out[TH_SHA256_LEN]);
void th_sha256(const void *data, size_t len, uint8_t out[TH_SHA256_LEN]);

void th_hmac_sha256(const void *key, size_t key_len, const void *data,
		    size_t len, uint8_t out[TH_SHA256_LEN]);

/* RFC 5869. Expand: out_len <= 255 * 32, else -EINVAL. */
void th_hkdf_extract(const void *salt, size_t salt_len, const void *ikm,
		     size_t ikm_len, uint8_t prk[TH_SHA256_LEN]);
int th_hkdf_expand(const uint8_t prk[TH_SHA256_LEN], const void *info,
		   size_t info_len, uint8_t *out, size_t out_len);

/*
 * RFC 8446 §7.1: HKDF-Expand(secret, HkdfLabel, len) with
 * HkdfLabel = u16 len || u8 n || "tls13 " label || u8 m || context.
 * label <= 249 bytes, context <= 255 bytes, len <= 255 * 32.
 */
int th_hkdf_expand_label(const uint8_t secret[TH_SHA256_LEN],
			 const char *label, const void *ctx, size_t ctx_len,
			 uint8_t *out, size_t out_len);

#endif
