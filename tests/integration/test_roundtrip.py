"""Integration tests: the round trip (issue 11) through a real Postfix that
delivers into the Maildir a real Dovecot serves (scripts/mailstack).

Run from this directory with Debian's python, as root:
    cd tests/integration && /usr/bin/python3 -m unittest -v test_roundtrip

The stack is this module's own (DIR = $SMTPCHECK_TEST_TMP/mailstack-roundtrip,
or a temporary directory), so holding its queue touches no other test.

- MessageTests: the test mail of a round-trip check, as Postfix delivered
  it, carries the token in X-Smtpcheck-Token and in its Message-ID, the
  check in X-Smtpcheck-Check, and the queue ID the CLI reports is the one
  Postfix gave it.
- RoundTripTests (they need the IMAP/POP3 FIND client; skipped, saying
  why, while the build reports none): the delivery time through the real
  stack, the mailbox left clean with other mail untouched; with delivery
  deferred (defer_transports) a deliveryTimeout naming the queue ID, and
  success again after the release.
- SnmpTrapTests: the same two transitions in smtpcheck.so inside a real
  snmpd, as smtpCheckAlarmRaised / smtpCheckAlarmCleared (failure) seen by
  a real snmptrapd; the raised one names the queue ID in errorDetail, and
  smtpCheckTable publishes the delivery time and its statistics.
"""

import email
import email.policy
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest

from helpers import describe, read_env, run_check, smtpcheck_bin
from snmp_helpers import (ERROR, METRIC, STEP, ScratchDirCase, Snmpd, TrapReceiver, check,
                          get_row, require, wait_until, write_checks)

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
MAILSTACK = os.path.join(REPO, "scripts", "mailstack")
HOST = "127.0.0.1"
DELIVERY_WAIT = 30.0   # s: for Postfix to deliver (well under 1 s)
NO_CLIENT = "client in this build"

STACK = {}
_dir = None
_own_tmp = None


def _mailstack(action, directory, timeout=120):
    return subprocess.run([MAILSTACK, action, directory], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=timeout)


def setUpModule():
    global _dir, _own_tmp
    if not os.access(smtpcheck_bin(), os.X_OK):
        raise unittest.SkipTest("smtpcheck CLI not built: %s" % smtpcheck_bin())
    if os.geteuid() != 0:
        raise unittest.SkipTest("the Postfix/Dovecot stack needs root")
    for prog in ("/usr/sbin/postfix", "/usr/sbin/dovecot"):
        if not os.access(prog, os.X_OK):
            raise unittest.SkipTest("%s is not installed" % prog)
    base = os.environ.get("SMTPCHECK_TEST_TMP")
    if base:
        _dir = os.path.join(os.path.abspath(base), "mailstack-roundtrip")
    else:
        _own_tmp = tempfile.mkdtemp(prefix="smtpcheck-roundtrip-")
        _dir = _own_tmp
    p = _mailstack("start", _dir)
    if p.returncode != 0:
        raise RuntimeError("scripts/mailstack start %s failed (exit %d):\n%s%s"
                           % (_dir, p.returncode, p.stdout, p.stderr))
    STACK.update(read_env(os.path.join(_dir, "env")))


def tearDownModule():
    if _dir:
        defer_delivery(False)
        p = _mailstack("stop", _dir)
        if p.returncode != 0:
            print("scripts/mailstack stop failed:", p.stderr)
    if _own_tmp:
        shutil.rmtree(_own_tmp, True)


def postfix(*args):
    conf = os.path.join(_dir, "postfix")
    subprocess.run(list(args[:1]) + ["-c", conf] + list(args[1:]), check=True,
                   stdin=subprocess.DEVNULL, capture_output=True, timeout=60)


def defer_delivery(on):
    """Postfix keeps (or stops keeping) mail for the mailbox in its queue."""
    if not STACK:
        return
    postfix("postconf", "-e", "defer_transports = %s" % ("virtual" if on else ""))
    postfix("postfix", "reload")
    if not on:
        postfix("postqueue", "-f")


def maildir_files():
    out = []
    for sub in ("new", "cur"):
        d = os.path.join(STACK["MAILDIR"], sub)
        out += [os.path.join(d, n) for n in sorted(os.listdir(d))] if os.path.isdir(d) else []
    return out


def read_mail(path):
    with open(path, "rb") as f:
        return email.message_from_binary_file(f, policy=email.policy.compat32)


def probe_mails():
    return [p for p in maildir_files() if read_mail(p)["X-Smtpcheck-Token"] is not None]


def put_unrelated_mail():
    """A mail that is not ours, delivered as Dovecot would find it."""
    path = os.path.join(STACK["MAILDIR"], "new", "%d.unrelated.smtpcheck-test" % time.time_ns())
    with open(path, "w") as f:
        f.write("From: someone@example.org\r\nTo: %s\r\nSubject: not a probe\r\n"
                "Message-ID: <unrelated@example.org>\r\n\r\nkeep me\r\n" % STACK["RCPT"])
    return path


def roundtrip_check(timeout=10, extra=()):
    """The CLI's round trip; a check without a name is tagged with its host."""
    args = ["-p", STACK["PLAIN_PORT"], "--timeout", "10",
            "--from", "probe@" + STACK["DOMAIN"], "--to", STACK["RCPT"],
            "--roundtrip", "imap://%s@%s:%s/INBOX" % (STACK["USER"], HOST, STACK["IMAP_PORT"]),
            "--roundtrip-password-file", STACK["PASSWORD_FILE"], "--roundtrip-allow-insecure",
            "--roundtrip-timeout", str(timeout)] + list(extra) + [HOST]
    status, data, stderr, wall = run_check(args, timeout=timeout + 60)
    return status, data, describe(status, data, stderr) + "\nwall=%.3fs" % wall


def wait_for(pred, limit):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        got = pred()
        if got:
            return got
        time.sleep(0.1)
    return pred()


class MessageTests(unittest.TestCase):
    def test_probe_mail_headers_and_queue_id(self):
        """Delivery held, so that the round trip cannot take the mail away
        before it is looked at; released, it lands in the Maildir."""
        for p in probe_mails():
            os.unlink(p)
        defer_delivery(True)
        try:
            status, data, why = roundtrip_check(timeout=2)
        finally:
            defer_delivery(False)
        self.assertIsNotNone(data, why)
        qid = data.get("queue_id")
        self.assertRegex(qid or "", r"^[0-9A-Za-z]{6,}$", why)
        self.assertIn("queued as " + qid, data.get("queue_reply") or "", why)
        found = wait_for(probe_mails, DELIVERY_WAIT)
        self.assertEqual(len(found), 1, why)
        m = read_mail(found[0])
        self.assertRegex(m["X-Smtpcheck-Token"], r"^<[0-9]{1,20}\.[0-9a-f]{16}>$")
        token = m["X-Smtpcheck-Token"].strip("<>")
        self.assertRegex(m["Message-ID"], r"^<%s@[^>]+>$" % re.escape(token))
        self.assertEqual(m["X-Smtpcheck-Check"], "<%s>" % HOST)
        received = " ".join(m.get_all("Received") or [])
        self.assertRegex(received, r"with E?SMTP id %s\b" % re.escape(qid), received)
        os.unlink(found[0])


def client_missing():
    """Why the round trip cannot poll in this build, or None."""
    status, data, _ = roundtrip_check(timeout=5)
    for p in probe_mails():
        os.unlink(p)
    detail = (data or {}).get("error_detail") or ""
    return detail if NO_CLIENT in detail else None


class RoundTripTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        why = client_missing()
        if why:
            raise unittest.SkipTest(why)

    def test_delivery_time_and_a_clean_mailbox(self):
        unrelated = put_unrelated_mail()
        status, data, why = roundtrip_check()
        self.assertTrue(data and data.get("ok"), why)
        t = data.get("delivery_time_ms")
        print("\nround trip: delivery time %.1f ms, queue ID %s" % (t, data.get("queue_id")))
        self.assertTrue(t is not None and 0 < t < 10000, why)
        self.assertIn("delivery", data.get("phases_run") or [], why)
        self.assertEqual(probe_mails(), [], "probe mails left behind")
        self.assertTrue(os.path.exists(unrelated) or any(
            read_mail(p)["Message-ID"] == "<unrelated@example.org>" for p in maildir_files()),
            "the unrelated mail is gone")

    def test_deferred_delivery_times_out_then_recovers(self):
        defer_delivery(True)
        try:
            status, data, why = roundtrip_check(timeout=4)
        finally:
            defer_delivery(False)
        self.assertIsNotNone(data, why)
        self.assertEqual((data.get("error_name"), data.get("failed_step")),
                         ("deliveryTimeout", "delivery"), why)
        self.assertIn(data.get("queue_id") or "?", data.get("error_detail") or "", why)
        # the held mail arrives now; the next run finds its own and deletes both
        status, data, why = roundtrip_check()
        self.assertTrue(data and data.get("ok"), why)
        self.assertEqual(probe_mails(), [], "probe mails left behind")


class SnmpTrapTests(ScratchDirCase):
    """Traps for both transitions of a round-trip check in snmpd."""

    @classmethod
    def setUpClass(cls):
        why = client_missing()
        if why:
            raise unittest.SkipTest(why)

    def setUp(self):
        require(module=True, tools=("snmpd", "snmpget", "snmptrapd"))
        self.make_dir()

    def test_traps_for_deferred_and_released_delivery(self):
        trapd = TrapReceiver(os.path.join(self.dir, "trapd")).start()
        self.addCleanup(trapd.stop)
        conf = write_checks(os.path.join(self.dir, "checks.conf"), [check(
            1, "roundtrip", int(STACK["PLAIN_PORT"]),
            mail={"from": "probe@" + STACK["DOMAIN"], "to": [STACK["RCPT"]]},
            roundtrip={"protocol": "imap", "host": HOST, "port": int(STACK["IMAP_PORT"]),
                       "user": STACK["USER"], "password_file": STACK["PASSWORD_FILE"],
                       "allow_insecure": True, "timeout": 4},
            alarms={"on_error": True})], {"interval": 6, "jitter": 0, "timeout": 10})
        defer_delivery(True)
        self.addCleanup(defer_delivery, False)
        d = Snmpd(self.dir, checks_conf=conf, trap_port=trapd.port)
        self.addCleanup(d.stop)
        d.start()
        failure = METRIC["failure"]
        t = trapd.wait_for(lambda t: t.raised and t.get("metric") == failure, 60)
        self.assertIsNotNone(t, "no smtpCheckAlarmRaised while delivery was deferred\n"
                             + d.log(whole=True)[-3000:])
        self.assertEqual(t.get("errorCode", 1), ERROR["deliveryTimeout"], t)
        self.assertEqual(t.get("failedStep", 1), STEP["delivery"], t)
        detail = t.get("errorDetail", 1)
        self.assertRegex(detail, r"queued as [0-9A-Za-z]{6,}", t)
        print("\nraised: %s" % detail)
        defer_delivery(False)
        t = trapd.wait_for(lambda t: t.cleared and t.get("metric") == failure, 60)
        self.assertIsNotNone(t, "no smtpCheckAlarmCleared after the release\n"
                             + d.log(whole=True)[-3000:])
        self.assertEqual(t.get("errorCode", 1), 0, t)
        row = get_row(d.port, 1)
        print("cleared; delivery time %s ms (min %s, avg %s, max %s)" % (
            row.get("deliveryTime"), row.get("minDeliveryTime"), row.get("avgDeliveryTime"),
            row.get("maxDeliveryTime")))
        self.assertTrue(0 < row.get("deliveryTimeUs", 0) < 10000000, row)
        self.assertEqual(row.get("minDeliveryTime"), row.get("maxDeliveryTime"), row)
        self.assertTrue(wait_until(lambda: probe_mails() == [], 10), "probe mails left behind")


if __name__ == "__main__":
    unittest.main()
