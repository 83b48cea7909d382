#!/usr/bin/env bash
# Runs every fuzz target in the module for FUZZTIME each. go test accepts one
# -fuzz pattern per package run, so targets are listed and run one by one.
#
# Go 1.26's fuzz coordinator can report "context deadline exceeded" when a
# duration -fuzztime expires while a worker is mid-call (go.dev/issue/75804,
# fixed in Go 1.27). That failure names no input and writes no reproducer. A
# run that fails that way, and only that way, is run once more; a second
# failure of any kind fails the job. A real finding always prints "Failing
# input written to", which is never retried.
set -euo pipefail
fuzztime=${FUZZTIME:-3s}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# deadline_race reports whether the log in $1 shows only the coordinator race.
deadline_race() {
  grep -q 'context deadline exceeded' "$1" &&
    ! grep -qE 'Failing input written|panic:|_test\.go:[0-9]+:' "$1"
}

count=0
retried=0
for pkg in $(go list ./...); do
  targets=$(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true)
  for t in $targets; do
    echo "fuzz $pkg $t ($fuzztime)"
    if ! go test -run '^$' -fuzz "^${t}\$" -fuzztime "$fuzztime" "$pkg" >"$log" 2>&1; then
      if ! deadline_race "$log"; then
        cat "$log"
        exit 1
      fi
      echo "fuzz: $t hit the fuzztime deadline race (go.dev/issue/75804); running it again"
      retried=$((retried + 1))
      go test -run '^$' -fuzz "^${t}\$" -fuzztime "$fuzztime" "$pkg" >"$log" 2>&1 || { cat "$log"; exit 1; }
    fi
    count=$((count + 1))
  done
done
echo "fuzz: $count targets ran for $fuzztime each ($retried rerun after the deadline race)"
