#!/usr/bin/env python3
"""Makes the seed corpora in tests/fuzz/corpus/ from the session
transcripts (tests/unit/transcripts/): the server's replies for the reply
parser, EHLO keyword lines for the capability parser, and hand-made seeds
for the message builder and the state reader. Run it again after adding
transcripts; the seeds are committed."""
import hashlib
import os
import re
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TRANSCRIPTS = os.path.join(HERE, "..", "unit", "transcripts")
CORPUS = os.path.join(HERE, "corpus")
sys.path.insert(0, os.path.join(HERE, "..", "fake"))
import fakedns  # noqa: E402  (its record encoder: the MX seeds are what it serves)


def put(target, data):
    os.makedirs(os.path.join(CORPUS, target), exist_ok=True)
    name = hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(CORPUS, target, name), "wb") as f:
        f.write(data)


def server_lines(path):
    with open(path, encoding="utf-8") as f:
        return [m.group(1) for m in re.finditer(r"^S: ?(.*)$", f.read(), re.M)]


def mbox_lines(path):
    """Server bytes of an IMAP/POP3 transcript, one packet per S:/S= line."""
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f.read().split("\n"):
            if line.startswith("S: "):
                out.append(line[3:].encode() + b"\r\n")
            elif line.startswith("S= "):
                out.append(line[3:].replace("\\r", "\r").replace("\\n", "\n").encode())
    return out


def mbox_seeds():
    folder = os.path.join(HERE, "..", "unit", "transcripts_mbox")
    for name in sorted(os.listdir(folder)):
        target = name.split("_", 1)[0]
        packets = b"\xff".join(mbox_lines(os.path.join(folder, name)))
        if not packets:
            continue
        for pick in (0, 4, 2 | 8, 2 | 8 | 128, 1 | 4 | 16, 2 | 32 | 64):
            put(target, bytes([pick]) + packets)


def mx_answer(domain, answers, rcode=0):
    """A DNS response to "domain MX" with answers [(owner, TYPE, value)]."""
    question = fakedns.wire_name(domain) + struct.pack("!HH", 15, 1)
    body = b"".join(fakedns.record(o, t, v) for o, t, v in answers)
    return struct.pack("!HHHHHH", 0x1234, 0x8580 | rcode, 1, len(answers), 0, 0) + question + body


def mx_seeds():
    d = "example.test"
    put("mx", mx_answer(d, [(d, "MX", [10, "mx1.example.test"]), (d, "MX", [20, "mx2.example.test"])]))
    put("mx", mx_answer(d, [(d, "MX", [0, "."])]))
    put("mx", mx_answer(d, [(d, "MX", [0, "."]), (d, "MX", [5, "127.0.0.1"])]))
    put("mx", mx_answer(d, [(d, "MX", [20 - i, "mx%d.%s." % (i, d)]) for i in range(20)]))
    put("mx", mx_answer(d, [(d, "CNAME", "alias.test"), ("alias.test", "MX", [1, "::1"])]))
    put("mx", mx_answer(d, [(d, "MX", [7, "same.test"])] * 3 + [(d, "A", "127.0.0.1")]))
    put("mx", mx_answer(d, [], rcode=3))
    put("mx", mx_answer(d, []))
    # A name compressed into the question (pointer 0xc00c) and a 255-byte one.
    rr = b"\xc0\x0c" + struct.pack("!HHIH", 15, 1, 1, 4) + struct.pack("!H", 1) + b"\xc0\x0c"
    put("mx", mx_answer(d, [])[:6] + b"\0\1" + mx_answer(d, [])[8:] + rr)
    put("mx", mx_answer(d, [(d, "MX", [3, ".".join(["a" * 63] * 3 + ["b" * 61])])]))


def main():
    for name in sorted(os.listdir(TRANSCRIPTS)):
        lines = server_lines(os.path.join(TRANSCRIPTS, name))
        if not lines:
            continue
        wire = "".join(l.replace("\\r\\n", "\r\n") + "\r\n" for l in lines).encode()
        for chunk in (1, 5, 16):  # the first byte picks the chunk size
            put("reply", bytes([chunk]) + wire)
        for pick in (0, 4 | 8, 1 | 4 | 16 | 32, 2 | 4 | 16):
            packets = b"\xff".join(l.replace("\\r\\n", "\r\n").encode() + b"\r\n" for l in lines)
            put("session", bytes([pick]) + packets)
        ehlo = [l[4:] for l in lines if re.match(r"^250[- ]", l)]
        if len(ehlo) > 1:
            put("caps", "\r\n".join(ehlo[1:]).encode())
    mbox_seeds()
    configs = os.path.join(HERE, "..", "unit", "configs")
    for name in sorted(os.listdir(configs)):
        path = os.path.join(configs, name)
        if os.path.isfile(path) and os.path.getsize(path) < 65536:
            with open(path, "rb") as f:
                put("config", f.read())
    with open(os.path.join(HERE, "..", "..", "config", "smtpcheck.conf"), "rb") as f:
        put("config", f.read())
    put("caps", b"AUTH=PLAIN LOGIN\r\nSIZE 10240000\r\nSTARTTLS\r\n8BITMIME\r\nSMTPUTF8")
    put("message", b"Probe \xc3\xa9t\xc3\xa9\x00<html><p>hi</p>\n.\nend</html>\x00plain text")
    put("message", b"Subject\x00" + b"x" * 2000 + b"\n..\n.\x00")
    put("record", b"result index=3 error_code=19 response_code=535 failed_step=8 "
                  b"reply_text=5.7.8%20Error connect_time=1500 tls=1 enhanced_status=5007008")
    put("record", b"row index=1 name=mx%2Fone runs=10 failures=2 future=x")
    put("record", b"alarm index=1 metric=totalTime raised=1 count=3 last_change=1700000000")
    mx_seeds()


if __name__ == "__main__":
    main()
