#!/bin/bash
# kTLS end to end, inside the VM (tests/vm/run-all.sh; needs a kernel with
# tls, e.g. Debian's 6.1). Two netns joined by a veth pair; for every
# cipher x TLS version ktls_peer exchanges a unique marker over kTLS while
# tcpdump records the veth, and tests/ktls_pcap_check.py proves the wire
# holds only TLS application-data records that decrypt (independently, in
# Python) to the marker, and never the marker itself. Then wrong keys must
# give EBADMSG, and a 64 MiB file sent with sendfile(2) must arrive intact.
set -uo pipefail
. "$(dirname "$0")/../lib/testlib.sh"

PEER=$TCSEG_BUILD/tests/ktls_peer
UNIT=$TCSEG_BUILD/tests/unit/test_ktls
CHECK=$TCSEG_ROOT/tests/ktls_pcap_check.py
NS1=tcseg-ktls-c$$
NS2=tcseg-ktls-s$$
ADDR1=10.77.0.1
ADDR2=10.77.0.2
WORK=
BG_PIDS=()

cleanup() {
	local p
	for p in "${BG_PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	ip netns del "$NS1" 2>/dev/null
	ip netns del "$NS2" 2>/dev/null
	[ -n "$WORK" ] && rm -rf "$WORK"
}
trap cleanup EXIT

# Show why, and the kernel's view, when something fails.
why() {
	local f
	for f in "$@"; do
		[ -s "$f" ] && echo "# $(basename "$f"): $(tail -n 3 "$f" | tr '\n' ' ')"
	done
	dmesg 2>/dev/null | tail -n 5 | sed 's/^/# dmesg: /'
}

setup() {
	t_need_root ktls_vm_setup || return 1
	if [ ! -x "$PEER" ] || [ ! -x "$UNIT" ]; then
		t_fail ktls_vm_setup "$PEER or $UNIT not built (make all)"
		return 1
	fi
	# This script is for a kernel with kTLS: on one without, fail loudly.
	if ! modprobe tls 2>/dev/null && ! grep -qw tls /proc/sys/net/ipv4/tcp_available_ulp; then
		t_fail ktls_vm_setup "no tls module on kernel $(uname -r): run it in the VM (tools/vm/run)"
		return 1
	fi
	WORK=$(mktemp -d /tmp/tcseg-ktls.XXXXXX) || return 1
	ip netns add "$NS1" && ip netns add "$NS2" &&
	ip link add kv1 netns "$NS1" type veth peer name kv2 netns "$NS2" &&
	ip -n "$NS1" addr add $ADDR1/24 dev kv1 &&
	ip -n "$NS2" addr add $ADDR2/24 dev kv2 &&
	ip -n "$NS1" link set lo up && ip -n "$NS2" link set lo up &&
	ip -n "$NS1" link set kv1 up && ip -n "$NS2" link set kv2 up || {
		t_fail ktls_vm_setup "netns/veth set-up failed"
		return 1
	}
	t_pass ktls_vm_setup
}

# wait_for FILE PATTERN: up to 20 s for PATTERN to appear in FILE.
wait_for() {
	local i
	for ((i = 0; i < 200; i++)); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# start_capture PCAP PORT [TCPDUMP-ARGS...]: tcpdump on kv1; sets CAP_PID.
start_capture() {
	local pcap=$1 port=$2
	shift 2
	ip netns exec "$NS1" tcpdump -i kv1 -n -U --immediate-mode -Z root -s 0 "$@" \
		-w "$pcap" "tcp port $port" 2> "$pcap.err" &
	CAP_PID=$!
	BG_PIDS+=("$CAP_PID")
	wait_for "$pcap.err" "listening on"
}

stop_capture() {
	sleep 1	# let the last packets reach the file
	kill -INT "$CAP_PID" 2>/dev/null
	wait "$CAP_PID" 2>/dev/null
}

# start_server NAME ARGS...: ktls_peer server in NS2; sets SRV_PID.
start_server() {
	local name=$1
	shift
	ip netns exec "$NS2" "$PEER" server --addr $ADDR2 "$@" \
		> "$WORK/$name.srv" 2> "$WORK/$name.srv.err" &
	SRV_PID=$!
	BG_PIDS+=("$SRV_PID")
	wait_for "$WORK/$name.srv" "^LISTENING"
}

run_client() {
	local name=$1
	shift
	ip netns exec "$NS1" "$PEER" client --addr $ADDR2 "$@" \
		> "$WORK/$name.cli" 2> "$WORK/$name.cli.err"
}

# The kTLS branch of the unit test (every combination on loopback).
test_unit_in_vm() {
	t_check ktls_unit_test_with_kernel_tls env CMOCKA_MESSAGE_OUTPUT=TAP "$UNIT"
}

bswap64() {
	local v=$1 r=0 i
	for ((i = 0; i < 8; i++)); do
		r=$(((r << 8) | ((v >> (8 * i)) & 0xff)))
	done
	printf '0x%016x' "$r"
}

# queue_check NAME ARGS...: a capture check for the one Python run at the
# end (starting Python over 9p under TCG takes ~20 s each time).
queue_check() {
	printf '%q ' "$@" >> "$WORK/checks"
	echo >> "$WORK/checks"
}

# The queued capture checks: one PASS/FAIL line each.
run_checks() {
	local line name
	[ -s "$WORK/checks" ] || return
	python3 "$CHECK" --batch "$WORK/checks" > "$WORK/checks.out" 2>&1
	while IFS= read -r line; do
		case $line in
		"PASS "*) t_pass "${line#PASS }" ;;
		"FAIL "*) name=${line#FAIL }; t_fail "${name%%:*}" "${name#*: }" ;;
		*) echo "$line" ;;
		esac
	done < "$WORK/checks.out"
	grep -qE '^(PASS|FAIL) ' "$WORK/checks.out" ||
		t_fail ktls_capture_checks "checker printed no result: $(tail -n 3 "$WORK/checks.out" | tr '\n' ' ')"
}

# One cipher x version: marker exchange, capture, independent decryption.
test_combo() {
	local cipher=$1 ver=$2 port=$3 name="ktls_${1}_tls${2}_exchange"
	local marker="TCSEG-MARKER-$cipher-$ver-$$-$RANDOM$RANDOM"
	local seed="seed-$cipher-$ver-$RANDOM" seq=$((0x0102030405060708 + port))
	local args=(--port "$port" --cipher "$cipher" --version "$ver"
		--seed "$seed" --seq "$seq" --marker "$marker" --timeout 60)
	local pcap=$WORK/$name.pcap crc src

	start_capture "$pcap" "$port" || {
		t_fail "$name" "tcpdump did not start: $(tail -n 2 "$pcap.err")"
		return
	}
	start_server "$name" "${args[@]}" || {
		stop_capture
		t_fail "$name" "server did not listen: $(why "$WORK/$name.srv.err")"
		return
	}
	run_client "$name" "${args[@]}"
	crc=$?
	wait "$SRV_PID"
	src=$?
	stop_capture
	if [ "$crc" -ne 0 ] || [ "$src" -ne 0 ] ||
		! grep -q '^OK echo' "$WORK/$name.cli" ||
		! grep -q '^OK marker' "$WORK/$name.srv"; then
		t_fail "$name" "client exit $crc, server exit $src $(why "$WORK/$name.cli.err" "$WORK/$name.srv.err")"
		t_fail "ktls_${cipher}_tls${ver}_capture_is_tls_only" "no exchange to check"
		return
	fi
	t_pass "$name"
	if [ "$cipher$ver" = aes1281.3 ]; then
		# Negative controls: a byte-swapped start sequence number (what
		# a little-endian rec_seq would be) and another key must not
		# decrypt the capture.
		queue_check ktls_checker_rejects_byteswapped_seq "$pcap" \
			--port "$port" --marker "$marker" --seed "$seed" \
			--cipher "$cipher" --version "$ver" --expect-fail \
			--seq "$(bswap64 "$seq")"
		queue_check ktls_checker_rejects_other_key "$pcap" \
			--port "$port" --marker "$marker" --seed "x$seed" \
			--cipher "$cipher" --version "$ver" --seq "$seq" --expect-fail
	fi
	queue_check "ktls_${cipher}_tls${ver}_capture_is_tls_only" "$pcap" \
		--port "$port" --marker "$marker" --seed "$seed" \
		--cipher "$cipher" --version "$ver" --seq "$seq"
}

# A side with a wrong TX key: the other side's recv must fail with EBADMSG.
test_wrong_key() {
	local who=$1 port=$2 name="ktls_wrong_${1}_key_gives_ebadmsg"
	local args=(--port "$port" --cipher aes128 --version 1.3 --seed wrong-$$
		--marker "WRONG-KEY-MARKER-$$" --timeout 30)
	local srv_extra=() cli_extra=() crc src

	[ "$who" = client ] && cli_extra=(--wrong-key) || srv_extra=(--wrong-key)
	start_server "$name" "${args[@]}" "${srv_extra[@]}" || {
		t_fail "$name" "server did not listen"
		return
	}
	run_client "$name" "${args[@]}" "${cli_extra[@]}"
	crc=$?
	wait "$SRV_PID"
	src=$?
	if [ "$who" = client ]; then
		# The server decrypts the client's records: it must see EBADMSG.
		if [ "$src" -eq 4 ] && grep -q '^EBADMSG' "$WORK/$name.srv" && [ "$crc" -ne 0 ]; then
			t_pass "$name"
		else
			t_fail "$name" "server exit $src (want 4 + EBADMSG), client exit $crc $(why "$WORK/$name.srv.err")"
		fi
	else
		# The client decrypts the server's echo: it must see EBADMSG.
		if [ "$crc" -eq 4 ] && grep -q '^EBADMSG' "$WORK/$name.cli"; then
			t_pass "$name"
		else
			t_fail "$name" "client exit $crc (want 4 + EBADMSG), server exit $src $(why "$WORK/$name.cli.err")"
		fi
	fi
}

# 64 MiB with sendfile(2) over kTLS: the receiver's SHA-256 must match,
# and the start of the file must not be on the wire in clear.
test_sendfile() {
	local port=$1 name=ktls_sendfile_64MiB_sha256
	local file=$WORK/big.bin want got head pcap=$WORK/sendfile.pcap crc src
	local args=(--port "$port" --cipher aes128 --version 1.3 --seed sf-$$
		--marker "SENDFILE-MARKER-$$" --timeout 300)

	head -c $((64 << 20)) /dev/urandom > "$file" || {
		t_fail "$name" "cannot write $file"
		return
	}
	want=$(sha256sum "$file" | cut -d' ' -f1)
	head=$(head -c 64 "$file" | od -An -tx1 -v | tr -d ' \n')
	# Only the first packets: enough to see the file's first records.
	start_capture "$pcap" "$port" -c 400 || {
		t_fail "$name" "tcpdump did not start"
		return
	}
	start_server "$name" "${args[@]}" --recv-file-sha256 || {
		t_fail "$name" "server did not listen"
		return
	}
	run_client "$name" "${args[@]}" --sendfile "$file"
	crc=$?
	wait "$SRV_PID"
	src=$?
	stop_capture
	got=$(awk '$1 == "SHA256" { print $2 }' "$WORK/$name.srv")
	if [ "$crc" -ne 0 ] || [ "$src" -ne 0 ] || [ "$got" != "$want" ] ||
		! grep -q '^SENDFILE OK' "$WORK/$name.cli"; then
		t_fail "$name" "client exit $crc, server exit $src, sha256 sent $want got '${got}' $(why "$WORK/$name.cli.err" "$WORK/$name.srv.err")"
		return
	fi
	queue_check ktls_sendfile_capture_is_tls_only "$pcap" --port "$port" \
		--marker "SENDFILE-MARKER-$$" --absent-hex "$head" --partial
	echo "# server: $(grep '^SHA256' "$WORK/$name.srv")"
	echo "# client: $(grep '^SENDFILE' "$WORK/$name.cli")"
	t_pass "$name"
}

main() {
	local port=20000 c v

	setup || { t_done; return; }
	test_unit_in_vm
	for c in aes128 aes256 chacha; do
		for v in 1.2 1.3; do
			port=$((port + 1))
			test_combo "$c" "$v" "$port"
		done
	done
	test_wrong_key client $((port + 1))
	test_wrong_key server $((port + 2))
	test_sendfile $((port + 3))
	run_checks
	t_done
}

main
