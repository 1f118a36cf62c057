// SPDX-License-Identifier: GPL-2.0
/*
 * SHA-256, HMAC-SHA256 and HKDF (RFC 5869) from OpenSSL 3's libcrypto,
 * plus the HKDF-Expand-Label of RFC 8446 §7.1 built on them, for the
 * TLSHub and node-pair key schedules. The daemon links libcrypto beside
 * the dlopen()ed BoringSSL plugin; why that cannot clash: docs/KEYS.md
 * §10. Checked against the RFC vectors in tests/unit/test_tlshub.c.
 * Every intermediate buffer holding key material is wiped.
 */
#include <errno.h>
#include <stdbool.h>
#include <pthread.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include "keys/tlshub_hkdf.h"

void th_sha256_init(struct th_sha256 *c)
{
	c->md = EVP_MD_CTX_new();
	if (c->md && !EVP_DigestInit_ex(c->md, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(c->md);
		c->md = NULL;
	}
}

void th_sha256_update(struct th_sha256 *c, const void *data, size_t len)
{
	if (c->md && !EVP_DigestUpdate(c->md, data, len)) {
		EVP_MD_CTX_free(c->md);
		c->md = NULL;
	}
}

int th_sha256_final(struct th_sha256 *c, uint8_t out[TH_SHA256_LEN])
{
	int ok = c->md && EVP_DigestFinal_ex(c->md, out, NULL);

	EVP_MD_CTX_free(c->md);
	c->md = NULL;
	if (ok)
		return 0;
	memset(out, 0, TH_SHA256_LEN);
	return -ENOMEM;
}

int th_sha256(const void *data, size_t len, uint8_t out[TH_SHA256_LEN])
{
	struct th_sha256 c;

	th_sha256_init(&c);
	th_sha256_update(&c, data, len);
	return th_sha256_final(&c, out);
}

int th_hmac_sha256(const void *key, size_t key_len, const void *data,
		   size_t len, uint8_t out[TH_SHA256_LEN])
{
	static const uint8_t none;

	/* HMAC() wants a non-NULL key even when it is empty */
	if (HMAC(EVP_sha256(), key_len ? key : &none, (int)key_len, data, len,
		 out, NULL))
		return 0;
	memset(out, 0, TH_SHA256_LEN);
	return -ENOMEM;
}

/*
 * libcrypto's HKDF, fetched once. Each thread keeps one context for the
 * expand step, the one run per flow, with SHA-256 set on it once: a new
 * context fetches the digest by name, about a third of a cold call
 * (docs/KEYS.md §10). Every call sets the key and the info again, and
 * the key is overwritten after the call. An empty info (libcrypto 3.0
 * crashes on an empty INFO parameter, and without one the context keeps
 * the last info) and extract (its salt: an empty value does not replace
 * the last one) take a new context each time.
 */
static EVP_KDF *hkdf;
static pthread_key_t expand_ctx;
static bool expand_ctx_ok;
static pthread_once_t hkdf_once = PTHREAD_ONCE_INIT;

static void ctx_free(void *k)
{
	EVP_KDF_CTX_free(k);
}

static void hkdf_fetch(void)
{
	hkdf = EVP_KDF_fetch(NULL, OSSL_KDF_NAME_HKDF, NULL);
	expand_ctx_ok = !pthread_key_create(&expand_ctx, ctx_free);
}

static EVP_KDF_CTX *ctx_new(void)
{
	OSSL_PARAM p[2];
	EVP_KDF_CTX *k = EVP_KDF_CTX_new(hkdf);

	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
						(char *)"SHA256", 0);
	p[1] = OSSL_PARAM_construct_end();
	if (k && !EVP_KDF_CTX_set_params(k, p)) {
		EVP_KDF_CTX_free(k);
		k = NULL;
	}
	return k;
}

/* A context for @mode; *own: the caller frees it. */
static EVP_KDF_CTX *ctx_get(int mode, size_t info_len, bool *own)
{
	EVP_KDF_CTX *k;

	pthread_once(&hkdf_once, hkdf_fetch);
	if (!hkdf)
		return NULL;
	*own = mode != EVP_KDF_HKDF_MODE_EXPAND_ONLY || !info_len ||
	       !expand_ctx_ok;
	if (*own)
		return ctx_new();
	k = pthread_getspecific(expand_ctx);
	if (k)
		return k;
	k = ctx_new();
	if (k && pthread_setspecific(expand_ctx, k))
		*own = true;
	return k;
}

/* One HKDF call in @mode (EVP_KDF_HKDF_MODE_*); 0 or -errno. */
static int hkdf_run(int mode, const void *key, size_t key_len,
		    const void *salt, size_t salt_len, const void *info,
		    size_t info_len, uint8_t *out, size_t out_len)
{
	static const uint8_t wipe;
	OSSL_PARAM p[5], *q = p;
	EVP_KDF_CTX *k;
	bool own;
	int r;

	k = ctx_get(mode, info_len, &own);
	if (!k)
		return -ENOMEM;
	*q++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
						 (void *)key, key_len);
	if (salt_len)
		*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
							 (void *)salt,
							 salt_len);
	if (info_len)
		*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
							 (void *)info,
							 info_len);
	*q = OSSL_PARAM_construct_end();
	r = EVP_KDF_derive(k, out, out_len, p) == 1 ? 0 : -EIO;
	if (own) {
		EVP_KDF_CTX_free(k);	/* clears the context's copies */
	} else {
		p[0] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
							 (void *)&wipe, 1);
		p[1] = OSSL_PARAM_construct_end();
		if (!EVP_KDF_CTX_set_params(k, p)) {	/* cannot wipe: drop */
			pthread_setspecific(expand_ctx, NULL);
			EVP_KDF_CTX_free(k);
		}
	}
	if (r)
		explicit_bzero(out, out_len);
	return r;
}

int th_hkdf_extract(const void *salt, size_t salt_len, const void *ikm,
		    size_t ikm_len, uint8_t prk[TH_SHA256_LEN])
{
	static const uint8_t zeros[TH_SHA256_LEN];

	/* RFC 5869 §2.2: no salt = HashLen zero bytes. */
	if (!salt || !salt_len) {
		salt = zeros;
		salt_len = sizeof(zeros);
	}
	return hkdf_run(EVP_KDF_HKDF_MODE_EXTRACT_ONLY, ikm, ikm_len, salt,
			salt_len, NULL, 0, prk, TH_SHA256_LEN);
}

int th_hkdf_expand(const uint8_t prk[TH_SHA256_LEN], const void *info,
		   size_t info_len, uint8_t *out, size_t out_len)
{
	if (out_len > 255 * TH_SHA256_LEN || info_len > 256)
		return -EINVAL;
	return hkdf_run(EVP_KDF_HKDF_MODE_EXPAND_ONLY, prk, TH_SHA256_LEN,
			NULL, 0, info, info_len, out, out_len);
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
