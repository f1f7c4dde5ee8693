/// Identifies one peer connection a page's mesh manager created (page-local, never reused).
public struct LinkID: Hashable, Comparable, Sendable {
    public var raw: UInt32
    public init(_ raw: UInt32) { self.raw = raw }
    public static func < (a: LinkID, b: LinkID) -> Bool { a.raw < b.raw }
}

/// Which side of the notes' handshake a link plays: active links dial (offer), passive wait.
public enum LinkRole: UInt8, Sendable {
    case active, passive
    public var name: String { self == .active ? "active" : "passive" }
}

/// The manager's view of one peer connection, built from the events it observed.
public struct MeshLink: Sendable, Equatable {
    public let id: LinkID
    public let remote: String
    public let role: LinkRole
    public var signalingState: SignalingState = .stable
    public var connectionState: PeerConnectionState = .new
    public var dataChannelOpen = false
    /// Torn down by the manager (pc.close()); kept so strategy 1 can see "not connected".
    public var destroyed = false
    /// Session id of the remote connection this link's descriptions came from.
    public var remoteSession: UInt64?
    /// The remote page load this link was made for (policies with instance ids).
    public var remoteInstance: String?
    /// The remote page load the server last announced (`init`, `online`), when the policy
    /// uses instance ids: the policy compares it with `remoteInstance`.
    public var announcedInstance: String?
    /// The server announced another page load of the remote than the one this link talks to.
    public var remotePageChanged: Bool {
        guard let announcedInstance, let remoteInstance else { return false }
        return announcedInstance != remoteInstance
    }
    /// An offer was applied and our answer is being made.
    var answering = false
    /// `createOffer` was called and its `setLocalDescription` has not completed (perfect
    /// negotiation's `makingOffer`).
    public internal(set) var makingOffer = false

    /// A link as the manager would hold it, for unit tests of a `MeshPolicy` outside this
    /// module (its decisions take a link). The manager's own bookkeeping (`answering`,
    /// `makingOffer`) starts false, as for a new link.
    public init(id: LinkID, remote: String, role: LinkRole, signalingState: SignalingState = .stable,
                connectionState: PeerConnectionState = .new, dataChannelOpen: Bool = false,
                destroyed: Bool = false, remoteSession: UInt64? = nil, remoteInstance: String? = nil,
                announcedInstance: String? = nil) {
        self.id = id
        self.remote = remote
        self.role = role
        self.signalingState = signalingState
        self.connectionState = connectionState
        self.dataChannelOpen = dataChannelOpen
        self.destroyed = destroyed
        self.remoteSession = remoteSession
        self.remoteInstance = remoteInstance
        self.announcedInstance = announcedInstance
    }
}

/// What the mesh manager asks the page to do.
public enum MeshAction: Sendable, Equatable {
    /// `new RTCPeerConnection(...)` for `remote`.
    case createConnection(LinkID, remote: String, role: LinkRole)
    case createDataChannel(LinkID, label: String)
    /// `pc.restartIce()`: the next offer on this link restarts ICE.
    case restartIce(LinkID)
    /// A chained RTCPeerConnection operation.
    case operation(LinkID, PCOperation)
    /// `pc.close()`.
    case close(LinkID)
    /// Send a signal through the server; `toInstance` (policies with instance ids) names the
    /// page load of `to` it is meant for.
    case sendSignal(to: String, SignalPayload, toInstance: String?)
    /// `dc.send()` of a binary message of `size` bytes.
    case sendData(LinkID, label: String, size: Int)
    /// A decision worth a trace line (`decision` kind), e.g. "online ignored: connected".
    case note(remote: String, String)
    /// Call `timerFired(remote:token:)` after `delay` (re-dial backoff), stretched by a factor
    /// drawn uniformly from `[1 - jitter, 1 + jitter]` with the run's generator (no draw at 0).
    case setTimer(remote: String, token: UInt32, delay: Int64, jitter: Double)
    /// Reconnect to the server under this new uid (a duplicated tab's rejoin).
    case rejoin(uid: String)
}

/// The notes' mesh manager (seed/rtc-mesh-notes.md, "为此我们要创建一个管理器").
///
/// Responsibilities:
/// 1. On `init`: one passive connection per online id, waiting for the other side's offer.
/// 2. On `online(id)`: an active connection that creates the `mesh` data channel and offers.
///    Earlier pages therefore dial later ones.
/// 3. Strategy 1 for an id already known: if the policy says the link is connected, ignore;
///    otherwise tear it down and become the active side, whatever the old role was.
/// 4. The simple-peer style wrapper around each connection: apply a received offer, answer it,
///    apply answers and trickled candidates, trickle local candidates (the null end-of-candidates
///    is not relayed, as in the recordings), send a 16-byte probe when the channel opens, tear the
///    link down when the channel closes or the connection fails (as simple-peer does).
///
/// Signals from ids with no link are dropped with a note: the notes say nothing, and a plain
/// map lookup in a page would fail the same way.
public struct MeshManager: Sendable {
    public let policy: any MeshPolicy
    public private(set) var me: String?
    public private(set) var links: [MeshLink] = []
    private var current: [String: Int] = [:]
    private var nextLink: UInt32 = 0
    /// Ids the server said are online (init/online) and not offline since.
    private var online: Set<String> = []
    /// Re-dial attempts per remote since its link last connected, and the pending timer token.
    private var redials: [String: (attempts: Int, token: UInt32)] = [:]
    private var nextToken: UInt32 = 0
    /// This page load's instance id (policies with instance ids), sent in `hello` by the page.
    public let instance: String?
    /// The instance id the server last announced for each uid (`init`, `online`).
    private var instances: [String: String] = [:]
    /// Pending ICE-restart timers (`iceRestartAfterDisconnected`): token → link.
    private var iceRestartTimers: [UInt32: LinkID] = [:]
    /// Offers that arrived while this page was making or had made its own offer to the same
    /// remote (glare), over the page's life.
    public private(set) var glareCount = 0

    public static let channelLabel = "mesh"
    public static let probeSize = 16

    /// `instance`: this page load's id; ignored unless the policy uses instance ids.
    public init(policy: any MeshPolicy, instance: String? = nil) {
        self.policy = policy
        self.instance = policy.usesInstanceIds ? instance : nil
    }

    /// The link the manager currently holds for `remote`, if any.
    public func link(to remote: String) -> MeshLink? {
        current[remote].map { links[$0] }
    }

    public func link(_ id: LinkID) -> MeshLink? {
        let i = Int(id.raw)
        return i < links.count ? links[i] : nil
    }

    // MARK: - From the signaling server

    public mutating func receive(_ message: WireMessage, into out: inout [MeshAction]) {
        switch message {
        case .initial(let you, let list, _, let listed):
            me = you
            for (k, uid) in list.enumerated() where uid != you {
                online.insert(uid)
                if policy.usesInstanceIds, let listed, k < listed.count { announce(uid, listed[k]) }
                if let i = current[uid], !links[i].destroyed {
                    if !policy.replaceOnInit(links[i]) {
                        out.append(.note(remote: uid, "init: ignored, already connected"))
                        continue
                    }
                    destroy(i, into: &out)
                }
                create(remote: uid, role: .passive, into: &out)
            }
        case .online(let uid, let announced):
            guard uid != me else { return }
            online.insert(uid)
            if policy.usesInstanceIds { announce(uid, announced) }
            if let i = current[uid], !links[i].destroyed {
                if !policy.redialOnOnline(links[i]) {
                    out.append(.note(remote: uid, "online: ignored, already connected"))
                    return
                }
                out.append(.note(remote: uid, links[i].remotePageChanged
                    ? "online: a new page load of \(uid): dial"
                    : policy.isConnected(links[i])
                    ? "online: known and connected, policy \(policy.name): dial again"
                    : "online: known and not connected, strategy 1: dial"))
                destroy(i, into: &out)
            }
            create(remote: uid, role: .active, into: &out)
        case .offline(let uid):
            // The notes' pages only log it (calibration exp3, exp6); policies stop re-dialling.
            online.remove(uid)
            redials[uid] = nil
            if policy.teardownOnOffline, let i = current[uid], !links[i].destroyed {
                out.append(.note(remote: uid, "offline: destroyed"))
                destroy(i, into: &out)
            }
        case .signal(let from, _, let payload, let fromInstance, let toInstance):
            guard let from else { return }
            if policy.usesInstanceIds {
                if let toInstance, let instance, toInstance != instance {
                    out.append(.note(remote: from, "signal \(payload.kindName) dropped: meant for an earlier page load of mine"))
                    return
                }
                if let fromInstance, let known = instances[from], fromInstance != known {
                    out.append(.note(remote: from, "signal \(payload.kindName) dropped: from an old page load of \(from)"))
                    return
                }
            }
            var index = current[from]
            if case .description(let d) = payload, d.type == .offer {
                if let i = index, !links[i].destroyed, links[i].makingOffer || links[i].signalingState == .haveLocalOffer {
                    glareCount += 1
                    if policy.perfectNegotiation, let me {
                        // W3C perfect negotiation: the smaller uid is impolite and keeps its
                        // own offer; the larger uid is polite and gives its offer up.
                        if me < from {
                            out.append(.note(remote: from, "glare: offer ignored (impolite side)"))
                            return
                        }
                        if links[i].remoteSession == nil || links[i].remoteSession != d.sessionID {
                            // The other side dialled a new connection: roll back by giving up
                            // ours and answering on a passive link.
                            out.append(.note(remote: from, "glare: polite side gives its offer up and answers"))
                            destroy(i, into: &out)
                            create(remote: from, role: .passive, into: &out)
                            index = current[from]
                        } else {
                            // The same connection: setRemoteDescription(offer) rolls ours back.
                            out.append(.note(remote: from, "glare: polite side rolls back and answers"))
                            links[i].makingOffer = false
                        }
                    }
                }
                var replaced = false
                if let i = index, !links[i].destroyed, policy.replaceLinkOnForeignOffer,
                   let known = links[i].remoteSession, known != d.sessionID {
                    out.append(.note(remote: from, "offer from a new connection of \(from): replacing the old link"))
                    destroy(i, into: &out)
                    index = nil
                    replaced = true
                }
                // A replaced link is replaced by a passive one whatever `acceptOfferWithoutLink`
                // says (docs/policies.md; QA, session 14: the offer was dropped after the link
                // was torn down, leaving the pair dead).
                if index == nil || links[index!].destroyed, policy.acceptOfferWithoutLink || replaced {
                    create(remote: from, role: .passive, into: &out)
                    index = current[from]
                }
            }
            guard let i = index, !links[i].destroyed else {
                out.append(.note(remote: from, "signal \(payload.kindName) dropped: no connection for this id"))
                return
            }
            let id = links[i].id
            if policy.usesInstanceIds, links[i].remoteInstance == nil { links[i].remoteInstance = fromInstance }
            switch payload {
            case .description(let d):
                if d.type == .offer { links[i].answering = true }
                links[i].remoteSession = d.sessionID
                out.append(.operation(id, .setRemoteDescription(d)))
            case .candidate, .endOfCandidates:
                out.append(.operation(id, .addIceCandidate(payload)))
            }
        case .error(let code, _, _):
            if code == .uidReplaced, policy.rejoinWithFreshUid, let me {
                nextToken &+= 1
                let fresh = "\(me)~\(nextToken)"
                out.append(.note(remote: me, "uid taken by another tab: rejoining as \(fresh)"))
                if policy.rejoinAsNewPage {
                    // Every link belonged to the old uid: the others now talk to the tab that
                    // took it, and will dial the fresh uid when it comes online.
                    for i in links.indices where !links[i].destroyed { destroy(i, into: &out) }
                    redials = [:]
                    iceRestartTimers = [:]
                }
                out.append(.rejoin(uid: fresh))
            }
        case .hello:
            return
        }
    }

    /// A timer set with `.setTimer` fired: re-dial `remote` if it is still wanted, or restart
    /// ICE on a link still `disconnected`.
    public mutating func timerFired(remote: String, token: UInt32, into out: inout [MeshAction]) {
        if let id = iceRestartTimers.removeValue(forKey: token) {
            let i = Int(id.raw)
            guard i < links.count, !links[i].destroyed, links[i].connectionState == .disconnected,
                  links[i].signalingState == .stable else { return }
            out.append(.note(remote: remote, "disconnected for \(formatGrace(policy.iceRestartAfterDisconnected ?? 0)): ICE restart"))
            out.append(.restartIce(id))
            offer(i, into: &out)
            return
        }
        guard let r = redials[remote], r.token == token, online.contains(remote) else { return }
        if let i = current[remote], !links[i].destroyed { return }
        out.append(.note(remote: remote, "re-dial attempt \(r.attempts)"))
        create(remote: remote, role: .active, into: &out)
    }

    /// The re-dial of `remote` whose backoff timer is armed, if any: its attempt number and the
    /// token of its `.setTimer` (what a diagnosis needs to say a re-dial is still to come).
    public func pendingRedial(to remote: String) -> (attempt: Int, token: UInt32)? {
        guard let r = redials[remote], online.contains(remote) else { return nil }
        if let i = current[remote], !links[i].destroyed { return nil }
        return (r.attempts, r.token)
    }

    /// After a link to `remote` died: if the policy re-dials and this side is its dialer, arm
    /// the backoff timer.
    private mutating func scheduleRedial(_ remote: String, into out: inout [MeshAction]) {
        guard let rule = policy.redial, let me, rule.dials(me: me, remote: remote), online.contains(remote) else { return }
        let attempts = (redials[remote]?.attempts ?? 0) + 1
        nextToken &+= 1
        redials[remote] = (attempts, nextToken)
        out.append(.setTimer(remote: remote, token: nextToken, delay: rule.delay(attempt: attempts), jitter: rule.jitter))
    }

    // MARK: - From a peer connection

    public mutating func connectionEvent(_ id: LinkID, _ event: PCEvent, into out: inout [MeshAction]) {
        let i = Int(id.raw)
        guard i < links.count, !links[i].destroyed else { return }
        let remote = links[i].remote
        switch event {
        case .signalingStateChange(let s):
            links[i].signalingState = s
        case .connectionStateChange(let s):
            links[i].connectionState = s
            if s == .connected { redials[remote] = nil }
            if s == .disconnected, links[i].role == .active, let grace = policy.iceRestartAfterDisconnected {
                nextToken &+= 1
                iceRestartTimers[nextToken] = links[i].id
                out.append(.setTimer(remote: remote, token: nextToken, delay: grace, jitter: 0))
            }
            if s == .failed && policy.restartIceOnFailure {
                if links[i].role == .active {
                    out.append(.note(remote: remote, "connection failed: ICE restart"))
                    out.append(.restartIce(links[i].id))
                    offer(i, into: &out)
                } else {
                    out.append(.note(remote: remote, "connection failed: waiting for the dialer's ICE restart"))
                }
            } else if s == .failed && policy.destroyOnConnectionFailed {
                out.append(.note(remote: remote, "connection failed: destroyed"))
                destroy(i, into: &out)
                scheduleRedial(remote, into: &out)
            }
        case .iceCandidate(let c):
            if let c { out.append(.sendSignal(to: remote, .candidate(c), toInstance: links[i].remoteInstance)) }
        case .dataChannelOpen(let label, _):
            links[i].dataChannelOpen = true
            out.append(.sendData(id, label: label, size: Self.probeSize))
        case .dataChannelClosed:
            links[i].dataChannelOpen = false
            if policy.destroyOnChannelClose {
                out.append(.note(remote: remote, "data channel closed: destroyed"))
                destroy(i, into: &out)
                scheduleRedial(remote, into: &out)
            }
        case .operationComplete(let kind, let result):
            operationComplete(i, kind, result, into: &out)
        case .iceGatheringStateChange, .iceConnectionStateChange, .candidateLearned, .selectedPairChange,
             .dataChannelMessage, .dataChannelClosing:
            return
        }
    }

    private mutating func operationComplete(_ i: Int, _ kind: PCOperationKind, _ result: Result<SessionDescription?, RTCError>,
                                            into out: inout [MeshAction]) {
        let id = links[i].id
        let remote = links[i].remote
        switch result {
        case .failure(let e):
            links[i].answering = false
            if kind == .createOffer || kind == .setLocalDescription { links[i].makingOffer = false }
            out.append(.note(remote: remote, "\(kind.methodName) failed: \(e.name.rawValue): \(e.message)"))
        case .success(let d):
            switch kind {
            case .createOffer, .createAnswer:
                if let d { out.append(.operation(id, .setLocalDescription(d))) }
            case .setLocalDescription:
                if d?.type == .offer { links[i].makingOffer = false }
                if let d, d.type == .offer || d.type == .answer {
                    out.append(.sendSignal(to: remote, .description(d), toInstance: links[i].remoteInstance))
                }
            case .setRemoteDescription:
                if links[i].answering {
                    links[i].answering = false
                    out.append(.operation(id, .createAnswer))
                }
            case .addIceCandidate:
                return
            }
        }
    }

    // MARK: - Links

    private mutating func create(remote: String, role: LinkRole, into out: inout [MeshAction]) {
        let id = LinkID(nextLink)
        nextLink += 1
        var link = MeshLink(id: id, remote: remote, role: role)
        link.remoteInstance = instances[remote]
        links.append(link)
        current[remote] = links.count - 1
        out.append(.createConnection(id, remote: remote, role: role))
        if role == .active {
            out.append(.createDataChannel(id, label: Self.channelLabel))
            offer(links.count - 1, into: &out)
        }
    }

    /// `createOffer()` on link `i` (perfect negotiation's `makingOffer` until its
    /// `setLocalDescription` completes).
    private mutating func offer(_ i: Int, into out: inout [MeshAction]) {
        links[i].makingOffer = true
        out.append(.operation(links[i].id, .createOffer))
    }

    /// The server announced `uid`'s page load `announced` (nil: it sent no instance id).
    private mutating func announce(_ uid: String, _ announced: String?) {
        instances[uid] = announced
        if let i = current[uid] { links[i].announcedInstance = announced }
    }

    private func formatGrace(_ ns: Int64) -> String {
        ns % 1_000_000_000 == 0 ? "\(ns / 1_000_000_000) s" : "\(ns / 1_000_000) ms"
    }

    private mutating func destroy(_ i: Int, into out: inout [MeshAction]) {
        guard !links[i].destroyed else { return }
        links[i].destroyed = true
        links[i].dataChannelOpen = false
        out.append(.close(links[i].id))
    }
}
