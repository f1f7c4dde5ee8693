#!/usr/bin/env bash
# Rewrites Tests/Malformed/*.expected from what `MeshSim validate` prints now, for when a
# message changes on purpose (a new field in an "expected one of" list, a new policy name).
# Review the diff before committing: MalformedScenarioTests compares against these files.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build
for f in Tests/Malformed/*.json; do
  .build/debug/MeshSim validate "$f" 2> "${f%.json}.expected" > /dev/null && {
    echo "update-malformed-expected.sh: $f was accepted; it must be malformed" >&2; exit 1; }
done
git diff --stat -- Tests/Malformed
