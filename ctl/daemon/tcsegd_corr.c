// SPDX-License-Identifier: GPL-2.0
/* Join of flow events and socket records by 4-tuple (see tcsegd_corr.h). */
#include <errno.h>
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/tcsegd_corr.h"

struct corr_table {
	struct corr_entry *e;
	unsigned int cap;	/* power of two */
	unsigned int n;
	__u64 ttl_ns;
};

#define CORR_PROBE_MAX	32	/* longest probe run before "full" */

struct corr_table *corr_new(unsigned int cap, __u64 ttl_ns)
{
	struct corr_table *t = calloc(1, sizeof(*t));
	unsigned int c = 16;

	if (!t)
		return NULL;
	while (c < cap && c < (1u << 20))
		c <<= 1;
	t->e = calloc(c, sizeof(*t->e));
	if (!t->e) {
		free(t);
		return NULL;
	}
	t->cap = c;
	t->ttl_ns = ttl_ns;
	return t;
}

void corr_free(struct corr_table *t)
{
	if (!t)
		return;
	free(t->e);
	free(t);
}

unsigned int corr_count(const struct corr_table *t)
{
	return t->n;
}

static bool addr_zero(const union tcseg_addr *a)
{
	return !(a->w[0] | a->w[1] | a->w[2] | a->w[3]);
}

/* ::ffff:a.b.c.d: never in a record (the capture makes it IPv4) */
static bool addr_v4_mapped(const union tcseg_addr *a)
{
	return !a->w[0] && !a->w[1] && a->w[2] == htonl(0xffff);
}

/*
 * A record's addresses fit its family: IPv4 in the first word with the
 * others zero, IPv6 whole but never v4-mapped, none (family 0, a non-IP
 * drop) all zero.
 */
static bool addrs_fit(__u8 family, const union tcseg_addr *s,
		      const union tcseg_addr *d)
{
	if (family == TCSEG_FAMILY_V6)
		return !addr_v4_mapped(s) && !addr_v4_mapped(d);
	if (family == TCSEG_FAMILY_V4)
		return !(s->w[1] | s->w[2] | s->w[3] | d->w[1] | d->w[2] |
			 d->w[3]);
	return family == 0 && addr_zero(s) && addr_zero(d);
}

int corr_check_tc(const void *data, size_t size, const char **why)
{
	const struct tcseg_event *e = data;

	if (size != sizeof(*e)) {
		*why = "flow event of the wrong size";
		return -EBADMSG;
	}
	if (e->type < TCSEG_EV_FLOW_LOG || e->type > TCSEG_EV_DROP) {
		*why = "flow event of unknown type";
		return -EBADMSG;
	}
	if (e->dir > TCSEG_DIR_TO_POD || e->action >= TCSEG_ACT_MAX ||
	    (e->type == TCSEG_EV_DROP && e->reason >= TCSEG_DROP_MAX) ||
	    e->verdict_src >= TCSEG_SRC_MAX) {
		*why = "flow event field out of range";
		return -EBADMSG;
	}
	if (!addrs_fit(e->family, &e->saddr, &e->daddr) ||
	    (e->type != TCSEG_EV_DROP && !e->family)) {
		*why = "flow event with addresses of a bad family";
		return -EBADMSG;
	}
	return 0;
}

int corr_check_sock(const void *data, size_t size, const char **why)
{
	const struct tcseg_sock_event *e = data;

	if (size != sizeof(*e)) {
		*why = "socket record of the wrong size";
		return -EBADMSG;
	}
	if (e->type < TCSEG_SOCK_CONNECT || e->type > TCSEG_SOCK_ESTABLISHED) {
		*why = "socket record of unknown type";
		return -EBADMSG;
	}
	if (e->flags & ~(TCSEG_SOCK_F_HELD | TCSEG_SOCK_F_ENCRYPT |
			 TCSEG_SOCK_F_KPROBE | TCSEG_SOCK_F_FD_LATER)) {
		*why = "socket record with unknown flags";
		return -EBADMSG;
	}
	/*
	 * A record from the syscall's return follows: a softirq accept (no
	 * owner yet) or a connect held at SYN_SENT (its process named).
	 */
	if ((e->flags & TCSEG_SOCK_F_FD_LATER) &&
	    !(e->type == TCSEG_SOCK_ACCEPT && !e->tgid &&
	      !(e->flags & TCSEG_SOCK_F_HELD)) &&
	    !(e->type == TCSEG_SOCK_CONNECT && e->tgid &&
	      (e->flags & TCSEG_SOCK_F_HELD))) {
		*why = "socket record with a syscall return to come that "
		       "cannot have one";
		return -EBADMSG;
	}
	/* an fd only from accept()/connect()'s return, with its process */
	if (e->fd < -1 || (e->fd >= 0 && ((e->type != TCSEG_SOCK_ACCEPT &&
					   e->type != TCSEG_SOCK_CONNECT) ||
					  !e->tgid || !e->cookie))) {
		*why = "socket record with a bad fd";
		return -EBADMSG;
	}
	if (e->action >= TCSEG_ACT_MAX) {
		*why = "socket record action out of range";
		return -EBADMSG;
	}
	/* a held process must be named, or nobody could release it */
	if ((e->flags & TCSEG_SOCK_F_HELD) && !e->tgid) {
		*why = "held socket record without a process";
		return -EBADMSG;
	}
	/*
	 * connect() of an unbound socket: the tracepoint fires before
	 * inet_hash_connect() picks the local port, so sport may be 0; the
	 * socket cookie still names it (the daemon reads the port back).
	 */
	if (!e->family || !addrs_fit(e->family, &e->saddr, &e->daddr)) {
		*why = "socket record with addresses of a bad family";
		return -EBADMSG;
	}
	if (addr_zero(&e->saddr) || addr_zero(&e->daddr) || !e->dport ||
	    (!e->sport && !(e->type == TCSEG_SOCK_CONNECT && e->cookie))) {
		*why = "socket record with an incomplete tuple";
		return -EBADMSG;
	}
	return 0;
}

void corr_key_tc(const struct tcseg_event *e, struct corr_key *k)
{
	/* flow events come from the flow's first packet: src = initiator */
	*k = (struct corr_key){
		.saddr = e->saddr, .daddr = e->daddr,
		.sport = e->sport, .dport = e->dport,
		.family = e->family,
	};
}

void corr_key_sock(const struct tcseg_sock_event *e, struct corr_key *k)
{
	/* records carry the local end first; accept's local end is the server */
	int acc = e->type == TCSEG_SOCK_ACCEPT;

	*k = (struct corr_key){
		.saddr = acc ? e->daddr : e->saddr,
		.daddr = acc ? e->saddr : e->daddr,
		.sport = acc ? e->dport : e->sport,
		.dport = acc ? e->sport : e->dport,
		.family = e->family,
	};
}

void corr_key_to_tuple(const struct corr_key *k, struct flow_tuple *t)
{
	memset(t, 0, sizeof(*t));
	if (k->family == TCSEG_FAMILY_V6) {
		t->family = FLOW_FAMILY_V6;
		memcpy(t->saddr6, k->saddr.b, 16);
		memcpy(t->daddr6, k->daddr.b, 16);
	} else {
		t->saddr = k->saddr.v4;
		t->daddr = k->daddr.v4;
	}
	t->sport = ntohs(k->sport);
	t->dport = ntohs(k->dport);
}

void corr_key_from_tuple(const struct flow_tuple *t, struct corr_key *k)
{
	memset(k, 0, sizeof(*k));
	if (flow_is_v6(t)) {
		k->family = TCSEG_FAMILY_V6;
		memcpy(k->saddr.b, t->saddr6, 16);
		memcpy(k->daddr.b, t->daddr6, 16);
	} else {
		k->family = TCSEG_FAMILY_V4;
		k->saddr.v4 = t->saddr;
		k->daddr.v4 = t->daddr;
	}
	k->sport = htons(t->sport);
	k->dport = htons(t->dport);
}

static unsigned int hash_key(const struct corr_key *k)
{
	__u64 h = 0xcbf29ce484222325ull;
	const unsigned char *p = (const unsigned char *)k;
	size_t i;

	for (i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return (unsigned int)(h ^ (h >> 32));
}

static bool key_eq(const struct corr_key *a, const struct corr_key *b)
{
	return !memcmp(a, b, sizeof(*a));
}

struct corr_entry *corr_find(struct corr_table *t, const struct corr_key *k)
{
	unsigned int i, h = hash_key(k);

	for (i = 0; i < CORR_PROBE_MAX && i < t->cap; i++) {
		struct corr_entry *e = &t->e[(h + i) & (t->cap - 1)];

		if (e->used && e->flags && key_eq(&e->key, k))
			return e;
	}
	return NULL;
}

static void entry_reset(struct corr_entry *e, const struct corr_key *k,
			__u64 now)
{
	memset(e, 0, sizeof(*e));
	e->key = *k;
	e->created_ns = now;
	e->used = true;
}

/* Find or create; an expired entry in the probe run is reused. */
static struct corr_entry *get(struct corr_table *t, const struct corr_key *k,
			      __u64 now)
{
	struct corr_entry *e = corr_find(t, k), *free_slot = NULL;
	unsigned int i, h = hash_key(k);

	if (e)
		return e;
	for (i = 0; i < CORR_PROBE_MAX && i < t->cap; i++) {
		e = &t->e[(h + i) & (t->cap - 1)];
		if (!e->used) {
			free_slot = e;
			t->n++;
			break;
		}
		if (now - e->created_ns > t->ttl_ns) {
			free_slot = e;	/* expired: take it over */
			break;
		}
	}
	if (!free_slot)
		return NULL;
	entry_reset(free_slot, k, now);
	return free_slot;
}

struct corr_entry *corr_add_tc(struct corr_table *t,
			       const struct tcseg_event *ev, __u64 now)
{
	struct corr_entry *e;
	struct corr_key k;
	__u32 f;

	if (ev->type != TCSEG_EV_FLOW_ENCRYPT || ev->proto != 6)
		return NULL;
	corr_key_tc(ev, &k);
	e = get(t, &k, now);
	if (!e)
		return NULL;
	f = ev->dir == TCSEG_DIR_FROM_POD ? CORR_TC_FROM : CORR_TC_TO;
	/* a second flow event of a handed-off end: a new connection */
	if ((e->flags & f) &&
	    (e->flags & (f == CORR_TC_FROM ? CORR_CLIENT_GO : CORR_SERVER_GO)))
		entry_reset(e, &k, now);
	e->flags |= f;
	if (f == CORR_TC_FROM)
		e->ifindex_from = ev->ifindex;
	else
		e->ifindex_to = ev->ifindex;
	return e;
}

struct corr_entry *corr_add_sock(struct corr_table *t,
				 const struct tcseg_sock_event *ev, __u64 now)
{
	struct corr_entry *e;
	struct corr_key k;

	if (ev->type != TCSEG_SOCK_CONNECT && ev->type != TCSEG_SOCK_ACCEPT)
		return NULL;
	corr_key_sock(ev, &k);
	e = get(t, &k, now);
	if (!e)
		return NULL;
	if (ev->type == TCSEG_SOCK_CONNECT) {
		if (e->flags & CORR_CLIENT_GO)
			entry_reset(e, &k, now);
		e->flags |= CORR_CONNECT;
		e->connect = *ev;
	} else {
		if (e->flags & CORR_SERVER_GO)
			entry_reset(e, &k, now);
		e->flags |= CORR_ACCEPT;
		e->accept = *ev;
	}
	return e;
}

bool corr_client_ready(const struct corr_entry *e)
{
	if (!(e->flags & CORR_CONNECT) || (e->flags & CORR_CLIENT_GO) ||
	    (e->connect.flags & TCSEG_SOCK_F_FD_LATER))
		return false;
	return (e->connect.flags & (TCSEG_SOCK_F_HELD | TCSEG_SOCK_F_ENCRYPT)) ||
	       (e->flags & CORR_TC_FROM);
}

bool corr_server_ready(const struct corr_entry *e)
{
	if (!(e->flags & CORR_ACCEPT) || (e->flags & CORR_SERVER_GO) ||
	    (e->accept.flags & TCSEG_SOCK_F_FD_LATER))
		return false;
	return (e->accept.flags & (TCSEG_SOCK_F_HELD | TCSEG_SOCK_F_ENCRYPT)) ||
	       (e->flags & CORR_TC_TO);
}

void corr_del(struct corr_table *t, struct corr_entry *e)
{
	/*
	 * Open addressing without tombstones: a deleted slot keeps its
	 * place in probe runs by staying "used" but expired.
	 */
	(void)t;
	e->created_ns = 0;
	e->flags = 0;
	memset(&e->key, 0, sizeof(e->key));
}

unsigned int corr_expire(struct corr_table *t, __u64 now)
{
	unsigned int i, n = 0;

	for (i = 0; i < t->cap; i++) {
		struct corr_entry *e = &t->e[i];

		if (e->used && e->flags && now - e->created_ns > t->ttl_ns) {
			corr_del(t, e);
			n++;
		}
	}
	return n;
}
