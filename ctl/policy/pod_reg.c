// SPDX-License-Identifier: GPL-2.0
/* Registered pods and pod rules, pure (ctl/policy/pod_reg.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy/parse.h"
#include "policy/pod_reg.h"

/* @s holds a NUL within @len bytes and is a pod name part (or empty). */
static int field_ok(const char *s, size_t len, size_t max, int empty_ok)
{
	size_t n = strnlen(s, len);

	if (n == len)
		return 0;
	return (empty_ok && !n) || pod_name_ok(s, n, max);
}

int pod_reg_valid(const struct pod_reg *p, char *err, size_t errlen)
{
	size_t n = strnlen(p->veth, sizeof(p->veth));
	unsigned int i;

	if (!field_ok(p->ns, sizeof(p->ns), POD_NS_MAX, 0) ||
	    !field_ok(p->name, sizeof(p->name), POD_NAME_MAX, 0))
		return tcseg_errf(err, errlen, -EINVAL, "bad pod name");
	if (!n || n == sizeof(p->veth) || !p->ifindex)
		return tcseg_errf(err, errlen, -EINVAL, "bad veth");
	if (p->def != TCSEG_ACT_UNSET && p->def != TCSEG_ACT_ALLOW &&
	    p->def != TCSEG_ACT_DENY)
		return tcseg_errf(err, errlen, -EINVAL, "bad default %u", p->def);
	if (p->n_addrs > POD_REG_MAX_ADDRS)
		return tcseg_errf(err, errlen, -EINVAL, "%u addresses",
				  p->n_addrs);
	for (i = 0; i < p->n_addrs; i++) {
		const struct pod_reg_addr *a = &p->addrs[i];

		if (a->family != TCSEG_FAMILY_V4 && a->family != TCSEG_FAMILY_V6)
			return tcseg_errf(err, errlen, -EINVAL, "address %u: "
					  "family %u", i, a->family);
		if (a->family == TCSEG_FAMILY_V4 && (a->addr.w[1] | a->addr.w[2] | a->addr.w[3]))
			return tcseg_errf(err, errlen, -EINVAL, "address %u: "
					  "IPv4 with bytes beyond 4", i);
	}
	return 0;
}

const struct pod_reg *pod_reg_find(const struct pod_reg *v, size_t n,
				   const char *ref)
{
	const char *slash = strchr(ref, '/');
	size_t i, nl;

	if (!slash)
		return NULL;
	nl = (size_t)(slash - ref);
	for (i = 0; i < n; i++)
		if (strlen(v[i].ns) == nl && !memcmp(v[i].ns, ref, nl) &&
		    !strcmp(v[i].name, slash + 1))
			return &v[i];
	return NULL;
}

int pod_rule_ref_valid(const struct pod_rule_ref *ref, char *err,
		       size_t errlen)
{
	char sub[TCSEG_ERRLEN];
	int side;

	for (side = 0; side < 2; side++) {
		const char *s = side ? ref->to : ref->from;

		if (strnlen(s, POD_REF_MAX + 1) > POD_REF_MAX)
			return tcseg_errf(err, errlen, -EINVAL, "%s: no end",
					  side ? "to" : "from");
		if (s[0] && pod_ref_check(s, sub, sizeof(sub)))
			return tcseg_errf(err, errlen, -EINVAL, "%s: pod: %s",
					  side ? "to" : "from", sub);
	}
	if (!ref->from[0] && !ref->to[0])
		return tcseg_errf(err, errlen, -EINVAL, "names no pod");
	if (!ref->tmpl.id)
		return tcseg_errf(err, errlen, -EINVAL, "id 0");
	return rule_validate(&ref->tmpl, err, errlen);
}

/* The first address of @p of family @fam, NULL when it has none. */
static const struct pod_reg_addr *addr_of(const struct pod_reg *p, __u8 fam)
{
	unsigned int i;

	for (i = 0; i < p->n_addrs && i < POD_REG_MAX_ADDRS; i++)
		if (p->addrs[i].family == fam)
			return &p->addrs[i];
	return NULL;
}

/* Put @a as side @to (0 from, 1 to) of @r, a host prefix. */
static void set_side(struct tcseg_rule *r, int to, const struct pod_reg_addr *a)
{
	union tcseg_addr *dst = to ? &r->daddr : &r->saddr;

	*dst = a->addr;
	*(to ? &r->dst_plen : &r->src_plen) = (__u8)tcseg_family_bits(a->family);
	r->family = a->family;
}

/* The family a rule's sides can share: the one its address side has,
 * else IPv4 when every pod it names has one, else IPv6 (0: none). */
static __u8 rule_family(const struct pod_rule_ref *ref,
			const struct pod_reg *from, const struct pod_reg *to)
{
	static const __u8 fams[] = { TCSEG_FAMILY_V4, TCSEG_FAMILY_V6 };
	size_t i;

	for (i = 0; i < sizeof(fams); i++)
		if ((!ref->tmpl.family || ref->tmpl.family == fams[i]) &&
		    (!from || addr_of(from, fams[i])) &&
		    (!to || addr_of(to, fams[i])))
			return fams[i];
	return 0;
}

int pod_rule_resolve(const struct pod_rule_ref *ref, const struct pod_reg *regs,
		     size_t nregs, struct tcseg_rule *out)
{
	const struct pod_reg *from = NULL, *to = NULL;
	__u8 fam;

	if (ref->from[0] && !(from = pod_reg_find(regs, nregs, ref->from)))
		return 0;
	if (ref->to[0] && !(to = pod_reg_find(regs, nregs, ref->to)))
		return 0;
	fam = rule_family(ref, from, to);
	if (!fam)
		return 0;
	*out = ref->tmpl;
	if (from)
		set_side(out, 0, addr_of(from, fam));
	if (to)
		set_side(out, 1, addr_of(to, fam));
	return 1;
}

static const struct pod_rule_ref *ref_of(const struct pod_rule_ref *refs,
					 size_t n, __u32 id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (refs[i].tmpl.id == id)
			return &refs[i];
	return NULL;
}

int pod_rules_merge(struct rule_set *rules, const struct pod_rule_ref *refs,
		    size_t nrefs, const struct pod_reg *regs, size_t nregs,
		    __u32 *clash, size_t nclash)
{
	struct tcseg_rule r;
	size_t i, j, k = 0;
	int left = 0;

	for (i = 0; i < rules->n; i++)
		if (!ref_of(refs, nrefs, rules->v[i].id))
			rules->v[k++] = rules->v[i];
	rules->n = k;
	for (i = 0; i < nrefs; i++) {
		if (!pod_rule_resolve(&refs[i], regs, nregs, &r))
			continue;
		for (j = 0; j < rules->n; j++)
			if (rule_same_match(&rules->v[j], &r))
				break;
		if (j < rules->n) {
			if (clash && (size_t)left < nclash)
				clash[left] = r.id;
			left++;
			continue;
		}
		r.slot = 0;
		if (rule_set_push(rules, &r))
			return -ENOMEM;
	}
	return left;
}
