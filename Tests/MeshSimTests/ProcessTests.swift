import Foundation
import Testing

/// The command line as a user runs it, in separate processes.
@Suite struct ProcessTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The MeshSim binary `swift test` built next to the test bundle.
    static func binary() throws -> URL {
        var candidates: [URL] = []
        let argv0 = URL(fileURLWithPath: CommandLine.arguments[0])
        candidates.append(argv0.deletingLastPathComponent().appendingPathComponent("MeshSim"))
        candidates.append(argv0.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("MeshSim"))
        candidates.append(packageRoot.appendingPathComponent(".build/debug/MeshSim"))
        for c in candidates where FileManager.default.isExecutableFile(atPath: c.path) { return c }
        Issue.record("MeshSim binary not found in \(candidates.map(\.path))")
        throw CocoaError(.fileNoSuchFile)
    }

    static func run(_ args: [String], in directory: URL? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
        let p = Process()
        p.executableURL = try binary()
        p.arguments = args
        p.currentDirectoryURL = directory ?? packageRoot
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    /// Host-only, and through NATs and TURN (port draws, relayed paths, firewalls).
    @Test(arguments: ["Scenarios/10-peers.json", "Scenarios/nat/classic-matrix-turn.json"])
    func twoProcessesWriteByteIdenticalTraces(scenario: String) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("meshsim-det-\(getpid())-\(scenario.count)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let t1 = dir.appendingPathComponent("1.jsonl").path, t2 = dir.appendingPathComponent("2.jsonl").path
        let r1 = try Self.run(["scenario", scenario, "--json", "--trace", t1])
        let r2 = try Self.run(["scenario", scenario, "--json", "--trace", t2])
        #expect(r1.status == 0 && r2.status == 0)
        #expect(r1.stdout == r2.stdout)
        let a = try Data(contentsOf: URL(fileURLWithPath: t1)), b = try Data(contentsOf: URL(fileURLWithPath: t2))
        #expect(a.count > 1000)
        #expect(a == b)
        let hash = r1.stdout.split(separator: "\"traceHash\":\"").dropFirst().first?.prefix(32)
        #expect(hash != nil && hash!.count == 32)
    }

    @Test func jsonOutputIsOneObjectPerRunAndNothingElse() throws {
        let r = try Self.run(["scenario", "Scenarios/2-peers.json", "Scenarios/2-peers.json", "--json", "--seed", "5"])
        #expect(r.status == 0)
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.count == 2)
        for key in ["\"scenario\":", "\"file\":", "\"seed\":5", "\"policy\":\"seed\"", "\"fullMesh\":true", "\"convergedAt\":",
                    "\"pairs\":{\"expected\":1,\"connected\":1}", "\"signalingMessages\":", "\"events\":", "\"simulatedMs\":",
                    "\"traceHash\":", "\"expectations\":", "\"violations\":[]", "\"stuck\":[]"] {
            #expect(lines[0].contains(key), "missing \(key)")
        }
    }

    @Test func badInputExitsTwoWithOneLinePerProblem() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("meshsim-bad-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let bad = dir.appendingPathComponent("bad.json")
        try Data(#"{"name": "x", "duration": "10s", "peers": [{"id": "a"}], "events": [{"at": -5, "do": "join", "peer": "b"}]}"#.utf8).write(to: bad)
        let r = try Self.run(["scenario", bad.path])
        #expect(r.status == 2)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr == "\(bad.path): events[0].at: expected a duration such as \"250ms\", got -5\n")
        let policy = try Self.run(["scenario", "Scenarios/2-peers.json", "--policy", "nope"])
        #expect(policy.status == 2)
        #expect(policy.stderr.contains("unknown policy \"nope\""))
        let missing = try Self.run(["validate", dir.appendingPathComponent("missing.json").path])
        #expect(missing.status == 2)
    }

    @Test func aFailedExpectationExitsOne() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("meshsim-fail-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("f.json")
        try Data(#"{"name": "f", "duration": "10s", "peers": [{"id": "a"}, {"id": "b"}], "expect": {"fullMesh": false}}"#.utf8).write(to: file)
        let r = try Self.run(["scenario", file.path])
        #expect(r.status == 1)
        #expect(r.stdout.contains("FAIL fullMesh"))
        // compare follows the same rule, and under --json its stdout is the runs' reports only.
        let c = try Self.run(["compare", file.path, "--policies", "seed,resilient", "--seeds", "1-2", "--json"])
        #expect(c.status == 1)
        let lines = c.stdout.split(separator: "\n")
        #expect(lines.count == 4)
        #expect(lines.allSatisfy { $0.hasPrefix("{\"scenario\":\"f\"") && $0.contains("\"passed\":false") && $0.contains("\"stuck\":[]") })
        #expect(c.stderr.contains("converged"))
        let passing = try Self.run(["compare", "Scenarios/2-peers.json", "--policies", "seed", "--seeds", "1-2"])
        #expect(passing.status == 0)
    }

    @Test func policiesListsOneLineEach() throws {
        let r = try Self.run(["policies"])
        #expect(r.status == 0)
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.count >= 2)
        #expect(lines[0].hasPrefix("seed  "))
    }
}
