"""What the CLI keeps of a password and what a server can make it print:
the process's memory and environment while a check runs, and the -v
transcript (issue 7, defects 4 and 5)."""
import os
import re
import socket
import subprocess
import time
import unittest

from helpers import FakeServer, require_cli, smtpcheck_bin

SECRET = b"S3cret-Probe-Value-42"


def secret_copies(pid):
    """{mapping: count} of SECRET in the readable memory of PID."""
    found = {}
    with open("/proc/%d/maps" % pid) as maps, open("/proc/%d/mem" % pid, "rb", 0) as mem:
        for line in maps:
            m = re.match(r"([0-9a-f]+)-([0-9a-f]+) (r...) \S+ \S+ \S+\s*(.*)", line)
            if not m:
                continue
            lo, hi = int(m.group(1), 16), int(m.group(2), 16)
            try:
                mem.seek(lo)
                n = mem.read(hi - lo).count(SECRET)
            except (OSError, OverflowError, ValueError):
                continue
            if n:
                found[m.group(4) or "anonymous"] = found.get(m.group(4) or "anonymous", 0) + n
    return found


class PasswordInMemory(unittest.TestCase):
    def setUp(self):
        require_cli(self)

    def test_env_password_is_wiped_and_copies_are_few(self):
        # A server that accepts and never greets holds the check mid-run.
        with socket.socket() as srv:
            srv.bind(("127.0.0.1", 0))
            srv.listen(5)
            env = dict(os.environ, SMTPCHECK_PASSWORD=SECRET.decode())
            proc = subprocess.Popen([smtpcheck_bin(), "--user", "u", "--allow-insecure-auth",
                                     "--step-timeout", "30", "-p",
                                     str(srv.getsockname()[1]), "127.0.0.1"],
                                    env=env, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                srv.settimeout(30)
                conn, _ = srv.accept()
                time.sleep(0.3)  # the run has started: its copies exist
                with open("/proc/%d/environ" % proc.pid, "rb") as f:
                    environ = f.read()
                copies = secret_copies(proc.pid)
                conn.close()
            finally:
                proc.kill()
                proc.wait()
        self.assertNotIn(SECRET, environ, "SMTPCHECK_PASSWORD left in the environment")
        # The check the CLI built, the engine's copy of it, and the copy a
        # run works on: nothing else (no template, no session copy).
        self.assertLessEqual(sum(copies.values()), 3, copies)
        self.assertNotIn("[stack]", copies)


class TranscriptEscapes(unittest.TestCase):
    def setUp(self):
        require_cli(self)

    def test_escape_sequences_from_the_server_are_not_printed_raw(self):
        greeting = "220 mx \x1b[2J\x1b]0;owned\x07 \udce9 back\\slash"
        with FakeServer({"greeting": greeting}) as srv:
            p = subprocess.run([smtpcheck_bin(), "-v", "-p", str(srv.port), "127.0.0.1"],
                               stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
        err = p.stderr
        self.assertNotIn(b"\x1b", err)
        self.assertNotIn(b"\x07", err)
        err.decode("utf-8")  # strict: the transcript is valid UTF-8
        self.assertIn(b"S: 220 mx \\x1b[2J\\x1b]0;owned\\x07 \\xe9 back\\\\slash", err)


if __name__ == "__main__":
    unittest.main()
