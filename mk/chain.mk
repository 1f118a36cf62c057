# The chaining test's counting program (tests/chain/, docs/DATAPATH.md
# §Chaining): a second tc program beside tcseg. Links ctl/dataplane (attach, loader).

CHAIN_DIR	:= $(BUILD)/chain

$(CHAIN_DIR)/count.bpf.o: tests/chain/count.bpf.c $(VMLINUX_H) $(BPF_HDRS)
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(CHAIN_DIR)/count.skel.h: $(CHAIN_DIR)/count.bpf.o
	$(BPFTOOL) gen skeleton $< name count_bpf > $@.tmp
	mv $@.tmp $@

$(BUILD)/tests/chain_count: tests/chain/chain_count.c $(CHAIN_DIR)/count.skel.h \
			    $(DATAPLANE_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(DATAPLANE_LIBS)

ALL_TARGETS	+= $(BUILD)/tests/chain_count
