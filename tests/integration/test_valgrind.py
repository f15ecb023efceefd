"""The CLI under valgrind (normal build): no leak, no invalid access.

ASan covers the sanitizer build; this runs the ordinary binary, the one
users get, through a STARTTLS + AUTH + mail check and a set of concurrent
checks from a check file, including failures and timeouts.
"""
import os
import shutil
import subprocess
import unittest

from helpers import FakeServer, certs, free_port, require_cli, smtpcheck_bin, text_file

VALGRIND = shutil.which("valgrind")


# Valgrind slows the CLI down 20-50 times, and a busy machine more: a check
# that must succeed gets step and overall timeouts far beyond what it needs,
# so that its outcome does not depend on the machine's speed. The whole run
# may take VALGRIND_WAIT (two of them fit in CTest's 900 s).
RELAXED = ["--step-timeout", "60", "--timeout", "120"]
VALGRIND_WAIT = 400


def under_valgrind(args, env=None):
    cmd = [VALGRIND, "--quiet", "--leak-check=full", "--show-leak-kinds=definite,indirect",
           "--errors-for-leak-kinds=definite,indirect", "--error-exitcode=99",
           smtpcheck_bin()] + args
    full_env = dict(os.environ, **(env or {}))
    return subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                          timeout=VALGRIND_WAIT,
                          env=full_env)


def is_sanitized(path):
    with open(path, "rb") as f:
        return b"__asan_init" in f.read()


@unittest.skipUnless(VALGRIND, "valgrind is not installed")
class Valgrind(unittest.TestCase):
    def setUp(self):
        require_cli(self)
        if is_sanitized(smtpcheck_bin()):
            self.skipTest("an ASan build; valgrind runs on the normal build")

    def assert_clean(self, proc, expect_status):
        err = proc.stderr.decode(errors="replace")
        self.assertNotEqual(proc.returncode, 99, "valgrind found errors:\n" + err)
        self.assertEqual(proc.returncode, expect_status, err)
        self.assertNotIn("==", err, err)  # --quiet: any valgrind line is a finding

    def test_starttls_auth_mail(self):
        d = certs()
        with FakeServer({}, certdir=d) as srv:
            proc = under_valgrind(
                ["--json"] + RELAXED +
                ["-p", str(srv.port), "--security", "starttls", "--ca-file",
                 os.path.join(d, "ca.pem"), "--user", "user", "--from", "a@fake.test",
                 "--to", "b@fake.test", "--subject", "اختبار", "--probe", "NOOP", "localhost"],
                env={"SMTPCHECK_PASSWORD": "secret"})
        self.assert_clean(proc, 0)

    def test_many_checks_with_failures(self):
        closed = free_port()
        with FakeServer({}) as good, FakeServer({"stall": "GREETING"}) as stall:
            checks = []
            for i in range(1, 31):
                port = (good.port, closed, stall.port)[i % 3]
                checks.append('{ index = %d; name = "c%d"; host = "127.0.0.1"; port = %d; }'
                              % (i, i, port))
            conf = ('defaults = { timeout = 5; step_timeout = 1; ehlo_name = "probe.test"; };\n'
                    "checks = (\n%s\n);\n" % ",\n".join(checks))
            with text_file(conf, ".conf") as path:
                proc = under_valgrind(["--json", "-c", path])
        self.assert_clean(proc, 2)


if __name__ == "__main__":
    unittest.main()
