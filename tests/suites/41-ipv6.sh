#!/bin/bash
# IPv6 on dual-stack pods (issue 12): netns tests of rules, binding,
# extension headers, fragments, NDP and ICMPv6 on real veths. Needs root,
# BPF and /usr/bin/python3 with scapy.
cd "$(dirname "$0")/../.." || exit 1
exec netns-tests/test_ipv6.sh
