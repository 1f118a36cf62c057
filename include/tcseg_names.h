/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Names of the data path's enums as user space prints them (tcctl stats,
 * tcsegd monitor and metrics). One table each; BPF never includes this.
 */
#ifndef TCSEG_NAMES_H
#define TCSEG_NAMES_H

#include "tcseg.h"

static const char *const tcseg_drop_names[TCSEG_DROP_MAX] = {
	[TCSEG_DROP_POLICY] = "policy",
	[TCSEG_DROP_POD_DEFAULT] = "pod_default",
	[TCSEG_DROP_GLOBAL_DEFAULT] = "global_default",
	[TCSEG_DROP_MALFORMED] = "malformed",
	[TCSEG_DROP_SYN_FLOOD] = "syn_flood",
	[TCSEG_DROP_MAP_FULL] = "map_full",
	[TCSEG_DROP_INVALID_STATE] = "invalid_state",
	[TCSEG_DROP_FRAGMENT] = "fragment",
	[TCSEG_DROP_NON_IPV4] = "non_ipv4",
	[TCSEG_DROP_UNSECURED] = "unsecured",
	[TCSEG_DROP_SPOOFED] = "spoofed",
	[TCSEG_DROP_QUOTA] = "quota",
	[TCSEG_DROP_RST_WINDOW] = "rst_window",
	[TCSEG_DROP_IPV6_EXT] = "ipv6_ext",
	[TCSEG_DROP_V4MAPPED] = "v4mapped",
	[TCSEG_DROP_ND_ROUTER] = "nd_router",
};

static inline const char *tcseg_drop_name(unsigned int r)
{
	return r < TCSEG_DROP_MAX && tcseg_drop_names[r] ? tcseg_drop_names[r] :
							    "unknown";
}

#endif /* TCSEG_NAMES_H */
