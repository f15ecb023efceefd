#!/usr/bin/env python3
"""e2e.zabbix: smtpcheck's template in a real Zabbix 6.0 (Debian packages).

Everything runs inside a network namespace that has only `lo`, so nothing
can leave the machine: a private PostgreSQL cluster, zabbix_server, the PHP
frontend on `php -S`, the Postfix + Dovecot mail stack (scripts/mailstack),
two snmpd with our module (SMTPCHECK_MODULE, from the build tree) on
127.0.0.1 and 127.0.0.2, each with its own check file, and snmptrapd with
our receiver (contrib/zabbix/smtpcheck_zabbix_traps.py).

The run:
  1. imports contrib/zabbix/smtpcheck_template.yaml through the JSON-RPC API;
  2. adds host A (checks: STARTTLS+AUTH+mail, plain through a switchable
     forwarder, a closed port) and host B (a second agent, two checks),
     both linked to the one template;
  3. waits until discovery made the items and every polled item has a
     value, and none is "not supported";
  4. expects exactly the problems the checks deserve (the closed port, and
     B's two deliberately low per-check thresholds), and none for the good
     checks, the certificate trigger included;
  5. closes the plain check's server: its smtpCheckAlarmRaised trap opens a
     problem; reopens it: smtpCheckAlarmCleared resolves that problem;
  6. renders the phase graph through chart2.php as a PNG.

Prints "N passed, N failed" and the counts; exit 0 only when all passed.
Exit 77 (skipped) when Zabbix is not installed, except under CI=true.
SMTPCHECK_PICTURES=DIR copies the graph to DIR/zabbix-phases.png.
Needs root (netns, PostgreSQL cluster, mail stack).
"""

import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
import snmp_helpers as sh  # noqa: E402

TEMPLATE_YAML = os.path.join(REPO, "contrib", "zabbix", "smtpcheck_template.yaml")
RECEIVER = os.path.join(REPO, "contrib", "zabbix", "smtpcheck_zabbix_traps.py")
MIB = os.path.join(REPO, "mibs", "SMTP-CHECK-MIB.txt")
MAILSTACK = os.path.join(REPO, "scripts", "mailstack")
ZBX_CONF_PHP = "/etc/zabbix/zabbix.conf.php"
PG_CLUSTER = "smtpcheck_zbx_e2e"
SKIP = 77
NEEDED = ["zabbix_server", "php", "pg_createcluster", "snmpd", "snmptrapd", "postfix",
          "dovecot", "ip"]
HOST_B_ADDR = "127.0.0.2"
INTERVAL = 5
TEMPLATE = "smtpcheck by SNMP"


def log(msg):
    print("[%4.0fs] %s" % (time.monotonic() - T0, msg), flush=True)


T0 = time.monotonic()


# ---------------------------------------------------------------- outer: netns


def missing_tools():
    paths = os.environ.get("PATH", "") + ":/usr/sbin:/sbin:/usr/lib/postgresql"
    return [t for t in NEEDED if not shutil.which(t, path=paths)]


def outer():
    if os.geteuid() != 0:
        print("zabbix e2e: needs root")
        return SKIP if os.environ.get("CI") != "true" else 1
    missing = missing_tools()
    if missing or not os.path.exists("/usr/share/zabbix-server-pgsql/schema.sql.gz"):
        print("zabbix e2e: not installed: %s (scripts/setup installs them)" % missing)
        return SKIP if os.environ.get("CI") != "true" else 1
    ns = "smtpchk-zbx-%d" % os.getpid()
    subprocess.run(["ip", "netns", "add", ns], check=True)
    proc = None

    def on_signal(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        subprocess.run(["ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"], check=True)
        env = dict(os.environ, SMTPCHECK_E2E_INNER="1", SMTPCHECK_E2E_T0=str(time.time()))
        proc = subprocess.Popen(["ip", "netns", "exec", ns, sys.executable,
                                 os.path.abspath(__file__)], env=env, start_new_session=True)
        return proc.wait()
    finally:
        if proc is not None and proc.poll() is None:   # interrupted: the inner part cleans up
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(120)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        kill_netns_leftovers(ns)
        subprocess.run(["ip", "netns", "del", ns])


def kill_netns_leftovers(ns):
    """Anything still running in our namespace was started by this test."""
    out = subprocess.run(["ip", "netns", "pids", ns], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL).stdout.split()
    for pid in out:
        try:
            os.kill(int(pid), signal.SIGKILL)
        except (ProcessLookupError, ValueError):
            pass


# ---------------------------------------------------------------- results


class Results:
    def __init__(self):
        self.passed = self.failed = 0
        self.counts = {}

    def check(self, cond, what, detail=""):
        if cond:
            self.passed += 1
            print("ok   - %s" % what, flush=True)
        else:
            self.failed += 1
            print("FAIL - %s%s" % (what, ("\n       " + str(detail)) if detail else ""),
                  flush=True)
        return cond


R = Results()


class Fatal(Exception):
    pass


def must(cond, what, detail=""):
    if not R.check(cond, what, detail):
        raise Fatal(what)


wait_for = sh.wait_until


def run(cmd, **kw):
    kw.setdefault("stdin", subprocess.DEVNULL)
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.STDOUT)
    return subprocess.run(cmd, **kw)


def free_port(kind=socket.SOCK_STREAM, host="127.0.0.1", below=None):
    """A port nothing is bound to; BELOW caps it (zabbix_server refuses
    ListenPort above 32767)."""
    for port in ([0] if below is None else range(below - 1, 1024, -1)):
        with socket.socket(socket.AF_INET, kind) as s:
            try:
                s.bind((host, port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise OSError("no free port")


# ---------------------------------------------------------------- daemons


class Stack:
    """Every daemon of the run; stop() ends them in reverse order."""

    def __init__(self, work):
        self.work = work
        self.stops = []

    def on_stop(self, fn):
        self.stops.append(fn)

    def stop(self):
        while self.stops:
            fn = self.stops.pop()
            t = time.monotonic()
            try:
                fn()
            except Exception as e:   # keep cleaning up
                print("cleanup: %s" % e, flush=True)
            if time.monotonic() - t > 3:
                log("cleanup step took %.0fs: %s" % (time.monotonic() - t, fn))


def pg_version():
    return sorted(os.listdir("/usr/lib/postgresql"), key=lambda v: [int(x) for x in v.split(".")])[-1]


def start_postgres(st):
    ver = pg_version()
    port = free_port()
    while os.path.exists("/var/run/postgresql/.s.PGSQL.%d" % port):   # sockets are global
        port = free_port()
    run(["pg_dropcluster", "--stop", ver, PG_CLUSTER])
    p = run(["pg_createcluster", ver, PG_CLUSTER, "-p", str(port), "--",
             "--auth-local=peer", "--auth-host=md5"])
    must(p.returncode == 0, "private PostgreSQL cluster", p.stdout.decode()[-2000:])
    st.on_stop(lambda: run(["pg_dropcluster", "--stop", ver, PG_CLUSTER]))
    conf = "/etc/postgresql/%s/%s/postgresql.conf" % (ver, PG_CLUSTER)
    with open(conf, "a") as f:   # a throw-away database: speed over durability
        f.write("listen_addresses = '127.0.0.1'\nfsync = off\nsynchronous_commit = off\n"
                "full_page_writes = off\n")
    p = run(["pg_ctlcluster", ver, PG_CLUSTER, "start"])
    must(p.returncode == 0, "PostgreSQL started", p.stdout.decode()[-2000:])
    psql = ["su", "postgres", "-c"]
    run(psql + ["psql -p %d -qc \"CREATE ROLE zabbix LOGIN PASSWORD 'zabbix'\"" % port])
    run(psql + ["createdb -p %d -O zabbix zabbix" % port])
    sql = " ".join("/usr/share/zabbix-server-pgsql/%s.sql.gz" % n
                   for n in ("schema", "images", "data"))
    p = run(["bash", "-c", "zcat %s | PGPASSWORD=zabbix psql -q -v ON_ERROR_STOP=1 -h 127.0.0.1 "
             "-p %d -U zabbix zabbix" % (sql, port)])
    must(p.returncode == 0, "Zabbix schema loaded", p.stdout.decode()[-2000:])
    return port


def start_zabbix_server(st, pg_port, trapfile):
    work = st.work
    port = free_port(below=32768)
    conf = os.path.join(work, "zabbix_server.conf")
    with open(conf, "w") as f:
        f.write("\n".join([
            "LogFile=%s/zabbix_server.log" % work, "LogFileSize=0",
            "PidFile=%s/zabbix_server.pid" % work, "SocketDir=%s" % work,
            "ListenIP=127.0.0.1", "ListenPort=%d" % port,
            "DBHost=127.0.0.1", "DBPort=%d" % pg_port, "DBName=zabbix", "DBUser=zabbix",
            "DBPassword=zabbix", "StartPollers=2", "StartPollersUnreachable=1",
            "StartPingers=0", "StartDiscoverers=0", "StartHTTPPollers=0",
            "StartPreprocessors=2", "StartHistoryPollers=1", "StartLLDProcessors=1",
            "StartSNMPTrapper=1", "SNMPTrapperFile=%s" % trapfile,
            "CacheUpdateFrequency=2", "HousekeepingFrequency=0", "Timeout=4", ""]))
    p = run(["zabbix_server", "-c", conf])
    must(p.returncode == 0, "zabbix_server started", p.stdout.decode())
    st.on_stop(lambda: stop_pidfile(os.path.join(work, "zabbix_server.pid"), 60))
    zlog = os.path.join(work, "zabbix_server.log")
    up = wait_for(lambda: "started [poller #1]" in read(zlog), 30, 0.5)
    must(up, "zabbix_server running", read(zlog)[-2000:])
    return port


def stop_pidfile(path, timeout):
    try:
        pid = int(open(path).read().split()[0])
    except (OSError, ValueError, IndexError):
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    if not wait_for(lambda: not os.path.exists("/proc/%d" % pid) or
                    "State:\tZ" in read("/proc/%d/status" % pid), timeout, 0.2):
        os.kill(pid, signal.SIGKILL)


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def start_frontend(st, pg_port, zbx_port):
    """php -S with the frontend; its one configuration file is global, so
    the previous one is put back afterwards."""
    saved = read(ZBX_CONF_PHP) if os.path.exists(ZBX_CONF_PHP) else None
    with open(ZBX_CONF_PHP, "w") as f:
        f.write("""<?php
$DB['TYPE']='POSTGRESQL'; $DB['SERVER']='127.0.0.1'; $DB['PORT']='%d';
$DB['DATABASE']='zabbix'; $DB['USER']='zabbix'; $DB['PASSWORD']='zabbix'; $DB['SCHEMA']='';
$DB['ENCRYPTION']=false; $DB['KEY_FILE']=''; $DB['CERT_FILE']=''; $DB['CA_FILE']='';
$DB['VERIFY_HOST']=false; $DB['CIPHER_LIST']=''; $DB['VAULT_URL']=''; $DB['VAULT_DB_PATH']='';
$DB['VAULT_TOKEN']=''; $DB['DOUBLE_IEEE754']=true;
$ZBX_SERVER='127.0.0.1'; $ZBX_SERVER_PORT='%d'; $ZBX_SERVER_NAME='smtpcheck-e2e';
$IMAGE_FORMAT_DEFAULT=IMAGE_FORMAT_PNG;
""" % (pg_port, zbx_port))

    def restore():
        if saved is None:
            os.unlink(ZBX_CONF_PHP)
        else:
            with open(ZBX_CONF_PHP, "w") as f:
                f.write(saved)
    st.on_stop(restore)
    port = free_port()
    out = open(os.path.join(st.work, "php.log"), "ab")
    env = dict(os.environ, LANG="en_US.UTF-8", LC_ALL="en_US.UTF-8")
    proc = subprocess.Popen(["php", "-d", "post_max_size=16M", "-d", "max_execution_time=300",
                             "-d", "memory_limit=256M", "-d", "date.timezone=UTC",
                             "-S", "127.0.0.1:%d" % port, "-t", "/usr/share/zabbix"],
                            stdin=subprocess.DEVNULL, stdout=out, stderr=out, env=env)
    st.on_stop(lambda: sh._stop_process(proc))
    return "http://127.0.0.1:%d" % port


def start_mailstack(st):
    d = tempfile.mkdtemp(prefix="zms-", dir="/tmp")
    st.on_stop(lambda: shutil.rmtree(d, True))
    p = run([MAILSTACK, "start", d], timeout=180)
    st.on_stop(lambda: run([MAILSTACK, "stop", d], timeout=120))
    must(p.returncode == 0, "mail stack (Postfix + Dovecot) started", p.stdout.decode()[-3000:])
    env = {}
    for line in read(os.path.join(d, "env")).splitlines():
        k, sep, v = line.partition("=")
        if sep:
            env[k] = v
    return env


def start_trapd(st, trapfile):
    port = free_port(socket.SOCK_DGRAM)
    conf = os.path.join(st.work, "snmptrapd.conf")
    with open(conf, "w") as f:   # the lines docs/zabbix.md gives
        f.write("authCommunity execute public\n"
                "traphandle default %s %s --mib %s %s\n"
                % (sys.executable, RECEIVER, MIB, trapfile))
    env = dict(os.environ, MIBS="", SNMPCONFPATH=st.work,
               SNMP_PERSISTENT_DIR=os.path.join(st.work, "trapd-persist"))
    out = open(os.path.join(st.work, "snmptrapd.stderr"), "ab")
    proc = subprocess.Popen([sh.which("snmptrapd"), "-f", "-C", "-c", conf, "-M", "/nonexistent",
                             "-m", "", "-n", "-On", "-Lf", os.path.join(st.work, "snmptrapd.log"),
                             "udp:127.0.0.1:%d" % port],
                            stdin=subprocess.DEVNULL, stdout=out, stderr=out, env=env)
    st.on_stop(lambda: sh._stop_process(proc))
    ok = wait_for(lambda: "NET-SNMP version" in read(os.path.join(st.work, "snmptrapd.log"))
                  or proc.poll() is not None, 15, 0.1)
    must(ok and proc.poll() is None, "snmptrapd with our receiver",
         read(os.path.join(st.work, "snmptrapd.log")))
    return port


class Agent(sh.Snmpd):
    """snmpd with our module on ADDR (the two agents differ by address)."""

    def __init__(self, workdir, checks_conf, trap_port, addr):
        super().__init__(workdir, checks_conf=checks_conf, trap_port=trap_port,
                         port=free_port(socket.SOCK_DGRAM, addr))
        self.addr = addr

    def conf_text(self):
        text = super().conf_text().replace("udp:%s:" % sh.LOOPBACK, "udp:%s:" % self.addr)
        text = text.replace("rocommunity public %s" % sh.LOOPBACK, "rocommunity public 127.0.0.0/8")
        # Traps leave from the agent's own address: Zabbix matches them to
        # the host by source address. A library token ([snmp]), before
        # trap2sink, which opens the sink's session as it is read.
        return "[snmp] clientaddr %s\n" % self.addr + text

    def _answers(self):
        try:
            sh.raw_get(self.port, sh.SYS_UPTIME, timeout=1, host=self.addr)
            return True
        except (sh.SnmpError, OSError):
            return False


def new_agent(st, name, addr, checks, trap_port):
    """An agent with its check file and port, not started yet."""
    d = os.path.join(st.work, name)
    os.makedirs(d)
    conf = sh.write_checks(os.path.join(d, "checks.conf"), checks,
                           {"interval": INTERVAL, "jitter": 0, "step_timeout": 5, "timeout": 10})
    agent = Agent(d, conf, trap_port, addr)
    agent.name, agent.checks = name, len(checks)
    st.on_stop(agent.stop)
    return agent


def start_agent(agent):
    name, addr, checks = agent.name, agent.addr, agent.checks
    try:
        agent.start()
    except RuntimeError as e:
        must(False, "snmpd %s with smtpcheck.so on %s" % (name, addr), e)
    R.check(True, "snmpd %s with smtpcheck.so on %s:%d (%d checks)"
            % (name, addr, agent.port, checks))


# ---------------------------------------------------------------- Zabbix API


class Api:
    def __init__(self, url):
        self.url = url + "/api_jsonrpc.php"
        self.auth = None

    def __call__(self, method, **params):
        body = {"jsonrpc": "2.0", "method": method, "params": params, "id": 1}
        if self.auth and method not in ("apiinfo.version", "user.login"):
            body["auth"] = self.auth
        req = urllib.request.Request(self.url, json.dumps(body).encode(),
                                     {"Content-Type": "application/json-rpc"})
        with urllib.request.urlopen(req, timeout=60) as r:
            d = json.load(r)
        if "error" in d:
            raise RuntimeError("%s: %s" % (method, d["error"]))
        return d["result"]

    def ready(self):
        try:
            return self("apiinfo.version")
        except (OSError, RuntimeError, ValueError):
            return None


def import_template(api):
    with open(TEMPLATE_YAML) as f:
        source = f.read()
    yes = {"createMissing": True, "updateExisting": True}
    rules = {"templates": yes, "items": yes, "triggers": yes, "discoveryRules": yes,
             "graphs": yes, "valueMaps": yes, "templateLinkage": {"createMissing": True},
             "groups": {"createMissing": True}}
    try:
        api("configuration.import", format="yaml", rules=rules, source=source)
        ok, err = True, ""
    except RuntimeError as e:
        ok, err = False, e
    must(ok, "our template imported through the API", err)
    t = api("template.get", output=["templateid"], filter={"host": [TEMPLATE]})
    must(len(t) == 1, "template %r present" % TEMPLATE)
    return t[0]["templateid"]


def add_host(api, tid, name, addr, port, macros):
    gid = api("hostgroup.get", output=["groupid"], filter={"name": ["Linux servers"]})[0]["groupid"]
    hid = api("host.create", host=name, groups=[{"groupid": gid}], templates=[{"templateid": tid}],
              interfaces=[{"type": 2, "main": 1, "useip": 1, "ip": addr, "dns": "",
                           "port": str(port),
                           "details": {"version": 2, "bulk": 1, "community": "public"}}],
              macros=[{"macro": k, "value": v} for k, v in macros.items()])["hostids"][0]
    return hid


def discovered(api, hid):
    return api("item.get", output=["itemid", "key_", "type", "lastclock", "state", "error",
                                   "lastvalue", "name"],
               hostids=[hid], filter={"flags": 4})


def problems(api, hids):
    return api("problem.get", output=["eventid", "name", "r_eventid"], hostids=hids,
               selectTags="extend", recent=True)


def open_names(api, hid):
    return sorted(p["name"] for p in problems(api, [hid]) if p["r_eventid"] == "0")


# ---------------------------------------------------------------- the run


def checks_a(ms, plain_port, closed_port):
    tls = {"ca_file": ms["CA_FILE"]}
    auth = {"user": ms["USER"], "password_file": ms["PASSWORD_FILE"]}
    on_error = {"on_error": True}
    return [
        sh.check(1, "submission", int(ms["SUBMISSION_PORT"]), security="starttls", tls=tls,
                 auth=auth, mail={"from": ms["USER"], "to": [ms["RCPT"]]},
                 alarms={"on_error": True, "cert_days": 14}),
        sh.check(2, "plain", plain_port, alarms=on_error),
        sh.check(3, "closed", closed_port, alarms=on_error),
    ]


def checks_b(ms):
    return [
        sh.check(1, "b-starttls", int(ms["STARTTLS_PORT"]), security="starttls",
                 tls={"ca_file": ms["CA_FILE"]}),
        sh.check(2, "b-plain", int(ms["PLAIN_PORT"])),
    ]


# Host macros. A: fast polling, 2 failures, 30 s without success.
# B: two per-check thresholds that must fire, and the same certificate
# threshold on a plain check, where it must not.
MACROS_COMMON = {"{$SMTPCHECK.POLL}": "%ds" % INTERVAL, "{$SMTPCHECK.LLD.POLL}": "10s"}
MACROS_A = dict(MACROS_COMMON, **{"{$SMTPCHECK.FAIL.N}": "2", "{$SMTPCHECK.NOSUCCESS.MIN}": "0.5"})
MACROS_B = dict(MACROS_COMMON, **{'{$SMTPCHECK.CERT.DAYS:"b-starttls"}': "100000",
                                  '{$SMTPCHECK.CERT.DAYS:"b-plain"}': "100000",
                                  '{$SMTPCHECK.TOTAL.MAX:"b-plain"}': "0"})
EXPECT_A = sorted(["SMTP check closed (127.0.0.1) failed 2 runs in a row",
                   "SMTP check closed: no success for 0.5 minutes",
                   "SMTP check closed: availability over 1 h under 99%"])
EXPECT_B = sorted(["SMTP check b-starttls: certificate expires in under 100000 days",
                   "SMTP check b-plain: total slower than 0s"])


def wait_discovery(api, hosts):
    """Items discovered, then a value for every polled item."""
    t = time.monotonic()
    n = wait_for(lambda: all(len(discovered(api, h)) > 0 for h in hosts.values()), 90, 2)
    must(n, "discovery created items on both hosts")
    want = {h: 0 for h in hosts}
    for name, hid in hosts.items():
        items = discovered(api, hid)
        want[name] = len(items)
    log("discovered %s items in %.0fs" % (want, time.monotonic() - t))

    def polled(hid):
        return [i for i in discovered(api, hid) if i["type"] != "17"]   # 17: SNMP trap

    def all_valued():
        return all(i["lastclock"] != "0" for h in hosts.values() for i in polled(h))
    wait_for(all_valued, 120, 3)
    total = novalue = 0
    for name, hid in hosts.items():
        items = polled(hid)
        empty = [i["key_"] for i in items if i["lastclock"] == "0"]
        bad = ["%s: %s" % (i["key_"], i["error"]) for i in items if i["state"] == "1"]
        R.check(not empty, "host %s: values for all %d polled items" % (name, len(items)), empty)
        R.check(not bad, "host %s: no item 'not supported'" % name, bad)
        total += len(items)
        novalue += len(empty)
    R.counts["items discovered"] = sum(want.values())
    R.counts["polled items with values"] = total - novalue
    log("values after %.0fs" % (time.monotonic() - t))


def check_values(api, hid):
    """The good STARTTLS+AUTH+mail check: seconds, certificate, codes."""
    v = {i["key_"]: i["lastvalue"] for i in discovered(api, hid)}
    # dns, connect, tls, greeting, ehlo, login, transfer, quit: all ran.
    R.check(v.get("smtpcheck.phases_run[1]") == "255" and v.get("smtpcheck.phases_run[2]") == "217",
            "phases run: submission 255 (all), plain 217 (no tls, login, transfer)",
            {k: v.get(k) for k in ("smtpcheck.phases_run[1]", "smtpcheck.phases_run[2]")})
    R.check(v.get("smtpcheck.error_code[1]") == "0" and v.get("smtpcheck.error_code[3]") == "2",
            "error codes: submission ok(0), closed connectionRefused(2)",
            {k: v.get(k) for k in ("smtpcheck.error_code[1]", "smtpcheck.error_code[3]")})
    R.check(v.get("smtpcheck.response_code[3]") == "-1", "closed: response code -1 (signed item)",
            v.get("smtpcheck.response_code[3]"))
    R.check(v.get("smtpcheck.cert_seen[1]") == "1" and v.get("smtpcheck.cert_seen[2]") == "2",
            "certificate seen: submission true(1), plain false(2)")
    days = float(v.get("smtpcheck.cert_days_left[1]", "0"))
    R.check(days > 14, "submission: %.0f certificate days left" % days)
    total = float(v.get("smtpcheck.time.total[1]", "0"))
    login = float(v.get("smtpcheck.time.login[1]", "0"))
    R.check(0 < login <= total < 10, "timings in seconds: login %.6f s <= total %.6f s"
            % (login, total))
    age = float(v.get("smtpcheck.last_success_age[1]", "-1"))
    R.check(0 <= age < 4 * INTERVAL, "time since last success %.1f s" % age)
    check_stats(v)


def check_stats(v):
    """smtpCheckStatsTable: submission always succeeds (100 %, its p50 <=
    p95 <= p99 under 10 s); closed always fails (0 %, no percentiles)."""
    def f(stem, idx):
        return float(v.get("smtpcheck.stats.%s[%d]" % (stem, idx), "-1"))
    for span in ("1h", "24h"):
        runs, av = f(span + ".runs", 1), f(span + ".availability", 1)
        p = [f("%s.p%d" % (span, q), 1) for q in (50, 95, 99)]
        R.check(runs >= 1 and av == 100 and 0 < p[0] <= p[1] <= p[2] < 10,
                "submission %s: %.0f runs, availability %.1f %%, p50/p95/p99 %s s"
                % (span, runs, av, "/".join("%.6f" % x for x in p)))
        runs, av = f(span + ".runs", 3), f(span + ".availability", 3)
        p = [f("%s.p%d" % (span, q), 3) for q in (50, 95, 99)]
        R.check(runs >= 1 and av == 0 and p == [0, 0, 0],
                "closed %s: %.0f runs, availability %.1f %%, no percentiles" % (span, runs, av),
                p)


def wait_problems(api, hid, expect, label):
    wait_for(lambda: open_names(api, hid) == expect, 90, 2)
    time.sleep(2 * INTERVAL)     # still exactly these after two more runs
    got = open_names(api, hid)
    R.check(got == expect, "host %s: exactly the expected problems, none for good checks" % label,
            "got %s\n       want %s" % (got, expect))


def trap_problems(api, hid, check):
    return [p for p in problems(api, [hid])
            if {"tag": "scope", "value": "trap"} in p["tags"]
            and {"tag": "check", "value": check} in p["tags"]]


def flap(api, hid, board, plain_port):
    """Close the plain check's server, see the Raised trap open a problem;
    reopen it, see the Cleared trap resolve it."""
    t = time.monotonic()
    board.close()
    opened = wait_for(lambda: [p for p in trap_problems(api, hid, "plain")
                               if p["r_eventid"] == "0"], 60, 1)
    R.check(opened, "smtpCheckAlarmRaised trap opened a problem (%.0fs)" % (time.monotonic() - t),
            problems(api, [hid]))
    if opened:
        tags = {x["tag"]: x["value"] for x in opened[0]["tags"]}
        R.check(tags.get("smtpcheck.alarm") == "plain:failure",
                "problem tagged smtpcheck.alarm=%s" % tags.get("smtpcheck.alarm"))
    t = time.monotonic()
    board.open(plain_port)
    closed = wait_for(lambda: trap_problems(api, hid, "plain") and all(
        p["r_eventid"] != "0" for p in trap_problems(api, hid, "plain")), 60, 1)
    R.check(closed, "smtpCheckAlarmCleared trap resolved it (%.0fs)" % (time.monotonic() - t),
            trap_problems(api, hid, "plain"))
    failing = "SMTP check plain (127.0.0.1) failed 2 runs in a row"
    gone = wait_for(lambda: failing not in open_names(api, hid), 60, 2)
    R.check(gone, "the plain check's failure problem resolved after recovery", open_names(api, hid))


def trap_sources(api, hid, agent):
    """Agent B restarted: its coldStart reaches host B, not host A, since
    Zabbix matches traps to hosts by source address (clientaddr)."""
    agent.stop()
    agent.start()
    fb = api("item.get", output=["itemid"], hostids=[hid], filter={"key_": "snmptrap.fallback"})

    def cold_start():
        hist = api("history.get", output="extend", history=2, itemids=[fb[0]["itemid"]])
        return [h["value"] for h in hist if ".1.3.6.1.6.3.1.1.5.1" in h["value"]]
    got = fb and wait_for(cold_start, 30, 1)
    R.check(got, "agent B restarted: its coldStart trap reached host B (from %s)" % agent.addr,
            got)


def trap_text(api, hid):
    for i in discovered(api, hid):
        if i["type"] == "17" and "index=2 " in i["key_"]:
            return i["lastvalue"]
    return ""


def render_graph(api, url, hid):
    g = api("graph.get", output=["graphid", "name"], hostids=[hid],
            filter={"name": ["submission: phase timings"]})
    must(g, "phase graph discovered for the submission check")
    gid = g[0]["graphid"]
    jar = urllib.request.HTTPCookieProcessor()
    opener = urllib.request.build_opener(jar)
    opener.open(url + "/index.php", urllib.parse.urlencode(
        {"name": "Admin", "password": "zabbix", "enter": "Sign in"}).encode(), timeout=60).read()
    q = urllib.parse.urlencode({"graphid": gid, "from": "now-1m", "to": "now", "width": 900,
                                "height": 250, "profileIdx": "web.graphs.filter"})
    png = opener.open(url + "/chart2.php?" + q, timeout=60).read()
    path = os.path.join(WORK, "zabbix-phases.png")
    with open(path, "wb") as f:
        f.write(png)
    w, h = struct.unpack(">II", png[16:24]) if png[1:4] == b"PNG" else (0, 0)
    R.check(h >= 250, "chart2.php drew the phase graph: PNG %dx%d, %d bytes" % (w, h, len(png)),
            png[:200])
    pics = os.environ.get("SMTPCHECK_PICTURES")
    if pics and h >= 250:
        os.makedirs(pics, exist_ok=True)
        shutil.copy(path, os.path.join(pics, "zabbix-phases.png"))
        log("graph copied to %s" % pics)


def count_events(api, hids):
    ev = api("event.get", output=["eventid", "r_eventid", "name"], hostids=hids, source=0,
             object=0, value=1)
    R.counts["problems opened"] = len(ev)
    R.counts["problems closed"] = sum(1 for e in ev if e["r_eventid"] != "0")
    hist = 0
    for hid in hids:
        for t in (0, 1, 2, 3, 4):
            hist += int(api("history.get", history=t, hostids=[hid], countOutput=True))
    R.counts["values received"] = hist


def scenario(st):
    trapfile = os.path.join(st.work, "snmptraps.log")
    open(trapfile, "a").close()
    os.chmod(trapfile, 0o644)
    pg = start_postgres(st)
    log("database ready")
    zbx = start_zabbix_server(st, pg, trapfile)
    url = start_frontend(st, pg, zbx)
    api = Api(url)
    must(wait_for(api.ready, 30, 0.5), "frontend API answers")
    api.auth = api("user.login", username="Admin", password="zabbix")
    tid = import_template(api)

    ms = start_mailstack(st)
    trap_port = start_trapd(st, trapfile)
    plain_port = int(ms["PLAIN_PORT"])
    board = sh.Switchboard().open(plain_port)
    st.on_stop(board.close)
    a = new_agent(st, "agent-a", "127.0.0.1", checks_a(ms, board.port, free_port()), trap_port)
    b = new_agent(st, "agent-b", HOST_B_ADDR, checks_b(ms), trap_port)
    start_agent(a)
    start_agent(b)
    hosts = {"A": add_host(api, tid, "smtpcheck-site-a", a.addr, a.port, MACROS_A),
             "B": add_host(api, tid, "smtpcheck-site-b", b.addr, b.port, MACROS_B)}
    R.check(True, "hosts A (%s) and B (%s) linked to the one template" % (a.addr, b.addr))
    log("agents started, hosts created")

    wait_discovery(api, hosts)
    check_values(api, hosts["A"])
    wait_problems(api, hosts["A"], EXPECT_A, "A")
    wait_problems(api, hosts["B"], EXPECT_B, "B")
    log("problems checked")
    flap(api, hosts["A"], board, plain_port)
    text = trap_text(api, hosts["A"])
    R.check("smtpcheck alarm=" in text and "smtpCheckErrorCode.2 = " in text,
            "trap text readable without base MIBs", text)
    if text:
        print("       " + text.replace("\n", "\n       "))
    trap_sources(api, hosts["B"], b)
    render_graph(api, url, hosts["A"])
    count_events(api, list(hosts.values()))


def inner():
    global WORK
    # In /tmp: the zabbix and postgres users must reach it, and the mail
    # stack's socket paths must stay short.
    WORK = tempfile.mkdtemp(prefix="zbx-e2e-", dir="/tmp")
    os.chmod(WORK, 0o755)
    shutil.chown(WORK, "zabbix")
    st = Stack(WORK)

    def interrupted(signum, _frame):
        raise Fatal("signal %d" % signum)
    signal.signal(signal.SIGTERM, interrupted)
    try:
        scenario(st)
    except Fatal as e:
        if str(e).startswith("signal"):
            R.check(False, "interrupted by %s" % e)
    except Exception as e:  # report, then clean up
        R.check(False, "unexpected error", repr(e))
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)   # let the cleanup finish
        st.stop()
    wall = time.time() - float(os.environ.get("SMTPCHECK_E2E_T0", time.time()))
    for k, v in R.counts.items():
        print("%s: %s" % (k, v))
    print("wall time: %.0f s (work dir %s)" % (wall, WORK))
    print("e2e.zabbix: %d passed, %d failed" % (R.passed, R.failed))
    if R.failed == 0 and os.environ.get("SMTPCHECK_KEEP") is None:
        shutil.rmtree(WORK, True)
    return 0 if R.failed == 0 and R.passed > 0 else 1


WORK = None

if __name__ == "__main__":
    sys.exit(inner() if os.environ.get("SMTPCHECK_E2E_INNER") else outer())
