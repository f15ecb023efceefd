#!/usr/bin/python3
"""A scripted DNS server for smtpcheck's MX tests (stdlib only).

Usage:
  fakedns.py --host 127.0.0.1 --port 0 --port-file PATH --zone FILE [--log PATH]

Serves UDP and TCP on one port of a loopback address (port 0: a free
one, the same number for both; written to --port-file through a
temporary file renamed into place). Runs until SIGTERM or SIGINT.

The zone is a JSON file, read again for every query, so a test changes
the records between two runs by rewriting it (write a temporary file and
rename it). Keys are names (lower case, no trailing dot); values are
{TYPE: records}:
  "MX":    [[preference, "exchange"], ...]   ("." = a null MX, RFC 7505)
  "A":     ["127.0.0.1", ...]
  "AAAA":  ["::1", ...]
  "CNAME": "target.name"   (an alias: answered with the CNAME, then the
                            target's records of the type asked, when the
                            target is in the zone)
  "SILENT": true            (every query of the name goes unanswered: a
                            lookup that only the client's deadline ends)
A name in the zone without records of the type asked gets an empty
answer (NOERROR, "no data"); a name not in the zone gets NXDOMAIN.
--log appends one line per query: "<TYPE> <name> <rcode> <answers>".

Only ever bind it to loopback addresses.
"""

import argparse
import asyncio
import ipaddress
import json
import os
import signal
import struct

TYPES = {1: "A", 5: "CNAME", 15: "MX", 28: "AAAA"}
CODES = {v: k for k, v in TYPES.items()}
TTL = 1


def read_name(msg, off):
    labels = []
    while True:
        n = msg[off]
        if n & 0xC0:
            raise ValueError("compression in a question")
        off += 1
        if n == 0:
            return ".".join(labels).lower().rstrip("."), off
        labels.append(msg[off:off + n].decode("ascii", "replace"))
        off += n


def wire_name(name):
    out = b""
    for label in [p for p in name.rstrip(".").split(".") if p]:
        out += bytes([len(label)]) + label.encode("ascii")
    return out + b"\0"


def rdata(kind, value):
    if kind == "A":
        return ipaddress.IPv4Address(value).packed
    if kind == "AAAA":
        return ipaddress.IPv6Address(value).packed
    if kind == "CNAME":
        return wire_name(value)
    if kind == "MX":
        return struct.pack("!H", int(value[0])) + wire_name(value[1])
    raise ValueError(kind)


def record(name, kind, value):
    data = rdata(kind, value)
    return wire_name(name) + struct.pack("!HHIH", CODES[kind], 1, TTL, len(data)) + data


def lookup(zone, name, kind):
    """Returns (rcode, [(owner, TYPE, value), ...])."""
    answers = []
    for _ in range(8):  # CNAME chains, bounded
        node = zone.get(name)
        if node is None:
            return (3 if not answers else 0), answers
        if "CNAME" in node and kind != "CNAME":
            answers.append((name, "CNAME", node["CNAME"]))
            name = node["CNAME"].lower().rstrip(".")
            continue
        values = node.get(kind, [])
        if not isinstance(values, list) or kind == "CNAME":
            values = [values]
        answers += [(name, kind, v) for v in values]
        return 0, answers
    return 2, answers


class Server:
    def __init__(self, zone_path, log_path):
        self.zone_path = zone_path
        self.log_path = log_path

    def answer(self, query):
        qid, flags, qd = struct.unpack("!HHH", query[:6])
        name, off = read_name(query, 12)
        qtype, qclass = struct.unpack("!HH", query[off:off + 4])
        question = query[12:off + 4]
        with open(self.zone_path, encoding="utf-8") as f:
            zone = {k.lower().rstrip("."): v for k, v in json.load(f).items()}
        kind = TYPES.get(qtype)
        if zone.get(name, {}).get("SILENT"):
            if self.log_path:
                with open(self.log_path, "a", encoding="utf-8") as f:
                    f.write(f"{kind or qtype} {name} silent\n")
            return None
        rcode, answers = lookup(zone, name, kind) if kind else (4, [])
        body = b"".join(record(o, t, v) for o, t, v in answers)
        rflags = 0x8000 | 0x0400 | (flags & 0x0100) | rcode  # QR AA RD
        if self.log_path:
            with open(self.log_path, "a", encoding="utf-8") as f:
                shown = " ".join(f"{t}={v}" for _, t, v in answers)
                f.write(f"{kind or qtype} {name} {rcode} {shown}\n")
        return struct.pack("!HHHHHH", qid, rflags, 1, len(answers), 0, 0) + question + body


class Udp(asyncio.DatagramProtocol):
    def __init__(self, server):
        self.server = server
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        try:
            reply = self.server.answer(data)
            if reply is not None:
                self.transport.sendto(reply, addr)
        except (ValueError, IndexError, struct.error):
            pass


async def tcp_client(server, reader, writer):
    try:
        while True:
            n = struct.unpack("!H", await reader.readexactly(2))[0]
            reply = server.answer(await reader.readexactly(n))
            if reply is None:
                continue
            writer.write(struct.pack("!H", len(reply)) + reply)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, ValueError, IndexError,
            struct.error):
        pass
    writer.close()


async def main(args):
    server = Server(args.zone, args.log)
    loop = asyncio.get_running_loop()
    tcp = await asyncio.start_server(lambda r, w: tcp_client(server, r, w), args.host,
                                     args.port)
    port = tcp.sockets[0].getsockname()[1]
    await loop.create_datagram_endpoint(lambda: Udp(server), local_addr=(args.host, port))
    tmp = args.port_file + ".tmp"
    with open(tmp, "w", encoding="ascii") as f:
        f.write(f"{port}\n")
    os.rename(tmp, args.port_file)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file", required=True)
    p.add_argument("--zone", required=True)
    p.add_argument("--log")
    asyncio.run(main(p.parse_args()))
