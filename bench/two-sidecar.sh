#!/usr/bin/env bash
# Two-sidecar hop benchmark: what a request pays for going through the mesh.
#
# Three paths to one nginx backend serving a 1 KiB static body, all on 127.0.0.1, HTTP/1.1 keep-alive:
#   direct        client → backend
#   nginx-pair    client → nginx proxy → nginx proxy → backend      (the baseline: two proxies doing the same job)
#   meshdev-pair  client → MeshDev sidecar outbound listener → MeshDev sidecar inbound listener → backend
# The two sidecars are real MeshDev.Proxy processes that take their endpoints from a real MeshDev.ControlPlane.
#
# Each round runs every path once, in an order that rotates from round to round, so that the drift of a shared
# machine falls on all three alike. Per path and round: latency at a fixed offered rate (wrk with a per-connection
# delay), then maximum throughput (wrk flat out). Sidecar resident memory is read idle and after load.
#
# Usage: bench/two-sidecar.sh            (from anywhere; needs root or the tools below already installed)
# Settings (environment variables):
#   ROUNDS=5            interleaved rounds
#   DURATION=10s        length of each measured wrk run
#   WARMUP=5s           unmeasured full-load run per path before round 1 (JIT, connection pools)
#   RATE=500            offered requests/s for the latency runs (total over RATE_CONNS connections)
#   RATE_CONNS=10       connections for the latency runs
#   MAX_THREADS=2 MAX_CONNS=16   wrk threads/connections for the throughput runs
#   NGINX_WORKERS=auto  worker_processes of the backend and of each nginx proxy
#   SKIP_MESHDEV=1      measure direct and the nginx pair only
#   MESHDEV_BUILD=0     do not build; use the existing Release output (bin/Release/net10.0)
#   PROXY_DIR=… CONTROLPLANE_DIR=…   run MeshDev from these build output folders instead
# Raw results and logs go to bench/results/<UTC timestamp>/; the Markdown summary is printed and kept there.
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
SKIP_MESHDEV="${SKIP_MESHDEV:-0}"
MESHDEV_BUILD="${MESHDEV_BUILD:-1}"
BODY_BYTES=1024
READY_TIMEOUT=90
IDLE_SECONDS=5

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
  exit 0
fi

STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
OUT="$BENCH_DIR/results/$STAMP"
LOGS="$OUT/logs"
mkdir -p "$LOGS"

# shellcheck source=SCRIPTDIR/lib.sh
source "$BENCH_DIR/lib.sh"

# ---------------------------------------------------------------------------------------------------------------
# Tools
ensure_tools() {
  local missing=()
  command -v nginx >/dev/null || missing+=(nginx)
  command -v wrk >/dev/null || missing+=(wrk)
  command -v curl >/dev/null || missing+=(curl)
  command -v python3 >/dev/null || missing+=(python3)
  ((${#missing[@]} == 0)) && return 0
  [[ "$(id -u)" == 0 ]] || die "missing ${missing[*]}; install them (apt-get install -y ${missing[*]}) or run as root"
  log "installing ${missing[*]}"
  apt-get update -qq >"$LOGS/apt.log" 2>&1
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >>"$LOGS/apt.log" 2>&1 \
    || die "apt-get install ${missing[*]} failed; see $LOGS/apt.log"
}

check_path() { # config url → one request must bring back 200 and the whole body
  local got
  got="$(curl -s -o "$OUT/check-$1.body" -w '%{http_code} %{size_download}' --max-time 5 "$2" || true)"
  [[ "$got" == "200 $BODY_BYTES" ]] || die "$1: GET $2 gave '$got' (status bytes), expected '200 $BODY_BYTES'"
  cmp -s "$OUT/check-$1.body" "$WWW/1k" || die "$1: GET $2 returned a body that differs from the backend's file"
}

# ---------------------------------------------------------------------------------------------------------------
# nginx: the backend and the baseline proxies, each with its own prefix and config, in the foreground.
nginx_conf() { # dir port http_block server_block
  local dir="$1"
  mkdir -p "$dir/tmp"
  cat >"$dir/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes $NGINX_WORKERS;
pid $dir/nginx.pid;
error_log stderr warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  keepalive_requests 1000000;
  keepalive_timeout 75s;
$3
  server {
    listen 127.0.0.1:$2;
$4
  }
}
EOF
}

start_nginx() { # name dir
  start_bg "$1" nginx -p "$2" -c "$2/nginx.conf" -e stderr
}

# A keep-alive reverse proxy to the next hop: the job a sidecar does, with pooled upstream connections as a
# sidecar keeps them.
proxy_conf() { # dir port upstream_port
  nginx_conf "$1" "$2" "  upstream next_hop {
    server 127.0.0.1:$3;
    keepalive 64;
    keepalive_requests 1000000;
  }" "    location / {
      proxy_pass http://next_hop;
      proxy_http_version 1.1;
      proxy_set_header Connection \"\";
    }"
}

# ---------------------------------------------------------------------------------------------------------------
proc_kb() { # pid field → value in kB
  awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"
}

# Memory of one process tree (nginx: master + workers): sums of VmRSS, VmHWM and Pss. RSS counts a page shared
# between processes (the .NET runtime's files mapped by both sidecars, nginx's workers) once in each; Pss splits
# it among them, so Pss is the fairer "what this process costs" and RSS is the figure `ps` and `top` show.
record_memory() { # name pid phase round
  local rss=0 hwm=0 pss=0 p
  for p in $2 $(pgrep -P "$2"); do
    rss=$((rss + $(proc_kb "$p" VmRSS)))
    hwm=$((hwm + $(proc_kb "$p" VmHWM)))
    pss=$((pss + $(awk '$1 == "Pss:" { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)))
  done
  printf '{"process":"%s","pid":%d,"phase":"%s","round":%d,"rss_kb":%d,"hwm_kb":%d,"pss_kb":%d}\n' \
    "$1" "$2" "$3" "$4" "$rss" "$hwm" "$pss" >>"$OUT/memory.jsonl"
}

save_admin() { # name admin_port suffix — the sidecar's own counters and config, for looking into odd figures
  curl -s --max-time 5 "http://127.0.0.1:$2/stats?format=json" >"$OUT/raw/$1-stats-$3.json" || true
  curl -s --max-time 5 "http://127.0.0.1:$2/config_dump" >"$OUT/raw/$1-config_dump-$3.json" || true
}

# ---------------------------------------------------------------------------------------------------------------
# Load
run_wrk() { # round config kind url
  local round="$1" config="$2" kind="$3" url="$4" raw="$OUT/raw/$2-$3-r$1.txt" json
  mkdir -p "$OUT/raw"
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
ensure_tools
NOTES=()

read -r P_BACKEND P_NGX_SERVER P_NGX_CLIENT P_CP_HTTP P_CP_GRPC P_SRV_IN P_SRV_ADMIN P_CLI_IN P_CLI_OUT P_CLI_ADMIN \
  <<<"$(free_ports 10 | tr '\n' ' ')"

# Backend: nginx serving a 1 KiB static file and a health path.
WWW="$OUT/www"
mkdir -p "$WWW"
head -c "$BODY_BYTES" /dev/zero | tr '\0' 'x' >"$WWW/1k"
nginx_conf "$OUT/nginx-backend" "$P_BACKEND" "" "    root $WWW;
    location = /health { return 200 \"ok\\n\"; }
    location / { }"
start_nginx backend "$OUT/nginx-backend"; PID_BACKEND=$LAST_PID
wait_http "http://127.0.0.1:$P_BACKEND/health" 15 "$PID_BACKEND" backend

# Baseline: client-side nginx → server-side nginx → backend.
proxy_conf "$OUT/nginx-server" "$P_NGX_SERVER" "$P_BACKEND"
proxy_conf "$OUT/nginx-client" "$P_NGX_CLIENT" "$P_NGX_SERVER"
start_nginx nginx-server "$OUT/nginx-server"; PID_NGX_SERVER=$LAST_PID
start_nginx nginx-client "$OUT/nginx-client"; PID_NGX_CLIENT=$LAST_PID
wait_http "http://127.0.0.1:$P_NGX_CLIENT/health" 15 "$PID_NGX_CLIENT" nginx-client

CONFIGS=(direct nginx-pair)
declare -A URL=(
  [direct]="http://127.0.0.1:$P_BACKEND/1k"
  [nginx-pair]="http://127.0.0.1:$P_NGX_CLIENT/1k"
)

if [[ "$SKIP_MESHDEV" != 1 ]]; then
  if [[ -z "${PROXY_DIR:-}" || -z "${CONTROLPLANE_DIR:-}" ]]; then
    if [[ "$MESHDEV_BUILD" == 1 ]]; then
      log "building MeshDev.ControlPlane and MeshDev.Proxy (Release)"
      build_project MeshDev.ControlPlane/MeshDev.ControlPlane.csproj
      build_project MeshDev.Proxy/MeshDev.Proxy.csproj
    fi
  fi
  copy_build "${CONTROLPLANE_DIR:-$REPO_DIR/MeshDev.ControlPlane/bin/Release/net10.0}" "$OUT/bin/controlplane" MeshDev.ControlPlane.dll
  copy_build "${PROXY_DIR:-$REPO_DIR/MeshDev.Proxy/bin/Release/net10.0}" "$OUT/bin/proxy" MeshDev.Proxy.dll

  export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 ASPNETCORE_ENVIRONMENT=Production
  start_bg controlplane env \
    Mesh__ControlPlane__HttpPort="$P_CP_HTTP" Mesh__ControlPlane__GrpcPort="$P_CP_GRPC" \
    dotnet "$OUT/bin/controlplane/MeshDev.ControlPlane.dll"
  PID_CP=$LAST_PID
  wait_http "http://127.0.0.1:$P_CP_HTTP/api/v1/proxies" 60 "$PID_CP" controlplane

  # Server side: the backend's sidecar; its inbound listener is the backend's address in the mesh.
  start_bg sidecar-server env \
    Mesh__Mode=sidecar Mesh__ProxyId=backend-1 Mesh__Service=backend \
    Mesh__ControlPlane__Address="http://127.0.0.1:$P_CP_GRPC" \
    Mesh__Inbound__Port="$P_SRV_IN" Mesh__Inbound__ServicePort=9080 Mesh__Inbound__Protocol=http \
    Mesh__App__Address="http://127.0.0.1:$P_BACKEND" Mesh__App__HealthPath=/health \
    Mesh__Admin__Port="$P_SRV_ADMIN" \
    dotnet "$OUT/bin/proxy/MeshDev.Proxy.dll"
  PID_SRV=$LAST_PID
  # Client side: the calling app's sidecar, with an outbound listener for "backend". Its own app is the same
  # nginx (it needs one to be ready); the benchmark client plays the calling app.
  start_bg sidecar-client env \
    Mesh__Mode=sidecar Mesh__ProxyId=frontend-1 Mesh__Service=frontend \
    Mesh__ControlPlane__Address="http://127.0.0.1:$P_CP_GRPC" \
    Mesh__Inbound__Port="$P_CLI_IN" Mesh__Inbound__ServicePort=9080 Mesh__Inbound__Protocol=http \
    Mesh__App__Address="http://127.0.0.1:$P_BACKEND" Mesh__App__HealthPath=/health \
    Mesh__Outbound__backend__Port="$P_CLI_OUT" Mesh__Outbound__backend__Protocol=http \
    Mesh__Admin__Port="$P_CLI_ADMIN" \
    dotnet "$OUT/bin/proxy/MeshDev.Proxy.dll"
  PID_CLI=$LAST_PID

  wait_http "http://127.0.0.1:$P_SRV_ADMIN/ready" "$READY_TIMEOUT" "$PID_SRV" sidecar-server
  wait_http "http://127.0.0.1:$P_CLI_ADMIN/ready" "$READY_TIMEOUT" "$PID_CLI" sidecar-client
  wait_in_sync "http://127.0.0.1:$P_CP_HTTP/api/v1/proxies" frontend-1 backend-1
  log "both sidecars ready and in sync with the control plane"

  sleep "$IDLE_SECONDS"
  record_memory sidecar-client "$PID_CLI" idle 0
  record_memory sidecar-server "$PID_SRV" idle 0
  mkdir -p "$OUT/raw"
  cat "/proc/$PID_CLI/smaps_rollup" >"$OUT/raw/sidecar-client-smaps-idle.txt" 2>/dev/null || true
  cat "/proc/$PID_SRV/smaps_rollup" >"$OUT/raw/sidecar-server-smaps-idle.txt" 2>/dev/null || true
  save_admin sidecar-client "$P_CLI_ADMIN" idle
  save_admin sidecar-server "$P_SRV_ADMIN" idle

  CONFIGS+=(meshdev-pair)
  URL[meshdev-pair]="http://127.0.0.1:$P_CLI_OUT/1k"
else
  NOTES+=("MeshDev pair not measured (SKIP_MESHDEV=1).")
fi
record_memory nginx-pair-client "$PID_NGX_CLIENT" idle 0
record_memory nginx-pair-server "$PID_NGX_SERVER" idle 0

for config in "${CONFIGS[@]}"; do check_path "$config" "${URL[$config]}"; done
log "all paths return the 1 KiB body: ${CONFIGS[*]}"

python3 - "$OUT/meta.json" "${NOTES[@]}" <<EOF
import json, subprocess, sys
def sh(c):
    try: return subprocess.run(c, shell=True, capture_output=True, text=True, timeout=20).stdout.strip()
    except Exception as e: return f"unavailable: {e}"
json.dump({
  "started": "$STAMP", "rounds": $ROUNDS, "duration": "$DURATION", "warmup": "$WARMUP", "rate": $RATE,
  "rate_conns": $RATE_CONNS, "max_threads": $MAX_THREADS, "max_conns": $MAX_CONNS, "body_bytes": $BODY_BYTES,
  "nginx_workers": "$NGINX_WORKERS", "configs": "${CONFIGS[*]}".split(),
  "nproc": sh("nproc"), "free": sh("free -h"), "uname": sh("uname -srm"), "loadavg_start": sh("cat /proc/loadavg"),
  "nginx": sh("nginx -v 2>&1"), "wrk": sh("wrk -v 2>&1 | head -1"), "dotnet": sh("dotnet --version"),
  "commit": sh("git -C '$REPO_DIR' rev-parse --short HEAD"), "dirty": bool(sh("git -C '$REPO_DIR' status --porcelain")),
  "notes": sys.argv[2:],
}, open(sys.argv[1], "w"), indent=2)
EOF

log "warm-up: $WARMUP at full load per path"
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
    case "$config" in
      meshdev-pair)
        alive_or_die "$PID_CLI" sidecar-client; alive_or_die "$PID_SRV" sidecar-server
        record_memory sidecar-client "$PID_CLI" after-load "$round"
        record_memory sidecar-server "$PID_SRV" after-load "$round" ;;
      nginx-pair)
        record_memory nginx-pair-client "$PID_NGX_CLIENT" after-load "$round"
        record_memory nginx-pair-server "$PID_NGX_SERVER" after-load "$round" ;;
    esac
    sleep 1
  done
done

if [[ " ${CONFIGS[*]} " == *" meshdev-pair "* ]]; then
  save_admin sidecar-client "$P_CLI_ADMIN" end
  save_admin sidecar-server "$P_SRV_ADMIN" end
fi
python3 - "$OUT/meta.json" <<'EOF'
import json, sys
meta = json.load(open(sys.argv[1])); meta["loadavg_end"] = open("/proc/loadavg").read().strip()
json.dump(meta, open(sys.argv[1], "w"), indent=2)
EOF
python3 "$BENCH_DIR/summarize.py" "$OUT" | tee "$OUT/summary.md"
log "raw results: $OUT"
