// SPDX-License-Identifier: GPL-2.0
/* tcctl load|unload|attach|detach|list|default|config. */
#include <errno.h>
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "dataplane/attach.h"
#include "dataplane/devices.h"
#include "dataplane/pod_store.h"
#include "tcctl/tcctl.h"
#include "tcctl/tcctl_pods.h"

static int need_value(int argc, char **argv, const char *word)
{
	if (argc < 2)
		return tcctl_err("%s: missing value", word);
	(void)argv;
	return 0;
}

static int parse_u32_word(const char *word, const char *val, __u32 *v)
{
	char err[TCSEG_ERRLEN];

	if (parse_u32(val, v, err, sizeof(err)))
		return tcctl_err("%s: %s", word, err);
	return 0;
}

int do_load(struct tcctl *t, int argc, char **argv)
{
	struct tcseg_sizes sz;
	char err[TCSEG_ERRLEN];
	struct {
		const char *word;
		__u32 *v;
	} opts[] = {
		{ "sessions", &sz.sessions },	{ "exact", &sz.exact_rules },
		{ "cidr", &sz.cidr_rules },	{ "cidr-entries", &sz.cidr_entries },
		{ "classes", &sz.src_classes },	{ "devs", &sz.devs },
		{ "frags", &sz.frags },		{ "ringbuf", &sz.ringbuf },
	};
	size_t i;

	tcseg_sizes_default(&sz);
	while (argc > 0) {
		for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
			if (!strcmp(argv[0], opts[i].word))
				break;
		if (i == sizeof(opts) / sizeof(opts[0]))
			return tcctl_err("load: unknown word '%s'", argv[0]);
		if (need_value(argc, argv, argv[0]) ||
		    parse_u32_word(argv[0], argv[1], opts[i].v))
			return -1;
		argc -= 2;
		argv += 2;
	}
	if (tcctl_write_lock(t, 1))
		return -1;
	if (tcseg_is_loaded(t->pin_dir))
		return tcctl_err("already loaded in %s (tcctl unload first to "
				 "change sizes)", t->pin_dir);
	if (tcseg_load(t->pin_dir, &sz, err, sizeof(err)))
		return tcctl_err("load: %s", err);
	return 0;
}

/* Every attached device, read out of tcseg_devs. */
struct dev_list {
	__u32 ifindex[4096];
	struct tcseg_dev dev[4096];
	size_t n;
};

static int read_devs(const struct tcseg_maps *m, struct dev_list *l)
{
	__u32 key, next, *prev = NULL;

	l->n = 0;
	while (l->n < 4096 && !bpf_map_get_next_key(m->devs, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(m->devs, &key, &l->dev[l->n]))
			continue;
		l->ifindex[l->n++] = key;
	}
	return 0;
}

static int detach_one(struct tcctl *t, const struct tcseg_maps *m,
		      __u32 ifindex, const struct tcseg_dev *dev)
{
	char err[TCSEG_ERRLEN];
	int ret;

	ret = tcseg_detach(t->pin_dir, ifindex, dev->flags & TCSEG_DEV_F_TCX,
			   err, sizeof(err));
	/* a deleted veth took its filters with it */
	if (ret && ret != -ENODEV)
		return tcctl_err("detach %.16s: %s", dev->name, err);
	bpf_map_delete_elem(m->devs, &ifindex);
	/* its view of every flow goes with it */
	tcseg_dev_sessions_delete(m, ifindex, NULL, NULL);
	/* and its pod's name: rules naming it match nothing from now on */
	return pods_unregister(t, m, ifindex);
}

int do_unload(struct tcctl *t, int argc, char **argv)
{
	static struct dev_list l;
	struct tcseg_maps m;
	char err[TCSEG_ERRLEN];
	size_t i;
	int ret = 0;

	(void)argv;
	if (argc)
		return tcctl_err("unload: unexpected '%s'", argv[0]);
	if (tcctl_write_lock(t, 0))
		return -1;
	if (!tcseg_maps_open(t->pin_dir, &m, err, sizeof(err))) {
		read_devs(&m, &l);
		for (i = 0; i < l.n; i++)
			if (detach_one(t, &m, l.ifindex[i], &l.dev[i]))
				ret = -1;
		tcseg_maps_close(&m);
	}
	pod_store_unpin(t->pin_dir);
	if (tcseg_unload(t->pin_dir, err, sizeof(err)))
		return tcctl_err("unload: %s", err);
	return ret;
}

/* "10.0.0.1,fd00::1" or "unbound". */
static void dev_addrs_str(const struct tcseg_dev *d, char *buf, size_t len)
{
	struct addr_set as;

	tcseg_dev_addrs(d, &as);
	format_addr_set(&as, "unbound", buf, len);
}

struct attach_args {
	const char *dev;
	__u8 def;
	bool audit;
	enum attach_mode mode;
	enum attach_pos pos;	/* first|last among other tc programs */
	bool bind;		/* "addr" given: replace the bound set */
	const char *pod;	/* "pod NS/NAME": register the pod */
	struct addr_set addrs;	/* IPv4 and IPv6 */
};

/* addr A[,B...] binds the pod's addresses, addr none unbinds. */
static int parse_addr_word(const char *val, struct attach_args *a)
{
	char err[TCSEG_ERRLEN];

	memset(&a->addrs, 0, sizeof(a->addrs));
	if (strcmp(val, "none") &&
	    parse_addr_set(val, &a->addrs, err, sizeof(err)))
		return tcctl_err("addr: %s", err);
	a->bind = true;
	return 0;
}

static int parse_attach(int argc, char **argv, struct attach_args *a)
{
	char err[TCSEG_ERRLEN];

	memset(a, 0, sizeof(*a));
	a->def = TCSEG_ACT_UNSET;
	a->mode = ATTACH_AUTO;
	if (argc < 1)
		return tcctl_err("attach: missing device (tcctl attach DEV)");
	a->dev = argv[0];
	for (argc--, argv++; argc > 0; argc--, argv++) {
		if (!strcmp(argv[0], "audit")) {
			a->audit = true;
		} else if (!strcmp(argv[0], "first")) {
			a->pos = ATTACH_POS_FIRST;
		} else if (!strcmp(argv[0], "last")) {
			a->pos = ATTACH_POS_LAST;
		} else if (!strcmp(argv[0], "default")) {
			if (need_value(argc, argv, "default"))
				return -1;
			if (parse_default_action(argv[1], &a->def, err,
						 sizeof(err)))
				return tcctl_err("default: %s", err);
			argc--, argv++;
		} else if (!strcmp(argv[0], "addr")) {
			if (need_value(argc, argv, "addr") ||
			    parse_addr_word(argv[1], a))
				return -1;
			argc--, argv++;
		} else if (!strcmp(argv[0], "pod")) {
			if (need_value(argc, argv, "pod"))
				return -1;
			if (pod_ref_check(argv[1], err, sizeof(err)))
				return tcctl_err("pod: %s", err);
			a->pod = argv[1];
			argc--, argv++;
		} else if (!strcmp(argv[0], "mode")) {
			if (need_value(argc, argv, "mode"))
				return -1;
			if (!strcmp(argv[1], "tcx"))
				a->mode = ATTACH_TCX;
			else if (!strcmp(argv[1], "tc"))
				a->mode = ATTACH_TC;
			else if (!strcmp(argv[1], "auto"))
				a->mode = ATTACH_AUTO;
			else
				return tcctl_err("mode: '%s' is not auto, tcx "
						 "or tc", argv[1]);
			argc--, argv++;
		} else {
			return tcctl_err("attach: unknown word '%s'", argv[0]);
		}
	}
	return 0;
}

int do_attach(struct tcctl *t, int argc, char **argv)
{
	struct tcseg_dev_opts o = { 0 };
	struct attach_args a;
	struct tcseg_maps m;
	struct tcseg_dev dev;
	char err[TCSEG_ERRLEN];
	char addrs[TCSEG_ADDR_SET_STRLEN];
	int ifindex, tcx = 0, ret;

	if (parse_attach(argc, argv, &a))
		return -1;
	ifindex = tcctl_resolve_dev(a.dev, NULL);
	if (ifindex < 0)
		return tcctl_err("attach: no such device '%s'", a.dev);
	if (tcctl_ensure_loaded(t) || tcctl_open_maps(t, &m))
		return -1;
	o.default_action = a.def;
	o.audit = a.audit;
	o.pos = a.pos;
	o.bind = a.bind;
	o.addrs = a.addrs;
	ret = tcseg_dev_attach(t->pin_dir, &m, ifindex, a.dev, &o, a.mode,
			       &tcx, err, sizeof(err));
	if (ret)
		ret = tcctl_err("attach %s: %s", a.dev, err);
	if (!ret && bpf_map_lookup_elem(m.devs, &ifindex, &dev))
		memset(&dev, 0, sizeof(dev));
	/* the pod's addresses are the ones bound to its veth */
	if (!ret && a.pod)
		ret = pods_register(t, &m, a.pod, a.dev, ifindex, &dev);
	if (!ret && !t->json) {
		dev_addrs_str(&dev, addrs, sizeof(addrs));
		printf("attached %s (ifindex %d, %s, addr %s)\n", a.dev, ifindex,
		       tcx ? "tcx" : "clsact", addrs);
	}
	tcseg_maps_close(&m);
	return ret;
}

/* Find a device by name in tcseg_devs (it may be gone from the kernel). */
static int find_dev(const struct tcseg_maps *m, const char *name, __u32 *ifindex,
		    struct tcseg_dev *dev)
{
	static struct dev_list l;
	size_t i;
	int idx = tcctl_resolve_dev(name, NULL);

	if (idx > 0 && !bpf_map_lookup_elem(m->devs, &idx, dev)) {
		*ifindex = idx;
		return 0;
	}
	read_devs(m, &l);
	for (i = 0; i < l.n; i++) {
		if (!strncmp(l.dev[i].name, name, sizeof(l.dev[i].name))) {
			*ifindex = l.ifindex[i];
			*dev = l.dev[i];
			return 0;
		}
	}
	return -ENOENT;
}

int do_detach(struct tcctl *t, int argc, char **argv)
{
	struct tcseg_maps m;
	struct tcseg_dev dev;
	__u32 ifindex;
	int ret;

	if (argc != 1)
		return tcctl_err(argc ? "detach: unexpected '%s'" :
					"detach: missing device (tcctl detach DEV)",
				 argc ? argv[1] : "");
	if (tcctl_write_lock(t, 0) || tcctl_open_maps(t, &m))
		return -1;
	if (find_dev(&m, argv[0], &ifindex, &dev))
		ret = tcctl_err("detach: '%s' is not attached", argv[0]);
	else
		ret = detach_one(t, &m, ifindex, &dev);
	tcseg_maps_close(&m);
	return ret;
}

/* JSON: "binding": "bound"|"unbound", "addrs": [...] */
static void dev_addrs_json(struct jprint *p, const struct tcseg_dev *d)
{
	char a[INET6_ADDRSTRLEN];
	struct addr_set as;
	int i;

	tcseg_dev_addrs(d, &as);
	print_string(p, PRINT_JSON, "binding", NULL,
		     as.n4 + as.n6 ? "bound" : "unbound");
	print_open_array(p, "addrs");
	for (i = 0; i < as.n4; i++) {
		format_cidr(as.a4[i], 32, a, sizeof(a));
		print_string(p, PRINT_JSON, NULL, NULL, a);
	}
	for (i = 0; i < as.n6; i++)
		print_string(p, PRINT_JSON, NULL, NULL,
			     tcseg_addr_str(&as.a6[i], TCSEG_FAMILY_V6, a,
					    sizeof(a)));
	print_close_array(p);
}

static const char *default_name(__u8 a)
{
	return a == TCSEG_ACT_UNSET ? "global" : action_name(a);
}

int do_list(struct tcctl *t, int argc, char **argv)
{
	static struct dev_list l;
	struct tcseg_maps m;
	char name[IF_NAMESIZE];
	struct jprint p;
	size_t i;

	if (argc)
		return tcctl_err("list: unexpected '%s'", argv[0]);
	if (tcctl_open_maps(t, &m))
		return -1;
	read_devs(&m, &l);
	if (tcctl_print(t, &p))
		goto out;
	print_fp(&p, "%-16s %8s %-6s %-8s %-5s %-5s %s\n", "DEV", "IFINDEX",
		 "MODE", "DEFAULT", "AUDIT", "STATE", "ADDR");
	print_open_array(&p, NULL);
	for (i = 0; i < l.n; i++) {
		const struct tcseg_dev *d = &l.dev[i];
		bool present = if_indextoname(l.ifindex[i], name) != NULL;
		char dname[17], addrs[TCSEG_ADDR_SET_STRLEN];

		snprintf(dname, sizeof(dname), "%.16s", d->name);
		dev_addrs_str(d, addrs, sizeof(addrs));
		print_open_object(&p, NULL);
		print_string(&p, PRINT_ANY, "dev", "%-16s ", dname);
		print_uint(&p, PRINT_ANY, "ifindex", "%8llu ", l.ifindex[i]);
		print_string(&p, PRINT_ANY, "mode", "%-6s ",
			     d->flags & TCSEG_DEV_F_TCX ? "tcx" : "tc");
		print_string(&p, PRINT_ANY, "default", "%-8s ",
			     default_name(d->default_action));
		print_bool(&p, PRINT_JSON, "audit", NULL,
			   d->flags & TCSEG_DEV_F_AUDIT);
		print_string(&p, PRINT_FP, NULL, "%-5s ",
			     d->flags & TCSEG_DEV_F_AUDIT ? "yes" : "no");
		print_bool(&p, PRINT_JSON, "present", NULL, present);
		print_string(&p, PRINT_FP, NULL, "%-5s ", present ? "up" : "gone");
		print_string(&p, PRINT_FP, NULL, "%s\n", addrs);
		dev_addrs_json(&p, d);
		print_close_object(&p);
	}
	print_close_array(&p);
	jprint_close(&p);
out:
	tcseg_maps_close(&m);
	return 0;
}

/*
 * Open the maps and read the config entry for `default` and `config`
 * (a change (@write) loads the data plane first). 0, or -1 with the
 * error printed and nothing left open.
 */
static int config_open(struct tcctl *t, bool write, struct tcseg_maps *m,
		       struct tcseg_config *cfg)
{
	if (write && tcctl_ensure_loaded(t))
		return -1;
	if (tcctl_open_maps(t, m))
		return -1;
	if (tcseg_config_get(m, cfg)) {
		tcctl_err("cannot read config: %s", strerror(errno));
		tcseg_maps_close(m);
		return -1;
	}
	return 0;
}

int do_default(struct tcctl *t, int argc, char **argv)
{
	struct tcseg_config cfg;
	struct tcseg_maps m;
	char err[TCSEG_ERRLEN];
	__u8 a = 0;
	int ret = 0;

	if (argc > 1)
		return tcctl_err("default: unexpected '%s'", argv[1]);
	if (argc && parse_default_action(argv[0], &a, err, sizeof(err)))
		return tcctl_err("default: %s", err);
	if (config_open(t, argc, &m, &cfg))
		return -1;
	if (!argc) {
		struct jprint p;

		if (tcctl_print(t, &p))
			goto out;
		print_open_object(&p, NULL);
		print_string(&p, PRINT_ANY, "default", "default %s\n",
			     action_name(cfg.default_action));
		print_close_object(&p);
		jprint_close(&p);
		goto out;
	}
	cfg.default_action = a;
	/* live sessions re-decide under the new default */
	cfg.policy_version = tcseg_version_next(cfg.policy_version);
	if (tcseg_config_set(&m, &cfg))
		ret = tcctl_err("cannot write config: %s", strerror(errno));
out:
	tcseg_maps_close(&m);
	return ret;
}

static const struct {
	const char *word;
	__u8 flag;
} cfg_flags[] = {
	{ "strict", TCSEG_CFG_F_STRICT_TCP },
	{ "drop-non-ip", TCSEG_CFG_F_DROP_NON_IP },
	{ "audit", TCSEG_CFG_F_AUDIT },
	{ "trace-drops", TCSEG_CFG_F_TRACE_DROPS },
};

#define N_CFG_FLAGS (sizeof(cfg_flags) / sizeof(cfg_flags[0]))

/*
 * Numeric settings: word, JSON name, field, accepted range. max 0 means
 * session_max (the quota cannot exceed the table).
 */
static const struct {
	const char *word;
	const char *json;
	size_t off;
	__u32 min, max;
} cfg_nums[] = {
#define CFG_NUM(w, j, f, lo, hi) { w, j, offsetof(struct tcseg_config, f), lo, hi }
	CFG_NUM("syn-limit", "syn_limit", syn_limit, 0, UINT32_MAX),
	CFG_NUM("syn-window-ms", "syn_window_ms", syn_window_ms, 1, UINT32_MAX),
	CFG_NUM("event-rate", "event_rate", event_rate, 0, UINT32_MAX),
	CFG_NUM("event-burst", "event_burst", event_burst, 0, UINT32_MAX),
	CFG_NUM("timeout-tcp-syn", "timeout_tcp_syn", to_tcp_syn, 1,
		TCSEG_MAX_TIMEOUT),
	CFG_NUM("timeout-tcp-established", "timeout_tcp_established",
		to_tcp_est, 1, TCSEG_MAX_TIMEOUT),
	CFG_NUM("timeout-tcp-fin", "timeout_tcp_fin", to_tcp_fin, 1,
		TCSEG_MAX_TIMEOUT),
	CFG_NUM("timeout-tcp-time-wait", "timeout_tcp_time_wait", to_tcp_tw, 1,
		TCSEG_MAX_TIMEOUT),
	CFG_NUM("timeout-udp", "timeout_udp", to_udp, 1, TCSEG_MAX_TIMEOUT),
	CFG_NUM("timeout-icmp", "timeout_icmp", to_icmp, 1, TCSEG_MAX_TIMEOUT),
	CFG_NUM("session-quota", "session_quota", session_quota, 1, 0),
	CFG_NUM("sweep-interval", "sweep_interval", sweep_s, 1,
		TCSEG_MAX_SWEEP_S),
#undef CFG_NUM
};

#define N_CFG_NUMS (sizeof(cfg_nums) / sizeof(cfg_nums[0]))

static __u32 *cfg_field(struct tcseg_config *c, size_t i)
{
	return (__u32 *)((char *)c + cfg_nums[i].off);
}

static __u32 cfg_get(const struct tcseg_config *c, size_t i)
{
	return *cfg_field((struct tcseg_config *)c, i);
}

/* A numeric word; 1 if @word is not one, -1 on a bad value. */
static int config_num(struct tcseg_config *c, const char *word,
		      const char *val)
{
	__u32 v, max;
	size_t i;

	for (i = 0; i < N_CFG_NUMS; i++)
		if (!strcmp(word, cfg_nums[i].word))
			break;
	if (i == N_CFG_NUMS)
		return 1;
	if (parse_u32_word(word, val, &v))
		return -1;
	max = cfg_nums[i].max ?: c->session_max;
	if (v < cfg_nums[i].min || v > max)
		return tcctl_err("%s: %u is out of range %u..%u", word, v,
				 cfg_nums[i].min, max);
	*cfg_field(c, i) = v;
	return 0;
}

static int config_apply_words(struct tcseg_config *c, int argc, char **argv)
{
	size_t i;
	int r;

	for (; argc > 0; argc -= 2, argv += 2) {
		if (need_value(argc, argv, argv[0]))
			return -1;
		r = config_num(c, argv[0], argv[1]);
		if (r <= 0) {
			if (r)
				return -1;
			continue;
		}
		for (i = 0; i < N_CFG_FLAGS; i++)
			if (!strcmp(argv[0], cfg_flags[i].word))
				break;
		if (i == N_CFG_FLAGS)
			return tcctl_err("config: unknown word '%s'", argv[0]);
		if (!strcmp(argv[1], "on"))
			c->flags |= cfg_flags[i].flag;
		else if (!strcmp(argv[1], "off"))
			c->flags &= ~cfg_flags[i].flag;
		else
			return tcctl_err("%s: '%s' is not on or off", argv[0],
					 argv[1]);
	}
	return 0;
}

static void config_show(struct tcctl *t, const struct tcseg_config *c)
{
	struct jprint p;
	size_t i;

	if (tcctl_print(t, &p))
		return;
	print_open_object(&p, NULL);
	print_uint(&p, PRINT_ANY, "policy_version", "policy-version %llu\n",
		   c->policy_version);
	print_string(&p, PRINT_ANY, "default", "default %s\n",
		     action_name(c->default_action));
	for (i = 0; i < N_CFG_FLAGS; i++) {
		bool on = c->flags & cfg_flags[i].flag;

		print_fp(&p, "%s %s\n", cfg_flags[i].word, on ? "on" : "off");
		print_bool(&p, PRINT_JSON, cfg_flags[i].word, NULL, on);
	}
	for (i = 0; i < N_CFG_NUMS; i++) {
		print_fp(&p, "%s ", cfg_nums[i].word);
		print_uint(&p, PRINT_ANY, cfg_nums[i].json, "%llu\n",
			   cfg_get(c, i));
	}
	print_uint(&p, PRINT_ANY, "session_max", "session-max %llu\n",
		   c->session_max);
	print_close_object(&p);
	jprint_close(&p);
}

int do_config(struct tcctl *t, int argc, char **argv)
{
	struct tcseg_config cfg, next;
	struct tcseg_maps m;
	int ret = 0;

	if (config_open(t, argc, &m, &cfg))
		return -1;
	if (!argc) {
		config_show(t, &cfg);
		goto out;
	}
	next = cfg;
	if (config_apply_words(&next, argc, argv)) {
		ret = -1;
		goto out;
	}
	if ((next.flags ^ cfg.flags) & (TCSEG_CFG_F_AUDIT | TCSEG_CFG_F_STRICT_TCP))
		next.policy_version = tcseg_version_next(cfg.policy_version);
	if (tcseg_config_set(&m, &next))
		ret = tcctl_err("cannot write config: %s", strerror(errno));
out:
	tcseg_maps_close(&m);
	return ret;
}
