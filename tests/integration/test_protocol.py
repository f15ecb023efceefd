"""Protocol details a real server cannot be made to show on demand, seen
from the scripted fake server: what the client sends."""
import os
import unittest

from helpers import FakeServer, certs, describe, require_cli, run_check


class Sni(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.certdir = certs()
        cls.ca = os.path.join(cls.certdir, "ca.pem")

    def setUp(self):
        require_cli(self)

    def check_sni(self, security):
        """The SNI name the server saw. (The trailing-dot rule of RFC 6066 is
        tested in unit.tls: c-ares does not find "localhost." in /etc/hosts
        and these tests must not ask a DNS server.)"""
        with FakeServer({"tls": "implicit"} if security == "tls" else {},
                        certdir=self.certdir) as srv:
            status, data, err, _ = run_check(["--security", security, "--ca-file", self.ca,
                                              "-p", str(srv.port), "localhost"])
            log = srv.log()
        self.assertEqual(status, 0, describe(status, data, err) + log)
        self.assertIn("TLS SNI localhost\n", log)

    def test_starttls_sends_sni(self):
        self.check_sni("starttls")

    def test_implicit_tls_sends_sni(self):
        self.check_sni("tls")


if __name__ == "__main__":
    unittest.main()
