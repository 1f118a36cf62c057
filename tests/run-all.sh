#!/bin/bash
# Run every test suite in tests/suites/ (in name order) and count results.
#
# A suite is an executable that prints one line per test:
#   PASS name | FAIL name: why | SKIP name: why   (our shell and C tests)
#   ok N - name | not ok N - name                  (cmocka in TAP mode)
# A suite that exits non-zero without printing a FAIL line counts as one
# failure. With TCSEG_NO_SKIP=1 (set by .ci/run) a SKIP counts as a
# failure: CI has root, BPF and qemu, so nothing may be skipped there.
#
# Usage: tests/run-all.sh [SUITE-NAME-SUBSTRING...]
set -uo pipefail
cd "$(dirname "$0")/.."

export CMOCKA_MESSAGE_OUTPUT=TAP
export TCSEG_BUILD=${TCSEG_BUILD:-$PWD/build}
pass=0 fail=0 skip=0
failed=()
log_dir=${TCSEG_TEST_LOGS:-$TCSEG_BUILD/test-logs}
mkdir -p "$log_dir"

want() {
	local s=$1 f
	[ $# -gt 1 ] || return 0
	shift
	for f in "$@"; do
		[[ $s == *"$f"* ]] && return 0
	done
	return 1
}

# the tests' network namespaces (netns-tests/lib.sh names them tcseg-*)
test_netns() { ip netns list 2>/dev/null | awk '$1 ~ /^tcseg-/ { print $1 }' | sort; }

for suite in tests/suites/*; do
	[ -x "$suite" ] || continue
	name=$(basename "$suite")
	want "$name" "$@" || continue
	echo "=== suite $name"
	out="$log_dir/$name.log"
	ns_before=$(test_netns)
	"$suite" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	# a suite cleans up after itself: namespaces it leaves behind (and
	# the processes in them) would disturb every later run
	left=$(comm -13 <(echo "$ns_before") <(test_netns) | tr '\n' ' ')
	if [ -n "${left% }" ]; then
		echo "FAIL suite_${name}_leaves_no_netns: left ${left% }" | tee -a "$out"
		for ns in $left; do
			ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
			ip netns del "$ns" 2>/dev/null
		done
	fi
	p=$(grep -cE '^(PASS |ok [0-9])' "$out")
	f=$(grep -cE '^(FAIL |not ok [0-9])' "$out")
	s=$(grep -cE '^SKIP ' "$out")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL suite $name: exited $rc without a FAIL line"
		f=1
	fi
	if [ "${TCSEG_NO_SKIP:-0}" = 1 ] && [ "$s" -gt 0 ]; then
		echo "FAIL suite $name: $s test(s) skipped where nothing may be"
		f=$((f + s))
		s=0
	fi
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	[ "$f" -eq 0 ] || failed+=("$name")
done

# a run that executed nothing proves nothing
if [ $((pass + fail)) -eq 0 ]; then
	echo "FAIL no test ran"
	fail=1
fi
[ ${#failed[@]} -eq 0 ] || echo "failed suites: ${failed[*]} (logs in $log_dir)"
if [ "$skip" -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]
