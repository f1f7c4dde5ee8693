import SignalProtocol

/// A scenario as `fuzz` draws and shrinks it: the file's own structure (groups stay groups,
/// an absent field is nil and means the default), so that a shrink step is a small edit of
/// this value and the written file reads like one a person wrote.
///
/// It becomes a `Scenario` only through the file: `json` is the scenario file, and
/// `load()` passes its bytes to `ScenarioLoader`, so a fuzz run and `MeshSim scenario` on the
/// written file run exactly the same scenario (a candidate the loader refuses is skipped).
///
/// The end of every fuzz scenario is "unclog, then check" (FoundationDB's simulation): a
/// `network` event at the end of the last disruption removes loss and restores what the
/// events turned off, and a quiet phase of `quiet` follows, long enough for ICE's timeouts
/// and the policy's timers to have settled every pair that can settle (`quiet(for:)`).
struct FuzzScenario: Equatable, Sendable {
    /// One entry of `peers`: one peer (count nil) or a group.
    struct PeerEntry: Equatable, Sendable {
        /// The peer's id, or the group's idPrefix.
        var id: String
        /// A group of this many (members `id1`…, zero-padded), or one peer.
        var count: Int?
        var join: SimDuration = 0
        /// A group's join interval.
        var every: SimDuration = 0
        var nat: NATSpec?
        var lan: String?
        var latency: SimDuration?
        var udp: Bool = true
        var machine: String?

        /// The ids this entry defines.
        var memberIDs: [String] {
            guard let count else { return [id] }
            let width = String(count).count
            return (1...max(1, count)).map { i in
                let n = String(i)
                return id + String(repeating: "0", count: width - n.count) + n
            }
        }
    }

    /// A named machine (`machines`).
    struct MachineEntry: Equatable, Sendable {
        var name: String
        var cores: Int
        var speed: Double
    }

    /// Network fields (top level, or a `network` event's changes); nil: not written.
    struct NetworkFields: Equatable, Sendable {
        var latency: SimDuration?
        var jitter: SimDuration?
        var loss: Double?
        var stun: Bool?
        var turn: Bool?
        var serverLatency: SimDuration?

        var isEmpty: Bool { self == NetworkFields() }
    }

    struct Event: Equatable, Sendable {
        var at: SimDuration
        var action: ScenarioAction
        /// A `join` event's peer fields (its id is in `action`).
        var joinEntry: PeerEntry?
        var network: NetworkFields?
    }

    var name: String
    var description: String?
    var seed: UInt64
    /// The scenario's `policy`: a built-in's name, or the whole object of a policy file.
    var policy: JSONValue
    var network = NetworkFields()
    var machines: [MachineEntry] = []
    var peers: [PeerEntry]
    /// Every event but the closing `network` event that heals the network (`healEvent`).
    var events: [Event]
    /// How long the run goes on after the last disruption has ended (`quiet(for:)`).
    var quiet: SimDuration = Self.quietMinute

    /// The quiet phase of a run under any built-in policy.
    static let quietMinute: SimDuration = 60 * nsPerSecond
    /// The longest policy timer `fuzz` takes (its runs would be over an hour long otherwise).
    static let longestTimerAllowed: SimDuration = 3600 * nsPerSecond

    /// The longest wait a policy's own timers can make: the re-dial backoff's cap stretched by
    /// its jitter (no wait is longer, `RedialRule.delay`), and the ICE-restart grace after
    /// `disconnected`.
    static func longestTimer(of policy: any MeshPolicy) -> SimDuration {
        var longest: SimDuration = 0
        if let r = policy.redial {
            let stretched = Double(max(0, r.cap)) * (1 + max(0, min(1, r.jitter)))
            longest = max(longest, stretched >= Double(SimDuration.max) ? .max : SimDuration(stretched.rounded(.up)))
        }
        if let grace = policy.iceRestartAfterDisconnected { longest = max(longest, grace) }
        return longest
    }

    /// The quiet phase under `policy`: a minute covers ICE's timeouts (a dead pair is pruned
    /// after 30 s), a timer of up to 10 s and 20 s for what the timer starts. A policy file
    /// whose timer T is longer gets T + 50 s, so a re-dial still pending is not judged a
    /// failure (QA: a 70 s re-dial cap made false `partitionFailed` holes). Every built-in
    /// policy's longest timer is at most 9.6 s, so its runs keep the minute.
    static func quiet(for policy: any MeshPolicy) -> SimDuration {
        let longest = longestTimer(of: policy)
        return longest > 10 * nsPerSecond ? longest + 50 * nsPerSecond : quietMinute
    }
    /// Pairs that must be connected at the end (`expect.connected`): a shrunk failure's stuck
    /// pairs, so that replaying the file fails. Empty: `expect` is `{}` (a drawn run is judged
    /// by `FuzzFailure`, not by expectations).
    var expectConnected: [PeerPair] = []

    /// When the last disruption is over: the latest end of an event (a reload's page loads, a
    /// host comes back online, a partition heals, a WebSocket reconnects, the server is back)
    /// and the last join.
    var lastDisruptionEnd: SimDuration {
        var end: SimDuration = 0
        for p in peers { end = max(end, p.join + p.every * SimDuration(max(0, (p.count ?? 1) - 1))) }
        for e in events {
            switch e.action {
            case .refresh(_, let d, _): end = max(end, e.at + d)
            case .wsDrop(_, let d): end = max(end, e.at + d)
            case .offline(_, let d): end = max(end, e.at + d)
            case .partition(_, _, let d): end = max(end, e.at + d)
            case .serverRestart(let d): end = max(end, e.at + d)
            default: end = max(end, e.at)
            }
        }
        return end
    }

    /// The network as it stands after every `network` event: what the heal must restore.
    private func networkAtEnd() -> NetworkFields {
        var n = network
        for e in events {
            guard let f = e.network else { continue }
            if let v = f.latency { n.latency = v }
            if let v = f.jitter { n.jitter = v }
            if let v = f.loss { n.loss = v }
            if let v = f.stun { n.stun = v }
            if let v = f.turn { n.turn = v }
            if let v = f.serverLatency { n.serverLatency = v }
        }
        return n
    }

    /// The closing `network` event: loss back to 0, and STUN, TURN and the latencies back to
    /// the file's top-level values; nil when nothing needs healing.
    var healEvent: NetworkFields? {
        let end = networkAtEnd()
        var heal = NetworkFields()
        if (end.loss ?? 0) > 0 { heal.loss = 0 }
        if (end.stun ?? true) != (network.stun ?? true) { heal.stun = network.stun ?? true }
        if (end.turn ?? false) != (network.turn ?? false) { heal.turn = network.turn ?? false }
        if (end.latency ?? 20 * nsPerMs) != (network.latency ?? 20 * nsPerMs) { heal.latency = network.latency ?? 20 * nsPerMs }
        if (end.jitter ?? 0) != (network.jitter ?? 0) { heal.jitter = network.jitter ?? 0 }
        if (end.serverLatency ?? 10 * nsPerMs) != (network.serverLatency ?? 10 * nsPerMs) {
            heal.serverLatency = network.serverLatency ?? 10 * nsPerMs
        }
        return heal.isEmpty ? nil : heal
    }

    var duration: SimDuration { lastDisruptionEnd + quiet }

    // MARK: - The file

    /// The scenario file, pretty-printed (`FuzzJSON`), ending in a newline.
    var fileText: String { FuzzJSON.pretty(json) + "\n" }

    var json: JSONValue {
        var o = JSONObject()
        o.entries.append(("name", .string(name)))
        if let description { o.entries.append(("description", .string(description))) }
        o.entries.append(("seed", .number(JSONNumber(seed))))
        o.entries.append(("duration", .string(DurationText.format(duration))))
        o.entries.append(("policy", policy))
        let net = Self.networkJSON(network)
        if !net.isEmpty { o.entries.append(("network", .object(net))) }
        if !machines.isEmpty {
            var m = JSONObject()
            for machine in machines {
                m.entries.append((machine.name, ["cores": .number(JSONNumber(machine.cores)),
                                                 "speed": .number(JSONNumber(text: Self.decimal(machine.speed))!)]))
            }
            o.entries.append(("machines", .object(m)))
        }
        o.entries.append(("peers", .array(peers.map { .object(Self.peerJSON($0, isEvent: false)) })))
        var events = self.events.map(Self.eventJSON)
        if let heal = healEvent {
            var e = JSONObject([("at", .string(DurationText.format(lastDisruptionEnd))), ("do", "network")])
            e.entries += Self.networkJSON(heal).entries
            events.append(.object(e))
        }
        if !events.isEmpty { o.entries.append(("events", .array(events))) }
        var expect = JSONObject()
        if !expectConnected.isEmpty {
            expect.entries.append(("connected", .array(expectConnected.map { [.string($0.a), .string($0.b)] })))
        }
        o.entries.append(("expect", .object(expect)))
        return .object(o)
    }

    /// The scenario the file describes, as `MeshSim scenario FILE` would load it; the loader's
    /// problems when it refuses it.
    func load(file: String = "fuzz.json") -> Result<Scenario, ScenarioErrors> {
        do {
            return .success(try ScenarioLoader.load(bytes: Array(fileText.utf8), file: file))
        } catch {
            return .failure(error)
        }
    }

    /// A probability or speed as the shortest decimal that reads back the same (a few digits).
    static func decimal(_ v: Double) -> String {
        if v == v.rounded() && abs(v) < 1e15 { return String(Int64(v)) }
        return String(v)
    }

    static func networkJSON(_ n: NetworkFields) -> JSONObject {
        var o = JSONObject()
        if let v = n.latency { o.entries.append(("latency", .string(DurationText.format(v)))) }
        if let v = n.jitter { o.entries.append(("jitter", .string(DurationText.format(v)))) }
        if let v = n.loss { o.entries.append(("loss", .number(JSONNumber(text: decimal(v))!))) }
        if let v = n.stun { o.entries.append(("stun", .bool(v))) }
        if let v = n.turn { o.entries.append(("turn", .bool(v))) }
        if let v = n.serverLatency { o.entries.append(("server", ["latency": .string(DurationText.format(v))])) }
        return o
    }

    static func natJSON(_ nat: NATSpec?) -> JSONValue {
        guard let nat else { return "none" }
        if let named = NATSpec.named.first(where: { $0.spec == nat }) { return .string(named.name) }
        return ["mapping": .string(nat.mapping.rawValue), "filtering": .string(nat.filtering.rawValue)]
    }

    static func peerJSON(_ p: PeerEntry, isEvent: Bool) -> JSONObject {
        var o = JSONObject()
        if let count = p.count {
            o.entries.append(("count", .number(JSONNumber(count))))
            o.entries.append(("idPrefix", .string(p.id)))
            o.entries.append(("join", ["start": .string(DurationText.format(p.join)), "every": .string(DurationText.format(p.every))]))
        } else {
            o.entries.append(((isEvent ? "peer" : "id"), .string(p.id)))
            if !isEvent && p.join != 0 { o.entries.append(("join", .string(DurationText.format(p.join)))) }
        }
        if p.nat != nil { o.entries.append(("nat", natJSON(p.nat))) }
        if let v = p.lan { o.entries.append(("lan", .string(v))) }
        if let v = p.latency { o.entries.append(("latency", .string(DurationText.format(v)))) }
        if !p.udp { o.entries.append(("udp", false)) }
        if let v = p.machine { o.entries.append(("machine", .string(v))) }
        return o
    }

    static func eventJSON(_ e: Event) -> JSONValue {
        var o = JSONObject([("at", .string(DurationText.format(e.at))), ("do", .string(e.action.kindName))])
        func add(_ k: String, _ v: JSONValue) { o.entries.append((k, v)) }
        func duration(_ d: SimDuration) -> JSONValue { .string(DurationText.format(d)) }
        switch e.action {
        case .join(let spec):
            let entry = e.joinEntry ?? PeerEntry(id: spec.id)
            o.entries += peerJSON(entry, isEvent: true).entries
        case .refresh(let peer, let downtime, let clean):
            add("peer", .string(peer))
            if downtime != ScenarioAction.defaultRefreshDowntime { add("downtime", duration(downtime)) }
            if !clean { add("clean", false) }
        case .duplicateTab(let peer, let name):
            add("peer", .string(peer))
            add("as", .string(name))
        case .wsDrop(let peer, let after):
            add("peer", .string(peer))
            if after != ScenarioAction.defaultReconnectAfter { add("reconnectAfter", duration(after)) }
        case .leave(let peer), .crash(let peer):
            add("peer", .string(peer))
        case .offline(let peer, let d):
            add("peer", .string(peer))
            add("for", duration(d))
        case .partition(let a, let b, let d):
            add("between", [.string(a), .string(b)])
            add("for", duration(d))
        case .serverRestart(let d):
            if d != ScenarioAction.defaultServerRestartDowntime { add("downtime", duration(d)) }
        case .network:
            o.entries += networkJSON(e.network ?? NetworkFields()).entries
        }
        return .object(o)
    }
}
