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
# ctl/ layering: no part includes a header of a part above it
if out=$(/usr/bin/python3 tools/check-layers.py 2>&1); then
	echo "PASS ctl_layers"
else
	echo "FAIL ctl_layers: $(echo "$out" | tr '\n' ';')"
	rc=1
fi
exit $rc
