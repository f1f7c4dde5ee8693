import Foundation
import SignalProtocol

/// `MeshSim compare`: the command line around `Compare` (docs/cli.md, "compare").
extension MeshSimCommand {
    static func compare(_ rest: ArraySlice<String>) throws(UsageError) -> Int32 {
        let a = try Arguments(rest, valued: ["policies", "seeds", "jobs", "shard", "until", "max-events", "junit", "html", "svg"],
                              flags: ["json"], repeatable: ["vary"])
        guard !a.positional.isEmpty else { throw UsageError(message: "needs at least one FILE") }
        guard let policyList = try a.value("policies") else { throw UsageError(message: "needs --policies A,B,...") }
        let policyValues = policyList.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        var bases: [PolicySpec] = []
        for value in policyValues {
            bases.append(try PolicyFile.resolve(value, option: "--policies"))
        }
        let axes = try a.values("vary").map { v throws(UsageError) in try PolicyVariants.parseAxis(v) }
        for (i, axis) in axes.enumerated() where axes[..<i].contains(where: { $0.field == axis.field }) {
            throw UsageError(message: "--vary \(axis.field): given more than once; list its values in one --vary \(axis.field)=V1,V2,...")
        }
        // `redial` and `redial.initial` set the same object: which wins would depend on their
        // order, and the variant's name would claim a setting not in effect.
        for (i, axis) in axes.enumerated() {
            if let other = axes[..<i].first(where: { $0.path[0] == axis.path[0] && ($0.path.count == 1) != (axis.path.count == 1) }) {
                throw UsageError(message: "--vary \(axis.field): overlaps --vary \(other.field) (one sets the whole object the other sets a field of); vary one of them")
            }
        }
        var policies: [any MeshPolicy] = []
        for p in try PolicyVariants.expand(bases, axes) {
            guard !policies.contains(where: { $0.name == p.name }) else {
                throw UsageError(message: "--policies: two policies are named \(p.name) (name a policy file's policy with its \"name\" field)")
            }
            policies.append(p)
        }
        guard let seedText = try a.value("seeds") else { throw UsageError(message: "needs --seeds LIST (e.g. 1-100 or 1,5,9)") }
        let seeds = try parseSeeds(seedText)
        var jobs = 1
        if let j = try a.value("jobs") {
            guard let v = plainNumber(j, as: Int.self), v >= 1, v <= 256 else { throw UsageError(message: "--jobs: expected an integer from 1 to 256, got \(scenarioQuote(j))") }
            jobs = v
        }
        var shard = (index: 1, count: 1)
        if let s = try a.value("shard") {
            let parts = s.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, let i = plainNumber(parts[0], as: Int.self), let n = plainNumber(parts[1], as: Int.self), n >= 1, i >= 1, i <= n else {
                throw UsageError(message: "--shard: expected I/N with 1 <= I <= N, got \(scenarioQuote(s))")
            }
            shard = (i, n)
        }
        let limits = try RunLimits(a)
        let junit = try a.value("junit").map { OutputFile(option: "junit", path: $0) }
        let visuals = try VisualOutputs(a, inputs: a.positional)
        try OutputFiles.check([junit].compactMap { $0 } + visuals.files, inputs: a.positional + policyFiles(policyValues))

        var scenarios: [Scenario] = []
        var problems: [String] = []
        for file in a.positional {
            switch load(file, policyOverride: policies[0], limits: limits) {
            case .success(let (s, _)): scenarios.append(s)
            case .failure(let errors): problems.append(contentsOf: errors.map(\.description))
            }
        }
        if !problems.isEmpty {
            for p in problems { printError(p) }
            return 2
        }
        // The whole sweep is counted and named, but only this shard's runs are built: a sweep
        // of 2 x 10^8 runs sharded a hundred thousand ways is fine; one process running it all
        // is refused before it starts (each finished run is kept until the table).
        let (perFile, o1) = policies.count.multipliedReportingOverflow(by: seeds.count)
        let (total, o2) = scenarios.count.multipliedReportingOverflow(by: perFile)
        guard !o1, !o2, total <= Compare.maxRuns else {
            printError("compare: the sweep has \(o1 || o2 ? "more than \(Int.max)" : String(total)) runs (\(scenarios.count) file(s) x \(policies.count) policies x \(seeds.count) seeds), more than the \(Compare.maxRuns) one sweep may have; split it into several sweeps")
            return 2
        }
        if total / shard.count > Compare.maxRunsPerProcess {
            printError("compare: this shard has \(total / shard.count) of the sweep's \(total) runs, more than the \(Compare.maxRunsPerProcess) one process keeps for its table; use more shards (--shard I/N) and merge them")
            return 2
        }
        let sweepID = Compare.sweepID(files: scenarios.map(\.file), policies: policies.map(\.name), seeds: seeds, limits: limits)
        var shardJobs: [Compare.Job] = []
        var k = 0
        for s in scenarios {
            for p in policies {
                for seed in seeds {
                    if k % shard.count == shard.index - 1 {
                        var job = Compare.Job(scenario: s, policy: p, seed: seed, limits: limits, junit: junit != nil)
                        job.sweep = (k + 1, total, sweepID)
                        shardJobs.append(job)
                    }
                    k += 1
                }
            }
        }
        let mine = visuals.markCurves(shardJobs)
        let progress = Progress()
        let outcomes = Compare.run(mine, parallelism: jobs) { done in
            progress.update { "compare: \(done) of \(mine.count) runs done" }
        }
        progress.finish()
        let summaries = Compare.summarize(outcomes, scenarios: scenarios, policies: policies.map(\.name))
        let table = Compare.table(summaries)
        printTable(table, outcomes: outcomes, json: a.flag("json"))
        let failed = outcomes.filter { !$0.passed }.count
        if let junit { try OutputFiles.write(JUnitReport(cases: outcomes.compactMap(\.junitCase)).xml, to: junit) }
        try visuals.writeCompare(summaries: summaries, outcomes: outcomes, scenarios: scenarios, policies: policies.map(\.name), seeds: seedText)
        // Exit status as for `scenario`: 1 when any run failed, so a sweep in CI fails like a
        // single run does.
        return failed == 0 ? 0 : 1
    }

    /// The table and the runs' lines as compare prints them (and `merge`, byte for byte):
    /// under `--json` the lines on stdout and the table on stderr, else the table on stdout.
    static func printTable(_ table: String, outcomes: [Compare.Outcome], json: Bool) {
        let failed = outcomes.filter { !$0.passed }.count
        let footer = failed > 0 ? "\n\n\(failed) of \(counted(outcomes.count, "run")) did not pass: failed an expectation, left one unjudged (stopped early) or broke an invariant (exit status 1)" : ""
        if json {
            // stdout: one report per run, nothing else (docs/cli.md); the table goes to stderr.
            for o in outcomes { print(o.report) }
            FileHandle.standardError.write(Data((table + footer + "\n").utf8))
        } else {
            print(table + footer)
        }
    }

    /// A comma-separated list of seeds and inclusive ranges (`1-100`, `1,5,9`, `1-10,20,30-35`),
    /// in the order written; a seed given twice is an error (it would run twice and weigh
    /// double in the percentiles); at most a million seeds.
    static func parseSeeds(_ text: String) throws(UsageError) -> [UInt64] {
        let bad = UsageError(message: "--seeds: expected seeds and ranges such as 1-100, 1,5,9 or 1-10,20, got \(scenarioQuote(text))")
        var seeds: [UInt64] = []
        var seen = Set<UInt64>()  // membership only
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let parts = item.split(separator: "-", omittingEmptySubsequences: false)
            let range: ClosedRange<UInt64>
            if parts.count == 1, let v = plainNumber(parts[0], as: UInt64.self) {
                range = v...v
            } else if parts.count == 2, let lo = plainNumber(parts[0], as: UInt64.self), let hi = plainNumber(parts[1], as: UInt64.self), lo <= hi {
                range = lo...hi
            } else {
                throw bad
            }
            guard range.upperBound - range.lowerBound < 1_000_000, seeds.count + Int(range.upperBound - range.lowerBound) < 1_000_000 else {
                throw UsageError(message: "--seeds: at most 1000000 seeds, got \(scenarioQuote(text))")
            }
            for s in range {
                guard seen.insert(s).inserted else { throw UsageError(message: "--seeds: seed \(s) given twice in \(scenarioQuote(text))") }
                seeds.append(s)
            }
        }
        return seeds
    }
}
