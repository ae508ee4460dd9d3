#!/usr/bin/env python3
"""Apply-to-ACK driver for bench/apply-to-ack.sh.

Sends APPLIES applies of two alternating VirtualServices to the control plane and, for each, measures the time from
sending the POST to every affected proxy (the callers of the service) having ACKed a snapshot compiled from the
configVersion the POST returned, by polling GET /api/v1/proxies on one keep-alive connection.

A caller counts as done when its status shows configVersion >= the applied version, inSync, and an ackedVersion
different from the one it had before the apply. The last condition matters: the control plane records the compiled
config version just before it records the send, so for an instant a proxy may show the new configVersion next to
the previous (in-sync) send. The two VirtualServices give every caller a different snapshot, so a new ackedVersion
is always due.

Two figures per apply:
  polled   the receive time of the first poll that saw every caller done (an upper bound; its resolution is the
           poll period, reported alongside)
  ackedAt  the latest ackedAt the control plane stamped on those callers, minus the wall-clock send time (same
           machine, same clock; no polling error, but the control plane's own clock reading)

Usage: apply_to_ack.py <api base url> <out dir> <caller ids comma-separated> <all ids comma-separated>
Environment: APPLIES (100), POLL_MS (2), PAUSE_MS (200), TIMEOUT_S (10), SERVICE (reviews), SUBSETS (v1,v2)
"""
import http.client
import json
import os
import statistics
import sys
import time
import urllib.parse
from datetime import datetime


def vs_yaml(service, subset):
    return f"""apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: {service}}}
spec:
  hosts: [{service}]
  http:
  - route:
    - destination: {{host: {service}, subset: {subset}}}
"""


def parse_time(text):
    if not text:
        return None
    # .NET writes up to 7 fractional digits; Python takes 6.
    text = text.replace("Z", "+00:00")
    if "." in text:
        head, rest = text.split(".", 1)
        frac = "".join(ch for ch in rest if ch.isdigit())
        tz = rest[len(frac):]
        text = f"{head}.{frac[:6].ljust(6, '0')}{tz}"
    return datetime.fromisoformat(text).timestamp()


class Api:
    def __init__(self, base):
        url = urllib.parse.urlsplit(base)
        self.conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)

    def request(self, method, path, body=None, headers=None):
        headers = dict(headers or {})
        # The control plane's API token (writes need it), as meshctl takes it from the environment.
        if os.environ.get("MESHDEV_API_TOKEN"):
            headers["Authorization"] = "Bearer " + os.environ["MESHDEV_API_TOKEN"]
        self.conn.request(method, path, body=body, headers=headers)
        resp = self.conn.getresponse()
        data = resp.read()
        return resp.status, data

    def proxies(self):
        status, data = self.request("GET", "/api/v1/proxies")
        if status != 200:
            raise RuntimeError(f"GET /api/v1/proxies answered {status}: {data[:200]!r}")
        return {p["id"]: p for p in json.loads(data)}


def done(p, version, acked_before):
    return (p is not None and p.get("connected") and p.get("inSync")
            and (p.get("configVersion") or 0) >= version
            and p.get("ackedVersion") != acked_before)


def done_any(p, version):
    return p is not None and p.get("connected") and p.get("inSync") and (p.get("configVersion") or 0) >= version


def pct(values, q):
    """Nearest-rank percentile: with 100 values, p99 is the second largest."""
    ordered = sorted(values)
    return ordered[max(0, -(-len(ordered) * q // 100) - 1)]


def summarize(out_dir):
    recs = [json.loads(line) for line in open(os.path.join(out_dir, "applies.jsonl")) if line.strip()]
    meta = json.load(open(os.path.join(out_dir, "meta.json")))
    rows = [
        ("POST /api/v1/config answered", "post_ms"),
        ("every caller ACKed (polled, upper bound)", "callers_polled_ms"),
        ("every caller ACKed (control plane's ackedAt)", "callers_ackedat_ms"),
        ("all proxies in sync at that configVersion (polled)", "all_polled_ms"),
        ("poll period (median per apply)", "poll_period_ms"),
    ]
    w = print
    w(f"### Results {meta.get('started', '')}")
    w("")
    w(f"{len(recs)} applies, {meta.get('callers')} callers + {meta.get('instances')} instances of reviews, "
      f"PushDebounce {meta.get('push_debounce') or 'default (100 ms)'}, polling every {meta.get('poll_ms')} ms; "
      f"commit {meta.get('commit')}{' (dirty tree)' if meta.get('dirty') else ''}, load average "
      f"{meta.get('loadavg_start', '?').split()[0]} at start, {meta.get('loadavg_end', '?').split()[0]} at end.")
    w("")
    w("| ms from sending the POST | p50 | p99 | min | max |")
    w("| --- | --- | --- | --- | --- |")
    for label, key in rows:
        vals = [r[key] for r in recs if r.get(key) is not None]
        if vals:
            w(f"| {label} | {pct(vals, 50):.1f} | {pct(vals, 99):.1f} | {min(vals):.1f} | {max(vals):.1f} |")


def main():
    if sys.argv[1] == "--summarize":
        summarize(sys.argv[2])
        return
    base, out_dir = sys.argv[1], sys.argv[2]
    callers = sys.argv[3].split(",")
    everyone = sys.argv[4].split(",")
    applies = int(os.environ.get("APPLIES", "100"))
    poll_s = float(os.environ.get("POLL_MS", "2")) / 1000
    pause_s = float(os.environ.get("PAUSE_MS", "200")) / 1000
    timeout_s = float(os.environ.get("TIMEOUT_S", "10"))
    service = os.environ.get("SERVICE", "reviews")
    subsets = os.environ.get("SUBSETS", "v1,v2").split(",")

    poller = Api(base)   # polls on its own connection, so the POST's connection never waits behind a poll
    applier = Api(base)
    records = []
    with open(os.path.join(out_dir, "applies.jsonl"), "w") as raw:
        for i in range(applies):
            before = poller.proxies()
            acked_before = {c: before.get(c, {}).get("ackedVersion") for c in callers}
            body = vs_yaml(service, subsets[i % len(subsets)]).encode()
            wall0 = time.time()
            t0 = time.perf_counter()
            status, data = applier.request("POST", "/api/v1/config?source=bench", body,
                                           {"Content-Type": "application/yaml"})
            t_post = time.perf_counter()
            if status != 200:
                sys.exit(f"apply {i + 1}: POST /api/v1/config answered {status}: {data.decode(errors='replace')}")
            version = json.loads(data)["configVersion"]
            polls, callers_done_at, all_done_at, last = 0, None, None, None
            poll_sent = []
            while True:
                now = time.perf_counter()
                if now - t0 > timeout_s:
                    sys.exit(f"apply {i + 1} (configVersion {version}): not every proxy ACKed within {timeout_s}s; "
                             f"last status: {json.dumps(last)[:2000]}")
                poll_sent.append(now)
                last = poller.proxies()
                t_recv = time.perf_counter()
                polls += 1
                if callers_done_at is None and all(done(last.get(c), version, acked_before[c]) for c in callers):
                    callers_done_at = t_recv
                    acked_at = max(parse_time(last[c].get("ackedAt")) for c in callers)
                if all_done_at is None and all(done_any(last.get(p), version) for p in everyone):
                    all_done_at = t_recv
                if callers_done_at is not None and all_done_at is not None:
                    break
                # Fixed-period polling: the next poll starts poll_s after this one started.
                delay = poll_s - (time.perf_counter() - now)
                if delay > 0:
                    time.sleep(delay)
            periods = [b - a for a, b in zip(poll_sent, poll_sent[1:])]
            rec = {
                "apply": i + 1, "subset": subsets[i % len(subsets)], "configVersion": version,
                "post_ms": (t_post - t0) * 1000,
                "callers_polled_ms": (callers_done_at - t0) * 1000,
                "callers_ackedat_ms": (acked_at - wall0) * 1000,
                "all_polled_ms": (all_done_at - t0) * 1000,
                "polls": polls,
                "poll_period_ms": statistics.median(periods) * 1000 if periods else None,
            }
            records.append(rec)
            raw.write(json.dumps(rec) + "\n")
            raw.flush()
            print(f"apply {i + 1:3d} -> {rec['subset']} v{version}: post {rec['post_ms']:.1f} ms, callers ACKed "
                  f"{rec['callers_polled_ms']:.1f} ms (ackedAt {rec['callers_ackedat_ms']:.1f} ms), all in sync "
                  f"{rec['all_polled_ms']:.1f} ms, {polls} polls", file=sys.stderr)
            time.sleep(pause_s)


if __name__ == "__main__":
    main()
