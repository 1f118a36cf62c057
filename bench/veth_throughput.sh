#!/bin/bash
# TCP throughput pod a -> pod b over veth + bridge (iperf3), with:
#   none        nothing on the path
#   tcseg       tcseg on both pods' veths: default deny, the flow allowed
#               by a CIDR rule, 10k other CIDR rules loaded
#   nft-linear  bridge forward chain (host netns), policy drop: the same
#               10k rules as linear nft rules, then accepts for the flow
#               and its replies (stateless: every packet walks the chain)
#   nft-ct      inet forward chain (br_netfilter, conntrack): ct state
#               established accept first, then the 10k linear rules and
#               the accept (stateful, like tcseg: new flows walk the rules)
#   nft-set     bridge forward chain: the 10k rules as one concatenated
#               interval verdict map, then the accepts (stateless)
#   none6, tcseg6  none and tcseg with the flow over IPv6 (fd00::1 ->
#               fd00::2; the policy holds every rule in both families,
#               bench/bench_policy.h), ratio against none6
# Modes alternate within each round (odd rounds forwards, even rounds
# backwards); the figure is the median of the rounds, and every ratio is
# against "none" of the same run. -a N,M pins the iperf3 client to CPU N
# and the server to CPU M (iperf3 -A; default: the scheduler decides).
#
#   bench/veth_throughput.sh [-t SECONDS] [-r ROUNDS] [-m "MODE..."] [-a N,M]
#                            [-p PAIRS]
# -p: then PAIRS back-to-back none/tcseg pairs of 2 s runs (ABBA order),
# the ratio taken within each pair: load that changes over tens of
# seconds cancels out (default 10; 0 = none).
# Needs root, BPF, iperf3 and nft. TCSEG_BUILD = build dir (tcctl, prog_bench).
set -uo pipefail
. "$(dirname "$0")/../tests/lib/testlib.sh"
NT_ID=bench$$
. "$TCSEG_ROOT/netns-tests/lib.sh"

SECS=5 ROUNDS=5 MODES="none tcseg none6 tcseg6 nft-linear nft-ct nft-set"
AFFINITY= PAIRS=10
while getopts "t:r:m:a:p:" o; do
	case $o in
	p) PAIRS=$OPTARG ;;
	a) AFFINITY=$OPTARG ;;
	t) SECS=$OPTARG ;;
	r) ROUNDS=$OPTARG ;;
	m) MODES=$OPTARG ;;
	*) echo "usage: $0 [-t SECONDS] [-r ROUNDS] [-m MODES] [-a N,M] [-p PAIRS]" >&2; exit 2 ;;
	esac
done
A=10.200.0.1 B=10.200.0.2 B6=fd00::2
PB=$TCSEG_BUILD/bench/prog_bench
AWK="awk -f $TCSEG_ROOT/bench/policy2nft.awk"
hns() { ip netns exec "$NS_HOST" "$@"; }
die() { echo "veth_throughput: $*" >&2; exit 1; }

setup() {
	[ "$(id -u)" = 0 ] || die "needs root"
	command -v iperf3 >/dev/null && command -v nft >/dev/null ||
		die "needs iperf3 and nft"
	[ -x "$PB" ] && [ -x "$TCSEG_BUILD/tcctl" ] || die "build first: make bench"
	nt_setup && nt_add_pod a 1 && nt_add_pod b 2 && nt_pod_v6 a 1 &&
		nt_pod_v6 b 2 || die "pods"
	# one TCP connection's worth of CPU on each side: fixed, repeatable
	"$PB" gen-policy --exact 0 --cidr 10000 --v6 >"$NT_DIR/p" || die "gen-policy"
	# nft: the IPv4 rules (fixed: ids 1-5)
	grep -v '^id [1-5] ' "$NT_DIR/p" | grep -v -e '^#' -e : >"$NT_DIR/fill"
	grep '^id [1-5] ' "$NT_DIR/p" >"$NT_DIR/fixed"
	# room for the 10k CIDR rules in both families
	tc_ load cidr 32768 classes 32768 >/dev/null && tc_ default deny >/dev/null &&
		tc_ policy apply -f "$NT_DIR/p" >/dev/null || die "tcctl load/apply"
	bg_pod b iperf3 -s -p 5201 >/dev/null 2>&1
	wait_port b t 5201 || die "iperf3 server"
	nft_files
}

# The three nft rule sets, written once.
nft_files() {
	{
		echo "table bridge tcsegbench {"
		echo "	chain bench {"
		echo "		type filter hook forward priority 0; policy drop;"
		echo "		ether type arp accept"
		$AWK "$NT_DIR/fill"
		echo "		counter"
		$AWK -v reply=1 "$NT_DIR/fixed"
		echo "	}"
		echo "}"
	} >"$NT_DIR/nft-linear"
	{
		echo "table inet tcsegbench {"
		echo "	chain bench {"
		echo "		type filter hook forward priority 0; policy drop;"
		echo "		ct state established,related accept"
		$AWK "$NT_DIR/fill"
		echo "		counter"
		$AWK "$NT_DIR/fixed"
		echo "	}"
		echo "}"
	} >"$NT_DIR/nft-ct"
	{
		echo "table bridge tcsegbench {"
		echo "	map fill {"
		echo "		type ipv4_addr . ipv4_addr . inet_service : verdict"
		echo "		flags interval"
		echo "		elements = {"
		awk '{ for (i = 1; i < NF; i += 2) v[$i] = $(i + 1)
		       printf "\t\t\t%s . %s . %s : %s,\n", v["from"], v["to"],
			      v["dport"], v["action"] == "deny" ? "drop" : "accept" }' \
			"$NT_DIR/fill"
		echo "		}"
		echo "	}"
		echo "	chain bench {"
		echo "		type filter hook forward priority 0; policy drop;"
		echo "		ether type arp accept"
		echo "		meta l4proto tcp ip saddr . ip daddr . tcp dport vmap @fill"
		echo "		counter"
		$AWK -v reply=1 "$NT_DIR/fixed"
		echo "	}"
		echo "}"
	} >"$NT_DIR/nft-set"
}

# mode_on MODE / mode_off MODE
mode_on() {
	case $1 in
	none | none6) ;;
	tcseg | tcseg6) tc_ attach va >/dev/null && tc_ attach vb >/dev/null ;;
	nft-*) hns nft -f "$NT_DIR/$1" ;;
	*) die "unknown mode $1" ;;
	esac
}

mode_off() {
	case $1 in
	tcseg | tcseg6) tc_ detach va >/dev/null; tc_ detach vb >/dev/null ;;
	nft-linear | nft-set) hns nft delete table bridge tcsegbench ;;
	nft-ct) hns nft delete table inet tcsegbench ;;
	esac
	return 0
}

# The rule set must really see the flow: its counter (after the fillers)
# counted packets, and tcseg counted allowed packets.
mode_check() {
	local fam=bridge out
	case $1 in
	tcseg | tcseg6)
		out=$(tc_ -j stats | python3 -c 'import json,sys
print(json.load(sys.stdin)["counters"]["allowed_packets"])') || return 1
		[ "$out" -gt "${TCSEG_ALLOWED:-0}" ] 2>/dev/null && TCSEG_ALLOWED=$out
		;;
	nft-*)
		[ "$1" = nft-ct ] && fam=inet
		out=$(hns nft list chain $fam tcsegbench bench | grep -o 'packets [0-9]*' | head -1)
		[ "${out#packets }" -gt 0 ] 2>/dev/null
		;;
	esac
}

# iperf3 for SECS seconds to DST (default b's IPv4 address): Gbit/s
# received, or nothing on failure
iperf() {
	in_pod a iperf3 -c "${DST:-$B}" -p 5201 -t "$SECS" -O 1 ${AFFINITY:+-A $AFFINITY} -J 2>/dev/null |
		python3 -c 'import json,sys
j = json.load(sys.stdin)
print("%.3f" % (j["end"]["sum_received"]["bits_per_second"] / 1e9))' 2>/dev/null
}

# "RUNS NS" summed over tcseg's two pinned programs (kernel.bpf_stats_enabled)
prog_stats() {
	local p
	for p in from_pod to_pod; do
		bpftool -j prog show pinned "$NT_DIR/bpf/tcseg/progs/$p"
	done | python3 -c 'import json,sys
runs = ns = 0
for line in sys.stdin:
    j = json.loads(line)
    runs += j.get("run_cnt", 0)
    ns += j.get("run_time_ns", 0)
print(runs, ns)'
}

# One more tcseg run with BPF run-time stats on (not in the throughput
# figures: the stats cost two clock reads per run): what the program
# really costs per packet on this path, and its share of a CPU.
real_cost() {
	local old a b g
	old=$(sysctl -n kernel.bpf_stats_enabled) || return 1
	mode_on tcseg || return 1
	sysctl -qw kernel.bpf_stats_enabled=1
	a=$(prog_stats)
	g=$(iperf)
	b=$(prog_stats)
	sysctl -qw kernel.bpf_stats_enabled="$old"
	mode_off tcseg
	[ -n "$g" ] && [ -n "$a" ] && [ -n "$b" ] || return 1
	echo "$a $b $g $SECS" | awk '{ runs = $3 - $1; ns = $4 - $2
		if (runs <= 0) exit 1
		# iperf3 -O 1: one second more than SECS ran
		printf "tcseg in the real path (bpf_stats, %.2f Gbit/s): %d runs in %d s = %.0f runs/s, %.0f ns/run, %.2f%% of one CPU\n", $5, runs, $6 + 1, runs / ($6 + 1), ns / runs, ns / (($6 + 1) * 1e7)
		printf "RESULT veth_tcseg_run_ns %.0f\nRESULT veth_tcseg_runs_per_s %.0f\nRESULT veth_tcseg_cpu_pct %.3f\n", ns / runs, runs / ($6 + 1), ns / (($6 + 1) * 1e7) }'
}

# Paired runs: tcseg / none of adjacent 2 s runs, median of the ratios.
paired() {
	local i a b ratios=
	for i in $(seq "$PAIRS"); do
		if [ $((i % 2)) = 1 ]; then
			a=$(SECS=2 iperf); mode_on tcseg; b=$(SECS=2 iperf); mode_off tcseg
		else
			mode_on tcseg; b=$(SECS=2 iperf); mode_off tcseg; a=$(SECS=2 iperf)
		fi
		[ -n "$a" ] && [ -n "$b" ] || return 1
		ratios="$ratios $(awk "BEGIN { printf \"%.3f\", $b / $a }")"
	done
	echo "paired none/tcseg runs (2 s each, $PAIRS pairs): tcseg/none ratios:$ratios"
	echo "RESULT veth_tcseg_paired $(echo $ratios | tr ' ' '\n' | median)"
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

main() {
	local r= m= g= order=
	declare -A res
	setup
	echo "veth_throughput: kernel $(uname -r), $(nproc) CPUs, iperf3 ${SECS}s x $ROUNDS rounds, modes: $MODES"
	for r in $(seq "$ROUNDS"); do
		# odd rounds in the given order, even rounds reversed: drift
		# over the run does not favour the modes that come first
		order=$MODES
		[ $((r % 2)) = 0 ] && order=$(echo $MODES | tr ' ' '\n' | tac | tr '\n' ' ')
		for m in $order; do
			mode_on "$m" || die "$m: setting up failed"
			DST=$B
			[[ $m == *6 ]] && DST=$B6
			g=$(DST=$DST iperf)
			if [ -z "$g" ]; then
				mode_off "$m"
				die "$m: iperf3 failed (round $r)"
			fi
			mode_check "$m" || echo "veth_throughput: WARNING: $m did not see the flow" >&2
			mode_off "$m"
			res[$m]="${res[$m]:-} $g"
			printf "round %d %-11s %8.2f Gbit/s\n" "$r" "$m" "$g"
		done
	done
	local base base4 base6
	base4=$(echo ${res[none]:-} | tr ' ' '\n' | median)
	base6=$(echo ${res[none6]:-} | tr ' ' '\n' | median)
	echo
	printf "%-11s %10s %9s  %s\n" mode "Gbit/s" "x none" "rounds"
	for m in $MODES; do
		# IPv6 modes against none6
		base=$base4
		[[ $m == *6 ]] && base=$base6
		g=$(echo ${res[$m]} | tr ' ' '\n' | median)
		printf "%-11s %10.2f %9s  %s\n" "$m" "$g" \
			"$([ -n "$base" ] && awk "BEGIN { printf \"%.3f\", $g / $base }")" "${res[$m]# }"
		echo "RESULT veth_$m $g $([ -n "$base" ] && awk "BEGIN { printf \"%.3f\", $g / $base }")" >>"$NT_DIR/results"
	done
	if [[ " $MODES " == *" tcseg "* ]] && [ "$PAIRS" -gt 0 ]; then
		echo
		paired >"$NT_DIR/paired" || echo "veth_throughput: WARNING: paired runs failed" >&2
		grep -v RESULT "$NT_DIR/paired"
		grep RESULT "$NT_DIR/paired" >>"$NT_DIR/results"
	fi
	if [[ " $MODES " == *" tcseg "* ]]; then
		echo
		real_cost >"$NT_DIR/real" ||
			echo "veth_throughput: WARNING: no BPF run-time stats" >&2
		grep -v RESULT "$NT_DIR/real"
		grep RESULT "$NT_DIR/real" >>"$NT_DIR/results"
	fi
	cat "$NT_DIR/results"
}

main
