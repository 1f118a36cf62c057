// SPDX-License-Identifier: GPL-2.0
/*
 * kp_peer: one node of the key provider for the host and VM suites. Runs
 * the node's key service, gets keys for flows (client or server end) and
 * prints a SHA-256 fingerprint of the key material (never the keys), or
 * connects/accepts one TCP connection, gets its keys and puts kTLS on it.
 *
 * Usage: kp_peer --mode openssl|boringssl --node NAME --map FILE
 *          [--certs DIR | --cert F --key F --ca F] [--listen IP:PORT]
 *          [--cipher aes128|aes256|chacha] [--wait MS] [--timeout MS]
 *          [--get SADDR:SPORT-DADDR:DPORT]... [--bench N]
 *          [--ktls-server IP:PORT | --ktls-client IP:PORT] [--marker M]
 *          [--serve SEC]
 * --certs DIR means DIR/ca.pem, DIR/NODE.pem, DIR/NODE.key.
 * Map file, one line per address range:  CIDR NODE KEYSVC_IP:PORT
 * --get: role from the map (our node is saddr: client; daddr: server).
 * --bench N: N flows from --get's tuple with sport+5000+i: prints the
 *   first flow's time (handshake) and the mean of the others.
 * --bench-fresh N: N flows each on a new node instance (a new TLS
 *   handshake every time, library warm): "BENCH_FRESH mean_ms=A n=N".
 * --serve SEC: keep the key service up SEC seconds after everything else
 *   (stops early on SIGTERM/SIGINT).
 * Output: "READY port=P", "KEY tuple role=R cipher=C fp=HEX ms=T",
 *   "BENCH first_ms=A next_ms=B n=N", "OK marker", "OK echo",
 *   "STATS handshakes=H reuses=R announced=A received=V claimed=C
 *   rejected=X accept_errors=E". Errors on stderr, exit status 1.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "keys/key_provider.h"
#include "keys/kp_tls.h"
#include "keys/ktls.h"

/* ---------- SHA-256 (FIPS 180-4), only for fingerprints ---------- */

static const uint32_t K256[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b,
	0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01,
	0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7,
	0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
	0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152,
	0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
	0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
	0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08,
	0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f,
	0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(uint32_t *h, const unsigned char *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, k, t1, t2;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | p[4 * i + 1] << 16 |
		       p[4 * i + 2] << 8 | p[4 * i + 3];
	for (; i < 64; i++)
		w[i] = w[i - 16] + w[i - 7] +
		       (ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^
			(w[i - 15] >> 3)) +
		       (ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^
			(w[i - 2] >> 10));
	a = h[0]; b = h[1]; c = h[2]; d = h[3];
	e = h[4]; f = h[5]; g = h[6]; k = h[7];
	for (i = 0; i < 64; i++) {
		t1 = k + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) +
		     ((e & f) ^ (~e & g)) + K256[i] + w[i];
		t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) +
		     ((a & b) ^ (a & c) ^ (b & c));
		k = g; g = f; f = e; e = d + t1;
		d = c; c = b; b = a; a = t1 + t2;
	}
	h[0] += a; h[1] += b; h[2] += c; h[3] += d;
	h[4] += e; h[5] += f; h[6] += g; h[7] += k;
}

/* len < 56 * 2 is all we need (<= 88 bytes of key material + cipher). */
static void sha256(const unsigned char *msg, size_t len, unsigned char *out)
{
	uint32_t h[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
			  0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
	unsigned char buf[192] = { 0 };
	size_t n = len + 9 <= 64 ? 64 : len + 9 <= 128 ? 128 : 192, i;
	uint64_t bits = (uint64_t)len * 8;

	memcpy(buf, msg, len);
	buf[len] = 0x80;
	for (i = 0; i < 8; i++)
		buf[n - 1 - i] = bits >> (8 * i);
	for (i = 0; i < n; i += 64)
		sha256_block(h, buf + i);
	for (i = 0; i < 32; i++)
		out[i] = h[i / 4] >> (24 - 8 * (i % 4));
	explicit_bzero(buf, sizeof(buf));
}

/* ---------- map file ---------- */

struct range {
	__u32 net, mask;	/* host order */
	char node[KP_NODE_NAME_MAX];
	struct sockaddr_in svc;
};

static struct range ranges[64];
static int nranges;

static int parse_ipport(const char *s, struct sockaddr_in *sa)
{
	char ip[64], *colon;
	long port;

	if (snprintf(ip, sizeof(ip), "%s", s) >= (int)sizeof(ip))
		return -1;
	colon = strrchr(ip, ':');
	if (!colon)
		return -1;
	*colon = 0;
	port = strtol(colon + 1, NULL, 10);
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons(port);
	return port > 0 && port < 65536 &&
	       inet_pton(AF_INET, ip, &sa->sin_addr) == 1 ? 0 : -1;
}

static void load_map(const char *file)
{
	char line[256], cidr[64], node[128], svc[64], *slash;
	FILE *f = fopen(file, "r");
	struct in_addr a;
	int ln = 0, bits;

	if (!f) {
		fprintf(stderr, "kp_peer: %s: %s\n", file, strerror(errno));
		exit(1);
	}
	while (fgets(line, sizeof(line), f)) {
		struct range *r = &ranges[nranges];

		ln++;
		if (line[strspn(line, " \t")] == '#' ||
		    line[strspn(line, " \t\n")] == 0)
			continue;
		bits = 32;
		if (nranges == 64 ||
		    sscanf(line, "%63s %127s %63s", cidr, node, svc) != 3 ||
		    strlen(node) >= KP_NODE_NAME_MAX)
			goto bad;
		slash = strchr(cidr, '/');
		if (slash) {
			*slash = 0;
			bits = atoi(slash + 1);
		}
		if (bits < 0 || bits > 32 || inet_pton(AF_INET, cidr, &a) != 1
		    || parse_ipport(svc, &r->svc))
			goto bad;
		r->mask = bits ? ~0u << (32 - bits) : 0;
		r->net = ntohl(a.s_addr) & r->mask;
		snprintf(r->node, sizeof(r->node), "%s", node);
		nranges++;
	}
	fclose(f);
	return;
bad:
	fprintf(stderr, "kp_peer: %s:%d: expected 'CIDR NODE IP:PORT'\n",
		file, ln);
	exit(1);
}

static int lookup(void *arg, __u32 addr, char *node, size_t len,
		  struct sockaddr_in *svc)
{
	__u32 h = ntohl(addr);
	int i, best = -1;

	(void)arg;
	for (i = 0; i < nranges; i++)
		if ((h & ranges[i].mask) == ranges[i].net &&
		    (best < 0 || ranges[i].mask > ranges[best].mask))
			best = i;
	if (best < 0)
		return -ENOENT;
	snprintf(node, len, "%s", ranges[best].node);
	*svc = ranges[best].svc;
	return 0;
}

/* ---------- helpers ---------- */

static void die(const char *fmt, const char *a)
{
	fprintf(stderr, "kp_peer: ");
	fprintf(stderr, fmt, a);
	fprintf(stderr, "\n");
	exit(1);
}

static int parse_tuple(const char *s, struct flow_tuple *t)
{
	char buf[128], *dash;
	struct sockaddr_in a, b;

	memset(t, 0, sizeof(*t));
	snprintf(buf, sizeof(buf), "%s", s);
	dash = strchr(buf, '-');
	if (!dash)
		return -1;
	*dash = 0;
	if (parse_ipport(buf, &a) || parse_ipport(dash + 1, &b))
		return -1;
	t->saddr = a.sin_addr.s_addr;
	t->daddr = b.sin_addr.s_addr;
	t->sport = ntohs(a.sin_port);
	t->dport = ntohs(b.sin_port);
	return 0;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void tuple_str(const struct flow_tuple *t, char *buf, size_t len)
{
	char s[INET_ADDRSTRLEN], d[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &t->saddr, s, sizeof(s));
	inet_ntop(AF_INET, &t->daddr, d, sizeof(d));
	snprintf(buf, len, "%s:%u-%s:%u", s, t->sport, d, t->dport);
}

/*
 * Fingerprint of client_write_key | server_write_key | client_write_iv |
 * server_write_iv | cipher: the same on both ends of a flow.
 */
static void fingerprint(const struct tls_key_info *ki, int server, char *hex)
{
	unsigned char m[2 * 32 + 2 * 12 + 2], d[32];
	unsigned int kl = ki->key_len, i;

	memcpy(m, server ? ki->rx_key : ki->key, kl);
	memcpy(m + kl, server ? ki->key : ki->rx_key, kl);
	memcpy(m + 2 * kl, server ? ki->rx_iv : ki->iv, 12);
	memcpy(m + 2 * kl + 12, server ? ki->iv : ki->rx_iv, 12);
	m[2 * kl + 24] = ki->cipher >> 8;
	m[2 * kl + 25] = ki->cipher & 0xff;
	sha256(m, 2 * kl + 26, d);
	explicit_bzero(m, sizeof(m));
	for (i = 0; i < 32; i++)
		sprintf(hex + 2 * i, "%02x", d[i]);
}

static int get_key(struct kp_node *n, const struct flow_tuple *t,
		   enum kp_role role, struct tls_key_info *ki, double *ms)
{
	double t0 = now_ms();
	int r = kp_node_get_key(n, t, role, ki);

	*ms = now_ms() - t0;
	if (r)
		fprintf(stderr, "kp_peer: get_key: %s\n",
			key_provider_last_error());
	return r;
}

static int is_server(const char *node, const struct flow_tuple *t)
{
	char name[KP_NODE_NAME_MAX];
	struct sockaddr_in svc;

	return lookup(NULL, t->daddr, name, sizeof(name), &svc) == 0 &&
	       !strcmp(name, node) &&
	       !(lookup(NULL, t->saddr, name, sizeof(name), &svc) == 0 &&
		 !strcmp(name, node));
}

static void print_key(const char *node, const struct flow_tuple *t,
		      const struct tls_key_info *ki, double ms)
{
	char ts[80], fp[65];
	int srv = is_server(node, t);

	tuple_str(t, ts, sizeof(ts));
	fingerprint(ki, srv, fp);
	printf("KEY %s role=%s cipher=%u fp=%s ms=%.3f\n", ts,
	       srv ? "server" : "client", ki->cipher, fp, ms);
	fflush(stdout);
}

/* ---------- kTLS over one TCP connection ---------- */

static int io_all(int fd, void *buf, size_t len, int rd)
{
	unsigned char *p = buf;
	size_t done = 0;
	ssize_t r;

	while (done < len) {
		struct pollfd pf = { .fd = fd, .events = rd ? POLLIN : POLLOUT };

		if (poll(&pf, 1, 10000) <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		r = rd ? recv(fd, p + done, len - done, 0) :
			 send(fd, p + done, len - done, MSG_NOSIGNAL);
		if (r <= 0) {
			if (r == 0)
				errno = ECONNRESET;
			return -1;
		}
		done += r;
	}
	return 0;
}

static int sock_tuple(int fd, int server, struct flow_tuple *t)
{
	struct sockaddr_in l, p;
	socklen_t ll = sizeof(l), pl = sizeof(p);

	if (getsockname(fd, (struct sockaddr *)&l, &ll) ||
	    getpeername(fd, (struct sockaddr *)&p, &pl))
		return -1;
	memset(t, 0, sizeof(*t));
	t->saddr = server ? p.sin_addr.s_addr : l.sin_addr.s_addr;
	t->sport = ntohs(server ? p.sin_port : l.sin_port);
	t->daddr = server ? l.sin_addr.s_addr : p.sin_addr.s_addr;
	t->dport = ntohs(server ? l.sin_port : p.sin_port);
	return 0;
}

static int ktls_flow(struct kp_node *n, const char *node, const char *where,
		     int server, const char *marker)
{
	size_t ml = strlen(marker), el = ml + 5;
	char buf[512], echo[512];
	struct sockaddr_in sa;
	struct flow_tuple t;
	struct tls_key_info ki;
	int fd, lfd = -1, one = 1, r;
	double ms;

	if (parse_ipport(where, &sa) || el >= sizeof(buf))
		die("bad address or marker: %s", where);
	snprintf(echo, sizeof(echo), "ECHO:%s", marker);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (server) {
		lfd = fd;
		setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) ||
		    listen(lfd, 1))
			die("listen: %s", strerror(errno));
		printf("LISTENING %s\n", where);
		fflush(stdout);
		fd = accept(lfd, NULL, NULL);
	} else if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		die("connect: %s", strerror(errno));
	}
	if (fd < 0 || sock_tuple(fd, server, &t))
		die("accept: %s", strerror(errno));
	if (get_key(n, &t, server ? KP_ROLE_SERVER : KP_ROLE_CLIENT, &ki,
		    &ms))
		return 1;
	print_key(node, &t, &ki, ms);
	r = configure_ktls(fd, &ki);
	explicit_bzero(&ki, sizeof(ki));
	if (r) {
		fprintf(stderr, "kp_peer: configure_ktls: %s\n",
			ktls_strerror(r));
		return 1;
	}
	if (server) {
		if (io_all(fd, buf, ml, 1) || memcmp(buf, marker, ml))
			die("marker not received: %s", strerror(errno));
		printf("OK marker\n");
		if (io_all(fd, echo, el, 0))
			die("send echo: %s", strerror(errno));
	} else {
		if (io_all(fd, (void *)marker, ml, 0))
			die("send marker: %s", strerror(errno));
		if (io_all(fd, buf, el, 1) || memcmp(buf, echo, el))
			die("echo not received: %s", strerror(errno));
		printf("OK echo\n");
	}
	fflush(stdout);
	/* Let the last record leave before the socket goes. */
	shutdown(fd, SHUT_WR);
	io_all(fd, buf, 1, 1);
	close(fd);
	if (lfd >= 0)
		close(lfd);
	return 0;
}

static int bench_fresh(const struct kp_config *base,
		       enum key_provider_mode mode, const struct flow_tuple *t0,
		       int count)
{
	struct kp_config cfg = *base;
	struct flow_tuple t = *t0;
	struct tls_key_info ki;
	struct kp_node *n;
	double ms, sum = 0;
	int i;

	cfg.serve = 0;
	for (i = 0; i < count; i++) {
		if (kp_node_new(&cfg, mode, &n))
			die("%s", key_provider_last_error());
		t.sport += 1000;
		if (get_key(n, &t, KP_ROLE_AUTO, &ki, &ms)) {
			kp_node_free(n);
			return 1;
		}
		explicit_bzero(&ki, sizeof(ki));
		sum += ms;
		kp_node_free(n);
	}
	printf("BENCH_FRESH mean_ms=%.3f n=%d\n", sum / count, count);
	return 0;
}

/* ---------- main ---------- */

static volatile sig_atomic_t stop;

static void on_sig(int s)
{
	(void)s;
	stop = 1;
}

static __u16 parse_cipher(const char *s)
{
	if (!strcmp(s, "aes128"))
		return TCSEG_CIPHER_AES_GCM_128;
	if (!strcmp(s, "aes256"))
		return TCSEG_CIPHER_AES_GCM_256;
	if (!strcmp(s, "chacha"))
		return TCSEG_CIPHER_CHACHA20_POLY1305;
	die("unknown cipher %s (aes128|aes256|chacha)", s);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "mode", 1, NULL, 'm' }, { "node", 1, NULL, 'n' },
		{ "map", 1, NULL, 'M' }, { "certs", 1, NULL, 'd' },
		{ "cert", 1, NULL, 'c' }, { "key", 1, NULL, 'k' },
		{ "ca", 1, NULL, 'a' }, { "listen", 1, NULL, 'l' },
		{ "cipher", 1, NULL, 'C' }, { "wait", 1, NULL, 'w' },
		{ "timeout", 1, NULL, 't' }, { "get", 1, NULL, 'g' },
		{ "bench", 1, NULL, 'b' }, { "ktls-server", 1, NULL, 'S' },
		{ "ktls-client", 1, NULL, 'K' }, { "marker", 1, NULL, 'x' },
		{ "serve", 1, NULL, 's' }, { "bench-fresh", 1, NULL, 'F' },
		{ NULL, 0, NULL, 0 },
	};
	char cert[600], key[600], ca[600], *certs = NULL;
	const char *ktls_srv = NULL, *ktls_cli = NULL, *marker = "tcseg-marker";
	enum key_provider_mode mode = MODE_OPENSSL;
	struct flow_tuple gets[32];
	struct kp_config cfg = { 0 };
	int ngets = 0, bench = 0, fresh = 0, serve = 0, c, i, rc = 0;
	struct kp_node *n = NULL;
	struct tls_key_info ki;
	struct kp_stats st;
	double ms;

	cfg.flow_wait_ms = 10000;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'm':
			mode = !strcmp(optarg, "openssl") ? MODE_OPENSSL :
			       !strcmp(optarg, "boringssl") ? MODE_BORINGSSL :
			       MODE_TLSHUB;
			if (mode == MODE_TLSHUB)
				die("unknown mode %s", optarg);
			break;
		case 'n': cfg.node_name = optarg; break;
		case 'M': load_map(optarg); break;
		case 'd': certs = optarg; break;
		case 'c': cfg.cert_file = optarg; break;
		case 'k': cfg.key_file = optarg; break;
		case 'a': cfg.ca_file = optarg; break;
		case 'l':
			if (parse_ipport(optarg, &cfg.listen) &&
			    strcmp(optarg, "0"))
				die("bad --listen %s (IP:PORT)", optarg);
			cfg.serve = 1;
			break;
		case 'C': cfg.cipher = parse_cipher(optarg); break;
		case 'w': cfg.flow_wait_ms = atoi(optarg); break;
		case 't':
			cfg.connect_timeout_ms = cfg.io_timeout_ms =
				atoi(optarg);
			break;
		case 'g':
			if (ngets == 32 || parse_tuple(optarg, &gets[ngets++]))
				die("bad --get %s (S:P-D:P)", optarg);
			break;
		case 'b': bench = atoi(optarg); break;
		case 'S': ktls_srv = optarg; break;
		case 'K': ktls_cli = optarg; break;
		case 'x': marker = optarg; break;
		case 's': serve = atoi(optarg); break;
		case 'F': fresh = atoi(optarg); break;
		default:
			die("%s", "usage: see the comment at the top of "
			    "tests/kp_peer.c");
		}
	}
	if (!cfg.node_name || !nranges)
		die("%s", "--node and --map are required");
	if (certs) {
		snprintf(cert, sizeof(cert), "%s/%s.pem", certs, cfg.node_name);
		snprintf(key, sizeof(key), "%s/%s.key", certs, cfg.node_name);
		snprintf(ca, sizeof(ca), "%s/ca.pem", certs);
		cfg.cert_file = cfg.cert_file ?: cert;
		cfg.key_file = cfg.key_file ?: key;
		cfg.ca_file = cfg.ca_file ?: ca;
	}
	cfg.lookup = lookup;
	signal(SIGTERM, on_sig);
	signal(SIGINT, on_sig);
	if (kp_node_new(&cfg, mode, &n))
		die("%s", key_provider_last_error());
	printf("READY port=%d lib=%s\n", kp_node_port(n),
	       kp_node_tls(n)->version());
	fflush(stdout);
	for (i = 0; i < ngets && !rc; i++) {
		rc = get_key(n, &gets[i], KP_ROLE_AUTO, &ki, &ms);
		if (!rc)
			print_key(cfg.node_name, &gets[i], &ki, ms);
		explicit_bzero(&ki, sizeof(ki));
	}
	if (bench > 0 && ngets && !rc) {
		struct flow_tuple t = gets[0];
		double first = 0, rest = 0;

		/* clear of the --get tuples, which the server side claims */
		t.sport += 5000;

		for (i = 0; i < bench && !rc; i++) {
			t.sport++;
			rc = get_key(n, &t, KP_ROLE_AUTO, &ki, &ms);
			explicit_bzero(&ki, sizeof(ki));
			if (i == 0)
				first = ms;
			else
				rest += ms;
		}
		if (!rc)
			printf("BENCH first_ms=%.3f next_ms=%.4f n=%d\n",
			       first, bench > 1 ? rest / (bench - 1) : 0.0,
			       bench);
	}
	if (fresh > 0 && ngets && !rc)
		rc = bench_fresh(&cfg, mode, &gets[0], fresh);
	if (!rc && (ktls_srv || ktls_cli))
		rc = ktls_flow(n, cfg.node_name, ktls_srv ?: ktls_cli,
			       !!ktls_srv, marker);
	for (i = 0; i < serve * 10 && !stop; i++)
		usleep(100000);
	kp_node_stats(n, &st);
	printf("STATS handshakes=%llu reuses=%llu announced=%llu "
	       "received=%llu claimed=%llu rejected=%llu accept_errors=%llu\n",
	       (unsigned long long)st.handshakes,
	       (unsigned long long)st.reuses,
	       (unsigned long long)st.announced,
	       (unsigned long long)st.received,
	       (unsigned long long)st.claimed,
	       (unsigned long long)st.rejected,
	       (unsigned long long)st.accept_errors);
	kp_node_free(n);
	return rc ? 1 : 0;
}
