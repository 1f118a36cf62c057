#!/bin/bash
# Fetch Debian's stock kernel for the VM tests: `apt-get download` of the
# package linux-image-amd64 depends on, `dpkg -x` into VMDIR/kernel (never
# installed on the host), `depmod -b` so modprobe works in the guest.
#
# Usage: tools/vm/fetch-kernel.sh VMDIR
# Result: VMDIR/kernel/{boot,lib/modules/KVER}, VMDIR/kver (written last:
# its presence means the kernel is complete).
# TCSEG_VM_KERNEL_PKG=linux-image-X-amd64 overrides the package name.
set -euo pipefail

die() { echo "fetch-kernel: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: $0 VMDIR"
vmdir=$1
mkdir -p "$vmdir"

resolve_pkg() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }'
}

pkg=${TCSEG_VM_KERNEL_PKG:-}
if [ -z "$pkg" ]; then
	pkg=$(resolve_pkg)
	if [ -z "$pkg" ] && [ "$(id -u)" -eq 0 ]; then
		echo "fetch-kernel: no apt lists for linux-image-amd64, running apt-get update" >&2
		apt-get update -qq
		pkg=$(resolve_pkg)
	fi
fi
[ -n "$pkg" ] || die "cannot resolve the kernel package: 'apt-cache depends linux-image-amd64' names no linux-image-<ver>-amd64"
case $pkg in
linux-image-[0-9]*-amd64) ;;
*) die "unexpected kernel package name '$pkg' (want linux-image-<ver>-amd64)" ;;
esac
kver=${pkg#linux-image-}

tmp=$(mktemp -d "$vmdir/fetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "fetch-kernel: downloading $pkg" >&2
(cd "$tmp" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >/dev/null) ||
	die "apt-get download $pkg failed (network to the Debian mirror?)"
deb=$(ls "$tmp"/*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || die "apt-get download $pkg produced no .deb in $tmp"
dpkg -x "$deb" "$tmp/root"
rm -f "$deb"

[ -f "$tmp/root/boot/vmlinuz-$kver" ] || die "$pkg has no boot/vmlinuz-$kver"
moddir=$tmp/root/lib/modules/$kver
[ -d "$moddir" ] || die "$pkg has no lib/modules/$kver"
config=$tmp/root/boot/config-$kver
for opt in CONFIG_TLS=m CONFIG_KPROBES=y CONFIG_DEBUG_INFO_BTF=y \
	CONFIG_NET_9P_VIRTIO=m CONFIG_9P_FS=m CONFIG_OVERLAY_FS=m; do
	grep -qx "$opt" "$config" ||
		echo "fetch-kernel: warning: $config lacks $opt; tools/vm/mkinitrd.sh or tests may fail" >&2
done
depmod -b "$tmp/root" "$kver" || die "depmod -b $tmp/root $kver failed"

rm -rf "$vmdir/kernel" "$vmdir/kver"
mv "$tmp/root" "$vmdir/kernel"
echo "$kver" > "$vmdir/kver"
echo "fetch-kernel: $kver ready in $vmdir/kernel" >&2
