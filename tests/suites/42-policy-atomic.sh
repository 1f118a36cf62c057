#!/bin/bash
# Concurrent tcctl writers and atomic policy replace (root + BPF):
# a BPF_PROG_TEST_RUN packet stream through the replace code path, then
# netns-tests/test_policy_atomic.sh (real writers, real traffic).
set -uo pipefail
. "$(dirname "$0")/../lib/testlib.sh"

bin=$TCSEG_BUILD/tests/policy/test_replace

t_need_root policy_atomic || exit 0
if [ ! -x "$bin" ]; then
	t_fail policy_replace_stream "$bin not built (make $bin)"
	exit 1
fi
dir=$(mktemp -d /tmp/tcseg-replace.XXXXXX)
mkdir -p "$dir/bpf"
if ! mount -t bpf bpf "$dir/bpf"; then
	t_fail policy_replace_stream "cannot mount a private bpffs"
	rm -rf "$dir"
	exit 1
fi
"$bin" "$dir/bpf/tcseg" 200 || T_FAILS=$((T_FAILS + 1))
umount "$dir/bpf"
rm -rf "$dir"
"$TCSEG_ROOT/netns-tests/test_policy_atomic.sh" || T_FAILS=$((T_FAILS + 1))
t_done
