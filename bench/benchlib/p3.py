"""P3: do the reported timings match the network?

The servers run in one network namespace of our own, the checker in
another, joined by a veth pair; ../shared/tools/nfqdelay holds every
server->client packet for 50 ms, so one round trip is 50 ms (plus the
tool's own fraction of a millisecond, measured here with TCP connects).
The private Postfix runs inside the server namespace on its loopback,
reached through a DNAT rule; smtp-sink likewise.

Each phase is compared with the number of round trips it must take
(docs/timings.md): a phase more than 2 ms above its multiple carries an
artifact, such as a 40 ms delayed ACK.
"""

import json
import os
import subprocess

from . import checks as ck
from .common import (CLEANUP, EHLO_NAME, REPO, Skip, log, median, percentile, run_child,
                     smtpcheck_bin, tool)
from .servers import MailStack, SmtpSink

DELAY_MS = 50
SRV_ADDR, CLI_ADDR = "198.18.0.1", "198.18.0.2"   # the benchmarking range, inside our netns
IDLE_CHECKS = 10
LOAD_CHECKS = 1000
PHASES = ("connect", "tls", "greeting", "ehlo", "login", "quit")

# Round trips per phase with the delay on server->client packets only.
# Postfix sends TLS 1.3 session tickets after the handshake, and Nagle
# holds its next reply until the client ACKs them: one more round trip on
# the first exchange after TLS (the EHLO after STARTTLS, the greeting of
# implicit TLS), paid by every client (../shared/tools/nfqdelay/README.md).
EXPECTED = {
    "plain": {"connect": 1, "greeting": 1, "ehlo": 1, "quit": 1},
    "starttls": {"connect": 1, "greeting": 1, "tls": 2, "ehlo": 3, "quit": 1},
    "tls": {"connect": 1, "tls": 1, "greeting": 2, "ehlo": 1, "quit": 1},
    "auth": {"connect": 1, "greeting": 1, "tls": 2, "ehlo": 3, "login": 1, "quit": 1},
}


# The reference client's TLS phase: for implicit TLS from the TCP
# connection to the end of the handshake; for STARTTLS from the STARTTLS
# command (after EHLO) to the end of the handshake, as docs/timings.md
# defines the checks' tls phase.
REFERENCE_TLS = """
import smtplib, socket, ssl, statistics, time
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
t = []
for _ in range(%(n)d):
    if "%(kind)s" == "tls":
        s = socket.create_connection(("%(host)s", %(port)d))
        a = time.monotonic()
        c = ctx.wrap_socket(s)
        t.append(time.monotonic() - a)
        c.close()
    else:
        m = smtplib.SMTP("%(host)s", %(port)d, local_hostname="%(ehlo)s")
        m.ehlo()
        a = time.monotonic()
        m.starttls(context=ctx)
        t.append(time.monotonic() - a)
        m.close()
print(statistics.median(t) * 1000)
"""


def sh(*cmd, check=True):
    return subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, check=check).stdout.decode()


def nfqdelay_source():
    """../shared/tools/nfqdelay/nfqdelay.c beside the clone (never committed)."""
    for base in (os.path.dirname(REPO), "/work"):
        path = os.path.join(base, "shared", "tools", "nfqdelay", "nfqdelay.c")
        if os.path.exists(path):
            return path
    raise Skip("../shared/tools/nfqdelay/nfqdelay.c not found beside the repository")


class Netns:
    """Two namespaces and a veth pair; deleted at cleanup."""

    def __init__(self):
        tag = os.getpid() % 100000
        self.srv, self.cli = "scbench-s%d" % tag, "scbench-c%d" % tag
        vs, vc = "vbs%d" % tag, "vbc%d" % tag
        tool("ip")
        sh("ip", "netns", "add", self.srv)
        CLEANUP.add(sh, "ip", "netns", "del", self.srv)
        sh("ip", "netns", "add", self.cli)
        CLEANUP.add(sh, "ip", "netns", "del", self.cli)
        sh("ip", "link", "add", vs, "type", "veth", "peer", "name", vc)
        sh("ip", "link", "set", vs, "netns", self.srv)
        sh("ip", "link", "set", vc, "netns", self.cli)
        sh("ip", "-n", self.srv, "addr", "add", SRV_ADDR + "/30", "dev", vs)
        sh("ip", "-n", self.cli, "addr", "add", CLI_ADDR + "/30", "dev", vc)
        for ns, dev in ((self.srv, vs), (self.cli, vc)):
            sh("ip", "-n", ns, "link", "set", "lo", "up")
            sh("ip", "-n", ns, "link", "set", dev, "up")
        ipt = tool("iptables-legacy")
        # Servers listen on the namespace's loopback; reach them through DNAT.
        self.exec_srv("sysctl", "-qw", "net.ipv4.conf.all.route_localnet=1",
                      "net.ipv4.conf.%s.route_localnet=1" % vs)
        self.exec_srv(ipt, "-t", "nat", "-A", "PREROUTING", "-i", vs, "-p", "tcp", "-d",
                      SRV_ADDR, "-j", "DNAT", "--to-destination", "127.0.0.1")
        self.exec_srv(ipt, "-A", "OUTPUT", "-o", vs, "-j", "NFQUEUE", "--queue-num", "0",
                      "--queue-bypass")

    def wrap(self, ns):
        return ["ip", "netns", "exec", ns]

    def exec_srv(self, *cmd):
        return sh(*(self.wrap(self.srv) + list(cmd)))


class P3:
    def __init__(self, res, wd, passes):
        self.res, self.wd, self.passes = res, wd, passes
        src = nfqdelay_source()
        self.nfq = os.path.join(wd, "nfqdelay")
        subprocess.run(["cc", "-O2", "-o", self.nfq, src, "-lnetfilter_queue", "-lnfnetlink"],
                       check=True, stdin=subprocess.DEVNULL)
        self.ns = Netns()
        from .common import spawn
        spawn(self.ns.wrap(self.ns.srv) + [self.nfq, "0", str(DELAY_MS)],
              os.path.join(wd, "nfqdelay.log"))
        self.sink = SmtpSink(wd, host="127.0.0.1", wrap=self.ns.wrap(self.ns.srv))
        self.stack = MailStack(wd, wrap=self.ns.wrap(self.ns.srv))
        self.rtt = self.measure_rtt()

    def measure_rtt(self):
        """Median TCP connect time from the checker's namespace (ms)."""
        code = ("import socket,time,statistics\nt=[]\nfor _ in range(20):\n"
                " s=socket.socket();a=time.monotonic();s.connect(('%s',%d))\n"
                " t.append(time.monotonic()-a);s.close()\nprint(statistics.median(t)*1000)"
                % (SRV_ADDR, self.sink.port))
        import time
        for _ in range(50):   # smtp-sink may still be starting
            r = subprocess.run(self.ns.wrap(self.ns.cli) + ["python3", "-c", code],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            if r.returncode == 0:
                return float(r.stdout)
            time.sleep(0.1)
        raise RuntimeError("no TCP connection across the namespaces")

    def reference_tls(self, kind, port):
        """The same TLS phase timed by another client on the same OpenSSL:
        Python's ssl (smtplib for STARTTLS), verification off as in the
        checks, one at a time from the checker's namespace. Median ms."""
        code = REFERENCE_TLS % {"kind": kind, "host": SRV_ADDR, "port": port,
                                "ehlo": EHLO_NAME, "n": IDLE_CHECKS}
        try:
            r = subprocess.run(self.ns.wrap(self.ns.cli) + ["python3", "-c", code],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120,
                               stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            log("P3 reference TLS client (%s) timed out", kind)
            return None
        if r.returncode != 0:
            log("P3 reference TLS client (%s) failed: %s", kind, r.stderr.decode()[-300:])
            return None
        return float(r.stdout)

    def targets(self):
        return [("plain", self.sink.port), ("starttls", self.stack.port("STARTTLS_PORT")),
                ("tls", self.stack.port("TLS_PORT")),
                ("auth", self.stack.port("SUBMISSION_PORT"))]

    def run_checks(self, kind, port, n, concurrency):
        checks = ck.check_dicts(kind, n, port, self.stack, host=SRV_ADDR)
        for c in checks:
            if kind != "plain":
                c["tls"] = {"verify": False}   # the test certificate names 127.0.0.1
        defaults = ck.load_defaults(concurrency)
        defaults.update(timeout=30, step_timeout=30)
        path = os.path.join(self.wd, "p3-%s-%d.conf" % (kind, n))
        with open(path, "w") as f:
            f.write(ck.check_file(checks, **defaults))
        _, out, _, _ = run_child(self.ns.wrap(self.ns.cli) + [smtpcheck_bin(), "--config", path,
                                                              "--json"], 300)
        try:
            return json.loads(out.decode())
        except ValueError:
            return []

    def run(self):
        rtt = self.rtt
        log("P3 RTT measured %.3f ms (nfqdelay %d ms)", rtt, DELAY_MS)
        self.res.add("P3", "rtt_measured_ms", rtt, "ms", nominal_ms=DELAY_MS)
        idle, ref = {}, {}
        for p in range(self.passes):
            for kind, port in self.targets():
                rows = self.run_checks(kind, port, IDLE_CHECKS, 1)
                idle.setdefault(kind, []).append(rows)
                if kind in ("starttls", "tls"):
                    ref.setdefault(kind, []).append(self.reference_tls(kind, port))
        for kind, values in ref.items():
            values = [v for v in values if v is not None]
            got = median(values) if values else None
            mult = EXPECTED[kind]["tls"]
            self.res.add("P3", "idle.%s.tls_reference_excess_ms" % kind,
                         None if got is None else got - mult * rtt, "ms",
                         median_ms=None if got is None else round(got, 3), rtt_multiple=mult,
                         client="python3 ssl" + (" + smtplib" if kind == "starttls" else ""),
                         samples=[round(v, 3) for v in values])
        load = [self.run_checks("plain", self.sink.port, LOAD_CHECKS, LOAD_CHECKS)
                for _ in range(self.passes)]
        for kind, passes in idle.items():
            self.report("idle", kind, passes)
        self.report("load%d" % LOAD_CHECKS, "plain", load)

    def report(self, mode, kind, passes):
        rtt = self.rtt
        ok = [sum(1 for r in rows if r.get("ok")) for rows in passes]
        n = [len(rows) for rows in passes]
        conn = sorted(abs(r["connect_time_ms"] - rtt) for rows in passes for r in rows
                      if r.get("connect_time_ms") is not None)
        if not conn:
            self.res.add("P3", "%s.%s.connect_abs_err_ms" % (mode, kind), None, "ms",
                         ok=ok, n=n, error="no check connected")
            return
        self.res.add("P3", "%s.%s.connect_abs_err_ms" % (mode, kind), median(conn), "ms",
                     p95=round(percentile(conn, 0.95), 3), max=round(conn[-1], 3), ok=ok, n=n,
                     rtt_ms=round(rtt, 3))
        for phase, mult in EXPECTED[kind].items():
            key = phase + "_time_ms"
            per_pass = [median([r[key] for r in rows if r.get(key) is not None]) for rows in passes]
            got = median(per_pass)
            excess = None if got is None else got - mult * rtt
            every = sorted(r[key] - mult * rtt for rows in passes for r in rows
                           if r.get(key) is not None)
            # The spread says whether all checks pay the excess, or a queue
            # does: a burst of replies handled one after another ramps up.
            spread = {"p10": round(percentile(every, 0.1), 3),
                      "p90": round(percentile(every, 0.9), 3)} if every else {}
            self.res.add("P3", "%s.%s.%s_excess_ms" % (mode, kind, phase), excess, "ms",
                         median_ms=None if got is None else round(got, 3), rtt_multiple=mult,
                         **spread,
                         expected_ms=round(mult * rtt, 3),
                         auth_mech=[r.get("auth_mech") for r in passes[0][:1]]
                         if phase == "login" else None)
