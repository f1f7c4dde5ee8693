import SignalProtocol

/// A UDP datagram in flight.
struct Datagram {
    var from: TransportAddress
    var to: TransportAddress
    var packet: PeerPacket
}

/// A host's attachment to the simulated internet.
struct HostLink {
    /// Public address (hosts without a NAT) of the host.
    var ip: UInt32
    /// One-way delay of the access link, ns.
    var latency: Int64
    /// `false` while an `offline` event cuts the host off.
    var online = true
    /// Gone for good (`crash`).
    var vanished = false
}

/// The network: hosts' access links, the STUN server, UDP datagrams with delay, jitter and
/// loss, and WebSocket delays towards the signaling server.
///
/// All delays are one-way and additive: a packet from host A to host B takes A's access latency
/// plus B's, plus a jitter draw for each (CONTRACT, network.latency). The network owns the
/// datagrams in flight (a slab indexed by the event that delivers them) and draws loss and
/// jitter from the run's generator in event order, which keeps runs reproducible.
struct Network {
    var settings: NetworkSettings
    var hosts: [HostLink] = []
    /// Datagrams in flight; events name their slot.
    private(set) var datagrams: [Datagram?] = []
    private var freeSlots: [Int32] = []

    /// The STUN server's public address (RFC 8489 default port 3478).
    static let stunServer = TransportAddress(ip: 0x0909_0909, port: 3478)
    /// Access latency of the STUN and TURN servers, which sit in well-connected data centres.
    static let serverHostLatency: Int64 = 5 * nsPerMs
    /// First public address handed to hosts (198.18.0.0/15, the benchmarking range).
    static let firstHostIP: UInt32 = 0xC612_0001

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

    init(settings: NetworkSettings) {
        self.settings = settings
    }

    mutating func addHost(latency: Int64?) -> Int32 {
        let index = Int32(hosts.count)
        hosts.append(HostLink(ip: Network.firstHostIP + UInt32(index), latency: latency ?? -1))
        return index
    }

    /// The host owning a public address, if any.
    func host(at ip: UInt32) -> Int32? {
        let i = Int64(ip) - Int64(Network.firstHostIP)
        return i >= 0 && i < Int64(hosts.count) ? Int32(i) : nil
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

    /// Send a datagram; returns the slot and arrival time, or nil if it is lost at once
    /// (sender offline, loss draw).
    mutating func send(_ d: Datagram, fromHost: Int32?, now: Int64, rng: inout SimRandom) -> (slot: Int32, at: Int64)? {
        datagramsSent += 1
        if let h = fromHost, !isReachable(h) { return nil }
        if let h = fromHost, !partitions.isEmpty, let to = host(at: d.to.ip), isPartitioned(h, to, now: now) {
            return nil
        }
        if rng.chance(settings.loss) {
            datagramsLost += 1
            return nil
        }
        var delay: Int64 = 0
        delay += fromHost.map { latency(of: $0) } ?? Network.serverHostLatency
        delay += host(at: d.to.ip).map { latency(of: $0) } ?? Network.serverHostLatency
        delay += jitter(&rng) + jitter(&rng)
        let slot: Int32
        if let s = freeSlots.popLast() {
            slot = s
            datagrams[Int(s)] = d
        } else {
            slot = Int32(datagrams.count)
            datagrams.append(d)
        }
        return (slot, now + delay)
    }

    /// Take the datagram out of its slot on arrival.
    mutating func take(_ slot: Int32) -> Datagram {
        let d = datagrams[Int(slot)]!
        datagrams[Int(slot)] = nil
        freeSlots.append(slot)
        return d
    }

    /// One-way delay between a host and the signaling server, before jitter.
    func serverDelay(host: Int32) -> Int64 {
        latency(of: host) + settings.serverLatency
    }
}
