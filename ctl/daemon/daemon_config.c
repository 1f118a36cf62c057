// SPDX-License-Identifier: GPL-2.0
/*
 * capture.conf parser. One table lists every key with its type, its
 * field and its range; parsing, defaults checking and the dump all walk
 * it, so a key cannot be parsed but not printed or vice versa. Strict:
 * unknown keys, repeated keys and values out of range are errors.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/utsname.h>

#include "tcseg.h"
#include "lib/conf_file.h"
#include "daemon/daemon_config.h"

enum cfg_type {
	T_MODE,		/* tlshub | openssl | boringssl */
	T_FALLBACK,	/* openssl | boringssl | none */
	T_BOOL,
	T_PATH,		/* relative: to the config file's directory */
	T_ABSPATH,
	T_SOCKPATH,	/* T_PATH that fits sun_path */
	T_NODE,
	T_LISTEN,	/* A.B.C.D:PORT */
	T_LISTEN_OFF,	/* A.B.C.D:PORT | off */
	T_U32,
	T_LAYOUT,	/* v1 | v2 */
	T_CIPHER,
	T_LOGLEVEL,
	T_DEVICES,	/* names separated by blanks or commas */
	T_PATTERN,
	T_PATH_OFF,	/* T_PATH | off (= "") */
	T_VLOG,		/* T_PATH | syslog | off */
};

struct cfg_key {
	const char *name;
	enum cfg_type type;
	size_t off;
	size_t size;
	__u32 min, max;
};

#define F(field)	offsetof(struct capture_config, field), \
			sizeof(((struct capture_config *)0)->field)
#define MS_MAX		600000u

static const struct cfg_key keys[] = {
	{ "mode", T_MODE, F(mode), 0, 0 },
	{ "fallback_mode", T_FALLBACK, F(fallback_mode), 0, 0 },
	{ "encrypt_optional", T_BOOL, F(encrypt_optional), 0, 0 },
	{ "pod_node_config_path", T_PATH, F(pod_node_config_path), 0, 0 },
	{ "node_name", T_NODE, F(node_name), 0, 0 },
	{ "pin_dir", T_ABSPATH, F(pin_dir), 0, 0 },
	{ "key_service_listen", T_LISTEN, F(key_service_listen), 0, 0 },
	{ "control_socket", T_SOCKPATH, F(control_socket), 0, 0 },
	{ "metrics_listen", T_LISTEN_OFF, F(metrics_listen), 0, 0 },
	{ "key_fetch_timeout_ms", T_U32, F(key_fetch_timeout_ms), 1, MS_MAX },
	{ "hold_timeout_ms", T_U32, F(hold_timeout_ms), 1, MS_MAX },
	{ "handshake_timeout_ms", T_U32, F(handshake_timeout_ms), 1, MS_MAX },
	{ "flow_wait_ms", T_U32, F(flow_wait_ms), 1, MS_MAX },
	{ "flow_ttl_ms", T_U32, F(flow_ttl_ms), 1, 3600000u },
	{ "session_idle_timeout_ms", T_U32, F(session_idle_timeout_ms), 1,
	  86400000u },
	{ "tlshub_netlink_protocol", T_U32, F(tlshub_netlink_protocol), 0, 31 },
	{ "tlshub_peer_port", T_U32, F(tlshub_peer_port), 0, 0xffffffffu },
	{ "tlshub_layout", T_LAYOUT, F(tlshub_layout), 0, 0 },
	{ "cert_file", T_PATH, F(cert_file), 0, 0 },
	{ "key_file", T_PATH, F(key_file), 0, 0 },
	{ "ca_file", T_PATH, F(ca_file), 0, 0 },
	{ "kp_plugin_dir", T_PATH, F(kp_plugin_dir), 0, 0 },
	{ "cipher", T_CIPHER, F(cipher), 0, 0 },
	{ "log_level", T_LOGLEVEL, F(log_level), 0, 0 },
	{ "attach_devices", T_DEVICES, F(attach_devices), 0, 0 },
	{ "attach_pattern", T_PATTERN, F(attach_pattern), 0, 0 },
	{ "perf_metrics_dir", T_PATH_OFF, F(perf_metrics_dir), 0, 0 },
	{ "metrics_rule_limit", T_U32, F(metrics_rule_limit), 0, 100000 },
	{ "verdict_log", T_VLOG, F(verdict_log), 0, 0 },
	{ "verdict_log_max_bytes", T_U32, F(verdict_log_max_bytes), 4096,
	  1u << 30 },
	{ "verdict_log_keep", T_U32, F(verdict_log_keep), 1, 100 },
};

#define NKEYS	(sizeof(keys) / sizeof(keys[0]))

/* Mode and cipher names: include/tcseg_keys.h. */

static const struct tcseg_name fallbacks[] = {
	{ TCSEG_MODE_NAME_OPENSSL, MODE_OPENSSL },
	{ TCSEG_MODE_NAME_BORINGSSL, MODE_BORINGSSL },
	{ "none", CFG_FALLBACK_NONE }, { NULL, 0 },
};
static const struct tcseg_name bools[] = {
	{ "yes", 1 }, { "no", 0 }, { "true", 1 }, { "false", 0 },
	{ "on", 1 }, { "off", 0 }, { "1", 1 }, { "0", 0 }, { NULL, 0 },
};
static const struct tcseg_name layouts[] = {
	{ "v1", CFG_TLSHUB_V1 }, { "v2", CFG_TLSHUB_V2 }, { NULL, 0 },
};
static const struct tcseg_name levels[] = {
	{ "error", CFG_LOG_ERR }, { "warn", CFG_LOG_WARN },
	{ "info", CFG_LOG_INFO }, { "debug", CFG_LOG_DEBUG }, { NULL, 0 },
};

static const char *word_name(const struct tcseg_name *w, int val)
{
	const char *name = tcseg_name_of(w, val);

	return name ? name : "?";
}

const char *cfg_mode_name(int mode)
{
	return mode == CFG_FALLBACK_NONE ? "none" :
	       word_name(tcseg_mode_names(), mode);
}

const char *cfg_log_level_name(enum cfg_log_level l)
{
	return word_name(levels, (int)l);
}

const char *cfg_cipher_name(__u16 cipher)
{
	return word_name(tcseg_cipher_names(), cipher);
}

static void set_listen(struct sockaddr_in *sa, const char *ip, __u16 port)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons(port);
	inet_pton(AF_INET, ip, &sa->sin_addr);
}

/* Callers checked the length; cut (never overflow) if they did not. */
static void copy_str(char *dst, size_t size, const char *src)
{
	size_t len = strnlen(src, size - 1);

	memcpy(dst, src, len);
	dst[len] = '\0';
}

void daemon_config_defaults(struct capture_config *cfg)
{
	struct utsname u;
	char msg[160];

	memset(cfg, 0, sizeof(*cfg));
	cfg->mode = MODE_TLSHUB;
	copy_str(cfg->pod_node_config_path, CFG_PATH_MAX,
		 "/etc/tcseg/pod_node_mapping.conf");
	cfg->fallback_mode = MODE_OPENSSL;
	cfg->encrypt_optional = false;
	copy_str(cfg->pin_dir, CFG_PATH_MAX, TCSEG_PIN_DIR_DEFAULT);
	if (!uname(&u) && !conf_check_name(u.nodename, CFG_NODE_NAME_MAX - 1,
					   NULL, msg, sizeof(msg)))
		copy_str(cfg->node_name, CFG_NODE_NAME_MAX, u.nodename);
	set_listen(&cfg->key_service_listen, "0.0.0.0", 7443);
	copy_str(cfg->control_socket, CFG_SOCK_PATH_MAX,
		 "/run/tcseg/tcsegd.sock");
	cfg->metrics_enabled = true;
	set_listen(&cfg->metrics_listen, "127.0.0.1", 9469);
	cfg->key_fetch_timeout_ms = 1000;
	cfg->hold_timeout_ms = 2000;
	cfg->handshake_timeout_ms = 3000;
	cfg->flow_wait_ms = 2000;
	cfg->flow_ttl_ms = 30000;
	cfg->session_idle_timeout_ms = 600000;
	cfg->tlshub_netlink_protocol = 31;
	cfg->tlshub_peer_port = 0;
	cfg->tlshub_layout = CFG_TLSHUB_V2;
	copy_str(cfg->cert_file, CFG_PATH_MAX, "/etc/tcseg/tls/node.pem");
	copy_str(cfg->key_file, CFG_PATH_MAX, "/etc/tcseg/tls/node.key");
	copy_str(cfg->ca_file, CFG_PATH_MAX, "/etc/tcseg/tls/ca.pem");
	cfg->cipher = TCSEG_CIPHER_AES_GCM_128;
	cfg->log_level = CFG_LOG_INFO;
	cfg->metrics_rule_limit = 1000;
	cfg->verdict_log_sink = CFG_VLOG_FILE;
	copy_str(cfg->verdict_log, CFG_PATH_MAX, "/var/log/tcseg/verdicts.log");
	cfg->verdict_log_max_bytes = 10u << 20;
	cfg->verdict_log_keep = 5;
}

/* --- value parsers: 0, or conf_err() naming the key --- */

struct pctx {
	struct conf_reader *r;
	const char *dir;	/* config file's directory, NULL = cwd */
	char *err;
	size_t errlen;
};

#define BAD(c, k, ...) conf_err((c)->err, (c)->errlen, (c)->r, (k)->name, \
				__VA_ARGS__)

static int p_word(struct pctx *c, const struct cfg_key *k, const char *v,
		  const struct tcseg_name *w, int *out)
{
	const struct tcseg_name *i = tcseg_name_find(w, v);
	char list[128] = "";
	size_t n = 0;

	if (i) {
		*out = i->val;
		return 0;
	}
	for (i = w; i->name; i++)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s",
				      i == w ? "" : "|", i->name);
	return BAD(c, k, "bad value " CONF_Q " (expected %s)", CONF_QARG(v),
		   list);
}

static int p_u32(struct pctx *c, const struct cfg_key *k, const char *v,
		 __u32 *out)
{
	unsigned long long x = 0;
	const char *s;

	for (s = v; *s >= '0' && *s <= '9' && s - v < 11; s++)
		x = x * 10 + (unsigned long long)(*s - '0');
	if (s == v || *s || (s - v > 1 && v[0] == '0'))
		return BAD(c, k, "bad number " CONF_Q " (decimal digits only)",
			   CONF_QARG(v));
	if (x < k->min || x > k->max)
		return BAD(c, k, "%s out of range %u..%u", v, k->min, k->max);
	*out = (__u32)x;
	return 0;
}

static int p_listen(struct pctx *c, const struct cfg_key *k, const char *v,
		    struct sockaddr_in *sa)
{
	char ip[INET_ADDRSTRLEN];
	const char *colon = strrchr(v, ':');
	struct in_addr a;
	__u32 h, port;
	struct cfg_key pk = { .name = k->name, .min = 1, .max = 65535 };

	if (!colon || (size_t)(colon - v) >= sizeof(ip))
		return BAD(c, k, "bad address " CONF_Q " (expected A.B.C.D:PORT)",
			   CONF_QARG(v));
	memcpy(ip, v, (size_t)(colon - v));
	ip[colon - v] = '\0';
	if (inet_pton(AF_INET, ip, &a) != 1)
		return BAD(c, k, "bad IPv4 address " CONF_Q " (expected A.B.C.D:PORT)",
			   CONF_QARG(ip));
	h = ntohl(a.s_addr);
	if (h == 0xffffffffu || (h >> 28) >= 0xe)
		return BAD(c, k, "%s is not a unicast address", ip);
	if (p_u32(c, &pk, colon + 1, &port))
		return -EINVAL;
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_addr = a;
	sa->sin_port = htons((__u16)port);
	return 0;
}

static int p_path(struct pctx *c, const struct cfg_key *k, const char *v,
		  char *out, size_t size)
{
	int n;

	if (k->type == T_ABSPATH && v[0] != '/')
		return BAD(c, k, "must be an absolute path, not " CONF_Q,
			   CONF_QARG(v));
	if (v[0] == '/' || !c->dir)
		n = snprintf(out, size, "%s", v);
	else
		n = snprintf(out, size, "%s/%s", c->dir, v);
	if (n < 0 || (size_t)n >= size)
		return BAD(c, k, "path too long (%d bytes%s, limit %zu)", n,
			   v[0] == '/' || !c->dir ? "" :
			   " with the config directory", size - 1);
	return 0;
}

static int p_node(struct pctx *c, const struct cfg_key *k, const char *v,
		  char *out)
{
	char msg[160];

	if (conf_check_name(v, CFG_NODE_NAME_MAX - 1, NULL, msg, sizeof(msg)))
		return BAD(c, k, "%s", msg);
	copy_str(out, CFG_NODE_NAME_MAX, v);
	return 0;
}

static int p_devices(struct pctx *c, const struct cfg_key *k, char *v,
		     struct capture_config *cfg)
{
	char msg[160], *tok, *save = NULL;
	unsigned int n = 0, i;

	for (tok = strtok_r(v, " \t,", &save); tok;
	     tok = strtok_r(NULL, " \t,", &save)) {
		if (conf_check_name(tok, CFG_IFNAME_MAX - 1, NULL, msg,
				    sizeof(msg)))
			return BAD(c, k, "%s", msg);
		for (i = 0; i < n; i++)
			if (!strcmp(cfg->attach_devices[i], tok))
				return BAD(c, k, "device '%s' listed twice", tok);
		if (n == CFG_MAX_DEVICES)
			return BAD(c, k, "more than %d devices",
				   CFG_MAX_DEVICES);
		copy_str(cfg->attach_devices[n++], CFG_IFNAME_MAX, tok);
	}
	if (!n)
		return BAD(c, k, "no device named");
	cfg->n_attach_devices = n;
	return 0;
}

static int p_pattern(struct pctx *c, const struct cfg_key *k, const char *v,
		     char *out)
{
	size_t i, len = strlen(v);

	if (len >= CFG_PATTERN_MAX)
		return BAD(c, k, "pattern too long (%zu, limit %d)", len,
			   CFG_PATTERN_MAX - 1);
	for (i = 0; i < len; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789.-_*?[]!", v[i]))
			return BAD(c, k, "bad character '%c' in pattern (interface name characters and * ? [ ] !)",
				   v[i]);
	copy_str(out, CFG_PATTERN_MAX, v);
	return 0;
}

static int p_value(struct pctx *c, const struct cfg_key *k, char *v,
		   struct capture_config *cfg)
{
	void *field = (char *)cfg + k->off;
	int w, ret;

	if (k->type != T_DEVICES && strpbrk(v, " \t"))
		return BAD(c, k, "one value expected, got " CONF_Q
			   " (no quoting; blanks are not allowed)",
			   CONF_QARG(v));
	switch (k->type) {
	case T_MODE:
		ret = p_word(c, k, v, tcseg_mode_names(), &w);
		if (!ret)
			cfg->mode = (enum key_provider_mode)w;
		return ret;
	case T_FALLBACK:
		return p_word(c, k, v, fallbacks, &cfg->fallback_mode);
	case T_BOOL:
		ret = p_word(c, k, v, bools, &w);
		if (!ret)
			*(bool *)field = w;
		return ret;
	case T_PATH:
	case T_ABSPATH:
	case T_SOCKPATH:
		return p_path(c, k, v, field, k->size);
	case T_NODE:
		return p_node(c, k, v, field);
	case T_LISTEN:
		return p_listen(c, k, v, field);
	case T_LISTEN_OFF:
		cfg->metrics_enabled = strcmp(v, "off") != 0;
		if (!cfg->metrics_enabled) {
			memset(field, 0, k->size);
			return 0;
		}
		return p_listen(c, k, v, field);
	case T_U32:
		return p_u32(c, k, v, field);
	case T_LAYOUT:
		ret = p_word(c, k, v, layouts, &w);
		if (!ret)
			cfg->tlshub_layout = (enum cfg_tlshub_layout)w;
		return ret;
	case T_CIPHER:
		ret = p_word(c, k, v, tcseg_cipher_names(), &w);
		if (!ret)
			cfg->cipher = (__u16)w;
		return ret;
	case T_LOGLEVEL:
		ret = p_word(c, k, v, levels, &w);
		if (!ret)
			cfg->log_level = (enum cfg_log_level)w;
		return ret;
	case T_DEVICES:
		return p_devices(c, k, v, cfg);
	case T_PATTERN:
		return p_pattern(c, k, v, field);
	case T_PATH_OFF:
		if (!strcmp(v, "off")) {
			memset(field, 0, k->size);
			return 0;
		}
		return p_path(c, k, v, field, k->size);
	case T_VLOG:
		memset(field, 0, k->size);
		cfg->verdict_log_sink = !strcmp(v, "off") ? CFG_VLOG_OFF :
					!strcmp(v, "syslog") ? CFG_VLOG_SYSLOG :
							       CFG_VLOG_FILE;
		if (cfg->verdict_log_sink != CFG_VLOG_FILE)
			return 0;
		return p_path(c, k, v, field, k->size);
	}
	return -EINVAL;
}

/* --- lines --- */

static int key_index(const char *name)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (!strcmp(keys[i].name, name))
			return (int)i;
	return -1;
}

static int parse_line(struct pctx *c, char *line, unsigned int *seen,
		      struct capture_config *cfg)
{
	char *eq = strchr(line, '='), *key = line, *v, *end;
	int i;

	if (!eq) {
		conf_split(line, &key, 1);
		return conf_err(c->err, c->errlen, c->r, key,
				"expected 'key = value'");
	}
	*eq = '\0';
	for (end = eq; end > key && (end[-1] == ' ' || end[-1] == '\t'); end--)
		;
	*end = '\0';
	if (!*key)
		return conf_err(c->err, c->errlen, c->r, "line",
				"missing key before '='");
	if (strpbrk(key, " \t"))
		return conf_err(c->err, c->errlen, c->r, "line",
				"bad key " CONF_Q " (one word expected)",
				CONF_QARG(key));
	i = key_index(key);
	if (i < 0)
		return conf_err(c->err, c->errlen, c->r, key, "unknown key");
	if (seen[i])
		return conf_err(c->err, c->errlen, c->r, key,
				"set twice (first at line %u)", seen[i]);
	seen[i] = c->r->lineno;
	for (v = eq + 1; *v == ' ' || *v == '\t'; v++)
		;
	if (!*v)
		return conf_err(c->err, c->errlen, c->r, key, "missing value");
	return p_value(c, &keys[i], v, cfg);
}

int daemon_config_load(const char *path, unsigned int flags,
		       struct capture_config *cfg, char *err, size_t errlen)
{
	unsigned int seen[NKEYS] = { 0 };
	struct capture_config tmp;
	struct conf_reader r;
	char dir[CFG_PATH_MAX], *slash, *line;
	struct pctx c;
	int ret;

	if (!path) {
		snprintf(err, errlen, "no configuration file given");
		return -EINVAL;
	}
	ret = conf_open(&r, path,
			(flags & CFG_NO_PERM_CHECK) ? CONF_NO_PERM_CHECK : 0,
			CFG_MAX_FILE, err, errlen);
	if (ret)
		return ret;
	daemon_config_defaults(&tmp);
	c = (struct pctx){ .r = &r, .err = err, .errlen = errlen };
	slash = strrchr(path, '/');
	if (slash && (size_t)(slash - path) < sizeof(dir)) {
		memcpy(dir, path, (size_t)(slash - path));
		dir[slash - path] = '\0';
		c.dir = slash == path ? "" : dir;
	}
	while ((ret = conf_next(&r, &line, err, errlen)) > 0) {
		ret = parse_line(&c, line, seen, &tmp);
		if (ret)
			break;
	}
	conf_close(&r);
	if (ret)
		return ret;
	*cfg = tmp;
	return 0;
}

/* --- dump --- */

static void dump_listen(FILE *f, const char *name, const struct sockaddr_in *sa)
{
	char ip[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &sa->sin_addr, ip, sizeof(ip));
	fprintf(f, "%s = %s:%u\n", name, ip, ntohs(sa->sin_port));
}

static void dump_key(FILE *f, const struct cfg_key *k,
		     const struct capture_config *cfg)
{
	const void *field = (const char *)cfg + k->off;
	unsigned int i;

	switch (k->type) {
	case T_MODE:
		fprintf(f, "%s = %s\n", k->name, cfg_mode_name(cfg->mode));
		break;
	case T_FALLBACK:
		fprintf(f, "%s = %s\n", k->name,
			cfg_mode_name(cfg->fallback_mode));
		break;
	case T_BOOL:
		fprintf(f, "%s = %s\n", k->name,
			*(const bool *)field ? "yes" : "no");
		break;
	case T_PATH:
	case T_ABSPATH:
	case T_SOCKPATH:
	case T_NODE:
	case T_PATTERN:
	case T_PATH_OFF:
		/* An empty value cannot be written: it is the default. */
		fprintf(f, "%s%s = %s\n", *(const char *)field ? "" : "# ",
			k->name, (const char *)field);
		break;
	case T_LISTEN:
		dump_listen(f, k->name, field);
		break;
	case T_LISTEN_OFF:
		if (cfg->metrics_enabled)
			dump_listen(f, k->name, field);
		else
			fprintf(f, "%s = off\n", k->name);
		break;
	case T_U32:
		fprintf(f, "%s = %u\n", k->name, *(const __u32 *)field);
		break;
	case T_LAYOUT:
		fprintf(f, "%s = %s\n", k->name,
			word_name(layouts, cfg->tlshub_layout));
		break;
	case T_CIPHER:
		fprintf(f, "%s = %s\n", k->name, cfg_cipher_name(cfg->cipher));
		break;
	case T_LOGLEVEL:
		fprintf(f, "%s = %s\n", k->name,
			cfg_log_level_name(cfg->log_level));
		break;
	case T_VLOG:
		fprintf(f, "%s = %s\n", k->name,
			cfg->verdict_log_sink == CFG_VLOG_FILE ? cfg->verdict_log :
			cfg->verdict_log_sink == CFG_VLOG_SYSLOG ? "syslog" :
								   "off");
		break;
	case T_DEVICES:
		fprintf(f, "%s%s =", cfg->n_attach_devices ? "" : "# ",
			k->name);
		for (i = 0; i < cfg->n_attach_devices; i++)
			fprintf(f, " %s", cfg->attach_devices[i]);
		fputc('\n', f);
		break;
	}
}

void daemon_config_dump(FILE *f, const struct capture_config *cfg)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		dump_key(f, &keys[i], cfg);
}
