#!/bin/bash
# tcsegd performance metrics end to end (issue #5 part 2, seed 002) on the
# two-node topology of netns-tests/twonode.sh: encrypt flows (keys agreed,
# then kTLS missing here -> failed closed) and allow flows, the histograms
# on the metrics endpoint, then SIGTERM: perf_metrics_*.json/.csv written
# 0600 into perf_metrics_dir with the counts the endpoint showed before
# exit; an unwritable perf_metrics_dir is logged and the exit stays clean;
# bench/plot.py draws the daemon's JSON.
# Like every twonode.sh test it assumes no other two-node test runs on
# the kernel at the same time: the capture tracepoint sees all network
# namespaces, so another instance's daemon with the same pod IPs would
# take this test's flows (and the other way round).
set -uo pipefail
. "$(dirname "$0")/../tests/lib/testlib.sh"
NT_ID=${NT_ID:-perf$$}
. "$(dirname "$0")/twonode.sh"

setup() {
	tn_setup || return 1
	local n port r
	for n in a b; do
		mkdir -m 700 "$DIR/perf-$n" || return 1
		echo "perf_metrics_dir = $DIR/perf-$n" >>"$DIR/$n.conf"
	done
	in_pod pod-b1 $FLOW tcp-server $ALLOW_PORT &
	PIDS+=($!)
	tn_enc_server $ENC_PORT
	start_daemon a && start_daemon b || return 1
	for n in a b; do
		r="tcn $n policy add"
		$r id 1 from $A1 to $B1 proto tcp dport $ENC_PORT action encrypt >/dev/null &&
		$r id 2 from 10.200.1.0/24 to $B1 proto tcp dport $ALLOW_PORT action allow >/dev/null || return 1
	done
	tn_wait_listen 3 pod-b1 $ENC_PORT $ALLOW_PORT
	return 0
}

scrape() {	# scrape NODE: the metrics text of the node's daemon
	ip netns exec "$(node_ns $1)" python3 -c 'import urllib.request
print(urllib.request.urlopen("http://127.0.0.1:9469/metrics", timeout=3).read().decode(), end="")'
}

prom() {	# prom TEXT SERIES: the value of one series ("" if absent)
	awk -v s="$2" '$1 == s { print $2 }' <<<"$1"
}

# Two encrypt flows (fail closed at the kTLS stage after keys agreed,
# or secured where kTLS exists) and two allow flows; then wait until
# node a is idle: nothing in flight, the same counters twice in a row.
make_flows() {
	local i m prev=
	for i in 1 2; do
		in_pod pod-a1 $FLOW tcp-client $B1 $ENC_PORT "enc-$i" >/dev/null 2>&1
		in_pod pod-a1 $FLOW tcp-client $B1 $ALLOW_PORT "allow-$i" >/dev/null 2>&1 ||
			t_fail daemon_perf_allow_flow "allow flow $i failed"
	done
	for i in $(seq 50); do
		m=$(scrape a | grep -v '^#')
		if [ "$(prom "$m" tcseg_handoff_in_flight)" = 0 ] &&
		   [ "$(prom "$m" 'tcseg_key_fetch_total{result="ok"}')" -ge 2 ] &&
		   [ "$m" = "$prev" ]; then
			return 0
		fi
		prev=$m
		sleep 0.3
	done
	echo "$m" >"$DIR/metrics-a.txt"
	return 1
}

test_histograms_on_endpoint() {
	local m ok=1 s kf hs hy hn ko kc
	m=$(scrape a)
	for s in 'tcseg_key_fetch_seconds_count{provider="openssl"}' \
		 'tcseg_key_fetch_seconds_count{provider="boringssl"}' \
		 'tcseg_key_fetch_seconds_count{provider="tlshub"}' \
		 'tcseg_provider_handshake_seconds_count{provider="openssl"}' \
		 'tcseg_ktls_config_seconds_count' \
		 'tcseg_handoff_latency_seconds_count' \
		 'tcseg_key_fetch_handshakes_total{attributed="yes"}'; do
		[ -n "$(prom "$m" "$s")" ] || { ok=; echo "missing $s" >&2; }
	done
	kf=$(prom "$m" 'tcseg_key_fetch_seconds_count{provider="openssl"}')
	hs=$(prom "$m" 'tcseg_provider_handshake_seconds_count{provider="openssl"}')
	hy=$(prom "$m" 'tcseg_key_fetch_handshakes_total{attributed="yes"}')
	hn=$(prom "$m" 'tcseg_key_fetch_handshakes_total{attributed="no"}')
	ko=$(prom "$m" 'tcseg_ktls_total{result="ok"}')
	kc=$(prom "$m" 'tcseg_ktls_config_seconds_count')
	# every successful fetch timed under the provider in use; the first
	# one opened the node session (a fresh mTLS handshake)
	if [ -n "$ok" ] &&
	   [ "$kf" = "$(prom "$m" 'tcseg_key_fetch_total{result="ok"}')" ] &&
	   [ "$kf" -ge 2 ] && [ "$hs" = "$hy" ] && [ $((hy + hn)) -ge 1 ] &&
	   [ "$hs" -le "$kf" ] && [ "$kc" = "$ko" ] &&
	   [ "$(prom "$m" 'tcseg_key_fetch_seconds_bucket{provider="openssl",le="+Inf"}')" = "$kf" ] &&
	   [ "$(prom "$m" 'tcseg_captured_connections_total{side="connect"}')" -ge 4 ]; then
		t_pass daemon_perf_histograms_on_metrics_endpoint
	else
		t_fail daemon_perf_histograms_on_metrics_endpoint "$(grep -E '^tcseg_(key_fetch|provider_handshake|ktls_config)_seconds_count|^tcseg_captured|^tcseg_key_fetch_handshakes' <<<"$m" | tr '\n' ' ')"
	fi
}

# check_files NODE: files present, 0600, counts = the scrape before exit
check_files() {
	local n=$1 out
	out=$(python3 - "$DIR/perf-$n" "$DIR/metrics-$n.txt" <<'EOF'
import csv, json, os, re, stat, sys
d, mfile = sys.argv[1], sys.argv[2]
names = sorted(os.listdir(d))
assert len(names) == 2, "files: %s" % names
js = [x for x in names if x.endswith(".json")]
cs = [x for x in names if x.endswith(".csv")]
assert len(js) == 1 and len(cs) == 1, names
assert re.fullmatch(r"perf_metrics_\d{8}-\d{6}\.json", js[0]), js[0]
assert js[0][:-5] == cs[0][:-4], names
for x in names:
    mode = stat.S_IMODE(os.stat(os.path.join(d, x)).st_mode)
    assert mode == 0o600, "%s mode %o" % (x, mode)
j = json.load(open(os.path.join(d, js[0])))
# only the documented fields: numbers and a few known strings
assert set(j) == {"format", "time_utc", "node", "provider", "percentiles",
                  "counters", "histograms"}, sorted(j)
assert j["format"] == "tcseg-perf-metrics-1" and j["provider"] == "openssl"
assert all(isinstance(v, int) for v in j["counters"].values())
prom = {}
for line in open(mfile):
    if line.startswith("#") or not line.strip():
        continue
    k, v = line.rsplit(" ", 1)
    prom[k] = float(v)
c, h = j["counters"], j["histograms"]
pairs = [
    ("captured_connect", 'tcseg_captured_connections_total{side="connect"}'),
    ("captured_accept", 'tcseg_captured_connections_total{side="accept"}'),
    ("key_fetch_ok", 'tcseg_key_fetch_total{result="ok"}'),
    ("key_fetch_error", 'tcseg_key_fetch_total{result="error"}'),
    ("ktls_unavailable", 'tcseg_ktls_total{result="unavailable"}'),
    ("handoff_failed", 'tcseg_handoff_total{result="failed"}'),
    ("handoff_secured", 'tcseg_handoff_total{result="secured"}'),
    ("key_fetch_handshake", 'tcseg_key_fetch_handshakes_total{attributed="yes"}'),
]
for key, series in pairs:
    assert c[key] == prom[series], "%s %s != %s" % (key, c[key], prom[series])
hist = [
    ("handoff_latency", "tcseg_handoff_latency_seconds", ""),
    ("key_fetch_openssl", "tcseg_key_fetch_seconds", '{provider="openssl"}'),
    ("key_fetch_tlshub", "tcseg_key_fetch_seconds", '{provider="tlshub"}'),
    ("handshake_openssl", "tcseg_provider_handshake_seconds", '{provider="openssl"}'),
    ("ktls_config", "tcseg_ktls_config_seconds", ""),
]
for key, fam, lab in hist:
    x = h[key]
    assert x["count"] == prom[fam + "_count" + lab], "%s count" % key
    assert abs(x["sum_us"] / 1e6 - prom[fam + "_sum" + lab]) < 1e-5, key
    assert sum(b["n"] for b in x["buckets"]) == x["count"], key
    assert x["buckets"][-1]["le_us"] == "+Inf"
    assert x["p50_us"] <= x["p90_us"] <= x["p99_us"], key
rows = list(csv.DictReader(open(os.path.join(d, cs[0]))))
assert len(rows) == len(c) + len(h), len(rows)
for r in rows:
    if r["type"] == "counter":
        assert int(r["value"]) == c[r["metric"]], r
    else:
        assert int(r["count"]) == h[r["metric"]]["count"], r
        assert float(r["p90_us"]) == h[r["metric"]]["p90_us"], r
print("ok", c["key_fetch_ok"], h["key_fetch_openssl"]["count"],
      h["handshake_openssl"]["count"], c["handoff_failed"])
EOF
	2>&1)
	if [ $? -eq 0 ]; then
		t_pass "daemon_perf_files_${n}_0600_match_endpoint"
	else
		t_fail "daemon_perf_files_${n}_0600_match_endpoint" "$(echo "$out" | tail -n 2 | tr '\n' ' ')"
	fi
}

test_sigterm_writes_files() {
	local n rc
	scrape a >"$DIR/metrics-a.txt" && scrape b >"$DIR/metrics-b.txt" || {
		t_fail daemon_perf_scrape "metrics endpoint"
		return
	}
	kill -TERM $DPID_A $DPID_B
	wait $DPID_A
	rc=$?
	wait $DPID_B
	rc=$((rc + $?))
	DPID_A= DPID_B=
	if [ $rc -eq 0 ] && grep -q "metrics perf metrics written json=$DIR/perf-a/perf_metrics_" "$DIR/a.log"; then
		t_pass daemon_perf_sigterm_clean_exit_logs_files
	else
		t_fail daemon_perf_sigterm_clean_exit_logs_files "rc $rc: $(tail -n 2 "$DIR/a.log" | tr '\n' ' ')"
	fi
	for n in a b; do
		check_files $n
	done
	local out
	if out=$(python3 "$TCSEG_ROOT/bench/plot.py" "$DIR/perf-a.svg" "$DIR"/perf-a/*.json 2>&1) &&
	   python3 -c 'import sys, xml.etree.ElementTree as E
r = E.parse(sys.argv[1]).getroot()
n = sum(1 for p in r.iter("{http://www.w3.org/2000/svg}path") if "cdf" in p.get("class", ""))
sys.exit(0 if n >= 2 else 1)' "$DIR/perf-a.svg"; then
		t_pass daemon_perf_json_plots
	else
		t_fail daemon_perf_json_plots "$out"
	fi
}

test_unwritable_dir_logged() {
	local rc
	sed -i "s|^perf_metrics_dir = .*|perf_metrics_dir = $DIR/no-such-dir|" "$DIR/a.conf"
	start_daemon a || { t_fail daemon_perf_unwritable_dir "restart failed"; return; }
	kill -TERM $DPID_A
	wait $DPID_A
	rc=$?
	DPID_A=
	if [ $rc -eq 0 ] &&
	   grep -q "error metrics perf_metrics_dir $DIR/no-such-dir: cannot write the perf_metrics files error=\"No such file or directory\"" "$DIR/a.log" &&
	   grep -q " daemon stopped" <(tail -n 1 "$DIR/a.log") &&
	   [ ! -e "$DIR/no-such-dir" ]; then
		t_pass daemon_perf_unwritable_dir_logged_clean_exit
	else
		t_fail daemon_perf_unwritable_dir_logged_clean_exit "rc $rc: $(tail -n 2 "$DIR/a.log" | tr '\n' ' ')"
	fi
}

t_need_root daemon-perf || exit 0
if ! setup; then
	t_fail daemon_perf_setup "$(tail -n 3 "$DIR/a.log" "$DIR/b.log" 2>/dev/null | tr '\n' ' ')"
	exit 1
fi
if make_flows; then
	t_pass daemon_perf_flows_accounted
	test_histograms_on_endpoint
	test_sigterm_writes_files
	test_unwritable_dir_logged
else
	t_fail daemon_perf_flows_accounted "$(grep -E '^tcseg_(key_fetch|handoff)_total' "$DIR/metrics-a.txt" | tr '\n' ' ') $(grep -E 'failed closed|refused' "$DIR/a.log" | tail -n 2 | tr '\n' ' ')"
fi
t_done
