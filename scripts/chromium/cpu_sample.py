#!/usr/bin/env python3
"""CPU time of the crosscheck's processes while it records, by role, from /proc.

    python3 scripts/chromium/cpu_sample.py OUT.json [--period 0.1] [--until-file PATH] [--threads]
    python3 scripts/chromium/cpu_sample.py --report OUT.json START_EPOCH_MS END_EPOCH_MS

Samples every process's utime+stime (/proc/PID/stat) every PERIOD seconds until it is
interrupted (SIGINT/SIGTERM) or PATH disappears, and writes, per role, the CPU seconds used in
each sample interval (with its epoch time) and in total. Roles, from the command line:
  chromium-renderer  chromium --type=renderer (a tab's renderer: script, WebRTC threads)
  chromium-other     every other chromium process (browser process, GPU, network service)
  playwright-node    Playwright's node driver (node ... playwright ... run-driver)
  python-driver      the crosscheck's Python process (driver and signaling server together)
  other              everything else on the machine (other users of the 2 cores)
With --threads it also samples every thread of Chromium's processes (/proc/PID/task/TID),
keyed "ROLE:THREAD NAME" (the kernel's comm: CrRendererMain, WebRTC_Signaling,
WebRTC_Network, NetworkService, Chrome_IOThread, ...), so that the CPU each kind of thread used
can be set against what the model charges its threads (docs/fidelity.md, session 10).
Why: a storm's times in the recordings include the harness's own work (every console line
of every tab goes through Playwright's node driver to the Python driver, whose event loop
also runs the signaling server); this says how much of the box it took (docs/fidelity.md).
"""
import json
import os
import signal
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")


def role(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return None
    exe = cmd.split(" ", 1)[0]
    if "crosscheck.py" in cmd:
        return "python-driver"
    if exe.endswith("/node") or exe == "node":
        return "playwright-node" if "playwright" in cmd else "other"
    if exe.endswith("/chromium") or exe == "chromium":
        return "chromium-renderer" if "--type=renderer" in cmd else "chromium-other"
    return "other"


def ticks(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            s = f.read()
    except OSError:
        return None
    fields = s[s.rindex(")") + 2:].split()
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)


def thread_ticks(pid):
    """(tid, comm, ticks) of every thread of pid."""
    out = []
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                s = f.read()
        except OSError:
            continue
        comm = s[s.index("(") + 1:s.rindex(")")]
        fields = s[s.rindex(")") + 2:].split()
        out.append((int(tid), comm, int(fields[11]) + int(fields[12])))
    return out


def report(path, start_ms, end_ms):
    """CPU seconds per role in the intervals that end within [start, end] (epoch ms)."""
    with open(path) as f:
        d = json.load(f)
    tot, wall = {}, 0.0
    for row in d["intervals"]:
        if start_ms / 1000 < row["t"] <= end_ms / 1000:
            wall += row["dt"]
            for r, v in row["cpu"].items():
                tot[r] = tot.get(r, 0) + v
    return {"wallS": round(wall, 3), "cpuS": {r: round(v, 3) for r, v in sorted(tot.items())},
            "shareOfTwoCores": {r: round(v / (2 * wall), 3) for r, v in sorted(tot.items())} if wall else {}}


def main():
    if sys.argv[1] == "--report":
        print(json.dumps(report(sys.argv[2], float(sys.argv[3]), float(sys.argv[4])), indent=1))
        return
    out = sys.argv[1]
    period = 0.1
    until = None
    threads = False
    args = sys.argv[2:]
    while args:
        a = args.pop(0)
        if a == "--period":
            period = float(args.pop(0))
        elif a == "--until-file":
            until = args.pop(0)
        elif a == "--threads":
            threads = True
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    me = os.getpid()
    seen = {}  # pid -> last ticks
    seen_threads = {}  # tid -> last ticks (--threads)
    roles_of = {}
    cumulative = {}  # role -> ticks used since the start, by processes while they had that role
    timeline = []
    while not stop and (until is None or os.path.exists(until)):
        now = time.time()
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            pid = int(name)
            if pid == me:
                continue
            t = ticks(pid)
            if t is None:
                continue
            # a pid execs its way from the shell scripts to python: look again while "other"
            if roles_of.get(pid, "other") == "other":
                r = role(pid)
                if r is None:
                    continue
                roles_of[pid] = r
            r = roles_of[pid]
            if pid in seen:
                cumulative[r] = cumulative.get(r, 0) + t - seen[pid]
            seen[pid] = t
            if threads and r.startswith("chromium"):
                for tid, comm, tt in thread_ticks(pid):
                    key = f"{r}:{comm}"
                    if tid in seen_threads:
                        cumulative[key] = cumulative.get(key, 0) + tt - seen_threads[tid]
                    else:
                        cumulative.setdefault(key, 0)
                    seen_threads[tid] = tt
        timeline.append({"t": round(now, 3), "ticks": dict(cumulative)})
        time.sleep(period)
    # per interval: CPU seconds used by each role since the previous sample (processes seen
    # first during the interval count from their first sample)
    rows = []
    for a, b in zip(timeline, timeline[1:]):
        rows.append({"t": b["t"], "dt": round(b["t"] - a["t"], 3),
                     "cpu": {r: round((b["ticks"].get(r, 0) - a["ticks"].get(r, 0)) / TICK, 3)
                             for r in sorted(set(a["ticks"]) | set(b["ticks"]))}})
    total = {r: v / TICK for r, v in cumulative.items()}
    with open(out, "w") as f:
        json.dump({"periodS": period, "clockTicks": TICK, "totalCpuS": {r: round(v, 2) for r, v in sorted(total.items())},
                   "intervals": rows}, f)


if __name__ == "__main__":
    main()
