/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcseg-cni input, pure: the network configuration on stdin (with the
 * prevResult of the plugins before it) and CNI_ARGS, checked and reduced
 * to what the plugin acts on (docs/CNI.md). No I/O, so the unit test
 * (tests/unit/test_cni_conf.c) and the fuzzer (fuzz/fuzz_cni.c) run
 * exactly what the plugin runs.
 */
#ifndef TCSEG_CNI_CONF_H
#define TCSEG_CNI_CONF_H

#include <limits.h>
#include <net/if.h>
#include <stddef.h>
#include <jansson.h>
#include "tcseg.h"

#define CNI_INPUT_MAX	(1 << 20)	/* stdin bytes */
#define CNI_MAX_CAND	8		/* host-side interfaces in prevResult */
#define CNI_NAME_MAX	253		/* K8S_POD_NAME / NAMESPACE */
#define CNI_ID_MAX	128		/* CNI_CONTAINERID */

/* CNI error codes (CNI spec, "Error" section) */
enum cni_code {
	CNI_E_VERSION = 1,	/* incompatible CNI version */
	CNI_E_FIELD = 2,	/* unsupported field in network config */
	CNI_E_UNKNOWN = 3,	/* container unknown or does not exist */
	CNI_E_ENV = 4,		/* invalid necessary environment variables */
	CNI_E_IO = 5,		/* I/O failure */
	CNI_E_DECODE = 6,	/* failed to decode content */
	CNI_E_CONFIG = 7,	/* invalid network config */
	CNI_E_AGAIN = 11,	/* try again later */
	CNI_E_TCSEG = 100,	/* tcctl failed (plugin specific) */
	CNI_E_CHECK = 101,	/* CHECK: the veth is not as ADD left it */
};

struct cni_err {
	int code;
	char msg[256];
	char details[512];
};

enum cni_position {
	CNI_POS_ANY = 0,	/* append (tcctl's default) */
	CNI_POS_FIRST,
	CNI_POS_LAST,
};

struct cni_conf {
	json_t *root;		/* owned: the whole document */
	json_t *prev;		/* borrowed from root: prevResult or NULL */
	char version[16];	/* cniVersion */
	char name[64];		/* network name */
	__u8 def;		/* TCSEG_ACT_ALLOW/DENY, or UNSET: global */
	char mode[8];		/* "auto", "tcx", "tc" */
	enum cni_position pos;
	char tcctl[PATH_MAX];	/* empty: beside the plugin, else /usr/sbin */
	char pin_dir[PATH_MAX];	/* empty: tcctl's default */
	char state_dir[PATH_MAX];
	char socket[PATH_MAX];	/* tcsegd control socket, empty: default */
};

/* The pod as prevResult describes it. */
struct cni_pod {
	char ifname[IF_NAMESIZE];	/* container side (CNI_IFNAME) */
	int n_cand;			/* host-side interfaces (no sandbox) */
	char cand[CNI_MAX_CAND][IF_NAMESIZE];
	int n_addrs4;
	__be32 addrs4[TCSEG_DEV_MAX_ADDRS4];
};

/* K8S_POD_NAME and K8S_POD_NAMESPACE from CNI_ARGS (empty if absent). */
struct cni_args {
	char pod[CNI_NAME_MAX + 1];
	char ns[CNI_NAME_MAX + 1];
};

#define CNI_STATE_DIR	"/run/tcseg/cni"

/*
 * Parse the stdin document (@len bytes, need not be NUL-terminated).
 * 0 and *@c filled (free with cni_conf_free), or -1 with @e set.
 */
int cni_conf_parse(const char *buf, size_t len, struct cni_conf *c,
		   struct cni_err *e);
void cni_conf_free(struct cni_conf *c);

/* Is @v a cniVersion this plugin speaks? */
int cni_version_ok(const char *v);

/*
 * From prevResult: the container interface named @ifname, the pod's IPv4
 * addresses on it (ips[].interface points at it) and the host-side
 * candidates. -1 with @e set when prevResult is missing or malformed.
 */
int cni_prev_pod(const struct cni_conf *c, const char *ifname,
		 struct cni_pod *p, struct cni_err *e);

/* CNI_ARGS "K=V;K=V" (may be NULL). -1 with @e set on a bad pair. */
int cni_args_parse(const char *s, struct cni_args *a, struct cni_err *e);

/* Interface name a kernel accepts and tcctl can take as one word. */
int cni_ifname_ok(const char *s);
/* Container id fit for a file name: [A-Za-z0-9_.-], 1..CNI_ID_MAX. */
int cni_id_ok(const char *s);

/* "A,B,..." for tcctl's addr word ("none" when @n is 0). */
int cni_addrs_str(const __be32 *a, int n, char *buf, size_t len);

int cni_errf(struct cni_err *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
