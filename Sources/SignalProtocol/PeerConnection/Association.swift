/// What the DTLS/SCTP association asks its owner to do or to report.
public enum AssociationOutput: Sendable, Equatable {
    /// Send over the selected candidate pair.
    case send(PeerPacket)
    case dtlsConnected
    case dtlsFailed
    case channelOpen(label: String, announced: Bool)
    case channelMessage(label: String, size: Int)
    /// An SCTP ABORT arrived: the channel is going away (`readyState` `closing`, Chromium's
    /// first event on the remote of a reloaded page, docs/calibration/chromium experiment 3).
    case channelClosing(label: String)
    case channelClosed(label: String, error: Bool)
    /// Application traffic (`DataTransport`): a negotiated channel opened or closed, a message
    /// delivered to the page, a message the sender gave up on (partial reliability), the send
    /// buffer drained to its threshold.
    case dataChannelOpen(stream: UInt16)
    case dataChannelClosed(stream: UInt16, error: Bool)
    case dataMessage(stream: UInt16, message: DataMessage)
    case dataAbandoned(stream: UInt16, message: DataMessage)
    case bufferedAmountLow(stream: UInt16)
}

/// The DTLS 1.2 handshake and the SCTP association with its data channels, as round trips over
/// the selected ICE pair (docs/calibration/webrtc-facts.md T10).
///
/// Responsibilities:
/// 1. DTLS: the answerer (`a=setup:active`) is the client. The client sends flights 1 and 3 and
///    retransmits them on a timer of clamp(2·RTT, 50 ms, 3 s), doubling (libwebrtc
///    `ComputeRetransmissionTimeout`); the server answers each with flight 2 or 4. Each side checks
///    the peer's certificate against the remote description's fingerprint, so a packet from a
///    stale page never completes a handshake. Server done at 1.5 RTT, client at 2 RTT.
/// 2. SCTP: once DTLS is up the DTLS server sends INIT; INIT-ACK, COOKIE-ECHO, COOKIE-ACK follow
///    (2 RTT, T1 timers of 1 s, Chrome caps backoff at 3 s and never gives up).
/// 3. Data channels: a locally created channel opens when the association does and announces
///    itself with DATA_CHANNEL_OPEN; the remote opens on receipt (+0.5 RTT). DATA is reliable:
///    retransmitted every RTO until SACKed, duplicates suppressed.
/// 4. Teardown: `close()` sends an SCTP ABORT; a received ABORT closes every channel with an
///    error (`error` then `close`, calibration exp3). Silence closes nothing (Chrome never
///    aborts on retransmission limits).
public struct Association: Sendable {
    public enum DTLSState: UInt8, Sendable { case new, connecting, connected, failed, closed }
    public enum SCTPState: UInt8, Sendable { case closed, cookieWait, cookieEchoed, established, aborted }

    public private(set) var dtls: DTLSState = .new
    public private(set) var sctp: SCTPState = .closed
    public private(set) var channels: [DataChannel] = []
    /// The fingerprints as DTLS flights carry them (inline, no reference).
    private let localCertificate: InlineText
    private var remoteCertificate: InlineText = .empty
    public var localFingerprint: String { localCertificate.string }
    public var remoteFingerprint: String { remoteCertificate.string }
    /// The DTLS role; decided by the descriptions (nil until known).
    public private(set) var isClient: Bool?

    private var dtlsFlightSent: UInt8 = 0
    private var dtlsRetransmitAt: Int64?
    private var dtlsTimeout: Int64 = 0
    private var dtlsSends = 0
    private var sctpRetransmitAt: Int64?
    private var sctpTimeout: Int64 = 1_000_000_000
    private var nextTSN: UInt32 = 1
    private var unacked: [(data: SCTPData, resendAt: Int64)] = []
    /// Received DATA: every TSN up to `cumulativeTSN`, plus the ones above it (RFC 9260 §6.2).
    private var cumulativeTSN: UInt32 = 0
    private var receivedAbove: [UInt32] = []
    private var rtt: Int64 = 0
    /// Application traffic; nil until a negotiated channel is opened, so that an association
    /// without traffic carries and costs nothing more (one reference, not the whole state).
    public var data: DataTransport? { dataStorage?.value }
    /// The transport's box: a simulator reads channel states through it without copying the
    /// association (`DataStorage.channel`).
    public private(set) var dataStorage: DataStorage?

    static let dtlsMinTimeout: Int64 = 50_000_000
    static let dtlsMaxTimeout: Int64 = 3_000_000_000
    static let dtlsMaxSends = 12
    static let sctpT1: Int64 = 1_000_000_000
    static let sctpMaxBackoff: Int64 = 3_000_000_000
    static let sctpRTO: Int64 = 500_000_000

    /// Mutate the data transport in place, copying it first if another copy of this
    /// association shares it (value semantics, as the rest of the association has).
    @discardableResult
    private mutating func withData<R>(_ body: (inout DataTransport) -> R) -> R? {
        guard dataStorage != nil else { return nil }
        if !isKnownUniquelyReferenced(&dataStorage) { dataStorage = DataStorage(dataStorage!.value) }
        let r = body(&dataStorage!.value)
        dataStorage!.deadline = dataStorage!.value.nextDeadline
        return r
    }

    /// A traffic channel's state, read in place (`data` copies the whole transport).
    public func dataChannel(stream: UInt16) -> DataTransport.Channel? {
        dataStorage?.channel(stream: stream)
    }

    public init(localFingerprint: String) {
        self.localCertificate = InlineText(localFingerprint)
    }

    public var isClosed: Bool { dtls == .closed }

    // MARK: - Inputs from the peer connection

    /// The descriptions decided the DTLS role and the peer's certificate. A different
    /// certificate on an association already under way (an offer from another remote
    /// connection fed to this one) cannot be honoured: DTLS fails.
    public mutating func configure(isClient: Bool, remoteFingerprint: String, into out: inout [AssociationOutput]) {
        let remoteCertificate = InlineText(remoteFingerprint)
        if dtls != .new && dtls != .closed && dtls != .failed && remoteCertificate != self.remoteCertificate {
            dtls = .failed
            dtlsRetransmitAt = nil
            out.append(.dtlsFailed)
            return
        }
        self.isClient = isClient
        self.remoteCertificate = remoteCertificate
    }

    /// `createDataChannel(label)`. Returns the new channel's index.
    public mutating func createChannel(label: String, into out: inout [AssociationOutput], now: Int64) {
        // The stream id is chosen when the association comes up and the DTLS role is known.
        channels.append(DataChannel(label: label, stream: UInt16.max, state: .connecting, locallyCreated: true))
        if sctp == .established { openLocalChannel(channels.count - 1, now: now, into: &out) }
    }

    /// The ICE transport became writable for the first time (or again): the client starts.
    public mutating func transportWritable(rtt: Int64, now: Int64, into out: inout [AssociationOutput]) {
        self.rtt = rtt
        guard dtls == .new, isClient == true else { return }
        dtls = .connecting
        dtlsTimeout = min(max(2 * rtt, Self.dtlsMinTimeout), Self.dtlsMaxTimeout)
        sendFlight(1, now: now, into: &out)
    }

    /// `RTCDataChannel.send` of a binary message; false if the channel is not open.
    /// False when no open channel has the label, or the size is outside
    /// `0...DataTransport.maxMessageSize` (`PeerConnection.send` says which).
    public mutating func send(label: String, size: Int, now: Int64, into out: inout [AssociationOutput]) -> Bool {
        guard (0...DataTransport.maxMessageSize).contains(size) else { return false }
        guard let i = channels.firstIndex(where: { $0.label == label && $0.state == .open }) else { return false }
        sendData(stream: channels[i].stream, content: .binary(size: size), now: now, into: &out)
        return true
    }

    /// `createDataChannel(label, {negotiated: true, id: stream, ...})` for application traffic:
    /// `TypeError` for options the W3C API refuses; ignored once the association is closed.
    @discardableResult
    public mutating func openDataChannel(label: String, stream: UInt16, options: DataChannelOptions,
                                         into out: inout [AssociationOutput]) -> Result<Void, RTCError> {
        if let reason = options.typeError { return .failure(DataChannelOptions.refusal(reason)) }
        guard dtls != .closed, sctp != .aborted else { return .success(()) }
        if dataStorage == nil { dataStorage = DataStorage(DataTransport()) }
        let established = sctp == .established
        return withData { $0.openChannel(label: label, stream: stream, options: options, established: established, into: &out) } ?? .success(())
    }

    /// `RTCDataChannel.send` on a channel of `openDataChannel`.
    public mutating func sendData(stream: UInt16, _ message: DataMessage, now: Int64,
                                  into out: inout [AssociationOutput]) -> Result<Void, DataSendError> {
        return withData { $0.send(stream: stream, message, now: now, into: &out) } ?? .failure(.invalidState)
    }

    public mutating func setBufferedAmountLowThreshold(stream: UInt16, _ bytes: Int) {
        withData { $0.setBufferedAmountLowThreshold(stream: stream, bytes) }
    }

    /// `pc.close()`: ABORT if the association is up; every channel closed without events.
    public mutating func close(into out: inout [AssociationOutput]) {
        if sctp == .established || sctp == .cookieEchoed { out.append(.send(.sctp(.abort))) }
        for i in channels.indices { channels[i].state = .closed }
        dtls = .closed
        sctp = .aborted
        dtlsRetransmitAt = nil
        sctpRetransmitAt = nil
        unacked.removeAll()
        if dataStorage != nil {
            // No events on a closed connection: the channels simply end.
            var ignored: [AssociationOutput] = []
            withData { $0.closeAll(error: false, into: &ignored) }
        }
    }

    public mutating func receive(_ packet: PeerPacket, now: Int64, into out: inout [AssociationOutput]) {
        guard dtls != .closed, dtls != .failed else { return }
        switch packet {
        case .stun, .turn:
            return
        case .dtls(let flight):
            receiveFlight(flight, now: now, into: &out)
        case .sctp(let chunk):
            // Application data implies the peer finished its handshake (a reordered flight 4).
            if dtls == .connecting && isClient == true && dtlsFlightSent == 3 {
                dtlsConnected(now: now, into: &out)
            }
            guard dtls == .connected else { return }
            receiveSCTP(chunk, now: now, into: &out)
        }
    }

    // MARK: - Time

    @inline(__always) public var nextDeadline: Int64? {
        var d = Int64.max
        if let t = dtlsRetransmitAt { d = min(d, t) }
        if let t = sctpRetransmitAt { d = min(d, t) }
        for u in unacked { d = min(d, u.resendAt) }
        if let t = dataStorage?.deadline { d = min(d, t) }
        return d == .max ? nil : d
    }

    /// `nextDeadline` without the data transport's timers (`dataDeadline`).
    @inline(__always) public var controlDeadline: Int64? {
        var d = Int64.max
        if let t = dtlsRetransmitAt { d = min(d, t) }
        if let t = sctpRetransmitAt { d = min(d, t) }
        for u in unacked { d = min(d, u.resendAt) }
        return d == .max ? nil : d
    }

    /// When the data transport next needs `dataTimerFired` (delayed SACK, T3-rtx), if ever.
    @inline(__always) public var dataDeadline: Int64? { dataStorage?.deadline }

    /// The data transport's timers alone.
    public mutating func dataTimerFired(now: Int64, into out: inout [AssociationOutput]) {
        if let t = dataStorage?.deadline, t <= now { withData { $0.timerFired(now: now, into: &out) } }
    }

    /// `includingData`: false when the owner runs the data transport's timers apart
    /// (`dataTimerFired`).
    public mutating func timerFired(now: Int64, includingData: Bool = true, into out: inout [AssociationOutput]) {
        if let t = dtlsRetransmitAt, t <= now {
            if dtlsSends >= Self.dtlsMaxSends {
                dtlsRetransmitAt = nil
                dtls = .failed
                out.append(.dtlsFailed)
            } else {
                dtlsTimeout = min(dtlsTimeout * 2, Self.dtlsMaxTimeout)
                sendFlight(dtlsFlightSent, now: now, into: &out)
            }
        }
        if let t = sctpRetransmitAt, t <= now {
            sctpTimeout = min(sctpTimeout * 2, Self.sctpMaxBackoff)
            sctpRetransmitAt = now + sctpTimeout
            switch sctp {
            case .cookieWait: out.append(.send(.sctp(.initiate)))
            case .cookieEchoed: out.append(.send(.sctp(.cookieEcho)))
            default: sctpRetransmitAt = nil
            }
        }
        for i in unacked.indices where unacked[i].resendAt <= now {
            out.append(.send(.sctp(.data(unacked[i].data))))
            unacked[i].resendAt = now + Self.sctpRTO
        }
        if includingData, let t = dataStorage?.deadline, t <= now { withData { $0.timerFired(now: now, into: &out) } }
    }

    // MARK: - DTLS

    private mutating func sendFlight(_ n: UInt8, now: Int64, into out: inout [AssociationOutput]) {
        dtlsFlightSent = n
        dtlsSends += 1
        out.append(.send(.dtls(DTLSFlight(number: n, fingerprint: localCertificate))))
        if isClient == true { dtlsRetransmitAt = now + dtlsTimeout }
    }

    /// Whether receiving flight `n` now would do the handshake's work (key exchange, signature
    /// checks), rather than answer a retransmission with the flight already built or be
    /// ignored: a DTLS stack keeps its last flight and sends it again (RFC 6347 §4.2.4), so
    /// only the first copy of each flight costs its crypto.
    /// Before the role is known (the answer not applied yet) a flight waits to be handled
    /// once it is, so its work is still to come.
    public func receivingFlightDoesHandshakeWork(_ n: UInt8) -> Bool {
        guard dtls != .closed, dtls != .failed else { return false }
        guard let client = isClient else { return true }
        if client {
            return dtls == .connecting && (n == 2 && dtlsFlightSent == 1 || n == 4 && dtlsFlightSent == 3)
        }
        return n == 1 && dtls == .new || n == 3 && dtls != .connected
    }

    private mutating func receiveFlight(_ f: DTLSFlight, now: Int64, into out: inout [AssociationOutput]) {
        guard let client = isClient else { return }
        if client {
            switch f.number {
            case 2 where dtls == .connecting:
                guard verify(f, into: &out) else { return }
                sendFlight(3, now: now, into: &out)
            case 4 where dtls == .connecting && dtlsFlightSent == 3:
                dtlsConnected(now: now, into: &out)
            default:
                return
            }
        } else {
            switch f.number {
            case 1 where dtls != .connected:
                dtls = .connecting
                sendFlight(2, now: now, into: &out)
            case 3:
                guard verify(f, into: &out) else { return }
                out.append(.send(.dtls(DTLSFlight(number: 4, fingerprint: localCertificate))))
                if dtls != .connected { dtlsConnected(now: now, into: &out) }
            default:
                return
            }
        }
    }

    /// The peer's certificate must match the remote description (RFC 8842 §5).
    private mutating func verify(_ f: DTLSFlight, into out: inout [AssociationOutput]) -> Bool {
        if f.fingerprint == remoteCertificate { return true }
        dtls = .failed
        dtlsRetransmitAt = nil
        out.append(.dtlsFailed)
        return false
    }

    private mutating func dtlsConnected(now: Int64, into out: inout [AssociationOutput]) {
        dtls = .connected
        dtlsRetransmitAt = nil
        out.append(.dtlsConnected)
        if isClient == false {
            sctp = .cookieWait
            sctpTimeout = Self.sctpT1
            sctpRetransmitAt = now + sctpTimeout
            out.append(.send(.sctp(.initiate)))
        }
    }

    // MARK: - SCTP

    private mutating func receiveSCTP(_ chunk: SCTPPacket, now: Int64, into out: inout [AssociationOutput]) {
        switch chunk {
        case .initiate:
            if sctp == .closed || sctp == .cookieWait && isClient == true { out.append(.send(.sctp(.initAck))) }
            else if sctp == .established { out.append(.send(.sctp(.initAck))) }
        case .initAck:
            guard sctp == .cookieWait else { return }
            sctp = .cookieEchoed
            sctpTimeout = Self.sctpT1
            sctpRetransmitAt = now + sctpTimeout
            out.append(.send(.sctp(.cookieEcho)))
        case .cookieEcho:
            out.append(.send(.sctp(.cookieAck)))
            if sctp != .established { established(now: now, into: &out) }
        case .cookieAck:
            if sctp == .cookieEchoed { established(now: now, into: &out) }
        case .abort:
            guard sctp != .aborted else { return }
            sctp = .aborted
            sctpRetransmitAt = nil
            unacked.removeAll()
            for i in channels.indices where channels[i].state != .closed {
                channels[i].state = .closed
                out.append(.channelClosing(label: channels[i].label))
                out.append(.channelClosed(label: channels[i].label, error: true))
            }
            withData { $0.closeAll(error: true, into: &out) }
        case .data(let d):
            guard sctp == .established else { return }
            out.append(.send(.sctp(.sack(tsn: d.tsn))))
            if d.tsn <= cumulativeTSN || receivedAbove.contains(d.tsn) { return }
            receivedAbove.append(d.tsn)
            while let k = receivedAbove.firstIndex(of: cumulativeTSN &+ 1) {
                receivedAbove.remove(at: k)
                cumulativeTSN &+= 1
            }
            receiveData(d, now: now, into: &out)
        case .sack(let tsn):
            unacked.removeAll { $0.data.tsn == tsn }
            if unacked.isEmpty { unacked = [] }  // give back the storage: most connections idle here
        case .fragment(let f):
            guard hasTCB else { return }
            if dataStorage == nil { dataStorage = DataStorage(DataTransport()) }  // SACKed even where no channel is open
            withData { $0.receiveFragment(f, now: now, into: &out) }
        case .selectiveAck(let s):
            guard hasTCB else { return }
            withData { $0.receiveSack(s, now: now, into: &out) }
        case .forwardTSN(let f):
            guard hasTCB else { return }
            if dataStorage == nil { dataStorage = DataStorage(DataTransport()) }
            withData { $0.receiveForwardTSN(f, now: now, into: &out) }
        }
    }

    /// Whether the association has its transmission control block: established, or the client
    /// between INIT-ACK and COOKIE-ACK (dcSCTP makes the TCB on INIT-ACK and accepts DATA in
    /// COOKIE-ECHOED). The server, established on COOKIE-ECHO, may send DATA that overtakes
    /// its COOKIE-ACK; dropped, the first burst of a flow waited for T3-rtx and crawled
    /// (QA, session 14).
    private var hasTCB: Bool { sctp == .established || sctp == .cookieEchoed }

    private mutating func established(now: Int64, into out: inout [AssociationOutput]) {
        sctp = .established
        sctpRetransmitAt = nil
        withData { $0.associationEstablished(into: &out) }
        for i in channels.indices where channels[i].locallyCreated && channels[i].state == .connecting {
            openLocalChannel(i, now: now, into: &out)
        }
    }

    private mutating func openLocalChannel(_ i: Int, now: Int64, into out: inout [AssociationOutput]) {
        // RFC 8832 §6: the DTLS client uses even stream ids, the server odd ones.
        var stream: UInt16 = isClient == true ? 0 : 1
        while channels.contains(where: { $0.stream == stream }) { stream += 2 }
        channels[i].stream = stream
        // RFC 8832: the creator may consider the channel open without waiting for the ACK.
        channels[i].state = .open
        sendData(stream: channels[i].stream, content: .dcepOpen(label: InlineText(channels[i].label)), now: now, into: &out)
        out.append(.channelOpen(label: channels[i].label, announced: false))
    }

    private mutating func sendData(stream: UInt16, content: SCTPData.Content, now: Int64, into out: inout [AssociationOutput]) {
        let d = SCTPData(tsn: nextTSN, stream: stream, content: content)
        nextTSN &+= 1
        unacked.append((d, now + Self.sctpRTO))
        out.append(.send(.sctp(.data(d))))
    }

    private mutating func receiveData(_ d: SCTPData, now: Int64, into out: inout [AssociationOutput]) {
        switch d.content {
        case .dcepOpen(let text):
            guard !channels.contains(where: { $0.stream == d.stream }) else { return }
            let label = text.string
            channels.append(DataChannel(label: label, stream: d.stream, state: .open, locallyCreated: false))
            out.append(.channelOpen(label: label, announced: true))
            sendData(stream: d.stream, content: .dcepAck, now: now, into: &out)
        case .dcepAck:
            return
        case .binary(let size):
            guard let i = channels.firstIndex(where: { $0.stream == d.stream && $0.state == .open }) else { return }
            channels[i].messagesReceived += 1
            out.append(.channelMessage(label: channels[i].label, size: size))
        }
    }
}

/// The data transport's box in an association (`Association.dataStorage`).
///
/// Its two properties are read and written on every packet of application data; unchecked
/// exclusivity spares those accesses the runtime's bookkeeping (measured: 1.7 % of the
/// instructions of the 100-peer join with light traffic). Sound because an association is
/// only ever used from one thread at a time and never reaches its own box while it has
/// `value` out (`Association.withData`).
public final class DataStorage: @unchecked Sendable {
    @exclusivity(unchecked) var value: DataTransport
    /// `value.nextDeadline`, kept current by `Association.withData`: read on every event of the
    /// connection, so a load rather than a walk of the transport.
    @exclusivity(unchecked) var deadline: Int64?
    init(_ value: DataTransport) {
        self.value = value
        deadline = value.nextDeadline
    }

    public func channel(stream: UInt16) -> DataTransport.Channel? { value.channel(stream: stream) }
}
