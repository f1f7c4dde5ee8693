#!/usr/bin/env bash
# compare --jobs speed-up (issue "Scale and speed"): the same sweep with --jobs 1 and --jobs 2,
# interleaved ROUNDS times (default 3); prints each wall time, the medians and their ratio, and
# checks that both outputs are byte-identical.
# Usage: scripts/compare-jobs.sh [ROUNDS] [SEEDS] [FILE...]
#   (defaults: 3 rounds, seeds 1-200, Scenarios/10-peers.json and
#    Scenarios/lifecycle/refresh-clean.seed.json, policies seed and resilient)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
seeds=${2:-1-200}
shift 2 || shift $#
files=("$@")
[ ${#files[@]} -gt 0 ] || files=(Scenarios/10-peers.json Scenarios/lifecycle/refresh-clean.seed.json)
[ -x .build/release/MeshSim ] || swift build -c release >&2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sweep=("${files[@]}" --policies seed,resilient --seeds "$seeds")
for r in $(seq "$rounds"); do
  for j in 1 2; do
    /usr/bin/time -f "%e %U %S" -o "$work/t" .build/release/MeshSim compare "${sweep[@]}" --jobs "$j" --json > "$work/out$j" 2>/dev/null || [ $? -eq 1 ]  # 1: some run failed its expectations
    read -r wall user sys < "$work/t"
    echo "$j $wall $user $sys" >> "$work/all"
    echo "round $r --jobs $j: ${wall}s wall, ${user}s user, ${sys}s sys"
  done
  cmp -s "$work/out1" "$work/out2" || { echo "outputs differ between --jobs 1 and --jobs 2" >&2; exit 1; }
done
median() { awk -v j="$1" '$1 == j { print $2 }' "$work/all" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
m1=$(median 1)
m2=$(median 2)
awk -v a="$m1" -v b="$m2" 'BEGIN { printf "median wall: --jobs 1 %.2fs, --jobs 2 %.2fs, speed-up %.2fx (outputs identical)\n", a, b, a / b }'
