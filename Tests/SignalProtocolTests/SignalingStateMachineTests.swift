import Testing
@testable import SignalProtocol

// Tests of the JSEP signaling machine against webrtc-facts T1/T2, the WPT assertions A1–A22 of
// webrtc-facts §7, and the Chromium messages of calibration experiments 4 and 5.

// MARK: - Fixtures

/// A description of this connection (session 1) or of the remote one (session 2).
private func desc(_ type: SDPType, session: UInt64 = 1, version: UInt32) -> SessionDescription {
    SessionDescription(type: type, sessionID: session, version: version, iceUfrag: "u\(session)v\(version)",
                       icePwd: "pwd", setup: type == .offer ? .actpass : .active, fingerprint: "fp\(session)")
}

private let localOffer = desc(.offer, version: 2)
private let localAnswer = desc(.answer, version: 1)
private let localPranswer = desc(.pranswer, version: 1)  // localAnswer with its type changed
private let firstRemoteOffer = desc(.offer, session: 2, version: 0)
private let firstAnswer = desc(.answer, version: 0)
private let remoteOffer0 = desc(.offer, session: 2, version: 1)
private let remoteOffer = desc(.offer, session: 2, version: 2)
private let remotePranswer = desc(.pranswer, session: 2, version: 3)
private let remoteAnswer = desc(.answer, session: 2, version: 3)

fileprivate extension Result {
    var error: Failure? {
        if case .failure(let e) = self { return e }
        return nil
    }
    var value: Success? {
        if case .success(let v) = self { return v }
        return nil
    }
}

/// Drives a machine into `state`, with `[[LastCreatedOffer]]` = `localOffer` and
/// `[[LastCreatedAnswer]]` = `localAnswer`, so that an SLD of the right kind is judged by the state
/// table and not by the last-created check, and with a remote description in every state.
///
/// Every fixture starts with one completed negotiation as answerer (current descriptions
/// `firstAnswer` / `firstRemoteOffer`; completing it clears both last-created slots), then answers
/// `remoteOffer0` and rolls it back, which keeps `localAnswer` as `[[LastCreatedAnswer]]` where no
/// state could create it (`stable`, `have-local-offer`, `have-remote-pranswer`).
private func machine(in state: SignalingState) -> SignalingStateMachine {
    var m = SignalingStateMachine()
    func ok<T>(_ r: Result<T, RTCError>) { precondition(r.error == nil, "fixture: \(r)") }
    ok(m.setRemoteDescription(firstRemoteOffer)); ok(m.createAnswer(firstAnswer)); ok(m.setLocalDescription(firstAnswer))
    ok(m.setRemoteDescription(remoteOffer0)); ok(m.createAnswer(localAnswer)); ok(m.setRemoteDescription(.rollback))
    ok(m.createOffer(localOffer))
    switch state {
    case .stable:
        break
    case .haveLocalOffer:
        ok(m.setLocalDescription(localOffer))
    case .haveRemoteOffer:
        ok(m.setRemoteDescription(remoteOffer0)); ok(m.createAnswer(localAnswer))
    case .haveLocalPranswer:
        ok(m.setRemoteDescription(remoteOffer0)); ok(m.createAnswer(localAnswer)); ok(m.setLocalDescription(localPranswer))
    case .haveRemotePranswer:
        ok(m.setLocalDescription(localOffer)); ok(m.setRemoteDescription(remotePranswer))
    case .closed:
        ok(m.setLocalDescription(localOffer))
        m.close()
    }
    precondition(m.state == state && m.lastCreatedOffer == localOffer && m.lastCreatedAnswer == localAnswer)
    return m
}

// MARK: - T1: every state × every SLD/SRD type

extension SignalingStateMachineTests {
    enum Side: String, Sendable { case local = "SLD", remote = "SRD" }

    enum Outcome: Sendable, Equatable {
        /// Success; the states entered, in order.
        case entered([SignalingState])
        /// `InvalidStateError`, with the tail of the message after "Failed to execute '...' on 'RTCPeerConnection': ".
        case invalidState(String)
    }

    struct Cell: Sendable, CustomStringConvertible {
        var state: SignalingState
        var side: Side
        var type: SDPType
        var outcome: Outcome
        var description: String { "\(state.w3cName) × \(side.rawValue)(\(type))" }
    }

    static func wrong(_ side: Side, _ type: SDPType, _ state: SignalingState) -> Outcome {
        .invalidState("Failed to set \(side == .local ? "local" : "remote") \(type) sdp: Called in wrong state: \(state.w3cName)")
    }

    static func wrongRollback(_ side: Side, _ state: SignalingState) -> Outcome {
        side == .local
            ? .invalidState("Called in wrong signalingState: \(state.w3cName)")
            : .invalidState("Failed to set remote rollback sdp: Called in wrong signalingState: \(state.w3cName)")
    }

    /// webrtc-facts T1, row by row.
    static let t1Cells: [Cell] = {
        var cells: [Cell] = []
        func row(_ s: SignalingState, _ outcomes: [Outcome]) {
            let columns: [(Side, SDPType)] = [(.local, .offer), (.local, .pranswer), (.local, .answer), (.local, .rollback),
                                              (.remote, .offer), (.remote, .pranswer), (.remote, .answer), (.remote, .rollback)]
            for (i, c) in columns.enumerated() { cells.append(Cell(state: s, side: c.0, type: c.1, outcome: outcomes[i])) }
        }
        row(.stable, [.entered([.haveLocalOffer]), wrong(.local, .pranswer, .stable), wrong(.local, .answer, .stable),
                      wrongRollback(.local, .stable),
                      .entered([.haveRemoteOffer]), wrong(.remote, .pranswer, .stable), wrong(.remote, .answer, .stable),
                      wrongRollback(.remote, .stable)])
        row(.haveLocalOffer, [.entered([]), wrong(.local, .pranswer, .haveLocalOffer), wrong(.local, .answer, .haveLocalOffer),
                              .entered([.stable]),
                              .entered([.stable, .haveRemoteOffer]), .entered([.haveRemotePranswer]), .entered([.stable]),
                              .entered([.stable])])
        row(.haveRemoteOffer, [wrong(.local, .offer, .haveRemoteOffer), .entered([.haveLocalPranswer]), .entered([.stable]),
                               .entered([.stable]),
                               .entered([]), wrong(.remote, .pranswer, .haveRemoteOffer), wrong(.remote, .answer, .haveRemoteOffer),
                               .entered([.stable])])
        row(.haveLocalPranswer, [wrong(.local, .offer, .haveLocalPranswer), .entered([]), .entered([.stable]),
                                 wrongRollback(.local, .haveLocalPranswer),
                                 wrong(.remote, .offer, .haveLocalPranswer), wrong(.remote, .pranswer, .haveLocalPranswer),
                                 wrong(.remote, .answer, .haveLocalPranswer), wrongRollback(.remote, .haveLocalPranswer)])
        row(.haveRemotePranswer, [wrong(.local, .offer, .haveRemotePranswer), wrong(.local, .pranswer, .haveRemotePranswer),
                                  wrong(.local, .answer, .haveRemotePranswer), wrongRollback(.local, .haveRemotePranswer),
                                  wrong(.remote, .offer, .haveRemotePranswer), .entered([]), .entered([.stable]),
                                  wrongRollback(.remote, .haveRemotePranswer)])
        let closed = Outcome.invalidState("The RTCPeerConnection's signalingState is 'closed'.")
        row(.closed, Array(repeating: closed, count: 8))
        return cells
    }()

    /// The description each column applies: SLD uses what this connection created last, SRD a new
    /// description of the remote peer.
    static func appliedDescription(for side: Side, _ type: SDPType) -> SessionDescription {
        switch (side, type) {
        case (_, .rollback): return .rollback
        case (.local, .offer): return localOffer
        case (.local, .pranswer): return localPranswer
        case (.local, .answer): return localAnswer
        case (.remote, .offer): return remoteOffer
        case (.remote, .pranswer): return remotePranswer
        case (.remote, .answer): return remoteAnswer
        }
    }
}

/// Outside `closed`, a pending local description exists exactly in the local-offer/pranswer states
/// and a pending remote one exactly in the remote-offer/pranswer states (plus the offer each
/// pranswer answers).
private func checkSlotInvariant(_ m: SignalingStateMachine, sourceLocation: SourceLocation = #_sourceLocation) {
    let (local, remote): (Bool, Bool)
    switch m.state {
    case .stable: (local, remote) = (false, false)
    case .haveLocalOffer: (local, remote) = (true, false)
    case .haveRemoteOffer: (local, remote) = (false, true)
    case .haveLocalPranswer, .haveRemotePranswer: (local, remote) = (true, true)
    case .closed: return
    }
    #expect((m.pendingLocalDescription != nil) == local, sourceLocation: sourceLocation)
    #expect((m.pendingRemoteDescription != nil) == remote, sourceLocation: sourceLocation)
}

// MARK: - Other operations by state (T1, second table)

private let createOfferError = RTCError(
    name: .invalidStateError,
    message: "Failed to execute 'createOffer' on 'RTCPeerConnection': PeerConnection cannot create an offer in a state other than stable or have-local-offer.")

private let createAnswerError = RTCError(
    name: .invalidStateError,
    message: "Failed to execute 'createAnswer' on 'RTCPeerConnection': PeerConnection cannot create an answer in a state other than have-remote-offer or have-local-pranswer.")

private func closedError(_ method: String) -> RTCError {
    RTCError(name: .invalidStateError,
             message: "Failed to execute '\(method)' on 'RTCPeerConnection': The RTCPeerConnection's signalingState is 'closed'.")
}

private let noRemoteDescription = RTCError(
    name: .invalidStateError,
    message: "Failed to execute 'addIceCandidate' on 'RTCPeerConnection': The remote description was null")

@Suite struct SignalingStateMachineTests {
    @Test("T1 has 48 cells") func t1IsComplete() {
        #expect(Self.t1Cells.count == 6 * 8)
    }

    @Test("T1 cell", arguments: SignalingStateMachineTests.t1Cells)
    func t1Cell(_ cell: Cell) {
        var m = machine(in: cell.state)
        let before = m
        let d = Self.appliedDescription(for: cell.side, cell.type)
        let result = cell.side == .local ? m.setLocalDescription(d) : m.setRemoteDescription(d)
        let method = cell.side == .local ? "setLocalDescription" : "setRemoteDescription"
        switch cell.outcome {
        case .entered(let events):
            #expect(result.value == events)
            #expect(m.state == (events.last ?? cell.state))
        case .invalidState(let tail):
            #expect(result.error == RTCError(name: .invalidStateError,
                                             message: "Failed to execute '\(method)' on 'RTCPeerConnection': \(tail)"))
            #expect(m == before, "a rejected call changes nothing")
        }
        checkSlotInvariant(m)
    }

    // MARK: - Pending and current descriptions (webrtc-facts §2)

    @Test func localOfferThenRemoteAnswerFillsCurrentSlots() {
        var m = SignalingStateMachine()
        _ = m.createOffer(localOffer)
        #expect(m.setLocalDescription(localOffer).value == [.haveLocalOffer])
        #expect(m.pendingLocalDescription == localOffer && m.currentLocalDescription == nil)
        #expect(m.setRemoteDescription(remoteAnswer).value == [.stable])
        #expect(m.currentLocalDescription == localOffer && m.currentRemoteDescription == remoteAnswer)
        #expect(m.pendingLocalDescription == nil && m.pendingRemoteDescription == nil)
        #expect(m.localDescription == localOffer && m.remoteDescription == remoteAnswer)
    }

    @Test func remoteOfferThenLocalAnswerFillsCurrentSlots() {
        var m = SignalingStateMachine()
        #expect(m.setRemoteDescription(remoteOffer).value == [.haveRemoteOffer])
        #expect(m.pendingRemoteDescription == remoteOffer && m.currentRemoteDescription == nil)
        _ = m.createAnswer(localAnswer)
        #expect(m.setLocalDescription(localAnswer).value == [.stable])
        #expect(m.currentLocalDescription == localAnswer && m.currentRemoteDescription == remoteOffer)
        #expect(m.pendingLocalDescription == nil && m.pendingRemoteDescription == nil)
    }

    @Test func renegotiationKeepsCurrentUntilAnswered() {
        var m = machine(in: .stable)  // current = firstAnswer / firstRemoteOffer
        #expect(m.setLocalDescription(localOffer).value == [.haveLocalOffer])
        #expect(m.localDescription == localOffer, "pending wins over current")
        #expect(m.currentLocalDescription == firstAnswer && m.remoteDescription == firstRemoteOffer)
        #expect(m.setLocalDescription(.rollback).value == [.stable])
        #expect(m.localDescription == firstAnswer && m.remoteDescription == firstRemoteOffer, "rollback restores current")
    }

    @Test func applyingAnAnswerForgetsTheLastCreatedDescriptions() {
        // webrtc-pc `#set-description`: [[LastCreatedOffer]] and [[LastCreatedAnswer]] become "".
        var offerer = SignalingStateMachine()
        _ = offerer.createOffer(localOffer)
        _ = offerer.setLocalDescription(localOffer)
        #expect(offerer.lastCreatedOffer == localOffer)
        _ = offerer.setRemoteDescription(remoteAnswer)
        #expect(offerer.lastCreatedOffer == nil && offerer.lastCreatedAnswer == nil)
        #expect(offerer.setLocalDescription(localOffer).error?.name == .invalidModificationError,
                "the applied offer is no longer the last created one")

        var answerer = SignalingStateMachine()
        _ = answerer.setRemoteDescription(remoteOffer)
        _ = answerer.createAnswer(localAnswer)
        _ = answerer.setLocalDescription(localAnswer)
        #expect(answerer.lastCreatedOffer == nil && answerer.lastCreatedAnswer == nil)
    }

    @Test func rollbackAndPranswerKeepTheLastCreatedDescriptions() {
        var m = SignalingStateMachine()
        _ = m.createOffer(localOffer)
        _ = m.setLocalDescription(localOffer)
        _ = m.setRemoteDescription(remotePranswer)
        #expect(m.lastCreatedOffer == localOffer)
        _ = m.setRemoteDescription(remoteAnswer)
        _ = m.setRemoteDescription(remoteOffer)
        _ = m.createAnswer(localAnswer)
        _ = m.setLocalDescription(localPranswer)
        #expect(m.lastCreatedAnswer == localAnswer, "a pranswer keeps it, so the final answer may reuse it")
        #expect(m.setLocalDescription(localAnswer).value == [.stable])
        var n = SignalingStateMachine()
        _ = n.createOffer(localOffer)
        _ = n.setLocalDescription(localOffer)
        _ = n.setLocalDescription(.rollback)
        #expect(n.lastCreatedOffer == localOffer)
        #expect(n.setLocalDescription(localOffer).value == [.haveLocalOffer], "the rolled-back offer may be applied again")
    }

    @Test func remotePranswerKeepsLocalOfferPendingUntilAnswer() {
        var m = machine(in: .haveRemotePranswer)
        #expect(m.pendingLocalDescription == localOffer && m.pendingRemoteDescription == remotePranswer)
        #expect(m.setRemoteDescription(remoteAnswer).value == [.stable])
        #expect(m.currentLocalDescription == localOffer && m.currentRemoteDescription == remoteAnswer)
    }

    @Test func localPranswerKeepsRemoteOfferPendingUntilAnswer() {
        var m = machine(in: .haveLocalPranswer)
        #expect(m.pendingLocalDescription == localPranswer && m.pendingRemoteDescription == remoteOffer0)
        #expect(m.setLocalDescription(localAnswer).value == [.stable])
        #expect(m.currentLocalDescription == localAnswer && m.currentRemoteDescription == remoteOffer0)
    }

    @Test func closeKeepsDescriptionsReadable() {
        var m = machine(in: .haveLocalOffer)
        let before = m
        m.close()
        #expect(m.state == .closed)
        #expect(m.localDescription == before.localDescription && m.remoteDescription == before.remoteDescription)
        m.close()
        #expect(m.state == .closed, "closing twice is a no-op")
    }

    @Test("createOffer per state", arguments: SignalingState.allCases)
    func createOfferPerState(_ s: SignalingState) {
        var m = machine(in: s)
        let newOffer = desc(.offer, version: 9)
        let r = m.createOffer(newOffer)
        switch s {
        case .stable, .haveLocalOffer:
            #expect(r.error == nil)
            #expect(m.lastCreatedOffer == newOffer)
            #expect(m.state == s)
        case .haveRemoteOffer, .haveLocalPranswer, .haveRemotePranswer:
            #expect(r.error == createOfferError)
            #expect(m.lastCreatedOffer == localOffer)
        case .closed:
            #expect(r.error == closedError("createOffer"))
        }
    }

    @Test("createAnswer per state", arguments: SignalingState.allCases)
    func createAnswerPerState(_ s: SignalingState) {
        var m = machine(in: s)
        let newAnswer = desc(.answer, version: 9)
        let r = m.createAnswer(newAnswer)
        switch s {
        case .haveRemoteOffer, .haveLocalPranswer:
            #expect(r.error == nil)
            #expect(m.lastCreatedAnswer == newAnswer)
            #expect(m.state == s)
        case .stable, .haveLocalOffer, .haveRemotePranswer:
            #expect(r.error == createAnswerError)
            #expect(m.lastCreatedAnswer == localAnswer)
        case .closed:
            #expect(r.error == closedError("createAnswer"))
        }
    }

    @Test("implicit SLD type per state", arguments: SignalingState.allCases)
    func implicitTypePerState(_ s: SignalingState) {
        let expected: SDPType = [.stable, .haveLocalOffer, .haveRemotePranswer].contains(s) ? .offer : .answer
        #expect(machine(in: s).implicitLocalType() == expected)
    }

    @Test func implicitSLDInHaveRemotePranswerFailsInCreateOffer() {
        var m = machine(in: .haveRemotePranswer)
        #expect(m.implicitLocalType() == .offer)
        #expect(m.createOffer(desc(.offer, version: 9)).error == createOfferError)
    }

    @Test("addIceCandidate per state, after a negotiation", arguments: SignalingState.allCases)
    func addIceCandidatePerState(_ s: SignalingState) {
        let m = machine(in: s)  // every fixture but a fresh pc has a remote description
        if s == .closed {
            #expect(m.checkAddIceCandidate(hasCandidate: true).error == closedError("addIceCandidate"))
            #expect(m.checkAddIceCandidate(hasCandidate: false).error == closedError("addIceCandidate"))
        } else {
            #expect(m.remoteDescription != nil)
            #expect(m.checkAddIceCandidate(hasCandidate: true).error == nil)
            #expect(m.checkAddIceCandidate(hasCandidate: false).error == nil)
        }
    }

    @Test func addIceCandidateWithoutRemoteDescription() {
        var m = SignalingStateMachine()
        #expect(m.checkAddIceCandidate(hasCandidate: true).error == noRemoteDescription, "stable, fresh (A23)")
        #expect(m.checkAddIceCandidate(hasCandidate: false).error == nil, "end-of-candidates is accepted (exp 5)")
        _ = m.createOffer(localOffer)
        _ = m.setLocalDescription(localOffer)
        #expect(m.checkAddIceCandidate(hasCandidate: true).error == noRemoteDescription, "have-local-offer, first negotiation")
        #expect(m.checkAddIceCandidate(hasCandidate: false).error == nil)
    }

    @Test func addIceCandidateAfterExplicitRollbackOfFirstOffer() {
        // Experiment 4: the candidates of a rolled-back first offer find no remote description (A17).
        var m = SignalingStateMachine()
        _ = m.setRemoteDescription(remoteOffer)
        #expect(m.checkAddIceCandidate(hasCandidate: true).error == nil)
        _ = m.setRemoteDescription(.rollback)
        #expect(m.checkAddIceCandidate(hasCandidate: true).error == noRemoteDescription)
    }

    // MARK: - WPT assertions (webrtc-facts §7)

    @Test func a1FreshConnectionIsStable() {
        let m = SignalingStateMachine()
        #expect(m.state == .stable && m.state.w3cName == "stable")
        #expect(m.localDescription == nil && m.remoteDescription == nil)
        #expect(m.lastCreatedOffer == nil && m.lastCreatedAnswer == nil)
    }

    @Test func a2LocalOffer() {
        var m = SignalingStateMachine()
        #expect(m.createOffer(localOffer).error == nil)
        #expect(m.setLocalDescription(localOffer).value == [.haveLocalOffer])
        #expect(m.state.w3cName == "have-local-offer")
        #expect(m.pendingLocalDescription == localOffer && m.currentLocalDescription == nil)
    }

    @Test func a3ReOfferInHaveLocalOfferFiresNoEvent() {
        var m = SignalingStateMachine()
        _ = m.createOffer(localOffer)
        #expect(m.setLocalDescription(localOffer).value == [.haveLocalOffer])
        let offer2 = desc(.offer, version: 3)
        #expect(m.createOffer(offer2).error == nil)
        #expect(m.setLocalDescription(offer2).value == [])
        #expect(m.state == .haveLocalOffer && m.localDescription == offer2)
    }

    @Test func a4OfferNotLastCreatedIsInvalidModification() {
        var m = SignalingStateMachine()
        let offer1 = desc(.offer, version: 1)
        _ = m.createOffer(offer1)
        _ = m.createOffer(desc(.offer, version: 2))
        let r = m.setLocalDescription(offer1)
        #expect(r.error == RTCError(
            name: .invalidModificationError,
            message: "Failed to execute 'setLocalDescription' on 'RTCPeerConnection': The SDP does not match the previously generated SDP for this type"))
        #expect(m.state == .stable)
    }

    @Test func offerFromAnotherConnectionIsInvalidModification() {
        var m = SignalingStateMachine()
        _ = m.createOffer(localOffer)
        var foreign = localOffer
        foreign.sessionID = 77
        #expect(m.setLocalDescription(foreign).error?.name == .invalidModificationError)
    }

    @Test func a5AnswerInFreshConnection() {
        // WPT expects InvalidStateError for SLD({type: answer, sdp: offer.sdp}); Chromium 156 checks the
        // last-created answer first and says InvalidModificationError (experiment 5), which we follow.
        var m = SignalingStateMachine()
        var answerFromOffer = localOffer
        answerFromOffer.type = .answer
        _ = m.createOffer(localOffer)
        #expect(m.setLocalDescription(answerFromOffer).error == RTCError(
            name: .invalidModificationError,
            message: "Failed to execute 'setLocalDescription' on 'RTCPeerConnection': The SDP does not match the previously generated SDP for this type"))
        // With an answer it did create (after a rollback), the state table speaks: InvalidStateError.
        var n = SignalingStateMachine()
        _ = n.setRemoteDescription(remoteOffer)
        _ = n.createAnswer(localAnswer)
        _ = n.setRemoteDescription(.rollback)
        #expect(n.setLocalDescription(localAnswer).error == RTCError(
            name: .invalidStateError,
            message: "Failed to execute 'setLocalDescription' on 'RTCPeerConnection': Failed to set local answer sdp: Called in wrong state: stable"))
    }

    @Test func a6AnswerInHaveLocalOffer() {
        var m = machine(in: .haveLocalOffer)
        #expect(m.setLocalDescription(localAnswer).error?.name == .invalidStateError)
        #expect(m.state == .haveLocalOffer)
    }

    @Test func a7RemoteAnswerInStable() {
        var m = SignalingStateMachine()
        #expect(m.setRemoteDescription(remoteAnswer).error == RTCError(
            name: .invalidStateError,
            message: "Failed to execute 'setRemoteDescription' on 'RTCPeerConnection': Failed to set remote answer sdp: Called in wrong state: stable"))
    }

    @Test func a8RemoteAnswerInHaveRemoteOffer() {
        var m = SignalingStateMachine()
        _ = m.setRemoteDescription(remoteOffer)
        #expect(m.setRemoteDescription(remoteAnswer).error == RTCError(
            name: .invalidStateError,
            message: "Failed to execute 'setRemoteDescription' on 'RTCPeerConnection': Failed to set remote answer sdp: Called in wrong state: have-remote-offer"))
        #expect(m.state == .haveRemoteOffer && m.remoteDescription == remoteOffer)
    }

    @Test func a9PranswerInFreshConnection() {
        var m = SignalingStateMachine()
        #expect(m.setRemoteDescription(remotePranswer).error?.name == .invalidStateError)
        #expect(m.setLocalDescription(localPranswer).error?.name == .invalidModificationError, "never created (exp 5 order)")
        #expect(m.state == .stable)
    }

    @Test func a10LocalPranswerFlow() {
        var m = SignalingStateMachine()
        var events: [SignalingState] = []
        events += m.setRemoteDescription(remoteOffer).value ?? []
        _ = m.createAnswer(localAnswer)
        events += m.setLocalDescription(localPranswer).value ?? []
        #expect(m.state == .haveLocalPranswer)
        events += m.setLocalDescription(localPranswer).value ?? []
        #expect(m.state == .haveLocalPranswer)
        events += m.setLocalDescription(localAnswer).value ?? []
        #expect(events == [.haveRemoteOffer, .haveLocalPranswer, .stable])
        #expect(m.pendingLocalDescription == nil && m.pendingRemoteDescription == nil)
    }

    @Test func a11RemotePranswerFlow() {
        var m = SignalingStateMachine()
        var events: [SignalingState] = []
        _ = m.createOffer(localOffer)
        events += m.setLocalDescription(localOffer).value ?? []
        events += m.setRemoteDescription(remotePranswer).value ?? []
        events += m.setRemoteDescription(remotePranswer).value ?? []
        events += m.setRemoteDescription(remoteAnswer).value ?? []
        #expect(events == [.haveLocalOffer, .haveRemotePranswer, .stable])
        #expect(m.currentLocalDescription == localOffer && m.currentRemoteDescription == remoteAnswer)
    }

    @Test func a12RollbackInFreshConnection() {
        var m = SignalingStateMachine()
        #expect(m.setLocalDescription(.rollback).error == RTCError(
            name: .invalidStateError,
            message: "Failed to execute 'setLocalDescription' on 'RTCPeerConnection': Called in wrong signalingState: stable"))
        #expect(m.setRemoteDescription(.rollback).error == RTCError(
            name: .invalidStateError,
            message: "Failed to execute 'setRemoteDescription' on 'RTCPeerConnection': Failed to set remote rollback sdp: Called in wrong signalingState: stable"))
    }

    @Test func a13RollbackAfterNegotiation() {
        var m = SignalingStateMachine()
        _ = m.setRemoteDescription(remoteOffer)
        _ = m.createAnswer(localAnswer)
        _ = m.setLocalDescription(localAnswer)
        #expect(m.setLocalDescription(.rollback).error?.name == .invalidStateError)
    }

    @Test func a14LocalRollbackIgnoresContent() {
        var m = SignalingStateMachine()
        var events: [SignalingState] = []
        _ = m.createOffer(localOffer)
        events += m.setLocalDescription(localOffer).value ?? []
        var garbage = SessionDescription.rollback
        garbage.iceUfrag = "!<Invalid SDP Content>;"
        garbage.sessionID = 123456
        events += m.setLocalDescription(garbage).value ?? []
        #expect(m.state == .stable && m.localDescription == nil)
        #expect(events == [.haveLocalOffer, .stable])
    }

    @Test func a15RemoteRollback() {
        var m = SignalingStateMachine()
        var events: [SignalingState] = []
        events += m.setRemoteDescription(remoteOffer).value ?? []
        events += m.setRemoteDescription(.rollback).value ?? []
        #expect(m.state == .stable && m.remoteDescription == nil)
        #expect(events == [.haveRemoteOffer, .stable])
    }

    @Test func a16ImplicitRollbackFiresTwoEvents() {
        var m = SignalingStateMachine()
        _ = m.createOffer(localOffer)
        _ = m.setLocalDescription(localOffer)
        #expect(m.setRemoteDescription(remoteOffer).value == [.stable, .haveRemoteOffer])
        #expect(m.pendingLocalDescription == nil)
        #expect(m.pendingRemoteDescription?.type == .offer && m.pendingRemoteDescription == remoteOffer)
        // Experiment 4: after the implicit rollback the glare loser answers and both sides connect.
        #expect(m.createAnswer(localAnswer).error == nil)
        #expect(m.setLocalDescription(localAnswer).value == [.stable])
    }

    @Test func a17GlareProofCandidatesAfterImplicitRollback() {
        // The implicit rollback and the new offer happen in one operation, so a candidate queued
        // behind SRD finds a remote description; after an explicit rollback of a first offer it does not.
        var implicit = SignalingStateMachine()
        _ = implicit.createOffer(localOffer)
        _ = implicit.setLocalDescription(localOffer)
        _ = implicit.setRemoteDescription(remoteOffer)
        #expect(implicit.checkAddIceCandidate(hasCandidate: true).error == nil)
        #expect(implicit.state == .haveRemoteOffer)

        var explicit = SignalingStateMachine()
        _ = explicit.createOffer(localOffer)
        _ = explicit.setLocalDescription(localOffer)
        #expect(explicit.setLocalDescription(.rollback).value == [.stable])
        #expect(explicit.checkAddIceCandidate(hasCandidate: true).error == noRemoteDescription)
    }

    @Test func a19RemoteOfferTwiceFiresOneEvent() {
        var m = SignalingStateMachine()
        #expect(m.setRemoteDescription(remoteOffer0).value == [.haveRemoteOffer])
        #expect(m.setRemoteDescription(remoteOffer0).value == [])
        #expect(m.setRemoteDescription(remoteOffer).value == [])
        #expect(m.state == .haveRemoteOffer && m.remoteDescription == remoteOffer)
    }

    @Test func a21CreateAnswerInFreshConnection() {
        var m = SignalingStateMachine()
        #expect(m.createAnswer(localAnswer).error == createAnswerError)
    }

    @Test func a22ClosedRejectsCreateOfferAndAnswer() {
        var m = SignalingStateMachine()
        m.close()
        #expect(m.createOffer(localOffer).error == closedError("createOffer"))
        #expect(m.createAnswer(localAnswer).error == closedError("createAnswer"))
        #expect(m.setRemoteDescription(remoteOffer).error == closedError("setRemoteDescription"))
        #expect(m.setLocalDescription(localOffer).error == closedError("setLocalDescription"))
        #expect(m.checkAddIceCandidate(hasCandidate: true).error == closedError("addIceCandidate"))
    }

    // MARK: - Calibration experiment 4: glare

    @Test func glareBothAnswerThenBothFailToApplyTheOtherAnswer() {
        let offerA = desc(.offer, session: 1, version: 1), answerA = desc(.answer, session: 1, version: 2)
        let offerB = desc(.offer, session: 2, version: 1), answerB = desc(.answer, session: 2, version: 2)
        var a = SignalingStateMachine(), b = SignalingStateMachine()
        _ = a.createOffer(offerA); _ = a.setLocalDescription(offerA)
        _ = b.createOffer(offerB); _ = b.setLocalDescription(offerB)
        #expect(a.setRemoteDescription(offerB).value == [.stable, .haveRemoteOffer])
        #expect(b.setRemoteDescription(offerA).value == [.stable, .haveRemoteOffer])
        _ = a.createAnswer(answerA); _ = a.setLocalDescription(answerA)
        _ = b.createAnswer(answerB); _ = b.setLocalDescription(answerB)
        let expected = RTCError(
            name: .invalidStateError,
            message: "Failed to execute 'setRemoteDescription' on 'RTCPeerConnection': Failed to set remote answer sdp: Called in wrong state: stable")
        #expect(a.setRemoteDescription(answerB).error == expected)
        #expect(b.setRemoteDescription(answerA).error == expected)
        #expect(a.state == .stable && b.state == .stable)
    }

    @Test func staleOfferAfterRemoteOfferFailsLikeChromium() {
        // Experiment 4: negotiationneeded's createOffer raced SRD; SLD(offer) then fails in have-remote-offer.
        var m = SignalingStateMachine()
        _ = m.createOffer(localOffer)
        _ = m.setRemoteDescription(remoteOffer)
        #expect(m.setLocalDescription(localOffer).error == RTCError(
            name: .invalidStateError,
            message: "Failed to execute 'setLocalDescription' on 'RTCPeerConnection': Failed to set local offer sdp: Called in wrong state: have-remote-offer"))
    }

    @Test func w3cNames() {
        #expect(SignalingState.allCases.map(\.w3cName) ==
            ["stable", "have-local-offer", "have-remote-offer", "have-local-pranswer", "have-remote-pranswer", "closed"])
        #expect(RTCError(name: .operationError, message: "x").description == "OperationError: x")
    }
}
