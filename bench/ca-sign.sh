#!/usr/bin/env bash
# CA signing benchmark: how many workload CSRs the control plane signs per second over gRPC.
#
# A real MeshDev.ControlPlane (Release) on 127.0.0.1 with a bootstrap key and its own generated root; the driver
# (bench/ca-sign, Release) calls MeshCertificates.SignCertificate with CONCURRENCY calls in flight over one HTTP/2
# connection for SECONDS per run, and in the same run measures two baselines, in interleaved rounds:
#   refused     the same gRPC call with a token of another key: the CA reads and verifies the CSR and checks the
#               token, then refuses without signing (gRPC and everything but the signature)
#   in-process  CertificateAuthority.Sign on the same CSRs inside the driver: the signing with no gRPC at all
# CSRs (ECDSA P-256, one URI SAN) are made before measuring, so proxies' key generation is not counted.
#
# Usage: bench/ca-sign.sh
# Settings (environment variables):
#   ROUNDS=5             interleaved rounds (the order of the three runs rotates each round)
#   SECONDS_PER_RUN=5    length of each run
#   CONCURRENCY=4        calls in flight
#   MESHDEV_BUILD=0      do not build; use the existing Release output (bin/Release/net10.0)
#   CONTROLPLANE_DIR=…   run the control plane from this build output folder instead
# Raw results and logs go to bench/results/<UTC timestamp>-ca-sign/; the Markdown summary is printed and kept there.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(dirname "$BENCH_DIR")"

ROUNDS="${ROUNDS:-5}"
SECONDS_PER_RUN="${SECONDS_PER_RUN:-5}"
CONCURRENCY="${CONCURRENCY:-4}"
MESHDEV_BUILD="${MESHDEV_BUILD:-1}"

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
  exit 0
fi

STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
OUT="$BENCH_DIR/results/$STAMP-ca-sign"
LOGS="$OUT/logs"
mkdir -p "$LOGS"

# shellcheck source=SCRIPTDIR/lib.sh
source "$BENCH_DIR/lib.sh"

for tool in curl python3 dotnet; do command -v "$tool" >/dev/null || die "$tool is needed"; done

if [[ "$MESHDEV_BUILD" == 1 ]]; then
  log "building MeshDev.ControlPlane and the driver (Release)"
  [[ -n "${CONTROLPLANE_DIR:-}" ]] || build_project MeshDev.ControlPlane/MeshDev.ControlPlane.csproj
  build_project bench/ca-sign/CaSignBench.csproj
fi
copy_build "${CONTROLPLANE_DIR:-$REPO_DIR/MeshDev.ControlPlane/bin/Release/net10.0}" "$OUT/bin/controlplane" MeshDev.ControlPlane.dll
copy_build "$REPO_DIR/bench/ca-sign/bin/Release/net10.0" "$OUT/bin/driver" CaSignBench.dll

mapfile -t PORTS < <(free_ports 2)
P_HTTP=${PORTS[0]} P_GRPC=${PORTS[1]}
API="http://127.0.0.1:$P_HTTP"
# A key for this run only; handed to both sides through the environment, never on a command line.
BENCH_BOOTSTRAP_KEY="$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')"
export BENCH_BOOTSTRAP_KEY DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 ASPNETCORE_ENVIRONMENT=Production

# The API token of this run only: /api/v1/ca is read with it.
BENCH_API_TOKEN=$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')
start_bg controlplane env Mesh__ControlPlane__HttpPort="$P_HTTP" Mesh__ControlPlane__GrpcPort="$P_GRPC" \
  Mesh__ControlPlane__ApiToken="$BENCH_API_TOKEN" Mesh__ControlPlane__DataDirectory="$OUT/controlplane-data" Mesh__ControlPlane__BootstrapKey="$BENCH_BOOTSTRAP_KEY" \
  Logging__LogLevel__MeshDev.ControlPlane.Certificates=Warning \
  dotnet "$OUT/bin/controlplane/MeshDev.ControlPlane.dll"
PID_CP=$LAST_PID
wait_http "$API/api/v1/version" 60 "$PID_CP" controlplane

python3 - "$OUT/meta.json" <<EOF
import json, subprocess, sys
def sh(c):
    try: return subprocess.run(c, shell=True, capture_output=True, text=True, timeout=20).stdout.strip()
    except Exception as e: return f"unavailable: {e}"
json.dump({
  "started": "$STAMP", "rounds": $ROUNDS, "seconds_per_run": $SECONDS_PER_RUN, "concurrency": $CONCURRENCY,
  "nproc": sh("nproc"), "uname": sh("uname -srm"), "loadavg_start": sh("cat /proc/loadavg"), "dotnet": sh("dotnet --version"),
  "commit": sh("git -C '$REPO_DIR' rev-parse --short HEAD"), "dirty": bool(sh("git -C '$REPO_DIR' status --porcelain")),
}, open(sys.argv[1], "w"), indent=2)
EOF

log "measuring: $ROUNDS rounds × 3 runs × ${SECONDS_PER_RUN}s, $CONCURRENCY calls in flight"
dotnet "$OUT/bin/driver/CaSignBench.dll" "http://127.0.0.1:$P_GRPC" "$OUT" "$ROUNDS" "$SECONDS_PER_RUN" "$CONCURRENCY" \
  >"$LOGS/driver.out" 2>"$LOGS/driver.log" || { tail -n 20 "$LOGS/driver.log" >&2; die "the driver failed; see $LOGS/driver.log"; }
alive_or_die "$PID_CP" controlplane

# The control plane's own counters must agree that it signed and refused.
curl -s --max-time 5 -H "Authorization: Bearer $BENCH_API_TOKEN" "$API/api/v1/ca" >"$OUT/ca.json"
python3 - "$OUT/ca.json" "$OUT/runs.jsonl" <<'EOF' || die "the control plane's counters do not match the driver's"
import json, sys
ca = json.load(open(sys.argv[1]))
runs = [json.loads(l) for l in open(sys.argv[2])]
signed = sum(r["Calls"] for r in runs if r["Mode"] == "sign")
refused = sum(r["Calls"] for r in runs if r["Mode"] == "refused")
# Warm-up calls are counted by the control plane but not in runs.jsonl.
if ca["signed"] < signed or ca["refusedBy"]["unauthenticated"] < refused:
    sys.exit(f"control plane: signed {ca['signed']}, refused {ca['refusedBy']['unauthenticated']}; driver: {signed}, {refused}")
print(f"control plane counted {ca['signed']} signed and {ca['refused']} refused (warm-up included)", file=sys.stderr)
EOF

python3 - "$OUT/meta.json" <<'EOF'
import json, sys
meta = json.load(open(sys.argv[1])); meta["loadavg_end"] = open("/proc/loadavg").read().strip()
json.dump(meta, open(sys.argv[1], "w"), indent=2)
EOF
LOAD="$(python3 -c 'import json, sys; m = json.load(open(sys.argv[1])); print(m["loadavg_start"].split()[0], "at the start,", m["loadavg_end"].split()[0], "at the end")' "$OUT/meta.json")"
{ echo "Commit $(git -C "$REPO_DIR" rev-parse --short HEAD), $(nproc) cores, load average $LOAD."
  echo
  cat "$OUT/summary.md"; } >"$OUT/summary.with-meta.md"
mv "$OUT/summary.with-meta.md" "$OUT/summary.md"
cat "$OUT/summary.md"
log "raw results: $OUT"
