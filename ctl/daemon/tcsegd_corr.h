/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcsegd's join of the data path's flow events (ring buffer
 * "tcseg_events") with the socket capture's records ("tcseg_sock_events")
 * by 4-tuple: a bounded open-addressing table with expiry, no threads, no
 * I/O (unit-tested in tests/unit/test_tcsegd_corr.c). Records are
 * validated here first: anything malformed is refused and counted.
 */
#ifndef TCSEG_TCSEGD_CORR_H
#define TCSEG_TCSEGD_CORR_H

#include <stdbool.h>
#include <stddef.h>
#include "tcseg.h"
#include "tcseg_keys.h"

/* A flow as its initiator opened it: s = client, d = server. */
struct corr_key {
	union tcseg_addr saddr;
	union tcseg_addr daddr;
	__be16 sport;
	__be16 dport;
	__u8 family;
	__u8 pad[3];		/* zero: keys are hashed and compared whole */
};

#define CORR_TC_FROM	0x01	/* FLOW_ENCRYPT at the client pod's veth */
#define CORR_TC_TO	0x02	/* FLOW_ENCRYPT at the server pod's veth */
#define CORR_CONNECT	0x04	/* capture: connect record */
#define CORR_ACCEPT	0x08	/* capture: accept record */
#define CORR_CLIENT_GO	0x10	/* client hand-off started */
#define CORR_SERVER_GO	0x20	/* server hand-off started */

struct corr_entry {
	struct corr_key key;
	__u32 flags;
	__u64 created_ns;
	__u32 ifindex_from;	/* veth where CORR_TC_FROM was seen */
	__u32 ifindex_to;
	long client_job, server_job;
	struct tcseg_sock_event connect, accept;
	bool used;
};

struct corr_table;

/* @cap entries (rounded up to a power of two), entries live @ttl_ns. */
struct corr_table *corr_new(unsigned int cap, __u64 ttl_ns);
void corr_free(struct corr_table *t);
unsigned int corr_count(const struct corr_table *t);

/* Validation of raw ring-buffer records: 0 or -EBADMSG with *why. */
int corr_check_tc(const void *data, size_t size, const char **why);
int corr_check_sock(const void *data, size_t size, const char **why);

/*
 * The key service's tuple (ports host order, IPv6 in saddr6/daddr6) of
 * a key and back; the family is kept (docs/KEYS.md).
 */
void corr_key_to_tuple(const struct corr_key *k, struct flow_tuple *t);
void corr_key_from_tuple(const struct flow_tuple *t, struct corr_key *k);

/* Key of a record, turned to client -> server. */
void corr_key_tc(const struct tcseg_event *e, struct corr_key *k);
void corr_key_sock(const struct tcseg_sock_event *e, struct corr_key *k);

/*
 * Merge a (validated) record into its flow's entry, creating it if
 * needed. NULL when the table is full of live entries (the caller counts
 * a drop). A connect record of a new connection on a tuple whose entry
 * already started a hand-off replaces that entry (port reuse).
 */
struct corr_entry *corr_add_tc(struct corr_table *t,
			       const struct tcseg_event *e, __u64 now);
struct corr_entry *corr_add_sock(struct corr_table *t,
				 const struct tcseg_sock_event *e, __u64 now);
struct corr_entry *corr_find(struct corr_table *t, const struct corr_key *k);

/* Should the client / server end be handed off now? */
bool corr_client_ready(const struct corr_entry *e);
bool corr_server_ready(const struct corr_entry *e);

/* Drop entries older than the ttl; returns how many. */
unsigned int corr_expire(struct corr_table *t, __u64 now);
void corr_del(struct corr_table *t, struct corr_entry *e);

#endif
