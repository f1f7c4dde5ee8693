import Testing
@testable import SignalProtocol

// The behaviours policies switch on (docs/policies.md): per-page-load instance ids on the wire,
// in the server and in the mesh manager; perfect negotiation on glare; ICE restart after a
// `disconnected` grace period. One test per transition.

private func offer(_ session: UInt64) -> SessionDescription {
    SessionDescription(type: .offer, sessionID: session, version: 1, iceUfrag: "uo", icePwd: "po",
                       setup: .actpass, fingerprint: "fo")
}

private let candidate = ICECandidate(foundation: "1", priority: 2_130_706_431,
                                     address: TransportAddress(ip: 0x0A00_0009, port: 5000), type: .host, ufrag: "uo")

/// Actions as short lines; notes keep their text (the decisions are what is tested).
private func render(_ a: MeshAction) -> String {
    switch a {
    case .createConnection(let id, let remote, let role): return "create \(id.raw) \(remote) \(role.name)"
    case .createDataChannel(let id, _): return "channel \(id.raw)"
    case .operation(let id, .createOffer): return "op \(id.raw) createOffer"
    case .operation(let id, .createAnswer): return "op \(id.raw) createAnswer"
    case .operation(let id, .setRemoteDescription(let d)): return "op \(id.raw) setRemoteDescription(\(d.type))"
    case .operation(let id, _): return "op \(id.raw) other"
    case .close(let id): return "close \(id.raw)"
    case .sendSignal(let to, let p, let instance): return "signal \(to)@\(instance ?? "-") \(p.kindName)"
    case .sendData(let id, _, _): return "data \(id.raw)"
    case .note(_, let text): return "note: \(text)"
    case .setTimer(let remote, _, let delay, _): return "timer \(remote) \(delay / 1_000_000)ms"
    case .rejoin(let uid): return "rejoin \(uid)"
    case .restartIce(let id): return "restartIce \(id.raw)"
    }
}

private struct Page {
    var mesh: MeshManager
    init(_ policy: any MeshPolicy, instance: String? = "me-1") { mesh = MeshManager(policy: policy, instance: instance) }

    mutating func receive(_ m: WireMessage) -> [String] {
        var out: [MeshAction] = []
        mesh.receive(m, into: &out)
        return out.map(render)
    }

    mutating func event(_ id: UInt32, _ e: PCEvent) -> [String] {
        var out: [MeshAction] = []
        mesh.connectionEvent(LinkID(id), e, into: &out)
        return out.map(render)
    }

    mutating func timer(_ remote: String, _ token: UInt32) -> [String] {
        var out: [MeshAction] = []
        mesh.timerFired(remote: remote, token: token, into: &out)
        return out.map(render)
    }

    /// Link 0 to `remote` (page load `instance`) connected with its channel open.
    mutating func connected(to remote: String, instance: String?, active: Bool) {
        if active {
            _ = receive(.initial(you: "me", online: ["me"], instances: [instance == nil ? nil : "me-1"]))
            _ = receive(.online(uid: remote, instance: instance))
        } else {
            _ = receive(.initial(you: "me", online: ["me", remote], instances: ["me-1", instance]))
        }
        _ = event(0, .connectionStateChange(.connected))
        _ = event(0, .dataChannelOpen(label: "mesh", announced: false))
    }
}

private let ids = PolicySpec.keepLiveLinks

/// The recommended policy plus an ICE restart after 2 s `disconnected`.
private let graceful: PolicySpec = {
    var p = PolicySpec.keepLiveLinks
    p.iceRestartAfterDisconnectedNs = 2_000_000_000
    return p
}()

@Suite struct InstanceIdWireTests {
    @Test func instanceFieldsAreVersionTwoAndOnlyWhenPresent() {
        #expect(WireCodec.encode(.hello(uid: "a", instance: "i1")) == #"{"v":2,"type":"hello","uid":"a","instance":"i1"}"#)
        #expect(WireCodec.encode(.online(uid: "b", instance: "i2")) == #"{"v":2,"type":"online","uid":"b","instance":"i2"}"#)
        #expect(WireCodec.encode(.initial(you: "a", online: ["b", "c"], instances: ["i2", nil])) ==
            #"{"v":2,"type":"init","you":"a","online":["b","c"],"instances":["i2",null]}"#)
        #expect(WireCodec.encode(.signal(from: "a", to: "b", payload: .endOfCandidates(ufrag: "u"), fromInstance: "i1", toInstance: "i2")) ==
            #"{"v":2,"type":"signal","from":"a","to":"b","fromInstance":"i1","toInstance":"i2","payload":{"type":"endOfCandidates","ufrag":"u"}}"#)
        #expect(WireCodec.encode(.online(uid: "b")) == #"{"v":1,"type":"online","uid":"b"}"#)
    }

    @Test func versionTwoRoundTripsAndVersionOneIgnoresInstanceFields() {
        for m: WireMessage in [.hello(uid: "a", secret: "s", instance: "i"), .online(uid: "b", instance: "j"),
                               .initial(you: "a", online: ["b"], secret: "s", instances: ["j"]),
                               .signal(from: "a", to: "b", payload: .candidate(candidate), fromInstance: "i", toInstance: nil)] {
            #expect(WireCodec.decode(WireCodec.encode(m)) == .success(m))
        }
        #expect(WireCodec.decode(#"{"v":1,"type":"online","uid":"b","instance":"j"}"#) == .success(.online(uid: "b")))
    }
}

@Suite struct InstanceIdServerTests {
    private func run(_ server: inout SignalingServer, _ m: WireMessage, from s: SocketID) -> [ServerAction] {
        var out: [ServerAction] = []
        server.receive(m, from: s, at: 0, into: &out)
        return out
    }

    @Test func theServerAnnouncesInstancesAndStampsTheSendersOnSignals() {
        var server = SignalingServer(secretSeed: 1)
        var out: [ServerAction] = []
        let a = SocketID(1), b = SocketID(2)
        server.socketOpened(a, at: 0, into: &out)
        server.socketOpened(b, at: 0, into: &out)
        _ = run(&server, .hello(uid: "a", instance: "a-1"), from: a)
        let hello = run(&server, .hello(uid: "b", instance: "b-1"), from: b)
        #expect(hello.contains { if case .send(b, .initial("b", ["a"], _, ["a-1"])) = $0 { true } else { false } })
        #expect(hello.contains(.send(a, .online(uid: "b", instance: "b-1"))))
        // A page's fromInstance is ignored: the server writes the sender's registered one.
        let relayed = run(&server, .signal(from: nil, to: "a", payload: .endOfCandidates(ufrag: "u"), fromInstance: "forged", toInstance: "a-1"), from: b)
        #expect(relayed == [.send(a, .signal(from: "b", to: "a", payload: .endOfCandidates(ufrag: "u"), fromInstance: "b-1", toInstance: "a-1"))])
    }
}

@Suite struct InstanceIdManagerTests {
    @Test func onlineForTheSamePageLoadKeepsAConnectedLink() {
        var p = Page(ids)
        p.connected(to: "x", instance: "x-1", active: true)
        #expect(p.receive(.online(uid: "x", instance: "x-1")) == ["note: online: ignored, already connected"])
        #expect(p.mesh.link(to: "x")?.destroyed == false)
    }

    @Test func onlineForANewPageLoadReplacesAConnectedLink() {
        var p = Page(ids)
        p.connected(to: "x", instance: "x-1", active: true)
        #expect(p.receive(.online(uid: "x", instance: "x-2")) ==
            ["note: online: a new page load of x: dial", "close 0", "create 1 x active", "channel 1", "op 1 createOffer"])
        #expect(p.mesh.link(to: "x")?.remoteInstance == "x-2")
    }

    @Test func initForTheSamePageLoadKeepsAndForANewOneWaitsPassively() {
        var p = Page(ids)
        p.connected(to: "x", instance: "x-1", active: false)
        #expect(p.receive(.initial(you: "me", online: ["x"], instances: ["x-1"])) == ["note: init: ignored, already connected"])
        #expect(p.receive(.initial(you: "me", online: ["x"], instances: ["x-2"])) == ["close 0", "create 1 x passive"])
    }

    /// `passiveIfDownOrNewPageLoad` (the recommended policy): after this page's own outage a
    /// link to the same page load that is only `disconnected` may heal and is kept; one that
    /// never came up, or failed, is replaced by a passive one.
    @Test func initKeepsADisconnectedLinkToTheSamePageLoad() {
        var p = Page(ids)
        p.connected(to: "x", instance: "x-1", active: false)
        _ = p.event(0, .connectionStateChange(.disconnected))
        #expect(p.receive(.initial(you: "me", online: ["x"], instances: ["x-1"])) == ["note: init: ignored, already connected"])
        #expect(p.mesh.link(to: "x")?.destroyed == false)
        _ = p.event(0, .connectionStateChange(.failed))
        let out = p.receive(.initial(you: "me", online: ["x"], instances: ["x-1"]))
        #expect(out.suffix(1) == ["create 1 x passive"])
    }

    @Test func initReplacesALinkThatNeverCameUp() {
        var p = Page(ids)
        _ = p.receive(.initial(you: "me", online: ["me"], instances: ["me-1"]))
        _ = p.receive(.online(uid: "x", instance: "x-1"))
        _ = p.event(0, .connectionStateChange(.connecting))
        // Its offer went out while the WebSocket was down: waiting on it would deadlock the pair.
        #expect(p.receive(.initial(you: "me", online: ["x"], instances: ["x-1"])) == ["close 0", "create 1 x passive"])
        // The older rule tore a merely disconnected link down too.
        var old = PolicySpec.keepLiveLinks
        old.onInit = .passiveIfNotConnectedOrNewPageLoad
        var q = Page(old)
        q.connected(to: "x", instance: "x-1", active: false)
        _ = q.event(0, .connectionStateChange(.disconnected))
        #expect(q.receive(.initial(you: "me", online: ["x"], instances: ["x-1"])) == ["close 0", "create 1 x passive"])
    }

    @Test func signalsCarryTheRemotePageLoadTheyAreFor() {
        var p = Page(ids)
        _ = p.receive(.initial(you: "me", online: ["me"]))
        _ = p.receive(.online(uid: "x", instance: "x-1"))
        #expect(p.event(0, .iceCandidate(candidate)) == ["signal x@x-1 candidate"])
    }

    @Test func aSignalFromAnOldPageLoadIsDropped() {
        var p = Page(ids)
        p.connected(to: "x", instance: "x-2", active: false)
        #expect(p.receive(.signal(from: "x", to: "me", payload: .candidate(candidate), fromInstance: "x-1")) ==
            ["note: signal candidate dropped: from an old page load of x"])
        #expect(p.receive(.signal(from: "x", to: "me", payload: .candidate(candidate), fromInstance: "x-2")) == ["op 0 other"])
    }

    @Test func aSignalForAnEarlierPageLoadOfMineIsDropped() {
        var p = Page(ids, instance: "me-2")
        _ = p.receive(.initial(you: "me", online: ["me", "x"], instances: ["me-2", "x-1"]))
        #expect(p.receive(.signal(from: "x", to: "me", payload: .description(offer(5)), fromInstance: "x-1", toInstance: "me-1")) ==
            ["note: signal offer dropped: meant for an earlier page load of mine"])
        #expect(p.receive(.signal(from: "x", to: "me", payload: .description(offer(5)), fromInstance: "x-1", toInstance: "me-2")) ==
            ["op 0 setRemoteDescription(offer)"])
    }

    @Test func withoutInstanceIdsThePolicyIgnoresThem() {
        var p = Page(PolicySpec.resilient)
        #expect(p.mesh.instance == nil)
        p.connected(to: "x", instance: "x-1", active: true)
        #expect(p.receive(.signal(from: "x", to: "me", payload: .candidate(candidate), fromInstance: "old", toInstance: "nobody")) == ["op 0 other"])
    }
}

@Suite struct PerfectNegotiationTests {
    /// Page `me` dialled `x` (link 0, its offer made) and x's own offer crosses it.
    private func crossing(me: String, glare: PolicySpec.GlareRule) -> (Page, [String]) {
        var policy = ids
        policy.glare = glare
        var p = Page(policy)
        _ = p.receive(.initial(you: me, online: [me]))
        _ = p.receive(.online(uid: "x", instance: "x-1"))
        _ = p.event(0, .signalingStateChange(.haveLocalOffer))
        let out = p.receive(.signal(from: "x", to: me, payload: .description(offer(77)), fromInstance: "x-1"))
        return (p, out)
    }

    @Test func theImpoliteSmallerUidIgnoresTheCrossingOffer() {
        let (p, out) = crossing(me: "a", glare: .perfectNegotiation)
        #expect(out == ["note: glare: offer ignored (impolite side)"])
        #expect(p.mesh.link(to: "x")?.role == .active && p.mesh.glareCount == 1)
    }

    @Test func thePoliteLargerUidGivesItsOfferUpAndAnswers() {
        let (p, out) = crossing(me: "z", glare: .perfectNegotiation)
        #expect(out == ["note: glare: polite side gives its offer up and answers", "close 0", "create 1 x passive",
                        "op 1 setRemoteDescription(offer)"])
        #expect(p.mesh.link(to: "x")?.role == .passive)
    }

    @Test func onTheSameConnectionThePoliteSideRollsBackBySettingTheOffer() {
        var policy = ids
        policy.glare = .perfectNegotiation
        var p = Page(policy)
        _ = p.receive(.initial(you: "z", online: ["z"]))
        _ = p.receive(.online(uid: "x", instance: "x-1"))
        _ = p.receive(.signal(from: "x", to: "z", payload: .description(SessionDescription(
            type: .answer, sessionID: 77, version: 1, iceUfrag: "u", icePwd: "p", setup: .active, fingerprint: "f")), fromInstance: "x-1"))
        _ = p.event(0, .signalingStateChange(.haveLocalOffer))
        #expect(p.receive(.signal(from: "x", to: "z", payload: .description(offer(77)), fromInstance: "x-1")) ==
            ["note: glare: polite side rolls back and answers", "op 0 setRemoteDescription(offer)"])
    }

    @Test func withoutPerfectNegotiationTheGlareIsOnlyCounted() {
        let (p, out) = crossing(me: "a", glare: .none)
        #expect(out == ["op 0 setRemoteDescription(offer)"])
        #expect(p.mesh.glareCount == 1)
    }

    @Test func anOfferWhileNotOfferingIsNoGlare() {
        var p = Page(ids)
        _ = p.receive(.initial(you: "a", online: ["a", "x"], instances: ["me-1", "x-1"]))
        #expect(p.receive(.signal(from: "x", to: "a", payload: .description(offer(77)), fromInstance: "x-1")) == ["op 0 setRemoteDescription(offer)"])
        #expect(p.mesh.glareCount == 0)
    }
}

@Suite struct DisconnectedGraceTests {
    private func disconnectedDialer() -> (Page, [String]) {
        var p = Page(graceful)
        p.connected(to: "x", instance: "x-1", active: true)
        _ = p.event(0, .operationComplete(.setLocalDescription, .success(offer(1))))
        let out = p.event(0, .connectionStateChange(.disconnected))
        return (p, out)
    }

    @Test func theDialerArmsATimerWhenItsConnectionIsDisconnected() {
        let (_, out) = disconnectedDialer()
        #expect(out == ["timer x 2000ms"])
    }

    @Test func stillDisconnectedAfterTheGraceItRestartsICE() {
        var (p, _) = disconnectedDialer()
        let token = lastToken(p)
        #expect(p.timer("x", token) == ["note: disconnected for 2 s: ICE restart", "restartIce 0", "op 0 createOffer"])
        #expect(p.mesh.link(to: "x")?.makingOffer == true)
    }

    @Test func connectedAgainBeforeTheGraceNothingHappens() {
        var (p, _) = disconnectedDialer()
        _ = p.event(0, .connectionStateChange(.connected))
        #expect(p.timer("x", lastToken(p)).isEmpty)
    }

    @Test func thePassiveSideWaitsForTheDialer() {
        var p = Page(graceful)
        p.connected(to: "x", instance: "x-1", active: false)
        #expect(p.event(0, .connectionStateChange(.disconnected)).isEmpty)
    }

    /// The token of the timer just armed: tokens count up from 1 in one manager.
    private func lastToken(_ p: Page) -> UInt32 { 1 }

    @Test func withoutAGraceNothingIsArmed() {
        var p = Page(ids)
        p.connected(to: "x", instance: "x-1", active: true)
        #expect(p.event(0, .connectionStateChange(.disconnected)).isEmpty)
    }
}
