#!/usr/bin/env bash
# Reproduces the comparison table of docs/policies.md: every built-in policy on every
# lifecycle scenario kind (the keep-live-links copies, whose expectations are the full mesh,
# plus noRenegotiation for WebSocket-only drops, short outages and server restarts) over
# LIFECYCLE_SEEDS seeds, and on the small NAT scenarios (fewer than 100 peers) over NAT_SEEDS
# seeds. Prints compare's tables (stdout) and writes nothing else. Not part of CI: the full
# sweep is about 100,000 runs.
# Usage: scripts/compare-policies.sh [LIFECYCLE_SEEDS] [NAT_SEEDS] [JOBS]
#   (defaults: 1000, 100, 2; the machine's other work is spared with nice)
set -euo pipefail
cd "$(dirname "$0")/.."
lifecycle_seeds=${1:-1000}
nat_seeds=${2:-100}
jobs=${3:-2}
[ -x .build/release/MeshSim ] || swift build -c release >&2
policies=$(.build/release/MeshSim policies | awk '{print $1}' | paste -sd, -)
nat=()
for f in Scenarios/nat/*.json; do
  case "$f" in *100-peers*) ;; *) nat+=("$f") ;; esac
done
echo "# MeshSim $(.build/release/MeshSim --version | awk '{print $2}'), policies $policies"
echo "# lifecycle: seeds 1-$lifecycle_seeds"
# compare exits 1 when any run failed an expectation: that is the comparison, not an error.
nice -n 10 .build/release/MeshSim compare Scenarios/lifecycle/*.keep-live-links.json \
  --policies "$policies" --seeds "1-$lifecycle_seeds" --jobs "$jobs" 2>&1 || true
echo
echo "# nat: seeds 1-$nat_seeds"
nice -n 10 .build/release/MeshSim compare "${nat[@]}" \
  --policies "$policies" --seeds "1-$nat_seeds" --jobs "$jobs" 2>&1 || true
