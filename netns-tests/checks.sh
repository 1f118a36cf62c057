# Checks shared by the netns tests (source after lib.sh): flows that must
# pass or not, and raw frames counted where they arrive (hostile.py).

HOSTILE="/usr/bin/python3 $TCSEG_ROOT/netns-tests/hostile.py"
SINK='' CNT_PID='' CNT_OUT='' COUNT=''

mac_of() { ip -n "$1" -br link show "$2" | awk '{print $3}'; }

stat_of() { json_get "$(tc_ -j stats)" "$1"; }

# want NAME GOT WANT: PASS if equal
want() {
	[ "$2" = "$3" ] && t_pass "$1" || t_fail "$1" "got '$2', want '$3'"
}

# expect NAME yes|no CMD...: the flow works (yes) or is blocked (no)
expect() {
	local name=$1 want=$2
	shift 2
	if "$@"; then
		[ "$want" = yes ] && t_pass "$name" || t_fail "$name" "flow went through"
	else
		[ "$want" = no ] && t_pass "$name" || t_fail "$name" "flow was blocked"
	fi
}

# count_start WHERE KIND FIELD=VALUE...: count frames arriving at pod
# WHERE's eth0 (or at the host's br0 for WHERE=host) until count_stop
count_start() {
	local where=$1 ns dev=eth0
	shift
	ns=$(nt_pod_ns "$where")
	[ "$where" = host ] && ns=$NS_HOST dev=br0
	CNT_OUT=$(mktemp "$NT_DIR/count.XXXXXX")
	ip netns exec "$ns" $HOSTILE count $dev "$@" >"$CNT_OUT" 2>&1 &
	CNT_PID=$!
	NT_PIDS+=("$CNT_PID")
	for _ in $(seq 50); do
		grep -q ready "$CNT_OUT" && return 0
		sleep 0.1
	done
	return 1
}

# count_stop: what count_start saw, in $COUNT (not in a subshell: the
# counter is this shell's child)
count_stop() {
	sleep 0.3
	kill -TERM "$CNT_PID" 2>/dev/null
	wait "$CNT_PID" 2>/dev/null
	COUNT=$(sed -n 's/^count //p' "$CNT_OUT")
}

# arrivals NAME N WHERE "KIND FIELD=VALUE..." CMD...: run CMD (a sender)
# while counting matching frames at WHERE (count_start); PASS if N came
arrivals() {
	local name=$1 n=$2 where=$3 filter=$4
	shift 4
	# shellcheck disable=SC2086 # the filter is several words
	count_start "$where" $filter || { t_fail "$name" "counter not ready"; return; }
	"$@"
	count_stop
	want "$name" "$COUNT" "$n"
}

# datagrams counted by the udp-server whose log is $SINK (flow.py)
sink_count() { cat "$SINK" 2>/dev/null || echo 0; }

# sink_gets NAME N CMD...: run CMD (a sender); PASS if the $SINK server
# received N datagrams
sink_gets() {
	local name=$1 n=$2 n0
	shift 2
	n0=$(sink_count)
	"$@"
	sleep 0.3
	want "$name" "$(($(sink_count) - n0))" "$n"
}
