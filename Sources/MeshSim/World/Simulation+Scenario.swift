import SignalProtocol

/// Scenario events (CONTRACT, "events"). Those whose effect is not simulated yet are refused
/// before the run by `SupportCheck`, so every event that reaches here is carried out.
extension Simulation {
    func runScenarioEvent(_ event: ScenarioEvent) {
        switch event.action {
        case .join(let peer):
            let slot = slotIndex[peer.id]!
            _ = ensureHost(slot: slot, latency: peer.latency)
            loadPage(slot: slot, uid: peer.id)
        case .network(let patch):
            network.settings = patch.applied(to: network.settings)
            trace.line(now, "network", peer: nil, value: "changed")
        default:
            invariants.record(now, "\(event.path): event \(event.action.kindName) reached the simulator although it is not supported yet")
        }
    }

    /// When the last disruptive event ends (CONTRACT `convergedWithin`): the last join, or the
    /// end of the last event that disturbs the mesh.
    var lastDisruptionEnd: Int64 {
        var end: Int64 = scenario.peers.map(\.join).max() ?? 0
        for e in scenario.events {
            switch e.action {
            case .join: end = max(end, e.at)
            case .refresh(_, let downtime, _): end = max(end, e.at + downtime)
            case .duplicateTab, .leave, .crash: end = max(end, e.at)
            case .wsDrop(_, let after): end = max(end, e.at + after)
            case .offline(_, let duration): end = max(end, e.at + duration)
            case .partition(_, _, let duration): end = max(end, e.at + duration)
            case .serverRestart(let downtime): end = max(end, e.at + downtime)
            case .network: end = max(end, e.at)
            }
        }
        return end
    }
}
