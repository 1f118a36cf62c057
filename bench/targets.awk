# The figures of `make bench` against the targets of issues #2, #5 and
# #14 (docs/BENCHMARKS.md explains each one): reads the RESULT lines the
# benchmarks print (RESULT NAME VALUE [RATIO]), prints one line a target,
# met or MISSED.  bench/run.sh runs it; tests/suites/60-bench-smoke.sh
# checks it on made-up figures.
$1 == "RESULT" { v[$2] = $3; r[$2] = $4 }
function ms(k) { return v[k] " ms (CPU " r[k] ")" }
# a ratio that is there and at most @max (a missing figure misses)
function le(k, max) { return (k in r) && r[k] != "" && r[k] + 0 <= max }
function line(what, fig, target, ok) {
	printf "%-44s %-26s %-10s %s\n", what, fig, target, ok ? "met" : "MISSED"
}
END {
	print ""
	printf "%-44s %-26s %-10s %s\n", "target", "figure", "wanted", "result"
	# issue #14: ratios against the empty program of the same run
	line("session hit vs empty program, IPv4", sprintf("%.2fx", r["session_hit"]), "<= 2.5x", le("session_hit", 2.5))
	line("session hit vs empty program, IPv6", sprintf("%.2fx", r["session_hit6"]), "<= 2.5x", le("session_hit6", 2.5))
	line("new flow (exact rule) vs empty, IPv4", sprintf("%.2fx", r["new_flow_exact"]), "<= 25x", le("new_flow_exact", 25))
	line("new flow (exact rule) vs empty, IPv6", sprintf("%.2fx", r["new_flow_exact6"]), "<= 25x", le("new_flow_exact6", 25))
	printf "%-44s %-26s %-10s %s\n", "  new flow (CIDR rule) IPv4 / IPv6", sprintf("%.2fx / %.2fx", r["new_flow_cidr"], r["new_flow_cidr6"]), "-", "(no target)"
	line("TCP over veth, tcseg vs no program", sprintf("%.3fx", r["veth_tcseg"]), ">= 0.97x", r["veth_tcseg"] >= 0.97)
	line("  same, paired 2 s runs (median ratio)", sprintf("%.3fx", v["veth_tcseg_paired"]), ">= 0.97x", v["veth_tcseg_paired"] >= 0.97)
	printf "%-44s %.2f%% of one CPU at %.0f runs/s, %.0f ns/run\n", "  (tcseg CPU share in that path, bpf_stats)", v["veth_tcseg_cpu_pct"], v["veth_tcseg_runs_per_s"], v["veth_tcseg_run_ns"]
	line("apply 100k+10k rules into empty maps", ms("apply_first"), "< 1000 ms", v["apply_first"] < 1000)
	line("re-apply the same rules (CPU, issue 14)", ms("apply_same"), "<= 250 ms", le("apply_same", 250))
	line("apply with 1% of the rules changed (CPU)", ms("apply_change1"), "<= 300 ms", le("apply_change1", 300))
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
			line("  host proxy (keys agreed, no kTLS), " P[i], v[k] " us", "<= 300 us", v[k] <= 300)
		k = "vm_perf_handoff_fresh_us_" P[i]
		if (k in v)
			line("hand-off, fresh handshake, " P[i] " (VM, TCG)", v[k] " us", "<= 5000 us", v[k] <= 5000)
	}
	print "(the hand-off and L7 tables above say which figures are emulated or proxies)"
}
