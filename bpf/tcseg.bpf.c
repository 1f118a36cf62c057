// SPDX-License-Identifier: GPL-2.0
/*
 * tcseg data plane: the two TC entry points on the host side of a pod's
 * veth. tc ingress sees what the pod sends, tc egress what it receives.
 * Both run the same pipeline: parse, session hit or policy verdict,
 * counters, events. The logic lives in lib/; this file wires it together.
 */
#include "lib/common.h"
#include "lib/maps.h"
#include "lib/stats.h"
#include "lib/parse.h"
#include "lib/policy.h"
#include "lib/events.h"
#include "lib/session.h"
#include "lib/bind.h"
#include "lib/nd6.h"
#include "lib/sweep.h"
#include "lib/clock.h"

char LICENSE[] SEC("license") = "GPL";

/*
 * Per-CPU scratch space off the 512-byte BPF stack, which 16-byte
 * addresses left too small: the policy lookups' keys, a new session's
 * value and the packet tcseg_parse() fills in; and the CPU's clock
 * (lib/clock.h). A TC program runs to its end on its CPU with no other
 * TC program in between (bottom halves are off), so one entry per CPU
 * serves. Not pinned: nobody else reads it.
 */
struct scratch {
	struct policy_keys pk;
	struct tcseg_session s;
	struct pkt p;
	struct clock_cache clk;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch SEC(".maps");

static __always_inline struct scratch *scratch_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&scratch, &zero);
}

/*
 * The parse (IPv4, IPv6 with its extension headers, ARP), as a global
 * function: the verifier checks it once, on its own, instead of once for
 * every way through it times every way through the rest of the program,
 * which took Debian's 6.1 kernel past its limit of a million processed
 * instructions (docs/DATAPATH.md, "Verifier budget"). The packet comes
 * back in the caller's scratch entry (@sc), whose bytes the verifier
 * takes as unknown: what a global function writes into its caller's
 * stack is not tracked alike on every kernel.
 */
__noinline int tcseg_parse(struct __sk_buff *skb, struct scratch *sc)
{
	if (!skb || !sc)	/* cannot happen: fail closed */
		return PARSE_MALFORMED;
	__builtin_memset(&sc->p, 0, sizeof(sc->p));
	sc->p.len = skb->len;
	return parse_pkt(skb, &sc->p);
}

/* Everything one packet's handling needs, passed down by pointer. */
struct ctx {
	struct __sk_buff *skb;
	struct tcseg_config *cfg;
	struct tcseg_dev *dev;
	struct scratch *sc;	/* this CPU's scratch entry, looked up once */
	struct pkt *p;		/* &sc->p */
	__u64 now;
	__u32 ifindex;
	__u8 dir;
	__u8 dev_known;		/* dev looked up (it may be NULL) */
};

/*
 * The pod's settings, looked up on first use: a session hit that
 * changes no state never needs them (about 30 ns a packet saved).
 */
static __always_inline struct tcseg_dev *dev_of(struct ctx *c)
{
	if (!c->dev_known) {
		c->dev = bpf_map_lookup_elem(&tcseg_devs, &c->ifindex);
		c->dev_known = 1;
	}
	return c->dev;
}

static __always_inline int pass(struct ctx *c, __u32 slot)
{
	stat_pass(c->p->len);
	rule_stat_add(slot, c->p->len, c->now);
	return TCSEG_VERDICT_PASS;	/* the next program decides */
}

static __always_inline int drop(struct ctx *c, __u32 reason,
				const struct decision *d)
{
	stat_drop(reason, c->p->len);
	if (d)
		rule_stat_add(d->slot, c->p->len, c->now);
	if (c->cfg->flags & TCSEG_CFG_F_TRACE_DROPS)
		event_emit(c->cfg, TCSEG_EV_DROP, c->ifindex, c->dir, c->p, d,
			   reason, c->now);
	return TC_ACT_SHOT;
}

/* policy_decide() with this CPU's scratch keys. */
static __always_inline void decide(struct ctx *c, const struct flow *f,
				   struct decision *d)
{
	policy_decide(c->cfg, dev_of(c), c->ifindex, f, d, &c->sc->pk);
}

static __always_inline void flow_of_packet(struct flow *f, const struct pkt *p)
{
	f->saddr = &p->saddr;
	f->daddr = &p->daddr;
	f->sport = p->sport;
	f->dport = p->dport;
	f->proto = p->proto;
	f->family = p->family;
}

/*
 * A session could not be inserted (the LRU found no entry to evict: it
 * does not refuse for fullness, docs/DATAPATH.md "Session table"). Nothing
 * the policy denies passes. Flows allowed by an explicit rule pass
 * untracked (but encrypt flows, which need a session, fail closed); DNS
 * and ICMP pass untracked if allowed; the rest is shed.
 */
static __always_inline int degrade(struct ctx *c, const struct decision *d,
				   int audited)
{
	int by_rule = d->src == TCSEG_SRC_EXACT || d->src == TCSEG_SRC_CIDR;
	int infra = c->p->proto == IPPROTO_ICMP ||
		    c->p->proto == IPPROTO_ICMPV6 ||
		    ((c->p->proto == IPPROTO_UDP || c->p->proto == IPPROTO_TCP) &&
		     (c->p->dport == bpf_htons(53) || c->p->sport == bpf_htons(53)));

	if (!audited && d->action != TCSEG_ACT_ENCRYPT && (by_rule || infra)) {
		stat_add(TCSEG_STAT_UNTRACKED_PASSES, 1);
		return pass(c, d->slot);
	}
	stat_add(TCSEG_STAT_MAP_FULL_DROPS, 1);
	return drop(c, TCSEG_DROP_MAP_FULL, d);
}

static __always_inline void flow_events(struct ctx *c, const struct decision *d,
					int audited, int syn)
{
	if (audited)
		event_emit(c->cfg, TCSEG_EV_AUDIT, c->ifindex, c->dir, c->p, d,
			   drop_reason_of(d->src), c->now);
	else if (d->action == TCSEG_ACT_LOG)
		event_emit(c->cfg, TCSEG_EV_FLOW_LOG, c->ifindex, c->dir, c->p,
			   d, 0, c->now);
	else if (d->action == TCSEG_ACT_ENCRYPT && syn)
		event_emit(c->cfg, TCSEG_EV_FLOW_ENCRYPT, c->ifindex, c->dir,
			   c->p, d, 0, c->now);
}

/*
 * Encrypt is flagged for any protocol: a non-TCP session whose rule
 * turned into encrypt drops everything (unsecured_payload()).
 */
static __always_inline __u16 verdict_flags(const struct decision *d, int audited)
{
	__u16 f = 0;

	if (audited)
		f |= TCSEG_SESS_F_AUDIT;
	if (d->action == TCSEG_ACT_ENCRYPT)
		f |= TCSEG_SESS_F_ENCRYPT;
	return f;
}

/*
 * An encrypt flow carries no payload until the daemon has switched the
 * socket at this end to kTLS and said so in tcseg_secured. Handshake,
 * pure ACKs, FIN and RST pass, so the connection itself can form.
 */
static __always_inline int unsecured_payload(struct ctx *c,
					     struct tcseg_session_key *key,
					     struct tcseg_session *s)
{
	struct tcseg_secure *sec;

	if (!(s->flags & TCSEG_SESS_F_ENCRYPT) || (s->flags & TCSEG_SESS_F_SECURED))
		return 0;
	/* a live non-TCP session whose rule became encrypt: never secured */
	if (c->p->proto != IPPROTO_TCP)
		return 1;
	sec = bpf_map_lookup_elem(&tcseg_secured, key);
	/* a mark of an earlier connection on this tuple secures nothing */
	if (sec && sec->state == TCSEG_SECURE_OK &&
	    sec->session_ns == s->created_ns) {
		s->flags |= TCSEG_SESS_F_SECURED;
		return 0;
	}
	return c->p->payload_len > 0;
}

/*
 * The session a new flow starts with (TCP: window tracking from here).
 * Its id (created_ns) is what a kTLS mark names: an encrypt flow takes
 * the precise clock as always, the others a per-CPU id from the coarse
 * time (lib/clock.h), as unique and ~30-40 ns cheaper.
 */
static __always_inline void session_init(struct ctx *c, struct scratch *sc,
					 const struct decision *d, int audited,
					 int src_lo, int syn)
{
	struct tcseg_session *s = &sc->s;
	struct pkt *p = c->p;

	s->created_ns = d->action == TCSEG_ACT_ENCRYPT ?
				bpf_ktime_get_ns() :
				session_id(&sc->clk, c->now);
	s->packets = 1;
	s->bytes = p->len;
	s->last_seen_ns = c->now;
	s->policy_id = d->rule_id;
	s->policy_version = d->version;
	s->slot = d->slot;
	s->action = d->action;
	s->verdict_src = d->src;
	s->flags = verdict_flags(d, audited);
	if (!src_lo)
		s->flags |= TCSEG_SESS_F_INIT_HI;
	if (p->proto == IPPROTO_TCP) {
		s->state = syn ? TCSEG_TCP_SYN_SENT : TCSEG_TCP_ESTABLISHED;
		s->seq_init = p->seq;
		if (!syn)
			s->flags |= TCSEG_SESS_F_MIDSTREAM;
		tcp_window_update(s, p, src_lo);
	}
}

/* First packet of a flow on this device: verdict, then maybe a session. */
static __always_inline int new_flow(struct ctx *c,
				    struct tcseg_session_key *key, int src_lo)
{
	struct pkt *p = c->p;
	int tcp = p->proto == IPPROTO_TCP;
	int syn = tcp && (p->tcp_flags & (TCP_FL_SYN | TCP_FL_ACK)) == TCP_FL_SYN;
	int from_pod = c->dir == TCSEG_DIR_FROM_POD;
	struct scratch *sc = c->sc;
	struct tcseg_pressure *pr;
	struct tcseg_session *s;
	struct decision d;
	struct flow f;
	__u32 win = 0;
	int audited = 0, counted = 0, ret;

	s = &sc->s;
	__builtin_memset(s, 0, sizeof(*s));
	flow_of_packet(&f, p);
	decide(c, &f, &d);
	/* only TCP can be handed to kTLS: encrypt never lets the rest out */
	if (d.action == TCSEG_ACT_ENCRYPT && !tcp)
		return drop(c, TCSEG_DROP_UNSECURED, &d);
	if (d.action == TCSEG_ACT_DENY) {
		if (!audit_applies(c->cfg, dev_of(c), &d))
			return drop(c, drop_reason_of(d.src), &d);
		audited = 1;
		stat_add(TCSEG_STAT_AUDIT_PASSES, 1);
	}

	if (tcp && !syn) {
		/* no session for a lone RST/FIN: nothing left to track */
		if (p->tcp_flags & (TCP_FL_RST | TCP_FL_FIN)) {
			/* ...but data riding on it is never let out in clear */
			if (d.action == TCSEG_ACT_ENCRYPT && !audited &&
			    p->payload_len > 0)
				return drop(c, TCSEG_DROP_UNSECURED, &d);
			stat_add(TCSEG_STAT_UNTRACKED_PASSES, 1);
			return pass(c, d.slot);
		}
		/* mid-stream pickup (tcseg attached to a live flow) */
		if (c->cfg->flags & TCSEG_CFG_F_STRICT_TCP) {
			stat_add(TCSEG_STAT_INVALID_STATE_TRANS, 1);
			return drop(c, TCSEG_DROP_INVALID_STATE, &d);
		}
	}

	/* the pod pays for the flows it opens, nobody else's */
	if (from_pod && quota_exceeded(c->cfg, dev_of(c)))
		return drop(c, TCSEG_DROP_QUOTA, &d);
	if (syn && from_pod) {
		counted = syn_guard_admit(c->cfg, dev_of(c), c->now, &win);
		if (!counted) {
			stat_add(TCSEG_STAT_TCP_SYN_FLOODS, 1);
			return drop(c, TCSEG_DROP_SYN_FLOOD, &d);
		}
	}

	session_init(c, sc, &d, audited, src_lo, syn);
	s->flags |= pod_side_new(dev_of(c), c->dir, src_lo, p->family,
				 &p->daddr);
	if (counted == 2) {
		s->flags |= TCSEG_SESS_F_SYN_COUNTED;
		s->syn_window = win;
	}
	if (from_pod && dev_of(c))
		s->flags |= TCSEG_SESS_F_CHARGED;

	sweep_ensure(c->cfg);
	pr = pressure_get();
	pressure_level(c->cfg, pr);
	ret = bpf_map_update_elem(&tcseg_sessions, key, s, BPF_NOEXIST);
	if (ret && ret != -EEXIST) {
		if (pr)
			__sync_fetch_and_add(&pr->insertion_failures, 1);
		syn_guard_release(dev_of(c), s);
		return degrade(c, &d, audited);
	}
	if (!ret) {
		stat_add(TCSEG_STAT_NEW_SESSIONS, 1);
		if (pr)
			__sync_fetch_and_add(&pr->total_sessions, 1);
		if ((s->flags & TCSEG_SESS_F_CHARGED) && c->dev)
			__sync_fetch_and_add(&c->dev->sessions, 1);
	}
	/*
	 * A new connection on the tuple of an old one (a reused client
	 * port): the old one's kTLS mark does not secure it.
	 */
	if (syn && (s->flags & TCSEG_SESS_F_ENCRYPT))
		bpf_map_delete_elem(&tcseg_secured, key);
	flow_events(c, &d, audited, syn);
	/* data in a SYN (fast open) or a picked-up segment: not in clear */
	if ((s->flags & TCSEG_SESS_F_ENCRYPT) && p->payload_len > 0)
		return drop(c, TCSEG_DROP_UNSECURED, &d);
	return pass(c, d.slot);
}

/* A policy change since the session was made: decide again. */
static __always_inline void session_reevaluate(struct ctx *c,
					       struct tcseg_session *s,
					       int from_init)
{
	struct pkt *p = c->p;
	struct decision d;
	struct flow f;
	int audited = 0;

	flow_of_packet(&f, p);
	if (!from_init) {
		f.saddr = &p->daddr;
		f.daddr = &p->saddr;
		f.sport = p->dport;
		f.dport = p->sport;
	}
	decide(c, &f, &d);
	if (d.action == TCSEG_ACT_DENY && audit_applies(c->cfg, dev_of(c), &d))
		audited = 1;
	s->policy_id = d.rule_id;
	s->slot = d.slot;
	s->action = d.action;
	s->verdict_src = d.src;
	s->flags &= ~(TCSEG_SESS_F_AUDIT | TCSEG_SESS_F_ENCRYPT);
	s->flags |= verdict_flags(&d, audited);
	s->policy_version = d.version;
	stat_add(TCSEG_STAT_REEVALUATIONS, 1);
}

/* The verdict a session holds, for the counters of a drop. */
static __always_inline void session_decision(const struct tcseg_session *s,
					     struct decision *d)
{
	d->rule_id = s->policy_id;
	d->slot = s->slot;
	d->action = s->action;
	d->src = s->verdict_src;
	d->rule_flags = 0;
}

static __always_inline int session_hit(struct ctx *c,
				       struct tcseg_session_key *key,
				       struct tcseg_session *s, int src_lo)
{
	int from_init = src_lo == !(s->flags & TCSEG_SESS_F_INIT_HI);
	struct decision d;
	int closed = 0, ret;

	stat_add(TCSEG_STAT_SESSION_HITS, 1);
	if (s->policy_version != c->cfg->policy_version)
		session_reevaluate(c, s, from_init);

	if (c->p->proto == IPPROTO_TCP) {
		__u8 before = s->state;

		ret = tcp_track(s, c->p, from_init, src_lo, &closed);
		if (ret == -2) {
			/* blind RST: the session stays as it was */
			session_decision(s, &d);
			return drop(c, TCSEG_DROP_RST_WINDOW, &d);
		}
		if (ret) {
			stat_add(TCSEG_STAT_INVALID_STATE_TRANS, 1);
			if (c->cfg->flags & TCSEG_CFG_F_STRICT_TCP) {
				session_decision(s, &d);
				return drop(c, TCSEG_DROP_INVALID_STATE, &d);
			}
		}
		if (before != s->state && s->state >= TCSEG_TCP_ESTABLISHED)
			syn_guard_release(dev_of(c), s);
	}
	__sync_fetch_and_add(&s->packets, 1);
	__sync_fetch_and_add(&s->bytes, c->p->len);
	s->last_seen_ns = c->now;

	if (s->action == TCSEG_ACT_DENY && !(s->flags & TCSEG_SESS_F_AUDIT)) {
		session_decision(s, &d);
		if (closed)
			session_end(dev_of(c), key, s);
		return drop(c, drop_reason_of(d.src), &d);
	}
	if (s->flags & TCSEG_SESS_F_AUDIT)
		stat_add(TCSEG_STAT_AUDIT_PASSES, 1);
	if (unsecured_payload(c, key, s)) {
		session_decision(s, &d);
		return drop(c, TCSEG_DROP_UNSECURED, &d);
	}
	__u32 slot = s->slot;

	if (closed)
		session_end(dev_of(c), key, s);
	return pass(c, slot);
}

/*
 * ICMP errors carry the header of a packet of some flow. The error is
 * related to that flow (and passes; path MTU discovery depends on it)
 * only if it goes back to the quoted packet's sender, the flow is a
 * session of this veth that is not denied, the quoted packet crossed
 * this veth the other way (the pod's side of the session is its
 * destination for an error from the pod, its source for an error to the
 * pod), and the error is no longer than RFC 1812 4.3.2.3 (IPv4) or RFC
 * 4443 2.4 (c) (IPv6: the minimum MTU) allows. ICMPv6 errors (types 1-4)
 * go through the same checks. Anything
 * else is judged by policy as ICMP on its own, without a session, so an
 * allowed session cannot carry data to an address the policy denies
 * (docs/DATAPATH.md, "ICMP errors").
 */
#define ICMP_ERROR_MAX_LEN	576	/* IP bytes, RFC 1812 4.3.2.3 */
#define ICMPV6_ERROR_MAX_LEN	1280	/* IPv6 bytes, RFC 4443 2.4 (c) */

static __always_inline int icmp_related(struct ctx *c)
{
	struct tcseg_session_key key;
	struct tcseg_session *s;
	int q_src_lo;

	if (!tcseg_addr_eq(&c->p->daddr, &c->p->in_saddr) ||
	    c->p->len > ETH_HLEN + (c->p->family == TCSEG_FAMILY_V6 ?
					   ICMPV6_ERROR_MAX_LEN :
					   ICMP_ERROR_MAX_LEN))
		return 0;
	q_src_lo = tcseg_session_key_make(&key, c->ifindex, c->p->family,
					  &c->p->in_saddr, &c->p->in_daddr,
					  c->p->in_sport, c->p->in_dport,
					  c->p->in_proto);
	s = bpf_map_lookup_elem(&tcseg_sessions, &key);
	if (!s || (s->action == TCSEG_ACT_DENY && !(s->flags & TCSEG_SESS_F_AUDIT)))
		return 0;
	/* the pod's side: the quote's source to the pod, its destination from */
	return s->flags & pod_side_flag((c->dir == TCSEG_DIR_TO_POD) == q_src_lo);
}

static __always_inline int icmp_error(struct ctx *c)
{
	struct decision d;
	struct flow f;

	if (c->dir == TCSEG_DIR_FROM_POD &&
	    dev_addr_foreign(dev_of(c), c->p->family, &c->p->saddr))
		return drop(c, TCSEG_DROP_SPOOFED, NULL);
	if (icmp_related(c)) {
		stat_add(TCSEG_STAT_ICMP_RELATED, 1);
		return pass(c, 0);
	}
	stat_add(TCSEG_STAT_ICMP_UNRELATED, 1);
	flow_of_packet(&f, c->p);
	decide(c, &f, &d);
	if (d.action == TCSEG_ACT_ENCRYPT)
		return drop(c, TCSEG_DROP_UNSECURED, &d);
	if (d.action != TCSEG_ACT_DENY)
		return pass(c, d.slot);
	if (audit_applies(c->cfg, dev_of(c), &d)) {
		stat_add(TCSEG_STAT_AUDIT_PASSES, 1);
		return pass(c, d.slot);
	}
	return drop(c, drop_reason_of(d.src), &d);
}

/*
 * ARP from a bound pod must claim one of its addresses (docs/DATAPATH.md,
 * "Address binding"). A probe (sender 0.0.0.0, RFC 5227 duplicate
 * address detection) claims nothing and passes.
 */
static __always_inline int arp(struct ctx *c)
{
	struct tcseg_dev *dev;

	stat_add(TCSEG_STAT_NON_IPV4, 1);
	if (c->dir != TCSEG_DIR_FROM_POD)
		return pass(c, 0);
	dev = dev_of(c);
	if (!dev || !(dev->flags & TCSEG_DEV_F_BOUND))
		return pass(c, 0);
	if (parse_arp_sender(c->skb, &c->p->saddr.v4))
		return drop(c, TCSEG_DROP_MALFORMED, NULL);
	if (c->p->saddr.v4 && !dev_addr4_bound(dev, c->p->saddr.v4))
		return drop(c, TCSEG_DROP_SPOOFED, NULL);
	return pass(c, 0);
}

/*
 * Neighbour discovery and MLD (lib/nd6.h): link control, no policy, no
 * session. Only what a bound pod sends is checked (docs/DATAPATH.md,
 * "IPv6: link control").
 */
static __always_inline int link_control6(struct ctx *c)
{
	struct tcseg_dev *dev;

	if (c->dir != TCSEG_DIR_FROM_POD)
		return pass(c, 0);
	dev = dev_of(c);
	if (!dev || !(dev->flags & TCSEG_DEV_F_BOUND))
		return pass(c, 0);
	switch (nd_check(c->skb, c->p, dev)) {
	case ND_PASS:
		return pass(c, 0);
	case ND_SPOOFED:
		return drop(c, TCSEG_DROP_SPOOFED, NULL);
	case ND_ROUTER:
		return drop(c, TCSEG_DROP_ND_ROUTER, NULL);
	default:
		return drop(c, TCSEG_DROP_MALFORMED, NULL);
	}
}

static __always_inline int handle(struct __sk_buff *skb, __u8 dir)
{
	struct tcseg_session_key key;
	struct tcseg_session *s;
	struct scratch *sc;
	__u32 zero = 0;
	struct ctx c = {};
	int src_lo, parsed;

	c.cfg = bpf_map_lookup_elem(&tcseg_config, &zero);
	if (!c.cfg)
		return TC_ACT_OK;	/* cannot happen: one-entry array */
	sc = scratch_get();
	if (!sc)	/* cannot happen (one-entry array): fail closed */
		return TC_ACT_SHOT;
	c.skb = skb;
	c.dir = dir;
	c.ifindex = skb->ifindex;
	/* jiffies resolution is plenty for ages and SYN windows, and cheaper */
	c.sc = sc;
	c.now = clock_now(&sc->clk);
	stat_add(TCSEG_STAT_TOTAL_PACKETS, 1);
	stat_add(TCSEG_STAT_TOTAL_BYTES, skb->len);

	parsed = tcseg_parse(skb, sc);
	c.p = &sc->p;
	switch (parsed) {
	case PARSE_OK:
		break;
	case PARSE_ARP:
		return arp(&c);
	case PARSE_NON_IP:
		stat_add(TCSEG_STAT_NON_IPV4, 1);
		if (c.cfg->flags & TCSEG_CFG_F_DROP_NON_IP)
			return drop(&c, TCSEG_DROP_NON_IPV4, NULL);
		return pass(&c, 0);
	case PARSE_FRAG_UNKNOWN:
		return drop(&c, TCSEG_DROP_FRAGMENT, NULL);
	case PARSE_V4MAPPED:
		return drop(&c, TCSEG_DROP_V4MAPPED, NULL);
	case PARSE_IPV6_EXT:
		return drop(&c, TCSEG_DROP_IPV6_EXT, NULL);
	default:
		return drop(&c, TCSEG_DROP_MALFORMED, NULL);
	}

	if (c.p->icmp_error)
		return icmp_error(&c);
	if (nd_link_control(c.p))
		return link_control6(&c);

	src_lo = tcseg_session_key_make(&key, c.ifindex, c.p->family,
					&c.p->saddr, &c.p->daddr, c.p->sport,
					c.p->dport, c.p->proto);
	s = bpf_map_lookup_elem(&tcseg_sessions, &key);
	if (s) {
		/* one compare: the pod sends from its side of the session */
		if (pod_side_forged(s, dir, src_lo))
			return drop(&c, TCSEG_DROP_SPOOFED, NULL);
		/*
		 * An expired session is no session; a fresh SYN on a
		 * finished or stale tuple is a new connection.
		 */
		if (session_expired(c.cfg, s, c.p->proto, c.now)) {
			stat_add(TCSEG_STAT_SESSIONS_EXPIRED, 1);
			session_end(dev_of(&c), &key, s);
		} else if (c.p->proto == IPPROTO_TCP &&
			   (c.p->tcp_flags & (TCP_FL_SYN | TCP_FL_ACK)) ==
				   TCP_FL_SYN &&
			   s->state != TCSEG_TCP_SYN_SENT &&
			   s->state != TCSEG_TCP_SYN_RECV) {
			session_end(dev_of(&c), &key, s);
		} else {
			return session_hit(&c, &key, s, src_lo);
		}
	}
	if (dir == TCSEG_DIR_FROM_POD &&
	    dev_addr_foreign(dev_of(&c), c.p->family, &c.p->saddr))
		return drop(&c, TCSEG_DROP_SPOOFED, NULL);
	return new_flow(&c, &key, src_lo);
}

SEC("tc")
int tcseg_from_pod(struct __sk_buff *skb)
{
	return handle(skb, TCSEG_DIR_FROM_POD);
}

SEC("tc")
int tcseg_to_pod(struct __sk_buff *skb)
{
	return handle(skb, TCSEG_DIR_TO_POD);
}

/* Benchmark baseline: the cheapest possible TC program. */
SEC("tc")
int tcseg_empty(struct __sk_buff *skb)
{
	return TCSEG_VERDICT_PASS;
}
