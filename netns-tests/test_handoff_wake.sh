#!/bin/bash
# The per-connection path through the capture and tcsegd (issues #13, #14)
# on the two-node topology of netns-tests/twonode.sh:
#  - encrypt connections back to back from one process: the record that
#    starts each hand-off wakes the daemon at once although the previous
#    flow's records that need no wake-up (established, close) may still
#    be unread (docs/CAPTURE.md), so no hand-off waits for the daemon's
#    100 ms tick;
#  - allow connections leave no capture record (the counters do not move)
#    and are not held;
#  - the daemon's threads run with the short scheduler slice
#    (docs/DAEMON.md §hand-off), where the kernel has custom slices;
#  - with every hand-off worker busy, records are still read at once.
# Own pod addresses (10.212.x): other two-node runs on this machine use
# 10.200.x and the capture sees every network namespace.
set -uo pipefail
. "$(dirname "$0")/../tests/lib/testlib.sh"
NT_ID=${NT_ID:-wake$$}
. "$(dirname "$0")/twonode.sh"
# shellcheck disable=SC2034 # A2, B2: twonode.sh (pods.conf)
A1=10.212.1.1 A2=10.212.1.2 B1=10.212.2.1 B2=10.212.2.2
eval "$(declare -f tn_setup | sed 's/10\.200\./10.212./g')"
FLOWS=8
LATE_PORT=7010
NOWHERE=10.212.2.99 NOWHERE_PORT=7011	# no such pod: the SYN goes nowhere

setup() {
	tn_setup || return 1
	in_pod pod-b1 $FLOW tcp-server $ALLOW_PORT &
	PIDS+=($!)
	tn_enc_server $ENC_PORT
	start_daemon a && start_daemon b || return 1
	local n r
	for n in a b; do
		r="tcn $n policy add"
		$r id 1 from $A1 to $B1 proto tcp dport $ENC_PORT action encrypt >/dev/null &&
		$r id 2 from $A1 to $B1 proto tcp dport $ALLOW_PORT action allow >/dev/null &&
		$r id 3 from $A1 to $B1 proto tcp dport $LATE_PORT action encrypt >/dev/null &&
		$r id 4 from $A1 to $NOWHERE proto tcp dport $NOWHERE_PORT action encrypt >/dev/null || return 1
	done
	# a server that accept()s one connection 1.5 s late, then keeps it
	in_pod pod-b1 python3 -c 'import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1]))); s.listen(8)
time.sleep(1.5); c, _ = s.accept(); time.sleep(5)' $LATE_PORT &
	PIDS+=($!)
	tn_wait_listen 3 pod-b1 $ENC_PORT $ALLOW_PORT $LATE_PORT
}

scrape() {	# scrape NODE: the metrics text of the node's daemon
	ip netns exec "$(node_ns $1)" python3 -c 'import urllib.request
print(urllib.request.urlopen("http://127.0.0.1:9469/metrics", timeout=3).read().decode(), end="")'
}

captured() {	# captured NODE: connect + accept records counted by the daemon
	scrape "$1" | awk '$1 ~ /^tcseg_captured_connections_total\{/ { n += $2 } END { print n + 0 }'
}

# N connections one right after the other from one process: each one
# held, handed off (secured, or failed closed without kTLS), closed.
conns() {	# conns PORT N
	in_pod pod-a1 python3 -c 'import socket, sys
for i in range(int(sys.argv[3])):
    s = None
    try:
        s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3)
        s.sendall(b"x" * 64)
        s.recv(64)
    except OSError:
        pass
    if s:
        s.close()' "$B1" "$1" "$2"
}

# median_find NODE ROLE FROM: median find_us (capture record, BPF time ->
# the socket in hand) of the ROLE hand-offs logged from line FROM on, and
# their count
median_find() {
	tail -n +"$3" "$DIR/$1.log" | grep -E " (secured|failed closed) role=$2 " |
		grep -o 'find_us=[0-9]*' | cut -d= -f2 | sort -n |
		awk '{ v[NR] = $1 } END { print (NR ? v[int((NR + 1) / 2)] : 999999), NR }'
}

test_back_to_back() {
	local fa c
	fa=$(wc -l <"$DIR/a.log")
	conns $ENC_PORT $FLOWS
	for _ in $(seq 50); do
		[ "$(tail -n +"$fa" "$DIR/a.log" | grep -c -E ' (secured|failed closed) role=client ')" -ge $FLOWS ] && break
		sleep 0.1
	done
	c=$(median_find a client "$fa")
	# a record that waited for the daemon's 100 ms tick instead of waking
	# it would take 0-100 ms, about 50 ms at the median
	if [ "${c#* }" -ge $((FLOWS - 1)) ] && [ "${c% *}" -lt 20000 ]; then
		t_pass handoff_back_to_back_socket_taken_without_waiting_for_tick
	else
		t_fail handoff_back_to_back_socket_taken_without_waiting_for_tick "median find_us, hand-offs: $c"
	fi
}

test_allow_no_record() {
	local a0 b0 t0 t1
	a0=$(captured a) b0=$(captured b)
	t0=$(date +%s%N)
	conns $ALLOW_PORT 20
	t1=$(date +%s%N)
	sleep 0.3	# records that need no wake-up: read at the 100 ms tick
	if [ "$(captured a)" = "$a0" ] && [ "$(captured b)" = "$b0" ] &&
	   [ "$a0" -gt 0 ] && [ $(((t1 - t0) / 1000000)) -lt 3000 ]; then
		t_pass allow_connections_leave_no_capture_record
	else
		t_fail allow_connections_leave_no_capture_record "captured a $a0 -> $(captured a), b $b0 -> $(captured b), $(((t1 - t0) / 1000000)) ms"
	fi
}

test_short_slice() {
	local t s bad=0 n=0 v
	v=$(uname -r | awk -F. '{ print $1 * 1000 + $2 }')
	if [ "$v" -lt 6012 ]; then
		# custom slices of fair tasks: Linux 6.12
		t_skip daemon_threads_short_slice "kernel $(uname -r) has no custom slices"
		return
	fi
	for t in /proc/"$DPID_A"/task/*; do
		s=$(awk '$1 == "se.slice" { print $3 }' "$t/sched" 2>/dev/null)
		[ -n "$s" ] || continue
		n=$((n + 1))
		[ "$s" = 100000 ] || bad=$((bad + 1))
	done
	if [ $n -gt 0 ] && [ $bad = 0 ]; then
		t_pass daemon_threads_short_slice
	else
		t_fail daemon_threads_short_slice "$bad of $n threads without the 100 us slice (se.slice)"
	fi
}

# no payload met an unsecured end (the data path's drop counter)
test_no_unsecured() {
	local n u=
	for n in a b; do
		u="$u$(tcn $n -j stats 2>/dev/null | grep -o '"unsecured":[0-9]*' | head -n 1 | cut -d: -f2),"
	done
	[ "$u" = "0,0," ] && t_pass handoff_wake_no_unsecured_drops ||
		t_fail handoff_wake_no_unsecured_drops "unsecured drops a,b: $u"
}

# The client's end fails closed (no kTLS) or waits for the server end
# (kTLS) long before the server accept()s: the accepted socket, in
# CLOSE_WAIT or still ESTABLISHED in the accept queue, is still reported
# at accept()'s return and its server end handed off (docs/CAPTURE.md).
test_late_accept() {
	local fb
	fb=$(wc -l <"$DIR/b.log")
	in_pod pod-a1 python3 -c 'import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3)
try:
    s.sendall(b"late"); s.recv(4)
except OSError:
    pass' $B1 $LATE_PORT >/dev/null 2>&1
	for _ in $(seq 40); do
		tail -n +"$fb" "$DIR/b.log" | grep -q -E "socket taken with pidfd_getfd role=server flow=$A1:[0-9]+->$B1:$LATE_PORT " && break
		sleep 0.1
	done
	if tail -n +"$fb" "$DIR/b.log" | grep -q -E "socket taken with pidfd_getfd role=server flow=$A1:[0-9]+->$B1:$LATE_PORT "; then
		t_pass late_accept_server_end_still_taken_from_accept
	else
		t_fail late_accept_server_end_still_taken_from_accept "$(tail -n +"$fb" "$DIR/b.log" | grep -F ":$LATE_PORT" | tail -n 3 | tr '\n' ' ')"
	fi
}

# Every hand-off worker busy (four clients whose SYN goes nowhere wait
# for ESTABLISHED until the hold timeout): the ring buffers are still
# read, by the main loop's tick when no worker is free to
# (docs/DAEMON.md "Wake-ups"), so a new flow's record is read at once,
# not when a worker frees up about 2 s later.
test_busy_workers() {
	local fa i t0 tl line
	fa=$(wc -l <"$DIR/a.log")
	for i in 1 2 3 4; do
		in_pod pod-a1 python3 -c 'import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
except OSError:
    pass' $NOWHERE $NOWHERE_PORT >/dev/null 2>&1 &
		PIDS+=($!)
	done
	for _ in $(seq 40); do
		[ "$(tail -n +"$fa" "$DIR/a.log" | grep -c -E "socket taken with pidfd_getfd role=client flow=$A1:[0-9]+->$NOWHERE:$NOWHERE_PORT ")" -ge 4 ] && break
		sleep 0.05
	done
	t0=$(date +%s%N)
	conns $ENC_PORT 1 &
	PIDS+=($!)
	for _ in $(seq 60); do
		line=$(tail -n +"$fa" "$DIR/a.log" | grep -m 1 -E " capture connect flow=$A1:[0-9]+->$B1:$ENC_PORT ")
		[ -n "$line" ] && break
		sleep 0.05
	done
	tl=$(date -d "${line%% *}" +%s%N 2>/dev/null || echo 0)
	if [ "$(tail -n +"$fa" "$DIR/a.log" | grep -c -E "socket taken with pidfd_getfd role=client flow=$A1:[0-9]+->$NOWHERE:$NOWHERE_PORT ")" -ge 4 ] &&
	   [ "$tl" -gt 0 ] && [ $(((tl - t0) / 1000000)) -lt 1000 ]; then
		t_pass records_read_while_every_worker_busy
	else
		t_fail records_read_while_every_worker_busy "record read $(((tl - t0) / 1000000)) ms after the connect (line: ${line:-none})"
	fi
}

tn_begin handoff_wake
test_late_accept
test_back_to_back
test_allow_no_record
test_short_slice
test_busy_workers
test_no_unsecured
t_done
