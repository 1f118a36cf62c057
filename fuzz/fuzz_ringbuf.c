// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: tcsegd's ring-buffer records (ctl/daemon/tcsegd_corr.c).
 * The input is a sequence of raw records as the two ring buffers deliver
 * them: u8 source (bit 0: 0 = data path "tcseg_events", 1 = capture
 * "tcseg_sock_events"; bit 1: expire now), u8 size, that many bytes.
 * Each is validated (corr_check_tc/sock) and, if accepted, merged into a
 * small correlation table (corr_add_*). Invariants: the table never holds
 * more than its capacity, a merged record's flow is found by its key,
 * nothing reads past a record, and after an expiry with the clock far
 * ahead no flow seen is found any more (slots stay counted: corr_count()
 * is the slots ever used, expired ones are taken over).
 */
#include <errno.h>
#include "daemon/tcsegd_corr.h"
#include "fuzz_util.h"

#define CAP	16	/* corr_new() rounds up to at least 16 */
#define TTL	1000000000ull

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct corr_table *t = corr_new(CAP, TTL);
	size_t off = 0, len;
	struct corr_key seen[64];
	unsigned int nseen = 0, i;
	__u64 now = 1;
	int src, r;

	if (!t)
		abort();
	while (off + 2 <= size) {
		struct corr_entry *e;
		struct corr_key k;
		const char *why = NULL;
		void *rec;

		src = data[off];
		len = data[off + 1];
		off += 2;
		if (len > size - off)
			len = size - off;
		rec = malloc(len ? len : 1);	/* exact size for ASan */
		if (!rec)
			abort();
		memcpy(rec, data + off, len);
		off += len;
		now += 1000;
		if (src & 2)
			now += TTL / 2;
		if (src & 1) {
			r = corr_check_sock(rec, len, &why);
			if (!r) {
				e = corr_add_sock(t, rec, now);
				corr_key_sock(rec, &k);
				if (nseen < 64)
					seen[nseen++] = k;
				FUZZ_CHECK(!e || corr_find(t, &k) == e,
					   "sock record's flow not found");
			}
		} else {
			r = corr_check_tc(rec, len, &why);
			if (!r) {
				e = corr_add_tc(t, rec, now);
				corr_key_tc(rec, &k);
				if (nseen < 64)
					seen[nseen++] = k;
				FUZZ_CHECK(!e || corr_find(t, &k) == e,
					   "tc record's flow not found");
			}
		}
		FUZZ_CHECK(r == 0 || (r == -EBADMSG && why),
			   "check returned %d", r);
		free(rec);
		if (src & 2)
			corr_expire(t, now);
		FUZZ_CHECK(corr_count(t) <= CAP, "%u entries in a table of %d",
			   corr_count(t), CAP);
	}
	corr_expire(t, now + 2 * TTL);
	for (i = 0; i < nseen; i++)
		FUZZ_CHECK(!corr_find(t, &seen[i]), "flow %u found after expiry",
			   i);
	corr_free(t);
	return 0;
}
