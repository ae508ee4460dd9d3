#!/usr/bin/env bash
# mTLS cost benchmark: the two-sidecar hop with mTLS between the sidecars against the same hop in plaintext.
#
# Three paths to one nginx backend serving a 1 KiB static body, all on 127.0.0.1, HTTP/1.1 keep-alive from the client:
#   direct          client → backend (for scale)
#   meshdev-plain   client → sidecar outbound → (plaintext) → sidecar inbound → backend
#   meshdev-mtls    client → sidecar outbound → (mTLS 1.3, ECDSA P-256, SPIFFE ID checked) → sidecar inbound → backend
# Each MeshDev path has its own pair of MeshDev.Proxy processes (Release build), all four with workload
# certificates; the plaintext pair's cluster has TLS mode DISABLE, so the only difference is the TLS on the hop.
# Their snapshots and certificates come from bench/mtls-control-plane, a stand-in control plane with an in-memory CA
# (the proxy's side of the wire contract only), so the figures do not depend on the real control plane's state.
#
# Each round runs every path once, in an order that rotates from round to round. Per path and round: latency at a
# fixed offered rate, then maximum throughput; for the MeshDev paths also the CPU time both sidecars of the pair
# spent during each run (utime + stime from /proc/<pid>/stat), per request.
#
# Usage: bench/mtls.sh            (from anywhere; needs root or nginx, wrk, curl and python3 installed)
# Settings (environment variables):
#   ROUNDS=5 DURATION=10s WARMUP=5s RATE=500 RATE_CONNS=10 MAX_THREADS=2 MAX_CONNS=16   as in two-sidecar.sh
#   MESHDEV_BUILD=0     do not build; use the existing Release output
# Raw results and logs go to bench/results/<UTC timestamp>-mtls/; the Markdown summary is printed and kept there.
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
MESHDEV_BUILD="${MESHDEV_BUILD:-1}"
BODY_BYTES=1024
READY_TIMEOUT=90

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
  exit 0
fi

STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
OUT="$BENCH_DIR/results/$STAMP-mtls"
LOGS="$OUT/logs"
mkdir -p "$LOGS" "$OUT/raw"

# shellcheck source=SCRIPTDIR/lib.sh
source "$BENCH_DIR/lib.sh"

for tool in nginx wrk curl python3; do
  command -v "$tool" >/dev/null && continue
  [[ "$(id -u)" == 0 ]] || die "missing $tool; install it (apt-get install -y $tool) or run as root"
  log "installing $tool"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$tool" >>"$LOGS/apt.log" 2>&1 || die "apt-get install $tool failed; see $LOGS/apt.log"
done

CLK_TCK="$(getconf CLK_TCK)"
cpu_ticks() { # pid... → utime + stime of all, in clock ticks
  local total=0 pid
  for pid in "$@"; do
    # Fields 14 and 15, counted after the command name's closing parenthesis (the name may hold spaces).
    total=$((total + $(sed 's/^.*) //' "/proc/$pid/stat" | awk '{ print $12 + $13 }')))
  done
  echo "$total"
}

read -r P_BACKEND P_CP P_SRV_M P_SRV_M_ADMIN P_SRV_P P_SRV_P_ADMIN P_CLI_M_IN P_CLI_M_OUT P_CLI_M_ADMIN P_CLI_P_IN P_CLI_P_OUT P_CLI_P_ADMIN \
  <<<"$(free_ports 12 | tr '\n' ' ')"

# Backend: nginx serving a 1 KiB file and a health path.
WWW="$OUT/www"; mkdir -p "$WWW" "$OUT/nginx-backend/tmp"
head -c "$BODY_BYTES" /dev/zero | tr '\0' 'x' >"$WWW/1k"
cat >"$OUT/nginx-backend/nginx.conf" <<CONF
daemon off;
worker_processes auto;
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
  server {
    listen 127.0.0.1:$P_BACKEND;
    root $WWW;
    location = /health { return 200 "ok\n"; }
    location / { }
  }
}
CONF
start_bg backend nginx -p "$OUT/nginx-backend" -c "$OUT/nginx-backend/nginx.conf" -e stderr; PID_BACKEND=$LAST_PID
wait_http "http://127.0.0.1:$P_BACKEND/health" 15 "$PID_BACKEND" backend

if [[ "$MESHDEV_BUILD" == 1 ]]; then
  log "building MeshDev.Proxy and the benchmark control plane (Release)"
  build_project MeshDev.Proxy/MeshDev.Proxy.csproj
  build_project bench/mtls-control-plane/MeshDev.Bench.MtlsControlPlane.csproj
fi
copy_build "$REPO_DIR/MeshDev.Proxy/bin/Release/net10.0" "$OUT/bin/proxy" MeshDev.Proxy.dll
copy_build "$REPO_DIR/bench/mtls-control-plane/bin/Release/net10.0" "$OUT/bin/controlplane" MeshDev.Bench.MtlsControlPlane.dll

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 ASPNETCORE_ENVIRONMENT=Production
start_bg controlplane dotnet "$OUT/bin/controlplane/MeshDev.Bench.MtlsControlPlane.dll" "$P_CP" "127.0.0.1:$P_SRV_M" "127.0.0.1:$P_SRV_P"
PID_CP=$LAST_PID

sidecar() { # name service inbound_port admin_port [outbound_port]
  local extra=()
  [[ -n "${5:-}" ]] && extra=(Mesh__Outbound__backend__Port="$5" Mesh__Outbound__backend__Protocol=http)
  start_bg "$1" env \
    Mesh__Mode=sidecar Mesh__ProxyId="$1" Mesh__Service="$2" \
    Mesh__ControlPlane__Address="http://127.0.0.1:$P_CP" \
    Mesh__Identity__Token="bench-token-$2" \
    Mesh__Inbound__Port="$3" Mesh__Inbound__ServicePort=9080 Mesh__Inbound__Protocol=http \
    Mesh__App__Address="http://127.0.0.1:$P_BACKEND" Mesh__App__HealthPath=/health \
    Mesh__Admin__Port="$4" "${extra[@]}" \
    dotnet "$OUT/bin/proxy/MeshDev.Proxy.dll"
}
sidecar server-mtls server-mtls "$P_SRV_M" "$P_SRV_M_ADMIN"; PID_SRV_M=$LAST_PID
sidecar server-plain server-plain "$P_SRV_P" "$P_SRV_P_ADMIN"; PID_SRV_P=$LAST_PID
sidecar client-mtls client-mtls "$P_CLI_M_IN" "$P_CLI_M_ADMIN" "$P_CLI_M_OUT"; PID_CLI_M=$LAST_PID
sidecar client-plain client-plain "$P_CLI_P_IN" "$P_CLI_P_ADMIN" "$P_CLI_P_OUT"; PID_CLI_P=$LAST_PID
wait_http "http://127.0.0.1:$P_SRV_M_ADMIN/ready" "$READY_TIMEOUT" "$PID_SRV_M" server-mtls
wait_http "http://127.0.0.1:$P_SRV_P_ADMIN/ready" "$READY_TIMEOUT" "$PID_SRV_P" server-plain
wait_http "http://127.0.0.1:$P_CLI_M_ADMIN/ready" "$READY_TIMEOUT" "$PID_CLI_M" client-mtls
wait_http "http://127.0.0.1:$P_CLI_P_ADMIN/ready" "$READY_TIMEOUT" "$PID_CLI_P" client-plain
log "four sidecars ready, each with a workload certificate"

CONFIGS=(direct meshdev-plain meshdev-mtls)
declare -A URL=(
  [direct]="http://127.0.0.1:$P_BACKEND/1k"
  [meshdev-plain]="http://127.0.0.1:$P_CLI_P_OUT/1k"
  [meshdev-mtls]="http://127.0.0.1:$P_CLI_M_OUT/1k"
)
declare -A PAIR=([direct]="" [meshdev-plain]="$PID_CLI_P $PID_SRV_P" [meshdev-mtls]="$PID_CLI_M $PID_SRV_M")

for config in "${CONFIGS[@]}"; do
  got="$(curl -s -o "$OUT/check-$config.body" -w '%{http_code} %{size_download}' --max-time 5 "${URL[$config]}" || true)"
  [[ "$got" == "200 $BODY_BYTES" ]] || die "$config: GET ${URL[$config]} gave '$got' (status bytes), expected '200 $BODY_BYTES'"
done

# The paths are what they claim: the mTLS pair's request went over mTLS, the plaintext pair's did not.
counter() { curl -s --max-time 5 "http://127.0.0.1:$1/stats?format=json" | python3 -c "import json,sys; print(json.load(sys.stdin)['counters'].get('$2', 0))"; }
[[ "$(counter "$P_CLI_M_ADMIN" cluster.backend.upstream_rq_mtls)" -ge 1 ]] || die "client-mtls sent no request over mTLS"
[[ "$(counter "$P_SRV_M_ADMIN" inbound.server-mtls.cx_tls)" -ge 1 ]] || die "server-mtls accepted no mTLS connection"
[[ "$(counter "$P_CLI_P_ADMIN" cluster.backend.upstream_rq_plaintext)" -ge 1 ]] || die "client-plain sent no plaintext request"
[[ "$(counter "$P_SRV_P_ADMIN" inbound.server-plain.cx_tls)" -eq 0 ]] || die "server-plain took an mTLS connection"
curl -s --max-time 5 "http://127.0.0.1:$P_CLI_M_ADMIN/certs" >"$OUT/raw/client-mtls-certs.json"
log "paths checked: ${CONFIGS[*]}; the mTLS pair speaks mTLS, the plaintext pair does not"

run_wrk() { # round config kind
  local round="$1" config="$2" kind="$3" raw="$OUT/raw/$2-$3-r$1.txt" json before after pids
  pids="${PAIR[$config]}"
  before="$( [[ -n "$pids" ]] && cpu_ticks $pids || echo 0)"
  if [[ "$kind" == rate ]]; then
    BENCH_DELAY_MS=$((1000 * RATE_CONNS / RATE)) wrk -t2 -c"$RATE_CONNS" -d"$DURATION" --latency -s "$BENCH_DIR/wrk-report.lua" "${URL[$config]}" >"$raw" 2>&1
  else
    wrk -t"$MAX_THREADS" -c"$MAX_CONNS" -d"$DURATION" --latency -s "$BENCH_DIR/wrk-report.lua" "${URL[$config]}" >"$raw" 2>&1
  fi
  after="$( [[ -n "$pids" ]] && cpu_ticks $pids || echo 0)"
  json="$(sed -n 's/^BENCH_JSON {//p' "$raw")"
  [[ -n "$json" ]] || die "wrk printed no result for $config $kind round $round; see $raw"
  ((round > 0)) || return 0
  printf '{"round":%d,"config":"%s","kind":"%s","cpu_ms":%.1f,%s\n' "$round" "$config" "$kind" \
    "$(python3 -c "print(($after - $before) * 1000 / $CLK_TCK)")" "$json" >>"$OUT/runs.jsonl"
  log "  round $round $config $kind done"
}

python3 - "$OUT/meta.json" <<EOF
import json, subprocess, sys
def sh(c):
    try: return subprocess.run(c, shell=True, capture_output=True, text=True, timeout=20).stdout.strip()
    except Exception as e: return f"unavailable: {e}"
json.dump({"started": "$STAMP", "rounds": $ROUNDS, "duration": "$DURATION", "rate": $RATE, "rate_conns": $RATE_CONNS,
  "max_threads": $MAX_THREADS, "max_conns": $MAX_CONNS, "nproc": sh("nproc"), "uname": sh("uname -srm"),
  "loadavg_start": sh("cat /proc/loadavg"), "dotnet": sh("dotnet --version"), "openssl": sh("openssl version"),
  "commit": sh("git -C '$REPO_DIR' rev-parse --short HEAD"), "dirty": bool(sh("git -C '$REPO_DIR' status --porcelain"))},
  open(sys.argv[1], "w"), indent=2)
EOF

log "warm-up: $WARMUP at full load per path"
for config in "${CONFIGS[@]}"; do DURATION="$WARMUP" run_wrk 0 "$config" max; done

n=${#CONFIGS[@]}
for round in $(seq 1 "$ROUNDS"); do
  log "round $round of $ROUNDS"
  for ((k = 0; k < n; k++)); do
    config="${CONFIGS[$(((k + round - 1) % n))]}"
    run_wrk "$round" "$config" rate; sleep 1
    run_wrk "$round" "$config" max; sleep 1
  done
  alive_or_die "$PID_CLI_M" client-mtls; alive_or_die "$PID_SRV_M" server-mtls
  alive_or_die "$PID_CLI_P" client-plain; alive_or_die "$PID_SRV_P" server-plain
done

for name in client-mtls:$P_CLI_M_ADMIN server-mtls:$P_SRV_M_ADMIN client-plain:$P_CLI_P_ADMIN server-plain:$P_SRV_P_ADMIN; do
  curl -s --max-time 5 "http://127.0.0.1:${name#*:}/stats?format=json" >"$OUT/raw/${name%%:*}-stats-end.json" || true
done
python3 - "$OUT/meta.json" <<'EOF'
import json, sys
meta = json.load(open(sys.argv[1])); meta["loadavg_end"] = open("/proc/loadavg").read().strip()
json.dump(meta, open(sys.argv[1], "w"), indent=2)
EOF
python3 "$BENCH_DIR/mtls_summary.py" "$OUT" | tee "$OUT/summary.md"
log "raw results: $OUT"
