/// A UDP datagram's content between two peer connections (or towards a STUN server), as
/// structured values: the simulator never serialises these.
public enum PeerPacket: Sendable, Equatable {
    case stun(STUNMessage)
    case dtls(DTLSFlight)
    case sctp(SCTPPacket)
    /// Between a TURN client and server (allocations, permissions, relayed data).
    case turn(TURNMessage)
}

/// One flight of the DTLS 1.2 handshake (RFC 6347 §4.2.4): 1 ClientHello, 2 ServerHello..Done,
/// 3 Certificate..Finished, 4 ChangeCipherSpec/Finished. `fingerprint` stands for the sender's
/// certificate, which the receiver checks against the remote description's `a=fingerprint`.
public struct DTLSFlight: Sendable, Equatable {
    public var number: UInt8
    public var fingerprint: InlineText
    public init(number: UInt8, fingerprint: InlineText) {
        self.number = number
        self.fingerprint = fingerprint
    }
}

/// SCTP over DTLS (RFC 8261), chunk by chunk: the association set-up of RFC 9260 §5.1, ABORT,
/// and DATA/SACK carrying DCEP (RFC 8832) and the mesh's probe; application traffic travels as
/// `fragment`, `selectiveAck` and `forwardTSN` (`DataTransport`, its own TSN space).
public enum SCTPPacket: Sendable, Equatable {
    case initiate
    case initAck
    case cookieEcho
    case cookieAck
    case abort
    case data(SCTPData)
    case sack(tsn: UInt32)
    /// A DATA chunk of application traffic (`DataTransport`). Boxed (`indirect`): inline, its
    /// 56 bytes would cost `PeerPacket` a tag byte of its own, and every packet of every run
    /// would be copied a little slower (measured: +0.2 % instructions on the 100-peer join).
    indirect case fragment(DataFragment)
    /// SACK with gap ack blocks for application traffic (RFC 9260 §3.3.4). Inline: it fits in
    /// the room other payloads take anyway (a test checks it), and a box would cost an
    /// allocation and a release to zero per SACK.
    case selectiveAck(SelectiveAck)
    /// FORWARD-TSN (RFC 3758 §3.2): the sender gave up on everything up to a TSN. Boxed: rare.
    indirect case forwardTSN(ForwardTSN)
}

public struct SCTPData: Sendable, Equatable {
    public enum Content: Sendable, Equatable {
        /// DATA_CHANNEL_OPEN with the channel label.
        case dcepOpen(label: InlineText)
        case dcepAck
        /// An application message of `size` bytes (binary, PPID 53).
        case binary(size: Int)
    }
    public var tsn: UInt32
    public var stream: UInt16
    public var content: Content

    public init(tsn: UInt32, stream: UInt16, content: Content) {
        self.tsn = tsn
        self.stream = stream
        self.content = content
    }
}
