#!/bin/bash
# Time `tcctl policy apply -f` of a big policy (prog_bench gen-policy:
# 100k exact + 10k CIDR fillers by default) on a private bpffs:
#   first    into freshly loaded, empty maps
#   same     the same file again (nothing changes)
#   change1  the file with 1% of the fillers changed (dport + 1, action
#            flipped: their map entries are replaced)
#   back     the original file again (undoes the 1%)
# Wall and CPU (user + system) time of the whole tcctl command (start,
# parse, check, compile, map writes), median over the rounds; each round
# reloads the maps. On a busy machine the wall time also holds the time
# tcctl waited for a CPU; the CPU time does not.
#
#   bench/policy_apply.sh [-e EXACT] [-c CIDR] [-r ROUNDS]
# Needs root and BPF. TCSEG_BUILD = build dir (tcctl, bench/prog_bench).
set -uo pipefail
. "$(dirname "$0")/../tests/lib/testlib.sh"

EXACT=100000 CIDR=10000 ROUNDS=5
while getopts "e:c:r:" o; do
	case $o in
	e) EXACT=$OPTARG ;;
	c) CIDR=$OPTARG ;;
	r) ROUNDS=$OPTARG ;;
	*) echo "usage: $0 [-e EXACT] [-c CIDR] [-r ROUNDS]" >&2; exit 2 ;;
	esac
done
PB=$TCSEG_BUILD/bench/prog_bench
TCCTL=$TCSEG_BUILD/tcctl
DIR=

die() { echo "policy_apply: $*" >&2; exit 1; }

cleanup() {
	[ -n "$DIR" ] || return
	umount "$DIR/bpf" 2>/dev/null
	rm -rf "$DIR"
}

tc_() { "$TCCTL" --pin-dir "$DIR/bpf/tcseg" "$@"; }

# ms FILE: apply FILE, print "WALL CPU" in ms (CPU = user + system)
ms() {
	/usr/bin/time -o "$DIR/time" -f '%e %U %S' "$TCCTL" \
		--pin-dir "$DIR/bpf/tcseg" policy apply -f "$1" >/dev/null ||
		return 1
	awk '{ printf "%d %d\n", $1 * 1000, ($2 + $3) * 1000 }' "$DIR/time"
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

max() { [ "$1" -gt "$2" ] && echo "$1" || echo "$2"; }

main() {
	local r k v c
	declare -A res cpu
	[ "$(id -u)" = 0 ] || die "needs root"
	[ -x "$PB" ] && [ -x "$TCCTL" ] || die "build first: make bench"
	DIR=$(mktemp -d /tmp/tcseg-apply.XXXXXX) || die "mktemp"
	trap cleanup EXIT
	mkdir "$DIR/bpf" && mount -t bpf bpf "$DIR/bpf" || die "mount bpffs"
	"$PB" gen-policy --exact "$EXACT" --cidr "$CIDR" >"$DIR/orig" &&
		"$PB" gen-policy --exact "$EXACT" --cidr "$CIDR" --change 1 >"$DIR/change1" ||
		die "gen-policy"
	echo "policy_apply: kernel $(uname -r), $(nproc) CPUs, $EXACT exact + $CIDR CIDR fillers (+5 fixed), $ROUNDS rounds"
	echo "changed lines in the 1% file: $(diff "$DIR/orig" "$DIR/change1" | grep -c '^>')"
	for r in $(seq "$ROUNDS"); do
		tc_ unload >/dev/null 2>&1
		tc_ load exact "$(max 131072 $((EXACT + 16)))" \
			cidr "$(max 16384 $((CIDR + 16)))" \
			cidr-entries "$(max 65536 $((CIDR + 64)))" \
			classes "$(max 16384 $((CIDR + 16)))" >/dev/null || die "tcctl load"
		for k in first:orig same:orig change1:change1 back:orig; do
			v=$(ms "$DIR/${k#*:}") || die "apply ${k%%:*} failed"
			res[${k%%:*}]="${res[${k%%:*}]:-} ${v% *}"
			cpu[${k%%:*}]="${cpu[${k%%:*}]:-} ${v#* }"
			printf "round %d %-8s %6d ms wall %6d ms CPU\n" "$r" \
				"${k%%:*}" "${v% *}" "${v#* }"
		done
	done
	[ "$(tc_ -j policy list | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = $((EXACT + CIDR + 5)) ] ||
		die "rule count after apply is wrong"
	echo
	printf "%-8s %9s %9s   %s\n" apply "wall ms" "CPU ms" "rounds (wall)"
	for k in first same change1 back; do
		v=$(echo ${res[$k]} | tr ' ' '\n' | median)
		c=$(echo ${cpu[$k]} | tr ' ' '\n' | median)
		printf "%-8s %9s %9s   %s\n" "$k" "$v" "$c" "${res[$k]# }"
		echo "RESULT apply_$k $v $c" >>"$DIR/results"
	done
	cat "$DIR/results"
}

main
