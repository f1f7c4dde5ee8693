/// How a check, a response or data travels: from the agent's own socket, or through its TURN
/// allocation over UDP or TCP.
public enum ICEPath: Sendable, Equatable {
    case direct
    case relay(CandidateTransport)
}

/// A client transaction towards the STUN or TURN server, retransmitted on libwebrtc's schedule
/// (`stun_request.cc`: RTO 250 ms doubling up to 8 s, 9 sends, failure 39.75 s after the first).
public struct ServerTransaction: Sendable, Equatable {
    public var id: UInt64
    public var sends: Int
    public var nextAt: Int64
    public var rto: Int64
}

/// The client side of one TURN allocation (RFC 8656): Allocate, Refresh before expiry,
/// CreatePermission per peer IP (refreshed while used), release on close.
///
/// The agent keeps one per TURN transport (UDP and TCP, allocated in parallel at the RELAY
/// gathering phase as Chromium does for a `turn:` URL with both transports); the relay
/// candidate it yields is a local candidate
/// like any other, but its checks and data go out as Send indications and come back as Data
/// indications.
public struct RelayAllocation: Sendable {
    public enum State: Sendable, Equatable {
        case allocating
        case allocated
        /// The Allocate or a Refresh failed (timeout or error): no relay on this transport.
        case failed
        /// Given up by the client: deleted with a Refresh of lifetime 0 on close, or dropped
        /// (released if granted) when its port timed out unused after gathering stopped.
        case released
    }

    /// A permission for one peer IP (§9: ports are ignored).
    public struct Permission: Sendable, Equatable {
        public var ip: UInt32
        /// Until when the server holds it; `.min` until the first CreatePermission succeeds.
        public var grantedUntil: Int64 = .min
        /// The outstanding CreatePermission, if any.
        public var transaction: ServerTransaction?
        /// The CreatePermission timed out or was refused.
        public var failed = false

        public func isGranted(now: Int64) -> Bool { now < grantedUntil }
    }

    public let transport: CandidateTransport
    public internal(set) var state: State = .allocating
    /// The outstanding Allocate or Refresh.
    public internal(set) var transaction: ServerTransaction?
    public internal(set) var relayed: TransportAddress?
    /// The client's address as the server saw it (the relay candidate's related address).
    public internal(set) var mapped: TransportAddress?
    /// When the server forgets the allocation unless refreshed.
    public internal(set) var expiresAt: Int64 = .max
    public internal(set) var permissions: [Permission] = []
    /// Granted before an ICE restart and not yet confirmed by the server since: its relay
    /// candidate waits for the Refresh's answer (`ICEAgent.restart`).
    public internal(set) var confirming = false
    /// The server's error code when it refused the Allocate (0: no error, or a timeout).
    public internal(set) var errorCode: UInt16 = 0
    /// The server's 401 gave us its realm and nonce: requests carry credentials from now on.
    public internal(set) var hasCredentials = false
    /// When the RELAY gathering phase created it (libwebrtc creates the TURN port then).
    public internal(set) var createdAt: Int64 = 0
    /// Gathering stopped (a writable pair) before it was granted: its relay candidate is
    /// discarded, never trickled nor paired (libwebrtc `BasicPortAllocatorSession::OnConfigStop`
    /// marks such ports done and `OnCandidateReady` then drops their candidates).
    public internal(set) var discarded = false
    /// When a discarded allocation's port is destroyed unused (`.max`: never): libwebrtc
    /// `Port::DestroyIfDead`, `kPortTimeoutDelay` after the port was created; a granted
    /// allocation is then released (`TurnPort::~TurnPort` → `Release`).
    public internal(set) var destroyAt: Int64 = .max

    /// libwebrtc `p2p/base/port.cc` `kPortTimeoutDelay` = `STUN_TOTAL_TIMEOUT` + 5 s = 44.75 s:
    /// a port that never became ready and has no connections is destroyed this long after its
    /// creation.
    static let portTimeoutDelay: Int64 = 44_750_000_000
    /// Refresh an allocation this long before it expires (libwebrtc: one minute).
    static let refreshMargin: Int64 = 60_000_000_000
    /// Refresh a permission this long after it was granted (libwebrtc: every 4 minutes of
    /// its 5-minute lifetime).
    static let permissionRefresh: Int64 = 240_000_000_000

    public init(transport: CandidateTransport) {
        self.transport = transport
    }

    public func permission(for ip: UInt32) -> Permission? {
        permissions.first { $0.ip == ip }
    }
}
