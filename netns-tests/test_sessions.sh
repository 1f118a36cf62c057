#!/bin/bash
# netns tests of session lifetime against hostile pods (docs/SECURITY.md):
# one pod floods a small session table while two other pods open TCP
# flows, and blind RSTs far off the window against a live flow.
#   pods: a 10.200.0.1 (floods), b 10.200.0.2 (tcp 80 echo, tcp 81 slow
#   echo, udp 5000 sink), c 10.200.0.3 (default allow), d 10.200.0.4
#   (default deny, one rule to b:80 and b:81)
set -uo pipefail
. "$(dirname "$0")/../tests/lib/testlib.sh"
. "$TCSEG_ROOT/netns-tests/lib.sh"

A=10.200.0.1 B=10.200.0.2 C=10.200.0.3 D=10.200.0.4
SCAPY=/usr/bin/python3
TABLE=512

setup() {
	nt_setup && nt_add_pod a 1 && nt_add_pod b 2 && nt_add_pod c 3 &&
		nt_add_pod d 4 || return 1
	bg_pod b $FLOW tcp-server 80
	bg_pod b $FLOW tcp-server-slow 81
	bg_pod b $FLOW udp-server 5000
	wait_port b t 80 && wait_port b t 81 && wait_port b u 5000 || return 1
	tc_ load sessions $TABLE >/dev/null &&
		tc_ attach va >/dev/null && tc_ attach vb >/dev/null &&
		tc_ attach vc >/dev/null && tc_ attach vd default deny >/dev/null &&
		tc_ policy add id 1 from $D to $B proto tcp dport 80 action allow >/dev/null &&
		tc_ policy add id 2 from $D to $B proto tcp dport 81 action allow >/dev/null &&
		tc_ policy add id 3 from $A to $B proto udp dport 5000 action allow >/dev/null
}

can_tcp() { in_pod "$1" $FLOW tcp-client "$2" "$3" >/dev/null 2>&1; }

drops() { json_get "$(tc_ -j stats)" "j['drops']['$1']"; }

# N one-packet UDP flows from pod a, each its own source port
flood() {
	in_pod a $SCAPY - "$B" "$1" <<'EOF'
import sys
from scapy.all import IP, UDP, send, conf
conf.verb = 0
b, n = sys.argv[1], int(sys.argv[2])
send([IP(dst=b) / UDP(sport=10000 + i, dport=5000) / b"x" for i in range(n)])
EOF
}

# Issue 11 item 3: the flood must not deny anyone else a new flow.
test_flood_others_still_connect() {
	local fp ok=1 i
	flood 3000 &
	fp=$!
	for i in 1 2 3; do
		can_tcp c $B 80 || { ok=0; echo "# c -> b during flood ($i) failed"; }
		can_tcp d $B 80 || { ok=0; echo "# d -> b during flood ($i) failed"; }
	done
	wait $fp
	[ $ok = 1 ] && t_pass sessions_flood_default_allow_and_rule_pods_connect_during ||
		t_fail sessions_flood_default_allow_and_rule_pods_connect_during "a TCP connect failed while pod a flooded"
	if can_tcp c $B 80 && can_tcp d $B 80; then
		t_pass sessions_flood_others_connect_right_after
	else
		t_fail sessions_flood_others_connect_right_after "connect after the flood failed"
	fi
	local q m
	q=$(drops quota) m=$(drops map_full)
	if [ "$q" -gt 0 ] && [ "$m" = 0 ]; then
		t_pass sessions_flood_stopped_by_quota
	else
		t_fail sessions_flood_stopped_by_quota "quota drops $q, map_full drops $m"
	fi
}

# Issue 11 item 4: three RSTs from the server's address, far off the
# window, while the client waits for the server's (delayed) answer.
test_blind_rst_ignored() {
	local cp rc i ready=$NT_DIR/sniffing
	in_pod b $SCAPY - "$D" "$ready" <<'EOF' &
import sys, time
from scapy.all import IP, TCP, AsyncSniffer, send, conf
conf.verb = 0
d = sys.argv[1]
sn = AsyncSniffer(iface="eth0", count=1, timeout=4,
                  lfilter=lambda p: TCP in p and p[TCP].sport == 81 and
                  p[TCP].flags == "SA")
sn.start()
time.sleep(0.3)
open(sys.argv[2], "w").close()
sn.join()
if not sn.results:
    sys.exit(1)
syn_ack = sn.results[0]
time.sleep(0.2)
far = (syn_ack[TCP].seq + 1 + (1 << 31)) & 0xffffffff
for i in range(3):
    send(IP(src=syn_ack[IP].src, dst=d) /
         TCP(sport=81, dport=syn_ack[TCP].dport, flags="R",
             seq=(far + i * 100000) & 0xffffffff))
EOF
	cp=$!
	for i in $(seq 100); do
		[ -e "$ready" ] && break
		sleep 0.1
	done
	in_pod d $FLOW tcp-client $B 81 "server answers after the RSTs" 45000 >/dev/null 2>&1
	rc=$?
	wait $cp || { t_fail sessions_blind_rst_ignored "the RST sender saw no SYN-ACK"; return; }
	local r
	r=$(drops rst_window)
	if [ $rc = 0 ] && [ "$r" -ge 3 ]; then
		t_pass sessions_blind_rst_ignored
	else
		t_fail sessions_blind_rst_ignored "client rc $rc, rst_window drops $r"
	fi
}

# tcctl config: the lifetime words, validated, shown in text and JSON
test_config_words() {
	local bad=0 w j
	for w in "timeout-udp 0" "timeout-tcp-established 99999999999" \
		"session-quota $((TABLE + 1))" "session-quota 0" \
		"sweep-interval 0" "timeout-icmp x" "timeout-tcp-syn"; do
		# shellcheck disable=SC2086
		if tc_ config $w >/dev/null 2>&1; then
			bad=1
			echo "# accepted: config $w"
		fi
	done
	j=$(tc_ -j config)
	[ "$(json_get "$j" 'j["timeout_udp"]')" = 60 ] || bad=1
	[ $bad = 0 ] && t_pass sessions_config_rejects_bad_values ||
		t_fail sessions_config_rejects_bad_values "a bad value was taken or state changed: $j"
	if tc_ config timeout-udp 45 timeout-tcp-established 7200 session-quota 100 >/dev/null &&
		tc_ config | grep -qx 'timeout-udp 45' &&
		[ "$(json_get "$(tc_ -j config)" 'j["timeout_tcp_established"], j["session_quota"]')" = "(7200, 100)" ]; then
		t_pass sessions_config_words_set_and_shown
	else
		t_fail sessions_config_words_set_and_shown "$(tc_ config | tr '\n' ' ')"
	fi
	tc_ config timeout-udp 60 timeout-tcp-established 21600 session-quota $((TABLE / 8)) >/dev/null
}

main() {
	t_need_root netns_sessions || return 0
	[ -x "$TCSEG_BUILD/tcctl" ] || { t_fail netns_sessions "build/tcctl missing (make)"; return 1; }
	[ -x $SCAPY ] && $SCAPY -c 'import scapy' 2>/dev/null ||
		{ t_fail netns_sessions "scapy missing for $SCAPY (deps)"; return 1; }
	setup || { t_fail netns_sessions_setup "could not build the pods"; return 1; }
	t_pass netns_sessions_setup
	test_config_words
	test_flood_others_still_connect
	test_blind_rst_ignored
	t_done
}

main
