// SPDX-License-Identifier: GPL-2.0
/* Attach a pod's veth: device entry + TC programs (see devices.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>

#include "lib/clock.h"
#include "dataplane/devices.h"
#include "policy/parse.h"

/* @as was checked (check_addr_set): counts within the arrays. */
static void dev_set_addrs(struct tcseg_dev *d, const struct addr_set *as)
{
	memset(d->addrs4, 0, sizeof(d->addrs4));
	memset(d->addrs6, 0, sizeof(d->addrs6));
	memcpy(d->addrs4, as->a4, as->n4 * sizeof(as->a4[0]));
	memcpy(d->addrs6, as->a6, as->n6 * sizeof(as->a6[0]));
	d->n_addrs4 = as->n4;
	d->n_addrs6 = as->n6;
	d->flags &= ~TCSEG_DEV_F_BOUND;
	if (as->n4 + as->n6 > 0)
		d->flags |= TCSEG_DEV_F_BOUND;
}

void tcseg_dev_addrs(const struct tcseg_dev *d, struct addr_set *as)
{
	memset(as, 0, sizeof(*as));
	if (!(d->flags & TCSEG_DEV_F_BOUND))
		return;
	as->n4 = d->n_addrs4 < TCSEG_DEV_MAX_ADDRS4 ? d->n_addrs4 :
						      TCSEG_DEV_MAX_ADDRS4;
	as->n6 = d->n_addrs6 < TCSEG_DEV_MAX_ADDRS6 ? d->n_addrs6 :
						      TCSEG_DEV_MAX_ADDRS6;
	memcpy(as->a4, d->addrs4, sizeof(as->a4));
	memcpy(as->a6, d->addrs6, sizeof(as->a6));
}

static bool same_binding(const struct tcseg_dev *a, const struct tcseg_dev *b)
{
	struct addr_set x, y;

	tcseg_dev_addrs(a, &x);
	tcseg_dev_addrs(b, &y);
	return !((a->flags ^ b->flags) & TCSEG_DEV_F_BOUND) &&
	       !memcmp(&x, &y, sizeof(x));
}

/* Is the session's pod side, if it has one, an address @d binds? */
static int pod_side_bound(const struct tcseg_session_key *k,
			  const struct tcseg_session *s,
			  const struct tcseg_dev *d)
{
	const union tcseg_addr *a;
	int i;

	if (s->flags & TCSEG_SESS_F_POD_LO)
		a = &k->addr_lo;
	else if (s->flags & TCSEG_SESS_F_POD_HI)
		a = &k->addr_hi;
	else
		return 1;	/* no side: the pod can send nothing on it */
	if (k->family == TCSEG_FAMILY_V6) {
		for (i = 0; i < d->n_addrs6 && i < TCSEG_DEV_MAX_ADDRS6; i++)
			if (tcseg_addr_eq(&d->addrs6[i], a))
				return 1;
		return 0;
	}
	for (i = 0; i < d->n_addrs4 && i < TCSEG_DEV_MAX_ADDRS4; i++)
		if (d->addrs4[i] == a->v4)
			return 1;
	return 0;
}

/*
 * A session hit only compares the packet with the session's pod side
 * (docs/DATAPATH.md): sessions made under the old binding whose pod
 * side the new one no longer binds must go.
 */
static void dev_rebound(const struct tcseg_maps *m, __u32 ifindex,
			const struct tcseg_dev *old, const struct tcseg_dev *dev)
{
	if ((dev->flags & TCSEG_DEV_F_BOUND) && !same_binding(old, dev))
		tcseg_dev_sessions_delete(m, ifindex, pod_side_bound, dev);
}

int tcseg_dev_sessions_delete(const struct tcseg_maps *m, __u32 ifindex,
			      int (*keep)(const struct tcseg_session_key *k,
					  const struct tcseg_session *s,
					  const struct tcseg_dev *d),
			      const struct tcseg_dev *d)
{
	struct tcseg_session_key key, next, *prev = NULL;
	struct tcseg_session_key *del = NULL;
	struct tcseg_session s;
	size_t n = 0, cap = 0, i;
	int gone = 0;

	while (!bpf_map_get_next_key(m->sessions, prev, &next)) {
		key = next;
		prev = &key;
		if (key.ifindex != ifindex)
			continue;
		if (keep && (bpf_map_lookup_elem(m->sessions, &key, &s) ||
			     keep(&key, &s, d)))
			continue;
		if (n == cap) {
			void *p;

			cap = cap ? cap * 2 : 256;
			p = realloc(del, cap * sizeof(*del));
			if (!p)
				break;
			del = p;
		}
		del[n++] = key;
	}
	for (i = 0; i < n; i++)
		gone += !bpf_map_delete_elem(m->sessions, &del[i]);
	free(del);
	return gone;
}

/* Write @dev (bound addresses changed) over @old, drop stale sessions. */
static int dev_write_bound(const struct tcseg_maps *m, __u32 ifindex,
			   const struct tcseg_dev *old,
			   const struct tcseg_dev *dev, char *err, size_t errlen)
{
	int ret;

	if (bpf_map_update_elem(m->devs, &ifindex, dev, BPF_EXIST)) {
		ret = -errno;
		return tcseg_errf(err, errlen, ret,
				  "cannot write device entry: %s", strerror(-ret));
	}
	dev_rebound(m, ifindex, old, dev);
	return 0;
}

/*
 * Bind @as (checked) on the attached @ifindex, whole; with @keep6 its
 * bound IPv6 addresses stay instead of @as's.
 */
static int dev_bind_set(const struct tcseg_maps *m, __u32 ifindex,
			struct addr_set *as, bool keep6, char *err,
			size_t errlen)
{
	struct tcseg_dev dev, old;
	struct addr_set cur;

	if (bpf_map_lookup_elem(m->devs, &ifindex, &old))
		return tcseg_errf(err, errlen, -ENOENT,
				  "ifindex %u is not attached", ifindex);
	if (keep6) {
		tcseg_dev_addrs(&old, &cur);
		as->n6 = cur.n6;
		memcpy(as->a6, cur.a6, sizeof(as->a6));
	}
	dev = old;
	dev_set_addrs(&dev, as);
	return dev_write_bound(m, ifindex, &old, &dev, err, errlen);
}

int tcseg_dev_bind(const struct tcseg_maps *m, __u32 ifindex,
		   const __be32 *a, int n, char *err, size_t errlen)
{
	struct addr_set as;
	int ret;

	ret = check_addr_list(a, n, TCSEG_DEV_MAX_ADDRS4, err, errlen);
	if (ret)
		return ret;
	memset(&as, 0, sizeof(as));
	as.n4 = n;
	memcpy(as.a4, a, n * sizeof(a[0]));
	return dev_bind_set(m, ifindex, &as, true, err, errlen);
}

int tcseg_dev_bind46(const struct tcseg_maps *m, __u32 ifindex,
		     const __be32 *a4, int n4, const union tcseg_addr *a6,
		     int n6, char *err, size_t errlen)
{
	struct addr_set as;
	int ret;

	if (n4 < 0 || n4 > TCSEG_DEV_MAX_ADDRS4 || n6 < 0 ||
	    n6 > TCSEG_DEV_MAX_ADDRS6)
		return tcseg_errf(err, errlen, -E2BIG, "%d IPv4 and %d IPv6 "
				  "addresses (at most %d and %d)", n4, n6,
				  TCSEG_DEV_MAX_ADDRS4, TCSEG_DEV_MAX_ADDRS6);
	memset(&as, 0, sizeof(as));
	as.n4 = n4;
	as.n6 = n6;
	if (n4)
		memcpy(as.a4, a4, n4 * sizeof(*a4));
	if (n6)
		memcpy(as.a6, a6, n6 * sizeof(*a6));
	ret = check_addr_set(&as, err, errlen);
	if (ret)
		return ret;
	return dev_bind_set(m, ifindex, &as, false, err, errlen);
}

int tcseg_dev_attach(const char *pin_dir, const struct tcseg_maps *m,
		     int ifindex, const char *name,
		     const struct tcseg_dev_opts *o, enum attach_mode mode,
		     int *tcx, char *err, size_t errlen)
{
	struct tcseg_dev dev = { 0 }, old;
	struct addr_set as;
	char aerr[256];
	int had, ret;

	*tcx = 0;
	had = !bpf_map_lookup_elem(m->devs, &ifindex, &old);
	dev.default_action = o->default_action;
	dev.flags = o->audit ? TCSEG_DEV_F_AUDIT : 0;
	if (had && o->keep) {
		dev.default_action = old.default_action;
		dev.flags = old.flags & TCSEG_DEV_F_AUDIT;
	}
	if (o->bind) {
		ret = check_addr_set(&o->addrs, err, errlen);
		if (ret)
			return ret;
		dev_set_addrs(&dev, &o->addrs);
	} else if (had) {	/* the binding stays as it is */
		tcseg_dev_addrs(&old, &as);
		dev_set_addrs(&dev, &as);
	}
	dev.attached_ns = had ? old.attached_ns : mono_ns();
	memcpy(dev.name, name, strnlen(name, sizeof(dev.name)));
	/* settings first: the program must see the pod from its first packet */
	if (bpf_map_update_elem(m->devs, &ifindex, &dev, BPF_ANY)) {
		ret = -errno;
		snprintf(err, errlen, "cannot write device entry: %s "
			 "(too many devices?)", strerror(-ret));
		return ret;
	}
	ret = tcseg_attach(pin_dir, ifindex, mode, o->pos, tcx, aerr,
			   sizeof(aerr));
	if (ret) {
		if (had)
			bpf_map_update_elem(m->devs, &ifindex, &old, BPF_ANY);
		else
			bpf_map_delete_elem(m->devs, &ifindex);
		snprintf(err, errlen, "%s", aerr);
		return ret;
	}
	if (had && (old.flags & TCSEG_DEV_F_TCX) && !*tcx)
		tcseg_detach(pin_dir, ifindex, 1, NULL, 0);
	if (had && !(old.flags & TCSEG_DEV_F_TCX) && *tcx)
		tcseg_detach(pin_dir, ifindex, 0, NULL, 0);
	if (*tcx) {
		dev.flags |= TCSEG_DEV_F_TCX;
		bpf_map_update_elem(m->devs, &ifindex, &dev, BPF_ANY);
	}
	if (had)
		dev_rebound(m, ifindex, &old, &dev);
	/* a new pod default or audit setting applies to live flows too */
	if (had && (old.default_action != dev.default_action ||
		    (old.flags ^ dev.flags) & TCSEG_DEV_F_AUDIT))
		tcseg_policy_bump(m);
	return 0;
}
