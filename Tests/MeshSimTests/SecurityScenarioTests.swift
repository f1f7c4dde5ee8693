import Foundation
import Testing
@testable import MeshSimKit
@testable import SignalProtocol

/// Attackers in whole simulations (peer field `behaviour`): the honest mesh converges, no honest
/// uid changes hands without its secret, and every attack is counted as blocked.
@Suite struct SecurityScenarioTests {
    static func load(_ file: String) throws -> Scenario {
        try ScenarioLoader.load(path: ProcessTests.packageRoot.appendingPathComponent(file).path)
    }

    /// serverError trace lines: (peer, code).
    static func serverErrors(_ sim: Simulation) -> [(peer: String, code: String)] {
        sim.trace.capturedLines.compactMap { line in
            guard let v = try? JSONParser.parse(line), v["kind"]?.stringValue == "serverError" else { return nil }
            return (v["peer"]?.stringValue ?? "", v["value"]?.stringValue ?? "")
        }
    }

    @Test func aHijackWithoutTheReclaimSecretIsRefusedAndTheVictimUndisturbed() throws {
        let (sim, report) = ScenarioRunTests.run(try Self.load("Scenarios/security/hijack-uid.json"), policy: ResilientPolicy())
        #expect(report.passed && report.fullMesh)
        #expect(sim.attacks.count == 1)
        let attack = try #require(sim.attacks.first)
        #expect(attack.kind == .hijackUid && attack.target == "p1" && attack.attacker == "mallory")
        #expect(attack.errors == [.uidTaken] && !attack.gotTargetUID && attack.blocked)
        #expect(sim.signaling.server.socket(of: "p1") == sim.pages[Int(sim.peers[sim.slotIndex["p1"]!].currentPage!.raw)].socket)
        #expect(Self.serverErrors(sim).isEmpty, "no honest page heard an error (uidReplaced) from the server")
        #expect(report.json.contains(#""attacks":{"tried":1,"blocked":1,"byKind":[{"kind":"hijackUid","tried":1,"blocked":1}]}"#))
    }

    @Test func theSameHelloWithTheSecretTakesTheUidOver() throws {
        // The control experiment: what the attacker lacks is exactly the secret. Given the
        // victim's secret, the same hello takes the uid and the victim hears uidReplaced.
        var server = SignalingServer(secretSeed: 9)
        var actions: [ServerAction] = []
        server.socketOpened(SocketID(1), into: &actions)
        server.receive(.hello(uid: "p1"), from: SocketID(1), into: &actions)
        let secret = try #require(server.secret(of: "p1"))
        server.socketOpened(SocketID(2), into: &actions)
        actions = []
        server.receive(.hello(uid: "p1", secret: "00000000000000000000000000000000"), from: SocketID(2), into: &actions)
        #expect(actions.map { if case .send(_, .error(let c, _, _)) = $0 { return c.rawValue } else { return "other" } } == ["uidTaken"])
        actions = []
        server.receive(.hello(uid: "p1", secret: secret), from: SocketID(2), into: &actions)
        #expect(actions.first == .send(SocketID(1), .error(code: .uidReplaced, detail: "another connection registered uid 'p1'", peer: "p1")))
        #expect(server.socket(of: "p1") == SocketID(2))
    }

    @Test func aRestoredPageReclaimsItsUidWhileAnAttackerIsRefused() throws {
        let (sim, report) = ScenarioRunTests.run(try Self.load("Scenarios/security/hijack-during-restore.json"), policy: ResilientPolicy())
        #expect(report.passed && report.fullMesh)
        // mallory aimed at p1 while the server still held p1's crashed page's half-open socket.
        #expect(sim.attacks.map(\.target) == ["p1"] && sim.attacks.map(\.blocked) == [true])
        // The restored page took its uid back with its secret; no live page heard an error.
        #expect(Self.serverErrors(sim).isEmpty)
        #expect(sim.signaling.server.socket(of: "p1") == sim.pages[Int(sim.peers[sim.slotIndex["p1"]!].currentPage!.raw)].socket)
        #expect(sim.invariants.violations.isEmpty)
    }

    @Test("every security scenario holds", arguments: [
        "all-attacks", "flood", "hijack-during-restore", "hijack-uid", "oversize-and-garbage", "signal-strangers", "spoof-from",
    ])
    func securityScenario(_ name: String) throws {
        let s = try Self.load("Scenarios/security/\(name).json")
        let policy = Policies.named(s.policy)!
        let (sim, report) = ScenarioRunTests.run(s, policy: policy)
        #expect(report.passed, "\(report.text)")
        #expect(report.fullMesh && report.violations.isEmpty)
        #expect(!sim.attacks.isEmpty && sim.attacks.allSatisfy(\.blocked))
        #expect(sim.attacks.count == sim.attacksScheduled.count)
        #expect(report.expectations.contains { $0.name == "attacksBlocked" && $0.ok })
    }

    @Test func anUnblockedAttackFailsTheRun() throws {
        // With limits an attacker can live within, the flood is not blocked: the run says so.
        let s = try Self.load("Scenarios/security/flood.json")
        let sim = Simulation(scenario: s, options: RunOptions(seed: s.seed, policy: SeedPolicy()), traceSink: TraceWriter(sink: nil))
        var limits = ServerLimits()
        limits.maxBurst = 30_000
        limits.burst = 30_000
        sim.signaling.server = SignalingServer(limits: limits)
        sim.run()
        let report = RunReport(simulation: sim)
        #expect(!report.passed)
        #expect(sim.attacks.map(\.blocked) == [false])
        #expect(report.expectations.last?.name == "attacksBlocked" && report.expectations.last?.ok == false)
        #expect(report.text.contains("attacks: 0 of 1 blocked (flood 0/1)"))
    }

    @Test func invariantViolationsNameTheInvariantTimeAndPeers() {
        var log = InvariantLog()
        log.record(12_500_000, "uidHijacked", peers: ["mallory", "p1"], "the server gave uid p1 to mallory's socket")
        #expect(log.violations == ["t=12.5ms: [uidHijacked] mallory, p1: the server gave uid p1 to mallory's socket"])
    }

    @Test("a page that reloads before reading its secret keeps its uid", arguments: [true, false])
    func reloadBeforeInit(clean: Bool) throws {
        // b's hello reaches the server at about 1.15 s; the init with its secret would reach b
        // at about 1.18 s; b reloads at 1.16 s, so its next page has no secret.
        let s = try ScenarioRunTests.scenario("""
        {"name": "reload before init", "duration": "40s", "network": {"latency": "20ms"},
         "peers": [{"id": "a"}, {"id": "b", "join": "1s"}],
         "events": [{"at": "1.16s", "do": "refresh", "peer": "b", "downtime": "500ms", "clean": \(clean)}]}
        """)
        let (sim, report) = ScenarioRunTests.run(s, policy: ResilientPolicy())
        #expect(report.passed && report.fullMesh, "\(report.text)")
        let refusals = Self.serverErrors(sim).filter { $0.code == "uidTaken" }
        // Clean: the old socket closed first, the unproven uid is free at once. Crash: refused
        // until the server's ping timeout drops the half-open socket, then admitted.
        #expect(clean ? refusals.isEmpty : !refusals.isEmpty)
        #expect(sim.signaling.server.socket(of: "b") != nil)
    }
}
