#!/bin/bash
# Make sure the VM kernel and initramfs exist in VMDIR: the kernel is
# fetched only when missing, the initramfs is rebuilt when missing or older
# than tools/vm/init or tools/vm/mkinitrd.sh. Serialised with flock so
# parallel callers do not race.
#
# Usage: tools/vm/prepare.sh VMDIR
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 VMDIR" >&2; exit 1; }
vmdir=$1
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$vmdir"

exec 9> "$vmdir/.lock"
flock 9
if [ ! -s "$vmdir/kver" ]; then
	"$here/fetch-kernel.sh" "$vmdir"
fi
kver=$(cat "$vmdir/kver")
# An empty vmlinux.none marks a kernel without a PVH entry: boot the bzImage.
if [ ! -s "$vmdir/vmlinux" ] && [ ! -e "$vmdir/vmlinux.none" ]; then
	"$here/extract-vmlinux.sh" "$vmdir/kernel/boot/vmlinuz-$kver" "$vmdir/vmlinux" ||
		: > "$vmdir/vmlinux.none"
fi
initrd=$vmdir/initrd.cpio
if [ ! -s "$initrd" ] || [ "$here/init" -nt "$initrd" ] ||
	[ "$here/mkinitrd.sh" -nt "$initrd" ] || [ "$vmdir/kver" -nt "$initrd" ]; then
	"$here/mkinitrd.sh" "$vmdir"
fi
