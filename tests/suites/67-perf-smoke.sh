#!/bin/bash
# Smoke run of the mode comparison (bench/perf_test.sh host -q, issue #5
# part 3): the two-node topology, both daemons, every mode with tiny
# counts. Every mode must give figures: plain, allow and user-space OpenSSL
# their table row; the encrypt modes their row where the kernel has kTLS,
# or "n/a (no kTLS ...)" and a hand-off proxy sample per provider where it
# has not. Must finish within 90 s. Needs root and BPF.
set -uo pipefail
. "$(dirname "$0")/../lib/testlib.sh"

W=$(mktemp -d /tmp/tcseg-perfsmoke.XXXXXX)
trap 'rm -rf "$W"' EXIT

t_need_root perf_smoke || exit 0
for f in tcsegd tcctl bench/tlshub_bench tests/tlshub_peer libtcseg_kp_openssl.so libtcseg_kp_boringssl.so; do
	if [ ! -e "$TCSEG_BUILD/$f" ]; then
		t_fail perf_smoke_built "$TCSEG_BUILD/$f missing (make all)"
		exit 1
	fi
done

t0=$(date +%s)
timeout -k 5 85 "$TCSEG_ROOT/bench/perf_test.sh" host -q --conns 10 --duration 0.5 \
	--out "$W/out" >"$W/log" 2>&1
rc=$?
t=$(($(date +%s) - t0))
if [ $rc -eq 0 ] && grep -q '^every mode produced its figures$' "$W/log"; then
	t_pass perf_smoke_runs
else
	t_fail perf_smoke_runs "exit $rc after ${t}s: $(grep -A4 -E '^PROBLEMS|perf_test:' "$W/log" | head -n 5 | tr '\n' ' ')"
fi
[ $t -lt 90 ] && t_pass perf_smoke_under_90s || t_fail perf_smoke_under_90s "took ${t}s"

# the table, checked here on its own: a row per mode, each figure a
# number (plain has no ratio, the others "N (Rx)"), then the daemons' CPU %
tab=$W/out/table.txt
pos='[0-9]+(\.[0-9]+)?'
cell="$pos( \\(${pos}x\\))?"
full="^\\| %s \\| $cell \\| $cell \\| $cell \\| $cell \\| $cell \\| $cell \\| $pos \\|\$"
bad=
for m in plain allow userspace-openssl; do
	# shellcheck disable=SC2059
	grep -Eq "$(printf "$full" "$m")" "$tab" 2>/dev/null || bad="$bad $m"
done
ktls=$(sed -n 's/^tcsegd: capture .*, kTLS \([01]\)$/\1/p' "$W/log")
for m in encrypt-openssl encrypt-boringssl encrypt-tlshub; do
	if [ "$ktls" = 1 ]; then
		# shellcheck disable=SC2059
		grep -Eq "$(printf "$full" "$m")" "$tab" || bad="$bad $m"
	else
		grep -q "^| $m | n/a (no kTLS: flows fail closed) |" "$tab" 2>/dev/null || bad="$bad $m"
	fi
done
[ -n "$ktls" ] || bad="$bad (no kTLS line)"
[ -z "$bad" ] && t_pass perf_smoke_table_row_per_mode ||
	t_fail perf_smoke_table_row_per_mode "missing or without figures:$bad"

# hand-off figure per provider: at least one client flow, a p50 in us
bad=
for p in openssl boringssl tlshub; do
	grep -Eq "^\\| $p \\| [1-9][0-9]* \\| $pos \\| $pos \\|" "$tab" 2>/dev/null || bad="$bad $p"
done
[ -z "$bad" ] && t_pass perf_smoke_handoff_per_provider ||
	t_fail perf_smoke_handoff_per_provider "no hand-off figure for:$bad"

# the kept results: tlshub_bench's reports per run, results.csv
bad=
for m in plain allow userspace-openssl encrypt-openssl encrypt-boringssl encrypt-tlshub; do
	[ -s "$W/out/runs/$m-conn-r1.json" ] && [ -s "$W/out/runs/$m-conn-r1.csv" ] || bad="$bad $m.json/csv"
	grep -q "^$m-conn-r1,$m,conn,1," "$W/out/results.csv" 2>/dev/null || bad="$bad $m-in-results.csv"
done
[ -z "$bad" ] && t_pass perf_smoke_results_kept || t_fail perf_smoke_results_kept "$bad"
t_done
