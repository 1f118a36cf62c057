#!/usr/bin/python3
# A fake tcsegd control socket for tests/suites/19-json.sh: answers any
# one request with the lines of a file, byte for byte, then closes.
# usage: fake_tcsegd.py SOCKET ANSWER_FILE  (serves until killed)
import os
import socket
import sys

path, answer = sys.argv[1], sys.argv[2]
if os.path.exists(path):
    os.unlink(path)
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
s.listen(4)
print("ready", flush=True)
while True:
    c, _ = s.accept()
    c.recv(256)
    with open(answer, "rb") as f:
        c.sendall(f.read())
    c.shutdown(socket.SHUT_WR)
    c.close()
