import Foundation
import Testing
@testable import MeshSimKit

/// The command line as a CI user drives it: help, version, output files, escaping, --until,
/// validate --json, JUnit, seed lists. Each test here failed before the fix it guards.
@Suite struct CommandLineTests {
    static func run(_ args: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        try ProcessTests.run(args)
    }

    /// A scratch directory for files a test writes, removed afterwards by the caller.
    static func scratch(_ name: String) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("meshsim-cli-\(getpid())-\(name)")
        try? FileManager.default.removeItem(at: dir)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// A copy of Scenarios/2-peers.json in `dir`, its bytes, and a symbolic link to it: inputs
    /// that output options must refuse to overwrite.
    static func inputAndLink(in dir: URL) throws -> (input: URL, original: Data, link: URL) {
        let input = dir.appendingPathComponent("x.json")
        try Data(contentsOf: ProcessTests.packageRoot.appendingPathComponent("Scenarios/2-peers.json")).write(to: input)
        let link = dir.appendingPathComponent("link.json")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: input)
        return (input, try Data(contentsOf: input), link)
    }

    @Test(arguments: ["scenario", "validate", "policies", "compare", "fuzz", "merge", "bench"])
    func everySubcommandAnswersHelp(command: String) throws {
        for flag in ["--help", "-h"] {
            let r = try Self.run([command, flag])
            #expect(r.status == 0, "\(command) \(flag): \(r.stderr)")
            #expect(r.stdout.hasPrefix("usage: MeshSim \(command)"))
            #expect(r.stderr.isEmpty)
        }
        let r = try Self.run(["help", command])
        #expect(r.status == 0 && r.stdout.hasPrefix("usage: MeshSim \(command)"))
    }

    @Test func versionAndTopLevelHelp() throws {
        let v = try Self.run(["--version"])
        #expect(v.status == 0 && v.stdout == "MeshSim \(Usage.version)\n")
        let h = try Self.run(["--help"])
        #expect(h.status == 0 && h.stdout.contains("--max-events N") && h.stdout.contains("--junit FILE"))
        // `--version foo` and `--version --json` printed the version, status 0 (QA, session 15).
        for extra in [["foo"], ["--bogus"], ["--json"]] {
            let x = try Self.run(["--version"] + extra)
            #expect(x.status == 2 && x.stdout.isEmpty && x.stderr.split(separator: "\n").count == 1, "\(extra): \(x.stderr)")
        }
        let none = try Self.run([])
        #expect(none.status == 2 && none.stderr.contains("usage:"))
    }

    /// `scenario x.json --trace x.json` used to overwrite the scenario with its trace.
    @Test func anOutputThatIsAnInputIsRefusedBeforeAnythingIsWritten() throws {
        let dir = try Self.scratch("outputs")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (input, original, link) = try Self.inputAndLink(in: dir)
        let hard = dir.appendingPathComponent("hard.json")
        try FileManager.default.linkItem(at: input, to: hard)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("sub"), withIntermediateDirectories: true)
        let other = dir.appendingPathComponent("sub/../x.json").path
        for (option, path) in [("--trace", input.path), ("--trace", link.path), ("--junit", hard.path), ("--junit", other)] {
            let r = try Self.run(["scenario", input.path, option, path])
            #expect(r.status == 2, "\(option) \(path)")
            #expect(r.stderr.contains("is an input file"), "\(r.stderr)")
            #expect(r.stdout.isEmpty)
            #expect(try Data(contentsOf: input) == original)
        }
        let c = try Self.run(["compare", input.path, "--policies", "seed", "--seeds", "1", "--junit", link.path])
        #expect(c.status == 2 && c.stderr.contains("is an input file"))
        #expect(try Data(contentsOf: input) == original)
        let same = dir.appendingPathComponent("out").path
        let both = try Self.run(["scenario", input.path, "--trace", same, "--junit", same])
        #expect(both.status == 2 && both.stderr.contains("writes the same file"))
        #expect(!FileManager.default.fileExists(atPath: same))
        // An output that cannot be written is found before the run, not after it.
        let nowhere = try Self.run(["scenario", input.path, "--junit", dir.appendingPathComponent("no/such/dir/j.xml").path])
        #expect(nowhere.status == 2 && nowhere.stdout.isEmpty && nowhere.stderr.contains("no such directory"))
    }

    /// `--junit /dev/stdout >> ci.log` renamed a new file over ci.log: the log's earlier lines
    /// and the run's own report were lost. Written through the open descriptor, it appends.
    @Test(arguments: [("--junit", "/dev/stdout", ">>"), ("--html", "/dev/stderr", "2>>"), ("--svg", "/dev/fd/1", ">>"),
                      ("--trace", "/proc/self/fd/1", ">>")])
    func anOutputNamingStdoutOrStderrAppendsToTheRedirectedFile(option: String, path: String, redirect: String) throws {
        let dir = try Self.scratch("descriptor-\(option.dropFirst(2))")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (input, _, _) = try Self.inputAndLink(in: dir)
        let log = dir.appendingPathComponent("ci.log")
        try Data("EARLIER LINE\n".utf8).write(to: log)
        let inode = try #require(FileID(log.path)).inode
        let bin = try ProcessTests.binary().path
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "\"$0\" scenario \"$1\" --json \(option) \(path) \(redirect) \"$2\"", bin, input.path, log.path]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        #expect(FileID(log.path)?.inode == inode, "the log is the same file, not one renamed over it")
        let text = try String(contentsOf: log, encoding: .utf8)
        #expect(text.hasPrefix("EARLIER LINE\n"), "\(text.prefix(200))")
        if redirect == ">>" { #expect(text.contains("\"passed\":true"), "the run's report is kept") }
        let mark = ["--junit": "<testsuites", "--html": "<!DOCTYPE html>", "--svg": "<svg", "--trace": "\"kind\""][option]!
        #expect(text.contains(mark), "\(text.prefix(300))")
    }

    /// Outputs were written to a new file renamed over the path: `--junit /dev/null` replaced
    /// the device with a file (as root, the system's), a FIFO's reader got nothing, a symbolic
    /// link became a file, and a full device reported success.
    @Test func outputsWriteThroughDevicesPipesAndLinksAndReportWriteErrors() throws {
        let dir = try Self.scratch("special-outputs")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (input, _, _) = try Self.inputAndLink(in: dir)
        let real = dir.appendingPathComponent("real.xml")
        try Data("old".utf8).write(to: real)
        let link = dir.appendingPathComponent("link.xml")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: real)
        let r = try Self.run(["scenario", input.path, "--junit", link.path, "--trace", "/dev/null", "--html", "/dev/null"])
        #expect(r.status == 0, "\(r.stderr)")
        let attributes = try FileManager.default.attributesOfItem(atPath: link.path)
        #expect(attributes[.type] as? FileAttributeType == .typeSymbolicLink, "the link stays a link")
        #expect(try String(contentsOf: real, encoding: .utf8).hasPrefix("<?xml"), "the file it names gets the report")
        var st = stat()
        #expect(stat("/dev/null", &st) == 0 && (st.st_mode & S_IFMT) == S_IFCHR, "/dev/null is still a device")
        if FileManager.default.fileExists(atPath: "/dev/full") {
            let full = try Self.run(["scenario", input.path, "--junit", "/dev/full"])
            #expect(full.status == 2 && full.stderr.contains("No space left"), "\(full.stderr)")
        }
        // A pipe with its reader already open (non-blocking, so nothing here can wait forever):
        // the writer opens it at once and the reader gets the SVG.
        let fifo = dir.appendingPathComponent("fifo").path
        #expect(mkfifo(fifo, 0o644) == 0)
        let readEnd = open(fifo, O_RDONLY | O_NONBLOCK)
        #expect(readEnd >= 0)
        defer { close(readEnd) }
        let p = try Self.run(["scenario", input.path, "--svg", fifo])
        #expect(p.status == 0, "\(p.stderr)")
        var buffer = [UInt8](repeating: 0, count: 64)
        #expect(read(readEnd, &buffer, buffer.count) > 0, "the reader got the SVG")
        #expect(stat(fifo, &st) == 0 && (st.st_mode & S_IFMT) == S_IFIFO, "the pipe is still a pipe")
    }

    /// `help nosuch` said nothing wrong, `--vary F=..` twice silently kept the last, `--seed +5`
    /// was taken as 5, and `--` was read as a file name.
    @Test func unknownHelpRepeatedVaryPlusSignsAndDoubleDash() throws {
        let h = try Self.run(["help", "nosuch"])
        #expect(h.status == 2 && h.stderr.contains("unknown command"))
        let file = ProcessTests.packageRoot.appendingPathComponent("Scenarios/2-peers.json").path
        let v = try Self.run(["compare", file, "--policies", "resilient", "--seeds", "1",
                              "--vary", "redial.initial=250ms", "--vary", "redial.initial=4s"])
        #expect(v.status == 2 && v.stderr.contains("given more than once"))
        let twice = try Self.run(["compare", file, "--policies", "seed", "--seeds", "1", "--vary", "onOnline=dial,dial"])
        #expect(twice.status == 2 && twice.stderr.contains("is given twice"), "\(twice.stderr)")
        let overlap = try Self.run(["compare", file, "--policies", "resilient", "--seeds", "1",
                                    "--vary", "redial.initial=1s", "--vary", "redial=null"])
        #expect(overlap.status == 2 && overlap.stderr.contains("overlaps"), "\(overlap.stderr)")
        let s = try Self.run(["scenario", file, "--seed", "+5"])
        #expect(s.status == 2 && s.stderr.contains("--seed"))
        let d = try Self.run(["validate", "--", file])
        #expect(d.status == 0, "\(d.stderr)")
        // Every command's numbers are digits only (compare and fuzz took "+5").
        for args in [["compare", file, "--policies", "seed", "--seeds", "+5"],
                     ["compare", file, "--policies", "seed", "--seeds", "1-2", "--jobs", "+2"],
                     ["compare", file, "--policies", "seed", "--seeds", "1-2", "--shard", "+1/2"],
                     ["fuzz", "--seed", "+5", "--runs", "1"], ["fuzz", "--runs", "+1"], ["fuzz", "--peers", "+2-3", "--runs", "1"]] {
            let r = try Self.run(args)
            #expect(r.status == 2, "\(args): \(r.stderr)")
        }
    }

    /// A policy file may not carry a built-in's name on other settings (its reports would say
    /// "policy seed" of a policy that behaves otherwise); the built-in's own settings are fine.
    @Test func aPolicyFileCannotPassForABuiltIn() throws {
        let dir = try Self.scratch("builtin-name")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = ProcessTests.packageRoot.appendingPathComponent("Scenarios/2-peers.json").path
        let fake = dir.appendingPathComponent("seed.json")
        try Data(#"{"onOnline": "dial"}"#.utf8).write(to: fake)
        let r = try Self.run(["scenario", file, "--policy", fake.path])
        #expect(r.status == 2 && r.stderr.contains("is the name of a built-in policy"), "\(r.stderr)")
        let named = dir.appendingPathComponent("mine.json")
        try Data(#"{"name": "resilient", "onOnline": "dial"}"#.utf8).write(to: named)
        let n = try Self.run(["scenario", file, "--policy", named.path])
        #expect(n.status == 2 && n.stderr.contains("name: \"resilient\" is the name of a built-in policy"), "\(n.stderr)")
        let saved = try Self.run(["policies", "--json"])
        let seedLine = saved.stdout.split(separator: "\n").first { $0.contains(#""name":"seed""#) }!
        try Data(seedLine.utf8).write(to: fake)
        let same = try Self.run(["scenario", file, "--policy", fake.path])
        #expect(same.status == 0, "\(same.stderr)")
    }

    /// A page-load rule without instance ids acted as the plain rule, silently; a run stopped by
    /// --max-events (an invariant) is an invariant failure in JUnit too, as text and HTML say.
    @Test func pageLoadRulesNeedInstanceIdsAndAnExhaustedBudgetIsAnInvariant() throws {
        let dir = try Self.scratch("needs-ids")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = ProcessTests.packageRoot.appendingPathComponent("Scenarios/2-peers.json").path
        let needs = dir.appendingPathComponent("needs.json")
        try Data(#"{"onInit": "passiveIfDownOrNewPageLoad"}"#.utf8).write(to: needs)
        let r = try Self.run(["scenario", file, "--policy", needs.path])
        #expect(r.status == 2 && r.stderr.contains("onInit: this rule tells page loads apart"), "\(r.stderr)")
        let xml = dir.appendingPathComponent("m.xml").path
        let m = try Self.run(["scenario", file, "--max-events", "100", "--junit", xml])
        #expect(m.status == 1 && m.stdout.contains("FAIL"))
        let junit = try String(contentsOfFile: xml, encoding: .utf8)
        #expect(junit.contains(#"type="invariant""#), "\(junit)")
    }

    /// fuzz checks that --out can be written before the first run.
    @Test func fuzzRefusesAnOutFolderItCannotWrite() throws {
        let r = try Self.run(["fuzz", "--out", "/proc/meshsim-nope", "--runs", "1"])
        #expect(r.status == 2 && r.stderr.contains("cannot be written") && r.stdout.isEmpty, "\(r.stderr)")
    }

    /// A policy name holding a newline printed a second, forged line.
    @Test func echoedValuesCannotForgeASecondLine() throws {
        let dir = try Self.scratch("escape")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("b.json")
        try Data(#"{"name": "n\u001b[31mred\nx", "duration": "1s", "policy": "a\nb.json: ok (2 peers)", "peers": [{"id": "a"}]}"#.utf8).write(to: file)
        let r = try Self.run(["validate", file.path])
        #expect(r.status == 2)
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(r.stderr.contains(#"a\nb.json: ok (2 peers)"#))
        let p = try Self.run(["scenario", file.path, "--policy", "seed"])
        #expect(!p.stdout.contains("\u{1B}"))
        #expect(p.stdout.contains(#"n\u001b[31mred\nx"#))
        let u = try Self.run(["scenario", file.path, "--policy", "x\ny"])
        #expect(u.status == 2 && u.stderr.split(separator: "\n").count == 1)
    }

    /// The compare table measured a policy name before escaping it, so a name with a control
    /// character shifted its row by the escape's extra width.
    @Test func compareTableAlignsEscapedNames() {
        func summary(_ policy: String) -> Compare.Summary {
            Compare.Summary(file: "x.json", scenario: "x", policy: policy, runs: 1, passed: 1, converged: 1, failures: [],
                            runsWithViolations: 0, expectsBreakage: false, p50: 1_000_000, p95: 1_000_000,
                            meanSignaling: 4, meanOffers: 1, meanIceRestarts: 0, meanGlare: 0)
        }
        let lines = Compare.table([summary("a\tb"), summary("seed")]).split(separator: "\n").dropFirst()
        let widths = Set(lines.map(\.count))
        #expect(widths.count == 1, "rows of different widths: \(lines)")
    }

    @Test func oneLineEscapesControlsSeparatorsAndBidiOverrides() {
        #expect(oneLine("a\nb\rc\td") == #"a\nb\rc\td"#)
        #expect(oneLine("x\u{1B}[2Jy\u{7F}\u{85}") == #"x\u001b[2Jy\u007f\u0085"#)
        #expect(oneLine("p\u{2028}q\u{202E}r\u{2066}") == #"p\u2028q\u202er\u2066"#)
        #expect(oneLine("ünïcode – ok") == "ünïcode – ok")
    }

    @Test func untilPastTheDurationIsAnErrorAndAStoppedRunSaysSo() throws {
        let past = try Self.run(["scenario", "Scenarios/2-peers.json", "--until", "31s"])
        #expect(past.status == 2 && past.stderr.contains("past the scenario's duration"))
        let zero = try Self.run(["scenario", "Scenarios/2-peers.json", "--until", "0s"])
        #expect(zero.status == 1)
        #expect(zero.stdout.contains("RUN STOPPED at 0 ms by --until"))
        #expect(!zero.stdout.contains("PASS"))
        #expect(zero.stdout.contains("NOT JUDGED"))
        let json = try Self.run(["scenario", "Scenarios/2-peers.json", "--until", "800ms", "--json"])
        #expect(json.status == 1)
        #expect(json.stdout.contains(#""stopped":{"atMs":800,"by":"until","durationMs":30000,"notJudged":4}"#))
        #expect(json.stdout.contains(#""passed":false"#))
        #expect(json.stdout.contains(#""judged":false"#))
        let full = try Self.run(["scenario", "Scenarios/2-peers.json", "--until", "30s", "--json"])
        #expect(full.status == 0 && full.stdout.contains(#""stopped":null"#) && full.stdout.contains(#""passed":true"#))
    }

    @Test func validateChecksEveryFileAndPrintsOneObjectPerFileInJSON() throws {
        let r = try Self.run(["validate", "Scenarios/2-peers.json", "Tests/Malformed/09-negative-duration.json",
                              "Scenarios/10-peers.json", "--json"])
        #expect(r.status == 2)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        #expect(lines[0].hasPrefix(#"{"file":"Scenarios/2-peers.json","ok":true,"peers":2,"#))
        #expect(lines[1].hasPrefix(#"{"file":"Tests/Malformed/09-negative-duration.json","ok":false,"problems":[{"path":"#))
        #expect(lines[2].contains(#""ok":true"#))
        #expect(r.stderr.contains("Tests/Malformed/09-negative-duration.json: "))
        let text = try Self.run(["validate", "Scenarios/2-peers.json"])
        #expect(text.stdout == "Scenarios/2-peers.json: ok (2 peers, 0 events, policy seed)\n")
    }

    @Test func oneBadFileAmongManyIsNamedAndNothingRuns() throws {
        for command in [["scenario"], ["compare", "--policies", "seed", "--seeds", "1"]] {
            let r = try Self.run(command + ["Scenarios/2-peers.json", "Tests/Malformed/09-negative-duration.json", "no/such/file.json"])
            #expect(r.status == 2)
            #expect(r.stdout.isEmpty)
            #expect(r.stderr.contains("Tests/Malformed/09-negative-duration.json: duration: "))
            #expect(r.stderr.contains("no/such/file.json: "))
            #expect(!r.stderr.contains("Scenarios/2-peers.json"))
        }
    }

    @Test func seedListsMixValuesAndRanges() throws {
        #expect(try MeshSimCommand.parseSeeds("1-3,7,10-11") == [1, 2, 3, 7, 10, 11])
        #expect(try MeshSimCommand.parseSeeds("5") == [5])
        for bad in ["", "1,", "3-1", "1-3,2", "a", "1--2", "-1"] {
            #expect(throws: UsageError.self, "\(bad)") { try MeshSimCommand.parseSeeds(bad) }
        }
    }

    /// `--vary latency=...` got only a list of policy fields, no word that a scenario field
    /// cannot be varied (QA, session 15).
    @Test func varyingAScenarioFieldSaysOnlyPolicyFieldsVary() throws {
        for field in ["latency", "network.latency"] {
            let r = try Self.run(["compare", "Scenarios/2-peers.json", "--policies", "seed", "--seeds", "1", "--vary", "\(field)=20ms,100ms"])
            #expect(r.status == 2 && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
            #expect(r.stderr.contains("--vary varies fields of the policy object only; to sweep a scenario field"), "\(r.stderr)")
        }
    }

    @Test func compareShowsPassedBesideConvergedAndSaysWhyRunsFailed() throws {
        let r = try Self.run(["compare", "Scenarios/lifecycle/refresh-crash-restore.seed.json", "--policies", "seed,resilient",
                              "--seeds", "1,2"])
        #expect(r.status == 1)
        #expect(r.stdout.contains("policy     passed  converged"))
        #expect(r.stdout.contains("resilient: 2 of 2 runs failed: fullMesh (2 runs), notConnected (2 runs); this file expects the mesh to stay broken"))
        #expect(!r.stderr.contains("warning"))
        let quiet = try Self.run(["compare", "Scenarios/2-peers.json", "--policies", "seed", "--seeds", "1-3", "--until", "20s"])
        #expect(quiet.status == 1)  // stopped before the end: expectations not judged
        #expect(!quiet.stderr.contains("warning"))  // seeds vary the CPU costs, so nothing to warn about
        let one = try Self.run(["compare", "Scenarios/2-peers.json", "--policies", "seed", "--seeds", "4"])
        #expect(one.status == 0 && one.stderr.isEmpty)
    }

    @Test func junitIsWrittenForScenarioAndCompare() throws {
        let dir = try Self.scratch("junit")
        defer { try? FileManager.default.removeItem(at: dir) }
        let a = dir.appendingPathComponent("a.xml").path, b = dir.appendingPathComponent("b.xml").path
        let r = try Self.run(["scenario", "Scenarios/2-peers.json", "Scenarios/lifecycle/refresh-crash-restore.seed.json",
                              "--policy", "resilient", "--junit", a])
        #expect(r.status == 1)
        let xml = try String(contentsOfFile: a, encoding: .utf8)
        #expect(xml.contains(#"<testsuites name="MeshSim" tests="2" failures="1""#))
        #expect(xml.contains(#"<testcase name="Scenarios/2-peers.json seed 1 policy resilient""#))
        #expect(xml.contains(#"<failure message="fullMesh: expected no full mesh, got a full mesh"#))
        let c = try Self.run(["compare", "Scenarios/2-peers.json", "--policies", "seed,replace", "--seeds", "1-2", "--junit", b])
        #expect(c.status == 0)
        let sweep = try String(contentsOfFile: b, encoding: .utf8)
        #expect(sweep.components(separatedBy: "<testcase ").count == 5)
        #expect(sweep.contains(#"name="Scenarios/2-peers.json seed 2 policy replace""#))
    }

    /// `--trace --json`: a forgotten value, refused, not a file named "--json" and a report
    /// silently not in JSON (QA, session 14).
    @Test func aValueOptionFollowedByAnOptionIsRefused() throws {
        let dir = try Self.scratch("option-value")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = ProcessTests.packageRoot.appendingPathComponent("Scenarios/2-peers.json").path
        for option in ["--trace", "--junit", "--html", "--svg", "--perfetto"] {
            let r = try Self.run(["scenario", file, option, "--json"])
            #expect(r.status == 2, "\(option): \(r.stderr)")
            #expect(r.stderr.contains("\(option) needs a value, got the option --json"), "\(r.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: ProcessTests.packageRoot.appendingPathComponent("--json").path))
        // Written with `=`, such a value is a value.
        let out = dir.appendingPathComponent("--x.jsonl").path
        let r = try Self.run(["scenario", file, "--trace=\(out)", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: out))
    }

    /// An output through a symbolic link to a file not made yet writes that file and keeps the
    /// link (docs/cli.md), instead of "File exists" from the probe (QA, session 14).
    @Test func anOutputThroughALinkToANewFileIsWritten() throws {
        let dir = try Self.scratch("dangling-link")
        defer { try? FileManager.default.removeItem(at: dir) }
        let link = dir.appendingPathComponent("latest.xml"), target = dir.appendingPathComponent("run-42.xml")
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: "run-42.xml")
        let file = ProcessTests.packageRoot.appendingPathComponent("Scenarios/2-peers.json").path
        let r = try Self.run(["scenario", file, "--junit", link.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: target.path))
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: link.path)) == "run-42.xml")
        // A link into a folder that does not exist says so.
        let lost = dir.appendingPathComponent("lost.xml")
        try FileManager.default.createSymbolicLink(atPath: lost.path, withDestinationPath: "nowhere/x.xml")
        let l = try Self.run(["scenario", file, "--junit", lost.path])
        #expect(l.status == 2)
        #expect(l.stderr.contains("no such directory"), "\(l.stderr)")
    }

    /// A stopped run that failed outright is an `expectation` failure in JUnit, its message
    /// led by that failure, not by an expectation the stop left unjudged.
    @Test func aStoppedRunThatFailedIsAnExpectationFailureInJUnit() throws {
        let dir = try Self.scratch("junit-stopped")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("s.json")
        try Data(#"""
        {"name": "s", "duration": "10s", "peers": [{"count": 4, "idPrefix": "p"}],
         "expect": {"fullMesh": true, "maxSignalingMessages": 5, "convergedWithin": "2s"}}
        """#.utf8).write(to: file)
        let junit = dir.appendingPathComponent("s.xml")
        let r = try Self.run(["scenario", file.path, "--until", "3s", "--junit", junit.path])
        #expect(r.status == 1)
        let xml = try String(contentsOf: junit, encoding: .utf8)
        #expect(xml.contains(#"type="expectation""#), "\(xml)")
        #expect(xml.contains(#"<failure message="maxSignalingMessages: "#), "\(xml)")
    }

    /// `--trace -` and `--trace -x` made files named `-` and `-x`; refused, with the way to
    /// write such a name.
    @Test func anOutputNamedLikeAnOptionOrStdoutIsRefused() throws {
        let file = ProcessTests.packageRoot.appendingPathComponent("Scenarios/2-peers.json").path
        for name in ["-", "-x"] {
            let r = try Self.run(["scenario", file, "--trace", name])
            #expect(r.status == 2, "\(name): \(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: FileManager.default.currentDirectoryPath + "/" + name))
        }
    }

    /// `fuzz --out` under a regular file: the system's reason, not Foundation's error 512.
    @Test func fuzzOutUnderAFileSaysWhy() throws {
        let dir = try Self.scratch("fuzz-out-file")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("f.json")
        try Data("{}".utf8).write(to: file)
        let r = try Self.run(["fuzz", "--runs", "1", "--out", file.appendingPathComponent("sub").path])
        #expect(r.status == 2)
        #expect(r.stderr.contains("Not a directory"), "\(r.stderr)")
        #expect(!r.stderr.contains("NSCocoaErrorDomain"), "\(r.stderr)")
    }

}

/// Progress goes to stderr only when it is a terminal (here a pseudo-terminal from util-linux
/// `script`), never into a pipe.
@Suite struct ProgressDisplayTests {
    @Test func progressIsDrawnOnATerminalAndNeverInAPipe() throws {
        let bin = try ProcessTests.binary().path
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        p.arguments = ["-qec", "\(bin) compare Scenarios/2-peers.json --policies seed --seeds 1-5", "/dev/null"]
        p.currentDirectoryURL = ProcessTests.packageRoot
        var env = ProcessInfo.processInfo.environment
        env["MESHSIM_PROGRESS_AFTER_MS"] = "0"
        p.environment = env
        let out = Pipe()
        p.standardOutput = out
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(text.contains("compare: 1 of 5 runs done"), "\(text)")
        #expect(text.contains("\r\u{1B}[K"))
        let piped = try ProcessTests.run(["compare", "Scenarios/2-peers.json", "--policies", "seed", "--seeds", "1-5"])
        #expect(!piped.stderr.contains("runs done"))
    }
}

/// The trace writes strings with the same escapes as the report (`JSONWriter.mustEscape`).
@Suite struct TraceEscapeTests {
    @Test func theTraceEscapesWhatTheReportEscapes() {
        let b = ByteBuffer()
        b.appendString("x\u{2028}y\u{0085}\u{202E}é")
        #expect(b.withBytes { String(decoding: $0, as: UTF8.self) } == #""x\u2028y\u0085\u202eé""#)
    }
}
