/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pinned maps of registered pods (tcseg_pods, by veth ifindex) and of
 * the rules that name pods (tcseg_pod_rules, by rule id) in the pin
 * directory (ctl/policy/pod_reg.h, docs/POLICY.md §Pods). tcctl creates them on
 * first use under the writer lock; tcsegd only reads them. No BPF
 * program uses them: they live beside the data plane's maps so that
 * they come and go with it (tcctl unload removes them).
 */
#ifndef TCSEG_POD_STORE_H
#define TCSEG_POD_STORE_H

#include <stddef.h>
#include "policy/pod_reg.h"

#define POD_STORE_PODS	"tcseg_pods"
#define POD_STORE_RULES	"tcseg_pod_rules"

/* Open PIN_DIR/@name; @create makes it when missing. fd or -errno
 * (-ENOENT: not there and not asked to create). */
int pod_store_open(const char *pin_dir, const char *name, int create);

/* Remove both pins (tcctl unload). */
void pod_store_unpin(const char *pin_dir);

/*
 * Every valid record of @fd into *@out (malloc'd; pod rules sorted by
 * id); *@bad counts the records refused by pod_reg_valid /
 * pod_rule_ref_valid (written behind tcctl's back). 0 or -errno.
 */
int pod_store_read_pods(int fd, struct pod_reg **out, size_t *n,
			unsigned int *bad);
int pod_store_read_rules(int fd, struct pod_rule_ref **out, size_t *n,
			 unsigned int *bad);

/* Make @fd hold exactly @refs (sorted by id). 0 or -errno. */
int pod_store_write_rules(int fd, const struct pod_rule_ref *refs, size_t n);

#endif
