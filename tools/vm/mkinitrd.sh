#!/bin/bash
# Build the VM test initramfs: static busybox, tools/vm/init as /init and
# only the modules needed before the host's root is mounted over virtio-9p
# (virtio_pci, 9pnet_virtio, 9p, overlay and their dependencies). Every
# other module is used from the extracted kernel tree through the 9p share.
#
# Usage: tools/vm/mkinitrd.sh VMDIR   (after tools/vm/fetch-kernel.sh VMDIR)
# Result: VMDIR/initrd.cpio (uncompressed: nothing to unpack under TCG).
set -euo pipefail

die() { echo "mkinitrd: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: $0 VMDIR"
vmdir=$1
here=$(cd "$(dirname "$0")" && pwd)
[ -s "$vmdir/kver" ] || die "$vmdir/kver missing: run tools/vm/fetch-kernel.sh $vmdir first"
kver=$(cat "$vmdir/kver")
kroot=$vmdir/kernel
busybox=${BUSYBOX:-/bin/busybox}

[ -x "$busybox" ] || die "$busybox missing: install busybox-static (make deps)"
if readelf -l "$busybox" 2>/dev/null | grep -q 'program interpreter'; then
	die "$busybox is dynamically linked: install busybox-static (make deps)"
fi
command -v cpio >/dev/null || die "cpio missing (make deps)"

work=$(mktemp -d "$vmdir/initrd.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work"/{bin,dev,proc,sys,modules,host,rw,newroot}
cp "$busybox" "$work/bin/busybox"
cp "$here/init" "$work/init"
chmod 755 "$work/init" "$work/bin/busybox"
# The kernel opens /dev/console for /init before anything is mounted.
mknod -m 600 "$work/dev/console" c 5 1 2>/dev/null || true

# Early modules in load order, dependencies first, each once.
deps=$(modprobe -d "$kroot" -S "$kver" --show-depends -a \
	virtio_pci 9pnet_virtio 9p overlay) ||
	die "modprobe --show-depends failed for the early modules in $kroot"
: > "$work/modules/order"
for ko in $(echo "$deps" | awk '$1 == "insmod" { print $2 }'); do
	name=$(basename "$ko")
	grep -qx "$name" "$work/modules/order" && continue
	cp "$ko" "$work/modules/$name"
	echo "$name" >> "$work/modules/order"
done
[ -s "$work/modules/order" ] || die "no early modules found (all built in?)"

(cd "$work" && find . -mindepth 1 | LC_ALL=C sort |
	cpio -o -H newc -R 0:0 --quiet) > "$vmdir/initrd.cpio.tmp"
mv "$vmdir/initrd.cpio.tmp" "$vmdir/initrd.cpio"
echo "mkinitrd: $vmdir/initrd.cpio ($(du -k "$vmdir/initrd.cpio" | cut -f1) KiB," \
	"modules: $(tr '\n' ' ' < "$work/modules/order"))" >&2
