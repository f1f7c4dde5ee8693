import Foundation
import Testing
@testable import MeshSimKit

/// The corpus of malformed scenarios in Tests/Malformed: each `NAME.json` is refused with exit 2
/// and exactly the lines of `NAME.expected` on stderr (docs/contract.md: one line per problem naming the
/// file and the JSON path). Checked as a user sees it, by running `MeshSim validate` and
/// `MeshSim scenario` on every file in a separate process.
@Suite struct MalformedScenarioTests {
    static let corpus = ProcessTests.packageRoot.appendingPathComponent("Tests/Malformed")

    /// The corpus files, relative to the package root, sorted.
    static func files() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: corpus.path)
            .filter { $0.hasSuffix(".json") }.sorted().map { "Tests/Malformed/" + $0 }
    }

    static func expected(_ file: String) throws -> String {
        let path = ProcessTests.packageRoot.appendingPathComponent(String(file.dropLast(5)) + ".expected").path
        return String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
    }

    @Test func corpusIsLargeAndEveryFileHasItsExpectedMessage() throws {
        let files = try Self.files()
        #expect(files.count >= 25)
        for f in files {
            let text = try Self.expected(f)
            #expect(!text.isEmpty && text.hasSuffix("\n"), "\(f): an expected message")
            for line in text.split(separator: "\n") {
                #expect(line.hasPrefix(f + ": "), "\(f): every line names the file")
            }
        }
    }

    @Test func validateRefusesEachFileWithExactlyItsMessages() throws {
        for f in try Self.files() {
            let r = try ProcessTests.run(["validate", f])
            #expect(r.status == 2, "\(f)")
            #expect(r.stdout.isEmpty, "\(f)")
            #expect(r.stderr == (try Self.expected(f)), "\(f)")
        }
    }

    @Test func scenarioRefusesTheWholeCorpusBeforeRunningAnything() throws {
        let files = try Self.files()
        let r = try ProcessTests.run(["scenario"] + files + ["Scenarios/2-peers.json"])
        #expect(r.status == 2)
        #expect(r.stdout.isEmpty, "nothing runs when any file is bad")
        #expect(r.stderr == (try files.map(Self.expected).joined()))
    }

    @Test func hugeAndEndlessFilesAreRefusedWithoutReadingThemWhole() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("meshsim-huge-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let huge = dir.appendingPathComponent("huge.json")
        var text = Data(#"{"name": "t", "duration": "60s", "peers": [{"id": "a"}], "description": ""#.utf8)
        text.append(Data(repeating: UInt8(ascii: "x"), count: 17 << 20))
        text.append(Data(#""}"#.utf8))
        try text.write(to: huge)
        let r = try ProcessTests.run(["validate", huge.path, "/dev/zero"])
        #expect(r.status == 2)
        #expect(r.stderr == "\(huge.path): the file is larger than 16 MiB (\(text.count) bytes)\n/dev/zero: the file is larger than 16 MiB\n")
    }

    @Test func natsAndTURNRaiseTheEstimatePerConnection() throws {
        func load(_ extra: String) throws -> Scenario {
            try ScenarioLoader.load(bytes: Array(#"{"name": "n", "duration": "60s", "peers": [{"count": 10, "idPrefix": "p"\#(extra)}]}"#.utf8), file: "t.json")
        }
        #expect(ResourceCheck.bytesPerConnection(for: try load("")) == 4 << 10)
        #expect(ResourceCheck.bytesPerConnection(for: try load(#", "nat": "symmetric""#)) == 5 << 10)
        let turn = try ScenarioLoader.load(bytes: Array(#"{"name": "n", "duration": "60s", "network": {"turn": true}, "peers": [{"count": 10, "idPrefix": "p", "nat": "fullCone"}]}"#.utf8), file: "t.json")
        #expect(ResourceCheck.bytesPerConnection(for: turn) == 9 << 10)
        #expect(ResourceCheck.estimatedBytes(for: turn) == 90 * (9 << 10) + ResourceCheck.baseBytes)
    }

    @Test func aScenarioTooLargeForTheMachineIsRefusedWithAnEstimate() throws {
        // 100,000 peers: each page holds Chromium's cap of 500 connections.
        let groups = (0..<10).map { #"{"count": 10000, "idPrefix": "g\#($0)-"}"# }.joined(separator: ",")
        let s = try ScenarioLoader.load(bytes: Array(#"{"name": "n", "duration": "60s", "peers": [\#(groups)]}"#.utf8), file: "big.json")
        #expect(ResourceCheck.connections(in: s) == 50_000_000)
        #expect(ResourceCheck.problems(in: s, memoryBytes: 16 << 30).map(\.description) == [
            "big.json: peers: too large for this machine: a full mesh of these pages needs about 191 GiB of memory (50000000 peer connections at about 4 KiB each), and this machine has 16 GiB; run fewer peers",
        ])
        // The whole command refuses it up front (exit 2), on any machine smaller than 191 GiB.
        if ProcessInfo.processInfo.physicalMemory < 191 << 30 {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("meshsim-big-\(getpid())")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            let file = dir.appendingPathComponent("big.json")
            try Data(#"{"name": "n", "duration": "60s", "peers": [\#(groups)]}"#.utf8).write(to: file)
            let r = try ProcessTests.run(["scenario", file.path])
            #expect(r.status == 2)
            #expect(r.stderr.hasPrefix("\(file.path): peers: too large for this machine: a full mesh of these pages needs about 191 GiB"))
        }
        // A 1,000-peer mesh (500 connections a page under Chromium's cap, about 2 GiB) fits a 16 GiB machine.
        let thousand = try ScenarioLoader.load(bytes: Array(#"{"name": "n", "duration": "60s", "peers": [{"count": 1000, "idPrefix": "p"}]}"#.utf8), file: "k.json")
        #expect(ResourceCheck.connections(in: thousand) == 500_000)
        #expect(ResourceCheck.problems(in: thousand, memoryBytes: 16 << 30).isEmpty)
        #expect(ResourceCheck.formatBytes(1536) == "1.5 KiB" && ResourceCheck.formatBytes(12 << 20) == "12 MiB")
    }

    @Test func behaviourIsAPeerGroupAndJoinField() throws {
        let s = try ScenarioLoader.load(bytes: Array(#"""
        {"name": "n", "duration": "60s",
         "peers": [{"id": "a"}, {"id": "m", "behaviour": ["flood", "spoofFrom"]},
                   {"count": 2, "idPrefix": "g", "behaviour": ["garbage"]}],
         "events": [{"at": "1s", "do": "join", "peer": "e", "behaviour": ["hijackUid"]}]}
        """#.utf8), file: "b.json")
        #expect(s.peers.map(\.behaviour) == [[], [.flood, .spoofFrom], [.garbage], [.garbage]])
        guard case .join(let e) = s.events[0].action else { Issue.record("not a join"); return }
        #expect(e.behaviour == [.hijackUid])
        #expect(ResourceCheck.connections(in: s) == 0, "attackers are not mesh members")
    }

    @Test func aRunThatHitsTheEventBudgetSaysSoAndExitsOne() throws {
        let r = try ProcessTests.run(["scenario", "Scenarios/2-peers.json", "--max-events", "50"])
        #expect(r.status == 1)
        #expect(r.stdout.contains("RUN STOPPED at "))
        #expect(r.stdout.contains(" by the event budget (--max-events), before the scenario's end at 30 s"))
        #expect(r.stdout.contains("[eventBudget] event budget of 50 events exhausted; the run stopped early (raise it with --max-events)"))
        let json = try ProcessTests.run(["scenario", "Scenarios/2-peers.json", "--max-events", "50", "--json"])
        #expect(json.status == 1)
        #expect(json.stdout.contains(#""events":50,"#) && json.stdout.contains(#""budgetExhausted":true"#))
        #expect(json.stdout.contains(#""by":"maxEvents","durationMs":30000"#))
    }
}
