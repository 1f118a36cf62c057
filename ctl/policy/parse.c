// SPDX-License-Identifier: GPL-2.0
/*
 * Parsers for single values of the policy language. Strict on purpose:
 * a policy typo must be an error, never a silently different rule.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "tcseg.h"
#include "policy/parse.h"

/* Longest part of a hostile value quoted back in a message. */
#define QUOTE_MAX 64

/* "bad WHAT 'VALUE': EXPECT", the value cut to QUOTE_MAX characters. */
int tcseg_errf(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

static int bad(char *err, size_t errlen, const char *what, const char *val,
	       const char *expect)
{
	if (err && errlen)
		snprintf(err, errlen, "bad %s '%.*s%s': %s", what, QUOTE_MAX,
			 val, strlen(val) > QUOTE_MAX ? "..." : "", expect);
	return -EINVAL;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * 1..@maxdig decimal digits, no leading zero (octal ambiguity), value
 * <= @max. Returns the number of characters used, 0 when none fit.
 */
static size_t strict_dec(const char *s, size_t maxdig, unsigned long max,
			 unsigned long *v)
{
	size_t i = 0;

	*v = 0;
	while (is_digit(s[i])) {
		if (i == maxdig)
			return 0;
		*v = *v * 10 + (unsigned long)(s[i] - '0');
		i++;
	}
	if (i == 0 || (i > 1 && s[0] == '0') || *v > max)
		return 0;
	return i;
}

static __u32 plen_mask(__u8 plen)
{
	return plen ? ~0u << (32 - plen) : 0;
}

int parse_cidr(const char *s, __be32 *addr, __u8 *plen, char *err,
	       size_t errlen)
{
	const char *p = s;
	unsigned long oct, bits = 32;
	__u32 host = 0;
	size_t n;
	int i;

	for (i = 0; i < 4; i++) {
		n = strict_dec(p, 3, 255, &oct);
		if (!n)
			goto bad_addr;
		host = host << 8 | (__u32)oct;
		p += n;
		if (i < 3 && *p++ != '.')
			goto bad_addr;
	}
	if (*p == '/') {
		p++;
		n = strict_dec(p, 2, 32, &bits);
		if (!n || p[n])
			return bad(err, errlen, "prefix length in", s,
				   "must be 0-32");
		p += n;
	}
	if (*p)
		goto bad_addr;
	if (host & ~plen_mask((__u8)bits)) {
		char net[INET_ADDRSTRLEN];
		struct in_addr in = { .s_addr = htonl(host & plen_mask((__u8)bits)) };

		inet_ntop(AF_INET, &in, net, sizeof(net));
		if (err && errlen)
			snprintf(err, errlen,
				 "%s: host bits set (did you mean %s/%lu?)",
				 s, net, bits);
		return -EINVAL;
	}
	*addr = htonl(host);
	*plen = (__u8)bits;
	return 0;

bad_addr:
	return bad(err, errlen, "address", s, "expected A.B.C.D or A.B.C.D/N");
}

int tcseg_family_bits(__u8 family)
{
	return family == TCSEG_FAMILY_V4 ? 32 : family == TCSEG_FAMILY_V6 ? 128 : 0;
}

void tcseg_addr_mask(union tcseg_addr *a, __u8 plen)
{
	unsigned int i;

	for (i = 0; i < sizeof(a->b); i++) {
		if (plen >= 8 * (i + 1))
			continue;
		a->b[i] &= plen > 8 * i ? (__u8)(0xff << (8 * (i + 1) - plen)) : 0;
	}
}

int tcseg_addr_in_prefix(const union tcseg_addr *a,
			 const union tcseg_addr *net, __u8 plen)
{
	union tcseg_addr m = *a;

	tcseg_addr_mask(&m, plen);
	return !memcmp(&m, net, sizeof(m));
}

int tcseg_addr_order(const union tcseg_addr *a, const union tcseg_addr *b)
{
	int c = memcmp(a->b, b->b, sizeof(a->b));

	return (c > 0) - (c < 0);
}

int tcseg_addr_v4_mapped(const union tcseg_addr *a)
{
	static const __u8 pfx[12] = { [10] = 0xff, [11] = 0xff };

	return !memcmp(a->b, pfx, sizeof(pfx));
}

static int parse_v6(const char *s, union tcseg_addr *a, __u8 *plen,
		    char *err, size_t errlen)
{
	char text[INET6_ADDRSTRLEN], net[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	size_t len = slash ? (size_t)(slash - s) : strlen(s), i, n;
	unsigned long bits = 128;
	union tcseg_addr m;

	if (memchr(s, '%', len))
		return bad(err, errlen, "address", s,
			   "a zone (%...) is not allowed: give the address alone");
	if (len >= sizeof(text))
		goto bad_addr;
	for (i = 0; i < len; i++)
		if (!strchr("0123456789abcdefABCDEF:.", s[i]))
			goto bad_addr;
	memcpy(text, s, len);
	text[len] = '\0';
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET6, text, a->b) != 1)
		goto bad_addr;
	if (slash) {
		if (!plen)
			return bad(err, errlen, "address", s,
				   "a prefix length is not allowed here");
		n = strict_dec(slash + 1, 3, 128, &bits);
		if (!n || slash[1 + n])
			return bad(err, errlen, "prefix length in", s,
				   "must be 0-128");
	}
	if (bits >= 96 && tcseg_addr_v4_mapped(a))
		return bad(err, errlen, "address", s,
			   "v4-mapped IPv6 addresses (::ffff:a.b.c.d) never reach the data path: write the IPv4 address");
	m = *a;
	tcseg_addr_mask(&m, (__u8)bits);
	if (memcmp(&m, a, sizeof(m))) {
		inet_ntop(AF_INET6, m.b, net, sizeof(net));
		return tcseg_errf(err, errlen, -EINVAL,
				  "%.64s: host bits set (did you mean %s/%lu?)",
				  s, net, bits);
	}
	if (plen)
		*plen = (__u8)bits;
	return 0;

bad_addr:
	return bad(err, errlen, "address", s,
		   "expected an IPv4 or IPv6 address (A.B.C.D, X:X::X), optionally /N");
}

int parse_addr(const char *s, union tcseg_addr *a, __u8 *family, __u8 *plen,
	       char *err, size_t errlen)
{
	union tcseg_addr v = { .w = { 0 } };
	__u8 p = 32;

	if (strchr(s, ':')) {
		if (parse_v6(s, &v, plen ? &p : NULL, err, errlen))
			return -EINVAL;
		*family = TCSEG_FAMILY_V6;
	} else {
		if (!plen && strchr(s, '/'))
			return bad(err, errlen, "address", s,
				   "a prefix length is not allowed here");
		if (parse_cidr(s, &v.v4, &p, err, errlen))
			return -EINVAL;
		*family = TCSEG_FAMILY_V4;
	}
	*a = v;
	if (plen)
		*plen = p;
	return 0;
}

int tcseg_addr_parse(const char *s, union tcseg_addr *a, __u8 *family,
		     __u8 *plen)
{
	return parse_addr(s, a, family, plen, NULL, 0);
}

const char *tcseg_addr_str(const union tcseg_addr *a, __u8 family, char *buf,
			   size_t len)
{
	if (!len)
		return buf;
	if ((family != TCSEG_FAMILY_V4 && family != TCSEG_FAMILY_V6) ||
	    !inet_ntop(family == TCSEG_FAMILY_V4 ? AF_INET : AF_INET6,
		       family == TCSEG_FAMILY_V4 ? (const void *)&a->v4 :
						   (const void *)a->b,
		       buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

void format_prefix(const union tcseg_addr *a, __u8 family, __u8 plen,
		   char *buf, size_t len)
{
	char s[INET6_ADDRSTRLEN];

	if (!len)
		return;
	tcseg_addr_str(a, family, s, sizeof(s));
	if (plen == tcseg_family_bits(family))
		snprintf(buf, len, "%s", s);
	else
		snprintf(buf, len, "%s/%u", s, plen);
}

/* 0/8, 127/8, 224/4 (multicast), 240/4 (reserved, broadcast) */
static int unicast_host(__be32 a)
{
	__u32 h = ntohl(a);

	return (h >> 24) != 0 && (h >> 24) != 127 && h < 0xe0000000u;
}

int check_addr_list(const __be32 *a, int n, int max, char *err,
		    size_t errlen)
{
	char s[INET_ADDRSTRLEN];
	int i, j;

	if (n < 0 || n > max)
		return tcseg_errf(err, errlen, -EINVAL,
				  "too many addresses (%d, at most %d)", n, max);
	for (i = 0; i < n; i++) {
		format_cidr(a[i], 32, s, sizeof(s));
		if (!unicast_host(a[i]))
			return tcseg_errf(err, errlen, -EINVAL,
					  "%s is not a unicast host address", s);
		for (j = 0; j < i; j++)
			if (a[j] == a[i])
				return tcseg_errf(err, errlen, -EINVAL,
						  "duplicate address %s", s);
	}
	return 0;
}

/* ::/96 (unspecified, loopback, IPv4-compatible) and ff00::/8 (multicast) */
static int unicast_host6(const union tcseg_addr *a)
{
	return (a->w[0] | a->w[1] | a->w[2]) && a->b[0] != 0xff;
}

int check_addr_set(const struct addr_set *as, char *err, size_t errlen)
{
	char s[INET6_ADDRSTRLEN];
	int i, j;

	if (check_addr_list(as->a4, as->n4, TCSEG_DEV_MAX_ADDRS4, err, errlen))
		return -EINVAL;
	if (as->n6 < 0 || as->n6 > TCSEG_DEV_MAX_ADDRS6)
		return tcseg_errf(err, errlen, -EINVAL,
				  "too many IPv6 addresses (%d, at most %d)",
				  as->n6, TCSEG_DEV_MAX_ADDRS6);
	for (i = 0; i < as->n6; i++) {
		tcseg_addr_str(&as->a6[i], TCSEG_FAMILY_V6, s, sizeof(s));
		if (!unicast_host6(&as->a6[i]))
			return tcseg_errf(err, errlen, -EINVAL,
					  "%s is not a unicast host address", s);
		for (j = 0; j < i; j++)
			if (tcseg_addr_eq(&as->a6[j], &as->a6[i]))
				return tcseg_errf(err, errlen, -EINVAL,
						  "duplicate address %s", s);
	}
	return 0;
}

/* One address of a list into @as; -EINVAL names it (or the limit). */
static int addr_set_add(struct addr_set *as, const char *p, size_t len,
			char *err, size_t errlen)
{
	char one[INET6_ADDRSTRLEN];
	union tcseg_addr a;
	__u8 fam;

	if (len >= sizeof(one))
		return tcseg_errf(err, errlen, -EINVAL,
				  "bad address '%.*s...': too long",
				  (int)(len > QUOTE_MAX ? QUOTE_MAX : len), p);
	memcpy(one, p, len);
	one[len] = '\0';
	if (parse_addr(one, &a, &fam, NULL, err, errlen))
		return -EINVAL;
	if (fam == TCSEG_FAMILY_V4) {
		if (as->n4 == TCSEG_DEV_MAX_ADDRS4)
			return tcseg_errf(err, errlen, -EINVAL,
					  "too many IPv4 addresses (at most %d)",
					  TCSEG_DEV_MAX_ADDRS4);
		as->a4[as->n4++] = a.v4;
		return 0;
	}
	if (as->n6 == TCSEG_DEV_MAX_ADDRS6)
		return tcseg_errf(err, errlen, -EINVAL,
				  "too many IPv6 addresses (at most %d)",
				  TCSEG_DEV_MAX_ADDRS6);
	as->a6[as->n6++] = a;
	return 0;
}

int parse_addr_set(const char *s, struct addr_set *out, char *err,
		   size_t errlen)
{
	struct addr_set as;
	const char *p = s, *end;
	size_t len;

	memset(&as, 0, sizeof(as));
	for (;;) {
		end = strchr(p, ',');
		len = end ? (size_t)(end - p) : strlen(p);
		if (addr_set_add(&as, p, len, err, errlen))
			return -EINVAL;
		if (!end)
			break;
		p = end + 1;
	}
	if (check_addr_set(&as, err, errlen))
		return -EINVAL;
	*out = as;
	return 0;
}

int parse_port(const char *s, __u16 *port, char *err, size_t errlen)
{
	unsigned long v = 0;
	size_t i;

	for (i = 0; is_digit(s[i]) && i < 5; i++)
		v = v * 10 + (unsigned long)(s[i] - '0');
	if (i == 0 || s[i] || v < 1 || v > 65535)
		return bad(err, errlen, "port", s, "must be 1-65535");
	*port = (__u16)v;
	return 0;
}

struct name_val {
	const char *name;
	__u8 val;
};

static const struct name_val protos[] = {
	{ "tcp", IPPROTO_TCP },
	{ "udp", IPPROTO_UDP },
	{ "icmp", IPPROTO_ICMP },
	{ "icmpv6", IPPROTO_ICMPV6 },
	{ "any", 0 },
};

static const struct name_val actions[] = {
	{ "allow", TCSEG_ACT_ALLOW },
	{ "deny", TCSEG_ACT_DENY },
	{ "log", TCSEG_ACT_LOG },
	{ "encrypt", TCSEG_ACT_ENCRYPT },
};

static int lookup_name(const struct name_val *t, size_t n, const char *s,
		       __u8 *v)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!strcmp(t[i].name, s)) {
			*v = t[i].val;
			return 0;
		}
	}
	return -EINVAL;
}

int parse_proto(const char *s, __u8 *proto, char *err, size_t errlen)
{
	if (!lookup_name(protos, sizeof(protos) / sizeof(protos[0]), s, proto))
		return 0;
	return bad(err, errlen, "protocol", s, "expected tcp, udp, icmp, icmpv6 or any");
}

int parse_action(const char *s, __u8 *action, char *err, size_t errlen)
{
	if (!lookup_name(actions, sizeof(actions) / sizeof(actions[0]), s,
			 action))
		return 0;
	return bad(err, errlen, "action", s,
		   "expected allow, deny, log or encrypt");
}

int parse_default_action(const char *s, __u8 *action, char *err,
			 size_t errlen)
{
	if (!strcmp(s, "allow")) {
		*action = TCSEG_ACT_ALLOW;
		return 0;
	}
	if (!strcmp(s, "deny")) {
		*action = TCSEG_ACT_DENY;
		return 0;
	}
	return bad(err, errlen, "default action", s, "expected allow or deny");
}

int parse_u32(const char *s, __u32 *v, char *err, size_t errlen)
{
	uint64_t acc = 0;
	size_t i;

	for (i = 0; is_digit(s[i]); i++) {
		acc = acc * 10 + (uint64_t)(s[i] - '0');
		if (acc > UINT32_MAX)
			break;
	}
	if (i == 0 || s[i])
		return bad(err, errlen, "number", s, "expected 0-4294967295");
	*v = (__u32)acc;
	return 0;
}

const char *action_name(__u8 action)
{
	size_t i;

	for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (actions[i].val == action)
			return actions[i].name;
	return "?";
}

const char *proto_name(__u8 proto)
{
	static __thread char num[4];
	size_t i;

	for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (protos[i].val == proto)
			return protos[i].name;
	snprintf(num, sizeof(num), "%u", proto);
	return num;
}

void format_cidr(__be32 addr, __u8 plen, char *buf, size_t len)
{
	char a[INET_ADDRSTRLEN];
	struct in_addr in = { .s_addr = addr };

	if (!len)
		return;
	inet_ntop(AF_INET, &in, a, sizeof(a));
	if (plen == 32)
		snprintf(buf, len, "%s", a);
	else
		snprintf(buf, len, "%s/%u", a, plen);
}

void format_addr_set(const struct addr_set *as, const char *none, char *buf,
		     size_t len)
{
	char one[INET6_ADDRSTRLEN];
	size_t used = 0;
	int i;

	if (!len)
		return;
	snprintf(buf, len, "%s", as->n4 + as->n6 ? "" : none);
	for (i = 0; i < as->n4 + as->n6 && used < len; i++) {
		if (i < as->n4)
			format_cidr(as->a4[i], 32, one, sizeof(one));
		else
			tcseg_addr_str(&as->a6[i - as->n4], TCSEG_FAMILY_V6,
				       one, sizeof(one));
		used += snprintf(buf + used, len - used, "%s%s", i ? "," : "",
				 one);
	}
}
