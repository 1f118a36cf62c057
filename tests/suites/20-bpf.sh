#!/bin/bash
# BPF_PROG_TEST_RUN suite of the data plane: every verdict path, TCP
# states, audit, pressure, SYN guard, fragments, ICMP errors and a fuzz
# loop, on crafted frames in a private netns (no traffic). Needs root.
set -uo pipefail
. "$(dirname "$0")/../lib/testlib.sh"

bin=$TCSEG_BUILD/tests/bpf/test_datapath
name=bpf_datapath

t_need_root "$name" || exit 0
if [ ! -x "$bin" ]; then
	t_fail "$name" "$bin not built (make $bin)"
	exit 1
fi
# The binary prints PASS/FAIL per case and exits non-zero on a failure.
"$bin"
