#!/usr/bin/env bash
# Makes a LOCAL STAND-IN for the public .NET runtime image (mcr.microsoft.com/dotnet/aspnet:10.0) on a machine that
# cannot reach any registry: a minimal Debian bookworm root (debootstrap --variant=minbase) with the libraries .NET
# needs, this machine's own .NET runtime (ASP.NET Core shared framework included) at the same path as in the
# public image, and the same non-root user (app, uid 1654). It stands in for the base image only: the MeshDev
# Dockerfiles are unchanged and take it through their BASE_IMAGE build argument.
#
#   deploy/images/make-standin-base.sh [image-name]     (default meshdev-local/aspnet-standin:10.0)
#
# Does nothing if the image exists. Needs root (debootstrap, docker), debootstrap (installed if missing) and a
# running Docker engine (deploy/images/start-docker.sh).
set -euo pipefail

image="${1:-meshdev-local/aspnet-standin:10.0}"
if docker image inspect "$image" >/dev/null 2>&1; then
  echo "Stand-in base image $image exists; left as it is."
  exit 0
fi
[ "$(id -u)" -eq 0 ] || { echo "make-standin-base.sh needs root (debootstrap and docker import)" >&2; exit 1; }

if ! command -v debootstrap >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends debootstrap \
    || { apt-get update && apt-get install -y --no-install-recommends debootstrap; }
fi

# The Debian mirror this machine already uses (deb822 sources or the classic one-line form).
mirror="$( { grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}';
             grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list | awk '{print $2}'; } \
           | grep -v -- '-security' | grep -m1 '/debian/\?$' || true)"
mirror="${mirror:-http://deb.debian.org/debian}"

dotnet_root="$(dirname "$(readlink -f "$(command -v dotnet)")")"
aspnet_dir="$(ls -d "$dotnet_root"/shared/Microsoft.AspNetCore.App/10.* 2>/dev/null | sort -V | tail -n1 || true)"
[ -n "$aspnet_dir" ] || { echo "no ASP.NET Core 10 runtime under $dotnet_root/shared" >&2; exit 1; }

root="$(mktemp -d /tmp/meshdev-standin.XXXXXX)"
chmod 755 "$root"   # mktemp makes it 0700, which would become the image's / and lock out the non-root user
trap 'rm -rf "$root"' EXIT
echo "debootstrap bookworm from $mirror into $root"
debootstrap --variant=minbase --include=ca-certificates,libicu72,libssl3 bookworm "$root" "$mirror" >/dev/null

# Only the runtime: the host (muxer), hostfxr and the shared frameworks, as in the public runtime image.
mkdir -p "$root/usr/share/dotnet"
cp -a "$dotnet_root/dotnet" "$dotnet_root/host" "$root/usr/share/dotnet/"
mkdir -p "$root/usr/share/dotnet/shared"
for fx in Microsoft.NETCore.App Microsoft.AspNetCore.App; do
  version="$(basename "$(ls -d "$dotnet_root/shared/$fx"/10.* | sort -V | tail -n1)")"
  mkdir -p "$root/usr/share/dotnet/shared/$fx"
  cp -a "$dotnet_root/shared/$fx/$version" "$root/usr/share/dotnet/shared/$fx/"
done
ln -sf /usr/share/dotnet/dotnet "$root/usr/bin/dotnet"

# The public image's non-root user (its environment, ASPNETCORE_HTTP_PORTS=8080 included, is set on import below).
chroot "$root" groupadd --gid 1654 app
chroot "$root" useradd --uid 1654 --gid 1654 --no-create-home --shell /bin/false app

# What a running container never needs; less to copy per container under the vfs storage driver.
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* \
  "$root"/usr/share/man/* "$root"/usr/share/locale/* "$root"/usr/share/info/*

tar -C "$root" -c . | docker import \
  -c 'ENV DOTNET_RUNNING_IN_CONTAINER=true DOTNET_VERSION=10.0 ASPNET_VERSION=10.0 APP_UID=1654 ASPNETCORE_HTTP_PORTS=8080 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  -c 'CMD ["bash"]' \
  -m "Local stand-in for mcr.microsoft.com/dotnet/aspnet:10.0 (debootstrap minbase + this machine's .NET runtime)" \
  - "$image" >/dev/null
echo "Made stand-in base image $image ($(docker image inspect --format '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1/1000000}'))."
