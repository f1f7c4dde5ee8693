import Foundation
import Testing
@testable import MeshSimKit
import SignalProtocol

/// QA, session 15: what the pictures and the compare table show a reader, each test failing
/// before its fix: every legend entry on the canvas, policy rows and peers identifiable by
/// their labels, long titles elided, distribution axes that do not put marks on their ends,
/// stopped runs called stopped (not failed, not repaired), convergence counted as 0 said so.
@Suite struct OutputLayoutTests {
    /// `(x, y, shown text)` of every `<text x=.. y=..>` whose shown text starts with `prefix`
    /// (a `<title>` child skipped).
    static func texts(_ svg: String, startingWith prefix: String) -> [(x: Double, y: Double, text: String)] {
        let re = try! NSRegularExpression(pattern: #"<text x="([-0-9.]+)" y="([-0-9.]+)"[^>]*>(?:<title>[^<]*</title>)?([^<]*)</text>"#)
        let ns = svg as NSString
        return re.matches(in: svg, range: NSRange(location: 0, length: ns.length)).compactMap { m in
            let text = ns.substring(with: m.range(at: 3))
            guard text.hasPrefix(prefix) else { return nil }
            return (Double(ns.substring(with: m.range(at: 1)))!, Double(ns.substring(with: m.range(at: 2)))!, text)
        }
    }

    /// Characters as drawn: an entity is one.
    static func shownCount(_ escaped: String) -> Int {
        escaped.replacingOccurrences(of: #"&[a-z#0-9]+;"#, with: "x", options: .regularExpression).count
    }

    static func curve(labels: [String], title: String = "t") -> ConvergenceCurve {
        let lines = labels.map { ConvergenceCurve.Line(label: $0, series: [(0, 0, 1), (1_000_000_000, 1, 1)], end: 2_000_000_000) }
        return ConvergenceCurve(title: title, subtitle: "x.json · seed 1", lines: lines, markers: [], joins: nil)
    }

    /// Four `--vary` variants: the legend grew leftwards off the canvas (x = -281), two lines
    /// had no visible entry; an escaped name was measured raw and overlapped the next entry.
    @Test func everyLegendEntryIsOnTheCanvasWithoutOverlap() throws {
        let labels = ["seed{redial.initial=500ms}", "seed{redial.initial=2s}", "resilient{redial.initial=500ms}",
                      "resilient{redial.initial=2s}", "evil<script>\"'&]]>\u{1}\n\u{2028}\u{202E}x"]
        let svg = Self.curve(labels: labels).standaloneSVG
        #expect(HTMLAndSVGTests.XMLSummary.parse(svg) != nil)
        let entries = Self.texts(svg, startingWith: "connected: ") + Self.texts(svg, startingWith: "expected")
        #expect(entries.count == labels.count + 1, "\(entries)")
        let afterHeight = try #require(svg.range(of: "height=\"")).upperBound
        let height = try #require(Double(svg[afterHeight...].prefix { $0 != "\"" }))
        #expect(height > 360, "the legend's rows make the image taller")
        for e in entries {
            #expect(e.x >= 0 && e.x + Double(Self.shownCount(e.text)) * 5.8 <= 900, "\(e)")
            #expect(e.y > 0 && e.y < height, "\(e)")
        }
        let sorted = entries.sorted { ($0.y, $0.x) < ($1.y, $1.x) }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.y == b.y {
            #expect(a.x + Double(Self.shownCount(a.text)) * 5.8 <= b.x, "\(a.text) runs into \(b.text)")
        }
        // A single run keeps its one row above the plot, the image its size.
        let single = Self.curve(labels: [""]).standaloneSVG
        #expect(single.contains("height=\"360\""))
        #expect(Self.texts(single, startingWith: "connected pairs").first?.y == 50)
    }

    /// A 140-character scenario name ran off the 900-pixel canvas, cut without an ellipsis.
    @Test func aLongTitleIsElidedWithTheWholeNameAsATooltip() {
        let name = String(repeating: "a long scenario name ", count: 7)
        let svg = Self.curve(labels: [""], title: name).standaloneSVG
        let title = Self.texts(svg, startingWith: "a long").first!
        #expect(title.text.hasSuffix("…"))
        #expect(Double(title.text.count) * 15 * 0.56 <= 900 - 64)
        #expect(svg.contains("<title>\(name)</title>"))
    }

    /// Policy row labels ran off the plot's left edge: `…edial.initial=500ms}` for two rows.
    @Test func comparePlotRowsShowTheirPolicy() {
        let long = "policy-" + String(repeating: "x", count: 80) + "{redial.initial=9}"
        let rows = ["seed{redial.initial=500ms}", "resilient{redial.initial=500ms,redial.factor=3}", long].map {
            CompareCharts.Row(label: $0, values: [100, 200], note: "2 converged")
        }
        let svg = CompareCharts.strip(rows, time: false, empty: "")
        for label in rows.map(\.label).dropLast() {
            let t = Self.texts(svg, startingWith: label)
            #expect(t.count == 1 && t[0].text == label, "\(label): \(t)")
            #expect(t.allSatisfy { $0.x - Markup.textWidth($0.text) >= 0 }, "\(t)")
        }
        let elided = Self.texts(svg, startingWith: "policy-")
        #expect(elided.count == 1 && elided[0].text.contains("…") && elided[0].text.hasSuffix("{redial.initial=9}"))
        #expect(elided.allSatisfy { $0.x - Markup.textWidth($0.text) >= 0 }, "\(elided)")
        #expect(svg.contains("<title>\(long)</title>"))
    }

    /// Every run relayed 5 messages: the axis ran 0…5 with the marks on its right end; with
    /// 36 and 44 it started at 36, a mark on its left end.
    @Test func aZoomedAxisStartsBelowTheLowestValueAndEndsAboveTheHighest() {
        func axis(_ values: [[Int64]]) -> String {
            CompareCharts.strip(values.enumerated().map { CompareCharts.Row(label: "p\($0.offset)", values: $0.element, note: "") },
                                time: false, empty: "")
        }
        #expect(axis([[5, 5], [5]]).contains("(the axis starts at 4, not 0)"))
        let spread = axis([[36], [44]])
        #expect(spread.contains("(the axis starts at 35, not 0)"), "\(spread)")
        #expect(Self.texts(spread, startingWith: "45").count == 1, "a tick above the highest value")
        #expect(!axis([[10], [40]]).contains("the axis starts"))  // 10 is not more than half 40: from 0
    }

    /// Ten peers of a group with a long prefix: every label of the pairs matrix and of the
    /// pages read `averyveryverylo…`; the part that differs was cut.
    @Test func peerLabelsKeepTheEndThatTellsThemApart() throws {
        let s = try ScenarioRunTests.scenario("""
        {"name": "long names", "duration": "5s",
         "peers": [{"count": 3, "idPrefix": "averyveryverylongpeernameprefix_", "join": {"start": "0s", "every": "100ms"}}]}
        """)
        let sim = Simulation(scenario: s, options: RunOptions(seed: 1, policy: SeedPolicy()), traceSink: TraceWriter(sink: nil))
        let timelines = PageTimelineObserver()
        sim.observers.append(timelines)
        sim.run()
        let page = HTMLReport.scenarioPage([HTMLReport.runSection(simulation: sim, report: RunReport(simulation: sim), timelines: timelines, number: 1)])
        let ids = s.peers.map(\.id)
        #expect(ids.count == 3)
        for id in ids.dropFirst() {
            #expect(page.contains("<title>\(id)</title>\(Markup.elideMiddle(id, max: 16))</text>"), "matrix row \(id)")
        }
        for id in ids {
            #expect(page.contains("<title>\(id)</title>\(Markup.elideMiddle(id, max: 10))</text>"), "pages row \(id)")
        }
        #expect(Set(ids.map { Markup.elideMiddle($0, max: 10) }).count == 3)
        #expect(Markup.elideMiddle("averyveryverylongpeernameprefix_07", max: 16) == "averyver…efix_07")
    }

    /// `--until 5s` before the breakage at 10 s: the table said `seed: 2 of 2 runs failed:
    /// fullMesh, notConnected, connected ... seed repaired it in 2 runs`, of runs that judged
    /// nothing. `merge` words the shards' lines the same.
    @Test func stoppedRunsAreCalledStoppedNotFailedNorRepaired() throws {
        let args = ["compare", "Scenarios/lifecycle/refresh-crash-restore.seed.json", "--policies", "seed,resilient",
                    "--seeds", "1-2", "--until", "5s"]
        let r = try ProcessTests.run(args)
        #expect(r.status == 1)
        #expect(r.stdout.contains("seed: 2 of 2 runs stopped by --until at 5 s, before the scenario's end: not judged: fullMesh (2 runs), notConnected (2 runs)"), "\(r.stdout)")
        #expect(!r.stdout.contains("runs failed"), "\(r.stdout)")
        #expect(!r.stdout.contains("repaired"), "\(r.stdout)")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("meshsim-stopped-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let lines = try ProcessTests.run(args + ["--shard", "1/1", "--json"])
        let file = dir.appendingPathComponent("shard.jsonl")
        try Data(lines.stdout.utf8).write(to: file)
        let merged = try ProcessTests.run(["merge", file.path])
        #expect(merged.stdout == r.stdout, "\(merged.stdout)")
        let html = dir.appendingPathComponent("c.html").path
        _ = try ProcessTests.run(args + ["--html", html])
        let page = try String(contentsOfFile: html, encoding: .utf8)
        #expect(page.contains("stopped by --until at 5 s") && !page.contains("repaired"))
        #expect(page.contains("<td class=\"num nj\">0/2</td>"))
    }

    /// A run whose mesh was full from before the last disruption ended counts 0 ms in p50 and
    /// p95, whatever an earlier disruption cost: the table says how many such runs there are.
    @Test func runsCountedAsZeroAreSaid() {
        func outcome(_ seed: UInt64, _ convergence: Int64?) -> Compare.Outcome {
            Compare.Outcome(scenario: "s", file: "s.json", policy: "resilient", seed: seed, fullMesh: convergence != nil, passed: true,
                            convergence: convergence, signalingMessages: 10, offers: 2, iceRestarts: 0, glare: 0, report: "",
                            failedExpectations: [], violations: 0, junitCase: nil, curve: nil)
        }
        let s = Compare.summarize([outcome(1, 0), outcome(2, 0), outcome(3, 1_200_000_000)], files: [("s.json", false)], policies: ["resilient"])
        #expect(s[0].p50 == 0)
        #expect(Compare.table(s).contains("resilient: 2 of 3 converged runs were full from before the last disruption ended: p50 and p95 count them as 0 ms"))
    }
}
