#!/bin/bash
# The daemon's kernel interfaces on the real kernel (docs/DAEMON.md
# §Kernel interfaces): where rtnetlink's neighbour and bridge FDB tables
# put a pod (bridged, routed, IPv6; not an incomplete entry, not the
# bridge's own address), and which socket sock_diag finds for a tuple
# inside a pod's network namespace (established, still in the accept
# queue, v4-mapped on a dual-stack socket, IPv6, the cookie, another
# namespace). Needs root; build/tests/nl_probe drives ctl/daemon/nl_neigh.c
# and ctl/daemon/sock_diag.c.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/testlib.sh

t_need_root netlink-suite || exit 0
P=$TCSEG_BUILD/tests/nl_probe
if [ ! -x "$P" ]; then
	t_fail netlink_build "$P missing (make all)"
	exit 1
fi
H=tcseg57-h-$$ A=tcseg57-a-$$ B=tcseg57-b-$$
trap 'ip netns del $H 2>/dev/null; ip netns del $A 2>/dev/null; ip netns del $B 2>/dev/null' EXIT
ip netns add $H && ip netns add $A && ip netns add $B || {
	t_fail netlink_setup "cannot create namespaces"
	exit 1
}
hx() { ip netns exec $H "$@"; }
ifx() { hx cat /sys/class/net/$1/ifindex; }
# host: bridge br0 with port pa (pod a) and a spare port px, routed veth rb (pod b)
hx ip link set lo up
hx ip link add br0 type bridge
hx ip link add pa type veth peer name eth0 netns $A
hx ip link add px type veth peer name pxc
hx ip link add rb type veth peer name eth0 netns $B
for d in pa px; do hx ip link set $d master br0; done
for d in br0 pa px pxc rb; do hx ip link set $d up; done
hx ip addr add 10.57.0.1/24 dev br0
hx ip -6 addr add fd57::1/64 dev br0 nodad
hx ip addr add 10.57.9.1/32 dev rb
hx ip route add 10.57.1.2/32 dev rb
ip -n $A link set lo up
ip -n $A link set eth0 up
ip -n $A addr add 10.57.0.2/24 dev eth0
ip -n $A -6 addr add fd57::2/64 dev eth0 nodad
ip -n $B link set lo up
ip -n $B link set eth0 up
ip -n $B addr add 10.57.1.2/32 dev eth0
ip -n $B route add 10.57.9.1/32 dev eth0
ip -n $B route add default via 10.57.9.1 dev eth0
# poke ADDR: a datagram from the host to ADDR makes the kernel resolve it
# (ARP or NDP; the answer teaches the bridge the pod's port); waits up to
# 2 s for an entry in a state other than INCOMPLETE
poke() {
	local i
	hx /usr/bin/python3 -c 'import socket, sys
a = sys.argv[1]
s = socket.socket(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b"x", (a, 9))' "$1"
	for i in $(seq 20); do
		hx ip neigh show "$1" | grep -qv INCOMPLETE && hx ip neigh show "$1" | grep -q . && return 0
		sleep 0.1
	done
	return 1
}
# real traffic fills the host's tables (ARP, NDP, FDB)
poke 10.57.0.2 && poke fd57::2 && poke 10.57.1.2 ||
	t_fail netlink_setup "no neighbour entries: $(hx ip neigh show | tr '\n' ' ')"

want() {	# want NAME GOT EXPECTED
	[ "$2" = "$3" ] && t_pass "$1" || t_fail "$1" "got '$2', want '$3'"
}
want nl_bridged_pod_is_its_bridge_port "$(hx "$P" neigh 10.57.0.2)" "$(ifx pa)"
want nl_routed_pod_is_its_veth "$(hx "$P" neigh 10.57.1.2)" "$(ifx rb)"
want nl_ipv6_neighbour_is_its_bridge_port "$(hx "$P" neigh fd57::2)" "$(ifx pa)"
want nl_no_entry_unknown "$(hx "$P" neigh 10.57.0.77)" 0
# nobody answers: an incomplete entry says nothing (the MAC is unknown)
poke 10.57.0.9
st=$(hx ip neigh show 10.57.0.9)
if grep -q "INCOMPLETE\|FAILED" <<<"$st"; then
	want nl_incomplete_entry_unknown "$(hx "$P" neigh 10.57.0.9)" 0
else
	t_fail nl_incomplete_entry_unknown "no incomplete entry: '$st'"
fi
# an entry with the MAC of the bridge's own port: its FDB entry is the
# bridge's own (permanent), never a pod's port
hx ip neigh replace 10.57.0.8 lladdr "$(hx cat /sys/class/net/px/address)" dev br0 nud reachable
want nl_bridge_own_address_is_no_port "$(hx "$P" neigh 10.57.0.8)" 0
# a MAC no port has learned: the bridge cannot say
hx ip neigh replace 10.57.0.7 lladdr 02:57:00:00:00:07 dev br0 nud reachable
want nl_mac_not_in_fdb_unknown "$(hx "$P" neigh 10.57.0.7)" 0
# a static FDB entry counts, as brforward listed it
hx bridge fdb add 02:57:00:00:00:07 dev px master static
want nl_static_fdb_entry_is_a_port "$(hx "$P" neigh 10.57.0.7)" "$(ifx px)"

# sockets in pod a's namespace, asked from the host's
out=$(ip netns exec $A /usr/bin/python3 - "$P" "/proc/$$/ns/net" <<'EOPY'
import os, socket, subprocess, sys
probe, hostns = sys.argv[1], sys.argv[2]
ns = "/proc/%d/ns/net" % os.getpid()
def ask(*a, pre=()):
    return subprocess.run(list(pre) + [probe, "sock"] + [str(x) for x in a],
                          capture_output=True, text=True).stdout.strip()
def ino(s):
    return os.stat("/proc/self/fd/%d" % s.fileno()).st_ino
srv = socket.socket(socket.AF_INET6)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("::", 7057))
srv.listen(8)
c = socket.create_connection(("10.57.0.2", 7057))
cp = c.getsockname()[1]
# the server's end: local 10.57.0.2:7057, remote 10.57.0.2:cp
print("pending", ask(ns, "10.57.0.2", 7057, "10.57.0.2", cp))
a, _ = srv.accept()
print("mapped", ask(ns, "10.57.0.2", 7057, "10.57.0.2", cp), ino(a))
print("client", ask(ns, "10.57.0.2", cp, "10.57.0.2", 7057), ino(c))
ck = int.from_bytes(c.getsockopt(socket.SOL_SOCKET, 57, 8), "little")
print("cookie", ask(ns, "10.57.0.2", cp, "10.57.0.2", 7057, ck), ino(c))
print("badcookie", ask(ns, "10.57.0.2", cp, "10.57.0.2", 7057, ck ^ 1))
print("otherport", ask(ns, "10.57.0.2", cp, "10.57.0.2", 7058))
print("otherns", ask(hostns, "10.57.0.2", cp, "10.57.0.2", 7057))
# without CAP_SYS_ADMIN (config/tcsegd.service) no other namespace can be
# entered: tcsegd then reads /proc/PID/net/tcp (ctl/daemon/tcsegd_sock.c)
nocap = ("setpriv", "--bounding-set=-sys_admin", "--")
print("nocap", ask(hostns, "10.57.0.2", cp, "10.57.0.2", 7057, pre=nocap))
print("nocapown", ask(ns, "10.57.0.2", cp, "10.57.0.2", 7057, pre=nocap),
      ino(c))
c6 = socket.create_connection(("fd57::2", 7057))
a6, _ = srv.accept()
p6 = c6.getsockname()[1]
print("v6", ask(ns, "fd57::2", 7057, "fd57::2", p6), ino(a6))
print("v6asv4", ask(ns, "0.0.0.0", 7057, "0.0.0.0", p6))
EOPY
)
line() { grep "^$1 " <<<"$out" | cut -d' ' -f2-; }
found() {	# found NAME KEY: the answer is "found" with the inode python saw
	local l
	l=$(line "$2")
	want "$1" "${l% *}" "found ${l##* }"
}
want sock_diag_in_accept_queue_is_pending "$(line pending)" "pending"
found sock_diag_dual_stack_ipv4_flow_found mapped
found sock_diag_client_found_with_its_inode client
found sock_diag_right_cookie_found cookie
want sock_diag_other_cookie_absent "$(line badcookie)" "absent"
want sock_diag_other_tuple_absent "$(line otherport)" "absent"
want sock_diag_other_namespace_absent "$(line otherns)" "absent"
want sock_diag_other_namespace_needs_cap_sys_admin "$(line nocap)" "error Operation not permitted"
found sock_diag_own_namespace_without_cap_sys_admin nocapown
found sock_diag_ipv6_flow_found v6
want sock_diag_ipv4_question_not_ipv6_flow "$(line v6asv4)" "absent"
t_done
