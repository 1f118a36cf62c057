// SPDX-License-Identifier: GPL-2.0
/* Load, pin and open the tcseg data plane (see loader.h). */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tcseg.h"
#include "dataplane/loader.h"
#include "tcseg.skel.h"

#define errf(fmt, ...) snprintf(err, errlen, fmt, ##__VA_ARGS__)

void tcseg_sizes_default(struct tcseg_sizes *sz)
{
	sz->sessions = TCSEG_DEF_SESSIONS;
	sz->exact_rules = TCSEG_DEF_EXACT_RULES;
	sz->cidr_rules = TCSEG_DEF_CIDR_RULES;
	sz->cidr_entries = TCSEG_DEF_CIDR_ENTRIES;
	sz->src_classes = TCSEG_DEF_SRC_CLASSES;
	sz->devs = TCSEG_DEF_DEVS;
	sz->frags = TCSEG_DEF_FRAGS;
	sz->ringbuf = TCSEG_DEF_RINGBUF;
}

const char *tcseg_pin_dir(const char *opt)
{
	const char *env = getenv(TCSEG_PIN_ENV);

	if (opt && *opt)
		return opt;
	if (env && *env)
		return env;
	return TCSEG_PIN_DIR_DEFAULT;
}

static int path_join(char *buf, size_t len, const char *dir, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int tcseg_is_loaded(const char *pin_dir)
{
	char p[PATH_MAX];

	if (path_join(p, sizeof(p), pin_dir, "progs/from_pod"))
		return 0;
	return access(p, F_OK) == 0;
}

static int is_bpffs(const char *path)
{
	struct statfs st;

	return statfs(path, &st) == 0 && st.f_type == BPF_FS_MAGIC;
}

int tcseg_ensure_bpffs(const char *pin_dir, char *err, size_t errlen)
{
	char parent[PATH_MAX];
	char *slash;

	if (strlen(pin_dir) >= sizeof(parent)) {
		errf("pin dir too long");
		return -ENAMETOOLONG;
	}
	strcpy(parent, pin_dir);
	slash = strrchr(parent, '/');
	if (slash && slash != parent)
		*slash = '\0';
	if (is_bpffs(parent))
		return 0;
	/* like bpftool: mount bpffs where the default expects it */
	if (!strcmp(parent, "/sys/fs/bpf") &&
	    mount("bpf", parent, "bpf", 0, "mode=0700") == 0)
		return 0;
	errf("%s is not on a bpf filesystem (mount -t bpf bpf %s)", pin_dir,
	     parent);
	return -ENOTSUP;
}

int tcseg_mkdir_p(const char *dir)
{
	char p[PATH_MAX];
	char *s;

	if (strlen(dir) >= sizeof(p))
		return -ENAMETOOLONG;
	strcpy(p, dir);
	for (s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0700) && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (mkdir(p, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

static int set_sizes(struct tcseg_bpf *skel, const struct tcseg_sizes *sz)
{
	struct {
		struct bpf_map *map;
		__u32 n;
	} v[] = {
		{ skel->maps.tcseg_sessions, sz->sessions },
		{ skel->maps.tcseg_exact, sz->exact_rules },
		{ skel->maps.tcseg_cidr, sz->cidr_entries },
		{ skel->maps.tcseg_src_class, sz->src_classes },
		{ skel->maps.tcseg_exact1, sz->exact_rules },
		{ skel->maps.tcseg_cidr1, sz->cidr_entries },
		{ skel->maps.tcseg_src_class1, sz->src_classes },
		{ skel->maps.tcseg_rules, sz->exact_rules + sz->cidr_rules },
		{ skel->maps.tcseg_rule_stats,
		  sz->exact_rules + sz->cidr_rules + 1 },
		{ skel->maps.tcseg_devs, sz->devs },
		{ skel->maps.tcseg_frags, sz->frags },
		{ skel->maps.tcseg_events, sz->ringbuf },
		{ skel->maps.tcseg_secured, sz->sessions / 4 ? sz->sessions / 4 : 1 },
	};
	size_t i;
	int ret;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		ret = bpf_map__set_max_entries(v[i].map, v[i].n);
		if (ret)
			return ret;
	}
	return 0;
}

static int validate_sizes(const struct tcseg_sizes *sz, char *err,
			  size_t errlen)
{
	if (!sz->sessions || !sz->exact_rules || !sz->cidr_rules ||
	    !sz->cidr_entries || !sz->src_classes || !sz->devs || !sz->frags) {
		errf("map sizes must be at least 1");
		return -EINVAL;
	}
	if (sz->ringbuf < 4096 || (sz->ringbuf & (sz->ringbuf - 1))) {
		errf("ring buffer size %u must be a power of two >= 4096",
		     sz->ringbuf);
		return -EINVAL;
	}
	if ((__u64)sz->exact_rules + sz->cidr_rules >= UINT32_MAX) {
		errf("too many rules");
		return -EINVAL;
	}
	return 0;
}

static int init_config(struct tcseg_bpf *skel)
{
	struct tcseg_config cfg = {
		.policy_version = 1,
		.default_action = TCSEG_ACT_ALLOW,
		.session_max = bpf_map__max_entries(skel->maps.tcseg_sessions),
		.syn_limit = TCSEG_DEF_SYN_LIMIT,
		.syn_window_ms = TCSEG_DEF_SYN_WINDOW_MS,
		.event_rate = TCSEG_DEF_EVENT_RATE,
		.event_burst = TCSEG_DEF_EVENT_BURST,
	};
	__u32 zero = 0;

	tcseg_config_lifetime_default(&cfg);
	return bpf_map_update_elem(bpf_map__fd(skel->maps.tcseg_config), &zero,
				   &cfg, BPF_ANY);
}

static int pin_progs(struct tcseg_bpf *skel, const char *pin_dir)
{
	struct {
		struct bpf_program *prog;
		const char *name;
	} v[] = {
		{ skel->progs.tcseg_from_pod, "progs/from_pod" },
		{ skel->progs.tcseg_to_pod, "progs/to_pod" },
	};
	char p[PATH_MAX];
	size_t i;
	int ret;

	for (i = 0; i < 2; i++) {
		ret = path_join(p, sizeof(p), pin_dir, v[i].name);
		if (ret)
			return ret;
		unlink(p);	/* replace stale programs */
		ret = bpf_program__pin(v[i].prog, p);
		if (ret)
			return ret;
	}
	return 0;
}

int tcseg_load(const char *pin_dir, const struct tcseg_sizes *sz, char *err,
	       size_t errlen)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = pin_dir);
	struct tcseg_bpf *skel = NULL;
	char p[PATH_MAX];
	int fresh, ret;

	ret = validate_sizes(sz, err, errlen);
	if (ret)
		return ret;
	ret = tcseg_ensure_bpffs(pin_dir, err, errlen);
	if (ret)
		return ret;
	ret = tcseg_mkdir_p(pin_dir);
	if (!ret)
		ret = path_join(p, sizeof(p), pin_dir, "progs");
	if (!ret)
		ret = tcseg_mkdir_p(p);
	if (!ret)
		ret = path_join(p, sizeof(p), pin_dir, "links");
	if (!ret)
		ret = tcseg_mkdir_p(p);
	if (ret) {
		errf("cannot create %s: %s", pin_dir, strerror(-ret));
		return ret;
	}
	path_join(p, sizeof(p), pin_dir, "tcseg_config");
	fresh = access(p, F_OK) != 0;

	skel = tcseg_bpf__open_opts(&opts);
	if (!skel) {
		ret = -errno;
		errf("cannot open BPF object: %s", strerror(errno));
		return ret;
	}
	bpf_program__set_autoload(skel->progs.tcseg_empty, false);
	ret = set_sizes(skel, sz);
	if (ret) {
		errf("cannot size maps: %s", strerror(-ret));
		goto out;
	}
	ret = tcseg_bpf__load(skel);
	if (ret) {
		errf("cannot load BPF programs (pinned maps of another size "
		     "or version? see libbpf messages above): %s",
		     strerror(-ret));
		goto out;
	}
	if (fresh) {
		ret = init_config(skel);
		if (ret) {
			errf("cannot write config: %s", strerror(-ret));
			goto out;
		}
	}
	ret = pin_progs(skel, pin_dir);
	if (ret)
		errf("cannot pin programs in %s: %s", pin_dir, strerror(-ret));
out:
	tcseg_bpf__destroy(skel);
	return ret;
}

static const char *const map_names[] = {
	"tcseg_config",	     "tcseg_devs",	"tcseg_exact",
	"tcseg_src_class",   "tcseg_cidr",	"tcseg_rules",
	"tcseg_rule_stats",  "tcseg_sessions",	"tcseg_pressure",
	"tcseg_frags",	     "tcseg_stats",	"tcseg_events",
	"tcseg_evrate",	     "tcseg_secured",	"tcseg_exact1",
	"tcseg_src_class1",  "tcseg_cidr1",	"tcseg_sweep",
};

#define N_MAPS (sizeof(map_names) / sizeof(map_names[0]))

static int *map_slot(struct tcseg_maps *m, size_t i)
{
	/* struct tcseg_maps lists its fds in map_names order */
	return &((int *)m)[i];
}

int tcseg_maps_open(const char *pin_dir, struct tcseg_maps *m, char *err,
		    size_t errlen)
{
	char p[PATH_MAX];
	size_t i;
	int fd;

	_Static_assert(sizeof(struct tcseg_maps) == N_MAPS * sizeof(int),
		       "tcseg_maps must list one fd per pinned map");
	for (i = 0; i < N_MAPS; i++)
		*map_slot(m, i) = -1;
	for (i = 0; i < N_MAPS; i++) {
		path_join(p, sizeof(p), pin_dir, map_names[i]);
		fd = bpf_obj_get(p);
		if (fd < 0) {
			int e = errno;

			if (e == ENOENT)
				errf("tcseg is not loaded in %s (run `tcctl "
				     "load` or `tcctl attach DEV`)", pin_dir);
			else
				errf("cannot open %s: %s", p, strerror(e));
			tcseg_maps_close(m);
			return -e;
		}
		*map_slot(m, i) = fd;
	}
	return 0;
}

void tcseg_maps_close(struct tcseg_maps *m)
{
	size_t i;

	for (i = 0; i < N_MAPS; i++) {
		if (*map_slot(m, i) >= 0)
			close(*map_slot(m, i));
		*map_slot(m, i) = -1;
	}
}

int tcseg_prog_open(const char *pin_dir, const char *name)
{
	char p[PATH_MAX];
	int fd;

	if (path_join(p, sizeof(p), pin_dir, "progs") ||
	    strlen(p) + strlen(name) + 2 > sizeof(p))
		return -ENAMETOOLONG;
	strcat(p, "/");
	strcat(p, name);
	fd = bpf_obj_get(p);
	return fd < 0 ? -errno : fd;
}

__u32 tcseg_map_max(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	return info.max_entries;
}

int tcseg_config_get(const struct tcseg_maps *m, struct tcseg_config *cfg)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(m->config, &zero, cfg) ? -errno : 0;
}

int tcseg_config_set(const struct tcseg_maps *m, const struct tcseg_config *cfg)
{
	__u32 zero = 0;

	return bpf_map_update_elem(m->config, &zero, cfg, BPF_ANY) ? -errno : 0;
}

int tcseg_policy_bump(const struct tcseg_maps *m)
{
	struct tcseg_config cfg;
	int ret = tcseg_config_get(m, &cfg);

	if (ret)
		return ret;
	cfg.policy_version = tcseg_version_next(cfg.policy_version);
	return tcseg_config_set(m, &cfg);
}

static int unlink_dir_entries(const char *dir)
{
	char cmd_path[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(dir);
	int ret = 0;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (path_join(cmd_path, sizeof(cmd_path), dir, de->d_name))
			continue;
		if (unlink(cmd_path) && errno != ENOENT)
			ret = -errno;
	}
	closedir(d);
	return ret;
}

int tcseg_unload(const char *pin_dir, char *err, size_t errlen)
{
	char p[PATH_MAX];
	size_t i;
	int ret = 0;

	path_join(p, sizeof(p), pin_dir, "links");
	ret = unlink_dir_entries(p);
	rmdir(p);
	path_join(p, sizeof(p), pin_dir, "progs");
	if (!ret)
		ret = unlink_dir_entries(p);
	rmdir(p);
	for (i = 0; i < N_MAPS; i++) {
		path_join(p, sizeof(p), pin_dir, map_names[i]);
		if (unlink(p) && errno != ENOENT && !ret)
			ret = -errno;
	}
	rmdir(pin_dir);
	if (ret)
		errf("cannot remove pins in %s: %s", pin_dir, strerror(-ret));
	return ret;
}
