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

# raw_prereqs NAME: root (else SKIP, status 1), tcctl built and scapy
# (else FAIL, status 2); for `raw_prereqs NAME || return $(($? - 1))`
raw_prereqs() {
	t_need_root "$1" || return 1
	[ -x "$TCSEG_BUILD/tcctl" ] || { t_fail "$1" "build/tcctl missing (make)"; return 2; }
	/usr/bin/python3 -c 'import scapy.all' 2>/dev/null ||
		{ t_fail "$1" "/usr/bin/python3 has no scapy (make deps)"; return 2; }
}

# sessions_and_cut PREFIX POD SRC DST PORT RULE: POD holds a TCP flow to
# DST:PORT open under allow rule RULE; `tcctl -j sessions` must show it
# ESTABLISHED at both veths (src SRC:*, dst DST:PORT, as tcctl prints
# them: [IPv6]), the text output must list it, and deleting RULE must
# cut it. Test names start with PREFIX.
sessions_and_cut() {
	local pfx=$1 pod=$2 src=$3 dst=$4 port=$5 id=$6 out=$NT_DIR/hold.out
	local s n hold rc ip=${4#[}
	in_pod "$pod" $FLOW tcp-hold "${ip%]}" "$port" 8 >"$out" 2>&1 &
	hold=$!
	for n in $(seq 40); do grep -q "ok 5" "$out" && break; sleep 0.1; done
	s=$(tc_ -j sessions)
	n=$(json_get "$s" "sum(1 for x in j if x['src'].startswith('$src:') and x['dst'] == '$dst:$port' and x['state'] == 'ESTABLISHED' and x['rule'] == $id)")
	[ "$n" = 2 ] && t_pass "${pfx}sessions_show_flow_at_both_veths" ||
		t_fail "${pfx}sessions_show_flow_at_both_veths" "$n of 2 in $s"
	grep -qF "$dst:$port" <<<"$(tc_ sessions)" && t_pass "${pfx}sessions_text_lists_flow" ||
		t_fail "${pfx}sessions_text_lists_flow" "not in text output"
	tc_ policy del id "$id"
	wait $hold
	rc=$?
	if [ $rc = 3 ] && grep -q "ok 5" "$out"; then
		t_pass "${pfx}deleting_allow_rule_cuts_established_flow"
	else
		t_fail "${pfx}deleting_allow_rule_cuts_established_flow" "hold rc $rc: $(tail -n 2 "$out" | tr '\n' ' ')"
	fi
}

spoofed() { stat_of 'j["drops"]["spoofed"]'; }

# spoofed_syn PREFIX SRC DST SPORT: pod c's SYNs to b (DST:80, $MAC_B)
# in a's name (SRC) must not reach b and count as spoofed; the same from
# a (source port SPORT + 1) must arrive. Test names start with PREFIX.
spoofed_syn() {
	local pfx=$1 src=$2 dst=$3 sp=$4 s0
	s0=$(spoofed)
	arrivals "${pfx}spoofed_tcp_syn_does_not_reach_b" 0 b \
		"tcp src=$src dport=80 sport=$sp flags=2" \
		in_pod c $HOSTILE syn "$src" "$sp" "$dst" 80 "$MAC_B" 3
	want "${pfx}spoofed_tcp_syn_counted" "$(($(spoofed) - s0))" 3
	arrivals "${pfx}own_tcp_syn_reaches_b" 3 b \
		"tcp src=$src dport=80 sport=$((sp + 1)) flags=2" \
		in_pod a $HOSTILE syn "$src" $((sp + 1)) "$dst" 80 "$MAC_B" 3
}
