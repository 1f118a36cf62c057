/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Policy rules as people write them:
 *   [id N] [dev DEV] [from CIDR] [to CIDR] [sport P] [dport P]
 *   [proto tcp|udp|icmp|icmpv6|any] [audit] action allow|deny|log|encrypt
 * Omitted fields are wildcards. CIDRs are IPv4 or IPv6, one family per
 * rule; a rule without addresses is of both (docs/POLICY.md "IPv6"). A
 * rule is exact (goes to the exact hash) when it has from /32, to /32
 * (IPv6: /128), proto tcp or udp, sport and dport; a rule with a sport
 * must be exact; icmp and icmpv6 rules have no ports.
 */
#ifndef TCSEG_RULE_H
#define TCSEG_RULE_H

#include <stddef.h>
#include "tcseg.h"
#include "policy/parse.h"
#include "policy/pod_name.h"

/* Resolves a device name to an ifindex (> 0), or returns -ENODEV. */
typedef int (*dev_resolver_fn)(const char *name, void *arg);

struct rule_set {
	struct tcseg_rule *v;
	size_t n;
	size_t cap;
};

/*
 * Parse the words of one rule (argv style). @r is zeroed first; id 0
 * means "assign one". Errors name the word, e.g. "dport: bad port 'x'".
 */
int rule_parse_words(int argc, char **argv, struct tcseg_rule *r,
		     dev_resolver_fn resolve, void *arg, char *err,
		     size_t errlen);

/*
 * A rule's pod sides (docs/POLICY.md §Pods): "from pod NS/NAME",
 * "to pod NS/NAME"; "" = the side is an address or any.
 */
struct rule_pod_sides {
	char from[POD_REF_MAX + 1];
	char to[POD_REF_MAX + 1];
};

/*
 * rule_parse_words() that also takes "from pod NS/NAME" and "to pod
 * NS/NAME" into @pods (zeroed first); the side stays "any" in @r. A rule
 * naming a pod cannot have a sport. rule_parse_words() refuses "pod".
 */
int rule_parse_words_pods(int argc, char **argv, struct tcseg_rule *r,
			  struct rule_pod_sides *pods, dev_resolver_fn resolve,
			  void *arg, char *err, size_t errlen);

/*
 * Port ranges (docs/POLICY.md §Port ranges): "dport LO-HI" spans at most
 * this many ports; every port is one map entry (per protocol key and
 * source class), the data path's lookups stay the same.
 */
#define RULE_PORT_RANGE_MAX	1024

/* Consistency checks after parsing (sport only in exact rules, ...). */
int rule_validate(const struct tcseg_rule *r, char *err, size_t errlen);

int rule_is_exact(const struct tcseg_rule *r);

/*
 * The address families a rule's map entries go to: a mask of
 * RULE_FAM_V4 and RULE_FAM_V6 (docs/POLICY.md "IPv6").
 */
#define RULE_FAM_V4	0x1
#define RULE_FAM_V6	0x2
unsigned int rule_families(const struct tcseg_rule *r);
/* The family of one RULE_FAM_* bit (TCSEG_FAMILY_V4 or _V6). */
__u8 rule_fam_family(unsigned int bit);

/* rule_match_cmp() without the family: the same match within one family. */
int rule_match_cmp_in(const struct tcseg_rule *a, const struct tcseg_rule *b);

/*
 * The two rules would land on the same map entries in some family (the
 * same match there): "from 0.0.0.0/0 dport 80" and "dport 80" do in IPv4.
 * Such pairs are refused, so no two entries ever tie.
 */
int rule_overlaps(const struct tcseg_rule *a, const struct tcseg_rule *b);

/* Same match fields (everything but id, action, flags, slot). */
int rule_same_match(const struct tcseg_rule *a, const struct tcseg_rule *b);

/* Total order on the match fields (0 = same match), for sorting. */
int rule_match_cmp(const struct tcseg_rule *a, const struct tcseg_rule *b);

/*
 * Words that parse back to the same rule ("id 7 from 10.0.0.0/8 proto tcp
 * dport 80 action allow"). @devname may be NULL (prints "dev if<N>").
 * Returns the length written, or -ENOSPC (and "") when @len is too small.
 */
int rule_format(const struct tcseg_rule *r, const char *devname, char *buf,
		size_t len);

/*
 * Read a policy file: one rule a line, same words as `policy add`, '#'
 * starts a comment, blank lines ignored. The whole file is checked:
 * errors read "FILE:LINE: field: message". Ids missing from the file are
 * left 0. Duplicate ids and duplicate matches within the file are errors.
 * @out is initialised here (old contents are not freed) and left empty
 * on error. Returns 0, -EINVAL (bad content), -ENOMEM or -errno of open.
 */
int rules_read_file(const char *path, struct rule_set *out,
		    dev_resolver_fn resolve, void *arg, char *err,
		    size_t errlen);

/*
 * rules_read_file() with pod sides: *@pods (malloc'd, one per rule of
 * @out, NULL when @out is empty) says which side of each rule names a
 * pod. Two rules naming the same pods with the same other words are
 * the same match.
 */
int rules_read_file_pods(const char *path, struct rule_set *out,
			 struct rule_pod_sides **pods, dev_resolver_fn resolve,
			 void *arg, char *err, size_t errlen);

int rule_set_push(struct rule_set *s, const struct tcseg_rule *r);
void rule_set_free(struct rule_set *s);

#endif
