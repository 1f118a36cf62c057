#!/bin/bash
# tcsegd and IPv6 (docs/CAPTURE.md, docs/DAEMON.md, docs/KEYS.md): the
# two-node topology of netns-tests/twonode.sh made dual-stack (pod-a1 and
# pod-b1 get an IPv6 address too, the nodes route IPv6 between them).
#  - an encrypt flow over IPv6: captured (AF_INET6 socket), held, joined,
#    socket taken, keys agreed between the daemons over the IPv4 node
#    session (ANNOUNCE6), then kTLS: secured both ends where the kernel
#    has kTLS (the VM, tests/vm/45-daemon-ktls6.sh: the node link then
#    carries TLS records only), failed closed here; never a payload byte
#    in clear on the node link or the veths;
#  - a dual-stack listener (AF_INET6, IPV6_V6ONLY off) accepting an IPv4
#    client: the capture turns the v4-mapped addresses into an IPv4 flow,
#    so the accept is matched to the IPv4 encrypt rule and handed off.
set -uo pipefail
. "$(dirname "$0")/../tests/lib/testlib.sh"
NT_ID=${NT_ID:-6$$}
. "$(dirname "$0")/twonode.sh"

A1_6=fd00:200:1::1 B1_6=fd00:200:2::1
ENC6_PORT=7100 DUAL_PORT=7101 ALLOW6_PORT=7102
# the IPv6 clients' source ports: the IPv6 rules are exact (rule6)
ENC6_SPORT=41100 ALLOW6_SPORT=41102 KILL6_SPORT=41103

# pod-a1 and pod-b1 dual-stack; IPv6 routed node to node
v6_setup() {
	local n ns p
	for n in a b; do
		ns=$(node_ns $n)
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.forwarding=1
	done
	ip -n $NA addr add fd00:100::1/64 dev nla nodad &&
		ip -n $NB addr add fd00:100::2/64 dev nlb nodad &&
		ip -n $NA addr add fd00:200:1::fe/64 dev br0 nodad &&
		ip -n $NB addr add fd00:200:2::fe/64 dev br0 nodad &&
		ip -n $NA -6 route add fd00:200:2::/64 via fd00:100::2 &&
		ip -n $NB -6 route add fd00:200:1::/64 via fd00:100::1 || return 1
	ip -n "$(pod_ns pod-a1)" addr add $A1_6/64 dev eth0 nodad &&
		ip -n "$(pod_ns pod-a1)" -6 route add default via fd00:200:1::fe &&
		ip -n "$(pod_ns pod-b1)" addr add $B1_6/64 dev eth0 nodad &&
		ip -n "$(pod_ns pod-b1)" -6 route add default via fd00:200:2::fe ||
		return 1
	cat >"$DIR/pods.conf" <<EOF
node node-a $NODE_A
node node-b $NODE_B
pod-a1 node-a pod_ip=$A1 pod_ip=$A1_6
pod-a2 node-a pod_ip=$A2
pod-b1 node-b pod_ip=$B1 pod_ip=$B1_6
pod-b2 node-b pod_ip=$B2
EOF
	# IPv6 neighbours learnt before the test (as pods do when they start)
	for p in "pod-a1 fd00:200:1::fe" "pod-b1 fd00:200:2::fe"; do
		set -- $p
		in_pod $1 python3 -c 'import socket,sys,time
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.sendto(b"hello", (sys.argv[1], 9)); time.sleep(0.1)' $2
	done
	return 0
}

# rule6 NODE ID FROM SPORT TO DPORT ACTION: an exact IPv6 TCP rule. With
# a tcctl that takes IPv6 addresses, through tcctl; a tcctl that still
# refuses them (#12 item 2) gets the entry written into both policy
# sets as the data path reads it (include/tcseg.h: struct
# tcseg_exact_key -> struct tcseg_verdict), after every tcctl rule.
rule6() {
	local n=$1 id=$2 from=$3 sp=$4 to=$5 dp=$6 act=$7 m hex
	tcn $n policy add id $id from $from to $to proto tcp sport $sp dport $dp \
		action $act >/dev/null 2>&1 && return 0
	hex=$(python3 - "$from" "$sp" "$to" "$dp" "$id" "$act" <<'EOF'
import socket, struct, sys
a, sp, b, dp, rid, act = sys.argv[1:]
acts = {"allow": 0, "deny": 1, "encrypt": 3}
key = (struct.pack("<I", 0) + socket.inet_pton(socket.AF_INET6, a) +
       socket.inet_pton(socket.AF_INET6, b) + struct.pack(">HH", int(sp), int(dp)) +
       bytes([6, 6, 0, 0]))
val = struct.pack("<III", int(rid), 0, 0) + bytes([acts[act], 0, 0, 0])
print(" ".join("%02x" % c for c in key), "|", " ".join("%02x" % c for c in val))
EOF
)
	for m in tcseg_exact tcseg_exact1; do
		bpftool map update pinned "$DIR/bpf-$n/tcseg/$m" \
			key hex ${hex%|*} value hex ${hex#*|} || return 1
	done
}

# the servers start after the daemons: the kprobe capture sees an
# accept() return only for a call entered after its kretprobe was set
# (docs/CAPTURE.md)
start_servers6() {
	local p
	# IPv6 only, and dual-stack (IPv4 clients arrive v4-mapped)
	for p in "tcp-server6-slow $ENC6_PORT" "tcp-server-dual-slow $DUAL_PORT" \
		 "tcp-server6-slow $ALLOW6_PORT"; do
		in_pod pod-b1 $FLOW $p &
		PIDS+=($!)
	done
}

setup() {
	tn_setup && v6_setup || return 1
	start_daemon a && start_daemon b || return 1
	start_servers6
	local n
	for n in a b; do
		tcn $n policy add id 2 from $A1 to $B1 proto tcp dport $DUAL_PORT action encrypt >/dev/null &&
		rule6 $n 1 $A1_6 $ENC6_SPORT $B1_6 $ENC6_PORT encrypt &&
		rule6 $n 3 $A1_6 $ALLOW6_SPORT $B1_6 $ALLOW6_PORT allow &&
		rule6 $n 4 $A1_6 $KILL6_SPORT $B1_6 $ENC6_PORT encrypt ||
			return 1
	done
	tn_wait_listen 3 pod-b1 $ENC6_PORT $DUAL_PORT $ALLOW6_PORT
}

# run_client IP PORT MSG [SPORT]: client in pod-a1, waited for; its pid
# and exit status in $pid and $rc
run_client() {
	ip netns exec "$(pod_ns pod-a1)" bash -c "$(declare -f enc_client); CLIENT_S=$CLIENT_S enc_client $*" &
	pid=$!
	wait $pid
	rc=$?
}

# client_flow LOG PREFIX SUFFIX: the last client flow taken on node a
# that starts with PREFIX and ends with SUFFIX
client_flow() {
	grep -F "socket taken with pidfd_getfd role=client flow=$2" "$1" |
		sed 's/.* flow=\([^ ]*\) .*/\1/' | grep -F -- "$3" | tail -n 1
}

# ends_done FLOW PIDRC: both ends secured (kTLS) or failed closed at the
# kTLS stage (no kTLS here), as the kernel allows
ends_done() {
	local flow=$1 rc=$2 name=$3
	if [ "$KTLS" = 1 ]; then
		if [ "$rc" -eq 0 ] && wait_log "$DIR/a.log" "secured role=client flow=$flow " -F &&
		   wait_log "$DIR/b.log" "secured role=server flow=$flow " -F; then
			t_pass "${name}_secured_both_ends"
		else
			t_fail "${name}_secured_both_ends" "client rc $rc: $(grep -hF "$flow" "$DIR/a.log" "$DIR/b.log" | grep -E 'secured|failed' | tr '\n' ' ')"
		fi
	# no kTLS: the client end fails closed at the kTLS stage; a server
	# end that started (its socket taken) fails closed too (it may not
	# start: the failed client's socket can close before accept() returns)
	elif [ "$rc" -ne 0 ] &&
	     grep -F "failed closed role=client flow=$flow " "$DIR/a.log" |
		grep -q 'stage=ktls reason="kernel TLS not available' &&
	     { ! grep -qF "socket taken with pidfd_getfd role=server flow=$flow " "$DIR/b.log" ||
	       wait_log "$DIR/b.log" "failed closed role=server flow=$flow " -F; }; then
		t_pass "${name}_handoff_reaches_ktls_and_fails_closed"
	else
		t_fail "${name}_handoff_reaches_ktls_and_fails_closed" "client rc $rc: $(grep -hF "$flow" "$DIR/a.log" "$DIR/b.log" | tail -n 4 | tr '\n' ' ')"
	fi
}

test_ipv6_encrypt_flow() {
	local pid rc marker="tcseg-v6-marker-$RANDOM$RANDOM" flow sport cap f
	capture $NA nla "$DIR/link6.pcap"
	capture $NA va1 "$DIR/va1-6.pcap"
	capture $NB vb1 "$DIR/vb1-6.pcap"
	sleep 1
	run_client $B1_6 $ENC6_PORT $marker $ENC6_SPORT
	sleep 1.5
	flow=$(client_flow "$DIR/a.log" "[$A1_6]:" "->[$B1_6]:$ENC6_PORT")
	sport=${flow#\[$A1_6\]:}
	sport=${sport%%-*}
	cap=$(jsel "$DIR/mon-a.json" "j.get('type')=='capture' and j.get('event')=='connect' and j.get('tgid')==$pid")
	if [ -n "$flow" ] && [ -n "$cap" ] &&
	   grep -qF "\"flow\":\"$flow\"" <<<"$cap" &&
	   grep -q '"held":true' <<<"$cap" && grep -q '"rule":1' <<<"$cap" &&
	   grep -qF "socket taken with pidfd_getfd role=client flow=$flow tgid=$pid" "$DIR/a.log"; then
		t_pass daemon6_ipv6_connect_captured_held_and_taken
	else
		t_fail daemon6_ipv6_connect_captured_held_and_taken "pid $pid flow '$flow': $(grep -E 'capture|socket' "$DIR/mon-a.json" | tail -n 2 | tr '\n' ' ') $(grep -E 'capture|refused|invalid' "$DIR/a.log" | tail -n 2 | tr '\n' ' ')"
		return
	fi
	tn_server_end_keys daemon6_ipv6 "$flow"
	ends_done "$flow" $rc daemon6_ipv6
	for f in ${TPIDS[@]: -3}; do kill -INT $f 2>/dev/null; done
	sleep 0.5
	# no payload byte in clear anywhere; the flow itself was on the wire
	# (its SYN: TCP flags at ip6[53], no extension header)
	tn_wire_check daemon6_ipv6 "$marker" $ENC6_PORT \
		"ip6 and tcp port $sport and ip6[53] & 2 != 0" link6 va1-6 vb1-6
}

test_dual_stack_listener_ipv4_client() {
	local pid rc marker="tcseg-dual-marker-$RANDOM$RANDOM" flow
	run_client $B1 $DUAL_PORT $marker
	sleep 1.5
	flow=$(client_flow "$DIR/a.log" "$A1:" "->$B1:$DUAL_PORT")
	# the accepted socket is AF_INET6 with ::ffff:a.b.c.d addresses: an
	# IPv4 flow for the capture (matched to the IPv4 encrypt rule), the
	# join and the hand-off
	if [ -n "$flow" ] && wait_log "$DIR/b.log" "capture accept flow=$flow " -F &&
	   grep -F "capture accept flow=$flow " "$DIR/b.log" | grep -q "encrypt=1" &&
	   ! grep -q "::ffff:" "$DIR/a.log" "$DIR/b.log"; then
		t_pass daemon6_dual_stack_listener_ipv4_client_is_ipv4_flow
	else
		t_fail daemon6_dual_stack_listener_ipv4_client_is_ipv4_flow "flow '$flow': $(grep -E "$DUAL_PORT|ffff|refused|kprobe" "$DIR/b.log" | tail -n 4 | tr '\n' ' ')"
		return
	fi
	# with kTLS the client waits for the server end: taken from accept()
	[ "$KTLS" = 1 ] && tn_server_end_keys daemon6_dual_stack "$flow"
	ends_done "$flow" $rc daemon6_dual_stack
}

test_ipv6_allow_flow_not_held() {
	local pid rc seen=
	run_client $B1_6 $ALLOW6_PORT allow6 $ALLOW6_SPORT
	# an allow flow produces no capture record (docs/CAPTURE.md); one
	# would reach the monitor within the daemon's 100 ms tick
	sleep 0.3
	seen=$(jsel "$DIR/mon-a.json" "j.get('type')=='capture' and j.get('tgid')==$pid")
	if [ $rc -eq 0 ] && [ -z "$seen" ] &&
	   ! grep -q "role=client .*tgid=$pid " "$DIR/a.log"; then
		t_pass daemon6_ipv6_allow_flow_not_captured_not_held
	else
		t_fail daemon6_ipv6_allow_flow_not_captured_not_held "rc $rc pid $pid: $(grep -F "$ALLOW6_PORT" "$DIR/mon-a.json" | tail -n 3 | tr '\n' ' ')"
	fi
}

test_cap_pods_both_families() {
	local pa=$DIR/bpf-a/tcseg/tcseg_cap_pods pb=$DIR/bpf-b/tcseg/tcseg_cap_pods
	if cap_pods_has $pa $A1 && cap_pods_has $pa $A1_6 &&
	   ! cap_pods_has $pa $B1_6 && cap_pods_has $pb $B1_6 &&
	   ! cap_pods_has $pb $A1_6; then
		t_pass daemon6_cap_pods_hold_both_families_of_local_pods
	else
		t_fail daemon6_cap_pods_hold_both_families_of_local_pods "$(bpftool map dump pinned $pa | head -n 8 | tr '\n' ' ')"
	fi
}

tn_begin daemon6
test_cap_pods_both_families
test_ipv6_encrypt_flow
test_dual_stack_listener_ipv4_client
test_ipv6_allow_flow_not_held
# an IPv6 client held when its daemon dies: released by the next one
tn_kill9_held daemon6_ipv6 $B1_6 $ENC6_PORT $KILL6_SPORT
t_done
