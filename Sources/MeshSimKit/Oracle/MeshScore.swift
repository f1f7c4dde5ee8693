/// Keeps score of the full mesh as the run goes: which peers are live, which pairs connected.
///
/// `MeshOracle` tells it which peer names are live (page alive, host online) and, whenever a
/// connection's observable state changes, whether a pair is connected by docs/contract.md's
/// definition. The score counts connected pairs against the expected C(live, 2) and records
/// when the mesh last became full (`convergedAt`).
struct MeshScore {
    private(set) var live: [Bool] = []
    private(set) var liveCount = 0
    /// Connected pairs, keyed `min << 32 | max` (membership and count only; never iterated).
    private var good = Set<UInt64>()
    /// Since when the mesh has been full, if it is full now.
    private(set) var fullSince: Int64?
    /// Every time the mesh became full or stopped being full: (time, full).
    private(set) var transitions: [(time: Int64, full: Bool)] = []
    /// Connected and expected pairs over time: one point per instant at which either changed
    /// (the last value of that instant), for the convergence curve (`--svg`, `--html`).
    private(set) var series: [(time: Int64, connected: Int, expected: Int)] = []
    /// The end of the run, once finished.
    private(set) var endedAt: Int64?
    /// When each pair (same keys as `good`) was first connected: `noRenegotiation` counts only
    /// offers for pairs that had been connected before. Looked up, never iterated.
    private var firstConnected: [UInt64: Int64] = [:]

    mutating func reset(slots: Int) {
        live = Array(repeating: false, count: slots)
        liveCount = 0
        good.removeAll()
        firstConnected.removeAll()
        series = []
        fullSince = nil
        transitions = []
    }

    var expectedPairs: Int { liveCount * (liveCount - 1) / 2 }
    var connectedPairs: Int { good.count }
    var isFull: Bool { good.count == expectedPairs }

    static func key(_ a: Int32, _ b: Int32) -> UInt64 {
        let lo = UInt64(UInt32(min(a, b))), hi = UInt64(UInt32(max(a, b)))
        return lo << 32 | hi
    }

    func isConnected(_ a: Int32, _ b: Int32) -> Bool {
        good.contains(Self.key(a, b))
    }

    /// When `a` and `b` were first connected, if ever.
    func firstConnected(_ a: Int32, _ b: Int32) -> Int64? {
        firstConnected[Self.key(a, b)]
    }

    mutating func setLive(_ slot: Int32, _ isLive: Bool, now: Int64) {
        guard live[Int(slot)] != isLive else { return }
        live[Int(slot)] = isLive
        liveCount += isLive ? 1 : -1
        if !isLive {
            for other in live.indices where other != Int(slot) {
                good.remove(Self.key(slot, Int32(other)))
            }
        }
        update(now: now)
    }

    /// A peer that left or crashed came back as a new page (a `join`): its pairs were connected
    /// to the old page, and a first offer to the new one sets a pair up, renegotiating nothing.
    mutating func forgetConnections(of slot: Int32) {
        for other in live.indices where other != Int(slot) {
            firstConnected[Self.key(slot, Int32(other))] = nil
        }
    }

    mutating func setPair(_ a: Int32, _ b: Int32, connected: Bool, now: Int64) {
        let k = Self.key(a, b)
        let changed = connected ? good.insert(k).inserted : good.remove(k) != nil
        guard changed else { return }
        if connected && firstConnected[k] == nil { firstConnected[k] = now }
        update(now: now)
    }

    private mutating func update(now: Int64) {
        let point = (time: now, connected: good.count, expected: expectedPairs)
        if let last = series.last, last.time == now { series[series.count - 1] = point } else { series.append(point) }
        let full = isFull
        if full && fullSince == nil {
            if let last = transitions.last, !last.full, last.time == now, transitions.count >= 2 {
                // Not full for no time at all (the steps of one instant, such as a page
                // unloading before the pairs it belonged to are dropped): nothing could observe
                // that, so the mesh stayed full since it last became full.
                transitions.removeLast()
                fullSince = transitions[transitions.count - 1].time
            } else {
                fullSince = now
                transitions.append((now, true))
            }
        } else if !full && fullSince != nil {
            fullSince = nil
            transitions.append((now, false))
        }
    }

    mutating func finish(at time: Int64) {
        endedAt = time
        // No page ever loaded (a run stopped before the first join): trivially full since the
        // start, never "full" without a time (`convergedAt`).
        if transitions.isEmpty && isFull {
            fullSince = 0
            transitions.append((0, true))
        }
    }
}
