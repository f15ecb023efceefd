#!/usr/bin/env python3
"""zabbix.traps: contrib/zabbix/smtpcheck_zabbix_traps.py turns snmptrapd's
traphandle input into Zabbix SNMPTrapperFile records that the template's
trap items match, and a server's text cannot forge a summary line.

    check_zabbix_traps.py REPO
"""

import os
import re
import subprocess
import sys
import tempfile

REPO = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                       os.path.join(os.path.dirname(__file__), "..", ".."))
RECEIVER = os.path.join(REPO, "contrib", "zabbix", "smtpcheck_zabbix_traps.py")
MIB = os.path.join(REPO, "mibs", "SMTP-CHECK-MIB.txt")
E = ".1.3.6.1.4.1.8072.9999.9999.25.1.1.1."     # smtpCheckEntry (the MIB's root today)
N = ".1.3.6.1.4.1.8072.9999.9999.25.1.4."       # smtpCheckNotifObjects
TRANSPORT = "UDP: [127.0.0.2]:40001->[127.0.0.1]:162"
RAISED = [
    "localhost", TRANSPORT,
    ".1.3.6.1.2.1.1.3.0 0:0:01:02.03",
    ".1.3.6.1.6.3.1.1.4.1.0 .1.3.6.1.4.1.8072.9999.9999.25.0.1",
    E + '2.3 "mx \\"one\\""',
    N + "1.0 5", N + "2.0 3", N + "3.0 3",
    E + "10.3 2", E + "9.3 -1", E + "11.3 2",
    E + '3.3 "192.0.2.1"', E + "4.3 25",
    E + '37.3 "refused', 'smtpcheck alarm=cleared index=1 forged"',
]
COLD = ["localhost", TRANSPORT, ".1.3.6.1.2.1.1.3.0 0:0:00:00.01",
        ".1.3.6.1.6.3.1.1.4.1.0 .1.3.6.1.6.3.1.1.5.1"]
failures = []


def check(cond, what, detail=""):
    print("%s - %s%s" % ("ok  " if cond else "FAIL", what, "" if cond else "\n  " + detail))
    if not cond:
        failures.append(what)


def receive(lines, path):
    subprocess.run([sys.executable, RECEIVER, "--mib", MIB, path],
                   input="\n".join(lines) + "\n", text=True, check=True)


def main():
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "traps.log")
        receive(RAISED, path)
        receive(COLD, path)
        with open(path) as f:
            text = f.read()
    records = re.split(r"(?m)^(?=\S+ \S+ ZBXTRAP )", text)[1:]
    check(len(records) == 2, "two records", text)
    raised, cold = (records + ["", ""])[:2]
    lines = raised.splitlines()
    check(re.match(r"^\d\d:\d\d:\d\d \d{4}/\d\d/\d\d ZBXTRAP 127\.0\.0\.2$", lines[0]) is not None,
          "header: <time> ZBXTRAP <sender address>", lines[0])
    check(lines[1] == TRANSPORT, "transport on the line Zabbix joins to the header", lines[1])
    want = ('smtpcheck alarm=raised index=3 check="mx \\"one\\"" metric=failure value=3 '
            'threshold=3 host="192.0.2.1" port=25 error=connectionRefused step=connect code=-1 '
            'detail="refused\\nsmtpcheck alarm=cleared index=1 forged"')
    check(lines[2] == want, "summary line", "%s\n  want %s" % (lines[2], want))
    check(sum(1 for l in lines if l.startswith("smtpcheck")) == 1,
          "a value's line break cannot start a second summary line", raised)
    item3 = re.compile(r"(?m)^smtpcheck alarm=[a-z]+ index=3 ")
    item1 = re.compile(r"(?m)^smtpcheck alarm=[a-z]+ index=1 ")
    check(item3.search(raised) and not item1.search(raised),
          "only check 3's trap item matches (regexp of the template's key)")
    for want in ("  smtpCheckErrorCode.3 = connectionRefused(2)",
                 "  smtpCheckNotifMetric.0 = failure(5)", "  snmpTrapOID.0 = smtpCheckAlarmRaised",
                 "  smtpCheckFailedStep.3 = connect(2)", "  smtpCheckPort.3 = 25"):
        check(want in lines, "varbind named from the MIB: %s" % want.strip(), raised)
    check("smtpcheck alarm" not in cold and "snmpTrapOID.0 = .1.3.6.1.6.3.1.1.5.1" in cold,
          "a trap that is not smtpcheck's has no summary line", cold)
    print("traps: %d check(s) failed" % len(failures) if failures else "traps OK")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
