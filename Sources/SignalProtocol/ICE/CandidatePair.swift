/// A local candidate (with the base it sends from) as the agent keeps it.
public struct LocalCandidate: Sendable, Equatable {
    public var candidate: ICECandidate
    /// The transport address packets are actually sent from (RFC 8445 §5.1.1.1 "base"); a
    /// relay candidate is its own base.
    public var base: TransportAddress
    /// How packets of this candidate travel: from the socket, or through a TURN allocation.
    public var path: ICEPath = .direct
}

/// A candidate pair and its check state (RFC 8445 §6.1.2.6), with the per-connection
/// bookkeeping libwebrtc keeps (`Connection`: writable, receiving, unanswered pings).
public struct CandidatePair: Sendable, Equatable {
    public enum State: UInt8, Sendable {
        /// Not yet checked.
        case waiting
        /// At least one check sent, no response yet.
        case inProgress
        /// A check succeeded: the pair is writable (unless later unanswered pings made it unwritable).
        case succeeded
        /// No response for `inactiveTimeout`: the pair is dead.
        case failed
    }

    public var localIndex: Int
    public var remoteIndex: Int
    public var priority: UInt64
    public var state: State = .waiting
    /// The controlling agent nominated this pair (sent or received USE-CANDIDATE).
    public var nominated = false
    /// Writable: a check succeeded and not too many pings since went unanswered.
    public var writable = false
    /// Last time anything arrived on this pair (request, response or data).
    public var lastReceived: Int64 = .min
    public var lastPingSent: Int64 = .min
    public var pingsSent = 0
    /// Pings sent since the last response, and when the first of them was sent.
    public var unansweredPings = 0
    public var firstUnansweredAt: Int64 = .min
    /// When the `unwritableMinChecks`-th of those pings went out.
    public var unwritableCheckSentAt: Int64 = .min
    /// Smoothed round-trip time of checks on this pair, ns (0 until measured).
    public var rtt: Int64 = 0
    /// The path is open: always for a direct pair; for a relay pair once the TURN server
    /// holds a permission for the remote IP.
    public var pathReady = true

    /// RFC 8445 §6.1.2.3: 2^32·MIN(G,D) + 2·MAX(G,D) + (G>D ? 1 : 0), where G is the
    /// controlling agent's candidate priority and D the controlled agent's.
    public static func priority(controlling g: UInt32, controlled d: UInt32) -> UInt64 {
        let lo = UInt64(min(g, d)), hi = UInt64(max(g, d))
        return (lo << 32) &+ 2 &* hi &+ (g > d ? 1 : 0)
    }
}
