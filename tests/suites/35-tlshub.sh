#!/bin/bash
# TLSHub client against two user-space TLSHub peers (tests/tlshub_peer, one
# per node, NETLINK_USERSOCK, real TLS 1.3 mTLS between them on loopback):
# fetch fails -> handshake -> fetch, both ends derive mirrored kTLS
# material (client TX == server RX, compared as SHA-256 fingerprints), both
# request layouts, all ciphers, and the error paths (timeout, short reply,
# wrong sequence, wrong sender, log flood, handshake failure, rogue
# certificate, expired key, master key reuse, peer absent). No root needed.
set -uo pipefail
. "$(dirname "$0")/../lib/testlib.sh"

PEER=$TCSEG_BUILD/tests/tlshub_peer
CLI=$TCSEG_BUILD/tests/tlshub_cli
GEN=$TCSEG_ROOT/tools/gen-certs.sh
NODE_A=127.0.0.1
NODE_B=127.0.0.2

for b in "$PEER" "$CLI"; do
	if [ ! -x "$b" ]; then
		t_fail tlshub_build "$b missing (make all)"
		exit 1
	fi
done

tmp=$(mktemp -d /tmp/tcseg-tlshub-suite.XXXXXX)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
[ -n "${TLSHUB_KEEP:-}" ] && trap - EXIT

if ! "$GEN" "$tmp/certs" >"$tmp/gen.log" 2>&1; then
	t_fail tlshub_certs "$(tail -n 2 "$tmp/gen.log")"
	exit 1
fi

PB=$((20000 + RANDOM % 20000))

# peer NAME ARGS...: start a peer in the background; sets PID_<NAME> to its
# netlink port id. Returns 1 if it did not come up.
peer() {
	local name=$1 out=$tmp/$1.out i nlpid
	shift
	(exec "$PEER" --certs "$tmp/certs" "$@" >"$out" 2>"$tmp/$name.err") &
	pids+=($!)
	for i in $(seq 50); do
		nlpid=$(sed -n 's/^READY nl_pid=\([0-9]*\) .*/\1/p' "$out" 2>/dev/null)
		if [ -n "$nlpid" ]; then
			printf -v "PID_${name//-/_}" '%s' "$nlpid"
			return 0
		fi
		sleep 0.1
	done
	t_fail "tlshub_peer_$name" "did not start: $(tail -n 2 "$tmp/$name.err")"
	return 1
}

# cli OUT PEER_NLPID ARGS...: run the client tool, output in OUT, status in CLI_RC.
cli() {
	local out=$1 pid=$2
	shift 2
	timeout 30 "$CLI" --proto 2 --peer-pid "$pid" --node-ip "$NODE_B" \
		--timeout 1000 "$@" >"$out" 2>"$out.err"
	CLI_RC=$?
}

# fps FILE TUPLE ROLE -> "tx rx"
fps() {
	awk -v t="$2" -v r="$3" '$1 == "KEY" && $2 == t && $3 == r {
		sub("tx=", "", $4); sub("rx=", "", $5); print $4, $5 }' "$1"
}

# mirrored NAME FILE_A FILE_B TUPLE: client end on A, server end on B.
mirrored() {
	local name=$1 a b
	a=($(fps "$2" "$4" client))
	b=($(fps "$3" "$4" server))
	if [ ${#a[@]} -ne 2 ] || [ ${#b[@]} -ne 2 ]; then
		t_fail "$name" "no key: $(grep -h ERR "$2" "$3" | head -n 2 | tr '\n' ' ')"
	elif [ "${a[0]}" != "${b[1]}" ] || [ "${a[1]}" != "${b[0]}" ]; then
		t_fail "$name" "client tx/rx ${a[*]} vs server tx/rx ${b[*]}"
	elif [ "${a[0]}" = "${a[1]}" ]; then
		t_fail "$name" "same key material in both directions"
	else
		t_pass "$name"
	fi
}

peer node-b --node node-b --listen "$NODE_B:$PB" --node-ip "$NODE_B" || exit 1
peer node-a --node node-a --listen "$NODE_A:0" --node-ip "$NODE_A" \
	--node-port "$PB" --remote "$NODE_B:$PB" || exit 1

# --- the normal path: fetch fails, handshake, fetch; the other node mirrors
T1=10.1.0.1:40000-10.2.0.1:443
cli "$tmp/a1" "$PID_node_a" fetch "$T1" client get "$T1" client stats
if grep -q "^ERR fetch ENOKEY" "$tmp/a1" && [ "$(grep -c '^KEY' "$tmp/a1")" = 1 ]; then
	t_pass tlshub_fetch_fails_then_handshake_fetch
else
	t_fail tlshub_fetch_fails_then_handshake_fetch "$(tr '\n' ' ' <"$tmp/a1")"
fi
cli "$tmp/b1" "$PID_node_b" get "$T1" server stats
mirrored tlshub_server_node_mirrors_client_node "$tmp/a1" "$tmp/b1" "$T1"
if grep -q 'requests=2 ' "$tmp/b1"; then	# INIT + one FETCH, no handshake
	t_pass tlshub_server_node_needs_no_handshake
else
	t_fail tlshub_server_node_needs_no_handshake "$(grep STATS "$tmp/b1")"
fi

# Different flows get different keys.
T2=10.1.0.1:40001-10.2.0.1:443
cli "$tmp/a2" "$PID_node_a" get "$T2" client
x1=$(fps "$tmp/a1" "$T1" client)
x2=$(fps "$tmp/a2" "$T2" client)
if [ -n "$x2" ] && [ "$x1" != "$x2" ]; then
	t_pass tlshub_flows_get_distinct_keys
else
	t_fail tlshub_flows_get_distinct_keys "T1 '$x1' T2 '$x2'"
fi

# Layout v1 (no server_node_ip): node-a uses --remote.
T3=10.1.0.2:40000-10.2.0.1:8080
cli "$tmp/a3" "$PID_node_a" --layout v1 get "$T3" client
cli "$tmp/b3" "$PID_node_b" --layout v1 get "$T3" server
mirrored tlshub_layout_v1_mirrors "$tmp/a3" "$tmp/b3" "$T3"

# Server end asks first: its START waits for the client node's announce.
T4=10.1.0.3:40000-10.2.0.1:443
cli "$tmp/b4" "$PID_node_b" --hs-timeout 5000 get "$T4" server &
bg=$!
sleep 0.3
cli "$tmp/a4" "$PID_node_a" get "$T4" client
wait "$bg"
mirrored tlshub_server_end_first_mirrors "$tmp/a4" "$tmp/b4" "$T4"

# AES-GCM-256 and ChaCha20-Poly1305 (32-byte keys), distinct from each other.
T5=10.1.0.4:40000-10.2.0.1:443
for c in aes256 chacha; do
	cli "$tmp/a5$c" "$PID_node_a" --cipher $c get "$T5" client
	cli "$tmp/b5$c" "$PID_node_b" --cipher $c get "$T5" server
	mirrored "tlshub_cipher_${c}_mirrors" "$tmp/a5$c" "$tmp/b5$c" "$T5"
done
if grep -q klen=32 "$tmp/a5aes256" &&
   [ "$(fps "$tmp/a5aes256" "$T5" client)" != "$(fps "$tmp/a5chacha" "$T5" client)" ]; then
	t_pass tlshub_ciphers_distinct_keys
else
	t_fail tlshub_ciphers_distinct_keys "$(cat "$tmp/a5aes256" "$tmp/a5chacha" | tr '\n' ' ')"
fi

# The tuple used again by a new connection after a client restart (a new
# process: daemon restart or provider switch, empty reuse guard): the
# module hands out the same master key, the new ISNs give new keys, and
# the server end of the new connection mirrors its client end.
cli "$tmp/a7a" "$PID_node_a" --isn 1000:5000 get "$T1" client
cli "$tmp/a7b" "$PID_node_a" --isn 3000:9000 get "$T1" client
cli "$tmp/b7b" "$PID_node_b" --isn 3000:9000 get "$T1" server
x1=$(fps "$tmp/a7a" "$T1" client)
x2=$(fps "$tmp/a7b" "$T1" client)
if [ -n "$x1" ] && [ -n "$x2" ] && [ "${x1% *}" != "${x2% *}" ] &&
   [ "${x1#* }" != "${x2#* }" ]; then
	t_pass tlshub_tuple_reuse_after_restart_new_keys
else
	t_fail tlshub_tuple_reuse_after_restart_new_keys "'$x1' vs '$x2' $(grep -h ERR "$tmp/a7a" "$tmp/a7b" | tr '\n' ' ')"
fi
mirrored tlshub_tuple_reuse_server_mirrors "$tmp/a7b" "$tmp/b7b" "$T1"

# Same flow and end again (4-tuple reuse): same master key, refused.
cli "$tmp/a6" "$PID_node_a" get "$T1" client get "$T1" client
if grep -q '^KEY' "$tmp/a6" && grep -q '^ERR get ESTALE' "$tmp/a6"; then
	t_pass tlshub_master_key_reuse_refused
else
	t_fail tlshub_master_key_reuse_refused "$(tr '\n' ' ' <"$tmp/a6")"
fi

# --- error paths. A faulty node-a per case, same node-b.
fault() {	# fault NAME ARGS...: a node-a peer with fault options
	local n=$1
	shift
	peer "$n" --node node-a --listen "$NODE_A:0" --node-ip "$NODE_A" \
		--node-port "$PB" "$@"
}

# survived FILE: the tool kept running after the error (exit 1, STATS).
survived() {
	[ "$CLI_RC" = 1 ] && grep -q "^STATS" "$1"
}

F=10.1.0.9:40000-10.2.0.1:443
if fault slow --delay-ms 1500 --fault-on fetch; then
	start=$(date +%s%N)
	cli "$tmp/f1" "$PID_slow" --timeout 300 --hs-timeout 5000 \
		fetch "$F" client handshake "$F" stats
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	if grep -q '^ERR fetch ETIMEDOUT .*within 300 ms' "$tmp/f1" &&
	   grep -q '^OK handshake' "$tmp/f1" && survived "$tmp/f1"; then
		t_pass "tlshub_timeout_is_clear_error_and_client_survives (${ms} ms)"
	else
		t_fail tlshub_timeout_is_clear_error_and_client_survives \
			"rc=$CLI_RC $(tr '\n' ' ' <"$tmp/f1")"
	fi
fi

check_err() {	# check_err NAME FILE PATTERN
	if grep -q "$3" "$2" && survived "$2"; then
		t_pass "$1"
	else
		t_fail "$1" "rc=$CLI_RC $(tr '\n' ' ' <"$2")"
	fi
}

if fault short --short-reply --fault-on fetch; then
	cli "$tmp/f2" "$PID_short" fetch "$F" client stats
	check_err tlshub_short_reply_rejected "$tmp/f2" \
		'^ERR fetch EBADMSG .*shorter than msg_type + struct key_back'
fi

if fault seq --wrong-seq --fault-on fetch; then
	cli "$tmp/f3" "$PID_seq" --timeout 300 fetch "$F" client stats
	check_err tlshub_wrong_sequence_ignored "$tmp/f3" \
		'^ERR fetch ETIMEDOUT .*1 with a wrong sequence number'
fi

if fault spoof --spoof-pid --fault-on fetch; then
	cli "$tmp/f4" "$PID_spoof" --timeout 300 fetch "$F" client stats
	check_err tlshub_wrong_sender_ignored "$tmp/f4" \
		'^ERR fetch ETIMEDOUT .*ignored 1 message(s) from a wrong sender'
fi

if fault logs --log-lines 3 --fault-on init,start; then
	cli "$tmp/f5" "$PID_logs" get "10.1.0.9:40001-10.2.0.1:443" client stats
	if grep -q '^KEY' "$tmp/f5" && grep -q 'log_lines=6 ' "$tmp/f5"; then
		t_pass tlshub_log_lines_read_and_skipped
	else
		t_fail tlshub_log_lines_read_and_skipped "$(tr '\n' ' ' <"$tmp/f5")"
	fi
fi

if fault flood --log-lines 100 --fault-on start; then
	cli "$tmp/f6" "$PID_flood" get "$F" client stats
	check_err tlshub_log_flood_bounded "$tmp/f6" \
		'^ERR get EPROTO .*more than 64 log lines'
fi

if fault hsfail --fail-handshake; then
	cli "$tmp/f7" "$PID_hsfail" get "$F" client stats
	check_err tlshub_handshake_failure "$tmp/f7" \
		'^ERR get ECONNABORTED .*0x03): handshake failed: injected alert'
fi

# A node whose certificate is signed by another CA: node-b refuses it.
if peer rogue --node rogue --listen "$NODE_A:0" --node-ip "$NODE_A" \
	--node-port "$PB"; then
	cli "$tmp/f8" "$PID_rogue" get "$F" client stats
	check_err tlshub_rogue_certificate_rejected "$tmp/f8" \
		'^ERR get ECONNABORTED .*alert unknown ca'
fi

# The server node's certificate must name the expected node.
if fault wrongname --remote-name node-c; then
	cli "$tmp/f9" "$PID_wrongname" get "$F" client stats
	check_err tlshub_server_node_name_checked "$tmp/f9" \
		'^ERR get ECONNABORTED .*hostname mismatch'
fi

if fault expire --expire; then
	cli "$tmp/f10" "$PID_expire" get "$F" client stats
	check_err tlshub_expired_key "$tmp/f10" '^ERR get EKEYEXPIRED .*expired'
fi

# Nobody on the configured port id: sendto fails with ECONNREFUSED.
cli "$tmp/f11" 2147483000 get "$F" client stats
check_err tlshub_peer_absent "$tmp/f11" \
	'^INIT ERR ECONNREFUSED TLSHub not available'

# Protocol 31 without the module: "TLSHub not available" as well (a host
# with the real module loaded answers INIT instead).
timeout 30 "$CLI" --layout v1 --timeout 500 stats >"$tmp/f12" 2>&1
CLI_RC=$?
if grep -q '^INIT ERR EPROTONOSUPPORT TLSHub not available' "$tmp/f12" ||
   grep -q '^INIT ok' "$tmp/f12"; then
	t_pass tlshub_module_absent_is_clear
else
	t_fail tlshub_module_absent_is_clear "$(tr '\n' ' ' <"$tmp/f12")"
fi

t_done
