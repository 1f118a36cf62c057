// SPDX-License-Identifier: GPL-2.0
/*
 * Shared reader for the daemon's configuration files. The files steer
 * which flows get encrypted and to which node keys go, so a file that
 * someone other than root (or the daemon's own user) could have written
 * is refused (docs/CONFIG.md "Common rules"). The checks run on the descriptor that is
 * then read, so a rename between check and read cannot swap the file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/stat.h>

#include "lib/conf_file.h"

int conf_check_fd(int fd, const char *path, unsigned int flags,
		  off_t max_size, char *err, size_t errlen)
{
	struct stat st;
	uid_t me = geteuid();

	if (fstat(fd, &st) < 0) {
		int e = errno;

		snprintf(err, errlen, "%s: cannot stat: %s", path, strerror(e));
		return -e;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		return -EINVAL;
	}
	if (max_size > 0 && st.st_size > max_size) {
		snprintf(err, errlen, "%s: too large (%lld bytes, limit %lld)",
			 path, (long long)st.st_size, (long long)max_size);
		return -EFBIG;
	}
	if (flags & CONF_NO_PERM_CHECK)
		return 0;
	if (st.st_uid != 0 && st.st_uid != me) {
		snprintf(err, errlen,
			 "%s: owned by uid %u, must be owned by root%s (chown root %s)",
			 path, (unsigned int)st.st_uid,
			 me ? " or the daemon's uid" : "", path);
		return -EPERM;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(err, errlen,
			 "%s: mode %04o is group/world writable (chmod go-w %s)",
			 path, (unsigned int)(st.st_mode & 07777), path);
		return -EPERM;
	}
	if ((flags & CONF_SECRET) && (st.st_mode & (S_IRGRP | S_IROTH))) {
		snprintf(err, errlen,
			 "%s: mode %04o is group/world readable (chmod go-rwx %s)",
			 path, (unsigned int)(st.st_mode & 07777), path);
		return -EPERM;
	}
	return 0;
}

int conf_open(struct conf_reader *r, const char *path, unsigned int flags,
	      off_t max_size, char *err, size_t errlen)
{
	int fd, ret;

	memset(r, 0, sizeof(*r));
	r->path = path;
	/* O_NONBLOCK: a FIFO in place of the file must not hang the open. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: cannot open: %s", path,
			 strerror(-ret));
		return ret;
	}
	ret = conf_check_fd(fd, path, flags, max_size, err, errlen);
	if (ret)
		goto fail;
	r->f = fdopen(fd, "r");
	if (!r->f) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		goto fail;
	}
	return 0;
fail:
	close(fd);
	return ret;
}

void conf_close(struct conf_reader *r)
{
	if (r->f)
		fclose(r->f);
	free(r->buf);
	r->f = NULL;
	r->buf = NULL;
	r->cap = 0;
}

int conf_err(char *err, size_t errlen, const struct conf_reader *r,
	     const char *field, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!err || !errlen)
		return -EINVAL;
	n = snprintf(err, errlen, "%s:%u: %s: ", r->path, r->lineno, field);
	if (n < 0 || (size_t)n >= errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Cut the comment: '#' at the start or after a blank. */
static size_t data_len(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] == '#' && (i == 0 || is_blank(s[i - 1])))
			return i;
	return len;
}

int conf_next(struct conf_reader *r, char **line, char *err, size_t errlen)
{
	ssize_t n;
	size_t len, i;
	char *s;

	for (;;) {
		errno = 0;
		n = getline(&r->buf, &r->cap, r->f);
		if (n < 0) {
			if (errno && errno != EINVAL) {
				int e = errno;

				snprintf(err, errlen, "%s: read error: %s",
					 r->path, strerror(e));
				return -e;
			}
			return 0;
		}
		r->lineno++;
		len = (size_t)n;
		if (len && r->buf[len - 1] == '\n')
			len--;
		if (len > CONF_LINE_MAX)
			return conf_err(err, errlen, r, "line",
					"too long (%zu bytes, limit %d)", len,
					CONF_LINE_MAX);
		if (len && r->buf[len - 1] == '\r')
			len--;
		len = data_len(r->buf, len);
		for (i = 0; i < len; i++) {
			unsigned char c = (unsigned char)r->buf[i];

			if ((c < 0x20 && c != '\t') || c >= 0x7f)
				return conf_err(err, errlen, r, "line",
						"non-printable or non-ASCII byte 0x%02x at column %zu",
						c, i + 1);
		}
		while (len && is_blank(r->buf[len - 1]))
			len--;
		r->buf[len] = '\0';
		s = r->buf;
		while (is_blank(*s))
			s++;
		if (*s) {
			*line = s;
			return 1;
		}
	}
}

int conf_split(char *line, char **fields, int max)
{
	int n = 0;
	char *s = line;

	for (;;) {
		while (is_blank(*s))
			s++;
		if (!*s)
			return n;
		if (n < max)
			fields[n] = s;
		n++;
		while (*s && !is_blank(*s))
			s++;
		if (*s)
			*s++ = '\0';
	}
}

int conf_parse_ipv4(const char *s, __be32 *addr)
{
	struct in_addr a;
	__u32 h;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	h = ntohl(a.s_addr);
	if (h == 0 || h == 0xffffffffu || (h >> 28) >= 0xe)
		return -EINVAL;
	*addr = a.s_addr;
	return 0;
}

static int name_char(char c, const char *extra)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_')
		return 1;
	return c && extra && strchr(extra, c);
}

int conf_check_name(const char *s, size_t max, const char *extra,
		    char *msg, size_t msglen)
{
	size_t len = strlen(s), i;

	if (!len) {
		snprintf(msg, msglen, "empty name");
		return -EINVAL;
	}
	if (len > max) {
		snprintf(msg, msglen, "name '%.32s%s' too long (%zu, limit %zu)",
			 s, len > 32 ? "..." : "", len, max);
		return -EINVAL;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c >= 0x7f) {
			snprintf(msg, msglen,
				 "non-printable byte 0x%02x in name", c);
			return -EINVAL;
		}
		if (!name_char(s[i], extra)) {
			char more[32] = "";
			size_t j, n = 0;

			for (j = 0; extra && extra[j] && n < sizeof(more) - 6; j++)
				n += (size_t)snprintf(more + n, sizeof(more) - n,
						      ", '%c'", extra[j]);
			snprintf(msg, msglen,
				 "bad character '%c' in name '%.64s' (letters, digits, '.', '-', '_'%s)",
				 s[i], s, more);
			return -EINVAL;
		}
	}
	if (!name_char(s[0], NULL) || s[0] == '.' || s[0] == '-' ||
	    s[0] == '_') {
		snprintf(msg, msglen,
			 "name '%.64s' must start with a letter or digit", s);
		return -EINVAL;
	}
	return 0;
}
