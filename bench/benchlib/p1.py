"""P1: checks per CPU-second, smtpcheck against its peers.

Every peer runs the same kinds of check against the same servers:
smtp-sink (plain) and the private Postfix of scripts/mailstack (plain,
STARTTLS, implicit TLS, STARTTLS + AUTH PLAIN). Passes are interleaved:
pass 1 of every (kind, peer), then pass 2, ... and the median is quoted.
CPU time is the client's only: wait4() of the CLI, of xargs with its
check_smtp children, of rawsmtp and s_time; /proc/PID/stat of the
long-running snmpd and blackbox_exporter over the measured window.
"""

import http.client
import json
import os
import re
import subprocess
import threading
import time

from . import checks as ck
from .common import (BENCH, EHLO_NAME, LOOPBACK, NotApplicable, Skip, log, median, proc_cpu,
                     proc_ctxt, run_child, smtpcheck_bin, tool)
from .servers import Blackbox, MailStack, SmtpSink, snmpd, trust_bundle

CONC = 8   # clients in parallel for every peer (xargs -P8)

SIZES = {   # checks per pass: (quick/full, smoke)
    "cli": {"plain": 1000, "tls": 300},
    "check_smtp": {"plain": 200, "tls": 100},
    "blackbox": {"plain": 600, "tls": 300},
    "raw": {"plain": 3000},
}


def _size(peer, kind, smoke):
    n = SIZES[peer]["plain" if kind == "plain" else "tls"]
    return max(20, n // 20) if smoke else n


class P1:
    def __init__(self, res, wd, passes, smoke=False, targets=None):
        self.res, self.wd, self.passes, self.smoke = res, wd, passes, smoke
        self.sink = SmtpSink(wd)
        self.stack = None if smoke else MailStack(wd)
        self.trust = trust_bundle(wd, self.stack.ca) if self.stack else None
        if self.trust:   # the default trust store of every client started from now on
            os.environ["SSL_CERT_FILE"] = self.trust
        self.env = dict(os.environ)
        self.bb = None
        self.raw = None
        self.samples = {}
        self.ctxt = {}      # (kind, port): the module's context switches per check, per pass

    # ---------------------------------------------------------- targets

    def targets(self):
        """(kind, server, port) measured in this run."""
        out = [("plain", "smtp-sink", self.sink.port)]
        if self.stack:
            out += [("plain", "postfix", self.stack.port("PLAIN_PORT")),
                    ("starttls", "postfix", self.stack.port("STARTTLS_PORT")),
                    ("tls", "postfix", self.stack.port("TLS_PORT")),
                    ("auth", "postfix", self.stack.port("SUBMISSION_PORT"))]
        return out

    # ---------------------------------------------------------- peers

    def cli(self, kind, port):
        n = _size("cli", kind, self.smoke)
        path = os.path.join(self.wd, "p1-%s-%d.conf" % (kind, port))
        with open(path, "w") as f:
            f.write(ck.check_file(ck.check_dicts(kind, n, port, self.stack),
                                  max_in_flight=CONC))
        rc, out, cpu, wall = run_child([smtpcheck_bin(), "--config", path, "--json"], 600,
                                       env=self.env)
        try:
            ok = sum(1 for r in json.loads(out.decode()) if r.get("ok"))
        except ValueError:
            ok = 0
        return n, ok, cpu, wall

    def module(self, kind, port):
        k = max(10, _size("cli", kind, self.smoke) // 10)
        window = 3 if self.smoke else (5 if self.passes <= 3 else 10)
        d = snmpd(self.wd, "p1-snmpd-%s-%d" % (kind, port),
                  ck.check_file(ck.check_dicts(kind, k, port, self.stack), interval=1,
                                jitter=1, max_in_flight=CONC * 8))
        try:
            time.sleep(2)
            runs0, _ = ck.count_column(d.port, "runs")
            fail0, _ = ck.count_column(d.port, "failures")
            t0, c0, x0 = time.monotonic(), proc_cpu(d.pid), proc_ctxt(d.pid)
            time.sleep(window)
            t1, c1, x1 = time.monotonic(), proc_cpu(d.pid), proc_ctxt(d.pid)
            runs1, rows = ck.count_column(d.port, "runs")
            fail1, _ = ck.count_column(d.port, "failures")
            t2 = time.monotonic()
            if fail1 > fail0:
                log("P1 module %s: last errors %s", kind, ck.last_errors(d.port))
        finally:
            d.stop()
        # Runs counted between the two walks, CPU over the window in between.
        rate = (runs1 - runs0) / (t2 - t0)
        ok_rate = rate - (fail1 - fail0) / (t2 - t0)
        n = int(round(rate * (t1 - t0)))
        self.ctxt.setdefault((kind, port), []).append((x1 - x0) / n if n else None)
        return n, int(round(ok_rate * (t1 - t0))), c1 - c0, t1 - t0

    def check_smtp(self, kind, port):
        exe = tool("check_smtp", "/usr/lib/nagios/plugins")
        if kind == "tls":
            raise Skip("check_smtp 2.3 (Debian 12) has no implicit TLS")
        n = _size("check_smtp", kind, self.smoke)
        args = ["-p", str(port), "-F", EHLO_NAME, "-t", "10"]
        if kind in ("starttls", "auth"):
            args.append("-S")
        if kind == "auth":
            args += ["-A", "LOGIN", "-U", self.stack.user, "-P", self.stack.password]
        lines = os.path.join(self.wd, "xargs-input")
        with open(lines, "w") as f:
            f.write("-H %s\n" % LOOPBACK * n)
        rc, out, cpu, wall = run_child(["xargs", "-P%d" % CONC, "-L1", "-a", lines, exe] + args,
                                       600)
        ok = out.decode(errors="replace").count("SMTP OK")
        return n, ok, cpu, wall

    def blackbox(self, kind, port):
        if self.bb is None:
            self.bb = Blackbox(self.wd, self.stack.user if self.stack else "u",
                               self.stack.password if self.stack else "p",
                               self.trust or "/etc/ssl/certs/ca-certificates.crt")
        n = _size("blackbox", kind, self.smoke)
        url = "/probe?module=%s&target=%s:%d" % (kind, LOOPBACK, port)
        counts = []
        lock = threading.Lock()
        todo = [n]

        def worker():
            conn = http.client.HTTPConnection(LOOPBACK, self.bb.port, timeout=30)
            ok = 0
            while True:
                with lock:
                    if todo[0] <= 0:
                        break
                    todo[0] -= 1
                conn.request("GET", url)
                body = conn.getresponse().read()
                ok += b"\nprobe_success 1" in body
            conn.close()
            with lock:
                counts.append(ok)

        c0, t0 = proc_cpu(self.bb.proc.pid), time.monotonic()
        threads = [threading.Thread(target=worker) for _ in range(CONC)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return n, sum(counts), proc_cpu(self.bb.proc.pid) - c0, time.monotonic() - t0

    def rawsmtp(self, kind, port):
        if kind != "plain":
            raise NotApplicable("rawsmtp is plain only")
        if self.raw is None:
            self.raw = os.path.join(self.wd, "rawsmtp")
            subprocess.run(["cc", "-O2", "-o", self.raw, os.path.join(BENCH, "rawsmtp.c")],
                           check=True)
        n = _size("raw", kind, self.smoke)
        rc, out, cpu, wall = run_child([self.raw, LOOPBACK, str(port), str(n), str(CONC)], 300)
        return n, int(out.decode().strip() or 0), cpu, wall

    def s_time(self, kind, port):
        if kind != "tls":
            raise NotApplicable("s_time runs against the implicit TLS port")
        secs = 2 if self.smoke else 5
        rc, out, cpu, wall = run_child([tool("openssl"), "s_time", "-connect",
                                        "%s:%d" % (LOOPBACK, port), "-new", "-time",
                                        str(secs)], 120)
        m = re.search(rb"(\d+) connections in", out)
        n = int(m.group(1)) if m else 0
        return n, n, cpu, wall

    # ---------------------------------------------------------- the part

    def peers(self):
        if self.smoke:
            return [("smtpcheck-cli", self.cli), ("rawsmtp", self.rawsmtp)]
        return [("smtpcheck-cli", self.cli), ("smtpcheck-module", self.module),
                ("check_smtp", self.check_smtp), ("blackbox_exporter", self.blackbox),
                ("rawsmtp", self.rawsmtp), ("openssl-s_time", self.s_time)]

    def run(self):
        for p in range(self.passes):
            for kind, server, port in self.targets():
                for peer, fn in self.peers():
                    key = (kind, server, peer)
                    try:
                        n, ok, cpu, wall = fn(kind, port)
                    except Skip as e:
                        self.samples.setdefault(key, {"skip": str(e)})
                        continue
                    except NotApplicable:
                        continue
                    s = self.samples.setdefault(key, {"rates": [], "ok": [], "n": []})
                    rate = ok / cpu if cpu > 0 else None
                    s["rates"].append(rate)
                    s["ok"].append(ok)
                    s["n"].append(n)
                    log("P1 pass %d %s/%s %s: %d/%d ok, %.3f CPU s, %.1f s wall -> %s /CPU-s",
                        p + 1, kind, server, peer, ok, n, cpu, wall,
                        "%.0f" % rate if rate else "-")
        self.report()

    def report(self):
        for (kind, server, peer), s in sorted(self.samples.items()):
            name = "%s.%s.%s" % (kind, server, peer)
            if "skip" in s:
                self.res.add("P1", name + ".checks_per_cpu_s", None, "checks/CPU-s",
                             skipped=s["skip"])
                continue
            rate = median(s["rates"])
            self.res.add("P1", name + ".checks_per_cpu_s", rate, "checks/CPU-s",
                         passes=len(s["rates"]), samples=[round(r or 0, 1) for r in s["rates"]],
                         ok=s["ok"], n=s["n"],
                         ms_cpu_per_check=round(1000 / rate, 4) if rate else None,
                         **self._ctxt(kind, server, peer))

    def _ctxt(self, kind, server, peer):
        port = {t[:2]: t[2] for t in self.targets()}.get((kind, server))
        per = self.ctxt.get((kind, port)) if peer == "smtpcheck-module" else None
        return {"ctxt_per_check": round(median(per), 2)} if per and median(per) else {}
