"""The CLI's output formats against their documentation: --json is always
one array, and its keys and value types are exactly those of the table in
docs/cli.md (which the result-field table feeds)."""
import json
import os
import re
import unittest

from helpers import FakeServer, describe, free_port, require_cli, run_check

DOCS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs", "cli.md")

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
    text = open(DOCS, encoding="utf-8").read()
    section = text.split("### JSON keys", 1)[1]
    keys = {}
    for m in re.finditer(r"^\| `(\w+)` \| ([^|]+) \|", section, re.M):
        kind = m.group(2).strip()
        nullable = kind.endswith(" or null")
        base = kind[: -len(" or null")] if nullable else kind
        keys[m.group(1)] = (TYPES[base], nullable)
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


if __name__ == "__main__":
    unittest.main()
