import SignalProtocol

/// Why a pair is not connected, from the world's state (the verdict itself is `MeshOracle`'s,
/// from observations only; the explanation may look anywhere).
extension Simulation {
    /// Is the peer name live: its page alive and its host online?
    /// Attackers are never live: they are not members of the mesh.
    func isLive(_ slot: PeerID) -> Bool {
        guard !isAttacker(slot: slot) else { return false }
        guard let p = peers[slot].currentPage?.raw, pages[Int(p)].alive else { return false }
        return network.isReachable(pages[Int(p)].host)
    }

    /// The connection the current page of `a` most recently created for `b`'s uid.
    func currentConnection(from a: PeerID, to b: PeerID) -> Int32? {
        guard let p = peers[a].currentPage?.raw else { return nil }
        return pages[Int(p)].latestConnection[peers[b].uid]
    }

    /// A page whose document is still loading at the end of the run (a join just before the
    /// end, or a machine too slow or busy for the load): its script never ran.
    private func stillLoading(_ x: PeerID) -> PairDiagnosis? {
        guard let p = peers[x].currentPage?.raw, pages[Int(p)].scriptRunsAt > now else { return nil }
        return PairDiagnosis(.neverLoaded, "\(peer: peers[x].name)'s page is still loading at the end of the run: its load needs the CPU until \(time: pages[Int(p)].scriptRunsAt) (a join just before the end, or a machine too slow or busy)")
    }

    /// A page whose first WebSocket is still opening at the end of the run.
    private func stillOpening(_ x: PeerID) -> PairDiagnosis? {
        guard let p = peers[x].currentPage?.raw, !pages[Int(p)].wsOpen, !pages[Int(p)].wsOpenedOnce,
              !pages[Int(p)].wsGaveUp, !pages[Int(p)].uidRefused else { return nil }
        if let down = serverDownNote {
            return PairDiagnosis(.webSocketClosed, "\(peer: peers[x].name)'s WebSocket is still opening for the first time at the end of the run (its page loaded at \(time: pages[Int(p)].scriptRunsAt))" + down)
        }
        // Its attempts failed while the server was down, and the next waits out the backoff
        // (QA, session 15: "check the server" was said of a server back since).
        if let backoff = backoffNote(Int(p)) {
            return PairDiagnosis(.webSocketClosed, "\(peer: peers[x].name)'s WebSocket has not opened yet (its page loaded at \(time: pages[Int(p)].scriptRunsAt))" + backoff)
        }
        return PairDiagnosis(.webSocketClosed, "\(peer: peers[x].name)'s WebSocket is still opening for the first time at the end of the run (its page loaded at \(time: pages[Int(p)].scriptRunsAt)): run longer, or check the server (is it down, or too slow to answer?)")
    }

    /// "; its attempts failed while the signaling server was down (...), and the next ... is
    /// due at T" for a page whose socket waits out its reconnect backoff after a restart that
    /// ended before the end of the run.
    private func backoffNote(_ p: Int) -> ReasonText? {
        guard let last = signaling.lastDown, last.until <= endTime, pages[p].wsNextAttemptAt > last.until else { return nil }
        let next = pages[p].wsNextAttemptAt
        return "; its attempts failed while the signaling server was down (a restart, from \(time: last.since) to \(time: last.until)), and the next, after the reconnect backoff, is due at \(time: next)"
            + (next > endTime ? ", after the end of the run: run longer" : "")
    }

    /// Why a page's socket is not open, when a restart says: the server down now, or the
    /// backoff after it came back ("" otherwise).
    private func socketNote(_ p: Int) -> ReasonText {
        serverDownNote ?? backoffNote(p) ?? ""
    }

    /// "; the signaling server is down since ... " when it is down at the end (a `serverRestart`
    /// whose downtime outlasts the run): why no WebSocket is open (QA, session 15).
    private var serverDownNote: ReasonText? {
        guard let down = signaling.down else { return nil }
        return down.until > endTime
            ? "; the signaling server is down since \(time: down.since) (a restart) and comes back at \(time: down.until), after the end of the run"
            : "; the signaling server is down since \(time: down.since) (a restart) until \(time: down.until)"
    }

    /// Why a pair is not connected, in terms a person can act on (`diagnosis`, as text).
    func diagnose(_ a: PeerID, _ b: PeerID) -> String {
        diagnosis(a, b).reason.rendered
    }

    /// Why a pair is not connected, in terms a person can act on: the first broken link in
    /// the chain (page, signaling, connection, association, states), with the history that led
    /// there (reloads, ignored onlines, failures, partitions, uid clashes), and its code. Where
    /// the run's policy left the pair stuck, the reason names the built-in policies whose
    /// properties repair that cause (`PolicyRemedy`).
    func diagnosis(_ a: PeerID, _ b: PeerID) -> PairDiagnosis {
        let na = peers[a].name, nb = peers[b].name
        let policy = options.policy
        /// "; policy resilient (or restart-ice) would ..." when a built-in policy repairs `cause`.
        func remedy(_ cause: StuckCause, _ context: PolicyRemedy.Context = .init(), otherwise: ReasonText = "") -> ReasonText {
            PolicyRemedy.sentence(for: cause, current: policy, context).map { "; \($0)" } ?? otherwise
        }
        /// The remedy of a uid clash: none while three or more pages hold the uid, since the
        /// tabs that lose it pick the same fresh uid and clash again (docs/fuzzing.md, hole 3;
        /// QA, session 15: `resilient` was named for a tab duplicated twice).
        func uidRemedy(_ cause: StuckCause, _ uid: String, otherwise: ReasonText = "") -> ReasonText {
            let tabs = uidSlots[uid]?.count ?? 0
            guard tabs <= 2 else {
                return "; no built-in policy repairs it: \(count: tabs) pages hold uid \(uid), and the tabs that lose it pick the same fresh uid and clash again"
            }
            return remedy(cause, otherwise: otherwise)
        }
        if peers[a].uid == peers[b].uid {
            // One of them is refused at every hello: no policy's fresh uid reaches it (QA,
            // session 15: resilient was named, and left the pair stuck).
            if let refused = refusedByServer(a, b) { return refused }
            return PairDiagnosis(.sameUid, "\(peer: na) and \(peer: nb) share uid \(peers[a].uid) (a duplicated tab copies sessionStorage): pages key connections by uid, so they cannot connect to each other"
                + uidRemedy(.sameUid, peers[a].uid, otherwise: "; a policy must give one of them a fresh uid"))
        }
        if isLive(a) && isLive(b), let reason = connectivityReason(a, b) { return reason }
        // A peer that is not there at all comes first: no remedy on the other side applies.
        for x in [a, b] {
            let nx = peers[x].name
            guard let p = peers[x].currentPage?.raw else { return PairDiagnosis(.neverLoaded, "\(peer: nx) never loaded a page") }
            if network.hosts[Int(pages[Int(p)].host)].vanished { return PairDiagnosis(.peerCrashed, "\(peer: nx)'s host crashed: it is gone for good") }
            if !pages[Int(p)].alive { return PairDiagnosis(.peerGone, "\(peer: nx)'s page is gone") }
            if !network.isReachable(pages[Int(p)].host) { return PairDiagnosis(.peerOffline, "\(peer: nx)'s host is offline") }
        }
        for (x, y) in [(a, b), (b, a)] {
            let nx = peers[x].name, ny = peers[y].name
            let p = peers[x].currentPage!.raw
            guard let c = currentConnection(from: x, to: y) else {
                if pages[Int(p)].wsGaveUp {
                    return PairDiagnosis(.uidTakenOver, "\(peer: nx) was cut off signaling: another page claimed its uid \(pages[Int(p)].uid) (a duplicated tab) and the server gave the uid to the newest page"
                        + uidRemedy(.uidTakenOver, pages[Int(p)].uid))
                }
                if pages[Int(p)].uidRefused {
                    // Found by `fuzz`: after a server restart a duplicated tab can claim the uid
                    // first, and two tabs that lost one uid can pick the same fresh one.
                    return PairDiagnosis(.uidTakenOver, "\(peer: nx) is refused by the server: its uid \(pages[Int(p)].uid) is held by another page whose secret it lacks (uidTaken), and it keeps saying hello with the same uid, so it never learned of \(peer: ny); no built-in policy takes a fresh uid on uidTaken")
                }
                if let loading = stillLoading(x) { return loading }
                if let opening = stillOpening(x) { return opening }
                // With the server down, the other side's first WebSocket still opening says more
                // than this side's, closed by the same outage (QA, session 15).
                if serverDownNote != nil, let opening = stillOpening(y) { return opening }
                if !pages[Int(p)].wsOpen { return PairDiagnosis(.webSocketClosed, "\(peer: nx)'s WebSocket is not open, so it never learned of \(peer: ny)" + socketNote(Int(p))) }
                // The other side is off signaling, so the server never announced it (found by
                // `fuzz`: its own connection "to" this uid reaches another tab with the same uid).
                let q = Int(peers[y].currentPage!.raw)
                if pages[q].wsGaveUp {
                    return PairDiagnosis(.uidTakenOver, "\(peer: ny) was cut off signaling: another page claimed its uid \(pages[q].uid) (a duplicated tab) and the server gave the uid to the newest page, so \(peer: nx) was never told of \(peer: ny)"
                        + uidRemedy(.uidTakenOver, pages[q].uid))
                }
                if pages[q].uidRefused {
                    return PairDiagnosis(.uidTakenOver, "\(peer: ny) is refused by the server: its uid \(pages[q].uid) is held by another page whose secret it lacks (uidTaken), and it keeps saying hello with the same uid, so \(peer: nx) was never told of \(peer: ny); no built-in policy takes a fresh uid on uidTaken")
                }
                // The other side's WebSocket is not open (it joined just before the end, or its
                // machine is too slow to keep it): the server never announced it. Not a lost
                // `online`, which `neverIntroduced` sends the reader looking for.
                if let loading = stillLoading(y) { return loading }
                if let opening = stillOpening(y) { return opening }
                if !pages[q].wsOpen {
                    return PairDiagnosis(.webSocketClosed, "\(peer: ny)'s WebSocket is not open, so the server never announced it to \(peer: nx)" + socketNote(q))
                }
                return PairDiagnosis(.neverIntroduced, "\(peer: nx)'s page holds no connection to \(peer: ny): neither init nor online named \(peer: ny) to it")
            }
            let conn = connections[Int(c)]
            if conn.refused {
                return PairDiagnosis(.connectionCap, "\(peer: nx) could not create a connection to \(peer: ny): Chromium's cap of \(String(scenario.network.ice.maxPeerConnections)) RTCPeerConnections per page; lift network.ice.maxPeerConnections for a what-if study")
            }
            if conn.closed {
                // Off signaling for good, the uid given to another tab: nothing can dial it
                // again, whatever the policy (found by QA: a duplicated tab under `replace` was
                // blamed on the policy).
                for (z, nz) in [(x, nx), (y, ny)] {
                    if let q = peers[z].currentPage?.raw, pages[Int(q)].wsGaveUp {
                        return PairDiagnosis(.uidTakenOver, "\(peer: nz) was cut off signaling: another page claimed its uid \(pages[Int(q)].uid) (a duplicated tab) and the server gave the uid to the newest page, so nothing can dial \(peer: nz) again"
                            + uidRemedy(.uidTakenOver, pages[Int(q)].uid))
                    }
                    // Refused at every hello (two tabs that lost one uid picked the same fresh
                    // one): no signal reaches it, so no policy's redial could (QA, session 14).
                    if let q = peers[z].currentPage?.raw, pages[Int(q)].uidRefused {
                        return PairDiagnosis(.uidTakenOver, "\(peer: nz) is refused by the server: its uid \(pages[Int(q)].uid) is held by another page whose secret it lacks (uidTaken), and it keeps saying hello with the same uid, so nothing can dial \(peer: nz) again; no built-in policy takes a fresh uid on uidTaken")
                    }
                }
                // A side with no WebSocket open can be dialled by no policy until it reconnects
                // (QA, session 15: with the server down at the end, `resilient` was named).
                for z in [x, y] {
                    guard let q = peers[z].currentPage?.raw, !pages[Int(q)].wsOpen else { continue }
                    if let opening = stillOpening(z) { return opening }
                    let when: ReasonText = conn.closedAt.map { " at \(time: $0)" } ?? ""
                    return PairDiagnosis(.webSocketClosed, "\(peer: nx)'s connection to \(peer: ny) was closed\(when)\(conn.closedBecause.map { " (\($0))" } ?? ""), and \(peer: peers[z].name)'s WebSocket is not open, so no signal can reach it to dial again" + socketNote(Int(q)))
                }
                var parts: [ReasonText] = []
                var cause = StuckCause.closedNotRedialled
                if let r = reloads[y]?.last(where: { !$0.clean }) {
                    parts.append("\(peer: ny)'s page reloaded at \(time: r.time) without closing anything (crash and session restore)")
                }
                let ignoredOnline = ignoredOnlineAfterReload(x, y)
                if let ignored = ignoredOnline {
                    parts.append("\(peer: nx) still held its old connection, read it as connected and ignored \(peer: ny)'s online at \(time: ignored)")
                    cause = .zombieIgnoredOnline
                }
                let when: ReasonText = conn.closedAt.map { " at \(time: $0)" } ?? ""
                let closed: ReasonText = "\(peer: nx)'s connection to \(peer: ny) was closed\(when)\(conn.closedBecause.map { " (\($0))" } ?? "")"
                // The policy re-dials, and its backoff timer is still to fire (QA, session 15:
                // "nothing dialled again" under resilient, whose remedy is the policy in use).
                let redial = pendingRedial(x, y)
                // The other side did dial, and this page dropped the offer: say so (QA, session
                // 14: "nothing dialled again" sent the reader to the redial rules).
                if let dropped = pages[Int(p)].decisions[peers[y].uid]?.last(where: { $0.text.hasPrefix("signal offer dropped") }),
                   dropped.time >= (conn.closedAt ?? .min) {
                    parts.append("\(closed); \(peer: ny) dialled again, but \(peer: nx) dropped its offer at \(time: dropped.time): it held no link for that id and its policy does not accept offers without one (acceptOffersWithoutLink false)")
                } else if let redial {
                    let doomed = shortNATMapping(x, y, conn) != nil
                    parts.append("\(closed); policy \(policy.name) has \(peer: peers[redial.dialer].name) dial again (attempt \(count: redial.attempt)) at \(time: redial.at)"
                        + (redial.at > endTime ? (doomed ? ", after the end of the run" : ", after the end of the run: run longer") : ", once its page's script gets to it"))
                    cause = .redialPending
                } else {
                    parts.append("\(closed) and nothing dialled again")
                    // The other side holds a link that waits for an offer nobody sends: it never
                    // dies, so a policy that re-dials dead links from that side never dials
                    // (`fuzz` seed 9 run 246 under resilient: "not explained yet"). A zombie's
                    // story already says why nobody offers: the online it ignored.
                    if cause == .closedNotRedialled, let oc = currentConnection(from: y, to: x), !connections[Int(oc)].closed,
                       let q = peers[y].currentPage?.raw,
                       pages[Int(q)].manager.link(connections[Int(oc)].link)?.role == .passive,
                       connections[Int(oc)].pc.signaling.remoteDescription == nil {
                        var waits: ReasonText = "\(peer: ny) holds a connection to \(peer: nx) that waits for an offer nobody sends (a passive link: it never fails, so it is never replaced)"
                        if let rule = policy.redial, rule.dials(me: pages[Int(q)].uid, remote: pages[Int(p)].uid) {
                            waits += ", and policy \(policy.name) re-dials from \(peer: ny)'s side only a link that died"
                        }
                        parts.append(waits)
                    }
                }
                // A partition explains the failure only if the connection was closed while it
                // lasted (or just after): once UDP flows again ICE recovers (found by `fuzz`: a
                // close 12 s after a short partition had healed was blamed on it).
                // A description of the other side's new connection applied to this old one just
                // before it failed (the link not replaced on a foreign offer): that, not a
                // partition still in force, broke it (QA, session 14).
                // The connection applied a description of another connection of the other side
                // (the answer to an earlier offer: its page dialled twice in a row), so the answer
                // meant for it was refused and ICE checked with credentials the other side's
                // current connection does not have (`fuzz` run 974: blamed on the relay).
                if let sid = conn.pc.remoteSessionID, let other = currentConnection(from: y, to: x),
                   sid != connections[Int(other)].pc.identity.sessionID,
                   connections[Int(other)].pc.remoteSessionID == conn.pc.identity.sessionID {
                    parts.append("it had applied the answer of another connection of \(peer: ny)'s (to an earlier offer: \(peer: nx) dialled twice in a row), so the answer meant for it was refused and ICE failed against the other connection's credentials")
                }
                let cut = network.partitions.last(where: { ($0.a == pages[Int(p)].host && $0.b == (peers[y].host?.raw ?? -1)) || ($0.b == pages[Int(p)].host && $0.a == (peers[y].host?.raw ?? -1)) })
                var partitionOutlastsOnline = false
                if let foreign = conn.foreignOfferAt, let closed = conn.closedAt, closed >= foreign, closed - foreign <= nsPerSecond {
                    parts.append("\(peer: ny)'s new connection's offer was applied to this old connection at \(time: foreign) (\(peer: nx)'s policy does not replace a link on an offer from another connection), and it failed at once against the new connection's certificate")
                } else if cause == .zombieIgnoredOnline, let cut, let ignored = ignoredOnline, cut.until > ignored {
                    // The zombie belonged to the old page, which is why it died; a partition did
                    // not break it, but it would break a connection dialled on that online (QA,
                    // session 15: `replace` was named, and its new connection failed too).
                    parts.append("UDP between them is blocked until \(time: cut.until), so a connection dialled on that online would have failed as well, and no online event follows a partition")
                    partitionOutlastsOnline = true
                } else if cause != .zombieIgnoredOnline, let cut, conn.closedAt.map({ $0 <= cut.until + nsPerSecond }) ?? true {
                    parts.append(redial == nil ? "UDP between them was blocked until \(time: cut.until), long enough for ICE to fail, and no online event follows a partition"
                                               : "UDP between them was blocked until \(time: cut.until), long enough for ICE to fail")
                    if cause != .redialPending { cause = .partitionFailed }
                } else if policy.redial == nil {
                    parts.append("under policy \(policy.name) only an online event makes a page dial")
                }
                // A new connection would fail as the old one did: no policy that dials again
                // helps (found by QA: total loss, and TURN turned off beside a UDP-blocking
                // firewall, were said to be repaired by re-dialling).
                let hx = network.hosts[Int(pages[Int(p)].host)]
                let hy = peers[y].host.map { network.hosts[Int($0.raw)] }
                if network.settings.loss >= 1 {
                    parts.append("every UDP datagram is lost now (network loss 1), so a new connection would fail as well")
                    return PairDiagnosis(cause, parts.joined(separator: "; "))
                }
                if (!hx.udp || hy?.udp == false) && !network.settings.turn {
                    parts.append("a firewall lets no UDP out and no TURN server is reachable now, so a new connection would fail as well: add a TURN server")
                    return PairDiagnosis(cause, parts.joined(separator: "; "))
                }
                // Both behind NATs on different networks, and neither a STUN nor a TURN server
                // reachable now: no candidate of a new connection could reach the other side
                // (QA, session 14: re-dialling policies were named after `stun` was turned off).
                if let hy, hx.nat >= 0, hy.nat >= 0, !(hx.lan >= 0 && hx.lan == hy.lan),
                   !network.settings.stun, !network.settings.turn {
                    parts.append("both are behind NATs and no STUN or TURN server is reachable now, so a new connection would fail as well")
                    return PairDiagnosis(cause, parts.joined(separator: "; "))
                }
                // Relayed, because no direct pair had worked, and TURN gone since (QA, session
                // 14: re-dialling policies were named, and each failed).
                if conn.selectedRelay && !network.settings.turn {
                    parts.append("that connection went through a TURN relay (no direct pair had worked) and no TURN server is reachable now, so a new connection would most likely fail as well")
                    return PairDiagnosis(cause, parts.joined(separator: "; "))
                }
                // A NAT that forgets a mapping sooner than a settled connection sends its consent
                // checks breaks every connection through it once it settles (QA, session 15:
                // `resilient` was named, and its new connections broke the same way).
                if let short = shortNATMapping(x, y, conn) {
                    parts.append(short)
                    return PairDiagnosis(cause, parts.joined(separator: "; "))
                }
                // A page closes no connection by itself: `failed` is the last state a connection
                // the manager destroyed on failure reported.
                let context = PolicyRemedy.Context(heldLink: pages[Int(p)].manager.link(conn.link),
                                                   closedOnFailure: conn.observedConnection == .failed,
                                                   partitionOutlastsOnline: partitionOutlastsOnline)
                return PairDiagnosis(cause, parts.joined(separator: "; ") + remedy(cause, context))
            }
        }
        let x = connections[Int(currentConnection(from: a, to: b)!)]
        let y = connections[Int(currentConnection(from: b, to: a)!)]
        if x.pc.remoteSessionID != y.pc.identity.sessionID || y.pc.remoteSessionID != x.pc.identity.sessionID {
            // A side refused at every hello gets no signal: its connections cannot meet (QA,
            // session 15: one such pair was `staleAssociation`, its others `uidTakenOver`).
            if let refused = refusedByServer(a, b) { return refused }
            for (s, n) in [(peers[a].uid, na), (peers[b].uid, nb)] {
                if let sharers = uidSlots[s], sharers.count > 1 {
                    let names = sharers.map { (t: PeerID) -> ReasonText in "\(peer: peers[t].name)" }.joined(separator: ", ")
                    // "two pages" only when there are two (QA, session 15: three were listed).
                    let howMany = sharers.count == 2 ? "two pages" : "\(sharers.count) pages"
                    return PairDiagnosis(.uidShared, "uid \(s) is used by \(howMany) (\(names)): the connections meant for \(peer: n) reach \(sharers.count == 2 ? "the other tab" : "another of them")"
                        + uidRemedy(.uidShared, s))
                }
            }
            // A zombie whose old connection has not died yet: it still belongs to the old page.
            for (conn, other, i, j) in [(x, y, a, b), (y, x, b, a)] where conn.pc.remoteSessionID != other.pc.identity.sessionID {
                guard let ignored = ignoredOnlineAfterReload(i, j) else { continue }
                let ni = peers[i].name, nj = peers[j].name
                var parts: [ReasonText] = []
                if let r = reloads[j]?.last(where: { !$0.clean }) {
                    parts.append("\(peer: nj)'s page reloaded at \(time: r.time) without closing anything (crash and session restore)")
                }
                parts.append("\(peer: ni) still held its old connection, read it as connected and ignored \(peer: nj)'s online at \(time: ignored)")
                parts.append("that connection still belongs to \(peer: nj)'s old page and nothing dialled the new one")
                let context = PolicyRemedy.Context(heldLink: pages[Int(conn.page)].manager.link(conn.link))
                return PairDiagnosis(.zombieIgnoredOnline, parts.joined(separator: "; ") + remedy(.zombieIgnoredOnline, context))
            }
            let offering = [x, y].contains { [.haveLocalOffer, .haveRemoteOffer].contains($0.pc.signalingState) }
            if offering && (x.pc.remoteSessionID == nil || y.pc.remoteSessionID == nil) {
                // A page whose script is behind by more than the rest of the run (a slow or busy
                // machine) is what holds the description up (QA, session 15: "or lost" sent the
                // reader looking for dropped frames when none was dropped).
                var behind: [ReasonText] = []
                for (slot, n) in [(a, na), (b, nb)] {
                    guard let p = peers[slot].currentPage?.raw, let main = pages[Int(p)].threads.main else { continue }
                    let free = machines.free(main)
                    if free > endTime {
                        behind.append("\(peer: n)'s page has script work queued until \(time: free), after the end of the run (its machine is too slow or busy)")
                    }
                }
                let way: ReasonText = !behind.isEmpty ? "; " + behind.joined(separator: "; ")
                    : stats.signalsDropped == 0 ? " (a description still on its way)" : " (a description still on its way, or lost)"
                return PairDiagnosis(.negotiationIncomplete, "the offer/answer exchange between \(peer: na) and \(peer: nb) is not complete: \(peer: na)'s signalingState is \(x.pc.signalingState.w3cName), \(peer: nb)'s is \(y.pc.signalingState.w3cName)" + way)
            }
            // A dialler's connection with no description yet: its offer is still being created
            // (the run ended just after it dialled), not an older page's (QA, session 15).
            for (conn, n, m) in [(x, na, nb), (y, nb, na)]
            where conn.pc.signaling.localDescription == nil && conn.pc.remoteSessionID == nil
                && pages[Int(conn.page)].manager.link(conn.link)?.role == .active {
                return PairDiagnosis(.negotiationIncomplete, "the offer/answer exchange between \(peer: na) and \(peer: nb) has not started: \(peer: n) dialled \(peer: m) and its offer is not created yet (signalingState stable, no description); run longer")
            }
            return PairDiagnosis(.staleAssociation, "\(peer: na) and \(peer: nb) hold connections that do not belong to one association (one side talks to an older page or an abandoned negotiation)")
        }
        for (conn, n, m) in [(x, na, nb), (y, nb, na)] {
            if conn.observedConnection != .connected {
                let ice = conn.pc.iceConnectionState.w3cName
                let sig = conn.pc.signalingState.w3cName
                let cause: StuckCause
                switch conn.observedConnection {
                case .new, .connecting: cause = .notConnectedYet
                case .disconnected: cause = .connectionInterrupted
                case .failed, .closed, .connected: cause = .connectionFailed
                }
                let short = conn.observedConnection == .connecting || conn.observedConnection == .new ? nil
                    : shortNATMapping(conn === x ? a : b, conn === x ? b : a, conn).map { "; " + $0 } ?? ""
                return PairDiagnosis(cause, "\(peer: n)'s connection to \(peer: m) is \(conn.observedConnection.w3cName) (signalingState \(sig), iceConnectionState \(ice))" + (short ?? ""))
            }
        }
        // Both connections' states first: `channelNotOpen` means both are `connected`.
        for (conn, n, m) in [(x, na, nb), (y, nb, na)] {
            if !conn.observedChannelOpen {
                return PairDiagnosis(.channelNotOpen, "\(peer: n)'s connection to \(peer: m) is connected but its data channel is not open")
            }
        }
        return PairDiagnosis(.connected, "\(peer: na) and \(peer: nb) are connected")
    }

    /// "x's NAT forgets a mapping after L ..., a new connection would fail as well" when a NAT
    /// between the two (not inside one LAN) forgets a mapping sooner than `conn` sends its
    /// consent checks once settled: every connection through it loses its path.
    private func shortNATMapping(_ x: PeerID, _ y: PeerID, _ conn: ConnectionSlot) -> ReasonText? {
        guard let hx = peers[x].host.map({ network.hosts[Int($0.raw)] }),
              let hy = peers[y].host.map({ network.hosts[Int($0.raw)] }),
              !(hx.lan >= 0 && hx.lan == hy.lan) else { return nil }
        let interval = conn.pc.configuration.ice.stablePingInterval
        for (h, slot) in [(hx, x), (hy, y)] where h.nat >= 0 {
            let lifetime = network.nats[Int(h.nat)].mappingLifetime
            if lifetime < interval {
                return "\(peer: peers[slot].name)'s NAT forgets a mapping after \(time: lifetime) without an outbound packet, less than the \(time: interval) between consent checks of a settled connection, so a connection through it loses its path once it settles: a new connection would fail as well"
            }
        }
        return nil
    }

    /// A re-dial of the pair that the run's policy has armed and not yet made: who dials, the
    /// attempt, and when its backoff timer fires.
    private func pendingRedial(_ a: PeerID, _ b: PeerID) -> (dialer: PeerID, attempt: Int, at: Int64)? {
        for (x, y) in [(a, b), (b, a)] {
            guard let p = peers[x].currentPage?.raw,
                  let r = pages[Int(p)].manager.pendingRedial(to: peers[y].uid),
                  let timer = meshTimers.last(where: { $0.page == p && $0.remote == peers[y].uid && $0.token == r.token })
            else { continue }
            return (x, r.attempt, timer.at)
        }
        return nil
    }

    /// A side of the pair whose page the server refuses at every hello (its uid held by
    /// another page whose secret it lacks): nothing it signals reaches the other.
    private func refusedByServer(_ a: PeerID, _ b: PeerID) -> PairDiagnosis? {
        for (x, y) in [(a, b), (b, a)] {
            guard let p = peers[x].currentPage?.raw, pages[Int(p)].uidRefused else { continue }
            return PairDiagnosis(.uidTakenOver, "\(peer: peers[x].name) is refused by the server: its uid \(pages[Int(p)].uid) is held by another page whose secret it lacks (uidTaken), and it keeps saying hello with the same uid, so no signal reaches \(peer: peers[y].name) from it; no built-in policy takes a fresh uid on uidTaken")
        }
        return nil
    }

    /// When `x`'s page ignored an `online` of `y` after `y`'s page last reloaded: the zombie
    /// (the old connection still read connected). An `online` ignored before any reload of
    /// `y` was right: the connection was alive then.
    func ignoredOnlineAfterReload(_ x: PeerID, _ y: PeerID) -> Int64? {
        // A reload, or a new page after a leave or a crash: to `x`, the same uid on a new page.
        let since = max(reloads[y]?.last?.time ?? .min, rejoins[y] ?? .min)
        guard since > .min, let p = peers[x].currentPage?.raw,
              let ignored = pages[Int(p)].decisions[peers[y].uid]?.last(where: { $0.text.hasPrefix("online: ignored") }),
              ignored.time >= since else { return nil }
        return ignored.time
    }

    /// Every expected pair not connected at the end, with its diagnosis (the report's `stuck`).
    func stuckPairDiagnoses() -> [StuckPair] {
        var stuck: [StuckPair] = []
        let n = Int32(peers.count)
        for a in 0..<n where oracle.live[Int(a)] {
            for b in (a + 1)..<max(a + 1, n) where oracle.live[Int(b)] && !oracle.isConnected(a, b) {
                let (x, y) = (PeerID(a), PeerID(b))
                stuck.append(StuckPair(a: peers[x].name, b: peers[y].name, diagnosis: diagnosis(x, y)))
            }
        }
        return stuck
    }

    /// Connected pairs whose selected candidate pair goes through a TURN relay (either side's
    /// candidate is a relay one), as the `relayed` expectation judges a pair.
    func relayedPairCount() -> Int {
        var count = 0
        let n = Int32(peers.count)
        for a in 0..<n where oracle.live[Int(a)] {
            for b in (a + 1)..<max(a + 1, n) where oracle.live[Int(b)] && oracle.isConnected(a, b) {
                if let c = currentConnection(from: PeerID(a), to: PeerID(b)), connections[Int(c)].selectedRelay { count += 1 }
            }
        }
        return count
    }
}
