#!/usr/bin/env bash
# Runs every MeshDev test on a machine that has only the .NET SDK: it first installs and starts whatever the
# tests need, then runs them. Safe to run again; it installs nothing twice.
set -euo pipefail
cd "$(dirname "$0")"

log() { printf '\n==> %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else
    echo "test.sh needs root (or sudo) to install: $*" >&2; return 1; fi
}

# The end-to-end tests own these well-known ports (the gateway and the mesh dashboard); a MeshDev already
# running here would answer in their place.
for port in 9080 15080; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "Port $port is in use (is 'dotnet run --project MeshDev.AppHost' running?). Stop it, then run the tests again." >&2
    exit 1
  fi
done

# The browser tests drive Debian's Chromium headless; Playwright's own browser download is never used.
if [ ! -x /usr/bin/chromium ]; then
  log "install chromium (browser tests)"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get install -y chromium || { as_root apt-get update && as_root apt-get install -y chromium; }
fi

# The container tests run the generated Kubernetes pods on Docker: they need an engine, a runtime base image and
# MeshDev's images. No registry is reachable here, so the base is a local stand-in for the public .NET runtime image
# unless MESHDEV_BASE_IMAGE names one that exists (the Dockerfiles take it as their BASE_IMAGE argument).
log "docker engine"
images_started=$SECONDS
deploy/images/start-docker.sh
export TESTCONTAINERS_RYUK_DISABLED=true   # its reaper image cannot be pulled; the tests remove what they start
if [ -z "${MESHDEV_BASE_IMAGE:-}" ]; then
  MESHDEV_BASE_IMAGE=meshdev-local/aspnet-standin:10.0
  log "stand-in base image"
  as_root deploy/images/make-standin-base.sh "$MESHDEV_BASE_IMAGE"
fi
images_setup=$((SECONDS - images_started))

log "dotnet $(dotnet --version)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

log "build"
dotnet build MeshDev.sln -c Release

# The schema checks of the Kubernetes output call the npm packages kubernetes-models and @kubernetes-models/istio.
log "schema checker (npm ci in tools/kubernetes-schema)"
if ! command -v npm >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get install -y nodejs npm || { as_root apt-get update && as_root apt-get install -y nodejs npm; }
fi
(cd tools/kubernetes-schema && npm ci --no-audit --no-fund)

log "images"
images_started=$SECONDS
deploy/images/build.sh --no-build --base-image "$MESHDEV_BASE_IMAGE"
echo "Docker engine and base image took ${images_setup} s, the images $((SECONDS - images_started)) s."

# The tiers run in order of how much of the machine they take: unit tests (objects in memory), component tests
# (MeshDev's parts on real sockets and processes), end-to-end tests (the real AppHost, a browser, Docker). A later tier
# still runs when an earlier one failed, so one run reports everything; each is also runnable alone:
#   dotnet test MeshDev.Tests.Unit -c Release   (likewise MeshDev.Tests.Component, MeshDev.Tests.EndToEnd)
rm -rf TestResults
status=0
for tier in Unit Component EndToEnd; do
  log "test: ${tier}"
  started=$SECONDS
  dotnet test "MeshDev.Tests.${tier}" -c Release --no-build --logger "console;verbosity=normal" \
    --logger "trx;LogFileName=${tier}.trx" --results-directory TestResults "$@" || status=$?
  echo "${tier} tests took $((SECONDS - started)) s."
done

# One closing line with the counts, summed from the test runs' own reports.
passed=0 failed=0 skipped=0
for report in TestResults/*.trx; do
  [ -f "$report" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$report") || continue
  count() { printf '%s' "$counters" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"; }
  passed=$((passed + $(count passed))) failed=$((failed + $(count failed)))
  skipped=$((skipped + $(count total) - $(count executed)))
done
printf '\n%s passed, %s failed, %s skipped\n' "$passed" "$failed" "$skipped"
exit "$status"
