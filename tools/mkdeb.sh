#!/bin/bash
# Build the Debian package: tools/mkdeb.sh BUILD_DIR (make deb).
# `make install` into a staging root with PREFIX=/usr, Depends from
# dpkg-shlibdeps (the libraries the binaries really link), dpkg-deb
# --root-owner-group. Prints the package's path.
set -euo pipefail

build=$(cd "${1:?usage: mkdeb.sh BUILD_DIR}" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
version=$(sed -n 's/^#define TCSEG_VERSION[[:space:]]*"\(.*\)"/\1/p' "$root/ctl/lib/runtime.h")
arch=$(dpkg --print-architecture)
work=$build/deb
stage=$work/tcseg
out=$build/tcseg_${version}_${arch}.deb

rm -rf "$work"
mkdir -p "$stage/DEBIAN"
make -C "$root" --no-print-directory BUILD="$build" PREFIX=/usr \
	DESTDIR="$stage" install >/dev/null

# dpkg-shlibdeps wants a source tree with debian/control
mkdir -p "$work/src/debian"
printf 'Source: tcseg\n\nPackage: tcseg\nArchitecture: any\n' \
	>"$work/src/debian/control"
elves=()
while IFS= read -r f; do
	elves+=("$f")
done < <(find "$stage" -type f \( -perm -u+x -o -name '*.so' \) \
	 -exec sh -c 'head -c 4 "$1" | grep -q ELF' _ {} \; -print)
deps=$(cd "$work/src" && dpkg-shlibdeps -O --ignore-missing-info \
	-l"$stage/usr/lib/tcseg" "${elves[@]}" 2>/dev/null |
	sed -n 's/^shlibs:Depends=//p' |
	sed 's/libbpf1 (>= [^)]*)/libbpf1 (>= 1:1.1.0)/')  # ctl/lib/runtime.h

size=$(du -sk "$stage" | cut -f1)
cat >"$stage/DEBIAN/control" <<EOC
Package: tcseg
Version: $version
Architecture: $arch
Maintainer: tcseg developers <tcseg@localhost>
Installed-Size: $size
Depends: $deps
Recommends: containernetworking-plugins
Section: net
Priority: optional
Homepage: https://github.com/tcseg/tcseg
Description: TC/eBPF microsegmentation gateway for container hosts
 eBPF programs on the host side of every pod veth (tcx or clsact) enforce
 per-pod policy on IPv4 TCP/UDP/ICMP flows with session tracking and
 address binding. tcctl drives them, tcsegd hands encrypt flows to kernel
 TLS, and tcseg-cni (in /usr/lib/cni) attaches tcseg to containers that
 podman or a Kubernetes runtime creates.
EOC
dpkg-deb --root-owner-group -Zxz --build "$stage" "$out" >/dev/null
echo "$out"
