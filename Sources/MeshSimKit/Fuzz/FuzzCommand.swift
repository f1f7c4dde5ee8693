import Foundation
import SignalProtocol

/// `MeshSim fuzz` (docs/cli.md, "fuzz"; docs/fuzzing.md): draws `--runs` scenarios from
/// `--seed`, runs each under `--policy` (twice, to check determinism), and shrinks the first
/// run of each distinct failure to a smallest scenario written to `--out`.
///
/// stdout is the same bytes whatever `--jobs` is: runs are merged in index order
/// (`OrderedJobs`) and shrinking is deterministic. The wall-clock rate goes to stderr.
extension MeshSimCommand {
    /// What a worker hands back for one run.
    struct FuzzResult: Sendable {
        var scenario: FuzzScenario
        var failures: [FuzzFailure]
        /// Every peer name of the run: the file's peers, joins and duplicated tabs.
        var peers: Int
        var simEvents: Int
        /// The file's peers and events, as `validate` counts them (the closing heal included).
        var fileSize: (peers: Int, events: Int)
    }

    static func fuzz(_ rest: ArraySlice<String>) throws(UsageError) -> Int32 {
        let a = try Arguments(rest, valued: ["policy", "runs", "seed", "jobs", "out", "peers", "without"], flags: ["json"])
        guard a.positional.isEmpty else { throw UsageError(message: "takes no FILE (it draws its own scenarios), got \(scenarioQuote(a.positional[0]))") }
        let policy = try policyOption(a) ?? SeedPolicy()
        var runs = 100
        if let r = try a.value("runs") {
            guard let v = plainNumber(r, as: Int.self), v >= 1, v <= 1_000_000_000_000 else {
                throw UsageError(message: "--runs: expected an integer from 1 to 1000000000000, got \(scenarioQuote(r))")
            }
            runs = v
        }
        var seed: UInt64 = 1
        if let s = try a.value("seed") {
            guard let v = plainNumber(s, as: UInt64.self) else { throw UsageError(message: "--seed: expected an integer from 0 to 18446744073709551615, got \(scenarioQuote(s))") }
            seed = v
        }
        var jobs = 1
        if let j = try a.value("jobs") {
            guard let v = plainNumber(j, as: Int.self), v >= 1, v <= 256 else { throw UsageError(message: "--jobs: expected an integer from 1 to 256, got \(scenarioQuote(j))") }
            jobs = v
        }
        var peerRange = ScenarioGenerator.defaultPeerRange
        if let p = try a.value("peers") {
            let parts = p.split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count == 2, let lo = plainNumber(parts[0], as: Int.self), let hi = plainNumber(parts[1], as: Int.self), lo >= 2, lo <= hi, hi <= 100 else {
                throw UsageError(message: "--peers: expected MIN-MAX with 2 <= MIN <= MAX <= 100, got \(scenarioQuote(p))")
            }
            peerRange = lo...hi
        }
        var without: [String] = []
        if let w = try a.value("without") {
            for kind in w.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
                guard ScenarioAction.kindNames.contains(kind) else {
                    throw UsageError(message: "--without: unknown event kind \(scenarioQuote(kind)) (kinds: \(ScenarioAction.kindNames.joined(separator: ", ")))")
                }
                without.append(kind)
            }
        }
        let out = try a.value("out") ?? "fuzz-out"
        // Refused rather than read as the current directory: an empty value is more often a
        // variable that was not set than a choice (`--out .` says it).
        guard !out.isEmpty else { throw UsageError(message: "--out: expected a directory name, got an empty one (--out . is the current directory)") }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: out, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw UsageError(message: "--out \(scenarioQuote(out)): exists and is not a directory")
        }
        // The folder is made when the first failure is written; that it can be is checked now
        // (made and written to, then put back as it was), so that a long session does not end
        // with every shrunk scenario lost.
        if let problem = probeFolder(out) {
            throw UsageError(message: "--out \(scenarioQuote(out)): cannot be written: \(problem)")
        }
        let json = a.flag("json")
        let policyArgument = try a.value("policy") ?? policy.name
        let longest = FuzzScenario.longestTimer(of: policy)
        guard longest <= FuzzScenario.longestTimerAllowed else {
            throw UsageError(message: "--policy \(scenarioQuote(policyArgument)): its longest timer (\(DurationText.format(longest))) is over fuzz's limit of \(DurationText.format(FuzzScenario.longestTimerAllowed)) (each run's quiet phase must outlast it)")
        }
        let foundBy = FuzzSession.command(seed: seed, policy: policyArgument, peers: peerRange, without: without)

        // A policy file's object goes into every drawn file, so that a shrunk file replays alone.
        let policyValue: JSONValue = (policy as? PolicySpec).map { spec in
            Policies.named(spec.name) == spec ? .string(spec.name) : PolicyJSON.object(spec)
        } ?? .string(policy.name)
        let generator = ScenarioGenerator(seed: seed, policy: policyValue, peerRange: peerRange, without: without,
                                          quiet: FuzzScenario.quiet(for: policy))
        var session = FuzzSession(seed: seed, policy: policy, out: out, foundBy: foundBy)
        let progress = Progress()
        // Wall time only for the runs/s line on stderr: stdout and the files written never see it.
        let start = Date()
        OrderedJobs.run(count: runs, workers: jobs, work: { i in
            let s = generator.scenario(run: i)
            let r = FuzzRun(s, policy: policy, checkDeterminism: true)
            guard let failures = r.failures else {
                // A generator bug: the file is written as drawn, with the loader's first problem.
                let problem: String
                if case .failure(let e) = s.load() { problem = e.problems.first?.description ?? "refused" } else { problem = "refused" }
                return FuzzResult(scenario: s, failures: [FuzzFailure(signature: FuzzFailure.invalidScenario,
                                                                       example: "the generator drew a scenario the loader refuses: \(problem)")],
                                  peers: 0, simEvents: 0, fileSize: (0, 0))
            }
            return FuzzResult(scenario: s, failures: failures, peers: r.peers, simEvents: r.events, fileSize: r.fileSize)
        }, consume: { i, result in
            let lines = session.record(run: i, result)
            let out = json ? [lines.json] : lines.text
            if !out.isEmpty { progress.finish() }  // erase the progress line before a report line
            for line in out { print(line) }
            progress.update { "fuzz: \(i + 1) of \(runs) runs, \(session.failedRuns) failed, \(session.distinct.count) distinct" }
        })
        progress.finish()
        let seconds = Date().timeIntervalSince(start)
        if !json { for line in session.closing(runs: runs) { print(line) } }
        printError("fuzz: \(counted(runs, "run")) in \(String(format: "%.1f", seconds)) s: \(String(format: "%.1f", Double(runs) / max(seconds, 1e-9))) runs/s (--jobs \(jobs); each run done twice to check determinism)")
        for problem in session.writeProblems { printError(problem) }
        return session.failedRuns == 0 ? 0 : 1
    }
}

/// What a fuzz session has seen: the distinct failures (each shrunk once, at its first run)
/// and the counts for the closing lines.
struct FuzzSession {
    var seed: UInt64
    var policy: any MeshPolicy
    var out: String
    /// The command that draws the same runs (`MeshSim fuzz --seed S --policy P ...`), for the
    /// shrunk files' descriptions.
    var foundBy: String
    var failedRuns = 0
    /// Each distinct failure: its signature, the first run it happened in, how many runs, the
    /// file written for it.
    var distinct: [(signature: String, firstRun: Int, runs: Int, file: String?)] = []
    /// One note per shrunk file that could not be written, in run order (stderr, at the end).
    var writeProblems: [String] = []

    /// The command as the user gave it, less what does not shape the draw (`--runs`, `--jobs`,
    /// `--out`, `--json`): its run i draws the same scenario. `policy` is the `--policy` value
    /// (a file's path, not its name: the name alone is no policy `fuzz` knows).
    static func command(seed: UInt64, policy: String, peers: ClosedRange<Int>, without: [String]) -> String {
        var c = "MeshSim fuzz --seed \(seed) --policy \(shellQuoted(policy))"
        if peers != ScenarioGenerator.defaultPeerRange { c += " --peers \(peers.lowerBound)-\(peers.upperBound)" }
        if !without.isEmpty { c += " --without \(shellQuoted(without.joined(separator: ",")))" }
        return c
    }

    /// The lines for run `i`: text (only for a new distinct failure) and its JSON line.
    mutating func record(run i: Int, _ r: MeshSimCommand.FuzzResult) -> (text: [String], json: String) {
        var text: [String] = []
        var shrunk: [JSONValue] = []
        if !r.failures.isEmpty { failedRuns += 1 }
        for f in r.failures {
            if let k = distinct.firstIndex(where: { $0.signature == f.signature }) {
                distinct[k].runs += 1
                continue
            }
            let result = shrink(r.scenario, f, run: i)
            distinct.append((f.signature, i, 1, result.file))
            text.append(oneLine("run \(i) (\(counted(r.fileSize.peers, "peer")), \(counted(r.fileSize.events, "event"))): \(f.signature): \(f.example)"))
            if let file = result.file {
                text.append("  shrunk in \(counted(result.tries, "try", "tries")) to \(counted(result.peers, "peer")), \(counted(result.events, "event")): \(result.example)")
                text.append("  replay: \(result.replay)")
                shrunk.append(["failure": .string(f.signature), "file": .string(file), "peers": .number(JSONNumber(result.peers)),
                               "events": .number(JSONNumber(result.events)), "replay": .string(result.replay)])
            } else {
                text.append("  not written: \(result.example)")
                // Shrunk but not written: said, so that it is not taken for a failure never shrunk.
                shrunk.append(["failure": .string(f.signature), "file": .null, "peers": .number(JSONNumber(result.peers)),
                               "events": .number(JSONNumber(result.events)), "notWritten": .string(result.example)])
            }
        }
        let line: JSONValue = [
            "run": .number(JSONNumber(i)), "seed": .number(JSONNumber(r.scenario.seed)),
            "peers": .number(JSONNumber(r.peers)), "scenarioEvents": .number(JSONNumber(r.scenario.events.count)),
            "events": .number(JSONNumber(r.simEvents)), "passed": .bool(r.failures.isEmpty),
            "failures": .array(r.failures.map { ["failure": .string($0.signature), "detail": .string($0.example)] }),
            "shrunk": .array(shrunk),
        ]
        return (text.map(oneLine), JSONWriter.write(line))
    }

    /// Shrinks `s` for failure `f` and writes the smallest scenario.
    private mutating func shrink(_ s: FuzzScenario, _ f: FuzzFailure, run i: Int)
        -> (file: String?, tries: Int, peers: Int, events: Int, example: String, replay: String) {
        let policy = self.policy
        let determinism = f.signature == "invariant:determinism"
        var shrinker = Shrinker { c in FuzzRun(c, policy: policy, checkDeterminism: determinism).fails(f.signature) }
        // A scenario the loader refuses is written as drawn: there is nothing to run.
        var small = f.signature == FuzzFailure.invalidScenario ? s : shrinker.shrink(s)
        let final = FuzzRun(small, policy: policy, checkDeterminism: determinism)
        let failure = final.failures?.first { $0.signature == f.signature } ?? f
        let cause = f.signature.split(separator: ":").last.map(String.init) ?? f.signature
        small.name = "fuzz \(seed) run \(i): \(f.signature)"
        small.description = oneLine("Found by \(foundBy) (run \(i)) and shrunk: \(f.signature): \(failure.example)")
        small.expectConnected = failure.pairs
        let file = pathJoining(out, "fuzz-\(seed)-run\(i)-\(cause).json")
        let replay = "MeshSim scenario \(shellQuoted(file))" + (determinism ? " --check-determinism" : "")
        let example = "\(failure.example)"
        let text = small.fileText
        do {
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            if let existing = FileManager.default.contents(atPath: file), existing != Data(text.utf8) {
                writeProblems.append(oneLine("fuzz: \(file) exists with other contents: not overwritten (choose another --out)"))
                return (nil, shrinker.tried, final.fileSize.peers, final.fileSize.events, "\(file) exists with other contents: not overwritten", replay)
            }
            try Data(text.utf8).write(to: URL(fileURLWithPath: file))
        } catch {
            writeProblems.append(oneLine("fuzz: cannot write \(file): \(error.localizedDescription)"))
            return (nil, shrinker.tried, final.fileSize.peers, final.fileSize.events, "cannot write \(file)", replay)
        }
        return (file, shrinker.tried, final.fileSize.peers, final.fileSize.events, example, replay)
    }

    /// The closing lines: runs, failures, each distinct failure with its count and file.
    func closing(runs: Int) -> [String] {
        var lines = ["fuzz: \(counted(runs, "run")) under policy \(policy.name) (seed \(seed)): \(failedRuns) failed, \(counted(distinct.count, "distinct failure"))"]
        for d in distinct {
            lines.append("  \(d.signature): \(counted(d.runs, "run")), first run \(d.firstRun)" + (d.file.map { ", shrunk: \($0)" } ?? ""))
        }
        return lines.map(oneLine)
    }
}

/// `text` as one shell word: as is when it is plain, else in single quotes (a replay command
/// with an `--out` folder holding spaces or `$` pastes as it reads). A character `oneLine`
/// would escape (a newline, any control, a bidirectional mark) cannot be pasted inside single
/// quotes, where the shell keeps `\n` as two characters: such a word is ANSI-C quoted,
/// `$'new\nline'`, each such character spelt as its UTF-8 bytes (`\xHH`, whatever the locale).
func shellQuoted(_ text: String) -> String {
    let plain = !text.isEmpty && text.utf8.allSatisfy { c in
        (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
            || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || "_./-:=+,".utf8.contains(c)
    }
    if plain { return text }
    func escaped(_ u: Unicode.Scalar) -> Bool { oneLine(String(u)) != String(u) }
    guard text.unicodeScalars.contains(where: escaped) else {
        return "'" + text.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }
    var out = "$'"
    for u in text.unicodeScalars {
        switch u {
        case "\\": out += #"\\"#
        case "'": out += #"\'"#
        case "\n": out += #"\n"#
        case "\t": out += #"\t"#
        case "\r": out += #"\r"#
        default:
            guard escaped(u) else {
                out.unicodeScalars.append(u)
                continue
            }
            for byte in String(u).utf8 {
                let hex = String(byte, radix: 16)
                out += #"\x"# + (hex.count == 1 ? "0" : "") + hex
            }
        }
    }
    return out + "'"
}

/// Whether files can be written in folder `path`: it is made (with its parents) if missing, a
/// file is written in it and removed, and what was made is removed again. The problem, if any.
func probeFolder(_ path: String) -> String? {
    let fm = FileManager.default
    var missing: [String] = []
    var existing = path
    while !existing.isEmpty && existing != "/" && !fm.fileExists(atPath: existing) {
        // `z/.` and `m/..` exist once their parent does: mkdir would say "File exists"
        // (QA, session 15: `--out z/./w` was refused so).
        let last = existing.split(separator: "/").last
        if last != "." && last != ".." { missing.append(existing) }
        existing = parentFolder(existing)
    }
    // Made outermost first with the system's calls, so a failure has the system's words
    // ("Not a directory", "Permission denied"), not Foundation's error 512.
    var made: [String] = []
    defer { for dir in made.reversed() { rmdir(dir) } }
    for dir in missing.reversed() {
        guard mkdir(dir, 0o777) == 0 else { return "\(scenarioQuote(dir)): \(String(cString: strerror(errno)))" }
        made.append(dir)
    }
    var isDirectory: ObjCBool = false
    if fm.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue { return "not a directory" }
    let probe = pathJoining(path, ".meshsim-probe-\(getpid())")
    let fd = open(probe, O_CREAT | O_EXCL | O_WRONLY, 0o600)
    guard fd >= 0 else { return "no file can be created in it: \(String(cString: strerror(errno)))" }
    close(fd)
    unlink(probe)
    return nil
}

/// The folder holding `path`, by plain string work: "" for a name in the current directory,
/// "/" for one at the root. Not NSString's `deletingLastPathComponent`, which traps on a
/// one-character relative path in swift-corelibs-foundation (`fuzz --out x` crashed).
func parentFolder(_ path: String) -> String {
    var p = Substring(path)
    while p.count > 1 && p.hasSuffix("/") { p = p.dropLast() }
    guard let slash = p.lastIndex(of: "/") else { return "" }
    var parent = p[..<slash]
    while parent.hasSuffix("/") { parent = parent.dropLast() }
    return parent.isEmpty ? "/" : String(parent)
}

/// `name` in `folder`, with one slash between them (the folder's trailing slashes dropped, so
/// `--out d/` names its files `d/fuzz-...`). Plain string work, as `parentFolder`.
func pathJoining(_ folder: String, _ name: String) -> String {
    var f = Substring(folder)
    while f.count > 1 && f.hasSuffix("/") { f = f.dropLast() }
    if f.isEmpty { return name }
    return f.hasSuffix("/") ? f + name : f + "/" + name
}
