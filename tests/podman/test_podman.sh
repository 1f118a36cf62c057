#!/bin/bash
# Real containers through tcseg-cni (docs/CNI.md): podman with runc and
# the CNI backend, a conflist bridge + host-local + tcseg-cni, containers
# from a busybox rootfs built here. Checks: ADD attached tcseg to each
# container's host veth with its address bound; default deny blocks A ->
# B and a tcctl rule opens it (real HTTP, busybox httpd and nc); a
# spoofed source sent from a container's netns is dropped; CHECK passes, and fails once
# the veth is detached by hand; podman rm -f leaves no attachment,
# binding, session or record behind. Nothing under /etc changes: a
# private containers.conf (CONTAINERS_CONF), conflist dir, plugin dir,
# IPAM dir and a pin dir on a private bpffs, all removed at the end.
set -uo pipefail
. "$(dirname "$0")/../lib/testlib.sh"

t_need_root podman || exit 0
for b in podman runc /usr/lib/cni/bridge /usr/lib/cni/host-local \
	 /bin/busybox; do
	if ! command -v "$b" >/dev/null; then
		t_fail podman_deps "$b missing (make deps)"
		exit 1
	fi
done

ID=$$
NET=tcsegt$ID
BR=cni-ts$((ID % 100000))
SUB=10.213.$((ID % 250)).
TCCTL=${TCSEG_CNI_TCCTL:-$TCSEG_BUILD/tcctl}
D=$(mktemp -d /tmp/tcseg-podman.XXXXXX)
PIN=$D/bpf/tcseg
CTRS=()
DPID=
TCSEGD=$TCSEG_BUILD/tcsegd
export CONTAINERS_CONF=$D/containers.conf

pm() {
	podman --network-backend cni --runtime runc --cgroup-manager cgroupfs \
		"$@"
}
tc_() { "$TCCTL" --pin-dir "$PIN" "$@"; }

cleanup() {
	local c
	[ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	for c in "${CTRS[@]}"; do
		pm rm -f -t 0 "$c" >/dev/null 2>&1
	done
	ip link del "$BR" 2>/dev/null
	umount "$D/bpf" 2>/dev/null
	# conmon's "podman container cleanup" may still take cni.lock
	for _ in $(seq 30); do
		rm -rf "$D" 2>/dev/null && break
		sleep 0.1
	done
}
trap cleanup EXIT

setup() {
	local a
	mkdir -p "$D/bpf" "$D/plug" "$D/net" "$D/rootfs/bin" "$D/state"
	mount -t bpf bpf "$D/bpf" || return 1
	cp /bin/busybox "$D/rootfs/bin/" || return 1
	for a in $("$D/rootfs/bin/busybox" --list); do
		[ "$a" = busybox ] || ln -s busybox "$D/rootfs/bin/$a"
	done
	mkdir -p "$D/rootfs/proc" "$D/rootfs/sys" "$D/rootfs/dev" \
		 "$D/rootfs/etc" "$D/rootfs/tmp" "$D/rootfs/www"
	echo tcseg-ok >"$D/rootfs/www/index.html"
	ln -s "$TCSEG_BUILD/tcseg-cni" "$D/plug/tcseg-cni"
	cat >"$D/containers.conf" <<-EOC
	[network]
	network_backend = "cni"
	cni_plugin_dirs = ["$D/plug", "/usr/lib/cni"]
	network_config_dir = "$D/net"
	EOC
	cat >"$D/net/$NET.conflist" <<-EOC
	{"cniVersion": "0.4.0", "name": "$NET", "plugins": [
	 {"type": "bridge", "bridge": "$BR", "isGateway": true,
	  "ipMasq": false, "hairpinMode": false,
	  "ipam": {"type": "host-local", "dataDir": "$D/ipam",
	           "ranges": [[{"subnet": "${SUB}0/24",
	                        "gateway": "${SUB}1"}]]}},
	 {"type": "tcseg-cni", "default": "deny", "tcctl": "$TCCTL",
	  "pin_dir": "$PIN", "state_dir": "$D/state",
	  "socket": "$D/tcsegd.sock"}]}
	EOC
}

# run NAME: a container serving /www on 8080; its IP in IP_<NAME>
run() {
	local n=tcsegt-$1-$ID
	pm run -d --name "$n" --ulimit nofile=1024:1024 \
		--ulimit nproc=1024:1024 --network "$NET" --rootfs "$D/rootfs" \
		/bin/httpd -f -p 8080 -h /www || return 1
	CTRS+=("$n")
	printf -v "IP_$1" '%s' "$(pm inspect -f \
		'{{(index .NetworkSettings.Networks "'"$NET"'").IPAddress}}' "$n")"
}

cid() { pm inspect -f '{{.Id}}' "tcsegt-$1-$ID"; }
# the host veth tcseg-cni recorded for container $1
host_if() { json_field "$D/state/$(cid "$1")-eth0.json" host_if; }
json_field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$@"; }
# fetch A IP: container A asks IP:8080 for / (busybox nc; its static
# wget crashes without NSS), prints the page ("" if no answer)
fetch() {
	pm exec "tcsegt-$1-$ID" sh -c 'printf "GET / HTTP/1.0\r\n\r\n" |
		nc -w 2 "$0" 8080' "$2" 2>/dev/null | tail -n 1
}

# the list entry of veth $1 as "default addrs" ("" if not attached)
attached() {
	tc_ -j list | python3 -c '
import json, sys
for d in json.load(sys.stdin):
    if d["dev"] == sys.argv[1]:
        print(d["default"], ",".join(a.split("/")[0] for a in d["addrs"]))' "$1"
}

test_add_attaches_and_binds() {
	local v a b peer
	v=$(host_if a) || { t_fail add_attaches_and_binds "no record"; return; }
	a=$(attached "$v")
	peer=$(pm exec "tcsegt-a-$ID" cat /sys/class/net/eth0/iflink)
	if [ "$a" = "deny $IP_a" ] && [ "$peer" = "$(cat "/sys/class/net/$v/ifindex")" ]; then
		t_pass add_attaches_and_binds
	else
		t_fail add_attaches_and_binds "veth $v (peer ifindex $peer): list '$a', want 'deny $IP_a'"
	fi
	b=$(attached "$(host_if b)")
	[ "$b" = "deny $IP_b" ] && t_pass add_second_pod ||
		t_fail add_second_pod "list '$b', want 'deny $IP_b'"
}

test_default_deny_then_rule() {
	if [ -n "$(fetch a "$IP_b")" ]; then
		t_fail default_deny_blocks "A fetched from B under default deny"
	else
		t_pass default_deny_blocks
	fi
	tc_ policy add id 1 from "$IP_a" to "$IP_b" proto tcp dport 8080 \
		action allow >/dev/null
	if [ "$(fetch a "$IP_b")" = tcseg-ok ]; then
		t_pass rule_opens_a_to_b
	else
		t_fail rule_opens_a_to_b "A -> B:8080 failed with the allow rule"
	fi
	[ -n "$(fetch b "$IP_a")" ] && t_fail rule_is_one_way "B fetched from A" ||
		t_pass rule_is_one_way
}

# CHECK with the prevResult podman would hand (bridge, veth, eth0)
check_cmd() {
	local v=$1 ip=$2 id=$3
	CNI_COMMAND=CHECK CNI_CONTAINERID=$id CNI_IFNAME=eth0 CNI_PATH=/usr/lib/cni \
	"$TCSEG_BUILD/tcseg-cni" <<-EOC
	{"cniVersion": "0.4.0", "name": "$NET", "type": "tcseg-cni",
	 "default": "deny", "tcctl": "$TCCTL", "pin_dir": "$PIN",
	 "state_dir": "$D/state", "prevResult": {"cniVersion": "0.4.0",
	 "interfaces": [{"name": "$BR"}, {"name": "$v"},
	                {"name": "eth0", "sandbox": "/x"}],
	 "ips": [{"version": "4", "interface": 2, "address": "$ip/24"}]}}
	EOC
}

test_check() {
	local v id out
	v=$(host_if b)
	id=$(cid b)
	out=$(check_cmd "$v" "$IP_b" "$id") && t_pass check_ok ||
		t_fail check_ok "$out"
	out=$(check_cmd "$v" "${SUB}250" "$id") &&
		t_fail check_sees_other_binding "CHECK passed with a wrong address" ||
		t_pass check_sees_other_binding
	tc_ detach "$v"
	out=$(check_cmd "$v" "$IP_b" "$id")
	if [ $? -ne 0 ] && echo "$out" | grep -q '"code":101'; then
		t_pass check_sees_detach
	else
		t_fail check_sees_detach "CHECK after detach: $out"
	fi
}

# stats_get PYEXPR: evaluate PYEXPR on `tcctl -j stats` as `s`
stats_get() {
	tc_ -j stats | python3 -c 'import json,sys; s=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"
}

# Container A sends UDP to B from a source it does not own (raw scapy in
# its netns) and from its own: the binding ADD made drops the first
# (drop reason spoofed), the rule lets the second through.
test_spoofed_source_dropped() {
	local ns sp0 sp1 hits
	ns=$(pm inspect -f '{{.NetworkSettings.SandboxKey}}' "tcsegt-a-$ID")
	tc_ policy add id 2 from 0.0.0.0/0 to "$IP_b" proto udp dport 9000 \
		action allow >/dev/null
	sp0=$(stats_get 's["drops"]["spoofed"]')
	nsenter --net="$ns" /usr/bin/python3 -c '
import sys
from scapy.all import IP, UDP, send, conf
conf.verb = 0
for src in (sys.argv[1], sys.argv[2]):
    send(IP(src=src, dst=sys.argv[3]) / UDP(sport=4444, dport=9000) / b"x", count=3)
' "${SUB}77" "$IP_a" "$IP_b" 2>/dev/null
	sp1=$(stats_get 's["drops"]["spoofed"]')
	hits=$(stats_get '[r["packets"] for r in s["rules"] if r["id"] == 2][0]')
	if [ $((sp1 - sp0)) -ge 3 ] && [ "$hits" -ge 3 ]; then
		t_pass spoofed_source_dropped
	else
		t_fail spoofed_source_dropped "spoofed drops $sp0 -> $sp1, rule hits $hits"
	fi
}

sessions_of() {
	tc_ -j sessions | python3 -c '
import json, sys
print(sum(1 for s in json.load(sys.stdin) if s["ifindex"] == int(sys.argv[1])))' "$1"
}

test_rm_cleans_up() {
	local v idx id left before
	v=$(host_if a)
	idx=$(cat "/sys/class/net/$v/ifindex")
	id=$(cid a)
	# an open connection: a session on A's veth
	pm exec -d "tcsegt-a-$ID" sh -c 'sleep 30 | nc "$0" 8080' "$IP_b" >/dev/null
	for _ in $(seq 20); do
		before=$(sessions_of "$idx")
		[ "$before" -gt 0 ] && break
		sleep 0.1
	done
	pm rm -f -t 0 "tcsegt-a-$ID" >/dev/null 2>&1
	left=$(attached "$v")
	[ -z "$left" ] && t_pass rm_detaches || t_fail rm_detaches "still listed: $left"
	left=$(sessions_of "$idx")
	[ "$before" -gt 0 ] && [ "$left" = 0 ] && t_pass rm_flushes_sessions ||
		t_fail rm_flushes_sessions "sessions of ifindex $idx: $before before, $left after"
	[ ! -e "$D/state/$id-eth0.json" ] && t_pass rm_removes_record ||
		t_fail rm_removes_record "$D/state/$id-eth0.json left"
	# DEL again (a runtime retrying) is a success
	CNI_COMMAND=DEL CNI_CONTAINERID=$id CNI_IFNAME=eth0 \
	"$TCSEG_BUILD/tcseg-cni" >/dev/null <<-EOC &&
	{"cniVersion": "0.4.0", "name": "$NET", "type": "tcseg-cni",
	 "tcctl": "$TCCTL", "pin_dir": "$PIN", "state_dir": "$D/state"}
	EOC
		t_pass del_twice_ok || t_fail del_twice_ok "second DEL failed"
}

# ---- pods by name (docs/POLICY.md §Pods) and tcsegd's registered pods

# tcsegd on the host: this pin dir, a private control socket, no
# attach of its own; started and restarted by the tests below
tcsegd_setup() {
	"$TCSEG_ROOT/tools/gen-certs.sh" "$D/certs" n1 >"$D/certs.log" 2>&1 ||
		return 1
	echo "node n1 127.0.0.1" >"$D/pods.conf"
	cat >"$D/tcsegd.conf" <<-EOC
	mode = openssl
	node_name = n1
	pod_node_config_path = $D/pods.conf
	key_service_listen = 127.0.0.1:$((20000 + ID % 20000))
	cert_file = $D/certs/n1.pem
	key_file = $D/certs/n1.key
	ca_file = $D/certs/ca.pem
	kp_plugin_dir = $TCSEG_BUILD
	pin_dir = $PIN
	control_socket = $D/tcsegd.sock
	metrics_listen = off
	log_level = debug
	EOC
	chmod 600 "$D/tcsegd.conf" "$D/pods.conf"
}

start_tcsegd() {
	local before i
	before=$(grep -c " daemon ready " "$D/tcsegd.log" 2>/dev/null)
	"$TCSEGD" -f -c "$D/tcsegd.conf" >>"$D/tcsegd.log" 2>&1 &
	DPID=$!
	for i in $(seq 600); do
		[ "$(grep -c " daemon ready " "$D/tcsegd.log")" -gt "${before:-0}" ] &&
			return 0
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.1
	done
	return 1
}

stop_tcsegd() {
	kill "$DPID" 2>/dev/null
	wait "$DPID" 2>/dev/null
	DPID=
}

pod() { echo "default/tcsegt-$1-$ID"; }
# "veth default addrs" of pod $1 in `tcctl -j pods` ("" if not there)
registered() {
	tc_ -j pods | python3 -c '
import json, sys
for p in json.load(sys.stdin):
    if p["pod"] == sys.argv[1]:
        print(p["veth"], p["default"], ",".join(p["addrs"]))' "$(pod "$1")"
}
# "ip ifindex" of pod $1 in tcsegd's own listing ("" if it does not know it)
daemon_knows() {
	"$TCCTL" --socket "$D/tcsegd.sock" -j pods daemon | python3 -c '
import json, sys
for p in json.load(sys.stdin):
    if p.get("registered") and p["pod"] == sys.argv[1]:
        print(p["ip"], p["ifindex"])' "$(pod "$1")"
}
# "from to resolved" of rule $1 in `tcctl -j policy list`
rule_of() {
	tc_ -j policy list | python3 -c '
import json, sys
for r in json.load(sys.stdin):
    if r["id"] == int(sys.argv[1]):
        print(r["from"], r["to"], r.get("resolved", "-"))' "$1"
}
ifindex_of() { cat "/sys/class/net/$(registered "$1" | cut -d' ' -f1)/ifindex"; }

test_pods_registered() {
	local v
	v=$(registered p)
	if [ "$v" = "$(host_if p) deny $IP_p" ]; then
		t_pass pods_registered_by_add
	else
		t_fail pods_registered_by_add "tcctl pods: '$v', want '$(host_if p) deny $IP_p'"
	fi
	v=$(daemon_knows p)
	if [ "$v" = "$IP_p $(ifindex_of p)" ]; then
		t_pass tcsegd_applies_registration
	else
		t_fail tcsegd_applies_registration "tcsegd lists '$v', want '$IP_p $(ifindex_of p)'"
	fi
}

test_rules_by_name() {
	tc_ policy add id 20 from pod "$(pod p)" to pod "$(pod q)" proto tcp \
		dport 8080 action allow >/dev/null
	tc_ policy add id 21 to pod "$(pod q)" proto tcp dport 8080 \
		action allow >/dev/null
	tc_ policy add id 22 from pod "$(pod r)" to pod "$(pod q)" \
		action deny >/dev/null
	[ "$(rule_of 20)" = "$IP_p $IP_q True" ] &&
		t_pass pod_rule_resolved || t_fail pod_rule_resolved "rule 20: $(rule_of 20)"
	[ "$(fetch p "$IP_q")" = tcseg-ok ] && t_pass pod_rule_allows ||
		t_fail pod_rule_allows "p -> q:8080 failed under rule 20"
	[ -z "$(fetch r "$IP_q")" ] && t_pass pod_rule_denies ||
		t_fail pod_rule_denies "r fetched from q despite rule 22"
	[ -z "$(fetch q "$IP_p")" ] && t_pass pod_rule_one_way ||
		t_fail pod_rule_one_way "q fetched from p"
	# port ranges (docs/POLICY.md §Port ranges): beat rule 22's deny
	# (a port) only when 8080 is in the range
	tc_ policy add id 24 from pod "$(pod r)" to pod "$(pod q)" proto tcp \
		dport 8081-8099 action allow >/dev/null
	[ -z "$(fetch r "$IP_q")" ] && t_pass port_range_excludes ||
		t_fail port_range_excludes "r fetched q:8080 under dport 8081-8099"
	tc_ policy del 24 && tc_ policy add id 24 from pod "$(pod r)" to pod \
		"$(pod q)" proto tcp dport 8000-8099 action allow >/dev/null
	[ "$(fetch r "$IP_q")" = tcseg-ok ] && t_pass port_range_allows ||
		t_fail port_range_allows "r -> q:8080 failed under dport 8000-8099"
	tc_ policy del 24
	# a pod that does not exist yet: the rule matches nothing until it does
	tc_ policy add id 23 from pod "$(pod s)" to pod "$(pod q)" proto tcp \
		dport 8080 action allow >/dev/null
	[ "$(rule_of 23)" = "none none False" ] && t_pass pod_rule_absent_pod ||
		t_fail pod_rule_absent_pod "rule 23 before s exists: $(rule_of 23)"
}

# p removed and re-created (a new address) while tcsegd is down: rule 20
# keeps its id and follows p; tcsegd, started again, knows the new p
test_recreate_and_restart() {
	local old=$IP_p before after
	before=$(tc_ -j policy list | python3 -c '
import json, sys; print(sorted(r["id"] for r in json.load(sys.stdin)))')
	stop_tcsegd
	pm rm -f -t 0 "tcsegt-p-$ID" >/dev/null 2>&1
	[ -z "$(registered p)" ] && [ "$(rule_of 20)" = "none none False" ] &&
		t_pass rm_unregisters_pod ||
		t_fail rm_unregisters_pod "after rm: '$(registered p)', rule 20 '$(rule_of 20)'"
	run s >>"$D/run.log" 2>&1
	run p >>"$D/run.log" 2>&1 || { t_fail recreate "podman run p again"; return; }
	if [ "$IP_p" = "$old" ]; then
		t_fail recreate_new_address "p got its old address $old again"
	fi
	[ "$(rule_of 20)" = "$IP_p $IP_q True" ] &&
		t_pass pod_rule_follows_recreate ||
		t_fail pod_rule_follows_recreate "rule 20: $(rule_of 20), p is $IP_p (was $old)"
	[ "$(fetch p "$IP_q")" = tcseg-ok ] && t_pass pod_rule_allows_after_recreate ||
		t_fail pod_rule_allows_after_recreate "p ($IP_p) -> q failed"
	[ "$(rule_of 23)" = "$IP_s $IP_q True" ] &&
		[ "$(fetch s "$IP_q")" = tcseg-ok ] && t_pass pod_rule_waits_for_pod ||
		t_fail pod_rule_waits_for_pod "rule 23 once s runs: $(rule_of 23)"
	start_tcsegd || { t_fail tcsegd_restart "$(tail -n 3 "$D/tcsegd.log")"; return; }
	after=$(tc_ -j policy list | python3 -c '
import json, sys; print(sorted(r["id"] for r in json.load(sys.stdin)))')
	if [ "$(daemon_knows p)" = "$IP_p $(ifindex_of p)" ] &&
	   [ -n "$(daemon_knows q)" ] && [ "$before" = "$after" ] &&
	   [ "$(attached "$(host_if q)")" = "deny $IP_q" ]; then
		t_pass tcsegd_restart_loses_nothing
	else
		t_fail tcsegd_restart_loses_nothing "tcsegd: p '$(daemon_knows p)' q '$(daemon_knows q)'; rules $before -> $after"
	fi
}

test_rm_leaves_nothing() {
	local v idx
	v=$(host_if q)
	idx=$(cat "/sys/class/net/$v/ifindex")
	pm rm -f -t 0 "tcsegt-q-$ID" >/dev/null 2>&1
	if [ -z "$(registered q)" ] && [ -z "$(attached "$v")" ] &&
	   [ "$(sessions_of "$idx")" = 0 ] && [ -z "$(daemon_knows q)" ] &&
	   [ "$(rule_of 20)" = "none none False" ]; then
		t_pass rm_leaves_no_pod_behind
	else
		t_fail rm_leaves_no_pod_behind "q: registered '$(registered q)', attached '$(attached "$v")', sessions $(sessions_of "$idx"), tcsegd '$(daemon_knows q)', rule 20 '$(rule_of 20)'"
	fi
}

if ! setup; then
	t_fail podman_setup "cannot set up $D"
	exit 1
fi
for c in a b; do
	if ! run $c >"$D/run.log" 2>&1; then
		t_fail podman_run "container $c: $(tail -n 2 "$D/run.log" | tr '\n' ' ')"
		exit 1
	fi
done
test_add_attaches_and_binds
test_default_deny_then_rule
test_spoofed_source_dropped
test_rm_cleans_up
test_check
if ! tcsegd_setup || ! start_tcsegd; then
	t_fail tcsegd_start "$(tail -n 3 "$D/tcsegd.log" 2>/dev/null)"
	t_done
	exit 1
fi
for c in p q r; do
	if ! run $c >>"$D/run.log" 2>&1; then
		t_fail podman_run "container $c: $(tail -n 2 "$D/run.log" | tr '\n' ' ')"
		exit 1
	fi
done
test_pods_registered
test_rules_by_name
test_recreate_and_restart
test_rm_leaves_nothing
t_done
