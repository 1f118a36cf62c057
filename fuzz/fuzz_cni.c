// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: tcseg-cni's stdin document and CNI_ARGS
 * (ctl/cni/cni_conf.c). Invariants: an error has a CNI code and a
 * message; an accepted pod has at most TCSEG_DEV_MAX_ADDRS4 distinct
 * addresses and interface names fit for tcctl's argv; the address list
 * always formats.
 */
#include "cni/cni_conf.h"
#include "fuzz_util.h"

static void check_pod(const struct cni_pod *p)
{
	char b[TCSEG_DEV_MAX_ADDRS4 * 16 + 8];
	int i, k;

	FUZZ_CHECK(p->n_addrs4 >= 0 && p->n_addrs4 <= TCSEG_DEV_MAX_ADDRS4,
		   "%d addresses", p->n_addrs4);
	FUZZ_CHECK(p->n_cand >= 1 && p->n_cand <= CNI_MAX_CAND,
		   "%d candidates", p->n_cand);
	for (i = 0; i < p->n_cand; i++)
		FUZZ_CHECK(cni_ifname_ok(p->cand[i]), "candidate %d", i);
	for (i = 0; i < p->n_addrs4; i++)
		for (k = 0; k < i; k++)
			FUZZ_CHECK(p->addrs4[i] != p->addrs4[k],
				   "address %d repeated", i);
	FUZZ_CHECK(!cni_addrs_str(p->addrs4, p->n_addrs4, b, sizeof(b)),
		   "address list does not fit");
}

static void check_err(const struct cni_err *e)
{
	fuzz_check_err(e->msg, sizeof(e->msg));
	FUZZ_CHECK(e->code > 0 && e->msg[0], "error without code or message");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cni_err e = { 0 };
	struct cni_conf c;
	struct cni_args a;
	struct cni_pod p;
	char *s;

	if (cni_conf_parse((const char *)data, size, &c, &e)) {
		check_err(&e);
	} else {
		memset(&e, 0, sizeof(e));
		if (cni_prev_pod(&c, "eth0", &p, &e))
			check_err(&e);
		else
			check_pod(&p);
		cni_conf_free(&c);
	}
	s = fuzz_strdup(data, size);
	memset(&e, 0, sizeof(e));
	if (cni_args_parse(s, &a, &e))
		check_err(&e);
	else
		FUZZ_CHECK(strlen(a.pod) <= CNI_NAME_MAX &&
			   strlen(a.ns) <= CNI_NAME_MAX, "name unbounded");
	free(s);
	return 0;
}
