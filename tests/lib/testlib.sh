# Shared helpers for shell tests: source it, call t_pass/t_fail/t_skip,
# end with t_done (exit status 1 if anything failed).
# Output follows tests/run-all.sh: "PASS name", "FAIL name: why", "SKIP name: why".

T_FAILS=0

t_pass() { echo "PASS $1"; }
t_fail() { echo "FAIL $1: ${2:-failed}"; T_FAILS=$((T_FAILS + 1)); }
t_skip() { echo "SKIP $1: ${2:-skipped}"; }

# t_check NAME CMD...: PASS if CMD succeeds, FAIL with its output otherwise.
t_check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		t_pass "$name"
	else
		t_fail "$name" "$(echo "$out" | tail -n 3 | tr '\n' ' ')"
	fi
}

t_need_root() {
	if [ "$(id -u)" -ne 0 ]; then
		t_skip "$1" "needs root (run as root; CI does)"
		return 1
	fi
}

t_done() { [ "$T_FAILS" -eq 0 ]; }

TCSEG_ROOT=${TCSEG_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
TCSEG_BUILD=${TCSEG_BUILD:-$TCSEG_ROOT/build}
