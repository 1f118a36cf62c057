#!/bin/bash
# tlshub_bench --tls ktls inside the VM (a kernel with tls): OpenSSL TLS 1.3
# handshake, keys derived from the traffic secrets and handed to the kernel
# with configure_ktls(), data with plain send/recv/sendfile. For each suite
# a kTLS client and a kTLS server (mTLS) must echo every byte intact
# (--verify); an OpenSSL client must talk to a kTLS server and a kTLS
# client to an OpenSSL server (the kernel's records are real TLS 1.3 that
# OpenSSL decrypts and authenticates); sendfile over kTLS must carry the
# whole file. Loopback, small counts (TCG is slow).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/testlib.sh"

if [ "${TCSEG_IN_VM:-0}" != 1 ]; then
	exec "$TCSEG_ROOT/tools/vm/run" -- "$here/$(basename "$0")"
fi

B=$TCSEG_BUILD/bench/tlshub_bench
W=$(mktemp -d /tmp/tcseg-l7vm.XXXXXX)
SRV=
trap '[ -n "$SRV" ] && kill $SRV 2>/dev/null; rm -rf "$W"' EXIT

if [ ! -x "$B" ]; then
	t_fail l7vm_built "$B missing (make all)"
	exit 1
fi
modprobe tls 2>/dev/null
if ! grep -qw tls /proc/sys/net/ipv4/tcp_available_ulp; then
	t_fail l7vm_ktls_kernel "no tls ULP in $(uname -r): this test needs the VM kernel"
	exit 1
fi
"$TCSEG_ROOT/tools/gen-certs.sh" "$W/certs" >/dev/null 2>&1 ||
	{ t_fail l7vm_certs "tools/gen-certs.sh failed"; exit 1; }
C=$W/certs

csv() {
	awk -F, -v f="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == f) c = i }
		NR == 2 && c { print $c }' "$1"
}

# pair NAME SRV-TLS CLI-TLS CIPHER CONNS REQS SIZE [CLIENT-ARGS...]
pair() {
	local name=$1 stls=$2 ctls=$3 cipher=$4 n=$5 reqs=$6 size=$7 port='' rc
	shift 7
	: >"$W/srv.log"
	"$B" --mode server --listen-ip 127.0.0.1 --listen-port 0 --tls "$stls" \
		--cipher "$cipher" --cert "$C/node-b.pem" --key "$C/node-b.key" \
		--ca "$C/ca.pem" --output "$W/srv-$name" >"$W/srv.log" 2>&1 &
	SRV=$!
	for _ in $(seq 1 300); do
		port=$(sed -n 's/.*server listening on [0-9.]*:\([0-9]*\) .*/\1/p' "$W/srv.log")
		[ -n "$port" ] && break
		sleep 0.1
	done
	timeout 120 "$B" --mode client --target-port "${port:-1}" --tls "$ctls" \
		--cipher "$cipher" --ca "$C/ca.pem" --cert "$C/node-a.pem" \
		--key "$C/node-a.key" --total-connections "$n" --concurrency 2 \
		--requests "$reqs" --data-size "$size" --output "$W/cli-$name" "$@" \
		>"$W/cli.log" 2>&1
	rc=$?
	kill -TERM $SRV 2>/dev/null
	wait $SRV 2>/dev/null
	SRV=
	if [ $rc -eq 0 ] && [ "$(csv "$W/cli-$name.csv" conns_completed)" = "$n" ] &&
		[ "$(csv "$W/cli-$name.csv" rx_bytes)" = $((n * reqs * size)) ] &&
		[ "$(csv "$W/cli-$name.csv" handshake_us_n)" = "$n" ] &&
		[ "$(csv "$W/srv-$name.csv" tx_bytes)" = $((n * reqs * size)) ] &&
		[ "$(csv "$W/srv-$name.csv" conns_failed)" = 0 ]; then
		t_pass "$name"
	else
		t_fail "$name" "exit $rc: $(grep -hE 'completed|error|tlshub_bench:' "$W/cli.log" "$W/srv.log" | head -n 4 | tr '\n' ' ')"
	fi
}

for cipher in aes128gcm aes256gcm chacha20; do
	pair l7vm_ktls_${cipher}_mtls_verify ktls ktls $cipher 4 3 50000 --verify
done
pair l7vm_openssl_client_to_ktls_server ktls openssl aes128gcm 3 2 40000 --verify
pair l7vm_ktls_client_to_openssl_server openssl ktls chacha20 3 2 40000 --verify
head -c 300000 /dev/urandom >"$W/payload"
pair l7vm_ktls_sendfile ktls ktls aes128gcm 2 3 300000 --sendfile "$W/payload"
t_done
