// SPDX-License-Identifier: GPL-2.0
/* tcctl runner for tcseg-cni (see cni_exec.h). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cni/cni_exec.h"

void cni_tcctl_find(struct cni_tcctl *t, const char *conf_path)
{
	char self[4096];
	ssize_t n;

	if (conf_path && conf_path[0]) {
		snprintf(t->path, sizeof(t->path), "%s", conf_path);
		return;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = 0;
		snprintf(t->path, sizeof(t->path), "%s/tcctl", dirname(self));
		if (!access(t->path, X_OK))
			return;
	}
	snprintf(t->path, sizeof(t->path), "/usr/sbin/tcctl");
}

/* Read all of @fd (a pipe or a rewound memfd) up to the cap. */
static char *slurp(int fd)
{
	size_t len = 0, cap = 4096;
	char *b = malloc(cap), *p;
	ssize_t n;

	if (!b)
		return NULL;
	while ((n = read(fd, b + len, cap - len - 1)) > 0 ||
	       (n < 0 && errno == EINTR)) {
		if (n < 0)
			continue;
		len += n;
		if (len + 1 == cap && cap < CNI_TCCTL_OUT_MAX) {
			p = realloc(b, cap * 2);
			if (!p)
				break;
			b = p;
			cap *= 2;
		} else if (len + 1 == cap) {
			break;
		}
	}
	b[len] = 0;
	return b;
}

/* The last non-empty line of @s into @msg, control bytes replaced. */
static void last_line(const char *s, char *msg, size_t len)
{
	const char *end = s + strlen(s), *start;
	size_t i, n;

	while (end > s && (end[-1] == '\n' || end[-1] == '\r'))
		end--;
	start = end;
	while (start > s && start[-1] != '\n')
		start--;
	n = end - start < (long)len - 1 ? (size_t)(end - start) : len - 1;
	for (i = 0; i < n; i++)
		msg[i] = start[i] < ' ' || start[i] > '~' ? '?' : start[i];
	msg[n] = 0;
}

static void child(const struct cni_tcctl *t, const char *const *argv,
		  int out_fd, int err_fd)
{
	int null = open("/dev/null", O_RDONLY);

	if (null < 0 || dup2(null, 0) < 0 || dup2(out_fd, 1) < 0 ||
	    dup2(err_fd, 2) < 0)
		_exit(126);
	execv(t->path, (char *const *)argv);
	dprintf(2, "cannot run %s: %s\n", t->path, strerror(errno));
	_exit(127);
}

int cni_tcctl_run(const struct cni_tcctl *t, const char *const *words,
		  char **out, char *msg, size_t msglen)
{
	const char *argv[32];
	int pfd[2], efd, st, ret;
	size_t n = 0;
	char *errs;
	pid_t pid;

	argv[n++] = t->path;
	if (t->pin_dir) {
		argv[n++] = "--pin-dir";
		argv[n++] = t->pin_dir;
	}
	if (t->socket) {
		argv[n++] = "--socket";
		argv[n++] = t->socket;
	}
	while (*words && n < sizeof(argv) / sizeof(argv[0]) - 1)
		argv[n++] = *words++;
	argv[n] = NULL;
	if (out)
		*out = NULL;
	msg[0] = 0;
	efd = memfd_create("tcctl-stderr", MFD_CLOEXEC);
	if (efd < 0)
		return -errno;
	if (pipe2(pfd, O_CLOEXEC)) {
		ret = -errno;
		close(efd);
		return ret;
	}
	pid = fork();
	if (pid == 0)
		child(t, argv, pfd[1], efd);
	close(pfd[1]);
	if (pid < 0) {
		ret = -errno;
		close(pfd[0]);
		close(efd);
		return ret;
	}
	errs = slurp(pfd[0]);	/* stdout first: a pipe must be drained */
	if (out)
		*out = errs;
	else
		free(errs);
	close(pfd[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	lseek(efd, 0, SEEK_SET);
	errs = slurp(efd);
	close(efd);
	if (errs)
		last_line(errs, msg, msglen);
	free(errs);
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	snprintf(msg, msglen, "tcctl killed by signal %d", WTERMSIG(st));
	return 128 + WTERMSIG(st);
}
