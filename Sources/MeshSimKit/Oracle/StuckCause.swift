import SignalProtocol

/// Why a pair is not connected, as a stable code: the `cause` of a JSON `stuck` entry.
///
/// The set is closed: every return path of `Simulation.diagnosis` (and of the NAT reasoning in
/// `connectivityReason`) yields exactly one of these, and docs/report.md ("Stuck pairs")
/// explains each with its remedy. Raw values are part of the report format: never rename one.
enum StuckCause: String, CaseIterable, Sendable {
    // The peers themselves.
    /// The two peers share one uid (a duplicated tab copies sessionStorage).
    case sameUid
    /// One peer never loaded a page.
    case neverLoaded
    /// One peer's host crashed: gone for good.
    case peerCrashed
    /// One peer's page is gone (left or reloading).
    case peerGone
    /// One peer's host is offline.
    case peerOffline

    // Signaling.
    /// The server gave one peer's uid to a newer page (a duplicated tab) and cut it off.
    case uidTakenOver
    /// One peer's WebSocket is not open, so it never learned of the other.
    case webSocketClosed
    /// One page holds no connection to the other: neither `init` nor `online` named it.
    case neverIntroduced

    // The connections.
    /// A page could not create the connection: the per-page RTCPeerConnection cap.
    case connectionCap
    /// A page held its old connection to the reloaded peer, read it as connected and ignored
    /// the peer's `online`, so nothing dialled the new page (the old connection still belongs
    /// to the old page, or has died since).
    case zombieIgnoredOnline
    /// A partition outlasted ICE's timeouts: the connection failed and no `online` follows a
    /// partition, so nothing dialled again.
    case partitionFailed
    /// The connection was closed and nothing dialled again (a lifecycle hole of the policy).
    case closedNotRedialled
    /// The connection was closed and the policy's re-dial is armed but not made yet (its
    /// backoff ends after the run, or its page's script has not got to it): run longer.
    case redialPending
    /// One peer's uid is used by two pages: the connections meant for it reach the other tab.
    case uidShared
    /// An offer is out and a side has no description from the other's current connection:
    /// the offer/answer exchange is still under way, or a description was lost.
    case negotiationIncomplete
    /// The two current connections do not belong to one association and no offer is out (one
    /// side talks to an older page or an abandoned negotiation, or waits for an offer nobody sends).
    case staleAssociation
    /// A connection is still `new` or `connecting`.
    case notConnectedYet
    /// A connection is `disconnected` (consent checks unanswered; it may recover or fail).
    case connectionInterrupted
    /// A connection is `failed` (or `closed`) but was kept, e.g. waiting for an ICE restart.
    case connectionFailed
    /// Both connections are `connected` but a data channel is not open.
    case channelNotOpen

    // Connectivity: ICE never found a working path (each also means no TURN relay worked).
    /// A firewall lets no UDP out and there is no TURN server.
    case udpBlocked
    /// There is no STUN server and a peer is behind a NAT, and no TURN server.
    case noStun
    /// A NAT maps per destination (address- or address-and-port-dependent mapping), so hole
    /// punching cannot work for this pair; there is no TURN server.
    case symmetricNat
    /// Checks were dropped (filters, firewalls, routing) though no NAT maps per destination;
    /// there is no TURN server.
    case checksBlocked
    /// No NAT of the pair maps per destination and no firewall is in the way: the network's
    /// `loss` took the checks (and STUN transactions) hole punching needed.
    case checksLost
    /// The TURN server refused an allocation with 508 Insufficient Capacity.
    case turnCapacity
    /// The TURN server refused an allocation with another error.
    case turnRefused
    /// The TURN server never answered an allocation.
    case turnUnanswered
    /// Relays were allocated (or only UDP ones were blocked), yet no relayed pair worked.
    case relayFailed

    /// Not stuck: the pair is connected (only in an expectation's detail, never in `stuck`).
    case connected
}

/// A reason as pieces: literal text, the names of peers, and measurements (counts, times).
///
/// Built with string interpolation, so that each diagnosis reads as the sentence it produces:
/// `"\(peer: nx)'s connection to \(peer: ny) was closed at \(time: t)"`. A plain `\(string)`
/// is literal text, part of the explanation (a uid, a policy name, an error code); a peer's name
/// must go through `peer:` and a measured number through `count:` or `time:`, so that the report
/// can tell two explanations that differ only in their pair and measurements from two that
/// differ in substance (`StuckPairGroup`).
struct ReasonText: ExpressibleByStringInterpolation, Equatable, Sendable {
    enum Piece: Equatable, Sendable {
        case text(String)
        case peer(String)
        case count(Int)
        /// Nanoseconds of simulated time, written with `formatSeconds`.
        case time(Int64)
    }

    private(set) var pieces: [Piece] = []

    init() {}

    init(stringLiteral value: String) {
        append(.text(value))
    }

    init(stringInterpolation: Interpolation) {
        for p in stringInterpolation.pieces { append(p) }
    }

    struct Interpolation: StringInterpolationProtocol {
        fileprivate var pieces: [Piece] = []
        init(literalCapacity: Int, interpolationCount: Int) {
            pieces.reserveCapacity(2 * interpolationCount + 1)
        }
        mutating func appendLiteral(_ literal: String) { pieces.append(.text(literal)) }
        /// Literal text that belongs to the explanation.
        mutating func appendInterpolation(_ text: String) { pieces.append(.text(text)) }
        mutating func appendInterpolation(peer name: String) { pieces.append(.peer(name)) }
        mutating func appendInterpolation(count: Int) { pieces.append(.count(count)) }
        mutating func appendInterpolation(time: Int64) { pieces.append(.time(time)) }
        mutating func appendInterpolation(_ reason: ReasonText) { pieces += reason.pieces }
    }

    /// Adjacent text pieces are merged, so that equal sentences have equal pieces.
    private mutating func append(_ piece: Piece) {
        if case .text(let t) = piece {
            guard !t.isEmpty else { return }
            if case .text(let last)? = pieces.last {
                pieces[pieces.count - 1] = .text(last + t)
                return
            }
        }
        pieces.append(piece)
    }

    static func + (l: ReasonText, r: ReasonText) -> ReasonText {
        var s = l
        for p in r.pieces { s.append(p) }
        return s
    }

    static func += (l: inout ReasonText, r: ReasonText) { l = l + r }

    var isEmpty: Bool { pieces.isEmpty }

    /// The sentence as a person reads it for this pair.
    var rendered: String {
        var s = ""
        for p in pieces {
            switch p {
            case .text(let t): s += t
            case .peer(let n): s += n
            case .count(let n): s += String(n)
            case .time(let t): s += formatSeconds(t)
            }
        }
        return s
    }
}

extension Array where Element == ReasonText {
    func joined(separator: String) -> ReasonText {
        var out = ReasonText()
        for (i, r) in enumerated() {
            if i > 0 { out += ReasonText(stringLiteral: separator) }
            out += r
        }
        return out
    }
}

/// A pair's diagnosis: the code and the sentence.
struct PairDiagnosis: Equatable, Sendable {
    var cause: StuckCause
    var reason: ReasonText

    init(_ cause: StuckCause, _ reason: ReasonText) {
        self.cause = cause
        self.reason = reason
    }
}

/// Which built-in policies would repair a pair stuck for a lifecycle cause, judged from the
/// policies' own properties (docs/policies.md says the same in prose), never from a scenario.
enum PolicyRemedy {
    /// What a policy that has the repairing property does for the pair.
    static func effect(of cause: StuckCause) -> String? {
        switch cause {
        case .zombieIgnoredOnline: return "would re-dial this pair"
        case .closedNotRedialled: return "would repair this pair"
        case .partitionFailed: return "would repair this pair once the partition heals"
        case .sameUid, .uidShared, .uidTakenOver: return "would rejoin the tab that lost its uid under a fresh uid"
        default: return nil
        }
    }

    /// What the diagnosis knows about the pair beyond its cause.
    struct Context {
        /// The link a zombie was: the page's own view of the old connection, which read connected.
        var heldLink: MeshLink?
        /// The connection was closed because it failed (connectionState `failed`), not because
        /// its data channel closed.
        var closedOnFailure = false
        /// A zombie's ignored `online` came while a partition between the two was in force
        /// and outlasted ICE: a connection dialled on it fails too, and no `online` follows.
        var partitionOutlastsOnline = false
    }

    /// Does `policy` have the property that repairs `cause`?
    static func repairs(_ policy: any MeshPolicy, _ cause: StuckCause, _ context: Context) -> Bool {
        switch cause {
        case .zombieIgnoredOnline:
            // The online arrived while the old link read connected under any reading of
            // "connected": only a policy that re-dials a connected link on online repairs it.
            guard var link = context.heldLink else { return false }
            // Dialling on the online is not enough then: the new connection must be repaired
            // after the partition, by re-dialling or restarting ICE.
            if context.partitionOutlastsOnline && policy.redial == nil && !policy.restartIceOnFailure { return false }
            link.destroyed = false
            link.connectionState = .connected
            link.dataChannelOpen = true
            // The online came from the page that came back: another page load than the zombie's.
            if policy.usesInstanceIds {
                link.remoteInstance = "zombie"
                link.announcedInstance = "returned"
            }
            return policy.redialOnOnline(link)
        case .closedNotRedialled, .partitionFailed:
            // No online comes: only a policy that repairs a dead link by itself does, by
            // re-dialling it, or (when it failed) by restarting ICE instead of closing it.
            return policy.redial != nil || (context.closedOnFailure && policy.restartIceOnFailure)
        case .sameUid, .uidShared, .uidTakenOver:
            return policy.rejoinWithFreshUid
        default:
            return false
        }
    }

    /// The built-in policies that repair `cause`, in `Policies.all` order; none when the run's
    /// policy already has the property (then the property did not help and naming another
    /// policy with it would be a guess) or the cause is not a lifecycle one.
    static func policies(for cause: StuckCause, current: any MeshPolicy, _ context: Context = Context()) -> [any MeshPolicy] {
        guard effect(of: cause) != nil, !repairs(current, cause, context) else { return [] }
        return Policies.all.filter { $0.name != current.name && repairs($0, cause, context) }
    }

    /// "policy replace (or resilient, restart-ice) would re-dial this pair", or nil.
    static func sentence(for cause: StuckCause, current: any MeshPolicy, _ context: Context = Context()) -> String? {
        let names = policies(for: cause, current: current, context).map(\.name)
        guard let first = names.first, let effect = effect(of: cause) else { return nil }
        let others = names.dropFirst()
        return "policy \(first)\(others.isEmpty ? "" : " (or \(others.joined(separator: ", ")))") \(effect)"
    }
}
