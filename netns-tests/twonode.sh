#!/bin/bash
# Two-node topology for tcsegd tests and benchmarks (sourced, not run):
# two "nodes" as network namespaces joined by a veth link (nla/nlb), each
# with a bridge, two pod namespaces and its own tcsegd (own bpffs, pin dir,
# control socket, metrics, key service):
#   node-a 10.100.0.1: pod-a1 10.200.1.1, pod-a2 10.200.1.2 (veths va1 va2)
#   node-b 10.100.0.2: pod-b1 10.200.2.1, pod-b2 10.200.2.2 (veths vb1 vb2)
# Callers set NT_ID (namespace suffix), VARIANT, HOLD_MS, KEY_MS before
# sourcing, call tn_setup, start their servers, start_daemon a/b, and add
# policy with `tcn NODE policy add ...`. cleanup runs on EXIT.
# Needs tests/lib/testlib.sh sourced first (TCSEG_ROOT, TCSEG_BUILD).

ID=${NT_ID:-$$}
NA=tcsegd-na-$ID NB=tcsegd-nb-$ID
A1=10.200.1.1 A2=10.200.1.2 B1=10.200.2.1 B2=10.200.2.2
NODE_A=10.100.0.1 NODE_B=10.100.0.2
ENC_PORT=7000 ALLOW_PORT=7001 DENY_PORT=7002
DIR= PIDS=() PODS=() DPID_A= DPID_B= TPIDS=()
FLOW="python3 $TCSEG_ROOT/netns-tests/flow.py"
TCSEGD=$TCSEG_BUILD/tcsegd
TCCTL=$TCSEG_BUILD/tcctl
VARIANT=${VARIANT:-auto}
# hold and key timeouts (ms): the VM (TCG, slow) raises them
HOLD_MS=${HOLD_MS:-2000}
KEY_MS=${KEY_MS:-1000}
# client timeout (s) for the encrypt flow: covers the hold
CLIENT_S=${CLIENT_S:-5}

pod_ns() { echo "tcsegd-$1-$ID"; }
in_pod() { local p=$1; shift; ip netns exec "$(pod_ns "$p")" "$@"; }
node_ns() { [ "$1" = a ] && echo $NA || echo $NB; }
# tcctl against node A or B: data plane and daemon socket
tcn() {
	local n=$1
	shift
	"$TCCTL" -n "$(node_ns $n)" --pin-dir "$DIR/bpf-$n/tcseg" \
		--socket "$DIR/$n.sock" "$@"
}

cleanup() {
	local p
	for p in "${PIDS[@]}" "${TPIDS[@]}" $DPID_A $DPID_B; do
		kill -CONT "$p" 2>/dev/null
		kill "$p" 2>/dev/null
	done
	# whatever still runs in the namespaces (servers started through a
	# shell function leave their subshell's child behind)
	for p in "${PODS[@]}"; do
		ip netns pids "$(pod_ns "$p")" 2>/dev/null | xargs -r kill 2>/dev/null
	done
	wait 2>/dev/null
	for p in "${PODS[@]}"; do
		ip netns del "$(pod_ns "$p")" 2>/dev/null
	done
	ip netns del $NA 2>/dev/null
	ip netns del $NB 2>/dev/null
	if [ -n "$DIR" ]; then
		umount "$DIR/bpf-a" 2>/dev/null
		umount "$DIR/bpf-b" 2>/dev/null
		[ -n "${KEEP:-}" ] || rm -rf "$DIR"
	fi
}

add_pod() {	# add_pod NODE(a|b) NAME IP
	local n=$1 p=$2 ip=$3 ns nn gw
	ns=$(pod_ns "$p") nn=$(node_ns "$n")
	gw=${ip%.*}.254
	ip netns add "$ns" || return 1
	ip -n "$ns" link set lo up
	ip -n "$nn" link add "v${p#pod-}" type veth peer name eth0 netns "$ns" || return 1
	ip -n "$nn" link set "v${p#pod-}" master br0 up
	ip -n "$ns" addr add "$ip/24" dev eth0
	ip -n "$ns" link set eth0 up
	ip -n "$ns" route add default via "$gw"
	PODS+=("$p")
}

write_conf() {	# write_conf NODE(a|b) NODE_NAME NODE_IP
	cat >"$DIR/$1.conf" <<EOF
mode = openssl
fallback_mode = openssl
node_name = $2
pod_node_config_path = $DIR/pods.conf
key_service_listen = $3:7443
cert_file = $DIR/certs/$2.pem
key_file = $DIR/certs/$2.key
ca_file = $DIR/certs/ca.pem
kp_plugin_dir = $TCSEG_BUILD
tlshub_netlink_protocol = 2
tlshub_peer_port = 4242
hold_timeout_ms = $HOLD_MS
key_fetch_timeout_ms = $KEY_MS
handshake_timeout_ms = $((KEY_MS * 3))
pin_dir = $DIR/bpf-$1/tcseg
control_socket = $DIR/$1.sock
metrics_listen = 127.0.0.1:9469
log_level = debug
attach_devices = v$1 1 v$1 2
EOF
	sed -i "s/^attach_devices = .*/attach_devices = v${1}1 v${1}2/" "$DIR/$1.conf"
}

# tn_setup: both nodes, their bridges and pods, certificates, pods.conf and
# the daemon configs (daemons not started)
tn_setup() {
	DIR=$(mktemp -d /tmp/tcseg-daemon.XXXXXX)
	chmod 755 "$DIR"
	umask 022
	trap cleanup EXIT
	mkdir -p "$DIR/bpf-a" "$DIR/bpf-b"
	mount -t bpf bpf "$DIR/bpf-a" && mount -t bpf bpf "$DIR/bpf-b" || return 1
	ip netns add $NA && ip netns add $NB || return 1
	ip link add nla type veth peer name nlb || return 1
	ip link set nla netns $NA && ip link set nlb netns $NB || return 1
	local n ns
	for n in a b; do
		ns=$(node_ns $n)
		ip -n "$ns" link set lo up
		ip -n "$ns" link add br0 type bridge
		ip -n "$ns" link set br0 up
		ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1
	done
	ip -n $NA addr add $NODE_A/24 dev nla && ip -n $NA link set nla up
	ip -n $NB addr add $NODE_B/24 dev nlb && ip -n $NB link set nlb up
	ip -n $NA addr add 10.200.1.254/24 dev br0
	ip -n $NB addr add 10.200.2.254/24 dev br0
	ip -n $NA route add 10.200.2.0/24 via $NODE_B
	ip -n $NB route add 10.200.1.0/24 via $NODE_A
	add_pod a pod-a1 $A1 && add_pod a pod-a2 $A2 &&
		add_pod b pod-b1 $B1 && add_pod b pod-b2 $B2 || return 1
	# pods talk to their gateway once (as pods do when they start): the
	# node learns their MAC (ARP), the bridge their port
	local p
	for p in pod-a1 pod-a2 pod-b1 pod-b2; do
		in_pod $p python3 -c 'import socket,sys,time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b"hello", (sys.argv[1], 9)); time.sleep(0.1)' \
			"$(in_pod $p ip route | awk '/default/{print $3}')"
	done
	"$TCSEG_ROOT/tools/gen-certs.sh" "$DIR/certs" node-a node-b >"$DIR/certs.log" 2>&1 || return 1
	cat >"$DIR/pods.conf" <<EOF
node node-a $NODE_A
node node-b $NODE_B
pod-a1 node-a pod_ip=$A1
pod-a2 node-a pod_ip=$A2
pod-b1 node-b pod_ip=$B1
pod-b2 node-b pod_ip=$B2
EOF
	write_conf a node-a $NODE_A && write_conf b node-b $NODE_B
	return 0
}

# tn_enc_server PORT: the echo server of the encrypt port in pod-b1, busy
# for a moment after accept() (a closing peer must not make the accepted
# socket vanish before tcsegd looks for it)
tn_enc_server() {
	in_pod pod-b1 $FLOW tcp-server-slow "$1" &
	PIDS+=($!)
}

# tn_wait_listen SECS POD PORT...: up to SECS for each PORT to listen in
# POD; 1 if one never did
tn_wait_listen() {
	local secs=$1 pod=$2 port i
	shift 2
	for port in "$@"; do
		for i in $(seq $((secs * 10))); do
			[ -n "$(in_pod "$pod" ss -Hlnt "sport = :$port")" ] && continue 2
			sleep 0.1
		done
		return 1
	done
	return 0
}

# tn_start_tlshub_peers [ARG...]: the user-space TLSHub peer
# (tests/tlshub_peer) in both nodes, netlink port 4242 protocol 2, node
# sessions on :7444; extra ARGs go to both. Waits up to 30 s for READY.
tn_start_tlshub_peers() {
	local n ip i
	for n in a b; do
		[ $n = a ] && ip=$NODE_A || ip=$NODE_B
		ip netns exec "$(node_ns $n)" "$TCSEG_BUILD/tests/tlshub_peer" \
			--node node-$n --certs "$DIR/certs" --listen $ip:7444 \
			--node-ip $ip --node-port 7444 --nl-pid 4242 --proto 2 "$@" \
			>"$DIR/peer-$n.out" 2>"$DIR/peer-$n.err" &
		TPIDS+=($!)
	done
	for i in $(seq 300); do
		grep -q '^READY' "$DIR/peer-a.out" && grep -q '^READY' "$DIR/peer-b.out" &&
			return 0
		sleep 0.1
	done
	echo "tlshub_peer did not start: $(cat "$DIR"/peer-*.err)" >&2
	return 1
}

# start_daemon NODE: tcsegd in the node's namespace, wait until ready
start_daemon() {
	local n=$1 pid i before
	before=$(grep -c " daemon ready " "$DIR/$n.log" 2>/dev/null)
	ip netns exec "$(node_ns $n)" "$TCSEGD" -f -c "$DIR/$n.conf" -C "$VARIANT" \
		>>"$DIR/$n.log" 2>&1 &
	pid=$!
	[ $n = a ] && DPID_A=$pid || DPID_B=$pid
	# up to 60 s: a first start loads the data plane, whose verifier
	# pass takes ~3 s on the host and many times that under the VM's TCG
	for i in $(seq 600); do
		[ "$(grep -c " daemon ready " "$DIR/$n.log")" -gt "${before:-0}" ] &&
			return 0
		kill -0 $pid 2>/dev/null || break
		sleep 0.1
	done
	echo "tcsegd $n did not start: $(tail -n 3 "$DIR/$n.log")" >&2
	return 1
}

# tn_begin NAME: the start of a two-node test: root, binaries, the
# caller's setup() (its output shown on failure), monitors of both nodes
# in $DIR/mon-a.json and mon-b.json, KTLS=1 when the kernel has kTLS.
# Exits on failure (t_fail NAME_build / NAME_setup / NAME_monitor).
tn_begin() {
	local name=$1 f log
	t_need_root "$name" || exit 0
	for f in "$TCSEGD" "$TCCTL"; do
		[ -x "$f" ] || { t_fail "${name}_build" "$f missing (make all)"; exit 1; }
	done
	log=/tmp/$name-setup.$ID.log
	if ! setup >"$log" 2>&1; then
		t_fail "${name}_setup" "$(tail -n 4 "$log" | tr '\n' ' ')"
		exit 1
	fi
	rm -f "$log"
	monitor a "$DIR/mon-a.json" && monitor b "$DIR/mon-b.json" ||
		{ t_fail "${name}_monitor" "tcctl monitor did not start"; exit 1; }
	KTLS=0
	grep -q '"ktls_available":true' <<<"$(tcn a -j status)" && KTLS=1
	echo "# $name: capture $(tcn a -j status | sed 's/.*"capture":"\([^"]*\)".*/\1/'), kTLS $KTLS"
}

# tn_wire_check NAME MARKER PORT SYN PCAP...: no MARKER byte in any
# $DIR/PCAP.pcap, the flow's SYN (tcpdump filter SYN) in each; with kTLS
# the first (the node link) carries TLS records only on PORT
# (tests/ktls_pcap_check.py). Reports NAME_no_plaintext_on_wire_or_veths
# and NAME_node_link_carries_tls_records_only.
tn_wire_check() {
	local name=$1 marker=$2 port=$3 syn=$4 f bad= out
	shift 4
	for f in "$@"; do
		grep -aqF "$marker" "$DIR/$f.pcap" && bad="$bad marker-in-$f"
		[ "$(tcpdump -nr "$DIR/$f.pcap" "$syn" 2>/dev/null | wc -l)" -ge 1 ] ||
			bad="$bad no-handshake-in-$f"
	done
	[ -z "$bad" ] && t_pass "${name}_no_plaintext_on_wire_or_veths" ||
		t_fail "${name}_no_plaintext_on_wire_or_veths" "$bad"
	[ "$KTLS" = 1 ] || return 0
	if out=$(python3 "$TCSEG_ROOT/tests/ktls_pcap_check.py" "$DIR/$1.pcap" \
		--port "$port" --marker "$marker" 2>&1); then
		t_pass "${name}_node_link_carries_tls_records_only"
	else
		t_fail "${name}_node_link_carries_tls_records_only" "$(echo "$out" | tail -n 2 | tr '\n' ' ')"
	fi
}

# wait_log FILE PATTERN [GREP-OPTION]: up to 10 s for a daemon log line
# (grep -q; -F for a fixed string, as an IPv6 flow's [A]:P needs)
wait_log() {
	local i
	for i in $(seq 100); do
		grep -q ${3:-} -- "$2" "$1" && return 0
		sleep 0.1
	done
	return 1
}

# fp_of LOG ROLE FLOW: the fingerprint of the flow's keys in a daemon log
fp_of() {
	grep -F "keys agreed role=$2 flow=$3 " "$1" | tail -n1 | sed 's/.* fp=//'
}

# tn_server_end_keys NAME FLOW: node b took the accepted socket of FLOW
# from accept()'s record (tracepoint) or its hold (kprobe), never by a
# search; both nodes agreed on the keys (same fingerprint). Reports
# NAME_accepted_socket_taken_from_accept, NAME_keys_agreed_across_nodes.
tn_server_end_keys() {
	local name=$1 flow=$2 fa fb
	if wait_log "$DIR/b.log" "socket taken with pidfd_getfd role=server flow=$flow" -F &&
	   grep -F "capture accept flow=$flow tgid=" "$DIR/b.log" |
		grep -q "tgid=[1-9][0-9]* .*held=1 encrypt=1"; then
		t_pass "${name}_accepted_socket_taken_from_accept"
	else
		t_fail "${name}_accepted_socket_taken_from_accept" "$(grep -F "$flow" "$DIR/b.log" | head -n 3 | tr '\n' ' ')"
	fi
	fa=$(fp_of "$DIR/a.log" client "$flow") fb=$(fp_of "$DIR/b.log" server "$flow")
	if [ -n "$fa" ] && [ "$fa" = "$fb" ]; then
		t_pass "${name}_keys_agreed_across_nodes"
	else
		t_fail "${name}_keys_agreed_across_nodes" "client fp '$fa', server fp '$fb'"
	fi
}

# tn_kill9_held NAME IP PORT [SPORT]: a client in pod-a1 (encrypt flow to
# IP PORT) held when its daemon dies stays stopped (nobody sends the
# SIGCONT) until a daemon comes back: the new one finds it in the pinned
# tcseg_held map, fails its flow closed and lets it run. Reports
# NAME_restart_releases_client_held_by_killed_daemon.
tn_kill9_held() {
	local name=$1 ip=$2 port=$3 sport=${4:-0} pid i st rc=x
	local marker="tcseg-held-$RANDOM$RANDOM" t=${1}_restart_releases_client_held_by_killed_daemon
	# the key fetch cannot finish, so the hold lasts: node-a starts without
	# a node session (provider restarted) and node-b cannot answer
	tcn a provider set boringssl >/dev/null && tcn a provider set openssl >/dev/null
	kill -STOP $DPID_B
	capture $NA nla "$DIR/held.pcap"
	sleep 0.5
	ip netns exec "$(pod_ns pod-a1)" bash -c "$(declare -f enc_client); CLIENT_S=$CLIENT_S enc_client $ip $port $marker $sport" &
	pid=$!
	for i in $(seq 100); do
		[ "$(proc_state $pid)" = T ] && break
		sleep 0.02
	done
	kill -9 $DPID_A
	wait $DPID_A 2>/dev/null
	sleep $(((KEY_MS + 1500) / 1000))
	st=$(proc_state $pid)
	start_daemon a || { kill -CONT $DPID_B; t_fail "$t" "did not start"; return; }
	for i in $(seq 100); do
		kill -0 $pid 2>/dev/null || break
		sleep 0.05
	done
	if ! kill -0 $pid 2>/dev/null; then
		wait $pid
		rc=$?
	fi
	kill -CONT $DPID_B
	kill -INT ${TPIDS[-1]} 2>/dev/null
	sleep 0.3
	if [ "$st" = T ] && [ "$rc" != x ] && [ "$rc" -ne 0 ] &&
	   grep -q "released a process nobody was handing off .*tgid=$pid " "$DIR/a.log" &&
	   ! grep -aq "$marker" "$DIR/held.pcap"; then
		t_pass "$t"
	else
		t_fail "$t" "state after kill '$st', client rc $rc: $(grep -E "hold|tgid=$pid" "$DIR/a.log" | tail -n 2 | tr '\n' ' ')"
		kill -CONT $pid 2>/dev/null
	fi
	monitor a "$DIR/mon-a.json"
}

# monitor NODE FILE: tcctl monitor -j in the background
monitor() {
	tcn "$1" -j monitor >"$2" 2>&1 &
	TPIDS+=($!)
	local i
	for i in $(seq 50); do
		grep -q '"hello"' "$2" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

capture() {	# capture NS DEV FILE
	ip netns exec "$1" tcpdump -i "$2" -U -s 0 -w "$3" tcp >/dev/null 2>&1 &
	TPIDS+=($!)
}

proc_state() { awk '{print $3}' "/proc/$1/stat" 2>/dev/null; }

# jq-less JSON lines filter: print lines of FILE where PYEXPR holds on `j`
jsel() {
	python3 - "$1" "$2" <<'EOF'
import json, sys
for l in open(sys.argv[1]):
    try:
        j = json.loads(l)
    except ValueError:
        continue
    try:
        if eval(sys.argv[2]):
            print(l.rstrip())
    except Exception:
        pass
EOF
}

# cap_pods_has PIN IP: the capture's pod filter holds IP (IPv4 or IPv6;
# key struct tcseg_addr_key: 16 address bytes, IPv4 in the first 4, then
# the family)
cap_pods_has() {
	bpftool -j map dump pinned "$1" 2>/dev/null | python3 -c '
import json, socket, sys
ip = sys.argv[1]
fam = 6 if ":" in ip else 4
want = socket.inet_pton(socket.AF_INET6 if fam == 6 else socket.AF_INET, ip)
want = want + bytes(16 - len(want)) + bytes([fam])
for e in json.load(sys.stdin):
    k = e.get("key")
    if isinstance(k, list):
        k = bytes(int(x, 16) for x in k)
        if k[:17] == want:
            sys.exit(0)
sys.exit(1)' "$2"
}

# enc_client IP PORT MSG [SPORT]: connect (from SPORT, default any; IPv4
# or IPv6 as IP is), send MSG, expect it echoed (timeout CLIENT_S: a held
# connect counts against it). Runs in a pod: bash -c "$(declare -f ...)"
enc_client() {
	exec python3 -c '
import socket, sys
t = float(sys.argv[4])
src = ("::" if ":" in sys.argv[1] else "0.0.0.0", int(sys.argv[5]))
try:
    c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=t,
                                 source_address=src)
    c.settimeout(t); m = sys.argv[3].encode(); c.sendall(m); got = b""
    while len(got) < len(m):
        d = c.recv(65536)
        if not d: break
        got += d
except OSError as e:
    print("enc-client: %s" % e, file=sys.stderr); sys.exit(1)
sys.exit(0 if got == m else 1)' "$1" "$2" "$3" "$CLIENT_S" "${4:-0}"
}