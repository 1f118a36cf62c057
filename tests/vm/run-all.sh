#!/bin/bash
# The VM test suite. Runs INSIDE the guest (tools/vm/run sets TCSEG_IN_VM=1):
# every executable tests/vm/[0-9]*.sh in name order, each printing
# "PASS name" / "FAIL name: why" / "SKIP name: why" lines, which pass
# through to our stdout. A test that exits non-zero without a FAIL line,
# or runs longer than TCSEG_VM_TEST_TIMEOUT seconds (default 300), gets a
# FAIL line here. Exit status 1 if anything failed.
#
# From the host: make vmtest, or tools/vm/run -- tests/vm/run-all.sh [SUBSTR...]
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1

if [ "${TCSEG_IN_VM:-0}" != 1 ]; then
	echo "FAIL vm-suite: not inside the test VM (run: tools/vm/run -- tests/vm/run-all.sh)"
	exit 1
fi

want() {
	local s=$1 f
	[ $# -gt 1 ] || return 0
	shift
	for f in "$@"; do
		[[ $s == *"$f"* ]] && return 0
	done
	return 1
}

default_limit=${TCSEG_VM_TEST_TIMEOUT:-300}
out=$(mktemp /tmp/tcseg-vmtest.XXXXXX)
trap 'rm -f "$out"' EXIT
fails=0 ran=0
for t in tests/vm/[0-9]*.sh; do
	[ -x "$t" ] || continue
	name=$(basename "$t" .sh)
	want "$name" "$@" || continue
	ran=$((ran + 1))
	echo "=== vm $name"
	# a test may ask for more time with a line "# vm-timeout: SECONDS"
	limit=$(awk '/^# vm-timeout: [0-9]+$/ { print $3; exit }' "$t")
	limit=${limit:-$default_limit}
	timeout -k 5 "$limit" "$t" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	f=$(grep -cE '^FAIL ' "$out")
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		echo "FAIL vm/$name: timed out after ${limit}s"
		f=$((f + 1))
	elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL vm/$name: exited $rc without a FAIL line"
		f=1
	fi
	fails=$((fails + f))
done
if [ "$ran" -eq 0 ]; then
	echo "FAIL vm-suite: no test matched in tests/vm/"
	exit 1
fi
[ "$fails" -eq 0 ]
