import SignalProtocol

/// The report's `data` section (scenario `traffic`): per sender → receiver pair and in total,
/// what was sent, delivered and lost (with causes), order, duplicates, latency and goodput.
struct DataReport {
    struct Counts {
        var sent = 0
        var delivered = 0
        var lost = 0
        /// Still travelling when the run ended: neither delivered nor lost.
        var inFlight = 0
        var notSent = 0
        var duplicated = 0
        var outOfOrder = 0
        var bytesDelivered = 0
        /// The delivered messages' latencies, in no particular order, until `finish()`.
        var latencies: [Int64] = []
        /// p50, p99 and maximum of `latencies`, set by `finish()`.
        var latency = LatencyPercentiles()
        var lossCauses: [Int] = Array(repeating: 0, count: TrafficLedger.LossCause.allCases.count)
        var notSentCauses: [Int] = Array(repeating: 0, count: TrafficLedger.NotSentCause.allCases.count)
        /// The sending window its goodput is over: from the earliest `start` of the flows it
        /// counts to their latest `stop` (or the run's end).
        var windowStart = Int64.max, windowStop = Int64.min
        var windowNs: Int64 { windowStop > windowStart ? windowStop - windowStart : 1 }

        mutating func add(_ o: Counts) {
            windowStart = min(windowStart, o.windowStart)
            windowStop = max(windowStop, o.windowStop)
            sent += o.sent; delivered += o.delivered; lost += o.lost; inFlight += o.inFlight; notSent += o.notSent
            duplicated += o.duplicated; outOfOrder += o.outOfOrder; bytesDelivered += o.bytesDelivered
            latencies += o.latencies
            for k in lossCauses.indices { lossCauses[k] += o.lossCauses[k] }
            for k in notSentCauses.indices { notSentCauses[k] += o.notSentCauses[k] }
        }

        /// What a direction of a flow counted itself (duplicates, order, messages never sent).
        mutating func count(_ d: TrafficLedger.Direction) {
            duplicated += d.duplicated
            outOfOrder += d.outOfOrder
            for c in d.notSent.indices { notSentCauses[c] += d.notSent[c] }
            notSent += d.notSent.reduce(0, +)
        }

        /// One message sent of `payload` bytes, and what became of it.
        mutating func count(_ m: TrafficLedger.Message, payload: Int) {
            sent += 1
            switch m.fate {
            case .delivered:
                delivered += 1
                bytesDelivered += payload
                latencies.append(m.time)
            case .lost:
                lost += 1
                if let c = m.cause, let j = TrafficLedger.LossCause.allCases.firstIndex(of: c) { lossCauses[j] += 1 }
            case .inFlight:
                inFlight += 1
            }
        }

        /// The latency figures, once every message is counted.
        mutating func finish() {
            latency = LatencyPercentiles(selectingIn: &latencies)
        }
    }

    var total = Counts()
    var pairs: [(from: String, to: String, counts: Counts)] = []
    /// Per flow, in file order (`traffic[i]`).
    var flows: [(path: String, counts: Counts)] = []
    /// The sending window: from the earliest flow start to the latest stop (or the run's end).
    var windowNs: Int64

    init(simulation s: Simulation) {
        windowNs = 1
        guard let ledger = s.traffic else { return }
        // Message flows only: a media flow sends no message (QA, session 15: its window
        // diluted the total's goodput, and it was a row of zeros).
        let messageFlows = s.scenario.traffic.filter { !$0.isMedia }
        let start = messageFlows.map(\.start).min() ?? 0
        let stop = min(messageFlows.map { $0.stop ?? s.endTime }.max() ?? s.endTime, s.now)
        windowNs = max(1, stop - start)
        // Each message counted once, into its direction; a direction belongs to one pair and
        // one flow, which add its counts up (the latencies' multisets are the same).
        var byDirection = ledger.directions.map { d -> Counts in
            var c = Counts()
            c.count(d)
            let f = s.scenario.traffic[Int(d.flow)]
            c.windowStart = f.start
            c.windowStop = min(f.stop ?? s.endTime, s.now)
            return c
        }
        let payload = ledger.directions.map { ledger.payloadSizes[Int($0.flow)] }
        for m in ledger.messages {
            let d = Int(m.direction)
            byDirection[d].count(m, payload: payload[d])
        }
        var pairIndex: [String: Int] = [:]  // lookup only: `pairs` keeps first-seen order
        var flowRow = [Int](repeating: -1, count: s.scenario.traffic.count)
        for (i, f) in s.scenario.traffic.enumerated() where !f.isMedia {
            var c = Counts()
            c.windowStart = f.start
            c.windowStop = min(f.stop ?? s.endTime, s.now)
            flowRow[i] = flows.count
            flows.append((f.path, c))
        }
        for (d, direction) in ledger.directions.enumerated() {
            let key = direction.senderName + "\u{0}" + direction.receiver
            let k = pairIndex[key] ?? {
                pairs.append((direction.senderName, direction.receiver, Counts()))
                pairIndex[key] = pairs.count - 1
                return pairs.count - 1
            }()
            pairs[k].counts.add(byDirection[d])
            flows[flowRow[Int(direction.flow)]].counts.add(byDirection[d])
            byDirection[d] = Counts()
        }
        for k in pairs.indices {
            pairs[k].counts.finish()
            total.add(pairs[k].counts)
            pairs[k].counts.latencies = []
        }
        for k in flows.indices {
            flows[k].counts.finish()
            flows[k].counts.latencies = []
        }
        total.finish()
        total.latencies = []
        total.windowStart = start
        total.windowStop = stop
    }

    var maxLatency: Int64? { total.latency.max }

    private func countsJSON(_ c: Counts) -> JSONObject {
        func millis(_ ns: Int64?) -> JSONValue { ns.map { .number(JSONNumber(text: formatMillis($0))!) } ?? .null }
        // Each row over its own flows' window: a 2 s flow's goodput was divided by the whole
        // run's window.
        let goodput = Double(c.bytesDelivered) * 8 / (Double(c.windowNs) / 1e9)
        let value: JSONValue = [
            "sent": .number(JSONNumber(c.sent)),
            "delivered": .number(JSONNumber(c.delivered)),
            "lost": .number(JSONNumber(c.lost)),
            "inFlight": .number(JSONNumber(c.inFlight)),
            "notSent": .number(JSONNumber(c.notSent)),
            "duplicated": .number(JSONNumber(c.duplicated)),
            "outOfOrder": .number(JSONNumber(c.outOfOrder)),
            "bytesDelivered": .number(JSONNumber(c.bytesDelivered)),
            "latencyP50Ms": millis(c.latency.p50),
            "latencyP99Ms": millis(c.latency.p99),
            "latencyMaxMs": millis(c.latency.max),
            "goodputBitsPerSecond": .number(JSONNumber(Int64(goodput.rounded()))),
            "lossCauses": .array(zip(TrafficLedger.LossCause.allCases, c.lossCauses).filter { $0.1 > 0 }.map {
                ["cause": .string($0.0.rawValue), "count": .number(JSONNumber($0.1))]
            }),
            "notSentCauses": .array(zip(TrafficLedger.NotSentCause.allCases, c.notSentCauses).filter { $0.1 > 0 }.map {
                ["cause": .string($0.0.rawValue), "count": .number(JSONNumber($0.1))]
            }),
        ]
        guard case .object(let o) = value else { preconditionFailure("a dictionary literal is an object") }
        return o
    }

    var json: JSONValue {
        var o = countsJSON(total)
        o.entries.append((key: "flows", value: .array(flows.map { f in
            var e = countsJSON(f.counts)
            e.entries.insert((key: "flow", value: .string(f.path)), at: 0)
            return .object(e)
        })))
        o.entries.append((key: "pairs", value: .array(pairs.map { p in
            var e = countsJSON(p.counts)
            e.entries.insert((key: "to", value: .string(p.to)), at: 0)
            e.entries.insert((key: "from", value: .string(p.from)), at: 0)
            return .object(e)
        })))
        return .object(o)
    }

    /// The text report's lines.
    var textLines: [String] {
        let c = total
        let judged = c.delivered + c.lost
        // With messages in flight the share is of those delivered or lost, and says so (QA,
        // session 15: printed after "sent", it read as a share of everything sent).
        let share = judged == 0 ? "" : formatPercent(Double(c.delivered) / Double(judged))
        let pct = judged == 0 ? "" : c.inFlight > 0 ? " (\(share) of the \(judged) delivered or lost)" : " (\(share))"
        var line = "  data: \(counted(c.sent, "message")) sent, \(c.delivered) delivered\(pct), \(c.lost) lost"
        if c.inFlight > 0 { line += ", \(c.inFlight) in flight at the end" }
        if c.notSent > 0 { line += "; \(c.notSent) not sent" }
        if let p50 = c.latency.p50, let p99 = c.latency.p99 {
            line += "; latency p50 \(formatSeconds(p50)), p99 \(formatSeconds(p99))"
        }
        let goodput = Double(c.bytesDelivered) * 8 / (Double(windowNs) / 1e9)
        line += "; goodput \(formatBitRate(goodput))"
        var lines = [line]
        let causes = zip(TrafficLedger.LossCause.allCases, c.lossCauses).filter { $0.1 > 0 }
        if !causes.isEmpty {
            lines.append("    lost: " + causes.map { "\($0.1) \($0.0.rawValue)" }.joined(separator: "; "))
        }
        if c.outOfOrder > 0 || c.duplicated > 0 {
            lines.append("    \(c.outOfOrder) out of order, \(c.duplicated) duplicated")
        }
        return lines
    }
}

/// An actual share and its limit, with digits enough that two different values do not read
/// the same (QA, session 15: "58.7 %; at least 58.7 % expected" was a failure).
func formatPercents(_ x: Double, _ y: Double) -> (String, String) {
    var a = formatPercent(x), b = formatPercent(y)
    var scale = 1000.0
    while a == b && x != y && scale < 1e12 {
        scale *= 10
        a = formatPercent(x, scale: scale)
        b = formatPercent(y, scale: scale)
    }
    return (a, b)
}

/// `x` as a percentage rounded to 1 / `scale` of the whole (1000: one decimal).
private func formatPercent(_ x: Double, scale: Double) -> String {
    let v = (x * scale).rounded() / (scale / 100)
    return (v == v.rounded() ? String(Int(v)) : String(v)) + " %"
}

func formatPercent(_ x: Double) -> String {
    var v = (x * 1000).rounded() / 10
    // Never round a shortfall up to 100 % (or a share up from 0 %): "4 lost (100 %)" read as a
    // contradiction. More digits until the difference shows.
    var scale = 1000.0
    while (v == 100 && x != 1 || v == 0 && x != 0) && scale < 1e12 {
        scale *= 10
        v = (x * scale).rounded() / (scale / 100)
    }
    return (v == v.rounded() ? String(Int(v)) : String(v)) + " %"
}

func formatBitRate(_ bps: Double) -> String {
    if bps >= 1e6 { return String(Double(Int((bps / 1e4).rounded())) / 100) + " Mbit/s" }
    if bps >= 1e3 { return String(Double(Int((bps / 10).rounded())) / 100) + " kbit/s" }
    return String(Int(bps.rounded())) + " bit/s"
}
