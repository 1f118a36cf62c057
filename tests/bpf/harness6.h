/* SPDX-License-Identifier: GPL-2.0 */
/*
 * IPv6 half of the data-plane test harness: specs for IPv6 packets,
 * sessions, exact and CIDR rules and address bindings in the
 * family-tagged layout tcctl writes (include/tcseg.h).
 */
#ifndef TCSEG_TEST_HARNESS6_H
#define TCSEG_TEST_HARNESS6_H

#include "harness.h"
#include "pkt6.h"

extern const struct tb_case cases_ipv6[];

/* The addresses the IPv6 cases use: POD6 < PEER6 as tcseg orders them. */
#define POD6	"fd00:1::2"
#define PEER6	"fd00:2::3"
#define OTHER6	"fd00:1::9"	/* another pod's address */

int tb_send6(struct tb *t, int dir, __u32 ifindex, const struct pkt6_spec *s);
int tb_sess6(struct tb *t, __u32 ifindex, const struct pkt6_spec *s,
	     struct tcseg_session *out);
int tb_exact6(struct tb *t, __u32 ifindex, const struct pkt6_spec *s,
	      __u8 action, __u32 id, __u8 flags);
/* A CIDR rule with IPv6 prefixes (NULL = ::/0), compiled like tcctl. */
int tb_rule6(struct tb *t, const struct tb_rule *r);
/* Bind @n IPv6 addresses to an attached device (its IPv4 ones stay). */
int tb_dev_bind6(struct tb *t, __u32 ifindex, const char *const *addrs, int n);

static inline struct pkt6_spec spec6(const char *src, const char *dst,
				     uint8_t proto, uint16_t sport,
				     uint16_t dport)
{
	struct pkt6_spec s = {
		.proto = proto, .sport = sport, .dport = dport, .seq = 1000,
	};

	pkt6_addr(s.saddr, src);
	pkt6_addr(s.daddr, dst);
	return s;
}

static inline struct pkt6_spec tcp6_spec(const char *src, uint16_t sport,
					 const char *dst, uint16_t dport,
					 uint8_t flags)
{
	struct pkt6_spec s = spec6(src, dst, IPPROTO_TCP, sport, dport);

	s.tcp_flags = flags;
	return s;
}

static inline struct pkt6_spec udp6_spec(const char *src, uint16_t sport,
					 const char *dst, uint16_t dport)
{
	struct pkt6_spec s = spec6(src, dst, IPPROTO_UDP, sport, dport);

	s.payload = 32;
	return s;
}

/* ICMPv6 echo request (128) or reply (129) with echo id @id. */
static inline struct pkt6_spec icmp6_spec(const char *src, const char *dst,
					  uint8_t type, uint16_t id)
{
	struct pkt6_spec s = spec6(src, dst, IPPROTO_ICMPV6, id, id);

	s.icmp_type = type;
	s.payload = 16;
	return s;
}

#endif
