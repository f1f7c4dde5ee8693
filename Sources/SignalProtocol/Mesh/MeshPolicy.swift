/// A reconnect policy: the decisions the notes leave to the mesh manager, made pluggable so
/// that policies can be compared on the same scenarios.
///
/// The manager asks the policy at each decision point; a policy that does not care about a
/// hook keeps the notes' behaviour through the default implementations.
public protocol MeshPolicy: Sendable {
    /// Name used on the command line and in reports.
    var name: String { get }
    /// One line for `MeshSim policies`.
    var summary: String { get }
    /// Strategy 1's "if connected, ignore": does this link count as connected?
    func isConnected(_ link: MeshLink) -> Bool
    /// `online(id)` for an id the manager already has a live link to: tear it down and dial?
    /// The notes: only when not connected (strategy 1).
    func redialOnOnline(_ link: MeshLink) -> Bool
    /// Tear a link down when its data channel closes (what simple-peer does).
    var destroyOnChannelClose: Bool { get }
    /// Tear a link down when connectionState becomes `failed` (simple-peer's
    /// ERR_CONNECTION_FAILURE).
    var destroyOnConnectionFailed: Bool { get }
    /// An offer from a different remote connection than the one a link talks to (the remote
    /// page reloaded or re-dialled): replace the link by a new passive one instead of feeding
    /// the offer to the old connection.
    var replaceLinkOnForeignOffer: Bool { get }
    /// An offer from an id with no live link: create a passive link for it instead of dropping it.
    var acceptOfferWithoutLink: Bool { get }
    /// After a link to a peer that is still online failed or lost its channel, dial it again
    /// after this backoff (doubling per attempt); nil: never (the notes wait for an `online`).
    /// Only the side with the smaller uid dials, so the two sides never offer at once.
    var redialBackoff: Int64? { get }
    /// When the server says another page took this page's uid (a duplicated tab), rejoin
    /// under a fresh uid instead of staying off signaling.
    var rejoinWithFreshUid: Bool { get }
    /// A failed connection is repaired in place: the dialer calls `restartIce()` and sends a new
    /// offer (the other side answers it); nothing is destroyed.
    var restartIceOnFailure: Bool { get }
}

extension MeshPolicy {
    public func redialOnOnline(_ link: MeshLink) -> Bool { !isConnected(link) }
    public var destroyOnChannelClose: Bool { true }
    public var destroyOnConnectionFailed: Bool { true }
    public var replaceLinkOnForeignOffer: Bool { false }
    public var acceptOfferWithoutLink: Bool { false }
    public var redialBackoff: Int64? { nil }
    public var rejoinWithFreshUid: Bool { false }
    public var restartIceOnFailure: Bool { false }
}

/// The notes, literally, as a simple-peer style wrapper runs them: "connected" means the data
/// channel is open (docs/calibration/README.md, "What connected means to the seed policy").
public struct SeedPolicy: MeshPolicy {
    public init() {}
    public var name: String { "seed" }
    public var summary: String {
        "the notes literally: passive on init, active on online, strategy 1 with connected = data channel open"
    }
    public func isConnected(_ link: MeshLink) -> Bool { link.dataChannelOpen }
}

/// The stricter literal reading: "connected" is `connectionState === 'connected'`, the reading
/// of the Chromium recordings, under which even a clean reload leaves a zombie (calibration exp3).
public struct SeedStrictPolicy: MeshPolicy {
    public init() {}
    public var name: String { "seed-strict" }
    public var summary: String {
        "the notes literally, with connected = connectionState 'connected' (zombies even on a clean reload)"
    }
    public func isConnected(_ link: MeshLink) -> Bool { link.connectionState == .connected }
    /// The recorded page (calibration harness mesh.js) did not tear a peer down when its channel
    /// closed; it only replaced peers that were not connected.
    public var destroyOnChannelClose: Bool { false }
}

/// Always re-dial on `online`: the `replace` policy of the Chromium recordings, which brought
/// a reloaded page back in about 160 ms (calibration exp3). Fixes every zombie that announces
/// itself with an `online`; costs a renegotiation of every link after a WebSocket-only drop or
/// a server restart, and cannot repair a link that fails without an `online`.
public struct ReplacePolicy: MeshPolicy {
    public init() {}
    public var name: String { "replace" }
    public var summary: String {
        "on every online: close the old connection and dial again (fixes zombies; renegotiates after WS drops)"
    }
    public func isConnected(_ link: MeshLink) -> Bool { link.dataChannelOpen }
    public func redialOnOnline(_ link: MeshLink) -> Bool { true }
    public var replaceLinkOnForeignOffer: Bool { true }
    public var acceptOfferWithoutLink: Bool { true }
}

/// `replace`, plus repair without the server's help: a link that fails or loses its channel
/// while its peer is online is re-dialled with backoff by the smaller uid, offers from unknown
/// ids are accepted, and a tab whose uid was taken by a duplicate rejoins under a fresh uid.
public struct ResilientPolicy: MeshPolicy {
    public init() {}
    public var name: String { "resilient" }
    public var summary: String {
        "replace + re-dial failed links with backoff (smaller uid dials) + fresh uid for a duplicated tab"
    }
    public func isConnected(_ link: MeshLink) -> Bool { link.dataChannelOpen && link.connectionState == .connected }
    public func redialOnOnline(_ link: MeshLink) -> Bool { true }
    public var replaceLinkOnForeignOffer: Bool { true }
    public var acceptOfferWithoutLink: Bool { true }
    public var redialBackoff: Int64? { 1_000_000_000 }
    public var rejoinWithFreshUid: Bool { true }
}

/// Every policy MeshSim knows, in the order `MeshSim policies` lists them.
public struct RestartICEPolicy: MeshPolicy {
    public init() {}
    public var name: String { "restart-ice" }
    public var summary: String {
        "resilient, but a failed connection is repaired with restartIce() and a new offer from the dialer instead of a new RTCPeerConnection"
    }
    public func isConnected(_ link: MeshLink) -> Bool { link.dataChannelOpen && link.connectionState == .connected }
    public func redialOnOnline(_ link: MeshLink) -> Bool { true }
    public var destroyOnConnectionFailed: Bool { false }
    public var replaceLinkOnForeignOffer: Bool { true }
    public var acceptOfferWithoutLink: Bool { true }
    public var rejoinWithFreshUid: Bool { true }
    public var restartIceOnFailure: Bool { true }
}

public enum Policies {
    public static let all: [any MeshPolicy] = [SeedPolicy(), SeedStrictPolicy(), ReplacePolicy(), ResilientPolicy(),
                                                RestartICEPolicy()]

    public static func named(_ name: String) -> (any MeshPolicy)? {
        all.first { $0.name == name }
    }
}
