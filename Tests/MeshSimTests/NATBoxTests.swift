import Testing
import SignalProtocol
@testable import MeshSimKit

private let sec: Int64 = 1_000_000_000

private func ip(_ s: String) -> UInt32 { TransportAddress.parseIP(s[...])! }
private func addr(_ s: String) -> TransportAddress { TransportAddress.parse(s)! }

private let natIP = ip("203.0.113.1")
private let host = addr("192.168.1.10:5000")
private let host2 = addr("192.168.1.11:5000")
private let remote = addr("198.51.100.7:3478")          // the peer the host talks to
private let remoteOtherPort = addr("198.51.100.7:4000")   // same IP, other port
private let otherIP = addr("198.51.100.99:3478")          // other IP, same port

private func box(_ mapping: NATBehaviour, _ filtering: NATBehaviour,
                 lifetime: Int64 = 120 * 1_000_000_000) -> NATBox {
    NATBox(spec: NATSpec(mapping: mapping, filtering: filtering), publicIP: natIP, mappingLifetime: lifetime)
}

@Suite struct NATBoxTests {
    // MARK: Mapping

    @Test(arguments: NATBehaviour.allCases)
    func mappingBehaviour(_ mapping: NATBehaviour) {
        var nat = box(mapping, .endpointIndependent)
        var rng = SimRandom(seed: 1)
        let e1 = nat.outbound(from: host, to: remote, now: 0, rng: &rng)
        let again = nat.outbound(from: host, to: remote, now: sec, rng: &rng)
        let samePortOtherIP = nat.outbound(from: host, to: otherIP, now: 2 * sec, rng: &rng)
        let sameIPOtherPort = nat.outbound(from: host, to: remoteOtherPort, now: 3 * sec, rng: &rng)
        #expect(e1.ip == natIP)
        #expect((1024...65535).contains(Int(e1.port)))
        #expect(again == e1, "the same destination always reuses the mapping")
        switch mapping {
        case .endpointIndependent:
            #expect(samePortOtherIP == e1)
            #expect(sameIPOtherPort == e1)
        case .addressDependent:
            #expect(samePortOtherIP != e1)
            #expect(sameIPOtherPort == e1)
        case .addressAndPortDependent:
            #expect(samePortOtherIP != e1)
            #expect(sameIPOtherPort != e1)
            #expect(sameIPOtherPort != samePortOtherIP)
        }
        #expect(nat.mappingsCreated == [1, 2, 3][NATBehaviour.allCases.firstIndex(of: mapping)!])
    }

    @Test(arguments: NATBehaviour.allCases)
    func distinctInternalSourcesGetDistinctPorts(_ mapping: NATBehaviour) {
        var nat = box(mapping, .endpointIndependent)
        var rng = SimRandom(seed: 2)
        let a = nat.outbound(from: host, to: remote, now: 0, rng: &rng)
        let b = nat.outbound(from: host2, to: remote, now: 0, rng: &rng)
        let c = nat.outbound(from: TransportAddress(ip: host.ip, port: 5001), to: remote, now: 0, rng: &rng)
        #expect(Set([a.port, b.port, c.port]).count == 3)
        #expect(nat.inbound(to: a, from: remote, now: 1) == host)
        #expect(nat.inbound(to: b, from: remote, now: 1) == host2)
        #expect(nat.inbound(to: c, from: remote, now: 1) == TransportAddress(ip: host.ip, port: 5001))
    }

    // MARK: Filtering

    @Test(arguments: NATBehaviour.allCases, NATBehaviour.allCases)
    func filteringBehaviour(_ mapping: NATBehaviour, _ filtering: NATBehaviour) {
        var nat = box(mapping, filtering)
        var rng = SimRandom(seed: 3)
        let e = nat.outbound(from: host, to: remote, now: 0, rng: &rng)
        let fromContacted = nat.inbound(to: e, from: remote, now: sec)
        let fromSameIPOtherPort = nat.inbound(to: e, from: remoteOtherPort, now: sec)
        let fromOtherIP = nat.inbound(to: e, from: otherIP, now: sec)
        #expect(fromContacted == host, "the contacted ip:port is always admitted")
        switch filtering {
        case .endpointIndependent:
            #expect(fromSameIPOtherPort == host)
            #expect(fromOtherIP == host)
            #expect(nat.droppedByFiltering == 0)
        case .addressDependent:
            #expect(fromSameIPOtherPort == host)
            #expect(fromOtherIP == nil)
            #expect(nat.droppedByFiltering == 1)
        case .addressAndPortDependent:
            #expect(fromSameIPOtherPort == nil)
            #expect(fromOtherIP == nil)
            #expect(nat.droppedByFiltering == 2)
        }
        #expect(nat.droppedNoMapping == 0)
    }

    @Test(arguments: NATBehaviour.allCases)
    func filterIsPerMapping(_ filtering: NATBehaviour) {
        // Under APD mapping, what one mapping contacted does not open another mapping.
        var nat = box(.addressAndPortDependent, filtering)
        var rng = SimRandom(seed: 4)
        let toRemote = nat.outbound(from: host, to: remote, now: 0, rng: &rng)
        let toOther = nat.outbound(from: host, to: otherIP, now: 0, rng: &rng)
        #expect(nat.inbound(to: toOther, from: otherIP, now: 1) == host)
        let crossed = nat.inbound(to: toOther, from: remote, now: 1)
        #expect((crossed != nil) == (filtering == .endpointIndependent))
        #expect(nat.inbound(to: toRemote, from: remote, now: 1) == host)
    }

    @Test(arguments: NATBehaviour.allCases, NATBehaviour.allCases)
    func unsolicitedInboundIsDropped(_ mapping: NATBehaviour, _ filtering: NATBehaviour) {
        var nat = box(mapping, filtering)
        var rng = SimRandom(seed: 5)
        // Nothing has gone out yet: no port is mapped.
        #expect(nat.inbound(to: TransportAddress(ip: natIP, port: 40000), from: remote, now: 0) == nil)
        let e = nat.outbound(from: host, to: remote, now: 0, rng: &rng)
        // A port nobody holds, and the right port on another public IP.
        let unmapped = TransportAddress(ip: natIP, port: e.port == 65535 ? 1024 : e.port + 1)
        #expect(nat.inbound(to: unmapped, from: remote, now: 1) == nil)
        #expect(nat.inbound(to: TransportAddress(ip: natIP + 1, port: e.port), from: remote, now: 1) == nil)
        #expect(nat.droppedNoMapping == 3)
        #expect(nat.droppedByFiltering == 0)
    }

    @Test func classicNames() {
        var rng = SimRandom(seed: 6)
        func probe(_ spec: NATSpec) -> (sameExternal: Bool, otherPort: Bool, otherIP: Bool) {
            var nat = NATBox(spec: spec, publicIP: natIP)
            let e1 = nat.outbound(from: host, to: remote, now: 0, rng: &rng)
            let e2 = nat.outbound(from: host, to: otherIP, now: 0, rng: &rng)
            // Probe a fresh mapping contacted only `remote` (under symmetric, e1's).
            return (e1 == e2,
                    nat.inbound(to: e1, from: remoteOtherPort, now: 1) != nil,
                    nat.inbound(to: e1, from: addr("192.0.2.55:3478"), now: 1) != nil)
        }
        let full = probe(.fullCone)
        #expect(full.sameExternal && full.otherPort && full.otherIP)
        let restricted = probe(.restrictedCone)
        #expect(restricted.sameExternal && restricted.otherPort && !restricted.otherIP)
        let portRestricted = probe(.portRestrictedCone)
        #expect(portRestricted.sameExternal && !portRestricted.otherPort && !portRestricted.otherIP)
        let symmetric = probe(.symmetric)
        #expect(!symmetric.sameExternal && !symmetric.otherPort && !symmetric.otherIP)
    }

    // MARK: Lifetime

    @Test func defaultLifetimeIsTwoMinutes() {
        let nat = NATBox(spec: .fullCone, publicIP: natIP)
        #expect(nat.mappingLifetime == 120 * sec)
    }

    @Test(arguments: NATBehaviour.allCases)
    func expiresAfterIdleLifetime(_ mapping: NATBehaviour) {
        var nat = box(mapping, .endpointIndependent)
        var rng = SimRandom(seed: 7)
        let e = nat.outbound(from: host, to: remote, now: 10 * sec, rng: &rng)
        #expect(nat.inbound(to: e, from: remote, now: 10 * sec + 120 * sec - 1) == host)
        #expect(nat.mapping(external: e, now: 130 * sec - 1) != nil)
        #expect(nat.inbound(to: e, from: remote, now: 130 * sec) == nil)
        #expect(nat.droppedNoMapping == 1)
        #expect(nat.liveMappingCount(now: 130 * sec) == 0)
    }

    @Test func outboundRefreshes() {
        var nat = box(.endpointIndependent, .addressAndPortDependent)
        var rng = SimRandom(seed: 8)
        let e = nat.outbound(from: host, to: remote, now: 0, rng: &rng)
        // Keep-alives every 100 s keep the mapping alive well past 120 s.
        for t in stride(from: Int64(100), through: 500, by: 100) {
            #expect(nat.outbound(from: host, to: remote, now: t * sec, rng: &rng) == e)
        }
        #expect(nat.inbound(to: e, from: remote, now: 619 * sec) == host)
        #expect(nat.inbound(to: e, from: remote, now: 620 * sec) == nil)
        // Traffic to another destination refreshes an endpoint-independent mapping too.
        var nat2 = box(.endpointIndependent, .endpointIndependent)
        let e2 = nat2.outbound(from: host, to: remote, now: 0, rng: &rng)
        #expect(nat2.outbound(from: host, to: otherIP, now: 100 * sec, rng: &rng) == e2)
        #expect(nat2.inbound(to: e2, from: remote, now: 219 * sec) == host)
    }

    @Test func inboundDoesNotRefresh() {
        var nat = box(.endpointIndependent, .endpointIndependent)
        var rng = SimRandom(seed: 9)
        let e = nat.outbound(from: host, to: remote, now: 0, rng: &rng)
        for t in stride(from: Int64(10), through: 110, by: 10) {
            #expect(nat.inbound(to: e, from: remote, now: t * sec) == host)
        }
        #expect(nat.inbound(to: e, from: remote, now: 120 * sec) == nil)
    }

    @Test(arguments: NATBehaviour.allCases)
    func newMappingAfterExpiry(_ filtering: NATBehaviour) {
        var nat = box(.endpointIndependent, filtering)
        var rng = SimRandom(seed: 10)
        let e = nat.outbound(from: host, to: remote, now: 0, rng: &rng)
        let fresh = nat.outbound(from: host, to: otherIP, now: 200 * sec, rng: &rng)
        #expect(nat.mappingsCreated == 2)
        // The old mapping's filter state died with it: under APD/AD filtering `remote` is no
        // longer a contacted endpoint of the fresh mapping.
        let fromOldPeer = nat.inbound(to: fresh, from: remote, now: 200 * sec)
        #expect((fromOldPeer != nil) == (filtering == .endpointIndependent))
        #expect(nat.inbound(to: fresh, from: otherIP, now: 200 * sec) == host)
        if fresh != e {
            #expect(nat.inbound(to: e, from: remote, now: 200 * sec) == nil)
        }
    }

    @Test func expiredPortsAreReused() {
        // A tiny lifetime and many mappings: once the first batch has expired, new mappings
        // land on their ports again, and live ports are never shared.
        var nat = box(.addressAndPortDependent, .addressAndPortDependent, lifetime: sec)
        var rng = SimRandom(seed: 11)
        var firstBatch = Set<UInt16>()
        for i in 0..<30_000 {
            let d = TransportAddress(ip: remote.ip, port: UInt16(1000 + i))
            firstBatch.insert(nat.outbound(from: host, to: d, now: 0, rng: &rng).port)
        }
        #expect(firstBatch.count == 30_000, "live mappings never share a port")
        var secondBatch = Set<UInt16>()
        for i in 0..<30_000 {
            let d = TransportAddress(ip: otherIP.ip, port: UInt16(1000 + i))
            secondBatch.insert(nat.outbound(from: host, to: d, now: 2 * sec, rng: &rng).port)
        }
        #expect(secondBatch.count == 30_000)
        #expect(!firstBatch.isDisjoint(with: secondBatch), "expired ports are handed out again")
        #expect(nat.liveMappingCount(now: 2 * sec) == 30_000)
        nat.purgeExpired(now: 2 * sec)
        #expect(nat.storedMappingCount == 30_000)
    }

    @Test func portExhaustionEvictsLeastRecentlyUsed() {
        var nat = box(.addressAndPortDependent, .endpointIndependent)
        var rng = SimRandom(seed: 12)
        let span = 65535 - 1024 + 1
        var oldest: TransportAddress?
        var ports = Set<UInt16>()
        for i in 0..<span {
            let d = TransportAddress(ip: remote.ip &+ UInt32(i / 60000), port: UInt16(1 + i % 60000))
            let e = nat.outbound(from: host, to: d, now: i == 0 ? 0 : sec, rng: &rng)
            if i == 0 { oldest = e }
            ports.insert(e.port)
        }
        #expect(ports.count == span)
        #expect(nat.mappingsEvicted == 0)
        let e = nat.outbound(from: host, to: otherIP, now: 2 * sec, rng: &rng)
        #expect(e == oldest)
        #expect(nat.mappingsEvicted == 1)
        #expect(nat.inbound(to: e, from: otherIP, now: 2 * sec) == host)
    }

    // MARK: Determinism

    @Test func sameSeedSamePorts() {
        func run(_ seed: UInt64) -> [UInt16] {
            var nat = box(.addressAndPortDependent, .addressAndPortDependent, lifetime: 5 * sec)
            var rng = SimRandom(seed: seed)
            var out: [UInt16] = []
            for i in 0..<200 {
                let d = TransportAddress(ip: remote.ip, port: UInt16(2000 + i % 50))
                out.append(nat.outbound(from: host, to: d, now: Int64(i) * sec / 10, rng: &rng).port)
            }
            return out
        }
        #expect(run(42) == run(42))
        #expect(run(42) != run(43))
    }

    // MARK: Hairpinning

    @Test(arguments: NATBehaviour.allCases, NATBehaviour.allCases)
    func hairpinning(_ mapping: NATBehaviour, _ filtering: NATBehaviour) {
        // Two hosts behind the same NAT reach each other through its public address (REQ-9),
        // the network calling outbound then inbound on the same box.
        var nat = box(mapping, filtering)
        var rng = SimRandom(seed: 13)
        let stun = addr("9.9.9.9:3478")
        let aSrflx = nat.outbound(from: host, to: stun, now: 0, rng: &rng)
        let bSrflx = nat.outbound(from: host2, to: stun, now: 0, rng: &rng)
        // B first sends towards A's srflx (opening its filter towards it), then A to B's srflx.
        let bSource = nat.outbound(from: host2, to: aSrflx, now: 1, rng: &rng)
        let bArrives = nat.inbound(to: aSrflx, from: bSource, now: 1)
        let aSource = nat.outbound(from: host, to: bSrflx, now: 2, rng: &rng)
        #expect(aSource.ip == natIP, "hairpinned packets carry the external source (REQ-9)")
        let aArrives = nat.inbound(to: bSrflx, from: aSource, now: 2)
        if mapping == .endpointIndependent {
            // bSrflx's mapping has sent to aSrflx == aSource: every filter admits A.
            #expect(bSource == bSrflx && aSource == aSrflx)
            #expect(aArrives == host2)
            // B's packet reached A's mapping before A had sent to B: only EIF lets it in.
            #expect((bArrives != nil) == (filtering == .endpointIndependent))
        } else {
            // The srflx mappings only ever sent to the STUN server.
            #expect((aArrives != nil) == (filtering == .endpointIndependent))
            #expect((bArrives != nil) == (filtering == .endpointIndependent))
        }
        if let a = aArrives { #expect(a == host2) }
        if let b = bArrives { #expect(b == host) }
    }

    // MARK: Hole punching, from mechanism only (T8)

    /// Two hosts behind NATs, a STUN server and an ICE-like exchange, with every mapping ×
    /// filtering combination on each side. Checks go to the other side's srflx and to every
    /// peer-reflexive address learned from checks received (triggered checks, RFC 8445
    /// §7.3.1.4); every received check is answered to the source it came from; a check succeeds
    /// when its response comes back from the address the check was sent to (RFC 8445
    /// §7.2.5.2.1, symmetric addresses). The expected outcome is the literature's rule evaluated
    /// on the behaviours (never a table of NAT types), plus the one family of cases the
    /// mechanism rescues beyond it (`HolePunch.addressDependentRescue`).
    @Test func holePunchingFollowsFromMechanism() {
        let specs = NATBehaviour.allCases.flatMap { m in NATBehaviour.allCases.map { f in NATSpec(mapping: m, filtering: f) } }
        #expect(specs.count == 9)
        var mismatches: [String] = []
        var connected = 0, rescued = 0
        for a in specs {
            for b in specs {
                let literature = HolePunch.literatureRule(a, b)
                let rescue = HolePunch.addressDependentRescue(a, b)
                // The rescue only ever widens the rule, never contradicts it.
                #expect(!(literature && rescue))
                let expected = literature || rescue
                for aFirst in [true, false] {
                    var sim = HolePunch(a: a, b: b, seed: 99)
                    let got = sim.run(rounds: 10, aFirst: aFirst)
                    if got != expected {
                        mismatches.append("A=\(a.displayName) B=\(b.displayName) aFirst=\(aFirst): got \(got), expected \(expected)")
                    }
                }
                if literature { connected += 1 }
                if rescue { rescued += 1 }
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.joined(separator: "\n"))")
        // 81 ordered pairs: 6 of the 9 specs have endpoint-dependent mapping (EDM), so 36 pairs
        // have it on both sides; 2 × 6 pairs put an EDM side against an EIM side with APD
        // filtering. 81 - 36 - 12 = 33 connect by the literature's rule.
        #expect(connected == 33)
        // Both-EDM pairs the mechanism connects anyway: {ADM/EIF, ADM/EIF} once, and
        // {ADM/EIF, ADM/ADF}, {ADM/EIF, APDM/EIF}, {ADM/EIF, APDM/ADF}, {ADM/ADF, APDM/EIF} in
        // both orders: 9. None involves a classic NAT type (symmetric is APDM/APDF).
        #expect(rescued == 9)
        for n in NATSpec.named {
            for m in NATSpec.named { #expect(!HolePunch.addressDependentRescue(n.spec, m.spec)) }
        }
    }

    /// One rescued case step by step: both sides address-dependent mapping, endpoint-independent
    /// filtering. The first crossing checks are answered from the wrong port (no success), but
    /// they teach each side the port the other uses towards it, and the triggered checks to
    /// those peer-reflexive addresses succeed.
    @Test func addressDependentMappingRescueStepByStep() {
        let spec = NATSpec(mapping: .addressDependent, filtering: .endpointIndependent)
        var sim = HolePunch(a: spec, b: spec, seed: 5)
        let afterOneRound = sim.run(rounds: 1, aFirst: true)
        #expect(!afterOneRound)
        #expect(sim.remotes[0].count == 2 && sim.remotes[1].count == 2, "each side learned one prflx")
        let afterTwoRounds = sim.run(rounds: 1, aFirst: true, resume: true)
        #expect(afterTwoRounds)
        // Each side's prflx of the other is the port that side's mapping uses towards its IP.
        #expect(sim.remotes[0][1] == sim.nats[1].existingExternal(
            from: sim.privates[1], to: TransportAddress(ip: sim.nats[0].publicIP, port: 1), now: sim.now))
    }

    @Test func classicTableT8() {
        let names = NATSpec.named
        // Rows/columns in T8 order: full, restricted, port-restricted, symmetric.
        let table: [[Bool]] = [
            [true, true, true, true],
            [true, true, true, true],
            [true, true, true, false],
            [true, true, false, false],
        ]
        for (i, a) in names.enumerated() {
            for (j, b) in names.enumerated() {
                var sim = HolePunch(a: a.spec, b: b.spec, seed: 7)
                #expect(sim.run(rounds: 10, aFirst: true) == table[i][j], "\(a.name) ↔ \(b.name)")
            }
        }
    }
}

/// The hole-punching harness: two hosts behind their own NAT boxes, a STUN server, instant
/// delivery, rounds of simultaneous checks.
struct HolePunch {
    enum Kind { case check, response }
    struct Packet {
        var from: TransportAddress   // external (post-NAT) source
        var to: TransportAddress
        var kind: Kind
        var sender: Int              // 0 = A, 1 = B
        var checkTarget: TransportAddress  // for responses: the address the check had been sent to
    }

    static let stun = TransportAddress(ip: 0x0909_0909, port: 3478)
    /// The literature's rule (T8 generalised to mapping × filtering): direct connectivity unless
    /// one side's mapping is endpoint-dependent and the other side filters by address and port,
    /// or both sides' mappings are endpoint-dependent.
    static func literatureRule(_ a: NATSpec, _ b: NATSpec) -> Bool {
        let aEDM = a.mapping != .endpointIndependent
        let bEDM = b.mapping != .endpointIndependent
        if aEDM && b.filtering == .addressAndPortDependent { return false }
        if bEDM && a.filtering == .addressAndPortDependent { return false }
        if aEDM && bEDM { return false }
        return true
    }

    /// Both sides endpoint-dependent, yet connectable by mechanism: one side (Y) filters
    /// endpoint-independently, so the other's (X's) first check reaches Y's srflx mapping and Y
    /// learns the port X uses towards it; Y's triggered check to that port passes X's filter
    /// (endpoint-independent or address-dependent: X's mapping has sent to Y's IP); and at least
    /// one side maps address-dependently, so its port towards the other's IP stays fixed while
    /// the other side's ports change, which ends the chase with a symmetric pair. (With APD
    /// mapping on both sides each answer comes from a fresh port and the chase never ends.)
    static func addressDependentRescue(_ a: NATSpec, _ b: NATSpec) -> Bool {
        guard a.mapping != .endpointIndependent, b.mapping != .endpointIndependent else { return false }
        guard a.mapping == .addressDependent || b.mapping == .addressDependent else { return false }
        func opens(_ y: NATSpec, _ x: NATSpec) -> Bool {
            y.filtering == .endpointIndependent && x.filtering != .addressAndPortDependent
        }
        return opens(a, b) || opens(b, a)
    }

    var nats: [NATBox]
    let privates = [TransportAddress(ip: 0x0A00_0002, port: 5000), TransportAddress(ip: 0x0A00_0102, port: 6000)]
    var rng: SimRandom
    var now: Int64 = 0
    /// Remote candidates per side, in the order learned.
    var remotes: [[TransportAddress]] = [[], []]
    /// Whether a side has had a check answered from the address it was sent to.
    var succeeded: [Bool] = [false, false]

    init(a: NATSpec, b: NATSpec, seed: UInt64) {
        nats = [NATBox(spec: a, publicIP: 0x0101_0101), NATBox(spec: b, publicIP: 0x0202_0202)]
        rng = SimRandom(seed: seed)
    }

    /// Which side's NAT owns a public IP.
    func side(owning ip: UInt32) -> Int? { nats.firstIndex { $0.publicIP == ip } }

    mutating func send(_ side: Int, to: TransportAddress, kind: Kind, checkTarget: TransportAddress,
                       queue: inout [Packet]) {
        let ext = nats[side].outbound(from: privates[side], to: to, now: now, rng: &rng)
        queue.append(Packet(from: ext, to: to, kind: kind, sender: side, checkTarget: checkTarget))
    }

    mutating func run(rounds: Int, aFirst: Bool, resume: Bool = false) -> Bool {
        if !resume {
            // STUN: each side learns its server-reflexive address; the answer must get back in.
            var srflx: [TransportAddress] = []
            for s in 0..<2 {
                let ext = nats[s].outbound(from: privates[s], to: HolePunch.stun, now: now, rng: &rng)
                #expect(nats[s].inbound(to: ext, from: HolePunch.stun, now: now) == privates[s])
                srflx.append(ext)
            }
            // Trickle: each side gets the other's srflx.
            remotes = [[srflx[1]], [srflx[0]]]
        }
        let order = aFirst ? [0, 1] : [1, 0]
        for _ in 0..<rounds {
            now += 50_000_000
            var queue: [Packet] = []
            for s in order {
                for r in remotes[s] {
                    send(s, to: r, kind: .check, checkTarget: r, queue: &queue)
                }
            }
            var i = 0
            while i < queue.count {
                let p = queue[i]
                i += 1
                guard let dest = side(owning: p.to.ip), dest != p.sender,
                      let inside = nats[dest].inbound(to: p.to, from: p.from, now: now) else { continue }
                #expect(inside == privates[dest])
                switch p.kind {
                case .check:
                    // Peer-reflexive learning, then the response to the source seen.
                    if !remotes[dest].contains(p.from) { remotes[dest].append(p.from) }
                    send(dest, to: p.from, kind: .response, checkTarget: p.to, queue: &queue)
                case .response:
                    // Valid only if it came from where the check went.
                    if p.from == p.checkTarget { succeeded[dest] = true }
                }
            }
            if succeeded[0] || succeeded[1] { return true }
        }
        return false
    }
}
