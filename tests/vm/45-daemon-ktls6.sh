#!/bin/bash
# tcsegd over IPv6 where the kernel has kTLS (the VM): the dual-stack
# two-node test (netns-tests/test_daemon6.sh) detects kTLS and then
# asserts the success path for an encrypt flow between two pods over
# IPv6: both ends secured, the marker echoed through kTLS, and a capture
# of the node link shows TLS records only, never the marker; and a
# dual-stack listener's IPv4 client handed off as an IPv4 flow. Run with
# the tracepoint capture and the kprobe capture (forced: tcp_v6_connect).
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
	HOLD_MS=15000 KEY_MS=5000 CLIENT_S=30 VARIANT=$v NT_ID=vm6$v \
		"$TCSEG_ROOT/netns-tests/test_daemon6.sh" |
		sed "s/^\(PASS\|FAIL\|SKIP\) /\1 $v:/"
	[ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
done
exit $rc
