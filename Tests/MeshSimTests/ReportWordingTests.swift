import Foundation
import Testing
@testable import MeshSimKit
@testable import SignalProtocol

/// What the report says, for the cases a new user found wrong: renegotiation during joins,
/// stopped runs, convergence wording, plurals, the resource check without a cap, JUnit escaping.
@Suite struct ReportWordingTests {
    /// A 20-peer join, p01's WebSocket dropping at 1 s: the offers p01 makes afterwards to
    /// peers joining later set pairs up; they renegotiate nothing (12 were counted before).
    @Test func firstOffersToLaterJoinersAreNotRenegotiations() throws {
        let s = try ScenarioRunTests.scenario("""
        {"name": "join", "duration": "30s",
         "peers": [{"count": 20, "idPrefix": "p", "join": {"start": "0s", "every": "100ms"}}],
         "events": [{"at": "1s", "do": "wsDrop", "peer": "p01", "reconnectAfter": "200ms"}],
         "expect": {"fullMesh": true, "noRenegotiation": ["p01", "p05"]}}
        """)
        let (_, report) = ScenarioRunTests.run(s)
        let checks = report.expectations.filter { $0.name == "noRenegotiation" }
        #expect(checks.count == 2)
        let details = checks.map { $0.detail }
        #expect(checks.allSatisfy { $0.ok }, "\(details)")
        #expect(checks[0].detail.contains("first offers setting up pairs not connected before"))
    }

    /// A real renegotiation still fails, and the failure names the pairs.
    @Test func aRenegotiationFailsAndNamesThePairs() throws {
        let s = try ScenarioRunTests.scenario("""
        {"name": "reload", "duration": "30s",
         "peers": [{"count": 3, "idPrefix": "p", "join": {"start": "0s", "every": "300ms"}}],
         "events": [{"at": "10s", "do": "refresh", "peer": "p2"}],
         "expect": {"noRenegotiation": ["p2"]}}
        """)
        let (_, report) = ScenarioRunTests.run(s)
        let check = try #require(report.expectations.first { $0.name == "noRenegotiation" })
        #expect(!check.ok)
        #expect(check.detail.contains("renegotiated 2 pairs of p2 that had been connected before: p2–p1"), "\(check.detail)")
        #expect(check.detail.contains("p2–p3"))
    }

    @Test func convergenceIsCountedFromTheLastJoinAndSaysSo() throws {
        let s = try ScenarioRunTests.scenario("""
        {"name": "joins", "duration": "20s", "peers": [{"id": "a"}, {"id": "b", "join": "2s"}],
         "expect": {"convergedWithin": "5s"}}
        """)
        let (_, report) = ScenarioRunTests.run(s)
        let c = try #require(report.expectations.first { $0.name == "convergedWithin" })
        #expect(c.ok)
        #expect(c.detail.contains("after the last join (b) at 2 s"), "\(c.detail)")
        #expect(!c.detail.contains("disruption"))
    }

    /// A WebSocket drop leaves the peer connections up: the mesh never broke, and the report
    /// must not claim it became full "0 ms after" the drop ended.
    @Test func aMeshThatNeverBrokeStayedFullThroughTheDisruption() throws {
        let s = try ScenarioRunTests.scenario("""
        {"name": "drop", "duration": "30s", "peers": [{"id": "a"}, {"id": "b"}],
         "events": [{"at": "10s", "do": "wsDrop", "peer": "a", "reconnectAfter": "5s"}],
         "expect": {"convergedWithin": "1s"}}
        """)
        let (_, report) = ScenarioRunTests.run(s)
        let c = try #require(report.expectations.first { $0.name == "convergedWithin" })
        #expect(c.ok)
        #expect(c.detail.contains("and stayed full through the last disruption (wsDrop of a), which ended at 15 s"), "\(c.detail)")
    }

    @Test func countsAreSingularForOne() throws {
        let s = try ScenarioRunTests.scenario(#"{"name": "one", "duration": "1s", "peers": [{"id": "a"}]}"#)
        let (_, report) = ScenarioRunTests.run(s)
        #expect(report.text.contains("0 of 0 pairs connected"))
        #expect(!report.text.contains("1 events") && !report.text.contains("1 lines"))
        #expect(counted(1, "peer") == "1 peer" && counted(2, "peer") == "2 peers" && counted(0, "event") == "0 events")
    }

    /// `maxPeerConnections: 0` (no cap) used to count as a cap of zero: 3,000 peers passed the
    /// check and then died allocating 34 GiB.
    @Test func theResourceCheckHoldsWithoutACap() throws {
        for cap in [0, 1_000_000] {
            let s = try ScenarioRunTests.scenario("""
            {"name": "big", "duration": "10s", "network": {"ice": {"maxPeerConnections": \(cap)}},
             "peers": [{"count": 3000, "idPrefix": "p"}]}
            """)
            #expect(ResourceCheck.connections(in: s) == 3000 * 2999)
            let problems = ResourceCheck.problems(in: s, memoryBytes: 24 << 30)
            #expect(problems.count == 1 && problems[0].message.hasPrefix("too large for this machine"))
        }
        // A cap lifted later by a network event counts too.
        let later = try ScenarioRunTests.scenario("""
        {"name": "big", "duration": "10s", "peers": [{"count": 3000, "idPrefix": "p"}],
         "events": [{"at": "1s", "do": "network", "ice": {"maxPeerConnections": 0}}]}
        """)
        #expect(ResourceCheck.connections(in: later) == 3000 * 2999)
        let capped = try ScenarioRunTests.scenario(#"{"name": "c", "duration": "1s", "peers": [{"count": 3000, "idPrefix": "p"}]}"#)
        #expect(ResourceCheck.connections(in: capped) == 3000 * 500)
    }

    @Test func junitEscapesMarkupAndCharactersXMLCannotCarry() throws {
        let s = try ScenarioRunTests.scenario(#"{"name": "a<b>&\"c\"\u0001", "duration": "1s", "peers": [{"id": "a"}, {"id": "b", "join": "900ms"}]}"#,
                                              file: "dir/x&y.json")
        let (_, report) = ScenarioRunTests.run(s)
        #expect(!report.passed)
        let xml = JUnitReport(cases: [JUnitReport.Case(report)]).xml
        #expect(xml.contains(#"<property name="scenario" value="a&lt;b&gt;&amp;&quot;c&quot;\u0001"/>"#))
        #expect(xml.contains(#"<testsuite name="dir/x&amp;y.json" tests="1" failures="1""#))
        #expect(!xml.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
        #expect(xml.contains("<failure message=\"fullMesh: expected a full mesh, got no full mesh"))
    }

    /// Times of 806.61, 800.89 and 805.34 ms were printed 0.806, 0.800 and 0.805 and the suite
    /// 2.414 against cases adding to 2.412: truncated, and not the sum of its cases. Rounded, and summed as printed.
    @Test func junitTimesAreRoundedAndTheSuiteIsTheSumOfItsCases() throws {
        let s = try ScenarioRunTests.scenario(#"{"name": "t", "duration": "1s", "peers": [{"id": "a"}, {"id": "b"}]}"#)
        let (_, report) = ScenarioRunTests.run(s)
        let cases = [806_610_540, 800_889_117, 805_337_742, 1_600_000].map { ns -> JUnitReport.Case in
            var c = JUnitReport.Case(report)
            c.simulatedNs = Int64(ns)
            return c
        }
        let xml = JUnitReport(cases: cases).xml
        for t in ["0.807", "0.801", "0.805", "0.002"] { #expect(xml.contains("time=\"\(t)\"/>") || xml.contains("time=\"\(t)\">"), "\(t)") }
        #expect(xml.contains("<testsuites name=\"MeshSim\" tests=\"4\" failures=\"0\" errors=\"0\" time=\"2.415\">"), "\(xml)")
        #expect(xml.contains("skipped=\"0\" time=\"2.415\">"))
    }

    /// A stopped run judges nothing about its end, but a failure nothing could undo stands.
    @Test func aStoppedRunKeepsFailuresForGoodAndJudgesNothingElse() throws {
        let s = try ScenarioRunTests.scenario("""
        {"name": "s", "duration": "30s", "peers": [{"id": "a"}, {"id": "b", "join": "500ms"}],
         "expect": {"fullMesh": true, "maxSignalingMessages": 1, "connected": [["a", "b"]]}}
        """)
        let sim = Simulation(scenario: s, options: RunOptions(seed: 1, policy: SeedPolicy(), until: 5_000_000_000),
                             traceSink: TraceWriter(sink: nil))
        sim.run()
        let report = RunReport(simulation: sim)
        #expect(!report.passed)
        #expect(report.stopped?.by == .until && report.stopped?.atNs == 5_000_000_000)
        let byName = Dictionary(uniqueKeysWithValues: report.expectations.map { ($0.name, $0) })
        #expect(byName["maxSignalingMessages"]?.judged == true && byName["maxSignalingMessages"]?.ok == false)
        #expect(byName["fullMesh"]?.judged == false && byName["connected"]?.judged == false)
        #expect(report.notJudged == 2)
        #expect(report.text.hasSuffix("  FAIL"))
    }
}
