import SignalProtocol

/// The full-mesh definition of CONTRACT, applied to what the pages observed.
extension Simulation {
    /// Is the peer name live: its page alive and its host online?
    /// Attackers are never live: they are not members of the mesh.
    func isLive(_ slot: Int32) -> Bool {
        guard !isAttacker(slot: slot) else { return false }
        let p = currentPage[Int(slot)]
        guard p >= 0, pages[Int(p)].alive else { return false }
        return network.isReachable(pages[Int(p)].host)
    }

    /// A page appeared, died, or its host went on or offline.
    func pageLiveChanged(slot: Int32) {
        let isLive = isLive(slot)
        oracle.setLive(slot, isLive, now: now)
        if isLive {
            for other in 0..<Int32(slotNames.count) where other != slot && oracle.live[Int(other)] {
                oracle.setPair(slot, other, connected: pairConnected(slot, other), now: now)
            }
        }
    }

    /// Connection `c`'s observable state changed: re-judge the pairs it belongs to.
    func observedChanged(_ c: Int32) {
        let conn = connections[Int(c)]
        let a = pages[Int(conn.page)].slot
        guard oracle.live[Int(a)], let others = uidSlots[conn.remoteUID] else { return }
        for b in others where b != a && oracle.live[Int(b)] {
            oracle.setPair(a, b, connected: pairConnected(a, b), now: now)
        }
    }

    /// CONTRACT "Full mesh": each current page holds a connection to the other's current page,
    /// both belong to the same association, both `connected`, the data channel open on both.
    func pairConnected(_ a: Int32, _ b: Int32) -> Bool {
        guard let ca = currentConnection(from: a, to: b), let cb = currentConnection(from: b, to: a) else { return false }
        let x = connections[Int(ca)], y = connections[Int(cb)]
        guard !x.closed, !y.closed, x.observedConnection == .connected, y.observedConnection == .connected,
              x.observedChannelOpen, y.observedChannelOpen else { return false }
        return x.pc.remoteSessionID == y.pc.identity.sessionID && y.pc.remoteSessionID == x.pc.identity.sessionID
    }

    /// The connection the current page of `a` most recently created for `b`'s uid.
    func currentConnection(from a: Int32, to b: Int32) -> Int32? {
        let p = currentPage[Int(a)]
        guard p >= 0 else { return nil }
        return pages[Int(p)].latestConnection[slotUID[Int(b)]]
    }

    /// Why a pair is not connected, in terms a person can act on: the first broken link in
    /// the chain (page, signaling, connection, association, states), with the history that led
    /// there (reloads, ignored onlines, failures, partitions, uid clashes).
    func diagnose(_ a: Int32, _ b: Int32) -> String {
        let na = slotNames[Int(a)], nb = slotNames[Int(b)]
        if slotUID[Int(a)] == slotUID[Int(b)] {
            return "\(na) and \(nb) share uid \(slotUID[Int(a)]) (a duplicated tab copies sessionStorage): pages key connections by uid, so they cannot connect to each other; a policy must give one of them a fresh uid"
        }
        if isLive(a) && isLive(b), let reason = connectivityReason(a, b) { return reason }
        // A peer that is not there at all comes first: no remedy on the other side applies.
        for x in [a, b] {
            let nx = slotNames[Int(x)]
            let p = currentPage[Int(x)]
            if p < 0 { return "\(nx) never loaded a page" }
            if network.hosts[Int(pages[Int(p)].host)].vanished { return "\(nx)'s host crashed: it is gone for good" }
            if !pages[Int(p)].alive { return "\(nx)'s page is gone" }
            if !network.isReachable(pages[Int(p)].host) { return "\(nx)'s host is offline" }
        }
        for (x, y) in [(a, b), (b, a)] {
            let nx = slotNames[Int(x)], ny = slotNames[Int(y)]
            let p = currentPage[Int(x)]
            guard let c = currentConnection(from: x, to: y) else {
                if pages[Int(p)].wsGaveUp {
                    return "\(nx) was cut off signaling: another page claimed its uid \(pages[Int(p)].uid) (a duplicated tab) and the server gave the uid to the newest page"
                }
                if !pages[Int(p)].wsOpen { return "\(nx)'s WebSocket is not open, so it never learned of \(ny)" }
                return "\(nx)'s page holds no connection to \(ny): neither init nor online named \(ny) to it"
            }
            let conn = connections[Int(c)]
            if conn.refused {
                return "\(nx) could not create a connection to \(ny): Chromium's cap of \(scenario.network.ice.maxPeerConnections) RTCPeerConnections per page; lift network.ice.maxPeerConnections for a what-if study"
            }
            if conn.closed {
                var parts: [String] = []
                if let r = reloads[y]?.last(where: { !$0.clean }) {
                    parts.append("\(ny)'s page reloaded at \(formatSeconds(r.time)) without closing anything (crash and session restore)")
                }
                if let ignored = pages[Int(p)].decisions[slotUID[Int(y)]]?.last(where: { $0.text.hasPrefix("online: ignored") }) {
                    parts.append("\(nx) still held its old connection, read it as connected and ignored \(ny)'s online at \(formatSeconds(ignored.time))")
                }
                let when = conn.closedAt.map { " at \(formatSeconds($0))" } ?? ""
                parts.append("\(nx)'s connection to \(ny) was closed\(when)\(conn.closedBecause.map { " (\($0))" } ?? "") and nothing dialled again")
                if let cut = network.partitions.last(where: { ($0.a == pages[Int(p)].host && $0.b == slotHost[Int(y)]) || ($0.b == pages[Int(p)].host && $0.a == slotHost[Int(y)]) }) {
                    parts.append("UDP between them was blocked until \(formatSeconds(cut.until)), long enough for ICE to fail, and no online event follows a partition")
                } else if options.policy.redialBackoff == nil {
                    parts.append("under policy \(options.policy.name) only an online event makes a page dial")
                }
                return parts.joined(separator: "; ")
            }
        }
        let x = connections[Int(currentConnection(from: a, to: b)!)]
        let y = connections[Int(currentConnection(from: b, to: a)!)]
        if x.pc.remoteSessionID != y.pc.identity.sessionID || y.pc.remoteSessionID != x.pc.identity.sessionID {
            for (s, n) in [(slotUID[Int(a)], na), (slotUID[Int(b)], nb)] {
                if let sharers = uidSlots[s], sharers.count > 1 {
                    return "uid \(s) is used by two pages (\(sharers.map { slotNames[Int($0)] }.joined(separator: ", "))): the connections meant for \(n) reach the other tab"
                }
            }
            return "\(na) and \(nb) hold connections that do not belong to one association (one side talks to an older page or an abandoned negotiation)"
        }
        for (conn, n, m) in [(x, na, nb), (y, nb, na)] {
            if conn.observedConnection != .connected {
                let ice = conn.pc.iceConnectionState.w3cName
                let sig = conn.pc.signalingState.w3cName
                return "\(n)'s connection to \(m) is \(conn.observedConnection.w3cName) (signalingState \(sig), iceConnectionState \(ice))"
            }
            if !conn.observedChannelOpen {
                return "\(n)'s connection to \(m) is connected but its data channel is not open"
            }
        }
        return "\(na) and \(nb) are connected"
    }
}
