#!/bin/bash
# Run the libFuzzer targets: fuzz/run.sh FUZZ_DIR SECONDS [NAME...]
# Each target starts from its committed seeds (fuzz/corpus/NAME) plus what
# earlier runs found (FUZZ_DIR/corpus/NAME, outside the source tree) and
# runs for SECONDS with -max_total_time. One line per target:
#   PASS fuzz_NAME: N execs in T s, corpus C, 0 findings
#   FAIL fuzz_NAME: ... findings: the reproducer files under FUZZ_DIR/artifacts
# Exit status 1 if any target crashed, leaked, timed out or could not run.
# fuzz_packet needs root (BPF_PROG_TEST_RUN): SKIP without it.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:?usage: run.sh FUZZ_DIR SECONDS [NAME...]}
secs=${2:?usage: run.sh FUZZ_DIR SECONDS [NAME...]}
shift 2
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(policy_words policy_file pod_map config \
				 tlshub_reply json ringbuf packet ctl cni netlink)

# -max_len per target: policy lines and netlink replies are short, files
# and frame sequences longer.
max_len() {
	case $1 in
	policy_words|tlshub_reply|ringbuf|ctl) echo 1024 ;;
	netlink) echo 4096 ;;
	packet) echo 4096 ;;
	*) echo 8192 ;;
	esac
}

fails=0
for n in "${names[@]}"; do
	bin=$dir/fuzz_$n
	if [ ! -x "$bin" ]; then
		echo "FAIL fuzz_$n: $bin not built (make fuzz-build)"
		fails=$((fails + 1))
		continue
	fi
	if [ "$n" = packet ] && [ "$(id -u)" -ne 0 ]; then
		echo "SKIP fuzz_$n: needs root (BPF_PROG_TEST_RUN)"
		continue
	fi
	work=$dir/corpus/$n
	art=$dir/artifacts/$n
	log=$dir/logs/$n.log
	mkdir -p "$work" "$art" "$(dirname "$log")"
	rm -f "$art"/*
	seeds=()
	[ -d "$root/fuzz/corpus/$n" ] && seeds=("$root/fuzz/corpus/$n")
	start=$SECONDS
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
		"$bin" -max_total_time="$secs" -max_len="$(max_len "$n")" \
		-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$art/" "$work" "${seeds[@]}" >"$log" 2>&1
	rc=$?
	took=$((SECONDS - start))
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	corpus=$(find "$work" -type f | wc -l)
	found=$(find "$art" -type f | wc -l)
	desc="${execs:-0} execs in ${took} s, corpus $corpus, $found findings"
	if [ "$rc" -eq 0 ] && [ "$found" -eq 0 ] && [ -n "$execs" ]; then
		echo "PASS fuzz_$n: $desc"
	else
		why=$(grep -m1 -E 'ERROR:|fuzz invariant|runtime error|Assertion' "$log" || tail -n 1 "$log")
		echo "FAIL fuzz_$n: $desc (exit $rc): $why; log $log, reproducers in $art"
		fails=$((fails + 1))
	fi
done
exit $((fails > 0))
