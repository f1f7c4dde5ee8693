/// Refuses, before a run, scenario features whose effect the simulator does not model yet.
///
/// The loader accepts the whole CONTRACT format; this check is the one place that says what
/// this build cannot simulate, so nothing is ever silently ignored (exit 2, one line each).
enum SupportCheck {
    static func problems(in scenario: Scenario) -> [ScenarioProblem] {
        var problems: [ScenarioProblem] = []
        func refuse(_ path: String, _ what: String) {
            problems.append(ScenarioProblem(file: scenario.file, path: path, message: "\(what) is not supported yet"))
        }
        func checkPeer(_ p: PeerSpec, _ path: String) {
            if p.nat != nil { refuse("\(path).nat", "NAT traversal (a nat other than \"none\")") }
            if p.lan != nil { refuse("\(path).lan", "a shared LAN") }
            if !p.udp { refuse("\(path).udp", "a UDP-blocking firewall (udp: false)") }
        }
        var seenPaths: [String] = []
        for p in scenario.peers {
            // Group members share their group's path prefix; report a group once.
            let base = String(p.path.prefix { $0 != " " })
            if seenPaths.last == base { continue }
            let before = problems.count
            checkPeer(p, base)
            if problems.count > before { seenPaths.append(base) }
        }
        if scenario.network.turn { refuse("network.turn", "a TURN server") }
        for e in scenario.events {
            switch e.action {
            case .join(let p):
                checkPeer(p, e.path)
            case .network(let patch):
                if patch.turn == true { refuse("\(e.path).turn", "a TURN server") }
            default:
                continue
            }
        }
        return problems
    }
}
