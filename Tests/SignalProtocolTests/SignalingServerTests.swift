import Testing
@testable import SignalProtocol

// Tests of the signaling server state machine, one per rule of its documentation.

private let s1 = SocketID(1), s2 = SocketID(2), s3 = SocketID(3), s4 = SocketID(4)

private let offer = SignalPayload.description(SessionDescription(
    type: .offer, sessionID: 7, version: 1, iceUfrag: "uf", icePwd: "pw", setup: .actpass, fingerprint: "fp"))
private let candidate = SignalPayload.candidate(ICECandidate(
    foundation: "1", priority: 2_130_706_431, address: TransportAddress(ip: 0x0A00_0001, port: 5000),
    type: .host, ufrag: "uf"))

/// A server plus the actions of the last event. Secrets the server issues in `init` are kept in
/// `issued` (as honest pages keep them in sessionStorage) and stripped from the returned actions,
/// so that the tests of the other rules read as before; `join` says hello with the kept secret.
private struct Harness {
    var server = SignalingServer()
    var issued: [String: String] = [:]
    var now: Int64 = 0

    private mutating func strip(_ actions: [ServerAction]) -> [ServerAction] {
        actions.map { a in
            if case .send(let s, .initial(let you, let online, let secret?, _)) = a {
                issued[you] = secret
                return .send(s, .initial(you: you, online: online))
            }
            return a
        }
    }

    mutating func open(_ s: SocketID) -> [ServerAction] {
        var actions: [ServerAction] = []
        server.socketOpened(s, into: &actions)
        return actions
    }

    mutating func close(_ s: SocketID) -> [ServerAction] {
        var actions: [ServerAction] = []
        server.socketClosed(s, into: &actions)
        return actions
    }

    mutating func receive(_ m: WireMessage, from s: SocketID) -> [ServerAction] {
        var actions: [ServerAction] = []
        server.receive(m, from: s, at: now, into: &actions)
        return strip(actions)
    }

    mutating func receive(frame text: String, from s: SocketID) -> [ServerAction] {
        var actions: [ServerAction] = []
        server.receive(frame: Array(text.utf8), from: s, at: now, into: &actions)
        return strip(actions)
    }

    /// Opens `s` and registers `uid` on it, with the secret kept for `uid` if any.
    @discardableResult
    mutating func join(_ uid: String, on s: SocketID) -> [ServerAction] {
        _ = open(s)
        return receive(.hello(uid: uid, secret: issued[uid]), from: s)
    }
}

private func errorCode(_ actions: [ServerAction], to s: SocketID) -> WireErrorCode? {
    guard actions.count == 1, case .send(let target, .error(let code, _, _)) = actions[0], target == s else { return nil }
    return code
}

@Suite struct SignalingServerTests {
    // MARK: - Registration

    @Test func firstHelloGetsEmptyInitAndNoBroadcast() {
        var h = Harness()
        #expect(h.open(s1).isEmpty)
        #expect(h.receive(.hello(uid: "a"), from: s1) == [.send(s1, .initial(you: "a", online: []))])
        #expect(h.server.uid(of: s1) == "a" && h.server.socket(of: "a") == s1)
        #expect(h.server.onlineUIDs == ["a"])
    }

    @Test func helloGetsOthersInRegistrationOrderAndOthersGetOnline() {
        var h = Harness()
        h.join("c", on: s3)
        h.join("a", on: s1)
        h.join("b", on: s2)
        #expect(h.join("d", on: s4) == [
            .send(s4, .initial(you: "d", online: ["c", "a", "b"])),
            .send(s3, .online(uid: "d")),
            .send(s1, .online(uid: "d")),
            .send(s2, .online(uid: "d")),
        ])
        #expect(h.server.onlineUIDs == ["c", "a", "b", "d"])
    }

    @Test func unregisteredSocketsHearNothing() {
        var h = Harness()
        _ = h.open(s2)  // never says hello
        #expect(h.join("a", on: s1) == [.send(s1, .initial(you: "a", online: []))])
        #expect(h.close(s1) == [], "s2 is not registered, so nobody hears offline")
    }

    @Test func secondHelloOnSameSocketIsAlreadyRegistered() {
        var h = Harness()
        h.join("a", on: s1)
        #expect(errorCode(h.receive(.hello(uid: "a"), from: s1), to: s1) == .alreadyRegistered)
        #expect(errorCode(h.receive(.hello(uid: "b"), from: s1), to: s1) == .alreadyRegistered)
        #expect(h.server.onlineUIDs == ["a"] && h.server.socket(of: "b") == nil)
    }

    @Test("invalid uids", arguments: ["", String(repeating: "x", count: 65), String(repeating: "é", count: 65)])
    func invalidUID(_ uid: String) {
        var h = Harness()
        _ = h.open(s1)
        #expect(errorCode(h.receive(.hello(uid: uid), from: s1), to: s1) == .invalidUid)
        #expect(h.server.uid(of: s1) == nil && h.server.onlineUIDs.isEmpty)
        // The socket may try again with a valid uid.
        #expect(h.receive(.hello(uid: "a"), from: s1) == [.send(s1, .initial(you: "a", online: []))])
    }

    @Test func longestValidUIDs() {
        #expect(SignalingServer.isValidUID(String(repeating: "x", count: 64)))
        #expect(SignalingServer.isValidUID(String(repeating: "é", count: 64)), "64 characters, 128 UTF-8 bytes")
        #expect(SignalingServer.isValidUID("a"))
    }

    // MARK: - Departures

    @Test func closeOfRegisteredSocketBroadcastsOfflineInOrder() {
        var h = Harness()
        h.join("a", on: s1)
        h.join("b", on: s2)
        h.join("c", on: s3)
        #expect(h.close(s2) == [.send(s1, .offline(uid: "b")), .send(s3, .offline(uid: "b"))])
        #expect(h.server.onlineUIDs == ["a", "c"] && h.server.socket(of: "b") == nil && h.server.uid(of: s2) == nil)
        #expect(h.close(s2) == [], "a second close is ignored")
    }

    @Test func closeOfUnregisteredOrUnknownSocketIsSilent() {
        var h = Harness()
        h.join("a", on: s1)
        _ = h.open(s2)
        #expect(h.close(s2) == [])
        #expect(h.close(s4) == [])
        #expect(h.server.onlineUIDs == ["a"])
    }

    @Test func uidCanRegisterAgainAfterItsSocketClosed() {
        var h = Harness()
        h.join("a", on: s1)
        h.join("b", on: s2)
        _ = h.close(s1)
        #expect(h.join("a", on: s3) == [.send(s3, .initial(you: "a", online: ["b"])), .send(s2, .online(uid: "a"))])
        #expect(h.server.onlineUIDs == ["b", "a"])
    }

    // MARK: - Relaying

    @Test func signalIsRelayedWithFromStampedByServer() {
        var h = Harness()
        h.join("a", on: s1)
        h.join("b", on: s2)
        #expect(h.receive(.signal(from: nil, to: "b", payload: offer), from: s1) ==
            [.send(s2, .signal(from: "a", to: "b", payload: offer))])
        #expect(h.receive(.signal(from: nil, to: "a", payload: candidate), from: s2) ==
            [.send(s1, .signal(from: "b", to: "a", payload: candidate))])
        #expect(h.server.relayedSignals == 2)
    }

    @Test func clientCannotSpeakForAnotherUID() {
        var h = Harness()
        h.join("a", on: s1)
        h.join("b", on: s2)
        h.join("mallory", on: s3)
        #expect(h.receive(.signal(from: "a", to: "b", payload: offer), from: s3) ==
            [.send(s2, .signal(from: "mallory", to: "b", payload: offer))])
    }

    @Test func signalToUnknownPeer() {
        var h = Harness()
        h.join("a", on: s1)
        let actions = h.receive(.signal(from: nil, to: "ghost", payload: offer), from: s1)
        #expect(actions == [.send(s1, .error(code: .unknownPeer, detail: "no peer 'ghost' is online", peer: "ghost"))])
        #expect(h.server.relayedSignals == 0)
    }

    @Test func signalToSelf() {
        var h = Harness()
        h.join("a", on: s1)
        #expect(errorCode(h.receive(.signal(from: nil, to: "a", payload: offer), from: s1), to: s1) == .signalToSelf)
        #expect(h.server.relayedSignals == 0)
    }

    @Test func signalFromUnregisteredSocket() {
        var h = Harness()
        h.join("a", on: s1)
        _ = h.open(s2)
        let actions = h.receive(.signal(from: "b", to: "a", payload: offer), from: s2)
        #expect(errorCode(actions, to: s2) == .notRegistered)
        #expect(h.server.relayedSignals == 0)
    }

    @Test func signalToDepartedPeer() {
        var h = Harness()
        h.join("a", on: s1)
        h.join("b", on: s2)
        _ = h.close(s2)
        #expect(errorCode(h.receive(.signal(from: nil, to: "b", payload: offer), from: s1), to: s1) == .unknownPeer)
    }

    @Test("server-to-page messages from a page are malformed", arguments: [
        WireMessage.initial(you: "a", online: []), .online(uid: "b"), .offline(uid: "b"),
        .error(code: .unknownPeer, detail: "x", peer: nil),
    ])
    func serverMessagesFromPage(_ m: WireMessage) {
        var h = Harness()
        h.join("a", on: s1)
        h.join("b", on: s2)
        #expect(errorCode(h.receive(m, from: s1), to: s1) == .malformed)
        _ = h.open(s3)
        #expect(errorCode(h.receive(m, from: s3), to: s3) == .malformed, "also before hello")
        #expect(h.server.onlineUIDs == ["a", "b"])
    }

    @Test func messagesOnUnknownSocketsAreDropped() {
        var h = Harness()
        #expect(h.receive(.hello(uid: "a"), from: s1) == [], "never opened")
        h.join("b", on: s2)
        _ = h.close(s2)
        #expect(h.receive(.signal(from: nil, to: "b", payload: offer), from: s2) == [], "already closed")
        #expect(h.server.onlineUIDs.isEmpty)
    }

    @Test func reopeningAKnownSocketChangesNothing() {
        var h = Harness()
        h.join("a", on: s1)
        #expect(h.open(s1) == [])
        #expect(h.server.uid(of: s1) == "a")
    }

    // MARK: - Newest wins

    @Test func secondSocketClaimingLiveUIDReplacesTheOld() {
        var h = Harness()
        h.join("a", on: s1)
        h.join("b", on: s2)
        h.join("c", on: s3)
        // A crash-restored "a" comes back on s4 while the server still holds s1.
        #expect(h.join("a", on: s4) == [
            .send(s1, .error(code: .uidReplaced, detail: "another connection registered uid 'a'", peer: "a")),
            .close(s1),
            .send(s4, .initial(you: "a", online: ["b", "c"])),
            .send(s2, .online(uid: "a")),
            .send(s3, .online(uid: "a")),
        ])
        #expect(h.server.socket(of: "a") == s4 && h.server.uid(of: s4) == "a" && h.server.uid(of: s1) == nil)
        #expect(h.server.onlineUIDs == ["b", "c", "a"], "the re-registered uid moves to the end")
    }

    @Test func closeOfReplacedSocketKeepsUIDOnline() {
        var h = Harness()
        h.join("a", on: s1)
        h.join("b", on: s2)
        h.join("a", on: s3)
        #expect(h.close(s1) == [], "no offline for the replaced socket")
        #expect(h.server.socket(of: "a") == s3 && h.server.onlineUIDs == ["b", "a"])
        #expect(h.receive(.signal(from: nil, to: "a", payload: offer), from: s2) ==
            [.send(s3, .signal(from: "b", to: "a", payload: offer))])
    }

    @Test func replacedSocketCannotSpeakForItsOldUID() {
        var h = Harness()
        h.join("a", on: s1)
        h.join("b", on: s2)
        h.join("a", on: s3)
        // Before its close takes effect, the replaced socket is ignored entirely.
        #expect(h.receive(.signal(from: nil, to: "b", payload: offer), from: s1) == [])
        #expect(h.receive(.hello(uid: "a"), from: s1) == [], "it cannot take the uid back")
        #expect(h.receive(.hello(uid: "z"), from: s1) == [])
        #expect(h.server.relayedSignals == 0 && h.server.socket(of: "a") == s3)
    }

    @Test func closeOfNewSocketAfterReplacementBroadcastsOfflineOnce() {
        var h = Harness()
        h.join("a", on: s1)
        h.join("b", on: s2)
        h.join("a", on: s3)
        _ = h.close(s1)
        #expect(h.close(s3) == [.send(s2, .offline(uid: "a"))])
        #expect(h.server.onlineUIDs == ["b"])
    }

    @Test func replacedSocketClosingAfterNewOneKeepsNothingStale() {
        var h = Harness()
        h.join("a", on: s1)
        h.join("b", on: s2)
        h.join("a", on: s3)
        _ = h.close(s3)
        #expect(h.close(s1) == [], "the replaced socket's late close is silent")
        #expect(h.server.onlineUIDs == ["b"])
    }

    @Test func duplicateTabsPingPong() {
        // Two tabs with the same uid: each hello takes the uid from the other; the newest holds it.
        var h = Harness()
        h.join("a", on: s1)
        h.join("a", on: s2)
        _ = h.close(s1)
        let actions = h.join("a", on: s3)
        #expect(actions.first == .send(s2, .error(code: .uidReplaced, detail: "another connection registered uid 'a'", peer: "a")))
        #expect(actions.dropFirst().first == .close(s2))
        #expect(actions.last == .send(s3, .initial(you: "a", online: [])))
        #expect(h.server.onlineUIDs == ["a"] && h.server.socket(of: "a") == s3)
    }

    // MARK: - Scale

    @Test func manyPeersKeepOrderAndRelayCount() {
        var h = Harness()
        let n = 300
        for i in 0..<n { h.join("p\(i)", on: SocketID(UInt32(i))) }
        #expect(h.server.onlineUIDs == (0..<n).map { "p\($0)" })
        for i in 0..<n {
            let actions = h.receive(.signal(from: nil, to: "p\((i + 1) % n)", payload: candidate), from: SocketID(UInt32(i)))
            #expect(actions == [.send(SocketID(UInt32((i + 1) % n)),
                                      .signal(from: "p\(i)", to: "p\((i + 1) % n)", payload: candidate))])
        }
        #expect(h.server.relayedSignals == n)
        let offline = h.close(SocketID(5))
        #expect(offline.count == n - 1)
        #expect(offline.first == .send(SocketID(0), .offline(uid: "p5")))
        #expect(offline.last == .send(SocketID(UInt32(n - 1)), .offline(uid: "p5")))
    }

    // MARK: - Reclaim secret

    @Test func initCarriesASecretAndReclaimKeepsIt() {
        var server = SignalingServer(secretSeed: 42)
        var actions: [ServerAction] = []
        server.socketOpened(s1, into: &actions)
        server.receive(.hello(uid: "a"), from: s1, into: &actions)
        guard case .send(s1, .initial("a", [], let secret?, nil))? = actions.first else {
            Issue.record("no init with a secret: \(actions)")
            return
        }
        #expect(secret.utf8.count == 32 && secret.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) })
        #expect(server.secret(of: "a") == secret)
        // The same page reloads: the old socket is half-open, the new one has the secret.
        actions = []
        server.socketOpened(s2, into: &actions)
        server.receive(.hello(uid: "a", secret: secret), from: s2, into: &actions)
        #expect(actions == [
            .send(s1, .error(code: .uidReplaced, detail: "another connection registered uid 'a'", peer: "a")),
            .close(s1),
            .send(s2, .initial(you: "a", online: [], secret: secret)),
        ])
    }

    @Test func secretsDifferPerUIDAndPerSeed() {
        var h = Harness(server: SignalingServer(secretSeed: 1))
        h.join("a", on: s1)
        h.join("b", on: s2)
        var other = Harness(server: SignalingServer(secretSeed: 2))
        other.join("a", on: s1)
        #expect(h.issued["a"] != nil && h.issued["a"] != h.issued["b"])
        #expect(h.issued["a"] != other.issued["a"])
    }

    @Test func hijackWithoutTheSecretIsRefused() {
        var h = Harness()
        h.join("alice", on: s1)
        h.join("bob", on: s2)
        _ = h.open(s3)
        let refusal = ServerAction.send(s3, .error(code: .uidTaken,
            detail: "uid 'alice' belongs to another page; reclaiming it needs its secret", peer: "alice"))
        // Knowing the uid is not enough: no secret, a wrong one, one of the right length.
        #expect(h.receive(.hello(uid: "alice"), from: s3) == [refusal])
        #expect(h.receive(.hello(uid: "alice", secret: h.issued["bob"]), from: s3) == [refusal], "another uid's secret")
        #expect(h.server.socket(of: "alice") == s1 && h.server.uid(of: s3) == nil)
        #expect(h.server.onlineUIDs == ["alice", "bob"], "nobody heard anything")
        #expect(h.server.refusedClaims == 2)
        // Alice's page is undisturbed: it still signals and is signalled.
        #expect(h.receive(.signal(from: nil, to: "bob", payload: offer), from: s1) ==
            [.send(s2, .signal(from: "alice", to: "bob", payload: offer))])
        // The third refusal closes the socket; it is ignored from then on.
        #expect(h.receive(.hello(uid: "alice", secret: "00000000000000000000000000000000"), from: s3) == [refusal, .close(s3)])
        #expect(h.receive(.hello(uid: "mallory"), from: s3) == [])
        #expect(h.close(s3) == [])
    }

    @Test func refusedSocketMayRegisterItsOwnUID() {
        var h = Harness()
        h.join("alice", on: s1)
        _ = h.open(s2)
        #expect(errorCode(h.receive(.hello(uid: "alice"), from: s2), to: s2) == .uidTaken)
        #expect(h.receive(.hello(uid: "mallory"), from: s2) ==
            [.send(s2, .initial(you: "mallory", online: ["alice"])), .send(s1, .online(uid: "mallory"))])
    }

    @Test func offlineUIDStillNeedsItsSecret() {
        var h = Harness()
        h.join("alice", on: s1)
        h.join("bob", on: s2)
        _ = h.receive(.signal(from: nil, to: "bob", payload: offer), from: s1)  // alice has read init
        _ = h.close(s1)
        _ = h.open(s3)
        #expect(errorCode(h.receive(.hello(uid: "alice"), from: s3), to: s3) == .uidTaken,
                "a recently seen uid is not up for grabs")
        #expect(h.join("alice", on: s4) == [.send(s4, .initial(you: "alice", online: ["bob"])), .send(s2, .online(uid: "alice"))])
    }

    @Test func forgottenUIDsAreFreeAgainAndMemoryIsBounded() {
        var limits = ServerLimits()
        limits.rememberedUIDs = 2
        var h = Harness(server: SignalingServer(limits: limits))
        for (i, uid) in ["a", "b", "c"].enumerated() {
            h.join(uid, on: SocketID(UInt32(i)))
            _ = h.close(SocketID(UInt32(i)))
        }
        #expect(h.server.secret(of: "a") == nil, "the oldest offline uid is forgotten")
        #expect(h.server.secret(of: "b") != nil && h.server.secret(of: "c") != nil)
        _ = h.open(s4)
        #expect(h.receive(.hello(uid: "a"), from: s4) == [.send(s4, .initial(you: "a", online: []))])
        #expect(h.issued["a"] != nil, "a fresh secret")
        // "b" comes back with its secret: remembered offline uids are now "c" only, so "b"
        // going offline again and "d" coming and going forget "c" first.
        h.join("b", on: SocketID(10))
        _ = h.close(SocketID(10))
        h.join("d", on: SocketID(11))
        _ = h.close(SocketID(11))
        #expect(h.server.secret(of: "c") == nil && h.server.secret(of: "b") != nil && h.server.secret(of: "d") != nil)
    }

    @Test func aPageThatLeftBeforeReadingItsSecretGetsItsUidBack() {
        // A page reloads between its hello and the init that carries the secret: it never had
        // the secret, so its next page says hello without one. Its uid is free again.
        var h = Harness()
        h.join("bob", on: s2)
        _ = h.open(s1)
        _ = h.receive(.hello(uid: "alice"), from: s1)
        let first = h.issued["alice"]
        _ = h.close(s1)
        _ = h.open(s3)
        #expect(h.receive(.hello(uid: "alice"), from: s3) ==
            [.send(s3, .initial(you: "alice", online: ["bob"])), .send(s2, .online(uid: "alice"))])
        #expect(h.issued["alice"] != first, "a new secret")
        // Online, it needs the secret again even though it has not proven it yet.
        _ = h.open(s4)
        #expect(errorCode(h.receive(.hello(uid: "alice"), from: s4), to: s4) == .uidTaken)
        // Once the page has read init (it speaks), the secret is proven for good.
        _ = h.receive(.signal(from: nil, to: "bob", payload: offer), from: s3)
        _ = h.close(s3)
        _ = h.open(SocketID(5))
        #expect(errorCode(h.receive(.hello(uid: "alice"), from: SocketID(5)), to: SocketID(5)) == .uidTaken)
        #expect(h.join("alice", on: SocketID(6)).first == .send(SocketID(6), .initial(you: "alice", online: ["bob"])))
    }

    @Test func restartedServerAcceptsAnyFirstClaim() {
        // A restart loses all state: the first hello for a uid gets a new secret, whatever it sent.
        var h = Harness()
        _ = h.open(s1)
        #expect(h.receive(.hello(uid: "a", secret: "stale"), from: s1) == [.send(s1, .initial(you: "a", online: []))])
        #expect(h.issued["a"] != "stale")
    }

    // MARK: - Size caps, rate limits, undecodable frames

    @Test func oversizeFrameClosesTheSocket() {
        var limits = ServerLimits()
        limits.maxMessageBytes = 100
        var h = Harness(server: SignalingServer(limits: limits))
        h.join("a", on: s1)
        h.join("b", on: s2)
        let big = #"{"v":1,"type":"hello","uid":""# + String(repeating: "x", count: 100) + #""}"#
        #expect(h.receive(frame: big, from: s2) == [
            .send(s2, .error(code: .messageTooLarge, detail: "a message may have at most 100 bytes, got 131", peer: nil)),
            .close(s2),
            .send(s1, .offline(uid: "b")),
        ])
        #expect(h.receive(frame: #"{"v":1,"type":"hello","uid":"c"}"#, from: s2) == [], "closing: ignored")
        #expect(h.close(s2) == [], "offline was already broadcast")
        #expect(h.receive(frame: #"{"v":1,"type":"signal","to":"b","payload":{"type":"endOfCandidates","ufrag":"u"}}"#, from: s1) ==
            [.send(s1, .error(code: .unknownPeer, detail: "no peer 'b' is online", peer: "b"))])
    }

    @Test func undecodableFramesGetTheDecodersError() {
        var h = Harness()
        _ = h.open(s1)
        #expect(h.receive(frame: "not json", from: s1) ==
            [.send(s1, .error(code: .malformed, detail: "not JSON: line 1, column 1: invalid literal, expected 'null'", peer: nil))])
        #expect(errorCode(h.receive(frame: #"{"v":3,"type":"hello","uid":"a"}"#, from: s1), to: s1) == .unsupportedVersion)
        #expect(errorCode(h.receive(frame: #"{"v":1,"type":"signal","to":5}"#, from: s1), to: s1) == .malformed)
        #expect(h.receive(frame: #"{"v":1,"type":"hello","uid":"a"}"#, from: s1) == [.send(s1, .initial(you: "a", online: []))])
    }

    @Test func floodIsRateLimited() {
        var limits = ServerLimits()
        limits.burst = 10
        limits.burstPerPeer = 0
        limits.messagesPerSecond = 5
        var h = Harness(server: SignalingServer(limits: limits))
        h.join("a", on: s1)
        h.join("b", on: s2)
        // s2 has used 1 of its 10 tokens; 9 more signals pass, the 10th is one too many.
        for _ in 0..<9 {
            #expect(h.receive(.signal(from: nil, to: "a", payload: candidate), from: s2).count == 1)
        }
        #expect(h.receive(.signal(from: nil, to: "a", payload: candidate), from: s2) == [
            .send(s2, .error(code: .rateLimited, detail: "more than 5 messages per second", peer: nil)),
            .close(s2),
            .send(s1, .offline(uid: "b")),
        ])
        #expect(h.receive(.signal(from: nil, to: "a", payload: candidate), from: s2) == [])
        #expect(h.server.relayedSignals == 9)
    }

    @Test func rateLimitRefillsWithTime() {
        var limits = ServerLimits()
        limits.burst = 2
        limits.burstPerPeer = 0
        limits.messagesPerSecond = 1
        var h = Harness(server: SignalingServer(limits: limits))
        h.join("a", on: s1)
        h.join("b", on: s2)
        // One message per second forever is fine; the clock may even jump far ahead.
        for i in 1...100 {
            h.now = Int64(i) * 1_000_000_000
            #expect(h.receive(.signal(from: nil, to: "a", payload: candidate), from: s2).count == 1)
        }
        h.now = .max
        #expect(h.receive(.signal(from: nil, to: "a", payload: candidate), from: s2).count == 1)
        #expect(h.receive(.signal(from: nil, to: "a", payload: candidate), from: s2).count == 1)
        #expect(errorCode(Array(h.receive(.signal(from: nil, to: "a", payload: candidate), from: s2).prefix(1)), to: s2) == .rateLimited)
    }

    @Test func defaultLimitsLetAPageAnswerAThousandPeers() {
        // A page joining a 1,000-page mesh answers every offer at once: about 5 messages each.
        var h = Harness()
        for i in 0..<1000 { h.join("p\(i)", on: SocketID(UInt32(i))) }
        let me = SocketID(999)
        for i in 0..<999 {
            for _ in 0..<5 {
                #expect(h.receive(.signal(from: nil, to: "p\(i)", payload: candidate), from: me).count == 1)
            }
        }
        #expect(h.server.relayedSignals == 999 * 5)
    }
}
