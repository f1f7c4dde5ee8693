import SignalProtocol

/// `--html FILE` and `--svg FILE` on `scenario` and `compare` (docs/cli.md, "HTML" and "SVG"):
/// parsed and checked with the other outputs before anything runs, fed each run as it ends,
/// written once every run is done.
///
/// `--svg` draws one plot: on `scenario` it takes exactly one scenario FILE (like `--trace`);
/// on `compare`, exactly one FILE too, and the plot has one connected line per policy, from the
/// first seed of each that the command runs.
final class VisualOutputs {
    static let options: Set<String> = ["html", "svg"]

    let html: OutputFile?
    let svg: OutputFile?
    /// For `OutputFiles.check`.
    var files: [OutputFile] { [html, svg].compactMap { $0 } }

    private var sections: [HTMLReport.RunSection] = []
    private var curve: String?

    init(_ a: Arguments, inputs: [String]) throws(UsageError) {
        html = try a.value("html").map { OutputFile(option: "html", path: $0) }
        svg = try a.value("svg").map { OutputFile(option: "svg", path: $0) }
        if svg != nil && inputs.count > 1 {
            throw UsageError(message: "--svg takes exactly one scenario FILE (it draws one plot; --html draws every run)")
        }
    }

    // MARK: - scenario

    /// Before `sim.run()`: the observer the HTML page's timelines need, if `--html` was asked for.
    func attach(to sim: Simulation) -> PageTimelineObserver? {
        guard html != nil else { return nil }
        let o = PageTimelineObserver()
        sim.observers.append(o)
        return o
    }

    /// After the run: its section and curve, rendered now so that the world can go.
    func record(_ sim: Simulation, _ report: RunReport, _ timelines: PageTimelineObserver?) {
        if let timelines {
            sections.append(HTMLReport.runSection(simulation: sim, report: report, timelines: timelines, number: sections.count + 1))
        }
        if svg != nil { curve = ConvergenceCurve(simulation: sim, report: report).standaloneSVG }
    }

    func writeScenario() throws(UsageError) {
        if let svg, let curve { try OutputFiles.write(curve, to: svg) }
        if let html { try OutputFiles.write(HTMLReport.scenarioPage(sections), to: html) }
    }

    // MARK: - compare

    /// The jobs, with `keepCurve` set on the first run of each scenario file and policy when a
    /// curve will be drawn.
    func markCurves(_ jobs: [Compare.Job]) -> [Compare.Job] {
        guard html != nil || svg != nil else { return jobs }
        var seen = Set<String>()  // membership only
        return jobs.map { job in
            var j = job
            j.keepCurve = seen.insert(job.scenario.file + "\u{0}" + job.policy.name).inserted
            return j
        }
    }

    func writeCompare(summaries: [Compare.Summary], outcomes: [Compare.Outcome], scenarios: [Scenario],
                      policies: [String], seeds: String) throws(UsageError) {
        var curves: [String: ConvergenceCurve] = [:]
        for s in scenarios {
            let lines = policies.compactMap { p in outcomes.first { $0.file == s.file && $0.policy == p && $0.curve != nil } }
            guard !lines.isEmpty else { continue }
            let end = lines.compactMap { $0.curve?.end }.max() ?? 0
            let seedsDrawn = lines.map(\.seed).reduce(into: [UInt64]()) { if !$0.contains($1) { $0.append($1) } }
            curves[s.file] = ConvergenceCurve(
                title: s.name,
                subtitle: "\(s.file) · \(seedsDrawn.count == 1 ? "seed \(seedsDrawn[0])" : "seeds " + seedsDrawn.map(String.init).joined(separator: ", ")) · one connected line per policy",
                lines: lines.map { ConvergenceCurve.Line(label: $0.policy + (seedsDrawn.count > 1 ? " (seed \($0.seed))" : ""), series: $0.curve!.series, end: $0.curve!.end) },
                markers: ConvergenceCurve.markers(s, until: end), joins: ConvergenceCurve.joinSpan(s, until: end))
        }
        if let svg {
            let curve = scenarios.first.flatMap { curves[$0.file] } ?? ConvergenceCurve(
                title: scenarios.first?.name ?? "", subtitle: "no run of this file in this shard", lines: [], markers: [], joins: nil)
            try OutputFiles.write(curve.standaloneSVG, to: svg)
        }
        if let html {
            try OutputFiles.write(HTMLReport.comparePage(summaries: summaries, outcomes: outcomes, curves: curves,
                                                         policies: policies, seeds: seeds), to: html)
        }
    }
}
