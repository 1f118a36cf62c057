// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: pod_node_mapping.conf (pod_map_load). Invariants of a
 * loaded table: every pod and node is found by its name and address, the
 * pods' node pointers and addresses agree with the nodes, the counts add
 * up, and printing it works; errors are bounded strings with errno set.
 */
#include <errno.h>
#include "daemon/pod_map.h"
#include "fuzz_util.h"

static struct fuzz_file file;
static FILE *devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_file_init(&file, "pod_map");
	devnull = fopen("/dev/null", "w");
	if (!devnull)
		abort();
	return 0;
}

static void check_table(const struct pod_node_table *t)
{
	unsigned int i, np = pod_map_pod_count(t), nn = pod_map_node_count(t);
	unsigned int pods = 0;

	for (i = 0; i < np; i++) {
		const struct pod_map_pod *p = pod_map_pod_at(t, i);
		const struct pod_map_node *n;

		FUZZ_CHECK(p && pod_map_find_pod(t, p->name) == p,
			   "pod %u not found by name", i);
		n = pod_map_find_node(t, p->node);
		FUZZ_CHECK(n && n->addr == p->node_ip,
			   "pod %s: node %s missing or address differs",
			   p->name, p->node);
		if (p->ip) {
			FUZZ_CHECK(pod_map_pod_by_ip(t, p->ip) == p->name,
				   "pod %s not found by ip", p->name);
			FUZZ_CHECK(pod_map_node_by_pod_ip(t, p->ip) == p->node,
				   "pod %s: node by ip differs", p->name);
		}
	}
	for (i = 0; i < nn; i++) {
		const struct pod_map_node *n = pod_map_node_at(t, i);

		FUZZ_CHECK(n && pod_map_find_node(t, n->name) == n,
			   "node %u not found by name", i);
		if (n->addr) {
			FUZZ_CHECK(pod_map_node_by_addr(t, n->addr) == n->name,
				   "node %s not found by address", n->name);
			FUZZ_CHECK(pod_map_node_addr(t, n->name) == n->addr,
				   "node %s address lookup", n->name);
		}
		pods += n->pods;
	}
	FUZZ_CHECK(pods == np, "nodes count %u pods, table has %u", pods, np);
	FUZZ_CHECK(!pod_map_pod_at(t, np) && !pod_map_node_at(t, nn),
		   "iteration past the end");
	pod_map_fprint(devnull, t, 1);
	pod_map_fprint(devnull, t, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pod_node_table *t;
	char err[512];

	if (size > 256 * 1024)
		return 0;
	fuzz_file_set(&file, data, size);
	memset(err, 0x5a, sizeof(err));
	errno = 0;
	t = pod_map_load(file.path, POD_MAP_NO_PERM_CHECK, err, sizeof(err));
	if (!t) {
		FUZZ_CHECK(errno == EINVAL || errno == ENOMEM,
			   "pod_map_load failed with errno %d", errno);
		fuzz_check_err(err, sizeof(err));
		return 0;
	}
	check_table(t);
	free_pod_node_mapping(t);
	return 0;
}
