/// The convergence curve (`--svg FILE`, and inline in `--html`): connected pairs over time as a
/// step line, the expected pairs C(live, 2) as a dashed step line, the scenario's events as
/// vertical lines labelled with their time, `do` and peer, axes in seconds and pairs, a title
/// (the scenario's name) and a legend. 900 × 360, SVG 1.1.
///
/// The data is the oracle's `series` (one point per instant at which either count changed), so
/// the connected line ends at the report's `pairs.connected` at the run's end. A long series (a
/// 1,000-peer join has about 500,000 points) is downsampled to at most 2,000 vertices per line
/// (`Markup.stepPath`): per bucket of 1/500 of the run, the lowest and highest value and the
/// last one, in order, so the line never hides a value the count took.
///
/// `compare --svg` draws one connected line per policy (the first seed of each) on one plot.
struct ConvergenceCurve {
    /// One run's counts over time.
    struct Line {
        /// The legend's name for it (the policy, in `compare`; empty for a single run).
        var label: String
        var series: [(time: Int64, connected: Int, expected: Int)]
        /// The end of the run (the line's last vertex).
        var end: Int64
    }

    /// A scenario event: a vertical line at `at`, a light band until `end` when it lasts.
    struct Marker {
        var at: Int64
        var end: Int64
        var label: String
    }

    var title: String
    var subtitle: String
    var lines: [Line]
    var markers: [Marker]
    /// When the scenario's first and last initial peers join (a light band), if they differ.
    var joins: (first: Int64, last: Int64)?

    static let width = 900.0, height = 360.0
    static let left = 64.0, right = 18.0, top = 58.0, bottom = 44.0
    static var plotWidth: Double { width - left - right }
    static var plotHeight: Double { height - top - bottom }
    /// Vertices per line at most (besides its two ends).
    static let maxVertices = 2000

    /// Colours of the connected lines (the first for a single run).
    static let palette = ["#1f6fb4", "#d95f02", "#1b9e77", "#7570b3", "#e7298a", "#66a61e", "#a6761d", "#444444"]

    init(title: String, subtitle: String, lines: [Line], markers: [Marker], joins: (first: Int64, last: Int64)?) {
        self.title = title
        self.subtitle = subtitle
        self.lines = lines
        self.markers = markers
        self.joins = joins
    }

    /// The curve of a finished run.
    init(simulation s: Simulation, report: RunReport) {
        self.init(title: s.scenario.name,
                  subtitle: "\(s.scenario.file) · seed \(report.seed) · policy \(report.policy) · \(report.pairsConnected) of \(counted(report.pairsExpected, "pair")) connected at \(formatSeconds(report.simulatedNs))",
                  lines: [Line(label: "", series: s.oracle.series, end: s.now)],
                  markers: Self.markers(s.scenario, until: s.now), joins: Self.joinSpan(s.scenario, until: s.now))
    }

    /// The scenario's events up to `until`, labelled `10 s refresh p2`.
    static func markers(_ scenario: Scenario, until: Int64) -> [Marker] {
        scenario.events.filter { $0.at <= until }.map { e in
            let who: String
            switch e.action {
            case .partition(let a, let b, _): who = " \(a)–\(b)"
            case .duplicateTab(let p, let name): who = " \(p) as \(name)"
            default: who = e.action.peer.map { " " + $0 } ?? ""
            }
            return Marker(at: e.at, end: min(e.end, until), label: "\(formatSeconds(e.at)) \(e.action.kindName)\(who)")
        }
    }

    static func joinSpan(_ scenario: Scenario, until: Int64) -> (first: Int64, last: Int64)? {
        let times = scenario.peers.map(\.join).filter { $0 <= until }
        guard let first = times.min(), let last = times.max(), last > first else { return nil }
        return (first, last)
    }

    var end: Int64 { max(lines.map(\.end).max() ?? 0, 1) }
    var maxPairs: Int { max(lines.flatMap { $0.series.map(\.expected) }.max() ?? 0, 1) }

    func x(_ t: Int64) -> Double { Self.left + Self.plotWidth * Double(t) / Double(end) }
    func y(_ v: Int) -> Double { Self.top + Self.plotHeight * (1 - Double(v) / Double(yMax)) }

    /// The top of the pair axis: the largest count rounded up to a tick.
    var yMax: Int {
        let ticks = Markup.countTicks(upTo: maxPairs)
        let step = ticks.count > 1 ? ticks[1] : 1
        return (maxPairs + step - 1) / step * step
    }

    /// The lines' paths for a mapping: expected (dashed) under connected, per run. The ids are
    /// `ID-connected` and `ID-expected` (with `-N` per run when there are several).
    func linePaths(id: String, x: (Int64) -> Double, y: (Int) -> Double, width: Double) -> String {
        var o = ""
        let multi = lines.count > 1
        for (i, line) in lines.enumerated() {
            let colour = Self.palette[i % Self.palette.count]
            let c = Markup.stepPath(line.series.map { ($0.time, $0.connected) }, end: line.end, x: x, y: y, maxVertices: Self.maxVertices)
            let e = Markup.stepPath(line.series.map { ($0.time, $0.expected) }, end: line.end, x: x, y: y, maxVertices: Self.maxVertices)
            let suffix = multi ? "-\(i + 1)" : ""
            // With several runs, the expected lines usually coincide: drawn grey.
            o += "<path id=\"\(id)-expected\(suffix)\" d=\"\(e.d)\" stroke=\"\(multi ? "#888888" : colour)\" stroke-width=\"\(Markup.num(1.5 * width))\" stroke-dasharray=\"6 4\" fill=\"none\"/>\n"
            // Several runs: each line thinner than the one before, so that lines that
            // coincide show as nested stripes instead of the last hiding the others.
            let stroke = 2 * width + (multi ? 1.5 * width * Double(lines.count - 1 - i) : 0)
            o += "<path id=\"\(id)-connected\(suffix)\" d=\"\(c.d)\" stroke=\"\(colour)\" stroke-width=\"\(Markup.num(stroke))\" fill=\"none\"/>\n"
        }
        return o
    }

    /// When the counts stop changing early (the last change before 40 % of the run, as in a
    /// join that converges in seconds of a minute-long run), a zoom on [0, a quarter after the
    /// last change] in the part of the plot the lines leave free, with the window outlined on
    /// the main plot. Nothing when no free part is tall enough.
    var zoomWindow: Int64? {
        let lastChange = lines.compactMap { $0.series.last?.time }.max() ?? 0
        guard lastChange > 0, lastChange * 10 < end * 4 else { return nil }
        let reach = lastChange + lastChange / 4
        let ticks = Markup.timeTicks(upTo: reach, maxTicks: 6)
        let step = ticks.ticks.count > 1 ? ticks.ticks[1] : 1
        return (reach + step - 1) / step * step
    }

    func zoom(id: String) -> String {
        guard let window = zoomWindow else { return "" }
        let l = Self.left, t = Self.top, pw = Self.plotWidth, ph = Self.plotHeight
        // The box: the right part of the plot, above or below the lines there (they are flat).
        let boxLeft = l + pw * 0.42, boxWidth = pw * 0.56
        let ys = lines.flatMap { line -> [Double] in
            guard let last = line.series.last else { return [y(0)] }
            return [y(last.connected), y(last.expected)]
        }
        let highest = ys.min() ?? t + ph, lowest = ys.max() ?? t
        let above = highest - t - 40, below = t + ph - lowest - 8
        let boxHeight = ph * 0.5
        let boxTop: Double
        if below >= boxHeight + 10 {
            boxTop = lowest + 8 + (below - boxHeight - 10) / 2
        } else if above >= boxHeight + 10 {
            boxTop = t + 40 + (above - boxHeight - 10) / 2
        } else {
            return ""
        }
        let inner = (left: boxLeft + 40, top: boxTop + 18, width: boxWidth - 52, height: boxHeight - 38)
        func zx(_ time: Int64) -> Double { inner.left + inner.width * Double(min(time, window)) / Double(window) }
        func zy(_ v: Int) -> Double { inner.top + inner.height * (1 - Double(v) / Double(yMax)) }
        var o = "<g id=\"\(id)-zoom\">\n"
        o += "<rect x=\"\(Markup.num(l))\" y=\"\(Markup.num(t))\" width=\"\(Markup.num(x(window) - l))\" height=\"\(Markup.num(ph))\" fill=\"none\" stroke=\"#999999\" stroke-dasharray=\"3 3\"/>\n"
        o += "<rect x=\"\(Markup.num(boxLeft))\" y=\"\(Markup.num(boxTop))\" width=\"\(Markup.num(boxWidth))\" height=\"\(Markup.num(boxHeight))\" fill=\"#ffffff\" stroke=\"#999999\"/>\n"
        o += "<text x=\"\(Markup.num(boxLeft + 6))\" y=\"\(Markup.num(boxTop + 12))\" fill=\"#555555\" font-size=\"10\">zoom: the first \(formatSeconds(window))</text>\n"
        let ticks = Markup.timeTicks(upTo: window, maxTicks: 6)
        var grid = "", labels = ""
        for tick in ticks.ticks {
            grid += "M\(Markup.num(zx(tick))) \(Markup.num(inner.top))V\(Markup.num(inner.top + inner.height))"
            labels += "<text x=\"\(Markup.num(zx(tick)))\" y=\"\(Markup.num(inner.top + inner.height + 11))\" text-anchor=\"middle\">\(Markup.seconds(tick, decimals: ticks.decimals))</text>"
        }
        for tick in [0, yMax] {
            grid += "M\(Markup.num(inner.left)) \(Markup.num(zy(tick)))H\(Markup.num(inner.left + inner.width))"
            labels += "<text x=\"\(Markup.num(inner.left - 4))\" y=\"\(Markup.num(zy(tick) + 3.5))\" text-anchor=\"end\">\(tick)</text>"
        }
        o += "<path d=\"\(grid)\" stroke=\"#e4e4e4\" fill=\"none\"/>\n<g fill=\"#333333\" font-size=\"9\">\(labels)</g>\n"
        let inWindow = markers.filter { $0.at <= window }
        if !inWindow.isEmpty {
            let d = inWindow.map { "M\(Markup.num(zx($0.at))) \(Markup.num(inner.top))V\(Markup.num(inner.top + inner.height))" }.joined()
            o += "<path d=\"\(d)\" stroke=\"#b05a00\" stroke-dasharray=\"2 2\" fill=\"none\"/>\n"
        }
        // The lines cut at the window (each ends at the window's right edge).
        var zoomed = self
        zoomed.lines = lines.map { line in
            Line(label: line.label, series: line.series.filter { $0.time <= window }, end: min(line.end, window))
        }
        o += zoomed.linePaths(id: "\(id)-zoom", x: zx, y: zy, width: 0.75)
        o += "</g>\n"
        return o
    }

    /// The standalone file: an XML declaration and an `svg` root with its namespace.
    var standaloneSVG: String {
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + svg(id: "curve") + "\n"
    }

    /// The `svg` element (also what the HTML page inlines). `id` prefixes the element ids so
    /// that several curves can share a page.
    func svg(id: String) -> String {
        let w = Self.width, l = Self.left, t = Self.top
        let pw = Self.plotWidth, ph = Self.plotHeight
        let legend = legendLayout()
        let h = Self.height + legend.extraHeight
        var o = "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"\(Markup.num(w))\" height=\"\(Markup.num(h))\" viewBox=\"0 0 \(Markup.num(w)) \(Markup.num(h))\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"11\">\n"
        o += "<title>\(Markup.escape(title)): connected pairs over time</title>\n"
        let summary = lines.map { line -> String in
            let last = line.series.last
            return "\(line.label.isEmpty ? "" : line.label + ": ")\(last?.connected ?? 0) of \(last?.expected ?? 0) pairs connected at \(formatSeconds(line.end))"
        }.joined(separator: "; ")
        o += "<desc>\(Markup.escape(summary))</desc>\n"
        o += "<rect width=\"\(Markup.num(w))\" height=\"\(Markup.num(h))\" fill=\"#ffffff\"/>\n"
        // A long name is cut with an ellipsis (the whole in a tooltip), not clipped at the edge.
        let shownTitle = Markup.elideEnd(title, max: Markup.charsThatFit(w - l - Self.right, fontSize: 16.5))
        let shownSubtitle = Markup.elideMiddle(subtitle, max: Markup.charsThatFit(w - l - Self.right))
        o += "<text x=\"\(Markup.num(l))\" y=\"20\" font-size=\"15\" font-weight=\"bold\">\(Markup.label(title, shown: shownTitle))</text>\n"
        o += "<text x=\"\(Markup.num(l))\" y=\"36\" fill=\"#555555\">\(Markup.label(subtitle, shown: shownSubtitle))</text>\n"

        // Bands first (joins, events that last), then the grid, then the lines on top.
        // The join band's label takes the first row of event labels where it stands.
        var rowEnds = [Double](repeating: -.infinity, count: 3)
        if let joins {
            o += "<rect x=\"\(Markup.num(x(joins.first)))\" y=\"\(Markup.num(t))\" width=\"\(Markup.num(max(x(joins.last) - x(joins.first), 1)))\" height=\"\(Markup.num(ph))\" fill=\"#e8f0e0\"/>\n"
            o += "<text x=\"\(Markup.num(x(joins.first) + 3))\" y=\"\(Markup.num(t + 11))\" fill=\"#5a7a3a\" font-size=\"10\">peers join</text>\n"
            rowEnds[0] = x(joins.first) + 3 + 10 * 5.6
        }
        for m in markers where m.end > m.at {
            o += "<rect x=\"\(Markup.num(x(m.at)))\" y=\"\(Markup.num(t))\" width=\"\(Markup.num(max(x(m.end) - x(m.at), 1)))\" height=\"\(Markup.num(ph))\" fill=\"#fbe9d0\" fill-opacity=\"0.7\"/>\n"
        }
        // Grid and axes.
        let time = Markup.timeTicks(upTo: end)
        var grid = "", labels = ""
        for tick in time.ticks {
            let gx = Markup.num(x(tick))
            grid += "M\(gx) \(Markup.num(t))V\(Markup.num(t + ph))"
            labels += "<text x=\"\(gx)\" y=\"\(Markup.num(t + ph + 14))\" text-anchor=\"middle\">\(Markup.seconds(tick, decimals: time.decimals))</text>"
        }
        for tick in Markup.countTicks(upTo: yMax) {
            let gy = Markup.num(y(tick))
            grid += "M\(Markup.num(l)) \(gy)H\(Markup.num(l + pw))"
            labels += "<text x=\"\(Markup.num(l - 5))\" y=\"\(Markup.num(y(tick) + 4))\" text-anchor=\"end\">\(tick)</text>"
        }
        o += "<path d=\"\(grid)\" stroke=\"#e4e4e4\" stroke-width=\"1\" fill=\"none\"/>\n"
        o += "<g fill=\"#333333\">\(labels)</g>\n"
        o += "<path d=\"M\(Markup.num(l)) \(Markup.num(t))V\(Markup.num(t + ph))H\(Markup.num(l + pw))\" stroke=\"#333333\" fill=\"none\"/>\n"
        o += "<text x=\"\(Markup.num(l + pw / 2))\" y=\"\(Markup.num(Self.height - 6))\" text-anchor=\"middle\" fill=\"#333333\">time (s)</text>\n"
        o += "<text transform=\"translate(14 \(Markup.num(t + ph / 2))) rotate(-90)\" text-anchor=\"middle\" fill=\"#333333\">pairs</text>\n"

        // Events: a line each, labels staggered over three rows; a label that fits nowhere
        // is left out (the line stays, with its label as a tooltip).
        if !markers.isEmpty {
            var lineD = "", labelText = "", unlabelled = 0
            for m in markers {
                let mx = x(m.at)
                lineD += "M\(Markup.num(mx)) \(Markup.num(t))V\(Markup.num(t + ph))"
                let textWidth = Double(m.label.count) * 5.6 + 6
                let anchorEnd = mx + textWidth > l + pw
                let start = anchorEnd ? mx - textWidth : mx
                if let row = rowEnds.indices.first(where: { rowEnds[$0] < start }) {
                    rowEnds[row] = start + textWidth
                    labelText += "<text x=\"\(Markup.num(anchorEnd ? mx - 3 : mx + 3))\" y=\"\(Markup.num(t + 11 + Double(row) * 12))\"\(anchorEnd ? " text-anchor=\"end\"" : "")>\(Markup.escape(m.label))</text>"
                } else {
                    unlabelled += 1
                }
            }
            o += "<path d=\"\(lineD)\" stroke=\"#b05a00\" stroke-width=\"1\" stroke-dasharray=\"2 2\" fill=\"none\"/>\n"
            o += "<g fill=\"#8a4500\" font-size=\"10\">\(labelText)</g>\n"
            if unlabelled > 0 {
                o += "<text x=\"\(Markup.num(l + pw))\" y=\"\(Markup.num(t + ph + 28))\" text-anchor=\"end\" fill=\"#8a4500\" font-size=\"10\">\(counted(unlabelled, "event")) not labelled</text>\n"
            }
        }

        // The lines: expected (dashed) under connected.
        o += linePaths(id: id, x: x, y: y, width: 1)
        o += zoom(id: id)

        o += "<g fill=\"#333333\">\(legend.markup)</g>\n"
        o += "</svg>"
        return o
    }

    /// The legend: one row top right above the plot when it fits there (a single run, a few
    /// policies); else rows under the plot, left to right, as many as the entries need, the
    /// image growing to hold them, so that every line of a `--vary` sweep has its entry.
    /// Widths are measured on the text as shown (escaped), an entry wider than a row elided
    /// in the middle.
    func legendLayout() -> (markup: String, extraHeight: Double) {
        var items: [(kind: Int, colour: String, text: String)] = []
        if lines.count > 1 {
            for (i, line) in lines.enumerated() { items.append((0, Self.palette[i % Self.palette.count], "connected: " + line.label)) }
            items.append((1, "#888888", "expected"))
        } else {
            items.append((0, Self.palette[0], "connected pairs"))
            items.append((1, Self.palette[0], "expected pairs"))
        }
        if !markers.isEmpty { items.append((2, "#b05a00", "scenario event")) }
        let l = Self.left, pw = Self.plotWidth, perChar = 5.8
        func entry(_ item: (kind: Int, colour: String, text: String), x lx: Double, y ly: Double, shown: String) -> String {
            var o: String
            switch item.kind {
            case 0: o = "<path d=\"M\(Markup.num(lx)) \(Markup.num(ly))h22\" stroke=\"\(item.colour)\" stroke-width=\"2\"/>"
            case 1: o = "<path d=\"M\(Markup.num(lx)) \(Markup.num(ly))h22\" stroke=\"\(item.colour)\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>"
            default: o = "<path d=\"M\(Markup.num(lx + 11)) \(Markup.num(ly - 6))v12\" stroke=\"\(item.colour)\" stroke-dasharray=\"2 2\"/>"
            }
            o += "<text x=\"\(Markup.num(lx + 26))\" y=\"\(Markup.num(ly + 4))\">\(Markup.label(item.text, shown: shown))</text>"
            return o
        }
        let widths = items.map { Double(oneLine($0.text).count) * perChar + 30 }
        var markup = ""
        if widths.reduce(0, +) <= pw {
            var lx = l + pw
            for (item, width) in zip(items, widths).reversed() {
                lx -= width
                markup += entry(item, x: lx, y: 46, shown: oneLine(item.text))
            }
            return (markup, 0)
        }
        let rowHeight = 16.0, firstRow = Self.height + 4
        var lx = l, row = 0
        for (item, width) in zip(items, widths) {
            let shown = Markup.elideMiddle(item.text, max: Int((pw - 34) / perChar))
            let w = min(width, Double(shown.count) * perChar + 30)
            if lx > l && lx + w > l + pw {
                row += 1
                lx = l
            }
            markup += entry(item, x: lx, y: firstRow + Double(row) * rowHeight, shown: shown)
            lx += w
        }
        return (markup, Double(row + 1) * rowHeight + 4)
    }
}
