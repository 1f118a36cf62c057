# TLSHub client (ctl/tlshub_client.c over libmnl, HKDF from libcrypto in
# ctl/tlshub_hkdf.c: docs/KEYS.md §10), its cmocka test, and the
# test tools:
# tlshub_peer (user-space TLSHub module stand-in, OpenSSL mTLS between
# nodes) and tlshub_cli (drives the client for tests/suites/35-tlshub.sh).

TLSHUB_OBJS	:= $(BUILD)/ctl/tlshub_client.o $(BUILD)/ctl/tlshub_hkdf.o
TLSHUB_LIB	:= $(BUILD)/libtcseg_tlshub.a
TLSHUB_LIBS	:= -lmnl -lcrypto -lpthread
TLSHUB_HDRS	:= ctl/tlshub_client.h ctl/tlshub_hkdf.h include/tcseg_keys.h

$(BUILD)/ctl/tlshub_client.o: ctl/tlshub_client.c $(TLSHUB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/ctl/tlshub_hkdf.o: ctl/tlshub_hkdf.c ctl/tlshub_hkdf.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

$(TLSHUB_LIB): $(TLSHUB_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

# The test checks the HKDF against the RFC vectors and OpenSSL's EVP_KDF.
$(BUILD)/tests/unit/test_tlshub: tests/unit/test_tlshub.c $(TLSHUB_LIB) \
		$(TLSHUB_HDRS) tests/unit/keys_test_util.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $< -o $@ $(TLSHUB_LIB) -lcmocka $(TLSHUB_LIBS)

$(BUILD)/tests/tlshub_peer: tests/tlshub_peer.c $(TLSHUB_LIB) $(TLSHUB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $< -o $@ $(TLSHUB_LIB) -lssl $(TLSHUB_LIBS)

$(BUILD)/tests/tlshub_cli: tests/tlshub_cli.c $(TLSHUB_LIB) $(TLSHUB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $< -o $@ $(TLSHUB_LIB) $(TLSHUB_LIBS)

ALL_TARGETS	+= $(TLSHUB_LIB) $(BUILD)/tests/unit/test_tlshub \
		   $(BUILD)/tests/tlshub_peer $(BUILD)/tests/tlshub_cli
UNIT_TESTS	+= $(BUILD)/tests/unit/test_tlshub
