import Testing
@testable import MeshSimKit

/// The oracle's score on its own: pairs and live peers in, `fullSince` out.
@Suite struct MeshScoreTests {
    /// Three live peers, every pair connected at `at`.
    static func fullOfThree(at t: Int64) -> MeshScore {
        var o = MeshScore()
        o.reset(slots: 3)
        for s in Int32(0)..<3 { o.setLive(s, true, now: 0) }
        o.setPair(0, 1, connected: true, now: t)
        o.setPair(0, 2, connected: true, now: t)
        o.setPair(1, 2, connected: true, now: t)
        return o
    }

    @Test func fullWhenEveryLivePairIsConnected() {
        var o = Self.fullOfThree(at: 100)
        #expect(o.isFull && o.fullSince == 100)
        o.setPair(0, 1, connected: false, now: 200)
        #expect(!o.isFull && o.fullSince == nil)
        o.setPair(0, 1, connected: true, now: 300)
        #expect(o.fullSince == 300)
        #expect(o.transitions.suffix(3).map(\.time) == [100, 200, 300])
        #expect(o.transitions.suffix(3).map(\.full) == [true, false, true])
    }

    /// A peer leaving the live set takes its pairs with it; the others stay full throughout.
    @Test func aPeerGoingAwayKeepsTheRestFull() {
        var o = Self.fullOfThree(at: 100)
        o.setLive(2, false, now: 500)
        #expect(o.isFull && o.fullSince == 100 && o.expectedPairs == 1)
    }

    /// Not full for no time at all (a peer back online before its pairs are counted again in the
    /// same instant) is invisible: the mesh stayed full since it last became full.
    @Test func aBlipWithinOneInstantDoesNotRestartTheClock() {
        var o = Self.fullOfThree(at: 100)
        let before = o.transitions.count
        o.setLive(2, false, now: 500)
        o.setLive(2, true, now: 900)
        #expect(!o.isFull)
        o.setPair(0, 2, connected: true, now: 900)
        o.setPair(1, 2, connected: true, now: 900)
        #expect(o.isFull && o.fullSince == 100)
        #expect(o.transitions.count == before && o.transitions.last?.time == 100)
        // Not full for a nanosecond or more does restart it.
        o.setPair(1, 2, connected: false, now: 1000)
        o.setPair(1, 2, connected: true, now: 1001)
        #expect(o.fullSince == 1001)
    }
}
