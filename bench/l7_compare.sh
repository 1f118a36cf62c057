#!/bin/bash
# Layer 7 comparison with tlshub_bench (issue #5 parts 1 and 3, seed 002).
#
#   bench/l7_compare.sh host [opts]  plain TCP vs user-space OpenSSL TLS 1.3,
#                                    on loopback and over a veth pair between
#                                    two netns, ratios against plain TCP; and
#                                    the CPU use of tlshub_bench itself on
#                                    plain TCP loopback (must not be the
#                                    bottleneck)
#   bench/l7_compare.sh vm [opts]    the same script inside the qemu VM
#                                    (tools/vm/run, Debian 6.1 with kTLS):
#                                    kTLS vs user-space OpenSSL bulk echo
#                                    throughput, 16 KiB and 1 MiB messages,
#                                    with send() and with sendfile(2)
#   bench/l7_compare.sh in-vm [opts] what `vm` runs in the guest; runs on
#                                    any host whose kernel has tls
#
# Options: --duration S (per bulk run; host 5, VM 10), --conns N (connections
# of the connection-rate run, default 3000), --rounds N (median of N runs,
# default 1; every configuration is run once per round, interleaved),
# --out DIR (kept; default a temporary directory, removed).
# Needs root (netns) and $TCSEG_BUILD/bench/tlshub_bench. Writes
# DIR/results.csv (one line per client run) and prints the tables.
# The VM is emulated (TCG): its figures are only meaningful as ratios.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
build=${TCSEG_BUILD:-$root/build}
B=$build/bench/tlshub_bench
NSA=tcseg-l7a-$$ NSB=tcseg-l7b-$$
IPA=10.79.0.1 IPB=10.79.0.2

die() { echo "l7_compare: $*" >&2; exit 1; }
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" >&2; exit 2; }

what=${1:-}
[ $# -gt 0 ] && shift
case $what in host | vm | in-vm) ;; *) usage ;; esac
duration='' conns=3000 rounds=1 out=''
num() { [[ $2 =~ ^[0-9]+$ ]] && [ "$2" -gt 0 ] || die "$1 wants a positive integer, got '$2'"; }
while [ $# -gt 0 ]; do
	case $1 in
	--duration) [[ ${2-} =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "--duration wants seconds, got '${2-}'"
		duration=$2; shift 2 ;;
	--conns) num "$1" "${2-}"; conns=$2; shift 2 ;;
	--rounds) num "$1" "${2-}"; rounds=$2; shift 2 ;;
	--out) [ -n "${2-}" ] || die "--out wants a directory"; out=$2; shift 2 ;;
	*) usage ;;
	esac
done

if [ "$what" = vm ]; then
	args=(in-vm --conns "$conns" --rounds "$rounds")
	[ -n "$duration" ] && args+=(--duration "$duration")
	# results come back on stdout; the guest's files are lost at power-off
	exec env TCSEG_BUILD="$build" "$root/tools/vm/run" --timeout 1800 -- \
		"$here/l7_compare.sh" "${args[@]}"
fi

[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces)"
[ -x "$B" ] || die "$B missing (make $B)"
keep=$out
if [ -z "$out" ]; then
	out=$(mktemp -d /tmp/tcseg-l7.XXXXXX)
	trap 'cleanup; rm -rf "$out"' EXIT
else
	mkdir -p "$out" || die "cannot create $out"
	trap cleanup EXIT
fi
out=$(cd "$out" && pwd)

SRV_PID=
cleanup() {
	[ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null && wait "$SRV_PID" 2>/dev/null
	ip netns del $NSA 2>/dev/null
	ip netns del $NSB 2>/dev/null
}

netns_up() {
	ip netns add $NSA && ip netns add $NSB &&
	ip link add l7a type veth peer name l7b &&
	ip link set l7a netns $NSA && ip link set l7b netns $NSB &&
	ip -n $NSA addr add $IPA/24 dev l7a && ip -n $NSB addr add $IPB/24 dev l7b &&
	ip -n $NSA link set l7a up && ip -n $NSB link set l7b up &&
	ip -n $NSA link set lo up && ip -n $NSB link set lo up &&
	# the client closes first: let it reuse its TIME_WAIT ports (not
	# loopback, so the default tcp_tw_reuse=2 does not apply)
	ip netns exec $NSA sysctl -qw net.ipv4.tcp_tw_reuse=1
}

# ns_exec NS CMD...: NS "-" is the current namespace
ns_exec() {
	local ns=$1
	shift
	if [ "$ns" = - ]; then "$@"; else ip netns exec "$ns" "$@"; fi
}

certs=$out/certs
"$root/tools/gen-certs.sh" "$certs" >/dev/null 2>&1 || die "tools/gen-certs.sh $certs failed"
tls_srv_args() {
	[ "$1" = none ] || echo "--cert $certs/node-b.pem --key $certs/node-b.key"
}
tls_cli_args() {
	[ "$1" = none ] || echo "--ca $certs/ca.pem"
}

# start_server NS TLS LABEL: SRV_PID (the server itself: `ip netns exec`
# execs it), SRV_PORT
start_server() {
	local ns=$1 tls=$2 label=$3 log=$out/srv-$3.log pre=()
	[ "$ns" = - ] || pre=(ip netns exec "$ns")
	: >"$log"
	# shellcheck disable=SC2046
	"${pre[@]}" "$B" --mode server --listen-port 0 --tls "$tls" \
		$(tls_srv_args "$tls") --output "$out/srv-$label" >"$log" 2>&1 &
	SRV_PID=$!
	for _ in $(seq 1 300); do
		SRV_PORT=$(sed -n 's/.*server listening on [0-9.]*:\([0-9]*\) .*/\1/p' "$log")
		[ -n "$SRV_PORT" ] && return 0
		kill -0 $SRV_PID 2>/dev/null || break
		sleep 0.1
	done
	cat "$log" >&2
	die "server ($tls, $label) did not start"
}

stop_server() {
	kill -TERM "$SRV_PID" 2>/dev/null
	wait "$SRV_PID" 2>/dev/null
	SRV_PID=
}

# csv FILE FIELD: the value of FIELD in the one-row report FILE
csv() {
	awk -F, -v f="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == f) c = i }
		NR == 2 && c { print $c }' "$1"
}

# run NS-CLIENT NS-SERVER TARGET-IP TLS LABEL CLIENT-ARGS...: one client
# run against a fresh server; appends to results.csv
run() {
	local nsc=$1 nss=$2 ip=$3 tls=$4 label=$5 rc
	shift 5
	start_server "$nss" "$tls" "$label"
	# shellcheck disable=SC2046
	ns_exec "$nsc" "$B" --mode client --target-ip "$ip" --target-port "$SRV_PORT" \
		--tls "$tls" $(tls_cli_args "$tls") --output "$out/cli-$label" "$@" \
		>"$out/cli-$label.log" 2>&1
	rc=$?
	stop_server
	if [ $rc -ne 0 ]; then
		cat "$out/cli-$label.log" >&2
		die "client run $label failed (exit $rc)"
	fi
	[ -s "$out/results.csv" ] || { printf 'label,'; head -n 1 "$out/cli-$label.csv"; } >"$out/results.csv"
	{ printf '%s,' "$label"; sed -n 2p "$out/cli-$label.csv"; } >>"$out/results.csv"
	[ -s "$out/server.csv" ] || { printf 'label,'; head -n 1 "$out/srv-$label.csv"; } >"$out/server.csv"
	{ printf '%s,' "$label"; sed -n 2p "$out/srv-$label.csv"; } >>"$out/server.csv"
}

# val LABEL FIELD [FILE]: median over the rounds of FIELD for runs
# LABEL-r* in FILE (results.csv: the clients, server.csv: the servers)
val() {
	awk -F, -v l="$1" -v f="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == f) c = i; next }
		{ sub(/-r[0-9]+$/, "", $1) } $1 == l { print $c }' "$out/${3:-results.csv}" |
		sort -g | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

srv_cpu() { val "$1" cpu_util_pct server.csv; }

# user share of the CPU time: the tool's own code (the rest is the kernel)
user_pct() {
	awk -v u="$(val "$1" cpu_user_s "${2:-results.csv}")" -v s="$(val "$1" cpu_sys_s "${2:-results.csv}")" \
		'BEGIN { if (u + s > 0) printf "%.1f", 100 * u / (u + s); else print "n/a" }'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 > 0) printf "%.2f", a / b; else print "n/a" }'; }

# row NAME FIELD BASE-LABEL LABEL...: a table row with ratios to BASE
row() {
	local name=$1 field=$2 base=$3 l v b
	shift 3
	b=$(val "$base" "$field")
	printf '| %-34s |' "$name"
	for l in "$base" "$@"; do
		v=$(val "$l" "$field")
		if [ "$l" = "$base" ]; then
			printf ' %12s |' "$v"
		else
			printf ' %12s (%sx) |' "$v" "$(ratio "$v" "$b")"
		fi
	done
	echo
}

info() {
	echo "kernel $(uname -r), $(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%M:%SZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "tlshub_bench: $B; rounds $rounds (medians), bulk runs ${duration}s each"
}

host() {
	local path ns_c ns_s ip r tls title
	duration=${duration:-5}
	netns_up || die "cannot create the netns/veth pair"
	info
	for r in $(seq 1 "$rounds"); do
		for path in lo veth; do
			if [ $path = lo ]; then ns_c=- ns_s=- ip=127.0.0.1; else ns_c=$NSA ns_s=$NSB ip=$IPB; fi
			for tls in none openssl; do
				# connection rate: a fresh connection (and TLS handshake) per 4 KiB exchange
				run $ns_c $ns_s $ip $tls $path-$tls-conn-r$r --total-connections "$conns" \
					--concurrency 8 --requests 1 --data-size 4096
				# request/response on 8 kept connections, 4 KiB
				run $ns_c $ns_s $ip $tls $path-$tls-rr-r$r --concurrency 8 --requests 0 \
					--duration "$duration" --data-size 4096
				# bulk echo, one connection, 1 MiB messages
				run $ns_c $ns_s $ip $tls $path-$tls-bulk-r$r --concurrency 1 --requests 0 \
					--duration "$duration" --data-size 1M
			done
		done
		# the tool itself on plain TCP loopback: ping-pong of 64 bytes on
		# one connection, and 16 connections of 4 KiB exchanges
		run - - 127.0.0.1 none sat1-r$r --concurrency 1 --requests 0 --duration "$duration" --data-size 64
		run - - 127.0.0.1 none sat16-r$r --concurrency 16 --requests 0 --duration "$duration" --data-size 4096
	done
	echo
	info
	for path in lo veth; do
		echo
		if [ $path = lo ]; then title=loopback; else title="veth pair between two netns"; fi
		echo "### $title: user-space OpenSSL TLS 1.3 vs plain TCP"
		echo
		echo "| figure | none | openssl |"
		echo "| --- | ---: | ---: |"
		row "connections/s (4 KiB, new conn)" conns_per_s $path-none-conn $path-openssl-conn
		row "set-up p50 us" setup_us_p50 $path-none-conn $path-openssl-conn
		row "set-up p99 us" setup_us_p99 $path-none-conn $path-openssl-conn
		row "requests/s (8 conns, 4 KiB)" requests_per_s $path-none-rr $path-openssl-rr
		row "request p50 us" request_us_p50 $path-none-rr $path-openssl-rr
		row "request p99 us" request_us_p99 $path-none-rr $path-openssl-rr
		row "bulk echo Mbit/s (1 MiB)" rx_mbit_s $path-none-bulk $path-openssl-bulk
		row "client CPU % (bulk)" cpu_util_pct $path-none-bulk $path-openssl-bulk
		printf '| %-34s | %12s | %12s |\n' "server CPU % (bulk)" \
			"$(srv_cpu $path-none-bulk)" "$(srv_cpu $path-openssl-bulk)"
	done
	echo
	echo "### tlshub_bench's own cost on plain TCP loopback"
	echo
	echo "CPU % = user+sys over wall time; on-CPU-or-runnable % = (run + run-queue wait, /proc/self/schedstat) over wall time: 100 means the process never waited for its peer, it wanted a whole core; user share = user / (user+sys), the part spent in tlshub_bench's own code rather than in the kernel."
	echo
	echo "| load | requests/s | client CPU % | client on-CPU-or-runnable % | client user share % | server CPU % | server on-CPU-or-runnable % | server user share % |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	for l in sat1 sat16; do
		printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' \
			"$([ $l = sat1 ] && echo '1 conn, 64 B ping-pong' || echo '16 conns, 4 KiB')" \
			"$(val $l requests_per_s)" "$(val $l cpu_util_pct)" "$(val $l cpu_demand_pct)" \
			"$(user_pct $l)" "$(srv_cpu $l)" "$(val $l cpu_demand_pct server.csv)" \
			"$(user_pct $l server.csv)"
	done
}

in_vm() {
	local r size tls sf label n o k
	duration=${duration:-10}
	if ! grep -qw tls /proc/sys/net/ipv4/tcp_available_ulp; then
		modprobe tls 2>/dev/null
		grep -qw tls /proc/sys/net/ipv4/tcp_available_ulp ||
			die "kernel TLS not available on $(uname -r)"
	fi
	# A Debian system loads aesni_intel through udev (CPU modalias); the
	# VM has no udev, and gcm(aes) would then be built on aes-generic
	# (table AES) while OpenSSL uses AES-NI. Load it before the first
	# gcm(aes) instance exists, and show what the kernel uses.
	if grep -qw aes /proc/cpuinfo; then
		modprobe aesni_intel 2>/dev/null || die "modprobe aesni_intel failed (CPU has AES-NI)"
	fi
	netns_up || die "cannot create the netns/veth pair"
	info
	head -c $((1 << 20)) /dev/urandom >"$out/payload" || die "cannot write $out/payload"
	# warm-up: the first kTLS set-up loads the tls and crypto modules,
	# which takes seconds under TCG and would land in the first run
	run $NSA $NSB $IPB ktls warmup --total-connections 2 --data-size 1K
	echo "kernel gcm(aes) for kTLS: $(awk '/^name/ { n = $3 } /^driver/ && n == "gcm(aes)" { print $3; exit }' /proc/crypto)"
	for r in $(seq 1 "$rounds"); do
		for size in 16K 1M; do
			for sf in send sendfile; do
				for tls in none openssl ktls; do
					label=$size-$sf-$tls-r$r
					if [ $sf = send ]; then
						run $NSA $NSB $IPB $tls $label --concurrency 1 --requests 0 \
							--duration "$duration" --data-size $size
					else
						run $NSA $NSB $IPB $tls $label --concurrency 1 --requests 0 \
							--duration "$duration" --data-size $size --sendfile "$out/payload"
					fi
				done
			done
		done
	done
	echo
	echo "EMULATED (qemu TCG, -cpu max): ratios only, absolute figures mean nothing"
	info
	echo
	echo "### kTLS vs user-space OpenSSL, bulk echo over a veth pair (two netns), one connection"
	echo
	echo "| message, client send path | none Mbit/s | openssl Mbit/s | ktls Mbit/s | ktls / openssl | openssl / none | ktls / none |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
	for size in 16K 1M; do
		for sf in send sendfile; do
			n=$(val $size-$sf-none rx_mbit_s)
			o=$(val $size-$sf-openssl rx_mbit_s)
			k=$(val $size-$sf-ktls rx_mbit_s)
			printf '| %s, %s | %s | %s | %s | %s | %s | %s |\n' "$size" \
				"$([ $sf = send ] && echo 'send()' || echo 'sendfile() (openssl: read+SSL_write)')" \
				"$n" "$o" "$k" "$(ratio "$k" "$o")" "$(ratio "$o" "$n")" "$(ratio "$k" "$n")"
		done
	done
	echo
	echo "| message, client send path | openssl client CPU % | ktls client CPU % | openssl server CPU % | ktls server CPU % |"
	echo "| --- | ---: | ---: | ---: | ---: |"
	for size in 16K 1M; do
		for sf in send sendfile; do
			printf '| %s, %s | %s | %s | %s | %s |\n' "$size" "$sf" \
				"$(val $size-$sf-openssl cpu_util_pct)" "$(val $size-$sf-ktls cpu_util_pct)" \
				"$(srv_cpu $size-$sf-openssl)" "$(srv_cpu $size-$sf-ktls)"
		done
	done
}

case $what in
host) host ;;
in-vm) in_vm ;;
esac
echo
if [ "$what" = in-vm ]; then
	echo "raw results (lost with the VM):"
	cat "$out/results.csv"
elif [ -n "$keep" ]; then
	echo "raw results: $out/results.csv"
fi
