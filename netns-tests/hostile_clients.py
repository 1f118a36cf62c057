#!/usr/bin/env python3
"""Hostile clients for netns-tests/test_daemon_hostile.sh.

  hostile_clients.py spoof-syn SRC DST DPORT N   N TCP SYNs with a forged source
                                         (scapy: run with /usr/bin/python3)
  hostile_clients.py idle-flood IP PORT N SECS [SRC]
                                         keep N idle connections open for
                                         SECS (reopened when closed), from
                                         SRC if given; prints
                                         "opened N closed_fast M"
  hostile_clients.py ctl-stall SOCK REQ SECS     send REQ on the control socket and
                                         never read, for SECS
  hostile_clients.py ctl-time SOCK REQ N         N requests one after the other;
                                         prints the slowest answer in ms
  hostile_clients.py ctl SOCK REQ                one request, its answer on stdout
  hostile_clients.py map PIN cap_pods|secured|devs
                                         pinned map entries, one a line
Exit status 1 = failure, 2 = usage.
"""
import json
import resource
import select
import socket
import struct
import subprocess
import sys
import time


def spoof_syn(src, dst, dport, n):
    from scapy.all import IP, TCP, send  # only this command needs scapy
    for i in range(n):
        send(IP(src=src, dst=dst) / TCP(sport=40000 + i, dport=dport,
                                        flags="S", seq=1000 + i),
             verbose=False)


def idle_flood(ip, port, n, secs, src=None):
    socks, opened, fast = {}, 0, 0
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 64), hard))
    end = time.time() + secs
    while time.time() < end:
        while len(socks) < n:
            s = socket.socket()
            s.setblocking(False)
            if src:
                s.bind((src, 0))
            try:
                s.connect((ip, port))
            except BlockingIOError:
                pass
            except OSError:
                s.close()
                time.sleep(0.01)
                break
            socks[s] = time.time()
            opened += 1
        p = select.poll()
        byfd = {}
        for s in socks:
            p.register(s, select.POLLIN | select.POLLHUP | select.POLLERR)
            byfd[s.fileno()] = s
        for fd, _ in p.poll(50):
            s = byfd[fd]
            try:
                d = s.recv(4096)
            except OSError:
                d = b""
            if not d:
                # closed by the server: refused at accept when fast
                fast += time.time() - socks[s] < 0.2
                del socks[s]
                s.close()
    print("opened %d closed_fast %d" % (opened, fast))


def ctl_stall(path, req, secs):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.sendall(req.encode() + b"\n")
    print("stalling", flush=True)
    time.sleep(secs)


def ctl(path, req):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(5)
    s.connect(path)
    s.sendall(req.encode() + b"\n")
    got = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        got += d
    s.close()
    return got


def ctl_time(path, req, n):
    worst = 0.0
    for _ in range(n):
        t0 = time.monotonic()
        got = ctl(path, req)
        if not got:
            print("no answer")
            sys.exit(1)
        worst = max(worst, (time.monotonic() - t0) * 1000)
        time.sleep(0.02)
    print("%.1f" % worst)


def raw(e, name):
    v = e[name]
    if isinstance(v, list):
        return bytes(int(x, 16) for x in v)
    raise ValueError("unexpected bpftool output")


def addr(b, family):
    """A union tcseg_addr of @family as text."""
    if family == 6:
        return socket.inet_ntop(socket.AF_INET6, bytes(b))
    return socket.inet_ntoa(bytes(b[:4]))


def dump(pin, kind):
    out = subprocess.run(["bpftool", "-j", "map", "dump", "pinned", pin],
                         capture_output=True, text=True, check=True).stdout
    for e in json.loads(out):
        if "formatted" in e and not isinstance(e.get("key"), list):
            e = {"key": e["key"], "value": e["value"]}
        k, v = raw(e, "key"), raw(e, "value")
        # addresses: 16 bytes each, then a family byte (include/tcseg.h)
        if kind == "cap_pods":
            print(addr(k[:16], k[16]), struct.unpack_from("<I", v)[0])
        elif kind == "secured":
            ifx, = struct.unpack_from("<I", k)
            print(ifx, addr(k[4:20], k[41]), addr(k[20:36], k[41]),
                  struct.unpack_from("<I", v, 8)[0])
        elif kind == "devs":
            flags, n = v[1], v[2]
            addrs = [socket.inet_ntoa(v[48 + 4 * i:52 + 4 * i])
                     for i in range(min(n, 8))]
            print(struct.unpack_from("<I", k)[0], flags,
                  ",".join(addrs) or "-")


def main(a):
    try:
        if a[0] == "spoof-syn":
            spoof_syn(a[1], a[2], int(a[3]), int(a[4]))
        elif a[0] == "idle-flood":
            idle_flood(a[1], int(a[2]), int(a[3]), float(a[4]),
                       a[5] if len(a) > 5 else None)
        elif a[0] == "ctl-stall":
            ctl_stall(a[1], a[2], float(a[3]))
        elif a[0] == "ctl-time":
            ctl_time(a[1], a[2], int(a[3]))
        elif a[0] == "ctl":
            sys.stdout.write(ctl(a[1], a[2]).decode())
        elif a[0] == "map":
            dump(a[1], a[2])
        else:
            raise IndexError
    except (IndexError, ValueError):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    except OSError as e:
        print("hostile: %s" % e, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main(sys.argv[1:])
