#!/usr/bin/python3
"""End to end: smtpcheck's Cacti package in a real Cacti 1.2 (Debian 12).

    sudo tests/nms/cacti_e2e.py            (CTest: e2e.cacti; run as root)

Imports contrib/cacti/smtpcheck_templates.xml with cli/import_template.php,
adds a device for a private snmpd that loads smtpcheck.so (dlmod), indexes
smtpCheckTable through the data query, creates every graph of the package
for two checks (a STARTTLS+AUTH+mail check against tests/fake/fakesmtp.py
and a check of a closed port), polls with poller.php into RRDs, checks the
RRDs' values against what the checks must have measured, and renders the
phase graph to PNG with Cacti's own graph code.  Prints "N passed, N failed"
and the wall time; exits 1 on any failure.

Safety: Debian's Cacti ships an enabled discovery range (192.168.1.0/24)
that poller.php scans.  Everything Cacti-related (MariaDB, snmpd, the fake
SMTP server, the Cacti CLI and poller.php) runs inside a network namespace
of ours that has only `lo`, and the discovery range is disabled and checked
off before the first poller run.  The MariaDB server is a private one (its
own data directory, listening on 127.0.0.1 inside the namespace only), so
Cacti's configuration only works inside the namespace.

Packages (scripts/setup): cacti (installed without a database, services
never started), mariadb-server-core, mariadb-client, rrdtool, snmpd, snmp.

The test changes the system for its duration and puts it back at exit,
also on failure or SIGTERM: /etc/cacti/debian.php (database settings, kept
aside and restored), the query XML in Cacti's resource/snmp_queries/, its
RRD files in /var/lib/cacti/rra/.  It removes /etc/cron.d/cacti (a poller
run from cron would run outside the namespace).

Environment: SMTPCHECK_MODULE (default <repo>/build/module/smtpcheck.so),
SMTPCHECK_TEST_TMP (scratch parent), SMTPCHECK_PICTURES (a directory: the
phase graph PNG is copied there as cacti-phases.png), KEEP=1 (keep the
scratch directory), POLLER_RUNS (poller.php runs, one a minute; default 3).
"""

import json
import os
import re
import secrets
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
sys.path.insert(0, os.path.join(REPO, "contrib", "cacti"))
import make_package  # noqa: E402  (what the package graphs, and in which unit)

CACTI = "/usr/share/cacti"
CLI = CACTI + "/cli"
SITE = CACTI + "/site"
CONFIG = "/etc/cacti/debian.php"
CRON = "/etc/cron.d/cacti"
RRA = "/var/lib/cacti/rra"
CACTI_LOG = "/var/log/cacti/cacti.log"
RESOURCE = os.path.join(SITE, "resource", "snmp_queries", make_package.RESOURCE_NAME)
DEVICE = "smtpcheck-e2e"
# s: Cacti's poller interval, its cron interval (one poll per poller.php
# run, as under cron: a shorter poller interval makes poller.php poll again
# at the end of its run and leave that poll's output to the next run) and
# the RRDs' step (the package's data templates are imported with the stock
# "1 Minute Collection" profile).
POLL_INTERVAL = 60
CHECK_INTERVAL = 5          # s: how often the checks run
# Delays (ms) the fake server adds before its replies: the phases they
# fall in must read at least this much in the RRDs.
DELAYS = {"GREETING": 40, "EHLO": 20, "AUTH": 30, "DOT": 60}
PHASE_OF_DELAY = {"GREETING": "greeting", "EHLO": "ehlo", "AUTH": "login", "DOT": "transfer"}


class Tally:
    def __init__(self):
        self.passed = self.failed = 0

    def ok(self, cond, text):
        if cond:
            self.passed += 1
            print("ok   - " + text, flush=True)
        else:
            self.failed += 1
            print("FAIL - " + text, flush=True)
        return cond


class Abort(Exception):
    """A step failed that later steps depend on."""


def run(cmd, timeout=300, check=False, **kw):
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=timeout, **kw)
    out = p.stdout.decode(errors="replace")
    if check and p.returncode != 0:
        raise Abort("%s exited %d:\n%s" % (" ".join(cmd), p.returncode, out[-3000:]))
    return out


def php(script, *args, user=None, timeout=300):
    """A Cacti PHP script; PHP 8.2's deprecation noise about Cacti 1.2.24
    is dropped from the output."""
    cmd = (["runuser", "-u", user, "--"] if user else []) + ["php", script] + list(args)
    out = run(cmd, timeout=timeout)
    return "\n".join(l for l in out.splitlines()
                     if "Deprecated" not in l and l.strip())


# ================================================================== outside
def outer(t0):
    tally = Tally()
    if os.geteuid() != 0:
        print("cacti_e2e: needs root (network namespace, system Cacti)")
        return tally, 1
    missing = [p for p in (CLI + "/import_template.php", "/usr/sbin/mariadbd",
                           "/usr/bin/mariadb-install-db", "/usr/bin/rrdtool", "/usr/sbin/snmpd")
               if not os.path.exists(p)]
    if not tally.ok(not missing, "packages installed (scripts/setup) %s" % " ".join(missing)):
        return tally, 1
    parent = os.environ.get("SMTPCHECK_TEST_TMP") or tempfile.gettempdir()
    os.makedirs(parent, exist_ok=True)
    work = tempfile.mkdtemp(prefix="smtpcheck-cacti-", dir=parent)
    os.chmod(work, 0o755)
    ns = "smtpcheck-cacti-%d" % os.getpid()
    saved_config = os.path.join(work, "debian.php.orig")
    shutil.copy2(CONFIG, saved_config)
    had_resource = os.path.exists(RESOURCE)
    inner_rc = 1
    try:
        run(["ip", "netns", "add", ns], check=True)
        run(["ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"], check=True)
        if os.path.exists(CRON):
            os.remove(CRON)
        tally.ok(not os.path.exists(CRON), "no %s (poller.php runs only in %s)" % (CRON, ns))
        env = dict(os.environ, CACTI_E2E_NS=ns, CACTI_E2E_T0=str(t0))
        p = subprocess.run(["ip", "netns", "exec", ns, sys.executable, os.path.abspath(__file__),
                            "--inner", work], stdin=subprocess.DEVNULL, env=env, timeout=900)
        inner_rc = p.returncode
    except (Abort, subprocess.TimeoutExpired) as e:
        tally.ok(False, "outer step: %s" % e)
    finally:
        cleanup(ns, work, saved_config, had_resource, tally)
    inner = {}
    counts = os.path.join(work, "counts.json")
    if os.path.exists(counts):
        with open(counts) as f:
            inner = json.load(f)
    tally.passed += inner.get("passed", 0)
    tally.failed += inner.get("failed", 0)
    tally.ok(inner_rc == 0 and inner, "inner part (in the namespace) finished (rc %d)" % inner_rc)
    if os.environ.get("KEEP") != "1":
        shutil.rmtree(work, True)
    else:
        print("kept " + work)
    return tally, 0


def cleanup(ns, work, saved_config, had_resource, tally):
    """Stop everything in the namespace, delete it, put the system back."""
    pids = run(["ip", "netns", "pids", ns]).split()
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            try:
                os.kill(int(pid), sig)
            except (ProcessLookupError, ValueError):
                pass
        deadline = time.monotonic() + 10
        while pids and time.monotonic() < deadline:
            pids = run(["ip", "netns", "pids", ns]).split()
            time.sleep(0.2)
    run(["ip", "netns", "del", ns])
    shutil.copy2(saved_config, CONFIG)
    if not had_resource and os.path.exists(RESOURCE):
        os.remove(RESOURCE)
    rrds = os.path.join(work, "rrd_files.txt")
    if os.path.exists(rrds):
        for path in open(rrds).read().split():
            # Cacti names them by its own path (site/rra -> /var/lib/cacti/rra)
            real = os.path.realpath(path)
            if os.path.dirname(real) == os.path.realpath(RRA) and os.path.exists(real):
                os.remove(real)
    left = run(["ip", "netns", "list"])
    tally.ok(ns not in left and not pids, "namespace %s and its processes gone" % ns)
    kept = [p for p in open(rrds).read().split() if os.path.exists(p)] if os.path.exists(rrds) else []
    tally.ok(not kept and open(CONFIG).read() == open(saved_config).read(),
             "%s restored, the test's RRD files removed %s" % (CONFIG, " ".join(kept)))


# ================================================================== inside
class Inner:
    def __init__(self, work):
        self.work = work
        self.t = Tally()
        self.t0 = float(os.environ.get("CACTI_E2E_T0", time.time()))
        self.procs = []
        self.figures = {}

    def say(self, text):
        print("[%5.1fs] %s" % (time.time() - self.t0, text), flush=True)

    # ------------------------------------------------------------ database
    def sql(self, query, db="cacti"):
        out = run(["mariadb", "--no-defaults", "-S", self.sock, "-uroot", "-N", "-B", db,
                   "-e", query], check=True)
        return [line.split("\t") for line in out.splitlines()]

    def one(self, query):
        rows = self.sql(query)
        return rows[0][0] if rows else None

    def start_database(self):
        from snmp_helpers import free_tcp_port, wait_until
        links = run(["ip", "-o", "link", "show"])
        self.t.ok(re.findall(r"^\d+: ([^:@]+)", links, re.M) == ["lo"],
                  "network namespace %s has only lo" % os.environ.get("CACTI_E2E_NS"))
        datadir = os.path.join(self.work, "db")
        self.sock = os.path.join(self.work, "mysqld.sock")
        self.db_port = free_tcp_port()
        run(["mariadb-install-db", "--no-defaults", "--datadir=" + datadir, "--user=root",
             "--auth-root-authentication-method=socket", "--skip-test-db"], check=True)
        log = open(os.path.join(self.work, "mysqld.log"), "wb")
        self.procs.append(subprocess.Popen(
            ["mariadbd", "--no-defaults", "--datadir=" + datadir, "--user=root",
             "--socket=" + self.sock, "--bind-address=127.0.0.1", "--port=%d" % self.db_port,
             "--skip-name-resolve", "--pid-file=" + os.path.join(self.work, "mysqld.pid"),
             "--character-set-server=utf8mb4", "--collation-server=utf8mb4_unicode_ci"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log))
        up = wait_until(lambda: "mysqld is alive" in run(
            ["mariadb-admin", "--no-defaults", "-S", self.sock, "-uroot", "ping"]), 60, 0.3)
        if not self.t.ok(up, "private MariaDB up on 127.0.0.1:%d in the namespace" % self.db_port):
            raise Abort("no database")

    def create_cacti_db(self):
        """What Debian's dbconfig would do: the schema, a user, the version."""
        password = secrets.token_hex(12)
        self.sql("CREATE DATABASE cacti; CREATE USER 'cacti'@'127.0.0.1' IDENTIFIED BY '%s';"
                 "GRANT ALL ON cacti.* TO 'cacti'@'127.0.0.1';"
                 "GRANT SELECT ON mysql.time_zone_name TO 'cacti'@'127.0.0.1'" % password,
                 db="mysql")
        with open(CACTI + "/conf_templates/cacti.sql", "rb") as f:
            subprocess.run(["mariadb", "--no-defaults", "-S", self.sock, "-uroot", "cacti"],
                           stdin=f, check=True, timeout=300)
        version = run(["dpkg-query", "-f", "${Version}", "-W", "cacti"]).split("+")[0]
        self.sql("UPDATE version SET cacti='%s'" % version)
        settings = {"poller_interval": POLL_INTERVAL, "cron_interval": POLL_INTERVAL,
                    "rrdtool_version": "rrd-1.7.x", "path_rrdtool": "/usr/bin/rrdtool",
                    "path_php_binary": "/usr/bin/php", "log_verbosity": 2}
        self.sql("REPLACE INTO settings (name, value) VALUES %s" % ",".join(
            "('%s','%s')" % kv for kv in settings.items()))
        self.write_config(password)
        self.t.ok(self.one("SELECT cacti FROM version") == version,
                  "Cacti %s schema loaded" % version)

    def write_config(self, password):
        """Point /etc/cacti/debian.php at the private database (the outer
        part restores the file)."""
        values = {"hostname": "127.0.0.1", "username": "cacti", "password": password,
                  "port": str(self.db_port), "default": "cacti"}
        with open(CONFIG) as f:
            text = f.read()
        for key, value in values.items():
            text, n = re.subn(r"^\$database_%s\s*=.*$" % key,
                              "$database_%s = '%s';" % (key, value), text, flags=re.M)
            if n != 1:
                raise Abort("%s: no $database_%s line" % (CONFIG, key))
        with open(CONFIG, "w") as f:       # keeps root:www-data 0640
            f.write(text)

    def disable_discovery(self):
        self.sql("UPDATE automation_networks SET enabled=''")
        on = self.one("SELECT COUNT(*) FROM automation_networks WHERE enabled='on'")
        stock = self.one("SELECT COUNT(*) FROM automation_networks WHERE subnet_range LIKE "
                         "'%192.168.1.0%'")
        if not self.t.ok(on == "0", "automation networks disabled (%s enabled; the stock "
                         "192.168.1.0/24 range present: %s)" % (on, stock)):
            raise Abort("a discovery range is enabled: never run the poller")

    # ------------------------------------------------------------ agent
    def start_agent(self):
        from helpers import FakeServer, certs
        from snmp_helpers import Snmpd, check, free_tcp_port, write_checks, write_file
        from snmp_helpers import COL, snmpget_one, column_oid, wait_until
        certdir = certs(os.path.join(self.work, "certs"))
        scenario = {"user": "cacti", "password": "e2e-secret",
                    "delay_ms": dict(DELAYS)}
        self.fake = FakeServer(scenario, certdir=certdir).__enter__()
        pw = write_file(os.path.join(self.work, "password"), "e2e-secret\n", 0o600)
        checks = [
            check(1, "fake-submission", self.fake.port, security="starttls",
                  tls={"ca_file": os.path.join(certdir, "ca.pem")},
                  auth={"user": "cacti", "password_file": pw},
                  mail={"from": "cacti@fake.test", "to": "postmaster@fake.test"}),
            check(2, "closed-port", free_tcp_port()),
        ]
        conf = write_checks(os.path.join(self.work, "checks.conf"), checks,
                            {"interval": CHECK_INTERVAL, "jitter": 0, "step_timeout": 10})
        self.snmpd = Snmpd(os.path.join(self.work, "snmpd"), checks_conf=conf)
        self.snmpd.start()

        def runs(i):
            return snmpget_one(self.snmpd.port, column_oid(COL["runs"], i)) or 0
        ran = wait_until(lambda: runs(1) > 0 and runs(2) > 0, 60, 0.5)
        self.t.ok(ran, "snmpd with smtpcheck.so on udp 127.0.0.1:%d, both checks ran"
                  % self.snmpd.port)
        err = snmpget_one(self.snmpd.port, column_oid(COL["errorCode"], 1))
        if not self.t.ok(err == 0, "the STARTTLS+AUTH+mail check succeeds (errorCode %s)\n%s"
                         % (err, self.snmpd.log(whole=True)[-2000:])):
            raise Abort("the good check fails")

    # ------------------------------------------------------------ Cacti objects
    def import_package(self):
        shutil.copy(os.path.join(REPO, "contrib", "cacti", make_package.RESOURCE_NAME), RESOURCE)
        profile = self.one("SELECT id FROM data_source_profiles WHERE step=%d" % POLL_INTERVAL)
        out = php(CLI + "/import_template.php", "--filename=" + make_package.PACKAGE_XML,
                  "--profile-id=%s" % profile)
        out = re.sub(r"<[^>]*>", "", out)
        with open(os.path.join(self.work, "import.log"), "w") as f:
            f.write(out)
        good = re.findall(r"^\s*\[success\] (.*)$", out, re.M)
        bad = [l for l in out.splitlines()
               if re.search(r"\[fail|error", l, re.I) and not l.startswith("[success]")]
        want = len(make_package.GRAPHS) * 2 + 1       # data + graph templates, the query
        self.t.ok(len(good) >= want and not bad,
                  "import_template.php: %d objects imported, no failure%s"
                  % (len(good), ("\n" + out) if bad or len(good) < want else ""))
        self.dq = self.one("SELECT id FROM snmp_query WHERE hash='%s'"
                           % make_package.digest("data_query"))
        self.templates = {}
        for g in make_package.GRAPHS:
            gt = self.one("SELECT id FROM graph_templates WHERE hash='%s'"
                          % make_package.gt_hash(g))
            sqg = self.one("SELECT id FROM snmp_query_graph WHERE snmp_query_id='%s' AND "
                           "graph_template_id='%s'" % (self.dq, gt))
            self.templates[g["key"]] = (gt, sqg)
        ids_ok = self.dq and all(gt and sqg for gt, sqg in self.templates.values())
        if not self.t.ok(ids_ok, "data query %s and graph templates %s in the database"
                         % (self.dq, self.templates)):
            raise Abort("imported objects missing")
        steps = self.one("SELECT GROUP_CONCAT(DISTINCT rrd_step) FROM data_template_data "
                         "WHERE local_data_id=0 AND data_template_id IN (SELECT id FROM "
                         "data_template WHERE hash IN (%s))" % ",".join(
                             "'%s'" % make_package.dt_hash(g) for g in make_package.GRAPHS))
        self.t.ok(steps == str(POLL_INTERVAL), "data templates take the %d s profile "
                  "(--profile-id), step %s" % (POLL_INTERVAL, steps))

    def add_device(self):
        out = php(CLI + "/add_device.php", "--description=" + DEVICE, "--ip=127.0.0.1",
                  "--template=0", "--version=2", "--community=public",
                  "--port=%d" % self.snmpd.port, "--avail=snmp")
        m = re.search(r"new device-id: \((\d+)\)", out)
        if not self.t.ok(m, "add_device.php: %s" % (m.group(0) if m else out)):
            raise Abort("no device")
        self.host = m.group(1)
        out = php(CLI + "/add_data_query.php", "--host-id=" + self.host,
                  "--data-query-id=" + self.dq, "--reindex-method=1")
        rows = self.sql("SELECT snmp_index, field_name, field_value FROM host_snmp_cache "
                        "WHERE host_id=%s AND snmp_query_id=%s" % (self.host, self.dq))
        cache = {}
        for index, field, value in rows:
            cache.setdefault(index, {})[field] = value
        want = {"1": "fake-submission", "2": "closed-port"}
        got = {i: f.get("smtpCheckName") for i, f in cache.items()}
        self.t.ok(got == want and all(f.get("smtpCheckIndex") == i for i, f in cache.items()),
                  "data query indexed the rows by smtpCheckIndex: %s (%s)" % (got, out))
        self.figures["query_cache_rows"] = len(rows)

    def add_graphs(self):
        self.graphs = {}
        for g in make_package.GRAPHS:
            gt, sqg = self.templates[g["key"]]
            for index in ("1", "2"):
                out = php(CLI + "/add_graphs.php", "--host-id=" + self.host, "--graph-type=ds",
                          "--graph-template-id=" + gt, "--snmp-query-id=" + self.dq,
                          "--snmp-query-type-id=" + sqg, "--snmp-field=smtpCheckIndex",
                          "--snmp-value=" + index)
                m = re.search(r"Graph Added - Graph\[(\d+)\]", out)
                self.t.ok(m, "add_graphs.php %s, check %s: %s" % (g["key"], index, out))
                if m:
                    self.graphs[(g["key"], index)] = m.group(1)
        want = sum(len(g["ds"]) for g in make_package.GRAPHS) * 2
        items = self.sql("SELECT rrd_name, arg1, rrd_path FROM poller_item WHERE host_id=%s"
                         % self.host)
        oids_ok = all(arg.startswith(make_package.ENTRY + ".") for _n, arg, _p in items)
        self.t.ok(len(items) == want and oids_ok,
                  "%d poller items, one per data source (%d), each an OID of smtpCheckEntry"
                  % (len(items), want))
        self.figures["data_sources"] = len(items)
        self.figures["graphs"] = len(self.graphs)
        self.rrd_files = sorted({p for _n, _a, p in items})
        with open(os.path.join(self.work, "rrd_files.txt"), "w") as f:
            f.write("\n".join(self.rrd_files) + "\n")
        stale = [p for p in self.rrd_files if os.path.exists(p)]
        for p in stale:            # left by a run that was killed before its cleanup
            os.remove(p)

    # ------------------------------------------------------------ polling
    def poll(self):
        self.disable_discovery()          # checked again right before the poller
        runs = int(os.environ.get("POLLER_RUNS", "3"))
        # RRD steps sit on multiples of the step: a first poll late in a
        # step leaves that step mostly unknown (NaN), so n polls would give
        # n - 2 steps with a value, or n - 1, by chance. Start just after
        # a boundary so that they always give n - 1.
        time.sleep((POLL_INTERVAL - time.time() % POLL_INTERVAL + 2) % POLL_INTERVAL)
        self.poll_start = time.time()
        log_size = os.path.getsize(CACTI_LOG) if os.path.exists(CACTI_LOG) else 0
        for i in range(runs):
            if i:          # as cron would start it: once per interval
                time.sleep(max(0.0, self.poll_start + i * POLL_INTERVAL - time.time()))
            out = php(SITE + "/poller.php", "--force", user="www-data", timeout=200)
            left = self.sql("SELECT local_data_id, rrd_name, time, output FROM poller_output")
            with open(os.path.join(self.work, "poller.log"), "a") as f:
                f.write(out + "\nleft in poller_output: %s\n" % left)
            self.say("poller.php run %d/%d done" % (i + 1, runs))
        with open(CACTI_LOG, errors="replace") as f:
            f.seek(log_size)
            log = f.read()
        # poller.php starts discovery for every network it has; Cacti's
        # answer for the (disabled) stock range must be this refusal.
        refused = re.compile(r"AUTOM8 .*WARNING: The Network ID: \d+ is disabled")
        lines = log.splitlines()
        errors = [l for l in lines if re.search(r"ERROR|FATAL", l) and "DEPRECATED" not in l.upper()]
        self.t.ok(not errors, "no error in cacti.log during polling%s"
                  % ("\n" + "\n".join(errors[:20]) if errors else ""))
        scans = [l for l in lines if "AUTOM8" in l and not refused.search(l)]
        self.t.ok(not scans, "no network discovery ran (%d refusals of the disabled range "
                  "logged)%s" % (len([l for l in lines if refused.search(l)]),
                                  ("\n" + "\n".join(scans[:10])) if scans else ""))
        # Cacti 1.2.24 warns that rows stay in poller_output after it wrote
        # them to the RRDs (check_rrds sees every poll's values); counted only.
        self.figures["cacti_log_warnings"] = len(
            [l for l in lines if "WARNING" in l and not refused.search(l)])
        stats = re.findall(r"SYSTEM STATS: .*", log)
        self.figures["poller_stats"] = stats[-1] if stats else None

    # ------------------------------------------------------------ RRDs
    def rrd_of(self, key, index):
        path = self.one("SELECT DISTINCT pi.rrd_path FROM poller_item pi JOIN graph_templates_item "
                        "gti ON gti.local_graph_id=%s JOIN data_template_rrd dtr ON "
                        "dtr.id=gti.task_item_id WHERE pi.local_data_id=dtr.local_data_id"
                        % self.graphs[(key, index)])
        return path

    def fetch(self, path):
        """{ds: [values of the rows that are not NaN]} since polling began."""
        out = run(["rrdtool", "fetch", path, "AVERAGE", "-r", str(POLL_INTERVAL),
                   "-s", str(int(self.poll_start) - POLL_INTERVAL)], check=True)
        with open(os.path.join(self.work, "fetch-" + os.path.basename(path) + ".txt"), "w") as f:
            f.write(out)
        lines = out.splitlines()
        names = lines[0].split()
        values = {n: [] for n in names}
        for line in lines[1:]:
            if ":" not in line:
                continue
            for n, v in zip(names, line.split(":", 1)[1].split()):
                if v.lower() not in ("nan", "-nan"):
                    values[n].append(float(v))
        return values

    def check_rrds(self):
        existing = [p for p in self.rrd_files if os.path.exists(p)]
        self.t.ok(len(existing) == len(self.rrd_files) and existing,
                  "%d RRD files created by poller.php" % len(existing))
        data = {(k, i): self.fetch(self.rrd_of(k, i))
                for (k, i) in self.graphs if self.rrd_of(k, i) in existing}
        total = sum(len(v) for d in data.values() for v in d.values())
        self.figures["rrd_values"] = total
        empty = ["%s/%s/%s" % (k, i, ds) for (k, i), d in data.items()
                 for ds, v in d.items() if not v]
        self.t.ok(total and not empty, "%d non-NaN values in the RRDs, every data source has "
                  "some%s" % (total, (": empty " + ", ".join(empty)) if empty else ""))
        runs = int(os.environ.get("POLLER_RUNS", "3"))
        rows = min((len(v) for d in data.values() for v in d.values()), default=0)
        self.t.ok(rows >= runs - 1, "every data source has %d or more %d s steps with a value "
                  "after %d polls (%d)" % (runs - 1, POLL_INTERVAL, runs, rows))
        self.check_phases(data.get(("phases", "1"), {}))
        self.check_codes(data.get(("errors", "1"), {}), data.get(("errors", "2"), {}))
        self.check_availability(data.get(("availability", "1"), {}),
                                data.get(("availability", "2"), {}))

    def check_phases(self, d):
        scale = {}
        for phase, _l, _c in make_package.PHASES + [("Total", "", "")]:
            _col, unit = make_package.timing(phase)
            scale[phase.lower()] = 1e-6 if unit == "us_to_s" else 1e-3
        ms = {n: 1000 * scale[n] * max(v) for n, v in d.items() if v}
        for verb, phase in PHASE_OF_DELAY.items():
            self.t.ok(ms.get(phase, 0) >= DELAYS[verb],
                      "RRD %s time %.1f ms >= the fake server's %d ms delay"
                      % (phase, ms.get(phase, 0), DELAYS[verb]))
        phases = sum(ms.get(p.lower(), 0) for p, _l, _c in make_package.PHASES)
        self.t.ok(sum(DELAYS.values()) <= ms.get("total", 0) < 10000,
                  "RRD total %.1f ms: above the delays (%d ms), under 10 s; the phases add "
                  "up to %.1f ms" % (ms.get("total", 0), sum(DELAYS.values()), phases))
        tls = ms.get("tls", 0)
        self.t.ok(tls > 0, "RRD TLS time %.2f ms > 0 (STARTTLS ran)" % tls)
        if make_package.timing("Connect")[1] == "us_to_s":
            # microsecond columns: phases under 1 ms on loopback are not 0
            fast = {p: ms.get(p, 0) for p in ("connect", "quit")}
            self.t.ok(all(0 < v < 1000 for v in fast.values()),
                      "RRD sub-millisecond phases read in microseconds: %s ms" % fast)
        self.figures["phases_ms"] = {k: round(v, 2) for k, v in ms.items()}

    def check_codes(self, good, closed):
        from snmp_helpers import ERROR, STEP
        self.t.ok(good.get("error_code") and set(good["error_code"]) == {0.0}
                  and set(good.get("response_code", [])) == {0.0},
                  "good check: error code 0 and reply code 0 in every row (%s)" % good)
        self.t.ok(closed.get("error_code") and
                  set(closed["error_code"]) == {float(ERROR["connectionRefused"])}
                  and set(closed.get("failed_step", [])) == {float(STEP["connect"])}
                  and set(closed.get("response_code", [])) == {-1.0},
                  "closed port: error code connectionRefused(%d), step connect(%d), reply "
                  "code -1 in every row (%s)"
                  % (ERROR["connectionRefused"], STEP["connect"], closed))

    def check_availability(self, good, closed):
        runs_per_min = 60.0 / CHECK_INTERVAL
        rates = good.get("runs", [])
        self.t.ok(rates and all(0.5 * runs_per_min <= 60 * r <= 2 * runs_per_min
                                for r in rates),
                  "good check: %s runs/min (about %.0f)" % (
                      [round(60 * r, 2) for r in rates], runs_per_min))
        self.t.ok(good.get("failures") and max(good["failures"]) == 0,
                  "good check: no failures/min (%s)" % good.get("failures"))
        c_runs, c_fail = closed.get("runs", []), closed.get("failures", [])
        self.t.ok(c_fail and c_runs and all(abs(a - b) < 1e-6 for a, b in zip(c_runs, c_fail))
                  and min(c_fail) > 0,
                  "closed port: failures/min = runs/min > 0 (%s)"
                  % [round(60 * r, 2) for r in c_fail])

    # ------------------------------------------------------------ graph
    def render(self):
        script = os.path.join(self.work, "graph.php")
        with open(script, "w") as f:
            f.write(GRAPH_PHP)
        pngs = {}
        for (key, index), lgid in sorted(self.graphs.items()):
            png = os.path.join(self.work, "%s-%s.png" % (key, index))
            php(script, lgid, png, str(int(self.poll_start) - 2 * POLL_INTERVAL),
                str(int(time.time()) + POLL_INTERVAL))
            size = png_size(png)
            self.t.ok(size and size[0] >= 400 and size[1] >= 150,
                      "Cacti rendered graph %s (%s, check %s): PNG %s"
                      % (lgid, key, index, "%dx%d" % size if size else "missing"))
            pngs[(key, index)] = png
        pictures = os.environ.get("SMTPCHECK_PICTURES")
        if pictures and ("phases", "1") in pngs:
            os.makedirs(pictures, exist_ok=True)
            shutil.copy(pngs[("phases", "1")], os.path.join(pictures, "cacti-phases.png"))
            print("copied the phase graph to %s/cacti-phases.png" % pictures)

    # ------------------------------------------------------------ all
    def main(self):
        try:
            self.start_database()
            self.create_cacti_db()
            self.disable_discovery()
            self.start_agent()
            self.import_package()
            self.add_device()
            self.add_graphs()
            self.poll()
            self.check_rrds()
            self.render()
        except Abort as e:
            self.t.ok(False, "stopped: %s" % e)
        finally:
            self.stop()
        print("FIGURES: " + json.dumps(self.figures, sort_keys=True))
        with open(os.path.join(self.work, "counts.json"), "w") as f:
            json.dump({"passed": self.t.passed, "failed": self.t.failed}, f)
        return 0 if self.t.failed == 0 else 1

    def stop(self):
        for stop in (getattr(self, "snmpd", None), ):
            if stop is not None:
                stop.stop()
        if getattr(self, "fake", None) is not None:
            self.fake.__exit__(None, None, None)
        for p in self.procs:
            p.terminate()
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()


GRAPH_PHP = r"""<?php
/* Render a graph with Cacti's own code: graph.php LOCAL_GRAPH_ID OUT START END */
include('/usr/share/cacti/site/include/cli_check.php');
include_once($config['base_path'] . '/lib/rrd.php');
$gda = array('graph_start' => intval($argv[3]), 'graph_end' => intval($argv[4]),
             'image_format' => 'png', 'graph_width' => 700, 'graph_height' => 200,
             'disable_cache' => true);
$n = array();
file_put_contents($argv[2], rrdtool_function_graph(intval($argv[1]), 0, $gda, false, $n, 0));
"""


def png_size(path):
    """(width, height) from a PNG's IHDR, or None."""
    try:
        with open(path, "rb") as f:
            head = f.read(24)
    except OSError:
        return None
    if len(head) < 24 or head[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    return struct.unpack(">II", head[16:24])


def main(argv):
    if argv[1:2] == ["--inner"]:
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
        return Inner(argv[2]).main()
    t0 = time.time()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))   # runs the cleanup
    tally, _ = outer(t0)
    print("wall time %.1f s" % (time.time() - t0))
    print("e2e.cacti: %d passed, %d failed" % (tally.passed, tally.failed))
    return 0 if tally.failed == 0 and tally.passed else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
