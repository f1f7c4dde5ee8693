"""Metrics of the Chromium crosscheck, computed the same way from both sides.

Both a Chromium run (page traces + server log) and a MeshSim run (`--trace` JSON lines +
`--perfetto` signal deliveries) are first turned into one list of normalised events:

    {"t": ms after scenario time 0, "peer": name, "kind": ..., "value": ..., "remote": name or None,
     "link": connection id or None, "role": "active"/"passive" or None, ...}

kinds: page (load/unload), hello (the page's hello: Chromium = the server received it,
MeshSim = the page's WebSocket opened, which is when MeshSim sends hello), init, online,
offline, signal (sent; value = payload type), signalRx (delivered to the page),
connection (active/passive/closed), signalingState, iceGatheringState, iceConnectionState,
connectionState, candidate (value = type, "protocol"), selectedPair (LOCAL/REMOTE),
dataChannel (open/closing/error/closed), data (the 16-byte probe received), scenario
(value = refresh/leave/wsDrop: the moment the disruption starts).
"""
import collections
import json
import re
import statistics

STATE_KINDS = ("signalingState", "iceConnectionState", "connectionState")


# ----------------------------------------------------------------------------- normalising
def normalise_chromium(page_trace, server_log, marks, t0_ep):
    ev = []

    def t(ep):
        return round(ep - t0_ep, 3)

    for r in page_trace:
        e = r["ev"]
        base = {"t": t(r["ep"]), "peer": r["uid"], "load": r["load"], "link": r.get("link"),
                "role": r.get("role"), "remote": r.get("peer")}
        if e == "page":
            ev.append(dict(base, kind="page", value="load" if r["state"] == "load" else "unload"))
        elif e == "ws":
            if r["state"] in ("open", "closed"):
                ev.append(dict(base, kind="ws", value=r["state"]))
        elif e in ("init", "online", "offline"):
            ev.append(dict(base, kind=e, value=e))
        elif e == "signal-tx":
            ev.append(dict(base, kind="signal", value=r["kind"], sessionId=r.get("sessionId")))
        elif e == "signal-rx":
            ev.append(dict(base, kind="signalRx", value=r["kind"], sessionId=r.get("sessionId")))
        elif e in STATE_KINDS or e == "iceGatheringState":
            ev.append(dict(base, kind=e, value=r["state"]))
        elif e == "candidate":
            ev.append(dict(base, kind="candidate", value=r["type"], protocol=r["protocol"], tcpType=r.get("tcpType")))
        elif e == "selectedPair":
            ev.append(dict(base, kind="selectedPair", value=f'{r.get("local")}/{r.get("remote")}'))
        elif e == "dataChannel":
            ev.append(dict(base, kind="dataChannel", value="closed" if r["state"] == "close" else r["state"]))
        elif e == "probe-rx":
            ev.append(dict(base, kind="data", value="16"))
        elif e == "connection":
            ev.append(dict(base, kind="connection", value=r["role"] if r["state"] == "create" else "closed"))
        elif e == "decision":
            ev.append(dict(base, kind="decision", value=r["text"]))
        elif e == "error":
            ev.append(dict(base, kind="error", value=f'{r.get("op")}: {r.get("name")}: {r.get("message")}'))
    for r in server_log:
        if r["ev"] == "rx" and r.get("type") == "hello":
            ev.append({"t": t(r["ep"]), "peer": r["uid"], "kind": "hello", "value": "hello", "remote": None,
                       "link": None, "role": None})
    for m in marks:
        if m["ev"] in ("refresh", "leave", "wsDrop"):
            at = m["ep"]
            if m["ev"] == "wsDrop":
                # MeshSim's wsDrop is the page closing its WebSocket; the driver's page.evaluate
                # reaches the page 3-10 ms after the driver's call, so count from the page's own
                # call (its `ws-drop` record) when there is one.
                own = [r["ep"] for r in page_trace if r.get("ev") == "ws-drop" and r.get("uid") == m["peer"]
                       and r["ep"] >= m["ep"] - 1.0]
                if own:
                    at = min(own)
            ev.append({"t": t(at), "peer": m["peer"], "kind": "scenario", "value": m["ev"], "remote": None,
                       "link": None, "role": None})
        if m["ev"] in ("refresh", "leave"):   # the page is gone from this moment (pagehide may not reach the driver)
            ev.append({"t": t(m["ep"]), "peer": m["peer"], "kind": "page", "value": "unload", "remote": None,
                       "link": None, "role": None})
    ev.sort(key=lambda x: x["t"])
    return ev


def normalise_meshsim(trace_lines, perfetto):
    ev = []
    loads = collections.Counter()
    roles = {}
    current = {}
    for line in trace_lines:
        r = json.loads(line)
        k, peer, remote, v = r["kind"], r.get("peer"), r.get("remote"), r.get("value")
        pc = r.get("pc")
        if k == "page" and v == "load":
            loads[peer] += 1
        base = {"t": r["t"], "peer": peer, "load": loads[peer], "remote": remote, "link": pc, "role": roles.get(pc)}
        if k == "connection":
            if v in ("active", "passive"):
                roles[pc] = v
                base["role"] = v
                current[(peer, remote)] = pc
            ev.append(dict(base, kind="connection", value=v))
        elif k == "ws":
            ev.append(dict(base, kind="ws", value=v))
            if v == "open":
                ev.append(dict(base, kind="hello", value="hello"))
        elif k == "signal":
            link = current.get((peer, remote))
            ev.append(dict(base, kind="signal", value=v, link=link, role=roles.get(link)))
        elif k == "candidate":
            # MeshSim's candidate lines carry `detail` "tcp" (and the tcptype) for TCP candidates
            proto = "tcp" if "tcp" in (r.get("detail") or "") else ("udp" if v != "relay" else None)
            ev.append(dict(base, kind="candidate", value=v, protocol=proto))
        elif k in ("page", "init", "online", "offline", "signalingState", "iceGatheringState", "iceConnectionState",
                   "connectionState", "selectedPair", "dataChannel", "data", "decision", "scenario", "association",
                   "error"):
            ev.append(dict(base, kind=k, value=v, detail=r.get("detail")))
    # deliveries: Perfetto instants "KIND ← FROM" on the receiving page's process
    names = {}
    for e in perfetto:
        if e.get("ph") == "M" and e.get("name") == "process_name":
            m = re.match(r"^(.*) \(page \d+", e["args"]["name"])
            if m:
                names[e["pid"]] = m.group(1)
    rx = []
    for e in perfetto:
        if e.get("ph") == "i" and e.get("cat") == "signal" and " ← " in e.get("name", ""):
            kind, frm = e["name"].split(" ← ", 1)
            if e["pid"] in names:
                rx.append((e["ts"] / 1000.0, names[e["pid"]], frm, kind))
    ev.sort(key=lambda x: x["t"])
    # attribute each delivery to the receiver's current connection to the sender at that time
    allev = ev
    for (tms, peer, frm, kind) in rx:
        link = None
        for x in allev:
            if x["t"] > tms:
                break
            if x["kind"] == "connection" and x["peer"] == peer and x["remote"] == frm and x["value"] in ("active", "passive"):
                link = x["link"]
        ev.append({"t": round(tms, 3), "peer": peer, "remote": frm, "kind": "signalRx", "value": kind, "link": link,
                   "role": roles.get(link), "load": None})
    ev.sort(key=lambda x: x["t"])
    return ev


# ----------------------------------------------------------------------------- helpers
def stats(xs):
    xs = [x for x in xs if x is not None]
    if not xs:
        return None
    return {"n": len(xs), "median": round(statistics.median(xs), 1), "min": round(min(xs), 1), "max": round(max(xs), 1)}


def first(evs, pred, after=None):
    for e in evs:
        if (after is None or e["t"] >= after) and pred(e):
            return e["t"]
    return None


def links_of(ev):
    """link id -> {peer, remote, role, created, closed}"""
    out = {}
    for e in ev:
        if e["kind"] == "connection" and e["link"] is not None:
            if e["value"] in ("active", "passive"):
                out[e["link"]] = {"peer": e["peer"], "remote": e["remote"], "role": e["value"], "created": e["t"], "closed": None}
            elif e["value"] == "closed" and e["link"] in out and out[e["link"]]["closed"] is None:
                out[e["link"]]["closed"] = e["t"]
    return out


def by_link(ev):
    d = collections.defaultdict(list)
    for e in ev:
        if e.get("link") is not None:
            d[e["link"]].append(e)
    return d


def connections(ev):
    """(offerer link, answerer link) pairs: an answerer link that received an offer."""
    links = links_of(ev)
    pairs = []
    if any(e["kind"] == "association" for e in ev):   # MeshSim: value = the other side's pc
        for e in ev:
            if e["kind"] == "association" and e["link"] in links and links[e["link"]]["role"] == "passive":
                other = int(e["value"])
                if other in links and links[other]["role"] == "active":
                    pairs.append((other, e["link"]))
    else:                                                # Chromium: match the offer's sessionId
        offer_tx = {}
        for e in ev:
            if e["kind"] == "signal" and e["value"] == "offer" and e.get("sessionId"):
                offer_tx.setdefault(e["sessionId"], e["link"])
        seen = set()
        for e in ev:
            if e["kind"] == "signalRx" and e["value"] == "offer" and e.get("link") and e.get("sessionId") in offer_tx:
                p = (offer_tx[e["sessionId"]], e["link"])
                if p not in seen:
                    seen.add(p)
                    pairs.append(p)
    return pairs, links


def alive_at(ev, t):
    """pages (peer names) loaded and not unloaded at time t"""
    state = {}
    for e in ev:
        if e["t"] > t:
            break
        if e["kind"] == "page":
            state[e["peer"]] = e["value"] == "load"
    return sorted(p for p, up in state.items() if up)


def joined_by(ev, t):
    """pages (peer names) whose hello reached the server at or before time t"""
    return {e["peer"] for e in ev if e["kind"] == "hello" and e["t"] <= t}


def current_link(links, peer, remote, t):
    best = None
    for lid, l in links.items():
        if l["peer"] == peer and l["remote"] == remote and l["created"] <= t:
            if best is None or l["created"] >= links[best]["created"]:
                best = lid
    if best is not None and links[best]["closed"] is not None and links[best]["closed"] <= t:
        return None
    return best


def mesh_full_at(ev, links, lk, t):
    """time at which every ordered pair of the pages alive at t had received the probe on its
    current link (<= t), or None when some pair had not."""
    peers = alive_at(ev, t)
    last = None
    for a in peers:
        for b in peers:
            if a == b:
                continue
            lid = current_link(links, a, b, t)
            if lid is None:
                return None, peers
            p = first(lk[lid], lambda e: e["kind"] == "data")
            if p is None or p > t:
                return None, peers
            last = p if last is None else max(last, p)
    return last, peers


# ----------------------------------------------------------------------------- one run
def run_metrics(ev, end_t, join_names):
    pairs, links = connections(ev)
    lk = by_link(ev)
    res = {}
    hellos = [e for e in ev if e["kind"] == "hello"]
    first_hello = {}
    for e in hellos:
        first_hello.setdefault(e["peer"], e["t"])
    res["helloTimes"] = {p: first_hello.get(p) for p in join_names}
    last_join = max((v for v in res["helloTimes"].values() if v is not None), default=None)
    res["lastJoinHello"] = last_join
    disruptions = [e for e in ev if e["kind"] == "scenario"]
    cut = (min(e["t"] for e in disruptions) - 0.001) if disruptions else end_t
    full, peers = mesh_full_at(ev, links, lk, cut)
    res["joinPhase"] = {"pages": len(peers), "full": full is not None,
                        "fullMeshAfterLastJoinMs": round(full - last_join, 1) if full is not None and last_join is not None else None,
                        "dcOpenAfterLastJoinMs": None}
    opens = [e["t"] for e in ev if e["kind"] == "dataChannel" and e["value"] == "open" and e["t"] <= cut]
    if opens and last_join is not None:
        res["joinPhase"]["dcOpenAfterLastJoinMs"] = round(max(opens) - last_join, 1)
    full_end, peers_end = mesh_full_at(ev, links, lk, end_t)
    res["end"] = {"pages": len(peers_end), "full": full_end is not None,
                  "connectedPairs": count_connected(ev, links, lk, end_t)}

    # per connection
    conns = []
    for (o, a) in pairs:
        O, A = links[o], links[a]
        lo, la = lk[o], lk[a]
        c = {"offerer": O["peer"], "answerer": A["peer"], "created": O["created"]}
        online_rx = None
        for e in ev:
            if e["t"] > O["created"]:
                break
            if e["kind"] == "online" and e["peer"] == O["peer"] and e["remote"] == A["peer"]:
                online_rx = e["t"]
        c["online_rx"] = online_rx
        c["offer_tx"] = first(lo, lambda e: e["kind"] == "signal" and e["value"] == "offer")
        c["offer_rx"] = first(la, lambda e: e["kind"] == "signalRx" and e["value"] == "offer")
        c["answer_tx"] = first(la, lambda e: e["kind"] == "signal" and e["value"] == "answer")
        c["answer_rx"] = first(lo, lambda e: e["kind"] == "signalRx" and e["value"] == "answer")
        for side, l in (("o", lo), ("a", la)):
            c[f"{side}_ice_connected"] = first(l, lambda e: e["kind"] == "iceConnectionState" and e["value"] == "connected")
            c[f"{side}_ice_checking"] = first(l, lambda e: e["kind"] == "iceConnectionState" and e["value"] == "checking")
            c[f"{side}_conn_connecting"] = first(l, lambda e: e["kind"] == "connectionState" and e["value"] == "connecting")
            c[f"{side}_conn_connected"] = first(l, lambda e: e["kind"] == "connectionState" and e["value"] == "connected")
            c[f"{side}_stable"] = first(l, lambda e: e["kind"] == "signalingState" and e["value"] == "stable")
            c[f"{side}_dc_open"] = first(l, lambda e: e["kind"] == "dataChannel" and e["value"] == "open")
            c[f"{side}_probe_rx"] = first(l, lambda e: e["kind"] == "data")
            c[f"{side}_candidates"] = collections.Counter(
                f'{e["value"]}/{e.get("protocol")}' for e in l if e["kind"] == "candidate")
            sp = [e["value"] for e in l if e["kind"] == "selectedPair"]
            c[f"{side}_selected"] = sp[0] if sp else None
            c[f"{side}_sequence"] = sequence(l)
        conns.append(c)
    res["connections"] = conns

    # relayed signals (sent by pages; Chromium: relayed by the server, see chromium side)
    res["signalsSent"] = dict(collections.Counter(e["value"] for e in ev if e["kind"] == "signal"))
    cands = collections.Counter()
    for e in ev:
        if e["kind"] == "candidate":
            cands[f'{e["value"]}/{e.get("protocol")}'] += 1
    res["candidates"] = dict(cands)
    res["connectionsCreated"] = len(links)
    res["selectedRemotePrflx"] = sum(1 for e in ev if e["kind"] == "selectedPair" and e["value"].endswith("/prflx"))
    res["selectedPairs"] = sum(1 for e in ev if e["kind"] == "selectedPair")
    res["disruptions"] = [disruption(ev, links, lk, d, end_t) for d in disruptions]
    return res


def count_connected(ev, links, lk, t):
    peers = alive_at(ev, t)
    n = 0
    for i, a in enumerate(peers):
        for b in peers[i + 1:]:
            la, lb = current_link(links, a, b, t), current_link(links, b, a, t)
            if la is not None and lb is not None and first(lk[la], lambda e: e["kind"] == "data") is not None \
                    and first(lk[lb], lambda e: e["kind"] == "data") is not None:
                n += 1
    return n


def sequence(l):
    """the setup-phase state sequence of one link: up to conn:connected and dc:open both seen"""
    out = []
    seen_conn = seen_dc = False
    for e in l:
        if e["kind"] in STATE_KINDS:
            short = {"signalingState": "sig", "iceConnectionState": "ice", "connectionState": "conn"}[e["kind"]]
            out.append(f'{short}:{e["value"]}')
            if e["kind"] == "connectionState" and e["value"] == "connected":
                seen_conn = True
        elif e["kind"] == "dataChannel" and e["value"] == "open":
            out.append("dc:open")
            seen_dc = True
        if seen_conn and seen_dc:
            break
    return " ".join(out)


def disruption(ev, links, lk, d, end_t):
    T, target, what = d["t"], d["peer"], d["value"]
    out = {"event": what, "peer": target, "t": T, "observers": []}
    # Observers: pages in the mesh at the event. A crosscheck tab is loaded seconds before its
    # join, a MeshSim page at it, so a loaded page that has not joined yet is no observer.
    joined = joined_by(ev, T - 0.001)
    before = [p for p in alive_at(ev, T - 0.001) if p != target and p in joined]
    for o in before:
        old = current_link(links, o, target, T - 0.001)
        r = {"observer": o, "oldRole": links[old]["role"] if old is not None else None}
        L = lk.get(old, [])
        closed_by_page = links[old]["closed"] if old is not None else None
        if closed_by_page is not None and closed_by_page >= T:
            # what the page itself caused by pc.close() is not an observation of the remote's departure:
            # keep the link's events up to its close-by-app line (events at the same time that come
            # before it in the list caused it)
            cut = next(i for i, e in enumerate(L) if e["kind"] == "connection" and e["value"] == "closed")
            L = L[:cut + 1]

        def f(pred, evs=L):
            x = first(evs, pred, after=T)
            return round(x - T, 1) if x is not None else None
        r["dcClosing"] = f(lambda e: e["kind"] == "dataChannel" and e["value"] == "closing")
        # Chromium's page logs the channel's error event as dataChannel error; MeshSim's trace
        # writes it as an `error` line whose detail names the data channel.
        r["dcError"] = f(lambda e: (e["kind"] == "dataChannel" and e["value"] == "error")
                         or (e["kind"] == "error" and "data channel" in (e.get("detail") or "")))
        r["dcClose"] = f(lambda e: e["kind"] == "dataChannel" and e["value"] == "closed")
        r["connDisconnected"] = f(lambda e: e["kind"] == "connectionState" and e["value"] == "disconnected")
        r["connFailed"] = f(lambda e: e["kind"] == "connectionState" and e["value"] == "failed")
        r["oldClosedByPage"] = f(lambda e: e["kind"] == "connection" and e["value"] == "closed")
        r["offline"] = f(lambda e: e["kind"] == "offline" and e["peer"] == o and e["remote"] == target, ev)
        r["online"] = f(lambda e: e["kind"] == "online" and e["peer"] == o and e["remote"] == target, ev)
        r["decisionAfter"] = [e["value"] for e in ev if e["t"] >= T and e["kind"] == "decision" and e["peer"] == o
                              and e["remote"] == target][:3]
        # a new connection with the target after T, both probes
        new_o = [lid for lid, l in links.items() if l["peer"] == o and l["remote"] == target and l["created"] >= T]
        new_t = [lid for lid, l in links.items() if l["peer"] == target and l["remote"] == o and l["created"] >= T]
        p1 = [first(lk[x], lambda e: e["kind"] == "data") for x in new_o]
        p2 = [first(lk[x], lambda e: e["kind"] == "data") for x in new_t]
        p1 = [x for x in p1 if x is not None]
        p2 = [x for x in p2 if x is not None]
        r["newConnectionBothProbes"] = round(max(min(p1), min(p2)) - T, 1) if p1 and p2 else None
        out["observers"].append(r)
    h = first(ev, lambda e: e["kind"] == "hello" and e["peer"] == target, after=T)
    out["targetHello"] = round(h - T, 1) if h is not None else None
    both = [r["newConnectionBothProbes"] for r in out["observers"]]
    out["reconverged"] = max(both) if both and all(x is not None for x in both) else None
    out["offersAfter"] = sum(1 for e in ev if e["t"] >= T and e["kind"] == "signal" and e["value"] == "offer")
    return out


# ----------------------------------------------------------------------------- over runs
SEGMENTS = [
    ("online received -> offer sent (offerer)", "online_rx", "offer_tx"),
    ("offer sent -> offer received", "offer_tx", "offer_rx"),
    ("offer received -> answer sent (answerer)", "offer_rx", "answer_tx"),
    ("answer sent -> answer received", "answer_tx", "answer_rx"),
    ("answer received -> ICE connected (offerer)", "answer_rx", "o_ice_connected"),
    ("answer sent -> ICE connected (answerer)", "answer_tx", "a_ice_connected"),
    ("ICE connected -> connected (offerer)", "o_ice_connected", "o_conn_connected"),
    ("ICE connected -> connected (answerer)", "a_ice_connected", "a_conn_connected"),
    ("connected -> dc open (offerer)", "o_conn_connected", "o_dc_open"),
    ("connected -> dc open (answerer)", "a_conn_connected", "a_dc_open"),
    ("online received -> both probes received", "online_rx", "both_probes"),
]

ORDERS = [
    ("offerer: dc open before connectionState connected", "o_dc_open", "o_conn_connected"),
    ("answerer: dc open before connectionState connected", "a_dc_open", "a_conn_connected"),
    ("offerer: connectionState connecting before ICE connected", "o_conn_connecting", "o_ice_connected"),
    ("answerer: connectionState connecting before ICE connected", "a_conn_connecting", "a_ice_connected"),
    ("offerer: signaling stable before ICE checking", "o_stable", "o_ice_checking"),
    ("offerer: answer received before ICE connected", "answer_rx", "o_ice_connected"),
    ("answerer ICE connected before offerer ICE connected", "a_ice_connected", "o_ice_connected"),
]


def aggregate(runs):
    """runs: list of run_metrics results (one side). Pools connections over runs."""
    agg = {"runs": len(runs)}
    agg["fullMeshAfterLastJoinMs"] = stats([r["joinPhase"]["fullMeshAfterLastJoinMs"] for r in runs])
    agg["fullMeshRuns"] = sum(1 for r in runs if r["joinPhase"]["full"])
    agg["fullAtEndRuns"] = sum(1 for r in runs if r["end"]["full"])
    agg["lastDcOpenAfterLastJoinMs"] = stats([r["joinPhase"]["dcOpenAfterLastJoinMs"] for r in runs])
    agg["helloLagMs"] = None
    conns = [c for r in runs for c in r["connections"]]
    for c in conns:
        c["both_probes"] = max(c["o_probe_rx"], c["a_probe_rx"]) if c["o_probe_rx"] is not None and c["a_probe_rx"] is not None else None
    seg = {}
    for name, a, b in SEGMENTS:
        seg[name] = stats([c[b] - c[a] for c in conns if c.get(a) is not None and c.get(b) is not None])
    agg["segments"] = seg
    agg["connections"] = len(conns)
    orders = {}
    for name, a, b in ORDERS:
        both = [c for c in conns if c.get(a) is not None and c.get(b) is not None]
        orders[name] = {"yes": sum(1 for c in both if c[a] < c[b]), "n": len(both)}
    agg["orders"] = orders
    for side, role in (("o", "offerer"), ("a", "answerer")):
        cnt = collections.Counter(c[f"{side}_sequence"] for c in conns)
        agg[f"{role}Sequences"] = [{"count": n, "sequence": s} for s, n in cnt.most_common(3)]
        agg[f"{role}DistinctSequences"] = len(cnt)
    sig = collections.Counter()
    for r in runs:
        sig.update(r.get("relayed") or r["signalsSent"])
    agg["signalsPerRun"] = {k: round(v / len(runs), 1) for k, v in sorted(sig.items())}
    cand = collections.Counter()
    for r in runs:
        cand.update(r["candidates"])
    npc = sum(r["connectionsCreated"] for r in runs)
    agg["candidatesPerRun"] = {k: round(v / len(runs), 1) for k, v in sorted(cand.items())}
    agg["connectionsPerRun"] = round(npc / len(runs), 1)
    agg["selectedRemotePrflxPerRun"] = round(sum(r["selectedRemotePrflx"] for r in runs) / len(runs), 1)
    agg["selectedPairsPerRun"] = round(sum(r["selectedPairs"] for r in runs) / len(runs), 1)
    # disruptions, pooled by index
    nd = max((len(r["disruptions"]) for r in runs), default=0)
    dis = []
    for i in range(nd):
        ds = [r["disruptions"][i] for r in runs if len(r["disruptions"]) > i]
        obs = [o for d in ds for o in d["observers"]]
        item = {"event": ds[0]["event"], "peer": ds[0]["peer"]}
        for k in ("dcClosing", "dcError", "dcClose", "offline", "online", "connDisconnected", "connFailed",
                  "oldClosedByPage", "newConnectionBothProbes"):
            vals = [o[k] for o in obs]
            item[k] = stats(vals)
            item[k + "Never"] = sum(1 for v in vals if v is None)
        item["observerLinks"] = len(obs)
        item["targetHello"] = stats([d["targetHello"] for d in ds])
        item["reconverged"] = stats([d["reconverged"] for d in ds])
        item["reconvergedRuns"] = sum(1 for d in ds if d["reconverged"] is not None)
        item["offersAfter"] = stats([d["offersAfter"] for d in ds])
        dec = collections.Counter(x for o in obs for x in o["decisionAfter"])
        item["decisions"] = dict(dec)
        dis.append(item)
    agg["disruptions"] = dis
    return agg


# ----------------------------------------------------------------------------- printing
def fmt(s):
    if s is None:
        return "-"
    if s["n"] == 1 or s["min"] == s["max"]:
        return f'{s["median"]}'
    return f'{s["median"]} ({s["min"]}–{s["max"]})'


def table(rows, header):
    w = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    lines = ["| " + " | ".join(str(h).ljust(w[i]) for i, h in enumerate(header)) + " |",
             "|" + "|".join("-" * (x + 2) for x in w) + "|"]
    for r in rows:
        lines.append("| " + " | ".join(str(c).ljust(w[i]) for i, c in enumerate(r)) + " |")
    return "\n".join(lines)


def side_by_side(ch, ms, title_ms="MeshSim"):
    """Markdown tables, Chromium vs MeshSim (ms may be None)."""
    out = []
    g = (lambda d, *ks: _get(d, ks))
    H = ["", f'Chromium ({ch["runs"]} runs)', title_ms if ms else "MeshSim (not run)"]
    rows = [
        ["full mesh after the last join (ms, every ordered pair got the probe)", fmt(ch["fullMeshAfterLastJoinMs"]) + f' [{ch["fullMeshRuns"]}/{ch["runs"]} full]',
         (fmt(ms["fullMeshAfterLastJoinMs"]) + f' [{ms["fullMeshRuns"]}/{ms["runs"]} full]') if ms else "-"],
        ["last dc open after the last join (ms)", fmt(ch["lastDcOpenAfterLastJoinMs"]), fmt(g(ms, "lastDcOpenAfterLastJoinMs"))],
        ["full mesh at the end of the run", f'{ch["fullAtEndRuns"]}/{ch["runs"]}', f'{ms["fullAtEndRuns"]}/{ms["runs"]}' if ms else "-"],
        ["connections created per run", ch["connectionsPerRun"], g(ms, "connectionsPerRun") or "-"],
        ["connections set up (offer answered), pooled", ch["connections"], g(ms, "connections") or "-"],
    ]
    out.append("Mesh\n\n" + table(rows, H))
    rows = [[name, fmt(ch["segments"][name]), fmt(g(ms, "segments", name))] for name, _, _ in SEGMENTS]
    out.append("Per-connection segments, ms: median (min–max) over all connections of all runs\n\n" + table(rows, H))
    keys = sorted(set(ch["signalsPerRun"]) | set((ms or {}).get("signalsPerRun", {})))
    rows = [[k, ch["signalsPerRun"].get(k, 0), (ms or {}).get("signalsPerRun", {}).get(k, 0) if ms else "-"] for k in keys]
    out.append("Relayed signals per run (mean)\n\n" + table(rows, H))
    keys = sorted(set(ch["candidatesPerRun"]) | set((ms or {}).get("candidatesPerRun", {})))
    rows = [[f"local candidates {k}", ch["candidatesPerRun"].get(k, 0), (ms or {}).get("candidatesPerRun", {}).get(k, 0) if ms else "-"] for k in keys]
    rows.append(["selected pairs with a prflx remote / selected pairs",
                 f'{ch["selectedRemotePrflxPerRun"]} / {ch["selectedPairsPerRun"]}',
                 f'{ms["selectedRemotePrflxPerRun"]} / {ms["selectedPairsPerRun"]}' if ms else "-"])
    out.append("Candidates per run (mean)\n\n" + table(rows, H))
    rows = []
    for name, _, _ in ORDERS:
        a = ch["orders"][name]
        b = g(ms, "orders", name)
        rows.append([name, f'{a["yes"]}/{a["n"]}', f'{b["yes"]}/{b["n"]}' if b else "-"])
    out.append("Orders across state machines (connections where the first happened first / connections with both)\n\n" + table(rows, H))
    for role in ("offerer", "answerer"):
        lines = [f"Most common {role} sequences (up to connected and dc open), count of connections:"]
        for src, d in (("Chromium", ch), ("MeshSim", ms)):
            if not d:
                continue
            lines.append(f"  {src} ({d[role + 'DistinctSequences']} distinct):")
            for s in d[role + "Sequences"]:
                lines.append(f'    {s["count"]:4d}  {s["sequence"]}')
        out.append("\n".join(lines))
    for i, dc in enumerate(ch["disruptions"]):
        dm = ms["disruptions"][i] if ms and i < len(ms["disruptions"]) else None
        rows = []
        for k, label in (("dcClosing", "observer's old dc closing"), ("dcError", "observer's old dc error"),
                         ("dcClose", "observer's old dc close"), ("offline", "offline received"),
                         ("targetHello", "target's new hello (server)"), ("online", "online received"),
                         ("oldClosedByPage", "old connection closed by the page"),
                         ("connDisconnected", "old connectionState disconnected"), ("connFailed", "old connectionState failed"),
                         ("newConnectionBothProbes", "new connection, both probes")):
            def cell(d):
                if not d:
                    return "-"
                s = fmt(d[k])
                nev = d.get(k + "Never")
                if nev:
                    s += f" [never: {nev}/{d['observerLinks']}]"
                return s
            rows.append([label, cell(dc), cell(dm)])
        rows.append(["reconverged (all the target's pairs, both probes)", fmt(dc["reconverged"]) + f' [{dc["reconvergedRuns"]}/{ch["runs"]}]',
                     (fmt(dm["reconverged"]) + f' [{dm["reconvergedRuns"]}/{ms["runs"]}]') if dm else "-"])
        rows.append(["offers sent after the event", fmt(dc["offersAfter"]), fmt(dm["offersAfter"]) if dm else "-"])
        rows.append(["decisions about the target", "; ".join(f"{k} ×{v}" for k, v in dc["decisions"].items()) or "-",
                     ("; ".join(f"{k} ×{v}" for k, v in dm["decisions"].items()) or "-") if dm else "-"])
        out.append(f'After {dc["event"]} of {dc["peer"]}: ms after the event, median (min–max) over observer links\n\n' + table(rows, H))
    return "\n\n".join(out)


def _get(d, ks):
    for k in ks:
        if d is None:
            return None
        d = d.get(k)
    return d
