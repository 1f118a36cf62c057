# Mode comparison through the two-node topology (issue #5 part 3, issue #4
# hand-off latency): bench/perf_test.sh runs the same tlshub_bench load for
# plain TCP, allow, user-space OpenSSL and tcseg encrypt with the openssl,
# boringssl and tlshub key providers, plus the daemons' hand-off latency.
# `make perf` on this kernel (without kTLS the encrypt rows are n/a and the
# hand-off figure is a proxy), `make perf-vm` in the qemu VM (kTLS).
# PERF_ARGS: e.g. -q (quick), --rounds N, --out DIR.
# tests/suites/67-perf-smoke.sh runs `bench/perf_test.sh host -q` in `make test`.

PERF_ARGS	?=
PERF_DEPS	:= $(BUILD)/tcsegd $(BUILD)/tcctl $(KP_PLUGINS) \
		   $(BUILD)/tests/tlshub_peer $(BUILD)/bench/tlshub_bench

.PHONY: perf perf-vm
perf: $(PERF_DEPS)
	TCSEG_BUILD=$(abspath $(BUILD)) bench/perf_test.sh host $(PERF_ARGS)

perf-vm: $(PERF_DEPS) vm-image
	TCSEG_BUILD=$(abspath $(BUILD)) bench/perf_test.sh vm $(PERF_ARGS)

# `make bench` runs perf_test.sh too (bench/run.sh), and l7_compare.sh
bench: $(PERF_DEPS) $(L7BENCH)
