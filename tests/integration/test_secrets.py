"""What the CLI keeps of a password and what a server can make it print:
the process's memory and environment while a check runs, and the -v
transcript (issue 7, defects 4 and 5)."""
import os
import re
import socket
import subprocess
import tempfile
import time
import unittest

from helpers import FakeServer, require_cli, smtpcheck_bin, test_tmp

SECRET = b"S3cret-Probe-Value-42"


CHUNK = 1 << 20
SHADOW = 1 << 32  # larger mappings are a sanitizer's shadow memory, not data


def count_in(mem, lo, hi):
    """SECRET in [lo, hi) of MEM, read a chunk at a time."""
    n, tail = 0, b""
    for at in range(lo, hi, CHUNK):
        try:
            mem.seek(at)
            data = tail + mem.read(min(CHUNK, hi - at))
        except (OSError, OverflowError, ValueError):
            return n
        n += data.count(SECRET)
        tail = data[-(len(SECRET) - 1):]
    return n


def secret_copies(pid):
    """{mapping: count} of SECRET in the readable memory of PID."""
    found = {}
    with open("/proc/%d/maps" % pid) as maps, open("/proc/%d/mem" % pid, "rb", 0) as mem:
        for line in maps:
            m = re.match(r"([0-9a-f]+)-([0-9a-f]+) (r...) \S+ \S+ \S+\s*(.*)", line)
            if not m:
                continue
            lo, hi = int(m.group(1), 16), int(m.group(2), 16)
            if hi - lo >= SHADOW:
                continue
            n = count_in(mem, lo, hi)
            if n:
                found[m.group(4) or "anonymous"] = found.get(m.group(4) or "anonymous", 0) + n
    return found


class PasswordInMemory(unittest.TestCase):
    def setUp(self):
        require_cli(self)

    def running_check(self, args, env=None):
        """(environ bytes, {mapping: copies}) of a CLI check held mid-run by
        a server that accepts and never greets."""
        with socket.socket() as srv:
            srv.bind(("127.0.0.1", 0))
            srv.listen(5)
            proc = subprocess.Popen([smtpcheck_bin(), "--user", "u", "--allow-insecure-auth",
                                     "--step-timeout", "30", "-p", str(srv.getsockname()[1])]
                                    + args + ["127.0.0.1"],
                                    env=dict(os.environ, **(env or {})),
                                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
            try:
                srv.settimeout(30)
                conn, _ = srv.accept()
                with conn:
                    time.sleep(0.3)  # the run has started: its copies exist
                    with open("/proc/%d/environ" % proc.pid, "rb") as f:
                        environ = f.read()
                    copies = secret_copies(proc.pid)
            finally:
                proc.kill()
                proc.wait()
        return environ, copies

    def test_env_password_is_wiped(self):
        environ, _ = self.running_check([], {"SMTPCHECK_PASSWORD": SECRET.decode()})
        self.assertNotIn(SECRET, environ, "SMTPCHECK_PASSWORD left in the environment")

    def test_few_copies_of_the_password(self):
        # From a file, so that no environment copy (a sanitizer runtime
        # keeps one of its own) muddies the count.
        with tempfile.NamedTemporaryFile("wb", dir=test_tmp(), delete=False) as f:
            f.write(SECRET + b"\n")
        os.chmod(f.name, 0o600)
        self.addCleanup(os.remove, f.name)
        _, copies = self.running_check(["--password-file", f.name])
        # The check the CLI built, the engine's copy of it, and the copy a
        # run works on: nothing else (no template, no session copy, no
        # buffer left over from reading the file).
        self.assertLessEqual(sum(copies.values()), 3, copies)
        self.assertGreaterEqual(sum(copies.values()), 1, "the scan found nothing at all")


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
