#!/bin/bash
# netns tests of the hostile-pod defences (docs/SECURITY.md): raw packets
# from a pod (scapy) against address binding and the ICMP-error rule, on
# real veths. Needs root, BPF and /usr/bin/python3 with scapy.
#   pods: a 10.200.0.1, b 10.200.0.2 (udp 5000 sink, udp 53 echo, tcp 80
#   echo), c 10.200.0.3 (the attacker); host 10.200.0.254 on br0, behind
#   no pod's veth. Every veth bound to its pod's address, default deny
#   everywhere; a may send udp 5000 and tcp 80 to b, every pod may ask b's
#   DNS (udp 53).
set -uo pipefail
. "$(dirname "$0")/../tests/lib/testlib.sh"
. "$TCSEG_ROOT/netns-tests/lib.sh"
. "$TCSEG_ROOT/netns-tests/checks.sh"

A=10.200.0.1 B=10.200.0.2 C=10.200.0.3 H=10.200.0.254
MAC_B='' MAC_H=''

setup() {
	nt_setup && nt_add_pod a 1 && nt_add_pod b 2 && nt_add_pod c 3 || return 1
	ip -n "$NS_HOST" addr add $H/24 dev br0 || return 1
	SINK=$NT_DIR/udp5000.log
	MAC_B=$(mac_of "$(nt_pod_ns b)" eth0)
	MAC_H=$(mac_of "$NS_HOST" br0)
	bg_pod b $FLOW udp-server 5000 "$SINK"
	bg_pod b $FLOW udp-server 53
	bg_pod b $FLOW tcp-server 80
	wait_port b u 5000 && wait_port b u 53 && wait_port b t 80 || return 1
	tc_ attach va addr $A >/dev/null && tc_ attach vb addr $B >/dev/null &&
		tc_ attach vc addr $C >/dev/null && tc_ default deny &&
		tc_ policy add id 1 from $A to $B dport 5000 proto udp action allow >/dev/null &&
		tc_ policy add id 2 from $A to $B dport 80 proto tcp action allow >/dev/null &&
		tc_ policy add id 3 from 10.200.0.0/24 to $B dport 53 proto udp action allow >/dev/null
}


test_list_shows_binding() {
	local l t
	l=$(tc_ -j list)
	want list_json_shows_bound_address \
		"$(json_get "$l" '[(d["binding"], d["addrs"]) for d in j if d["dev"]=="vc"][0]')" \
		"('bound', ['$C'])"
	t=$(tc_ list)
	grep -Eq "^va .* $A\$" <<<"$t" && t_pass list_text_shows_bound_address ||
		t_fail list_text_shows_bound_address "$t"
}

# The issue's scenario: c sends to b:5000 in a's name; only a may.
test_spoofed_udp() {
	local s0
	s0=$(spoofed)
	sink_gets spoofed_udp_does_not_reach_b 0 \
		in_pod c $HOSTILE udp $A 40000 $B 5000 "$MAC_B" 5
	want spoofed_udp_counted "$(($(spoofed) - s0))" 5
	# the very same frames from a's own veth arrive
	sink_gets own_udp_reaches_b 5 \
		in_pod a $HOSTILE udp $A 40000 $B 5000 "$MAC_B" 5
	want own_udp_not_counted_spoofed "$(($(spoofed) - s0))" 5
}

test_spoofed_tcp() {
	spoofed_syn "" $A $B 40001
	in_pod a $FLOW tcp-client $B 80 >/dev/null 2>&1 &&
		t_pass own_tcp_connection_works ||
		t_fail own_tcp_connection_works "a cannot reach b:80"
}

# "A is at c's MAC", told to b: ARP whose sender is not c's address
test_spoofed_arp() {
	local s0
	s0=$(spoofed)
	arrivals spoofed_arp_does_not_reach_b 0 b "arp psrc=$A" \
		in_pod c $HOSTILE arp $A $B "$MAC_B" 3
	want spoofed_arp_counted "$(($(spoofed) - s0))" 3
	arrivals own_gratuitous_arp_reaches_b 2 b "arp psrc=$C" \
		in_pod c $HOSTILE arp $C $C ff:ff:ff:ff:ff:ff 2
}

# c's DNS session to b must not carry ICMP "errors" anywhere else.
test_icmp_tunnel() {
	local r0 u0
	in_pod c $HOSTILE udp-query $B 53 33333 ||
		{ t_fail icmp_tunnel_setup "c's DNS query to b failed"; return; }
	r0=$(stat_of 'j["counters"]["icmp_related"]')
	u0=$(stat_of 'j["counters"]["icmp_unrelated"]')
	arrivals icmp_tunnel_to_host_blocked 0 host "icmp src=$C dst=$H" \
		in_pod c $HOSTILE icmp-err $C $H "$MAC_H" $B 53 $C 33333 1000 5
	want icmp_tunnel_counted_unrelated \
		"$(($(stat_of 'j["counters"]["icmp_unrelated"]') - u0))" 5
	# the genuine error: port unreachable back to b, short
	arrivals icmp_error_of_session_reaches_b 2 b "icmp src=$C dst=$B type=3" \
		in_pod c $HOSTILE icmp-err $C $B "$MAC_B" $B 53 $C 33333 0 2
	# related at both veths, c's and b's
	want icmp_error_of_session_counted_related \
		"$(($(stat_of 'j["counters"]["icmp_related"]') - r0))" 4
	# to the right peer, but 1000 bytes longer than any real error
	arrivals icmp_oversize_error_blocked 0 b "icmp src=$C dst=$B type=3" \
		in_pod c $HOSTILE icmp-err $C $B "$MAC_B" $B 53 $C 33333 1000 2
}

# c sends 2 datagrams to b:5000 in a's name
c_as_a() { in_pod c $HOSTILE udp $A 40000 $B 5000 "$MAC_B" 2; }

# attach DEV addr ... replaces the set; none unbinds; no addr keeps it.
test_rebind() {
	tc_ attach vc addr $C,$A >/dev/null
	sink_gets rebind_with_a_lets_c_send_as_a 2 c_as_a
	tc_ attach vc addr $C >/dev/null
	tc_ attach vc default deny >/dev/null
	want attach_without_addr_keeps_binding \
		"$(json_get "$(tc_ -j list)" '[d["addrs"] for d in j if d["dev"]=="vc"][0]')" "['$C']"
	sink_gets rebind_without_a_blocks_again 0 c_as_a
	# unbound: no source check at all (docs/SECURITY.md)
	tc_ attach vc addr none >/dev/null
	want addr_none_unbinds \
		"$(json_get "$(tc_ -j list)" '[d["binding"] for d in j if d["dev"]=="vc"][0]')" unbound
	sink_gets unbound_veth_not_checked 2 c_as_a
	tc_ attach vc addr $C >/dev/null
}

# A session made under the old binding does not outlive it: c's DNS
# session from $C, then $C unbound from c's veth, the same datagram again.
test_rebind_drops_sessions() {
	in_pod c $HOSTILE udp-query $B 53 33334 ||
		{ t_fail rebind_setup "c's DNS query to b failed"; return; }
	tc_ attach vc addr 10.200.0.33 >/dev/null
	arrivals rebind_drops_sessions_of_unbound_address 0 b "udp src=$C sport=33334 dport=53" \
		in_pod c $HOSTILE udp $C 33334 $B 53 "$MAC_B" 2
	tc_ attach vc addr $C >/dev/null
	in_pod c $HOSTILE udp-query $B 53 33334 &&
		t_pass rebind_back_restores_c ||
		t_fail rebind_back_restores_c "c's DNS query to b failed"
}

test_bad_addr() {
	local before e rc name args
	before=$(tc_ -j list)
	while IFS='|' read -r name args want; do
		e=$(tc_ $args 2>&1 >/dev/null)
		rc=$?
		if [ $rc -ne 0 ] && [[ $e == *"$want"* ]] &&
			[ "$(tc_ -j list)" = "$before" ]; then
			t_pass "attach_rejects_$name"
		else
			t_fail "attach_rejects_$name" "rc $rc, error '$e'"
		fi
	done <<-EOT
		bad_address|attach vc addr 10.200.0.300|addr: bad address '10.200.0.300'
		empty_item|attach vc addr $C,|addr: bad address ''
		prefix|attach vc addr 10.200.0.0/24|addr: bad address '10.200.0.0/24'
		duplicate|attach vc addr $C,$A,$C|addr: duplicate address $C
		too_many|attach vc addr 10.1.0.1,10.1.0.2,10.1.0.3,10.1.0.4,10.1.0.5,10.1.0.6,10.1.0.7,10.1.0.8,10.1.0.9|addr: too many IPv4 addresses (at most 8)
		broadcast|attach vc addr 255.255.255.255|addr: 255.255.255.255 is not a unicast host address
		v4_mapped|attach vc addr ::ffff:$C|addr: bad address '::ffff:$C': v4-mapped
		zone|attach vc addr fe80::1%vc|addr: bad address 'fe80::1%vc': a zone
		multicast6|attach vc addr fd00::1,ff02::1|addr: ff02::1 is not a unicast host address
		too_many6|attach vc addr fd00::1,fd00::2,fd00::3,fd00::4,fd00::5,fd00::6,fd00::7,fd00::8,fd00::9|addr: too many IPv6 addresses (at most 8)
		missing_value|attach vc addr|addr: missing value
	EOT
}

test_stats_text() {
	tc_ stats | grep -Eq '^  spoofed +[1-9]' && t_pass stats_text_shows_spoofed ||
		t_fail stats_text_shows_spoofed "no spoofed line"
}

main() {
	raw_prereqs netns_hostile || return $(($? - 1))
	setup || { t_fail hostile_setup "could not build the pods"; return 1; }
	t_pass hostile_setup
	test_list_shows_binding
	test_spoofed_udp
	test_spoofed_tcp
	test_spoofed_arp
	test_icmp_tunnel
	test_rebind
	test_rebind_drops_sessions
	test_bad_addr
	test_stats_text
	t_done
}

main
