// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel TLS set-up on a connected TCP socket: validate the key material,
 * build the kernel's crypto_info for (version, cipher), attach the "tls"
 * ULP and hand over TX/RX. Key bytes are never logged and are wiped from
 * the stack after each setsockopt.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <linux/tls.h>

#include "keys/ktls.h"

#ifndef SOL_TLS
#define SOL_TLS 282
#endif
#ifndef TCP_ULP
#define TCP_ULP 31
#endif

#define KTLS_IV_LEN	12	/* TLS 1.2 GCM: 4 salt + 8 explicit; 1.3: full */

union ktls_crypto_info {
	struct tls_crypto_info info;
	struct tls12_crypto_info_aes_gcm_128 aes128;
	struct tls12_crypto_info_aes_gcm_256 aes256;
	struct tls12_crypto_info_chacha20_poly1305 chacha;
};

_Static_assert(sizeof(union ktls_crypto_info) == KTLS_CRYPTO_INFO_MAX,
	       "KTLS_CRYPTO_INFO_MAX out of date");
_Static_assert(TCSEG_CIPHER_AES_GCM_128 == TLS_CIPHER_AES_GCM_128 &&
	       TCSEG_CIPHER_AES_GCM_256 == TLS_CIPHER_AES_GCM_256 &&
	       TCSEG_CIPHER_CHACHA20_POLY1305 == TLS_CIPHER_CHACHA20_POLY1305,
	       "cipher ids differ from <linux/tls.h>");
_Static_assert(TCSEG_TLS_1_2 == TLS_1_2_VERSION &&
	       TCSEG_TLS_1_3 == TLS_1_3_VERSION,
	       "version ids differ from <linux/tls.h>");

static void put_be64(unsigned char *p, __u64 v)
{
	int i;

	for (i = 7; i >= 0; i--) {
		p[i] = v & 0xff;
		v >>= 8;
	}
}

/*
 * The 12-byte IV splits into the kernel's salt (first salt-size bytes)
 * and iv (the rest): 4 + 8 for AES-GCM, 0 + 12 for ChaCha20-Poly1305.
 */
#define KTLS_FILL(ci, k, iv12, seq) do {				\
	memcpy((ci)->salt, (iv12), sizeof((ci)->salt));			\
	memcpy((ci)->iv, (iv12) + sizeof((ci)->salt), sizeof((ci)->iv));\
	memcpy((ci)->key, (k), sizeof((ci)->key));			\
	put_be64((ci)->rec_seq, (seq));					\
} while (0)

static int ktls_cipher_key_len(__u16 cipher)
{
	switch (cipher) {
	case TLS_CIPHER_AES_GCM_128:
		return TLS_CIPHER_AES_GCM_128_KEY_SIZE;
	case TLS_CIPHER_AES_GCM_256:
		return TLS_CIPHER_AES_GCM_256_KEY_SIZE;
	case TLS_CIPHER_CHACHA20_POLY1305:
		return TLS_CIPHER_CHACHA20_POLY1305_KEY_SIZE;
	}
	return -EINVAL;
}

static size_t ktls_cipher_info_len(__u16 cipher)
{
	switch (cipher) {
	case TLS_CIPHER_AES_GCM_128:
		return sizeof(struct tls12_crypto_info_aes_gcm_128);
	case TLS_CIPHER_AES_GCM_256:
		return sizeof(struct tls12_crypto_info_aes_gcm_256);
	default:
		return sizeof(struct tls12_crypto_info_chacha20_poly1305);
	}
}

int ktls_build_crypto_info(const struct tls_key_info *ki, int dir,
			   void *buf, size_t *len)
{
	union ktls_crypto_info ci;
	const __u8 *key, *iv;
	__u16 version, cipher;
	__u64 seq;
	size_t need;

	if (!ki || !buf || !len)
		return -EINVAL;
	if (dir != KTLS_DIR_TX && dir != KTLS_DIR_RX)
		return -EINVAL;
	version = ki->version ? ki->version : TLS_1_3_VERSION;
	cipher = ki->cipher ? ki->cipher : TLS_CIPHER_AES_GCM_128;
	if (version != TLS_1_2_VERSION && version != TLS_1_3_VERSION)
		return -EINVAL;
	if (ktls_cipher_key_len(cipher) < 0 ||
	    ki->key_len != (__u32)ktls_cipher_key_len(cipher) ||
	    ki->iv_len != KTLS_IV_LEN)
		return -EINVAL;
	need = ktls_cipher_info_len(cipher);
	if (*len < need)
		return -ENOSPC;

	key = dir == KTLS_DIR_TX ? ki->key : ki->rx_key;
	iv = dir == KTLS_DIR_TX ? ki->iv : ki->rx_iv;
	seq = dir == KTLS_DIR_TX ? ki->tx_seq : ki->rx_seq;

	memset(&ci, 0, sizeof(ci));
	ci.info.version = version;
	ci.info.cipher_type = cipher;
	switch (cipher) {
	case TLS_CIPHER_AES_GCM_128:
		KTLS_FILL(&ci.aes128, key, iv, seq);
		break;
	case TLS_CIPHER_AES_GCM_256:
		KTLS_FILL(&ci.aes256, key, iv, seq);
		break;
	case TLS_CIPHER_CHACHA20_POLY1305:
		KTLS_FILL(&ci.chacha, key, iv, seq);
		break;
	}
	memcpy(buf, &ci, need);
	*len = need;
	explicit_bzero(&ci, sizeof(ci));
	return 0;
}

/* Attach the "tls" ULP unless it already is; other ULPs are an error. */
static int ktls_attach_ulp(int sockfd)
{
	char name[16] = "";
	socklen_t len = sizeof(name) - 1;

	if (getsockopt(sockfd, IPPROTO_TCP, TCP_ULP, name, &len) < 0)
		return -errno;
	name[len < sizeof(name) ? len : sizeof(name) - 1] = '\0';
	if (!strcmp(name, "tls"))
		return 0;
	if (name[0])
		return -EEXIST;
	if (setsockopt(sockfd, IPPROTO_TCP, TCP_ULP, "tls", 3) < 0)
		return -errno;
	return 0;
}

static int ktls_enable_dir(int sockfd, const struct tls_key_info *ki, int dir)
{
	union ktls_crypto_info ci;
	size_t len = sizeof(ci);
	int err;

	if (sockfd < 0)
		return -EBADF;
	err = ktls_build_crypto_info(ki, dir, &ci, &len);
	if (err)
		goto out;
	err = ktls_attach_ulp(sockfd);
	if (err)
		goto out;
	if (setsockopt(sockfd, SOL_TLS, dir, &ci, len) < 0) {
		err = -errno;
		/* ENOENT here means the crypto API lacks the algorithm. */
		if (err == -ENOENT)
			err = -ENOPKG;
	}
out:
	explicit_bzero(&ci, sizeof(ci));
	return err;
}

int enable_ktls_tx(int sockfd, struct tls_key_info *key_info)
{
	return ktls_enable_dir(sockfd, key_info, KTLS_DIR_TX);
}

int enable_ktls_rx(int sockfd, struct tls_key_info *key_info)
{
	return ktls_enable_dir(sockfd, key_info, KTLS_DIR_RX);
}

int configure_ktls(int sockfd, struct tls_key_info *key_info)
{
	union ktls_crypto_info ci;
	size_t len = sizeof(ci);
	int err;

	if (sockfd < 0)
		return -EBADF;
	/* Both directions valid before the first syscall. */
	err = ktls_build_crypto_info(key_info, KTLS_DIR_TX, &ci, &len);
	if (!err) {
		len = sizeof(ci);
		err = ktls_build_crypto_info(key_info, KTLS_DIR_RX, &ci, &len);
	}
	explicit_bzero(&ci, sizeof(ci));
	if (err)
		return err;
	err = enable_ktls_tx(sockfd, key_info);
	if (err)
		return err;
	return enable_ktls_rx(sockfd, key_info);
}

/*
 * The ULP lookup (and module autoload) happens before the ULP's init,
 * which refuses an unconnected socket with ENOTCONN; only ENOENT means
 * there is no tls ULP at all.
 */
int ktls_available(void)
{
	int fd, ret = 0;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	if (setsockopt(fd, IPPROTO_TCP, TCP_ULP, "tls", 3) == 0 ||
	    errno != ENOENT)
		ret = 1;
	close(fd);
	return ret;
}

/* 1 if dir is configured, 0 if not, negative errno on a real error. */
static int ktls_dir_on(int sockfd, int dir)
{
	struct tls_crypto_info hdr;
	socklen_t len = sizeof(hdr);

	/* Header-sized buffer: the kernel copies version/cipher only. */
	if (getsockopt(sockfd, SOL_TLS, dir, &hdr, &len) == 0)
		return 1;
	/* EBUSY: ULP on, direction not; the others: no tls ULP at all. */
	if (errno == EBUSY || errno == ENOPROTOOPT || errno == EOPNOTSUPP)
		return 0;
	return -errno;
}

int ktls_state(int sockfd)
{
	int tx, rx;

	tx = ktls_dir_on(sockfd, KTLS_DIR_TX);
	if (tx < 0)
		return tx;
	rx = ktls_dir_on(sockfd, KTLS_DIR_RX);
	if (rx < 0)
		return rx;
	return tx | rx << 1;
}

const char *ktls_strerror(int err)
{
	switch (err) {
	case 0:
		return "success";
	case -ENOENT:
		return "kernel TLS not available (tls module missing or CONFIG_TLS off)";
	case -ENOPKG:
		return "cipher not available in the kernel crypto API";
	case -EINVAL:
		return "invalid kTLS parameters (key_len, iv_len, cipher or version)";
	case -EEXIST:
		return "another ULP is already attached to the socket";
	case -EBUSY:
		return "kTLS is already configured for this direction";
	case -ENOTCONN:
		return "socket is not an established TCP connection";
	case -ENOPROTOOPT:
		return "socket does not support kTLS (not TCP, or no tls ULP)";
	case -ENOSPC:
		return "crypto_info buffer too small";
	}
	if (err < 0)
		return strerror(-err);
	return "unknown kTLS error";
}
