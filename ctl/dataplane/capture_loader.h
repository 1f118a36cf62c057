/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Load and attach the socket capture (bpf/capture.bpf.c): BTF tracepoints
 * where the kernel has them, kprobes otherwise (or when asked). Its maps
 * share the pin directory with the data path, whose policy maps it reads.
 * The links are NOT pinned: capture (and the SIGSTOP hold) ends with the
 * daemon; enforcement (TC, pinned) stays and drops unsecured payload
 * meanwhile. Processes stopped when the daemon died are in the pinned
 * tcseg_held map, which the next daemon sweeps (ctl/daemon/tcsegd_held.c).
 */
#ifndef TCSEG_CAPTURE_LOADER_H
#define TCSEG_CAPTURE_LOADER_H

#include <stdbool.h>
#include <stddef.h>

enum capture_variant {
	CAPTURE_AUTO = 0,	/* tracepoints, else kprobes */
	CAPTURE_TP,		/* tp_btf/inet_sock_set_state (+ tcp_sendmsg_locked) */
	CAPTURE_KPROBE,		/* kprobe/kretprobe tcp_v4_connect, tcp_sendmsg, inet_csk_accept */
};

/*
 * Test hook: set (any value) in the loader's environment, the tracepoint
 * variant reports every connect at connect()'s exit, the path that
 * kernels choosing the source port after CLOSE->SYN_SENT take
 * (docs/CAPTURE.md).
 */
#define CAPTURE_DEFER_ALL_ENV	"TCSEG_CAPTURE_DEFER_ALL"

struct tcseg_capture;

/* The data plane must be loaded in @pin_dir (its policy maps are shared). */
int tcseg_capture_load(const char *pin_dir, enum capture_variant want,
		       struct tcseg_capture **out, char *err, size_t errlen);
void tcseg_capture_destroy(struct tcseg_capture *c);

enum capture_variant tcseg_capture_variant(const struct tcseg_capture *c);
/* accept() returns are reported with owner and fd (tracepoint, x86-64). */
bool tcseg_capture_accept_exit(const struct tcseg_capture *c);
const char *tcseg_capture_variant_name(enum capture_variant v);
int tcseg_capture_parse_variant(const char *s, enum capture_variant *v);

int tcseg_capture_events_fd(const struct tcseg_capture *c);	/* ringbuf */
int tcseg_capture_pods_fd(const struct tcseg_capture *c);	/* tcseg_cap_pods */
int tcseg_capture_held_fd(const struct tcseg_capture *c);	/* tcseg_held */
/* tcseg_sock_isn (sk storage, key = a socket fd), -1 without capture */
int tcseg_capture_isn_fd(const struct tcseg_capture *c);

/* Hold (SIGSTOP at connect/accept) encrypt flows or not. */
int tcseg_capture_set_hold(const struct tcseg_capture *c, bool hold);

#endif
