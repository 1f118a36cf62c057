/* SPDX-License-Identifier: GPL-2.0 */
/*
 * PKTGEN for the data-plane tests: Ethernet frames carrying IPv4 (with
 * options and fragments) and TCP, UDP or ICMP, plus ARP frames (IPv6:
 * pkt6.h).
 * Builders write into a caller buffer and return the frame length.
 */
#ifndef TCSEG_TEST_PKT_H
#define TCSEG_TEST_PKT_H

#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/types.h>

#define PKT_MAX		1600
#define PKT_ETH_HLEN	14

#define PKT_FIN		0x01
#define PKT_SYN		0x02
#define PKT_RST		0x04
#define PKT_PSH		0x08
#define PKT_ACK		0x10

#define PKT_IP_MF	0x2000

/* One IPv4 packet. Ports and ids are host order; addresses network. */
struct pkt_spec {
	__be32 saddr;
	__be32 daddr;
	uint8_t proto;
	uint16_t sport;
	uint16_t dport;
	uint8_t tcp_flags;
	uint32_t seq;
	uint32_t ack;
	uint16_t payload;	/* L4 payload bytes (zero filled) */
	uint8_t ip_optlen;	/* bytes of IP options, multiple of 4, <= 40 */
	uint16_t frag;		/* frag_off field: IP_MF | offset in 8 bytes */
	uint16_t ip_id;
	uint8_t icmp_type;	/* ICMP: type/code, echo id = sport */
	uint8_t icmp_code;
	uint8_t no_l4;		/* later fragment: no L4 header */
};

static inline __be32 pkt_ip(const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return 0;
	return a.s_addr;
}

static inline void pkt_put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static inline void pkt_put32(uint8_t *p, uint32_t v)
{
	pkt_put16(p, v >> 16);
	pkt_put16(p + 2, v & 0xffff);
}

static inline uint16_t pkt_csum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (p[i] << 8) | p[i + 1];
	if (len & 1)
		sum += p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

static inline size_t pkt_eth(uint8_t *b, uint16_t ethertype)
{
	static const uint8_t dst[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	static const uint8_t src[6] = { 0x02, 0, 0, 0, 0, 0x02 };

	memcpy(b, dst, 6);
	memcpy(b + 6, src, 6);
	pkt_put16(b + 12, ethertype);
	return PKT_ETH_HLEN;
}

/* L4 header length the spec asks for (0 for a later fragment). */
static inline size_t pkt_l4_hlen(const struct pkt_spec *s)
{
	if (s->no_l4)
		return 0;
	switch (s->proto) {
	case IPPROTO_TCP:
		return 20;
	case IPPROTO_UDP:
	case IPPROTO_ICMP:
		return 8;
	default:
		return 0;
	}
}

static inline size_t pkt_l4(uint8_t *l4, const struct pkt_spec *s)
{
	switch (s->no_l4 ? 0 : s->proto) {
	case IPPROTO_TCP:
		pkt_put16(l4, s->sport);
		pkt_put16(l4 + 2, s->dport);
		pkt_put32(l4 + 4, s->seq);
		pkt_put32(l4 + 8, s->ack);
		l4[12] = 5 << 4;
		l4[13] = s->tcp_flags;
		pkt_put16(l4 + 14, 65535);
		return 20;
	case IPPROTO_UDP:
		pkt_put16(l4, s->sport);
		pkt_put16(l4 + 2, s->dport);
		pkt_put16(l4 + 4, 8 + s->payload);
		return 8;
	case IPPROTO_ICMP:
		l4[0] = s->icmp_type;
		l4[1] = s->icmp_code;
		pkt_put16(l4 + 4, s->sport);	/* echo id */
		pkt_put16(l4 + 6, 1);		/* echo sequence */
		return 8;
	default:
		return 0;
	}
}

/* IPv4 header (+options) at @ip for @l4len bytes of L4; returns ihl bytes. */
static inline size_t pkt_ipv4_hdr(uint8_t *ip, const struct pkt_spec *s,
				  size_t l4len)
{
	size_t ihl = 20 + s->ip_optlen;

	memset(ip, 0, ihl);
	ip[0] = 0x40 | (ihl / 4);
	pkt_put16(ip + 2, ihl + l4len);
	pkt_put16(ip + 4, s->ip_id);
	pkt_put16(ip + 6, s->frag);
	ip[8] = 64;
	ip[9] = s->proto;
	memcpy(ip + 12, &s->saddr, 4);
	memcpy(ip + 16, &s->daddr, 4);
	/* options: NOPs ending in an End-of-list */
	if (s->ip_optlen) {
		memset(ip + 20, 1, s->ip_optlen);
		ip[ihl - 1] = 0;
	}
	pkt_put16(ip + 10, pkt_csum(ip, ihl));
	return ihl;
}

/* A whole IPv4 frame; returns its length. */
static inline size_t pkt_build(uint8_t *b, const struct pkt_spec *s)
{
	size_t off = pkt_eth(b, 0x0800);
	size_t l4len = pkt_l4_hlen(s) + s->payload;
	size_t ihl;

	ihl = pkt_ipv4_hdr(b + off, s, l4len);
	memset(b + off + ihl, 0, l4len);
	pkt_l4(b + off + ihl, s);
	return off + ihl + l4len;
}

/*
 * ICMP error (@type/@code) from @from to @to quoting the IPv4 header and
 * first 8 bytes of the packet @inner (as its sender sent it), then @extra
 * zero bytes (a longer quote, or data smuggled in the error).
 */
static inline size_t pkt_icmp_error_len(uint8_t *b, __be32 from, __be32 to,
					uint8_t type, uint8_t code,
					const struct pkt_spec *inner,
					size_t extra)
{
	struct pkt_spec o = {
		.saddr = from, .daddr = to, .proto = IPPROTO_ICMP,
		.icmp_type = type, .icmp_code = code,
	};
	uint8_t quote[128];
	size_t qlen, off, ihl, ilen;

	memset(quote, 0, sizeof(quote));
	ilen = pkt_l4_hlen(inner) + inner->payload;
	qlen = pkt_ipv4_hdr(quote, inner, ilen);
	pkt_l4(quote + qlen, inner);
	qlen += 8;
	if (PKT_ETH_HLEN + 20 + 8 + qlen + extra > PKT_MAX)
		extra = PKT_MAX - (PKT_ETH_HLEN + 20 + 8 + qlen);
	off = pkt_eth(b, 0x0800);
	ihl = pkt_ipv4_hdr(b + off, &o, 8 + qlen + extra);
	memset(b + off + ihl, 0, 8);
	b[off + ihl] = type;
	b[off + ihl + 1] = code;
	memcpy(b + off + ihl + 8, quote, qlen);
	memset(b + off + ihl + 8 + qlen, 0, extra);
	return off + ihl + 8 + qlen + extra;
}

static inline size_t pkt_icmp_error(uint8_t *b, __be32 from, __be32 to,
				    uint8_t type, uint8_t code,
				    const struct pkt_spec *inner)
{
	return pkt_icmp_error_len(b, from, to, type, code, inner, 0);
}

/* ARP (RFC 826, IPv4 over Ethernet): @op 1 request, 2 reply. */
static inline size_t pkt_arp_ip(uint8_t *b, uint16_t op, __be32 spa,
				__be32 tpa)
{
	size_t off = pkt_eth(b, 0x0806);
	uint8_t *a = b + off;

	memset(a, 0, 28);
	pkt_put16(a, 1);		/* Ethernet */
	pkt_put16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	pkt_put16(a + 6, op);
	memcpy(a + 8, b + 6, 6);	/* sender MAC = frame source */
	memcpy(a + 14, &spa, 4);
	memcpy(a + 24, &tpa, 4);
	return off + 28;
}

static inline size_t pkt_arp(uint8_t *b)
{
	return pkt_arp_ip(b, 1, pkt_ip("10.0.0.0"), pkt_ip("10.0.0.0"));
}

/* Offsets inside a frame built by pkt_build (no options). */
#define PKT_OFF_IP	PKT_ETH_HLEN
#define PKT_OFF_L4(s)	(PKT_ETH_HLEN + 20 + (s)->ip_optlen)

#endif
