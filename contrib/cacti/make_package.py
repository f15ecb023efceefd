#!/usr/bin/python3
"""Generate smtpcheck's Cacti files from mibs/SMTP-CHECK-MIB.txt.

    contrib/cacti/make_package.py           rewrite the two files below
    contrib/cacti/make_package.py --check   exit 1 if they differ from what
                                            this script generates (CTest)

Outputs (committed; docs/cacti.md tells how to install them):
  smtpcheck_table.xml      the SNMP data query over smtpCheckTable, for
                           <cacti>/resource/snmp_queries/
  smtpcheck_templates.xml  the template package for cli/import_template.php:
                           the data query, one data template and one graph
                           template per graph below, and their CDEFs

Every OID comes from the MIB (through tests/integration/snmp_helpers.py,
the project's one MIB reader); the tables below say which columns are
graphed and how.  Hashes are md5 digests of stable names, so the output
only changes when this script or the MIB does.  Objects that every Cacti
1.2 has (the "Get SNMP Data (Indexed)" input method, the GPRINT presets,
the 5-minute data source profile) are written with Cacti's own hashes, so
an import reuses them.
"""

import hashlib
import os
import sys
from xml.sax.saxutils import escape

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
from snmp_helpers import ENTRY, mib_children  # noqa: E402  (the one MIB reader)

TABLE_XML = os.path.join(HERE, "smtpcheck_table.xml")
PACKAGE_XML = os.path.join(HERE, "smtpcheck_templates.xml")
RESOURCE_NAME = "smtpcheck_table.xml"
VERSION = "0103"      # Cacti's hash version code for 1.2.x
PREFIX = "SMTP check"
COLUMNS = mib_children("smtpCheckEntry")

# ---------------------------------------------------------------- stock Cacti objects
INDEXED_INPUT = "bf566c869ac6443b0c75d1c32b5a350e"   # Get SNMP Data (Indexed)
# (hash, name, data_name, allow_nulls, per-data-source value taken from the query)
INPUT_FIELDS = [
    ("617cdc8a230615e59f06f361ef6e7728", "SNMP IP Address", "hostname", "management_ip", "", ""),
    ("acb449d1451e8a2a655c2c99d31142c7", "SNMP Community", "snmp_community", "snmp_community", "", ""),
    ("f4facc5e2ca7ebee621f09bc6d9fc792", "SNMP Username (v3)", "snmp_username", "snmp_username", "on", ""),
    ("1cc1493a6781af2c478fa4de971531cf", "SNMP Password (v3)", "snmp_password", "snmp_password", "on", ""),
    ("b5c23f246559df38662c255f4aa21d6b", "SNMP Version (1, 2, or 3)", "snmp_version", "snmp_version", "", ""),
    ("6027a919c7c7731fbe095b6f53ab127b", "Index Type", "index_type", "index_type", "", "on"),
    ("cbbe5c1ddfb264a6e5d509ce1c78c95f", "Index Value", "index_value", "index_value", "", "on"),
    ("e6deda7be0f391399c5130e7c4a48b28", "Output Type ID", "output_type", "output_type", "", "on"),
    ("c1f36ee60c3dc98945556d57f26e475b", "SNMP Port", "snmp_port", "snmp_port", "", ""),
    ("2cf7129ad3ff819a7a7ac189bee48ce8", "SNMP Authentication Protocol (v3)", "snmp_auth_protocol",
     "snmp_auth_protocol", "", ""),
    ("6b13ac0a0194e171d241d4b06f913158", "SNMP Privacy Passphrase (v3)", "snmp_priv_passphrase",
     "snmp_priv_passphrase", "", ""),
    ("3a33d4fc65b8329ab2ac46a36da26b72", "SNMP Privacy Protocol (v3)", "snmp_priv_protocol",
     "snmp_priv_protocol", "", ""),
]
GPRINT = {"normal": ("e9c43831e54eca8069317a2ce8c6f751", "Normal", "%8.2lf %s"),
          "exact": ("19414480d6897c8731c7dc6c5310653e", "Exact Numbers", "%8.0lf")}
PROFILE_5MIN = "d62c52891f4f9688729a5bc9fad91b18"
GAUGE, COUNTER = 1, 2
LINE1, LINE2, AREA, STACK, GPRINT_ITEM = 4, 5, 7, 8, 9
CF_AVERAGE, CF_MAX, CF_LAST = 1, 3, 4


# ---------------------------------------------------------------- what is graphed
def timing(phase):
    """The timing column of PHASE: microseconds where the MIB has them."""
    us = "smtpCheck%sTimeUs" % phase
    return (us, "us_to_s") if us in COLUMNS else ("smtpCheck%sTime" % phase, "ms_to_s")


# Phases in the order a STARTTLS check runs them; their sum is about the total.
PHASES = [("Dns", "DNS", "7EE5FF"), ("Connect", "Connect", "1F78B4"),
          ("Greeting", "Greeting", "B2DF8A"), ("Ehlo", "EHLO", "33A02C"),
          ("Tls", "TLS", "FB9A99"), ("Login", "Login", "E31A1C"),
          ("Transfer", "Transfer", "FDBF6F"), ("Quit", "QUIT", "CAB2D6")]

# CDEFs: key -> (name, RPN after CURRENT_DATA_SOURCE)
CDEFS = {"us_to_s": ("microseconds to seconds", "1000000,/"),
         "ms_to_s": ("milliseconds to seconds", "1000,/"),
         "ok_percent": ("100 when the error code is ok(0), else 0", "0,EQ,100,0,IF"),
         "per_minute": ("per second to per minute", "60,*")}


def phase_graph():
    items, ds = [], []
    for i, (phase, label, color) in enumerate(PHASES):
        col, cdef = timing(phase)
        ds.append((phase.lower(), col, GAUGE, "0"))
        items.append((AREA if i == 0 else STACK, phase.lower(), color, cdef, "%-9s" % label))
    col, cdef = timing("Total")
    ds.append(("total", col, GAUGE, "0"))
    items.append((LINE2, "total", "000000", cdef, "%-9s" % "Total"))
    return {"key": "phases", "name": "phase timings", "label": "seconds",
            "ds": ds, "items": items, "gprints": [], "legend": "normal", "rigid": False}


# key, name, vertical label; data sources (name, column, type, minimum);
# items (type, ds, colour, CDEF key or None, legend), each followed by its
# last/average/maximum; gprints (ds, CF, CDEF key, text) printed alone;
# the GPRINT preset; rigid: a fixed 0..100 scale.
GRAPHS = [
    phase_graph(),
    {"key": "errors", "name": "error code", "label": "code",
     "ds": [("error_code", "smtpCheckErrorCode", GAUGE, "0"),
            ("failed_step", "smtpCheckFailedStep", GAUGE, "0"),
            ("response_code", "smtpCheckResponseCode", GAUGE, "-1")],
     "items": [(LINE2, "error_code", "E31A1C", None, "Error code (SmtpCheckError)"),
               (LINE1, "failed_step", "1F78B4", None, "Failed step (SmtpCheckStep)")],
     "gprints": [("response_code", CF_LAST, None, "Last SMTP reply code:")],
     "legend": "exact", "rigid": False},
    {"key": "availability", "name": "availability", "label": "percent",
     "ds": [("error_code", "smtpCheckErrorCode", GAUGE, "0"),
            ("runs", "smtpCheckRuns", COUNTER, "0"),
            ("failures", "smtpCheckFailures", COUNTER, "0")],
     "items": [(AREA, "error_code", "33A02C", "ok_percent", "Available %")],
     "gprints": [("runs", CF_AVERAGE, "per_minute", "Runs per minute (average):"),
                 ("failures", CF_AVERAGE, "per_minute", "Failures per minute (average):")],
     "legend": "normal", "rigid": True},
    {"key": "delivery", "name": "round-trip delivery time", "label": "seconds",
     "ds": [("delivery", timing("Delivery")[0], GAUGE, "0")],
     "items": [(LINE2, "delivery", "6A3D9A", timing("Delivery")[1],
                "Delivery (0: no round trip, or the mail not found)")],
     "gprints": [], "legend": "normal", "rigid": False},
]

# smtpCheckProtocol shows as its number: 1 SMTP, 2 IMAP, 3 POP3.
INPUTS = ["smtpCheckName", "smtpCheckHost", "smtpCheckPort", "smtpCheckProtocol"]


# ---------------------------------------------------------------- hashes and XML
def digest(*parts):
    return hashlib.md5(":".join(("smtpcheck",) + parts).encode()).hexdigest()


def ref(type_code, h):
    return "hash_%s%s%s" % (type_code, VERSION, h)


def node(tag, body, depth):
    """<tag>body</tag>; BODY is text or a list of (tag, body) children."""
    pad = "\t" * depth
    if isinstance(body, list):
        inner = "".join(node(t, b, depth + 1) for t, b in body)
        return "%s<%s>\n%s%s</%s>\n" % (pad, tag, inner, pad, tag)
    return "%s<%s>%s</%s>\n" % (pad, tag, escape(str(body)), tag)


def oid(column):
    return "%s.%d" % (ENTRY, COLUMNS[column])


# ---------------------------------------------------------------- the data query XML
def query_fields():
    """(field tag, name, source, direction, OID) of the query XML."""
    # source "index" with no OID: Cacti fills it with the index parsed
    # from the walked OIDs (smtpCheckIndex itself is not-accessible).
    out = [("smtpCheckIndex", "Index", "index", "input", None)]
    out += [(c, c[len("smtpCheck"):], "value", "input", oid(c)) for c in INPUTS]
    seen = set()
    for g in GRAPHS:
        for _name, col, _t, _m in g["ds"]:
            if col not in seen:
                seen.add(col)
                out.append((col, col[len("smtpCheck"):], "value", "output", oid(col)))
    return out


def table_xml():
    fields = [(tag, [("name", name), ("method", "walk"), ("source", src),
                     ("direction", direction)] + ([("oid", o)] if o else []))
              for tag, name, src, direction, o in query_fields()]
    body = [("name", "SMTP-CHECK-MIB smtpCheckTable"),
            ("description", "One row per smtpcheck check (generated by "
                            "contrib/cacti/make_package.py from mibs/SMTP-CHECK-MIB.txt)"),
            # smtpCheckIndex is not-accessible: walk the name column and
            # take the index from the OID's last arc.
            ("oid_index", oid("smtpCheckName")),
            ("oid_index_parse", "OID/REGEXP:.*\\.([0-9]+)$"),
            ("index_order", "smtpCheckName:smtpCheckIndex"),
            ("index_order_type", "numeric"),
            ("index_title_format", "|chosen_order_field|"),
            ("fields", fields)]
    return node("interface", body, 0)


# ---------------------------------------------------------------- the template package
def data_input_method():
    fields = [(ref("07", h), [("name", name), ("update_rra", ""), ("regexp_match", ""),
                              ("allow_nulls", nulls), ("type_code", code),
                              ("input_output", "in"), ("data_name", data)])
              for h, name, code, data, nulls, _t in INPUT_FIELDS]
    return (ref("03", INDEXED_INPUT), [("name", "Get SNMP Data (Indexed)"), ("type_id", "3"),
                                       ("input_string", ""), ("fields", fields)])


def gprint_presets():
    return [(ref("06", h), [("name", name), ("gprint_text", text)])
            for h, name, text in GPRINT.values()]


def profile():
    rras = [("Daily (5 Minute Average)", 1, 600, 86400),
            ("Weekly (30 Minute Average)", 6, 700, 604800),
            ("Monthly (2 Hour Average)", 24, 775, 2618784),
            ("Yearly (1 Day Average)", 288, 797, 31536000)]
    items = [("item_%03d" % i, [("name", n), ("steps", s), ("rows", r), ("timespan", t)])
             for i, (n, s, r, t) in enumerate(rras)]
    return (ref("20", PROFILE_5MIN), [("name", "5 Minute Collection"), ("step", "300"),
                                      ("heartbeat", "600"), ("x_files_factor", "0.5"),
                                      ("default", "on"), ("cf_items", "1|2|3|4"),
                                      ("items", items)])


def cdef_hash(key):
    return digest("cdef", key)


def cdefs():
    used = {i[3] for g in GRAPHS for i in g["items"]} | {p[2] for g in GRAPHS for p in g["gprints"]}
    out = []
    for key, (name, rpn) in CDEFS.items():
        if key not in used:
            continue
        values = [(4, "CURRENT_DATA_SOURCE"), (6, rpn)]   # 4 data source, 6 custom string
        items = [(ref("14", digest("cdef", key, str(i))),
                  [("sequence", i + 1), ("type", t), ("value", v)])
                 for i, (t, v) in enumerate(values)]
        out.append((ref("05", cdef_hash(key)), [("name", "%s - %s" % (PREFIX, name)),
                                                ("items", items)]))
    return out


def dt_hash(g):
    return digest("data_template", g["key"])


def rrd_hash(g, ds):
    return digest("data_template_item", g["key"], ds)


def data_template(g):
    items = [(ref("08", rrd_hash(g, name)),
              [("t_data_source_name", ""), ("data_source_name", name),
               ("t_rrd_minimum", ""), ("rrd_minimum", minimum),
               ("t_rrd_maximum", ""), ("rrd_maximum", "U"),
               ("t_data_source_type_id", ""), ("data_source_type_id", dst),
               ("t_rrd_heartbeat", ""), ("rrd_heartbeat", "600"),
               ("t_data_input_field_id", ""), ("data_input_field_id", "0")])
             for name, _col, dst, minimum in g["ds"]]
    data = [("item_%03d" % i, [("data_input_field_id", ref("07", h)), ("t_value", per_ds),
                               ("value", "")])
            for i, (h, _n, _c, _d, _a, per_ds) in enumerate(INPUT_FIELDS)]
    ds = [("t_name", ""), ("name", "|host_description| - %s |query_smtpCheckName| - %s"
                           % (PREFIX, g["name"])),
          ("data_source_path", ""), ("data_input_id", ref("03", INDEXED_INPUT)),
          ("t_data_source_profile_id", ""), ("data_source_profile_id", ref("20", PROFILE_5MIN)),
          ("t_rrd_step", ""), ("rrd_step", "300"), ("t_active", ""), ("active", "on")]
    return (ref("01", dt_hash(g)), [("name", "%s - %s" % (PREFIX, g["name"])), ("ds", ds),
                                    ("items", items), ("data", data)])


GRAPH_OPTIONS = [("image_format_id", "1"), ("height", "200"), ("width", "700"),
                 ("base_value", "1000"), ("slope_mode", "on"), ("auto_scale", "on"),
                 ("auto_scale_opts", "2"), ("auto_scale_log", ""), ("scale_log_units", ""),
                 ("auto_scale_rigid", ""), ("upper_limit", "0"), ("lower_limit", "0"),
                 ("unit_value", ""), ("unit_exponent_value", ""), ("unit_length", ""),
                 ("no_gridfit", ""), ("alt_y_grid", ""), ("right_axis", ""),
                 ("right_axis_label", ""), ("right_axis_format", "0"),
                 ("right_axis_formatter", ""), ("left_axis_formatter", ""),
                 ("auto_padding", "on"), ("dynamic_labels", ""), ("force_rules_legend", ""),
                 ("tab_width", ""), ("legend_position", ""), ("legend_direction", "")]


def gt_hash(g):
    return digest("graph_template", g["key"])


def graph_rows(g):
    """(item key, type, ds, colour, cdef, CF, GPRINT preset, text, hard return)
    of every graph item: each line or area with its last/average/max."""
    rows = []
    for kind, ds, color, cdef, text in g["items"]:
        rows.append((ds, kind, ds, color, cdef, CF_AVERAGE, g["legend"], text, ""))
        for cf, label, ret in ((CF_LAST, "Last:", ""), (CF_AVERAGE, "Average:", ""),
                               (CF_MAX, "Maximum:", "on")):
            rows.append(("%s:%d" % (ds, cf), GPRINT_ITEM, ds, "", cdef, cf, g["legend"],
                         label, ret))
    for ds, cf, cdef, text in g["gprints"]:
        rows.append(("%s:%d" % (ds, cf), GPRINT_ITEM, ds, "", cdef, cf, g["legend"], text, "on"))
    return rows


def graph_template(g):
    rows = graph_rows(g)
    item_hash = {r[0]: digest("graph_template_item", g["key"], r[0]) for r in rows}
    items = [(ref("10", item_hash[key]),
              [("graph_type_id", kind), ("task_item_id", ref("08", rrd_hash(g, ds))),
               ("color_id", color or "0"), ("alpha", "FF"),
               ("consolidation_function_id", cf),
               ("cdef_id", ref("05", cdef_hash(cdef)) if cdef else "0"), ("vdef_id", "0"),
               ("shift", ""), ("value", ""), ("gprint_id", ref("06", GPRINT[preset][0])),
               ("textalign", ""), ("text_format", text), ("hard_return", ret),
               ("line_width", "2.00" if kind == LINE2 else "1.00" if kind == LINE1 else "0.00"),
               ("dashes", ""), ("dash_offset", "0"), ("sequence", seq + 1)])
             for seq, (key, kind, ds, color, cdef, cf, preset, text, ret) in enumerate(rows)]
    inputs = [(ref("09", digest("graph_template_input", g["key"], name)),
               [("name", "Data Source [%s]" % name), ("description", ""),
                ("column_name", "task_item_id"),
                ("items", "|".join(ref("00", item_hash[r[0]]) for r in rows if r[2] == name))])
              for name, _c, _t, _m in g["ds"]]
    options = dict(GRAPH_OPTIONS)
    options["vertical_label"] = g["label"]
    options["title"] = "|host_description| - %s |query_smtpCheckName| - %s" % (PREFIX, g["name"])
    if g["rigid"]:
        options.update(auto_scale="", upper_limit="100", lower_limit="0",
                       auto_scale_rigid="on")
    graph = []
    for name in ["title", "vertical_label"] + [n for n, _v in GRAPH_OPTIONS]:
        graph += [("t_" + name, ""), (name, options[name])]
    return (ref("00", gt_hash(g)), [("name", "%s - %s" % (PREFIX, g["name"])),
                                    ("multiple", ""), ("test_source", ""), ("graph", graph),
                                    ("items", items), ("inputs", inputs)])


def data_query():
    graphs = []
    for g in GRAPHS:
        rrd = [("item_%03d" % i, [("snmp_field_name", col),
                                  ("data_template_id", ref("01", dt_hash(g))),
                                  ("data_template_rrd_id", ref("08", rrd_hash(g, name)))])
               for i, (name, col, _t, _m) in enumerate(g["ds"])]
        title = "|host_description| - %s |query_smtpCheckName| - %s" % (PREFIX, g["name"])
        sv_graph = [(ref("12", digest("sv_graph", g["key"])),
                     [("field_name", "title"), ("sequence", "1"), ("text", title)])]
        sv_ds = [(ref("13", digest("sv_data_source", g["key"])),
                  [("field_name", "name"), ("data_template_id", ref("01", dt_hash(g))),
                   ("sequence", "1"), ("text", title)])]
        graphs.append((ref("11", digest("data_query_graph", g["key"])),
                       [("graph_template_id", ref("00", gt_hash(g))),
                        ("name", "%s - %s" % (PREFIX, g["name"])), ("rrd", rrd),
                        ("sv_graph", sv_graph), ("sv_data_source", sv_ds)]))
    return (ref("04", digest("data_query")),
            [("name", "%s - smtpCheckTable" % PREFIX),
             ("description", "The checks of an smtpcheck agent (SMTP-CHECK-MIB)"),
             ("xml_path", "<path_cacti>/resource/snmp_queries/%s" % RESOURCE_NAME),
             ("data_input_id", ref("03", INDEXED_INPUT)), ("graphs", graphs)])


def package_xml():
    parts = [data_input_method(), profile()] + gprint_presets() + cdefs()
    parts += [data_template(g) for g in GRAPHS] + [graph_template(g) for g in GRAPHS]
    parts.append(data_query())
    return node("cacti", parts, 0)


# ---------------------------------------------------------------- main
def main(argv):
    outputs = {TABLE_XML: table_xml(), PACKAGE_XML: package_xml()}
    if argv[1:] == ["--check"]:
        stale = []
        for path, text in outputs.items():
            old = open(path).read() if os.path.exists(path) else None
            if old != text:
                stale.append(os.path.relpath(path, REPO))
        if stale:
            print("out of date (run contrib/cacti/make_package.py): " + ", ".join(stale))
            return 1
        print("contrib/cacti: %d files up to date" % len(outputs))
        return 0
    if argv[1:]:
        print(__doc__)
        return 2
    for path, text in outputs.items():
        with open(path, "w") as f:
            f.write(text)
        print("wrote " + os.path.relpath(path, REPO))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
