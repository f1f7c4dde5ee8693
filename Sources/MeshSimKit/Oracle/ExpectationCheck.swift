/// The verdict on one `expect` field.
struct ExpectationResult {
    var name: String
    var ok: Bool
    var detail: String
    /// False when the run stopped before the end this expectation is about (`--until`, the
    /// event budget): then `ok` is false too, since nothing shows that it held.
    var judged = true
    /// A failure nothing later in the run could undo (more signals than allowed, an offer
    /// that renegotiated a pair, an attack that got through): it stands even when the run
    /// stopped early.
    var failedForGood = false
}

/// Judges a finished run against the scenario's `expect` block (docs/contract.md, "expect").
extension Simulation {
    func checkExpectations() -> [ExpectationResult] {
        let results = judgeExpectations()
        guard let stop = stoppedEarly else { return results }
        // A run stopped early cannot say what holds at its end. An expectation that already
        // failed for good (more signals than allowed, an offer that was a renegotiation, an
        // attack that got through) stays failed; every other is reported as not judged.
        let end = formatSeconds(scenario.duration)
        return results.map { r in
            if r.failedForGood { return r }
            return ExpectationResult(name: r.name, ok: false,
                detail: "not judged: the run stopped at \(formatSeconds(now)) by \(stop.words), before the end (\(end)) this expectation is about",
                judged: false)
        }
    }

    private func judgeExpectations() -> [ExpectationResult] {
        let expect = scenario.expect
        var results: [ExpectationResult] = []
        let full = oracle.isFull
        let summary = "\(oracle.connectedPairs) of \(counted(oracle.expectedPairs, "pair")) connected"
        for name in expect.present {
            switch name {
            case "fullMesh":
                let ok = full == expect.fullMesh
                results.append(ExpectationResult(name: "fullMesh", ok: ok,
                    detail: "expected \(expect.fullMesh ? "a full mesh" : "no full mesh"), got \(full ? "a full mesh" : "no full mesh") (\(summary))"))
            case "convergedWithin":
                guard let within = expect.convergedWithin else { continue }
                let start = convergenceStart
                let ended = start.isJoin ? "\(start.what) at \(formatSeconds(start.time))"
                                         : "\(start.what), which ended at \(formatSeconds(start.time))"
                if !start.isJoin && start.time > scenario.duration {
                    // The disruption outlasts the run: what follows its end was never observed
                    // (QA, session 15: "stayed full through ..., which ended at 44 s" of a 40 s run).
                    results.append(ExpectationResult(name: "convergedWithin", ok: false,
                        detail: "not judged: \(start.what) ends at \(formatSeconds(start.time)), after the end of the run (\(formatSeconds(scenario.duration))), so how soon the mesh is full after it is not observed; lengthen duration",
                        judged: false))
                } else if let since = oracle.fullSince {
                    let ok = since <= start.time + within
                    let when = since >= start.time
                        ? "full since \(formatSeconds(since)), \(formatSeconds(since - start.time)) after \(ended)"
                        : "full since \(formatSeconds(since)) and stayed full through \(ended)"
                    results.append(ExpectationResult(name: "convergedWithin", ok: ok,
                        detail: "\(when); allowed \(formatSeconds(within))"))
                } else {
                    results.append(ExpectationResult(name: "convergedWithin", ok: false,
                        detail: "the mesh is not full at the end (\(summary))"))
                }
            case "connected":
                for pair in expect.connected {
                    let ok = pairIsConnected(pair.a, pair.b)
                    results.append(ExpectationResult(name: "connected", ok: ok,
                        detail: ok ? "\(pair.a) and \(pair.b) are connected" : diagnosePair(pair.a, pair.b)))
                }
            case "notConnected":
                for pair in expect.notConnected {
                    let ok = !pairIsConnected(pair.a, pair.b)
                    results.append(ExpectationResult(name: "notConnected", ok: ok,
                        detail: ok ? "\(pair.a) and \(pair.b) are not connected: \(diagnosePair(pair.a, pair.b))" : "\(pair.a) and \(pair.b) are connected"))
                }
            case "relayed":
                for pair in expect.relayed {
                    let relayed = pairIsRelayed(pair.a, pair.b)
                    results.append(ExpectationResult(name: "relayed", ok: relayed,
                        detail: relayed ? "\(pair.a)–\(pair.b) goes through a TURN relay"
                                        : "\(pair.a)–\(pair.b) does not use a TURN relay (\(pairIsConnected(pair.a, pair.b) ? "direct path selected" : diagnosePair(pair.a, pair.b)))"))
                }
            case "noRenegotiation":
                for peer in expect.noRenegotiation {
                    results.append(judgeNoRenegotiation(peer))
                }
            case "maxSignalingMessages":
                guard let max = expect.maxSignalingMessages else { continue }
                results.append(ExpectationResult(name: "maxSignalingMessages", ok: signalsRelayed <= max,
                    detail: "\(signalsRelayed) signaling messages relayed; at most \(max) allowed", failedForGood: signalsRelayed > max))
            case "dataDelivered":
                guard let fraction = expect.dataDelivered else { continue }
                let d = DataReport(simulation: self).total
                let judged = d.delivered + d.lost
                let got = judged == 0 ? 0 : Double(d.delivered) / Double(judged)
                let inFlight = d.inFlight > 0 ? "; \(d.inFlight) still in flight at the end, not counted" : ""
                results.append(ExpectationResult(name: "dataDelivered", ok: judged > 0 && got >= fraction,
                    detail: judged == 0 ? "no traffic message was delivered or lost (\(d.sent) sent\(inFlight))"
                        : { let (g, f) = formatPercents(got, fraction)
                            return "\(d.delivered) of \(judged) messages arrived (\(g)), \(d.lost) lost\(inFlight); at least \(f) expected" }()))
            case "maxUplinkUtilisation":
                guard let bound = expect.maxUplinkUtilisation else { continue }
                let m = MediaReport(simulation: self)
                if let peak = m.maxUplinkUtilisation {
                    let over = m.hosts.filter { ($0.up.peakUtilisation ?? 0) > bound }.map(\.name)
                    results.append(ExpectationResult(name: "maxUplinkUtilisation", ok: peak.value <= bound,
                        detail: { let (p, b) = formatPercents(peak.value, bound)
                            return "peak uplink demand \(p) of capacity (\(peak.name)); at most \(b) allowed" }()
                            + (over.isEmpty ? "" : "; above it: " + over.prefix(10).joined(separator: ", ") + (over.count > 10 ? ", ..." : ""))))
                } else {
                    results.append(ExpectationResult(name: "maxUplinkUtilisation", ok: true,
                        detail: "no host has an uplink capacity (network or peer `uplink`): nothing can be above it"))
                }
            case "maxDataLatency":
                guard let bound = expect.maxDataLatency else { continue }
                let d = DataReport(simulation: self).total
                if let worst = d.latency.max {
                    results.append(ExpectationResult(name: "maxDataLatency", ok: worst <= bound,
                        detail: "the slowest of \(counted(d.delivered, "message")) delivered took \(formatSeconds(worst)) (p99 \(formatSeconds(d.latency.p99 ?? 0))); at most \(formatSeconds(bound)) allowed"))
                } else {
                    results.append(ExpectationResult(name: "maxDataLatency", ok: false, detail: "no traffic message was delivered"))
                }
            default:
                continue
            }
        }
        // Implied by any attacker in the scenario: every attack tried was blocked, and every
        // attacker tried each of its attacks at least once.
        let scheduled = attacksScheduled
        if !scheduled.isEmpty {
            let blocked = attacks.filter(\.blocked)
            let missed = attacks.filter { !$0.blocked }.map { "\($0.attacker) \($0.kind.rawValue)" }
            let untried = scheduled.filter { s in !attacks.contains { $0.attacker == s.attacker && $0.kind == s.kind } }
                .map { "\($0.attacker) \($0.kind.rawValue)" }
            results.append(ExpectationResult(name: "attacksBlocked", ok: missed.isEmpty && untried.isEmpty,
                detail: "\(blocked.count) of \(attacks.count) attacks tried were blocked"
                    + (missed.isEmpty ? "" : "; not blocked: " + missed.joined(separator: ", "))
                    + (untried.isEmpty ? "" : "; never tried (no honest uid registered, or the attacker's page was gone): "
                        + untried.joined(separator: ", ")), failedForGood: !missed.isEmpty))
        }
        return results
    }

    /// docs/contract.md `noRenegotiation`: after the peer's last disruptive event, no offer was
    /// created for a pair of theirs that had been connected before that offer. A first offer
    /// to a page that joins later sets a pair up; it renegotiates nothing. Offers to and from
    /// attackers are not the mesh's. A failure names each pair and when its offers came.
    func judgeNoRenegotiation(_ peer: String) -> ExpectationResult {
        let since = lastDisruption(of: peer)
        guard let me = slotIndex[peer] else {
            return ExpectationResult(name: "noRenegotiation", ok: false, detail: "unknown peer \(peer)")
        }
        let uid = peers[me].uid
        var renegotiated: [(other: PeerID, count: Int, first: Int64)] = []
        var firstOffers = 0
        for r in offerLog where r.time > since && !isAttacker(slot: r.slot) && !isAttackerUID(r.remoteUID) {
            // The other end of the pair: the remote's peer names when `peer` offered, the
            // offerer when an offer was made to `peer`'s uid.
            let others: [PeerID]
            if r.slot == me { others = uidSlots[r.remoteUID] ?? [] }
            else if r.remoteUID == uid { others = [r.slot] }
            else { continue }
            let before = others.filter { o in o != me && (oracle.firstConnected(me.raw, o.raw).map { $0 <= r.time } ?? false) }
            guard let other = before.first else { firstOffers += 1; continue }
            if let i = renegotiated.firstIndex(where: { $0.other == other }) {
                renegotiated[i].count += 1
            } else {
                renegotiated.append((other, 1, r.time))
            }
        }
        let total = renegotiated.reduce(0) { $0 + $1.count }
        let setUps = firstOffers > 0 ? " (\(counted(firstOffers, "first offer")) setting up pairs not connected before: not renegotiations)" : ""
        guard total > 0 else {
            return ExpectationResult(name: "noRenegotiation", ok: true,
                detail: "no offer renegotiated a pair of \(peer) after \(formatSeconds(since))\(setUps)")
        }
        let shown = renegotiated.prefix(10).map { e in
            "\(peer)–\(peers[e.other].name) (\(counted(e.count, "offer")), first at \(formatSeconds(e.first)))"
        }
        let more = renegotiated.count > 10 ? ", and \(renegotiated.count - 10) more pairs" : ""
        return ExpectationResult(name: "noRenegotiation", ok: false,
            detail: "\(counted(total, "offer")) after \(formatSeconds(since)) renegotiated \(counted(renegotiated.count, "pair")) of \(peer) that had been connected before: "
                + shown.joined(separator: ", ") + more + setUps, failedForGood: true)
    }

    func pairIsConnected(_ a: String, _ b: String) -> Bool {
        guard let x = slotIndex[a], let y = slotIndex[b] else { return false }
        return oracle.isConnected(x.raw, y.raw)
    }

    func diagnosePair(_ a: String, _ b: String) -> String {
        guard let x = slotIndex[a], let y = slotIndex[b] else { return "unknown peer" }
        return diagnose(x, y)
    }

    func pairIsRelayed(_ a: String, _ b: String) -> Bool {
        guard let x = slotIndex[a], let y = slotIndex[b], oracle.isConnected(x.raw, y.raw),
              let c = currentConnection(from: x, to: y) else { return false }
        return connections[Int(c)].selectedRelay
    }

    /// Since when `noRenegotiation` counts offers for `peer`: the moment of the last disruptive
    /// event naming it (a server restart or a network change names everyone); for a peer no event names, the last
    /// disruptive event of the scenario; with no disruptive event at all, the last join.
    func lastDisruption(of peer: String) -> Int64 {
        let disruptive = scenario.events.filter { $0.isDisruptive && !onlyTouchesAttackers($0) }
        if let named = disruptive.last(where: { $0.disturbs(peer) }) { return named.at }
        if let any = disruptive.last { return any.at }
        let joins = scenario.events.compactMap { e -> Int64? in
            if case .join = e.action, !onlyTouchesAttackers(e) { return e.at } else { return nil }
        }
        return max(scenario.peers.filter { !isAttackerName($0.id) }.map(\.join).max() ?? 0, joins.max() ?? 0)
    }
}

/// Nanoseconds as seconds for prose, e.g. `12.5 s`.
func formatSeconds(_ ns: Int64) -> String {
    let ms = formatMillis(ns)
    if ns.magnitude < 1_000_000_000 { return "\(ms) ms" }
    let whole = ns / 1_000_000_000
    let frac = (ns.magnitude % 1_000_000_000) / 1_000_000
    if frac == 0 { return "\(whole) s" }
    var f = String(frac)
    f = String(repeating: "0", count: 3 - f.count) + f
    while f.hasSuffix("0") { f.removeLast() }
    return "\(whole).\(f) s"
}
