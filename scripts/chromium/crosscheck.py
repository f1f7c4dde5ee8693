"""Chromium crosscheck driver: run a MeshSim scenario with real headless Chromium tabs on
loopback, then the same scenario in MeshSim, and print both side by side.

Run it through crosscheck.sh, which re-executes this inside `unshare -n` (a network namespace
whose only interface is `lo`). See docs/fidelity.md.
"""
import argparse
import asyncio
import datetime
import functools
import gzip
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
import metrics  # noqa: E402

LAUNCH_ARGS = [
    "--disable-features=WebRtcHideLocalIpsWithMdns",  # real 127.0.0.1 host candidates, no mDNS names
    "--allow-loopback-in-peer-connection",            # gather loopback candidates
    "--no-sandbox",                                   # running as root
]
CONTEXT_PERMISSIONS = ["microphone", "camera"]  # Chromium lists local interfaces only for such pages
POLICIES = ("seed", "seed-strict", "replace", "keep-live-links")
# keep-live-links runs docs/policies.md's published JavaScript (page/keep-live-links.html);
# the others run page/mesh.js.
POLICY_DOC = os.path.join(ROOT, "docs", "policies.md")
POLICY_DOC_SECTION = "## The recommended policy as page logic"


def published_policy_code():
    """The first ```js block after POLICY_DOC_SECTION in docs/policies.md, byte for byte."""
    with open(POLICY_DOC, encoding="utf-8") as f:
        text = f.read()
    at = text.find(POLICY_DOC_SECTION)
    start = text.find("```js\n", at) if at >= 0 else -1
    end = text.find("\n```", start + 6) if start >= 0 else -1
    if start < 0 or end < 0:
        raise RuntimeError(f"{POLICY_DOC}: no ```js block after '{POLICY_DOC_SECTION}'")
    return text[start + 6:end + 1]
LOOPBACK_NETWORK = {"latency": "0.05ms", "jitter": "0ms", "server": {"latency": "0ms"}, "stun": False, "turn": False}
STEP_TIMEOUT = 20.0   # seconds for any single browser step (page load, evaluate, reload, close)
PRE_TAKE_MS = 250.0   # a reloading page's records are taken this long before the reload


class Refused(Exception):
    pass


# ----------------------------------------------------------------------------- scenario
def parse_duration(s, where):
    if not isinstance(s, str):
        raise Refused(f"{where}: expected a duration string such as \"300ms\", got {s!r}")
    m = re.fullmatch(r"(\d+(?:\.\d+)?)(us|ms|s|m)", s)
    if not m:
        raise Refused(f"{where}: expected a duration such as \"300ms\", got {s!r}")
    return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[m.group(2)]


def load_scenario(path):
    """The parts the crosscheck can mirror, or Refused with a one-line reason."""
    try:
        with open(path) as f:
            sc = json.load(f)
    except (OSError, ValueError) as e:
        raise Refused(f"{path}: cannot read the scenario: {e}")
    if not isinstance(sc, dict):
        raise Refused(f"{path}: expected a JSON object")
    allowed_top = {"$schema", "name", "description", "seed", "duration", "policy", "network", "peers", "events", "expect"}
    for k in sc:
        if k not in allowed_top:
            raise Refused(f"{path}: {k}: the crosscheck cannot mirror this field")
    policy = sc.get("policy", "seed")
    if policy not in POLICIES:
        raise Refused(f"{path}: policy: the page implements {', '.join(POLICIES)}, not {policy!r}")
    net = sc.get("network")
    if net is not None:
        if net != LOOPBACK_NETWORK:
            raise Refused(f"{path}: network: the crosscheck runs on loopback and sets the network itself; leave `network` out")
    duration = parse_duration(sc.get("duration"), "duration")
    peers = []  # (name, join ms)
    for i, p in enumerate(sc.get("peers") or []):
        where = f"peers[{i}]"
        extra = set(p) - {"id", "join", "count", "idPrefix", "nat"}
        if extra:
            raise Refused(f"{path}: {where}.{sorted(extra)[0]}: the crosscheck cannot mirror this field (all tabs share one loopback host)")
        if p.get("nat", "none") != "none":
            raise Refused(f"{path}: {where}.nat: the crosscheck has no NAT (loopback only)")
        if "count" in p or "idPrefix" in p:
            n, prefix = p.get("count"), p.get("idPrefix")
            if not isinstance(n, int) or not isinstance(prefix, str):
                raise Refused(f"{path}: {where}: a group needs an integer count and an idPrefix")
            j = p.get("join", "0s")
            if isinstance(j, dict):
                start = parse_duration(j.get("start", "0s"), f"{where}.join.start")
                every = parse_duration(j.get("every", "0s"), f"{where}.join.every")
            else:
                start, every = parse_duration(j, f"{where}.join"), 0.0
            width = len(str(n))
            for k in range(n):
                peers.append((f"{prefix}{str(k + 1).zfill(width)}", start + k * every))
        else:
            peers.append((p["id"], parse_duration(p.get("join", "0s"), f"{where}.join")))
    if not peers:
        raise Refused(f"{path}: peers: no peers")
    names = [n for n, _ in peers]
    if len(set(names)) != len(names):
        raise Refused(f"{path}: peers: duplicate peer ids")
    events = []
    for i, e in enumerate(sc.get("events") or []):
        where = f"events[{i}]"
        do = e.get("do")
        at = parse_duration(e.get("at"), f"{where}.at")
        if do not in ("refresh", "leave", "wsDrop"):
            raise Refused(f"{path}: {where}.do: the crosscheck mirrors refresh, leave and wsDrop, not {do!r}")
        if e.get("peer") not in names:
            raise Refused(f"{path}: {where}.peer: unknown peer {e.get('peer')!r}")
        ev = {"at": at, "do": do, "peer": e["peer"]}
        if do == "refresh":
            if e.get("clean", True) is not True:
                raise Refused(f"{path}: {where}.clean: a crash-and-restore refresh cannot be mirrored with page.reload()")
            ev["downtime"] = parse_duration(e.get("downtime", "500ms"), f"{where}.downtime")
            extra = set(e) - {"at", "do", "peer", "downtime", "clean"}
        elif do == "wsDrop":
            ev["reconnectAfter"] = parse_duration(e.get("reconnectAfter", "1s"), f"{where}.reconnectAfter")
            extra = set(e) - {"at", "do", "peer", "reconnectAfter"}
        else:
            extra = set(e) - {"at", "do", "peer"}
        if extra:
            raise Refused(f"{path}: {where}.{sorted(extra)[0]}: the crosscheck cannot mirror this field")
        events.append(ev)
    events.sort(key=lambda x: x["at"])
    left = set()
    for ev in events:
        if ev["peer"] in left:
            raise Refused(f"{path}: an event names {ev['peer']!r} after it left")
        if ev["do"] == "leave":
            left.add(ev["peer"])
    if len(peers) > 24:
        raise Refused(f"{path}: peers: {len(peers)} tabs is more than this crosscheck runs (24)")
    return {"raw": sc, "name": sc.get("name", os.path.basename(path)), "policy": policy, "duration": duration,
            "peers": peers, "events": events}


# ----------------------------------------------------------------------------- chromium
class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def end_headers(self):
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def do_GET(self):
        if self.path.split("?")[0] == "/keep-live-links.js":
            body = published_policy_code().encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "text/javascript; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()


def start_http():
    handler = functools.partial(QuietHandler, directory=os.path.join(HERE, "page"))
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, srv.server_address[1]


def now_ms():
    return round(time.time() * 1000, 3)


async def step(aw, what, timeout=STEP_TIMEOUT):
    try:
        return await asyncio.wait_for(aw, timeout)
    except asyncio.TimeoutError:
        raise RuntimeError(f"timed out after {timeout:.0f} s: {what}")


async def start_servers(log_path):
    """The page and signaling servers in a process of their own (`servers.py`, which says
    why): the process and its HTTP and WebSocket ports."""
    proc = await asyncio.create_subprocess_exec(sys.executable, os.path.join(HERE, "servers.py"), log_path,
                                                stdout=asyncio.subprocess.PIPE)
    line = await step(proc.stdout.readline(), "start the page and signaling servers", 10)
    try:
        http_port, ws_port = (int(x) for x in line.split())
    except ValueError:
        proc.kill()
        raise RuntimeError(f"servers.py did not start: {line!r}")
    return proc, http_port, ws_port


async def stop_servers(proc, log_path):
    """Stop the servers' process; the signaling server's log it wrote."""
    if proc.returncode is None:
        proc.terminate()
    try:
        await asyncio.wait_for(proc.wait(), 10)
    except asyncio.TimeoutError:
        proc.kill()
        raise RuntimeError("servers.py did not stop within 10 s")
    with open(log_path) as f:
        server_log = json.load(f)
    os.remove(log_path)
    return server_log


async def chromium_run(browser, sc, outdir, run_no, log, log_mode="batch"):
    server_log_path = os.path.join(outdir, f".server-log-{run_no}.json")
    server, http_port, ws_port = await start_servers(server_log_path)
    trace, marks = [], []
    ctxs, pages = {}, {}

    def mark(ev, **kw):
        r = {"ep": now_ms(), "ev": ev}
        r.update(kw)
        marks.append(r)
        return r

    def on_console(name, msg):
        try:
            txt = msg.text
        except Exception:
            return
        if txt.startswith("TRACE "):
            try:
                r = json.loads(txt[6:])
            except ValueError:
                return
            r["tab"] = name
            trace.append(r)
        elif txt.startswith("TRACEBATCH "):
            try:
                batch = json.loads(txt[11:])
            except ValueError:
                return
            take(name, batch)

    taken = set()

    def take(name, batch):
        # a batch the page kept (the lean harness): a record can come twice (a reloading
        # page's last batch is both printed and handed to its next document), once here
        for r in batch or []:
            key = (name, r.get("load"), r.get("seq"))
            if key in taken:
                continue
            taken.add(key)
            r["tab"] = name
            trace.append(r)

    async def take_from(name, page):
        if log_mode == "batch" and not page.is_closed():
            take(name, await step(page.evaluate("mesh.takeTrace()"), f"records of {name}", 10))

    try:
        # every tab loads first; the page connects only when told (mesh.join())
        for name, _ in sc["peers"]:
            ctx = await step(browser.new_context(permissions=CONTEXT_PERMISSIONS), f"new context for {name}")
            page = await step(ctx.new_page(), f"new page for {name}")
            page.on("console", lambda m, name=name: on_console(name, m))
            page.on("pageerror", lambda e, name=name: trace.append({"ep": now_ms(), "uid": name, "load": 0, "ev": "pageerror",
                                                                    "message": str(e)}))
            html = "keep-live-links.html" if sc["policy"] == "keep-live-links" else "mesh.html"
            url = f"http://127.0.0.1:{http_port}/{html}?ws={ws_port}&policy={sc['policy']}&uid={name}"
            if log_mode == "console":
                url += "&log=console"
            await step(page.goto(url, timeout=STEP_TIMEOUT * 1000), f"load the page for {name}")
            ctxs[name], pages[name] = ctx, page
        await asyncio.sleep(0.5)
        t0 = now_ms() + 1000.0 + 100.0 * len(pages)
        mark("t0", t0=t0)
        # each page opens its WebSocket at its join time by its own timer
        for name, j in sc["peers"]:
            await step(pages[name].evaluate(f"mesh.joinAt({t0 + j})"), f"schedule the join of {name}")
            mark("join-scheduled", peer=name, at=t0 + j)
        if now_ms() > t0:
            raise RuntimeError("scheduling the joins took longer than the lead time")
        actions = [(e["at"], e["do"], e) for e in sc["events"]]
        actions.sort(key=lambda a: a[0])
        tasks = []

        async def do(kind, a):
            name = a["peer"]
            page = pages[name]
            if kind == "refresh":
                mark("refresh", peer=name)
                rejoin = t0 + a["at"] + a["downtime"]
                await step(page.evaluate(f"mesh.holdNextLoadUntil({rejoin})"), f"hold {name}")
                await step(page.reload(timeout=STEP_TIMEOUT * 1000), f"reload {name}")
                mark("reload-returned", peer=name)
            elif kind == "leave":
                await take_from(name, page)
                mark("leave", peer=name)
                await step(page.close(), f"close {name}")
                mark("close-returned", peer=name)
            elif kind == "wsDrop":
                mark("wsDrop", peer=name)
                await step(page.evaluate(f"mesh.dropWs({a['reconnectAfter']})"), f"wsDrop {name}")

        async def take_ahead(a):
            # A reloading page's `pagehide` handler hands its records to the next document;
            # taken by the driver 250 ms before, they are few, so the handler does not hold
            # the unload up serialising a whole run's records (session 17). Not right before
            # the reload: the take itself would then delay it.
            delay = (t0 + a["at"] - PRE_TAKE_MS - now_ms()) / 1000.0
            if delay > 0:
                await asyncio.sleep(delay)
            await take_from(a["peer"], pages[a["peer"]])

        for at, kind, a in actions:
            if kind == "refresh":
                tasks.append(asyncio.create_task(take_ahead(a)))
        for at, kind, a in actions:
            delay = (t0 + at - now_ms()) / 1000.0
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(do(kind, a)))
        end = t0 + sc["duration"]
        await asyncio.sleep(max(0.0, (end - now_ms()) / 1000.0))
        mark("end")
        done, pending = (await asyncio.wait(tasks, timeout=STEP_TIMEOUT)) if tasks else (set(), set())
        for t in pending:
            t.cancel()
        for t in done:
            if t.exception():
                raise t.exception()
        for name, page in pages.items():
            await take_from(name, page)
        trace.sort(key=lambda r: (r["ep"], r.get("tab", ""), r.get("seq", 0)))
        summaries = {}
        for name, page in pages.items():
            if not page.is_closed():
                try:
                    summaries[name] = await step(page.evaluate("mesh.summary()"), f"summary of {name}", 5)
                except Exception as e:
                    summaries[name] = {"error": str(e)}
    finally:
        for ctx in ctxs.values():
            try:
                await asyncio.wait_for(ctx.close(), 10)
            except Exception:
                pass
        server_log = await stop_servers(server, server_log_path)
    res = chromium_metrics(sc, trace, server_log, marks, t0)
    raw = {"run": run_no, "t0": t0, "logMode": log_mode, "wsPort": ws_port, "marks": marks, "server": server_log, "trace": trace,
           "summaries": summaries}
    log(f"chromium run {run_no + 1}: join phase full={res['joinPhase']['full']} "
        f"after last join {res['joinPhase']['fullMeshAfterLastJoinMs']} ms; full at end={res['end']['full']}; "
        f"relayed {res['relayed']}")
    return res, raw


def chromium_metrics(sc, trace, server_log, marks, t0):
    ev = metrics.normalise_chromium(trace, server_log, marks, t0)
    res = metrics.run_metrics(ev, sc["duration"], [n for n, _ in sc["peers"]])
    res["relayed"] = {}
    for r in server_log:
        if r["ev"] == "relay":
            res["relayed"][r["kind"]] = res["relayed"].get(r["kind"], 0) + 1
    res["control"] = {k: sum(1 for r in server_log if r["ev"] == "tx" and r["type"] == k) for k in ("init", "online", "offline", "error")}
    res["helloLagMs"] = {n: (round(res["helloTimes"][n] - j, 1) if res["helloTimes"].get(n) is not None else None)
                         for n, j in sc["peers"]}
    res["pageErrors"] = [r for r in trace if r["ev"] in ("pageerror", "fatal")]
    res["operationErrors"] = [r for r in trace if r["ev"] == "error"][:20]
    return res


async def chromium_side(sc, runs, outdir, log, log_mode="batch"):
    from playwright.async_api import async_playwright
    exe = os.environ.get("CHROMIUM") or shutil.which("chromium")
    if not exe:
        raise RuntimeError("chromium not found: run scripts/chromium/setup.sh")
    results, raws = [], []
    async with async_playwright() as p:
        browser = await step(p.chromium.launch(executable_path=exe, headless=True, args=LAUNCH_ARGS, timeout=30000),
                             "launch chromium", 40)
        version = browser.version
        try:
            for i in range(runs):
                res, raw = await step(chromium_run(browser, sc, outdir, i, log, log_mode), f"chromium run {i + 1}",
                                      sc["duration"] / 1000.0 + 30 + 3 * len(sc["peers"]) + 2 * STEP_TIMEOUT)
                results.append(res)
                raws.append(raw)
                await asyncio.sleep(1.0)
        finally:
            await asyncio.wait_for(browser.close(), 15)
    with gzip.open(os.path.join(outdir, "chromium-raw.json.gz"), "wt") as f:
        json.dump(raws, f, separators=(",", ":"))
    return results, version


# ----------------------------------------------------------------------------- meshsim
def meshsim_side(sc, path, outdir, binary, log, runs=1, log_mode="batch"):
    """Runs MeshSim on a copy of the scenario `runs` times: the first with the scenario's seed,
    which keeps its report, trace and Perfetto file in `outdir`; run k (k = 1, 2, ...) with that
    seed + k. `log_mode` "console": the Chromium side printed every record as a console line to
    Playwright, so every mirrored page has `devtoolsLogging`. Returns (each run's metrics, notes)."""
    notes = []
    if not os.path.exists(binary):
        raise RuntimeError(f"{binary} does not exist: build it with `swift build -c release`")
    cores = os.cpu_count() or 1
    copy = json.loads(json.dumps(sc["raw"]))
    copy["network"] = json.loads(json.dumps(LOOPBACK_NETWORK))
    copy["expect"] = {}
    copy["machines"] = {"box": {"cores": cores, "speed": 1}}
    for p in copy["peers"]:
        p["machine"] = "box"
        # The driver loads every tab seconds before the run and tells it to connect at its
        # join time: in MeshSim the join opens the WebSocket without the page load's CPU.
        p["preloaded"] = True
        if log_mode == "console":
            # Every record went to Playwright as a console line (docs/model.md, "Instrumented pages").
            p["devtoolsLogging"] = True
    # The crosscheck's signaling server is a process on the same box as the browser.
    copy["network"]["server"]["machine"] = "box"
    cpath = os.path.join(outdir, "meshsim-scenario.json")
    tpath = os.path.join(outdir, "meshsim-trace.jsonl")
    ppath = os.path.join(outdir, "meshsim-perfetto.json")

    def run(c, seed=None, trace=tpath, perfetto=ppath):
        with open(cpath, "w") as f:
            json.dump(c, f, indent=1)
        extra = ["--seed", str(seed)] if seed is not None else []
        return subprocess.run([binary, "scenario", cpath, "--trace", trace, "--perfetto", perfetto, "--json"] + extra,
                              capture_output=True, text=True, timeout=600)

    r = run(copy)
    if r.returncode == 2 and "preloaded" in r.stdout + r.stderr:
        notes.append("this MeshSim binary refuses the peer field `preloaded`; ran without it (each join charged a page load)")
        for p in copy["peers"]:
            p.pop("preloaded", None)
        r = run(copy)
    if r.returncode == 2 and ("machine" in r.stdout + r.stderr):
        notes.append(f"this MeshSim binary refuses the `machines`/`machine` fields ({(r.stdout + r.stderr).strip().splitlines()[0]}); "
                     "ran without them (no CPU model)")
        del copy["machines"]
        for p in copy["peers"]:
            p.pop("machine", None)
        copy["network"]["server"].pop("machine", None)
        r = run(copy)
    else:
        notes.append(f"ran with machines = {{box: {cores} cores, speed 1}}, every tab and the signaling server on box"
                     + (", every tab with devtoolsLogging (the Chromium side printed every record to the console)" if log_mode == "console" else ""))
    if r.returncode not in (0, 1):
        raise RuntimeError(f"MeshSim exited {r.returncode}: {(r.stderr or r.stdout).strip()[:500]}")
    report = json.loads(r.stdout.strip().splitlines()[-1])
    with open(os.path.join(outdir, "meshsim-report.json"), "w") as f:
        json.dump(report, f, indent=1)
    with open(tpath) as f:
        lines = f.read().splitlines()
    with open(ppath) as f:
        perf = json.load(f)
    perf = perf["traceEvents"] if isinstance(perf, dict) else perf
    for pth in (tpath, ppath):
        with open(pth, "rb") as src, gzip.open(pth + ".gz", "wb") as dst:
            shutil.copyfileobj(src, dst)
        os.remove(pth)
    results = [meshsim_metrics(sc, lines, perf, report)]
    log(f"meshsim: fullMesh={report.get('fullMesh')} convergedAt={report.get('convergedAt')} "
        f"signalingMessages={report.get('signalingMessages')}")
    base_seed = copy.get("seed", 1)
    for k in range(1, runs):
        seed = (base_seed + k) % (1 << 64)
        t2, p2 = tpath + f".seed{seed}", ppath + f".seed{seed}"
        r = run(copy, seed=seed, trace=t2, perfetto=p2)
        if r.returncode not in (0, 1):
            raise RuntimeError(f"MeshSim exited {r.returncode} with --seed {seed}: {(r.stderr or r.stdout).strip()[:500]}")
        rep = json.loads(r.stdout.strip().splitlines()[-1])
        with open(t2) as f:
            lines2 = f.read().splitlines()
        with open(p2) as f:
            perf2 = json.load(f)
        perf2 = perf2["traceEvents"] if isinstance(perf2, dict) else perf2
        os.remove(t2)
        os.remove(p2)
        results.append(meshsim_metrics(sc, lines2, perf2, rep))
        log(f"meshsim --seed {seed}: fullMesh={rep.get('fullMesh')} convergedAt={rep.get('convergedAt')}")
    if runs > 1:
        notes.append(f"{runs} runs: the scenario's seed {base_seed} (its report, trace and Perfetto file are kept) "
                     f"and seeds {base_seed + 1}..{base_seed + runs - 1}")
    return results, notes


def meshsim_metrics(sc, lines, perf, report):
    ev = metrics.normalise_meshsim(lines, perf)
    res = metrics.run_metrics(ev, sc["duration"], [n for n, _ in sc["peers"]])
    res["relayed"] = res["signalsSent"]
    res["report"] = {k: report.get(k) for k in ("fullMesh", "convergedAt", "pairs", "signalingMessages", "controlMessages",
                                                 "offersCreated", "connectionsCreated", "operationErrors", "traceHash")}
    return res


def git_commit():
    try:
        # the last commit that changed the simulator (the binary is built from Sources/ and Package.swift)
        c = subprocess.run(["git", "-C", ROOT, "log", "-1", "--format=%h", "--abbrev=12", "--", "Sources", "Package.swift"],
                           capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--", "Sources", "Package.swift"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return c + (" (Sources modified)" if dirty else "")
    except Exception:
        return "unknown"


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return f.read().split()[:3]
    except OSError:
        return None


def chromium_version():
    try:
        out = subprocess.run(["chromium", "--version"], capture_output=True, text=True, timeout=30).stdout
        return next((l for l in out.splitlines() if "hromium" in l), out.strip())
    except Exception as e:
        return f"unknown ({e})"


# ----------------------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser(description="Chromium crosscheck of a MeshSim scenario (run through crosscheck.sh)")
    ap.add_argument("scenario")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--out", default=None)
    ap.add_argument("--meshsim", default=os.path.join(ROOT, ".build", "release", "MeshSim"))
    ap.add_argument("--no-meshsim", action="store_true", help="run the Chromium side only")
    ap.add_argument("--meshsim-runs", type=int, default=3,
                    help="MeshSim runs (default 3, as Chromium's): the scenario's seed, then seed + 1, seed + 2, ...; "
                         "their metrics are pooled as Chromium's runs are")
    ap.add_argument("--check", action="store_true", help="only check that the scenario can be mirrored")
    ap.add_argument("--log", choices=("batch", "console"), default="batch",
                    help="batch (default): each page keeps its records and the driver takes them after the run; "
                         "console: one console line per record as they happen, as the recordings before the lean "
                         "harness were made (docs/fidelity.md)")
    ap.add_argument("--rerun-meshsim", action="store_true",
                    help="SCENARIO is an output directory (a recording): run the MeshSim side again with the "
                         "current binary against its Chromium data and rewrite the MeshSim files and the summary")
    ap.add_argument("--recompute", action="store_true",
                    help="SCENARIO is an output directory: recompute its metrics and summary from its raw files")
    a = ap.parse_args()
    if a.meshsim_runs < 1:
        print("crosscheck: --meshsim-runs must be at least 1", file=sys.stderr)
        sys.exit(2)
    if a.rerun_meshsim:
        try:
            print(rerun_meshsim(a.scenario, a.meshsim, a.meshsim_runs))
        except Refused as e:
            print(f"crosscheck: {e}", file=sys.stderr)
            sys.exit(2)
        return
    if a.recompute:
        try:
            print(recompute(a.scenario))
        except Refused as e:
            print(f"crosscheck: {e}", file=sys.stderr)
            sys.exit(2)
        return
    try:
        sc = load_scenario(a.scenario)
    except Refused as e:
        print(f"crosscheck: {e}", file=sys.stderr)
        sys.exit(2)
    if a.check:
        print(f"{a.scenario}: can be mirrored ({len(sc['peers'])} tabs, {len(sc['events'])} events, policy {sc['policy']})")
        return
    if a.runs < 1:
        print("crosscheck: --runs must be at least 1", file=sys.stderr)
        sys.exit(2)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    outdir = a.out or os.path.join(ROOT, ".build", "chromium-crosscheck", f"{os.path.splitext(os.path.basename(a.scenario))[0]}-{stamp}")
    os.makedirs(outdir, exist_ok=True)

    def log(msg):
        print(f"[{datetime.datetime.now().strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)

    meta = {"scenario": os.path.relpath(os.path.abspath(a.scenario), ROOT), "name": sc["name"], "policy": sc["policy"],
            "runs": a.runs, "started": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
            "chromiumVersion": chromium_version(), "launchArgs": LAUNCH_ARGS, "contextPermissions": CONTEXT_PERMISSIONS,
            "loadavgBefore": loadavg(), "nproc": os.cpu_count(), "command": " ".join(sys.argv[1:]),
            "logMode": a.log}
    if sc["policy"] == "keep-live-links":
        import hashlib
        code = published_policy_code()
        meta["pageCode"] = {"from": "docs/policies.md, the ```js block of '" + POLICY_DOC_SECTION[3:] + "'",
                            "bytes": len(code.encode("utf-8")), "sha256": hashlib.sha256(code.encode("utf-8")).hexdigest()}
    log(f"{sc['name']}: {len(sc['peers'])} tabs, {a.runs} runs, policy {sc['policy']}, {meta['chromiumVersion']}")
    try:
        results, version = asyncio.run(chromium_side(sc, a.runs, outdir, log, a.log))
    except Exception as e:
        print(f"crosscheck: the Chromium side failed: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
    meta["browserVersion"] = version
    meta["loadavgAfterChromium"] = loadavg()
    ch = metrics.aggregate(results)
    ch["helloLagMs"] = metrics.stats([v for r in results for v in r["helloLagMs"].values()])
    with open(os.path.join(outdir, "chromium-metrics.json"), "w") as f:
        json.dump({"aggregate": ch, "runs": results}, f, indent=1, default=list)
    ms, notes = None, []
    if not a.no_meshsim:
        try:
            runs, notes = meshsim_side(sc, a.scenario, outdir, a.meshsim, log, a.meshsim_runs, a.log)
        except Exception as e:
            print(f"crosscheck: the MeshSim side failed: {type(e).__name__}: {e}", file=sys.stderr)
            sys.exit(1)
        ms = metrics.aggregate(runs)
        ms["report"] = runs[0]["report"]
        meta["meshsimCommit"] = git_commit()
        meta["meshsimNotes"] = notes
        meta["meshsimRuns"] = a.meshsim_runs
        with open(os.path.join(outdir, "meshsim-metrics.json"), "w") as f:
            json.dump({"aggregate": ms, "runs": runs}, f, indent=1, default=list)
    meta["loadavgAfter"] = loadavg()
    meta["finished"] = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    with open(os.path.join(outdir, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    out = write_summary(sc, a.scenario, meta, ch, ms, notes, outdir)
    print(out)
    log(f"written to {outdir}")


def write_summary(sc, scenario_path, meta, ch, ms, notes, outdir):
    n = meta.get("meshsimRuns", 1)
    title = (f"MeshSim ({meta.get('meshsimCommit', '?')}, " + ("1 deterministic run)" if n == 1 else f"{n} runs, consecutive seeds)")
             if ms else "MeshSim")
    text = [f"# {sc['name']} ({os.path.basename(scenario_path)}): {len(sc['peers'])} tabs, policy {sc['policy']}",
            f"Chromium: {meta['chromiumVersion']}, {meta['runs']} runs; loadavg before {meta['loadavgBefore']}, after {meta['loadavgAfter']}",
            f"hello lag (real hello at the server minus the scenario's join time), ms: {metrics.fmt(ch['helloLagMs'])}"]
    for n in notes:
        text.append(f"MeshSim: {n}")
    if ms:
        rep = ms["report"]
        text.append(f"MeshSim report: fullMesh {rep['fullMesh']}, convergedAt {rep['convergedAt']} ms, "
                    f"signalingMessages {rep['signalingMessages']}, offersCreated {rep['offersCreated']}")
    text.append("")
    text.append(metrics.side_by_side(ch, ms, title))
    out = "\n".join(text) + "\n"
    with open(os.path.join(outdir, "summary.md"), "w") as f:
        f.write(out)
    return out


def rerun_meshsim(outdir, binary, meshsim_runs=3):
    """Run the MeshSim side of a recording again (a new model, the same Chromium runs): the
    Chromium metrics are recomputed from the raw files, MeshSim's files and the summary are
    rewritten, the commit noted; prints the summary."""
    def opn(name):
        p = os.path.join(outdir, name)
        return gzip.open(p + ".gz", "rt") if not os.path.exists(p) else open(p)
    with opn("meta.json") as f:
        meta = json.load(f)
    scenario_path = os.path.join(ROOT, meta["scenario"])
    sc = load_scenario(scenario_path)
    with opn("chromium-raw.json") as f:
        raws = json.load(f)
    results = [chromium_metrics(sc, r["trace"], r["server"], r["marks"], r["t0"]) for r in raws]
    ch = metrics.aggregate(results)
    ch["helloLagMs"] = metrics.stats([v for r in results for v in r["helloLagMs"].values()])
    for name in ("meshsim-trace.jsonl", "meshsim-perfetto.json", "meshsim-report.json"):
        for p in (os.path.join(outdir, name), os.path.join(outdir, name + ".gz")):
            if os.path.exists(p):
                os.remove(p)

    def log(msg):
        print(f"[{datetime.datetime.now().strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)
    # Recordings made before `--log` existed (docs/fidelity/recordings/) printed console lines.
    runs, notes = meshsim_side(sc, scenario_path, outdir, binary, log, meshsim_runs, meta.get("logMode", "console"))
    ms = metrics.aggregate(runs)
    ms["report"] = runs[0]["report"]
    meta["meshsimCommit"] = git_commit()
    meta["meshsimNotes"] = notes
    meta["meshsimRuns"] = meshsim_runs
    with open(os.path.join(outdir, "meshsim-metrics.json"), "w") as f:
        json.dump({"aggregate": ms, "runs": runs}, f, indent=1, default=list)
    with open(os.path.join(outdir, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    out = write_summary(sc, scenario_path, meta, ch, ms, notes, outdir)
    with open(os.path.join(outdir, "summary.txt"), "w") as f:
        f.write(out)
    return out


def recompute(outdir):
    """Recompute the metrics and the summary of an output directory from its raw files
    (after a change to metrics.py); prints the summary."""
    def opn(name):
        p = os.path.join(outdir, name)
        return gzip.open(p + ".gz", "rt") if not os.path.exists(p) else open(p)
    with opn("meta.json") as f:
        meta = json.load(f)
    sc = load_scenario(os.path.join(ROOT, meta["scenario"]))
    with opn("chromium-raw.json") as f:
        raws = json.load(f)
    results = [chromium_metrics(sc, r["trace"], r["server"], r["marks"], r["t0"]) for r in raws]
    ch = metrics.aggregate(results)
    ch["helloLagMs"] = metrics.stats([v for r in results for v in r["helloLagMs"].values()])
    with open(os.path.join(outdir, "chromium-metrics.json"), "w") as f:
        json.dump({"aggregate": ch, "runs": results}, f, indent=1, default=list)
    ms = None
    if os.path.exists(os.path.join(outdir, "meshsim-report.json")):
        with opn("meshsim-trace.jsonl") as f:
            lines = f.read().splitlines()
        with opn("meshsim-perfetto.json") as f:
            perf = json.load(f)
        perf = perf["traceEvents"] if isinstance(perf, dict) else perf
        with opn("meshsim-report.json") as f:
            report = json.load(f)
        res = meshsim_metrics(sc, lines, perf, report)
        runs = [res]
        # Only the first MeshSim run's files are kept: the other runs' metrics stay as the last
        # --rerun-meshsim computed them.
        if os.path.exists(os.path.join(outdir, "meshsim-metrics.json")):
            with open(os.path.join(outdir, "meshsim-metrics.json")) as f:
                runs += json.load(f).get("runs", [])[1:]
        if len(runs) > 1:
            print(f"crosscheck: MeshSim runs 2..{len(runs)} kept from the last --rerun-meshsim (only the first run's "
                  "files are kept); run it again to recompute them", file=sys.stderr)
        ms = metrics.aggregate(runs)
        ms["report"] = res["report"]
        with open(os.path.join(outdir, "meshsim-metrics.json"), "w") as f:
            json.dump({"aggregate": ms, "runs": runs}, f, indent=1, default=list)
    return write_summary(sc, meta["scenario"], meta, ch, ms, meta.get("meshsimNotes", []), outdir)


if __name__ == "__main__":
    main()
