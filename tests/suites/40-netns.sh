#!/bin/bash
# netns integration tests (root + BPF) of the data plane and capture.
cd "$(dirname "$0")/../.." || exit 1
rc=0
# the daemon's netns test has its own suite (50-daemon.sh)
for t in netns-tests/test_policy.sh netns-tests/test_capture.sh \
	netns-tests/test_hostile.sh \
	netns-tests/test_sessions.sh; do
	echo "# $t"
	"$t" || rc=1
done
# the deferred connect record (docs/CAPTURE.md), forced on this kernel
echo "# netns-tests/test_capture.sh, connect records at connect()'s exit"
TCSEG_CAPTURE_DEFER_ALL=1 netns-tests/test_capture.sh || rc=1
exit $rc
