"""Shared helpers for smtpcheck's integration tests (stdlib only).

Run the tests with Debian's interpreter, /usr/bin/python3, from this
directory:  cd tests/integration && /usr/bin/python3 -m unittest -v

What is here:

  REPO, FAKESMTP, MKCERTS   paths inside the repository
  smtpcheck_bin()           the CLI under test: $SMTPCHECK_BIN, else
                            <repo>/build/cli/smtpcheck
  test_tmp()                one scratch directory for the whole test run:
                            $SMTPCHECK_TEST_TMP if set, else a fresh
                            tempfile directory (removed at exit)
  free_port(host)           a TCP port with nothing listening on it
  certs(dir=None)           run tests/fake/mkcerts.py once per run and
                            return the directory (ca.pem, server.pem, ...)
  FakeServer(scenario, ...) context manager running tests/fake/fakesmtp.py
  HostileServer(behaviours, ...)  the same for tests/fake/hostile.py
  run_check(args, ...)      run the CLI with --json; returns
                            (exit_status, parsed_json, stderr, wall_seconds)
  require_cli(testcase)     skip a test case when the CLI is not built

Only loopback addresses are ever used (127.0.0.1 / ::1).
"""

import atexit
import contextlib
import json
import re
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
FAKESMTP = os.path.join(REPO, "tests", "fake", "fakesmtp.py")
FAKEDNS = os.path.join(REPO, "tests", "fake", "fakedns.py")
FAKEMBOX = os.path.join(REPO, "tests", "fake", "fakembox.py")
HOSTILE = os.path.join(REPO, "tests", "fake", "hostile.py")
MKCERTS = os.path.join(REPO, "tests", "fake", "mkcerts.py")
# The fake server and mkcerts need Debian's python3 (with python3-
# cryptography), not whatever python3 comes first on PATH.
PYTHON = os.environ.get("SMTPCHECK_TEST_PYTHON",
                        "/usr/bin/python3" if os.path.exists("/usr/bin/python3")
                        else sys.executable)

LOOPBACK = "127.0.0.1"

_tmp_dir = None
_certs_dirs = {}


def smtpcheck_bin():
    """Path of the CLI under test ($SMTPCHECK_BIN or build/cli/smtpcheck)."""
    return os.environ.get("SMTPCHECK_BIN") or os.path.join(REPO, "build", "cli", "smtpcheck")


def require_cli(testcase):
    """Skip (unittest.SkipTest) when the CLI binary is missing."""
    path = smtpcheck_bin()
    if not os.access(path, os.X_OK):
        raise unittest.SkipTest("smtpcheck CLI not built: %s" % path)


def test_tmp():
    """The scratch directory shared by every test of this run."""
    global _tmp_dir
    if _tmp_dir is None:
        env = os.environ.get("SMTPCHECK_TEST_TMP")
        if env:
            os.makedirs(env, exist_ok=True)
            _tmp_dir = env
        else:
            _tmp_dir = tempfile.mkdtemp(prefix="smtpcheck-it-")
            atexit.register(shutil.rmtree, _tmp_dir, True)
    return _tmp_dir


def read_env(path):
    """A KEY=VALUE file (as scripts/mailstack writes DIR/env) as a dict."""
    env = {}
    with open(path) as f:
        for line in f:
            key, sep, value = line.rstrip("\n").partition("=")
            if sep:
                env[key] = value
    return env


def free_port(host=LOOPBACK):
    """A port on HOST with nothing listening (bind to port 0, close)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def certs(directory=None):
    """Create the test certificates (once per run per directory) and
    return their directory.  Default: <test_tmp()>/certs."""
    directory = directory or os.path.join(test_tmp(), "certs")
    if directory not in _certs_dirs:
        subprocess.run([PYTHON, MKCERTS, directory], check=True,
                       stdout=subprocess.DEVNULL, timeout=120)
        _certs_dirs[directory] = True
    return directory


class FakeServer:
    """Run tests/fake/fakesmtp.py for the length of a with block.

        with FakeServer({"stall": "EHLO"}) as srv:
            run_check(["-p", str(srv.port), "127.0.0.1"])

    scenario: the scenario dict (see fakesmtp.py's docstring).
    certdir:  a certs() directory; when given and the scenario has no
              "cert", <certdir>/<cert>.pem and .key are added.
    cert:     which certificate of certdir: "server" (default),
              "expired", "wronghost" or "untrusted".
    host:     address to bind (loopback only).

    The object has .port, .host, .log_path (the transcript) and .log()
    (the transcript's text).  On exit the server gets SIGTERM (SIGKILL
    after 5 s) and the scratch files go away unless keep=True.
    """

    def __init__(self, scenario=None, certdir=None, cert="server", host=LOOPBACK,
                 keep=False, prefix=(), port=0):
        self.scenario = dict(scenario or {})
        if certdir and "cert" not in self.scenario:
            self.scenario["cert"] = os.path.join(certdir, cert + ".pem")
            self.scenario["key"] = os.path.join(certdir, cert + ".key")
        self.host = host
        self.keep = keep
        self.prefix = list(prefix)  # e.g. ["ip", "netns", "exec", NAME]
        self.want_port = port       # 0: a free one
        self.port = None
        self.proc = None
        self.dir = None
        self.log_path = None

    script = "fakesmtp"

    def command(self, port_file):
        """The server's command line (it writes its port to PORT_FILE)."""
        scen_file = os.path.join(self.dir, "scenario.json")
        with open(scen_file, "w") as f:
            json.dump(self.scenario, f)
        return self.prefix + [PYTHON, FAKESMTP, "--host", self.host,
                              "--port", str(self.want_port),
                              "--port-file", port_file, "--scenario", "@" + scen_file,
                              "--log", self.log_path]

    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix=self.script + "-", dir=test_tmp())
        self.log_path = os.path.join(self.dir, "transcript.log")
        port_file = os.path.join(self.dir, "port")
        self._stderr = open(os.path.join(self.dir, "stderr.log"), "wb")
        self.proc = subprocess.Popen(
            self.command(port_file),
            stdin=subprocess.DEVNULL, stdout=self._stderr, stderr=self._stderr)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if os.path.exists(port_file):
                with open(port_file) as f:
                    self.port = int(f.read().strip())
                return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        self._stop()
        with open(os.path.join(self.dir, "stderr.log"), errors="replace") as f:
            err = f.read()
        raise RuntimeError("%s did not start (exit %s): %s" % (self.script, self.proc.returncode,
                                                              err))

    def _stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._stderr.close()

    def __exit__(self, *exc):
        self._stop()
        if not self.keep:
            shutil.rmtree(self.dir, True)
        return False

    def log(self):
        """The transcript so far ("" when there is none)."""
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""


class FakeDns(FakeServer):
    """Run tests/fake/fakedns.py (UDP and TCP) for the length of a with block:

        with FakeDns({"d.test": {"MX": [[10, "mx.d.test"]]}}) as dns:
            run_check(["--mx", "d.test", "--dns-server", dns.server])

    zone: {name: {TYPE: records}} (see fakedns.py). set_zone() replaces it
    at once (the server reads the file for every query). .queries() is
    the list of "TYPE name rcode ..." lines so far.
    """

    script = "fakedns"

    def __init__(self, zone, host=LOOPBACK, keep=False):
        super().__init__({}, host=host, keep=keep)
        self.zone = zone

    @property
    def server(self):
        return "%s:%d" % (self.host, self.port)

    def set_zone(self, zone):
        self.zone = zone
        path = os.path.join(self.dir, "zone.json")
        with open(path + ".tmp", "w") as f:
            json.dump(zone, f)
        os.rename(path + ".tmp", path)

    def command(self, port_file):
        self.set_zone(self.zone)
        return [PYTHON, FAKEDNS, "--host", self.host, "--port", "0", "--port-file", port_file,
                "--zone", os.path.join(self.dir, "zone.json"), "--log", self.log_path]

    def queries(self):
        return self.log().splitlines()


class FakeMboxServer(FakeServer):
    """tests/fake/fakembox.py (IMAP or POP3, the scenario's "protocol")
    for the length of a with block; as FakeServer otherwise."""

    script = "fakembox"

    def command(self, port_file):
        cmd = super().command(port_file)
        cmd[cmd.index(FAKESMTP)] = FAKEMBOX
        return cmd


class HostileServer(FakeServer):
    """Run tests/fake/hostile.py for the length of a with block:

        with HostileServer("nul_byte") as srv:
            run_check(["-p", str(srv.port), "127.0.0.1"])

    behaviours: one name, a list of names, or "all" (see hostile.py).
    rotate:     seconds per behaviour when there are several.
    certdir:    a certs() directory (the TLS behaviours need one).
    Otherwise like FakeServer (.port, .log(), keep=...).
    """

    script = "hostile"

    def __init__(self, behaviours, certdir=None, rotate=0, host=LOOPBACK, keep=False):
        super().__init__({}, host=host, keep=keep)
        self.behaviours = behaviours if isinstance(behaviours, str) else ",".join(behaviours)
        self.certdir = certdir
        self.rotate = rotate

    def command(self, port_file):
        return [PYTHON, HOSTILE, "--host", self.host, "--port", "0", "--port-file", port_file,
                "--behaviour", self.behaviours, "--rotate", str(self.rotate),
                "--log", self.log_path] + (["--certdir", self.certdir] if self.certdir else [])


def run_check(args, env=None, timeout=60, json_flag=True):
    """Run the CLI with ARGS (+ --json) and return
    (exit_status, parsed_json_or_None, stderr_text, wall_seconds).

    env: extra environment variables (merged over os.environ; a value of
    None removes the variable).  SMTPCHECK_PASSWORD is removed unless env
    sets it.  parsed_json is None when stdout is not one JSON document;
    the raw stdout is then in run_check.last_stdout.  --json always prints
    an array; for convenience an array of one result is returned as that
    result (run_check.last_stdout keeps the array).
    """
    full_env = dict(os.environ)
    full_env.pop("SMTPCHECK_PASSWORD", None)
    for k, v in (env or {}).items():
        if v is None:
            full_env.pop(k, None)
        else:
            full_env[k] = v
    cmd = [smtpcheck_bin()] + (["--json"] if json_flag else []) + list(args)
    start = time.monotonic()
    p = subprocess.run(cmd, env=full_env, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    wall = time.monotonic() - start
    out = p.stdout.decode("utf-8", "replace")
    run_check.last_stdout = out
    run_check.last_cmd = cmd
    try:
        data = unwrap(json.loads(out))
    except ValueError:
        data = None
    return p.returncode, data, p.stderr.decode("utf-8", "replace"), wall


DOCS_CLI = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs", "cli.md")


def documented_json_keys():
    """{key: type text} from the "JSON keys" table of docs/cli.md, which
    test_output keeps equal to what --json prints."""
    with open(DOCS_CLI, encoding="utf-8") as f:
        section = f.read().split("### JSON keys", 1)[1]
    return {m.group(1): m.group(2).strip()
            for m in re.finditer(r"^\| `(\w+)` \| ([^|]+) \|", section, re.M)}


def timed_phases():
    """The phases, in order, from the documented "<phase>_time_ms" keys."""
    return [k[: -len("_time_ms")] for k in documented_json_keys() if k.endswith("_time_ms")]


def schema_values(key):
    """The values a check setting takes, from smtpcheck --list-fields."""
    out = subprocess.run([smtpcheck_bin(), "--list-fields"], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    head = out[0].lstrip("#").split("\t")
    for line in out[1:]:
        row = dict(zip(head, line.split("\t")))
        if row.get("key") == key:
            return row["values"].split(",")
    raise KeyError(key)


BAD_CONFIGS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bad-configs")


def bad_config_corpus():
    """[(path, line, message)] of the malformed check files in
    tests/bad-configs/ (their expected errors are in expected.tsv)."""
    cases = []
    with open(os.path.join(BAD_CONFIGS, "expected.tsv"), encoding="utf-8") as f:
        for row in f:
            if row.startswith("#") or not row.strip():
                continue
            name, line, message = row.rstrip("\n").split("\t")
            cases.append((os.path.join(BAD_CONFIGS, name), int(line), message))
    return cases


def generated_bad_configs(directory):
    """[(path, line, message)] of bad check files made at run time in
    (line 0: about the whole file, -1: any line)
    DIRECTORY: what git cannot hold (a FIFO, a directory, a device, a
    symlink loop) and what is too big to keep (10 MB, 5 MiB)."""
    def path(name):
        return os.path.join(directory, name)
    os.mkfifo(path("fifo.conf"))
    os.mkdir(path("dir.conf"))
    os.symlink("/dev/zero", path("zero.conf"))
    os.symlink("loop.conf", path("loop.conf"))
    os.symlink("pwloop", path("pwloop"))
    good = 'checks = (\n  { index = 1; name = "a"; host = "mx"; }\n);\n'
    for name, size in (("token10m.conf", 10 * 1000 * 1000), ("token3m.conf", 3 * 1000 * 1000)):
        with open(path(name), "w") as f:
            f.write('checks = (\n  { index = 1; name = "a"; host = "mx"; subject = "%s"; }\n);\n'
                    % ("x" * size))
    with open(path("big.conf"), "w") as f:
        f.write(good + ("# filler line to pass the size cap\n" * 150000))
    with open(path("pwloop.conf"), "w") as f:
        f.write('checks = (\n  { index = 1; name = "a"; host = "mx";\n'
                '    auth = { user = "u"; password_file = "pwloop"; }; }\n);\n')
    return [
        (path("fifo.conf"), 0, "not a regular file (a FIFO)"),
        (path("dir.conf"), 0, "not a regular file (a directory)"),
        (path("zero.conf"), 0, "not a regular file (a device)"),
        (path("loop.conf"), 0, "cannot read the file: Too many levels of symbolic links"),
        (path("token10m.conf"), 2, "the file is larger than 4 MiB"),
        (path("token3m.conf"), 2, "the line is longer than 1 MiB"),
        (path("big.conf"), -1, "the file is larger than 4 MiB"),
        (path("pwloop.conf"), 3, "Too many levels of symbolic links"),
    ]


def has_error(text, path, line, message):
    """TEXT has a line "PATH[:LINE]: error: ..." that holds MESSAGE
    (line 0: about the whole file, no line; -1: any line). A "smtpcheck: "
    before it (snmpd's log) is fine."""
    for got in text.splitlines():
        where, sep, rest = got.partition(": error: ")
        where = where[len("smtpcheck: "):] if where.startswith("smtpcheck: ") else where
        if not sep or message not in rest:
            continue
        if (line == 0 and where == path) or (line > 0 and where == "%s:%d" % (path, line)) \
                or (line < 0 and where.startswith(path + ":")):
            return True
    return False


class CertCase(unittest.TestCase):
    """A test case that needs the CLI and the test certificates (.certdir,
    .ca: the test CA's certificate)."""
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        require_cli(cls)
        cls.certdir = certs()
        cls.ca = os.path.join(cls.certdir, "ca.pem")


def unwrap(data):
    """The one result of a one-element --json array; anything else as is."""
    return data[0] if isinstance(data, list) and len(data) == 1 else data


run_check.last_stdout = ""
run_check.last_cmd = []


def describe(status, data, stderr):
    """A short text for assertion messages."""
    return "cmd=%s\nexit=%s\njson=%s\nstderr=%s" % (
        " ".join(run_check.last_cmd), status,
        json.dumps(data, indent=1) if data is not None else run_check.last_stdout,
        stderr[-2000:])


@contextlib.contextmanager
def text_file(content, suffix=".txt"):
    """A scratch file holding CONTENT; yields its path."""
    fd, path = tempfile.mkstemp(suffix=suffix, dir=test_tmp())
    with os.fdopen(fd, "w") as f:
        f.write(content)
    try:
        yield path
    finally:
        os.unlink(path)
