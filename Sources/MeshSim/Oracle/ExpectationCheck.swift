/// The verdict on one `expect` field.
struct ExpectationResult {
    var name: String
    var ok: Bool
    var detail: String
}

/// Judges a finished run against the scenario's `expect` block (CONTRACT, "expect").
extension Simulation {
    func checkExpectations() -> [ExpectationResult] {
        let expect = scenario.expect
        var results: [ExpectationResult] = []
        let full = oracle.isFull
        let summary = "\(oracle.connectedPairs) of \(oracle.expectedPairs) pairs connected"
        for name in expect.present {
            switch name {
            case "fullMesh":
                let ok = full == expect.fullMesh
                results.append(ExpectationResult(name: "fullMesh", ok: ok,
                    detail: "expected \(expect.fullMesh ? "a full mesh" : "no full mesh"), got \(full ? "a full mesh" : "no full mesh") (\(summary))"))
            case "convergedWithin":
                guard let within = expect.convergedWithin else { continue }
                let deadline = lastDisruptionEnd + within
                if let since = oracle.fullSince {
                    let ok = since <= deadline
                    results.append(ExpectationResult(name: "convergedWithin", ok: ok,
                        detail: "full since \(formatSeconds(since)), \(formatSeconds(max(0, since - lastDisruptionEnd))) after the last disruption ended at \(formatSeconds(lastDisruptionEnd)); allowed \(formatSeconds(within))"))
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
                    let since = lastDisruption(of: peer)
                    let uid = slotIndex[peer].map { slotUID[Int($0)] } ?? peer
                    // Offers to and from attackers are not renegotiation of the mesh.
                    let offers = offerLog.filter { r in
                        r.time > since && (slotNames[Int(r.slot)] == peer || r.remoteUID == uid)
                            && !isAttacker(slot: r.slot) && !isAttackerUID(r.remoteUID)
                    }.count
                    results.append(ExpectationResult(name: "noRenegotiation", ok: offers == 0,
                        detail: "\(offers) offer\(offers == 1 ? "" : "s") involving \(peer) created after \(formatSeconds(since))"))
                }
            case "maxSignalingMessages":
                guard let max = expect.maxSignalingMessages else { continue }
                results.append(ExpectationResult(name: "maxSignalingMessages", ok: signalsRelayed <= max,
                    detail: "\(signalsRelayed) signaling messages relayed; at most \(max) allowed"))
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
                        + untried.joined(separator: ", "))))
        }
        return results
    }

    func pairIsConnected(_ a: String, _ b: String) -> Bool {
        guard let x = slotIndex[a], let y = slotIndex[b] else { return false }
        return oracle.isConnected(x, y)
    }

    func diagnosePair(_ a: String, _ b: String) -> String {
        guard let x = slotIndex[a], let y = slotIndex[b] else { return "unknown peer" }
        return diagnose(x, y)
    }

    func pairIsRelayed(_ a: String, _ b: String) -> Bool {
        guard let x = slotIndex[a], let y = slotIndex[b], oracle.isConnected(x, y),
              let c = currentConnection(from: x, to: y) else { return false }
        return connections[Int(c)].selectedRelay
    }

    /// Since when `noRenegotiation` counts offers for `peer`: the moment of the last disruptive
    /// event naming it (a server restart or a network change names everyone); for a peer no event names, the last
    /// disruptive event of the scenario; with no disruptive event at all, the last join.
    func lastDisruption(of peer: String) -> Int64 {
        let disruptive = scenario.events.filter(\.isDisruptive)
        if let named = disruptive.last(where: { $0.disturbs(peer) }) { return named.at }
        if let any = disruptive.last { return any.at }
        let joins = scenario.events.compactMap { e -> Int64? in
            if case .join = e.action { return e.at } else { return nil }
        }
        return max(scenario.peers.map(\.join).max() ?? 0, joins.max() ?? 0)
    }

    /// Every expected pair not connected at the end, with a reason.
    func stuckPairs() -> [(a: String, b: String, reason: String)] {
        var stuck: [(String, String, String)] = []
        let n = Int32(slotNames.count)
        for a in 0..<n where oracle.live[Int(a)] {
            for b in (a + 1)..<max(a + 1, n) where oracle.live[Int(b)] && !oracle.isConnected(a, b) {
                stuck.append((slotNames[Int(a)], slotNames[Int(b)], diagnose(a, b)))
            }
        }
        return stuck
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
