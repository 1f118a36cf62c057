#!/bin/bash
# Test PKI for the key provider: a CA, one certificate per node (EC P-256,
# SAN DNS = node name, CN = node name) and a "rogue" node-a certificate
# signed by a different CA (for negative tests). Idempotent: files that
# exist are kept. Never use these keys outside tests.
#
# Usage: tools/gen-certs.sh DIR [NODE...]     (default nodes: node-a node-b)
# Writes DIR/ca.pem DIR/ca.key DIR/NODE.pem DIR/NODE.key
#        DIR/rogue-ca.pem DIR/rogue-ca.key DIR/rogue.pem DIR/rogue.key
set -euo pipefail

dir=${1:?usage: $0 DIR [NODE...]}
shift
nodes=("$@")
[ ${#nodes[@]} -gt 0 ] || nodes=(node-a node-b)
mkdir -p "$dir"
umask 077

ca() {	# ca NAME SUBJECT
	[ -s "$dir/$1.pem" ] && [ -s "$dir/$1.key" ] && return 0
	openssl ecparam -name prime256v1 -genkey -noout -out "$dir/$1.key"
	openssl req -new -x509 -key "$dir/$1.key" -out "$dir/$1.pem" \
		-days 3650 -subj "/CN=$2" -sha256 \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign"
}

leaf() {	# leaf FILE NODE-NAME CA
	local f=$1 name=$2 ca=$3 ext
	[ -s "$dir/$f.pem" ] && [ -s "$dir/$f.key" ] && return 0
	case $name in
	*[!A-Za-z0-9.-]*|'') echo "gen-certs: bad node name '$name'" >&2
		exit 1 ;;
	esac
	ext=$(mktemp)
	printf '%s\n' "basicConstraints=critical,CA:FALSE" \
		"keyUsage=critical,digitalSignature" \
		"extendedKeyUsage=serverAuth,clientAuth" \
		"subjectAltName=DNS:$name" > "$ext"
	openssl ecparam -name prime256v1 -genkey -noout -out "$dir/$f.key"
	openssl req -new -key "$dir/$f.key" -subj "/CN=$name" \
		-out "$dir/$f.csr"
	openssl x509 -req -in "$dir/$f.csr" -CA "$dir/$ca.pem" \
		-CAkey "$dir/$ca.key" -CAcreateserial -days 3650 -sha256 \
		-extfile "$ext" -out "$dir/$f.pem" 2>/dev/null
	rm -f "$dir/$f.csr" "$ext"
}

ca ca "tcseg test node CA"
ca rogue-ca "tcseg rogue CA"
for n in "${nodes[@]}"; do
	leaf "$n" "$n" ca
done
leaf rogue node-a rogue-ca
chmod 644 "$dir"/*.pem
echo "gen-certs: $dir: ca ${nodes[*]} rogue"
