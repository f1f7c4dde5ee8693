/// ICE role of RFC 8445 §6.1.1: the offerer starts controlling (RFC 9429 §5.1.1 via §3.5.1).
public enum ICERole: UInt8, Sendable {
    case controlling, controlled
}

/// `RTCIceGatheringState`.
public enum ICEGatheringState: UInt8, Sendable {
    case new, gathering, complete

    public var w3cName: String {
        switch self {
        case .new: return "new"
        case .gathering: return "gathering"
        case .complete: return "complete"
        }
    }
}

/// `RTCIceTransportState`, as libwebrtc computes it (`ComputeIceTransportState`).
public enum ICETransportState: UInt8, Sendable {
    case new, checking, connected, completed, disconnected, failed, closed

    public var w3cName: String {
        switch self {
        case .new: return "new"
        case .checking: return "checking"
        case .connected: return "connected"
        case .completed: return "completed"
        case .disconnected: return "disconnected"
        case .failed: return "failed"
        case .closed: return "closed"
        }
    }
}
