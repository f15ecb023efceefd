#!/usr/bin/python3
"""A scripted fake IMAP4rev1 or POP3 server for smtpcheck's integration tests.

Usage:
  fakembox.py --host 127.0.0.1 --port 0 --port-file PATH
              --scenario JSON_OR_@FILE [--log PATH]

The same frame as fakesmtp.py: one asyncio loop, the bound port written
to --port-file, a transcript in --log ("<conn-id> C: <line>", "S:", "*:"
lines), exit 0 on SIGTERM.  Only ever bind it to loopback addresses.
Plain TCP only: TLS is tested against the real Dovecot.

Without a scenario it is a correct server of its protocol:
  IMAP  "* OK fake.test IMAP4rev1 ready"; CAPABILITY lists IMAP4rev1
        and AUTH=PLAIN; LOGIN and AUTHENTICATE PLAIN (with or without an
        initial response) check user/password ("NO [AUTHENTICATIONFAILED]"
        else); SELECT INBOX gives EXISTS, RECENT, UIDVALIDITY and
        "OK [READ-WRITE]", any other mailbox "NO [NONEXISTENT]"; NOOP OK;
        LOGOUT "* BYE", OK and close; anything else BAD.
  POP3  "+OK fake.test POP3 ready"; CAPA lists USER and SASL PLAIN;
        USER/PASS and AUTH PLAIN check the credentials; STAT "+OK 2 320";
        NOOP +OK; QUIT "+OK bye" and close; anything else -ERR.

Scenario (a JSON object; every key optional).  VERB is the first word
of a command (IMAP: after the tag), uppercased, or "GREETING".
  protocol      "imap" (default) or "pop3"
  greeting      the greeting line, sent as is plus CRLF
  capabilities  IMAP: the words after "* CAPABILITY"; POP3: the lines of
                the CAPA reply (a list of strings replacing the default)
  replies       {VERB: text}: the reply to VERB instead of the proper
                one.  IMAP: "{tag}" in the text becomes the command's
                tag; CRLF inside makes several lines.  Sent as is + CRLF.
  stall         VERB: from then on read and discard, never reply
  close         VERB: close the connection instead of replying
  garbage       VERB: reply "hello there" instead (the session goes on)
  user, password  accepted credentials (default "user" / "secret")
The first of stall, close, garbage and replies that names the verb wins.
"""

import argparse
import asyncio
import base64
import binascii
import json
import os
import signal
import sys

DOMAIN = "fake.test"
MAX_LINE = 65536


class Closed(Exception):
    """The connection is over (the client left, or the scenario closed it)."""


def load_scenario(text):
    if text.startswith("@"):
        with open(text[1:]) as f:
            text = f.read()
    scenario = json.loads(text or "{}")
    if not isinstance(scenario, dict):
        raise ValueError("the scenario must be a JSON object")
    return scenario


class Transcript:
    def __init__(self, path):
        self.f = open(path, "a", buffering=1) if path else None

    def line(self, conn, kind, text):
        if self.f:
            self.f.write("%d %s: %s\n" % (conn, kind, text))


def imap_args(text):
    """The arguments of an IMAP command: atoms and quoted strings."""
    args, i = [], 0
    while i < len(text):
        if text[i] == " ":
            i += 1
        elif text[i] == '"':
            out, i = [], i + 1
            while i < len(text) and text[i] != '"':
                if text[i] == "\\" and i + 1 < len(text):
                    i += 1
                out.append(text[i])
                i += 1
            args.append("".join(out))
            i += 1
        else:
            end = text.find(" ", i)
            end = len(text) if end < 0 else end
            args.append(text[i:end])
            i = end
    return args


def sasl_plain(b64, user, password):
    """Does a base64 SASL PLAIN response carry these credentials?"""
    try:
        parts = base64.b64decode(b64, validate=True).split(b"\0")
    except (binascii.Error, ValueError):
        return False
    return len(parts) == 3 and parts[1] == user.encode() and parts[2] == password.encode()


class Session:
    def __init__(self, server, conn_id, reader, writer):
        self.sc = server.scenario
        self.log = server.log
        self.id = conn_id
        self.reader = reader
        self.writer = writer
        self.user = self.sc.get("user", "user")
        self.password = self.sc.get("password", "secret")
        self.pop_user = None

    async def send(self, text):
        for line in text.split("\r\n"):
            self.log.line(self.id, "S", line)
        self.writer.write(text.encode() + b"\r\n")
        await self.writer.drain()

    async def readline(self):
        line = await self.reader.readline()
        if not line or len(line) > MAX_LINE:
            raise Closed()
        text = line.decode("utf-8", "replace").rstrip("\r\n")
        self.log.line(self.id, "C", text)
        return text

    async def stall(self):
        self.log.line(self.id, "*", "stalling")
        while await self.reader.read(4096):
            pass
        raise Closed()

    async def scripted(self, verb, tag=""):
        """The scenario's answer to VERB; True when it replaced the reply."""
        if self.sc.get("stall") == verb:
            await self.stall()
        if self.sc.get("close") == verb:
            self.log.line(self.id, "*", "closing at " + verb)
            raise Closed()
        if self.sc.get("garbage") == verb:
            await self.send("hello there")
            return True
        text = self.sc.get("replies", {}).get(verb)
        if text is None:
            return False
        await self.send(text.replace("{tag}", tag))
        if text.startswith(("* BYE", "-ERR")) and verb == "GREETING":
            raise Closed()
        return True

    async def run(self):
        imap = self.sc.get("protocol", "imap") == "imap"
        default = ("* OK %s IMAP4rev1 ready" if imap else "+OK %s POP3 ready") % DOMAIN
        if not await self.scripted("GREETING"):
            await self.send(self.sc.get("greeting", default))
        while True:
            line = await self.readline()
            if imap:
                await self.imap_command(line)
            else:
                await self.pop3_command(line)

    # ---- IMAP ----

    async def imap_command(self, line):
        tag, _, rest = line.partition(" ")
        verb, _, args = rest.partition(" ")
        verb = verb.upper()
        if await self.scripted(verb, tag):
            return
        handler = getattr(self, "imap_" + verb.lower(), None)
        if handler is None:
            await self.send("%s BAD unknown command" % tag)
        else:
            await handler(tag, args)

    async def imap_capability(self, tag, args):
        caps = self.sc.get("capabilities", ["IMAP4rev1", "AUTH=PLAIN"])
        await self.send("* CAPABILITY " + " ".join(caps) + "\r\n%s OK CAPABILITY done" % tag)

    async def imap_noop(self, tag, args):
        await self.send("%s OK NOOP done" % tag)

    async def imap_login(self, tag, args):
        a = imap_args(args)
        ok = len(a) == 2 and a[0] == self.user and a[1] == self.password
        await self.logged_in(tag, ok)

    async def logged_in(self, tag, ok):
        await self.send("%s OK Logged in" % tag if ok else
                        "%s NO [AUTHENTICATIONFAILED] Authentication failed." % tag)

    async def imap_authenticate(self, tag, args):
        a = args.split(" ")
        if a[0].upper() != "PLAIN":
            await self.send("%s NO unsupported mechanism" % tag)
            return
        if len(a) < 2:
            await self.send("+ ")
            a.append(await self.readline())
        await self.logged_in(tag, sasl_plain(a[1], self.user, self.password))

    async def imap_select(self, tag, args):
        a = imap_args(args)
        if len(a) != 1 or a[0].upper() != "INBOX":
            await self.send("%s NO [NONEXISTENT] Mailbox doesn't exist: %s" % (tag, args))
            return
        await self.send("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
                        "* 2 EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY 1] UIDs valid\r\n"
                        "* OK [UIDNEXT 3] Predicted next UID\r\n"
                        "%s OK [READ-WRITE] Select completed." % tag)

    async def imap_logout(self, tag, args):
        await self.send("* BYE Logging out\r\n%s OK Logout completed." % tag)
        raise Closed()

    # ---- POP3 ----

    async def pop3_command(self, line):
        verb, _, args = line.partition(" ")
        verb = verb.upper()
        if await self.scripted(verb):
            return
        handler = getattr(self, "pop3_" + verb.lower(), None)
        if handler is None:
            await self.send("-ERR unknown command")
        else:
            await handler(args)

    async def pop3_capa(self, args):
        caps = self.sc.get("capabilities", ["USER", "SASL PLAIN"])
        await self.send("\r\n".join(["+OK"] + caps + ["."]))

    async def pop3_noop(self, args):
        await self.send("+OK")

    async def pop3_user(self, args):
        self.pop_user = args
        await self.send("+OK")

    async def pop3_pass(self, args):
        ok = self.pop_user == self.user and args == self.password
        await self.send("+OK Logged in." if ok else "-ERR [AUTH] Authentication failed.")

    async def pop3_auth(self, args):
        a = args.split(" ")
        if a[0].upper() != "PLAIN":
            await self.send("-ERR unsupported mechanism")
            return
        if len(a) < 2:
            await self.send("+ ")
            a.append(await self.readline())
        ok = sasl_plain(a[1], self.user, self.password)
        await self.send("+OK Logged in." if ok else "-ERR [AUTH] Authentication failed.")

    async def pop3_stat(self, args):
        await self.send("+OK 2 320")

    async def pop3_quit(self, args):
        await self.send("+OK Logging out.")
        raise Closed()


class FakeServer:
    def __init__(self, scenario, log):
        self.scenario = scenario
        self.log = log
        self.next_id = 0

    async def handle(self, reader, writer):
        self.next_id += 1
        conn = self.next_id
        self.log.line(conn, "*", "connect")
        try:
            await Session(self, conn, reader, writer).run()
        except (Closed, ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self.log.line(conn, "*", "close")
            writer.close()


def write_port_file(path, port):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.rename(tmp, path)


async def serve(args, scenario):
    fake = FakeServer(scenario, Transcript(args.log))
    server = await asyncio.start_server(fake.handle, args.host, args.port)
    write_port_file(args.port_file, server.sockets[0].getsockname()[1])
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)
    await stop
    server.close()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file", required=True)
    p.add_argument("--scenario", default="{}")
    p.add_argument("--log")
    args = p.parse_args()
    if args.host not in ("127.0.0.1", "::1"):
        sys.exit("fakembox: bind to loopback only")
    asyncio.run(serve(args, load_scenario(args.scenario)))


if __name__ == "__main__":
    main()
