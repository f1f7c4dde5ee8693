/// What the ICE agent asks its owner to do or to report.
public enum ICEOutput: Sendable, Equatable {
    /// Send a STUN message from the agent's base to `to`.
    case send(to: TransportAddress, STUNMessage)
    /// Send a TURN message to the TURN server over `transport` (Allocate, Refresh,
    /// CreatePermission, and Send indications carrying checks from the relay candidate).
    case sendTURN(CandidateTransport, TURNMessage)
    /// A local candidate was gathered and should be trickled (`icecandidate`).
    case gathered(ICECandidate)
    /// A local candidate was learned from a check response, not gathered (never trickled).
    case learnedLocal(ICECandidate)
    case gatheringStateChanged(ICEGatheringState)
    case stateChanged(ICETransportState)
    /// The selected candidate pair changed (`selectedcandidatepairchange`).
    case selectedPairChanged(local: ICECandidate, remote: ICECandidate)
}

/// One ICE agent (one component, one data stream: BUNDLE and rtcp-mux, as browsers do).
///
/// Responsibilities:
/// 1. Gathering (webrtc-pc: it starts at setLocalDescription) in libwebrtc's phases
///    (`p2p/client/basic_port_allocator.cc` `AllocationSequence`: `PHASE_UDP`, `PHASE_RELAY`,
///    `PHASE_TCP`, one per `gatheringStepDelay`): UDP after `gatheringDelay` (the host candidate
///    of its socket and a Binding transaction to the STUN server, RFC 8489 retransmissions),
///    RELAY (one Allocate per TURN transport, `RelayAllocation`), TCP (a host `tcptype active`
///    candidate, never paired). The first writable pair stops gathering (libwebrtc
///    `GATHER_ONCE`, `P2PTransportChannel::MaybeStopPortAllocatorSessions`): later phases never
///    run, candidates of transactions still pending are discarded, and gathering is `complete`
///    at once. Otherwise it is `complete` after the TCP phase once every transaction has
///    succeeded or failed.
/// 2. Checks: pairs of local and remote candidates with RFC 8445 priorities, paced like
///    libwebrtc (48 ms while weak, 480 ms once a strong pair is selected), triggered checks
///    answering incoming ones, peer-reflexive candidates learned from checks that arrive before
///    the trickled candidate (38 of 186 Chromium connections did, calibration §1).
/// 3. Roles and nomination: controlling/controlled with tie-breakers (§7.3.1.1); the controlling
///    side selects its best writable pair and nominates it with USE-CANDIDATE; the controlled side
///    selects its first writable pair and moves to the nominated one.
/// 4. Liveness: the selected pair is pinged every 2.5 s (900 ms while not receiving); a pair goes
///    unwritable after 5 unanswered pings spanning 5 s and dead 15 s after its first unanswered
///    ping, which gives Chromium's disconnected (5–7.5 s) and failed (+10 s) timeline (T6).
///
/// The agent has no clock: every input carries `now`, and `nextDeadline` says when it next wants
/// `timerFired`. It has no randomness: credentials and tie-breaker come from the owner.
public struct ICEAgent: Sendable {
    /// The connection's configuration, shared with it (and, in a simulator, with every connection).
    private let shared: SharedConfiguration
    public var config: ICEConfiguration { shared.value.ice }
    public private(set) var role: ICERole
    public let tieBreaker: UInt64
    /// The ufrags as STUN messages carry them (compared on every check, so kept in that form).
    private var localUsername: InlineText
    private var remoteUsername: InlineText?
    public var localUfrag: String { localUsername.string }
    public private(set) var localPwd: String
    public var remoteUfrag: String? { remoteUsername?.string }
    public private(set) var remotePwd: String?
    /// The socket this agent sends from (the host candidate's address).
    public let base: TransportAddress
    public var stunServer: TransportAddress? { shared.value.stunServer }
    public var turnServer: TransportAddress? { shared.value.turnServer }
    /// Where the server-reflexive Binding goes: the STUN server, or without one the TURN
    /// server, which libwebrtc also uses as a STUN server (`PortConfiguration::StunServers`:
    /// "every UDP TURN server should also be used as a STUN server", on unless the field trial
    /// WebRTC-UseTurnServerAsStunServer disables it; docs/model.md section 5).
    public var bindingServer: TransportAddress? { shared.value.stunServer ?? shared.value.turnServer }
    /// TURN allocations, one per transport, in the order started (at the RELAY gathering phase;
    /// empty until then).
    public private(set) var relays: [RelayAllocation] = []
    /// The TURN transports allocated at the RELAY phase when a TURN server is configured, as
    /// bits (1: UDP, 2: TCP) so that an agent holds no array until it allocates.
    private let turnTransportBits: UInt8

    public private(set) var gatheringState: ICEGatheringState = .new
    public private(set) var state: ICETransportState = .new
    public private(set) var localCandidates: [LocalCandidate] = []
    public private(set) var remoteCandidates: [ICECandidate] = []
    /// Remote TCP candidates of the current remote generation: accepted (so `addIceCandidate`
    /// resolves, as in Chromium) and remembered, but never paired (see `addRemoteCandidate`).
    public private(set) var remoteTCPCandidates: [ICECandidate] = []
    public private(set) var pairs: [CandidatePair] = []
    public private(set) var selectedPairIndex: Int?
    public private(set) var remoteEndOfCandidates = false
    /// Check responses discarded because they came from another address than the check went
    /// to (for diagnosis: endpoint-dependent NAT mappings on the far side).
    public private(set) var asymmetricResponses = 0

    /// The next gathering phase and when it runs (nil: none left, or gathering stopped).
    private var phaseDue: (phase: GatheringPhase, at: Int64)?
    /// The first writable pair stopped gathering (libwebrtc `StopGettingPorts`): no later phase
    /// runs and candidates of transactions still pending are discarded.
    public private(set) var gatheringStopped = false
    private var stunTransaction: (id: UInt64, sends: Int, nextAt: Int64, rto: Int64)?
    private var triggered: [Int] = []
    private var lastCheckAt: Int64 = .min
    /// The last paced check was a triggered one: the next goes to a pair never checked yet, if
    /// there is one (see `nextPairToCheck`).
    private var lastCheckTriggered = false
    private var hasBeenWritable = false
    private var nextTransaction: UInt64
    /// Outstanding check transactions: (transaction id, pair index, sent at).
    private var outstanding: [(id: UInt64, pair: Int, sentAt: Int64, role: ICERole)] = []

    public init(config: ICEConfiguration, role: ICERole, tieBreaker: UInt64, ufrag: String, pwd: String,
                base: TransportAddress, stunServer: TransportAddress?, turnServer: TransportAddress? = nil,
                turnTransports: [CandidateTransport] = [.udp, .tcp]) {
        let shared = SharedConfiguration(PeerConnectionConfiguration(ice: config, stunServer: stunServer, turnServer: turnServer))
        self.init(shared: shared, role: role, tieBreaker: tieBreaker, ufrag: ufrag, pwd: pwd, base: base,
                  turnTransports: turnTransports)
    }

    init(shared: SharedConfiguration, role: ICERole, tieBreaker: UInt64, ufrag: String, pwd: String,
         base: TransportAddress, turnTransports: [CandidateTransport] = [.udp, .tcp]) {
        self.shared = shared
        self.turnTransportBits = turnTransports.reduce(0) { $0 | ($1 == .udp ? 1 : 2) }
        self.role = role
        self.tieBreaker = tieBreaker
        self.localUsername = InlineText(ufrag)
        self.localPwd = pwd
        self.base = base
        self.nextTransaction = tieBreaker
    }

    public var selectedPair: CandidatePair? { selectedPairIndex.map { pairs[$0] } }

    /// libwebrtc's `ConservativeRTTEstimate`: twice the round trip, within 100 ms ... 60 s.
    static func conservativeRTT(_ rtt: Int64) -> Int64 {
        min(max(2 * rtt, 100_000_000), 60_000_000_000)
    }

    /// Checks remembered at most (oldest forgotten first); see `sendCheck`.
    static let maxOutstandingChecks = 512

    /// Local preference of the single (IPv4) interface: libwebrtc's NIC/address preference.
    static let localPreference: UInt32 = 65_535 - 255

    // MARK: - Inputs

    public mutating func setRole(_ role: ICERole) {
        if state != .closed { self.role = role }
    }

    /// Gathering starts when a local description is applied (RFC 9429 §5.9).
    public mutating func startGathering(now: Int64, into out: inout [ICEOutput]) {
        guard gatheringState == .new, state != .closed else { return }
        gatheringState = .gathering
        out.append(.gatheringStateChanged(.gathering))
        phaseDue = (.udp, now + config.gatheringDelay)
    }

    /// ICE restart on our side (RFC 8445 §9, `restartIce()` then a new offer, or an answer to a
    /// remote restart): a new ufrag and password, a new generation of candidates and pairs.
    /// Gathering starts again with the next `startGathering`. New credentials start a new port
    /// allocator session in libwebrtc (`P2PTransportChannel::MaybeStartGathering`), whose TURN
    /// ports allocate afresh from new sockets. The model keeps the granted allocation (one
    /// socket per connection) but, as a new Allocate would, asks the server before its relay
    /// candidate surfaces again: a Refresh at the RELAY phase, one round trip; none while the
    /// server is unreachable, a new Allocate if the server forgot it (QA, session 15: they
    /// surfaced with no round trip, and `restart-ice` recovered from a TURN outage at once).
    /// When we offer the
    /// restart (`forgetRemote`), the remote generation goes too: it does not know our new ufrag,
    /// so nothing is checked until the answer brings the remote's new credentials. When we
    /// answer one, the remote's new credentials and candidates are already here and stay.
    public mutating func restart(ufrag: String, pwd: String, forgetRemote: Bool, into out: inout [ICEOutput]) {
        let username = InlineText(ufrag)
        guard state != .closed, username != localUsername else { return }
        if forgetRemote {
            remoteCandidates.removeAll()
            remoteTCPCandidates.removeAll()
            remoteUsername = nil
            remotePwd = nil
            remoteEndOfCandidates = false
        }
        localUsername = username
        localPwd = pwd
        for i in relays.indices where relays[i].state == .allocated { relays[i].confirming = true }
        // A transport whose allocation failed or was given up gets a new Allocate, as the new
        // session's port would.
        relays.removeAll { $0.state != .allocated }
        localCandidates.removeAll()
        pairs.removeAll()
        outstanding.removeAll()
        triggered.removeAll()
        selectedPairIndex = nil
        hasBeenWritable = false
        phaseDue = nil
        gatheringStopped = false
        stunTransaction = nil
        lastCheckAt = .min
        gatheringState = .new
        refreshState(into: &out)
    }

    /// Remote ICE credentials from the remote description. New credentials (an ICE restart by
    /// the remote side) drop the old remote candidates and pairs.
    public mutating func setRemoteCredentials(ufrag: String, pwd: String, now: Int64, into out: inout [ICEOutput]) {
        guard state != .closed else { return }
        let username = InlineText(ufrag)
        if let old = remoteUsername, old != username {
            remoteCandidates.removeAll()
            remoteTCPCandidates.removeAll()
            pairs.removeAll()
            outstanding.removeAll()
            triggered.removeAll()
            selectedPairIndex = nil
            remoteEndOfCandidates = false
        } else if remoteCandidates.contains(where: { $0.ufrag != ufrag }) {
            // Early candidates (peer-reflexive, learned before the description) of another
            // ufrag are dropped with their pairs; the rest are re-indexed.
            var remap = [Int](repeating: -1, count: remoteCandidates.count)
            var kept: [ICECandidate] = []
            for (i, c) in remoteCandidates.enumerated() where c.ufrag == ufrag {
                remap[i] = kept.count
                kept.append(c)
            }
            remoteCandidates = kept
            pairs = pairs.compactMap { p in
                guard remap[p.remoteIndex] >= 0 else { return nil }
                var q = p
                q.remoteIndex = remap[p.remoteIndex]
                return q
            }
            outstanding.removeAll()
            triggered.removeAll()
            selectedPairIndex = nil
        }
        remoteUsername = username
        remotePwd = pwd
        refreshState(into: &out)
    }

    /// A trickled remote candidate (`addIceCandidate`). Returns false if it belongs to another
    /// generation (Chromium resolves such calls without adding anything, calibration exp5).
    ///
    /// A TCP candidate is remembered in `remoteTCPCandidates` and never paired: not with our UDP
    /// candidates (libwebrtc's `UDPPort` supports only UDP), and not with our host TCP candidate,
    /// which is `tcptype active` and can pair only with a passive or simultaneous-open one (libwebrtc
    /// `TCPPort::CreateConnection` refuses an active remote). The model has no TCP listeners, so
    /// passive and `so` candidates are not paired either: ICE-TCP is not modelled.
    @discardableResult
    public mutating func addRemoteCandidate(_ c: ICECandidate, now: Int64, into out: inout [ICEOutput]) -> Bool {
        guard state != .closed, c.ufrag == remoteUfrag, c.component == 1 else { return false }
        if c.transport == .tcp {
            if !remoteTCPCandidates.contains(where: { $0.address == c.address && $0.tcpType == c.tcpType }) {
                remoteTCPCandidates.append(c)
            }
            return true
        }
        if let i = remoteCandidates.firstIndex(where: { $0.address == c.address }) {
            // libwebrtc MaybeUpdatePeerReflexiveCandidate: the signaled candidate replaces a prflx
            // one with the same address; the pair keeps its state.
            if remoteCandidates[i].type == .prflx && c.type != .prflx {
                remoteCandidates[i] = c
                recomputePriorities()
            }
            return true
        }
        remoteCandidates.append(c)
        formPairs(remote: remoteCandidates.count - 1)
        refreshState(into: &out)
        return true
    }

    public mutating func addRemoteEndOfCandidates() {
        remoteEndOfCandidates = true
    }

    public mutating func close() {
        var ignored: [ICEOutput] = []
        close(into: &ignored)
    }

    /// Close the agent, releasing its TURN allocations (Refresh with lifetime 0, RFC 8656 §7.2).
    public mutating func close(into out: inout [ICEOutput]) {
        guard state != .closed else { return }
        for i in relays.indices where relays[i].state == .allocated {
            out.append(.sendTURN(relays[i].transport, .refreshRequest(transactionID: newTransactionID(), lifetime: 0)))
            relays[i].state = .released
            relays[i].transaction = nil
        }
        state = .closed
        phaseDue = nil
        stunTransaction = nil
        triggered.removeAll()
        outstanding.removeAll()
    }

    private mutating func newTransactionID() -> UInt64 {
        nextTransaction &+= 0x9E37_79B9
        return nextTransaction
    }

    /// Something other than STUN (DTLS, SCTP) arrived from `from`: it keeps the pair receiving.
    public mutating func noteReceived(from: TransportAddress, now: Int64) {
        if let s = selectedPairIndex, remoteCandidates[pairs[s].remoteIndex].address == from {
            pairs[s].lastReceived = now
        }
    }

    /// A STUN message arrived from `from`: at the agent's base (`.direct`), or at a relay
    /// candidate inside a Data indication (`.relay`, `from` being the peer the server saw).
    public mutating func receive(_ m: STUNMessage, from: TransportAddress, via path: ICEPath = .direct, now: Int64,
                                 into out: inout [ICEOutput]) {
        guard state != .closed else { return }
        switch m.kind {
        case .bindingRequest:
            receiveRequest(m, from: from, via: path, now: now, into: &out)
        case .bindingSuccess:
            if path == .direct, let tx = stunTransaction, tx.id == m.transactionID, from == bindingServer {
                receiveServerReflexive(m.mappedAddress, into: &out)
            } else {
                receiveSuccess(m, from: from, via: path, now: now, into: &out)
            }
        case .bindingError:
            receiveError(m, now: now, into: &out)
        }
    }

    // MARK: - Time

    /// The earliest time the agent needs `timerFired`, if any.
    @inline(__always) public var nextDeadline: Int64? {
        guard state != .closed else { return nil }
        var d = Int64.max
        if let p = phaseDue { d = min(d, p.at) }
        if let tx = stunTransaction { d = min(d, tx.nextAt) }
        if let c = nextCheckTime { d = min(d, c) }
        for r in relays {
            if let tx = r.transaction { d = min(d, tx.nextAt) }
            d = min(d, r.destroyAt)
            if r.state == .allocated {
                if r.transaction == nil { d = min(d, r.expiresAt - RelayAllocation.refreshMargin) }
                for p in r.permissions where !p.failed {
                    if let tx = p.transaction { d = min(d, tx.nextAt) }
                    else if p.grantedUntil != .min { d = min(d, permissionRefreshTime(p)) }
                }
            }
        }
        if let k = keepaliveTime { d = min(d, k) }
        for p in pairs where p.unansweredPings > 0 && p.state != .failed {
            // Unwritability also needs enough unanswered pings; until then the next ping re-judges.
            if p.writable && p.unansweredPings >= config.unwritableMinChecks {
                d = min(d, max(p.firstUnansweredAt + config.unwritableTimeout, p.unwritableCheckSentAt + Self.conservativeRTT(p.rtt)) + 1)
            }
            d = min(d, p.firstUnansweredAt + config.inactiveTimeout + 1)
            // `expirePairs` also fails a pair silent for `deadConnectionTimeout`: that moment is
            // a deadline too, so that nothing is due between deadlines (owners may skip early timers).
            if p.lastReceived != .min { d = min(d, p.lastReceived + config.deadConnectionTimeout + 1) }
        }
        return d == .max ? nil : d
    }

    public mutating func timerFired(now: Int64, into out: inout [ICEOutput]) {
        guard state != .closed else { return }
        if let p = phaseDue, p.at <= now {
            runPhase(p.phase, now: now, into: &out)
        }
        if var tx = stunTransaction, tx.nextAt <= now, let server = bindingServer {
            if tx.sends > config.stunMaxRetransmissions {
                stunTransaction = nil
                completeGatheringIfDone(into: &out)
            } else {
                out.append(.send(to: server, STUNMessage(kind: .bindingRequest, transactionID: tx.id)))
                tx.sends += 1
                // libwebrtc stun_request.cc: the timeout doubles up to STUN_MAX_RTO and the last
                // send waits one more (doubled) timeout: 9 sends, failure at 39.75 s.
                tx.rto = min(tx.rto * 2, config.stunMaxRTO)
                tx.nextAt = now + tx.rto
                stunTransaction = tx
            }
        }
        if !relays.isEmpty { relayTimers(now: now, into: &out) }
        expirePairs(now: now)
        if let k = keepaliveTime, k <= now, let s = selectedPairIndex {
            sendCheck(pair: s, now: now, into: &out)
        }
        if let c = nextCheckTime, c <= now, let p = nextPairToCheck() {
            lastCheckTriggered = false
            if let t = triggered.firstIndex(of: p) {
                triggered.remove(at: t)
                lastCheckTriggered = true
            }
            sendCheck(pair: p, now: now, into: &out)
            lastCheckAt = now
        }
        refreshState(into: &out)
    }

    // MARK: - Gathering

    /// libwebrtc's allocation phases (`basic_port_allocator.cc`: `PHASE_UDP` = 0, `PHASE_RELAY`
    /// = 1, `PHASE_TCP` = 2, `kNumPhases` = 3). `AllocationSequence::Process` runs one phase, then
    /// posts the next after the allocator's step delay; the sequence is done after TCP. With no
    /// STUN or TURN server the phases still advance on the same timer.
    enum GatheringPhase: UInt8, Sendable {
        case udp, relay, tcp
    }

    private mutating func runPhase(_ phase: GatheringPhase, now: Int64, into out: inout [ICEOutput]) {
        phaseDue = nil
        switch phase {
        case .udp:
            gatherHost(now: now, into: &out)
            phaseDue = (.relay, now + config.gatheringStepDelay)
        case .relay:
            startRelays(now: now, into: &out)
            phaseDue = (.tcp, now + config.gatheringStepDelay)
        case .tcp:
            gatherHostTCP(into: &out)
        }
        completeGatheringIfDone(into: &out)
        refreshState(into: &out)
    }

    /// The UDP phase (`CreateUDPPorts`, `CreateStunPorts`): the host candidate of the socket,
    /// and the Binding request to the STUN server if there is one.
    private mutating func gatherHost(now: Int64, into out: inout [ICEOutput]) {
        let priority = ICECandidate.priority(type: .host, localPreference: Self.localPreference, component: 1)
        let host = ICECandidate(foundation: "1", priority: priority, address: base, type: .host, ufrag: localUfrag)
        localCandidates.append(LocalCandidate(candidate: host, base: base))
        out.append(.gathered(host))
        for r in remoteCandidates.indices { formPair(local: localCandidates.count - 1, remote: r) }
        if let server = bindingServer {
            let id = newTransactionID()
            out.append(.send(to: server, STUNMessage(kind: .bindingRequest, transactionID: id)))
            stunTransaction = (id, 1, now + config.stunInitialRTO, config.stunInitialRTO)
        }
    }

    /// The RELAY phase (`CreateRelayPorts`): one Allocate per TURN transport; after an ICE
    /// restart, a Refresh of each allocation still granted, whose answer surfaces its relay
    /// candidate (`restart`).
    private mutating func startRelays(now: Int64, into out: inout [ICEOutput]) {
        if turnServer != nil {
            // UDP first, then TCP (the order of their Allocates); after a restart, only the
            // transports without a granted allocation.
            for (bit, transport) in [(UInt8(1), CandidateTransport.udp), (2, .tcp)]
            where turnTransportBits & bit != 0 && !relays.contains(where: { $0.transport == transport }) {
                var r = RelayAllocation(transport: transport)
                r.createdAt = now
                relays.append(r)
            }
        }
        for i in relays.indices {
            switch relays[i].state {
            case .allocating:
                relays[i].discarded = false
                relays[i].destroyAt = .max
                guard relays[i].transaction == nil else { continue }
                let tx = ServerTransaction(id: newTransactionID(), sends: 1, nextAt: now + config.stunInitialRTO,
                                           rto: config.stunInitialRTO)
                relays[i].transaction = tx
                out.append(.sendTURN(relays[i].transport, .allocateRequest(transactionID: tx.id, lifetime: 0,
                                                                           authenticated: relays[i].hasCredentials)))
            case .allocated:
                relays[i].discarded = false
                relays[i].destroyAt = .max
                if relays[i].confirming {
                    // A Refresh already out (the allocation's own) answers for this one too.
                    guard relays[i].transaction == nil else { continue }
                    let tx = ServerTransaction(id: newTransactionID(), sends: 1, nextAt: now + config.stunInitialRTO,
                                               rto: config.stunInitialRTO)
                    relays[i].transaction = tx
                    out.append(.sendTURN(relays[i].transport, .refreshRequest(transactionID: tx.id, lifetime: 600)))
                } else {
                    addRelayCandidate(i, into: &out)
                }
            case .failed, .released:
                continue
            }
        }
    }

    /// The TCP phase (`CreateTCPPorts`). Chromium does not listen on TCP (`allow_tcp_listen`
    /// off), so `TCPPort::PrepareAddress` signals a `tcptype active` host candidate at the
    /// interface's address with the discard port 9 (RFC 6544 §4.5), as the recordings show
    /// (`candidate:… 1 tcp 1518280447 127.0.0.1 9 typ host tcptype active`). Its base is that
    /// address with port 0. It is trickled but never paired (`isPairable`).
    private mutating func gatherHostTCP(into out: inout [ICEOutput]) {
        let priority = ICECandidate.priority(typePreference: ICECandidate.hostTCPTypePreference,
                                             localPreference: Self.localPreference, component: 1)
        let c = ICECandidate(foundation: "6", transport: .tcp, priority: priority,
                             address: TransportAddress(ip: base.ip, port: Self.discardPort), type: .host,
                             tcpType: .active, ufrag: localUfrag)
        localCandidates.append(LocalCandidate(candidate: c, base: TransportAddress(ip: base.ip, port: 0)))
        out.append(.gathered(c))
    }

    /// libwebrtc `p2p/base/port.cc` `DISCARD_PORT`: the port of an active TCP candidate.
    static let discardPort: UInt16 = 9

    private mutating func receiveServerReflexive(_ mapped: TransportAddress, into out: inout [ICEOutput]) {
        stunTransaction = nil
        // After gathering stopped the answer is discarded (the port is done gathering). A
        // server-reflexive address equal to the host address (no NAT) is redundant and not
        // signaled (RFC 8445 §5.1.3); one that differs is.
        if !gatheringStopped && mapped != base && !localCandidates.contains(where: { $0.candidate.address == mapped }) {
            let priority = ICECandidate.priority(type: .srflx, localPreference: Self.localPreference, component: 1)
            let srflx = ICECandidate(foundation: "2", priority: priority, address: mapped, type: .srflx,
                                     relatedAddress: base, ufrag: localUfrag)
            localCandidates.append(LocalCandidate(candidate: srflx, base: base))
            out.append(.gathered(srflx))
        }
        completeGatheringIfDone(into: &out)
    }

    /// Gathering is complete when every phase has run and every STUN and TURN transaction has
    /// succeeded or failed (libwebrtc `CandidatesAllocationDone`: no sequence running, no port
    /// in progress), or as soon as gathering stopped.
    private mutating func completeGatheringIfDone(into out: inout [ICEOutput]) {
        guard gatheringState == .gathering else { return }
        if !gatheringStopped {
            guard phaseDue == nil, stunTransaction == nil,
                  !relays.contains(where: { $0.state == .allocating || ($0.state == .allocated && $0.confirming) }) else { return }
        }
        gatheringState = .complete
        out.append(.gatheringStateChanged(.complete))
    }

    /// A pair became writable: with libwebrtc's default `GATHER_ONCE` policy, a connection that
    /// becomes strongly connected (writable and receiving; `stop_gather_on_strongly_connected`,
    /// on by default) stops the allocator session (`P2PTransportChannel::OnConnectionStateChange`
    /// → `MaybeStopPortAllocatorSessions` → `StopGettingPorts`). Phases not yet run never run;
    /// `OnConfigStop` marks ports still gathering as done and signals that gathering is complete,
    /// so pending transactions go on but their candidates are discarded, and ports that never
    /// became ready are destroyed `kPortTimeoutDelay` after their creation (a granted TURN
    /// allocation is then released).
    private mutating func stopGathering(now: Int64, into out: inout [ICEOutput]) {
        guard gatheringState == .gathering, !gatheringStopped else { return }
        gatheringStopped = true
        phaseDue = nil
        for i in relays.indices where relays[i].state == .allocating {
            relays[i].discarded = true
            relays[i].destroyAt = max(now, relays[i].createdAt + RelayAllocation.portTimeoutDelay)
        }
        // Not confirmed since a restart: no candidate from it in this generation.
        for i in relays.indices where relays[i].state == .allocated && relays[i].confirming {
            relays[i].discarded = true
        }
        completeGatheringIfDone(into: &out)
    }

    // MARK: - TURN

    /// A TURN message from the server, over `transport` (Data indications are unwrapped by the
    /// owner and passed to `receive(_:from:via:)`).
    public mutating func receiveTURN(_ m: TURNMessage, transport: CandidateTransport, now: Int64, into out: inout [ICEOutput]) {
        guard state != .closed, let i = relays.firstIndex(where: { $0.transport == transport }) else { return }
        switch m {
        case .allocateSuccess(let id, let relayed, let mapped, let lifetime):
            guard relays[i].state == .allocating, relays[i].transaction?.id == id else { return }
            relays[i].state = .allocated
            relays[i].transaction = nil
            relays[i].relayed = relayed
            relays[i].mapped = mapped
            relays[i].expiresAt = now + Int64(lifetime) * 1_000_000_000
            // Granted after gathering stopped: kept until its port times out, no candidate.
            if !relays[i].discarded { addRelayCandidate(i, into: &out) }
            completeGatheringIfDone(into: &out)
            refreshState(into: &out)
        case .allocateError(let id, let code):
            guard relays[i].state == .allocating, relays[i].transaction?.id == id else { return }
            if code == 401 && !relays[i].hasCredentials {
                // Chromium's first Allocate always meets this challenge: retry at once with the
                // realm and nonce, as a new transaction.
                relays[i].hasCredentials = true
                let tx = ServerTransaction(id: newTransactionID(), sends: 1, nextAt: now + config.stunInitialRTO,
                                           rto: config.stunInitialRTO)
                relays[i].transaction = tx
                out.append(.sendTURN(transport, .allocateRequest(transactionID: tx.id, lifetime: 0, authenticated: true)))
                return
            }
            relays[i].state = .failed
            relays[i].errorCode = code
            relays[i].transaction = nil
            completeGatheringIfDone(into: &out)
        case .refreshSuccess(let id, let lifetime):
            guard relays[i].state == .allocated, relays[i].transaction?.id == id else { return }
            relays[i].transaction = nil
            relays[i].expiresAt = now + Int64(lifetime) * 1_000_000_000
            if relays[i].confirming {
                relays[i].confirming = false
                if !relays[i].discarded && gatheringState == .gathering { addRelayCandidate(i, into: &out) }
                completeGatheringIfDone(into: &out)
            }
        case .refreshError(let id, let code):
            guard relays[i].state == .allocated, relays[i].transaction?.id == id else { return }
            relays[i].transaction = nil
            if relays[i].confirming && code == 437 && !relays[i].discarded {
                // The server forgot it (it expired while unreachable): allocate anew, as the
                // new session's port would.
                relays[i].confirming = false
                relays[i].state = .allocating
                relays[i].relayed = nil
                relays[i].mapped = nil
                relays[i].permissions.removeAll()
                let tx = ServerTransaction(id: newTransactionID(), sends: 1, nextAt: now + config.stunInitialRTO,
                                           rto: config.stunInitialRTO)
                relays[i].transaction = tx
                out.append(.sendTURN(transport, .allocateRequest(transactionID: tx.id, lifetime: 0, authenticated: relays[i].hasCredentials)))
                return
            }
            relays[i].confirming = false
            relays[i].state = .failed
            relayPathChanged(transport: transport, ip: nil, open: false)
            refreshState(into: &out)
        case .createPermissionSuccess(let id):
            guard let k = relays[i].permissions.firstIndex(where: { $0.transaction?.id == id }) else { return }
            relays[i].permissions[k].transaction = nil
            relays[i].permissions[k].grantedUntil = now + Self.permissionLifetime
            relayPathChanged(transport: transport, ip: relays[i].permissions[k].ip, open: true)
        case .createPermissionError(let id, _):
            guard let k = relays[i].permissions.firstIndex(where: { $0.transaction?.id == id }) else { return }
            relays[i].permissions[k].transaction = nil
            relays[i].permissions[k].failed = true
            relayPathChanged(transport: transport, ip: relays[i].permissions[k].ip, open: false)
            refreshState(into: &out)
        case .allocateRequest, .refreshRequest, .createPermissionRequest, .sendIndication, .dataIndication:
            // Requests and indications the server never sends to a client; Data indications
            // reach `receive` through the owner.
            break
        }
    }

    /// The relay candidate of an allocated relay, gathered and paired.
    private mutating func addRelayCandidate(_ i: Int, into out: inout [ICEOutput]) {
        guard let relayed = relays[i].relayed else { return }
        let transport = relays[i].transport
        // libwebrtc adds a relay-protocol preference to the local preference: UDP above TCP.
        let preference = Self.localPreference + (transport == .udp ? 2 : 1)
        let priority = ICECandidate.priority(type: .relay, localPreference: preference, component: 1)
        let c = ICECandidate(foundation: transport == .udp ? "4" : "5", priority: priority, address: relayed,
                             type: .relay, relatedAddress: relays[i].mapped, ufrag: localUfrag)
        localCandidates.append(LocalCandidate(candidate: c, base: relayed, path: .relay(transport)))
        out.append(.gathered(c))
        for r in remoteCandidates.indices { formPair(local: localCandidates.count - 1, remote: r) }
    }

    /// RFC 8656 §9: a permission lives 300 s.
    static let permissionLifetime: Int64 = 300_000_000_000

    private func permissionRefreshTime(_ p: RelayAllocation.Permission) -> Int64 {
        p.grantedUntil - Self.permissionLifetime + RelayAllocation.permissionRefresh
    }

    /// Ask the server for a permission for `ip` on the relay of `transport`, unless one exists.
    private mutating func requestPermission(transport: CandidateTransport, ip: UInt32) {
        guard let i = relays.firstIndex(where: { $0.transport == transport }), relays[i].state == .allocated,
              relays[i].permission(for: ip) == nil else { return }
        // Sent by the next timer pass (now), so that every request goes out through one place.
        relays[i].permissions.append(RelayAllocation.Permission(
            ip: ip, transaction: ServerTransaction(id: newTransactionID(), sends: 0, nextAt: .min, rto: config.stunInitialRTO / 2)))
    }

    /// Retransmissions and refreshes of TURN transactions; failures after the last send.
    private mutating func relayTimers(now: Int64, into out: inout [ICEOutput]) {
        for i in relays.indices {
            let t = relays[i].transport
            if relays[i].destroyAt <= now {
                // A discarded allocation's port timed out unused: released if granted.
                if relays[i].state == .allocated {
                    out.append(.sendTURN(t, .refreshRequest(transactionID: newTransactionID(), lifetime: 0)))
                }
                if relays[i].state == .allocated || relays[i].state == .allocating { relays[i].state = .released }
                relays[i].transaction = nil
                relays[i].permissions.removeAll()
                relays[i].destroyAt = .max
                continue
            }
            // Allocate or Refresh.
            if var tx = relays[i].transaction, tx.nextAt <= now {
                if tx.sends > config.stunMaxRetransmissions {
                    let wasAllocated = relays[i].state == .allocated
                    relays[i].transaction = nil
                    relays[i].state = .failed
                    relays[i].confirming = false
                    if wasAllocated { relayPathChanged(transport: t, ip: nil, open: false) }
                    completeGatheringIfDone(into: &out)
                } else {
                    let m: TURNMessage = relays[i].state == .allocating
                        ? .allocateRequest(transactionID: tx.id, lifetime: 0, authenticated: relays[i].hasCredentials)
                        : .refreshRequest(transactionID: tx.id, lifetime: 600)
                    out.append(.sendTURN(t, m))
                    tx.sends += 1
                    tx.rto = min(tx.rto * 2, config.stunMaxRTO)
                    tx.nextAt = now + tx.rto
                    relays[i].transaction = tx
                }
            } else if relays[i].state == .allocated, relays[i].transaction == nil,
                      now >= relays[i].expiresAt - RelayAllocation.refreshMargin {
                let tx = ServerTransaction(id: newTransactionID(), sends: 1, nextAt: now + config.stunInitialRTO,
                                           rto: config.stunInitialRTO)
                relays[i].transaction = tx
                // A lifetime of 0 in a Refresh would delete; ask for the default again.
                out.append(.sendTURN(t, .refreshRequest(transactionID: tx.id, lifetime: 600)))
            }
            guard relays[i].state == .allocated else { continue }
            for k in relays[i].permissions.indices where !relays[i].permissions[k].failed {
                let p = relays[i].permissions[k]
                if var tx = p.transaction {
                    guard tx.nextAt <= now else { continue }
                    if tx.sends > config.stunMaxRetransmissions {
                        relays[i].permissions[k].transaction = nil
                        relays[i].permissions[k].failed = true
                        relayPathChanged(transport: t, ip: p.ip, open: false)
                        continue
                    }
                    out.append(.sendTURN(t, .createPermissionRequest(transactionID: tx.id, peerIP: p.ip)))
                    tx.sends += 1
                    tx.rto = min(tx.rto * 2, config.stunMaxRTO)
                    tx.nextAt = now + tx.rto
                    relays[i].permissions[k].transaction = tx
                } else if p.grantedUntil != .min && now >= permissionRefreshTime(p) {
                    let tx = ServerTransaction(id: newTransactionID(), sends: 1, nextAt: now + config.stunInitialRTO,
                                               rto: config.stunInitialRTO)
                    relays[i].permissions[k].transaction = tx
                    out.append(.sendTURN(t, .createPermissionRequest(transactionID: tx.id, peerIP: p.ip)))
                }
            }
        }
    }

    // MARK: - Pairs

    /// Candidates checks are sent from: the UDP host and relay candidates. Server-reflexive candidates share the
    /// host's base, so their pairs are redundant and pruned (RFC 8445 §6.1.2.4).
    private func isPairable(_ l: LocalCandidate) -> Bool {
        // The host TCP candidate is active: it pairs with no remote candidate the model has.
        l.candidate.transport == .udp && (l.candidate.type == .host || l.candidate.type == .relay)
    }

    private mutating func formPairs(remote r: Int) {
        for l in localCandidates.indices { formPair(local: l, remote: r) }
    }

    private mutating func formPair(local l: Int, remote r: Int) {
        guard isPairable(localCandidates[l]) else { return }
        if pairs.contains(where: { $0.localIndex == l && $0.remoteIndex == r }) { return }
        var pair = CandidatePair(localIndex: l, remoteIndex: r, priority: pairPriority(local: l, remote: r))
        if case .relay(let t) = localCandidates[l].path {
            let ip = remoteCandidates[r].address.ip
            requestPermission(transport: t, ip: ip)
            let permission = relays.firstIndex { $0.transport == t }.flatMap { relays[$0].permission(for: ip) }
            pair.pathReady = permission.map { $0.grantedUntil != .min } ?? false
            if permission?.failed == true { pair.state = .failed }
        }
        pairs.append(pair)
    }

    /// The local candidate packets arriving on `path` belong to: the host candidate, or the
    /// relay candidate of that TURN transport.
    private func localIndex(for path: ICEPath) -> Int? {
        switch path {
        case .direct: return localCandidates.firstIndex { $0.candidate.type == .host && $0.candidate.transport == .udp }
        case .relay: return localCandidates.firstIndex { $0.path == path }
        }
    }

    /// The relay path of `transport` towards `ip` opened (permission granted) or closed for
    /// good (permission refused, allocation lost; `ip` nil: every IP): update its pairs.
    private mutating func relayPathChanged(transport: CandidateTransport, ip: UInt32?, open: Bool) {
        for i in pairs.indices where localCandidates[pairs[i].localIndex].path == .relay(transport) {
            if let ip, remoteCandidates[pairs[i].remoteIndex].address.ip != ip { continue }
            if open {
                pairs[i].pathReady = true
            } else {
                pairs[i].pathReady = false
                pairs[i].writable = false
                pairs[i].state = .failed
            }
        }
    }

    /// Send a STUN message to `to` along `path`.
    private func emit(_ m: STUNMessage, to: TransportAddress, via path: ICEPath, into out: inout [ICEOutput]) {
        switch path {
        case .direct: out.append(.send(to: to, m))
        case .relay(let t): out.append(.sendTURN(t, .sendIndication(peer: to, data: .stun(m))))
        }
    }

    private func pairPriority(local l: Int, remote r: Int) -> UInt64 {
        let lp = localCandidates[l].candidate.priority, rp = remoteCandidates[r].priority
        return role == .controlling ? CandidatePair.priority(controlling: lp, controlled: rp)
                                    : CandidatePair.priority(controlling: rp, controlled: lp)
    }

    private mutating func recomputePriorities() {
        for i in pairs.indices { pairs[i].priority = pairPriority(local: pairs[i].localIndex, remote: pairs[i].remoteIndex) }
    }

    @inline(__always) private var isWeak: Bool {
        guard let s = selectedPairIndex else { return true }
        return !pairs[s].writable
    }

    /// When the next ordinary or triggered check is due, if any pair needs one.
    @inline(__always) private var nextCheckTime: Int64? {
        guard remoteUsername != nil, nextPairToCheck() != nil else { return nil }
        let interval = isWeak || !triggered.isEmpty ? config.weakPingInterval : config.strongPingInterval
        return lastCheckAt == .min ? .min : lastCheckAt + interval
    }

    /// Triggered checks first (RFC 8445 §6.1.4.2), then the least recently checked pair that is
    /// not yet writable, highest priority first among equals. While the channel is weak (no
    /// writable selected pair) pairs that succeeded before are checked too, as libwebrtc pings
    /// every connection then: a dead selection moves to another pair that still works (a relay
    /// when the direct path is cut), and when none does, every pair fails and so does ICE.
    ///
    /// One exception: after a triggered check, a pair never checked yet goes first. Behind
    /// NATs that map per destination, every check from a new port creates a new peer-reflexive
    /// pair with a triggered check of its own; without the exception those would take every
    /// turn and a relay pair formed after them (the RELAY phase comes 50 ms after the UDP one)
    /// would never be checked. libwebrtc reaches the relay pair in such a churn too (its rule:
    /// unpinged connections before pinged ones); this alternation is the model's version.
    @inline(__always) private func nextPairToCheck() -> Int? {
        if let t = triggered.first {
            guard lastCheckTriggered, let fresh = unpingedOrdinaryPair() else { return t }
            return fresh
        }
        let weak = isWeak
        var best: Int?
        for i in pairs.indices {
            let p = pairs[i]
            if p.state == .failed || (p.state == .succeeded && !weak) { continue }
            if i == selectedPairIndex { continue }
            if !p.pathReady { continue }
            if let b = best {
                let q = pairs[b]
                if p.lastPingSent < q.lastPingSent || (p.lastPingSent == q.lastPingSent && p.priority > q.priority) {
                    best = i
                }
            } else {
                best = i
            }
        }
        return best
    }

    /// The highest-priority pair not yet checked, not failed, not selected, ready, without a
    /// triggered check pending.
    @inline(__always) private func unpingedOrdinaryPair() -> Int? {
        var best: Int?
        for i in pairs.indices where pairs[i].lastPingSent == .min && pairs[i].state != .failed
            && i != selectedPairIndex && pairs[i].pathReady && !triggered.contains(i) {
            if best == nil || pairs[i].priority > pairs[best!].priority { best = i }
        }
        return best
    }

    /// Keep-alive and consent checks on the selected pair.
    @inline(__always) private var keepaliveTime: Int64? {
        guard let s = selectedPairIndex, remoteUsername != nil else { return nil }
        let p = pairs[s]
        guard p.state != .failed else { return nil }
        let weakPing = p.lastPingSent + config.weakOrStabilizingPingInterval
        guard p.writable, p.lastReceived != .min else { return weakPing }
        // Strong while receiving: ping every stablePingInterval. Receiving stops at
        // lastReceived + receivingTimeout; from then on the weak interval applies.
        let stopsReceiving = p.lastReceived + config.receivingTimeout
        return min(p.lastPingSent + config.stablePingInterval, max(weakPing, stopsReceiving))
    }

    private mutating func sendCheck(pair i: Int, now: Int64, into out: inout [ICEOutput]) {
        guard let ru = remoteUsername else { return }
        let id = newTransactionID()
        if pairs[i].unansweredPings == 0 { pairs[i].firstUnansweredAt = now }
        pairs[i].unansweredPings += 1
        if pairs[i].unansweredPings == config.unwritableMinChecks { pairs[i].unwritableCheckSentAt = now }
        pairs[i].pingsSent += 1
        pairs[i].lastPingSent = now
        if pairs[i].state == .waiting { pairs[i].state = .inProgress }
        // A check stays answerable until its pair would be dead anyway (libwebrtc keeps each
        // request until it times out): a cap of a few checks made any path whose round trip
        // exceeds that many pacing intervals (8 x 48 ms) unable to connect. The count cap only
        // bounds memory in pathological cases.
        while let first = outstanding.first, now - first.sentAt > config.inactiveTimeout { outstanding.removeFirst() }
        if outstanding.count >= Self.maxOutstandingChecks { outstanding.removeFirst() }
        outstanding.append((id, i, now, role))
        let prflxPriority = ICECandidate.priority(type: .prflx, localPreference: Self.localPreference, component: 1)
        let m = STUNMessage(kind: .bindingRequest, transactionID: id, usernameTarget: ru, usernameSource: localUsername,
                            priority: prflxPriority, useCandidate: role == .controlling && pairs[i].nominated,
                            controlling: role == .controlling, tieBreaker: tieBreaker)
        emit(m, to: remoteCandidates[pairs[i].remoteIndex].address, via: localCandidates[pairs[i].localIndex].path, into: &out)
    }

    private mutating func receiveRequest(_ m: STUNMessage, from: TransportAddress, via path: ICEPath, now: Int64,
                                         into out: inout [ICEOutput]) {
        // Checks for another generation (an old ufrag) are not answered.
        guard m.usernameTarget == localUsername else { return }
        if let ru = remoteUsername, ru != m.usernameSource { return }
        // RFC 8445 §7.3.1.1 role conflict.
        if m.controlling == (role == .controlling) {
            let weWin = tieBreaker >= m.tieBreaker
            if (role == .controlling) == weWin {
                emit(STUNMessage(kind: .bindingError, transactionID: m.transactionID, errorCode: 487), to: from, via: path, into: &out)
                return
            }
            role = role == .controlling ? .controlled : .controlling
            recomputePriorities()
        }
        var r = remoteCandidates.firstIndex(where: { $0.address == from })
        if r == nil {
            // RFC 8445 §7.3.1.3: a peer-reflexive remote candidate.
            remoteCandidates.append(ICECandidate(foundation: "prflx", priority: m.priority, address: from, type: .prflx,
                                                 ufrag: m.usernameSource.string))
            r = remoteCandidates.count - 1
            formPairs(remote: r!)
        }
        emit(STUNMessage(kind: .bindingSuccess, transactionID: m.transactionID, mappedAddress: from), to: from, via: path, into: &out)
        guard let l = localIndex(for: path),
              let p = pairs.firstIndex(where: { $0.localIndex == l && $0.remoteIndex == r! }) else {
            // No local host candidate yet (gathering pending): the response is all we can do.
            return
        }
        pairs[p].lastReceived = now
        if m.useCandidate && role == .controlled {
            pairs[p].nominated = true
            if pairs[p].writable && selectedPairIndex != p { select(p, into: &out) }
        }
        if !pairs[p].writable && pairs[p].state != .failed && !triggered.contains(p) {
            triggered.append(p)
        }
        refreshState(into: &out)
    }

    private mutating func receiveSuccess(_ m: STUNMessage, from: TransportAddress, via path: ICEPath, now: Int64,
                                         into out: inout [ICEOutput]) {
        guard let t = outstanding.firstIndex(where: { $0.id == m.transactionID }) else { return }
        let tx = outstanding.remove(at: t)
        let p = tx.pair
        guard p < pairs.count else { return }
        guard remoteCandidates[pairs[p].remoteIndex].address == from, localCandidates[pairs[p].localIndex].path == path else {
            // RFC 8445 §7.2.5.2.1: a response from another address than the check went to
            // (the far NAT answered from a new mapping) does not validate the pair.
            asymmetricResponses += 1
            return
        }
        let sample = now - tx.sentAt
        pairs[p].rtt = pairs[p].rtt == 0 ? sample : (pairs[p].rtt * 3 + sample) / 4
        pairs[p].state = .succeeded
        pairs[p].writable = true
        pairs[p].unansweredPings = 0
        pairs[p].firstUnansweredAt = .min
        pairs[p].lastReceived = now
        if let t = triggered.firstIndex(of: p) { triggered.remove(at: t) }
        // A mapped address we do not know is a local peer-reflexive candidate (RFC 8445 §7.2.5.3.1).
        if m.mappedAddress != base && !localCandidates.contains(where: { $0.candidate.address == m.mappedAddress }) {
            let priority = ICECandidate.priority(type: .prflx, localPreference: Self.localPreference, component: 1)
            let c = ICECandidate(foundation: "3", priority: priority, address: m.mappedAddress, type: .prflx,
                                 relatedAddress: base, ufrag: localUfrag)
            // (Only a direct check can teach one: a relayed check maps to the relayed address.)
            localCandidates.append(LocalCandidate(candidate: c, base: base))
            out.append(.learnedLocal(c))
        }
        switch role {
        case .controlling:
            if selectedPairIndex.map({ !pairs[$0].writable || pairs[p].priority > pairs[$0].priority }) ?? true {
                pairs[p].nominated = true
                select(p, into: &out)
                // Nominate at once rather than waiting for the next keep-alive.
                sendCheck(pair: p, now: now, into: &out)
            }
        case .controlled:
            let current = selectedPairIndex.map { pairs[$0] }
            if current == nil || !current!.writable || (pairs[p].nominated && !current!.nominated) {
                select(p, into: &out)
            }
        }
        hasBeenWritable = true
        refreshState(into: &out)
        // After the state change, so `connected` comes before gathering's `complete` (libwebrtc
        // signals completion from a task posted by the stop).
        stopGathering(now: now, into: &out)
    }

    private mutating func receiveError(_ m: STUNMessage, now: Int64, into out: inout [ICEOutput]) {
        guard let t = outstanding.firstIndex(where: { $0.id == m.transactionID }) else { return }
        let tx = outstanding.remove(at: t)
        if m.errorCode == 487 {
            // RFC 8445 §7.2.5.1: switch role (unless an earlier 487 already did) and retry.
            if role == tx.role {
                role = role == .controlling ? .controlled : .controlling
                recomputePriorities()
            }
            if !triggered.contains(tx.pair) { triggered.append(tx.pair) }
        }
    }

    private mutating func select(_ p: Int, into out: inout [ICEOutput]) {
        selectedPairIndex = p
        out.append(.selectedPairChanged(local: localCandidates[pairs[p].localIndex].candidate,
                                        remote: remoteCandidates[pairs[p].remoteIndex]))
    }

    private mutating func expirePairs(now: Int64) {
        for i in pairs.indices where pairs[i].unansweredPings > 0 && pairs[i].state != .failed {
            let since = now - pairs[i].firstUnansweredAt
            // libwebrtc's TooManyFailures: the last of the checks that make it "too many" counts
            // only once its answer is overdue (a conservative round trip after it was sent);
            // counting it as it leaves turned a recovered path disconnected for a round trip.
            if pairs[i].writable && pairs[i].unansweredPings >= config.unwritableMinChecks && since > config.unwritableTimeout
                && now > pairs[i].unwritableCheckSentAt + Self.conservativeRTT(pairs[i].rtt) {
                pairs[i].writable = false
            }
            let silent = pairs[i].lastReceived != .min && now - pairs[i].lastReceived > config.deadConnectionTimeout
            if since > config.inactiveTimeout || silent {
                pairs[i].writable = false
                pairs[i].state = .failed
            }
        }
    }

    private mutating func refreshState(into out: inout [ICEOutput]) {
        guard state != .closed else { return }
        let selectedWritable = selectedPairIndex.map { pairs[$0].writable } ?? false
        let next: ICETransportState
        if !pairs.isEmpty && !pairs.contains(where: { $0.state != .failed }) {
            next = .failed
        } else if selectedWritable {
            next = .connected
        } else if hasBeenWritable {
            next = .disconnected
        } else if pairs.isEmpty {
            next = .new
        } else {
            next = .checking
        }
        if next != state {
            state = next
            out.append(.stateChanged(next))
        }
    }
}
