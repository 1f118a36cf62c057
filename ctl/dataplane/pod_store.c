// SPDX-License-Identifier: GPL-2.0
/* Pinned maps of registered pods and pod rules (ctl/dataplane/pod_store.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "policy/parse.h"
#include "dataplane/pod_store.h"

static int pin_path(char *buf, size_t len, const char *dir, const char *name)
{
	return snprintf(buf, len, "%s/%s", dir, name) >= (int)len ?
	       -ENAMETOOLONG : 0;
}

int pod_store_open(const char *pin_dir, const char *name, int create)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = BPF_F_NO_PREALLOC);
	int pods = !strcmp(name, POD_STORE_PODS), fd, ret;
	__u32 vsize = pods ? sizeof(struct pod_reg) :
			     sizeof(struct pod_rule_ref);
	struct bpf_map_info info = { 0 };
	__u32 ilen = sizeof(info);
	char p[PATH_MAX];

	ret = pin_path(p, sizeof(p), pin_dir, name);
	if (ret)
		return ret;
	fd = bpf_obj_get(p);
	if (fd < 0 && errno == ENOENT && create) {
		fd = bpf_map_create(BPF_MAP_TYPE_HASH, name, sizeof(__u32), vsize,
				    pods ? POD_REG_MAX : POD_RULES_MAX, &o);
		if (fd < 0)
			return -errno;
		if (bpf_obj_pin(fd, p)) {
			ret = -errno;
			close(fd);
			return ret;
		}
		return fd;
	}
	if (fd < 0)
		return -errno;
	/* a map of another layout (an older tcctl) is not ours to read */
	if (bpf_obj_get_info_by_fd(fd, &info, &ilen) ||
	    info.type != BPF_MAP_TYPE_HASH || info.key_size != sizeof(__u32) ||
	    info.value_size != vsize) {
		close(fd);
		return -EPROTO;
	}
	return fd;
}

void pod_store_unpin(const char *pin_dir)
{
	char p[PATH_MAX];

	if (!pin_path(p, sizeof(p), pin_dir, POD_STORE_PODS))
		unlink(p);
	if (!pin_path(p, sizeof(p), pin_dir, POD_STORE_RULES))
		unlink(p);
}

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

/*
 * Every value of @fd (at most @max, @vsize each) that @keep accepts with
 * its key into *@out (malloc'd); *@bad counts the others.
 */
static int read_valid(int fd, size_t vsize, size_t max,
		      int (*keep)(const void *v, __u32 key), void **out,
		      size_t *n, unsigned int *bad)
{
	__u32 key, next, *prev = NULL;
	char *v = NULL;

	*n = 0;
	*bad = 0;
	*out = NULL;
	while (!bpf_map_get_next_key(fd, prev, &next) && *n < max) {
		key = next;
		prev = &key;
		if (!(*n & 63)) {
			char *nv = realloc(v, (*n + 64) * vsize);

			if (!nv) {
				free(v);
				return -ENOMEM;
			}
			v = nv;
		}
		if (bpf_map_lookup_elem(fd, &key, v + *n * vsize))
			continue;	/* deleted meanwhile */
		if (!keep(v + *n * vsize, key)) {
			(*bad)++;
			continue;
		}
		(*n)++;
	}
	*out = v;
	return 0;
}

static int keep_pod(const void *v, __u32 key)
{
	const struct pod_reg *p = v;

	return key == p->ifindex && !pod_reg_valid(p, NULL, 0);
}

int pod_store_read_pods(int fd, struct pod_reg **out, size_t *n,
			unsigned int *bad)
{
	return read_valid(fd, sizeof(**out), POD_REG_MAX, keep_pod,
			  (void **)out, n, bad);
}

static int cmp_ref(const void *a, const void *b)
{
	return cmp_u32(&((const struct pod_rule_ref *)a)->tmpl.id,
		       &((const struct pod_rule_ref *)b)->tmpl.id);
}

static int keep_ref(const void *v, __u32 key)
{
	const struct pod_rule_ref *r = v;

	return key == r->tmpl.id && !pod_rule_ref_valid(r, NULL, 0);
}

int pod_store_read_rules(int fd, struct pod_rule_ref **out, size_t *n,
			 unsigned int *bad)
{
	int ret = read_valid(fd, sizeof(**out), POD_RULES_MAX, keep_ref,
			     (void **)out, n, bad);

	if (!ret && *n)
		qsort(*out, *n, sizeof(**out), cmp_ref);
	return ret;
}

static int cmp_key_ref(const void *k, const void *r)
{
	return cmp_u32(k, &((const struct pod_rule_ref *)r)->tmpl.id);
}

int pod_store_write_rules(int fd, const struct pod_rule_ref *refs, size_t n)
{
	__u32 key, next, *prev = NULL, *del = NULL;
	size_t i, nd = 0;
	int ret = 0;

	for (i = 0; i < n; i++)
		if (bpf_map_update_elem(fd, &refs[i].tmpl.id, &refs[i], BPF_ANY))
			return -errno;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bsearch(&key, refs, n, sizeof(*refs), cmp_key_ref))
			continue;
		if (!(nd & 63)) {
			__u32 *nd2 = realloc(del, (nd + 64) * sizeof(*del));

			if (!nd2) {
				free(del);
				return -ENOMEM;
			}
			del = nd2;
		}
		del[nd++] = key;
	}
	for (i = 0; i < nd; i++)
		if (bpf_map_delete_elem(fd, &del[i]) && errno != ENOENT)
			ret = -errno;
	free(del);
	return ret;
}
