#!/bin/bash
# The VM suite for `make test`: boots Debian's stock kernel once under qemu
# (tools/vm/run) and runs tests/vm/run-all.sh in it; the guest's PASS /
# FAIL / SKIP lines come through as ours. A VM that does not boot, times
# out or dies adds a FAIL line with the reason; nothing is skipped except
# without root or qemu (CI has both and counts a SKIP as a failure).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/testlib.sh

t_need_root vm-suite || exit 0
if ! command -v qemu-system-x86_64 >/dev/null; then
	t_skip vm-suite "qemu-system-x86_64 missing (make deps)"
	exit 0
fi

err=$(mktemp /tmp/tcseg-90-vm.XXXXXX)
out=$err.out
trap 'rm -f "$err" "$out"' EXIT
export TCSEG_BUILD
tools/vm/run --timeout "${TCSEG_VM_SUITE_TIMEOUT:-1800}" -- tests/vm/run-all.sh \
	2> "$err" | tee "$out"
rc=${PIPESTATUS[0]}
cat "$err" >&2

why=$(grep '^vm: ' "$err" | grep -v 'last lines\|full console\|run directory' |
	head -n 2 | sed 's/^vm: //' | tr '\n' ' ')
case $rc in
0) ;;
124) t_fail vm-suite "VM timeout: ${why:-no reason given} (console log: $TCSEG_BUILD/vm/last-console.log)" ;;
125) t_fail vm-suite "VM failed: ${why:-no reason given} (console log: $TCSEG_BUILD/vm/last-console.log)" ;;
*)
	grep -q '^FAIL ' "$out" ||
		t_fail vm-suite "tests/vm/run-all.sh exited $rc without a FAIL line"
	exit 1
	;;
esac
t_done
