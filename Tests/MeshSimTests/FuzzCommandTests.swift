import Foundation
import SignalProtocol
import Testing
@testable import MeshSimKit

/// `MeshSim fuzz`'s command line: `--out`, the files it writes and what it says about them
/// (QA findings of session 15; each test failed before its fix).
@Suite struct FuzzCommandTests {
    /// Every event kind: `--without` all of them draws runs with no events, which pass.
    static let noEvents = ScenarioAction.kindNames.joined(separator: ",")

    @Test func pathsAreSplitAndJoinedWithoutFoundation() {
        #expect(parentFolder("x") == "" && parentFolder("r/") == "" && parentFolder("Q//") == "")
        #expect(parentFolder("a/b") == "a" && parentFolder("c/d/e") == "c/d" && parentFolder("a//b/") == "a")
        #expect(parentFolder("/x") == "/" && parentFolder("/") == "/" && parentFolder("./Z") == ".")
        #expect(pathJoining("x", "f") == "x/f" && pathJoining("r/", "f") == "r/f" && pathJoining("Q//", "f") == "Q/f")
        #expect(pathJoining("/", "f") == "/f" && pathJoining("//", "f") == "/f")
    }

    /// `--out x` (a missing folder whose first missing component is one character) trapped in
    /// NSString's deletingLastPathComponent: SIGILL, exit 132.
    /// (`z/./w` and `m/../n`, whose `.` and `..` mkdir refused as "File exists", too.)
    @Test(arguments: ["x", "a/b", "r/", "Q//", "c/d/e", "z/./w", "m/../n"])
    func aMissingOneCharacterFolderIsProbedWithoutACrash(out: String) throws {
        let dir = try CommandLineTests.scratch("fuzz-out-" + out.replacingOccurrences(of: "/", with: "_"))
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try ProcessTests.run(["fuzz", "--runs", "1", "--peers", "2-2", "--without", Self.noEvents, "--out", out], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        // Probed, then put back as it was: nothing failed, so nothing is left.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }

    /// `--out ""` passed the check and then no file could be written (exit 1).
    @Test func anEmptyOutIsRefusedUpFront() throws {
        let r = try ProcessTests.run(["fuzz", "--runs", "1", "--out", ""])
        #expect(r.status == 2)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.contains("--out"), "\(r.stderr)")
    }

    /// A scenario the loader refuses (an event names no peer): shrinking it costs no simulation.
    static let refused = FuzzScenario(name: "t", seed: 1, policy: "seed", peers: [.init(id: "a")],
                                      events: [.init(at: nsPerSecond, action: .leave(peer: "nobody"))])

    /// A file already there with other contents was noted on stderr only for the first such
    /// file, and `--json` left the failure out of `shrunk`, as if never shrunk.
    @Test func everyShrunkFileNotWrittenIsNotedAndMarkedInJSON() throws {
        let dir = try CommandLineTests.scratch("fuzz-not-written")
        defer { try? FileManager.default.removeItem(at: dir) }
        for name in ["fuzz-1-run0-a.json", "fuzz-1-run0-b.json"] {
            try Data("x".utf8).write(to: dir.appendingPathComponent(name))
        }
        var session = FuzzSession(seed: 1, policy: SeedPolicy(), out: dir.path, foundBy: "MeshSim fuzz --seed 1 --policy seed")
        let failures = ["invariant:a", "invariant:b", "invariant:c"].map { FuzzFailure(signature: $0, example: "e") }
        let lines = session.record(run: 0, .init(scenario: Self.refused, failures: failures, peers: 1, simEvents: 0, fileSize: (1, 1)))
        #expect(session.writeProblems.count == 2)
        #expect(session.writeProblems.allSatisfy { $0.contains("exists with other contents") }, "\(session.writeProblems)")
        #expect(lines.text.filter { $0.hasPrefix("  not written: ") }.count == 2)
        let line = try JSONParser.parse(lines.json)
        guard case .array(let shrunk)? = line["shrunk"] else { Issue.record("no shrunk in \(lines.json)"); return }
        #expect(shrunk.count == 3)
        #expect(shrunk.map { $0["file"] == .null } == [true, true, false], "\(lines.json)")
        #expect(shrunk.map { $0["notWritten"] != nil } == [true, true, false], "\(lines.json)")
        // The one written says which command found it.
        let written = try String(contentsOf: dir.appendingPathComponent("fuzz-1-run0-c.json"), encoding: .utf8)
        #expect(written.contains("Found by MeshSim fuzz --seed 1 --policy seed (run 0)"))
    }

    /// The "found by" command named a policy file by its name (no policy fuzz knows) and left
    /// out `--peers` and `--without`, which change what run i draws.
    @Test func theFoundByCommandCarriesEveryOptionThatShapesTheDraw() {
        #expect(FuzzSession.command(seed: 1, policy: "seed", peers: 2...8, without: []) == "MeshSim fuzz --seed 1 --policy seed")
        #expect(FuzzSession.command(seed: 3, policy: "../cases/my pol.json", peers: 2...10, without: ["duplicateTab", "join"])
            == "MeshSim fuzz --seed 3 --policy '../cases/my pol.json' --peers 2-10 --without duplicateTab,join")
    }

    /// `'new\nline/f.json'` pastes as a backslash and an n; ANSI-C quoting gives the newline.
    @Test(arguments: ["new\nline/f.json", "tab\there", "it's\n$x", "esc\u{1B}[31m", "c1\u{85}x", "bidi\u{202E}x", "back\\slash\n", "plain", "a b"])
    func replayCommandsQuoteControlCharactersSoTheShellGivesThemBack(path: String) throws {
        let quoted = shellQuoted(path)
        #expect(oneLine(quoted) == quoted, "printed as it is: \(quoted)")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = ["-c", "printf %s " + quoted]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        #expect(data == Data(path.utf8), "\(quoted)")
    }

    /// `resilient` with a 70 s re-dial (QA's slowredial.json).
    static var slowRedial: PolicySpec {
        var p = PolicySpec.resilient.named("slowredial")
        p.redialRule = RedialRule(initial: 70 * nsPerSecond, factor: 1, cap: 70 * nsPerSecond)
        return p
    }

    @Test func theQuietPhaseOutlastsThePolicysOwnTimers() {
        for p in Policies.all { #expect(FuzzScenario.quiet(for: p) == 60 * nsPerSecond, "\(p.name)") }
        #expect(FuzzScenario.quiet(for: Self.slowRedial) == 120 * nsPerSecond)
        var jittered = Self.slowRedial
        jittered.redialRule?.jitter = 0.5
        #expect(FuzzScenario.quiet(for: jittered) == 155 * nsPerSecond)
        var grace = PolicySpec.restartIce
        grace.iceRestartAfterDisconnectedNs = 30 * nsPerSecond
        #expect(FuzzScenario.quiet(for: grace) == 80 * nsPerSecond)
    }

    /// Run 48 of `fuzz --policy slowredial.json --without duplicateTab` failed as
    /// `partitionFailed`: a quiet minute ended before the policy's 70 s re-dial. With the quiet
    /// phase the policy's timers ask for, the pair is re-dialled and connects.
    @Test func aSlowReDialIsNotJudgedBeforeItFires() {
        let policy = Self.slowRedial
        var generator = ScenarioGenerator(seed: 1, policy: PolicyJSON.object(policy), without: ["duplicateTab"])
        let minute = FuzzRun(generator.scenario(run: 48), policy: policy, checkDeterminism: false)
        #expect(minute.failures?.isEmpty == false, "the run this test is about")
        generator.quiet = FuzzScenario.quiet(for: policy)
        let s = generator.scenario(run: 48)
        #expect(s.quiet == 120 * nsPerSecond)
        let r = FuzzRun(s, policy: policy, checkDeterminism: false)
        #expect(r.failures == [], "\(r.failures ?? [])")
    }

    @Test func aPolicyWhoseTimersOutlastAnHourIsRefused() throws {
        let dir = try CommandLineTests.scratch("fuzz-long-timer")
        defer { try? FileManager.default.removeItem(at: dir) }
        var p = PolicySpec.resilient.named("glacial")
        p.redialRule = RedialRule(initial: nsPerSecond, factor: 2, cap: 7200 * nsPerSecond)
        let file = dir.appendingPathComponent("glacial.json")
        try Data(PolicyJSON.line(p).utf8).write(to: file)
        let r = try ProcessTests.run(["fuzz", "--runs", "1", "--policy", file.path, "--out", dir.appendingPathComponent("out").path])
        #expect(r.status == 2 && r.stdout.isEmpty)
        #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.contains("longest timer"), "\(r.stderr)")
    }

    /// fuzz counted duplicated tabs and joins as peers and left out the closing heal, so its
    /// sizes did not match `validate`'s for the very file.
    @Test func sizesAreCountedAsValidateCountsThem() throws {
        var s = FuzzScenario(name: "t", seed: 1, policy: "seed", peers: [.init(id: "g1-", count: 2), .init(id: "p2")], events: [])
        s.events = [.init(at: nsPerSecond, action: .duplicateTab(peer: "p2", as: "t1")),
                    .init(at: 2 * nsPerSecond, action: .join(PeerSpec(id: "j1", path: "")), joinEntry: .init(id: "j1")),
                    .init(at: 3 * nsPerSecond, action: .network(NetworkPatch()), network: .init(loss: 0.1))]
        #expect(s.healEvent != nil)
        guard case .success(let loaded) = s.load() else { Issue.record("refused"); return }
        let r = FuzzRun(s, policy: SeedPolicy(), checkDeterminism: false)
        #expect(r.fileSize.peers == loaded.peers.count && r.fileSize.events == loaded.events.count)
        #expect(r.fileSize.peers == 3 && r.fileSize.events == 4)
        #expect(r.peers == 5)  // the --json run line's `peers`: every page name, tab and join included
    }
}
