#!/usr/bin/python3
"""A hostile SMTP server: a catalogue of byte-level abuse for smtpcheck.

Usage:
  hostile.py --port-file PATH --behaviour NAME[,NAME...] [--rotate S]
             [--certdir DIR] [--host 127.0.0.1] [--port 0] [--log PATH]
  hostile.py --list

Each connection gets one behaviour. With several names the server
rotates: connections accepted in [k*S, (k+1)*S) seconds after start get
name number k mod n (the soak uses this). "all" stands for every
behaviour (those needing certificates only with --certdir). Once
listening, the port is written to --port-file (temporary file renamed
into place). SIGTERM/SIGINT end the server (exit 0).

--certdir is a tests/fake/mkcerts.py directory: server.pem/key for
STARTTLS, longchain.pem/key for the 50-certificate chain.
--log appends one line per event: "<id> *: <event>", "<id> S: <what was
sent>" and "<id> C: <line received>" (bytes as Python repr, "C(tls):"
after a handshake), so a test can see what the client sent in clear.

Only ever bind it to loopback (127.0.0.1 or ::1). Every connection is
capped at CONN_LIMIT seconds and every endless stream at STREAM_LIMIT
bytes, so nothing here runs unbounded.

The catalogue (what each behaviour does; the verdict smtpcheck should
give is in the test table, tests/integration/test_hostile.py, and in
tests/fake/README.md):

  endless_multiline  EHLO answered "250-..." lines forever
  long_line_10mb     greeting "220 " + 10 MB of 'A', never a CRLF
  nul_byte           a NUL inside the greeting line
  eight_bit          Latin-1 and other 8-bit bytes in the greeting and
                     EHLO (otherwise a correct server)
  drip               the greeting one byte every 0.5 s
  drip_inside_step   every reply dripped so that it completes DRIP_INSIDE
                     (1.0 s) after the command: each step is in time,
                     the whole check is not
  code_000, code_199, code_999, code_2500
                     greeting with that reply code
  mixed_codes        EHLO answered "250-a" then "251 b"
  starttls_injection STARTTLS answered "220 ..." plus "250 injected" in
                     the same write (CVE-2011-0411 class)
  starttls_plaintext STARTTLS answered 220, then clear text instead of a
                     ServerHello
  auth_before_tls    AUTH offered before STARTTLS only; after the
                     handshake EHLO lists no AUTH (needs --certdir)
  bad_b64_login      AUTH LOGIN challenges that are not base64
  bad_b64_cram       an AUTH CRAM-MD5 challenge that is not base64
  chain_50           implicit TLS with a chain of 50 certificates under
                     a root nobody trusts (needs --certdir)
  tls_record_64k     implicit TLS: after the ClientHello a record header
                     16 03 03 FF FF (longer than TLS allows) announcing
                     a 16 MB ServerHello, then silence
  tls_handshake_16mb implicit TLS: a legal record carrying a ServerHello
                     header that claims 16 MB, then silence
  rst_mid_greeting   half a greeting, then a TCP RST (SO_LINGER 0)
  rst_mid_ehlo       half of a multi-line EHLO reply, then a TCP RST
  pipe_in_reply      '|' and perfdata-like text in the greeting, the EHLO
                     reply and a 550 to RCPT
  esc_in_reply       ESC sequences (clear screen, window title) in the
                     greeting, the EHLO reply and a 550 to RCPT
  reset_on_accept    every connection reset right after accept
"""

import argparse
import asyncio
import os
import resource
import signal
import socket
import ssl
import struct
import sys
import time

DOMAIN = b"hostile.test"
CONN_LIMIT = 30.0                # seconds, any one connection
STREAM_LIMIT = 64 << 20          # bytes, any endless stream
CHUNK = 65536
READ_LIMIT = 65536               # longest command line accepted
DRIP_BYTE = 0.5                  # seconds between bytes for "drip"
DRIP_INSIDE = 1.0                # seconds each reply takes in drip_inside_step
TLS_HANDSHAKE_TIMEOUT = 10.0


class Closed(Exception):
    """This connection is over."""


# ---------------------------------------------------------------- logging

class Log:
    def __init__(self, path):
        self.f = open(path, "a", encoding="ascii", errors="backslashreplace",
                      buffering=1) if path else None

    def write(self, cid, tag, text):
        if self.f is not None:
            self.f.write("%d %s: %s\n" % (cid, tag, text))


def show(data, limit=200):
    """Bytes for the log: repr, cut."""
    text = repr(bytes(data[:limit]))
    return text + ("...[%d bytes]" % len(data) if len(data) > limit else "")


# ---------------------------------------------------------------- one connection

class Conn:
    """Primitives the behaviours are written with.

    TLS runs over memory BIOs fed from the stream reader, not through
    asyncio's start_tls: bytes the client sent early (a ClientHello right
    behind the connect) may already sit in the reader's buffer, and
    start_tls would never see them."""

    def __init__(self, server, cid, reader, writer):
        self.server = server
        self.cid = cid
        self.reader = reader
        self.writer = writer
        self.ssl = None            # ssl.SSLObject once TLS is up
        self.inbio = self.outbio = None
        self.buf = b""             # received, not yet returned by line()

    @property
    def tls(self):
        return self.ssl is not None

    def log(self, tag, text):
        self.server.log.write(self.cid, tag, text)

    def _write(self, data):
        try:
            self.writer.write(data)
        except (ConnectionError, OSError) as e:
            raise Closed("write failed: %s" % e)

    async def _drain(self):
        try:
            await self.writer.drain()
        except (ConnectionError, OSError) as e:
            raise Closed("write failed: %s" % e)

    def _flush_tls(self):
        if self.outbio is not None and self.outbio.pending:
            self._write(self.outbio.read())

    async def send(self, data, note=None):
        self.log("S", note or show(data))
        if self.ssl is not None:
            self.ssl.write(data)
            self._flush_tls()
        else:
            self._write(data)
        await self._drain()

    async def drip(self, data, delay):
        """DATA one byte at a time, DELAY seconds apart (clear text)."""
        self.log("S", "drip %s, %.3f s per byte" % (show(data), delay))
        for i in range(len(data)):
            self._write(data[i:i + 1])
            await self._drain()
            await asyncio.sleep(delay)

    async def stream(self, first, unit):
        """FIRST, then UNIT repeated until the client goes away (or
        STREAM_LIMIT bytes); clear text."""
        self.log("S", "%s then %s repeated" % (show(first), show(unit)))
        block = unit * max(1, CHUNK // len(unit))
        sent = 0
        try:
            self._write(first)
            while sent < STREAM_LIMIT:
                self._write(block)
                sent += len(block)
                await self._drain()
        except Closed:
            pass
        self.log("*", "stream ended after %d bytes" % sent)
        raise Closed("stream done")

    async def recv_raw(self, timeout=None):
        """Bytes from the socket (b"" at EOF, on an error or TIMEOUT)."""
        try:
            return await asyncio.wait_for(self.reader.read(CHUNK), timeout)
        except (asyncio.TimeoutError, ConnectionError, OSError):
            return b""

    async def recv(self, timeout=None):
        """Application bytes (decrypted under TLS); b"" when it is over."""
        if self.ssl is None:
            return await self.recv_raw(timeout)
        while True:
            try:
                data = self.ssl.read(CHUNK)
                self._flush_tls()
                return data
            except ssl.SSLWantReadError:
                self._flush_tls()
                raw = await self.recv_raw(timeout)
                if not raw:
                    return b""
                self.inbio.write(raw)
            except ssl.SSLError as e:  # close_notify included
                self.log("*", "TLS read: %s" % e)
                return b""

    async def line(self):
        """One command line (bytes, without CRLF); Closed at EOF."""
        while b"\n" not in self.buf:
            if len(self.buf) > READ_LIMIT:
                raise Closed("command line too long")
            data = await self.recv()
            if not data:
                raise Closed("client closed")
            self.buf += data
        line, _, self.buf = self.buf.partition(b"\n")
        self.log("C(tls)" if self.tls else "C", show(line + b"\n"))
        return line.rstrip(b"\r")

    async def read_some(self, timeout=TLS_HANDSHAKE_TIMEOUT):
        """Whatever the client sends next in clear (a ClientHello, say)."""
        data = self.buf or await self.recv_raw(timeout)
        self.buf = b""
        if not data:
            raise Closed("client sent nothing")
        self.log("C", "[%d bytes] %s" % (len(data), show(data, 16)))
        return data

    async def drain_input(self, limit=CONN_LIMIT):
        """Read and log until the client closes (or LIMIT seconds)."""
        async def loop():
            if self.buf:
                self.log("C(tls)" if self.tls else "C", show(self.buf))
            while True:
                data = await self.recv()
                if not data:
                    return
                self.log("C(tls)" if self.tls else "C", show(data))
        try:
            await asyncio.wait_for(loop(), limit)
        except asyncio.TimeoutError:
            pass
        raise Closed("client closed")

    def reset(self):
        """Close with a TCP RST instead of a FIN."""
        sock = self.writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.writer.transport.abort()
        self.log("*", "reset")
        raise Closed("reset")

    async def start_tls(self, ctx):
        """Server side of a handshake; Closed when it fails."""
        self.inbio, self.outbio = ssl.MemoryBIO(), ssl.MemoryBIO()
        sslobj = ctx.wrap_bio(self.inbio, self.outbio, server_side=True)
        if self.buf:  # pipelined behind STARTTLS: the handshake's
            self.inbio.write(self.buf)
            self.buf = b""
        deadline = time.monotonic() + TLS_HANDSHAKE_TIMEOUT
        while True:
            try:
                sslobj.do_handshake()
                break
            except ssl.SSLWantReadError:
                self._flush_tls()
                await self._drain()
                raw = await self.recv_raw(max(0.0, deadline - time.monotonic()))
                if not raw:
                    self.log("*", "TLS handshake failed: client closed or too slow")
                    raise Closed("TLS failed")
                self.inbio.write(raw)
            except ssl.SSLError as e:
                self._flush_tls()  # the alert
                self.log("*", "TLS handshake failed: %s" % e)
                raise Closed("TLS failed")
        self.ssl = sslobj
        self._flush_tls()
        await self._drain()
        self.log("*", "TLS up: %s" % sslobj.version())


# ---------------------------------------------------------------- a plain SMTP dialogue

def reply(code, *lines):
    """A (multi-line) reply: CODE and one line per text, CRLF ended."""
    lines = lines or (b"",)
    out = b""
    for i, text in enumerate(lines):
        sep = b" " if i == len(lines) - 1 else b"-"
        out += b"%d%s%s\r\n" % (code, sep, text)
    return out


GREETING = reply(220, DOMAIN + b" ESMTP")
EHLO_CAPS = [b"PIPELINING", b"SIZE 10240000", b"ENHANCEDSTATUSCODES", b"8BITMIME"]
SIMPLE = {
    b"HELO": reply(250, DOMAIN),
    b"MAIL": reply(250, b"2.1.0 Ok"),
    b"RCPT": reply(250, b"2.1.5 Ok"),
    b"NOOP": reply(250, b"2.0.0 Ok"),
    b"RSET": reply(250, b"2.0.0 Ok"),
    b"VRFY": reply(252, b"2.0.0 Cannot VRFY"),
    b"HELP": reply(214, b"2.0.0 RFC 5321"),
    b"DATA": reply(354, b"End data with <CR><LF>.<CR><LF>"),
    b"DOT": reply(250, b"2.0.0 Ok: queued as HOSTILE1"),
    b"QUIT": reply(221, b"2.0.0 Bye"),
}


class Dialogue:
    """A correct little SMTP server that a behaviour bends at one point.

    greeting: bytes sent first.  ehlo(conn) -> the capability lines
    (without "250-").  on: {VERB: async fn(conn, arg)} replacing the
    reply to VERB (the fn sends what it likes; raise Closed to end).
    send(conn, data): how every reply goes out (default conn.send).
    """

    def __init__(self, greeting=GREETING, ehlo=None, on=None, send=None, tls_ctx=None):
        self.greeting = greeting
        self.ehlo = ehlo or (lambda conn: [DOMAIN] + EHLO_CAPS)
        self.on = on or {}
        self.out = send or (lambda conn, data: conn.send(data))
        self.tls_ctx = tls_ctx

    async def run(self, conn):
        await self.out(conn, self.greeting)
        while True:
            line = await conn.line()
            verb, _, arg = line.partition(b" ")
            verb = verb.upper()
            if verb in self.on:
                await self.on[verb](conn, arg)
            elif verb in (b"EHLO",):
                caps = self.ehlo(conn)
                await self.out(conn, reply(250, *caps))
            elif verb == b"STARTTLS" and self.tls_ctx is not None and not conn.tls:
                await self.out(conn, reply(220, b"2.0.0 Ready to start TLS"))
                await conn.start_tls(self.tls_ctx)
            elif verb == b"DATA":
                await self.out(conn, SIMPLE[b"DATA"])
                while await conn.line() != b".":
                    pass
                await self.out(conn, SIMPLE[b"DOT"])
            elif verb == b"QUIT":
                await self.out(conn, SIMPLE[b"QUIT"])
                raise Closed("quit")
            elif verb in SIMPLE:
                await self.out(conn, SIMPLE[verb])
            else:
                await self.out(conn, reply(500, b"5.5.2 Error: command not recognized"))


# ---------------------------------------------------------------- the behaviours

def greeting_only(data):
    """A behaviour that sends DATA as the greeting, then reads until the
    client goes."""
    async def run(conn, srv):
        await conn.send(data)
        await conn.drain_input()
    return run


async def endless_multiline(conn, srv):
    async def ehlo(conn, arg):
        await conn.stream(b"250-" + DOMAIN + b"\r\n", b"250-PIPELINING\r\n")
    await Dialogue(on={b"EHLO": ehlo}).run(conn)


async def long_line_10mb(conn, srv):
    try:
        conn.writer.write(b"220 ")
        left = 10 << 20
        conn.log("S", "220 + 10 MB of 'A', no CRLF")
        while left > 0:
            n = min(CHUNK, left)
            conn.writer.write(b"A" * n)
            left -= n
            await conn.writer.drain()
    except (ConnectionError, OSError):
        raise Closed("client gone during the long line")
    await conn.drain_input()


async def eight_bit(conn, srv):
    await Dialogue(
        greeting=b"220 h\xf6stile.test ESMTP caf\xc3\xa9 \xff\xfe \xc3\x28 \xed\xa0\x80\r\n",
        ehlo=lambda conn: [b"h\xf6stile.test gr\xfc\xdf", b"X-\x80\x81\xfe"] + EHLO_CAPS,
    ).run(conn)


async def drip(conn, srv):
    await conn.drip(GREETING, DRIP_BYTE)
    await conn.drain_input()


async def drip_inside_step(conn, srv):
    """Each reply's bytes spread over DRIP_INSIDE seconds."""
    async def out(conn, data):
        await conn.drip(data, DRIP_INSIDE / len(data))
    await Dialogue(send=out).run(conn)


async def mixed_codes(conn, srv):
    async def ehlo(conn, arg):
        await conn.send(b"250-" + DOMAIN + b"\r\n251 PIPELINING\r\n")
    await Dialogue(on={b"EHLO": ehlo}).run(conn)


def starttls_ehlo(conn):
    return [DOMAIN, b"STARTTLS"] + EHLO_CAPS


async def starttls_injection(conn, srv):
    async def starttls(conn, arg):
        await conn.send(b"220 2.0.0 Ready to start TLS\r\n250 injected\r\n")
        await conn.drain_input()
    await Dialogue(ehlo=starttls_ehlo, on={b"STARTTLS": starttls}).run(conn)


async def starttls_plaintext(conn, srv):
    async def starttls(conn, arg):
        await conn.send(reply(220, b"2.0.0 Ready to start TLS"))
        await conn.read_some()
        await conn.send(b"this is not TLS\r\n")
        await conn.drain_input()
    await Dialogue(ehlo=starttls_ehlo, on={b"STARTTLS": starttls}).run(conn)


async def auth_before_tls(conn, srv):
    def ehlo(conn):
        if conn.tls:
            return [DOMAIN] + EHLO_CAPS
        return [DOMAIN, b"STARTTLS", b"AUTH PLAIN LOGIN CRAM-MD5"] + EHLO_CAPS

    async def auth(conn, arg):
        conn.log("*", "AUTH received (tls=%s)" % conn.tls)
        await conn.send(reply(503, b"5.5.1 AUTH not available"))
    await Dialogue(ehlo=ehlo, on={b"AUTH": auth}, tls_ctx=srv.server_ctx).run(conn)


def auth_ehlo(conn):
    return [DOMAIN, b"AUTH PLAIN LOGIN CRAM-MD5"] + EHLO_CAPS


async def bad_b64_login(conn, srv):
    async def auth(conn, arg):
        # The first challenge (or the second, after an initial response)
        # is not base64; a client must give up without sending more.
        mech, _, initial = arg.partition(b" ")
        if mech.upper() != b"LOGIN":
            await conn.send(reply(504, b"5.5.4 only LOGIN here"))
            return
        await conn.send(b"334 !!not*base64!!\r\n")
        answer = await conn.line()
        if answer.strip() == b"*":
            await conn.send(reply(501, b"5.7.0 Authentication aborted"))
            return
        await conn.send(b"334 @@@@\r\n")
        await conn.line()
        await conn.send(reply(535, b"5.7.8 Authentication credentials invalid"))
    await Dialogue(ehlo=auth_ehlo, on={b"AUTH": auth}).run(conn)


async def bad_b64_cram(conn, srv):
    async def auth(conn, arg):
        if arg.upper() != b"CRAM-MD5":
            await conn.send(reply(504, b"5.5.4 only CRAM-MD5 here"))
            return
        await conn.send(b"334 <12345.not_base64@hostile.test>\r\n")
        await conn.line()
        await conn.send(reply(535, b"5.7.8 Authentication credentials invalid"))
    await Dialogue(ehlo=auth_ehlo, on={b"AUTH": auth}).run(conn)


async def chain_50(conn, srv):
    await conn.start_tls(srv.chain_ctx)
    await Dialogue().run(conn)


async def tls_record_64k(conn, srv):
    await conn.read_some()
    # Record: handshake, TLS 1.2, length 0xFFFF (more than 2^14 + 2048);
    # inside, a ServerHello header claiming 0xFFFFFF bytes.
    await conn.send(b"\x16\x03\x03\xff\xff" + b"\x02\xff\xff\xff" + b"\x03\x03" + b"\x00" * 64)
    await conn.drain_input()


async def tls_handshake_16mb(conn, srv):
    await conn.read_some()
    body = b"\x02\xff\xff\xff" + b"\x03\x03" + b"\x00" * (16384 - 6)
    await conn.send(b"\x16\x03\x03" + struct.pack(">H", len(body)) + body,
                    "a 16 KB record holding a ServerHello header that claims 16 MB")
    await conn.drain_input()


async def rst_mid_greeting(conn, srv):
    await conn.send(b"220 " + DOMAIN[:4])
    await asyncio.sleep(0.2)
    conn.reset()


async def rst_mid_ehlo(conn, srv):
    async def ehlo(conn, arg):
        await conn.send(b"250-" + DOMAIN + b"\r\n250-PIPEL")
        await asyncio.sleep(0.2)
        conn.reset()
    await Dialogue(on={b"EHLO": ehlo}).run(conn)


async def pipe_in_reply(conn, srv):
    await Dialogue(
        greeting=b"220 hostile.test ESMTP |'total_time'=1ms;2;3 'evil'=666\r\n",
        ehlo=lambda conn: [DOMAIN + b" |x=1"] + EHLO_CAPS,
        on={b"RCPT": send_reply(b"550 5.1.1 no such user |'evil'=666 'total_time'=1ms\r\n")},
    ).run(conn)


async def esc_in_reply(conn, srv):
    await Dialogue(
        greeting=b"220 hostile.test ESMTP \x1b[2J\x1b[31mred\x1b[0m \x1b]0;pwned\x07\r\n",
        ehlo=lambda conn: [DOMAIN + b" \x1b[1A\x1b[K"] + EHLO_CAPS,
        on={b"RCPT": send_reply(b"550 5.1.1 no such user \x1b[2J\x1b]0;pwned\x07\r\n")},
    ).run(conn)


def send_reply(data):
    async def run(conn, arg):
        await conn.send(data)
    return run


async def reset_on_accept(conn, srv):
    conn.reset()


# name -> (coroutine, needs certificates)
BEHAVIOURS = {
    "endless_multiline": (endless_multiline, False),
    "long_line_10mb": (long_line_10mb, False),
    "nul_byte": (greeting_only(b"220 hostile\x00.test ESMTP\r\n"), False),
    "eight_bit": (eight_bit, False),
    "drip": (drip, False),
    "drip_inside_step": (drip_inside_step, False),
    "code_000": (greeting_only(b"000 hostile.test ESMTP\r\n"), False),
    "code_199": (greeting_only(b"199 hostile.test ESMTP\r\n"), False),
    "code_999": (greeting_only(b"999 hostile.test ESMTP\r\n"), False),
    "code_2500": (greeting_only(b"2500 hostile.test ESMTP\r\n"), False),
    "mixed_codes": (mixed_codes, False),
    "starttls_injection": (starttls_injection, False),
    "starttls_plaintext": (starttls_plaintext, False),
    "auth_before_tls": (auth_before_tls, True),
    "bad_b64_login": (bad_b64_login, False),
    "bad_b64_cram": (bad_b64_cram, False),
    "chain_50": (chain_50, True),
    "tls_record_64k": (tls_record_64k, False),
    "tls_handshake_16mb": (tls_handshake_16mb, False),
    "rst_mid_greeting": (rst_mid_greeting, False),
    "rst_mid_ehlo": (rst_mid_ehlo, False),
    "pipe_in_reply": (pipe_in_reply, False),
    "esc_in_reply": (esc_in_reply, False),
    "reset_on_accept": (reset_on_accept, False),
}


# ---------------------------------------------------------------- server

class Server:
    def __init__(self, names, rotate, certdir, log):
        self.names = names
        self.rotate = rotate
        self.log = Log(log)
        self.t0 = time.monotonic()
        self.next_id = 0
        self.tasks = set()
        self.server_ctx = self.chain_ctx = None
        if certdir:
            self.server_ctx = tls_context(certdir, "server")
            self.chain_ctx = tls_context(certdir, "longchain")

    def current(self):
        if self.rotate <= 0 or len(self.names) == 1:
            return self.names[0]
        k = int((time.monotonic() - self.t0) / self.rotate)
        return self.names[k % len(self.names)]

    async def handle(self, reader, writer):
        self.next_id += 1
        cid, name = self.next_id, self.current()
        task = asyncio.current_task()
        self.tasks.add(task)
        conn = Conn(self, cid, reader, writer)
        self.log.write(cid, "*", "connect %s" % name)
        why = "done"
        try:
            await asyncio.wait_for(BEHAVIOURS[name][0](conn, self), CONN_LIMIT)
        except Closed as e:
            why = str(e)
        except asyncio.TimeoutError:
            why = "connection time limit"
        except asyncio.CancelledError:
            why = "server shutdown"
        except Exception as e:  # keep serving the other connections
            why = "error: %r" % (e,)
        finally:
            self.tasks.discard(task)
            self.log.write(cid, "*", "close (%s)" % why)
            writer.close()
            try:
                await asyncio.wait_for(writer.wait_closed(), 2)
            except (Exception, asyncio.CancelledError):
                pass


def tls_context(certdir, base):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(certdir, base + ".pem"), os.path.join(certdir, base + ".key"))
    return ctx


def write_port_file(path, port):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.replace(tmp, path)


async def serve(args, names):
    srv = Server(names, args.rotate, args.certdir, args.log)
    server = await asyncio.start_server(srv.handle, args.host, args.port, limit=READ_LIMIT,
                                        backlog=4096, reuse_address=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if args.port_file:
        write_port_file(args.port_file, server.sockets[0].getsockname()[1])
    await stop.wait()
    server.close()
    for task in list(srv.tasks):
        task.cancel()
    if srv.tasks:
        await asyncio.wait(list(srv.tasks), timeout=5)


def parse_names(text, certdir):
    if text == "all":
        return [n for n, (_, certs) in BEHAVIOURS.items() if certdir or not certs]
    names = [n.strip() for n in text.split(",") if n.strip()]
    for n in names:
        if n not in BEHAVIOURS:
            raise ValueError("unknown behaviour %r (try --list)" % n)
        if BEHAVIOURS[n][1] and not certdir:
            raise ValueError("behaviour %r needs --certdir" % n)
    if not names:
        raise ValueError("no behaviour")
    return names


def main():
    p = argparse.ArgumentParser(description="hostile SMTP server (tests only)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file")
    p.add_argument("--behaviour", default="")
    p.add_argument("--rotate", type=float, default=0.0)
    p.add_argument("--certdir")
    p.add_argument("--log")
    p.add_argument("--list", action="store_true")
    args = p.parse_args()
    if args.list:
        for n, (_, certs) in BEHAVIOURS.items():
            print(n + (" (needs --certdir)" if certs else ""))
        return 0
    if args.host not in ("127.0.0.1", "::1"):
        sys.stderr.write("hostile: loopback only\n")
        return 2
    try:
        names = parse_names(args.behaviour, args.certdir)
    except ValueError as e:
        sys.stderr.write("hostile: %s\n" % e)
        return 2
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    asyncio.run(serve(args, names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
