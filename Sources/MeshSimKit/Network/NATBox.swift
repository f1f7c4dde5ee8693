import SignalProtocol

/// A UDP NAT with the mapping and filtering behaviours of RFC 4787 (§4.1 mapping, §4.3 refresh,
/// §5 filtering, §6 hairpinning), as a pure value: no scheduling, time is passed in as `now`
/// (ns) and randomness comes from the caller's generator.
///
/// Connectivity across NATs emerges from this mechanism alone (DESIGN.md, Fidelity): the box
/// knows nothing of NAT "types" or of who may reach whom.
///
/// - Mapping (§4.1): an outbound packet from private `source` to `destination` reuses the
///   mapping keyed by `source` (endpoint-independent), `source` + destination IP
///   (address-dependent) or `source` + destination ip:port (address-and-port-dependent), or
///   creates one with an external port drawn at random in 1024...65535 that no live mapping of
///   this box holds.
/// - Filtering (§5): a mapping admits inbound packets from anyone (endpoint-independent), from
///   IPs it has sent to (address-dependent), or from ip:ports it has sent to
///   (address-and-port-dependent). What a mapping has sent to lives as long as the mapping.
/// - Refresh (§4.3, REQ-6): only outbound packets refresh a mapping; one that has been idle for
///   `mappingLifetime` (now >= last outbound + lifetime) is gone, lazily: it is dropped the next
///   time something touches its key or port, and its port becomes free again.
/// - Hairpinning (§6, REQ-9): the network calls `outbound` then `inbound` on the same box; the
///   inbound side sees the external source address and filters it as any other.
///
/// Determinism: dictionaries here are used for lookup only; the one scan over them
/// (`purgeExpired`, the eviction fallback) has an order-independent result.
struct NATBox {
    /// One external port's state.
    struct Mapping {
        /// The private address the mapping translates to.
        var privateAddress: TransportAddress
        /// The key it was created under (see `MappingKey`).
        var key: MappingKey
        /// The external address: the box's public IP and the drawn port.
        var external: TransportAddress
        var createdAt: Int64
        /// Time of the last outbound packet (the only refresh, REQ-6).
        var lastOutbound: Int64
        /// Destination IPs this mapping has sent to (address-dependent filtering).
        var contactedIPs: Set<UInt32> = []
        /// Destination ip:ports this mapping has sent to (address-and-port-dependent filtering).
        var contactedEndpoints: Set<TransportAddress> = []
    }

    /// What identifies a mapping: the private source plus the part of the destination the
    /// mapping behaviour looks at (zeroed where ignored).
    struct MappingKey: Hashable {
        var source: TransportAddress
        var destination: TransportAddress
    }

    let spec: NATSpec
    let publicIP: UInt32
    /// Idle time after which a mapping is gone, ns. RFC 4787 REQ-5: at least 2 minutes
    /// (netfilter's UDP stream timeout is exactly that).
    var mappingLifetime: Int64

    /// Inbound packets dropped because the mapping's filter did not admit the remote.
    var droppedByFiltering = 0
    /// Inbound packets dropped because no live mapping owns the external address.
    var droppedNoMapping = 0
    /// Mappings created (for diagnosis).
    var mappingsCreated = 0
    /// Live mappings taken over because every external port was in use (see `outbound`).
    var mappingsEvicted = 0

    /// Lowest and highest external port drawn.
    static let firstPort: UInt16 = 1024
    static let lastPort: UInt16 = 65535

    /// Mappings by external port.
    private var byPort: [UInt16: Mapping] = [:]
    /// External port by mapping key.
    private var byKey: [MappingKey: UInt16] = [:]

    init(spec: NATSpec, publicIP: UInt32, mappingLifetime: Int64 = 120 * 1_000_000_000) {
        self.spec = spec
        self.publicIP = publicIP
        self.mappingLifetime = mappingLifetime
    }

    // MARK: - Traffic

    /// A packet leaves the private side from `source` to `destination`: returns the external
    /// source address it leaves with. Creates the mapping if needed, records the destination
    /// for filtering and refreshes the mapping.
    mutating func outbound(from source: TransportAddress, to destination: TransportAddress, now: Int64,
                           rng: inout SimRandom) -> TransportAddress {
        let key = mappingKey(from: source, to: destination)
        var port: UInt16
        if let p = byKey[key], let m = byPort[p], isLive(m, now: now) {
            port = p
        } else {
            if let p = byKey[key] { remove(port: p) }
            port = freePort(now: now, rng: &rng)
            byPort[port] = Mapping(privateAddress: source, key: key, external: TransportAddress(ip: publicIP, port: port),
                                   createdAt: now, lastOutbound: now)
            byKey[key] = port
            mappingsCreated += 1
        }
        byPort[port]!.lastOutbound = now
        switch spec.filtering {
        case .endpointIndependent: break
        case .addressDependent: byPort[port]!.contactedIPs.insert(destination.ip)
        case .addressAndPortDependent: byPort[port]!.contactedEndpoints.insert(destination)
        }
        return TransportAddress(ip: publicIP, port: port)
    }

    /// A packet arrives at the public side at `external` from `remote`: returns the private
    /// destination if a live mapping owns `external` and its filter admits `remote`, else nil
    /// (and counts the drop). Does not refresh the mapping (REQ-6: inbound refresh is optional,
    /// and this box does not do it).
    mutating func inbound(to external: TransportAddress, from remote: TransportAddress, now: Int64) -> TransportAddress? {
        guard external.ip == publicIP, let m = byPort[external.port] else {
            droppedNoMapping += 1
            return nil
        }
        guard isLive(m, now: now) else {
            remove(port: external.port)
            droppedNoMapping += 1
            return nil
        }
        guard admits(m, remote) else {
            droppedByFiltering += 1
            return nil
        }
        return m.privateAddress
    }

    // MARK: - Inspection

    /// The live mapping that owns an external address, if any.
    func mapping(external: TransportAddress, now: Int64) -> Mapping? {
        guard external.ip == publicIP, let m = byPort[external.port], isLive(m, now: now) else { return nil }
        return m
    }

    /// The external address a packet from `source` to `destination` would leave with if sent
    /// now, without creating or refreshing anything; nil when it would need a new mapping.
    func existingExternal(from source: TransportAddress, to destination: TransportAddress, now: Int64) -> TransportAddress? {
        guard let p = byKey[mappingKey(from: source, to: destination)], let m = byPort[p], isLive(m, now: now) else {
            return nil
        }
        return m.external
    }

    /// Whether an inbound packet would be admitted, without counting anything.
    func wouldAdmit(to external: TransportAddress, from remote: TransportAddress, now: Int64) -> Bool {
        mapping(external: external, now: now).map { admits($0, remote) } ?? false
    }

    /// Mappings alive at `now`.
    func liveMappingCount(now: Int64) -> Int {
        var n = 0
        for m in byPort.values where isLive(m, now: now) { n += 1 }
        return n
    }

    /// Mappings held in memory, including expired ones not yet purged.
    var storedMappingCount: Int { byPort.count }

    /// Forget every expired mapping (the result does not depend on iteration order). Optional:
    /// expiry is also applied lazily; this only bounds memory for long runs.
    mutating func purgeExpired(now: Int64) {
        var dead: [UInt16] = []
        for (p, m) in byPort where !isLive(m, now: now) { dead.append(p) }
        for p in dead { remove(port: p) }
    }

    // MARK: - Internals

    func mappingKey(from source: TransportAddress, to destination: TransportAddress) -> MappingKey {
        switch spec.mapping {
        case .endpointIndependent:
            return MappingKey(source: source, destination: TransportAddress(ip: 0, port: 0))
        case .addressDependent:
            return MappingKey(source: source, destination: TransportAddress(ip: destination.ip, port: 0))
        case .addressAndPortDependent:
            return MappingKey(source: source, destination: destination)
        }
    }

    @inline(__always)
    func isLive(_ m: Mapping, now: Int64) -> Bool {
        now - m.lastOutbound < mappingLifetime
    }

    @inline(__always)
    func admits(_ m: Mapping, _ remote: TransportAddress) -> Bool {
        switch spec.filtering {
        case .endpointIndependent: return true
        case .addressDependent: return m.contactedIPs.contains(remote.ip)
        case .addressAndPortDependent: return m.contactedEndpoints.contains(remote)
        }
    }

    private mutating func remove(port: UInt16) {
        if let m = byPort.removeValue(forKey: port), byKey[m.key] == port {
            byKey.removeValue(forKey: m.key)
        }
    }

    /// Whether `port` can be handed out now; an expired holder is dropped on the way.
    private mutating func isFree(_ port: UInt16, now: Int64) -> Bool {
        guard let m = byPort[port] else { return true }
        if isLive(m, now: now) { return false }
        remove(port: port)
        return true
    }

    /// An external port no live mapping holds: uniform draws in 1024...65535 (rejecting taken
    /// ports), then, if the box is crowded, a scan upwards from the last draw. With all 64,512
    /// ports live, the least recently used mapping (ties: lowest port) is evicted, as
    /// port-exhausted NATs do; that is counted in `mappingsEvicted`.
    private mutating func freePort(now: Int64, rng: inout SimRandom) -> UInt16 {
        let span = UInt64(NATBox.lastPort - NATBox.firstPort) + 1
        var port = NATBox.firstPort
        for _ in 0..<32 {
            port = NATBox.firstPort + UInt16(rng.next(below: span))
            if isFree(port, now: now) { return port }
        }
        for _ in 0..<span {
            port = port == NATBox.lastPort ? NATBox.firstPort : port + 1
            if isFree(port, now: now) { return port }
        }
        var victim: (port: UInt16, last: Int64)? = nil
        for (p, m) in byPort {
            if let v = victim, (v.last, v.port) <= (m.lastOutbound, p) { continue }
            victim = (p, m.lastOutbound)
        }
        remove(port: victim!.port)
        mappingsEvicted += 1
        return victim!.port
    }
}
