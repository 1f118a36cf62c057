// SPDX-License-Identifier: GPL-2.0
/*
 * tcctl pods, and pods by name in the rule store (ctl/tcctl/tcctl_pods.h,
 * docs/POLICY.md §Pods).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>

#include "dataplane/pod_store.h"
#include "tcctl/tcctl_pods.h"

static int cmp_reg(const void *a, const void *b)
{
	const struct pod_reg *x = a, *y = b;
	int c = strcmp(x->ns, y->ns);

	return c ? c : strcmp(x->name, y->name);
}

static int cmp_ref(const void *a, const void *b)
{
	__u32 x = ((const struct pod_rule_ref *)a)->tmpl.id;
	__u32 y = ((const struct pod_rule_ref *)b)->tmpl.id;

	return x < y ? -1 : x > y;
}

static void warn_bad(const char *what, unsigned int bad)
{
	if (bad)
		fprintf(stderr, "tcctl: warning: %u %s records not written by "
			"tcctl ignored\n", bad, what);
}

/* The registry of @t's pin dir (none yet: empty). */
static int read_regs(struct tcctl *t, struct pod_reg **v, size_t *n)
{
	unsigned int bad;
	int fd = pod_store_open(t->pin_dir, POD_STORE_PODS, 0), ret;

	*v = NULL;
	*n = 0;
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return tcctl_err("%s: %s", POD_STORE_PODS, strerror(-fd));
	ret = pod_store_read_pods(fd, v, n, &bad);
	close(fd);
	if (ret)
		return tcctl_err("%s: %s", POD_STORE_PODS, strerror(-ret));
	warn_bad("pod", bad);
	if (*n)
		qsort(*v, *n, sizeof(**v), cmp_reg);
	return 0;
}

int pods_ctx_load(struct tcctl *t, struct pods_ctx *c, bool create)
{
	unsigned int bad;
	int ret;

	memset(c, 0, sizeof(*c));
	c->rules_fd = -1;
	if (read_regs(t, &c->regs, &c->nregs))
		return -1;
	c->rules_fd = pod_store_open(t->pin_dir, POD_STORE_RULES, create);
	if (c->rules_fd == -ENOENT) {
		c->rules_fd = -1;
		return 0;
	}
	if (c->rules_fd < 0) {
		ret = c->rules_fd;
		c->rules_fd = -1;
		return tcctl_err("%s: %s", POD_STORE_RULES, strerror(-ret));
	}
	ret = pod_store_read_rules(c->rules_fd, &c->refs, &c->nrefs, &bad);
	if (ret)
		return tcctl_err("%s: %s", POD_STORE_RULES, strerror(-ret));
	c->cap = c->nrefs;
	warn_bad("pod rule", bad);
	return 0;
}

void pods_ctx_free(struct pods_ctx *c)
{
	free(c->regs);
	free(c->refs);
	if (c->rules_fd >= 0)
		close(c->rules_fd);
	memset(c, 0, sizeof(*c));
	c->rules_fd = -1;
}

int pods_ctx_add(struct pods_ctx *c, const struct tcseg_rule *tmpl,
		 const struct rule_pod_sides *ps)
{
	struct pod_rule_ref *r;

	if (c->nrefs == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;

		r = realloc(c->refs, cap * sizeof(*r));
		if (!r)
			return -ENOMEM;
		c->refs = r;
		c->cap = cap;
	}
	r = &c->refs[c->nrefs++];
	memset(r, 0, sizeof(*r));
	r->tmpl = *tmpl;
	memcpy(r->from, ps->from, sizeof(r->from));
	memcpy(r->to, ps->to, sizeof(r->to));
	c->refs_changed = true;
	return 0;
}

struct pod_rule_ref *pods_ctx_find(struct pods_ctx *c, __u32 id)
{
	size_t i;

	for (i = 0; i < c->nrefs; i++)
		if (c->refs[i].tmpl.id == id)
			return &c->refs[i];
	return NULL;
}

struct wrap_arg {
	struct pods_ctx *c;
	store_change_fn change;
	void *arg;
};

/* Pod rules without an id get the next ones after every id in use. */
static int assign_ref_ids(const struct rule_set *rules, struct pods_ctx *c,
			  char *err, size_t errlen)
{
	__u32 max = 0;
	size_t i;

	for (i = 0; i < rules->n; i++)
		if (rules->v[i].id > max)
			max = rules->v[i].id;
	for (i = 0; i < c->nrefs; i++)
		if (c->refs[i].tmpl.id > max)
			max = c->refs[i].tmpl.id;
	for (i = 0; i < c->nrefs; i++) {
		if (c->refs[i].tmpl.id)
			continue;
		if (max == UINT32_MAX)
			return tcseg_errf(err, errlen, -ENOSPC, "no rule id left");
		c->refs[i].tmpl.id = ++max;
	}
	if (c->nrefs)
		qsort(c->refs, c->nrefs, sizeof(*c->refs), cmp_ref);
	return 0;
}

static int change_wrapped(struct rule_set *rules, void *arg, char *err,
			  size_t errlen)
{
	struct wrap_arg *w = arg;
	__u32 clash[8];
	int ret, i;

	ret = w->change ? w->change(rules, w->arg, err, errlen) : 0;
	if (!ret)
		ret = assign_ref_ids(rules, w->c, err, errlen);
	if (ret)
		return ret;
	ret = pod_rules_merge(rules, w->c->refs, w->c->nrefs, w->c->regs,
			      w->c->nregs, clash, 8);
	if (ret < 0)
		return tcseg_errf(err, errlen, ret, "out of memory");
	for (i = 0; i < ret && i < 8; i++)
		fprintf(stderr, "tcctl: warning: rule %u: its pods' addresses "
			"give the match of another rule: it matches nothing "
			"until that changes\n", clash[i]);
	return 0;
}

int pods_store_change(struct tcctl *t, const struct tcseg_maps *m,
		      struct pods_ctx *c, store_change_fn change, void *arg)
{
	struct wrap_arg w = { c, change, arg };
	char err[TCSEG_ERRLEN] = "";
	int ret;

	ret = store_change(m, change_wrapped, &w, err, sizeof(err));
	if (ret)
		return tcctl_err("%s", err[0] ? err : strerror(-ret));
	if (!c->refs_changed)
		return 0;
	if (c->rules_fd < 0) {
		c->rules_fd = pod_store_open(t->pin_dir, POD_STORE_RULES, 1);
		if (c->rules_fd < 0)
			return tcctl_err("%s: %s", POD_STORE_RULES,
					 strerror(-c->rules_fd));
	}
	ret = pod_store_write_rules(c->rules_fd, c->refs, c->nrefs);
	if (ret)
		return tcctl_err("%s: %s", POD_STORE_RULES, strerror(-ret));
	return 0;
}

/* Re-derive the pod rules after the registry changed. */
static int resync(struct tcctl *t, const struct tcseg_maps *m)
{
	struct pods_ctx c;
	int ret;

	if (pods_ctx_load(t, &c, false)) {
		pods_ctx_free(&c);
		return -1;
	}
	ret = c.nrefs ? pods_store_change(t, m, &c, NULL, NULL) : 0;
	pods_ctx_free(&c);
	tcctl_daemon_notify(t, "pods sync\n");
	return ret;
}

/* The addresses bound in @dev, IPv4 first, at most POD_REG_MAX_ADDRS. */
static void reg_addrs(struct pod_reg *p, const struct tcseg_dev *dev)
{
	unsigned int i, n = 0;

	if (!(dev->flags & TCSEG_DEV_F_BOUND))
		return;
	for (i = 0; i < dev->n_addrs4 && i < TCSEG_DEV_MAX_ADDRS4 &&
		    n < POD_REG_MAX_ADDRS; i++, n++) {
		p->addrs[n].family = TCSEG_FAMILY_V4;
		p->addrs[n].addr.v4 = dev->addrs4[i];
	}
	for (i = 0; i < dev->n_addrs6 && i < TCSEG_DEV_MAX_ADDRS6 &&
		    n < POD_REG_MAX_ADDRS; i++, n++) {
		p->addrs[n].family = TCSEG_FAMILY_V6;
		p->addrs[n].addr = dev->addrs6[i];
	}
	p->n_addrs = (__u8)n;
}

int pods_register(struct tcctl *t, const struct tcseg_maps *m,
		  const char *ref, const char *veth, __u32 ifindex,
		  const struct tcseg_dev *dev)
{
	struct pod_reg p = { 0 }, *v;
	const char *slash = strchr(ref, '/');
	size_t n, i;
	int fd, ret = 0;

	snprintf(p.ns, sizeof(p.ns), "%.*s", (int)(slash - ref), ref);
	snprintf(p.name, sizeof(p.name), "%s", slash + 1);
	snprintf(p.veth, sizeof(p.veth), "%s", veth);
	p.ifindex = ifindex;
	p.def = dev->default_action;
	reg_addrs(&p, dev);
	fd = pod_store_open(t->pin_dir, POD_STORE_PODS, 1);
	if (fd < 0)
		return tcctl_err("%s: %s", POD_STORE_PODS, strerror(-fd));
	/* one veth per pod name: an older registration (its DEL never
	 * came) gives way */
	if (!read_regs(t, &v, &n)) {
		for (i = 0; i < n; i++)
			if (v[i].ifindex != ifindex &&
			    !strcmp(v[i].ns, p.ns) && !strcmp(v[i].name, p.name))
				bpf_map_delete_elem(fd, &v[i].ifindex);
		free(v);
	}
	if (bpf_map_update_elem(fd, &ifindex, &p, BPF_ANY))
		ret = tcctl_err("%s: %s", POD_STORE_PODS, strerror(errno));
	close(fd);
	return ret ? ret : resync(t, m);
}

int pods_unregister(struct tcctl *t, const struct tcseg_maps *m,
		    __u32 ifindex)
{
	int fd = pod_store_open(t->pin_dir, POD_STORE_PODS, 0), gone;

	if (fd < 0)
		return 0;	/* no pod was ever registered */
	gone = !bpf_map_delete_elem(fd, &ifindex);
	close(fd);
	return gone ? resync(t, m) : 0;
}

static const char *def_name(__u8 def)
{
	return def == TCSEG_ACT_UNSET ? "global" : action_name(def);
}

/* Text: "A,B" or "-"; JSON: "addrs": ["A", "B"]. */
static void pod_addrs(struct jprint *p, const struct pod_reg *r)
{
	char one[INET6_ADDRSTRLEN];
	unsigned int k;

	print_open_array(p, "addrs");
	for (k = 0; k < r->n_addrs; k++) {
		inet_ntop(r->addrs[k].family == TCSEG_FAMILY_V4 ? AF_INET :
			  AF_INET6, r->addrs[k].addr.b, one, sizeof(one));
		print_string(p, PRINT_ANY, NULL, k ? ",%s" : "%s", one);
	}
	if (!r->n_addrs)
		print_fp(p, "-");
	print_close_array(p);
}

static int pods_list(struct tcctl *t)
{
	char ref[POD_REF_MAX + 8];
	struct pod_reg *v;
	struct jprint p;
	size_t n, i;

	if (read_regs(t, &v, &n))
		return -1;
	if (tcctl_print(t, &p)) {
		free(v);
		return -1;
	}
	print_fp(&p, "%-32s %-15s %-8s %-7s %s\n", "POD", "VETH", "IFINDEX",
		 "DEFAULT", "ADDRS");
	print_open_array(&p, NULL);
	for (i = 0; i < n; i++) {
		snprintf(ref, sizeof(ref), "%s/%s", v[i].ns, v[i].name);
		print_open_object(&p, NULL);
		print_string(&p, PRINT_ANY, "pod", "%-32s ", ref);
		print_string(&p, PRINT_JSON, "namespace", NULL, v[i].ns);
		print_string(&p, PRINT_JSON, "name", NULL, v[i].name);
		print_string(&p, PRINT_ANY, "veth", "%-15s ", v[i].veth);
		print_uint(&p, PRINT_ANY, "ifindex", "%-8llu ", v[i].ifindex);
		print_string(&p, PRINT_ANY, "default", "%-7s ",
			     def_name(v[i].def));
		pod_addrs(&p, &v[i]);
		print_fp(&p, "\n");
		print_close_object(&p);
	}
	print_close_array(&p);
	jprint_close(&p);
	free(v);
	return 0;
}

/* tcctl pods sync: re-derive the pod rules (after writing the registry
 * by other means); the CNI plugin does not need it. */
static int pods_sync(struct tcctl *t)
{
	struct tcseg_maps m;
	int ret;

	if (tcctl_write_lock(t, 0) || tcctl_open_maps(t, &m))
		return -1;
	ret = resync(t, &m);
	tcseg_maps_close(&m);
	return ret;
}

int do_pods_cmd(struct tcctl *t, int argc, char **argv)
{
	if (!argc || (argc == 1 && !strcmp(argv[0], "list")))
		return pods_list(t);
	if (argc == 1 && !strcmp(argv[0], "sync"))
		return pods_sync(t);
	if (!strcmp(argv[0], "daemon"))
		return do_pods(t, argc - 1, argv + 1);
	return tcctl_err("pods: usage: tcctl pods [list] | pods sync | "
			 "pods daemon");
}
