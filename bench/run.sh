#!/bin/bash
# `make bench`: every benchmark, then the figures against the targets of
# issues #2 and #5 (docs/BENCHMARKS.md explains each one): the data plane
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
awk '
$1 == "RESULT" { v[$2] = $3; r[$2] = $4 }
function ms(k) { return v[k] " ms (CPU " r[k] ")" }
function line(what, fig, target, ok) {
	printf "%-44s %-26s %-10s %s\n", what, fig, target, ok ? "met" : "MISSED"
}
END {
	print ""
	printf "%-44s %-26s %-10s %s\n", "target", "figure", "wanted", "result"
	line("session hit vs empty program", sprintf("%.2fx", r["session_hit"]), "<= 1.3x", r["session_hit"] <= 1.3)
	line("new flow (exact rule) vs empty program", sprintf("%.2fx", r["new_flow_exact"]), "<= 3x", r["new_flow_exact"] <= 3)
	line("new flow (CIDR rule) vs empty program", sprintf("%.2fx", r["new_flow_cidr"]), "<= 3x", r["new_flow_cidr"] <= 3)
	line("TCP over veth, tcseg vs no program", sprintf("%.3fx", r["veth_tcseg"]), ">= 0.97x", r["veth_tcseg"] >= 0.97)
	line("  same, paired 2 s runs (median ratio)", sprintf("%.3fx", v["veth_tcseg_paired"]), ">= 0.97x", v["veth_tcseg_paired"] >= 0.97)
	printf "%-44s %.2f%% of one CPU at %.0f runs/s, %.0f ns/run\n", "  (tcseg CPU share in that path, bpf_stats)", v["veth_tcseg_cpu_pct"], v["veth_tcseg_runs_per_s"], v["veth_tcseg_run_ns"]
	line("apply 100k+10k rules into empty maps", ms("apply_first"), "< 1000 ms", v["apply_first"] < 1000)
	line("re-apply the same rules (CPU, issue 14)", ms("apply_same"), "<= 250 ms", r["apply_same"] != "" && r["apply_same"] <= 250)
	line("apply with 1% of the rules changed (CPU)", ms("apply_change1"), "<= 300 ms", r["apply_change1"] != "" && r["apply_change1"] <= 300)
	if ("perf_conn_rate_allow" in r)
		line("tcseg allow conn/s vs plain TCP (two nodes)", sprintf("%.2fx", r["perf_conn_rate_allow"]), ">= 0.95x", r["perf_conn_rate_allow"] >= 0.95)
	if ("vm_perf_conn_rate_allow" in r)
		line("  same in the VM (TCG)", sprintf("%.2fx", r["vm_perf_conn_rate_allow"]), ">= 0.95x", r["vm_perf_conn_rate_allow"] >= 0.95)
	split("openssl boringssl tlshub", P, " ")
	for (i = 1; i <= 3; i++) {
		k = "vm_perf_handoff_reused_p50_us_" P[i]
		if (k in v)
			line("hand-off p50, reused session, " P[i] " (VM, TCG)", v[k] " us", "<= 200 us", v[k] <= 200)
		k = "perf_handoff_proxy_reused_p50_us_" P[i]
		if (k in v)
			line("  host proxy (keys agreed, no kTLS), " P[i], v[k] " us", "<= 200 us", v[k] <= 200)
		k = "vm_perf_handoff_fresh_us_" P[i]
		if (k in v)
			line("hand-off, fresh handshake, " P[i] " (VM, TCG)", v[k] " us", "<= 5000 us", v[k] <= 5000)
	}
	print "(the hand-off and L7 tables above say which figures are emulated or proxies)"
}' "$out"
exit $rc
