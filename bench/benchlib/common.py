"""Plumbing shared by every part of bench/run (stdlib only).

Paths, the results file (one JSON object per line), medians, CPU time of
a child (wait4) or of a running daemon (/proc/PID/stat), cleanup of every
process and namespace a part starts, and a description of the machine.
"""

import atexit
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

BENCH = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(BENCH)
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
import snmp_helpers as snmp  # noqa: E402  (the project's SNMP test helpers)

CLK_TCK = os.sysconf("SC_CLK_TCK")
EHLO_NAME = "bench.example"   # never this host's FQDN: no DNS look-up
LOOPBACK = "127.0.0.1"


class Skip(Exception):
    """A figure that cannot be measured here (a peer is missing)."""


class NotApplicable(Exception):
    """A peer that has no such figure (rawsmtp over TLS): nothing recorded."""


def log(msg, *args):
    sys.stderr.write("bench: " + (msg % args if args else msg) + "\n")
    sys.stderr.flush()


def build_dir():
    return os.environ.get("SMTPCHECK_BUILD") or os.path.join(REPO, "build")


def smtpcheck_bin():
    return os.environ.get("SMTPCHECK_BIN") or os.path.join(build_dir(), "cli", "smtpcheck")


def module_so():
    return os.environ.get("SMTPCHECK_MODULE") or os.path.join(build_dir(), "module",
                                                             "smtpcheck.so")


def tool(name, *dirs):
    """Absolute path of a program, or raise Skip."""
    path = shutil.which(name)
    for d in dirs + ("/usr/sbin", "/usr/bin", "/sbin"):
        if path is None and os.access(os.path.join(d, name), os.X_OK):
            path = os.path.join(d, name)
    if path is None:
        raise Skip("%s is not installed (scripts/setup installs the bench peers)" % name)
    return path


# ------------------------------------------------------------ results

class Results:
    """Appends one JSON line per figure to a file and keeps them in memory."""

    def __init__(self, path, run_id):
        self.path = path
        self.run_id = run_id
        self.rows = []
        self._f = open(path, "a") if path != "-" else sys.stdout

    def add(self, part, name, value, unit, **extra):
        row = {"run": self.run_id, "part": part, "figure": name,
               "value": None if value is None else round(float(value), 6), "unit": unit}
        row.update(extra)
        self.rows.append(row)
        self._f.write(json.dumps(row, sort_keys=True) + "\n")
        self._f.flush()
        log("%s %s = %s %s", part, name, row["value"], unit)
        return row

    def get(self, part, name):
        for r in reversed(self.rows):
            if r["part"] == part and r["figure"] == name:
                return r["value"]
        return None

    def close(self):
        if self._f is not sys.stdout:
            self._f.close()


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def percentile(sorted_values, q):
    if not sorted_values:
        return None
    k = min(len(sorted_values) - 1, max(0, int(round(q * (len(sorted_values) - 1)))))
    return sorted_values[k]


# ------------------------------------------------------------ CPU time

def proc_cpu(pid):
    """CPU seconds of PID's threads so far, to the nanosecond: the
    scheduler's run time (/proc/PID/task/*/schedstat). /proc/PID/stat
    rounds to clock ticks (10 ms), which is 10% of the module's CPU over a
    quick P1 window. Used on long-lived daemons (snmpd, blackbox_exporter),
    whose threads live as long as they do: a thread that ended between two
    readings would drop its time, so this is checked against stat."""
    total = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
                total += int(f.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            continue   # a thread that ended meanwhile
    ticks = proc_cpu_ticks(pid)
    # stat truncates each thread's share to ticks, so it may read a few
    # ticks low, never high: a lower schedstat sum means a thread ended.
    return ticks if total / 1e9 < ticks - 0.05 else total / 1e9


def proc_cpu_ticks(pid):
    """User + system CPU seconds of PID and all its threads (/proc/PID/stat)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def proc_ctxt(pid):
    """Context switches (voluntary + not) of PID's threads so far: every
    wake of a sleeping thread costs one (/proc/PID/task/*/status)."""
    total = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/status" % (pid, tid)) as f:
                total += sum(int(line.split()[1]) for line in f
                             if line.startswith(("voluntary_ctxt", "nonvoluntary_ctxt")))
        except FileNotFoundError:
            continue   # a thread that ended meanwhile
    return total


def run_child(cmd, timeout, env=None, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL):
    """Run CMD to its end; (exit status, output bytes, CPU s of it and of
    every descendant it waited for, wall s). Killed after TIMEOUT."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=stdin, stdout=stdout, stderr=subprocess.DEVNULL,
                            env=env, start_new_session=True)
    out = b""
    if stdout == subprocess.PIPE:
        chunks = []
        deadline = start + timeout
        import selectors
        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                os.killpg(proc.pid, signal.SIGKILL)
                break
            if sel.select(min(left, 1.0)):
                data = os.read(proc.stdout.fileno(), 1 << 16)
                if not data:
                    break
                chunks.append(data)
        sel.close()
        proc.stdout.close()
        out = b"".join(chunks)
    _, status, ru = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, out, ru.ru_utime + ru.ru_stime, time.monotonic() - start


# ------------------------------------------------------------ cleanup

class Cleanup:
    """Every process and namespace a part starts, ended at exit by pid."""

    def __init__(self):
        self.actions = []
        atexit.register(self.run)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self._on_signal)

    def _on_signal(self, signum, _frame):
        self.run()
        sys.exit(128 + signum)

    def add(self, fn, *args):
        self.actions.append((fn, args))
        return fn

    def run(self):
        while self.actions:
            fn, args = self.actions.pop()
            try:
                fn(*args)
            except Exception as e:  # keep cleaning up the rest
                log("cleanup %s: %s", getattr(fn, "__name__", fn), e)


CLEANUP = Cleanup()


def stop_popen(proc, timeout=10):
    """SIGTERM the process group of PROC, SIGKILL after TIMEOUT."""
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()


def spawn(cmd, log_path, env=None, **kw):
    """Start a daemon in its own process group; stopped at exit."""
    out = open(log_path, "ab")
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=out, env=env,
                            start_new_session=True, **kw)
    out.close()
    CLEANUP.add(stop_popen, proc)
    return proc


def workdir():
    d = tempfile.mkdtemp(prefix="smtpcheck-bench-")
    os.chmod(d, 0o755)   # Postfix and Dovecot run as other users
    CLEANUP.add(shutil.rmtree, d, True)
    return d


def wait_port(port, host=LOOPBACK, timeout=15):
    import socket
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=1):
                return True
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("nothing listens on %s:%d after %d s" % (host, port, timeout))


# ------------------------------------------------------------ the machine

def _version(cmd, pattern=r"(\d+\.\d+[\w.+~-]*)"):
    try:
        out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, timeout=10).stdout.decode()
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.search(pattern, out)
    return m.group(1) if m else out.strip().splitlines()[0] if out.strip() else None


def deb_version(package):
    return _version(["dpkg-query", "-W", "-f=${Version}", package], r"(\S+)")


def machine():
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kb = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    load = os.getloadavg()
    head = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout.decode().strip()
    return {
        "cpu": cpu, "cores": os.cpu_count(), "kernel": platform.release(),
        "memory_gib": round(mem_kb / 1048576, 1), "load_at_start": [round(x, 2) for x in load],
        "commit": head or None,
        "versions": {
            "smtpcheck": _version([smtpcheck_bin(), "--version"]),
            "postfix (smtp-sink, smtpd)": deb_version("postfix"),
            "net-snmp (snmpd)": deb_version("snmpd"),
            "monitoring-plugins (check_smtp)": deb_version("monitoring-plugins-standard"),
            "blackbox_exporter": deb_version("prometheus-blackbox-exporter"),
            "openssl": deb_version("openssl"),
            "python3": platform.python_version(),
        },
    }
