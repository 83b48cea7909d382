#!/usr/bin/env bash
# Runs every fuzz target in the module for FUZZTIME each. go test accepts one
# -fuzz pattern per package run, so targets are listed and run one by one.
set -euo pipefail
fuzztime=${FUZZTIME:-3s}
count=0
for pkg in $(go list ./...); do
  targets=$(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true)
  for t in $targets; do
    echo "fuzz $pkg $t ($fuzztime)"
    go test -run '^$' -fuzz "^${t}\$" -fuzztime "$fuzztime" "$pkg" >/tmp/camsweep-fuzz.log 2>&1 || { cat /tmp/camsweep-fuzz.log; exit 1; }
    count=$((count + 1))
  done
done
echo "fuzz: $count targets ran for $fuzztime each"
