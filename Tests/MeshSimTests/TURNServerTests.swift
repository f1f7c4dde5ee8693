import Testing
import SignalProtocol
@testable import MeshSimKit

private let sec: Int64 = 1_000_000_000

private func addr(_ s: String) -> TransportAddress { TransportAddress.parse(s)! }

private let serverAddress = addr("192.0.2.1:3478")
private let relayIP = TransportAddress.parseIP("192.0.2.2")!
private let clientA = addr("203.0.113.5:40000")
private let clientB = addr("203.0.113.6:41000")
private let peer = addr("198.51.100.7:5000")
private let peerOtherPort = addr("198.51.100.7:6000")
private let otherPeer = addr("198.51.100.8:5000")
private let payload = RelayedPacket.stun(STUNMessage(kind: .bindingRequest, transactionID: 77))

/// A server and a little driver that returns the outputs of one call.
private struct Harness {
    var server = TURNServer(address: serverAddress, relayIP: relayIP)

    mutating func client(_ m: TURNMessage, from c: TransportAddress = clientA, _ t: CandidateTransport = .udp,
                         at now: Int64) -> [TURNServerOutput] {
        var out: [TURNServerOutput] = []
        server.receiveFromClient(m, client: c, transport: t, now: now, into: &out)
        return out
    }

    mutating func fromPeer(_ p: TransportAddress, to relayed: TransportAddress, at now: Int64) -> [TURNServerOutput] {
        var out: [TURNServerOutput] = []
        server.receiveFromPeer(payload.packet, peer: p, relayed: relayed, now: now, into: &out)
        return out
    }

    /// Allocate and return the relayed address (fails the test otherwise).
    mutating func allocate(_ c: TransportAddress = clientA, _ t: CandidateTransport = .udp, lifetime: UInt32 = 0,
                           tx: UInt64 = 1, at now: Int64 = 0) -> TransportAddress? {
        let out = client(.allocateRequest(transactionID: tx, lifetime: lifetime), from: c, t, at: now)
        guard out.count == 1, case .toClient(let to, let tt, .allocateSuccess(tx, let relayed, let mapped, _)) = out[0],
              to == c, tt == t, mapped == c else { return nil }
        return relayed
    }

    mutating func permit(_ ip: UInt32, _ c: TransportAddress = clientA, _ t: CandidateTransport = .udp,
                         at now: Int64) -> Bool {
        let out = client(.createPermissionRequest(transactionID: 9, peerIP: ip), from: c, t, at: now)
        if out.count == 1, case .toClient(c, t, .createPermissionSuccess(9)) = out[0] { return true }
        return false
    }
}

/// The single output, decoded, for compact assertions.
private enum Seen: Equatable {
    case allocateSuccess(relayed: TransportAddress, mapped: TransportAddress, lifetime: UInt32)
    case allocateError(UInt16)
    case refreshSuccess(UInt32)
    case refreshError(UInt16)
    case permissionSuccess
    case permissionError(UInt16)
    case data(to: TransportAddress, CandidateTransport, peer: TransportAddress)
    case toPeer(from: TransportAddress, to: TransportAddress)
    case other
}

private func seen(_ out: [TURNServerOutput]) -> [Seen] {
    out.map { o in
        switch o {
        case .toClient(_, _, .allocateSuccess(_, let r, let m, let l)): return .allocateSuccess(relayed: r, mapped: m, lifetime: l)
        case .toClient(_, _, .allocateError(_, let c)): return .allocateError(c)
        case .toClient(_, _, .refreshSuccess(_, let l)): return .refreshSuccess(l)
        case .toClient(_, _, .refreshError(_, let c)): return .refreshError(c)
        case .toClient(_, _, .createPermissionSuccess): return .permissionSuccess
        case .toClient(_, _, .createPermissionError(_, let c)): return .permissionError(c)
        case .toClient(let to, let t, .dataIndication(let p, _)): return .data(to: to, t, peer: p)
        case .toPeer(let from, let to, _): return .toPeer(from: from, to: to)
        default: return .other
        }
    }
}

@Suite struct TURNServerTests {
    // MARK: Allocate

    @Test func allocateGivesRelayedAndMappedAddresses() {
        var h = Harness()
        #expect(h.server.allocationCount == 0)
        let out = h.client(.allocateRequest(transactionID: 5, lifetime: 0), at: 0)
        #expect(out.count == 1)
        guard case .toClient(let to, let t, .allocateSuccess(5, let relayed, let mapped, let lifetime)) = out.first else {
            Issue.record("expected an allocate success, got \(out)")
            return
        }
        #expect(to == clientA && t == .udp)
        #expect(relayed == TransportAddress(ip: relayIP, port: 49152))
        #expect(mapped == clientA, "XOR-MAPPED-ADDRESS is the client as seen")
        #expect(lifetime == 600)
        #expect(h.server.allocationCount == 1)
        let a = h.server.allocation(forRelayed: relayed)
        #expect(a?.client == clientA && a?.transport == .udp && a?.expiresAt == 600 * sec)
        #expect(h.server.allocation(forRelayed: TransportAddress(ip: relayIP &+ 1, port: 49152)) == nil)
    }

    @Test func anAllocateWithoutCredentialsIsChallengedWith401AndAllocatesNothing() {
        var h = Harness()
        let out = h.client(.allocateRequest(transactionID: 5, lifetime: 0, authenticated: false), at: 0)
        guard case .toClient(let to, _, .allocateError(5, 401)) = out.first, out.count == 1 else {
            Issue.record("expected 401, got \(out)")
            return
        }
        #expect(to == clientA)
        #expect(h.server.allocationCount == 0 && h.server.challenges == 1)
        // The retry with credentials succeeds.
        let retry = h.client(.allocateRequest(transactionID: 6, lifetime: 0, authenticated: true), at: 1)
        guard case .toClient(_, _, .allocateSuccess(6, _, _, _)) = retry.first else {
            Issue.record("expected a success, got \(retry)")
            return
        }
    }

    @Test func secondAllocateOnSameFiveTupleIs437() {
        var h = Harness()
        let r = h.allocate(tx: 1, at: 0)
        #expect(r != nil)
        #expect(seen(h.client(.allocateRequest(transactionID: 2, lifetime: 0), at: sec)) == [.allocateError(437)])
        #expect(h.server.allocationCount == 1)
        // A retransmission of the creating request (same transaction) gets the success again,
        // with the remaining lifetime.
        #expect(seen(h.client(.allocateRequest(transactionID: 1, lifetime: 0), at: 10 * sec))
                == [.allocateSuccess(relayed: r!, mapped: clientA, lifetime: 590)])
        #expect(h.server.allocationCount == 1)
    }

    @Test func fiveTupleIncludesTransportAndAddress() {
        var h = Harness()
        let udp = h.allocate(clientA, .udp)
        let tcp = h.allocate(clientA, .tcp)
        let otherPort = h.allocate(TransportAddress(ip: clientA.ip, port: clientA.port + 1), .udp)
        let other = h.allocate(clientB, .udp)
        #expect(udp == TransportAddress(ip: relayIP, port: 49152))
        #expect(tcp == TransportAddress(ip: relayIP, port: 49153))
        #expect(otherPort == TransportAddress(ip: relayIP, port: 49154))
        #expect(other == TransportAddress(ip: relayIP, port: 49155))
        #expect(h.server.allocationCount == 4)
        #expect(h.server.allocation(client: clientA, transport: .tcp, now: 0)?.relayed == tcp)
    }

    @Test(arguments: [
        (UInt32(0), UInt32(600)),     // no LIFETIME: default
        (UInt32(1), UInt32(600)),     // below the default: the default (RFC 8656 "desired lifetime")
        (UInt32(600), UInt32(600)),
        (UInt32(1800), UInt32(1800)),
        (UInt32(3600), UInt32(3600)),
        (UInt32(86_400), UInt32(3600)),  // capped at maxLifetime
    ])
    func allocateLifetime(requested: UInt32, granted: UInt32) {
        var h = Harness()
        let out = seen(h.client(.allocateRequest(transactionID: 1, lifetime: requested), at: 7 * sec))
        #expect(out == [.allocateSuccess(relayed: TransportAddress(ip: relayIP, port: 49152), mapped: clientA, lifetime: granted)])
        #expect(h.server.allocation(client: clientA, transport: .udp, now: 7 * sec)?.expiresAt == 7 * sec + Int64(granted) * sec)
    }

    @Test func configurableLifetimes() {
        var h = Harness()
        h.server.defaultLifetime = 30
        h.server.maxLifetime = 60
        #expect(seen(h.client(.allocateRequest(transactionID: 1, lifetime: 0), at: 0))
                == [.allocateSuccess(relayed: TransportAddress(ip: relayIP, port: 49152), mapped: clientA, lifetime: 30)])
        #expect(seen(h.client(.refreshRequest(transactionID: 2, lifetime: 45), at: 0)) == [.refreshSuccess(45)])
        #expect(seen(h.client(.refreshRequest(transactionID: 3, lifetime: 500), at: 0)) == [.refreshSuccess(60)])
    }

    @Test func allocationExpires() {
        var h = Harness()
        let r = h.allocate(at: 0)!
        #expect(h.permit(peer.ip, at: 0) == true)
        #expect(h.server.allocation(forRelayed: r, now: 600 * sec - 1) != nil)
        #expect(h.server.allocation(forRelayed: r, now: 600 * sec) == nil)
        #expect(h.server.liveAllocationCount(now: 600 * sec) == 0)
        // Gone: no relaying either way, refresh is 437, and a new Allocate succeeds.
        #expect(h.fromPeer(peer, to: r, at: 600 * sec).isEmpty)
        #expect(h.client(.sendIndication(peer: peer, data: payload), at: 600 * sec).isEmpty)
        #expect(seen(h.client(.refreshRequest(transactionID: 3, lifetime: 600), at: 600 * sec)) == [.refreshError(437)])
        #expect(h.allocate(tx: 4, at: 601 * sec) != nil)
        #expect(h.server.allocationCount == 1)
    }

    // MARK: Relayed ports

    @Test func relayedPortsAreSequentialAndSkipLiveOnes() {
        var h = Harness()
        h.server.defaultLifetime = 600
        var ports: [UInt16] = []
        for i in 0..<3 {
            let c = TransportAddress(ip: clientA.ip, port: UInt16(40000 + i))
            ports.append(h.allocate(c, at: 0)!.port)
        }
        #expect(ports == [49152, 49153, 49154])
        // Free 49153; the cursor moves on rather than going back.
        let c1 = TransportAddress(ip: clientA.ip, port: 40001)
        #expect(seen(h.client(.refreshRequest(transactionID: 9, lifetime: 0), from: c1, at: sec)) == [.refreshSuccess(0)])
        let next = h.allocate(TransportAddress(ip: clientA.ip, port: 40010), at: sec)
        #expect(next?.port == 49155)
        #expect(h.server.allocationCount == 3)
    }

    @Test func relayedPortsWrapAndReuseExpired() {
        var h = Harness()
        let span = 65535 - 49152 + 1
        // Fill every relayed port with short-lived allocations (lifetime 600 s), the first one at t=0.
        for i in 0..<span {
            let c = TransportAddress(ip: clientA.ip &+ UInt32(i / 60000), port: UInt16(1 + i % 60000))
            #expect(h.allocate(c, at: i == 0 ? 0 : sec) != nil)
        }
        // All live: 508 Insufficient Capacity.
        #expect(seen(h.client(.allocateRequest(transactionID: 1, lifetime: 0), from: clientB, at: 2 * sec)) == [.allocateError(508)])
        // Once the first has expired, its port is the next one the cursor reaches.
        #expect(h.allocate(clientB, at: 600 * sec)?.port == 49152)
        #expect(h.server.allocationCount == span)
    }

    @Test func moreRelayAddressesHoldMoreAllocationsAndRouteBackToTheirOwner() {
        var h = Harness()
        h.server = TURNServer(address: serverAddress, relayIP: relayIP, relayAddressCount: 2)
        #expect(h.server.capacity == 2 * 16_384)
        let span = 65535 - 49152 + 1
        for i in 0..<span {
            let c = TransportAddress(ip: clientA.ip &+ UInt32(i / 60000), port: UInt16(1 + i % 60000))
            #expect(h.allocate(c, at: 0) != nil)
        }
        // The first address is full: the next allocation is on the second one.
        let next = h.allocate(clientB, at: 0)
        #expect(next == TransportAddress(ip: relayIP &+ 1, port: 49152))
        #expect(h.server.allocation(forRelayed: next!)?.client == clientB)
        #expect(h.server.allocation(forRelayed: TransportAddress(ip: relayIP &+ 2, port: 49152)) == nil, "not one of its addresses")
    }

    // MARK: Refresh

    @Test func refreshExtendsAndZeroDeletes() {
        var h = Harness()
        let r = h.allocate(at: 0)!
        #expect(seen(h.client(.refreshRequest(transactionID: 2, lifetime: 1200), at: 500 * sec)) == [.refreshSuccess(1200)])
        #expect(h.server.allocation(forRelayed: r, now: 1699 * sec) != nil)
        #expect(h.server.allocation(forRelayed: r, now: 1700 * sec) == nil)
        #expect(seen(h.client(.refreshRequest(transactionID: 3, lifetime: 0), at: 1000 * sec)) == [.refreshSuccess(0)])
        #expect(h.server.allocationCount == 0)
        #expect(h.server.allocation(forRelayed: r) == nil)
        // Deleted: a new Allocate on the same 5-tuple is allowed.
        #expect(h.allocate(tx: 4, at: 1001 * sec) != nil)
    }

    @Test func refreshWithoutAllocationIs437() {
        var h = Harness()
        #expect(seen(h.client(.refreshRequest(transactionID: 1, lifetime: 600), at: 0)) == [.refreshError(437)])
        #expect(seen(h.client(.refreshRequest(transactionID: 2, lifetime: 0), at: 0)) == [.refreshError(437)])
        // Another 5-tuple's allocation does not count.
        _ = h.allocate(clientA, .tcp)
        #expect(seen(h.client(.refreshRequest(transactionID: 3, lifetime: 600), from: clientA, .udp, at: 0)) == [.refreshError(437)])
    }

    // MARK: Permissions

    @Test func createPermissionNeedsAllocation() {
        var h = Harness()
        #expect(seen(h.client(.createPermissionRequest(transactionID: 1, peerIP: peer.ip), at: 0)) == [.permissionError(437)])
        _ = h.allocate()
        #expect(seen(h.client(.createPermissionRequest(transactionID: 2, peerIP: peer.ip), at: 0)) == [.permissionSuccess])
    }

    @Test func sendIndicationNeedsPermissionForPeerIP() {
        var h = Harness()
        let r = h.allocate()!
        // No permission: silently dropped.
        #expect(h.client(.sendIndication(peer: peer, data: payload), at: 0).isEmpty)
        #expect(h.server.droppedNoPermission == 1)
        #expect(h.permit(peer.ip, at: 0) == true)
        #expect(seen(h.client(.sendIndication(peer: peer, data: payload), at: sec)) == [.toPeer(from: r, to: peer)])
        // Permissions are per IP: any port of that IP, no other IP.
        #expect(seen(h.client(.sendIndication(peer: peerOtherPort, data: payload), at: sec)) == [.toPeer(from: r, to: peerOtherPort)])
        #expect(h.client(.sendIndication(peer: otherPeer, data: payload), at: sec).isEmpty)
        #expect(h.server.relayedToPeer == 2)
        // Over TCP the same rules hold, with the data still leaving the relay towards the peer.
        let rt = h.allocate(clientA, .tcp)!
        #expect(h.permit(otherPeer.ip, clientA, .tcp, at: sec) == true)
        #expect(seen(h.client(.sendIndication(peer: otherPeer, data: payload), from: clientA, .tcp, at: sec)) == [.toPeer(from: rt, to: otherPeer)])
    }

    @Test func sendIndicationWithoutAllocationIsDropped() {
        var h = Harness()
        #expect(h.client(.sendIndication(peer: peer, data: payload), at: 0).isEmpty)
        #expect(h.server.droppedNoAllocation == 1)
    }

    @Test func peerDataNeedsPermission() {
        var h = Harness()
        let r = h.allocate(clientA, .tcp)!
        #expect(h.fromPeer(peer, to: r, at: 0).isEmpty, "no permission yet: dropped")
        #expect(h.server.droppedNoPermission == 1)
        #expect(h.permit(peer.ip, clientA, .tcp, at: 0) == true)
        #expect(seen(h.fromPeer(peer, to: r, at: sec)) == [.data(to: clientA, .tcp, peer: peer)])
        // Address-dependent filtering: any port of the permitted IP, nothing from other IPs.
        #expect(seen(h.fromPeer(peerOtherPort, to: r, at: sec)) == [.data(to: clientA, .tcp, peer: peerOtherPort)])
        #expect(h.fromPeer(otherPeer, to: r, at: sec).isEmpty)
        #expect(h.server.relayedToClient == 2)
    }

    @Test func peerDataNeedsAllocation() {
        var h = Harness()
        let r = h.allocate()!
        #expect(h.permit(peer.ip, at: 0) == true)
        #expect(h.fromPeer(peer, to: TransportAddress(ip: relayIP, port: r.port + 1), at: 0).isEmpty)
        #expect(h.fromPeer(peer, to: TransportAddress(ip: relayIP &+ 1, port: r.port), at: 0).isEmpty)
        #expect(h.server.droppedNoAllocation == 2)
        // After deletion, the relayed address is dead.
        _ = h.client(.refreshRequest(transactionID: 5, lifetime: 0), at: 0)
        #expect(h.fromPeer(peer, to: r, at: 0).isEmpty)
    }

    @Test func permissionsLastFiveMinutesAndRefresh() {
        var h = Harness()
        let r = h.allocate(lifetime: 3600)!
        #expect(h.permit(peer.ip, at: 0) == true)
        #expect(h.fromPeer(peer, to: r, at: 300 * sec - 1).count == 1)
        #expect(h.fromPeer(peer, to: r, at: 300 * sec).isEmpty, "expired after 300 s")
        #expect(h.client(.sendIndication(peer: peer, data: payload), at: 300 * sec).isEmpty)
        // Data does not refresh a permission; CreatePermission does.
        #expect(h.permit(peer.ip, at: 400 * sec) == true)
        for t in stride(from: Int64(410), to: 700, by: 10) {
            #expect(h.client(.sendIndication(peer: peer, data: payload), at: t * sec).count == 1)
        }
        #expect(h.fromPeer(peer, to: r, at: 700 * sec).isEmpty)
        #expect(h.permit(peer.ip, at: 650 * sec) == true)
        #expect(h.permit(peer.ip, at: 900 * sec) == true)
        #expect(h.fromPeer(peer, to: r, at: 1199 * sec).count == 1)
        #expect(h.fromPeer(peer, to: r, at: 1200 * sec).isEmpty)
    }

    @Test func permissionsBelongToTheirAllocation() {
        var h = Harness()
        let ra = h.allocate(clientA)!
        let rb = h.allocate(clientB)!
        #expect(h.permit(peer.ip, clientA, at: 0) == true)
        #expect(h.fromPeer(peer, to: ra, at: 0).count == 1)
        #expect(h.fromPeer(peer, to: rb, at: 0).isEmpty)
        // A new allocation after deletion starts with no permissions.
        _ = h.client(.refreshRequest(transactionID: 7, lifetime: 0), from: clientA, at: sec)
        let ra2 = h.allocate(clientA, tx: 8, at: sec)!
        #expect(h.fromPeer(peer, to: ra2, at: sec).isEmpty)
    }

    @Test func serverIgnoresResponsesFromClients() {
        var h = Harness()
        _ = h.allocate()
        #expect(h.client(.dataIndication(peer: peer, data: payload), at: 0).isEmpty)
        #expect(h.client(.refreshSuccess(transactionID: 1, lifetime: 600), at: 0).isEmpty)
        #expect(h.client(.allocateError(transactionID: 1, code: 437), at: 0).isEmpty)
    }

    @Test func relayBetweenTwoClients() {
        // A and B each hold an allocation; each permits the other's relayed IP; data sent by A
        // leaves A's relayed address and, arriving at B's relayed address, reaches B.
        var h = Harness()
        let ra = h.allocate(clientA, .udp)!
        let rb = h.allocate(clientB, .tcp)!
        #expect(h.permit(rb.ip, clientA, .udp, at: 0) == true)
        #expect(h.permit(ra.ip, clientB, .tcp, at: 0) == true)
        let sent = h.client(.sendIndication(peer: rb, data: payload), from: clientA, .udp, at: sec)
        guard case .toPeer(let from, let to, let p)? = sent.first, sent.count == 1 else {
            Issue.record("expected one relayed packet, got \(sent)")
            return
        }
        #expect(from == ra && to == rb)
        var out: [TURNServerOutput] = []
        h.server.receiveFromPeer(p, peer: from, relayed: to, now: sec, into: &out)
        #expect(seen(out) == [.data(to: clientB, .tcp, peer: ra)])
    }

    @Test func purgeExpiredForgetsDeadAllocations() {
        var h = Harness()
        _ = h.allocate(clientA, at: 0)
        _ = h.allocate(clientB, lifetime: 3600, at: 0)
        #expect(h.server.allocationCount == 2)
        h.server.purgeExpired(now: 1000 * sec)
        #expect(h.server.allocationCount == 1)
        #expect(h.server.allocation(client: clientB, transport: .udp, now: 1000 * sec) != nil)
    }
}
