"""smtpcheck-agentx: the module as an AgentX subagent of a private snmpd.

Run from this directory with Debian's interpreter:
    cd tests/integration && /usr/bin/python3 -m unittest -v test_agentx

Environment: SMTPCHECK_AGENTX (default <repo>/build/module/smtpcheck-agentx),
SMTPCHECK_TEST_TMP (scratch directory). The master listens on
udp:127.0.0.1:<free port> and on a Unix AgentX socket in the scratch
directory.

The subagent runs under ASan in the sanitizer build, on machines that may
be busy: every wait polls for what it waits for, with a deadline many times
what it needs (WAIT). The one upper bound, on the exit after SIGTERM, is a
check's step timeout: what an exit that waited for runs in flight would take.
"""

import os
import signal
import sys
import time
import unittest

from helpers import FakeServer
from snmp_helpers import (
    ALARM_STATE, ERROR, LOOPBACK, METRIC, ROOT, STATUS, STEP, SYS_UPTIME, ScratchDirCase, Snmpd,
    Subagent, Switchboard, TrapReceiver, alarm_oid, check, column_oid, free_tcp_port, get_row,
    raw_get, require, snmpbulkwalk, snmpget_one, snmpwalk, table_rows, wait_until,
    write_checks)

WAIT = 60          # s: the deadline of every wait below (each takes ~1 s)
STOP_WAIT = 30     # s: how long SIGTERM may take before the subagent is killed
CHECK_STEP = 10    # s: the checks' step timeout (the default)


class AgentXTest(ScratchDirCase):

    dir_prefix = "agentx-"

    def setUp(self):
        require(agentx=True, tools=("snmpd", "snmpget", "snmpwalk", "snmptrapd"))
        self.make_dir()
        self.sock = os.path.join(self.dir, "agentx.sock")
        if len(self.sock) > 100:  # sun_path is 108 bytes
            self.make_dir("/tmp")
            self.sock = os.path.join(self.dir, "agentx.sock")
        self.trapd = TrapReceiver(os.path.join(self.dir, "trapd")).start()
        self.addCleanup(self.trapd.stop)
        self.master = Snmpd(os.path.join(self.dir, "master"), module=False,
                            trap_port=self.trapd.port, agentx_socket=self.sock)
        self.addCleanup(self.master.stop)
        self.master.start()
        self.sub = None

    def start_subagent(self, conf, snmp_conf=None):
        self.sub = Subagent(os.path.join(self.dir, "sub"), self.sock, conf,
                            snmp_conf=snmp_conf)
        self.addCleanup(self.sub.stop)
        self.sub.start()
        return self.sub

    def ctx(self):
        parts = ["---- master log:\n" + self.master.log(whole=True)[-2000:]]
        if self.sub is not None:
            parts.append("---- subagent log:\n" + self.sub.log()[-2000:])
            parts.append("---- subagent stderr:\n" + self.sub.stderr_text()[-1000:])
        parts.append("---- traps:\n" + "\n".join(
            l for l in self.trapd.raw_log().splitlines() if l.startswith("TRAP"))[-2000:])
        return "\n".join(parts)

    def get(self, oid):
        return snmpget_one(self.master.port, oid)

    def registered(self):
        """The subagent's rows answer through the master."""
        try:
            return self.get(column_oid("name", 1)) is not None
        except Exception:  # noqa: BLE001 - a timeout while reconnecting
            return False

    def test_subagent(self):
        good = FakeServer({})
        self.enterContext(good)
        closed_port = free_tcp_port()
        sb = Switchboard().open(good.port)
        self.addCleanup(sb.stop)
        conf = write_checks(
            os.path.join(self.dir, "checks.conf"),
            [check(1, "good", good.port),
             check(2, "closed", closed_port),
             check(3, "switched", sb.port, alarms={"on_error": True})],
            {"interval": 1, "jitter": 0})
        # Problems that should fail the test but leave the rest testable
        # are collected in soft and reported at the end.
        soft = []
        sub = self.start_subagent(conf)
        loaded = wait_until(lambda: "checks from" in sub.log(), WAIT, 0.1)
        if not loaded:
            soft.append("smtpcheck-agentx -c %s loaded no checks (log: %r); retried with "
                        "-C holding 'smtpcheckConfig'" % (conf, sub.log()[-500:]))
            sub.stop()
            extra = os.path.join(self.dir, "agentx-extra.conf")
            with open(extra, "w") as f:
                f.write("smtpcheckConfig %s\n" % conf)
            sub = self.start_subagent(conf, snmp_conf=extra)
        # The first runs are spread over the first interval: wait for all.
        ok = wait_until(lambda: self.registered() and all(
            (self.get(column_oid("runs", i)) or 0) >= 1 for i in (1, 2, 3)), WAIT, 0.2)
        self.assertTrue(ok, "the subagent's table never showed up\n%s\n%s" % (soft,
                                                                               self.ctx()))

        # GETs through the master, as for the dlmod module.
        port = self.master.port
        r1 = get_row(port, 1)
        r2 = get_row(port, 2)
        msg = "%s\n%s\n%s" % (r1, r2, self.ctx())
        self.assertEqual(r1["name"], "good", msg)
        self.assertEqual(r1["host"], LOOPBACK, msg)
        self.assertEqual(r1["port"], good.port, msg)
        self.assertEqual(r1["status"], STATUS["ok"], msg)
        self.assertEqual(r1["responseCode"], 0, msg)
        self.assertEqual(r1["errorCode"], 0, msg)
        self.assertEqual(r1["failedStep"], STEP["none"], msg)
        self.assertTrue(0 <= r1["connectTime"] <= r1["totalTime"], msg)
        self.assertIn("fake.test", r1["greeting"], msg)
        self.assertGreaterEqual(r1["runs"], 1, msg)
        # The explicit columns, through the master too: a plain check saw
        # no certificate; loopback phases show in microseconds.
        self.assertEqual(r1["certSeen"], 2, msg)  # false
        self.assertGreater(r1["connectTimeUs"], 0, msg)
        self.assertGreater(r1["totalTimeUs"], 0, msg)
        self.assertLessEqual(abs(r1["lastRunUnix"] - time.time()), 10, msg)
        self.assertEqual(r1["lastSuccessUnix"], r1["lastRunUnix"], msg)
        self.assertEqual(r2["lastSuccessUnix"], 0, msg)  # never succeeded
        self.assertEqual(r2["name"], "closed", msg)
        self.assertEqual(r2["port"], closed_port, msg)
        self.assertEqual(r2["status"], STATUS["failed"], msg)
        self.assertEqual(r2["errorCode"], ERROR["connectionRefused"], msg)
        self.assertEqual(r2["failedStep"], STEP["connect"], msg)
        self.assertEqual(r2["responseCode"], -1, msg)
        self.assertEqual(r2["failures"], r2["runs"], msg)
        walked = table_rows(snmpwalk(port, ROOT + ".1.1"))
        self.assertEqual(sorted(walked), [1, 2, 3], self.ctx())
        self.assertEqual(walked[2]["errorCode"], ERROR["connectionRefused"])
        bulk = table_rows(snmpbulkwalk(port, ROOT + ".1.1"))
        self.assertEqual(sorted(bulk), [1, 2, 3])
        for i in (1, 2, 3):
            for c in ("name", "host", "port", "errorCode", "failedStep"):
                self.assertEqual(bulk[i][c], walked[i][c], (i, c))
        runs = r1["runs"]  # interval 1 s: it keeps running
        self.assertTrue(wait_until(lambda: (self.get(column_oid("runs", 1)) or 0) > runs, WAIT,
                                   0.2),
                        "runs stayed at %d\n%s" % (runs, self.ctx()))

        # A trap raised and cleared, sent through the master's trap2sink.
        sb.close()
        t = self.trapd.wait_for(lambda t: t.raised and t.get("metric") == METRIC["failure"],
                                WAIT)
        self.assertIsNotNone(t, "no smtpCheckAlarmRaised through the master\n" + self.ctx())
        self.assertEqual(t.get("name", 3), "switched", t)
        # Refused, or closed when the switchboard dropped a connection
        # that was still in its backlog.
        self.assertIn(t.get("errorCode", 3), (ERROR["connectionRefused"], ERROR["closed"]), t)
        self.assertNotEqual(t.get("failedStep", 3), STEP["none"], t)
        # The server and the reason, from the trap alone.
        self.assertEqual(t.get("host", 3), LOOPBACK, t)
        self.assertEqual(t.get("port", 3), sb.port, t)
        self.assertNotEqual(t.get("errorDetail", 3) or "", "", t)
        self.assertEqual(self.get(alarm_oid("state", 3, "failure")), ALARM_STATE["raised"])
        sb.open(good.port)
        t = self.trapd.wait_for(lambda t: t.cleared and t.get("metric") == METRIC["failure"],
                                WAIT)
        self.assertIsNotNone(t, "no smtpCheckAlarmCleared through the master\n" + self.ctx())
        self.assertEqual(t.get("errorCode", 3), 0, t)
        self.assertEqual((t.get("host", 3), t.get("port", 3), t.get("errorDetail", 3)),
                         (LOOPBACK, sb.port, ""), t)
        self.assertEqual(self.get(alarm_oid("state", 3, "failure")), ALARM_STATE["armed"])
        self.assertEqual(len([t for t in self.trapd.traps() if t.raised]), 1, self.ctx())

        # The master restarts: the subagent reconnects by itself.
        runs = self.get(column_oid("runs", 1))
        self.master.stop()
        time.sleep(1)
        self.assertTrue(sub.alive(), "the subagent died with its master\n" + self.ctx())
        self.master.start()
        restarted = time.monotonic()
        # It pings the master every 5 s and reconnects when a ping fails.
        ok = wait_until(self.registered, WAIT, 0.25)
        took = time.monotonic() - restarted
        print("FIGURE: subagent answered again %.1f s after the master restarted" % took,
              file=sys.stderr)
        self.assertTrue(ok, "no rows %d s after the master restarted\n%s" % (WAIT, self.ctx()))
        self.assertGreaterEqual(self.get(column_oid("runs", 1)), runs,
                                "counters reset by the reconnect")
        self.assertEqual(self.get(column_oid("errorCode", 2)), ERROR["connectionRefused"])
        raw_get(self.master.port, SYS_UPTIME)

        # SIGTERM: a prompt, clean exit: it aborts runs in flight rather
        # than wait for their step timeout (or for anything else that long).
        start = time.monotonic()
        rc = sub.stop(signal.SIGTERM, timeout=STOP_WAIT)
        took = time.monotonic() - start
        print("FIGURE: subagent exit took %.2f s after SIGTERM" % took, file=sys.stderr)
        self.assertEqual(rc, 0, "exit status %s\n%s" % (rc, self.ctx()))
        self.assertLess(took, CHECK_STEP, "SIGTERM took %.1f s" % took)
        self.assertIn("stopping", sub.log())
        # Its rows are gone from the master, which keeps running.
        self.assertTrue(wait_until(lambda: not self.registered(), WAIT, 0.2),
                        "the rows outlived the subagent")
        raw_get(self.master.port, SYS_UPTIME)
        self.assertTrue(self.master.alive())
        self.assertEqual(soft, [])


if __name__ == "__main__":
    unittest.main()
