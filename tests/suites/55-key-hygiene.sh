#!/bin/bash
# Key hygiene (issue #6 part 4), root + BPF: no key byte in any log,
# monitor stream, tcctl output, metrics or peer output of a TLSHub-mode
# run with a known key, none left in the daemons' memory (core path)
# after the hand-off (netns-tests/test_key_hygiene.sh); tcsegd with only
# its minimal capabilities (netns-tests/test_daemon_caps.sh).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/testlib.sh

t_need_root key-hygiene-suite || exit 0
netns-tests/test_key_hygiene.sh || T_FAILS=$((T_FAILS + 1))
netns-tests/test_daemon_caps.sh || T_FAILS=$((T_FAILS + 1))
t_done
