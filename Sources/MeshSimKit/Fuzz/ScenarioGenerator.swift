import SignalProtocol

/// Draws whole scenarios for `MeshSim fuzz`: run `index` of a fuzz session with seed `seed`
/// gets a scenario drawn by a generator of its own, seeded from (seed, index) alone, so any run
/// can be drawn again without the ones before it (and `--jobs` cannot change what is drawn).
///
/// "Swarm testing" (Groce et al., 2012): each run first draws which features it uses (NATs,
/// LANs, machines, TURN, loss, which event kinds) and then draws within them, so runs differ in
/// kind and not only in detail. Every event kind of docs/contract.md is drawn; events only
/// name peers that exist at their time (the loader's rule), so every drawn scenario is valid.
struct ScenarioGenerator {
    var seed: UInt64
    var policy: JSONValue
    var peerRange: ClosedRange<Int> = Self.defaultPeerRange
    /// `fuzz --peers`' default.
    static let defaultPeerRange = 2...8
    /// Event kinds never drawn (`fuzz --without`), e.g. a kind whose known hole would
    /// otherwise hide the rest.
    var without: [String] = []
    /// The quiet phase after the last disruption (`FuzzScenario.quiet(for:)` of the policy).
    var quiet: SimDuration = FuzzScenario.quietMinute

    /// The generator seed of run `index`: SplitMix64 of the pair, so neighbouring runs share nothing.
    static func runSeed(_ seed: UInt64, _ index: Int) -> UInt64 {
        var z = seed &+ 0x9E37_79B9_7F4A_7C15 &* (UInt64(index) &+ 1)
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Event kinds in docs/contract.md order.
    static let eventKinds = ScenarioAction.kindNames

    func scenario(run index: Int) -> FuzzScenario {
        var draw = Draw(rng: SimRandom(seed: Self.runSeed(seed, index)))

        // The features this run uses.
        let useNATs = draw.chance(0.6)
        let useLANs = useNATs && draw.chance(0.3)
        let useMachines = draw.chance(0.25)
        let useUDPBlock = draw.chance(0.15)
        let kinds = Self.eventKinds.filter { _ in draw.chance(0.5) }.filter { !without.contains($0) }

        var s = FuzzScenario(name: "fuzz \(seed) run \(index)", seed: UInt64(draw.int(1...999_999)), policy: policy, peers: [], events: [])
        s.quiet = quiet
        if draw.chance(0.4) { s.network.latency = draw.ms(2...150) }
        if draw.chance(0.4) { s.network.jitter = draw.ms(1...15) }
        if draw.chance(0.25) { s.network.loss = Double(draw.int(1...10)) / 100 }
        if draw.chance(0.15) { s.network.stun = false }
        if draw.chance(0.4) { s.network.turn = true }
        if draw.chance(0.15) { s.network.serverLatency = draw.ms(1...100) }
        if useMachines {
            for m in 1...draw.int(1...2) {
                s.machines.append(FuzzScenario.MachineEntry(name: "m\(m)", cores: draw.int(1...4), speed: Double(draw.int(5...20)) / 10))
            }
        }

        // Peers, some in groups.
        var lanNAT: [(lan: String, nat: NATSpec?)] = []
        func fields(_ e: inout FuzzScenario.PeerEntry) {
            if useNATs && draw.chance(0.6) { e.nat = draw.nat() }
            if useLANs, e.nat != nil, draw.chance(0.5) {
                let lan = "lan\(draw.int(1...2))"
                if let first = lanNAT.first(where: { $0.lan == lan }) { e.nat = first.nat } else { lanNAT.append((lan, e.nat)) }
                e.lan = lan
            }
            if draw.chance(0.15) { e.latency = draw.ms(1...200) }
            if useUDPBlock && draw.chance(0.4) { e.udp = false }
            if !s.machines.isEmpty, draw.chance(0.6) { e.machine = draw.pick(s.machines).name }
        }
        let total = draw.int(peerRange)
        var placed = 0
        var joins: [(id: String, at: SimDuration)] = []
        while placed < total {
            let left = total - placed
            var e = FuzzScenario.PeerEntry(id: "")
            if left >= 2 && draw.chance(0.25) {
                e.count = draw.int(2...min(left, 5))
                e.id = "g\(s.peers.count + 1)-"
                e.join = draw.chance(0.5) ? 0 : draw.ms(0...2000)
                e.every = draw.ms(0...400)
            } else {
                e.id = "p\(s.peers.count + 1)"
                e.join = draw.chance(0.6) ? 0 : draw.ms(0...3000)
            }
            fields(&e)
            s.peers.append(e)
            for (k, id) in e.memberIDs.enumerated() { joins.append((id, e.join + e.every * SimDuration(k))) }
            placed += e.count ?? 1
        }

        // Events, in time order, each naming only peers that exist then.
        var alive: [(id: String, host: Int)] = []
        var pending = joins.enumerated().map { (id: $0.element.id, at: $0.element.at, host: $0.offset) }
        var nextHost = joins.count
        let count = kinds.isEmpty ? 0 : draw.int(0...6)
        var times = (0..<count).map { _ in draw.ms(500...25_000) }
        times.sort()
        var added = (join: 0, tab: 0)
        for t in times {
            // Peers that have joined by t.
            for p in pending where p.at <= t { alive.append((p.id, p.host)) }
            pending.removeAll { $0.at <= t }
            let kind = draw.pick(kinds)
            var event: FuzzScenario.Event?
            switch kind {
            case "join":
                added.join += 1
                var e = FuzzScenario.PeerEntry(id: "j\(added.join)")
                fields(&e)
                event = .init(at: t, action: .join(PeerSpec(id: e.id, path: "")), joinEntry: e)
                alive.append((e.id, nextHost))
                nextHost += 1
            case "network":
                var n = FuzzScenario.NetworkFields()
                while n.isEmpty {
                    if draw.chance(0.4) { n.loss = Double(draw.int(0...20)) / 100 }
                    if draw.chance(0.3) { n.latency = draw.ms(2...300) }
                    if draw.chance(0.3) { n.jitter = draw.ms(0...20) }
                    if draw.chance(0.2) { n.stun = draw.chance(0.5) }
                    if draw.chance(0.2) { n.turn = draw.chance(0.5) }
                    if draw.chance(0.1) { n.serverLatency = draw.ms(1...200) }
                }
                event = .init(at: t, action: .network(NetworkPatch()), network: n)
            case "serverRestart":
                event = .init(at: t, action: .serverRestart(downtime: draw.ms(100...5000)))
            default:
                guard !alive.isEmpty else { continue }
                let p = draw.pick(alive)
                switch kind {
                case "refresh":
                    event = .init(at: t, action: .refresh(peer: p.id, downtime: draw.ms(50...3000), clean: draw.chance(0.5)))
                case "duplicateTab":
                    added.tab += 1
                    let name = "t\(added.tab)"
                    event = .init(at: t, action: .duplicateTab(peer: p.id, as: name))
                    alive.append((name, p.host))
                case "wsDrop":
                    event = .init(at: t, action: .wsDrop(peer: p.id, reconnectAfter: draw.ms(100...8000)))
                case "leave":
                    event = .init(at: t, action: .leave(peer: p.id))
                    alive.removeAll { $0.id == p.id }
                case "crash":
                    event = .init(at: t, action: .crash(peer: p.id))
                    alive.removeAll { $0.host == p.host }
                case "offline":
                    event = .init(at: t, action: .offline(peer: p.id, for: draw.ms(200...25_000)))
                case "partition":
                    let others = alive.filter { $0.host != p.host }
                    guard !others.isEmpty else { continue }
                    let q = draw.pick(others)
                    event = .init(at: t, action: .partition(a: p.id, b: q.id, for: draw.ms(500...40_000)))
                default:
                    continue
                }
            }
            if let event { s.events.append(event) }
        }
        return s
    }
}

/// The draws a generator makes, from its own `SimRandom`.
struct Draw {
    var rng: SimRandom

    mutating func chance(_ p: Double) -> Bool { rng.nextUnit() < p }

    mutating func int(_ r: ClosedRange<Int>) -> Int {
        r.lowerBound + Int(rng.next(below: UInt64(r.upperBound - r.lowerBound + 1)))
    }

    /// Whole milliseconds in `r`.
    mutating func ms(_ r: ClosedRange<Int>) -> SimDuration { SimDuration(int(r)) * nsPerMs }

    mutating func pick<T>(_ a: [T]) -> T { a[int(0...(a.count - 1))] }

    /// A NAT: one of the four classic pairs, or now and then another RFC 4787 combination.
    mutating func nat() -> NATSpec {
        if chance(0.85) { return pick(NATSpec.named).spec }
        let all = NATBehaviour.allCases
        return NATSpec(mapping: pick(all), filtering: pick(all))
    }
}
