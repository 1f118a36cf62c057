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

#define TCSEG_ERRLEN 256

/* Format into @err (if any) and return @ret: `return tcseg_errf(...)`. */
int tcseg_errf(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* "A.B.C.D" (= /32) or "A.B.C.D/N"; host bits set are an error. */
int parse_cidr(const char *s, __be32 *addr, __u8 *plen, char *err,
	       size_t errlen);
/* 1..65535, decimal only; returns host order. */
int parse_port(const char *s, __u16 *port, char *err, size_t errlen);
/* tcp | udp | icmp | any (any = 0). */
int parse_proto(const char *s, __u8 *proto, char *err, size_t errlen);
/* allow | deny | log | encrypt -> enum tcseg_action. */
int parse_action(const char *s, __u8 *action, char *err, size_t errlen);
/* allow | deny only (defaults). */
int parse_default_action(const char *s, __u8 *action, char *err,
			 size_t errlen);
/* Decimal 0..UINT32_MAX, no sign, no trailing junk. */
int parse_u32(const char *s, __u32 *v, char *err, size_t errlen);

/*
 * A pod's own addresses, "A.B.C.D[,A.B.C.D...]": at most @max, each a
 * unicast host address (not 0/8, 127/8, multicast, reserved or
 * broadcast), no duplicates. Returns how many were stored in @out, or
 * -EINVAL with a message naming the bad one (@out untouched then).
 */
int parse_addr_list(const char *s, __be32 *out, int max, char *err,
		    size_t errlen);
/* The same checks for addresses from elsewhere (tcsegd's pod map). */
int check_addr_list(const __be32 *a, int n, int max, char *err,
		    size_t errlen);

const char *action_name(__u8 action);	/* "allow", ... or "?" */
const char *proto_name(__u8 proto);	/* "tcp", "udp", "icmp", "any", or number */

/* "A.B.C.D/N" into @buf (bare address when N = 32). */
void format_cidr(__be32 addr, __u8 plen, char *buf, size_t len);
/* "A.B.C.D,A.B.C.D" into @buf; @none when @n is 0. */
void format_addr_list(const __be32 *a, int n, const char *none, char *buf,
		      size_t len);

#endif
