// SPDX-License-Identifier: GPL-2.0
/* Unit tests for the capture.conf parser (ctl/daemon/daemon_config.c). */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <arpa/inet.h>
#include <sys/utsname.h>
#include <cmocka.h>

#include "daemon/daemon_config.h"
#include "conf_test_util.h"

static char path[256];
static char err[512];

static int load_str(const char *text, struct capture_config *cfg)
{
	tu_write(path, sizeof(path), "capture.conf", text);
	err[0] = '\0';
	return daemon_config_load(path, 0, cfg, err, sizeof(err));
}

static char *dump(const struct capture_config *cfg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	daemon_config_dump(f, cfg);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void assert_cfg_equal(const struct capture_config *a,
			     const struct capture_config *b)
{
	char *da = dump(a), *db = dump(b);

	assert_string_equal(da, db);
	free(da);
	free(db);
}

static void assert_addr(const struct sockaddr_in *sa, const char *ip,
			unsigned int port)
{
	char buf[INET_ADDRSTRLEN];

	assert_int_equal(sa->sin_family, AF_INET);
	assert_non_null(inet_ntop(AF_INET, &sa->sin_addr, buf, sizeof(buf)));
	assert_string_equal(buf, ip);
	assert_int_equal(ntohs(sa->sin_port), port);
}

static void test_defaults(void **state)
{
	struct capture_config c;
	struct utsname u;

	(void)state;
	memset(&c, 0x5a, sizeof(c));
	daemon_config_defaults(&c);
	assert_int_equal(c.mode, MODE_TLSHUB);
	assert_string_equal(c.pod_node_config_path,
			    "/etc/tcseg/pod_node_mapping.conf");
	assert_int_equal(c.fallback_mode, MODE_OPENSSL);
	assert_false(c.encrypt_optional);
	assert_string_equal(c.pin_dir, "/sys/fs/bpf/tcseg");
	assert_int_equal(uname(&u), 0);
	if (strlen(u.nodename) < CFG_NODE_NAME_MAX)
		assert_string_equal(c.node_name, u.nodename);
	assert_addr(&c.key_service_listen, "0.0.0.0", 7443);
	assert_string_equal(c.control_socket, "/run/tcseg/tcsegd.sock");
	assert_true(c.metrics_enabled);
	assert_addr(&c.metrics_listen, "127.0.0.1", 9469);
	assert_int_equal(c.key_fetch_timeout_ms, 1000);
	assert_int_equal(c.hold_timeout_ms, 2000);
	assert_int_equal(c.handshake_timeout_ms, 3000);
	assert_int_equal(c.tlshub_netlink_protocol, 31);
	assert_int_equal(c.tlshub_peer_port, 0);
	assert_int_equal(c.tlshub_layout, CFG_TLSHUB_V2);
	assert_int_equal(c.cipher, TCSEG_CIPHER_AES_GCM_128);
	assert_int_equal(c.log_level, CFG_LOG_INFO);
	assert_int_equal(c.n_attach_devices, 0);
	assert_string_equal(c.attach_pattern, "");
	assert_string_equal(c.kp_plugin_dir, "");
}

/* The shipped example documents the defaults: it must load to them. */
static void test_example_is_defaults(void **state)
{
	struct capture_config c, d;
	int ret;

	(void)state;
	memset(&c, 0, sizeof(c));
	ret = daemon_config_load(TCSEG_SRC_ROOT "/config/capture.conf",
				 CFG_NO_PERM_CHECK, &c, err, sizeof(err));
	if (ret)
		print_error("%s\n", err);
	assert_int_equal(ret, 0);
	daemon_config_defaults(&d);
	assert_cfg_equal(&c, &d);
}

static void test_empty_is_defaults(void **state)
{
	struct capture_config c, d;

	(void)state;
	assert_int_equal(load_str("# nothing\n\n", &c), 0);
	daemon_config_defaults(&d);
	assert_cfg_equal(&c, &d);
}

static const char all_keys[] =
	"mode = openssl\n"
	"fallback_mode=none\n"
	"encrypt_optional\t=\tyes   # comment\n"
	"pod_node_config_path = /srv/map.conf\n"
	"node_name = node-a\n"
	"pin_dir = /sys/fs/bpf/other\n"
	"key_service_listen = 10.100.0.1:8443\n"
	"control_socket = /run/x.sock\n"
	"metrics_listen = off\n"
	"key_fetch_timeout_ms = 1\n"
	"hold_timeout_ms = 600000\n"
	"handshake_timeout_ms = 250\n"
	"flow_wait_ms = 10\n"
	"flow_ttl_ms = 3600000\n"
	"session_idle_timeout_ms = 86400000\n"
	"tlshub_netlink_protocol = 2\n"
	"tlshub_peer_port = 4294967295\n"
	"tlshub_layout = v1\n"
	"cert_file = /c/a#b.pem\n"
	"key_file = /c/k.key\n"
	"ca_file = /c/ca.pem\n"
	"kp_plugin_dir = /usr/lib/tcseg\n"
	"cipher = chacha20-poly1305\n"
	"log_level = debug\n"
	"attach_devices = veth-a1, veth-a2 lxc0,eth1\n"
	"attach_pattern = veth[ab]*\n";

static void test_every_key(void **state)
{
	struct capture_config c;
	int ret;

	(void)state;
	ret = load_str(all_keys, &c);
	if (ret)
		print_error("%s\n", err);
	assert_int_equal(ret, 0);
	assert_int_equal(c.mode, MODE_OPENSSL);
	assert_int_equal(c.fallback_mode, CFG_FALLBACK_NONE);
	assert_true(c.encrypt_optional);
	assert_string_equal(c.pod_node_config_path, "/srv/map.conf");
	assert_string_equal(c.node_name, "node-a");
	assert_string_equal(c.pin_dir, "/sys/fs/bpf/other");
	assert_addr(&c.key_service_listen, "10.100.0.1", 8443);
	assert_string_equal(c.control_socket, "/run/x.sock");
	assert_false(c.metrics_enabled);
	assert_int_equal(c.key_fetch_timeout_ms, 1);
	assert_int_equal(c.hold_timeout_ms, 600000);
	assert_int_equal(c.handshake_timeout_ms, 250);
	assert_int_equal(c.flow_wait_ms, 10);
	assert_int_equal(c.flow_ttl_ms, 3600000);
	assert_int_equal(c.session_idle_timeout_ms, 86400000);
	assert_int_equal(c.tlshub_netlink_protocol, 2);
	assert_int_equal(c.tlshub_peer_port, 4294967295u);
	assert_int_equal(c.tlshub_layout, CFG_TLSHUB_V1);
	/* '#' inside a word is not a comment. */
	assert_string_equal(c.cert_file, "/c/a#b.pem");
	assert_string_equal(c.key_file, "/c/k.key");
	assert_string_equal(c.ca_file, "/c/ca.pem");
	assert_string_equal(c.kp_plugin_dir, "/usr/lib/tcseg");
	assert_int_equal(c.cipher, TCSEG_CIPHER_CHACHA20_POLY1305);
	assert_int_equal(c.log_level, CFG_LOG_DEBUG);
	assert_int_equal(c.n_attach_devices, 4);
	assert_string_equal(c.attach_devices[0], "veth-a1");
	assert_string_equal(c.attach_devices[1], "veth-a2");
	assert_string_equal(c.attach_devices[2], "lxc0");
	assert_string_equal(c.attach_devices[3], "eth1");
	assert_string_equal(c.attach_pattern, "veth[ab]*");
}

static void test_words(void **state)
{
	static const struct {
		const char *line;
		size_t off;
		int want;
	} cases[] = {
		{ "mode = boringssl\n", offsetof(struct capture_config, mode), MODE_BORINGSSL },
		{ "mode = tlshub\n", offsetof(struct capture_config, mode), MODE_TLSHUB },
		{ "fallback_mode = boringssl\n", offsetof(struct capture_config, fallback_mode), MODE_BORINGSSL },
		{ "tlshub_layout = v2\n", offsetof(struct capture_config, tlshub_layout), CFG_TLSHUB_V2 },
		{ "log_level = error\n", offsetof(struct capture_config, log_level), CFG_LOG_ERR },
		{ "log_level = warn\n", offsetof(struct capture_config, log_level), CFG_LOG_WARN },
	};
	static const char *yes[] = { "yes", "true", "on", "1" };
	static const char *no[] = { "no", "false", "off", "0" };
	struct capture_config c;
	char line[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(load_str(cases[i].line, &c), 0);
		assert_int_equal(*(int *)((char *)&c + cases[i].off),
				 cases[i].want);
	}
	for (i = 0; i < 4; i++) {
		snprintf(line, sizeof(line), "encrypt_optional = %s\n", yes[i]);
		assert_int_equal(load_str(line, &c), 0);
		assert_true(c.encrypt_optional);
		snprintf(line, sizeof(line), "encrypt_optional = %s\n", no[i]);
		assert_int_equal(load_str(line, &c), 0);
		assert_false(c.encrypt_optional);
	}
	assert_int_equal(load_str("cipher = aes-gcm-256\n", &c), 0);
	assert_int_equal(c.cipher, TCSEG_CIPHER_AES_GCM_256);
	assert_string_equal(cfg_cipher_name(c.cipher), "aes-gcm-256");
	assert_string_equal(cfg_mode_name(MODE_OPENSSL), "openssl");
	assert_string_equal(cfg_mode_name(CFG_FALLBACK_NONE), "none");
	assert_string_equal(cfg_log_level_name(CFG_LOG_DEBUG), "debug");
}

static void test_relative_paths(void **state)
{
	struct capture_config c;
	char want[300];

	(void)state;
	assert_int_equal(load_str("pod_node_config_path = pods.conf\n"
				  "cert_file = tls/node.pem\n"
				  "control_socket = run/s.sock\n", &c), 0);
	snprintf(want, sizeof(want), "%s/pods.conf", tu_dir);
	assert_string_equal(c.pod_node_config_path, want);
	snprintf(want, sizeof(want), "%s/tls/node.pem", tu_dir);
	assert_string_equal(c.cert_file, want);
	snprintf(want, sizeof(want), "%s/run/s.sock", tu_dir);
	assert_string_equal(c.control_socket, want);
}

static void test_round_trip(void **state)
{
	struct capture_config a, b;
	char *text;

	(void)state;
	assert_int_equal(load_str(all_keys, &a), 0);
	text = dump(&a);
	memset(&b, 0, sizeof(b));
	assert_int_equal(load_str(text, &b), 0);
	assert_cfg_equal(&a, &b);
	assert_int_equal(b.n_attach_devices, 4);
	assert_false(b.metrics_enabled);
	free(text);

	daemon_config_defaults(&a);
	text = dump(&a);
	assert_contains(text, "mode = tlshub\n");
	assert_contains(text, "# attach_devices =\n");
	assert_int_equal(load_str(text, &b), 0);
	assert_cfg_equal(&a, &b);
	free(text);
}

static const struct bad_case {
	const char *text;
	const char *where;	/* after "PATH:" */
} bad_cases[] = {
	{ "mode = tlshub\nfoo = 1\n", "2: foo: unknown key" },
	{ "# c\nmode = openssl\n\nmode = openssl\n",
	  "4: mode: set twice (first at line 2)" },
	{ "mode openssl\n", "1: mode: expected 'key = value'" },
	{ "mode =\n", "1: mode: missing value" },
	{ "mode =   # nothing\n", "1: mode: missing value" },
	{ "= openssl\n", "1: line: missing key before '='" },
	{ "my key = 1\n", "1: line: bad key 'my key'" },
	{ "Mode = openssl\n", "1: Mode: unknown key" },
	{ "mode = OpenSSL\n",
	  "1: mode: bad value 'OpenSSL' (expected tlshub|openssl|boringssl)" },
	{ "mode = openssl boringssl\n", "1: mode: one value expected" },
	{ "fallback_mode = tlshub\n",
	  "1: fallback_mode: bad value 'tlshub' (expected openssl|boringssl|none)" },
	{ "encrypt_optional = maybe\n", "1: encrypt_optional: bad value 'maybe'" },
	{ "hold_timeout_ms = 0\n", "1: hold_timeout_ms: 0 out of range 1..600000" },
	{ "hold_timeout_ms = 600001\n", "1: hold_timeout_ms: 600001 out of range" },
	{ "hold_timeout_ms = -5\n", "1: hold_timeout_ms: bad number '-5'" },
	{ "hold_timeout_ms = 0100\n", "1: hold_timeout_ms: bad number '0100'" },
	{ "hold_timeout_ms = 1e3\n", "1: hold_timeout_ms: bad number '1e3'" },
	{ "hold_timeout_ms = 99999999999999\n", "1: hold_timeout_ms: bad number" },
	{ "tlshub_netlink_protocol = 32\n",
	  "1: tlshub_netlink_protocol: 32 out of range 0..31" },
	{ "tlshub_peer_port = 4294967296\n",
	  "1: tlshub_peer_port: 4294967296 out of range" },
	{ "tlshub_layout = v3\n", "1: tlshub_layout: bad value 'v3' (expected v1|v2)" },
	{ "cipher = aes-cbc\n", "1: cipher: bad value 'aes-cbc'" },
	{ "log_level = trace\n", "1: log_level: bad value 'trace'" },
	{ "key_service_listen = 10.0.0.1\n",
	  "1: key_service_listen: bad address '10.0.0.1' (expected A.B.C.D:PORT)" },
	{ "key_service_listen = 10.0.0.1:0\n", "1: key_service_listen: 0 out of range 1..65535" },
	{ "key_service_listen = 10.0.0.1:65536\n", "1: key_service_listen: 65536 out of range" },
	{ "key_service_listen = 10.0.0.1:\n", "1: key_service_listen: bad number ''" },
	{ "key_service_listen = host:80\n", "1: key_service_listen: bad IPv4 address 'host'" },
	{ "key_service_listen = 224.0.0.1:80\n",
	  "1: key_service_listen: 224.0.0.1 is not a unicast address" },
	{ "metrics_listen = on\n", "1: metrics_listen: bad address 'on'" },
	{ "pin_dir = bpf/tcseg\n", "1: pin_dir: must be an absolute path" },
	{ "node_name = node a\n", "1: node_name: one value expected" },
	{ "node_name = node/a\n", "1: node_name: bad character '/'" },
	{ "node_name = 0123456789012345678901234567890123456789012345678901234567890123\n",
	  "1: node_name: name '01234567890123456789012345678901...' too long (64, limit 63)" },
	{ "attach_devices = veth0 veth0\n", "1: attach_devices: device 'veth0' listed twice" },
	{ "attach_devices = 0123456789abcdef\n",
	  "1: attach_devices: name '0123456789abcdef' too long (16, limit 15)" },
	{ "attach_devices = ,,\n", "1: attach_devices: no device named" },
	{ "attach_devices = a/b\n", "1: attach_devices: bad character '/' in name 'a/b'" },
	{ "attach_pattern = veth/*\n", "1: attach_pattern: bad character '/'" },
	{ "attach_pattern = veth* lxc*\n", "1: attach_pattern: one value expected" },
	{ "log_level = info\x01\n", "1: line: non-printable or non-ASCII byte 0x01 at column 17" },
	{ "cert_file = /etc/\xc3\xa9.pem\n", "1: line: non-printable or non-ASCII byte 0xc3" },
};

static void test_bad_lines(void **state)
{
	struct capture_config c, before;
	char want[600];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		memset(&c, 0x33, sizeof(c));
		memcpy(&before, &c, sizeof(c));
		if (!load_str(bad_cases[i].text, &c)) {
			print_error("loaded, expected '%s'\n", bad_cases[i].where);
			fail();
		}
		snprintf(want, sizeof(want), "%s:%s", path, bad_cases[i].where);
		assert_contains(err, want);
		/* A failed load leaves the caller's config alone. */
		assert_memory_equal(&c, &before, sizeof(c));
	}
}

static void test_limits(void **state)
{
	struct capture_config c;
	char text[2048], name[300];
	unsigned int i;
	size_t n;

	(void)state;
	/* 64 devices fine, 65 not. */
	n = (size_t)snprintf(text, sizeof(text), "attach_devices =");
	for (i = 0; i < CFG_MAX_DEVICES; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, " v%u", i);
	snprintf(text + n, sizeof(text) - n, "\n");
	assert_int_equal(load_str(text, &c), 0);
	assert_int_equal(c.n_attach_devices, CFG_MAX_DEVICES);
	assert_string_equal(c.attach_devices[63], "v63");
	snprintf(text + n, sizeof(text) - n, " v64\n");
	assert_int_not_equal(load_str(text, &c), 0);
	assert_contains(err, ":1: attach_devices: more than 64 devices");

	/* Paths: 255 bytes fit, 256 do not. */
	memset(name, 'p', sizeof(name));
	name[0] = '/';
	name[255] = '\0';
	snprintf(text, sizeof(text), "ca_file = %s\n", name);
	assert_int_equal(load_str(text, &c), 0);
	assert_int_equal(strlen(c.ca_file), 255);
	name[255] = 'p';
	name[256] = '\0';
	snprintf(text, sizeof(text), "ca_file = %s\n", name);
	assert_int_not_equal(load_str(text, &c), 0);
	assert_contains(err, ":1: ca_file: path too long (256 bytes, limit 255)");
	/* The control socket must fit sun_path. */
	name[108] = '\0';
	snprintf(text, sizeof(text), "control_socket = %s\n", name);
	assert_int_not_equal(load_str(text, &c), 0);
	assert_contains(err, ":1: control_socket: path too long (108 bytes, limit 107)");
	name[107] = '\0';
	snprintf(text, sizeof(text), "control_socket = %s\n", name);
	assert_int_equal(load_str(text, &c), 0);
	/* Relative + directory too long. */
	memset(name, 'r', 250);
	name[250] = '\0';
	snprintf(text, sizeof(text), "key_file = %s\n", name);
	assert_int_not_equal(load_str(text, &c), 0);
	assert_contains(err, "with the config directory, limit 255)");
}

static void test_files(void **state)
{
	struct capture_config c;
	char p[300];
	int ret;

	(void)state;
	tu_setup_dir();
	snprintf(p, sizeof(p), "%s/none.conf", tu_dir);
	ret = daemon_config_load(p, 0, &c, err, sizeof(err));
	assert_int_equal(ret, -ENOENT);
	assert_contains(err, "none.conf: cannot open: No such file");
	ret = daemon_config_load(tu_dir, 0, &c, err, sizeof(err));
	assert_int_equal(ret, -EINVAL);
	assert_contains(err, ": not a regular file");
	assert_int_equal(daemon_config_load(NULL, 0, &c, err, sizeof(err)),
			 -EINVAL);

	/* Group/world writable: refused, unless the test switch is on. */
	tu_write(path, sizeof(path), "w.conf", "mode = openssl\n");
	assert_int_equal(chmod(path, 0666), 0);
	ret = daemon_config_load(path, 0, &c, err, sizeof(err));
	assert_int_equal(ret, -EPERM);
	assert_contains(err, "w.conf: mode 0666 is group/world writable");
	assert_int_equal(chmod(path, 0664), 0);
	assert_int_equal(daemon_config_load(path, 0, &c, err, sizeof(err)),
			 -EPERM);
	assert_int_equal(daemon_config_load(path, CFG_NO_PERM_CHECK, &c, err,
					    sizeof(err)), 0);
	assert_int_equal(c.mode, MODE_OPENSSL);
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(daemon_config_load(path, 0, &c, err, sizeof(err)), 0);
}

static void test_files_owner(void **state)
{
	struct capture_config c;
	int ret;

	(void)state;
	if (geteuid() != 0) {
		print_message("# owner check needs root (CI runs as root)\n");
		skip();
	}
	tu_write(path, sizeof(path), "w.conf", "mode = openssl\n");
	assert_int_equal(daemon_config_load(path, 0, &c, err, sizeof(err)), 0);
	assert_int_equal(chown(path, 1000, 0), 0);
	ret = daemon_config_load(path, 0, &c, err, sizeof(err));
	assert_int_equal(ret, -EPERM);
	assert_contains(err, "w.conf: owned by uid 1000, must be owned by root");
	assert_int_equal(daemon_config_load(path, CFG_NO_PERM_CHECK, &c, err,
					    sizeof(err)), 0);
}

static int teardown_all(void **state)
{
	(void)state;
	tu_cleanup();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_example_is_defaults),
		cmocka_unit_test(test_empty_is_defaults),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_relative_paths),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_files_owner),
	};

	umask(022);
	return cmocka_run_group_tests(tests, NULL, teardown_all);
}
