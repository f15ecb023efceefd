"""smtpcheck -c FILE, --check-config, and several hosts at once."""
import unittest

from helpers import FakeServer, free_port, require_cli, run_check, text_file, describe


def check_file(checks):
    body = ",\n".join(
        '{ index = %d; name = "%s"; host = "127.0.0.1"; port = %d; }' % c for c in checks)
    return ('defaults = { timeout = 5; step_timeout = 1; ehlo_name = "probe.test"; };\n'
            "checks = (\n%s\n);\n" % body)


class CheckFileTests(unittest.TestCase):
    def setUp(self):
        require_cli(self)

    def test_runs_every_check_in_the_file(self):
        closed = free_port()
        with FakeServer({}) as good, FakeServer({"stall": "GREETING"}) as stalled:
            conf = check_file([(1, "good", good.port), (2, "closed", closed),
                               (3, "stalled", stalled.port)])
            with text_file(conf, ".conf") as path:
                status, data, err, wall = run_check(["-c", path])
        self.assertEqual(status, 2, describe(status, data, err))
        self.assertIsInstance(data, list)
        by_name = {d["name"]: d for d in data}
        self.assertEqual(set(by_name), {"good", "closed", "stalled"})
        self.assertEqual(by_name["good"]["error_name"], "ok")
        self.assertEqual(by_name["closed"]["error_name"], "connectionRefused")
        self.assertEqual(by_name["stalled"]["error_name"], "stepTimeout")
        self.assertEqual(by_name["stalled"]["failed_step"], "greeting")
        # The stall ended by its 1 s step timeout, not the file's 5 s overall
        # deadline (4 s to spare for the rest, which takes milliseconds).
        self.assertLess(wall, 5.0)

    def test_names_select_checks(self):
        with FakeServer({}) as good:
            conf = check_file([(1, "a", good.port), (2, "b", good.port), (3, "c", good.port)])
            with text_file(conf, ".conf") as path:
                status, data, err, _ = run_check(["-c", path, "c", "a"])
                self.assertEqual(status, 0, describe(status, data, err))
                self.assertEqual(sorted(d["name"] for d in data), ["a", "c"])
                status, data, err, _ = run_check(["-c", path, "nope"])
                self.assertEqual(status, 3)
                self.assertIn('no check named "nope"', err)

    def test_nagios_reports_the_worst(self):
        closed = free_port()
        with FakeServer({}) as good:
            conf = check_file([(1, "good", good.port), (2, "closed", closed)])
            with text_file(conf, ".conf") as path:
                status, _, err, _ = run_check(["-c", path, "--nagios"], json_flag=False)
                out = run_check.last_stdout
        self.assertEqual(status, 2, out + err)
        self.assertTrue(out.startswith("SMTP CRITICAL - closed: connectionRefused"), out)
        self.assertIn("'good_total_time'=", out)

    def test_check_config_reports_every_problem(self):
        bad = ('checks = ( { index = 1; name = "x"; hots = "a"; port = 70000; },\n'
               '           { index = 1; name = "x"; host = "b"; } );\n')
        with text_file(bad, ".conf") as path:
            status, _, err, _ = run_check(["-c", path, "--check-config"], json_flag=False)
        self.assertEqual(status, 2, err)
        self.assertIn(':1: error: unknown key "hots" (did you mean "host"?)', err)
        self.assertIn(':1: error: "port" must be between 1 and 65535', err)
        self.assertIn(":2: error: duplicate index 1", err)

    def test_check_config_accepts_a_good_file(self):
        with text_file(check_file([(1, "a", 25)]), ".conf") as path:
            status, _, err, _ = run_check(["-c", path, "--check-config"], json_flag=False)
        self.assertEqual(status, 0, err)
        self.assertIn("1 checks, no errors", run_check.last_stdout)


class SeveralHostsTests(unittest.TestCase):
    def setUp(self):
        require_cli(self)

    def test_hosts_run_concurrently(self):
        delay = 2.0  # s; the greetings all wait this long
        with FakeServer({"greeting_delay_ms": int(delay * 1000)}) as slow:
            hosts = ["127.0.0.1:%d" % slow.port] * 5
            status, data, err, wall = run_check(hosts)
        self.assertEqual(status, 0, describe(status, data, err))
        self.assertEqual(len(data), 5)
        self.assertTrue(all(d["greeting_time_ms"] >= delay * 1000 for d in data))
        # Five waits at once: not even two of them one after the other
        # (the rest takes milliseconds; `delay` to spare for it).
        self.assertLess(wall, 2 * delay)

    def test_progress_on_a_terminal(self):
        import os
        import pty
        import subprocess
        from helpers import smtpcheck_bin
        with FakeServer({}) as srv:
            master, slave = pty.openpty()
            proc = subprocess.run([smtpcheck_bin(), "--progress", "--json"] +
                                  ["127.0.0.1:%d" % srv.port] * 3,
                                  stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=slave, timeout=60)
            os.close(slave)
            shown = os.read(master, 4096).decode()
            os.close(master)
        self.assertEqual(proc.returncode, 0)
        self.assertIn("3/3 checks done", shown)

    def test_bad_option_is_one_line_and_exit_3(self):
        status, _, err, _ = run_check(["--port", "99999", "127.0.0.1"], json_flag=False)
        self.assertEqual(status, 3)
        self.assertEqual(len(err.strip().splitlines()), 1, err)


if __name__ == "__main__":
    unittest.main()
