#!/bin/bash
# tcsegd end to end where the kernel has kTLS and kprobes (the VM): the
# two-node netns test (netns-tests/test_daemon.sh) detects kTLS and then
# asserts the success path: the held client's socket gets kTLS, the
# server's accepted socket too, the marker goes both ways through kTLS,
# and a capture of the node link shows TLS records only, never the
# marker. Run twice: tracepoint capture and kprobe capture (forced).
# Outside the VM this re-runs itself in one.
# vm-timeout: 900
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/testlib.sh"

if [ "${TCSEG_IN_VM:-0}" != 1 ]; then
	exec "$TCSEG_ROOT/tools/vm/run" -- "$here/$(basename "$0")"
fi
modprobe tls 2>/dev/null
rc=0
for v in tracepoint kprobe; do
	echo "# capture variant $v"
	# TCG is slow: a TLS handshake between the nodes takes seconds
	HOLD_MS=15000 KEY_MS=5000 CLIENT_S=30 VARIANT=$v NT_ID=vm$v \
		"$TCSEG_ROOT/netns-tests/test_daemon.sh" |
		sed "s/^\(PASS\|FAIL\|SKIP\) /\1 $v:/"
	[ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
done
exit $rc
