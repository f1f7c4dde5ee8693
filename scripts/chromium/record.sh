#!/bin/sh
# Records crosscheck scenarios into docs/fidelity/recordings/<name>/ (3 runs each).
#   usage: scripts/chromium/record.sh "NAME NAME ..." ["NAME ..." ...]
#   Each argument is one batch of scenario names (files in scripts/chromium/scenarios/);
#   with no argument, three batches: the joins, then reload/leave/wsDrop, then the same under
#   keep-live-links (the JavaScript of docs/policies.md).
# Timing hygiene, per batch: create /tmp/chromium-recording.lock (so that nobody starts a
# build), wait until the 1-minute load average is below 0.5 (poll every 10 s; after 15 min
# record anyway and note it; LOAD_BELOW and MAX_WAIT (seconds) change these two), record the batch's scenarios one after another (20 s pause
# between them for the browser's load to settle), remove the lock (a trap removes it on
# failure too). Each recording's recording.json keeps the load averages, and cpu-sample.json.gz
# the CPU each role of process, and each kind of Chromium thread, used while it recorded
# (scripts/chromium/cpu_sample.py --threads).
# Environment: RECORD_OUT (default docs/fidelity/recordings) is where the recordings go;
# CROSSCHECK_ARGS is passed on to crosscheck.sh (e.g. "--log console" for the harness that
# printed one console line per record, "--no-meshsim" to run the MeshSim side later with
# crosscheck.py DIR --rerun-meshsim).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=${RECORD_OUT:-"$ROOT/docs/fidelity/recordings"}
CROSSCHECK_ARGS=${CROSSCHECK_ARGS:-}
LOCK=/tmp/chromium-recording.lock
RUNS=${RUNS:-3}
LOAD_BELOW=${LOAD_BELOW:-0.5}
MAX_WAIT=${MAX_WAIT:-900}
trap 'rm -f "$LOCK"' EXIT
trap 'rm -f "$LOCK"; exit 1' INT TERM HUP

load1() { cut -d' ' -f1 /proc/loadavg; }
below() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }

if [ $# -eq 0 ]; then
    set -- "two-peers-500ms six-peers-300ms ten-peers-300ms eight-tabs-150ms twelve-tabs-20ms sixteen-tabs-20ms" \
           "reload-replace-3 reload-seed-strict-3 reload-seed-3 leave-3 wsdrop-3" \
           "reload-keep-live-links-3 wsdrop-keep-live-links-3 leave-keep-live-links-3"
fi
mkdir -p "$OUT"
for batch in "$@"; do
    for name in $batch; do
        [ -f "$HERE/scenarios/$name.json" ] || { echo "record: no scenario scripts/chromium/scenarios/$name.json" >&2; exit 2; }
    done
    : > "$LOCK"
    before=$(cat /proc/loadavg)
    waited=0
    gaveup=false
    while ! below "$(load1)" "$LOAD_BELOW"; do
        if [ "$waited" -ge "$MAX_WAIT" ]; then gaveup=true; break; fi
        sleep 10
        waited=$((waited + 10))
    done
    first=true
    for name in $batch; do
        if [ "$first" = false ]; then sleep 20; fi
        first=false
        start=$(cat /proc/loadavg)
        echo "record: $name (batch: $batch; load before waiting: $before; waited $waited s, gave up: $gaveup; now: $start)" >&2
        dir="$OUT/$name"
        rm -rf "$dir"
        mkdir -p "$dir"
        status=0
        python3 "$HERE/cpu_sample.py" "$dir/cpu-sample.json" --period 0.1 --threads &
        sampler=$!
        # shellcheck disable=SC2086 # CROSSCHECK_ARGS is a list of words
        "$HERE/crosscheck.sh" "$HERE/scenarios/$name.json" --runs "$RUNS" --out "$dir" $CROSSCHECK_ARGS > "$dir/summary.txt" 2> "$dir/log.txt" || status=$?
        kill -TERM "$sampler" 2>/dev/null || true; wait "$sampler" || true
        if [ -f "$dir/cpu-sample.json" ]; then gzip -9 "$dir/cpu-sample.json"; fi
        rm -f "$dir/summary.md"   # the same text as summary.txt
        end=$(cat /proc/loadavg)
        cat > "$dir/recording.json" <<JSON
{"scenario": "scripts/chromium/scenarios/$name.json", "runs": $RUNS, "date": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
 "batch": "$batch", "loadavgBeforeWait": "$before", "waitedSeconds": $waited, "gaveUpWaiting": $gaveup,
 "loadBelow": $LOAD_BELOW, "maxWaitSeconds": $MAX_WAIT, "loadavgAtStart": "$start", "loadavgAtEnd": "$end", "exitStatus": $status, "lockFile": "$LOCK",
 "crosscheckArgs": "$CROSSCHECK_ARGS"}
JSON
        # keep the repository small: compress anything over ~200 KB
        find "$dir" -type f ! -name '*.gz' -size +200k -exec gzip -9 {} \;
        if [ "$status" != 0 ]; then echo "record: $name failed (exit $status), see $dir/log.txt" >&2; fi
    done
    rm -f "$LOCK"
done
