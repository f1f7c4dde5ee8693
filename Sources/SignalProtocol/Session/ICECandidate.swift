/// Candidate types of RFC 8445 §5.1.1, spelled as in `RTCIceCandidateType`.
public enum CandidateType: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case host, srflx, prflx, relay

    /// RFC 8445 §5.1.2.2 recommended type preferences, which libwebrtc uses for UDP
    /// (`p2p/base/p2p_constants.h`: host 126, prflx 110, srflx 100; relay 0..3 by relay protocol).
    public var typePreference: UInt32 {
        switch self {
        case .host: return 126
        case .prflx: return 110
        case .srflx: return 100
        case .relay: return 0
        }
    }

    public var description: String {
        switch self {
        case .host: return "host"
        case .srflx: return "srflx"
        case .prflx: return "prflx"
        case .relay: return "relay"
        }
    }

    public init?(name: String) {
        switch name {
        case "host": self = .host
        case "srflx": self = .srflx
        case "prflx": self = .prflx
        case "relay": self = .relay
        default: return nil
        }
    }
}

/// Transport protocol of a candidate.
public enum CandidateTransport: UInt8, Sendable, CustomStringConvertible {
    case udp, tcp
    public var description: String { self == .udp ? "udp" : "tcp" }
}

/// The `tcptype` of a TCP candidate (RFC 6544 §4.5), spelled as in `RTCIceTcpCandidateType`:
/// an active candidate only opens connections, a passive one only accepts them, a
/// simultaneous-open (`so`) one does both.
public enum TCPType: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case active, passive, so

    public var description: String {
        switch self {
        case .active: return "active"
        case .passive: return "passive"
        case .so: return "so"
        }
    }

    public init?(name: String) {
        switch name {
        case "active": self = .active
        case "passive": self = .passive
        case "so": self = .so
        default: return nil
        }
    }
}

/// An ICE candidate as trickled through signaling (the fields of an SDP `a=candidate` line
/// that the model uses), plus the `ufrag` of the generation it belongs to.
public struct ICECandidate: Hashable, Sendable {
    public var foundation: String
    public var component: UInt8
    public var transport: CandidateTransport
    public var priority: UInt32
    public var address: TransportAddress
    public var type: CandidateType
    /// The base's address for srflx/prflx/relay candidates (`raddr`/`rport`), nil for host.
    public var relatedAddress: TransportAddress?
    /// `tcptype` of a TCP candidate (RFC 6544); nil for UDP candidates.
    public var tcpType: TCPType?
    /// The ICE username fragment of the generation this candidate belongs to.
    public var ufrag: String

    public init(foundation: String, component: UInt8 = 1, transport: CandidateTransport = .udp,
                priority: UInt32, address: TransportAddress, type: CandidateType,
                relatedAddress: TransportAddress? = nil, tcpType: TCPType? = nil, ufrag: String) {
        self.foundation = foundation
        self.component = component
        self.transport = transport
        self.priority = priority
        self.address = address
        self.type = type
        self.relatedAddress = relatedAddress
        self.tcpType = tcpType
        self.ufrag = ufrag
    }

    /// libwebrtc's type preference of a host TCP candidate (`p2p/base/p2p_constants.h`
    /// `ICE_TYPE_PREFERENCE_HOST_TCP` = 90), below every UDP host, prflx and srflx candidate.
    /// Chromium 156 signalled its `tcptype active` host candidate with priority 1518280447 =
    /// 90·2^24 + 32542·2^8 + 255: the UDP host's local preference with this type preference
    /// (docs/calibration/chromium traces, experiment 2).
    public static let hostTCPTypePreference: UInt32 = 90

    /// RFC 8445 §5.1.2.1: priority = 2^24·type preference + 2^8·local preference + (256 − component).
    public static func priority(type: CandidateType, localPreference: UInt32, component: UInt8) -> UInt32 {
        priority(typePreference: type.typePreference, localPreference: localPreference, component: component)
    }

    /// The same formula with an explicit type preference (libwebrtc `Candidate::GetPriority`).
    public static func priority(typePreference: UInt32, localPreference: UInt32, component: UInt8) -> UInt32 {
        (typePreference << 24) | ((localPreference & 0xffff) << 8) | (256 - UInt32(component))
    }
}
