"""Whole-domain MX checks (--mx) against tests/fake/fakedns.py.

Every run names the fake DNS server with --dns-server: no test ever asks
a real resolver. The good exchanger is fakesmtp.py on 127.0.0.1 and ::1
(one port); the refusing one is 127.0.0.2, where nothing listens on that
port (all of 127.0.0.0/8 is loopback on Linux).
"""

import os
import subprocess
import tempfile
import unittest

from helpers import FakeDns, FakeServer, require_cli, run_check, smtpcheck_bin, test_tmp

GOOD = {"A": ["127.0.0.1"], "AAAA": ["::1"]}
BAD = {"A": ["127.0.0.2"]}


def zone(**domains):
    """The shared exchangers plus the test's domains."""
    z = {"good.mx.test": GOOD, "bad.mx.test": BAD, "v4.mx.test": {"A": ["127.0.0.1"]}}
    z.update({k.replace("_", "-") + ".test": v for k, v in domains.items()})
    return z


class MxCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.smtp4 = FakeServer({}, host="127.0.0.1").__enter__()
        try:
            cls.smtp6 = FakeServer({}, host="::1", port=cls.smtp4.port).__enter__()
            cls.dns = FakeDns(zone()).__enter__()
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        for name in ("dns", "smtp6", "smtp4"):
            srv = getattr(cls, name, None)
            if srv is not None:
                srv.__exit__(None, None, None)

    def setUp(self):
        require_cli(self)

    def check(self, domain, *extra, records=None, json_flag=True):
        if records is not None:
            self.dns.set_zone(zone(**{domain.replace(".test", "").replace("-", "_"): records}))
        args = ["--mx", domain, "--dns-server", self.dns.server, "-p", str(self.smtp4.port),
                "--timeout", "5", "--step-timeout", "2"] + list(extra)
        status, data, err, _ = run_check(args, json_flag=json_flag)
        if json_flag:
            self.assertIsNotNone(data, "no JSON: %s %s" % (run_check.last_stdout, err))
        return status, data, err

    def addresses(self, data):
        return [(t["exchanger"], t["preference"], t["address"], t["error_name"])
                for t in data["targets"]]


class Expansion(MxCase):
    TWO = {"MX": [[20, "bad.mx.test"], [10, "good.mx.test"]]}

    def test_every_address_of_every_mx_in_preference_order(self):
        status, data, _ = self.check("two.test", records=self.TWO)
        got = self.addresses(data)
        self.assertEqual(len(got), 3, got)
        self.assertEqual(sorted(got[:2]), [("good.mx.test", 10, "127.0.0.1", "ok"),
                                           ("good.mx.test", 10, "::1", "ok")])
        self.assertEqual(got[2], ("bad.mx.test", 20, "127.0.0.2", "connectionRefused"))
        self.assertEqual({t["family"] for t in data["targets"][:2]}, {"ipv4", "ipv6"})
        self.assertEqual(data["host"], "two.test")
        self.assertEqual(data["mx"], "two.test")
        # The DNS phase of each target is timed, and the check's covers them all.
        for t in data["targets"]:
            self.assertGreater(t["dns_time_ms"], 0)
        self.assertGreaterEqual(data["dns_time_ms"], data["targets"][0]["dns_time_ms"])
        queries = self.dns.queries()
        self.assertIn("MX two.test 0", " ".join(queries))

    def test_policy_all(self):
        status, data, _ = self.check("two.test", "--mx-policy", "all", records=self.TWO)
        self.assertEqual(status, 2)
        self.assertEqual(data["mx_policy"], "all")
        self.assertEqual(data["error_name"], "connectionRefused")
        self.assertIn("bad.mx.test [127.0.0.2]", data["error_detail"])
        self.assertIn("2 of 3 targets OK", data["error_detail"])

    def test_policy_any(self):
        status, data, _ = self.check("two.test", "--mx-policy", "any", records=self.TWO)
        self.assertEqual(status, 0, data)
        self.assertEqual(data["error_name"], "ok")
        self.assertEqual(data["targets"][2]["state"], "CRITICAL")

    def test_policy_primary(self):
        status, data, _ = self.check("two.test", "--mx-policy", "primary", records=self.TWO)
        self.assertEqual(status, 0, data)
        # The primary refusing fails the check even though a backup works.
        backup_first = {"MX": [[5, "bad.mx.test"], [10, "good.mx.test"]]}
        status, data, _ = self.check("backup.test", "--mx-policy", "primary",
                                     records=backup_first)
        self.assertEqual(status, 2)
        self.assertIn("bad.mx.test [127.0.0.2]", data["error_detail"])
        self.assertIn("(0 of 1 targets OK)", data["error_detail"])
        status, data, _ = self.check("backup.test", "--mx-policy", "any", records=backup_first)
        self.assertEqual(status, 0)

    def test_no_mx_falls_back_to_the_domain(self):
        status, data, _ = self.check("plain.test", records={"A": ["127.0.0.1"]})
        self.assertEqual(status, 0, data)
        self.assertEqual(self.addresses(data), [("plain.test", -1, "127.0.0.1", "ok")])

    def test_null_mx(self):
        status, data, _ = self.check("null.test", records={"MX": [[0, "."]]})
        self.assertEqual(status, 2)
        self.assertEqual(data["error_name"], "nullMx")
        self.assertEqual(data["error_code"], 28)
        self.assertEqual(data["failed_step"], "dns")
        self.assertEqual(data["targets"], [])

    def test_mx_pointing_at_a_cname(self):
        self.dns.set_zone(dict(zone(), **{"alias.test": {"MX": [[10, "cname.alias.test"]]},
                                          "cname.alias.test": {"CNAME": "v4.mx.test"}}))
        status, data, _ = self.check("alias.test")
        self.assertEqual(status, 0, data)
        t = data["targets"]
        self.assertEqual(len(t), 1)
        self.assertEqual((t[0]["exchanger"], t[0]["address"]), ("cname.alias.test", "127.0.0.1"))
        self.assertTrue(t[0]["via_cname"])

    def test_unknown_domain_is_a_dns_failure(self):
        status, data, _ = self.check("nx.test", records=None)
        self.assertEqual(status, 2)
        self.assertEqual(data["error_name"], "dnsFailure")
        self.assertEqual(data["targets"], [])

    def test_exchanger_without_address_is_a_failed_target(self):
        status, data, _ = self.check("lame.test", "--mx-policy", "any",
                                     records={"MX": [[10, "gone.mx.test"], [20, "v4.mx.test"]]})
        self.assertEqual(status, 0, data)
        t = data["targets"]
        self.assertEqual((t[0]["exchanger"], t[0]["error_name"], t[0]["family"], t[0]["address"]),
                         ("gone.mx.test", "dnsFailure", None, None))
        self.assertEqual(t[1]["address"], "127.0.0.1")

    def test_deadline_in_the_dns_phase_fails_every_target(self):
        """The deadline ends the DNS phase after one exchanger resolved and
        while the next one's lookup hangs: no target ran, so the check and
        every target fail with the DNS phase's deadline, even under "any" (a target that
        never ran is no success)."""
        self.dns.set_zone(dict(zone(), **{
            "hang.test": {"MX": [[10, "v4.mx.test"], [20, "silent.mx.test"]]},
            "silent.mx.test": {"SILENT": True}}))
        args = ["--mx", "hang.test", "--dns-server", self.dns.server, "-p",
                str(self.smtp4.port), "--timeout", "1.5", "--mx-policy", "any"]
        status, data, err, _ = run_check(args, json_flag=True)
        self.assertIsNotNone(data, err)
        self.assertEqual(status, 2, data)
        # As for one host: a deadline during DNS is a dnsFailure at dns.
        self.assertEqual((data["error_name"], data["failed_step"]), ("dnsFailure", "dns"), data)
        self.assertIn("deadline", data["error_detail"])
        self.assertTrue(data["targets"], data)
        for t in data["targets"]:
            self.assertEqual((t["error_name"], t["failed_step"]), ("dnsFailure", "dns"), t)
            self.assertTrue(t["error_detail"].startswith("not checked: "), t)

    def test_rows_follow_dns_between_runs(self):
        _, first, _ = self.check("moving.test", records={"MX": [[10, "v4.mx.test"]]})
        _, second, _ = self.check("moving.test", records=self.TWO)
        self.assertEqual(len(first["targets"]), 1)
        self.assertEqual(len(second["targets"]), 3)


class Mail(MxCase):
    def test_one_test_mail_through_the_first_target_that_takes_it(self):
        records = {"MX": [[5, "bad.mx.test"], [10, "good.mx.test"]]}
        before = self.smtp4.log().count(" C: DATA") + self.smtp6.log().count(" C: DATA")
        status, data, _ = self.check("mail.test", "--mx-policy", "any", "--from",
                                     "probe@example.net", "--to", "ops@example.net",
                                     records=records)
        self.assertEqual(status, 0, data)
        after = self.smtp4.log().count(" C: DATA") + self.smtp6.log().count(" C: DATA")
        self.assertEqual(after - before, 1)
        sent = [t for t in data["targets"] if t["queue_reply"]]
        self.assertEqual(len(sent), 1)
        self.assertEqual(sent[0]["preference"], 10)
        self.assertEqual(data["targets"][0]["error_name"], "connectionRefused")


class Options(MxCase):
    def test_mx_and_host_exclude_each_other(self):
        status, _, err, _ = run_check(["--mx", "d.test", "--dns-server", self.dns.server,
                                       "127.0.0.1"])
        self.assertEqual(status, 3)
        self.assertIn("mx", err)

    def test_bad_dns_server(self):
        status, _, err, _ = run_check(["--mx", "d.test", "--dns-server", "not-an-ip"])
        self.assertEqual(status, 3)
        self.assertIn("dns-server", err)

    def test_check_file_with_mx(self):
        d = tempfile.mkdtemp(dir=test_tmp())
        path = os.path.join(d, "mx.conf")
        self.dns.set_zone(zone(**{"file": {"MX": [[10, "v4.mx.test"]]}}))
        with open(path, "w") as f:
            f.write('defaults = { dns_servers = "%s"; };\n'
                    'checks = ( { index = 1; name = "dom"; mx = "file.test"; port = %d;'
                    ' mx_policy = "any"; },\n'
                    '  { index = 2; name = "both"; mx = "file.test"; host = "x"; } );\n'
                    % (self.dns.server, self.smtp4.port))
        p = subprocess.run([smtpcheck_bin(), "--check-config", "--config", path],
                           capture_output=True, text=True)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn('"host" and "mx" are mutually exclusive', p.stderr + p.stdout)
        with open(path, "w") as f:
            f.write('defaults = { dns_servers = "%s"; };\n'
                    'checks = ( { index = 1; name = "dom"; mx = "file.test"; port = %d; } );\n'
                    % (self.dns.server, self.smtp4.port))
        status, data, err, _ = run_check(["--config", path])
        self.assertEqual(status, 0, err)
        self.assertEqual(data["targets"][0]["address"], "127.0.0.1")


class Outputs(MxCase):
    def test_human_prints_each_target(self):
        status, _, _ = self.check("two.test", records=Expansion.TWO, json_flag=False)
        out = run_check.last_stdout
        self.assertEqual(status, 2)
        self.assertIn("MX of two.test (policy all), 3 targets", out)
        self.assertIn("target 3: bad.mx.test (MX 20) 127.0.0.2: CRITICAL, connectionRefused", out)

    def test_nagios_aggregate_and_perfdata_per_target(self):
        status, _, _ = self.check("two.test", "--nagios", "--mx-policy", "any",
                                  records=Expansion.TWO, json_flag=False)
        out = run_check.last_stdout
        self.assertEqual(status, 0, out)
        self.assertTrue(out.startswith("SMTP OK - two.test"), out)
        perf = out.split("|", 1)[1]
        self.assertIn("'target3_127.0.0.2_total_time'=U", perf)
        self.assertEqual(perf.count("_total_time'="), 3)


if __name__ == "__main__":
    unittest.main()
