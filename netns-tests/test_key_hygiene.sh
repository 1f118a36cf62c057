#!/bin/bash
# Key hygiene (issue #6 part 4): no key bytes in any log or core path.
# Two-node topology (netns-tests/twonode.sh), both daemons in TLSHub mode
# at log_level debug against tests/tlshub_peer --fixed-key-file, so the
# master key of the run is KNOWN (random per run). One encrypt flow: keys
# are fetched on both nodes (checked: the daemons' key fingerprints equal
# the one recomputed from the known key, so the test cannot pass without
# the daemons having held exactly the keys it looks for), then kTLS is
# missing here and the flow fails closed (the VM has kTLS: secured).
# Then every output of the run - daemon logs (also after SIGTERM), tcctl
# monitor -j streams, tcctl status/pods/stats/sessions/provider text and
# JSON, the metrics endpoint, the peers' stdout/stderr - is searched for
# the master key, both directions' keys, IVs and salts as hex
# (lower/upper/colon), base64 and raw bytes (netns-tests/key_hygiene.py),
# and the daemons' live memory (what a core dump would hold) for the raw
# and hex key bytes, which must have been wiped after use.
set -uo pipefail
. "$(dirname "$0")/../tests/lib/testlib.sh"
. "$(dirname "$0")/twonode.sh"

KH="python3 $TCSEG_ROOT/netns-tests/key_hygiene.py"

setup() {
	tn_setup || return 1
	tn_enc_server $ENC_PORT
	# the known master key of this run (random, never reused)
	(umask 077; od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"$DIR/fixed.key")
	[ "$(wc -c <"$DIR/fixed.key")" = 64 ] || return 1
	tn_start_tlshub_peers --fixed-key-file "$DIR/fixed.key" || return 1
	sed -i 's/^mode = .*/mode = tlshub/' "$DIR/a.conf" "$DIR/b.conf"
	grep -q '^log_level = debug$' "$DIR/a.conf" || return 1
	# cores allowed for the daemons' parent: tcsegd must refuse them itself
	ulimit -c unlimited
	start_daemon a && start_daemon b || return 1
	local n
	for n in a b; do
		tcn $n policy add id 1 from $A1 to $B1 proto tcp dport $ENC_PORT \
			action encrypt >/dev/null || return 1
	done
	tn_wait_listen 3 pod-b1 $ENC_PORT
}

fp_of() {	# fp_of LOG ROLE FLOW
	grep "keys agreed role=$2 flow=$3 mode=tlshub " "$1" | tail -n1 | sed 's/.* fp=//'
}

# every tcctl view of the daemons and the metrics endpoint, into $DIR/out
collect_outputs() {
	local n c
	mkdir -p "$DIR/out"
	for n in a b; do
		for c in status pods sessions stats "provider get"; do
			tcn $n $c >"$DIR/out/$n-${c// /_}.txt" 2>&1
			tcn $n -j $c >"$DIR/out/$n-${c// /_}.json" 2>&1
		done
		ip netns exec "$(node_ns $n)" python3 -c 'import urllib.request
print(urllib.request.urlopen("http://127.0.0.1:9469/metrics", timeout=3).read().decode())' \
			>"$DIR/out/$n-metrics.txt" 2>&1
	done
}

t_need_root key_hygiene || exit 0
for f in "$TCSEGD" "$TCCTL" "$TCSEG_BUILD/tests/tlshub_peer"; do
	[ -x "$f" ] || { t_fail key_hygiene_build "$f missing (make all)"; exit 1; }
done
if ! setup >"/tmp/tcseg-kh-setup.$ID.log" 2>&1; then
	t_fail key_hygiene_setup "$(tail -n 4 "/tmp/tcseg-kh-setup.$ID.log" | tr '\n' ' ')"
	rm -f "/tmp/tcseg-kh-setup.$ID.log"
	exit 1
fi
rm -f "/tmp/tcseg-kh-setup.$ID.log"
monitor a "$DIR/mon-a.json" && monitor b "$DIR/mon-b.json" ||
	{ t_fail key_hygiene_monitor "tcctl monitor did not start"; exit 1; }
KTLS=0
grep -q '"ktls_available":true' <<<"$(tcn a -j status)" && KTLS=1

# the test key is in use, announced loudly, and never printed by the peer
if grep -q 'WARNING: --fixed-key-file' "$DIR/peer-a.err" &&
   grep -q 'WARNING: --fixed-key-file' "$DIR/peer-b.err" &&
   [ "$(tcn a provider get)" = "mode tlshub" ] &&
   [ "$(tcn b provider get)" = "mode tlshub" ]; then
	t_pass key_hygiene_tlshub_mode_with_known_key
else
	t_fail key_hygiene_tlshub_mode_with_known_key "$(cat "$DIR"/peer-*.err | head -n 2 | tr '\n' ' ') $(tcn a provider get 2>&1)"
fi

ip netns exec "$(pod_ns pod-a1)" $FLOW tcp-client $B1 $ENC_PORT kh-flow-marker >/dev/null 2>&1 &
cpid=$!
wait $cpid
rc=$?
sleep 1.5
flow=$(grep "keys agreed role=client .*mode=tlshub" "$DIR/a.log" | tail -n1 | sed 's/.* flow=\([^ ]*\) .*/\1/')
fa=$(fp_of "$DIR/a.log" client "$flow")
fb=$(fp_of "$DIR/b.log" server "$flow")
want="failed closed role=client flow=$flow .*kernel TLS not available"
[ "$KTLS" = 1 ] && want="secured role=client flow=$flow "
# keys fetched on both nodes, the flow then handled (not vacuous)
if [ -n "$flow" ] && [ -n "$fa" ] && [ "$fa" = "$fb" ] &&
   grep -q "$want" "$DIR/a.log" &&
   { [ "$KTLS" = 1 ] || [ $rc -ne 0 ]; }; then
	t_pass key_hygiene_keys_fetched_then_flow_handled
else
	t_fail key_hygiene_keys_fetched_then_flow_handled "client rc $rc flow '$flow' fp '$fa' vs '$fb': $(grep -iE 'tlshub|failed' "$DIR/a.log" | tail -n 2 | tr '\n' ' ')"
	exit 1
fi
if [ "$(grep -c ' debug ' "$DIR/a.log")" -gt 0 ] && [ "$(grep -c ' debug ' "$DIR/b.log")" -gt 0 ]; then
	t_pass key_hygiene_debug_logging_active
else
	t_fail key_hygiene_debug_logging_active "no debug lines in a.log/b.log"
fi

master=$(cat "$DIR/fixed.key")
# no core path: tcsegd drops RLIMIT_CORE to 0 and makes itself
# non-dumpable at start, although its parent allowed cores
cores=$(awk '/^Max core file size/{print $5 "/" $6}' /proc/$DPID_A/limits /proc/$DPID_B/limits | tr '\n' ' ')
if [ "$cores" = "0/0 0/0 " ] && [ "$(ulimit -c)" = unlimited ]; then
	t_pass key_hygiene_daemon_refuses_core_dumps
else
	t_fail key_hygiene_daemon_refuses_core_dumps "RLIMIT_CORE of the daemons '$cores', parent $(ulimit -c)"
fi
# the daemons' memory after the flow: key material wiped after use
# the connection's ISNs (v2 schedule, docs/TLSHUB.md §4), logged in the clear
isn=$(grep "keys agreed role=client flow=$flow mode=tlshub " "$DIR/a.log" | tail -n1 | sed -n 's/.* isn=\([0-9]*:[0-9]*\) .*/\1/p')
out=$($KH --master "$master" --flow "$flow" --fp "$fa" ${isn:+--isn "$isn"} --pid $DPID_A --pid $DPID_B 2>&1)
rc=$?
echo "# memory: $(grep '^scanned memory' <<<"$out" | tr '\n' ' ')"
if [ $rc -eq 3 ]; then
	t_fail key_hygiene_fingerprint_from_known_key "$out"
	exit 1
fi
t_pass key_hygiene_fingerprint_from_known_key
[ $rc -eq 0 ] && t_pass key_hygiene_no_key_in_daemon_memory ||
	t_fail key_hygiene_no_key_in_daemon_memory "$(grep FOUND <<<"$out" | head -n 4 | tr '\n' ' ')"

collect_outputs
# daemons stop (their shutdown lines go to the logs too); then every file
# the run wrote, except the key file itself, certificates and bpffs
kill -TERM $DPID_A $DPID_B
for i in $(seq 50); do
	kill -0 $DPID_A 2>/dev/null || kill -0 $DPID_B 2>/dev/null || break
	sleep 0.1
done
for p in "${TPIDS[@]}"; do kill -INT "$p" 2>/dev/null; done
sleep 0.3
mapfile -t files < <(find "$DIR" -type f ! -path "$DIR/bpf-*" ! -path "$DIR/certs/*" \
	! -name fixed.key | sort)
out=$($KH --master "$master" --flow "$flow" --fp "$fa" ${isn:+--isn "$isn"} "${files[@]}" 2>&1)
rc=$?
echo "# outputs: $(tail -n 1 <<<"$out")"
need="a.log b.log mon-a.json mon-b.json peer-a.err out/a-status.json out/a-metrics.txt out/b-pods.txt"
missing=
for f in $need; do
	[ -s "$DIR/$f" ] || missing="$missing $f"
done
if [ $rc -eq 0 ] && [ -z "$missing" ]; then
	t_pass key_hygiene_no_key_in_any_output
else
	t_fail key_hygiene_no_key_in_any_output "rc $rc, empty/missing:${missing:- none}: $(grep FOUND <<<"$out" | head -n 4 | tr '\n' ' ')"
fi
t_done
