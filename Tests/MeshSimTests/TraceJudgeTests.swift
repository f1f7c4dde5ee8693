import Foundation
import Testing
@testable import MeshSimKit
@testable import SignalProtocol

/// A trace alone is enough to judge a run: the oracle fed the trace's lines reaches the
/// verdict the run reached, pair by pair, through reloads, crashes, duplicated tabs, outages,
/// NATs and attackers.
@Suite struct TraceJudgeTests {
    static let files = [
        "Scenarios/10-peers.json",
        "Scenarios/lifecycle/refresh-crash-restore.seed.json",
        "Scenarios/lifecycle/refresh-clean.seed.json",
        "Scenarios/lifecycle/duplicate-tab.seed.json",
        "Scenarios/lifecycle/duplicate-tab.resilient.json",
        "Scenarios/lifecycle/offline-long.seed.json",
        "Scenarios/lifecycle/two-crashes.resilient.json",
        "Scenarios/lifecycle/partition-long.restart-ice.json",
        "Scenarios/lifecycle/server-restart.seed.json",
        "Scenarios/nat/classic-matrix-stun.json",
        "Scenarios/security/hijack-uid.json",
        "Scenarios/security/hijack-during-restore.json",
    ]

    @Test(arguments: files)
    func theTraceAloneGivesTheRunsVerdict(file: String) throws {
        let url = ProcessTests.packageRoot.appendingPathComponent(file)
        guard FileManager.default.fileExists(atPath: url.path) else {
            Issue.record("\(file) is missing")
            return
        }
        let scenario = try ScenarioLoader.load(path: url.path)
        let policy = Policies.named(scenario.policy)!
        let (sim, report) = ScenarioRunTests.run(scenario, policy: policy)
        let judged = try MeshOracle.judge(trace: sim.trace.capturedLines, names: sim.oracle.names, uids: sim.oracle.startUIDs,
                                          attackers: sim.oracle.attacker)
        #expect(judged.isFull == report.fullMesh)
        #expect(judged.fullSince == report.convergedAt)
        #expect(judged.expectedPairs == report.pairsExpected && judged.connectedPairs == report.pairsConnected)
        #expect(judged.transitions.map(\.time) == sim.oracle.transitions.map(\.time))
        let n = Int32(sim.peers.count)
        for a in 0..<n {
            for b in (a + 1)..<max(a + 1, n) {
                #expect(judged.isConnected(a, b) == sim.oracle.isConnected(a, b), "\(sim.peers[PeerID(a)].name)–\(sim.peers[PeerID(b)].name)")
            }
        }
    }

    /// The judge relies on what the trace gained: without the `association` lines no pair can
    /// be shown to belong to one association, so none is judged connected.
    @Test func withoutAssociationsTheVerdictChanges() throws {
        let url = ProcessTests.packageRoot.appendingPathComponent("Scenarios/lifecycle/refresh-crash-restore.seed.json")
        let scenario = try ScenarioLoader.load(path: url.path)
        let (sim, report) = ScenarioRunTests.run(scenario, policy: SeedPolicy())
        #expect(!report.fullMesh)
        let lines = sim.trace.capturedLines
        #expect(lines.contains { $0.contains(#""kind":"association""#) })
        let stripped = lines.filter { !$0.contains(#""kind":"association""#) }
        let judged = try MeshOracle.judge(trace: stripped, names: sim.oracle.names, uids: sim.oracle.startUIDs,
                                          attackers: sim.oracle.attacker)
        #expect(judged.connectedPairs == 0)
    }
}
