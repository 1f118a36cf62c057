/* SPDX-License-Identifier: GPL-2.0 */
/*
 * SETUP and CHECK for the data-plane tests: a private copy of the tcseg
 * BPF object per case (unpinned, small maps), helpers to write config,
 * devices and rules the way tcctl compiles them, to run packets with
 * BPF_PROG_TEST_RUN and to read sessions, counters and events back.
 */
#ifndef TCSEG_TEST_HARNESS_H
#define TCSEG_TEST_HARNESS_H

#include <stdint.h>
#include <bpf/libbpf.h>
#include "tcseg.h"
#include "tcseg.skel.h"
#include "pkt.h"

#define TC_OK		TCSEG_VERDICT_PASS	/* passed on to the next program */
#define TC_SHOT		TCSEG_VERDICT_DROP
#define TB_RUN_ERR	(-1000)		/* tb_run could not run the frame */

#define TB_DEF_SESSIONS	1024
#define TB_MAX_EV	512
#define TB_SYN_WINDOW_MS 3600000	/* one hour: no rollover mid-case */

/* Two pods: the two ends of a veth pair in the test's own netns. */
extern __u32 ifi_a, ifi_b;

struct tb_obj;

struct tb {
	struct tb_obj *obj;		/* the loaded object this case uses */
	struct tcseg_bpf *skel;
	struct ring_buffer *rb;
	struct tcseg_config cfg;	/* written by tb_cfg_write() */
	struct tcseg_event ev[TB_MAX_EV];
	int nev;
	int ncpus;
	__u32 sessions_max;
};

/* One test case: a fresh object with @sessions session entries. */
struct tb_case {
	const char *name;
	int (*fn)(struct tb *t);
	__u32 sessions;			/* 0 = TB_DEF_SESSIONS */
};

/* Table rows: the case is named after its function minus "test_". */
#define TB_CASE(n)		{ #n, test_##n, 0 }
#define TB_CASE_SZ(n, sz)	{ #n, test_##n, sz }
#define TB_END			{ NULL, NULL, 0 }

extern const struct tb_case cases_parse[];
extern const struct tb_case cases_policy[];
extern const struct tb_case cases_session[];
extern const struct tb_case cases_limits[];
extern const struct tb_case cases_hostile[];
extern const struct tb_case cases_lifetime[];

/* A CIDR rule as tcctl would compile it (NULL prefixes = 0.0.0.0/0). */
struct tb_rule {
	const char *src;
	const char *dst;
	__u8 proto;			/* IPPROTO_TCP/UDP/ICMP or OTHER key */
	__u16 dport;			/* host order, 0 = any */
	__u32 ifindex;			/* 0 = any device */
	__u8 action;
	__u32 id;			/* also the counter slot */
	__u8 flags;
};

/* Why the running case failed; set by the T_* macros. */
extern char tb_why[512];
void tb_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Load (or reuse and empty) an object with @sessions session entries. */
int tb_open(struct tb *t, __u32 sessions);
void tb_close(struct tb *t);
void tb_cleanup(void);
extern int tb_fresh;		/* a new object for every case */

int tb_update(struct bpf_map *m, const void *k, const void *v);
int tb_cfg_write(struct tb *t);
int tb_dev(struct tb *t, __u32 ifindex, __u8 def_action, __u8 flags);
int tb_dev_get(struct tb *t, __u32 ifindex, struct tcseg_dev *d);
int tb_dev_del(struct tb *t, __u32 ifindex);
/* Bind @n addresses (dotted quads) to an attached device; 0 unbinds. */
int tb_dev_bind(struct tb *t, __u32 ifindex, const char *const *addrs, int n);
int tb_src_class(struct tb *t, const char *cidr);
int tb_rule(struct tb *t, const struct tb_rule *r);
/* The entries of @r in every @family class its source contains. */
int tb_rule_classes(struct tb *t, const struct tb_rule *r, __u8 family,
		    const union tcseg_addr *snet, __u8 splen,
		    const union tcseg_addr *dnet, __u8 dplen);
void tb_addr_mask(union tcseg_addr *a, unsigned int plen);
int tb_exact(struct tb *t, __u32 ifindex, const struct pkt_spec *s,
	     __u8 action, __u32 id, __u8 flags);

/* Run one frame: the verdict (TC_OK/TC_SHOT), or TB_RUN_ERR. */
int tb_run(struct tb *t, int dir, __u32 ifindex, const void *frame,
	   size_t len);
int tb_send(struct tb *t, int dir, __u32 ifindex, const struct pkt_spec *s);

__u64 tb_stat(struct tb *t, __u32 idx);
__u64 tb_drops(struct tb *t, __u32 reason);
int tb_rule_ctr(struct tb *t, __u32 slot, struct tcseg_rule_counter *c);
/* A session key as the data path makes it (ports host order). */
void tb_key_make(struct tcseg_session_key *k, __u32 ifindex, __u8 family,
		 const union tcseg_addr *sa, const union tcseg_addr *da,
		 uint16_t sport, uint16_t dport, __u8 proto);
int tb_sess(struct tb *t, __u32 ifindex, const struct pkt_spec *s,
	    struct tcseg_session *out);
int tb_sess_put(struct tb *t, __u32 ifindex, const struct pkt_spec *s,
		const struct tcseg_session *v);
/* What tcsegd writes once kTLS is on (TCSEG_SECURE_*) for a session. */
int tb_secure(struct tb *t, __u32 ifindex, const struct pkt_spec *s,
	      __u32 state);
int tb_nsess(struct tb *t);
int tb_pressure(struct tb *t, struct tcseg_pressure *pr);
int tb_frag_count(struct tb *t);
/* Consume the ring buffer into t->ev; returns t->nev. */
int tb_events(struct tb *t);

/* A TCP connection driven from both ends with consistent seq/ack. */
struct tcpflow {
	struct pkt_spec init;		/* initiator -> responder */
	int init_dir;			/* TCSEG_DIR_* of initiator's packets */
	__u32 ifindex;
	__u32 iseq;			/* next seq of each end */
	__u32 rseq;
};

void tf_make(struct tcpflow *f, __u32 ifindex, int init_dir,
	     const char *init_ip, uint16_t init_port, const char *resp_ip,
	     uint16_t resp_port);
int tf_send(struct tb *t, struct tcpflow *f, int from_init, uint8_t flags,
	    uint16_t payload);
/* Same with an explicit ack number (crossed FINs). */
int tf_send_ack(struct tb *t, struct tcpflow *f, int from_init, uint8_t flags,
		uint16_t payload, __u32 ack);
int tf_sess(struct tb *t, const struct tcpflow *f, struct tcseg_session *s);
int tf_handshake(struct tb *t, struct tcpflow *f);
/* The spec of a packet in the given direction (for ICMP quotes). */
void tf_spec(const struct tcpflow *f, int from_init, struct pkt_spec *s);

/* Specs for the common packets (ports host order). */
static inline struct pkt_spec tcp_spec(const char *src, uint16_t sport,
				       const char *dst, uint16_t dport,
				       uint8_t flags)
{
	struct pkt_spec s = {
		.saddr = pkt_ip(src), .daddr = pkt_ip(dst),
		.proto = IPPROTO_TCP, .sport = sport, .dport = dport,
		.tcp_flags = flags, .seq = 1000,
	};

	return s;
}

static inline struct pkt_spec udp_spec(const char *src, uint16_t sport,
				       const char *dst, uint16_t dport)
{
	struct pkt_spec s = {
		.saddr = pkt_ip(src), .daddr = pkt_ip(dst),
		.proto = IPPROTO_UDP, .sport = sport, .dport = dport,
		.payload = 32,
	};

	return s;
}

/* ICMP echo request (type 8) or reply (type 0) with echo id @id. */
static inline struct pkt_spec icmp_spec(const char *src, const char *dst,
					uint8_t type, uint16_t id)
{
	struct pkt_spec s = {
		.saddr = pkt_ip(src), .daddr = pkt_ip(dst),
		.proto = IPPROTO_ICMP, .icmp_type = type, .sport = id,
		.dport = id, .payload = 16,
	};

	return s;
}

/* The addresses the cases use: pod < peer in network-order integers. */
#define POD	"10.0.1.2"
#define PEER	"10.0.2.3"
#define FROM	TCSEG_DIR_FROM_POD
#define TO	TCSEG_DIR_TO_POD

const char *tb_verdict_name(int v);
const char *tb_state_name(int st);

#define T_FAIL(...)							\
	do {								\
		tb_fail(__FILE__, __LINE__, __VA_ARGS__);		\
		return -1;						\
	} while (0)

#define T_ASSERT(cond, ...)						\
	do {								\
		if (!(cond))						\
			T_FAIL(__VA_ARGS__);				\
	} while (0)

#define T_EQ(a, b)							\
	do {								\
		unsigned long long _a = (a), _b = (b);			\
		if (_a != _b)						\
			T_FAIL("%s = %llu, want %llu", #a, _a, _b);	\
	} while (0)

/* A call that must succeed (returns 0). */
#define T_OK(call)							\
	do {								\
		int _r = (call);					\
		if (_r)							\
			T_FAIL("%s failed: %d", #call, _r);		\
	} while (0)

#define T_VERDICT(call, want)						\
	do {								\
		int _v = (call), _w = (want);				\
		if (_v != _w)						\
			T_FAIL("%s -> %s, want %s", #call,		\
			       tb_verdict_name(_v), tb_verdict_name(_w)); \
	} while (0)

#define T_STATE(sess, want)						\
	do {								\
		int _s = (sess).state, _w = (want);			\
		if (_s != _w)						\
			T_FAIL("state %s, want %s", tb_state_name(_s),	\
			       tb_state_name(_w));			\
	} while (0)

#endif
