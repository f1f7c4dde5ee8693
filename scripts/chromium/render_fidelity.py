"""Writes the recorded numbers into docs/fidelity.md, between the markers
<!-- recordings:begin --> and <!-- recordings:end -->, from docs/fidelity/recordings/*/.

    python3 scripts/chromium/render_fidelity.py
    FIDELITY_RECORDINGS=docs/fidelity/recordings-lean FIDELITY_MARKER=recordings-lean python3 scripts/chromium/render_fidelity.py

FIDELITY_MARKER names the markers (<!-- NAME:begin --> and <!-- NAME:end -->) and the
recordings directory shown in the commands (docs/fidelity/NAME); default "recordings".
"""
import gzip
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
from metrics import fmt, table  # noqa: E402

REC = os.environ.get("FIDELITY_RECORDINGS") or os.path.join(ROOT, "docs", "fidelity", "recordings")
DOC = os.environ.get("FIDELITY_DOC") or os.path.join(ROOT, "docs", "fidelity.md")
MARKER = os.environ.get("FIDELITY_MARKER") or "recordings"
ORDER = ["two-peers-500ms", "six-peers-300ms", "ten-peers-300ms", "eight-tabs-150ms", "twelve-tabs-20ms",
         "sixteen-tabs-20ms", "reload-replace-3", "reload-seed-strict-3", "reload-seed-3", "leave-3", "wsdrop-3",
         "reload-keep-live-links-3", "wsdrop-keep-live-links-3", "leave-keep-live-links-3"]


def load(d, name):
    p = os.path.join(d, name)
    if os.path.exists(p):
        with open(p) as f:
            return json.load(f)
    if os.path.exists(p + ".gz"):
        with gzip.open(p + ".gz", "rt") as f:
            return json.load(f)
    return None


def text(d, name):
    for p, op in ((os.path.join(d, name), open), (os.path.join(d, name + ".gz"), gzip.open)):
        if os.path.exists(p):
            with op(p, "rt") as f:
                return f.read()
    return None


def fence_sequences(body):
    """put the indented sequence lists after "Most common ..." into code fences"""
    out, inside = [], False
    for line in body.splitlines():
        if inside and not line.startswith("  "):
            out.append("```")
            inside = False
        out.append(line)
        if line.startswith("Most common"):
            out.append("```")
            inside = True
    if inside:
        out.append("```")
    return "\n".join(out)


def frac(o):
    return f'{o["yes"]}/{o["n"]}' if o and o["n"] else "-"


def main():
    recs = []
    names = [n for n in ORDER if os.path.isdir(os.path.join(REC, n))] + \
            sorted(n for n in os.listdir(REC) if n not in ORDER and os.path.isdir(os.path.join(REC, n))) if os.path.isdir(REC) else []
    for n in names:
        d = os.path.join(REC, n)
        ch, ms, meta, rec = load(d, "chromium-metrics.json"), load(d, "meshsim-metrics.json"), load(d, "meta.json"), load(d, "recording.json")
        if not ch or not meta:
            continue
        recs.append((n, d, ch["aggregate"], ms["aggregate"] if ms else None, meta, rec or {}, ch["runs"]))
    out = []
    if not recs:
        out.append("No recordings yet.")
    else:
        metas = [r[4] for r in recs]
        out.append(f'Recorded {min(m["started"] for m in metas)[:10]} to {max(m["finished"] for m in metas)[:10]} with '
                   f'`{metas[0]["chromiumVersion"]}` (Playwright reports browser {metas[0].get("browserVersion")}), '
                   f'{metas[0]["nproc"]} cores, {recs[0][2]["runs"]} runs per scenario, by `scripts/chromium/record.sh`, '
                   f'which runs `scripts/chromium/crosscheck.sh scripts/chromium/scenarios/NAME.json --runs 3 --out docs/fidelity/{MARKER}/NAME` '
                   f'for each scenario. Each recording directory has `meta.json` (versions, launch flags, load averages), '
                   f'`recording.json` (the load-average wait), `summary.txt` (the printed tables), `chromium-metrics.json` '
                   f'and `meshsim-metrics.json` (every number, per run and per connection), `chromium-raw.json.gz` (every page '
                   f'event and server message) and MeshSim\'s report, trace and Perfetto file.')
        out.append("")
        out.append("### Load while recording")
        out.append("")
        rows = []
        for n, d, ch, ms, meta, rec, runs in recs:
            rows.append([n, rec.get("loadavgBeforeWait", "-").split(" ")[0] if rec else "-", rec.get("waitedSeconds", "-"),
                         "yes" if rec.get("gaveUpWaiting") else "no", (rec.get("loadavgAtStart") or "-").split(" ")[0],
                         (rec.get("loadavgAtEnd") or "-").split(" ")[0]])
        out.append(table(rows, ["scenario", "1-min load before waiting", "waited (s)", "gave up (recorded anyway)",
                                "1-min load at start", "1-min load at end"]))
        out.append("")
        out.append("The wait is per batch, so a batch's scenarios share its first two columns. Within a batch the "
                   "1-minute load average at a scenario's start is mostly the previous scenario's browser, which had "
                   "exited: the average decays over minutes." + (
                       " The 2-core box ran nothing else while `/tmp/chromium-recording.lock` was held."
                       if not any(rec.get("gaveUpWaiting") for *_, rec, _ in recs) else
                       " Where the wait gave up (`MAX_WAIT`), other work was running on the 2-core box during the "
                       "recording (" + ", ".join(n for n, *_, rec, _ in recs if rec.get("gaveUpWaiting")) +
                       "): their times are those of a loaded machine; where it did not, the box ran nothing else "
                       "while `/tmp/chromium-recording.lock` was held."))
        out.append("")
        out.append("### Joins: Chromium, median (min–max) over 3 runs")
        out.append("")
        out.append("Full mesh = every ordered pair of tabs received the other's 16-byte probe on its current connection; "
                   "times in ms after the last join's `hello` reached the server. Per-connection values are pooled over "
                   "all connections of the 3 runs.")
        out.append("")
        rows = []
        for n, d, ch, ms, meta, rec, runs in recs:
            seg = ch["segments"]
            rows.append([n, len(runs[0]["helloTimes"]), meta["policy"], fmt(ch["fullMeshAfterLastJoinMs"]) + f' [{ch["fullMeshRuns"]}/{ch["runs"]}]',
                         fmt(ch["helloLagMs"]), fmt(seg["online received -> both probes received"]),
                         frac(ch["orders"]["offerer: dc open before connectionState connected"]),
                         frac(ch["orders"]["answerer: dc open before connectionState connected"])])
        out.append(table(rows, ["scenario", "tabs", "policy", "full mesh after last join [full runs]", "hello lag",
                                "per connection: online → both probes", "dc open before connected, offerer",
                                "answerer"]))
        out.append("")
        out.append("Per-connection segments (Chromium, ms, median (min–max) over all connections of the 3 runs; O = offerer, A = answerer):")
        out.append("")
        segnames = list(recs[0][2]["segments"].keys())
        short = {
            "online received -> offer sent (offerer)": "online→offer sent",
            "offer sent -> offer received": "offer sent→received",
            "offer received -> answer sent (answerer)": "offer rx→answer sent",
            "answer sent -> answer received": "answer sent→received",
            "answer received -> ICE connected (offerer)": "answer rx→ICE connected (O)",
            "answer sent -> ICE connected (answerer)": "answer sent→ICE connected (A)",
            "ICE connected -> connected (offerer)": "ICE→connected (O)",
            "ICE connected -> connected (answerer)": "ICE→connected (A)",
            "connected -> dc open (offerer)": "connected→dc open (O)",
            "connected -> dc open (answerer)": "connected→dc open (A)",
        }
        keep = [s for s in segnames if s in short]
        rows = [[n] + [fmt(ch["segments"][s]) for s in keep] for n, d, ch, ms, meta, rec, runs in recs]
        out.append(table(rows, ["scenario"] + [short[s] for s in keep]))
        out.append("")
        out.append("Signals and candidates (Chromium, mean per run):")
        out.append("")
        rows = []
        for n, d, ch, ms, meta, rec, runs in recs:
            s, c = ch["signalsPerRun"], ch["candidatesPerRun"]
            rows.append([n, s.get("offer", 0), s.get("answer", 0), s.get("candidate", 0), ch["connectionsPerRun"],
                         c.get("host/udp", 0), c.get("host/tcp", 0),
                         f'{ch["selectedRemotePrflxPerRun"]} / {ch["selectedPairsPerRun"]}'])
        out.append(table(rows, ["scenario", "offers", "answers", "candidates relayed", "connections", "host udp",
                                "host tcp", "selected pairs with prflx remote / all"]))
        out.append("")
        dis = [(n, ch, ms) for n, d, ch, ms, meta, rec, runs in recs if ch["disruptions"]]
        if dis:
            out.append("### Reload, leave, WebSocket drop: Chromium, ms after the driver's call (a WebSocket drop: the page's own ws.close()), median (min–max) over observer connections of 3 runs")
            out.append("")
            rows = []
            for n, ch, ms in dis:
                for x in ch["disruptions"]:
                    def c(k):
                        s = fmt(x[k])
                        if x.get(k + "Never"):
                            s += f' (never {x[k + "Never"]}/{x["observerLinks"]})'
                        return s
                    rows.append([n, x["event"], c("dcClosing"), c("dcClose"), c("offline"), fmt(x["targetHello"]), c("online"),
                                 c("connDisconnected"), c("connFailed"), fmt(x["reconverged"]) + f' [{x["reconvergedRuns"]}/{ch["runs"]}]'])
            out.append(table(rows, ["scenario", "event", "remote dc closing", "remote dc close", "offline received",
                                    "target's new hello", "online received", "old conn disconnected", "old conn failed",
                                    "reconverged [runs]"]))
            out.append("")
        out.append("## MeshSim side by side")
        out.append("")
        commits = sorted({m.get("meshsimCommit", "?") for m in metas})
        notes = sorted({nn for m in metas for nn in m.get("meshsimNotes", [])})
        if len(commits) == 1:
            built = f"at commit {commits[0]}"
        else:
            built = "at the commit each recording names (" + "; ".join(
                c + ": " + ", ".join(r[0] for r in recs if r[4].get("meshsimCommit", "?") == c) for c in commits) + ")"
        nruns = sorted({r[4].get("meshsimRuns", 1) for r in recs})
        what = ("one deterministic run" if nruns == [1] else
                "the runs of the binary with the scenario's seed and the next ones (" + "/".join(map(str, nruns)) +
                " runs, pooled as Chromium's are; `--meshsim-runs`)")
        out.append(f'What `crosscheck.sh` printed for each scenario. The MeshSim column is {what}, of the binary '
                   f'built from the simulator {built} (the last commit that changed `Sources/` or '
                   f'`Package.swift` when it was recorded), on the same scenario with the loopback network described above.')
        refused = [nn for nn in notes if nn.startswith("this MeshSim binary refuses")]
        if refused:
            out.append("")
            out.append("This binary does not know the `machines`/`machine` fields yet (\"unknown field\"), so every "
                       "scenario ran without them: MeshSim modelled no CPU contention between the tabs.")
        for nn in notes:
            if nn not in refused:
                out.append("")
                out.append("MeshSim note: " + nn.replace(os.path.join(ROOT, ""), ""))
        for n, d, ch, ms, meta, rec, runs in recs:
            s = text(d, "summary.txt") or ""
            body = s.split("\n", 1)[1] if s.startswith("# ") else s
            out.append("")
            out.append(f"### {n}")
            out.append("")
            out.append(f"`scripts/chromium/crosscheck.sh scripts/chromium/scenarios/{n}.json --runs 3 --out docs/fidelity/{MARKER}/{n}`, "
                       f"{meta['started']}")
            out.append("")
            body = "\n".join(l for l in body.splitlines() if not l.startswith("MeshSim: this MeshSim binary refuses"))
            body = fence_sequences(body)
            out.append(body.strip().replace(os.path.join(ROOT, ""), ""))
    with open(DOC) as f:
        doc = f.read()
    b, e = f"<!-- {MARKER}:begin -->", f"<!-- {MARKER}:end -->"
    i, j = doc.index(b) + len(b), doc.index(e)
    doc = doc[:i] + "\n" + "\n".join(out) + "\n" + doc[j:]
    with open(DOC, "w") as f:
        f.write(doc)
    print(f"wrote {len(recs)} recordings into {os.path.relpath(DOC, ROOT)}")


if __name__ == "__main__":
    main()
