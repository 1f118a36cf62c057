#!/bin/bash
# tcseg-cni's answers to hostile input, as a runtime sees them: every
# error is one CNI error object on stdout ({"cniVersion","code","msg"})
# with a non-zero exit; VERSION lists the spoken versions. No root needed:
# all of these stop before tcctl runs.
set -uo pipefail
. "$(dirname "$0")/../lib/testlib.sh"

CNI=$TCSEG_BUILD/tcseg-cni
OK='{"cniVersion":"1.0.0","name":"n","type":"tcseg-cni"}'

# expect NAME CODE STDIN ENV...: exit 1 and error code CODE on stdout
expect() {
	local name=$1 code=$2 in=$3 out rc
	shift 3
	out=$(printf '%s' "$in" | env -i "$@" "$CNI")
	rc=$?
	if [ "$rc" -ne 0 ] && python3 -c '
import json, sys
e = json.loads(sys.argv[1])
assert e["code"] == int(sys.argv[2]) and e["msg"] and e["cniVersion"]' "$out" "$code" 2>/dev/null; then
		t_pass "$name"
	else
		t_fail "$name" "exit $rc, stdout '$out', want code $code"
	fi
}

A=(CNI_CONTAINERID=c1 CNI_IFNAME=eth0 CNI_NETNS=/run/netns/none)
expect cni_bad_json 6 '{"cniVersion":' CNI_COMMAND=ADD "${A[@]}"
expect cni_not_object 6 '[]' CNI_COMMAND=ADD "${A[@]}"
expect cni_old_version 1 '{"cniVersion":"0.2.0"}' CNI_COMMAND=ADD "${A[@]}"
expect cni_bad_default 7 '{"cniVersion":"1.0.0","default":7}' CNI_COMMAND=ADD "${A[@]}"
expect cni_not_chained 7 "$OK" CNI_COMMAND=ADD "${A[@]}"
expect cni_no_command 4 "$OK" "${A[@]}"
expect cni_unknown_command 4 "$OK" CNI_COMMAND=GC "${A[@]}"
expect cni_id_escapes 4 "$OK" CNI_COMMAND=DEL CNI_CONTAINERID=../../etc CNI_IFNAME=eth0
expect cni_bad_ifname 4 "$OK" CNI_COMMAND=DEL CNI_CONTAINERID=c1 CNI_IFNAME=a/b
expect cni_bad_args 4 '{"cniVersion":"1.0.0","prevResult":{}}' CNI_COMMAND=ADD \
	"${A[@]}" 'CNI_ARGS=K8S_POD_NAME=a b'
expect cni_index_out_of_range 6 '{"cniVersion":"1.0.0","prevResult":{"interfaces":
	[{"name":"v1"},{"name":"eth0","sandbox":"/n"}],"ips":[{"interface":2,
	"address":"10.0.0.2/24"}]}}' CNI_COMMAND=ADD "${A[@]}"
# a pod name policies cannot name (docs/POLICY.md §Pods): refused before
# tcctl runs (a tcctl that fails would give code 100)
LO='{"cniVersion":"1.0.0","name":"n","tcctl":"/bin/false","prevResult":{
	"interfaces":[{"name":"lo"},{"name":"eth0","sandbox":"/n"}],
	"ips":[{"interface":1,"address":"10.0.0.2/24"}]}}'
expect cni_pod_namespace_too_long 4 "$LO" CNI_COMMAND=ADD "${A[@]}" \
	"CNI_ARGS=K8S_POD_NAME=p;K8S_POD_NAMESPACE=$(printf 'n%.0s' $(seq 64))"
expect cni_pod_name_dot 4 "$LO" CNI_COMMAND=ADD "${A[@]}" \
	"CNI_ARGS=K8S_POD_NAME=.p"
big=$(head -c $((2 << 20)) /dev/zero | tr '\0' ' ')
expect cni_huge_input 6 "{\"cniVersion\":\"1.0.0\"}$big" CNI_COMMAND=ADD "${A[@]}"

out=$(env -i CNI_COMMAND=VERSION "$CNI" </dev/null)
if python3 -c '
import json, sys
v = json.loads(sys.argv[1])
assert "1.0.0" in v["supportedVersions"] and "0.4.0" in v["supportedVersions"]' "$out" 2>/dev/null; then
	t_pass cni_version
else
	t_fail cni_version "stdout '$out'"
fi
t_done
