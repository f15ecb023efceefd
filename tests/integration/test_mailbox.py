"""Integration tests: IMAP and POP3 checks (protocol = "imap" | "pop3")
through the smtpcheck CLI.

FakeMailboxTests drive tests/fake/fakembox.py, a scripted server, for what
a real one will not do on demand (a BYE greeting, LOGINDISABLED, a NO to
LOGIN, a literal too big, a stall at each step, garbage, a mailbox that
does not exist, -ERR at each POP3 step): each case names the error code,
the failed step and the response code it must give.

DovecotTests run the CLI against a real Dovecot from scripts/mailstack
(its own directory, $SMTPCHECK_TEST_TMP/mailstack-mbox, stopped at the
end; needs root, dovecot-imapd and dovecot-pop3d): IMAP and POP3 in
plain, STARTTLS and implicit TLS pass, a wrong password is
authenticationFailed, a mailbox that does not exist is mailboxNotFound,
and the password never shows in any output.
"""

import os
import shutil
import subprocess
import tempfile
import unittest

from helpers import REPO, FakeMboxServer, read_env, require_cli, run_check, test_tmp

MAILSTACK = os.path.join(REPO, "scripts", "mailstack")
EXIT_OK, EXIT_FAILED = 0, 2
TLS_HOST = "localhost"  # the test certificate's DNS name
STEP = 0.5              # --step-timeout of the fake cases, seconds
PASSWORD = "fake-secret-pw"

# (name, protocol, scenario, extra options, error, failed step, response code)
FAKE_CASES = [
    ("imap_ok", "imap", {}, [], "ok", "none", 0),
    ("imap_bye_greeting", "imap", {"replies": {"GREETING": "* BYE go away"}}, [],
     "greetingRejected", "greeting", 4),
    ("imap_logindisabled", "imap", {"capabilities": ["IMAP4rev1", "LOGINDISABLED"]}, [],
     "authMechanismUnavailable", "auth", -1),
    ("imap_login_no", "imap", {"capabilities": ["IMAP4rev1"], "password": "other"}, [],
     "authenticationFailed", "auth", 2),
    ("imap_authenticate_no", "imap", {"password": "other"}, [],
     "authenticationFailed", "auth", 2),
    ("imap_literal_too_big", "imap", {"replies": {"SELECT": "* FLAGS {104857600}"}}, [],
     "protocolViolation", "select", -1),
    ("imap_stall_greeting", "imap", {"stall": "GREETING"}, [], "stepTimeout", "greeting", -1),
    ("imap_stall_capability", "imap", {"stall": "CAPABILITY"}, [], "stepTimeout", "ehlo", -1),
    ("imap_stall_login", "imap", {"stall": "AUTHENTICATE"}, [], "stepTimeout", "auth", -1),
    ("imap_stall_select", "imap", {"stall": "SELECT"}, [], "stepTimeout", "select", -1),
    ("imap_stall_logout", "imap", {"stall": "LOGOUT"}, [], "stepTimeout", "quit", -1),
    ("imap_garbage_greeting", "imap", {"garbage": "GREETING"}, [],
     "protocolViolation", "greeting", -1),
    ("imap_garbage_select", "imap", {"garbage": "SELECT"}, [],
     "protocolViolation", "select", -1),
    ("imap_no_such_mailbox", "imap", {}, ["--mailbox", "Nope"], "mailboxNotFound", "select", 2),
    ("pop3_ok", "pop3", {}, [], "ok", "none", 0),
    ("pop3_err_greeting", "pop3", {"replies": {"GREETING": "-ERR busy"}}, [],
     "greetingRejected", "greeting", 2),
    ("pop3_err_user", "pop3", {"capabilities": ["USER"], "replies": {"USER": "-ERR who"}}, [],
     "authenticationFailed", "auth", 2),
    ("pop3_err_pass", "pop3", {"capabilities": ["USER"], "password": "other"}, [],
     "authenticationFailed", "auth", 2),
    ("pop3_err_auth", "pop3", {"password": "other"}, [], "authenticationFailed", "auth", 2),
    ("pop3_err_stat", "pop3", {"replies": {"STAT": "-ERR locked"}}, [],
     "mailboxNotFound", "select", 2),
    ("pop3_stall_greeting", "pop3", {"stall": "GREETING"}, [], "stepTimeout", "greeting", -1),
    ("pop3_stall_capa", "pop3", {"stall": "CAPA"}, [], "stepTimeout", "ehlo", -1),
    ("pop3_stall_pass", "pop3", {"capabilities": ["USER"], "stall": "PASS"}, [],
     "stepTimeout", "auth", -1),
    ("pop3_stall_stat", "pop3", {"stall": "STAT"}, [], "stepTimeout", "select", -1),
    ("pop3_stall_quit", "pop3", {"stall": "QUIT"}, [], "stepTimeout", "quit", -1),
    ("pop3_garbage_capa", "pop3", {"garbage": "CAPA"}, [], "protocolViolation", "ehlo", -1),
]


def password_file(directory, text):
    path = os.path.join(directory, "password")
    with open(path, "w") as f:
        f.write(text + "\n")
    os.chmod(path, 0o600)
    return path


class FakeMailboxTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_cli(cls)
        cls.dir = tempfile.mkdtemp(prefix="mbox-", dir=test_tmp())
        cls.pw = password_file(cls.dir, PASSWORD)

    def run_case(self, protocol, scenario, extra):
        scenario = dict(scenario, protocol=protocol, user="user")
        scenario.setdefault("password", PASSWORD)
        with FakeMboxServer(scenario) as srv:
            rc, res, err, wall = run_check(
                ["--protocol", protocol, "-p", str(srv.port), "--user", "user",
                 "--password-file", self.pw, "--allow-insecure-auth", "--timeout", "5",
                 "--step-timeout", str(STEP)] + extra + ["127.0.0.1"])
            log = srv.log()
        self.assertIsNotNone(res, err)
        self.assertLess(wall, 5 * STEP + 3)
        self.assertNotIn(PASSWORD, run_check.last_stdout + err)
        return rc, res, log

    def test_cases(self):
        for name, protocol, scenario, extra, error, step, code in FAKE_CASES:
            with self.subTest(name):
                rc, res, log = self.run_case(protocol, scenario, extra)
                got = (res["error_name"], res["failed_step"], res["response_code"])
                self.assertEqual(got, (error, step, code), "%s\n%s" % (res["error_detail"], log))
                self.assertEqual(rc, EXIT_OK if error == "ok" else EXIT_FAILED)
                self.assertEqual(res["protocol"], protocol)

    def test_nagios_names_the_protocol(self):
        for protocol in ("imap", "pop3"):
            with FakeMboxServer({"protocol": protocol, "password": PASSWORD}) as srv:
                rc, _, err, _ = run_check(
                    ["--nagios", "--protocol", protocol, "-p", str(srv.port), "--user", "user",
                     "--password-file", self.pw, "--allow-insecure-auth", "127.0.0.1"],
                    json_flag=False)
            out = run_check.last_stdout
            self.assertEqual(rc, EXIT_OK, err)
            self.assertTrue(out.startswith("%s OK - " % protocol.upper()), out)
            self.assertIn("'login_time'=", out)

    def test_no_login_command_after_logindisabled(self):
        _, res, log = self.run_case("imap", {"capabilities": ["IMAP4rev1", "LOGINDISABLED"]},
                                    [])
        self.assertNotIn(" LOGIN ", log)
        self.assertNotIn("AUTHENTICATE", log)

    def test_no_clear_login_without_allow_insecure(self):
        with FakeMboxServer({"protocol": "imap", "password": PASSWORD}) as srv:
            rc, res, err, _ = run_check(["--protocol", "imap", "-p", str(srv.port), "--user",
                                         "user", "--password-file", self.pw, "127.0.0.1"])
            log = srv.log()
        self.assertEqual(rc, EXIT_FAILED, err)
        self.assertEqual(res["error_name"], "authRefusedPlaintext")
        self.assertNotIn("AUTHENTICATE", log)


_stack_dir = None
STACK = {}


class DovecotTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        global _stack_dir
        require_cli(cls)
        if os.geteuid() != 0:
            raise unittest.SkipTest("the Postfix/Dovecot stack needs root")
        for prog in ("/usr/sbin/postfix", "/usr/sbin/dovecot", "/usr/lib/dovecot/imap",
                     "/usr/lib/dovecot/pop3"):
            if not os.access(prog, os.X_OK):
                raise unittest.SkipTest("%s is not installed" % prog)
        base = os.environ.get("SMTPCHECK_TEST_TMP")
        if base:
            _stack_dir = os.path.join(os.path.abspath(base), "mailstack-mbox")
        else:  # test_tmp() is private to root (0700); the daemons must reach DIR
            _stack_dir = tempfile.mkdtemp(prefix="smtpcheck-mailstack-")
        p = subprocess.run([MAILSTACK, "start", _stack_dir], stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=120)
        if p.returncode != 0:
            raise RuntimeError("scripts/mailstack start failed:\n%s%s" % (p.stdout, p.stderr))
        STACK.update(read_env(os.path.join(_stack_dir, "env")))
        cls.wrong = password_file(tempfile.mkdtemp(prefix="mbox-", dir=test_tmp()), "wrong")

    @classmethod
    def tearDownClass(cls):
        subprocess.run([MAILSTACK, "stop", _stack_dir], stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=120)
        if not os.environ.get("SMTPCHECK_TEST_TMP"):
            shutil.rmtree(_stack_dir, True)

    def check(self, protocol, port_key, security, password_file=None, extra=()):
        host = TLS_HOST if security != "none" else "127.0.0.1"
        args = ["--protocol", protocol, "-p", STACK[port_key], "--security", security,
                "--user", STACK["USER"], "--password-file",
                password_file or STACK["PASSWORD_FILE"], "--ca-file", STACK["CA_FILE"],
                "--timeout", "10"] + list(extra)
        if security == "none":
            args.append("--allow-insecure-auth")
        rc, res, err, _ = run_check(args + [host])
        self.assertIsNotNone(res, err)
        self.assertNotIn(STACK["PASSWORD"], run_check.last_stdout + err)
        return rc, res

    def test_every_protocol_and_security_passes(self):
        for protocol, plain, implicit in (("imap", "IMAP_PORT", "IMAPS_PORT"),
                                          ("pop3", "POP3_PORT", "POP3S_PORT")):
            for security, port in (("none", plain), ("starttls", plain), ("tls", implicit)):
                with self.subTest(protocol=protocol, security=security):
                    rc, res = self.check(protocol, port, security)
                    self.assertEqual((rc, res["error_name"]), (EXIT_OK, "ok"),
                                     res["error_detail"])
                    self.assertEqual(res["protocol"], protocol)
                    self.assertEqual(res["tls"], security != "none")
                    for phase in ("connect", "greeting", "login", "transfer", "quit"):
                        self.assertIn(phase, res["phases_run"])
                        self.assertIsNotNone(res[phase + "_time_ms"], phase)
                    self.assertIn("Dovecot", res["greeting"])

    def test_wrong_password_is_authentication_failed(self):
        for protocol, port in (("imap", "IMAPS_PORT"), ("pop3", "POP3S_PORT")):
            with self.subTest(protocol):
                rc, res = self.check(protocol, port, "tls", password_file=self.wrong)
                self.assertEqual(rc, EXIT_FAILED)
                self.assertEqual((res["error_name"], res["failed_step"], res["response_code"]),
                                 ("authenticationFailed", "auth", 2), res["error_detail"])

    def test_missing_mailbox(self):
        rc, res = self.check("imap", "IMAP_PORT", "starttls", extra=["--mailbox", "Nope"])
        self.assertEqual(rc, EXIT_FAILED)
        self.assertEqual((res["error_name"], res["failed_step"]), ("mailboxNotFound", "select"))


if __name__ == "__main__":
    unittest.main()
