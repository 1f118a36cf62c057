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

/*
 * Idle timeout of a session (docs/DATAPATH.md, "Session lifetime"): by
 * protocol, and for TCP by state; 0 in the config is the built-in default.
 */
static __always_inline __u64 session_timeout_ns(const struct tcseg_config *cfg,
						__u8 proto, __u8 state)
{
	__u32 t;

	if (proto == IPPROTO_TCP) {
		if (state == TCSEG_TCP_ESTABLISHED)
			t = cfg->to_tcp_est ?: TCSEG_DEF_TO_TCP_EST;
		else if (state <= TCSEG_TCP_SYN_RECV)
			t = cfg->to_tcp_syn ?: TCSEG_DEF_TO_TCP_SYN;
		else if (state == TCSEG_TCP_TIME_WAIT)
			t = cfg->to_tcp_tw ?: TCSEG_DEF_TO_TCP_TW;
		else
			t = cfg->to_tcp_fin ?: TCSEG_DEF_TO_TCP_FIN;
	} else if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) {
		t = cfg->to_icmp ?: TCSEG_DEF_TO_ICMP;
	} else {
		t = cfg->to_udp ?: TCSEG_DEF_TO_UDP;
	}
	return (__u64)t * NSEC_PER_SEC;
}

/* Signed: another CPU may have written a last_seen_ns a tick ahead. */
static __always_inline int session_expired(const struct tcseg_config *cfg,
					   const struct tcseg_session *s,
					   __u8 proto, __u64 now)
{
	return (__s64)(now - s->last_seen_ns) >
	       (__s64)session_timeout_ns(cfg, proto, s->state);
}

/* Sessions a pod may open (TCSEG_DROP_QUOTA beyond). */
static __always_inline __u32 session_quota(const struct tcseg_config *cfg)
{
	return cfg->session_quota ?: (cfg->session_max / TCSEG_QUOTA_DIV ?: 1);
}

static __always_inline int quota_exceeded(const struct tcseg_config *cfg,
					  const struct tcseg_dev *dev)
{
	return dev && dev->sessions >= session_quota(cfg);
}

/* A session's kTLS mark goes with it (docs/SECURITY.md, "Marks"). */
static __always_inline void session_forget_mark(struct tcseg_session_key *k)
{
	if (k->proto == IPPROTO_TCP)
		bpf_map_delete_elem(&tcseg_secured, k);
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

/*
 * A session ends (closed, expired or replaced): give back its half-open
 * and quota counts, its kTLS mark and its room in the table. @dev is the
 * device of @k (the quota is only ever charged there).
 */
static __always_inline void session_end(struct tcseg_dev *dev,
					struct tcseg_session_key *k,
					struct tcseg_session *s)
{
	__u16 f = s->flags;
	struct tcseg_pressure *pr;

	syn_guard_release(dev, s);
	session_forget_mark(k);
	if (bpf_map_delete_elem(&tcseg_sessions, k))
		return;		/* another CPU ended it first */
	stat_add(TCSEG_STAT_SESSIONS_CLOSED, 1);
	pr = pressure_get();
	if (pr && pr->total_sessions)
		__sync_fetch_and_sub(&pr->total_sessions, 1);
	if ((f & TCSEG_SESS_F_CHARGED) && dev && dev->sessions)
		__sync_fetch_and_add(&dev->sessions, -1);
}

static __always_inline int seq_after_eq(__u32 a, __u32 b)
{
	return (__s32)(a - b) >= 0;
}

/* Close handshake: FINs and their ACKs in both directions. */
static __always_inline void tcp_track_close(struct tcseg_session *s,
					    const struct pkt *p, int from_lo)
{
	__u16 f = s->flags;
	__u8 fl = p->tcp_flags;
	int lo_acked, hi_acked, closer_acked;

	/* no FIN yet, none now: nothing below would change (most segments) */
	if (!(fl & TCP_FL_FIN) &&
	    !(f & (TCSEG_SESS_F_FIN_LO | TCSEG_SESS_F_FIN_HI)))
		return;
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
 * Window tracking (docs/DATAPATH.md, "TCP tracking"): per endpoint, the
 * highest sequence number it reached and the largest window it offered.
 * An endpoint whose segments we have not seen yet is learnt from the
 * ACKs of the other one (a flow picked up mid-stream).
 */
#define TCP_END_KNOWN(i)	(1u << (i))

static __always_inline void tcp_window_update(struct tcseg_session *s,
					      const struct pkt *p, int from_lo)
{
	__u32 x = from_lo ? 0 : 1, y, end;
	__u8 fl = p->tcp_flags;

	/* the verifier refuses the "|" clang makes of a 0/1 index */
	barrier_var(x);
	y = x ^ 1;
	end = p->seq + p->payload_len + !!(fl & TCP_FL_SYN) +
	      !!(fl & TCP_FL_FIN);
	if (!(s->end_known & TCP_END_KNOWN(x)) || seq_after_eq(end, s->end[x]))
		s->end[x] = end;
	if ((fl & TCP_FL_ACK) && !(s->end_known & TCP_END_KNOWN(y))) {
		s->end[y] = p->ack_seq;
		s->end_known |= TCP_END_KNOWN(y);
	}
	s->end_known |= TCP_END_KNOWN(x);
	if (p->window > s->maxwin[x])
		s->maxwin[x] = p->window;
}

/*
 * RFC 5961 §3 from the middle: a RST from X counts only if its sequence
 * number can be in the receiver Y's window, i.e. within Y's largest
 * window (scaled by TCSEG_RST_WSCALE) around the point X has reached. Before anything of X was seen
 * (refused connection) the RST must acknowledge exactly what Y sent
 * (RFC 9293 §3.10.7.3).
 */
static __always_inline int tcp_rst_in_window(const struct tcseg_session *s,
					     const struct pkt *p, int from_lo)
{
	__u32 x = from_lo ? 0 : 1, y, w;

	barrier_var(x);
	y = x ^ 1;

	if (!(s->end_known & TCP_END_KNOWN(x)))
		return (p->tcp_flags & TCP_FL_ACK) && p->ack_seq == s->end[y];
	w = (s->maxwin[y] << TCSEG_RST_WSCALE) ?: 1;
	return (__u64)(__u32)(p->seq - (s->end[x] - w)) <= 2 * (__u64)w;
}

/* Handshake states; returns 0 (valid), -1 (invalid), 1 (go on to close). */
static __always_inline int tcp_track_open(struct tcseg_session *s,
					  const struct pkt *p, int from_init)
{
	__u8 fl = p->tcp_flags;
	int syn = fl & TCP_FL_SYN, ack = fl & TCP_FL_ACK;
	int simopen = s->flags & TCSEG_SESS_F_SIMOPEN;

	if (s->state == TCSEG_TCP_SYN_SENT) {
		if (from_init)
			return syn && !ack ? 0 : -1;
		if (!syn)
			return -1;
		/* SYN-ACK, or the peer's own SYN crossing ours (RFC 9293 §3.5) */
		if (!ack)
			s->flags |= TCSEG_SESS_F_SIMOPEN;
		s->state = TCSEG_TCP_SYN_RECV;
		s->ack_init = p->seq;
		return 0;
	}
	/* SYN_RECV */
	if (syn)	/* retransmitted SYN or SYN-ACK; both ends' in sim-open */
		return (simopen || from_init == !ack) ? 0 : -1;
	if (!ack || (!from_init && !simopen))
		return -1;
	s->state = TCSEG_TCP_ESTABLISHED;
	return 1;
}

/*
 * One TCP segment of a tracked connection. Returns 0 for a valid
 * transition (or none), -1 for an invalid one (state left unchanged),
 * -2 for a RST outside the window (session left alone, to be dropped).
 * *closed is set when a RST ended the connection and its session must
 * go; a close by FINs leaves it in TIME_WAIT until its timeout.
 */
static __always_inline int tcp_track(struct tcseg_session *s,
				     const struct pkt *p, int from_init,
				     int from_lo, int *closed)
{
	__u8 fl = p->tcp_flags;
	int syn = fl & TCP_FL_SYN, ack = fl & TCP_FL_ACK, ret;

	if (fl & TCP_FL_RST) {
		if (syn || (fl & TCP_FL_FIN))
			return -1;
		if (!tcp_rst_in_window(s, p, from_lo))
			return -2;
		s->state = TCSEG_TCP_CLOSE;
		*closed = 1;
		return 0;
	}
	if (syn && (fl & TCP_FL_FIN))
		return -1;

	switch (s->state) {
	case TCSEG_TCP_SYN_SENT:
	case TCSEG_TCP_SYN_RECV:
		ret = tcp_track_open(s, p, from_init);
		if (ret <= 0) {
			if (!ret)
				tcp_window_update(s, p, from_lo);
			return ret;
		}
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
	case TCSEG_TCP_TIME_WAIT:
		/* retransmitted FIN or last ACK: let it reach its end */
		return syn ? -1 : 0;
	default:
		return -1;
	}
	tcp_window_update(s, p, from_lo);
	tcp_track_close(s, p, from_lo);
	return 0;
}

#endif
