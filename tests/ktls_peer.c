// SPDX-License-Identifier: GPL-2.0
/*
 * ktls_peer: a two-sided kTLS test tool. Plain TCP connect/accept, then
 * configure_ktls() both ways with test keys (client TX = server RX and the
 * other way round); the client sends a marker, the server checks it and
 * echoes "ECHO:" + marker, the client checks that. Optionally the client
 * then sends a file with sendfile(2) over kTLS and the server hashes what
 * it receives (SHA-256) and prints it.
 *
 * Usage: ktls_peer server|client --port P [--addr A] [--cipher aes128|
 *        aes256|chacha] [--version 1.2|1.3] (--seed S | --key-hex HEX)
 *        [--seq N] [--wrong-key] --marker STRING [--sendfile FILE]
 *        [--recv-file-sha256] [--timeout SEC]
 *
 * Keys: --key-hex is client->server key||iv then server->client key||iv
 * (2 * (key_len + 12) bytes). --seed S expands SHA-256("tcseg-ktls-peer|"
 * S "|" i) for i = 0, 1, ... (i as one byte) into the same layout.
 * --seq N is the first record sequence number in both directions.
 * --wrong-key flips a bit of this side's TX key, so the peer's receive
 * must fail authentication. Keys are never printed.
 *
 * Output (stdout): "LISTENING port", "OK marker", "OK echo",
 * "SHA256 <hex> bytes=N seconds=S MBps=R" (server), "SENDFILE OK
 * bytes=N seconds=S MBps=R" (client), "EBADMSG ..." on an auth failure.
 *
 * Exit status:
 *   0 success
 *   1 usage error (bad option or value)
 *   2 set-up error (socket, bind, connect, accept, file)
 *   3 kTLS set-up failed (ktls_strerror text on stderr, e.g. "kernel TLS
 *     not available")
 *   4 EBADMSG: a received record failed authentication (wrong key)
 *   5 data mismatch (marker, echo or file hash differ)
 *   6 I/O error, timeout or peer closed early
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <openssl/evp.h>
#include <openssl/crypto.h>

#include "keys/ktls.h"

enum {
	EXIT_USAGE = 1,
	EXIT_SETUP = 2,
	EXIT_KTLS = 3,
	EXIT_BADMSG = 4,
	EXIT_MISMATCH = 5,
	EXIT_IO = 6,
};

#define KEY_MAX		32
#define IV_LEN		12
#define MATERIAL_MAX	(2 * (KEY_MAX + IV_LEN))
#define ECHO_PREFIX	"ECHO:"
#define FILE_BUF	(256 * 1024)

struct opts {
	int server;
	const char *addr;
	int port;
	__u16 cipher;
	__u16 version;
	__u32 key_len;
	const char *seed;
	const char *key_hex;
	__u64 seq;
	int wrong_key;
	const char *marker;
	const char *sendfile;
	int recv_file;
	int timeout;
};

static void usage(void)
{
	fprintf(stderr,
		"usage: ktls_peer server|client --port P [--addr A]\n"
		"       [--cipher aes128|aes256|chacha] [--version 1.2|1.3]\n"
		"       (--seed S | --key-hex HEX) [--seq N] [--wrong-key]\n"
		"       --marker STRING [--sendfile FILE] [--recv-file-sha256]\n"
		"       [--timeout SEC]\n");
	exit(EXIT_USAGE);
}

static void die_usage(const char *opt, const char *why)
{
	fprintf(stderr, "ktls_peer: %s: %s\n", opt, why);
	exit(EXIT_USAGE);
}

static long long parse_num(const char *opt, const char *s, long long max)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 0);
	if (errno || end == s || *end || v < 0 || v > max)
		die_usage(opt, "not a number in range");
	return v;
}

static void parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "addr", 1, NULL, 'a' }, { "port", 1, NULL, 'p' },
		{ "cipher", 1, NULL, 'c' }, { "version", 1, NULL, 'v' },
		{ "seed", 1, NULL, 's' }, { "key-hex", 1, NULL, 'k' },
		{ "seq", 1, NULL, 'q' }, { "wrong-key", 0, NULL, 'w' },
		{ "marker", 1, NULL, 'm' }, { "sendfile", 1, NULL, 'f' },
		{ "recv-file-sha256", 0, NULL, 'r' },
		{ "timeout", 1, NULL, 't' }, { NULL, 0, NULL, 0 },
	};
	int c;

	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "server"))
		o->server = 1;
	else if (strcmp(argv[1], "client"))
		usage();
	o->cipher = TCSEG_CIPHER_AES_GCM_128;
	o->key_len = 16;
	o->version = TCSEG_TLS_1_3;
	o->timeout = 30;
	o->port = -1;
	optind = 2;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'a': o->addr = optarg; break;
		case 'p': o->port = parse_num("--port", optarg, 65535); break;
		case 's': o->seed = optarg; break;
		case 'k': o->key_hex = optarg; break;
		case 'q': o->seq = parse_num("--seq", optarg, LLONG_MAX); break;
		case 'w': o->wrong_key = 1; break;
		case 'm': o->marker = optarg; break;
		case 'f': o->sendfile = optarg; break;
		case 'r': o->recv_file = 1; break;
		case 't': o->timeout = parse_num("--timeout", optarg, 3600); break;
		case 'c':
			if (!strcmp(optarg, "aes128")) {
				o->cipher = TCSEG_CIPHER_AES_GCM_128;
				o->key_len = 16;
			} else if (!strcmp(optarg, "aes256")) {
				o->cipher = TCSEG_CIPHER_AES_GCM_256;
				o->key_len = 32;
			} else if (!strcmp(optarg, "chacha")) {
				o->cipher = TCSEG_CIPHER_CHACHA20_POLY1305;
				o->key_len = 32;
			} else {
				die_usage("--cipher", "want aes128, aes256 or chacha");
			}
			break;
		case 'v':
			if (!strcmp(optarg, "1.2"))
				o->version = TCSEG_TLS_1_2;
			else if (!strcmp(optarg, "1.3"))
				o->version = TCSEG_TLS_1_3;
			else
				die_usage("--version", "want 1.2 or 1.3");
			break;
		default:
			usage();
		}
	}
	if (optind != argc || o->port < 0 || !o->marker || !o->marker[0])
		die_usage("arguments", "--port and a non-empty --marker are required");
	if (!o->seed == !o->key_hex)
		die_usage("arguments", "exactly one of --seed and --key-hex");
	if (o->server && o->sendfile)
		die_usage("--sendfile", "client only");
	if (!o->server && o->recv_file)
		die_usage("--recv-file-sha256", "server only");
	if (!o->addr)
		o->addr = o->server ? "0.0.0.0" : "127.0.0.1";
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Client->server key||iv, then server->client key||iv. */
static void derive_material(const struct opts *o, unsigned char *m, size_t n)
{
	unsigned char block[32];
	unsigned int blen;
	size_t off, i;

	if (o->key_hex) {
		if (strlen(o->key_hex) != 2 * n)
			die_usage("--key-hex", "wrong length for this cipher "
				  "(want 2 * (key_len + 12) bytes as hex)");
		for (i = 0; i < n; i++) {
			int hi = hexval(o->key_hex[2 * i]);
			int lo = hexval(o->key_hex[2 * i + 1]);

			if (hi < 0 || lo < 0)
				die_usage("--key-hex", "not hex");
			m[i] = hi << 4 | lo;
		}
		return;
	}
	for (off = 0, i = 0; off < n; off += sizeof(block), i++) {
		EVP_MD_CTX *ctx = EVP_MD_CTX_new();
		unsigned char idx = i;

		if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) ||
		    !EVP_DigestUpdate(ctx, "tcseg-ktls-peer|", 16) ||
		    !EVP_DigestUpdate(ctx, o->seed, strlen(o->seed)) ||
		    !EVP_DigestUpdate(ctx, "|", 1) ||
		    !EVP_DigestUpdate(ctx, &idx, 1) ||
		    !EVP_DigestFinal_ex(ctx, block, &blen)) {
			fprintf(stderr, "ktls_peer: SHA-256 failed\n");
			exit(EXIT_SETUP);
		}
		EVP_MD_CTX_free(ctx);
		memcpy(m + off, block, n - off < blen ? n - off : blen);
	}
	OPENSSL_cleanse(block, sizeof(block));
}

static void build_keys(const struct opts *o, struct tls_key_info *ki)
{
	unsigned char m[MATERIAL_MAX];
	size_t half = o->key_len + IV_LEN;
	const unsigned char *tx, *rx;

	derive_material(o, m, 2 * half);
	tx = o->server ? m + half : m;
	rx = o->server ? m : m + half;
	memset(ki, 0, sizeof(*ki));
	memcpy(ki->key, tx, o->key_len);
	memcpy(ki->iv, tx + o->key_len, IV_LEN);
	memcpy(ki->rx_key, rx, o->key_len);
	memcpy(ki->rx_iv, rx + o->key_len, IV_LEN);
	ki->key_len = o->key_len;
	ki->iv_len = IV_LEN;
	ki->tx_seq = o->seq;
	ki->rx_seq = o->seq;
	ki->version = o->version;
	ki->cipher = o->cipher;
	if (o->wrong_key)
		ki->key[0] ^= 0x5a;
	OPENSSL_cleanse(m, sizeof(m));
}

static int set_timeouts(int fd, int sec)
{
	struct timeval tv = { .tv_sec = sec };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
		return -errno;
	return 0;
}

static int make_addr(const struct opts *o, struct sockaddr_in *a)
{
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_port = htons(o->port);
	if (inet_pton(AF_INET, o->addr, &a->sin_addr) != 1) {
		fprintf(stderr, "ktls_peer: --addr %s: not an IPv4 address\n",
			o->addr);
		exit(EXIT_USAGE);
	}
	return 0;
}

static int server_accept(const struct opts *o)
{
	struct sockaddr_in a;
	struct pollfd p;
	int l, fd, one = 1;

	make_addr(o, &a);
	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1)) {
		fprintf(stderr, "ktls_peer: listen on %s:%d: %s\n", o->addr,
			o->port, strerror(errno));
		exit(EXIT_SETUP);
	}
	printf("LISTENING %d\n", o->port);
	fflush(stdout);
	p.fd = l;
	p.events = POLLIN;
	if (poll(&p, 1, o->timeout * 1000) != 1) {
		fprintf(stderr, "ktls_peer: no client within %d s\n", o->timeout);
		exit(EXIT_IO);
	}
	fd = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "ktls_peer: accept: %s\n", strerror(errno));
		exit(EXIT_SETUP);
	}
	close(l);
	return fd;
}

static int client_connect(const struct opts *o)
{
	struct sockaddr_in a;
	int fd, i;

	make_addr(o, &a);
	/* The server may still be starting: retry for up to --timeout. */
	for (i = 0; i < o->timeout * 10; i++) {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			break;
		if (!connect(fd, (struct sockaddr *)&a, sizeof(a)))
			return fd;
		close(fd);
		if (errno != ECONNREFUSED && errno != ENETUNREACH)
			break;
		usleep(100000);
	}
	fprintf(stderr, "ktls_peer: connect %s:%d: %s\n", o->addr, o->port,
		strerror(errno));
	exit(EXIT_SETUP);
}

/* Exit with the right status for a failed recv/send. */
static void io_fail(const char *what, int err)
{
	if (err == EBADMSG) {
		printf("EBADMSG %s: record failed authentication (wrong key?)\n",
		       what);
		fflush(stdout);
		exit(EXIT_BADMSG);
	}
	if (err == 0)
		fprintf(stderr, "ktls_peer: %s: peer closed the connection\n", what);
	else
		fprintf(stderr, "ktls_peer: %s: %s\n", what, strerror(err));
	exit(EXIT_IO);
}

static void recv_all(int fd, void *buf, size_t n, const char *what)
{
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		r = recv(fd, (char *)buf + got, n - got, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			io_fail(what, r < 0 ? errno : 0);
		got += r;
	}
}

static void send_all(int fd, const void *buf, size_t n, const char *what)
{
	size_t done = 0;
	ssize_t r;

	while (done < n) {
		r = send(fd, (const char *)buf + done, n - done, MSG_NOSIGNAL);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			io_fail(what, r < 0 ? errno : 0);
		done += r;
	}
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void to_hex(const unsigned char *d, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static EVP_MD_CTX *sha_new(void)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		fprintf(stderr, "ktls_peer: SHA-256 init failed\n");
		exit(EXIT_SETUP);
	}
	return ctx;
}

static void sha_hex(EVP_MD_CTX *ctx, char hex[65])
{
	unsigned char d[32];
	unsigned int n;

	if (!EVP_DigestFinal_ex(ctx, d, &n)) {
		fprintf(stderr, "ktls_peer: SHA-256 failed\n");
		exit(EXIT_SETUP);
	}
	EVP_MD_CTX_free(ctx);
	to_hex(d, 32, hex);
}

/* Server: 8-byte big-endian length, then that many bytes to hash. */
static void server_recv_file(int fd)
{
	unsigned char hdr[8], *buf;
	unsigned long long size = 0, got = 0;
	EVP_MD_CTX *ctx = sha_new();
	char hex[65];
	double t0, dt;
	ssize_t r;
	int i;

	recv_all(fd, hdr, sizeof(hdr), "recv file size");
	for (i = 0; i < 8; i++)
		size = size << 8 | hdr[i];
	buf = malloc(FILE_BUF);
	if (!buf)
		exit(EXIT_SETUP);
	t0 = now();
	while (got < size) {
		size_t want = size - got < FILE_BUF ? size - got : FILE_BUF;

		r = recv(fd, buf, want, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			io_fail("recv file", r < 0 ? errno : 0);
		EVP_DigestUpdate(ctx, buf, r);
		got += r;
	}
	dt = now() - t0;
	free(buf);
	sha_hex(ctx, hex);
	printf("SHA256 %s bytes=%llu seconds=%.3f MBps=%.1f\n", hex, got, dt,
	       dt > 0 ? got / dt / 1e6 : 0.0);
	fflush(stdout);
	send_all(fd, hex, 64, "send file hash");
}

static void file_sha(int ffd, char hex[65])
{
	EVP_MD_CTX *ctx = sha_new();
	char buf[65536];
	ssize_t r;

	while ((r = read(ffd, buf, sizeof(buf))) > 0)
		EVP_DigestUpdate(ctx, buf, r);
	if (r < 0) {
		fprintf(stderr, "ktls_peer: read file: %s\n", strerror(errno));
		exit(EXIT_SETUP);
	}
	sha_hex(ctx, hex);
}

/* Client: hash the file locally, send it with sendfile(2), compare. */
static void client_send_file(int fd, const char *path)
{
	char want[65], got[65] = "";
	unsigned char hdr[8];
	struct stat st;
	off_t off = 0;
	double t0, dt;
	ssize_t r;
	int ffd, i;

	ffd = open(path, O_RDONLY | O_CLOEXEC);
	if (ffd < 0 || fstat(ffd, &st)) {
		fprintf(stderr, "ktls_peer: %s: %s\n", path, strerror(errno));
		exit(EXIT_SETUP);
	}
	file_sha(ffd, want);
	for (i = 0; i < 8; i++)
		hdr[i] = (unsigned long long)st.st_size >> (56 - 8 * i);
	send_all(fd, hdr, sizeof(hdr), "send file size");
	t0 = now();
	while (off < st.st_size) {
		r = sendfile(fd, ffd, &off, st.st_size - off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			io_fail("sendfile", r < 0 ? errno : 0);
	}
	recv_all(fd, got, 64, "recv file hash");
	dt = now() - t0;
	close(ffd);
	if (memcmp(got, want, 64)) {
		fprintf(stderr, "ktls_peer: file hash mismatch: sent %s, peer got %s\n",
			want, got);
		exit(EXIT_MISMATCH);
	}
	printf("SENDFILE OK sha256=%s bytes=%lld seconds=%.3f MBps=%.1f\n",
	       want, (long long)st.st_size, dt,
	       dt > 0 ? st.st_size / dt / 1e6 : 0.0);
}

static void run_server(int fd, const struct opts *o)
{
	size_t n = strlen(o->marker);
	char *buf = malloc(n + sizeof(ECHO_PREFIX));

	if (!buf)
		exit(EXIT_SETUP);
	recv_all(fd, buf, n, "recv marker");
	if (memcmp(buf, o->marker, n)) {
		fprintf(stderr, "ktls_peer: marker mismatch\n");
		exit(EXIT_MISMATCH);
	}
	printf("OK marker\n");
	fflush(stdout);
	memcpy(buf, ECHO_PREFIX, strlen(ECHO_PREFIX));
	memcpy(buf + strlen(ECHO_PREFIX), o->marker, n);
	send_all(fd, buf, strlen(ECHO_PREFIX) + n, "send echo");
	free(buf);
	if (o->recv_file)
		server_recv_file(fd);
}

static void run_client(int fd, const struct opts *o)
{
	size_t n = strlen(o->marker), pl = strlen(ECHO_PREFIX);
	char *buf = malloc(n + pl);

	if (!buf)
		exit(EXIT_SETUP);
	send_all(fd, o->marker, n, "send marker");
	recv_all(fd, buf, n + pl, "recv echo");
	if (memcmp(buf, ECHO_PREFIX, pl) || memcmp(buf + pl, o->marker, n)) {
		fprintf(stderr, "ktls_peer: echo mismatch\n");
		exit(EXIT_MISMATCH);
	}
	printf("OK echo\n");
	fflush(stdout);
	free(buf);
	if (o->sendfile)
		client_send_file(fd, o->sendfile);
}

int main(int argc, char **argv)
{
	struct tls_key_info ki;
	struct opts o = { 0 };
	int fd, err;

	parse_args(argc, argv, &o);
	build_keys(&o, &ki);
	fd = o.server ? server_accept(&o) : client_connect(&o);
	if (set_timeouts(fd, o.timeout)) {
		fprintf(stderr, "ktls_peer: socket timeouts: %s\n", strerror(errno));
		exit(EXIT_SETUP);
	}
	err = configure_ktls(fd, &ki);
	explicit_bzero(&ki, sizeof(ki));
	if (err) {
		fprintf(stderr, "ktls_peer: kTLS set-up failed: %s (%s)\n",
			ktls_strerror(err), strerror(-err));
		return EXIT_KTLS;
	}
	if (ktls_state(fd) != 3) {
		fprintf(stderr, "ktls_peer: kTLS state %d after set-up, want 3\n",
			ktls_state(fd));
		return EXIT_KTLS;
	}
	if (o.server)
		run_server(fd, &o);
	else
		run_client(fd, &o);
	close(fd);
	return 0;
}
