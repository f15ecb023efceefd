#!/usr/bin/env python3
"""snmpd's RSS with N plain checks every 60 s against smtp-sink, as bench
P4 runs them (docs/mib.md "Memory per check"), and where it goes
(/proc/PID/smaps: the main heap, the engine thread's arena, libraries).

    SMTPCHECK_BUILD=build bench/memrss.py N SECONDS [--baseline]
        [--save-state FILE] [--state FILE] [--fill IN OUT]

--baseline   also loads P4's tdata baseline table (N rows), as P4 does
--save-state keeps the state file snmpd wrote at the end
--state      starts snmpd with that state file (the module restores it)
--fill IN OUT only writes OUT: IN (a saved state) with every check at its
             steady state, 50 runs of history and all 24 window buckets
             in use, and exits
"""
import argparse
import os
import re
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import checks as ck  # noqa: E402
from benchlib import p4  # noqa: E402
from benchlib.common import module_so, snmp  # noqa: E402
from benchlib.servers import SmtpSink, snmpd  # noqa: E402


def fill(src, dst):
    """Every row: 1000 runs, the last 50 in the history, 5 runs in each
    five-minute bucket and 120 in each two-hour bucket."""
    out, last = [], {}
    for line in open(src):
        m = re.match(r"(\w+) index=(\d+)", line)
        kind, idx = (m.group(1), m.group(2)) if m else (None, None)
        if kind == "row":
            last[idx] = int(re.search(r" last_run=(\d+)", line).group(1))
            line = re.sub(r" history_next=\d+", " history_next=1001",
                          re.sub(r" runs=\d+", " runs=1000", line))
        elif kind == "history":
            t = last[idx]
            line = "history index=%s seq=951 runs=%s\n" % (idx, ",".join(
                "%d.%d.%d.0.0.0.0" % (t - 60 * (49 - i), 230 + i, 70 + i % 7) for i in range(50)))
        elif kind == "window":
            t = last[idx]
            b = ["0.%d.5.5/0.2/1.3" % i for i in range(12)]
            b += ["1.%d.120.118/0.40/1.50/2.28" % i for i in range(12)]
            line = "window index=%s newest_5m=%d newest_2h=%d buckets=%s\n" % (
                idx, t // 300, t // 7200, ",".join(b))
        out.append(line)
    with open(dst, "w") as f:
        f.writelines(out)


def smaps(pid):
    """{kind of mapping: [RSS kB, mappings]}."""
    cats, cur = {}, None
    with open("/proc/%d/smaps" % pid) as f:
        for line in f:
            m = re.match(r"^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$", line)
            if m:
                path = m.group(4).strip()
                if path.startswith("["):
                    cur = path
                elif path:
                    cur = "libraries and files"
                else:
                    cur = "anonymous (thread arenas, stacks, mmap'd blocks)"
                cats.setdefault(cur, [0, 0])[1] += 1
            elif line.startswith("Rss:") and cur:
                cats[cur][0] += int(line.split()[1])
    return cats


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int, nargs="?")
    ap.add_argument("secs", type=int, nargs="?")
    ap.add_argument("--baseline", action="store_true")
    ap.add_argument("--state")
    ap.add_argument("--save-state")
    ap.add_argument("--fill", nargs=2)
    a = ap.parse_args()
    if a.fill:
        return fill(*a.fill)
    os.environ["SMTPCHECK_MODULE"] = module_so()
    print("module %s" % module_so())
    wd = os.path.join("/tmp", "memrss-%d" % os.getpid())
    os.makedirs(wd)
    sink = SmtpSink(wd)
    text = ck.check_file(ck.check_dicts("plain", a.n, sink.port), interval=60)
    extra = []
    if a.baseline:
        probe = p4.P4.__new__(p4.P4)
        probe.baseline = p4.build_baseline(wd)
        extra = probe.conf_lines(a.n)
    if a.state:
        os.makedirs(os.path.join(wd, "snmpd", "persist"))
        shutil.copy(a.state, os.path.join(wd, "snmpd", "persist", "smtpcheck-state.conf"))
    t0 = time.monotonic()
    d = snmpd(wd, "snmpd", text, extra_lines=extra)
    try:
        rss = []
        while time.monotonic() - t0 < a.secs:
            time.sleep(min(30, a.secs - (time.monotonic() - t0)))
            rss.append(snmp.rss_kb(d.pid) / 1024)
            print("t=%4.0f s RSS %.1f MiB" % (time.monotonic() - t0, rss[-1]), flush=True)
        for k, v in sorted(smaps(d.pid).items(), key=lambda x: -x[1][0]):
            print("  %-50s %6.1f MiB (%d mappings)" % (k, v[0] / 1024, v[1]))
        runs, rows = ck.count_column(d.port, "runs", timeout=300)
        print("runs %d in %d rows; RSS last %.1f MiB" % (runs, rows, rss[-1]))
    finally:
        d.stop()
        if a.save_state:
            shutil.copy(os.path.join(wd, "snmpd", "persist", "smtpcheck-state.conf"),
                        a.save_state)
        shutil.rmtree(wd, ignore_errors=True)


if __name__ == "__main__":
    main()
