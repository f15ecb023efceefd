"""IPv4 and IPv6, literals, and names resolving to several addresses.

A name with two addresses needs a hosts file we control: each test class
makes its own network namespace (only its loopback exists there) and gives
it a hosts file through /etc/netns/NAME/hosts, which `ip netns exec`
mounts over /etc/hosts. Nothing leaves the namespace.
"""
import os
import shutil
import subprocess
import unittest
import uuid

import json

from helpers import FakeServer, describe, free_port, require_cli, run_check, smtpcheck_bin, unwrap


def have_netns():
    return os.geteuid() == 0 and shutil.which("ip") is not None


class Literals(unittest.TestCase):
    def setUp(self):
        require_cli(self)

    def test_ipv6_literal_and_bracket_forms(self):
        with FakeServer({}, host="::1") as srv:
            for target in (["-p", str(srv.port), "::1"], ["[::1]:%d" % srv.port]):
                status, data, err, _ = run_check(target)
                self.assertEqual(status, 0, describe(status, data, err))
                self.assertEqual(data["peer"], "[::1]:%d" % srv.port)
                # Literals skip DNS: parsing one takes microseconds, while a
                # lookup that went to a name server would take a round trip
                # at least, and seconds when none answers. (A wide bound:
                # 1 ms, as it was, is within reach of one preemption on a
                # busy machine.)
                self.assertLess(data["dns_time_ms"], 100.0)

    def test_source_address(self):
        with FakeServer({}) as srv:
            status, data, err, _ = run_check(["--source", "127.0.0.1", "127.0.0.1:%d" % srv.port])
            self.assertEqual(status, 0, describe(status, data, err))
            # 192.0.2.1 (TEST-NET-1) is not ours: bind() fails here, nothing is sent.
            status, data, err, _ = run_check(["--source", "192.0.2.1", "127.0.0.1:%d" % srv.port])
        self.assertEqual(status, 2, describe(status, data, err))
        self.assertEqual(data["error_name"], "connectFailure")
        self.assertIn("cannot bind the source address", data["error_detail"])

    def test_ipv4_literal(self):
        with FakeServer({}) as srv:
            status, data, err, _ = run_check(["127.0.0.1:%d" % srv.port])
        self.assertEqual(status, 0, describe(status, data, err))
        self.assertEqual(data["peer"], "127.0.0.1:%d" % srv.port)


@unittest.skipUnless(have_netns(), "needs root and iproute2 for a test namespace")
class SeveralAddresses(unittest.TestCase):
    """multi.test resolves to ::1 first, then 127.0.0.1 (the resolver's order)."""

    @classmethod
    def setUpClass(cls):
        cls.ns = "smtpchk-" + uuid.uuid4().hex[:8]
        cls.etc = os.path.join("/etc/netns", cls.ns)
        subprocess.run(["ip", "netns", "add", cls.ns], check=True)
        os.makedirs(cls.etc)
        with open(os.path.join(cls.etc, "hosts"), "w") as f:
            f.write("::1 multi.test\n127.0.0.1 multi.test\n127.0.0.1 localhost\n")
        subprocess.run(["ip", "netns", "exec", cls.ns, "ip", "link", "set", "lo", "up"],
                       check=True)
        cls.prefix = ["ip", "netns", "exec", cls.ns]

    @classmethod
    def tearDownClass(cls):
        subprocess.run(["ip", "netns", "del", cls.ns], check=False)
        shutil.rmtree(cls.etc, ignore_errors=True)

    def setUp(self):
        require_cli(self)

    def check(self, port):
        """Runs the CLI inside the namespace: (status, json, stderr with -v)."""
        proc = subprocess.run(self.prefix + [smtpcheck_bin(), "-v", "--json", "-p", str(port),
                                             "multi.test"],
                              stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
        return proc.returncode, unwrap(json.loads(proc.stdout)), proc.stderr.decode()

    def test_falls_back_to_the_next_address(self):
        with FakeServer({}, host="127.0.0.1", prefix=self.prefix) as srv:
            status, data, err = self.check(srv.port)
        self.assertEqual(status, 0, err)
        self.assertEqual(data["peer"], "127.0.0.1:%d" % srv.port)
        self.assertIn("connecting to [::1]:%d" % srv.port, err)
        self.assertLess(err.index("[::1]"), err.index("connecting to 127.0.0.1"))

    def test_first_address_answers(self):
        with FakeServer({}, host="::1", prefix=self.prefix) as srv:
            status, data, err = self.check(srv.port)
        self.assertEqual(status, 0, err)
        self.assertEqual(data["peer"], "[::1]:%d" % srv.port)
        self.assertNotIn("connecting to 127.0.0.1", err)

    def test_every_address_refused(self):
        port = free_port()  # a port from outside is free inside the namespace too
        status, data, err = self.check(port)
        self.assertEqual(status, 2, err)
        self.assertEqual(data["error_name"], "connectionRefused")
        self.assertEqual(data["failed_step"], "connect")
        self.assertIn("tried [::1]:%d, 127.0.0.1:%d" % (port, port), data["error_detail"])


if __name__ == "__main__":
    unittest.main()
