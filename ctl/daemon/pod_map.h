/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pod-Node mapping (docs/CONFIG.md "pod_node_mapping.conf"): which node
 * each pod runs on, the pods' IPs and the nodes' addresses, loaded from
 * pod_node_mapping.conf into hash tables.
 *
 * File format (one entry a line, blanks separate fields, '#' comments):
 *
 *   pod_name node_name                       short form
 *   pod_name node_name node_ip               TLSHub form: 3rd field = NODE ip
 *   pod_name node_name [node_ip] pod_ip=A.B.C.D
 *   pod_name node_name node_ip=A.B.C.D [pod_ip=A.B.C.D] [pod_ip=IPV6]
 *   node node_name node_ip                   a node's address, no pod
 *
 * A bare third field is always the node's address (as in the TLSHub
 * repository's file); a pod's own IP is only ever given as pod_ip=, so
 * no line can be read two ways. "node" as the first word is the node
 * directive: no pod may be called "node".
 *
 * Rules: pod names are unique (1..253 of [A-Za-z0-9._-:/], starting with
 * a letter or digit); node names 1..63 of [A-Za-z0-9._-]; addresses are
 * dotted quads, not 0.0.0.0, broadcast, multicast or 240/4; a pod may
 * also have one IPv6 address (pod_ip= with a ':', once per family: a
 * dual-stack pod has both), not ::, loopback, multicast, link-local or
 * v4-mapped. Node addresses are IPv4 (docs/KEYS.md). A node
 * has one address (repeating the same one is fine, a different one is an
 * error); two nodes cannot share an address, two pods cannot share an
 * IP. A node named by pods but never given an address is allowed (its
 * address lookups return 0). Every error names "FILE:LINE: field:".
 *
 * A loaded table is never modified: lookups are safe from any thread, and
 * a reload builds a new table next to the old one (swap, then free).
 */
#ifndef TCSEG_POD_MAP_H
#define TCSEG_POD_MAP_H

#include <stdio.h>
#include <stddef.h>
#include <string.h>
#include <linux/types.h>

#define POD_MAP_POD_NAME_MAX	253	/* Kubernetes object name limit */
#define POD_MAP_NODE_NAME_MAX	63	/* fits KP_NODE_NAME_MAX (64) */
#define POD_MAP_MAX_PODS	(1u << 20)
#define POD_MAP_MAX_FILE	(64 << 20)	/* bytes */
#define POD_MAP_DEFAULT_PATH	"/etc/tcseg/pod_node_mapping.conf"

/* pod_map_load() flags (the CONF_* flags of conf_file.h). */
#define POD_MAP_NO_PERM_CHECK	0x1

struct pod_node_table;

struct pod_map_pod {
	const char *name;
	const char *node;	/* node name */
	__be32 ip;		/* pod IP, 0 = not given */
	__be32 node_ip;		/* node's address, 0 = not known */
	unsigned int line;	/* line of the pod's entry */
	__u8 ip6[16];		/* pod IPv6, all zero = not given */
};

static inline int pod_map_pod_has_ip6(const struct pod_map_pod *p)
{
	static const __u8 zero[16];

	return memcmp(p->ip6, zero, sizeof(zero)) != 0;
}

struct pod_map_node {
	const char *name;
	__be32 addr;		/* 0 = not known */
	unsigned int line;	/* first line naming the node */
	unsigned int pods;	/* pods on this node */
};

/* --- the process-wide API (docs/CONFIG.md) --- */

/* Load with the permission check; on error print it to stderr, NULL. */
struct pod_node_table *init_pod_node_mapping(const char *config_file);
/* Node name of @pod_name, NULL when unknown (or @table NULL). */
const char *get_node_by_pod(struct pod_node_table *table,
			    const char *pod_name);
void free_pod_node_mapping(struct pod_node_table *table);
/* Seed format on stdout: header, column titles, 60 dashes, "%-30s %s". */
void print_pod_node_mapping(struct pod_node_table *table);

/* --- extensions --- */

/*
 * Load @path. On error returns NULL with errno set and the first problem
 * in @err ("FILE:LINE: field: message" or "FILE: message").
 */
struct pod_node_table *pod_map_load(const char *path, unsigned int flags,
				    char *err, size_t errlen);

/* Seed format to @f; with @addrs two more columns: pod IP, node IP. */
void pod_map_fprint(FILE *f, const struct pod_node_table *table, int addrs);

/* Node name of the pod with IP @ip (network order), NULL when none. */
const char *pod_map_node_by_pod_ip(const struct pod_node_table *table,
				   __be32 ip);
/*
 * The pod with address @addr of @family (4: a __be32, 6: 16 bytes),
 * NULL when none.
 */
const struct pod_map_pod *
pod_map_find_pod_addr(const struct pod_node_table *table, int family,
		      const void *addr);
/* Pod name with IP @ip, NULL when none. */
const char *pod_map_pod_by_ip(const struct pod_node_table *table, __be32 ip);
/* Address of node @node_name (network order), 0 when unknown. */
__be32 pod_map_node_addr(const struct pod_node_table *table,
			 const char *node_name);
/* Node whose address is @addr, NULL when none. */
const char *pod_map_node_by_addr(const struct pod_node_table *table,
				 __be32 addr);

const struct pod_map_pod *pod_map_find_pod(const struct pod_node_table *table,
					   const char *pod_name);
const struct pod_map_node *
pod_map_find_node(const struct pod_node_table *table, const char *node_name);

/* Iteration in file order: index 0..count-1, NULL past the end. */
unsigned int pod_map_pod_count(const struct pod_node_table *table);
unsigned int pod_map_node_count(const struct pod_node_table *table);
const struct pod_map_pod *pod_map_pod_at(const struct pod_node_table *table,
					 unsigned int i);
const struct pod_map_node *
pod_map_node_at(const struct pod_node_table *table, unsigned int i);

#endif
