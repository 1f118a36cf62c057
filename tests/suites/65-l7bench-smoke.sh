#!/bin/bash
# Smoke run of the Layer 7 benchmark (bench/tlshub_bench, issue #5): on
# loopback, plain TCP and user-space OpenSSL TLS 1.3 with small counts;
# the JSON and CSV reports must exist and hold sane figures (every
# requested connection completed, latencies > 0, bytes = requests x size).
# --tls ktls must fail with "kernel TLS not available" where the kernel has
# no tls ULP, and must work (with --verify) where it has one. Hostile
# options must be refused with exit 2. No root needed; about 5 s.
set -uo pipefail
. "$(dirname "$0")/../lib/testlib.sh"

B=$TCSEG_BUILD/bench/tlshub_bench
W=$(mktemp -d /tmp/tcseg-l7smoke.XXXXXX)
SRV=
trap '[ -n "$SRV" ] && kill $SRV 2>/dev/null; rm -rf "$W"' EXIT

if [ ! -x "$B" ]; then
	t_fail l7bench_built "$B missing (make all)"
	exit 1
fi
if ! "$TCSEG_ROOT/tools/gen-certs.sh" "$W/certs" >"$W/gen.log" 2>&1; then
	t_fail l7bench_certs "tools/gen-certs.sh: $(tail -n 2 "$W/gen.log" | tr '\n' ' ')"
	exit 1
fi
CERTS=(--cert "$W/certs/node-b.pem" --key "$W/certs/node-b.key")
# fewer connections under qemu TCG (a TLS handshake there takes ~0.3 s)
N=200
[ "${TCSEG_IN_VM:-0}" = 1 ] && N=20

# start_server TLS LABEL [ARGS...]: SRV (pid), PORT
start_server() {
	local tls=$1 label=$2
	shift 2
	PORT=
	: >"$W/srv-$label.log"
	"$B" --mode server --listen-ip 127.0.0.1 --listen-port 0 --tls "$tls" \
		--output "$W/srv-$label" "$@" >"$W/srv-$label.log" 2>&1 &
	SRV=$!
	for _ in $(seq 1 100); do
		PORT=$(sed -n 's/.*server listening on [0-9.]*:\([0-9]*\) .*/\1/p' "$W/srv-$label.log")
		[ -n "$PORT" ] && return 0
		kill -0 $SRV 2>/dev/null || break
		sleep 0.05
	done
	return 1
}

stop_server() {
	kill -TERM $SRV 2>/dev/null
	wait $SRV 2>/dev/null
	SRV=
}

# csv FILE FIELD
csv() {
	awk -F, -v f="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == f) c = i }
		NR == 2 && c { print $c }' "$1"
}

# A > B, floats
gt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 > b + 0) }'; }

# check_reports LABEL TLS CONNS REQS SIZE: the client's JSON/CSV are sane
check_reports() {
	local l=$1 tls=$2 conns=$3 reqs=$4 size=$5 p=$W/cli-$1 bad='' f v
	if [ ! -s "$p.json" ] || [ ! -s "$p.csv" ]; then
		t_fail l7bench_${l}_reports "$p.json or $p.csv missing or empty"
		return
	fi
	if command -v python3 >/dev/null &&
		! python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$p.json" 2>"$W/json.err"; then
		t_fail l7bench_${l}_reports "$p.json is not valid JSON: $(tail -n 1 "$W/json.err")"
		return
	fi
	[ "$(csv "$p.csv" tls)" = "$tls" ] || bad="$bad tls=$(csv "$p.csv" tls)"
	[ "$(csv "$p.csv" conns_completed)" = "$conns" ] || bad="$bad completed=$(csv "$p.csv" conns_completed)/$conns"
	[ "$(csv "$p.csv" conns_failed)" = 0 ] || bad="$bad failed=$(csv "$p.csv" conns_failed)"
	[ "$(csv "$p.csv" requests)" = $((conns * reqs)) ] || bad="$bad requests=$(csv "$p.csv" requests)"
	[ "$(csv "$p.csv" rx_bytes)" = $((conns * reqs * size)) ] || bad="$bad rx_bytes=$(csv "$p.csv" rx_bytes)"
	[ "$(csv "$p.csv" setup_us_n)" = "$conns" ] || bad="$bad setup_n=$(csv "$p.csv" setup_us_n)"
	for f in connect_us_p50 setup_us_p50 setup_us_p99 request_us_p50 request_us_p99 \
		request_us_max conns_per_s rx_mbit_s elapsed_s max_rss_kib; do
		v=$(csv "$p.csv" $f)
		gt "${v:-0}" 0 || bad="$bad $f=${v:-none}"
	done
	# ordered: p50 <= p99 <= max, setup >= connect
	gt "$(csv "$p.csv" request_us_p50)" "$(csv "$p.csv" request_us_p99)" && bad="$bad p50>p99"
	gt "$(csv "$p.csv" request_us_p99)" "$(csv "$p.csv" request_us_max)" && bad="$bad p99>max"
	gt "$(csv "$p.csv" connect_us_p50)" "$(csv "$p.csv" setup_us_p50)" && bad="$bad connect>setup"
	if [ "$tls" = none ]; then
		[ "$(csv "$p.csv" handshake_us_n)" = 0 ] || bad="$bad handshakes_on_plain_tcp"
	else
		[ "$(csv "$p.csv" handshake_us_n)" = "$conns" ] || bad="$bad handshake_n=$(csv "$p.csv" handshake_us_n)"
		gt "$(csv "$p.csv" handshake_us_p50)" 0 || bad="$bad handshake_p50=0"
	fi
	grep -q "\"completed\": $conns," "$p.json" || bad="$bad json_completed"
	[ -z "$bad" ] && t_pass l7bench_${l}_reports || t_fail l7bench_${l}_reports "$bad"
}

# run_pair TLS LABEL SERVER-ARGS -- CLIENT-ARGS: server, N connections x 3 requests
run_pair() {
	local tls=$1 l=$2 sargs=() rc
	shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do sargs+=("$1"); shift; done
	shift
	if ! start_server "$tls" "$l" "${sargs[@]}"; then
		t_fail l7bench_${l}_run "server did not start: $(tail -n 2 "$W/srv-$l.log" | tr '\n' ' ')"
		stop_server
		return
	fi
	timeout 60 "$B" --mode client --target-port "$PORT" --tls "$tls" \
		--total-connections $N --concurrency 8 --requests 3 --data-size 3000 \
		--verify --output "$W/cli-$l" "$@" >"$W/cli-$l.log" 2>&1
	rc=$?
	stop_server
	if [ $rc -eq 0 ] && grep -q "$N completed, 0 failed" "$W/cli-$l.log"; then
		t_pass l7bench_${l}_run
	else
		t_fail l7bench_${l}_run "client exit $rc: $(tail -n 3 "$W/cli-$l.log" | tr '\n' ' ')"
	fi
	check_reports "$l" "$tls" $N 3 3000
	# the server's own report: it saw the N connections and echoed every byte
	if [ "$(csv "$W/srv-$l.csv" conns_completed)" = $N ] &&
		[ "$(csv "$W/srv-$l.csv" tx_bytes)" = $((N * 3 * 3000)) ]; then
		t_pass l7bench_${l}_server_report
	else
		t_fail l7bench_${l}_server_report "server: $(csv "$W/srv-$l.csv" conns_completed) connections, $(csv "$W/srv-$l.csv" tx_bytes) bytes echoed"
	fi
}

run_pair none plain --
run_pair openssl openssl "${CERTS[@]}" --ca "$W/certs/ca.pem" -- \
	--ca "$W/certs/ca.pem" --cert "$W/certs/node-a.pem" --key "$W/certs/node-a.key"

# a bulk run with --duration and kept connections, 1 MiB messages
if start_server none bulk; then
	"$B" --mode client --target-port "$PORT" --concurrency 2 --requests 0 \
		--duration 1 --data-size 1M --output "$W/cli-bulk" >"$W/cli-bulk.log" 2>&1
	rc=$?
	stop_server
	if [ $rc -eq 0 ] && [ "$(csv "$W/cli-bulk.csv" conns_completed)" = 2 ] &&
		gt "$(csv "$W/cli-bulk.csv" requests)" 1 && gt "$(csv "$W/cli-bulk.csv" rx_mbit_s)" 1 &&
		gt 2 "$(csv "$W/cli-bulk.csv" elapsed_s)" && gt "$(csv "$W/cli-bulk.csv" elapsed_s)" 0.9; then
		t_pass l7bench_duration_bulk
	else
		t_fail l7bench_duration_bulk "exit $rc: $(grep -E 'connections|throughput|error' "$W/cli-bulk.log" | tr '\n' ' ')"
	fi
else
	t_fail l7bench_duration_bulk "server did not start"
	stop_server
fi

# a client against a closed port must fail (exit 1), not report success
"$B" --mode client --target-port 1 --total-connections 5 --output "$W/cli-refused" >"$W/refused.log" 2>&1
rc=$?
if [ $rc -eq 1 ] && grep -q "Connection refused" "$W/refused.log" &&
	[ "$(csv "$W/cli-refused.csv" conns_failed)" = 5 ]; then
	t_pass l7bench_refused_fails
else
	t_fail l7bench_refused_fails "exit $rc: $(tail -n 2 "$W/refused.log" | tr '\n' ' ')"
fi

# kTLS: branch on the kernel, decided here independently of tlshub_bench
modprobe tls 2>/dev/null
if grep -qw tls /proc/sys/net/ipv4/tcp_available_ulp 2>/dev/null; then
	run_pair ktls ktls "${CERTS[@]}" -- --ca "$W/certs/ca.pem"
else
	out=$("$B" --mode client --target-port 9 --tls ktls --total-connections 1 2>&1)
	rc=$?
	if [ $rc -eq 3 ] && [[ $out == *"kernel TLS not available"* ]]; then
		t_pass l7bench_ktls_unavailable_clear
	else
		t_fail l7bench_ktls_unavailable_clear "exit $rc: $out"
	fi
	out=$("$B" --mode server --listen-port 0 --tls ktls "${CERTS[@]}" 2>&1)
	rc=$?
	[ $rc -eq 3 ] && [[ $out == *"kernel TLS not available"* ]] &&
		t_pass l7bench_ktls_unavailable_server ||
		t_fail l7bench_ktls_unavailable_server "exit $rc: $out"
fi

# hostile options: exit 2 and a message naming the option
bad=
while IFS='@' read -r want args; do
	# shellcheck disable=SC2086
	out=$("$B" $args 2>&1)
	rc=$?
	[ $rc -eq 2 ] && [[ $out == *"$want"* ]] || bad="$bad [$args -> $rc: ${out%%$'\n'*}]"
done <<'EOF'
--mode server|client is required@
--mode@--mode foo
--target-port is required@--mode client
--target-port@--mode client --target-port 0
--target-port@--mode client --target-port 65536
--target-port@--mode client --target-port 8x
--data-size@--mode client --target-port 1 --data-size 0
--data-size@--mode client --target-port 1 --data-size 4T
--data-size@--mode client --target-port 1 --data-size 99999999999999999999999
--duration@--mode client --target-port 1 --duration -1
--duration@--mode client --target-port 1 --duration 1e9
--duration@--mode client --target-port 1 --duration inf
--concurrency@--mode client --target-port 1 --concurrency 0
--target-ip@--mode client --target-port 1 --target-ip 300.1.1.1
--tls@--mode client --target-port 1 --tls ssl3
given twice@--mode client --target-port 1 --target-port 2
only for --mode server@--mode client --target-port 1 --listen-port 80
only for --mode client@--mode server --total-connections 5
needs --cert@--mode server --tls openssl
need --tls openssl@--mode client --target-port 1 --ca /etc/hostname
needs --duration@--mode client --target-port 1 --requests 0
unexpected argument@--mode client --target-port 1 stray
unknown option@--mode client --target-port 1 --frobnicate
EOF
[ -z "$bad" ] && t_pass l7bench_hostile_options || t_fail l7bench_hostile_options "$bad"
t_done
