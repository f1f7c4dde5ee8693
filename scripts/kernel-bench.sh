#!/usr/bin/env bash
# Kernel speed on ns-3's hold model (issue "Scale and speed"): the median events/s of RUNS
# runs at P = 1,000 and P = 100,000 pending events, release build.
# Usage: scripts/kernel-bench.sh [RUNS] [EVENTS]     (defaults: 5 runs, 10,000,000 events)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
events=${2:-10000000}
[ -x .build/release/MeshSim ] || swift build -c release >&2
for pending in 1000 100000; do
  rates=()
  for _ in $(seq "$runs"); do
    rates+=("$(.build/release/MeshSim bench kernel --pending "$pending" --events "$events" --json |
               sed -E 's/.*"eventsPerSecond":([0-9.]+).*/\1/')")
  done
  printf '%s\n' "${rates[@]}" | sort -n | awk -v p="$pending" -v t="$events" '
    { a[NR] = $1; s = s sprintf(" %.2f", $1 / 1e6) }
    END { printf "P=%-7d T=%d  runs (M/s):%s  median: %.2f M events/s\n", p, t, s, a[int((NR + 1) / 2)] / 1e6 }'
done
