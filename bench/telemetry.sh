#!/usr/bin/env bash
# Telemetry cost on the hot path: the two-sidecar hop with the proxy's telemetry on and off, side by side.
#
# Three pairs of real MeshDev sidecars (client sidecar's outbound listener → server sidecar's inbound listener) in
# front of one nginx serving 1 KiB, all fed by one real control plane, all on 127.0.0.1, HTTP/1.1 keep-alive:
#   off      Mesh__Telemetry__Enabled=false on both sidecars: no istio_* metrics, no spans, no access log
#   on       telemetry on without access logs: Istio's metrics (kept for /stats/prometheus), a span per hop and
#            try with W3C propagation, peer metadata; Mesh__AccessLog__Format=off
#   on+log   telemetry as it ships (the default): the above and one Envoy-format access log line per request per
#            sidecar on stdout
# No OTLP endpoint is set, so spans are made and propagated but not exported (the exporter's batching runs off the
# request path). Each round runs every pair once, in an order that rotates; per run: latency at a fixed offered rate,
# then maximum throughput (wrk, as two-sidecar.sh). Ratios are paired per round: each pair ÷ off.
#
# Usage: bench/telemetry.sh
# Settings: ROUNDS=5 DURATION=10s WARMUP=5s RATE=500 RATE_CONNS=10 MAX_THREADS=2 MAX_CONNS=16 NGINX_WORKERS=auto
#   MESHDEV_BUILD=0 (use the existing Release output), PROXY_DIR=… CONTROLPLANE_DIR=…
#   CONFIGS="off on"   measure only some of the pairs
# Raw results and logs go to bench/results/<UTC timestamp>-telemetry/; the summary is printed and kept there.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(dirname "$BENCH_DIR")"

ROUNDS="${ROUNDS:-5}"
DURATION="${DURATION:-10s}"
WARMUP="${WARMUP:-5s}"
RATE="${RATE:-500}"
RATE_CONNS="${RATE_CONNS:-10}"
MAX_THREADS="${MAX_THREADS:-2}"
MAX_CONNS="${MAX_CONNS:-16}"
NGINX_WORKERS="${NGINX_WORKERS:-auto}"
MESHDEV_BUILD="${MESHDEV_BUILD:-1}"
BODY_BYTES=1024
READY_TIMEOUT=120

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
  exit 0
fi

STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
OUT="$BENCH_DIR/results/$STAMP-telemetry"
LOGS="$OUT/logs"
mkdir -p "$LOGS" "$OUT/raw"

# shellcheck source=SCRIPTDIR/lib.sh
source "$BENCH_DIR/lib.sh"

read -r -a CONFIGS <<<"${CONFIGS:-off on on+log}"
declare -A ENABLED=([off]=false [on]=true [on+log]=true)
declare -A ACCESS_LOG=([off]=off [on]=off [on+log]=text)
declare -A NAME=([off]=off [on]=on [on+log]=log)
for config in "${CONFIGS[@]}"; do [[ -n "${ENABLED[$config]:-}" ]] || die "unknown configuration '$config'; expected off, on or on+log"; done

check_path() { # config url
  local got
  got="$(curl -s -o "$OUT/check-$1.body" -w '%{http_code} %{size_download}' --max-time 5 "$2" || true)"
  [[ "$got" == "200 $BODY_BYTES" ]] || die "$1: GET $2 gave '$got' (status bytes), expected '200 $BODY_BYTES'"
  cmp -s "$OUT/check-$1.body" "$WWW/1k" || die "$1: GET $2 returned a body that differs from the backend's file"
}

run_wrk() { # round config kind url
  local round="$1" config="$2" kind="$3" url="$4" raw="$OUT/raw/${NAME[$2]}-$3-r$1.txt" json
  if [[ "$kind" == rate ]]; then
    BENCH_DELAY_MS=$((1000 * RATE_CONNS / RATE)) \
      wrk -t2 -c"$RATE_CONNS" -d"$DURATION" --latency -s "$BENCH_DIR/wrk-report.lua" "$url" >"$raw" 2>&1
  else
    wrk -t"$MAX_THREADS" -c"$MAX_CONNS" -d"$DURATION" --latency -s "$BENCH_DIR/wrk-report.lua" "$url" >"$raw" 2>&1
  fi
  json="$(sed -n 's/^BENCH_JSON {//p' "$raw")"
  [[ -n "$json" ]] || die "wrk printed no result for $config $kind round $round; see $raw"
  ((round > 0)) || return 0
  printf '{"round":%d,"config":"%s","kind":"%s",%s\n' "$round" "$config" "$kind" "$json" >>"$OUT/runs.jsonl"
  log "  round $round $config $kind: $(python3 "$BENCH_DIR/summarize.py" --line "{$json")"
}

# ===============================================================================================================
for tool in curl python3 dotnet nginx wrk; do command -v "$tool" >/dev/null || die "$tool is needed (see bench/README.md)"; done

read -r P_BACKEND P_CP_HTTP P_CP_GRPC <<<"$(free_ports 3 | tr '\n' ' ')"

# Backend: nginx serving a 1 KiB static file and a health path.
WWW="$OUT/www"
mkdir -p "$WWW" "$OUT/nginx-backend/tmp"
head -c "$BODY_BYTES" /dev/zero | tr '\0' 'x' >"$WWW/1k"
cat >"$OUT/nginx-backend/nginx.conf" <<NGINX
daemon off;
master_process on;
worker_processes $NGINX_WORKERS;
pid $OUT/nginx-backend/nginx.pid;
error_log stderr warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $OUT/nginx-backend/tmp/body;
  proxy_temp_path $OUT/nginx-backend/tmp/proxy;
  fastcgi_temp_path $OUT/nginx-backend/tmp/fastcgi;
  uwsgi_temp_path $OUT/nginx-backend/tmp/uwsgi;
  scgi_temp_path $OUT/nginx-backend/tmp/scgi;
  keepalive_requests 1000000;
  keepalive_timeout 75s;
  server {
    listen 127.0.0.1:$P_BACKEND;
    root $WWW;
    location = /health { return 200 "ok\n"; }
    location / { }
  }
}
NGINX
start_bg backend nginx -p "$OUT/nginx-backend" -c "$OUT/nginx-backend/nginx.conf" -e stderr; PID_BACKEND=$LAST_PID
wait_http "http://127.0.0.1:$P_BACKEND/health" 15 "$PID_BACKEND" backend

if [[ -z "${PROXY_DIR:-}" || -z "${CONTROLPLANE_DIR:-}" ]] && [[ "$MESHDEV_BUILD" == 1 ]]; then
  log "building MeshDev.ControlPlane and MeshDev.Proxy (Release)"
  build_project MeshDev.ControlPlane/MeshDev.ControlPlane.csproj
  build_project MeshDev.Proxy/MeshDev.Proxy.csproj
fi
copy_build "${CONTROLPLANE_DIR:-$REPO_DIR/MeshDev.ControlPlane/bin/Release/net10.0}" "$OUT/bin/controlplane" MeshDev.ControlPlane.dll
copy_build "${PROXY_DIR:-$REPO_DIR/MeshDev.Proxy/bin/Release/net10.0}" "$OUT/bin/proxy" MeshDev.Proxy.dll

# Nothing in the environment may point the sidecars at an OTLP endpoint: every pair measures the same export (none).
unset OTEL_EXPORTER_OTLP_ENDPOINT OTEL_EXPORTER_OTLP_TRACES_ENDPOINT OTEL_EXPORTER_OTLP_METRICS_ENDPOINT
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 ASPNETCORE_ENVIRONMENT=Production
start_bg controlplane env Mesh__ControlPlane__HttpPort="$P_CP_HTTP" Mesh__ControlPlane__GrpcPort="$P_CP_GRPC" \
  dotnet "$OUT/bin/controlplane/MeshDev.ControlPlane.dll"
PID_CP=$LAST_PID
wait_http "http://127.0.0.1:$P_CP_HTTP/api/v1/proxies" 60 "$PID_CP" controlplane

# One pair per configuration: server sidecar of service backend-<name>, client sidecar with an outbound listener
# for it. The client sidecar's own app is the same nginx (it needs one to be ready); wrk plays the calling app.
declare -A URL PID_SERVER PID_CLIENT ADMIN_SERVER ADMIN_CLIENT
PROXY_IDS=()
for config in "${CONFIGS[@]}"; do
  name="${NAME[$config]}"
  read -r p_srv_in p_srv_admin p_cli_in p_cli_out p_cli_admin <<<"$(free_ports 5 | tr '\n' ' ')"
  common=(Mesh__Mode=sidecar Mesh__ControlPlane__Address="http://127.0.0.1:$P_CP_GRPC"
    Mesh__Inbound__ServicePort=9080 Mesh__Inbound__Protocol=http
    Mesh__App__Address="http://127.0.0.1:$P_BACKEND" Mesh__App__HealthPath=/health
    Mesh__Telemetry__Enabled="${ENABLED[$config]}" Mesh__AccessLog__Format="${ACCESS_LOG[$config]}")
  start_bg "server-$name" env "${common[@]}" \
    Mesh__ProxyId="backend-$name-sidecar" Mesh__Service="backend-$name" Mesh__Labels__version=v1 \
    Mesh__Inbound__Port="$p_srv_in" Mesh__Admin__Port="$p_srv_admin" \
    dotnet "$OUT/bin/proxy/MeshDev.Proxy.dll"
  PID_SERVER[$config]=$LAST_PID
  start_bg "client-$name" env "${common[@]}" \
    Mesh__ProxyId="frontend-$name-sidecar" Mesh__Service="frontend-$name" Mesh__Labels__version=v1 \
    Mesh__Inbound__Port="$p_cli_in" Mesh__Admin__Port="$p_cli_admin" \
    Mesh__Outbound__backend-"$name"__Port="$p_cli_out" Mesh__Outbound__backend-"$name"__Protocol=http \
    dotnet "$OUT/bin/proxy/MeshDev.Proxy.dll"
  PID_CLIENT[$config]=$LAST_PID
  ADMIN_SERVER[$config]=$p_srv_admin
  ADMIN_CLIENT[$config]=$p_cli_admin
  URL[$config]="http://127.0.0.1:$p_cli_out/1k"
  PROXY_IDS+=("backend-$name-sidecar" "frontend-$name-sidecar")
done
for config in "${CONFIGS[@]}"; do
  wait_http "http://127.0.0.1:${ADMIN_SERVER[$config]}/ready" "$READY_TIMEOUT" "${PID_SERVER[$config]}" "server-${NAME[$config]}"
  wait_http "http://127.0.0.1:${ADMIN_CLIENT[$config]}/ready" "$READY_TIMEOUT" "${PID_CLIENT[$config]}" "client-${NAME[$config]}"
done
wait_in_sync "http://127.0.0.1:$P_CP_HTTP/api/v1/proxies" "${PROXY_IDS[@]}"
log "all sidecars ready and in sync: ${PROXY_IDS[*]}"

for config in "${CONFIGS[@]}"; do check_path "$config" "${URL[$config]}"; done
# The pairs do what their names say: istio_* series only where telemetry is on, access log lines only with the log.
for config in "${CONFIGS[@]}"; do
  name="${NAME[$config]}"
  series="$(curl -s --max-time 5 "http://127.0.0.1:${ADMIN_CLIENT[$config]}/stats/prometheus" | grep -c '^istio_requests_total{' || true)"
  lines="$(grep -c '"GET /1k HTTP/1.1"' "$LOGS/client-$name.log" || true)"
  log "$config: $series istio_requests_total series, $lines access log lines after one request"
  if [[ "${ENABLED[$config]}" == true ]]; then ((series > 0)) || die "$config: telemetry is on but /stats/prometheus has no istio_requests_total"
  else ((series == 0)) || die "$config: telemetry is off but /stats/prometheus has istio_requests_total"; fi
done

python3 - "$OUT/meta.json" <<EOF
import json, subprocess
def sh(c):
    try: return subprocess.run(c, shell=True, capture_output=True, text=True, timeout=20).stdout.strip()
    except Exception as e: return f"unavailable: {e}"
json.dump({
  "started": "$STAMP", "rounds": $ROUNDS, "duration": "$DURATION", "warmup": "$WARMUP", "rate": $RATE,
  "rate_conns": $RATE_CONNS, "max_threads": $MAX_THREADS, "max_conns": $MAX_CONNS, "body_bytes": $BODY_BYTES,
  "configs": "${CONFIGS[*]}".split(), "nproc": sh("nproc"), "uname": sh("uname -srm"),
  "loadavg_start": sh("cat /proc/loadavg"), "wrk": sh("wrk -v 2>&1 | head -1"), "dotnet": sh("dotnet --version"),
  "commit": sh("git -C '$REPO_DIR' rev-parse --short HEAD"), "dirty": bool(sh("git -C '$REPO_DIR' status --porcelain")),
}, open("$OUT/meta.json", "w"), indent=2)
EOF

log "warm-up: $WARMUP at full load per pair"
for config in "${CONFIGS[@]}"; do
  DURATION="$WARMUP" run_wrk 0 "$config" max "${URL[$config]}"
done

n=${#CONFIGS[@]}
for round in $(seq 1 "$ROUNDS"); do
  log "round $round of $ROUNDS"
  for ((k = 0; k < n; k++)); do
    config="${CONFIGS[$(((k + round - 1) % n))]}"
    run_wrk "$round" "$config" rate "${URL[$config]}"
    sleep 1
    run_wrk "$round" "$config" max "${URL[$config]}"
    alive_or_die "${PID_CLIENT[$config]}" "client-${NAME[$config]}"
    alive_or_die "${PID_SERVER[$config]}" "server-${NAME[$config]}"
    sleep 1
  done
done

for config in "${CONFIGS[@]}"; do
  curl -s --max-time 5 "http://127.0.0.1:${ADMIN_CLIENT[$config]}/stats/prometheus" >"$OUT/raw/client-${NAME[$config]}-prometheus-end.txt" || true
done
python3 - "$OUT/meta.json" <<'EOF'
import json, sys
meta = json.load(open(sys.argv[1])); meta["loadavg_end"] = open("/proc/loadavg").read().strip()
json.dump(meta, open(sys.argv[1], "w"), indent=2)
EOF
python3 "$BENCH_DIR/telemetry_summary.py" "$OUT" | tee "$OUT/summary.md"
log "raw results: $OUT"
