/// Who exists when: the rules of docs/contract.md ("events") about which peers an event may
/// name, written once. The validator walks a file's events through a roster before anything
/// runs (an event on a peer that does not exist then is exit 2); the world keeps one as the run
/// goes and checks each event against it, so the two can never disagree about a file.
///
/// The rules: a peer exists from its join until it leaves or its host crashes. Each peer joins
/// on a host of its own, a duplicated tab shares the host of the tab it copies, and a peer that
/// joins again keeps its host unless that host crashed. A crash ends every tab on the host. A
/// page that is reloading still exists (its peer may be named); so does a host that is offline.
struct PeerRoster {
    /// What an event needs from, or does to, the set of existing peers, in order.
    enum Step: Equatable {
        /// The event names this peer: it must exist.
        case needAlive(String)
        /// A `join`: the peer must not exist yet; afterwards it does.
        case create(String)
        /// A `duplicateTab`: the new tab's name and the peer whose tab (and host) it copies.
        case createTab(String, from: String?)
        /// A `leave`: the peer stops existing.
        case end(String)
        /// A `crash`: the peer's host goes, and every tab on it.
        case endHost(String)
        /// A `partition`: its two peers must be on two hosts (a tab and the tab duplicated from
        /// it share one, and there is no network between a host and itself to cut).
        case needTwoHosts(String, String)
    }

    /// Why a step cannot be taken.
    enum Refusal: Equatable {
        case notAlive(String)
        case alreadyExists(String)
        case sameHost(String, String)

        var peers: [String] {
            switch self {
            case .notAlive(let id), .alreadyExists(let id): return [id]
            case .sameHost(let x, let y): return [x, y]
            }
        }

        /// In words, for invariant reports.
        var text: String {
            switch self {
            case .notAlive(let id): return "no peer \(id) exists at this time"
            case .alreadyExists(let id): return "peer \(id) already exists"
            case .sameHost(let x, let y): return "\(x) and \(y) are tabs on one host"
            }
        }
    }

    /// What taking a step did.
    struct Outcome {
        var refusal: Refusal?
        /// Peers that stopped existing, in the order their tabs were placed on the host.
        var ended: [String] = []
    }

    private var alive = Set<String>()  // membership only, never iterated
    private var hostOf: [String: Int] = [:]  // lookup only
    /// Per host, the names placed on it, in order.
    private var tabsOn: [[String]] = []
    private var crashed: [Bool] = []

    /// The steps of an event, in the order the validator takes them.
    static func steps(of action: ScenarioAction) -> [Step] {
        switch action {
        case .join(let p): return [.create(p.id)]
        case .refresh(let p, _, _), .wsDrop(let p, _), .offline(let p, _): return [.needAlive(p)]
        case .duplicateTab(let p, let tab): return [.needAlive(p), .createTab(tab, from: p)]
        case .leave(let p): return [.needAlive(p), .end(p)]
        case .crash(let p): return [.needAlive(p), .endHost(p)]
        case .partition(let a, let b, _): return [.needAlive(a), .needAlive(b), .needTwoHosts(a, b)]
        case .serverRestart, .network: return []
        }
    }

    /// Hosts made so far (a host's index is its order of creation).
    var hostCount: Int { tabsOn.count }

    func exists(_ id: String) -> Bool { alive.contains(id) }

    /// The host `id` was last placed on (whether or not it still exists).
    func host(of id: String) -> Int? { hostOf[id] }

    func isCrashed(host h: Int) -> Bool { crashed[h] }

    /// A peer of the file's `peers` joins at its `join` time, on a host of its own.
    mutating func joinInitial(_ id: String) {
        place(id, on: newHost())
    }

    /// Take `step`. A refused step changes nothing except for `create`, which still places the
    /// peer, as the validator goes on checking the rest of a file whose join it refused.
    @discardableResult
    mutating func take(_ step: Step) -> Outcome {
        switch step {
        case .needAlive(let id):
            return Outcome(refusal: alive.contains(id) ? nil : .notAlive(id))
        case .create(let id):
            let refusal: Refusal? = alive.contains(id) ? .alreadyExists(id) : nil
            if let h = hostOf[id], !crashed[h] { place(id, on: h) } else { place(id, on: newHost()) }
            return Outcome(refusal: refusal)
        case .createTab(let id, let source):
            if let s = source, let h = hostOf[s] { place(id, on: h) } else { place(id, on: newHost()) }
            return Outcome()
        case .end(let id):
            guard alive.contains(id) else { return Outcome() }
            alive.remove(id)
            return Outcome(ended: [id])
        case .needTwoHosts(let x, let y):
            if alive.contains(x) && alive.contains(y), let h = hostOf[x], hostOf[y] == h {
                return Outcome(refusal: .sameHost(x, y))
            }
            return Outcome()
        case .endHost(let id):
            guard let h = hostOf[id] else {
                alive.remove(id)
                return Outcome()
            }
            crashed[h] = true
            var ended: [String] = []
            for other in tabsOn[h] where hostOf[other] == h && alive.contains(other) {
                ended.append(other)
                alive.remove(other)
            }
            return Outcome(ended: ended)
        }
    }

    /// Take every step of `action`; the first refusal, if any.
    mutating func take(_ action: ScenarioAction) -> Refusal? {
        var first: Refusal?
        for step in Self.steps(of: action) {
            let outcome = take(step)
            if first == nil { first = outcome.refusal }
        }
        return first
    }

    private mutating func newHost() -> Int {
        tabsOn.append([])
        crashed.append(false)
        return tabsOn.count - 1
    }

    private mutating func place(_ id: String, on h: Int) {
        alive.insert(id)
        if hostOf[id] != h {
            hostOf[id] = h
            tabsOn[h].append(id)
        }
    }
}
