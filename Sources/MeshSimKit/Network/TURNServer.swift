import SignalProtocol

/// What a TURN server sends in answer to a packet.
enum TURNServerOutput {
    /// A TURN message to a client, over the transport the client used.
    case toClient(TransportAddress, CandidateTransport, TURNMessage)
    /// Relayed data to a peer, from an allocation's relayed address (always UDP).
    case toPeer(from: TransportAddress, to: TransportAddress, PeerPacket)
}

/// One allocation (RFC 8656 §2.2, §7): the client's 5-tuple, the relayed address, its expiry and
/// its permissions.
struct TURNAllocation {
    /// The client's address as the server sees it (its server-reflexive address).
    var client: TransportAddress
    var transport: CandidateTransport
    var relayed: TransportAddress
    /// The Allocate transaction that created it; a retransmission of it gets the success again.
    var transactionID: UInt64
    /// Time the allocation expires, ns (it is gone at `now >= expiresAt`).
    var expiresAt: Int64
    /// Permission expiry (ns) by peer IP (§9: ports are ignored). Lookup only.
    var permissions: [UInt32: Int64] = [:]

    func isLive(now: Int64) -> Bool { now < expiresAt }

    func hasPermission(for ip: UInt32, now: Int64) -> Bool {
        guard let e = permissions[ip] else { return false }
        return now < e
    }
}

/// A TURN server (RFC 8656) over UDP and TCP, as a pure value: no scheduling, time passed in as
/// `now` (ns), outputs appended to the caller's array. The transport is only a tag here (the
/// network carries TCP reliably); relaying to peers is UDP.
///
/// Modelled: Allocate (one allocation per client 5-tuple, 437 on a second one, lifetime
/// negotiation, relayed ports handed out in order from 49152), Refresh (0 deletes, 437 without
/// an allocation), CreatePermission (per peer IP, 300 s), Send and Data indications with the
/// permission check in both directions. Not modelled: authentication (401/nonce round trip),
/// ChannelBind/ChannelData, REQUESTED-TRANSPORT other than UDP, quotas per user.
///
/// Expired allocations and permissions are treated as gone whenever they are looked at, and
/// dropped from memory by `purgeExpired(now:)`, which an Allocate runs when some allocation may
/// have expired since the last purge (so `allocationCount` may include expired allocations until
/// then; `liveAllocationCount(now:)` is exact). Memory stays bounded regardless: an expired
/// allocation's port is reclaimed when the port cursor reaches it.
struct TURNServer {
    struct ClientKey: Hashable {
        var client: TransportAddress
        var transport: CandidateTransport
    }

    let address: TransportAddress
    /// The first relay address; the server has `relayAddressCount` consecutive ones, each
    /// with the relayed ports 49152...65535.
    let relayIP: UInt32
    let relayAddressCount: Int
    /// Lifetimes in seconds, as on the wire (RFC 8656 §7.2: default 600 s; 3600 s is the usual cap).
    var defaultLifetime: UInt32 = 600
    var maxLifetime: UInt32 = 3600
    /// Permission lifetime, ns (RFC 8656 §9: 300 s).
    var permissionLifetime: Int64 = 300 * 1_000_000_000

    /// Relayed ports: 49152...65535 (the dynamic range RFC 8656 §7.2 recommends).
    static let firstRelayPort: UInt16 = 49152
    static let lastRelayPort: UInt16 = 65535

    /// Counters for diagnosis.
    var droppedNoPermission = 0
    var droppedNoAllocation = 0
    var relayedToPeer = 0
    /// Allocations granted, and refused for want of a relayed port (508).
    var allocationsGranted = 0
    var allocationsRefused = 0
    /// 401 answers to Allocates without credentials.
    var challenges = 0
    /// Allocates must carry long-term credentials (as every public TURN deployment requires);
    /// Refresh and CreatePermission are taken as authenticated (the nonce never goes stale).
    var requiresAuthentication = true
    var relayedToClient = 0

    /// Relayed ports per relay address (16,384).
    static let portsPerAddress = Int(lastRelayPort - firstRelayPort) + 1
    /// Allocations at once: every port of every relay address.
    var capacity: Int { relayAddressCount * TURNServer.portsPerAddress }

    /// Allocations by slot (relay address index × 16,384 + port − 49152).
    private var byPort: [Int: TURNAllocation] = [:]
    /// Slot by client 5-tuple.
    private var byClient: [ClientKey: Int] = [:]
    /// The next slot to try.
    private var nextPort = 0
    /// A lower bound of the stored allocations' expiry times: nothing can have expired before.
    private var earliestExpiry: Int64 = .max

    init(address: TransportAddress, relayIP: UInt32, relayAddressCount: Int = 1) {
        self.address = address
        self.relayIP = relayIP
        self.relayAddressCount = max(1, relayAddressCount)
    }

    /// The relayed address of a slot.
    func relayedAddress(slot: Int) -> TransportAddress {
        TransportAddress(ip: relayIP + UInt32(slot / TURNServer.portsPerAddress),
                         port: TURNServer.firstRelayPort + UInt16(slot % TURNServer.portsPerAddress))
    }

    /// The slot of a relayed address, if it is one of this server's.
    func slot(of relayed: TransportAddress) -> Int? {
        guard relayed.ip >= relayIP, relayed.ip - relayIP < UInt32(relayAddressCount),
              relayed.port >= TURNServer.firstRelayPort else { return nil }
        return Int(relayed.ip - relayIP) * TURNServer.portsPerAddress + Int(relayed.port - TURNServer.firstRelayPort)
    }

    // MARK: - Lookup

    /// The stored allocation owning a relayed address, possibly expired (check
    /// `isLive(now:)`, or use `allocation(forRelayed:now:)`).
    func allocation(forRelayed relayed: TransportAddress) -> TURNAllocation? {
        guard let slot = slot(of: relayed) else { return nil }
        return byPort[slot]
    }

    /// The live allocation owning a relayed address.
    func allocation(forRelayed relayed: TransportAddress, now: Int64) -> TURNAllocation? {
        allocation(forRelayed: relayed).flatMap { $0.isLive(now: now) ? $0 : nil }
    }

    /// The live allocation of a client 5-tuple.
    func allocation(client: TransportAddress, transport: CandidateTransport, now: Int64) -> TURNAllocation? {
        guard let p = byClient[ClientKey(client: client, transport: transport)], let a = byPort[p],
              a.isLive(now: now) else { return nil }
        return a
    }

    /// Allocations held in memory, including expired ones not yet purged.
    var allocationCount: Int { byPort.count }

    /// Allocations alive at `now`.
    func liveAllocationCount(now: Int64) -> Int {
        var n = 0
        for a in byPort.values where a.isLive(now: now) { n += 1 }
        return n
    }

    /// Forget expired allocations and expired permissions of live ones (the result does not
    /// depend on iteration order).
    mutating func purgeExpired(now: Int64) {
        var dead: [Int] = []
        var earliest = Int64.max
        for (p, a) in byPort {
            if a.isLive(now: now) { earliest = min(earliest, a.expiresAt) } else { dead.append(p) }
        }
        for p in dead { remove(port: p) }
        for (p, a) in byPort where a.permissions.values.contains(where: { $0 <= now }) {
            byPort[p]!.permissions = a.permissions.filter { $0.value > now }
        }
        earliestExpiry = earliest
    }

    // MARK: - Client side

    mutating func receiveFromClient(_ m: TURNMessage, client: TransportAddress, transport: CandidateTransport,
                                    now: Int64, into out: inout [TURNServerOutput]) {
        let key = ClientKey(client: client, transport: transport)
        switch m {
        case .allocateRequest(let tx, let requested, let authenticated):
            guard authenticated || !requiresAuthentication else {
                // RFC 8656 §7.2 / RFC 8489 §9.2.4: no credentials yet, so 401 with the realm and
                // a nonce; the client retries with them.
                challenges += 1
                out.append(.toClient(client, transport, .allocateError(transactionID: tx, code: 401)))
                return
            }
            allocate(key: key, tx: tx, requested: requested, now: now, into: &out)

        case .refreshRequest(let tx, let requested):
            guard let port = livePort(key, now: now) else {
                out.append(.toClient(client, transport, .refreshError(transactionID: tx, code: 437)))
                return
            }
            if requested == 0 {
                remove(port: port)
                out.append(.toClient(client, transport, .refreshSuccess(transactionID: tx, lifetime: 0)))
            } else {
                let lifetime = desiredLifetime(requested)
                byPort[port]!.expiresAt = now + Int64(lifetime) * 1_000_000_000
                earliestExpiry = min(earliestExpiry, byPort[port]!.expiresAt)
                out.append(.toClient(client, transport, .refreshSuccess(transactionID: tx, lifetime: lifetime)))
            }

        case .createPermissionRequest(let tx, let peerIP):
            guard let port = livePort(key, now: now) else {
                out.append(.toClient(client, transport, .createPermissionError(transactionID: tx, code: 437)))
                return
            }
            byPort[port]!.permissions[peerIP] = now + permissionLifetime
            out.append(.toClient(client, transport, .createPermissionSuccess(transactionID: tx)))

        case .sendIndication(let peer, let data):
            // Indications get no answer: anything wrong drops the data silently (§11.3).
            guard let port = livePort(key, now: now) else {
                droppedNoAllocation += 1
                return
            }
            let a = byPort[port]!
            guard a.hasPermission(for: peer.ip, now: now) else {
                droppedNoPermission += 1
                return
            }
            relayedToPeer += 1
            out.append(.toPeer(from: a.relayed, to: peer, data.packet))

        case .allocateSuccess, .allocateError, .refreshSuccess, .refreshError,
             .createPermissionSuccess, .createPermissionError, .dataIndication:
            // Responses and Data indications travel server → client only; a server ignores them.
            break
        }
    }

    // MARK: - Peer side

    /// A UDP datagram from `peer` arrived at the relayed address `relayed`: forward it to the
    /// client as a Data indication if a live allocation owns `relayed` and holds a live
    /// permission for the peer's IP; otherwise drop it (§11.4, the relay filters like an
    /// address-dependent NAT).
    mutating func receiveFromPeer(_ p: PeerPacket, peer: TransportAddress, relayed: TransportAddress, now: Int64,
                                  into out: inout [TURNServerOutput]) {
        guard let a = allocation(forRelayed: relayed, now: now) else {
            droppedNoAllocation += 1
            return
        }
        guard a.hasPermission(for: peer.ip, now: now) else {
            droppedNoPermission += 1
            return
        }
        guard let data = RelayedPacket(p) else { return }
        relayedToClient += 1
        out.append(.toClient(a.client, a.transport, .dataIndication(peer: peer, data: data)))
    }

    // MARK: - Internals

    /// RFC 8656 §7.2 / §7.3 "desired lifetime" for a non-zero request: min(requested, max),
    /// but never below the default; a request of 0 in Allocate (no LIFETIME attribute) gets the
    /// default.
    func desiredLifetime(_ requested: UInt32) -> UInt32 {
        guard requested != 0 else { return defaultLifetime }
        let capped = min(requested, maxLifetime)
        return capped > defaultLifetime ? capped : min(defaultLifetime, maxLifetime)
    }

    private mutating func allocate(key: ClientKey, tx: UInt64, requested: UInt32, now: Int64,
                                   into out: inout [TURNServerOutput]) {
        if let port = livePort(key, now: now) {
            let a = byPort[port]!
            if a.transactionID == tx {
                // A retransmission of the request that created the allocation (its success was
                // lost): answer it again rather than with 437 (RFC 8489 §6.3.1 lets servers
                // answer retransmissions of non-idempotent requests from a cache).
                let remaining = UInt32((a.expiresAt - now + 999_999_999) / 1_000_000_000)
                out.append(.toClient(key.client, key.transport, .allocateSuccess(
                    transactionID: tx, relayed: a.relayed, mapped: key.client, lifetime: remaining)))
            } else {
                out.append(.toClient(key.client, key.transport, .allocateError(transactionID: tx, code: 437)))
            }
            return
        }
        if now >= earliestExpiry || byPort.count >= capacity { purgeExpired(now: now) }
        // After the purge every stored slot is live: when all are, there is nothing to scan for.
        guard byPort.count < capacity, let port = freePort(now: now) else {
            // 508 Insufficient Capacity (§7.2): no relayed port left.
            allocationsRefused += 1
            out.append(.toClient(key.client, key.transport, .allocateError(transactionID: tx, code: 508)))
            return
        }
        let lifetime = desiredLifetime(requested)
        let relayed = relayedAddress(slot: port)
        byPort[port] = TURNAllocation(client: key.client, transport: key.transport, relayed: relayed,
                                      transactionID: tx, expiresAt: now + Int64(lifetime) * 1_000_000_000)
        byClient[key] = port
        allocationsGranted += 1
        earliestExpiry = min(earliestExpiry, now + Int64(lifetime) * 1_000_000_000)
        out.append(.toClient(key.client, key.transport, .allocateSuccess(
            transactionID: tx, relayed: relayed, mapped: key.client, lifetime: lifetime)))
    }

    /// The relayed port of the client's live allocation; an expired one is dropped on the way.
    private mutating func livePort(_ key: ClientKey, now: Int64) -> Int? {
        guard let p = byClient[key] else { return nil }
        if let a = byPort[p], a.isLive(now: now) { return p }
        remove(port: p)
        return nil
    }

    private mutating func remove(port: Int) {
        guard let a = byPort.removeValue(forKey: port) else { return }
        let key = ClientKey(client: a.client, transport: a.transport)
        if byClient[key] == port { byClient.removeValue(forKey: key) }
    }

    /// The next slot from the cursor that no live allocation holds (ports in order, 49152 to
    /// 65535 on the first relay address, then the next address; the cursor wraps), or nil when
    /// every slot is live.
    private mutating func freePort(now: Int64) -> Int? {
        let span = capacity
        for _ in 0..<span {
            let p = nextPort
            nextPort = p + 1 == span ? 0 : p + 1
            if let a = byPort[p] {
                if a.isLive(now: now) { continue }
                remove(port: p)
            }
            return p
        }
        return nil
    }
}
