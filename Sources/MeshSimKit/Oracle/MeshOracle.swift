/// Judges the full mesh from what it observes, and from nothing else.
///
/// The oracle is an observer of the run's observation stream (`Observation`), with its own
/// model of pages, connections and pairs: it never reads a page, a connection or the network.
/// Everything it needs is in the stream, and in the trace (`pc`, `uid`, `association`,
/// `connection` `closed`, `host` per page), so a trace alone is enough to judge a run
/// (`MeshOracle.judge(trace:)`, docs/report.md).
///
/// docs/contract.md, "Full mesh": for every two distinct live peers (page alive, host
/// online), each side's current page holds an RTCPeerConnection to the other's current page,
/// the two belong to the same association, both report `connectionState` `connected`, and the
/// data channel is open on both. Attackers are never live: they are not mesh members.
///
/// The verdict is kept by `MeshScore`; a pair is re-judged whenever something it depends on is
/// observed to change.
final class MeshOracle: RunObserver {
    /// What the oracle knows of one page load.
    private struct PageView {
        var slot: Int32
        var uid: String
        var alive = true
        var online = true
        /// The connection this page most recently created for each remote uid (looked up only).
        var latest: [String: Int32] = [:]
    }

    /// What the oracle knows of one RTCPeerConnection.
    private struct ConnectionView {
        var page: Int32
        var remoteUID: String
        var closed = false
        var connected = false
        var channelOpen = false
        /// The remote connection's index, once a remote description named it.
        var association: Int32?
    }

    private(set) var score = MeshScore()
    /// Peer names (scenario ids and `as` names), by slot; the uid each starts with; attackers.
    /// Facts of the scenario, not of the run: with a trace, all `judge(trace:)` needs.
    let names: [String]
    let startUIDs: [String]
    let attacker: [Bool]
    private var slotOf: [String: Int32] = [:]
    /// The uid each peer name's page uses now, and the peer names using each uid.
    private var uidOf: [String]
    private var slotsOfUID: [String: [Int32]] = [:]
    private var currentPage: [Int32?]
    /// Peers a `leave` or `crash` ended: a page they load next is a peer joining again.
    private var ended: [Bool]
    private var pages: [PageView] = []
    private var connections: [ConnectionView] = []

    /// `names` in the simulator's slot order (so that reports can ask by slot), the uid each
    /// starts with, and which are attackers.
    init(names: [String], uids: [String], attackers: [Bool]) {
        self.names = names
        self.attacker = attackers
        self.startUIDs = uids
        self.uidOf = uids
        self.currentPage = Array(repeating: nil, count: names.count)
        self.ended = Array(repeating: false, count: names.count)
        for (i, n) in names.enumerated() {
            slotOf[n] = Int32(i)
            slotsOfUID[uids[i], default: []].append(Int32(i))
        }
        score.reset(slots: names.count)
    }

    // MARK: - The verdict (forwarded from the score)

    var live: [Bool] { score.live }
    var liveCount: Int { score.liveCount }
    var isFull: Bool { score.isFull }
    var fullSince: Int64? { score.fullSince }
    var expectedPairs: Int { score.expectedPairs }
    var connectedPairs: Int { score.connectedPairs }
    var series: [(time: Int64, connected: Int, expected: Int)] { score.series }
    var transitions: [(time: Int64, full: Bool)] { score.transitions }
    func isConnected(_ a: Int32, _ b: Int32) -> Bool { score.isConnected(a, b) }
    func firstConnected(_ a: Int32, _ b: Int32) -> Int64? { score.firstConnected(a, b) }

    // MARK: - Observing

    /// What the verdict depends on; every other observation passes it by.
    static let observedKinds = ObservationKinds([.scenario, .page, .host, .uid, .connection, .association, .connectionState, .dataChannel])
    var kinds: ObservationKinds { Self.observedKinds }

    func observe(_ o: Observation, at now: Int64) {
        switch o.kind {
        case .page:
            guard let page = o.page, let name = o.peer, let slot = slotOf[name] else { return }
            if o.value == "load" {
                let uid = o.uid ?? uidOf[Int(slot)]
                while pages.count <= Int(page) { pages.append(PageView(slot: -1, uid: "", alive: false)) }
                pages[Int(page)] = PageView(slot: slot, uid: uid)
                setUID(uid, of: slot)
                currentPage[Int(slot)] = page
                if ended[Int(slot)] {
                    ended[Int(slot)] = false
                    score.forgetConnections(of: slot)
                }
            } else {
                guard Int(page) < pages.count else { return }
                pages[Int(page)].alive = false
            }
            liveChanged(slot, now: now)
        case .scenario:
            guard o.value == "leave" || o.value == "crash", let name = o.peer, let slot = slotOf[name] else { return }
            ended[Int(slot)] = true
        case .host:
            guard let page = o.page, Int(page) < pages.count else { return }
            pages[Int(page)].online = o.value != "offline"
            liveChanged(pages[Int(page)].slot, now: now)
        case .uid:
            guard let page = o.page, Int(page) < pages.count else { return }
            pages[Int(page)].uid = o.value
            setUID(o.value, of: pages[Int(page)].slot)
        case .connection:
            guard let c = o.connection, let page = o.page, Int(page) < pages.count, let remote = o.remote else { return }
            switch o.value {
            case "closed":
                guard Int(c) < connections.count else { return }
                connections[Int(c)].closed = true
            default:
                while connections.count <= Int(c) { connections.append(ConnectionView(page: -1, remoteUID: "")) }
                connections[Int(c)] = ConnectionView(page: page, remoteUID: remote, closed: o.value == "refused")
                pages[Int(page)].latest[remote] = c
                return
            }
            connectionChanged(c, now: now)
        case .association:
            guard let c = o.connection, Int(c) < connections.count, let session = Int64(o.value), session > 0 else { return }
            connections[Int(c)].association = Int32(session - 1)
            connectionChanged(c, now: now)
        case .connectionState:
            guard let c = o.connection, Int(c) < connections.count else { return }
            connections[Int(c)].connected = o.value == "connected"
            connectionChanged(c, now: now)
        case .dataChannel:
            guard let c = o.connection, Int(c) < connections.count else { return }
            connections[Int(c)].channelOpen = o.value == "open"
            connectionChanged(c, now: now)
        default:
            return
        }
    }

    func runEnded(at time: Int64) {
        score.finish(at: time)
    }

    private func setUID(_ uid: String, of slot: Int32) {
        let old = uidOf[Int(slot)]
        guard old != uid else { return }
        slotsOfUID[old]?.removeAll { $0 == slot }
        uidOf[Int(slot)] = uid
        slotsOfUID[uid, default: []].append(slot)
    }

    /// Live: not an attacker, its current page alive and its host online.
    private func isLive(_ slot: Int32) -> Bool {
        guard !attacker[Int(slot)], let p = currentPage[Int(slot)] else { return false }
        return pages[Int(p)].alive && pages[Int(p)].online
    }

    /// A page appeared, died, or its host went on or offline: re-judge its pairs.
    private func liveChanged(_ slot: Int32, now: Int64) {
        let live = isLive(slot)
        score.setLive(slot, live, now: now)
        guard live else { return }
        for other in 0..<Int32(names.count) where other != slot && score.live[Int(other)] {
            score.setPair(slot, other, connected: pairConnected(slot, other), now: now)
        }
    }

    /// Connection `c`'s observable state changed: re-judge the pairs it belongs to.
    private func connectionChanged(_ c: Int32, now: Int64) {
        let conn = connections[Int(c)]
        guard conn.page >= 0 else { return }
        let a = pages[Int(conn.page)].slot
        guard score.live[Int(a)], let others = slotsOfUID[conn.remoteUID] else { return }
        for b in others where b != a && score.live[Int(b)] {
            score.setPair(a, b, connected: pairConnected(a, b), now: now)
        }
    }

    /// The connection the current page of `a` most recently created for `b`'s uid.
    private func currentConnection(from a: Int32, to b: Int32) -> Int32? {
        guard let p = currentPage[Int(a)] else { return nil }
        return pages[Int(p)].latest[uidOf[Int(b)]]
    }

    private func pairConnected(_ a: Int32, _ b: Int32) -> Bool {
        guard let ca = currentConnection(from: a, to: b), let cb = currentConnection(from: b, to: a) else { return false }
        let x = connections[Int(ca)], y = connections[Int(cb)]
        guard !x.closed, !y.closed, x.connected, y.connected, x.channelOpen, y.channelOpen else { return false }
        return x.association == cb && y.association == ca
    }
}
