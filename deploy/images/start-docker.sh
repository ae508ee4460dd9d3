#!/usr/bin/env bash
# Makes a Docker engine answer on this machine: installs Debian's docker.io if there is none, and starts its daemon
# in the background if none runs (a running daemon is left exactly as it is). The daemon uses the vfs storage
# driver, the only one that works inside this kind of sandboxed machine, with its default bridge and iptables so
# that user-defined networks (one address per pod, DNS aliases per Service) work. Needs root (or sudo).
set -euo pipefail

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else
    echo "start-docker.sh needs root (or sudo) to run: $*" >&2; return 1; fi
}

if docker info >/dev/null 2>&1; then
  echo "Docker engine already answers; left as it is."
  exit 0
fi

if ! command -v dockerd >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get install -y --no-install-recommends docker.io \
    || { as_root apt-get update && as_root apt-get install -y --no-install-recommends docker.io; }
fi
command -v docker >/dev/null 2>&1 || { echo "docker.io installed but no docker client on PATH" >&2; exit 1; }

log=/var/log/meshdev-dockerd.log
if ! pgrep -x dockerd >/dev/null 2>&1; then
  # The daemon outlives this script: it must not keep the caller's other open files (a lock, a CI step's pipe) open.
  as_root bash -c "for fd in \$(ls /proc/\$\$/fd); do [ \"\$fd\" -gt 2 ] && eval \"exec \$fd>&-\"; done 2>/dev/null
    nohup dockerd --storage-driver=vfs >>'$log' 2>&1 </dev/null &"
fi

# The daemon needs a few seconds to create its socket and bridge; wait for it to answer, not for a timer.
for _ in $(seq 1 120); do
  if as_root docker info >/dev/null 2>&1; then
    echo "Docker engine answers ($(as_root docker version --format '{{.Server.Version}}'))."
    exit 0
  fi
  sleep 1
done
echo "dockerd did not answer within 120 s; its log ($log) ends with:" >&2
as_root tail -n 30 "$log" >&2 || true
exit 1
