// SPDX-License-Identifier: GPL-2.0
/*
 * Test tool for the socket capture: load it on a loaded data plane, mark
 * pod addresses, print every record as one line, release held processes
 * after a delay.
 *   capture_watch PIN_DIR VARIANT RELEASE_MS POD_IP... (stops on SIGTERM)
 * Line: "<type> tgid=N pid=N comm=S src=A:P dst=A:P flags=held,encrypt
 *        action=N rule=N cookie=N"
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tcseg.h"
#include "dataplane/capture_loader.h"

static volatile sig_atomic_t stop;
static int release_ms;

static void on_sig(int s)
{
	(void)s;
	stop = 1;
}

static const char *type_name(__u8 t)
{
	switch (t) {
	case TCSEG_SOCK_CONNECT: return "connect";
	case TCSEG_SOCK_ACCEPT: return "accept";
	case TCSEG_SOCK_SENDMSG: return "sendmsg";
	case TCSEG_SOCK_CLOSE: return "close";
	case TCSEG_SOCK_ESTABLISHED: return "established";
	default: return "?";
	}
}

static int on_event(void *ctx, void *data, size_t len)
{
	const struct tcseg_sock_event *e = data;
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	int af = e->family == TCSEG_FAMILY_V6 ? AF_INET6 : AF_INET;

	(void)ctx;
	if (len < sizeof(*e))
		return 0;
	inet_ntop(af, e->saddr.b, s, sizeof(s));
	inet_ntop(af, e->daddr.b, d, sizeof(d));
	printf("%s tgid=%u pid=%u comm=%.16s src=%s:%u dst=%s:%u flags=%s%s%s%s "
	       "action=%u rule=%u cookie=%llu fd=%d\n", type_name(e->type), e->tgid,
	       e->pid, e->tgid ? e->comm : "-", s, ntohs(e->sport), d,
	       ntohs(e->dport), e->flags & TCSEG_SOCK_F_HELD ? "held," : "",
	       e->flags & TCSEG_SOCK_F_ENCRYPT ? "encrypt," : "",
	       e->flags & TCSEG_SOCK_F_KPROBE ? "kprobe," : "",
	       e->flags & TCSEG_SOCK_F_FD_LATER ? "fd-later," : "", e->action,
	       e->policy_id, (unsigned long long)e->cookie, e->fd);
	fflush(stdout);
	/* like tcsegd: the record from the syscall's return (fd) releases */
	if ((e->flags & TCSEG_SOCK_F_HELD) &&
	    !(e->flags & TCSEG_SOCK_F_FD_LATER)) {
		struct timespec ts = { release_ms / 1000,
				       (release_ms % 1000) * 1000000L };

		nanosleep(&ts, NULL);
		kill(e->tgid, SIGCONT);
		printf("released tgid=%u\n", e->tgid);
		fflush(stdout);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct tcseg_capture *c = NULL;
	struct ring_buffer *rb = NULL;
	enum capture_variant v;
	char err[512];
	int i, ret;

	if (argc < 5 || tcseg_capture_parse_variant(argv[2], &v)) {
		fprintf(stderr, "usage: capture_watch PIN_DIR auto|tp|kprobe "
			"RELEASE_MS POD_IP...\n");
		return 2;
	}
	release_ms = atoi(argv[3]);
	if (tcseg_capture_load(argv[1], v, &c, err, sizeof(err))) {
		fprintf(stderr, "capture_watch: %s\n", err);
		return 1;
	}
	for (i = 4; i < argc; i++) {
		struct tcseg_addr_key ip = { .family = TCSEG_FAMILY_V4 };
		struct tcseg_cap_pod pod = { 0 };

		if (inet_pton(AF_INET, argv[i], &ip.addr.v4) != 1) {
			fprintf(stderr, "capture_watch: bad address '%s'\n",
				argv[i]);
			ret = 2;
			goto out;
		}
		bpf_map_update_elem(tcseg_capture_pods_fd(c), &ip, &pod, BPF_ANY);
	}
	tcseg_capture_set_hold(c, true);
	rb = ring_buffer__new(tcseg_capture_events_fd(c), on_event, NULL, NULL);
	if (!rb) {
		fprintf(stderr, "capture_watch: ring buffer: %s\n",
			strerror(errno));
		ret = 1;
		goto out;
	}
	signal(SIGTERM, on_sig);
	signal(SIGINT, on_sig);
	printf("ready variant=%s\n",
	       tcseg_capture_variant_name(tcseg_capture_variant(c)));
	fflush(stdout);
	/* allow flows' records come without a wake-up: read them anyway */
	while (!stop)
		if (ring_buffer__poll(rb, 100) == 0)
			ring_buffer__consume(rb);
	ret = 0;
out:
	ring_buffer__free(rb);
	tcseg_capture_destroy(c);
	return ret;
}
