#!/usr/bin/env python3
"""snmptrapd traphandle that appends each trap to Zabbix's SNMPTrapperFile.

    traphandle default /usr/share/smtpcheck/zabbix/smtpcheck_zabbix_traps.py FILE

(Debian ships no zabbix_trap_receiver.pl.) snmptrapd gives the trap on
stdin: the sender's host name, the transport line, then one "OID value"
line per varbind. We write one record per trap, the format Zabbix's SNMP
trapper reads:

    <HH:MM:SS YYYY/MM/DD> ZBXTRAP <sender address>
    UDP: [<sender address>]:<port>->[<receiver address>]:<port>
    smtpcheck alarm=raised index=3 check="mx1" metric=failure ...
      smtpCheckName.3 = "mx1"
      smtpCheckErrorCode.3 = connectionRefused(2)

The names and enumeration labels come from SMTP-CHECK-MIB itself (Debian
has no base MIBs, so snmptrapd prints numbers). The summary line is what
the template's trap items match: "(?m)^smtpcheck alarm=... index=N ". Line
breaks inside values are escaped, so no value can start such a line.
Traps that are not smtpcheck's are written too, without the summary line
(the template's fallback item takes them).

The MIB is read from --mib, $SMTPCHECK_MIB, the installed
/usr/share/snmp/mibs/SMTP-CHECK-MIB.txt or the source tree. Without it the
trap is still written, with numeric OIDs.
"""

import argparse
import fcntl
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import smtpcheck_mib  # noqa: E402

MIB_PLACES = ["/usr/share/snmp/mibs/SMTP-CHECK-MIB.txt",
              os.path.join(os.path.dirname(os.path.dirname(HERE)), "mibs", "SMTP-CHECK-MIB.txt")]
TRAP_OID = "1.3.6.1.6.3.1.1.4.1.0"
_VARBIND = re.compile(r"^\.?(\d+(?:\.\d+)+)\s+(.*)$")
_TYPED = re.compile(r"^(STRING|INTEGER|Gauge32|Counter32|Counter64|Unsigned32|Timeticks|OID|"
                    r"Hex-STRING|IpAddress|BITS|Opaque): ?(.*)$", re.S)
_ADDR = re.compile(r"\[([0-9A-Fa-f:.]+)\]:\d+->")

# Summary line fields: (label, object).
SUMMARY = [("check", "smtpCheckName"), ("metric", "smtpCheckNotifMetric"),
           ("value", "smtpCheckNotifValue"), ("threshold", "smtpCheckNotifThreshold"),
           ("host", "smtpCheckHost"), ("port", "smtpCheckPort"),
           ("error", "smtpCheckErrorCode"), ("step", "smtpCheckFailedStep"),
           ("code", "smtpCheckResponseCode"), ("detail", "smtpCheckErrorDetail")]


def load_mib(path):
    for p in [path, os.environ.get("SMTPCHECK_MIB")] + MIB_PLACES:
        if p and os.path.exists(p):
            try:
                return smtpcheck_mib.Mib(p)
            except (OSError, ValueError, StopIteration):
                continue
    return None


def one_line(text):
    return text.replace("\\", "\\\\").replace("\r", "\\r").replace("\n", "\\n")


def parse(lines):
    """(sender address, transport line, [(oid, raw value)]) from snmptrapd's
    traphandle input."""
    host = lines[0].strip() if lines else ""
    transport = lines[1] if len(lines) > 1 else ""
    m = _ADDR.search(transport)
    varbinds = []
    for line in lines[2:]:
        vb = _VARBIND.match(line)
        if vb:
            varbinds.append([vb.group(1), vb.group(2)])
        elif varbinds:              # a string value that spans lines
            varbinds[-1][1] += "\n" + line
    return (m.group(1) if m else host), transport.strip(), [tuple(v) for v in varbinds]


def plain_value(raw):
    """The value without its type prefix and quotes."""
    m = _TYPED.match(raw)
    typ, val = (m.group(1), m.group(2)) if m else ("", raw)
    if typ == "Timeticks":
        t = re.match(r"\((\d+)\)", val)
        val = t.group(1) if t else val
    if len(val) >= 2 and val[0] == val[-1] == '"':
        val = val[1:-1].replace('\\"', '"')
    return val


class Named:
    """A varbind named from the MIB: name, instance, text for humans."""

    def __init__(self, mib, oid, raw):
        self.oid = oid
        self.value = plain_value(raw)
        self.name, self.instance = mib.name_oid(oid) if mib else (None, oid)
        self.text = self._text(mib)

    def _text(self, mib):
        if self.name and mib.has_enum(self.name) and not mib.is_bits(self.name) \
                and re.fullmatch(r"-?\d+", self.value):
            labels = {v: k for k, v in mib.enum(self.name).items()}
            return "%s(%s)" % (labels.get(int(self.value), "?"), self.value)
        if self.oid == TRAP_OID and mib:
            name, rest = mib.name_oid(self.value)
            return "%s%s" % (name, "." + rest if rest else "") if name else self.value
        obj = mib.objects.get(self.name) if mib and self.name else None
        if obj and obj.syntax == "DisplayString":
            return '"%s"' % one_line(self.value).replace('"', '\\"')
        return one_line(self.value)

    def label(self):
        if not self.name:
            return "." + self.oid
        return self.name + ("." + self.instance if self.instance else "")


def summary(mib, named):
    """The line the template matches, or None for a trap that is not an
    smtpcheck alarm."""
    kind = {mib.oid("smtpCheckAlarmRaised"): "raised",
            mib.oid("smtpCheckAlarmCleared"): "cleared"}
    trap = next((n.value.lstrip(".") for n in named if n.oid == TRAP_OID), "")
    by_name = {n.name: n for n in named if n.name}
    if trap not in kind or "smtpCheckName" not in by_name:
        return None
    parts = ["smtpcheck alarm=%s index=%s" % (kind[trap], by_name["smtpCheckName"].instance)]
    for label, obj in SUMMARY:
        if obj in by_name:
            n = by_name[obj]
            text = n.text.split("(")[0] if mib.has_enum(obj) and n.text.endswith(")") else n.text
            parts.append("%s=%s" % (label, text))
    return " ".join(parts)


def record(lines, mib, now=None):
    addr, transport, varbinds = parse(lines)
    named = [Named(mib, oid, raw) for oid, raw in varbinds]
    # Zabbix keeps the time and joins the line after the address to it:
    # the transport goes there, so the summary line starts a line.
    out = ["%s ZBXTRAP %s" % (time.strftime("%H:%M:%S %Y/%m/%d", time.localtime(now)), addr),
           one_line(transport or "-")]
    head = summary(mib, named) if mib else None
    if head:
        out.append(head)
    out += ["  %s = %s" % (n.label(), n.text) for n in named]
    return "\n".join(out) + "\n"


def append(path, text):
    """One write under an exclusive lock: concurrent handlers never interleave."""
    with open(path, "a", encoding="utf-8") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        f.write(text)
        f.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mib", help="SMTP-CHECK-MIB.txt")
    ap.add_argument("file", help="Zabbix SNMPTrapperFile")
    args = ap.parse_args()
    lines = sys.stdin.read().splitlines()
    append(args.file, record(lines, load_mib(args.mib)))


if __name__ == "__main__":
    main()
