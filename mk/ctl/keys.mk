# ctl/keys: per-flow keys and kTLS: the key provider facade and the node
# protocol (key_provider, kp_pair, kp_isn), the TLS plugin (kp_tls.c,
# built twice below), kTLS set-up, the TLSHub client with its HKDF.
# Uses ctl/lib. The TLS plugin is built once against OpenSSL 3 and once
# against BoringSSL: the two export the same symbols, so they are never
# linked into one object; key_provider.c dlopen()s one of them.

KEYS_SRCS	:= $(filter-out ctl/keys/kp_tls.c,$(wildcard ctl/keys/*.c))
KEYS_OBJS	:= $(KEYS_SRCS:%.c=$(BUILD)/%.o)
KEYS_LIB	:= $(BUILD)/libtcseg_keys.a
KEYS_LIBS	:= $(KEYS_LIB) $(CTLLIB_LIB) -ldl -lmnl -lpthread

$(KEYS_LIB): $(KEYS_OBJS)
	$(ctl_archive)

BSSL_INC	:= /usr/include/android
BSSL_LIBDIR	:= /usr/lib/x86_64-linux-gnu/android
KP_PLUGIN_CFLAGS := $(CFLAGS) -fPIC -fvisibility=hidden
KP_PLUGIN_DEPS	:= ctl/keys/kp_tls.c ctl/keys/kp_tls.h
KP_OPENSSL_SO	:= $(BUILD)/libtcseg_kp_openssl.so
KP_BORINGSSL_SO	:= $(BUILD)/libtcseg_kp_boringssl.so
KP_PLUGINS	:= $(KP_OPENSSL_SO) $(KP_BORINGSSL_SO)

$(KP_OPENSSL_SO): $(KP_PLUGIN_DEPS) | $(BUILD)
	$(CC) $(KP_PLUGIN_CFLAGS) -shared -Wl,--no-undefined -o $@ $< \
		-lssl -lcrypto

# -I before the system dirs so <openssl/ssl.h> is BoringSSL's; -L likewise
# so -lssl is BoringSSL's libssl.so.0; the rpath finds it at run time.
$(KP_BORINGSSL_SO): $(KP_PLUGIN_DEPS) | $(BUILD)
	$(CC) -I$(BSSL_INC) $(KP_PLUGIN_CFLAGS) -shared -Wl,--no-undefined \
		-o $@ $< -L$(BSSL_LIBDIR) -Wl,-rpath,$(BSSL_LIBDIR) \
		-lssl -lcrypto

# unit tests: the facade with the plugins, kTLS, the TLSHub client (its
# HKDF cross-checked against OpenSSL's, hence -lcrypto there only)
KEYS_TESTS	:= $(BUILD)/tests/unit/test_keyprov $(BUILD)/tests/unit/test_ktls \
		   $(BUILD)/tests/unit/test_tlshub
$(BUILD)/tests/unit/test_tlshub: KEYS_TEST_EXTRA := -lcrypto
$(KEYS_TESTS): $(BUILD)/tests/unit/test_%: tests/unit/test_%.c $(KEYS_LIB) \
	       $(CTLLIB_LIB) | $(KP_PLUGINS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(KEYS_LIBS) -lcmocka $(KEYS_TEST_EXTRA)

# test tools: one node's key service and client (kp_peer), a kTLS
# client/server (ktls_peer), a user-space TLSHub module stand-in with
# OpenSSL mTLS between nodes (tlshub_peer) and a TLSHub client driver
# (tlshub_cli)
$(BUILD)/tests/ktls_peer: KEYS_TOOL_EXTRA := -lcrypto
$(BUILD)/tests/tlshub_peer: KEYS_TOOL_EXTRA := -lssl -lcrypto
KEYS_TOOLS	:= $(patsubst %,$(BUILD)/tests/%,kp_peer ktls_peer tlshub_peer tlshub_cli)
$(KEYS_TOOLS): $(BUILD)/tests/%: tests/%.c $(KEYS_LIB) $(CTLLIB_LIB) | $(KP_PLUGINS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(KEYS_LIBS) $(KEYS_TOOL_EXTRA)

ALL_TARGETS	+= $(KEYS_LIB) $(KP_PLUGINS) $(KEYS_TESTS) $(KEYS_TOOLS)
UNIT_TESTS	+= $(KEYS_TESTS)
