// SPDX-License-Identifier: GPL-2.0
/*
 * IPv6 helpers of the data-plane test harness: frames, session keys,
 * exact and CIDR entries and bindings written the way tcctl writes them
 * for family 6.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "harness6.h"

int tb_send6(struct tb *t, int dir, __u32 ifindex, const struct pkt6_spec *s)
{
	uint8_t b[PKT_MAX];

	return tb_run(t, dir, ifindex, b, pkt6_build(b, s));
}

static void spec6_key(struct tcseg_session_key *k, __u32 ifindex,
		      const struct pkt6_spec *s)
{
	union tcseg_addr a, b;

	memcpy(&a, s->saddr, 16);
	memcpy(&b, s->daddr, 16);
	tb_key_make(k, ifindex, TCSEG_FAMILY_V6, &a, &b, s->sport, s->dport,
		    s->proto);
}

int tb_sess6(struct tb *t, __u32 ifindex, const struct pkt6_spec *s,
	     struct tcseg_session *out)
{
	struct tcseg_session_key k;

	spec6_key(&k, ifindex, s);
	return bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.tcseg_sessions),
				   &k, out) ? -errno : 0;
}

int tb_exact6(struct tb *t, __u32 ifindex, const struct pkt6_spec *s,
	      __u8 action, __u32 id, __u8 flags)
{
	struct tcseg_exact_key k = {
		.ifindex = ifindex,
		.sport = htons(s->sport),
		.dport = htons(s->dport),
		.proto = s->proto,
		.family = TCSEG_FAMILY_V6,
	};
	struct tcseg_verdict v = {
		.rule_id = id, .slot = id, .action = action, .flags = flags,
	};

	memcpy(&k.saddr, s->saddr, 16);
	memcpy(&k.daddr, s->daddr, 16);
	return tb_update(t->skel->maps.tcseg_exact, &k, &v);
}

/* "fd00::/64" (NULL = ::/0) -> network and prefix length. */
static int prefix6(const char *s, union tcseg_addr *net, __u8 *plen)
{
	char buf[64], *slash;
	long n = 128;

	memset(net, 0, sizeof(*net));
	*plen = 0;
	if (!s)
		return 0;
	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (slash) {
		*slash = 0;
		n = strtol(slash + 1, NULL, 10);
	}
	if (n < 0 || n > 128 || inet_pton(AF_INET6, buf, net) != 1) {
		tb_fail(__FILE__, __LINE__, "bad IPv6 prefix %s", s);
		return -EINVAL;
	}
	*plen = n;
	tb_addr_mask(net, n);
	return 0;
}

static int src_class6(struct tb *t, const union tcseg_addr *net, __u8 plen)
{
	struct tcseg_src_key k = {
		.prefixlen = TCSEG_SRC_FIXED_BITS + plen,
		.family = TCSEG_FAMILY_V6,
		.saddr = *net,
	};
	struct tcseg_src_class v = { .net = *net, .plen = plen };

	return tb_update(t->skel->maps.tcseg_src_class, &k, &v);
}

int tb_rule6(struct tb *t, const struct tb_rule *r)
{
	union tcseg_addr snet, dnet, zero = {};
	__u8 splen, dplen;
	int err;

	err = prefix6(r->src, &snet, &splen) ?: prefix6(r->dst, &dnet, &dplen) ?:
	      src_class6(t, &zero, 0) ?: src_class6(t, &snet, splen);
	if (err)
		return err;
	return tb_rule_classes(t, r, TCSEG_FAMILY_V6, &snet, splen, &dnet,
			       dplen);
}

int tb_dev_bind6(struct tb *t, __u32 ifindex, const char *const *addrs, int n)
{
	struct tcseg_dev d;
	int i;

	if (tb_dev_get(t, ifindex, &d) || n > TCSEG_DEV_MAX_ADDRS6) {
		tb_fail(__FILE__, __LINE__, "bind6 if%u: %d addresses", ifindex,
			n);
		return -1;
	}
	memset(d.addrs6, 0, sizeof(d.addrs6));
	for (i = 0; i < n; i++)
		pkt6_addr(d.addrs6[i].b, addrs[i]);
	d.n_addrs6 = n;
	if (n)
		d.flags |= TCSEG_DEV_F_BOUND;
	return tb_update(t->skel->maps.tcseg_devs, &ifindex, &d);
}
