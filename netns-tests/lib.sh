# Pods out of network namespaces for the netns tests (source it).
#
#   host ns  $NS_HOST: bridge br0 + host sides of the pods' veths (v<pod>)
#   pod ns   $NS_<POD>: eth0 = 10.200.0.<n>/24 (and fd00::<n>/64 with
#            nt_pod_v6)
# The machine's own network namespace is never touched. tcctl runs with
# -n $NS_HOST and a pin dir on a private bpffs, so parallel runs and a
# real tcseg on the machine do not collide.

NT_ID=${NT_ID:-$$}
NS_HOST=tcseg-h-$NT_ID
NT_DIR=
NT_PIDS=()
NT_PODS=()
FLOW="python3 $TCSEG_ROOT/netns-tests/flow.py"

nt_pod_ns() { echo "tcseg-$1-$NT_ID"; }

# tc: run tcctl against the test topology
tc_() { "$TCSEG_BUILD/tcctl" -n "$NS_HOST" --pin-dir "$NT_DIR/bpf/tcseg" "$@"; }

# in_pod POD CMD...: run CMD inside a pod
in_pod() {
	local p=$1
	shift
	ip netns exec "$(nt_pod_ns "$p")" "$@"
}

# bg_pod POD CMD...: start CMD in a pod in the background (killed at cleanup)
bg_pod() {
	local p=$1
	shift
	ip netns exec "$(nt_pod_ns "$p")" "$@" &
	NT_PIDS+=($!)
}

nt_setup() {
	NT_DIR=$(mktemp -d /tmp/tcseg-nt.XXXXXX)
	mkdir -p "$NT_DIR/bpf"
	mount -t bpf bpf "$NT_DIR/bpf" || return 1
	ip netns add "$NS_HOST" || return 1
	ip -n "$NS_HOST" link set lo up
	ip -n "$NS_HOST" link add br0 type bridge
	ip -n "$NS_HOST" link set br0 up
	trap nt_cleanup EXIT
}

# nt_add_pod NAME N: pod NAME with address 10.200.0.N
nt_add_pod() {
	local p=$1 n=$2 ns
	ns=$(nt_pod_ns "$p")
	ip netns add "$ns" || return 1
	ip -n "$ns" link set lo up
	ip -n "$NS_HOST" link add "v$p" type veth peer name eth0 netns "$ns" || return 1
	ip -n "$NS_HOST" link set "v$p" master br0 up
	ip -n "$ns" addr add "10.200.0.$n/24" dev eth0
	ip -n "$ns" link set eth0 up
	NT_PODS+=("$p")
}

# nt_pod_v6 NAME N: pod NAME also gets fd00::N/64 (dual stack), usable at
# once (no duplicate address detection: the test owns the link)
nt_pod_v6() {
	ip -n "$(nt_pod_ns "$1")" -6 addr add "fd00::$2/64" dev eth0 nodad
}

nt_cleanup() {
	local p
	for p in "${NT_PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${NT_PODS[@]}"; do
		ip netns pids "$(nt_pod_ns "$p")" 2>/dev/null | xargs -r kill 2>/dev/null
	done
	wait 2>/dev/null
	for p in "${NT_PODS[@]}"; do
		ip netns del "$(nt_pod_ns "$p")" 2>/dev/null
	done
	ip netns del "$NS_HOST" 2>/dev/null
	if [ -n "$NT_DIR" ]; then
		umount "$NT_DIR/bpf" 2>/dev/null
		rm -rf "$NT_DIR"
	fi
}

# wait_port POD PROTO PORT: until a server listens (max 3 s)
wait_port() {
	local i
	for i in $(seq 30); do
		[ -n "$(in_pod "$1" ss -Hln"${2:0:1}" "sport = :$3")" ] && return 0
		sleep 0.1
	done
	return 1
}

# json_get JSON PYEXPR: evaluate PYEXPR on the parsed JSON `j`
json_get() {
	python3 -c 'import json,sys; j=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"
}

# the rule set without its counters and last-match times (traffic may
# still be counting)
rules_now() {
	tc_ -j policy list | python3 -c 'import json,sys; print([{k: v for k, v in r.items() if k not in ("packets", "bytes", "last_match")} for r in json.load(sys.stdin)])'
}
