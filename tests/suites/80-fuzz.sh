#!/bin/bash
# libFuzzer targets (fuzz/, issue #6): build them (clang, libFuzzer,
# ASan + UBSan) and run each for FUZZ_SECONDS (default 10 here; CI sets
# 60). One PASS/FAIL line per target with its execution count; a crash,
# leak, timeout or broken invariant fails it (reproducer under
# $TCSEG_BUILD/fuzz/artifacts/). fuzz_packet needs root (BPF_PROG_TEST_RUN).
set -uo pipefail
. "$(dirname "$0")/../lib/testlib.sh"

secs=${FUZZ_SECONDS:-10}
log=$TCSEG_BUILD/fuzz/build.log
mkdir -p "$TCSEG_BUILD/fuzz"
if ! make -C "$TCSEG_ROOT" --no-print-directory BUILD="$TCSEG_BUILD" \
	fuzz-build >"$log" 2>&1; then
	t_fail fuzz_build "make fuzz-build failed: $(grep -m1 -E 'error|Error' "$log")"
	exit 1
fi
t_pass fuzz_build
names=(policy_words policy_file pod_map config tlshub_reply json ringbuf ctl cni)
if [ "$(id -u)" -eq 0 ]; then
	names+=(packet)
else
	t_skip fuzz_packet "needs root (BPF_PROG_TEST_RUN; CI runs as root)"
fi
"$TCSEG_ROOT/fuzz/run.sh" "$TCSEG_BUILD/fuzz" "$secs" "${names[@]}"
