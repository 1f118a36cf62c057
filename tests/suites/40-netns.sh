#!/bin/bash
# netns integration tests (root + BPF): every netns-tests/test_*.sh.
cd "$(dirname "$0")/../.." || exit 1
rc=0
for t in netns-tests/test_*.sh; do
	echo "# $t"
	"$t" || rc=1
done
exit $rc
