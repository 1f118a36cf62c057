#!/usr/bin/awk -f
# Turn a tcseg policy file (the words prog_bench gen-policy writes: id,
# from, to, proto, sport, dport, action) into nft rules, one per rule, in
# file order, for a chain body: `ip saddr S ip daddr D tcp dport P drop`.
# -v reply=1 also writes the reverse of every allow (stateless chains
# need it for the replies). encrypt and log become accept.
function verdict(a) { return a == "deny" ? "drop" : "accept" }

function rule(s, d, proto, sp, dp, act,    r) {
	r = ""
	if (s != "")
		r = r "ip saddr " s " "
	if (d != "")
		r = r "ip daddr " d " "
	if (proto == "tcp" || proto == "udp") {
		r = r "meta l4proto " proto " "
		if (sp != "")
			r = r proto " sport " sp " "
		if (dp != "")
			r = r proto " dport " dp " "
	} else if (proto == "icmp") {
		r = r "meta l4proto icmp "
	}
	return r verdict(act)
}

/^[ \t]*(#|$)/ { next }
{
	sub(/#.*/, "")
	s = d = proto = sp = dp = act = ""
	for (i = 1; i < NF; i += 2) {
		w = $i; v = $(i + 1)
		if (w == "from") s = v
		else if (w == "to") d = v
		else if (w == "proto") proto = v
		else if (w == "sport") sp = v
		else if (w == "dport") dp = v
		else if (w == "action") act = v
		else if (w != "id" && w != "dev") {
			printf "policy2nft: line %d: unsupported word '%s'\n", NR, w > "/dev/stderr"
			exit 1
		}
	}
	if (act == "") {
		printf "policy2nft: line %d: no action\n", NR > "/dev/stderr"
		exit 1
	}
	print "\t\t" rule(s, d, proto, sp, dp, act)
	if (reply && act != "deny")
		print "\t\t" rule(d, s, proto, dp, sp, act)
}
