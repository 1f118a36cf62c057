#!/bin/bash
# Install every Debian package tcseg needs to build and test. Idempotent:
# apt-get runs only when a package is missing.
set -euo pipefail

PKGS=(
	make gcc clang llvm pkg-config libclang-rt-14-dev valgrind
	libbpf-dev bpftool libelf-dev zlib1g-dev
	libmnl-dev libjansson-dev libssl-dev android-libboringssl-dev libcmocka-dev
	iproute2 nftables iperf3 tcpdump netcat-openbsd curl python3 python3-cryptography python3-scapy procps openssl
	qemu-system-x86 busybox-static cpio kmod xz-utils
	podman runc containernetworking-plugins dpkg-dev man-db gzip
)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: all ${#PKGS[@]} packages present"
	exit 0
fi

echo "deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: must run as root to install packages" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
