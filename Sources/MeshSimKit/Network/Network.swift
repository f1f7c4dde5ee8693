import SignalProtocol

/// A UDP datagram (or a TURN-over-TCP message) in flight.
struct Datagram {
    var from: TransportAddress
    var to: TransportAddress
    var packet: PeerPacket
    /// The connection that sent it (-1 for the STUN and TURN servers), to explain drops.
    var sender: Int32 = -1
    /// Carried by the TCP connection of a TURN client to its server: reliable (no loss), and
    /// admitted by NATs and firewalls as part of a connection the client opened.
    var tcp = false
}

/// A host's attachment to the simulated internet.
struct HostLink {
    /// The host's own address: public (no NAT) or private (behind a NAT).
    var ip: UInt32
    /// One-way delay of the access link, ns (-1: the network's current default).
    var latency: Int64
    /// The NAT in front of the host (index into `Network.nats`), or -1 for a public address.
    var nat: Int32 = -1
    /// The local network the host sits on (index into `Network.lans`), or -1.
    var lan: Int32 = -1
    /// `false`: a firewall lets only TCP out (and no UDP in) beyond the LAN.
    var udp = true
    /// `false` while an `offline` event cuts the host off.
    var online = true
    /// When the latest-ending `offline` event on this host ends.
    var offlineUntil: Int64 = .min
    /// Gone for good (`crash`).
    var vanished = false
    /// The host's upload and download queues (indices into `Network.links`), or -1: unlimited.
    var uplink: Int32 = -1
    var downlink: Int32 = -1
}

/// A local network: hosts on it reach each other directly, and share one NAT (or none).
struct LAN {
    /// The scenario's `lan` name; nil for the single host behind its own NAT.
    var name: String?
    /// The NAT all its hosts sit behind, or -1 (public addresses on one segment).
    var nat: Int32
}

/// Why the network dropped a datagram, for counters and stuck-pair diagnosis.
enum DropReason: Equatable {
    case loss
    /// The sender or the destination host is offline or gone.
    case offline
    case partition
    /// Addressed to a private address outside the sender's LAN (RFC 1918 space does not route).
    case unroutable
    /// A `udp: false` firewall at the sender's or the receiver's side.
    case firewall
    /// The destination NAT holds no live mapping on that port (never created, or expired).
    case noMapping(nat: Int32)
    /// The destination NAT's mapping exists but its filter does not admit the source.
    case filtered(nat: Int32)
    /// Dropped by a full access-link queue (`AccessQueue`, drop-tail).
    case queueFull
}

/// Where an arriving datagram goes (`Network.route`); the datagram itself stays with the caller.
enum Route {
    /// A host (after NAT translation, which rewrote the datagram's `to`).
    case host(Int32)
    case stunServer
    case turnServer
    case turnRelay
    case dropped(DropReason)
}

/// Where an arriving datagram goes, with the datagram (`Network.arrive`, for tests).
enum Arrival {
    /// A host (after NAT translation); `datagram.to` is the host's own address.
    case host(HostDelivery)
    case stunServer(Datagram)
    /// The TURN server's listening address (client traffic).
    case turnServer(Datagram)
    /// One of the TURN server's relayed addresses (peer traffic).
    case turnRelay(Datagram)
    case dropped(DropReason, Datagram)
}

/// A datagram that reached a host. A struct, not a tuple payload: copying a tuple holding a
/// `Datagram` went through the runtime's generic tuple value witness (2 % of a 100-peer run).
struct HostDelivery {
    let host: Int32
    var datagram: Datagram
}

/// The network: hosts' access links, NATs and LANs, the STUN and TURN servers, UDP datagrams
/// with delay, jitter and loss, and WebSocket delays towards the signaling server.
///
/// All delays are one-way and additive: a packet from host A to host B takes A's access latency
/// plus B's, plus a jitter draw for each (docs/contract.md, network.latency); inside a LAN (and when a
/// NAT hairpins) it takes `lanLatency` plus one jitter draw. NAT mappings are made when a packet
/// leaves (at send time) and filters judge a packet when it arrives, so hole punching races
/// play out as they do on real links. The network owns the datagrams in flight (a slab indexed
/// by the event that delivers them) and draws loss, jitter and NAT ports from the run's
/// generator in event order, which keeps runs reproducible.
///
/// Addresses: public hosts 198.18.0.1 + host index; hosts behind a NAT 10.0.0.1 + host index
/// (unique across the world for readable traces; whether two hosts share a LAN is the `lan`
/// setting, not the subnet); NAT public addresses 198.19.0.1 + NAT index; STUN 9.9.9.9:3478,
/// TURN 9.9.9.10:3478 with relayed ports from 49152 on 9.9.9.10 and the next
/// `turnRelayAddresses` − 1 addresses.
struct Network {
    var settings: NetworkSettings
    var hosts: [HostLink] = []
    var nats: [NATBox] = []
    var lans: [LAN] = []
    /// LAN index by scenario name (lookup only).
    private var lanByName: [String: Int32] = [:]
    /// Datagrams in flight; events name their slot.
    private var datagrams = Slab<Datagram>()
    /// The most datagrams in flight at once.
    var datagramsHighWater: Int { datagrams.highWater }

    /// The STUN server's public address (`STUNServer`).
    static let stunServer = STUNServer.address
    /// The TURN server's address (RFC 8656 default port 3478, UDP and TCP); its relayed
    /// addresses share the IP.
    static let turnServer = TransportAddress(ip: 0x0909_090A, port: 3478)
    /// Access latency of the STUN and TURN servers, which sit in well-connected data centres.
    static let serverHostLatency: Int64 = 5 * nsPerMs
    /// One-way delay between two hosts of one LAN (or through a hairpinning NAT): a model
    /// choice for a switched home or office network.
    static let lanLatency: Int64 = 1 * nsPerMs
    /// First public address handed to hosts (198.18.0.0/15, the benchmarking range).
    static let firstHostIP: UInt32 = 0xC612_0001
    /// First private address handed to hosts behind NATs (10.0.0.0/8).
    static let firstPrivateIP: UInt32 = 0x0A00_0001
    /// First public address handed to NATs (the upper half of 198.18.0.0/15).
    static let firstNATIP: UInt32 = 0xC613_0001

    /// UDP blocked between two hosts until a time (`partition` events), in the order made.
    var partitions: [(a: Int32, b: Int32, until: Int64)] = []

    func isPartitioned(_ x: Int32, _ y: Int32, now: Int64) -> Bool {
        for p in partitions where p.until > now && ((p.a == x && p.b == y) || (p.a == y && p.b == x)) {
            return true
        }
        return false
    }

    /// Counters for reports.
    var datagramsSent = 0
    var datagramsLost = 0
    /// Datagrams dropped by NAT filters or for want of a mapping, by firewalls, or as unroutable.
    var datagramsBlocked = 0
    /// Datagrams full access-link queues dropped (not in `datagramsLost`).
    var datagramsQueueDropped = 0

    /// The access links that have a capacity (`HostLink.uplink`, `downlink`); empty in most runs,
    /// which then take no step of theirs.
    var links: [AccessQueue] = []
    /// Some host has a `downlink`: only then is a datagram's destination host looked up on send.
    private var hasDownlinks = false

    /// Give a host's access link its capacities (bits per second; nil: unlimited).
    mutating func setCapacity(host: Int32, uplink: Int64?, downlink: Int64?) {
        if let uplink {
            hosts[Int(host)].uplink = Int32(links.count)
            links.append(AccessQueue(capacity: uplink))
        }
        if let downlink {
            hosts[Int(host)].downlink = Int32(links.count)
            links.append(AccessQueue(capacity: downlink))
            hasDownlinks = true
        }
    }

    init(settings: NetworkSettings) {
        self.settings = settings
    }

    /// A new host: on its own, behind its own NAT, or on a named LAN (whose NAT the first member
    /// brings; the loader checks that every member names the same one).
    mutating func addHost(latency: Int64?, nat: NATSpec? = nil, lan: String? = nil, udp: Bool = true) -> Int32 {
        let index = Int32(hosts.count)
        var lanIndex: Int32 = -1
        if let name = lan, let l = lanByName[name] {
            lanIndex = l
        } else if lan != nil || nat != nil {
            var natIndex: Int32 = -1
            if let spec = nat {
                natIndex = Int32(nats.count)
                nats.append(NATBox(spec: spec, publicIP: Network.firstNATIP + UInt32(natIndex),
                                   mappingLifetime: spec.mappingLifetime))
            }
            lanIndex = Int32(lans.count)
            lans.append(LAN(name: lan, nat: natIndex))
            if let name = lan { lanByName[name] = lanIndex }
        }
        let natIndex = lanIndex >= 0 ? lans[Int(lanIndex)].nat : -1
        let ip = natIndex >= 0 ? Network.firstPrivateIP + UInt32(index) : Network.firstHostIP + UInt32(index)
        hosts.append(HostLink(ip: ip, latency: latency ?? -1, nat: natIndex, lan: lanIndex, udp: udp))
        return index
    }

    /// The host owning an address (public, or private behind a NAT), if any.
    func host(at ip: UInt32) -> Int32? {
        if ip >= Network.firstHostIP && ip < Network.firstHostIP &+ UInt32(hosts.count) {
            let i = Int(ip - Network.firstHostIP)
            return hosts[i].nat < 0 ? Int32(i) : nil
        }
        if ip >= Network.firstPrivateIP && ip < Network.firstPrivateIP &+ UInt32(hosts.count) {
            let i = Int(ip - Network.firstPrivateIP)
            return hosts[i].nat >= 0 ? Int32(i) : nil
        }
        return nil
    }

    /// The NAT owning a public address, if any.
    func nat(at ip: UInt32) -> Int32? {
        ip >= Network.firstNATIP && ip < Network.firstNATIP &+ UInt32(nats.count) ? Int32(ip - Network.firstNATIP) : nil
    }

    /// RFC 1918 10/8, the only private space the model hands out.
    static func isPrivate(_ ip: UInt32) -> Bool { ip >> 24 == 10 }

    /// The address the world sees for a host's traffic: its NAT's public IP, or its own.
    func publicIP(of host: Int32) -> UInt32 {
        let n = hosts[Int(host)].nat
        return n >= 0 ? nats[Int(n)].publicIP : hosts[Int(host)].ip
    }

    /// A host's access latency: its own override, else the network's current default.
    func latency(of host: Int32) -> Int64 {
        let l = hosts[Int(host)].latency
        return l >= 0 ? l : settings.latency
    }

    /// One jitter draw: uniform in [0, jitter].
    mutating func jitter(_ rng: inout SimRandom) -> Int64 {
        settings.jitter > 0 ? Int64(rng.next(below: UInt64(settings.jitter) + 1)) : 0
    }

    func isReachable(_ host: Int32) -> Bool {
        let h = hosts[Int(host)]
        return h.online && !h.vanished
    }

    /// The host a public destination leads to now (through a NAT's existing mapping), without
    /// touching any state; for partitions, which block host pairs whatever the addresses.
    private func destinationHost(_ to: TransportAddress, now: Int64) -> Int32? {
        if let h = host(at: to.ip) { return h }
        if let n = nat(at: to.ip), let m = nats[Int(n)].mapping(external: to, now: now) { return host(at: m.privateAddress.ip) }
        return nil
    }

    /// Access latency at the far end: the host's, the network default for a NAT that has no
    /// mapping there (the packet will be dropped on arrival), or a server's.
    private func destinationLatency(_ to: TransportAddress, now: Int64) -> Int64 {
        if let h = destinationHost(to, now: now) { return latency(of: h) }
        return nat(at: to.ip) != nil ? settings.latency : Network.serverHostLatency
    }

    /// Send a datagram from a host (nil: the STUN or TURN server); returns the slot and arrival
    /// time, or why it was dropped at once (sender offline, partition, loss, routing, firewall).
    mutating func send(_ d: consuming Datagram, fromHost: Int32?, now: Int64,
                       rng: inout SimRandom) -> Result<(slot: Int32, at: Int64), DropFailure> {
        datagramsSent += 1
        var delay: Int64
        // When the datagram has left the sender's access link (later than `now` behind a queue).
        var depart = now
        if let h = fromHost {
            guard isReachable(h) else { return .failure(DropFailure(.offline)) }
            let sender = hosts[Int(h)]
            if sender.uplink >= 0 {
                // The host's own link first: the datagram leaves when the queue ahead of it has.
                guard let t = links[Int(sender.uplink)].enqueue(bits: d.wireBytes * 8, at: now, tcp: d.tcp, rng: &rng) else {
                    datagramsQueueDropped += 1
                    return .failure(DropFailure(.queueFull))
                }
                depart = t
            }
            if sender.lan >= 0, let dst = host(at: d.to.ip), hosts[Int(dst)].lan == sender.lan {
                // Inside the LAN: straight to the host, no NAT, no firewall.
                if !partitions.isEmpty && isPartitioned(h, dst, now: now) { return .failure(DropFailure(.partition)) }
                if !d.tcp && rng.chance(settings.loss) {
                    datagramsLost += 1
                    return .failure(DropFailure(.loss))
                }
                return store(consume d, at: depart + Network.lanLatency + jitter(&rng), now: now, rng: &rng)
            }
            // The sender's own firewall stops UDP before anything is routed.
            if !sender.udp && !d.tcp {
                datagramsBlocked += 1
                return .failure(DropFailure(.firewall))
            }
            if Network.isPrivate(d.to.ip) {
                datagramsBlocked += 1
                return .failure(DropFailure(.unroutable))
            }
            if sender.nat >= 0 {
                d.from = nats[Int(sender.nat)].outbound(from: d.from, to: d.to, now: now, rng: &rng)
            }
            if !partitions.isEmpty, let dst = destinationHost(d.to, now: now), isPartitioned(h, dst, now: now) {
                return .failure(DropFailure(.partition))
            }
            if !d.tcp && rng.chance(settings.loss) {
                datagramsLost += 1
                return .failure(DropFailure(.loss))
            }
            if sender.nat >= 0 && d.to.ip == nats[Int(sender.nat)].publicIP {
                // Hairpinning (RFC 4787 REQ-9): out through the NAT and straight back in.
                return store(consume d, at: depart + Network.lanLatency + jitter(&rng), now: now, rng: &rng)
            }
            delay = latency(of: h)
        } else {
            if Network.isPrivate(d.to.ip) {
                datagramsBlocked += 1
                return .failure(DropFailure(.unroutable))
            }
            if !d.tcp && rng.chance(settings.loss) {
                datagramsLost += 1
                return .failure(DropFailure(.loss))
            }
            delay = Network.serverHostLatency
        }
        delay += destinationLatency(d.to, now: now)
        delay += jitter(&rng) + jitter(&rng)
        return store(consume d, at: depart + delay, now: now, rng: &rng)
    }

    /// Keep a datagram until it arrives at `time`, behind the destination host's download queue
    /// if it has one (entered as the datagram arrives; dropped there when it is full).
    private mutating func store(_ d: consuming Datagram, at time: Int64, now: Int64,
                                rng: inout SimRandom) -> Result<(slot: Int32, at: Int64), DropFailure> {
        var time = time
        if hasDownlinks, let h = destinationHost(d.to, now: now), hosts[Int(h)].downlink >= 0 {
            guard let t = links[Int(hosts[Int(h)].downlink)].enqueue(bits: d.wireBytes * 8, at: time, tcp: d.tcp, rng: &rng) else {
                datagramsQueueDropped += 1
                return .failure(DropFailure(.queueFull))
            }
            time = t
        }
        return .success((datagrams.insert(consume d), time))
    }

    /// Every datagram in flight, in slot order (for the end of a run's accounting).
    func forEachInFlight(_ body: (Datagram) -> Void) {
        datagrams.forEach(body)
    }

    /// Take the datagram out of its slot on arrival (`route` then says where it goes).
    mutating func take(_ slot: Int32) -> Datagram {
        datagrams.remove(slot)
    }

    /// Take the datagram out of its slot on arrival and route it (`take`, then `route`).
    mutating func arrive(_ slot: Int32, now: Int64) -> Arrival {
        var d = take(slot)
        switch route(&d, now: now) {
        case .host(let h): return .host(HostDelivery(host: h, datagram: d))
        case .stunServer: return .stunServer(d)
        case .turnServer: return .turnServer(d)
        case .turnRelay: return .turnRelay(d)
        case .dropped(let reason): return .dropped(reason, d)
        }
    }

    /// Route an arriving datagram: through the destination NAT's filter (rewriting `d.to` to
    /// the private address it admits) and the destination's firewall, to a host or a server.
    /// The datagram stays the caller's: the hot path moves it once instead of copying an
    /// enum that holds it (`Arrival`, 2 % of the traffic benchmark's instructions).
    mutating func route(_ d: inout Datagram, now: Int64) -> Route {
        if d.to == Network.stunServer { return .stunServer }
        if d.to.ip &- Network.turnServer.ip < UInt32(settings.turnRelayAddresses) {
            return d.to == Network.turnServer ? .turnServer : .turnRelay
        }
        if let h = host(at: d.to.ip) {
            // A public host, or a private one reached from inside its LAN.
            if !hosts[Int(h)].udp && !d.tcp && hosts[Int(h)].nat < 0 && !sameLAN(d.from.ip, h) {
                datagramsBlocked += 1
                return .dropped(.firewall)
            }
            return .host(h)
        }
        if let n = nat(at: d.to.ip) {
            let mapping = nats[Int(n)].mapping(external: d.to, now: now)
            guard let m = mapping else {
                datagramsBlocked += 1
                return .dropped(.noMapping(nat: n))
            }
            // TCP segments of a connection the client opened pass; UDP meets the filter.
            let admitted = d.tcp ? m.privateAddress : nats[Int(n)].inbound(to: d.to, from: d.from, now: now)
            guard let privateAddress = admitted, let h = host(at: privateAddress.ip) else {
                datagramsBlocked += 1
                return .dropped(.filtered(nat: n))
            }
            if !hosts[Int(h)].udp && !d.tcp {
                datagramsBlocked += 1
                return .dropped(.firewall)
            }
            d.to = privateAddress
            return .host(h)
        }
        datagramsBlocked += 1
        return .dropped(.unroutable)
    }

    /// Whether `ip` belongs to a host on `host`'s LAN.
    private func sameLAN(_ ip: UInt32, _ host: Int32) -> Bool {
        let lan = hosts[Int(host)].lan
        guard lan >= 0, let other = self.host(at: ip) else { return false }
        return hosts[Int(other)].lan == lan
    }

    /// One-way delay between a host and the signaling server, before jitter.
    func serverDelay(host: Int32) -> Int64 {
        latency(of: host) + settings.serverLatency
    }
}

/// A datagram dropped as it was sent.
struct DropFailure: Error {
    var reason: DropReason
    init(_ reason: DropReason) { self.reason = reason }
}
