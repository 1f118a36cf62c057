// SPDX-License-Identifier: GPL-2.0
/*
 * The rule language: words of one rule, consistency checks, canonical
 * formatting and policy files.
 *
 * Grammar (one rule; keywords in any order, each at most once):
 *
 *   rule   := word* "action" ACTION word*
 *   word   := "id" N | "dev" DEV | "from" CIDR | "to" CIDR
 *           | "sport" PORT | "dport" PORTS | "proto" PROTO | "audit"
 *           | "from" "pod" NS/NAME | "to" "pod" NS/NAME   (docs/POLICY.md)
 *   N      := decimal 1..4294967295 (omitted: 0 = "assign one")
 *   DEV    := interface name (<= 15 chars), resolved to an ifindex by the
 *             caller's resolver (none given: "dev" is an error)
 *   CIDR   := A.B.C.D | A.B.C.D/LEN   dotted quad, octets 0..255 without
 *             leading zeros, LEN 0..32
 *           | X:X::X | X:X::X/LEN    IPv6 (RFC 4291 text), LEN 0..128; no
 *             zone (%eth0), no v4-mapped address (::ffff:A.B.C.D)
 *             host bits beyond LEN are an error
 *   PORT   := decimal 1..65535 (at most 5 digits)
 *   PORTS  := PORT | PORT-PORT (first <= last, at most RULE_PORT_RANGE_MAX
 *             ports; "80-80" = 80)
 *   PROTO  := tcp | udp | icmp | icmpv6 | any
 *   ACTION := allow | deny | log | encrypt
 *
 * Omitted fields are wildcards (any address, any port, proto any, any
 * device). A rule is of one address family: "from" and "to" of different
 * families are an error naming the second word. A rule with no address is
 * of both families (family 0) unless its protocol has one (icmp: IPv4,
 * icmpv6: IPv6); icmp with IPv6 addresses, or icmpv6 with IPv4 ones, is
 * an error (docs/POLICY.md "IPv6"). Stored form (struct tcseg_rule):
 * addresses network order and masked, family 4, 6 or 0, ports host
 * order, proto 0 = any, TCSEG_RULE_F_AUDIT for "audit" (a deny by this
 * rule only logs).
 *
 * Consistency (rule_validate):
 *  - exact rule = from A/32, to B/32 (IPv6: /128), proto tcp|udp, sport
 *    and dport;
 *    exact rules go to the exact hash and beat every CIDR rule;
 *  - sport is only allowed in exact rules;
 *  - ports need proto tcp, udp or any; "proto any dport P" matches TCP
 *    and UDP to port P only;
 *  - encrypt needs proto tcp or any: only TCP flows can be handed to
 *    kTLS, so proto udp|icmp|icmpv6 is refused; under proto any the data path
 *    drops every non-TCP packet the rule matches (docs/POLICY.md).
 *
 * Policy files: one rule a line with the same words, '#' to the end of
 * the line is a comment, blank lines are ignored, lines are at most 4096
 * characters, at most 1,000,000 rules. The whole file is checked before
 * anything is returned; the first error reads "FILE:LINE: field: message".
 * Duplicate ids and two rules with the same match are errors naming both
 * lines.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>

#include "policy/rule.h"

#define RULE_FILE_MAX_LINE	4096
#define RULE_FILE_MAX_RULES	1000000
#define RULE_MAX_WORDS		32


enum word {
	W_ID, W_DEV, W_FROM, W_TO, W_SPORT, W_DPORT, W_PROTO, W_AUDIT,
	W_ACTION, W_MAX,
};

static const char *const word_names[W_MAX] = {
	[W_ID] = "id", [W_DEV] = "dev", [W_FROM] = "from", [W_TO] = "to",
	[W_SPORT] = "sport", [W_DPORT] = "dport", [W_PROTO] = "proto",
	[W_AUDIT] = "audit", [W_ACTION] = "action",
};

static int word_of(const char *s)
{
	int i;

	for (i = 0; i < W_MAX; i++)
		if (!strcmp(word_names[i], s))
			return i;
	return -1;
}

static int parse_dev(const char *name, struct tcseg_rule *r,
		     dev_resolver_fn resolve, void *arg, char *err,
		     size_t errlen)
{
	int ret;

	if (!*name || strlen(name) >= IFNAMSIZ)
		return tcseg_errf(err, errlen, -EINVAL,
			    "bad device name '%.32s': must be 1-%d characters",
			    name, IFNAMSIZ - 1);
	if (!resolve)
		return tcseg_errf(err, errlen, -EINVAL,
			    "device names cannot be used here ('%s')", name);
	ret = resolve(name, arg);
	if (ret == -ENODEV)
		return tcseg_errf(err, errlen, -EINVAL, "no such device '%s'", name);
	if (ret <= 0)
		return tcseg_errf(err, errlen, -EINVAL, "cannot resolve '%s': %s",
			    name, ret ? strerror(-ret) : "ifindex 0");
	r->ifindex = (__u32)ret;
	return 0;
}

/* "P" or "LO-HI" (docs/POLICY.md §Port ranges). */
static int parse_dport(const char *val, struct tcseg_rule *r, char *err,
		       size_t errlen)
{
	const char *dash = strchr(val, '-');
	char lo[8];
	__u16 hi;

	if (!dash)
		return parse_port(val, &r->dport, err, errlen);
	if ((size_t)(dash - val) >= sizeof(lo))
		return tcseg_errf(err, errlen, -EINVAL, "bad port range "
				  "'%.32s': expected LO-HI", val);
	memcpy(lo, val, (size_t)(dash - val));
	lo[dash - val] = 0;
	if (parse_port(lo, &r->dport, err, errlen) ||
	    parse_port(dash + 1, &hi, err, errlen))
		return -EINVAL;
	if (hi < r->dport)
		return tcseg_errf(err, errlen, -EINVAL, "bad port range '%s': "
				  "%u is above %u", val, r->dport, hi);
	if (hi - r->dport + 1 > RULE_PORT_RANGE_MAX)
		return tcseg_errf(err, errlen, -EINVAL, "port range '%s' has %u "
				  "ports, at most %u (one map entry each; no "
				  "dport = every port)", val, hi - r->dport + 1,
				  RULE_PORT_RANGE_MAX);
	r->dport_max = hi > r->dport ? hi : 0;
	return 0;
}

static const char *family_label(__u8 family)
{
	return family == TCSEG_FAMILY_V6 ? "IPv6" : "IPv4";
}

/* from/to: an address of the rule's family (the first one sets it). */
static int parse_rule_addr(const char *val, struct tcseg_rule *r,
			   union tcseg_addr *a, __u8 *plen, const char *other,
			   char *err, size_t errlen)
{
	__u8 fam;

	if (parse_addr(val, a, &fam, plen, err, errlen))
		return -EINVAL;
	if (r->family && r->family != fam)
		return tcseg_errf(err, errlen, -EINVAL,
			    "'%.64s' is %s but '%s' is %s: a rule is of one address family",
			    val, family_label(fam), other,
			    family_label(r->family));
	r->family = fam;
	return 0;
}

static int parse_value(int w, const char *val, struct tcseg_rule *r,
		       dev_resolver_fn resolve, void *arg, char *err,
		       size_t errlen)
{
	switch (w) {
	case W_ID:
		if (parse_u32(val, &r->id, err, errlen))
			return tcseg_errf(err, errlen, -EINVAL,
				    "bad number '%.32s': must be 1-4294967295",
				    val);
		if (!r->id)
			return tcseg_errf(err, errlen, -EINVAL,
				    "must be 1-4294967295");
		return 0;
	case W_DEV:
		return parse_dev(val, r, resolve, arg, err, errlen);
	case W_FROM:
		return parse_rule_addr(val, r, &r->saddr, &r->src_plen, "to",
				       err, errlen);
	case W_TO:
		return parse_rule_addr(val, r, &r->daddr, &r->dst_plen, "from",
				       err, errlen);
	case W_SPORT:
		return parse_port(val, &r->sport, err, errlen);
	case W_DPORT:
		return parse_dport(val, r, err, errlen);
	case W_PROTO:
		return parse_proto(val, &r->proto, err, errlen);
	case W_ACTION:
		return parse_action(val, &r->action, err, errlen);
	}
	return -EINVAL;
}

/* "from pod NS/NAME": argv[*i] is "pod"; the name follows. */
static int parse_pod_side(int w, int argc, char **argv, int *i,
			  struct rule_pod_sides *pods, char *err, size_t errlen)
{
	char sub[TCSEG_ERRLEN];
	char *dst = w == W_TO ? pods->to : pods->from;

	if (*i + 1 >= argc)
		return tcseg_errf(err, errlen, -EINVAL, "%s: pod: missing "
				  "NAMESPACE/NAME", word_names[w]);
	(*i)++;
	if (pod_ref_check(argv[*i], sub, sizeof(sub)))
		return tcseg_errf(err, errlen, -EINVAL, "%s: pod: %s",
				  word_names[w], sub);
	snprintf(dst, POD_REF_MAX + 1, "%s", argv[*i]);
	return 0;
}

int rule_parse_words(int argc, char **argv, struct tcseg_rule *r,
		     dev_resolver_fn resolve, void *arg, char *err,
		     size_t errlen)
{
	return rule_parse_words_pods(argc, argv, r, NULL, resolve, arg, err,
				     errlen);
}

int rule_parse_words_pods(int argc, char **argv, struct tcseg_rule *r,
			  struct rule_pod_sides *pods, dev_resolver_fn resolve,
			  void *arg, char *err, size_t errlen)
{
	char sub[TCSEG_ERRLEN];
	unsigned int seen = 0;
	int i, w;

	memset(r, 0, sizeof(*r));
	if (pods)
		memset(pods, 0, sizeof(*pods));
	for (i = 0; i < argc; i++) {
		w = word_of(argv[i]);
		if (w < 0)
			return tcseg_errf(err, errlen, -EINVAL, "unknown word '%.64s'",
				    argv[i]);
		if (seen & (1u << w))
			return tcseg_errf(err, errlen, -EINVAL,
				    "duplicate word '%s'", word_names[w]);
		seen |= 1u << w;
		if (w == W_AUDIT) {
			r->flags |= TCSEG_RULE_F_AUDIT;
			continue;
		}
		if (i + 1 >= argc)
			return tcseg_errf(err, errlen, -EINVAL, "%s: missing value",
				    word_names[w]);
		i++;
		if ((w == W_FROM || w == W_TO) && !strcmp(argv[i], "pod")) {
			if (!pods)
				return tcseg_errf(err, errlen, -EINVAL, "%s: pod "
						  "names cannot be used here",
						  word_names[w]);
			if (parse_pod_side(w, argc, argv, &i, pods, err, errlen))
				return -EINVAL;
			continue;
		}
		if (parse_value(w, argv[i], r, resolve, arg, sub, sizeof(sub)))
			return tcseg_errf(err, errlen, -EINVAL, "%s: %s",
				    word_names[w], sub);
	}
	if (!(seen & (1u << W_ACTION)))
		return tcseg_errf(err, errlen, -EINVAL, "missing action");
	if (pods && (pods->from[0] || pods->to[0]) && r->sport)
		return tcseg_errf(err, errlen, -EINVAL, "sport: not in a rule "
				  "that names a pod");
	return rule_validate(r, err, errlen);
}

/* Raw rules (from the map) get the parser's checks of an address. */
static int check_prefix(const char *field, __u8 family,
			const union tcseg_addr *a, __u8 plen, char *err,
			size_t errlen)
{
	int bits = family ? tcseg_family_bits(family) : 32;
	union tcseg_addr m = *a;

	if (family != TCSEG_FAMILY_V6 && (a->w[1] | a->w[2] | a->w[3]))
		return tcseg_errf(err, errlen, -EINVAL,
			    "%s: IPv4 address with bytes beyond the fourth set",
			    field);
	if (plen > bits)
		return tcseg_errf(err, errlen, -EINVAL,
			    "%s: prefix length %u out of range 0-%d", field,
			    plen, bits);
	tcseg_addr_mask(&m, plen);
	if (!tcseg_addr_eq(&m, a))
		return tcseg_errf(err, errlen, -EINVAL,
			    "%s: address has host bits set beyond /%u", field,
			    plen);
	if (family == TCSEG_FAMILY_V6 && plen >= 96 && tcseg_addr_v4_mapped(a))
		return tcseg_errf(err, errlen, -EINVAL,
			    "%s: v4-mapped IPv6 addresses never reach the data path",
			    field);
	return 0;
}

static int is_icmp(__u8 proto)
{
	return proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6;
}

int rule_validate(const struct tcseg_rule *r, char *err, size_t errlen)
{
	if (r->family != 0 && r->family != TCSEG_FAMILY_V4 &&
	    r->family != TCSEG_FAMILY_V6)
		return tcseg_errf(err, errlen, -EINVAL,
			    "family: bad address family %u", r->family);
	if (!r->family && (r->src_plen || r->dst_plen))
		return tcseg_errf(err, errlen, -EINVAL,
			    "family: a rule with an address needs its family");
	if (check_prefix("from", r->family, &r->saddr, r->src_plen, err,
			 errlen) ||
	    check_prefix("to", r->family, &r->daddr, r->dst_plen, err, errlen))
		return -EINVAL;
	if (r->proto != 0 && r->proto != IPPROTO_TCP &&
	    r->proto != IPPROTO_UDP && !is_icmp(r->proto))
		return tcseg_errf(err, errlen, -EINVAL,
			    "proto: bad protocol %u: expected tcp, udp, icmp, icmpv6 or any",
			    r->proto);
	if ((r->proto == IPPROTO_ICMP && r->family == TCSEG_FAMILY_V6) ||
	    (r->proto == IPPROTO_ICMPV6 && r->family == TCSEG_FAMILY_V4))
		return tcseg_errf(err, errlen, -EINVAL,
			    "proto: %s is not a protocol of %s (the rule's addresses): use %s",
			    proto_name(r->proto), family_label(r->family),
			    r->proto == IPPROTO_ICMP ? "icmpv6" : "icmp");
	if (r->action >= TCSEG_ACT_MAX)
		return tcseg_errf(err, errlen, -EINVAL, "action: bad action %u",
			    r->action);
	if (r->flags & ~TCSEG_RULE_F_AUDIT)
		return tcseg_errf(err, errlen, -EINVAL, "flags: unknown flags 0x%x",
			    r->flags & ~TCSEG_RULE_F_AUDIT);
	if (r->sport && !rule_is_exact(r))
		return tcseg_errf(err, errlen, -EINVAL,
			    "sport: only allowed in exact rules (from A/32 to B/32 proto tcp|udp sport P dport P; IPv6: /128)");
	if (r->dport_max && (!r->dport || r->dport_max <= r->dport ||
			     r->dport_max - r->dport + 1 > RULE_PORT_RANGE_MAX))
		return tcseg_errf(err, errlen, -EINVAL, "dport: bad port range "
				  "%u-%u (at most %u ports, first below last)",
				  r->dport, r->dport_max, RULE_PORT_RANGE_MAX);
	if (r->dport && is_icmp(r->proto))
		return tcseg_errf(err, errlen, -EINVAL,
			    "dport: ports need proto tcp, udp or any (%s has no ports)",
			    proto_name(r->proto));
	if (r->action == TCSEG_ACT_ENCRYPT && r->proto != 0 &&
	    r->proto != IPPROTO_TCP)
		return tcseg_errf(err, errlen, -EINVAL,
			    "action encrypt: only TCP flows can be encrypted, not %s (use proto tcp)",
			    proto_name(r->proto));
	return 0;
}

unsigned int rule_families(const struct tcseg_rule *r)
{
	if (r->family == TCSEG_FAMILY_V6 || r->proto == IPPROTO_ICMPV6)
		return RULE_FAM_V6;
	if (r->family == TCSEG_FAMILY_V4 || r->proto == IPPROTO_ICMP)
		return RULE_FAM_V4;
	return RULE_FAM_V4 | RULE_FAM_V6;	/* no address: both */
}

__u8 rule_fam_family(unsigned int bit)
{
	return bit == RULE_FAM_V6 ? TCSEG_FAMILY_V6 : TCSEG_FAMILY_V4;
}

int rule_is_exact(const struct tcseg_rule *r)
{
	int bits = tcseg_family_bits(r->family);

	return bits && r->src_plen == bits && r->dst_plen == bits &&
	       (r->proto == IPPROTO_TCP || r->proto == IPPROTO_UDP) &&
	       r->sport && r->dport;
}

#define CMP(x, y) do { if ((x) != (y)) return (x) < (y) ? -1 : 1; } while (0)

int rule_match_cmp(const struct tcseg_rule *a, const struct tcseg_rule *b)
{
	CMP(a->family, b->family);
	return rule_match_cmp_in(a, b);
}

int rule_match_cmp_in(const struct tcseg_rule *a, const struct tcseg_rule *b)
{
	int c;

	CMP(a->ifindex, b->ifindex);
	c = tcseg_addr_order(&a->saddr, &b->saddr);
	if (c)
		return c;
	CMP(a->src_plen, b->src_plen);
	c = tcseg_addr_order(&a->daddr, &b->daddr);
	if (c)
		return c;
	CMP(a->dst_plen, b->dst_plen);
	CMP(a->proto, b->proto);
	CMP(a->sport, b->sport);
	CMP(a->dport, b->dport);
	CMP(a->dport_max, b->dport_max);
	return 0;
}

int rule_same_match(const struct tcseg_rule *a, const struct tcseg_rule *b)
{
	return !rule_match_cmp(a, b);
}

int rule_overlaps(const struct tcseg_rule *a, const struct tcseg_rule *b)
{
	return (rule_families(a) & rule_families(b)) && !rule_match_cmp_in(a, b);
}

struct outbuf {
	char *p;
	size_t len;
	size_t off;
	int trunc;
};

static void out_add(struct outbuf *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void out_add(struct outbuf *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->trunc)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->p + o->off, o->len - o->off, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->len - o->off) {
		o->trunc = 1;
		return;
	}
	o->off += (size_t)n;
}

int rule_format(const struct tcseg_rule *r, const char *devname, char *buf,
		size_t len)
{
	struct outbuf o = { .p = buf, .len = len };
	char cidr[INET6_ADDRSTRLEN + 4];

	if (!len)
		return -ENOSPC;
	buf[0] = '\0';
	if (r->id)
		out_add(&o, "id %u ", r->id);
	if (r->ifindex && devname)
		out_add(&o, "dev %s ", devname);
	else if (r->ifindex)
		out_add(&o, "dev if%u ", r->ifindex);
	/* a family with no prefix at all: "from 0.0.0.0/0" keeps it */
	if (r->src_plen || (r->family && !r->dst_plen)) {
		format_prefix(&r->saddr, r->family, r->src_plen, cidr,
			      sizeof(cidr));
		out_add(&o, "from %s ", cidr);
	}
	if (r->dst_plen) {
		format_prefix(&r->daddr, r->family, r->dst_plen, cidr,
			      sizeof(cidr));
		out_add(&o, "to %s ", cidr);
	}
	if (r->proto)
		out_add(&o, "proto %s ", proto_name(r->proto));
	if (r->sport)
		out_add(&o, "sport %u ", r->sport);
	if (r->dport_max)
		out_add(&o, "dport %u-%u ", r->dport, r->dport_max);
	else if (r->dport)
		out_add(&o, "dport %u ", r->dport);
	if (r->flags & TCSEG_RULE_F_AUDIT)
		out_add(&o, "audit ");
	out_add(&o, "action %s", action_name(r->action));
	if (o.trunc) {
		buf[0] = '\0';
		return -ENOSPC;
	}
	return (int)o.off;
}

int rule_set_push(struct rule_set *s, const struct tcseg_rule *r)
{
	struct tcseg_rule *v;
	size_t cap;

	if (s->n == s->cap) {
		cap = s->cap ? s->cap * 2 : 64;
		if (cap > SIZE_MAX / sizeof(*v))
			return -ENOMEM;
		v = realloc(s->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = *r;
	return 0;
}

void rule_set_free(struct rule_set *s)
{
	free(s->v);
	s->v = NULL;
	s->n = 0;
	s->cap = 0;
}

/* ---- policy files ---- */

struct file_ctx {
	const char *path;
	FILE *f;
	unsigned int lineno;
	unsigned int *lines;	/* line of each rule, parallel to out->v */
	size_t lines_cap;
	struct rule_pod_sides *pods;	/* NULL: no pod words; else parallel */
	size_t pods_cap;
	int want_pods;
	char line[RULE_FILE_MAX_LINE + 1];
};

/*
 * One line into ctx->line, without its newline. Returns 1, 0 at the end
 * of the file, -E2BIG for an over-long line, -EILSEQ for a NUL byte,
 * -EIO for a read error.
 */
static int read_line(struct file_ctx *ctx)
{
	size_t n = 0;
	int c;

	/* fail at once: reading on could take forever (/dev/zero) */
	while ((c = getc_unlocked(ctx->f)) != EOF && c != '\n') {
		if (n == RULE_FILE_MAX_LINE)
			return -E2BIG;
		if (!c)
			return -EILSEQ;
		ctx->line[n++] = (char)c;
	}
	if (ferror(ctx->f))
		return -EIO;
	if (c == EOF && n == 0)
		return 0;
	ctx->line[n] = '\0';
	return 1;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Split in place; '#' ends the line. Returns the word count or -E2BIG. */
static int split_words(char *s, char **argv, int max)
{
	int argc = 0;

	for (;;) {
		while (is_space(*s))
			s++;
		if (!*s || *s == '#')
			return argc;
		if (argc == max)
			return -E2BIG;
		argv[argc++] = s;
		while (*s && !is_space(*s) && *s != '#')
			s++;
		if (*s == '#') {
			*s = '\0';
			return argc;
		}
		if (*s)
			*s++ = '\0';
	}
}

static int push_line(struct file_ctx *ctx, size_t n)
{
	unsigned int *v;
	size_t cap;

	if (n < ctx->lines_cap)
		return 0;
	cap = ctx->lines_cap ? ctx->lines_cap * 2 : 64;
	v = realloc(ctx->lines, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	ctx->lines = v;
	ctx->lines_cap = cap;
	return 0;
}

static int push_pods(struct file_ctx *ctx, size_t n,
		     const struct rule_pod_sides *ps)
{
	struct rule_pod_sides *v;
	size_t cap;

	if (n >= ctx->pods_cap) {
		cap = ctx->pods_cap ? ctx->pods_cap * 2 : 64;
		v = realloc(ctx->pods, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		ctx->pods = v;
		ctx->pods_cap = cap;
	}
	ctx->pods[n] = *ps;
	return 0;
}

static int read_rules(struct file_ctx *ctx, struct rule_set *out,
		      dev_resolver_fn resolve, void *arg, char *err,
		      size_t errlen)
{
	char *argv[RULE_MAX_WORDS], sub[TCSEG_ERRLEN];
	struct rule_pod_sides ps;
	struct tcseg_rule r;
	int ret, argc;

	while ((ret = read_line(ctx)) != 0) {
		ctx->lineno++;
		if (ret == -E2BIG)
			return tcseg_errf(err, errlen, -EINVAL,
				    "%s:%u: line longer than %d characters",
				    ctx->path, ctx->lineno, RULE_FILE_MAX_LINE);
		if (ret == -EILSEQ)
			return tcseg_errf(err, errlen, -EINVAL,
				    "%s:%u: NUL byte in line", ctx->path,
				    ctx->lineno);
		if (ret < 0)
			return tcseg_errf(err, errlen, -EIO, "%s: cannot read: %s",
				    ctx->path, strerror(errno));
		argc = split_words(ctx->line, argv, RULE_MAX_WORDS);
		if (argc < 0)
			return tcseg_errf(err, errlen, -EINVAL,
				    "%s:%u: too many words (max %d)", ctx->path,
				    ctx->lineno, RULE_MAX_WORDS);
		if (!argc)
			continue;
		if (rule_parse_words_pods(argc, argv, &r,
					  ctx->want_pods ? &ps : NULL, resolve,
					  arg, sub, sizeof(sub)))
			return tcseg_errf(err, errlen, -EINVAL, "%s:%u: %s",
				    ctx->path, ctx->lineno, sub);
		if (out->n == RULE_FILE_MAX_RULES)
			return tcseg_errf(err, errlen, -EINVAL,
				    "%s:%u: too many rules (max %d)", ctx->path,
				    ctx->lineno, RULE_FILE_MAX_RULES);
		if (push_line(ctx, out->n) ||
		    (ctx->want_pods && push_pods(ctx, out->n, &ps)) ||
		    rule_set_push(out, &r))
			return tcseg_errf(err, errlen, -ENOMEM, "%s: out of memory",
				    ctx->path);
		ctx->lines[out->n - 1] = ctx->lineno;
	}
	return 0;
}

struct dup_ctx {
	const struct tcseg_rule *v;
	const unsigned int *lines;
	const struct rule_pod_sides *pods;	/* NULL: none */
};

static int pods_cmp(const struct dup_ctx *d, size_t i, size_t j)
{
	int c;

	if (!d->pods)
		return 0;
	c = strcmp(d->pods[i].from, d->pods[j].from);
	return c ? c : strcmp(d->pods[i].to, d->pods[j].to);
}

static int cmp_id(const void *a, const void *b, void *arg)
{
	const struct dup_ctx *d = arg;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;

	CMP(d->v[i].id, d->v[j].id);
	CMP(d->lines[i], d->lines[j]);
	return 0;
}

/*
 * A rule in one of the families it compiles into: idx = rule index *
 * 2 + (family IPv6). Matches are compared per family, so "from
 * 0.0.0.0/0 dport 80" and "dport 80" are the same match (in IPv4).
 */
#define IDX_RULE(x)	((x) >> 1)
#define IDX_FAM(x)	((x) & 1)

static int cmp_match(const void *a, const void *b, void *arg)
{
	const struct dup_ctx *d = arg;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	size_t i = IDX_RULE(x), j = IDX_RULE(y);
	int c;

	CMP(IDX_FAM(x), IDX_FAM(y));
	c = rule_match_cmp_in(&d->v[i], &d->v[j]);
	if (!c)
		c = pods_cmp(d, i, j);
	if (c)
		return c;
	CMP(d->lines[i], d->lines[j]);
	return 0;
}

/*
 * Sort @idx with @cmp and find the duplicate that comes first in the file:
 * sets *@line / *@first to its line and its first occurrence's line.
 */
static void first_dup(size_t *idx, size_t n, struct dup_ctx *d,
		      int (*cmp)(const void *, const void *, void *),
		      int (*same)(const struct dup_ctx *, size_t, size_t),
		      size_t (*rule)(size_t), unsigned int *line,
		      unsigned int *first)
{
	size_t i, start = 0;

	qsort_r(idx, n, sizeof(*idx), cmp, d);
	for (i = 1; i < n; i++) {
		if (!same(d, idx[start], idx[i])) {
			start = i;
			continue;
		}
		if (!*line || d->lines[rule(idx[i])] < *line) {
			*line = d->lines[rule(idx[i])];
			*first = d->lines[rule(idx[start])];
		}
	}
}

static size_t idx_id(size_t x)
{
	return x;
}

static size_t idx_match(size_t x)
{
	return IDX_RULE(x);
}

static int same_id(const struct dup_ctx *d, size_t i, size_t j)
{
	return d->v[i].id == d->v[j].id;
}

static int same_match(const struct dup_ctx *d, size_t x, size_t y)
{
	return IDX_FAM(x) == IDX_FAM(y) &&
	       !rule_match_cmp_in(&d->v[IDX_RULE(x)], &d->v[IDX_RULE(y)]) &&
	       !pods_cmp(d, IDX_RULE(x), IDX_RULE(y));
}

static int check_dups(struct file_ctx *ctx, const struct rule_set *s,
		      char *err, size_t errlen)
{
	struct dup_ctx d = { .v = s->v, .lines = ctx->lines, .pods = ctx->pods };
	unsigned int id_line = 0, id_first = 0, m_line = 0, m_first = 0;
	size_t *idx, i, n = 0;
	__u32 id = 0;

	if (s->n < 2)
		return 0;
	idx = malloc(s->n * 2 * sizeof(*idx));
	if (!idx)
		return tcseg_errf(err, errlen, -ENOMEM, "%s: out of memory",
			    ctx->path);
	for (i = 0; i < s->n; i++)
		if (s->v[i].id)
			idx[n++] = i;
	first_dup(idx, n, &d, cmp_id, same_id, idx_id, &id_line, &id_first);
	for (i = 0; i < s->n; i++)
		if (s->v[i].id && ctx->lines[i] == id_line)
			id = s->v[i].id;
	/* the same match in one family (docs/POLICY.md "IPv6") */
	for (i = 0, n = 0; i < s->n; i++) {
		if (rule_families(&s->v[i]) & RULE_FAM_V4)
			idx[n++] = i * 2;
		if (rule_families(&s->v[i]) & RULE_FAM_V6)
			idx[n++] = i * 2 + 1;
	}
	first_dup(idx, n, &d, cmp_match, same_match, idx_match, &m_line,
		  &m_first);
	free(idx);
	if (id_line && (!m_line || id_line <= m_line))
		return tcseg_errf(err, errlen, -EINVAL,
			    "%s:%u: id: duplicate id %u (first on line %u)",
			    ctx->path, id_line, id, id_first);
	if (m_line)
		return tcseg_errf(err, errlen, -EINVAL,
			    "%s:%u: match: same match as the rule on line %u",
			    ctx->path, m_line, m_first);
	return 0;
}

int rules_read_file(const char *path, struct rule_set *out,
		    dev_resolver_fn resolve, void *arg, char *err,
		    size_t errlen)
{
	return rules_read_file_pods(path, out, NULL, resolve, arg, err, errlen);
}

int rules_read_file_pods(const char *path, struct rule_set *out,
			 struct rule_pod_sides **pods, dev_resolver_fn resolve,
			 void *arg, char *err, size_t errlen)
{
	struct file_ctx *ctx;
	int ret;

	memset(out, 0, sizeof(*out));
	if (pods)
		*pods = NULL;
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return tcseg_errf(err, errlen, -ENOMEM, "%s: out of memory", path);
	ctx->path = path;
	ctx->want_pods = pods != NULL;
	ctx->f = fopen(path, "r");
	if (!ctx->f) {
		ret = -errno;
		tcseg_errf(err, errlen, ret, "%s: cannot read: %s", path,
		     strerror(errno));
		goto out;
	}
	ret = read_rules(ctx, out, resolve, arg, err, errlen);
	if (!ret)
		ret = check_dups(ctx, out, err, errlen);
	fclose(ctx->f);
out:
	if (ret)
		rule_set_free(out);
	if (!ret && pods)
		*pods = ctx->pods;
	else
		free(ctx->pods);
	free(ctx->lines);
	free(ctx);
	return ret;
}
