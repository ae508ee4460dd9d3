#!/usr/bin/env bash
# Apply-to-ACK benchmark: how long a config change takes to reach the proxies that it affects.
#
# A real MeshDev.ControlPlane (Release) and real MeshDev.Proxy sidecars on 127.0.0.1: INSTANCES instances of the
# service "reviews" (labels version=v1..vN) and CALLERS sidecars of "productpage" that declare reviews as an
# upstream. All of them front one tiny loopback backend (python3 http.server). A DestinationRule with subsets v1
# and v2 is applied once; then APPLIES applies (POST /api/v1/config) alternate two VirtualServices, all traffic to
# v1 / all traffic to v2. For each, apply_to_ack.py measures the time from sending the POST to every caller having
# ACKed a snapshot compiled from the configVersion the POST returned, polling GET /api/v1/proxies.
#
# Usage: bench/apply-to-ack.sh
# Settings (environment variables):
#   APPLIES=100          applies measured
#   CALLERS=4 INSTANCES=4   sidecars calling reviews / reviews instances (INSTANCES >= 2)
#   POLL_MS=2            period of the GET /api/v1/proxies polling
#   PAUSE_MS=200         quiet time between one apply's completion and the next apply
#   PUSH_DEBOUNCE=…      Mesh:ControlPlane:PushDebounce for the control plane (unset: its default, 100 ms)
#   MESHDEV_BUILD=0      do not build; use the existing Release output (bin/Release/net10.0)
#   PROXY_DIR=… CONTROLPLANE_DIR=…   run MeshDev from these build output folders instead
# Raw results and logs go to bench/results/<UTC timestamp>-apply-to-ack/; the Markdown summary is printed and kept there.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(dirname "$BENCH_DIR")"

APPLIES="${APPLIES:-100}"
CALLERS="${CALLERS:-4}"
INSTANCES="${INSTANCES:-4}"
POLL_MS="${POLL_MS:-2}"
PAUSE_MS="${PAUSE_MS:-200}"
PUSH_DEBOUNCE="${PUSH_DEBOUNCE:-}"
MESHDEV_BUILD="${MESHDEV_BUILD:-1}"
READY_TIMEOUT=120

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
  exit 0
fi
((INSTANCES >= 2)) || { echo "INSTANCES must be at least 2 (subsets v1 and v2 need an instance each)" >&2; exit 2; }

STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
OUT="$BENCH_DIR/results/$STAMP-apply-to-ack"
LOGS="$OUT/logs"
mkdir -p "$LOGS"

# shellcheck source=SCRIPTDIR/lib.sh
source "$BENCH_DIR/lib.sh"

# ===============================================================================================================
for tool in curl python3 dotnet; do command -v "$tool" >/dev/null || die "$tool is needed"; done

N=$((CALLERS + INSTANCES))
mapfile -t PORTS < <(free_ports $((3 + 3 * N)))
P_APP=${PORTS[0]} P_CP_HTTP=${PORTS[1]} P_CP_GRPC=${PORTS[2]}
API="http://127.0.0.1:$P_CP_HTTP"

# The app behind every sidecar: a static folder with a /health file.
mkdir -p "$OUT/www"
echo ok >"$OUT/www/health"
start_bg app python3 -m http.server "$P_APP" --bind 127.0.0.1 --directory "$OUT/www"; PID_APP=$LAST_PID
wait_http "http://127.0.0.1:$P_APP/health" 15 "$PID_APP" app

if [[ -z "${PROXY_DIR:-}" || -z "${CONTROLPLANE_DIR:-}" ]] && [[ "$MESHDEV_BUILD" == 1 ]]; then
  log "building MeshDev.ControlPlane and MeshDev.Proxy (Release)"
  build_project MeshDev.ControlPlane/MeshDev.ControlPlane.csproj
  build_project MeshDev.Proxy/MeshDev.Proxy.csproj
fi
copy_build "${CONTROLPLANE_DIR:-$REPO_DIR/MeshDev.ControlPlane/bin/Release/net10.0}" "$OUT/bin/controlplane" MeshDev.ControlPlane.dll
copy_build "${PROXY_DIR:-$REPO_DIR/MeshDev.Proxy/bin/Release/net10.0}" "$OUT/bin/proxy" MeshDev.Proxy.dll

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 ASPNETCORE_ENVIRONMENT=Production
# The API token of this run only: every apply carries it (apply_to_ack.py reads MESHDEV_API_TOKEN).
export MESHDEV_API_TOKEN=$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')
CP_ENV=(Mesh__ControlPlane__HttpPort="$P_CP_HTTP" Mesh__ControlPlane__GrpcPort="$P_CP_GRPC" Mesh__ControlPlane__ApiToken="$MESHDEV_API_TOKEN"
  Mesh__ControlPlane__Services__0=reviews Mesh__ControlPlane__Services__1=productpage)
[[ -n "$PUSH_DEBOUNCE" ]] && CP_ENV+=(Mesh__ControlPlane__PushDebounce="$PUSH_DEBOUNCE")
start_bg controlplane env "${CP_ENV[@]}" dotnet "$OUT/bin/controlplane/MeshDev.ControlPlane.dll"
PID_CP=$LAST_PID
wait_http "$API/api/v1/proxies" 60 "$PID_CP" controlplane

declare -A ADMIN PID_OF
ALL_IDS=() CALLER_IDS=()
k=3
start_sidecar() { # id service extra_env...
  local id="$1" service="$2"; shift 2
  local p_in=${PORTS[$k]} p_admin=${PORTS[$((k + 1))]} p_out=${PORTS[$((k + 2))]}
  k=$((k + 3))
  start_bg "$id" env \
    Mesh__Mode=sidecar Mesh__ProxyId="$id" Mesh__Service="$service" \
    Mesh__ControlPlane__Address="http://127.0.0.1:$P_CP_GRPC" \
    Mesh__Inbound__Port="$p_in" Mesh__Inbound__ServicePort=9080 Mesh__Inbound__Protocol=http \
    Mesh__App__Address="http://127.0.0.1:$P_APP" Mesh__App__HealthPath=/health \
    Mesh__Admin__Port="$p_admin" "${@//@OUT@/$p_out}" \
    dotnet "$OUT/bin/proxy/MeshDev.Proxy.dll"
  ADMIN[$id]=$p_admin PID_OF[$id]=$LAST_PID
  ALL_IDS+=("$id")
}
for i in $(seq 1 "$INSTANCES"); do start_sidecar "reviews-v$i" reviews Mesh__Labels__version="v$i"; done
for i in $(seq 1 "$CALLERS"); do
  start_sidecar "productpage-$i" productpage Mesh__Outbound__reviews__Port=@OUT@ Mesh__Outbound__reviews__Protocol=http
  CALLER_IDS+=("productpage-$i")
done
for id in "${ALL_IDS[@]}"; do wait_http "http://127.0.0.1:${ADMIN[$id]}/ready" "$READY_TIMEOUT" "${PID_OF[$id]}" "$id"; done
wait_in_sync "$API/api/v1/proxies" "${ALL_IDS[@]}"
log "$N sidecars ready and in sync"

cat >"$OUT/destination-rule.yaml" <<'EOF'
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  subsets:
  - name: v1
    labels: {version: v1}
  - name: v2
    labels: {version: v2}
EOF
curl -sf --max-time 10 -X POST -H 'Content-Type: application/yaml' -H "Authorization: Bearer $MESHDEV_API_TOKEN" --data-binary @"$OUT/destination-rule.yaml" \
  "$API/api/v1/config?source=bench" >"$OUT/destination-rule-applied.json" \
  || die "applying the DestinationRule failed: $(cat "$OUT/destination-rule-applied.json")"
sleep 1
wait_in_sync "$API/api/v1/proxies" "${ALL_IDS[@]}"

python3 - "$OUT/meta.json" <<EOF
import json, subprocess, sys
def sh(c):
    try: return subprocess.run(c, shell=True, capture_output=True, text=True, timeout=20).stdout.strip()
    except Exception as e: return f"unavailable: {e}"
json.dump({
  "started": "$STAMP", "applies": $APPLIES, "callers": $CALLERS, "instances": $INSTANCES, "poll_ms": $POLL_MS,
  "pause_ms": $PAUSE_MS, "push_debounce": "$PUSH_DEBOUNCE", "nproc": sh("nproc"), "uname": sh("uname -srm"),
  "loadavg_start": sh("cat /proc/loadavg"), "dotnet": sh("dotnet --version"),
  "commit": sh("git -C '$REPO_DIR' rev-parse --short HEAD"), "dirty": bool(sh("git -C '$REPO_DIR' status --porcelain")),
}, open(sys.argv[1], "w"), indent=2)
EOF

log "measuring $APPLIES applies"
IFS=,
APPLIES="$APPLIES" POLL_MS="$POLL_MS" PAUSE_MS="$PAUSE_MS" \
  python3 "$BENCH_DIR/apply_to_ack.py" "$API" "$OUT" "${CALLER_IDS[*]}" "${ALL_IDS[*]}" 2>"$LOGS/driver.log" \
  || { tail -n 5 "$LOGS/driver.log" >&2; die "the apply driver failed; see $LOGS/driver.log"; }
unset IFS
for id in "${ALL_IDS[@]}"; do alive_or_die "${PID_OF[$id]}" "$id"; done

# The last apply routed to the last subset: the callers' applied snapshots must say so.
last_subset=$( ((APPLIES % 2 == 0)) && echo v2 || echo v1)
for id in "${CALLER_IDS[@]}"; do
  curl -s --max-time 5 "http://127.0.0.1:${ADMIN[$id]}/config_dump" >"$OUT/$id-config_dump.json"
done
python3 - "$last_subset" "$OUT"/productpage-*-config_dump.json <<'EOF' || die "a caller's applied snapshot does not route reviews to the last subset applied"
import json, sys
want = sys.argv[1]
for path in sys.argv[2:]:
    dump = json.dumps(json.load(open(path)))
    if f'"{want}"' not in dump:
        sys.exit(f"{path}: no subset {want}")
EOF

python3 - "$OUT/meta.json" <<'EOF'
import json, sys
meta = json.load(open(sys.argv[1])); meta["loadavg_end"] = open("/proc/loadavg").read().strip()
json.dump(meta, open(sys.argv[1], "w"), indent=2)
EOF
python3 "$BENCH_DIR/apply_to_ack.py" --summarize "$OUT" | tee "$OUT/summary.md"
log "raw results: $OUT"
