#!/bin/sh
# Records the crosscheck scenarios into docs/fidelity/recordings/<name>/ (3 runs each).
#   usage: scripts/chromium/record.sh [SCENARIO_NAME ...]   (default: every file in scenarios/)
# Timing hygiene: before each scenario, waits until the 1-minute load average is below 0.5
# (polls every 10 s, gives up after 15 min and records anyway, noting it), and holds
# /tmp/chromium-recording.lock while recording so that nobody starts a build meanwhile.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT="$ROOT/docs/fidelity/recordings"
LOCK=/tmp/chromium-recording.lock
RUNS=${RUNS:-3}
trap 'rm -f "$LOCK"' EXIT INT TERM HUP

load1() { cut -d' ' -f1 /proc/loadavg; }
below() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }

if [ $# -gt 0 ]; then NAMES="$*"; else NAMES=$(cd "$HERE/scenarios" && ls *.json | sed 's/\.json$//'); fi
mkdir -p "$OUT"
for name in $NAMES; do
    sc="$HERE/scenarios/$name.json"
    [ -f "$sc" ] || { echo "record: no scenario $sc" >&2; exit 2; }
    before=$(cat /proc/loadavg)
    waited=0
    gaveup=false
    while ! below "$(load1)" 0.5; do
        if [ "$waited" -ge 900 ]; then gaveup=true; break; fi
        sleep 10
        waited=$((waited + 10))
    done
    start=$(cat /proc/loadavg)
    echo "record: $name (load average before waiting: $before; after $waited s: $start; gave up: $gaveup)" >&2
    dir="$OUT/$name"
    rm -rf "$dir"
    mkdir -p "$dir"
    : > "$LOCK"
    status=0
    "$HERE/crosscheck.sh" "$sc" --runs "$RUNS" --out "$dir" > "$dir/summary.txt" 2> "$dir/log.txt" || status=$?
    rm -f "$LOCK"
    end=$(cat /proc/loadavg)
    cat > "$dir/recording.json" <<JSON
{"scenario": "scripts/chromium/scenarios/$name.json", "runs": $RUNS, "date": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
 "loadavgBeforeWait": "$before", "waitedSeconds": $waited, "gaveUpWaiting": $gaveup,
 "loadavgAtStart": "$start", "loadavgAtEnd": "$end", "exitStatus": $status,
 "lockFile": "$LOCK"}
JSON
    # keep the repository small: compress anything over ~200 KB
    find "$dir" -type f ! -name '*.gz' -size +200k -exec gzip -9 {} \;
    if [ "$status" != 0 ]; then echo "record: $name failed (exit $status), see $dir/log.txt" >&2; fi
done
