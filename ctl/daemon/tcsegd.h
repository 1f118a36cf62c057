/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcsegd's state, struct tcsegd: one per daemon, made by main()
 * (ctl/daemon/tcsegd.c) and handed as "struct tcsegd *d" to the parts
 * that need it; no part keeps a pointer to it. Each part declares its
 * functions in its own header, tcsegd_<part>.h. See docs/DAEMON.md
 * §Code layout.
 */
#ifndef TCSEG_TCSEGD_H
#define TCSEG_TCSEGD_H

#include <pthread.h>
#include <stdbool.h>
#include "tcseg.h"
#include "daemon/daemon_config.h"
#include "dataplane/loader.h"
#include "dataplane/pod_veth.h"
#include "dataplane/capture_loader.h"

struct pod_node_table;
struct pod_reg;
struct corr_table;
struct tcsegd_metrics;
struct ring_buffer;

struct tcsegd {
	struct capture_config cfg;
	const char *cfg_path;
	bool foreground;
	enum capture_variant variant;
	struct tcseg_maps maps;
	struct tcseg_capture *cap;
	int cap_pods_fd;
	pthread_rwlock_t pods_lock;
	struct pod_node_table *pods;	/* under pods_lock */
	unsigned int pods_gen;		/* new mapping loaded: +1 */
	/* pods registered by tcctl attach ... pod (tcseg-cni), read from
	 * the pinned tcseg_pods (docs/DAEMON.md §Registered pods) */
	struct pod_reg *reg;		/* under pods_lock */
	size_t n_reg;
	__u64 start_ns;
	int ktls_ok;			/* ktls_available() at start */
	/* flow events and capture records are joined here */
	pthread_mutex_t corr_lock;
	struct corr_table *corr;	/* under corr_lock */
	int ctl_fd;			/* control socket listener */
	int metrics_fd;			/* metrics listener, -1 = off */
	/* veth of each of this node's pods (main thread writes) */
	pthread_mutex_t veth_lock;
	struct pod_veth_table veths;	/* under veth_lock */
	struct tcsegd_metrics *m;	/* any thread (atomic adds) */
	/* the event loop (tcsegd.c), main thread only */
	int epfd, sig_fd, tick_fd, link_fd;
	/* flow events and capture records: read by the hand-off workers,
	 * not the event loop (docs/DAEMON.md "The event loop") */
	struct ring_buffer *rb;
	bool exiting;			/* no new hand-offs (atomic) */
};

#endif
