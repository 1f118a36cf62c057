// SPDX-License-Identifier: GPL-2.0
/*
 * Policy replace under a packet stream: one thread runs packets through
 * the pinned from_pod program (BPF_PROG_TEST_RUN) without pause while
 * the main thread replaces rule set OLD by NEW and back, through the
 * code path of `tcctl policy apply` (store_change with
 * store_change_replace). Every packet must meet OLD or NEW as a whole:
 *   A  allowed by OLD only (CIDR allow; NEW: CIDR deny)
 *   B  allowed by NEW only (exact allow; OLD: global default deny)
 *   C  denied by both (OLD: exact deny over a CIDR allow; NEW: CIDR deny)
 *   D  allowed by both (OLD: exact allow; NEW: CIDR allow)
 * A packet of C passing or of D dropped is a mix of the two sets.
 * Usage: test_replace PIN_DIR (on a bpffs) [FLIPS]
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "dataplane/loader.h"
#include "pkt.h"
#include "dataplane/policy_store.h"

#define IFINDEX		1	/* lo: BPF_PROG_TEST_RUN's default device */
#define TC_OK		TCSEG_VERDICT_PASS
#define N_TUPLES	4

static const char *const set_old[] = {
	"from 10.0.1.2/32 to 10.0.3.3/32 proto udp sport 1111 dport 3000 action deny",
	"from 10.0.1.0/24 to 10.0.3.0/24 action allow",
	"from 10.0.1.2/32 to 10.0.5.5/32 proto udp sport 1111 dport 5000 action allow",
	NULL,
};

static const char *const set_new[] = {
	"from 10.0.1.0/24 to 10.0.3.0/24 action deny",
	"from 10.0.1.2/32 to 10.0.4.4/32 proto udp sport 1111 dport 4000 action allow",
	"from 10.0.1.0/24 to 10.0.5.0/24 proto udp dport 5000 action allow",
	NULL,
};

static const struct {
	const char *name;
	const char *dst;
	uint16_t dport;
	int old_pass, new_pass;
} tuples[N_TUPLES] = {
	{ "A", "10.0.3.9", 3000, 1, 0 },
	{ "B", "10.0.4.4", 4000, 0, 1 },
	{ "C", "10.0.3.3", 3000, 0, 0 },
	{ "D", "10.0.5.5", 5000, 1, 1 },
};

struct stream {
	struct tcseg_maps *m;
	int prog;
	atomic_int stop;
	unsigned long sent[N_TUPLES], passed[N_TUPLES];
	int err;
};

static int parse_set(const char *const *lines, struct rule_set *out)
{
	char err[TCSEG_ERRLEN], buf[256], *argv[32], *w;
	struct tcseg_rule r;
	int argc;

	memset(out, 0, sizeof(*out));
	for (; *lines; lines++) {
		snprintf(buf, sizeof(buf), "%s", *lines);
		argc = 0;
		for (w = strtok(buf, " "); w && argc < 32; w = strtok(NULL, " "))
			argv[argc++] = w;
		if (rule_parse_words(argc, argv, &r, NULL, NULL, err,
				     sizeof(err)) ||
		    rule_validate(&r, err, sizeof(err)) ||
		    rule_set_push(out, &r)) {
			fprintf(stderr, "rule '%s': %s\n", *lines, err);
			return -1;
		}
	}
	return 0;
}

/* What `tcctl policy apply` does with the file's rules. */
static int apply(const struct tcseg_maps *m, struct rule_set *file)
{
	char err[TCSEG_ERRLEN] = "";
	int ret = store_change(m, store_change_replace, file, err, sizeof(err));

	if (ret)
		fprintf(stderr, "apply: %s\n", err[0] ? err : strerror(-ret));
	return ret;
}

static struct pkt_spec tuple_spec(int i)
{
	struct pkt_spec s = {
		.saddr = pkt_ip("10.0.1.2"), .daddr = pkt_ip(tuples[i].dst),
		.proto = IPPROTO_UDP, .sport = 1111, .dport = tuples[i].dport,
		.payload = 32,
	};

	return s;
}

/* One packet of tuple @i as a new flow: its verdict (TC_OK passes). */
static int run_one(struct stream *st, int i)
{
	struct pkt_spec s = tuple_spec(i);
	union tcseg_addr sa = { .w = { s.saddr } }, da = { .w = { s.daddr } };
	struct tcseg_session_key k;
	struct __sk_buff ctx = { .ifindex = IFINDEX };
	uint8_t b[PKT_MAX];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = b,
		    .data_size_in = pkt_build(b, &s), .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = 1);

	if (bpf_prog_test_run_opts(st->prog, &o))
		return -1000 - errno;	/* never a verdict */
	/* forget the flow: the next packet is decided by policy again */
	tcseg_session_key_make(&k, IFINDEX, TCSEG_FAMILY_V4, &sa, &da,
			       htons(s.sport), htons(s.dport), s.proto);
	bpf_map_delete_elem(st->m->sessions, &k);
	return (int)o.retval;
}

static void *stream_fn(void *arg)
{
	struct stream *st = arg;
	int i, v;

	while (!atomic_load(&st->stop)) {
		for (i = 0; i < N_TUPLES; i++) {
			v = run_one(st, i);
			if (v <= -1000) {	/* -1000 - errno */
				st->err = v + 1000;
				return NULL;
			}
			st->sent[i]++;
			st->passed[i] += v == TC_OK;
		}
	}
	return NULL;
}

static int setup(const char *pin, struct tcseg_maps *m)
{
	struct tcseg_sizes sz;
	struct tcseg_config cfg;
	char err[TCSEG_ERRLEN];

	tcseg_sizes_default(&sz);
	sz.sessions = 4096;
	sz.exact_rules = 1024;
	sz.cidr_rules = 1024;
	sz.cidr_entries = 4096;
	if (tcseg_load(pin, &sz, err, sizeof(err)) ||
	    tcseg_maps_open(pin, m, err, sizeof(err))) {
		fprintf(stderr, "load %s: %s\n", pin, err);
		return -1;
	}
	if (tcseg_config_get(m, &cfg))
		return -1;
	cfg.default_action = TCSEG_ACT_DENY;
	/*
	 * No tcseg_devs entry: the stream deletes each session behind the
	 * data path's back, which a pod's quota count (docs/DATAPATH.md
	 * "Session table") would only learn at the next sweep; without a
	 * device nothing is charged and only the policy decides.
	 */
	if (tcseg_config_set(m, &cfg))
		return -1;
	return 0;
}

/* With no packet in flight: does every tuple get @set's verdict? */
static int check_quiet(struct stream *st, int is_new, const char *what)
{
	int i, v, want, bad = 0;

	for (i = 0; i < N_TUPLES; i++) {
		v = run_one(st, i);
		want = is_new ? tuples[i].new_pass : tuples[i].old_pass;
		if (v != (want ? TC_OK : TCSEG_VERDICT_DROP)) {
			printf("FAIL replace_%s_%s: tuple %s verdict %d\n",
			       is_new ? "new" : "old", what, tuples[i].name, v);
			bad = 1;
		}
	}
	if (!bad)
		printf("PASS replace_%s_%s\n", is_new ? "new" : "old", what);
	return bad;
}

/* Counter of the stored rule whose match equals @want's, or -1. */
static long long rule_packets(const struct tcseg_maps *m,
			      const struct rule_set *cur, const char *line,
			      __u32 *slot)
{
	const char *lines[] = { line, NULL };
	struct tcseg_rule_counter c;
	struct rule_set want;
	long long n = -1;
	size_t i;

	if (parse_set(lines, &want))
		return -1;
	for (i = 0; i < cur->n; i++) {
		if (!rule_same_match(&cur->v[i], &want.v[0]))
			continue;
		*slot = cur->v[i].slot;
		if (!store_rule_counter(m, cur->v[i].slot, &c))
			n = (long long)c.packets;
	}
	rule_set_free(&want);
	return n;
}

/*
 * Counters across flips: a rule that stays keeps its count; a new rule
 * starts at zero in a slot that no rule of the old (still live) set uses.
 */
static int check_counters(struct stream *st, struct rule_set *sets)
{
	struct rule_set cur;
	char err[TCSEG_ERRLEN];
	__u32 slot_old = 0, slot_new = 0, s2, old_slots[8];
	long long a, b, c;
	int i, n_old, shared = 0;

	if (apply(st->m, &sets[0]))
		return 1;
	for (i = 0; i < 5; i++)
		run_one(st, 0);		/* A: counted by OLD's CIDR allow */
	apply(st->m, &sets[0]);		/* same rules: counters stay */
	store_read(st->m, &cur, err, sizeof(err));
	a = rule_packets(st->m, &cur, set_old[1], &slot_old);
	for (i = 0; i < (int)cur.n && i < 8; i++)
		old_slots[i] = cur.v[i].slot;
	n_old = i;
	rule_set_free(&cur);
	apply(st->m, &sets[1]);
	store_read(st->m, &cur, err, sizeof(err));
	b = rule_packets(st->m, &cur, set_new[0], &slot_new);
	for (i = 0; i < (int)cur.n * n_old; i++)
		shared += cur.v[i / n_old].slot == old_slots[i % n_old];
	rule_set_free(&cur);
	for (i = 0; i < 3; i++)
		run_one(st, 0);		/* A: now NEW's CIDR deny */
	store_read(st->m, &cur, err, sizeof(err));
	c = rule_packets(st->m, &cur, set_new[0], &s2);
	rule_set_free(&cur);
	if (a != 5 || b != 0 || c != 3 || shared) {
		printf("FAIL replace_counters: kept rule %lld (want 5), new rule "
		       "%lld then %lld (want 0, 3), %d new rules in slots of the "
		       "old set (%u, %u)\n", a, b, c, shared, slot_old,
		       slot_new);
		return 1;
	}
	printf("PASS replace_counters\n");
	return 0;
}

int main(int argc, char **argv)
{
	struct rule_set sets[2];
	struct tcseg_maps m;
	struct stream st = { .m = &m };
	pthread_t th;
	int flips = argc > 2 ? atoi(argv[2]) : 200, i, fails = 0;

	if (argc < 2 || flips <= 0) {
		fprintf(stderr, "usage: %s PIN_DIR [FLIPS]\n", argv[0]);
		return 2;
	}
	if (setup(argv[1], &m) || parse_set(set_old, &sets[0]) ||
	    parse_set(set_new, &sets[1])) {
		printf("FAIL replace_setup: cannot load or parse\n");
		return 1;
	}
	st.prog = tcseg_prog_open(argv[1], "from_pod");
	if (st.prog < 0 || apply(&m, &sets[0])) {
		printf("FAIL replace_setup: program or first apply\n");
		return 1;
	}
	fails += check_quiet(&st, 0, "alone");
	if (apply(&m, &sets[1]))
		return 1;
	fails += check_quiet(&st, 1, "alone");
	if (pthread_create(&th, NULL, stream_fn, &st))
		return 1;
	for (i = 0; i < flips && !st.err; i++)
		if (apply(&m, &sets[i % 2])) {
			fails++;
			break;
		}
	atomic_store(&st.stop, 1);
	pthread_join(th, NULL);
	if (st.err) {
		printf("FAIL replace_stream: test run: %s\n", strerror(-st.err));
		return 1;
	}
	printf("# %d replaces, packets per tuple %lu; passed A %lu B %lu C %lu "
	       "D %lu\n", flips, st.sent[0], st.passed[0], st.passed[1],
	       st.passed[2], st.passed[3]);
	if (st.passed[2])
		printf("FAIL replace_never_opens: %lu packets denied by both "
		       "sets passed\n", st.passed[2]), fails++;
	else
		printf("PASS replace_never_opens\n");
	if (st.passed[3] != st.sent[3])
		printf("FAIL replace_never_closes: %lu of %lu packets allowed "
		       "by both sets dropped\n", st.sent[3] - st.passed[3],
		       st.sent[3]), fails++;
	else
		printf("PASS replace_never_closes\n");
	/* both sets were seen: the stream really ran across the flips */
	if (!st.passed[0] || !st.passed[1] || st.sent[0] < (unsigned long)flips)
		printf("FAIL replace_stream_ran: A %lu B %lu passed of %lu\n",
		       st.passed[0], st.passed[1], st.sent[0]), fails++;
	else
		printf("PASS replace_stream_ran\n");
	fails += check_quiet(&st, flips % 2 == 0, "after");
	fails += check_counters(&st, sets);
	tcseg_maps_close(&m);
	return fails ? 1 : 0;
}
