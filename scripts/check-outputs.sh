#!/usr/bin/env bash
# Checks MeshSim's --svg and --html files as a reader's tools would parse them, with xmllint
# (Debian's libxml2-utils, installed if missing):
# - every SVG is well-formed XML (`xmllint --noout`) with an <svg> root in the SVG namespace;
# - every HTML page parses with libxml2's HTML parser (`xmllint --html --noout`) without an
#   error. That parser knows HTML 4 only, so "Tag svg invalid" and the like for the inline SVG
#   elements and <section> are expected and tolerated; any other message (a mismatched or
#   unexpected tag, a bad attribute, an encoding error) fails the check. A page must hold no
#   <script>, and a scenario name full of markup must come out escaped.
# Runs `scenario` on passing and failing runs (stuck pairs, a stopped run, a name with markup)
# and `compare`.
# Usage: scripts/check-outputs.sh [MESHSIM_BINARY]   (default: .build/release/MeshSim)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-.build/release/MeshSim}
[ -x "$bin" ] || { echo "check-outputs: $bin not built (swift build -c release)" >&2; exit 1; }
if ! command -v xmllint >/dev/null; then
  echo "check-outputs: installing xmllint (libxml2-utils)" >&2
  sudo_=""; [ "$(id -u)" = 0 ] || sudo_="sudo"
  $sudo_ apt-get update -qq >/dev/null && $sudo_ apt-get install -y -qq libxml2-utils >/dev/null
fi

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
printf '%s' '{"name": "<script>alert(1)</script> & \"c\" \u0001 \u001b[31m", "description": "</p><b>x", "duration": "2s", "peers": [{"id": "a"}, {"id": "b", "join": "1900ms"}]}' > "$dir/odd&name.json"

status=0
# The elements libxml2's HTML 4 parser reports as "Tag X invalid" though HTML5 has them.
html5='svg|g|path|rect|text|title|desc|section'

check_svg() {  # FILE
  local f=$1
  if ! xmllint --noout "$f" 2>"$dir/lint"; then
    echo "check-outputs: $f: not well-formed XML:" >&2; cat "$dir/lint" >&2; status=1; return
  fi
  local root ns
  root=$(xmllint --xpath 'local-name(/*)' "$f")
  ns=$(xmllint --xpath 'namespace-uri(/*)' "$f")
  if [ "$root" != svg ] || [ "$ns" != "http://www.w3.org/2000/svg" ]; then
    echo "check-outputs: $f: root <$root> in namespace '$ns', expected <svg> in the SVG namespace" >&2; status=1; return
  fi
  echo "check-outputs: ok $f (SVG)"
}

check_html() {  # FILE
  local f=$1
  xmllint --html --noout "$f" 2>"$dir/lint" || true
  # xmllint exits 0 on HTML parser errors: read its messages instead.
  if grep -E '(parser|HTML parser) error' "$dir/lint" | grep -vE "HTML parser error : Tag ($html5) invalid\$" >"$dir/errors"; then
    echo "check-outputs: $f: HTML errors:" >&2; cat "$dir/errors" >&2; status=1; return
  fi
  if grep -qi '<script' "$f"; then
    echo "check-outputs: $f: holds a <script>" >&2; status=1; return
  fi
  echo "check-outputs: ok $f (HTML, $(grep -c 'Tag .* invalid' "$dir/lint" || true) HTML5/SVG tags tolerated)"
}

"$bin" scenario Scenarios/2-peers.json Scenarios/lifecycle/refresh-crash-restore.seed.json Scenarios/nat/classic-matrix-stun.json \
  --html "$dir/scenario.html" >/dev/null || true
check_html "$dir/scenario.html"
for f in Scenarios/lifecycle/refresh-crash-restore.seed.json Scenarios/10-peers.json; do
  "$bin" scenario "$f" --svg "$dir/one.svg" --html "$dir/one.html" >/dev/null || true
  check_svg "$dir/one.svg"
  check_html "$dir/one.html"
done
"$bin" scenario "$dir/odd&name.json" --svg "$dir/odd.svg" --html "$dir/odd.html" >/dev/null || true
check_svg "$dir/odd.svg"
check_html "$dir/odd.html"
if ! grep -q '&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;c&quot;' "$dir/odd.html"; then
  echo "check-outputs: $dir/odd.html: the scenario name is not escaped as expected" >&2; status=1
fi
"$bin" scenario Scenarios/2-peers.json --until 500ms --svg "$dir/stopped.svg" --html "$dir/stopped.html" >/dev/null || true
check_svg "$dir/stopped.svg"
check_html "$dir/stopped.html"
"$bin" compare Scenarios/lifecycle/refresh-crash-restore.seed.json --policies seed,resilient,replace --seeds 1-3 --jobs 2 \
  --svg "$dir/compare.svg" --html "$dir/compare.html" >/dev/null || true
check_svg "$dir/compare.svg"
check_html "$dir/compare.html"
exit $status
