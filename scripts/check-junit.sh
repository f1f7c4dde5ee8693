#!/usr/bin/env bash
# Checks MeshSim's JUnit XML as a CI dashboard would read it: well-formed, valid against
# scripts/junit.xsd (xmllint, from Debian's libxml2-utils, installed if missing), and with
# counts that agree with its test cases. Runs `scenario` and `compare` on passing and failing
# runs, names with markup and control characters included.
# Usage: scripts/check-junit.sh [MESHSIM_BINARY]   (default: .build/release/MeshSim)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-.build/release/MeshSim}
[ -x "$bin" ] || { echo "check-junit: $bin not built (swift build -c release)" >&2; exit 1; }
if ! command -v xmllint >/dev/null; then
  echo "check-junit: installing xmllint (libxml2-utils)" >&2
  sudo_=""; [ "$(id -u)" = 0 ] || sudo_="sudo"
  $sudo_ apt-get update -qq >/dev/null && $sudo_ apt-get install -y -qq libxml2-utils >/dev/null
fi

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
printf '%s' '{"name": "a <b> & \"c\" \u0001 \u001b[31m", "duration": "2s", "peers": [{"id": "a"}, {"id": "b", "join": "1900ms"}]}' > "$dir/odd&name.json"

status=0
check() {  # FILE EXPECTED_TESTS EXPECTED_FAILURES
  local f=$1 tests=$2 failures=$3
  xmllint --noout --schema scripts/junit.xsd "$f" 2>"$dir/lint" || { cat "$dir/lint" >&2; status=1; return; }
  local t u c
  t=$(xmllint --xpath 'string(/testsuites/@tests)' "$f")
  u=$(xmllint --xpath 'string(/testsuites/@failures)' "$f")
  c=$(xmllint --xpath 'count(//testcase)' "$f")
  if [ "$t" != "$tests" ] || [ "$u" != "$failures" ] || [ "$c" != "$tests" ]; then
    echo "check-junit: $f: tests=$t failures=$u testcases=$c, expected $tests and $failures" >&2
    status=1
  else
    echo "check-junit: ok $f ($tests tests, $failures failures)"
  fi
}

"$bin" scenario Scenarios/2-peers.json Scenarios/lifecycle/refresh-crash-restore.seed.json "$dir/odd&name.json" \
  --junit "$dir/scenario.xml" >/dev/null || true
check "$dir/scenario.xml" 3 1
"$bin" compare Scenarios/2-peers.json Scenarios/lifecycle/refresh-crash-restore.seed.json --policies seed,resilient \
  --seeds 1-3 --jobs 2 --junit "$dir/compare.xml" >/dev/null || true
check "$dir/compare.xml" 12 3
"$bin" scenario Scenarios/2-peers.json --until 500ms --junit "$dir/stopped.xml" >/dev/null || true
check "$dir/stopped.xml" 1 1
exit $status
