// SPDX-License-Identifier: GPL-2.0
/*
 * tcsegd hand-off workers: take the application's socket (pidfd_getfd),
 * wait for the handshake, get the flow's keys, put kTLS on it, prove no
 * plaintext left it, mark the session secured for the data path, release
 * the process. Any failure or the hold timeout fails closed. A bounded
 * pool of threads so the main loop never waits on the network.
 * See docs/DAEMON.md §hand-off.
 */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/sockios.h>
#include <linux/tcp.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "lib/clock.h"
#include "dataplane/verdict_json.h"
#include "daemon/tcsegd.h"
#include "daemon/tcsegd_handoff.h"
#include "daemon/tcsegd_log.h"
#include "daemon/tcsegd_metrics.h"
#include "daemon/tcsegd_pods.h"
#include "daemon/tcsegd_held.h"
#include "daemon/tcsegd_sock.h"
#include "keys/key_provider.h"
#include "keys/kp_isn.h"
#include "keys/ktls.h"
#include "keys/tlshub_hkdf.h"
#include "daemon/tcsegd_ends.h"
#include "lib/json.h"

/* TCP states as TCP_INFO reports them (include/net/tcp_states.h). */
#define ST_ESTABLISHED	1
#define ST_SYN_SENT	2
#define ST_SYN_RECV	3
#define ST_CLOSE_WAIT	8

enum job_state { J_FREE = 0, J_QUEUED, J_RUNNING };

struct job {
	enum job_state state;
	long id;
	struct handoff_req r;
	__u64 deadline_ns;
	int fd;			/* the socket's copy, -1 until found */
	int pidfd;		/* held process, -1 if none */
	__u32 held_tid;		/* its tcseg_held entry, 0 if none */
	bool finished;		/* outcome applied (worker or watchdog) */
	__u8 fp[ENDS_FP_LEN];	/* key fingerprint, zeros before the keys */
	bool told;		/* the other end heard our outcome */
	bool peer_failed;	/* ... or told us its end failed */
	/* per-stage times (monotonic ns, 0 = not reached), for the logs */
	__u64 t_found, t_est, t_keys, t_ktls, t_peer;
	__u64 hs0;		/* provider sessions opened before the keys */
	pid_t traced;		/* the held thread, ptrace-stopped by this
				 * job's worker (the hold narrowed to it) */
	unsigned int events;	/* bumped (under jl) by handoff_set_ifindex;
				 * jev broadcast */
};

static struct job jobs[TCSEGD_MAX_JOBS];
static int queue[TCSEGD_MAX_JOBS];
static unsigned int q_head, q_len;
static long next_id = 1;
static bool stopping;
static pthread_mutex_t jl = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t jc = PTHREAD_COND_INITIALIZER;
static pthread_cond_t jev;	/* CLOCK_MONOTONIC, see wait_event() */
static pthread_t workers[16];
static int n_workers;
/*
 * The ring buffers (flow events, capture records) are read by an idle
 * worker, not the main loop (docs/DAEMON.md "Wake-ups"): the worker that
 * reads the record that starts a hand-off runs that hand-off itself, one
 * thread wake-up fewer, and it is often awake already, woken by the flow
 * event of the connection's SYN.
 */
static struct ring_buffer *ev_rb;
static bool leader;		/* someone reads ev_rb (under jl) */
static __thread bool leading;	/* ... this thread */
static __thread unsigned int lead_jobs;	/* jobs it queued meanwhile */

static int pidfd_open_(pid_t pid)
{
	return syscall(SYS_pidfd_open, pid, 0);
}

static int pidfd_signal(int pidfd, int sig)
{
	return syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

/* Let the held process of @j run, then drop its ledger entry. */
static void release(struct job *j)
{
	if (j->pidfd >= 0 && pidfd_signal(j->pidfd, SIGCONT))
		dlog(L_ERR, "handoff", "cannot release held process tgid=%u "
		     "error=\"%s\" (CAP_KILL?)", j->r.tgid, strerror(errno));
	held_forget(j->held_tid);
	j->held_tid = 0;
}

static void sleep_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

	nanosleep(&ts, NULL);
}

int handoff_in_flight(void)
{
	int i, n = 0;

	pthread_mutex_lock(&jl);
	for (i = 0; i < TCSEGD_MAX_JOBS; i++)
		n += jobs[i].state != J_FREE;
	pthread_mutex_unlock(&jl);
	return n;
}

static const char *role_name(enum job_role r)
{
	return r == JOB_CLIENT ? "client" : "server";
}

/* This end's pod: the client for connect, the server for accept. */
static const union tcseg_addr *local_ip(const struct handoff_req *r)
{
	return r->role == JOB_CLIENT ? &r->key.saddr : &r->key.daddr;
}

static int mark(struct tcsegd *d, const struct handoff_req *r, __u32 ifindex,
		__u32 state)
{
	struct tcseg_session_key k;
	struct tcseg_secure v = { .ts_ns = mono_ns(), .state = state };
	struct tcseg_session s;

	if (!ifindex)
		return -ENODEV;
	tcseg_session_key_make(&k, ifindex, r->key.family, &r->key.saddr,
			       &r->key.daddr, r->key.sport, r->key.dport,
			       IPPROTO_TCP);
	/* the mark secures this session only (docs/SECURITY.md, "Marks") */
	if (bpf_map_lookup_elem(d->maps.sessions, &k, &s)) {
		if (state == TCSEG_SECURE_OK)
			return -errno;
	} else {
		v.session_ns = s.created_ns;
	}
	if (bpf_map_update_elem(d->maps.secured, &k, &v, BPF_ANY))
		return -errno;
	return 0;
}

/*
 * Fail closed, under jl: the application sees its connection die, the
 * data path keeps dropping the flow's payload, the process runs again.
 */
static void fail_locked(struct tcsegd *d, struct job *j)
{
	__u32 ifindex = j->r.ifindex ? j->r.ifindex :
			tcsegd_addr_ifindex(d, j->r.key.family, local_ip(&j->r));

	if (j->fd >= 0)
		shutdown(j->fd, SHUT_RDWR);
	mark(d, &j->r, ifindex, TCSEG_SECURE_FAILED);
	release(j);
}

static void emit_result(const struct job *j, const char *result,
			const char *stage, const char *reason, __u64 lat_us)
{
	struct monitor_event ev;
	char flow[FLOW_STR_LEN];

	if (!monitor_event_begin(&ev, "ktls"))
		return;
	flow_str(&j->r.key, flow, sizeof(flow));
	jsonw_string_field(&ev.w, "result", result);
	jsonw_string_field(&ev.w, "role", role_name(j->r.role));
	jsonw_string_field(&ev.w, "flow", flow);
	jsonw_uint_field(&ev.w, "tgid", j->r.tgid);
	jsonw_string_field(&ev.w, "stage", stage);
	jsonw_string_field(&ev.w, "reason", reason);
	jsonw_uint_field(&ev.w, "latency_us", lat_us);
	monitor_event_end(&ev);
}

/*
 * "find_us=.. handshake_us=.. keys_us=.. ktls_us=.. peer_us=..": how long
 * each stage reached took (find counts from the capture record).
 */
static const char *stages_str(const struct job *j, char *buf, size_t len)
{
	const __u64 t[] = { j->r.event_ns, j->t_found, j->t_est, j->t_keys,
			    j->t_ktls, j->t_peer };
	static const char *const name[] = { "find", "handshake", "keys",
					    "ktls", "peer" };
	size_t off = 0;
	unsigned int i;

	buf[0] = 0;
	for (i = 1; i < sizeof(t) / sizeof(t[0]) && t[i] && off < len; i++)
		off += snprintf(buf + off, len - off, "%s%s_us=%llu",
				i > 1 ? " " : "", name[i - 1],
				(unsigned long long)(t[i] > t[i - 1] ?
						     (t[i] - t[i - 1]) / 1000 : 0));
	return buf;
}

void handoff_watchdog(struct tcsegd *d)
{
	__u64 now = mono_ns();
	int i;

	pthread_mutex_lock(&jl);
	for (i = 0; i < TCSEGD_MAX_JOBS; i++) {
		struct job *j = &jobs[i];
		char flow[FLOW_STR_LEN];

		if (j->state == J_FREE || j->finished || now < j->deadline_ns)
			continue;
		j->finished = true;
		fail_locked(d, j);
		MINC(d->m, handoff_timeout);
		flow_str(&j->r.key, flow, sizeof(flow));
		dlog(L_WARN, "handoff", "hold timeout, flow failed closed "
		     "role=%s flow=%s tgid=%u timeout_ms=%u",
		     role_name(j->r.role), flow, j->r.tgid,
		     d->cfg.hold_timeout_ms);
		emit_result(j, "failed", "timeout", "hold timeout", 0);
	}
	pthread_mutex_unlock(&jl);
}

/*
 * Narrow the capture's hold to the thread that connected or accepted
 * (docs/DAEMON.md §hand-off): SIGSTOP stops every thread of the process
 * (a group stop), so a busy server would stop serving its other
 * connections. The worker takes the thread into a ptrace-stop
 * (PTRACE_SEIZE + PTRACE_INTERRUPT), then lets the process run; only that
 * thread stays stopped until unnarrow() (PTRACE_DETACH, from this same
 * worker thread: ptrace belongs to the tracer thread). Where ptrace is
 * refused (already traced, Yama) the whole process stays held.
 */
/*
 * Another server hand-off of the same process whose thread is not
 * narrowed yet (two accept()s at once): a SIGCONT now would let that
 * thread run before its socket has kTLS. That job's own narrowing (or
 * release) sends the SIGCONT.
 */
static bool other_hold_pending(const struct job *j)
{
	bool pending = false;
	int i;

	pthread_mutex_lock(&jl);
	for (i = 0; i < TCSEGD_MAX_JOBS && !pending; i++) {
		const struct job *o = &jobs[i];

		pending = o != j && o->state != J_FREE && !o->finished &&
			  o->pidfd >= 0 && o->r.tgid == j->r.tgid &&
			  o->r.role == JOB_SERVER && !o->traced;
	}
	pthread_mutex_unlock(&jl);
	return pending;
}

/* Ends a bounded waitpid() of a worker (wait_stop); blocked otherwise. */
#define WAKE_SIG	(SIGRTMIN + 2)

static void wake_noop(int sig)
{
	(void)sig;
}

/*
 * Wait for @tid's ptrace-stop (or exit): waitpid() sleeps until the
 * kernel reports it, no polling; a timer of this thread sends WAKE_SIG
 * after @ms, which ends the wait with EINTR. Returns waitpid()'s value.
 */
static int wait_stop(pid_t tid, int *st, int ms)
{
	struct sigevent sev = { .sigev_notify = SIGEV_THREAD_ID,
				.sigev_signo = WAKE_SIG };
	struct itimerspec its = {
		.it_value = { ms / 1000, (ms % 1000) * 1000000L } };
	struct timespec zero = { 0, 0 };
	sigset_t ss;
	timer_t t;
	int r;

	sev._sigev_un._tid = gettid();	/* glibc < 2.37: no sigev_notify_thread_id */
	if (timer_create(CLOCK_MONOTONIC, &sev, &t))
		return -1;
	sigemptyset(&ss);
	sigaddset(&ss, WAKE_SIG);
	pthread_sigmask(SIG_UNBLOCK, &ss, NULL);
	timer_settime(t, 0, &its, NULL);
	r = waitpid(tid, st, __WALL);
	timer_delete(t);
	pthread_sigmask(SIG_BLOCK, &ss, NULL);
	/* a signal of the timer that came after all: not for later calls */
	while (sigtimedwait(&ss, NULL, &zero) == WAKE_SIG)
		;
	return r;
}

static void narrow_hold(struct job *j)
{
	pid_t tid = (pid_t)j->r.pid;
	int st, r;

	/* servers only: a client stays held whole, so a kill -9 of the
	 * daemon leaves it stopped for the next one (tcsegd_held.c) */
	if (j->r.role != JOB_SERVER || j->pidfd < 0 || !tid)
		return;
	if (ptrace(PTRACE_SEIZE, tid, NULL, NULL)) {
		dlog(L_DEBUG, "handoff", "hold stays process-wide tgid=%u "
		     "tid=%d error=\"%s\"", j->r.tgid, tid, strerror(errno));
		return;
	}
	ptrace(PTRACE_INTERRUPT, tid, NULL, NULL);
	r = wait_stop(tid, &st, 100);
	if (r != tid || !WIFSTOPPED(st)) {	/* gone, or not stopping */
		ptrace(PTRACE_DETACH, tid, NULL, NULL);
		return;
	}
	pthread_mutex_lock(&jl);
	j->traced = tid;
	pthread_mutex_unlock(&jl);
	/* every other thread runs again; this one stays in ptrace-stop */
	if (!other_hold_pending(j))
		pidfd_signal(j->pidfd, SIGCONT);
}

/* Let the narrowed thread go (the worker that traced it). */
static void unnarrow(struct job *j)
{
	if (!j->traced)
		return;
	/* signal 0: a SIGSTOP not yet acted on is dropped */
	if (ptrace(PTRACE_DETACH, j->traced, NULL, NULL))
		dlog(L_WARN, "handoff", "cannot let thread %d go error=\"%s\"",
		     j->traced, strerror(errno));
	j->traced = 0;
}

/* ---- the steps */

static int tcp_info(int fd, struct tcp_info *ti)
{
	socklen_t l = sizeof(*ti);

	memset(ti, 0, sizeof(*ti));
	return getsockopt(fd, IPPROTO_TCP, TCP_INFO, ti, &l) ? -errno : 0;
}

static bool expired(const struct job *j)
{
	return mono_ns() >= j->deadline_ns ||
	       __atomic_load_n(&j->finished, __ATOMIC_RELAXED);
}

/*
 * Wait until something happens to @j (j->events moves past @seen) or
 * @max_ns passed; returns the new events count. The flow events wake it
 * (no polling); @max_ns is the backstop.
 */
static unsigned int wait_event(struct job *j, unsigned int seen, __u64 max_ns)
{
	__u64 until = mono_ns() + max_ns;
	struct timespec ts;
	unsigned int ev;

	if (until > j->deadline_ns)
		until = j->deadline_ns;
	ts.tv_sec = until / 1000000000ull;
	ts.tv_nsec = until % 1000000000ull;
	pthread_mutex_lock(&jl);
	while (j->events == seen && !j->finished && mono_ns() < until)
		pthread_cond_timedwait(&jev, &jl, &ts);
	ev = j->events;
	pthread_mutex_unlock(&jl);
	return ev;
}

/*
 * The handshake finishes in the kernel while the process is held: wait in
 * poll() on our copy of the socket, which the kernel wakes when it turns
 * ESTABLISHED (POLLOUT) or fails (POLLERR/POLLHUP); no record, no polling
 * loop. 50 ms slices so that a job the watchdog failed stops waiting.
 */
static int wait_established(struct job *j, int fd, char *why, size_t wl)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	struct tcp_info ti;

	for (;;) {
		if (tcp_info(fd, &ti)) {
			snprintf(why, wl, "TCP_INFO: %s", strerror(errno));
			return -EIO;
		}
		if (ti.tcpi_state == ST_ESTABLISHED ||
		    ti.tcpi_state == ST_CLOSE_WAIT)
			return 0;	/* CLOSE_WAIT: keys still set it up */
		if (ti.tcpi_state != ST_SYN_SENT &&
		    ti.tcpi_state != ST_SYN_RECV) {
			snprintf(why, wl, "connection not established "
				 "(TCP state %u)", ti.tcpi_state);
			return -ENOTCONN;
		}
		if (expired(j)) {
			snprintf(why, wl, "handshake not finished in time");
			return -ETIMEDOUT;
		}
		if (poll(&p, 1, 50) < 0 && errno != EINTR) {
			snprintf(why, wl, "poll: %s", strerror(errno));
			return -EIO;
		}
	}
}

/* No payload byte went out, none is queued. */
static int no_plaintext(int fd, const char *when, char *why, size_t wl)
{
	struct tcp_info ti;
	int outq = 0;

	if (tcp_info(fd, &ti) || ioctl(fd, SIOCOUTQ, &outq)) {
		snprintf(why, wl, "cannot read socket state %s: %s", when,
			 strerror(errno));
		return -EIO;
	}
	if (ti.tcpi_bytes_sent || outq) {
		snprintf(why, wl, "plaintext %s kTLS: %llu bytes sent, %d "
			 "queued", when, (unsigned long long)ti.tcpi_bytes_sent,
			 outq);
		return -EPROTO;
	}
	return 0;
}

static int find_socket(struct tcsegd *d, struct job *j, char *why, size_t wl)
{
	struct sock_match sm;
	__u32 tgid = 0;
	long wait_us = 500;
	int fd;

	if (j->r.role == JOB_CLIENT) {
		sm.laddr = j->r.key.saddr, sm.lport = j->r.key.sport;
		sm.raddr = j->r.key.daddr, sm.rport = j->r.key.dport;
	} else {
		sm.laddr = j->r.key.daddr, sm.lport = j->r.key.dport;
		sm.raddr = j->r.key.saddr, sm.rport = j->r.key.sport;
	}
	sm.family = j->r.key.family;
	sm.cookie = j->r.cookie;
	/* the syscall's return (accept, connect) named it */
	if (j->r.tgid && j->r.fd >= 0) {
		MINC(d->m, sock_by_fd);
		return sock_take_fd(j->r.tgid, j->r.fd, &sm, why, wl);
	}
	/* no such record (docs/DAEMON.md §hand-off): search */
	MINC(d->m, sock_by_search);
	if (j->r.tgid)
		return sock_find_in_pid(j->r.tgid, &sm, why, wl);
	/*
	 * accepted socket, owner unknown: until the application accept()s.
	 * Each look walks /proc: back off (0.5 ms doubling to 32 ms), so a
	 * flow whose socket is gone (a peer that closed at once) does not
	 * keep a core busy until the hold timeout.
	 */
	for (;;) {
		fd = sock_find_owner(&sm, &tgid, why, wl);
		if (fd >= 0) {
			j->r.tgid = tgid;
			return fd;
		}
		if (fd != -EAGAIN && fd != -ENOENT)
			return fd;
		if (expired(j)) {
			size_t n = strlen(why);

			snprintf(why + n, wl - n, " (until the hold timeout)");
			return -ETIMEDOUT;
		}
		sleep_us(wait_us);
		if (wait_us < 32000)
			wait_us *= 2;
	}
}

/* First 8 bytes of SHA-256(c2s key | c2s iv | s2c key | s2c iv). */
static void key_fingerprint(const struct tls_key_info *ki, enum job_role role,
			    __u8 *out)
{
	const __u8 *ck = role == JOB_CLIENT ? ki->key : ki->rx_key;
	const __u8 *civ = role == JOB_CLIENT ? ki->iv : ki->rx_iv;
	const __u8 *sk = role == JOB_CLIENT ? ki->rx_key : ki->key;
	const __u8 *siv = role == JOB_CLIENT ? ki->rx_iv : ki->iv;
	__u32 kl = ki->key_len <= 32 ? ki->key_len : 32;
	__u32 il = ki->iv_len <= 16 ? ki->iv_len : 16;
	struct th_sha256 c;
	__u8 h[TH_SHA256_LEN];

	th_sha256_init(&c);
	th_sha256_update(&c, ck, kl);
	th_sha256_update(&c, civ, il);
	th_sha256_update(&c, sk, kl);
	th_sha256_update(&c, siv, il);
	th_sha256_final(&c, h);
	memcpy(out, h, ENDS_FP_LEN);
	explicit_bzero(&c, sizeof(c));
}

static void job_tuple(const struct job *j, struct flow_tuple *ft)
{
	corr_key_to_tuple(&j->r.key, ft);
}

static int get_keys(struct tcsegd *d, struct job *j, int fd,
		    struct tls_key_info *ki,
		    char *why, size_t wl)
{
	struct monitor_event ev;
	char fp[2 * ENDS_FP_LEN + 1], flow[FLOW_STR_LEN], iw[128], st[160];
	struct flow_tuple ft;
	struct flow_isn isn;
	struct kf_timer kt;
	bool has_isn;
	int r, i;

	job_tuple(j, &ft);
	j->hs0 = metrics_provider_handshakes(d->m);
	/* the per-connection value of the TLSHub schedule (docs/KEYS.md §9) */
	r = kp_isn_read(fd, j->r.role == JOB_CLIENT,
			tcseg_capture_isn_fd(d->cap), &isn, iw, sizeof(iw));
	has_isn = !r;
	if (r && key_provider_get_mode() == MODE_TLSHUB) {
		MINC(d->m, key_err);
		snprintf(why, wl, "connection ISNs: %s", iw);
		return r;
	}
	metrics_key_fetch_begin(d->m, &kt);
	r = key_provider_get_key_conn(&ft, has_isn ? &isn : NULL,
				      j->r.role == JOB_CLIENT ?
				      KP_ROLE_CLIENT : KP_ROLE_SERVER, ki);
	metrics_key_fetch_end(d->m, &kt, key_provider_get_mode(), r);
	if (r) {
		MINC(d->m, key_err);
		snprintf(why, wl, "key provider: %s", key_provider_last_error());
		return r;
	}
	MINC(d->m, key_ok);
	j->t_keys = mono_ns();
	key_fingerprint(ki, j->r.role, j->fp);
	for (i = 0; i < ENDS_FP_LEN; i++)
		sprintf(fp + 2 * i, "%02x", j->fp[i]);
	flow_str(&j->r.key, flow, sizeof(flow));
	/*
	 * ISNs are on the wire in every segment: no secret (tests use them);
	 * fp last: scripts read it as the rest of the line
	 */
	dlog(L_INFO, "handoff", "keys agreed role=%s flow=%s mode=%s "
	     "isn=%u:%u %s fp=%s", role_name(j->r.role), flow,
	     kp_mode_name(key_provider_get_mode()), has_isn ? isn.client : 0,
	     has_isn ? isn.server : 0, stages_str(j, st, sizeof(st)), fp);
	if (monitor_event_begin(&ev, "keys")) {
		jsonw_string_field(&ev.w, "role", role_name(j->r.role));
		jsonw_string_field(&ev.w, "flow", flow);
		jsonw_string_field(&ev.w, "fp", fp);
		monitor_event_end(&ev);
	}
	return 0;
}

static int put_ktls(struct tcsegd *d, int fd, struct tls_key_info *ki,
		    char *why, size_t wl)
{
	__u64 t0 = mono_ns();
	int r = configure_ktls(fd, ki);

	metrics_ktls_config(d->m, r, (mono_ns() - t0) / 1000);
	explicit_bzero(ki, sizeof(*ki));
	if (!r) {
		MINC(d->m, ktls_ok);
		return 0;
	}
	if (r == -ENOENT)
		MINC(d->m, ktls_unavailable);
	else
		MINC(d->m, ktls_err);
	snprintf(why, wl, "%s", ktls_strerror(r));
	return r;
}

/* ---- both ends secured before either process runs (docs/DAEMON.md) */

static enum job_role other_role(enum job_role r)
{
	return r == JOB_CLIENT ? JOB_SERVER : JOB_CLIENT;
}

/* The other end's pod: the server for a client job. */
static const union tcseg_addr *peer_ip(const struct handoff_req *r)
{
	return r->role == JOB_CLIENT ? &r->key.daddr : &r->key.saddr;
}

/* Tell the other end's daemon our outcome, once: 0 secured, else errno. */
static void tell_peer(struct tcsegd *d, struct job *j, int status)
{
	struct flow_tuple ft;
	char flow[FLOW_STR_LEN];

	if (j->told || j->peer_failed)
		return;
	j->told = true;
	if (tcsegd_is_local_addr(d, j->r.key.family, peer_ip(&j->r))) {
		ends_put(&j->r.key, j->r.role, status, j->fp, mono_ns());
		return;
	}
	job_tuple(j, &ft);
	if (!key_provider_tell_end(&ft, j->r.role == JOB_CLIENT ?
				   KP_ROLE_CLIENT : KP_ROLE_SERVER, status,
				   j->fp))
		return;
	flow_str(&j->r.key, flow, sizeof(flow));
	dlog(L_WARN, "handoff", "cannot tell the other end role=%s flow=%s "
	     "error=\"%s\"", role_name(j->r.role), flow,
	     key_provider_last_error());
}

/* An END message from the other end's node (key service thread). */
static void on_end(void *arg, const struct flow_tuple *t, enum kp_role end,
		   int status, const unsigned char *fp)
{
	enum job_role r = end == KP_ROLE_CLIENT ? JOB_CLIENT : JOB_SERVER;
	char flow[FLOW_STR_LEN];
	struct corr_key k;

	(void)arg;
	corr_key_from_tuple(t, &k);
	ends_put(&k, r, status, fp, mono_ns());
	flow_str(&k, flow, sizeof(flow));
	dlog(L_DEBUG, "handoff", "other end %s role=%s flow=%s",
	     status ? "failed" : "secured", role_name(r), flow);
}

/*
 * Our end has kTLS: let the other end's records in (the mark), tell the
 * other end, and wait until it says its end is secured too. Only then
 * does our process run, so none of its records meets an unsecured veth,
 * whichever end writes first.
 */
static int sync_ends(struct tcsegd *d, struct job *j, char *why, size_t wl)
{
	int st = 0, r = 0;

	pthread_mutex_lock(&jl);
	if (!j->finished)
		r = mark(d, &j->r, j->r.ifindex, TCSEG_SECURE_OK);
	pthread_mutex_unlock(&jl);
	if (r) {
		snprintf(why, wl, "cannot write tcseg_secured");
		return r;
	}
	tell_peer(d, j, 0);
	r = ends_wait(&j->r.key, other_role(j->r.role), j->fp, j->r.event_ns,
		      j->deadline_ns, &j->finished, &st);
	if (r) {
		snprintf(why, wl, "the other end was not secured in time");
		return r;
	}
	if (st) {
		j->peer_failed = true;
		snprintf(why, wl, "the other end failed closed (%s)",
			 strerror(st));
		return -EPIPE;
	}
	return 0;
}

/* The veth of this end: from the flow event, or learned earlier. */
static __u32 wait_ifindex(struct tcsegd *d, struct job *j)
{
	unsigned int seen;
	__u32 ifindex;

	for (;;) {
		pthread_mutex_lock(&jl);
		ifindex = j->r.ifindex;
		seen = j->events;
		pthread_mutex_unlock(&jl);
		if (!ifindex)
			ifindex = tcsegd_addr_ifindex(d, j->r.key.family,
						      local_ip(&j->r));
		if (ifindex || expired(j))
			return ifindex;
		wait_event(j, seen, 500000ull);
	}
}

/* Apply the outcome unless the watchdog already failed the job. */
static void finish(struct tcsegd *d, struct job *j, int fd, const char *stage,
		   int err,
		   const char *why)
{
	bool optional = false, ok = !err, fresh;
	__u64 lat_us = (mono_ns() - j->r.event_ns) / 1000;
	char flow[FLOW_STR_LEN], st[160];
	int r = 0;

	pthread_mutex_lock(&jl);
	if (j->finished) {	/* the watchdog failed it */
		pthread_mutex_unlock(&jl);
		tell_peer(d, j, ETIMEDOUT);
		return;
	}
	j->finished = true;
	if (!ok && d->cfg.encrypt_optional && fd >= 0 &&
	    (!strcmp(stage, "keys") || err == -ENOENT))
		optional = true;	/* socket untouched by kTLS */
	if (ok || optional)
		r = mark(d, &j->r, j->r.ifindex, TCSEG_SECURE_OK);
	if (r) {
		ok = optional = false;
		stage = "mark";
		why = "cannot write tcseg_secured";
	}
	if (!ok && !optional)
		fail_locked(d, j);
	else
		release(j);
	pthread_mutex_unlock(&jl);

	flow_str(&j->r.key, flow, sizeof(flow));
	stages_str(j, st, sizeof(st));
	/* a fresh node session (ours or the END's) during this hand-off */
	fresh = j->t_keys && metrics_provider_handshakes(d->m) != j->hs0;
	if (ok) {
		MINC(d->m, handoff_ok);
		metrics_latency(d->m, lat_us);
		metrics_handoff_session(d->m, lat_us, fresh);
		dlog(L_INFO, "handoff", "secured role=%s flow=%s tgid=%u "
		     "ifindex=%u latency_us=%llu session=%s %s",
		     role_name(j->r.role), flow, j->r.tgid, j->r.ifindex,
		     (unsigned long long)lat_us, fresh ? "new" : "reused", st);
		emit_result(j, "secured", "done", "", lat_us);
	} else if (optional) {
		MINC(d->m, handoff_optional);
		dlog(L_WARN, "handoff", "encrypt-optional: flow continues in "
		     "plaintext role=%s flow=%s stage=%s reason=\"%s\"",
		     role_name(j->r.role), flow, stage, why);
		emit_result(j, "plaintext", stage, why, lat_us);
	} else {
		MINC(d->m, handoff_failed);
		dlog(L_WARN, "handoff", "failed closed role=%s flow=%s tgid=%u "
		     "stage=%s reason=\"%s\" latency_us=%llu %s",
		     role_name(j->r.role), flow, j->r.tgid, stage, why,
		     (unsigned long long)lat_us, st);
		emit_result(j, "failed", stage, why, lat_us);
	}
	/* after the log: the message may wait on a slow peer */
	if (!ok)
		tell_peer(d, j, err < 0 ? -err : EPROTO);
}

static void set_fd(struct job *j, int fd)
{
	pthread_mutex_lock(&jl);
	j->fd = fd;
	pthread_mutex_unlock(&jl);
}

/* Are all threads of @tgid stopped (state T)? */
static bool all_stopped(__u32 tgid)
{
	char p[64], path[600], buf[512], *c;
	struct dirent *de;
	bool ok = true;
	DIR *d;
	FILE *f;

	snprintf(p, sizeof(p), "/proc/%u/task", tgid);
	d = opendir(p);
	if (!d)
		return false;
	while (ok && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/stat", p, de->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;	/* thread gone */
		if (fgets(buf, sizeof(buf), f) && (c = strrchr(buf, ')')))
			ok = c[1] == ' ' && (c[2] == 'T' || c[2] == 't' ||
					     c[2] == 'Z' || c[2] == 'X');
		fclose(f);
	}
	closedir(d);
	return ok;
}

/* Ledger entry for a stop by the daemon itself (key: the tgid). */
static int record_hold(const struct job *j)
{
	const struct corr_key *k = &j->r.key;
	struct tcseg_held h = {
		.boot_ns = boot_ns(),
		.cookie = j->r.cookie,
		.tgid = j->r.tgid,
		.family = k->family,
	};

	if (j->r.role == JOB_SERVER) {	/* local is the key's destination */
		h.saddr = k->daddr;
		h.daddr = k->saddr;
		h.sport = k->dport;
		h.dport = k->sport;
	} else {
		h.saddr = k->saddr;
		h.daddr = k->daddr;
		h.sport = k->sport;
		h.dport = k->dport;
	}
	return held_record(j->r.tgid, &h);
}

/*
 * The accepting process was not held by the capture (the tracepoint's
 * accept runs in softirq). Stop it now, and wait until every thread is
 * stopped: a thread already sleeping in recv() on the plain TCP socket
 * would otherwise hand the first TLS record to the application
 * undecrypted once it wakes up. SIGSTOP makes it leave the syscall; it
 * restarts on SIGCONT through kTLS.
 */
static int stop_owner(struct job *j, char *why, size_t wl)
{
	int pidfd = pidfd_open_(j->r.tgid);

	if (pidfd < 0) {
		snprintf(why, wl, "process %u gone", j->r.tgid);
		return -ESRCH;
	}
	if (record_hold(j)) {
		snprintf(why, wl, "tcseg_held full, not stopping process %u",
			 j->r.tgid);
		close(pidfd);
		return -ENOSPC;
	}
	pthread_mutex_lock(&jl);
	j->pidfd = pidfd;
	j->held_tid = j->r.tgid;
	pthread_mutex_unlock(&jl);
	if (pidfd_signal(pidfd, SIGSTOP)) {
		snprintf(why, wl, "cannot stop process %u: %s", j->r.tgid,
			 strerror(errno));
		return -errno;
	}
	while (!all_stopped(j->r.tgid)) {
		if (expired(j)) {
			snprintf(why, wl, "process %u did not stop", j->r.tgid);
			return -ETIMEDOUT;
		}
		sleep_us(200);
	}
	return 0;
}

/* A connect record of an unbound socket had no local port yet. */
static int fix_sport(struct job *j, int fd)
{
	struct sockaddr_storage l;
	socklen_t ll = sizeof(l);
	__be16 port;

	if (getsockname(fd, (struct sockaddr *)&l, &ll) ||
	    (l.ss_family != AF_INET && l.ss_family != AF_INET6))
		return -EIO;
	/* sin_port and sin6_port: same place */
	port = ((const struct sockaddr_in *)&l)->sin_port;
	if (!port)
		return -EIO;
	pthread_mutex_lock(&jl);
	j->r.key.sport = port;
	pthread_mutex_unlock(&jl);
	return 0;
}

static void run(struct tcsegd *d, struct job *j)
{
	struct monitor_event ev;
	struct tls_key_info ki;
	char why[256] = "", flow[FLOW_STR_LEN];
	const char *stage;
	int fd, r;

	narrow_hold(j);
	stage = "find";
	fd = find_socket(d, j, why, sizeof(why));
	if (fd < 0) {
		finish(d, j, -1, stage, fd, why);
		unnarrow(j);
		return;
	}
	set_fd(j, fd);
	j->t_found = mono_ns();
	if (!j->r.key.sport && fix_sport(j, fd)) {
		snprintf(why, sizeof(why), "cannot read the local port back");
		finish(d, j, fd, stage, -EIO, why);
		unnarrow(j);
		set_fd(j, -1);
		close(fd);
		return;
	}
	flow_str(&j->r.key, flow, sizeof(flow));
	dlog(L_INFO, "handoff", "socket taken with pidfd_getfd role=%s "
	     "flow=%s tgid=%u cookie=%llu", role_name(j->r.role), flow,
	     j->r.tgid, (unsigned long long)j->r.cookie);
	if (monitor_event_begin(&ev, "socket")) {
		jsonw_string_field(&ev.w, "role", role_name(j->r.role));
		jsonw_string_field(&ev.w, "flow", flow);
		jsonw_uint_field(&ev.w, "tgid", j->r.tgid);
		jsonw_uint_field(&ev.w, "cookie", j->r.cookie);
		monitor_event_end(&ev);
	}
	stage = "handshake";
	r = 0;
	if (j->pidfd < 0) {
		stage = "stop";
		r = stop_owner(j, why, sizeof(why));
	}
	if (!r) {
		stage = "handshake";
		r = wait_established(j, fd, why, sizeof(why));
		j->t_est = r ? 0 : mono_ns();
	}
	if (!r) {
		stage = "plaintext";
		r = no_plaintext(fd, "before", why, sizeof(why));
	}
	if (!r) {
		stage = "keys";
		r = get_keys(d, j, fd, &ki, why, sizeof(why));
	}
	if (!r) {
		stage = "ktls";
		r = put_ktls(d, fd, &ki, why, sizeof(why));
		j->t_ktls = r ? 0 : mono_ns();
	}
	if (!r) {
		stage = "plaintext";
		r = no_plaintext(fd, "after", why, sizeof(why));
	}
	if (!r || (d->cfg.encrypt_optional && stage[0] != 'p')) {
		__u32 ifindex = wait_ifindex(d, j);

		pthread_mutex_lock(&jl);
		j->r.ifindex = ifindex;
		pthread_mutex_unlock(&jl);
		if (!ifindex && !r) {
			stage = "mark";
			snprintf(why, sizeof(why), "veth of the pod unknown");
			r = -ENODEV;
		}
	}
	if (!r) {
		stage = "peer";
		r = sync_ends(d, j, why, sizeof(why));
		j->t_peer = r ? 0 : mono_ns();
	}
	explicit_bzero(&ki, sizeof(ki));
	finish(d, j, fd, stage, r, why);
	unnarrow(j);
	set_fd(j, -1);
	close(fd);
}

/*
 * One read of the rings by this worker (called and returning with
 * jl held): its records queue their jobs without waking anyone (see
 * handoff_submit); then a follower is woken for every queued job beyond
 * the first, which this worker takes, and one more to read the ring on.
 * A 100 ms timeout also picks up the records that woke no one.
 */
static void lead(void)
{
	unsigned int k;

	leader = true;
	pthread_mutex_unlock(&jl);
	leading = true;
	lead_jobs = 0;
	if (ring_buffer__poll(ev_rb, 100) == 0)
		ring_buffer__consume(ev_rb);
	leading = false;
	pthread_mutex_lock(&jl);
	leader = false;
	for (k = 0; k < q_len; k++)
		pthread_cond_signal(&jc);
}

bool handoff_reader_stop(void)
{
	return leading && lead_jobs;
}

void handoff_events_backstop(void)
{
	pthread_mutex_lock(&jl);
	if (!ev_rb || leader || stopping) {
		pthread_mutex_unlock(&jl);
		return;
	}
	leader = true;
	pthread_mutex_unlock(&jl);
	ring_buffer__consume(ev_rb);
	pthread_mutex_lock(&jl);
	leader = false;
	pthread_cond_signal(&jc);	/* a worker free by now reads on */
	pthread_mutex_unlock(&jl);
}

static void *worker(void *arg)
{
	struct tcsegd *d = arg;

	for (;;) {
		struct job *j;
		int idx;

		pthread_mutex_lock(&jl);
		while (!q_len && !stopping) {
			if (ev_rb && !leader)
				lead();
			else
				pthread_cond_wait(&jc, &jl);
		}
		if (stopping) {
			pthread_mutex_unlock(&jl);
			return NULL;
		}
		idx = queue[q_head];
		q_head = (q_head + 1) % TCSEGD_MAX_JOBS;
		q_len--;
		j = &jobs[idx];
		j->state = J_RUNNING;
		pthread_mutex_unlock(&jl);

		if (!j->finished)
			run(d, j);
		pthread_mutex_lock(&jl);
		if (j->pidfd >= 0)
			close(j->pidfd);
		j->pidfd = -1;
		j->state = J_FREE;
		pthread_mutex_unlock(&jl);
	}
}

/*
 * A hand-off is a chain of wake-ups (capture record -> main loop ->
 * worker; the other end's END message -> key service thread -> worker):
 * on a busy node each one waits until the CPU's current task yields, by
 * default up to the rest of its slice (EEVDF). Ask for the shortest
 * slice the scheduler allows (100 us, Linux 6.12+; older kernels ignore
 * the value): a waking daemon thread then preempts a CPU-bound task at
 * once. Same nice, same share of the CPU. Every thread of the daemon
 * now; threads started later inherit it. docs/DAEMON.md §hand-off.
 */
static void short_slice(void)
{
	/* struct sched_attr, SCHED_ATTR_SIZE_VER0 (linux/sched/types.h
	 * clashes with glibc's struct sched_param) */
	struct {
		__u32 size, sched_policy;
		__u64 sched_flags;
		__s32 sched_nice;
		__u32 sched_priority;
		__u64 sched_runtime, sched_deadline, sched_period;
	} a = {
		.size = sizeof(a),
		.sched_policy = SCHED_OTHER,
		.sched_runtime = 100000,
	};
	struct dirent *de;
	int n = 0, bad = 0;
	DIR *d;

	errno = 0;
	a.sched_nice = getpriority(PRIO_PROCESS, 0);
	d = errno ? NULL : opendir("/proc/self/task");
	while (d && (de = readdir(d))) {
		long tid = strtol(de->d_name, NULL, 10);

		if (tid <= 0)
			continue;
		n++;
		bad += !!syscall(SYS_sched_setattr, (pid_t)tid, &a, 0);
	}
	if (d)
		closedir(d);
	if (!n || bad)
		dlog(L_DEBUG, "handoff", "default scheduler slice kept "
		     "threads=%d refused=%d", n, bad);
}

int handoff_start(struct tcsegd *d, int n, struct ring_buffer *events)
{
	struct sigaction sa;
	pthread_condattr_t ca;
	sigset_t ss;
	int i, r;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&jev, &ca);
	pthread_condattr_destroy(&ca);
	ends_init();
	key_provider_set_end_handler(on_end, NULL);
	short_slice();
	/* workers inherit WAKE_SIG blocked; wait_stop() opens it briefly */
	sigemptyset(&ss);
	sigaddset(&ss, WAKE_SIG);
	pthread_sigmask(SIG_BLOCK, &ss, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = wake_noop;	/* no SA_RESTART: waitpid ends */
	sigaction(WAKE_SIG, &sa, NULL);
	if (n > 16)
		n = 16;
	ev_rb = events;
	for (i = 0; i < n; i++) {
		r = pthread_create(&workers[i], NULL, worker, d);
		if (r)
			return -r;
		n_workers++;
	}
	return 0;
}

void handoff_stop(struct tcsegd *d)
{
	int i;

	pthread_mutex_lock(&jl);
	/* nobody is left stopped: every open job fails closed now */
	for (i = 0; i < TCSEGD_MAX_JOBS; i++) {
		struct job *j = &jobs[i];

		if (j->state != J_FREE && !j->finished) {
			j->finished = true;
			fail_locked(d, j);
		}
	}
	stopping = true;
	pthread_cond_broadcast(&jc);
	pthread_mutex_unlock(&jl);
	/* workers may sit in a key fetch; they see "finished" and exit */
	for (i = 0; i < n_workers; i++)
		pthread_join(workers[i], NULL);
	n_workers = 0;
	ev_rb = NULL;
}

long handoff_submit(struct tcsegd *d, const struct handoff_req *r)
{
	struct job *j = NULL;
	long id;
	int i, pidfd = -1;

	if (r->held) {
		pidfd = pidfd_open_(r->tgid);
		if (pidfd < 0)
			return -ESRCH;
	}
	pthread_mutex_lock(&jl);
	for (i = 0; i < TCSEGD_MAX_JOBS; i++) {
		if (jobs[i].state == J_FREE) {
			j = &jobs[i];
			break;
		}
	}
	if (!j || stopping) {
		pthread_mutex_unlock(&jl);
		if (pidfd >= 0) {
			/* cannot take it: let it run, its payload stays dropped */
			pidfd_signal(pidfd, SIGCONT);
			close(pidfd);
			held_forget(r->pid);
		}
		MINC(d->m, handoff_dropped);
		return -ENOSPC;
	}
	memset(j, 0, sizeof(*j));
	j->state = J_QUEUED;
	j->id = id = next_id++;
	j->r = *r;
	j->fd = -1;
	j->pidfd = pidfd;
	j->held_tid = r->held ? r->pid : 0;
	j->deadline_ns = mono_ns() + (__u64)d->cfg.hold_timeout_ms * 1000000ull;
	queue[(q_head + q_len) % TCSEGD_MAX_JOBS] = i;
	q_len++;
	if (leading)	/* the reader runs it (see lead()) */
		lead_jobs++;
	else
		pthread_cond_signal(&jc);
	pthread_mutex_unlock(&jl);
	return id;
}

void handoff_set_ifindex(long id, __u32 ifindex)
{
	int i;

	pthread_mutex_lock(&jl);
	for (i = 0; i < TCSEGD_MAX_JOBS; i++) {
		if (jobs[i].state != J_FREE && jobs[i].id == id) {
			if (!jobs[i].r.ifindex)
				jobs[i].r.ifindex = ifindex;
			jobs[i].events++;
			pthread_cond_broadcast(&jev);
			break;
		}
	}
	pthread_mutex_unlock(&jl);
}
