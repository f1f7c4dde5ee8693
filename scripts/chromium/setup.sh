#!/bin/sh
# Installs what the Chromium crosscheck needs, idempotently:
#   - Debian's `chromium` (apt-get), launched by path; `playwright install` is never run;
#   - a venv at .build/venv-chromium with `playwright` and `websockets` from PyPI.
# Prints the chromium version at the end. Needs root for apt-get.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
VENV="$ROOT/.build/venv-chromium"

if ! command -v chromium >/dev/null 2>&1; then
    echo "setup: installing Debian's chromium" >&2
    if [ "$(id -u)" != 0 ]; then echo "setup: chromium is missing and apt-get needs root" >&2; exit 1; fi
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
fi
if ! command -v unshare >/dev/null 2>&1 || ! command -v ip >/dev/null 2>&1; then
    echo "setup: installing util-linux and iproute2 (unshare, ip)" >&2
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y util-linux iproute2
fi

if [ ! -x "$VENV/bin/python" ]; then
    echo "setup: creating $VENV" >&2
    mkdir -p "$ROOT/.build"
    python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c 'import playwright, websockets' >/dev/null 2>&1; then
    echo "setup: installing playwright and websockets into $VENV (no browser download)" >&2
    "$VENV/bin/pip" install --quiet --disable-pip-version-check playwright websockets
fi

# Debian's launcher script prints a harmless shell warning on some hosts; keep only the version line.
VERSION=$(chromium --version 2>/dev/null | grep -i chromium | head -n 1)
if [ -z "$VERSION" ]; then echo "setup: 'chromium --version' printed no version" >&2; exit 1; fi
echo "$VERSION"
echo "python: $VENV/bin/python ($("$VENV/bin/python" -c 'import importlib.metadata as m; print("playwright", m.version("playwright"), "websockets", m.version("websockets"))'))"
