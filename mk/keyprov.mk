# Key providers behind one facade (ctl/kp_facade.c, docs/KEYS.md
# §6): the node protocol (ctl/key_provider.c, linked into the
# daemon, no SSL) and the TLSHub client (ctl/kp_tlshub.c over
# ctl/tlshub_client.c, mk/tlshub.mk); the node protocol's
# two TLS plugins built from the same ctl/kp_tls.c: one against OpenSSL 3,
# one against BoringSSL. The two libraries export the same symbols, so they
# are never linked into one object; key_provider.c dlopen()s one of them.

BSSL_INC	:= /usr/include/android
BSSL_LIBDIR	:= /usr/lib/x86_64-linux-gnu/android
KP_PLUGIN_CFLAGS := $(CFLAGS) -fPIC -fvisibility=hidden
KP_PLUGIN_DEPS	:= ctl/kp_tls.c ctl/kp_tls.h

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

KP_OBJ		:= $(BUILD)/ctl/key_provider.o $(BUILD)/ctl/kp_isn.o \
		   $(BUILD)/ctl/kp_pair.o $(BUILD)/ctl/tlshub_hkdf.o \
		   $(BUILD)/ctl/kp_facade.o $(BUILD)/ctl/kp_tlshub.o \
		   $(BUILD)/ctl/tlshub_client.o
# libcrypto (OpenSSL 3) for the HKDF: the BoringSSL plugin cannot bind to
# it (RTLD_DEEPBIND, docs/KEYS.md §10; 30-keyprov checks).
KP_LIBS		:= -ldl -lpthread -lmnl -lcrypto

$(BUILD)/ctl/key_provider.o $(BUILD)/ctl/kp_facade.o \
$(BUILD)/ctl/kp_tlshub.o: $(BUILD)/ctl/%.o: ctl/%.c ctl/key_provider.h \
		ctl/kp_tls.h ctl/kp_pair.h ctl/tlshub_client.h \
		include/tcseg_keys.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/ctl/kp_pair.o: ctl/kp_pair.c ctl/kp_pair.h ctl/tlshub_hkdf.h \
		include/tcseg_keys.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/ctl/kp_isn.o: ctl/kp_isn.c ctl/kp_isn.h include/tcseg_keys.h \
		include/tcseg.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/tests/unit/test_keyprov: tests/unit/test_keyprov.c $(KP_OBJ) \
		ctl/key_provider.h ctl/kp_tls.h ctl/kp_isn.h \
		tests/unit/keys_test_util.h | $(KP_PLUGINS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(KP_OBJ) -lcmocka $(KP_LIBS)

# kp_peer: one node's key service and client for the host and VM suites.
# It configures kTLS with ctl/ktls.c (helper "ktls").
$(BUILD)/tests/kp_peer: tests/kp_peer.c $(KP_OBJ) $(BUILD)/libtcseg_ktls.a \
		ctl/ktls.h ctl/key_provider.h | $(KP_PLUGINS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(KP_OBJ) $(BUILD)/libtcseg_ktls.a $(KP_LIBS)

ALL_TARGETS	+= $(KP_PLUGINS) $(KP_OBJ) $(BUILD)/tests/kp_peer \
		   $(BUILD)/tests/unit/test_keyprov
UNIT_TESTS	+= $(BUILD)/tests/unit/test_keyprov
