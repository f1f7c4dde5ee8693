/// The per-peer timelines of the HTML page: one row per peer name: a light bar while a page of
/// the peer is loaded (a reload is a gap), a dark line along its top while the page's WebSocket
/// is open, a green area as high as the number of the page's RTCPeerConnections that are
/// `connected` (the row's height is n − 1), and a red overlay while its host is offline; a grey
/// band across every row while the signaling server is down; the scenario's events as dashed
/// lines. The time axis ends a quarter past the last change drawn (on a tick), not at the run's
/// end, when that comes much later: the rows are flat after it, and the axis says so.
///
/// Compact on purpose: each kind of mark is one `path` for all rows, so the DOM holds a few
/// elements plus a label per row. At most 200 rows: beyond that, every peer with something
/// beyond its join (a reload, a WebSocket close, an outage), then peers evenly spread over the
/// scenario's order fill them, shown in that order; the page says how many are left out.
struct PageTimelines {
    var rows: [PageTimelineObserver.Row]
    /// Peers not drawn (more than `maxRows`).
    var omitted: Int
    var serverDown: [PageTimelineObserver.Interval]
    var markers: [ConvergenceCurve.Marker]
    var end: Int64
    /// The top of the connected-count scale: n − 1 for n peers.
    var countMax: Int

    static let maxRows = 200

    init(observer: PageTimelineObserver, simulation s: Simulation) {
        // Slot order (the scenario's), attackers included: their pages show when they tried.
        var all: [PageTimelineObserver.Row] = s.peers.map(\.name).map { observer.row(named: $0) ?? PageTimelineObserver.Row(name: $0) }
        if all.count > Self.maxRows {
            var keep = [Bool](repeating: false, count: all.count)
            var kept = 0
            for (i, r) in all.enumerated() where r.eventful && kept < Self.maxRows { keep[i] = true; kept += 1 }
            // The rest evenly spread over the scenario's order (not only its first peers).
            let quiet = all.indices.filter { !keep[$0] }
            let room = Self.maxRows - kept
            for k in 0..<min(room, quiet.count) { keep[quiet[k * quiet.count / room]] = true; kept += 1 }
            omitted = all.count - kept
            all = all.indices.filter { keep[$0] }.map { all[$0] }
        } else {
            omitted = 0
        }
        rows = all
        serverDown = observer.serverDown
        end = max(observer.endedAt, 1)
        markers = ConvergenceCurve.markers(s.scenario, until: observer.endedAt)
        countMax = max(1, s.peers.filter { !$0.isAttacker }.count - 1)
    }

    static let left = ConvergenceCurve.left, right = ConvergenceCurve.right
    static var plotWidth: Double { ConvergenceCurve.plotWidth }

    /// The last moment anything drawn here changes (a page, a WebSocket, an outage, a count,
    /// the server, a scenario event).
    var lastChange: Int64 {
        var t: Int64 = 0
        func see(_ intervals: [PageTimelineObserver.Interval]) {
            for iv in intervals { t = max(t, iv.end ?? iv.start) }
        }
        for r in rows {
            see(r.pages)
            see(r.webSocket)
            see(r.offline)
            t = max(t, r.connected.last?.time ?? 0)
        }
        see(serverDown)
        for m in markers { t = max(t, m.end) }
        return t
    }

    /// The time axis: from 0 to a quarter past the last change, on a tick (the whole run when
    /// that is most of it): the rows are flat after it, and the page says so.
    var window: Int64 {
        let last = lastChange
        let reach = last + last / 4
        guard last > 0, reach * 10 < end * 8 else { return end }
        let ticks = Markup.timeTicks(upTo: reach, maxTicks: 8)
        let step = ticks.ticks.count > 1 ? ticks.ticks[1] : 1
        return min(end, (reach + step - 1) / step * step)
    }

    var svg: String {
        let window = self.window
        func x(_ t: Int64) -> Double { Self.left + Self.plotWidth * Double(min(t, window)) / Double(window) }
        let rowHeight = rows.count > 40 ? 10.0 : 16.0
        let top = 22.0
        let plotHeight = rowHeight * Double(rows.count)
        let width = ConvergenceCurve.width
        let height = top + plotHeight + 30
        let l = Self.left, pw = Self.plotWidth
        var o = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"timelines\" width=\"\(Markup.num(width))\" height=\"\(Markup.num(height))\" viewBox=\"0 0 \(Markup.num(width)) \(Markup.num(height))\" font-size=\"\(rowHeight > 10 ? 10 : 8)\">"
        o += "<title>Pages, WebSockets, outages and connected peer connections per peer</title>"

        func bar(_ intervals: [PageTimelineObserver.Interval], y: Double, h: Double) -> String {
            var d = ""
            for iv in intervals where iv.start <= window {
                let x0 = x(iv.start), x1 = x(iv.end ?? end)
                d += "M\(Markup.num(x0)) \(Markup.num(y))h\(Markup.num(max(x1 - x0, 0.5)))v\(Markup.num(h))h\(Markup.num(-max(x1 - x0, 0.5)))z"
            }
            return d
        }
        var pages = "", sockets = "", offline = "", counts = "", labels = ""
        for (i, r) in rows.enumerated() {
            let y = top + Double(i) * rowHeight
            pages += bar(r.pages, y: y + 1, h: rowHeight - 2)
            sockets += bar(r.webSocket, y: y + 1, h: 2)
            offline += bar(r.offline, y: y, h: rowHeight)
            if !r.connected.isEmpty {
                // A filled step area from the row's bottom: full height is n − 1 connections.
                let base = y + rowHeight - 1, span = rowHeight - 4
                counts += Markup.stepPath(r.connected.filter { $0.time <= window }.map { ($0.time, $0.value) }, end: window, x: x,
                                          y: { base - span * Double($0) / Double(countMax) }, maxVertices: 400).d
                counts += "V\(Markup.num(base))z"
            }
            // Elided in the middle: peers of a group differ at the end of their names.
            let name = Markup.label(r.name, shown: Markup.elideMiddle(r.name, max: 10))
            labels += "<text x=\"\(Markup.num(l - 4))\" y=\"\(Markup.num(y + rowHeight - (rowHeight > 10 ? 4 : 2)))\">\(name)</text>"
        }
        if !serverDown.isEmpty { o += "<path d=\"\(bar(serverDown, y: top, h: plotHeight))\" fill=\"#bbbbbb\" fill-opacity=\"0.6\"/>" }
        if !pages.isEmpty { o += "<path d=\"\(pages)\" fill=\"#d6e4f2\"/>" }
        if !counts.isEmpty { o += "<path d=\"\(counts)\" fill=\"#4f9d69\"/>" }
        if !sockets.isEmpty { o += "<path d=\"\(sockets)\" fill=\"#1d4f80\"/>" }
        if !offline.isEmpty { o += "<path d=\"\(offline)\" fill=\"#d62728\" fill-opacity=\"0.45\"/>" }
        o += "<g fill=\"#333333\" text-anchor=\"end\">\(labels)</g>"

        // Time axis and the scenario's events.
        let time = Markup.timeTicks(upTo: window)
        var grid = "", ticks = ""
        for t in time.ticks {
            let gx = Markup.num(x(t))
            grid += "M\(gx) \(Markup.num(top))V\(Markup.num(top + plotHeight))"
            ticks += "<text x=\"\(gx)\" y=\"\(Markup.num(top + plotHeight + 12))\">\(Markup.seconds(t, decimals: time.decimals))</text>"
        }
        o += "<path d=\"\(grid)\" stroke=\"#000000\" stroke-opacity=\"0.15\" fill=\"none\"/>"
        let shown = markers.filter { $0.at <= window }
        if !shown.isEmpty {
            let d = shown.map { "M\(Markup.num(x($0.at))) \(Markup.num(top))V\(Markup.num(top + plotHeight))" }.joined()
            o += "<path d=\"\(d)\" stroke=\"#b05a00\" stroke-width=\"1.2\" stroke-dasharray=\"3 2\" fill=\"none\"/>"
        }
        let axis = window < end
            ? "time (s); nothing here changes after \(formatSeconds(lastChange)), the run ends at \(formatSeconds(end))"
            : "time (s)"
        o += "<g fill=\"#333333\" text-anchor=\"middle\" font-size=\"10\">\(ticks)<text x=\"\(Markup.num(l + pw / 2))\" y=\"\(Markup.num(height - 3))\">\(axis)</text></g>"

        // Legend, above the rows.
        var lx = l
        var legend = ""
        func item(_ fill: String, _ extra: String, _ text: String, height h: Double = 10) {
            legend += "<rect x=\"\(Markup.num(lx))\" y=\"\(Markup.num(15 - h))\" width=\"16\" height=\"\(Markup.num(h))\" fill=\"\(fill)\"\(extra)/>"
            legend += "<text x=\"\(Markup.num(lx + 20))\" y=\"14\">\(text)</text>"
            lx += 32 + Double(text.count) * 5.4
        }
        item("#d6e4f2", "", "page loaded")
        item("#1d4f80", "", "WebSocket open", height: 3)
        item("#4f9d69", "", "connected peer connections (full height: \(countMax))")
        item("#d62728", " fill-opacity=\"0.45\"", "host offline")
        if !serverDown.isEmpty { item("#bbbbbb", "", "server down") }
        if !shown.isEmpty {
            legend += "<path d=\"M\(Markup.num(lx + 8)) 4v11\" stroke=\"#b05a00\" stroke-width=\"1.2\" stroke-dasharray=\"3 2\"/><text x=\"\(Markup.num(lx + 14))\" y=\"14\">scenario event</text>"
        }
        o += "<g fill=\"#333333\" font-size=\"10\">\(legend)</g>"
        o += "</svg>"
        return o
    }
}
