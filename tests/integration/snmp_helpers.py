"""Helpers for the SNMP integration tests of smtpcheck (stdlib only).

Private Net-SNMP daemons on 127.0.0.1 and free ports chosen at run time:

  module_path(), agentx_path()  the module and the subagent under test:
                            $SMTPCHECK_MODULE / $SMTPCHECK_AGENTX, else
                            <repo>/build/module/smtpcheck.so and
                            <repo>/build/module/smtpcheck-agentx
  Snmpd(workdir, ...)       snmpd -f -C -c CONF -Lf LOG -p PIDFILE -I -smux,
                            with the module loaded by dlmod (or as an
                            AgentX master); start/stop/hup/alive/rss_kb
  TrapReceiver(workdir)     snmptrapd writing one "TRAP ..." line per
                            notification; traps(), wait_for(...)
  Subagent(workdir, ...)    smtpcheck-agentx -x SOCKET -c CHECKS -L LOG
  snmpget/snmpwalk/snmpbulkwalk(port, ...)  the Net-SNMP tools, parsed
                            into {numeric OID: value}
  raw_get(port, oid)        one SNMPv2c GET over UDP without spawning a
                            process (for latency measurements)
  write_checks(path, checks, defaults)  a libconfig check file
  table_rows(values)        {index: {column name: value}} from a walk
  alarm_rows(values)        {(index, metric): {column name: value}}

Values parsed from the tools' output: INTEGER, Gauge32, Counter32,
Counter64, Unsigned32 and Timeticks become int; STRING becomes str;
Hex-STRING becomes bytes; OID becomes a str; an empty string is "";
noSuchObject / noSuchInstance / endOfMibView become None.

Every process a helper starts is stopped by its stop() (SIGTERM, then
SIGKILL after a bounded wait); the test cases call stop() in tearDown /
addCleanup so that nothing outlives a failing test.
"""

import os
import re
import shutil
import sys
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SHARED_MIBS = os.path.normpath(os.path.join(REPO, "..", "shared", "mibs"))
REPO_MIBS = os.path.join(REPO, "mibs")
MIB_FILE = os.path.join(REPO_MIBS, "SMTP-CHECK-MIB.txt")

LOOPBACK = "127.0.0.1"

# ------------------------------------------------------------------ OIDs
#
# Every number below comes from mibs/SMTP-CHECK-MIB.txt, the one place
# that defines them: the `::= { parent N }` lines give the OIDs and column
# numbers, the INTEGER enumerations give ERROR, STEP, METRIC and the rest.

# Parents from other MIBs that smtpCheckMIB may hang under (docs/mib.md).
_EXTERNAL = {"netSnmpPlaypen": ".1.3.6.1.4.1.8072.9999.9999", "enterprises": ".1.3.6.1.4.1"}
_MIB_DEF = re.compile(
    r"^([a-z][A-Za-z0-9]*)\s+(?:OBJECT-TYPE|NOTIFICATION-TYPE|OBJECT IDENTIFIER|"
    r"MODULE-IDENTITY|MODULE-COMPLIANCE|OBJECT-GROUP|NOTIFICATION-GROUP)\b"
    r".*?::=\s*\{\s*([A-Za-z][A-Za-z0-9]*)\s+(\d+)\s*\}", re.M | re.S)


def _read_mib():
    with open(MIB_FILE) as f:
        return f.read()


_MIB_TEXT = _read_mib()
# {name: (parent, number)} for every object the MIB defines.
MIB_DEFS = {m.group(1): (m.group(2), int(m.group(3))) for m in _MIB_DEF.finditer(_MIB_TEXT)}


def mib_oid(name):
    """Numeric OID of a SMTP-CHECK-MIB object, from the MIB file."""
    if name in _EXTERNAL:
        return _EXTERNAL[name]
    parent, number = MIB_DEFS[name]
    return "%s.%d" % (mib_oid(parent), number)


def mib_children(parent):
    """{name: number} of the objects directly under PARENT."""
    return {n: num for n, (p, num) in MIB_DEFS.items() if p == parent}


def mib_enum(name):
    """{label: number} of the INTEGER enumeration of NAME: a
    TEXTUAL-CONVENTION (SmtpCheckError) or an OBJECT-TYPE (smtpCheckStatus)."""
    m = re.search(r"^%s\s+(?:::=\s*TEXTUAL-CONVENTION|OBJECT-TYPE)\b.*?"
                  r"SYNTAX\s+INTEGER\s*\{([^}]*)\}" % re.escape(name), _MIB_TEXT, re.M | re.S)
    if m is None:
        raise KeyError("no INTEGER enumeration %s in %s" % (name, MIB_FILE))
    return {k: int(v) for k, v in re.findall(r"([A-Za-z][A-Za-z0-9]*)\((-?\d+)\)", m.group(1))}


def _short(name, prefix):
    """smtpCheckConnectTime -> connectTime (the names the tests use)."""
    rest = name[len(prefix):]
    return rest[0].lower() + rest[1:]


def _columns(entry, prefix):
    return {_short(n, prefix): num for n, num in mib_children(entry).items()}


def _with_aliases(values, aliases):
    """VALUES plus the tests' older short names for a few of them."""
    out = dict(values)
    out.update({alias: values[label] for alias, label in aliases.items()})
    return out


ROOT = mib_oid("smtpCheckMIB")
NOTIF_RAISED = mib_oid("smtpCheckAlarmRaised")
NOTIF_CLEARED = mib_oid("smtpCheckAlarmCleared")
TABLE = mib_oid("smtpCheckTable")
ENTRY = mib_oid("smtpCheckEntry")
ALARM_TABLE = mib_oid("smtpCheckAlarmTable")
ALARM_ENTRY = mib_oid("smtpCheckAlarmEntry")
GLOBALS = mib_oid("smtpCheckGlobals")
NOTIF_OBJECTS = mib_oid("smtpCheckNotifObjects")
SYS_UPTIME = ".1.3.6.1.2.1.1.3.0"
SNMP_TRAP_OID = ".1.3.6.1.6.3.1.1.4.1.0"
COLD_START = ".1.3.6.1.6.3.1.1.5.1"

# smtpCheckEntry columns: "connectTime" for smtpCheckConnectTime, ...
COL = _columns("smtpCheckEntry", "smtpCheck")
COLUMN_NAMES = sorted(COL, key=COL.get)
COL_NAME_BY_NUMBER = {num: name for name, num in COL.items()}

# smtpCheckAlarmEntry columns: "rising" for smtpCheckAlarmRising, ...
ACOL = _columns("smtpCheckAlarmEntry", "smtpCheckAlarm")
ALARM_COLUMN_NAMES = sorted(ACOL, key=ACOL.get)
ACOL_NAME_BY_NUMBER = {num: name for name, num in ACOL.items()}

GLOBAL = _with_aliases(_columns("smtpCheckGlobals", "smtpCheck"),
                       {"inFlight": "checksInFlight", "lastLoad": "configLastLoad"})

# smtpCheckNotifObjects
NOTIF_METRIC = mib_oid("smtpCheckNotifMetric") + ".0"
NOTIF_VALUE = mib_oid("smtpCheckNotifValue") + ".0"
NOTIF_THRESHOLD = mib_oid("smtpCheckNotifThreshold") + ".0"

STATUS = mib_enum("smtpCheckStatus")
ALARM_STATE = mib_enum("smtpCheckAlarmState")
METRIC = _with_aliases(mib_enum("SmtpCheckMetric"), {"certDays": "certDaysLeft"})
ERROR = _with_aliases(mib_enum("SmtpCheckError"),
                      {"dns": "dnsFailure", "timeout": "stepTimeout",
                       "closed": "connectionClosed"})
STEP = mib_enum("SmtpCheckStep")
SECURITY = mib_enum("SmtpCheckSecurityMode")


def column_oid(col, index):
    """OID of smtpCheckEntry column COL (name or number) of row INDEX."""
    c = COL[col] if isinstance(col, str) else col
    return "%s.%d.%d" % (ENTRY, c, index)


def alarm_oid(col, index, metric):
    c = ACOL[col] if isinstance(col, str) else col
    m = METRIC[metric] if isinstance(metric, str) else metric
    return "%s.%d.%d.%d" % (ALARM_ENTRY, c, index, m)


def global_oid(name):
    return "%s.%d.0" % (GLOBALS, GLOBAL[name] if isinstance(name, str) else name)


# ------------------------------------------------------------------ paths

def module_path():
    return os.environ.get("SMTPCHECK_MODULE") or os.path.join(
        REPO, "build", "module", "smtpcheck.so")


def agentx_path():
    return os.environ.get("SMTPCHECK_AGENTX") or os.path.join(
        REPO, "build", "module", "smtpcheck-agentx")


def require(module=False, agentx=False, tools=("snmpd", "snmpget")):
    """Raise unittest.SkipTest when something the tests need is missing."""
    for t in tools:
        if shutil.which(t) is None and not os.path.exists("/usr/sbin/" + t):
            raise unittest.SkipTest("%s not installed" % t)
    if module and not os.path.exists(module_path()):
        raise unittest.SkipTest("module not built: %s" % module_path())
    if agentx and not os.access(agentx_path(), os.X_OK):
        raise unittest.SkipTest("subagent not built: %s" % agentx_path())


def which(tool):
    path = shutil.which(tool)
    if path is None:
        for d in ("/usr/sbin", "/usr/bin", "/sbin"):
            if os.path.exists(os.path.join(d, tool)):
                return os.path.join(d, tool)
        return tool
    return path


def free_udp_port(host=LOOPBACK):
    """A UDP port on HOST that nothing is bound to (bind to 0, close)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def free_tcp_port(host=LOOPBACK):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def tool_env(extra=None):
    """Environment for the Net-SNMP tools: no MIBs loaded, no user
    snmp.conf from $HOME."""
    env = dict(os.environ)
    env["MIBS"] = ""
    env.setdefault("SNMPCONFPATH", "/nonexistent-smtpcheck-snmpconf")
    env.update(extra or {})
    return env


def wait_until(pred, timeout, interval=0.1):
    """Call PRED until it returns a true value (returned) or TIMEOUT
    seconds pass (the last value is returned)."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(interval)


def _stop_process(proc, sig=signal.SIGTERM, timeout=10):
    """Signal PROC, wait at most TIMEOUT, then SIGKILL. Returns the exit
    status (None when there was no process)."""
    if proc is None:
        return None
    if proc.poll() is None:
        try:
            proc.send_signal(sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def _read(path, offset=0):
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def _size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def rss_kb(pid):
    """VmRSS of PID in kB (None when the process is gone)."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


# ------------------------------------------------------------------ check files

def _lc_string(s):
    out = ['"']
    for ch in s:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20:
            out.append("\\x%02x" % ord(ch))
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def libconfig(value, indent=0):
    """VALUE (dict, list, str, bool, int, float) in libconfig syntax. A
    dict is a group; a list of dicts is a list ( ); a list of scalars is
    an array [ ]."""
    pad = "  " * indent
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = repr(value)
        return text if "." in text or "e" in text else text + ".0"
    if isinstance(value, str):
        return _lc_string(value)
    if isinstance(value, dict):
        inner = "".join("%s  %s = %s;\n" % (pad, k, libconfig(v, indent + 1))
                        for k, v in value.items())
        return "{\n%s%s}" % (inner, pad)
    if isinstance(value, (list, tuple)):
        if any(isinstance(v, dict) for v in value):
            items = ",\n".join(pad + "  " + libconfig(v, indent + 1) for v in value)
            return "(\n%s\n%s)" % (items, pad) if value else "( )"
        return "[ %s ]" % ", ".join(libconfig(v, indent + 1) for v in value)
    raise TypeError("no libconfig form for %r" % (value,))


def checks_text(checks, defaults=None):
    parts = ["# written by tests/integration/snmp_helpers.py\n"]
    if defaults:
        parts.append("defaults = %s;\n" % libconfig(defaults))
    parts.append("checks = %s;\n" % libconfig(list(checks)))
    return "".join(parts)


def write_file(path, text, mode=0o600):
    """Write PATH atomically (temporary file + rename), so that a daemon
    re-reading it never sees half a file."""
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".tmp-")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)
    return path


def write_checks(path, checks, defaults=None):
    """A check file with CHECKS (list of dicts: index, name, host, port,
    security, auth, tls, alarms, interval, ...) and DEFAULTS."""
    return write_file(path, checks_text(checks, defaults), 0o644)


def check(index, name, port, host=LOOPBACK, **kw):
    """One check's dict; keyword arguments are added as they are."""
    d = {"index": index, "name": name, "host": host, "port": port}
    d.update(kw)
    return d


# ------------------------------------------------------------------ tool output

_LINE_RE = re.compile(r"^(\.[0-9][0-9.]*) = (.*)$")


def parse_value(text):
    """One value as printed by the Net-SNMP tools with -On -Ot -Oe."""
    if text == '""':
        return ""
    if text.startswith("No Such Object") or text.startswith("No Such Instance") \
            or text.startswith("No more variables"):
        return None
    if re.fullmatch(r"-?\d+", text):
        return int(text)   # Timeticks with -Ot print no type
    typ, sep, val = text.partition(": ")
    if not sep:
        return text
    if typ in ("INTEGER", "Gauge32", "Counter32", "Counter64", "Unsigned32", "Timeticks",
               "UInteger32"):
        m = re.match(r"^\(?(-?\d+)", val)
        return int(m.group(1)) if m else val
    if typ == "STRING":
        if len(val) >= 2 and val[0] == '"' and val[-1] == '"':
            val = val[1:-1]
        return val.replace('\\"', '"').replace("\\\\", "\\")
    if typ == "Hex-STRING":
        return bytes.fromhex(val.replace("\n", " "))
    if typ == "OID":
        return val
    return val


def parse_output(out):
    """{OID: value} from -On output, in the order printed. A value
    that spans lines (a string with a newline) is joined back."""
    result = {}
    last = None
    for line in out.splitlines():
        m = _LINE_RE.match(line)
        if m:
            last = m.group(1)
            result[last] = m.group(2)
        elif last is not None:
            result[last] += "\n" + line
    return {k: parse_value(v) for k, v in result.items()}


class SnmpError(Exception):
    pass


def _run_tool(tool, port, args, timeout=20, host=LOOPBACK, retries=1, wait=2):
    cmd = [which(tool), "-v2c", "-c", "public", "-On", "-Ot", "-Oe",
           "-r", str(retries), "-t", str(wait)]
    options = [a for a in args if a.startswith("-")]
    oids = [a for a in args if not a.startswith("-")]
    cmd += options + ["%s:%d" % (host, port)] + oids
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=tool_env(), timeout=timeout)
    out = p.stdout.decode("utf-8", "replace")
    err = p.stderr.decode("utf-8", "replace")
    if p.returncode != 0 or ("Timeout" in err and not out):
        raise SnmpError("%s failed (%d): %s %s" % (" ".join(cmd), p.returncode, err, out))
    return out


def snmpget(port, *oids, **kw):
    """{OID: value} for OIDS (None for a missing instance)."""
    return parse_output(_run_tool("snmpget", port, list(oids), **kw))


def snmpget_one(port, oid, **kw):
    return snmpget(port, oid, **kw).get(oid)


def snmpgetnext(port, oid, **kw):
    """(OID, value) that follows OID."""
    out = parse_output(_run_tool("snmpgetnext", port, [oid], **kw))
    return next(iter(out.items())) if out else (None, None)


def snmpbulkget(port, oid, repetitions, **kw):
    """{OID: value} of one GETBULK of REPETITIONS after OID."""
    return parse_output(_run_tool("snmpbulkget", port, ["-Cr%d" % repetitions, oid], **kw))


def snmpwalk(port, oid=ROOT, **kw):
    return parse_output(_run_tool("snmpwalk", port, [oid], **kw))


def snmpbulkwalk(port, oid=ROOT, **kw):
    return parse_output(_run_tool("snmpbulkwalk", port, ["-Cr25", oid], **kw))


def table_rows(values):
    """{index: {column name: value}} from walked smtpCheckEntry OIDs."""
    rows = {}
    prefix = ENTRY + "."
    for oid, v in values.items():
        if not oid.startswith(prefix):
            continue
        parts = oid[len(prefix):].split(".")
        if len(parts) != 2:
            continue
        col, idx = int(parts[0]), int(parts[1])
        rows.setdefault(idx, {})[COL_NAME_BY_NUMBER.get(col, col)] = v
    return rows


def alarm_rows(values):
    """{(index, metric): {column name: value}} from the alarm table."""
    rows = {}
    prefix = ALARM_ENTRY + "."
    for oid, v in values.items():
        if not oid.startswith(prefix):
            continue
        parts = oid[len(prefix):].split(".")
        if len(parts) != 3:
            continue
        col, idx, metric = (int(x) for x in parts)
        rows.setdefault((idx, metric), {})[ACOL_NAME_BY_NUMBER.get(col, col)] = v
    return rows


def get_row(port, index, columns=None, **kw):
    """Selected columns (names) of row INDEX with one GET: {name: value}."""
    columns = columns or [c for c in COLUMN_NAMES if c != "index"]
    oids = [column_oid(c, index) for c in columns]
    vals = {}
    for i in range(0, len(oids), 40):  # keep each PDU small
        vals.update(snmpget(port, *oids[i:i + 40], **kw))
    return {c: vals.get(column_oid(c, index)) for c in columns}


# ------------------------------------------------------------------ raw UDP GET

def _ber_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def _tlv(tag, payload):
    return bytes([tag]) + _ber_len(len(payload)) + payload


def _ber_int(v):
    n = max(1, (v.bit_length() + 8) // 8)
    return _tlv(0x02, v.to_bytes(n, "big", signed=True))


def _ber_oid(oid):
    parts = [int(x) for x in oid.strip(".").split(".")]
    body = bytearray([parts[0] * 40 + parts[1]])
    for p in parts[2:]:
        chunk = [p & 0x7F]
        p >>= 7
        while p:
            chunk.append(0x80 | (p & 0x7F))
            p >>= 7
        body += bytes(reversed(chunk))
    return _tlv(0x06, bytes(body))


def get_request_packet(oid, request_id, community=b"public"):
    """An SNMPv2c GetRequest-PDU for OID, BER-encoded by hand."""
    varbind = _tlv(0x30, _ber_oid(oid) + b"\x05\x00")
    pdu = _tlv(0xA0, _ber_int(request_id) + _ber_int(0) + _ber_int(0) + _tlv(0x30, varbind))
    return _tlv(0x30, _ber_int(1) + _tlv(0x04, community) + pdu)


def _ber_read(buf, pos):
    tag = buf[pos]
    pos += 1
    n = buf[pos]
    pos += 1
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(buf[pos:pos + k], "big")
        pos += k
    return tag, buf[pos:pos + n], pos + n


def parse_response(data):
    """(request_id, error_status, value_tag) of a GetResponse-PDU."""
    tag, msg, _ = _ber_read(data, 0)
    _, _, p = _ber_read(msg, 0)            # version
    _, _, p = _ber_read(msg, p)            # community
    tag, pdu, _ = _ber_read(msg, p)
    if tag != 0xA2:
        raise SnmpError("not a response PDU: tag 0x%02x" % tag)
    _, rid, p = _ber_read(pdu, 0)
    _, err, p = _ber_read(pdu, p)
    _, _, p = _ber_read(pdu, p)            # error index
    _, vbl, _ = _ber_read(pdu, p)
    _, vb, _ = _ber_read(vbl, 0)
    _, _, q = _ber_read(vb, 0)             # name
    vtag, _, _ = _ber_read(vb, q)
    return int.from_bytes(rid, "big", signed=True), int.from_bytes(err, "big"), vtag


def raw_get(port, oid=SYS_UPTIME, timeout=5.0, host=LOOPBACK, request_id=None):
    """One GET over UDP; returns the seconds until the matching response
    arrived (raises SnmpError on timeout or an error status)."""
    rid = request_id if request_id is not None else (os.getpid() * 7919 + int(time.monotonic()
                                                                             * 1e6)) % 2**31
    pkt = get_request_packet(oid, rid)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect((host, port))
        start = time.monotonic()
        s.send(pkt)
        deadline = start + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise SnmpError("no answer from %s:%d within %.1f s" % (host, port, timeout))
            s.settimeout(left)
            try:
                data = s.recv(65535)
            except socket.timeout:
                continue
            got, err, vtag = parse_response(data)
            if got != rid:
                continue
            elapsed = time.monotonic() - start
            if err != 0:
                raise SnmpError("error status %d" % err)
            if vtag in (0x80, 0x81, 0x82):
                raise SnmpError("no such object (tag 0x%02x)" % vtag)
            return elapsed


# ------------------------------------------------------------------ snmpd

class Snmpd:
    """A private snmpd on udp:127.0.0.1:<free port>.

    workdir:      where snmpd.conf, snmpd.log and the pid file go
    checks_conf:  a check file for `smtpcheckConfig` (with module=True)
    module:       load smtpcheck.so with dlmod
    trap_port:    add `trap2sink 127.0.0.1:PORT public`
    agentx_socket: act as an AgentX master on unix:PATH
    persist_dir:  SNMP_PERSISTENT_DIR (default <workdir>/persist); keep it
                  across stop()/start() to test persistence
    run_as:       (user, group): snmpd drops to them with -u/-g after
                  start-up, as Debian's snmpd does (needs root)
    args:         more snmpd options, e.g. ["-I", "-notification_log"]
    """

    def __init__(self, workdir, checks_conf=None, module=True, trap_port=None,
                 agentx_socket=None, persist_dir=None, port=None, extra_lines=(),
                 wrapper=(), run_as=None, args=()):
        self.workdir = os.path.abspath(workdir)
        os.makedirs(self.workdir, exist_ok=True)
        self.checks_conf = checks_conf
        self.module = module
        self.trap_port = trap_port
        self.agentx_socket = agentx_socket
        self.persist_dir = persist_dir or os.path.join(self.workdir, "persist")
        self.port = port or free_udp_port()
        self.extra_lines = list(extra_lines)
        self.wrapper = list(wrapper)   # e.g. ["valgrind", "--log-file=..."]
        self.run_as = run_as
        self.args = list(args)
        self.conf = os.path.join(self.workdir, "snmpd.conf")
        self.log_path = os.path.join(self.workdir, "snmpd.log")
        self.pidfile = os.path.join(self.workdir, "snmpd.pid")
        self.proc = None
        self._stderr = None
        self.log_offset = 0
        self.runs_started = 0

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def conf_text(self):
        lines = ["agentaddress udp:%s:%d" % (LOOPBACK, self.port),
                 "rocommunity public %s" % LOOPBACK,
                 "dontLogTCPWrappersConnects yes"]
        if self.agentx_socket:
            lines += ["master agentx", "agentXSocket unix:%s" % self.agentx_socket,
                      "agentXPerms 0777 0777", "agentXTimeout 5", "agentXRetries 1"]
        if self.trap_port:
            lines.append("trap2sink %s:%d public" % (LOOPBACK, self.trap_port))
        if self.module:
            lines.append("dlmod smtpcheck %s" % os.path.abspath(module_path()))
            if self.checks_conf:
                lines.append("smtpcheckConfig %s" % os.path.abspath(self.checks_conf))
        lines += self.extra_lines
        return "\n".join(lines) + "\n"

    def start(self, timeout=None):
        """Start snmpd and wait until it logs "NET-SNMP version" (and
        answers a GET)."""
        if timeout is None:
            timeout = 90 if self.wrapper else 20
        if self.proc is not None and self.proc.poll() is None:
            raise RuntimeError("snmpd already running")
        os.makedirs(self.persist_dir, exist_ok=True)
        write_file(self.conf, self.conf_text(), 0o644)
        # snmpd truncates its -Lf file: keep the previous run's log aside.
        if os.path.exists(self.log_path):
            self.runs_started += 1
            os.replace(self.log_path, "%s.%d" % (self.log_path, self.runs_started))
        self.log_offset = 0
        env = dict(os.environ)
        env["SNMP_PERSISTENT_DIR"] = self.persist_dir
        env["MIBS"] = ""
        env.setdefault("SNMPCONFPATH", self.workdir)
        self._stderr = open(os.path.join(self.workdir, "snmpd.stderr"), "ab")
        drop = []
        if self.run_as:
            # After dropping privileges snmpd still writes its log and its
            # persistent directory, and a SIGHUP re-reads every file.
            import pwd, grp
            uid = pwd.getpwnam(self.run_as[0]).pw_uid
            gid = grp.getgrnam(self.run_as[1]).gr_gid
            open(self.log_path, "a").close()
            for path in (self.persist_dir, self.log_path):
                os.chown(path, uid, gid)
            os.chmod(self.workdir, 0o755)
            drop = ["-u", self.run_as[0], "-g", self.run_as[1]]
        self.proc = subprocess.Popen(
            self.wrapper + [which("snmpd"), "-f", "-C", "-c", self.conf, "-Lf", self.log_path,
             "-p", self.pidfile, "-I", "-smux"] + self.args + drop,
            stdin=subprocess.DEVNULL, stdout=self._stderr, stderr=self._stderr, env=env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if "NET-SNMP version" in self.log():
                break
            if self.proc.poll() is not None:
                raise RuntimeError("snmpd exited with %s:\n%s\n%s" % (
                    self.proc.returncode, self.log(), self.stderr_text()))
            time.sleep(0.05)
        else:
            self.stop()
            raise RuntimeError("snmpd did not start within %d s:\n%s" % (timeout, self.log()))
        # Ready for requests?
        if not wait_until(lambda: self._answers(), 30 if self.wrapper else 10, 0.1):
            raise RuntimeError("snmpd does not answer:\n%s" % self.log())
        return self

    def _answers(self):
        try:
            raw_get(self.port, SYS_UPTIME, timeout=1)
            return True
        except (SnmpError, OSError):
            return False

    def stop(self, sig=signal.SIGTERM, timeout=10):
        rc = _stop_process(self.proc, sig, timeout)
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
        return rc

    def hup(self):
        self.proc.send_signal(signal.SIGHUP)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def rss_kb(self):
        return rss_kb(self.proc.pid) if self.alive() else None

    def log(self, whole=False):
        """The log of the current run (snmpd truncates it at start;
        earlier runs' logs are kept as snmpd.log.1, .2, ...)."""
        return _read(self.log_path, 0 if whole else self.log_offset)

    def stderr_text(self):
        return _read(os.path.join(self.workdir, "snmpd.stderr"))

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False


class Subagent:
    """smtpcheck-agentx -x unix:SOCKET -c CHECKS -L LOG [-C SNMP_CONF]."""

    def __init__(self, workdir, socket_path, checks_conf, persist_dir=None, snmp_conf=None):
        self.workdir = os.path.abspath(workdir)
        os.makedirs(self.workdir, exist_ok=True)
        self.socket_path = socket_path
        self.checks_conf = os.path.abspath(checks_conf)
        self.snmp_conf = snmp_conf   # an extra config file for -C
        self.persist_dir = persist_dir or os.path.join(self.workdir, "agentx-persist")
        self.log_path = os.path.join(self.workdir, "agentx.log")
        self.proc = None
        self._out = None

    def start(self, timeout=15):
        os.makedirs(self.persist_dir, exist_ok=True)
        env = dict(os.environ)
        env["SNMP_PERSISTENT_DIR"] = self.persist_dir
        env["MIBS"] = ""
        # No snmpd.conf / smtpcheck-agentx.conf from the system.
        env["SNMPCONFPATH"] = self.persist_dir
        self._out = open(os.path.join(self.workdir, "agentx.stderr"), "ab")
        cmd = [agentx_path(), "-x", "unix:%s" % self.socket_path, "-c", self.checks_conf,
               "-L", self.log_path]
        if self.snmp_conf:
            cmd += ["-C", self.snmp_conf]
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL, stdout=self._out, stderr=self._out, env=env)
        if not wait_until(lambda: "started" in self.log() or self.proc.poll() is not None,
                          timeout, 0.05) or self.proc.poll() is not None:
            raise RuntimeError("smtpcheck-agentx did not start (exit %s):\n%s\n%s" % (
                self.proc.poll(), self.log(), self.stderr_text()))
        return self

    def stop(self, sig=signal.SIGTERM, timeout=10):
        rc = _stop_process(self.proc, sig, timeout)
        if self._out is not None:
            self._out.close()
            self._out = None
        return rc

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log(self):
        return _read(self.log_path)

    def stderr_text(self):
        return _read(os.path.join(self.workdir, "agentx.stderr"))


# ------------------------------------------------------------------ snmptrapd

_VARBIND_SPLIT = re.compile(r"\|(?=\.[0-9][0-9.]* = )")


class Trap:
    """One notification: .oid (snmpTrapOID.0), .vars {OID: value},
    .time (monotonic seconds when it was first seen), .raw (the line)."""

    def __init__(self, line, seen):
        self.raw = line
        self.time = seen
        self.vars = {}
        _, _, rest = line.partition(" |")
        for vb in _VARBIND_SPLIT.split(rest):
            oid, sep, val = vb.partition(" = ")
            if sep:
                self.vars[oid.strip()] = parse_value(val.strip())
        self.oid = self.vars.get(SNMP_TRAP_OID)

    def get(self, col, index=None):
        """A column varbind (name) of row INDEX, or a notification object
        ("metric", "value", "threshold")."""
        if col in ("metric", "value", "threshold"):
            return self.vars.get({"metric": NOTIF_METRIC, "value": NOTIF_VALUE,
                                  "threshold": NOTIF_THRESHOLD}[col])
        if index is None:
            for oid, v in self.vars.items():
                if oid.startswith("%s.%d." % (ENTRY, COL[col])):
                    return v
            return None
        return self.vars.get(column_oid(col, index))

    def index(self):
        """The row index of the trap's smtpCheckName varbind."""
        prefix = "%s.%d." % (ENTRY, COL["name"])
        for oid in self.vars:
            if oid.startswith(prefix):
                return int(oid[len(prefix):])
        return None

    @property
    def raised(self):
        return self.oid == NOTIF_RAISED

    @property
    def cleared(self):
        return self.oid == NOTIF_CLEARED

    def __repr__(self):
        return "Trap(%s %s)" % (
            "raised" if self.raised else "cleared" if self.cleared else self.oid,
            {k.replace(ROOT, "R"): v for k, v in self.vars.items()})


class TrapReceiver:
    """snmptrapd on udp:127.0.0.1:<free port>, one line per trap."""

    def __init__(self, workdir, port=None):
        self.workdir = os.path.abspath(workdir)
        os.makedirs(self.workdir, exist_ok=True)
        self.port = port or free_udp_port()
        self.conf = os.path.join(self.workdir, "snmptrapd.conf")
        self.log_path = os.path.join(self.workdir, "snmptrapd.log")
        self.proc = None
        self._seen = {}   # line number -> monotonic time first parsed
        self._out = None

    def start(self, timeout=15):
        write_file(self.conf, "disableAuthorization yes\ndoNotLogTraps no\n", 0o644)
        env = dict(os.environ)
        env["MIBS"] = ""
        env["SNMP_PERSISTENT_DIR"] = os.path.join(self.workdir, "trapd-persist")
        env["SNMPCONFPATH"] = self.workdir
        self._out = open(os.path.join(self.workdir, "snmptrapd.stderr"), "ab")
        self.proc = subprocess.Popen(
            [which("snmptrapd"), "-f", "-C", "-c", self.conf, "-Lf", self.log_path, "-On",
             "-F", "TRAP %P |%V|%v\n", "udp:%s:%d" % (LOOPBACK, self.port)],
            stdin=subprocess.DEVNULL, stdout=self._out, stderr=self._out, env=env)
        if not wait_until(lambda: "NET-SNMP version" in _read(self.log_path)
                          or self.proc.poll() is not None, timeout, 0.05) \
                or self.proc.poll() is not None:
            raise RuntimeError("snmptrapd did not start:\n%s" % _read(self.log_path))
        return self

    def stop(self):
        rc = _stop_process(self.proc)
        if self._out is not None:
            self._out.close()
            self._out = None
        return rc

    def traps(self, smtpcheck_only=True):
        """Every trap received so far (coldStart, nsNotifyRestart and
        other notifications are left out unless smtpcheck_only=False)."""
        now = time.monotonic()
        out = []
        lines = [l for l in _read(self.log_path).splitlines() if l.startswith("TRAP ")]
        for i, line in enumerate(lines):
            seen = self._seen.setdefault(i, now)
            t = Trap(line, seen)
            if smtpcheck_only and t.oid not in (NOTIF_RAISED, NOTIF_CLEARED):
                continue
            out.append(t)
        return out

    def wait_for(self, pred, timeout, interval=0.1):
        """The first trap matching PRED, waiting at most TIMEOUT s."""
        def find():
            for t in self.traps():
                if pred(t):
                    return t
            return None
        return wait_until(find, timeout, interval)

    def raw_log(self):
        return _read(self.log_path)


# ------------------------------------------------------------------ TCP switchboard

class Switchboard:
    """A TCP forwarder on one fixed loopback port, so that a check keeps
    pointing at the same port while the test changes what answers there:

        sb = Switchboard().open(slow.port)   # connections go to slow
        sb.switch(fast.port)                 # new connections go to fast
        sb.close()                           # refused (nothing listens)
        sb.open(fast.port)                   # listening again, same port

    Switching is instant, unlike restarting a fake server on the port
    (that gap would itself count as failed runs). close() also drops the
    connections in progress. stop() ends everything.
    """

    def __init__(self, port=None):
        self.port = port or free_tcp_port()
        self.target = None
        self._lock = threading.Lock()
        self._listener = None
        self._accept_thread = None
        self._conns = set()
        self.accepted = 0

    def open(self, target_port):
        with self._lock:
            self.target = target_port
            if self._listener is not None:
                return self
            ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            deadline = time.monotonic() + 5
            while True:
                try:
                    ls.bind((LOOPBACK, self.port))
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        ls.close()
                        raise
                    time.sleep(0.05)
            ls.listen(128)
            ls.settimeout(0.1)
            self._listener = ls
            self._accept_thread = threading.Thread(target=self._accept_loop, args=(ls,),
                                                   daemon=True)
            self._accept_thread.start()
        return self

    def switch(self, target_port):
        with self._lock:
            self.target = target_port

    def close(self):
        """Stop listening (connections are refused) and drop every
        connection in progress."""
        with self._lock:
            ls, self._listener = self._listener, None
            thread, self._accept_thread = self._accept_thread, None
            conns, self._conns = self._conns, set()
        if ls is not None:
            ls.close()
        if thread is not None:
            thread.join(5)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            c.close()

    stop = close

    def _accept_loop(self, ls):
        while True:
            with self._lock:
                if self._listener is not ls:
                    return
            try:
                client, _ = ls.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.accepted += 1
            with self._lock:
                target = self.target
            try:
                upstream = socket.create_connection((LOOPBACK, target), timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            client.settimeout(None)
            for s in (client, upstream):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._conns.update((client, upstream))
            self._serve(client, upstream)

    def _serve(self, client, upstream):
        left = [2]
        lock = threading.Lock()

        def pump(src, dst):
            try:
                while True:
                    data = src.recv(65536)
                    if not data:
                        break
                    dst.sendall(data)
            except OSError:
                pass
            try:
                dst.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            with lock:
                left[0] -= 1
                last = left[0] == 0
            if last:  # both directions are done
                with self._lock:
                    self._conns.discard(client)
                    self._conns.discard(upstream)
                client.close()
                upstream.close()

        for a, b in ((client, upstream), (upstream, client)):
            threading.Thread(target=pump, args=(a, b), daemon=True).start()


def smilint_available():
    return shutil.which("smilint") is not None


class ScratchDirCase(unittest.TestCase):
    """A test case with a scratch directory (self.dir) under test_tmp()
    that is removed when the test passes and kept, with every log in
    it, when it fails."""

    dir_prefix = "snmp-"

    def make_dir(self, base=None):
        from helpers import test_tmp
        self.dir = tempfile.mkdtemp(prefix="%s%s-" % (self.dir_prefix,
                                                      self._testMethodName[:20]),
                                    dir=base or test_tmp())
        self._dirs = getattr(self, "_dirs", []) + [self.dir]
        return self.dir

    def run(self, result=None):
        result = result or self.defaultTestResult()
        before = len(result.failures) + len(result.errors)
        super().run(result)
        if len(result.failures) + len(result.errors) == before and \
                not os.environ.get("SMTPCHECK_KEEP_TMP"):
            for d in getattr(self, "_dirs", []):
                shutil.rmtree(d, True)
        elif getattr(self, "_dirs", None):
            print("kept for inspection: %s" % " ".join(self._dirs), file=sys.stderr)
        return result


# ------------------------------------------------------------------ valgrind

_VG_PREFIX = re.compile(r"^==\d+== ?", re.M)


def valgrind_reports(path, own=("smtpcheck", "smtpchk", "smtpCheck", "sc_")):
    """(errors, leaks) from a valgrind --log-file: each a list of report
    texts (prefix stripped) whose stack has a frame of our own code (a
    function or file name starting with one of OWN). errors are invalid
    reads/writes, uses of uninitialised values, bad frees; leaks are the
    "definitely lost" records."""
    text = _VG_PREFIX.sub("", _read(path))
    errors, leaks = [], []
    for block in re.split(r"\n\s*\n", text):
        lines = [l for l in block.strip().splitlines() if not l.startswith(("Warning:", "   Use "))]
        first = lines[0] if lines else ""
        frames = [l for l in block.splitlines() if l.strip().startswith(("at ", "by "))]
        ours = any(re.search(r"\b(%s)" % "|".join(own), f) for f in frames)
        if not ours:
            continue
        report = "\n".join(lines)
        if "definitely lost" in first:
            leaks.append(report)
        elif re.match(r"(Invalid (read|write|free)|Conditional jump|Use of uninitialised|"
                      r"Syscall param|Mismatched free|Source and destination overlap)",
                      first):
            errors.append(report)
    return errors, leaks
