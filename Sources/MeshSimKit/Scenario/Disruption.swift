/// What a scenario event disturbs and for how long: the one place that reads events as
/// disruptions, for `convergedWithin` (when the last disruption ends) and `noRenegotiation`
/// (since when a peer must not see new offers).
extension ScenarioEvent {
    /// Is this event a disruption (everything but `join`)?
    var isDisruptive: Bool {
        if case .join = action { return false }
        return true
    }

    /// When the disruption ends (docs/contract.md `convergedWithin`): a refresh when the new page
    /// loads; offline, partition, wsDrop and serverRestart when connectivity returns; the
    /// others at once.
    var end: Int64 {
        switch action {
        case .refresh(_, let downtime, _): return at + downtime
        case .wsDrop(_, let after): return at + after
        case .offline(_, let duration), .partition(_, _, let duration): return at + duration
        case .serverRestart(let downtime): return at + downtime
        case .join, .duplicateTab, .leave, .crash, .network: return at
        }
    }

    /// Does the event disturb `peer`? A server restart or a network change disturbs everyone.
    func disturbs(_ peer: String) -> Bool {
        switch action {
        case .join: return false
        case .refresh(let p, _, _), .wsDrop(let p, _), .offline(let p, _), .leave(let p), .crash(let p):
            return p == peer
        case .duplicateTab(let p, let name): return p == peer || name == peer
        case .partition(let a, let b, _): return a == peer || b == peer
        case .serverRestart, .network: return true
        }
    }

    /// The event in a few words for reports: "refresh of p07", "partition of alice and bob".
    var summary: String {
        switch action {
        case .join(let p): return "join of \(p.id)"
        case .duplicateTab(let p, let name): return "duplicateTab of \(p) as \(name)"
        case .partition(let a, let b, _): return "partition of \(a) and \(b)"
        case .serverRestart: return "serverRestart"
        case .network: return "network change"
        case .refresh, .wsDrop, .leave, .crash, .offline: return "\(action.kindName) of \(action.peer ?? "")"
        }
    }
}
