"""The servers and daemons bench/run measures against (loopback only).

smtp-sink (Postfix's fast test server), the project's private Postfix
(scripts/mailstack), the silent listener, blackbox_exporter with our
smtp modules, and snmpd (the project's test helper class).
"""

import base64
import os
import subprocess
import sys
import time

from .common import (CLEANUP, EHLO_NAME, LOOPBACK, REPO, Skip, log, snmp, spawn, tool,
                     wait_port)

HERE = os.path.dirname(os.path.abspath(__file__))


def free_port():
    return snmp.free_tcp_port()


class SmtpSink:
    """smtp-sink on HOST:<free port>: answers everything, keeps nothing."""

    def __init__(self, wd, host=LOOPBACK, wrap=()):
        self.host = host
        self.port = free_port() if not wrap else 2525   # a fresh namespace: all free
        cmd = list(wrap) + [tool("smtp-sink"), "-u", "postfix", "-m", "20000",
                            "-h", "sink.example", "%s:%d" % (host, self.port), "4096"]
        self.proc = spawn(cmd, os.path.join(wd, "smtp-sink.%d.log" % self.port))
        if not wrap:
            wait_port(self.port)


class MailStack:
    """The project's private Postfix + Dovecot (scripts/mailstack)."""

    def __init__(self, wd, wrap=()):
        self.dir = os.path.join(wd, "mailstack")
        script = os.path.join(REPO, "scripts", "mailstack")
        r = subprocess.run(list(wrap) + [script, "start", self.dir], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=180)
        if r.returncode != 0:
            raise Skip("scripts/mailstack start failed: %s" % r.stdout.decode()[-800:])
        CLEANUP.add(subprocess.run, [script, "stop", self.dir])
        self.env = snmp_env = {}
        with open(os.path.join(self.dir, "env")) as f:
            for line in f:
                k, _, v = line.rstrip("\n").partition("=")
                snmp_env[k] = v
        self.ca = self.env["CA_FILE"]
        self.user = self.env["USER"]
        self.password = self.env["PASSWORD"]
        self.password_file = self.env["PASSWORD_FILE"]

    def port(self, name):
        return int(self.env[name])


def trust_bundle(wd, ca_file):
    """The system CA bundle plus the test CA, for SSL_CERT_FILE: every
    client then verifies with its *default* trust store (a bundle of the
    same size) and still trusts the private Postfix."""
    path = os.path.join(wd, "trust-bundle.pem")
    with open(path, "wb") as out:
        for src in ("/etc/ssl/certs/ca-certificates.crt", ca_file):
            with open(src, "rb") as f:
                out.write(f.read())
            out.write(b"\n")
    return path


class Silent:
    """bench/benchlib/silent.py: NPORTS listeners that never speak."""

    def __init__(self, wd, nports=1, host=LOOPBACK, wrap=()):
        port_file = os.path.join(wd, "silent.%d.ports" % os.getpid())
        if os.path.exists(port_file):
            os.unlink(port_file)
        self.proc = spawn(list(wrap) + [sys.executable, os.path.join(HERE, "silent.py"), host,
                                        str(nports), port_file],
                          os.path.join(wd, "silent.log"))
        deadline = time.monotonic() + 10
        while not os.path.exists(port_file):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("silent.py did not start")
            time.sleep(0.05)
        with open(port_file) as f:
            self.ports = [int(p) for p in f.read().split()]
        self.host = host


# ------------------------------------------------------------ blackbox_exporter

def _steps(*pairs):
    out = []
    for kind, value in pairs:
        if kind == "starttls":
            out.append("        - starttls: true")
        else:
            out.append('        - %s: "%s"' % (kind, value))
    return "\n".join(out)


def _module(name, steps, tls=False):
    return ("  %s:\n    prober: tcp\n    timeout: 5s\n    tcp:\n      tls: %s\n"
            "      query_response:\n%s\n" % (name, "true" if tls else "false", steps))


def blackbox_config(user, password):
    """Modules doing what the smtpcheck checks do: greeting, EHLO,
    (STARTTLS, EHLO), (AUTH PLAIN), QUIT. Certificates are verified with
    the default trust store (SSL_CERT_FILE)."""
    ehlo = [("send", "EHLO %s\\r" % EHLO_NAME), ("expect", "^250 ")]
    quit_ = [("send", "QUIT\\r"), ("expect", "^221")]
    tls_up = [("send", "STARTTLS\\r"), ("expect", "^220"), ("starttls", None)]
    token = base64.b64encode(b"\0" + user.encode() + b"\0" + password.encode()).decode()
    auth = [("send", "AUTH PLAIN %s\\r" % token), ("expect", "^235")]
    greet = [("expect", "^220 ")]
    return "modules:\n" + "".join([
        _module("plain", _steps(*(greet + ehlo + quit_))),
        _module("starttls", _steps(*(greet + ehlo + tls_up + ehlo + quit_))),
        _module("tls", _steps(*(greet + ehlo + quit_)), tls=True),
        _module("auth", _steps(*(greet + ehlo + tls_up + ehlo + auth + quit_))),
    ])


class Blackbox:
    def __init__(self, wd, user, password, trust):
        exe = tool("prometheus-blackbox-exporter")
        conf = os.path.join(wd, "blackbox.yml")
        with open(conf, "w") as f:
            f.write(blackbox_config(user, password))
        os.chmod(conf, 0o600)
        self.port = free_port()
        env = dict(os.environ, SSL_CERT_FILE=trust, GOMAXPROCS=str(os.cpu_count()))
        self.proc = spawn([exe, "--config.file=" + conf,
                           "--web.listen-address=%s:%d" % (LOOPBACK, self.port),
                           "--log.level=error"], os.path.join(wd, "blackbox.log"), env=env)
        wait_port(self.port)
        log("blackbox_exporter on %s:%d", LOOPBACK, self.port)


# ------------------------------------------------------------ snmpd

def snmpd(wd, name, checks=None, module=True, extra_lines=()):
    """A private snmpd (tests/integration/snmp_helpers.Snmpd), started."""
    d = os.path.join(wd, name)
    conf = None
    if checks is not None:
        conf = os.path.join(d, "checks.conf")
        os.makedirs(d, exist_ok=True)
        snmp.write_file(conf, checks, 0o644)
    s = snmp.Snmpd(d, checks_conf=conf, module=module, extra_lines=extra_lines)
    CLEANUP.add(s.stop)
    s.start(timeout=60)
    return s
