"""docs/performance.md, regenerated from one run's figures."""

from .p1 import CONC
from .p2 import BLOCKS, GETS
from .p3 import EXPECTED, LOAD_CHECKS

PEERS = ("smtpcheck-cli", "smtpcheck-module", "check_smtp", "blackbox_exporter", "rawsmtp",
         "openssl-s_time")
RSS_FLAT_PCT = 5
# (kind, server, goal text, peer, the peer's kind if another, at least)
P1_GOALS = (
    ("plain", "smtp-sink", "plain (smtp-sink), %s ≥ 50× check_smtp per CPU-s", "check_smtp",
     None, 50),
    ("plain", "smtp-sink", "plain (smtp-sink), %s ≥ 5× blackbox_exporter", "blackbox_exporter",
     None, 5),
    ("starttls", "postfix", "STARTTLS, default trust store, %s ≥ 3× blackbox_exporter",
     "blackbox_exporter", None, 3),
    ("starttls", "postfix", "STARTTLS, default trust store, %s ≥ 0.8× s_time handshakes",
     "openssl-s_time", "tls", 0.8),
)
# A check does connect, greeting, EHLO, QUIT like rawsmtp, plus parsing,
# timing and a result: within 2x of that floor is the restated plain goal.
RAW_FLOOR = 0.5


class Figures:
    def __init__(self, rows):
        self.rows = {(r["part"], r["figure"]): r for r in rows}

    def v(self, part, name):
        r = self.rows.get((part, name))
        return None if r is None else r.get("value")

    def row(self, part, name):
        return self.rows.get((part, name), {})


def fmt(x, digits=2):
    if x is None:
        return "–"
    if abs(x) >= 100:
        return "%.0f" % x
    return "%.*f" % (digits, x)


def ratio(a, b):
    return None if a is None or b in (None, 0) else a / b


def goals(f):
    """[(part, goal, measured text, PASS/MISS/not measured)]."""
    out = []

    def add(part, text, value, ok, shown=None):
        verdict = "not measured" if value is None else ("PASS" if ok(value) else "MISS")
        out.append((part, text, shown or fmt(value), verdict))

    rate = lambda kind, server, peer: f.v("P1", "%s.%s.%s.checks_per_cpu_s" % (kind, server, peer))
    for form in ("smtpcheck-cli", "smtpcheck-module"):
        for (kind, server, text, peer, kind2, least) in P1_GOALS:
            add("P1", text % form,
                ratio(rate(kind, server, form), rate(kind2 or kind, server, peer)),
                lambda x, least=least: x >= least)
        add("P1", "plain (smtp-sink), %s ≥ %s× rawsmtp, the raw client's floor "
            "(the 50× check_smtp goal restated: see below)" % (form, RAW_FLOOR),
            ratio(rate("plain", "smtp-sink", form), rate("plain", "smtp-sink", "rawsmtp")),
            lambda x: x >= RAW_FLOOR)
    base = f.v("P2", "no-module.p99_ms")
    add("P2", "1000 in flight: p99 ≤ 1.5× snmpd without the module",
        ratio(f.v("P2", "module-1000.p99_ms"), base), lambda x: x <= 1.5)
    add("P2", "1000 in flight: max ≤ 50 ms", f.v("P2", "module-1000.max_ms"), lambda x: x <= 50)
    add("P2", "10,000 configured (P4): p99 ≤ 1.5× snmpd without the module (interleaved)",
        ratio(f.v("P4", "10000.get_p99_ms"), f.v("P4", "10000.reference_get_p99_ms")),
        lambda x: x <= 1.5)
    add("P2", "10,000 configured (P4): max ≤ 50 ms", f.v("P4", "10000.get_max_ms"),
        lambda x: x <= 50)
    idle = [f.v("P3", "idle.%s.connect_abs_err_ms" % k) for k in EXPECTED]
    idle = [x for x in idle if x is not None]
    add("P3", "idle: \\|connect − RTT\\| ≤ 1 ms (worst kind's median)", max(idle) if idle else None,
        lambda x: x <= 1)
    add("P3", "%d concurrent: \\|connect − RTT\\| ≤ 5 ms (median)" % LOAD_CHECKS,
        f.v("P3", "load%d.plain.connect_abs_err_ms" % LOAD_CHECKS), lambda x: x <= 5)
    for mode, kinds in (("idle", EXPECTED), ("load%d" % LOAD_CHECKS, {"plain": 0})):
        worst, where = None, ""
        for kind in kinds:
            for phase in EXPECTED[kind]:
                x = f.v("P3", "%s.%s.%s_excess_ms" % (mode, kind, phase))
                if x is not None and (worst is None or x > worst):
                    worst, where = x, "%s %s" % (kind, phase)
        add("P3", "%s: no phase > 2 ms above its RTT multiple" % mode, worst, lambda x: x <= 2,
            None if worst is None else "%s (%s)" % (fmt(worst), where))
    add("P4", "10,000 checks: snmpd < 10% of one core", f.v("P4", "10000.snmpd_cpu_pct_of_core"),
        lambda x: x < 10, None)
    rss = f.row("P4", "10000.rss_mib_last").get("rss_mib")
    growth = None if not rss else 100 * (rss[-1] - rss[0]) / rss[0]
    add("P4", "10,000 checks: RSS flat (≤ %d%% growth) over the cycles" % RSS_FLAT_PCT, growth,
        lambda x: x <= RSS_FLAT_PCT, None if not rss else "%s MiB" % " → ".join(map(str, rss)))
    add("P4", "10,000 checks: RSS < 64 MiB", f.v("P4", "10000.rss_mib_last"), lambda x: x < 64)
    add("P4", "10,000 checks: bulk walk ≤ 1.3× the tdata baseline",
        ratio(f.v("P4", "10000.bulkwalk_smtpCheckTable_s"),
              f.v("P4", "10000.bulkwalk_tdata_baseline_s")), lambda x: x <= 1.3)
    return out


def p1_table(f):
    lines = ["| check | server | " + " | ".join(PEERS) + " |",
             "|---|---|" + "---:|" * len(PEERS)]
    for kind, server in (("plain", "smtp-sink"), ("plain", "postfix"), ("starttls", "postfix"),
                         ("tls", "postfix"), ("auth", "postfix")):
        cells = []
        for peer in PEERS:
            r = f.row("P1", "%s.%s.%s.checks_per_cpu_s" % (kind, server, peer))
            if not r or r.get("value") is None:
                cells.append("–")
                continue
            okn = "%d/%d" % (sum(r["ok"]), sum(r["n"])) if r.get("ok") else ""
            cs = "; %s cs" % fmt(r["ctxt_per_check"]) if r.get("ctxt_per_check") else ""
            cells.append("%s (%s ms; %s ok%s)" % (fmt(r["value"], 0),
                                                   fmt(r["ms_cpu_per_check"], 3), okn, cs))
        lines.append("| %s | %s | %s |" % (kind, server, " | ".join(cells)))
    return lines


def latency_row(f, label, part, prefix):
    """One P2 table row: p50, p99 and max of the figures PREFIX{p50,p99,max}_ms."""
    return "| %s | %s | %s | %s |" % (label, fmt(f.v(part, prefix + "p50_ms"), 3),
                                      fmt(f.v(part, prefix + "p99_ms"), 3),
                                      fmt(f.v(part, prefix + "max_ms"), 1))


def p2_table(f):
    lines = ["| snmpd | p50 ms | p99 ms | max ms |", "|---|---:|---:|---:|"]
    for name in ("no-module", "module-1000", "extend-check_smtp"):
        lines.append(latency_row(f, name, "P2", name + "."))
    for n in ("1000", "10000"):
        for label, key in (("module, %s checks configured (P4)", "get"),
                           ("no module, beside it (P4, interleaved)", "reference_get")):
            lines.append(latency_row(f, label.replace("%s", n), "P4", "%s.%s_" % (n, key)))
    return lines


def p3_table(f):
    phases = ("connect", "tls", "greeting", "ehlo", "login", "quit")
    lines = ["| run | check | " + " | ".join(phases) + " |", "|---|---|" + "---:|" * len(phases)]
    for mode, kinds in (("idle", EXPECTED), ("load%d" % LOAD_CHECKS, ("plain",))):
        for kind in kinds:
            cells = []
            for ph in phases:
                r = f.row("P3", "%s.%s.%s_excess_ms" % (mode, kind, ph))
                if not r or r.get("value") is None:
                    cells.append("–")
                    continue
                mech = " %s" % r["auth_mech"][0] if r.get("auth_mech") else ""
                cells.append("%s (%d RTT %+.2f%s)" % (fmt(r["median_ms"], 1), r["rtt_multiple"],
                                                    r["value"], mech))
            lines.append("| %s | %s | %s |" % (mode, kind, " | ".join(cells)))
    return lines


def p4_table(f):
    lines = ["| checks | snmpd CPU % of a core | RSS per cycle MiB | walk smtpCheckTable s | "
             "walk tdata baseline s | ratio | runs / failures |", "|---|---:|---|---:|---:|---:|---|"]
    for n in ("1000", "10000"):
        cpu = f.row("P4", n + ".snmpd_cpu_pct_of_core")
        rss = f.row("P4", n + ".rss_mib_last").get("rss_mib")
        ours, base = f.v("P4", n + ".bulkwalk_smtpCheckTable_s"), f.v(
            "P4", n + ".bulkwalk_tdata_baseline_s")
        lines.append("| %s | %s (over %s s) | %s | %s | %s | %s | %s / %s |" % (
            n, fmt(cpu.get("value")), cpu.get("window_s", "–"),
            " → ".join(map(str, rss)) if rss else "–", fmt(ours, 3), fmt(base, 3),
            fmt(ratio(ours, base)), cpu.get("runs", "–"), cpu.get("failures", "–")))
    return lines


def write(path, rows, info, mode):
    f = Figures(rows)
    run = rows[0]["run"] if rows else ""
    dur = f.v("run", "duration")
    cmd = f.row("run", "machine").get("command", "bench/run")
    ver = info["versions"]
    text = ["# Performance",
            "",
            "<!-- Generated by bench/run; do not edit by hand: run it again. -->",
            "",
            "Measured by `bench/run` (issue 13), side by side in one run, on one machine. "
            "Every figure is the median of the interleaved passes; every per-check cost is "
            "CPU time (wait4 of the client process tree, or /proc/PID/stat of a daemon over "
            "the measured window), not wall time. The ratios matter more than the absolute "
            "numbers: other jobs shared the machine.",
            "",
            "- Run: %s (mode **%s**), started %s, took %s s." % (
                " then ".join("`flock /tmp/heavy.lock %s`" % c for c in cmd.split("; ")), mode,
                run, fmt(dur, 0)),
            "- Full mode (`bench/run`, 5 passes of P1, 3 of P2 and P3, P4 over 5 cycles of "
            "60 s at each size) takes about 25 minutes; `--quick` about 8; `--smoke` (CTest "
            "`bench.smoke`) a second. The peers are installed by `scripts/setup` "
            "(`BENCH_PACKAGES`); `../shared/tools/nfqdelay` is built at run time.",
            "- Raw figures: `bench/results.jsonl`, one JSON object per figure.",
            "",
            "## The machine",
            "",
            "| | |", "|---|---|",
            "| CPU | %s, %d cores |" % (info["cpu"], info["cores"]),
            "| kernel | %s |" % info["kernel"],
            "| memory | %s GiB |" % info["memory_gib"],
            "| load average at start | %s |" % " ".join(map(str, info["load_at_start"])),
            "| smtpcheck | %s (commit %s) |" % (ver.get("smtpcheck"), info.get("commit")),
           ] + ["| %s | %s |" % (k, v or "not installed") for k, v in ver.items()
                if k != "smtpcheck"] + [
            "",
            "## Goals",
            "",
            "| part | goal | measured | verdict |", "|---|---|---|---|",
           ] + ["| %s | %s | %s | **%s** |" % g for g in goals(f)] + [
            "",
            "## P1: checks per CPU-second",
            "",
            "Checks per CPU-second of the client (ms of CPU per check; checks ok/total over "
            "every pass). "
            "Every peer runs %d checks at a time: `smtpcheck --config` with "
            "`max_in_flight = %d`, check_smtp through `xargs -P%d`, blackbox_exporter "
            "through %d concurrent HTTP keep-alive clients of `/probe`, rawsmtp "
            "(bench/rawsmtp.c: connect, greeting, EHLO, QUIT, nothing else) with %d "
            "sessions; the module is snmpd's own CPU with checks every second. TLS "
            "clients verify with their *default* trust store: `SSL_CERT_FILE` names the "
            "system bundle plus the test CA. openssl `s_time -new` gives full TLS "
            "handshakes per CPU-second against Postfix's implicit-TLS port (its row is "
            "\"tls\"). check_smtp 2.3 has no implicit TLS; AUTH is LOGIN for check_smtp, "
            "PLAIN for blackbox_exporter." % (CONC, CONC, CONC, CONC, CONC),
            "",
           ] + p1_table(f) + [
            "",
            "## P2: agent responsiveness",
            "",
            "GETs of sysUpTime.0 from one process over one UDP socket per snmpd, one after "
            "another; the three snmpd run at once and get their GETs in alternating blocks "
            "of %d. "
            "module-1000: 1000 checks held in flight by a listener that never speaks. "
            "extend-check_smtp: `extend` running check_smtp (-t 2) against the same "
            "listener, asked for every 0.5 s from another socket." % (GETS // BLOCKS),
            "",
           ] + p2_table(f) + [
            "",
            "## P3: timing truth (50 ms RTT)",
            "",
            "Server and checker in two network namespaces of bench/run's own, over a veth "
            "pair, with `../shared/tools/nfqdelay` holding server→client packets 50 ms. "
            "Measured RTT (median TCP connect): %s ms. Cells: median phase time ms "
            "(expected round trips, excess over them in ms). After TLS 1.3, Postfix's session "
            "tickets cost every client one more round trip on the next exchange "
            "(bench/benchlib/p3.py); a delayed-ACK artifact would show as about +40. The "
            "TLS phase also holds the handshake's CPU on both ends of this one machine "
            "(s_time above: about 1 ms per handshake per side)." % fmt(
                f.v("P3", "rtt_measured_ms"), 3),
            "",
           ] + p3_table(f) + [
            "",
            "## P4: scale",
            "",
            "Plain checks against smtp-sink every 60 s, inside snmpd. The baseline is "
            "bench/tdata_baseline.c, a plain netsnmp_tdata table of the same columns and "
            "types (read from the MIB) filled with constants, in the same snmpd; walks are "
            "`snmpbulkwalk -Cr50`, interleaved.",
            "",
           ] + p4_table(f) + [""]
    with open(path, "w") as out:
        out.write("\n".join(text))
