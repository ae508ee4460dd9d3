#!/usr/bin/env python3
"""Turns the raw records of bench/mtls.sh into the Markdown summary.

Ratios are paired per round: each round's mTLS figure is divided by the plaintext figure of the same round, then
the median and the range (min–max) of those ratios are reported, so the drift of a shared machine between rounds
cancels out.
"""
import json
import statistics
import sys
from pathlib import Path

LABELS = {
    "direct": "direct (client → nginx backend)",
    "meshdev-plain": "MeshDev pair, plaintext hop",
    "meshdev-mtls": "MeshDev pair, mTLS hop",
}


def spread(values, fmt):
    if not values:
        return "—"
    return f"{fmt(statistics.median(values))} ({fmt(min(values))}–{fmt(max(values))})"


def ms(us):
    return f"{us / 1000:.3f}"


def ratio(x):
    return f"{x:.2f}×"


def main(out):
    runs = [json.loads(line) for line in (out / "runs.jsonl").read_text().splitlines() if line.strip()]
    for r in runs:
        r["rps"] = r["requests"] / (r["duration_us"] / 1e6) if r["duration_us"] else 0.0
        r["errors"] = sum(r[k] for k in ("errors_connect", "errors_read", "errors_write", "errors_status", "errors_timeout"))
        r["cpu_us_per_rq"] = r["cpu_ms"] * 1000 / r["requests"] if r["requests"] else 0.0
    meta = json.loads((out / "meta.json").read_text())

    def pick(config, kind):
        return {r["round"]: r for r in runs if r["config"] == config and r["kind"] == kind}

    def paired(kind, field):
        mtls, plain = pick("meshdev-mtls", kind), pick("meshdev-plain", kind)
        return [mtls[k][field] / plain[k][field] for k in sorted(mtls) if k in plain and plain[k][field] > 0]

    print(f"Rounds: {meta['rounds']}, interleaved; figures: median (min–max) over rounds; {meta['nproc']} cores, "
          f"load average {meta['loadavg_start']} at the start; commit {meta['commit']}{' (dirty)' if meta['dirty'] else ''}.\n")
    print(f"**Latency at a fixed rate** (~{meta['rate']} req/s over {meta['rate_conns']} connections, {meta['duration']}) and "
          "**CPU of the sidecar pair** (utime + stime of both sidecars during the run, per request)\n")
    print("| path | p50 (ms) | p99 (ms) | sidecar CPU per request (µs) | errors |")
    print("| --- | --- | --- | --- | --- |")
    for config, label in LABELS.items():
        rate = list(pick(config, "rate").values())
        cpu = "—" if config == "direct" else spread([r["cpu_us_per_rq"] for r in rate], lambda x: f"{x:.0f}")
        print(f"| {label} | {spread([r['p50_us'] for r in rate], ms)} | {spread([r['p99_us'] for r in rate], ms)} | {cpu} | {sum(r['errors'] for r in rate)} |")

    print(f"\n**Maximum throughput** (`wrk -t{meta['max_threads']} -c{meta['max_conns']} -d{meta['duration']}`)\n")
    print("| path | req/s | p50 at saturation (ms) | p99 at saturation (ms) | sidecar CPU per request (µs) | errors |")
    print("| --- | --- | --- | --- | --- | --- |")
    for config, label in LABELS.items():
        top = list(pick(config, "max").values())
        cpu = "—" if config == "direct" else spread([r["cpu_us_per_rq"] for r in top], lambda x: f"{x:.0f}")
        print(f"| {label} | {spread([r['rps'] for r in top], lambda x: f'{x:,.0f}')} | {spread([r['p50_us'] for r in top], ms)} | "
              f"{spread([r['p99_us'] for r in top], ms)} | {cpu} | {sum(r['errors'] for r in top)} |")

    print("\n**mTLS hop against the plaintext hop** (per-round ratios mTLS ÷ plaintext, median (min–max); "
          "above 1× costs more, except throughput where below 1× is the loss)\n")
    print("| p50 | p99 | max req/s | CPU per request at the fixed rate | CPU per request at saturation |")
    print("| --- | --- | --- | --- | --- |")
    print(f"| {spread(paired('rate', 'p50_us'), ratio)} | {spread(paired('rate', 'p99_us'), ratio)} | "
          f"{spread(paired('max', 'rps'), ratio)} | {spread(paired('rate', 'cpu_us_per_rq'), ratio)} | "
          f"{spread(paired('max', 'cpu_us_per_rq'), ratio)} |")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
