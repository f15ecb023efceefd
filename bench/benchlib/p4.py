"""P4: 1000 and 10,000 plain checks every 60 s inside one snmpd.

The checks go to smtp-sink. Measured: snmpd's CPU share over the window
(/proc/PID/stat), its RSS once per 60 s cycle, GET latency of sysUpTime
with every check configured (as P2), and bulk walks (-Cr50) of the whole
smtpCheckTable against a plain netsnmp_tdata table of the same shape
(bench/tdata_baseline.c, loaded into the same snmpd), interleaved.
"""

import json
import os
import re
import subprocess
import time

from . import checks as ck
from .common import BENCH, LOOPBACK, build_dir, log, median, proc_cpu, snmp, tool
from .p2 import GETS, latencies, summary
from .servers import SmtpSink, snmpd

CYCLE = 60
WARMUP = 10
BASELINE_TABLE = ".1.3.6.1.4.1.8072.9999.9999.4242.1"
WALKS = 3
GET_BLOCKS = 4
RELOAD_CHECKS = 10000

_TYPES = [("DisplayString", "s"), ("OCTET STRING", "s"), ("DateAndTime", "d"),
          ("Unsigned32", "u"), ("Gauge32", "g"), ("Counter32", "c")]


def entry_shape():
    """[(column number, type letter)] of the accessible smtpCheckEntry
    columns, read from the MIB (the one place that defines them)."""
    text = snmp._MIB_TEXT
    out = []
    for name, num in sorted(snmp.mib_children("smtpCheckEntry").items(), key=lambda x: x[1]):
        m = re.search(r"^%s\s+OBJECT-TYPE\s+SYNTAX\s+(.*?)\n.*?MAX-ACCESS\s+(\S+)"
                      % re.escape(name), text, re.M | re.S)
        if m is None or m.group(2) == "not-accessible":
            continue
        letter = next((t for k, t in _TYPES if m.group(1).startswith(k)), "i")
        out.append((num, letter))
    return out


def build_baseline(wd):
    so = os.path.join(wd, "tdata_baseline.so")
    flags = subprocess.run(["net-snmp-config", "--cflags"], stdout=subprocess.PIPE,
                           check=True).stdout.decode().split()
    subprocess.run(["cc", "-O2", "-shared", "-fPIC"] + flags +
                   ["-o", so, os.path.join(BENCH, "tdata_baseline.c")], check=True)
    return so


def walk(port, oid, timeout=300):
    """(wall s, varbinds) of snmpbulkwalk -Cr50 of OID."""
    cmd = [snmp.which("snmpbulkwalk"), "-v2c", "-c", "public", "-On", "-Cr50", "-t", "10",
           "-r", "1", "%s:%d" % (LOOPBACK, port), oid]
    t0 = time.monotonic()
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, env=snmp.tool_env(), timeout=timeout)
    return time.monotonic() - t0, p.stdout.count(b"\n")


class P4:
    def __init__(self, res, wd, seconds):
        self.res, self.wd, self.seconds = res, wd, seconds
        self.sink = SmtpSink(wd)
        self.baseline = build_baseline(wd)

    def run(self):
        self.reload(RELOAD_CHECKS)
        for n in (1000, 10000):
            secs = self.seconds if n == 10000 or self.seconds > 200 else CYCLE + WARMUP
            self.one(n, secs)

    def reload(self, n):
        """bench/reload.c against the built library: what replacing a set of
        N checks costs the caller's thread and the engine (medians of 5)."""
        exe = os.path.join(self.wd, "reload")
        lib = os.path.join(build_dir(), "core", "libsmtpchk.a")
        subprocess.run(["cc", "-O2", "-I", os.path.join(BENCH, "..", "core", "include"), "-o",
                        exe, os.path.join(BENCH, "reload.c"), lib, "-lssl", "-lcrypto", "-lcares",
                        "-lpthread"], check=True, stdin=subprocess.DEVNULL)
        out = json.loads(subprocess.run([exe, str(n)], stdout=subprocess.PIPE, check=True,
                                        stdin=subprocess.DEVNULL, timeout=300).stdout)
        log("P4 reload of %d checks: %.1f ms in the caller, %.1f ms in one thread", n,
            out["main_ms"], out["apply_ms"])
        self.res.add("P4", "reload%d.main_thread_ms" % n, out["main_ms"], "ms")
        self.res.add("P4", "reload%d.one_thread_ms" % n, out["apply_ms"], "ms")

    def conf_lines(self, n):
        lines = ["dlmod tdata_baseline %s" % self.baseline]
        lines += ["benchTdataColumn %d %s" % c for c in entry_shape()]
        return lines + ["benchTdataRows %d" % n]

    def one(self, n, secs):
        text = ck.check_file(ck.check_dicts("plain", n, self.sink.port), interval=CYCLE)
        t_start = time.monotonic()
        d = snmpd(self.wd, "p4-%d" % n, text, extra_lines=self.conf_lines(n))
        try:
            self.measure(d, n, secs, t_start)
        finally:
            d.stop()

    def interleaved_gets(self, port):
        """GET latency of PORT's snmpd and of a module-less snmpd, in
        alternating blocks, so that both see the same machine."""
        ref = snmpd(self.wd, "p4-reference", module=False)
        ours, theirs = [], []
        try:
            for b in range(GET_BLOCKS):
                ours += latencies(port, GETS // GET_BLOCKS, 0.005, rid0=1 + b * GETS)
                theirs += latencies(ref.port, GETS // GET_BLOCKS, 0.005, rid0=1 + b * GETS)
        finally:
            ref.stop()
        return summary(ours), summary(theirs)

    def measure(self, d, n, secs, t_start):
        time.sleep(max(0, t_start + WARMUP - time.monotonic()))
        t0, c0 = time.monotonic(), proc_cpu(d.pid)
        rss = [snmp.rss_kb(d.pid)]
        end = t_start + secs
        while time.monotonic() + 0.5 < end:
            time.sleep(min(CYCLE, end - time.monotonic()))
            rss.append(snmp.rss_kb(d.pid))
        t1, c1 = time.monotonic(), proc_cpu(d.pid)
        share = 100 * (c1 - c0) / (t1 - t0)
        runs, rows = ck.count_column(d.port, "runs", timeout=300)
        fails, _ = ck.count_column(d.port, "failures", timeout=300)
        lat, ref = self.interleaved_gets(d.port)
        ours, base = self.walks(d)
        p = "%d" % n
        self.res.add("P4", p + ".snmpd_cpu_pct_of_core", share, "% of one core",
                     window_s=round(t1 - t0, 1), interval_s=CYCLE, runs=runs, failures=fails,
                     rows=rows)
        self.res.add("P4", p + ".rss_mib_last", rss[-1] / 1024, "MiB",
                     rss_mib=[round(r / 1024, 1) for r in rss], cycle_s=CYCLE)
        self.res.add("P4", p + ".rss_growth_mib", (rss[-1] - rss[0]) / 1024, "MiB",
                     samples=len(rss))
        for key in ("p50_ms", "p99_ms", "max_ms"):
            self.res.add("P4", "%s.get_%s" % (p, key), lat[key], "ms", gets=GETS,
                         timeouts=lat["timeouts"])
            self.res.add("P4", "%s.reference_get_%s" % (p, key), ref[key], "ms", gets=GETS,
                         timeouts=ref["timeouts"], snmpd="without the module")
        for name, w in (("smtpCheckTable", ours), ("tdata_baseline", base)):
            self.res.add("P4", "%s.bulkwalk_%s_s" % (p, name), median([x[0] for x in w]), "s",
                         samples=[round(x[0], 3) for x in w], varbinds=[x[1] for x in w],
                         snmpd_cpu_s=[round(x[2], 3) for x in w])
        log("P4 %d checks: CPU %.2f%%, RSS %s kB, runs %d failures %d", n, share, rss, runs, fails)

    def walks(self, d):
        ours, base = [], []
        for _ in range(WALKS):
            for oid, out in ((snmp.TABLE, ours), (BASELINE_TABLE, base)):
                c0 = proc_cpu(d.pid)
                wall, count = walk(d.port, oid)
                out.append((wall, count, proc_cpu(d.pid) - c0))
        return ours, base
