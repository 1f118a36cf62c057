#!/bin/bash
# tcsegd on the host kernel (root + BPF): the two-node netns test
# (netns-tests/test_daemon.sh: capture, hold, pidfd_getfd, key agreement,
# kTLS missing -> fail closed, kill -9/restart, SIGHUP, tcctl, metrics,
# TLSHub), netns-tests/test_daemon6.sh (IPv6 and dual-stack pods),
# netns-tests/test_daemon_hostile.sh (hostile pods), and the
# daemon's refusals that need no topology.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/testlib.sh

t_need_root daemon-suite || exit 0
D=$TCSEG_BUILD/tcsegd
if [ ! -x "$D" ]; then
	t_fail daemon_build "$D missing (make all)"
	exit 1
fi

tmp=$(mktemp -d /tmp/tcseg-50.XXXXXX)
trap 'umount "$tmp/bpf" "$tmp/bpfl" "$tmp/bpff" 2>/dev/null; rm -rf "$tmp"' EXIT
umask 022

# A bad configuration names the file and line, and the daemon exits.
printf 'mode = openssl\nhold_timeout_ms = soon\n' >"$tmp/bad.conf"
out=$("$D" -f -c "$tmp/bad.conf" 2>&1)
rc=$?
if [ $rc -ne 0 ] && grep -q "bad.conf:2: hold_timeout_ms" <<<"$out"; then
	t_pass daemon_bad_config_names_file_and_line
else
	t_fail daemon_bad_config_names_file_and_line "rc $rc: $out"
fi
# A group-writable configuration is refused (seed 000 §8.3).
printf 'mode = openssl\n' >"$tmp/perm.conf"
chmod 664 "$tmp/perm.conf"
out=$("$D" -f -c "$tmp/perm.conf" 2>&1)
rc=$?
if [ $rc -ne 0 ] && grep -q "perm.conf" <<<"$out"; then
	t_pass daemon_refuses_writable_config
else
	t_fail daemon_refuses_writable_config "rc $rc: $out"
fi
out=$("$D" -C nonsense 2>&1)
[ $? -eq 2 ] && grep -q "not auto, tracepoint or kprobe" <<<"$out" &&
	t_pass daemon_bad_capture_variant_refused ||
	t_fail daemon_bad_capture_variant_refused "$out"

# The kprobe capture on a kernel without kprobes: a clear error, exit 1.
if ! grep -q "kprobe" /sys/kernel/debug/tracing/available_events 2>/dev/null &&
   [ ! -e /sys/kernel/debug/kprobes ]; then
	mkdir -p "$tmp/bpf" && mount -t bpf bpf "$tmp/bpf"
	cat >"$tmp/kp.conf" <<EOC
mode = openssl
node_name = node-a
pod_node_config_path = $TCSEG_ROOT/config/pod_node_mapping.conf
pin_dir = $tmp/bpf/tcseg
control_socket = $tmp/d.sock
metrics_listen = off
EOC
	out=$(timeout 20 "$D" -f -C kprobe -c "$tmp/kp.conf" 2>&1)
	rc=$?
	if [ $rc -eq 1 ] && grep -q "kprobe capture does not" <<<"$out"; then
		t_pass daemon_kprobe_capture_refused_clearly_here
	else
		t_fail daemon_kprobe_capture_refused_clearly_here "rc $rc: $(echo "$out" | tail -n 2)"
	fi
fi

# attach_pattern: a veth created after the start is attached at once,
# from the kernel's rtnetlink notification (not the 2 s rescan)
ns=tcseg-50-link-$$
if ip netns add $ns; then
	mkdir -p "$tmp/bpfl" && mount -t bpf bpf "$tmp/bpfl"
	"$TCSEG_ROOT/tools/gen-certs.sh" "$tmp/certs" node-a >"$tmp/certs.log" 2>&1
	cat >"$tmp/link.conf" <<EOC
mode = openssl
node_name = node-a
key_service_listen = 127.0.0.1:7448
cert_file = $tmp/certs/node-a.pem
key_file = $tmp/certs/node-a.key
ca_file = $tmp/certs/ca.pem
kp_plugin_dir = $TCSEG_BUILD
pod_node_config_path = $TCSEG_ROOT/config/pod_node_mapping.conf
pin_dir = $tmp/bpfl/tcseg
control_socket = $tmp/l.sock
metrics_listen = off
attach_pattern = lw*
EOC
	ip -n $ns link set lo up
	# a tcctl writing the pin dir: tcsegd waits for its lock to load
	mkdir -p "$tmp/bpfl/tcseg"
	flock -o -x "$tmp/bpfl/tcseg" sleep 2 &
	fpid=$!
	sleep 0.2
	ip netns exec $ns "$D" -f -c "$tmp/link.conf" >"$tmp/link.log" 2>&1 &
	dpid=$!
	sleep 1
	early=$(grep -c "data plane loaded" "$tmp/link.log")
	wait $fpid
	for i in $(seq 200); do
		grep -q " daemon ready " "$tmp/link.log" && break
		sleep 0.1
	done
	if [ "$early" = 0 ] && grep -q "data plane loaded" "$tmp/link.log"; then
		t_pass daemon_load_waits_for_tcctl_writer_lock
	else
		t_fail daemon_load_waits_for_tcctl_writer_lock "loaded while locked: $early; $(grep -E 'data plane|lock|error' "$tmp/link.log" | tail -n 2 | tr '\n' ' ')"
	fi
	ip -n $ns link add lw0 type veth peer name pw0
	ip -n $ns link add other0 type veth peer name otherpeer0
	for i in $(seq 15); do
		grep -q "attached dev=lw0 " "$tmp/link.log" && break
		sleep 0.1
	done
	if grep -q "attached dev=lw0 .*via=rtnetlink" "$tmp/link.log" &&
	   ! grep -q "attached dev=\(other0\|pw0\|otherpeer0\) " "$tmp/link.log"; then
		t_pass daemon_attach_pattern_new_link_via_rtnetlink
	else
		t_fail daemon_attach_pattern_new_link_via_rtnetlink "$(grep -E 'attach|error' "$tmp/link.log" | tail -n 3 | tr '\n' ' ')"
	fi
	kill $dpid 2>/dev/null
	wait $dpid 2>/dev/null
	ip netns del $ns
	umount "$tmp/bpfl" 2>/dev/null
else
	t_fail daemon_attach_pattern_new_link_via_rtnetlink "cannot create netns $ns"
fi

# fallback_mode with mode tlshub and no TLSHub module here: the daemon
# runs on the configured fallback; none = no TLS provider, no key service
# (encrypt flows fail closed; docs/CONFIG.md, docs/KEYS.md §6).
ns=tcseg-50-fb-$$
if ip netns add $ns; then
	[ -e "$tmp/certs/node-a.pem" ] ||
		"$TCSEG_ROOT/tools/gen-certs.sh" "$tmp/certs" node-a >"$tmp/certs.log" 2>&1
	mkdir -p "$tmp/bpff" && mount -t bpf bpf "$tmp/bpff"
	ip -n $ns link set lo up
	for fb in openssl boringssl none; do
		cat >"$tmp/fb.conf" <<EOC
mode = tlshub
fallback_mode = $fb
node_name = node-a
key_service_listen = 127.0.0.1:7449
cert_file = $tmp/certs/node-a.pem
key_file = $tmp/certs/node-a.key
ca_file = $tmp/certs/ca.pem
kp_plugin_dir = $TCSEG_BUILD
pod_node_config_path = $TCSEG_ROOT/config/pod_node_mapping.conf
pin_dir = $tmp/bpff/tcseg
control_socket = $tmp/fb.sock
metrics_listen = off
EOC
		ip netns exec $ns "$D" -f -c "$tmp/fb.conf" >"$tmp/fb-$fb.log" 2>&1 &
		dpid=$!
		for i in $(seq 100); do
			grep -q " daemon ready " "$tmp/fb-$fb.log" && break
			sleep 0.1
		done
		kill $dpid 2>/dev/null
		wait $dpid 2>/dev/null
		case $fb in
		none) want="mode=tlshub want=tlshub tls=none fallback=none port=0" ;;
		*) want="mode=$fb want=tlshub tls=$fb fallback=$fb port=7449" ;;
		esac
		if grep -q "key provider up $want" "$tmp/fb-$fb.log"; then
			t_pass "daemon_fallback_mode_$fb"
		else
			t_fail "daemon_fallback_mode_$fb" "want '$want': $(grep -E 'keyprov|error' "$tmp/fb-$fb.log" | tail -n 2 | tr '\n' ' ')"
		fi
	done
	ip netns del $ns
	umount "$tmp/bpff" 2>/dev/null
else
	t_fail daemon_fallback_mode "cannot create netns $ns"
fi

netns-tests/test_daemon.sh || T_FAILS=$((T_FAILS + 1))
# IPv6 and dual-stack pods: capture, join, hand-off (docs/CAPTURE.md)
netns-tests/test_daemon6.sh || T_FAILS=$((T_FAILS + 1))
# hostile pods against the daemon (forged SYN, key service flood, control
# clients that never read): docs/SECURITY.md
netns-tests/test_daemon_hostile.sh || T_FAILS=$((T_FAILS + 1))
t_done
