/// `RTCSignalingState` (webrtc-pc § "RTCSignalingState Enum").
public enum SignalingState: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case stable, haveLocalOffer, haveRemoteOffer, haveLocalPranswer, haveRemotePranswer, closed

    /// The W3C enum value, as JavaScript reads it and as traces print it.
    public var w3cName: String {
        switch self {
        case .stable: return "stable"
        case .haveLocalOffer: return "have-local-offer"
        case .haveRemoteOffer: return "have-remote-offer"
        case .haveLocalPranswer: return "have-local-pranswer"
        case .haveRemotePranswer: return "have-remote-pranswer"
        case .closed: return "closed"
        }
    }

    public var description: String { w3cName }
}

/// The `name` of the DOMException (or `TypeError`) a rejected RTCPeerConnection promise carries.
public enum RTCErrorName: String, Sendable {
    case invalidStateError = "InvalidStateError"
    case invalidModificationError = "InvalidModificationError"
    case operationError = "OperationError"
    case typeError = "TypeError"
    case invalidAccessError = "InvalidAccessError"
}

/// A rejected RTCPeerConnection operation: the error's `name` and its `message`, spelled as
/// Chromium prints them (docs/calibration/chromium/README.md, experiment 5).
public struct RTCError: Error, Equatable, Sendable, CustomStringConvertible {
    public var name: RTCErrorName
    public var message: String

    public init(name: RTCErrorName, message: String) {
        self.name = name
        self.message = message
    }

    /// `InvalidStateError: Failed to execute ...`, as the browser console shows it.
    public var description: String { "\(name.rawValue): \(message)" }
}

/// The JSEP signaling state machine of one RTCPeerConnection: which descriptions may be applied
/// when, and what `signalingState`, `localDescription` and `remoteDescription` read afterwards.
///
/// ### Function
///
/// This machine is responsible for:
///
/// 1. Deciding whether `createOffer`, `createAnswer`, `setLocalDescription` (SLD),
///    `setRemoteDescription` (SRD) and `addIceCandidate` are legal in the current state
///    (webrtc-facts T1 and T2; RFC 9429 §5.5 and §5.6; webrtc-pc `#set-description`), and rejecting
///    them with the error name and message Chromium uses (calibration experiment 5).
/// 2. Moving `signalingState` and reporting every state entered, in order, so that the caller fires
///    one `signalingstatechange` per entry. An empty list means the state did not change and no
///    event fires ("= (no event)" cells of T1).
/// 3. Keeping the pending/current local and remote descriptions exactly as webrtc-pc
///    `#set-description` does (webrtc-facts §2 "Pending vs current descriptions").
/// 4. Remembering `[[LastCreatedOffer]]` and `[[LastCreatedAnswer]]`, so that SLD refuses a
///    description this connection did not create last (`InvalidModificationError`). Both are
///    forgotten when an answer completes a negotiation (webrtc-pc `#set-description`), kept by a rollback.
///
/// The machine does no I/O, builds no descriptions and knows nothing of ICE: the caller creates the
/// description (`createOffer(_:)` only checks the state and records it), serialises operations on
/// the connection's operations chain (webrtc-facts §2) and starts gathering after SLD.
///
/// ### Implementation
///
/// All state is one small struct: `state` plus the four description slots and the two
/// last-created descriptions. The slots obey an invariant that the transition functions keep:
/// outside `closed`, `pendingLocalDescription` is non-nil exactly in `have-local-offer` and
/// `have-local-pranswer`, and `pendingRemoteDescription` exactly in `have-remote-offer` and
/// `have-remote-pranswer` (`have-local-pranswer` also keeps the remote offer pending, and
/// `have-remote-pranswer` the local offer). `close()` freezes the slots as they were, as a browser does.
///
/// Checks run in the browser's order: closed first (every chained operation, webrtc-pc "chain an
/// operation"), then for SLD of an offer, answer or pranswer the last-created comparison
/// (webrtc-pc § setLocalDescription, before "set the session description"), then the state
/// table. So Chromium answers SLD of a foreign answer in `stable` with `InvalidModificationError`
/// (experiment 5), and `InvalidStateError` only for a description it did create.
///
/// ### The surprising corner: implicit rollback
///
/// SRD(offer) in `have-local-offer` (glare) does not fail in Chromium: it rolls the local offer back
/// and applies the remote one, firing *two* events, `stable` then `have-remote-offer` (webrtc-pc
/// § setRemoteDescription; WPT assertion A16; calibration experiment 4). In the pranswer states the
/// implicit rollback would itself be illegal, so SRD(offer) is rejected there.
public struct SignalingStateMachine: Equatable, Sendable {
    /// `signalingState`. Starts `stable` (A1).
    public private(set) var state: SignalingState
    /// `[[PendingLocalDescription]]`: a local offer or pranswer not yet answered.
    public var pendingLocalDescription: SessionDescription? { pendingLocal?.value }
    /// `[[CurrentLocalDescription]]`: the local side of the last completed negotiation.
    public var currentLocalDescription: SessionDescription? { currentLocal?.value }
    /// `[[PendingRemoteDescription]]`: a remote offer or pranswer not yet answered.
    public var pendingRemoteDescription: SessionDescription? { pendingRemote?.value }
    /// `[[CurrentRemoteDescription]]`: the remote side of the last completed negotiation.
    public var currentRemoteDescription: SessionDescription? { currentRemote?.value }
    /// `[[LastCreatedOffer]]`: the offer of the last successful `createOffer`, nil again once an
    /// answer is applied. What `setLocalDescription()` without an argument reuses.
    public var lastCreatedOffer: SessionDescription? { lastOffer?.value }
    /// `[[LastCreatedAnswer]]`: the answer of the last successful `createAnswer`, nil again once
    /// an answer is applied.
    public var lastCreatedAnswer: SessionDescription? { lastAnswer?.value }

    // The six slots hold descriptions by reference: a description moves from slot to slot
    // (last created, pending, current) without being copied, and a million connections do not
    // each carry six inline descriptions, mostly empty.
    private var pendingLocal: DescriptionBox?
    private var currentLocal: DescriptionBox?
    private var pendingRemote: DescriptionBox?
    private var currentRemote: DescriptionBox?
    private var lastOffer: DescriptionBox?
    private var lastAnswer: DescriptionBox?

    public init() {
        self.state = .stable
    }

    /// `localDescription`: pending if there is one, else current (webrtc-pc § localDescription).
    public var localDescription: SessionDescription? { pendingLocalDescription ?? currentLocalDescription }

    /// `remoteDescription`: pending if there is one, else current (webrtc-pc § remoteDescription).
    public var remoteDescription: SessionDescription? { pendingRemoteDescription ?? currentRemoteDescription }

    // MARK: - Creating descriptions

    /// `createOffer()` produced `offer`: legal in `stable` and `have-local-offer` only
    /// (webrtc-pc § createOffer; T1 "Other operations"). On success the offer becomes
    /// `[[LastCreatedOffer]]`; the state does not change.
    public mutating func createOffer(_ offer: SessionDescription) -> Result<Void, RTCError> {
        switch state {
        case .closed:
            return .failure(.closed("createOffer"))
        case .stable, .haveLocalOffer:
            lastOffer = DescriptionBox(offer)
            return .success(())
        case .haveRemoteOffer, .haveLocalPranswer, .haveRemotePranswer:
            // Message composed in the style of libwebrtc's createAnswer message (not recorded in exp 5).
            return .failure(RTCError(
                name: .invalidStateError,
                message: "Failed to execute 'createOffer' on 'RTCPeerConnection': PeerConnection cannot "
                    + "create an offer in a state other than stable or have-local-offer."))
        }
    }

    /// `createAnswer()` produced `answer`: legal in `have-remote-offer` and `have-local-pranswer`
    /// only (webrtc-pc § createAnswer; A21, A22; message from experiment 5). On success the answer
    /// becomes `[[LastCreatedAnswer]]`; the state does not change.
    public mutating func createAnswer(_ answer: SessionDescription) -> Result<Void, RTCError> {
        switch state {
        case .closed:
            return .failure(.closed("createAnswer"))
        case .haveRemoteOffer, .haveLocalPranswer:
            lastAnswer = DescriptionBox(answer)
            return .success(())
        case .stable, .haveLocalOffer, .haveRemotePranswer:
            return .failure(RTCError(
                name: .invalidStateError,
                message: "Failed to execute 'createAnswer' on 'RTCPeerConnection': PeerConnection cannot "
                    + "create an answer in a state other than have-remote-offer or have-local-pranswer."))
        }
    }

    /// The type `setLocalDescription()` without an argument uses: `offer` in `stable`,
    /// `have-local-offer` and `have-remote-pranswer`, `answer` otherwise (webrtc-pc
    /// § setLocalDescription step "Let type be"). In `have-remote-pranswer` the caller's
    /// `createOffer` then fails with `InvalidStateError` (T1); in `closed` everything fails anyway.
    public func implicitLocalType() -> SDPType {
        switch state {
        case .stable, .haveLocalOffer, .haveRemotePranswer:
            return .offer
        case .haveRemoteOffer, .haveLocalPranswer, .closed:
            return .answer
        }
    }

    // MARK: - Applying descriptions

    /// `setLocalDescription(d)`, including `{type: "rollback"}`.
    ///
    /// Returns the states entered, in order (one `signalingstatechange` each), or the rejection:
    /// - closed: `InvalidStateError` "...signalingState is 'closed'." (experiment 5);
    /// - rollback outside `have-local-offer`/`have-remote-offer`: `InvalidStateError`
    ///   (webrtc-pc `#set-description`; A12, A13); its content is ignored (A14);
    /// - an offer that is not `[[LastCreatedOffer]]`, an answer or pranswer that is not
    ///   `[[LastCreatedAnswer]]`: `InvalidModificationError` (webrtc-pc § setLocalDescription; A4;
    ///   experiment 5). "The same" means same `sessionID` and `version` (the `o=` line) and the same
    ///   kind: an offer matches the last offer; an answer or a pranswer matches the last answer,
    ///   since a pranswer is an answer with its type changed;
    /// - a type illegal in this state (RFC 9429 §5.5; T1): `InvalidStateError`
    ///   "Failed to set local <type> sdp: Called in wrong state: <state>".
    public mutating func setLocalDescription(_ d: SessionDescription) -> Result<[SignalingState], RTCError> {
        let method = "setLocalDescription"
        if state == .closed { return .failure(.closed(method)) }
        if let error = RTCError.overlong(d, method) { return .failure(error) }
        if d.type == .rollback {
            guard state == .haveLocalOffer || state == .haveRemoteOffer else {
                // Experiment 5 records this one without the "Failed to set local rollback sdp" prefix.
                return .failure(RTCError(
                    name: .invalidStateError,
                    message: "Failed to execute '\(method)' on 'RTCPeerConnection': "
                        + "Called in wrong signalingState: \(state.w3cName)"))
            }
            return .success(rollback())
        }
        guard isLastCreated(d) else {
            return .failure(RTCError(
                name: .invalidModificationError,
                message: "Failed to execute '\(method)' on 'RTCPeerConnection': "
                    + "The SDP does not match the previously generated SDP for this type"))
        }
        switch (state, d.type) {
        case (.stable, .offer), (.haveLocalOffer, .offer):
            // A2, A3: a re-offer in have-local-offer replaces the pending offer with no event.
            pendingLocal = box(local: d)
            return .success(enter(.haveLocalOffer))
        case (.haveRemoteOffer, .pranswer), (.haveLocalPranswer, .pranswer):
            // A10: a second pranswer replaces the first with no event.
            pendingLocal = box(local: d)
            return .success(enter(.haveLocalPranswer))
        case (.haveRemoteOffer, .answer), (.haveLocalPranswer, .answer):
            // webrtc-pc `#set-description`, local answer: current = answer and pending remote, pending = nil.
            currentLocal = box(local: d)
            currentRemote = pendingRemote
            pendingLocal = nil
            pendingRemote = nil
            negotiationCompleted()
            return .success(enter(.stable))
        default:
            return .failure(.wrongState(method, side: "local", type: d.type, state: state))
        }
    }

    /// `setRemoteDescription(d)`, including `{type: "rollback"}` and the implicit rollback.
    ///
    /// Returns the states entered, in order, or the rejection:
    /// - closed: `InvalidStateError` "...signalingState is 'closed'." (experiment 5);
    /// - rollback outside `have-local-offer`/`have-remote-offer`: `InvalidStateError`
    ///   "Failed to set remote rollback sdp: Called in wrong signalingState: <state>" (experiment 5);
    /// - an offer in `have-local-offer`: implicit rollback, then the offer: `[.stable, .haveRemoteOffer]`
    ///   (A16, experiment 4);
    /// - an offer in `have-remote-offer` replaces the pending one with no event (A19, experiment 5);
    /// - any other type illegal in this state (RFC 9429 §5.6; T1, A7, A8, A9), including an offer in
    ///   the pranswer states, where the implicit rollback is itself illegal: `InvalidStateError`
    ///   "Failed to set remote <type> sdp: Called in wrong state: <state>" (experiments 4 and 5).
    public mutating func setRemoteDescription(_ d: SessionDescription) -> Result<[SignalingState], RTCError> {
        let method = "setRemoteDescription"
        if state == .closed { return .failure(.closed(method)) }
        if let error = RTCError.overlong(d, method) { return .failure(error) }
        switch (state, d.type) {
        case (.haveLocalOffer, .rollback), (.haveRemoteOffer, .rollback):
            return .success(rollback())
        case (_, .rollback):
            return .failure(RTCError(
                name: .invalidStateError,
                message: "Failed to execute '\(method)' on 'RTCPeerConnection': "
                    + "Failed to set remote rollback sdp: Called in wrong signalingState: \(state.w3cName)"))
        case (.haveLocalOffer, .offer):
            // webrtc-pc § setRemoteDescription: "set the local session description indicated by
            // {type: rollback}", then set the remote one. Both events fire (A16).
            var entered = rollback()
            pendingRemote = DescriptionBox(d)
            entered += enter(.haveRemoteOffer)
            return .success(entered)
        case (.stable, .offer), (.haveRemoteOffer, .offer):
            pendingRemote = DescriptionBox(d)
            return .success(enter(.haveRemoteOffer))
        case (.haveLocalOffer, .pranswer), (.haveRemotePranswer, .pranswer):
            // A11: a second pranswer replaces the first with no event.
            pendingRemote = DescriptionBox(d)
            return .success(enter(.haveRemotePranswer))
        case (.haveLocalOffer, .answer), (.haveRemotePranswer, .answer):
            // webrtc-pc `#set-description`, remote answer: current = answer and pending local, pending = nil.
            currentRemote = DescriptionBox(d)
            currentLocal = pendingLocal
            pendingLocal = nil
            pendingRemote = nil
            negotiationCompleted()
            return .success(enter(.stable))
        default:
            return .failure(.wrongState(method, side: "remote", type: d.type, state: state))
        }
    }

    // MARK: - Candidates and close

    /// Whether `addIceCandidate` may proceed (webrtc-pc § addIceCandidate; T2; experiment 5):
    /// - closed: `InvalidStateError` "...signalingState is 'closed'.";
    /// - a candidate (`hasCandidate` true) with no remote description: `InvalidStateError`
    ///   "The remote description was null" (A23; the error the impolite side swallows, experiment 4);
    /// - an end-of-candidates (`hasCandidate` false) with no remote description: accepted,
    ///   as Chromium does (experiment 5: `addIceCandidate({candidate:''})` gives no error).
    /// Whether the candidate matches a remote ufrag is the ICE agent's business, not this machine's.
    public func checkAddIceCandidate(hasCandidate: Bool) -> Result<Void, RTCError> {
        let method = "addIceCandidate"
        if state == .closed { return .failure(.closed(method)) }
        if hasCandidate && remoteDescription == nil {
            return .failure(RTCError(
                name: .invalidStateError,
                message: "Failed to execute '\(method)' on 'RTCPeerConnection': The remote description was null"))
        }
        return .success(())
    }

    /// `close()`: the state becomes `closed` and **no** event fires (webrtc-pc § close). The
    /// descriptions stay readable. Closing twice does nothing.
    public mutating func close() {
        state = .closed
    }

    // MARK: - Private

    /// Rollback (webrtc-pc `#set-description`): both pending descriptions are dropped and the
    /// state returns to `stable`. The caller checked that the state is an offer state.
    private mutating func rollback() -> [SignalingState] {
        pendingLocal = nil
        pendingRemote = nil
        return enter(.stable)
    }

    /// An answer was applied, local or remote: webrtc-pc `#set-description` sets
    /// `[[LastCreatedOffer]]` and `[[LastCreatedAnswer]]` to "", so the next negotiation needs a
    /// new createOffer/createAnswer. A rollback keeps them.
    private mutating func negotiationCompleted() {
        lastOffer = nil
        lastAnswer = nil
    }

    /// Moves to `next`; the event list holds `next` only if the state changed
    /// (webrtc-pc: fire `signalingstatechange` only "if [[SignalingState]] changed").
    private mutating func enter(_ next: SignalingState) -> [SignalingState] {
        guard next != state else { return [] }
        state = next
        return [next]
    }

    /// `d` in a box: the last created one's when it is that very description (the usual case).
    private func box(local d: SessionDescription) -> DescriptionBox {
        if let last = lastOffer, last.value == d { return last }
        if let last = lastAnswer, last.value == d { return last }
        return DescriptionBox(d)
    }

    /// Whether `d` is the description this connection created last for its kind.
    private func isLastCreated(_ d: SessionDescription) -> Bool {
        let last: SessionDescription?
        switch d.type {
        case .offer: last = lastCreatedOffer
        case .answer, .pranswer: last = lastCreatedAnswer
        case .rollback: return true
        }
        guard let last else { return false }
        return last.sessionID == d.sessionID && last.version == d.version
    }
}

/// An immutable description shared between slots of a `SignalingStateMachine`; equal when
/// the descriptions are.
final class DescriptionBox: Equatable, Sendable {
    let value: SessionDescription
    init(_ value: SessionDescription) { self.value = value }
    static func == (a: DescriptionBox, b: DescriptionBox) -> Bool { a === b || a.value == b.value }
}

extension RTCError {
    /// Every chained operation on a closed connection (experiment 5).
    fileprivate static func closed(_ method: String) -> RTCError {
        RTCError(name: .invalidStateError,
                 message: "Failed to execute '\(method)' on 'RTCPeerConnection': "
                    + "The RTCPeerConnection's signalingState is 'closed'.")
    }

    /// A description with a credential above `SessionDescription.maxCredentialLength` is
    /// refused as an SDP the browser cannot parse (`OperationError`, webrtc-pc's
    /// "sdp-syntax-error"), before any state changes: see `maxCredentialLength` for why.
    fileprivate static func overlong(_ d: SessionDescription, _ method: String) -> RTCError? {
        guard let field = d.overlongField else { return nil }
        return RTCError(name: .operationError,
                        message: "Failed to execute '\(method)' on 'RTCPeerConnection': "
                            + "Failed to parse SessionDescription. \(field) (at most \(SessionDescription.maxCredentialLength))")
    }

    /// libwebrtc's `ExpectSetLocalDescription`/`ExpectSetRemoteDescription` failure, as Blink
    /// prefixes it (experiments 4 and 5: "Failed to set remote answer sdp: Called in wrong state: stable").
    fileprivate static func wrongState(_ method: String, side: String, type: SDPType,
                                       state: SignalingState) -> RTCError {
        RTCError(name: .invalidStateError,
                 message: "Failed to execute '\(method)' on 'RTCPeerConnection': "
                    + "Failed to set \(side) \(type) sdp: Called in wrong state: \(state.w3cName)")
    }
}
