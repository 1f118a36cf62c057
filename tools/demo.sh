#!/bin/bash
# tcseg demo: three pods (network namespaces on a bridge, in a separate
# "host" namespace so the machine's network is untouched), a policy,
# traffic that is allowed and traffic that is denied, then the stats.
# Run as root after `make`: tools/demo.sh (or `make demo`).
set -uo pipefail
TCSEG_ROOT=$(cd "$(dirname "$0")/.." && pwd)
TCSEG_BUILD=${TCSEG_BUILD:-$TCSEG_ROOT/build}
. "$TCSEG_ROOT/netns-tests/lib.sh"

[ "$(id -u)" -eq 0 ] || { echo "demo: run as root (it creates network namespaces and loads BPF)" >&2; exit 1; }
[ -x "$TCSEG_BUILD/tcctl" ] || { echo "demo: $TCSEG_BUILD/tcctl missing: run make" >&2; exit 1; }

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { echo "\$ tcctl $*"; tc_ "$@"; }
try() {
	local what=$1
	shift
	if "$@" >/dev/null 2>&1; then
		echo "   $what: ALLOWED"
	else
		echo "   $what: DENIED"
	fi
}

say "pods a=10.200.0.1 b=10.200.0.2 c=10.200.0.3 on bridge br0 (netns $NS_HOST)"
nt_setup && nt_add_pod a 1 && nt_add_pod b 2 && nt_add_pod c 3 || exit 1
bg_pod b $FLOW tcp-server 80
bg_pod b $FLOW tcp-server 22
bg_pod b $FLOW udp-server 53
bg_pod c $FLOW tcp-server 80
wait_port b t 80 && wait_port b t 22 && wait_port b u 53 && wait_port c t 80 || exit 1

say "attach tcseg to every pod's veth; pod b denies by default"
run attach va
run attach vb default deny
run attach vc
run list

say "policy"
cat "$TCSEG_ROOT/policies/demo.policy"
run policy apply -f "$TCSEG_ROOT/policies/demo.policy"
run policy list

say "traffic"
try "a -> b tcp/80 (rule 1 allows)" in_pod a $FLOW tcp-client 10.200.0.2 80
try "a -> b tcp/22 (pod b default deny)" in_pod a $FLOW tcp-client 10.200.0.2 22
try "c -> b tcp/80 (rule 2 denies c, TCP)" in_pod c $FLOW tcp-client 10.200.0.2 80
try "c -> b udp/53 (rule 3: every pod may use DNS)" in_pod c $FLOW udp-echo-client 10.200.0.2 53
try "a -> c tcp/80 (no rule: global default allow)" in_pod a $FLOW tcp-client 10.200.0.3 80

say "sessions and stats"
run sessions
run stats
say "done: everything is torn down on exit"
