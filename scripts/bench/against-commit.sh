#!/bin/bash
# Runs the benchmarks of this tree and of another commit alternately, so both see the same
# machine (docs/performance.md: targets are same-run ratios because the machine is shared).
#   scripts/bench/against-commit.sh <commit> [rounds] [bench ...]     e.g. ... 5388117 2 engine evaluator
# The other commit is cloned into a temporary folder with its own `npm ci`; each run's last JSON
# line goes to stdout as "<bench> <base|head> <time> <json>". Every run is bounded by `timeout`.
set -euo pipefail
commit=${1:?usage: against-commit.sh <commit> [rounds] [bench ...]}
rounds=${2:-2}
shift $(( $# >= 2 ? 2 : 1 ))
benches=${*:-engine evaluator propagation controller}
head=$(git rev-parse --show-toplevel)
base=$(mktemp -d -t flagship-base-XXXXXX)
logs=$(mktemp -d -t flagship-bench-logs-XXXXXX)
trap 'rm -rf "$base"' EXIT
git clone -q "$head" "$base"
git -C "$base" checkout -q "$commit"
(cd "$base" && timeout 900 npm ci --no-audit --no-fund > "$logs/npm-ci.log" 2>&1)
run() { # dir tag bench
  local log="$logs/$3-$2-$(date +%s).log"
  (cd "$1" && timeout 900 npm run -s "bench:$3" > "$log" 2>&1) || echo "# $3 $2 failed: $log" >&2
  echo "$3 $2 $(date +%H:%M:%S) $(grep '^{"bench"' "$log" | tail -n 1)"
}
for b in $benches; do
  for _ in $(seq 1 "$rounds"); do
    run "$base" base "$b"
    run "$head" head "$b"
  done
done
echo "# logs in $logs" >&2
