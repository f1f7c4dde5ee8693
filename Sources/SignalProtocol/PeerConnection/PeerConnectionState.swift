/// `RTCPeerConnectionState`, derived as webrtc-pc specifies (calibration T3).
public enum PeerConnectionState: UInt8, Sendable {
    case new, connecting, connected, disconnected, failed, closed

    public var w3cName: String {
        switch self {
        case .new: return "new"
        case .connecting: return "connecting"
        case .connected: return "connected"
        case .disconnected: return "disconnected"
        case .failed: return "failed"
        case .closed: return "closed"
        }
    }
}

/// The operations of the RTCPeerConnection operations chain (webrtc-pc "chain an operation").
public enum PCOperation: Sendable, Equatable {
    case createOffer
    case createAnswer
    /// nil: `setLocalDescription()` with no argument (implicit type).
    case setLocalDescription(SessionDescription?)
    case setRemoteDescription(SessionDescription)
    case addIceCandidate(SignalPayload)

    public var kind: PCOperationKind {
        switch self {
        case .createOffer: return .createOffer
        case .createAnswer: return .createAnswer
        case .setLocalDescription: return .setLocalDescription
        case .setRemoteDescription: return .setRemoteDescription
        case .addIceCandidate: return .addIceCandidate
        }
    }
}

public enum PCOperationKind: UInt8, Sendable {
    case createOffer, createAnswer, setLocalDescription, setRemoteDescription, addIceCandidate

    public var methodName: String {
        switch self {
        case .createOffer: return "createOffer"
        case .createAnswer: return "createAnswer"
        case .setLocalDescription: return "setLocalDescription"
        case .setRemoteDescription: return "setRemoteDescription"
        case .addIceCandidate: return "addIceCandidate"
        }
    }
}

/// Everything a page observes from one RTCPeerConnection, in dispatch order.
///
/// The cases carrying candidates or descriptions are boxed (`indirect`): they are a few per
/// connection, while events wait by the million in pages' queues when many connections are set
/// up at once, and each waiting event is as large as the largest case.
public enum PCEvent: Sendable, Equatable {
    case signalingStateChange(SignalingState)
    case iceGatheringStateChange(ICEGatheringState)
    case iceConnectionStateChange(ICETransportState)
    case connectionStateChange(PeerConnectionState)
    /// `icecandidate`; nil is the final null candidate after gathering completes.
    indirect case iceCandidate(ICECandidate?)
    /// A local peer-reflexive candidate learned from a check response (not an event in the API;
    /// visible in getStats, traced as `candidate`).
    indirect case candidateLearned(ICECandidate)
    indirect case selectedPairChange(local: ICECandidate, remote: ICECandidate)
    /// `open` of a channel; `announced` when it came from the remote (`datachannel` event first).
    case dataChannelOpen(label: String, announced: Bool)
    case dataChannelMessage(label: String, size: Int)
    /// A channel's `readyState` became `closing` (the remote aborted the association); its
    /// `error` and `close` follow as `dataChannelClosed`.
    case dataChannelClosing(label: String)
    /// `close` of a channel; `error` when an `error` event preceded it (SCTP abort).
    case dataChannelClosed(label: String, error: Bool)
    /// A chained operation settled: the description it produced or applied, or its error.
    indirect case operationComplete(PCOperationKind, Result<SessionDescription?, RTCError>)
}

/// What a peer connection asks its owner (the simulated browser) to do.
public enum PCAction: Sendable, Equatable {
    case event(PCEvent)
    /// Send a UDP datagram from this connection's socket.
    case sendDatagram(to: TransportAddress, PeerPacket)
    /// Send over this connection's TCP connection to the TURN server at `to` (TURN over TCP).
    case sendOverTCP(to: TransportAddress, PeerPacket)
    /// Run `runTask` at this time (the next step of the operations chain).
    case scheduleTask(at: Int64)
    /// Application traffic on a negotiated data channel (`openDataChannel`).
    case data(DataEvent)
}
