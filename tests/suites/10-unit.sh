#!/bin/bash
# cmocka unit tests: every build/tests/unit/test_* binary, TAP output.
set -uo pipefail
cd "$(dirname "$0")/../.."
export CMOCKA_MESSAGE_OUTPUT=TAP
rc=0
for t in "${TCSEG_BUILD:-build}"/tests/unit/test_*; do
	[ -x "$t" ] || continue
	echo "# $(basename "$t")"
	"$t" || rc=1
done
exit $rc
