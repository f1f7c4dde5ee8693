/// `--html FILE`: one self-contained page (inline CSS and SVG, no script, nothing fetched).
///
/// For `scenario`, a section per run: the summary (scenario, file, seed, policy, PASS / FAIL /
/// NOT JUDGED, pairs, convergence, signaling), the expectations, the invariant violations, the
/// stuck pairs grouped by explanation (`StuckPairGroup`), the convergence curve
/// (`ConvergenceCurve`), the peer × peer matrix (`PeerMatrix`) and the per-peer timelines
/// (`PageTimelines`). For `compare`, a section per scenario file: the summary table, the
/// convergence times per policy and the signaling cost per policy (`CompareCharts`), and the
/// curves of the first seed per policy.
///
/// Everything that comes from a scenario file or the command line goes through
/// `Markup.escape`. The page holds no date, path of the machine or timing: the same runs give
/// the same bytes. Each run's section is rendered as soon as the run ends, so a sweep of files
/// never keeps more than one world in memory.
enum HTMLReport {
    /// One run, rendered.
    struct RunSection {
        var html: String
        /// Its line in the index at the top of the page (when there are several runs).
        var indexRow: String
        /// The scenario's name (the page's title when it is the only run).
        var scenario: String
    }

    enum Verdict: String {
        case pass = "PASS", fail = "FAIL", notJudged = "NOT JUDGED"

        init(_ r: RunReport) {
            if r.passed {
                self = .pass
            } else if r.notJudged > 0 && r.violations.isEmpty && r.expectations.allSatisfy({ $0.ok || !$0.judged }) {
                self = .notJudged
            } else {
                self = .fail
            }
        }

        var badge: String {
            let cls = self == .pass ? "pass" : self == .fail ? "fail" : "notjudged"
            return "<span class=\"badge \(cls)\">\(rawValue)</span>"
        }
    }

    static func e(_ s: String) -> String { Markup.escape(s) }

    // MARK: - scenario

    /// The section of run number `number` (1-based), from its finished world.
    static func runSection(simulation s: Simulation, report r: RunReport, timelines: PageTimelineObserver,
                           number: Int) -> RunSection {
        let id = "run-\(number)"
        let verdict = Verdict(r)
        var h = "<section class=\"run\" id=\"\(id)\">\n"
        h += "<h2>\(verdict.badge) \(e(r.scenario))</h2>\n"
        if let d = s.scenario.description { h += "<p class=\"desc\">\(e(d))</p>\n" }

        // Summary.
        var rows: [(String, String)] = []
        rows.append(("file", "<code>\(e(r.file))</code>"))
        rows.append(("seed · policy", "\(r.seed) · \(e(r.policy))"))
        if let stopped = r.stopped {
            rows.append(("stopped", "<b>run stopped at \(formatSeconds(stopped.atNs)) by \(e(stopped.by.words))</b>, before the scenario's end at \(formatSeconds(stopped.durationNs)); what follows is the state at the stop"))
        }
        let state = r.stopped != nil ? "at the stop" : r.fullMesh ? "full mesh" : "<b>not a full mesh</b>"
        rows.append(("pairs", "\(r.pairsConnected) of \(counted(r.pairsExpected, "pair")) connected (\(state))"
            + (r.relayedPairs > 0 ? ", \(r.relayedPairs) through a TURN relay" : "")
            + (r.stuck.isEmpty ? "" : ", \(counted(r.stuck.count, "stuck pair"))")))
        let start = s.convergenceStart
        if let at = r.convergedAt, r.pairsExpected > 0 {
            let when = "\(r.stopped != nil ? "full since" : "converged at") \(formatSeconds(at))"
            let text: String
            if let stopped = r.stopped, start.time > stopped.atNs {
                // The run stopped before that disruption ended: nothing can be said of after it.
                text = "\(when); \(e(start.what)) had not ended at the stop"
            } else if r.stopped == nil, start.time > r.simulatedNs {
                // The disruption outlasts the run (QA, session 15).
                text = "\(when); \(e(start.what)) ends at \(formatSeconds(start.time)), after the end of the run"
            } else if at >= start.time {
                text = "\(when): \(formatSeconds(at - start.time)) after \(e(start.what)) at \(formatSeconds(start.time))"
            } else {
                text = "\(when), and stayed full through \(e(start.what)), which ended at \(formatSeconds(start.time))"
            }
            rows.append(("convergence", text))
        } else {
            rows.append(("convergence", r.pairsExpected == 0 ? "no pairs expected at the end" : "not converged at the end of the run"))
        }
        rows.append(("signaling", "\(counted(r.signalingMessages, "signal")) relayed, \(counted(r.controlMessages, "control message"))"
            + (r.signalsDropped > 0 ? ", \(r.signalsDropped) dropped (no WebSocket)" : "")
            + "; \(counted(r.offersCreated, "offer"))" + (r.iceRestarts > 0 ? " (\(counted(r.iceRestarts, "ICE restart")))" : "")
            + ", \(counted(r.connectionsCreated, "peer connection"))" + (r.connectionsRefused > 0 ? " (\(r.connectionsRefused) refused)" : "")))
        rows.append(("run", "simulated \(formatSeconds(r.simulatedNs)) in \(counted(r.events, "event")); \(counted(r.datagramsSent, "datagram")) (\(r.datagramsLost) lost, \(r.datagramsBlocked) blocked); trace hash <code>\(r.traceHash)</code>"))
        if r.turnAllocations + r.turnRefused > 0 {
            rows.append(("TURN", "\(r.turnAllocations) allocations" + (r.turnRefused > 0 ? ", \(r.turnRefused) refused (508)" : "")))
        }
        if !r.attacks.isEmpty {
            let tried = r.attacks.reduce(0) { $0 + $1.tried }, blocked = r.attacks.reduce(0) { $0 + $1.blocked }
            rows.append(("attacks", "\(blocked) of \(tried) blocked (" + r.attacks.map { "\($0.kind.rawValue) \($0.blocked)/\($0.tried)" }.joined(separator: ", ") + ")"))
        }
        // Application data and media (scenario `traffic`), as the text report words them.
        func lines(_ label: String, _ l: [String]) -> (String, String) {
            let text = l.map { $0.trimmingCharacters(in: .whitespaces) }
                .map { $0.hasPrefix(label + ": ") ? String($0.dropFirst(label.count + 2)) : $0 }
            return (label, text.map(e).joined(separator: "<br>"))
        }
        if let data = r.data { rows.append(lines("data", data.textLines)) }
        if let media = r.media { rows.append(lines("media", media.textLines)) }
        h += "<table class=\"kv\">\n" + rows.map { "<tr><th>\($0.0)</th><td>\($0.1)</td></tr>\n" }.joined() + "</table>\n"

        // Expectations.
        h += "<h3>Expectations</h3>\n"
        if r.expectations.isEmpty {
            h += "<p class=\"note\">The file expects nothing (<code>\"expect\": {}</code>).</p>\n"
        } else {
            h += "<table class=\"expect\">\n<tr><th>result</th><th>expectation</th><th>detail</th></tr>\n"
            for x in r.expectations {
                let (cls, word) = x.ok ? ("ok", "ok") : x.judged ? ("failed", "FAIL") : ("nj", "not judged")
                h += "<tr><td class=\"\(cls)\">\(word)</td><td><code>\(e(x.name))</code></td><td>\(e(x.detail))</td></tr>\n"
            }
            h += "</table>\n"
        }

        // Violations.
        h += "<h3>Invariant violations</h3>\n"
        if r.violations.isEmpty {
            h += "<p>none</p>\n"
        } else {
            h += "<ul class=\"violations\">\n" + r.violations.prefix(100).map { "<li>\(e($0))</li>\n" }.joined() + "</ul>\n"
            if r.violations.count > 100 { h += "<p class=\"note\">… \(r.violations.count - 100) more (see --json)</p>\n" }
        }

        // Stuck pairs, grouped.
        h += "<h3>Stuck pairs (\(r.stuck.count))</h3>\n"
        if r.stuck.isEmpty {
            h += "<p>none: every pair expected at the end is connected</p>\n"
        } else {
            let groups = StuckPairGroup.groups(r.stuck)
            h += "<div class=\"stuck\">\n"
            for g in groups.prefix(50) {
                if g.members.count == 1 {
                    let p = r.stuck[g.members[0].index]
                    h += "<p><b>\(e(p.a)) – \(e(p.b))</b> <code>\(g.cause.rawValue)</code>: \(e(p.reason))</p>\n"
                } else {
                    h += "<p><b>\(g.members.count) pairs</b> <code>\(g.cause.rawValue)</code>: \(e(g.template))</p>\n"
                    let shown = g.members.prefix(60).map { "\(e($0.first))–\(e($0.second))" }.joined(separator: ", ")
                    h += "<p class=\"pairs\">A–B: \(shown)\(g.members.count > 60 ? ", … \(g.members.count - 60) more" : "")</p>\n"
                }
            }
            if groups.count > 50 {
                let rest = groups.dropFirst(50)
                h += "<p class=\"note\">… \(rest.count) more explanations for \(counted(rest.reduce(0) { $0 + $1.members.count }, "pair")) (see --json)</p>\n"
            }
            h += "</div>\n"
        }

        // Plots.
        h += "<h3>Convergence</h3>\n"
        h += ConvergenceCurve(simulation: s, report: r).svg(id: "\(id)-curve") + "\n"
        h += "<h3>Pairs</h3>\n"
        let matrix = PeerMatrix(simulation: s, report: r)
        if matrix.blockSize > 1 {
            h += "<p class=\"note\">\(matrix.names.count) peers: each cell is a block of \(matrix.blockSize) × \(matrix.blockSize) pairs (the most frequent stuck cause if any pair of the block is stuck, else the latest first connection).</p>\n"
        }
        h += matrix.svg + "\n"
        h += "<h3>Pages</h3>\n"
        let lines = PageTimelines(observer: timelines, simulation: s)
        if lines.omitted > 0 {
            h += "<p class=\"note\">\(lines.rows.count) of \(lines.rows.count + lines.omitted) peers shown: every peer with a reload, a WebSocket close or an outage, then others evenly spread over the scenario's order.</p>\n"
        }
        h += lines.svg + "\n"
        h += "</section>\n"

        let index = "<tr><td>\(verdict.badge)</td><td><a href=\"#\(id)\">\(e(r.scenario))</a></td><td><code>\(e(r.file))</code></td>"
            + "<td class=\"num\">\(r.seed)</td><td>\(e(r.policy))</td><td class=\"num\">\(r.pairsConnected)/\(r.pairsExpected)</td>"
            + "<td class=\"num\">\(r.convergedAt.map(formatSeconds) ?? "–")</td></tr>\n"
        return RunSection(html: h, indexRow: index, scenario: r.scenario)
    }

    /// The page of `scenario --html`.
    static func scenarioPage(_ sections: [RunSection]) -> String {
        var h = head(title: sections.count == 1 ? "MeshSim: \(sections[0].scenario)" : "MeshSim: \(sections.count) runs")
        h += "<h1>MeshSim report</h1>\n<p class=\"note\">MeshSim \(Usage.version) · \(counted(sections.count, "run"))</p>\n"
        if sections.count > 1 {
            h += "<table class=\"index\">\n<tr><th></th><th>scenario</th><th>file</th><th>seed</th><th>policy</th><th>pairs</th><th>converged at</th></tr>\n"
            h += sections.map(\.indexRow).joined() + "</table>\n"
        }
        h += sections.map(\.html).joined()
        return h + "</body>\n</html>\n"
    }

    // MARK: - compare

    /// The page of `compare --html`: per scenario file, its table, distributions and curves.
    static func comparePage(summaries: [Compare.Summary], outcomes: [Compare.Outcome], curves: [String: ConvergenceCurve],
                            policies: [String], seeds: String) -> String {
        var h = head(title: "MeshSim compare")
        h += "<h1>MeshSim compare</h1>\n"
        h += "<p class=\"note\">MeshSim \(Usage.version) · policies \(e(policies.joined(separator: ", "))) · seeds \(e(seeds)) · \(counted(outcomes.count, "run"))</p>\n"
        var files: [String] = []
        for s in summaries where !files.contains(s.file) { files.append(s.file) }
        for (n, file) in files.enumerated() {
            let mine = summaries.filter { $0.file == file }
            let runs = outcomes.filter { $0.file == file }
            h += "<section class=\"file\" id=\"file-\(n + 1)\">\n<h2>\(e(mine[0].scenario))</h2>\n<p><code>\(e(file))</code></p>\n"
            h += "<table class=\"summary\">\n<tr><th>policy</th><th>runs</th><th>passed</th><th>converged</th><th>p50</th><th>p95</th><th>signaling</th><th>offers</th><th>ICE restarts</th></tr>\n"
            for s in mine {
                // Runs stopped early and failing nothing are not judged, not failed.
                let cls = s.passed == s.runs ? "ok" : s.failedRuns == 0 ? "nj" : "failed"
                h += "<tr><td>\(e(s.policy))</td><td class=\"num\">\(s.runs)</td><td class=\"num \(cls)\">\(s.passed)/\(s.runs)</td>"
                    + "<td class=\"num\">\(s.converged)/\(s.runs)</td><td class=\"num\">\(s.p50.map(Compare.shortTime) ?? "–")</td>"
                    + "<td class=\"num\">\(s.p95.map(Compare.shortTime) ?? "–")</td><td class=\"num\">\(Compare.fixed(s.meanSignaling))</td>"
                    + "<td class=\"num\">\(Compare.fixed(s.meanOffers))</td><td class=\"num\">\(Compare.fixed(s.meanIceRestarts))</td></tr>\n"
            }
            h += "</table>\n"
            let notes = mine.flatMap(Compare.explain)
            if !notes.isEmpty { h += notes.map { "<p class=\"note\">\(e($0.trimmingCharacters(in: [" "])))</p>\n" }.joined() }
            h += "<p class=\"note\">passed: every expectation held; converged: a full mesh at the end; p50 and p95: convergence time from the last join or disruption, over the runs that converged; signaling, offers and ICE restarts: means per run.</p>\n"
            h += "<h3>Convergence time per policy</h3>\n" + CompareCharts.convergence(runs, policies: mine.map(\.policy)) + "\n"
            h += "<h3>Signaling messages per run, per policy</h3>\n" + CompareCharts.signaling(runs, policies: mine.map(\.policy)) + "\n"
            if let curve = curves[file] {
                h += "<h3>Convergence curve of the first seed</h3>\n" + curve.svg(id: "file-\(n + 1)-curve") + "\n"
            }
            h += "</section>\n"
        }
        return h + "</body>\n</html>\n"
    }

    // MARK: - the page

    static func head(title: String) -> String {
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>\(e(title))</title>\n<style>\n\(css)</style>\n</head>\n<body>\n"
    }

    static let css = """
    body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #222; margin: 0 auto; max-width: 1180px; padding: 12px 24px 40px; }
    h1 { font-size: 22px; margin: 8px 0 2px; }
    h2 { font-size: 19px; border-top: 2px solid #d8d8d8; padding-top: 14px; margin: 28px 0 6px; }
    h3 { font-size: 15px; margin: 20px 0 6px; color: #333; }
    table { border-collapse: collapse; margin: 4px 0; }
    th, td { padding: 3px 10px 3px 0; border-bottom: 1px solid #e8e8e8; text-align: left; vertical-align: top; }
    th { font-weight: 600; color: #444; }
    table.kv th { font-weight: normal; color: #666; width: 120px; }
    td.num { text-align: right; font-variant-numeric: tabular-nums; padding-left: 10px; }
    td.ok { color: #1e7a2e; font-weight: 600; }
    td.failed { color: #c62828; font-weight: 600; }
    td.nj { color: #8a6a00; font-weight: 600; }
    .badge { display: inline-block; padding: 1px 8px; border-radius: 4px; color: #fff; font-size: 13px; font-weight: 700; vertical-align: 2px; }
    .badge.pass { background: #2e7d32; } .badge.fail { background: #c62828; } .badge.notjudged { background: #8a6a00; }
    .desc { color: #444; margin: 2px 0 8px; }
    .note { color: #666; font-size: 12.5px; margin: 4px 0; }
    .pairs { color: #555; font-size: 12.5px; margin: -4px 0 8px 1.5em; }
    .stuck p { margin: 6px 0; }
    code { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12.5px; background: #f2f2f2; padding: 0 3px; border-radius: 3px; }
    svg { display: block; max-width: 100%; height: auto; }
    a { color: #1f5f99; }

    """
}
