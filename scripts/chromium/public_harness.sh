#!/bin/sh
# The calibration harness's experiments 1 and 2 (docs/calibration/chromium) run again, as they
# were recorded ("asis": every page record printed to the console and read by the Python
# driver through Playwright) and "quiet": the same pages and driver, but the records stay in
# the page (`window.__trace`) and the driver reads them once after the join, so nothing crosses
# to the DevTools client while the tabs work. What the difference says: docs/fidelity.md,
# "Instrumented pages"; docs/model.md, "Instrumented pages".
#
# Usage: scripts/chromium/public_harness.sh OUTDIR [REPS]    (root: unshare -n; after setup.sh)
# Writes OUTDIR/asis and OUTDIR/quiet (each the harness's exp1/exp2 results and raw traces) and
# prints each run's full mesh time.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${1:?usage: public_harness.sh OUTDIR [REPS]}
REPS=${2:-3}
PY="$ROOT/.build/venv-chromium/bin/python"
[ -x "$PY" ] || { echo "public_harness.sh: run scripts/chromium/setup.sh first" >&2; exit 2; }
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cp -r "$ROOT/docs/calibration/chromium/harness" "$WORK/asis"
cp -r "$ROOT/docs/calibration/chromium/harness" "$WORK/quiet"
"$PY" - "$WORK/quiet" <<'PYEOF'
import sys, os
d = sys.argv[1]
def edit(name, old, new):
    p = os.path.join(d, name)
    s = open(p).read()
    assert s.count(old) == 1, (name, old[:50])
    open(p, "w").write(s.replace(old, new))
edit("mesh.js", "try { console.log('TRACE ' + JSON.stringify(rec)); } catch (e) { /* ignore */ }",
     "/* quiet: the records stay in window.__trace */")
edit("run_experiments.py", """    async def wait_for(self, pred, timeout):
        t_end = time.time() + timeout""", """    async def sync(self):
        # quiet: each page's new records, in one evaluate per page
        have = self.__dict__.setdefault("_have", {})
        for label, page in self.pages.items():
            if page.is_closed():
                continue
            try:
                recs = await page.evaluate(f"window.__trace ? window.__trace.slice({have.get(label, 0)}) : []")
            except Exception:
                continue
            have[label] = have.get(label, 0) + len(recs)
            for r in recs:
                r["label"] = label
                self.trace.append(r)

    async def wait_for(self, pred, timeout):
        # quiet: nothing read while the pages work; one read after a fixed wait, then polls
        await asyncio.sleep(float(os.environ.get("QUIET_WAIT", "4")))
        await self.sync()
        v = pred()
        if v:
            return v
        t_end = time.time() + timeout""")
edit("run_experiments.py", """            v = pred()
            if v:
                return v
            await asyncio.sleep(0.05)""", """            await self.sync()
            v = pred()
            if v:
                return v
            await asyncio.sleep(0.5)""")
PYEOF
for v in asis quiet; do
    echo "== $v (REPS=$REPS, N=6 x$REPS and N=10 x1)"
    (cd "$WORK/$v" && REPS=$REPS N2=6 N2_EXTRA=10 PYTHON="$PY" sh run_in_netns.sh "$OUT/$v" 1 2 | grep -E '^exp')
done
