"""--nagios: one status line, perfdata for every timing, exit 0/1/2/3,
-w/-c on the total time (monitoring-plugins ranges) and
--cert-warn/--cert-crit on the certificate."""
import os
import re
import unittest

from helpers import FakeServer, certs, free_port, require_cli, run_check, timed_phases

PHASES = timed_phases()  # from docs/cli.md, which test_output checks against --json
PERF = re.compile(r"'(\w+)_time'=(U|[0-9.]+ms)(;[@~:0-9.]*)?(;[@~:0-9.]*)?")


def nagios(args):
    status, _, err, _ = run_check(["--nagios"] + args, json_flag=False)
    out = run_check.last_stdout
    return status, out, err


class Nagios(unittest.TestCase):
    def setUp(self):
        require_cli(self)

    def assert_one_line(self, out):
        self.assertEqual(len(out.strip().splitlines()), 1, out)

    def test_ok_line_has_perfdata_for_every_timing(self):
        with FakeServer({}) as srv:
            status, out, err = nagios(["127.0.0.1:%d" % srv.port])
        self.assertEqual(status, 0, out + err)
        self.assert_one_line(out)
        self.assertTrue(out.startswith("SMTP OK - "), out)
        found = dict((m.group(1), m.group(2)) for m in PERF.finditer(out.split("|", 1)[1]))
        self.assertEqual(sorted(found), sorted(PHASES), out)
        self.assertEqual(found["tls"], "U")  # did not run: undetermined
        self.assertTrue(found["total"].endswith("ms"))

    def test_warning_and_critical_on_total_time(self):
        with FakeServer({"greeting_delay_ms": 300}) as srv:
            target = "127.0.0.1:%d" % srv.port
            status, out, err = nagios(["-w", "0.1", "-c", "2", target])
            self.assertEqual(status, 1, out + err)
            self.assertTrue(out.startswith("SMTP WARNING - "), out)
            self.assertIn(";100;2000", out)  # thresholds in the total's perfdata (ms)
            status, out, err = nagios(["-w", "0.05", "-c", "0.1", target])
            self.assertEqual(status, 2, out + err)
            self.assertTrue(out.startswith("SMTP CRITICAL - "), out)
            status, out, err = nagios(["-w", "5", "-c", "10", target])
            self.assertEqual(status, 0, out + err)

    def test_range_syntax(self):
        """-w/-c take monitoring-plugins ranges in seconds; the total's
        perfdata carries them in ms. The total here is about 0.3 s."""
        with FakeServer({"greeting_delay_ms": 300}) as srv:
            target = "127.0.0.1:%d" % srv.port
            cases = [
                (["-w", "~:0.1"], 1, ";~:100;"),        # above 0.1 s
                (["-w", "10:"], 1, ";10000:;"),         # below 10 s
                (["-w", "@0.2:5"], 1, ";@200:5000;"),   # inside 0.2..5 s
                (["-w", "@5:10"], 0, ";@5000:10000;"),  # not inside
                (["-c", "0.2:5"], 0, ";;200:5000"),     # inside: fine
                (["-c", "1:5"], 2, ";;1000:5000"),      # below 1 s
                (["-w", "0:5", "-c", "@0:0.1"], 0, ";5000;@0:100"),
            ]
            for args, want, perf in cases:
                status, out, err = nagios(args + [target])
                self.assertEqual(status, want, (args, out + err))
                self.assertIn("'total_time'=", out)
                total = out.split("'total_time'=", 1)[1].split()[0]
                self.assertTrue(total.endswith(perf), (args, total))

    def test_bad_range_is_unknown(self):
        for bad in ("10:5", "x", "~", "@"):
            status, out, err = nagios(["-w", bad, "127.0.0.1"])
            self.assertEqual(status, 3, (bad, out, err))
            self.assertEqual(len(err.strip().splitlines()), 1, err)

    def test_certificate_days(self):
        d = certs()  # the server certificate has 29-30 days left
        with FakeServer({}, certdir=d) as srv:
            base = ["--security", "starttls", "--ca-file", os.path.join(d, "ca.pem"),
                    "localhost:%d" % srv.port]
            status, out, err = nagios(["--cert-warn", "14", "--cert-crit", "7"] + base)
            self.assertEqual(status, 0, out + err)
            self.assertRegex(out, r"'tls_cert_days_left'=(29|30)")
            status, out, err = nagios(["--cert-warn", "40", "--cert-crit", "7"] + base)
            self.assertEqual(status, 1, out + err)
            status, out, err = nagios(["--cert-warn", "60", "--cert-crit", "40"] + base)
            self.assertEqual(status, 2, out + err)

    def test_failed_check_is_critical(self):
        status, out, err = nagios(["127.0.0.1:%d" % free_port()])
        self.assertEqual(status, 2, out + err)
        self.assert_one_line(out)
        self.assertIn("connectionRefused at connect (response code -1)", out)

    def test_usage_error_is_unknown(self):
        status, out, err = nagios(["--cert-warn", "soon", "127.0.0.1"])
        self.assertEqual(status, 3)
        self.assertEqual(len(err.strip().splitlines()), 1, err)


if __name__ == "__main__":
    unittest.main()
