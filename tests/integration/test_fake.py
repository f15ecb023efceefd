"""Integration tests: the smtpcheck CLI against the scripted fake server.

Run from this directory with Debian's python:
    cd tests/integration && /usr/bin/python3 -m unittest -v test_fake

Environment: SMTPCHECK_BIN (the CLI; default <repo>/build/cli/smtpcheck),
SMTPCHECK_TEST_TMP (scratch directory; default a temporary one).
Every test starts its own fake server on 127.0.0.1 (tests/fake/fakesmtp.py)
and asserts error_name, failed_step and response_code from --json output,
plus that the timings are plausible.

Timing assertions hold on a loaded machine under ASan: lower bounds (a
timeout never fires early), relations between the run's own figures
(no phase longer than the total, the total no longer than the wall time),
and upper bounds tied to a timeout of the test's making, so that a broken
client overshoots them by whole seconds. How fast the CLI is belongs in a
benchmark, not here.
"""

import base64
import os
import unittest

from helpers import (CertCase, FakeServer, describe, documented_json_keys, free_port,
                     run_check)

MAIL_TX = ["--from", "a@fake.test", "--to", "b@fake.test"]
PASSWORD_ENV = {"SMTPCHECK_PASSWORD": "secret"}
EXIT_OK, EXIT_FAILED = 0, 2
STALL_STEP = 2    # --step-timeout for the stalled-server tests (s)
OVERALL = 30      # --timeout for them: far beyond any step timeout (s)

JSON_KEYS = tuple(documented_json_keys())  # docs/cli.md, which test_output checks


class Run:
    """What one CLI run against one fake server gave."""

    def __init__(self, status, data, stderr, wall, transcript):
        self.status, self.data, self.stderr = status, data, stderr
        self.stdout = run_check.last_stdout
        self.wall, self.transcript = wall, transcript

    def why(self):
        return describe(self.status, self.data, self.stderr) + \
            "\nwall=%.3fs\ntranscript (tail):\n%s" % (self.wall, self.transcript[-1500:])


class FakeServerTests(CertCase):

    # ---------------------------------------------------------- helpers

    def check(self, scenario, args, host="127.0.0.1", cert=None, env=None):
        """Start a fake server with SCENARIO (and certificate CERT of the
        test set, if given), run the CLI with -p PORT ARGS HOST."""
        certdir = self.certdir if cert else None
        with FakeServer(scenario, certdir=certdir, cert=cert or "server") as srv:
            status, data, stderr, wall = run_check(["-p", str(srv.port)] + list(args) + [host],
                                                   env=env)
            transcript = srv.log()
        run = Run(status, data, stderr, wall, transcript)
        self.assertIsNotNone(data, "stdout is not one JSON object\n" + run.why())
        return run

    def assertOutcome(self, run, error_name, failed_step, response_code):
        d = run.data
        self.assertEqual((d.get("error_name"), d.get("failed_step"), d.get("response_code")),
                         (error_name, failed_step, response_code), run.why())
        if error_name == "ok":
            self.assertIs(d.get("ok"), True, run.why())
            self.assertEqual(run.status, EXIT_OK, run.why())
            self.assertEqual(d.get("error_code"), 0, run.why())
        else:
            self.assertIs(d.get("ok"), False, run.why())
            self.assertEqual(run.status, EXIT_FAILED, run.why())
            self.assertNotEqual(d.get("error_code"), 0, run.why())
        self.assertTimingsPlausible(run)

    def assertTimingsPlausible(self, run):
        """Every timing is null or a number >= 0, no phase is longer than
        the total, and the total is not longer than the wall time."""
        d = run.data
        total = d.get("total_time_ms")
        self.assertIsInstance(total, (int, float), run.why())
        self.assertLessEqual(total, run.wall * 1000 + 5, run.why())
        for key in JSON_KEYS:
            if key.endswith("_time_ms") and d.get(key) is not None:
                self.assertIsInstance(d[key], (int, float), key + "\n" + run.why())
                self.assertGreaterEqual(d[key], 0, key + "\n" + run.why())
                self.assertLessEqual(d[key], total + 1, key + "\n" + run.why())

    def assertTimeout(self, run, seconds):
        """The step timeout of SECONDS fired, and ended the run.

        Never before SECONDS (a lower bound: load cannot break it). Not
        the overall deadline (OVERALL s) either, and no second wait of a
        step timeout after it (say, for a reply to a QUIT): the run and the
        whole CLI ended less than another SECONDS later. The earlier steps
        and the CLI's start and exit take milliseconds; SECONDS is at least
        2 s, so even a machine slowed down tenfold stays far inside."""
        total = run.data["total_time_ms"]
        self.assertGreaterEqual(total, seconds * 1000, run.why())
        self.assertLess(total, 2 * seconds * 1000, run.why())
        self.assertGreaterEqual(run.wall, seconds, run.why())
        self.assertLess(run.wall, 2 * seconds, run.why())
        self.assertLess(2 * seconds, OVERALL)

    def stall_at(self, verb, step):
        run = self.check({"stall": verb}, ["--step-timeout", str(STALL_STEP),
                                           "--timeout", str(OVERALL)] + MAIL_TX)
        self.assertOutcome(run, "stepTimeout", step, -1)
        # the earlier steps plus STALL_STEP seconds of waiting
        self.assertTimeout(run, STALL_STEP)
        return run

    # ---------------------------------------------------------- connect

    def test_connection_refused(self):
        port = free_port()
        status, data, stderr, wall = run_check(["-p", str(port), "--step-timeout", "10",
                                                "--timeout", str(OVERALL), "127.0.0.1"])
        run = Run(status, data, stderr, wall, "")
        self.assertIsNotNone(data, run.why())
        self.assertOutcome(run, "connectionRefused", "connect", -1)
        self.assertLess(wall, 10, run.why())  # at once, not after the step timeout

    # ---------------------------------------------------------- timeouts

    def test_stall_greeting(self):
        run = self.check({"stall": "GREETING"}, ["--step-timeout", str(STALL_STEP),
                                                 "--timeout", str(OVERALL)])
        self.assertOutcome(run, "stepTimeout", "greeting", -1)
        self.assertTimeout(run, STALL_STEP)

    def test_stall_ehlo(self):
        self.stall_at("EHLO", "ehlo")

    def test_stall_mail(self):
        self.stall_at("MAIL", "mail")

    def test_stall_rcpt(self):
        self.stall_at("RCPT", "rcpt")

    def test_stall_data(self):
        self.stall_at("DATA", "data")

    def test_stall_end_of_data(self):
        run = self.stall_at("DOT", "message")
        self.assertIn("[message:", run.transcript)

    def test_stall_quit(self):
        run = self.stall_at("QUIT", "quit")
        self.assertIs(run.data.get("quit_clean"), False, run.why())

    # ---------------------------------------------------------- greeting / EHLO

    def test_greeting_421(self):
        run = self.check({"greeting": "421 4.3.2 Service not available"}, [])
        self.assertOutcome(run, "greetingRejected", "greeting", 421)

    def test_ehlo_500_falls_back_to_helo(self):
        run = self.check({"replies": {"EHLO": "500 5.5.1 EHLO not supported"}}, MAIL_TX)
        self.assertOutcome(run, "ok", "none", 0)
        self.assertIs(run.data.get("used_helo"), True, run.why())
        self.assertIn("C: HELO ", run.transcript)

    def test_greeting_delayed_300ms(self):
        run = self.check({"greeting_delay_ms": 300}, [])
        self.assertOutcome(run, "ok", "none", 0)
        greeting_ms = run.data.get("greeting_time_ms")
        self.assertIsInstance(greeting_ms, (int, float), run.why())
        # The greeting phase holds the delay (never less), and no more than
        # the whole run did (assertTimingsPlausible: total <= wall time).
        self.assertGreaterEqual(greeting_ms, 300, run.why())
        self.assertLessEqual(greeting_ms, run.data["total_time_ms"], run.why())

    def test_multiline_greeting_ok(self):
        run = self.check({"greeting": "220-fake.test first line\r\n220 fake.test ESMTP"}, [])
        self.assertOutcome(run, "ok", "none", 0)

    # ---------------------------------------------------------- broken servers

    def test_close_mid_reply_at_ehlo(self):
        run = self.check({"close_mid": "EHLO"}, [])
        self.assertOutcome(run, "connectionClosed", "ehlo", -1)

    def test_garbage_reply_at_ehlo(self):
        run = self.check({"garbage": "EHLO"}, [])
        self.assertOutcome(run, "protocolViolation", "ehlo", -1)

    def test_long_line_at_greeting(self):
        run = self.check({"longline": "GREETING"}, ["--step-timeout", "10",
                                                     "--timeout", str(OVERALL)])
        self.assertOutcome(run, "protocolViolation", "greeting", -1)
        self.assertLess(run.wall, 10, run.why())  # at once, not after the step timeout

    def test_slow_byte_by_byte_server(self):
        run = self.check({"byte_delay_ms": 2}, ["--timeout", "30"] + MAIL_TX)
        self.assertOutcome(run, "ok", "none", 0)
        self.assertIn("FAKE123", run.data.get("queue_reply") or "", run.why())

    # ---------------------------------------------------------- TLS

    def test_starttls_not_offered(self):
        run = self.check({}, ["--security", "starttls"])
        self.assertOutcome(run, "starttlsNotOffered", "starttls", -1)
        self.assertNotIn("C: STARTTLS", run.transcript)

    def test_tls_handshake_failure(self):
        run = self.check({"tls_garbage": True}, ["--security", "starttls", "--ca-file", self.ca],
                         host="localhost")
        self.assertOutcome(run, "tlsHandshakeFailure", "tls", -1)

    def test_implicit_tls_handshake_failure(self):
        run = self.check({"tls": "implicit", "tls_garbage": True},
                         ["--security", "tls", "--ca-file", self.ca], host="localhost")
        self.assertOutcome(run, "tlsHandshakeFailure", "tls", -1)

    def test_certificate_untrusted(self):
        run = self.check({}, ["--security", "starttls", "--ca-file", self.ca],
                         host="localhost", cert="untrusted")
        self.assertOutcome(run, "certificateUntrusted", "tls", -1)

    def test_certificate_untrusted_insecure_passes(self):
        run = self.check({}, ["--security", "starttls", "--insecure"] + MAIL_TX,
                         host="localhost", cert="untrusted")
        self.assertOutcome(run, "ok", "none", 0)
        self.assertIs(run.data.get("tls"), True, run.why())

    def test_certificate_expired(self):
        run = self.check({}, ["--security", "starttls", "--ca-file", self.ca],
                         host="localhost", cert="expired")
        self.assertOutcome(run, "certificateExpired", "tls", -1)
        days = run.data.get("tls_cert_days_left")
        self.assertIsInstance(days, int, run.why())
        self.assertLess(days, 0, run.why())

    def test_certificate_host_mismatch(self):
        run = self.check({}, ["--security", "starttls", "--ca-file", self.ca],
                         host="localhost", cert="wronghost")
        self.assertOutcome(run, "certificateHostMismatch", "tls", -1)

    def test_certificate_good(self):
        run = self.check({}, ["--security", "starttls", "--ca-file", self.ca] + MAIL_TX,
                         host="localhost", cert="server")
        self.assertOutcome(run, "ok", "none", 0)
        d = run.data
        for key in JSON_KEYS:
            self.assertIn(key, d, run.why())
        self.assertIs(d["tls"], True, run.why())
        self.assertIsInstance(d["tls_cert_days_left"], int, run.why())
        self.assertTrue(28 <= d["tls_cert_days_left"] <= 30, run.why())
        self.assertTrue(d["tls_version"], run.why())
        self.assertIn("localhost", d.get("tls_cert_subject") or "", run.why())
        self.assertIn("smtpcheck test CA", d.get("tls_cert_issuer") or "", run.why())
        self.assertIsNotNone(d["tls_time_ms"], run.why())
        self.assertIs(d["quit_clean"], True, run.why())
        self.assertEqual(d["size_limit"], 10240000, run.why())
        self.assertIn("*: TLS ", run.transcript)

    def test_certificate_good_ip_literal(self):
        # server.pem has IP:127.0.0.1 in its SANs
        run = self.check({}, ["--security", "starttls", "--ca-file", self.ca],
                         host="127.0.0.1", cert="server")
        self.assertOutcome(run, "ok", "none", 0)

    def test_implicit_tls(self):
        run = self.check({"tls": "implicit"}, ["--security", "tls", "--ca-file", self.ca] + MAIL_TX,
                         host="localhost", cert="server")
        self.assertOutcome(run, "ok", "none", 0)
        self.assertIs(run.data.get("tls"), True, run.why())
        self.assertNotIn("STARTTLS", run.data.get("capabilities") or [], run.why())

    # ---------------------------------------------------------- AUTH

    def auth(self, mech, password="secret", extra=()):
        args = ["--security", "starttls", "--ca-file", self.ca, "--user", "user",
                "--auth-mechs", mech] + list(extra)
        return self.check({}, args, host="localhost", cert="server",
                          env={"SMTPCHECK_PASSWORD": password})

    def assertAuthOk(self, mech):
        run = self.auth(mech)
        self.assertOutcome(run, "ok", "none", 0)
        self.assertEqual(run.data.get("auth_mech"), mech, run.why())
        self.assertIn("C: AUTH " + mech, run.transcript)
        self.assertIn("S: 235 ", run.transcript)
        self.assertIsNotNone(run.data.get("login_time_ms"), run.why())

    def test_auth_plain(self):
        self.assertAuthOk("PLAIN")

    def test_auth_login(self):
        self.assertAuthOk("LOGIN")

    def test_auth_cram_md5(self):
        self.assertAuthOk("CRAM-MD5")

    def test_auth_wrong_password(self):
        run = self.auth("PLAIN", password="not-the-secret")
        self.assertOutcome(run, "authenticationFailed", "auth", 535)
        self.assertEqual(run.data.get("enhanced_status"), "5.7.8", run.why())

    def test_auth_refused_over_plaintext(self):
        run = self.check({}, ["--user", "user"], env=PASSWORD_ENV)
        self.assertOutcome(run, "authRefusedPlaintext", "auth", -1)
        self.assertNotIn("C: AUTH", run.transcript)

    def test_auth_verbose_redacts_secrets(self):
        secret = "Sup3r-s3cret-pw"
        forbidden = {
            secret,
            base64.b64encode(secret.encode()).decode(),
            base64.b64encode(b"\0user\0" + secret.encode()).decode(),
            base64.b64encode(b"user\0user\0" + secret.encode()).decode(),
        }
        for mech in ("PLAIN", "LOGIN"):
            with self.subTest(mech=mech):
                args = ["-v", "--security", "starttls", "--ca-file", self.ca,
                        "--user", "user", "--auth-mechs", mech]
                run = self.check({"password": secret}, args, host="localhost",
                                 cert="server", env={"SMTPCHECK_PASSWORD": secret})
                self.assertOutcome(run, "ok", "none", 0)
                self.assertTrue(run.stderr.strip(), "-v printed nothing\n" + run.why())
                output = run.stderr + run.stdout
                for s in forbidden:
                    self.assertNotIn(s, output, "secret %r leaked\n%s" % (s, run.why()))

    # ---------------------------------------------------------- mail transaction

    def test_sender_rejected(self):
        run = self.check({"replies": {"MAIL": "550 5.7.1 Sender rejected"}}, MAIL_TX)
        self.assertOutcome(run, "senderRejected", "mail", 550)
        self.assertEqual(run.data.get("enhanced_status"), "5.7.1", run.why())

    def test_recipient_rejected(self):
        run = self.check({"replies": {"RCPT": "550 5.1.1 No such user"}}, MAIL_TX)
        self.assertOutcome(run, "recipientRejected", "rcpt", 550)
        self.assertEqual(run.data.get("enhanced_status"), "5.1.1", run.why())

    def test_data_rejected(self):
        run = self.check({"replies": {"DATA": "554 5.5.1 No valid recipients"}}, MAIL_TX)
        self.assertOutcome(run, "dataRejected", "data", 554)

    def test_message_rejected(self):
        run = self.check({"replies": {"DOT": "552 5.3.4 Message too big"}}, MAIL_TX)
        self.assertOutcome(run, "messageRejected", "message", 552)
        self.assertEqual(run.data.get("enhanced_status"), "5.3.4", run.why())

    def test_mail_transaction_ok(self):
        run = self.check({}, MAIL_TX + ["--subject", "fake test"])
        self.assertOutcome(run, "ok", "none", 0)
        d = run.data
        self.assertIn("FAKE123", d.get("queue_reply") or "", run.why())
        self.assertIsNotNone(d.get("transfer_time_ms"), run.why())
        self.assertIs(d.get("quit_clean"), True, run.why())
        self.assertIn("C: MAIL FROM:<a@fake.test>", run.transcript)
        self.assertIn("C: RCPT TO:<b@fake.test>", run.transcript)


if __name__ == "__main__":
    unittest.main(verbosity=2)
