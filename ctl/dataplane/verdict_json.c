// SPDX-License-Identifier: GPL-2.0
/* The verdict record's JSON line (docs/DAEMON.md §Verdict log). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "dataplane/verdict_json.h"
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

const char *json_esc(const char *s, char *out, size_t len)
{
	size_t o = 0;

	for (; *s && o + 7 < len; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c < 0x20 || c >= 0x7f) {
			o += (size_t)snprintf(out + o, len - o, "\\u%04x", c);
		} else {
			out[o++] = (char)c;
		}
	}
	out[o] = 0;
	return out;
}

/* A bounded line: what does not fit is counted, never written. */
struct out {
	char *buf;
	size_t len, o;
};

static void put(struct out *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void put(struct out *w, const char *fmt, ...)
{
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(w->buf + (w->o < w->len ? w->o : w->len),
		      w->o < w->len ? w->len - w->o : 0, fmt, ap);
	va_end(ap);
	w->o += k > 0 ? (size_t)k : 0;
}

/* ,"name":"escaped" or ,"name":null */
static void put_str(struct out *w, const char *name, const char *s)
{
	char esc[600];

	if (!s)
		put(w, ",\"%s\":null", name);
	else
		put(w, ",\"%s\":\"%s\"", name, json_esc(s, esc, sizeof(esc)));
}

size_t verdict_json(char *buf, size_t len, const struct tcseg_event *e,
		    const struct verdict_names *n, __u64 wall_ns)
{
	struct out w = { buf, len, 0 };
	char src[64], dst[64];

	/* RFC 5952 text for IPv6; "?" for a family that is neither */
	tcseg_addr_str(&e->saddr, e->family, src, sizeof(src));
	tcseg_addr_str(&e->daddr, e->family, dst, sizeof(dst));
	put(&w, "{\"ts\":%llu.%06llu,\"type\":\"verdict\",\"event\":\"%s\"",
	    (unsigned long long)(wall_ns / 1000000000ull),
	    (unsigned long long)(wall_ns % 1000000000ull / 1000),
	    verdict_event_name(e->type));
	put_str(&w, "node", n->node);
	put(&w, ",\"dir\":\"%s\",\"ifindex\":%u,\"family\":%u,\"proto\":\"%s\","
	    "\"src\":\"%s\",\"sport\":%u,\"dst\":\"%s\",\"dport\":%u",
	    e->dir == TCSEG_DIR_FROM_POD ? "from_pod" :
	    e->dir == TCSEG_DIR_TO_POD ? "to_pod" : "unknown",
	    e->ifindex, e->family, proto_name(e->proto), src, ntohs(e->sport), dst,
	    ntohs(e->dport));
	put_str(&w, "src_pod", n->src_pod);
	put_str(&w, "dst_pod", n->dst_pod);
	put(&w, ",\"action\":\"%s\",\"verdict_by\":\"%s\",\"rule\":%u,"
	    "\"reason\":\"%s\"}\n", action_str(e->action),
	    src_str(e->verdict_src), e->policy_id,
	    e->type == TCSEG_EV_DROP ? tcseg_drop_name(e->reason) : "");
	if (w.o >= len) {	/* cannot happen at VERDICT_LINE_MAX */
		snprintf(buf, len, "{\"type\":\"verdict\",\"error\":"
			 "\"record too long\"}\n");
		return strlen(buf);
	}
	return w.o;
}
