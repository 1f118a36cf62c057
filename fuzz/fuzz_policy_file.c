// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: a policy file (rules_read_file), then, when it
 * parses, the compiler (policy_compile) as a differential target: for
 * flows taken from the rules and from the input's last bytes, the
 * compiled maps' decision (compiled_lookup, what the data path does)
 * must equal the rule list's decision (rules_lookup, the documented
 * order).
 */
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include "policy/rule.h"
#include "policy/compile.h"
#include "fuzz_util.h"

static struct fuzz_file file;

static int resolve(const char *name, void *arg)
{
	(void)arg;
	if (!strcmp(name, "veth0"))
		return 7;
	if (!strcmp(name, "veth1"))
		return 8;
	return -ENODEV;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_file_init(&file, "policy");
	return 0;
}

/* Ids for rules without one, then slots (as tcctl does). */
static void number(struct rule_set *s)
{
	__u32 next = 1;
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->v[i].id >= next)
			next = s->v[i].id + 1;
	for (i = 0; i < s->n; i++) {
		if (!s->v[i].id)
			s->v[i].id = next++;
		s->v[i].slot = (__u32)i + 1;
	}
}

struct flow {
	__u32 ifindex;
	union tcseg_addr saddr, daddr;
	__be16 sport, dport;
	__u8 proto;
	__u8 family;
};

static void check_flow(const struct compiled *c, const struct rule_set *s,
		       const struct flow *f)
{
	struct model_verdict a, b;

	char sa[INET6_ADDRSTRLEN], da[INET6_ADDRSTRLEN];

	compiled_lookup(c, f->ifindex, f->family, &f->saddr, &f->daddr,
			f->sport, f->dport, f->proto, &a);
	rules_lookup(s->v, s->n, f->ifindex, f->family, &f->saddr, &f->daddr,
		     f->sport, f->dport, f->proto, &b);
	if (a.found == b.found && a.rule_id == b.rule_id &&
	    a.action == b.action && a.exact == b.exact)
		return;
	tcseg_addr_str(&f->saddr, f->family, sa, sizeof(sa));
	tcseg_addr_str(&f->daddr, f->family, da, sizeof(da));
	FUZZ_CHECK(0,
		   "flow if%u %s:%u -> %s:%u proto %u: compiled found %d rule %u action %u exact %d, rules found %d rule %u action %u exact %d",
		   f->ifindex, sa, ntohs(f->sport),
		   da, ntohs(f->dport), f->proto, a.found,
		   a.rule_id, a.action, a.exact, b.found, b.rule_id, b.action,
		   b.exact);
}

static const __u8 protos[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, 47 };

/* protos[i] in @family: IPv6's ICMP is ICMPv6 */
static __u8 proto_of(__u8 family, unsigned int i)
{
	__u8 p = protos[i % 4];

	return family == TCSEG_FAMILY_V6 && p == IPPROTO_ICMP ? IPPROTO_ICMPV6 : p;
}

/*
 * @net/@plen of a family of @bits bits with its host bits filled from
 * @fill (all ones when @fill is ~0), or, with @outside, the address just
 * outside the prefix (its last prefix bit flipped).
 */
static void addr_near(union tcseg_addr *a, const union tcseg_addr *net,
		      __u8 plen, int bits, __u32 fill, int outside)
{
	union tcseg_addr host;
	int i;

	*a = *net;
	if (outside) {
		if (plen)
			a->b[(plen - 1) / 8] ^= (__u8)(0x80 >> ((plen - 1) % 8));
		return;
	}
	memset(&host, 0xff, sizeof(host));
	tcseg_addr_mask(&host, plen);
	for (i = 0; i < bits / 8; i++)
		a->b[i] |= (__u8)(~host.b[i] & (fill >> (8 * (i % 4))));
}

/* Flows at and around each rule: inside, at the edges, just outside. */
static void rule_flows(const struct compiled *c, const struct rule_set *s,
		       const struct tcseg_rule *r, __u32 salt)
{
	struct flow f;
	unsigned int k;
	int bits;

	memset(&f, 0, sizeof(f));
	/* a rule of both families: one flow set of each */
	f.family = r->family ? r->family : salt & 1 ? TCSEG_FAMILY_V6 :
							  TCSEG_FAMILY_V4;
	bits = tcseg_family_bits(f.family);
	for (k = 0; k < 8; k++) {
		f.ifindex = (k & 1) ? r->ifindex : (k & 2) ? 8 : 7;
		addr_near(&f.saddr, &r->saddr, r->src_plen, bits,
			  k & 4 ? salt : 0, k == 5);
		addr_near(&f.daddr, &r->daddr, r->dst_plen, bits,
			  k & 2 ? ~0u : 0, k == 6);
		f.sport = htons(k & 4 ? r->sport : (__u16)salt);
		f.dport = htons(k == 7 ? (__u16)(r->dport + 1) : r->dport);
		f.proto = r->proto ? r->proto : proto_of(f.family, k + salt);
		check_flow(c, s, &f);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[TCSEG_ERRLEN];
	struct compiled c;
	struct rule_set s;
	struct flow f;
	size_t i;
	__u32 salt = 0x9e3779b9;
	int ret;

	if (size > 64 * 1024)
		return 0;
	fuzz_file_set(&file, data, size);
	memset(err, 0x5a, sizeof(err));
	ret = rules_read_file(file.path, &s, resolve, NULL, err, sizeof(err));
	if (ret) {
		FUZZ_CHECK(ret == -EINVAL, "rules_read_file returned %d: %s",
			   ret, err);
		fuzz_check_err(err, sizeof(err));
		FUZZ_CHECK(s.n == 0 && s.v == NULL, "rule set left on error");
		return 0;
	}
	for (i = 0; i < s.n; i++)
		FUZZ_CHECK(rule_validate(&s.v[i], err, sizeof(err)) == 0,
			   "rule %zu of a read file does not validate: %s", i,
			   err);
	number(&s);
	ret = policy_compile(s.v, s.n, 0, &c, err, sizeof(err));
	if (ret) {
		/* the file reader refused duplicate matches already */
		FUZZ_CHECK(ret == -E2BIG, "policy_compile: %d: %s", ret, err);
		rule_set_free(&s);
		return 0;
	}
	for (i = 0; i < size; i++)
		salt = (salt ^ data[i]) * 16777619u;
	for (i = 0; i < s.n && i < 64; i++)
		rule_flows(&c, &s, &s.v[i], salt + (__u32)i);
	/* and a few flows made of the input's last bytes */
	for (i = 0; i + 17 <= size && i < 17 * 4; i += 17) {
		const uint8_t *p = data + size - 17 - i;

		memset(&f, 0, sizeof(f));
		f.family = p[14] & 1 ? TCSEG_FAMILY_V6 : TCSEG_FAMILY_V4;
		memcpy(&f.saddr, p, 4);
		memcpy(&f.daddr, p + 4, 4);
		if (f.family == TCSEG_FAMILY_V6) {	/* fd00::/8 at times */
			f.saddr.b[0] = p[15] & 1 ? 0xfd : f.saddr.b[0];
			f.daddr.b[0] = p[15] & 2 ? 0xfd : f.daddr.b[0];
			f.daddr.b[15] = p[16];
		}
		memcpy(&f.sport, p + 8, 2);
		memcpy(&f.dport, p + 10, 2);
		f.proto = proto_of(f.family, p[12]);
		f.ifindex = p[13] & 1 ? 7 : 8;
		check_flow(&c, &s, &f);
	}
	compiled_free(&c);
	rule_set_free(&s);
	return 0;
}
