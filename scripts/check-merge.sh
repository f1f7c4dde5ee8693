#!/usr/bin/env bash
# `MeshSim merge` against the unsharded sweep (docs/sweeps.md): runs a small compare sweep as 4
# shards through GNU parallel (Debian's `parallel`, installed here if missing), merges the
# shards' JSON lines, and checks that the merge prints the same bytes as the unsharded run:
# the JSON lines on stdout, and the table (stderr under --json, stdout without it).
# Usage: scripts/check-merge.sh [MESHSIM]   (default .build/release/MeshSim)
set -euo pipefail
cd "$(dirname "$0")/.."
meshsim=${1:-.build/release/MeshSim}
[ -x "$meshsim" ] || swift build -c release >&2
if ! command -v parallel >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y parallel >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y parallel >/dev/null; }
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sweep=(Scenarios/lifecycle/refresh-crash-restore.seed.json Scenarios/lifecycle/partition-long.seed.json
       --policies seed,resilient --seeds 1-6)
# compare exits 1 when a run fails its expectations (these files record the seed policy's
# holes, which resilient repairs); any other status is an error.
run() { "$@" || [ $? -eq 1 ]; }
# The table is what follows compare's warnings on stderr (lines naming a file and "warning:").
table() { grep -v ': warning: ' "$1" || true; }

run "$meshsim" compare "${sweep[@]}" --json > "$work/all.jsonl" 2> "$work/all.err"
run "$meshsim" compare "${sweep[@]}" > "$work/all.txt" 2>/dev/null
export meshsim
parallel --will-cite --jobs 4 'run() { "$@" || [ $? -eq 1 ]; }; run "$meshsim" compare '"${sweep[*]}"' --shard {}/4 --json > '"$work"'/shard-{}.jsonl 2>/dev/null' ::: 1 2 3 4
# Shards in any order: the merge orders them by each line's sweep.run.
run "$meshsim" merge "$work"/shard-4.jsonl "$work"/shard-2.jsonl "$work"/shard-1.jsonl "$work"/shard-3.jsonl --json \
  > "$work/merged.jsonl" 2> "$work/merged.err"
run "$meshsim" merge "$work"/shard-*.jsonl > "$work/merged.txt"
status=0
cmp "$work/all.jsonl" "$work/merged.jsonl" || { echo "merge --json: the JSON lines differ from the unsharded run" >&2; status=1; }
cmp <(table "$work/all.err") <(table "$work/merged.err") || { echo "merge --json: the table differs from the unsharded run" >&2; status=1; }
cmp "$work/all.txt" "$work/merged.txt" || { echo "merge: the table differs from the unsharded run" >&2; status=1; }
# A missing shard is an error, not a smaller table.
if "$meshsim" merge "$work"/shard-1.jsonl "$work"/shard-2.jsonl > /dev/null 2>&1; then
  echo "merge without shards 3 and 4 succeeded" >&2; status=1
elif [ $? -ne 2 ]; then echo "merge without shards 3 and 4: expected exit status 2" >&2; status=1; fi
[ $status -eq 0 ] && echo "merge of 4 shards (GNU parallel) = the unsharded compare: $(wc -l < "$work/all.jsonl") runs, byte for byte"
exit $status
