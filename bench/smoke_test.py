#!/usr/bin/python3
"""CTest bench.smoke: bench/run --smoke gives well-formed figures.

Runs one pass of P1 (plain checks, small N) into a temporary file and
fails unless every line is a JSON object with the keys the report reads,
and the smtpcheck CLI and rawsmtp figures are positive numbers with every
check ok. Exit 77 (skipped) when not root: bench/run starts daemons as
root.
"""

import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
KEYS = {"run", "part", "figure", "value", "unit"}
WANT = ("plain.smtp-sink.smtpcheck-cli.checks_per_cpu_s",
        "plain.smtp-sink.rawsmtp.checks_per_cpu_s")


def main():
    if os.geteuid() != 0:
        print("bench.smoke: skipped, needs root")
        return 77
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "results.jsonl")
        r = subprocess.run([os.path.join(HERE, "run"), "--smoke", "--out", out],
                           stdin=subprocess.DEVNULL, timeout=50)
        if r.returncode != 0:
            print("bench.smoke: bench/run --smoke exited %d" % r.returncode)
            return 1
        with open(out) as f:
            rows = [json.loads(line) for line in f]
    errors = []
    for row in rows:
        if not isinstance(row, dict) or not KEYS <= set(row):
            errors.append("malformed figure: %r" % (row,))
    by_name = {r["figure"]: r for r in rows if isinstance(r, dict) and "figure" in r}
    for name in WANT:
        row = by_name.get(name)
        if row is None:
            errors.append("missing figure %s" % name)
        elif not (isinstance(row["value"], (int, float)) and row["value"] > 0):
            errors.append("%s: not a positive number: %r" % (name, row["value"]))
        elif row.get("ok") != row.get("n"):
            errors.append("%s: only %s of %s checks ok" % (name, row.get("ok"), row.get("n")))
    for e in errors:
        print("bench.smoke: " + e)
    print("bench.smoke: %d figures, %s" % (len(rows), "FAIL" if errors else "ok"))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
