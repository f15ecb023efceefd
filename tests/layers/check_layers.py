#!/usr/bin/env python3
"""Fails when the tree stops showing the architecture (docs/design.md).

- core/<layer>/ includes only its own headers, those of lower layers, and
  public headers (core/include/) whose layer is not above its own;
- proto and net are siblings: neither includes the other;
- cli/ and module/ include no core-internal header;
- nothing in core/ includes Net-SNMP headers.
Usage: check_layers.py SOURCE_DIR
"""
import pathlib
import re
import sys

RANK = {"base": 0, "proto": 1, "net": 1, "engine": 2, "check": 3}
# The layer each public header belongs to.
PUBLIC = {"smtpchk.h": "base", "engine.h": "engine", "alarm.h": "check",
          "config.h": "check", "schema.h": "check", "fields.h": "check",
          "diag.h": "check", "record.h": "check",
          "history.h": "check", "window.h": "check"}
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)


def includes(path):
    return [(m.group(1), m.group(2)) for m in INCLUDE.finditer(path.read_text())]


def main(top):
    core = top / "core"
    errors = []
    internal = {}
    for layer in RANK:
        for h in (core / layer).glob("*.h"):
            internal[h.name] = layer
    for h in (core / "include").glob("*.h"):
        if h.name not in PUBLIC:
            errors.append(f"core/include/{h.name}: public header with no layer in {__file__}")
    for name in set(internal) & set(PUBLIC):
        errors.append(f"{name}: both a public and an internal header")

    def allowed(layer, header):
        if header in PUBLIC:
            return RANK[PUBLIC[header]] <= RANK[layer]
        owner = internal.get(header)
        if owner is None:
            return None  # not ours (a system header in quotes would be odd)
        return owner == layer or RANK[owner] < RANK[layer]

    for layer in RANK:
        for f in sorted((core / layer).glob("*.[ch]")):
            for kind, name in includes(f):
                rel = f.relative_to(top)
                if name.startswith("net-snmp/"):
                    errors.append(f"{rel}: includes Net-SNMP header {name}")
                if kind != '"':
                    continue
                ok = allowed(layer, pathlib.PurePath(name).name)
                if ok is None:
                    errors.append(f"{rel}: includes unknown header \"{name}\"")
                elif not ok:
                    owner = PUBLIC.get(name) or internal.get(name)
                    errors.append(f"{rel}: layer {layer} includes \"{name}\" of layer {owner}")
    for f in sorted((core / "include").glob("*.h")):
        for kind, name in includes(f):
            if kind == '"' and name not in PUBLIC:
                errors.append(f"{f.relative_to(top)}: public header includes internal \"{name}\"")
            elif kind == '"' and RANK[PUBLIC[name]] > RANK[PUBLIC[f.name]]:
                errors.append(f"{f.relative_to(top)}: includes \"{name}\" of a higher layer")
    for front in ("cli", "module"):
        for f in sorted((top / front).glob("*.[ch]")):
            for kind, name in includes(f):
                if kind == '"' and name in internal:
                    errors.append(f"{f.relative_to(top)}: includes core-internal \"{name}\""
                                  f" (core/{internal[name]}/)")
    for e in errors:
        print(e)
    print(f"layers: {len(errors)} violations")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()))
