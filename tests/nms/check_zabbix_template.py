#!/usr/bin/env python3
"""zabbix.template: the committed Zabbix template is what
contrib/zabbix/gen_template.py makes from the MIB today, and it agrees with
the MIB (read back from the YAML text, not from the generator's data).

    check_zabbix_template.py REPO
"""

import os
import re
import sys

REPO = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                       os.path.join(os.path.dirname(__file__), "..", ".."))
ZBX = os.path.join(REPO, "contrib", "zabbix")
sys.path.insert(0, ZBX)
import gen_template  # noqa: E402
import smtpcheck_mib  # noqa: E402

MIB_PATH = os.path.join(REPO, "mibs", "SMTP-CHECK-MIB.txt")
TEMPLATE_PATH = os.path.join(ZBX, "smtpcheck_template.yaml")
failures = []


def check(cond, what):
    print("%s - %s" % ("ok  " if cond else "FAIL", what))
    if not cond:
        failures.append(what)


def unquote(s):
    s = s.strip()
    return s[1:-1].replace("''", "'") if s.startswith("'") and s.endswith("'") else s


def read_yaml(text):
    """The block YAML subset the generator writes: mappings, '- ' lists,
    single-quoted scalars. A small reader of our own: the test must not
    trust the generator's data structures."""
    lines = [[len(l) - len(l.lstrip(" ")), l.strip()] for l in text.splitlines() if l.strip()]

    def block(i, indent):
        if lines[i][1].startswith("- "):
            out = []
            while i < len(lines) and lines[i][0] == indent and lines[i][1].startswith("- "):
                lines[i] = [indent + 2, lines[i][1][2:]]     # the item, as its own block
                if ":" in lines[i][1] and not lines[i][1].startswith("'"):
                    v, i = block(i, indent + 2)
                else:
                    v, i = unquote(lines[i][1]), i + 1
                out.append(v)
            return out, i
        out = {}
        while i < len(lines) and lines[i][0] == indent:
            k, _, v = lines[i][1].partition(":")
            i += 1
            if v.strip():
                out[k] = unquote(v)
            else:
                out[k], i = block(i, lines[i][0])
        return out, i

    return block(0, 0)[0]


def walk(node, path=""):
    """Every (path, dict) in the tree."""
    if isinstance(node, dict):
        yield path, node
        for k, v in node.items():
            yield from walk(v, path + "/" + k)
    elif isinstance(node, list):
        for v in node:
            yield from walk(v, path)


def main():
    mib = smtpcheck_mib.Mib(MIB_PATH)
    with open(TEMPLATE_PATH, encoding="utf-8") as f:
        committed = f.read()
    fresh = gen_template.render(MIB_PATH)
    check(fresh == committed, "%s is up to date (run contrib/zabbix/gen_template.py)"
          % os.path.relpath(TEMPLATE_PATH, REPO))

    tree = read_yaml(committed)
    export = tree.get("zabbix_export", {})
    check(export.get("version") == "6.0", "export format 6.0")
    tpl = export["templates"][0]
    dicts = list(walk(tree))

    uuids = [d["uuid"] for _, d in dicts if "uuid" in d]
    v4 = re.compile(r"^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$")
    check(all(v4.match(u) for u in uuids), "every uuid is UUIDv4-shaped (%d)" % len(uuids))
    check(len(set(uuids)) == len(uuids), "uuids are unique")

    # Every OID names an object of the MIB (instance {#SNMPINDEX} or none).
    oids = []
    for _, d in dicts:
        s = d.get("snmp_oid", "")
        oids += re.findall(r"(?:^|,)(\d+(?:\.\d+)+)", s.replace("discovery[", ","))
    bad = [o for o in oids if mib.name_oid(o)[1] != ""]
    check(oids and not bad, "all %d OIDs are objects of the MIB %s" % (len(oids), bad or ""))
    cols = {mib.oid(c.name) for c in mib.columns("smtpCheckEntry")}
    item_oids = [o for o in oids if o in cols]
    check(len(item_oids) >= 20, "%d item prototypes poll smtpCheckEntry columns" % len(item_oids))

    # Value maps: exactly the MIB's enumerations.
    maps = {vm["name"]: {m["value"]: m["newvalue"] for m in vm["mappings"]}
            for vm in tpl["valuemaps"]}
    for name, entries in maps.items():
        want = {str(v): k for k, v in mib.enum(name.split("::")[1]).items()}
        check(entries == want, "value map %s matches the MIB (%d entries)" % (name, len(want)))
    for tc in ("SmtpCheckError", "SmtpCheckStep"):
        check(any(n.endswith("::" + tc) for n in maps), "value map for %s" % tc)
    used = {d["valuemap"]["name"] for _, d in dicts if isinstance(d.get("valuemap"), dict)}
    check(used <= set(maps), "every value map used is defined")

    # Items that triggers and graphs name exist; µs timings become seconds.
    protos = {d["key"]: d for p, d in dicts if p.endswith("/item_prototypes") and "key" in d}
    refs = set(re.findall(r"/%s/([^,)]+\])" % re.escape(tpl["template"]), committed))
    refs |= {d["item"]["key"] for _, d in dicts if isinstance(d.get("item"), dict)}
    check(refs and refs <= set(protos), "triggers and graphs name existing items %s"
          % sorted(refs - set(protos)))
    def scaled(units, factor):
        return [d for d in protos.values() if d.get("units") == units and "preprocessing" in d
                and d["preprocessing"][0]["parameters"][0] == factor]
    cols = mib.columns("smtpCheckEntry") + mib.columns("smtpCheckStatsEntry")
    us = [c for c in cols if c.units == "microseconds"]
    secs = scaled("s", "0.000001")
    check(us and len(secs) == len(us), "%d µs columns, %d items in seconds" % (len(us), len(secs)))
    pm = [c for c in cols if c.units == "per mille"]
    pct = scaled("%", "0.1")
    check(pm and len(pct) == len(pm), "%d per-mille columns, %d items in %%" % (len(pm), len(pct)))
    stats_oids = {mib.oid(c.name) + ".{#SNMPINDEX}" for c in mib.columns("smtpCheckStatsEntry")}
    check(stats_oids <= {d.get("snmp_oid") for d in protos.values()},
          "every smtpCheckStatsTable column is an item (%d)" % len(stats_oids))
    signed = [c.name for c in mib.columns("smtpCheckEntry") if c.syntax == "Integer32"]
    by_oid = {d.get("snmp_oid", "").rsplit(".", 1)[0]: d for d in protos.values()}
    for name in signed:
        d = by_oid.get(mib.oid(name))
        check(d is None or d.get("value_type") == "FLOAT", "%s (signed) is a FLOAT item" % name)

    print("template: %d check(s) failed" % len(failures) if failures else "template OK")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
