#!/usr/bin/python3
"""Raw packets of a hostile pod, and a counter of what arrives, for
netns-tests/test_hostile.sh and test_ipv6.sh. Senders write Ethernet
frames on eth0 of the namespace they run in (scapy: run with
/usr/bin/python3). Addresses may be IPv4 or IPv6 (then ICMP is ICMPv6).

  hostile.py udp SRC SPORT DST DPORT DMAC N [EXT]
                       N UDP datagrams (40 bytes)
  hostile.py syn SRC SPORT DST DPORT DMAC N [EXT]
                       N TCP SYNs; EXT (IPv6): extension headers before
                       the L4 header, comma separated: hbh (hop-by-hop
                       options), dst (destination options), rt0, rt2
                       (routing type 0 / 2, segments left 0, listing
                       DST), rt0left (type 0, one segment left: DST
                       again), frag (an atomic fragment header)
  hostile.py frag6 SRC SPORT DST DPORT DMAC SIZE WHICH
                       one UDP datagram of SIZE bytes in IPv6 fragments
                       of at most 1280 bytes; WHICH: all, or later (all
                       but the first fragment)
  hostile.py na SRC TARGET DST DMAC N
                       N unsolicited neighbour advertisements (override)
                       "TARGET is at my MAC" from SRC to DST
  hostile.py arp PSRC PDST DMAC N              N ARP replies "PSRC is at
                                               my MAC" (gratuitous if
                                               PSRC = PDST)
  hostile.py icmp-err SRC DST DMAC QSRC QSPORT QDST QDPORT EXTRA N
                       N ICMP (ICMPv6) port unreachable from SRC to DST
                       quoting a UDP packet QSRC:QSPORT -> QDST:QDPORT,
                       followed by EXTRA bytes of data
  hostile.py udp-query DST DPORT SPORT         one "echo" datagram from
                       SPORT (a real socket); exit 0 when it comes back
  hostile.py count IFACE KIND [FIELD=VALUE...] count received frames of
                       KIND (udp, tcp, icmp, icmp6, arp, ip6 = any IPv6
                       frame) whose fields (src, dst, sport, dport, flags
                       (TCP, decimal), psrc (ARP), type (ICMP, ICMPv6),
                       frag (IPv6: none, first, later)) match; a later
                       IPv6 fragment has no L4 fields; prints "ready",
                       then "count N" when terminated (SIGTERM)
Exit status 1 = failure, 2 = usage.
"""
import signal
import socket
import struct
import sys

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
PROTOS = {"icmp": 1, "tcp": 6, "udp": 17, "icmp6": 58}
IP6_EXT = (0, 43, 60)           # hop-by-hop, routing, destination options
IP6_FRAG = 44


def my_mac():
    from scapy.all import get_if_hwaddr
    return get_if_hwaddr("eth0")


def send_frames(frames):
    from scapy.all import sendp
    sendp(frames, iface="eth0", verbose=False)


def ext_hdr(name, dst):
    from scapy.all import (IPv6ExtHdrDestOpt, IPv6ExtHdrFragment,
                           IPv6ExtHdrHopByHop, IPv6ExtHdrRouting)
    if name == "hbh":
        return IPv6ExtHdrHopByHop()
    if name == "dst":
        return IPv6ExtHdrDestOpt()
    if name in ("rt0", "rt2", "rt0left"):
        return IPv6ExtHdrRouting(type=int(name[2]), addresses=[dst],
                                 segleft=int(name == "rt0left"))
    if name == "frag":
        return IPv6ExtHdrFragment(offset=0, m=0, id=0x7c5e6)
    raise ValueError("unknown extension header '%s'" % name)


def ip_hdr(src, dst, ext=""):
    """IPv4 or IPv6 header (by the address), IPv6 with EXT headers."""
    from scapy.all import IP, IPv6
    if ":" not in src:
        if ext:
            raise ValueError("extension headers are IPv6 only")
        return IP(src=src, dst=dst)
    h = IPv6(src=src, dst=dst)
    for name in filter(None, ext.split(",")):
        h = h / ext_hdr(name, dst)
    return h


def cmd_udp(src, sport, dst, dport, dmac, n, ext=""):
    from scapy.all import UDP, Ether, Raw
    f = Ether(src=my_mac(), dst=dmac) / ip_hdr(src, dst, ext) / \
        UDP(sport=int(sport), dport=int(dport)) / Raw(b"s" * 40)
    send_frames([f] * int(n))
    return 0


def cmd_syn(src, sport, dst, dport, dmac, n, ext=""):
    from scapy.all import TCP, Ether
    f = Ether(src=my_mac(), dst=dmac) / ip_hdr(src, dst, ext) / \
        TCP(sport=int(sport), dport=int(dport), flags="S", seq=1000)
    send_frames([f] * int(n))
    return 0


def cmd_frag6(src, sport, dst, dport, dmac, size, which):
    from scapy.all import (UDP, Ether, IPv6, IPv6ExtHdrFragment, Raw,
                           fragment6)
    p = IPv6(src=src, dst=dst) / IPv6ExtHdrFragment(id=0x7c5e7) / \
        UDP(sport=int(sport), dport=int(dport)) / Raw(b"f" * int(size))
    frags = fragment6(p, 1280)
    if which == "later":
        frags = frags[1:]
    elif which != "all":
        raise ValueError("WHICH: all or later, not '%s'" % which)
    send_frames([Ether(src=my_mac(), dst=dmac) / f for f in frags])
    return 0


def cmd_na(src, target, dst, dmac, n):
    from scapy.all import (Ether, ICMPv6ND_NA, ICMPv6NDOptDstLLAddr,
                           IPv6)
    f = Ether(src=my_mac(), dst=dmac) / IPv6(src=src, dst=dst, hlim=255) / \
        ICMPv6ND_NA(tgt=target, R=0, S=0, O=1) / \
        ICMPv6NDOptDstLLAddr(lladdr=my_mac())
    send_frames([f] * int(n))
    return 0


def cmd_arp(psrc, pdst, dmac, n):
    from scapy.all import ARP, Ether
    f = Ether(src=my_mac(), dst=dmac) / \
        ARP(op=2, hwsrc=my_mac(), psrc=psrc, pdst=pdst, hwdst=dmac)
    send_frames([f] * int(n))
    return 0


def cmd_icmp_err(src, dst, dmac, qsrc, qsport, qdst, qdport, extra, n):
    from scapy.all import ICMP, UDP, Ether, ICMPv6DestUnreach, Raw
    quote = bytes(ip_hdr(qsrc, qdst) /
                  UDP(sport=int(qsport), dport=int(qdport)))
    err = ICMP(type=3, code=3)
    if ":" in src:
        err = ICMPv6DestUnreach(code=4)
    else:
        quote = quote[:28]
    f = Ether(src=my_mac(), dst=dmac) / ip_hdr(src, dst) / \
        err / Raw(quote + b"t" * int(extra))
    send_frames([f] * int(n))
    return 0


def cmd_udp_query(dst, dport, sport):
    v6 = ":" in dst
    s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET,
                      socket.SOCK_DGRAM)
    s.bind(("::" if v6 else "0.0.0.0", int(sport)))
    s.settimeout(2.0)
    try:
        s.sendto(b"echo hostile", (dst, int(dport)))
        d, _ = s.recvfrom(100)
    except OSError as e:
        print("udp-query: %s" % e, file=sys.stderr)
        return 1
    return 0 if d == b"echo hostile" else 1


def ip6_fields(f):
    """IPv6 frame: addresses, the L4 protocol after the extension
    headers, and the fragment position; (fields, L4 bytes)."""
    if len(f) < 54:
        return None, b""
    r = {"family": "6", "frag": "none",
         "src": socket.inet_ntop(socket.AF_INET6, f[22:38]),
         "dst": socket.inet_ntop(socket.AF_INET6, f[38:54])}
    nh, off = f[20], 54
    for _ in range(8):
        if nh not in IP6_EXT + (IP6_FRAG,) or len(f) < off + 8:
            break
        if nh == IP6_FRAG:
            later = struct.unpack("!H", f[off + 2:off + 4])[0] & 0xfff8
            r["frag"] = "later" if later else "first"
            nh, off = f[off], off + 8
            if later:
                return r, b""
            continue
        nh, off = f[off], off + (f[off + 1] + 1) * 8
    r["proto"] = nh
    return r, f[off:]


def frame_fields(f):
    """The fields count can match, or None for other frames."""
    if len(f) < 14:
        return None
    etype = struct.unpack("!H", f[12:14])[0]
    if etype == 0x0806 and len(f) >= 42:
        return {"kind": "arp", "psrc": socket.inet_ntoa(f[28:32])}
    kinds = {v: k for k, v in PROTOS.items()}
    if etype == 0x86dd:
        r, l4 = ip6_fields(f)
        if r is None:
            return None
        r["kind"] = kinds.get(r.pop("proto", None), "other")
    elif etype == 0x0800 and len(f) >= 34:
        ihl = (f[14] & 0x0f) * 4
        r = {"kind": kinds.get(f[23], "other"),
             "src": socket.inet_ntoa(f[26:30]),
             "dst": socket.inet_ntoa(f[30:34])}
        l4 = f[14 + ihl:]
    else:
        return None
    if r["kind"] in ("tcp", "udp") and len(l4) >= 4:
        r["sport"], r["dport"] = (str(x) for x in struct.unpack("!HH", l4[:4]))
    if r["kind"] == "tcp" and len(l4) >= 14:
        r["flags"] = str(l4[13])
    if r["kind"] in ("icmp", "icmp6") and len(l4) >= 1:
        r["type"] = str(l4[0])
    return r


def cmd_count(iface, kind, *fields):
    want = dict(x.split("=", 1) for x in fields)
    if kind == "ip6":
        want["family"] = "6"
    else:
        want["kind"] = kind
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                      socket.htons(ETH_P_ALL))
    s.bind((iface, 0))
    s.settimeout(0.1)
    done = []
    signal.signal(signal.SIGTERM, lambda *_: done.append(1))
    print("ready", flush=True)
    n = 0
    while not done:
        try:
            f, addr = s.recvfrom(65535)
        except socket.timeout:
            continue
        except InterruptedError:
            continue
        if addr[2] == PACKET_OUTGOING:
            continue
        r = frame_fields(f)
        if r and all(r.get(k) == v for k, v in want.items()):
            n += 1
    print("count %d" % n, flush=True)
    return 0


# command: (function, arguments, optional arguments)
CMDS = {
    "udp": (cmd_udp, 6, 1), "syn": (cmd_syn, 6, 1), "arp": (cmd_arp, 4, 0),
    "icmp-err": (cmd_icmp_err, 9, 0), "udp-query": (cmd_udp_query, 3, 0),
    "frag6": (cmd_frag6, 7, 0), "na": (cmd_na, 5, 0),
}


def main(a):
    if a and a[0] == "count" and len(a) >= 3:
        return cmd_count(*a[1:])
    if not a or a[0] not in CMDS or \
            not 0 <= len(a) - 1 - CMDS[a[0]][1] <= CMDS[a[0]][2]:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        return CMDS[a[0]][0](*a[1:])
    except ValueError as e:
        print("hostile.py: %s" % e, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
