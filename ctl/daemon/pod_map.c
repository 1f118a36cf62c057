// SPDX-License-Identifier: GPL-2.0
/*
 * Pod-Node mapping: parser for pod_node_mapping.conf and the lookup
 * tables the daemon consults per flow (format in pod_map.h). Entries live
 * in two arrays in file order; four open-addressing indices (pod name,
 * pod IP, node name, node address) hold array positions + 1.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "lib/conf_file.h"
#include "daemon/pod_map.h"

#define ARENA_CHUNK	(64 * 1024)

struct arena_chunk {
	struct arena_chunk *next;
	size_t used;
	char data[ARENA_CHUNK];
};

struct pod_ent {
	struct pod_map_pod pub;
	__u32 hash;		/* of pub.name */
	__u32 node;		/* index in nodes[] */
};

struct node_ent {
	struct pod_map_node pub;
	__u32 hash;		/* of pub.name */
	unsigned int addr_line;	/* line that gave the address */
	unsigned int node_line;	/* line of its "node" directive, 0 = none */
};

enum { IX_POD_NAME, IX_POD_IP, IX_NODE_NAME, IX_NODE_ADDR, IX_POD_IP6, IX_NR };

struct hindex {
	__u32 *slot;		/* entry index + 1, 0 = empty */
	__u32 mask;		/* size - 1, size a power of two */
	__u32 used;
};

struct pod_node_table {
	struct pod_ent *pods;
	unsigned int npods, pods_cap;
	struct node_ent *nodes;
	unsigned int nnodes, nodes_cap;
	struct hindex ix[IX_NR];
	struct arena_chunk *arena;
};

/* --- strings --- */

static const char *arena_strdup(struct pod_node_table *t, const char *s)
{
	size_t len = strlen(s) + 1;
	struct arena_chunk *c = t->arena;
	char *p;

	if (len > ARENA_CHUNK)
		return NULL;
	if (!c || ARENA_CHUNK - c->used < len) {
		c = malloc(sizeof(*c));
		if (!c)
			return NULL;
		c->next = t->arena;
		c->used = 0;
		t->arena = c;
	}
	p = c->data + c->used;
	memcpy(p, s, len);
	c->used += len;
	return p;
}

static __u32 hash_str(const char *s)
{
	__u32 h = 2166136261u;	/* FNV-1a */

	while (*s) {
		h ^= (unsigned char)*s++;
		h *= 16777619u;
	}
	return h;
}

static __u32 hash_ip(__be32 ip)
{
	__u32 h = (__u32)ip * 0x9e3779b1u;

	return h ^ (h >> 15);
}

static __u32 hash_ip6(const __u8 *a)
{
	__be32 w[4];

	memcpy(w, a, sizeof(w));
	return hash_ip(w[0] ^ w[1] ^ w[2] ^ hash_ip(w[3]));
}

/* --- indices --- */

static __u32 ent_hash(const struct pod_node_table *t, int ix, __u32 i)
{
	switch (ix) {
	case IX_POD_NAME:
		return t->pods[i].hash;
	case IX_POD_IP:
		return hash_ip(t->pods[i].pub.ip);
	case IX_POD_IP6:
		return hash_ip6(t->pods[i].pub.ip6);
	case IX_NODE_NAME:
		return t->nodes[i].hash;
	default:
		return hash_ip(t->nodes[i].pub.addr);
	}
}

/* @key: a name, a __be32 (IX_POD_IP, IX_NODE_ADDR) or 16 bytes (IX_POD_IP6) */
static bool ent_match(const struct pod_node_table *t, int ix, __u32 i,
		      const void *key)
{
	switch (ix) {
	case IX_POD_NAME:
		return !strcmp(t->pods[i].pub.name, key);
	case IX_POD_IP:
		return !memcmp(&t->pods[i].pub.ip, key, 4);
	case IX_POD_IP6:
		return !memcmp(t->pods[i].pub.ip6, key, 16);
	case IX_NODE_NAME:
		return !strcmp(t->nodes[i].pub.name, key);
	default:
		return !memcmp(&t->nodes[i].pub.addr, key, 4);
	}
}

/* Entry index + 1 of the match, 0 when none. */
static __u32 ix_find(const struct pod_node_table *t, int ix, __u32 hash,
		     const void *key)
{
	const struct hindex *h = &t->ix[ix];
	__u32 pos, e;

	if (!h->slot)
		return 0;
	for (pos = hash & h->mask; (e = h->slot[pos]); pos = (pos + 1) & h->mask)
		if (ent_match(t, ix, e - 1, key))
			return e;
	return 0;
}

static void ix_place(struct hindex *h, __u32 hash, __u32 e)
{
	__u32 pos = hash & h->mask;

	while (h->slot[pos])
		pos = (pos + 1) & h->mask;
	h->slot[pos] = e;
}

/* Keep the load factor at most 1/2. */
static int ix_reserve(struct pod_node_table *t, int ix)
{
	struct hindex *h = &t->ix[ix], nh;
	__u32 size = h->slot ? h->mask + 1 : 0, i;

	if (size && (h->used + 1) * 2 <= size)
		return 0;
	size = size ? size * 2 : 1024;
	nh.slot = calloc(size, sizeof(*nh.slot));
	if (!nh.slot)
		return -ENOMEM;
	nh.mask = size - 1;
	nh.used = h->used;
	for (i = 0; h->slot && i <= h->mask; i++)
		if (h->slot[i])
			ix_place(&nh, ent_hash(t, ix, h->slot[i] - 1),
				 h->slot[i]);
	free(h->slot);
	*h = nh;
	return 0;
}

static int ix_add(struct pod_node_table *t, int ix, __u32 i)
{
	int ret = ix_reserve(t, ix);

	if (ret)
		return ret;
	ix_place(&t->ix[ix], ent_hash(t, ix, i), i + 1);
	t->ix[ix].used++;
	return 0;
}

/* --- building --- */

static int grow(void **arr, unsigned int *cap, unsigned int n, size_t size)
{
	unsigned int ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 256;
	p = realloc(*arr, (size_t)ncap * size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

struct parse_ctx {
	struct pod_node_table *t;
	struct conf_reader *r;
	char *err;
	size_t errlen;
};

static int ip_field(struct parse_ctx *c, const char *field, const char *s,
		    __be32 *ip)
{
	if (!conf_parse_ipv4(s, ip))
		return 0;
	return conf_err(c->err, c->errlen, c->r, field,
			"bad address " CONF_Q
			" (dotted quad, not 0.0.0.0, broadcast or multicast)",
			CONF_QARG(s));
}

static int name_field(struct parse_ctx *c, const char *field, const char *s,
		      size_t max, const char *extra)
{
	char msg[160];

	if (!conf_check_name(s, max, extra, msg, sizeof(msg)))
		return 0;
	return conf_err(c->err, c->errlen, c->r, field, "%s", msg);
}

/* Node @name, created on first mention; its index in *idx. */
static int node_get(struct parse_ctx *c, const char *name, __u32 *idx)
{
	struct pod_node_table *t = c->t;
	__u32 hash = hash_str(name), e;
	struct node_ent *n;
	int ret;

	e = ix_find(t, IX_NODE_NAME, hash, name);
	if (e) {
		*idx = e - 1;
		return 0;
	}
	ret = grow((void **)&t->nodes, &t->nodes_cap, t->nnodes,
		   sizeof(*t->nodes));
	if (ret)
		return ret;
	n = &t->nodes[t->nnodes];
	memset(n, 0, sizeof(*n));
	n->pub.name = arena_strdup(t, name);
	if (!n->pub.name)
		return -ENOMEM;
	n->pub.line = c->r->lineno;
	n->hash = hash;
	ret = ix_add(t, IX_NODE_NAME, t->nnodes);
	if (ret)
		return ret;
	*idx = t->nnodes++;
	return 0;
}

static int node_set_addr(struct parse_ctx *c, __u32 idx, const char *field,
			 __be32 addr)
{
	struct pod_node_table *t = c->t;
	struct node_ent *n = &t->nodes[idx];
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	__u32 other;

	if (n->pub.addr == addr)
		return 0;
	inet_ntop(AF_INET, &addr, a, sizeof(a));
	if (n->pub.addr) {
		inet_ntop(AF_INET, &n->pub.addr, b, sizeof(b));
		return conf_err(c->err, c->errlen, c->r, field,
				"node '%s' address %s conflicts with %s given at line %u",
				n->pub.name, a, b, n->addr_line);
	}
	other = ix_find(t, IX_NODE_ADDR, hash_ip(addr), &addr);
	if (other)
		return conf_err(c->err, c->errlen, c->r, field,
				"address %s of node '%s' is already node '%s' (line %u)",
				a, n->pub.name, t->nodes[other - 1].pub.name,
				t->nodes[other - 1].addr_line);
	n->pub.addr = addr;
	n->addr_line = c->r->lineno;
	return ix_add(t, IX_NODE_ADDR, idx);
}

/* "node NAME ADDR" */
static int parse_node_line(struct parse_ctx *c, char **f, int n)
{
	__be32 addr;
	__u32 idx;
	int ret;

	if (n < 2)
		return conf_err(c->err, c->errlen, c->r, "node_name",
				"missing (expected 'node node_name node_ip')");
	if (n < 3)
		return conf_err(c->err, c->errlen, c->r, "node_ip",
				"missing (expected 'node node_name node_ip')");
	if (n > 3)
		return conf_err(c->err, c->errlen, c->r, "line",
				"too many fields (%d, expected 'node node_name node_ip')",
				n);
	ret = name_field(c, "node_name", f[1], POD_MAP_NODE_NAME_MAX, NULL);
	if (!ret)
		ret = ip_field(c, "node_ip", f[2], &addr);
	if (!ret)
		ret = node_get(c, f[1], &idx);
	if (ret)
		return ret;
	if (c->t->nodes[idx].node_line)
		return conf_err(c->err, c->errlen, c->r, "node_name",
				"duplicate node line for '%s' (first at line %u)",
				f[1], c->t->nodes[idx].node_line);
	c->t->nodes[idx].node_line = c->r->lineno;
	return node_set_addr(c, idx, "node_ip", addr);
}

struct pod_opts {
	const char *node_ip;
	const char *pod_ip;
	const char *pod_ip6;	/* a pod_ip= value with a ':' */
};

#define POD_LINE_USAGE "'pod_name node_name [node_ip] [pod_ip=A.B.C.D] [pod_ip=IPV6]'"

/* Fields 3 to 5 of a pod line: [node_ip | node_ip=X] [pod_ip=X] [pod_ip=X6]. */
static int parse_pod_opts(struct parse_ctx *c, char **f, int n,
			  struct pod_opts *o)
{
	int i;

	memset(o, 0, sizeof(*o));
	if (n > 5)
		return conf_err(c->err, c->errlen, c->r, "line",
				"too many fields (%d, expected " POD_LINE_USAGE ")",
				n);
	for (i = 2; i < n; i++) {
		const char **slot;
		const char *v = strchr(f[i], '=');

		if (!v && i == 2) {
			o->node_ip = f[i];
			continue;
		}
		if (!v)
			return conf_err(c->err, c->errlen, c->r, "line",
					"field %d " CONF_Q " must be pod_ip=A.B.C.D or node_ip=A.B.C.D (a bare third field is the node ip)",
					i + 1, CONF_QARG(f[i]));
		if (!strncmp(f[i], "pod_ip=", 7))
			slot = strchr(v, ':') ? &o->pod_ip6 : &o->pod_ip;
		else if (!strncmp(f[i], "node_ip=", 8))
			slot = &o->node_ip;
		else
			return conf_err(c->err, c->errlen, c->r, "line",
					"unknown keyword in " CONF_Q " (pod_ip= or node_ip=)",
					CONF_QARG(f[i]));
		if (*slot)
			return conf_err(c->err, c->errlen, c->r,
					slot == &o->node_ip ? "node_ip" : "pod_ip",
					slot == &o->node_ip ? "given twice" :
					"given twice for one address family");
		*slot = v + 1;
	}
	return 0;
}

/*
 * A pod's IPv6 address: a global or unique local unicast address, not
 * ::, loopback, multicast, link-local (not unique across nodes) or
 * v4-mapped (an IPv4 pod is given with a dotted quad; docs/CAPTURE.md).
 */
static int ip6_field(struct parse_ctx *c, const char *field, const char *s,
		     __u8 *ip6)
{
	static const __u8 mapped[12] = { [10] = 0xff, [11] = 0xff };
	static const __u8 zero[16];
	struct in6_addr a;

	if (inet_pton(AF_INET6, s, &a) == 1 && memcmp(a.s6_addr, zero, 15) &&
	    a.s6_addr[0] != 0xff &&
	    !(a.s6_addr[0] == 0xfe && (a.s6_addr[1] & 0xc0) == 0x80) &&
	    memcmp(a.s6_addr, mapped, sizeof(mapped))) {
		memcpy(ip6, a.s6_addr, 16);
		return 0;
	}
	return conf_err(c->err, c->errlen, c->r, field,
			"bad address " CONF_Q " (IPv6: not ::, loopback, "
			"multicast, link-local or v4-mapped)", CONF_QARG(s));
}

static int add_pod(struct parse_ctx *c, const char *name, __u32 node,
		   __be32 ip, const __u8 *ip6)
{
	struct pod_node_table *t = c->t;
	struct pod_ent *p;
	int ret;

	if (t->npods >= POD_MAP_MAX_PODS)
		return conf_err(c->err, c->errlen, c->r, "pod_name",
				"too many pods (limit %u)", POD_MAP_MAX_PODS);
	ret = grow((void **)&t->pods, &t->pods_cap, t->npods,
		   sizeof(*t->pods));
	if (ret)
		return ret;
	p = &t->pods[t->npods];
	memset(p, 0, sizeof(*p));
	p->pub.name = arena_strdup(t, name);
	if (!p->pub.name)
		return -ENOMEM;
	p->pub.ip = ip;
	memcpy(p->pub.ip6, ip6, sizeof(p->pub.ip6));
	p->pub.line = c->r->lineno;
	p->hash = hash_str(name);
	p->node = node;
	ret = ix_add(t, IX_POD_NAME, t->npods);
	if (!ret && ip)
		ret = ix_add(t, IX_POD_IP, t->npods);
	if (!ret && pod_map_pod_has_ip6(&p->pub))
		ret = ix_add(t, IX_POD_IP6, t->npods);
	if (ret)
		return ret;
	t->nodes[node].pub.pods++;
	t->npods++;
	return 0;
}

/* A pod IP (@family 4 or 6) already taken by another pod: the error. */
static int pod_ip_taken(struct parse_ctx *c, int family, const void *addr,
			const char *text)
{
	const struct pod_map_pod *p = pod_map_find_pod_addr(c->t, family, addr);

	if (!p)
		return 0;
	return conf_err(c->err, c->errlen, c->r, "pod_ip",
			"%s is already pod '%s' (line %u)", text, p->name,
			p->line);
}

static int parse_pod_line(struct parse_ctx *c, char **f, int n)
{
	__be32 node_ip = 0, pod_ip = 0;
	__u8 pod_ip6[16] = { 0 };
	struct pod_opts o;
	__u32 node, e;
	int ret;

	if (n < 2)
		return conf_err(c->err, c->errlen, c->r, "node_name",
				"missing (expected " POD_LINE_USAGE ")");
	ret = parse_pod_opts(c, f, n, &o);
	if (!ret)
		ret = name_field(c, "pod_name", f[0], POD_MAP_POD_NAME_MAX,
				 ":/");
	if (!ret)
		ret = name_field(c, "node_name", f[1], POD_MAP_NODE_NAME_MAX,
				 NULL);
	if (!ret && o.node_ip)
		ret = ip_field(c, "node_ip", o.node_ip, &node_ip);
	if (!ret && o.pod_ip)
		ret = ip_field(c, "pod_ip", o.pod_ip, &pod_ip);
	if (!ret && o.pod_ip6)
		ret = ip6_field(c, "pod_ip", o.pod_ip6, pod_ip6);
	if (ret)
		return ret;
	e = ix_find(c->t, IX_POD_NAME, hash_str(f[0]), f[0]);
	if (e)
		return conf_err(c->err, c->errlen, c->r, "pod_name",
				"duplicate pod '%s' (first at line %u)", f[0],
				c->t->pods[e - 1].pub.line);
	ret = pod_ip_taken(c, 4, &pod_ip, o.pod_ip);
	if (!ret)
		ret = pod_ip_taken(c, 6, pod_ip6, o.pod_ip6);
	if (!ret)
		ret = node_get(c, f[1], &node);
	if (!ret && node_ip)
		ret = node_set_addr(c, node, "node_ip", node_ip);
	if (!ret)
		ret = add_pod(c, f[0], node, pod_ip, pod_ip6);
	return ret;
}

static int parse_line(struct parse_ctx *c, char *line)
{
	char *f[6];
	int n = conf_split(line, f, 6);

	if (!strcmp(f[0], "node"))
		return parse_node_line(c, f, n);
	return parse_pod_line(c, f, n);
}

/* Pointers and addresses that could only be known at the end. */
static void finish(struct pod_node_table *t)
{
	unsigned int i;

	for (i = 0; i < t->npods; i++) {
		const struct node_ent *n = &t->nodes[t->pods[i].node];

		t->pods[i].pub.node = n->pub.name;
		t->pods[i].pub.node_ip = n->pub.addr;
	}
}

struct pod_node_table *pod_map_load(const char *path, unsigned int flags,
				    char *err, size_t errlen)
{
	struct pod_node_table *t;
	struct conf_reader r;
	struct parse_ctx c;
	char *line;
	int ret;

	if (!path) {
		snprintf(err, errlen, "no pod mapping file given");
		errno = EINVAL;
		return NULL;
	}
	ret = conf_open(&r, path,
			(flags & POD_MAP_NO_PERM_CHECK) ? CONF_NO_PERM_CHECK : 0,
			POD_MAP_MAX_FILE, err, errlen);
	if (ret) {
		errno = -ret;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		ret = -ENOMEM;
		goto out;
	}
	c = (struct parse_ctx){ .t = t, .r = &r, .err = err, .errlen = errlen };
	while ((ret = conf_next(&r, &line, err, errlen)) > 0) {
		ret = parse_line(&c, line);
		if (ret)
			break;
	}
	if (!ret)
		finish(t);
out:
	if (ret == -ENOMEM)
		snprintf(err, errlen, "%s:%u: out of memory", path, r.lineno);
	conf_close(&r);
	if (ret) {
		free_pod_node_mapping(t);
		errno = -ret;
		return NULL;
	}
	return t;
}

/* --- the process-wide API (docs/CONFIG.md) --- */

struct pod_node_table *init_pod_node_mapping(const char *config_file)
{
	struct pod_node_table *t;
	char err[512];
	int e;

	t = pod_map_load(config_file, 0, err, sizeof(err));
	if (!t) {
		e = errno;
		fprintf(stderr, "pod mapping: %s\n", err);
		errno = e;
	}
	return t;
}

void free_pod_node_mapping(struct pod_node_table *table)
{
	struct arena_chunk *c, *next;
	int i;

	if (!table)
		return;
	for (c = table->arena; c; c = next) {
		next = c->next;
		free(c);
	}
	for (i = 0; i < IX_NR; i++)
		free(table->ix[i].slot);
	free(table->pods);
	free(table->nodes);
	free(table);
}

const struct pod_map_pod *pod_map_find_pod(const struct pod_node_table *table,
					   const char *pod_name)
{
	__u32 e;

	if (!table || !pod_name)
		return NULL;
	e = ix_find(table, IX_POD_NAME, hash_str(pod_name), pod_name);
	return e ? &table->pods[e - 1].pub : NULL;
}

const char *get_node_by_pod(struct pod_node_table *table, const char *pod_name)
{
	const struct pod_map_pod *p = pod_map_find_pod(table, pod_name);

	return p ? p->node : NULL;
}

void pod_map_fprint(FILE *f, const struct pod_node_table *table, int addrs)
{
	unsigned int i, n = pod_map_pod_count(table);
	char a[INET_ADDRSTRLEN + INET6_ADDRSTRLEN + 1], b[INET_ADDRSTRLEN];

	fprintf(f, "Pod-Node Mapping Table (%u entries):\n", n);
	if (addrs)
		fprintf(f, "%-30s %-30s %-15s %s\n", "Pod Name", "Node Name",
			"Pod IP", "Node IP");
	else
		fprintf(f, "%-30s %s\n", "Pod Name", "Node Name");
	fprintf(f, "------------------------------------------------------------%s\n",
		addrs ? "------------------------------" : "");
	for (i = 0; i < n; i++) {
		const struct pod_map_pod *p = &table->pods[i].pub;

		if (!addrs) {
			fprintf(f, "%-30s %s\n", p->name, p->node);
			continue;
		}
		strcpy(a, "-");
		strcpy(b, "-");
		if (p->ip)
			inet_ntop(AF_INET, &p->ip, a, sizeof(a));
		if (pod_map_pod_has_ip6(p)) {
			size_t l = p->ip ? strlen(a) : 0;

			if (l)
				a[l++] = ',';
			inet_ntop(AF_INET6, p->ip6, a + l, sizeof(a) - l);
		}
		if (p->node_ip)
			inet_ntop(AF_INET, &p->node_ip, b, sizeof(b));
		fprintf(f, "%-30s %-30s %-15s %s\n", p->name, p->node, a, b);
	}
}

void print_pod_node_mapping(struct pod_node_table *table)
{
	pod_map_fprint(stdout, table, 0);
	fflush(stdout);
}

/* --- lookups --- */

static const struct pod_map_pod *pod_by_ip(const struct pod_node_table *table,
					   __be32 ip)
{
	__u32 e;

	if (!table || !ip)
		return NULL;
	e = ix_find(table, IX_POD_IP, hash_ip(ip), &ip);
	return e ? &table->pods[e - 1].pub : NULL;
}

static const struct pod_map_pod *pod_by_ip6(const struct pod_node_table *table,
					    const __u8 *ip6)
{
	static const __u8 zero[16];
	__u32 e;

	if (!table || !ip6 || !memcmp(ip6, zero, 16))
		return NULL;
	e = ix_find(table, IX_POD_IP6, hash_ip6(ip6), ip6);
	return e ? &table->pods[e - 1].pub : NULL;
}

const char *pod_map_pod_by_ip(const struct pod_node_table *table, __be32 ip)
{
	const struct pod_map_pod *p = pod_by_ip(table, ip);

	return p ? p->name : NULL;
}

const char *pod_map_node_by_pod_ip(const struct pod_node_table *table,
				   __be32 ip)
{
	const struct pod_map_pod *p = pod_by_ip(table, ip);

	return p ? p->node : NULL;
}

const struct pod_map_pod *
pod_map_find_pod_addr(const struct pod_node_table *table, int family,
		      const void *addr)
{
	__be32 ip;

	if (family == 6)
		return pod_by_ip6(table, addr);
	if (family != 4 || !addr)
		return NULL;
	memcpy(&ip, addr, 4);
	return pod_by_ip(table, ip);
}

const struct pod_map_node *
pod_map_find_node(const struct pod_node_table *table, const char *node_name)
{
	__u32 e;

	if (!table || !node_name)
		return NULL;
	e = ix_find(table, IX_NODE_NAME, hash_str(node_name), node_name);
	return e ? &table->nodes[e - 1].pub : NULL;
}

__be32 pod_map_node_addr(const struct pod_node_table *table,
			 const char *node_name)
{
	const struct pod_map_node *n = pod_map_find_node(table, node_name);

	return n ? n->addr : 0;
}

const char *pod_map_node_by_addr(const struct pod_node_table *table,
				 __be32 addr)
{
	__u32 e;

	if (!table || !addr)
		return NULL;
	e = ix_find(table, IX_NODE_ADDR, hash_ip(addr), &addr);
	return e ? table->nodes[e - 1].pub.name : NULL;
}

unsigned int pod_map_pod_count(const struct pod_node_table *table)
{
	return table ? table->npods : 0;
}

unsigned int pod_map_node_count(const struct pod_node_table *table)
{
	return table ? table->nnodes : 0;
}

const struct pod_map_pod *pod_map_pod_at(const struct pod_node_table *table,
					 unsigned int i)
{
	return table && i < table->npods ? &table->pods[i].pub : NULL;
}

const struct pod_map_node *
pod_map_node_at(const struct pod_node_table *table, unsigned int i)
{
	return table && i < table->nnodes ? &table->nodes[i].pub : NULL;
}
