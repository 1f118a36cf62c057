#!/bin/bash
# netns tests of IPv6 on dual-stack pods (issue 12; docs/DATAPATH.md,
# docs/SECURITY.md): real TCP, UDP and ICMPv6 flows and raw packets from
# a pod (scapy) against rules, address binding, extension headers,
# fragments, neighbour discovery and ICMPv6 errors. Needs root, BPF and
# /usr/bin/python3 with scapy.
#   pods: a 10.200.0.1 fd00::1, b 10.200.0.2 fd00::2 (echo servers on
#   both families: tcp 80, tcp 81, udp 53, udp 5353; udp 5000 sink on
#   IPv6), c 10.200.0.3 fd00::3. Every veth bound to its pod's two
#   addresses, global default deny.
set -uo pipefail
. "$(dirname "$0")/../tests/lib/testlib.sh"
. "$TCSEG_ROOT/netns-tests/lib.sh"
. "$TCSEG_ROOT/netns-tests/checks.sh"

A=10.200.0.1 B=10.200.0.2 C=10.200.0.3
A6=fd00::1 B6=fd00::2 C6=fd00::3
MAC_A='' MAC_B='' MAC_C=''

setup() {
	local p n=1
	nt_setup || return 1
	for p in a b c; do
		nt_add_pod $p $n && nt_pod_v6 $p $n || return 1
		n=$((n + 1))
	done
	MAC_A=$(mac_of "$(nt_pod_ns a)" eth0)
	MAC_B=$(mac_of "$(nt_pod_ns b)" eth0)
	MAC_C=$(mac_of "$(nt_pod_ns c)" eth0)
	SINK=$NT_DIR/udp5000.log
	for p in 80 81; do
		bg_pod b $FLOW tcp-server $p
		bg_pod b $FLOW tcp-server6 $p
	done
	for p in 53 5353; do
		bg_pod b $FLOW udp-server $p
		bg_pod b $FLOW udp-server6 $p
	done
	bg_pod b $FLOW udp-server6 5000 "$SINK"
	for p in 80 81; do wait_port b t $p || return 1; done
	for p in 53 5353 5000; do wait_port b u $p || return 1; done
	tc_ attach va addr $A,$A6 >/dev/null && tc_ attach vb addr $B,$B6 >/dev/null &&
		tc_ attach vc addr $C,$C6 >/dev/null && tc_ default deny
}

can_tcp() { in_pod "$1" $FLOW tcp-client "$2" "$3" >/dev/null 2>&1; }
can_udp() { in_pod "$1" $FLOW udp-echo-client "$2" "$3" >/dev/null 2>&1; }
can_ping() { in_pod "$1" $FLOW ping6 "$2" >/dev/null 2>&1; }
rule() { tc_ policy add "$@" >/dev/null || echo "policy add $* failed" >&2; }

test_default_deny() {
	expect v6_default_deny_blocks_tcp no can_tcp a $B6 80
	expect v6_default_deny_blocks_udp no can_udp a $B6 53
}

test_rules() {
	# exact: the whole 5-tuple (docs/POLICY.md)
	rule id 10 from $A6 to $B6 proto tcp sport 40010 dport 80 action allow
	expect v6_exact_rule_allows_tcp yes in_pod a $FLOW tcp-client $B6 80 x 40010
	expect v6_exact_rule_only_its_sport no can_tcp a $B6 80
	rule id 11 from $A6/128 to $B6 proto tcp dport 80 action allow
	expect v6_host_rule_allows_tcp yes can_tcp a $B6 80
	expect v6_host_rule_not_other_pod no can_tcp c $B6 80
	expect v6_rule_does_not_open_v4 no can_tcp a $B 80
	rule id 12 from fd00::/64 to $B6 proto udp dport 53 action allow
	expect v6_cidr_rule_allows_udp yes can_udp c $B6 53
	expect v6_cidr_rule_does_not_open_v4 no can_udp c $B 53
	expect v6_cidr_rule_only_its_port no can_udp c $B6 5353
	# same destination, longer source (docs/POLICY.md: destination first)
	rule id 13 from $C6 to $B6 proto udp dport 53 action deny
	expect v6_longer_src_prefix_denies_udp no can_udp c $B6 53
	expect v6_other_source_still_allowed yes can_udp a $B6 53
	tc_ policy del id 13
	rule id 20 from $A to $B proto tcp dport 81 action allow
	expect v4_rule_allows_v4 yes can_tcp a $B 81
	expect v4_rule_does_not_open_v6 no can_tcp a $B6 81
	# no address: both families
	rule id 21 proto udp dport 5353 action allow
	expect any_address_rule_allows_v4 yes can_udp c $B 5353
	expect any_address_rule_allows_v6 yes can_udp c $B6 5353
}

# SYNs of a's allowed flow and of c's denied one behind extension headers
test_ext_headers() {
	local e sp=40100
	for e in hbh dst hbh,dst rt0 rt2 frag; do
		arrivals "v6_ext_${e/,/_}_allowed_flow_passes" 2 b \
			"tcp src=$A6 sport=$sp dport=80 flags=2" \
			in_pod a $HOSTILE syn $A6 $sp $B6 80 "$MAC_B" 2 $e
		sp=$((sp + 1))
	done
	for e in hbh dst hbh,dst rt0 rt2 frag hbh,dst,rt0,dst; do
		arrivals "v6_ext_${e//,/_}_denied_flow_blocked" 0 b \
			"tcp src=$C6 sport=$sp dport=80" \
			in_pod c $HOSTILE syn $C6 $sp $B6 80 "$MAC_B" 2 $e
		sp=$((sp + 1))
	done
	# the final destination is not the one judged (docs/DATAPATH.md)
	arrivals v6_ext_routing_segments_left_dropped 0 b \
		"tcp src=$A6 sport=$sp dport=80" \
		in_pod a $HOSTILE syn $A6 $sp $B6 80 "$MAC_B" 2 rt0left
}

test_fragments() {
	rule id 30 from $A6 to $B6 proto udp dport 5000 action allow
	# 3000 bytes: the kernel sends each datagram in three fragments
	sink_gets v6_allowed_fragmented_udp_passes 5 \
		in_pod a $FLOW udp-send $B6 5000 5 3000
	arrivals v6_denied_fragments_blocked 0 b "ip6 src=$C6 dst=$B6" \
		in_pod c $HOSTILE frag6 $C6 40200 $B6 5000 "$MAC_B" 3000 all
	arrivals v6_denied_later_fragments_blocked 0 b "ip6 src=$C6 dst=$B6" \
		in_pod c $HOSTILE frag6 $C6 40201 $B6 5000 "$MAC_B" 3000 later
	# an allowed pod's later fragments with no first fragment seen
	arrivals v6_orphan_later_fragments_dropped 0 b "ip6 src=$A6 dst=$B6 frag=later" \
		in_pod a $HOSTILE frag6 $A6 40202 $B6 5000 "$MAC_B" 3000 later
	arrivals v6_allowed_raw_fragments_pass 3 b "ip6 src=$A6 dst=$B6" \
		in_pod a $HOSTILE frag6 $A6 40203 $B6 5000 "$MAC_B" 3000 all
}

# c sends a SYN to b:80 in a's name; only a may (rule 11)
test_spoofed() {
	spoofed_syn v6_ $A6 $B6 40301
}

# IPv4 in IPv6 clothes (::ffff:a.b.c.d) never passes, even from an
# unbound veth under a rule for every address (rule 21)
test_v4_mapped() {
	tc_ attach vc addr none >/dev/null
	arrivals v6_v4_mapped_source_dropped 0 b "udp src=::ffff:$C dport=5353" \
		in_pod c $HOSTILE udp ::ffff:$C 40400 $B6 5353 "$MAC_B" 2
	arrivals v6_v4_mapped_destination_dropped 0 b "udp dst=::ffff:$B dport=5353" \
		in_pod c $HOSTILE udp $C6 40401 ::ffff:$B 5353 "$MAC_B" 2
	arrivals v6_unbound_control_passes 2 b "udp src=$C6 dport=5353" \
		in_pod c $HOSTILE udp $C6 40402 $B6 5353 "$MAC_B" 2
	tc_ attach vc addr $C,$C6 >/dev/null
}

# a's neighbour entry for ADDR: "LLADDR STATE" or nothing
neigh_of() {
	in_pod a ip -6 neigh show "$1" dev eth0 | awk '{ print $3, $NF }'
}

test_ndp() {
	local n
	in_pod a ip -6 neigh flush dev eth0
	# no flow a -> c is allowed, but the echo makes a solicit c
	can_ping a $C6
	n=$(neigh_of $C6)
	[[ $n == "$MAC_C "* ]] && [[ $n != *FAILED ]] &&
		t_pass v6_ndp_resolves_under_default_deny ||
		t_fail v6_ndp_resolves_under_default_deny "a's entry for c: '$n'"
	expect v6_ndp_allowed_flow_after_flush yes can_tcp a $B6 80
	n=$(neigh_of $B6)
	[[ $n == "$MAC_B "* ]] || { t_fail v6_na_setup "a's entry for b: '$n'"; return; }
	# c claims b's address towards a (its own source, so not spoofed)
	in_pod c $HOSTILE na $C6 $B6 $A6 "$MAC_A" 3
	sleep 0.2
	n=$(neigh_of $B6)
	[[ $n == "$MAC_B "* ]] && t_pass v6_na_for_other_pod_does_not_poison ||
		t_fail v6_na_for_other_pod_does_not_poison "a's entry for b: '$n' (c is $MAC_C)"
	expect v6_traffic_still_reaches_right_pod yes can_tcp a $B6 80
}

test_icmpv6() {
	rule id 40 from $A6 to $B6 proto icmpv6 action allow
	expect v6_icmpv6_echo_allowed yes can_ping a $B6
	expect v6_icmpv6_echo_denied no can_ping c $B6
	in_pod c $HOSTILE udp-query $B6 53 33333 ||
		{ t_fail v6_icmp_error_setup "c's DNS query to b failed"; return; }
	arrivals v6_icmp_error_of_session_reaches_b 2 b "icmp6 src=$C6 dst=$B6 type=1" \
		in_pod c $HOSTILE icmp-err $C6 $B6 "$MAC_B" $B6 53 $C6 33333 0 2
	arrivals v6_forged_icmp_error_blocked 0 b "icmp6 src=$C6 dst=$B6 type=1" \
		in_pod c $HOSTILE icmp-err $C6 $B6 "$MAC_B" $B6 53 $C6 44444 0 2
	arrivals v6_icmp_error_tunnel_blocked 0 a "icmp6 src=$C6 dst=$A6 type=1" \
		in_pod c $HOSTILE icmp-err $C6 $A6 "$MAC_A" $B6 53 $C6 33333 1000 2
}

# rule 11 allows a -> b:80
test_sessions_and_cut() {
	sessions_and_cut v6_ a "[$A6]" "[$B6]" 80 11
}

main() {
	raw_prereqs netns_ipv6 || return $(($? - 1))
	setup || { t_fail v6_setup "could not build the dual-stack pods"; return 1; }
	t_pass v6_setup
	test_default_deny
	test_rules
	test_ext_headers
	test_fragments
	test_spoofed
	test_v4_mapped
	test_ndp
	test_icmpv6
	test_sessions_and_cut
	t_done
}

main
