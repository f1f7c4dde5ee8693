import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import MeshSimKit
import SignalProtocol

/// `--svg` and `--html`: well-formed, honest about the run they draw, escaped, small enough to
/// open, the same bytes every time, and never written over an input.
@Suite struct HTMLAndSVGTests {
    // MARK: - helpers

    /// A finished run and what the outputs make of it.
    struct Drawn {
        var report: RunReport
        var curve: ConvergenceCurve
        var svg: String
        var html: String
        var series: [(time: Int64, connected: Int, expected: Int)]
    }

    static func draw(_ file: String) throws -> Drawn {
        let scenario = try ScenarioLoader.load(path: ProcessTests.packageRoot.appendingPathComponent(file).path)
        let policy = Policies.named(scenario.policy)!
        let sim = Simulation(scenario: scenario, options: RunOptions(seed: scenario.seed, policy: policy), traceSink: TraceWriter(sink: nil))
        let timelines = PageTimelineObserver()
        sim.observers.append(timelines)
        sim.run()
        let report = RunReport(simulation: sim)
        let curve = ConvergenceCurve(simulation: sim, report: report)
        let section = HTMLReport.runSection(simulation: sim, report: report, timelines: timelines, number: 1)
        return Drawn(report: report, curve: curve, svg: curve.standaloneSVG, html: HTMLReport.scenarioPage([section]),
                     series: sim.oracle.series)
    }

    /// Run once, shared by the tests that look at it (a 100-peer run takes seconds in debug).
    static let hundred = Result { try draw("Scenarios/100-peers-join.json") }
    static let stuck = Result { try draw("Scenarios/lifecycle/refresh-crash-restore.seed.json") }

    /// Elements by name and the attributes of each element with an id; nil when the document
    /// is not well-formed XML.
    final class XMLSummary: NSObject, XMLParserDelegate {
        var elements: [String: Int] = [:]
        var byID: [String: [String: String]] = [:]
        var text = ""

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            elements[name, default: 0] += 1
            if let id = attributes["id"] { byID[id] = attributes }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

        static func parse(_ xml: String) -> XMLSummary? {
            let parser = XMLParser(data: Data(xml.utf8))
            let summary = XMLSummary()
            parser.delegate = summary
            return parser.parse() ? summary : nil
        }
    }

    /// The vertices of an `M`/`H`/`V` path (absolute commands, as `Markup.stepPath` writes them).
    static func vertices(_ d: String) -> [(x: Double, y: Double)] {
        var out: [(x: Double, y: Double)] = []
        var x = 0.0, y = 0.0
        var command: Character = "M"
        var numbers: [Double] = []
        var token = ""
        func flush() {
            if !token.isEmpty { numbers.append(Double(token)!); token = "" }
        }
        func apply() {
            switch command {
            case "M": if numbers.count == 2 { x = numbers[0]; y = numbers[1]; out.append((x, y)) }
            case "H": if numbers.count == 1 { x = numbers[0]; out.append((x, y)) }
            case "V": if numbers.count == 1 { y = numbers[0]; out.append((x, y)) }
            default: Issue.record("unexpected path command \(command)")
            }
            numbers = []
        }
        for ch in d {
            if ch.isLetter {
                flush()
                if !numbers.isEmpty { apply() }
                command = ch
            } else if ch == " " {
                flush()
            } else {
                token.append(ch)
            }
        }
        flush()
        if !numbers.isEmpty { apply() }
        return out
    }

    /// For each x of either path, the highest point (smallest SVG y) each path reaches there,
    /// counting the level it arrives with.
    static func tops(_ path: [(x: Double, y: Double)], at xs: [Double]) -> [Double] {
        xs.map { x in
            var level = path[0].y
            var top = Double.infinity
            for v in path {
                if v.x < x - 0.01 { level = v.y; continue }
                if v.x > x + 0.01 { break }
                top = min(top, v.y, level)
                level = v.y
            }
            return min(top, level)
        }
    }

    static func elementCount(_ html: String) -> Int {
        var count = 0
        var previous: UInt8 = 0
        for byte in html.utf8 {
            if previous == UInt8(ascii: "<"), (byte | 0x20) >= UInt8(ascii: "a"), (byte | 0x20) <= UInt8(ascii: "z") { count += 1 }
            previous = byte
        }
        return count
    }

    static func scratch(_ name: String) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("meshsim-html-\(getpid())-\(name)")
        try? FileManager.default.removeItem(at: dir)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    // MARK: - the SVG

    @Test(arguments: ["hundred", "stuck"])
    func theSVGIsWellFormedAndEndsAtTheReportsCountAndTheRunsEnd(run: String) throws {
        let d = try (run == "hundred" ? Self.hundred : Self.stuck).get()
        #expect(d.svg.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"900\" height=\"360\""))
        let xml = try #require(XMLSummary.parse(d.svg), "the SVG is not well-formed XML")
        #expect(xml.elements["svg"] == 1)
        let connected = try #require(xml.byID["curve-connected"]?["d"])
        let expected = try #require(xml.byID["curve-expected"]?["d"])
        let c = Self.vertices(connected), e = Self.vertices(expected)
        // The last vertex: the report's connected count at the run's end.
        let last = try #require(c.last)
        #expect(abs(last.x - d.curve.x(d.report.simulatedNs)) < 0.051, "ends at x \(last.x), the run's end is at \(d.curve.x(d.report.simulatedNs))")
        #expect(abs(last.y - d.curve.y(d.report.pairsConnected)) < 0.051, "ends at y \(last.y), \(d.report.pairsConnected) pairs is at \(d.curve.y(d.report.pairsConnected))")
        #expect(abs((e.last?.y ?? 0) - d.curve.y(d.report.pairsExpected)) < 0.051)
        #expect(d.series.last?.connected == d.report.pairsConnected)
        #expect(xml.text.contains("\(d.report.pairsConnected) of \(d.report.pairsExpected) pairs connected at \(formatSeconds(d.report.simulatedNs))"))
        // At most 2,000 vertices per line, plus the two ends.
        #expect(c.count <= ConvergenceCurve.maxVertices + 2 && e.count <= ConvergenceCurve.maxVertices + 2)
        // Every segment is horizontal or vertical: a step line.
        for (a, b) in zip(c, c.dropFirst()) { #expect(a.x == b.x || a.y == b.y) }
        // The connected line never rises above the expected one (SVG y grows downwards).
        let xs = Array(Set(c.map(\.x) + e.map(\.x))).sorted()
        for (x, (top, limit)) in zip(xs, zip(Self.tops(c, at: xs), Self.tops(e, at: xs))) {
            #expect(top >= limit - 0.051, "at x \(x) the connected line reaches \(top), above the expected line's \(limit)")
        }
    }

    /// The downsampling keeps the step shape honest: every value the function took is covered
    /// by the line at its bucket, the horizontal runs between buckets are exact, and there are
    /// at most 2,000 vertices.
    /// The pages chart counts what is connected: a connection the page closed itself (a
    /// reload's survivors drop their links to the old page) leaves the count, which so never
    /// passes the n - 1 other peers, and ends at what the report says is connected.
    @Test func thePagesChartDropsConnectionsThePageClosed() throws {
        let timelines = PageTimelineObserver()
        let scenario = try ScenarioLoader.load(path: ProcessTests.packageRoot.appendingPathComponent("Scenarios/lifecycle/refresh-clean.resilient.json").path)
        let sim = Simulation(scenario: scenario, options: RunOptions(seed: scenario.seed, policy: Policies.named(scenario.policy)!), traceSink: TraceWriter(sink: nil))
        sim.observers.append(timelines)
        sim.run()
        let n = timelines.rows.count
        var dips = 0
        for row in timelines.rows {
            #expect(row.connected.allSatisfy { $0.value <= n - 1 }, "\(row.name): \(row.connected.map(\.value))")
            dips += zip(row.connected, row.connected.dropFirst()).filter { $1.value < $0.value }.count
            #expect(row.connected.last?.value == n - 1, "\(row.name) ends at \(row.connected.last?.value ?? -1)")
        }
        #expect(dips > 0)
    }

    @Test func downsamplingKeepsEveryValueAndTheEnd() {
        var points: [(time: Int64, value: Int)] = []
        var state: UInt64 = 42
        var value = 0
        for i in 0..<200_000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            value = max(0, value + Int(state >> 61) - 3)
            if i == 123_457 { value += 500 }  // a spike, for one point only
            points.append((Int64(i) * 1_000, value))
            if i == 123_457 { value -= 500 }
        }
        let end: Int64 = 210_000_000
        let maxValue = points.map(\.value).max()!
        let x = { (t: Int64) in Double(t) / Double(end) * 800 }
        let y = { (v: Int) in 300 - 300 * Double(v) / Double(maxValue) }
        let path = Markup.stepPath(points, end: end, x: x, y: y, maxVertices: 2000)
        let v = Self.vertices(path.d)
        #expect(v.count == path.vertices)
        #expect(v.count <= 2002)
        #expect(abs(v.last!.x - x(end)) < 0.051 && abs(v.last!.y - y(points.last!.value)) < 0.051)
        // The spike is drawn.
        #expect(v.contains { abs($0.y - y(maxValue)) < 0.051 })
        #expect(abs(v.map(\.y).min()! - y(maxValue)) < 0.051)
        #expect(abs(v.map(\.y).max()! - y(points.map(\.value).min()!)) < 0.051)
        // Short series are drawn exactly: one H and one V per change.
        let short = Markup.stepPath([(10, 1), (20, 3), (30, 2)], end: 40, x: { Double($0) }, y: { Double($0) })
        #expect(short.d == "M0 0H10V1H20V3H30V2H40")
    }

    // MARK: - the HTML page

    @Test func theHundredPeerPageIsSmallAndHoldsTheRun() throws {
        let d = try Self.hundred.get()
        let count = Self.elementCount(d.html)
        #expect(count < 2500, "\(count) elements")
        #expect(d.html.utf8.count < 400_000)
        #expect(d.html.contains("<span class=\"badge pass\">PASS</span> 100 peers join"))
        for x in d.report.expectations {
            #expect(d.html.contains("<code>\(x.name)</code></td><td>\(Markup.escape(x.detail))</td>"))
        }
        #expect(d.html.contains("4950 of 4950 pairs connected (full mesh)"))
        #expect(d.html.contains("\(d.report.signalingMessages) signals relayed") && d.report.signalingMessages > 4950 * 4)
        #expect(!d.html.contains("<script"))
        // Nothing to fetch: the only URL is the SVG namespace.
        let rest = d.html.replacingOccurrences(of: "xmlns=\"http://www.w3.org/2000/svg\"", with: "")
        for needle in ["http", "src=", "url(", "@import", "<link"] { #expect(!rest.contains(needle), "\(needle)") }
    }

    @Test func aPageWithStuckPairsGroupsThemByCause() throws {
        let d = try Self.stuck.get()
        #expect(d.html.contains("<span class=\"badge pass\">PASS</span>"))
        #expect(d.html.contains("<h3>Stuck pairs (3)</h3>"))
        #expect(d.html.contains("<b>3 pairs</b> <code>zombieIgnoredOnline</code>"))
        #expect(d.html.contains("zombieIgnoredOnline (3 pairs)"))  // the matrix legend
        #expect(d.html.contains("<td class=\"ok\">ok</td><td><code>notConnected</code></td>"))
    }

    /// A run with `traffic` shows its data and media summaries, as the text report words them.
    @Test func aPageWithTrafficShowsItsDataAndMedia() throws {
        let data = try Self.draw("Scenarios/data/reload.json")
        let dataLine = try #require(data.report.data?.textLines.first)
        #expect(data.html.contains("<tr><th>data</th><td>"))
        #expect(data.html.contains(Markup.escape(String(dataLine.trimmingCharacters(in: .whitespaces).dropFirst("data: ".count)))))
        #expect(!data.html.contains("<tr><th>media</th>"))
        let media = try Self.draw("Scenarios/media/video-mesh-home-uplink.json")
        #expect(media.html.contains("<tr><th>media</th><td>10 of 10 pages saturate their uplink"))
    }

    @Test func namesFromTheScenarioAreEscaped() throws {
        let dir = try Self.scratch("escape")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("odd&<b>.json")
        try Data(#"{"name": "<script>alert(1)</script> & \"x\" 'y' \u001b[31m", "description": "<img src=x onerror=alert(2)>", "duration": "3s", "events": [{"at": "1s", "do": "leave", "peer": "b"}], "peers": [{"id": "a"}, {"id": "b", "join": "100ms"}], "expect": {"fullMesh": true, "maxSignalingMessages": 1}}"#.utf8).write(to: file)
        let html = dir.appendingPathComponent("out.html").path, svg = dir.appendingPathComponent("out.svg").path
        let r = try ProcessTests.run(["scenario", file.path, "--html", html, "--svg", svg])
        #expect(r.status == 1, "\(r.stderr)")
        let page = try String(contentsOfFile: html, encoding: .utf8)
        #expect(!page.contains("<script"))
        #expect(!page.contains("<img"))
        #expect(!page.contains("<b>.json"))
        #expect(!page.contains("\u{1b}"))
        #expect(page.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot; &#39;y&#39; \\u001b[31m"))
        #expect(page.contains("&lt;img src=x onerror=alert(2)&gt;"))
        #expect(page.contains("odd&amp;&lt;b&gt;.json"))
        // The failed expectation is in the table.
        #expect(page.contains("<td class=\"failed\">FAIL</td><td><code>maxSignalingMessages</code></td>"))
        #expect(page.contains("<span class=\"badge fail\">FAIL</span>"))
        let picture = try String(contentsOfFile: svg, encoding: .utf8)
        #expect(XMLSummary.parse(picture) != nil, "the SVG is not well-formed XML")
        #expect(!picture.contains("<script"))
        #expect(picture.contains(">1 s leave b</text>"))
    }

    @Test func theSameRunsGiveTheSameBytes() throws {
        let dir = try Self.scratch("same")
        defer { try? FileManager.default.removeItem(at: dir) }
        var outputs: [[Data]] = []
        for i in 1...2 {
            let html = dir.appendingPathComponent("\(i).html").path, svg = dir.appendingPathComponent("\(i).svg").path
            let chtml = dir.appendingPathComponent("c\(i).html").path, csvg = dir.appendingPathComponent("c\(i).svg").path
            let r = try ProcessTests.run(["scenario", "Scenarios/lifecycle/refresh-crash-restore.seed.json", "Scenarios/10-peers.json",
                                          "--html", html])
            #expect(r.status == 0, "\(r.stderr)")
            let s = try ProcessTests.run(["scenario", "Scenarios/lifecycle/refresh-crash-restore.seed.json", "--svg", svg])
            #expect(s.status == 0, "\(s.stderr)")
            // compare: the same bytes whatever --jobs is.
            let c = try ProcessTests.run(["compare", "Scenarios/lifecycle/refresh-crash-restore.seed.json", "--policies", "seed,resilient",
                                          "--seeds", "1-4", "--jobs", "\(i)", "--html", chtml, "--svg", csvg])
            #expect(c.status == 1, "\(c.stderr)")
            outputs.append(try [html, svg, chtml, csvg].map { try Data(contentsOf: URL(fileURLWithPath: $0)) })
        }
        #expect(outputs[0] == outputs[1])
        #expect(outputs[0].allSatisfy { $0.count > 1000 })
        let compareSVG = String(decoding: outputs[0][3], as: UTF8.self)
        let xml = try #require(XMLSummary.parse(compareSVG))
        #expect(xml.byID["curve-connected-1"] != nil && xml.byID["curve-connected-2"] != nil)
        let comparePage = String(decoding: outputs[0][2], as: UTF8.self)
        #expect(comparePage.contains("Convergence time per policy") && comparePage.contains("<td>resilient</td>"))
    }

    @Test func anOutputThatIsAnInputIsRefused() throws {
        let dir = try Self.scratch("inputs")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (input, original, link) = try CommandLineTests.inputAndLink(in: dir)
        for option in ["--html", "--svg"] {
            for path in [input.path, link.path] {
                let r = try ProcessTests.run(["scenario", input.path, option, path])
                #expect(r.status == 2 && r.stderr.contains("is an input file") && r.stdout.isEmpty, "\(option) \(path): \(r.stderr)")
                let c = try ProcessTests.run(["compare", input.path, "--policies", "seed", "--seeds", "1", option, path])
                #expect(c.status == 2 && c.stderr.contains("is an input file") && c.stdout.isEmpty, "compare \(option) \(path): \(c.stderr)")
                #expect(try Data(contentsOf: input) == original)
            }
        }
        let same = dir.appendingPathComponent("out").path
        let both = try ProcessTests.run(["scenario", input.path, "--html", same, "--svg", same])
        #expect(both.status == 2 && both.stderr.contains("writes the same file"))
        // --svg draws one plot: one scenario FILE.
        let two = try ProcessTests.run(["scenario", input.path, input.path, "--svg", dir.appendingPathComponent("c.svg").path])
        #expect(two.status == 2 && two.stderr.contains("--svg takes exactly one scenario FILE"))
        let twoCompare = try ProcessTests.run(["compare", input.path, input.path, "--policies", "seed", "--seeds", "1",
                                               "--svg", dir.appendingPathComponent("c.svg").path])
        #expect(twoCompare.status == 2 && twoCompare.stderr.contains("--svg takes exactly one scenario FILE"))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("c.svg").path))
    }
}
