import SignalProtocol
import Testing
@testable import MeshSimKit

/// What `fuzz` found in the simulator's own judgement (docs/fuzzing.md, "What it found"): each
/// scenario is a shrunk fuzz failure, and each test failed before its fix.
@Suite struct FuzzFindingsTests {
    static func stuck(_ json: String, policy: any MeshPolicy) throws -> (report: RunReport, causes: [String: StuckCause]) {
        let s = try ScenarioRunTests.scenario(json)
        let (_, report) = ScenarioRunTests.run(s, policy: policy)
        var causes: [String: StuckCause] = [:]  // lookup only
        for p in report.stuck { causes["\(p.a)-\(p.b)"] = p.cause }
        return (report, causes)
    }

    /// After a server restart a duplicated tab claims p4's uid first; p4 is refused with
    /// `uidTaken` for the rest of the run. It was `webSocketClosed`.
    @Test func aPageRefusedWithUidTakenIsStuckForUidTakenOver() throws {
        let (report, causes) = try Self.stuck(#"""
            {"name": "t", "seed": 923099, "duration": "79.19s", "policy": "resilient", "peers": [{"id": "p4"}],
             "events": [{"at": "6.257s", "do": "serverRestart", "downtime": "1.231s"},
                        {"at": "8.841s", "do": "duplicateTab", "peer": "p4", "as": "t1"},
                        {"at": "19.19s", "do": "join", "peer": "j1"}], "expect": {}}
            """#, policy: ResilientPolicy())
        #expect(causes["p4-j1"] == .uidTakenOver, "\(report.stuck.map(\.reason))")
        #expect(report.stuck.first { $0.b == "j1" }?.reason.contains("uidTaken") == true)
    }

    /// g1-2 lost its uid to a tab that then left; t2 (a copy of g1-1) is never told of g1-2
    /// because g1-2 is off signaling. It was `neverIntroduced`.
    @Test func aPairWhoseOtherSideIsOffSignalingIsUidTakenOver() throws {
        let (report, causes) = try Self.stuck(#"""
            {"name": "t", "seed": 801521, "duration": "84.036s", "policy": "seed-strict",
             "peers": [{"id": "g1-1"}, {"id": "g1-2"}],
             "events": [{"at": "12.907s", "do": "duplicateTab", "peer": "g1-2", "as": "t1"},
                        {"at": "20.554s", "do": "leave", "peer": "t1"},
                        {"at": "24.036s", "do": "duplicateTab", "peer": "g1-1", "as": "t2"}], "expect": {}}
            """#, policy: Policies.named("seed-strict")!)
        #expect(causes["g1-2-t2"] == .uidTakenOver, "\(report.stuck.map(\.reason))")
    }

    /// p1 and p3 connected through TURN; a network event turned TURN off and restart-ice
    /// restarts ICE every 15 s for ever. Without TURN hole punching cannot work for this pair:
    /// the network explains it. It was `notConnectedYet` (a connection that once worked was
    /// never judged on connectivity).
    @Test func aPairThatOnlyWorkedThroughALostTurnServerIsAConnectivityProblem() throws {
        let (report, causes) = try Self.stuck(#"""
            {"name": "t", "seed": 491242, "duration": "79.308s", "policy": "restart-ice",
             "peers": [{"id": "p1", "nat": "portRestrictedCone"}, {"id": "g2-4"},
                       {"id": "p3", "nat": {"mapping": "addressAndPortDependent", "filtering": "endpointIndependent"}}],
             "events": [{"at": "12.777s", "do": "duplicateTab", "peer": "p1", "as": "t1"},
                        {"at": "13.818s", "do": "network", "turn": true},
                        {"at": "19.308s", "do": "crash", "peer": "g2-4"},
                        {"at": "19.308s", "do": "network", "turn": false}], "expect": {}}
            """#, policy: Policies.named("restart-ice")!)
        #expect(causes["p1-p3"] == .symmetricNat, "\(report.stuck.map(\.reason))")
    }

    /// A crash-restored page's offer reaches the zombie connection, which restarts ICE, fails
    /// and is destroyed while its TURN requests are out: a lifecycle hole of `seed`. A first form
    /// of the rule above (judge on connectivity whatever has not worked since an ICE restart)
    /// read it as `turnUnanswered`; the rule applies to open connections only.
    @Test func aClosedConnectionThatOnceWorkedIsALifecycleMatter() throws {
        let (report, causes) = try Self.stuck(#"""
            {"name": "t", "seed": 136376, "duration": "80.339s", "policy": "seed", "network": {"turn": true},
             "peers": [{"id": "g1-1"}, {"id": "g6-2", "nat": "portRestrictedCone"}],
             "events": [{"at": "15.687s", "do": "refresh", "peer": "g6-2", "clean": false},
                        {"at": "19.339s", "do": "serverRestart"}], "expect": {}}
            """#, policy: SeedPolicy())
        #expect(causes["g1-1-g6-2"] == .closedNotRedialled, "\(report.stuck.map(\.reason))")
    }

    /// The fuzz judgement: network causes are not failures, lifecycle causes are.
    @Test func networkCausesAreNotFailures() throws {
        let s = try ScenarioRunTests.scenario(#"""
            {"name": "t", "duration": "30s", "peers": [{"id": "a", "nat": "symmetric"}, {"id": "b", "nat": "symmetric"}], "expect": {}}
            """#)
        let (_, report) = ScenarioRunTests.run(s)
        #expect(report.stuck.map(\.cause) == [.symmetricNat])
        #expect(FuzzFailure.of(report).isEmpty)
        let zombie = try ScenarioRunTests.scenario(#"""
            {"name": "t", "duration": "70s", "peers": [{"id": "a"}, {"id": "b"}],
             "events": [{"at": "10s", "do": "refresh", "peer": "b", "clean": false}], "expect": {}}
            """#)
        let (_, broken) = ScenarioRunTests.run(zombie)
        #expect(FuzzFailure.of(broken).map(\.signature) == ["stuck:zombieIgnoredOnline"])
        #expect(FuzzFailure.of(broken).first?.pairs == [PeerPair("a", "b")])
    }
}
