// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for ctl/keys/ktls.c: the crypto_info bytes for every (version,
 * cipher) against hand-written offsets (not the kernel structs), sequence
 * number endianness, rejection of hostile lengths/ids before any syscall,
 * and configure_ktls on a real loopback TCP connection: "kernel TLS not
 * available" on a kernel without tls, working encrypted I/O where it has it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "keys/ktls.h"

/* Layout of one crypto_info, written out by hand from <linux/tls.h>. */
struct layout {
	__u16 cipher;
	__u32 key_len;
	size_t total, iv_off, iv_len, key_off, salt_off, salt_len, seq_off;
};

static const struct layout layouts[] = {
	{ 51, 16, 40, 4, 8, 12, 28, 4, 32 },	/* AES-GCM-128 */
	{ 52, 32, 56, 4, 8, 12, 44, 4, 48 },	/* AES-GCM-256 */
	{ 54, 32, 56, 4, 12, 16, 48, 0, 48 },	/* ChaCha20-Poly1305 */
};

static const __u16 versions[] = { 0x0303, 0x0304 };

static void fill_keys(struct tls_key_info *ki, __u16 version, __u16 cipher,
		      __u32 key_len)
{
	int i;

	memset(ki, 0, sizeof(*ki));
	for (i = 0; i < 32; i++) {
		ki->key[i] = 0x10 + i;
		ki->rx_key[i] = 0x80 + i;
	}
	for (i = 0; i < 16; i++) {
		ki->iv[i] = 0x40 + i;
		ki->rx_iv[i] = 0xc0 + i;
	}
	ki->key_len = key_len;
	ki->iv_len = 12;
	ki->tx_seq = 0x0102030405060708ULL;
	ki->rx_seq = 0xa1a2a3a4a5a6a7a8ULL;
	ki->version = version;
	ki->cipher = cipher;
}

static void check_bytes(const unsigned char *buf, size_t len,
			const struct layout *l, __u16 version,
			const __u8 *key, const __u8 *iv, __u64 seq)
{
	__u16 v, c;
	int i;

	assert_int_equal(len, l->total);
	memcpy(&v, buf, 2);
	memcpy(&c, buf + 2, 2);
	assert_int_equal(v, version);
	assert_int_equal(c, l->cipher);
	/* Salt = first salt_len IV bytes, kernel iv = the rest of the 12. */
	assert_memory_equal(buf + l->salt_off, iv, l->salt_len);
	assert_memory_equal(buf + l->iv_off, iv + l->salt_len, l->iv_len);
	assert_int_equal(l->salt_len + l->iv_len, 12);
	assert_memory_equal(buf + l->key_off, key, l->key_len);
	for (i = 0; i < 8; i++)
		assert_int_equal(buf[l->seq_off + i],
				 (seq >> (56 - 8 * i)) & 0xff);
}

static void test_crypto_info_all_combos(void **state)
{
	unsigned char buf[KTLS_CRYPTO_INFO_MAX + 8];
	struct tls_key_info ki;
	size_t len, i, j;

	(void)state;
	for (i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++) {
		for (j = 0; j < 2; j++) {
			const struct layout *l = &layouts[i];

			fill_keys(&ki, versions[j], l->cipher, l->key_len);
			len = sizeof(buf);
			memset(buf, 0xee, sizeof(buf));
			assert_int_equal(ktls_build_crypto_info(&ki,
				KTLS_DIR_TX, buf, &len), 0);
			check_bytes(buf, len, l, versions[j], ki.key, ki.iv,
				    ki.tx_seq);
			/* Nothing written past the struct. */
			assert_int_equal(buf[l->total], 0xee);

			len = sizeof(buf);
			assert_int_equal(ktls_build_crypto_info(&ki,
				KTLS_DIR_RX, buf, &len), 0);
			check_bytes(buf, len, l, versions[j], ki.rx_key,
				    ki.rx_iv, ki.rx_seq);
		}
	}
}

static void test_crypto_info_seed_defaults(void **state)
{
	unsigned char buf[KTLS_CRYPTO_INFO_MAX];
	struct tls_key_info ki;
	size_t len = sizeof(buf);

	(void)state;
	/* Seed 001 struct: only key/iv/key_len/iv_len set. */
	fill_keys(&ki, 0, 0, 16);
	assert_int_equal(ktls_build_crypto_info(&ki, KTLS_DIR_TX, buf, &len),
			 0);
	check_bytes(buf, len, &layouts[0], 0x0304, ki.key, ki.iv, ki.tx_seq);
	/* Default AES-128 still wants a 16-byte key. */
	ki.key_len = 32;
	len = sizeof(buf);
	assert_int_equal(ktls_build_crypto_info(&ki, KTLS_DIR_TX, buf, &len),
			 -EINVAL);
}

static void test_rec_seq_big_endian(void **state)
{
	static const unsigned char one[8] = { 0, 0, 0, 0, 0, 0, 0, 1 };
	static const unsigned char big[8] = {
		0xff, 0xee, 0xdd, 0xcc, 0xbb, 0xaa, 0x99, 0x88 };
	unsigned char buf[KTLS_CRYPTO_INFO_MAX];
	struct tls_key_info ki;
	size_t len = sizeof(buf);

	(void)state;
	fill_keys(&ki, 0x0304, 51, 16);
	ki.tx_seq = 1;
	ki.rx_seq = 0xffeeddccbbaa9988ULL;
	assert_int_equal(ktls_build_crypto_info(&ki, KTLS_DIR_TX, buf, &len),
			 0);
	assert_memory_equal(buf + 32, one, 8);
	len = sizeof(buf);
	assert_int_equal(ktls_build_crypto_info(&ki, KTLS_DIR_RX, buf, &len),
			 0);
	assert_memory_equal(buf + 32, big, 8);
}

static int build(struct tls_key_info *ki)
{
	unsigned char buf[KTLS_CRYPTO_INFO_MAX];
	size_t len = sizeof(buf);

	return ktls_build_crypto_info(ki, KTLS_DIR_TX, buf, &len);
}

static void test_invalid_rejected(void **state)
{
	static const __u32 bad_key128[] = { 0, 1, 15, 17, 24, 32, 0xffffffff };
	static const __u32 bad_key256[] = { 0, 16, 31, 33, 64, 0xffffffff };
	static const __u32 bad_iv[] = { 0, 8, 11, 13, 16, 0xffffffff };
	static const __u16 bad_cipher[] = { 1, 50, 53, 55, 56, 57, 58, 0xffff };
	static const __u16 bad_version[] = { 0x0301, 0x0302, 0x0305, 0x0403,
					     0xffff };
	unsigned char buf[KTLS_CRYPTO_INFO_MAX];
	struct tls_key_info ki;
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(bad_key128) / sizeof(bad_key128[0]); i++) {
		fill_keys(&ki, 0x0304, 51, bad_key128[i]);
		assert_int_equal(build(&ki), -EINVAL);
	}
	for (i = 0; i < sizeof(bad_key256) / sizeof(bad_key256[0]); i++) {
		fill_keys(&ki, 0x0303, 52, bad_key256[i]);
		assert_int_equal(build(&ki), -EINVAL);
		fill_keys(&ki, 0x0304, 54, bad_key256[i]);
		assert_int_equal(build(&ki), -EINVAL);
	}
	for (i = 0; i < sizeof(bad_iv) / sizeof(bad_iv[0]); i++) {
		fill_keys(&ki, 0x0304, 54, 32);
		ki.iv_len = bad_iv[i];
		assert_int_equal(build(&ki), -EINVAL);
	}
	for (i = 0; i < sizeof(bad_cipher) / sizeof(bad_cipher[0]); i++) {
		fill_keys(&ki, 0x0304, bad_cipher[i], 16);
		assert_int_equal(build(&ki), -EINVAL);
	}
	for (i = 0; i < sizeof(bad_version) / sizeof(bad_version[0]); i++) {
		fill_keys(&ki, bad_version[i], 51, 16);
		assert_int_equal(build(&ki), -EINVAL);
	}
	/* Bad direction, NULLs, short buffer. */
	fill_keys(&ki, 0x0304, 52, 32);
	assert_int_equal(build(&ki), 0);
	len = sizeof(buf);
	assert_int_equal(ktls_build_crypto_info(&ki, 0, buf, &len), -EINVAL);
	assert_int_equal(ktls_build_crypto_info(&ki, 3, buf, &len), -EINVAL);
	assert_int_equal(ktls_build_crypto_info(NULL, 1, buf, &len), -EINVAL);
	assert_int_equal(ktls_build_crypto_info(&ki, 1, NULL, &len), -EINVAL);
	assert_int_equal(ktls_build_crypto_info(&ki, 1, buf, NULL), -EINVAL);
	len = 55;
	assert_int_equal(ktls_build_crypto_info(&ki, 1, buf, &len), -ENOSPC);
	assert_int_equal(len, 55);
}

/*
 * Hostile values are refused before any syscall: on a pipe (not a
 * socket) a syscall would give -ENOTSOCK, validation gives -EINVAL.
 */
static void test_invalid_no_syscall(void **state)
{
	struct tls_key_info ki;
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	fill_keys(&ki, 0x0304, 51, 16);
	assert_int_equal(configure_ktls(p[0], &ki), -ENOTSOCK);
	ki.key_len = 33;
	assert_int_equal(configure_ktls(p[0], &ki), -EINVAL);
	assert_int_equal(enable_ktls_tx(p[0], &ki), -EINVAL);
	assert_int_equal(enable_ktls_rx(p[0], &ki), -EINVAL);
	fill_keys(&ki, 0x0304, 51, 16);
	ki.iv_len = 1000;
	assert_int_equal(configure_ktls(p[0], &ki), -EINVAL);
	assert_int_equal(configure_ktls(p[0], NULL), -EINVAL);
	assert_int_equal(configure_ktls(-1, &ki), -EBADF);
	assert_int_equal(ktls_state(p[0]), -ENOTSOCK);
	close(p[0]);
	close(p[1]);
}

static void test_strerror(void **state)
{
	(void)state;
	assert_non_null(strstr(ktls_strerror(-ENOENT),
			       "kernel TLS not available"));
	assert_non_null(strstr(ktls_strerror(-ENOPKG),
			       "cipher not available in the kernel crypto API"));
	assert_non_null(strstr(ktls_strerror(-EEXIST), "ULP"));
	assert_string_equal(ktls_strerror(-EPIPE), strerror(EPIPE));
	assert_non_null(ktls_strerror(12345));
}

/* A connected loopback pair: *c connected to *s (accepted). */
static void tcp_pair(int *c, int *s)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct timeval tv = { .tv_sec = 10 };
	socklen_t alen = sizeof(a);
	int l;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(l >= 0);
	assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(l, 1), 0);
	assert_int_equal(getsockname(l, (struct sockaddr *)&a, &alen), 0);
	*c = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(*c >= 0);
	assert_int_equal(connect(*c, (struct sockaddr *)&a, sizeof(a)), 0);
	*s = accept(l, NULL, NULL);
	assert_true(*s >= 0);
	close(l);
	/* A lost record must fail the test, not hang it. */
	assert_int_equal(setsockopt(*c, SOL_SOCKET, SO_RCVTIMEO, &tv,
				    sizeof(tv)), 0);
	assert_int_equal(setsockopt(*s, SOL_SOCKET, SO_RCVTIMEO, &tv,
				    sizeof(tv)), 0);
}

/* Server side keys: TX = client's RX and the other way round. */
static void mirror(const struct tls_key_info *c, struct tls_key_info *s)
{
	*s = *c;
	memcpy(s->key, c->rx_key, 32);
	memcpy(s->iv, c->rx_iv, 16);
	memcpy(s->rx_key, c->key, 32);
	memcpy(s->rx_iv, c->iv, 16);
	s->tx_seq = c->rx_seq;
	s->rx_seq = c->tx_seq;
}

static void ktls_roundtrip(int c, int s, __u16 version, __u16 cipher,
			   __u32 key_len)
{
	struct tls_key_info kc, ks;
	char buf[64];

	fill_keys(&kc, version, cipher, key_len);
	mirror(&kc, &ks);
	assert_int_equal(configure_ktls(c, &kc), 0);
	assert_int_equal(configure_ktls(s, &ks), 0);
	assert_int_equal(ktls_state(c), 3);
	assert_int_equal(ktls_state(s), 3);
	assert_int_equal(send(c, "ping-ktls", 9, 0), 9);
	assert_int_equal(recv(s, buf, 9, MSG_WAITALL), 9);
	assert_memory_equal(buf, "ping-ktls", 9);
	assert_int_equal(send(s, "pong", 4, 0), 4);
	assert_int_equal(recv(c, buf, 4, MSG_WAITALL), 4);
	assert_memory_equal(buf, "pong", 4);
	/* A direction can be set only once. */
	assert_int_equal(enable_ktls_tx(c, &kc), -EBUSY);
}

static void test_configure_on_real_socket(void **state)
{
	struct tls_key_info ki;
	int c, s, err, u;

	(void)state;
	tcp_pair(&c, &s);
	assert_int_equal(ktls_state(c), 0);
	fill_keys(&ki, 0x0304, 51, 16);
	if (!ktls_available()) {
		/* Kernel without CONFIG_TLS (the dev/CI host). */
		err = configure_ktls(c, &ki);
		assert_int_equal(err, -ENOENT);
		assert_non_null(strstr(ktls_strerror(err),
				       "kernel TLS not available"));
		assert_int_equal(enable_ktls_rx(s, &ki), -ENOENT);
		assert_int_equal(ktls_state(c), 0);
		/* The socket is untouched: plain TCP still works. */
		assert_int_equal(send(c, "x", 1, 0), 1);
		goto out;
	}
	/* Kernel with tls (the VM): unconnected sockets are refused... */
	u = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(u >= 0);
	assert_int_equal(enable_ktls_tx(u, &ki), -ENOTCONN);
	close(u);
	/* ...and every combination encrypts and decrypts. */
	ktls_roundtrip(c, s, 0x0304, 51, 16);
	close(c);
	close(s);
	tcp_pair(&c, &s);
	ktls_roundtrip(c, s, 0x0303, 51, 16);
	close(c);
	close(s);
	tcp_pair(&c, &s);
	ktls_roundtrip(c, s, 0x0304, 52, 32);
	close(c);
	close(s);
	tcp_pair(&c, &s);
	ktls_roundtrip(c, s, 0x0303, 52, 32);
	close(c);
	close(s);
	tcp_pair(&c, &s);
	ktls_roundtrip(c, s, 0x0304, 54, 32);
	close(c);
	close(s);
	tcp_pair(&c, &s);
	ktls_roundtrip(c, s, 0x0303, 54, 32);
out:
	close(c);
	close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crypto_info_all_combos),
		cmocka_unit_test(test_crypto_info_seed_defaults),
		cmocka_unit_test(test_rec_seq_big_endian),
		cmocka_unit_test(test_invalid_rejected),
		cmocka_unit_test(test_invalid_no_syscall),
		cmocka_unit_test(test_strerror),
		cmocka_unit_test(test_configure_on_real_socket),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
