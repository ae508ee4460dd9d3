# Shared by the benchmark scripts that source it: logging, processes stopped on any exit, free ports, waits,
# Release builds copied aside. The sourcing script sets OUT, LOGS and REPO_DIR first.

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Every process this script starts is remembered and stopped on exit, whatever the exit.
PIDS=()
LAST_PID=""
start_bg() { # name command...
  local name="$1"; shift
  "$@" >"$LOGS/$name.log" 2>&1 &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
  echo "$LAST_PID $name" >>"$OUT/pids"
}
cleanup() {
  local status=$? pid
  trap - EXIT INT TERM
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do kill -TERM "${PIDS[$i]}" 2>/dev/null || true; done
  for _ in $(seq 1 50); do
    local alive=0
    for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    ((alive == 0)) && break
    sleep 0.1
  done
  for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  ((status != 0)) && log "stopped (exit $status); logs in $LOGS"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

alive_or_die() { # pid name
  kill -0 "$1" 2>/dev/null && return 0
  log "$2 exited early; last lines of its log:"
  tail -n 30 "$LOGS/$2.log" >&2 || true
  exit 1
}

free_ports() { # count → that many free loopback TCP ports, one per line
  python3 - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print("\n".join(str(s.getsockname()[1]) for s in socks))
EOF
}

wait_http() { # url timeout_seconds pid name → waits for a 200
  local url="$1" pid="$3" name="$4" deadline=$((SECONDS + $2))
  while ((SECONDS < deadline)); do
    alive_or_die "$pid" "$name"
    [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" || true)" == 200 ]] && return 0
    sleep 0.25
  done
  die "$name: $url did not answer 200 within $2s; see $LOGS/$name.log"
}

build_project() { # csproj
  local attempt
  for attempt in 1 2 3; do
    (cd "$REPO_DIR" && dotnet build "$1" -c Release -nologo) >>"$LOGS/build.log" 2>&1 && return 0
    grep -qiE 'being used by another process|file.?lock|cannot access the file' "$LOGS/build.log" || break
    log "build of $1 hit a file lock (attempt $attempt); retrying in 20 s"
    sleep 20
  done
  tail -n 30 "$LOGS/build.log" >&2
  die "dotnet build $1 -c Release failed; see $LOGS/build.log"
}

# A private copy of the build output, so a rebuild in the work tree cannot swap a dll under a running process.
copy_build() { # source_dir dest_dir dll
  [[ -f "$1/$3" ]] || die "$1/$3 not found; build it or point PROXY_DIR/CONTROLPLANE_DIR at its output"
  mkdir -p "$2"
  cp -a "$1/." "$2/"
}

wait_in_sync() { # api_url proxy_id...
  local url="$1" deadline=$((SECONDS + 60)); shift
  while ((SECONDS < deadline)); do
    curl -s --max-time 2 "$url" >"$OUT/controlplane-proxies.json" || true
    python3 - "$OUT/controlplane-proxies.json" "$@" <<'EOF' && return 0
import json, sys
try:
    proxies = {p["id"]: p for p in json.load(open(sys.argv[1]))}
except (ValueError, KeyError, TypeError):
    sys.exit(1)
sys.exit(0 if all(proxies.get(i, {}).get("connected") and proxies.get(i, {}).get("inSync") for i in sys.argv[2:]) else 1)
EOF
    sleep 0.5
  done
  die "the control plane does not show $* connected and in sync; last answer in $OUT/controlplane-proxies.json"
}
