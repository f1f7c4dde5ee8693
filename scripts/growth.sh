#!/usr/bin/env bash
# How a full-mesh join grows with the number of peers (issue "Scale and speed"): wall time,
# peak memory (max RSS from /usr/bin/time) and the cost per RTCPeerConnection, for the shape of
# Scenarios/1000-peers-join.json (joins 10 ms apart, 40 s simulated, the per-page cap lifted)
# at 10, 100, 300 and 1,000 peers. Release build; each size runs RUNS times (default 1) and the
# median wall time (with that run's memory) is shown.
# Usage: scripts/growth.sh [RUNS] [SIZES...]     e.g. scripts/growth.sh 3 10 100 300 1000
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-1}
shift || true
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10 100 300 1000)
[ -x /usr/bin/time ] || { echo "needs GNU time at /usr/bin/time (apt-get install time)" >&2; exit 2; }
[ -x .build/release/MeshSim ] || swift build -c release >&2
template=Scenarios/1000-peers-join.json
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

printf '| peers | pairs | connections | events | wall s | peak RSS MiB | µs wall / connection | KiB / connection | events/s | full mesh |\n'
printf '|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|\n'
for n in "${sizes[@]}"; do
  file="$work/$n-peers-join.json"
  sed -E -e "s/\"count\": 1000/\"count\": $n/" -e "s/\"name\": \"1000 peers join\"/\"name\": \"$n peers join\"/" \
         -e "s/\"maxSignalingMessages\": [0-9]+/\"maxSignalingMessages\": $((2 * n * (n - 1)))/" "$template" > "$file"
  : > "$work/runs"
  for _ in $(seq "$runs"); do
    /usr/bin/time -f '%e %M' -o "$work/time" .build/release/MeshSim scenario "$file" --json > "$work/report" || true
    read -r wall rss < "$work/time"
    echo "$wall $rss $(tr -d '\n' < "$work/report")" >> "$work/runs"
  done
  sort -n "$work/runs" | awk -v n="$n" -v r="$runs" 'NR == int((r + 1) / 2) {
    wall = $1; rss = $2; line = $0
    match(line, /"events":[0-9]+/); events = substr(line, RSTART + 9, RLENGTH - 9)
    match(line, /"connectionsCreated":[0-9]+/); conns = substr(line, RSTART + 21, RLENGTH - 21)
    match(line, /"fullMesh":(true|false)/); full = substr(line, RSTART + 11, RLENGTH - 11)
    printf "| %d | %d | %d | %d | %.2f | %.0f | %.1f | %.2f | %.0f | %s |\n", n, n * (n - 1) / 2, conns, events, wall,
      rss / 1024, wall * 1e6 / conns, rss / conns, events / (wall > 0 ? wall : 0.001), full
  }'
done
