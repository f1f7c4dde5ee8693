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
        /// The run's whole report (what `scenario --json` prints for it) with the comparison's
        /// own members appended: `passed` and `convergenceMs`.
        var report: String
    }

    struct Job {
        var scenario: Scenario
        var policy: any MeshPolicy
        var seed: UInt64
    }

    static func run(_ jobs: [Job], parallelism: Int) -> [Outcome] {
        var results = [Outcome?](repeating: nil, count: jobs.count)
        let lock = NSLock()
        var next = 0
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
                lock.unlock()
            }
        }
        return results.map { $0! }
    }

    static func runOne(_ job: Job) -> Outcome {
        let sim = Simulation(scenario: job.scenario, options: RunOptions(seed: job.seed, policy: job.policy),
                             traceSink: TraceWriter(sink: nil))
        sim.run()
        let report = RunReport(simulation: sim)
        let convergence = report.fullMesh ? report.convergedAt.map { max(0, $0 - sim.lastDisruptionEnd) } : nil
        var object = report.jsonObject
        object["passed"] = .bool(report.passed)
        object["convergenceMs"] = convergence.map { .number(JSONNumber(text: formatMillis($0))!) } ?? .null
        return Outcome(scenario: job.scenario.name, file: job.scenario.file, policy: job.policy.name, seed: job.seed,
                       fullMesh: report.fullMesh, passed: report.passed, convergence: convergence,
                       signalingMessages: report.signalingMessages, offers: report.offersCreated,
                       iceRestarts: report.iceRestarts, report: JSONWriter.write(.object(object)))
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
        var converged: Int
        var p50: Int64?
        var p95: Int64?
        var meanSignaling: Double
        var meanOffers: Double
        var meanIceRestarts: Double
    }

    static func summarize(_ outcomes: [Outcome], files: [String], policies: [String]) -> [Summary] {
        var out: [Summary] = []
        for file in files {
            for policy in policies {
                let runs = outcomes.filter { $0.file == file && $0.policy == policy }
                guard !runs.isEmpty else { continue }
                let times = runs.compactMap(\.convergence).sorted()
                let n = Double(runs.count)
                out.append(Summary(file: file, scenario: runs[0].scenario, policy: policy, runs: runs.count,
                                   converged: runs.filter(\.fullMesh).count,
                                   p50: percentile(times, 50), p95: percentile(times, 95),
                                   meanSignaling: Double(runs.map(\.signalingMessages).reduce(0, +)) / n,
                                   meanOffers: Double(runs.map(\.offers).reduce(0, +)) / n,
                                   meanIceRestarts: Double(runs.map(\.iceRestarts).reduce(0, +)) / n))
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
        let header = ["policy", "converged", "p50", "p95", "signaling", "offers", "ICE restarts"]
        var rows: [[String]] = []
        func flush() {
            guard !rows.isEmpty else { return }
            let all = [header] + rows
            let widths = header.indices.map { c in all.map { $0[c].count }.max()! }
            for r in all {
                lines.append("  " + r.indices.map { c in
                    c == 0 ? r[c] + String(repeating: " ", count: widths[c] - r[c].count)
                           : String(repeating: " ", count: widths[c] - r[c].count) + r[c]
                }.joined(separator: "  "))
            }
            rows = []
        }
        for s in summaries {
            if s.file != lastFile {
                flush()
                if lastFile != nil { lines.append("") }
                lines.append("\(s.scenario)  (\(s.file))")
                lastFile = s.file
            }
            rows.append([s.policy, "\(s.converged)/\(s.runs)",
                         s.p50.map(shortTime) ?? "-", s.p95.map(shortTime) ?? "-",
                         fixed(s.meanSignaling), fixed(s.meanOffers), fixed(s.meanIceRestarts)])
        }
        flush()
        return lines.joined(separator: "\n")
    }

    /// One run's line under `--json` (CONTRACT: one report object per run, nothing else).
    static func json(_ o: Outcome) -> String { o.report }
}
