#!/usr/bin/env bash
# Routing cost on the hot path: what a realistic route table adds to the two-sidecar hop.
#
# The two-sidecar setup of two-sidecar.sh (client → client sidecar's outbound listener for "backend" → server
# sidecar's inbound listener → nginx serving 1 KiB), with two server sidecars (labels version=v1 and v2) in front
# of the same nginx, measured two ways in interleaved rounds:
#   plain   no VirtualService: the listener's own service, load balanced over both instances
#   routed  a VirtualService whose matching route comes after four header / uri / method / query-parameter
#           routes, splits 90/10 over subsets v1 and v2, with a retry policy, a timeout and a 0% abort fault
# The switch between the two is a real apply (POST) or delete on the control plane, waited for until the client
# sidecar has ACKed it. Each round runs both, in an order that alternates; per run: latency at a fixed offered
# rate and maximum throughput (wrk, as two-sidecar.sh). Ratios are paired per round: routed ÷ plain.
#
# Usage: bench/route-cost.sh
# Settings: ROUNDS=5 DURATION=10s WARMUP=5s RATE=500 RATE_CONNS=10 MAX_THREADS=2 MAX_CONNS=16 NGINX_WORKERS=auto
#   MESHDEV_BUILD=0 (use the existing Release output), PROXY_DIR=… CONTROLPLANE_DIR=…
#   CONFIGS="plain routed"   measure only one of them (e.g. to see how the instances share its traffic)
# Raw results and logs go to bench/results/<UTC timestamp>-route-cost/; the summary is printed and kept there.
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
OUT="$BENCH_DIR/results/$STAMP-route-cost"
LOGS="$OUT/logs"
mkdir -p "$LOGS" "$OUT/raw"
# shellcheck source=SCRIPTDIR/lib.sh
source "$BENCH_DIR/lib.sh"

nginx_conf() { # dir port server_block
  mkdir -p "$1/tmp"
  cat >"$1/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes $NGINX_WORKERS;
pid $1/nginx.pid;
error_log stderr warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $1/tmp/body;
  proxy_temp_path $1/tmp/proxy;
  fastcgi_temp_path $1/tmp/fastcgi;
  uwsgi_temp_path $1/tmp/uwsgi;
  scgi_temp_path $1/tmp/scgi;
  keepalive_requests 1000000;
  keepalive_timeout 75s;
  server {
    listen 127.0.0.1:$2;
$3
  }
}
EOF
}

# Apply (POST the file) or delete the VirtualService, then wait until the client sidecar has ACKed a snapshot
# compiled from the resulting configVersion, and check that its route table is there or gone.
switch_config() { # plain|routed
  local answer
  if [[ "$1" == routed ]]; then
    answer="$(curl -s --max-time 10 -X POST -H 'Content-Type: application/yaml' --data-binary @"$OUT/virtual-service.yaml" "$API/api/v1/config?source=bench")"
  else
    answer="$(curl -s --max-time 10 -X DELETE "$API/api/v1/config/VirtualService/default/backend")"
  fi
  python3 - "$API" "$1" "$answer" "http://127.0.0.1:$P_CLI_ADMIN/config_dump" <<'EOF' || die "switching to $1 failed"
import json, sys, time, urllib.request
api, mode, answer, dump_url = sys.argv[1:]
try:
    version = json.loads(answer)["configVersion"]
except Exception:
    if mode == "plain" and "no virtualservice" in answer.lower():  # already plain
        version = 0
    else:
        sys.exit(f"the control plane answered: {answer}")
deadline = time.time() + 30
while time.time() < deadline:
    p = json.load(urllib.request.urlopen(f"{api}/api/v1/proxies/frontend-1", timeout=5))
    if p.get("inSync") and (p.get("configVersion") or 0) >= version:
        time.sleep(0.5)  # past the instant between recording the compile and the send
        p = json.load(urllib.request.urlopen(f"{api}/api/v1/proxies/frontend-1", timeout=5))
        if p.get("inSync"):
            tables = json.load(urllib.request.urlopen(dump_url, timeout=5))["snapshot"].get("routeTables") or []
            has = any(t.get("name") == "backend" for t in tables)
            if has == (mode == "routed"):
                sys.exit(0)
    time.sleep(0.1)
sys.exit(f"frontend-1 did not ACK the {mode} config (configVersion {version}) within 30 s")
EOF
}

check_path() { # config
  local got
  got="$(curl -s -o "$OUT/check-$1.body" -w '%{http_code} %{size_download}' --max-time 5 "$URL" || true)"
  [[ "$got" == "200 $BODY_BYTES" ]] || die "$1: GET $URL gave '$got' (status bytes), expected '200 $BODY_BYTES'"
  cmp -s "$OUT/check-$1.body" "$WWW/1k" || die "$1: GET $URL returned a body that differs from the backend's file"
}

# wrk sends no User-Agent of its own; the routed table's fourth route matches requests without one, and the
# measured requests must fall through to the fifth, as a browser's or an HttpClient's would.
UA="meshdev-bench"
run_wrk() { # round config kind
  local round="$1" config="$2" kind="$3" raw="$OUT/raw/$2-$3-r$1.txt" json
  if [[ "$kind" == rate ]]; then
    BENCH_DELAY_MS=$((1000 * RATE_CONNS / RATE)) \
      wrk -t2 -c"$RATE_CONNS" -d"$DURATION" -H "User-Agent: $UA" --latency -s "$BENCH_DIR/wrk-report.lua" "$URL" >"$raw" 2>&1
  else
    wrk -t"$MAX_THREADS" -c"$MAX_CONNS" -d"$DURATION" -H "User-Agent: $UA" --latency -s "$BENCH_DIR/wrk-report.lua" "$URL" >"$raw" 2>&1
  fi
  json="$(sed -n 's/^BENCH_JSON {//p' "$raw")"
  [[ -n "$json" ]] || die "wrk printed no result for $config $kind round $round; see $raw"
  ((round > 0)) || return 0
  printf '{"round":%d,"config":"%s","kind":"%s",%s\n' "$round" "$config" "$kind" "$json" >>"$OUT/runs.jsonl"
  log "  round $round $config $kind: $(python3 "$BENCH_DIR/summarize.py" --line "{$json")"
}

# ===============================================================================================================
for tool in curl python3 dotnet nginx wrk; do command -v "$tool" >/dev/null || die "$tool is needed (see bench/README.md)"; done

read -r P_BACKEND P_CP_HTTP P_CP_GRPC P_S1_IN P_S1_ADMIN P_S2_IN P_S2_ADMIN P_CLI_IN P_CLI_OUT P_CLI_ADMIN \
  <<<"$(free_ports 10 | tr '\n' ' ')"
API="http://127.0.0.1:$P_CP_HTTP"
URL="http://127.0.0.1:$P_CLI_OUT/1k"

WWW="$OUT/www"
mkdir -p "$WWW"
head -c "$BODY_BYTES" /dev/zero | tr '\0' 'x' >"$WWW/1k"
nginx_conf "$OUT/nginx-backend" "$P_BACKEND" "    root $WWW;
    location = /health { return 200 \"ok\\n\"; }
    location / { }"
start_bg backend nginx -p "$OUT/nginx-backend" -c "$OUT/nginx-backend/nginx.conf" -e stderr; PID_BACKEND=$LAST_PID
wait_http "http://127.0.0.1:$P_BACKEND/health" 15 "$PID_BACKEND" backend

if [[ -z "${PROXY_DIR:-}" || -z "${CONTROLPLANE_DIR:-}" ]] && [[ "$MESHDEV_BUILD" == 1 ]]; then
  log "building MeshDev.ControlPlane and MeshDev.Proxy (Release)"
  build_project MeshDev.ControlPlane/MeshDev.ControlPlane.csproj
  build_project MeshDev.Proxy/MeshDev.Proxy.csproj
fi
copy_build "${CONTROLPLANE_DIR:-$REPO_DIR/MeshDev.ControlPlane/bin/Release/net10.0}" "$OUT/bin/controlplane" MeshDev.ControlPlane.dll
copy_build "${PROXY_DIR:-$REPO_DIR/MeshDev.Proxy/bin/Release/net10.0}" "$OUT/bin/proxy" MeshDev.Proxy.dll

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 ASPNETCORE_ENVIRONMENT=Production
start_bg controlplane env Mesh__ControlPlane__HttpPort="$P_CP_HTTP" Mesh__ControlPlane__GrpcPort="$P_CP_GRPC" \
  Mesh__ControlPlane__Services__0=backend dotnet "$OUT/bin/controlplane/MeshDev.ControlPlane.dll"
PID_CP=$LAST_PID
wait_http "$API/api/v1/proxies" 60 "$PID_CP" controlplane

start_server() { # id version inbound_port admin_port
  start_bg "$1" env Mesh__Mode=sidecar Mesh__ProxyId="$1" Mesh__Service=backend Mesh__Labels__version="$2" \
    Mesh__ControlPlane__Address="http://127.0.0.1:$P_CP_GRPC" \
    Mesh__Inbound__Port="$3" Mesh__Inbound__ServicePort=9080 Mesh__Inbound__Protocol=http \
    Mesh__App__Address="http://127.0.0.1:$P_BACKEND" Mesh__App__HealthPath=/health Mesh__Admin__Port="$4" \
    dotnet "$OUT/bin/proxy/MeshDev.Proxy.dll"
}
start_server backend-v1 v1 "$P_S1_IN" "$P_S1_ADMIN"; PID_S1=$LAST_PID
start_server backend-v2 v2 "$P_S2_IN" "$P_S2_ADMIN"; PID_S2=$LAST_PID
start_bg sidecar-client env Mesh__Mode=sidecar Mesh__ProxyId=frontend-1 Mesh__Service=frontend \
  Mesh__ControlPlane__Address="http://127.0.0.1:$P_CP_GRPC" \
  Mesh__Inbound__Port="$P_CLI_IN" Mesh__Inbound__ServicePort=9080 Mesh__Inbound__Protocol=http \
  Mesh__App__Address="http://127.0.0.1:$P_BACKEND" Mesh__App__HealthPath=/health \
  Mesh__Outbound__backend__Port="$P_CLI_OUT" Mesh__Outbound__backend__Protocol=http \
  Mesh__Admin__Port="$P_CLI_ADMIN" dotnet "$OUT/bin/proxy/MeshDev.Proxy.dll"
PID_CLI=$LAST_PID
wait_http "http://127.0.0.1:$P_S1_ADMIN/ready" "$READY_TIMEOUT" "$PID_S1" backend-v1
wait_http "http://127.0.0.1:$P_S2_ADMIN/ready" "$READY_TIMEOUT" "$PID_S2" backend-v2
wait_http "http://127.0.0.1:$P_CLI_ADMIN/ready" "$READY_TIMEOUT" "$PID_CLI" sidecar-client
wait_in_sync "$API/api/v1/proxies" frontend-1 backend-v1 backend-v2
log "three sidecars ready and in sync"

cat >"$OUT/destination-rule.yaml" <<'EOF'
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: backend}
spec:
  host: backend
  subsets:
  - name: v1
    labels: {version: v1}
  - name: v2
    labels: {version: v2}
EOF
# The matching route is the fifth: the four before it are tried and miss on every request.
cat >"$OUT/virtual-service.yaml" <<'EOF'
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: backend}
spec:
  hosts: [backend]
  http:
  - match:
    - headers: {end-user: {exact: jason}}
    route:
    - destination: {host: backend, subset: v2}
  - match:
    - uri: {prefix: /api/v2/}
    - headers: {x-canary: {exact: "true"}}
    route:
    - destination: {host: backend, subset: v2}
  - match:
    - uri: {regex: "/admin/.*"}
      method: {exact: POST}
    route:
    - destination: {host: backend, subset: v1}
  - match:
    - queryParams: {debug: {exact: "1"}}
    - withoutHeaders: {user-agent: {}}
    route:
    - destination: {host: backend, subset: v2}
  - match:
    - uri: {prefix: /}
    route:
    - destination: {host: backend, subset: v1}
      weight: 90
    - destination: {host: backend, subset: v2}
      weight: 10
    timeout: 10s
    retries: {attempts: 3, perTryTimeout: 2s, retryOn: "5xx,connect-failure"}
    fault:
      abort: {httpStatus: 503, percentage: {value: 0}}
EOF
curl -s --max-time 10 -X POST -H 'Content-Type: application/yaml' --data-binary @"$OUT/destination-rule.yaml" \
  "$API/api/v1/config?source=bench" >"$OUT/destination-rule-applied.json"
grep -q configVersion "$OUT/destination-rule-applied.json" || die "applying the DestinationRule failed: $(cat "$OUT/destination-rule-applied.json")"
curl -s --max-time 10 -X POST -H 'Content-Type: application/yaml' --data-binary @"$OUT/virtual-service.yaml" \
  "$API/api/v1/analyze" >"$OUT/virtual-service-analyze.json"
grep -q '"valid":true' "$OUT/virtual-service-analyze.json" || die "the VirtualService is refused: $(cat "$OUT/virtual-service-analyze.json")"

python3 - "$OUT/meta.json" <<EOF
import json, subprocess, sys
def sh(c):
    try: return subprocess.run(c, shell=True, capture_output=True, text=True, timeout=20).stdout.strip()
    except Exception as e: return f"unavailable: {e}"
json.dump({
  "started": "$STAMP", "rounds": $ROUNDS, "duration": "$DURATION", "warmup": "$WARMUP", "rate": $RATE,
  "rate_conns": $RATE_CONNS, "max_threads": $MAX_THREADS, "max_conns": $MAX_CONNS, "body_bytes": $BODY_BYTES,
  "nproc": sh("nproc"), "uname": sh("uname -srm"), "loadavg_start": sh("cat /proc/loadavg"),
  "nginx": sh("nginx -v 2>&1"), "wrk": sh("wrk -v 2>&1 | head -1"), "dotnet": sh("dotnet --version"),
  "commit": sh("git -C '$REPO_DIR' rev-parse --short HEAD"), "dirty": bool(sh("git -C '$REPO_DIR' status --porcelain")),
}, open(sys.argv[1], "w"), indent=2)
EOF

read -r -a CONFIGS <<<"${CONFIGS:-plain routed}"
log "warm-up: $WARMUP at full load per configuration"
for config in "${CONFIGS[@]}"; do
  switch_config "$config"; check_path "$config"
  DURATION="$WARMUP" run_wrk 0 "$config" max
done
for round in $(seq 1 "$ROUNDS"); do
  log "round $round of $ROUNDS"
  for ((k = 0; k < ${#CONFIGS[@]}; k++)); do
    config="${CONFIGS[$(((k + round - 1) % ${#CONFIGS[@]}))]}"
    switch_config "$config"; check_path "$config"
    run_wrk "$round" "$config" rate
    sleep 1
    run_wrk "$round" "$config" max
    alive_or_die "$PID_CLI" sidecar-client; alive_or_die "$PID_S1" backend-v1; alive_or_die "$PID_S2" backend-v2
    sleep 1
  done
done
for id in sidecar-client:$P_CLI_ADMIN backend-v1:$P_S1_ADMIN backend-v2:$P_S2_ADMIN; do
  curl -s --max-time 5 "http://127.0.0.1:${id#*:}/stats?format=json" >"$OUT/raw/${id%%:*}-stats-end.json" || true
done

python3 - "$OUT/meta.json" <<'EOF'
import json, sys
meta = json.load(open(sys.argv[1])); meta["loadavg_end"] = open("/proc/loadavg").read().strip()
json.dump(meta, open(sys.argv[1], "w"), indent=2)
EOF
python3 "$BENCH_DIR/route_cost_summary.py" "$OUT" | tee "$OUT/summary.md"
log "raw results: $OUT"
