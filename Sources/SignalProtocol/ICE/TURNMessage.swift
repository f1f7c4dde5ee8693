/// TURN (RFC 8656) messages between a client (an ICE agent) and a TURN server, as structured
/// values. Lifetimes are in seconds, as on the wire.
public enum TURNMessage: Sendable, Equatable {
    /// Allocate (§7.1): ask for a relayed transport address. `authenticated`: the request
    /// carries USERNAME, REALM, NONCE and MESSAGE-INTEGRITY (long-term credentials, RFC 8489
    /// §9.2); a client's first Allocate has none and is answered 401 with the realm and nonce.
    case allocateRequest(transactionID: UInt64, lifetime: UInt32, authenticated: Bool = true)
    /// XOR-RELAYED-ADDRESS, XOR-MAPPED-ADDRESS (the client's server-reflexive address) and LIFETIME.
    case allocateSuccess(transactionID: UInt64, relayed: TransportAddress, mapped: TransportAddress, lifetime: UInt32)
    /// e.g. 401 Unauthorized (with a nonce: retry with credentials), 437 Allocation Mismatch,
    /// 486 Allocation Quota Reached, 508 Insufficient Capacity.
    case allocateError(transactionID: UInt64, code: UInt16)
    /// Refresh (§7.2); lifetime 0 deletes the allocation.
    case refreshRequest(transactionID: UInt64, lifetime: UInt32)
    case refreshSuccess(transactionID: UInt64, lifetime: UInt32)
    /// 437 when there is no allocation.
    case refreshError(transactionID: UInt64, code: UInt16)
    /// CreatePermission (§9) for a peer IP address (the port is ignored, §9.1).
    case createPermissionRequest(transactionID: UInt64, peerIP: UInt32)
    case createPermissionSuccess(transactionID: UInt64)
    case createPermissionError(transactionID: UInt64, code: UInt16)
    /// Send indication (§11.3): relay `data` to `peer` from the allocation's relayed address.
    /// Boxed: inline, it would make every packet (and every datagram) 16 bytes larger than a
    /// STUN message, for the relayed paths only (PacketLayoutTests).
    indirect case sendIndication(peer: TransportAddress, data: RelayedPacket)
    /// Data indication (§11.4): `data` arrived at the relayed address from `peer`.
    indirect case dataIndication(peer: TransportAddress, data: RelayedPacket)
}

/// What a TURN indication carries: a packet between two peers, never a TURN message itself
/// (a type of its own, so that nothing can nest TURN in TURN).
public enum RelayedPacket: Sendable, Equatable {
    case stun(STUNMessage)
    case dtls(DTLSFlight)
    case sctp(SCTPPacket)

    /// The packet as a peer sends or receives it; nil for a TURN message, which no relay carries.
    public init?(_ packet: PeerPacket) {
        switch packet {
        case .stun(let m): self = .stun(m)
        case .dtls(let f): self = .dtls(f)
        case .sctp(let s): self = .sctp(s)
        case .turn: return nil
        }
    }

    public var packet: PeerPacket {
        switch self {
        case .stun(let m): .stun(m)
        case .dtls(let f): .dtls(f)
        case .sctp(let s): .sctp(s)
        }
    }
}
