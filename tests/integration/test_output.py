"""The CLI's output formats against their documentation: --json is always
one array, and its keys and value types are exactly those of the table in
docs/cli.md (which the result-field table feeds)."""
import json
import subprocess
import unittest

from helpers import (FakeServer, describe, documented_json_keys, free_port, require_cli, run_check,
                     smtpcheck_bin)


TYPES = {
    "boolean": (bool,),
    "integer": (int,),
    "string": (str,),
    "number (ms)": (int, float),
    "array": (list,),
    "array of strings": (list,),
    '"c.s.d"': (str,),
}


def documented_keys():
    """{key: (allowed python types, nullable)} from the JSON keys table."""
    keys = {}
    for key, kind in documented_json_keys().items():
        nullable = kind.endswith(" or null")
        base = kind[: -len(" or null")] if nullable else kind
        keys[key] = (TYPES[base], nullable)
    return keys


class JsonOutput(unittest.TestCase):
    def setUp(self):
        require_cli(self)

    def results(self, args):
        status, _, err, _ = run_check(args)
        raw = json.loads(run_check.last_stdout)
        self.assertIsInstance(raw, list, describe(status, raw, err))
        return raw

    def assert_documented(self, obj):
        keys = documented_keys()
        self.assertEqual(sorted(obj), sorted(keys), "docs/cli.md and --json disagree")
        for k, v in obj.items():
            types, nullable = keys[k]
            if v is None:
                self.assertTrue(nullable, "%s is null but documented as never null" % k)
            else:
                self.assertIsInstance(v, types, "%s=%r" % (k, v))

    def test_one_check_is_an_array_of_one(self):
        port = free_port()
        raw = self.results(["-p", str(port), "127.0.0.1"])
        self.assertEqual(len(raw), 1)
        self.assertEqual(raw[0]["error_name"], "connectionRefused")
        self.assert_documented(raw[0])

    def test_a_good_check_fills_the_documented_keys(self):
        with FakeServer({}) as srv:
            raw = self.results(["-p", str(srv.port), "--probe", "NOOP", "127.0.0.1",
                                "127.0.0.1:%d" % free_port()])
        self.assertEqual(len(raw), 2)
        self.assertTrue(raw[0]["ok"], raw[0])
        self.assertFalse(raw[1]["ok"], raw[1])
        for obj in raw:
            self.assert_documented(obj)
        self.assertEqual(raw[0]["probes"], [{"command": "NOOP", "code": 250}])


def raw_run(args):
    """(exit status, stdout bytes, stderr bytes) of the CLI."""
    p = subprocess.run([smtpcheck_bin()] + args, stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


class HostileText(unittest.TestCase):
    """What a server says must not break the formats that carry it."""

    def setUp(self):
        require_cli(self)

    def test_latin1_greeting_gives_valid_utf8_json(self):
        # "\udce9" is sent as the single byte 0xE9 (Latin-1 e-acute).
        with FakeServer({"greeting": "220 caf\udce9 ESMTP \udcff\udcfe"}) as srv:
            status, out, err = raw_run(["--json", "-p", str(srv.port), "127.0.0.1"])
        doc = json.loads(out.decode("utf-8"))  # strict: raises on invalid UTF-8
        self.assertEqual(doc[0]["greeting"], "caf? ESMTP ??", err)

    def test_invalid_utf8_host_gives_valid_json(self):
        status, out, err = raw_run(["--json", "-p", str(free_port()), "caf\xe9".encode("latin-1")
                                    .decode("utf-8", "surrogateescape")])
        doc = json.loads(out.decode("utf-8"))
        self.assertEqual(doc[0]["host"], "caf\ufffd")

    def test_pipe_in_a_reply_cannot_inject_perfdata(self):
        with FakeServer({"greeting": "554 5.3.2 no | 'total_time'=1ms;2;3\r\n"
                                     "554 still no"}) as srv:
            status, out, err = raw_run(["--nagios", "-p", str(srv.port), "127.0.0.1"])
        line = out.decode("utf-8")
        self.assertEqual(status, 2, line + err.decode())
        self.assertEqual(line.count("|"), 1, line)
        self.assertEqual(line.count("\n"), 1, line)
        status_text, perfdata = line.split("|")
        self.assertIn("no / 'total_time'=1ms", status_text)  # shown, defused
        self.assertNotIn("=1ms", perfdata)


class NagiosVerdict(unittest.TestCase):
    def setUp(self):
        require_cli(self)

    def test_status_line_names_the_threshold_crossed(self):
        with FakeServer({}) as srv:
            # Any real check takes more than 1 us: the warning range fires.
            status, out, err = raw_run(["--nagios", "-w", "0.000001", "-c", "60",
                                        "-p", str(srv.port), "127.0.0.1"])
            line = out.decode("utf-8")
            self.assertEqual(status, 1, line + err.decode())
            self.assertRegex(line, r"^SMTP WARNING - 127\.0\.0\.1: total time [0-9.]+ s, "
                                   r"warning range 0\.000001; ")
            status, out, err = raw_run(["--nagios", "-c", "@0:60", "-p", str(srv.port),
                                        "127.0.0.1"])
            line = out.decode("utf-8")
            self.assertEqual(status, 2, line)
            self.assertIn("critical range @0:60", line)
            status, out, err = raw_run(["--nagios", "-w", "60", "-p", str(srv.port), "127.0.0.1"])
            self.assertEqual(status, 0, out)
            self.assertNotIn("range", out.decode("utf-8").split("|")[0])


if __name__ == "__main__":
    unittest.main()
