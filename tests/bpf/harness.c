// SPDX-License-Identifier: GPL-2.0
/*
 * Test harness for the tcseg data plane: loads a private, unpinned copy of
 * the BPF object per case, writes maps the way tcctl does, runs frames
 * through BPF_PROG_TEST_RUN and reads counters, sessions and events back.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "harness.h"

__u32 ifi_a, ifi_b;
char tb_why[512];

void tb_fail(const char *file, int line, const char *fmt, ...)
{
	const char *base = strrchr(file, '/');
	va_list ap;
	int n;

	n = snprintf(tb_why, sizeof(tb_why), "%s:%d: ", base ? base + 1 : file,
		     line);
	if (n < 0 || (size_t)n >= sizeof(tb_why))
		return;
	va_start(ap, fmt);
	vsnprintf(tb_why + n, sizeof(tb_why) - n, fmt, ap);
	va_end(ap);
}

/*
 * Loading the object costs most of a second (verifier), so each map size
 * is loaded once and every map is emptied between cases; -f (tb_fresh)
 * loads a new object per case instead.
 */
struct tb_obj {
	struct tcseg_bpf *skel;
	struct ring_buffer *rb;
	struct tb *cur;		/* case the events go to, NULL = discard */
	__u32 sessions;
};

#define TB_MAX_OBJS	4

static struct tb_obj objs[TB_MAX_OBJS];
int tb_fresh;

static int tb_on_event(void *ctx, void *data, size_t size)
{
	struct tb_obj *o = ctx;
	struct tb *t = o->cur;

	if (!t || size < sizeof(struct tcseg_event) || t->nev >= TB_MAX_EV)
		return 0;
	memcpy(&t->ev[t->nev++], data, sizeof(struct tcseg_event));
	return 0;
}

static int tb_resize(struct tcseg_bpf *skel, __u32 sessions)
{
	struct {
		struct bpf_map *m;
		__u32 n;
	} sz[] = {
		{ skel->maps.tcseg_sessions, sessions },
		{ skel->maps.tcseg_exact, 64 },
		{ skel->maps.tcseg_rules, 64 },
		{ skel->maps.tcseg_rule_stats, 64 },
		{ skel->maps.tcseg_src_class, 64 },
		{ skel->maps.tcseg_cidr, 256 },
		{ skel->maps.tcseg_devs, 16 },
		{ skel->maps.tcseg_frags, 64 },
		{ skel->maps.tcseg_secured, 64 },
		{ skel->maps.tcseg_events, 64 * 1024 },
	};
	struct bpf_map *m;
	size_t i;
	int err;

	/* a private copy: never reuse or create the pinned maps */
	bpf_object__for_each_map(m, skel->obj) {
		err = bpf_map__set_pin_path(m, NULL);
		if (err)
			return err;
	}
	for (i = 0; i < sizeof(sz) / sizeof(sz[0]); i++) {
		err = bpf_map__set_max_entries(sz[i].m, sz[i].n);
		if (err) {
			tb_fail(__FILE__, __LINE__, "resize %s: %d",
				bpf_map__name(sz[i].m), err);
			return err;
		}
	}
	return 0;
}

static void obj_destroy(struct tb_obj *o)
{
	ring_buffer__free(o->rb);
	tcseg_bpf__destroy(o->skel);
	memset(o, 0, sizeof(*o));
}

static int obj_load(struct tb_obj *o, __u32 sessions)
{
	int err;

	o->sessions = sessions;
	o->skel = tcseg_bpf__open();
	if (!o->skel) {
		tb_fail(__FILE__, __LINE__, "tcseg_bpf__open: %s",
			strerror(errno));
		return -1;
	}
	err = tb_resize(o->skel, sessions);
	if (err)
		goto fail;
	err = tcseg_bpf__load(o->skel);
	if (err) {
		tb_fail(__FILE__, __LINE__, "tcseg_bpf__load: %d", err);
		goto fail;
	}
	o->rb = ring_buffer__new(bpf_map__fd(o->skel->maps.tcseg_events),
				 tb_on_event, o, NULL);
	if (!o->rb) {
		tb_fail(__FILE__, __LINE__, "ring_buffer__new: %s",
			strerror(errno));
		goto fail;
	}
	return 0;
fail:
	obj_destroy(o);
	return -1;
}

static struct tb_obj *obj_get(__u32 sessions)
{
	int i;

	for (i = 0; i < TB_MAX_OBJS; i++)
		if (objs[i].skel && objs[i].sessions == sessions)
			return &objs[i];
	for (i = 0; i < TB_MAX_OBJS; i++)
		if (!objs[i].skel)
			return obj_load(&objs[i], sessions) ? NULL : &objs[i];
	tb_fail(__FILE__, __LINE__, "more than %d map sizes", TB_MAX_OBJS);
	return NULL;
}

/* Delete every key of a hash, LRU or LPM map. */
static int map_clear(struct bpf_map *m)
{
	char key[64];
	int fd = bpf_map__fd(m), n = 0;

	while (!bpf_map_get_next_key(fd, NULL, key)) {
		if (bpf_map_delete_elem(fd, key) || ++n > 1000000) {
			tb_fail(__FILE__, __LINE__, "clear %s: %s",
				bpf_map__name(m), strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* Zero every entry of an (optionally per-CPU) array. */
static int map_zero(struct bpf_map *m, int ncpus)
{
	size_t vs = bpf_map__value_size(m);
	__u32 i, n = bpf_map__max_entries(m);
	void *zero;
	int err = 0;

	if (bpf_map__type(m) == BPF_MAP_TYPE_PERCPU_ARRAY)
		vs = ((vs + 7) & ~(size_t)7) * ncpus;
	zero = calloc(1, vs);
	if (!zero)
		return -ENOMEM;
	for (i = 0; i < n && !err; i++)
		err = bpf_map_update_elem(bpf_map__fd(m), &i, zero, BPF_ANY);
	free(zero);
	if (err)
		tb_fail(__FILE__, __LINE__, "zero %s: %s", bpf_map__name(m),
			strerror(errno));
	return err;
}

static int obj_reset(struct tb_obj *o, int ncpus)
{
	struct tcseg_bpf *s = o->skel;

	o->cur = NULL;
	ring_buffer__consume(o->rb);	/* discard a previous case's events */
	return map_clear(s->maps.tcseg_devs) ?: map_clear(s->maps.tcseg_exact) ?:
	       map_clear(s->maps.tcseg_src_class) ?:
	       map_clear(s->maps.tcseg_cidr) ?: map_clear(s->maps.tcseg_rules) ?:
	       map_clear(s->maps.tcseg_sessions) ?:
	       map_clear(s->maps.tcseg_frags) ?:
	       map_clear(s->maps.tcseg_secured) ?:
	       map_zero(s->maps.tcseg_config, ncpus) ?:
	       map_zero(s->maps.tcseg_pressure, ncpus) ?:
	       map_zero(s->maps.tcseg_rule_stats, ncpus) ?:
	       map_zero(s->maps.tcseg_stats, ncpus) ?:
	       map_zero(s->maps.tcseg_evrate, ncpus) ?:
	       map_zero(s->maps.tcseg_sweep, ncpus);	/* cancels the timer */
}

int tb_open(struct tb *t, __u32 sessions)
{
	struct tb_obj *o;
	int err;

	memset(t, 0, sizeof(*t));
	t->ncpus = libbpf_num_possible_cpus();
	t->sessions_max = sessions ? sessions : TB_DEF_SESSIONS;
	o = obj_get(t->sessions_max);
	if (!o)
		return -1;
	if (obj_reset(o, t->ncpus)) {
		obj_destroy(o);
		return -1;
	}
	o->cur = t;
	t->obj = o;
	t->skel = o->skel;
	t->rb = o->rb;
	t->cfg.policy_version = 1;
	t->cfg.default_action = TCSEG_ACT_ALLOW;
	t->cfg.session_max = t->sessions_max;
	t->cfg.syn_window_ms = TB_SYN_WINDOW_MS;
	tcseg_config_lifetime_default(&t->cfg);
	err = tb_cfg_write(t) ?: tb_src_class(t, "0.0.0.0/0") ?:
	      tb_dev(t, ifi_a, TCSEG_ACT_UNSET, 0) ?:
	      tb_dev(t, ifi_b, TCSEG_ACT_UNSET, 0);
	if (err) {
		tb_close(t);
		return -1;
	}
	return 0;
}

void tb_close(struct tb *t)
{
	if (t->obj) {
		t->obj->cur = NULL;
		if (tb_fresh)
			obj_destroy(t->obj);
	}
	t->obj = NULL;
	t->skel = NULL;
	t->rb = NULL;
}

void tb_cleanup(void)
{
	int i;

	for (i = 0; i < TB_MAX_OBJS; i++)
		if (objs[i].skel)
			obj_destroy(&objs[i]);
}

int tb_update(struct bpf_map *m, const void *k, const void *v)
{
	int err = bpf_map_update_elem(bpf_map__fd(m), k, v, BPF_ANY);

	if (err)
		tb_fail(__FILE__, __LINE__, "update %s: %s", bpf_map__name(m),
			strerror(errno));
	return err;
}

int tb_cfg_write(struct tb *t)
{
	__u32 zero = 0;

	return tb_update(t->skel->maps.tcseg_config, &zero, &t->cfg);
}

int tb_dev(struct tb *t, __u32 ifindex, __u8 def_action, __u8 flags)
{
	struct tcseg_dev d = {
		.default_action = def_action,
		.flags = flags,
	};

	snprintf(d.name, sizeof(d.name), "if%u", ifindex);
	return tb_update(t->skel->maps.tcseg_devs, &ifindex, &d);
}

int tb_dev_get(struct tb *t, __u32 ifindex, struct tcseg_dev *d)
{
	return bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.tcseg_devs),
				   &ifindex, d) ? -errno : 0;
}

int tb_dev_bind(struct tb *t, __u32 ifindex, const char *const *addrs, int n)
{
	struct tcseg_dev d;
	int i;

	if (tb_dev_get(t, ifindex, &d) || n > TCSEG_DEV_MAX_ADDRS4) {
		tb_fail(__FILE__, __LINE__, "bind if%u: %d addresses", ifindex, n);
		return -1;
	}
	memset(d.addrs4, 0, sizeof(d.addrs4));
	for (i = 0; i < n; i++)
		d.addrs4[i] = pkt_ip(addrs[i]);
	d.n_addrs4 = n;
	d.flags = n ? d.flags | TCSEG_DEV_F_BOUND : d.flags & ~TCSEG_DEV_F_BOUND;
	return tb_update(t->skel->maps.tcseg_devs, &ifindex, &d);
}

int tb_dev_del(struct tb *t, __u32 ifindex)
{
	return bpf_map_delete_elem(bpf_map__fd(t->skel->maps.tcseg_devs),
				   &ifindex) ? -errno : 0;
}

static int parse_cidr(const char *s, __be32 *net, __u8 *plen)
{
	char buf[32];
	char *slash;
	long n = 32;

	if (!s) {
		*net = 0;
		*plen = 0;
		return 0;
	}
	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (slash) {
		*slash = 0;
		n = strtol(slash + 1, NULL, 10);
	}
	*net = pkt_ip(buf);
	if (n < 0 || n > 32 || (!*net && strcmp(buf, "0.0.0.0"))) {
		tb_fail(__FILE__, __LINE__, "bad prefix %s", s);
		return -EINVAL;
	}
	*plen = n;
	if (n < 32)
		*net &= htonl(n ? ~0u << (32 - n) : 0);
	return 0;
}

int tb_src_class(struct tb *t, const char *cidr)
{
	struct tcseg_src_key k = {};
	struct tcseg_src_class v = {};
	int err;

	err = parse_cidr(cidr, &v.net.v4, &v.plen);
	if (err)
		return err;
	k.prefixlen = TCSEG_SRC_FIXED_BITS + v.plen;
	k.family = TCSEG_FAMILY_V4;
	k.saddr = v.net;
	return tb_update(t->skel->maps.tcseg_src_class, &k, &v);
}

/* Keep the first @plen bits of @a (either family). */
void tb_addr_mask(union tcseg_addr *a, unsigned int plen)
{
	unsigned int i;

	for (i = 0; i < sizeof(a->b); i++) {
		if (plen >= 8 * (i + 1))
			continue;
		a->b[i] &= plen > 8 * i ? 0xff << (8 - (plen - 8 * i)) : 0;
	}
}

static int contains(const union tcseg_addr *net, __u8 plen,
		    const union tcseg_addr *a, __u8 aplen)
{
	union tcseg_addr m = *a;

	tb_addr_mask(&m, plen);
	return aplen >= plen && !memcmp(&m, net, sizeof(m));
}

/* One CIDR entry in one source class; the higher spec keeps the key. */
static int tb_cidr_put(struct tb *t, const struct tcseg_src_class *sc,
		       const struct tb_rule *r, __u8 family,
		       const union tcseg_addr *dnet, __u8 dplen, __u8 splen,
		       __u8 proto_key, int has_proto)
{
	int fd = bpf_map__fd(t->skel->maps.tcseg_cidr);
	struct tcseg_cidr_key k = {
		.prefixlen = TCSEG_CIDR_FIXED_BITS + dplen,
		.family = family,
		.src_net = sc->net,
		.src_plen = sc->plen,
		.proto = proto_key,
		.dport = htons(r->dport),
		.ifindex = r->ifindex,
		.daddr = *dnet,
	};
	struct tcseg_verdict v = {
		.rule_id = r->id,
		.slot = r->id,
		.spec = tcseg_rule_spec(dplen, splen, r->dport != 0, has_proto,
					r->ifindex != 0),
		.action = r->action,
		.flags = r->flags,
	};
	struct tcseg_verdict old;

	if (!bpf_map_lookup_elem(fd, &k, &old) && old.spec > v.spec)
		return 0;
	return tb_update(t->skel->maps.tcseg_cidr, &k, &v);
}

int tb_rule_classes(struct tb *t, const struct tb_rule *r, __u8 family,
		    const union tcseg_addr *snet, __u8 splen,
		    const union tcseg_addr *dnet, __u8 dplen)
{
	static const __u8 any4[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP,
				     TCSEG_PROTO_KEY_OTHER };
	static const __u8 any6[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMPV6,
				     TCSEG_PROTO_KEY_OTHER };
	const __u8 *any = family == TCSEG_FAMILY_V6 ? any6 : any4;
	int fd = bpf_map__fd(t->skel->maps.tcseg_src_class);
	struct tcseg_src_key k, *prev = NULL;
	struct tcseg_src_class sc;
	size_t i;
	int err;

	while (!bpf_map_get_next_key(fd, prev, &k)) {
		prev = &k;
		if (k.family != family || bpf_map_lookup_elem(fd, &k, &sc) ||
		    !contains(snet, splen, &sc.net, sc.plen))
			continue;
		for (i = 0; i < (r->proto ? 1 : sizeof(any4)); i++) {
			err = tb_cidr_put(t, &sc, r, family, dnet, dplen, splen,
					  r->proto ? r->proto : any[i],
					  r->proto != 0);
			if (err)
				return err;
		}
	}
	return 0;
}

/*
 * Compile a CIDR rule like tcctl: its source class exists, and the entry
 * is replicated into every class its source prefix contains. Classes
 * must be added before the rules that cover them.
 */
int tb_rule(struct tb *t, const struct tb_rule *r)
{
	union tcseg_addr snet = {}, dnet = {};
	__u8 splen, dplen;
	int err;

	err = parse_cidr(r->src, &snet.v4, &splen) ?:
	      parse_cidr(r->dst, &dnet.v4, &dplen) ?:
	      tb_src_class(t, r->src ? r->src : "0.0.0.0/0");
	if (err)
		return err;
	return tb_rule_classes(t, r, TCSEG_FAMILY_V4, &snet, splen, &dnet,
			       dplen);
}

int tb_exact(struct tb *t, __u32 ifindex, const struct pkt_spec *s,
	     __u8 action, __u32 id, __u8 flags)
{
	struct tcseg_exact_key k = {
		.ifindex = ifindex,
		.saddr.w = { s->saddr },
		.daddr.w = { s->daddr },
		.sport = htons(s->sport),
		.dport = htons(s->dport),
		.proto = s->proto,
		.family = TCSEG_FAMILY_V4,
	};
	struct tcseg_verdict v = {
		.rule_id = id,
		.slot = id,
		.action = action,
		.flags = flags,
	};

	return tb_update(t->skel->maps.tcseg_exact, &k, &v);
}

int tb_run(struct tb *t, int dir, __u32 ifindex, const void *frame,
	   size_t len)
{
	struct bpf_program *prog = dir == TCSEG_DIR_FROM_POD ?
					   t->skel->progs.tcseg_from_pod :
					   t->skel->progs.tcseg_to_pod;
	struct __sk_buff ctx = { .ifindex = ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame,
		    .data_size_in = len, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = 1);
	int err;

	err = bpf_prog_test_run_opts(bpf_program__fd(prog), &o);
	if (err) {
		fprintf(stderr, "test_run (len %zu, ifindex %u): %s\n", len,
			ifindex, strerror(errno));
		return TB_RUN_ERR;
	}
	return o.retval;
}

int tb_send(struct tb *t, int dir, __u32 ifindex, const struct pkt_spec *s)
{
	uint8_t b[PKT_MAX];

	return tb_run(t, dir, ifindex, b, pkt_build(b, s));
}

__u64 tb_stat(struct tb *t, __u32 idx)
{
	__u64 v[t->ncpus], sum = 0;
	int i;

	if (bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.tcseg_stats), &idx,
				v))
		return ~0ull;
	for (i = 0; i < t->ncpus; i++)
		sum += v[i];
	return sum;
}

__u64 tb_drops(struct tb *t, __u32 reason)
{
	return tb_stat(t, TCSEG_STAT_DROP_BASE + reason);
}

int tb_rule_ctr(struct tb *t, __u32 slot, struct tcseg_rule_counter *c)
{
	struct tcseg_rule_counter v[t->ncpus];
	int i;

	memset(c, 0, sizeof(*c));
	if (bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.tcseg_rule_stats),
				&slot, v))
		return -errno;
	for (i = 0; i < t->ncpus; i++) {
		c->packets += v[i].packets;
		c->bytes += v[i].bytes;
	}
	return 0;
}

void tb_key_make(struct tcseg_session_key *k, __u32 ifindex, __u8 family,
		 const union tcseg_addr *sa, const union tcseg_addr *da,
		 uint16_t sport, uint16_t dport, __u8 proto)
{
	__be16 sp = htons(sport), dp = htons(dport);
	__u8 icmp = family == TCSEG_FAMILY_V6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;

	if (proto == icmp)	/* the echo id plays both ports */
		dp = sp;
	else if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		sp = dp = 0;
	tcseg_session_key_make(k, ifindex, family, sa, da, sp, dp, proto);
}

static void spec_key(struct tcseg_session_key *k, __u32 ifindex,
		     const struct pkt_spec *s)
{
	union tcseg_addr sa = { .w = { s->saddr } }, da = { .w = { s->daddr } };

	tb_key_make(k, ifindex, TCSEG_FAMILY_V4, &sa, &da, s->sport, s->dport,
		    s->proto);
}

int tb_sess(struct tb *t, __u32 ifindex, const struct pkt_spec *s,
	    struct tcseg_session *out)
{
	struct tcseg_session_key k;

	spec_key(&k, ifindex, s);
	return bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.tcseg_sessions),
				   &k, out) ? -errno : 0;
}

int tb_sess_put(struct tb *t, __u32 ifindex, const struct pkt_spec *s,
		const struct tcseg_session *v)
{
	struct tcseg_session_key k;

	spec_key(&k, ifindex, s);
	return tb_update(t->skel->maps.tcseg_sessions, &k, v);
}

int tb_secure(struct tb *t, __u32 ifindex, const struct pkt_spec *s,
	      __u32 state)
{
	struct tcseg_session_key k;
	struct tcseg_secure v = { .ts_ns = 1, .state = state };
	struct tcseg_session sess;

	spec_key(&k, ifindex, s);
	/* as tcsegd does: the mark names the session it secures */
	if (!bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.tcseg_sessions),
				 &k, &sess))
		v.session_ns = sess.created_ns;
	return tb_update(t->skel->maps.tcseg_secured, &k, &v);
}

static int tb_count(struct bpf_map *m, size_t ksz)
{
	char a[64], b[64];
	void *prev = NULL, *cur = a;
	int n = 0;

	if (ksz > sizeof(a))
		return -1;
	while (!bpf_map_get_next_key(bpf_map__fd(m), prev, cur)) {
		n++;
		prev = cur;
		cur = cur == a ? b : a;
	}
	return n;
}

int tb_nsess(struct tb *t)
{
	return tb_count(t->skel->maps.tcseg_sessions,
			sizeof(struct tcseg_session_key));
}

int tb_frag_count(struct tb *t)
{
	return tb_count(t->skel->maps.tcseg_frags,
			sizeof(struct tcseg_frag_key));
}

int tb_pressure(struct tb *t, struct tcseg_pressure *pr)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.tcseg_pressure),
				   &zero, pr) ? -errno : 0;
}

int tb_events(struct tb *t)
{
	ring_buffer__consume(t->rb);
	return t->nev;
}

void tf_make(struct tcpflow *f, __u32 ifindex, int init_dir,
	     const char *init_ip, uint16_t init_port, const char *resp_ip,
	     uint16_t resp_port)
{
	memset(f, 0, sizeof(*f));
	f->init.saddr = pkt_ip(init_ip);
	f->init.daddr = pkt_ip(resp_ip);
	f->init.sport = init_port;
	f->init.dport = resp_port;
	f->init.proto = IPPROTO_TCP;
	f->init_dir = init_dir;
	f->ifindex = ifindex;
	f->iseq = 1000;
	f->rseq = 500000;
}

void tf_spec(const struct tcpflow *f, int from_init, struct pkt_spec *s)
{
	*s = f->init;
	if (!from_init) {
		s->saddr = f->init.daddr;
		s->daddr = f->init.saddr;
		s->sport = f->init.dport;
		s->dport = f->init.sport;
	}
}

int tf_send_ack(struct tb *t, struct tcpflow *f, int from_init, uint8_t flags,
		uint16_t payload, __u32 ack)
{
	__u32 *seq = from_init ? &f->iseq : &f->rseq;
	struct pkt_spec s;
	int dir = from_init ? f->init_dir : !f->init_dir;

	tf_spec(f, from_init, &s);
	s.tcp_flags = flags;
	s.payload = payload;
	s.seq = *seq;
	s.ack = (flags & PKT_ACK) ? ack : 0;
	*seq += payload + !!(flags & PKT_SYN) + !!(flags & PKT_FIN);
	return tb_send(t, dir, f->ifindex, &s);
}

int tf_send(struct tb *t, struct tcpflow *f, int from_init, uint8_t flags,
	    uint16_t payload)
{
	return tf_send_ack(t, f, from_init, flags, payload,
			   from_init ? f->rseq : f->iseq);
}

int tf_sess(struct tb *t, const struct tcpflow *f, struct tcseg_session *s)
{
	return tb_sess(t, f->ifindex, &f->init, s);
}

/* SYN, SYN-ACK, ACK; each must pass. */
int tf_handshake(struct tb *t, struct tcpflow *f)
{
	if (tf_send(t, f, 1, PKT_SYN, 0) != TC_OK)
		return -1;
	if (tf_send(t, f, 0, PKT_SYN | PKT_ACK, 0) != TC_OK)
		return -2;
	if (tf_send(t, f, 1, PKT_ACK, 0) != TC_OK)
		return -3;
	return 0;
}

const char *tb_verdict_name(int v)
{
	switch (v) {
	case TC_OK:
		return "TC_ACT_OK";
	case TC_SHOT:
		return "TC_ACT_SHOT";
	case TB_RUN_ERR:
		return "run-error";
	default:
		return "other";
	}
}

const char *tb_state_name(int st)
{
	static const char *const n[] = {
		"NONE", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT1",
		"FIN_WAIT2", "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK",
		"CLOSING",
	};

	return st >= 0 && st < TCSEG_TCP_MAX ? n[st] : "?";
}
