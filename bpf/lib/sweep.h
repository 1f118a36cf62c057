/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The session sweep: a BPF timer, armed by the first new flow and
 * re-armed by itself every sweep_s seconds, that deletes expired
 * sessions (and their kTLS marks) and recounts what the data path keeps
 * by insert and delete but the LRU cannot tell it about: the sessions of
 * each pod (its quota) and the total (pressure). It runs in the kernel,
 * so reclaim and quota repair need no daemon (docs/DATAPATH.md,
 * "Session lifetime").
 */
#ifndef TCSEG_BPF_SWEEP_H
#define TCSEG_BPF_SWEEP_H

#include "lib/session.h"

#define CLOCK_MONOTONIC	1

struct tcseg_sweep_state {
	struct bpf_timer timer;
	__u32 armed;
	__u32 pad;
};

/* Pinned: a pinned map keeps its timer running after tcctl load exits. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tcseg_sweep_state);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tcseg_sweep SEC(".maps");

struct sweep_ctx {
	const struct tcseg_config *cfg;
	__u64 now;
	__u64 live;
};

static long sweep_dev_zero(struct bpf_map *map, __u32 *ifindex,
			   struct tcseg_dev *d, void *ctx)
{
	d->sessions_sweep = 0;
	return 0;
}

static long sweep_dev_commit(struct bpf_map *map, __u32 *ifindex,
			     struct tcseg_dev *d, void *ctx)
{
	d->sessions = d->sessions_sweep;
	return 0;
}

static long sweep_session(struct bpf_map *map, struct tcseg_session_key *k,
			  struct tcseg_session *s, struct sweep_ctx *x)
{
	struct tcseg_dev *d;

	if (session_expired(x->cfg, s, k->proto, x->now)) {
		session_forget_mark(k);
		if (!bpf_map_delete_elem(&tcseg_sessions, k)) {
			/* as when a packet finds it expired (session_end) */
			stat_add(TCSEG_STAT_SESSIONS_EXPIRED, 1);
			stat_add(TCSEG_STAT_SESSIONS_CLOSED, 1);
		}
		return 0;
	}
	x->live++;
	if (s->flags & TCSEG_SESS_F_CHARGED) {
		d = bpf_map_lookup_elem(&tcseg_devs, &k->ifindex);
		if (d)
			__sync_fetch_and_add(&d->sessions_sweep, 1);
	}
	return 0;
}

static __always_inline __u64 sweep_period_ns(const struct tcseg_config *cfg)
{
	return (__u64)(cfg->sweep_s ?: TCSEG_DEF_SWEEP_S) * NSEC_PER_SEC;
}

static int sweep_run(void *map, __u32 *key, struct tcseg_sweep_state *st)
{
	struct sweep_ctx x = {};
	struct tcseg_pressure *pr;
	__u32 zero = 0;

	x.cfg = bpf_map_lookup_elem(&tcseg_config, &zero);
	if (!x.cfg)
		return 0;
	x.now = bpf_ktime_get_coarse_ns();
	bpf_for_each_map_elem(&tcseg_devs, sweep_dev_zero, NULL, 0);
	bpf_for_each_map_elem(&tcseg_sessions, sweep_session, &x, 0);
	bpf_for_each_map_elem(&tcseg_devs, sweep_dev_commit, NULL, 0);
	pr = pressure_get();
	if (pr) {
		pr->total_sessions = x.live;
		pressure_level(x.cfg, pr);
	}
	bpf_timer_start(&st->timer, sweep_period_ns(x.cfg), 0);
	return 0;
}

/* Arm the sweep once; cheap enough for the new-flow path. */
static __always_inline void sweep_ensure(const struct tcseg_config *cfg)
{
	struct tcseg_sweep_state *st;
	__u32 zero = 0;

	st = bpf_map_lookup_elem(&tcseg_sweep, &zero);
	if (!st || st->armed)
		return;
	st->armed = 1;
	bpf_timer_init(&st->timer, &tcseg_sweep, CLOCK_MONOTONIC);
	bpf_timer_set_callback(&st->timer, sweep_run);
	bpf_timer_start(&st->timer, sweep_period_ns(cfg), 0);
}

#endif
