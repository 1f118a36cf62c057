#!/usr/bin/env python3
# Key hygiene check for netns-tests/test_key_hygiene.sh (issue #6 part 4).
# From the KNOWN TLSHub master key the test peer served, recompute the kTLS
# material the daemons derived for FLOW (docs/TLSHUB.md §4, independently
# of ctl/keys/tlshub_client.c), check it against the fingerprint the daemon
# logged (so the needles are the keys the daemon really held), then look
# for every secret in every FILE: hex (lower, upper, ':'-separated),
# base64 (standard and url-safe, all three alignments) and raw bytes.
# --pid PID also reads the live process's memory (/proc/PID/maps + mem,
# every readable mapping: what a core dump of it would hold) for the raw
# and hex forms of the secrets that must have been wiped after use.
# Usage: key_hygiene.py --master HEX --flow A:P->B:Q --fp FP [--cipher N]
#                       [--isn CLIENT:SERVER] [--pid PID]... [FILE...]
# --isn: the connection's ISNs as the daemon logged them (isn=C:S): the v2
# schedule; without it v1.
# Exit 0 clean, 1 a secret found (one "FOUND" line each), 2 usage,
# 3 fingerprint mismatch (the needles would be wrong: test cannot pass).
import argparse
import base64
import hashlib
import hmac
import socket
import struct
import sys

SALT = b"tcseg tlshub v1"
SALT_V2 = b"tcseg tlshub v2"
KEYLEN = {51: 16, 52: 32, 54: 32}	# AES-GCM-128/256, ChaCha20-Poly1305


def expand_label(prk, label, ctx, n):
    full = b"tls13 " + label.encode()
    info = struct.pack(">HB", n, len(full)) + full + bytes([len(ctx)]) + ctx
    out, t, i = b"", b"", 1
    while len(out) < n:
        t = hmac.new(prk, t + info + bytes([i]), hashlib.sha256).digest()
        out += t
        i += 1
    return out[:n]


def derive(master, flow, cipher, isn=None):
    src, dst = flow.split("->")
    sa, sp = src.rsplit(":", 1)
    da, dp = dst.rsplit(":", 1)
    ctx = (socket.inet_aton(sa) + socket.inet_aton(da) +
           struct.pack(">HHH", int(sp), int(dp), cipher))
    salt = SALT
    if isn:
        c, s = isn.split(":")
        ctx += struct.pack(">II", int(c), int(s))
        salt = SALT_V2
    prk = hmac.new(salt, master, hashlib.sha256).digest()
    k = KEYLEN[cipher]
    return {
        "c2s_key": expand_label(prk, "tcseg c2s key", ctx, k),
        "c2s_iv": expand_label(prk, "tcseg c2s iv", ctx, 12),
        "s2c_key": expand_label(prk, "tcseg s2c key", ctx, k),
        "s2c_iv": expand_label(prk, "tcseg s2c iv", ctx, 12),
    }


def b64_forms(b):
    """Base64 text that any encoding of a blob containing b must hold."""
    out = []
    for pad in range(3):
        for enc in (base64.b64encode, base64.urlsafe_b64encode):
            s = enc(bytes(pad) + b).decode()
            # drop chars mixing in the pad bytes or what follows
            lead = (pad * 8 + 5) // 6
            tail = len(b) + pad
            full = (tail * 8) // 6
            mid = s[lead:full]
            if len(mid) >= 6:
                out.append(mid)
    return out


def needles(secrets):
    out = []
    for name, b in secrets.items():
        h = b.hex()
        forms = [("hex", h.encode()), ("HEX", h.upper().encode()),
                 ("hex:", ":".join(h[i:i + 2] for i in range(0, len(h), 2)).encode()),
                 ("raw", b)]
        if len(b) >= 6:
            forms += [("base64", s.encode()) for s in b64_forms(b)]
        out += [(name, f, n) for f, n in forms]
    return out


def scan_memory(pid, ns):
    found = size = 0
    with open("/proc/%d/maps" % pid) as maps, \
            open("/proc/%d/mem" % pid, "rb", 0) as mem:
        for line in maps:
            f = line.split()
            lo, hi = (int(x, 16) for x in f[0].split("-"))
            name = f[5] if len(f) > 5 else ""
            if f[1][0] != "r" or name in ("[vvar]", "[vsyscall]"):
                continue
            try:
                mem.seek(lo)
                data = mem.read(hi - lo)
            except OSError:
                continue
            size += len(data)
            for sname, form, n in ns:
                if n in data:
                    print("FOUND %s %s in memory of pid %d at %s %s" %
                          (sname, form, pid, f[0], name))
                    found += 1
    return found, size


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--master", required=True)
    ap.add_argument("--flow", required=True)
    ap.add_argument("--fp", required=True)
    ap.add_argument("--cipher", type=int, default=51)
    ap.add_argument("--isn")
    ap.add_argument("--pid", type=int, action="append", default=[])
    ap.add_argument("files", nargs="*")
    a = ap.parse_args()
    master = bytes.fromhex(a.master)
    d = derive(master, a.flow, a.cipher, a.isn)
    fp = hashlib.sha256(d["c2s_key"] + d["c2s_iv"] + d["s2c_key"] +
                        d["s2c_iv"]).hexdigest()[:16]
    if fp != a.fp:
        print("fingerprint mismatch: derived %s, daemon logged %s" %
              (fp, a.fp))
        return 3
    secrets = {"master": master}
    for side in ("c2s", "s2c"):
        key, iv = d[side + "_key"], d[side + "_iv"]
        secrets[side + "_key"] = key
        secrets[side + "_iv"] = iv
        secrets[side + "_salt"] = iv[:4]	# kTLS salt, then iv
        secrets[side + "_iv8"] = iv[4:]
    found = 0
    ns = needles(secrets)
    for path in a.files:
        with open(path, "rb") as f:
            data = f.read()
        for name, form, n in ns:
            if n in data or (form == "hex" and n in data.lower()):
                print("FOUND %s %s in %s" % (name, form, path))
                found += 1
    print("scanned %d files, %d bytes, %d needles: %d found" %
          (len(a.files), sum(len(open(p, "rb").read()) for p in a.files),
           len(ns), found))
    for pid in a.pid:
        n, size = scan_memory(pid, [x for x in ns if x[1] in ("raw", "hex")
                                     # 4 bytes: chance hits in MBs; the
                                     # salt is inside the 12-byte IV
                                     and not x[0].endswith("_salt")])
        print("scanned memory of pid %d: %d bytes, %d found" % (pid, size, n))
        found += n
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
