#!/usr/bin/env python3
"""Markdown summary of bench/telemetry.sh: each telemetry setting against telemetry off, paired per round."""
import json
import sys
from pathlib import Path

from summarize import by_round, load, ms, paired_ratios, ratio, rps, spread, with_rps

LABELS = {
    "off": "off (Mesh:Telemetry:Enabled=false)",
    "on": "on, no access log (metrics, spans, peer metadata)",
    "on+log": "on + text access log (the default)",
}


def main():
    results = Path(sys.argv[1])
    runs = [with_rps(r) for r in load(results / "runs.jsonl")]
    meta = json.loads((results / "meta.json").read_text())
    rounds = sorted({r["round"] for r in runs})
    configs = [c for c in ("off", "on", "on+log") if by_round(runs, "max", c)]
    w = print
    w(f"### Results {meta['started']}")
    w("")
    w(f"Rounds: {len(rounds)}, interleaved (order rotates). Figures: median (min–max) over rounds; ratios are "
      "per-round, each configuration ÷ off in the same round. Fixed rate: "
      f"~{meta['rate']} req/s over {meta['rate_conns']} keep-alive connections for {meta['duration']}; max "
      f"throughput: `wrk -t{meta['max_threads']} -c{meta['max_conns']} -d{meta['duration']}`. Commit "
      f"{meta['commit']}{' (dirty tree)' if meta['dirty'] else ''}; load average "
      f"{meta['loadavg_start'].split()[0]} at start, {meta.get('loadavg_end', '?').split()[0]} at end "
      f"({meta['nproc']} cores).")
    w("")
    w("| telemetry | rate: p50 (ms) | rate: p99 (ms) | max req/s | p50 at saturation (ms) | errors |")
    w("| --- | --- | --- | --- | --- | --- |")
    for c in configs:
        rate = list(by_round(runs, "rate", c).values())
        mx = list(by_round(runs, "max", c).values())
        w("| {} | {} | {} | {} | {} | {} |".format(
            LABELS[c], spread([r["p50_us"] for r in rate], ms), spread([r["p99_us"] for r in rate], ms),
            spread([r["rps"] for r in mx], rps), spread([r["p50_us"] for r in mx], ms),
            sum(r["errors"] for r in rate + mx)))
    w("")
    w("| ÷ off | p50 | p99 | max req/s |")
    w("| --- | --- | --- | --- |")
    for c in [c for c in configs if c != "off"]:
        w("| {} | {} | {} | {} |".format(
            c,
            spread(paired_ratios(runs, "rate", c, "off", "p50_us"), ratio),
            spread(paired_ratios(runs, "rate", c, "off", "p99_us"), ratio),
            spread(paired_ratios(runs, "max", c, "off", "rps"), ratio)))


if __name__ == "__main__":
    main()
