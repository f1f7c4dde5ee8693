import Testing
@testable import MeshSimKit
@testable import SignalProtocol

/// Whole 2-peer runs through modelled NATs: connectivity must emerge from the boxes' mapping
/// and filtering and the ICE agents' checks, and agree with the literature's rule (plus the
/// address-dependent-mapping rescue the mechanism allows, see `HolePunch`), for every one of
/// the 81 mapping × filtering combinations a user can write, not only the four classic names.
@Suite struct NATConnectivityTests {
    static let specs: [NATSpec] = NATBehaviour.allCases.flatMap { m in
        NATBehaviour.allCases.map { f in NATSpec(mapping: m, filtering: f) }
    }

    static func json(_ s: NATSpec) -> String {
        "{\"mapping\": \"\(s.mapping.rawValue)\", \"filtering\": \"\(s.filtering.rawValue)\"}"
    }

    static func twoPeers(_ a: NATSpec, _ b: NATSpec, turn: Bool, seed: UInt64) throws -> (Simulation, RunReport) {
        let s = try ScenarioRunTests.scenario("""
        {"name": "nat", "duration": "25s", "seed": \(seed), "network": {"turn": \(turn), "jitter": "3ms"},
         "peers": [{"id": "a", "nat": \(json(a))}, {"id": "b", "join": "300ms", "nat": \(json(b))}]}
        """)
        return ScenarioRunTests.run(s)
    }

    /// Behind NATs the per-role state sequences stay Chromium's (calibration §1); what changes
    /// is the candidates: a host and a server-reflexive one per side, and a peer-reflexive one
    /// learned where a check arrives before the srflx candidate that names it.
    @Test func twoPeersBehindNATsKeepTheRecordedStateSequences() throws {
        let s = try ScenarioRunTests.scenario("""
        {"name": "nat pair", "duration": "20s",
         "peers": [{"id": "a", "nat": "portRestrictedCone"}, {"id": "b", "join": "500ms", "nat": "restrictedCone"}]}
        """)
        let (sim, report) = ScenarioRunTests.run(s)
        #expect(report.fullMesh && report.violations.isEmpty)
        let lines = sim.trace.capturedLines
        let v = { (kind: String, peer: String, remote: String) in ScenarioRunTests.values(lines, kind: kind, peer: peer, remote: remote) }
        #expect(v("signalingState", "a", "b") == ["have-local-offer", "stable"])
        #expect(v("signalingState", "b", "a") == ["have-remote-offer", "stable"])
        #expect(v("iceConnectionState", "a", "b") == ["checking", "connected"])
        #expect(v("iceConnectionState", "b", "a") == ["checking", "connected"])
        #expect(v("connectionState", "a", "b") == ["connecting", "connected"])
        #expect(v("connectionState", "b", "a") == ["connecting", "connected"])
        #expect(v("iceGatheringState", "a", "b") == ["gathering", "complete"])
        #expect(Array(v("candidate", "a", "b").prefix(2)) == ["host", "srflx"])
        #expect(Array(v("candidate", "b", "a").prefix(2)) == ["host", "srflx"])
        // Private host candidates never work across NATs: the selected pair is reflexive.
        for (p, r) in [("a", "b"), ("b", "a")] {
            let pair = try #require(v("selectedPair", p, r).last)
            #expect(pair.hasPrefix("host/") && pair != "host/host", "\(p): \(pair)")
        }
        // 1 offer + 1 answer + 2 candidates (host, srflx) per side, and the offerer's host
        // TCP candidate (its TCP gathering phase comes before it can connect).
        #expect(report.signalingMessages == 8)
    }

    /// Every unordered pair of the 9 NAT behaviours, STUN only.
    @Test(arguments: 0..<9)
    func stunOnlyConnectivityFollowsTheMechanism(row: Int) throws {
        for column in row..<9 {
            let a = Self.specs[row], b = Self.specs[column]
            let expected = HolePunch.literatureRule(a, b) || HolePunch.addressDependentRescue(a, b)
            let (_, report) = try Self.twoPeers(a, b, turn: false, seed: UInt64(row * 9 + column + 1))
            #expect(report.fullMesh == expected, "\(a.displayName) vs \(b.displayName): expected \(expected ? "direct" : "no") connectivity; stuck: \(report.stuck.map(\.reason))")
            if !expected {
                #expect(report.stuck.first?.reason.contains("add a TURN server") == true, "\(report.stuck.map(\.reason))")
            }
        }
    }

    /// With TURN every pair connects, and ICE keeps a direct path wherever one works.
    @Test(arguments: 0..<9)
    func withTurnEveryPairConnectsAndDirectIsPreferred(row: Int) throws {
        for column in row..<9 {
            let a = Self.specs[row], b = Self.specs[column]
            let direct = HolePunch.literatureRule(a, b) || HolePunch.addressDependentRescue(a, b)
            let (sim, report) = try Self.twoPeers(a, b, turn: true, seed: UInt64(row * 9 + column + 100))
            #expect(report.fullMesh, "\(a.displayName) vs \(b.displayName) with TURN: \(report.stuck.map(\.reason))")
            let relayed = sim.connections.contains { !$0.closed && $0.selectedRelay }
            #expect(relayed == !direct, "\(a.displayName) vs \(b.displayName): relayed \(relayed), direct path exists \(direct)")
        }
    }
}
