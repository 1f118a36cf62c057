# BPF_PROG_TEST_RUN suite of the data plane: tests/bpf/*.c linked with the
# tcseg skeleton into one binary, run by tests/suites/20-bpf.sh (as root).

BPFTEST_SRCS	:= $(wildcard tests/bpf/*.c)
BPFTEST_OBJS	:= $(patsubst tests/bpf/%.c,$(BUILD)/tests/bpf/%.o,$(BPFTEST_SRCS))
BPFTEST_BIN	:= $(BUILD)/tests/bpf/test_datapath

$(BPFTEST_OBJS): $(BUILD)/tests/bpf/%.o: tests/bpf/%.c $(wildcard tests/bpf/*.h) \
		 include/tcseg.h $(BUILD)/tcseg.skel.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

$(BPFTEST_BIN): $(BPFTEST_OBJS)
	$(CC) $(CFLAGS) $^ -o $@ $(LIBBPF_LIBS)

ALL_TARGETS	+= $(BPFTEST_BIN)
