// SPDX-License-Identifier: GPL-2.0
/* tcseg-cni pod records (see cni_state.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cni/cni_state.h"
#include "policy/parse.h"

#define STATE_FILE_MAX	(64 << 10)

static int state_path(char *buf, size_t len, const char *dir, const char *id,
		      const char *ifname)
{
	if (!cni_id_ok(id) || !cni_ifname_ok(ifname))
		return -EINVAL;
	if (snprintf(buf, len, "%s/%s-%s.json", dir, id, ifname) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

static json_t *state_json(const struct cni_state *s)
{
	char a[TCSEG_DEV_MAX_ADDRS4 * 16 + 8];
	json_t *o;

	cni_addrs_str(s->addrs4, s->n_addrs4, a, sizeof(a));
	o = json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s}",
		      "container_id", s->container_id, "ifname", s->ifname,
		      "host_if", s->host_if, "ifindex", s->ifindex,
		      "network", s->network, "pod", s->names.pod,
		      "namespace", s->names.ns,
		      "default", s->def == TCSEG_ACT_UNSET ? "global" :
				 action_name(s->def),
		      "addrs", a);
	return o;
}

int cni_state_write(const char *dir, const struct cni_state *s)
{
	char path[4096], tmp[4200];
	json_t *o;
	int ret;

	ret = state_path(path, sizeof(path), dir, s->container_id, s->ifname);
	if (ret)
		return ret;
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	o = state_json(s);
	if (!o)
		return -ENOMEM;
	ret = json_dump_file(o, tmp, JSON_COMPACT) ? -EIO : 0;
	json_decref(o);
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}

int cni_state_read(const char *dir, const char *id, const char *ifname,
		   struct cni_state *s)
{
	const char *host = NULL;
	char path[4096];
	json_error_t je;
	struct stat st;
	json_t *o;
	int ret, idx = 0;

	memset(s, 0, sizeof(*s));
	ret = state_path(path, sizeof(path), dir, id, ifname);
	if (ret)
		return ret;
	if (stat(path, &st))
		return -errno;
	if (!S_ISREG(st.st_mode) || st.st_size > STATE_FILE_MAX)
		return -EINVAL;
	o = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!o)
		return -EINVAL;
	ret = -EINVAL;
	if (!json_unpack(o, "{s:s, s:i}", "host_if", &host, "ifindex", &idx) &&
	    cni_ifname_ok(host) && idx > 0) {
		strcpy(s->container_id, id);
		strcpy(s->ifname, ifname);
		strcpy(s->host_if, host);
		s->ifindex = idx;
		ret = 0;
	}
	json_decref(o);
	return ret;
}

int cni_state_remove(const char *dir, const char *id, const char *ifname)
{
	char path[4096];
	int ret = state_path(path, sizeof(path), dir, id, ifname);

	if (ret)
		return ret;
	return unlink(path) && errno != ENOENT ? -errno : 0;
}
