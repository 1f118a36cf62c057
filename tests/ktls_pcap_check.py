#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check a capture of one ktls_peer exchange (tests/vm/20-ktls.sh);
IPv4 or IPv6 (tests/vm/45-daemon-ktls6.sh).

Proves the payload on the wire is TLS and only TLS:
  * the marker (and the echo) never appears in any captured frame;
  * each direction's TCP stream starts with an application-data record
    header (0x17 0x03 0x03) and parses into whole records, nothing else;
  * with --seed, every record decrypts, with keys, IVs and sequence
    numbers derived here independently of the C code (Python
    'cryptography'), to exactly marker (client->server) and
    "ECHO:" + marker (server->client). That pins the crypto_info layout
    (salt/iv split, key, big-endian rec_seq) to what the TLS RFCs say.

Usage: ktls_pcap_check.py PCAP --port P --marker M
       [--seed S --cipher aes128|aes256|chacha --version 1.2|1.3 --seq N]
       [--absent-hex HEX] [--partial]
   or: ktls_pcap_check.py --batch FILE
       one check a line: "NAME PCAP --port P ..."; prints "PASS NAME" or
       "FAIL NAME: why" per line (Python starts once: slow in the VM).
--absent-hex: more bytes that must not appear (e.g. a file's first bytes).
--partial: the capture may end mid-stream (-c N); skip the
decryption/complete-parse checks, still check headers and absence.
--expect-fail: negative control, passes only if the check fails.
--one-way: the server may send nothing back (nc -l): an empty
server->client stream is allowed; a non-empty one is still checked.
Prints what it checked; exit 0 = all good, 1 = a check failed, 2 = usage.
"""
import argparse
import hashlib
import shlex
import struct
import sys

KEY_LEN = {"aes128": 16, "aes256": 32, "chacha": 32}


class CheckFailed(Exception):
    pass


def fail(msg):
    raise CheckFailed(msg)


def read_pcap(path):
    """Yield (linktype, frame bytes) from a classic pcap file."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        fail(f"{path}: too short for a pcap header")
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        end = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        end = ">"
    else:
        fail(f"{path}: not a classic pcap file (magic {magic.hex()})")
    linktype = struct.unpack(end + "I", data[20:24])[0]
    off = 24
    while off + 16 <= len(data):
        incl = struct.unpack(end + "I", data[off + 8:off + 12])[0]
        off += 16
        if off + incl > len(data):
            break  # truncated last packet (tcpdump killed)
        yield linktype, data[off:off + incl]
        off += incl


def ip_payload(linktype, frame):
    if linktype == 1:  # Ethernet
        etype = struct.unpack(">H", frame[12:14])[0]
        off = 14
        if etype == 0x8100:
            etype = struct.unpack(">H", frame[16:18])[0]
            off = 18
    elif linktype == 113:  # Linux cooked v1
        etype, off = struct.unpack(">H", frame[14:16])[0], 16
    elif linktype == 276:  # Linux cooked v2
        etype, off = struct.unpack(">H", frame[0:2])[0], 20
    elif linktype in (12, 101):  # raw IP (either version)
        etype, off = 0x86DD if frame[:1] and frame[0] >> 4 == 6 else 0x0800, 0
    else:
        fail(f"unsupported link type {linktype}")
    return frame[off:] if etype in (0x0800, 0x86DD) else None


def tcp_of(ip):
    """The TCP segment in an IPv4 or IPv6 packet (no extension headers:
    tcseg's IPv6 test flows carry none), or None."""
    if len(ip) >= 40 and ip[0] >> 4 == 6:
        if ip[6] != 6:
            return None
        plen = struct.unpack(">H", ip[4:6])[0]
        return ip[40:40 + plen]
    if len(ip) < 20 or ip[9] != 6:
        return None
    ihl = (ip[0] & 0x0F) * 4
    tot = struct.unpack(">H", ip[2:4])[0]
    return ip[ihl:tot]


def tcp_segments(path, port):
    """{'c2s'|'s2c': {seq: payload}} for TCP segments with payload."""
    streams = {"c2s": {}, "s2c": {}}
    frames = []
    for linktype, frame in read_pcap(path):
        frames.append(frame)
        ip = ip_payload(linktype, frame)
        tcp = tcp_of(ip) if ip is not None else None
        if tcp is None or len(tcp) < 20:
            continue
        sport, dport, seq = struct.unpack(">HHI", tcp[:8])
        doff = (tcp[12] >> 4) * 4
        payload = bytes(tcp[doff:])
        if not payload:
            continue
        if dport == port:
            streams["c2s"][seq] = payload
        elif sport == port:
            streams["s2c"][seq] = payload
    return frames, streams


def reassemble(segs, name, partial):
    """Concatenate in sequence order; retransmits collapse, holes fail."""
    if not segs:
        fail(f"{name}: no TCP payload captured")
    seqs = sorted(segs)
    start = seqs[0]
    out = bytearray()
    for s in seqs:
        rel = (s - start) & 0xFFFFFFFF
        p = segs[s]
        if rel > len(out):
            if partial:
                break
            fail(f"{name}: hole in the capture at offset {len(out)}")
        out += p[len(out) - rel:]
    return bytes(out), segs[start]


def split_records(stream, name, partial):
    recs = []
    off = 0
    while off + 5 <= len(stream):
        ctype, ver, length = struct.unpack(">BHH", stream[off:off + 5])
        if ctype != 0x17 or ver != 0x0303:
            fail(f"{name}: record {len(recs)} at offset {off}: type "
                 f"{ctype:#x} version {ver:#06x}, want 0x17 0x0303")
        if length > 16384 + 256:
            fail(f"{name}: record {len(recs)}: length {length} too big")
        if off + 5 + length > len(stream):
            break
        recs.append((stream[off:off + 5], stream[off + 5:off + 5 + length]))
        off += 5 + length
    if off != len(stream) and not partial:
        fail(f"{name}: {len(stream) - off} trailing bytes are not a record")
    if not recs:
        fail(f"{name}: no complete TLS record")
    return recs


def derive(seed, cipher):
    kl = KEY_LEN[cipher]
    half = kl + 12
    m = b""
    i = 0
    while len(m) < 2 * half:
        m += hashlib.sha256(b"tcseg-ktls-peer|" + seed.encode() + b"|" +
                            bytes([i])).digest()
        i += 1
    c2s, s2c = m[:half], m[half:2 * half]
    return {"c2s": (c2s[:kl], c2s[kl:]), "s2c": (s2c[:kl], s2c[kl:])}


def aead(cipher, key):
    from cryptography.hazmat.primitives.ciphers.aead import (
        AESGCM, ChaCha20Poly1305)
    return ChaCha20Poly1305(key) if cipher == "chacha" else AESGCM(key)


def xor_seq(iv, seq):
    pad = b"\0" * 4 + struct.pack(">Q", seq)
    return bytes(a ^ b for a, b in zip(iv, pad))


def decrypt(recs, key, iv, seq0, cipher, version, name):
    from cryptography.exceptions import InvalidTag
    box = aead(cipher, key)
    plain = b""
    for i, (hdr, body) in enumerate(recs):
        seq = (seq0 + i) & 0xFFFFFFFFFFFFFFFF
        try:
            if version == "1.3":
                inner = box.decrypt(xor_seq(iv, seq), body, hdr)
                inner = inner.rstrip(b"\0")
                if not inner or inner[-1] != 0x17:
                    fail(f"{name}: record {i}: inner type not 0x17")
                plain += inner[:-1]
                continue
            if cipher == "chacha":
                nonce, ct = xor_seq(iv, seq), body
            else:
                explicit, ct = body[:8], body[8:]
                if i == 0 and explicit != iv[4:]:
                    fail(f"{name}: first explicit nonce {explicit.hex()} "
                         f"is not IV bytes 4..11")
                nonce = iv[:4] + explicit
            aad = struct.pack(">QBHH", seq, 0x17, 0x0303, len(ct) - 16)
            plain += box.decrypt(nonce, ct, aad)
        except InvalidTag:
            fail(f"{name}: record {i} (seq {seq}) does not decrypt with "
                 f"the expected key/iv/sequence")
    return plain


def check(argv, say):
    ap = argparse.ArgumentParser()
    ap.add_argument("pcap")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--marker", required=True)
    ap.add_argument("--seed")
    ap.add_argument("--cipher", choices=sorted(KEY_LEN), default="aes128")
    ap.add_argument("--version", choices=["1.2", "1.3"], default="1.3")
    ap.add_argument("--seq", type=lambda s: int(s, 0), default=0)
    ap.add_argument("--absent-hex", default="")
    ap.add_argument("--partial", action="store_true")
    ap.add_argument("--expect-fail", action="store_true")
    ap.add_argument("--one-way", action="store_true")
    a = ap.parse_args(argv)
    if a.expect_fail:
        # Negative control: the same checks with a deliberate error in
        # the arguments must fail, or the checker proves nothing.
        try:
            check([x for x in argv if x != "--expect-fail"], lambda m: None)
        except CheckFailed as e:
            say(f"ok, rejected as expected: {e}")
            return
        fail("check passed with deliberately wrong parameters")

    frames, streams = tcp_segments(a.pcap, a.port)
    secrets = [a.marker.encode(), b"ECHO:" + a.marker.encode()]
    if a.absent_hex:
        secrets.append(bytes.fromhex(a.absent_hex))
    for n, fr in enumerate(frames):
        for s in secrets:
            if s in fr:
                fail(f"plaintext {s[:16]!r}... seen in captured frame {n}")
    say(f"ok {len(frames)} frames, plaintext absent")

    want = {"c2s": a.marker.encode(), "s2c": b"ECHO:" + a.marker.encode()}
    keys = derive(a.seed, a.cipher) if a.seed else None
    for d in ("c2s", "s2c"):
        if not streams[d] and (a.partial or (a.one_way and d == "s2c")):
            continue
        stream, first = reassemble(streams[d], d, a.partial)
        if first[:3] != b"\x17\x03\x03":
            fail(f"{d}: first TCP payload starts {first[:3].hex()}, "
                 f"want 170303")
        recs = split_records(stream, d, a.partial)
        say(f"ok {d}: {len(stream)} bytes, {len(recs)} TLS "
            f"application-data records")
        if keys and not a.partial:
            key, iv = keys[d]
            plain = decrypt(recs, key, iv, a.seq, a.cipher, a.version, d)
            if plain != want[d]:
                fail(f"{d}: decrypted {plain[:40]!r}, want {want[d]!r}")
            say(f"ok {d}: decrypts to the expected plaintext")


def batch(path):
    failed = 0
    with open(path) as f:
        lines = [ln for ln in f.read().splitlines() if ln.strip()]
    for ln in lines:
        words = shlex.split(ln)
        name = words[0]
        try:
            check(words[1:], lambda m: print("# " + name + ": " + m))
            print("PASS " + name)
        except (CheckFailed, OSError, ValueError, ImportError,
                SystemExit) as e:
            print(f"FAIL {name}: {e}")
            failed += 1
    return 1 if failed else 0


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--batch":
        return batch(sys.argv[2])
    try:
        check(sys.argv[1:], print)
    except CheckFailed as e:
        print("ktls_pcap_check: FAIL: " + str(e))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
