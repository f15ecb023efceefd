"""The malformed check-file corpus (tests/bad-configs/ and the files made
at run time) through the CLI: each is refused with its file:line error,
using under a second of CPU. tests/integration/test_snmp.py sends snmpd a
HUP with each and checks that the last good configuration keeps serving."""
import os
import resource
import subprocess
import tempfile
import unittest

from helpers import (bad_config_corpus, generated_bad_configs, has_error, require_cli,
                     smtpcheck_bin, test_tmp)


class BadConfigs(unittest.TestCase):
    def setUp(self):
        require_cli(self)

    def refuse(self, path, line, message, extra=()):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        p = subprocess.run([smtpcheck_bin(), "--config", path] + list(extra),
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=120)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        err = p.stderr.decode("utf-8", "replace")
        self.assertNotEqual(p.returncode, 0, err)
        self.assertTrue(has_error(err, path, line, message),
                        "want %s:%d: error: ...%s...\ngot:\n%s" % (path, line, message, err))
        # CPU time, not wall time: a loaded machine cannot break it, and a
        # quadratic scan of a 10 MB token (libconfig's) takes over 15 s.
        self.assertLess(cpu, 1.0, "%.2f s of CPU for %s" % (cpu, path))
        return cpu

    def cases(self):
        d = tempfile.mkdtemp(prefix="bad-configs-", dir=test_tmp())
        return bad_config_corpus() + generated_bad_configs(d)

    def test_every_case_is_refused_with_its_line(self):
        cases = self.cases()
        self.assertGreater(len(cases), 45)
        worst = 0.0
        for path, line, message in cases:
            with self.subTest(os.path.basename(path)):
                worst = max(worst, self.refuse(path, line, message, ["--check-config"]))
        print("bad configs: %d cases, the most CPU %.3f s" % (len(cases), worst))

    def test_running_them_is_refused_too(self):
        for path, line, message in self.cases():
            with self.subTest(os.path.basename(path)):
                self.refuse(path, line, message)


if __name__ == "__main__":
    unittest.main()
