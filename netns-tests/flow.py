#!/usr/bin/env python3
"""Traffic for the netns tests: small, deterministic, with timeouts.

  flow.py tcp-server PORT            echo server (threads), runs until killed
  flow.py tcp-server-slow PORT       the same, busy 1 s after each accept()
                                     (a peer that closes at once must not
                                     make the accepted socket vanish before
                                     tcsegd looks for it)
  flow.py udp-server PORT [LOG]      counts datagrams, appends to LOG
  flow.py tcp-server6 PORT, udp-server6 PORT [LOG]
                                     the same on IPv6 (::, IPv6 only)
  flow.py tcp-server6-slow PORT, tcp-server-dual-slow PORT
                                     tcp-server-slow on IPv6 only, and on a
                                     dual-stack socket (IPv4 clients arrive
                                     v4-mapped)
  flow.py tcp-client IP PORT [MSG [SPORT]]  connect, send, expect the echo
  flow.py udp-send IP PORT N SIZE    send N datagrams of SIZE bytes
  flow.py udp-echo-client IP PORT    one datagram, expect a reply: exit 0
  flow.py ping6 IP                   one ICMPv6 echo, expect the reply: exit 0
  flow.py tcp-hold IP PORT SECS      keep one connection, ping every 50 ms;
                                     prints "ok N" per echo and exits 3 when
                                     the flow stops answering
Clients speak IPv6 when IP is an IPv6 address.
Exit status 1 = connection failed or timed out, 2 = usage.
"""
import os
import socket
import struct
import sys
import threading
import time

TIMEOUT = 2.0


def family(ip):
    return socket.AF_INET6 if ":" in ip else socket.AF_INET


def any_addr(fam):
    return "::" if fam == socket.AF_INET6 else "0.0.0.0"


def server_socket(fam, kind, v6only=1):
    s = socket.socket(fam, kind)
    if fam == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, v6only)
    return s


def tcp_server(port, delay=0.0, fam=socket.AF_INET, v6only=1):
    s = server_socket(fam, socket.SOCK_STREAM, v6only)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((any_addr(fam), port))
    s.listen(128)

    def serve(c):
        time.sleep(delay)
        try:
            while True:
                d = c.recv(65536)
                if not d:
                    break
                c.sendall(d)
        except OSError:
            pass
        c.close()

    while True:
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()


def udp_server(port, log=None, fam=socket.AF_INET):
    s = server_socket(fam, socket.SOCK_DGRAM)
    s.bind((any_addr(fam), port))
    n = 0
    while True:
        d, peer = s.recvfrom(65536)
        n += 1
        if d.startswith(b"echo"):
            s.sendto(d, peer)
        if log:
            with open(log, "w") as f:
                f.write("%d\n" % n)


def tcp_client(ip, port, msg="hello tcseg", sport=0):
    try:
        c = socket.create_connection((ip, port), timeout=TIMEOUT,
                                     source_address=(any_addr(family(ip)), sport))
        c.settimeout(TIMEOUT)
        c.sendall(msg.encode())
        got = b""
        while len(got) < len(msg):
            d = c.recv(65536)
            if not d:
                break
            got += d
        c.close()
    except OSError as e:
        print("tcp-client: %s:%d: %s" % (ip, port, e), file=sys.stderr)
        return 1
    return 0 if got == msg.encode() else 1


def udp_send(ip, port, n, size):
    s = socket.socket(family(ip), socket.SOCK_DGRAM)
    for i in range(n):
        s.sendto(b"x" * size, (ip, port))
        time.sleep(0.002)
    return 0


def udp_echo_client(ip, port):
    s = socket.socket(family(ip), socket.SOCK_DGRAM)
    s.settimeout(TIMEOUT)
    try:
        s.sendto(b"echo tcseg", (ip, port))
        d, _ = s.recvfrom(100)
    except OSError as e:
        print("udp-echo-client: %s" % e, file=sys.stderr)
        return 1
    return 0 if d == b"echo tcseg" else 1


def ping6(ip):
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    s.settimeout(TIMEOUT)
    ident = os.getpid() & 0xffff
    # echo request, checksum left to the kernel (RFC 3542 3.1)
    s.sendto(struct.pack("!BBHHH", 128, 0, 0, ident, 1) + b"tcseg", (ip, 0))
    end = time.time() + TIMEOUT
    try:
        while time.time() < end:
            d, peer = s.recvfrom(1500)
            if len(d) >= 8 and d[0] == 129 and \
                    struct.unpack("!H", d[4:6])[0] == ident and \
                    socket.inet_pton(socket.AF_INET6, peer[0]) == \
                    socket.inet_pton(socket.AF_INET6, ip):
                return 0
    except OSError as e:
        print("ping6: %s" % e, file=sys.stderr)
    return 1


def tcp_hold(ip, port, secs):
    try:
        c = socket.create_connection((ip, port), timeout=TIMEOUT)
    except OSError as e:
        print("tcp-hold: connect: %s" % e, file=sys.stderr)
        return 1
    c.settimeout(1.0)
    end = time.time() + secs
    n = 0
    while time.time() < end:
        try:
            c.sendall(b"ping")
            got = b""
            while len(got) < 4:
                d = c.recv(4)
                if not d:
                    raise OSError("closed")
                got += d
        except OSError:
            print("stopped after %d" % n, flush=True)
            return 3
        n += 1
        print("ok %d" % n, flush=True)
        time.sleep(0.05)
    return 0


def main(a):
    if len(a) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    m = a[0]
    if m == "tcp-server":
        return tcp_server(int(a[1]))
    if m == "tcp-server-slow":
        return tcp_server(int(a[1]), 1.0)
    if m == "udp-server":
        return udp_server(int(a[1]), a[2] if len(a) > 2 else None)
    if m == "tcp-server6":
        return tcp_server(int(a[1]), fam=socket.AF_INET6)
    if m == "tcp-server6-slow":
        return tcp_server(int(a[1]), 1.0, socket.AF_INET6)
    if m == "tcp-server-dual-slow":
        return tcp_server(int(a[1]), 1.0, socket.AF_INET6, 0)
    if m == "udp-server6":
        return udp_server(int(a[1]), a[2] if len(a) > 2 else None,
                          socket.AF_INET6)
    if m == "tcp-client":
        return tcp_client(a[1], int(a[2]), *(a[3:4]),
                          *[int(x) for x in a[4:5]])
    if m == "udp-send":
        return udp_send(a[1], int(a[2]), int(a[3]), int(a[4]))
    if m == "udp-echo-client":
        return udp_echo_client(a[1], int(a[2]))
    if m == "ping6":
        return ping6(a[1])
    if m == "tcp-hold":
        return tcp_hold(a[1], int(a[2]), float(a[3]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
