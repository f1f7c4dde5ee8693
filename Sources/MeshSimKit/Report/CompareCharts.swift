/// The plots of `compare --html`, one row per policy: every run as a dot (jittered vertically
/// by its position, so equal values stay visible), a box from the 25th to the 75th percentile
/// with the median as a bar, whiskers from the lowest to the highest value, and at the right
/// how many runs the row holds. Beyond 1,000 runs in a row the dots become a histogram of 200
/// bins. One `path` per mark and row: the DOM stays small whatever the number of seeds.
enum CompareCharts {
    /// Convergence time (from the last join or disruption) of the runs that converged; the
    /// others are counted at the right.
    static func convergence(_ runs: [Compare.Outcome], policies: [String]) -> String {
        let rows = policies.map { p -> Row in
            let mine = runs.filter { $0.policy == p }
            let values = mine.compactMap(\.convergence).sorted()
            let missing = mine.count - values.count
            return Row(label: p, values: values, note: missing == 0 ? "\(values.count) converged" : "\(values.count) of \(mine.count) converged")
        }
        return strip(rows, time: true, empty: "No run converged: no convergence time to show.")
    }

    /// Signaling messages relayed per run.
    static func signaling(_ runs: [Compare.Outcome], policies: [String]) -> String {
        let rows = policies.map { p -> Row in
            let values = runs.filter { $0.policy == p }.map { Int64($0.signalingMessages) }.sorted()
            let mean = values.isEmpty ? 0 : Double(values.reduce(0, +)) / Double(values.count)
            return Row(label: p, values: values, note: "mean \(Compare.fixed(mean))")
        }
        return strip(rows, time: false, empty: "No runs.")
    }

    struct Row {
        var label: String
        /// Sorted.
        var values: [Int64]
        var note: String
    }

    static func strip(_ rows: [Row], time: Bool, empty: String) -> String {
        guard let top = rows.flatMap(\.values).max() else { return "<p class=\"note\">\(Markup.escape(empty))</p>" }
        // The label column as wide as the longest policy name as shown (`--vary` names are
        // long), up to 360 pixels; a longer name is elided in the middle, keeping the policy
        // and the values that tell its row apart, the whole name in a tooltip.
        let widest = rows.map { Markup.textWidth($0.label) }.max() ?? 0
        let width = 900.0, left = min(max(120, widest + 16), 360), right = 150.0, rowHeight = 34.0, topMargin = 8.0
        let plotWidth = width - left - right
        let height = topMargin + rowHeight * Double(rows.count) + 34
        // The axis: 0 to the largest value rounded up to a tick; when every value is more than
        // half the largest (runs that differ by a few percent, or all equal), from a tick
        // below the lowest to one above the highest, so that the spread shows and no mark sits
        // on the axis's ends (the axis then says it does not start at 0).
        let bottom = rows.flatMap(\.values).min()!
        let zoomed = bottom * 2 > top
        // All equal: ticks a tenth of the value apart, so the axis is a band around it.
        let span = zoomed ? max(top - bottom, top / 10, 1) : max(top, 1)
        let step: Int64, decimals: Int
        if time {
            let t = Markup.timeTicks(upTo: span, maxTicks: 8)
            step = t.ticks.count > 1 ? t.ticks[1] : 1
            decimals = t.decimals
        } else {
            let t = Markup.countTicks(upTo: Int(span), maxTicks: 8)
            step = Int64(t.count > 1 ? t[1] : 1)
            decimals = 0
        }
        let axisMin = zoomed ? (bottom - 1) / step * step : 0
        let axisMax = zoomed ? (top / step + 1) * step : max(axisMin + step, (top + step - 1) / step * step)
        let ticks = Array(stride(from: axisMin, through: axisMax, by: Int(step)))
        func x(_ v: Int64) -> Double { left + plotWidth * Double(v - axisMin) / Double(axisMax - axisMin) }
        func label(_ v: Int64) -> String { time ? Markup.seconds(v, decimals: decimals) : String(v) }

        var o = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"strip\" width=\"\(Markup.num(width))\" height=\"\(Markup.num(height))\" viewBox=\"0 0 \(Markup.num(width)) \(Markup.num(height))\" font-size=\"11\">"
        var grid = "", tickText = ""
        let plotBottom = topMargin + rowHeight * Double(rows.count)
        for t in ticks {
            grid += "M\(Markup.num(x(t))) \(Markup.num(topMargin))V\(Markup.num(plotBottom))"
            tickText += "<text x=\"\(Markup.num(x(t)))\" y=\"\(Markup.num(plotBottom + 14))\">\(label(t))</text>"
        }
        o += "<path d=\"\(grid)\" stroke=\"#e4e4e4\" fill=\"none\"/>"
        o += "<g fill=\"#333333\" text-anchor=\"middle\">\(tickText)<text x=\"\(Markup.num(left + plotWidth / 2))\" y=\"\(Markup.num(height - 3))\">\(time ? "time (s)" : "signaling messages relayed")\(zoomed ? " (the axis starts at \(label(axisMin)), not 0)" : "")</text></g>"
        var labels = ""
        for (i, row) in rows.enumerated() {
            let cy = topMargin + rowHeight * (Double(i) + 0.5)
            let colour = ConvergenceCurve.palette[i % ConvergenceCurve.palette.count]
            let shown = Markup.elideMiddle(row.label, max: Markup.charsThatFit(left - 16))
            labels += "<text x=\"\(Markup.num(left - 8))\" y=\"\(Markup.num(cy + 4))\" text-anchor=\"end\">\(Markup.label(row.label, shown: shown))</text>"
            labels += "<text x=\"\(Markup.num(left + plotWidth + 10))\" y=\"\(Markup.num(cy + 4))\">\(Markup.escape(row.note))</text>"
            guard !row.values.isEmpty else { continue }
            let v = row.values
            func q(_ p: Int) -> Int64 { Compare.percentile(v, p)! }
            // Whiskers and box.
            o += "<path d=\"M\(Markup.num(x(v.first!))) \(Markup.num(cy))H\(Markup.num(x(q(25))))M\(Markup.num(x(q(75)))) \(Markup.num(cy))H\(Markup.num(x(v.last!)))M\(Markup.num(x(v.first!))) \(Markup.num(cy - 5))v10M\(Markup.num(x(v.last!))) \(Markup.num(cy - 5))v10\" stroke=\"#555555\" fill=\"none\"/>"
            o += "<rect x=\"\(Markup.num(x(q(25))))\" y=\"\(Markup.num(cy - 9))\" width=\"\(Markup.num(max(x(q(75)) - x(q(25)), 1)))\" height=\"18\" fill=\"\(colour)\" fill-opacity=\"0.18\" stroke=\"\(colour)\"/>"
            o += "<path d=\"M\(Markup.num(x(q(50)))) \(Markup.num(cy - 11))v22\" stroke=\"\(colour)\" stroke-width=\"2.5\"/>"
            if v.count <= 1000 {
                var d = ""
                for (k, value) in v.enumerated() {
                    let jitter = Double((k * 7) % 13 - 6)
                    d += "M\(Markup.num(x(value))) \(Markup.num(cy + jitter))h0.01"
                }
                o += "<path d=\"\(d)\" stroke=\"\(colour)\" stroke-width=\"4\" stroke-linecap=\"round\" stroke-opacity=\"0.55\" fill=\"none\"/>"
            } else {
                var bins = [Int](repeating: 0, count: 200)
                for value in v { bins[min(199, Int((value - axisMin) * 200 / (axisMax - axisMin)))] += 1 }
                let most = Double(bins.max()!)
                var d = ""
                for (b, n) in bins.enumerated() where n > 0 {
                    let h = 14 * Double(n) / most
                    d += "M\(Markup.num(left + plotWidth * Double(b) / 200)) \(Markup.num(cy + 12))h\(Markup.num(plotWidth / 200))v\(Markup.num(-h))h\(Markup.num(-plotWidth / 200))z"
                }
                o += "<path d=\"\(d)\" fill=\"\(colour)\" fill-opacity=\"0.6\"/>"
            }
        }
        o += "<g fill=\"#333333\">\(labels)</g>"
        o += "</svg>"
        return o
    }
}
