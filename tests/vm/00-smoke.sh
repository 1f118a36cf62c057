#!/bin/bash
# VM smoke test: the guest is what the other tests/vm/ tests rely on.
# Debian 6.1 kernel, modprobe and kernel module autoload, kTLS with real
# records (TLS 1.2 AES-GCM-128 and TLS 1.3 ChaCha20-Poly1305, TX on one
# end, RX on the other), bpffs, cgroup2, tracefs with a working kprobe,
# BTF, the project and build dirs visible and writable, loopback up, and
# the netns/veth/bridge/clsact/tcpdump setup the data-plane tests use.
# Outside the VM it re-runs itself in one.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/testlib.sh"

if [ "${TCSEG_IN_VM:-0}" != 1 ]; then
	exec "$TCSEG_ROOT/tools/vm/run" -- "$here/$(basename "$0")"
fi
cd "$TCSEG_ROOT" || exit 1

fstype() { awk -v m="$1" '$2 == m { t = $3 } END { print t }' /proc/mounts; }

check_kernel() {
	local r v
	r=$(uname -r) v=$(cat /proc/version)
	if [[ $r == 6.1.*-amd64 && $v == *Debian* ]]; then
		t_pass "vm-smoke kernel is Debian 6.1 ($r)"
	else
		t_fail "vm-smoke kernel is Debian 6.1" "uname -r '$r', /proc/version '$v'"
	fi
}

check_mount() {	# NAME PATH FSTYPE
	local t
	t=$(fstype "$2")
	if [ "$t" = "$3" ]; then
		t_pass "vm-smoke $1 mounted at $2"
	else
		t_fail "vm-smoke $1 mounted at $2" "file system type there is '${t:-none}', want $3"
	fi
}

check_modprobe() {
	local out
	if out=$(modprobe tls 2>&1) && grep -q '^tls ' /proc/modules; then
		t_pass "vm-smoke modprobe tls"
	else
		t_fail "vm-smoke modprobe tls" "$out; /proc/sys/kernel/modprobe=$(cat /proc/sys/kernel/modprobe)"
	fi
}

# TX on the client, RX on the server with the same key: "hello" only comes
# back if the kernel encrypted it into records and decrypted them again.
# The crypto modules (gcm, aesni, chacha20poly1305) are not loaded before:
# the kernel requests them itself through /proc/sys/kernel/modprobe.
# One python3 for both ciphers (each start costs seconds under TCG).
check_ktls() {
	local out name line
	out=$(python3 - 2>&1 <<'EOF'
import os, socket, struct
SOL_TLS, TLS_TX, TLS_RX, TCP_ULP = 282, 1, 2, 31
CASES = {
	"tls12-aes-gcm-128": lambda: struct.pack("<HH8s16s4s8s", 0x0303, 51,
		os.urandom(8), os.urandom(16), os.urandom(4), bytes(8)),
	"tls13-chacha20-poly1305": lambda: struct.pack("<HH12s32s8s", 0x0304,
		54, os.urandom(12), os.urandom(32), bytes(8)),
}
def round_trip(info):
	ls = socket.socket()
	ls.bind(("127.0.0.1", 0))
	ls.listen(1)
	cli = socket.create_connection(ls.getsockname(), timeout=10)
	srv, _ = ls.accept()
	srv.settimeout(10)
	for s, d in ((cli, TLS_TX), (srv, TLS_RX)):
		s.setsockopt(socket.SOL_TCP, TCP_ULP, b"tls")
		s.setsockopt(SOL_TLS, d, info)
	cli.sendall(b"hello")
	got = srv.recv(100)
	if got != b"hello":
		raise Exception("got %r back, want b'hello'" % got)
for name, info in CASES.items():
	try:
		round_trip(info())
		print("ok", name, flush=True)
	except Exception as e:
		print("fail", name, repr(e), flush=True)
EOF
	)
	for name in tls12-aes-gcm-128 tls13-chacha20-poly1305; do
		line=$(grep -E "^(ok|fail) $name( |$)" <<< "$out")
		if [ "$line" = "ok $name" ]; then
			t_pass "vm-smoke ktls $name record round trip"
		else
			t_fail "vm-smoke ktls $name record round trip" \
				"${line:-$(tail -n 3 <<< "$out" | tr '\n' ' ')}"
		fi
	done
}

check_kprobe() {
	local ev=/sys/kernel/tracing/kprobe_events out
	if [ ! -e $ev ]; then
		t_fail "vm-smoke kprobes" "$ev missing"
		return
	fi
	if out=$(echo 'p:tcseg_smoke tcp_v4_connect' 2>&1 >> $ev) &&
		[ -d /sys/kernel/tracing/events/kprobes/tcseg_smoke ]; then
		t_pass "vm-smoke kprobes (kprobe_events takes a probe)"
	else
		t_fail "vm-smoke kprobes" "adding p:tcseg_smoke tcp_v4_connect: $out"
	fi
	echo '-:tcseg_smoke' >> $ev 2>/dev/null
}

check_dirs() {
	local f
	if [ -f "$TCSEG_ROOT/Makefile" ] && [ -d "$TCSEG_BUILD" ]; then
		t_pass "vm-smoke project $TCSEG_ROOT and build dir $TCSEG_BUILD visible"
	else
		t_fail "vm-smoke project and build dir visible" \
			"$TCSEG_ROOT/Makefile or $TCSEG_BUILD missing in the guest"
	fi
	for f in "$TCSEG_BUILD/.vm-smoke" /tmp/.vm-smoke /etc/netns/.vm-smoke; do
		mkdir -p "$(dirname "$f")" && echo x > "$f" && rm -f "$f" ||
			{ t_fail "vm-smoke writable file system" "cannot write $f"; return; }
	done
	t_pass "vm-smoke build dir, /tmp and /etc writable"
}

check_loopback() {
	if ip -o link show lo | grep -q '[<,]UP[,>]'; then
		t_pass "vm-smoke loopback up"
	else
		t_fail "vm-smoke loopback up" "$(ip -o link show lo)"
	fi
}

# Two netns joined by a veth, a bridge, clsact on the veth, and tcpdump in
# one netns capturing a TCP connection made from the other.
NA=tcseg-smoke-a NB=tcseg-smoke-b
net_cleanup() {
	ip netns del $NA 2>/dev/null
	ip netns del $NB 2>/dev/null
	ip link del tcseg-smoke-br 2>/dev/null
}

check_netns() {
	local pcap=/tmp/tcseg-smoke.pcap n tdpid
	trap net_cleanup EXIT
	t_check "vm-smoke ip netns add + exec" sh -c \
		"ip netns add $NA && ip netns add $NB && ip netns exec $NA ip link show lo"
	t_check "vm-smoke veth between two netns" sh -c "
		ip link add sa type veth peer name sb &&
		ip link set sa netns $NA && ip link set sb netns $NB &&
		ip -n $NA addr add 10.98.0.1/24 dev sa && ip -n $NA link set sa up &&
		ip -n $NB addr add 10.98.0.2/24 dev sb && ip -n $NB link set sb up &&
		ip -n $NB link set lo up"
	t_check "vm-smoke bridge" sh -c \
		"ip link add tcseg-smoke-br type bridge && ip link set tcseg-smoke-br up"
	t_check "vm-smoke tc clsact on a veth" sh -c \
		"tc -n $NA qdisc add dev sa clsact && tc -n $NA qdisc show dev sa | grep -q clsact"

	ip netns exec $NB tcpdump -Z root -U -n -i sb -c 1 -w $pcap "tcp dst port 7 and tcp[tcpflags] & tcp-syn != 0" 2>/tmp/tcpdump.err &
	tdpid=$!
	for n in $(seq 50); do
		grep -q listening /tmp/tcpdump.err && break
		sleep 0.1
	done
	# Nothing listens on port 7: the SYN is answered with a RST.
	ip netns exec $NA timeout 10 bash -c 'exec 3<> /dev/tcp/10.98.0.2/7' 2>/dev/null
	timeout 10 tail --pid=$tdpid -f /dev/null
	kill $tdpid 2>/dev/null
	wait $tdpid 2>/dev/null
	n=$(tcpdump -n -r $pcap 2>/dev/null | grep -c '10.98.0.1.* > 10.98.0.2.7: Flags \[S\]')
	if [ "$n" -ge 1 ]; then
		t_pass "vm-smoke tcpdump in a netns sees a SYN over the veth"
	else
		t_fail "vm-smoke tcpdump in a netns sees a SYN over the veth" \
			"$(tail -n 2 /tmp/tcpdump.err | tr '\n' ' ') pcap: $(tcpdump -n -r $pcap 2>&1 | head -n 3 | tr '\n' ' ')"
	fi
	rm -f $pcap /tmp/tcpdump.err
}

check_kernel
check_loopback
check_ktls
check_modprobe
check_mount bpffs /sys/fs/bpf bpf
check_mount cgroup2 /sys/fs/cgroup cgroup2
check_mount tracefs /sys/kernel/tracing tracefs
check_kprobe
if [ -r /sys/kernel/btf/vmlinux ]; then
	t_pass "vm-smoke kernel BTF at /sys/kernel/btf/vmlinux"
else
	t_fail "vm-smoke kernel BTF" "/sys/kernel/btf/vmlinux missing"
fi
check_dirs
check_netns
t_done
