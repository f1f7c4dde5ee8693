#!/bin/sh
# Chromium crosscheck of one MeshSim scenario: real headless Chromium tabs on loopback inside
# a fresh network namespace, then MeshSim on the same scenario, printed side by side.
#   usage: scripts/chromium/crosscheck.sh SCENARIO.json [--runs N] [--out DIR] [--no-meshsim] [--log batch|console]
# Needs root (unshare -n), scripts/chromium/setup.sh once, and .build/release/MeshSim
# (swift build -c release). Exit status: 0 done, 2 the scenario cannot be mirrored, 1 failure.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PY="$ROOT/.build/venv-chromium/bin/python"
if [ $# -lt 1 ]; then
    echo "usage: scripts/chromium/crosscheck.sh SCENARIO.json [--runs N] [--out DIR] [--no-meshsim] [--log batch|console]" >&2
    exit 2
fi
if [ ! -x "$PY" ] || ! command -v chromium >/dev/null 2>&1; then
    echo "crosscheck: run scripts/chromium/setup.sh first (chromium or $PY missing)" >&2
    exit 1
fi
# Refuse what cannot be mirrored before starting anything.
"$PY" "$HERE/crosscheck.py" "$@" --check >/dev/null
if [ "${CROSSCHECK_IN_NETNS:-}" = 1 ]; then
    exec "$PY" "$HERE/crosscheck.py" "$@"
fi
if [ "$(id -u)" != 0 ]; then
    echo "crosscheck: needs root for 'unshare -n' (a network namespace with only loopback)" >&2
    exit 1
fi
# Re-run this script inside a new network namespace whose only interface is lo.
export CROSSCHECK_IN_NETNS=1
exec timeout --kill-after=30 7200 unshare -n sh -c 'ip link set lo up && exec "$0" "$@"' "$0" "$@"
