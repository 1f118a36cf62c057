// SPDX-License-Identifier: GPL-2.0
/* tcctl monitor filters (docs/DAEMON.md §Monitor filters). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "dataplane/monitor_filter.h"

static const char *const verdicts[] = {
	"flow_log", "flow_encrypt", "audit", "drop", NULL,
};

/* A/LEN or A: AF_INET or AF_INET6 by inet_pton; 0 or -1. */
static int prefix_parse(const char *s, struct mon_prefix *p)
{
	char a[INET6_ADDRSTRLEN + 1], *end;
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long plen;

	if (n >= sizeof(a))
		return -1;
	memcpy(a, s, n);
	a[n] = 0;
	memset(p, 0, sizeof(*p));
	p->af = strchr(a, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(p->af, a, p->addr) != 1)
		return -1;
	plen = p->af == AF_INET ? 32 : 128;
	if (slash) {
		unsigned long max = plen;

		if (slash[1] < '0' || slash[1] > '9')
			return -1;
		plen = strtoul(slash + 1, &end, 10);
		if (*end || plen > max)
			return -1;
	}
	p->plen = (__u8)plen;
	return 0;
}

static bool prefix_has(const struct mon_prefix *p, const char *addr)
{
	struct mon_prefix a;
	unsigned int full = p->plen / 8, rest = p->plen % 8;

	if (!addr || prefix_parse(addr, &a) || a.af != p->af)
		return false;
	if (memcmp(a.addr, p->addr, full))
		return false;
	return !rest || !((a.addr[full] ^ p->addr[full]) &
			  (__u8)(0xff << (8 - rest)));
}

static int bad(char *err, size_t len, const char *kind, const char *v,
	       const char *want)
{
	snprintf(err, len, "monitor: %s '%.64s': %s", kind, v, want);
	return -1;
}

int mon_filter_parse(struct mon_filter *f, int argc, char **argv, char *err,
		     size_t errlen)
{
	int i;

	memset(f, 0, sizeof(*f));
	for (i = 0; i < argc; i += 2) {
		const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		unsigned int *n = !strcmp(k, "pod") ? &f->n_pod :
				  !strcmp(k, "ip") ? &f->n_ip :
				  !strcmp(k, "verdict") ? &f->n_verdict :
				  !strcmp(k, "rule") ? &f->n_rule : NULL;

		if (!n) {
			snprintf(err, errlen, "monitor: unknown filter '%.32s' "
				 "(pod NAME, ip ADDR[/LEN], verdict "
				 "flow_log|flow_encrypt|audit|drop, rule ID)", k);
			return -1;
		}
		if (!v)
			return bad(err, errlen, k, "", "a value is missing");
		if (*n == MON_FILTER_MAX)
			return bad(err, errlen, k, v, "too many of this filter");
		if (n == &f->n_pod) {
			if (!*v || strlen(v) > 253)
				return bad(err, errlen, k, v, "not a pod name");
			f->pod[*n] = v;
		} else if (n == &f->n_ip) {
			if (prefix_parse(v, &f->ip[*n]))
				return bad(err, errlen, k, v, "not an IPv4 or "
					   "IPv6 address or prefix");
		} else if (n == &f->n_verdict) {
			const char *const *w;

			for (w = verdicts; *w && strcmp(*w, v); w++)
				;
			if (!*w)
				return bad(err, errlen, k, v, "not flow_log, "
					   "flow_encrypt, audit or drop");
			f->verdict[*n] = *w;
		} else {
			char *end;
			unsigned long long id = strtoull(v, &end, 10);

			if (v[0] < '1' || v[0] > '9' || *end || id > 0xffffffffull)
				return bad(err, errlen, k, v,
					   "not a rule id 1..4294967295");
			f->rule[*n] = (__u32)id;
		}
		(*n)++;
	}
	return 0;
}

bool mon_filter_any(const struct mon_filter *f)
{
	return f->n_pod || f->n_ip || f->n_verdict || f->n_rule;
}

static bool eq(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

bool mon_filter_match(const struct mon_filter *f, const struct mon_record *r)
{
	bool ok;
	unsigned int i;

	/* the stream's first line says it started, whatever the filters */
	if (!mon_filter_any(f) || eq(r->type, "hello"))
		return true;
	if (!eq(r->type, "verdict"))
		return false;
	for (i = 0, ok = !f->n_pod; i < f->n_pod && !ok; i++)
		ok = eq(r->src_pod, f->pod[i]) || eq(r->dst_pod, f->pod[i]);
	if (!ok)
		return false;
	for (i = 0, ok = !f->n_ip; i < f->n_ip && !ok; i++)
		ok = prefix_has(&f->ip[i], r->src) || prefix_has(&f->ip[i], r->dst);
	if (!ok)
		return false;
	for (i = 0, ok = !f->n_verdict; i < f->n_verdict && !ok; i++)
		ok = eq(r->event, f->verdict[i]);
	if (!ok)
		return false;
	for (i = 0, ok = !f->n_rule; i < f->n_rule && !ok; i++) {
		char *end;

		ok = r->rule && r->rule[0] >= '0' && r->rule[0] <= '9' &&
		     strtoull(r->rule, &end, 10) == f->rule[i] && !*end;
	}
	return ok;
}
