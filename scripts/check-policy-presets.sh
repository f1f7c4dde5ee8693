#!/usr/bin/env bash
# Policies are data (docs/policies.md): each built-in's object, printed by
# `MeshSim policies --json`, saved as a file and given back with `--policy FILE`, must give
# the same trace hash as the built-in's name. Checks every scenario in Scenarios/ (but the
# 1000-peer one) under its own policy, and every built-in on the scenarios with fewer than
# 100 peers. Fails (non-zero) on any difference.
# Usage: scripts/check-policy-presets.sh [MESHSIM_BINARY]   (default: .build/release/MeshSim)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-.build/release/MeshSim}
[ -x "$bin" ] || { echo "check-policy-presets: $bin not built (swift build -c release)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
names=()
while IFS= read -r line; do
  name=$(printf '%s' "$line" | sed 's/^{"name":"\([^"]*\)".*/\1/')
  printf '%s\n' "$line" > "$work/$name.json"
  names+=("$name")
done < <("$bin" policies --json)
hash() { "$bin" scenario "$@" --json | grep -o '"traceHash":"[0-9a-f]*"' || true; }
fails=0 checked=0
for f in $(find Scenarios -name '*.json' | sort | grep -v 1000-peers); do
  own=$("$bin" validate "$f" --json | sed 's/.*"policy":"\([^"]*\)".*/\1/')
  list=("$own")
  case "$f" in *100-peers*) ;; *) list=("${names[@]}") ;; esac
  for p in "${list[@]}"; do
    [ -f "$work/$p.json" ] || continue
    a=$(hash "$f" --policy "$p"); b=$(hash "$f" --policy "$work/$p.json")
    checked=$((checked + 1))
    if [ -z "$a" ] || [ "$a" != "$b" ]; then
      echo "check-policy-presets: $f: --policy $p gives $a, its object gives $b" >&2
      fails=$((fails + 1))
    fi
  done
done
echo "check-policy-presets: $checked runs compared, $fails differences"
[ "$fails" -eq 0 ]
