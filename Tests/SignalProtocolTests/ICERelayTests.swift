import Testing
@testable import SignalProtocol

// The ICE agent's TURN client (RFC 8656 client side), driven directly: TURN responses in,
// `timerFired` with explicit `now`, outputs inspected.

private let base = TransportAddress(ip: 0x0A00_0001, port: 5000)
private let turn = TransportAddress(ip: 0x0909_090A, port: 3478)
private let relayedUDP = TransportAddress(ip: 0x0909_090A, port: 49152)
private let relayedTCP = TransportAddress(ip: 0x0909_090A, port: 49153)
private let mapped = TransportAddress(ip: 0xC613_0001, port: 40_000)
private let peer = TransportAddress(ip: 0xC612_0005, port: 6000)
private func ms(_ v: Int64) -> Int64 { v * 1_000_000 }
private let config = ICEConfiguration()

private func turnSends(_ out: [ICEOutput]) -> [(CandidateTransport, TURNMessage)] {
    out.compactMap { o in
        if case .sendTURN(let t, let m) = o { return (t, m) }
        return nil
    }
}

private func allocateID(_ out: [ICEOutput], _ transport: CandidateTransport) -> UInt64? {
    for (t, m) in turnSends(out) where t == transport {
        if case .allocateRequest(let id, _, _) = m { return id }
    }
    return nil
}

private func gathered(_ out: [ICEOutput]) -> [ICECandidate] {
    out.compactMap { o in
        if case .gathered(let c) = o { return c }
        return nil
    }
}

private func completes(_ out: [ICEOutput]) -> Bool {
    out.contains { o in
        if case .gatheringStateChanged(.complete) = o { return true }
        return false
    }
}

/// The RELAY gathering phase: one step after the host candidate (52 ms with the defaults).
private let relayPhase = config.gatheringDelay + config.gatheringStepDelay

/// An agent with a TURN server (no STUN), its host candidate out (UDP phase) and both
/// Allocates sent (RELAY phase).
private func gatheringAgent(role: ICERole = .controlling) -> (agent: ICEAgent, udp: UInt64, tcp: UInt64, out: [ICEOutput]) {
    var a = ICEAgent(config: config, role: role, tieBreaker: 7, ufrag: "loc", pwd: "lpwd", base: base,
                     stunServer: nil, turnServer: turn)
    var out: [ICEOutput] = []
    a.startGathering(now: 0, into: &out)
    a.timerFired(now: config.gatheringDelay, into: &out)
    // Without a STUN server the Binding goes to the TURN server (libwebrtc uses it as one);
    // answered with the host's own address (a public host), it adds no candidate.
    let binding = out.compactMap { o -> UInt64? in
        if case .send(let to, let m) = o, to == turn, m.kind == .bindingRequest { return m.transactionID }
        return nil
    }
    #expect(binding.count == 1, "one Binding to the TURN server")
    if let id = binding.first {
        a.receive(STUNMessage(kind: .bindingSuccess, transactionID: id, mappedAddress: base), from: turn, now: config.gatheringDelay + 1, into: &out)
    }
    a.timerFired(now: relayPhase, into: &out)
    return (a, allocateID(out, .udp) ?? 0, allocateID(out, .tcp) ?? 0, out)
}

/// Both allocations granted, remote credentials set.
private func allocatedAgent(role: ICERole = .controlling) -> ICEAgent {
    var (a, udp, tcp, _) = gatheringAgent(role: role)
    var out: [ICEOutput] = []
    let now = ms(60)
    a.receiveTURN(.allocateSuccess(transactionID: udp, relayed: relayedUDP, mapped: mapped, lifetime: 600), transport: .udp, now: now, into: &out)
    a.receiveTURN(.allocateSuccess(transactionID: tcp, relayed: relayedTCP, mapped: mapped, lifetime: 600), transport: .tcp, now: now, into: &out)
    a.setRemoteCredentials(ufrag: "rem", pwd: "rpwd", now: now, into: &out)
    return a
}

@Suite("ICE agent TURN client")
struct ICERelayTests {
    @Test func theAllocatesGoOutAtTheRelayPhaseNotWithTheHostCandidate() {
        var a = ICEAgent(config: config, role: .controlling, tieBreaker: 7, ufrag: "loc", pwd: "lpwd", base: base,
                         stunServer: nil, turnServer: turn)
        var out: [ICEOutput] = []
        a.startGathering(now: 0, into: &out)
        a.timerFired(now: config.gatheringDelay, into: &out)
        #expect(gathered(out).map(\.type) == [.host])
        #expect(turnSends(out).isEmpty)
        #expect(a.relays.isEmpty, "no TURN port before the RELAY phase")
        #expect(a.nextDeadline == relayPhase)
        out = []
        a.timerFired(now: relayPhase - 1, into: &out)
        #expect(out.isEmpty)
        a.timerFired(now: relayPhase, into: &out)
        #expect(turnSends(out).map(\.0) == [.udp, .tcp])
        #expect(gathered(out).isEmpty)
        #expect(a.relays.map(\.createdAt) == [relayPhase, relayPhase])
    }

    @Test func gatheringAllocatesOverUDPAndTCPInParallelAndWaitsForBoth() {
        var (a, udp, tcp, out) = gatheringAgent()
        #expect(udp != 0 && tcp != 0 && udp != tcp)
        #expect(gathered(out).map(\.type) == [.host])
        #expect(!completes(out))
        // The TCP phase runs while both are outstanding: its candidate, but no `complete` yet.
        out = []
        a.timerFired(now: relayPhase + config.gatheringStepDelay, into: &out)
        #expect(gathered(out).map(\.transport) == [.tcp])
        #expect(!completes(out))
        out = []
        a.receiveTURN(.allocateSuccess(transactionID: udp, relayed: relayedUDP, mapped: mapped, lifetime: 600),
                      transport: .udp, now: ms(170), into: &out)
        let relay = gathered(out)
        #expect(relay.count == 1)
        #expect(relay.first?.type == .relay && relay.first?.address == relayedUDP && relay.first?.relatedAddress == mapped)
        #expect(!completes(out), "the TCP allocation is still outstanding")
        out = []
        a.receiveTURN(.allocateSuccess(transactionID: tcp, relayed: relayedTCP, mapped: mapped, lifetime: 600),
                      transport: .tcp, now: ms(175), into: &out)
        #expect(gathered(out).map(\.address) == [relayedTCP])
        #expect(completes(out))
    }

    @Test func theFirstAllocateCarriesNoCredentialsAndA401IsRetriedAtOnceWithThem() throws {
        var (a, udp, _, out) = gatheringAgent()
        let first = try #require(turnSends(out).first { $0.0 == .udp })
        guard case .allocateRequest(_, _, let authenticated) = first.1 else { Issue.record("not an Allocate"); return }
        #expect(!authenticated)
        out = []
        a.receiveTURN(.allocateError(transactionID: udp, code: 401), transport: .udp, now: ms(70), into: &out)
        let retry = try #require(turnSends(out).first)
        guard case .allocateRequest(let id, _, true) = retry.1 else { Issue.record("no authenticated retry"); return }
        #expect(retry.0 == .udp && id != udp)
        #expect(a.relays[0].state == .allocating)
        // A second 401 is an answer, not a challenge: the allocation fails.
        out = []
        a.receiveTURN(.allocateError(transactionID: id, code: 401), transport: .udp, now: ms(100), into: &out)
        #expect(a.relays[0].state == .failed && a.relays[0].errorCode == 401)
    }

    @Test func relayCandidatesHaveTypePreferenceZeroAndUDPAboveTCP() throws {
        let a = allocatedAgent()
        let relays = a.localCandidates.filter { $0.candidate.type == .relay }
        #expect(relays.count == 2)
        let udp = try #require(relays.first { $0.path == .relay(.udp) }), tcp = try #require(relays.first { $0.path == .relay(.tcp) })
        #expect(udp.candidate.priority >> 24 == 0 && tcp.candidate.priority >> 24 == 0)
        #expect(udp.candidate.priority > tcp.candidate.priority)
        #expect(udp.base == relayedUDP, "a relay candidate is its own base")
    }

    @Test func aRefusedAllocationFailsWithItsCodeAndGatheringStillCompletes() {
        var (a, udp, tcp, _) = gatheringAgent()
        var out: [ICEOutput] = []
        a.receiveTURN(.allocateError(transactionID: udp, code: 508), transport: .udp, now: ms(70), into: &out)
        a.receiveTURN(.allocateError(transactionID: tcp, code: 508), transport: .tcp, now: ms(70), into: &out)
        #expect(a.relays.allSatisfy { $0.state == .failed && $0.errorCode == 508 })
        #expect(gathered(out).isEmpty)
        #expect(!completes(out), "the TCP phase is still to come")
        a.timerFired(now: relayPhase + config.gatheringStepDelay, into: &out)
        #expect(completes(out))
        #expect(gathered(out).map(\.transport) == [.tcp])
    }

    @Test func anUnansweredAllocateIsRetransmittedThenFails() {
        var (a, _, _, _) = gatheringAgent()
        var sends = 2
        var now: Int64 = 0
        var out: [ICEOutput] = []
        while let d = a.nextDeadline, d < ms(60_000) {
            now = d
            a.timerFired(now: now, into: &out)
        }
        sends += turnSends(out).count
        #expect(sends == 18, "9 sends per transport (libwebrtc STUN_MAX_RETRANSMISSIONS 8)")
        #expect(a.relays.allSatisfy { $0.state == .failed })
        #expect(completes(out))
        #expect(now >= ms(39_000) && now <= ms(40_000))
    }

    @Test func aRelayPairAsksForAPermissionBeforeAnyCheckGoesThroughTheRelay() throws {
        var a = allocatedAgent()
        var out: [ICEOutput] = []
        let remote = ICECandidate(foundation: "r", priority: ICECandidate.priority(type: .srflx, localPreference: 65_280, component: 1),
                                  address: peer, type: .srflx, ufrag: "rem")
        a.addRemoteCandidate(remote, now: ms(100), into: &out)
        a.timerFired(now: ms(100), into: &out)
        let permissions = turnSends(out).filter { if case .createPermissionRequest(_, let ip) = $0.1 { return ip == peer.ip } else { return false } }
        #expect(permissions.count == 2, "one per relay (UDP and TCP)")
        let relayedChecks = turnSends(out).filter { if case .sendIndication = $0.1 { return true } else { return false } }
        #expect(relayedChecks.isEmpty, "no check through a relay before its permission")
        // Grant the UDP relay's permission: its pair's check now goes out as a Send indication.
        guard case .createPermissionRequest(let id, _) = permissions.first(where: { $0.0 == .udp })!.1 else { return }
        out = []
        a.receiveTURN(.createPermissionSuccess(transactionID: id), transport: .udp, now: ms(150), into: &out)
        var now = ms(150)
        for _ in 0..<6 {
            guard let d = a.nextDeadline else { break }
            now = max(now, d)
            a.timerFired(now: now, into: &out)
        }
        let checks = turnSends(out).compactMap { (t, m) -> (CandidateTransport, TransportAddress)? in
            if case .sendIndication(let to, .stun(let s)) = m, s.kind == .bindingRequest { return (t, to) }
            return nil
        }
        #expect(checks.contains { $0.0 == .udp && $0.1 == peer })
        #expect(!checks.contains { $0.0 == .tcp }, "the TCP relay still has no permission")
    }

    @Test func aCheckArrivingThroughTheRelayIsAnsweredThroughTheRelay() {
        var a = allocatedAgent(role: .controlled)
        var out: [ICEOutput] = []
        let check = STUNMessage(kind: .bindingRequest, transactionID: 99, usernameTarget: "loc", usernameSource: "rem",
                                priority: 1, controlling: true, tieBreaker: 1)
        a.receive(check, from: peer, via: .relay(.tcp), now: ms(100), into: &out)
        let answers = turnSends(out).compactMap { (t, m) -> (CandidateTransport, TransportAddress, STUNMessage)? in
            if case .sendIndication(let to, .stun(let s)) = m, s.kind == .bindingSuccess { return (t, to, s) }
            return nil
        }
        #expect(answers.count == 1)
        #expect(answers.first?.0 == .tcp && answers.first?.1 == peer && answers.first?.2.mappedAddress == peer)
        #expect(a.remoteCandidates.contains { $0.address == peer && $0.type == .prflx })
        #expect(!out.contains { if case .send = $0 { return true } else { return false } }, "nothing goes out directly")
    }

    @Test func anAllocationIsRefreshedAMinuteBeforeItExpires() {
        var a = allocatedAgent()
        var out: [ICEOutput] = []
        let due = ms(60) + ms(600_000) - ms(60_000)
        a.timerFired(now: due - 1, into: &out)
        #expect(!turnSends(out).contains { if case .refreshRequest = $0.1 { return true } else { return false } })
        a.timerFired(now: due, into: &out)
        let refreshes = turnSends(out).filter { if case .refreshRequest(_, let l) = $0.1 { return l > 0 } else { return false } }
        #expect(refreshes.count == 2)
    }

    @Test func closingReleasesEveryAllocation() {
        var a = allocatedAgent()
        var out: [ICEOutput] = []
        a.close(into: &out)
        let releases = turnSends(out).filter { if case .refreshRequest(_, 0) = $0.1 { return true } else { return false } }
        #expect(releases.map(\.0) == [.udp, .tcp])
        #expect(a.relays.allSatisfy { $0.state == .released })
        out = []
        a.close(into: &out)
        #expect(out.isEmpty)
    }
    // MARK: - Gathering stopped by a writable pair (libwebrtc GATHER_ONCE)

    /// Gathering started at 0 with a TURN server, the host candidate out, `peer` known and the
    /// first direct check to it answered at `answerAt`: the pair is writable then.
    private func connectedDirectly(answerAt: Int64, firing: [Int64] = []) throws -> (agent: ICEAgent, out: [ICEOutput]) {
        var a = ICEAgent(config: config, role: .controlling, tieBreaker: 7, ufrag: "loc", pwd: "lpwd", base: base,
                         stunServer: nil, turnServer: turn)
        var out: [ICEOutput] = []
        a.startGathering(now: 0, into: &out)
        a.timerFired(now: config.gatheringDelay, into: &out)
        a.setRemoteCredentials(ufrag: "rem", pwd: "rpwd", now: ms(5), into: &out)
        let remote = ICECandidate(foundation: "r", priority: ICECandidate.priority(type: .host, localPreference: 65_280, component: 1),
                                  address: peer, type: .host, ufrag: "rem")
        a.addRemoteCandidate(remote, now: ms(5), into: &out)
        out = []
        a.timerFired(now: ms(5), into: &out)
        let check = try #require(out.compactMap { o -> STUNMessage? in
            if case .send(let to, let m) = o, to == peer, m.kind == .bindingRequest { return m }
            return nil
        }.first)
        for t in firing { a.timerFired(now: t, into: &out) }
        out = []
        a.receive(STUNMessage(kind: .bindingSuccess, transactionID: check.transactionID, mappedAddress: base), from: peer,
                  now: answerAt, into: &out)
        return (a, out)
    }

    @Test func aWritablePairBeforeTheRelayPhaseMeansNoAllocationAtAll() throws {
        var (a, out) = try connectedDirectly(answerAt: ms(30))
        #expect(a.state == .connected)
        #expect(completes(out))
        out = []
        var now = ms(30)
        while let d = a.nextDeadline, d < ms(1_000) {
            now = max(now, d)
            a.timerFired(now: now, into: &out)
        }
        #expect(turnSends(out).isEmpty)
        #expect(a.relays.isEmpty)
        #expect(gathered(out).isEmpty)
    }

    @Test func anAllocationPendingAtTheStopGivesNoCandidateAndIsReleasedWhenItsPortTimesOut() throws {
        var (a, out) = try connectedDirectly(answerAt: ms(60), firing: [relayPhase])
        #expect(completes(out), "complete at once, though both Allocates are outstanding")
        #expect(a.relays.map(\.state) == [.allocating, .allocating])
        #expect(a.relays.allSatisfy { $0.discarded })
        let udpID = try #require(a.relays[0].transaction?.id)
        // The grant still comes (the TURN port lives on), but its candidate is discarded.
        out = []
        a.receiveTURN(.allocateSuccess(transactionID: udpID, relayed: relayedUDP, mapped: mapped, lifetime: 600),
                      transport: .udp, now: ms(80), into: &out)
        #expect(a.relays[0].state == .allocated)
        #expect(gathered(out).isEmpty)
        #expect(!a.localCandidates.contains { $0.candidate.type == .relay })
        #expect(!completes(out))
        // No pair and no permission through it.
        #expect(a.pairs.allSatisfy { a.localCandidates[$0.localIndex].path == .direct })
        #expect(a.relays[0].permissions.isEmpty)
        // libwebrtc kPortTimeoutDelay (STUN_TOTAL_TIMEOUT + 5 s) after the port was created.
        let destroyAt = relayPhase + 44_750_000_000
        #expect(a.relays[0].destroyAt == destroyAt)
        out = []
        var now = ms(80), steps = 0
        while let d = a.nextDeadline, d < destroyAt, steps < 10_000 {
            now = max(now, d)
            a.timerFired(now: now, into: &out)
            steps += 1
        }
        #expect(!turnSends(out).contains { if case .refreshRequest(_, 0) = $0.1 { return true } else { return false } })
        #expect(a.relays[0].state == .allocated)
        out = []
        a.timerFired(now: destroyAt, into: &out)
        let releases = turnSends(out).filter { if case .refreshRequest(_, 0) = $0.1 { return true } else { return false } }
        #expect(releases.map(\.0) == [.udp])
        #expect(a.relays[0].state == .released)
        // The TCP Allocate, never answered, failed long before (39.75 s) and releases nothing.
        #expect(a.relays[1].state == .failed)
    }

    @Test func relayCandidatesGatheredBeforeTheStopStayAndArePaired() throws {
        var (a, udp, _, out) = gatheringAgent()
        out = []
        a.receiveTURN(.allocateSuccess(transactionID: udp, relayed: relayedUDP, mapped: mapped, lifetime: 600),
                      transport: .udp, now: ms(70), into: &out)
        #expect(gathered(out).map(\.address) == [relayedUDP])
        a.setRemoteCredentials(ufrag: "rem", pwd: "rpwd", now: ms(70), into: &out)
        let remote = ICECandidate(foundation: "r", priority: ICECandidate.priority(type: .host, localPreference: 65_280, component: 1),
                                  address: peer, type: .host, ufrag: "rem")
        a.addRemoteCandidate(remote, now: ms(70), into: &out)
        #expect(a.pairs.count == 2, "host and UDP relay")
    }
    /// An ICE restart asks the server again before a granted allocation's relay candidate
    /// surfaces (a new libwebrtc session allocates anew): a Refresh at the RELAY phase, the
    /// candidate with its answer; none while the server is silent; a new Allocate if it forgot.
    @Test func aRestartConfirmsItsAllocationsBeforeTheirCandidatesSurface() {
        func restarted() -> (ICEAgent, [ICEOutput], Int64) {
            var a = allocatedAgent()
            var out: [ICEOutput] = []
            a.restart(ufrag: "loc2", pwd: "lpwd2", forgetRemote: true, into: &out)
            let t0 = ms(10_000)
            a.startGathering(now: t0, into: &out)
            a.timerFired(now: t0 + config.gatheringDelay, into: &out)
            out.removeAll()
            a.timerFired(now: t0 + relayPhase, into: &out)
            return (a, out, t0 + relayPhase)
        }
        func refreshIDs(_ out: [ICEOutput]) -> [(CandidateTransport, UInt64)] {
            turnSends(out).compactMap { (t, m) in
                if case .refreshRequest(let id, let lifetime) = m, lifetime > 0 { return (t, id) }
                return nil
            }
        }
        // Answered: the relay candidate comes with the answer, not before.
        var (a, out, t) = restarted()
        let refreshes = refreshIDs(out)
        #expect(refreshes.count == 2, "one Refresh per allocation")
        #expect(gathered(out).allSatisfy { $0.type != .relay }, "no relay candidate before the server answers")
        #expect(allocateID(out, .udp) == nil)
        out.removeAll()
        for (transport, id) in refreshes {
            a.receiveTURN(.refreshSuccess(transactionID: id, lifetime: 600), transport: transport, now: t + ms(30), into: &out)
        }
        #expect(gathered(out).filter { $0.type == .relay }.count == 2)
        // Never answered: no relay candidate in this generation, and gathering completes.
        (a, out, t) = restarted()
        var later: [ICEOutput] = []
        var now = t
        while now < t + ms(60_000) {
            now += ms(250)
            a.timerFired(now: now, into: &later)
        }
        #expect(gathered(later).allSatisfy { $0.type != .relay })
        #expect(completes(later))
        // Forgotten (437): a new Allocate, whose grant surfaces the candidate.
        (a, out, t) = restarted()
        let (transport, id) = refreshIDs(out)[0]
        out.removeAll()
        a.receiveTURN(.refreshError(transactionID: id, code: 437), transport: transport, now: t + ms(30), into: &out)
        let again = allocateID(out, transport)
        #expect(again != nil, "allocates anew")
        out.removeAll()
        if let again {
            a.receiveTURN(.allocateSuccess(transactionID: again, relayed: relayedUDP, mapped: mapped, lifetime: 600), transport: transport, now: t + ms(60), into: &out)
        }
        #expect(gathered(out).filter { $0.type == .relay }.count == 1)
    }
}
