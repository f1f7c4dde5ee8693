#!/usr/bin/env python3
"""Checks MeshSim's --perfetto output as a trace viewer reads it (Chrome's trace event format,
the JSON object form that ui.perfetto.dev and chrome://tracing load).

  scripts/check-perfetto.py TRACE.json...                 check files
  scripts/check-perfetto.py --run MESHSIM SCENARIO...     run each scenario with --perfetto
                                                          (twice: the bytes must not differ)
                                                          and check what it wrote

What is checked, per file:
- the top level is {"traceEvents": [...], "displayTimeUnit": "ms"}; every event has a known
  "ph", integer "pid" and "tid", a string "name", and (but metadata) a number "ts" >= 0;
- metadata: process_name / thread_name with args.name, *_sort_index with an integer
  args.sort_index; every process and thread that has events is named;
- "X" spans have "dur" >= 0, and the spans of one thread nest or are disjoint (a viewer cannot
  draw a partial overlap on one track);
- instants have a scope "t", "p" or "g";
- flows: each "s" has exactly one "f" (same cat, name and id) at the same time or later, with
  "bp":"e", and each "f" has its "s"; both ends sit on a slice of their thread (an instant at
  that time, or a span around it), which is what a viewer attaches the arrow to.
Times are compared exactly (decimal microseconds). Exit status 1 on any problem.
"""
import json
import os
import subprocess
import sys
import tempfile
from decimal import Decimal

PHASES = {"X", "i", "s", "f", "M"}
METADATA = {"process_name", "thread_name", "process_sort_index", "thread_sort_index"}


def check(path):
    problems = []

    def bad(msg):
        if len(problems) < 20:
            problems.append(msg)

    with open(path, "rb") as f:
        raw = f.read()
    try:
        doc = json.loads(raw.decode("utf-8"), parse_float=Decimal)
    except (UnicodeDecodeError, ValueError) as e:
        return [f"not JSON: {e}"], {}
    if not isinstance(doc, dict) or not isinstance(doc.get("traceEvents"), list):
        return ["the top level must be an object with a traceEvents array"], {}
    if doc.get("displayTimeUnit") not in ("ms", "ns"):
        bad(f"displayTimeUnit {doc.get('displayTimeUnit')!r}, expected \"ms\"")

    process_names, thread_names = set(), set()
    used_pids, used_tids = set(), set()
    spans = {}      # (pid, tid) -> [(start, end, name)]
    instants = {}   # (pid, tid) -> set of ts
    starts, ends = {}, {}
    counts = {"X": 0, "i": 0, "s": 0, "f": 0, "M": 0}
    for n, e in enumerate(doc["traceEvents"]):
        where = f"event {n}"
        if not isinstance(e, dict):
            bad(f"{where}: not an object")
            continue
        ph = e.get("ph")
        if ph not in PHASES:
            bad(f"{where}: ph {ph!r} is not one of {sorted(PHASES)}")
            continue
        counts[ph] += 1
        pid, tid, name = e.get("pid"), e.get("tid"), e.get("name")
        if not isinstance(pid, int) or isinstance(pid, bool) or not isinstance(tid, int) or isinstance(tid, bool):
            bad(f"{where}: pid and tid must be integers, got {pid!r}, {tid!r}")
            continue
        if not isinstance(name, str) or not name:
            bad(f"{where}: no name")
            continue
        key = (pid, tid)
        if ph == "M":
            args = e.get("args")
            if name not in METADATA or not isinstance(args, dict):
                bad(f"{where}: metadata {name!r} with args {args!r}")
            elif name.endswith("_name"):
                if not isinstance(args.get("name"), str) or not args["name"]:
                    bad(f"{where}: {name} without args.name")
                (process_names if name == "process_name" else thread_names).add(pid if name == "process_name" else key)
            elif not isinstance(args.get("sort_index"), int):
                bad(f"{where}: {name} without an integer args.sort_index")
            continue
        ts = e.get("ts")
        if not isinstance(ts, (int, Decimal)) or isinstance(ts, bool) or ts < 0:
            bad(f"{where}: ts {ts!r} must be a number >= 0")
            continue
        ts = Decimal(ts)
        used_pids.add(pid)
        used_tids.add(key)
        if ph == "X":
            dur = e.get("dur")
            if not isinstance(dur, (int, Decimal)) or isinstance(dur, bool) or dur < 0:
                bad(f"{where}: span {name!r} has dur {dur!r}, must be >= 0")
                continue
            spans.setdefault(key, []).append((ts, ts + Decimal(dur), name))
        elif ph == "i":
            if e.get("s", "t") not in ("t", "p", "g"):
                bad(f"{where}: instant scope {e.get('s')!r}")
            if e.get("s", "t") == "t":
                instants.setdefault(key, set()).add(ts)
        else:
            if "id" not in e:
                bad(f"{where}: flow event without id")
                continue
            fid = (e.get("cat"), name, e["id"])
            table = starts if ph == "s" else ends
            if fid in table:
                bad(f"{where}: a second flow {ph!r} with id {e['id']!r}")
            table[fid] = (ts, key)
            if ph == "f" and e.get("bp") != "e":
                bad(f"{where}: flow end without \"bp\":\"e\"")

    for pid in sorted(used_pids - process_names):
        bad(f"process {pid} has events but no process_name")
    for key in sorted(used_tids - thread_names):
        bad(f"thread {key} has events but no thread_name")

    for key, list_ in spans.items():
        list_.sort(key=lambda s: (s[0], -s[1]))
        stack = []
        for start, end, name in list_:
            while stack and stack[-1][1] <= start:
                stack.pop()
            if stack and end > stack[-1][1]:
                bad(f"thread {key}: span {name!r} [{start}, {end}] partly overlaps {stack[-1][2]!r} "
                    f"[{stack[-1][0]}, {stack[-1][1]}]")
            stack.append((start, end, name))

    def on_slice(key, ts):
        if ts in instants.get(key, ()):
            return True
        return any(s <= ts <= e for s, e, _ in spans.get(key, ()))

    for fid, (ts, key) in starts.items():
        if fid not in ends:
            bad(f"flow {fid[2]!r} starts at {ts} but never ends")
            continue
        end_ts, end_key = ends[fid]
        if end_ts < ts:
            bad(f"flow {fid[2]!r} ends at {end_ts}, before it starts at {ts}")
        if not on_slice(key, ts) or not on_slice(end_key, end_ts):
            bad(f"flow {fid[2]!r}: an end is on no slice of its thread")
    for fid in ends:
        if fid not in starts:
            bad(f"flow {fid[2]!r} ends but never starts")

    summary = {"events": len(doc["traceEvents"]), "processes": len(process_names), "threads": len(thread_names),
               "spans": counts["X"], "instants": counts["i"], "flows": len(starts)}
    return problems, summary


def main(argv):
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 2
    files = []
    status = 0
    tmp = tempfile.TemporaryDirectory()
    if argv[0] == "--run":
        if len(argv) < 3:
            print("check-perfetto: --run MESHSIM SCENARIO...", file=sys.stderr)
            return 2
        binary, scenarios = argv[1], argv[2:]
        for n, scenario in enumerate(scenarios):
            outs = []
            for attempt in range(2):
                out = os.path.join(tmp.name, f"{n}-{attempt}.json")
                run = subprocess.run([binary, "scenario", scenario, "--perfetto", out], stdout=subprocess.DEVNULL)
                if run.returncode not in (0, 1) or not os.path.exists(out):
                    print(f"check-perfetto: {binary} scenario {scenario} --perfetto exited {run.returncode}", file=sys.stderr)
                    status = 1
                    break
                outs.append(out)
            if len(outs) == 2:
                with open(outs[0], "rb") as a, open(outs[1], "rb") as b:
                    if a.read() != b.read():
                        print(f"check-perfetto: {scenario}: two runs wrote different bytes", file=sys.stderr)
                        status = 1
                files.append((scenario, outs[0]))
    else:
        files = [(f, f) for f in argv]
    for label, path in files:
        problems, summary = check(path)
        if problems:
            status = 1
            for p in problems:
                print(f"check-perfetto: {label}: {p}", file=sys.stderr)
        else:
            print(f"check-perfetto: ok {label} ({', '.join(f'{v} {k}' for k, v in summary.items())})")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
