#!/bin/bash
# tcctl reading tcsegd's answers through the one JSON reader
# (ctl/lib/json_read.c), against a fake daemon socket that sends what the
# test says: escapes decoded, non-ASCII kept, control characters shown as
# '?', and hostile lines refused with a clear error and exit 1, shown to
# nobody (not even with -j). No root, no BPF needed.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/testlib.sh

C=$TCSEG_BUILD/tcctl
if [ ! -x "$C" ]; then
	t_fail json_build "$C missing (make all)"
	exit 1
fi
tmp=$(mktemp -d /tmp/tcseg-19.XXXXXX)
fpid=
trap '[ -n "$fpid" ] && kill $fpid 2>/dev/null; rm -rf "$tmp"' EXIT
/usr/bin/python3 tests/json/fake_tcsegd.py "$tmp/s" "$tmp/answer" >"$tmp/fake.out" 2>&1 &
fpid=$!
for _ in $(seq 50); do grep -q ready "$tmp/fake.out" && break; sleep 0.1; done

# ask ANSWER ARGS...: tcctl ARGS against a daemon answering ANSWER;
# sets out, err, rc
ask() {
	printf '%b' "$1" >"$tmp/answer"
	shift
	out=$("$C" --socket "$tmp/s" "$@" 2>"$tmp/err")
	rc=$?
	err=$(cat "$tmp/err")
}

# escapes decoded, UTF-8 kept (the old parser printed '?'), '\n' as '?'
ask '{"node":"caf\\u00e9 \\u20ac","raw":"\xc3\xa9","q":"a\\"b\\\\c","nl":"x\\ny"}\n' status
want=$(printf 'node               caf\xc3\xa9 \xe2\x82\xac\nraw                \xc3\xa9\nq                  a"b\\c\nnl                 x?y')
[ $rc -eq 0 ] && [ "$out" == "$want" ] && t_pass json_status_text_escapes_and_utf8 ||
	t_fail json_status_text_escapes_and_utf8 "rc $rc out '$out' err '$err'"

# a monitor event: ts keeps its microseconds, strings with a space quoted
ask '{"ts":1700000000.000123,"type":"ktls","result":"failed","reason":"no key","tgid":7}\n' monitor
[ $rc -eq 0 ] && [ "$out" == '1700000000.000123 ktls result=failed reason="no key" tgid=7' ] &&
	t_pass json_monitor_text_line || t_fail json_monitor_text_line "rc $rc out '$out' err '$err'"

# -j passes a good line through unchanged
line='{"mode":"openssl","x":"\u00e9 \n"}'
ask "$(sed 's/\\/\\\\/g' <<<"$line")\n" -j provider get
[ $rc -eq 0 ] && [ "$out" == "$line" ] && t_pass json_passthrough_unchanged ||
	t_fail json_passthrough_unchanged "rc $rc out '$out'"

# hostile lines: refused, named, exit 1, nothing on stdout (also with -j)
check_refused() {
	local name=$1 answer=$2 why=$3 o
	for o in "" -j; do
		ask "$answer" $o status
		if [ $rc -ne 1 ] || [ -n "$out" ] ||
		   [[ $err != *"bad answer from tcsegd: "*"$why"* ]]; then
			t_fail "$name" "(${o:-text}) rc $rc out '$out' err '$err'"
			return
		fi
	done
	t_pass "$name"
}
check_refused json_refuses_two_objects_a_line '{"a":1}{"error":"x"}\n' "not JSON"
check_refused json_refuses_duplicate_keys '{"pid":1,"pid":2}\n' "duplicate"
check_refused json_refuses_unterminated '{"pid":1\n' "not JSON"
check_refused json_refuses_nul_escape '{"node":"a\\u0000b"}\n' "not JSON"
check_refused json_refuses_invalid_utf8 '{"node":"\xff"}\n' "not JSON"
check_refused json_refuses_nested '{"node":{"a":1}}\n' "field 'node': nested value"
check_refused json_refuses_trailing_garbage '{"pid":1} rm -rf\n' "not JSON"

# an error line from the daemon: its message, exit 1
ask '{"error":"mode boringssl not available, still openssl","mode":"openssl"}\n' provider get
[ $rc -eq 1 ] && [ -z "$out" ] && [ "$err" == "tcctl: tcsegd: mode boringssl not available, still openssl" ] &&
	t_pass json_daemon_error_shown || t_fail json_daemon_error_shown "rc $rc out '$out' err '$err'"

# a listing with one bad line: the others shown, the JSON array closed
ask '{"pod":"a","local":true,"ifindex":3}\n{"pod":"b",\n{"pod":"c","local":false,"ifindex":0}\n' -j pods daemon
[ $rc -eq 1 ] && [ "$out" == '[{"pod":"a","local":true,"ifindex":3},{"pod":"c","local":false,"ifindex":0}]' ] &&
	/usr/bin/python3 -c 'import json,sys; json.loads(sys.argv[1])' "$out" &&
	t_pass json_listing_bad_line_skipped_array_closed ||
	t_fail json_listing_bad_line_skipped_array_closed "rc $rc out '$out' err '$err'"
t_done
