#!/bin/bash
# The per-connection path through the capture and tcsegd (issues #13,
# #14): back-to-back encrypt hand-offs never wait for the daemon's tick,
# allow connections leave no capture record, the daemon's short
# scheduler slice, no unsecured drop (netns-tests/test_handoff_wake.sh).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/testlib.sh
t_need_root handoff-wake || { t_done; exit; }
if [ ! -x "$TCSEG_BUILD/tcsegd" ]; then
	t_fail handoff_wake_build "$TCSEG_BUILD/tcsegd missing (make all)"
	exit 1
fi
netns-tests/test_handoff_wake.sh || T_FAILS=$((T_FAILS + 1))
t_done
