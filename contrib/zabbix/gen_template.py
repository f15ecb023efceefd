#!/usr/bin/env python3
"""Write the Zabbix template for smtpcheck from mibs/SMTP-CHECK-MIB.txt.

    gen_template.py [--mib PATH] [--out PATH]

The template is in Zabbix 6.0 export format (6.4 and 7.0 convert it on
import). Everything the MIB knows comes from the MIB: numeric OIDs (Debian
ships no base MIBs, so names would not resolve), the value maps of the
enumerations, which columns are microsecond timings. What the MIB cannot
say (item keys, trigger logic, macro defaults) is the tables below.

UUIDs are derived from names, so regenerating gives the same file and a
re-import updates the template in place instead of duplicating it.
"""

import argparse
import hashlib
import os
import re
import sys
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import smtpcheck_mib  # noqa: E402

REPO = os.path.dirname(os.path.dirname(HERE))
DEFAULT_MIB = os.path.join(REPO, "mibs", "SMTP-CHECK-MIB.txt")
DEFAULT_OUT = os.path.join(HERE, "smtpcheck_template.yaml")

TEMPLATE = "smtpcheck by SNMP"                  # technical name: no parentheses
TEMPLATE_NAME = "SMTP checks by SNMP (smtpcheck)"
GROUP = "Templates/Applications"
IDX = "{#SNMPINDEX}"
CTX = '"{#CHECKNAME}"'          # user macro context: one threshold per check

# User macros: (name, default, description). Thresholds take the check
# name as context, e.g. {$SMTPCHECK.TOTAL.MAX:"mx1"} = 60.
MACROS = [
    ("{$SMTPCHECK.POLL}", "1m", "How often the check table is polled. No use below the checks' interval."),
    ("{$SMTPCHECK.LLD.POLL}", "10m", "How often the check list is discovered."),
    ("{$SMTPCHECK.FAIL.N}", "3", "Failed runs in a row (smtpCheckConsecutiveFailures) that make a problem."),
    ("{$SMTPCHECK.CONNECT.MAX}", "5", "Slow connect above this many seconds."),
    ("{$SMTPCHECK.LOGIN.MAX}", "5", "Slow AUTH exchange above this many seconds."),
    ("{$SMTPCHECK.TRANSFER.MAX}", "10", "Slow MAIL..end of data above this many seconds."),
    ("{$SMTPCHECK.TOTAL.MAX}", "30", "Slow whole check above this many seconds."),
    ("{$SMTPCHECK.DELIVERY.MAX}", "60", "Round trip: test mail slower to reach the mailbox than this many seconds."),
    ("{$SMTPCHECK.CERT.DAYS}", "14", "Certificate expiring: fewer days left than this (only checks that saw a certificate)."),
    ("{$SMTPCHECK.NOSUCCESS.MIN}", "60", "No successful run for this many minutes (and at least two check intervals)."),
    ("{$SMTPCHECK.AVAIL.MIN}", "99", "Low availability: under this many percent of the runs of the last hour succeeded."),
]

# Value maps: (map name, MIB enumeration it is generated from).
VALUEMAPS = [
    ("SMTP-CHECK-MIB::SmtpCheckError", "SmtpCheckError"),
    ("SMTP-CHECK-MIB::SmtpCheckStep", "SmtpCheckStep"),
    ("SMTP-CHECK-MIB::SmtpCheckSecurityMode", "SmtpCheckSecurityMode"),
    ("SMTP-CHECK-MIB::SmtpCheckProtocolType", "SmtpCheckProtocolType"),
    ("SMTP-CHECK-MIB::smtpCheckStatus", "smtpCheckStatus"),
    ("SNMPv2-TC::TruthValue", "TruthValue"),
]

# Polled item prototypes besides the timings: (MIB column, key stem, label,
# Zabbix value type, units, extra fields). Signed columns are FLOAT:
# Zabbix's unsigned type refuses -1 and negative days.
ITEMS = [
    ("smtpCheckStatus", "status", "status", "UNSIGNED", "", {}),
    ("smtpCheckSecurity", "security", "security", "UNSIGNED", "", {}),
    ("smtpCheckProtocol", "protocol", "protocol", "UNSIGNED", "", {}),
    ("smtpCheckResponseCode", "response_code", "SMTP response code (-1: none)", "FLOAT", "", {}),
    ("smtpCheckErrorCode", "error_code", "error code", "UNSIGNED", "", {}),
    ("smtpCheckFailedStep", "failed_step", "failed step", "UNSIGNED", "", {}),
    ("smtpCheckErrorDetail", "error_detail", "error detail", "TEXT", "", {}),
    ("smtpCheckConsecutiveFailures", "consecutive_failures", "failed runs in a row", "UNSIGNED", "", {}),
    ("smtpCheckPhasesRun", "phases_run", "phases run (mask: dns 128 .. quit 1; with a found round trip dns 32768 .. delivery 128)", "UNSIGNED", "",
     {"preprocessing": [{"type": "HEX_TO_DECIMAL", "parameters": [""]}]}),
    ("smtpCheckCertSeen", "cert_seen", "certificate seen", "UNSIGNED", "", {}),
    ("smtpCheckCertDaysLeft", "cert_days_left", "certificate days left", "FLOAT", "days", {}),
    ("smtpCheckTlsVersion", "tls_version", "TLS version", "CHAR", "", {}),
    ("smtpCheckInterval", "interval", "check interval", "UNSIGNED", "s", {}),
    ("smtpCheckLastRunUnix", "last_run", "last run", "UNSIGNED", "unixtime", {}),
    ("smtpCheckLastSuccessUnix", "last_success", "last success (0: never)", "UNSIGNED", "unixtime", {}),
]
RATES = [  # counters, stored as change per second
    ("smtpCheckRuns", "runs", "runs per second"),
    ("smtpCheckFailures", "failures", "failures per second"),
    ("smtpCheckSkippedRuns", "skipped_runs", "skipped runs per second"),
]
TIMING_UNITS = "microseconds"
STATS_ENTRY = "smtpCheckStatsEntry"   # AUGMENTS smtpCheckEntry: same {#SNMPINDEX}
# smtpCheckStatsTable columns by their MIB UNITS: (Zabbix units, multiplier).
STATS_UNITS = {"runs": ("", None), "per mille": ("%", "0.1"), TIMING_UNITS: ("s", "0.000001")}
# The receiver (smtpcheck_zabbix_traps.py) starts each trap's text with the
# line "smtpcheck alarm=raised|cleared index=N ..."; no other line can start
# with "smtpcheck" (it escapes line breaks inside values).
TRAP_LINE = "(?m)^smtpcheck alarm="
TRAP_KEY = 'snmptrap["%s[a-z]+ index=%s "]' % (TRAP_LINE, IDX)
GRAPH_COLORS = ["1A7C11", "F63100", "2774A4", "A54F10", "FC6EA3", "6C59DC", "AC8C14", "611F27",
                "F230E0", "5CCD18"]


def stable_uuid(*names):
    """A UUIDv4-shaped id (Zabbix accepts only those) derived from NAMES."""
    digest = hashlib.sha256("\0".join(("smtpcheck",) + names).encode()).digest()
    return uuid.UUID(bytes=digest[:16], version=4).hex


def key(stem):
    return "smtpcheck.%s[%s]" % (stem, IDX)


def ref(stem):
    """An item in a trigger expression."""
    return "/%s/%s" % (TEMPLATE, key(stem))


def macro(name):
    return "{$SMTPCHECK.%s:%s}" % (name, CTX)


def mib_valuemap(name):
    for vm, enum in VALUEMAPS:
        if enum == name:
            return vm
    return None


def column_valuemap(mib, col):
    o = mib.objects[col]
    return mib_valuemap(col) if o.enum else mib_valuemap(o.syntax)


# ---------------------------------------------------------------- items

def snmp_item(mib, col, stem, label, value_type, units, extra=None):
    it = {"uuid": stable_uuid("item", stem),
          "name": "{#CHECKNAME}: " + label,
          "type": "SNMP_AGENT",
          "snmp_oid": "%s.%s" % (mib.oid(col), IDX),
          "key": key(stem),
          "delay": "{$SMTPCHECK.POLL}"}
    if value_type != "UNSIGNED":
        it["value_type"] = value_type
    if value_type in ("TEXT", "CHAR"):
        it["trends"] = "0"
    if units:
        it["units"] = units
    it["description"] = "%s (%s)." % (col, mib.oid(col))
    it.update(extra or {})
    vm = column_valuemap(mib, col)
    if vm:
        it["valuemap"] = {"name": vm}
    it["tags"] = [{"tag": "component", "value": "smtp"},
                  {"tag": "check", "value": "{#CHECKNAME}"}]
    return it


def timing_columns(mib):
    """The per-phase microsecond columns: (column, phase) in MIB order."""
    out = []
    for c in mib.columns("smtpCheckEntry"):
        if c.units == TIMING_UNITS:
            phase = c.name[len("smtpCheck"):-len("TimeUs")]
            out.append((c.name, phase[0].lower() + phase[1:]))
    if not out:
        raise SystemExit("gen_template: no %s columns in %s" % (TIMING_UNITS, mib.path))
    return out


def timing_items(mib):
    return [snmp_item(mib, col, "time." + phase, "%s time" % phase, "FLOAT", "s",
                      {"preprocessing": [{"type": "MULTIPLIER", "parameters": ["0.000001"]}]})
            for col, phase in timing_columns(mib)]


def stats_columns(mib):
    """smtpCheckStatsTable's columns: (column, key stem, label), e.g.
    smtpCheckStats1hP95Us -> stats.1h.p95, "1 h p95 total time"."""
    out = []
    for c in mib.columns(STATS_ENTRY):
        m = re.match(r"^smtpCheckStats(\d+h)(Runs|Availability|P\d+Us)$", c.name)
        if not m or c.units not in STATS_UNITS:
            raise SystemExit("gen_template: %s: no name/units rule for it" % c.name)
        span, fig = m.group(1), m.group(2).lower()
        fig = fig[:-2] if fig.endswith("us") else fig
        label = {"runs": "runs", "availability": "availability"}.get(fig, fig + " total time")
        out.append((c.name, "stats.%s.%s" % (span, fig), "%s %s %s" % (
            span[:-1], span[-1], label)))
    if not out:
        raise SystemExit("gen_template: no %s columns in %s" % (STATS_ENTRY, mib.path))
    return out


def stats_items(mib):
    """Availability per mille is shown in %, percentiles in seconds."""
    items = []
    for col, stem, label in stats_columns(mib):
        units, mult = STATS_UNITS[mib.objects[col].units]
        extra = {"preprocessing": [{"type": "MULTIPLIER", "parameters": [mult]}]} if mult else {}
        items.append(snmp_item(mib, col, stem, label, "FLOAT" if mult else "UNSIGNED", units,
                               extra))
    return items


def rate_items(mib):
    return [snmp_item(mib, col, stem, label, "FLOAT", "runs/s",
                      {"preprocessing": [{"type": "CHANGE_PER_SECOND", "parameters": [""]}]})
            for col, stem, label in RATES]


def age_item():
    return {"uuid": stable_uuid("item", "last_success_age"),
            "name": "{#CHECKNAME}: time since last success",
            "type": "CALCULATED",
            "key": key("last_success_age"),
            "delay": "{$SMTPCHECK.POLL}",
            "value_type": "FLOAT",
            "units": "s",
            "params": "now()-last(//%s)" % key("last_success"),
            "description": "Seconds since smtpCheckLastSuccessUnix. While the check has never "
                           "succeeded (last success 0) this counts from 1970.",
            "tags": [{"tag": "component", "value": "smtp"},
                     {"tag": "check", "value": "{#CHECKNAME}"}]}


def trap_item():
    """One SNMP trap item per check: the receiver's summary line carries
    the row index, so the regexp picks the traps of this check."""
    return {"uuid": stable_uuid("item", "trap"),
            "name": "{#CHECKNAME}: alarm traps",
            "type": "SNMP_TRAP",
            "key": TRAP_KEY,
            "delay": "0",
            "history": "30d",
            "trends": "0",
            "value_type": "LOG",
            "description": "smtpCheckAlarmRaised / smtpCheckAlarmCleared of this check, as "
                           "written by smtpcheck-zabbix-traps (contrib/zabbix).",
            "tags": [{"tag": "component", "value": "smtp"},
                     {"tag": "check", "value": "{#CHECKNAME}"}],
            "trigger_prototypes": [trap_trigger()]}


# ---------------------------------------------------------------- triggers

def trigger(name, expression, priority, tag, **extra):
    t = {"uuid": stable_uuid("trigger", tag), "expression": expression, "name": name}
    t.update(extra)
    t["priority"] = priority
    t["tags"] = [{"tag": "check", "value": "{#CHECKNAME}"},
                 {"tag": "server", "value": "{#CHECKHOST}"},
                 {"tag": "scope", "value": tag}]
    return t


def failing_trigger():
    return trigger(
        "SMTP check {#CHECKNAME} ({#CHECKHOST}) failed %s runs in a row" % macro("FAIL.N"),
        "last(%s)>=%s and last(%s)<>0" % (ref("consecutive_failures"), macro("FAIL.N"),
                                          ref("error_code")),
        "AVERAGE", "failing",
        opdata="{ITEM.LASTVALUE2}")


def slow_trigger(phase, macro_name):
    return trigger(
        "SMTP check {#CHECKNAME}: %s slower than %ss" % (phase, macro(macro_name)),
        "last(%s)>%s" % (ref("time." + phase), macro(macro_name)),
        "WARNING", "slow-" + phase,
        opdata="{ITEM.LASTVALUE1}")


def cert_trigger():
    return trigger(
        "SMTP check {#CHECKNAME}: certificate expires in under %s days" % macro("CERT.DAYS"),
        "last(%s)=1 and last(%s)<%s" % (ref("cert_seen"), ref("cert_days_left"),
                                        macro("CERT.DAYS")),
        "WARNING", "certificate",
        opdata="{ITEM.LASTVALUE2} days left",
        description="Only runs that saw a certificate count (smtpCheckCertSeen true); a "
                    "plain check reads 0 days and never fires.")


def no_success_trigger():
    limit = "%s*60" % macro("NOSUCCESS.MIN")
    ever = "last(%s)>0 and last(%s)>%s and last(%s)>2*last(%s)" % (
        ref("last_success"), ref("last_success_age"), limit, ref("last_success_age"),
        ref("interval"))
    never = "last(%s)=0 and last(%s)*last(%s)>%s" % (
        ref("last_success"), ref("consecutive_failures"), ref("interval"), limit)
    return trigger(
        "SMTP check {#CHECKNAME}: no success for %s minutes" % macro("NOSUCCESS.MIN"),
        "(%s) or (%s)" % (ever, never),
        "HIGH", "no-success",
        description="A check that succeeded once fires when its last success is older than "
                    "the limit and than two intervals; one that never succeeded fires when "
                    "its failed runs in a row span the limit. A check that has not run yet "
                    "never fires.")


def availability_trigger():
    return trigger(
        "SMTP check {#CHECKNAME}: availability over 1 h under %s%%" % macro("AVAIL.MIN"),
        "last(%s)>0 and last(%s)<%s" % (ref("stats.1h.runs"), ref("stats.1h.availability"),
                                        macro("AVAIL.MIN")),
        "AVERAGE", "availability",
        opdata="{ITEM.LASTVALUE2}",
        description="smtpCheckStats1hAvailability, the successful runs per mille of the last "
                    "hour, shown in %. A check without a run in the hour never fires.")


def trap_trigger():
    item = "/%s/%s" % (TEMPLATE, TRAP_KEY)
    metric = '{{ITEM.VALUE}.regsub("metric=([A-Za-z]+)", \\1)}'
    t = trigger(
        "SMTP check {#CHECKNAME}: alarm %s raised (trap)" % metric,
        'find(%s,,"regexp","%sraised ")=1' % (item, TRAP_LINE),
        "AVERAGE", "trap",
        recovery_mode="RECOVERY_EXPRESSION",
        recovery_expression='find(%s,,"regexp","%scleared ")=1' % (item, TRAP_LINE),
        correlation_mode="TAG_VALUE",
        correlation_tag="smtpcheck.alarm",
        type="MULTIPLE",
        manual_close="YES",
        description="Opened by smtpCheckAlarmRaised, closed by the smtpCheckAlarmCleared of "
                    "the same check and metric (tag smtpcheck.alarm).")
    t["tags"].append({"tag": "smtpcheck.alarm", "value": "{#CHECKNAME}:" + metric})
    return t


def triggers():
    return [failing_trigger(), slow_trigger("connect", "CONNECT.MAX"),
            slow_trigger("login", "LOGIN.MAX"), slow_trigger("transfer", "TRANSFER.MAX"),
            slow_trigger("total", "TOTAL.MAX"), slow_trigger("delivery", "DELIVERY.MAX"),
            cert_trigger(), no_success_trigger(), availability_trigger()]


# ---------------------------------------------------------------- graph, rule, template

def graph_items(stems, **extra):
    """One graph item per item key stem, in order, colours in turn."""
    items = []
    for i, stem in enumerate(stems):
        gi = {"sortorder": str(i)} if i else {}
        gi.update(extra)
        gi.update({"color": GRAPH_COLORS[i % len(GRAPH_COLORS)],
                   "item": {"host": TEMPLATE, "key": key(stem)}})
        items.append(gi)
    return items


def phase_graph(mib):
    stems = ["time." + phase for _, phase in timing_columns(mib) if phase != "total"]
    return {"uuid": stable_uuid("graph", "phases"),
            "name": "{#CHECKNAME}: phase timings",
            "type": "STACKED",
            "graph_items": graph_items(stems, drawtype="FILLED_REGION")}


def line_graph(name, title, stems):
    return {"uuid": stable_uuid("graph", name), "name": "{#CHECKNAME}: " + title,
            "graph_items": graph_items(stems)}


def stats_graphs(mib):
    stems = [stem for _, stem, _ in stats_columns(mib)]
    avail = [s for s in stems if s.endswith(".availability")]
    pcts = [s for s in stems if re.search(r"\.p\d+$", s)]
    g = line_graph("availability", "availability (1 h, 24 h)", avail)
    g.update({"ymin_type_1": "FIXED", "ymax_type_1": "FIXED", "yaxismax": "100"})
    return [g, line_graph("percentiles", "total time percentiles (1 h, 24 h)", pcts)]


def discovery_rule(mib):
    protos = ([snmp_item(mib, *row) for row in ITEMS] + timing_items(mib) + rate_items(mib)
              + stats_items(mib) + [age_item(), trap_item()])
    return {"uuid": stable_uuid("rule", "checks"),
            "name": "SMTP checks",
            "type": "SNMP_AGENT",
            "snmp_oid": "discovery[{#CHECKNAME},%s,{#CHECKHOST},%s,{#CHECKPROTOCOL},%s]" % (
                mib.oid("smtpCheckName"), mib.oid("smtpCheckHost"), mib.oid("smtpCheckProtocol")),
            "key": "smtpcheck.discovery",
            "delay": "{$SMTPCHECK.LLD.POLL}",
            "lifetime": "7d",
            "description": "Rows of smtpCheckTable (%s), keyed by smtpCheckIndex; "
                           "{#CHECKPROTOCOL} is smtpCheckProtocol: 1 SMTP, 2 IMAP, 3 POP3."
                           % mib.oid("smtpCheckTable"),
            "item_prototypes": protos,
            "trigger_prototypes": triggers(),
            "graph_prototypes": [phase_graph(mib)] + stats_graphs(mib)}


def valuemaps(mib):
    out = []
    for name, enum in VALUEMAPS:
        labels = sorted(mib.enum(enum).items(), key=lambda kv: kv[1])
        out.append({"uuid": stable_uuid("valuemap", name), "name": name,
                    "mappings": [{"value": str(v), "newvalue": k} for k, v in labels]})
    return out


def template(mib):
    return {"zabbix_export": {
        "version": "6.0",
        "groups": [{"uuid": stable_uuid("group", GROUP), "name": GROUP}],
        "templates": [{
            "uuid": stable_uuid("template", TEMPLATE),
            "template": TEMPLATE,
            "name": TEMPLATE_NAME,
            "description": "smtpcheck's SMTP-CHECK-MIB (%s): SNMP discovery of the checks, "
                           "timings, errors, certificate, availability and percentiles "
                           "(smtpCheckStatsTable), traps. Generated by "
                           "contrib/zabbix/gen_template.py from the MIB; do not edit." % mib.oid(
                               mib.root),
            "groups": [{"name": GROUP}],
            "items": [{"uuid": stable_uuid("item", "trap.fallback"),
                       "name": "SNMP traps not matched by any check",
                       "type": "SNMP_TRAP", "key": "snmptrap.fallback", "delay": "0",
                       "history": "30d", "trends": "0", "value_type": "LOG",
                       "tags": [{"tag": "component", "value": "smtp"}]}],
            "discovery_rules": [discovery_rule(mib)],
            "macros": [{"macro": m, "value": v, "description": d} for m, v, d in MACROS],
            "valuemaps": valuemaps(mib),
        }]}}


# ---------------------------------------------------------------- YAML

def _scalar(v):
    return "'%s'" % str(v).replace("'", "''")


def to_yaml(value, indent=0):
    """Block YAML for dicts, lists and strings; every scalar single-quoted,
    so no value is ever read as a number, a boolean or a comment."""
    pad = "  " * indent
    lines = []
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(v, (dict, list)):
                lines.append("%s%s:" % (pad, k))
                lines.append(to_yaml(v, indent + 1))
            else:
                lines.append("%s%s: %s" % (pad, k, _scalar(v)))
    else:
        for v in value:
            body = to_yaml(v, indent + 1) if isinstance(v, (dict, list)) else pad + "  " + _scalar(v)
            lines.append("%s- %s" % (pad, body.lstrip(" ")))
    return "\n".join(lines)


def render(mib_path):
    return to_yaml(template(smtpcheck_mib.Mib(mib_path))) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mib", default=DEFAULT_MIB)
    ap.add_argument("--out", default=DEFAULT_OUT, help="'-' for stdout")
    args = ap.parse_args()
    text = render(args.mib)
    if args.out == "-":
        sys.stdout.write(text)
    else:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text)


if __name__ == "__main__":
    main()
