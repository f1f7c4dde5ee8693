/// Reduces a failing fuzz scenario to a smallest one that still fails the same way (delta
/// debugging, Zeller and Hildebrandt 2002, applied greedily to the scenario's parts).
///
/// Passes, repeated until none makes progress or the budget of test runs is spent:
/// 1. drop events, in halves, quarters, ... down to one at a time (ddmin's complements);
/// 2. split groups into their members (the same peers, each now on its own);
/// 3. drop peers, with every event that names them (or a tab duplicated from them);
/// 4. move fields toward their defaults: NATs, LANs, latencies, `udp`, machines, join times,
///    network settings, events' durations and `clean`.
///
/// A candidate is kept only when `stillFails` says it fails the same way; a candidate the
/// loader refuses (an event left naming a peer that no longer exists) fails `stillFails` too.
/// Deterministic: the same scenario and predicate give the same result.
struct Shrinker {
    /// Does the candidate still fail the same way?
    var stillFails: (FuzzScenario) -> Bool
    /// At most this many candidates are tried.
    var budget = 400
    private(set) var tried = 0
    private(set) var kept = 0

    init(budget: Int = 400, stillFails: @escaping (FuzzScenario) -> Bool) {
        self.budget = budget
        self.stillFails = stillFails
    }

    mutating func shrink(_ start: FuzzScenario) -> FuzzScenario {
        var s = start
        var progress = true
        while progress && tried < budget {
            progress = false
            if dropEvents(&s) { progress = true }
            if splitGroups(&s) { progress = true }
            if dropPeers(&s) { progress = true }
            if simplifyFields(&s) { progress = true }
        }
        return s
    }

    /// Tries `candidate`; keeps it in `s` when it still fails.
    private mutating func attempt(_ s: inout FuzzScenario, _ candidate: FuzzScenario) -> Bool {
        guard candidate != s, tried < budget else { return false }
        tried += 1
        guard stillFails(candidate) else { return false }
        kept += 1
        s = candidate
        return true
    }

    // MARK: - Passes

    private mutating func dropEvents(_ s: inout FuzzScenario) -> Bool {
        var changed = false
        var chunk = max(1, s.events.count / 2)
        while chunk >= 1 && !s.events.isEmpty {
            var start = 0
            while start < s.events.count {
                var c = s
                c.events.removeSubrange(start..<min(start + chunk, c.events.count))
                if attempt(&s, c) { changed = true } else { start += chunk }
            }
            if chunk == 1 { break }
            chunk /= 2
        }
        return changed
    }

    private mutating func splitGroups(_ s: inout FuzzScenario) -> Bool {
        var changed = false
        var i = 0
        while i < s.peers.count {
            let g = s.peers[i]
            guard g.count != nil else {
                i += 1
                continue
            }
            var c = s
            let members = g.memberIDs.enumerated().map { k, id in
                var p = g
                p.id = id
                p.count = nil
                p.every = 0
                p.join = g.join + g.every * SimDuration(k)
                return p
            }
            c.peers.replaceSubrange(i...i, with: members)
            if attempt(&s, c) { changed = true }
            i += 1
        }
        return changed
    }

    private mutating func dropPeers(_ s: inout FuzzScenario) -> Bool {
        var changed = false
        var i = s.peers.count - 1
        while i >= 0 {
            if i < s.peers.count, s.peers[i].count == nil, s.peers.count > 1 {
                var c = s
                let removed = c.peers.remove(at: i)
                c.events = Self.events(c.events, without: removed.id)
                if attempt(&s, c) { changed = true }
            }
            i -= 1
        }
        // Peers that join by an event.
        var k = s.events.count - 1
        while k >= 0 {
            if k < s.events.count, case .join(let p) = s.events[k].action {
                var c = s
                c.events = Self.events(c.events, without: p.id)
                if attempt(&s, c) { changed = true }
            }
            k -= 1
        }
        return changed
    }

    /// `events` without those that name `id`, or a tab duplicated from it (transitively), or
    /// join it.
    static func events(_ events: [FuzzScenario.Event], without id: String) -> [FuzzScenario.Event] {
        var gone = [id]
        var out: [FuzzScenario.Event] = []
        for e in events {
            switch e.action {
            case .duplicateTab(let p, let name) where gone.contains(p):
                gone.append(name)
                continue
            case .partition(let a, let b, _) where gone.contains(a) || gone.contains(b):
                continue
            default:
                if let p = e.action.peer, gone.contains(p) { continue }
            }
            out.append(e)
        }
        return out
    }

    private mutating func simplifyFields(_ s: inout FuzzScenario) -> Bool {
        var changed = false
        // The network, one field at a time.
        let network: [WritableKeyPath<FuzzScenario.NetworkFields, SimDuration?>] = [\.latency, \.jitter, \.serverLatency]
        for k in network where s.network[keyPath: k] != nil {
            var c = s
            c.network[keyPath: k] = nil
            if attempt(&s, c) { changed = true }
        }
        if s.network.loss != nil { var c = s; c.network.loss = nil; if attempt(&s, c) { changed = true } }
        if s.network.stun != nil { var c = s; c.network.stun = nil; if attempt(&s, c) { changed = true } }
        if s.network.turn != nil { var c = s; c.network.turn = nil; if attempt(&s, c) { changed = true } }
        // Machines: all gone, then one at a time.
        if !s.machines.isEmpty {
            var c = s
            c.machines = []
            for i in c.peers.indices { c.peers[i].machine = nil }
            for i in c.events.indices { c.events[i].joinEntry?.machine = nil }
            if attempt(&s, c) { changed = true }
        }
        // Peers' fields.
        for i in s.peers.indices {
            let edits: [(inout FuzzScenario.PeerEntry) -> Void] = [
                { $0.lan = nil }, { $0.nat = nil; $0.lan = nil }, { $0.latency = nil }, { $0.udp = true }, { $0.machine = nil },
                { $0.join = 0 }, { $0.every = 0 },
            ]
            for edit in edits where i < s.peers.count {
                var c = s
                edit(&c.peers[i])
                if attempt(&s, c) { changed = true }
            }
        }
        // Events' fields.
        for i in s.events.indices {
            guard i < s.events.count else { break }
            var c = s
            switch s.events[i].action {
            case .refresh(let p, let d, let clean):
                if d != ScenarioAction.defaultRefreshDowntime {
                    c.events[i].action = .refresh(peer: p, downtime: ScenarioAction.defaultRefreshDowntime, clean: clean)
                    if attempt(&s, c) { changed = true }
                    c = s
                }
                if !clean {
                    c.events[i].action = .refresh(peer: p, downtime: d, clean: true)
                    if attempt(&s, c) { changed = true }
                }
            case .wsDrop(let p, _):
                c.events[i].action = .wsDrop(peer: p, reconnectAfter: ScenarioAction.defaultReconnectAfter)
                if attempt(&s, c) { changed = true }
            case .serverRestart:
                c.events[i].action = .serverRestart(downtime: ScenarioAction.defaultServerRestartDowntime)
                if attempt(&s, c) { changed = true }
            case .offline(let p, let d) where d > nsPerSecond:
                c.events[i].action = .offline(peer: p, for: d / 2)
                if attempt(&s, c) { changed = true }
            case .partition(let a, let b, let d) where d > nsPerSecond:
                c.events[i].action = .partition(a: a, b: b, for: d / 2)
                if attempt(&s, c) { changed = true }
            case .join:
                let edits: [(inout FuzzScenario.PeerEntry) -> Void] = [
                    { $0.lan = nil }, { $0.nat = nil; $0.lan = nil }, { $0.latency = nil }, { $0.udp = true }, { $0.machine = nil },
                ]
                for edit in edits {
                    c = s
                    if c.events[i].joinEntry != nil { edit(&c.events[i].joinEntry!) }
                    if attempt(&s, c) { changed = true }
                }
            case .network:
                let fields: [(inout FuzzScenario.NetworkFields) -> Void] = [
                    { $0.loss = nil }, { $0.latency = nil }, { $0.jitter = nil }, { $0.stun = nil }, { $0.turn = nil }, { $0.serverLatency = nil },
                ]
                for clear in fields {
                    c = s
                    guard i < c.events.count, let n = c.events[i].network else { break }
                    var m = n
                    clear(&m)
                    guard !m.isEmpty, m != n else { continue }
                    c.events[i].network = m
                    if attempt(&s, c) { changed = true }
                }
            default:
                break
            }
        }
        return changed
    }
}
