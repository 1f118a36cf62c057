#!/bin/bash
# `make bench`: every benchmark, then the figures against the targets of
# issues #2, #5 and #14 (docs/BENCHMARKS.md explains each one): the data plane
# (prog_bench, policy_apply, veth_throughput), the Layer 7 comparison
# (bench/l7_compare.sh) and the mode comparison through tcsegd
# (bench/perf_test.sh), each on this host and in the qemu VM (kTLS).
#   bench/run.sh [-q]      -q: quick (small counts, for a try-out)
# TCSEG_BENCH_VM=0 leaves the VM runs out. Needs root, BPF, iperf3, nft,
# qemu for the VM. TCSEG_BUILD = build dir.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
export TCSEG_BUILD=${TCSEG_BUILD:-$PWD/build}
PB="$TCSEG_BUILD/bench/prog_bench"
PB_ARGS=() AP_ARGS=() VT_ARGS=() PT_ARGS=() L7_ARGS=()
if [ "${1:-}" = -q ]; then
	PB_ARGS=(--repeat 100000 --rounds 3 --flows 2000)
	AP_ARGS=(-r 1)
	VT_ARGS=(-t 2 -r 1 -p 2)
	PT_ARGS=(-q)
	L7_ARGS=(--duration 2 --conns 500)
fi
VM=${TCSEG_BENCH_VM:-1}
out=$(mktemp /tmp/tcseg-bench-out.XXXXXX)
trap 'rm -f "$out"' EXIT
rc=0

echo "# tcseg data-plane benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC'), kernel $(uname -r), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "## prog_bench ${PB_ARGS[*]}"
"$PB" "${PB_ARGS[@]}" | tee -a "$out" || rc=1
echo "## policy_apply ${AP_ARGS[*]}"
bench/policy_apply.sh "${AP_ARGS[@]}" | tee -a "$out" || rc=1
echo "## veth_throughput ${VT_ARGS[*]}"
bench/veth_throughput.sh "${VT_ARGS[@]}" | tee -a "$out" || rc=1
echo "## l7_compare host ${L7_ARGS[*]}"
bench/l7_compare.sh host "${L7_ARGS[@]}" | tee -a "$out" || rc=1
echo "## perf_test host ${PT_ARGS[*]}"
bench/perf_test.sh host "${PT_ARGS[@]}" | tee -a "$out" || rc=1
if [ "$VM" = 1 ]; then
	# the VM's figures are emulated (TCG): RESULT names get a vm_ prefix
	echo "## l7_compare vm ${L7_ARGS[*]}"
	bench/l7_compare.sh vm "${L7_ARGS[@]}" | sed 's/^RESULT /RESULT vm_/' |
		tee -a "$out" || rc=1
	echo "## perf_test vm ${PT_ARGS[*]}"
	bench/perf_test.sh vm "${PT_ARGS[@]}" | sed 's/^RESULT /RESULT vm_/' |
		tee -a "$out" || rc=1
fi

# RESULT NAME VALUE [RATIO] -> the targets
awk -f bench/targets.awk "$out"
exit $rc
