#!/bin/bash
# Unpack the ELF vmlinux from a bzImage so qemu can boot it through its PVH
# entry point: under TCG this skips the in-guest xz decompression and
# halves the boot time (docs/VMTEST.md). Only a vmlinux with the PVH entry
# note (Xen note 0x12) is kept; otherwise tools/vm/run boots the bzImage.
#
# Usage: tools/vm/extract-vmlinux.sh BZIMAGE OUT
set -euo pipefail

[ $# -eq 2 ] || { echo "usage: $0 BZIMAGE OUT" >&2; exit 2; }
img=$1 out=$2
tmp=$out.tmp.$$
trap 'rm -f "$tmp"' EXIT

try() {	# MAGIC DECOMPRESS...
	local magic=$1 off
	shift
	for off in $(LC_ALL=C grep -obUaP "$magic" "$img" | cut -d: -f1 | head -n 4); do
		tail -c "+$((off + 1))" "$img" | "$@" > "$tmp" 2>/dev/null || true
		if readelf -n "$tmp" 2>/dev/null | grep -q 'Unknown note type: (0x00000012)'; then
			mv "$tmp" "$out"
			exit 0
		fi
	done
}

try '\xfd7zXZ\x00' xz -dc --single-stream
try '\x28\xb5\x2f\xfd' zstd -dcq
try '\x1f\x8b\x08' gzip -dc
echo "extract-vmlinux: no vmlinux with a PVH entry in $img" >&2
exit 1
