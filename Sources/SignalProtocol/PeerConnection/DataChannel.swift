/// `RTCDataChannelState`.
public enum DataChannelState: UInt8, Sendable {
    case connecting, open, closing, closed

    public var w3cName: String {
        switch self {
        case .connecting: return "connecting"
        case .open: return "open"
        case .closing: return "closing"
        case .closed: return "closed"
        }
    }
}

/// One RTCDataChannel (reliable, ordered: the only kind the mesh uses).
public struct DataChannel: Sendable, Equatable {
    public var label: String
    /// SCTP stream id. The DTLS client takes even ids and the server odd ones (RFC 8832 §6);
    /// Chromium gave the offerer's `mesh` channel id 1 (calibration §1). `UInt16.max` until the
    /// association is up.
    public var stream: UInt16
    public var state: DataChannelState
    /// Created by this side (`createDataChannel`) rather than announced by the remote.
    public var locallyCreated: Bool
    public var messagesReceived = 0
}
