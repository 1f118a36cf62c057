/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcsegd: notices from the other end of a flow (secured, or failed with
 * an errno), matched to the waiting hand-off by tuple, end and the key
 * fingerprint both ends computed (so a notice of an earlier connection
 * with the same 4-tuple never releases a new one). See tcsegd_ends.c.
 */
#ifndef TCSEG_TCSEGD_ENDS_H
#define TCSEG_TCSEGD_ENDS_H

#include <pthread.h>
#include <stdbool.h>
#include "daemon/tcsegd_corr.h"

#define ENDS_MAX	1024		/* notices kept; the oldest goes */
#define ENDS_FP_LEN	8
#define ENDS_TTL_NS	(30ull * 1000000000ull)
#define ENDS_POLL_NS	(10ull * 1000000ull)

void ends_init(void);
/* End @end (enum job_role) of flow @k reported @status (0 secured). */
void ends_put(const struct corr_key *k, int end, int status, const __u8 *fp,
	      __u64 now_ns);
/*
 * Wait (CLOCK_MONOTONIC @deadline_ns, or *@cancel) for end @end of @k:
 * a notice with fingerprint @fp, or a failure without keys received at
 * or after @since_ns. 0 and *@status (the notice is used up),
 * -ETIMEDOUT or -ECANCELED.
 */
int ends_wait(const struct corr_key *k, int end, const __u8 *fp,
	      __u64 since_ns, __u64 deadline_ns, const bool *cancel,
	      int *status);

#endif
