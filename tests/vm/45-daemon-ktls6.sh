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
. "$here/daemon_ktls.sh"

vm_daemon_ktls test_daemon6.sh vm6
