import Foundation
import SignalProtocol

/// `MeshSim merge FILE...` (docs/cli.md, "merge"; docs/sweeps.md): the JSON lines of
/// `compare --shard I/N --json` runs, from any number of shards in any order, put back in the
/// sweep's order and printed exactly as the unsharded `compare` prints them: the lines and the
/// table (on stderr under `--json`, on stdout otherwise), with the same exit status.
///
/// Each compare line carries `sweep` (`run`, `runs`, `expectsBreakage`): the order comes from
/// `run`, a missing or doubled run is an error (exit 2), and the table's note on files that
/// expect a broken mesh needs no scenario file.
extension MeshSimCommand {
    static func merge(_ rest: ArraySlice<String>) throws(UsageError) -> Int32 {
        let a = try Arguments(rest, valued: [], flags: ["json"])
        guard !a.positional.isEmpty else { throw UsageError(message: "needs at least one FILE (the JSON lines of compare --shard I/N --json)") }
        switch SweepMerge.read(a.positional) {
        case .failure(let problem):
            printError(problem.message)
            return 2
        case .success(let merged):
            let table = Compare.table(Compare.summarize(merged.outcomes, files: merged.files, policies: merged.policies))
            printTable(table, outcomes: merged.outcomes, json: a.flag("json"))
            return merged.outcomes.allSatisfy(\.passed) ? 0 : 1
        }
    }
}

/// Reading and ordering the shards' lines.
enum SweepMerge {
    struct Merged {
        var outcomes: [Compare.Outcome]
        /// Files in sweep order, with whether each expects a broken mesh.
        var files: [(file: String, expectsBreakage: Bool)]
        var policies: [String]
    }

    struct Problem: Error {
        var message: String
    }

    static func read(_ paths: [String]) -> Result<Merged, Problem> {
        var byRun: [Int: Compare.Outcome] = [:]  // lookup only; read out in run order
        var total: Int?
        /// The sweep's id, as the first line says (nil: lines from a MeshSim without it).
        var sweepID: String??
        /// Whether each file expects a broken mesh, as its lines say (`sweep.expectsBreakage`).
        var breakage: [String: Bool] = [:]  // lookup only
        for path in paths {
            let bytes: [UInt8]
            switch ScenarioLoader.readFile(path, limit: 1 << 34) {
            case .success(let b): bytes = b
            case .failure(let e): return .failure(Problem(message: "\(path): \(e.message)"))
            }
            var lineNumber = 0
            for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
                lineNumber += 1
                guard !line.isEmpty else { continue }
                let text = String(decoding: line, as: UTF8.self)
                let at = "\(path):\(lineNumber)"
                switch outcome(text, at: at) {
                case .failure(let p): return .failure(p)
                case .success(let (run, runs, expectsBreakage, id, o)):
                    if let first = sweepID, first != id {
                        return .failure(Problem(message: "\(at): sweep.id is \(id ?? "absent") but an earlier line says \(first ?? "absent"): lines from different sweeps (other files, policies, seeds, --vary values, or --until/--max-events limits)"))
                    }
                    sweepID = .some(id)
                    breakage[o.file] = expectsBreakage
                    if let t = total, t != runs {
                        return .failure(Problem(message: "\(at): sweep.runs is \(runs) but an earlier line says \(t): lines from different sweeps"))
                    }
                    total = runs
                    guard run >= 1 && run <= runs else { return .failure(Problem(message: "\(at): sweep.run \(run) is not between 1 and \(runs)")) }
                    guard byRun[run] == nil else { return .failure(Problem(message: "\(at): run \(run) of the sweep appears twice (a shard given twice?)")) }
                    byRun[run] = o
                }
            }
        }
        guard let total else { return .failure(Problem(message: "\(paths.joined(separator: ", ")): no JSON lines (expected the output of compare --shard I/N --json)")) }
        // Every run is present once, so the lines number exactly `total`. Counted, not listed:
        // a line claiming a sweep of 10^18 runs must not make merge enumerate them.
        if byRun.count != total {
            var shown: [Int] = []
            var run = 1
            while shown.count < 6 && run <= total {
                if byRun[run] == nil { shown.append(run) }
                run += 1
            }
            let missing = total - byRun.count
            let list = shown.prefix(5).map(String.init).joined(separator: ", ") + (missing > 5 ? ", ..." : "")
            return .failure(Problem(message: "\(missing) of the sweep's \(total) runs are missing (runs \(list)): is a shard missing or incomplete?"))
        }
        let outcomes = (1...total).map { byRun[$0]! }
        var files: [(file: String, expectsBreakage: Bool)] = []
        var policies: [String] = []
        for o in outcomes {
            if !files.contains(where: { $0.file == o.file }) { files.append((o.file, breakage[o.file] ?? false)) }
            if !policies.contains(o.policy) { policies.append(o.policy) }
        }
        return .success(Merged(outcomes: outcomes, files: files, policies: policies))
    }

    /// One compare line: its place in the sweep and the outcome it stands for.
    static func outcome(_ text: String, at: String) -> Result<(run: Int, runs: Int, expectsBreakage: Bool, sweepID: String?, outcome: Compare.Outcome), Problem> {
        guard let value = try? JSONParser.parse(text), case .object(let o) = value else {
            return .failure(Problem(message: "\(at): not a JSON object (expected a line of compare --json)"))
        }
        func missing(_ key: String) -> Problem {
            Problem(message: "\(at): no \(key) (expected a line of compare --shard I/N --json, from a MeshSim that has merge)")
        }
        guard case .object(let sweep)? = o["sweep"], let run = sweep["run"]?.numberValue?.int64,
              let runs = sweep["runs"]?.numberValue?.int64, let expectsBreakage = sweep["expectsBreakage"]?.boolValue else {
            return .failure(missing("sweep"))
        }
        guard let scenario = o["scenario"]?.stringValue else { return .failure(missing("scenario")) }
        guard let file = o["file"]?.stringValue else { return .failure(missing("file")) }
        guard let policy = o["policy"]?.stringValue else { return .failure(missing("policy")) }
        guard let seed = o["seed"]?.numberValue?.uint64 else { return .failure(missing("seed")) }
        guard let fullMesh = o["fullMesh"]?.boolValue else { return .failure(missing("fullMesh")) }
        guard let passed = o["passed"]?.boolValue else { return .failure(missing("passed")) }
        guard let signaling = o["signalingMessages"]?.numberValue?.int64 else { return .failure(missing("signalingMessages")) }
        guard let offers = o["offersCreated"]?.numberValue?.int64 else { return .failure(missing("offersCreated")) }
        guard let restarts = o["iceRestarts"]?.numberValue?.int64 else { return .failure(missing("iceRestarts")) }
        guard let glare = o["glare"]?.numberValue?.int64 else { return .failure(missing("glare")) }
        guard let expectations = o["expectations"]?.arrayValue else { return .failure(missing("expectations")) }
        guard let violations = o["violations"]?.arrayValue else { return .failure(missing("violations")) }
        var convergence: Int64?
        switch o["convergenceMs"] {
        case .number(let n)?:
            guard let ns = nanoseconds(n.text) else { return .failure(Problem(message: "\(at): convergenceMs \(n.text) is not a number of milliseconds")) }
            convergence = ns
        case .null?: convergence = nil
        default: return .failure(missing("convergenceMs"))
        }
        var failed: [String] = [], unjudged: [String] = []
        for e in expectations {
            guard let name = e["name"]?.stringValue, let ok = e["ok"]?.boolValue else { return .failure(missing("expectations[].name and ok")) }
            if e["judged"]?.boolValue == false {
                if !unjudged.contains(name) { unjudged.append(name) }
            } else if !ok && !failed.contains(name) {
                failed.append(name)
            }
        }
        // What stopped the run, worded as the table words it (`--until`, `--max-events`).
        var stop: (atNs: Int64, by: String)?
        if case .object(let st)? = o["stopped"], let at = st["atMs"]?.numberValue, let atNs = nanoseconds(at.text), let by = st["by"]?.stringValue {
            stop = (atNs, by == RunStop.until.code ? RunStop.until.words : by == RunStop.eventBudget.code ? RunStop.eventBudget.words : by)
        }
        let outcome = Compare.Outcome(scenario: scenario, file: file, policy: policy, seed: seed, fullMesh: fullMesh, passed: passed,
                                      convergence: convergence, signalingMessages: Int(signaling), offers: Int(offers),
                                      iceRestarts: Int(restarts), glare: Int(glare), report: text, failedExpectations: failed,
                                      unjudgedExpectations: unjudged, stop: stop, violations: violations.count, junitCase: nil, curve: nil)
        return .success((Int(run), Int(runs), expectsBreakage, sweep["id"]?.stringValue, outcome))
    }

    /// `formatMillis`'s text back to nanoseconds, exactly ("723.5" → 723_500_000).
    static func nanoseconds(_ ms: String) -> Int64? {
        let parts = ms.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = Int64(parts[0]), whole >= 0 else { return nil }
        var ns = whole * 1_000_000
        if parts.count == 2 {
            let frac = parts[1]
            guard !frac.isEmpty, frac.count <= 6, frac.allSatisfy(\.isASCII), let f = Int64(frac) else { return nil }
            ns += f * Int64(pow(10, Double(6 - frac.count)))
        }
        return ns
    }
}
