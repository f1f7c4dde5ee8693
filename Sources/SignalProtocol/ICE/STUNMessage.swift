/// The STUN messages ICE and gathering exchange (RFC 8489 Binding, with the ICE attributes of
/// RFC 8445 §7.1.1–7.1.3), carried as structured values instead of bytes.
public struct STUNMessage: Sendable, Equatable {
    public enum Kind: UInt8, Sendable {
        case bindingRequest
        case bindingSuccess
        /// Error response; `errorCode` says which (487 Role Conflict, 401 Unauthorized, ...).
        case bindingError
    }

    // Stored widest first, so that the message packs into 67 bytes and a `PeerPacket` holding
    // it (one tag byte more) into 72 (PacketLayoutTests).
    public var transactionID: UInt64
    /// `USERNAME` = "remoteUfrag:localUfrag" of the sender, split in two; empty for plain
    /// STUN-server binding requests. Inline values, so that a STUN message holds no reference.
    public var usernameTarget: InlineText
    public var usernameSource: InlineText
    /// `ICE-CONTROLLING` (true) or `ICE-CONTROLLED` (false), with the tie-breaker.
    public var tieBreaker: UInt64
    /// `PRIORITY` the sender would give a peer-reflexive candidate learned from this check.
    public var priority: UInt32
    /// `XOR-MAPPED-ADDRESS` in success responses: the source address the responder saw.
    public var mappedAddress: TransportAddress
    public var errorCode: UInt16
    public var kind: Kind
    /// `USE-CANDIDATE` (nomination, sent by the controlling agent).
    public var useCandidate: Bool
    public var controlling: Bool

    public init(kind: Kind, transactionID: UInt64, usernameTarget: InlineText = .empty, usernameSource: InlineText = .empty,
                priority: UInt32 = 0, useCandidate: Bool = false, controlling: Bool = false,
                tieBreaker: UInt64 = 0, mappedAddress: TransportAddress = TransportAddress(ip: 0, port: 0),
                errorCode: UInt16 = 0) {
        self.kind = kind
        self.transactionID = transactionID
        self.usernameTarget = usernameTarget
        self.usernameSource = usernameSource
        self.priority = priority
        self.useCandidate = useCandidate
        self.controlling = controlling
        self.tieBreaker = tieBreaker
        self.mappedAddress = mappedAddress
        self.errorCode = errorCode
    }
}
