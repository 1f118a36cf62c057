#!/usr/bin/env python3
"""The first exchange of a connection, timed, with TCP's retransmission count.

  first_exchange.py server PORT echo|banner BANNER OUT [DELAY]
      echo: read one line, send it back; banner: send BANNER + "\\n" first,
      then read one line. DELAY: seconds a connection waits in the
      accept queue before accept() (a slow-accepting server). Per connection one JSON line to OUT:
      {"peer": ..., "retrans": N} (tcpi_total_retrans of the accepted socket
      after the exchange). Runs until killed.
  first_exchange.py dual PORT1 PORT2
      one process, one accepting thread per port, echo on both
      (a server handling allow and encrypt flows at once)
  first_exchange.py client IP PORT client-first|server-first MSG TIMEOUT
      client-first: send MSG + "\\n", expect it back; server-first: expect
      the server's line, then send MSG + "\\n". Prints one JSON line:
      {"ok": bool, "got": ..., "ms": first exchange after connect() returned,
       "retrans": N}. Exit 0 when the exchange completed.
"""
import json
import select
import socket
import struct
import sys
import threading
import time

import flow  # netns-tests/flow.py: its echo server

TCP_INFO = 11
TOTAL_RETRANS_OFF = 100  # struct tcp_info: 8 bytes, then u32 #23


def total_retrans(s):
    try:
        b = s.getsockopt(socket.IPPROTO_TCP, TCP_INFO, 104)
        return struct.unpack_from("I", b, TOTAL_RETRANS_OFF)[0]
    except OSError:
        return -1


def read_line(s):
    got = b""
    while not got.endswith(b"\n"):
        d = s.recv(4096)
        if not d:
            break
        got += d
    return got


def server(port, mode, banner, out, delay=0.0):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", port))
    ls.listen(64)
    lock = threading.Lock()

    def serve(c, peer):
        c.settimeout(60)
        try:
            if mode == "banner":
                c.sendall(banner.encode() + b"\n")
                read_line(c)
            else:
                c.sendall(read_line(c))
            time.sleep(0.2)
            r = total_retrans(c)
        except OSError:
            r = -1
        with lock, open(out, "a") as f:
            f.write(json.dumps({"peer": "%s:%d" % peer, "retrans": r}) + "\n")
        c.close()

    while True:
        if delay:	# a connection waits in the queue, then accept()
            select.select([ls], [], [])
            time.sleep(delay)
        c, peer = ls.accept()
        threading.Thread(target=serve, args=(c, peer), daemon=True).start()


def dual(ports):
    for p in ports:
        threading.Thread(target=flow.tcp_server, args=(p,), daemon=True).start()
    while True:
        time.sleep(3600)


def client(ip, port, order, msg, timeout):
    res = {"ok": False, "got": "", "ms": -1, "retrans": -1}
    try:
        s = socket.create_connection((ip, port), timeout=timeout)
        s.settimeout(timeout)
        t0 = time.monotonic()
        if order == "client-first":
            s.sendall(msg.encode() + b"\n")
            got = read_line(s)
            res["ok"] = got == msg.encode() + b"\n"
        else:
            got = read_line(s)
            s.sendall(msg.encode() + b"\n")
            res["ok"] = got.endswith(b"\n")
        res["ms"] = round((time.monotonic() - t0) * 1000, 1)
        res["got"] = got.decode(errors="replace").strip()
        res["retrans"] = total_retrans(s)
        s.close()
    except OSError as e:
        res["error"] = str(e)
    print(json.dumps(res))
    return 0 if res["ok"] else 1


def main(a):
    if len(a) in (6, 7) and a[1] == "server" and a[3] in ("echo", "banner"):
        server(int(a[2]), a[3], a[4], a[5], float(a[6]) if len(a) == 7 else 0)
        return 0
    if len(a) == 4 and a[1] == "dual":
        dual([int(a[2]), int(a[3])])
        return 0
    if len(a) == 7 and a[1] == "client" and \
            a[4] in ("client-first", "server-first"):
        return client(a[2], int(a[3]), a[4], a[5], float(a[6]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
