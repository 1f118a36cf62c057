#!/bin/bash
# What tcseg counts and decides, without a terminal attached (issue 14):
# tcsegd's metrics after known traffic, the always-on verdict log (audit
# roll-out, drops, rotation), tcctl monitor filters, rule last match.
cd "$(dirname "$0")/../.." || exit 1
exec netns-tests/test_observe.sh
