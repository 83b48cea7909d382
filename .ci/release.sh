#!/usr/bin/env bash
# Builds the release: a static binary per platform, SHA256SUMS and a
# CycloneDX SBOM of the Go modules in each binary, into dist/.
#
# Reproducible: the same commit gives the same bytes on any machine with the
# same Go toolchain. -trimpath drops build paths, -buildvcs=false leaves out
# the VCS stamp (whose "modified" flag depends on the work tree), the version
# is stamped from git (or VERSION=...), the build ID is a content hash, no
# cgo, and the SBOMs carry no timestamp or random serial. There are no
# archives, so no file times to fix. .ci/reproducible.sh checks it.
#
# Usage: .ci/release.sh [OS/ARCH...]   (default: every release platform)
# Environment: VERSION (default: git describe), DIST (default: dist).
set -euo pipefail
cd "$(dirname "$0")/.."

platforms=("$@")
if [ ${#platforms[@]} -eq 0 ]; then
  platforms=(linux/amd64 linux/arm64 darwin/arm64 darwin/amd64 windows/amd64)
fi
version=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
dist=${DIST:-dist}

rm -rf "$dist"
mkdir -p "$dist"
for p in "${platforms[@]}"; do
  os=${p%/*}
  arch=${p#*/}
  out="camsweep_${version}_${os}_${arch}"
  [ "$os" = windows ] && out="$out.exe"
  echo "release: $out"
  CGO_ENABLED=0 GOOS=$os GOARCH=$arch go build -trimpath -buildvcs=false \
    -ldflags "-s -w -X main.version=$version" -o "$dist/$out" ./cmd/camsweep
  # The SBOM lists the modules linked into this binary, read from the
  # binary's own build information.
  go tool cyclonedx-gomod bin -json -noserial -notimestamp -version "$version" \
    -output "$dist/$out.cdx.json" "$dist/$out"
done
(cd "$dist" && sha256sum -- camsweep_* | LC_ALL=C sort -k2 > SHA256SUMS)
echo "release: $(wc -l < "$dist/SHA256SUMS") files in $dist/SHA256SUMS, version $version"
