import Foundation
import SignalProtocol

/// `MeshSim compare`: scenarios × policies × seeds, runs in parallel, results merged in a
/// fixed order so the output is the same bytes whatever `--jobs` is.
enum Compare {
    /// What one run contributes to the comparison.
    struct Outcome {
        var scenario: String
        var file: String
        var policy: String
        var seed: UInt64
        var fullMesh: Bool
        var passed: Bool
        /// Time from the end of the last disruption to convergence, ns (nil: not converged).
        var convergence: Int64?
        var signalingMessages: Int
        var offers: Int
        var iceRestarts: Int
        /// Offers that crossed an offer of the receiving page to the same peer (glare), summed
        /// over every page load of the run.
        var glare: Int
        /// The run's whole report (what `scenario --json` prints for it) with the comparison's
        /// own member appended: `convergenceMs`.
        var report: String
        /// Names of the expectations that failed (judged), each once, in file order.
        var failedExpectations: [String]
        /// Names of the expectations a stopped run could not judge, each once, in file order:
        /// counted apart, never as failures nor as a repair (QA, session 15).
        var unjudgedExpectations: [String] = []
        /// When and by what the run was stopped before its scenario's end (`--until`,
        /// `--max-events`); nil for a complete run.
        var stop: (atNs: Int64, by: String)? = nil
        var violations: Int
        /// The run as a JUnit test case, when `--junit` asked for one (it keeps the text report
        /// of a failed run, which a large sweep should not build for nothing).
        var junitCase: JUnitReport.Case?
        /// The connected and expected pairs over time, when the job asked for them (`--html`, `--svg`).
        var curve: ConvergenceCurve.Line?
    }

    struct Job {
        var scenario: Scenario
        var policy: any MeshPolicy
        var seed: UInt64
        var limits = MeshSimCommand.RunLimits.none
        var junit = false
        /// Keep the run's pair counts over time (`Outcome.curve`).
        var keepCurve = false
        /// Where the run stands in the whole sweep (before `--shard`): its number from 1 and
        /// the sweep's size, written in the JSON line (`sweep`) so that `merge` can put the
        /// shards' lines back in order and tell a missing shard; `id` names the sweep (a digest
        /// of its runs: files, policies, seeds), so that `merge` refuses lines of another one.
        var sweep: (run: Int, runs: Int, id: String)?
    }

    /// A name for the sweep (every shard computes the same): FNV-1a over what stops a run
    /// (`--until`, `--max-events`) and each run's file, policy and seed, in sweep order, as 16
    /// hex digits.
    static func sweepID(files: [String], policies: [String], seeds: [UInt64], limits: MeshSimCommand.RunLimits) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ text: String) {
            for b in text.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
            h = (h ^ 0) &* 0x0000_0100_0000_01b3
        }
        // What stops a run is part of the sweep: shards run with another `--until` or
        // `--max-events` give other results and must not merge.
        mix(limits.until.map { "until \($0)" } ?? "no until")
        mix("budget \(limits.eventBudget)")
        for f in files {
            for p in policies {
                for seed in seeds {
                    mix(f)
                    mix(p)
                    mix(String(seed))
                }
            }
        }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// The most runs one sweep may have (files x policies x seeds), and the most one process
    /// runs (its shard): every finished run is kept until the table is printed.
    static let maxRuns = 100_000_000
    static let maxRunsPerProcess = 2_000_000

    /// Does the file expect the mesh to stay broken (`fullMesh: false` or `notConnected`)?
    static func expectsBreakage(_ s: Scenario) -> Bool {
        (s.expect.present.contains("fullMesh") && !s.expect.fullMesh) || !s.expect.notConnected.isEmpty
    }

    /// Runs every job, `parallelism` at a time; `done` is told how many have finished.
    static func run(_ jobs: [Job], parallelism: Int, done: @escaping @Sendable (Int) -> Void = { _ in }) -> [Outcome] {
        var results = [Outcome?](repeating: nil, count: jobs.count)
        let lock = NSLock()
        var next = 0
        var finished = 0
        let workers = max(1, min(parallelism, jobs.count))
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while true {
                lock.lock()
                let i = next
                next += 1
                lock.unlock()
                guard i < jobs.count else { return }
                let outcome = runOne(jobs[i])
                lock.lock()
                results[i] = outcome
                finished += 1
                let count = finished
                lock.unlock()
                done(count)
            }
        }
        return results.map { $0! }
    }

    static func runOne(_ job: Job) -> Outcome {
        let sim = Simulation(scenario: job.scenario,
                             options: RunOptions(seed: job.seed, policy: job.policy, until: job.limits.until,
                                                 eventBudget: job.limits.eventBudget),
                             traceSink: TraceWriter(sink: nil))
        sim.run()
        let report = RunReport(simulation: sim)
        let convergence = report.fullMesh ? report.convergedAt.map { max(0, $0 - sim.lastDisruptionEnd) } : nil
        let glare = sim.pages.reduce(0) { $0 + $1.manager.glareCount }
        var object = report.jsonObject
        object["convergenceMs"] = convergence.map { .number(JSONNumber(text: formatMillis($0))!) } ?? .null
        object["glare"] = .number(JSONNumber(glare))
        if let sweep = job.sweep {
            object["sweep"] = ["run": .number(JSONNumber(sweep.run)), "runs": .number(JSONNumber(sweep.runs)),
                               "expectsBreakage": .bool(expectsBreakage(job.scenario)), "id": .string(sweep.id)]
        }
        return Outcome(scenario: job.scenario.name, file: job.scenario.file, policy: job.policy.name, seed: job.seed,
                       fullMesh: report.fullMesh, passed: report.passed, convergence: convergence,
                       signalingMessages: report.signalingMessages, offers: report.offersCreated,
                       iceRestarts: report.iceRestarts, glare: glare,
                       report: JSONWriter.write(.object(object)),
                       failedExpectations: once(report.expectations.filter { !$0.ok && $0.judged }.map(\.name)),
                       unjudgedExpectations: once(report.expectations.filter { !$0.judged }.map(\.name)),
                       stop: report.stopped.map { ($0.atNs, $0.by.words) },
                       violations: report.violations.count, junitCase: job.junit ? JUnitReport.Case(report) : nil,
                       curve: job.keepCurve ? ConvergenceCurve.Line(label: job.policy.name, series: sim.oracle.series, end: sim.now) : nil)
    }

    /// Each name once, in the order first given.
    static func once(_ names: [String]) -> [String] {
        names.reduce(into: []) { out, n in if !out.contains(n) { out.append(n) } }
    }

    /// Nearest-rank percentile of sorted values.
    static func percentile(_ sorted: [Int64], _ p: Int) -> Int64? {
        guard !sorted.isEmpty else { return nil }
        let rank = max(1, Int((Double(p) / 100.0 * Double(sorted.count)).rounded(.up)))
        return sorted[min(rank, sorted.count) - 1]
    }

    struct Summary {
        var file: String
        var scenario: String
        var policy: String
        var runs: Int
        var passed: Int
        var converged: Int
        /// Expectation names that failed, with the number of runs each failed in (file order).
        var failures: [(name: String, runs: Int)]
        /// Runs with a judged failure or an invariant violation.
        var failedRuns = 0
        /// Runs stopped before the scenario's end, and by what at when (`--until at 5 s`).
        var stoppedRuns = 0
        var stops: [String] = []
        /// Expectation names stopped runs could not judge, with the number of runs each.
        var notJudged: [(name: String, runs: Int)] = []
        /// Complete runs that ended with a full mesh: what a file expecting breakage can call
        /// a repair (a stopped run's full mesh may predate the breakage).
        var repaired = 0
        /// Converged runs whose mesh was full from before the last disruption ended: their
        /// convergence time counts as 0 in p50 and p95 however long an earlier disruption
        /// kept the mesh broken.
        var fullThroughLastDisruption = 0
        var runsWithViolations: Int
        /// The file expects the mesh to stay broken (`fullMesh: false` or `notConnected`).
        var expectsBreakage: Bool
        var p50: Int64?
        var p95: Int64?
        var meanSignaling: Double
        var meanOffers: Double
        var meanIceRestarts: Double
        var meanGlare: Double
    }

    static func summarize(_ outcomes: [Outcome], scenarios: [Scenario], policies: [String]) -> [Summary] {
        summarize(outcomes, files: scenarios.map { ($0.file, expectsBreakage($0)) }, policies: policies)
    }

    /// The same from each file's name and whether it expects the mesh to stay broken (what
    /// `merge` knows from the runs' JSON lines).
    static func summarize(_ outcomes: [Outcome], files: [(file: String, expectsBreakage: Bool)], policies: [String]) -> [Summary] {
        var out: [Summary] = []
        for (file, breakage) in files {
            for policy in policies {
                let runs = outcomes.filter { $0.file == file && $0.policy == policy }
                guard !runs.isEmpty else { continue }
                let times = runs.compactMap(\.convergence).sorted()
                let n = Double(runs.count)
                func tally(_ names: (Outcome) -> [String]) -> [(name: String, runs: Int)] {
                    var out: [(name: String, runs: Int)] = []
                    for r in runs {
                        for name in names(r) {
                            if let i = out.firstIndex(where: { $0.name == name }) { out[i].runs += 1 }
                            else { out.append((name, 1)) }
                        }
                    }
                    return out
                }
                var stops: [String] = []
                for by in once(runs.compactMap { $0.stop?.by }) {
                    let times = runs.compactMap { $0.stop?.by == by ? $0.stop?.atNs : nil }
                    let lo = times.min()!, hi = times.max()!
                    stops.append("by \(by) at \(formatSeconds(lo))" + (lo == hi ? "" : "–\(formatSeconds(hi))"))
                }
                out.append(Summary(file: file, scenario: runs[0].scenario, policy: policy, runs: runs.count,
                                   passed: runs.filter(\.passed).count,
                                   converged: runs.filter(\.fullMesh).count,
                                   failures: tally(\.failedExpectations),
                                   failedRuns: runs.filter { !$0.failedExpectations.isEmpty || $0.violations > 0 }.count,
                                   stoppedRuns: runs.filter { $0.stop != nil }.count, stops: stops,
                                   notJudged: tally(\.unjudgedExpectations),
                                   repaired: runs.filter { $0.fullMesh && $0.stop == nil }.count,
                                   fullThroughLastDisruption: times.filter { $0 == 0 }.count,
                                   runsWithViolations: runs.filter { $0.violations > 0 }.count,
                                   expectsBreakage: breakage,
                                   p50: percentile(times, 50), p95: percentile(times, 95),
                                   meanSignaling: Double(runs.map(\.signalingMessages).reduce(0, +)) / n,
                                   meanOffers: Double(runs.map(\.offers).reduce(0, +)) / n,
                                   meanIceRestarts: Double(runs.map(\.iceRestarts).reduce(0, +)) / n,
                                   meanGlare: Double(runs.map(\.glare).reduce(0, +)) / n))
            }
        }
        return out
    }

    static func fixed(_ v: Double) -> String { String(format: "%.1f", v) }

    /// A duration for the table: milliseconds with one decimal below 10 s, else seconds.
    static func shortTime(_ ns: Int64) -> String {
        ns < 10 * nsPerSecond ? String(format: "%.1f ms", Double(ns) / 1e6) : String(format: "%.2f s", Double(ns) / 1e9)
    }

    static func table(_ summaries: [Summary]) -> String {
        var lines: [String] = []
        var lastFile: String?
        let header = ["policy", "passed", "converged", "p50", "p95", "signaling", "offers", "ICE restarts", "glare"]
        var notes: [String] = []
        var rows: [[String]] = []
        func flush() {
            guard !rows.isEmpty else { return }
            // Escaped before measuring: an escaped control character is wider than the raw one.
            let all = ([header] + rows).map { $0.map(oneLine) }
            let widths = header.indices.map { c in all.map { $0[c].count }.max()! }
            for r in all {
                lines.append("  " + r.indices.map { c in
                    c == 0 ? r[c] + String(repeating: " ", count: widths[c] - r[c].count)
                           : String(repeating: " ", count: widths[c] - r[c].count) + r[c]
                }.joined(separator: "  "))
            }
            rows = []
            lines.append(contentsOf: notes)
            notes = []
        }
        for s in summaries {
            if s.file != lastFile {
                flush()
                if lastFile != nil { lines.append("") }
                lines.append("\(s.scenario)  (\(s.file))")
                lastFile = s.file
            }
            notes.append(contentsOf: explain(s))
            rows.append([s.policy, "\(s.passed)/\(s.runs)", "\(s.converged)/\(s.runs)",
                         s.p50.map(shortTime) ?? "-", s.p95.map(shortTime) ?? "-",
                         fixed(s.meanSignaling), fixed(s.meanOffers), fixed(s.meanIceRestarts), fixed(s.meanGlare)])
        }
        flush()
        return lines.map(oneLine).joined(separator: "\n")
    }

    /// Under the table, in words: why runs of a policy failed. "converged" and "passed" part
    /// ways when a file expects a failure that a better policy repairs.
    ///
    /// Runs stopped early (`--until`, `--max-events`) are said to be stopped, with what they
    /// could not judge: not failures, and never a repair (the breakage may not have happened
    /// yet). A p50 that counts runs full through the last disruption as 0 says so.
    static func explain(_ s: Summary) -> [String] {
        var lines: [String] = []
        if s.failedRuns > 0 {
            var why = s.failures.map { "\($0.name) (\(counted($0.runs, "run")))" }
            if s.runsWithViolations > 0 { why.append("invariant violations (\(counted(s.runsWithViolations, "run")))") }
            var line = "  \(s.policy): \(s.failedRuns) of \(counted(s.runs, "run")) failed: " + why.joined(separator: ", ")
            let repairs = s.failures.contains { $0.name == "fullMesh" || $0.name == "notConnected" } ? s.repaired : 0
            if s.expectsBreakage && repairs > 0 {
                line += "; this file expects the mesh to stay broken (expect.fullMesh false or expect.notConnected), and \(s.policy) repaired it in \(counted(repairs, "run")): the policy did better than the file expects"
            }
            lines.append(line)
        }
        if s.stoppedRuns > 0 {
            let what = s.notJudged.map { "\($0.name) (\(counted($0.runs, "run")))" }
            lines.append("  \(s.policy): \(s.stoppedRuns) of \(counted(s.runs, "run")) stopped \(s.stops.joined(separator: " and ")), before the scenario's end: "
                         + (what.isEmpty ? "every expectation was judged" : "not judged: " + what.joined(separator: ", ")))
        }
        if s.fullThroughLastDisruption > 0 {
            let n = s.fullThroughLastDisruption
            lines.append("  \(s.policy): \(n) of \(counted(s.converged, "converged run")) \(n == 1 ? "was" : "were") full from before the last disruption ended: p50 and p95 count \(n == 1 ? "it" : "them") as 0 ms, whatever earlier disruptions cost")
        }
        return lines
    }

    /// One run's line under `--json` (docs/contract.md: one report object per run, nothing else).
    static func json(_ o: Outcome) -> String { o.report }
}
