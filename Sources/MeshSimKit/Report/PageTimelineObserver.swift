/// Records, per peer name, what the HTML page's timelines draw: when each page was loaded and
/// unloaded, when its WebSocket was open, when its host was offline, and how many of its page's
/// RTCPeerConnections were `connected` (W3C connectionState) over time; and when the signaling
/// server was down. Built from observations only (page, ws, host, server, connectionState).
final class PageTimelineObserver: RunObserver {
    struct Interval {
        var start: Int64
        /// nil while it lasts (at the end: until the run's end).
        var end: Int64?
    }

    struct Row {
        var name: String
        var pages: [Interval] = []
        var webSocket: [Interval] = []
        var offline: [Interval] = []
        /// Connected RTCPeerConnections of the peer's live page: (time, count), one point per
        /// instant at which it changed.
        var connected: [(time: Int64, value: Int)] = []
        var count = 0
        /// Pages loaded, WebSocket closes and outages: more than a join is "eventful".
        var eventful: Bool { pages.count > 1 || webSocket.count > 1 || !offline.isEmpty || pages.first?.end != nil || webSocket.first?.end != nil }

        init(name: String) { self.name = name }

        mutating func setCount(_ n: Int, at time: Int64) {
            count = n
            if let last = connected.last, last.time == time {
                connected[connected.count - 1].value = n
            } else {
                connected.append((time, n))
            }
        }
    }

    /// In the order the peers first appear (first page load or outage).
    private(set) var rows: [Row] = []
    private var rowOf: [String: Int] = [:]
    /// Page index → row.
    private var pageRow: [Int] = []
    /// Connection index → its page and whether it is `connected` now.
    private var connectionPage: [Int32] = []
    private var connectionUp: [Bool] = []
    /// Page index → its connections counted as connected now.
    private var pageUp: [[Int32]] = []
    private(set) var serverDown: [Interval] = []
    private(set) var endedAt: Int64 = 0

    init() {}

    /// Only these kinds: the world builds no observation for the others on its account.
    var kinds: ObservationKinds { ObservationKinds([.page, .ws, .host, .server, .connectionState, .connection]) }

    private func row(_ name: String) -> Int {
        if let r = rowOf[name] { return r }
        rowOf[name] = rows.count
        rows.append(Row(name: name))
        return rows.count - 1
    }

    func row(named name: String) -> Row? {
        rowOf[name].map { rows[$0] }
    }

    func observe(_ o: Observation, at time: Int64) {
        switch o.kind {
        case .page:
            guard let peer = o.peer, let page = o.page.map(Int.init) else { return }
            let r = row(peer)
            if o.value == "load" {
                while pageRow.count <= page { pageRow.append(-1); pageUp.append([]) }
                pageRow[page] = r
                rows[r].pages.append(Interval(start: time))
            } else {
                close(&rows[r].pages, at: time)
                close(&rows[r].webSocket, at: time)
                // The page's connections go with it.
                if page < pageUp.count {
                    for c in pageUp[page] where connectionUp[Int(c)] { connectionUp[Int(c)] = false }
                    pageUp[page] = []
                }
                rows[r].setCount(0, at: time)
            }
        case .ws:
            guard let page = o.page.map(Int.init), page < pageRow.count, pageRow[page] >= 0 else { return }
            let r = pageRow[page]
            if o.value == "open" {
                rows[r].webSocket.append(Interval(start: time))
            } else {
                close(&rows[r].webSocket, at: time)
            }
        case .host:
            guard let peer = o.peer else { return }
            let r = row(peer)
            if o.value == "offline" {
                if rows[r].offline.last.map({ $0.end != nil }) ?? true { rows[r].offline.append(Interval(start: time)) }
            } else {
                close(&rows[r].offline, at: time)
            }
        case .server:
            if o.value == "down" { serverDown.append(Interval(start: time)) } else { close(&serverDown, at: time) }
        case .connectionState, .connection:
            // `connection closed`: the page closed it (`pc.close()` fires no state event), so it
            // is no longer connected; a connection created is not yet.
            guard let c = o.connection.map(Int.init), let page = o.page.map(Int.init),
                  page < pageRow.count, pageRow[page] >= 0 else { return }
            if o.kind == .connection && o.value != "closed" { return }
            while connectionPage.count <= c { connectionPage.append(-1); connectionUp.append(false) }
            connectionPage[c] = Int32(page)
            let up = o.kind == .connectionState && o.value == "connected"
            guard up != connectionUp[c] else { return }
            connectionUp[c] = up
            let r = pageRow[page]
            if up { pageUp[page].append(Int32(c)) }
            rows[r].setCount(rows[r].count + (up ? 1 : -1), at: time)
        default:
            return
        }
    }

    func runEnded(at time: Int64) {
        endedAt = time
    }

    private func close(_ intervals: inout [Interval], at time: Int64) {
        guard let last = intervals.last, last.end == nil else { return }
        intervals[intervals.count - 1].end = time
    }
}
