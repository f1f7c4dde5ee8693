import Foundation
import Testing
@testable import MeshSimKit
@testable import SignalProtocol

/// Whole simulations, judged by their reports and traces.
@Suite struct ScenarioRunTests {
    static func scenario(_ json: String, file: String = "test.json") throws -> Scenario {
        do {
            return try ScenarioLoader.load(bytes: Array(json.utf8), file: file)
        } catch {
            Issue.record("scenario did not load: \(error.problems.map(\.description))")
            throw error
        }
    }

    static func run(_ s: Scenario, policy: any MeshPolicy = SeedPolicy(), seed: UInt64? = nil) -> (Simulation, RunReport) {
        let sim = Simulation(scenario: s, options: RunOptions(seed: seed ?? s.seed, policy: policy),
                             traceSink: TraceWriter(sink: nil, capture: true))
        sim.run()
        return (sim, RunReport(simulation: sim))
    }

    /// The values of one trace kind for one peer's view of one remote, in order.
    static func values(_ lines: [String], kind: String, peer: String, remote: String) -> [String] {
        lines.compactMap { line -> String? in
            guard let v = try? JSONParser.parse(line), v["kind"]?.stringValue == kind,
                  v["peer"]?.stringValue == peer, v["remote"]?.stringValue == remote else { return nil }
            return v["value"]?.stringValue
        }
    }

    static let twoPeers = """
    {"name": "two", "duration": "20s", "peers": [{"id": "a"}, {"id": "b", "join": "500ms"}]}
    """

    @Test func twoPeersFollowTheRecordedSignalingSequencesAndTheEarlierPeerDials() throws {
        let (sim, report) = Self.run(try Self.scenario(Self.twoPeers))
        #expect(report.fullMesh)
        #expect(report.pairsExpected == 1 && report.pairsConnected == 1)
        #expect(report.violations.isEmpty)
        let lines = sim.trace.capturedLines
        #expect(Self.values(lines, kind: "signalingState", peer: "a", remote: "b") == ["have-local-offer", "stable"])
        #expect(Self.values(lines, kind: "signalingState", peer: "b", remote: "a") == ["have-remote-offer", "stable"])
        #expect(Self.values(lines, kind: "connection", peer: "a", remote: "b") == ["active"])
        #expect(Self.values(lines, kind: "connection", peer: "b", remote: "a") == ["passive"])
        #expect(Self.values(lines, kind: "signal", peer: "a", remote: "b").first == "offer")
        #expect(Self.values(lines, kind: "signal", peer: "b", remote: "a").first == "answer")
        // calibration §1: checking → connected, never completed; connecting → connected.
        #expect(Self.values(lines, kind: "iceConnectionState", peer: "a", remote: "b") == ["checking", "connected"])
        #expect(Self.values(lines, kind: "connectionState", peer: "b", remote: "a") == ["connecting", "connected"])
        #expect(Self.values(lines, kind: "dataChannel", peer: "b", remote: "a") == ["open"])
        // 1 offer + 1 answer + 1 host UDP candidate per side (calibration §1-2), and the
        // offerer's host TCP candidate: its TCP gathering phase (100 ms after it applied the
        // offer) comes before the answer lets it connect on this 20 ms network.
        #expect(report.signalingMessages == 5)
        #expect(Self.values(lines, kind: "candidate", peer: "a", remote: "b") == ["host", "host"])
    }

    @Test func tenPeersFormAFullMeshWithTheExpectedMessageCounts() throws {
        let s = try Self.scenario("""
        {"name": "ten", "duration": "30s", "network": {"jitter": "3ms"},
         "peers": [{"count": 10, "idPrefix": "p", "join": {"start": "0s", "every": "300ms"}}]}
        """)
        let (_, report) = Self.run(s)
        #expect(report.fullMesh)
        #expect(report.pairsConnected == 45)
        #expect(report.offersCreated == 45)
        // N(N-1)/2 offers and answers, one UDP candidate per side of each pair, and the
        // offerer's TCP candidate.
        #expect(report.signalingMessages == 45 * 5)
        // N hellos are not relayed; N inits + N(N-1)/2 onlines are control messages.
        #expect(report.controlMessages == 10 + 45)
        #expect(report.convergedAt != nil)
        #expect(report.passed)
    }

    @Test func aFailedExpectationFailsTheRun() throws {
        let s = try Self.scenario("""
        {"name": "strict", "duration": "5s", "peers": [{"id": "a"}, {"id": "b", "join": "1s"}],
         "expect": {"fullMesh": true, "convergedWithin": "10ms", "maxSignalingMessages": 2}}
        """)
        let (_, report) = Self.run(s)
        #expect(report.fullMesh)
        #expect(!report.passed)
        #expect(report.expectations.filter { !$0.ok }.map(\.name) == ["convergedWithin", "maxSignalingMessages"])
    }

    @Test func aRunCutShortReportsTheStuckPairWithAReason() throws {
        let s = try Self.scenario("""
        {"name": "late", "duration": "3s", "peers": [{"id": "a"}, {"id": "b", "join": "2900ms"}],
         "expect": {"fullMesh": false, "notConnected": [["a", "b"]]}}
        """)
        let (_, report) = Self.run(s)
        #expect(!report.fullMesh)
        #expect(report.passed)
        #expect(report.stuck.count == 1)
        #expect(report.stuck.first?.a == "a" && report.stuck.first?.b == "b")
        #expect(report.stuck.first?.reason.isEmpty == false)
    }

    @Test func sameSeedSameTraceDifferentSeedDifferentTrace() throws {
        let s = try Self.scenario("""
        {"name": "j", "duration": "10s", "network": {"jitter": "5ms", "loss": 0.05},
         "peers": [{"count": 6, "idPrefix": "p", "join": {"start": "0s", "every": "100ms"}}]}
        """)
        let (_, r1) = Self.run(s, seed: 11)
        let (_, r2) = Self.run(s, seed: 11)
        let (_, r3) = Self.run(s, seed: 12)
        #expect(r1.traceHash == r2.traceHash)
        #expect(r1.json == r2.json)
        #expect(r1.traceHash != r3.traceHash)
    }

    @Test func lossyNetworksStillConverge() throws {
        let s = try Self.scenario("""
        {"name": "lossy", "duration": "60s", "network": {"loss": 0.2, "jitter": "10ms"},
         "peers": [{"count": 5, "idPrefix": "p", "join": {"start": "0s", "every": "200ms"}}]}
        """)
        let (_, report) = Self.run(s)
        #expect(report.fullMesh)
        #expect(report.violations.isEmpty)
    }

    @Test func thePerPageConnectionCapIsReportedAsTheReason() throws {
        let s = try Self.scenario("""
        {"name": "cap", "duration": "20s", "network": {"ice": {"maxPeerConnections": 2}},
         "peers": [{"count": 4, "idPrefix": "p", "join": {"start": "0s", "every": "200ms"}}],
         "expect": {"fullMesh": false}}
        """)
        let (_, report) = Self.run(s)
        #expect(!report.fullMesh)
        #expect(report.passed)
        #expect(report.stuck.contains { $0.reason.contains("cap of 2 RTCPeerConnections") })
    }
}

/// Lifecycle events under the literal policy and the better ones.
@Suite struct LifecycleRunTests {
    static func fourPeers(_ events: String, duration: String = "60s") -> String {
        """
        {"name": "lc", "duration": "\(duration)", "peers": [{"count": 4, "idPrefix": "p", "join": {"start": "0s", "every": "300ms"}}],
         "events": [\(events)]}
        """
    }

    @Test func crashRestoreLeavesSeedWithZombiesAndResilientRepairsIt() throws {
        let s = try ScenarioRunTests.scenario(Self.fourPeers(#"{"at": "10s", "do": "refresh", "peer": "p2", "clean": false}"#))
        let (seedSim, seed) = ScenarioRunTests.run(s, policy: SeedPolicy())
        #expect(!seed.fullMesh)
        #expect(seed.stuck.count == 3)
        #expect(seed.stuck.allSatisfy { $0.reason.contains("without closing anything") && $0.reason.contains("ignored p2's online") })
        // The zombie: the old connection still read connected when p2's online arrived.
        #expect(seedSim.trace.capturedLines.contains { $0.contains("\"decision\"") && $0.contains("online: ignored, already connected") })
        let (_, resilient) = ScenarioRunTests.run(s, policy: ResilientPolicy())
        #expect(resilient.fullMesh)
        #expect(resilient.convergedAt! - 10_800_000_000 < 5_000_000_000)
    }

    @Test func aCleanReloadClosesTheRemoteChannelWithAnErrorAndSeedRedials() throws {
        let s = try ScenarioRunTests.scenario(Self.fourPeers(#"{"at": "10s", "do": "refresh", "peer": "p2"}"#))
        let (sim, report) = ScenarioRunTests.run(s, policy: SeedPolicy())
        #expect(report.fullMesh)
        let lines = sim.trace.capturedLines
        // calibration exp3: the SCTP abort closes p1's channel to p2's old page within a trip.
        let closed = lines.first { $0.contains("\"kind\":\"dataChannel\",\"peer\":\"p1\",\"remote\":\"p2\",\"value\":\"closed\"") }
        #expect(closed != nil)
    }

    @Test func aVanishedPeerDisconnectsAfterFiveToEightSecondsAndFailsTenSecondsLater() throws {
        let s = try ScenarioRunTests.scenario(Self.fourPeers(#"{"at": "10s", "do": "crash", "peer": "p2"}"#))
        let (sim, _) = ScenarioRunTests.run(s, policy: SeedPolicy())
        let lines = sim.trace.capturedLines
        func time(_ value: String) -> Double? {
            lines.first { $0.contains("\"kind\":\"connectionState\",\"peer\":\"p1\",\"remote\":\"p2\",\"value\":\"\(value)\"") }
                .flatMap { try? JSONParser.parse($0) }?["t"]?.numberValue?.double
        }
        let disconnected = try #require(time("disconnected")), failed = try #require(time("failed"))
        // calibration exp3 (close): disconnected 5.1–7.6 s after, failed 10.0 s after that.
        #expect(disconnected - 10_000 >= 5_000 && disconnected - 10_000 <= 8_500)
        #expect(abs((failed - disconnected) - 10_000) <= 500)
        #expect(!lines.contains { $0.contains("\"iceConnectionState\"") && $0.contains("\"failed\"") })
    }

    @Test func wsDropAndServerRestartNeedNoRenegotiationUnderSeed() throws {
        for event in [#"{"at": "10s", "do": "wsDrop", "peer": "p2", "reconnectAfter": "2s"}"#,
                      #"{"at": "10s", "do": "serverRestart", "downtime": "1s"}"#] {
            let s = try ScenarioRunTests.scenario(Self.fourPeers(event))
            let (sim, report) = ScenarioRunTests.run(s, policy: SeedPolicy())
            #expect(report.fullMesh)
            #expect(sim.offerLog.allSatisfy { $0.time < 10_000_000_000 })
            #expect(report.convergedAt! < 10_000_000_000)
        }
    }

    @Test func aLongPartitionStrandsSeedButResilientRedials() throws {
        let s = try ScenarioRunTests.scenario(Self.fourPeers(#"{"at": "10s", "do": "partition", "between": ["p1", "p2"], "for": "30s"}"#, duration: "90s"))
        let (_, seed) = ScenarioRunTests.run(s, policy: SeedPolicy())
        #expect(!seed.fullMesh)
        #expect(seed.stuck.map { "\($0.a)-\($0.b)" } == ["p1-p2"])
        let (_, resilient) = ScenarioRunTests.run(s, policy: ResilientPolicy())
        #expect(resilient.fullMesh)
        #expect(resilient.convergedAt! <= 55_000_000_000)
    }

    @Test func compareGivesTheSameResultsWhateverTheParallelism() throws {
        let s = try ScenarioRunTests.scenario(Self.fourPeers(#"{"at": "10s", "do": "refresh", "peer": "p2", "clean": false}"#, duration: "30s"))
        var jobs: [Compare.Job] = []
        for p in [SeedPolicy(), ResilientPolicy()] as [any MeshPolicy] { for seed in UInt64(1)...6 { jobs.append(.init(scenario: s, policy: p, seed: seed)) } }
        let one = Compare.run(jobs, parallelism: 1).map(Compare.json)
        let two = Compare.run(jobs, parallelism: 3).map(Compare.json)
        #expect(one == two)
        #expect(one.count == 12)
    }

    /// Under `--json` every run prints one report object with the required keys; a compare
    /// line is the run's `scenario --json` report plus `convergenceMs` and `glare`.
    @Test func aCompareLineIsTheRunsReportPlusTheComparison() throws {
        let s = try ScenarioRunTests.scenario(Self.fourPeers(#"{"at": "10s", "do": "refresh", "peer": "p2", "clean": false}"#, duration: "30s"))
        let line = Compare.runOne(.init(scenario: s, policy: SeedPolicy(), seed: 3)).report
        guard case .object(var compared) = try JSONParser.parse(line) else { Issue.record("not an object: \(line)"); return }
        let (_, report) = ScenarioRunTests.run(s, policy: SeedPolicy(), seed: 3)
        #expect(compared["passed"] == .bool(report.passed))
        #expect(compared["convergenceMs"] != nil)
        compared["convergenceMs"] = nil
        #expect(compared["glare"] == .number(JSONNumber(0)))
        compared["glare"] = nil
        #expect(JSONValue.object(compared) == (try JSONParser.parse(report.json)))
        for key in ["scenario", "file", "seed", "policy", "fullMesh", "convergedAt", "pairs", "signalingMessages", "events",
                    "simulatedMs", "traceHash", "expectations", "violations", "stuck", "passed"] {
            #expect(compared[key] != nil, "missing \(key)")
        }
    }
}

/// Events on a peer while a `refresh` is reloading it (the peer still exists, docs/contract.md), and
/// overlapping outages: every event the loader accepts is carried out, with no invariant breach.
@Suite struct OverlappingEventTests {
    static func threePeers(_ events: String) -> String {
        """
        {"name": "ov", "duration": "20s", "peers": [{"id": "a"}, {"id": "b"}, {"id": "c"}], "events": [\(events)]}
        """
    }

    /// `(t, value)` of the `page` lines of one peer.
    static func pageLines(_ sim: Simulation, _ peer: String) -> [(Double, String)] {
        sim.trace.capturedLines.compactMap { line in
            guard let v = try? JSONParser.parse(line), v["kind"]?.stringValue == "page", v["peer"]?.stringValue == peer,
                  let t = v["t"]?.numberValue?.double, let value = v["value"]?.stringValue else { return nil }
            return (t, value)
        }
    }

    static func run(_ events: String) throws -> (Simulation, RunReport) {
        ScenarioRunTests.run(try ScenarioRunTests.scenario(threePeers(events)))
    }

    @Test func aCrashWhileReloadingMeansThePageNeverComesBack() throws {
        let (sim, report) = try Self.run(#"{"at": "5s", "do": "refresh", "peer": "a", "downtime": "2s"}, {"at": "6s", "do": "crash", "peer": "a"}"#)
        #expect(report.violations.isEmpty, "\(report.violations)")
        #expect(Self.pageLines(sim, "a").map(\.1) == ["load", "unload"])
        #expect(report.fullMesh && report.pairsExpected == 1)
    }

    @Test func aLeaveWhileReloadingCancelsTheReload() throws {
        let (sim, report) = try Self.run(#"{"at": "5s", "do": "refresh", "peer": "a", "downtime": "2s"}, {"at": "6s", "do": "leave", "peer": "a"}"#)
        #expect(report.violations.isEmpty, "\(report.violations)")
        #expect(Self.pageLines(sim, "a").map(\.1) == ["load", "unload"])
        #expect(report.fullMesh && report.pairsExpected == 1)
    }

    @Test func aRefreshWhileReloadingStartsTheDowntimeOver() throws {
        let (sim, report) = try Self.run(#"{"at": "5s", "do": "refresh", "peer": "a", "downtime": "2s"}, {"at": "6s", "do": "refresh", "peer": "a", "downtime": "3s"}"#)
        #expect(report.violations.isEmpty, "\(report.violations)")
        let lines = Self.pageLines(sim, "a")
        #expect(lines.map(\.1) == ["load", "unload", "load"])
        #expect(lines.last?.0 == 9000)
        #expect(report.fullMesh && report.pairsExpected == 3)
    }

    @Test func aTabDuplicatedWhileReloadingOpensWithTheUid() throws {
        let (sim, report) = try Self.run(#"{"at": "5s", "do": "refresh", "peer": "a", "downtime": "2s"}, {"at": "6s", "do": "duplicateTab", "peer": "a", "as": "a2"}"#)
        #expect(report.violations.isEmpty, "\(report.violations)")
        #expect(Self.pageLines(sim, "a2").map(\.0) == [6000])
        #expect(Self.pageLines(sim, "a").map(\.1) == ["load", "unload", "load"])
    }

    @Test func aWsDropOrOfflineWhileReloadingIsCarriedOut() throws {
        for e in [#"{"at": "6s", "do": "wsDrop", "peer": "a"}"#, #"{"at": "6s", "do": "offline", "peer": "a", "for": "1s"}"#] {
            let (sim, report) = try Self.run(#"{"at": "5s", "do": "refresh", "peer": "a", "downtime": "2s"}, "# + e)
            #expect(report.violations.isEmpty, "\(report.violations)")
            #expect(Self.pageLines(sim, "a").map(\.1) == ["load", "unload", "load"])
            #expect(report.fullMesh && report.pairsExpected == 3)
        }
    }

    @Test func overlappingOutagesEndWithTheLastOfThem() throws {
        let (sim, report) = try Self.run(#"{"at": "2s", "do": "offline", "peer": "a", "for": "10s"}, {"at": "3s", "do": "offline", "peer": "a", "for": "1s"}"#)
        #expect(report.violations.isEmpty)
        let host = sim.trace.capturedLines.filter { $0.contains("\"kind\":\"host\"") }
        #expect(host == [#"{"t":2000,"kind":"host","peer":"a","value":"offline"}"#, #"{"t":12000,"kind":"host","peer":"a","value":"online"}"#])
    }
}

/// ICE liveness with more than one working candidate pair, and long round trips.
@Suite struct ICELivenessRunTests {
    static func twoPeers(network: String, events: String = "", duration: String = "60s") -> String {
        """
        {"name": "live", "duration": "\(duration)", "network": \(network),
         "peers": [{"id": "a"}, {"id": "b", "join": "300ms"}], "events": [\(events)]}
        """
    }

    /// A partition cuts the direct path; the relay pair, which still works, takes over (it did
    /// not: pairs that had succeeded were never checked again, and the pair stayed disconnected).
    @Test func aCutDirectPathMovesToTheRelay() throws {
        let s = try ScenarioRunTests.scenario(Self.twoPeers(network: #"{"turn": true}"#,
            events: #"{"at": "5s", "do": "partition", "between": ["a", "b"], "for": "40s"}"#, duration: "90s"))
        let (sim, report) = ScenarioRunTests.run(s)
        #expect(report.fullMesh)
        #expect(report.violations.isEmpty)
        let lines = sim.trace.capturedLines
        #expect(ScenarioRunTests.values(lines, kind: "connectionState", peer: "a", remote: "b") == ["connecting", "connected", "disconnected", "connected"])
        #expect(ScenarioRunTests.values(lines, kind: "selectedPair", peer: "a", remote: "b").last?.contains("relay") == true)
    }

    /// A crashed peer with TURN on: every pair goes unanswered, so the survivor's connection
    /// fails (it stayed disconnected for ever while the relay pair was never checked again).
    @Test func aCrashedPeerFailsEveryPair() throws {
        let s = try ScenarioRunTests.scenario(Self.twoPeers(network: #"{"turn": true}"#,
            events: #"{"at": "5s", "do": "crash", "peer": "b"}"#))
        let (sim, report) = ScenarioRunTests.run(s)
        #expect(report.violations.isEmpty)
        let states = ScenarioRunTests.values(sim.trace.capturedLines, kind: "connectionState", peer: "a", remote: "b")
        #expect(states == ["connecting", "connected", "disconnected", "failed"])
    }

    /// Four seconds of total loss, then none: the fifth unanswered check goes out after the
    /// path is back, and is answered. It must not count as failed before its answer is due
    /// (libwebrtc's TooManyFailures); it did, and the pair went disconnected for a round trip.
    @Test func aCheckCountsAsFailedOnlyOnceItsAnswerIsOverdue() throws {
        let s = try ScenarioRunTests.scenario(Self.twoPeers(network: "{}",
            events: #"{"at": "5s", "do": "network", "loss": 1.0}, {"at": "9s", "do": "network", "loss": 0}"#, duration: "40s"))
        let (sim, report) = ScenarioRunTests.run(s)
        #expect(report.fullMesh && report.convergedAt! < 2_000_000_000)
        for (x, y) in [("a", "b"), ("b", "a")] {
            #expect(ScenarioRunTests.values(sim.trace.capturedLines, kind: "connectionState", peer: x, remote: y) == ["connecting", "connected"])
        }
    }

    /// 150 ms each way (a 600 ms round trip with both links): the answers to checks sent eight
    /// pacing intervals earlier still count (they were forgotten, and the pair never connected).
    @Test func aLongRoundTripStillConnects() throws {
        let s = try ScenarioRunTests.scenario(Self.twoPeers(network: #"{"latency": "150ms"}"#))
        let (_, report) = ScenarioRunTests.run(s)
        #expect(report.fullMesh)
        #expect(report.convergedAt != nil && report.convergedAt! < 10_000_000_000)
    }
}
