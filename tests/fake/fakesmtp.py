#!/usr/bin/python3
"""A scripted fake SMTP server for smtpcheck's integration tests.

Usage:
  fakesmtp.py --host 127.0.0.1 --port 0 --port-file PATH
              --scenario JSON_OR_@FILE [--log PATH]

One asyncio event loop serves every connection (no thread per
connection).  Once listening, the bound port is written to --port-file
(a temporary file renamed into place).  The server runs until SIGTERM or
SIGINT and then exits 0.  --log appends a transcript, one line per
command or reply: "<conn-id> C: <line>" / "<conn-id> S: <line>", plus
"<conn-id> *: <event>" lines for connects, TLS and closes.

Only ever bind it to loopback addresses (127.0.0.1 or ::1).

Without a scenario it is a correct ESMTP server:
  greeting "220 fake.test ESMTP"; EHLO lists fake.test, PIPELINING,
  SIZE 10240000, STARTTLS (when a cert is configured and the session is
  not yet in TLS), AUTH PLAIN LOGIN CRAM-MD5, ENHANCEDSTATUSCODES,
  8BITMIME; HELO 250; STARTTLS 220 then a TLS handshake; AUTH PLAIN,
  LOGIN and CRAM-MD5 (235 on success, else "535 5.7.8 Authentication
  credentials invalid"); MAIL/RCPT 250; DATA 354, the message up to the
  lone ".", then "250 2.0.0 Ok: queued as FAKE123"; NOOP/RSET 250;
  VRFY 252; HELP 214; QUIT 221 and close; anything else 500.

Scenario (a JSON object; every key optional).  VERB is the first word
of a command, uppercased (EHLO, HELO, STARTTLS, AUTH, MAIL, RCPT, DATA,
QUIT, NOOP, RSET, VRFY, HELP, ...), "DOT" for the reply to the end of
the message, "GREETING" for the greeting.
  greeting          full greeting text, sent as is plus CRLF
                    ("\\r\\n" inside makes it multi-line)
  greeting_delay_ms delay before the greeting (added to delay_ms GREETING)
  ehlo              list of EHLO reply lines (first = domain line),
                    replacing the capability list
  replies           {VERB: text} replacing the reply to VERB, sent as is
                    plus CRLF.  For AUTH the text answers the AUTH
                    command at once (no exchange); for STARTTLS and DATA
                    the handshake / message only follow a 220 / 354.
  delay_ms          {VERB: ms} delay before the reply to VERB
  stall             VERB: from then on read and discard, never reply,
                    until the client closes
  close             VERB: close the connection instead of replying
  close_mid         VERB: send the first half of the proper reply, close
  garbage           VERB: reply "hello there" instead (session goes on)
  longline          VERB: send 1 MiB of 'A' with no CRLF, then read and
                    discard until the client closes
  byte_delay_ms     send every reply one byte at a time, this delay
                    between bytes
  tls               "implicit" for TLS from the first byte (port 465
                    style); anything else / absent = plain + STARTTLS
  cert, key         server certificate and key (PEM) for STARTTLS and
                    implicit TLS; without them STARTTLS is not offered
  tls_garbage       true: offer STARTTLS (even without a cert); after
                    "220" to STARTTLS (or, when implicit, from the start)
                    wait for the client's ClientHello, answer it with
                    "this is not TLS" in clear text, wait for the client
                    to close (at most 10 s), then close
  user, password    accepted credentials (default "user" / "secret")
Several of stall/close/close_mid/garbage/longline may be set for
different verbs.  For one reply the order is: delay_ms, then the first
that matches of stall, close, close_mid, garbage, longline, then the
reply.
"""

import argparse
import asyncio
import base64
import binascii
import hashlib
import hmac
import json
import os
import resource
import signal
import ssl
import sys
import time

DOMAIN = "fake.test"
LINE_LIMIT = 65536          # longest command or message line accepted
CHUNK = 65536               # write size for the long line / discard reads
LONGLINE_BYTES = 1 << 20
TLS_HANDSHAKE_TIMEOUT = 15.0
GARBAGE_LINGER = 10.0

DEFAULT_REPLIES = {
    "GREETING": "220 %s ESMTP" % DOMAIN,
    "HELO": "250 %s" % DOMAIN,
    "STARTTLS": "220 2.0.0 Ready to start TLS",
    "MAIL": "250 2.1.0 Ok",
    "RCPT": "250 2.1.5 Ok",
    "DATA": "354 End data with <CR><LF>.<CR><LF>",
    "DOT": "250 2.0.0 Ok: queued as FAKE123",
    "NOOP": "250 2.0.0 Ok",
    "RSET": "250 2.0.0 Ok",
    "VRFY": "252 2.0.0 Cannot VRFY user, but will accept message",
    "HELP": "214 2.0.0 See RFC 5321",
    "QUIT": "221 2.0.0 Bye",
}
UNKNOWN_REPLY = "500 5.5.2 Error: command not recognized"
AUTH_OK = "235 2.7.0 Authentication successful"
AUTH_BAD = "535 5.7.8 Authentication credentials invalid"


class Closed(Exception):
    """The session is over (client gone or a scenario action ended it)."""


# ---------------------------------------------------------------- scenario

class Scenario:
    """The parsed scenario with the defaults filled in."""

    def __init__(self, d):
        if not isinstance(d, dict):
            raise ValueError("scenario must be a JSON object")
        self.raw = d
        self.greeting = d.get("greeting", DEFAULT_REPLIES["GREETING"])
        self.greeting_delay_ms = int(d.get("greeting_delay_ms", 0))
        self.ehlo = d.get("ehlo")
        self.replies = {k.upper(): v for k, v in d.get("replies", {}).items()}
        self.delay_ms = {k.upper(): int(v) for k, v in d.get("delay_ms", {}).items()}
        self.actions = {}
        for action in ("stall", "close", "close_mid", "garbage", "longline"):
            verb = d.get(action)
            if verb:
                self.actions.setdefault(verb.upper(), action)
        self.byte_delay = int(d.get("byte_delay_ms", 0)) / 1000.0
        self.implicit_tls = d.get("tls") == "implicit"
        self.tls_garbage = bool(d.get("tls_garbage", False))
        self.user = d.get("user", "user")
        self.password = d.get("password", "secret")
        self.ssl_context = None
        if d.get("cert"):
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(d["cert"], d.get("key") or None)
            ctx.sni_callback = remember_sni
            self.ssl_context = ctx

    def tls_possible(self):
        """STARTTLS is offered with a certificate, or to send garbage."""
        return self.ssl_context is not None or self.tls_garbage


# The SNI name each TLS connection sent, by id() of its SSL object, until
# the session logs it as "*: TLS SNI <name>" (or "TLS SNI none").
SNI_NAMES = {}


def remember_sni(ssl_obj, name, ctx):
    SNI_NAMES[id(ssl_obj)] = name
    return None


def load_scenario(text):
    if text.startswith("@"):
        with open(text[1:], encoding="utf-8") as f:
            text = f.read()
    return Scenario(json.loads(text) if text.strip() else {})


# ---------------------------------------------------------------- logging

class Transcript:
    def __init__(self, path):
        self.f = open(path, "a", encoding="utf-8", errors="backslashreplace",
                      buffering=1) if path else None

    def write(self, cid, tag, text):
        if self.f is None:
            return
        for line in text.split("\r\n"):
            self.f.write("%d %s: %s\n" % (cid, tag, line))


# ---------------------------------------------------------------- session

class Session:
    """One client connection."""

    def __init__(self, server, cid, reader, writer):
        self.sc = server.scenario
        self.log = server.log
        self.cid = cid
        self.reader = reader
        self.writer = writer
        self.in_tls = False
        self.auth_replied = False

    # ---- low-level I/O

    async def send_raw(self, data):
        """Send bytes, honouring byte_delay_ms, always draining."""
        try:
            if self.sc.byte_delay > 0:
                for i in range(len(data)):
                    self.writer.write(data[i:i + 1])
                    await self.writer.drain()
                    await asyncio.sleep(self.sc.byte_delay)
            else:
                self.writer.write(data)
                await self.writer.drain()
        except (ConnectionError, OSError) as e:
            raise Closed("write failed: %s" % e)

    async def send(self, text):
        self.log.write(self.cid, "S", text)
        await self.send_raw(text.encode("utf-8", "surrogateescape") + b"\r\n")

    async def read_line(self):
        """One line without its line ending; Closed at EOF."""
        try:
            line = await self.reader.readline()
        except ValueError:  # longer than LINE_LIMIT
            await self.send("500 5.5.0 Line too long")
            raise Closed("line too long")
        except (ConnectionError, OSError) as e:
            raise Closed("read failed: %s" % e)
        if not line:
            raise Closed("client closed")
        text = line.rstrip(b"\r\n").decode("utf-8", "surrogateescape")
        return text, line.endswith(b"\n")

    async def discard_until_eof(self, limit=None):
        """Read and throw away everything until the client closes."""
        async def loop():
            while True:
                try:
                    data = await self.reader.read(CHUNK)
                except (ConnectionError, OSError):
                    return
                if not data:
                    return
        if limit is None:
            await loop()
        else:
            try:
                await asyncio.wait_for(loop(), limit)
            except asyncio.TimeoutError:
                pass
        raise Closed("client closed")

    # ---- scenario actions

    async def reply(self, verb, text):
        """Send the reply to VERB after applying the scenario's delay and
        action for it."""
        delay = self.sc.delay_ms.get(verb, 0)
        if verb == "GREETING":
            delay += self.sc.greeting_delay_ms
        if delay:
            await asyncio.sleep(delay / 1000.0)
        action = self.sc.actions.get(verb)
        if action == "stall":
            self.log.write(self.cid, "*", "stall at %s" % verb)
            await self.discard_until_eof()
        if action == "close":
            self.log.write(self.cid, "*", "close at %s" % verb)
            raise Closed("scenario close")
        if action == "close_mid":
            data = text.encode("utf-8") + b"\r\n"
            half = data[:max(1, len(data) // 2)]
            self.log.write(self.cid, "S", half.decode("utf-8", "replace") + " [closed]")
            await self.send_raw(half)
            raise Closed("scenario close_mid")
        if action == "garbage":
            await self.send("hello there")
            return False
        if action == "longline":
            self.log.write(self.cid, "S", "[1 MiB of 'A' without CRLF]")
            chunk = b"A" * CHUNK
            for _ in range(LONGLINE_BYTES // CHUNK):
                self.writer.write(chunk)
                try:
                    await self.writer.drain()
                except (ConnectionError, OSError):
                    raise Closed("client gone during long line")
            await self.discard_until_eof()
        await self.send(text)
        return True

    def reply_text(self, verb):
        return self.sc.replies.get(verb, DEFAULT_REPLIES.get(verb, UNKNOWN_REPLY))

    # ---- the dialogue

    async def run(self):
        self.log.write(self.cid, "*", "connect from %s" % (self.writer.get_extra_info("peername"),))
        if self.sc.implicit_tls:
            if not await self.start_tls():
                return
        await self.reply("GREETING", self.sc.greeting)
        while True:
            line, _ = await self.read_line()
            self.log.write(self.cid, "C", line)
            verb, _, arg = line.partition(" ")
            verb = verb.upper()
            handler = getattr(self, "cmd_" + verb.lower(), None) if verb.isalpha() else None
            if handler is None:
                await self.reply(verb, self.sc.replies.get(verb, UNKNOWN_REPLY))
            else:
                await handler(verb, arg.strip())

    async def start_tls(self):
        """Server-side TLS on the current connection; False when it failed."""
        if self.sc.tls_garbage:
            # Wait for the ClientHello first: clear text right behind the
            # 220 would be seen as data injected before the handshake.
            try:
                hello = await asyncio.wait_for(self.reader.read(CHUNK), GARBAGE_LINGER)
            except (asyncio.TimeoutError, ConnectionError, OSError):
                hello = b""
            if not hello:
                raise Closed("client sent no ClientHello")
            self.log.write(self.cid, "C", "[%d bytes of TLS handshake]" % len(hello))
            await self.send("this is not TLS")
            await self.discard_until_eof(GARBAGE_LINGER)
        # Anything the client pipelined behind STARTTLS is ignored.
        try:
            await self.writer.start_tls(self.sc.ssl_context,
                                        ssl_handshake_timeout=TLS_HANDSHAKE_TIMEOUT)
        except (ssl.SSLError, ConnectionError, OSError, asyncio.TimeoutError) as e:
            self.log.write(self.cid, "*", "TLS handshake failed: %s" % e)
            return False
        self.in_tls = True
        sni = SNI_NAMES.pop(id(self.writer.get_extra_info("ssl_object")), None)
        self.log.write(self.cid, "*", "TLS SNI %s" % (sni or "none"))
        ssl_obj = self.writer.get_extra_info("ssl_object")
        self.log.write(self.cid, "*", "TLS %s %s" % (
            ssl_obj.version() if ssl_obj else "?",
            ssl_obj.cipher()[0] if ssl_obj else "?"))
        return True

    def ehlo_lines(self):
        if self.sc.ehlo is not None:
            return list(self.sc.ehlo)
        lines = [DOMAIN, "PIPELINING", "SIZE 10240000"]
        if self.sc.tls_possible() and not self.in_tls:
            lines.append("STARTTLS")
        lines += ["AUTH PLAIN LOGIN CRAM-MD5", "ENHANCEDSTATUSCODES", "8BITMIME"]
        return lines

    async def cmd_ehlo(self, verb, arg):
        if verb in self.sc.replies:
            text = self.sc.replies[verb]
        else:
            lines = self.ehlo_lines() or [DOMAIN]
            text = "\r\n".join("250-" + l for l in lines[:-1])
            text += ("\r\n" if len(lines) > 1 else "") + "250 " + lines[-1]
        await self.reply(verb, text)

    async def cmd_starttls(self, verb, arg):
        if verb in self.sc.replies:
            text = self.sc.replies[verb]
        elif self.in_tls:
            text = "503 5.5.1 Error: TLS already active"
        elif not self.sc.tls_possible():
            text = "454 4.7.0 TLS not available"
        else:
            text = DEFAULT_REPLIES["STARTTLS"]
        if await self.reply(verb, text) and text.startswith("220"):
            if not await self.start_tls():
                raise Closed("TLS failed")

    async def cmd_quit(self, verb, arg):
        await self.reply(verb, self.reply_text(verb))
        raise Closed("quit")

    async def cmd_data(self, verb, arg):
        text = self.reply_text(verb)
        if not await self.reply(verb, text) or not text.startswith("354"):
            return
        size = lines = 0
        while True:
            line, _ = await self.read_line()
            if line == ".":
                break
            size += len(line) + 2
            lines += 1
        self.log.write(self.cid, "C", "[message: %d lines, %d bytes]" % (lines, size))
        self.log.write(self.cid, "C", ".")
        await self.reply("DOT", self.reply_text("DOT"))

    async def cmd_auth(self, verb, arg):
        if verb in self.sc.replies:
            await self.reply(verb, self.sc.replies[verb])
            return
        mech, _, initial = arg.partition(" ")
        initial = initial.strip() or None
        auth = {"PLAIN": self.auth_plain, "LOGIN": self.auth_login,
                "CRAM-MD5": self.auth_cram_md5}.get(mech.upper())
        if auth is None:
            await self.reply(verb, "504 5.5.4 Unrecognized authentication type")
            return
        self.auth_replied = False
        ok = await auth(initial)
        await self.auth_send("501 5.7.0 Authentication aborted" if ok is None
                             else AUTH_OK if ok else AUTH_BAD)

    async def auth_send(self, text):
        """Send one reply of an AUTH exchange; the scenario's delay and
        action for AUTH apply to the first one only."""
        if self.auth_replied:
            await self.send(text)
            return True
        self.auth_replied = True
        return await self.reply("AUTH", text)

    async def challenge(self, text):
        """Send a 334 challenge and return the client's answer, or None
        when it cancels with "*" (or the scenario replaced the challenge)."""
        if not await self.auth_send(text):
            return None
        answer, _ = await self.read_line()
        self.log.write(self.cid, "C", answer)
        return None if answer.strip() == "*" else answer.strip()

    def check(self, user, password):
        return user == self.sc.user and password == self.sc.password

    async def auth_plain(self, initial):
        if initial is None:
            initial = await self.challenge("334 ")
            if initial is None:
                return None
        try:
            parts = b64decode(initial).split("\0")
        except ValueError:
            return False
        return len(parts) == 3 and self.check(parts[1], parts[2])

    async def auth_login(self, initial):
        if initial is None:
            initial = await self.challenge("334 VXNlcm5hbWU6")
            if initial is None:
                return None
        password = await self.challenge("334 UGFzc3dvcmQ6")
        if password is None:
            return None
        try:
            return self.check(b64decode(initial), b64decode(password))
        except ValueError:
            return False

    async def auth_cram_md5(self, initial):
        stamp = "<%d.%d@%s>" % (os.getpid(), time.time_ns(), DOMAIN)
        answer = await self.challenge("334 " + base64.b64encode(stamp.encode()).decode())
        if answer is None:
            return None
        try:
            user, _, digest = b64decode(answer).rpartition(" ")
        except ValueError:
            return False
        want = hmac.new(self.sc.password.encode(), stamp.encode(), hashlib.md5).hexdigest()
        return user == self.sc.user and hmac.compare_digest(digest.lower().encode(),
                                                            want.encode())

    async def cmd_helo(self, verb, arg):
        await self.reply(verb, self.reply_text(verb))

    cmd_mail = cmd_rcpt = cmd_noop = cmd_rset = cmd_vrfy = cmd_help = cmd_helo


def b64decode(text):
    try:
        return base64.b64decode(text.encode("ascii"), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeError) as e:
        raise ValueError(str(e))


# ---------------------------------------------------------------- server

class FakeServer:
    def __init__(self, scenario, log):
        self.scenario = scenario
        self.log = log
        self.next_id = 0
        self.tasks = set()

    async def handle(self, reader, writer):
        self.next_id += 1
        cid = self.next_id
        task = asyncio.current_task()
        self.tasks.add(task)
        session = Session(self, cid, reader, writer)
        why = "closed"
        try:
            await session.run()
        except Closed as e:
            why = str(e)
        except asyncio.CancelledError:
            why = "server shutdown"
        except Exception as e:  # keep serving other connections
            why = "error: %r" % (e,)
        finally:
            self.tasks.discard(task)
            self.log.write(cid, "*", "close (%s)" % why)
            session.writer.close()
            try:
                await asyncio.wait_for(session.writer.wait_closed(), 2)
            except (Exception, asyncio.CancelledError):
                pass


def raise_fd_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):
            pass


def write_port_file(path, port):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.replace(tmp, path)


async def serve(args, scenario):
    log = Transcript(args.log)
    fake = FakeServer(scenario, log)
    server = await asyncio.start_server(fake.handle, args.host, args.port,
                                        limit=LINE_LIMIT, backlog=4096,
                                        reuse_address=True)
    port = server.sockets[0].getsockname()[1]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if args.port_file:
        write_port_file(args.port_file, port)
    await stop.wait()
    server.close()
    await server.wait_closed()
    for task in list(fake.tasks):
        task.cancel()
    if fake.tasks:
        await asyncio.wait(list(fake.tasks), timeout=5)


def main():
    p = argparse.ArgumentParser(description="scripted fake SMTP server (tests only)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file")
    p.add_argument("--scenario", default="{}", help="JSON text or @FILE")
    p.add_argument("--log")
    args = p.parse_args()
    try:
        scenario = load_scenario(args.scenario)
    except (OSError, ValueError, ssl.SSLError) as e:
        sys.stderr.write("fakesmtp: bad scenario: %s\n" % e)
        return 2
    if scenario.implicit_tls and not scenario.tls_possible():
        sys.stderr.write("fakesmtp: implicit TLS needs \"cert\"\n")
        return 2
    raise_fd_limit()
    asyncio.run(serve(args, scenario))
    return 0


if __name__ == "__main__":
    sys.exit(main())
