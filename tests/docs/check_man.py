#!/usr/bin/env python3
"""Keeps the hand-written man pages (man/) in step with the program.

- smtpcheck.conf(5) has an `.It Ic KEY` entry for every key of the check
  schema (`smtpcheck --list-fields`, core/check/schema.c), nested keys
  written dotted (`tls.verify`), and no entry for a key the schema lacks;
- smtpcheck(1) has an `.It` entry naming `Fl \\-OPTION` for every option
  (schema options and run options), with its short form when it has one,
  and none the program lacks;
- `man --warnings -l` renders each page without a warning.

Usage: check_man.py SMTPCHECK_BIN SOURCE_DIR
"""
import os
import re
import subprocess
import sys

PAGES = ("smtpcheck.1", "smtpcheck.conf.5", "smtpcheck-snmp.7", "smtpcheck-agentx.8")


def schema(binary):
    out = subprocess.run([binary, "--list-fields"], check=True, capture_output=True,
                         text=True, timeout=30).stdout
    keys, options = [], {}
    for line in out.splitlines()[1:]:
        cols = line.split("\t")
        if cols[0] == "field":
            keys.append(cols[1])
            if cols[2]:
                options[cols[2]] = cols[3]
        elif cols[0] == "option":
            options[cols[1]] = cols[2]
    return keys, options


def items(text):
    return [line for line in text.splitlines() if line.startswith(".It ")]


def check_conf(text, keys):
    section = text.split("\n.Sh KEYS\n", 1)[-1].split("\n.Sh ", 1)[0]
    named = [m.group(1) for m in (re.match(r"\.It Ic ([a-z_.]+)", i) for i in items(section)) if m]
    problems = ["smtpcheck.conf.5: no .It Ic %s" % k for k in keys if k not in named]
    problems += ["smtpcheck.conf.5: .It Ic %s is not a schema key" % k for k in named
                 if k not in keys]
    return problems


def check_cli(text, options):
    named = {}
    for item in items(text):
        for m in re.finditer(r"Fl \\-([a-z-]+(?:\\-[a-z]+)*)", item):
            long_name = m.group(1).replace("\\-", "-")
            short = re.match(r"\.It Fl ([A-Za-z]) ,", item)
            named[long_name] = short.group(1) if short else "-"
    problems = []
    for name, short in options.items():
        if name not in named:
            problems.append("smtpcheck.1: no .It Fl \\-%s" % name.replace("-", "\\-"))
        elif named[name] != short:
            problems.append("smtpcheck.1: --%s: short option %s, the program's is %s"
                            % (name, named[name], short))
    problems += ["smtpcheck.1: --%s is not an option" % n for n in named if n not in options]
    return problems


def groff_warnings(path):
    env = dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8")
    r = subprocess.run(["man", "--warnings", "-l", path], capture_output=True, text=True,
                       env=env, timeout=60)
    out = r.stderr.strip()
    if r.returncode != 0 or out:
        return ["%s: man --warnings: %s" % (os.path.basename(path), out or r.returncode)]
    return []


def main(argv):
    binary, top = argv[1], argv[2]
    keys, options = schema(binary)
    man = os.path.join(top, "man")
    problems = check_conf(open(os.path.join(man, "smtpcheck.conf.5")).read(), keys)
    problems += check_cli(open(os.path.join(man, "smtpcheck.1")).read(), options)
    for page in PAGES:
        problems += groff_warnings(os.path.join(man, page))
    for p in problems:
        print(p)
    print("man: %d keys, %d options, %d pages, %d problems"
          % (len(keys), len(options), len(PAGES), len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
