// SPDX-License-Identifier: GPL-2.0
/*
 * Socket capture for the kTLS hand-off (DESIGN.md §3): who opened which
 * TCP connection of a pod of this node, with pid, socket cookie and netns
 * cookie, so tcsegd can find the socket and switch it to kTLS.
 *
 * Two variants, the loader picks what the kernel supports:
 *  - BTF tracepoints: inet_sock_set_state (CLOSE->SYN_SENT runs inside
 *    connect() in the caller's context; SYN_RECV->ESTABLISHED is the
 *    passive side, in softirq) and tcp_sendmsg_locked (first send); the
 *    syscalls/sys_exit_connect tracepoint for sockets whose source port
 *    is chosen after CLOSE->SYN_SENT (docs/CAPTURE.md).
 *  - kprobes (the original design): kprobe+kretprobe tcp_v4_connect (and
 *    tcp_v6_connect), kprobe tcp_sendmsg, with conn_track and sock_info
 *    maps.
 * IPv4 and IPv6 sockets; a dual-stack socket's v4-mapped flow is IPv4.
 * An encrypt flow's process is stopped (SIGSTOP) before connect() returns,
 * so it cannot send a byte until tcsegd has configured kTLS and sent
 * SIGCONT. The policy maps are the data path's own (pinned, shared).
 */
#include "lib/common.h"
#include "lib/maps.h"
#include "lib/policy.h"
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "GPL";

#define AF_INET		2
#define AF_INET6	10
#define SIGSTOP		19

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tcseg_sock_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct tcseg_addr_key);
	__type(value, struct tcseg_cap_pod);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tcseg_cap_pods SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tcseg_cap_config);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tcseg_cap_config SEC(".maps");

/* Held processes by thread id; see struct tcseg_held. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, struct tcseg_held);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tcseg_held SEC(".maps");

/* Seed 000's conn_track_map: the sock of a connect() in flight, by tid. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u64);
} tcseg_conn_track SEC(".maps");

/*
 * connect() of an unbound socket: at CLOSE->SYN_SENT the kernel has not
 * chosen the source port yet (inet_hash_connect runs right after), so the
 * record and the policy decision wait for the syscall's exit, same thread,
 * port known, before user space runs. By tid.
 */
struct conn_pending {
	__u64 sk;
	__u64 cookie;
	__u64 netns_cookie;
	__u64 ts_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct conn_pending);
} tcseg_conn_pending SEC(".maps");

/*
 * Set by the loader when tcseg_cap_connect_exit is attached: 1 = defer
 * the connects whose port is not known yet, 2 = defer every connect (a
 * test hook: kernels that choose the port before CLOSE->SYN_SENT, like
 * 6.18, never take the deferred path otherwise).
 */
const volatile __u32 cap_defer_connect = 0;
#define CONN_PENDING_MAX_NS	(10ULL * 1000000000ULL)

/* ISNs of encrypt-flow sockets (struct tcseg_sock_isn, docs/KEYS.md §9). */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct tcseg_sock_isn);
} tcseg_sock_isn SEC(".maps");

/*
 * At SYN_SENT/SYN_RECV -> ESTABLISHED both ISNs are exact: snd_una = own
 * ISN + 1 (the SYN is acked), rcv_nxt = the peer's ISN + 1 (no data
 * queued yet). Later the socket may carry data or a FIN; the stored pair
 * stays right.
 */
static __always_inline void store_isn(const struct sock *sk, int client)
{
	struct tcp_sock *tp = bpf_skc_to_tcp_sock((void *)sk);
	struct tcseg_sock_isn *v;
	__u32 own, peer;

	if (!tp)
		return;
	own = tp->snd_una - 1;
	peer = tp->rcv_nxt - 1;
	v = bpf_sk_storage_get(&tcseg_sock_isn, (struct sock *)sk, 0,
			       BPF_SK_STORAGE_GET_F_CREATE);
	if (!v)
		return;
	v->client = client ? own : peer;
	v->server = client ? peer : own;
}

/* Seed 000's sock_info_map: captured sockets (cookie, or sock address for
 * kprobes) -> SI_* bits: first send not reported yet, encrypt flow. */
#define SI_PENDING	0x01
#define SI_ENCRYPT	0x02
#define SI_OWNED	0x04	/* its syscall's return reported (once) */
#define SI_FD_LATER	0x08	/* held connect: connect()'s return reports */
#define SI_ACCEPT	0x10	/* the accepted end (its owner comes later) */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, __u8);
} tcseg_sock_info SEC(".maps");

struct tuple {
	union tcseg_addr saddr;
	union tcseg_addr daddr;
	__be16 sport;
	__be16 dport;
	__u8 family;
};

/* ::ffff:a.b.c.d (RFC 4291 2.5.5.2) */
static __always_inline int addr_v4_mapped(const union tcseg_addr *a)
{
	return !a->w[0] && !a->w[1] && a->w[2] == bpf_htonl(0xffff);
}

/*
 * The socket's 4-tuple, local end first, and its family. An AF_INET6
 * socket whose peer is v4-mapped (a dual-stack socket with an IPv4 peer)
 * is an IPv4 flow on the wire: family 4, from the socket's IPv4 fields,
 * which the kernel keeps for such sockets (at SYN_SENT its IPv6 local
 * address may not be set yet). Never a v4-mapped address in a record
 * (docs/CAPTURE.md).
 */
static __always_inline int sk_tuple(const struct sock *sk, struct tuple *t)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);

	if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP ||
	    (family != AF_INET && family != AF_INET6))
		return -1;
	__builtin_memset(t, 0, sizeof(*t));
	t->family = TCSEG_FAMILY_V4;
	if (family == AF_INET6) {
		BPF_CORE_READ_INTO(&t->daddr, sk, __sk_common.skc_v6_daddr);
		if (!addr_v4_mapped(&t->daddr)) {
			BPF_CORE_READ_INTO(&t->saddr, sk,
					   __sk_common.skc_v6_rcv_saddr);
			t->family = TCSEG_FAMILY_V6;
		}
	}
	if (t->family == TCSEG_FAMILY_V4) {
		/*
		 * word by word: a union initialiser naming .v4 need not
		 * clear the other 12 bytes (clang leaves them)
		 */
		__builtin_memset(&t->daddr, 0, sizeof(t->daddr));
		t->saddr.v4 = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		t->daddr.v4 = BPF_CORE_READ(sk, __sk_common.skc_daddr);
	}
	t->sport = bpf_htons(BPF_CORE_READ(sk, __sk_common.skc_num));
	t->dport = BPF_CORE_READ(sk, __sk_common.skc_dport);
	return 0;
}

static __always_inline __u64 sk_netns_cookie(const struct sock *sk)
{
	struct net *net = BPF_CORE_READ(sk, __sk_common.skc_net.net);

	if (!net || !bpf_core_field_exists(net->net_cookie))
		return 0;
	return BPF_CORE_READ(net, net_cookie);
}

/* The flow's policy as the data path will see it at the pod's veth. */
static __always_inline void flow_policy(const struct tcseg_cap_pod *pod,
					const struct flow *f,
					struct decision *d)
{
	struct tcseg_config *cfg;
	struct policy_keys pk;
	struct tcseg_dev *dev;
	__u32 zero = 0, ifindex = pod->ifindex;

	d->action = TCSEG_ACT_ALLOW;
	d->rule_id = 0;
	cfg = bpf_map_lookup_elem(&tcseg_config, &zero);
	if (!cfg)
		return;
	dev = bpf_map_lookup_elem(&tcseg_devs, &ifindex);
	policy_decide(cfg, dev, ifindex, f, d, &pk);
}

/*
 * @wake: the daemon has to act on it now (the record that starts a
 * hand-off). The others (first send, close, established: for the
 * monitor and the counters) wait for the daemon's next read, at the
 * latest its 100 ms tick: no wake-up, no context switch on the
 * connection's path.
 */
static __always_inline void emit(__u8 type, const struct tuple *t, __u64 cookie,
				 __u64 netns_cookie, __u8 flags,
				 const struct decision *d, int process, int wake,
				 int fd)
{
	struct tcseg_sock_event *e;
	__u64 id = bpf_get_current_pid_tgid();

	e = bpf_ringbuf_reserve(&tcseg_sock_events, sizeof(*e), 0);
	if (!e)
		return;
	__builtin_memset(e, 0, sizeof(*e));
	e->ts_ns = bpf_ktime_get_ns();
	e->cookie = cookie;
	e->netns_cookie = netns_cookie;
	if (process) {
		e->tgid = id >> 32;
		e->pid = (__u32)id;
		bpf_get_current_comm(e->comm, sizeof(e->comm));
	}
	e->saddr = t->saddr;
	e->daddr = t->daddr;
	e->sport = t->sport;
	e->dport = t->dport;
	e->family = t->family;
	e->type = type;
	e->flags = flags;
	e->fd = fd;
	if (d) {
		e->action = d->action;
		e->policy_id = d->rule_id;
	}
	/*
	 * forced: without it the kernel wakes the reader only when it has
	 * read everything before this record, so one unread no-wake-up
	 * record ahead would leave a hand-off waiting for the tick
	 */
	bpf_ringbuf_submit(e, wake ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
}

/*
 * Stop the current thread's process for tcsegd: recorded in tcseg_held
 * first, so a process is never stopped without a trace a daemon (this one
 * or the next) finds. No room, no hold: the data path still drops the
 * flow's payload until it is secured.
 */
static __always_inline int hold(const struct tuple *t, __u64 cookie)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct tcseg_held h = {
		.boot_ns = bpf_ktime_get_boot_ns(),
		.cookie = cookie,
		.tgid = bpf_get_current_pid_tgid() >> 32,
		.saddr = t->saddr,
		.daddr = t->daddr,
		.sport = t->sport,
		.dport = t->dport,
		.family = t->family,
	};

	if (bpf_map_update_elem(&tcseg_held, &tid, &h, BPF_ANY))
		return 0;
	if (bpf_send_signal(SIGSTOP)) {
		bpf_map_delete_elem(&tcseg_held, &tid);
		return 0;
	}
	return 1;
}

/*
 * Flags for an encrypt flow: stop the current process (in process context
 * only) when the daemon asked for the hold.
 */
static __always_inline __u32 cap_flags(void)
{
	struct tcseg_cap_config *cc;
	__u32 zero = 0;

	cc = bpf_map_lookup_elem(&tcseg_cap_config, &zero);
	return cc ? cc->flags : 0;
}

static __always_inline __u8 encrypt_hold(const struct decision *d,
					 int process, const struct tuple *t,
					 __u64 cookie)
{
	__u8 flags;

	if (d->action != TCSEG_ACT_ENCRYPT)
		return 0;
	flags = TCSEG_SOCK_F_ENCRYPT;
	if (process && (cap_flags() & TCSEG_CAP_F_HOLD) && hold(t, cookie))
		flags |= TCSEG_SOCK_F_HELD;
	else if (!process && (cap_flags() & TCSEG_CAP_F_ACCEPT_EXIT))
		flags |= TCSEG_SOCK_F_FD_LATER;
	return flags;
}

/*
 * A connection of a pod of this node opened: report it, and stop the
 * process (in process context only) if the flow is to be encrypted.
 * CONNECT comes from connect()'s context; ACCEPT from the tracepoint in
 * softirq (@process 0: no owner yet) or from accept()'s return with
 * kprobes (@process 1: the accepting process, held like a connect).
 */
static __always_inline void on_open(__u8 type, const struct tuple *t,
				    __u64 cookie, __u64 netns_cookie,
				    __u64 sock_key, __u8 flags, int process,
				    int fd)
{
	int local_init = type == TCSEG_SOCK_CONNECT;
	struct tcseg_addr_key pk = { .addr = t->saddr, .family = t->family };
	struct tcseg_cap_pod *pod;
	struct decision d;
	struct flow f;
	__u8 si;

	pod = bpf_map_lookup_elem(&tcseg_cap_pods, &pk);
	if (!pod)
		return;
	/* the flow as its initiator opened it */
	f.saddr = local_init ? &t->saddr : &t->daddr;
	f.daddr = local_init ? &t->daddr : &t->saddr;
	f.sport = local_init ? t->sport : t->dport;
	f.dport = local_init ? t->dport : t->sport;
	f.proto = IPPROTO_TCP;
	f.family = t->family;
	flow_policy(pod, &f, &d);
	/*
	 * Only encrypt flows concern the daemon: any other connection costs
	 * the pod lookup and this decision, no map write and no record
	 * (docs/CAPTURE.md). Its payload needs no hand-off; were the data
	 * path to judge it encrypt after all (a rule changed in between),
	 * that payload stays dropped as unsecured: fail closed.
	 */
	if (d.action != TCSEG_ACT_ENCRYPT)
		return;
	flags |= encrypt_hold(&d, process, t, cookie);
	/* tracepoint: connect()'s return names the fd (docs/CAPTURE.md) */
	if (type == TCSEG_SOCK_CONNECT && fd < 0 && cookie &&
	    (flags & TCSEG_SOCK_F_HELD) &&
	    (cap_flags() & TCSEG_CAP_F_ACCEPT_EXIT))
		flags |= TCSEG_SOCK_F_FD_LATER;
	si = SI_PENDING | SI_ENCRYPT |
	     (flags & TCSEG_SOCK_F_FD_LATER ? SI_FD_LATER : 0) |
	     (type == TCSEG_SOCK_ACCEPT ? SI_ACCEPT : 0);
	bpf_map_update_elem(&tcseg_sock_info, &sock_key, &si, BPF_ANY);
	/* a record whose fd comes later wakes the daemon then */
	emit(type, t, cookie, netns_cookie, flags, &d, process,
	     !(flags & TCSEG_SOCK_F_FD_LATER), fd);
}

/* First send on a captured socket (once per socket). */
static __always_inline void on_send(const struct sock *sk, __u64 sock_key,
				    __u64 cookie, __u8 flags)
{
	__u8 *si = bpf_map_lookup_elem(&tcseg_sock_info, &sock_key);
	struct tuple t;

	if (!si || !(*si & SI_PENDING) || sk_tuple(sk, &t))
		return;
	*si &= ~SI_PENDING;
	emit(TCSEG_SOCK_SENDMSG, &t, cookie, 0, flags, NULL, 1, 0, -1);
}

/*
 * Transitions that matter: CLOSE->SYN_SENT (connect), SYN_RECV->ESTABLISHED
 * (accept), and for captured (encrypt) sockets SYN_SENT->ESTABLISHED and
 * leaving ESTABLISHED. Every other state change of every TCP socket of the
 * host returns before any read of the socket, and a socket that is not
 * captured before its tuple is read.
 */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(tcseg_cap_state, const struct sock *sk, int oldstate, int newstate)
{
	int open = oldstate == TCP_CLOSE && newstate == TCP_SYN_SENT;
	int acc = oldstate == TCP_SYN_RECV && newstate == TCP_ESTABLISHED;
	struct tcseg_addr_key pk = {};
	struct tuple t;
	__u64 cookie;
	__u8 *si = NULL;

	if (!open && !acc && !(oldstate == TCP_SYN_SENT &&
			       newstate == TCP_ESTABLISHED) &&
	    oldstate != TCP_ESTABLISHED)
		return 0;
	cookie = bpf_get_socket_cookie((void *)sk);
	if (!open && !acc &&
	    !(si = bpf_map_lookup_elem(&tcseg_sock_info, &cookie)))
		return 0;
	if (sk_tuple(sk, &t))
		return 0;
	if (open && ((!t.sport && cap_defer_connect) || cap_defer_connect == 2)) {
		__u32 tid = (__u32)bpf_get_current_pid_tgid();
		struct conn_pending cp = {
			.sk = (__u64)sk, .cookie = cookie,
			.netns_cookie = sk_netns_cookie(sk),
			.ts_ns = bpf_ktime_get_ns(),
		};

		/* not a pod of this node: nothing to defer */
		pk.addr = t.saddr;
		pk.family = t.family;
		if (bpf_map_lookup_elem(&tcseg_cap_pods, &pk))
			bpf_map_update_elem(&tcseg_conn_pending, &tid, &cp,
					    BPF_ANY);
	} else if (open) {
		on_open(TCSEG_SOCK_CONNECT, &t, cookie, sk_netns_cookie(sk), cookie, 0,
			1, -1);
	} else if (acc) {
		on_open(TCSEG_SOCK_ACCEPT, &t, cookie, sk_netns_cookie(sk), cookie, 0,
			0, -1);
		si = bpf_map_lookup_elem(&tcseg_sock_info, &cookie);
		if (si && (*si & SI_ENCRYPT))
			store_isn(sk, 0);
	} else if (oldstate == TCP_SYN_SENT) {
		if (*si & SI_ENCRYPT) {
			store_isn(sk, 1);
			/* for the monitor: the hand-off waits in poll() */
			emit(TCSEG_SOCK_ESTABLISHED, &t, cookie, 0,
			     TCSEG_SOCK_F_ENCRYPT, NULL, 0, 0, -1);
		}
	} else {
		/*
		 * an accepted encrypt socket whose peer closed before the
		 * application's accept(): its return must still be reported
		 * (the server end fails closed then); the LRU drops it later.
		 * (Accepted sockets carry SI_FD_LATER too with the sys_exit
		 * program: SI_ACCEPT tells them from a held connect.)
		 */
		if (!(newstate == TCP_CLOSE_WAIT && (*si & SI_ACCEPT) &&
		      !(*si & SI_OWNED)))
			bpf_map_delete_elem(&tcseg_sock_info, &cookie);
		emit(TCSEG_SOCK_CLOSE, &t, cookie, 0, 0, NULL, 0, 0, -1);
	}
	return 0;
}

/*
 * connect() returns (0, EINPROGRESS, EINTR...): the deferred record of
 * its socket, now with the source port, in the caller's context (it can
 * be held), with connect()'s @fd when known (-1 else). A socket back in
 * CLOSE (connect failed) is not reported. 1 if there was one.
 */
static __always_inline int pending_open(int fd)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct conn_pending *p, cp;
	const struct sock *sk;
	struct tuple t;

	p = bpf_map_lookup_elem(&tcseg_conn_pending, &tid);
	if (!p)
		return 0;
	cp = *p;
	bpf_map_delete_elem(&tcseg_conn_pending, &tid);
	if (bpf_ktime_get_ns() - cp.ts_ns > CONN_PENDING_MAX_NS)
		return 0;	/* left by a connect inside another call */
	sk = (const struct sock *)cp.sk;
	if (BPF_CORE_READ(sk, __sk_common.skc_state) == TCP_CLOSE ||
	    sk_tuple(sk, &t) || !t.sport)
		return 1;
	on_open(TCSEG_SOCK_CONNECT, &t, cp.cookie, cp.netns_cookie, cp.cookie,
		0, 1, fd);
	return 1;
}

SEC("tracepoint/syscalls/sys_exit_connect")
int tcseg_cap_connect_exit(void *ctx)
{
	(void)ctx;
	/* with tp_btf/sys_exit attached that one reports it, with the fd */
	if (!(cap_flags() & TCSEG_CAP_F_ACCEPT_EXIT))
		pending_open(-1);
	return 0;
}

#define NR_CONNECT	42	/* x86-64; the loader enables this on x86-64 only */
#define NR_ACCEPT	43
#define NR_ACCEPT4	288

/* The socket behind fd @fd of the current process. */
static __always_inline struct sock *fd_sock(long fd)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct file **fds, *f = NULL;
	struct socket *so;

	if (fd < 0 || fd >= BPF_CORE_READ(task, files, fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(task, files, fdt, fd);
	if (bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]) || !f)
		return NULL;
	so = BPF_CORE_READ(f, private_data);
	return so ? BPF_CORE_READ(so, sk) : NULL;
}

/*
 * accept()/accept4() returning a socket of an encrypt flow (the softirq
 * accept record marked it in tcseg_sock_info): report the owner, thread
 * and fd, so the daemon takes it with pidfd_getfd at once, and hold the
 * process before it returns to user space. connect() returning (any
 * result: EINPROGRESS, or interrupted by the hold) on a socket held at
 * SYN_SENT: the same record for the client, which starts its hand-off
 * (no search of the process's fds); a deferred connect is reported here
 * whole, fd included (docs/CAPTURE.md).
 */
SEC("tp_btf/sys_exit")
int BPF_PROG(tcseg_cap_sys_exit, struct pt_regs *regs, long ret)
{
	struct decision d = { .action = TCSEG_ACT_ENCRYPT };
	struct sock *sk;
	struct tuple t;
	__u64 cookie;
	__u8 *si, flags = TCSEG_SOCK_F_ENCRYPT, type = TCSEG_SOCK_ACCEPT;
	long nr, fd = ret;

	nr = BPF_CORE_READ(regs, orig_ax);
	if (nr == NR_CONNECT) {
		fd = BPF_CORE_READ(regs, di);	/* connect(fd, ...) */
		type = TCSEG_SOCK_CONNECT;
		if (fd >= 0 && pending_open((int)fd))
			return 0;
	} else if (nr != NR_ACCEPT && nr != NR_ACCEPT4) {
		return 0;
	}
	if (fd < 0)
		return 0;
	sk = fd_sock(fd);
	if (!sk || sk_tuple(sk, &t))
		return 0;
	cookie = BPF_CORE_READ(sk, __sk_common.skc_cookie.counter);
	si = cookie ? bpf_map_lookup_elem(&tcseg_sock_info, &cookie) : NULL;
	if (!si || !(*si & SI_ENCRYPT) || (*si & SI_OWNED) ||
	    (type == TCSEG_SOCK_CONNECT && !(*si & SI_FD_LATER)))
		return 0;
	*si |= SI_OWNED;
	if (type == TCSEG_SOCK_CONNECT)	/* held at SYN_SENT already */
		flags |= TCSEG_SOCK_F_HELD;
	else if ((cap_flags() & TCSEG_CAP_F_HOLD) && hold(&t, cookie))
		flags |= TCSEG_SOCK_F_HELD;
	emit(type, &t, cookie, sk_netns_cookie(sk), flags, &d, 1, 1, (int)fd);
	return 0;
}

SEC("tp_btf/tcp_sendmsg_locked")
int BPF_PROG(tcseg_cap_send, const struct sock *sk)
{
	__u64 cookie = bpf_get_socket_cookie((void *)sk);

	on_send(sk, cookie, cookie, 0);
	return 0;
}

/* connect() in flight: its sock by thread, reported at the return. */
static __always_inline int conn_track_enter(struct sock *sk)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 p = (__u64)sk;

	bpf_map_update_elem(&tcseg_conn_track, &tid, &p, BPF_ANY);
	return 0;
}

static __always_inline int conn_track_exit(int ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct sock *sk;
	struct tuple t;
	__u64 *p;

	p = bpf_map_lookup_elem(&tcseg_conn_track, &tid);
	if (!p)
		return 0;
	sk = (struct sock *)*p;
	bpf_map_delete_elem(&tcseg_conn_track, &tid);
	if (ret || sk_tuple(sk, &t))
		return 0;
	on_open(TCSEG_SOCK_CONNECT, &t, 0, sk_netns_cookie(sk), (__u64)sk,
		TCSEG_SOCK_F_KPROBE, 1, -1);
	return 0;
}

SEC("kprobe/tcp_v4_connect")
int BPF_KPROBE(tcseg_kp_connect, struct sock *sk)
{
	return conn_track_enter(sk);
}

SEC("kretprobe/tcp_v4_connect")
int BPF_KRETPROBE(tcseg_kp_connect_ret, int ret)
{
	return conn_track_exit(ret);
}

/*
 * IPv6 sockets. tcp_v6_connect() to a v4-mapped address calls
 * tcp_v4_connect(), whose probes report it (as IPv4, sk_tuple) and take
 * the tcseg_conn_track entry: this return then finds none.
 */
SEC("kprobe/tcp_v6_connect")
int BPF_KPROBE(tcseg_kp_connect6, struct sock *sk)
{
	return conn_track_enter(sk);
}

SEC("kretprobe/tcp_v6_connect")
int BPF_KRETPROBE(tcseg_kp_connect6_ret, int ret)
{
	return conn_track_exit(ret);
}

SEC("kprobe/tcp_sendmsg")
int BPF_KPROBE(tcseg_kp_sendmsg, struct sock *sk)
{
	on_send(sk, (__u64)sk, 0, TCSEG_SOCK_F_KPROBE);
	return 0;
}

/* accept() returning a connection: the server side, in its own context. */
SEC("kretprobe/inet_csk_accept")
int BPF_KRETPROBE(tcseg_kp_accept_ret, struct sock *newsk)
{
	struct tuple t;

	if (!newsk || sk_tuple(newsk, &t))
		return 0;
	on_open(TCSEG_SOCK_ACCEPT, &t, 0, sk_netns_cookie(newsk), (__u64)newsk,
		TCSEG_SOCK_F_KPROBE, 1, -1);
	return 0;
}
