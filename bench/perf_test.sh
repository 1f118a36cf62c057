#!/bin/bash
# Mode comparison through the two-node topology (issue #5 part 3, issue #4
# hand-off latency; seed 002's perf_test.sh): the same tlshub_bench client
# load from pod-a1 against tlshub_bench servers in pod-b1, for every mode,
# interleaved over rounds (medians of the rounds):
#   plain              plain TCP, nothing of tcseg on the path
#   allow              daemons up, `action allow` for the port
#   userspace-openssl  tlshub_bench --tls openssl (TLS 1.3 in the
#                      application), `action allow`
#   encrypt-openssl    `action encrypt`: tcsegd hands the flow to kTLS,
#   encrypt-boringssl  keys agreed between the nodes by the provider
#   encrypt-tlshub     (tcctl provider set MODE; tlshub: tests/tlshub_peer)
# and the daemons' hand-off latency (capture event -> socket secured) per
# provider, the first flow after a provider switch (fresh node mTLS
# handshake) apart from the others (reused node session). Each mode's
# set-up run comes after one uncounted connection (after a provider
# switch, the one that opens the node session): conn/s is the rate with
# a reused node session.
#
#   bench/perf_test.sh host [-q] [opts]   on this kernel; without kTLS the
#                                         encrypt flows fail closed: their
#                                         rows say so and the hand-off
#                                         figure is a PROXY (event -> keys
#                                         agreed + the refused kTLS call)
#   bench/perf_test.sh vm [-q] [opts]     the same inside the qemu VM
#                                         (tools/vm/run, Debian 6.1, kTLS)
#   bench/perf_test.sh in-vm [-q] [opts]  what `vm` runs in the guest
#
# Options: -q quick (small counts), --rounds N, --conns N (connections of
# the set-up run), --duration S (request/response run), --modes LIST
# (comma-separated modes to run, e.g. plain,allow; default all), --out DIR (kept:
# runs/*.json|csv|samples.csv of tlshub_bench --output, results.csv,
# handoff.csv, blocks.csv, the daemons' logs, table.txt, latency SVGs when
# bench/plot.py exists). Needs root, BPF, $TCSEG_BUILD/{tcsegd,tcctl,
# bench/tlshub_bench,tests/tlshub_peer}. Exit 1 when a mode gave no
# figures (a failed run, no hand-off sample, a secured flow where kTLS is
# missing).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
export TCSEG_BUILD=${TCSEG_BUILD:-$root/build}
TCSEG_BUILD=$(realpath -m -- "$TCSEG_BUILD")
BENCH=$TCSEG_BUILD/bench/tlshub_bench
PEER=$TCSEG_BUILD/tests/tlshub_peer
OUT_BEGIN='====PERF-TEST-OUT-BEGIN===='
OUT_END='====PERF-TEST-OUT-END===='

die() { echo "perf_test: $*" >&2; exit 1; }
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" >&2; exit 2; }

what=${1:-}
[ $# -gt 0 ] && shift
case $what in host | vm | in-vm) ;; *) usage ;; esac
quick=0 rounds='' conns='' duration='' out='' modes=''
ALL_MODES=plain,allow,userspace-openssl,encrypt-openssl,encrypt-boringssl,encrypt-tlshub
num() { [[ $2 =~ ^[0-9]+$ ]] && [ "$2" -gt 0 ] || die "$1 wants a positive integer, got '$2'"; }
while [ $# -gt 0 ]; do
	case $1 in
	-q) quick=1; shift ;;
	--rounds) num "$1" "${2-}"; rounds=$2; shift 2 ;;
	--conns) num "$1" "${2-}"; conns=$2; shift 2 ;;
	--duration) [[ ${2-} =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "--duration wants seconds, got '${2-}'"
		duration=$2; shift 2 ;;
	--out) [ -n "${2-}" ] || die "--out wants a directory"; out=$2; shift 2 ;;
	--modes) [[ ${2-} =~ ^[a-z-]+(,[a-z-]+)*$ ]] || die "--modes wants a comma-separated list, got '${2-}'"
		for m in ${2//,/ }; do
			[[ ,$ALL_MODES, == *,$m,* ]] || die "--modes: unknown mode '$m' (known: $ALL_MODES)"
		done
		modes=$2; shift 2 ;;
	*) usage ;;
	esac
done

if [ "$what" = vm ]; then
	# The guest's files are lost at power-off: with --out the guest sends
	# its result directory back on stdout (tar, base64, between markers).
	args=(in-vm)
	[ $quick = 1 ] && args+=(-q)
	[ -n "$rounds" ] && args+=(--rounds "$rounds")
	[ -n "$conns" ] && args+=(--conns "$conns")
	[ -n "$duration" ] && args+=(--duration "$duration")
	[ -n "$modes" ] && args+=(--modes "$modes")
	if [ -z "$out" ]; then
		exec "$root/tools/vm/run" --timeout "${TCSEG_PERF_VM_TIMEOUT:-3000}" -- \
			"$here/perf_test.sh" "${args[@]}"
	fi
	mkdir -p "$out" || die "cannot create $out"
	out=$(cd "$out" && pwd)
	TCSEG_PERF_SEND_OUT=1 "$root/tools/vm/run" --timeout "${TCSEG_PERF_VM_TIMEOUT:-3000}" -- \
		"$here/perf_test.sh" "${args[@]}" |
		awk -v b="$OUT_BEGIN" -v e="$OUT_END" -v f="$out/.vm-out.b64" '
			$0 == b { in_b = 1; next } $0 == e { in_b = 0; next }
			in_b { print > f; next } { print; fflush() }'
	rc=${PIPESTATUS[0]}
	if [ -s "$out/.vm-out.b64" ]; then
		base64 -d "$out/.vm-out.b64" | tar -xzf - -C "$out" ||
			{ echo "perf_test: cannot unpack the VM's results" >&2; rc=1; }
	else
		echo "perf_test: the VM sent no result directory back" >&2
		[ $rc -eq 0 ] && rc=1
	fi
	rm -f "$out/.vm-out.b64"
	echo "results of the VM run: $out"
	exit $rc
fi

[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces, BPF)"
for f in "$BENCH" "$TCSEG_BUILD/tcsegd" "$TCSEG_BUILD/tcctl" "$PEER"; do
	[ -x "$f" ] || die "$f missing (make all)"
done
IN_VM=0
[ "$what" = in-vm ] && IN_VM=1
if [ $IN_VM = 1 ]; then
	# TCG is slow: a TLS handshake between the nodes takes seconds
	export HOLD_MS=${HOLD_MS:-15000} KEY_MS=${KEY_MS:-5000}
	def_rounds=3 def_conns=20 def_duration=5 q_rounds=1 q_conns=4 q_duration=2
	if ! grep -qsw tls /proc/sys/net/ipv4/tcp_available_ulp; then
		modprobe tls 2>/dev/null
	fi
	# no udev in the VM: AES-NI for kTLS's gcm(aes) (bench/l7_compare.sh)
	grep -qw aes /proc/cpuinfo && modprobe aesni_intel 2>/dev/null
else
	def_rounds=3 def_conns=200 def_duration=3 q_rounds=1 q_conns=20 q_duration=1
	# Without kTLS every encrypt flow fails closed and node-b's server-side
	# job then searches for the closed socket until the hold timeout: keep
	# it short (a fresh node handshake here takes milliseconds)
	export HOLD_MS=${HOLD_MS:-500} KEY_MS=${KEY_MS:-250}
fi
if [ $quick = 1 ]; then
	rounds=${rounds:-$q_rounds} conns=${conns:-$q_conns} duration=${duration:-$q_duration}
else
	rounds=${rounds:-$def_rounds} conns=${conns:-$def_conns} duration=${duration:-$def_duration}
fi
modes=${modes:-$ALL_MODES}
want() { [[ ,$modes, == *,$1,* ]]; }
# encrypt flows without kTLS fail closed: a few give the proxy figure
enc_fail_conns=$([ $quick = 1 ] && echo 3 || echo 8)

keep=$out
if [ -z "$out" ]; then
	out=$(mktemp -d /tmp/tcseg-perf.XXXXXX)
else
	mkdir -p "$out" || die "cannot create $out"
fi
out=$(cd "$out" && pwd)
mkdir -p "$out/runs"
rm -f "$out/results.csv" "$out/blocks.csv" "$out/table.txt" "$out/pids.csv" "$out/cpu.csv" "$out"/mon-*.json "$out"/runs/*

. "$root/tests/lib/testlib.sh"
# shellcheck disable=SC2034 # used by twonode.sh
NT_ID=perf$$
. "$root/netns-tests/twonode.sh"
TLS_PORT=7003
# Own pod addresses: the capture is not scoped to a network namespace, so
# a tcsegd of another two-node run on this machine (netns-tests use
# 10.200.x) would hold and hand off our flows, and ours theirs.
# shellcheck disable=SC2034 # A2: twonode.sh (pods.conf)
A1=10.211.1.1 A2=10.211.1.2 B1=10.211.2.1 B2=10.211.2.2
eval "$(declare -f tn_setup | sed 's/10\.200\./10.211./g')"

finish_out() {
	local p
	for p in a.log b.log a.conf b.conf peer-a.err peer-b.err metrics-a.txt \
		metrics-b.txt; do
		[ -f "$DIR/$p" ] && cp "$DIR/$p" "$out/$p"
	done
}
on_exit() {
	[ -n "${DIR:-}" ] && finish_out
	cleanup
	[ -n "$keep" ] || [ "${TCSEG_PERF_SEND_OUT:-0}" = 1 ] || rm -rf "$out"
}

lines() { if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi; }

start_servers() {
	local c=$DIR/certs
	# `ip netns exec` execs: $! is the server (its tgid is in the logs)
	ip netns exec "$(pod_ns pod-b1)" "$BENCH" --mode server --listen-port $ENC_PORT >"$DIR/srv-enc.log" 2>&1 &
	PIDS+=($!)
	ENC_SRV_PID=$!
	in_pod pod-b1 "$BENCH" --mode server --listen-port $ALLOW_PORT >"$DIR/srv-allow.log" 2>&1 &
	PIDS+=($!)
	in_pod pod-b1 "$BENCH" --mode server --listen-port $TLS_PORT --tls openssl \
		--cert "$c/node-b.pem" --key "$c/node-b.key" >"$DIR/srv-tls.log" 2>&1 &
	PIDS+=($!)
	in_pod pod-b2 "$BENCH" --mode server --listen-port $ALLOW_PORT >"$DIR/srv-plain.log" 2>&1 &
	PIDS+=($!)
	tn_wait_listen 10 pod-b1 $ENC_PORT $ALLOW_PORT $TLS_PORT &&
		tn_wait_listen 10 pod-b2 $ALLOW_PORT
}

setup() {
	tn_setup || return 1
	# plain goes pod-a2 -> pod-b2: their veths stay bare and they are in
	# no pod map, so nothing of tcseg sees the flow (the daemons attach
	# to pod-a1's and pod-b1's veths only)
	sed -i 's/^attach_devices = .*/attach_devices = va1/' "$DIR/a.conf"
	sed -i 's/^attach_devices = .*/attach_devices = vb1/' "$DIR/b.conf"
	# as a node runs (twonode.sh's debug level logs every capture record)
	sed -i 's/^log_level = .*/log_level = info/' "$DIR/a.conf" "$DIR/b.conf"
	sed -i '/^pod-a2 \|^pod-b2 /d' "$DIR/pods.conf"
	# the client closes first: reuse its TIME_WAIT ports
	in_pod pod-a1 sysctl -qw net.ipv4.tcp_tw_reuse=1
	in_pod pod-a2 sysctl -qw net.ipv4.tcp_tw_reuse=1
	start_servers || { echo "tlshub_bench servers did not start" >&2; return 1; }
}

start_daemons() {
	local n r
	start_daemon a && start_daemon b || return 1
	for n in a b; do
		r="tcn $n policy add"
		$r id 1 from $A1 to $B1 proto tcp dport $ENC_PORT action encrypt >/dev/null &&
		$r id 2 from $A1 to $B1 proto tcp dport $ALLOW_PORT action allow >/dev/null &&
		$r id 3 from $A1 to $B1 proto tcp dport $TLS_PORT action allow >/dev/null || return 1
	done
	tn_start_tlshub_peers || return 1
}

metrics_get() {	# metrics_get NODE: the metrics text
	ip netns exec "$(node_ns "$1")" python3 -c 'import urllib.request
print(urllib.request.urlopen("http://127.0.0.1:9469/metrics", timeout=5).read().decode())' 2>/dev/null
}

# metric TEXT NAME: value of an unlabelled metric, empty if missing
metric() { awk -v n="$2" '$1 == n { print $2; exit }' <<<"$1"; }

# client LABEL POD IP PORT TLS ARGS...: one tlshub_bench client run;
# appends a row to results.csv (label, mode, kind, round, exit status,
# then tlshub_bench's CSV row)
client() {
	local label=$1 pod=$2 ip=$3 port=$4 tls=$5 rc tlsargs=()
	shift 5
	[ "$tls" = openssl ] && tlsargs=(--ca "$DIR/certs/ca.pem")
	ip netns exec "$(pod_ns "$pod")" "$BENCH" --mode client --target-ip "$ip" --target-port "$port" \
		--tls "$tls" "${tlsargs[@]}" --output "$out/runs/$label" --samples "$@" \
		>"$out/runs/$label.log" 2>&1 &
	# the client's pid: the hand-off figures count its flows only
	echo "$label,$!" >>"$out/pids.csv"
	wait $!
	rc=$?
	local mode=${label%-*-r*} kind=${label%-r*} r=${label##*-r}
	kind=${kind##*-}
	if [ ! -s "$out/results.csv" ] && [ -s "$out/runs/$label.csv" ]; then
		{ printf 'label,pmode,kind,round,rc,'; head -n 1 "$out/runs/$label.csv"; } >"$out/results.csv"
	fi
	if [ -s "$out/runs/$label.csv" ]; then
		{ printf '%s,%s,%s,%s,%s,' "$label" "$mode" "$kind" "$r" "$rc"; sed -n 2p "$out/runs/$label.csv"; } >>"$out/results.csv"
	else
		echo "perf_test: $label: no report ($(tail -n 1 "$out/runs/$label.log"))" >&2
	fi
	return $rc
}

# load MODE ROUND POD IP PORT TLS: the set-up run and the request run
load() {
	local m=$1 r=$2 pod=$3 ip=$4 port=$5 tls=$6 rc=0
	# one connection first, not in the figures of the runs: after a
	# provider switch it opens the node session (its hand-off is the
	# table's "fresh" one), so conn/s is the rate with a reused node
	# session, the steady state; the same for every mode
	client "$m-warm-r$r" "$pod" "$ip" "$port" "$tls" --total-connections 1 \
		--concurrency 1 --requests 1 --data-size 4096 || rc=1
	client "$m-conn-r$r" "$pod" "$ip" "$port" "$tls" --total-connections "$conns" \
		--concurrency 1 --requests 1 --data-size 4096 || rc=1
	client "$m-rr-r$r" "$pod" "$ip" "$port" "$tls" --concurrency 2 --requests 0 \
		--duration "$duration" --data-size 16K || rc=1
	return $rc
}

drain() {	# until neither daemon has a hand-off in flight
	for _ in $(seq $((HOLD_MS / 50 + 200))); do
		grep -q '"in_flight":0,' <<<"$(tcn a -j status 2>/dev/null)" &&
			grep -q '"in_flight":0,' <<<"$(tcn b -j status 2>/dev/null)" && return 0
		sleep 0.1
	done
	return 1
}

# unsecured NODE: the data path's count of dropped payload of encrypt
# flows not secured (yet) at that end
unsecured() {
	local n
	n=$(tcn "$1" -j stats 2>/dev/null | grep -o '"unsecured":[0-9]*' | head -n 1)
	echo "${n#*:}" | grep -E '^[0-9]+$' || echo 0
}

provider_set() {	# provider_set MODE: both nodes
	[ "$(tcn a provider set "$1" 2>&1)" = "mode $1" ] &&
		[ "$(tcn b provider set "$1" 2>&1)" = "mode $1" ]
}

# encrypt_block PROVIDER ROUND: the load through tcsegd and kTLS; the
# line ranges of the logs the block wrote go to blocks.csv (the hand-off
# figures come from those lines: `secured`, or without kTLS the `failed
# closed ... stage=ktls` line; no monitor runs beside the daemons)
encrypt_block() {
	local p=$1 r=$2 m=encrypt-$1 s_a s_b ma0 mb0 u_a u_b fresh_hint=0 settle rc=0
	settle=$([ $IN_VM = 1 ] && echo 3 || echo 0.5)
	if ! provider_set "$p"; then
		echo "perf_test: provider set $p failed: $(tcn a provider get 2>&1)" >&2
		return 1
	fi
	# the first tlshub flow of the run opens tlshub_peer's node session;
	# the peers keep it across provider switches
	[ "$p" = tlshub ] && [ "$r" = 1 ] && fresh_hint=1
	ma0=$(metrics_get a)
	u_a=$(unsecured a) u_b=$(unsecured b)
	s_a=$(lines "$DIR/a.log") s_b=$(lines "$DIR/b.log")
	if [ "$KTLS" = 1 ]; then
		load "$m" "$r" pod-a1 $B1 $ENC_PORT none || rc=1
	else
		# one flow at a time, each after the last one's server-side job
		# ended: that job's search would otherwise load node-b while the
		# next flow's keys are agreed
		for _ in $(seq "$enc_fail_conns"); do
			client "$m-conn-r$r" pod-a1 $B1 $ENC_PORT none \
				--total-connections 1 --concurrency 1 --requests 1 --data-size 4096
			drain
		done
	fi
	sleep "$settle"
	# every hand-off finished (without kTLS node-b's server-side jobs wait
	# for the hold timeout): none spins into the next mode's figures
	drain || echo "perf_test: hand-offs still in flight after encrypt-$p round $r" >&2
	mb0=$(metrics_get a)
	[ -s "$out/blocks.csv" ] || echo "mode,provider,round,a_from,a_to,b_from,b_to,fresh_hint,m_count0,m_sum0,m_count1,m_sum1,unsecured_drops_a,unsecured_drops_b" >"$out/blocks.csv"
	echo "$m,$p,$r,$s_a,$(lines "$DIR/a.log"),$s_b,$(lines "$DIR/b.log"),$fresh_hint,$(metric "$ma0" tcseg_handoff_latency_seconds_count),$(metric "$ma0" tcseg_handoff_latency_seconds_sum),$(metric "$mb0" tcseg_handoff_latency_seconds_count),$(metric "$mb0" tcseg_handoff_latency_seconds_sum),$(($(unsecured a) - u_a)),$(($(unsecured b) - u_b))" >>"$out/blocks.csv"
	return $rc
}

# the daemons' CPU time (clock ticks) while a mode ran: cpu.csv
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
cpu_mark() { CPU_A=$(ticks "$DPID_A") CPU_B=$(ticks "$DPID_B") CPU_T=$(date +%s%N); }
cpu_note() {	# cpu_note MODE ROUND
	local a b t
	a=$(ticks "$DPID_A") b=$(ticks "$DPID_B") t=$(date +%s%N)
	[ -s "$out/cpu.csv" ] || echo "mode,round,ticks_a,ticks_b,clk_tck,seconds" >"$out/cpu.csv"
	echo "$1,$2,$((a - CPU_A)),$((b - CPU_B)),$(getconf CLK_TCK),$(awk -v d=$((t - CPU_T)) 'BEGIN { printf "%.3f", d / 1e9 }')" >>"$out/cpu.csv"
	CPU_A=$a CPU_B=$b CPU_T=$t
}

info() {
	echo "kernel $(uname -r), $(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%M:%SZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "rounds $rounds (medians), set-up run: $conns connections one at a time, 1 x 4 KiB each;" \
		"request run: 2 connections x ${duration}s of 16 KiB echoes; hold_timeout_ms $HOLD_MS key_fetch_timeout_ms $KEY_MS"
	[ $IN_VM = 1 ] && echo "EMULATED (qemu TCG): absolute figures are slow; compare ratios"
	return 0
}

trap on_exit EXIT
setup >"$out/setup.log" 2>&1
src=$?
trap on_exit EXIT	# tn_setup set its own (cleanup only)
[ $src -eq 0 ] || { tail -n 5 "$out/setup.log" >&2; die "setup failed"; }
echo "command: bench/perf_test.sh $what$([ $quick = 1 ] && echo ' -q') --rounds $rounds --conns $conns --duration $duration$([ "$modes" != "$ALL_MODES" ] && echo " --modes $modes")" | tee "$out/info.txt"
info | tee -a "$out/info.txt"
fails=0
# warm-up (not counted): first runs of the tool, neighbour entries
in_pod pod-a1 "$BENCH" --mode client --target-ip $B1 --target-port $ALLOW_PORT \
	--total-connections 20 --concurrency 1 >/dev/null 2>&1
in_pod pod-a2 "$BENCH" --mode client --target-ip $B2 --target-port $ALLOW_PORT \
	--total-connections 20 --concurrency 1 >/dev/null 2>&1
# reference: pod-a1 -> pod-b1 before any daemon ran (nothing attached)
load plain-nodaemon 1 pod-a1 $B1 $ALLOW_PORT none || fails=$((fails + 1))
T_DAEMONS=$(date +%s)
start_daemons >>"$out/setup.log" 2>&1 || { tail -n 5 "$out/setup.log" >&2; die "daemons did not start"; }
KTLS=0
grep -q '"ktls_available":true' <<<"$(tcn a -j status)" &&
	grep -q '"ktls_available":true' <<<"$(tcn b -j status)" && KTLS=1
echo "tcsegd: capture $(tcn a -j status | sed 's/.*"capture":"\([^"]*\)".*/\1/'), kTLS $KTLS" | tee -a "$out/info.txt"
for r in $(seq 1 "$rounds"); do
	echo "round $r/$rounds: ${modes//,/ }"
	cpu_mark
	if want plain; then
		load plain "$r" pod-a2 $B2 $ALLOW_PORT none || fails=$((fails + 1))
		cpu_note plain "$r"
	fi
	if want allow; then
		load allow "$r" pod-a1 $B1 $ALLOW_PORT none || fails=$((fails + 1))
		cpu_note allow "$r"
	fi
	if want userspace-openssl; then
		load userspace-openssl "$r" pod-a1 $B1 $TLS_PORT openssl || fails=$((fails + 1))
		cpu_note userspace-openssl "$r"
	fi
	for p in openssl boringssl tlshub; do
		want encrypt-$p || continue
		encrypt_block $p "$r" || { [ "$KTLS" = 1 ] && fails=$((fails + 1)); }
		cpu_note encrypt-$p "$r"
	done
done
provider_set openssl
cpu_s() { awk '{ printf "%.1f", ($14 + $15) / '"$(getconf CLK_TCK)"' }' "/proc/$1/stat" 2>/dev/null; }
echo "tcsegd CPU time (user+sys): node-a $(cpu_s "$DPID_A") s, node-b $(cpu_s "$DPID_B") s, over $(($(date +%s) - T_DAEMONS)) s since they started" | tee -a "$out/info.txt"
metrics_get a >"$DIR/metrics-a.txt"
metrics_get b >"$DIR/metrics-b.txt"

# ---- the tables (python: medians, percentiles, the logs' line ranges)
PERF_MODES=$modes python3 - "$out" "$DIR" "$KTLS" "$IN_VM" "$fails" "$ENC_SRV_PID" >"$out/table.body" <<'EOF'
import csv, datetime, math, os, re, statistics, sys

out, d, ktls, in_vm, fails = sys.argv[1], sys.argv[2], sys.argv[3] == "1", sys.argv[4] == "1", int(sys.argv[5])
srv_pid = int(sys.argv[6])
pids = {}  # label -> [pid] (without kTLS an encrypt label runs once per flow)
if os.path.exists(os.path.join(out, "pids.csv")):
    for l in open(os.path.join(out, "pids.csv")):
        lab, _, pid = l.strip().rpartition(",")
        pids.setdefault(lab, []).append(int(pid))
bad = []

def rows():
    p = os.path.join(out, "results.csv")
    return list(csv.DictReader(open(p))) if os.path.exists(p) else []

R = rows()

def med(mode, kind, field, ok_only=True):
    v = [float(x[field]) for x in R if x["pmode"] == mode and x["kind"] == kind
         and (not ok_only or x["rc"] == "0") and x.get(field) not in (None, "")]
    return statistics.median(v) if v else None

def pct(v, q):
    if not v:
        return None
    v = sorted(v)     # nearest rank
    return v[min(len(v), max(1, math.ceil(q / 100.0 * len(v)))) - 1]

def fmt(x, nd=0):
    if x is None:
        return "-"
    return ("%%.%df" % nd) % x

def ratio(x, b):
    return "" if x is None or not b else " (%.2fx)" % (x / b)

MODES = [m for m in ["plain", "allow", "userspace-openssl", "encrypt-openssl", "encrypt-boringssl", "encrypt-tlshub"]
         if m in os.environ.get("PERF_MODES", "").split(",")]
CPU = {}
if os.path.exists(os.path.join(out, "cpu.csv")):
    for x in csv.DictReader(open(os.path.join(out, "cpu.csv"))):
        sec = float(x["seconds"])
        if sec > 0:
            CPU.setdefault(x["mode"], []).append(100.0 * (int(x["ticks_a"]) + int(x["ticks_b"])) / int(x["clk_tck"]) / sec)
COLS = [("conn/s", "conn", "conns_per_s", 1), ("set-up p50 us", "conn", "setup_us_p50", 0),
        ("set-up p99 us", "conn", "setup_us_p99", 0), ("request p50 us", "rr", "request_us_p50", 0),
        ("request p99 us", "rr", "request_us_p99", 0), ("Mbit/s", "rr", "rx_mbit_s", 1)]
print("### tlshub_bench through the two-node topology, pod-a1 -> pod-b1 (plain: pod-a2 -> pod-b2, bare veths)")
print()
print("| mode | " + " | ".join(c[0] for c in COLS) + " | tcsegd CPU % (a+b) |")
print("| --- |" + " ---: |" * (len(COLS) + 1))
base = {c[2] + c[1]: med("plain", c[1], c[2]) for c in COLS}
for m in MODES + ["plain-nodaemon"]:
    name = m if m != "plain-nodaemon" else "plain, before the daemons (pod-a1, reference)"
    if m.startswith("encrypt-") and not ktls:
        done = sum(int(x["conns_completed"] or 0) for x in R if x["pmode"] == m)
        if done:
            bad.append("%s: %d connections completed although kTLS is missing" % (m, done))
        print("| %s | n/a (no kTLS: flows fail closed) |%s %s |" % (name, " |" * (len(COLS) - 1),
              fmt(statistics.median(CPU[m]), 1) if m in CPU else "-"))
        continue
    cells = []
    for title, kind, field, nd in COLS:
        v = med(m, kind, field)
        if v is None or (field in ("conns_per_s", "rx_mbit_s") and v <= 0):
            bad.append("%s: no %s figure" % (m, title))
        cells.append(fmt(v, nd) + ("" if m == "plain" else ratio(v, base[field + kind])))
    print("| %s | %s | %s |" % (name, " | ".join(cells), fmt(statistics.median(CPU[m]), 1) if m in CPU else "-"))
print()
print("ratio (Nx) = mode / plain (for conn/s and Mbit/s higher is better, for latencies lower is better); tcsegd CPU %% = both daemons' user+sys time while the mode's runs went (100 = one core)%s" %
      ("" if ktls else "; without kTLS each failed encrypt flow leaves node-b's server-side job searching /proc for the (already closed) accepted socket until the hold timeout: the encrypt rows' CPU is mostly that (the script waits for those jobs before the next mode)"))

# ---- hand-off latency per provider, from the daemons' logs
B = list(csv.DictReader(open(os.path.join(out, "blocks.csv")))) if os.path.exists(os.path.join(out, "blocks.csv")) else []
alog = open(os.path.join(d, "a.log"), errors="replace").read().splitlines()
blog = open(os.path.join(d, "b.log"), errors="replace").read().splitlines()
sec_re = re.compile(r" secured role=(client|server) flow=(\S+) tgid=(\d+) .*latency_us=(\d+)")
ref_re = re.compile(r" failed closed role=(client|server) flow=(\S+) tgid=(\d+) stage=ktls .*latency_us=(\d+)")

def events(lines, role, tgids):
    """(flow, us) per hand-off of ROLE by one of TGIDS, from the log: secured, or the kTLS refusal."""
    res = []
    for l in lines:
        m = (sec_re if ktls else ref_re).search(l)
        if m and m.group(1) == role and int(m.group(3)) in tgids:
            res.append((m.group(2), int(m.group(4))))
    return res

H = []  # provider, round, role, seq, fresh, us
per = {}
ST = {}  # provider -> [(read, taken, keys, end, total)] of the set-up run's later flows

def lts(l):
    try:
        return datetime.datetime.strptime(l[:26], "%Y-%m-%dT%H:%M:%S.%f").timestamp()
    except ValueError:
        return None

def stages(lines, tgid, lat):
    """Where the time of each client hand-off of TGID went, from the log's
    time stamps; the capture record's own time stamp (BPF, monotonic) is
    known only through the total (latency_us)."""
    cap, res, cur = [], [], {}
    for l in lines:
        t = lts(l)
        m = re.search(r" capture connect flow=\S+ tgid=(\d+) ", l)
        if m and int(m.group(1)) == tgid:
            cap.append(t)
            continue
        m = re.search(r" socket taken with pidfd_getfd role=client flow=(\S+) tgid=(\d+) ", l)
        if m and int(m.group(2)) == tgid and cap:
            cur[m.group(1)] = [cap.pop(0), t, None]
            continue
        m = re.search(r" keys agreed role=client flow=(\S+) ", l)
        if m and m.group(1) in cur:
            cur[m.group(1)][2] = t
            continue
        m = re.search(r" (?:secured|failed closed) role=client flow=(\S+) tgid=(\d+) ", l)
        if m and m.group(1) in cur and cur[m.group(1)][2] and m.group(1) in lat:
            c, tk, k = cur.pop(m.group(1))
            tot = lat[m.group(1)]
            res.append((tot - (t - c) * 1e6, (tk - c) * 1e6, (k - tk) * 1e6, (t - k) * 1e6, tot))
    return res
for b in B:
    p, r = b["provider"], int(b["round"])
    ar = slice(int(b["a_from"]), int(b["a_to"]))
    br = slice(int(b["b_from"]), int(b["b_to"]))
    mine = {x for k, v in pids.items() if k.startswith(b["mode"] + "-") and k.endswith("-r%d" % r) for x in v}
    ca, cb = events(alog[ar], "client", mine), events(blog[br], "server", {srv_pid})
    agreed = sum(1 for l in alog[ar] if " keys agreed role=client " in l and " mode=%s " % p in l)
    fallback = sum(1 for l in alog[ar] if "falling back to openssl" in l)
    opened = sum(1 for l in blog[br] if "key service: node node-a connected from" in l)
    secured_wo_ktls = sum(1 for l in alog[ar] if " secured role=client " in l) if not ktls else 0
    # the first flow opened a node session: the key service accepted one
    # (openssl/boringssl), or tlshub_peer's first flow of the run
    fresh = opened > 0 if p != "tlshub" else b["fresh_hint"] == "1"
    for i, (fl, us) in enumerate(ca):
        H.append((p, r, "client", i, fresh and i == 0, us))
    stg = []
    for cpid in pids.get("%s-conn-r%d" % (b["mode"], r), []):
        stg += stages(alog[ar], cpid, dict(ca))
    ST.setdefault(p, []).extend(stg[1:])
    for i, (fl, us) in enumerate(cb):
        H.append((p, r, "server", i, fresh and i == 0, us))
    s = per.setdefault(p, {"agreed": 0, "fallback": 0, "opened": 0, "m": [], "drops": 0})
    try:
        s["drops"] += int(b["unsecured_drops_a"]) + int(b["unsecured_drops_b"])
    except (ValueError, KeyError):
        pass
    s["agreed"] += agreed
    s["fallback"] += fallback
    s["opened"] += opened
    try:
        dc = float(b["m_count1"]) - float(b["m_count0"])
        ds = float(b["m_sum1"]) - float(b["m_sum0"])
        if dc > 0:
            s["m"].append((dc, ds))
    except (ValueError, KeyError):
        pass
    if not ca:
        bad.append("encrypt-%s round %d: no hand-off sample (%s)" % (p, r, "no flow secured" if ktls else "no flow reached the keys"))
    if fallback:
        bad.append("encrypt-%s round %d: %d flows fell back to openssl" % (p, r, fallback))
    if secured_wo_ktls:
        bad.append("encrypt-%s round %d: secured without kTLS?" % (p, r))

with open(os.path.join(out, "handoff.csv"), "w") as f:
    f.write("provider,round,role,seq,fresh,latency_us\n")
    for h in H:
        f.write("%s,%d,%s,%d,%d,%d\n" % (h[0], h[1], h[2], h[3], int(h[4]), h[5]))

print()
if ktls:
    print("### hand-off latency (capture event -> socket secured, kTLS on), from the daemons' logs (`secured ... latency_us`)")
else:
    print("### hand-off latency PROXY (no kTLS here): capture event -> keys agreed between the nodes + the refused kTLS setsockopt, from the daemons' logs (`failed closed ... stage=ktls ... latency_us`); the real hand-off adds the kTLS set-up and the no-plaintext check")
print()
print("| provider | client flows | all p50 us | all p99 us | fresh node mTLS handshake (first flow after the switch) us | reused node session p50 us | reused p99 us | server side p50 us | metrics mean us | added set-up p50 us (encrypt - allow) | first request p50 us (set-up run; allow: %s) | unsecured-payload drops per flow |" %
      fmt(med("allow", "conn", "request_us_p50")))
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
allow_setup = med("allow", "conn", "setup_us_p50")
us_rate, allow_fq = med("userspace-openssl", "conn", "conns_per_s"), med("allow", "conn", "request_us_p50")
verdict = []
T13 = []  # issue #13's targets, a line per provider
RES = []
for p in ("openssl", "boringssl", "tlshub"):
    c = [h[5] for h in H if h[0] == p and h[2] == "client"]
    fr = [h[5] for h in H if h[0] == p and h[2] == "client" and h[4]]
    ru = [h[5] for h in H if h[0] == p and h[2] == "client" and not h[4]]
    sv = [h[5] for h in H if h[0] == p and h[2] == "server"]
    m = per.get(p, {}).get("m", [])
    mm = sum(x[1] for x in m) / sum(x[0] for x in m) * 1e6 if m and ktls else None
    es = med("encrypt-" + p, "conn", "setup_us_p50")
    add = es - allow_setup if ktls and es is not None and allow_setup is not None else None
    fq = med("encrypt-" + p, "conn", "request_us_p50") if ktls else None
    dpf = per.get(p, {}).get("drops", 0) / len(c) if c else None
    print("| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
        p, len(c), fmt(pct(c, 50)), fmt(pct(c, 99)),
        (fmt(statistics.median(fr)) + (" (median of %d)" % len(fr) if len(fr) > 1 else "")) if fr else "-",
        fmt(pct(ru, 50)), fmt(pct(ru, 99)),
        fmt(pct(sv, 50)) if ktls else "n/a (the client fails first)", fmt(mm),
        fmt(add) if add is not None else ("n/a (no kTLS)" if not ktls else "-"),
        fmt(fq) if fq is not None else ("n/a (no kTLS)" if not ktls else "-"), fmt(dpf, 2)))
    tag = "" if ktls else "proxy "
    why = "qemu TCG emulation: every guest instruction emulated, compare the plain and user-space TLS rows with a host run for the slow-down" if in_vm else \
        ("host kernel without kTLS: proxy only, a lower bound of the real hand-off" if not ktls else "")
    rp = pct(ru, 50)
    kind = "handoff" if ktls else "handoff_proxy"
    if rp is not None:
        RES.append("RESULT perf_%s_reused_p50_us_%s %s" % (kind, p, fmt(rp)))
    if fr:
        RES.append("RESULT perf_%s_fresh_us_%s %s" % (kind, p, fmt(statistics.median(fr))))
    if add is not None:
        RES.append("RESULT perf_added_setup_p50_us_%s %s" % (p, fmt(add)))
    if rp is not None:
        ok = rp <= 200
        verdict.append("%-10s reused node session: %s%s us p50 vs <= 200 us: %s%s" % (
            p, tag, fmt(rp), ("met" if ok else "MISSED") if ktls else ("proxy within (not a result)" if ok else "MISSED (the proxy alone exceeds it)"),
            "" if ok and not in_vm else " (%s)" % why if why else ""))
    if fr:
        f = statistics.median(fr)
        ok = f <= 5000
        verdict.append("%-10s fresh mTLS handshake: %s%s us vs <= 5000 us: %s%s" % (
            p, tag, fmt(f), ("met" if ok else "MISSED") if ktls else ("proxy within (not a result)" if ok else "MISSED (the proxy alone exceeds it)"),
            "" if ok and not in_vm else " (%s)" % why if why else ""))
    if not c:
        continue
    t = ["unsecured drops per flow %s vs 0: %s" % (fmt(dpf, 2), "met" if dpf == 0 else "MISSED")]
    if rp is not None and not in_vm:
        t.append("%shand-off p50 (reused node session) %s us vs <= 300 us: %s" % (
            tag, fmt(rp), "met" if rp <= 300 else "MISSED"))
    er = med("encrypt-" + p, "conn", "conns_per_s") if ktls else None
    if er is not None and us_rate:
        t.append("conn/s %s vs userspace-openssl %s = %.2fx vs >= 2x: %s" % (
            fmt(er, 1), fmt(us_rate, 1), er / us_rate, "met" if er >= 2 * us_rate else "MISSED"))
    if fq is not None and allow_fq:
        t.append("first request p50 %s vs allow %s us = %.2fx vs <= 2x: %s" % (
            fmt(fq), fmt(allow_fq), fq / allow_fq, "met" if fq <= 2 * allow_fq else "MISSED"))
    T13.append("- %-10s %s" % (p, "; ".join(t)))
print()
print("fresh = first client flow after the provider switch when the key service accepted a new node session in that block (openssl/boringssl: `key service: node node-a connected from` in node-b's log; %s), tlshub: the run's first tlshub flow (tlshub_peer keeps its session across switches). metrics mean = delta of tcseg_handoff_latency_seconds sum/count over the block (node-a, kTLS only). first request = the one 4 KiB echo of each set-up run connection. unsecured-payload drops = the data path's `unsecured` drop counter (tcctl stats, both nodes) over the block per client flow: payload that reached a veth before that end was secured (TCP retransmits it; the first retransmission waits at least 200 ms)." %
      ", ".join("%s %d sessions opened" % (p, per.get(p, {}).get("opened", 0)) for p in ("openssl", "boringssl")))
print()
print("### where the client hand-off time goes (medians, set-up run flows after the first of each block, us)")
print()
print("From node-a's log time stamps; \"event -> record read\" = latency_us minus the logged span: the ring buffer, the daemon's wake-up, the join with the data path's flow event. The outcome line is logged just after latency_us is taken, so on a loaded machine that first column can come out below zero.")
print()
print("| provider | flows | event -> record read | -> socket taken (pidfd_getfd, handshake wait) | -> keys agreed | -> %s | total |" %
      ("kTLS on, no-plaintext checks, secured" if ktls else "kTLS refused, failed closed"))
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
for p in ("openssl", "boringssl", "tlshub"):
    v = ST.get(p, [])
    if not v:
        print("| %s | 0 | - | - | - | - | - |" % p)
        continue
    print("| %s | %d | %s |" % (p, len(v), " | ".join(fmt(statistics.median(x[i] for x in v)) for i in range(5))))
print()
print("### targets of issue #5 (hand-off adds <= 200 us p50 on a reused node session, <= 5 ms with a fresh mTLS handshake)")
print()
for v in verdict:
    print("- " + v)
print()
print("### targets of issue #13 (ratios from this run)")
print()
for v in T13:
    print(v)
if fails:
    bad.append("%d client runs failed" % fails)
for m in ("allow", "userspace-openssl") + (("encrypt-openssl", "encrypt-boringssl", "encrypt-tlshub") if ktls else ()):
    v, b0 = med(m, "conn", "conns_per_s"), base["conns_per_sconn"]
    if v is not None and b0:
        RES.append("RESULT perf_conn_rate_%s %s %.3f" % (m, fmt(v, 1), v / b0))
with open(os.path.join(out, "RESULTS"), "w") as f:
    f.write("\n".join(RES) + "\n")
print()
if bad:
    print("PROBLEMS:")
    for b in bad:
        print("- " + b)
    sys.exit(1)
print("every mode produced its figures")
EOF
prc=$?
{ cat "$out/info.txt"; echo; cat "$out/table.body"; } >"$out/table.txt"
rm -f "$out/table.body"
echo
sed -n '/^###/,$p' "$out/table.txt"
# for bench/run.sh: RESULT NAME VALUE [RATIO to plain]
[ -f "$out/RESULTS" ] && cat "$out/RESULTS"
if [ -f "$root/bench/plot.py" ]; then
	for k in conn rr; do
		s=()
		for m in plain allow userspace-openssl encrypt-openssl encrypt-boringssl encrypt-tlshub; do
			[ -s "$out/runs/$m-$k-r1.samples.csv" ] && s+=("$out/runs/$m-$k-r1.samples.csv")
		done
		[ ${#s[@]} -gt 0 ] || continue
		python3 "$root/bench/plot.py" "$out/latency-$k.svg" "${s[@]}" >"$out/plot-$k.log" 2>&1 &&
			{ [ -z "$keep" ] || echo "plot: $out/latency-$k.svg"; } ||
			echo "perf_test: bench/plot.py failed for $k (see $out/plot-$k.log); no plot" >&2
	done
fi
finish_out
if [ "${TCSEG_PERF_SEND_OUT:-0}" = 1 ]; then
	echo "$OUT_BEGIN"
	tar -czf - -C "$out" . | base64
	echo "$OUT_END"
elif [ -n "$keep" ]; then
	echo "results: $out (results.csv, handoff.csv, table.txt, runs/)"
fi
exit $prc
