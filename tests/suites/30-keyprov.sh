#!/bin/bash
# Key provider between two processes (two nodes' key services on
# loopback, tests/kp_peer): both ends of a flow get the same keys for all
# four OpenSSL/BoringSSL pairings, the node session is reused, and the
# failures (rogue certificate, wrong CA, wrong node name, peer down,
# silent peer, garbage on the key service port) are clear errors.
# Only SHA-256 fingerprints of key material are ever printed.
set -uo pipefail
. "$(dirname "$0")/../lib/testlib.sh"

PEER=$TCSEG_BUILD/tests/kp_peer
GEN=$TCSEG_ROOT/tools/gen-certs.sh
T1=10.1.0.1:40000-10.2.0.1:443
T2=10.1.0.1:40001-10.2.0.1:443
MODES=(openssl boringssl)

if [ ! -x "$PEER" ]; then
	t_fail keyprov_build "$PEER missing (make all)"
	exit 1
fi

tmp=$(mktemp -d /tmp/tcseg-kp-suite.XXXXXX)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

if ! "$GEN" "$tmp/certs" >"$tmp/gen.log" 2>&1; then
	t_fail keyprov_certs "$(tail -n 2 "$tmp/gen.log")"
	exit 1
fi

# Ports: two free-looking ones from a per-run base.
base=$((20000 + RANDOM % 20000))
PA=$base PB=$((base + 1)) PX=$((base + 2))
cat >"$tmp/map" <<EOF
10.1.0.0/16 node-a 127.0.0.1:$PA
10.2.0.0/16 node-b 127.0.0.1:$PB
EOF

peer() {	# peer NODE MODE ARGS...
	local node=$1 mode=$2
	shift 2
	"$PEER" --mode "$mode" --node "$node" --certs "$tmp/certs" \
		--map "$tmp/map" --timeout 1500 "$@"
}

# start_b MODE OUT ARGS...: node-b's service in the background, ready.
start_b() {
	local mode=$1 out=$2 i
	shift 2
	# exec: $! must be kp_peer itself, not a subshell around it.
	(exec "$PEER" --mode "$mode" --node node-b --certs "$tmp/certs" \
		--map "$tmp/map" --timeout 1500 --listen "127.0.0.1:$PB" \
		"$@" >"$out" 2>&1) &
	pids+=($!)
	B_PID=$!
	for i in $(seq 50); do
		grep -q '^READY' "$out" && return 0
		kill -0 "$B_PID" 2>/dev/null || break
		sleep 0.1
	done
	return 1
}

stop_b() {
	kill "$B_PID" 2>/dev/null
	wait "$B_PID" 2>/dev/null
}

fp() {	# fp FILE TUPLE
	awk -v t="$2" '$1 == "KEY" && $2 == t { sub("fp=", "", $5); print $5 }' "$1"
}

agree() {	# agree MODE_A MODE_B
	local ma=$1 mb=$2 name="keyprov_agree_${1}_${2}" a b f1 f2
	a=$tmp/a.$ma.$mb b=$tmp/b.$ma.$mb
	if ! start_b "$mb" "$b" --get "$T1" --get "$T2" --serve 30; then
		t_fail "$name" "node-b did not start: $(tail -n 2 "$b")"
		return
	fi
	if ! peer node-a "$ma" --get "$T1" --get "$T2" --bench 200 \
		--bench-fresh 20 >"$a" 2>&1; then
		t_fail "$name" "node-a: $(tail -n 2 "$a" | tr '\n' ' ')"
		stop_b
		return
	fi
	# the server side derives when it serves: give a loaded machine time
	for i in $(seq 300); do
		[ -n "$(fp "$b" "$T1")" ] && [ -n "$(fp "$b" "$T2")" ] && break
		sleep 0.1
	done
	stop_b
	f1=$(fp "$a" "$T1") f2=$(fp "$a" "$T2")
	if [ -z "$f1" ] || [ -z "$f2" ]; then
		t_fail "$name" "no client keys: $(tr '\n' ' ' <"$a")"
	elif [ -z "$(fp "$b" "$T1")" ] || [ -z "$(fp "$b" "$T2")" ]; then
		t_fail "$name" "server derived no key within 30 s: $(tail -n 3 "$b" | tr '\n' ' ')"
	elif [ "$f1" != "$(fp "$b" "$T1")" ] || [ "$f2" != "$(fp "$b" "$T2")" ]; then
		t_fail "$name" "client and server keys differ"
	elif [ "$f1" = "$f2" ]; then
		t_fail "$name" "two flows got the same keys"
	else
		t_pass "$name"
	fi
	# One handshake for 2 + 200 flows: the session is reused.
	if grep -q '^STATS handshakes=1 reuses=201 announced=202' "$a"; then
		t_pass "keyprov_session_reuse_${ma}_${mb}"
	else
		t_fail "keyprov_session_reuse_${ma}_${mb}" "$(grep STATS "$a")"
	fi
	echo "# $ma -> $mb: first flow $(awk '/^KEY/ { print $6; exit }' "$a"),"\
		"$(grep '^BENCH' "$a" | tr '\n' ' ')"
}

for ma in "${MODES[@]}"; do
	for mb in "${MODES[@]}"; do
		agree "$ma" "$mb"
	done
done

# OpenSSL's libcrypto (linked, as in the daemon, for the HKDF) and the
# dlopen()ed BoringSSL plugin in one process: no symbol of either may
# bind to the other (docs/KEYS.md §10). Both nodes run boringssl under
# LD_DEBUG=bindings; node-a's bindings are checked.
bindings() {
	local name=keyprov_boringssl_binds_to_itself a=$tmp/bind.a bad n
	if ! grep -q 'libcrypto\.so\.3' <<<"$(ldd "$PEER")"; then
		t_fail "$name" "kp_peer does not link OpenSSL's libcrypto.so.3"
		return
	fi
	if ! start_b boringssl "$tmp/bind.b" --get "$T1" --serve 30; then
		t_fail "$name" "node-b did not start: $(tail -n 2 "$tmp/bind.b")"
		return
	fi
	LD_DEBUG=bindings LD_DEBUG_OUTPUT=$tmp/ldb \
		peer node-a boringssl --get "$T1" >"$a" 2>&1
	stop_b
	if ! grep -q '^KEY' "$a"; then
		t_fail "$name" "no keys: $(tail -n 2 "$a" | tr '\n' ' ')"
		return
	fi
	# "binding file FROM [n] to TO [n]: normal symbol `S'"
	bad=$(cat "$tmp"/ldb.* | awk '$2 == "binding" && $3 == "file" {
		from = $4; to = $7
		b_from = from ~ /\/android\/|libtcseg_kp_boringssl/
		b_to = to ~ /\/android\//
		o_to = to ~ /lib(crypto|ssl)\.so\.3/
		if ((b_from && o_to) || (!b_from && b_to)) print from, "->", to, $NF
	}' | sort -u | head -n 3)
	n=$(cat "$tmp"/ldb.* | grep -c 'android/libssl\.so\.0 .* to .*android/libcrypto\.so\.0')
	if [ -n "$bad" ]; then
		t_fail "$name" "cross bindings: $(tr '\n' ' ' <<<"$bad")"
	elif [ "$n" -lt 10 ]; then
		t_fail "$name" "saw only $n BoringSSL libssl -> libcrypto bindings"
	else
		t_pass "$name"
	fi
}
bindings

# expect_fail NAME PATTERN CMD...: CMD must fail with PATTERN on stderr.
expect_fail() {
	local name=$1 pat=$2 out
	shift 2
	if out=$("$@" 2>&1); then
		t_fail "$name" "succeeded where it must fail"
	elif grep -qiE "$pat" <<<"$out"; then
		t_pass "$name"
	else
		t_fail "$name" "error does not say '$pat': $(echo "$out" | tail -n 2 | tr '\n' ' ')"
	fi
}

for mb in "${MODES[@]}"; do
	ma=openssl
	[ "$mb" = openssl ] && ma=boringssl
	if ! start_b "$mb" "$tmp/neg.$mb" --serve 30; then
		t_fail "keyprov_negative_$mb" "node-b did not start"
		continue
	fi
	expect_fail "keyprov_rogue_cert_$ma->$mb" \
		"certificate|closed right after the handshake" \
		peer node-a "$ma" --cert "$tmp/certs/rogue.pem" \
		--key "$tmp/certs/rogue.key" --get "$T1"
	expect_fail "keyprov_wrong_ca_$ma->$mb" "certificate" \
		peer node-a "$ma" --ca "$tmp/certs/rogue-ca.pem" --get "$T1"
	# Plain-text garbage on the key service port, then a real flow.
	{
		exec 3<>"/dev/tcp/127.0.0.1/$PB" &&
		printf 'GET / HTTP/1.0\r\n\r\n' >&3 &&
		timeout 2 cat <&3 >/dev/null
		exec 3<&- 3>&-
	} 2>/dev/null
	t_check "keyprov_survives_garbage_$mb" \
		peer node-a "$ma" --get 10.1.0.9:1000-10.2.0.9:80 --wait 100
	stop_b
	if grep -q 'accept_errors=[1-9]' "$tmp/neg.$mb" &&
	   grep -q 'received=1 ' "$tmp/neg.$mb"; then
		t_pass "keyprov_negative_counted_$mb"
	else
		t_fail "keyprov_negative_counted_$mb" "$(grep STATS "$tmp/neg.$mb")"
	fi
	# node-b's address answered by a node-a certificate.
	start_b "$mb" "$tmp/name.$mb" --cert "$tmp/certs/node-a.pem" \
		--key "$tmp/certs/node-a.key" --serve 30
	expect_fail "keyprov_wrong_node_name_$ma->$mb" "certificate" \
		peer node-a "$ma" --get "$T1"
	stop_b
done

# Nobody on node-b's port.
expect_fail keyprov_peer_down "connect to key service .*refused" \
	peer node-a openssl --get "$T1"

# Something accepts TCP but never speaks TLS.
(exec python3 -c "
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $PB)); s.listen(8); open('$tmp/silent', 'w').close()
time.sleep(30)") &
pids+=($!)
for i in $(seq 100); do
	[ -e "$tmp/silent" ] && break
	sleep 0.1
done
start=$(date +%s%N)
expect_fail keyprov_peer_silent_timeout "timed out" \
	peer node-a boringssl --get "$T1"
ms=$((($(date +%s%N) - start) / 1000000))
if [ "$ms" -lt 5000 ]; then
	t_pass keyprov_timeout_bounded
else
	t_fail keyprov_timeout_bounded "took $ms ms with a 1500 ms timeout"
fi

t_done
