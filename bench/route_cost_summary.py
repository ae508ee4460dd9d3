#!/usr/bin/env python3
"""Markdown summary of bench/route-cost.sh: plain (no VirtualService) against routed, paired per round."""
import json
import statistics
import sys
from pathlib import Path

from summarize import by_round, load, ms, paired_ratios, ratio, rps, spread, with_rps

LABELS = {
    "plain": "plain (no VirtualService)",
    "routed": "routed (5-route table, match on the 5th, 90/10 split, retries, timeout, 0% fault)",
}


def main():
    results = Path(sys.argv[1])
    runs = [with_rps(r) for r in load(results / "runs.jsonl")]
    meta = json.loads((results / "meta.json").read_text())
    rounds = sorted({r["round"] for r in runs})
    w = print
    w(f"### Results {meta['started']}")
    w("")
    w(f"Rounds: {len(rounds)}, interleaved (order alternates). Figures: median (min–max) over rounds; ratios are "
      "per-round, routed ÷ plain of the same round. Fixed rate: "
      f"~{meta['rate']} req/s over {meta['rate_conns']} keep-alive connections for {meta['duration']}; max "
      f"throughput: `wrk -t{meta['max_threads']} -c{meta['max_conns']} -d{meta['duration']}`. Commit "
      f"{meta['commit']}{' (dirty tree)' if meta['dirty'] else ''}; load average "
      f"{meta['loadavg_start'].split()[0]} at start, {meta.get('loadavg_end', '?').split()[0]} at end "
      f"({meta['nproc']} cores).")
    w("")
    w("| configuration | rate: p50 (ms) | rate: p99 (ms) | max req/s | p50 at saturation (ms) | errors |")
    w("| --- | --- | --- | --- | --- | --- |")
    for c in [c for c in ("plain", "routed") if by_round(runs, "max", c)]:
        rate = list(by_round(runs, "rate", c).values())
        mx = list(by_round(runs, "max", c).values())
        w("| {} | {} | {} | {} | {} | {} |".format(
            LABELS[c], spread([r["p50_us"] for r in rate], ms), spread([r["p99_us"] for r in rate], ms),
            spread([r["rps"] for r in mx], rps), spread([r["p50_us"] for r in mx], ms),
            sum(r["errors"] for r in rate + mx)))
    w("")
    w("| routed ÷ plain | p50 | p99 | max req/s |")
    w("| --- | --- | --- | --- |")
    w("| per-round ratio | {} | {} | {} |".format(
        spread(paired_ratios(runs, "rate", "routed", "plain", "p50_us"), ratio),
        spread(paired_ratios(runs, "rate", "routed", "plain", "p99_us"), ratio),
        spread(paired_ratios(runs, "max", "routed", "plain", "rps"), ratio)))
    counts = {}
    for name in ("backend-v1", "backend-v2"):
        stats = results / "raw" / f"{name}-stats-end.json"
        if stats.exists():
            counts[name] = json.loads(stats.read_text()).get("counters", {}).get("inbound.backend.rq_total", 0)
    if counts:
        w("")
        w("Requests each instance received over the whole run (plain and routed together, warm-up included): "
          + ", ".join(f"{k} {v:,}" for k, v in counts.items()) + ".")


if __name__ == "__main__":
    main()
