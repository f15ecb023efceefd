"""Check files for the smtpcheck CLI and module (libconfig, via the
project's snmp_helpers), one KIND of check repeated N times."""

from .common import EHLO_NAME, LOOPBACK, snmp

KINDS = ("plain", "starttls", "tls", "auth")


def check_dicts(kind, n, port, stack=None, host=LOOPBACK, ports=None, first=1):
    """N checks of KIND. PORTS (a list) spreads them over several ports."""
    out = []
    for i in range(n):
        c = {"index": first + i, "name": "c%d" % (first + i), "host": host,
             "port": ports[i % len(ports)] if ports else port}
        if kind in ("starttls", "auth"):
            c["security"] = "starttls"
        elif kind == "tls":
            c["security"] = "tls"
        if kind == "auth":
            c["auth"] = {"user": stack.user, "password_file": stack.password_file}
        out.append(c)
    return out


def check_file(checks, **defaults):
    d = {"ehlo_name": EHLO_NAME, "timeout": 10}
    d.update(defaults)
    return snmp.checks_text(checks, d)


def count_column(port, column, timeout=120):
    """Sum of one smtpCheckEntry column over every row (a bulk walk)."""
    base = "%s.%d" % (snmp.ENTRY, snmp.COL[column])
    values = snmp.parse_output(snmp._run_tool("snmpbulkwalk", port, ["-Cr50", base],
                                              timeout=timeout))
    return sum(v for v in values.values() if isinstance(v, int)), len(values)


def last_errors(port):
    """{error name: rows} of the rows whose last run failed."""
    base = "%s.%d" % (snmp.ENTRY, snmp.COL["errorCode"])
    values = snmp.parse_output(snmp._run_tool("snmpbulkwalk", port, ["-Cr50", base]))
    names = {v: k for k, v in snmp.mib_enum("SmtpCheckError").items()}
    out = {}
    for v in values.values():
        if isinstance(v, int) and v != 0:
            out[names.get(v, str(v))] = out.get(names.get(v, str(v)), 0) + 1
    return out


def in_flight(port):
    return snmp.snmpget_one(port, snmp.global_oid("checksInFlight"))


def load_defaults(limit):
    """Defaults that let LIMIT checks be in flight at once: max_in_flight,
    and any per-destination cap the schema has (found by name in
    `smtpcheck --list-fields`, so the bench follows the schema)."""
    import subprocess
    from .common import smtpcheck_bin
    out = subprocess.run([smtpcheck_bin(), "--list-fields"], stdout=subprocess.PIPE,
                         stdin=subprocess.DEVNULL).stdout.decode()
    d = {"max_in_flight": limit}
    for line in out.splitlines():
        f = line.split("\t")
        if len(f) > 11 and f[0] == "field" and "defaults" in f[7] and f[5] == "integer" \
                and ("dest" in f[1] or "per_" in f[1]) and f[1] != "max_in_flight":
            d[f[1]] = min(limit, int(float(f[10])))
    return d
