/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Sessions: insert/delete with the pressure counter, the per-pod SYN
 * guard, and TCP state tracking for both directions (RFC 793 states, seen
 * from the middle: docs/DATAPATH.md has the table).
 */
#ifndef TCSEG_BPF_SESSION_H
#define TCSEG_BPF_SESSION_H

#include "lib/events.h"

#ifndef EEXIST
#define EEXIST 17
#endif

static __always_inline struct tcseg_pressure *pressure_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&tcseg_pressure, &zero);
}

/* Seed 003 §2.4 thresholds: 70% warning, 90% critical. */
static __always_inline __u32 pressure_level(const struct tcseg_config *cfg,
					    struct tcseg_pressure *pr)
{
	__u64 total, max = cfg->session_max;
	__u32 level = TCSEG_PRESSURE_NORMAL;

	if (!pr || !max)
		return level;
	total = pr->total_sessions;
	if (total * 10 >= max * 9)
		level = TCSEG_PRESSURE_CRITICAL;
	else if (total * 10 >= max * 7)
		level = TCSEG_PRESSURE_WARNING;
	if (pr->pressure_level != level)
		pr->pressure_level = level;
	return level;
}

static __always_inline void session_delete(struct tcseg_session_key *k)
{
	struct tcseg_pressure *pr;

	if (bpf_map_delete_elem(&tcseg_sessions, k))
		return;
	stat_add(TCSEG_STAT_SESSIONS_CLOSED, 1);
	pr = pressure_get();
	if (pr && pr->total_sessions)
		__sync_fetch_and_sub(&pr->total_sessions, 1);
}

/*
 * SYN guard: half-open sessions a pod may open, counted over the current
 * and the previous window so the count heals by itself after a flood
 * (LRU evictions of half-open sessions would otherwise leak it).
 */
static __always_inline int syn_guard_admit(const struct tcseg_config *cfg,
					   struct tcseg_dev *dev, __u64 now,
					   __u32 *win_out)
{
	__u64 win_ns = (__u64)cfg->syn_window_ms * NSEC_PER_MSEC;
	__u32 win, cur;

	if (!dev || !cfg->syn_limit || !win_ns)
		return 1;
	win = now / win_ns;
	cur = dev->syn_window;
	if (win != cur) {
		if (win == cur + 1) {
			dev->syn_count[win & 1] = 0;
		} else {
			dev->syn_count[0] = 0;
			dev->syn_count[1] = 0;
		}
		dev->syn_window = win;
	}
	if (dev->syn_count[0] + dev->syn_count[1] >= cfg->syn_limit)
		return 0;
	__sync_fetch_and_add(&dev->syn_count[win & 1], 1);
	*win_out = win;
	return 2;
}

static __always_inline void syn_guard_release(struct tcseg_dev *dev,
					      struct tcseg_session *s)
{
	__u32 w = s->syn_window;
	__u64 *c;

	if (!(s->flags & TCSEG_SESS_F_SYN_COUNTED))
		return;
	s->flags &= ~TCSEG_SESS_F_SYN_COUNTED;
	if (!dev || (dev->syn_window != w && dev->syn_window != w + 1))
		return;
	c = &dev->syn_count[w & 1];
	if (*c)
		__sync_fetch_and_sub(c, 1);
}

static __always_inline int seq_after_eq(__u32 a, __u32 b)
{
	return (__s32)(a - b) >= 0;
}

/* Close handshake: FINs and their ACKs in both directions. */
static __always_inline void tcp_track_close(struct tcseg_session *s,
					    const struct pkt *p, int from_lo,
					    int *closed)
{
	__u16 f = s->flags;
	__u8 fl = p->tcp_flags;
	int lo_acked, hi_acked, closer_acked;

	if (fl & TCP_FL_FIN) {
		__u32 fin_ack = p->seq + p->payload_len + 1;

		if (from_lo && !(f & TCSEG_SESS_F_FIN_LO)) {
			if (!(f & TCSEG_SESS_F_FIN_HI))
				f &= ~TCSEG_SESS_F_CLOSER_HI;
			f |= TCSEG_SESS_F_FIN_LO;
			s->fin_ack_lo = fin_ack;
		} else if (!from_lo && !(f & TCSEG_SESS_F_FIN_HI)) {
			if (!(f & TCSEG_SESS_F_FIN_LO))
				f |= TCSEG_SESS_F_CLOSER_HI;
			f |= TCSEG_SESS_F_FIN_HI;
			s->fin_ack_hi = fin_ack;
		}
	}
	if (fl & TCP_FL_ACK) {
		if (from_lo && (f & TCSEG_SESS_F_FIN_HI) &&
		    seq_after_eq(p->ack_seq, s->fin_ack_hi))
			f |= TCSEG_SESS_F_FINACK_HI;
		if (!from_lo && (f & TCSEG_SESS_F_FIN_LO) &&
		    seq_after_eq(p->ack_seq, s->fin_ack_lo))
			f |= TCSEG_SESS_F_FINACK_LO;
	}
	s->flags = f;

	lo_acked = !!(f & TCSEG_SESS_F_FINACK_LO);
	hi_acked = !!(f & TCSEG_SESS_F_FINACK_HI);
	closer_acked = (f & TCSEG_SESS_F_CLOSER_HI) ? hi_acked : lo_acked;
	if ((f & TCSEG_SESS_F_FIN_LO) && (f & TCSEG_SESS_F_FIN_HI)) {
		if (lo_acked && hi_acked) {
			s->state = TCSEG_TCP_TIME_WAIT;
			*closed = 1;
		} else {
			s->state = closer_acked ? TCSEG_TCP_LAST_ACK :
						  TCSEG_TCP_CLOSING;
		}
	} else if (f & (TCSEG_SESS_F_FIN_LO | TCSEG_SESS_F_FIN_HI)) {
		s->state = closer_acked ? TCSEG_TCP_FIN_WAIT2 :
					  TCSEG_TCP_FIN_WAIT1;
	}
}

/*
 * One TCP segment of a tracked connection. Returns 0 for a valid
 * transition (or none), -1 for an invalid one (state left unchanged).
 * *closed is set when the connection is over and its session must go.
 */
static __always_inline int tcp_track(struct tcseg_session *s,
				     const struct pkt *p, int from_init,
				     int from_lo, int *closed)
{
	__u8 fl = p->tcp_flags;
	int syn = fl & TCP_FL_SYN, ack = fl & TCP_FL_ACK;

	if (fl & TCP_FL_RST) {
		if (syn || (fl & TCP_FL_FIN))
			return -1;
		s->state = TCSEG_TCP_CLOSE;
		*closed = 1;
		return 0;
	}
	if (syn && (fl & TCP_FL_FIN))
		return -1;

	switch (s->state) {
	case TCSEG_TCP_SYN_SENT:
		if (from_init)
			return syn && !ack ? 0 : -1;
		if (!(syn && ack))
			return -1;
		s->state = TCSEG_TCP_SYN_RECV;
		s->ack_init = p->seq;
		return 0;
	case TCSEG_TCP_SYN_RECV:
		if (syn)	/* retransmitted SYN or SYN-ACK */
			return (from_init == !ack) ? 0 : -1;
		if (!from_init || !ack)
			return -1;
		s->state = TCSEG_TCP_ESTABLISHED;
		break;
	case TCSEG_TCP_ESTABLISHED:
	case TCSEG_TCP_FIN_WAIT1:
	case TCSEG_TCP_FIN_WAIT2:
	case TCSEG_TCP_CLOSING:
	case TCSEG_TCP_LAST_ACK:
		/* a SYN-ACK retransmitted after the handshake is harmless */
		if (syn)
			return (!from_init && ack) ? 0 : -1;
		break;
	default:
		return -1;
	}
	tcp_track_close(s, p, from_lo, closed);
	return 0;
}

#endif
