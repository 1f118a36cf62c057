#!/bin/bash
# tcseg-cni: its error answers to hostile input (tests/podman/
# test_cni_errors.sh), then real containers through it: podman, runc, CNI
# bridge + host-local + tcseg-cni (tests/podman/test_podman.sh, root).
cd "$(dirname "$0")/../.." || exit 1
rc=0
tests/podman/test_cni_errors.sh || rc=1
tests/podman/test_podman.sh || rc=1
exit $rc
