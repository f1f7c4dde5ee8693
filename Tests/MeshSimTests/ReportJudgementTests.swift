import Foundation
import Testing
@testable import MeshSimKit
@testable import SignalProtocol

/// What a report concludes where a run is unusual: attackers that come and go, a run stopped
/// before anything loaded, a page still loading at the end, a peer that left and joined again,
/// two tabs refused one uid (QA, session 14). Each test failed before its fix.
@Suite struct ReportJudgementTests {
    private static func run(_ json: String, policy: any MeshPolicy = SeedPolicy(), until: Int64? = nil) throws -> (Simulation, RunReport) {
        let s = try ScenarioRunTests.scenario(json)
        var options = RunOptions(seed: s.seed, policy: policy)
        options.until = until
        let sim = Simulation(scenario: s, options: options, traceSink: TraceWriter(sink: nil, capture: true))
        sim.run()
        return (sim, RunReport(simulation: sim))
    }

    private static func result(_ r: RunReport, _ name: String) -> ExpectationResult? {
        r.expectations.first { $0.name == name }
    }

    /// An attacker is not a member of the mesh: its join (or its reload) does not move the
    /// moment `convergedWithin` counts from, so a slow mesh cannot pass on its account.
    @Test func anAttackersJoinIsNotTheLastJoin() throws {
        let honest = #"{"id": "alice"}, {"id": "bob", "join": "500ms"}"#
        for extra in [#", {"id": "mallory", "join": "2s", "behaviour": ["flood"]}"#, ""] {
            let (_, r) = try Self.run(#"{"name": "t", "duration": "10s", "peers": [\#(honest)\#(extra)], "expect": {"convergedWithin": "100ms"}}"#)
            let judged = try #require(Self.result(r, "convergedWithin"))
            #expect(!judged.ok, "\(judged.detail)")
            #expect(judged.detail.contains("the last join (bob) at 500 ms"), "\(judged.detail)")
        }
        let (_, r) = try Self.run(#"""
        {"name": "t", "duration": "10s", "peers": [\#(honest), {"id": "mallory", "join": "100ms", "behaviour": ["flood"]}],
         "events": [{"at": "3s", "do": "refresh", "peer": "mallory", "downtime": "1s"}], "expect": {"convergedWithin": "100ms"}}
        """#)
        #expect(Self.result(r, "convergedWithin")?.ok == false)
    }

    /// Stopped before any page loaded: trivially full since the start, with a time.
    @Test func aRunStoppedBeforeAnyPageLoadedIsFullSinceTheStart() throws {
        let (_, r) = try Self.run(#"{"name": "t", "duration": "10s", "peers": [{"id": "a", "join": "1s"}, {"id": "b", "join": "2s"}]}"#,
                                  until: 500 * nsPerMs)
        #expect(r.fullMesh)
        #expect(r.convergedAt == 0)
    }

    /// `channelNotOpen` means both connections are connected: one still connecting is
    /// `notConnectedYet`, whichever side is looked at first.
    @Test func aConnectionStillConnectingIsNotConnectedYetNotChannelNotOpen() throws {
        let s = try StuckPairTests.load("Scenarios/2-peers.json")
        var options = RunOptions(seed: s.seed, policy: SeedPolicy())
        options.until = nsPerSecond
        let sim = Simulation(scenario: s, options: options, traceSink: TraceWriter(sink: nil, capture: true))
        sim.run()
        let r = RunReport(simulation: sim)
        #expect(r.stuck.map(\.cause) == [.notConnectedYet], "\(r.stuck.map(\.reason))")
    }

    /// A peer that left and joined again is a new page: the first offer to it sets a pair up.
    @Test func aFirstOfferToAPeerThatJoinedAgainIsNoRenegotiation() throws {
        let (_, r) = try Self.run(#"""
        {"name": "t", "duration": "30s", "peers": [{"count": 4, "idPrefix": "p", "join": {"start": "0s", "every": "200ms"}}],
         "events": [{"at": "5s", "do": "leave", "peer": "p2"}, {"at": "10s", "do": "join", "peer": "p2"}],
         "expect": {"fullMesh": true, "noRenegotiation": ["p1"]}}
        """#, policy: KeepLiveLinksPolicy())
        #expect(r.fullMesh)
        let judged = try #require(Self.result(r, "noRenegotiation"))
        #expect(judged.ok, "\(judged.detail)")
    }

    /// A page whose load has not finished by the end (a join 1 ms before it) never ran its
    /// script: `neverLoaded` with the reason, not a closed WebSocket.
    @Test func aPageStillLoadingAtTheEndIsSaidToBeLoading() throws {
        let (_, r) = try Self.run(#"""
        {"name": "t", "duration": "10s", "peers": [{"id": "a"}, {"id": "b"}],
         "events": [{"at": "9.999s", "do": "join", "peer": "c"}]}
        """#)
        #expect(!r.stuck.isEmpty)
        for s in r.stuck {
            #expect(s.cause == .neverLoaded, "\(s.reason)")
            #expect(s.reason.contains("c's page is still loading at the end of the run"), "\(s.reason)")
        }
    }

    /// Two tabs that lost one uid picked the same fresh one: the one the server refuses is
    /// stuck with everyone for that reason, not for a redial the policy did not make.
    @Test func aTabRefusedItsUidIsStuckForThatWithEveryone() throws {
        let (_, r) = try Self.run(#"""
        {"name": "t", "duration": "60s", "peers": [{"count": 4, "idPrefix": "p", "join": {"start": "0s", "every": "200ms"}}],
         "events": [{"at": "5s", "do": "duplicateTab", "peer": "p2", "as": "p2b"}, {"at": "6s", "do": "duplicateTab", "peer": "p2b", "as": "p2c"}]}
        """#, policy: KeepLiveLinksPolicy())
        // p2 and p2b share the fresh uid (`sameUid`); every other pair of p2b is refused.
        let withRefused = r.stuck.filter { ($0.a == "p2b" || $0.b == "p2b") && $0.a != "p2" && $0.b != "p2" }
        #expect(!withRefused.isEmpty)
        #expect(withRefused.allSatisfy { $0.cause == .uidTakenOver }, "\(withRefused.map { "\($0.cause): \($0.reason)" })")
    }

    /// After a `network` event turned TURN on, ICE restarts of older connections gather no
    /// relay: the reason says the restarts happened and why they could not help.
    @Test func restartsAfterTURNCameOnAreNamedInTheReason() throws {
        let (_, r) = try Self.run(#"""
        {"name": "t", "duration": "60s", "network": {"turn": false},
         "peers": [{"id": "a", "nat": "symmetric"}, {"id": "b", "nat": "symmetric"}, {"id": "c"}],
         "events": [{"at": "10s", "do": "network", "turn": true}]}
        """#, policy: RestartICEPolicy())
        let ab = try #require(r.stuck.first { Set([$0.a, $0.b]) == ["a", "b"] })
        #expect(ab.reason.contains("ICE restarts"), "\(ab.reason)")
        #expect(!ab.reason.contains("nothing dialled again"), "\(ab.reason)")
    }
}
