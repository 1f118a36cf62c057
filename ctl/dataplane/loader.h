/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Load the data plane once and share it through the pin directory:
 * maps at PIN/tcseg_*, programs at PIN/progs/, tcx links at PIN/links/.
 * Everything else (tcctl, tcsegd, tests) opens the pinned objects.
 */
#ifndef TCSEG_LOADER_H
#define TCSEG_LOADER_H

#include <stddef.h>
#include "tcseg.h"

struct tcseg_sizes {
	__u32 sessions;
	__u32 exact_rules;
	__u32 cidr_rules;	/* rules that are not exact */
	__u32 cidr_entries;	/* compiled CIDR trie entries */
	__u32 src_classes;
	__u32 devs;
	__u32 frags;
	__u32 ringbuf;		/* bytes, power of two */
};

/* Pinned map fds, -1 when not open. */
struct tcseg_maps {
	int config;
	int devs;
	int exact;
	int src_class;
	int cidr;
	int rules;
	int rule_stats;
	int sessions;
	int pressure;
	int frags;
	int stats;
	int events;
	int evrate;
	int secured;
	int exact1;		/* policy set 1 (set 0: exact, src_class, cidr) */
	int src_class1;
	int cidr1;
	int sweep;		/* the sweep's timer (bpf/lib/sweep.h) */
};

/* The compiled-policy maps of one set (0 or 1), see docs/DATAPATH.md. */
struct tcseg_policy_fds {
	int exact;
	int src_class;
	int cidr;
};

static inline struct tcseg_policy_fds
tcseg_policy_fds(const struct tcseg_maps *m, unsigned int set)
{
	struct tcseg_policy_fds p = { m->exact, m->src_class, m->cidr };

	if (set) {
		p.exact = m->exact1;
		p.src_class = m->src_class1;
		p.cidr = m->cidr1;
	}
	return p;
}

void tcseg_sizes_default(struct tcseg_sizes *sz);

/* Pin directory from --pin-dir, $TCSEG_PIN_DIR or the default. */
const char *tcseg_pin_dir(const char *opt);

/* Is the data plane loaded (programs pinned) under @pin_dir? */
int tcseg_is_loaded(const char *pin_dir);

/*
 * Load and pin maps and programs. Existing pinned maps are reused (their
 * sizes win; a mismatch is an error). A fresh config gets the defaults.
 * Returns 0 or negative errno; @err gets a message.
 */
int tcseg_load(const char *pin_dir, const struct tcseg_sizes *sz, char *err,
	       size_t errlen);

/* Remove every pin (maps, programs, links) under @pin_dir. */
int tcseg_unload(const char *pin_dir, char *err, size_t errlen);

/* Open all pinned maps; on error closes what was opened. */
int tcseg_maps_open(const char *pin_dir, struct tcseg_maps *m, char *err,
		    size_t errlen);
void tcseg_maps_close(struct tcseg_maps *m);

/* Open a pinned program: name = "from_pod" or "to_pod". */
int tcseg_prog_open(const char *pin_dir, const char *name);

/* Max entries of an open map, or 0. */
__u32 tcseg_map_max(int fd);

/* Read-modify-write helpers for the one-entry config map. */
int tcseg_config_get(const struct tcseg_maps *m, struct tcseg_config *cfg);
int tcseg_config_set(const struct tcseg_maps *m, const struct tcseg_config *cfg);
/* The policy_version after @v: 0 never names a live version. */
static inline __u32 tcseg_version_next(__u32 v)
{
	return v + 1 ? v + 1 : 1;
}

/* Bump policy_version so live sessions re-evaluate. */
int tcseg_policy_bump(const struct tcseg_maps *m);

/* mkdir -p with mode 0700. */
int tcseg_mkdir_p(const char *dir);

/* Mount bpffs at @dir's parent if @dir is the default and bpffs is absent. */
int tcseg_ensure_bpffs(const char *pin_dir, char *err, size_t errlen);

#endif
