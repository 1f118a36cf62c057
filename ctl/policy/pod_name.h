/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pod names as policies and the CNI plugin write them: "NAMESPACE/NAME"
 * (docs/POLICY.md §Pods). Pure: no I/O, shared by tcctl, tcsegd and
 * tcseg-cni.
 *
 *   NAMESPACE := 1..63  of [A-Za-z0-9_.-], the first a letter or digit
 *   NAME      := 1..253 of [A-Za-z0-9_.-], the first a letter or digit
 *
 * (Kubernetes namespaces and pod names, podman container names.) A pod
 * whose runtime gives no namespace (podman) is in POD_NS_DEFAULT.
 */
#ifndef TCSEG_POD_NAME_H
#define TCSEG_POD_NAME_H

#include <stddef.h>

#define POD_NS_MAX	63
#define POD_NAME_MAX	253
#define POD_REF_MAX	(POD_NS_MAX + 1 + POD_NAME_MAX)	/* "NS/NAME" */
#define POD_NS_DEFAULT	"default"

/* Is @s (@n bytes) a namespace (@max POD_NS_MAX) or name (POD_NAME_MAX)? */
int pod_name_ok(const char *s, size_t n, size_t max);

/*
 * Check "NS/NAME" (@s NUL-terminated); 0, or -EINVAL with the reason in
 * @err ("'a/b/c': the name has a '/'" ...).
 */
int pod_ref_check(const char *s, char *err, size_t errlen);

/* "NS/NAME" from its parts into @buf (POD_REF_MAX + 1 bytes); 0 or -EINVAL. */
int pod_ref_join(const char *ns, const char *name, char *buf, size_t len);

#endif
