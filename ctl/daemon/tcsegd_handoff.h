/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcsegd's hand-off workers (ctl/daemon/tcsegd_handoff.c, docs/DAEMON.md
 * §The hand-off): a bounded pool of threads that secure one end of an
 * encrypt flow each.
 */
#ifndef TCSEG_TCSEGD_HANDOFF_H
#define TCSEG_TCSEGD_HANDOFF_H

#include <stdbool.h>
#include "daemon/tcsegd_corr.h"

#define TCSEGD_WORKERS		4
#define TCSEGD_MAX_JOBS		256

struct tcsegd;

enum job_role { JOB_CLIENT = 1, JOB_SERVER = 2 };

struct handoff_req {
	enum job_role role;
	struct corr_key key;		/* client -> server, network order */
	__u32 tgid;			/* 0 = find the owner (accept, tp) */
	__u32 pid;
	__u64 cookie;			/* 0 = match by tuple */
	__u64 event_ns;			/* capture record time (monotonic) */
	__u32 ifindex;			/* veth of this end's pod, 0 = later */
	bool held;			/* SIGSTOPped: we owe it a SIGCONT */
	int fd;				/* accept()'s fd in tgid, -1 = search */
	char comm[17];
};

struct ring_buffer;
/* @events: the flow event and capture rings, read by the workers (their
 * callbacks run there) */
int handoff_start(struct tcsegd *d, int nworkers, struct ring_buffer *events);
/*
 * In a ring callback: the worker reading the rings queued a job, so it
 * should stop reading and run it (the callback returns -EINTR; the next
 * reader takes the records left).
 */
bool handoff_reader_stop(void);
/* The main loop's tick: read the rings if no worker is free to. */
void handoff_events_backstop(void);
void handoff_stop(struct tcsegd *d);		/* fails every job in flight */
/* Queue a hand-off; returns a job id (> 0) or negative errno. */
long handoff_submit(struct tcsegd *d, const struct handoff_req *r);
/* The veth of a job's end became known (TC event after the record). */
void handoff_set_ifindex(long job, __u32 ifindex);
/* Fail jobs past their deadline; called from the main loop's timer. */
void handoff_watchdog(struct tcsegd *d);
int handoff_in_flight(void);

#endif
