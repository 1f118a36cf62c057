#!/bin/bash
# valgrind (issue #6): tcsegd itself under memcheck. A single-node daemon
# in its own network namespace with a private bpffs (data plane and
# capture loaded, key provider up, metrics listener on) answers control
# requests - status, pods, provider get/set (also a refused mode), a
# monitor stream, hostile requests (binary, too long, unknown) - and the
# metrics endpoint, reloads on SIGHUP, then stops on SIGTERM. It must
# exit 0 with no invalid access, no use of uninitialised memory and no
# leak (--leak-check=full, --error-exitcode). Suppressions: only
# tests/valgrind/tcseg.supp (valgrind's bpf(2) wrapper inside libbpf, see
# its comment); nothing of tcseg's own code is hidden.
set -uo pipefail
. "$(dirname "$0")/../lib/testlib.sh"

t_need_root valgrind_tcsegd || exit 0
if ! command -v valgrind >/dev/null; then
	t_fail valgrind_tcsegd "valgrind not installed (make deps)"
	exit 1
fi
D=$TCSEG_BUILD/tcsegd
C=$TCSEG_BUILD/tcctl
for f in "$D" "$C"; do
	[ -x "$f" ] || { t_fail valgrind_tcsegd_build "$f missing (make all)"; exit 1; }
done

NS=tcseg-vgd-$$
tmp=$(mktemp -d /tmp/tcseg-87.XXXXXX)
VPID=
cleanup() {
	[ -n "$VPID" ] && kill -KILL "$VPID" 2>/dev/null
	ip netns del $NS 2>/dev/null
	umount "$tmp/bpf" 2>/dev/null
	[ -n "${KEEP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT
umask 022
mkdir -p "$tmp/bpf" && mount -t bpf bpf "$tmp/bpf" || { t_fail valgrind_tcsegd_setup "bpffs mount"; exit 1; }
ip netns add $NS && ip -n $NS link set lo up || { t_fail valgrind_tcsegd_setup "netns"; exit 1; }
"$TCSEG_ROOT/tools/gen-certs.sh" "$tmp/certs" node-a >"$tmp/certs.log" 2>&1 ||
	{ t_fail valgrind_tcsegd_setup "gen-certs: $(tail -n 1 "$tmp/certs.log")"; exit 1; }
cat >"$tmp/d.conf" <<EOF
mode = openssl
fallback_mode = openssl
node_name = node-a
pod_node_config_path = $TCSEG_ROOT/config/pod_node_mapping.conf
key_service_listen = 127.0.0.1:7449
cert_file = $tmp/certs/node-a.pem
key_file = $tmp/certs/node-a.key
ca_file = $tmp/certs/ca.pem
kp_plugin_dir = $TCSEG_BUILD
pin_dir = $tmp/bpf/tcseg
control_socket = $tmp/d.sock
metrics_listen = 127.0.0.1:9479
log_level = debug
EOF
chmod 600 "$tmp/d.conf"

vlog=$tmp/vg.log
ip netns exec $NS valgrind -q --error-exitcode=99 --leak-check=full \
	--errors-for-leak-kinds=definite,indirect,possible --track-origins=yes \
	--suppressions="$TCSEG_ROOT/tests/valgrind/tcseg.supp" \
	--log-file="$vlog" "$D" -f -c "$tmp/d.conf" >"$tmp/d.log" 2>&1 &
VPID=$!
# BPF loading under valgrind takes a while (about 40 s here)
for i in $(seq 1200); do
	grep -q " daemon ready " "$tmp/d.log" && break
	kill -0 $VPID 2>/dev/null || break
	sleep 0.25
done
if ! grep -q " daemon ready " "$tmp/d.log"; then
	t_fail valgrind_tcsegd_starts "$(tail -n 3 "$tmp/d.log" | tr '\n' ' ') $(grep -m3 -E '^==[0-9]+== [A-Z]' "$vlog" | tr '\n' ' ')"
	exit 1
fi
t_pass valgrind_tcsegd_starts

tc() { "$C" --socket "$tmp/d.sock" "$@" 2>&1; }
ask() {	# ask BYTES(printf format): raw request, the answer
	ip netns exec $NS python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode("latin-1").decode("unicode_escape").encode("latin-1"))
s.settimeout(10); r = b""
try:
    while True:
        d = s.recv(4096)
        if not d: break
        r += d
except OSError: pass
print(r.decode(errors="replace"))' "$tmp/d.sock" "$1"
}

out=$(tc -j status)
grep -q '"node":"node-a"' <<<"$out" && grep -q '"provider":"openssl"' <<<"$out" &&
	t_pass valgrind_tcsegd_status || t_fail valgrind_tcsegd_status "$out"
out=$(tc status)
grep -q "node-a" <<<"$out" && t_pass valgrind_tcsegd_status_text ||
	t_fail valgrind_tcsegd_status_text "$out"
out=$(tc -j pods daemon)
[ "$(python3 -c 'import json,sys; print(len(json.loads(sys.stdin.read())))' <<<"$out" 2>/dev/null)" = 4 ] &&
	t_pass valgrind_tcsegd_pods || t_fail valgrind_tcsegd_pods "$out"
if [ "$(tc provider get)" = "mode openssl" ] &&
   [ "$(tc provider set boringssl)" = "mode boringssl" ] &&
   [ "$(tc -j provider get)" = '{"mode":"boringssl"}' ] &&
   [ "$(tc provider set openssl)" = "mode openssl" ] &&
   ! tc provider set nonsense >/dev/null; then
	t_pass valgrind_tcsegd_provider_get_set
else
	t_fail valgrind_tcsegd_provider_get_set "now $(tc provider get)"
fi
# a monitor stream: hello, then the provider event of a mode change
tc -j monitor >"$tmp/mon.json" &
mpid=$!
for i in $(seq 100); do grep -q '"hello"' "$tmp/mon.json" && break; sleep 0.1; done
tc provider set openssl >/dev/null
for i in $(seq 100); do grep -q '"provider"' "$tmp/mon.json" && break; sleep 0.1; done
kill $mpid 2>/dev/null
wait $mpid 2>/dev/null
grep -q '"hello"' "$tmp/mon.json" && grep -q '"type":"provider"' "$tmp/mon.json" &&
	t_pass valgrind_tcsegd_monitor || t_fail valgrind_tcsegd_monitor "$(head -n 3 "$tmp/mon.json" | tr '\n' ' ')"
bad=0
grep -q '"error":"request too long"' <<<"$(ask "$(printf 'A%.0s' $(seq 300))")" || bad=1
grep -q '"error":"request is not printable text"' <<<"$(ask 'st\x00atus\n')" || bad=2
grep -q '"error":"unknown request' <<<"$(ask 'reboot\n')" || bad=3
grep -q '"error":"empty request"' <<<"$(ask ' \r\n')" || bad=4
grep -q '"node":"node-a"' <<<"$(ask 'status\r\n')" || bad=5
[ $bad = 0 ] && t_pass valgrind_tcsegd_hostile_requests ||
	t_fail valgrind_tcsegd_hostile_requests "case $bad"
out=$(ip netns exec $NS python3 -c 'import urllib.request
print(urllib.request.urlopen("http://127.0.0.1:9479/metrics", timeout=10).read().decode())' 2>&1)
grep -q '^tcseg_' <<<"$out" && t_pass valgrind_tcsegd_metrics ||
	t_fail valgrind_tcsegd_metrics "$(head -n 2 <<<"$out" | tr '\n' ' ')"
n=$(grep -c "pod mapping loaded" "$tmp/d.log")
kill -HUP $VPID
for i in $(seq 200); do
	[ "$(grep -c "pod mapping loaded" "$tmp/d.log")" -gt "$n" ] && break
	sleep 0.1
done
[ "$(grep -c "pod mapping loaded" "$tmp/d.log")" -gt "$n" ] &&
	t_pass valgrind_tcsegd_sighup_reload || t_fail valgrind_tcsegd_sighup_reload "no reload"

kill -TERM $VPID
rc=
for i in $(seq 1200); do
	kill -0 $VPID 2>/dev/null || { wait $VPID; rc=$?; break; }
	sleep 0.25
done
VPID=
if [ "$rc" = 0 ] && grep -q " daemon stopped" "$tmp/d.log" && ! grep -qE '^==[0-9]+== [A-Z]' "$vlog"; then
	t_pass valgrind_tcsegd_clean_exit
elif [ "$rc" = 99 ]; then
	cp "$vlog" "/tmp/tcseg-87-valgrind.log"
	t_fail valgrind_tcsegd_clean_exit "valgrind: $(grep -m3 -E '^==[0-9]+== [A-Z]' "$vlog" | tr '\n' ' ') (log /tmp/tcseg-87-valgrind.log)"
else
	t_fail valgrind_tcsegd_clean_exit "exit '$rc': $(tail -n 2 "$tmp/d.log" | tr '\n' ' ') $(grep -m2 -E '^==[0-9]+== [A-Z]' "$vlog" | tr '\n' ' ')"
fi
t_done
