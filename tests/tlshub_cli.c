// SPDX-License-Identifier: GPL-2.0
/*
 * tlshub_cli: drives ctl/tlshub_client for tests/suites/35-tlshub.sh.
 * Runs its commands in order in one process and keeps going after a
 * failure, so a suite can show that the client survives bad replies.
 * Prints SHA-256 fingerprints of key material, never the keys.
 *
 * Usage: tlshub_cli [--proto N] [--peer-pid N] [--layout v1|v2]
 *          [--node-ip IP] [--timeout MS] [--hs-timeout MS]
 *          [--seq auto|strict|zero] [--cipher aes128|aes256|chacha]
 *          [--max-log-lines N] [--skip-init] [--no-reuse-guard]
 *          [--isn CLIENT:SERVER] CMD...
 * --isn: the connection's ISNs for the v2 key schedule (docs/TLSHUB.md
 * §4), as the daemon reads them from the socket; without it: v1.
 * CMD: fetch TUPLE ROLE | handshake TUPLE | get TUPLE ROLE | stats
 *      TUPLE = SADDR:SPORT-DADDR:DPORT, ROLE = client|server
 * Output: "INIT ok" or "INIT ERR <errno> <text>", then per command
 *   "KEY <tuple> <role> tx=<fp> rx=<fp> cipher=N klen=N"
 *   "OK handshake <tuple>"
 *   "ERR <cmd> <errno-name> <tlshub_strerror>: <tlshub_last_error>"
 *   "STATS requests=.. replies=.. log_lines=.. timeouts=.. bad=..
 *    ignored_sender=.. ignored_seq=.. drained=.. reuse_refused=.."
 * Exit status: 0 if every command succeeded, 1 otherwise, 2 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include "keys/tlshub_client.h"
#include "keys/tlshub_hkdf.h"

static int parse_tuple(const char *s, struct flow_tuple *t)
{
	char a[32], b[32];
	unsigned int sp, dp;

	if (sscanf(s, "%31[0-9.]:%u-%31[0-9.]:%u", a, &sp, b, &dp) != 4 ||
	    sp > 65535 || dp > 65535 ||
	    inet_pton(AF_INET, a, &t->saddr) != 1 ||
	    inet_pton(AF_INET, b, &t->daddr) != 1)
		return -1;
	t->sport = sp;
	t->dport = dp;
	return 0;
}

static void fp(const __u8 *key, __u32 klen, const __u8 *iv, __u32 ivlen,
	       char *out)
{
	struct th_sha256 c;
	__u8 d[TH_SHA256_LEN];
	int i;

	th_sha256_init(&c);
	th_sha256_update(&c, key, klen);
	th_sha256_update(&c, iv, ivlen);
	th_sha256_final(&c, d);
	for (i = 0; i < 12; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static const char *errname(int e)
{
	switch (-e) {
	case ETIMEDOUT: return "ETIMEDOUT";
	case ECONNREFUSED: return "ECONNREFUSED";
	case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
	case ENOKEY: return "ENOKEY";
	case EKEYEXPIRED: return "EKEYEXPIRED";
	case EBADMSG: return "EBADMSG";
	case EPROTO: return "EPROTO";
	case ECONNABORTED: return "ECONNABORTED";
	case ESTALE: return "ESTALE";
	case ENOTCONN: return "ENOTCONN";
	case EINVAL: return "EINVAL";
	case ENOENT: return "ENOENT";
	}
	return "E?";
}

static int report(const char *cmd, int r)
{
	if (r)
		printf("ERR %s %s %s: %s\n", cmd, errname(r),
		       tlshub_strerror(r), tlshub_last_error());
	return r ? 1 : 0;
}

static struct flow_isn isn_opt;
static int have_isn;

static int role_of(const char *s, enum tlshub_role *r)
{
	if (!strcmp(s, "client"))
		*r = TLSHUB_ROLE_CLIENT;
	else if (!strcmp(s, "server"))
		*r = TLSHUB_ROLE_SERVER;
	else
		return -1;
	return 0;
}

static int do_key(const char *cmd, const char *ts, const char *rs)
{
	struct flow_tuple t = { 0 };
	struct tls_key_info ki;
	enum tlshub_role role;
	char tx[32], rx[32];
	int r;

	if (parse_tuple(ts, &t) || role_of(rs, &role)) {
		fprintf(stderr, "tlshub_cli: bad tuple '%s' or role '%s'\n",
			ts, rs);
		exit(2);
	}
	r = !strcmp(cmd, "get") ?
	    tlshub_get_key_conn(&t, have_isn ? &isn_opt : NULL, &ki, role) :
	    tlshub_fetch_key_conn(&t, have_isn ? &isn_opt : NULL, &ki, role);
	if (report(cmd, r))
		return 1;
	fp(ki.key, ki.key_len, ki.iv, ki.iv_len, tx);
	fp(ki.rx_key, ki.key_len, ki.rx_iv, ki.iv_len, rx);
	printf("KEY %s %s tx=%s rx=%s cipher=%u klen=%u\n", ts, rs, tx, rx,
	       ki.cipher, ki.key_len);
	explicit_bzero(&ki, sizeof(ki));
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: tlshub_cli [options] CMD... "
		"(see tests/tlshub_cli.c)\n");
	exit(2);
}

static void parse_opts(int argc, char **argv, struct tlshub_config *c)
{
	static const struct option lo[] = {
		{ "proto", 1, 0, 'N' }, { "peer-pid", 1, 0, 'P' },
		{ "layout", 1, 0, 'l' }, { "node-ip", 1, 0, 'i' },
		{ "timeout", 1, 0, 't' }, { "hs-timeout", 1, 0, 'T' },
		{ "seq", 1, 0, 's' }, { "cipher", 1, 0, 'c' },
		{ "max-log-lines", 1, 0, 'm' }, { "skip-init", 0, 0, 'k' },
		{ "no-reuse-guard", 0, 0, 'g' }, { "isn", 1, 0, 'I' }, { 0 }
	};
	int o;

	while ((o = getopt_long(argc, argv, "+", lo, NULL)) != -1) {
		switch (o) {
		case 'N': c->protocol = atoi(optarg); break;
		case 'P': c->peer_pid = strtoul(optarg, NULL, 10); break;
		case 'l':
			c->layout = !strcmp(optarg, "v1") ? TLSHUB_LAYOUT_V1 :
				    !strcmp(optarg, "v2") ? TLSHUB_LAYOUT_V2 :
				    99;
			break;
		case 'i':
			if (inet_pton(AF_INET, optarg, &c->server_node_ip) != 1)
				usage();
			break;
		case 't': c->timeout_ms = atoi(optarg); break;
		case 'T': c->handshake_timeout_ms = atoi(optarg); break;
		case 's':
			c->seq_check = !strcmp(optarg, "strict") ? TLSHUB_SEQ_STRICT :
				       !strcmp(optarg, "zero") ? TLSHUB_SEQ_ZERO_OK :
				       TLSHUB_SEQ_AUTO;
			break;
		case 'c':
			c->cipher = !strcmp(optarg, "aes256") ? TCSEG_CIPHER_AES_GCM_256 :
				    !strcmp(optarg, "chacha") ?
				    TCSEG_CIPHER_CHACHA20_POLY1305 :
				    TCSEG_CIPHER_AES_GCM_128;
			break;
		case 'm': c->max_log_lines = atoi(optarg); break;
		case 'k': c->skip_init = 1; break;
		case 'g': c->no_reuse_guard = 1; break;
		case 'I':
			if (sscanf(optarg, "%u:%u", &isn_opt.client,
				   &isn_opt.server) != 2)
				usage();
			have_isn = 1;
			break;
		default: usage();
		}
	}
}

int main(int argc, char **argv)
{
	struct tlshub_config cfg = { 0 };
	struct tlshub_stats st;
	struct flow_tuple t = { 0 };
	int i, r, fails = 0;

	parse_opts(argc, argv, &cfg);
	setvbuf(stdout, NULL, _IOLBF, 0);
	r = tlshub_client_configure(&cfg);
	if (r) {
		printf("CONFIG ERR %s: %s\n", errname(r), tlshub_last_error());
		return 1;
	}
	r = tlshub_client_init();
	if (r) {
		printf("INIT ERR %s %s: %s\n", errname(r), tlshub_strerror(r),
		       tlshub_last_error());
		fails++;
	} else {
		printf("INIT ok\n");
	}
	for (i = optind; i < argc; i++) {
		if (!strcmp(argv[i], "stats")) {
			tlshub_client_stats(&st);
			printf("STATS requests=%llu replies=%llu log_lines=%llu "
			       "timeouts=%llu bad=%llu ignored_sender=%llu "
			       "ignored_seq=%llu drained=%llu "
			       "reuse_refused=%llu\n",
			       st.requests, st.replies, st.log_lines,
			       st.timeouts, st.bad_replies, st.ignored_sender,
			       st.ignored_seq, st.drained, st.reuse_refused);
		} else if (!strcmp(argv[i], "handshake") && i + 1 < argc) {
			if (parse_tuple(argv[++i], &t))
				usage();
			r = tlshub_handshake(&t);
			if (!report("handshake", r))
				printf("OK handshake %s\n", argv[i]);
			fails += !!r;
		} else if ((!strcmp(argv[i], "fetch") ||
			    !strcmp(argv[i], "get")) && i + 2 < argc) {
			fails += do_key(argv[i], argv[i + 1], argv[i + 2]);
			i += 2;
		} else {
			usage();
		}
	}
	tlshub_client_cleanup();
	return fails ? 1 : 0;
}
