/* SPDX-License-Identifier: GPL-2.0 */
/* Pieces shared by tcctl's command files (tcctl*.c). */
#ifndef TCSEG_TCCTL_H
#define TCSEG_TCCTL_H

#include <stdbool.h>
#include <stdio.h>
#include "lib/json.h"
#include "dataplane/loader.h"
#include "policy/parse.h"

struct tcctl {
	const char *pin_dir;
	bool json;
	bool pretty;
	const char *sock_path;	/* tcsegd control socket (--socket) */
	unsigned int lock_timeout_ms;	/* --lock-timeout */
};

struct cmd {
	const char *name;
	int (*fn)(struct tcctl *t, int argc, char **argv);
	const char *help;	/* one line, shown by `help` */
};

extern struct tcctl *tcctl_global;

/* Print "tcctl: MSG" to stderr; returns -1 so handlers can `return err(...)`. */
int tcctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Run the entry of @cmds that @argv[0] names (exact word or unique prefix). */
int tcctl_dispatch(struct tcctl *t, const char *what, const struct cmd *cmds,
		   int argc, char **argv);
void tcctl_help(const char *what, const struct cmd *cmds);

/* Is @word a prefix (>= 1 char) of @full? */
bool tcctl_is(const char *word, const char *full);

/* Open the pinned maps or print why not. */
int tcctl_open_maps(struct tcctl *t, struct tcseg_maps *m);

/*
 * Take the pin directory's writer lock (ctl/dataplane/pin_lock.h) for the rest of
 * the command: every command that writes the pinned maps calls it before
 * it reads what it will change. @create: make the directory if missing.
 */
int tcctl_write_lock(struct tcctl *t, int create);

/* Lock, then load with default sizes if nothing is loaded yet. */
int tcctl_ensure_loaded(struct tcctl *t);

/* Device name -> ifindex for rule parsing (dev_resolver_fn). */
int tcctl_resolve_dev(const char *name, void *arg);
/* ifindex -> name (from tcseg_devs, else the kernel, else "if<N>"). */
void tcctl_dev_name(const struct tcseg_maps *m, __u32 ifindex, char *buf,
		    size_t len);

struct json *tcctl_json(struct tcctl *t);

int do_load(struct tcctl *t, int argc, char **argv);
int do_unload(struct tcctl *t, int argc, char **argv);
int do_attach(struct tcctl *t, int argc, char **argv);
int do_detach(struct tcctl *t, int argc, char **argv);
int do_list(struct tcctl *t, int argc, char **argv);
int do_default(struct tcctl *t, int argc, char **argv);
int do_config(struct tcctl *t, int argc, char **argv);
int do_policy(struct tcctl *t, int argc, char **argv);
int do_stats(struct tcctl *t, int argc, char **argv);
int do_sessions(struct tcctl *t, int argc, char **argv);
/* tcsegd over its control socket (tcctl_daemon.c) */
int do_status(struct tcctl *t, int argc, char **argv);
int do_pods(struct tcctl *t, int argc, char **argv);
int do_provider(struct tcctl *t, int argc, char **argv);
int do_monitor(struct tcctl *t, int argc, char **argv);
/* Send @req to tcsegd if it runs (1 s at most); 0 answered, -1 not. */
int tcctl_daemon_notify(struct tcctl *t, const char *req);

#endif
