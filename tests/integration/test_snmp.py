"""smtpcheck.so loaded into a private snmpd with dlmod.

Run from this directory with Debian's interpreter:
    cd tests/integration && /usr/bin/python3 -m unittest -v test_snmp

Environment: SMTPCHECK_MODULE (default <repo>/build/module/smtpcheck.so),
SMTPCHECK_TEST_TMP (scratch directory). Everything listens on 127.0.0.1
on ports chosen at run time. Figures (latencies, memory) are printed to
stderr as "FIGURE: ..." lines.
"""

import calendar
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

from helpers import FakeDns, FakeServer, REPO, certs, read_env
from helpers import BAD_CONFIGS, bad_config_corpus, generated_bad_configs, has_error
from snmp_helpers import (
    ALARM_STATE, COL, COL_NAME_BY_NUMBER, ENTRY, ERROR, LOOPBACK, METRIC, MIB_FILE, REPO_MIBS,
    ROOT, SHARED_MIBS, STATUS, STEP, SYS_UPTIME, ScratchDirCase, Snmpd, Switchboard, TrapReceiver, alarm_oid, alarm_rows,
    check, column_oid, free_tcp_port, get_row, global_oid, mib_children, mib_oid, raw_get,
    require, smilint_available,
    snmpbulkget, snmpbulkwalk, snmpget, snmpget_one, snmpgetnext, snmpwalk, table_rows, tool_env, valgrind_reports,
    wait_until, which, write_checks, write_file)

MAILSTACK = os.path.join(REPO, "scripts", "mailstack")
# s: the deadline of every wait for something to happen (a run, a trap, a
# reload), many times what it takes, so that a busy machine cannot fail them.
WAIT = 60
CRASH_WORDS = re.compile(r"segfault|segmentation|double free|corrupted|abort|core dumped|"
                         r"malloc\(\)|free\(\)", re.I)


def figure(text):
    print("FIGURE: " + text, file=sys.stderr, flush=True)


class SnmpCase(ScratchDirCase):
    """A scratch directory per test and helpers that stop what they start."""

    def setUp(self):
        require(module=True, tools=("snmpd", "snmpget", "snmpwalk", "snmpbulkwalk",
                                    "snmptrapd"))
        self.make_dir()
        self.snmpd = None
        self.trapd = None

    def start_snmpd(self, checks_conf, traps=False, **kw):
        if traps and self.trapd is None:
            self.trapd = TrapReceiver(os.path.join(self.dir, "trapd")).start()
            self.addCleanup(self.trapd.stop)
        d = Snmpd(self.dir, checks_conf=checks_conf,
                  trap_port=self.trapd.port if traps else None, **kw)
        self.addCleanup(d.stop)
        d.start()
        self.snmpd = d
        return d

    def fake(self, scenario=None):
        return self.enterContext(FakeServer(scenario or {}))

    def ctx(self):
        """Logs for assertion messages."""
        parts = []
        if self.snmpd is not None:
            parts.append("---- snmpd log (tail):\n" + self.snmpd.log(whole=True)[-3000:])
        if self.trapd is not None:
            parts.append("---- traps:\n" + "\n".join(
                l for l in self.trapd.raw_log().splitlines() if l.startswith("TRAP"))[-3000:])
        return "\n".join(parts)

    def row(self, index, columns=None):
        return get_row(self.snmpd.port, index, columns)

    def get(self, oid):
        return snmpget_one(self.snmpd.port, oid)

    def runs(self, index):
        return self.get(column_oid("runs", index))

    def wait_rows(self, indexes, min_runs=1, timeout=WAIT):
        """Wait until every row in INDEXES has at least MIN_RUNS runs."""
        def ready():
            for i in indexes:
                r = self.runs(i)
                if r is None or r < min_runs:
                    return False
            return True
        self.assertTrue(wait_until(ready, timeout, 0.2),
                        "rows %s never reached %d runs\n%s" % (indexes, min_runs, self.ctx()))

    def walk_with_mib(self, name):
        """snmpwalk of SMTP-CHECK-MIB::NAME with the MIB loaded: the text,
        after checking that no value has a type or length the MIB denies."""
        p = subprocess.run(
            [which("snmpwalk"), "-v2c", "-c", "public", "-M",
             "+%s:%s" % (SHARED_MIBS, REPO_MIBS), "-m", "+SMTP-CHECK-MIB",
             "%s:%d" % (LOOPBACK, self.snmpd.port), "SMTP-CHECK-MIB::" + name],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30,
            env=tool_env({"MIBS": ""}))
        out = p.stdout.decode(errors="replace")
        self.assertEqual(p.returncode, 0, out)
        self.assertNotIn("Wrong Type", out)
        self.assertNotIn("Wrong Length", out)
        return out

    def snmptable(self, name):
        """snmptable of SMTP-CHECK-MIB::NAME with the MIB loaded, shown as a
        figure of the run (the issue's closing note quotes it)."""
        p = subprocess.run([which("snmptable"), "-v2c", "-c", "public", "-Ci", "-Cb", "-M",
                            "+%s:%s" % (SHARED_MIBS, REPO_MIBS), "-m", "+SMTP-CHECK-MIB",
                            "%s:%d" % (LOOPBACK, self.snmpd.port), "SMTP-CHECK-MIB::" + name],
                           capture_output=True, text=True, timeout=30, env=tool_env({"MIBS": ""}))
        figure("snmptable %s:\n%s" % (name, p.stdout))
        self.assertEqual(p.returncode, 0, p.stderr)
        return p.stdout

    def assert_no_crash(self):
        log = self.snmpd.log(whole=True)
        self.assertIsNone(CRASH_WORDS.search(log), "crash words in the snmpd log:\n" + log[-3000:])
        self.assertTrue(self.snmpd.alive(), "snmpd died: %s\n%s" % (self.snmpd.proc.poll(),
                                                                    log[-3000:]))


# ---------------------------------------------------------------- 1. Postfix

class RealPostfixTest(SnmpCase):
    """Checks against the private Postfix + Dovecot of scripts/mailstack."""

    stack_dir = None
    stack = None
    stack_error = None

    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0 or not os.path.exists("/usr/sbin/postfix"):
            cls.stack_error = "mailstack needs root and postfix"
            return
        cls.stack_dir = tempfile.mkdtemp(prefix="ms-", dir="/tmp")
        p = subprocess.run([MAILSTACK, "start", cls.stack_dir], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=180)
        if p.returncode != 0:
            cls.stack_error = "mailstack start failed: " + p.stdout.decode(errors="replace")
            return
        cls.stack = read_env(os.path.join(cls.stack_dir, "env"))

    @classmethod
    def tearDownClass(cls):
        if cls.stack_dir:
            subprocess.run([MAILSTACK, "stop", cls.stack_dir], stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
            shutil.rmtree(cls.stack_dir, True)

    def setUp(self):
        super().setUp()
        if self.stack is None:
            self.skipTest(self.stack_error or "no mail stack")

    def test_values_over_get_walk_bulkwalk(self):
        st = self.stack
        wrong_pw = write_file(os.path.join(self.dir, "wrong.pw"), "not-the-password\n", 0o600)
        closed_port = free_tcp_port()
        auth = {"user": st["USER"], "password_file": st["PASSWORD_FILE"]}
        tls = {"ca_file": st["CA_FILE"]}
        checks = [
            check(1, "plain", int(st["PLAIN_PORT"])),
            check(2, "submission", int(st["SUBMISSION_PORT"]), security="starttls", tls=tls,
                  auth=auth),
            check(3, "closed", closed_port),
            check(4, "wrongpw", int(st["SUBMISSION_PORT"]), security="starttls", tls=tls,
                  auth={"user": st["USER"], "password_file": wrong_pw}),
            # IMAP and POP3 rows (issue 11): Dovecot's mailbox of the stack.
            check(5, "imaps", int(st["IMAPS_PORT"]), protocol="imap", security="tls", tls=tls,
                  auth=auth),
            check(6, "pop3", int(st["POP3_PORT"]), protocol="pop3", security="starttls",
                  tls=tls, auth=auth),
        ]
        conf = write_checks(os.path.join(self.dir, "checks.conf"), checks,
                            {"interval": 2, "step_timeout": 10})
        self.start_snmpd(conf)
        self.wait_rows([1, 2, 3, 4, 5, 6], 1, timeout=30)
        port = self.snmpd.port

        rows = {i: self.row(i) for i in (1, 2, 3, 4, 5, 6)}
        msg = "%s\n%s" % (rows, self.ctx())
        want_ports = {1: int(st["PLAIN_PORT"]), 2: int(st["SUBMISSION_PORT"]), 3: closed_port,
                      4: int(st["SUBMISSION_PORT"]), 5: int(st["IMAPS_PORT"]),
                      6: int(st["POP3_PORT"])}
        for c in checks:
            r = rows[c["index"]]
            self.assertEqual(r["name"], c["name"], msg)
            self.assertEqual(r["host"], LOOPBACK, msg)
            self.assertEqual(r["port"], want_ports[c["index"]], msg)
            self.assertEqual(r["interval"], 2, msg)
        self.assertEqual(rows[2]["security"], 2, msg)  # starttls
        self.assertEqual(rows[1]["security"], 1, msg)  # none
        # smtpCheckProtocol: smtp(1), imap(2), pop3(3); the mailbox rows pass
        # with their phases in the SMTP columns (docs/mib.md).
        for i in (1, 2, 3, 4):
            self.assertEqual(rows[i]["protocol"], 1, msg)
        self.assertEqual((rows[5]["protocol"], rows[6]["protocol"]), (2, 3), msg)
        for i in (5, 6):
            r = rows[i]
            self.assertEqual((r["status"], r["errorCode"], r["failedStep"], r["responseCode"]),
                             (STATUS["ok"], 0, STEP["none"], 0), msg)
            self.assertIn("Dovecot", r["greeting"], msg)
            self.assertTrue(r["tlsVersion"].startswith("TLSv1"), msg)
            self.assertTrue(0 < r["loginTime"] <= r["totalTime"], msg)

        # The good ones.
        for i in (1, 2):
            r = rows[i]
            self.assertEqual(r["status"], STATUS["ok"], msg)
            self.assertEqual(r["responseCode"], 0, msg)
            self.assertEqual(r["errorCode"], 0, msg)
            self.assertEqual(r["failedStep"], STEP["none"], msg)
            self.assertTrue(0 <= r["connectTime"] <= r["totalTime"], msg)
            self.assertEqual(r["errorDetail"], "", msg)
            self.assertIn("ESMTP", r["greeting"], msg)
            self.assertEqual(len(r["lastRun"]), 11, msg)  # DateAndTime with zone
        self.assertGreater(rows[2]["totalTime"], 0, msg)
        self.assertTrue(rows[2]["tlsVersion"].startswith("TLSv1"), msg)
        self.assertNotEqual(rows[2]["tlsCipher"], "", msg)
        self.assertTrue(28 <= rows[2]["certDaysLeft"] <= 30, msg)
        self.assertEqual(rows[1]["tlsVersion"], "", msg)
        self.assertGreater(rows[1]["maxMessageSize"], 0, msg)

        # Closed port: connectionRefused at connect, no SMTP reply.
        r = rows[3]
        self.assertEqual(r["status"], STATUS["failed"], msg)
        self.assertEqual(r["errorCode"], ERROR["connectionRefused"], msg)
        self.assertEqual(r["failedStep"], STEP["connect"], msg)
        self.assertEqual(r["responseCode"], -1, msg)
        self.assertGreaterEqual(r["failures"], 1, msg)
        self.assertEqual(r["failures"], r["runs"], msg)
        self.assertNotEqual(r["errorDetail"], "", msg)

        # Wrong password: 535 at AUTH.
        r = rows[4]
        self.assertEqual(r["status"], STATUS["failed"], msg)
        self.assertEqual(r["errorCode"], ERROR["authenticationFailed"], msg)
        self.assertEqual(r["failedStep"], STEP["auth"], msg)
        self.assertEqual(r["responseCode"], 535, msg)
        self.assertTrue(r["lastReplyText"].startswith("535"), msg)
        self.assertTrue(r["tlsVersion"].startswith("TLSv1"), msg)
        self.assertTrue(0 <= r["connectTime"] <= r["totalTime"], msg)

        # Nothing beyond row 6, and a GET of a missing row is noSuchInstance.
        self.assertIsNone(self.get(column_oid("name", 7)))

        # snmpwalk and snmpbulkwalk agree (retry until no result landed
        # between the two walks).
        for attempt in range(10):
            w1 = snmpwalk(port, ROOT + ".1.1")
            b = snmpbulkwalk(port, ROOT + ".1.1")
            w2 = snmpwalk(port, ROOT + ".1.1")
            if w1 == w2:
                break
        self.assertEqual(w1, w2, "the table never held still for two walks")
        self.assertEqual(list(b.keys()), list(w1.keys()))
        self.assertEqual(b, w1)
        walked = table_rows(w1)
        self.assertEqual(sorted(walked), [1, 2, 3, 4, 5, 6])
        self.assertEqual(len(walked[1]), len(COL) - 1)  # every column but the index
        # The walk and the GETs agree on what does not change.
        for i in (1, 2, 3, 4, 5, 6):
            for c in ("name", "host", "port", "security", "protocol", "errorCode", "failedStep"):
                self.assertEqual(walked[i][c], rows[i][c], (i, c))

        # The MIB and the agent agree on every column's type.
        if os.path.exists(MIB_FILE):
            self.assertIn("smtpCheckName.1", self.walk_with_mib("smtpCheckMIB"))

        # runs grows with time, failures only for the failing rows.
        before = {i: rows[i]["runs"] for i in (1, 2, 3, 4)}
        self.assertTrue(wait_until(lambda: all((self.runs(i) or 0) > before[i]
                                               for i in (1, 2, 3, 4)), WAIT, 0.2), self.ctx())
        after = {i: self.row(i, ["runs", "failures", "status"]) for i in (1, 2, 3, 4)}
        for i in (1, 2, 3, 4):
            self.assertGreater(after[i]["runs"], before[i], (i, before, after))
        self.assertEqual(after[1]["failures"], 0)
        self.assertEqual(after[2]["failures"], 0)
        self.assertEqual(after[3]["failures"], after[3]["runs"])
        self.assertEqual(after[4]["failures"], after[4]["runs"])
        self.assert_no_crash()


# ---------------------------------------------------------------- 2. traps

class TrapTest(SnmpCase):

    def traps(self, raised, metric, since=0.0):
        return [t for t in self.trapd.traps()
                if t.raised == raised and t.get("metric") == metric and t.time >= since]

    def alarm_state(self, metric):
        return self.get(alarm_oid("state", 1, METRIC[metric] if isinstance(metric, str)
                                  else metric))

    def assert_context(self, t, port, detail):
        """The varbinds appended in revision 202612021500Z, after the
        original eight and in this order: the server and the reason."""
        names = [COL_NAME_BY_NUMBER.get(int(oid.split(".")[-2]))
                 for oid in list(t.vars)[-3:] if oid.startswith(ENTRY + ".")]
        self.assertEqual(names, ["host", "port", "errorDetail"], t)
        self.assertEqual(len(t.vars), 2 + 11, t)  # sysUpTime, snmpTrapOID, 11 objects
        self.assertEqual(t.get("host", 1), LOOPBACK, t)
        self.assertEqual(t.get("port", 1), port, t)
        self.assertEqual(t.get("errorDetail", 1), detail, t)

    def test_raised_cleared_without_storm(self):
        slow = self.fake({"greeting_delay_ms": 800})
        fast = self.fake({})
        sb = Switchboard().open(slow.port)
        self.addCleanup(sb.stop)
        conf = write_checks(
            os.path.join(self.dir, "checks.conf"),
            [check(1, "flappy", sb.port,
                   alarms={"total_time": {"rising": 500, "falling": 300}, "on_error": True,
                           "consecutive_failures": 2})],
            {"interval": 1, "jitter": 0, "step_timeout": 5})
        self.start_snmpd(conf, traps=True)
        port = self.snmpd.port

        # The alarm table lists both configured alarms, armed.
        alarms = alarm_rows(snmpwalk(port, ROOT + ".1.2"))
        self.assertEqual(sorted(alarms), [(1, METRIC["totalTime"]), (1, METRIC["failure"])],
                         alarms)
        self.assertEqual(alarms[(1, 4)]["rising"], 500)
        self.assertEqual(alarms[(1, 4)]["falling"], 300)
        self.assertEqual(alarms[(1, 5)]["rising"], 2)

        # Phase A: slow greeting -> totalTime raised, once.
        t = self.trapd.wait_for(lambda t: t.raised and t.get("metric") == 4, WAIT)
        self.assertIsNotNone(t, "no smtpCheckAlarmRaised for totalTime\n" + self.ctx())
        self.assertEqual(t.get("name", 1), "flappy", t)
        self.assertGreaterEqual(t.get("value"), 800, t)
        self.assertEqual(t.get("threshold"), 500, t)
        self.assertEqual(t.get("errorCode", 1), 0, t)
        self.assertEqual(t.get("responseCode", 1), 0, t)
        self.assertEqual(t.get("failedStep", 1), 0, t)
        self.assert_context(t, sb.port, "")
        self.assertEqual(self.alarm_state("totalTime"), ALARM_STATE["raised"])
        self.assertEqual(self.get(column_oid("status", 1)), STATUS["alarm"])
        runs_at_raise = self.runs(1)
        self.assertTrue(wait_until(lambda: (self.runs(1) or 0) - runs_at_raise >= 2, WAIT, 0.2),
                        "the check did not keep running")
        self.assertEqual(len(self.traps(True, 4)), 1, "raised more than once\n" + self.ctx())
        self.assertEqual(self.traps(False, 4), [])
        self.assertEqual(self.alarm_state("totalTime"), ALARM_STATE["raised"])
        self.assertEqual(self.get(alarm_oid("raisedCount", 1, 4)), 1)
        self.assertGreaterEqual(self.get(alarm_oid("value", 1, 4)), 800)

        # Phase B: fast again -> totalTime cleared.
        sb.switch(fast.port)
        t = self.trapd.wait_for(lambda t: t.cleared and t.get("metric") == 4, WAIT)
        self.assertIsNotNone(t, "no smtpCheckAlarmCleared for totalTime\n" + self.ctx())
        self.assertLess(t.get("value"), 300, t)
        self.assertEqual(t.get("threshold"), 300, t)
        self.assertEqual(t.get("errorCode", 1), 0, t)
        self.assertEqual(self.alarm_state("totalTime"), ALARM_STATE["armed"])
        time.sleep(1.5)
        self.assertEqual(self.get(column_oid("status", 1)), STATUS["ok"])
        self.assertEqual(self.traps(True, 5), [], "failure alarm while the server was up")

        # Phase C: nothing listens -> failure raised after 2 failed runs.
        sb.close()
        stopped = time.monotonic()
        saw_one_failure = False
        deadline = stopped + WAIT
        raised = []
        while time.monotonic() < deadline:
            raised = self.traps(True, 5)   # read the traps first, then the counter
            consecutive = self.get(column_oid("consecutiveFailures", 1))
            if consecutive == 1 and not raised:
                saw_one_failure = True
            if raised:
                break
            time.sleep(0.05)
        self.assertTrue(raised, "no failure alarm after the server went away\n" + self.ctx())
        t = raised[0]
        self.assertTrue(saw_one_failure,
                        "never saw 1 failure without an alarm (raised too early?)\n" + self.ctx())
        self.assertGreaterEqual(t.time - stopped, 0.9, "raised before 2 runs could fail")
        self.assertEqual(t.get("value"), 2, t)
        self.assertEqual(t.get("threshold"), 2, t)
        self.assertEqual(t.get("errorCode", 1), ERROR["connectionRefused"], t)
        self.assertEqual(t.get("failedStep", 1), STEP["connect"], t)
        self.assertEqual(t.get("responseCode", 1), -1, t)
        detail = self.get(column_oid("errorDetail", 1))
        self.assertIn("refused", detail.lower(), detail)
        self.assert_context(t, sb.port, detail)
        self.assertGreaterEqual(self.get(column_oid("consecutiveFailures", 1)), 2)
        self.assertEqual(self.alarm_state("failure"), ALARM_STATE["raised"])
        self.assertEqual(self.get(column_oid("status", 1)), STATUS["alarm"])
        self.assertTrue(wait_until(
            lambda: (self.get(column_oid("consecutiveFailures", 1)) or 0) >= 4, WAIT, 0.2))
        self.assertEqual(len(self.traps(True, 5)), 1, "failure raised more than once\n"
                         + self.ctx())
        # A failed run says nothing about the total time.
        self.assertEqual(len(self.traps(True, 4)), 1)

        # Phase D: back -> failure cleared.
        sb.open(fast.port)
        t = self.trapd.wait_for(lambda t: t.cleared and t.get("metric") == 5, WAIT)
        self.assertIsNotNone(t, "no smtpCheckAlarmCleared for the failure\n" + self.ctx())
        self.assertEqual(t.get("errorCode", 1), 0, t)
        self.assert_context(t, sb.port, "")
        self.assertEqual(t.get("value"), 0, t)
        self.assertEqual(self.alarm_state("failure"), ALARM_STATE["armed"])
        self.assertEqual(self.alarm_state("totalTime"), ALARM_STATE["armed"])
        self.assertEqual(self.get(column_oid("status", 1)), STATUS["ok"])
        self.assertEqual(self.get(column_oid("consecutiveFailures", 1)), 0)
        self.assertEqual(self.get(alarm_oid("raisedCount", 1, 5)), 1)
        counts = {(r, m): len(self.traps(r, m)) for r in (True, False) for m in (4, 5)}
        self.assertEqual(counts, {(True, 4): 1, (False, 4): 1, (True, 5): 1, (False, 5): 1},
                         self.ctx())
        self.assert_no_crash()


# ------------------------------------------------- 2b. explicit values for an NMS

# smtpCheckPhasesRun: BITS, bit 0 (dns) is the most significant bit of the
# first octet (RFC 2578 7.1.4). The names are the MIB's, in bit order.
PHASES = ["dns", "connect", "tls", "greeting", "ehlo", "login", "transfer", "quit"]
TRUE, FALSE = 1, 2  # TruthValue


def phase_mask(name):
    return 0x80 >> PHASES.index(name)


def date_and_time_unix(octets):
    """Unix time of a UTC DateAndTime (as the module writes it)."""
    if len(octets) != 11 or octets[8:9] != b"+" or octets[9:] != b"\0\0":
        raise ValueError("not a UTC DateAndTime: %r" % octets)
    t = (int.from_bytes(octets[0:2], "big"),) + tuple(octets[2:7])
    return calendar.timegm(t + (0, 0, 0))


class ExplicitValuesTest(SnmpCase):
    """Columns 40..53: which phases ran, whether a certificate was seen,
    microsecond times, Unix times and the last success (persisted)."""

    def octets(self, col, index):
        """An OCTET STRING column as bytes (-Ox: printable ones too)."""
        oid = column_oid(col, index)
        v = snmpget(self.snmpd.port, "-Ox", oid).get(oid)
        return v if isinstance(v, bytes) else b""

    def phases(self, index):
        v = self.octets("phasesRun", index)
        self.assertEqual(len(v), 1, "smtpCheckPhasesRun.%d is %r" % (index, v))
        return {p for p in PHASES if v[0] & phase_mask(p)}

    def assert_times(self, r, ran, msg):
        """Each phase: microseconds > 0 when it ran (0 when not), and its
        millisecond column is the same time rounded."""
        for p in PHASES + ["total"]:
            us, ms = r[p + "TimeUs"], r[p + "Time"]
            if p == "dns":
                self.assertGreaterEqual(us, 0, msg)  # an IP literal: no lookup
            elif p == "total" or p in ran:
                self.assertGreater(us, 0, (p, msg))
            else:
                self.assertEqual(us, 0, (p, msg))
            self.assertEqual(ms, (us + 500) // 1000, (p, msg))

    def test_phases_cert_microseconds_and_last_success(self):
        certdir = certs()
        plain = self.fake({})
        tls = self.enterContext(FakeServer({}, certdir=certdir))
        flaky = self.fake({})
        sb = Switchboard().open(flaky.port)
        self.addCleanup(sb.stop)
        conf = write_checks(
            os.path.join(self.dir, "checks.conf"),
            [check(1, "plain", plain.port),
             check(2, "starttls", tls.port, security="starttls",
                   tls={"ca_file": os.path.join(certdir, "ca.pem")}),
             check(3, "flaky", sb.port)],
            {"interval": 1, "jitter": 0, "step_timeout": 5})
        self.start_snmpd(conf)
        self.wait_rows([1, 2, 3], 1)
        rows = {i: self.row(i) for i in (1, 2, 3)}
        now = time.time()
        msg = "%s\n%s" % (rows, self.ctx())
        for i in (1, 2, 3):
            self.assertEqual(rows[i]["errorCode"], 0, msg)

        # A plain check: no certificate, no TLS phase; loopback phases
        # under 1 ms show in the microsecond columns.
        r = rows[1]
        ran = self.phases(1)
        self.assertEqual(ran, {"dns", "connect", "greeting", "ehlo", "quit"}, msg)
        self.assertEqual(r["certSeen"], FALSE, msg)
        self.assertEqual(r["certDaysLeft"], 0, msg)
        self.assert_times(r, ran, msg)
        self.assertLess(r["connectTimeUs"], 1000 * 1000, msg)
        figure("plain check on loopback: connect %d us (%d ms), ehlo %d us, total %d us" % (
            r["connectTimeUs"], r["connectTime"], r["ehloTimeUs"], r["totalTimeUs"]))

        # STARTTLS: a certificate was seen, the tls bit is set.
        r = rows[2]
        ran = self.phases(2)
        self.assertEqual(ran, {"dns", "connect", "tls", "greeting", "ehlo", "quit"}, msg)
        self.assertEqual(r["certSeen"], TRUE, msg)
        self.assertTrue(28 <= r["certDaysLeft"] <= 30, msg)
        self.assert_times(r, ran, msg)

        # Unix times: the last run just now, and a success with it.
        for i in (1, 2, 3):
            self.assertLessEqual(abs(rows[i]["lastRunUnix"] - now), 5, msg)
            self.assertLessEqual(abs(rows[i]["lastSuccessUnix"] - now), 5, msg)
            self.assertEqual(date_and_time_unix(self.octets("lastRun", i)),
                             self.get(column_oid("lastRunUnix", i)), msg)

        # The MIB and the agent agree on the new columns' types.
        out = self.walk_with_mib("smtpCheckTable")
        self.assertRegex(out, r"smtpCheckPhasesRun\.2 = BITS: [0-9A-F ]+ dns\(0\) "
                         r"connect\(1\) tls\(2\) greeting\(3\) ehlo\(4\) quit\(7\)")
        self.assertIn("smtpCheckCertSeen.1 = INTEGER: false(2)", out)
        self.assertIn("smtpCheckCertSeen.2 = INTEGER: true(1)", out)
        self.assertRegex(out, r"smtpCheckConnectTimeUs\.1 = Gauge32: [1-9][0-9]* microseconds")

        # The flaky server goes away: failing runs leave the last success.
        sb.close()
        self.assertTrue(wait_until(
            lambda: self.get(column_oid("errorCode", 3)) != 0, WAIT, 0.2), self.ctx())
        success = self.get(column_oid("lastSuccessUnix", 3))
        runs = self.runs(3)
        self.assertTrue(wait_until(lambda: (self.runs(3) or 0) >= runs + 2, WAIT, 0.2),
                        self.ctx())
        r = self.row(3)
        msg = "%s\n%s" % (r, self.ctx())
        self.assertNotEqual(r["errorCode"], 0, msg)
        self.assertEqual(r["lastSuccessUnix"], success, msg)
        self.assertGreater(r["lastRunUnix"], success, msg)
        self.assertLessEqual(abs(r["lastRunUnix"] - time.time()), 5, msg)
        self.assertEqual(date_and_time_unix(self.octets("lastSuccess", 3)), success, msg)
        self.assertNotIn("ehlo", self.phases(3), msg)  # it failed before EHLO
        self.assertEqual(r["ehloTimeUs"], 0, msg)
        self.assertEqual(r["certSeen"], FALSE, msg)

        # ... and so does a reload (SIGHUP unloads and reloads the module) ...
        loads = self.get(global_oid("configLoads"))
        self.snmpd.hup()
        self.assertTrue(wait_until(lambda: (self.get(global_oid("configLoads")) or 0) > loads,
                                   WAIT, 0.2), self.ctx())
        self.assertEqual(self.get(column_oid("lastSuccessUnix", 3)), success, self.ctx())
        self.assertGreaterEqual(self.runs(3), r["runs"], self.ctx())  # the counters stayed

        # ... and a restart of snmpd (the persisted state).
        successes = {i: self.get(column_oid("lastSuccessUnix", i)) for i in (1, 2)}
        self.assertEqual(self.snmpd.stop(), 0, self.ctx())
        with open(os.path.join(self.dir, "persist", "smtpcheck-state.conf")) as f:
            self.assertRegex(f.read(), r"\nrow index=3 name=flaky .*last_success=%d " % success)
        self.snmpd.start()
        self.assertEqual(self.get(column_oid("lastSuccessUnix", 3)), success, self.ctx())
        self.assertEqual(date_and_time_unix(self.octets("lastSuccess", 3)), success)
        for i in (1, 2):  # still running well: the same or later
            self.assertGreaterEqual(self.get(column_oid("lastSuccessUnix", i)), successes[i])
        runs = self.runs(3)
        self.assertTrue(wait_until(lambda: (self.runs(3) or 0) > runs, WAIT, 0.2), self.ctx())
        self.assertEqual(self.get(column_oid("lastSuccessUnix", 3)), success, self.ctx())
        self.assert_no_crash()


# ---------------------------------------------------------------- 3. SIGHUP

BROKEN_SYNTAX = """defaults = { interval = 1; jitter = 0; };
checks = (
  { index = 1; name = "keep"; host = "127.0.0.1"; port = = %d; }
);
"""

BROKEN_KEY = """defaults = { interval = 1; jitter = 0; };
checks = (
  { index = 1; name = "keep"; host = "127.0.0.1"; port = %d; },
  { index = 2; name = "other"; hots = "127.0.0.1"; port = %d; }
);
"""


class ReloadTest(SnmpCase):

    def walk_rows(self):
        return table_rows(snmpwalk(self.snmpd.port, ROOT + ".1.1"))

    def config_errors(self):
        return self.get(global_oid("configErrors"))

    def hup_with_broken_file(self, conf, text, kept="keeping the last good"):
        """Writes TEXT to CONF, HUPs, waits until the module says it kept
        the last good configuration; returns what snmpd logged since."""
        write_file(conf, text, 0o644)
        offset = len(self.snmpd.log(whole=True))
        self.snmpd.hup()
        self.assertTrue(wait_until(lambda: kept in self.snmpd.log(whole=True)[offset:], WAIT),
                        self.ctx())
        return self.snmpd.log(whole=True)[offset:]

    def test_hup_keeps_the_schedule(self):
        """A SIGHUP reloads the module and makes a new engine: unchanged
        checks go on with their schedule instead of all running again
        within the first seconds (issue 13); one whose interval changed
        starts a new schedule."""
        fake = self.fake({})
        conf = os.path.join(self.dir, "checks.conf")
        kept = [check(i, "c%d" % i, fake.port) for i in range(1, 6)]
        write_checks(conf, kept + [check(6, "changed", fake.port, interval=40)],
                     {"interval": 30, "jitter": 0})
        self.start_snmpd(conf)
        self.assertTrue(wait_until(lambda: all(self.runs(i) == 1 for i in range(1, 7)), WAIT),
                        self.ctx())
        write_checks(conf, kept + [check(6, "changed", fake.port, interval=35)],
                     {"interval": 30, "jitter": 0})
        offset = len(self.snmpd.log(whole=True))
        self.snmpd.hup()
        self.assertTrue(wait_until(
            lambda: "checks from" in self.snmpd.log(whole=True)[offset:], WAIT), self.ctx())
        # A new schedule runs within the first 5 s (first_spread): check 6.
        self.assertTrue(wait_until(lambda: self.runs(6) == 2, WAIT), self.ctx())
        time.sleep(6)  # past any first spread (5 s)
        self.assertEqual([self.runs(i) for i in range(1, 6)], [1] * 5, self.ctx())
        self.assert_no_crash()

    def test_hup_changes_broken_files_and_restart(self):
        fake = self.fake({})
        conf = os.path.join(self.dir, "checks.conf")
        defaults = {"interval": 1, "jitter": 0}
        keep = check(1, "keep", fake.port)
        write_checks(conf, [keep, check(2, "moved", fake.port), check(3, "gone", fake.port)],
                     defaults)
        self.start_snmpd(conf)
        self.wait_rows([1, 2, 3], 2)
        # smtpCheckGlobals problems are collected and reported at the end,
        # so that the reload behaviour is still tested when they fail.
        soft = []
        if self.get(global_oid("configFile")) != conf:
            soft.append("smtpCheckConfigFile.0 = %r, want %r"
                        % (self.get(global_oid("configFile")), conf))
        loads0 = self.get(global_oid("configLoads"))
        if not isinstance(loads0, int) or loads0 < 1:
            soft.append("smtpCheckConfigLoads.0 = %r after the first load" % loads0)
        runs_before = self.runs(1)
        self.assertGreater(runs_before, 0)

        # A changed file: 1 the same, 2 on another port, 3 gone, 4 new.
        new_port = free_tcp_port()
        write_checks(conf, [keep, check(2, "moved", new_port), check(4, "added", fake.port)],
                     defaults)
        offset = len(self.snmpd.log(whole=True))
        self.snmpd.hup()
        ok = wait_until(lambda: sorted(self.walk_rows()) == [1, 2, 4], WAIT, 0.2)
        self.assertTrue(ok, "rows after HUP: %s\n%s" % (sorted(self.walk_rows()), self.ctx()))
        wait_until(lambda: (self.runs(1) or 0) > runs_before and (self.runs(4) or 0) >= 1,
                   WAIT, 0.2)
        rows = self.walk_rows()
        self.assertEqual(sorted(rows), [1, 2, 4])
        self.assertGreaterEqual(rows[1]["runs"], runs_before,
                                "row 1's runs went back after HUP\n" + self.ctx())
        self.assertGreater(rows[1]["runs"], runs_before, "row 1 stopped running")
        self.assertEqual(rows[2]["port"], new_port)
        self.assertEqual(rows[4]["name"], "added")
        self.assertGreaterEqual(rows[4]["runs"], 1)
        self.assertIsNone(self.get(column_oid("name", 3)))
        wait_until(lambda: self.get(column_oid("errorCode", 2)) == ERROR["connectionRefused"],
                   WAIT)
        self.assertEqual(self.get(column_oid("errorCode", 2)), ERROR["connectionRefused"])
        self.assertIn("smtpcheck: 3 checks from", self.snmpd.log(whole=True)[offset:])
        raw_get(self.snmpd.port, SYS_UPTIME)
        good_rows = self.walk_rows()

        # A syntax error: logged with file:line, nothing changes.
        errors0 = self.config_errors()
        loads1 = self.get(global_oid("configLoads"))
        if not isinstance(loads1, int) or not isinstance(loads0, int) or loads1 <= loads0:
            soft.append("smtpCheckConfigLoads.0 did not grow with a good reload: %r -> %r"
                        % (loads0, loads1))
        log = self.hup_with_broken_file(conf, BROKEN_SYNTAX % fake.port)
        self.assertRegex(log, r"checks\.conf:3: error: .*syntax", log)
        runs1 = self.runs(1)
        wait_until(lambda: (self.runs(1) or 0) > runs1, WAIT, 0.2)
        rows = self.walk_rows()
        self.assertEqual(sorted(rows), [1, 2, 4], self.ctx())
        for i in (1, 2, 4):
            for c in ("name", "host", "port"):
                self.assertEqual(rows[i][c], good_rows[i][c], (i, c))
        self.assertGreater(rows[1]["runs"], runs1, "checks stopped after a bad file")
        errors1 = self.config_errors()
        if not isinstance(errors1, int) or not isinstance(errors0, int) or errors1 <= errors0:
            soft.append("smtpCheckConfigErrors.0 did not grow with a bad file: %r -> %r"
                        % (errors0, errors1))

        # An unknown key: logged with file:line and a hint, nothing changes.
        log = self.hup_with_broken_file(conf, BROKEN_KEY % (fake.port, fake.port))
        self.assertRegex(log, r'checks\.conf:4: error: unknown key "hots"', log)
        runs1 = self.runs(1)
        wait_until(lambda: (self.runs(1) or 0) > runs1, WAIT, 0.2)
        rows = self.walk_rows()
        self.assertEqual(sorted(rows), [1, 2, 4], self.ctx())
        self.assertEqual(rows[2]["port"], new_port)
        self.assertGreater(rows[1]["runs"], runs1, "checks stopped after a bad file")
        errors2 = self.config_errors()
        if not isinstance(errors2, int) or not isinstance(errors1, int) or errors2 <= errors1:
            soft.append("smtpCheckConfigErrors.0 (a Counter32) did not grow with the second "
                        "bad file: %r -> %r" % (errors1, errors2))
        self.assert_no_crash()

        # Restart with the same persistent directory: counters continue.
        write_checks(conf, [keep, check(2, "moved", new_port), check(4, "added", fake.port)],
                     defaults)
        runs_before = self.runs(1)
        failures2 = self.get(column_oid("failures", 2))
        loads_before = self.get(global_oid("configLoads"))
        errors_before = self.config_errors()
        rc = self.snmpd.stop()
        self.assertEqual(rc, 0, "snmpd exit status on SIGTERM\n" + self.ctx())
        self.snmpd.start()
        rows = self.walk_rows()
        self.assertEqual(sorted(rows), [1, 2, 4], self.ctx())
        self.assertGreaterEqual(rows[1]["runs"], runs_before,
                                "runs restarted from 0 after a restart\n" + self.ctx())
        self.assertGreaterEqual(rows[2]["failures"], failures2)
        # The MIB: a discontinuity only when the persistent state is lost.
        loads_after = self.get(global_oid("configLoads"))
        errors_after = self.config_errors()
        if not (isinstance(loads_after, int) and isinstance(loads_before, int)
                and loads_after > loads_before):
            soft.append("smtpCheckConfigLoads.0 across a restart: %r -> %r"
                        % (loads_before, loads_after))
        if not (isinstance(errors_after, int) and isinstance(errors_before, int)
                and errors_after >= errors_before):
            soft.append("smtpCheckConfigErrors.0 across a restart: %r -> %r"
                        % (errors_before, errors_after))
        wait_until(lambda: (self.runs(1) or 0) > runs_before, WAIT, 0.2)
        self.assertGreater(self.runs(1), runs_before)
        self.assert_no_crash()
        self.assertEqual(soft, [], "smtpCheckGlobals problems")

    @unittest.skipUnless(os.geteuid() == 0, "dropping privileges needs root")
    def test_reload_after_dropping_privileges(self):
        """Debian's snmpd runs -u Debian-snmp: after a SIGHUP every file is
        read as that user, including the module's own saved state."""
        fake = self.fake({})
        # Every parent must be searchable by "nobody", or snmpd itself
        # cannot re-read its snmpd.conf after the HUP: not under the build
        # tree, which may sit in a private home directory.
        self.dir = tempfile.mkdtemp(prefix="smtpcheck-priv-", dir="/tmp")
        os.chmod(self.dir, 0o755)
        self.addCleanup(shutil.rmtree, self.dir, True)
        conf = os.path.join(self.dir, "checks.conf")
        defaults = {"interval": 1, "jitter": 0}
        write_checks(conf, [check(1, "keep", fake.port)], defaults)
        self.start_snmpd(conf, run_as=("nobody", "nogroup"))
        self.wait_rows([1], 2)
        # A broken file first: the last good configuration, kept in memory
        # across the module reload, keeps serving.
        self.hup_with_broken_file(conf, BROKEN_KEY % (fake.port, fake.port),
                                  kept="from the last good configuration of")
        runs = self.runs(1)
        self.assertTrue(wait_until(lambda: (self.runs(1) or 0) > runs, WAIT), self.ctx())
        self.assertEqual(sorted(self.walk_rows()), [1])
        self.assertEqual(self.config_errors(), 1)
        # Then a good change, read as the unprivileged user.
        write_checks(conf, [check(1, "keep", fake.port), check(2, "added", fake.port)],
                     defaults)
        self.snmpd.hup()
        self.assertTrue(wait_until(lambda: (self.runs(2) or 0) >= 1, WAIT), self.ctx())
        self.assertGreaterEqual(self.runs(1), runs)
        self.assert_no_crash()

    @unittest.skipUnless(os.geteuid() == 0, "dropping privileges needs root")
    def test_root_only_password_file_survives_reloads(self):
        """Debian's default: snmpd -u Debian-snmp and a root-only 0600
        password file. At start snmpd is root and reads it; after a SIGHUP
        with the file unchanged it cannot, and the rows must stay and keep
        updating (the last good configuration is kept in memory)."""
        fake = self.fake({"user": "probe", "password": "s3cret"})
        self.dir = tempfile.mkdtemp(prefix="smtpcheck-priv-", dir="/tmp")
        os.chmod(self.dir, 0o755)
        self.addCleanup(shutil.rmtree, self.dir, True)
        pw = write_file(os.path.join(self.dir, "password"), "s3cret\n", 0o600)  # root only
        conf = write_checks(os.path.join(self.dir, "checks.conf"),
                            [check(1, "auth", fake.port,
                                   auth={"user": "probe", "password_file": pw,
                                         "allow_insecure": True}),
                             check(2, "plain", fake.port)],
                            {"interval": 1, "jitter": 0})
        self.start_snmpd(conf, run_as=("nobody", "nogroup"))
        self.wait_rows([1, 2], 1)
        log = self.snmpd.log(whole=True)
        self.assertIn("password file %s is not readable by uid" % pw, log)  # warned at start
        for hup in range(3):
            before = self.runs(1)
            self.snmpd.hup()
            self.assertTrue(wait_until(lambda: (self.runs(1) or 0) > before, WAIT),
                            "HUP %d\n%s" % (hup, self.ctx()))
            self.assertEqual(sorted(self.walk_rows()), [1, 2], self.ctx())
        row = self.row(1)
        self.assertEqual(row["errorCode"], ERROR["ok"], row)  # AUTH still works
        self.assertIn("from the last good configuration of", self.snmpd.log(whole=True))
        self.assert_no_crash()

    def test_many_hups_under_load(self):
        fake = self.fake({})
        conf = write_checks(os.path.join(self.dir, "checks.conf"),
                            [check(i, "c%d" % i, fake.port) for i in range(1, 51)],
                            {"interval": 1})
        self.start_snmpd(conf)
        self.wait_rows([1, 50], 1)
        samples = [self.runs(1)]
        rss = {}
        rss["start"] = self.snmpd.rss_kb()
        deadline = time.monotonic() + 300  # a guard against a hang: it takes ~20 s
        for n in range(1, 101):
            self.assertLess(time.monotonic(), deadline, "HUP loop too slow")
            self.assertTrue(self.snmpd.alive(), "snmpd died at HUP #%d\n%s" % (n, self.ctx()))
            self.snmpd.hup()
            time.sleep(0.15)
            if n % 10 == 0:
                try:
                    samples.append(snmpget_one(self.snmpd.port, column_oid("runs", 1),
                                               retries=3, wait=2))
                except Exception as e:  # noqa: BLE001 - report, then fail below
                    samples.append("error: %s" % e)
            if n in (10, 100):
                time.sleep(1.0)
                rss[n] = self.snmpd.rss_kb()
        time.sleep(2)
        self.assertTrue(self.snmpd.alive(), "snmpd died\n" + self.ctx())
        raw_get(self.snmpd.port, SYS_UPTIME)
        samples.append(self.runs(1))
        figure("snmpd VmRSS kB: start %s, after HUP #10 %s, after HUP #100 %s (growth %+d kB)"
               % (rss["start"], rss[10], rss[100], rss[100] - rss[10]))
        self.assertTrue(all(isinstance(s, int) for s in samples), samples)
        self.assertEqual(samples, sorted(samples), "row 1's runs went backwards: %s" % samples)
        self.assertGreater(samples[-1], samples[0])
        self.assertLess(rss[100] - rss[10], 20 * 1024, "RSS grew by more than 20 MB")
        rows = table_rows(snmpwalk(self.snmpd.port, ROOT + ".1.1"))
        self.assertEqual(sorted(rows), list(range(1, 51)))
        self.assertTrue(wait_until(lambda: (self.runs(1) or 0) > samples[-1], WAIT, 0.2),
                        "checks stopped after the HUPs")
        self.assert_no_crash()


    def test_hups_under_valgrind(self):
        # Reloads must neither corrupt memory nor leak: snmpd under
        # memcheck, 15 HUPs with checks running, then SIGTERM.
        if shutil.which("valgrind") is None:
            self.skipTest("valgrind not installed")
        fake = self.fake({})
        conf = write_checks(
            os.path.join(self.dir, "checks.conf"),
            [check(1, "good", fake.port, alarms={"on_error": True,
                                                 "total_time": {"rising": 5000}}),
             check(2, "closed", free_tcp_port(), alarms={"on_error": True})],
            {"interval": 1, "jitter": 0})
        vg_log = os.path.join(self.dir, "valgrind.log")
        self.start_snmpd(conf, wrapper=["valgrind", "--leak-check=full",
                                        "--keep-debuginfo=yes", "--num-callers=30",
                                        "--log-file=" + vg_log])
        self.wait_rows([1, 2], 1, timeout=2 * WAIT)  # valgrind: 20-50 times slower
        for _ in range(15):
            self.snmpd.hup()
            time.sleep(1.0)
        self.wait_rows([1, 2], 1, timeout=2 * WAIT)
        rc = self.snmpd.stop(timeout=3 * WAIT)  # valgrind's leak check at exit
        errors, leaks = valgrind_reports(vg_log)
        figure("valgrind, 15 HUPs: %d memory errors and %d definitely-lost records in "
               "smtpcheck code" % (len(errors), len(leaks)))
        self.assertEqual(rc, 0, "snmpd under valgrind exited with %s" % rc)
        problems = []
        if errors:
            problems.append("%d memory errors; the first:\n%s" % (len(errors), errors[0]))
        if leaks:
            kinds = sorted(set(re.sub(r"loss record \d+ of \d+", "", l) for l in leaks))
            problems.append("%d definitely-lost records, %d kinds:\n%s" % (
                len(leaks), len(kinds), "\n\n".join(kinds[:4])))
        if problems:
            self.fail("valgrind (%s):\n\n%s" % (vg_log, "\n\n".join(problems)))

    def test_hup_with_check_files_that_would_block_or_exit(self):
        """A check file that names a FIFO, pulls in a directory, holds a
        10 MB token or is itself a FIFO, a device or a directory: on HUP
        each is refused with its file:line, snmpd keeps answering at once
        and the checks of the last good file keep running."""
        fake = self.fake({})
        conf = os.path.join(self.dir, "checks.conf")
        write_checks(conf, [check(1, "keep", fake.port)], {"interval": 1, "jitter": 0})
        self.start_snmpd(conf)
        self.wait_rows([1], 2)
        fifo = os.path.join(self.dir, "named.fifo")
        os.mkfifo(fifo)
        os.mkdir(os.path.join(self.dir, "sub"))
        one = 'checks = ( { index = 1; name = "keep"; host = "127.0.0.1"; port = %d;\n%%s } );\n' \
            % fake.port
        texts = (
            (one % "" + '@include "sub"\n', r"checks\.conf:3: error: @include is not supported"),
            (one % ('auth = { user = "u"; password_file = "%s"; };' % fifo),
             r'checks\.conf:2: error: password file ".*named\.fifo" is not a regular file'),
            (one % ('mail = { body_html_file = "%s"; };' % fifo),
             r'checks\.conf:2: error: body file ".*named\.fifo" is not a regular file'),
            ('a = "' + "x" * 10000000 + '";\n',
             r"checks\.conf:1: error: the file is larger than 4 MiB"),
            ("checks = ();\n" + 'b = "' + "x" * 3000000 + '";\n',
             r"checks\.conf:2: error: the line is longer than 1 MiB"),
        )
        for text, pattern in texts:
            self.assertRegex(self.hup_with_broken_file(conf, text), pattern)
            self.assert_serving_the_last_good()

        def replace(make):
            if os.path.isdir(conf) and not os.path.islink(conf):
                os.rmdir(conf)
            else:
                os.remove(conf)
            make()
            offset = len(self.snmpd.log(whole=True))
            self.snmpd.hup()
            kept = lambda: "keeping the last good" in self.snmpd.log(whole=True)[offset:]
            self.assertTrue(wait_until(kept, 10), self.ctx())
            return self.snmpd.log(whole=True)[offset:]

        for make, kind in ((lambda: os.mkfifo(conf), "a FIFO"),
                           (lambda: os.symlink("/dev/zero", conf), "a device"),
                           (lambda: os.mkdir(conf), "a directory")):
            self.assertIn("checks.conf: error: not a regular file (%s)" % kind, replace(make))
            self.assert_serving_the_last_good()
        self.assert_no_crash()

    def test_hup_with_every_bad_config(self):
        """Every case of the malformed check-file corpus (tests/bad-configs/
        and the files test_bad_configs makes): on HUP it is logged with its
        file:line error, and the last good configuration keeps serving."""
        fake = self.fake({})
        conf = os.path.join(self.dir, "checks.conf")
        write_checks(conf, [check(1, "keep", fake.port)], {"interval": 1, "jitter": 0})
        shutil.copy(os.path.join(BAD_CONFIGS, "pw.txt"), self.dir)
        os.symlink("pwloop", os.path.join(self.dir, "pwloop"))
        self.start_snmpd(conf)
        self.wait_rows([1], 1)
        made = tempfile.mkdtemp(prefix="made-", dir=self.dir)
        cases = bad_config_corpus() + generated_bad_configs(made)
        self.assertGreater(len(cases), 45)
        for path, line, message in cases:
            with self.subTest(os.path.basename(path)):
                if os.path.isdir(conf) and not os.path.islink(conf):
                    os.rmdir(conf)
                else:
                    os.remove(conf)
                if os.path.islink(path) and os.readlink(path) == os.path.basename(path):
                    os.symlink(os.path.basename(conf), conf)  # a loop onto itself
                elif os.path.islink(path) or not os.path.isfile(path):
                    os.rename(path, conf)  # a FIFO, a directory, a link: as it is
                else:
                    shutil.copyfile(path, conf)
                offset = len(self.snmpd.log(whole=True))
                self.snmpd.hup()
                kept = lambda: "keeping the last good" in self.snmpd.log(whole=True)[offset:]
                self.assertTrue(wait_until(kept, WAIT), self.ctx())
                log = self.snmpd.log(whole=True)[offset:]
                self.assertTrue(has_error(log, conf, line, message), message + "\n" + log)
                self.assert_serving_the_last_good()
        self.assert_no_crash()

    def assert_serving_the_last_good(self):
        self.assertLess(raw_get(self.snmpd.port, SYS_UPTIME, timeout=5), 1.0, self.ctx())
        runs = self.runs(1)
        self.assertTrue(wait_until(lambda: (self.runs(1) or 0) > runs, 5), self.ctx())
        self.assertEqual(sorted(self.walk_rows()), [1])


# ---------------------------------------------------------------- 5. latency

class NonBlockingTest(SnmpCase):

    def test_get_latency_with_200_stalled_checks(self):
        """GETs are answered while 200 checks hang in their greeting.

        A GET held up by the stalled checks would wait for their step
        timeout (STEP s). So every GET must be answered well inside it
        (MAX_GET s, where they take about a millisecond), and the checks
        must still be hanging afterwards (no run finished)."""
        STEP, MAX_GET = 60, 5.0
        fake = self.fake({"stall": "GREETING"})
        n = 200
        conf = write_checks(os.path.join(self.dir, "checks.conf"),
                            [check(i, "stalled%d" % i, fake.port) for i in range(1, n + 1)],
                            # All n in flight at once against one server:
                            # above the cap per server's default (32).
                            {"interval": 5, "step_timeout": STEP, "timeout": 2 * STEP,
                             "max_per_server": n})
        self.start_snmpd(conf)
        started = time.monotonic()
        connected = wait_until(
            lambda: fake.log().count("*: connect from") >= n, WAIT, 0.2)
        self.assertTrue(connected, "only %d connections reached the fake server\n%s"
                        % (fake.log().count("*: connect from"), self.ctx()))
        time.sleep(0.5)
        port = self.snmpd.port
        spawn = []
        for _ in range(50):
            start = time.monotonic()
            v = snmpget_one(port, SYS_UPTIME)
            spawn.append(time.monotonic() - start)
            self.assertIsInstance(v, int)
        raw = [raw_get(port, SYS_UPTIME) for _ in range(50)]
        cell = [raw_get(port, column_oid("name", 100)) for _ in range(20)]
        in_flight = self.get(global_oid("inFlight"))
        figure("GET latency with %d stalled checks: snmpget max %.1f ms (mean %.1f ms), "
               "raw UDP GET max %.2f ms, table cell max %.2f ms; inFlight=%s"
               % (n, max(spawn) * 1000, sum(spawn) / len(spawn) * 1000, max(raw) * 1000,
                  max(cell) * 1000, in_flight))
        self.assertLess(max(spawn), MAX_GET, "a GET took %.0f ms" % (max(spawn) * 1000))
        self.assertLess(max(raw), MAX_GET)
        self.assertLess(max(cell), MAX_GET)
        self.assertEqual(in_flight, n, "smtpCheckChecksInFlight.0")
        # The checks really were stuck in the greeting all along (no result
        # before the step timeout).
        self.assertLess(time.monotonic() - started, STEP)
        self.assertEqual(self.get(column_oid("runs", 1)), 0)
        self.assertEqual(self.get(column_oid("status", 1)), STATUS["unknown"])
        self.assert_no_crash()


# ---------------------------------------------------------------- 6. MIB

class MibTest(unittest.TestCase):

    def setUp(self):
        if not os.path.exists(MIB_FILE):
            self.skipTest("mibs/SMTP-CHECK-MIB.txt does not exist yet")

    def test_smilint_clean(self):
        if not smilint_available():
            self.skipTest("smilint not installed")
        env = dict(os.environ)
        env["SMIPATH"] = "%s:%s" % (SHARED_MIBS, REPO_MIBS)
        p = subprocess.run(["smilint", "-l", "6", MIB_FILE], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, env=env, timeout=60)
        out = p.stdout.decode(errors="replace")
        self.assertEqual(out, "", "smilint -l 6:\n" + out)
        self.assertEqual(p.returncode, 0, out)

    def test_snmptranslate_tree(self):
        p = subprocess.run(
            [which("snmptranslate"), "-M", "+%s:%s" % (SHARED_MIBS, REPO_MIBS),
             "-m", "+SMTP-CHECK-MIB", "-Tp", "SMTP-CHECK-MIB::smtpCheckMIB"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=tool_env({"MIBS": ""}),
            timeout=60)
        out = p.stdout.decode(errors="replace")
        err = p.stderr.decode(errors="replace")
        self.assertEqual(p.returncode, 0, err)
        self.assertIn("smtpCheckTable(1)", out)
        self.assertIn("smtpCheckAlarmTable(2)", out)
        self.assertEqual(err.strip(), "", err)
        # The column numbers the tests (and the module) use are the MIB's.
        names = dict((m.group(2), int(m.group(3)))
                     for m in re.finditer(r"(smtpCheck)([A-Za-z]+)\((\d+)\)", out))
        # Compare each by name: SMIv2 allows gaps in column numbers.
        from snmp_helpers import COL
        self.assertGreater(len(COL), 50)
        for col, num in COL.items():
            key = col[0].upper() + col[1:]
            self.assertEqual(names.get(key), num, col)
        p = subprocess.run(
            [which("snmptranslate"), "-M", "+%s:%s" % (SHARED_MIBS, REPO_MIBS),
             "-m", "+SMTP-CHECK-MIB", "-On", "SMTP-CHECK-MIB::smtpCheckAlarmRaised",
             "SMTP-CHECK-MIB::smtpCheckAlarmCleared"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=tool_env({"MIBS": ""}),
            timeout=60)
        self.assertEqual(p.stdout.decode().split(), [ROOT + ".0.1", ROOT + ".0.2"])


# ---------------------------------------------------------------- 7. saved state

# A state file as an operator (or another version of the module) might
# leave it: an unknown record, unknown keys, known keys missing (last_run,
# consecutive, the statistics; enhanced_status and more in the result), and
# row 2 saved under a name that is no longer index 2's.
STATE_BY_HAND = """# written by hand by test_snmp.py
format version=2
globals loads=40 errors=3 future_key=1
row index=1 name=kept runs=1234 failures=56 skipped=7 colour=%7Bblue%7D
alarm index=1 metric=failure raised=0 count=9 last_change=1700000000
frobnicate index=1 wobble=3
row index=2 name=someone-else runs=999 failures=999
row index=3 name=stalled runs=77 failures=5 have_result=1
result index=3 error_code=19 response_code=535 failed_step=8 reply_text=535%205.7.8%20no x=1
"""

# Written before smtpCheckLastSuccess: no last_success key.
STATE_BEFORE_LAST_SUCCESS = """format version=2
row index=3 name=stalled runs=8 failures=0 have_result=1 last_run=1700000000
result index=3 error_code=0 response_code=0 failed_step=0 reply_text=221%20bye
"""

# What the module wrote before state records: a memory image in hex.
STATE_VERSION_1 = """# smtpcheck state: counters and alarm states. Written by the module.
globals 1 40 3 1700000000
row 1 1 1234 56 7 0 1700000000 1 3 9 600 100 20 90 4000 100 6b65707400 0a0b0c0d
"""


class PersistenceTest(SnmpCase):
    """smtpcheck-state.conf holds named records with a format version."""

    def state_path(self):
        return os.path.join(self.dir, "persist", "smtpcheck-state.conf")

    def start_with_state(self, text):
        fake = self.fake({})
        stalled = self.fake({"stall": "GREETING"})
        conf = write_checks(os.path.join(self.dir, "checks.conf"),
                            [check(1, "kept", fake.port, alarms={"on_error": True}),
                             check(2, "renamed", fake.port),
                             # In flight all along: its result is the saved one.
                             check(3, "stalled", stalled.port, timeout=120, step_timeout=120)],
                            {"interval": 1, "jitter": 0})
        os.makedirs(os.path.dirname(self.state_path()), exist_ok=True)
        write_file(self.state_path(), text, 0o600)
        return self.start_snmpd(conf)

    def test_hand_written_state_is_restored_by_name(self):
        self.start_with_state(STATE_BY_HAND)
        msg = self.ctx
        # The counters come back; keys the file lacks keep their defaults.
        self.assertGreaterEqual(self.runs(1), 1234, msg())
        self.assertEqual(self.get(column_oid("failures", 1)), 56, msg())
        self.assertGreaterEqual(self.get(column_oid("skippedRuns", 1)), 7, msg())
        self.assertEqual(self.get(alarm_oid("raisedCount", 1, "failure")), 9, msg())
        self.assertEqual(self.get(global_oid("configErrors")), 3, msg())
        self.assertEqual(self.get(global_oid("configLoads")), 41, msg())
        # The last result, by field name.
        r3 = self.row(3, ["runs", "failures", "status", "errorCode", "responseCode",
                          "failedStep", "lastReplyText", "enhancedStatus", "lastRun"])
        self.assertEqual(r3, {"runs": 77, "failures": 5, "status": STATUS["failed"],
                              "errorCode": ERROR["authenticationFailed"],
                              "responseCode": 535, "failedStep": STEP["auth"],
                              "lastReplyText": "535 5.7.8 no", "enhancedStatus": 0,
                              "lastRun": ""}, msg())
        # Saved before last_success existed, and failed: no success known.
        self.assertEqual(self.get(column_oid("lastSuccessUnix", 3)), 0, msg())
        self.assertEqual(self.get(column_oid("lastSuccess", 3)), "", msg())
        # Index 2 holds another check now: it starts afresh.
        self.assertLess(self.runs(2), 999, msg())
        self.assertEqual(self.get(column_oid("failures", 2)), 0, msg())
        # And the agent works on from there.
        self.assertTrue(wait_until(lambda: self.runs(1) > 1234 and self.runs(2) >= 1, 10),
                        msg())
        self.assertEqual(self.get(column_oid("status", 1)), STATUS["ok"], msg())
        self.assertEqual(self.get(column_oid("failures", 1)), 56, msg())

        # A restart round-trips the counters through the file it writes.
        runs = self.runs(1)
        self.assertEqual(self.snmpd.stop(), 0, msg())
        with open(self.state_path()) as f:
            saved = f.read()
        self.assertIn("\nformat version=2\n", saved)
        self.assertRegex(saved, r"\nrow index=1 name=kept runs=\d+ failures=56 ")
        self.assertRegex(saved, r"\nalarm index=1 metric=failure raised=0 count=9 ")
        self.assertRegex(saved, r"\nresult index=3 .*reply_text=535%205.7.8%20no")
        self.snmpd.start()
        self.assertGreaterEqual(self.runs(1), runs, msg())
        self.assertEqual(self.get(column_oid("failures", 1)), 56, msg())
        self.assertEqual(self.get(alarm_oid("raisedCount", 1, "failure")), 9, msg())
        self.assertEqual(self.get(global_oid("configLoads")), 42, msg())
        self.assertEqual(self.get(column_oid("lastReplyText", 3)), "535 5.7.8 no", msg())
        self.assert_no_crash()

    def test_state_before_last_success_is_mended(self):
        """A state file written before last_success was kept: a saved
        result that was ok is the last success known; a failed one is
        none. A new module writes the key."""
        t0 = int(time.time())
        self.start_with_state(STATE_BEFORE_LAST_SUCCESS)
        msg = self.ctx
        self.assertEqual(self.get(column_oid("lastRunUnix", 3)), 1700000000, msg())
        self.assertEqual(self.get(column_oid("lastSuccessUnix", 3)), 1700000000, msg())
        self.assertEqual(self.get(column_oid("status", 3)), STATUS["ok"], msg())
        # Check 2 has no saved row: nothing is mended for it. It may have
        # run (and succeeded) since snmpd started, never before.
        fresh = self.get(column_oid("lastSuccessUnix", 2))
        self.assertTrue(fresh == 0 or fresh >= t0, "%s\n%s" % (fresh, msg()))
        self.assertEqual(self.snmpd.stop(), 0, msg())
        with open(self.state_path()) as f:
            self.assertRegex(f.read(), r"\nrow index=3 name=stalled .*last_success=1700000000 ")

    def test_version_1_state_is_ignored(self):
        self.start_with_state(STATE_VERSION_1)
        self.assertIn("ignoring", self.snmpd.log(whole=True), self.ctx())
        self.assertLess(self.runs(1), 1234, self.ctx())
        self.assertEqual(self.get(column_oid("failures", 1)), 0, self.ctx())
        self.assertEqual(self.get(global_oid("configLoads")), 1, self.ctx())
        self.wait_rows([1, 2], 1)
        self.assert_no_crash()


# ------------------------------------------------------- history and windows

HISTORY_ENTRY = mib_oid("smtpCheckHistoryEntry")
HCOL_NAME = {num: name[len("smtpCheckHistory"):]
             for name, num in mib_children("smtpCheckHistoryEntry").items()}
STATS_ENTRY = mib_oid("smtpCheckStatsEntry")
SCOL = {name[len("smtpCheckStats"):]: num
        for name, num in mib_children("smtpCheckStatsEntry").items()}


class HistoryTest(SnmpCase):
    """smtpCheckHistoryTable, smtpCheckStatsTable and the availability
    alarm on a real agent, across a reload and a restart."""

    def history(self):
        """{index: {seq: {column: value}}}, walked with GETBULK."""
        out = {}
        for oid, v in snmpbulkwalk(self.snmpd.port, mib_oid("smtpCheckHistoryTable")).items():
            self.assertTrue(oid.startswith(HISTORY_ENTRY + "."), oid)
            col, idx, seq = (int(x) for x in oid[len(HISTORY_ENTRY) + 1:].split("."))
            out.setdefault(idx, {}).setdefault(seq, {})[HCOL_NAME[col]] = v
        return out

    def stats(self, index):
        oids = ["%s.%d.%d" % (STATS_ENTRY, num, index) for num in SCOL.values()]
        got = snmpget(self.snmpd.port, *oids)
        return {name: got["%s.%d.%d" % (STATS_ENTRY, num, index)] for name, num in SCOL.items()}

    def snapshot(self, index):
        """(row, history, stats) read while no run of INDEX ended."""
        for _ in range(100):
            before = self.runs(index)
            hist, stats = self.history(), self.stats(index)
            row = self.row(index, ["runs", "failures", "totalTimeUs", "lastRunUnix"])
            if row["runs"] == before:
                return row, hist, stats
        self.fail("runs of %d never stood still\n%s" % (index, self.ctx()))

    def test_history_windows_reload_restart(self):
        good = self.fake({})
        closed = free_tcp_port()  # nothing listens: connectionRefused
        conf = os.path.join(self.dir, "checks.conf")
        flip_alarm = {"availability": {"rising": 995, "falling": 990}}
        defaults = {"interval": 1, "jitter": 0, "history": 8}
        t0 = int(time.time())
        write_checks(conf, [check(1, "flip", good.port, alarms=flip_alarm),
                            check(2, "off", good.port, history=0),
                            check(3, "good", good.port, history=3)], defaults)
        self.start_snmpd(conf)
        self.wait_rows([1, 2], 6)
        self.assertEqual(self.get(column_oid("failures", 1)), 0, self.ctx())
        self.assertEqual(self.get(alarm_oid("state", 1, "availability")),
                         ALARM_STATE["armed"], self.ctx())

        # The same check (index and name) on a closed port: a reload, so the
        # module's rows go through its saved state.
        write_checks(conf, [check(1, "flip", closed, alarms=flip_alarm),
                            check(2, "off", good.port, history=0),
                            check(3, "good", good.port, history=3)], defaults)
        self.snmpd.hup()
        self.assertTrue(wait_until(lambda: (self.get(column_oid("failures", 1)) or 0) >= 3
                                   and self.runs(1) >= 10, WAIT, 0.2), self.ctx())
        row, hist, stats = self.snapshot(1)
        runs, failures = row["runs"], row["failures"]
        self.assertGreater(runs, 8)
        # Exactly N rows, the newest numbers, the runs in order.
        self.assertEqual(sorted(hist[1]), list(range(runs - 7, runs + 1)), self.ctx())
        for seq, h in hist[1].items():
            failed = seq > runs - failures
            self.assertEqual(h["ErrorCode"], ERROR["connectionRefused"] if failed else 0,
                             (seq, h))
            self.assertEqual(h["FailedStep"], STEP["connect"] if failed else 0, (seq, h))
            self.assertGreater(h["TotalTimeUs"], 0, (seq, h))
            self.assertTrue(t0 <= h["Time"] <= time.time() + 1, (seq, h))
            if not failed:
                self.assertEqual(h["ResponseCode"], 0, (seq, h))
                self.assertTrue(0 < h["ConnectTimeUs"] <= h["TotalTimeUs"], (seq, h))
        newest = hist[1][runs]
        self.assertEqual(newest["Time"], row["lastRunUnix"])
        self.assertEqual(newest["TotalTimeUs"], row["totalTimeUs"])
        times = [hist[1][s]["Time"] for s in sorted(hist[1])]
        self.assertEqual(times, sorted(times))
        self.assertNotIn(2, hist, "history = 0 keeps no rows")
        self.assertLessEqual(len(hist[3]), 3)
        self.assertTrue(all(h["ErrorCode"] == 0 for h in hist[3].values()), hist[3])

        # The windows: every run of this test is in both.
        want = (runs - failures) * 1000 // runs
        self.assertEqual(stats["1hRuns"], runs, (stats, self.ctx()))
        self.assertEqual(stats["24hRuns"], runs, stats)
        self.assertEqual(stats["1hAvailability"], want, stats)
        self.assertEqual(stats["24hAvailability"], want, stats)
        self.assertTrue(0 < stats["1hP50Us"] <= stats["1hP95Us"] <= stats["1hP99Us"], stats)
        s3 = self.stats(3)
        self.assertEqual(s3["1hAvailability"], 1000, s3)
        self.assertGreater(s3["1hRuns"], 0, s3)
        self.assertEqual(self.stats(2)["1hAvailability"], 1000)
        # The availability alarm (inverted): raised below 990.
        self.assertEqual(self.get(alarm_oid("state", 1, "availability")),
                         ALARM_STATE["raised"], self.ctx())
        self.assertLess(self.get(alarm_oid("value", 1, "availability")), 990)
        self.assertEqual(self.get(alarm_oid("falling", 1, "availability")), 990)
        # A window without runs reads 0 runs (none here: a missing row is absent).
        self.assertIsNone(snmpget_one(self.snmpd.port, "%s.%d.99" % (STATS_ENTRY, SCOL["1hRuns"])))
        self.assertIsNone(snmpget_one(self.snmpd.port, "%s.2.1.%d" % (HISTORY_ENTRY, runs + 5)))

        self.assertIn("index", self.snmptable("smtpCheckHistoryTable"))
        self.assertIn("index", self.snmptable("smtpCheckStatsTable"))
        # A restart: the rows come back from the saved state, numbering goes on.
        row, before, _ = self.snapshot(1)
        self.assertEqual(self.snmpd.stop(), 0, self.ctx())
        with open(os.path.join(self.dir, "persist", "smtpcheck-state.conf")) as f:
            saved = re.search(r"\nhistory index=1 seq=(\d+) runs=([-0-9.,]+)\n", f.read())
        self.assertIsNotNone(saved, "no history record in the state file")
        self.assertGreaterEqual(int(saved.group(1)), row["runs"] - 7)
        self.assertEqual(len(saved.group(2).split(",")), 8)
        self.snmpd.start()
        after = self.history()
        last = max(before[1])
        kept = [s for s in after[1] if s <= last]
        self.assertTrue(kept, "no row survived the restart: %s\n%s" % (after, self.ctx()))
        for s in kept:
            self.assertEqual(after[1][s], before[1][s], s)
        self.assertEqual(sorted(after[1]), list(range(min(after[1]), max(after[1]) + 1)))
        self.assertGreaterEqual(self.stats(1)["24hRuns"], row["runs"])
        self.assert_no_crash()


FIRST_SPREAD_S = 5   # core/engine/engine_loop.c schedule_first, first_spread_ms 0


class WalkEdgesTest(SnmpCase):
    """GETNEXT and GETBULK at the edges of the tables served by OID
    arithmetic (smtpcheck_walk.c): partial and maximal (2^32 - 1) indexes,
    the not-accessible index column, a row's last entry, the table's end.
    (A sub-identifier above 2^32 - 1 never reaches the agent: the BER
    encoding of an OID holds 32 bits, and the tools wrap it.)"""

    U32 = 4294967295

    def next_of(self, oid):
        return snmpgetnext(self.snmpd.port, oid)[0]

    def test_getnext_and_getbulk_at_the_edges(self):
        good = self.fake({})
        conf = os.path.join(self.dir, "checks.conf")
        write_checks(conf, [check(2, "a", good.port), check(5, "b", good.port)],
                     {"interval": 1, "jitter": 0, "history": 2})
        self.start_snmpd(conf)
        self.wait_rows([2, 5], 4)
        # Stop the runs (a reload to a huge interval) so the history stands still.
        write_checks(conf, [check(2, "a", good.port), check(5, "b", good.port)],
                     {"interval": 86400, "jitter": 0, "history": 2})
        self.snmpd.hup()
        # A new interval starts a new schedule: each check runs once more,
        # at a random time within the engine's first-run spread (5 s, as
        # the module sets none), then not for a day. Let that run pass, or
        # it may end while the edges are read.
        def reloaded():
            return all(str(self.get(column_oid("interval", i))) == "86400" for i in (2, 5))
        self.assertTrue(wait_until(reloaded, WAIT), self.ctx())
        time.sleep(FIRST_SPREAD_S + 0.5)

        def still():  # no run ends over a second
            before = (self.runs(2), self.runs(5))
            time.sleep(1)
            return before == (self.runs(2), self.runs(5))
        self.assertTrue(wait_until(still, WAIT, 0), self.ctx())
        h = {}
        for oid in snmpbulkwalk(self.snmpd.port, mib_oid("smtpCheckHistoryTable")):
            col, idx, seq = (int(x) for x in oid[len(HISTORY_ENTRY) + 1:].split("."))
            h.setdefault(idx, []).append(seq) if col == 2 else None
        self.assertEqual(sorted(h), [2, 5], (h, self.ctx()))
        first2, last2, first5, last5 = h[2][0], h[2][-1], h[5][0], h[5][-1]
        E, U = HISTORY_ENTRY, self.U32
        want = {
            mib_oid("smtpCheckHistoryTable"): "%s.2.2.%d" % (E, first2),
            E: "%s.2.2.%d" % (E, first2),
            E + ".1": "%s.2.2.%d" % (E, first2),            # the index column: not served
            E + ".2": "%s.2.2.%d" % (E, first2),
            E + ".2.0": "%s.2.2.%d" % (E, first2),
            E + ".2.2": "%s.2.2.%d" % (E, first2),           # a partial index
            E + ".2.3": "%s.2.5.%d" % (E, first5),           # between rows
            "%s.2.2.%d" % (E, last2): "%s.2.5.%d" % (E, first5),
            "%s.2.2.%d.7" % (E, last2): "%s.2.5.%d" % (E, first5),
            "%s.2.2.%d" % (E, U): "%s.2.5.%d" % (E, first5),
            "%s.2.5.%d" % (E, last5): "%s.3.2.%d" % (E, first2),  # the next column
            "%s.2.%d" % (E, U): "%s.3.2.%d" % (E, first2),
            STATS_ENTRY + ".1.2": STATS_ENTRY + ".1.5",
            STATS_ENTRY + ".1.2.9.9": STATS_ENTRY + ".1.5",
            STATS_ENTRY + ".1.5": STATS_ENTRY + ".2.2",
            STATS_ENTRY + ".0": STATS_ENTRY + ".1.2",
        }
        got = {oid: self.next_of(oid) for oid in want}
        self.assertEqual({k: v for k, v in got.items() if v != want[k]}, {},
                         "expected: %s" % {k: want[k] for k in got if got[k] != want[k]})
        # The tables' ends: what follows lies outside them, and is after them.
        for oid, table in (("%s.8.5.%d" % (E, last5), HISTORY_ENTRY),
                           ("%s.9" % E, HISTORY_ENTRY),
                           (STATS_ENTRY + ".10.5", STATS_ENTRY),
                           (TARGET_ENTRY, TARGET_ENTRY)):
            nxt = self.next_of(oid)
            self.assertTrue(nxt is None or not nxt.startswith(table + "."), (oid, nxt))
        # GETBULK across the end of the history table: the entries, then beyond.
        bulk = list(snmpbulkget(self.snmpd.port, "%s.8.2.%d" % (E, last2), 20))
        self.assertEqual(bulk[0], "%s.8.5.%d" % (E, first5), bulk)
        inside = [o for o in bulk if o.startswith(E + ".")]
        self.assertEqual(inside, ["%s.8.5.%d" % (E, s) for s in h[5]], bulk)
        self.assertTrue(all(not o.startswith(E + ".") for o in bulk[len(inside):]), bulk)
        self.assert_no_crash()


TARGET_ENTRY = mib_oid("smtpCheckTargetEntry")
TCOL_NAME = {num: name[len("smtpCheckTarget"):]
             for name, num in mib_children("smtpCheckTargetEntry").items()}
MX_GOOD = {"A": ["127.0.0.1"], "AAAA": ["::1"]}


class MxTest(SnmpCase):
    """Whole-domain MX checks in the agent: smtpCheckTargetTable, the
    parent row's result by policy and its alarms, rows following DNS.
    The DNS server is tests/fake/fakedns.py (dns_servers): never a real one."""

    def targets(self):
        """{index: {target: {column: value}}}, walked with GETBULK."""
        out = {}
        for oid, v in snmpbulkwalk(self.snmpd.port, mib_oid("smtpCheckTargetTable")).items():
            self.assertTrue(oid.startswith(TARGET_ENTRY + "."), oid)
            col, idx, t = (int(x) for x in oid[len(TARGET_ENTRY) + 1:].split("."))
            out.setdefault(idx, {}).setdefault(t, {})[TCOL_NAME[col]] = v
        return out

    def zone(self, moving):
        return {"good.mx.test": MX_GOOD, "bad.mx.test": {"A": ["127.0.0.2"]},
                "v4.mx.test": {"A": ["127.0.0.1"]},
                "two.test": {"MX": [[20, "bad.mx.test"], [10, "good.mx.test"]]},
                "null.test": {"MX": [[0, "."]]},
                "moving.test": {"MX": moving}}

    def wait_targets(self, index, n):
        """INDEX's n target rows, each whole: a walk that crosses a run
        sees the rows being replaced (one column of a row may be walked
        before the row exists, the next after), so walk again until one
        walk saw every column of n rows."""
        got = {}

        def ready():
            got.clear()
            got.update(self.targets())
            rows = got.get(index, {})
            # TCOL_NAME also names the not-accessible index column.
            return len(rows) == n and all(len(c) == len(TCOL_NAME) - 1 for c in rows.values())
        self.assertTrue(wait_until(ready, WAIT, 0.2),
                        "check %d never had %d targets: %s\n%s" % (index, n, got, self.ctx()))
        return got[index]

    def test_target_table_policies_and_dns_changes(self):
        smtp4 = self.fake({})
        smtp6 = self.enterContext(FakeServer({}, host="::1", port=smtp4.port))
        dns = self.enterContext(FakeDns(self.zone([[10, "v4.mx.test"]])))
        conf = os.path.join(self.dir, "checks.conf")
        on_error = {"on_error": True}
        mx = {"port": smtp4.port, "alarms": on_error}
        write_checks(conf, [
            {"index": 1, "name": "all", "mx": "two.test", "mx_policy": "all", **mx},
            {"index": 2, "name": "any", "mx": "two.test", "mx_policy": "any", **mx},
            {"index": 3, "name": "primary", "mx": "two.test", "mx_policy": "primary", **mx},
            {"index": 4, "name": "null", "mx": "null.test", **mx},
            {"index": 5, "name": "moving", "mx": "moving.test", **mx},
            check(6, "host", smtp4.port)],
            {"interval": 1, "jitter": 0, "dns_servers": dns.server})
        self.start_snmpd(conf)
        self.wait_rows([1, 2, 3, 4, 5, 6], 2)
        rows = self.targets()
        # Three targets for two.test, in preference order, with their results.
        for idx in (1, 2, 3):
            t = rows[idx]
            self.assertEqual(sorted(t), [1, 2, 3], (idx, t))
            self.assertEqual({(t[i]["Exchanger"], t[i]["Address"], t[i]["AddressType"])
                              for i in (1, 2)},
                             {("good.mx.test", "127.0.0.1", 1), ("good.mx.test", "::1", 2)})
            for i in (1, 2):
                self.assertEqual((t[i]["Preference"], t[i]["Status"], t[i]["ErrorCode"]),
                                 (10, STATUS["ok"], 0), t[i])
                self.assertTrue(0 < t[i]["ConnectTimeUs"] <= t[i]["TotalTimeUs"], t[i])
                self.assertGreater(t[i]["DnsTimeUs"], 0, t[i])
                self.assertEqual(t[i]["Detail"], "")
            bad = t[3]
            self.assertEqual((bad["Exchanger"], bad["Preference"], bad["Address"]),
                             ("bad.mx.test", 20, "127.0.0.2"))
            self.assertEqual((bad["Status"], bad["ErrorCode"], bad["FailedStep"]),
                             (STATUS["failed"], ERROR["connectionRefused"], STEP["connect"]))
            self.assertEqual(bad["ResponseCode"], -1)
            self.assertEqual(bad["ViaCname"], 2)
        # The parent rows: the domain as host, the result by policy, alarms after it.
        r = {i: self.row(i, ["host", "status", "errorCode"]) for i in (1, 2, 3, 4, 6)}
        self.assertEqual(r[1]["host"], "two.test")
        self.assertEqual((r[1]["errorCode"], r[1]["status"]),
                         (ERROR["connectionRefused"], STATUS["alarm"]), self.ctx())
        self.assertEqual((r[2]["errorCode"], r[2]["status"]), (0, STATUS["ok"]))
        self.assertEqual((r[3]["errorCode"], r[3]["status"]), (0, STATUS["ok"]))
        self.assertEqual(self.get(alarm_oid("state", 1, "failure")), ALARM_STATE["raised"])
        self.assertEqual(self.get(alarm_oid("state", 2, "failure")), ALARM_STATE["armed"])
        # A null MX: its own error, no target rows; a host check has none either.
        self.assertEqual(r[4]["errorCode"], ERROR["nullMx"])
        self.assertNotIn(4, rows)
        self.assertNotIn(6, rows)
        self.assertEqual(r[6]["status"], STATUS["ok"])
        # Rows appear and disappear as DNS changes, re-resolved each run.
        self.assertEqual(len(rows[5]), 1, rows.get(5))
        dns.set_zone(self.zone([[10, "v4.mx.test"], [20, "bad.mx.test"]]))
        t = self.wait_targets(5, 2)
        self.assertEqual([t[i]["Exchanger"] for i in (1, 2)], ["v4.mx.test", "bad.mx.test"])
        dns.set_zone(self.zone([[20, "bad.mx.test"]]))
        t = self.wait_targets(5, 1)
        self.assertEqual(t[1]["Address"], "127.0.0.2")
        self.assertIsNone(snmpget_one(self.snmpd.port, "%s.5.5.2" % TARGET_ENTRY))
        # The table with the MIB loaded: types and lengths as the MIB says.
        out = self.walk_with_mib("smtpCheckTargetTable")
        self.assertIn("smtpCheckTargetAddress.1.", out)
        self.assertIn("good.mx.test", self.snmptable("smtpCheckTargetTable"))
        self.assertTrue(any(q.startswith("MX two.test") for q in dns.queries()))
        self.restart_keeps_targets(conf, mx, smtp4.port)
        self.assert_no_crash()
        del smtp6

    def restart_keeps_targets(self, conf, mx, port):
        """A restart brings the target rows back from the saved state. After
        it, the DNS server never answers (a bound UDP socket nobody reads)
        and the timeout is long, so no run ends while the rows are read:
        what the table shows is what was saved."""
        keep = ("Exchanger", "Preference", "AddressType", "Address", "Status", "ErrorCode")
        before = {i: self.wait_targets(i, n) for i, n in ((1, 3), (5, 1))}
        silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.addCleanup(silent.close)
        silent.bind((LOOPBACK, 0))
        write_checks(conf, [
            {"index": 1, "name": "all", "mx": "two.test", "mx_policy": "all", **mx},
            {"index": 5, "name": "moving", "mx": "moving.test", **mx},
            check(6, "host", port)],
            {"interval": 1, "jitter": 0, "timeout": 20,
             "dns_servers": "%s:%d" % silent.getsockname()})
        self.assertEqual(self.snmpd.stop(), 0, self.ctx())
        with open(os.path.join(self.dir, "persist", "smtpcheck-state.conf")) as f:
            self.assertIn("\ntarget index=1 target=3 ", f.read())
        self.snmpd.start()
        after = self.targets()
        self.assertEqual(sorted(after), [1, 5], (after, self.ctx()))
        for i in (1, 5):
            self.assertEqual({t: {c: v[c] for c in keep} for t, v in after[i].items()},
                             {t: {c: v[c] for c in keep} for t, v in before[i].items()}, i)


class SaveInStepsTest(SnmpCase):
    """The periodic save (every 30 s) writes the rows in steps of at most
    64 from snmpd's main thread, never all of them in one go (issue 13,
    defect 3); the file is still one whole file in the same format."""

    ROWS = 300

    def test_periodic_save_in_steps(self):
        fake = self.fake({})
        conf = write_checks(os.path.join(self.dir, "checks.conf"),
                            [check(i, "c%d" % i, fake.port) for i in range(1, self.ROWS + 1)],
                            {"interval": 5, "jitter": 0})
        self.start_snmpd(conf, args=["-Dsmtpcheck:save"])
        done = re.compile(r"smtpcheck:save: saved (\d+) rows in (\d+) steps")

        def saves():  # (rows, steps) of every save so far
            return [tuple(map(int, x)) for x in done.findall(self.snmpd.log())]

        # Net-SNMP's own store at start saves whole (1 step); the periodic
        # save comes 30 s after the start.
        self.assertTrue(wait_until(lambda: any(st > 1 for _, st in saves()), 60), self.ctx())
        rows, steps = [x for x in saves() if x[1] > 1][0]
        self.assertEqual(rows, self.ROWS, self.ctx())
        self.assertGreaterEqual(steps, 3, self.ctx())  # 300 rows, 64 a step
        path = os.path.join(self.dir, "persist", "smtpcheck-state.conf")
        with open(path) as f:
            saved = f.read()
        self.assertIn("\nformat version=2\n", saved)
        indexes = [int(x) for x in re.findall(r"^row index=(\d+) ", saved, re.M)]
        self.assertEqual(indexes, list(range(1, self.ROWS + 1)))
        self.assertFalse(os.path.exists(path + ".tmp"))
        self.assertEqual(self.get(column_oid("status", self.ROWS)), STATUS["ok"], self.ctx())
        self.assert_no_crash()


if __name__ == "__main__":
    unittest.main()
