// SPDX-License-Identifier: GPL-2.0
/*
 * key_cost: what the family-tagged keys of the IPv6 ABI cost per lookup
 * against the IPv4-only keys they replaced (docs/DATAPATH.md, "IPv6: one
 * key per map"). Loads bench/cost.bpf.c privately (nothing pinned), fills
 * its kc_* maps with the same entries in the old and the new layout and
 * times one lookup of each with BPF_PROG_TEST_RUN.
 *
 *   key_cost [--entries N] [--repeat N] [--rounds N]
 *
 * Each figure is the median over the rounds of (program - c_empty run
 * just before it), in ns; RESULT lines for scripts.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tcseg.h"
#include "key_cost.h"
#include "bench/cost.skel.h"
#include "pkt.h"

#define MAX_ROUNDS	101
#define SMALL_MAP	16

static const struct {
	const char *prog;
	const char *what;
} progs[] = {
	{ "kc_hash20_hit", "HASH, 20-byte session key (IPv4 only)" },
	{ "kc_hash44_hit", "HASH, 44-byte family-tagged key, IPv4" },
	{ "kc_hash44v6_hit", "HASH, 44-byte family-tagged key, IPv6" },
	{ "kc_lru20_hit", "LRU_HASH, 20-byte session key (IPv4 only)" },
	{ "kc_lru44_hit", "LRU_HASH, 44-byte family-tagged key, IPv4" },
	{ "kc_lpm8_hit", "LPM, 8-byte source key (IPv4 only)" },
	{ "kc_lpm20_hit", "LPM, 20-byte source key (IPv6 only map)" },
	{ "kc_lpm24_hit", "LPM, 24-byte family-tagged source key, IPv4" },
	{ "kc_lpm24v6_hit", "LPM, 24-byte family-tagged source key, IPv6" },
	{ "kc_cidr20_hit", "LPM, 20-byte CIDR key (IPv4 only)" },
	{ "kc_cidr48_hit", "LPM, 48-byte family-tagged CIDR key, IPv4" },
};

#define N_PROGS (sizeof(progs) / sizeof(progs[0]))

static int prog_fd(struct cost_bpf *s, const char *name)
{
	return bpf_program__fd(bpf_object__find_program_by_name(s->obj, name));
}

/* The kc_* maps get @n entries; every other map is shrunk (unused). */
static int size_maps(struct cost_bpf *s, __u32 n)
{
	struct bpf_map *m;
	enum bpf_map_type t;
	int err;

	bpf_object__for_each_map(m, s->obj) {
		err = bpf_map__set_pin_path(m, NULL);
		if (err)
			return err;
		t = bpf_map__type(m);
		if (bpf_map__is_internal(m) || t == BPF_MAP_TYPE_ARRAY ||
		    t == BPF_MAP_TYPE_PERCPU_ARRAY || t == BPF_MAP_TYPE_RINGBUF)
			continue;
		err = bpf_map__set_max_entries(
			m, strncmp(bpf_map__name(m), "kc_", 3) ? SMALL_MAP :
								 2 * n + 4);
		if (err)
			return err;
	}
	return 0;
}

static __be32 v4(__u32 host)
{
	return htonl(host);
}

/* fd00::<i>, an IPv6 address per entry */
static void v6(union tcseg_addr *a, __u32 i)
{
	memset(a, 0, sizeof(*a));
	a->b[0] = 0xfd;
	a->w[3] = htonl(i + 1);
}

static int put(struct bpf_map *m, const void *k, const void *v)
{
	int err = 0;

	if (bpf_map_update_elem(bpf_map__fd(m), k, v, BPF_ANY)) {
		err = -errno;
		fprintf(stderr, "key_cost: fill %s: %s\n", bpf_map__name(m),
			strerror(errno));
	}
	return err;
}

static int fill_sessions(struct cost_bpf *s, __u32 n)
{
	struct tcseg_session v = { .packets = 1 };
	struct cost_bpf__bss *g = s->bss;
	union tcseg_addr a, b;
	struct kc_sess20 k20;
	struct tcseg_session_key k44;
	__u32 i;

	for (i = 0; i < n; i++) {
		k20 = (struct kc_sess20){
			.ifindex = 1, .addr_lo = v4(0x0a000000 + i),
			.addr_hi = v4(0x0a800000 + i),
			.port_lo = htons(40000 + i % 20000), .port_hi = htons(80),
			.proto = IPPROTO_TCP,
		};
		memset(&a, 0, sizeof(a));
		memset(&b, 0, sizeof(b));
		a.v4 = k20.addr_lo;
		b.v4 = k20.addr_hi;
		tcseg_session_key_make(&k44, 1, TCSEG_FAMILY_V4, &a, &b,
				       k20.port_lo, k20.port_hi, IPPROTO_TCP);
		if (put(s->maps.kc_hash20, &k20, &v) ||
		    put(s->maps.kc_lru20, &k20, &v) ||
		    put(s->maps.kc_hash44, &k44, &v) ||
		    put(s->maps.kc_lru44, &k44, &v))
			return -1;
		if (i == n / 2) {
			memcpy(g->kc_k_sess20, &k20, sizeof(k20));
			g->kc_k_sess44 = k44;
		}
		v6(&a, i);
		v6(&b, i + n);
		tcseg_session_key_make(&k44, 1, TCSEG_FAMILY_V6, &a, &b,
				       k20.port_lo, k20.port_hi, IPPROTO_TCP);
		if (put(s->maps.kc_hash44, &k44, &v))
			return -1;
		if (i == n / 2)
			g->kc_k_sess44v6 = k44;
	}
	return 0;
}

/* Source classes: n host prefixes plus the two catch-alls a policy has. */
static int fill_src(struct cost_bpf *s, __u32 n)
{
	struct tcseg_src_class c = { .plen = 32 };
	struct cost_bpf__bss *g = s->bss;
	struct kc_lpm8 k8;
	struct kc_lpm20 k20;
	struct tcseg_src_key k24;
	__u32 i;

	for (i = 0; i <= n; i++) {
		/* entry n: 10.0.0.0/8 and fd00::/8 */
		__u32 plen = i < n ? 32 : 8;

		k8 = (struct kc_lpm8){ .prefixlen = plen,
				       .saddr = v4(0x0a000000 + (i < n ? i : 0)) };
		k24 = (struct tcseg_src_key){
			.prefixlen = TCSEG_SRC_FIXED_BITS + plen,
			.family = TCSEG_FAMILY_V4,
		};
		k24.saddr.v4 = k8.saddr;
		if (put(s->maps.kc_lpm8, &k8, &c) ||
		    put(s->maps.kc_lpm24, &k24, &c))
			return -1;
		if (i == n / 2) {
			memcpy(g->kc_k_lpm8, &k8, sizeof(k8));
			g->kc_k_lpm24 = k24;
		}
		plen = i < n ? 128 : 8;
		k20.prefixlen = plen;
		v6((union tcseg_addr *)k20.saddr, i < n ? i : 0);
		k24.prefixlen = TCSEG_SRC_FIXED_BITS + plen;
		k24.family = TCSEG_FAMILY_V6;
		memcpy(&k24.saddr, k20.saddr, 16);
		if (put(s->maps.kc_lpm20, &k20, &c) ||
		    put(s->maps.kc_lpm24, &k24, &c))
			return -1;
		if (i == n / 2) {
			memcpy(g->kc_k_lpm20, &k20, sizeof(k20));
			g->kc_k_lpm24v6 = k24;
		}
	}
	return 0;
}

/* CIDR entries of one source class: n destination /32s and a /0. */
static int fill_cidr(struct cost_bpf *s, __u32 n)
{
	struct tcseg_verdict v = { .rule_id = 1, .slot = 1 };
	struct cost_bpf__bss *g = s->bss;
	struct kc_cidr20 k20;
	struct tcseg_cidr_key k48;
	__u32 i;

	for (i = 0; i <= n; i++) {
		__u32 plen = i < n ? 32 : 0;

		k20 = (struct kc_cidr20){
			.prefixlen = KC_CIDR20_FIXED_BITS + plen,
			.src_net = v4(0x0a000000),
			.src_plen = 8, .proto = IPPROTO_TCP, .dport = htons(80),
			.daddr = i < n ? v4(0x0b000000 + i) : 0,
		};
		k48 = (struct tcseg_cidr_key){
			.prefixlen = TCSEG_CIDR_FIXED_BITS + plen,
			.family = TCSEG_FAMILY_V4, .src_plen = 8,
			.proto = IPPROTO_TCP, .dport = htons(80),
		};
		k48.src_net.v4 = k20.src_net;
		k48.daddr.v4 = k20.daddr;
		if (put(s->maps.kc_cidr20, &k20, &v) ||
		    put(s->maps.kc_cidr48, &k48, &v))
			return -1;
		if (i == n / 2) {
			memcpy(g->kc_k_cidr20, &k20, sizeof(k20));
			g->kc_k_cidr48 = k48;
		}
	}
	return 0;
}

static int run(int fd, const uint8_t *f, size_t len, unsigned int repeat,
	       double *ns)
{
	struct __sk_buff ctx = { .ifindex = 1 };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f, .data_size_in = len,
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx),
		    .repeat = repeat);

	if (bpf_prog_test_run_opts(fd, &o))
		return -errno;
	*ns = o.duration;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int parse_uint(const char *s, unsigned int min, unsigned int max,
		      unsigned int *v)
{
	char *end;
	unsigned long x;

	errno = 0;
	x = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || x < min || x > max) {
		fprintf(stderr, "key_cost: bad number '%s' (%u-%u)\n", s, min,
			max);
		return -1;
	}
	*v = x;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "entries", 1, NULL, 'n' }, { "repeat", 1, NULL, 'r' },
		{ "rounds", 1, NULL, 'R' }, { NULL, 0, NULL, 0 },
	};
	static double v[N_PROGS][MAX_ROUNDS];
	unsigned int n = 65536, repeat = 1000000, rounds = 11, i, r;
	struct pkt_spec sp = {
		.saddr = htonl(0x0a000001), .daddr = htonl(0x0a000002),
		.proto = IPPROTO_TCP, .sport = 40000, .dport = 80,
	};
	struct cost_bpf *s;
	uint8_t f[PKT_MAX];
	size_t flen = pkt_build(f, &sp);
	double base, t;
	int c, err;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if ((c == 'n' && parse_uint(optarg, 2, 1 << 20, &n)) ||
		    (c == 'r' && parse_uint(optarg, 1, 100000000, &repeat)) ||
		    (c == 'R' && parse_uint(optarg, 1, MAX_ROUNDS, &rounds)) ||
		    c == '?') {
			fprintf(stderr, "usage: key_cost [--entries N] "
					"[--repeat N] [--rounds N]\n");
			return 2;
		}
	}
	s = cost_bpf__open();
	if (!s || size_maps(s, n) || cost_bpf__load(s)) {
		fprintf(stderr, "key_cost: cannot load bench/cost.bpf.c\n");
		cost_bpf__destroy(s);
		return 1;
	}
	err = fill_sessions(s, n) ?: fill_src(s, n) ?: fill_cidr(s, n);
	for (i = 0; i < N_PROGS && !err; i++) {
		s->bss->sink = 0;
		err = run(prog_fd(s, progs[i].prog), f, flen, 1, &t);
		if (!err && !s->bss->sink) {
			fprintf(stderr, "key_cost: %s: lookup missed\n",
				progs[i].prog);
			err = -ENOENT;
		}
	}
	for (r = 0; r < rounds && !err; r++) {
		for (i = 0; i < N_PROGS && !err; i++) {
			err = run(prog_fd(s, "c_empty"), f, flen, repeat,
				  &base) ?:
			      run(prog_fd(s, progs[i].prog), f, flen, repeat,
				  &t);
			v[i][r] = t - base;
		}
	}
	if (err) {
		fprintf(stderr, "key_cost: failed: %s\n", strerror(-err));
		cost_bpf__destroy(s);
		return 1;
	}
	printf("lookup cost by key layout (ns over c_empty, median of %u "
	       "rounds, repeat %u, %u entries per family)\n", rounds, repeat,
	       n);
	for (i = 0; i < N_PROGS; i++) {
		qsort(v[i], rounds, sizeof(double), cmp_double);
		printf("  %-48s %6.1f\n", progs[i].what, v[i][rounds / 2]);
		printf("RESULT keycost_%s %.1f\n", progs[i].prog + 3,
		       v[i][rounds / 2]);
	}
	cost_bpf__destroy(s);
	return 0;
}
