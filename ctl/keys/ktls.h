/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel TLS on an already connected TCP socket (docs/KTLS.md "API"):
 * TCP_ULP "tls", then TLS_TX and TLS_RX crypto_info built from a
 * struct tls_key_info. TLS 1.2 and 1.3; AES-GCM-128/256, ChaCha20-Poly1305.
 * Errors are negative errno; ktls_strerror() turns the ones with a kTLS
 * meaning into words. See docs/KTLS.md.
 */
#ifndef TCSEG_KTLS_H
#define TCSEG_KTLS_H

#include <stddef.h>
#include "tcseg_keys.h"

/* Directions, equal to the kernel's TLS_TX / TLS_RX socket options. */
#define KTLS_DIR_TX	1
#define KTLS_DIR_RX	2

/* Largest crypto_info ktls_build_crypto_info() writes (AES-256, ChaCha). */
#define KTLS_CRYPTO_INFO_MAX	56

/*
 * Error codes with a kTLS meaning (all negative errno):
 *   -ENOENT  TCP_ULP "tls" unknown: no tls module / CONFIG_TLS off
 *   -ENOPKG  TLS_TX/TLS_RX: the cipher is not in the kernel crypto API
 *            (the kernel says ENOENT; remapped so the two stay apart)
 *   -EINVAL  bad key_len/iv_len/cipher/version (no syscall made), or the
 *            kernel refused the crypto_info
 *   -EEXIST  another ULP is already attached to the socket
 *   -EBUSY   that direction is already configured on the socket
 *   -ENOTCONN the socket is not an established TCP connection
 */

/*
 * TCP_ULP "tls" + TX + RX. Both directions are validated before any
 * syscall. If RX fails after TX succeeded the socket is half-configured
 * and can't be undone: the caller must close it (fail closed).
 * Returns 0 or negative errno.
 */
int configure_ktls(int sockfd, struct tls_key_info *key_info);
/* TCP_ULP "tls" (if not set yet) + TLS_TX with key/iv/tx_seq. */
int enable_ktls_tx(int sockfd, struct tls_key_info *key_info);
/* TCP_ULP "tls" (if not set yet) + TLS_RX with rx_key/rx_iv/rx_seq. */
int enable_ktls_rx(int sockfd, struct tls_key_info *key_info);

/*
 * Pure: the kernel crypto_info for one direction (KTLS_DIR_TX: key/iv/
 * tx_seq, KTLS_DIR_RX: rx_key/rx_iv/rx_seq) into buf. *len is the size
 * of buf on entry (at least KTLS_CRYPTO_INFO_MAX is always enough) and
 * the number of bytes written on return. version 0 means TLS 1.3 and
 * cipher 0 AES-GCM-128 (docs/KTLS.md). buf holds key material: the caller
 * zeroes it with explicit_bzero. Returns 0, -EINVAL or -ENOSPC.
 */
int ktls_build_crypto_info(const struct tls_key_info *key_info, int dir,
			   void *buf, size_t *len);

/* Is the tls ULP usable on this kernel? 1 yes, 0 no. */
int ktls_available(void);

/*
 * Which directions are on: bit 0 = TX, bit 1 = RX (getsockopt SOL_TLS,
 * header only, so no key leaves the kernel). 0 on a socket without the
 * tls ULP; negative errno on other errors (EBADF, ENOTSOCK...).
 */
int ktls_state(int sockfd);

/* Human text for a return value of the functions above. Never NULL. */
const char *ktls_strerror(int err);

#endif
