#!/usr/bin/env python3
"""Turns the raw records of bench/two-sidecar.sh into the Markdown summary.

Input: <results dir>/runs.jsonl (one wrk run per line) and <results dir>/memory.jsonl.
Ratios are paired: each round's figure is divided by the direct figure of the same round, then the median and
the range of those per-round ratios are reported. On a shared, noisy machine that cancels the drift between
rounds that a ratio of two medians would keep.
"""
import json
import statistics
import sys
from pathlib import Path

CONFIG_LABELS = {
    "direct": "direct (client → nginx backend)",
    "nginx-pair": "nginx pair (client → nginx → nginx → backend)",
    "meshdev-pair": "MeshDev pair (client → sidecar outbound → sidecar inbound → backend)",
}
ORDER = ["direct", "nginx-pair", "meshdev-pair"]


def load(path):
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def spread(values, fmt):
    if not values:
        return "—"
    med = statistics.median(values)
    return f"{fmt(med)} ({fmt(min(values))}–{fmt(max(values))})"


def ms(us):
    return f"{us / 1000:.3f}"


def ratio(x):
    return f"{x:.2f}×"


def rps(x):
    return f"{x:,.0f}"


def by_round(runs, kind, config):
    return {r["round"]: r for r in runs if r["kind"] == kind and r["config"] == config}


def paired_ratios(runs, kind, config, base, field):
    mine, theirs = by_round(runs, kind, config), by_round(runs, kind, base)
    return [mine[k][field] / theirs[k][field] for k in sorted(mine) if k in theirs and theirs[k][field] > 0]


def with_rps(r):
    r = dict(r)
    r["rps"] = r["requests"] / (r["duration_us"] / 1e6) if r["duration_us"] else 0.0
    r["errors"] = sum(r[k] for k in ("errors_connect", "errors_read", "errors_write", "errors_status", "errors_timeout"))
    return r


def one_line(text):
    r = with_rps(json.loads(text))
    return f"{r['rps']:.0f} req/s, p50 {ms(r['p50_us'])} ms, p99 {ms(r['p99_us'])} ms, errors {r['errors']}"


def main():
    if sys.argv[1] == "--line":
        print(one_line(sys.argv[2]))
        return
    results = Path(sys.argv[1])
    runs = [with_rps(r) for r in load(results / "runs.jsonl")]
    memory = load(results / "memory.jsonl")
    meta = json.loads((results / "meta.json").read_text()) if (results / "meta.json").exists() else {}
    configs = [c for c in ORDER if any(r["config"] == c for r in runs)]
    rounds = sorted({r["round"] for r in runs})
    out = []
    w = out.append

    w(f"### Results {meta.get('started', '')}")
    w("")
    w(f"Rounds: {len(rounds)}, interleaved (order rotates each round). Figures: median (min–max) over rounds; "
      "ratios are per-round, paired with that round's direct run.")
    if meta:
        w(f"Fixed rate: ~{meta.get('rate')} req/s offered over {meta.get('rate_conns')} keep-alive connections for "
          f"{meta.get('duration')}; max throughput: `wrk -t{meta.get('max_threads')} -c{meta.get('max_conns')} "
          f"-d{meta.get('duration')}`. Response body {meta.get('body_bytes')} bytes, HTTP/1.1.")
    w("")

    w("**Latency at a fixed rate** (ms)")
    w("")
    w("| configuration | achieved req/s | p50 | p99 | p50 / direct | p99 / direct | errors |")
    w("| --- | --- | --- | --- | --- | --- | --- |")
    for c in configs:
        rr = list(by_round(runs, "rate", c).values())
        w("| {} | {} | {} | {} | {} | {} | {} |".format(
            CONFIG_LABELS[c],
            spread([r["rps"] for r in rr], rps),
            spread([r["p50_us"] for r in rr], ms),
            spread([r["p99_us"] for r in rr], ms),
            "1" if c == "direct" else spread(paired_ratios(runs, "rate", c, "direct", "p50_us"), ratio),
            "1" if c == "direct" else spread(paired_ratios(runs, "rate", c, "direct", "p99_us"), ratio),
            sum(r["errors"] for r in rr)))
    w("")

    w("**Maximum throughput**")
    w("")
    w("| configuration | req/s | req/s / direct | p50 at saturation (ms) | p99 at saturation (ms) | errors |")
    w("| --- | --- | --- | --- | --- | --- |")
    for c in configs:
        rr = list(by_round(runs, "max", c).values())
        w("| {} | {} | {} | {} | {} | {} |".format(
            CONFIG_LABELS[c],
            spread([r["rps"] for r in rr], rps),
            "1" if c == "direct" else spread(paired_ratios(runs, "max", c, "direct", "rps"), ratio),
            spread([r["p50_us"] for r in rr], ms),
            spread([r["p99_us"] for r in rr], ms),
            sum(r["errors"] for r in rr)))
    w("")

    if "meshdev-pair" in configs and "nginx-pair" in configs:
        w("**MeshDev pair against the nginx pair** (per-round ratios, median (min–max); below 1 is better for "
          "latency, above 1 is better for throughput)")
        w("")
        w("| p50 | p99 | max req/s |")
        w("| --- | --- | --- |")
        w("| {} | {} | {} |".format(
            spread(paired_ratios(runs, "rate", "meshdev-pair", "nginx-pair", "p50_us"), ratio),
            spread(paired_ratios(runs, "rate", "meshdev-pair", "nginx-pair", "p99_us"), ratio),
            spread(paired_ratios(runs, "max", "meshdev-pair", "nginx-pair", "rps"), ratio)))
        w("")

    if memory:
        w("**Resident memory** (MiB, per process tree. RSS = VmRSS from /proc/<pid>/status; peak = VmHWM; "
          "PSS = proportional share from /proc/<pid>/smaps_rollup, which splits pages shared with other processes)")
        w("")
        w("| process | idle RSS | idle PSS | RSS after load | PSS after load | peak RSS (VmHWM) |")
        w("| --- | --- | --- | --- | --- | --- |")
        names = []
        for m in memory:
            if m["process"] not in names:
                names.append(m["process"])
        mib = lambda kb: f"{kb / 1024:.1f}"
        for name in names:
            idle = [m for m in memory if m["process"] == name and m["phase"] == "idle"]
            after = [m for m in memory if m["process"] == name and m["phase"] == "after-load"]
            w("| {} | {} | {} | {} | {} | {} |".format(
                name,
                mib(idle[-1]["rss_kb"]) if idle else "—",
                mib(idle[-1].get("pss_kb", 0)) if idle else "—",
                spread([m["rss_kb"] for m in after], mib) if after else "—",
                spread([m.get("pss_kb", 0) for m in after], mib) if after else "—",
                mib(max(m["hwm_kb"] for m in after + idle))))
        w("")
    for note in meta.get("notes", []):
        w(f"Note: {note}")
    print("\n".join(out).rstrip())


if __name__ == "__main__":
    main()
