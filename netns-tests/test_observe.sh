#!/bin/bash
# What tcseg counts and decides, seen without a terminal attached (issue
# 14; docs/DAEMON.md §Metrics, §Verdict log, §Monitor filters): one tcsegd
# in a host namespace with three pods on a bridge.
# - metrics scraped after known traffic: drops by reason, counters, per-rule
#   packets and bytes, map fill, the rule series limit, naming
# - the verdict log with no monitor attached: an audit roll-out leaves
#   every would-be deny in the file with its pods and rule, and nothing
#   when there is none; drop records; rotation by size, N files kept
# - tcctl monitor filters (pod, ip, verdict, rule) and bad filter words
# - tcctl policy list: when each rule last matched
set -uo pipefail
. "$(dirname "$0")/../tests/lib/testlib.sh"
. "$(dirname "$0")/lib.sh"

P1=10.200.0.1 P2=10.200.0.2 P3=10.200.0.3
PORT=9469

t_need_root observe || exit 0
for f in "$TCSEG_BUILD/tcsegd" "$TCSEG_BUILD/tcctl"; do
	[ -x "$f" ] || { t_fail observe_build "$f missing (make all)"; exit 1; }
done

tcd() { tc_ --socket "$NT_DIR/d.sock" "$@"; }
scrape() {
	ip netns exec "$NS_HOST" python3 -c 'import urllib.request,sys
print(urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=5).read().decode(), end="")' $PORT
}
# metric TEXT 'NAME{LABELS}': its value (nothing if absent)
metric() { awk -v k="$2" '$1 == k { print $2 }' <<<"$1"; }
# udp_flows POD DST SPORT0 N DPORT: N UDP datagrams, each its own flow
udp_flows() {
	in_pod "$1" /usr/bin/python3 -c 'import socket, sys
dst, sp, n, dp = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
for i in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("", sp + i)); s.sendto(b"x", (dst, dp)); s.close()' "$2" "$3" "$4" "$5"
}
# pings POD DST N: N ICMP echo requests (56 data bytes, 0.2 s apart, one
# id); exit 0 when every one got its reply (no ping binary needed)
pings() {
	in_pod "$1" /usr/bin/python3 -c 'import socket, struct, sys, time, select
dst, n = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
def csum(b):
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    t = (t >> 16) + (t & 0xffff); t += t >> 16
    return ~t & 0xffff
got = 0
for seq in range(n):
    body = struct.pack("!HH", 0x1234, seq) + bytes(56)
    s.sendto(struct.pack("!BBH", 8, 0, csum(b"\x08\x00\x00\x00" + body)) + body, (dst, 0))
    end = time.time() + 0.2
    while time.time() < end:
        if select.select([s], [], [], end - time.time())[0]:
            r = s.recv(2048)
            if r[20] == 0 and r[24:28] == struct.pack("!HH", 0x1234, seq):
                got += 1
sys.exit(0 if got == n else 1)' "$2" "$3"
}
LOG=
vlines() { cat "$LOG" 2>/dev/null | wc -l; }
# vsel PYEXPR: verdict log lines (current file) where PYEXPR holds on j
vsel() {
	python3 - "$LOG" "$1" <<'EOF'
import json, sys
for l in open(sys.argv[1]):
    j = json.loads(l)
    if eval(sys.argv[2]):
        print(l.rstrip())
EOF
}

setup() {
	nt_setup || return 1
	nt_add_pod p1 1 && nt_add_pod p2 2 && nt_add_pod p3 3 || return 1
	mkdir -p "$NT_DIR/vlog"
	LOG=$NT_DIR/vlog/verdicts.log
	cat >"$NT_DIR/pods.conf" <<EOF
pod-one node-a pod_ip=$P1
pod-two node-a pod_ip=$P2
pod-three node-a pod_ip=$P3
EOF
	cat >"$NT_DIR/d.conf" <<EOF
mode = tlshub
fallback_mode = none
node_name = node-a
pod_node_config_path = $NT_DIR/pods.conf
pin_dir = $NT_DIR/bpf/tcseg
control_socket = $NT_DIR/d.sock
key_service_listen = 127.0.0.1:7452
metrics_listen = 127.0.0.1:$PORT
attach_devices = vp1 vp2 vp3
metrics_rule_limit = 3
verdict_log = $LOG
verdict_log_max_bytes = 8192
verdict_log_keep = 2
EOF
	chmod 600 "$NT_DIR/d.conf"
	ip netns exec "$NS_HOST" "$TCSEG_BUILD/tcsegd" -f -c "$NT_DIR/d.conf" \
		>"$NT_DIR/d.log" 2>&1 &
	NT_PIDS+=($!)
	local i
	for i in $(seq 600); do
		grep -q " daemon ready " "$NT_DIR/d.log" && break
		sleep 0.1
	done
	grep -q " daemon ready " "$NT_DIR/d.log" || {
		echo "tcsegd did not start: $(tail -n 3 "$NT_DIR/d.log")" >&2
		return 1
	}
	# rules 1-3 get series (metrics_rule_limit = 3), 4 and 5 do not
	tc_ policy add id 1 from $P1 to $P2 proto icmp action deny >/dev/null &&
	tc_ policy add id 2 from $P1 to $P3 proto icmp action allow >/dev/null &&
	tc_ policy add id 3 from $P2 to $P3 proto udp action log >/dev/null &&
	tc_ policy add id 4 from $P3 to $P1 proto tcp dport 1 action allow >/dev/null &&
	tc_ policy add id 5 from $P3 to $P1 proto tcp dport 2 action allow >/dev/null
}

# The format: every sample's family has HELP and TYPE, counters end in
# _total, no family twice.
check_format() {
	python3 -c '
import re, sys
types, helps, seen, bad = {}, set(), [], []
for l in sys.stdin.read().splitlines():
    if l.startswith("# TYPE "):
        _, _, n, t = l.split(" ", 3)
        if n in types: bad.append("TYPE twice: " + n)
        types[n] = t
    elif l.startswith("# HELP "):
        helps.add(l.split(" ")[2])
    elif l:
        m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? ([0-9.e+-]+|\+Inf)$", l)
        if not m: bad.append("bad line: " + l); continue
        n = m.group(1)
        fam = n if n in types else re.sub(r"_(bucket|sum|count)$", "", n)
        if fam not in types: bad.append("no TYPE: " + n); continue
        if types[fam] == "counter" and not n.endswith("_total"): bad.append("counter without _total: " + n)
        if fam not in helps and fam != "tcseg_handoff_in_flight": bad.append("no HELP: " + fam)
print("\n".join(bad[:5])); sys.exit(1 if bad else 0)'
}

test_metrics() {
	local m0 m1 d0 d1 r1 r1b r2 v
	m0=$(scrape)
	pings p1 $P2 5
	pings p1 $P3 4 ||
		t_fail observe_ping_allowed "ping $P3 failed"
	m1=$(scrape)
	echo "$m1" >"$NT_DIR/metrics.txt"
	d0=$(metric "$m0" 'tcseg_datapath_drops_total{reason="policy"}')
	d1=$(metric "$m1" 'tcseg_datapath_drops_total{reason="policy"}')
	r1=$(metric "$m1" 'tcseg_rule_packets_total{rule="1",action="deny"}')
	r1b=$(metric "$m1" 'tcseg_rule_bytes_total{rule="1",action="deny"}')
	r2=$(metric "$m1" 'tcseg_rule_packets_total{rule="2",action="allow"}')
	# 5 echo requests denied at p1's veth; 98 bytes each at tc (Ethernet
	# 14 + IP 20 + ICMP 8 + 56)
	if [ -n "$d1" ] && [ $((d1 - d0)) = 5 ] && [ "$r1" = 5 ] && [ "$r1b" = 490 ]; then
		t_pass observe_metrics_denied_pings_counted_by_reason_and_rule
	else
		t_fail observe_metrics_denied_pings_counted_by_reason_and_rule "drops $d0 -> $d1, rule 1 $r1 packets $r1b bytes"
	fi
	# 4 requests + 4 replies, each through p1's and p3's veth
	[ "$r2" = 16 ] && t_pass observe_metrics_rule_packets_match_traffic ||
		t_fail observe_metrics_rule_packets_match_traffic "rule 2: $r2 packets, want 16"
	v=$(( $(metric "$m1" tcseg_datapath_denied_packets_total) - $(metric "$m0" tcseg_datapath_denied_packets_total) ))
	[ "$v" = 5 ] && t_pass observe_metrics_denied_packets_counter ||
		t_fail observe_metrics_denied_packets_counter "denied +$v, want +5"
	if [ "$(metric "$m1" 'tcseg_map_entries{map="rules"}')" = 5 ] &&
	   [ "$(metric "$m1" 'tcseg_map_entries{map="devs"}')" = 3 ] &&
	   [ "$(metric "$m1" 'tcseg_map_entries{map="sessions"}')" -ge 2 ] &&
	   [ -n "$(metric "$m1" 'tcseg_map_max_entries{map="exact"}')" ] &&
	   [ "$(metric "$m1" tcseg_session_pressure_level)" = 0 ]; then
		t_pass observe_metrics_map_fill_and_pressure
	else
		t_fail observe_metrics_map_fill_and_pressure "$(grep -E '^tcseg_(map_entries|session_pressure)' <<<"$m1" | tr '\n' ' ')"
	fi
	# bounded: the 3 lowest ids have series, 4 and 5 are counted as left out
	if [ "$(grep -c '^tcseg_rule_packets_total{' <<<"$m1")" = 3 ] &&
	   ! grep -q 'rule="[45]"' <<<"$m1" &&
	   [ "$(metric "$m1" tcseg_rule_series_omitted)" = 2 ]; then
		t_pass observe_metrics_rule_series_bounded_by_limit
	else
		t_fail observe_metrics_rule_series_bounded_by_limit "$(grep -E '^tcseg_rule_(packets_total|series)' <<<"$m1" | tr '\n' ' ')"
	fi
	local bad
	if bad=$(check_format <<<"$m1"); then
		t_pass observe_metrics_prometheus_naming_help_type
	else
		t_fail observe_metrics_prometheus_naming_help_type "$bad"
	fi
	# a new rule shows up at the next scrape (the list follows the policy)
	tc_ policy del 5 >/dev/null
	[ "$(metric "$(scrape)" tcseg_rule_series_omitted)" = 1 ] &&
		t_pass observe_metrics_rule_list_follows_policy ||
		t_fail observe_metrics_rule_list_follows_policy "omitted $(metric "$(scrape)" tcseg_rule_series_omitted), want 1"
}

test_audit_rollout() {
	local n0 n1 out i
	# no monitor attached: the log is written anyway
	grep -q '"monitors":0' <<<"$(tcd -j status)" ||
		t_fail observe_no_monitor "$(tcd -j status)"
	# allowed traffic and plain denies (no drop tracing) leave nothing
	n0=$(vlines)
	pings p1 $P3 2
	pings p1 $P2 2
	sleep 0.5
	n1=$(vlines)
	[ "$n0" = 0 ] && [ "$n1" = 0 ] &&
		t_pass observe_vlog_nothing_when_nothing_to_record ||
		t_fail observe_vlog_nothing_when_nothing_to_record "$n0 -> $n1 lines: $(tail -n 1 "$LOG")"
	# the roll-out: a deny rule in audit mode; 3 flows it would deny
	tc_ policy add id 6 from $P1 to $P2 proto udp audit action deny >/dev/null
	udp_flows p1 $P2 40000 3 5000
	for i in $(seq 30); do
		[ "$(vsel "j['rule'] == 6" | wc -l)" -ge 6 ] && break
		sleep 0.1
	done
	# each flow is a new session on p1's veth (from_pod) and on p2's (to_pod)
	out=$(vsel "j['event'] == 'audit' and j['rule'] == 6 and j['action'] == 'deny' and j['src_pod'] == 'pod-one' and j['dst_pod'] == 'pod-two' and j['src'] == '$P1' and j['dst'] == '$P2' and j['dport'] == 5000 and j['proto'] == 'udp' and j['node'] == 'node-a'")
	if [ "$(wc -l <<<"$out")" = 6 ] &&
	   [ "$(vsel "j['rule'] == 6" | wc -l)" = 6 ] &&
	   [ "$(python3 -c 'import json,sys; print(sorted((json.loads(l)["sport"], json.loads(l)["dir"]) for l in sys.stdin))' <<<"$out")" = \
	     "[(40000, 'from_pod'), (40000, 'to_pod'), (40001, 'from_pod'), (40001, 'to_pod'), (40002, 'from_pod'), (40002, 'to_pod')]" ]; then
		t_pass observe_vlog_audit_rollout_every_would_be_deny_with_pods_and_rule
	else
		t_fail observe_vlog_audit_rollout_every_would_be_deny_with_pods_and_rule "$(vlines) lines: $(tail -n 2 "$LOG" | tr '\n' ' ')"
	fi
	# drops, once drop tracing is on: the reason and the rule
	tc_ config trace-drops on >/dev/null
	pings p1 $P2 2
	sleep 0.3
	[ "$(vsel "j['event'] == 'drop' and j['reason'] == 'policy' and j['rule'] == 1 and j['src_pod'] == 'pod-one' and j['proto'] == 'icmp'" | wc -l)" = 2 ] &&
		t_pass observe_vlog_drop_records ||
		t_fail observe_vlog_drop_records "$(grep '"drop"' "$LOG" | tail -n 1)"
	tc_ config trace-drops off >/dev/null
}

test_policy_last_match() {
	local j t
	j=$(tc_ -j policy list)
	if python3 -c '
import json, sys, datetime
r = {x["id"]: x for x in json.loads(sys.argv[1])}
now = datetime.datetime.now(datetime.timezone.utc)
def age(s):
    t = datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    return (now - t).total_seconds()
assert r[4]["last_match"] is None, r[4]
assert -2 <= age(r[2]["last_match"]) < 120, r[2]
assert -2 <= age(r[6]["last_match"]) < 120, r[6]
' "$j" 2>"$NT_DIR/lm.err"; then
		t_pass observe_policy_list_last_match_json
	else
		t_fail observe_policy_list_last_match_json "$(tail -n 1 "$NT_DIR/lm.err")"
	fi
	t=$(tc_ policy list)
	if grep -q "LAST-MATCH" <<<"$t" &&
	   grep -Eq "^4 .* -$" <<<"$t" &&
	   grep -Eq "^2 .* [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$" <<<"$t"; then
		t_pass observe_policy_list_last_match_text
	else
		t_fail observe_policy_list_last_match_text "$(echo "$t" | head -n 4 | tr '\n' '|')"
	fi
}

# mon NAME ARGS...: tcctl monitor ARGS in the background into NAME.out
mon() {
	local name=$1 i
	shift
	tcd "$@" >"$NT_DIR/$name.out" 2>&1 &
	NT_PIDS+=($!)
	for i in $(seq 50); do
		grep -q "hello" "$NT_DIR/$name.out" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

test_monitor_filters() {
	local out
	mon all -j monitor && mon pod3 -j monitor pod pod-three &&
	mon audit6 -j monitor verdict audit rule 6 &&
	mon ip2 -j monitor ip 10.200.0.2/32 verdict flow_log &&
	mon text monitor pod pod-two rule 3 || {
		t_fail observe_monitor_filters "monitors did not start"; return; }
	udp_flows p2 $P3 41000 2 5001	# rule 3, log: pod-two -> pod-three
	udp_flows p1 $P2 42000 2 5002	# rule 6, audit: pod-one -> pod-two
	sleep 1
	# every verdict record is in "all"; each filter keeps just its own
	out=$(python3 - "$NT_DIR" <<'EOF'
import json, sys
d = sys.argv[1]
def recs(n):
    out = []
    for l in open("%s/%s.out" % (d, n)):
        j = json.loads(l)
        if j.get("type") == "verdict":
            out.append(j)
        elif j.get("type") != "hello" and n != "all":
            out.append(j)	# filtered streams: nothing but verdicts
    return out
allv = recs("all")
for name, want in (
        ("pod3", lambda j: "pod-three" in (j["src_pod"], j["dst_pod"])),
        ("audit6", lambda j: j["event"] == "audit" and j["rule"] == 6),
        ("ip2", lambda j: "10.200.0.2" in (j["src"], j["dst"]) and j["event"] == "flow_log")):
    got = recs(name)
    exp = [j for j in allv if want(j)]
    if not exp or got != exp:
        print("%s: %d records, want %d" % (name, len(got), len(exp)))
EOF
)
	if [ -z "$out" ] && [ "$(grep -c '"verdict"' "$NT_DIR/all.out")" -ge 8 ]; then
		t_pass observe_monitor_filters_pod_ip_verdict_rule
	else
		t_fail observe_monitor_filters_pod_ip_verdict_rule "$out"
	fi
	# text mode: hello, then rule 3 records of pod-two only
	if [ "$(grep -c . "$NT_DIR/text.out")" = 5 ] &&
	   [ "$(grep -Ec ' src_pod=pod-two .* rule=3( |$)' "$NT_DIR/text.out")" = 4 ]; then
		t_pass observe_monitor_filter_text_mode
	else
		t_fail observe_monitor_filter_text_mode "$(head -n 3 "$NT_DIR/text.out" | tr '\n' '|')"
	fi
	local w ok=1
	for w in "rule 0" "rule 12x" "ip 300.1.1.1" "ip 10.0.0.0/33" "verdict deny" "pod" "port 80"; do
		out=$(tcd monitor $w 2>&1)
		if [ $? = 0 ] || ! grep -q "monitor: ${w%% *}" <<<"$out" && ! grep -q "unknown filter '${w%% *}'" <<<"$out"; then
			ok=0
			echo "# '$w' -> $out"
		fi
	done
	[ $ok = 1 ] && t_pass observe_monitor_bad_filter_refused ||
		t_fail observe_monitor_bad_filter_refused "see the lines above"
}

test_rotation() {
	local files ok=1 f last
	# rule 3 logs every new flow: ~70 records of ~400 bytes, 8 KiB files
	udp_flows p2 $P3 43000 70 5003
	sleep 1
	last=$(vsel "j['sport'] == 43069" | wc -l)
	files=$(ls "$NT_DIR/vlog" | sort | tr '\n' ' ')
	for f in "$NT_DIR"/vlog/*; do
		[ "$(stat -c %s "$f")" -le 8192 ] || { ok=0; echo "# $f: $(stat -c %s "$f") bytes"; }
		python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$f" || ok=0
	done
	if [ "$files" = "verdicts.log verdicts.log.1 verdicts.log.2 " ] && [ $ok = 1 ] &&
	   [ "$last" = 2 ] &&
	   [ "$(metric "$(scrape)" tcseg_verdict_log_rotations_total)" -ge 3 ]; then
		t_pass observe_vlog_rotation_by_size_keeps_n_files
	else
		t_fail observe_vlog_rotation_by_size_keeps_n_files "files '$files' ok=$ok newest flow in the current file $last times"
	fi
}

# A link planted at the log's name is not followed (the daemon is root):
# the record is counted as an error, the link's target stays empty.
test_symlink_not_followed() {
	local e0 e1 dpid
	e0=$(metric "$(scrape)" tcseg_verdict_log_errors_total)
	rm -f "$LOG"
	: >"$NT_DIR/target"
	ln -s "$NT_DIR/target" "$LOG"
	dpid=${NT_PIDS[0]}
	kill -HUP "$dpid"
	sleep 0.5
	udp_flows p2 $P3 44000 1 5004	# rule 3: a log record
	sleep 0.5
	e1=$(metric "$(scrape)" tcseg_verdict_log_errors_total)
	if [ -L "$LOG" ] && [ ! -s "$NT_DIR/target" ] && [ "$e1" -gt "$e0" ] &&
	   kill -0 "$dpid" 2>/dev/null; then
		t_pass observe_vlog_symlink_not_followed
	else
		t_fail observe_vlog_symlink_not_followed "target $(stat -c %s "$NT_DIR/target") bytes, errors $e0 -> $e1"
	fi
	rm -f "$LOG"
}

if ! setup >"/tmp/tcseg-observe.$NT_ID.log" 2>&1; then
	t_fail observe_setup "$(tail -n 4 "/tmp/tcseg-observe.$NT_ID.log" | tr '\n' ' ')"
	rm -f "/tmp/tcseg-observe.$NT_ID.log"
	exit 1
fi
rm -f "/tmp/tcseg-observe.$NT_ID.log"
test_metrics
test_audit_rollout
test_policy_last_match
test_monitor_filters
test_rotation
test_symlink_not_followed
t_done
