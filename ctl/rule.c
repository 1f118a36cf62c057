// SPDX-License-Identifier: GPL-2.0
/*
 * The rule language: words of one rule, consistency checks, canonical
 * formatting and policy files.
 *
 * Grammar (one rule; keywords in any order, each at most once):
 *
 *   rule   := word* "action" ACTION word*
 *   word   := "id" N | "dev" DEV | "from" CIDR | "to" CIDR
 *           | "sport" PORT | "dport" PORT | "proto" PROTO | "audit"
 *   N      := decimal 1..4294967295 (omitted: 0 = "assign one")
 *   DEV    := interface name (<= 15 chars), resolved to an ifindex by the
 *             caller's resolver (none given: "dev" is an error)
 *   CIDR   := A.B.C.D | A.B.C.D/LEN   dotted quad, octets 0..255 without
 *             leading zeros, LEN 0..32; host bits beyond LEN are an error
 *   PORT   := decimal 1..65535 (at most 5 digits)
 *   PROTO  := tcp | udp | icmp | any
 *   ACTION := allow | deny | log | encrypt
 *
 * Omitted fields are wildcards (from/to 0.0.0.0/0, any port, proto any,
 * any device). Stored form (struct tcseg_rule): addresses network order
 * and masked, ports host order, proto 0 = any, TCSEG_RULE_F_AUDIT for
 * "audit" (a deny by this rule only logs).
 *
 * Consistency (rule_validate):
 *  - exact rule = from A/32, to B/32, proto tcp|udp, sport and dport;
 *    exact rules go to the exact hash and beat every CIDR rule;
 *  - sport is only allowed in exact rules;
 *  - ports need proto tcp, udp or any; "proto any dport P" matches TCP
 *    and UDP to port P only;
 *  - encrypt needs proto tcp or any: only TCP flows can be handed to
 *    kTLS, so proto udp|icmp is refused; under proto any the data path
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

#include "rule.h"

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
		r->family = TCSEG_FAMILY_V4;
		return parse_cidr(val, &r->saddr.v4, &r->src_plen, err, errlen);
	case W_TO:
		r->family = TCSEG_FAMILY_V4;
		return parse_cidr(val, &r->daddr.v4, &r->dst_plen, err, errlen);
	case W_SPORT:
		return parse_port(val, &r->sport, err, errlen);
	case W_DPORT:
		return parse_port(val, &r->dport, err, errlen);
	case W_PROTO:
		return parse_proto(val, &r->proto, err, errlen);
	case W_ACTION:
		return parse_action(val, &r->action, err, errlen);
	}
	return -EINVAL;
}

int rule_parse_words(int argc, char **argv, struct tcseg_rule *r,
		     dev_resolver_fn resolve, void *arg, char *err,
		     size_t errlen)
{
	char sub[TCSEG_ERRLEN];
	unsigned int seen = 0;
	int i, w;

	memset(r, 0, sizeof(*r));
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
		if (parse_value(w, argv[i], r, resolve, arg, sub, sizeof(sub)))
			return tcseg_errf(err, errlen, -EINVAL, "%s: %s",
				    word_names[w], sub);
	}
	if (!(seen & (1u << W_ACTION)))
		return tcseg_errf(err, errlen, -EINVAL, "missing action");
	return rule_validate(r, err, errlen);
}

static __u32 mask_of(__u8 plen)
{
	return plen ? htonl(~0u << (32 - plen)) : 0;
}

static int check_prefix(const char *field, const union tcseg_addr *a,
			__u8 plen, char *err, size_t errlen)
{
	__be32 addr = a->v4;

	if (a->w[1] | a->w[2] | a->w[3])
		return tcseg_errf(err, errlen, -EINVAL,
			    "%s: IPv4 address with bytes beyond the fourth set",
			    field);
	if (plen > 32)
		return tcseg_errf(err, errlen, -EINVAL,
			    "%s: prefix length %u out of range 0-32", field,
			    plen);
	if (addr & ~mask_of(plen))
		return tcseg_errf(err, errlen, -EINVAL,
			    "%s: address has host bits set beyond /%u", field,
			    plen);
	return 0;
}

int rule_validate(const struct tcseg_rule *r, char *err, size_t errlen)
{
	if (r->family != 0 && r->family != TCSEG_FAMILY_V4)
		return tcseg_errf(err, errlen, -EINVAL,
			    "family: bad address family %u", r->family);
	if (!r->family && (r->src_plen || r->dst_plen))
		return tcseg_errf(err, errlen, -EINVAL,
			    "family: a rule with an address needs its family");
	if (check_prefix("from", &r->saddr, r->src_plen, err, errlen) ||
	    check_prefix("to", &r->daddr, r->dst_plen, err, errlen))
		return -EINVAL;
	if (r->proto != 0 && r->proto != IPPROTO_TCP &&
	    r->proto != IPPROTO_UDP && r->proto != IPPROTO_ICMP)
		return tcseg_errf(err, errlen, -EINVAL,
			    "proto: bad protocol %u: expected tcp, udp, icmp or any",
			    r->proto);
	if (r->action >= TCSEG_ACT_MAX)
		return tcseg_errf(err, errlen, -EINVAL, "action: bad action %u",
			    r->action);
	if (r->flags & ~TCSEG_RULE_F_AUDIT)
		return tcseg_errf(err, errlen, -EINVAL, "flags: unknown flags 0x%x",
			    r->flags & ~TCSEG_RULE_F_AUDIT);
	if (r->sport && !rule_is_exact(r))
		return tcseg_errf(err, errlen, -EINVAL,
			    "sport: only allowed in exact rules (from A/32 to B/32 proto tcp|udp sport P dport P)");
	if (r->dport && r->proto == IPPROTO_ICMP)
		return tcseg_errf(err, errlen, -EINVAL,
			    "dport: ports need proto tcp, udp or any (icmp has no ports)");
	if (r->action == TCSEG_ACT_ENCRYPT && r->proto != 0 &&
	    r->proto != IPPROTO_TCP)
		return tcseg_errf(err, errlen, -EINVAL,
			    "action encrypt: only TCP flows can be encrypted, not %s (use proto tcp)",
			    proto_name(r->proto));
	return 0;
}

unsigned int rule_families(const struct tcseg_rule *r)
{
	if (r->family == TCSEG_FAMILY_V6)
		return RULE_FAM_V6;
	return RULE_FAM_V4;
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
	if (r->dport)
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

static int read_rules(struct file_ctx *ctx, struct rule_set *out,
		      dev_resolver_fn resolve, void *arg, char *err,
		      size_t errlen)
{
	char *argv[RULE_MAX_WORDS], sub[TCSEG_ERRLEN];
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
		if (rule_parse_words(argc, argv, &r, resolve, arg, sub,
				     sizeof(sub)))
			return tcseg_errf(err, errlen, -EINVAL, "%s:%u: %s",
				    ctx->path, ctx->lineno, sub);
		if (out->n == RULE_FILE_MAX_RULES)
			return tcseg_errf(err, errlen, -EINVAL,
				    "%s:%u: too many rules (max %d)", ctx->path,
				    ctx->lineno, RULE_FILE_MAX_RULES);
		if (push_line(ctx, out->n) || rule_set_push(out, &r))
			return tcseg_errf(err, errlen, -ENOMEM, "%s: out of memory",
				    ctx->path);
		ctx->lines[out->n - 1] = ctx->lineno;
	}
	return 0;
}

struct dup_ctx {
	const struct tcseg_rule *v;
	const unsigned int *lines;
};

static int cmp_id(const void *a, const void *b, void *arg)
{
	const struct dup_ctx *d = arg;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;

	CMP(d->v[i].id, d->v[j].id);
	CMP(d->lines[i], d->lines[j]);
	return 0;
}

static int cmp_match(const void *a, const void *b, void *arg)
{
	const struct dup_ctx *d = arg;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	int c = rule_match_cmp(&d->v[i], &d->v[j]);

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
		      int (*same)(const struct tcseg_rule *,
				  const struct tcseg_rule *),
		      unsigned int *line, unsigned int *first)
{
	size_t i, start = 0;

	qsort_r(idx, n, sizeof(*idx), cmp, d);
	for (i = 1; i < n; i++) {
		if (!same(&d->v[idx[start]], &d->v[idx[i]])) {
			start = i;
			continue;
		}
		if (!*line || d->lines[idx[i]] < *line) {
			*line = d->lines[idx[i]];
			*first = d->lines[idx[start]];
		}
	}
}

static int same_id(const struct tcseg_rule *a, const struct tcseg_rule *b)
{
	return a->id == b->id;
}

static int check_dups(struct file_ctx *ctx, const struct rule_set *s,
		      char *err, size_t errlen)
{
	struct dup_ctx d = { .v = s->v, .lines = ctx->lines };
	unsigned int id_line = 0, id_first = 0, m_line = 0, m_first = 0;
	size_t *idx, i, n = 0;
	__u32 id = 0;

	if (s->n < 2)
		return 0;
	idx = malloc(s->n * sizeof(*idx));
	if (!idx)
		return tcseg_errf(err, errlen, -ENOMEM, "%s: out of memory",
			    ctx->path);
	for (i = 0; i < s->n; i++)
		if (s->v[i].id)
			idx[n++] = i;
	first_dup(idx, n, &d, cmp_id, same_id, &id_line, &id_first);
	for (i = 0; i < s->n; i++)
		if (s->v[i].id && ctx->lines[i] == id_line)
			id = s->v[i].id;
	for (i = 0; i < s->n; i++)
		idx[i] = i;
	first_dup(idx, s->n, &d, cmp_match, rule_same_match, &m_line,
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
	struct file_ctx *ctx;
	int ret;

	memset(out, 0, sizeof(*out));
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return tcseg_errf(err, errlen, -ENOMEM, "%s: out of memory", path);
	ctx->path = path;
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
	free(ctx->lines);
	free(ctx);
	return ret;
}
