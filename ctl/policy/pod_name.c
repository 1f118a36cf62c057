// SPDX-License-Identifier: GPL-2.0
/* Pod names "NAMESPACE/NAME" (ctl/policy/pod_name.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "policy/parse.h"
#include "policy/pod_name.h"

static int alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

int pod_name_ok(const char *s, size_t n, size_t max)
{
	size_t i;

	if (!n || n > max || !alnum(s[0]))
		return 0;
	for (i = 0; i < n; i++)
		if (!alnum(s[i]) && s[i] != '_' && s[i] != '.' && s[i] != '-')
			return 0;
	return 1;
}

int pod_ref_check(const char *s, char *err, size_t errlen)
{
	const char *slash = strchr(s, '/');
	size_t nl;

	if (!slash)
		return tcseg_errf(err, errlen, -EINVAL, "'%.64s' is not "
				  "NAMESPACE/NAME", s);
	if (strchr(slash + 1, '/'))
		return tcseg_errf(err, errlen, -EINVAL, "'%.64s': more than one "
				  "'/' (NAMESPACE/NAME)", s);
	nl = (size_t)(slash - s);
	if (!pod_name_ok(s, nl, POD_NS_MAX))
		return tcseg_errf(err, errlen, -EINVAL, "'%.64s': namespace "
				  "must be 1-%d of [A-Za-z0-9_.-] starting with "
				  "a letter or digit", s, POD_NS_MAX);
	if (!pod_name_ok(slash + 1, strlen(slash + 1), POD_NAME_MAX))
		return tcseg_errf(err, errlen, -EINVAL, "'%.64s': name must be "
				  "1-%d of [A-Za-z0-9_.-] starting with a letter "
				  "or digit", s, POD_NAME_MAX);
	return 0;
}

int pod_ref_join(const char *ns, const char *name, char *buf, size_t len)
{
	if (!pod_name_ok(ns, strlen(ns), POD_NS_MAX) ||
	    !pod_name_ok(name, strlen(name), POD_NAME_MAX) ||
	    snprintf(buf, len, "%s/%s", ns, name) >= (int)len)
		return -EINVAL;
	return 0;
}
