import SignalProtocol

/// An app's own reconnect policy, as Swift code rather than a policy object: the recommended
/// `keep-live-links` decisions, except that peers the app knows to be always-on hosts (uids
/// starting with `host-`) are re-dialled at once and by both sides after a failure, while
/// ordinary tabs keep the backoff.
///
/// Every decision the type does not state comes from the preset it starts from, so it states
/// only where it differs: what a policy object cannot say (a rule that depends on the uid).
public struct StableHostsPolicy: MeshPolicy {
    /// The decisions this policy starts from.
    public var base: PolicySpec = .keepLiveLinks
    /// Uids with this prefix are always-on hosts.
    public var hostPrefix = "host-"

    public init() {}

    public var name: String { "stable-hosts" }
    public var summary: String { "keep-live-links, but a failed link to an always-on host is re-dialled at once" }

    public func isConnected(_ link: MeshLink) -> Bool { base.isConnected(link) }

    /// A host never reloads: an `online` from one is a WebSocket coming back, never a new page,
    /// so a connected link to a host is kept even without instance ids.
    public func redialOnOnline(_ link: MeshLink) -> Bool {
        link.remote.hasPrefix(hostPrefix) ? !isConnected(link) : base.redialOnOnline(link)
    }

    public func replaceOnInit(_ link: MeshLink) -> Bool { base.replaceOnInit(link) }
    public var destroyOnChannelClose: Bool { base.destroyOnChannelClose }
    public var destroyOnConnectionFailed: Bool { base.destroyOnConnectionFailed }
    public var replaceLinkOnForeignOffer: Bool { base.replaceLinkOnForeignOffer }
    public var acceptOfferWithoutLink: Bool { base.acceptOfferWithoutLink }
    /// Re-dial sooner than the preset: 250 ms, doubling to 4 s.
    public var redial: RedialRule? { RedialRule(dialer: .smallerUid, initial: 250_000_000, factor: 2, cap: 4_000_000_000) }
    public var rejoinWithFreshUid: Bool { base.rejoinWithFreshUid }
    public var rejoinAsNewPage: Bool { base.rejoinAsNewPage }
    public var iceRestartAfterDisconnected: Int64? { base.iceRestartAfterDisconnected }
    public var usesInstanceIds: Bool { base.usesInstanceIds }
    public var perfectNegotiation: Bool { base.perfectNegotiation }
}
