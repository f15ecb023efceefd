#!/usr/bin/env python3
"""Keeps docs/config.md and docs/cli.md in step with the check schema.

The tables of check-file keys and command-line options in the docs are
generated from `smtpcheck --list-fields` (core/check/schema.c and the
CLI's run options) between markers:

    <!-- schema:config GROUP -->  ...  <!-- /schema -->
    <!-- schema:cli GROUP -->     ...  <!-- /schema -->

GROUP is a key group ("check" for the top-level keys, "tls", "auth",
"mail", "alarms"), "rules" (config: the rules between two keys) or, for
cli, "run" (options that are not check fields).
The test fails when a block differs from what the schema gives, or when
a group with keys or options has no block.

Usage: check_docs.py SMTPCHECK_BIN SOURCE_DIR [--write]
"""
import re
import subprocess
import sys

BLOCK = re.compile(r"(<!-- schema:(config|cli) ([a-z]+) -->\n)(.*?)(<!-- /schema -->)", re.S)


def list_fields(binary):
    out = subprocess.run([binary, "--list-fields"], check=True, capture_output=True,
                         text=True, timeout=30).stdout
    header = out.splitlines()[0].lstrip("#").split("\t")
    fields, options, rules = [], [], []
    for line in out.splitlines()[1:]:
        cols = line.split("\t")
        if cols[0] == "field":
            fields.append(dict(zip(header, cols)))
        elif cols[0] == "option":
            options.append(dict(zip(("kind", "option", "short", "arg", "doc"), cols)))
        elif cols[0] == "rule":
            rules.append(dict(zip(("kind", "rule", "first", "second", "summary"), cols)))
    return fields, options, rules


def group_of(field):
    key = field["key"]
    return key.rsplit(".", 1)[0] if "." in key else "check"


def leaf(field):
    return field["key"].rsplit(".", 1)[-1]


def cell(text):
    return text.replace("|", "\\|")


def code(text):
    return "`%s`" % text if text else ""


def notes(field):
    words = {"required": "required", "file-required": "required", "unique": "unique",
             "group-required": "required in its group"}
    flags = [words[f] for f in field["flags"].split(",") if f in words]
    if field.get("protocols", "all") != "all":
        flags.append("%s only" % field["protocols"].upper().replace(",", ", "))
    return ", ".join(dict.fromkeys(flags))


def config_table(fields, group):
    rows = ["| key | in | type | default | range / values | meaning |",
            "|---|---|---|---|---|---|"]
    for f in fields:
        if group_of(f) != group:
            continue
        meaning = f["doc"] + ("; **%s**" % notes(f) if notes(f) else "")
        rows.append("| %s | %s | %s | %s | %s | %s |" % (
            code(leaf(f)), f["scope"].replace(",", ", "), f["type"],
            cell(f["default_doc"]), cell(f["range"]), cell(meaning)))
    return "\n".join(rows) + "\n"


RULE_WORDS = {"not-above": "`%s` must not exceed `%s`",
              "requires": "`%s` needs `%s`",
              "exclusive": "`%s` and `%s` exclude each other"}


def rules_list(rules):
    return "".join("- " + RULE_WORDS[r["rule"]] % (r["first"], r["second"]) + "\n"
                   for r in rules)


def option_name(short, option, arg):
    name = ("`-%s`, " % short if short != "-" else "") + "`--%s%s`" % (
        option, " " + arg if arg else "")
    return name


def cli_table(fields, options, group):
    rows = ["| option | meaning | default |", "|---|---|---|"]
    if group == "run":
        for o in options:
            rows.append("| %s | %s | |" % (option_name(o["short"], o["option"], o["arg"]),
                                          cell(o["doc"])))
        return "\n".join(rows) + "\n"
    for f in fields:
        if group_of(f) != group or not f["option"]:
            continue
        meaning = f["doc"] + (" (%s)" % f["range"] if f["range"] else "")
        if f.get("protocols", "all") != "all":
            meaning += "; **%s only**" % f["protocols"].upper().replace(",", ", ")
        default = "" if "flag" in f["flags"].split(",") else f["default_doc"]
        rows.append("| %s | %s | %s |" % (option_name(f["short"], f["option"], f["arg"]),
                                          cell(meaning), cell(default)))
    return "\n".join(rows) + "\n"


def expected_groups(fields, kind):
    groups = []
    for f in fields:
        if kind == "cli" and not f["option"]:
            continue
        if group_of(f) not in groups:
            groups.append(group_of(f))
    return groups + (["run"] if kind == "cli" else ["rules"])


def check_file(path, kind, schema, write):
    fields, options, rules = schema
    text = open(path).read()
    problems, seen = [], []

    def render(m):
        doc_kind, group = m.group(2), m.group(3)
        seen.append(group)
        if doc_kind == "config" and group == "rules":
            want = rules_list(rules)
        elif doc_kind == "config":
            want = config_table(fields, group)
        else:
            want = cli_table(fields, options, group)
        if m.group(4) != want:
            problems.append("%s: the %s %s table differs from the schema" % (path, doc_kind, group))
        return m.group(1) + want + m.group(5)

    new = BLOCK.sub(render, text)
    for group in expected_groups(fields, kind):
        if group not in seen:
            problems.append("%s: no <!-- schema:%s %s --> table" % (path, kind, group))
    if write and new != text:
        open(path, "w").write(new)
    return problems


def main(argv):
    binary, top = argv[1], argv[2]
    write = "--write" in argv[3:]
    schema = list_fields(binary)
    problems = check_file(top + "/docs/config.md", "config", schema, write)
    problems += check_file(top + "/docs/cli.md", "cli", schema, write)
    for p in problems:
        print(p)
    if problems and not write:
        print("regenerate: tests/docs/check_docs.py %s %s --write" % (binary, top))
    print("docs: %d problems" % len(problems))
    return 1 if problems and not write else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
