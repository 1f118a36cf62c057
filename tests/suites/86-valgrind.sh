#!/bin/bash
# valgrind (issue #6): tcctl commands on a real netns topology (attach,
# policy add/list/apply/del, stats, sessions, detach, with traffic in
# between) and the key-provider unit test (which cannot run under ASan:
# RTLD_DEEPBIND) must be valgrind-clean: no invalid access, no use of
# uninitialised memory, no leak (--leak-check=full, --error-exitcode=1).
set -uo pipefail
. "$(dirname "$0")/../lib/testlib.sh"
. "$TCSEG_ROOT/netns-tests/lib.sh"

VG=(valgrind -q --error-exitcode=99 --leak-check=full
    --errors-for-leak-kinds=definite,indirect,possible --track-origins=yes
    --suppressions="$TCSEG_ROOT/tests/valgrind/tcseg.supp")
vlog=$(mktemp /tmp/tcseg-vg.XXXXXX)

# vg NAME CMD...: PASS if CMD succeeds and valgrind found nothing
# (VG_WANT_RC=1: CMD must fail with status 1, a refused command)
vg() {
	local name=$1 rc want=${VG_WANT_RC:-0}
	shift
	"${VG[@]}" --log-file="$vlog" "$@" >/dev/null 2>"$vlog.err"
	rc=$?
	if [ $rc -eq 99 ]; then
		t_fail "$name" "valgrind: $(grep -m3 -E '^==[0-9]+== [A-Z]' "$vlog" | tr '\n' ' ')"
	elif [ $rc -ne "$want" ]; then
		t_fail "$name" "exit $rc: $(tail -n 2 "$vlog.err" | tr '\n' ' ')"
	else
		t_pass "$name"
	fi
}

if ! command -v valgrind >/dev/null; then
	t_fail valgrind "valgrind not installed (make deps)"
	exit 1
fi

kp=$TCSEG_BUILD/tests/unit/test_keyprov
if [ -x "$kp" ]; then
	vg valgrind_unit_test_keyprov "$kp"
else
	t_fail valgrind_unit_test_keyprov "$kp not built"
fi

t_need_root valgrind_tcctl || { t_done; exit $?; }
tcctl=$TCSEG_BUILD/tcctl
vt() { local n=$1; shift; vg "valgrind_tcctl_$n" "$tcctl" -n "$NS_HOST" --pin-dir "$NT_DIR/bpf/tcseg" "$@"; }

if ! { nt_setup && nt_add_pod a 1 && nt_add_pod b 2; }; then
	t_fail valgrind_tcctl_setup "netns topology"
	exit 1
fi
vt attach attach va default deny
vt attach_tc attach vb mode tc
vt policy_add policy add from 10.200.0.1 to 10.200.0.2 proto tcp dport 80 action allow
vt policy_add_icmp policy add id 9 from 10.200.0.0/24 to 10.200.0.2 proto icmp action allow
vt policy_list policy list
vt policy_list_json -j policy list
in_pod a ping -c 2 -W 1 10.200.0.2 >/dev/null 2>&1
vt sessions sessions
vt stats stats
vt stats_json -p stats
vt policy_apply policy apply -f "$TCSEG_ROOT/policies/demo.policy"
vt policy_del policy del id 1
vt policy_flush policy flush
vt list -j list
vt default default deny
vt detach detach va
VG_WANT_RC=1 vt bad_word policy add from 10.200.0.1 action maybe
rm -f "$vlog" "$vlog.err"
t_done
