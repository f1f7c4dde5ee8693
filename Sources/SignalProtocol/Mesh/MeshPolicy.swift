/// A reconnect policy: the decisions the notes leave to the mesh manager, made pluggable so
/// that policies can be compared on the same scenarios.
///
/// The manager asks the policy at each decision point; a policy that does not care about a
/// hook keeps the notes' behaviour through the default implementations. `PolicySpec` answers
/// every hook from data (a policy file, `MeshSim policies --json`); a Swift type of a user's
/// own may answer them with any logic (docs/library.md, Examples/CustomPolicy).
public protocol MeshPolicy: Sendable {
    /// Name used on the command line and in reports.
    var name: String { get }
    /// One line for `MeshSim policies`.
    var summary: String { get }
    /// Strategy 1's "if connected, ignore": does this link count as connected?
    func isConnected(_ link: MeshLink) -> Bool
    /// `online(id)` for an id the manager already has a live link to: tear it down and dial?
    /// The notes: only when not connected (strategy 1). `link.announcedInstance` is the page
    /// load the `online` named, when the policy uses instance ids.
    func redialOnOnline(_ link: MeshLink) -> Bool
    /// `init` lists an id the manager already has a live link to (this page's WebSocket came
    /// back): tear it down and wait passively for the other side's offer? The notes' manager
    /// does so unless the link is connected.
    func replaceOnInit(_ link: MeshLink) -> Bool
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
    /// After a link to a peer that is still online failed or lost its channel (and was torn
    /// down), dial it again with this backoff; nil: never (the notes wait for an `online`).
    var redial: RedialRule? { get }
    /// When the server says another page took this page's uid (a duplicated tab), rejoin
    /// under a fresh uid instead of staying off signaling.
    var rejoinWithFreshUid: Bool { get }
    /// With `rejoinWithFreshUid`: close every link before rejoining, as a new page would.
    var rejoinAsNewPage: Bool { get }
    /// A failed connection is repaired in place: the dialer calls `restartIce()` and sends a new
    /// offer (the other side answers it); nothing is destroyed.
    var restartIceOnFailure: Bool { get }
    /// A connection that stays `disconnected` this long (nanoseconds) is repaired with an ICE
    /// restart from its dialer, before ICE's timers declare it `failed`; nil: wait.
    var iceRestartAfterDisconnected: Int64? { get }
    /// Carry a per-page-load instance id in `hello` and every signal, read the ids of the
    /// others from `init` and `online`, and drop signals from (or meant for) another page load.
    var usesInstanceIds: Bool { get }
    /// W3C perfect negotiation when offers cross (glare): the smaller uid is impolite and
    /// ignores the other's offer, the larger uid is polite and rolls its own offer back.
    var perfectNegotiation: Bool { get }
    /// Tear the link to an id down when the server says it went `offline`.
    var teardownOnOffline: Bool { get }
}

extension MeshPolicy {
    public func redialOnOnline(_ link: MeshLink) -> Bool { !isConnected(link) }
    public func replaceOnInit(_ link: MeshLink) -> Bool { !isConnected(link) }
    public var destroyOnChannelClose: Bool { true }
    public var destroyOnConnectionFailed: Bool { true }
    public var replaceLinkOnForeignOffer: Bool { false }
    public var acceptOfferWithoutLink: Bool { false }
    public var redial: RedialRule? { nil }
    public var rejoinWithFreshUid: Bool { false }
    public var rejoinAsNewPage: Bool { false }
    public var restartIceOnFailure: Bool { false }
    public var iceRestartAfterDisconnected: Int64? { nil }
    public var usesInstanceIds: Bool { false }
    public var perfectNegotiation: Bool { false }
    public var teardownOnOffline: Bool { false }
}

/// Who re-dials a dead link, and when: attempt *n* (from 1) waits
/// `min(cap, initial × factor^(n−1))`, stretched by a factor drawn uniformly from
/// `[1 − jitter, 1 + jitter]` with the run's generator (no draw when `jitter` is 0).
public struct RedialRule: Hashable, Sendable {
    /// Which side of a pair dials again.
    public enum Dialer: String, Hashable, Sendable, CaseIterable {
        /// The side whose uid sorts first (the two sides never offer at once).
        case smallerUid
        /// The side whose uid sorts last.
        case largerUid
        /// Both sides (offers may cross: pair it with perfect negotiation).
        case both
    }

    public var dialer: Dialer
    /// Nanoseconds before the first attempt (the grace period after the failure).
    public var initial: Int64
    public var factor: Double
    /// Nanoseconds: no wait is longer before jitter stretches it.
    public var cap: Int64
    /// 0 … 1: the spread of the random stretch.
    public var jitter: Double

    public init(dialer: Dialer = .smallerUid, initial: Int64 = 1_000_000_000, factor: Double = 2,
                cap: Int64 = 8_000_000_000, jitter: Double = 0) {
        self.dialer = dialer
        self.initial = initial
        self.factor = factor
        self.cap = cap
        self.jitter = jitter
    }

    /// Does the side `me` re-dial `remote`?
    public func dials(me: String, remote: String) -> Bool {
        switch dialer {
        case .smallerUid: return me < remote
        case .largerUid: return me > remote
        case .both: return true
        }
    }

    /// The wait before attempt `attempt` (from 1), before jitter.
    public func delay(attempt: Int) -> Int64 {
        var d = Double(initial)
        var n = 1
        while n < attempt && d < Double(cap) {
            d *= factor
            n += 1
        }
        return d >= Double(cap) ? cap : Int64(d)
    }
}
