/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the key unit tests (test_keyprov, test_tlshub). Include
 * after <cmocka.h>.
 */
#ifndef TCSEG_KEYS_TEST_UTIL_H
#define TCSEG_KEYS_TEST_UTIL_H

#include <string.h>
#include "tcseg_keys.h"

/*
 * No key and no IV of @a appears in @b (either direction, AES-GCM-128):
 * a new connection never reuses key material (docs/KEYS.md §9).
 */
static inline void assert_fresh(const struct tls_key_info *a,
				const struct tls_key_info *b)
{
	if (!memcmp(a->key, b->key, 16) || !memcmp(a->iv, b->iv, 12) ||
	    !memcmp(a->rx_key, b->rx_key, 16) ||
	    !memcmp(a->rx_iv, b->rx_iv, 12))
		fail_msg("key/IV repeated for a new connection on the tuple");
}

#endif
