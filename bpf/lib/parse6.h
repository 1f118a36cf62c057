/* SPDX-License-Identifier: GPL-2.0 */
/*
 * IPv6 parsing (docs/DATAPATH.md, "IPv6"): the fixed header, the
 * extension header chain (hop-by-hop, routing, destination options,
 * fragment, AH) walked within IPV6_EXT_MAX headers and IPV6_CHAIN_MAX
 * bytes, TCP and UDP through parse.h's parsers, ICMPv6 (the echo id plays
 * the port; errors 1-4 with their quote). Included by parse.h, which
 * defines struct pkt and the L4 parsers this file reuses.
 */
#ifndef TCSEG_BPF_PARSE6_H
#define TCSEG_BPF_PARSE6_H

#define ETH_P_IPV6		0x86dd
#define IPV6_HLEN		40

#define NEXTHDR_HOP		0
#define NEXTHDR_ROUTING		43
#define NEXTHDR_FRAGMENT	44
#define NEXTHDR_AUTH		51
#define NEXTHDR_NONE		59
#define NEXTHDR_DEST		60

#define ICMPV6_DEST_UNREACH	1
#define ICMPV6_PKT_TOOBIG	2
#define ICMPV6_TIME_EXCEED	3
#define ICMPV6_PARAMPROB	4
#define ICMPV6_ECHO_REQUEST	128
#define ICMPV6_ECHO_REPLY	129
#define ICMPV6_MLD_QUERY	130
#define ICMPV6_MLD_REPORT	131
#define ICMPV6_MLD_DONE		132
#define ICMPV6_ND_RS		133
#define ICMPV6_ND_RA		134
#define ICMPV6_ND_NS		135
#define ICMPV6_ND_NA		136
#define ICMPV6_ND_REDIRECT	137
#define ICMPV6_MLD2_REPORT	143

/*
 * The walk's bounds: at most 8 extension headers (a real chain has at
 * most hop-by-hop, destination options, routing, fragment, AH and a
 * second destination options header) and 1024 bytes of them. A chain
 * still going at either bound is dropped (`ipv6_ext`), never passed:
 * what follows it cannot be judged.
 */
#define IPV6_EXT_MAX		8
#define IPV6_CHAIN_MAX		1024

/* What the fragment header said. */
struct frag6 {
	__be32 id;
	__u16 offset;		/* in 8-byte units */
	__u8 seen;
	__u8 more;
};

static __always_inline int addr6_v4mapped(const union tcseg_addr *a)
{
	return a->w[0] == 0 && a->w[1] == 0 && a->w[2] == bpf_htonl(0xffff);
}

static __always_inline int addr6_link_local(const union tcseg_addr *a)
{
	return a->b[0] == 0xfe && (a->b[1] & 0xc0) == 0x80;
}

static __always_inline int addr6_unspecified(const union tcseg_addr *a)
{
	return (a->w[0] | a->w[1] | a->w[2] | a->w[3]) == 0;
}

static __always_inline int ipv6_ext_header(__u8 nh)
{
	return nh == NEXTHDR_HOP || nh == NEXTHDR_ROUTING ||
	       nh == NEXTHDR_FRAGMENT || nh == NEXTHDR_AUTH ||
	       nh == NEXTHDR_DEST;
}

/*
 * Walk the extension headers from *off (the byte after the fixed
 * header) to the upper-layer header; *nh is the next-header value on the
 * way. Stops early at a later fragment's fragment header (what follows
 * is payload). A routing header with segments left is refused: the
 * packet's final destination is not the one the policy would judge.
 */
static __always_inline int ipv6_ext_walk(struct __sk_buff *skb, __u32 *off,
					 __u32 end, __u8 *nh, struct frag6 *fr)
{
	__u32 i, len;
	__u8 h[8];

	for (i = 0; i < IPV6_EXT_MAX; i++) {
		if (!ipv6_ext_header(*nh))
			return PARSE_OK;
		/* RFC 8200 4.1: hop-by-hop only right after the fixed header */
		if (*nh == NEXTHDR_HOP && i)
			return PARSE_MALFORMED;
		if (*off + sizeof(h) > end ||
		    bpf_skb_load_bytes(skb, *off, h, sizeof(h)))
			return PARSE_MALFORMED;
		if (*nh == NEXTHDR_FRAGMENT) {
			if (fr->seen)
				return PARSE_MALFORMED;
			fr->seen = 1;
			fr->offset = ((h[2] << 8) | h[3]) >> 3;
			fr->more = h[3] & 1;
			__builtin_memcpy(&fr->id, &h[4], sizeof(fr->id));
			len = 8;
		} else if (*nh == NEXTHDR_AUTH) {
			len = (h[1] + 2) * 4;	/* RFC 4302 2.2 */
		} else {
			if (*nh == NEXTHDR_ROUTING && h[3])
				return PARSE_IPV6_EXT;
			len = (h[1] + 1) * 8;
		}
		*nh = h[0];
		*off += len;
		if (*off > end)
			return PARSE_MALFORMED;
		if (*off > ETH_HLEN + IPV6_HLEN + IPV6_CHAIN_MAX)
			return PARSE_IPV6_EXT;
		if (fr->seen && fr->offset)
			return PARSE_OK;
	}
	return ipv6_ext_header(*nh) ? PARSE_IPV6_EXT : PARSE_OK;
}

/* The quote of an ICMPv6 error: fixed header and 8 bytes of L4. */
static __always_inline int parse_inner6(struct __sk_buff *skb, __u32 off,
					struct pkt *p)
{
	struct {
		__u8 vtc;
		__u8 flow[3];
		__be16 plen;
		__u8 nexthdr;
		__u8 hop_limit;
		__u8 saddr[16];
		__u8 daddr[16];
		__u8 l4[8];
	} q;

	if (bpf_skb_load_bytes(skb, off, &q, sizeof(q)) || (q.vtc >> 4) != 6)
		return -1;
	__builtin_memcpy(&p->in_saddr, q.saddr, 16);
	__builtin_memcpy(&p->in_daddr, q.daddr, 16);
	p->in_proto = q.nexthdr;
	/* an extension header (no session has it as protocol): no ports */
	inner_ports(p, IPPROTO_ICMPV6, q.l4);
	return 0;
}

static __always_inline int parse_icmp6(struct __sk_buff *skb, __u32 off,
				       __u32 l4len, struct pkt *p)
{
	__u8 h[8];

	if (l4len < sizeof(h) || bpf_skb_load_bytes(skb, off, h, sizeof(h)))
		return PARSE_MALFORMED;
	p->icmp_type = h[0];
	if (h[0] == ICMPV6_ECHO_REQUEST || h[0] == ICMPV6_ECHO_REPLY) {
		__builtin_memcpy(&p->sport, &h[4], 2);
		p->dport = p->sport;
	} else if (h[0] >= ICMPV6_DEST_UNREACH && h[0] <= ICMPV6_PARAMPROB) {
		if (parse_inner6(skb, off + sizeof(h), p) == 0)
			p->icmp_error = 1;
	}
	return PARSE_OK;
}

static __always_inline int parse_ipv6(struct __sk_buff *skb, struct pkt *p)
{
	__u32 off = ETH_HLEN + IPV6_HLEN, end, plen, l4len;
	struct frag6 fr = {};
	void *data, *data_end;
	__u8 *ip6, nh;
	int ret;

	if (pkt_linear(skb, off))
		return PARSE_MALFORMED;
	data = skb_data(skb);
	data_end = skb_data_end(skb);
	ip6 = data + ETH_HLEN;
	if ((void *)(ip6 + IPV6_HLEN) > data_end || (ip6[0] >> 4) != 6)
		return PARSE_MALFORMED;
	plen = (ip6[4] << 8) | ip6[5];
	nh = ip6[6];
	p->hop_limit = ip6[7];
	__builtin_memcpy(&p->saddr, ip6 + 8, 16);
	__builtin_memcpy(&p->daddr, ip6 + 24, 16);
	p->family = TCSEG_FAMILY_V6;
	p->len = skb->len;
	/* RFC 4291 2.5.5.2: never on a wire; a way around IPv4 rules */
	if (addr6_v4mapped(&p->saddr) || addr6_v4mapped(&p->daddr))
		return PARSE_V4MAPPED;
	/* payload length 0 above 64 KiB: a BIG TCP super-packet */
	if (!plen && skb->len > off + 0xffff)
		end = skb->len;
	else if (plen > skb->len - off)
		return PARSE_MALFORMED;
	else
		end = off + plen;

	ret = ipv6_ext_walk(skb, &off, end, &nh, &fr);
	if (ret != PARSE_OK)
		return ret;
	/* the walk keeps it below; the verifier needs to see it here */
	if (off > ETH_HLEN + IPV6_HLEN + IPV6_CHAIN_MAX)
		return PARSE_IPV6_EXT;
	p->proto = nh;
	p->l4_off = off;
	l4len = end - off;

	if (fr.seen && fr.offset) {
		stat_add(TCSEG_STAT_FRAGMENTS, 1);
		/* RFC 1858 for IPv6: offset 1 only serves to rewrite TCP flags */
		if (fr.offset == 1 && nh == IPPROTO_TCP)
			return PARSE_MALFORMED;
		p->payload_len = l4len;
		return frag_lookup(p, fr.id);
	}

	switch (nh) {
	case IPPROTO_TCP:
		ret = parse_tcp(skb, off, l4len, p);
		break;
	case IPPROTO_UDP:
		ret = parse_udp(skb, off, l4len, p);
		break;
	case IPPROTO_ICMPV6:
		ret = parse_icmp6(skb, off, l4len, p);
		break;
	default:
		ret = PARSE_OK;
		break;
	}
	if (ret == PARSE_OK && fr.seen && fr.more) {
		stat_add(TCSEG_STAT_FRAGMENTS, 1);
		frag_remember(p, fr.id);
	}
	return ret;
}

#endif
