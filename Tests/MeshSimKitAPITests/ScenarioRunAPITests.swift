import Foundation
import Testing
import MeshSimKit
import SignalProtocol

/// MeshSimKit as another package sees it: only its public API (no @testable import), a
/// scenario run from a file and from JSON text, with a built-in policy and one of the user's own.
@Suite struct ScenarioRunAPITests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A policy the simulator does not ship: the notes' strategy, plus a re-dial whenever a
    /// known id comes back online (what `replace` does), written by "the user".
    struct RedialOnEveryOnline: MeshPolicy {
        var name: String { "user-redial" }
        var summary: String { "re-dial on every online" }
        func isConnected(_ link: MeshLink) -> Bool { false }
        func redialOnOnline(_ link: MeshLink) -> Bool { true }
        var replaceLinkOnForeignOffer: Bool { true }
        var acceptOfferWithoutLink: Bool { true }
    }

    @Test func aFileRunsAsTheCommandLineRunsIt() throws {
        let run = try ScenarioRun(file: Self.root.appendingPathComponent("Scenarios/2-peers.json").path)
        #expect(run.passed && run.fullMesh && run.pairsConnected == 1 && run.failures.isEmpty)
        #expect(run.json.contains(#""passed":true"#))
        #expect(run.text.hasSuffix("PASS"))
    }

    @Test func aUserPolicyRepairsTheCrashRestoreHole() throws {
        let file = Self.root.appendingPathComponent("Scenarios/lifecycle/refresh-crash-restore.seed.json").path
        let seed = try ScenarioRun(file: file)
        #expect(!seed.fullMesh && seed.passed)  // the file expects the seed policy's hole
        #expect(seed.stuck.count == 3 && seed.stuck.allSatisfy { $0.cause == "zombieIgnoredOnline" })
        let mine = try ScenarioRun(file: file, policy: RedialOnEveryOnline())
        #expect(mine.fullMesh)
        #expect(!mine.passed && mine.failures.contains { $0.hasPrefix("fullMesh:") })
    }

    @Test func badInputThrowsTheValidatorsLines() {
        do {
            _ = try ScenarioRun(json: #"{"name": "x", "duration": "-5s", "peers": []}"#, name: "x.json")
            Issue.record("a bad scenario ran")
        } catch {
            #expect(error.problems.first?.hasPrefix("x.json: duration: ") == true, "\(error.problems)")
        }
    }
}
