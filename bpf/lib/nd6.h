/* SPDX-License-Identifier: GPL-2.0 */
/*
 * IPv6 link control: neighbour discovery (RFC 4861) and MLD (RFC 2710,
 * 3810) pass without policy, as ARP does for IPv4, but a bound pod may
 * only speak for its own addresses and may not act as a router
 * (docs/DATAPATH.md, "IPv6: link control"; docs/SECURITY.md says what a
 * hostile pod could do otherwise).
 */
#ifndef TCSEG_BPF_ND6_H
#define TCSEG_BPF_ND6_H

#include "lib/bind.h"

enum nd_verdict {
	ND_PASS = 0,
	ND_SPOOFED,		/* claims an address not bound to the pod */
	ND_ROUTER,		/* RA, redirect or MLD query: a router's */
	ND_MALFORMED,
};

/*
 * Is this NDP or MLD as a receiver would take it? NDP only with hop
 * limit 255 (RFC 4861 6.1, 7.1: anything else was forwarded and is
 * discarded), MLD only with hop limit 1 from a link-local or the
 * unspecified source (RFC 3810 5.1.14, 5.2.13). Anything else is an
 * ICMPv6 packet like any other, judged by policy.
 */
static __always_inline int nd_link_control(const struct pkt *p)
{
	if (p->family != TCSEG_FAMILY_V6 || p->proto != IPPROTO_ICMPV6)
		return 0;
	switch (p->icmp_type) {
	case ICMPV6_ND_RS:
	case ICMPV6_ND_RA:
	case ICMPV6_ND_NS:
	case ICMPV6_ND_NA:
	case ICMPV6_ND_REDIRECT:
		return p->hop_limit == 255;
	case ICMPV6_MLD_QUERY:
	case ICMPV6_MLD_REPORT:
	case ICMPV6_MLD_DONE:
	case ICMPV6_MLD2_REPORT:
		return p->hop_limit == 1 &&
		       (addr6_link_local(&p->saddr) ||
			addr6_unspecified(&p->saddr));
	}
	return 0;
}

/* Does the pod have a link-local address bound? */
static __always_inline int dev_link_local_bound(const struct tcseg_dev *dev)
{
	__u32 i, n = dev->n_addrs6;

	for (i = 0; i < TCSEG_DEV_MAX_ADDRS6; i++) {
		if (i >= n)
			break;
		if (addr6_link_local(&dev->addrs6[i]))
			return 1;
	}
	return 0;
}

/*
 * May the pod claim @a in link control? Its bound addresses, and any
 * link-local address while it has none bound (the kernel makes them
 * from the MAC, which is not bound either: docs/SECURITY.md, "Open").
 */
static __always_inline int nd_addr_own(const struct tcseg_dev *dev,
				       const union tcseg_addr *a)
{
	if (dev_addr6_bound(dev, a))
		return 1;
	return addr6_link_local(a) && !dev_link_local_bound(dev);
}

/*
 * Link control from a bound pod. The source is an address of its own
 * (nd_addr_own()) or, for duplicate address detection, router
 * solicitation and MLD reports, the unspecified address. The target of
 * an advertisement, and of a detection probe, must be its own too: it
 * may not answer for, or contest, another pod's address. Pods are not
 * routers.
 */
static __always_inline int nd_check(struct __sk_buff *skb, const struct pkt *p,
				    const struct tcseg_dev *dev)
{
	union tcseg_addr target;
	__u8 t = p->icmp_type;
	int unspec = addr6_unspecified(&p->saddr);

	if (t == ICMPV6_ND_RA || t == ICMPV6_ND_REDIRECT ||
	    t == ICMPV6_MLD_QUERY)
		return ND_ROUTER;
	if (!unspec && !nd_addr_own(dev, &p->saddr))
		return ND_SPOOFED;
	if (t != ICMPV6_ND_NA && !(t == ICMPV6_ND_NS && unspec))
		return ND_PASS;
	/* type, code, checksum, flags/reserved, then the target */
	if (bpf_skb_load_bytes(skb, p->l4_off + 8, &target, sizeof(target)))
		return ND_MALFORMED;
	return nd_addr_own(dev, &target) ? ND_PASS : ND_SPOOFED;
}

#endif
