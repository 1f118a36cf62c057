#!/usr/bin/python3
"""Raw packets of a hostile pod, and a counter of what arrives, for
netns-tests/test_hostile.sh. Senders write Ethernet frames on eth0 of the
namespace they run in (scapy: run with /usr/bin/python3).

  hostile.py udp SRC SPORT DST DPORT DMAC N    N UDP datagrams (40 bytes)
  hostile.py syn SRC SPORT DST DPORT DMAC N    N TCP SYNs
  hostile.py arp PSRC PDST DMAC N              N ARP replies "PSRC is at
                                               my MAC" (gratuitous if
                                               PSRC = PDST)
  hostile.py icmp-err SRC DST DMAC QSRC QSPORT QDST QDPORT EXTRA N
                       N ICMP port unreachable from SRC to DST quoting a
                       UDP packet QSRC:QSPORT -> QDST:QDPORT, followed by
                       EXTRA bytes of data
  hostile.py udp-query DST DPORT SPORT         one "echo" datagram from
                       SPORT (a real socket); exit 0 when it comes back
  hostile.py count IFACE KIND [FIELD=VALUE...] count received frames of
                       KIND (udp, tcp, icmp, arp) whose fields (src, dst,
                       sport, dport, flags (TCP, decimal), psrc (ARP),
                       type (ICMP)) match; prints "ready",
                       then "count N" when terminated (SIGTERM)
Exit status 1 = failure, 2 = usage.
"""
import signal
import socket
import struct
import sys

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
PROTOS = {"icmp": 1, "tcp": 6, "udp": 17}


def my_mac():
    from scapy.all import get_if_hwaddr
    return get_if_hwaddr("eth0")


def send_frames(frames):
    from scapy.all import sendp
    sendp(frames, iface="eth0", verbose=False)


def cmd_udp(src, sport, dst, dport, dmac, n):
    from scapy.all import IP, UDP, Ether, Raw
    f = Ether(src=my_mac(), dst=dmac) / IP(src=src, dst=dst) / \
        UDP(sport=int(sport), dport=int(dport)) / Raw(b"s" * 40)
    send_frames([f] * int(n))
    return 0


def cmd_syn(src, sport, dst, dport, dmac, n):
    from scapy.all import IP, TCP, Ether
    f = Ether(src=my_mac(), dst=dmac) / IP(src=src, dst=dst) / \
        TCP(sport=int(sport), dport=int(dport), flags="S", seq=1000)
    send_frames([f] * int(n))
    return 0


def cmd_arp(psrc, pdst, dmac, n):
    from scapy.all import ARP, Ether
    f = Ether(src=my_mac(), dst=dmac) / \
        ARP(op=2, hwsrc=my_mac(), psrc=psrc, pdst=pdst, hwdst=dmac)
    send_frames([f] * int(n))
    return 0


def cmd_icmp_err(src, dst, dmac, qsrc, qsport, qdst, qdport, extra, n):
    from scapy.all import ICMP, IP, UDP, Ether, Raw
    quote = bytes(IP(src=qsrc, dst=qdst) /
                  UDP(sport=int(qsport), dport=int(qdport)))[:28]
    f = Ether(src=my_mac(), dst=dmac) / IP(src=src, dst=dst) / \
        ICMP(type=3, code=3) / Raw(quote + b"t" * int(extra))
    send_frames([f] * int(n))
    return 0


def cmd_udp_query(dst, dport, sport):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", int(sport)))
    s.settimeout(2.0)
    try:
        s.sendto(b"echo hostile", (dst, int(dport)))
        d, _ = s.recvfrom(100)
    except OSError as e:
        print("udp-query: %s" % e, file=sys.stderr)
        return 1
    return 0 if d == b"echo hostile" else 1


def frame_fields(f):
    """The fields count can match, or None for other frames."""
    if len(f) < 14:
        return None
    etype = struct.unpack("!H", f[12:14])[0]
    if etype == 0x0806 and len(f) >= 42:
        return {"kind": "arp", "psrc": socket.inet_ntoa(f[28:32])}
    if etype != 0x0800 or len(f) < 34:
        return None
    ihl = (f[14] & 0x0f) * 4
    kinds = {v: k for k, v in PROTOS.items()}
    r = {"kind": kinds.get(f[23], "other"),
         "src": socket.inet_ntoa(f[26:30]), "dst": socket.inet_ntoa(f[30:34])}
    l4 = f[14 + ihl:]
    if r["kind"] in ("tcp", "udp") and len(l4) >= 4:
        r["sport"], r["dport"] = (str(x) for x in struct.unpack("!HH", l4[:4]))
    if r["kind"] == "tcp" and len(l4) >= 14:
        r["flags"] = str(l4[13])
    if r["kind"] == "icmp" and len(l4) >= 1:
        r["type"] = str(l4[0])
    return r


def cmd_count(iface, kind, *fields):
    want = dict(x.split("=", 1) for x in fields)
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


CMDS = {
    "udp": (cmd_udp, 6), "syn": (cmd_syn, 6), "arp": (cmd_arp, 4),
    "icmp-err": (cmd_icmp_err, 9), "udp-query": (cmd_udp_query, 3),
}


def main(a):
    if a and a[0] == "count" and len(a) >= 3:
        return cmd_count(*a[1:])
    if not a or a[0] not in CMDS or len(a) - 1 != CMDS[a[0]][1]:
        print(__doc__, file=sys.stderr)
        return 2
    return CMDS[a[0]][0](*a[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
