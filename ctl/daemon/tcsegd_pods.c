// SPDX-License-Identifier: GPL-2.0
/*
 * tcsegd: this node's pods. The pod mapping (which pods are local), which
 * veth each sits behind (the address binding or the kernel's ARP entry
 * and bridge FDB, asked through rtnetlink: ctl/daemon/nl_neigh.h;
 * ctl/dataplane/pod_veth.c; flow events are only checked), the capture's
 * tcseg_cap_pods, and the binding of the addresses it knows on the
 * devices it attaches itself. See docs/DAEMON.md §Pod veths.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>

#include "daemon/pod_map.h"
#include "lib/clock.h"
#include "daemon/tcsegd.h"
#include "daemon/tcsegd_pods.h"
#include "daemon/tcsegd_log.h"
#include "daemon/tcsegd_metrics.h"
#include "daemon/nl_neigh.h"
#include "dataplane/devices.h"
#include "dataplane/pod_store.h"

static const char *ip_str(__be32 a, char *buf)
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static const char *addr_str(__u8 family, const union tcseg_addr *a,
			    char *buf)
{
	return inet_ntop(family == TCSEG_FAMILY_V6 ? AF_INET6 : AF_INET,
			 a->b, buf, INET6_ADDRSTRLEN);
}

/* A pod registered on this node (tcctl attach ... pod) has address @a. */
static bool is_registered_locked(struct tcsegd *d, __u8 family,
				 const union tcseg_addr *a)
{
	size_t i;
	unsigned int k;

	for (i = 0; i < d->n_reg; i++)
		for (k = 0; k < d->reg[i].n_addrs; k++)
			if (pod_reg_addr_eq(&d->reg[i].addrs[k], family, a))
				return true;
	return false;
}

/* An IPv4 address as a tcseg_addr: the other 12 bytes zero (ABI). */
static void addr_of_v4(union tcseg_addr *a, __be32 ip)
{
	memset(a, 0, sizeof(*a));
	a->v4 = ip;
}

/* ---- pods of this node */

static const struct pod_map_pod *pod_of_locked(struct tcsegd *d, __u8 family,
					       const union tcseg_addr *a)
{
	if (!d->pods)
		return NULL;
	return pod_map_find_pod_addr(d->pods, family, a->b);
}

static bool is_local_addr_locked(struct tcsegd *d, __u8 family,
				 const union tcseg_addr *a)
{
	const struct pod_map_pod *p;

	if (is_registered_locked(d, family, a))
		return true;
	p = pod_of_locked(d, family, a);
	return p && !strcmp(p->node, d->cfg.node_name);
}

bool tcsegd_is_local_addr(struct tcsegd *d, __u8 family,
			  const union tcseg_addr *a)
{
	bool r;

	pthread_rwlock_rdlock(&d->pods_lock);
	r = is_local_addr_locked(d, family, a);
	pthread_rwlock_unlock(&d->pods_lock);
	return r;
}

bool tcsegd_is_local_pod(struct tcsegd *d, __be32 ip)
{
	union tcseg_addr a;

	addr_of_v4(&a, ip);
	return tcsegd_is_local_addr(d, TCSEG_FAMILY_V4, &a);
}

/*
 * The address that names a pod in the veth table (ctl/dataplane/pod_veth.c): its
 * IPv4 address. An IPv6 address of a dual-stack pod names the same pod,
 * so it maps to that pod's IPv4 address; a pod without an IPv4 address
 * has no veth here (0: unknown, its flows fail closed; docs/DAEMON.md).
 */
static __be32 veth_key(struct tcsegd *d, __u8 family, const union tcseg_addr *a)
{
	const struct pod_map_pod *p;
	__be32 ip;

	if (family == TCSEG_FAMILY_V4)
		return a->v4;
	pthread_rwlock_rdlock(&d->pods_lock);
	p = pod_of_locked(d, family, a);
	ip = p ? p->ip : 0;
	pthread_rwlock_unlock(&d->pods_lock);
	return ip;
}

unsigned int tcsegd_local_pod_count(struct tcsegd *d)
{
	unsigned int i, n = 0, c;

	pthread_rwlock_rdlock(&d->pods_lock);
	c = d->pods ? pod_map_pod_count(d->pods) : 0;
	for (i = 0; i < c; i++) {
		const struct pod_map_pod *p = pod_map_pod_at(d->pods, i);

		n += !strcmp(p->node, d->cfg.node_name);
	}
	n += d->n_reg;
	pthread_rwlock_unlock(&d->pods_lock);
	return n;
}

__u32 tcsegd_pod_ifindex(struct tcsegd *d, __be32 ip)
{
	__u32 r;

	pthread_mutex_lock(&d->veth_lock);
	r = pod_veth_get(&d->veths, ip);
	pthread_mutex_unlock(&d->veth_lock);
	return r;
}

__u32 tcsegd_addr_ifindex(struct tcsegd *d, __u8 family,
			  const union tcseg_addr *a)
{
	__be32 ip = veth_key(d, family, a);

	return ip ? tcsegd_pod_ifindex(d, ip) : 0;
}

static void cap_pod_write1(struct tcsegd *d, __u8 family,
			   const union tcseg_addr *a,
			   __u32 ifindex)
{
	struct tcseg_cap_pod v = { .ifindex = ifindex };
	struct tcseg_addr_key k;

	memset(&k, 0, sizeof(k));
	k.addr = *a;
	k.family = family;

	if (d->cap_pods_fd >= 0 &&
	    bpf_map_update_elem(d->cap_pods_fd, &k, &v, BPF_ANY)) {
		char s[INET6_ADDRSTRLEN];

		dlog(L_ERR, "capture", "cannot write tcseg_cap_pods pod=%s "
		     "error=\"%s\"", addr_str(family, a, s), strerror(errno));
	}
}

/* A pod in tcseg_cap_pods: its IPv4 and its IPv6 address, one veth. */
static void cap_pod_write(struct tcsegd *d, const struct pod_map_pod *p,
			  __u32 ifindex)
{
	union tcseg_addr a;

	addr_of_v4(&a, p->ip);
	if (p->ip)
		cap_pod_write1(d, TCSEG_FAMILY_V4, &a, ifindex);
	if (pod_map_pod_has_ip6(p)) {
		memcpy(a.b, p->ip6, sizeof(a.b));
		cap_pod_write1(d, TCSEG_FAMILY_V6, &a, ifindex);
	}
}

/* A device tcsegd attaches itself: attach_devices or attach_pattern. */
static bool attach_wants(struct tcsegd *d, const char *name)
{
	unsigned int k;

	for (k = 0; k < d->cfg.n_attach_devices; k++)
		if (!strcmp(d->cfg.attach_devices[k], name))
			return true;
	return d->cfg.attach_pattern[0] &&
	       !fnmatch(d->cfg.attach_pattern, name, 0);
}

static __u32 resolve_pod_ifindex(__be32 ip);

/*
 * Bind the addresses tcsegd knows behind a device it attaches itself
 * (attach_devices, attach_pattern) and nobody bound yet: from then on
 * the data path drops what another pod sends with those addresses
 * (docs/SECURITY.md). A binding tcctl made is left alone.
 */
/* The IPv6 addresses of the pods with IPv4 addresses @a4: into @a6. */
static int pods_ip6(struct tcsegd *d, const __be32 *a4, int n4,
		    union tcseg_addr *a6, int max)
{
	const struct pod_map_pod *p;
	int i, n = 0;

	pthread_rwlock_rdlock(&d->pods_lock);
	for (i = 0; i < n4 && n < max; i++) {
		p = d->pods ? pod_map_find_pod_addr(d->pods, TCSEG_FAMILY_V4,
						   &a4[i]) : NULL;
		if (p && pod_map_pod_has_ip6(p))
			memcpy(a6[n++].b, p->ip6, 16);
	}
	pthread_rwlock_unlock(&d->pods_lock);
	return n;
}

void tcsegd_bind_known(struct tcsegd *d, __u32 ifindex)
{
	__be32 addrs[TCSEG_DEV_MAX_ADDRS4];
	union tcseg_addr a6[TCSEG_DEV_MAX_ADDRS6];
	char list[TCSEG_DEV_MAX_ADDRS4 * (INET_ADDRSTRLEN + 1) +
		  TCSEG_DEV_MAX_ADDRS6 * (INET6_ADDRSTRLEN + 1)] = "";
	char a[INET6_ADDRSTRLEN], err[160];
	struct tcseg_dev dev;
	int n, n6, i, r;

	if (bpf_map_lookup_elem(d->maps.devs, &ifindex, &dev) ||
	    (dev.flags & TCSEG_DEV_F_BOUND))
		return;
	dev.name[sizeof(dev.name) - 1] = 0;
	if (!attach_wants(d, dev.name))
		return;
	pthread_mutex_lock(&d->veth_lock);
	n = pod_veth_addrs_of(&d->veths, ifindex, addrs, TCSEG_DEV_MAX_ADDRS4);
	pthread_mutex_unlock(&d->veth_lock);
	if (!n)
		return;
	/* a dual-stack pod's IPv6 address too: else its IPv6 is dropped */
	memset(a6, 0, sizeof(a6));
	n6 = pods_ip6(d, addrs, n, a6, TCSEG_DEV_MAX_ADDRS6);
	r = tcseg_dev_bind46(&d->maps, ifindex, addrs, n, a6, n6, err,
			     sizeof(err));
	for (i = 0; i < n + n6; i++) {
		strcat(list, i ? "," : "");
		strcat(list, i < n ? ip_str(addrs[i], a) :
		       addr_str(TCSEG_FAMILY_V6, &a6[i - n], a));
	}
	if (r) {
		dlog(L_ERR, "attach", "cannot bind addresses dev=%s addrs=%s "
		     "error=\"%s\"", dev.name, list, err);
		return;
	}
	MINC(d->m, pod_bound);
	dlog(L_INFO, "attach", "bound dev=%s ifindex=%u addrs=%s", dev.name,
	     ifindex, list);
}

/* The kernel's tables say where a pod is: fills an unknown pod only. */
static void pod_veth_found(struct tcsegd *d, __be32 ip, __u32 ifindex)
{
	const struct pod_map_pod *p;
	char a[INET_ADDRSTRLEN];
	int r;

	if (!ifindex || !tcsegd_is_local_pod(d, ip))
		return;
	pthread_mutex_lock(&d->veth_lock);
	r = pod_veth_kernel(&d->veths, ip, ifindex);
	pthread_mutex_unlock(&d->veth_lock);
	if (r <= 0)
		return;
	pthread_rwlock_rdlock(&d->pods_lock);
	p = d->pods ? pod_map_find_pod_addr(d->pods, TCSEG_FAMILY_V4, &ip) : NULL;
	if (p)
		cap_pod_write(d, p, ifindex);
	pthread_rwlock_unlock(&d->pods_lock);
	dlog(L_INFO, "pods", "pod veth known pod_ip=%s ifindex=%u via=kernel",
	     ip_str(ip, a), ifindex);
	tcsegd_bind_known(d, ifindex);
}

static void sync_cap_pods(struct tcsegd *d);

/*
 * The bindings in tcseg_devs are the final word on where a pod is
 * (tcctl attach DEV addr A, or tcsegd_bind_known above); re-read
 * every 2 s.
 */
static void sync_bound(struct tcsegd *d)
{
	struct pod_veth_bound b[POD_VETH_MAX];
	__u32 key, next, *prev = NULL;
	struct tcseg_dev dev;
	unsigned int n = 0, i;
	int changed;

	while (!bpf_map_get_next_key(d->maps.devs, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(d->maps.devs, &key, &dev) ||
		    !(dev.flags & TCSEG_DEV_F_BOUND))
			continue;
		for (i = 0; i < dev.n_addrs4 && i < TCSEG_DEV_MAX_ADDRS4 &&
			    n < POD_VETH_MAX; i++) {
			if (!tcsegd_is_local_pod(d, dev.addrs4[i]))
				continue;
			b[n].ifindex = key;
			b[n++].ip = dev.addrs4[i];
		}
	}
	pthread_mutex_lock(&d->veth_lock);
	changed = pod_veth_sync_bound(&d->veths, b, n);
	pthread_mutex_unlock(&d->veth_lock);
	if (changed) {
		dlog(L_INFO, "pods", "pod veths from bindings changed=%d", changed);
		sync_cap_pods(d);
	}
}

/*
 * A flow event names a veth and a pod address, both in a packet the pod
 * may have forged: it is checked against what the binding or the
 * kernel's tables say, never learned from. Returns the veth to use for
 * the hand-off (0: unknown yet, the worker waits for it), or -1 when
 * the event claims a pod's address on another veth (refused, counted).
 */
long tcsegd_event_veth(struct tcsegd *d, const struct tcseg_event *e)
{
	static __u64 last_log_ns, last_resolve_ns, quiet;
	const union tcseg_addr *pa = e->dir == TCSEG_DIR_FROM_POD ?
				     &e->saddr : &e->daddr;
	enum pod_veth_verdict v;
	char a[INET6_ADDRSTRLEN];
	__u32 known;
	__be32 ip;

	if (!tcsegd_is_local_addr(d, e->family, pa))
		return e->ifindex;	/* not ours: never handed off here */
	/* an IPv6 address: the pod's IPv4 one names its veth */
	ip = veth_key(d, e->family, pa);
	if (!ip)
		return 0;	/* no IPv4 address: no veth known, fails closed */
	pthread_mutex_lock(&d->veth_lock);
	v = pod_veth_check(&d->veths, ip, e->ifindex);
	known = pod_veth_get(&d->veths, ip);
	pthread_mutex_unlock(&d->veth_lock);
	if (v == POD_VETH_MATCH)
		return e->ifindex;
	if (v == POD_VETH_UNKNOWN) {
		/* ask the kernel now, but forged events cannot make us spin */
		if (mono_ns() - last_resolve_ns > 100000000ull) {
			last_resolve_ns = mono_ns();
			pod_veth_found(d, ip, resolve_pod_ifindex(ip));
		}
		return 0;
	}
	MINC(d->m, pod_veth_mismatch);
	/* a flood of forged events must not flood the log: 1 line a second */
	if (mono_ns() - last_log_ns < 1000000000ull) {
		quiet++;
		return -1;
	}
	last_log_ns = mono_ns();
	dlog(L_WARN, "pods", "flow event refused: pod address on another veth "
	     "pod_ip=%s ifindex=%u pod_ifindex=%u dir=%s suppressed=%llu",
	     addr_str(e->family, pa, a), e->ifindex, known,
	     e->dir == TCSEG_DIR_FROM_POD ? "from_pod" : "to_pod",
	     (unsigned long long)quiet);
	quiet = 0;
	return -1;
}

/*
 * Which veth a pod sits behind, from the kernel's own tables
 * (ctl/daemon/nl_neigh.h): the ARP entry gives the pod's MAC and device; a
 * bridge's forwarding database gives the port. Works for bridged (and
 * routed /32) pod networks.
 */
static __u32 resolve_pod_ifindex(__be32 ip)
{
	static __u64 last_err_ns;
	char a[INET_ADDRSTRLEN];
	long r = nl_neigh_port(AF_INET, &ip);

	if (r >= 0)
		return (__u32)r;
	/* the kernel could not be asked: the pod stays unknown (retried) */
	if (mono_ns() - last_err_ns > 60000000000ull) {
		last_err_ns = mono_ns();
		dlog(L_WARN, "pods", "neighbour lookup failed pod_ip=%s "
		     "error=\"%s\"", ip_str(ip, a), strerror((int)-r));
	}
	return 0;
}

/* Fill tcseg_cap_pods with this node's pods; drop the others. */
static void sync_cap_pods(struct tcsegd *d)
{
	struct tcseg_addr_key key, next, *prev = NULL, del[1024];
	unsigned int i, n, nd = 0;

	if (d->cap_pods_fd < 0)
		return;
	pthread_rwlock_rdlock(&d->pods_lock);
	while (!bpf_map_get_next_key(d->cap_pods_fd, prev, &next)) {
		key = next;
		prev = &key;
		if (!is_local_addr_locked(d, key.family, &key.addr) && nd < 1024)
			del[nd++] = key;
	}
	n = d->pods ? pod_map_pod_count(d->pods) : 0;
	for (i = 0; i < n; i++) {
		const struct pod_map_pod *p = pod_map_pod_at(d->pods, i);

		if (strcmp(p->node, d->cfg.node_name))
			continue;
		cap_pod_write(d, p, p->ip ? tcsegd_pod_ifindex(d, p->ip) : 0);
	}
	for (i = 0; i < d->n_reg; i++) {
		unsigned int k;

		for (k = 0; k < d->reg[i].n_addrs; k++)
			cap_pod_write1(d, d->reg[i].addrs[k].family,
				       &d->reg[i].addrs[k].addr,
				       d->reg[i].ifindex);
	}
	pthread_rwlock_unlock(&d->pods_lock);
	for (i = 0; i < nd; i++)
		bpf_map_delete_elem(d->cap_pods_fd, &del[i]);
}

/* Look for the veth of local pods whose veth is not known yet. */
static void resolve_pods(struct tcsegd *d)
{
	__be32 ips[1024];
	unsigned int i, n, c = 0;

	pthread_rwlock_rdlock(&d->pods_lock);
	n = d->pods ? pod_map_pod_count(d->pods) : 0;
	for (i = 0; i < n && c < 1024; i++) {
		const struct pod_map_pod *p = pod_map_pod_at(d->pods, i);

		if (p->ip && !strcmp(p->node, d->cfg.node_name))
			ips[c++] = p->ip;
	}
	pthread_rwlock_unlock(&d->pods_lock);
	for (i = 0; i < c; i++)
		if (!tcsegd_pod_ifindex(d, ips[i]))
			pod_veth_found(d, ips[i], resolve_pod_ifindex(ips[i]));
}

static bool still_local(__be32 ip, void *arg)
{
	return tcsegd_is_local_pod(arg, ip);
}

/* After start-up or a new pod mapping: where is every local pod? */
void tcsegd_pods_refresh(struct tcsegd *d)
{
	pthread_mutex_lock(&d->veth_lock);
	pod_veth_prune(&d->veths, still_local, d);
	pthread_mutex_unlock(&d->veth_lock);
	sync_bound(d);
	sync_cap_pods(d);
	resolve_pods(d);
}

int tcsegd_load_pods(struct tcsegd *d, const char *path)
{
	struct pod_node_table *t, *old;
	char err[512];

	t = pod_map_load(path, 0, err, sizeof(err));
	if (!t) {
		dlog(L_ERR, "pods", "pod mapping refused error=\"%s\"", err);
		return -EINVAL;
	}
	pthread_rwlock_wrlock(&d->pods_lock);
	old = d->pods;
	d->pods = t;
	d->pods_gen++;
	pthread_rwlock_unlock(&d->pods_lock);
	free_pod_node_mapping(old);
	dlog(L_INFO, "pods", "pod mapping loaded file=%s pods=%u nodes=%u "
	     "local=%u", path, pod_map_pod_count(t), pod_map_node_count(t),
	     tcsegd_local_pod_count(d));
	return 0;
}

/* Every 2 s: bindings re-read, pods still unknown looked up. */
void tcsegd_pods_tick(struct tcsegd *d)
{
	tcsegd_pods_sync(d, "tick", NULL);
	sync_bound(d);
	resolve_pods(d);
}

/* Same pods, veths, addresses and defaults? (both sorted by ifindex) */
static bool same_reg(const struct pod_reg *a, size_t na,
		     const struct pod_reg *b, size_t nb)
{
	return na == nb && (!na || !memcmp(a, b, na * sizeof(*a)));
}

static int cmp_reg_ifindex(const void *a, const void *b)
{
	__u32 x = ((const struct pod_reg *)a)->ifindex;
	__u32 y = ((const struct pod_reg *)b)->ifindex;

	return x < y ? -1 : x > y;
}

int tcsegd_pods_sync(struct tcsegd *d, const char *via, unsigned int *bad)
{
	static unsigned int last_bad_seen;
	unsigned int last_bad = last_bad_seen;
	struct pod_reg *v = NULL, *old;
	unsigned int nbad = 0;
	size_t n = 0;
	bool changed;
	int fd, r = 0;

	if (!bad)
		bad = &nbad;
	*bad = 0;
	fd = pod_store_open(d->cfg.pin_dir, POD_STORE_PODS, 0);
	if (fd >= 0) {
		r = pod_store_read_pods(fd, &v, &n, bad);
		close(fd);
	} else if (fd != -ENOENT) {
		r = fd;		/* no map yet is no pod yet */
	}
	if (r) {
		dlog(L_ERR, "pods", "registered pods unreadable via=%s "
		     "error=\"%s\"", via, strerror(-r));
		return r;
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_reg_ifindex);
	pthread_rwlock_wrlock(&d->pods_lock);
	changed = !same_reg(d->reg, d->n_reg, v, n);
	old = d->reg;
	d->reg = v;
	d->n_reg = n;
	if (changed)
		d->pods_gen++;
	pthread_rwlock_unlock(&d->pods_lock);
	free(old);
	last_bad_seen = *bad;
	if (*bad && (changed || *bad != last_bad))
		dlog(L_WARN, "pods", "registered pods: records refused count=%u "
		     "(not written by tcctl)", *bad);
	if (changed) {
		dlog(L_INFO, "pods", "registered pods synced via=%s pods=%zu",
		     via, n);
		tcsegd_pods_refresh(d);
	}
	return (int)n;
}
