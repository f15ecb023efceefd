"""smtpcheck --config FILE, --check-config, several hosts at once, and the
check schema: the command line and the check file give every value the
same verdict, and nothing in a check file blocks, hangs or stops the CLI."""
import os
import subprocess
import tempfile
import time
import unittest

from helpers import (FakeServer, free_port, require_cli, run_check, smtpcheck_bin, test_tmp,
                     text_file, describe)


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
                status, data, err, wall = run_check(["--config", path])
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
                status, data, err, _ = run_check(["--config", path, "c", "a"])
                self.assertEqual(status, 0, describe(status, data, err))
                self.assertEqual(sorted(d["name"] for d in data), ["a", "c"])
                status, data, err, _ = run_check(["--config", path, "nope"])
                self.assertEqual(status, 3)
                self.assertIn('no check named "nope"', err)

    def test_nagios_reports_the_worst(self):
        closed = free_port()
        with FakeServer({}) as good:
            conf = check_file([(1, "good", good.port), (2, "closed", closed)])
            with text_file(conf, ".conf") as path:
                status, _, err, _ = run_check(["--config", path, "--nagios"], json_flag=False)
                out = run_check.last_stdout
        self.assertEqual(status, 2, out + err)
        self.assertTrue(out.startswith("SMTP CRITICAL - closed: connectionRefused"), out)
        self.assertIn("'good_total_time'=", out)

    def test_check_config_reports_every_problem(self):
        bad = ('checks = ( { index = 1; name = "x"; hots = "a"; port = 70000; },\n'
               '           { index = 1; name = "x"; host = "b"; } );\n')
        with text_file(bad, ".conf") as path:
            status, _, err, _ = run_check(["--config", path, "--check-config"], json_flag=False)
        self.assertEqual(status, 2, err)
        self.assertIn(':1: error: unknown key "hots" (did you mean "host"?)', err)
        self.assertIn(':1: error: "port" must be between 1 and 65535', err)
        self.assertIn(":2: error: duplicate index 1", err)

    def test_check_config_accepts_a_good_file(self):
        with text_file(check_file([(1, "a", 25)]), ".conf") as path:
            status, _, err, _ = run_check(["--config", path, "--check-config"], json_flag=False)
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


def list_fields():
    """The schema as smtpcheck --list-fields prints it: field dicts and rules."""
    out = subprocess.run([smtpcheck_bin(), "--list-fields"], check=True, capture_output=True,
                         text=True, timeout=30).stdout.splitlines()
    header = out[0].lstrip("#").split("\t")
    fields = [dict(zip(header, l.split("\t"))) for l in out[1:] if l.startswith("field\t")]
    rules = [l.split("\t")[1:4] for l in out[1:] if l.startswith("rule\t")]
    return fields, rules


def conf_string(value):
    """A libconfig string literal for VALUE (str or bytes)."""
    data = value.encode() if isinstance(value, str) else value
    out = []
    for b in data:
        c = chr(b)
        out.append("\\" + c if c in '"\\' else c if 32 <= b < 127 else "\\x%02x" % b)
    return '"%s"' % "".join(out)


class Value:
    """One value as the command line (argv items) and the file (a literal) write it."""

    def __init__(self, cli, conf):
        self.cli, self.conf = cli, conf

    def __repr__(self):
        return "%r / %s" % (self.cli, self.conf[:60])


def text(v):
    return Value([v], conf_string(v))


def number(v):
    return Value([str(v)], str(v))


class Samples:
    """Sample values per type and syntax, good and bad. Nothing here names a
    field: which fields exist and what they take comes from the schema."""

    STRINGS = {
        "any": ["monitor", "", "a b", "x" * 300],
        "host": ["mx.example.net", "::1", "", "a b", "a\tb", "x" * 300],
        "hostname": ["probe.example.net", "", "two words", "x\r\ny", "a\x01b"],
        "address": ["a@example.net", "", "<a@example.net>", "a b@example.net",
                    "a@example.net\r\nDATA", "a\tb@example.net", "x" * 300],
        "header": ["SMTP probe", "caf\u00e9", "", "a\r\nBcc: x@example.net", b"caf\xe9"],
        "text": ["<p>x</p>", b"\xff"],
        "name": ["mx1", "", "x" * 65, "a\x01"],
        "probe": ["NOOP", "RSET", "HELP", "VRFY postmaster", "VRFY a b", "VRFY  x", "VRFY",
                  "noop", "EXPN root", "QUIT", "VRFY a\r\nDATA"],
        "mechanism": ["PLAIN", "PLAIN,LOGIN", "cram-md5", "PLAIN LOGIN", "XOAUTH2",
                      "PLAIN,NTLM", ""],
        "dns-servers": ["127.0.0.1", "127.0.0.1:5353,[::1]:53", "::1", "[::1]", "",
                        "dns.example.net", "127.0.0.1:0", "127.0.0.1:99999", "[::1", "1.2.3.4,"],
    }

    def __init__(self, directory):
        self.dir = directory
        self.files = {}
        for name, data, mode in (("pw", b"s3cret\n", 0o600), ("empty", b"", 0o600),
                                 ("nul.pw", b"a\0b\n", 0o600), ("long.pw", b"x" * 2000, 0o600),
                                 ("open.pw", b"s3cret\n", 0o644), ("body.html", b"<p>b</p>", 0o644),
                                 ("latin1.html", b"caf\xe9", 0o644),
                                 ("huge.html", b"x" * (2 << 20), 0o644)):
            path = os.path.join(directory, name)
            with open(path, "wb") as f:
                f.write(data)
            os.chmod(path, mode)
            self.files[name] = path
        self.files["fifo"] = os.path.join(directory, "fifo")
        os.mkfifo(self.files["fifo"])
        self.files["dir"] = os.path.join(directory, "sub")
        os.mkdir(self.files["dir"])
        self.files["missing"] = os.path.join(directory, "missing")
        self.files["zero"] = "/dev/zero"

    def paths(self, syntax):
        f = self.files
        common = [f["missing"], f["dir"], f["fifo"], f["zero"], ""]
        return {"secret-file": [f["pw"], f["open.pw"], f["empty"], f["nul.pw"], f["long.pw"]],
                "body-file": [f["body.html"], f["empty"], f["latin1.html"], f["huge.html"]],
                "ca-file": [f["body.html"]],
                "ca-dir": [f["dir"], f["body.html"]]}[syntax] + \
            ([] if syntax == "ca-dir" else common[:2] + common[2:])

    def good(self, field):
        """A valid value of FIELD, for the fields a sample needs beside it."""
        if field["type"] == "path":
            return self.paths(field["syntax"])[0]
        return field["example"]

    def of(self, field):
        t, syntax = field["type"], field["syntax"]
        lo, hi = float(field["lo"]), float(field["hi"])
        if t == "integer":
            return [number(int(v)) for v in (lo, hi, lo - 1, hi + 1, (lo + hi) // 2)] + \
                [text("x"), number(2.5)]
        if t == "seconds":
            return [number(v) for v in (lo, hi, lo / 2 if lo else -1, hi + 1, 2.5)] + [text("x")]
        if t == "bool":  # a flag: the value it sets
            return [Value([], "false" if field["default"] == "true" else "true")]
        if field["values"] and t != "list of strings":
            names = field["values"].split(",")
            return [text(v) for v in names + [names[0].upper(), "bogus", ""]]
        if t == "path":
            return [text(p) for p in self.paths(syntax)]
        if t == "list of strings":
            return self.lists(field)
        return [text(v) for v in self.STRINGS[syntax]]

    def lists(self, field):
        if "split" in field["flags"]:
            return [Value([v], "[%s]" % ", ".join(conf_string(i) for i in
                                                  v.replace(",", " ").split()))
                    for v in self.STRINGS[field["syntax"]]]
        one = [Value([v], "[%s]" % conf_string(v)) for v in self.STRINGS[field["syntax"]]]
        many = int(float(field["hi"])) + 1
        return one + [Value([field["example"]] * many,
                            "[%s]" % ", ".join([conf_string(field["example"])] * many))]


def nest(pairs):
    """{"auth.user": lit} -> the libconfig text of nested groups."""
    groups = {}
    for key, lit in pairs.items():
        node = groups
        *path, leaf = key.split(".")
        for p in path:
            node = node.setdefault(p, {})
        node[leaf] = lit
    def render(node):
        return " ".join("%s = %s;" % (k, "{ %s }" % render(v) if isinstance(v, dict) else v)
                        for k, v in node.items())
    return render(groups)


class SchemaVerdictTests(unittest.TestCase):
    """Every value of every field with an option gets the same verdict
    (accepted or refused) from the command line and from the check file."""

    @classmethod
    def setUpClass(cls):
        require_cli(cls)
        cls.fields, cls.rules = list_fields()
        cls.dir = tempfile.mkdtemp(prefix="schema-", dir=test_tmp())
        cls.samples = Samples(cls.dir)
        cls.conf = os.path.join(cls.dir, "check.conf")

    def direct_partners(self, key):
        need = [r[2] for r in self.rules if r[0] == "requires" and r[1] == key]
        group = key.rsplit(".", 1)[0] if "." in key else None
        need += [f["key"] for f in self.fields if group and f["key"].startswith(group + ".")
                 and "group-required" in f["flags"]]
        return need

    def partners(self, field):
        """Fields FIELD cannot go without: its group's required fields and
        what the rules say it requires, and theirs in turn (a round trip
        needs a recipient, which needs a sender)."""
        need, todo = set(), [field["key"]]
        while todo:
            for k in self.direct_partners(todo.pop()):
                if k not in need:
                    need.add(k)
                    todo.append(k)
        return [f for f in self.fields if f["key"] in need and f["key"] != field["key"]]

    def protocol_partners(self, field):
        """A setting of IMAP or POP3 only goes with that protocol and the
        login a mailbox check needs: (field, value) pairs."""
        protocols = field.get("protocols", "all").split(",")
        if protocols == ["all"] or "smtp" in protocols:
            return []
        by_key = {f["key"]: f for f in self.fields}
        return [(by_key["protocol"], protocols[0])] + [
            (by_key[k], self.samples.good(by_key[k])) for k in ("auth.user", "auth.password_file")]

    def replaces_host(self, field):
        """A field that excludes host names the check's target itself (mx)."""
        return any(r[0] == "exclusive" and set(r[1:3]) == {field["key"], "host"}
                   for r in self.rules)

    def cli_args(self, field, value):
        args = []
        for p in self.partners(field):
            args += ["--" + p["option"], self.samples.good(p)]
        for p, v in self.protocol_partners(field):
            args += ["--" + p["option"], v]
        for v in value.cli or [None]:
            args += ["--" + field["option"]] + ([v] if v is not None else [])
        return args

    def conf_text(self, field, value):
        check = {"index": "1", "name": '"t"', "host": '"127.0.0.1"'}
        if self.replaces_host(field):
            del check["host"]
        defaults = {}
        for p in self.partners(field):
            check[p["key"]] = conf_string(self.samples.good(p))
        for p, v in self.protocol_partners(field):
            check[p["key"]] = conf_string(v)
        (check if "check" in field["scope"] else defaults)[field["key"]] = value.conf
        return "defaults = { %s };\nchecks = ( { %s } );\n" % (nest(defaults), nest(check))

    def verdicts(self, field, value):
        args = [a.encode() if isinstance(a, str) else a for a in self.cli_args(field, value)]
        host = [] if self.replaces_host(field) else [b"127.0.0.1"]
        cli = subprocess.run([smtpcheck_bin().encode(), b"--check-config"] + args + host,
                             capture_output=True, timeout=30)
        with open(self.conf, "w") as f:
            f.write(self.conf_text(field, value))
        conf = subprocess.run([smtpcheck_bin(), "--config", self.conf, "--check-config"],
                              capture_output=True, timeout=30)
        self.assertIn(cli.returncode, (0, 3), cli.stderr)
        self.assertIn(conf.returncode, (0, 2), conf.stderr)
        return cli.returncode == 0, conf.returncode == 0, cli.stderr, conf.stderr

    def test_command_line_and_file_agree(self):
        differ, tried = [], 0
        for field in self.fields:
            if not field["option"]:
                continue
            verdicts = set()
            for value in self.samples.of(field):
                by_cli, by_file, err_cli, err_file = self.verdicts(field, value)
                tried += 1
                verdicts.add(by_cli)
                if by_cli != by_file:
                    differ.append("%s %r: command line %s, file %s\n  %s\n  %s" % (
                        field["key"], value, by_cli, by_file, err_cli.decode(errors="replace"),
                        err_file.decode(errors="replace")))
            if field["type"] != "bool":  # the samples can tell good from bad
                self.assertEqual(verdicts, {True, False}, field["key"])
        self.assertGreater(tried, 100)
        self.assertEqual(differ, [], "\n".join(differ))


class CheckFileHazardTests(unittest.TestCase):
    """Nothing in a check file makes the CLI block, hang or exit early:
    each bad file gives a file:line error within a second."""

    @classmethod
    def setUpClass(cls):
        require_cli(cls)
        cls.dir = tempfile.mkdtemp(prefix="hazards-", dir=test_tmp())

    def path(self, name):
        return os.path.join(self.dir, name)

    def write(self, name, data):
        with open(self.path(name), "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
        return self.path(name)

    def fifo(self, name):
        if not os.path.exists(self.path(name)):
            os.mkfifo(self.path(name))
        return self.path(name)

    def assertRefused(self, conf, message):
        for extra in (["--check-config"], []):
            start = time.monotonic()
            p = subprocess.run([smtpcheck_bin(), "--config", conf] + extra,
                               stdin=subprocess.DEVNULL, capture_output=True, text=True,
                               timeout=20)
            self.assertLess(time.monotonic() - start, 1.0, (conf, extra))
            self.assertEqual(p.returncode, 2 if extra else 3, p.stderr)
            self.assertIn(message, p.stderr)
            self.assertEqual(p.stdout, "")

    def check(self, extra):
        return 'checks = ( { index = 1; name = "a"; host = "127.0.0.1";\n%s } );\n' % extra

    def test_check_file_that_is_not_a_file(self):
        os.makedirs(self.path("sub"), exist_ok=True)
        self.assertRefused(self.fifo("fifo.conf"), ": error: not a regular file (a FIFO)")
        self.assertRefused(self.path("sub"), ": error: not a regular file (a directory)")
        self.assertRefused("/dev/zero", "/dev/zero: error: not a regular file (a device)")

    def test_include_of_a_directory(self):
        os.makedirs(self.path("sub"), exist_ok=True)
        conf = self.write("inc.conf", self.check("") + '@include "sub"\n')
        self.assertRefused(conf, "inc.conf:3: error: @include is not supported")

    def test_huge_token_and_oversize_file(self):
        conf = self.write("token.conf", 'a = "' + "x" * 10000000 + '";\n')
        self.assertRefused(conf, "token.conf:1: error: the file is larger than 4 MiB")
        conf = self.write("line.conf", "checks = ();\n" + 'b = "' + "x" * 3000000 + '";\n')
        self.assertRefused(conf, "line.conf:2: error: the line is longer than 1 MiB")
        conf = self.write("big.conf", "# a comment\n" * 500000)
        self.assertRefused(conf, "error: the file is larger than 4 MiB (6000000 bytes)")

    def test_fifo_as_password_or_body_file(self):
        fifo = self.fifo("named.fifo")
        conf = self.write("pw.conf", self.check(
            'auth = { user = "u"; password_file = "%s"; };' % fifo))
        self.assertRefused(conf, 'pw.conf:2: error: password file "%s" is not a regular file'
                           % fifo)
        conf = self.write("body.conf", self.check('mail = { body_html_file = "%s"; };' % fifo))
        self.assertRefused(conf, 'body.conf:2: error: body file "%s" is not a regular file'
                           % fifo)
        conf = self.write("zero.conf", self.check(
            'auth = { user = "u"; password_file = "/dev/zero"; };'))
        self.assertRefused(conf, 'zero.conf:2: error: password file "/dev/zero" is not a regular')

    def test_command_line_files(self):
        fifo = self.fifo("cli.fifo")
        for opt in ("--password-file", "--body-file", "--text-file", "--ca-file"):
            start = time.monotonic()
            status, _, err, _ = run_check(["--user", "u", opt, fifo, "127.0.0.1"],
                                          json_flag=False, timeout=20)
            self.assertLess(time.monotonic() - start, 1.0, opt)
            self.assertEqual(status, 3, err)
            self.assertIn('"%s" is not a regular file' % fifo, err)


class ManyChecksTests(unittest.TestCase):
    def setUp(self):
        require_cli(self)

    def test_every_check_of_a_big_file_runs(self):
        """1500 checks (more than the old limit of 1024) all run: a closed
        local port refuses each at once."""
        closed = free_port()
        conf = check_file([(i, "c%d" % i, closed) for i in range(1, 1501)])
        with text_file(conf, ".conf") as path:
            status, _, err, _ = run_check(["--config", path, "--check-config"], json_flag=False)
            self.assertEqual(status, 0, err)
            self.assertIn("1500 checks, no errors", run_check.last_stdout)
            status, data, err, wall = run_check(["--config", path], timeout=120)
        self.assertEqual(status, 2, err[-2000:])
        self.assertEqual(len(data), 1500)
        self.assertEqual({d["error_name"] for d in data}, {"connectionRefused"})
        self.assertEqual(sorted(d["name"] for d in data),
                         sorted("c%d" % i for i in range(1, 1501)))

    def test_c_is_the_critical_threshold_only(self):
        with text_file(check_file([(1, "a", 25)]), ".conf") as path:
            status, _, err, _ = run_check(["-c", path, "--check-config"], json_flag=False)
        self.assertEqual(status, 3)
        self.assertIn("bad --critical", err)


if __name__ == "__main__":
    unittest.main()
