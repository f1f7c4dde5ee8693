/// A reconnect policy as data: every decision the mesh manager makes, one field each
/// (docs/policies.md, "Policy objects"). The built-in policies are presets of it; a policy file
/// or a scenario's `policy` object is one.
public struct PolicySpec: MeshPolicy, Hashable {
    /// What strategy 1's "connected" means.
    public enum Connected: String, Hashable, Sendable, CaseIterable {
        /// The data channel is open (what a simple-peer style wrapper reports).
        case channelOpen
        /// `connectionState === 'connected'`.
        case connectionConnected
        /// Both.
        case channelOpenAndConnected
    }

    /// What an `online` for an id with a live link does.
    public enum OnlineRule: String, Hashable, Sendable, CaseIterable {
        /// Strategy 1: ignore it if connected, else tear down and dial.
        case dialIfNotConnected
        /// Always tear down and dial.
        case dial
        /// Tear down and dial if not connected or if the `online` names another page load than
        /// the link's (needs `instanceIds`; without ids it is `dialIfNotConnected`).
        case dialIfNotConnectedOrNewPageLoad
    }

    /// What an `init` listing an id with a live link does.
    public enum InitRule: String, Hashable, Sendable, CaseIterable {
        /// Keep a connected link; else tear it down and wait passively.
        case passiveIfNotConnected
        /// Also tear down a connected link whose remote page load changed (needs `instanceIds`).
        case passiveIfNotConnectedOrNewPageLoad
        /// Keep a link to the same remote page load while its connection is `connected` or only
        /// `disconnected` (it was up and may heal); tear it down and wait for an offer when it
        /// is down (new, connecting, failed, closed) or the remote page load changed (needs
        /// `instanceIds`). After this page's own outage its links may still heal, and the other
        /// side, seeing this page's `online` name the same page load, re-dials if its own end is
        /// down. Tearing a merely disconnected link down instead left the pair waiting on each
        /// other when only this page's end knew it was down (found by `MeshSim fuzz` under
        /// `keep-live-links`: an outage with a WebSocket drop inside it). A link that never came
        /// up (an offer sent while the WebSocket was down is lost) is torn down, as before.
        case passiveIfDownOrNewPageLoad
    }

    /// What a connection that reaches `failed` does.
    public enum FailedRule: String, Hashable, Sendable, CaseIterable {
        /// Keep it (a zombie until something else replaces it).
        case keep
        /// Tear the link down (then `redial`, if set).
        case teardown
        /// The dialer restarts ICE on the same connection; the other side waits for its offer.
        case iceRestart
    }

    /// What happens when offers cross.
    public enum GlareRule: String, Hashable, Sendable, CaseIterable {
        /// Nothing special: each side applies the other's offer (a browser's implicit rollback).
        case none
        /// W3C perfect negotiation, polite = the larger uid.
        case perfectNegotiation
    }

    /// What a tab does when the server gives its uid to another tab.
    public enum UidTakenRule: String, Hashable, Sendable, CaseIterable {
        case stayOff
        /// Rejoin as `uid~N`, keeping the links (and their re-dial timers) of the old uid.
        case rejoinWithFreshUid
        /// Rejoin as `uid~N` as a new page would: close every link first, so that the others,
        /// who see a new uid come online, dial it.
        case rejoinAsNewPage
    }

    public var name: String
    public var summary: String
    public var connected: Connected
    public var onInit: InitRule
    public var onOnline: OnlineRule
    public var teardownOnChannelClose: Bool
    public var onFailed: FailedRule
    public var iceRestartAfterDisconnectedNs: Int64?
    public var replaceOnForeignOffer: Bool
    public var acceptOffersWithoutLink: Bool
    public var redialRule: RedialRule?
    public var instanceIds: Bool
    public var glare: GlareRule
    public var uidTaken: UidTakenRule
    public var teardownOnOfflineEvent: Bool

    /// The notes' manager (`seed`), with `name` and `summary` as given.
    public init(name: String, summary: String = "", connected: Connected = .channelOpen,
                onInit: InitRule = .passiveIfNotConnected, onOnline: OnlineRule = .dialIfNotConnected,
                teardownOnChannelClose: Bool = true, onFailed: FailedRule = .teardown,
                iceRestartAfterDisconnected: Int64? = nil, replaceOnForeignOffer: Bool = false,
                acceptOffersWithoutLink: Bool = false, redial: RedialRule? = nil, instanceIds: Bool = false,
                glare: GlareRule = .none, uidTaken: UidTakenRule = .stayOff, teardownOnOffline: Bool = false) {
        self.name = name
        self.summary = summary
        self.connected = connected
        self.onInit = onInit
        self.onOnline = onOnline
        self.teardownOnChannelClose = teardownOnChannelClose
        self.onFailed = onFailed
        self.iceRestartAfterDisconnectedNs = iceRestartAfterDisconnected
        self.replaceOnForeignOffer = replaceOnForeignOffer
        self.acceptOffersWithoutLink = acceptOffersWithoutLink
        self.redialRule = redial
        self.instanceIds = instanceIds
        self.glare = glare
        self.uidTaken = uidTaken
        self.teardownOnOfflineEvent = teardownOnOffline
    }

    // MARK: - MeshPolicy

    public func isConnected(_ link: MeshLink) -> Bool {
        switch connected {
        case .channelOpen: return link.dataChannelOpen
        case .connectionConnected: return link.connectionState == .connected
        case .channelOpenAndConnected: return link.dataChannelOpen && link.connectionState == .connected
        }
    }

    public func redialOnOnline(_ link: MeshLink) -> Bool {
        switch onOnline {
        case .dialIfNotConnected: return !isConnected(link)
        case .dial: return true
        case .dialIfNotConnectedOrNewPageLoad: return !isConnected(link) || link.remotePageChanged
        }
    }

    public func replaceOnInit(_ link: MeshLink) -> Bool {
        switch onInit {
        case .passiveIfNotConnected: return !isConnected(link)
        case .passiveIfNotConnectedOrNewPageLoad: return !isConnected(link) || link.remotePageChanged
        case .passiveIfDownOrNewPageLoad:
            return !(link.connectionState == .connected || link.connectionState == .disconnected) || link.remotePageChanged
        }
    }

    public var destroyOnChannelClose: Bool { teardownOnChannelClose }
    public var destroyOnConnectionFailed: Bool { onFailed == .teardown }
    public var restartIceOnFailure: Bool { onFailed == .iceRestart }
    public var replaceLinkOnForeignOffer: Bool { replaceOnForeignOffer }
    public var acceptOfferWithoutLink: Bool { acceptOffersWithoutLink }
    public var redial: RedialRule? { redialRule }
    public var rejoinWithFreshUid: Bool { uidTaken != .stayOff }
    public var rejoinAsNewPage: Bool { uidTaken == .rejoinAsNewPage }
    public var iceRestartAfterDisconnected: Int64? { iceRestartAfterDisconnectedNs }
    public var usesInstanceIds: Bool { instanceIds }
    public var perfectNegotiation: Bool { glare == .perfectNegotiation }
    public var teardownOnOffline: Bool { teardownOnOfflineEvent }

    /// The same decisions under another name (a variant of a sweep, a file's own name).
    public func named(_ newName: String) -> PolicySpec {
        var p = self
        p.name = newName
        return p
    }
}

extension PolicySpec {
    /// The notes, literally, as a simple-peer style wrapper runs them: "connected" means the
    /// data channel is open (docs/calibration/README.md, "What connected means to the seed policy").
    public static let seed = PolicySpec(
        name: "seed",
        summary: "the notes literally: passive on init, active on online, strategy 1 with connected = data channel open")

    /// The stricter literal reading: "connected" is `connectionState === 'connected'`, the
    /// reading of the Chromium recordings, under which even a clean reload leaves a zombie
    /// (calibration exp3). The recorded page (calibration harness mesh.js) did not tear a peer
    /// down when its channel closed; it only replaced peers that were not connected.
    public static let seedStrict = PolicySpec(
        name: "seed-strict",
        summary: "the notes literally, with connected = connectionState 'connected' (zombies even on a clean reload)",
        connected: .connectionConnected, teardownOnChannelClose: false)

    /// Always re-dial on `online`: the `replace` policy of the Chromium recordings, which
    /// brought a reloaded page back in about 160 ms (calibration exp3). Fixes every zombie that
    /// announces itself with an `online`; costs a renegotiation of every link after a
    /// WebSocket-only drop or a server restart, and cannot repair a link that fails without an
    /// `online`.
    public static let replace = PolicySpec(
        name: "replace",
        summary: "on every online: close the old connection and dial again (fixes zombies; renegotiates after WS drops)",
        onOnline: .dial, replaceOnForeignOffer: true, acceptOffersWithoutLink: true)

    /// `replace`, plus repair without the server's help: a link that fails or loses its channel
    /// while its peer is online is re-dialled with backoff by the smaller uid, offers from
    /// unknown ids are accepted, and a tab whose uid was taken by a duplicate rejoins under a
    /// fresh uid.
    public static let resilient = PolicySpec(
        name: "resilient",
        summary: "replace + re-dial failed links with backoff (smaller uid dials) + fresh uid for a duplicated tab",
        connected: .channelOpenAndConnected, onOnline: .dial, replaceOnForeignOffer: true,
        acceptOffersWithoutLink: true, redial: RedialRule(), uidTaken: .rejoinWithFreshUid)

    /// `resilient`, except that a failed connection is repaired in place with `restartIce()`
    /// and a new offer from the dialer, and nothing re-dials a torn-down link.
    public static let restartIce = PolicySpec(
        name: "restart-ice",
        summary: "resilient, but a failed connection is repaired with restartIce() and a new offer from the dialer instead of a new RTCPeerConnection",
        connected: .channelOpenAndConnected, onOnline: .dial, onFailed: .iceRestart, replaceOnForeignOffer: true,
        acceptOffersWithoutLink: true, uidTaken: .rejoinWithFreshUid)
}

extension PolicySpec {
    /// The recommended policy (docs/policies.md): keep every link that still works, renegotiate
    /// only when the remote page really changed (instance ids), repair a dead link by itself.
    /// `resilient`'s repairs without its cost: a WebSocket-only drop or a server restart
    /// renegotiates nothing, because the `online` that follows names the same page load.
    public static let keepLiveLinks = PolicySpec(
        name: "keep-live-links",
        summary: "instance ids: keep a working link to the same page load, re-dial a new page load or a dead link (backoff, smaller uid), perfect negotiation, a duplicated tab's original rejoins as a new page",
        connected: .channelOpenAndConnected, onInit: .passiveIfDownOrNewPageLoad,
        onOnline: .dialIfNotConnectedOrNewPageLoad, replaceOnForeignOffer: true, acceptOffersWithoutLink: true,
        redial: RedialRule(jitter: 0.2), instanceIds: true, glare: .perfectNegotiation, uidTaken: .rejoinAsNewPage)
}

/// Every policy MeshSim knows by name, in the order `MeshSim policies` lists them.
public enum Policies {
    public static let all: [PolicySpec] = [.seed, .seedStrict, .replace, .resilient, .restartIce, .keepLiveLinks]

    public static func named(_ name: String) -> PolicySpec? {
        all.first { $0.name == name }
    }
}
