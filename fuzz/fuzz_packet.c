// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: fuzzed Ethernet frames through the real tcseg TC
 * program with BPF_PROG_TEST_RUN (needs root). The object is loaded once
 * (tests/bpf/harness.c: unpinned, small maps) with a fixed policy, global
 * default deny plus the rules below compiled by policy_compile() exactly
 * as tcctl writes them. Every input is a short sequence of frames
 * (sessions and fragments start empty for each input):
 *
 *   byte 0       reserved
 *   per frame    u8 flags (bit 0: direction), u16 length (big endian),
 *                that many bytes of frame (cut to what is left)
 *
 * A reference model in C parses each frame like the documented data path
 * and decides it with rules_lookup() on the rule list. Invariants:
 *  - a frame the reference finds malformed (truncated headers, bad
 *    version/ihl/tot_len, bad TCP data offset, TCP at fragment offset 1)
 *    or a later fragment whose first fragment was never seen never
 *    passes;
 *  - a well-formed IPv4 frame passes only if the policy allows its
 *    tuple, or an earlier frame of the input that the policy allowed
 *    opened a session with the same tuple (either direction); an ICMP
 *    error passes only if its own tuple is allowed or it quotes such a
 *    session;
 *  - no TCP payload of an encrypt flow passes (no daemon marks anything
 *    secured here): payload passes only if the policy allows the tuple
 *    in clear, or a plain (allow/log) flow opened that session;
 *  - the first frame of an input, if well formed and not a fragment,
 *    gets the reference's verdict: allowed passes, denied is dropped.
 */
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include "harness.h"
#include "policy/rule.h"
#include "policy/compile.h"
#include "fuzz_util.h"

#define IFX		1	/* lo: BPF_PROG_TEST_RUN accepts it anywhere */
#define MAX_FRAMES	16
#define MAX_FRAME	1600

static const char *const policy[] = {
	"id 1 from 10.0.1.2 to 10.0.2.3 proto tcp sport 40000 dport 8080 action allow",
	"id 2 from 10.0.1.2 to 10.0.2.3 proto udp sport 5353 dport 53 action deny",
	"id 3 from 10.0.1.0/24 to 10.0.2.0/24 proto tcp dport 80 action allow",
	"id 4 from 10.0.1.128/25 to 10.0.2.0/24 proto tcp dport 80 action deny",
	"id 5 from 10.0.0.0/8 to 10.0.2.3 proto udp dport 53 action allow",
	"id 6 to 10.0.3.0/24 proto icmp action allow",
	"id 7 from 10.0.1.0/24 to 10.0.4.0/24 proto tcp dport 443 action encrypt",
	"id 8 from 10.0.1.0/24 to 10.0.5.0/24 action log",
	"id 9 dev lo from 10.0.6.0/24 action allow",
	"id 10 dev lo from 10.0.7.0/24 to 10.0.2.0/24 action deny",
	"id 11 from 10.0.7.0/24 to 10.0.2.0/24 proto tcp action allow",
	"id 12 to 10.0.8.0/24 dport 53 action allow",
	"id 13 from 10.0.9.0/24 to 10.0.2.0/24 proto tcp action encrypt",
};
#define NRULES	(sizeof(policy) / sizeof(policy[0]))

static struct tb t;
static struct tcseg_rule rules[NRULES];

static int resolve(const char *name, void *arg)
{
	(void)arg;
	return strcmp(name, "lo") ? -ENODEV : IFX;
}

static int put(struct bpf_map *m, const void *k, const void *v)
{
	return bpf_map_update_elem(bpf_map__fd(m), k, v, BPF_ANY);
}

static int load_policy(void)
{
	char err[TCSEG_ERRLEN], line[256], *argv[32], *tok, *save;
	struct compiled c;
	size_t i;
	int argc;

	for (i = 0; i < NRULES; i++) {
		snprintf(line, sizeof(line), "%s", policy[i]);
		argc = 0;
		for (tok = strtok_r(line, " ", &save); tok && argc < 32;
		     tok = strtok_r(NULL, " ", &save))
			argv[argc++] = tok;
		if (rule_parse_words(argc, argv, &rules[i], resolve, NULL,
				     err, sizeof(err))) {
			fprintf(stderr, "fuzz_packet: rule %zu: %s\n", i, err);
			return -1;
		}
		rules[i].slot = rules[i].id;
	}
	if (policy_compile(rules, NRULES, 256, &c, err, sizeof(err))) {
		fprintf(stderr, "fuzz_packet: compile: %s\n", err);
		return -1;
	}
	for (i = 0; i < c.n_exact; i++)
		if (put(t.skel->maps.tcseg_exact, &c.ekeys[i], &c.evals[i]))
			goto fail;
	for (i = 0; i < c.n_src; i++)
		if (put(t.skel->maps.tcseg_src_class, &c.skeys[i], &c.svals[i]))
			goto fail;
	for (i = 0; i < c.n_cidr; i++)
		if (put(t.skel->maps.tcseg_cidr, &c.ckeys[i], &c.cvals[i]))
			goto fail;
	t.cfg.default_action = TCSEG_ACT_DENY;
	t.cfg.dev_rules = c.dev_rules;
	t.cfg.syn_limit = 0;
	t.cfg.session_max = 1024;
	compiled_free(&c);
	return tb_cfg_write(&t);
fail:
	fprintf(stderr, "fuzz_packet: map update: %s\n", strerror(errno));
	compiled_free(&c);
	return -1;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (geteuid()) {
		fprintf(stderr, "fuzz_packet: needs root (BPF_PROG_TEST_RUN)\n");
		exit(1);
	}
	libbpf_set_print(NULL);
	ifi_a = ifi_b = IFX;
	if (tb_open(&t, 1024) || load_policy()) {
		fprintf(stderr, "fuzz_packet: setup failed: %s\n", tb_why);
		exit(1);
	}
	return 0;
}

/* tb_run() without its message: refused frames are expected here. */
static int run(int dir, const void *frame, size_t len)
{
	struct bpf_program *prog = dir == TCSEG_DIR_FROM_POD ?
					   t.skel->progs.tcseg_from_pod :
					   t.skel->progs.tcseg_to_pod;
	struct __sk_buff ctx = { .ifindex = IFX };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame,
		    .data_size_in = (__u32)len, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = 1);

	if (bpf_prog_test_run_opts(bpf_program__fd(prog), &o))
		return -1000 - errno;	/* never a verdict */
	return (int)o.retval;
}

/* ---- per-input state ---- */

static void map_empty(struct bpf_map *m, void *key)
{
	int fd = bpf_map__fd(m), n = 0;

	while (!bpf_map_get_next_key(fd, NULL, key) && n++ < 100000)
		bpf_map_delete_elem(fd, key);
}

static void reset(void)
{
	struct tcseg_session_key sk;
	struct tcseg_frag_key fk;
	struct tcseg_pressure pr = {};
	__u32 zero = 0;

	map_empty(t.skel->maps.tcseg_sessions, &sk);
	map_empty(t.skel->maps.tcseg_frags, &fk);
	put(t.skel->maps.tcseg_pressure, &zero, &pr);
	tb_dev(&t, IFX, TCSEG_ACT_UNSET, 0);
	ring_buffer__consume(t.rb);
	t.nev = 0;
}

/* ---- reference model ---- */

enum ref_kind { REF_NON_IP, REF_MALFORMED, REF_FRAG_UNKNOWN, REF_OK };

struct ref {
	enum ref_kind kind;
	union tcseg_addr saddr, daddr;	/* IPv4: .v4, the rest zero */
	__be16 sport, dport;
	__u8 proto;
	__u8 tcp_flags;
	__u32 payload;		/* TCP: bytes after the header; fragment: IP payload */
	int later_frag;
	int icmp_err;
	struct tcseg_session_key inner;
};

#define NFRAG	MAX_FRAMES
static struct {
	struct tcseg_frag_key k;
	__be16 sport, dport;
} frags[NFRAG];
static int nfrags;

/* Sessions the reference allows to exist: key and how they were opened. */
#define OPEN_PLAIN	1
#define OPEN_ENC	2
static struct {
	struct tcseg_session_key k;
	int how;
} opened[MAX_FRAMES];
static int nopened;

static __u16 get16(const uint8_t *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

static void frag_key(struct tcseg_frag_key *k, const struct ref *r,
		     __be16 id)
{
	memset(k, 0, sizeof(*k));
	k->saddr = r->saddr;
	k->daddr = r->daddr;
	k->id = id;
	k->proto = r->proto;
	k->family = TCSEG_FAMILY_V4;
}

/* ICMP error quote (bpf/lib/parse.h parse_inner: reads past tot_len). */
static void ref_inner(const uint8_t *f, size_t len, size_t off, struct ref *r)
{
	size_t ihl;
	__u8 proto;
	__be16 sp = 0, dp = 0;
	union tcseg_addr sa = { .w = { 0 } }, da = { .w = { 0 } };

	if (off + 20 > len || f[off] >> 4 != 4 || (f[off] & 15) * 4 < 20)
		return;
	ihl = (f[off] & 15) * 4u;
	if (off + ihl + 8 > len)
		return;
	proto = f[off + 9];
	if (proto == IPPROTO_TCP || proto == IPPROTO_UDP) {
		memcpy(&sp, f + off + ihl, 2);
		memcpy(&dp, f + off + ihl + 2, 2);
	} else if (proto == IPPROTO_ICMP) {
		memcpy(&sp, f + off + ihl + 4, 2);
		dp = sp;
	}
	memcpy(&sa.v4, f + off + 12, 4);
	memcpy(&da.v4, f + off + 16, 4);
	r->icmp_err = 1;
	tcseg_session_key_make(&r->inner, IFX, TCSEG_FAMILY_V4, &sa, &da, sp,
			       dp, proto);
}

static void ref_parse(const uint8_t *f, size_t len, struct ref *r)
{
	size_t ihl, tot, l4len, l4;
	__u16 frag, type;
	__be16 id;
	int i;

	memset(r, 0, sizeof(*r));
	type = get16(f + 12);
	if (type != 0x0800) {
		r->kind = REF_NON_IP;
		return;
	}
	r->kind = REF_MALFORMED;
	if (len < 14 + 20)
		return;
	ihl = (f[14] & 15) * 4u;
	tot = get16(f + 16);
	if (f[14] >> 4 != 4 || ihl < 20 || tot < ihl || tot > len - 14)
		return;
	memcpy(&r->saddr.v4, f + 26, 4);
	memcpy(&r->daddr.v4, f + 30, 4);
	r->proto = f[23];
	frag = get16(f + 20);
	memcpy(&id, f + 18, 2);
	l4len = tot - ihl;
	l4 = 14 + ihl;
	if (frag & 0x1fff) {
		struct tcseg_frag_key k;

		if ((frag & 0x1fff) == 1 && r->proto == IPPROTO_TCP)
			return;
		frag_key(&k, r, id);
		r->kind = REF_FRAG_UNKNOWN;
		for (i = nfrags - 1; i >= 0; i--) {
			if (memcmp(&frags[i].k, &k, sizeof(k)))
				continue;
			r->kind = REF_OK;
			r->later_frag = 1;
			r->sport = frags[i].sport;
			r->dport = frags[i].dport;
			r->payload = (__u32)l4len;
			break;
		}
		return;
	}
	switch (r->proto) {
	case IPPROTO_TCP:
		if (l4 + 20 > len || (f[l4 + 12] >> 4) * 4u < 20 ||
		    (f[l4 + 12] >> 4) * 4u > l4len)
			return;
		memcpy(&r->sport, f + l4, 2);
		memcpy(&r->dport, f + l4 + 2, 2);
		r->tcp_flags = f[l4 + 13];
		r->payload = (__u32)(l4len - (f[l4 + 12] >> 4) * 4u);
		break;
	case IPPROTO_UDP:
		if (l4 + 8 > len || l4len < 8)
			return;
		memcpy(&r->sport, f + l4, 2);
		memcpy(&r->dport, f + l4 + 2, 2);
		break;
	case IPPROTO_ICMP:
		if (l4 + 8 > len || l4len < 8)
			return;
		if (f[l4] == 0 || f[l4] == 8) {
			memcpy(&r->sport, f + l4 + 4, 2);
			r->dport = r->sport;
		} else if (f[l4] == 3 || f[l4] == 4 || f[l4] == 5 ||
			   f[l4] == 11 || f[l4] == 12) {
			ref_inner(f, len, l4 + 8, r);
		}
		break;
	}
	r->kind = REF_OK;
	if ((frag & 0x2000) && nfrags < NFRAG) {
		frag_key(&frags[nfrags].k, r, id);
		frags[nfrags].sport = r->sport;
		frags[nfrags].dport = r->dport;
		nfrags++;
	}
}

static int opened_how(const struct tcseg_session_key *k)
{
	int i, how = 0;

	for (i = 0; i < nopened; i++)
		if (!memcmp(&opened[i].k, k, sizeof(*k)))
			how |= opened[i].how;
	return how;
}

static void describe(const uint8_t *f, size_t len, const struct ref *r,
		     int i, int verdict)
{
	char s[INET_ADDRSTRLEN], d[INET_ADDRSTRLEN];
	size_t k;

	inet_ntop(AF_INET, &r->saddr.v4, s, sizeof(s));
	inet_ntop(AF_INET, &r->daddr.v4, d, sizeof(d));
	fprintf(stderr, "frame %d (%zu bytes) %s: %s:%u -> %s:%u proto %u flags 0x%02x payload %u%s%s\n",
		i, len, verdict == TC_OK ? "PASSED" : "dropped", s,
		ntohs(r->sport), d, ntohs(r->dport), r->proto, r->tcp_flags,
		r->payload, r->later_frag ? " later-fragment" : "",
		r->icmp_err ? " icmp-error" : "");
	for (k = 0; k < len && k < 80; k++)
		fprintf(stderr, "%02x%s", f[k], k % 16 == 15 ? "\n" : " ");
	fputc('\n', stderr);
}

/*
 * A first frame that passed made a session (except a lone TCP RST/FIN)
 * recording the rule that decided it: the data path's lookup in the
 * compiled maps must pick the rule rules_lookup() picks.
 */
static void check_session(const struct tcseg_session_key *key,
			  const struct ref *r, const struct model_verdict *mv)
{
	struct tcseg_session s;
	int tcp = r->proto == IPPROTO_TCP;

	if (tcp && (r->tcp_flags & (0x01 | 0x04)) &&
	    (r->tcp_flags & (0x02 | 0x10)) != 0x02)
		return;
	FUZZ_CHECK(!bpf_map_lookup_elem(bpf_map__fd(t.skel->maps.tcseg_sessions),
					key, &s),
		   "first frame passed but made no session");
	FUZZ_CHECK(s.policy_id == (mv->found ? mv->rule_id : 0),
		   "session decided by rule %u, reference rule %u",
		   s.policy_id, mv->found ? mv->rule_id : 0);
	FUZZ_CHECK(s.action == mv->action,
		   "session action %u, reference %u", s.action, mv->action);
}

static void check_frame(const uint8_t *f, size_t len, int dir, int i)
{
	struct tcseg_session_key key;
	struct model_verdict mv;
	struct ref r;
	int v, allowed, plain, how, tcp_payload;

	ref_parse(f, len, &r);
	v = run(dir, f, len);
	/* BPF_PROG_TEST_RUN refuses an IPv4 (IPv6) frame shorter than its
	 * fixed header: such frames cannot be run here */
	if (v == -1000 - EINVAL && ((get16(f + 12) == 0x0800 && len < 14 + 20) ||
		      (get16(f + 12) == 0x86dd && len < 14 + 40)))
		return;
	FUZZ_CHECK(v == TC_OK || v == TC_SHOT, "verdict %d", v);
	if (r.kind == REF_NON_IP)
		return;
	if (r.kind != REF_OK) {
		if (v == TC_OK)
			describe(f, len, &r, i, v);
		FUZZ_CHECK(v == TC_SHOT, "%s frame passed",
			   r.kind == REF_MALFORMED ? "malformed" :
			   "unknown later fragment");
		return;
	}
	rules_lookup(rules, NRULES, IFX, TCSEG_FAMILY_V4, &r.saddr, &r.daddr,
		     r.sport, r.dport, r.proto, &mv);
	allowed = mv.found && mv.action != TCSEG_ACT_DENY;
	plain = allowed && mv.action != TCSEG_ACT_ENCRYPT;
	if (r.icmp_err) {
		if (v == TC_OK && !allowed && !opened_how(&r.inner))
			describe(f, len, &r, i, v);
		FUZZ_CHECK(v == TC_SHOT || allowed || opened_how(&r.inner),
			   "ICMP error passed: policy denies it and it quotes no open session");
		return;
	}
	tcseg_session_key_make(&key, IFX, TCSEG_FAMILY_V4, &r.saddr, &r.daddr,
			       r.sport, r.dport, r.proto);
	how = opened_how(&key);
	tcp_payload = r.proto == IPPROTO_TCP && r.payload > 0;
	if (v == TC_OK && ((!allowed && !how) ||
			   (tcp_payload && !plain && !(how & OPEN_PLAIN))))
		describe(f, len, &r, i, v);
	FUZZ_CHECK(v == TC_SHOT || allowed || how,
		   "passed: policy denies it (rule %u) and no session was opened",
		   mv.rule_id);
	FUZZ_CHECK(v == TC_SHOT || !tcp_payload || plain || (how & OPEN_PLAIN),
		   "TCP payload of an encrypt flow passed in clear (rule %u)",
		   mv.rule_id);
	if (i == 0 && !r.later_frag) {
		int want = allowed && !(tcp_payload && !plain) ? TC_OK : TC_SHOT;

		if (v != want)
			describe(f, len, &r, i, v);
		FUZZ_CHECK(v == want,
			   "first frame: reference says %s (rule %u found %d)",
			   want == TC_OK ? "pass" : "drop", mv.rule_id,
			   mv.found);
	}
	if (i == 0 && !r.later_frag && v == TC_OK)
		check_session(&key, &r, &mv);
	if (allowed && nopened < MAX_FRAMES) {
		opened[nopened].k = key;
		opened[nopened].how = plain ? OPEN_PLAIN : OPEN_ENC;
		nopened++;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t frame[MAX_FRAME];
	size_t off = 1, len;
	int i, dir;

	if (size < 1)
		return 0;
	reset();
	nfrags = 0;
	nopened = 0;
	for (i = 0; i < MAX_FRAMES && off + 3 <= size; i++) {
		dir = data[off] & 1 ? TCSEG_DIR_TO_POD : TCSEG_DIR_FROM_POD;
		len = get16(data + off + 1);
		off += 3;
		if (len > size - off)
			len = size - off;
		if (len > MAX_FRAME)
			len = MAX_FRAME;
		memcpy(frame, data + off, len);
		off += len;
		if (len < PKT_ETH_HLEN)	/* BPF_PROG_TEST_RUN refuses these */
			continue;
		check_frame(frame, len, dir, i);
	}
	return 0;
}
