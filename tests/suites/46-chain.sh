#!/bin/bash
# tcseg beside another tc program (docs/DATAPATH.md §Chaining): allowed
# packets go on to the next program, tcx and clsact; attach first|last.
cd "$(dirname "$0")/../.." || exit 1
exec netns-tests/test_chain.sh
