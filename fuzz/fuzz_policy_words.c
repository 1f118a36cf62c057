// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: one rule's words (rule_parse_words), as `tcctl policy
 * add` gets them. The input is split into argv at NUL and space bytes.
 * Invariants: a parsed rule validates; pod names it takes are valid; rule_format() of it parses back to
 * the same rule; rule_format() into any smaller buffer fails cleanly with
 * -ENOSPC; error messages are bounded strings.
 */
#include <errno.h>
#include <net/if.h>
#include "policy/rule.h"
#include "fuzz_util.h"

#define MAX_ARGS	64

/* veth0 = 7, lo = 1, "eio" fails, "zero" resolves to 0, the rest -ENODEV. */
static int resolve(const char *name, void *arg)
{
	(void)arg;
	if (!strcmp(name, "veth0"))
		return 7;
	if (!strcmp(name, "lo"))
		return 1;
	if (!strcmp(name, "eio"))
		return -EIO;
	if (!strcmp(name, "zero"))
		return 0;
	return -ENODEV;
}

static const char *devname_of(__u32 ifindex)
{
	return ifindex == 7 ? "veth0" : ifindex == 1 ? "lo" : NULL;
}

static int split(char *s, size_t len, char **argv)
{
	int argc = 0;
	size_t i = 0;

	while (i < len && argc < MAX_ARGS) {
		while (i < len && (s[i] == ' ' || s[i] == '\0'))
			s[i++] = '\0';
		if (i >= len)
			break;
		argv[argc++] = s + i;
		while (i < len && s[i] != ' ' && s[i] != '\0')
			i++;
	}
	if (i < len)
		s[i] = '\0';
	return argc;
}

static void check_format(const struct tcseg_rule *r)
{
	char buf[256], small[256], err[TCSEG_ERRLEN], *argv[MAX_ARGS];
	struct tcseg_rule back;
	size_t len, i;
	int n, argc;

	n = rule_format(r, devname_of(r->ifindex), buf, sizeof(buf));
	FUZZ_CHECK(n > 0 && (size_t)n == strlen(buf), "rule_format: %d", n);
	len = (size_t)n;
	for (i = 0; i <= len; i++) {
		n = rule_format(r, devname_of(r->ifindex), small, i);
		FUZZ_CHECK(n == -ENOSPC && (i == 0 || small[0] == '\0'),
			   "rule_format into %zu bytes: %d", i, n);
	}
	memcpy(small, buf, len + 1);
	argc = split(small, len, argv);
	n = rule_parse_words(argc, argv, &back, resolve, NULL, err,
			     sizeof(err));
	FUZZ_CHECK(n == 0, "'%s' does not parse back: %s", buf, err);
	FUZZ_CHECK(!memcmp(&back, r, sizeof(back)),
		   "'%s' parses back to a different rule", buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[TCSEG_ERRLEN], *argv[MAX_ARGS], *s;
	struct tcseg_rule r;
	int argc, ret;

	if (size > 4096)
		return 0;
	s = fuzz_strdup(data, size);
	argc = split(s, size, argv);
	memset(err, 0x5a, sizeof(err));
	ret = rule_parse_words(argc, argv, &r, resolve, NULL, err,
			       sizeof(err));
	if (ret) {
		FUZZ_CHECK(ret == -EINVAL, "rule_parse_words returned %d", ret);
		fuzz_check_err(err, sizeof(err));
	} else {
		FUZZ_CHECK(rule_validate(&r, err, sizeof(err)) == 0,
			   "parsed rule does not validate: %s", err);
		check_format(&r);
	}
	/* with pod sides (docs/POLICY.md §Pods): a named pod is a valid name */
	{
		struct rule_pod_sides ps;

		memset(err, 0x5a, sizeof(err));
		ret = rule_parse_words_pods(argc, argv, &r, &ps, resolve, NULL,
					    err, sizeof(err));
		if (ret) {
			FUZZ_CHECK(ret == -EINVAL, "pods: returned %d", ret);
			fuzz_check_err(err, sizeof(err));
		} else {
			FUZZ_CHECK(!ps.from[0] || !pod_ref_check(ps.from, NULL, 0),
				   "bad pod name accepted: '%s'", ps.from);
			FUZZ_CHECK(!ps.to[0] || !pod_ref_check(ps.to, NULL, 0),
				   "bad pod name accepted: '%s'", ps.to);
		}
	}
	/* the same words without a resolver: "dev" must be refused */
	ret = rule_parse_words(argc, argv, &r, NULL, NULL, NULL, 0);
	FUZZ_CHECK(ret || !r.ifindex, "dev accepted without a resolver");
	free(s);
	return 0;
}
