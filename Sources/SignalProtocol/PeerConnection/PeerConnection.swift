/// Per-connection identity the owner provides, since the model draws no randomness itself.
public struct PeerConnectionIdentity: Sendable, Equatable {
    /// `o=` session id of this connection's descriptions: unique in the run.
    public var sessionID: UInt64
    public var ufrag: String
    public var pwd: String
    /// Stands for the certificate's SHA-256 fingerprint.
    public var fingerprint: String
    public var tieBreaker: UInt64

    public init(sessionID: UInt64, ufrag: String, pwd: String, fingerprint: String, tieBreaker: UInt64) {
        self.sessionID = sessionID
        self.ufrag = ufrag
        self.pwd = pwd
        self.fingerprint = fingerprint
        self.tieBreaker = tieBreaker
    }
}

public struct PeerConnectionConfiguration: Sendable, Equatable {
    public var ice = ICEConfiguration()
    /// Time one chained operation takes (createOffer, setLocalDescription, ...): the browser's
    /// work and task hops between the call and the promise settling.
    public var operationDelay: Int64 = 3_000_000
    public var stunServer: TransportAddress?
    /// A TURN server reachable over UDP and TCP (`iceServers` with a `turn:` URL for each).
    public var turnServer: TransportAddress?

    public init(ice: ICEConfiguration = ICEConfiguration(), operationDelay: Int64 = 3_000_000,
                stunServer: TransportAddress? = nil, turnServer: TransportAddress? = nil) {
        self.ice = ice
        self.operationDelay = operationDelay
        self.stunServer = stunServer
        self.turnServer = turnServer
    }
}

/// A configuration shared by reference: every connection of a run has the same one, and a
/// million connections each holding their own copy (inside the connection and again inside
/// its ICE agent) cost a quarter of a kilobyte apiece. Immutable, so sharing is invisible.
///
/// `value` is the configuration given with its durations (`operationDelay`, the ICE timers)
/// clamped to `0...ICEConfiguration.never`: a caller's `Int64.max` means "never" and does not
/// overflow the model's time arithmetic.
public final class SharedConfiguration: Sendable {
    public let value: PeerConnectionConfiguration
    public init(_ value: PeerConnectionConfiguration) {
        var v = value
        v.ice = value.ice.clamped
        v.operationDelay = min(max(value.operationDelay, 0), ICEConfiguration.never)
        self.value = v
    }
}

/// Room for the outputs a connection's ICE agent and association produce during one call.
/// Connections called one at a time (a simulator's) share one, so that a million idle
/// connections hold no scratch storage of their own. Only `init(shared:scratch:...)` shares
/// one, and copies of such a connection share it too: never call two connections sharing one
/// on different threads at the same time. A connection made with `init(configuration:...)`
/// has none (its room is its own arrays), so its copies are independent values, as its
/// `Sendable` conformance promises.
public final class ConnectionScratch: @unchecked Sendable {
    fileprivate var ice: [ICEOutput] = []
    fileprivate var association: [AssociationOutput] = []
    public init() {}
}

/// The RTCPeerConnection model: JSEP signaling, one ICE agent, DTLS/SCTP and data channels.
///
/// Responsibilities:
/// 1. The operations chain (webrtc-pc "chain an operation"): createOffer, createAnswer,
///    setLocalDescription, setRemoteDescription and addIceCandidate run one at a time, in call
///    order, each settling `operationDelay` after the previous one; state changes and their
///    events happen when an operation runs, never at the call (so reads right after a call see
///    the old state, as in browsers, calibration webrtc-facts §2).
/// 2. Applying descriptions: the signaling state machine decides legality and events; applying
///    a local description starts gathering; the offerer is ICE-controlling; the answerer
///    (`a=setup:active`) is the DTLS client.
/// 3. Aggregate states (T3): iceConnectionState and connectionState from the ICE transport and
///    DTLS, with Chromium's remap of an ICE transport `failed` to iceConnectionState
///    `disconnected` (crbug 957487) while connectionState says `failed`.
/// 4. `close()`: signalingState `closed`, no events, an SCTP ABORT to the remote.
///
/// Surprising corner: Chromium applies an offer received in `have-local-offer` by rolling back
/// first (two `signalingstatechange` events), so glare never rejects the second offer; it is
/// the two answers that then fail (calibration exp4).
public struct PeerConnection: Sendable {
    public let identity: PeerConnectionIdentity
    private let shared: SharedConfiguration
    /// nil: the connection's own arrays are its room (copies independent, see `ConnectionScratch`).
    private let scratch: ConnectionScratch?
    public var configuration: PeerConnectionConfiguration { shared.value }
    public private(set) var signaling = SignalingStateMachine()
    public private(set) var ice: ICEAgent
    public private(set) var association: Association
    public private(set) var iceConnectionState: ICETransportState = .new
    public private(set) var connectionState: PeerConnectionState = .new
    public private(set) var iceGatheringState: ICEGatheringState = .new
    public private(set) var isClosed = false
    /// Offers this connection created (for `noRenegotiation` and reports).
    public private(set) var offersCreated = 0

    private var chain: [PCOperation] = []
    /// DTLS/SCTP packets that arrived before ICE had a writable pair, replayed once it has one
    /// (libwebrtc caches an early ClientHello the same way, `cached_client_hello_`).
    private var early: [(packet: PeerPacket, from: TransportAddress)] = []
    private var taskPending = false
    private var descriptionVersion: UInt32 = 0
    /// Outputs of the ICE agent and the association during a call: room borrowed from `scratch`
    /// (empty, without storage, between calls).
    private var iceOut: [ICEOutput] = []
    /// `restartIce()` was called: the next offer carries new ICE credentials.
    private var iceRestartPending = false
    /// The remote offer restarted ICE: our answer carries new ICE credentials too.
    private var remoteRestartedICE = false
    /// ICE credential generations used so far (0: the identity's own).
    public private(set) var iceGeneration: UInt32 = 0
    private var assocOut: [AssociationOutput] = []

    public init(configuration: PeerConnectionConfiguration, identity: PeerConnectionIdentity, base: TransportAddress) {
        self.init(shared: SharedConfiguration(configuration), scratch: nil, identity: identity, base: base)
    }

    /// A connection using a configuration and scratch room other connections share (a
    /// simulator's many, called one at a time: never share `scratch` across threads).
    public init(shared: SharedConfiguration, scratch: ConnectionScratch?, identity: PeerConnectionIdentity,
                base: TransportAddress) {
        self.shared = shared
        self.scratch = scratch
        self.identity = identity
        self.ice = ICEAgent(shared: shared, role: .controlled, tieBreaker: identity.tieBreaker,
                           ufrag: identity.ufrag, pwd: identity.pwd, base: base)
        self.association = Association(localFingerprint: identity.fingerprint)
        self.iceDeadline = ice.nextDeadline
    }

    public var signalingState: SignalingState { signaling.state }
    /// Session id of the remote description: which remote connection this one talks to.
    public var remoteSessionID: UInt64? { signaling.remoteDescription?.sessionID }
    public var base: TransportAddress { ice.base }

    /// Is the data channel with this label open?
    public func isChannelOpen(_ label: String) -> Bool {
        association.channels.contains { $0.label == label && $0.state == .open }
    }

    // MARK: - Synchronous API

    /// `createDataChannel(label)`: InvalidStateError once closed (calibration exp5).
    public mutating func createDataChannel(label: String, now: Int64, into out: inout [PCAction]) -> Result<Void, RTCError> {
        borrowScratch()
        defer { endCall() }
        guard !isClosed else {
            return .failure(RTCError(name: .invalidStateError, message: "Failed to execute 'createDataChannel' on 'RTCPeerConnection': The RTCPeerConnection's signalingState is 'closed'."))
        }
        association.createChannel(label: label, into: &assocOut, now: now)
        drainAssociation(now: now, into: &out)
        return .success(())
    }

    /// `RTCDataChannel.send` of a binary message: `InvalidStateError` unless the channel is
    /// open, then `TypeError` for a size outside `0...DataTransport.maxMessageSize` (webrtc-pc
    /// `send()` checks the state first).
    public mutating func send(label: String, size: Int, now: Int64, into out: inout [PCAction]) -> Result<Void, RTCError> {
        borrowScratch()
        defer { endCall() }
        guard !isClosed, isChannelOpen(label) else {
            return .failure(RTCError(name: .invalidStateError, message: "Failed to execute 'send' on 'RTCDataChannel': RTCDataChannel.readyState is not 'open'"))
        }
        guard (0...DataTransport.maxMessageSize).contains(size) else {
            return .failure(RTCError(name: .typeError, message: "Failed to execute 'send' on 'RTCDataChannel': "
                + "Message size (\(size)) is outside 0...\(DataTransport.maxMessageSize) (the maximum message size)"))
        }
        guard association.send(label: label, size: size, now: now, into: &assocOut) else {
            return .failure(RTCError(name: .invalidStateError, message: "Failed to execute 'send' on 'RTCDataChannel': RTCDataChannel.readyState is not 'open'"))
        }
        drainAssociation(now: now, into: &out)
        return .success(())
    }

    /// `createDataChannel(label, {negotiated: true, id: stream, ordered, maxRetransmits |
    /// maxPacketLifeTime})` for application traffic; the channel opens with the association.
    /// `TypeError` for options the W3C API refuses (`DataChannelOptions.typeError`),
    /// `InvalidStateError` once closed.
    @discardableResult
    public mutating func openDataChannel(label: String, stream: UInt16, options: DataChannelOptions,
                                         now: Int64, into out: inout [PCAction]) -> Result<Void, RTCError> {
        borrowScratch()
        defer { endCall() }
        guard !isClosed else {
            return .failure(RTCError(name: .invalidStateError, message: "Failed to execute 'createDataChannel' on 'RTCPeerConnection': The RTCPeerConnection's signalingState is 'closed'."))
        }
        let r = association.openDataChannel(label: label, stream: stream, options: options, into: &assocOut)
        drainAssociation(now: now, into: &out)
        return r
    }

    /// `RTCDataChannel.send(ArrayBuffer)` on a channel of `openDataChannel`.
    public mutating func sendData(stream: UInt16, _ message: DataMessage, now: Int64,
                                  into out: inout [PCAction]) -> Result<Void, DataSendError> {
        borrowScratch()
        // Only the data transport is reached: the agent's deadline stands.
        defer { endCall(iceChanged: false) }
        guard !isClosed else { return .failure(.invalidState) }
        let r = association.sendData(stream: stream, message, now: now, into: &assocOut)
        drainAssociation(now: now, into: &out)
        return r
    }

    public mutating func setBufferedAmountLowThreshold(stream: UInt16, _ bytes: Int) {
        association.setBufferedAmountLowThreshold(stream: stream, bytes)
    }

    /// `pc.close()`: no events fire on this connection (webrtc-pc "close the connection").
    public mutating func close(now: Int64, into out: inout [PCAction]) {
        borrowScratch()
        defer { endCall() }
        guard !isClosed else { return }
        association.close(into: &assocOut)
        drainAssociation(now: now, into: &out)
        isClosed = true
        signaling.close()
        // Releasing TURN allocations is the only thing the closed agent still sends.
        ice.close(into: &iceOut)
        for o in iceOut {
            if case .sendTURN(let t, let m) = o { out.append(toTURN(t, .turn(m))) }
        }
        iceOut.clearKeepingCapacity()
        iceConnectionState = .closed
        connectionState = .closed
        chain.removeAll()
    }

    /// `restartIce()` (webrtc-pc §4.4.1.6): the next offer gets new ICE credentials, and
    /// applying it restarts ICE. Chromium fires `negotiationneeded`; the model leaves the offer
    /// to the caller. No effect once closed.
    public mutating func restartIce() {
        if !isClosed { iceRestartPending = true }
    }

    // MARK: - The operations chain

    /// Queue a chained operation; it settles with `.operationComplete` when it runs.
    public mutating func enqueue(_ op: PCOperation, now: Int64, into out: inout [PCAction]) {
        borrowScratch()
        defer { endCall() }
        chain.append(op)
        if !taskPending {
            taskPending = true
            out.append(.scheduleTask(at: now.addingSaturating(configuration.operationDelay)))
        }
    }

    public var pendingOperations: Int { chain.count }

    /// The operation the chain runs next, if any: what an owner that models CPU time charges
    /// for the task it was asked to schedule.
    public var nextOperation: PCOperation? { chain.first }

    /// Run the head of the operations chain (the owner calls this at the scheduled time).
    public mutating func runTask(now: Int64, into out: inout [PCAction]) {
        borrowScratch()
        defer { endCall() }
        taskPending = false
        guard !chain.isEmpty else { return }
        let op = chain.removeFirst()
        // An idle chain holds no storage (operations come in short bursts per connection).
        if chain.isEmpty { chain = [] }
        let result = perform(op, now: now, into: &out)
        out.append(.event(.operationComplete(op.kind, result)))
        if !chain.isEmpty && !isClosed {
            taskPending = true
            out.append(.scheduleTask(at: now.addingSaturating(configuration.operationDelay)))
        }
    }

    private func closedError(_ kind: PCOperationKind) -> RTCError {
        RTCError(name: .invalidStateError,
                 message: "Failed to execute '\(kind.methodName)' on 'RTCPeerConnection': The RTCPeerConnection's signalingState is 'closed'.")
    }

    private mutating func perform(_ op: PCOperation, now: Int64, into out: inout [PCAction]) -> Result<SessionDescription?, RTCError> {
        if isClosed { return .failure(closedError(op.kind)) }
        switch op {
        case .createOffer:
            let offer = makeDescription(.offer)
            switch signaling.createOffer(offer) {
            case .success:
                offersCreated += 1
                return .success(offer)
            case .failure(let e): return .failure(e)
            }
        case .createAnswer:
            let answer = makeDescription(.answer)
            switch signaling.createAnswer(answer) {
            case .success: return .success(answer)
            case .failure(let e): return .failure(e)
            }
        case .setLocalDescription(let given):
            var d = given
            if d == nil {
                let type = signaling.implicitLocalType()
                if type == .offer {
                    let offer = signaling.lastCreatedOffer ?? makeDescription(.offer)
                    if signaling.lastCreatedOffer == nil {
                        if case .failure(let e) = signaling.createOffer(offer) { return .failure(e) }
                        offersCreated += 1
                    }
                    d = offer
                } else {
                    let answer = signaling.lastCreatedAnswer ?? makeDescription(.answer)
                    if signaling.lastCreatedAnswer == nil {
                        if case .failure(let e) = signaling.createAnswer(answer) { return .failure(e) }
                    }
                    d = answer
                }
            }
            let description = d!
            switch signaling.setLocalDescription(description) {
            case .failure(let e):
                return .failure(e)
            case .success(let states):
                for s in states { out.append(.event(.signalingStateChange(s))) }
                appliedLocal(description, now: now, into: &out)
                return .success(signaling.localDescription)
            }
        case .setRemoteDescription(let description):
            switch signaling.setRemoteDescription(description) {
            case .failure(let e):
                return .failure(e)
            case .success(let states):
                for s in states { out.append(.event(.signalingStateChange(s))) }
                appliedRemote(description, now: now, into: &out)
                return .success(nil)
            }
        case .addIceCandidate(let payload):
            let hasCandidate: Bool
            if case .candidate = payload { hasCandidate = true } else { hasCandidate = false }
            if case .failure(let e) = signaling.checkAddIceCandidate(hasCandidate: hasCandidate) { return .failure(e) }
            switch payload {
            case .candidate(let c):
                ice.addRemoteCandidate(c, now: now, into: &iceOut)
            case .endOfCandidates:
                ice.addRemoteEndOfCandidates()
            case .description:
                return .failure(RTCError(name: .typeError, message: "Failed to execute 'addIceCandidate' on 'RTCPeerConnection': not a candidate"))
            }
            drainICE(now: now, into: &out)
            return .success(nil)
        }
    }

    private mutating func makeDescription(_ type: SDPType) -> SessionDescription {
        descriptionVersion += 1
        var ufrag = ice.localUfrag, pwd = ice.localPwd
        if (type == .offer && iceRestartPending) || (type != .offer && remoteRestartedICE) {
            // Deterministic new credentials (the model draws no randomness): the identity's,
            // suffixed with the generation.
            ufrag = "\(identity.ufrag)r\(iceGeneration + 1)"
            pwd = "\(identity.pwd)r\(iceGeneration + 1)"
        }
        return SessionDescription(type: type, sessionID: identity.sessionID, version: descriptionVersion,
                                  iceUfrag: ufrag, icePwd: pwd,
                                  setup: type == .offer ? .actpass : .active,
                                  fingerprint: identity.fingerprint, hasDataChannel: true)
    }

    private mutating func appliedLocal(_ d: SessionDescription, now: Int64, into out: inout [PCAction]) {
        if d.type != .rollback && d.iceUfrag != ice.localUfrag {
            // An ICE restart: new credentials, a new generation of candidates.
            iceGeneration += 1
            iceRestartPending = false
            remoteRestartedICE = false
            ice.restart(ufrag: d.iceUfrag, pwd: d.icePwd, forgetRemote: d.type == .offer, into: &iceOut)
            // libwebrtc: the side that offers a restart is controlling.
            if d.type == .offer { ice.setRole(.controlling) }
        }
        switch d.type {
        case .offer:
            if signaling.remoteDescription == nil { ice.setRole(.controlling) }
            ice.startGathering(now: now, into: &iceOut)
        case .answer, .pranswer:
            // Our answer says `a=setup:active`: we are the DTLS client.
            if let remote = signaling.remoteDescription {
                association.configure(isClient: d.setup == .active, remoteFingerprint: remote.fingerprint, into: &assocOut)
            }
            ice.startGathering(now: now, into: &iceOut)
        case .rollback:
            break
        }
        drainICE(now: now, into: &out)
    }

    private mutating func appliedRemote(_ d: SessionDescription, now: Int64, into out: inout [PCAction]) {
        switch d.type {
        case .offer:
            if let old = ice.remoteUfrag, old != d.iceUfrag { remoteRestartedICE = true }
            ice.setRole(.controlled)
            ice.setRemoteCredentials(ufrag: d.iceUfrag, pwd: d.icePwd, now: now, into: &iceOut)
        case .answer, .pranswer:
            // The answerer chose `active` or `passive`; we take the other DTLS role.
            association.configure(isClient: d.setup == .passive, remoteFingerprint: d.fingerprint, into: &assocOut)
            ice.setRemoteCredentials(ufrag: d.iceUfrag, pwd: d.icePwd, now: now, into: &iceOut)
            if ice.state == .connected, let p = ice.selectedPair {
                association.transportWritable(rtt: p.rtt, now: now, into: &assocOut)
            }
        case .rollback:
            break
        }
        for c in d.candidates { ice.addRemoteCandidate(c, now: now, into: &iceOut) }
        drainICE(now: now, into: &out)
    }

    // MARK: - Network and time

    /// A packet arrived at this connection's socket from `from`; `overTCP`: on its TCP
    /// connection to the TURN server.
    public mutating func receive(_ packet: PeerPacket, from: TransportAddress, overTCP: Bool = false, now: Int64,
                                 into out: inout [PCAction]) {
        borrowScratch()
        // A DTLS or SCTP packet reaches the agent only to note that the selected pair received
        // (`noteReceived`), which can only move the agent's deadline later: it is left as it
        // was, early, until someone needs it exact (`refreshStaleDeadline`).
        var iceReached = true
        defer { endCall(iceChanged: iceReached) }
        guard !isClosed else { return }
        switch packet {
        case .stun(let m):
            guard !overTCP else { return }
            ice.receive(m, from: from, now: now, into: &iceOut)
            drainICE(now: now, into: &out)
        case .turn(let m):
            guard from == configuration.turnServer else { return }
            let transport: CandidateTransport = overTCP ? .tcp : .udp
            if case .dataIndication(let peer, let data) = m {
                receiveRelayed(data.packet, from: peer, path: .relay(transport), now: now, into: &out)
            } else {
                ice.receiveTURN(m, transport: transport, now: now, into: &iceOut)
                drainICE(now: now, into: &out)
            }
        case .dtls, .sctp:
            guard !overTCP else { return }
            guard ice.selectedPair?.writable == true else {
                if early.count < 4 { early.append((packet, from)) }
                return
            }
            ice.noteReceived(from: from, now: now)
            iceReached = false
            iceDeadlineStale = true
            association.receive(packet, now: now, into: &assocOut)
            drainAssociation(now: now, into: &out)
        }
    }

    /// A packet a peer sent to one of our relay candidates, unwrapped from a Data indication.
    private mutating func receiveRelayed(_ packet: PeerPacket, from peer: TransportAddress, path: ICEPath, now: Int64,
                                         into out: inout [PCAction]) {
        switch packet {
        case .stun(let m):
            ice.receive(m, from: peer, via: path, now: now, into: &iceOut)
            drainICE(now: now, into: &out)
        case .turn:
            return
        case .dtls, .sctp:
            guard ice.selectedPair?.writable == true else {
                if early.count < 4 { early.append((packet, peer)) }
                return
            }
            ice.noteReceived(from: peer, now: now)
            association.receive(packet, now: now, into: &assocOut)
            drainAssociation(now: now, into: &out)
        }
    }

    /// A packet for the TURN server over `transport`.
    private func toTURN(_ transport: CandidateTransport, _ packet: PeerPacket) -> PCAction {
        let server = configuration.turnServer ?? TransportAddress(ip: 0, port: 0)
        return transport == .udp ? .sendDatagram(to: server, packet) : .sendOverTCP(to: server, packet)
    }

    /// When the connection next needs `timerFired` (ICE pacing, STUN, DTLS/SCTP retransmission).
    /// Stored, refreshed after every input, so reading it is a plain load. After a DTLS or SCTP
    /// packet it may be early, never late, until `refreshStaleDeadline`.
    public private(set) var nextDeadline: Int64?
    /// `ice.nextDeadline` as of the last call that reached the agent. Only calls through here
    /// change the agent, and its deadline depends on its state alone, so calls that reach only
    /// the data transport (`sendData`, a data timer) keep it instead of walking the pairs again.
    private var iceDeadline: Int64?
    /// `iceDeadline` may be early: a DTLS or SCTP packet was noted as received by the selected
    /// pair since it was computed, and receiving only moves the agent's deadlines later
    /// (keep-alive and dead-connection times count from the last packet received).
    private var iceDeadlineStale = false

    /// Make `nextDeadline` exact. After a DTLS or SCTP packet it may be early, never late (see
    /// `receive`): a timer at an early deadline finds nothing due, so an owner that just arms a
    /// timer at `nextDeadline` need not call this; one that skips a timer because the deadline
    /// moved past it must call it first.
    public mutating func refreshStaleDeadline() {
        guard iceDeadlineStale else { return }
        refreshDeadline(iceChanged: true)
    }
    /// The owner runs the data transport's timers apart (`dataDeadline`, `dataTimerFired`), so
    /// `nextDeadline` and `timerFired` leave them out (`runDataTimersApart`).
    public private(set) var dataTimersApart = false

    /// From now on the owner runs the data transport's timers itself: a simulator gives them a
    /// timer of their own, so that a delayed SACK or a T3-rtx does not displace the agent's.
    public mutating func runDataTimersApart() {
        dataTimersApart = true
        refreshDeadline(iceChanged: false)
    }

    /// When the data transport next needs `dataTimerFired` (delayed SACK, T3-rtx), if ever,
    /// once the owner runs its timers apart. Stored, refreshed after every input, as
    /// `nextDeadline` is: reading it is a plain load.
    public private(set) var dataDeadline: Int64?

    /// The data transport's timers (`runDataTimersApart`); the agent is not reached.
    public mutating func dataTimerFired(now: Int64, into out: inout [PCAction]) {
        borrowScratch()
        defer { endCall(iceChanged: false) }
        guard !isClosed else { return }
        association.dataTimerFired(now: now, into: &assocOut)
        drainAssociation(now: now, into: &out)
    }

    /// Take the shared scratch room for the outputs of this call (every public mutating method
    /// starts with this and ends with `endCall`).
    @inline(__always)
    private mutating func borrowScratch() {
        assert(iceDeadlineStale || iceDeadline == ice.nextDeadline, "the agent changed outside a call that refreshes its deadline")
        assert(!iceDeadlineStale || (iceDeadline ?? .max) <= (ice.nextDeadline ?? .max), "a stale deadline must be early, never late")
        if let scratch {
            swap(&iceOut, &scratch.ice)
            swap(&assocOut, &scratch.association)
        }
    }

    /// Give the scratch room back, empty, and recompute the next deadline. Every call drains
    /// what its parts produced (checked in debug builds, which the tests run); a stray output
    /// must not reach the next connection that borrows the room.
    /// `iceChanged`: false only when the call did not reach the agent (its deadline is kept).
    private mutating func endCall(iceChanged: Bool = true) {
        assert(iceOut.isEmpty && assocOut.isEmpty, "a PeerConnection call left outputs undrained")
        iceOut.clearKeepingCapacity()
        assocOut.clearKeepingCapacity()
        if let scratch {
            swap(&iceOut, &scratch.ice)
            swap(&assocOut, &scratch.association)
        }
        refreshDeadline(iceChanged: iceChanged)
    }

    private mutating func refreshDeadline(iceChanged: Bool) {
        if iceChanged {
            iceDeadline = ice.nextDeadline
            iceDeadlineStale = false
        }
        guard !isClosed else {
            nextDeadline = nil
            dataDeadline = nil
            return
        }
        if dataTimersApart { dataDeadline = association.dataDeadline }
        switch (iceDeadline, dataTimersApart ? association.controlDeadline : association.nextDeadline) {
        case (nil, nil): nextDeadline = nil
        case (let a?, nil): nextDeadline = a
        case (nil, let b?): nextDeadline = b
        case (let a?, let b?): nextDeadline = min(a, b)
        }
    }

    public mutating func timerFired(now: Int64, into out: inout [PCAction]) {
        borrowScratch()
        // The agent does nothing before its deadline (PeerConnectionPair's early timers check
        // it); skipping it when only the association is due spares a data channel's frequent
        // timers (delayed acks, T3) the agent's walk over its pairs, here and after the call.
        // Without application data the question would cost more than it saves: the agent is
        // usually the one due.
        let iceDue = association.dataStorage == nil || (iceDeadline.map { $0 <= now } ?? true)
        defer { endCall(iceChanged: iceDue) }
        guard !isClosed else { return }
        if iceDue {
            ice.timerFired(now: now, into: &iceOut)
            drainICE(now: now, into: &out)
        }
        association.timerFired(now: now, includingData: !dataTimersApart, into: &assocOut)
        drainAssociation(now: now, into: &out)
    }

    // MARK: - Translating the parts' outputs

    private mutating func drainICE(now: Int64, into out: inout [PCAction]) {
        var i = 0
        while i < iceOut.count {
            let o = iceOut[i]
            i += 1
            switch o {
            case .send(let to, let m):
                out.append(.sendDatagram(to: to, .stun(m)))
            case .sendTURN(let t, let m):
                out.append(toTURN(t, .turn(m)))
            case .gathered(let c):
                out.append(.event(.iceCandidate(c)))
            case .learnedLocal(let c):
                out.append(.event(.candidateLearned(c)))
            case .gatheringStateChanged(let g):
                iceGatheringState = g
                out.append(.event(.iceGatheringStateChange(g)))
                if g == .complete { out.append(.event(.iceCandidate(nil))) }
            case .stateChanged(let s):
                if s == .connected, let p = ice.selectedPair {
                    association.transportWritable(rtt: p.rtt, now: now, into: &assocOut)
                    for e in early { association.receive(e.packet, now: now, into: &assocOut) }
                    early.removeAll()
                }
                updateAggregates(into: &out)
            case .selectedPairChanged(let l, let r):
                out.append(.event(.selectedPairChange(local: l, remote: r)))
            }
        }
        iceOut.clearKeepingCapacity()
        if !assocOut.isEmpty { drainAssociation(now: now, into: &out) }
    }

    private mutating func drainAssociation(now: Int64, into out: inout [PCAction]) {
        var i = 0
        while i < assocOut.count {
            // Moved out (a payload-free case takes its place), so that a packet is not copied
            // on its way to `out` nor destroyed again when the room is cleared.
            var o = AssociationOutput.dtlsConnected
            swap(&o, &assocOut[i])
            i += 1
            switch consume o {
            case .send(let packet):
                if let p = ice.selectedPair {
                    let to = ice.remoteCandidates[p.remoteIndex].address
                    switch ice.localCandidates[p.localIndex].path {
                    case .direct: out.append(.sendDatagram(to: to, packet))
                    case .relay(let t):
                        guard let data = RelayedPacket(packet) else { break }
                        out.append(toTURN(t, .turn(.sendIndication(peer: to, data: data))))
                    }
                }
            case .dtlsConnected, .dtlsFailed:
                updateAggregates(into: &out)
            case .channelOpen(let label, let announced):
                out.append(.event(.dataChannelOpen(label: label, announced: announced)))
            case .channelMessage(let label, let size):
                out.append(.event(.dataChannelMessage(label: label, size: size)))
            case .channelClosing(let label):
                out.append(.event(.dataChannelClosing(label: label)))
            case .channelClosed(let label, let error):
                out.append(.event(.dataChannelClosed(label: label, error: error)))
            case .dataChannelOpen(let stream):
                out.append(.data(.open(stream: stream)))
            case .dataChannelClosed(let stream, let error):
                out.append(.data(.closed(stream: stream, error: error)))
            case .dataMessage(let stream, let m):
                out.append(.data(.message(stream: stream, m)))
            case .dataAbandoned(let stream, let m):
                out.append(.data(.abandoned(stream: stream, m)))
            case .bufferedAmountLow(let stream):
                out.append(.data(.bufferedAmountLow(stream: stream)))
            }
        }
        assocOut.clearKeepingCapacity()
    }

    /// webrtc-pc aggregate rules (T3) over one ICE transport and one DTLS transport.
    private mutating func updateAggregates(into out: inout [PCAction]) {
        guard !isClosed else { return }
        let transport = ice.state
        // Chromium (Blink rtc_ice_transport.cc) reports an ICE transport `failed` as `disconnected`.
        let iceState: ICETransportState = transport == .failed ? .disconnected : transport
        if iceState != iceConnectionState {
            iceConnectionState = iceState
            out.append(.event(.iceConnectionStateChange(iceState)))
        }
        let dtls = association.dtls
        let next: PeerConnectionState
        if transport == .failed || dtls == .failed {
            next = .failed
        } else if transport == .disconnected {
            next = .disconnected
        } else if transport == .new && dtls == .new {
            next = .new
        } else if (transport == .connected || transport == .completed) && dtls == .connected {
            next = .connected
        } else {
            next = .connecting
        }
        if next != connectionState {
            connectionState = next
            out.append(.event(.connectionStateChange(next)))
        }
    }
}
