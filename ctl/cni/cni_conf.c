// SPDX-License-Identifier: GPL-2.0
/* tcseg-cni input checks (see cni_conf.h, docs/CNI.md). */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cni/cni_conf.h"
#include "policy/parse.h"

static const char *const versions[] = { "0.3.0", "0.3.1", "0.4.0", "1.0.0" };

int cni_errf(struct cni_err *e, int code, const char *fmt, ...)
{
	va_list ap;

	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int cni_version_ok(const char *v)
{
	size_t i;

	for (i = 0; i < sizeof(versions) / sizeof(versions[0]); i++)
		if (!strcmp(v, versions[i]))
			return 1;
	return 0;
}

/* An optional string member: absent is fine, anything else but a string
 * that fits is not. */
static int opt_string(json_t *o, const char *key, char *out, size_t len,
		      struct cni_err *e)
{
	json_t *v = json_object_get(o, key);
	const char *s;

	if (!v)
		return 0;
	if (!json_is_string(v))
		return cni_errf(e, CNI_E_CONFIG, "config: \"%s\" is not a string",
				key);
	s = json_string_value(v);
	if (json_string_length(v) != strlen(s) || strlen(s) >= len)
		return cni_errf(e, CNI_E_CONFIG,
				"config: \"%s\" is too long or holds a NUL", key);
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

static int opt_path(json_t *o, const char *key, char *out, size_t len,
		    struct cni_err *e)
{
	if (opt_string(o, key, out, len, e))
		return -1;
	if (out[0] && out[0] != '/')
		return cni_errf(e, CNI_E_CONFIG,
				"config: \"%s\" must be an absolute path", key);
	return 0;
}

/*
 * An optional word out of @words (NULL-terminated; "" = absent is
 * words[0]'s index 0): its index in *@idx, or an error naming the key.
 */
static int opt_word(json_t *o, const char *key, const char *const *words,
		    const char *choices, int *idx, struct cni_err *e)
{
	char v[16] = "";
	int i;

	if (opt_string(o, key, v, sizeof(v), e))
		return cni_errf(e, CNI_E_CONFIG, "config: \"%s\" is not %s",
				key, choices);
	for (i = 0; words[i]; i++)
		if (!strcmp(v, words[i])) {
			*idx = i;
			return 0;
		}
	return cni_errf(e, CNI_E_CONFIG, "config: \"%s\" is not %s", key,
			choices);
}

static const char *const defaults[] = { "", "allow", "deny", NULL };
static const __u8 default_acts[] = { TCSEG_ACT_UNSET, TCSEG_ACT_ALLOW,
				     TCSEG_ACT_DENY };
static const char *const modes[] = { "", "auto", "tcx", "tc", NULL };
/* in enum cni_position's order */
static const char *const positions[] = { "", "first", "last", NULL };

static int parse_options(json_t *r, struct cni_conf *c, struct cni_err *e)
{
	int def, mode, pos;

	if (opt_word(r, "default", defaults, "\"allow\" or \"deny\"", &def,
		     e) ||
	    opt_word(r, "mode", modes, "\"auto\", \"tcx\" or \"tc\"", &mode,
		     e) ||
	    opt_word(r, "position", positions, "\"first\" or \"last\"", &pos,
		     e) ||
	    opt_path(r, "tcctl", c->tcctl, sizeof(c->tcctl), e) ||
	    opt_path(r, "pin_dir", c->pin_dir, sizeof(c->pin_dir), e) ||
	    opt_path(r, "state_dir", c->state_dir, sizeof(c->state_dir), e) ||
	    opt_path(r, "socket", c->socket, sizeof(c->socket), e))
		return -1;
	c->def = default_acts[def];
	strcpy(c->mode, mode ? modes[mode] : "auto");
	c->pos = pos;
	if (!c->state_dir[0])
		strcpy(c->state_dir, CNI_STATE_DIR);
	return 0;
}

int cni_conf_parse(const char *buf, size_t len, struct cni_conf *c,
		   struct cni_err *e)
{
	json_error_t je;
	json_t *r, *prev;

	memset(c, 0, sizeof(*c));
	if (len > CNI_INPUT_MAX)
		return cni_errf(e, CNI_E_DECODE, "config: more than %d bytes",
				CNI_INPUT_MAX);
	r = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (!r)
		return cni_errf(e, CNI_E_DECODE, "config: line %d column %d: %s",
				je.line, je.column, je.text);
	c->root = r;
	if (!json_is_object(r)) {
		cni_errf(e, CNI_E_DECODE, "config: not a JSON object");
		goto fail;
	}
	if (!json_object_get(r, "cniVersion")) {
		cni_errf(e, CNI_E_CONFIG, "config: no \"cniVersion\"");
		goto fail;
	}
	if (opt_string(r, "cniVersion", c->version, sizeof(c->version), e) ||
	    opt_string(r, "name", c->name, sizeof(c->name), e) ||
	    parse_options(r, c, e))
		goto fail;
	if (!cni_version_ok(c->version)) {
		cni_errf(e, CNI_E_VERSION, "config: cniVersion \"%s\" not "
			 "supported (0.3.0 to 1.0.0)", c->version);
		goto fail;
	}
	prev = json_object_get(r, "prevResult");
	if (prev && !json_is_object(prev)) {
		cni_errf(e, CNI_E_DECODE, "config: \"prevResult\" is not an object");
		goto fail;
	}
	c->prev = prev;
	return 0;
fail:
	cni_conf_free(c);
	return -1;
}

void cni_conf_free(struct cni_conf *c)
{
	json_decref(c->root);
	c->root = NULL;
	c->prev = NULL;
}

int cni_ifname_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (!n || n >= IF_NAMESIZE || !strcmp(s, ".") || !strcmp(s, ".."))
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] == '/' || s[i] == ':' || s[i] > '~')
			return 0;
	return 1;
}

/* [A-Za-z0-9_.-], @n of them (Kubernetes names, container ids) */
static int name_chars_ok(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || strchr("_.-", s[i])))
			return 0;
	return 1;
}

int cni_id_ok(const char *s)
{
	size_t n = strlen(s);

	return n && n <= CNI_ID_MAX && s[0] != '.' && name_chars_ok(s, n);
}

/* interfaces[i] -> its name; @sandbox says if it is in a container */
static int iface_at(json_t *ifs, size_t i, const char **name, int *sandbox,
		    struct cni_err *e)
{
	json_t *it = json_array_get(ifs, i), *n, *sb;

	if (!json_is_object(it))
		return cni_errf(e, CNI_E_DECODE,
				"prevResult: interfaces[%zu] is not an object", i);
	n = json_object_get(it, "name");
	if (!json_is_string(n) || !cni_ifname_ok(json_string_value(n)) ||
	    json_string_length(n) != strlen(json_string_value(n)))
		return cni_errf(e, CNI_E_DECODE,
				"prevResult: interfaces[%zu].name is not an "
				"interface name", i);
	sb = json_object_get(it, "sandbox");
	if (sb && !json_is_string(sb))
		return cni_errf(e, CNI_E_DECODE,
				"prevResult: interfaces[%zu].sandbox is not a "
				"string", i);
	*name = json_string_value(n);
	*sandbox = sb && json_string_length(sb) > 0;
	return 0;
}

/* Find CNI_IFNAME in the sandbox, collect the host-side candidates. */
static int find_ifaces(json_t *ifs, const char *ifname, struct cni_pod *p,
		       long *idx, struct cni_err *e)
{
	size_t i, n = json_array_size(ifs);
	const char *name = NULL;
	int sb = 0;

	*idx = -1;
	for (i = 0; i < n; i++) {
		if (iface_at(ifs, i, &name, &sb, e))
			return -1;
		if (sb && !strcmp(name, ifname)) {
			*idx = i;
		} else if (!sb) {
			if (p->n_cand == CNI_MAX_CAND)
				return cni_errf(e, CNI_E_DECODE,
						"prevResult: more than %d host "
						"interfaces", CNI_MAX_CAND);
			strcpy(p->cand[p->n_cand++], name);
		}
	}
	if (*idx < 0)
		return cni_errf(e, CNI_E_DECODE, "prevResult: no interface "
				"\"%s\" with a sandbox", ifname);
	if (!p->n_cand)
		return cni_errf(e, CNI_E_DECODE,
				"prevResult: no host-side interface");
	return 0;
}

/* "A.B.C.D/N" (host bits set, as CNI results have them) -> A.B.C.D */
static int ip_of_cidr(const char *s, __be32 *addr)
{
	const char *slash = strchr(s, '/');
	char a[16], err[TCSEG_ERRLEN];
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	__u8 plen;
	__be32 net;

	if (!slash || n >= sizeof(a))
		return -1;
	memcpy(a, s, n);
	a[n] = 0;
	/* the prefix length must be one too: 0.0.0.0/N has no host bits */
	if (parse_cidr(a, addr, &plen, err, sizeof(err)) || !strcmp(slash, "/") ||
	    strlen(slash) > 3 || snprintf(a, sizeof(a), "0.0.0.0%s", slash) < 0 ||
	    parse_cidr(a, &net, &plen, err, sizeof(err)))
		return -1;
	return 0;
}

/* One ips[] entry: its IPv4 address goes to the pod if it sits on @idx. */
static int take_ip(json_t *ip, size_t i, size_t n_ifs, long idx,
		   struct cni_pod *p, struct cni_err *e)
{
	json_t *a = json_object_get(ip, "address"), *in;
	json_int_t at;
	__be32 addr;
	int k;

	if (!json_is_object(ip) || !json_is_string(a))
		return cni_errf(e, CNI_E_DECODE,
				"prevResult: ips[%zu].address missing", i);
	in = json_object_get(ip, "interface");
	if (!in)	/* spec: optional; without it the address is not ours */
		return 0;
	if (!json_is_integer(in))
		return cni_errf(e, CNI_E_DECODE,
				"prevResult: ips[%zu].interface is not an integer",
				i);
	at = json_integer_value(in);
	if (at < 0 || (size_t)at >= n_ifs)
		return cni_errf(e, CNI_E_DECODE, "prevResult: ips[%zu].interface "
				"%lld is out of range (%zu interfaces)", i,
				(long long)at, n_ifs);
	if (at != idx || strchr(json_string_value(a), ':'))
		return 0;	/* another interface's, or IPv6 */
	if (json_string_length(a) >= 32 ||
	    ip_of_cidr(json_string_value(a), &addr))
		return cni_errf(e, CNI_E_DECODE,
				"prevResult: ips[%zu].address: not an IPv4 CIDR",
				i);
	for (k = 0; k < p->n_addrs4; k++)
		if (p->addrs4[k] == addr)
			return 0;
	if (p->n_addrs4 == TCSEG_DEV_MAX_ADDRS4)
		return cni_errf(e, CNI_E_DECODE, "prevResult: more than %d IPv4 "
				"addresses on %s", TCSEG_DEV_MAX_ADDRS4,
				p->ifname);
	p->addrs4[p->n_addrs4++] = addr;
	return 0;
}

int cni_prev_pod(const struct cni_conf *c, const char *ifname,
		 struct cni_pod *p, struct cni_err *e)
{
	json_t *ifs, *ips;
	size_t i;
	long idx;

	memset(p, 0, sizeof(*p));
	if (!c->prev)
		return cni_errf(e, CNI_E_CONFIG, "no prevResult: tcseg-cni is "
				"chained after an interface plugin (bridge, ptp)");
	if (!cni_ifname_ok(ifname))
		return cni_errf(e, CNI_E_ENV, "CNI_IFNAME is not an interface name");
	strcpy(p->ifname, ifname);
	ifs = json_object_get(c->prev, "interfaces");
	ips = json_object_get(c->prev, "ips");
	if (!json_is_array(ifs))
		return cni_errf(e, CNI_E_DECODE,
				"prevResult: \"interfaces\" is not an array");
	if (ips && !json_is_array(ips))
		return cni_errf(e, CNI_E_DECODE,
				"prevResult: \"ips\" is not an array");
	if (find_ifaces(ifs, ifname, p, &idx, e))
		return -1;
	for (i = 0; i < json_array_size(ips); i++)
		if (take_ip(json_array_get(ips, i), i, json_array_size(ifs),
			    idx, p, e))
			return -1;
	return 0;
}

/* Kubernetes names: DNS labels and subdomains (and the older _ and
 * capitals some runtimes pass). */
static int k8s_name_ok(const char *s, size_t n)
{
	return n && n <= CNI_NAME_MAX && name_chars_ok(s, n);
}

int cni_args_parse(const char *s, struct cni_args *a, struct cni_err *e)
{
	memset(a, 0, sizeof(*a));
	while (s && *s) {
		const char *end = strchrnul(s, ';'), *eq = memchr(s, '=', end - s);
		char *dst = NULL;
		size_t kl, vl;

		if (!eq)
			return cni_errf(e, CNI_E_ENV,
					"CNI_ARGS: '%.*s' is not KEY=VALUE",
					(int)(end - s > 64 ? 64 : end - s), s);
		kl = eq - s;
		vl = end - eq - 1;
		if (kl == 12 && !memcmp(s, "K8S_POD_NAME", 12))
			dst = a->pod;
		else if (kl == 17 && !memcmp(s, "K8S_POD_NAMESPACE", 17))
			dst = a->ns;
		if (dst) {
			if (!k8s_name_ok(eq + 1, vl))
				return cni_errf(e, CNI_E_ENV, "CNI_ARGS: %.*s is "
						"not a pod name ([A-Za-z0-9._-], "
						"1..%d)", (int)kl, s, CNI_NAME_MAX);
			memcpy(dst, eq + 1, vl);
			dst[vl] = 0;
		}
		s = *end ? end + 1 : end;
	}
	return 0;
}

int cni_addrs_str(const __be32 *a, int n, char *buf, size_t len)
{
	size_t off = 0;
	int i, w;

	if (!n)
		return snprintf(buf, len, "none") >= (int)len ? -1 : 0;
	buf[0] = 0;
	for (i = 0; i < n; i++) {
		char s[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &a[i], s, sizeof(s));
		w = snprintf(buf + off, len - off, "%s%s", i ? "," : "", s);
		if (w < 0 || (size_t)w >= len - off)
			return -1;
		off += w;
	}
	return 0;
}
