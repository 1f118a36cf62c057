#!/bin/bash
# Sourced by the VM tests of tcsegd with kTLS (tests/vm/40-daemon-ktls.sh,
# 45-daemon-ktls6.sh), not a test itself (no leading digit).
# vm_daemon_ktls TEST ID: outside the VM, re-run the calling test in one;
# inside, run netns-tests/TEST twice, with the tracepoint capture and
# with the kprobe capture (forced), slow timeouts for TCG, PASS/FAIL
# lines tagged with the variant. Exits with the result.
vm_daemon_ktls() {
	local test=$1 id=$2 v rc=0
	if [ "${TCSEG_IN_VM:-0}" != 1 ]; then
		exec "$TCSEG_ROOT/tools/vm/run" -- "$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
	fi
	modprobe tls 2>/dev/null
	for v in tracepoint kprobe; do
		echo "# capture variant $v"
		# TCG is slow: a TLS handshake between the nodes takes seconds
		HOLD_MS=15000 KEY_MS=5000 CLIENT_S=30 VARIANT=$v NT_ID=$id$v \
			"$TCSEG_ROOT/netns-tests/$test" |
			sed "s/^\(PASS\|FAIL\|SKIP\) /\1 $v:/"
		[ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
	done
	exit $rc
}
