# Data-plane benchmarks (bench/): prog_bench (BPF_PROG_TEST_RUN cost per
# packet), veth throughput against nftables, policy apply time.
# `make bench` runs them all (root, BPF, iperf3, nft); figures and method
# are in docs/BENCHMARKS.md. tests/suites/60-bench-smoke.sh runs a small
# prog_bench in `make test`.

PROG_BENCH	:= $(BUILD)/bench/prog_bench
PROG_BENCH_SRCS	:= bench/prog_bench.c bench/bench_policy.c
PROG_BENCH_HDRS	:= bench/bench_policy.h tests/bpf/pkt.h include/tcseg.h
COST_BPF_OBJ	:= $(BUILD)/bench/cost.bpf.o
COST_SKEL	:= $(BUILD)/bench/cost.skel.h

# one TC program per operation of the data path, for the cost breakdown
# (paths spelled out: bpf.mk, which names them, is read after this file)
$(COST_BPF_OBJ): bench/cost.bpf.c bench/key_cost.h $(BUILD)/vmlinux.h \
		 $(wildcard bpf/lib/*.h include/*.h)
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(COST_SKEL): $(COST_BPF_OBJ)
	$(BPFTOOL) gen skeleton $< name cost_bpf > $@.tmp
	mv $@.tmp $@

$(PROG_BENCH): $(PROG_BENCH_SRCS) $(PROG_BENCH_HDRS) $(BUILD)/tcseg.skel.h \
	       $(COST_SKEL)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests/bpf -o $@ $(PROG_BENCH_SRCS) $(LIBBPF_LIBS) -lm

# the key layouts' lookup cost (docs/DATAPATH.md, "IPv6: one key per map")
KEY_COST	:= $(BUILD)/bench/key_cost
$(KEY_COST): bench/key_cost.c bench/key_cost.h tests/bpf/pkt.h include/tcseg.h \
	     $(COST_SKEL)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests/bpf -o $@ $< $(LIBBPF_LIBS)

ALL_TARGETS	+= $(PROG_BENCH) $(KEY_COST)

bench: $(PROG_BENCH) $(BUILD)/tcctl vm-image
	TCSEG_BUILD=$(abspath $(BUILD)) bench/run.sh
