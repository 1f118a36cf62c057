#!/bin/bash
# Concurrent tcctl writers and policy replace under traffic (docs/POLICY.md
# "Concurrent writers", docs/DATAPATH.md "Atomic policy replace"):
#   - two shell loops, 40 `tcctl policy add` each, at the same time, on
#     a pin dir where nothing is loaded yet: all 80 rules stay, every
#     tcctl exits 0;
#   - a writer that cannot get the lock gives up after --lock-timeout with
#     a clear error, non-zero, and changes nothing;
#   - replaces back and forth between two rule sets that both allow a
#     flow, while that flow runs (UDP echoes, a held TCP connection):
#     nothing of it is dropped.
# Pods: a 10.200.0.1, b 10.200.0.2 (tcp 80 echo, udp 53 echo).
set -uo pipefail
. "$(dirname "$0")/../tests/lib/testlib.sh"
. "$TCSEG_ROOT/netns-tests/lib.sh"

A=10.200.0.1 B=10.200.0.2
PIN=

setup() {
	nt_setup && nt_add_pod a 1 && nt_add_pod b 2 || return 1
	PIN=$NT_DIR/bpf/tcseg
	bg_pod b $FLOW tcp-server 80
	bg_pod b $FLOW udp-server 53
	wait_port b t 80 && wait_port b u 53
}

n_rules() { json_get "$(tc_ -j policy list)" 'len(j)'; }

# adders N FIRST: N `policy add` one after the other, one rule each;
# prints the exit status of every tcctl that failed. The first one loads
# the data plane under the lock, which can take more than the default
# 10 s wait on a busy 2-core machine: the test is about serializing, so
# the writers wait longer.
adders() {
	local i
	for i in $(seq "$2" $(($2 + $1 - 1))); do
		tc_ --lock-timeout 120 policy add from 10.$((i / 250)).$((i % 250)).1 \
			to $B proto tcp dport 443 action deny >/dev/null ||
			echo "rule $i: rc $?"
	done
}

test_concurrent_writers() {
	local o1=$NT_DIR/w1 o2=$NT_DIR/w2 n
	# nothing loaded yet: the first writers also race to load and pin
	adders 40 1 >"$o1" 2>&1 &
	local p1=$!
	adders 40 41 >"$o2" 2>&1 &
	local p2=$!
	wait $p1 $p2
	n=$(n_rules)
	if [ "$n" = 80 ]; then
		t_pass concurrent_adds_all_kept
	else
		t_fail concurrent_adds_all_kept "$n of 80 rules kept"
	fi
	if [ ! -s "$o1" ] && [ ! -s "$o2" ]; then
		t_pass concurrent_adds_all_exit_0
	else
		t_fail concurrent_adds_all_exit_0 "$(cat "$o1" "$o2" | head -n 3 | tr '\n' ' ')"
	fi
}

test_lock_timeout() {
	local before after err=$NT_DIR/lock.err t0 t1 rc
	before=$(tc_ -j policy list)
	# another writer holds the lock for 5 s
	flock -o -x "$PIN" sleep 5 &
	local holder=$!
	sleep 0.3
	t0=$(date +%s%N)
	"$TCSEG_BUILD/tcctl" -n "$NS_HOST" --pin-dir "$PIN" --lock-timeout 1 \
		policy add from 10.99.0.1 action deny >/dev/null 2>"$err"
	rc=$?
	t1=$(date +%s%N)
	after=$(tc_ -j policy list)
	kill $holder 2>/dev/null
	wait $holder 2>/dev/null
	local ms=$(((t1 - t0) / 1000000))
	if [ $rc != 0 ] && grep -q "another tcctl holds the lock on $PIN: gave up after 1.0 s" "$err" &&
		[ $ms -ge 900 ] && [ $ms -lt 4000 ]; then
		t_pass locked_writer_times_out_with_error
	else
		t_fail locked_writer_times_out_with_error "rc $rc after $ms ms: $(cat "$err")"
	fi
	[ "$before" = "$after" ] && t_pass locked_writer_changes_nothing ||
		t_fail locked_writer_changes_nothing "rules changed"
	# the same writer gets through once the holder is gone
	tc_ --lock-timeout 1 policy flush && [ "$(n_rules)" = 0 ] &&
		t_pass writer_runs_after_lock_released ||
		t_fail writer_runs_after_lock_released "flush failed"
	tc_ --lock-timeout x policy flush 2>/dev/null &&
		t_fail lock_timeout_bad_value "accepted 'x'" ||
		t_pass lock_timeout_bad_value
}

# Both sets allow a->b tcp 80 and udp 53, through different rules (an
# exact-ish /32 pair in one, a /24 CIDR in the other, each beside a deny
# that the other set does not have); default deny.
write_sets() {
	cat >"$NT_DIR/set1" <<-EOT
	from $A/32 to $B/32 proto tcp dport 80 action allow
	from $A/32 to $B/32 proto udp dport 53 action allow
	from 10.200.0.0/24 to $B/32 proto tcp dport 81 action deny
	EOT
	cat >"$NT_DIR/set2" <<-EOT
	from 10.200.0.0/24 to 10.200.0.0/24 proto tcp dport 80 action allow
	from 10.200.0.0/24 to $B/32 proto udp action allow
	from $A/32 to $B/32 proto tcp dport 82 action deny
	EOT
}

test_replace_under_traffic() {
	local out=$NT_DIR/hold.out fails=0 i n=0 rc
	write_sets
	tc_ default deny >/dev/null && tc_ attach va >/dev/null &&
		tc_ attach vb >/dev/null && tc_ policy apply -f "$NT_DIR/set1" >/dev/null ||
		{ t_fail replace_setup "attach/apply failed"; return; }
	in_pod a $FLOW tcp-hold $B 80 6 >"$out" 2>&1 &
	local hold=$!
	# UDP echoes, each from a new socket (a new flow, decided by the
	# policy) while the sets flip, until $NT_DIR/stop appears
	in_pod a python3 -c '
import os, socket, sys
sent = lost = 0
while not os.path.exists(sys.argv[2]):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1.0)
    s.sendto(b"echo", (sys.argv[1], 53))
    sent += 1
    try:
        s.recv(16)
    except OSError:
        lost += 1
    s.close()
print(sent, lost)' $B "$NT_DIR/stop" >"$NT_DIR/udp.out" 2>&1 &
	local udp=$!
	sleep 0.5
	for i in $(seq 40); do
		tc_ policy apply -f "$NT_DIR/set$((i % 2 + 1))" >/dev/null || fails=$((fails + 1))
		sleep 0.05
	done
	touch "$NT_DIR/stop"
	wait $udp
	wait $hold
	rc=$?
	[ $fails = 0 ] && t_pass replace_applies_succeed ||
		t_fail replace_applies_succeed "$fails of 40 failed"
	local sent lost
	read -r sent lost <"$NT_DIR/udp.out"
	if [ "${lost:-x}" = 0 ] && [ "${sent:-0}" -ge 100 ]; then
		t_pass replace_keeps_udp_flows
	else
		t_fail replace_keeps_udp_flows "$(cat "$NT_DIR/udp.out") (sent lost)"
	fi
	if [ $rc = 0 ]; then
		t_pass replace_keeps_tcp_connection
	else
		t_fail replace_keeps_tcp_connection "hold rc $rc: $(tail -n 1 "$out")"
	fi
	local s
	s=$(tc_ -j stats)
	[ "$(json_get "$s" 'j["drops"]["global_default"] + j["drops"]["policy"]')" = 0 ] &&
		t_pass replace_no_policy_drops ||
		t_fail replace_no_policy_drops "$(json_get "$s" 'j["drops"]')"
}

main() {
	t_need_root policy_atomic || return 0
	[ -x "$TCSEG_BUILD/tcctl" ] || { t_fail policy_atomic "build/tcctl missing (make)"; return 1; }
	command -v flock >/dev/null || { t_fail policy_atomic "flock(1) missing (util-linux)"; return 1; }
	setup || { t_fail policy_atomic_setup "could not build the pods"; return 1; }
	test_concurrent_writers
	test_lock_timeout
	test_replace_under_traffic
	t_done
}

main
