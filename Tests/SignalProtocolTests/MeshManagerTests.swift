import Testing
@testable import SignalProtocol

// Unit tests of the notes' mesh manager: wire messages and peer-connection events in, actions out.

private func offer(_ session: UInt64 = 11) -> SessionDescription {
    SessionDescription(type: .offer, sessionID: session, version: 1, iceUfrag: "uo", icePwd: "po",
                       setup: .actpass, fingerprint: "fo")
}

private func answer(_ session: UInt64 = 22) -> SessionDescription {
    SessionDescription(type: .answer, sessionID: session, version: 1, iceUfrag: "ua", icePwd: "pa",
                       setup: .active, fingerprint: "fa")
}

private let sampleCandidate = ICECandidate(foundation: "1", priority: 2_130_706_431,
                                           address: TransportAddress(ip: 0x0A00_0009, port: 5000), type: .host, ufrag: "uo")

private func describe(_ op: PCOperation) -> String {
    switch op {
    case .createOffer: return "createOffer"
    case .createAnswer: return "createAnswer"
    case .setLocalDescription(let d): return "setLocalDescription(\(d.map { $0.type.description } ?? "implicit"))"
    case .setRemoteDescription(let d): return "setRemoteDescription(\(d.type))"
    case .addIceCandidate(let p): return "addIceCandidate(\(p.kindName))"
    }
}

/// One line per action; notes keep only their remote so tests do not depend on the wording.
private func render(_ a: MeshAction) -> String {
    switch a {
    case .createConnection(let id, let remote, let role): return "create \(id.raw) \(remote) \(role.name)"
    case .createDataChannel(let id, let label): return "channel \(id.raw) \(label)"
    case .operation(let id, let op): return "op \(id.raw) \(describe(op))"
    case .close(let id): return "close \(id.raw)"
    case .sendSignal(let to, let p, _): return "signal \(to) \(p.kindName)"
    case .sendData(let id, let label, let size): return "data \(id.raw) \(label) \(size)"
    case .note(let remote, _): return "note \(remote)"
    case .setTimer(let remote, _, let delay, _): return "timer \(remote) \(delay)"
    case .rejoin(let uid): return "rejoin \(uid)"
    case .restartIce(let id): return "restartIce \(id.raw)"
    }
}

private final class Manager {
    var mesh: MeshManager
    init(policy: any MeshPolicy = SeedPolicy()) { mesh = MeshManager(policy: policy) }

    func receive(_ m: WireMessage) -> [MeshAction] {
        var out: [MeshAction] = []
        mesh.receive(m, into: &out)
        return out
    }

    func event(_ id: UInt32, _ e: PCEvent) -> [MeshAction] {
        var out: [MeshAction] = []
        mesh.connectionEvent(LinkID(id), e, into: &out)
        return out
    }

    func completed(_ id: UInt32, _ kind: PCOperationKind, _ d: SessionDescription?) -> [MeshAction] {
        event(id, .operationComplete(kind, .success(d)))
    }

    /// Page "me" whose init listed `online` (passive links), nothing else.
    static func joined(as me: String = "me", online: [String] = [], policy: any MeshPolicy = SeedPolicy()) -> Manager {
        let m = Manager(policy: policy)
        _ = m.receive(.initial(you: me, online: [me] + online))
        return m
    }
}

private func lines(_ actions: [MeshAction]) -> [String] { actions.map(render) }

@Suite("MeshManager")
struct MeshManagerTests {
    // MARK: init and online

    @Test func initCreatesOnePassiveLinkPerOnlineIdSkippingItselfAndSendsNoOffer() {
        let m = Manager()
        let out = m.receive(.initial(you: "b", online: ["a", "b", "c"]))
        #expect(lines(out) == ["create 0 a passive", "create 1 c passive"])
        #expect(m.mesh.me == "b")
        #expect(m.mesh.link(to: "a")?.role == .passive)
        #expect(m.mesh.link(to: "c")?.role == .passive)
        #expect(m.mesh.link(to: "b") == nil)
    }

    @Test func onlineCreatesAnActiveLinkThatCreatesTheMeshChannelAndOffers() {
        let m = Manager.joined()
        let out = m.receive(.online(uid: "x"))
        #expect(lines(out) == ["create 0 x active", "channel 0 mesh", "op 0 createOffer"])
        #expect(m.mesh.link(to: "x")?.role == .active)
    }

    @Test func onlineForItsOwnIdIsIgnored() {
        let m = Manager.joined()
        #expect(m.receive(.online(uid: "me")).isEmpty)
        #expect(m.mesh.links.isEmpty)
    }

    // MARK: offer/answer chains

    @Test func createOfferCompletionAppliesTheOfferLocally() throws {
        let m = Manager.joined()
        _ = m.receive(.online(uid: "x"))
        let out = m.completed(0, .createOffer, offer())
        #expect(lines(out) == ["op 0 setLocalDescription(offer)"])
        guard case .operation(_, .setLocalDescription(let d))? = out.first else { Issue.record("no SLD"); return }
        #expect(d == offer())
    }

    @Test func setLocalDescriptionOfTheOfferSendsItThroughTheServer() throws {
        let m = Manager.joined()
        _ = m.receive(.online(uid: "x"))
        let out = m.completed(0, .setLocalDescription, offer())
        #expect(lines(out) == ["signal x offer"])
        guard case .sendSignal(_, .description(let d), _)? = out.first else { Issue.record("no signal"); return }
        #expect(d == offer())
    }

    @Test func aReceivedOfferIsAppliedAnsweredAndTheAnswerSent() {
        let m = Manager.joined(online: ["a"])
        #expect(lines(m.receive(.signal(from: "a", to: "me", payload: .description(offer())))) == ["op 0 setRemoteDescription(offer)"])
        #expect(lines(m.completed(0, .setRemoteDescription, offer())) == ["op 0 createAnswer"])
        #expect(lines(m.completed(0, .createAnswer, answer())) == ["op 0 setLocalDescription(answer)"])
        #expect(lines(m.completed(0, .setLocalDescription, answer())) == ["signal a answer"])
    }

    @Test func anAppliedAnswerIsNotAnswered() {
        let m = Manager.joined()
        _ = m.receive(.online(uid: "x"))
        #expect(lines(m.receive(.signal(from: "x", to: "me", payload: .description(answer())))) == ["op 0 setRemoteDescription(answer)"])
        #expect(m.completed(0, .setRemoteDescription, answer()).isEmpty)
    }

    @Test func aFailedSetRemoteDescriptionOfAnOfferIsNotedAndNotAnswered() {
        let m = Manager.joined(online: ["a"])
        _ = m.receive(.signal(from: "a", to: "me", payload: .description(offer())))
        let failed = m.event(0, .operationComplete(.setRemoteDescription,
                                                   .failure(RTCError(name: .invalidStateError, message: "wrong state"))))
        #expect(lines(failed) == ["note a"])
        // A later successful SRD (of an answer, say) must not produce an answer to the failed offer.
        #expect(m.completed(0, .setRemoteDescription, answer()).isEmpty)
    }

    // MARK: candidates

    @Test func receivedCandidatesBecomeAddIceCandidate() {
        let m = Manager.joined(online: ["a"])
        let out = m.receive(.signal(from: "a", to: "me", payload: .candidate(sampleCandidate)))
        #expect(lines(out) == ["op 0 addIceCandidate(candidate)"])
        guard case .operation(_, .addIceCandidate(.candidate(let c)))? = out.first else { Issue.record("no addIceCandidate"); return }
        #expect(c == sampleCandidate)
        let end = m.receive(.signal(from: "a", to: "me", payload: .endOfCandidates(ufrag: "uo")))
        #expect(lines(end) == ["op 0 addIceCandidate(endOfCandidates)"])
    }

    @Test func aLocalCandidateIsSentAsASignal() {
        let m = Manager.joined(online: ["a"])
        let out = m.event(0, .iceCandidate(sampleCandidate))
        #expect(lines(out) == ["signal a candidate"])
        guard case .sendSignal(_, .candidate(let c), _)? = out.first else { Issue.record("no candidate signal"); return }
        #expect(c == sampleCandidate)
    }

    @Test func theNullEndOfCandidatesIsNotSent() {
        let m = Manager.joined(online: ["a"])
        #expect(m.event(0, .iceCandidate(nil)).isEmpty)
    }

    // MARK: strategy 1

    @Test func onlineForAConnectedIdIsIgnoredWithANote() {
        let m = Manager.joined()
        _ = m.receive(.online(uid: "x"))
        _ = m.event(0, .dataChannelOpen(label: "mesh", announced: false))
        let out = m.receive(.online(uid: "x"))
        #expect(lines(out) == ["note x"])
        #expect(m.mesh.links.count == 1)
        #expect(m.mesh.link(to: "x")?.destroyed == false)
    }

    @Test func onlineForAKnownPassiveIdThatIsNotConnectedClosesItAndDialsActively() {
        let m = Manager.joined(online: ["a"])
        let out = m.receive(.online(uid: "a"))
        #expect(lines(out) == ["note a", "close 0", "create 1 a active", "channel 1 mesh", "op 1 createOffer"])
        #expect(m.mesh.link(LinkID(0))?.destroyed == true)
        #expect(m.mesh.link(to: "a")?.id == LinkID(1))
        #expect(m.mesh.link(to: "a")?.role == .active)
    }

    @Test func onlineForAKnownActiveIdThatIsNotConnectedRedials() {
        let m = Manager.joined()
        _ = m.receive(.online(uid: "x"))
        _ = m.event(0, .connectionStateChange(.connecting))
        let out = m.receive(.online(uid: "x"))
        #expect(lines(out) == ["note x", "close 0", "create 1 x active", "channel 1 mesh", "op 1 createOffer"])
    }

    @Test func seedReadsConnectedAsTheDataChannelOpen() {
        let m = Manager.joined(policy: SeedPolicy())
        _ = m.receive(.online(uid: "x"))
        _ = m.event(0, .connectionStateChange(.connected))
        // connectionState is connected but the channel is not open: seed dials again.
        #expect(lines(m.receive(.online(uid: "x"))).contains("close 0"))
        _ = m.event(1, .dataChannelOpen(label: "mesh", announced: false))
        _ = m.event(1, .connectionStateChange(.disconnected))
        // The channel is open, whatever the connection says: seed ignores.
        #expect(lines(m.receive(.online(uid: "x"))) == ["note x"])
    }

    @Test func seedStrictReadsConnectedAsConnectionStateConnected() {
        let m = Manager.joined(policy: SeedStrictPolicy())
        _ = m.receive(.online(uid: "x"))
        _ = m.event(0, .connectionStateChange(.connected))
        #expect(lines(m.receive(.online(uid: "x"))) == ["note x"])
        _ = m.event(0, .dataChannelOpen(label: "mesh", announced: false))
        _ = m.event(0, .connectionStateChange(.disconnected))
        // The channel is open but the connection is not connected: seed-strict dials again.
        #expect(lines(m.receive(.online(uid: "x"))).contains("close 0"))
    }

    @Test func thePoliciesAreNamedAsTheCommandLineKnowsThem() {
        #expect(Policies.named("seed")?.name == "seed")
        #expect(Policies.named("seed-strict")?.name == "seed-strict")
        #expect(Policies.named("nope") == nil)
    }

    // MARK: teardown

    @Test func theChannelOpeningSendsTheProbe() {
        let m = Manager.joined()
        _ = m.receive(.online(uid: "x"))
        #expect(lines(m.event(0, .dataChannelOpen(label: "mesh", announced: false))) == ["data 0 mesh 16"])
        #expect(m.mesh.link(to: "x")?.dataChannelOpen == true)
    }

    @Test func theChannelClosingDestroysTheLink() {
        let m = Manager.joined()
        _ = m.receive(.online(uid: "x"))
        _ = m.event(0, .dataChannelOpen(label: "mesh", announced: false))
        let out = m.event(0, .dataChannelClosed(label: "mesh", error: true))
        #expect(lines(out) == ["note x", "close 0"])
        #expect(m.mesh.link(to: "x")?.destroyed == true)
        #expect(m.mesh.link(to: "x")?.dataChannelOpen == false)
    }

    @Test func connectionFailedDestroysTheLink() {
        let m = Manager.joined()
        _ = m.receive(.online(uid: "x"))
        let out = m.event(0, .connectionStateChange(.failed))
        #expect(lines(out) == ["note x", "close 0"])
        #expect(m.mesh.link(to: "x")?.destroyed == true)
    }

    @Test func underRestartICEAFailedDialerRestartsICEAndOffersAgainInPlace() {
        let m = Manager.joined(policy: RestartICEPolicy())
        _ = m.receive(.online(uid: "x"))
        let out = m.event(0, .connectionStateChange(.failed))
        #expect(lines(out) == ["note x", "restartIce 0", "op 0 createOffer"])
        #expect(m.mesh.link(to: "x")?.destroyed == false)
    }

    @Test func underRestartICEAFailedPassiveSideWaitsForTheDialersOffer() {
        let m = Manager.joined(online: ["x"], policy: RestartICEPolicy())
        let out = m.event(0, .connectionStateChange(.failed))
        #expect(lines(out) == ["note x"])
        #expect(m.mesh.link(to: "x")?.destroyed == false)
        // The restart offer of the same connection is applied and answered on the same link.
        _ = m.receive(.signal(from: "x", to: "me", payload: .description(offer(11))))
        #expect(lines(m.receive(.signal(from: "x", to: "me", payload: .description(offer(11))))) == ["op 0 setRemoteDescription(offer)"])
    }

    @Test func connectionDisconnectedDoesNotDestroyTheLink() {
        let m = Manager.joined()
        _ = m.receive(.online(uid: "x"))
        #expect(m.event(0, .connectionStateChange(.disconnected)).isEmpty)
        #expect(m.mesh.link(to: "x")?.destroyed == false)
    }

    @Test func eventsOfADestroyedLinkAreIgnored() {
        let m = Manager.joined()
        _ = m.receive(.online(uid: "x"))
        _ = m.event(0, .connectionStateChange(.failed))
        #expect(m.event(0, .iceCandidate(sampleCandidate)).isEmpty)
        #expect(m.event(0, .dataChannelClosed(label: "mesh", error: false)).isEmpty)
        #expect(m.completed(0, .createOffer, offer()).isEmpty)
    }

    @Test func onlineAfterADestroyDialsWithoutClosingAgain() {
        let m = Manager.joined()
        _ = m.receive(.online(uid: "x"))
        _ = m.event(0, .connectionStateChange(.failed))
        #expect(lines(m.receive(.online(uid: "x"))) == ["create 1 x active", "channel 1 mesh", "op 1 createOffer"])
    }

    // MARK: other messages

    @Test func aSignalFromAnUnknownIdIsDroppedWithANote() {
        let m = Manager.joined(online: ["a"])
        #expect(lines(m.receive(.signal(from: "stranger", to: "me", payload: .description(offer())))) == ["note stranger"])
        #expect(m.mesh.links.count == 1)
    }

    @Test func aSignalForADestroyedLinkIsDroppedWithANote() {
        let m = Manager.joined()
        _ = m.receive(.online(uid: "x"))
        _ = m.event(0, .connectionStateChange(.failed))
        #expect(lines(m.receive(.signal(from: "x", to: "me", payload: .candidate(sampleCandidate)))) == ["note x"])
    }

    @Test func offlineDoesNothing() {
        let m = Manager.joined(online: ["a"])
        #expect(m.receive(.offline(uid: "a")).isEmpty)
        #expect(m.mesh.link(to: "a")?.destroyed == false)
    }
}
