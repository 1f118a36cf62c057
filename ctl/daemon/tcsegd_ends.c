// SPDX-License-Identifier: GPL-2.0
/*
 * tcsegd: what the other end of a flow reported (secured or failed), so
 * a hand-off releases its process only once both ends are secured
 * (docs/DAEMON.md §hand-off). The other end's daemon sends an END message
 * over the node session (ctl/keys/key_provider.c); a same-node flow's other
 * end is this daemon. A bounded table, waited on by the hand-off workers.
 * No I/O here (unit-tested in tests/unit/test_tcsegd_ends.c).
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "daemon/tcsegd_ends.h"

struct end_notice {
	struct corr_key key;
	int end;
	int status;
	__u8 fp[ENDS_FP_LEN];
	__u64 at_ns;		/* 0 = free */
};

static struct end_notice tab[ENDS_MAX];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv;

void ends_init(void)
{
	pthread_condattr_t a;

	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(&cv, &a);
	pthread_condattr_destroy(&a);
	pthread_mutex_lock(&lock);
	memset(tab, 0, sizeof(tab));
	pthread_mutex_unlock(&lock);
}

static bool fp_zero(const __u8 *fp)
{
	static const __u8 z[ENDS_FP_LEN];

	return !memcmp(fp, z, ENDS_FP_LEN);
}

static bool key_eq(const struct corr_key *a, const struct corr_key *b)
{
	return !memcmp(a, b, sizeof(*a));
}

void ends_put(const struct corr_key *k, int end, int status, const __u8 *fp,
	      __u64 now_ns)
{
	struct end_notice *e, *slot = NULL;
	unsigned int i;

	pthread_mutex_lock(&lock);
	for (i = 0; i < ENDS_MAX; i++) {
		e = &tab[i];
		if (e->at_ns && now_ns - e->at_ns > ENDS_TTL_NS)
			e->at_ns = 0;
		/* free first, else the oldest */
		if (!slot || (slot->at_ns && (!e->at_ns || e->at_ns < slot->at_ns)))
			slot = e;
	}
	slot->key = *k;
	slot->end = end;
	slot->status = status;
	memcpy(slot->fp, fp, ENDS_FP_LEN);
	slot->at_ns = now_ns ? now_ns : 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&lock);
}

/*
 * Caller holds lock. A notice of this connection: same keys (the
 * fingerprint), or a failure with no keys that came after @since_ns.
 */
static struct end_notice *find(const struct corr_key *k, int end,
			       const __u8 *fp, __u64 since_ns)
{
	unsigned int i;

	for (i = 0; i < ENDS_MAX; i++) {
		struct end_notice *e = &tab[i];

		if (!e->at_ns || e->end != end || !key_eq(&e->key, k))
			continue;
		if (fp_zero(e->fp) ? e->status && e->at_ns >= since_ns :
				     !memcmp(e->fp, fp, ENDS_FP_LEN))
			return e;
	}
	return NULL;
}

int ends_wait(const struct corr_key *k, int end, const __u8 *fp,
	      __u64 since_ns, __u64 deadline_ns, const bool *cancel,
	      int *status)
{
	struct end_notice *e;
	struct timespec ts;
	__u64 t;
	int r = -ETIMEDOUT;

	pthread_mutex_lock(&lock);
	for (;;) {
		e = find(k, end, fp, since_ns);
		if (e) {
			*status = e->status;
			e->at_ns = 0;	/* one connection's notice, used once */
			r = 0;
			break;
		}
		clock_gettime(CLOCK_MONOTONIC, &ts);
		t = (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
		if (t >= deadline_ns ||
		    (cancel && __atomic_load_n(cancel, __ATOMIC_RELAXED))) {
			r = t >= deadline_ns ? -ETIMEDOUT : -ECANCELED;
			break;
		}
		/* wake at least every 10 ms to see @cancel */
		t += ENDS_POLL_NS;
		if (t > deadline_ns)
			t = deadline_ns;
		ts.tv_sec = t / 1000000000ull;
		ts.tv_nsec = t % 1000000000ull;
		pthread_cond_timedwait(&cv, &lock, &ts);
	}
	pthread_mutex_unlock(&lock);
	return r;
}
