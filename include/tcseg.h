/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcseg data-plane ABI: every map key, map value, counter index and event
 * record shared by the BPF programs (bpf/) and user space (ctl/, tests/).
 * One definition of each struct; nothing here is redefined elsewhere.
 *
 * Addresses: every key and record that holds addresses holds them as a
 * 16-byte union tcseg_addr (network order) beside a @family (4 or 6); an
 * IPv4 address sits in the first word with the other 12 bytes zero, so an
 * IPv4 address never equals an IPv6 one. A v4-mapped IPv6 address
 * (::ffff:a.b.c.d) is never stored (docs/DATAPATH.md).
 * Ports are network order in session and exact-policy keys (they are
 * copied straight from the packet) and host order in struct tcseg_rule
 * (the human-facing rule as tcctl stores it).
 */
#ifndef TCSEG_H
#define TCSEG_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Names of the objects pinned under the pin directory. */
#define TCSEG_PIN_DIR_DEFAULT	"/sys/fs/bpf/tcseg"
#define TCSEG_PIN_ENV		"TCSEG_PIN_DIR"

/* Default map sizes; every one can be changed at load time. */
#define TCSEG_DEF_SESSIONS	262144
#define TCSEG_DEF_EXACT_RULES	131072
#define TCSEG_DEF_CIDR_RULES	16384
#define TCSEG_DEF_CIDR_ENTRIES	65536
#define TCSEG_DEF_SRC_CLASSES	16384
#define TCSEG_DEF_DEVS		1024
#define TCSEG_DEF_FRAGS		8192
#define TCSEG_DEF_RINGBUF	(256 * 1024)
#define TCSEG_DEF_SECURED	65536

/*
 * The programs' return value (docs/DATAPATH.md §Chaining): a packet
 * tcseg lets through goes on to the next tcx program or clsact filter
 * (TC_ACT_UNSPEC = TCX_NEXT; the last one's verdict decides, none = pass),
 * a dropped one stops at tcseg (TC_ACT_SHOT).
 */
#define TCSEG_VERDICT_PASS	(-1)
#define TCSEG_VERDICT_DROP	2

/* Policy actions (struct tcseg_rule.action, tcseg_verdict.action). */
enum tcseg_action {
	TCSEG_ACT_ALLOW = 0,
	TCSEG_ACT_DENY = 1,
	TCSEG_ACT_LOG = 2,	/* allow + event */
	TCSEG_ACT_ENCRYPT = 3,	/* allow + event for the daemon (kTLS) */
	TCSEG_ACT_MAX,
	TCSEG_ACT_UNSET = 0xff,	/* per-pod default: use the global one */
};

/* Where a verdict came from, in lookup order (tcseg_session.verdict_src). */
enum tcseg_verdict_src {
	TCSEG_SRC_EXACT = 0,
	TCSEG_SRC_CIDR = 1,
	TCSEG_SRC_POD_DEFAULT = 2,
	TCSEG_SRC_GLOBAL_DEFAULT = 3,
	TCSEG_SRC_MAX,
};

/* Rule flags (tcseg_rule.flags, tcseg_verdict.flags). */
#define TCSEG_RULE_F_AUDIT	0x01	/* a deny by this rule only logs */

/*
 * Protocol keys used in CIDR entries. Rules with proto "any" are expanded
 * into one entry per key; packets of any other IP protocol use OTHER.
 */
#define TCSEG_PROTO_KEY_OTHER	0xff

/* Address families (the IP version) in keys, records and rules. */
#define TCSEG_FAMILY_V4		4
#define TCSEG_FAMILY_V6		6

/*
 * An IPv4 or IPv6 address, network order; IPv4: w[1..3] are zero.
 * Initialise an IPv4 one as { .w = { addr } }: "{ .v4 = addr }" leaves
 * the other twelve bytes unspecified (C11 6.2.6.1p7), and clang's BPF
 * back end does leave them as stack garbage.
 */
union tcseg_addr {
	__be32 v4;
	__be32 w[4];
	__u8 b[16];
};

/* Order of two addresses: word by word over w[0..3]. */
static inline int tcseg_addr_cmp(const union tcseg_addr *a,
				 const union tcseg_addr *b)
{
	int i;

	for (i = 0; i < 4; i++) {
		if (a->w[i] != b->w[i])
			return a->w[i] < b->w[i] ? -1 : 1;
	}
	return 0;
}

static inline int tcseg_addr_eq(const union tcseg_addr *a,
				const union tcseg_addr *b)
{
	return ((a->w[0] ^ b->w[0]) | (a->w[1] ^ b->w[1]) |
		(a->w[2] ^ b->w[2]) | (a->w[3] ^ b->w[3])) == 0;
}

/*
 * Exact 5-tuple policy (BPF_MAP_TYPE_HASH "tcseg_exact").
 * ifindex 0 = rule applies at every attached device.
 */
struct tcseg_exact_key {
	__u32 ifindex;
	union tcseg_addr saddr;
	union tcseg_addr daddr;
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 family;		/* TCSEG_FAMILY_V4 or _V6 */
	__u8 pad[2];
};

/*
 * Value of an exact or CIDR policy entry. @spec orders CIDR candidates:
 * the entry with the larger spec wins (see tcseg_rule_spec()).
 */
struct tcseg_verdict {
	__u32 rule_id;
	__u32 slot;		/* index into tcseg_rule_stats */
	__u32 spec;
	__u8 action;
	__u8 flags;
	__u8 pad[2];
};

/*
 * Stage 1 of the CIDR lookup (BPF_MAP_TYPE_LPM_TRIE "tcseg_src_class"):
 * the packet's source address finds the longest source prefix used by any
 * rule. Its value is that prefix; stage 2 is keyed by it.
 */
struct tcseg_src_key {
	__u32 prefixlen;	/* TCSEG_SRC_FIXED_BITS + source plen */
	__u8 family;
	__u8 pad[3];
	union tcseg_addr saddr;
};

#define TCSEG_SRC_FIXED_BITS	32	/* family + pad */

struct tcseg_src_class {
	union tcseg_addr net;
	__u8 plen;		/* 0..32 or 0..128 */
	__u8 pad[3];
};

/*
 * Stage 2 (BPF_MAP_TYPE_LPM_TRIE "tcseg_cidr"): every field but daddr is
 * matched exactly (prefixlen = TCSEG_CIDR_FIXED_BITS + dst prefix length).
 * A source class holds the rules of its own prefix and of every shorter
 * source prefix that contains it (tcctl replicates them when it compiles).
 * dport 0 = rule without a destination port; a packet looks up its own
 * dport, then 0, and keeps the more specific result.
 */
struct tcseg_cidr_key {
	__u32 prefixlen;
	__u8 family;
	__u8 src_plen;
	__u8 proto;		/* IPPROTO_* or TCSEG_PROTO_KEY_OTHER */
	__u8 pad;
	__be16 dport;
	__u16 pad2;
	__u32 ifindex;		/* 0 = any device */
	union tcseg_addr src_net;
	union tcseg_addr daddr;
};

#define TCSEG_CIDR_FIXED_BITS	(8 * (1 + 1 + 1 + 1 + 2 + 2 + 4 + 16))

/*
 * The rule as written by people (BPF_MAP_TYPE_HASH "tcseg_rules", keyed by
 * id). The data path never reads it: tcctl keeps it to list rules and to
 * compile the exact and CIDR maps.
 */
struct tcseg_rule {
	__u32 id;
	__u32 ifindex;		/* 0 = any */
	union tcseg_addr saddr;
	union tcseg_addr daddr;
	__u8 src_plen;		/* 0..32 / 0..128; 0 = any */
	__u8 dst_plen;
	__u8 proto;		/* 0 = any, else IPPROTO_TCP/UDP/ICMP/ICMPV6 */
	__u8 action;
	__u16 sport;		/* host order, 0 = any */
	__u16 dport;		/* host order, 0 = any */
	__u8 flags;
	__u8 family;		/* 4, 6, or 0 = both (no address given) */
	__u16 dport_max;	/* host order; 0 = just dport (port ranges) */
	__u32 slot;		/* per-rule counters index, assigned by tcctl */
};

/*
 * Per-rule hit counters (BPF_MAP_TYPE_PERCPU_ARRAY "tcseg_rule_stats").
 * @last_ns: bpf_ktime_get_coarse_ns() of the CPU's last hit (0 = never);
 * user space takes the largest over CPUs (tcctl policy list).
 */
struct tcseg_rule_counter {
	__u64 packets;
	__u64 bytes;
	__u64 last_ns;
};

/*
 * Session key: the 5-tuple normalised so both directions of a flow map to
 * one entry (the lower (addr, port) endpoint first), scoped to the device
 * that saw it: each pod's veth keeps its own view of a flow, so each pod's
 * default and audit settings apply to it.
 */
struct tcseg_session_key {
	__u32 ifindex;
	union tcseg_addr addr_lo;
	union tcseg_addr addr_hi;
	__be16 port_lo;
	__be16 port_hi;
	__u8 proto;
	__u8 family;
	__u8 pad[2];
};

/*
 * Fill @k for a packet src -> dst seen on @ifindex. Returns 1 when the
 * source is the "lo" endpoint (addresses by tcseg_addr_cmp(), then
 * ports). Used by the data path and by user space (tests, tcctl) so both
 * agree on the normal form.
 */
static inline int tcseg_session_key_make(struct tcseg_session_key *k,
					 __u32 ifindex, __u8 family,
					 const union tcseg_addr *saddr,
					 const union tcseg_addr *daddr,
					 __be16 sport, __be16 dport,
					 __u8 proto)
{
	int c = tcseg_addr_cmp(saddr, daddr);
	int src_lo = c < 0 || (c == 0 && sport <= dport);

	k->ifindex = ifindex;
	k->addr_lo = *(src_lo ? saddr : daddr);
	k->addr_hi = *(src_lo ? daddr : saddr);
	k->port_lo = src_lo ? sport : dport;
	k->port_hi = src_lo ? dport : sport;
	k->proto = proto;
	k->family = family;
	k->pad[0] = 0;
	k->pad[1] = 0;
	return src_lo;
}

/* TCP states (RFC 793 names, tracked for the connection as a whole). */
enum tcseg_tcp_state {
	TCSEG_TCP_NONE = 0,
	TCSEG_TCP_SYN_SENT,
	TCSEG_TCP_SYN_RECV,
	TCSEG_TCP_ESTABLISHED,
	TCSEG_TCP_FIN_WAIT1,
	TCSEG_TCP_FIN_WAIT2,
	TCSEG_TCP_TIME_WAIT,
	TCSEG_TCP_CLOSE,
	TCSEG_TCP_CLOSE_WAIT,
	TCSEG_TCP_LAST_ACK,
	TCSEG_TCP_CLOSING,
	TCSEG_TCP_MAX,
};

/* Session flags. */
#define TCSEG_SESS_F_INIT_HI	0x0001	/* initiator is the "hi" endpoint */
#define TCSEG_SESS_F_AUDIT	0x0002	/* verdict was deny, passed by audit */
#define TCSEG_SESS_F_ENCRYPT	0x0004	/* encrypt flow */
#define TCSEG_SESS_F_SECURED	0x0008	/* daemon finished kTLS set-up */
#define TCSEG_SESS_F_MIDSTREAM	0x0010	/* picked up without a SYN */
#define TCSEG_SESS_F_SYN_COUNTED 0x0020	/* counted as half-open */
#define TCSEG_SESS_F_FIN_LO	0x0040	/* FIN seen from the lo endpoint */
#define TCSEG_SESS_F_FIN_HI	0x0080	/* FIN seen from the hi endpoint */
#define TCSEG_SESS_F_FINACK_LO	0x0100	/* the lo endpoint's FIN was acked */
#define TCSEG_SESS_F_FINACK_HI	0x0200	/* the hi endpoint's FIN was acked */
#define TCSEG_SESS_F_CLOSER_HI	0x0400	/* the hi endpoint sent the first FIN */
#define TCSEG_SESS_F_SIMOPEN	0x2000	/* SYN crossed SYN (simultaneous open) */
#define TCSEG_SESS_F_CHARGED	0x1000	/* counted in the pod's session quota */

/*
 * Window scale assumed for every endpoint: the SYN options are not parsed,
 * so a window is taken as raw << 7, Linux's scale for its usual buffers
 * (docs/DATAPATH.md, "TCP tracking", says what this bounds).
 */
#define TCSEG_RST_WSCALE	7

/*
 * The endpoint a packet from the pod may come from (set when the session
 * is made; none for a packet flooded to a bound pod for another address).
 * POD_HI must stay POD_LO << 1 (bpf/lib/bind.h).
 */
#define TCSEG_SESS_F_POD_LO	0x4000
#define TCSEG_SESS_F_POD_HI	0x8000

/* Session value (BPF_MAP_TYPE_LRU_HASH "tcseg_sessions"), docs/DATAPATH.md "Session lifetime". */
struct tcseg_session {
	__u64 created_ns;	/* doubles as session id */
	__u64 packets;
	__u64 bytes;
	__u64 last_seen_ns;
	__u32 policy_id;	/* 0 = a default decided */
	__u32 policy_version;
	__u32 slot;
	__u32 seq_init;
	__u32 ack_init;
	__u16 flags;
	__u8 action;		/* cached enum tcseg_action */
	__u8 state;		/* enum tcseg_tcp_state */
	__u8 verdict_src;	/* enum tcseg_verdict_src */
	__u8 pad[3];
	__u32 fin_ack_lo;	/* ack number that acknowledges lo's FIN */
	__u32 fin_ack_hi;	/* ack number that acknowledges hi's FIN */
	__u32 syn_window;	/* SYN-guard window the flow was counted in */
	__u32 pad2;
	/*
	 * TCP window tracking, per endpoint ([0] = lo, [1] = hi) for the
	 * RST check of RFC 5961 §3 (docs/DATAPATH.md, "TCP tracking").
	 */
	__u32 end[2];		/* highest seq + len (+SYN/FIN) it sent */
	__u32 maxwin[2];	/* largest raw window it advertised */
	__u8 end_known;		/* bit i: end[i] is known */
	__u8 pad3[7];
};

/*
 * kTLS hand-off (BPF_MAP_TYPE_LRU_HASH "tcseg_secured", keyed like the
 * sessions). Until the daemon writes TCSEG_SECURE_OK here for a session of
 * an encrypt flow, the data path drops every payload-bearing segment of
 * it (drop reason "unsecured"): no plaintext byte of an encrypt flow
 * leaves a veth. The daemon never writes the session itself, so it never
 * races the data path's own updates of it.
 */
#define TCSEG_SECURE_OK		1	/* kTLS on at this end: payload may pass */
#define TCSEG_SECURE_FAILED	2	/* hand-off failed: keep dropping */

struct tcseg_secure {
	__u64 ts_ns;
	__u32 state;			/* TCSEG_SECURE_* */
	__u32 pad;
	/*
	 * created_ns of the session this mark secures: a mark left on the
	 * tuple by an earlier connection secures nothing (docs/SECURITY.md).
	 */
	__u64 session_ns;
};

/* Global configuration (BPF_MAP_TYPE_ARRAY "tcseg_config", one entry). */
#define TCSEG_CFG_F_STRICT_TCP	0x01	/* drop invalid TCP transitions */
#define TCSEG_CFG_F_DROP_NON_IP	0x02	/* drop what is not IPv4, IPv6, ARP */
#define TCSEG_CFG_F_AUDIT	0x04	/* audit mode for every pod */
#define TCSEG_CFG_F_TRACE_DROPS	0x08	/* emit an event for every drop */
/* tcctl only (ctl/dataplane/policy_store.c): a policy commit began, has not flipped */
#define TCSEG_CFG_F_POLICY_DIRTY	0x10
/* tcctl only: both policy map sets hold the live rules */
#define TCSEG_CFG_F_POLICY_SAME	0x20

struct tcseg_config {
	__u32 policy_version;
	__u8 default_action;	/* TCSEG_ACT_ALLOW or TCSEG_ACT_DENY */
	__u8 flags;
	__u16 policy_set;	/* live policy map set, 0 or 1 (DATAPATH.md) */
	__u32 dev_rules;	/* rules with a device; 0 skips those lookups */
	__u32 session_max;	/* max_entries of tcseg_sessions */
	__u32 syn_limit;	/* half-open sessions per pod per window pair */
	__u32 syn_window_ms;
	__u32 event_rate;	/* events per second per CPU, 0 = no limit */
	__u32 event_burst;
	/*
	 * Session lifetime (docs/DATAPATH.md, "Session lifetime"): idle
	 * timeouts in seconds (0 = the TCSEG_DEF_TO_* default), the number
	 * of sessions a pod may open (0 = session_max / TCSEG_QUOTA_DIV) and
	 * the period of the in-kernel sweep that reclaims expired sessions.
	 */
	__u32 to_tcp_syn;	/* SYN_SENT, SYN_RECV */
	__u32 to_tcp_est;	/* ESTABLISHED */
	__u32 to_tcp_fin;	/* FIN_WAIT1/2, CLOSING, LAST_ACK, CLOSE_WAIT */
	__u32 to_tcp_tw;	/* TIME_WAIT */
	__u32 to_udp;		/* UDP and protocols without ports */
	__u32 to_icmp;
	__u32 session_quota;
	__u32 sweep_s;
};

#define TCSEG_DEF_SYN_LIMIT	1024
#define TCSEG_DEF_SYN_WINDOW_MS	1000
#define TCSEG_DEF_EVENT_RATE	10000
#define TCSEG_DEF_EVENT_BURST	1000
#define TCSEG_DEF_TO_TCP_SYN	60
#define TCSEG_DEF_TO_TCP_EST	21600	/* 6 h, Cilium's; see docs/DATAPATH.md */
#define TCSEG_DEF_TO_TCP_FIN	30
#define TCSEG_DEF_TO_TCP_TW	30
#define TCSEG_DEF_TO_UDP	60
#define TCSEG_DEF_TO_ICMP	30
#define TCSEG_DEF_SWEEP_S	5
#define TCSEG_QUOTA_DIV		8	/* default quota: session_max / 8 */
#define TCSEG_MAX_TIMEOUT	(366 * 86400)
#define TCSEG_MAX_SWEEP_S	3600

/* The lifetime settings a fresh data plane starts with. */
static inline void tcseg_config_lifetime_default(struct tcseg_config *c)
{
	c->to_tcp_syn = TCSEG_DEF_TO_TCP_SYN;
	c->to_tcp_est = TCSEG_DEF_TO_TCP_EST;
	c->to_tcp_fin = TCSEG_DEF_TO_TCP_FIN;
	c->to_tcp_tw = TCSEG_DEF_TO_TCP_TW;
	c->to_udp = TCSEG_DEF_TO_UDP;
	c->to_icmp = TCSEG_DEF_TO_ICMP;
	c->session_quota = c->session_max / TCSEG_QUOTA_DIV ?: 1;
	c->sweep_s = TCSEG_DEF_SWEEP_S;
}

/* Attached device = pod (BPF_MAP_TYPE_HASH "tcseg_devs", by ifindex). */
#define TCSEG_DEV_F_AUDIT	0x01
#define TCSEG_DEV_F_TCX		0x02	/* attached with tcx links */
#define TCSEG_DEV_F_BOUND	0x04	/* addrs4[] is the pod's source set */

/*
 * Addresses bound to a pod's veth (tcctl attach DEV addr A[,B...]): with
 * TCSEG_DEV_F_BOUND set, a packet from the pod whose source is not one of
 * them, or ARP whose sender is not, is dropped (TCSEG_DROP_SPOOFED).
 * Unbound devices are not checked (docs/SECURITY.md states the risk).
 */
#define TCSEG_DEV_MAX_ADDRS4	8
#define TCSEG_DEV_MAX_ADDRS6	8

struct tcseg_dev {
	__u8 default_action;	/* TCSEG_ACT_ALLOW/DENY or TCSEG_ACT_UNSET */
	__u8 flags;
	__u8 n_addrs4;		/* used entries of addrs4 */
	__u8 pad;
	__u32 syn_window;	/* index of the current SYN window */
	__u64 syn_count[2];	/* half-open sessions opened per window */
	__u64 attached_ns;
	char name[16];
	__be32 addrs4[TCSEG_DEV_MAX_ADDRS4];
	/*
	 * Sessions the pod opened (first packet from the pod) that live on
	 * its veth: the quota's count. The data path adds and removes; the
	 * sweep recounts into @sessions_sweep and writes the truth back, so
	 * silent LRU evictions do not leave the count high for long.
	 */
	__u32 sessions;
	__u32 sessions_sweep;
	/* IPv6 addresses bound to the pod (with TCSEG_DEV_F_BOUND) */
	__u8 n_addrs6;		/* used entries of addrs6 */
	__u8 pad6[3];
	union tcseg_addr addrs6[TCSEG_DEV_MAX_ADDRS6];
};

/*
 * Map pressure (BPF_MAP_TYPE_ARRAY "tcseg_pressure", one entry),
 * docs/DATAPATH.md "Pressure and SYN floods". total_sessions is kept by the data path (insert +1, delete -1);
 * LRU evictions are invisible to it, so tcctl recounts the map and writes
 * the true figure back, and the difference is reported as evictions.
 */
enum tcseg_pressure_level {
	TCSEG_PRESSURE_NORMAL = 0,	/* < 70% */
	TCSEG_PRESSURE_WARNING = 1,	/* 70-90% */
	TCSEG_PRESSURE_CRITICAL = 2,	/* >= 90%: map-full degradation */
};

struct tcseg_pressure {
	__u64 total_sessions;
	__u64 evictions;
	__u64 insertion_failures;
	__u64 last_check_ns;
	__u32 pressure_level;
	__u32 syn_sent_count;
};

/* Fragment tracking (BPF_MAP_TYPE_LRU_HASH "tcseg_frags"). */
struct tcseg_frag_key {
	union tcseg_addr saddr;
	union tcseg_addr daddr;
	__be32 id;		/* IPv4: the 16-bit id zero-extended;
				 * IPv6: the fragment header's id */
	__u8 proto;
	__u8 family;
	__u8 pad[2];
};

struct tcseg_frag_ports {
	__be16 sport;
	__be16 dport;
};

/* Per-CPU counters (BPF_MAP_TYPE_PERCPU_ARRAY "tcseg_stats"). */
enum tcseg_stat {
	TCSEG_STAT_TOTAL_PACKETS = 0,
	TCSEG_STAT_ALLOWED_PACKETS,
	TCSEG_STAT_DENIED_PACKETS,
	TCSEG_STAT_TOTAL_BYTES,
	TCSEG_STAT_ALLOWED_BYTES,
	TCSEG_STAT_DENIED_BYTES,
	TCSEG_STAT_NEW_SESSIONS,
	TCSEG_STAT_POLICY_LOOKUPS,
	TCSEG_STAT_SESSION_HITS,
	TCSEG_STAT_MAP_FULL_DROPS,
	TCSEG_STAT_LRU_EVICTIONS,	/* written by tcctl's recount */
	TCSEG_STAT_TCP_SYN_FLOODS,
	TCSEG_STAT_INVALID_STATE_TRANS,
	/* beyond the original list */
	TCSEG_STAT_AUDIT_PASSES,
	TCSEG_STAT_UNTRACKED_PASSES,
	TCSEG_STAT_NON_IPV4,
	TCSEG_STAT_SESSIONS_CLOSED,
	TCSEG_STAT_REEVALUATIONS,
	TCSEG_STAT_EVENTS_SENT,
	TCSEG_STAT_EVENTS_DROPPED,
	TCSEG_STAT_FRAGMENTS,
	TCSEG_STAT_ICMP_RELATED,
	TCSEG_STAT_ICMP_UNRELATED,	/* ICMP errors judged by policy */
	TCSEG_STAT_SESSIONS_EXPIRED,	/* idle past their timeout, reclaimed */
	/* drops by reason: one counter each, in enum tcseg_drop order */
	TCSEG_STAT_DROP_BASE,
	TCSEG_STAT_MAX = TCSEG_STAT_DROP_BASE + 24,
};

/* Drop reasons; every dropped packet counts one of these. */
enum tcseg_drop {
	TCSEG_DROP_POLICY = 0,		/* a deny rule */
	TCSEG_DROP_POD_DEFAULT,		/* the pod's default is deny */
	TCSEG_DROP_GLOBAL_DEFAULT,	/* the global default is deny */
	TCSEG_DROP_MALFORMED,		/* truncated or invalid headers */
	TCSEG_DROP_SYN_FLOOD,		/* half-open cap reached */
	TCSEG_DROP_MAP_FULL,		/* session map critical, not allow-listed */
	TCSEG_DROP_INVALID_STATE,	/* strict TCP mode */
	TCSEG_DROP_FRAGMENT,		/* later fragment with no first fragment */
	TCSEG_DROP_NON_IPV4,		/* not IP nor ARP, drop-non-ip set */
	TCSEG_DROP_UNSECURED,		/* payload of an unsecured encrypt flow */
	TCSEG_DROP_SPOOFED,		/* source not bound to the pod's veth */
	TCSEG_DROP_QUOTA,		/* the pod's session quota is used up */
	TCSEG_DROP_RST_WINDOW,		/* RST outside the window (RFC 5961) */
	TCSEG_DROP_IPV6_EXT,		/* IPv6 extension headers not walkable */
	TCSEG_DROP_V4MAPPED,		/* IPv6 with a v4-mapped address */
	TCSEG_DROP_ND_ROUTER,		/* RA, redirect or MLD query from a pod */
	TCSEG_DROP_MAX,
};

_Static_assert(TCSEG_DROP_MAX <= TCSEG_STAT_MAX - TCSEG_STAT_DROP_BASE,
	       "every drop reason has its counter in tcseg_stats");

/* Ring buffer records ("tcseg_events"). */
enum tcseg_event_type {
	TCSEG_EV_FLOW_LOG = 1,		/* new flow allowed by a LOG rule */
	TCSEG_EV_FLOW_ENCRYPT = 2,	/* new TCP flow to hand to the daemon */
	TCSEG_EV_AUDIT = 3,		/* would have been denied */
	TCSEG_EV_DROP = 4,		/* a drop (with TRACE_DROPS) */
};

#define TCSEG_DIR_FROM_POD	0	/* tc ingress of the host-side veth */
#define TCSEG_DIR_TO_POD	1	/* tc egress of the host-side veth */

struct tcseg_event {
	__u64 ts_ns;
	__u32 type;			/* enum tcseg_event_type */
	__u32 ifindex;
	union tcseg_addr saddr;		/* as the packet had them */
	union tcseg_addr daddr;
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 dir;			/* TCSEG_DIR_* */
	__u8 action;			/* enum tcseg_action decided */
	__u8 reason;			/* enum tcseg_drop for drops */
	__u32 policy_id;
	__u8 verdict_src;
	__u8 family;
	__u8 pad[2];
};

/*
 * Socket capture (bpf/capture.bpf.c): records on the ring buffer
 * "tcseg_sock_events" for the daemon, which joins them with the data
 * path's flow_encrypt events by 4-tuple.
 */
enum tcseg_sock_ev_type {
	TCSEG_SOCK_CONNECT = 1,		/* active open, in connect()'s context */
	TCSEG_SOCK_ACCEPT = 2,		/* passive open established (softirq) */
	TCSEG_SOCK_SENDMSG = 3,		/* first send on a captured socket */
	TCSEG_SOCK_CLOSE = 4,		/* a captured socket left ESTABLISHED */
	TCSEG_SOCK_ESTABLISHED = 5,	/* an encrypt connect's handshake done */
};

/* tcseg_sock_event.flags */
#define TCSEG_SOCK_F_HELD	0x01	/* SIGSTOP sent: the daemon must SIGCONT */
#define TCSEG_SOCK_F_ENCRYPT	0x02	/* policy says encrypt at connect time */
#define TCSEG_SOCK_F_KPROBE	0x04	/* from the kprobe variant */
#define TCSEG_SOCK_F_FD_LATER	0x08	/* a record from the syscall's return
					 * (accept()/connect(), with owner and
					 * fd) follows and starts the hand-off;
					 * this one does not */

struct tcseg_sock_event {
	__u64 ts_ns;
	__u64 cookie;		/* socket cookie (0 from kprobes: match by tuple) */
	__u64 netns_cookie;
	__u32 tgid;		/* 0 for ACCEPT: softirq, owner unknown yet */
	__u32 pid;
	union tcseg_addr saddr;	/* local end */
	union tcseg_addr daddr;	/* remote end */
	__be16 sport;
	__be16 dport;
	__u8 type;		/* enum tcseg_sock_ev_type */
	__u8 flags;		/* TCSEG_SOCK_F_* */
	__u8 action;		/* policy action for the flow (connect) */
	__u8 family;
	__u32 policy_id;
	char comm[16];
	__s32 fd;		/* from accept()/connect()'s return, else -1 */
};

/*
 * The initial sequence numbers of a captured encrypt-flow socket
 * (BPF_MAP_TYPE_SK_STORAGE "tcseg_sock_isn", written when it becomes
 * ESTABLISHED; user space looks it up with the socket's fd as key): the
 * per-connection value of the key schedule (docs/KEYS.md §9).
 */
struct tcseg_sock_isn {
	__u32 client;		/* ISN of the connecting end */
	__u32 server;		/* ISN of the accepting end */
};

/*
 * Pods whose sockets are captured (BPF_MAP_TYPE_HASH "tcseg_cap_pods"):
 * pod address (struct tcseg_addr_key) -> host-side veth ifindex (for
 * device rules), filled by the daemon from the pod mapping and the
 * attached devices.
 */
struct tcseg_addr_key {
	union tcseg_addr addr;
	__u8 family;
	__u8 pad[3];
};

struct tcseg_cap_pod {
	__u32 ifindex;
	__u32 flags;
};

/* Capture settings (BPF_MAP_TYPE_ARRAY "tcseg_cap_config", one entry). */
#define TCSEG_CAP_F_HOLD	0x01	/* SIGSTOP encrypt flows at connect */
#define TCSEG_CAP_F_ACCEPT_EXIT	0x02	/* tp_btf/sys_exit reports the return
					 * of accept() and connect() */

struct tcseg_cap_config {
	__u32 flags;
	__u32 pad;
};

/*
 * Processes the capture stopped (BPF_MAP_TYPE_HASH "tcseg_held", pinned):
 * thread id -> what was held. Written before the SIGSTOP, deleted by the
 * daemon after its SIGCONT; an entry older than the hold timeout is one
 * nobody owns (the daemon died, or the record was lost): tcsegd fails its
 * flow closed and releases the process (ctl/daemon/tcsegd_held.c).
 */
struct tcseg_held {
	__u64 boot_ns;		/* bpf_ktime_get_boot_ns() at the hold */
	__u64 cookie;		/* socket cookie, 0 from kprobes */
	__u32 tgid;
	union tcseg_addr saddr;	/* local end */
	union tcseg_addr daddr;
	__be16 sport;
	__be16 dport;
	__u8 family;
	__u8 pad[7];
};

/*
 * CIDR candidate order, highest wins: destination prefix length, then
 * source prefix length, then a destination port, then a protocol, then a
 * device. Identical matches are refused by tcctl, so no tie remains.
 */
static inline __u32 tcseg_rule_spec(__u8 dst_plen, __u8 src_plen,
				    int has_dport, int has_proto, int has_dev)
{
	return ((__u32)dst_plen << 24) | ((__u32)src_plen << 16) |
	       ((__u32)!!has_dport << 2) | ((__u32)!!has_proto << 1) |
	       (__u32)!!has_dev;
}

#endif /* TCSEG_H */
