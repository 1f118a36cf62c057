// SPDX-License-Identifier: GPL-2.0
/*
 * tcsegd: find an application's socket and take a copy of it with
 * pidfd_getfd(2): by process (connect records name it) or, for accepted
 * sockets whose owner the capture cannot know, by tuple in every
 * network namespace (sock_diag, or /proc/PID/net/tcp without the
 * capability to enter namespaces: the socket's inode), then by inode in
 * /proc/PID/fd: no kernel interface maps a socket to the processes
 * holding it (docs/DAEMON.md §Kernel interfaces).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "daemon/tcsegd_sock.h"
#include "daemon/tcsegd_log.h"
#include "daemon/sock_diag.h"

#ifndef SO_COOKIE
#define SO_COOKIE 57
#endif

static int pidfd_open_(pid_t pid)
{
	return syscall(SYS_pidfd_open, pid, 0);
}

static int pidfd_getfd_(int pidfd, int fd)
{
	return syscall(SYS_pidfd_getfd, pidfd, fd, 0);
}

void flow_str(const struct corr_key *k, char *buf, size_t len)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	int v6 = k->family == TCSEG_FAMILY_V6;

	inet_ntop(v6 ? AF_INET6 : AF_INET, k->saddr.b, s, sizeof(s));
	inet_ntop(v6 ? AF_INET6 : AF_INET, k->daddr.b, d, sizeof(d));
	snprintf(buf, len, v6 ? "[%s]:%u->[%s]:%u" : "%s:%u->%s:%u", s,
		 ntohs(k->sport), d, ntohs(k->dport));
}

/*
 * A socket address as the capture reports it: AF_INET, AF_INET6, and
 * AF_INET6 with a v4-mapped address (a dual-stack socket's IPv4 flow)
 * as family 4. 0 or -1 (another family).
 */
static int sa_addr(const struct sockaddr_storage *ss, union tcseg_addr *a,
		   __be16 *port, __u8 *family)
{
	const struct sockaddr_in6 *s6 = (const void *)ss;
	const struct sockaddr_in *s4 = (const void *)ss;

	memset(a, 0, sizeof(*a));
	if (ss->ss_family == AF_INET) {
		a->v4 = s4->sin_addr.s_addr;
		*port = s4->sin_port;
		*family = TCSEG_FAMILY_V4;
		return 0;
	}
	if (ss->ss_family != AF_INET6)
		return -1;
	*port = s6->sin6_port;
	if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		memcpy(&a->v4, &s6->sin6_addr.s6_addr[12], 4);
		*family = TCSEG_FAMILY_V4;
	} else {
		memcpy(a->b, s6->sin6_addr.s6_addr, 16);
		*family = TCSEG_FAMILY_V6;
	}
	return 0;
}

/* Is @fd the socket @sm describes? */
static bool sock_matches(int fd, const struct sock_match *sm)
{
	struct sockaddr_storage l, r;
	socklen_t ll = sizeof(l), rl = sizeof(r);
	union tcseg_addr la, ra;
	__be16 lp, rp;
	__u8 lf, rf;
	__u64 cookie = 0;
	socklen_t cl = sizeof(cookie);
	int type = 0;
	socklen_t tl = sizeof(type);

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) ||
	    type != SOCK_STREAM)
		return false;
	if (sm->cookie) {
		if (getsockopt(fd, SOL_SOCKET, SO_COOKIE, &cookie, &cl))
			return false;
		return cookie == sm->cookie;
	}
	if (getsockname(fd, (struct sockaddr *)&l, &ll) ||
	    getpeername(fd, (struct sockaddr *)&r, &rl) ||
	    sa_addr(&l, &la, &lp, &lf) || sa_addr(&r, &ra, &rp, &rf))
		return false;
	return lf == sm->family && rf == sm->family &&
	       tcseg_addr_eq(&la, &sm->laddr) &&
	       (!sm->lport || lp == sm->lport) &&
	       tcseg_addr_eq(&ra, &sm->raddr) && rp == sm->rport;
}

/* Inode of the socket behind /proc/PID/fd/NAME, 0 if not a socket. */
static unsigned long fd_sock_ino(int dirfd, const char *name)
{
	char link[64];
	unsigned long ino;
	ssize_t n;

	n = readlinkat(dirfd, name, link, sizeof(link) - 1);
	if (n <= 0)
		return 0;
	link[n] = 0;
	if (sscanf(link, "socket:[%lu]", &ino) != 1)
		return 0;
	return ino;
}

/*
 * Walk /proc/@tgid/fd; for each socket (with inode @want_ino if not 0)
 * take a copy and keep it if it matches. Returns the fd or -errno.
 */
static int walk_pid(__u32 tgid, unsigned long want_ino,
		    const struct sock_match *sm)
{
	char path[64];
	struct dirent *de;
	int pidfd, dfd, ret = -ENOENT, sfd;
	unsigned long ino;
	DIR *d;

	pidfd = pidfd_open_(tgid);
	if (pidfd < 0)
		return -errno;
	snprintf(path, sizeof(path), "/proc/%u/fd", tgid);
	d = opendir(path);
	if (!d) {
		ret = -errno;
		goto out;
	}
	dfd = dirfd(d);
	while ((de = readdir(d))) {
		char *end;
		long n = strtol(de->d_name, &end, 10);

		if (*end || n < 0 || n > INT_MAX)
			continue;
		ino = fd_sock_ino(dfd, de->d_name);
		if (!ino || (want_ino && ino != want_ino))
			continue;
		sfd = pidfd_getfd_(pidfd, (int)n);
		if (sfd < 0) {
			ret = -errno;
			continue;
		}
		if (sock_matches(sfd, sm)) {
			ret = sfd;
			break;
		}
		close(sfd);
		ret = -ENOENT;
	}
	closedir(d);
out:
	close(pidfd);
	return ret;
}

int sock_take_fd(__u32 tgid, int fd, const struct sock_match *sm, char *why,
		 size_t whylen)
{
	int pidfd = pidfd_open_(tgid), sfd, r;

	if (pidfd < 0) {
		r = -errno;
		snprintf(why, whylen, "process %u gone", tgid);
		return r;
	}
	sfd = pidfd_getfd_(pidfd, fd);
	r = -errno;
	close(pidfd);
	if (sfd < 0) {
		snprintf(why, whylen, "fd %d of process %u: %s", fd, tgid,
			 strerror(-r));
		return r;
	}
	if (!sock_matches(sfd, sm)) {
		close(sfd);
		snprintf(why, whylen, "fd %d of process %u is not the "
			 "accepted socket", fd, tgid);
		return -ENOENT;
	}
	return sfd;
}

int sock_find_in_pid(__u32 tgid, const struct sock_match *sm, char *why,
		     size_t whylen)
{
	int ret = walk_pid(tgid, 0, sm);

	if (ret < 0)
		snprintf(why, whylen, "%s in process %u",
			 ret == -ENOENT ? "no such socket" :
			 ret == -ESRCH ? "process gone" : strerror(-ret), tgid);
	return ret;
}

/* Network namespaces already read in one scan. */
struct ns_seen {
	unsigned long ino[512];
	unsigned int n;
};

static bool ns_check(struct ns_seen *s, unsigned long ino)
{
	unsigned int i;

	for (i = 0; i < s->n; i++)
		if (s->ino[i] == ino)
			return true;
	if (s->n < sizeof(s->ino) / sizeof(s->ino[0]))
		s->ino[s->n++] = ino;
	return false;
}

static unsigned long pid_netns(const char *pid)
{
	char p[300];
	struct stat st;

	snprintf(p, sizeof(p), "/proc/%s/ns/net", pid);
	return stat(p, &st) ? 0 : (unsigned long)st.st_ino;
}

/* The network namespace of @pid, open (and its inode): fd or -errno. */
static int pid_netns_fd(const char *pid, unsigned long *ino)
{
	char p[300];
	struct stat st;
	int fd;

	snprintf(p, sizeof(p), "/proc/%s/ns/net", pid);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		close(fd);
		return -EIO;
	}
	*ino = (unsigned long)st.st_ino;
	return fd;
}

/*
 * @a as a /proc/net/tcp6 line prints it: four words, each the raw
 * network-order word printed as a host-order number; an IPv4 address in
 * tcp6 (a dual-stack socket) is v4-mapped.
 */
static void proc_words(const union tcseg_addr *a, __u8 family, bool v6file,
		       __u32 *w)
{
	memcpy(w, a->w, 16);
	if (family == TCSEG_FAMILY_V4 && v6file) {
		w[0] = w[1] = 0;
		w[2] = htonl(0xffff);
		w[3] = a->v4;
	}
}

/* One line of /proc/PID/net/tcp or tcp6; 0 when it parsed. */
static int tcp_line(const char *line, bool v6file, __u32 *l, unsigned int *lp,
		    __u32 *r, unsigned int *rp, unsigned int *st,
		    unsigned long *inode)
{
	memset(l, 0, 16);
	memset(r, 0, 16);
	if (!v6file)
		return sscanf(line, " %*u: %8X:%4X %8X:%4X %2X %*s %*s %*s "
			      "%*u %*u %lu", &l[0], lp, &r[0], rp, st,
			      inode) == 6 ? 0 : -1;
	return sscanf(line, " %*u: %8X%8X%8X%8X:%4X %8X%8X%8X%8X:%4X %2X "
		      "%*s %*s %*s %*u %*u %lu", &l[0], &l[1], &l[2], &l[3],
		      lp, &r[0], &r[1], &r[2], &r[3], rp, st, inode) == 12 ?
	       0 : -1;
}

/*
 * Look for the tuple in /proc/PID/net/@file (the namespace of PID).
 * 1 found with an inode (*ino), 0 not there, 2 there but not accepted yet.
 */
static int tcp_file_find(const char *pid, const char *file,
			 const struct sock_match *sm, unsigned long *ino)
{
	bool v6file = !strcmp(file, "tcp6");
	__u32 wl[4], wr[4], l[4], r[4];
	char p[300], line[512];
	int found = 0;
	FILE *f;

	proc_words(&sm->laddr, sm->family, v6file, wl);
	proc_words(&sm->raddr, sm->family, v6file, wr);
	snprintf(p, sizeof(p), "/proc/%s/net/%s", pid, file);
	f = fopen(p, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned int lp, rp, st;
		unsigned long inode;

		if (tcp_line(line, v6file, l, &lp, r, &rp, &st, &inode))
			continue;
		/* ESTABLISHED, or CLOSE_WAIT: the peer closed meanwhile */
		if (memcmp(l, wl, 16) || lp != ntohs(sm->lport) ||
		    memcmp(r, wr, 16) || rp != ntohs(sm->rport) ||
		    (st != 1 && st != 8))
			continue;
		if (!inode) {
			found = 2;
			continue;
		}
		*ino = inode;
		found = 1;
		break;
	}
	fclose(f);
	return found;
}

/*
 * The tuple in the namespace of PID: an IPv4 flow is in tcp, or in tcp6
 * (v4-mapped) when a dual-stack socket has it; an IPv6 flow in tcp6.
 */
static int proc_table_find(const char *pid, const struct sock_match *sm,
			   unsigned long *ino)
{
	int r = 0;

	if (sm->family == TCSEG_FAMILY_V4)
		r = tcp_file_find(pid, "tcp", sm, ino);
	return r == 1 ? r : tcp_file_find(pid, "tcp6", sm, ino) ?: r;
}

/*
 * The tuple in the network namespace of @pid (open as @nsfd), asked of
 * the kernel (ctl/daemon/sock_diag.h): 1 found with an inode (*ino), 0
 * not there, 2 there but not accepted yet; -errno when it could not be
 * asked. sock_diag answers only inside the namespace, and entering one
 * takes CAP_SYS_ADMIN, which config/tcsegd.service does not give: then
 * the namespace's /proc/PID/net/tcp(6), which CAP_SYS_PTRACE may read
 * (docs/DAEMON.md §Kernel interfaces).
 */
static int tcp_table_find(const char *pid, int nsfd,
			  const struct sock_match *sm, unsigned long *ino)
{
	static int no_setns;
	struct sock_diag_q q = { .laddr = sm->laddr, .raddr = sm->raddr,
				 .lport = sm->lport, .rport = sm->rport,
				 .family = sm->family, .cookie = sm->cookie };
	int r;

	if (!__atomic_load_n(&no_setns, __ATOMIC_RELAXED)) {
		r = sock_diag_find(nsfd, &q, ino);
		if (r != -EPERM)
			return r;
		__atomic_store_n(&no_setns, 1, __ATOMIC_RELAXED);
		dlog(L_INFO, "handoff", "search by tuple: cannot enter network "
		     "namespaces (no CAP_SYS_ADMIN), reading /proc/PID/net/tcp "
		     "instead");
	}
	return proc_table_find(pid, sm, ino);
}

/* Processes in netns @ns: the one holding socket inode @ino. */
static int find_holder(unsigned long ns, unsigned long ino,
		       const struct sock_match *sm, __u32 *tgid)
{
	struct dirent *de;
	DIR *d = opendir("/proc");
	int fd = -ENOENT;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (*end || pid <= 0 || pid_netns(de->d_name) != ns)
			continue;
		fd = walk_pid((__u32)pid, ino, sm);
		if (fd >= 0) {
			*tgid = (__u32)pid;
			break;
		}
	}
	closedir(d);
	return fd;
}

int sock_find_owner(const struct sock_match *sm, __u32 *tgid, char *why,
		    size_t whylen)
{
	static __thread struct ns_seen seen;
	struct dirent *de;
	unsigned long ino = 0, ns = 0;
	int r, pending = 0, err = 0;
	DIR *d = opendir("/proc");

	if (!d) {
		snprintf(why, whylen, "/proc: %s", strerror(errno));
		return -errno;
	}
	seen.n = 0;
	while ((de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		unsigned long n;
		int nsfd;

		if (*end || pid <= 0)
			continue;
		nsfd = pid_netns_fd(de->d_name, &n);
		if (nsfd < 0)
			continue;
		if (ns_check(&seen, n)) {
			close(nsfd);
			continue;
		}
		r = tcp_table_find(de->d_name, nsfd, sm, &ino);
		close(nsfd);
		if (r == 1) {
			ns = n;
			break;
		}
		if (r == 2)
			pending = 1;
		if (r < 0)
			err = r;
	}
	closedir(d);
	if (!ns) {
		if (err && !pending)
			snprintf(why, whylen, "sock_diag: %s", strerror(-err));
		else
			snprintf(why, whylen, pending ? "not accepted yet" :
				 "no established socket with this tuple");
		return pending ? -EAGAIN : -ENOENT;
	}
	r = find_holder(ns, ino, sm, tgid);
	if (r < 0)
		snprintf(why, whylen, "socket inode %lu has no owner yet", ino);
	return r < 0 ? -EAGAIN : r;
}
