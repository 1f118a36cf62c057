#!/bin/bash
# Key provider + kernel TLS end to end (runs in the VM: needs CONFIG_TLS).
# Two netns joined by a veth are two nodes (node-a 10.99.0.1, node-b
# 10.99.0.2), each with its own key service (tests/kp_peer). The client in
# node-a connects plain TCP to the server in node-b; each side gets the
# flow's keys from its own node's provider (the client announces the flow
# over the node-to-node mTLS session, both derive with the TLS exporter),
# puts kTLS on the socket with configure_ktls (ctl/keys/ktls.c), and a marker
# goes both ways. Pairings: openssl, boringssl, and both mixes. A capture
# of the veth must show TLS records only, never the marker
# (tests/ktls_pcap_check.py). Outside the VM this re-runs itself in one.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/testlib.sh"

if [ "${TCSEG_IN_VM:-0}" != 1 ]; then
	exec "$TCSEG_ROOT/tools/vm/run" -- "$here/$(basename "$0")"
fi

PEER=$TCSEG_BUILD/tests/kp_peer
CHECK=$TCSEG_ROOT/tests/ktls_pcap_check.py
NA=tcseg-kpa NB=tcseg-kpb
A=10.99.0.1 B=10.99.0.2 KSVC=7443 APP=8443

tmp=$(mktemp -d /tmp/tcseg-kp-vm.XXXXXX)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	ip netns del $NA 2>/dev/null
	ip netns del $NB 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

setup() {
	ip link set lo up 2>/dev/null
	modprobe tls 2>/dev/null
	ip netns add $NA && ip netns add $NB &&
	ip link add kpa type veth peer name kpb &&
	ip link set kpa netns $NA && ip link set kpb netns $NB &&
	ip -n $NA addr add $A/24 dev kpa && ip -n $NB addr add $B/24 dev kpb &&
	ip -n $NA link set kpa up && ip -n $NB link set kpb up &&
	ip -n $NA link set lo up && ip -n $NB link set lo up
}

if [ ! -x "$PEER" ]; then
	t_fail kp_ktls_build "$PEER missing (make all)"
	exit 1
fi
if ! setup >"$tmp/setup.log" 2>&1; then
	t_fail kp_ktls_netns "$(tail -n 2 "$tmp/setup.log" | tr '\n' ' ')"
	exit 1
fi
if ! "$TCSEG_ROOT/tools/gen-certs.sh" "$tmp/certs" >"$tmp/gen.log" 2>&1; then
	t_fail kp_ktls_certs "$(tail -n 2 "$tmp/gen.log")"
	exit 1
fi
cat >"$tmp/map" <<EOF
$A/32 node-a $A:$KSVC
$B/32 node-b $B:$KSVC
EOF

wait_for() {	# wait_for FILE PATTERN PID
	local i
	for i in $(seq 100); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		kill -0 "$3" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# Under TCG tcpdump lags: wait until the capture stops growing.
settle() {
	local i size prev=-1
	for i in $(seq 20); do
		sleep 0.5
		size=$(stat -c %s "$1" 2>/dev/null || echo 0)
		[ "$size" = "$prev" ] && [ "$size" -gt 24 ] && return 0
		prev=$size
	done
}

fp() { awk '$1 == "KEY" { sub("fp=", "", $5); print $5; exit }' "$1"; }

# one MODE_A MODE_B: a flow from node-a (client) to node-b (server).
one() {
	local ma=$1 mb=$2 name="kp_ktls_${1}_${2}" d=$tmp/$1.$2
	local marker="tcseg-kp-marker-$1-$2-$RANDOM$RANDOM" spid cpid tpid rc
	mkdir -p "$d"
	(exec ip netns exec $NA tcpdump -i kpa -U -s 0 -w "$d/cap.pcap" \
		tcp port $APP >"$d/tcpdump.log" 2>&1) &
	tpid=$!
	pids+=($tpid)
	(exec ip netns exec $NB "$PEER" --mode "$mb" --node node-b \
		--certs "$tmp/certs" --map "$tmp/map" --listen $B:$KSVC \
		--timeout 15000 \
		--ktls-server $B:$APP --marker "$marker" >"$d/server" 2>&1) &
	spid=$!
	pids+=($spid)
	if ! wait_for "$d/server" '^LISTENING' $spid ||
	   ! wait_for "$d/tcpdump.log" 'listening on' $tpid; then
		t_fail "$name" "set-up: $(tail -n 2 "$d/server" "$d/tcpdump.log" | tr '\n' ' ')"
		return
	fi
	ip netns exec $NA timeout 30 "$PEER" --mode "$ma" --node node-a \
		--certs "$tmp/certs" --map "$tmp/map" --ktls-client $B:$APP \
		--timeout 15000 \
		--marker "$marker" >"$d/client" 2>&1
	rc=$?
	wait $spid
	settle "$d/cap.pcap"
	kill -INT $tpid 2>/dev/null
	wait $tpid 2>/dev/null
	if [ $rc -ne 0 ] || ! grep -q '^OK echo' "$d/client"; then
		t_fail "$name" "client: $(tail -n 2 "$d/client" | tr '\n' ' ')"
	elif ! grep -q '^OK marker' "$d/server"; then
		t_fail "$name" "server: $(tail -n 2 "$d/server" | tr '\n' ' ')"
	elif [ -z "$(fp "$d/client")" ] ||
	     [ "$(fp "$d/client")" != "$(fp "$d/server")" ]; then
		t_fail "$name" "key fingerprints differ"
	else
		t_pass "$name"
	fi
	# The wire carries TLS records only: no marker, no echo.
	if out=$(python3 "$CHECK" "$d/cap.pcap" --port $APP \
		--marker "$marker" 2>&1) &&
	   ! grep -aq "$marker" "$d/cap.pcap"; then
		t_pass "${name}_wire_encrypted"
	else
		t_fail "${name}_wire_encrypted" "$(echo "$out" | tail -n 2 | tr '\n' ' ')"
	fi
}

one openssl openssl
one boringssl boringssl
one openssl boringssl
one boringssl openssl

t_done
