// SPDX-License-Identifier: GPL-2.0
/*
 * Policy compiler: rule list -> exact hash, source class trie and CIDR
 * trie contents, plus two reference models of the data path's decision.
 *
 * Semantics. A flow (ifindex, saddr, daddr, sport, dport, proto) is
 * decided by
 *  1. an exact rule (from A/32 to B/32 proto tcp|udp sport P dport Q)
 *     with the flow's 5-tuple: one bound to the flow's device first, then
 *     one for every device;
 *  2. else the matching CIDR rule (every other rule) with the largest
 *     tcseg_rule_spec(): longest destination prefix, then longest source
 *     prefix, then one with a dport, then one with a protocol, then one
 *     with a device. Two rules with the same match are refused, and rules
 *     with different matches never tie on spec, so the winner is unique,
 *     except for port ranges: between rules equal but for their ports,
 *     the narrower range wins, then the lower id (exact rules too);
 *  3. else the defaults (not modelled here).
 * A CIDR rule matches when saddr is in its source prefix, daddr in its
 * destination prefix, its device is 0 or the flow's, its proto is 0 (any)
 * or the flow's, and its dport is 0 or the flow's (or its range
 * dport..dport_max holds it). A rule with a dport only matches TCP and
 * UDP flows ("proto any dport 53" = tcp or udp/53).
 *
 * Port ranges: the maps match ports exactly, so a range becomes one copy
 * of its rule per port (expand_ranges), each knowing its range's length,
 * and the copies go through everything below like single-port rules
 * (docs/POLICY.md §Port ranges).
 *
 * How the maps implement 2 (bpf/lib/policy.h). An LPM trie cannot match
 * two prefixes in one key, so the source side is resolved first:
 *  - every distinct (family, source prefix) of a CIDR rule, 0.0.0.0/0, and
 *    ::/0 when IPv6 has CIDR rules, becomes a source class; the src_class
 *    trie maps (family, saddr) to its longest class S. Each family is
 *    compiled on its own; a rule without addresses is compiled into both
 *    (rule_families(): icmp rules into IPv4 only, icmpv6 into IPv6);
 *  - every rule whose source prefix contains S is copied into S: one CIDR
 *    entry per protocol key (any = tcp, udp, icmp, other; any with a dport
 *    = tcp, udp), keyed (S, proto key, dport or 0, ifindex or 0, dst
 *    prefix). Any class containing saddr is contained in S, so exactly
 *    the rules matching the source are reachable from S;
 *  - the data path looks up (S, key(proto), dport) and (S, key(proto), 0),
 *    at ifindex 0 and, when any rule has a device, at the flow's ifindex,
 *    and keeps the largest spec. Inside one key the trie returns the
 *    longest destination prefix, which is the largest spec there.
 *  - Rules landing on one key (same S, proto key, dport, device and dst
 *    prefix) differ in source prefix or in having a protocol: the longer
 *    source prefix wins, then an explicit protocol, then the lower id,
 *    which is the order of spec; the entry carries the winner's spec.
 *
 * Cost and limits. With C classes, the CIDR map holds, for each class,
 * the rules whose source prefix contains it, times up to 4 protocol keys:
 * entries <= 4 * sum over classes of #rules containing it, at worst
 * 4 * C * N (N wildcard-source rules and C distinct source prefixes each
 * copy every wildcard rule). Rules with a wildcard source and many
 * distinct source prefixes are what multiply; @max_cidr (the map size)
 * bounds the result and the error says how many entries were needed.
 * Time: O(N log N) for the duplicate check and the classes, plus
 * O(C * 33 * log C) to find each class's ancestors (129 for IPv6), plus O(E log E) to
 * sort each class's entries (E entries in all). Memory: the output plus
 * one class's entries. 100k exact + 10k wildcard-source CIDR rules
 * compile in about 30 ms on the 2-core dev VM; 1M exact rules in about
 * 300 ms (bench/compile_bench.c).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "policy/compile.h"
#include "policy/rule.h"

/* Above this many entries before merging, do not even try to count. */
#define CIDR_HARD_MAX	(64u * 1024 * 1024)


#define CMP(x, y) do { if ((x) != (y)) return (x) < (y) ? -1 : 1; } while (0)

/* The families compiled, in map order. */
static const unsigned int fam_bits[] = { RULE_FAM_V4, RULE_FAM_V6 };
#define N_FAM	(sizeof(fam_bits) / sizeof(fam_bits[0]))

/* "rule 7", or "rule #3 (no id)" for rules not yet numbered. */
static const char *rule_label(const struct tcseg_rule *rules, size_t i,
			      char *buf, size_t len)
{
	if (rules[i].id)
		snprintf(buf, len, "rule %u", rules[i].id);
	else
		snprintf(buf, len, "rule #%zu (no id)", i + 1);
	return buf;
}

/* A non-exact rule in one of its families. */
struct nxrule {
	size_t rule;
	__u8 family;
};

struct cctx {
	const struct tcseg_rule *rules;
	size_t n;
	const __u16 *span;	/* NULL, or per rule: its port range's length - 1 */
	struct nxrule *nx;	/* by family, then source prefix */
	size_t n_nx;
	struct sclass *cls;	/* the same order */
	size_t n_cls;
};

struct sclass {
	union tcseg_addr net;
	__u8 family;
	__u8 plen;
	size_t start;		/* rules of this prefix: nx[start..+count) */
	size_t count;
	size_t keys;		/* CIDR entries those rules expand to */
};

struct centry {
	struct tcseg_cidr_key key;
	__u32 rule;
};

/* (family, match, id) order of rules in their families */
static int cmp_match_id(const void *a, const void *b, void *arg)
{
	const struct tcseg_rule *v = arg;
	const struct nxrule *x = a, *y = b;
	size_t i = x->rule, j = y->rule;
	int c;

	CMP(x->family, y->family);
	c = rule_match_cmp_in(&v[i], &v[j]);
	if (c)
		return c;
	CMP(v[i].id, v[j].id);
	CMP(i, j);
	return 0;
}

/* Every (rule, family) pair the rules compile into; returns how many. */
static size_t rule_fams(const struct tcseg_rule *rules, size_t n,
			struct nxrule *out, int exact)
{
	size_t i, m = 0, f;

	for (i = 0; i < n; i++) {
		if (exact >= 0 && rule_is_exact(&rules[i]) != exact)
			continue;
		for (f = 0; f < N_FAM; f++) {
			if (!(rule_families(&rules[i]) & fam_bits[f]))
				continue;
			out[m].rule = i;
			out[m].family = rule_fam_family(fam_bits[f]);
			m++;
		}
	}
	return m;
}

/* Rules with the same match in one family would tie: refused. */
static int check_rules(const struct tcseg_rule *rules, size_t n, char *err,
		       size_t errlen)
{
	char sub[TCSEG_ERRLEN], l1[32], l2[32];
	struct nxrule *idx;
	size_t i, m;
	int ret = 0;

	for (i = 0; i < n; i++) {
		if (rule_validate(&rules[i], sub, sizeof(sub)))
			return tcseg_errf(err, errlen, -EINVAL, "%s: %s",
				    rule_label(rules, i, l1, sizeof(l1)), sub);
	}
	if (n < 2)
		return 0;
	idx = malloc(n * N_FAM * sizeof(*idx));
	if (!idx)
		return tcseg_errf(err, errlen, -ENOMEM, "out of memory");
	m = rule_fams(rules, n, idx, -1);
	qsort_r(idx, m, sizeof(*idx), cmp_match_id, (void *)rules);
	for (i = 1; i < m; i++) {
		if (idx[i - 1].family == idx[i].family &&
		    !rule_match_cmp_in(&rules[idx[i - 1].rule],
				       &rules[idx[i].rule])) {
			ret = tcseg_errf(err, errlen, -EINVAL,
				   "%s has the same match as %s",
				   rule_label(rules, idx[i].rule, l1, sizeof(l1)),
				   rule_label(rules, idx[i - 1].rule, l2,
					      sizeof(l2)));
			break;
		}
	}
	free(idx);
	return ret;
}

static void verdict_of(const struct tcseg_rule *r, __u32 spec,
		       struct tcseg_verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->rule_id = r->id;
	v->slot = r->slot;
	v->spec = spec;
	v->action = r->action;
	v->flags = r->flags;
}

static __u32 cidr_spec(const struct tcseg_rule *r)
{
	return tcseg_rule_spec(r->dst_plen, r->src_plen, r->dport != 0,
			       r->proto != 0, r->ifindex != 0);
}

static __u16 span_of(const struct cctx *c, size_t i)
{
	return c->span ? c->span[i] : 0;
}

/* Two rules on one key: the narrower port range wins, then the lower id. */
static int cmp_narrower(const struct cctx *c, size_t i, size_t j)
{
	CMP(span_of(c, i), span_of(c, j));
	CMP(c->rules[i].id, c->rules[j].id);
	CMP(i, j);
	return 0;
}

struct eentry {
	struct tcseg_exact_key key;
	size_t rule;
};

static int cmp_eentry(const void *a, const void *b, void *arg)
{
	const struct eentry *x = a, *y = b;
	int c = memcmp(&x->key, &y->key, sizeof(x->key));

	return c ? c : cmp_narrower(arg, x->rule, y->rule);
}

/* One key per exact rule (per port of a range); one winner per key. */
static int compile_exact(const struct cctx *c, size_t n_exact,
			 struct compiled *out)
{
	const struct tcseg_rule *r;
	struct eentry *e;
	size_t i, j = 0, m;

	if (!n_exact)
		return 0;
	out->ekeys = calloc(n_exact, sizeof(*out->ekeys));
	out->evals = calloc(n_exact, sizeof(*out->evals));
	e = calloc(n_exact, sizeof(*e));
	if (!out->ekeys || !out->evals || !e) {
		free(e);
		return -ENOMEM;
	}
	for (i = 0; i < c->n; i++) {
		r = &c->rules[i];
		if (!rule_is_exact(r))
			continue;
		e[j].key.ifindex = r->ifindex;
		e[j].key.saddr = r->saddr;
		e[j].key.daddr = r->daddr;
		e[j].key.sport = htons(r->sport);
		e[j].key.dport = htons(r->dport);
		e[j].key.proto = r->proto;
		e[j].key.family = r->family;
		e[j++].rule = i;
	}
	/* overlapping ranges land on one key */
	if (c->span)
		qsort_r(e, j, sizeof(*e), cmp_eentry, (void *)c);
	for (i = 0, m = 0; i < j; i++) {
		if (m && !memcmp(&e[i].key, &out->ekeys[m - 1], sizeof(e[i].key)))
			continue;
		out->ekeys[m] = e[i].key;
		verdict_of(&c->rules[e[i].rule], UINT32_MAX, &out->evals[m++]);
	}
	free(e);
	out->n_exact = m;
	return 0;
}

/*
 * A copy of every rule per port of its range (docs/POLICY.md §Port
 * ranges): the maps match ports exactly. *@out stays NULL without
 * ranges; *@span gets each copy's range length - 1 (the narrower range
 * wins a shared key).
 */
static int expand_ranges(const struct tcseg_rule *rules, size_t n,
			 struct tcseg_rule **out, __u16 **span, size_t *nout)
{
	size_t i, m = 0, total = 0;
	__u32 p;

	*out = NULL;
	*span = NULL;
	*nout = n;
	for (i = 0; i < n; i++)
		total += rules[i].dport_max ?
			 (size_t)(rules[i].dport_max - rules[i].dport) + 1 : 1;
	if (total == n)
		return 0;
	*out = malloc(total * sizeof(**out));
	*span = malloc(total * sizeof(**span));
	if (!*out || !*span)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		p = rules[i].dport;
		do {
			(*out)[m] = rules[i];
			(*out)[m].dport = (__u16)p;
			(*out)[m].dport_max = 0;
			(*span)[m++] = rules[i].dport_max ?
				       rules[i].dport_max - rules[i].dport : 0;
		} while (++p <= rules[i].dport_max);
	}
	*nout = m;
	return 0;
}

/* The ICMP of a family: its protocol key in CIDR entries. */
static __u8 icmp_of(__u8 family)
{
	return family == TCSEG_FAMILY_V6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
}

/* Protocol keys of a CIDR rule in @family; returns how many (1, 2 or 4). */
static int proto_keys(const struct tcseg_rule *r, __u8 family, __u8 *pk)
{
	if (r->proto) {
		pk[0] = r->proto;
		return 1;
	}
	pk[0] = IPPROTO_TCP;
	pk[1] = IPPROTO_UDP;
	if (r->dport)
		return 2;
	pk[2] = icmp_of(family);
	pk[3] = TCSEG_PROTO_KEY_OTHER;
	return 4;
}

/* (family, source prefix length, source prefix) order */
static int cmp_class(__u8 fa, __u8 pa, const union tcseg_addr *na, __u8 fb,
		     __u8 pb, const union tcseg_addr *nb)
{
	CMP(fa, fb);
	CMP(pa, pb);
	return tcseg_addr_order(na, nb);
}

static int cmp_src(const void *a, const void *b, void *arg)
{
	const struct tcseg_rule *v = arg;
	const struct nxrule *x = a, *y = b;
	int c = cmp_class(x->family, v[x->rule].src_plen, &v[x->rule].saddr,
			  y->family, v[y->rule].src_plen, &v[y->rule].saddr);

	if (c)
		return c;
	CMP(x->rule, y->rule);
	return 0;
}

/*
 * Group the CIDR rules by family and source prefix. A family's 0/0 is a
 * class when the family has CIDR rules; IPv4's always is (as it always
 * was: a flow of a family without a class meets no CIDR rule either).
 */
static int build_classes(struct cctx *c)
{
	const struct tcseg_rule *r;
	struct sclass *s;
	size_t i = 0, f;
	__u8 pk[4], fam;

	c->nx = malloc((c->n ? c->n : 1) * N_FAM * sizeof(*c->nx));
	c->cls = calloc(c->n * N_FAM + N_FAM, sizeof(*c->cls));
	if (!c->nx || !c->cls)
		return -ENOMEM;
	c->n_nx = rule_fams(c->rules, c->n, c->nx, 0);
	qsort_r(c->nx, c->n_nx, sizeof(*c->nx), cmp_src, (void *)c->rules);
	for (f = 0; f < N_FAM; f++) {
		fam = rule_fam_family(fam_bits[f]);
		if (fam != TCSEG_FAMILY_V4 &&
		    (i == c->n_nx || c->nx[i].family != fam))
			continue;
		s = &c->cls[c->n_cls++];	/* 0/0, maybe empty */
		s->family = fam;
		s->start = i;
		for (; i < c->n_nx && c->nx[i].family == fam; i++) {
			r = &c->rules[c->nx[i].rule];
			if (r->src_plen && cmp_class(fam, s->plen, &s->net, fam,
						     r->src_plen, &r->saddr)) {
				s = &c->cls[c->n_cls++];
				s->family = fam;
				s->net = r->saddr;
				s->plen = r->src_plen;
				s->start = i;
			}
			s->count++;
			s->keys += (size_t)proto_keys(r, fam, pk);
		}
	}
	return 0;
}

static const struct sclass *find_class(const struct cctx *c, __u8 family,
				       const union tcseg_addr *net, __u8 plen)
{
	size_t lo = 0, hi = c->n_cls, mid;
	const struct sclass *s;
	int d;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		s = &c->cls[mid];
		d = cmp_class(s->family, s->plen, &s->net, family, plen, net);
		if (!d)
			return s;
		if (d < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Source classes containing @s (itself included), shortest first. */
static size_t ancestors(const struct cctx *c, const struct sclass *s,
			const struct sclass **anc)
{
	const struct sclass *a;
	union tcseg_addr net;
	size_t n = 0;
	int p;

	for (p = 0; p <= s->plen; p++) {
		net = s->net;
		tcseg_addr_mask(&net, (__u8)p);
		a = find_class(c, s->family, &net, (__u8)p);
		if (a && a->count)
			anc[n++] = a;
	}
	return n;
}

static int cmp_entry(const void *a, const void *b, void *arg)
{
	const struct centry *x = a, *y = b;
	const struct cctx *cc = arg;
	const struct tcseg_rule *rx = &cc->rules[x->rule];
	const struct tcseg_rule *ry = &cc->rules[y->rule];
	int c = memcmp(&x->key, &y->key, sizeof(x->key));

	if (c)
		return c;
	/* more specific first: longer source, a protocol, narrower port
	 * range, lower id */
	CMP(ry->src_plen, rx->src_plen);
	CMP(ry->proto != 0, rx->proto != 0);
	return cmp_narrower(cc, x->rule, y->rule);
}

/*
 * The entries of class @s into @buf, sorted and merged (one winner per
 * key). Returns how many remain.
 */
static size_t class_entries(const struct cctx *c, const struct sclass *s,
			    struct centry *buf)
{
	const struct sclass *anc[129];
	const struct tcseg_rule *r;
	size_t na, a, i, n = 0, m;
	__u8 pk[4];
	int k, nk;

	na = ancestors(c, s, anc);
	for (a = 0; a < na; a++) {
		for (i = anc[a]->start; i < anc[a]->start + anc[a]->count; i++) {
			r = &c->rules[c->nx[i].rule];
			nk = proto_keys(r, s->family, pk);
			for (k = 0; k < nk; k++) {
				buf[n].key = (struct tcseg_cidr_key){
					.prefixlen = TCSEG_CIDR_FIXED_BITS +
						     r->dst_plen,
					.family = s->family,
					.src_net = s->net,
					.src_plen = s->plen,
					.proto = pk[k],
					.dport = htons(r->dport),
					.ifindex = r->ifindex,
					.daddr = r->daddr,
				};
				buf[n].rule = (__u32)c->nx[i].rule;
				n++;
			}
		}
	}
	if (n < 2)
		return n;
	qsort_r(buf, n, sizeof(*buf), cmp_entry, (void *)c);
	for (i = 1, m = 1; i < n; i++)
		if (memcmp(&buf[i].key, &buf[m - 1].key, sizeof(buf[i].key)))
			buf[m++] = buf[i];
	return m;
}

/* Entries before merging: total and largest class. */
static size_t count_entries(const struct cctx *c, size_t *max_class)
{
	const struct sclass *anc[129];
	size_t i, a, na, per, total = 0;

	*max_class = 0;
	for (i = 0; i < c->n_cls; i++) {
		na = ancestors(c, &c->cls[i], anc);
		for (a = 0, per = 0; a < na; a++)
			per += anc[a]->keys;
		if (per > *max_class)
			*max_class = per;
		total += per;
	}
	return total;
}

/* Append @m merged entries at @n, as far as @cap allows. */
static void emit(const struct cctx *c, const struct centry *buf, size_t m,
		 struct compiled *out, size_t n, size_t cap)
{
	const struct tcseg_rule *r;
	size_t j;

	for (j = 0; j < m && n + j < cap; j++) {
		r = &c->rules[buf[j].rule];
		out->ckeys[n + j] = buf[j].key;
		verdict_of(r, cidr_spec(r), &out->cvals[n + j]);
	}
}

static int compile_cidr(struct cctx *c, size_t max_cidr, struct compiled *out,
			char *err, size_t errlen)
{
	size_t total, max_class, cap, i, m, n = 0;
	struct centry *buf;

	total = count_entries(c, &max_class);
	if (total > CIDR_HARD_MAX || (max_cidr && total / 64 > max_cidr))
		return tcseg_errf(err, errlen, -E2BIG,
			    "policy needs up to %zu CIDR entries (%zu rules over %zu source prefixes), the limit is %zu",
			    total, c->n_nx, c->n_cls,
			    max_cidr ? max_cidr : (size_t)CIDR_HARD_MAX);
	out->n_src = c->n_cls;
	out->skeys = calloc(c->n_cls, sizeof(*out->skeys));
	out->svals = calloc(c->n_cls, sizeof(*out->svals));
	cap = max_cidr && max_cidr < total ? max_cidr : total;
	out->ckeys = calloc(cap ? cap : 1, sizeof(*out->ckeys));
	out->cvals = calloc(cap ? cap : 1, sizeof(*out->cvals));
	buf = malloc((max_class ? max_class : 1) * sizeof(*buf));
	if (!out->skeys || !out->svals || !out->ckeys || !out->cvals || !buf) {
		free(buf);
		return tcseg_errf(err, errlen, -ENOMEM, "out of memory");
	}
	for (i = 0; i < c->n_cls; i++) {
		out->skeys[i].prefixlen = TCSEG_SRC_FIXED_BITS + c->cls[i].plen;
		out->skeys[i].family = c->cls[i].family;
		out->skeys[i].saddr = c->cls[i].net;
		out->svals[i].net = c->cls[i].net;
		out->svals[i].plen = c->cls[i].plen;
		m = class_entries(c, &c->cls[i], buf);
		emit(c, buf, m, out, n, cap);
		n += m;
	}
	free(buf);
	if (max_cidr && n > max_cidr)
		return tcseg_errf(err, errlen, -E2BIG,
			    "policy needs %zu CIDR entries (%zu rules over %zu source prefixes), the limit is %zu",
			    n, c->n_nx, c->n_cls, max_cidr);
	out->n_cidr = n;
	return 0;
}

int policy_compile(const struct tcseg_rule *rules, size_t n, size_t max_cidr,
		   struct compiled *out, char *err, size_t errlen)
{
	struct cctx c = { .rules = rules, .n = n };
	struct tcseg_rule *copies;
	__u16 *span;
	size_t i, n_exact = 0;
	int ret;

	memset(out, 0, sizeof(*out));
	if (n > UINT32_MAX)
		return tcseg_errf(err, errlen, -E2BIG, "too many rules (%zu)", n);
	ret = check_rules(rules, n, err, errlen);
	if (ret)
		return ret;
	ret = expand_ranges(rules, n, &copies, &span, &c.n);
	if (ret || c.n > UINT32_MAX) {
		free(copies);
		free(span);
		return tcseg_errf(err, errlen, ret ? ret : -E2BIG,
				  ret ? "out of memory" : "too many ports");
	}
	if (copies) {
		c.rules = copies;
		c.span = span;
	}
	for (i = 0; i < c.n; i++)
		n_exact += !!rule_is_exact(&c.rules[i]);
	for (i = 0; i < n; i++)
		out->dev_rules += rules[i].ifindex != 0;
	ret = compile_exact(&c, n_exact, out);
	if (ret) {
		tcseg_errf(err, errlen, ret, "out of memory");
		goto out;
	}
	ret = build_classes(&c);
	if (ret) {
		tcseg_errf(err, errlen, ret, "out of memory");
		goto out;
	}
	ret = compile_cidr(&c, max_cidr, out, err, errlen);
out:
	free(c.nx);
	free(c.cls);
	free(copies);
	free(span);
	if (ret)
		compiled_free(out);
	return ret;
}

void compiled_free(struct compiled *c)
{
	free(c->ekeys);
	free(c->evals);
	free(c->skeys);
	free(c->svals);
	free(c->ckeys);
	free(c->cvals);
	memset(c, 0, sizeof(*c));
}

/* ---- reference models ---- */

/* Do the first @bits bits of @a and @b agree (LPM trie semantics)? */
static int prefix_eq(const void *a, const void *b, __u32 bits)
{
	const __u8 *x = a, *y = b;
	__u32 full = bits / 8, rem = bits % 8;

	if (memcmp(x, y, full))
		return 0;
	return !rem || !((x[full] ^ y[full]) & (__u8)(0xff << (8 - rem)));
}

static const struct tcseg_verdict *exact_find(const struct compiled *c,
					      const struct tcseg_exact_key *k)
{
	size_t i;

	for (i = 0; i < c->n_exact; i++)
		if (!memcmp(&c->ekeys[i], k, sizeof(*k)))
			return &c->evals[i];
	return NULL;
}

static const struct tcseg_src_class *src_find(const struct compiled *c,
					      __u8 family,
					      const union tcseg_addr *saddr)
{
	const struct tcseg_src_key k = { .family = family, .saddr = *saddr };
	const size_t data = sizeof(k) - sizeof(k.prefixlen);
	const struct tcseg_src_class *best = NULL;
	__u32 best_len = 0;
	size_t i;

	for (i = 0; i < c->n_src; i++) {
		__u32 len = c->skeys[i].prefixlen;

		if (len > data * 8 || (best && len <= best_len))
			continue;
		if (prefix_eq(&c->skeys[i].family, &k.family, len)) {
			best = &c->svals[i];
			best_len = len;
		}
	}
	return best;
}

static const struct tcseg_verdict *better(const struct tcseg_verdict *a,
					  const struct tcseg_verdict *b)
{
	if (!a)
		return b;
	if (!b)
		return a;
	return b->spec > a->spec ? b : a;
}

static __u8 proto_key(__u8 family, __u8 proto)
{
	if (proto == IPPROTO_TCP || proto == IPPROTO_UDP ||
	    proto == icmp_of(family))
		return proto;
	return TCSEG_PROTO_KEY_OTHER;
}

/*
 * The up to four CIDR trie lookups of one flow ((dport, 0) x (ifindex 0,
 * the flow's)) in one pass over the entries: @k[i] finds @best[i], the
 * matching entry with the longest prefix (first one on a tie).
 */
static void cidr_find(const struct compiled *c,
		      const struct tcseg_cidr_key *k, int nk,
		      const struct tcseg_verdict **best)
{
	const size_t data = sizeof(*k) - sizeof(k->prefixlen);
	/* family, src_plen and proto are the same in every key */
	const __u32 common = 8 * (1 + 1 + 1);
	__u32 len, best_len[4] = { 0 };
	const struct tcseg_cidr_key *e;
	size_t i;
	int j;

	for (j = 0; j < nk; j++)
		best[j] = NULL;
	for (i = 0; i < c->n_cidr; i++) {
		e = &c->ckeys[i];
		len = e->prefixlen;
		if (len > data * 8 ||
		    !prefix_eq(&e->family, &k[0].family,
			       len < common ? len : common))
			continue;
		for (j = 0; j < nk; j++) {
			if ((best[j] && len <= best_len[j]) ||
			    !prefix_eq(&e->family, &k[j].family, len))
				continue;
			best[j] = &c->cvals[i];
			best_len[j] = len;
		}
	}
}

/* bpf/lib/policy.h cidr_lookup(): (dport, 0) at ifindex 0 [and the flow's] */
static const struct tcseg_verdict *
cidr_lookup(const struct compiled *c, const struct tcseg_src_class *sc,
	    __u32 ifindex, __u8 family, const union tcseg_addr *daddr,
	    __be16 dport, __u8 proto)
{
	const struct tcseg_verdict *found[4], *v[2] = { NULL, NULL };
	struct tcseg_cidr_key k[4];
	int nk = 0, j, dev[4];
	__u32 ifx;

	for (ifx = 0; ifx < 2; ifx++) {
		if (ifx && !c->dev_rules)
			break;
		dev[nk] = (int)ifx;
		k[nk] = (struct tcseg_cidr_key){
			.prefixlen = TCSEG_CIDR_FIXED_BITS + 128,
			.family = family,
			.src_net = sc->net,
			.src_plen = sc->plen,
			.proto = proto_key(family, proto),
			.dport = dport,
			.ifindex = ifx ? ifindex : 0,
			.daddr = *daddr,
		};
		/* ports only mean something for TCP and UDP */
		if (k[nk].proto == IPPROTO_TCP || k[nk].proto == IPPROTO_UDP) {
			k[nk + 1] = k[nk];
			dev[++nk] = (int)ifx;
		}
		k[nk++].dport = 0;
	}
	cidr_find(c, k, nk, found);
	/* same order of better() as the data path */
	for (j = 0; j < nk; j++)
		v[dev[j]] = better(v[dev[j]], found[j]);
	return better(v[0], v[1]);
}

static void set_verdict(struct model_verdict *out, __u32 id, __u8 action,
			int exact)
{
	out->found = 1;
	out->rule_id = id;
	out->action = action;
	out->exact = exact;
}

void compiled_lookup(const struct compiled *c, __u32 ifindex, __u8 family,
		     const union tcseg_addr *saddr,
		     const union tcseg_addr *daddr, __be16 sport,
		     __be16 dport, __u8 proto, struct model_verdict *out)
{
	struct tcseg_exact_key ek = {
		.ifindex = ifindex, .saddr = *saddr, .daddr = *daddr,
		.sport = sport, .dport = dport, .proto = proto,
		.family = family,
	};
	const struct tcseg_verdict *v = NULL;
	const struct tcseg_src_class *sc;

	memset(out, 0, sizeof(*out));
	if (c->dev_rules)
		v = exact_find(c, &ek);
	if (!v) {
		ek.ifindex = 0;
		v = exact_find(c, &ek);
	}
	if (v) {
		set_verdict(out, v->rule_id, v->action, 1);
		return;
	}
	sc = src_find(c, family, saddr);
	if (!sc)
		return;
	v = cidr_lookup(c, sc, ifindex, family, daddr, dport, proto);
	if (v)
		set_verdict(out, v->rule_id, v->action, 0);
}

/* @dport (network order) in the rule's port or range? */
static int port_in(const struct tcseg_rule *r, __be16 dport)
{
	__u16 p = ntohs(dport);

	return p >= r->dport && p <= (r->dport_max ? r->dport_max : r->dport);
}

/* The rule's port range length - 1 (0: one port or none). */
static __u16 rule_span(const struct tcseg_rule *r)
{
	return r->dport_max ? r->dport_max - r->dport : 0;
}

/* @r beats @best among matches of equal standing: narrower, lower id. */
static int narrower(const struct tcseg_rule *r, const struct tcseg_rule *best)
{
	if (rule_span(r) != rule_span(best))
		return rule_span(r) < rule_span(best);
	return r->id < best->id;
}

static int cidr_matches(const struct tcseg_rule *r, __u32 ifindex,
			__u8 family, const union tcseg_addr *saddr,
			const union tcseg_addr *daddr, __be16 dport,
			__u8 proto)
{
	int ported = proto == IPPROTO_TCP || proto == IPPROTO_UDP;
	unsigned int fam = family == TCSEG_FAMILY_V6 ? RULE_FAM_V6 :
			   family == TCSEG_FAMILY_V4 ? RULE_FAM_V4 : 0;

	if (!(rule_families(r) & fam))
		return 0;
	if (r->ifindex && r->ifindex != ifindex)
		return 0;
	if (r->proto && r->proto != proto)
		return 0;
	if (r->dport && (!ported || !port_in(r, dport)))
		return 0;
	return tcseg_addr_in_prefix(saddr, &r->saddr, r->src_plen) &&
	       tcseg_addr_in_prefix(daddr, &r->daddr, r->dst_plen);
}

void rules_lookup(const struct tcseg_rule *rules, size_t n, __u32 ifindex,
		  __u8 family, const union tcseg_addr *saddr,
		  const union tcseg_addr *daddr, __be16 sport, __be16 dport,
		  __u8 proto, struct model_verdict *out)
{
	const struct tcseg_rule *r, *dev = NULL, *any = NULL, *best = NULL;
	__u32 spec, best_spec = 0;
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < n; i++) {
		r = &rules[i];
		if (rule_is_exact(r)) {
			if (r->family != family ||
			    !tcseg_addr_eq(&r->saddr, saddr) ||
			    !tcseg_addr_eq(&r->daddr, daddr) ||
			    r->proto != proto || r->sport != ntohs(sport) ||
			    !port_in(r, dport))
				continue;
			if (ifindex && r->ifindex == ifindex &&
			    (!dev || narrower(r, dev)))
				dev = r;
			if (!r->ifindex && (!any || narrower(r, any)))
				any = r;
			continue;
		}
		if (!cidr_matches(r, ifindex, family, saddr, daddr, dport,
				  proto))
			continue;
		spec = cidr_spec(r);
		if (!best || spec > best_spec ||
		    (spec == best_spec && narrower(r, best))) {
			best = r;
			best_spec = spec;
		}
	}
	r = dev ? dev : any;
	if (r)
		set_verdict(out, r->id, r->action, 1);
	else if (best)
		set_verdict(out, best->id, best->action, 0);
}
