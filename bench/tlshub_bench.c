// SPDX-License-Identifier: GPL-2.0
/*
 * tlshub_bench: the Layer 7 benchmark of seed 002. Server mode is an epoll
 * echo server; client mode drives N concurrent connections doing
 * request/response exchanges and reports connection set-up latency,
 * request latency, throughput, CPU time and peak memory (JSON, CSV and a
 * summary on stdout). --tls none (plain TCP, which tcseg may encrypt
 * transparently), openssl (TLS 1.3 in the application) or ktls (OpenSSL
 * handshake, then the traffic keys go to the kernel with configure_ktls()
 * and the data moves with plain send/recv/sendfile). See docs/BENCHMARKS.md ("Layer 7").
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/ssl.h>

#include "keys/ktls.h"

#define PROG		"tlshub_bench"
#define IO_CHUNK	(64 * 1024)	/* read/write unit; > one TLS record */
#define MAX_EVENTS	256
#define IO_BUDGET	32		/* I/O rounds per connection per wake-up */
#define MAX_DATA_SIZE	(1ULL << 30)
#define MAX_CONC	65536
#define MAX_ERR_PRINT	5
#define MAX_FAILURES	10

enum bench_mode { BM_UNSET, BM_SERVER, BM_CLIENT };
enum tls_kind { TK_NONE, TK_OPENSSL, TK_KTLS };

/* io_read/io_write results besides a byte count, 0 (EOF) and -errno */
#define IO_WANT_READ	(-10000)
#define IO_WANT_WRITE	(-10001)
#define IO_TLS_ERR	(-10002)

static const char *const tls_names[] = { "none", "openssl", "ktls" };

struct opts {
	enum bench_mode mode;
	enum tls_kind tls;
	struct in_addr listen_addr;
	struct in_addr target_addr;
	unsigned int listen_port;
	unsigned int target_port;
	uint64_t data_size;
	uint64_t total_conns;	/* 0: no limit (duration only) */
	uint64_t requests;	/* per connection; 0: until the run ends */
	unsigned int concurrency;
	double duration;	/* seconds; 0: none */
	const char *cert, *key, *ca, *output, *sendfile, *cipher;
	bool verify, samples;
	unsigned int given;	/* OPT_* bits of options seen */
};

/* ---------------------------------------------------------------- time */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static double tv_s(struct timeval tv)
{
	return tv.tv_sec + tv.tv_usec / 1e6;
}

/* ------------------------------------------------------------- samples */

/* Latencies in ns, saturating at ~4.29 s; the exact maximum is kept. */
struct samples {
	uint32_t *v;
	size_t n, cap;
	uint64_t max;
	double sum;
};

static int samples_add(struct samples *s, uint64_t ns)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 4096;
		uint32_t *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = ns > UINT32_MAX ? UINT32_MAX : (uint32_t)ns;
	s->sum += ns;
	if (ns > s->max)
		s->max = ns;
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

struct stats {
	size_t n;
	double min, mean, p50, p90, p99, max;	/* microseconds */
};

/* nearest-rank percentile of the sorted samples */
static double pct(const struct samples *s, double p)
{
	size_t rank = (size_t)ceil(p / 100.0 * s->n);

	if (rank < 1)
		rank = 1;
	return s->v[rank - 1] / 1e3;
}

static struct stats samples_stats(struct samples *s)
{
	struct stats st = { 0 };

	if (!s->n)
		return st;
	qsort(s->v, s->n, sizeof(*s->v), cmp_u32);
	st.n = s->n;
	st.min = s->v[0] / 1e3;
	st.mean = s->sum / s->n / 1e3;
	st.p50 = pct(s, 50);
	st.p90 = pct(s, 90);
	st.p99 = pct(s, 99);
	st.max = s->max / 1e3;
	return st;
}

/* ------------------------------------------------------ option parsing */

enum {
	OPT_MODE = 1 << 0, OPT_LPORT = 1 << 1, OPT_TIP = 1 << 2,
	OPT_TPORT = 1 << 3, OPT_SIZE = 1 << 4, OPT_TOTAL = 1 << 5,
	OPT_CONC = 1 << 6, OPT_DUR = 1 << 7, OPT_TLS = 1 << 8,
	OPT_OUT = 1 << 9, OPT_CERT = 1 << 10, OPT_KEY = 1 << 11,
	OPT_CA = 1 << 12, OPT_REQS = 1 << 13, OPT_SENDFILE = 1 << 14,
	OPT_LIP = 1 << 15, OPT_VERIFY = 1 << 16, OPT_SAMPLES = 1 << 17,
	OPT_CIPHER = 1 << 18,
};

static const struct option long_opts[] = {
	{ "mode", required_argument, NULL, 'm' },
	{ "listen-port", required_argument, NULL, 'l' },
	{ "listen-ip", required_argument, NULL, 'L' },
	{ "target-ip", required_argument, NULL, 'i' },
	{ "target-port", required_argument, NULL, 'p' },
	{ "data-size", required_argument, NULL, 's' },
	{ "total-connections", required_argument, NULL, 'n' },
	{ "requests", required_argument, NULL, 'r' },
	{ "concurrency", required_argument, NULL, 'c' },
	{ "duration", required_argument, NULL, 'd' },
	{ "tls", required_argument, NULL, 't' },
	{ "cipher", required_argument, NULL, 'C' },
	{ "cert", required_argument, NULL, 'E' },
	{ "key", required_argument, NULL, 'K' },
	{ "ca", required_argument, NULL, 'A' },
	{ "sendfile", required_argument, NULL, 'F' },
	{ "output", required_argument, NULL, 'o' },
	{ "verify", no_argument, NULL, 'V' },
	{ "samples", no_argument, NULL, 'S' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: " PROG " --mode server [--listen-port P] [--listen-ip A]\n"
"                    [--tls none|openssl|ktls] [--cert F --key F [--ca F]]\n"
"                    [--cipher C] [--duration S] [--output PREFIX]\n"
"       " PROG " --mode client --target-port P [--target-ip A]\n"
"                    [--data-size N[K|M|G]] [--total-connections N]\n"
"                    [--duration S] [--concurrency N] [--requests N]\n"
"                    [--tls none|openssl|ktls] [--ca F] [--cert F --key F]\n"
"                    [--cipher C] [--sendfile FILE] [--verify]\n"
"                    [--output PREFIX [--samples]]\n"
"  server: echo server (epoll), runs until SIGINT/SIGTERM or --duration;\n"
"          --listen-port 0 picks a free port (printed). --ca: require a\n"
"          client certificate signed by it (mTLS).\n"
"  client: --concurrency connections at a time (default 8), each doing\n"
"          --requests exchanges (default 1; 0 = until the run ends) of\n"
"          --data-size bytes (default 4096) echoed back; the run ends after\n"
"          --total-connections (default 100 without --duration) or after\n"
"          --duration seconds, whichever comes first.\n"
"  --tls: none = plain TCP; openssl = TLS 1.3 in user space; ktls = TLS 1.3\n"
"          handshake in OpenSSL, records in the kernel (needs kernel TLS).\n"
"  --cipher aes128gcm (default) | aes256gcm | chacha20\n"
"  --sendfile FILE: the client sends each request from FILE with\n"
"          sendfile(2) (none/ktls) or read+SSL_write (openssl).\n"
"  --output PREFIX: writes PREFIX.json and PREFIX.csv (--samples: also\n"
"          PREFIX.samples.csv with every latency).\n");
}

static int opt_err(const char *opt, const char *fmt, const char *val)
{
	fprintf(stderr, PROG ": --%s: ", opt);
	fprintf(stderr, fmt, val);
	fputc('\n', stderr);
	return -EINVAL;
}

/* Decimal integer in [min, max], with an optional K/M/G (x1024) suffix. */
static int parse_u64(const char *opt, const char *s, uint64_t min,
		     uint64_t max, bool suffix, uint64_t *out)
{
	uint64_t v = 0, mul = 1;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return opt_err(opt, "'%s' is not a non-negative decimal number", s);
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - (*p - '0')) / 10)
			return opt_err(opt, "'%s' is too large", s);
		v = v * 10 + (*p - '0');
	}
	if (suffix && *p && !p[1]) {
		switch (*p) {
		case 'k': case 'K': mul = 1ULL << 10; p++; break;
		case 'm': case 'M': mul = 1ULL << 20; p++; break;
		case 'g': case 'G': mul = 1ULL << 30; p++; break;
		}
	}
	if (*p)
		return opt_err(opt, suffix ? "'%s': trailing garbage (want N, NK, NM or NG)"
				   : "'%s': trailing garbage (want a decimal number)", s);
	if (v > max / mul || v * mul < min || v * mul > max) {
		fprintf(stderr, PROG ": --%s: %s out of range [%" PRIu64 ", %" PRIu64 "]\n",
			opt, s, min, max);
		return -ERANGE;
	}
	*out = v * mul;
	return 0;
}

/* Seconds: digits with an optional fraction (no exponent), in (0, 86400]. */
static int parse_seconds(const char *opt, const char *s, double *out)
{
	size_t digits = strspn(s, "0123456789");
	char *end;
	double v;

	if (!digits || (s[digits] && (s[digits] != '.' ||
				      s[digits + 1 + strspn(s + digits + 1, "0123456789")])))
		return opt_err(opt, "'%s' is not a number of seconds (like 5 or 0.5)", s);
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !isfinite(v))
		return opt_err(opt, "'%s' is not a number of seconds", s);
	if (v <= 0 || v > 86400)
		return opt_err(opt, "%s: want more than 0 and at most 86400 seconds", s);
	*out = v;
	return 0;
}

static int parse_ipv4(const char *opt, const char *s, struct in_addr *a)
{
	if (inet_pton(AF_INET, s, a) != 1)
		return opt_err(opt, "'%s' is not an IPv4 address (a.b.c.d)", s);
	return 0;
}

static int parse_choice(const char *opt, const char *s,
			const char *const *names, int n, int *out)
{
	for (int i = 0; i < n; i++) {
		if (!strcmp(s, names[i])) {
			*out = i;
			return 0;
		}
	}
	fprintf(stderr, PROG ": --%s: '%s' is not one of:", opt, s);
	for (int i = 0; i < n; i++)
		fprintf(stderr, " %s", names[i]);
	fputc('\n', stderr);
	return -EINVAL;
}

static int parse_path(const char *opt, const char *s, const char **out)
{
	if (!*s)
		return opt_err(opt, "%sempty file name", "");
	*out = s;
	return 0;
}

static const char *const mode_names[] = { "server", "client" };
static const char *const cipher_names[] = { "aes128gcm", "aes256gcm", "chacha20" };
static const char *const cipher_suites[] = {
	"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
	"TLS_CHACHA20_POLY1305_SHA256",
};

static int opt_bit(int c)
{
	switch (c) {
	case 'm': return OPT_MODE;
	case 'l': return OPT_LPORT;
	case 'L': return OPT_LIP;
	case 'i': return OPT_TIP;
	case 'p': return OPT_TPORT;
	case 's': return OPT_SIZE;
	case 'n': return OPT_TOTAL;
	case 'r': return OPT_REQS;
	case 'c': return OPT_CONC;
	case 'd': return OPT_DUR;
	case 't': return OPT_TLS;
	case 'C': return OPT_CIPHER;
	case 'E': return OPT_CERT;
	case 'K': return OPT_KEY;
	case 'A': return OPT_CA;
	case 'F': return OPT_SENDFILE;
	case 'o': return OPT_OUT;
	case 'V': return OPT_VERIFY;
	case 'S': return OPT_SAMPLES;
	}
	return 0;
}

static const char *opt_name(int c)
{
	for (const struct option *o = long_opts; o->name; o++)
		if (o->val == c)
			return o->name;
	return "?";
}

static int parse_one(struct opts *o, int c, const char *a)
{
	const char *n = opt_name(c);
	uint64_t v;
	int k, err = 0;

	switch (c) {
	case 'm':
		err = parse_choice(n, a, mode_names, 2, &k);
		o->mode = err ? BM_UNSET : (enum bench_mode)(k + 1);
		break;
	case 'l':
		err = parse_u64(n, a, 0, 65535, false, &v);
		o->listen_port = v;
		break;
	case 'p':
		err = parse_u64(n, a, 1, 65535, false, &v);
		o->target_port = v;
		break;
	case 'L': return parse_ipv4(n, a, &o->listen_addr);
	case 'i': return parse_ipv4(n, a, &o->target_addr);
	case 's': return parse_u64(n, a, 1, MAX_DATA_SIZE, true, &o->data_size);
	case 'n': return parse_u64(n, a, 1, 1000000000, false, &o->total_conns);
	case 'r': return parse_u64(n, a, 0, 1000000000, false, &o->requests);
	case 'c':
		err = parse_u64(n, a, 1, MAX_CONC, false, &v);
		o->concurrency = v;
		break;
	case 'd': return parse_seconds(n, a, &o->duration);
	case 't':
		err = parse_choice(n, a, tls_names, 3, &k);
		o->tls = k;
		break;
	case 'C':
		err = parse_choice(n, a, cipher_names, 3, &k);
		if (!err)
			o->cipher = cipher_suites[k];
		break;
	case 'E': return parse_path(n, a, &o->cert);
	case 'K': return parse_path(n, a, &o->key);
	case 'A': return parse_path(n, a, &o->ca);
	case 'F': return parse_path(n, a, &o->sendfile);
	case 'o': return parse_path(n, a, &o->output);
	case 'V': o->verify = true; break;
	case 'S': o->samples = true; break;
	}
	return err;
}

/* options that make no sense in a mode, or without another option */
static int check_combination(struct opts *o)
{
	static const struct { unsigned int bits; enum bench_mode mode; } only[] = {
		{ OPT_LPORT | OPT_LIP, BM_SERVER },
		{ OPT_TIP | OPT_TPORT | OPT_SIZE | OPT_TOTAL | OPT_REQS | OPT_CONC |
		  OPT_SENDFILE | OPT_VERIFY | OPT_SAMPLES, BM_CLIENT },
	};

	if (o->mode == BM_UNSET) {
		fprintf(stderr, PROG ": --mode server|client is required\n");
		return -EINVAL;
	}
	for (size_t i = 0; i < sizeof(only) / sizeof(only[0]); i++) {
		unsigned int bad = o->given & only[i].bits;

		if (o->mode == only[i].mode || !bad)
			continue;
		for (const struct option *l = long_opts; l->name; l++) {
			if (opt_bit(l->val) & bad) {
				fprintf(stderr, PROG ": --%s is only for --mode %s\n",
					l->name, only[i].mode == BM_SERVER ? "server" : "client");
				return -EINVAL;
			}
		}
	}
	if (o->tls == TK_NONE && (o->given & (OPT_CERT | OPT_KEY | OPT_CA | OPT_CIPHER))) {
		fprintf(stderr, PROG ": --cert/--key/--ca/--cipher need --tls openssl or ktls\n");
		return -EINVAL;
	}
	if (!!o->cert != !!o->key) {
		fprintf(stderr, PROG ": --cert and --key go together\n");
		return -EINVAL;
	}
	if (o->mode == BM_SERVER && o->tls != TK_NONE && !o->cert) {
		fprintf(stderr, PROG ": --tls %s server needs --cert and --key (tools/gen-certs.sh DIR makes test ones)\n",
			tls_names[o->tls]);
		return -EINVAL;
	}
	if (o->mode == BM_CLIENT && !(o->given & OPT_TPORT)) {
		fprintf(stderr, PROG ": --target-port is required in client mode\n");
		return -EINVAL;
	}
	if (o->samples && !o->output) {
		fprintf(stderr, PROG ": --samples needs --output\n");
		return -EINVAL;
	}
	if (o->sendfile && o->verify) {
		fprintf(stderr, PROG ": --verify compares against the built-in pattern; not with --sendfile\n");
		return -EINVAL;
	}
	if (o->mode == BM_CLIENT && !o->requests && !o->duration) {
		fprintf(stderr, PROG ": --requests 0 (until the end) needs --duration\n");
		return -EINVAL;
	}
	if (o->mode == BM_CLIENT && !(o->given & OPT_TOTAL) && !o->duration)
		o->total_conns = 100;
	if (o->total_conns && o->concurrency > o->total_conns)
		o->concurrency = o->total_conns;
	return 0;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	int c, err;

	*o = (struct opts){
		.listen_port = 9090, .data_size = 4096, .requests = 1,
		.concurrency = 8, .cipher = cipher_suites[0],
	};
	o->listen_addr.s_addr = htonl(INADDR_ANY);
	o->target_addr.s_addr = htonl(INADDR_LOOPBACK);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", long_opts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			exit(0);
		}
		if (c == '?' || c == ':') {
			fprintf(stderr, PROG ": %s '%s' (see --help)\n",
				c == '?' ? "unknown option" : "missing value for",
				argv[optind - 1]);
			return -EINVAL;
		}
		if (o->given & opt_bit(c)) {
			fprintf(stderr, PROG ": --%s given twice\n", opt_name(c));
			return -EINVAL;
		}
		o->given |= opt_bit(c);
		err = parse_one(o, c, optarg);
		if (err)
			return err;
	}
	if (optind < argc) {
		fprintf(stderr, PROG ": unexpected argument '%s' (options only, see --help)\n",
			argv[optind]);
		return -EINVAL;
	}
	return check_combination(o);
}

/* ------------------------------------------------------------------ TLS */

/* Traffic secrets captured from OpenSSL's key log (kTLS mode only). */
struct tls_secrets {
	uint8_t client[EVP_MAX_MD_SIZE];
	uint8_t server[EVP_MAX_MD_SIZE];
	size_t client_len, server_len;
};

static int secrets_idx = -1;

static int hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "LABEL <client_random hex> <secret hex>" -> the secret, if wanted */
static void keylog_cb(const SSL *ssl, const char *line)
{
	struct tls_secrets *ts = SSL_get_ex_data(ssl, secrets_idx);
	const char *hex;
	uint8_t *dst;
	size_t *len, n = 0;

	if (!ts)
		return;
	if (!strncmp(line, "CLIENT_TRAFFIC_SECRET_0 ", 24)) {
		dst = ts->client;
		len = &ts->client_len;
	} else if (!strncmp(line, "SERVER_TRAFFIC_SECRET_0 ", 24)) {
		dst = ts->server;
		len = &ts->server_len;
	} else {
		return;
	}
	hex = strchr(line + 24, ' ');
	if (!hex)
		return;
	for (hex++; hex[0] && hex[1] && n < EVP_MAX_MD_SIZE; hex += 2) {
		int hi = hex_nibble(hex[0]), lo = hex_nibble(hex[1]);

		if (hi < 0 || lo < 0)
			break;
		dst[n++] = hi << 4 | lo;
	}
	*len = *hex ? 0 : n;	/* anything left over: malformed, unusable */
}

static EVP_KDF *hkdf;

/* RFC 8446 7.1 HKDF-Expand-Label(secret, label, "", len) */
static int expand_label(const char *md, const uint8_t *secret, size_t slen,
			const char *label, uint8_t *out, size_t len)
{
	uint8_t info[2 + 1 + 32 + 1];
	size_t ll = 6 + strlen(label), n = 0;
	int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY, ret;
	EVP_KDF_CTX *kctx;
	OSSL_PARAM params[5];

	info[n++] = len >> 8;
	info[n++] = len & 0xff;
	info[n++] = ll;
	memcpy(info + n, "tls13 ", 6);
	memcpy(info + n + 6, label, ll - 6);
	n += ll;
	info[n++] = 0;
	params[0] = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	params[1] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
						     (char *)md, 0);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
						      (void *)secret, slen);
	params[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
						      info, n);
	params[4] = OSSL_PARAM_construct_end();
	kctx = EVP_KDF_CTX_new(hkdf);
	if (!kctx)
		return -ENOMEM;
	ret = EVP_KDF_derive(kctx, out, len, params) == 1 ? 0 : -EPROTO;
	EVP_KDF_CTX_free(kctx);
	return ret;
}

/*
 * After a TLS 1.3 handshake: derive both directions' key and IV from the
 * captured traffic secrets and install them with configure_ktls(). No
 * record has been sent with them yet (no session tickets, nothing sent
 * before this), so both sequence numbers are 0.
 */
static int ktls_from_ssl(int fd, SSL *ssl, bool server)
{
	struct tls_secrets *ts = SSL_get_ex_data(ssl, secrets_idx);
	struct tls_key_info ki = { .iv_len = 12, .version = TCSEG_TLS_1_3 };
	const char *md = "SHA256";
	const uint8_t *tx, *rx;
	size_t txl, rxl;
	int err;

	switch (SSL_CIPHER_get_id(SSL_get_current_cipher(ssl))) {
	case TLS1_3_CK_AES_128_GCM_SHA256:
		ki.cipher = TCSEG_CIPHER_AES_GCM_128;
		ki.key_len = 16;
		break;
	case TLS1_3_CK_AES_256_GCM_SHA384:
		ki.cipher = TCSEG_CIPHER_AES_GCM_256;
		ki.key_len = 32;
		md = "SHA384";
		break;
	case TLS1_3_CK_CHACHA20_POLY1305_SHA256:
		ki.cipher = TCSEG_CIPHER_CHACHA20_POLY1305;
		ki.key_len = 32;
		break;
	default:
		return -EPROTONOSUPPORT;
	}
	if (!ts || !ts->client_len || !ts->server_len)
		return -EPROTO;
	tx = server ? ts->server : ts->client;
	txl = server ? ts->server_len : ts->client_len;
	rx = server ? ts->client : ts->server;
	rxl = server ? ts->client_len : ts->server_len;
	err = expand_label(md, tx, txl, "key", ki.key, ki.key_len);
	if (!err)
		err = expand_label(md, tx, txl, "iv", ki.iv, 12);
	if (!err)
		err = expand_label(md, rx, rxl, "key", ki.rx_key, ki.key_len);
	if (!err)
		err = expand_label(md, rx, rxl, "iv", ki.rx_iv, 12);
	if (!err)
		err = configure_ktls(fd, &ki);
	OPENSSL_cleanse(&ki, sizeof(ki));
	OPENSSL_cleanse(ts, sizeof(*ts));
	return err;
}

static void print_ssl_errors(const char *what)
{
	unsigned long e;
	char buf[256];

	fprintf(stderr, PROG ": %s", what);
	while ((e = ERR_get_error())) {
		ERR_error_string_n(e, buf, sizeof(buf));
		fprintf(stderr, ": %s", buf);
	}
	fputc('\n', stderr);
}

static SSL_CTX *tls_ctx(const struct opts *o)
{
	bool server = o->mode == BM_SERVER;
	SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());

	if (!ctx)
		goto fail;
	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) ||
	    !SSL_CTX_set_ciphersuites(ctx, o->cipher))
		goto fail;
	/* a full handshake per connection; nothing sent after it (kTLS seq 0) */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
			      SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (server && !SSL_CTX_set_num_tickets(ctx, 0))
		goto fail;
	if (o->cert && (SSL_CTX_use_certificate_chain_file(ctx, o->cert) != 1 ||
			SSL_CTX_use_PrivateKey_file(ctx, o->key, SSL_FILETYPE_PEM) != 1 ||
			SSL_CTX_check_private_key(ctx) != 1)) {
		fprintf(stderr, PROG ": loading --cert %s / --key %s failed\n", o->cert, o->key);
		goto fail;
	}
	if (o->ca) {
		if (SSL_CTX_load_verify_locations(ctx, o->ca, NULL) != 1) {
			fprintf(stderr, PROG ": loading --ca %s failed\n", o->ca);
			goto fail;
		}
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER |
				   (server ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0), NULL);
	}
	if (o->tls == TK_KTLS)
		SSL_CTX_set_keylog_callback(ctx, keylog_cb);
	return ctx;
fail:
	print_ssl_errors("TLS set-up");
	SSL_CTX_free(ctx);
	return NULL;
}

static SSL *tls_new(SSL_CTX *ctx, int fd, bool ktls)
{
	SSL *ssl = SSL_new(ctx);
	struct tls_secrets *ts = NULL;

	if (!ssl)
		return NULL;
	if (ktls) {
		ts = OPENSSL_zalloc(sizeof(*ts));
		if (!ts || !SSL_set_ex_data(ssl, secrets_idx, ts))
			goto fail;
	}
	if (!SSL_set_fd(ssl, fd))
		goto fail;
	return ssl;
fail:
	OPENSSL_clear_free(ts, sizeof(*ts));
	SSL_free(ssl);
	return NULL;
}

static void tls_free(SSL *ssl)
{
	struct tls_secrets *ts;

	if (!ssl)
		return;
	ts = SSL_get_ex_data(ssl, secrets_idx);
	OPENSSL_clear_free(ts, sizeof(*ts));
	SSL_free(ssl);
}

/* SSL_get_error -> IO_* */
static int ssl_result(SSL *ssl, int r)
{
	switch (SSL_get_error(ssl, r)) {
	case SSL_ERROR_WANT_READ:
		return IO_WANT_READ;
	case SSL_ERROR_WANT_WRITE:
		return IO_WANT_WRITE;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		return errno ? -errno : -ECONNRESET;
	}
	return IO_TLS_ERR;
}

/* Plain socket (none, kTLS) or OpenSSL: bytes, 0 on EOF, IO_* or -errno */
static ssize_t io_read(int fd, SSL *ssl, void *buf, size_t n)
{
	ssize_t r;

	if (ssl) {
		r = SSL_read(ssl, buf, n > INT32_MAX ? INT32_MAX : (int)n);
		return r > 0 ? r : ssl_result(ssl, r);
	}
	r = recv(fd, buf, n, 0);
	if (r >= 0)
		return r;
	return errno == EAGAIN || errno == EINTR ? IO_WANT_READ : -errno;
}

static ssize_t io_write(int fd, SSL *ssl, const void *buf, size_t n)
{
	ssize_t r;

	if (ssl) {
		r = SSL_write(ssl, buf, n > INT32_MAX ? INT32_MAX : (int)n);
		return r > 0 ? r : ssl_result(ssl, r);
	}
	r = send(fd, buf, n, MSG_NOSIGNAL);
	if (r >= 0)
		return r;
	return errno == EAGAIN || errno == EINTR ? IO_WANT_WRITE : -errno;
}

/* OpenSSL's reason for the last failure, or "TLS error" */
static const char *tls_reason(void)
{
	const char *s = ERR_reason_error_string(ERR_peek_error());

	return s ? s : "TLS error";
}

static const char *io_strerror(ssize_t r)
{
	if (r == IO_TLS_ERR)
		return tls_reason();
	if (r == 0)
		return "peer closed the connection";
	if (r == -EBADMSG)
		return "EBADMSG: a TLS record failed authentication";
	return strerror((int)-r);
}

/* ---------------------------------------------------------- event loop */

/*
 * One connection of either side. Level-triggered epoll; a connection that
 * used up its I/O budget, or whose TLS object holds decrypted bytes the
 * socket no longer signals, goes on the run queue instead.
 */
enum conn_state { CS_CONNECTING, CS_HANDSHAKE, CS_XFER };

struct conn {
	int fd;
	SSL *ssl;
	enum conn_state state;
	uint32_t events;
	bool queued;
	struct conn *next_ready;
	uint64_t t_start, t_conn, t_req;
	uint64_t sent, rcvd;		/* client: this request; server: pending buffer */
	uint64_t reqs_done;
	uint8_t *buf;			/* server: echo buffer */
	struct conn *next_free;
};

struct loop {
	int ep;
	struct conn *ready;
};

static int loop_set(struct loop *l, struct conn *c, uint32_t ev)
{
	struct epoll_event e = { .events = ev, .data.ptr = c };

	if (ev == c->events)
		return 0;
	if (epoll_ctl(l->ep, c->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->fd, &e))
		return -errno;
	c->events = ev;
	return 0;
}

static void loop_queue(struct loop *l, struct conn *c)
{
	if (c->queued)
		return;
	c->queued = true;
	c->next_ready = l->ready;
	l->ready = c;
}

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void set_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static void raise_nofile(void)
{
	struct rlimit rl;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* -------------------------------------------------------------- reports */

struct report {
	const struct opts *o;
	char started[32];
	double elapsed;
	struct rusage ru0, ru1;
	uint64_t run0, wait0, run1, wait1;	/* /proc/self/schedstat, ns */
	uint64_t conns_started, conns_ok, conns_failed, conns_unfinished;
	uint64_t reqs_ok, tx_bytes, rx_bytes;
	struct samples connect, handshake, setup, request;
	char first_err[160];
	const char *cipher;
};

static double cpu_user(const struct report *r)
{
	return tv_s(r->ru1.ru_utime) - tv_s(r->ru0.ru_utime);
}

static double cpu_sys(const struct report *r)
{
	return tv_s(r->ru1.ru_stime) - tv_s(r->ru0.ru_stime);
}

static double per_s(const struct report *r, double v)
{
	return r->elapsed > 0 ? v / r->elapsed : 0;
}

/* Time on a CPU and time runnable but waiting for one (0 0 if unknown). */
static void read_schedstat(uint64_t *run, uint64_t *wait)
{
	FILE *f = fopen("/proc/self/schedstat", "r");

	*run = *wait = 0;
	if (!f)
		return;
	if (fscanf(f, "%" SCNu64 " %" SCNu64, run, wait) != 2)
		*run = *wait = 0;
	fclose(f);
}

static double runq_wait(const struct report *r)
{
	return (r->wait1 - r->wait0) / 1e9;
}

/*
 * Share of the wall time the process was on a CPU or runnable: 100% means
 * it never waited for its peer or the network, i.e. it would have used a
 * whole core had other work not taken part of it.
 */
static double demand_pct(const struct report *r)
{
	return 100 * per_s(r, (r->run1 - r->run0 + r->wait1 - r->wait0) / 1e9);
}

static void json_stats(FILE *f, const char *name, struct stats s, bool last)
{
	fprintf(f, "  \"%s\": {\"count\": %zu, \"min\": %.3f, \"mean\": %.3f, "
		"\"p50\": %.3f, \"p90\": %.3f, \"p99\": %.3f, \"max\": %.3f}%s\n",
		name, s.n, s.min, s.mean, s.p50, s.p90, s.p99, s.max, last ? "" : ",");
}

static void json_escaped(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

struct all_stats {
	struct stats connect, handshake, setup, request;
};

static void write_json(FILE *f, const struct report *r, const struct all_stats *st)
{
	const struct opts *o = r->o;
	struct utsname u;
	char ip[INET_ADDRSTRLEN];

	uname(&u);
	inet_ntop(AF_INET, o->mode == BM_CLIENT ? &o->target_addr : &o->listen_addr,
		  ip, sizeof(ip));
	fprintf(f, "{\n  \"tool\": \"" PROG "\",\n  \"format\": 1,\n");
	fprintf(f, "  \"mode\": \"%s\",\n  \"tls\": \"%s\",\n  \"cipher\": \"%s\",\n",
		o->mode == BM_CLIENT ? "client" : "server", tls_names[o->tls],
		o->tls == TK_NONE ? "" : r->cipher ? r->cipher : o->cipher);
	fprintf(f, "  \"address\": \"%s:%u\",\n  \"kernel\": ", ip,
		o->mode == BM_CLIENT ? o->target_port : o->listen_port);
	json_escaped(f, u.release);
	fprintf(f, ",\n  \"started\": \"%s\",\n", r->started);
	fprintf(f, "  \"data_size\": %" PRIu64 ",\n  \"concurrency\": %u,\n"
		"  \"requests_per_connection\": %" PRIu64 ",\n"
		"  \"duration_limit_s\": %.3f,\n  \"sendfile\": %s,\n",
		o->data_size, o->concurrency, o->requests, o->duration,
		o->sendfile ? "true" : "false");
	fprintf(f, "  \"elapsed_s\": %.6f,\n", r->elapsed);
	fprintf(f, "  \"connections\": {\"requested\": %" PRIu64 ", \"started\": %" PRIu64
		", \"completed\": %" PRIu64 ", \"failed\": %" PRIu64
		", \"unfinished\": %" PRIu64 ", \"per_s\": %.3f},\n",
		o->total_conns, r->conns_started, r->conns_ok, r->conns_failed,
		r->conns_unfinished, per_s(r, r->conns_ok));
	fprintf(f, "  \"requests\": {\"completed\": %" PRIu64 ", \"per_s\": %.3f},\n",
		r->reqs_ok, per_s(r, r->reqs_ok));
	fprintf(f, "  \"bytes\": {\"sent\": %" PRIu64 ", \"received\": %" PRIu64
		", \"rx_mbit_s\": %.3f, \"total_mbit_s\": %.3f},\n",
		r->tx_bytes, r->rx_bytes, per_s(r, r->rx_bytes * 8.0) / 1e6,
		per_s(r, (r->rx_bytes + r->tx_bytes) * 8.0) / 1e6);
	fprintf(f, "  \"latency_unit\": \"us\",\n");
	json_stats(f, "connect_us", st->connect, false);
	json_stats(f, "handshake_us", st->handshake, false);
	json_stats(f, "setup_us", st->setup, false);
	json_stats(f, "request_us", st->request, false);
	fprintf(f, "  \"cpu\": {\"user_s\": %.3f, \"sys_s\": %.3f, \"util_pct\": %.1f, "
		"\"runq_wait_s\": %.3f, \"demand_pct\": %.1f},\n",
		cpu_user(r), cpu_sys(r), 100 * per_s(r, cpu_user(r) + cpu_sys(r)),
		runq_wait(r), demand_pct(r));
	fprintf(f, "  \"memory\": {\"max_rss_kib\": %ld},\n  \"first_error\": ",
		r->ru1.ru_maxrss);
	json_escaped(f, r->first_err);
	fprintf(f, "\n}\n");
}

#define CSV_STATS(p) p "_n," p "_min," p "_mean," p "_p50," p "_p90," p "_p99," p "_max"

static void csv_stats(FILE *f, struct stats s)
{
	fprintf(f, ",%zu,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f", s.n, s.min, s.mean,
		s.p50, s.p90, s.p99, s.max);
}

static void write_csv(FILE *f, const struct report *r, const struct all_stats *st)
{
	const struct opts *o = r->o;

	fprintf(f, "mode,tls,data_size,concurrency,requests_per_connection,sendfile,"
		"elapsed_s,conns_requested,conns_completed,conns_failed,conns_unfinished,"
		"conns_per_s,requests,requests_per_s,tx_bytes,rx_bytes,rx_mbit_s,"
		CSV_STATS("connect_us") "," CSV_STATS("handshake_us") ","
		CSV_STATS("setup_us") "," CSV_STATS("request_us") ","
		"cpu_user_s,cpu_sys_s,cpu_util_pct,max_rss_kib,runq_wait_s,cpu_demand_pct\n");
	fprintf(f, "%s,%s,%" PRIu64 ",%u,%" PRIu64 ",%d,%.6f,%" PRIu64 ",%" PRIu64
		",%" PRIu64 ",%" PRIu64 ",%.3f,%" PRIu64 ",%.3f,%" PRIu64 ",%" PRIu64 ",%.3f",
		o->mode == BM_CLIENT ? "client" : "server", tls_names[o->tls],
		o->data_size, o->concurrency, o->requests, !!o->sendfile, r->elapsed,
		o->total_conns, r->conns_ok, r->conns_failed, r->conns_unfinished,
		per_s(r, r->conns_ok), r->reqs_ok, per_s(r, r->reqs_ok), r->tx_bytes,
		r->rx_bytes, per_s(r, r->rx_bytes * 8.0) / 1e6);
	csv_stats(f, st->connect);
	csv_stats(f, st->handshake);
	csv_stats(f, st->setup);
	csv_stats(f, st->request);
	fprintf(f, ",%.3f,%.3f,%.1f,%ld,%.3f,%.1f\n", cpu_user(r), cpu_sys(r),
		100 * per_s(r, cpu_user(r) + cpu_sys(r)), r->ru1.ru_maxrss,
		runq_wait(r), demand_pct(r));
}

static void write_samples(FILE *f, const struct report *r)
{
	const struct { const char *name; const struct samples *s; } k[] = {
		{ "connect", &r->connect }, { "handshake", &r->handshake },
		{ "setup", &r->setup }, { "request", &r->request },
	};

	fprintf(f, "kind,us\n");
	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++)
		for (size_t j = 0; j < k[i].s->n; j++)
			fprintf(f, "%s,%.3f\n", k[i].name, k[i].s->v[j] / 1e3);
}

typedef void (*writer_fn)(FILE *, const struct report *, const struct all_stats *);

static int write_file(const char *prefix, const char *suffix, writer_fn fn,
		      const struct report *r, const struct all_stats *st)
{
	char path[4096];
	FILE *f;
	int err = 0;

	if (snprintf(path, sizeof(path), "%s%s", prefix, suffix) >= (int)sizeof(path)) {
		fprintf(stderr, PROG ": --output: prefix too long\n");
		return -ENAMETOOLONG;
	}
	f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, PROG ": %s: %s\n", path, strerror(errno));
		return -errno;
	}
	if (fn)
		fn(f, r, st);
	else
		write_samples(f, r);
	if (ferror(f))
		err = -EIO;
	if (fclose(f) && !err)
		err = -errno;
	if (err)
		fprintf(stderr, PROG ": writing %s failed: %s\n", path, strerror(-err));
	return err;
}

static void print_stats(const char *name, struct stats s)
{
	if (!s.n)
		return;
	printf("  %-9s us: p50 %.1f  p90 %.1f  p99 %.1f  max %.1f  (mean %.1f, n=%zu)\n",
	       name, s.p50, s.p90, s.p99, s.max, s.mean, s.n);
}

static int report_finish(struct report *r)
{
	const struct opts *o = r->o;
	struct all_stats st;
	char ip[INET_ADDRSTRLEN];
	int err = 0;

	st.connect = samples_stats(&r->connect);
	st.handshake = samples_stats(&r->handshake);
	st.setup = samples_stats(&r->setup);
	st.request = samples_stats(&r->request);
	inet_ntop(AF_INET, o->mode == BM_CLIENT ? &o->target_addr : &o->listen_addr,
		  ip, sizeof(ip));
	printf(PROG " %s: tls=%s%s%s %s:%u",
	       o->mode == BM_CLIENT ? "client" : "server", tls_names[o->tls],
	       o->tls == TK_NONE ? "" : " cipher=",
	       o->tls == TK_NONE ? "" : r->cipher ? r->cipher : o->cipher,
	       ip, o->mode == BM_CLIENT ? o->target_port : o->listen_port);
	if (o->mode == BM_CLIENT)
		printf(" data-size=%" PRIu64 " concurrency=%u requests/conn=%" PRIu64 "%s",
		       o->data_size, o->concurrency, o->requests,
		       o->sendfile ? " (sendfile)" : "");
	putchar('\n');
	printf("  connections: %" PRIu64 " completed, %" PRIu64 " failed, %" PRIu64
	       " unfinished in %.3f s (%.1f/s)\n", r->conns_ok, r->conns_failed,
	       r->conns_unfinished, r->elapsed, per_s(r, r->conns_ok));
	print_stats("connect", st.connect);
	print_stats("handshake", st.handshake);
	print_stats("setup", st.setup);
	print_stats("request", st.request);
	printf("  throughput: %" PRIu64 " requests (%.1f/s), %.2f MB echoed, %.1f Mbit/s\n",
	       r->reqs_ok, per_s(r, r->reqs_ok), r->rx_bytes / 1e6,
	       per_s(r, r->rx_bytes * 8.0) / 1e6);
	printf("  cpu: user %.3f s, sys %.3f s (%.1f%% of one core; on a CPU or runnable %.1f%%); max RSS %ld KiB\n",
	       cpu_user(r), cpu_sys(r), 100 * per_s(r, cpu_user(r) + cpu_sys(r)),
	       demand_pct(r), r->ru1.ru_maxrss);
	if (r->first_err[0])
		printf("  first error: %s\n", r->first_err);
	if (o->output) {
		err = write_file(o->output, ".json", write_json, r, &st);
		if (!err)
			err = write_file(o->output, ".csv", write_csv, r, &st);
		if (!err && o->samples)
			err = write_file(o->output, ".samples.csv", NULL, r, &st);
		if (!err)
			printf("  reports: %s.json %s.csv%s\n", o->output, o->output,
			       o->samples ? " (+ .samples.csv)" : "");
	}
	fflush(stdout);
	return err;
}

static void report_start(struct report *r, const struct opts *o)
{
	time_t t = time(NULL);
	struct tm tm;

	memset(r, 0, sizeof(*r));
	r->o = o;
	gmtime_r(&t, &tm);
	strftime(r->started, sizeof(r->started), "%Y-%m-%dT%H:%M:%SZ", &tm);
	getrusage(RUSAGE_SELF, &r->ru0);
	read_schedstat(&r->run0, &r->wait0);
}

static void report_stop(struct report *r, uint64_t t0)
{
	r->elapsed = (now_ns() - t0) / 1e9;
	getrusage(RUSAGE_SELF, &r->ru1);
	read_schedstat(&r->run1, &r->wait1);
}

static void report_error(struct report *r, const char *stage, const char *msg)
{
	static unsigned int printed;

	if (!r->first_err[0])
		snprintf(r->first_err, sizeof(r->first_err), "%s: %s", stage, msg);
	if (printed++ < MAX_ERR_PRINT)
		fprintf(stderr, PROG ": %s: %s\n", stage, msg);
}

static void record(struct report *r, struct samples *s, uint64_t ns)
{
	if (samples_add(s, ns))
		report_error(r, "samples", "out of memory");
}

/* --------------------------------------------------------------- client */

struct client {
	const struct opts *o;
	struct loop loop;
	SSL_CTX *ctx;
	struct report rep;
	struct conn *conns;		/* concurrency slots */
	struct conn *free;
	unsigned int active;
	uint64_t deadline;		/* 0: none */
	bool stopping;
	uint8_t *pattern;		/* the request payload */
	uint8_t *scratch;		/* receive buffer */
	int file_fd;			/* --sendfile */
};

static void client_close(struct client *cl, struct conn *c, bool ok, bool failed)
{
	if (c->events)
		epoll_ctl(cl->loop.ep, EPOLL_CTL_DEL, c->fd, NULL);
	tls_free(c->ssl);
	close(c->fd);
	c->ssl = NULL;
	c->fd = -1;
	c->events = 0;
	if (ok)
		cl->rep.conns_ok++;
	else if (failed)
		cl->rep.conns_failed++;
	else
		cl->rep.conns_unfinished++;
	c->next_free = cl->free;
	cl->free = c;
	cl->active--;
}

static void client_fail(struct client *cl, struct conn *c, const char *stage,
			const char *msg)
{
	report_error(&cl->rep, stage, msg);
	client_close(cl, c, false, true);
}

/* A run where more than 1% of the connections (and at least 10) failed
 * measures nothing: stop starting new ones. */
static bool client_too_many_failures(const struct client *cl)
{
	return cl->rep.conns_failed >= MAX_FAILURES &&
	       cl->rep.conns_failed * 100 > cl->rep.conns_started;
}

static bool client_may_start(struct client *cl)
{
	const struct opts *o = cl->o;

	return !cl->stopping && cl->free && !client_too_many_failures(cl) &&
	       (!o->total_conns || cl->rep.conns_started < o->total_conns);
}

static void client_start_one(struct client *cl)
{
	const struct opts *o = cl->o;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(o->target_port),
				  .sin_addr = o->target_addr };
	struct conn *c = cl->free;
	int one = 1, err;

	cl->free = c->next_free;
	memset(c, 0, sizeof(*c));
	cl->active++;
	cl->rep.conns_started++;
	c->t_start = now_ns();
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		client_fail(cl, c, "socket", strerror(errno));
		return;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->state = CS_CONNECTING;
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) && errno != EINPROGRESS) {
		client_fail(cl, c, "connect", strerror(errno));
		return;
	}
	err = loop_set(&cl->loop, c, EPOLLOUT);
	if (err)
		client_fail(cl, c, "epoll", strerror(-err));
}

static void client_fill(struct client *cl)
{
	while (client_may_start(cl))
		client_start_one(cl);
}

static void client_xfer(struct client *cl, struct conn *c);

static void client_ready(struct client *cl, struct conn *c)
{
	uint64_t t = now_ns();

	record(&cl->rep, &cl->rep.setup, t - c->t_start);
	if (cl->o->tls != TK_NONE)
		record(&cl->rep, &cl->rep.handshake, t - c->t_conn);
	c->state = CS_XFER;
	c->t_req = t;
	c->sent = c->rcvd = 0;
	client_xfer(cl, c);
}

static void client_handshake(struct client *cl, struct conn *c)
{
	int r, err;

	if (!c->ssl) {
		c->ssl = tls_new(cl->ctx, c->fd, cl->o->tls == TK_KTLS);
		if (!c->ssl) {
			client_fail(cl, c, "TLS", "SSL_new failed");
			return;
		}
	}
	r = SSL_connect(c->ssl);
	if (r != 1) {
		r = ssl_result(c->ssl, r);
		if (r == IO_WANT_READ || r == IO_WANT_WRITE) {
			err = loop_set(&cl->loop, c, r == IO_WANT_READ ? EPOLLIN : EPOLLOUT);
			if (err)
				client_fail(cl, c, "epoll", strerror(-err));
			return;
		}
		client_fail(cl, c, "TLS handshake", io_strerror(r));
		ERR_clear_error();
		return;
	}
	if (cl->o->tls == TK_KTLS) {
		err = ktls_from_ssl(c->fd, c->ssl, false);
		tls_free(c->ssl);
		c->ssl = NULL;
		if (err) {
			client_fail(cl, c, "kTLS", ktls_strerror(err));
			return;
		}
	}
	client_ready(cl, c);
}

static void client_connected(struct client *cl, struct conn *c)
{
	int soerr = 0;
	socklen_t len = sizeof(soerr);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) || soerr) {
		client_fail(cl, c, "connect", strerror(soerr ? soerr : errno));
		return;
	}
	c->t_conn = now_ns();
	record(&cl->rep, &cl->rep.connect, c->t_conn - c->t_start);
	if (cl->o->tls == TK_NONE) {
		client_ready(cl, c);
		return;
	}
	c->state = CS_HANDSHAKE;
	client_handshake(cl, c);
}

/* next bytes of the request: pattern, sendfile, or file read for OpenSSL */
static ssize_t client_send(struct client *cl, struct conn *c)
{
	const struct opts *o = cl->o;
	uint64_t left = o->data_size - c->sent;
	off_t off = c->sent;
	ssize_t r;

	if (!o->sendfile)
		return io_write(c->fd, c->ssl, cl->pattern + c->sent, left);
	if (!c->ssl) {
		r = sendfile(c->fd, cl->file_fd, &off, left);
		if (r >= 0)
			return r;
		return errno == EAGAIN ? IO_WANT_WRITE : -errno;
	}
	if (left > IO_CHUNK)
		left = IO_CHUNK;
	r = pread(cl->file_fd, cl->pattern, left, off);
	if (r != (ssize_t)left)
		return r < 0 ? -errno : -ENODATA;
	return io_write(c->fd, c->ssl, cl->pattern, left);
}

static bool client_next_request(struct client *cl, struct conn *c)
{
	const struct opts *o = cl->o;
	uint64_t t = now_ns();

	record(&cl->rep, &cl->rep.request, t - c->t_req);
	cl->rep.reqs_ok++;
	c->reqs_done++;
	if ((o->requests && c->reqs_done >= o->requests) || cl->stopping)
		return false;
	c->t_req = t;
	c->sent = c->rcvd = 0;
	return true;
}

static bool want(ssize_t r)
{
	return r == IO_WANT_READ || r == IO_WANT_WRITE;
}

/*
 * Send and receive in turns (a large request is echoed while it is still
 * being sent, so both must move). Returns 1 when the connection has done
 * its requests, -errno/IO_TLS_ERR on error, else 0 with *ev the epoll
 * events to wait for and *again set if the budget ran out.
 */
static ssize_t client_rounds(struct client *cl, struct conn *c, uint32_t *ev,
			     bool *again)
{
	const struct opts *o = cl->o;
	ssize_t w, r;
	uint64_t left;

	for (int i = 0; i < IO_BUDGET; i++) {
		w = 0;
		if (c->sent < o->data_size) {
			w = client_send(cl, c);
			if (!w)
				return -EPIPE;
			if (w > 0) {
				c->sent += w;
				cl->rep.tx_bytes += w;
			} else if (!want(w)) {
				return w;
			}
		}
		left = o->data_size - c->rcvd;
		r = io_read(c->fd, c->ssl, cl->scratch, left > IO_CHUNK ? IO_CHUNK : left);
		if (r > 0) {
			if (o->verify && memcmp(cl->scratch, cl->pattern + c->rcvd, r))
				return -EILSEQ;
			c->rcvd += r;
			cl->rep.rx_bytes += r;
			if (c->rcvd == o->data_size && !client_next_request(cl, c))
				return 1;
			continue;
		}
		if (!want(r))
			return r ? r : -ECONNRESET;
		if (w > 0)
			continue;
		/* nothing moved: wait for what each side asked for */
		*ev = (w == IO_WANT_READ || r == IO_WANT_READ ? EPOLLIN : 0) |
		      (w == IO_WANT_WRITE || r == IO_WANT_WRITE ? EPOLLOUT : 0);
		return 0;
	}
	*ev = EPOLLIN | (c->sent < o->data_size ? EPOLLOUT : 0);
	*again = true;
	return 0;
}

static void client_xfer(struct client *cl, struct conn *c)
{
	bool again = false;
	uint32_t ev = EPOLLIN;
	ssize_t r = client_rounds(cl, c, &ev, &again);
	int err;

	if (r == 1) {
		client_close(cl, c, true, false);
		return;
	}
	if (r) {
		client_fail(cl, c, "request", r == -EILSEQ ?
			    "echo differs from the request" : io_strerror(r));
		ERR_clear_error();
		return;
	}
	err = loop_set(&cl->loop, c, ev);
	if (err)
		client_fail(cl, c, "epoll", strerror(-err));
	else if (again || (c->ssl && SSL_has_pending(c->ssl)))
		loop_queue(&cl->loop, c);
}

static void client_event(struct client *cl, struct conn *c)
{
	switch (c->state) {
	case CS_CONNECTING:
		client_connected(cl, c);
		break;
	case CS_HANDSHAKE:
		client_handshake(cl, c);
		break;
	case CS_XFER:
		client_xfer(cl, c);
		break;
	}
}

/* At the deadline: in persistent mode a connection that did at least one
 * request is complete; anything else in flight is unfinished. */
static void client_stop_all(struct client *cl)
{
	for (unsigned int i = 0; i < cl->o->concurrency; i++) {
		struct conn *c = &cl->conns[i];

		if (c->fd < 0)
			continue;
		client_close(cl, c, !cl->o->requests && c->reqs_done > 0, false);
	}
}

static int run_queue(struct loop *l, void (*fn)(void *, struct conn *), void *arg)
{
	struct conn *q = l->ready;
	int n = 0;

	l->ready = NULL;
	while (q) {
		struct conn *c = q;

		q = c->next_ready;
		c->queued = false;
		if (c->fd >= 0) {
			fn(arg, c);
			n++;
		}
	}
	return n;
}

static void client_ready_fn(void *arg, struct conn *c)
{
	struct client *cl = arg;

	if (c->state == CS_XFER)
		client_xfer(cl, c);
}

static int wait_ms(uint64_t deadline, bool busy)
{
	uint64_t t;

	if (busy)
		return 0;
	if (!deadline)
		return 1000;
	t = now_ns();
	if (t >= deadline)
		return 0;
	return (deadline - t) / 1000000 + 1;
}

static void client_loop(struct client *cl)
{
	struct epoll_event evs[MAX_EVENTS];

	client_fill(cl);
	while (cl->active && !stop_flag) {
		int n = epoll_wait(cl->loop.ep, evs, MAX_EVENTS,
				   wait_ms(cl->deadline, cl->loop.ready));

		if (n < 0 && errno != EINTR) {
			report_error(&cl->rep, "epoll_wait", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;

			if (c->fd >= 0 && !c->queued)
				client_event(cl, c);
		}
		run_queue(&cl->loop, client_ready_fn, cl);
		if (cl->deadline && now_ns() >= cl->deadline) {
			cl->stopping = true;
			break;
		}
		client_fill(cl);
	}
	if (stop_flag)
		cl->stopping = true;
	client_stop_all(cl);
}

static int client_prepare(struct client *cl, const struct opts *o)
{
	struct stat st;

	cl->o = o;
	cl->file_fd = -1;
	cl->loop.ep = epoll_create1(EPOLL_CLOEXEC);
	if (cl->loop.ep < 0)
		return -errno;
	cl->conns = calloc(o->concurrency, sizeof(*cl->conns));
	cl->scratch = malloc(IO_CHUNK);
	cl->pattern = malloc(o->sendfile ? IO_CHUNK : o->data_size);
	if (!cl->conns || !cl->scratch || !cl->pattern)
		return -ENOMEM;
	for (unsigned int i = o->concurrency; i-- > 0;) {
		cl->conns[i].fd = -1;
		cl->conns[i].next_free = cl->free;
		cl->free = &cl->conns[i];
	}
	for (uint64_t i = 0; !o->sendfile && i < o->data_size; i++)
		cl->pattern[i] = 'a' + (i * 7 + i / 251) % 26;
	if (o->sendfile) {
		cl->file_fd = open(o->sendfile, O_RDONLY | O_CLOEXEC);
		if (cl->file_fd < 0 || fstat(cl->file_fd, &st)) {
			fprintf(stderr, PROG ": --sendfile %s: %s\n", o->sendfile, strerror(errno));
			return -EINVAL;
		}
		if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size < o->data_size) {
			fprintf(stderr, PROG ": --sendfile %s: want a regular file of at least --data-size (%" PRIu64 ") bytes\n",
				o->sendfile, o->data_size);
			return -EINVAL;
		}
	}
	if (o->tls != TK_NONE) {
		cl->ctx = tls_ctx(o);
		if (!cl->ctx)
			return -EINVAL;
	}
	return 0;
}

static int run_client(const struct opts *o)
{
	struct client cl = { 0 };
	uint64_t t0;
	int err, ret = 1;

	err = client_prepare(&cl, o);
	if (err) {
		if (err != -EINVAL)
			fprintf(stderr, PROG ": client set-up: %s\n", strerror(-err));
		goto out;
	}
	report_start(&cl.rep, o);
	t0 = now_ns();
	if (o->duration)
		cl.deadline = t0 + (uint64_t)(o->duration * 1e9);
	client_loop(&cl);
	if (client_too_many_failures(&cl))
		fprintf(stderr, PROG ": stopped early: %" PRIu64 " of %" PRIu64 " connections failed\n",
			cl.rep.conns_failed, cl.rep.conns_started);
	report_stop(&cl.rep, t0);
	if (o->tls != TK_NONE)
		cl.rep.cipher = o->cipher;
	err = report_finish(&cl.rep);
	/* success: every requested connection completed, or (duration) no failure */
	if (!err && !cl.rep.conns_failed && cl.rep.conns_ok &&
	    (!o->total_conns || o->duration || cl.rep.conns_ok == o->total_conns) &&
	    !stop_flag)
		ret = 0;
out:
	SSL_CTX_free(cl.ctx);
	if (cl.file_fd >= 0)
		close(cl.file_fd);
	if (cl.loop.ep >= 0)
		close(cl.loop.ep);
	free(cl.conns);
	free(cl.scratch);
	free(cl.pattern);
	free(cl.rep.connect.v);
	free(cl.rep.handshake.v);
	free(cl.rep.setup.v);
	free(cl.rep.request.v);
	return ret;
}

/* --------------------------------------------------------------- server */

struct server {
	const struct opts *o;
	struct loop loop;
	SSL_CTX *ctx;
	struct report rep;
	int lfd;
	struct conn lconn;		/* the listening socket in epoll */
	uint64_t open;
};

/* msg NULL: clean close; "reset": the peer left mid-exchange (a client
 * stopping at its deadline), counted as unfinished, not failed */
static void server_close(struct server *sv, struct conn *c, const char *stage,
			 const char *msg)
{
	if (msg && !strcmp(msg, "reset")) {
		sv->rep.conns_unfinished++;
	} else if (msg) {
		report_error(&sv->rep, stage, msg);
		sv->rep.conns_failed++;
	} else {
		sv->rep.conns_ok++;
	}
	if (c->events)
		epoll_ctl(sv->loop.ep, EPOLL_CTL_DEL, c->fd, NULL);
	tls_free(c->ssl);
	c->ssl = NULL;
	close(c->fd);
	c->fd = -1;
	if (c->queued)
		return;	/* still on the run queue: server_run_queue frees it */
	free(c->buf);
	free(c);
	sv->open--;
}

/*
 * Echo: write what is pending, then read more. With a pending buffer the
 * connection waits for EPOLLOUT only (back-pressure on the reader).
 */
static void server_echo(struct server *sv, struct conn *c)
{
	uint32_t ev = EPOLLIN;
	ssize_t r;
	int err;

	for (int i = 0; i < IO_BUDGET; i++) {
		if (c->sent < c->rcvd) {
			r = io_write(c->fd, c->ssl, c->buf + c->sent, c->rcvd - c->sent);
			if (r > 0) {
				c->sent += r;
				sv->rep.tx_bytes += r;
				if (c->sent == c->rcvd)
					c->sent = c->rcvd = 0;
				continue;
			}
		} else {
			r = io_read(c->fd, c->ssl, c->buf, IO_CHUNK);
			if (r > 0) {
				c->rcvd = r;
				c->sent = 0;
				sv->rep.rx_bytes += r;
				continue;
			}
			if (!r) {
				server_close(sv, c, NULL, NULL);
				return;
			}
		}
		if (r == -EPIPE || r == -ECONNRESET) {
			server_close(sv, c, "echo", "reset");
			ERR_clear_error();
			return;
		}
		if (r != IO_WANT_READ && r != IO_WANT_WRITE) {
			server_close(sv, c, "echo", io_strerror(r));
			ERR_clear_error();
			return;
		}
		ev = r == IO_WANT_READ ? EPOLLIN : EPOLLOUT;
		goto wait;
	}
	loop_queue(&sv->loop, c);
wait:
	err = loop_set(&sv->loop, c, ev);
	if (err)
		server_close(sv, c, "epoll", strerror(-err));
	else if (c->ssl && SSL_has_pending(c->ssl))
		loop_queue(&sv->loop, c);
}

static void server_handshake(struct server *sv, struct conn *c)
{
	int r, err;

	r = SSL_accept(c->ssl);
	if (r != 1) {
		r = ssl_result(c->ssl, r);
		if (r == IO_WANT_READ || r == IO_WANT_WRITE) {
			err = loop_set(&sv->loop, c, r == IO_WANT_READ ? EPOLLIN : EPOLLOUT);
			if (err)
				server_close(sv, c, "epoll", strerror(-err));
			return;
		}
		server_close(sv, c, "TLS handshake", io_strerror(r));
		ERR_clear_error();
		return;
	}
	record(&sv->rep, &sv->rep.handshake, now_ns() - c->t_start);
	if (sv->o->tls == TK_KTLS) {
		err = ktls_from_ssl(c->fd, c->ssl, true);
		tls_free(c->ssl);
		c->ssl = NULL;
		if (err) {
			server_close(sv, c, "kTLS", ktls_strerror(err));
			return;
		}
	}
	c->state = CS_XFER;
	server_echo(sv, c);
}

static void server_accept(struct server *sv)
{
	for (int i = 0; i < 64; i++) {
		int one = 1, fd = accept4(sv->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct conn *c;

		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				report_error(&sv->rep, "accept", strerror(errno));
			return;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c = calloc(1, sizeof(*c));
		if (c)
			c->buf = malloc(IO_CHUNK);
		if (!c || !c->buf) {
			free(c);
			close(fd);
			report_error(&sv->rep, "accept", "out of memory");
			continue;
		}
		c->fd = fd;
		c->t_start = now_ns();
		sv->open++;
		sv->rep.conns_started++;
		if (sv->o->tls == TK_NONE) {
			c->state = CS_XFER;
			server_echo(sv, c);
			continue;
		}
		c->state = CS_HANDSHAKE;
		c->ssl = tls_new(sv->ctx, fd, sv->o->tls == TK_KTLS);
		if (!c->ssl) {
			server_close(sv, c, "TLS", "SSL_new failed");
			continue;
		}
		server_handshake(sv, c);
	}
}

static void server_event(void *arg, struct conn *c)
{
	struct server *sv = arg;

	if (c == &sv->lconn)
		server_accept(sv);
	else if (c->state == CS_HANDSHAKE)
		server_handshake(sv, c);
	else
		server_echo(sv, c);
}

static void server_run_queue(struct server *sv)
{
	struct conn *q = sv->loop.ready;

	sv->loop.ready = NULL;
	while (q) {
		struct conn *c = q;

		q = c->next_ready;
		c->queued = false;
		if (c->fd >= 0) {
			server_event(sv, c);
		} else {	/* closed while queued */
			free(c->buf);
			free(c);
			sv->open--;
		}
	}
}

static int server_listen(struct server *sv)
{
	const struct opts *o = sv->o;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(o->listen_port),
				  .sin_addr = o->listen_addr };
	socklen_t len = sizeof(sa);
	int one = 1;

	sv->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (sv->lfd < 0)
		return -errno;
	setsockopt(sv->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(sv->lfd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(sv->lfd, 4096) ||
	    getsockname(sv->lfd, (struct sockaddr *)&sa, &len))
		return -errno;
	return ntohs(sa.sin_port);
}

static int run_server(struct opts *o)
{
	struct server sv = { .o = o, .lfd = -1 };
	struct epoll_event evs[MAX_EVENTS];
	uint64_t t0, deadline = 0;
	char ip[INET_ADDRSTRLEN];
	int port, err, ret = 1;

	sv.loop.ep = epoll_create1(EPOLL_CLOEXEC);
	if (sv.loop.ep < 0)
		goto out;
	if (o->tls != TK_NONE && !(sv.ctx = tls_ctx(o)))
		goto out;
	port = server_listen(&sv);
	inet_ntop(AF_INET, &o->listen_addr, ip, sizeof(ip));
	if (port < 0) {
		fprintf(stderr, PROG ": listen on %s:%u: %s\n", ip, o->listen_port,
			strerror(-port));
		goto out;
	}
	o->listen_port = port;
	sv.lconn.fd = sv.lfd;
	err = loop_set(&sv.loop, &sv.lconn, EPOLLIN);
	if (err)
		goto out;
	report_start(&sv.rep, o);
	printf(PROG ": server listening on %s:%d tls=%s\n", ip, port, tls_names[o->tls]);
	fflush(stdout);
	t0 = now_ns();
	if (o->duration)
		deadline = t0 + (uint64_t)(o->duration * 1e9);
	while (!stop_flag && !(deadline && now_ns() >= deadline)) {
		int n = epoll_wait(sv.loop.ep, evs, MAX_EVENTS,
				   wait_ms(deadline, sv.loop.ready));

		if (n < 0 && errno != EINTR) {
			report_error(&sv.rep, "epoll_wait", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;

			if (c->fd >= 0 && !c->queued)
				server_event(&sv, c);
		}
		server_run_queue(&sv);
	}
	report_stop(&sv.rep, t0);
	sv.rep.conns_unfinished += sv.open;
	sv.rep.reqs_ok = 0;
	sv.rep.cipher = o->tls != TK_NONE ? o->cipher : NULL;
	ret = report_finish(&sv.rep) ? 1 : 0;
out:
	if (sv.lfd >= 0)
		close(sv.lfd);
	SSL_CTX_free(sv.ctx);
	free(sv.rep.handshake.v);
	return ret;
}

/* Fail before the run, not after it, when the reports cannot be written. */
static int check_output(const struct opts *o)
{
	static const char *const sfx[] = { ".json", ".csv", ".samples.csv" };
	char path[4096];

	for (int i = 0; o->output && i < (o->samples ? 3 : 2); i++) {
		FILE *f;

		if (snprintf(path, sizeof(path), "%s%s", o->output, sfx[i]) >= (int)sizeof(path)) {
			fprintf(stderr, PROG ": --output: prefix too long\n");
			return -ENAMETOOLONG;
		}
		f = fopen(path, "w");
		if (!f) {
			fprintf(stderr, PROG ": --output: %s: %s\n", path, strerror(errno));
			return -errno;
		}
		fclose(f);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o;

	if (parse_opts(argc, argv, &o))
		return 2;
	if (check_output(&o))
		return 1;
	if (o.tls == TK_KTLS && !ktls_available()) {
		fprintf(stderr, PROG ": --tls ktls: %s\n", ktls_strerror(-ENOENT));
		return 3;
	}
	if (o.tls != TK_NONE) {
		secrets_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
		hkdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
		if (secrets_idx < 0 || !hkdf) {
			print_ssl_errors("OpenSSL init");
			return 1;
		}
	}
	set_signals();
	raise_nofile();
	return o.mode == BM_SERVER ? run_server(&o) : run_client(&o);
}
