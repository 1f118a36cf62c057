/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Ethernet/IPv4/TCP/UDP/ICMP (and the ARP sender) parsing with bounds
 * checks; IPv6 is in parse6.h. Headers outside
 * the linear part of the skb are pulled in; anything truncated or invalid
 * is reported as malformed (and dropped by the caller).
 */
#ifndef TCSEG_BPF_PARSE_H
#define TCSEG_BPF_PARSE_H

#include "lib/maps.h"

enum parse_result {
	PARSE_OK = 0,
	PARSE_NON_IP,		/* not IPv4: caller decides by config */
	PARSE_ARP,
	PARSE_MALFORMED,
	PARSE_FRAG_UNKNOWN,	/* later fragment whose first we never saw */
	PARSE_V4MAPPED,		/* IPv6 with a v4-mapped address (parse6.h) */
	PARSE_IPV6_EXT,		/* IPv6 extension headers we cannot walk */
};

/* What the verdict needs from a packet. Ports network order. */
struct pkt {
	union tcseg_addr saddr;
	union tcseg_addr daddr;
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 family;		/* TCSEG_FAMILY_V4 or _V6 */
	__u8 tcp_flags;
	__u8 icmp_type;
	__u8 icmp_error;	/* ICMP error: inner tuple below is valid */
	__u32 seq;		/* host order */
	__u32 ack_seq;		/* host order */
	__u32 payload_len;	/* L4 payload bytes (TCP/UDP) */
	__u16 window;		/* TCP window field, host order, unscaled */
	__u32 len;		/* skb->len */
	/* inner packet of an ICMP error, as its sender sent it */
	union tcseg_addr in_saddr;
	union tcseg_addr in_daddr;
	__be16 in_sport;
	__be16 in_dport;
	__u8 in_proto;
	/* IPv6 (parse6.h) */
	__u8 hop_limit;
	__u16 l4_off;		/* offset of the upper-layer header */
};

/*
 * skb->data / data_end read with one load each: clang otherwise hoists
 * "ctx + offset" into a register, which the verifier refuses to
 * dereference.
 */
static __always_inline void *skb_data(const struct __sk_buff *skb)
{
	void *d;

	asm volatile("%0 = *(u32 *)(%1 + %2)"
		     : "=r"(d)
		     : "r"(skb), "i"(__builtin_offsetof(struct __sk_buff, data)));
	return d;
}

static __always_inline void *skb_data_end(const struct __sk_buff *skb)
{
	void *d;

	asm volatile("%0 = *(u32 *)(%1 + %2)"
		     : "=r"(d)
		     : "r"(skb),
		       "i"(__builtin_offsetof(struct __sk_buff, data_end)));
	return d;
}

/* Make sure the first @len bytes are linear; pulls if needed. */
static __always_inline int pkt_linear(struct __sk_buff *skb, __u32 len)
{
	if (skb_data(skb) + len <= skb_data_end(skb))
		return 0;
	if (len > skb->len)
		return -1;
	return bpf_skb_pull_data(skb, len) ? -1 : 0;
}

/*
 * Ports of a quoted packet from the first 8 bytes of its L4 header
 * (TCP/UDP: the first 4 bytes; the family's ICMP echo: the id). Other
 * protocols have none.
 */
static __always_inline void inner_ports(struct pkt *p, __u8 icmp_proto,
					const __u8 *l4)
{
	if (p->in_proto == IPPROTO_TCP || p->in_proto == IPPROTO_UDP) {
		__builtin_memcpy(&p->in_sport, &l4[0], 2);
		__builtin_memcpy(&p->in_dport, &l4[2], 2);
	} else if (p->in_proto == icmp_proto) {
		__builtin_memcpy(&p->in_sport, &l4[4], 2);
		p->in_dport = p->in_sport;
	} else {
		p->in_sport = 0;
		p->in_dport = 0;
	}
}

/* The IPv4 header and L4 ports of the packet an ICMP error quotes. */
static __always_inline int parse_inner(struct __sk_buff *skb, __u32 off,
				       struct pkt *p)
{
	struct iphdr ip;
	__u8 l4[8];
	__u32 ihl;

	if (bpf_skb_load_bytes(skb, off, &ip, sizeof(ip)))
		return -1;
	ihl = ip.ihl * 4;
	if (ip.version != 4 || ihl < sizeof(ip))
		return -1;
	/* the caller zeroed *p: words 1..3 stay zero */
	p->in_saddr.v4 = ip.saddr;
	p->in_daddr.v4 = ip.daddr;
	p->in_proto = ip.protocol;
	/* RFC 792: at least 8 bytes of the original datagram follow */
	if (bpf_skb_load_bytes(skb, off + ihl, l4, sizeof(l4)))
		return -1;
	inner_ports(p, IPPROTO_ICMP, l4);
	return 0;
}

static __always_inline int parse_tcp(struct __sk_buff *skb, __u32 off,
				     __u32 l4len, struct pkt *p)
{
	void *data, *data_end;
	struct tcphdr *th;
	__u32 doff;

	if (pkt_linear(skb, off + sizeof(*th)))
		return PARSE_MALFORMED;
	data = skb_data(skb);
	data_end = skb_data_end(skb);
	th = data + off;
	if ((void *)(th + 1) > data_end)
		return PARSE_MALFORMED;
	doff = th->doff * 4;
	if (doff < sizeof(*th) || doff > l4len)
		return PARSE_MALFORMED;
	p->sport = th->source;
	p->dport = th->dest;
	p->seq = bpf_ntohl(th->seq);
	p->ack_seq = bpf_ntohl(th->ack_seq);
	p->tcp_flags = ((__u8 *)th)[13];
	p->window = bpf_ntohs(th->window);
	p->payload_len = l4len - doff;
	return PARSE_OK;
}

static __always_inline int parse_udp(struct __sk_buff *skb, __u32 off,
				     __u32 l4len, struct pkt *p)
{
	void *data, *data_end;
	struct udphdr *uh;

	if (pkt_linear(skb, off + sizeof(*uh)))
		return PARSE_MALFORMED;
	data = skb_data(skb);
	data_end = skb_data_end(skb);
	uh = data + off;
	if ((void *)(uh + 1) > data_end || l4len < sizeof(*uh))
		return PARSE_MALFORMED;
	p->sport = uh->source;
	p->dport = uh->dest;
	p->payload_len = l4len - sizeof(*uh);
	return PARSE_OK;
}

static __always_inline int parse_icmp(struct __sk_buff *skb, __u32 off,
				      __u32 l4len, struct pkt *p)
{
	void *data, *data_end;
	struct icmphdr *ih;
	__u8 type;

	if (pkt_linear(skb, off + sizeof(*ih)))
		return PARSE_MALFORMED;
	data = skb_data(skb);
	data_end = skb_data_end(skb);
	ih = data + off;
	if ((void *)(ih + 1) > data_end || l4len < sizeof(*ih))
		return PARSE_MALFORMED;
	type = ih->type;
	p->icmp_type = type;
	if (type == ICMP_ECHO || type == ICMP_ECHOREPLY) {
		/* the echo id plays the port: request and reply share it */
		p->sport = ih->un.echo.id;
		p->dport = ih->un.echo.id;
	} else if (type == ICMP_DEST_UNREACH || type == ICMP_TIME_EXCEEDED ||
		   type == ICMP_PARAMETERPROB || type == ICMP_SOURCE_QUENCH ||
		   type == ICMP_REDIRECT) {
		if (parse_inner(skb, off + sizeof(*ih), p) == 0)
			p->icmp_error = 1;
	}
	return PARSE_OK;
}

/*
 * Sender protocol address of an ARP packet (RFC 826, IPv4 over
 * Ethernet only). Returns 0, or -1 for anything truncated or of another
 * hardware or protocol type.
 */
static __always_inline int parse_arp_sender(struct __sk_buff *skb, __be32 *spa)
{
	struct {
		__be16 htype;
		__be16 ptype;
		__u8 hlen;
		__u8 plen;
		__be16 oper;
		__u8 sha[6];
		__u8 spa[4];
	} __attribute__((packed)) a;

	if (bpf_skb_load_bytes(skb, ETH_HLEN, &a, sizeof(a)))
		return -1;
	if (a.htype != bpf_htons(ARPHRD_ETHER) || a.ptype != bpf_htons(ETH_P_IP) ||
	    a.hlen != 6 || a.plen != 4)
		return -1;
	__builtin_memcpy(spa, a.spa, sizeof(*spa));
	return 0;
}

/* Ports of a non-first fragment come from its first fragment. */
static __always_inline int frag_lookup(struct pkt *p, __be32 id)
{
	struct tcseg_frag_key fk = {
		.saddr = p->saddr, .daddr = p->daddr,
		.id = id, .proto = p->proto, .family = p->family,
	};
	struct tcseg_frag_ports *fp = bpf_map_lookup_elem(&tcseg_frags, &fk);

	if (!fp)
		return PARSE_FRAG_UNKNOWN;
	p->sport = fp->sport;
	p->dport = fp->dport;
	return PARSE_OK;
}

static __always_inline void frag_remember(struct pkt *p, __be32 id)
{
	struct tcseg_frag_key fk = {
		.saddr = p->saddr, .daddr = p->daddr,
		.id = id, .proto = p->proto, .family = p->family,
	};
	struct tcseg_frag_ports fp = { .sport = p->sport, .dport = p->dport };

	bpf_map_update_elem(&tcseg_frags, &fk, &fp, BPF_ANY);
}

#include "lib/parse6.h"

static __always_inline int parse_pkt(struct __sk_buff *skb, struct pkt *p)
{
	void *data, *data_end;
	struct iphdr *iph;
	__u32 ihl, tot, l4len;
	__u16 frag;
	__be16 id;
	int ret;

	if (skb->protocol == bpf_htons(ETH_P_IPV6))
		return parse_ipv6(skb, p);
	if (skb->protocol != bpf_htons(ETH_P_IP))
		return skb->protocol == bpf_htons(ETH_P_ARP) ? PARSE_ARP :
							       PARSE_NON_IP;
	if (pkt_linear(skb, ETH_HLEN + sizeof(*iph)))
		return PARSE_MALFORMED;
	data = skb_data(skb);
	data_end = skb_data_end(skb);
	iph = data + ETH_HLEN;
	if ((void *)(iph + 1) > data_end)
		return PARSE_MALFORMED;
	ihl = iph->ihl * 4;
	tot = bpf_ntohs(iph->tot_len);
	if (iph->version != 4 || ihl < sizeof(*iph) || tot < ihl ||
	    tot > skb->len - ETH_HLEN)
		return PARSE_MALFORMED;
	/* the caller zeroed *p: words 1..3 stay zero */
	p->saddr.v4 = iph->saddr;
	p->daddr.v4 = iph->daddr;
	p->family = TCSEG_FAMILY_V4;
	p->proto = iph->protocol;
	p->len = skb->len;
	frag = bpf_ntohs(iph->frag_off);
	id = iph->id;
	l4len = tot - ihl;

	if (frag & IP_OFFSET) {
		stat_add(TCSEG_STAT_FRAGMENTS, 1);
		/* RFC 1858: offset 1 can only serve to rewrite TCP flags */
		if ((frag & IP_OFFSET) == 1 && p->proto == IPPROTO_TCP)
			return PARSE_MALFORMED;
		/* all of it is payload: an encrypt flow's unsecured drop sees it */
		p->payload_len = l4len;
		return frag_lookup(p, id);
	}

	switch (p->proto) {
	case IPPROTO_TCP:
		ret = parse_tcp(skb, ETH_HLEN + ihl, l4len, p);
		break;
	case IPPROTO_UDP:
		ret = parse_udp(skb, ETH_HLEN + ihl, l4len, p);
		break;
	case IPPROTO_ICMP:
		ret = parse_icmp(skb, ETH_HLEN + ihl, l4len, p);
		break;
	default:
		ret = PARSE_OK;
		break;
	}
	if (ret == PARSE_OK && (frag & IP_MF)) {
		stat_add(TCSEG_STAT_FRAGMENTS, 1);
		frag_remember(p, id);
	}
	return ret;
}

#endif
