// SPDX-License-Identifier: GPL-2.0
/* The verdict record's JSON line (docs/DAEMON.md §Verdict log). */
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "dataplane/verdict_json.h"
#include "lib/json.h"
#include "policy/parse.h"
#include "tcseg_names.h"

const char *verdict_event_name(__u32 type)
{
	static const char *const names[] = {
		[TCSEG_EV_FLOW_LOG] = "flow_log",
		[TCSEG_EV_FLOW_ENCRYPT] = "flow_encrypt",
		[TCSEG_EV_AUDIT] = "audit",
		[TCSEG_EV_DROP] = "drop",
	};

	return type < sizeof(names) / sizeof(names[0]) && names[type] ?
		       names[type] : "unknown";
}

static const char *action_str(__u8 a)
{
	return a < TCSEG_ACT_MAX ? action_name(a) : "unknown";
}

static const char *src_str(__u8 s)
{
	static const char *const names[TCSEG_SRC_MAX] = {
		[TCSEG_SRC_EXACT] = "exact",
		[TCSEG_SRC_CIDR] = "cidr",
		[TCSEG_SRC_POD_DEFAULT] = "pod_default",
		[TCSEG_SRC_GLOBAL_DEFAULT] = "default",
	};

	return s < TCSEG_SRC_MAX ? names[s] : "unknown";
}

/* "from_pod", "to_pod" or "unknown". */
static const char *dir_str(__u8 dir)
{
	return dir == TCSEG_DIR_FROM_POD ? "from_pod" :
	       dir == TCSEG_DIR_TO_POD ? "to_pod" : "unknown";
}

size_t verdict_json(char *buf, size_t len, const struct tcseg_event *e,
		    const struct verdict_names *n, __u64 wall_ns)
{
	char src[64], dst[64];
	struct jsonw w;
	size_t out;

	/* RFC 5952 text for IPv6; "?" for a family that is neither */
	tcseg_addr_str(&e->saddr, e->family, src, sizeof(src));
	tcseg_addr_str(&e->daddr, e->family, dst, sizeof(dst));
	jsonw_init_buf(&w, buf, len);
	jsonw_start_object(&w);
	jsonw_name(&w, "ts");
	jsonw_printf(&w, "%llu.%06llu",
		     (unsigned long long)(wall_ns / 1000000000ull),
		     (unsigned long long)(wall_ns % 1000000000ull / 1000));
	jsonw_string_field(&w, "type", "verdict");
	jsonw_string_field(&w, "event", verdict_event_name(e->type));
	jsonw_string_field(&w, "node", n->node);
	jsonw_string_field(&w, "dir", dir_str(e->dir));
	jsonw_uint_field(&w, "ifindex", e->ifindex);
	jsonw_uint_field(&w, "family", e->family);
	jsonw_string_field(&w, "proto", proto_name(e->proto));
	jsonw_string_field(&w, "src", src);
	jsonw_uint_field(&w, "sport", ntohs(e->sport));
	jsonw_string_field(&w, "dst", dst);
	jsonw_uint_field(&w, "dport", ntohs(e->dport));
	jsonw_string_field(&w, "src_pod", n->src_pod);
	jsonw_string_field(&w, "dst_pod", n->dst_pod);
	jsonw_string_field(&w, "action", action_str(e->action));
	jsonw_string_field(&w, "verdict_by", src_str(e->verdict_src));
	jsonw_uint_field(&w, "rule", e->policy_id);
	jsonw_string_field(&w, "reason", e->type == TCSEG_EV_DROP ?
			   tcseg_drop_name(e->reason) : "");
	out = jsonw_finish(&w);
	if (!out) {	/* cannot happen at VERDICT_LINE_MAX */
		snprintf(buf, len, "{\"type\":\"verdict\",\"error\":"
			 "\"record too long\"}\n");
		return strlen(buf);
	}
	return out;
}
