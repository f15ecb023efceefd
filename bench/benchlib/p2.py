"""P2: is the agent still responsive while checks run?

GETs of sysUpTime.0, one after another from this process over one UDP
socket (hand-made SNMPv2c packets, tests/integration/snmp_helpers), with
a fixed gap, against three snmpd:
  no-module         snmpd alone: the reference
  module-1000       snmpd with smtpcheck.so and 1000 checks held in flight
                    by a listener that never speaks
  extend-check_smtp snmpd with `extend` running check_smtp against the same
                    listener (-t 2), polled every 0.5 s from a second socket
"""

import socket
import threading
import time

from . import checks as ck
from .common import LOOPBACK, Skip, log, median, percentile, snmp, tool
from .servers import Silent, snmpd

N_CHECKS = 1000
N_PORTS = 25
GETS = 2000
BLOCKS = 8
TIMEOUT = 5.0
EXTEND_OID = ".1.3.6.1.4.1.8072.1.3.2.3.1.1.5.99.115.109.116.112"   # "csmtp"


def latencies(port, count, gap, rid0=1):
    """Seconds per GET; a GET not answered within TIMEOUT counts as TIMEOUT."""
    out = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect((LOOPBACK, port))
        start = time.monotonic()
        for i in range(count):
            rid = rid0 + i
            t0 = time.monotonic()
            s.send(snmp.get_request_packet(snmp.SYS_UPTIME, rid))
            out.append(_answer(s, rid, t0))
            pause = start + (i + 1) * gap - time.monotonic()
            if pause > 0:
                time.sleep(pause)
    return out


def _answer(s, rid, t0):
    while True:
        left = t0 + TIMEOUT - time.monotonic()
        if left <= 0:
            return TIMEOUT
        s.settimeout(left)
        try:
            got, _, _ = snmp.parse_response(s.recv(65535))
        except socket.timeout:
            return TIMEOUT
        if got == rid:
            return time.monotonic() - t0


def summary(values):
    v = sorted(values)
    return {"p50_ms": percentile(v, 0.50) * 1000, "p99_ms": percentile(v, 0.99) * 1000,
            "max_ms": v[-1] * 1000, "gets": len(v),
            "timeouts": sum(1 for x in v if x >= TIMEOUT)}


class Poller:
    """Asks for the extend's output every 0.5 s (each ask may run check_smtp)."""

    def __init__(self, port):
        self.port, self.stop_flag = port, threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def loop(self):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect((LOOPBACK, self.port))
            rid = 10 ** 6
            while not self.stop_flag.wait(0.5):
                rid += 1
                s.send(snmp.get_request_packet(EXTEND_OID, rid))
                _answer(s, rid, time.monotonic())

    def stop(self):
        self.stop_flag.set()
        self.thread.join(TIMEOUT + 1)


class P2:
    def __init__(self, res, wd, passes, gap=None):
        self.res, self.wd, self.passes = res, wd, passes
        self.gap = gap if gap is not None else (0.005 if passes == 1 else 0.015)
        self.silent = Silent(wd, N_PORTS)
        self.samples = {}

    def variant(self, name, p):
        if name == "no-module":
            return snmpd(self.wd, "p2-%s-%d" % (name, p), module=False), None
        if name == "module-1000":
            defaults = ck.load_defaults(2 * N_CHECKS)
            defaults.update(interval=60, jitter=1, timeout=55, step_timeout=55)
            text = ck.check_file(ck.check_dicts("plain", N_CHECKS, 0, ports=self.silent.ports),
                                 **defaults)
            d = snmpd(self.wd, "p2-%s-%d" % (name, p), text)
            snmp.wait_until(lambda: (ck.in_flight(d.port) or 0) >= N_CHECKS * 0.95, 15, 0.5)
            return d, None
        exe = tool("check_smtp", "/usr/lib/nagios/plugins")
        line = "extend csmtp %s -H %s -p %d -t 2" % (exe, LOOPBACK, self.silent.ports[0])
        d = snmpd(self.wd, "p2-%s-%d" % (name, p), module=False, extra_lines=[line])
        return d, Poller(d.port)

    def run(self):
        """Per pass, the three snmpd run side by side and get their GETs in
        alternating blocks, so that all three see the same machine."""
        names = ("no-module", "module-1000", "extend-check_smtp")
        for p in range(self.passes):
            daemons, pollers = {}, []
            try:
                for name in names:
                    try:
                        daemons[name], poller = self.variant(name, p)
                    except Skip as e:
                        self.samples.setdefault(name, {"skip": str(e)})
                        continue
                    if poller:
                        pollers.append(poller)
                self.one_pass(p, daemons)
            finally:
                for poller in pollers:
                    poller.stop()
                for d in daemons.values():
                    d.stop()
        self.report()

    def one_pass(self, p, daemons):
        lat = {name: [] for name in daemons}
        module = daemons.get("module-1000")
        before = ck.in_flight(module.port) if module else None
        per_block = GETS // BLOCKS
        for b in range(BLOCKS):
            for name, d in daemons.items():
                lat[name] += latencies(d.port, per_block, self.gap,
                                       rid0=1 + p * GETS + b * per_block)
        after = ck.in_flight(module.port) if module else None
        for name, values in lat.items():
            s = summary(values)
            s["in_flight"] = [before, after] if name == "module-1000" else None
            log("P2 pass %d %s: %s", p + 1, name, s)
            self.samples.setdefault(name, {"passes": []})["passes"].append(s)

    def report(self):
        for name, s in self.samples.items():
            if "skip" in s:
                self.res.add("P2", name + ".p99_ms", None, "ms", skipped=s["skip"])
                continue
            for key in ("p50_ms", "p99_ms", "max_ms"):
                vals = [x[key] for x in s["passes"]]
                extra = {"samples": [round(v, 3) for v in vals], "passes": len(vals),
                         "gets_per_pass": GETS, "gap_ms": self.gap * 1000}
                if key == "max_ms":
                    extra["timeouts"] = [x["timeouts"] for x in s["passes"]]
                if name == "module-1000":
                    extra["in_flight"] = [x["in_flight"] for x in s["passes"]]
                self.res.add("P2", "%s.%s" % (name, key), median(vals), "ms", **extra)
