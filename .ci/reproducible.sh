#!/usr/bin/env bash
# Checks that the release build is reproducible: builds the given platforms
# (default linux/amd64 linux/arm64) twice, once in this clone and once from
# a `git archive` of the same commit unpacked at another path with an empty
# build cache, and compares SHA256SUMS (binaries and SBOMs). Needs a clean
# work tree, since the second build sees only the commit.
set -euo pipefail
cd "$(dirname "$0")/.."

platforms=("$@")
[ ${#platforms[@]} -gt 0 ] || platforms=(linux/amd64 linux/arm64)
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
  echo "reproducible: the work tree has changes; commit them first" >&2
  exit 2
fi
version=$(git describe --tags --always)
tmp=$(mktemp -d)
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT

VERSION=$version DIST="$tmp/a" ./.ci/release.sh "${platforms[@]}" >/dev/null
mkdir -p "$tmp/elsewhere/src"
git archive HEAD | tar -x -C "$tmp/elsewhere/src"
(cd "$tmp/elsewhere/src" && GOCACHE="$tmp/elsewhere/gocache" VERSION=$version DIST="$tmp/b" ./.ci/release.sh "${platforms[@]}" >/dev/null)

if ! diff -u "$tmp/a/SHA256SUMS" "$tmp/b/SHA256SUMS"; then
  echo "reproducible: the two builds differ" >&2
  exit 1
fi
echo "reproducible: ${platforms[*]} built twice, byte-identical:"
cat "$tmp/a/SHA256SUMS"
