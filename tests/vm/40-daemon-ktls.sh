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
. "$here/daemon_ktls.sh"

vm_daemon_ktls test_daemon.sh vm
