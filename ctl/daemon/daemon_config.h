/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcsegd configuration (capture.conf, docs/CONFIG.md): `key = value`
 * lines, '#' comments. struct capture_config keeps the two original
 * fields (mode, pod_node_config_path) first; every key, its default and
 * its range are listed in docs/CONFIG.md and in config/capture.conf.
 */
#ifndef TCSEG_DAEMON_CONFIG_H
#define TCSEG_DAEMON_CONFIG_H

#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include <netinet/in.h>
#include "tcseg_keys.h"

#define CFG_PATH_MAX		256	/* pod_node_config_path[256] */
#define CFG_SOCK_PATH_MAX	108	/* sizeof(sun_path) */
#define CFG_NODE_NAME_MAX	64	/* = KP_NODE_NAME_MAX, with the NUL */
#define CFG_IFNAME_MAX		16	/* IFNAMSIZ */
#define CFG_MAX_DEVICES		64
#define CFG_PATTERN_MAX		64
#define CFG_MAX_FILE		(1 << 20)

#define CFG_DEFAULT_PATH	"/etc/tcseg/capture.conf"

/* daemon_config_load() flags. */
#define CFG_NO_PERM_CHECK	0x1	/* unit tests only */

enum cfg_log_level {
	CFG_LOG_ERR = 0,
	CFG_LOG_WARN = 1,
	CFG_LOG_INFO = 2,
	CFG_LOG_DEBUG = 3,
};

/* TLSHub request layouts (TLSHUB_PROTOCOL.md). */
enum cfg_tlshub_layout {
	CFG_TLSHUB_V1 = 1,	/* 16-byte request: pod IPs and ports */
	CFG_TLSHUB_V2 = 2,	/* 20-byte request: + server_node_ip */
};

#define CFG_FALLBACK_NONE	(-1)

/* Where the verdict log goes (verdict_log = PATH | syslog | off). */
enum cfg_vlog_sink {
	CFG_VLOG_OFF = 0,
	CFG_VLOG_FILE = 1,
	CFG_VLOG_SYSLOG = 2,
};

struct capture_config {
	/* the original two fields */
	enum key_provider_mode mode;
	char pod_node_config_path[CFG_PATH_MAX];
	/* extensions */
	int fallback_mode;		/* enum key_provider_mode or NONE */
	bool encrypt_optional;		/* key/kTLS failure: plaintext */
	char pin_dir[CFG_PATH_MAX];
	char node_name[CFG_NODE_NAME_MAX];	/* "" = unknown */
	struct sockaddr_in key_service_listen;
	char control_socket[CFG_SOCK_PATH_MAX];
	bool metrics_enabled;
	struct sockaddr_in metrics_listen;
	__u32 key_fetch_timeout_ms;
	__u32 hold_timeout_ms;
	__u32 handshake_timeout_ms;
	__u32 flow_wait_ms;
	__u32 flow_ttl_ms;
	__u32 session_idle_timeout_ms;
	__u32 tlshub_netlink_protocol;
	__u32 tlshub_peer_port;		/* netlink nl_pid, 0 = kernel */
	enum cfg_tlshub_layout tlshub_layout;
	char cert_file[CFG_PATH_MAX];
	char key_file[CFG_PATH_MAX];
	char ca_file[CFG_PATH_MAX];
	char kp_plugin_dir[CFG_PATH_MAX];	/* "" = built-in search */
	__u16 cipher;			/* TCSEG_CIPHER_* */
	enum cfg_log_level log_level;
	unsigned int n_attach_devices;
	char attach_devices[CFG_MAX_DEVICES][CFG_IFNAME_MAX];
	char attach_pattern[CFG_PATTERN_MAX];	/* fnmatch(3), "" = none */
	char perf_metrics_dir[CFG_PATH_MAX];	/* "" = no perf_metrics files */
	__u32 metrics_rule_limit;	/* rules with their own series */
	enum cfg_vlog_sink verdict_log_sink;
	char verdict_log[CFG_PATH_MAX];		/* the file (CFG_VLOG_FILE) */
	__u32 verdict_log_max_bytes;	/* rotate when a file would pass it */
	__u32 verdict_log_keep;		/* rotated files kept: FILE.1..FILE.N */
};

/* Every field at its default; node_name from uname(2) when it is a
 * valid node name, else "". */
void daemon_config_defaults(struct capture_config *cfg);

/*
 * Defaults, then @path on top. Relative paths in the file are taken
 * relative to the file's directory. On error @cfg is left as it was and
 * the first problem is in @err ("FILE:LINE: key: message" or
 * "FILE: message"); returns 0 or a negative errno (-ENOENT: no file).
 */
int daemon_config_load(const char *path, unsigned int flags,
		       struct capture_config *cfg, char *err, size_t errlen);

/* Every key as "key = value" lines, loadable again by the parser. */
void daemon_config_dump(FILE *f, const struct capture_config *cfg);

const char *cfg_mode_name(int mode);	/* "tlshub", ..., "none" */
const char *cfg_log_level_name(enum cfg_log_level l);
const char *cfg_cipher_name(__u16 cipher);

#endif
