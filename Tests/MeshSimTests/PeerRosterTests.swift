import Testing
@testable import MeshSimKit

/// The rules of who exists when, which the validator and the world share.
@Suite struct PeerRosterTests {
    @Test func aPeerExistsFromItsJoinUntilItLeaves() {
        var r = PeerRoster()
        #expect(r.take(.needAlive("a")).refusal == .notAlive("a"))
        r.joinInitial("a")
        #expect(r.take(.needAlive("a")).refusal == nil)
        #expect(r.take(.create("a")).refusal == .alreadyExists("a"))
        #expect(r.take(.end("a")).ended == ["a"])
        #expect(!r.exists("a"))
        // Leaving twice ends nothing the second time.
        #expect(r.take(.end("a")).ended.isEmpty)
    }

    @Test func aReturningPeerKeepsItsHostUnlessItCrashed() {
        var r = PeerRoster()
        r.joinInitial("a")
        let first = r.host(of: "a")
        r.take(.end("a"))
        r.take(.create("a"))
        #expect(r.host(of: "a") == first)
        r.take(.endHost("a"))
        r.take(.create("a"))
        #expect(r.host(of: "a") != first)
        #expect(r.isCrashed(host: first!))
    }

    @Test func aCrashEndsEveryTabOnTheHost() {
        var r = PeerRoster()
        r.joinInitial("a")
        r.joinInitial("b")
        r.take(.createTab("a2", from: "a"))
        #expect(r.host(of: "a2") == r.host(of: "a"))
        #expect(r.take(.endHost("a2")).ended == ["a", "a2"])
        #expect(r.exists("b") && !r.exists("a") && !r.exists("a2"))
    }

    @Test func aPartitionNeedsTwoHosts() {
        var r = PeerRoster()
        r.joinInitial("a")
        r.joinInitial("b")
        r.take(.createTab("a2", from: "a"))
        #expect(r.take(.needTwoHosts("a", "a2")).refusal == .sameHost("a", "a2"))
        #expect(r.take(.needTwoHosts("a", "b")).refusal == nil)
    }

    @Test func anEventsStepsFollowItsKind() {
        #expect(PeerRoster.steps(of: .crash(peer: "a")) == [.needAlive("a"), .endHost("a")])
        #expect(PeerRoster.steps(of: .duplicateTab(peer: "a", as: "t")) == [.needAlive("a"), .createTab("t", from: "a")])
        #expect(PeerRoster.steps(of: .partition(a: "a", b: "b", for: 1)) == [.needAlive("a"), .needAlive("b"), .needTwoHosts("a", "b")])
        #expect(PeerRoster.steps(of: .serverRestart(downtime: 1)).isEmpty)
        // A refused event reports its first refusal.
        var r = PeerRoster()
        r.joinInitial("a")
        #expect(r.take(.leave(peer: "b")) == .notAlive("b"))
        #expect(r.take(.leave(peer: "a")) == nil)
        #expect(!r.exists("a"))
    }
}
