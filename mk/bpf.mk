# BPF objects (CO-RE) and their libbpf skeletons.
# vmlinux.h is generated from the running kernel's BTF, never committed.

VMLINUX_H	:= $(BUILD)/vmlinux.h
BPF_SRCS	:= $(wildcard bpf/*.bpf.c)
BPF_OBJS	:= $(patsubst bpf/%.bpf.c,$(BUILD)/%.bpf.o,$(BPF_SRCS))
BPF_SKELS	:= $(patsubst bpf/%.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))
BPF_HDRS	:= $(wildcard bpf/lib/*.h) $(wildcard include/*.h)

$(VMLINUX_H): | $(BUILD)
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp
	mv $@.tmp $@

$(BUILD)/%.bpf.o: bpf/%.bpf.c $(VMLINUX_H) $(BPF_HDRS) | $(BUILD)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(BPFTOOL) gen skeleton $< > $@.tmp
	mv $@.tmp $@

ALL_TARGETS	+= $(BPF_OBJS) $(BPF_SKELS)
