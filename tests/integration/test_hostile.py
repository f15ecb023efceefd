"""The hostile-server catalogue: smtpcheck against tests/fake/hostile.py.

Run from this directory with Debian's python:
    cd tests/integration && SMTPCHECK_BIN=... /usr/bin/python3 -m unittest -v test_hostile

One test per behaviour, generated from CATALOGUE below. Every test asserts
  (a) the verdict: error_name (and failed_step where it is meaningful),
  (b) the check ends within its deadline: each result's total_time_ms is
      at most --timeout, and the wall time of the run is below the
      deadline plus MARGIN,
  (c) stdout is one JSON array, valid UTF-8 (decoded strictly), with no
      control character in any string, and stderr (the -v transcript)
      holds no raw control byte either,
  (d) nothing leaks: the password (given by SMTPCHECK_PASSWORD to every
      run) never appears in stdout or stderr, in clear or base64; where
      AUTH is involved it never reaches the server either; and no
      sanitizer report appears (with an ASan build as SMTPCHECK_BIN,
      LeakSanitizer runs at exit of every case).
A row with `defect` is a known product defect: its test is an
expectedFailure until the product is fixed. The catalogue is documented
in tests/fake/README.md; test_catalogue_documented keeps the two, and
hostile.py's list of behaviours, in step.
"""

import base64
import json
import math
import os
import re
import subprocess
import sys
import time
import unittest

from helpers import REPO, CertCase, HostileServer, smtpcheck_bin

sys.path.insert(0, os.path.join(REPO, "tests", "fake"))
import hostile  # noqa: E402  (tests/fake/hostile.py: the behaviours)

USER = "hostile-user"
SECRET = "Hostile-S3cret-7f2a"
SECRET_FORMS = [s.encode() for s in (
    SECRET,
    base64.b64encode(SECRET.encode()).decode(),
    base64.b64encode(("\0%s\0%s" % (USER, SECRET)).encode()).decode(),
    base64.b64encode(("%s\0%s\0%s" % (USER, USER, SECRET)).encode()).decode(),
)]
MAIL = ["--from", "a@hostile.test", "--to", "b@hostile.test"]
TIMEOUT, STEP_TIMEOUT = 3, 1     # seconds, unless a row says otherwise
MARGIN = 5.0                     # seconds past the deadline a run may take
EXIT_OK, EXIT_CRITICAL = 0, 2
CLOSED = ("connectionClosed", "networkError")
SANITIZER = re.compile(rb"AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|"
                       rb"runtime error:")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
RAW_CONTROL = re.compile(rb"[\x00-\x08\x0b-\x1f\x7f]")  # \t and \n are the layout


def row(behaviour, error, step=None, args=(), *, quick=False, total_ms=None, auth=False,
        tls=False, hosts=1, max_in_flight=None, timeout=TIMEOUT, step_timeout=STEP_TIMEOUT,
        extra=(), defect=None, tolerated=()):
    """One catalogue entry.

    error:    the error_name a user should get (a tuple: any of them)
    step:     the failed_step (None: not asserted)
    quick:    a limit decides, not a timer: the check ends before the
              step timeout
    total_ms: (low, high) bounds on total_time_ms
    auth:     --user USER, the password from SMTPCHECK_PASSWORD; the
              password must never reach the server
    tls:      the server needs the test certificates; --ca-file ca.pem
    extra:    names of further checks (methods check_<name>)
    defect:   why this row is an expected failure (a product defect)
    tolerated: (error_name, detail substring) pairs also accepted: a
              product inaccuracy that shows only now and then (a race),
              which an expected failure cannot express
    """
    return dict(behaviour=behaviour, error=error if isinstance(error, tuple) else (error,),
                step=step, args=list(args), quick=quick, total_ms=total_ms, auth=auth,
                tls=tls, hosts=hosts, max_in_flight=max_in_flight, timeout=timeout,
                step_timeout=step_timeout, extra=list(extra), defect=defect,
                tolerated=list(tolerated))


LOGIN_ONLY = ["--auth-mechs", "LOGIN", "--allow-insecure-auth"]
CRAM_ONLY = ["--auth-mechs", "CRAM-MD5", "--allow-insecure-auth"]

CATALOGUE = [
    # The reply parser's limits: a line, a reply, the bytes it accepts.
    row("endless_multiline", "protocolViolation", "ehlo", quick=True),
    row("long_line_10mb", "protocolViolation", "greeting", quick=True),
    row("nul_byte", "protocolViolation", "greeting", quick=True),
    row("eight_bit", "ok", "none", MAIL, extra=["eight_bit_replaced"]),
    row("code_000", "protocolViolation", "greeting", quick=True),
    row("code_199", "protocolViolation", "greeting", quick=True),
    row("code_999", "protocolViolation", "greeting", quick=True),
    row("code_2500", "protocolViolation", "greeting", quick=True),
    row("mixed_codes", "protocolViolation", "ehlo", quick=True),
    # Timers: the step timeout fires on a drip; the overall deadline holds
    # when every step is just in time.
    row("drip", "stepTimeout", "greeting", total_ms=(1000, 2000)),
    row("drip_inside_step", "stepTimeout", None, MAIL, step_timeout=2,
        total_ms=(2990, 3200), extra=["overall_deadline"]),
    # STARTTLS and TLS.
    row("starttls_injection", "protocolViolation", "tls", ["--security", "starttls"],
        quick=True, extra=["nothing_after_starttls"]),
    row("starttls_plaintext", "tlsHandshakeFailure", "tls", ["--security", "starttls"],
        quick=True),
    row("chain_50", "certificateUntrusted", "tls", ["--security", "tls"], tls=True,
        quick=True),
    row("tls_record_64k", "tlsHandshakeFailure", "tls", ["--security", "tls"], quick=True),
    row("tls_handshake_16mb", "tlsHandshakeFailure", "tls", ["--security", "tls"],
        quick=True),
    # AUTH.
    row("auth_before_tls", "authMechanismUnavailable", "auth", ["--security", "starttls"],
        auth=True, tls=True, quick=True, extra=["no_auth_command"]),
    row("bad_b64_login", "protocolViolation", "auth", LOGIN_ONLY, auth=True, quick=True),
    row("bad_b64_cram", "protocolViolation", "auth", CRAM_ONLY, auth=True, quick=True),
    # The connection.
    row("rst_mid_greeting", CLOSED, "greeting", quick=True),
    row("rst_mid_ehlo", CLOSED, "ehlo", quick=True),
    # When the RST lands before the engine has seen its connect complete,
    # SO_ERROR gives ECONNRESET: that too is connectionClosed (conn.c).
    row("reset_on_accept", CLOSED, None, hosts=500, max_in_flight=100,
        extra=["every_target_reported"]),
    # Output injection.
    row("pipe_in_reply", "recipientRejected", "rcpt", MAIL, extra=["nagios_one_pipe"]),
    # Issue 7 defect 4 (fixed): -v printed server lines raw, ESC included.
    row("esc_in_reply", "recipientRejected", "rcpt", MAIL, extra=["nagios_one_pipe"]),
]


class Run:
    """One CLI run: raw stdout/stderr bytes, the exit status, wall seconds,
    and the hostile server's transcript."""

    def __init__(self, cmd, proc, wall, transcript):
        self.cmd, self.status, self.wall = cmd, proc.returncode, wall
        self.stdout, self.stderr = proc.stdout, proc.stderr
        self.transcript = transcript
        self.results = None

    def why(self):
        cmd = self.cmd if len(self.cmd) < 30 else self.cmd[:20] + [
            "... (%d arguments)" % len(self.cmd)]
        return "cmd=%s\nexit=%s wall=%.3fs\nstdout=%s\nstderr (tail)=%s\ntranscript (tail):\n%s" % (
            " ".join(cmd), self.status, self.wall,
            self.stdout[:3000].decode("utf-8", "backslashreplace"),
            self.stderr[-2000:].decode("utf-8", "backslashreplace"), self.transcript[-2000:])


def run_cli(args, timeout):
    env = dict(os.environ, SMTPCHECK_PASSWORD=SECRET)
    cmd = [smtpcheck_bin()] + args
    start = time.monotonic()
    proc = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=timeout)
    return cmd, proc, time.monotonic() - start


class HostileTests(CertCase):

    # ---------------------------------------------------------- one row

    def deadline(self, r):
        """Seconds the whole run may take: each batch of max_in_flight
        checks within --timeout, plus MARGIN."""
        batches = math.ceil(r["hosts"] / (r["max_in_flight"] or r["hosts"]))
        return batches * r["timeout"] + MARGIN

    def cli_args(self, r, port, fmt=("--json", "-v")):
        args = list(fmt) + ["--timeout", str(r["timeout"]),
                            "--step-timeout", str(r["step_timeout"])] + r["args"]
        if r["tls"] or "--security" in r["args"]:
            args += ["--ca-file", self.ca]
        if r["auth"]:
            args += ["--user", USER]
        if r["max_in_flight"]:
            args += ["--max-in-flight", str(r["max_in_flight"])]
        return args + ["127.0.0.1:%d" % port] * r["hosts"]

    def check_row(self, r):
        certdir = self.certdir if r["tls"] else None
        fmt = ("--json",) if r["hosts"] > 1 else ("--json", "-v")
        with HostileServer(r["behaviour"], certdir=certdir) as srv:
            args = self.cli_args(r, srv.port, fmt)
            cmd, proc, wall = run_cli(args, timeout=self.deadline(r) + 60)
            self.srv = srv
            run = Run(cmd, proc, wall, srv.log())
            self.assert_json(r, run)
            self.assert_verdict(r, run)
            self.assert_deadline(r, run)
            self.assert_no_leak(r, run)
            for name in r["extra"]:
                getattr(self, "check_" + name)(r, run)
            self.assert_no_raw_control(run)
        return run

    # ---------------------------------------------------------- (c) output

    def assert_json(self, r, run):
        try:
            text = run.stdout.decode("utf-8", "strict")
        except UnicodeDecodeError as e:
            self.fail("stdout is not valid UTF-8: %s\n%s" % (e, run.why()))
        try:
            data = json.loads(text)
        except ValueError as e:
            self.fail("stdout is not JSON: %s\n%s" % (e, run.why()))
        self.assertIsInstance(data, list, run.why())
        self.assertEqual(len(data), r["hosts"], "one result per target\n" + run.why())
        for res in data:
            for key, value in res.items():
                if isinstance(value, str):
                    self.assertIsNone(CONTROL.search(value),
                                      "control character in %s: %r\n%s" % (key, value, run.why()))
        run.results = data

    def assert_no_raw_control(self, run):
        for name, out in (("stdout", run.stdout), ("stderr", run.stderr)):
            m = RAW_CONTROL.search(out)
            if m is not None:
                self.fail("raw control byte %r in %s: ...%r...\n%s" % (
                    m.group(0), name, out[max(0, m.start() - 60):m.start() + 20], run.why()))

    # ---------------------------------------------------------- (a) verdict

    def assert_verdict(self, r, run):
        for res in run.results:
            got = (res.get("error_name"), res.get("failed_step"))
            if any(got[0] == e and d in (res.get("error_detail") or "")
                   for e, d in r["tolerated"]):
                continue
            self.assertIn(got[0], r["error"], run.why())
            if r["step"] is not None:
                self.assertEqual(got[1], r["step"], run.why())
            self.assertIs(res.get("ok"), r["error"] == ("ok",), run.why())
            self.assertEqual(res.get("port"), self.srv.port, run.why())
        want_status = EXIT_OK if r["error"] == ("ok",) else EXIT_CRITICAL
        self.assertEqual(run.status, want_status, run.why())

    # ---------------------------------------------------------- (b) deadline

    def assert_deadline(self, r, run):
        self.assertLess(run.wall, self.deadline(r), "the run overran\n" + run.why())
        for res in run.results:
            total = res.get("total_time_ms")
            self.assertIsInstance(total, (int, float), run.why())
            self.assertLessEqual(total, r["timeout"] * 1000 + 100,
                                 "the check overran --timeout\n" + run.why())
            if r["quick"]:
                self.assertLess(total, r["step_timeout"] * 1000,
                                "a limit should decide, not a timer\n" + run.why())
            if r["total_ms"]:
                low, high = r["total_ms"]
                self.assertGreaterEqual(total, low, run.why())
                self.assertLessEqual(total, high, run.why())

    # ---------------------------------------------------------- (d) leaks

    def assert_no_leak(self, r, run):
        for name, out in (("stdout", run.stdout), ("stderr", run.stderr)):
            for form in SECRET_FORMS:
                self.assertNotIn(form, out, "the password (%s) in %s\n%s" % (form, name,
                                                                             run.why()))
            self.assertIsNone(SANITIZER.search(out), "sanitizer report in %s\n%s" % (
                name, run.why()))
        if r["auth"]:
            for form in SECRET_FORMS:
                self.assertNotIn(form.decode(), run.transcript,
                                 "the password reached the server\n" + run.why())

    # ---------------------------------------------------------- extra checks

    def check_eight_bit_replaced(self, r, run):
        # Invalid bytes are replaced one by one; valid UTF-8 is kept.
        greeting = run.results[0]["greeting"]
        self.assertRegex(greeting, r"^h[?\ufffd]stile\.test ESMTP caf\u00e9 ", run.why())

    def check_overall_deadline(self, r, run):
        # Each reply came within the step timeout; what ended the check
        # was the overall deadline, after more than one step.
        res = run.results[0]
        self.assertNotIn(res["failed_step"], ("greeting",), run.why())
        self.assertIn("overall", res.get("error_detail") or "", run.why())

    def check_nothing_after_starttls(self, r, run):
        # The injected "250" must not be taken as an answer, and no byte
        # may go out between STARTTLS and the handshake that never came.
        lines = [l for l in run.transcript.splitlines() if " C" in l[:12]]
        at = [i for i, l in enumerate(lines) if "STARTTLS" in l]
        self.assertEqual(len(at), 1, run.why())
        self.assertEqual(lines[at[0] + 1:], [], "client wrote after STARTTLS\n" + run.why())

    def check_no_auth_command(self, r, run):
        self.assertNotRegex(run.transcript, r"\d+ C(\(tls\))?: b'AUTH", run.why())
        self.assertIn("TLS up", run.transcript, run.why())

    def check_every_target_reported(self, r, run):
        self.assertEqual([res["host"] for res in run.results], ["127.0.0.1"] * r["hosts"])
        self.assertGreaterEqual(run.transcript.count("*: connect "), r["hosts"], run.why())

    def check_nagios_one_pipe(self, r, run):
        args = self.cli_args(r, self.srv.port, ("--nagios",))
        cmd, proc, wall = run_cli(args, timeout=self.deadline(r) + 60)
        nag = Run(cmd, proc, wall, self.srv.log())
        self.assertEqual(nag.status, EXIT_CRITICAL if r["error"] != ("ok",) else EXIT_OK,
                         nag.why())
        text = nag.stdout.decode("utf-8", "strict")
        self.assertEqual(len(text.rstrip("\n").split("\n")), 1, nag.why())
        self.assertEqual(text.count("|"), 1, "perfdata injected\n" + nag.why())
        self.assertRegex(text.split("|")[1], r"^ 'dns_time'=", nag.why())
        self.assert_no_raw_control(nag)

    # ---------------------------------------------------------- the catalogue itself

    def test_catalogue_documented(self):
        """Every behaviour of hostile.py has one row, and README.md's
        catalogue table gives each row's verdict."""
        names = [r["behaviour"] for r in CATALOGUE]
        self.assertEqual(sorted(names), sorted(hostile.BEHAVIOURS))
        self.assertEqual(len(names), len(set(names)))
        with open(os.path.join(REPO, "tests", "fake", "README.md"), encoding="utf-8") as f:
            readme = f.read()
        for r in CATALOGUE:
            m = re.search(r"^\| `%s` \|[^\n]*$" % re.escape(r["behaviour"]), readme, re.M)
            self.assertIsNotNone(m, "README.md has no row for %s" % r["behaviour"])
            for e in r["error"]:
                self.assertIn("`%s`" % e, m.group(0), r["behaviour"])
            if r["step"]:
                self.assertIn("at %s" % r["step"], m.group(0), r["behaviour"])


def _make_test(r):
    def test(self):
        self.check_row(r)
    test.__doc__ = "%s -> %s%s" % (r["behaviour"], "/".join(r["error"]),
                                   " at " + r["step"] if r["step"] else "")
    return unittest.expectedFailure(test) if r["defect"] else test


for _r in CATALOGUE:
    setattr(HostileTests, "test_" + _r["behaviour"], _make_test(_r))


if __name__ == "__main__":
    unittest.main()
