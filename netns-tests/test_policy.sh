#!/bin/bash
# netns tests of the data plane and tcctl: three pods on a bridge, real
# TCP and UDP traffic. Needs root and BPF (CI has both).
#   pods: a 10.200.0.1, b 10.200.0.2 (tcp 80 echo, udp 53 echo, udp 5000
#   sink), c 10.200.0.3
set -uo pipefail
. "$(dirname "$0")/../tests/lib/testlib.sh"
. "$TCSEG_ROOT/netns-tests/lib.sh"
. "$TCSEG_ROOT/netns-tests/checks.sh"

A=10.200.0.1 B=10.200.0.2 C=10.200.0.3

setup() {
	nt_setup && nt_add_pod a 1 && nt_add_pod b 2 && nt_add_pod c 3 || return 1
	bg_pod b $FLOW tcp-server 80
	bg_pod b $FLOW udp-server 53
	bg_pod b $FLOW udp-server 5000
	wait_port b t 80 && wait_port b u 53 && wait_port b u 5000
}

can_tcp() { in_pod "$1" $FLOW tcp-client "$2" "$3" >/dev/null 2>&1; }
can_udp() { in_pod "$1" $FLOW udp-echo-client "$2" "$3" >/dev/null 2>&1; }

test_attach_all() {
	tc_ attach va >/dev/null && tc_ attach vb >/dev/null &&
		tc_ attach vc mode tc >/dev/null ||
		{ t_fail attach_three_pods "tcctl attach failed"; return; }
	local l
	l=$(tc_ -j list)
	if [ "$(json_get "$l" 'len(j)')" = 3 ] &&
		[ "$(json_get "$l" '[d["mode"] for d in j if d["dev"]=="vc"][0]')" = tc ]; then
		t_pass attach_three_pods
	else
		t_fail attach_three_pods "list: $l"
	fi
	expect default_allow_passes_tcp yes can_tcp a $B 80
	expect default_allow_passes_udp yes can_udp c $B 53
}

test_pod_default_deny() {
	tc_ attach vb default deny >/dev/null
	expect pod_default_deny_blocks_tcp no can_tcp a $B 80
	expect pod_default_deny_blocks_udp no can_udp c $B 53
}

test_rule_allows_one_flow() {
	tc_ policy add id 10 from $A to $B proto tcp dport 80 action allow >/dev/null
	expect rule_allows_a_to_b yes can_tcp a $B 80
	expect rule_does_not_allow_c_to_b no can_tcp c $B 80
	tc_ policy add id 11 from 10.200.0.0/24 to $B proto udp dport 53 action allow >/dev/null
	expect cidr_rule_allows_udp_dns yes can_udp c $B 53
}

test_cidr_specificity() {
	tc_ policy del id 10
	tc_ policy add id 20 from 10.200.0.0/24 to $B dport 80 action allow >/dev/null
	tc_ policy add id 21 from $C to 10.200.0.0/24 action deny >/dev/null
	# 20 has the longer destination prefix: it wins for c too
	expect longer_dst_prefix_wins yes can_tcp c $B 80
	tc_ policy add id 22 from $C to $B action deny >/dev/null
	# 22: same /32 destination, longer source than 20
	expect longer_src_prefix_wins no can_tcp c $B 80
	expect other_source_unaffected yes can_tcp a $B 80
	tc_ policy add id 23 from $C to $B proto tcp sport 40001 dport 80 action allow >/dev/null
	expect exact_rule_beats_cidr yes in_pod c $FLOW tcp-client $B 80 exact 40001
	expect exact_rule_only_its_sport no can_tcp c $B 80
	tc_ policy del id 22 && tc_ policy del id 21 && tc_ policy del id 23 &&
		tc_ policy del id 20
}

test_counters_match_traffic() {
	tc_ stats reset
	tc_ policy add id 30 from $A to $B proto udp dport 5000 action allow >/dev/null
	tc_ policy add id 31 from $C to $B proto udp dport 5000 action deny >/dev/null
	in_pod a $FLOW udp-send $B 5000 20 100
	in_pod c $FLOW udp-send $B 5000 10 100
	sleep 0.3
	local l s p30 b30 p31
	l=$(tc_ -j policy list)
	p30=$(json_get "$l" '[r["packets"] for r in j if r["id"]==30][0]')
	b30=$(json_get "$l" '[r["bytes"] for r in j if r["id"]==30][0]')
	p31=$(json_get "$l" '[r["packets"] for r in j if r["id"]==31][0]')
	# allowed: seen at va (from pod a) and vb (to pod b); frame = 14+20+8+100
	[ "$p30" = 40 ] && [ "$b30" = $((40 * 142)) ] &&
		t_pass allow_rule_counts_every_packet_at_both_veths ||
		t_fail allow_rule_counts_every_packet_at_both_veths "packets $p30 bytes $b30, want 40 $((40 * 142))"
	# denied at vc, never reaches vb
	[ "$p31" = 10 ] && t_pass deny_rule_counts_dropped_packets ||
		t_fail deny_rule_counts_dropped_packets "packets $p31, want 10"
	s=$(tc_ -j stats)
	[ "$(json_get "$s" 'j["drops"]["policy"]')" = 10 ] &&
		t_pass stats_policy_drops_match ||
		t_fail stats_policy_drops_match "$(json_get "$s" 'j["drops"]')"
	[ "$(json_get "$s" 'j["counters"]["denied_packets"]')" -ge 10 ] &&
		[ "$(json_get "$s" 'j["counters"]["allowed_packets"]')" -ge 40 ] &&
		t_pass stats_totals_cover_traffic ||
		t_fail stats_totals_cover_traffic "$(json_get "$s" 'j["counters"]')"
	tc_ policy del id 30 && tc_ policy del id 31
}

test_sessions_and_cut() {
	tc_ policy add id 40 from $A to $B proto tcp dport 80 action allow >/dev/null
	sessions_and_cut "" a $A $B 80 40
}

test_bad_input() {
	local before after name args e f=$NT_DIR/bad.policy
	tc_ policy add id 50 from $A to $B proto tcp dport 80 action allow >/dev/null
	before=$(rules_now)
	printf 'from %s to %s dport 80 action allow\n# comment\nfrom 10.0.0.300 action deny\n' $A $B >"$f"
	while IFS='|' read -r name args; do
		e=$(tc_ $args 2>&1 >/dev/null)
		local rc=$?
		after=$(rules_now)
		if [ $rc -ne 0 ] && [ "$(echo "$e" | wc -l)" = 1 ] &&
			[ -n "$e" ] && [ "$before" = "$after" ]; then
			t_pass "rejects_$name"
		else
			t_fail "rejects_$name" "rc $rc, error '$e', changed: $([ "$before" = "$after" ] && echo no || echo yes)"
		fi
	done <<-EOT
		bad_cidr|policy add from 10.0.0.1/33 action allow
		host_bits|policy add from 10.0.0.1/8 action allow
		port_too_big|policy add dport 70000 action allow
		unknown_action|policy add dport 80 action permit
		unknown_word|policy add frm 10.0.0.1 action allow
		missing_action|policy add dport 80
		missing_device|policy add dev nosuchdev action deny
		duplicate_id|policy add id 50 from $C action deny
		duplicate_match|policy add from $A to $B proto tcp dport 80 action deny
		unreadable_file|policy apply -f /nonexistent/x.policy
		bad_file_line|policy apply -f $f
		attach_missing_device|attach nosuchdev
		del_unknown_id|policy del id 999
	EOT
	e=$(tc_ policy apply -f "$f" 2>&1)
	[[ $e == *"$f:3:"* ]] && t_pass file_error_names_file_and_line ||
		t_fail file_error_names_file_and_line "'$e'"
	tc_ policy del id 50
}

policy_version() { tc_ config | awk '$1 == "policy-version" { print $2 }'; }

test_apply_file() {
	local f=$NT_DIR/good.policy l v1 v2 out
	cat >"$f" <<-EOT
		# pod a may reach b's web server, c may not reach b at all
		id 60 from $A to $B proto tcp dport 80 action allow
		from $C to $B action deny
		from 10.200.0.0/24 to $B proto udp dport 53 action log
	EOT
	tc_ policy apply -f "$f" >/dev/null || { t_fail apply_file "apply failed"; return; }
	l=$(tc_ -j policy list)
	[ "$(json_get "$l" 'len(j)')" = 3 ] && [ "$(json_get "$l" 'j[0]["id"]')" = 60 ] &&
		t_pass apply_file_replaces_rules || t_fail apply_file_replaces_rules "$l"
	expect applied_rules_allow yes can_tcp a $B 80
	expect applied_rules_deny no can_tcp c $B 80
	expect applied_log_rule_allows yes can_udp a $B 53
	# the same file again: nothing written, not even the policy version
	v1=$(policy_version) && out=$(tc_ policy apply -f "$f") && v2=$(policy_version)
	[[ $out == *"unchanged, nothing written"* ]] && [ -n "$v1" ] && [ "$v1" = "$v2" ] &&
		t_pass apply_same_file_writes_nothing ||
		t_fail apply_same_file_writes_nothing "'$out', policy version $v1 -> $v2"
	expect applied_again_rules_allow yes can_tcp a $B 80
}

# a file naming a pod (not registered here): its pod rule is kept beside
# the rule store; the same file again writes nothing, a changed pod rule
# is written
test_apply_pod_rules() {
	local f=$NT_DIR/pods.policy out
	printf 'from pod default/web to %s proto tcp dport 80 action allow\nfrom %s to %s action deny\n' $B $C $B >"$f"
	tc_ policy apply -f "$f" >/dev/null || { t_fail apply_pod_rules "apply failed"; return; }
	out=$(tc_ policy apply -f "$f")
	[[ $out == *"unchanged, nothing written"* ]] &&
		t_pass apply_same_pod_rules_writes_nothing ||
		t_fail apply_same_pod_rules_writes_nothing "'$out'"
	sed -i 's/dport 80/dport 81/' "$f"
	out=$(tc_ policy apply -f "$f")
	[[ $out == *"pod rules written"* ]] &&
		[ "$(json_get "$(tc_ -j policy list)" '[r["dport"] for r in j if r.get("from_pod")]')" = "[81]" ] &&
		t_pass apply_changed_pod_rule_written ||
		t_fail apply_changed_pod_rule_written "'$out', $(tc_ -j policy list)"
}

test_audit_mode() {
	tc_ policy flush
	tc_ attach vb default deny audit >/dev/null
	local s0 s1
	s0=$(json_get "$(tc_ -j stats)" 'j["counters"]["audit_passes"]')
	expect audit_lets_would_be_deny_pass yes can_tcp c $B 80
	s1=$(json_get "$(tc_ -j stats)" 'j["counters"]["audit_passes"]')
	[ "$s1" -gt "$s0" ] && t_pass audit_passes_counted ||
		t_fail audit_passes_counted "$s0 -> $s1"
	tc_ attach vb default deny >/dev/null
	expect audit_off_denies_again no can_tcp c $B 80
}

test_global_default() {
	tc_ attach vb >/dev/null	# back to the global default
	tc_ default deny
	expect global_default_deny no can_tcp a $B 80
	tc_ policy add from $A to $B proto tcp dport 80 action allow >/dev/null
	expect rule_beats_global_default yes can_tcp a $B 80
	tc_ default allow
}

test_detach_restores() {
	tc_ default deny
	tc_ detach va && tc_ detach vb && tc_ detach vc ||
		{ t_fail detach_all "detach failed"; return; }
	[ "$(json_get "$(tc_ -j list)" 'len(j)')" = 0 ] && t_pass detach_all ||
		t_fail detach_all "devices left"
	expect detach_restores_connectivity yes can_tcp c $B 80
	local f
	f=$(ip netns exec "$NS_HOST" tc filter show dev vc ingress 2>&1)
	[ -z "$f" ] && t_pass detach_removes_clsact_filter ||
		t_fail detach_removes_clsact_filter "$f"
}

main() {
	t_need_root netns_tests || return 0
	[ -x "$TCSEG_BUILD/tcctl" ] || { t_fail netns_tests "build/tcctl missing (make)"; return 1; }
	setup || { t_fail netns_setup "could not build the pods"; return 1; }
	t_pass netns_setup
	test_attach_all
	test_pod_default_deny
	test_rule_allows_one_flow
	test_cidr_specificity
	test_counters_match_traffic
	test_sessions_and_cut
	test_bad_input
	test_apply_file
	test_apply_pod_rules
	test_audit_mode
	test_global_default
	test_detach_restores
	t_done
}

main
