# Kernel TLS set-up (ctl/ktls.c) as a static library, its cmocka test and
# the ktls_peer test tool (client/server over kTLS, used by tests/vm/20-ktls.sh).

KTLS_OBJS	:= $(BUILD)/ctl/ktls.o
KTLS_LIB	:= $(BUILD)/libtcseg_ktls.a
KTLS_HDRS	:= ctl/ktls.h include/tcseg_keys.h

$(BUILD)/ctl/ktls.o: ctl/ktls.c $(KTLS_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

$(KTLS_LIB): $(KTLS_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/tests/unit/test_ktls: tests/unit/test_ktls.c $(KTLS_LIB) $(KTLS_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $< -o $@ $(KTLS_LIB) -lcmocka

$(BUILD)/tests/ktls_peer: tests/ktls_peer.c $(KTLS_LIB) $(KTLS_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $< -o $@ $(KTLS_LIB) -lcrypto

ALL_TARGETS	+= $(KTLS_LIB) $(BUILD)/tests/unit/test_ktls $(BUILD)/tests/ktls_peer
UNIT_TESTS	+= $(BUILD)/tests/unit/test_ktls
