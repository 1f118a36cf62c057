# libFuzzer targets (fuzz/*.c, issue #6): clang with
# -fsanitize=fuzzer,address,undefined, built into $(BUILD)/fuzz/ by
# `make fuzz-build`; `make fuzz` also runs each for FUZZ_SECONDS
# (fuzz/run.sh: executions and findings per target, non-zero on a crash).
# Not part of ALL_TARGETS: plain `make` needs no libFuzzer runtime
# (Debian: libclang-rt-14-dev, in tools/deps.sh). fuzz_packet needs root.

FUZZ_CC		?= clang
FUZZ_SECONDS	?= 60
FUZZ_DIR	:= $(BUILD)/fuzz
FUZZ_SAN	:= -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS	:= -g -O1 -fno-omit-frame-pointer $(FUZZ_SAN) -std=gnu11 \
		   -Wall -Wextra -Werror -D_GNU_SOURCE -Iinclude -Ictl \
		   -Itests/bpf -I$(BUILD)
FUZZ_NAMES	:= policy_words policy_file pod_map config tlshub_reply json \
		   ringbuf packet ctl cni netlink
FUZZ_BINS	:= $(patsubst %,$(FUZZ_DIR)/fuzz_%,$(FUZZ_NAMES))

# The parsers, instrumented for coverage and the sanitizers.
FUZZ_LIB_SRCS	:= ctl/policy/parse.c ctl/policy/rule.c ctl/policy/compile.c ctl/lib/json.c ctl/lib/json_read.c \
		   ctl/policy/pod_name.c \
		   ctl/lib/conf_file.c ctl/daemon/pod_map.c ctl/daemon/daemon_config.c \
		   ctl/keys/tlshub_client.c ctl/keys/tlshub_hkdf.c ctl/daemon/tcsegd_corr.c \
		   ctl/daemon/tcsegd_proto.c ctl/lib/nl_req.c \
		   ctl/daemon/nl_neigh.c ctl/daemon/sock_diag.c \
		   ctl/daemon/tcsegd_link.c
FUZZ_LIB_OBJS	:= $(patsubst ctl/%.c,$(FUZZ_DIR)/obj/%.o,$(FUZZ_LIB_SRCS))
FUZZ_LIB	:= $(FUZZ_DIR)/libfuzzdeps.a
FUZZ_HDRS	:= $(wildcard ctl/*/*.h include/*.h) fuzz/fuzz_util.h

$(FUZZ_LIB_OBJS): $(FUZZ_DIR)/obj/%.o: ctl/%.c $(FUZZ_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_LIB): $(FUZZ_LIB_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

$(FUZZ_DIR)/obj/harness.o: tests/bpf/harness.c $(wildcard tests/bpf/*.h) \
			   $(BUILD)/tcseg.skel.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_DIR)/fuzz_%: fuzz/fuzz_%.c $(FUZZ_LIB) $(FUZZ_HDRS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< -o $@ $(FUZZ_LIB) \
		-lmnl -lcrypto -lpthread

$(FUZZ_DIR)/fuzz_packet: fuzz/fuzz_packet.c $(FUZZ_DIR)/obj/harness.o \
			 $(FUZZ_LIB) $(FUZZ_HDRS) $(BUILD)/tcseg.skel.h
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< -o $@ \
		$(FUZZ_DIR)/obj/harness.o $(FUZZ_LIB) $(LIBBPF_LIBS) -lpthread

# The JSON writer and reader (over jansson, not instrumented).
$(FUZZ_DIR)/fuzz_json: fuzz/fuzz_json.c $(FUZZ_LIB) $(FUZZ_HDRS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< -o $@ $(FUZZ_LIB) -ljansson

# tcseg-cni's input checks: jansson is not instrumented, our code is.
$(FUZZ_DIR)/fuzz_cni: fuzz/fuzz_cni.c ctl/cni/cni_conf.c $(FUZZ_LIB) \
		      $(FUZZ_HDRS) $(wildcard ctl/cni/*.h)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< \
		ctl/cni/cni_conf.c -o $@ $(FUZZ_LIB) -ljansson

.PHONY: fuzz fuzz-build
fuzz-build: $(FUZZ_BINS)

# FUZZ_TARGETS="json pod_map" runs a subset.
fuzz: fuzz-build
	fuzz/run.sh $(FUZZ_DIR) $(FUZZ_SECONDS) $(FUZZ_TARGETS)
