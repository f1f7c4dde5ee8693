import Testing
@testable import MeshSimKit
@testable import SignalProtocol

/// The network's routing through NATs, LANs and firewalls, one mechanism at a time.
@Suite struct NetworkTests {
    static func ping(tx: UInt64 = 1) -> PeerPacket { .stun(STUNMessage(kind: .bindingRequest, transactionID: tx)) }

    /// Send from a host and deliver at once, returning where it went.
    static func deliver(_ net: inout Network, _ d: Datagram, from host: Int32?, rng: inout SimRandom, now: Int64 = 0) -> Arrival? {
        switch net.send(d, fromHost: host, now: now, rng: &rng) {
        case .success(let (slot, _)): return net.arrive(slot, now: now)
        case .failure: return nil
        }
    }

    static func dropReason(_ net: inout Network, _ d: Datagram, from host: Int32?, rng: inout SimRandom) -> DropReason? {
        switch net.send(d, fromHost: host, now: 0, rng: &rng) {
        case .success(let (slot, _)):
            if case .dropped(let r, _) = net.arrive(slot, now: 0) { return r }
            return nil
        case .failure(let f): return f.reason
        }
    }

    @Test func aNATDropsAnUnsolicitedDatagramAndAdmitsAnAnswerToItsOwn() throws {
        var net = Network(settings: NetworkSettings())
        var rng = SimRandom(seed: 1)
        let inside = net.addHost(latency: nil, nat: .portRestrictedCone)
        let outside = net.addHost(latency: nil)
        let insideAddr = TransportAddress(ip: net.hosts[Int(inside)].ip, port: 5000)
        let outsideAddr = TransportAddress(ip: net.hosts[Int(outside)].ip, port: 6000)
        #expect(Network.isPrivate(insideAddr.ip) && !Network.isPrivate(outsideAddr.ip))
        // Out through the NAT: the far side sees the NAT's public address.
        guard case let (h, seen)? = (try #require(Self.deliver(&net, Datagram(from: insideAddr, to: outsideAddr, packet: Self.ping()), from: inside, rng: &rng))).toHost else {
            Issue.record("not delivered"); return
        }
        #expect(h == outside && seen.from.ip == net.nats[0].publicIP)
        // The answer from where it went gets in, to the private address.
        guard case let (back, inbound)? = (try #require(Self.deliver(&net, Datagram(from: outsideAddr, to: seen.from, packet: Self.ping()), from: outside, rng: &rng))).toHost else {
            Issue.record("answer not delivered"); return
        }
        #expect(back == inside && inbound.to == insideAddr)
        // The same host from another port is filtered (address-and-port-dependent filtering).
        let otherPort = TransportAddress(ip: outsideAddr.ip, port: 6001)
        #expect(Self.dropReason(&net, Datagram(from: otherPort, to: seen.from, packet: Self.ping()), from: outside, rng: &rng) == .filtered(nat: 0))
        // An unused port of the NAT has no mapping.
        let unused = TransportAddress(ip: seen.from.ip, port: seen.from.port == 1024 ? 1025 : 1024)
        #expect(Self.dropReason(&net, Datagram(from: outsideAddr, to: unused, packet: Self.ping()), from: outside, rng: &rng) == .noMapping(nat: 0))
    }

    @Test func aMappingExpiresWhenIdleAndTheAnswerThenFindsNoMapping() throws {
        var settings = NetworkSettings()
        settings.latency = 0
        var net = Network(settings: settings)
        var rng = SimRandom(seed: 2)
        let inside = net.addHost(latency: nil, nat: NATSpec(mapping: .endpointIndependent, filtering: .endpointIndependent, mappingLifetime: 10 * nsPerSecond))
        let outside = net.addHost(latency: nil)
        let a = TransportAddress(ip: net.hosts[Int(inside)].ip, port: 5000)
        let b = TransportAddress(ip: net.hosts[Int(outside)].ip, port: 6000)
        guard case let (_, seen)? = (try #require(Self.deliver(&net, Datagram(from: a, to: b, packet: Self.ping()), from: inside, rng: &rng))).toHost else { return }
        let late = Datagram(from: b, to: seen.from, packet: Self.ping())
        guard case .success(let (slot, _)) = net.send(late, fromHost: outside, now: 10 * nsPerSecond, rng: &rng) else { return }
        guard case .dropped(let reason, _) = net.arrive(slot, now: 10 * nsPerSecond) else {
            Issue.record("an answer after the mapping lifetime got in"); return
        }
        #expect(reason == .noMapping(nat: 0))
    }

    @Test func privateAddressesRouteOnlyInsideTheirLAN() throws {
        var net = Network(settings: NetworkSettings())
        var rng = SimRandom(seed: 3)
        let a = net.addHost(latency: nil, nat: .symmetric, lan: "office")
        let b = net.addHost(latency: nil, nat: .symmetric, lan: "office")
        let c = net.addHost(latency: nil, nat: .fullCone)
        #expect(net.hosts[Int(a)].nat == net.hosts[Int(b)].nat, "one NAT for the LAN")
        let addr = { (h: Int32) in TransportAddress(ip: net.hosts[Int(h)].ip, port: 5000) }
        guard case let (h, d)? = (try #require(Self.deliver(&net, Datagram(from: addr(a), to: addr(b), packet: Self.ping()), from: a, rng: &rng))).toHost else { return }
        #expect(h == b && d.from == addr(a), "inside the LAN nothing is translated")
        #expect(Self.dropReason(&net, Datagram(from: addr(c), to: addr(a), packet: Self.ping()), from: c, rng: &rng) == .unroutable)
    }

    @Test func aHairpinningNATTurnsTrafficToItsOwnPublicAddressBack() throws {
        var net = Network(settings: NetworkSettings())
        var rng = SimRandom(seed: 4)
        let a = net.addHost(latency: nil, nat: .fullCone, lan: "home")
        let b = net.addHost(latency: nil, nat: .fullCone, lan: "home")
        let addr = { (h: Int32) in TransportAddress(ip: net.hosts[Int(h)].ip, port: 5000) }
        // b's mapping towards the outside (its srflx), then a sends to it.
        let stun = Network.stunServer
        guard case .success = net.send(Datagram(from: addr(b), to: stun, packet: Self.ping()), fromHost: b, now: 0, rng: &rng) else { return }
        let bSrflx = try #require(net.nats[0].existingExternal(from: addr(b), to: stun, now: 0))
        guard case .success(let (slot, at)) = net.send(Datagram(from: addr(a), to: bSrflx, packet: Self.ping()), fromHost: a, now: 0, rng: &rng) else {
            Issue.record("hairpin dropped at send"); return
        }
        #expect(at == Network.lanLatency)
        guard case let (h, d)? = (net.arrive(slot, now: at)).toHost else { Issue.record("hairpin not delivered"); return }
        #expect(h == b && d.from.ip == net.nats[0].publicIP, "the source is the external address (RFC 4787 REQ-9)")
    }

    @Test func aUDPBlockingFirewallStopsUDPButNotTURNOverTCP() throws {
        var net = Network(settings: NetworkSettings())
        var rng = SimRandom(seed: 5)
        let corp = net.addHost(latency: nil, nat: .symmetric, udp: false)
        let addr = TransportAddress(ip: net.hosts[Int(corp)].ip, port: 5000)
        #expect(Self.dropReason(&net, Datagram(from: addr, to: Network.turnServer, packet: Self.ping()), from: corp, rng: &rng) == .firewall)
        let allocate = PeerPacket.turn(.allocateRequest(transactionID: 1, lifetime: 0))
        guard case .turnServer(let d) = try #require(Self.deliver(&net, Datagram(from: addr, to: Network.turnServer, packet: allocate, tcp: true), from: corp, rng: &rng)) else {
            Issue.record("TCP to the TURN server did not arrive"); return
        }
        // The answer comes back on the same TCP connection, whatever the NAT's filter.
        let answer = Datagram(from: Network.turnServer, to: d.from, packet: allocate, tcp: true)
        guard case let (h, back)? = (try #require(Self.deliver(&net, answer, from: nil, rng: &rng))).toHost else {
            Issue.record("TCP answer did not get in"); return
        }
        #expect(h == corp && back.to == addr)
    }
}

extension Arrival {
    /// The host and datagram of an arrival at a host (nil for the servers and drops).
    var toHost: (Int32, Datagram)? {
        if case .host(let delivery) = self { return (delivery.host, delivery.datagram) }
        return nil
    }
}
