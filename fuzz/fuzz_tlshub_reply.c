// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: TLSHub replies. Byte 0 picks the request (INIT,
 * START, FETCH) and the path: even = one message payload
 * (tlshub_parse_reply), odd = a whole received datagram of netlink
 * messages (tlshub_handle_datagram: headers, NLMSG_ERROR, sequence
 * numbers, log lines). Invariants: the return values are the documented
 * ones, a FETCH that succeeds with status 0 has a non-zero key, text is
 * printable and terminated, and nothing reads past the datagram.
 */
#include <errno.h>
#include <linux/netlink.h>
#include "keys/tlshub_client.h"
#include "fuzz_util.h"

#define SEQ	0x1234

static void quiet(void *arg, int level, const char *msg)
{
	(void)arg;
	(void)level;
	(void)msg;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct tlshub_config cfg = {
		.peer_pid = 4242,		/* strict sequence numbers */
		.layout = TLSHUB_LAYOUT_V1,
		.max_log_lines = 4,
		.log = quiet,
	};

	(void)argc;
	(void)argv;
	if (tlshub_client_configure(&cfg))
		abort();
	return 0;
}

static void check_reply(int op, const struct tlshub_reply *r)
{
	static const __u8 zero[TLSHUB_MASTER_LEN];
	size_t i, n = strnlen(r->text, sizeof(r->text));

	FUZZ_CHECK(n < sizeof(r->text), "reply text not terminated");
	for (i = 0; i < n; i++)
		FUZZ_CHECK(r->text[i] >= 0x20 && r->text[i] < 0x7f,
			   "non-printable byte 0x%02x in reply text",
			   (unsigned char)r->text[i]);
	if (op == TLSHUB_OP_FETCH) {
		FUZZ_CHECK(r->key_status == TLSHUB_KEY_OK ||
			   r->key_status == TLSHUB_KEY_NONE ||
			   r->key_status == TLSHUB_KEY_EXPIRED,
			   "accepted key status %d", r->key_status);
		if (r->key_status == TLSHUB_KEY_OK)
			FUZZ_CHECK(memcmp(r->master, zero, sizeof(zero)),
				   "accepted an all-zero master key");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tlshub_reply rep;
	const char *why;
	void *buf;
	int op, r;

	if (size < 1 || size > 8192)
		return 0;
	op = (data[0] >> 1) % 3;
	if (!(data[0] & 1)) {
		/* exact-size copy: ASan sees any read past the payload */
		buf = fuzz_strdup(data + 1, size - 1);
		r = tlshub_parse_reply(op, buf, size - 1, &rep, &why);
		if (r) {
			FUZZ_CHECK(r == -EBADMSG && why, "parse_reply: %d", r);
		} else {
			check_reply(op, &rep);
		}
		free(buf);
		return 0;
	}
	/* a datagram as recvfrom() leaves it: malloc aligns, exact length */
	buf = malloc(size - 1 ? size - 1 : 1);
	if (!buf)
		abort();
	memcpy(buf, data + 1, size - 1);
	r = tlshub_handle_datagram(op, SEQ, buf, size - 1, &rep);
	if (r > 0) {
		FUZZ_CHECK(r == 1, "handle_datagram: %d", r);
		check_reply(op, &rep);
	} else if (r < 0) {
		FUZZ_CHECK(r > -4096, "handle_datagram: %d", r);
		FUZZ_CHECK(strcmp(tlshub_last_error(), "no error"),
			   "error %d without a message", r);
	}
	free(buf);
	return 0;
}
