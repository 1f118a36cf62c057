// SPDX-License-Identifier: GPL-2.0
/*
 * tcsegd: the held-process ledger (pinned map "tcseg_held", struct
 * tcseg_held). The capture writes an entry before it SIGSTOPs a process,
 * the daemon before it stops an accepting process itself; the daemon
 * deletes it after the SIGCONT. An entry older than the hold timeout has
 * no owner: the daemon that held it was killed (kill -9 leaves stopped
 * processes behind) or its record was lost (ring buffer full). The sweep
 * fails such a flow closed (its socket is shut down unless kTLS is on it)
 * and lets the process run again, once it made sure the process is the
 * one that was held (start time, not a reused pid). See docs/DAEMON.md.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>

#include "daemon/tcsegd_held.h"
#include "daemon/tcsegd_log.h"
#include "daemon/tcsegd_metrics.h"
#include "daemon/tcsegd_sock.h"

#define HELD_SWEEP_MAX	256	/* entries looked at per sweep */

static int held_fd = -1;

void held_init(int map_fd)
{
	held_fd = map_fd;
}

int held_record(__u32 tid, const struct tcseg_held *h)
{
	if (held_fd < 0)
		return 0;
	return bpf_map_update_elem(held_fd, &tid, h, BPF_ANY) ? -errno : 0;
}

void held_forget(__u32 tid)
{
	if (held_fd >= 0 && tid)
		bpf_map_delete_elem(held_fd, &tid);
}

/* Boot-clock start of process @tgid (ns), 0 if unknown. */
static __u64 proc_start_ns(__u32 tgid)
{
	char path[64], buf[1024], *p;
	unsigned long long ticks;
	long hz = sysconf(_SC_CLK_TCK);
	FILE *f;
	size_t n;
	int i;

	snprintf(path, sizeof(path), "/proc/%u/stat", tgid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');	/* comm may hold spaces and parentheses */
	if (!p || hz <= 0)
		return 0;
	/* the space before field N: N - 2 spaces after ")" (field 2) */
	for (i = 3; i <= 22 && p; i++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p + 1, "%llu", &ticks) != 1)
		return 0;
	return ticks * (1000000000ull / (unsigned long long)hz);
}

static bool has_ktls(int fd)
{
	char ulp[16] = "";
	socklen_t l = sizeof(ulp);

	return !getsockopt(fd, IPPROTO_TCP, TCP_ULP, ulp, &l) &&
	       !strcmp(ulp, "tls");
}

/* Fail the flow of stale entry @h closed and let its process run. */
static void release_stale(struct tcsegd_metrics *m, __u32 tid,
			  const struct tcseg_held *h)
{
	struct monitor_event ev;
	struct sock_match sm = {
		.laddr = h->saddr, .raddr = h->daddr,
		.lport = h->sport, .rport = h->dport, .cookie = h->cookie,
		.family = h->family,
	};
	struct corr_key k = {
		.saddr = h->saddr, .daddr = h->daddr,
		.sport = h->sport, .dport = h->dport,
		.family = h->family,
	};
	char why[128] = "", flow[FLOW_STR_LEN];
	const char *what = "socket gone";
	__u64 start;
	int pidfd, fd;

	flow_str(&k, flow, sizeof(flow));
	pidfd = syscall(SYS_pidfd_open, h->tgid, 0);
	start = pidfd < 0 ? 0 : proc_start_ns(h->tgid);
	/* a pid reused after the held process died is left alone */
	if (pidfd < 0 || start > h->boot_ns) {
		dlog(L_INFO, "hold", "stale hold dropped, process gone "
		     "tid=%u tgid=%u flow=%s", tid, h->tgid, flow);
		goto out;
	}
	if (!start) {
		dlog(L_WARN, "hold", "stale hold dropped, cannot read the "
		     "start time of process %u flow=%s", h->tgid, flow);
		goto out;
	}
	fd = sock_find_in_pid(h->tgid, &sm, why, sizeof(why));
	if (fd >= 0) {
		if (has_ktls(fd)) {
			what = "kTLS on, released";
		} else {
			shutdown(fd, SHUT_RDWR);
			what = "socket shut down";
		}
		close(fd);
	}
	if (syscall(SYS_pidfd_send_signal, pidfd, SIGCONT, NULL, 0)) {
		dlog(L_ERR, "hold", "cannot release held process tgid=%u "
		     "error=\"%s\" (CAP_KILL?)", h->tgid, strerror(errno));
		close(pidfd);	/* entry kept: the next sweep tries again */
		return;
	}
	MINC(m, held_swept);
	dlog(L_WARN, "hold", "released a process nobody was handing off "
	     "(daemon restarted or record lost), flow failed closed "
	     "tid=%u tgid=%u flow=%s outcome=\"%s\"", tid, h->tgid, flow,
	     what);
	if (monitor_event_begin(&ev, "ktls")) {
		jsonw_string_field(&ev.w, "result", "failed");
		jsonw_string_field(&ev.w, "stage", "hold");
		jsonw_string_field(&ev.w, "flow", flow);
		jsonw_uint_field(&ev.w, "tgid", h->tgid);
		jsonw_string_field(&ev.w, "reason", "stale hold released");
		monitor_event_end(&ev);
	}
out:
	if (pidfd >= 0)
		close(pidfd);
	held_forget(tid);
}

void held_sweep(struct tcsegd_metrics *m, __u64 cutoff_ns)
{
	__u32 keys[HELD_SWEEP_MAX], prev = 0, next;
	struct tcseg_held h[HELD_SWEEP_MAX];
	unsigned int n = 0, i;
	void *pk = NULL;

	if (held_fd < 0)
		return;
	while (n < HELD_SWEEP_MAX &&
	       !bpf_map_get_next_key(held_fd, pk, &next)) {
		prev = next;
		pk = &prev;
		if (bpf_map_lookup_elem(held_fd, &next, &h[n]))
			continue;
		if (h[n].boot_ns < cutoff_ns)
			keys[n++] = next;
	}
	for (i = 0; i < n; i++)
		release_stale(m, keys[i], &h[i]);
}
