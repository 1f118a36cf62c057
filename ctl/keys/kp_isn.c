// SPDX-License-Identifier: GPL-2.0
/*
 * ISNs of a connection from its socket (docs/KEYS.md §uniqueness). Before
 * any payload, write_seq = own ISN + 1 (the SYN counts one) and rcv_nxt =
 * the peer's ISN + 1; TCP_QUEUE_SEQ shows them in repair mode only.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <netinet/in.h>
#include <linux/bpf.h>
#include <linux/sockios.h>
#include <linux/tcp.h>

#include "keys/kp_isn.h"
#include "tcseg.h"

#define ST_ESTABLISHED	1	/* TCP_INFO's tcpi_state */

static int queue_seq(int fd, int queue, __u32 *seq)
{
	socklen_t l = sizeof(*seq);

	if (setsockopt(fd, IPPROTO_TCP, TCP_REPAIR_QUEUE, &queue,
		       sizeof(queue)))
		return -errno;
	return getsockopt(fd, IPPROTO_TCP, TCP_QUEUE_SEQ, seq, &l) ? -errno : 0;
}

/* No byte sent, queued or received: the sequence numbers are ISN + 1. */
static int fresh(int fd, char *why, size_t wl)
{
	struct tcp_info ti;
	socklen_t l = sizeof(ti);
	int outq = 0, inq = 0, e;

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &l) ||
	    ioctl(fd, SIOCOUTQ, &outq) || ioctl(fd, SIOCINQ, &inq)) {
		e = errno;
		snprintf(why, wl, "cannot read the socket state: %s",
			 strerror(e));
		return -e;
	}
	if (ti.tcpi_state != ST_ESTABLISHED) {
		snprintf(why, wl, "socket not established (state %u)",
			 ti.tcpi_state);
		return -ENOTCONN;
	}
	if (ti.tcpi_bytes_sent || ti.tcpi_bytes_received || outq || inq) {
		snprintf(why, wl, "payload already exchanged (%llu sent, "
			 "%llu received): no ISNs",
			 (unsigned long long)ti.tcpi_bytes_sent,
			 (unsigned long long)ti.tcpi_bytes_received);
		return -EPROTO;
	}
	return 0;
}

/* The capture's record for this socket (sk storage, key = our fd). */
static int from_capture(int map_fd, int fd, struct flow_isn *isn)
{
	struct tcseg_sock_isn v;
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_fd = map_fd;
	a.key = (__u64)(unsigned long)&fd;
	a.value = (__u64)(unsigned long)&v;
	if (syscall(SYS_bpf, BPF_MAP_LOOKUP_ELEM, &a, sizeof(a)))
		return -errno;
	isn->client = v.client;
	isn->server = v.server;
	return 0;
}

int kp_isn_read(int fd, int client, int map_fd, struct flow_isn *isn,
		char *why, size_t wl)
{
	int on = TCP_REPAIR_ON, off = TCP_REPAIR_OFF_NO_WP, reuse = 0, r;
	socklen_t l = sizeof(reuse);
	__u32 snd = 0, rcv = 0;

	if (map_fd >= 0 && from_capture(map_fd, fd, isn) == 0)
		return 0;
	r = fresh(fd, why, wl);
	if (r)
		return r;
	/* repair mode leaves sk_reuse cleared: put the owner's back */
	if (getsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, &l) ||
	    setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &on, sizeof(on))) {
		r = -errno;
		snprintf(why, wl, "TCP_REPAIR: %s", strerror(-r));
		return r;
	}
	r = queue_seq(fd, TCP_SEND_QUEUE, &snd);
	r = r ?: queue_seq(fd, TCP_RECV_QUEUE, &rcv);
	if (setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &off, sizeof(off)) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof(reuse))) {
		r = -errno;
		snprintf(why, wl, "leaving TCP_REPAIR: %s", strerror(-r));
		return r;
	}
	if (r) {
		snprintf(why, wl, "TCP_QUEUE_SEQ: %s", strerror(-r));
		return r;
	}
	/* a segment may have arrived in between: check again */
	r = fresh(fd, why, wl);
	if (r)
		return r;
	isn->client = (client ? snd : rcv) - 1;
	isn->server = (client ? rcv : snd) - 1;
	return 0;
}
