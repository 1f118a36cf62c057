# Tests of tcctl's map writers that link its objects (after mk/tcctl.mk):
# the policy replace under a BPF_PROG_TEST_RUN packet stream.

REPLACE_TEST	:= $(BUILD)/tests/policy/test_replace

$(REPLACE_TEST): tests/policy/test_replace.c $(DATAPLANE_OBJS) $(POLICY_LIB) \
		 tests/bpf/pkt.h include/tcseg.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests/bpf -o $@ $< $(DATAPLANE_OBJS) $(POLICY_LIB) \
		$(LIBBPF_LIBS) -lpthread

ALL_TARGETS	+= $(REPLACE_TEST)
