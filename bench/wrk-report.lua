-- wrk script for bench/two-sidecar.sh.
--
-- With BENCH_DELAY_MS set, each connection waits a random 0.5x..1.5x of that many milliseconds after every
-- response, so `-c N` connections offer about N * 1000 / BENCH_DELAY_MS requests per second: a fixed rate well
-- below saturation, where latency percentiles mean something. The jitter keeps the connections from firing in
-- lockstep bursts. Without it, wrk runs flat out (maximum throughput).
--
-- done() prints one machine-readable line. wrk's own text output rounds latencies to two digits; the
-- histogram behind it is in microseconds, which loopback hops need.

local delay_ms = tonumber(os.getenv("BENCH_DELAY_MS") or "")

local next_id = 0

function setup(thread)
  next_id = next_id + 1
  thread:set("thread_id", next_id)
end

function init(args)
  -- Each thread has its own Lua state; seed each differently so their jitter differs.
  math.randomseed(os.time() * 1000 + (thread_id or 0) * 7919)
end

if delay_ms then
  function delay()
    return math.floor(delay_ms * (0.5 + math.random()))
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH_JSON {\"requests\":%d,\"duration_us\":%d,\"bytes\":%d," ..
    "\"p50_us\":%d,\"p90_us\":%d,\"p99_us\":%d,\"p999_us\":%d,\"max_us\":%d,\"mean_us\":%.1f," ..
    "\"errors_connect\":%d,\"errors_read\":%d,\"errors_write\":%d,\"errors_status\":%d,\"errors_timeout\":%d}\n",
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
    latency.max, latency.mean,
    e.connect, e.read, e.write, e.status, e.timeout))
end
