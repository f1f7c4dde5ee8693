import Testing
@testable import SignalProtocol

// Unit tests of ICEAgent driven directly: STUN messages in, `timerFired` with explicit `now`,
// outputs and state inspected. Local ufrag "loc", remote ufrag "rem".

private let localBase = TransportAddress(ip: 0x0A00_0001, port: 5000)
private let remoteA = TransportAddress(ip: 0x0A00_0002, port: 6000)
private let remoteB = TransportAddress(ip: 0x0A00_0003, port: 6001)
private let remoteC = TransportAddress(ip: 0x0A00_0004, port: 6002)
private let natMapped = TransportAddress(ip: 0xCB00_7101, port: 40_000)
private let stunServerAddress = TransportAddress(ip: 0xC633_6401, port: 3478)
private let strangerAddress = TransportAddress(ip: 0xC633_6402, port: 3478)

/// libwebrtc's local preference for the single IPv4 interface, and RFC 8445 §5.1.2.1 priorities.
private let localPref: UInt32 = 65_535 - 255
private let hostPriority: UInt32 = (126 << 24) | (localPref << 8) | 255
private let srflxPriority: UInt32 = (100 << 24) | (localPref << 8) | 255
private let prflxPriority: UInt32 = (110 << 24) | (localPref << 8) | 255

private func ms(_ v: Int64) -> Int64 { v * 1_000_000 }
/// Tests start acting at 10 ms, after the host candidate (gathered at 2 ms).
private let t0 = ms(10)
private let defaults = ICEConfiguration()
/// Gathering phases with the defaults, gathering started at 0: UDP at 2 ms, RELAY at 52 ms, TCP at 102 ms.
private let udpPhase = defaults.gatheringDelay
private let relayPhase = udpPhase + defaults.gatheringStepDelay
private let tcpPhase = relayPhase + defaults.gatheringStepDelay
/// libwebrtc ICE_TYPE_PREFERENCE_HOST_TCP = 90 with the host's local preference.
private let hostTCPPriority: UInt32 = (90 << 24) | (localPref << 8) | 255

// MARK: - Output helpers

private func sends(_ out: [ICEOutput], _ kind: STUNMessage.Kind) -> [(to: TransportAddress, m: STUNMessage)] {
    var r: [(to: TransportAddress, m: STUNMessage)] = []
    for o in out {
        if case .send(let to, let m) = o, m.kind == kind { r.append((to, m)) }
    }
    return r
}

private func stateChanges(_ out: [ICEOutput]) -> [ICETransportState] {
    var r: [ICETransportState] = []
    for o in out { if case .stateChanged(let s) = o { r.append(s) } }
    return r
}

private func gatheringChanges(_ out: [ICEOutput]) -> [ICEGatheringState] {
    var r: [ICEGatheringState] = []
    for o in out { if case .gatheringStateChanged(let s) = o { r.append(s) } }
    return r
}

private func gathered(_ out: [ICEOutput]) -> [ICECandidate] {
    var r: [ICECandidate] = []
    for o in out { if case .gathered(let c) = o { r.append(c) } }
    return r
}

private func selections(_ out: [ICEOutput]) -> [(local: ICECandidate, remote: ICECandidate)] {
    var r: [(local: ICECandidate, remote: ICECandidate)] = []
    for o in out { if case .selectedPairChanged(let l, let rem) = o { r.append((l, rem)) } }
    return r
}

private func remoteCandidate(_ address: TransportAddress, _ type: CandidateType = .host, ufrag: String = "rem",
                             priority: UInt32? = nil) -> ICECandidate {
    ICECandidate(foundation: "r-\(type)", priority: priority ?? ICECandidate.priority(type: type, localPreference: localPref, component: 1),
                 address: address, type: type, ufrag: ufrag)
}

/// A connectivity check as the remote agent would send it to us.
private func incomingCheck(tx: UInt64, controlling: Bool, tieBreaker: UInt64, useCandidate: Bool = false,
                           target: InlineText = "loc", source: InlineText = "rem", priority: UInt32 = prflxPriority) -> STUNMessage {
    STUNMessage(kind: .bindingRequest, transactionID: tx, usernameTarget: target, usernameSource: source,
                priority: priority, useCandidate: useCandidate, controlling: controlling, tieBreaker: tieBreaker)
}

private final class Agent {
    var ice: ICEAgent

    init(role: ICERole = .controlling, tieBreaker: UInt64 = 100, stun: TransportAddress? = nil,
         config: ICEConfiguration = ICEConfiguration()) {
        ice = ICEAgent(config: config, role: role, tieBreaker: tieBreaker, ufrag: "loc", pwd: "lpwd",
                       base: localBase, stunServer: stun)
    }

    /// Host candidate gathered (no STUN server, so gathering is complete) and remote credentials applied.
    static func ready(role: ICERole = .controlling, tieBreaker: UInt64 = 100,
                      config: ICEConfiguration = ICEConfiguration()) -> Agent {
        let a = Agent(role: role, tieBreaker: tieBreaker, config: config)
        _ = a.start(0)
        _ = a.fire(config.gatheringDelay)
        var out: [ICEOutput] = []
        a.ice.setRemoteCredentials(ufrag: "rem", pwd: "rpwd", now: config.gatheringDelay, into: &out)
        return a
    }

    func start(_ now: Int64) -> [ICEOutput] {
        var out: [ICEOutput] = []
        ice.startGathering(now: now, into: &out)
        return out
    }

    func fire(_ now: Int64) -> [ICEOutput] {
        var out: [ICEOutput] = []
        ice.timerFired(now: now, into: &out)
        return out
    }

    func receive(_ m: STUNMessage, from: TransportAddress, _ now: Int64) -> [ICEOutput] {
        var out: [ICEOutput] = []
        ice.receive(m, from: from, now: now, into: &out)
        return out
    }

    @discardableResult
    func add(_ c: ICECandidate, _ now: Int64) -> Bool {
        var out: [ICEOutput] = []
        return ice.addRemoteCandidate(c, now: now, into: &out)
    }

    /// Answers one of our checks with a success response from `from` (mapped address = our base).
    func answer(_ request: STUNMessage, from: TransportAddress, _ now: Int64,
                         mapped: TransportAddress = localBase) -> [ICEOutput] {
        receive(STUNMessage(kind: .bindingSuccess, transactionID: request.transactionID, mappedAddress: mapped),
                from: from, now)
    }

    /// Fires every deadline up to `limit` with nobody answering.
    func runSilently(from start: Int64, until limit: Int64) -> [(time: Int64, out: [ICEOutput])] {
        var log: [(time: Int64, out: [ICEOutput])] = []
        var now = start
        var steps = 0
        while let d = ice.nextDeadline, d <= limit, steps < 100_000 {
            now = max(d, now)
            log.append((now, fire(now)))
            steps += 1
        }
        return log
    }
}

/// A controlling agent whose single pair (to `remoteA`) succeeded, was selected and nominated, and
/// whose nomination check was answered 10 ms later. Returns the agent and the nomination's send time.
private func connectedControlling(config: ICEConfiguration = ICEConfiguration()) throws -> (agent: Agent, lastPing: Int64) {
    let a = Agent.ready(config: config)
    a.add(remoteCandidate(remoteA), t0)
    let check = try #require(sends(a.fire(t0), .bindingRequest).first)
    let out = a.answer(check.m, from: remoteA, t0 + ms(10))
    let nomination = try #require(sends(out, .bindingRequest).first)
    _ = a.answer(nomination.m, from: remoteA, t0 + ms(20))
    return (a, t0 + ms(10))
}

@Suite("ICEAgent")
struct ICEAgentTests {}

extension ICEAgentTests {
    /// libwebrtc's gathering phases (`basic_port_allocator.cc` `AllocationSequence`), the stop at
    /// the first writable pair (`GATHER_ONCE`), and TCP candidates.
    @Suite("gathering phases and TCP candidates")
    struct GatheringPhases {
        /// Gathering started at 0 (optionally with a STUN server), the host candidate out, the
        /// remote credentials and `remoteA` known at t0, and the first check to `remoteA` sent.
        fileprivate static func checking(stun: TransportAddress? = nil, config: ICEConfiguration = ICEConfiguration()) throws
            -> (agent: Agent, check: STUNMessage) {
            let a = Agent(stun: stun, config: config)
            _ = a.start(0)
            _ = a.fire(config.gatheringDelay)
            var out: [ICEOutput] = []
            a.ice.setRemoteCredentials(ufrag: "rem", pwd: "rpwd", now: t0, into: &out)
            a.add(remoteCandidate(remoteA), t0)
            let check = try #require(sends(a.fire(t0), .bindingRequest).first { $0.to == remoteA })
            return (a, check.m)
        }

        private static func tcpCandidate(_ address: TransportAddress, _ tcpType: TCPType?, ufrag: String = "rem") -> ICECandidate {
            ICECandidate(foundation: "r-tcp", transport: .tcp, priority: hostTCPPriority, address: address, type: .host,
                         tcpType: tcpType, ufrag: ufrag)
        }

        @Test func thePhasesRunOneStepDelayApartAndTheStepDelayCanBeChanged() {
            var config = ICEConfiguration()
            config.gatheringStepDelay = ms(20)
            let a = Agent(stun: nil, config: config)
            _ = a.start(ms(1))
            #expect(a.ice.nextDeadline == ms(1) + config.gatheringDelay)
            #expect(gathered(a.fire(ms(3))).map(\.transport) == [.udp])
            #expect(a.ice.nextDeadline == ms(23))
            #expect(a.fire(ms(23)).isEmpty, "the RELAY phase, with no TURN server")
            #expect(a.ice.nextDeadline == ms(43))
            let out = a.fire(ms(43))
            #expect(gathered(out).map(\.transport) == [.tcp])
            #expect(gatheringChanges(out) == [.complete])
        }

        @Test func theDefaultStepDelayIsLibwebrtcsMinimumStepDelay() {
            // p2p/base/port_allocator.h kMinimumStepDelay = 50 ms, set by pc/peer_connection.cc.
            #expect(defaults.gatheringStepDelay == ms(50))
        }

        @Test func theTCPCandidateIsAnActiveHostCandidateAtTheDiscardPort() throws {
            let a = Agent(stun: nil)
            _ = a.start(0)
            let host = try #require(gathered(a.fire(udpPhase)).first)
            _ = a.fire(relayPhase)
            let tcp = try #require(gathered(a.fire(tcpPhase)).first)
            #expect(tcp.transport == .tcp)
            #expect(tcp.tcpType == .active)
            #expect(tcp.type == .host)
            #expect(tcp.address == TransportAddress(ip: localBase.ip, port: 9))
            #expect(tcp.priority == hostTCPPriority)
            #expect(tcp.priority == 1_526_661_375)
            #expect(tcp.priority < host.priority)
            #expect(tcp.foundation != host.foundation)
            #expect(tcp.relatedAddress == nil)
            #expect(tcp.ufrag == "loc" && tcp.component == 1)
            #expect(host.tcpType == nil)
        }

        @Test func withoutAWritablePairTheTCPCandidateIsGatheredButNeverPaired() throws {
            let (a, _) = try Self.checking()
            #expect(a.ice.pairs.count == 1)
            _ = a.fire(relayPhase)
            let out = a.fire(tcpPhase)
            #expect(gathered(out).map(\.tcpType) == [.active])
            #expect(gatheringChanges(out) == [.complete])
            #expect(!a.ice.gatheringStopped)
            #expect(a.ice.pairs.count == 1, "no pair for the active TCP candidate")
            a.add(remoteCandidate(remoteB), tcpPhase)
            #expect(a.ice.pairs.count == 2)
            #expect(a.ice.pairs.allSatisfy { a.ice.localCandidates[$0.localIndex].candidate.transport == .udp })
        }

        @Test func aWritablePairBeforeTheTCPPhaseStopsGatheringAndCompletesAfterConnected() throws {
            let (a, check) = try Self.checking()
            let out = a.answer(check, from: remoteA, t0 + ms(10))
            #expect(gatheringChanges(out) == [.complete])
            #expect(a.ice.gatheringStopped)
            let connected = try #require(out.firstIndex { if case .stateChanged(.connected) = $0 { return true } else { return false } })
            let complete = try #require(out.firstIndex { if case .gatheringStateChanged(.complete) = $0 { return true } else { return false } })
            #expect(connected < complete, "the answerer's iceConnectionState connected comes before gathering complete")
            // The RELAY and TCP phases never run.
            let log = a.runSilently(from: t0 + ms(10), until: ms(1_000))
            #expect(log.allSatisfy { gathered($0.out).isEmpty && gatheringChanges($0.out).isEmpty })
            #expect(!a.ice.localCandidates.contains { $0.candidate.transport == .tcp })
        }

        @Test func aWritablePairAfterTheTCPPhaseChangesNothing() throws {
            let (a, check) = try Self.checking()
            _ = a.fire(relayPhase)
            _ = a.fire(tcpPhase)
            let out = a.answer(check, from: remoteA, tcpPhase + ms(1))
            #expect(stateChanges(out) == [.connected])
            #expect(gatheringChanges(out).isEmpty)
            #expect(!a.ice.gatheringStopped)
        }

        @Test func aSTUNTransactionPendingAtTheStopGoesOnButItsCandidateIsDiscarded() throws {
            let (a, check) = try Self.checking(stun: stunServerAddress)
            let out = a.answer(check, from: remoteA, t0 + ms(10))
            // libwebrtc OnConfigStop: complete at once, whatever is still pending.
            #expect(gatheringChanges(out) == [.complete])
            // The Binding request is still retransmitted (the port lives on) ...
            let first = defaults.gatheringDelay + defaults.stunInitialRTO
            let retransmission = try #require(sends(a.fire(first), .bindingRequest).first { $0.to == stunServerAddress })
            // ... and its answer gives no srflx candidate (the port is done gathering).
            let late = a.receive(STUNMessage(kind: .bindingSuccess, transactionID: retransmission.m.transactionID, mappedAddress: natMapped),
                                 from: stunServerAddress, first + ms(5))
            #expect(gathered(late).isEmpty)
            #expect(gatheringChanges(late).isEmpty)
            #expect(!a.ice.localCandidates.contains { $0.candidate.type == .srflx })
        }

        @Test func remoteTCPCandidatesAreAcceptedAndRememberedButNeverPaired() throws {
            let a = Agent.ready()
            let active = Self.tcpCandidate(TransportAddress(ip: remoteA.ip, port: 9), .active)
            let passive = Self.tcpCandidate(TransportAddress(ip: remoteB.ip, port: 7000), .passive)
            let so = Self.tcpCandidate(TransportAddress(ip: remoteC.ip, port: 7001), .so)
            #expect(a.add(active, t0))
            #expect(a.add(passive, t0))
            #expect(a.add(so, t0))
            #expect(a.add(active, t0), "a duplicate still resolves")
            #expect(a.ice.remoteTCPCandidates == [active, passive, so])
            #expect(a.ice.remoteCandidates.isEmpty)
            #expect(a.ice.pairs.isEmpty)
            #expect(sends(a.fire(t0), .bindingRequest).isEmpty)
            #expect(a.ice.state == .new)
            // Not even with our own (active) TCP candidate.
            _ = a.fire(relayPhase)
            _ = a.fire(tcpPhase)
            #expect(a.ice.localCandidates.contains { $0.candidate.transport == .tcp })
            #expect(a.ice.pairs.isEmpty)
            // Another generation is refused, and a new remote ufrag forgets them.
            #expect(!a.add(Self.tcpCandidate(remoteA, .passive, ufrag: "old"), t0))
            var out: [ICEOutput] = []
            a.ice.setRemoteCredentials(ufrag: "rem2", pwd: "rpwd2", now: tcpPhase, into: &out)
            #expect(a.ice.remoteTCPCandidates.isEmpty)
        }

        @Test func aRemoteTCPCandidateDoesNotDisturbTheUDPPairs() throws {
            let (a, check) = try Self.checking()
            #expect(a.add(Self.tcpCandidate(TransportAddress(ip: remoteA.ip, port: 9), .active), t0 + ms(1)))
            #expect(a.ice.pairs.count == 1)
            let out = a.answer(check, from: remoteA, t0 + ms(10))
            #expect(stateChanges(out) == [.connected])
        }
    }
}

extension ICEAgentTests {
    @Suite("gathering")
    struct Gathering {
        @Test func startGatheringMovesFromNewToGatheringAndWaitsForTheDelay() {
            let a = Agent(stun: stunServerAddress)
            #expect(a.ice.gatheringState == .new)
            let out = a.start(ms(1))
            #expect(gatheringChanges(out) == [.gathering])
            #expect(a.ice.gatheringState == .gathering)
            #expect(a.ice.nextDeadline == ms(1) + defaults.gatheringDelay)
            #expect(a.fire(ms(1) + defaults.gatheringDelay - 1).isEmpty)
            #expect(a.ice.localCandidates.isEmpty)
        }

        @Test func hostCandidateSurfacesAfterTheDelayThenTheSTUNServerIsAsked() throws {
            let a = Agent(stun: stunServerAddress)
            _ = a.start(0)
            let out = a.fire(defaults.gatheringDelay)
            let host = try #require(gathered(out).first)
            #expect(gathered(out).count == 1)
            #expect(host.type == .host)
            #expect(host.address == localBase)
            #expect(host.priority == hostPriority)
            #expect(host.ufrag == "loc")
            let requests = sends(out, .bindingRequest)
            #expect(requests.count == 1)
            #expect(requests.first?.to == stunServerAddress)
            #expect(requests.first?.m.usernameTarget == "")
            // Still waiting for the server.
            #expect(a.ice.gatheringState == .gathering)
            #expect(gatheringChanges(out).isEmpty)
        }

        @Test func aMappedAddressThatDiffersFromTheBaseGivesASrflxCandidateThenCompleteAfterTheTCPPhase() throws {
            let a = Agent(stun: stunServerAddress)
            _ = a.start(0)
            let request = try #require(sends(a.fire(defaults.gatheringDelay), .bindingRequest).first)
            let out = a.receive(STUNMessage(kind: .bindingSuccess, transactionID: request.m.transactionID, mappedAddress: natMapped),
                                from: stunServerAddress, ms(30))
            let srflx = try #require(gathered(out).first)
            #expect(srflx.type == .srflx)
            #expect(srflx.address == natMapped)
            #expect(srflx.relatedAddress == localBase)
            #expect(srflx.priority == srflxPriority)
            // The RELAY and TCP phases have not run yet.
            #expect(gatheringChanges(out).isEmpty)
            #expect(a.fire(relayPhase).isEmpty, "no TURN server: the RELAY phase does nothing")
            let last = a.fire(tcpPhase)
            #expect(gathered(last).map(\.transport) == [.tcp])
            #expect(gatheringChanges(last) == [.complete])
            // The candidate is surfaced before gathering says complete.
            let gatheredIndex = try #require(last.firstIndex { if case .gathered = $0 { return true } else { return false } })
            let completeIndex = try #require(last.firstIndex { if case .gatheringStateChanged(.complete) = $0 { return true } else { return false } })
            #expect(gatheredIndex < completeIndex)
            #expect(a.ice.gatheringState == .complete)
        }

        @Test func aMappedAddressEqualToTheBaseGivesNoSrflxCandidate() throws {
            let a = Agent(stun: stunServerAddress)
            _ = a.start(0)
            let request = try #require(sends(a.fire(defaults.gatheringDelay), .bindingRequest).first)
            let out = a.receive(STUNMessage(kind: .bindingSuccess, transactionID: request.m.transactionID, mappedAddress: localBase),
                                from: stunServerAddress, ms(30))
            #expect(gathered(out).isEmpty)
            #expect(gatheringChanges(out).isEmpty)
            #expect(a.ice.localCandidates.count == 1)
            _ = a.fire(relayPhase)
            #expect(gatheringChanges(a.fire(tcpPhase)) == [.complete])
        }

        @Test func aResponseFromAnotherAddressIsNotTakenAsTheServersAnswer() throws {
            let a = Agent(stun: stunServerAddress)
            _ = a.start(0)
            let request = try #require(sends(a.fire(defaults.gatheringDelay), .bindingRequest).first)
            let out = a.receive(STUNMessage(kind: .bindingSuccess, transactionID: request.m.transactionID, mappedAddress: natMapped),
                                from: strangerAddress, ms(30))
            #expect(out.isEmpty)
            #expect(a.ice.gatheringState == .gathering)
        }

        @Test func withoutServersThePhasesStillAdvanceAndGatheringCompletesAfterTheTCPPhase() throws {
            let a = Agent(stun: nil)
            _ = a.start(0)
            let out = a.fire(udpPhase)
            #expect(gathered(out).map(\.type) == [.host])
            #expect(gatheringChanges(out).isEmpty, "gathering no longer completes right after the host candidate")
            #expect(sends(out, .bindingRequest).isEmpty)
            #expect(a.ice.nextDeadline == relayPhase)
            #expect(a.fire(relayPhase - 1).isEmpty)
            #expect(a.fire(relayPhase).isEmpty)
            #expect(a.ice.nextDeadline == tcpPhase)
            #expect(a.fire(tcpPhase - 1).isEmpty)
            let last = a.fire(tcpPhase)
            let tcp = try #require(gathered(last).first)
            #expect(gathered(last).count == 1)
            #expect(tcp.transport == .tcp && tcp.type == .host && tcp.tcpType == .active)
            #expect(gatheringChanges(last) == [.complete])
            #expect(a.ice.nextDeadline == nil)
        }

        @Test func theSTUNTransactionRetransmitsWithADoublingRTOThenGivesUpAndCompletes() throws {
            let a = Agent(stun: stunServerAddress)
            _ = a.start(0)
            let first = try #require(sends(a.fire(defaults.gatheringDelay), .bindingRequest).first)
            let log = a.runSilently(from: defaults.gatheringDelay, until: ms(120_000))
            var sendTimes = [defaults.gatheringDelay]
            var ids = [first.m.transactionID]
            var completedAt: [Int64] = []
            var later: [(time: Int64, candidate: ICECandidate)] = []
            for step in log {
                for s in sends(step.out, .bindingRequest) {
                    #expect(s.to == stunServerAddress)
                    sendTimes.append(step.time)
                    ids.append(s.m.transactionID)
                }
                if gatheringChanges(step.out).contains(.complete) { completedAt.append(step.time) }
                later += gathered(step.out).map { (step.time, $0) }
            }
            // Only the TCP phase's candidate: the STUN transaction keeps gathering open.
            #expect(later.map(\.time) == [tcpPhase])
            #expect(later.map(\.candidate.transport) == [.tcp])
            // libwebrtc stun_request.cc: 250 ms initial RTO, doubling, capped at 8 s, 9 sends in all.
            let intervals = zip(sendTimes.dropFirst(), sendTimes).map { ($0 - $1) / 1_000_000 }
            #expect(intervals == [250, 500, 1000, 2000, 4000, 8000, 8000, 8000])
            #expect(sendTimes.count == defaults.stunMaxRetransmissions + 1)
            #expect(Set(ids).count == 1)
            #expect(completedAt.count == 1)
            #expect(completedAt.first.map { $0 > sendTimes.last! } == true)
            #expect(a.ice.gatheringState == .complete)
            #expect(a.ice.nextDeadline == nil)
        }

        @Test func theSTUNTransactionGivesUpAtLibwebrtcsTotalTimeout() throws {
            let a = Agent(stun: stunServerAddress)
            _ = a.start(0)
            _ = a.fire(defaults.gatheringDelay)
            let log = a.runSilently(from: defaults.gatheringDelay, until: ms(120_000))
            let completedAt = try #require(log.first { gatheringChanges($0.out).contains(.complete) }?.time)
            // docs/calibration/webrtc-facts.md T5: sends at 0, 250, 750, ..., 31750 ms and failure at 39750 ms.
            #expect(completedAt - defaults.gatheringDelay == ms(39_750))
        }
    }

    @Suite("pairs, checks and nomination")
    struct PairsAndChecks {
        @Test func rfc8445PairPriorityFormula() {
            #expect(CandidatePair.priority(controlling: 10, controlled: 20) == (10 << 32) + 40)
            #expect(CandidatePair.priority(controlling: 20, controlled: 10) == (10 << 32) + 40 + 1)
            #expect(CandidatePair.priority(controlling: 7, controlled: 7) == (7 << 32) + 14)
        }

        /// RFC 8445 §5.1.2.1 with the §5.1.2.2 recommended type preferences and the maximum local
        /// preference (65535), component 1: the priorities every ICE implementation's logs show.
        @Test func candidateAndPairPrioritiesOfTheRecommendedValues() {
            let host = ICECandidate.priority(type: .host, localPreference: 65535, component: 1)
            let prflx = ICECandidate.priority(type: .prflx, localPreference: 65535, component: 1)
            let srflx = ICECandidate.priority(type: .srflx, localPreference: 65535, component: 1)
            let relay = ICECandidate.priority(type: .relay, localPreference: 65535, component: 1)
            #expect(host == 2_130_706_431 && prflx == 1_862_270_975 && srflx == 1_694_498_815 && relay == 16_777_215)
            // host (controlling, G) with srflx (controlled, D): 2^32·D + 2·G + 1.
            #expect(CandidatePair.priority(controlling: host, controlled: srflx) == 7_277_816_997_797_167_103)
            #expect(CandidatePair.priority(controlling: srflx, controlled: host) == 7_277_816_997_797_167_102)
            // A direct pair always outranks a pair with a relay on either side.
            #expect(CandidatePair.priority(controlling: host, controlled: srflx) > CandidatePair.priority(controlling: relay, controlled: host))
        }

        @Test func pairsFormOnlyOnceTheHostCandidateExistsAndNeverFromSrflx() throws {
            let a = Agent(stun: stunServerAddress)
            var out: [ICEOutput] = []
            a.ice.setRemoteCredentials(ufrag: "rem", pwd: "rpwd", now: 0, into: &out)
            _ = a.start(0)
            #expect(a.add(remoteCandidate(remoteA), 0))
            #expect(a.ice.pairs.isEmpty)
            let request = try #require(sends(a.fire(defaults.gatheringDelay), .bindingRequest).first { $0.to == stunServerAddress })
            #expect(a.ice.pairs.count == 1)
            _ = a.receive(STUNMessage(kind: .bindingSuccess, transactionID: request.m.transactionID, mappedAddress: natMapped),
                          from: stunServerAddress, ms(30))
            #expect(a.ice.localCandidates.map(\.candidate.type) == [.host, .srflx])
            a.add(remoteCandidate(remoteB), ms(40))
            // One pair per remote candidate, all from the host candidate: srflx shares the host's base.
            #expect(a.ice.pairs.count == 2)
            #expect(a.ice.pairs.allSatisfy { a.ice.localCandidates[$0.localIndex].candidate.type == .host })
        }

        @Test func controllingAgentUsesItsOwnCandidateAsG() throws {
            let a = Agent.ready(role: .controlling)
            a.add(remoteCandidate(remoteA, .srflx), t0)
            let pair = try #require(a.ice.pairs.first)
            #expect(pair.priority == (UInt64(srflxPriority) << 32) + 2 * UInt64(hostPriority) + 1)
        }

        @Test func controlledAgentUsesTheRemoteCandidateAsG() throws {
            let a = Agent.ready(role: .controlled)
            a.add(remoteCandidate(remoteA, .srflx), t0)
            let pair = try #require(a.ice.pairs.first)
            #expect(pair.priority == (UInt64(srflxPriority) << 32) + 2 * UInt64(hostPriority))
        }

        @Test func aCheckCarriesUsernamePrflxPriorityAndTheControllingAttribute() throws {
            let a = Agent.ready(role: .controlling, tieBreaker: 1234)
            a.add(remoteCandidate(remoteA), t0)
            let out = a.fire(t0)
            let checks = sends(out, .bindingRequest)
            #expect(checks.count == 1)
            let check = try #require(checks.first)
            #expect(check.to == remoteA)
            #expect(check.m.usernameTarget == "rem")
            #expect(check.m.usernameSource == "loc")
            #expect(check.m.priority == prflxPriority)
            #expect(check.m.controlling)
            #expect(check.m.tieBreaker == 1234)
            #expect(!check.m.useCandidate)
            #expect(a.ice.state == .checking)
        }

        @Test func aControlledAgentsCheckCarriesTheControlledAttribute() throws {
            let a = Agent.ready(role: .controlled, tieBreaker: 99)
            a.add(remoteCandidate(remoteA), t0)
            let check = try #require(sends(a.fire(t0), .bindingRequest).first)
            #expect(!check.m.controlling)
            #expect(check.m.tieBreaker == 99)
            #expect(!check.m.useCandidate)
        }

        @Test func theHighestPriorityPairIsCheckedFirst() throws {
            let a = Agent.ready()
            a.add(remoteCandidate(remoteB, .srflx), t0)
            a.add(remoteCandidate(remoteA, .host), t0)
            let first = try #require(sends(a.fire(t0), .bindingRequest).first)
            #expect(first.to == remoteA)
            let second = try #require(sends(a.fire(t0 + defaults.weakPingInterval), .bindingRequest).first)
            #expect(second.to == remoteB)
        }

        @Test func aCheckFromAnUnknownAddressCreatesAPeerReflexiveCandidateAndTriggersACheckBack() throws {
            let a = Agent.ready(role: .controlled)
            let out = a.receive(incomingCheck(tx: 77, controlling: true, tieBreaker: 500, priority: 0x6E00_1234), from: remoteB, t0)
            let response = try #require(sends(out, .bindingSuccess).first)
            #expect(response.to == remoteB)
            #expect(response.m.transactionID == 77)
            #expect(response.m.mappedAddress == remoteB)
            let prflx = try #require(a.ice.remoteCandidates.first)
            #expect(a.ice.remoteCandidates.count == 1)
            #expect(prflx.type == .prflx)
            #expect(prflx.address == remoteB)
            #expect(prflx.priority == 0x6E00_1234)
            #expect(prflx.ufrag == "rem")
            #expect(a.ice.pairs.count == 1)
            let back = try #require(sends(a.fire(t0), .bindingRequest).first)
            #expect(back.to == remoteB)
            #expect(back.m.usernameTarget == "rem")
        }

        @Test func aCheckForAnotherLocalUfragIsIgnored() {
            let a = Agent.ready(role: .controlled)
            let out = a.receive(incomingCheck(tx: 5, controlling: true, tieBreaker: 500, target: "old"), from: remoteA, t0)
            #expect(out.isEmpty)
            #expect(a.ice.remoteCandidates.isEmpty)
            #expect(a.ice.pairs.isEmpty)
        }

        @Test func aCheckFromAnotherRemoteUfragIsIgnored() {
            let a = Agent.ready(role: .controlled)
            let out = a.receive(incomingCheck(tx: 5, controlling: true, tieBreaker: 500, source: "stale"), from: remoteA, t0)
            #expect(out.isEmpty)
            #expect(a.ice.remoteCandidates.isEmpty)
        }

        @Test func aSuccessResponseMakesThePairWritableAndTheStateConnected() throws {
            let a = Agent.ready()
            a.add(remoteCandidate(remoteA), t0)
            let check = try #require(sends(a.fire(t0), .bindingRequest).first)
            #expect(a.ice.pairs[0].state == .inProgress)
            #expect(!a.ice.pairs[0].writable)
            let out = a.answer(check.m, from: remoteA, t0 + ms(30))
            #expect(a.ice.pairs[0].state == .succeeded)
            #expect(a.ice.pairs[0].writable)
            #expect(a.ice.pairs[0].rtt == ms(30))
            #expect(stateChanges(out) == [.connected])
            #expect(a.ice.state == .connected)
        }

        @Test func aSuccessFromAnotherAddressThanTheCheckedOneIsIgnored() throws {
            let a = Agent.ready()
            a.add(remoteCandidate(remoteA), t0)
            let check = try #require(sends(a.fire(t0), .bindingRequest).first)
            let out = a.answer(check.m, from: remoteB, t0 + ms(30))
            #expect(out.isEmpty)
            #expect(!a.ice.pairs[0].writable)
        }

        @Test func controllingSelectsTheSucceededPairAndNominatesItWithUseCandidate() throws {
            let a = Agent.ready(role: .controlling)
            a.add(remoteCandidate(remoteA), t0)
            let check = try #require(sends(a.fire(t0), .bindingRequest).first)
            let out = a.answer(check.m, from: remoteA, t0 + ms(30))
            let selected = try #require(selections(out).first)
            #expect(selected.local.address == localBase)
            #expect(selected.remote.address == remoteA)
            #expect(a.ice.selectedPairIndex == 0)
            #expect(a.ice.pairs[0].nominated)
            let nomination = try #require(sends(out, .bindingRequest).first)
            #expect(nomination.to == remoteA)
            #expect(nomination.m.useCandidate)
            #expect(nomination.m.controlling)
        }

        @Test func theAnsweredNominationDoesNotNominateAgain() throws {
            let a = Agent.ready(role: .controlling)
            a.add(remoteCandidate(remoteA), t0)
            let check = try #require(sends(a.fire(t0), .bindingRequest).first)
            let nomination = try #require(sends(a.answer(check.m, from: remoteA, t0 + ms(30)), .bindingRequest).first)
            let out = a.answer(nomination.m, from: remoteA, t0 + ms(60))
            #expect(sends(out, .bindingRequest).isEmpty)
            #expect(selections(out).isEmpty)
        }

        @Test func controlledSelectsItsFirstWritablePairWithoutNominating() throws {
            let a = Agent.ready(role: .controlled)
            a.add(remoteCandidate(remoteA), t0)
            let check = try #require(sends(a.fire(t0), .bindingRequest).first)
            let out = a.answer(check.m, from: remoteA, t0 + ms(30))
            #expect(selections(out).map(\.remote.address) == [remoteA])
            #expect(sends(out, .bindingRequest).isEmpty)
            #expect(!a.ice.pairs[0].nominated)
            #expect(a.ice.state == .connected)
        }

        @Test func controlledMovesToThePairTheControllingSideNominates() throws {
            let a = Agent.ready(role: .controlled)
            a.add(remoteCandidate(remoteA, .host), t0)
            a.add(remoteCandidate(remoteB, .srflx), t0)
            let checkA = try #require(sends(a.fire(t0), .bindingRequest).first)
            let checkB = try #require(sends(a.fire(t0 + defaults.weakPingInterval), .bindingRequest).first)
            #expect(checkA.to == remoteA && checkB.to == remoteB)
            #expect(selections(a.answer(checkA.m, from: remoteA, t0 + ms(60))).map(\.remote.address) == [remoteA])
            // B becomes writable too, but is not nominated: A stays selected.
            #expect(selections(a.answer(checkB.m, from: remoteB, t0 + ms(100))).isEmpty)
            let out = a.receive(incomingCheck(tx: 9, controlling: true, tieBreaker: 500, useCandidate: true), from: remoteB, t0 + ms(120))
            #expect(sends(out, .bindingSuccess).count == 1)
            #expect(selections(out).map(\.remote.address) == [remoteB])
            #expect(a.ice.selectedPair?.nominated == true)
            #expect(a.ice.remoteCandidates[a.ice.selectedPair!.remoteIndex].address == remoteB)
        }

        @Test func controlledSelectsANominatedPairWhenItBecomesWritable() throws {
            let a = Agent.ready(role: .controlled)
            a.add(remoteCandidate(remoteA, .host), t0)
            a.add(remoteCandidate(remoteB, .srflx), t0)
            let checkA = try #require(sends(a.fire(t0), .bindingRequest).first)
            let checkB = try #require(sends(a.fire(t0 + defaults.weakPingInterval), .bindingRequest).first)
            _ = a.answer(checkA.m, from: remoteA, t0 + ms(60))
            // Nominated while not yet writable: nothing to select yet.
            let nominated = a.receive(incomingCheck(tx: 9, controlling: true, tieBreaker: 500, useCandidate: true), from: remoteB, t0 + ms(70))
            #expect(selections(nominated).isEmpty)
            let out = a.answer(checkB.m, from: remoteB, t0 + ms(100))
            #expect(selections(out).map(\.remote.address) == [remoteB])
        }

        @Test func aSignaledCandidateReplacesThePeerReflexiveOneWithTheSameAddress() throws {
            let a = Agent.ready(role: .controlled)
            _ = a.receive(incomingCheck(tx: 1, controlling: true, tieBreaker: 500), from: remoteA, t0)
            _ = a.fire(t0)
            #expect(a.ice.remoteCandidates.map(\.type) == [.prflx])
            let stateBefore = a.ice.pairs[0].state
            #expect(a.add(remoteCandidate(remoteA, .host), t0 + ms(5)))
            #expect(a.ice.remoteCandidates.count == 1)
            #expect(a.ice.remoteCandidates[0].type == .host)
            #expect(a.ice.remoteCandidates[0].priority == hostPriority)
            #expect(a.ice.pairs.count == 1)
            #expect(a.ice.pairs[0].state == stateBefore)
        }

        @Test
        func thePairPriorityFollowsTheCandidateThatReplacedThePeerReflexiveOne() throws {
            let a = Agent.ready(role: .controlled)
            _ = a.receive(incomingCheck(tx: 1, controlling: true, tieBreaker: 500, priority: prflxPriority), from: remoteA, t0)
            a.add(remoteCandidate(remoteA, .host), t0 + ms(5))
            // libwebrtc Connection::priority() is computed from the current remote candidate.
            #expect(a.ice.pairs[0].priority == CandidatePair.priority(controlling: hostPriority, controlled: hostPriority))
        }

        @Test func aCandidateOfAnotherUfragIsRefused() {
            let a = Agent.ready()
            var out: [ICEOutput] = []
            let accepted = a.ice.addRemoteCandidate(remoteCandidate(remoteA, ufrag: "previous"), now: t0, into: &out)
            #expect(!accepted)
            #expect(out.isEmpty)
            #expect(a.ice.remoteCandidates.isEmpty)
            #expect(a.ice.pairs.isEmpty)
            #expect(a.ice.state == .new)
        }

        @Test func earlyPeerReflexiveCandidatesOfAnotherUfragAreDroppedWhenTheDescriptionArrives() throws {
            let a = Agent(role: .controlled)
            _ = a.start(0)
            _ = a.fire(defaults.gatheringDelay)
            // Checks arrive before the remote description: one from this generation, one stale.
            _ = a.receive(incomingCheck(tx: 1, controlling: true, tieBreaker: 500, source: "old"), from: remoteB, t0)
            _ = a.receive(incomingCheck(tx: 2, controlling: true, tieBreaker: 500, source: "rem"), from: remoteA, t0)
            #expect(a.ice.remoteCandidates.count == 2)
            #expect(a.ice.pairs.count == 2)
            var out: [ICEOutput] = []
            a.ice.setRemoteCredentials(ufrag: "rem", pwd: "rpwd", now: t0 + ms(5), into: &out)
            #expect(a.ice.remoteCandidates.map(\.address) == [remoteA])
            let pair = try #require(a.ice.pairs.first)
            #expect(a.ice.pairs.count == 1)
            #expect(a.ice.remoteCandidates[pair.remoteIndex].address == remoteA)
            let check = try #require(sends(a.fire(t0 + ms(5)), .bindingRequest).first)
            #expect(check.to == remoteA)
        }

        @Test func closeStopsAllOutput() {
            let a = Agent.ready()
            a.add(remoteCandidate(remoteA), t0)
            #expect(a.ice.nextDeadline != nil)
            a.ice.close()
            #expect(a.ice.state == .closed)
            #expect(a.ice.nextDeadline == nil)
            #expect(a.fire(t0).isEmpty)
            #expect(a.fire(ms(60_000)).isEmpty)
            #expect(a.receive(incomingCheck(tx: 3, controlling: false, tieBreaker: 1), from: remoteB, t0).isEmpty)
            #expect(!a.add(remoteCandidate(remoteC), t0))
            var out: [ICEOutput] = []
            a.ice.setRemoteCredentials(ufrag: "new", pwd: "x", now: t0, into: &out)
            #expect(out.isEmpty)
        }
    }

    @Suite("role conflicts (RFC 8445 §7.3.1.1, §7.2.5.1)")
    struct RoleConflicts {
        @Test(arguments: [UInt64(50), 100])
        func controllingAgentWithTheLargerOrEqualTieBreakerAnswers487(theirs: UInt64) throws {
            let a = Agent.ready(role: .controlling, tieBreaker: 100)
            a.add(remoteCandidate(remoteA, .srflx), t0)
            let out = a.receive(incomingCheck(tx: 41, controlling: true, tieBreaker: theirs), from: remoteA, t0)
            let error = try #require(sends(out, .bindingError).first)
            #expect(error.to == remoteA)
            #expect(error.m.transactionID == 41)
            #expect(error.m.errorCode == 487)
            #expect(sends(out, .bindingSuccess).isEmpty)
            #expect(a.ice.role == .controlling)
        }

        @Test func controllingAgentWithTheSmallerTieBreakerBecomesControlledAndAnswers() throws {
            let a = Agent.ready(role: .controlling, tieBreaker: 100)
            a.add(remoteCandidate(remoteA, .srflx), t0)
            let out = a.receive(incomingCheck(tx: 41, controlling: true, tieBreaker: 200), from: remoteA, t0)
            #expect(sends(out, .bindingError).isEmpty)
            #expect(sends(out, .bindingSuccess).map(\.m.transactionID) == [41])
            #expect(a.ice.role == .controlled)
            // Pair priorities are recomputed for the new role (G is now the remote candidate).
            #expect(a.ice.pairs[0].priority == CandidatePair.priority(controlling: srflxPriority, controlled: hostPriority))
            let check = try #require(sends(a.fire(t0), .bindingRequest).first)
            #expect(!check.m.controlling)
        }

        @Test(arguments: [UInt64(50), 100])
        func controlledAgentWithTheLargerOrEqualTieBreakerBecomesControlling(theirs: UInt64) throws {
            let a = Agent.ready(role: .controlled, tieBreaker: 100)
            a.add(remoteCandidate(remoteA, .srflx), t0)
            let out = a.receive(incomingCheck(tx: 42, controlling: false, tieBreaker: theirs), from: remoteA, t0)
            #expect(sends(out, .bindingError).isEmpty)
            #expect(sends(out, .bindingSuccess).map(\.m.transactionID) == [42])
            #expect(a.ice.role == .controlling)
            #expect(a.ice.pairs[0].priority == CandidatePair.priority(controlling: hostPriority, controlled: srflxPriority))
        }

        @Test func controlledAgentWithTheSmallerTieBreakerAnswers487() throws {
            let a = Agent.ready(role: .controlled, tieBreaker: 100)
            a.add(remoteCandidate(remoteA), t0)
            let out = a.receive(incomingCheck(tx: 43, controlling: false, tieBreaker: 200), from: remoteA, t0)
            let error = try #require(sends(out, .bindingError).first)
            #expect(error.m.errorCode == 487)
            #expect(error.m.transactionID == 43)
            #expect(sends(out, .bindingSuccess).isEmpty)
            #expect(a.ice.role == .controlled)
        }

        @Test func aCheckWithTheOppositeRoleIsNoConflict() {
            let a = Agent.ready(role: .controlling, tieBreaker: 100)
            a.add(remoteCandidate(remoteA), t0)
            let out = a.receive(incomingCheck(tx: 44, controlling: false, tieBreaker: 999), from: remoteA, t0)
            #expect(sends(out, .bindingSuccess).count == 1)
            #expect(a.ice.role == .controlling)
        }

        @Test func a487ResponseSwitchesRoleAndRetriesWithTheNewRole() throws {
            let a = Agent.ready(role: .controlling, tieBreaker: 100)
            a.add(remoteCandidate(remoteA, .srflx), t0)
            let check = try #require(sends(a.fire(t0), .bindingRequest).first)
            #expect(check.m.controlling)
            _ = a.receive(STUNMessage(kind: .bindingError, transactionID: check.m.transactionID, errorCode: 487), from: remoteA, t0 + ms(20))
            #expect(a.ice.role == .controlled)
            #expect(a.ice.pairs[0].priority == CandidatePair.priority(controlling: srflxPriority, controlled: hostPriority))
            let retry = try #require(sends(a.fire(t0 + defaults.weakPingInterval), .bindingRequest).first)
            #expect(retry.to == remoteA)
            #expect(!retry.m.controlling)
        }

        @Test
        func a487ForACheckSentWithTheOldRoleDoesNotSwitchBack() throws {
            let a = Agent.ready(role: .controlling, tieBreaker: 100)
            a.add(remoteCandidate(remoteA), t0)
            let first = try #require(sends(a.fire(t0), .bindingRequest).first)
            let second = try #require(sends(a.fire(t0 + defaults.weakPingInterval), .bindingRequest).first)
            #expect(first.m.controlling && second.m.controlling)
            _ = a.receive(STUNMessage(kind: .bindingError, transactionID: first.m.transactionID, errorCode: 487), from: remoteA, t0 + ms(60))
            _ = a.receive(STUNMessage(kind: .bindingError, transactionID: second.m.transactionID, errorCode: 487), from: remoteA, t0 + ms(70))
            // Both checks carried ICE-CONTROLLING: the agent must end up controlled.
            #expect(a.ice.role == .controlled)
        }
    }

    @Suite("pacing, keep-alive and liveness")
    struct Liveness {
        @Test func checksAreNoCloserThanTheWeakPingIntervalWhileNothingIsSelected() {
            // Later gathering phases out of the way, so that the next deadline is the next check.
            var config = ICEConfiguration()
            config.gatheringStepDelay = ms(10_000)
            let a = Agent.ready(config: config)
            a.add(remoteCandidate(remoteA), t0)
            a.add(remoteCandidate(remoteB), t0)
            a.add(remoteCandidate(remoteC), t0)
            #expect(sends(a.fire(t0), .bindingRequest).count == 1)
            #expect(a.ice.nextDeadline == t0 + defaults.weakPingInterval)
            #expect(sends(a.fire(t0 + defaults.weakPingInterval - 1), .bindingRequest).isEmpty)
            #expect(sends(a.fire(t0 + defaults.weakPingInterval), .bindingRequest).count == 1)
            #expect(sends(a.fire(t0 + defaults.weakPingInterval + ms(20)), .bindingRequest).isEmpty)
            #expect(sends(a.fire(t0 + 2 * defaults.weakPingInterval), .bindingRequest).count == 1)
        }

        @Test func otherPairsSlowToTheStrongPingIntervalOnceAPairIsSelected() throws {
            let a = Agent.ready()
            a.add(remoteCandidate(remoteA, .host), t0)
            a.add(remoteCandidate(remoteB, .srflx), t0)
            let checkA = try #require(sends(a.fire(t0), .bindingRequest).first)
            let lastOrdinary = t0 + defaults.weakPingInterval
            #expect(sends(a.fire(lastOrdinary), .bindingRequest).first?.to == remoteB)
            _ = a.answer(checkA.m, from: remoteA, t0 + ms(60))
            #expect(a.ice.selectedPairIndex != nil)
            #expect(a.ice.nextDeadline == lastOrdinary + defaults.strongPingInterval)
            #expect(sends(a.fire(lastOrdinary + defaults.strongPingInterval - 1), .bindingRequest).isEmpty)
            #expect(sends(a.fire(lastOrdinary + defaults.strongPingInterval), .bindingRequest).map(\.to) == [remoteB])
        }

        @Test func theSelectedPairIsPingedEveryStablePingIntervalWhileItAnswers() throws {
            let (a, lastPing) = try connectedControlling()
            var times: [Int64] = []
            for _ in 0..<3 {
                let due = try #require(a.ice.nextDeadline)
                #expect(sends(a.fire(due - 1), .bindingRequest).isEmpty)
                let ping = try #require(sends(a.fire(due), .bindingRequest).first)
                #expect(ping.to == remoteA)
                times.append(due)
                _ = a.answer(ping.m, from: remoteA, due + ms(10))
            }
            let stable = defaults.stablePingInterval
            #expect(times == [lastPing + stable, lastPing + 2 * stable, lastPing + 3 * stable])
            #expect(a.ice.state == .connected)
        }

        @Test func aSelectedPairThatStopsReceivingIsPingedAtTheWeakOrStabilizingInterval() throws {
            let (a, lastPing) = try connectedControlling()
            let log = a.runSilently(from: lastPing, until: lastPing + ms(6_000))
            let pingTimes = log.flatMap { step in sends(step.out, .bindingRequest).map { _ in step.time } }
            // The first keep-alive still comes after stablePingInterval (the pair was receiving).
            #expect(pingTimes.first == lastPing + defaults.stablePingInterval)
            // The last response was 10 ms after lastPing: from lastPing + 10 ms + 2.5 s the pair is
            // not receiving, and pings come every 900 ms.
            let intervals = zip(pingTimes.dropFirst(), pingTimes).map { $0 - $1 }
            #expect(intervals.count >= 3)
            #expect(intervals.allSatisfy { $0 == defaults.weakOrStabilizingPingInterval })
        }

        @Test func unansweredPingsMakeThePairUnwritableAndTheStateDisconnected() throws {
            let (a, lastPing) = try connectedControlling()
            let log = a.runSilently(from: lastPing, until: lastPing + ms(12_000))
            let disconnectedAt = try #require(log.first { stateChanges($0.out).contains(.disconnected) }?.time)
            let pingTimes = log.flatMap { step in sends(step.out, .bindingRequest).map { _ in step.time } }
            let first = a.ice.pairs[0].firstUnansweredAt
            #expect(first == pingTimes.first)
            let fifth = pingTimes[defaults.unwritableMinChecks - 1]
            // Both conditions: at least 5 unanswered pings and more than 5 s since the first; the
            // state moves at the first moment both hold.
            #expect(disconnectedAt == max(fifth, first + defaults.unwritableTimeout + 1))
            #expect(disconnectedAt - first > defaults.unwritableTimeout)
            #expect(log.filter { $0.time < disconnectedAt }.allSatisfy { stateChanges($0.out).isEmpty })
            #expect(!a.ice.pairs[0].writable)
            #expect(a.ice.state == .disconnected)
        }

        @Test func fiveUnansweredPingsAloneDoNotMakeThePairUnwritable() throws {
            var config = ICEConfiguration()
            config.stablePingInterval = ms(100)
            config.weakOrStabilizingPingInterval = ms(100)
            let (a, lastPing) = try connectedControlling(config: config)
            _ = a.runSilently(from: lastPing, until: lastPing + ms(1_000))
            #expect(a.ice.pairs[0].unansweredPings >= config.unwritableMinChecks)
            #expect(a.ice.pairs[0].writable)
            let first = a.ice.pairs[0].firstUnansweredAt
            let upToTimeout = a.runSilently(from: lastPing + ms(1_000), until: first + config.unwritableTimeout)
            #expect(upToTimeout.allSatisfy { stateChanges($0.out).isEmpty })
            #expect(a.ice.state == .connected)
            let after = a.runSilently(from: first + config.unwritableTimeout, until: first + config.unwritableTimeout + ms(1))
            #expect(after.flatMap { stateChanges($0.out) } == [.disconnected])
        }

        @Test func timeAloneWithFewerThanFivePingsDoesNotMakeThePairUnwritable() throws {
            var config = ICEConfiguration()
            config.stablePingInterval = ms(4_000)
            config.weakOrStabilizingPingInterval = ms(4_000)
            let (a, lastPing) = try connectedControlling(config: config)
            _ = a.runSilently(from: lastPing, until: lastPing + ms(5_000))
            let first = a.ice.pairs[0].firstUnansweredAt
            let log = a.runSilently(from: lastPing + ms(5_000), until: first + ms(14_900))
            #expect(a.ice.pairs[0].unansweredPings < config.unwritableMinChecks)
            #expect(a.ice.pairs[0].writable)
            #expect(log.allSatisfy { stateChanges($0.out).isEmpty })
            #expect(a.ice.state == .connected)
        }

        @Test func aPairSilentForTheInactiveTimeoutIsDeadAndTheStateFailed() throws {
            let (a, lastPing) = try connectedControlling()
            let log = a.runSilently(from: lastPing, until: lastPing + ms(30_000))
            let first = a.ice.pairs[0].firstUnansweredAt
            let changes = log.flatMap { step in stateChanges(step.out).map { (step.time, $0) } }
            #expect(changes.map(\.1) == [.disconnected, .failed])
            let failedAt = try #require(changes.last?.0)
            #expect(failedAt > first + defaults.inactiveTimeout)
            #expect(failedAt <= first + defaults.inactiveTimeout + ms(1))
            #expect(a.ice.pairs[0].state == .failed)
            #expect(a.ice.state == .failed)
            // Nothing more to do for a dead transport.
            #expect(a.ice.nextDeadline == nil)
        }

        @Test func aResponseAfterUnwritabilityRestoresConnected() throws {
            let (a, lastPing) = try connectedControlling()
            let log = a.runSilently(from: lastPing, until: lastPing + ms(9_000))
            #expect(a.ice.state == .disconnected)
            let last = try #require(log.last { !sends($0.out, .bindingRequest).isEmpty })
            let ping = try #require(sends(last.out, .bindingRequest).last)
            let out = a.answer(ping.m, from: remoteA, lastPing + ms(9_001))
            #expect(stateChanges(out) == [.connected])
            #expect(a.ice.pairs[0].writable)
            #expect(a.ice.pairs[0].unansweredPings == 0)
        }
    }
}
