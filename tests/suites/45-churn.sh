#!/bin/bash
# Fault test (issue #6): 10,000 policy add/del cycles with traffic running,
# no leaked map entries, counters consistent (root + BPF, about 2 min).
# CHURN_SINGLE / CHURN_BATCH / CHURN_SAMPLE_EVERY scale it (see the script).
cd "$(dirname "$0")/../.." || exit 1
echo "# netns-tests/test_churn.sh"
exec netns-tests/test_churn.sh
