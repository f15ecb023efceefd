#!/usr/bin/python3
"""A listener that accepts every connection and never speaks.

    silent.py HOST NPORTS PORT_FILE

Listens on NPORTS free ports of HOST (a loopback address or one inside a
namespace of bench/run's own), writes them space-separated to PORT_FILE,
and holds every accepted connection until the peer closes it. SMTP waits
for the server to speak first, so every check against it stays in flight
until its own deadline. Ends on SIGTERM.
"""

import os
import selectors
import signal
import socket
import sys


def main():
    host, nports, port_file = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    sel = selectors.DefaultSelector()
    listeners = []
    for _ in range(nports):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, 0))
        s.listen(4096)
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, "listen")
        listeners.append(s)
    tmp = port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(" ".join(str(s.getsockname()[1]) for s in listeners) + "\n")
    os.replace(tmp, port_file)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    while True:
        for key, _ in sel.select():
            if key.data == "listen":
                try:
                    conn, _ = key.fileobj.accept()
                except OSError:
                    continue
                conn.setblocking(False)
                sel.register(conn, selectors.EVENT_READ, "conn")
                continue
            try:
                data = key.fileobj.recv(4096)
            except OSError:
                data = b""
            if not data:
                sel.unregister(key.fileobj)
                key.fileobj.close()


if __name__ == "__main__":
    main()
