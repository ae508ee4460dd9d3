#!/usr/bin/env bash
# Publishes MeshDev's programs and builds their six container images from the Dockerfiles beside each project:
#   meshdev/proxy (sidecar and ingress gateway), meshdev/controlplane,
#   meshdev/bookinfo-productpage, meshdev/bookinfo-details, meshdev/bookinfo-reviews, meshdev/bookinfo-ratings
#
#   deploy/images/build.sh [--base-image IMAGE] [--registry PREFIX] [--tag TAG] [--no-build]
#
#   --base-image  the runtime image every Dockerfile starts FROM (default: the Dockerfiles' own default,
#                 mcr.microsoft.com/dotnet/aspnet:10.0; offline, make-standin-base.sh's local stand-in)
#   --registry    image name prefix (default meshdev), e.g. myregistry.azurecr.io/meshdev
#   --tag         image tag (default latest)
#   --no-build    publish what `dotnet build -c Release` already compiled instead of compiling again
# The publish output lands in artifacts/images/<image>/, the build context of its image.
set -euo pipefail
cd "$(dirname "$0")/../.."

base_image="" registry="meshdev" tag="latest" no_build=()
while [ $# -gt 0 ]; do
  case "$1" in
    --base-image) base_image="${2:?--base-image needs a value}"; shift 2 ;;
    --registry) registry="${2:?--registry needs a value}"; shift 2 ;;
    --tag) tag="${2:?--tag needs a value}"; shift 2 ;;
    --no-build) no_build=(--no-build); shift ;;
    *) echo "build.sh: unknown argument '$1' (see the comment at the top of deploy/images/build.sh)" >&2; exit 2 ;;
  esac
done

# image name : project folder
images=(
  "proxy:MeshDev.Proxy"
  "controlplane:MeshDev.ControlPlane"
  "bookinfo-productpage:samples/Bookinfo/Bookinfo.ProductPage"
  "bookinfo-details:samples/Bookinfo/Bookinfo.Details"
  "bookinfo-reviews:samples/Bookinfo/Bookinfo.Reviews"
  "bookinfo-ratings:samples/Bookinfo/Bookinfo.Ratings"
)

build_args=()
[ -n "$base_image" ] && build_args=(--build-arg "BASE_IMAGE=$base_image")

for entry in "${images[@]}"; do
  name="${entry%%:*}" project="${entry#*:}"
  out="artifacts/images/$name"
  rm -rf "$out"
  echo "==> publish $project"
  dotnet publish "$project" -c Release "${no_build[@]}" -o "$out" -nologo -v quiet
  echo "==> docker build $registry/$name:$tag"
  # Only a failure's output is shown (the legacy builder's deprecation notice is not news).
  if ! docker build -q -f "$project/Dockerfile" "${build_args[@]}" -t "$registry/$name:$tag" "$out" >"$out.build.log" 2>&1; then
    cat "$out.build.log" >&2
    exit 1
  fi
done

echo
docker image ls --format '{{.Repository}}:{{.Tag}}\t{{.Size}}' | grep -F "$registry/" | sort
