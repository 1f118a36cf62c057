/* SPDX-License-Identifier: GPL-2.0 */
/* Ring-buffer events to tcctl monitor and tcsegd, rate-limited per CPU. */
#ifndef TCSEG_BPF_EVENTS_H
#define TCSEG_BPF_EVENTS_H

#include "lib/policy.h"

static __always_inline int event_budget(const struct tcseg_config *cfg,
					__u64 now)
{
	struct tcseg_evbucket *b;
	__u32 zero = 0;
	__u64 add;

	if (!cfg->event_rate)
		return 1;
	b = bpf_map_lookup_elem(&tcseg_evrate, &zero);
	if (!b)
		return 0;
	add = (now - b->last_ns) * cfg->event_rate / NSEC_PER_SEC;
	if (add) {
		b->tokens += add;
		if (b->tokens > cfg->event_burst)
			b->tokens = cfg->event_burst;
		b->last_ns = now;
	}
	if (!b->tokens)
		return 0;
	b->tokens--;
	return 1;
}

static __always_inline void event_emit(const struct tcseg_config *cfg,
				       __u32 type, __u32 ifindex, __u8 dir,
				       const struct pkt *p,
				       const struct decision *d, __u8 reason,
				       __u64 now)
{
	struct tcseg_event *e;

	if (!event_budget(cfg, now)) {
		stat_add(TCSEG_STAT_EVENTS_DROPPED, 1);
		return;
	}
	e = bpf_ringbuf_reserve(&tcseg_events, sizeof(*e), 0);
	if (!e) {
		stat_add(TCSEG_STAT_EVENTS_DROPPED, 1);
		return;
	}
	e->ts_ns = now;
	e->type = type;
	e->ifindex = ifindex;
	e->saddr = p->saddr;
	e->daddr = p->daddr;
	e->sport = p->sport;
	e->dport = p->dport;
	e->proto = p->proto;
	e->family = p->family;
	e->dir = dir;
	e->action = d ? d->action : TCSEG_ACT_DENY;
	e->reason = reason;
	e->policy_id = d ? d->rule_id : 0;
	e->verdict_src = d ? d->src : 0;
	__builtin_memset(e->pad, 0, sizeof(e->pad));
	bpf_ringbuf_submit(e, 0);
	stat_add(TCSEG_STAT_EVENTS_SENT, 1);
}

#endif
