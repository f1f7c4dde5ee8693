/// The peer × peer matrix of the HTML page: one cell per pair (the lower triangle; the relation
/// is symmetric), coloured by when the pair first connected (ten steps from 0 to the latest
/// first connection, with a legend), or by its stuck cause when it is not connected at the end
/// of the run, or grey when the pair is not expected at the end (a peer is gone, offline or
/// never loaded). Attackers are left out (they are not members of the mesh).
///
/// One SVG; a run of neighbouring cells of a row with the same colour is one `rect` (with its
/// tooltip), so a 100-peer join is a few hundred elements, not 4,950. Up to 200 peers, a cell
/// is a pair; beyond, peers are taken in blocks of `ceil(n / 100)` (in the order the scenario
/// names them) and a cell is a block of pairs: the most frequent stuck cause if any pair of
/// the block is stuck, else the latest first connection of its connected pairs, else grey.
struct PeerMatrix {
    enum Cell: Equatable {
        /// Not expected at the end of the run (or the diagonal of a block that holds one peer).
        case none
        /// Connected at the end; `step` 0...9 of the first-connection time.
        case connected(step: Int)
        /// Not connected at the end: index in `causes`.
        case stuck(Int)
    }

    /// Peer names in slot order.
    var names: [String]
    /// Peers per block (1 up to 200 peers).
    var blockSize: Int
    /// `cells[r][c]` for c <= r (c < r when `blockSize` is 1).
    var cells: [[Cell]]
    /// First-connection time range of the connected pairs in each cell, for the tooltips.
    var times: [[(lo: Int64, hi: Int64)?]]
    /// Stuck causes present, most frequent first, with their pair counts.
    var causes: [(cause: StuckCause, pairs: Int)]
    /// The colour scale's top (the latest first connection, rounded up to a tick).
    var timeMax: Int64
    var timeDecimals: Int
    /// "at the end", or "at the stop" for a run stopped early (`--until`, `--max-events`).
    var when = "at the end"

    static let maxSingleCells = 200
    /// Ten steps of viridis, earliest first.
    static let timeColours = ["#440154", "#482878", "#3e4989", "#31688e", "#26828e",
                              "#1f9e89", "#35b779", "#6ece58", "#b5de2b", "#fde725"]
    static let causeColours = ["#d62728", "#ff7f0e", "#e377c2", "#8c564b", "#111111", "#ff9896", "#c49c94", "#f7b6d2"]
    static let noneColour = "#dddddd"

    init(simulation s: Simulation, report: RunReport) {
        if report.stopped != nil { when = "at the stop" }
        let members: [PeerID] = s.peers.ids.filter { !s.peers[$0].isAttacker }
        names = members.map { s.peers[$0].name }
        let slots = members.map(\.raw)  // the oracle's indices
        let n = slots.count
        blockSize = n <= Self.maxSingleCells ? 1 : (n + 99) / 100
        let blocks = (n + blockSize - 1) / blockSize

        // Stuck pairs by the oracle's pair key; causes by frequency, then declaration order.
        var stuckCause: [UInt64: StuckCause] = [:]
        var causeCount: [StuckCause: Int] = [:]
        for p in report.stuck {
            guard let a = s.slotIndex[p.a], let b = s.slotIndex[p.b] else { continue }
            stuckCause[MeshScore.key(a.raw, b.raw)] = p.cause
            causeCount[p.cause, default: 0] += 1
        }
        causes = StuckCause.allCases.filter { causeCount[$0] != nil }.map { ($0, causeCount[$0]!) }
            .enumerated().sorted { l, r in l.element.1 != r.element.1 ? l.element.1 > r.element.1 : l.offset < r.offset }
            .map { (cause: $0.element.0, pairs: $0.element.1) }
        let causeIndex = Dictionary(uniqueKeysWithValues: causes.enumerated().map { ($0.element.cause, $0.offset) })

        // The colour scale: 0 to the latest first connection among pairs connected at the end.
        var latest: Int64 = 0
        for i in 0..<n {
            for j in 0..<i where s.oracle.isConnected(slots[i], slots[j]) {
                latest = max(latest, s.oracle.firstConnected(slots[i], slots[j]) ?? 0)
            }
        }
        let ticks = Markup.timeTicks(upTo: max(latest, 1), maxTicks: 5)
        let step = ticks.ticks.count > 1 ? ticks.ticks[1] : 1
        timeMax = max(1, (latest + step - 1) / step) * step
        timeDecimals = ticks.decimals
        let top = timeMax

        var cells: [[Cell]] = []
        var times: [[(lo: Int64, hi: Int64)?]] = []
        for r in 0..<blocks {
            var row: [Cell] = [], rowTimes: [(lo: Int64, hi: Int64)?] = []
            for c in 0...r {
                if blockSize == 1 && c == r { break }
                var stuckHere: [Int: Int] = [:]
                var lo: Int64 = .max, hi: Int64 = .min
                for i in (r * blockSize)..<min(n, (r + 1) * blockSize) {
                    for j in (c * blockSize)..<min(n, (c + 1) * blockSize) where j < i {
                        let a = slots[i], b = slots[j]
                        if s.oracle.isConnected(a, b) {
                            let t = s.oracle.firstConnected(a, b) ?? 0
                            lo = min(lo, t)
                            hi = max(hi, t)
                        } else if let cause = stuckCause[MeshScore.key(a, b)] {
                            stuckHere[causeIndex[cause]!, default: 0] += 1
                        }
                    }
                }
                if let most = stuckHere.max(by: { $0.value != $1.value ? $0.value < $1.value : $0.key > $1.key }) {
                    row.append(.stuck(most.key))
                } else if hi >= 0 {
                    row.append(.connected(step: min(9, Int(hi * 10 / top))))
                } else {
                    row.append(.none)
                }
                rowTimes.append(hi >= 0 ? (lo, hi) : nil)
            }
            cells.append(row)
            times.append(rowTimes)
        }
        self.cells = cells
        self.times = times
    }

    var blockCount: Int { cells.count }

    /// The peers of block `b`, for labels: a name, or `first–last`.
    func blockName(_ b: Int) -> String {
        let lo = b * blockSize, hi = min(names.count, (b + 1) * blockSize) - 1
        return lo == hi ? names[lo] : "\(names[lo])–\(names[hi])"
    }

    func colour(_ cell: Cell) -> String {
        switch cell {
        case .none: return Self.noneColour
        case .connected(let step): return Self.timeColours[step]
        case .stuck(let i): return Self.causeColours[i % Self.causeColours.count]
        }
    }

    /// The `svg` element.
    var svg: String {
        let b = blockCount
        guard b >= 2 || blockSize > 1 else {
            return "<p class=\"note\">Fewer than two peers: no pairs to draw.</p>"
        }
        let maxLabel = (0..<b).map { oneLine(blockName($0)).count }.max() ?? 4
        let labelWidth = Double(min(maxLabel, 16)) * 6.2 + 8
        let shown = blockSize == 1 ? b - 1 : b  // rows 1..<b (or 0..<b for blocks); columns likewise
        let cell = min(28.0, max(2.0, 560.0 / Double(shown)))
        let size = cell * Double(shown)
        let left = labelWidth, top = 10.0
        let legendX = left + size + 24
        let width = legendX + 230
        // The legend's last line ("not expected at the end") sits below the causes (or "none"):
        // the old formula left it below the picture's edge, cut off.
        let legendBottom = top + 16 + 10 * 14 + 30 + 14 * Double(max(causes.count, 1)) + 17 + 6
        let height = max(top + size + labelWidth + 10, legendBottom)
        // Label every k-th row and column so that labels do not overlap.
        let every = max(1, Int((10.0 / cell).rounded(.up)))
        let firstRow = blockSize == 1 ? 1 : 0

        var o = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"matrix\" width=\"\(Markup.num(width))\" height=\"\(Markup.num(height))\" viewBox=\"0 0 \(Markup.num(width)) \(Markup.num(height))\" font-size=\"10\" shape-rendering=\"crispEdges\">"
        o += "<title>Pairs by first connection or stuck cause</title>"
        for r in firstRow..<b {
            let y = top + Double(r - firstRow) * cell
            var c = 0
            let row = cells[r]
            while c < row.count {
                var e = c
                while e + 1 < row.count && row[e + 1] == row[c] { e += 1 }
                let x = left + Double(c) * cell
                var lo: Int64 = .max, hi: Int64 = .min
                for k in c...e { if let t = times[r][k] { lo = min(lo, t.lo); hi = max(hi, t.hi) } }
                let who = "\(blockName(r)) × " + (c == e ? blockName(c) : "\(blockName(c)) … \(blockName(e))")
                let what: String
                switch row[c] {
                case .none: what = "not expected \(when) (a peer is gone, offline or never loaded)"
                case .connected:
                    what = "first connected " + (lo == hi ? "at \(formatSeconds(lo))" : "\(formatSeconds(lo))–\(formatSeconds(hi))")
                case .stuck(let i): what = "not connected \(when): \(causes[i].cause.rawValue)"
                }
                o += "<rect x=\"\(Markup.num(x))\" y=\"\(Markup.num(y))\" width=\"\(Markup.num(Double(e - c + 1) * cell))\" height=\"\(Markup.num(cell))\" fill=\"\(colour(row[c]))\"><title>\(Markup.escape(who + ": " + what))</title></rect>"
                c = e + 1
            }
        }
        // Labels: rows on the left, columns below (rotated).
        var labels = ""
        for r in stride(from: firstRow, to: b, by: every) {
            let y = top + Double(r - firstRow) * cell + cell / 2 + 3.5
            labels += "<text x=\"\(Markup.num(left - 4))\" y=\"\(Markup.num(y))\" text-anchor=\"end\">\(short(blockName(r)))</text>"
        }
        for c in stride(from: 0, to: shown, by: every) {
            let x = left + Double(c) * cell + cell / 2 + 3.5
            let y = top + size + 4
            labels += "<text transform=\"translate(\(Markup.num(x)) \(Markup.num(y))) rotate(-90)\" text-anchor=\"end\">\(short(blockName(c)))</text>"
        }
        o += "<g fill=\"#333333\">\(labels)</g>"

        // Legend: the time scale, then the causes, then grey.
        var legend = "<text x=\"\(Markup.num(legendX))\" y=\"\(Markup.num(top + 8))\" font-weight=\"bold\">first connected (s)</text>"
        let swatch = 14.0
        for (i, colour) in Self.timeColours.enumerated() {
            legend += "<rect x=\"\(Markup.num(legendX))\" y=\"\(Markup.num(top + 16 + Double(i) * swatch))\" width=\"16\" height=\"\(Markup.num(swatch))\" fill=\"\(colour)\"/>"
        }
        for i in 0...10 where i % 2 == 0 {
            let t = timeMax * Int64(i) / 10
            legend += "<text x=\"\(Markup.num(legendX + 22))\" y=\"\(Markup.num(top + 16 + Double(i) * swatch + 3.5))\">\(Markup.seconds(t, decimals: min(9, timeDecimals + 1)))</text>"
        }
        var ly = top + 16 + 10 * swatch + 22
        legend += "<text x=\"\(Markup.num(legendX))\" y=\"\(Markup.num(ly))\" font-weight=\"bold\">not connected \(when)</text>"
        ly += 8
        for (i, c) in causes.enumerated() {
            legend += "<rect x=\"\(Markup.num(legendX))\" y=\"\(Markup.num(ly))\" width=\"16\" height=\"11\" fill=\"\(Self.causeColours[i % Self.causeColours.count])\"/>"
            legend += "<text x=\"\(Markup.num(legendX + 22))\" y=\"\(Markup.num(ly + 9))\">\(c.cause.rawValue) (\(counted(c.pairs, "pair")))</text>"
            ly += 14
        }
        if causes.isEmpty {
            legend += "<text x=\"\(Markup.num(legendX))\" y=\"\(Markup.num(ly + 9))\" fill=\"#555555\">none</text>"
            ly += 14
        }
        legend += "<rect x=\"\(Markup.num(legendX))\" y=\"\(Markup.num(ly + 6))\" width=\"16\" height=\"11\" fill=\"\(Self.noneColour)\"/>"
        legend += "<text x=\"\(Markup.num(legendX + 22))\" y=\"\(Markup.num(ly + 15))\">not expected \(when)</text>"
        o += "<g fill=\"#333333\">\(legend)</g>"
        o += "</svg>"
        return o
    }

    /// A row or column label: peers of a group share their start, so a long name keeps its
    /// end (`averyve…long_07`), with the whole name as a tooltip.
    private func short(_ s: String) -> String {
        Markup.label(s, shown: Markup.elideMiddle(s, max: 16))
    }
}
