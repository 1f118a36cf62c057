// SPDX-License-Identifier: GPL-2.0
/*
 * prog_bench: cost of the tcseg TC program per packet, with BPF_PROG_TEST_RUN.
 *
 *   prog_bench [--exact N] [--cidr N] [--repeat N] [--rounds N] [--flows N]
 *              [--tcctl PATH] [--cpu N] [--sessions N] [--profile CASE]
 *              [--range PORTS]   (rules 3, 4 with dport 5201-(5201+PORTS-1))
 *   prog_bench gen-policy [--exact N] [--cidr N] [--change PCT] [--v6] > FILE
 *
 * The data plane is set up the way a host runs it: in a private network
 * namespace and on a private bpffs, `tcctl load`, `tcctl default deny`,
 * `tcctl attach lo` (a real device entry) and `tcctl policy apply -f` of
 * the benchmark policy (bench_policy.h: 100k exact + 10k CIDR fillers by
 * default). The pinned programs are then run on hand-made frames.
 *
 * Two methods, both in every round (rounds interleave the cases so drift
 * hits them alike; each figure is the median over the rounds):
 * - repeat: one frame run --repeat times in the kernel; ns/packet is the
 *   kernel's own figure (BPF_PROG_TEST_RUN duration: time in the run loop
 *   divided by the count; no syscall, no time spent preempted). Valid
 *   when a run does not change what the next run does: the empty
 *   program, a session hit, denied flows.
 * - single: a new flow must not find the session the previous run made,
 *   so each of --flows distinct frames runs once; the kernel's duration
 *   of that one run includes the timer around it. The same is done with
 *   the empty program, and new flow = median(single) - median(single
 *   empty) + empty(repeat). A session hit done this way checks the method
 *   against the repeat figure. Sessions made are deleted between rounds.
 * The session hit and the new flows run in IPv6 as well, in the same
 * rounds, on the same policy in both families (bench_policy.h).
 * Then bench/cost.bpf.c prices each operation of the data path on the
 * same pinned maps (see docs/BENCHMARKS.md, "Where the time goes").
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tcseg.h"
#include "tcseg.skel.h"
#include "bench/cost.skel.h"
#include "pkt.h"
#include "pkt6.h"
#include "bench_policy.h"

#define TC_OK		0	/* bench/cost.bpf.c */
#define TC_PASS		TCSEG_VERDICT_PASS	/* tcseg's programs */
#define TC_SHOT		TCSEG_VERDICT_DROP
#define BENCH_IFINDEX	1	/* lo of the private netns */
#define MAX_ROUNDS	101

struct opts {
	unsigned int exact;
	unsigned int cidr;
	unsigned int repeat;
	unsigned int rounds;
	unsigned int flows;
	unsigned int sessions;	/* 0: max(default, 4 x flows) */
	int cpu;
	const char *tcctl;
	const char *profile;
};

struct env {
	char dir[64];
	char bpffs[96];
	char pin[128];
	char policy[96];
	int mounted;
	int from_pod;
	int sessions;
	int pressure;
	struct tcseg_bpf *skel;
	int empty;
};

struct frame {
	uint8_t b[PKT_MAX];
	size_t len;
};

/* Figures of one case over the rounds. */
struct series {
	const char *name;
	const char *method;
	double v[MAX_ROUNDS];
	unsigned int n;
};

static int errors;

static void check(int ok, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void check(int ok, const char *what, const char *fmt, ...)
{
	va_list ap;

	if (ok)
		return;
	errors++;
	fprintf(stderr, "prog_bench: check failed: %s: ", what);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* --- running frames ---------------------------------------------------- */

static int test_run(int fd, const struct frame *f, unsigned int repeat,
		    __u32 *retval, __u32 *duration)
{
	struct __sk_buff ctx = { .ifindex = BENCH_IFINDEX };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f->b,
		    .data_size_in = f->len, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = repeat);

	if (bpf_prog_test_run_opts(fd, &o))
		return -errno;
	*retval = o.retval;
	if (duration)
		*duration = o.duration;
	return 0;
}

/*
 * Repeat method: the kernel's ns per run of @repeat runs. It leaves out
 * the syscall and the time the loop spent rescheduled (the machine may
 * be busy with other work); it rounds down to whole ns.
 */
static double run_repeat(int fd, const struct frame *f, unsigned int repeat,
			 __u32 want, const char *what)
{
	__u32 ret = ~0u, d = 0;
	int err = test_run(fd, f, repeat, &ret, &d);

	check(!err, what, "test_run: %s", strerror(-err));
	check(ret == want, what, "verdict %u, want %u", ret, want);
	return d;
}

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Single method: median of the kernel's duration of one run per frame. */
static double run_single(int fd, const struct frame *fr, unsigned int n,
			 __u32 want, const char *what)
{
	__u32 *d = calloc(n, sizeof(*d)), ret = ~0u;
	unsigned int i, bad = 0;
	double med;
	int err = 0;

	if (!d) {
		check(0, what, "out of memory");
		return NAN;
	}
	for (i = 0; i < n && !err; i++) {
		err = test_run(fd, &fr[i], 1, &ret, &d[i]);
		bad += ret != want;
	}
	check(!err, what, "test_run: %s", strerror(-err));
	check(!bad, what, "%u of %u verdicts not %u", bad, n, want);
	qsort(d, n, sizeof(*d), cmp_u32);
	med = n % 2 ? d[n / 2] : (d[n / 2 - 1] + d[n / 2]) / 2.0;
	free(d);
	return med;
}

/* --- frames -------------------------------------------------------------- */

static void frame_tcp(struct frame *f, __be32 s, uint16_t sport, __be32 d,
		      uint16_t dport, uint8_t flags)
{
	struct pkt_spec sp = {
		.saddr = s, .daddr = d, .proto = IPPROTO_TCP,
		.sport = sport, .dport = dport, .tcp_flags = flags,
		.seq = 1000, .ack = flags & PKT_ACK ? 2000 : 0,
		.payload = flags & PKT_ACK ? 64 : 0,
	};

	f->len = pkt_build(f->b, &sp);
}

/* The same TCP frame in IPv6 (no extension header). */
static void frame_tcp6(struct frame *f, const uint8_t *s, uint16_t sport,
		       const uint8_t *d, uint16_t dport, uint8_t flags)
{
	struct pkt6_spec sp = {
		.proto = IPPROTO_TCP, .sport = sport, .dport = dport,
		.tcp_flags = flags, .seq = 1000,
		.ack = flags & PKT_ACK ? 2000 : 0,
		.payload = flags & PKT_ACK ? 64 : 0,
	};

	memcpy(sp.saddr, s, 16);
	memcpy(sp.daddr, d, 16);
	f->len = pkt6_build(f->b, &sp);
}

/* A TCP frame between pods (BP_POD_* addresses), in @family. */
static void frame_pods(struct frame *f, int family, const char *s4,
		       const char *s6, uint16_t sport, const char *d4,
		       const char *d6, uint16_t dport, uint8_t flags)
{
	uint8_t s[16], d[16];

	if (family == TCSEG_FAMILY_V4) {
		frame_tcp(f, pkt_ip(s4), sport, pkt_ip(d4), dport, flags);
		return;
	}
	pkt6_addr(s, s6);
	pkt6_addr(d, d6);
	frame_tcp6(f, s, sport, d, dport, flags);
}

/* New TCP flows a -> b:5201 (CIDR rule 3, IPv6: 8), one source port each. */
static void frames_new_cidr(struct frame *fr, unsigned int n,
			    unsigned int round, int family)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		frame_pods(&fr[i], family, BP_POD_A, BP_POD_A6,
			   1024 + (round * n + i) % 38000, BP_POD_B, BP_POD_B6,
			   BP_PORT, PKT_SYN);
}

/*
 * New flows of allowed TCP exact filler rules (every other filler is
 * skipped by the loop), in @family (IPv6: the fillers' mirrors). Returns
 * how many frames were made (<= n).
 */
static unsigned int frames_new_exact(struct frame *fr, unsigned int n,
				     unsigned int n_exact, int family)
{
	struct bp_tuple t;
	unsigned int i, k = 0;
	uint8_t s[16], d[16];

	for (i = 0; i < n_exact && k < n; i++) {
		bp_exact(i, 0, &t);
		if (t.deny || t.proto != IPPROTO_TCP)
			continue;
		if (family == TCSEG_FAMILY_V4) {
			frame_tcp(&fr[k++], htonl(t.saddr), t.sport,
				  htonl(t.daddr), t.dport, PKT_SYN);
			continue;
		}
		bp_mirror6(t.saddr, s);
		bp_mirror6(t.daddr, d);
		frame_tcp6(&fr[k++], s, t.sport, d, t.dport, PKT_SYN);
	}
	return k;
}

/* --- sessions between rounds ------------------------------------------- */

static int frame_key(const struct frame *f, struct tcseg_session_key *k)
{
	const uint8_t *ip = f->b + PKT_OFF_IP, *l4 = ip + 20;
	union tcseg_addr s = { .w = { 0 } }, d = { .w = { 0 } };
	__u8 family = TCSEG_FAMILY_V4, proto = ip[9];
	__be16 sp, dp;

	if (f->b[12] == 0x86 && f->b[13] == 0xdd) {	/* no extension header */
		family = TCSEG_FAMILY_V6;
		proto = ip[6];
		l4 = ip + 40;
		memcpy(&s, ip + 8, 16);
		memcpy(&d, ip + 24, 16);
	} else {
		memcpy(&s.v4, ip + 12, 4);
		memcpy(&d.v4, ip + 16, 4);
	}
	memcpy(&sp, l4, 2);
	memcpy(&dp, l4 + 2, 2);
	return tcseg_session_key_make(k, BENCH_IFINDEX, family, &s, &d, sp, dp,
				      proto);
}

/*
 * Every frame must have made its session; delete them and take them off
 * the pressure count (the data path counts inserts, so must we).
 */
static void sessions_drop(struct env *e, const struct frame *fr,
			  unsigned int n, const char *what)
{
	struct tcseg_session_key k;
	struct tcseg_session s;
	struct tcseg_pressure pr;
	unsigned int i, missing = 0, zero = 0;

	for (i = 0; i < n; i++) {
		frame_key(&fr[i], &k);
		if (bpf_map_lookup_elem(e->sessions, &k, &s) ||
		    bpf_map_delete_elem(e->sessions, &k))
			missing++;
	}
	check(!missing, what, "%u of %u flows made no session", missing, n);
	if (bpf_map_lookup_elem(e->pressure, &zero, &pr)) {
		check(0, what, "reading tcseg_pressure: %s", strerror(errno));
		return;
	}
	pr.total_sessions -= pr.total_sessions < n - missing ?
				     pr.total_sessions : n - missing;
	check(!bpf_map_update_elem(e->pressure, &zero, &pr, BPF_ANY), what,
	      "writing tcseg_pressure: %s", strerror(errno));
}

/* --- set-up ------------------------------------------------------------ */

static int run_tcctl(const struct opts *o, const struct env *e, ...)
{
	char *argv[32];
	va_list ap;
	int n = 0, st;
	pid_t pid;

	argv[n++] = (char *)o->tcctl;
	argv[n++] = "--pin-dir";
	argv[n++] = (char *)e->pin;
	va_start(ap, e);
	while (n < 31 && (argv[n] = va_arg(ap, char *)))
		n++;
	va_end(ap);
	argv[n] = NULL;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		execv(o->tcctl, argv);
		fprintf(stderr, "prog_bench: exec %s: %s\n", o->tcctl,
			strerror(errno));
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0)
		return -errno;
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		fprintf(stderr, "prog_bench: `tcctl %s ...` failed\n", argv[3]);
		return -EIO;
	}
	return 0;
}

static int write_policy(const struct opts *o, const struct env *e)
{
	FILE *f = fopen(e->policy, "w");
	int err;

	if (!f)
		return -errno;
	err = bp_write(f, o->exact, o->cidr, 0, 1);
	if (fclose(f) && !err)
		err = -EIO;
	return err;
}

static void u32s(char *buf, unsigned int v)
{
	snprintf(buf, 16, "%u", v);
}

static unsigned int max_u(unsigned int a, unsigned int b)
{
	return a > b ? a : b;
}

/*
 * tcctl: load with room for the policy (every rule in both families),
 * default deny, attach, apply.
 */
static int load_policy(const struct opts *o, struct env *e)
{
	char ex[16], ci[16], ce[16], cl[16], se[16];
	double t0;
	int err;

	u32s(ex, max_u(TCSEG_DEF_EXACT_RULES, 2 * o->exact + 32));
	u32s(ci, max_u(TCSEG_DEF_CIDR_RULES, 2 * o->cidr + 32));
	u32s(ce, max_u(TCSEG_DEF_CIDR_ENTRIES, 2 * o->cidr + 128));
	u32s(cl, max_u(TCSEG_DEF_SRC_CLASSES, 2 * o->cidr + 32));
	u32s(se, o->sessions ?: max_u(TCSEG_DEF_SESSIONS, 4 * o->flows));
	err = run_tcctl(o, e, "load", "sessions", se, "exact", ex, "cidr", ci,
			"cidr-entries", ce, "classes", cl, NULL);
	err = err ?: run_tcctl(o, e, "default", "deny", NULL);
	/* SYN guard on, but far above what the new-flow runs open */
	err = err ?: run_tcctl(o, e, "config", "syn-limit", "100000000", NULL);
	/*
	 * every new flow comes from one "pod" (lo), and sessions_drop()
	 * deletes sessions behind the data path's back: its quota count
	 * only comes down at the next sweep, so let the quota be the table
	 */
	err = err ?: run_tcctl(o, e, "config", "session-quota", se, NULL);
	err = err ?: run_tcctl(o, e, "attach", "lo", NULL);
	if (err)
		return err;
	t0 = now_ns();
	err = run_tcctl(o, e, "policy", "apply", "-f", e->policy, NULL);
	if (!err)
		printf("policy apply (%u exact + %u CIDR fillers, IPv4 and "
		       "IPv6): %.0f ms\n",
		       o->exact, o->cidr, (now_ns() - t0) / 1e6);
	/*
	 * Once more: the first apply filled policy set 1, this one set 0 as
	 * well (docs/DATAPATH.md "Atomic policy replace"), which is the one
	 * cost.bpf.c's single-lookup programs read.
	 */
	return err ?: run_tcctl(o, e, "policy", "apply", "-f", e->policy, NULL);
}

static int open_pinned(struct env *e)
{
	char p[192];

	snprintf(p, sizeof(p), "%s/progs/from_pod", e->pin);
	e->from_pod = bpf_obj_get(p);
	snprintf(p, sizeof(p), "%s/tcseg_sessions", e->pin);
	e->sessions = bpf_obj_get(p);
	snprintf(p, sizeof(p), "%s/tcseg_pressure", e->pin);
	e->pressure = bpf_obj_get(p);
	if (e->from_pod < 0 || e->sessions < 0 || e->pressure < 0) {
		fprintf(stderr, "prog_bench: opening pins in %s: %s\n", e->pin,
			strerror(errno));
		return -ENOENT;
	}
	return 0;
}

/* tcseg_empty from the skeleton: unpinned, tiny maps, nothing else loaded. */
static int load_empty(struct env *e)
{
	struct bpf_program *p;
	struct bpf_map *m;
	int err;

	e->skel = tcseg_bpf__open();
	if (!e->skel)
		return -errno;
	bpf_object__for_each_map(m, e->skel->obj) {
		bpf_map__set_pin_path(m, NULL);
		if (bpf_map__type(m) != BPF_MAP_TYPE_RINGBUF)
			bpf_map__set_max_entries(m, 1);
	}
	bpf_object__for_each_program(p, e->skel->obj)
		bpf_program__set_autoload(p, p == e->skel->progs.tcseg_empty);
	err = tcseg_bpf__load(e->skel);
	if (err)
		return err;
	e->empty = bpf_program__fd(e->skel->progs.tcseg_empty);
	return 0;
}

static int env_setup(const struct opts *o, struct env *e)
{
	int err;

	if (unshare(CLONE_NEWNET)) {
		fprintf(stderr, "prog_bench: unshare(CLONE_NEWNET): %s (root?)\n",
			strerror(errno));
		return -errno;
	}
	strcpy(e->dir, "/tmp/tcseg-bench.XXXXXX");
	if (!mkdtemp(e->dir))
		return -errno;
	snprintf(e->bpffs, sizeof(e->bpffs), "%s/bpf", e->dir);
	snprintf(e->pin, sizeof(e->pin), "%s/tcseg", e->bpffs);
	snprintf(e->policy, sizeof(e->policy), "%s/bench.policy", e->dir);
	if (mkdir(e->bpffs, 0700) || mount("bpf", e->bpffs, "bpf", 0, NULL)) {
		fprintf(stderr, "prog_bench: mount bpffs on %s: %s\n", e->bpffs,
			strerror(errno));
		return -errno;
	}
	e->mounted = 1;
	err = write_policy(o, e);
	if (err) {
		fprintf(stderr, "prog_bench: writing %s: %s\n", e->policy,
			strerror(-err));
		return err;
	}
	err = load_policy(o, e) ?: open_pinned(e);
	if (err)
		return err;
	err = load_empty(e);
	if (err)
		fprintf(stderr, "prog_bench: loading tcseg_empty: %s\n",
			strerror(-err));
	return err;
}

static void env_cleanup(struct env *e)
{
	if (e->from_pod >= 0)
		close(e->from_pod);
	if (e->sessions >= 0)
		close(e->sessions);
	if (e->pressure >= 0)
		close(e->pressure);
	tcseg_bpf__destroy(e->skel);
	if (e->mounted)
		umount2(e->bpffs, MNT_DETACH);
	if (e->dir[0]) {
		unlink(e->policy);
		rmdir(e->bpffs);
		rmdir(e->dir);
	}
}

/* --- the benchmark ------------------------------------------------------ */

enum {
	S_EMPTY, S_HIT, S_DENY_EXACT, S_DENY_CIDR, S_DENY_DEFAULT,
	S_EMPTY1, S_HIT1, S_NEW_CIDR1, S_NEW_EXACT1,
	S_HIT_SINGLE, S_NEW_CIDR, S_NEW_EXACT,
	S_HIT6, S_NEW_CIDR6_1, S_NEW_EXACT6_1, S_NEW_CIDR6, S_NEW_EXACT6,
	S_MAX,
};

static struct series ser[S_MAX] = {
	[S_EMPTY] = { "empty program (tcseg_empty)", "repeat" },
	[S_HIT] = { "session hit (TCP ACK, 64 B payload)", "repeat" },
	[S_HIT_SINGLE] = { "session hit, single-run method (check)", "single" },
	[S_NEW_EXACT] = { "new flow: TCP SYN, exact rule allow", "single" },
	[S_NEW_CIDR] = { "new flow: TCP SYN, CIDR rule allow", "single" },
	[S_DENY_EXACT] = { "denied: exact rule (SYN)", "repeat" },
	[S_DENY_CIDR] = { "denied: CIDR rule (SYN)", "repeat" },
	[S_DENY_DEFAULT] = { "denied: no rule, global default (SYN)", "repeat" },
	[S_EMPTY1] = { "raw single run: empty", "raw" },
	[S_HIT1] = { "raw single run: session hit", "raw" },
	[S_NEW_CIDR1] = { "raw single run: new flow CIDR", "raw" },
	[S_NEW_EXACT1] = { "raw single run: new flow exact", "raw" },
	[S_HIT6] = { "IPv6 session hit (TCP ACK, 64 B payload)", "repeat" },
	[S_NEW_EXACT6] = { "IPv6 new flow: TCP SYN, exact rule allow", "single" },
	[S_NEW_CIDR6] = { "IPv6 new flow: TCP SYN, CIDR rule allow", "single" },
	[S_NEW_CIDR6_1] = { "raw single run: IPv6 new flow CIDR", "raw" },
	[S_NEW_EXACT6_1] = { "raw single run: IPv6 new flow exact", "raw" },
};

static const char *const key_of[S_MAX] = {
	"empty", "session_hit", "deny_exact", "deny_cidr", "deny_default",
	"raw_empty_single", "raw_hit_single", "raw_new_cidr_single",
	"raw_new_exact_single", "session_hit_single", "new_flow_cidr",
	"new_flow_exact", "session_hit6", "raw_new_cidr6_single",
	"raw_new_exact6_single", "new_flow_cidr6", "new_flow_exact6",
};

static void add(int s, double v)
{
	if (ser[s].n < MAX_ROUNDS)
		ser[s].v[ser[s].n++] = v;
}

static double median(int s)
{
	double v[MAX_ROUNDS];
	unsigned int n = ser[s].n;

	if (!n)
		return NAN;
	memcpy(v, ser[s].v, n * sizeof(double));
	qsort(v, n, sizeof(double), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct frames {
	struct frame hit, deny_exact, deny_cidr, deny_default, hit6;
	struct frame *single;	/* the hit frame, --flows times */
	struct frame *new_cidr, *new_cidr6;
	struct frame *new_exact, *new_exact6;
	unsigned int n_exact, n_exact6;
};

/* Single runs of @n new flows: raw figure in series @s, sessions dropped. */
static double new_flows(struct env *e, int s, const struct frame *fr,
			unsigned int n, const char *what)
{
	double v = run_single(e->from_pod, fr, n, TC_PASS, what);

	add(s, v);
	sessions_drop(e, fr, n, what);
	return v;
}

static void one_round(struct env *e, const struct opts *o, struct frames *f,
		      unsigned int round)
{
	unsigned int n = o->flows, r = o->repeat;
	double empty, empty1;

	empty = run_repeat(e->empty, &f->hit, r, TC_PASS, "empty");
	add(S_EMPTY, empty);
	add(S_HIT, run_repeat(e->from_pod, &f->hit, r, TC_PASS, "session hit"));
	add(S_DENY_EXACT, run_repeat(e->from_pod, &f->deny_exact, r, TC_SHOT,
				     "deny exact"));
	add(S_DENY_CIDR, run_repeat(e->from_pod, &f->deny_cidr, r, TC_SHOT,
				    "deny cidr"));
	add(S_DENY_DEFAULT, run_repeat(e->from_pod, &f->deny_default, r,
				       TC_SHOT, "deny default"));

	empty1 = run_single(e->empty, f->single, n, TC_PASS, "empty single");
	add(S_EMPTY1, empty1);
	add(S_HIT1, run_single(e->from_pod, f->single, n, TC_PASS, "hit single"));
	frames_new_cidr(f->new_cidr, n, round, TCSEG_FAMILY_V4);
	frames_new_cidr(f->new_cidr6, n, round, TCSEG_FAMILY_V6);
	add(S_NEW_CIDR, new_flows(e, S_NEW_CIDR1, f->new_cidr, n,
				  "new flow cidr") - empty1 + empty);
	add(S_NEW_EXACT, new_flows(e, S_NEW_EXACT1, f->new_exact, f->n_exact,
				   "new flow exact") - empty1 + empty);
	add(S_HIT6, run_repeat(e->from_pod, &f->hit6, r, TC_PASS,
			       "session hit v6"));
	add(S_NEW_CIDR6, new_flows(e, S_NEW_CIDR6_1, f->new_cidr6, n,
				   "new flow cidr v6") - empty1 + empty);
	add(S_NEW_EXACT6, new_flows(e, S_NEW_EXACT6_1, f->new_exact6,
				    f->n_exact6, "new flow exact v6") -
				  empty1 + empty);

	add(S_HIT_SINGLE, ser[S_HIT1].v[ser[S_HIT1].n - 1] - empty1 + empty);
}

/*
 * --profile CASE: run only that case, --rounds times, and report nothing
 * (to sample it from outside, e.g. `perf record -e cpu-clock -a`).
 */
static int profile(struct env *e, const struct opts *o, struct frames *f)
{
	const struct {
		const char *name;
		const struct frame *fr;
		__u32 want;
	} rep[] = {
		{ "empty", &f->hit, TC_PASS }, { "hit", &f->hit, TC_PASS },
		{ "deny_exact", &f->deny_exact, TC_SHOT },
		{ "deny_cidr", &f->deny_cidr, TC_SHOT },
		{ "deny_default", &f->deny_default, TC_SHOT },
	};
	unsigned int i, r;

	for (i = 0; i < sizeof(rep) / sizeof(rep[0]); i++) {
		if (strcmp(o->profile, rep[i].name))
			continue;
		for (r = 0; r < o->rounds; r++)
			run_repeat(i ? e->from_pod : e->empty, rep[i].fr,
				   o->repeat, rep[i].want, rep[i].name);
		return 0;
	}
	if (!strcmp(o->profile, "new_exact")) {
		for (r = 0; r < o->rounds; r++)
			new_flows(e, S_NEW_EXACT1, f->new_exact, f->n_exact,
				  "new");
		return 0;
	}
	if (strcmp(o->profile, "new_cidr")) {
		fprintf(stderr, "prog_bench: --profile: no case '%s' (empty, "
			"hit, deny_exact, deny_cidr, deny_default, new_cidr, "
			"new_exact)\n", o->profile);
		return -EINVAL;
	}
	for (r = 0; r < o->rounds; r++) {
		frames_new_cidr(f->new_cidr, o->flows, r, TCSEG_FAMILY_V4);
		new_flows(e, S_NEW_CIDR1, f->new_cidr, o->flows, "new");
	}
	return 0;
}

static int frames_make(struct frames *f, const struct opts *o)
{
	unsigned int i;

	frame_tcp(&f->hit, pkt_ip(BP_POD_A), BP_HIT_SPORT, pkt_ip(BP_POD_B),
		  BP_PORT, PKT_ACK | PKT_PSH);
	frame_tcp(&f->deny_exact, pkt_ip(BP_POD_A), BP_DENY_SPORT,
		  pkt_ip(BP_POD_B), BP_PORT, PKT_SYN);
	frame_tcp(&f->deny_cidr, pkt_ip(BP_POD_C), 40000, pkt_ip(BP_POD_B),
		  BP_PORT, PKT_SYN);
	frame_tcp(&f->deny_default, pkt_ip("10.200.0.9"), 40000,
		  pkt_ip(BP_POD_B), 9999, PKT_SYN);
	frame_pods(&f->hit6, TCSEG_FAMILY_V6, NULL, BP_POD_A6, BP_HIT_SPORT,
		   NULL, BP_POD_B6, BP_PORT, PKT_ACK | PKT_PSH);
	f->single = calloc(o->flows, sizeof(struct frame));
	f->new_cidr = calloc(o->flows, sizeof(struct frame));
	f->new_exact = calloc(o->flows, sizeof(struct frame));
	f->new_cidr6 = calloc(o->flows, sizeof(struct frame));
	f->new_exact6 = calloc(o->flows, sizeof(struct frame));
	if (!f->single || !f->new_cidr || !f->new_exact || !f->new_cidr6 ||
	    !f->new_exact6)
		return -ENOMEM;
	for (i = 0; i < o->flows; i++)
		f->single[i] = f->hit;
	f->n_exact = frames_new_exact(f->new_exact, o->flows, o->exact,
				      TCSEG_FAMILY_V4);
	f->n_exact6 = frames_new_exact(f->new_exact6, o->flows, o->exact,
				       TCSEG_FAMILY_V6);
	if (!f->n_exact) {
		fprintf(stderr, "prog_bench: --exact %u gives no allowed TCP "
			"filler flow\n", o->exact);
		return -EINVAL;
	}
	return 0;
}

static void frames_free(struct frames *f)
{
	free(f->single);
	free(f->new_cidr);
	free(f->new_exact);
	free(f->new_cidr6);
	free(f->new_exact6);
}

static void report(const struct opts *o, unsigned int n_exact)
{
	static const int order[] = {
		S_EMPTY, S_HIT, S_HIT_SINGLE, S_NEW_EXACT, S_NEW_CIDR,
		S_DENY_EXACT, S_DENY_CIDR, S_DENY_DEFAULT,
		S_HIT6, S_NEW_EXACT6, S_NEW_CIDR6,
		S_EMPTY1, S_HIT1, S_NEW_EXACT1, S_NEW_CIDR1,
		S_NEW_EXACT6_1, S_NEW_CIDR6_1,
	};
	double empty = median(S_EMPTY);
	unsigned int i;

	printf("\n%-42s %9s %8s %8s  %s\n", "case", "ns/pkt", "x empty",
	       "min-max", "method");
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		const struct series *s = &ser[order[i]];
		double lo = s->v[0], hi = s->v[0], m = median(order[i]);
		unsigned int j;

		for (j = 1; j < s->n; j++) {
			lo = fmin(lo, s->v[j]);
			hi = fmax(hi, s->v[j]);
		}
		printf("%-42s %9.1f %8.2f %4.0f-%-4.0f %s\n", s->name, m,
		       m / empty, lo, hi, s->method);
	}
	printf("(median of %u rounds; repeat %u; %u single-run flows per "
	       "round, %u for exact)\n", o->rounds, o->repeat, o->flows,
	       n_exact);
	for (i = 0; i < S_MAX; i++)
		printf("RESULT %s %.2f %.3f\n", key_of[i], median(i),
		       median(i) / empty);
}

/* --- cost breakdown (bench/cost.bpf.c) -------------------------------- */

static const struct {
	const char *name;
	const char *what;
	int hit;		/* 1: must find its entry, 0: must miss, -1: n/a */
} cost_progs[] = {
	{ "c_empty", "(baseline)", -1 },
	{ "c_ktime", "bpf_ktime_get_ns()", -1 },
	{ "c_ktime_coarse", "bpf_ktime_get_coarse_ns() (not used)", -1 },
	{ "c_jiffies", "bpf_jiffies64() (inlined by the verifier)", -1 },
	{ "c_call", "a call to an empty global function", -1 },
	{ "c_config", "tcseg_config lookup (ARRAY)", 1 },
	{ "c_stat", "one stat_add (PERCPU_ARRAY lookup + add)", -1 },
	{ "c_rule_stat", "rule_stat_add (PERCPU_ARRAY, 2 adds, 1 store)", -1 },
	{ "c_parse", "parse_pkt (Eth/IPv4/TCP, no fragment)", -1 },
	{ "c_dev", "tcseg_devs lookup (HASH, hit)", 1 },
	{ "c_session", "tcseg_sessions lookup (LRU_HASH, hit)", 1 },
	{ "c_session_miss", "tcseg_sessions lookup (LRU_HASH, miss)", 0 },
	{ "c_atomics", "session lookup + 2 atomic adds", -1 },
	{ "c_plain_adds", "session lookup + 2 plain adds", -1 },
	{ "c_exact_hit", "tcseg_exact lookup (HASH, hit)", 1 },
	{ "c_exact_miss", "tcseg_exact lookup (HASH, miss)", 0 },
	{ "c_src_class", "tcseg_src_class lookup (LPM, hit)", 1 },
	{ "c_cidr", "tcseg_cidr lookup (LPM, hit)", 1 },
	{ "c_session_insdel", "session insert + delete (LRU_HASH)", -1 },
	{ "c_hash_insdel", "same in a HASH (not used)", -1 },
	{ "c_lru_percpu_insdel", "same in a per-CPU LRU_HASH (not used)", -1 },
};

#define N_COST (sizeof(cost_progs) / sizeof(cost_progs[0]))

/* Every map of the cost object is the pinned one of the same name. */
static struct cost_bpf *cost_open(const struct env *e)
{
	struct cost_bpf *skel = cost_bpf__open();
	struct bpf_map *m;
	char p[256];
	int fd, err = 0;

	if (!skel)
		return NULL;
	bpf_object__for_each_map(m, skel->obj) {
		if (bpf_map__is_internal(m) ||
		    strncmp(bpf_map__name(m), "tcseg_", 6))
			continue;
		snprintf(p, sizeof(p), "%s/%s", e->pin, bpf_map__name(m));
		bpf_map__set_pin_path(m, NULL);
		fd = bpf_obj_get(p);
		err = fd < 0 ? -errno : bpf_map__reuse_fd(m, fd);
		if (fd >= 0)
			close(fd);
		if (err) {
			fprintf(stderr, "prog_bench: cost: map %s: %s\n", p,
				strerror(-err));
			break;
		}
	}
	if (!err)
		err = cost_bpf__load(skel);
	if (err) {
		cost_bpf__destroy(skel);
		return NULL;
	}
	return skel;
}

static void cost_keys(struct cost_bpf *skel)
{
	union tcseg_addr a = { .w = { pkt_ip(BP_POD_A) } };
	union tcseg_addr b = { .w = { pkt_ip(BP_POD_B) } };
	struct cost_bpf__bss *g = skel->bss;
	const __u8 v4 = TCSEG_FAMILY_V4;

	g->dev_key = BENCH_IFINDEX;
	tcseg_session_key_make(&g->sess_key, BENCH_IFINDEX, v4, &a, &b,
			       htons(BP_HIT_SPORT), htons(BP_PORT), IPPROTO_TCP);
	tcseg_session_key_make(&g->new_key, BENCH_IFINDEX, v4, &a, &b,
			       htons(50000), htons(BP_PORT), IPPROTO_TCP);
	g->new_sess.packets = 1;
	g->exact_hit = (struct tcseg_exact_key){
		.saddr = a, .daddr = b, .sport = htons(BP_HIT_SPORT),
		.dport = htons(BP_PORT), .proto = IPPROTO_TCP, .family = v4,
	};
	g->exact_miss = g->exact_hit;
	g->exact_miss.sport = htons(BP_DENY_SPORT + 1);
	g->src_key = (struct tcseg_src_key){
		.prefixlen = TCSEG_SRC_FIXED_BITS + 128, .family = v4,
		.saddr = a,
	};
	g->cidr_key = (struct tcseg_cidr_key){
		.prefixlen = TCSEG_CIDR_FIXED_BITS + 128, .family = v4,
		.src_net = a, .src_plen = 32, .proto = IPPROTO_TCP,
		.dport = htons(BP_PORT), .daddr = b,
	};
}

/* One run of each: lookups must hit or miss as the keys say. */
static void cost_check(struct cost_bpf *skel, const struct frame *f)
{
	unsigned int i;
	__u32 ret;
	int fd;

	for (i = 0; i < N_COST; i++) {
		if (cost_progs[i].hit < 0)
			continue;
		fd = bpf_program__fd(bpf_object__find_program_by_name(
			skel->obj, cost_progs[i].name));
		skel->bss->sink = 0;
		check(!test_run(fd, f, 1, &ret, NULL) &&
		      !!skel->bss->sink == cost_progs[i].hit, cost_progs[i].name,
		      "lookup %s, want %s", skel->bss->sink ? "hit" : "missed",
		      cost_progs[i].hit ? "hit" : "miss");
	}
}

static double med_of(double *v, unsigned int n)
{
	qsort(v, n, sizeof(double), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* v[i][r]: program i minus the c_empty run just before it, round r */
static void cost_report(double v[N_COST][MAX_ROUNDS], double *empty,
			unsigned int rounds)
{
	unsigned int i;
	double m;

	printf("\ncost of each operation (ns over c_empty = %.0f ns, run just "
	       "before each; median of %u rounds)\n", med_of(empty, rounds),
	       rounds);
	for (i = 1; i < N_COST; i++) {
		m = med_of(v[i], rounds);
		printf("  %-44s %6.0f\n", cost_progs[i].what, m);
		printf("RESULT cost_%s %.1f\n", cost_progs[i].name + 2, m);
	}
}

static int cost_fd(struct cost_bpf *skel, unsigned int i)
{
	return bpf_program__fd(bpf_object__find_program_by_name(
		skel->obj, cost_progs[i].name));
}

static int costs(const struct env *e, const struct opts *o,
		 const struct frame *f)
{
	static double v[N_COST][MAX_ROUNDS], empty[MAX_ROUNDS];
	struct cost_bpf *skel = cost_open(e);
	unsigned int i, r;
	double base;

	if (!skel) {
		check(0, "cost", "cannot load bench/cost.bpf.c");
		return -EINVAL;
	}
	cost_keys(skel);
	cost_check(skel, f);
	/* each program right after its own baseline: drift cancels */
	for (r = 0; r < o->rounds; r++) {
		empty[r] = 0;
		for (i = 1; i < N_COST; i++) {
			base = run_repeat(cost_fd(skel, 0), f, o->repeat, TC_OK,
					  cost_progs[0].name);
			v[i][r] = run_repeat(cost_fd(skel, i), f, o->repeat,
					     TC_OK, cost_progs[i].name) - base;
			empty[r] += base / (N_COST - 1);
		}
	}
	cost_report(v, empty, o->rounds);
	cost_bpf__destroy(skel);
	return 0;
}

static int bench(struct env *e, const struct opts *o)
{
	struct frames f = { 0 };
	unsigned int i;
	__u32 ret;
	int err;

	err = frames_make(&f, o);
	if (err)
		goto out;
	/* the first ACK makes the (mid-stream) session the hit case uses */
	err = test_run(e->from_pod, &f.hit, 1, &ret, NULL);
	check(!err && ret == (__u32)TC_PASS, "first packet", "err %d verdict %u", err,
	      ret);
	err = err ?: test_run(e->from_pod, &f.hit6, 1, &ret, NULL);
	check(!err && ret == (__u32)TC_PASS, "first IPv6 packet",
	      "err %d verdict %u", err, ret);
	if (o->profile) {
		err = profile(e, o, &f);
		goto out;
	}
	for (i = 0; i < o->rounds; i++)
		one_round(e, o, &f, i);
	report(o, f.n_exact);
	err = costs(e, o, &f.hit);
out:
	frames_free(&f);
	return err;
}

/* --- command line ------------------------------------------------------- */

static int parse_uint(const char *s, unsigned int max, unsigned int *v)
{
	char *end;
	unsigned long x;

	errno = 0;
	x = strtoul(s, &end, 10);
	if (errno || end == s || *end || x > max || *s == '-') {
		fprintf(stderr, "prog_bench: bad number '%s' (0-%u)\n", s, max);
		return -EINVAL;
	}
	*v = x;
	return 0;
}

static const struct option longopts[] = {
	{ "exact", 1, NULL, 'e' }, { "cidr", 1, NULL, 'c' },
	{ "repeat", 1, NULL, 'r' }, { "rounds", 1, NULL, 'R' },
	{ "flows", 1, NULL, 'f' }, { "tcctl", 1, NULL, 't' },
	{ "change", 1, NULL, 'C' }, { "cpu", 1, NULL, 'p' },
	{ "profile", 1, NULL, 'P' }, { "sessions", 1, NULL, 's' },
	{ "range", 1, NULL, 'g' }, { "v6", 0, NULL, '6' },
	{ "help", 0, NULL, 'h' }, { NULL, 0, NULL, 0 },
};

static void usage(void)
{
	fputs("usage: prog_bench [--exact N] [--cidr N] [--repeat N] "
	      "[--rounds N] [--flows N] [--tcctl PATH] [--cpu N]\n"
	      "                  [--sessions N] [--profile CASE] [--range PORTS]\n"
	      "       prog_bench gen-policy [--exact N] [--cidr N] "
	      "[--change PCT] [--v6]\n", stderr);
}

static int parse_args(int argc, char **argv, struct opts *o,
		      unsigned int *change, int *v6)
{
	unsigned int cpu;
	int c, err = 0;

	while (!err && (c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'e': err = parse_uint(optarg, BP_MAX_EXACT, &o->exact); break;
		case 'c': err = parse_uint(optarg, BP_MAX_CIDR, &o->cidr); break;
		case 'r': err = parse_uint(optarg, 1u << 30, &o->repeat); break;
		case 'R': err = parse_uint(optarg, MAX_ROUNDS, &o->rounds); break;
		/* new CIDR flows differ by source port: 38000 of them */
		case 'f': err = parse_uint(optarg, 38000, &o->flows); break;
		case 'C': err = parse_uint(optarg, 100, change); break;
		case 'p':
			err = parse_uint(optarg, 4095, &cpu);
			o->cpu = cpu;
			break;
		case 't': o->tcctl = optarg; break;
		case 'P': o->profile = optarg; break;
		case 's': err = parse_uint(optarg, 1u << 26, &o->sessions); break;
		/* rule 3 (new CIDR flows) as a port range (docs/POLICY.md) */
		case 'g': err = parse_uint(optarg, 1024, &bp_range_ports); break;
		case '6': *v6 = 1; break;
		default: usage(); return -EINVAL;
		}
	}
	if (!err && (optind != argc || !o->repeat || !o->rounds || !o->flows)) {
		usage();
		err = -EINVAL;
	}
	return err;
}

/* tcctl next to the build dir: BUILD/bench/prog_bench -> BUILD/tcctl */
static const char *default_tcctl(const char *argv0)
{
	static char p[4096];
	const char *slash = strrchr(argv0, '/');
	int n = slash ? (int)(slash - argv0) : 1;

	snprintf(p, sizeof(p), "%.*s/../tcctl", n, slash ? argv0 : ".");
	return p;
}

static void pin_cpu(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		fprintf(stderr, "prog_bench: cpu %d: %s (not pinned)\n", cpu,
			strerror(errno));
}

int main(int argc, char **argv)
{
	struct opts o = { 100000, 10000, 1000000, 5, 20000, 0, -1, NULL, NULL };
	struct env e = { .from_pod = -1, .sessions = -1, .pressure = -1 };
	unsigned int change = 0;
	struct utsname u;
	int err, v6 = 0, gen = argc > 1 && !strcmp(argv[1], "gen-policy");

	if (parse_args(argc - gen, argv + gen, &o, &change, &v6) ||
	    (v6 && !gen)) {
		if (v6 && !gen)
			usage();
		return 2;
	}
	if (gen)
		return bp_write(stdout, o.exact, o.cidr, change, v6) ? 1 : 0;
	if (!o.tcctl)
		o.tcctl = default_tcctl(argv[0]);
	pin_cpu(o.cpu);
	uname(&u);
	printf("tcseg prog_bench: kernel %s, %ld CPUs, %u exact + %u CIDR "
	       "filler rules\n", u.release, sysconf(_SC_NPROCESSORS_ONLN),
	       o.exact, o.cidr);
	fflush(stdout);
	err = env_setup(&o, &e);
	if (!err)
		err = bench(&e, &o);
	env_cleanup(&e);
	if (err || errors) {
		fprintf(stderr, "prog_bench: %s\n",
			err ? strerror(-err) : "checks failed");
		return 1;
	}
	return 0;
}
