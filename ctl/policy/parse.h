/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Parsers for single values of the policy language (CLI words and policy
 * file fields). Each returns 0, or -EINVAL with a message in @err that
 * names the offending value, e.g. "bad port '70000': must be 1-65535".
 */
#ifndef TCSEG_PARSE_H
#define TCSEG_PARSE_H

#include <stddef.h>
#include <linux/types.h>
#include "tcseg.h"

#define TCSEG_ERRLEN 256

/* Format into @err (if any) and return @ret: `return tcseg_errf(...)`. */
int tcseg_errf(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* "A.B.C.D" (= /32) or "A.B.C.D/N"; host bits set are an error. */
int parse_cidr(const char *s, __be32 *addr, __u8 *plen, char *err,
	       size_t errlen);
/* 1..65535, decimal only; returns host order. */
int parse_port(const char *s, __u16 *port, char *err, size_t errlen);
/* tcp | udp | icmp | icmpv6 | any (any = 0). */
int parse_proto(const char *s, __u8 *proto, char *err, size_t errlen);
/* allow | deny | log | encrypt -> enum tcseg_action. */
int parse_action(const char *s, __u8 *action, char *err, size_t errlen);
/* allow | deny only (defaults). */
int parse_default_action(const char *s, __u8 *action, char *err,
			 size_t errlen);
/* Decimal 0..UINT32_MAX, no sign, no trailing junk. */
int parse_u32(const char *s, __u32 *v, char *err, size_t errlen);

/*
 * An IPv4 or IPv6 address (docs/POLICY.md "IPv6"): dotted quad or
 * RFC 4291 text, with "/N" when @plen is not NULL (N = 0..32 or 0..128;
 * none = the full length). Host bits set, a zone ("%eth0"), a v4-mapped
 * address (::ffff:a.b.c.d, the data path never sees one) and anything
 * else are -EINVAL. *@family = TCSEG_FAMILY_V4 or _V6; IPv4 sits in
 * @a->v4 with the other words zero.
 */
int tcseg_addr_parse(const char *s, union tcseg_addr *a, __u8 *family,
		     __u8 *plen);
/* The same, with a message naming the value in @err. */
int parse_addr(const char *s, union tcseg_addr *a, __u8 *family, __u8 *plen,
	       char *err, size_t errlen);
/* inet_ntop() by family into @buf ("?" for another family); returns @buf. */
const char *tcseg_addr_str(const union tcseg_addr *a, __u8 family, char *buf,
			   size_t len);
/* "A/N" into @buf, the bare address when N is the family's full length. */
void format_prefix(const union tcseg_addr *a, __u8 family, __u8 plen,
		   char *buf, size_t len);
/* Bits of an address of @family (32 or 128; 0 for another family). */
int tcseg_family_bits(__u8 family);
/* Zero every bit of @a beyond the first @plen. */
void tcseg_addr_mask(union tcseg_addr *a, __u8 plen);
/* Is @a inside @net/@plen? */
int tcseg_addr_in_prefix(const union tcseg_addr *a,
			 const union tcseg_addr *net, __u8 plen);
/* Is @a in ::ffff:0:0/96 (v4-mapped, RFC 4291 2.5.5.2)? */
int tcseg_addr_v4_mapped(const union tcseg_addr *a);
/* Numeric order of two addresses (-1, 0, 1). */
int tcseg_addr_order(const union tcseg_addr *a, const union tcseg_addr *b);

/* A pod's IPv4 addresses from elsewhere (tcsegd's pod map): at most @max,
 * each a unicast host address (not 0/8, 127/8, multicast, reserved or
 * broadcast), no duplicates; -EINVAL with a message naming the bad one. */
int check_addr_list(const __be32 *a, int n, int max, char *err,
		    size_t errlen);

/*
 * A pod's own addresses, "A[,B...]" of both families (tcctl attach DEV
 * addr): at most TCSEG_DEV_MAX_ADDRS4 IPv4 and TCSEG_DEV_MAX_ADDRS6 IPv6
 * addresses, each a unicast host address (IPv6: not ::/96, not
 * multicast; link-local fe80::/10 is fine), no duplicates, no prefix
 * length, no zone. Returns 0, or -EINVAL with a message naming the bad
 * one (@out untouched then).
 */
struct addr_set {
	int n4, n6;
	__be32 a4[TCSEG_DEV_MAX_ADDRS4];
	union tcseg_addr a6[TCSEG_DEV_MAX_ADDRS6];
};
int parse_addr_set(const char *s, struct addr_set *out, char *err,
		   size_t errlen);
/* The same checks for a set from elsewhere. */
int check_addr_set(const struct addr_set *as, char *err, size_t errlen);
/* "A,B,X::1" (IPv4 first) into @buf; @none when the set is empty. */
#define TCSEG_ADDR_SET_STRLEN	(TCSEG_DEV_MAX_ADDRS4 * 16 + \
				 TCSEG_DEV_MAX_ADDRS6 * 46 + 8)
void format_addr_set(const struct addr_set *as, const char *none, char *buf,
		     size_t len);

const char *action_name(__u8 action);	/* "allow", ... or "?" */
const char *proto_name(__u8 proto);	/* "tcp", "udp", "icmp", "any", or number */

/* "A.B.C.D/N" into @buf (bare address when N = 32). */
void format_cidr(__be32 addr, __u8 plen, char *buf, size_t len);

#endif
