"""Per run of a Chromium recording: when the reloaded or closed tab's old page went away, as the
other tabs saw it. Milliseconds after the driver's `refresh` or `leave` mark: the old page's
`pagehide`, the first `offline` another tab received for it, and the first remote data channel
`closing` (none after a tab close: Chromium sends no SCTP ABORT then).

    python3 scripts/chromium/teardown_times.py DIR...

DIR is a crosscheck output directory (it reads chromium-raw.json.gz). Used in docs/fidelity.md,
"Server process recordings".
"""
import gzip
import json
import os
import sys


def first_after(events, t, pred, window=1000.0):
    times = sorted(e["ep"] - t for e in events if pred(e) and t - 5 < e["ep"] < t + window)
    return round(times[0], 1) if times else None


def main(dirs):
    for d in dirs:
        with gzip.open(os.path.join(d, "chromium-raw.json.gz"), "rt") as f:
            runs = json.load(f)
        rows = []
        for run in runs:
            marks = [m for m in run["marks"] if m["ev"] in ("refresh", "leave")]
            if not marks:
                continue
            m = marks[0]
            t, who = m["ep"], m.get("peer")
            trace = run["trace"]
            rows.append((m["ev"],
                         first_after(trace, t, lambda e: e["ev"] == "page" and e.get("state") == "pagehide" and e.get("tab") == who),
                         first_after(trace, t, lambda e: e["ev"] == "offline" and e.get("peer") == who),
                         first_after(trace, t, lambda e: e["ev"] == "dataChannel" and e.get("state") == "closing" and e.get("peer") == who)))
        print(os.path.basename(os.path.normpath(d)))
        for i, (ev, hide, off, closing) in enumerate(rows):
            print(f"  run {i + 1}: {ev}: pagehide {hide}, first offline {off}, first remote closing {closing}")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print(__doc__.strip(), file=sys.stderr)
        sys.exit(2)
    main(sys.argv[1:])
