import SignalProtocol

/// `traffic` (docs/scenario-format.md, "traffic"): each flow's fields, and what they mean together.
extension ScenarioChecker {
    /// `attackers`: peer id → where its behaviour is given; an attacker has no data channels.
    func checkTraffic(_ list: [JSONValue], _ at: ScenarioPath, runEnd: SimDuration?, known: Set<String>,
                      attackers: [String: String] = [:]) -> [TrafficFlow] {
        var flows: [TrafficFlow] = []
        for (i, e) in list.enumerated() {
            let fat = at.index(i)
            guard let o = object(e, fat) else { continue }
            checkFields(o, ScenarioFormat.flow)
            if let f = checkFlow(o, fat, runEnd: runEnd, known: known, attackers: attackers) { flows.append(f) }
        }
        return flows
    }

    private func checkFlow(_ o: CheckedObject, _ at: ScenarioPath, runEnd: SimDuration?, known: Set<String>,
                           attackers: [String: String]) -> TrafficFlow? {
        var valid = true
        var pattern: TrafficFlow.Pattern?
        if let (v, a) = o.member("pattern"), let s = string(v, a) {
            pattern = TrafficFlow.Pattern(rawValue: s)
            if pattern == nil {
                report(a, "unknown pattern \(scenarioQuote(s)) (expected one of: \(TrafficFlow.Pattern.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
        } else if o.member("pattern") == nil {
            missing(o, "pattern")
        }
        func peer(_ name: String) -> (String, ScenarioPath)? {
            guard let (v, a) = o.member(name), let s = string(v, a) else { return nil }
            let id = resolvePeer(s, at: a)
            if !known.contains(id) {
                if !mayBeUndefinedPeer(id) { report(a, "unknown peer \(scenarioQuote(s))") }
                valid = false
            } else if tabNames.contains(id) {
                // A duplicated tab shares its source's uid and gets a fresh one only when the
                // server refuses it: no flow could address it by this name.
                report(a, "\(scenarioQuote(s)) is a tab that duplicateTab opens (its `as`), which a traffic flow cannot name; name the peer it duplicates")
                valid = false
            } else if let path = attackers[id] {
                // An attacker connects to nobody: the flow would send nothing, silently.
                report(a, "\(scenarioQuote(s)) is an attacker (behaviour at \(path)): attackers connect to nobody, so no data channel reaches one")
                valid = false
            }
            return (id, a)
        }
        let from = peer("from")
        let to = peer("to")
        if let pattern {
            switch pattern {
            case .allToAll:
                if let (_, a) = from { report(a, "pattern allToAll sends from every peer; remove `from`"); valid = false }
                if let (_, a) = to { report(a, "pattern allToAll sends to every peer; remove `to`"); valid = false }
            case .oneToAll:
                if from == nil && o.member("from") == nil { report(o.at, "pattern oneToAll needs `from`, the sender") }
                if let (_, a) = to { report(a, "pattern oneToAll sends to every other peer; remove `to`, or use pattern pair"); valid = false }
            case .pair:
                if from == nil && o.member("from") == nil { report(o.at, "pattern pair needs `from`, the sender") }
                if to == nil && o.member("to") == nil { report(o.at, "pattern pair needs `to`, the receiver") }
                if let (x, _) = from, let (y, a) = to, x == y { report(a, "a peer does not send to itself: `from` and `to` are both \(scenarioQuote(x))"); valid = false }
            }
        }
        var flow = TrafficFlow(pattern: pattern ?? .allToAll, from: from?.0, to: to?.0, path: at.path)
        if let (v, a) = o.member("messageSize") {
            if let n = integer(v, a, 1...16_777_216) { flow.messageSize = Int(n) } else { valid = false }
        }
        if let (v, a) = o.member("rate") {
            if case .number(let n) = v, n.double > 0, n.double <= 1_000 {
                flow.rate = n.double
            } else {
                report(a, "expected a number of messages per second above 0 and at most 1000, got \(v.isNumber ? scenarioLiteral(v) : scenarioTyped(v))")
                valid = false
            }
        }
        if let (v, a) = o.member("totalBytes") {
            if let n = integer(v, a, 1...1_099_511_627_776) { flow.totalBytes = Int(n) } else { valid = false }
        }
        var startAt: ScenarioPath?
        if let (v, a) = o.member("start") {
            if let d = duration(v, a) { flow.start = d; startAt = a } else { valid = false }
        }
        if let (v, a) = o.member("stop") {
            if let d = duration(v, a, positive: true) {
                flow.stop = d
                if d <= flow.start {
                    report(a, "stop (\(DurationText.format(d))) must be after start (\(DurationText.format(flow.start)))")
                    valid = false
                } else if let end = runEnd, d > end {
                    report(a, "stop (\(DurationText.format(d))) is after the end of the run (\(DurationText.format(end)))")
                    valid = false
                }
            } else {
                valid = false
            }
        }
        if let end = runEnd, let a = startAt, flow.start >= end {
            report(a, "start (\(DurationText.format(flow.start))) is not before the end of the run (\(DurationText.format(end)))")
            valid = false
        }
        if let (v, a) = o.member("ordered") {
            if let b = bool(v, a) { flow.ordered = b } else { valid = false }
        }
        if let (v, a) = o.member("maxRetransmits") {
            if let n = integer(v, a, 0...65_535) { flow.maxRetransmits = Int(n) } else { valid = false }
        }
        if let (v, a) = o.member("maxPacketLifeTime") {
            if let d = duration(v, a) {
                // RTCDataChannelInit.maxPacketLifeTime is an unsigned short of milliseconds.
                // WebIDL truncates to whole milliseconds before its range check: 65535.9 ms is 65535.
                if d / nsPerMs > 65_535 {
                    report(a, "expected at most 65.535s (RTCDataChannelInit.maxPacketLifeTime is at most 65535 ms), got \(scenarioLiteral(v))")
                    valid = false
                } else {
                    // Whole milliseconds: WebIDL converts the page's value to an unsigned short
                    // by truncating, so "0.5ms" is 0 in the browser too.
                    flow.maxPacketLifeTime = d / nsPerMs * nsPerMs
                }
                if flow.maxRetransmits != nil {
                    // webrtc-pc createDataChannel: both set is a TypeError.
                    report(a, "a channel has maxRetransmits or maxPacketLifeTime, not both (createDataChannel throws a TypeError)")
                    valid = false
                }
            } else {
                valid = false
            }
        }
        for name in ["audio", "video"] {
            guard let (v, a) = o.member(name) else { continue }
            guard let n = integer(v, a, 0...100_000_000) else { valid = false; continue }
            if name == "audio" { flow.audio = n } else { flow.video = n }
        }
        if flow.isMedia {
            // Tracks are sent continuously; the message fields mean nothing for them.
            for (i, e) in o.object.entries.enumerated() where ["messageSize", "rate", "totalBytes", "ordered", "maxRetransmits", "maxPacketLifeTime"].contains(e.key) {
                report(o.at.key(e.key, at: i), "a media flow (audio, video) sends tracks, not messages; remove `\(e.key)`")
                valid = false
            }
        }
        return valid && pattern != nil ? flow : nil
    }
}
