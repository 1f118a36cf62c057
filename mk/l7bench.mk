# Layer 7 benchmark (issue #5 part 1, seed 002): bench/tlshub_bench, an
# epoll echo server and a concurrent request/response client over plain
# TCP, user-space OpenSSL TLS 1.3 or kTLS (OpenSSL handshake, keys to the
# kernel through ctl/keys/ktls.c). `make l7bench` runs bench/l7_compare.sh on
# the host (loopback and a veth pair); `make l7bench-vm` runs the kTLS vs
# OpenSSL bulk comparison in the VM. Figures: docs/BENCHMARKS.md ("Layer 7").
# tests/suites/65-l7bench-smoke.sh runs a small tlshub_bench in `make test`.

L7BENCH		:= $(BUILD)/bench/tlshub_bench

$(L7BENCH): bench/tlshub_bench.c $(KEYS_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $< -o $@ $(KEYS_LIB) -lssl -lcrypto -lm

ALL_TARGETS	+= $(L7BENCH)

.PHONY: l7bench l7bench-vm
l7bench: $(L7BENCH)
	TCSEG_BUILD=$(abspath $(BUILD)) bench/l7_compare.sh host

l7bench-vm: $(L7BENCH) vm-image
	TCSEG_BUILD=$(abspath $(BUILD)) bench/l7_compare.sh vm
