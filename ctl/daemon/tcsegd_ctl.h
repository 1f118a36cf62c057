/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcsegd's control socket and metrics listener (ctl/daemon/tcsegd_ctl.c,
 * docs/DAEMON.md §Control socket).
 */
#ifndef TCSEG_TCSEGD_CTL_H
#define TCSEG_TCSEGD_CTL_H

#include <netinet/in.h>

#define TCSEGD_SOCK_DEFAULT	"/run/tcseg/tcsegd.sock"
#define TCSEGD_SOCK_ENV		"TCSEG_SOCK"
#define TCSEGD_REQ_MAX		256	/* control request line, bytes */

struct tcsegd;

/* Control socket and metrics listener (tcsegd_ctl.c). */
int ctl_open(const char *path);
/* Accept a control (or metrics) client and add it to d->epfd. */
void ctl_accept(struct tcsegd *d, int lfd);
/* Close control clients that sent no request, or read nothing, in 5 s. */
void ctl_reap(struct tcsegd *d);
/* Events on a control client: read, answer, send; never waits. */
void ctl_client_io(struct tcsegd *d, int fd);
int metrics_open(const struct sockaddr_in *a);

#endif
