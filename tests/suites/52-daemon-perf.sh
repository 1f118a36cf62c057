#!/bin/bash
# tcsegd performance metrics (issue #5 part 2): bench/plot.py on synthetic
# inputs (no root), then the two-node run netns-tests/test_daemon_perf.sh
# (root + BPF): histograms on the metrics endpoint, perf_metrics files on
# SIGTERM, an unwritable perf_metrics_dir. The histogram code itself is
# tested by tests/unit/test_metrics (10-unit.sh).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/testlib.sh

tmp=$(mktemp -d /tmp/tcseg-52.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# paths of class "cdf" in an SVG that must parse as XML
cdf_paths() {
	python3 -c 'import sys, xml.etree.ElementTree as E
r = E.parse(sys.argv[1]).getroot()
assert r.tag == "{http://www.w3.org/2000/svg}svg", r.tag
print(sum(1 for p in r.iter("{http://www.w3.org/2000/svg}path")
          if p.get("class") == "cdf"))' "$1"
}

# three tlshub_bench --samples files: one line each, labelled by stem
python3 - "$tmp" <<'EOF'
import random, sys
random.seed(5)
for name, mu in (("openssl", 400.0), ("ktls", 250.0), ("plain", 60.0)):
    with open("%s/%s.samples.csv" % (sys.argv[1], name), "w") as f:
        f.write("kind,us\n")
        for kind in ("connect", "handshake", "setup", "request"):
            for _ in range(300):
                f.write("%s,%.3f\n" % (kind, random.lognormvariate(0, 0.6) * mu))
EOF
out=$(python3 bench/plot.py "$tmp/l.svg" "$tmp/openssl.samples.csv" \
	"$tmp/ktls.samples.csv" "$tmp/plain.samples.csv" 2>&1)
if [ $? -eq 0 ] && [ "$(cdf_paths "$tmp/l.svg" 2>&1)" = 3 ] &&
   grep -q '<title>openssl</title>' "$tmp/l.svg" &&
   grep -q '<title>plain</title>' "$tmp/l.svg" &&
   grep -q '>100 µs</text>' "$tmp/l.svg"; then
	t_pass plot_samples_csv_one_cdf_per_input
else
	t_fail plot_samples_csv_one_cdf_per_input "$out $(cdf_paths "$tmp/l.svg" 2>&1)"
fi
python3 bench/plot.py --kind all "$tmp/k.svg" "$tmp/ktls.samples.csv" >/dev/null 2>&1 &&
[ "$(cdf_paths "$tmp/k.svg" 2>&1)" = 4 ] &&
	t_pass plot_samples_kind_all_one_cdf_per_kind ||
	t_fail plot_samples_kind_all_one_cdf_per_kind "$(cdf_paths "$tmp/k.svg" 2>&1)"

# a daemon perf_metrics JSON: a bucketed CDF per non-empty histogram
cat >"$tmp/perf.json" <<'EOF'
{"format": "tcseg-perf-metrics-1", "counters": {},
 "histograms": {
  "key_fetch_openssl": {"count": 4, "sum_us": 900, "p50_us": 1, "p90_us": 1, "p99_us": 1,
    "buckets": [{"le_us": 100, "n": 1}, {"le_us": 250, "n": 2}, {"le_us": 500, "n": 0}, {"le_us": "+Inf", "n": 1}]},
  "ktls_config": {"count": 0, "sum_us": 0, "p50_us": 0, "p90_us": 0, "p99_us": 0,
    "buckets": [{"le_us": 5, "n": 0}, {"le_us": "+Inf", "n": 0}]}}}
EOF
out=$(python3 bench/plot.py "$tmp/j.svg" "$tmp/perf.json" 2>&1)
if [ $? -eq 0 ] && [ "$(cdf_paths "$tmp/j.svg" 2>&1)" = 1 ] &&
   grep -q '<title>perf:key_fetch_openssl</title>' "$tmp/j.svg" &&
   grep -q '1 above 500 µs' "$tmp/j.svg"; then
	t_pass plot_perf_json_bucketed_cdf
else
	t_fail plot_perf_json_bucketed_cdf "$out $(cdf_paths "$tmp/j.svg" 2>&1)"
fi

# hostile input: named file and line, exit 1, no output file
printf 'kind,us\nsetup,12\nsetup,oops\n' >"$tmp/bad.samples.csv"
out=$(python3 bench/plot.py "$tmp/bad.svg" "$tmp/bad.samples.csv" 2>&1)
if [ $? -eq 1 ] && grep -q "bad.samples.csv:3: bad latency 'oops'" <<<"$out" &&
   [ ! -e "$tmp/bad.svg" ]; then
	t_pass plot_bad_input_named_file_and_line
else
	t_fail plot_bad_input_named_file_and_line "$out"
fi

t_need_root daemon-perf || { t_done; exit; }
if [ ! -x "$TCSEG_BUILD/tcsegd" ]; then
	t_fail daemon_perf_build "$TCSEG_BUILD/tcsegd missing (make all)"
	exit 1
fi
netns-tests/test_daemon_perf.sh || T_FAILS=$((T_FAILS + 1))
t_done
