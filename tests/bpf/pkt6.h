/* SPDX-License-Identifier: GPL-2.0 */
/*
 * PKTGEN for IPv6: Ethernet frames carrying IPv6 with a chain of
 * extension headers (hop-by-hop, destination options, routing, fragment,
 * AH) and TCP, UDP or ICMPv6 (echo, errors quoting a packet, neighbour
 * discovery, MLD). Builders write into a caller buffer (PKT_MAX) and
 * return the frame length.
 */
#ifndef TCSEG_TEST_PKT6_H
#define TCSEG_TEST_PKT6_H

#include "pkt.h"

#define PKT6_HOP	0
#define PKT6_ROUTING	43
#define PKT6_FRAGMENT	44
#define PKT6_AUTH	51
#define PKT6_NONE	59
#define PKT6_DEST	60
#define PKT6_MAX_EXT	12

/* One IPv6 packet. Ports, ids host order; addresses as bytes. */
struct pkt6_spec {
	uint8_t saddr[16];
	uint8_t daddr[16];
	uint8_t proto;		/* upper layer: TCP, UDP, ICMPv6, other */
	uint16_t sport;
	uint16_t dport;
	uint8_t tcp_flags;
	uint32_t seq;
	uint32_t ack;
	uint16_t payload;	/* L4 payload bytes (zero filled) */
	uint8_t hop_limit;	/* 0 = 64 */
	uint8_t icmp_type;	/* ICMPv6: echo id = sport */
	uint8_t icmp_code;
	uint8_t nd_target[16];	/* NS/NA: target address */
	uint8_t ext[PKT6_MAX_EXT];	/* extension headers, in order */
	uint8_t n_ext;
	uint8_t rt_segleft;	/* a routing header's segments left */
	uint16_t frag_off;	/* a fragment header: offset, 8-byte units */
	uint8_t frag_more;
	uint32_t frag_id;
	uint8_t no_l4;		/* later fragment: no L4 header */
};

static inline void pkt6_addr(uint8_t *a, const char *s)
{
	if (inet_pton(AF_INET6, s, a) != 1)
		memset(a, 0, 16);
}

/* TCP and UDP headers are the same as over IPv4: pkt.h builds them. */
static inline struct pkt_spec pkt6_l4_spec(const struct pkt6_spec *s)
{
	struct pkt_spec v4 = {
		.proto = s->proto, .sport = s->sport, .dport = s->dport,
		.tcp_flags = s->tcp_flags, .seq = s->seq, .ack = s->ack,
		.payload = s->payload, .no_l4 = s->no_l4,
	};

	return v4;
}

/* L4 header length of the spec (0 for a later fragment). */
static inline size_t pkt6_l4_hlen(const struct pkt6_spec *s)
{
	struct pkt_spec v4 = pkt6_l4_spec(s);

	if (s->no_l4 || s->proto != IPPROTO_ICMPV6)
		return pkt_l4_hlen(&v4);
	return s->icmp_type == 135 || s->icmp_type == 136 ? 24 : 8;
}

static inline size_t pkt6_l4(uint8_t *l4, const struct pkt6_spec *s)
{
	struct pkt_spec v4 = pkt6_l4_spec(s);
	size_t n = pkt6_l4_hlen(s);

	if (s->no_l4 || s->proto != IPPROTO_ICMPV6)
		return pkt_l4(l4, &v4);
	memset(l4, 0, n);
	l4[0] = s->icmp_type;
	l4[1] = s->icmp_code;
	if (n == 24)
		memcpy(l4 + 8, s->nd_target, 16);	/* NS/NA target */
	else
		pkt_put16(l4 + 4, s->sport);		/* echo id */
	return n;
}

/* One extension header of type @t at @h, next header @nh; its length. */
static inline size_t pkt6_ext(uint8_t *h, uint8_t t, uint8_t nh,
			      const struct pkt6_spec *s)
{
	switch (t) {
	case PKT6_FRAGMENT:
		memset(h, 0, 8);
		h[0] = nh;
		pkt_put16(h + 2, (s->frag_off << 3) | !!s->frag_more);
		pkt_put32(h + 4, s->frag_id);
		return 8;
	case PKT6_ROUTING:		/* segment routing, one segment */
		memset(h, 0, 24);
		h[0] = nh;
		h[1] = 2;
		h[2] = 4;
		h[3] = s->rt_segleft;
		memcpy(h + 8, s->daddr, 16);
		return 24;
	case PKT6_AUTH:			/* (4 + 2) * 4 bytes */
		memset(h, 0, 24);
		h[0] = nh;
		h[1] = 4;
		return 24;
	default:			/* hop-by-hop, dest options: PadN */
		memset(h, 0, 8);
		h[0] = nh;
		h[2] = 1;
		h[3] = 4;
		return 8;
	}
}

/* The IPv6 header and extension headers for @l4len bytes after them. */
static inline size_t pkt6_hdrs(uint8_t *ip, const struct pkt6_spec *s,
			       size_t l4len)
{
	size_t off = 40;
	int i;

	memset(ip, 0, 40);
	ip[0] = 0x60;
	ip[6] = s->n_ext ? s->ext[0] : s->proto;
	ip[7] = s->hop_limit ? s->hop_limit : 64;
	memcpy(ip + 8, s->saddr, 16);
	memcpy(ip + 24, s->daddr, 16);
	for (i = 0; i < s->n_ext && i < PKT6_MAX_EXT; i++)
		off += pkt6_ext(ip + off, s->ext[i],
				i + 1 < s->n_ext ? s->ext[i + 1] : s->proto, s);
	pkt_put16(ip + 4, off - 40 + l4len);
	return off;
}

static inline size_t pkt6_build(uint8_t *b, const struct pkt6_spec *s)
{
	size_t off = pkt_eth(b, 0x86dd);
	size_t l4len = pkt6_l4_hlen(s) + s->payload;
	size_t h = pkt6_hdrs(b + off, s, l4len);

	memset(b + off + h, 0, l4len);
	pkt6_l4(b + off + h, s);
	return off + h + l4len;
}

/*
 * ICMPv6 error (@type/@code) from @from to @to quoting @inner as its
 * sender sent it (fixed header and 8 bytes of L4), then @extra zero
 * bytes (a longer quote, or data smuggled in the error).
 */
static inline size_t pkt6_icmp_error(uint8_t *b, const uint8_t *from,
				     const uint8_t *to, uint8_t type,
				     const struct pkt6_spec *inner,
				     size_t extra)
{
	struct pkt6_spec o = { .proto = IPPROTO_ICMPV6, .icmp_type = type };
	struct pkt6_spec q = *inner;
	size_t off = pkt_eth(b, 0x86dd), h, qlen;
	uint8_t *l4, ql4[24];

	memcpy(o.saddr, from, 16);
	memcpy(o.daddr, to, 16);
	q.n_ext = 0;
	if (extra > PKT_MAX - (PKT_ETH_HLEN + 40 + 8 + 48))
		extra = PKT_MAX - (PKT_ETH_HLEN + 40 + 8 + 48);
	qlen = 48 + extra;
	h = pkt6_hdrs(b + off, &o, 8 + qlen);
	l4 = b + off + h;
	memset(l4, 0, 8 + qlen);
	l4[0] = type;
	pkt6_hdrs(l4 + 8, &q, pkt6_l4_hlen(&q) + q.payload);
	pkt6_l4(ql4, &q);
	memcpy(l4 + 48, ql4, 8);
	return off + h + 8 + qlen;
}

#endif
