/* SPDX-License-Identifier: GPL-2.0 */
/* Run tcctl for the plugin: argv only (no shell), its output captured. */
#ifndef TCSEG_CNI_EXEC_H
#define TCSEG_CNI_EXEC_H

#include <stddef.h>

#define CNI_TCCTL_OUT_MAX	(4 << 20)	/* bytes of tcctl stdout kept */

struct cni_tcctl {
	char path[4096];	/* the tcctl binary */
	const char *pin_dir;	/* NULL: tcctl's default */
	const char *socket;	/* tcsegd's control socket, NULL: default */
};

/* Resolve the tcctl binary: @conf_path if set, else beside the plugin
 * (/proc/self/exe), else /usr/sbin/tcctl. */
void cni_tcctl_find(struct cni_tcctl *t, const char *conf_path);

/*
 * Run "tcctl [--pin-dir D] [--socket S] WORDS..." (@words ends
 * with NULL; tcctl waits for its writer lock as it does). Exit status of tcctl (0 ok), or -errno if it could not
 * run. Its stdout in *@out (malloc'd, NUL-terminated; may be NULL), the
 * last line of its stderr in @msg.
 */
int cni_tcctl_run(const struct cni_tcctl *t, const char *const *words,
		  char **out, char *msg, size_t msglen);

#endif
