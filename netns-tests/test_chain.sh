#!/bin/bash
# tcseg beside another tc program on the same veth, as a CNI's own
# (docs/DATAPATH.md §Chaining): a counting program (tests/chain/) on the
# pod's ingress sees every packet tcseg passes and none it drops when it
# comes after tcseg, in tcx and clsact mode; `tcctl attach ... first`
# puts tcseg before a program already there, `last` after it.
#   per case a fresh pair: a<k> 10.200.0.(2k+1) sends 5 UDP to b<k>:9000
#   (allowed by a rule) and 5 to :9001 (pod default deny)
set -uo pipefail
. "$(dirname "$0")/../tests/lib/testlib.sh"
. "$TCSEG_ROOT/netns-tests/lib.sh"

CC=$TCSEG_BUILD/tests/chain_count

t_need_root chain || exit 0
nt_setup || { t_fail chain_setup "netns setup"; exit 1; }
tc_ policy add id 1 from 10.200.0.0/24 to 10.200.0.0/24 proto udp \
	dport 9000 action allow >/dev/null

# run_case NAME K MODE ORDER CPOS [POS]: ORDER tcseg-first or
# counter-first, the counter at CPOS (first: before tcseg's default
# place, so only tcseg's own `first` beats it; last: after it, so only
# tcseg's `last` follows it in clsact; in tcx appending is last already);
# prints the counter's "N9000 N9001"
run_case() {
	local name=$1 k=$2 mode=$3 order=$4 cpos=$5 pos=${6:-} b dir
	b=$((2 * k + 2))	# pod b<k>'s address (expect made the pods)
	dir=$NT_DIR/bpf/chain$k
	mkdir -p "$dir"
	if [ "$order" = counter-first ]; then
		counter "va$k" "$mode" "$cpos" "$dir" || return 1
	fi
	tc_ attach "va$k" default deny mode "$mode" $pos >/dev/null || return 1
	if [ "$order" = tcseg-first ]; then
		counter "va$k" "$mode" "$cpos" "$dir" || return 1
	fi
	in_pod "a$k" ping -c 1 -W 1 "10.200.0.$b" >/dev/null 2>&1  # ARP
	in_pod "a$k" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for p in (9000,) * 5 + (9001,) * 5:
    s.sendto(b"x", (sys.argv[1], p))' "10.200.0.$b"
	sleep 0.2
	ip netns exec "$NS_HOST" "$CC" read "$dir"
}

counter() { ip netns exec "$NS_HOST" "$CC" attach "$@"; }

# expect NAME WANT K MODE ORDER [POS]; the pods are made here, not in
# run_case's subshell, so that nt_cleanup knows them
expect() {
	local name=$1 want=$2 k=$3 got
	shift 2
	if ! nt_add_pod "a$k" $((2 * k + 1)) ||
	   ! nt_add_pod "b$k" $((2 * k + 2)); then
		t_fail "$name" "pods a$k/b$k not made"
		return
	fi
	got=$(run_case "$name" "$@" 2>&1 | tail -n 1)
	[ "$got" = "$want" ] && t_pass "$name" ||
		t_fail "$name" "counter saw '$got' (port 9000, 9001), want '$want'"
}

k=0
for mode in tcx tc; do
	# allowed packets go on to the next program, dropped ones stop
	expect "chain_${mode}_next_sees_allowed_only" "5 0" $k "$mode" \
		tcseg-first last
	k=$((k + 1))
	expect "chain_${mode}_first_goes_before" "5 0" $k "$mode" \
		counter-first first first
	k=$((k + 1))
	expect "chain_${mode}_last_goes_after" "5 5" $k "$mode" \
		counter-first last last
	k=$((k + 1))
done
t_done
