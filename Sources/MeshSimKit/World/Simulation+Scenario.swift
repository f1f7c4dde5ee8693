import SignalProtocol

/// The timed second half of a scenario event.
enum DeferredAction {
    /// A reloaded page loads again (`refresh` after its downtime), unless a later event on the
    /// peer (another refresh, a leave) moved the peer's `reloadEpoch` on.
    case reload(slot: PeerID, uid: String, epoch: UInt32)
    /// A reload's navigation commits: the old document goes away (`refresh`,
    /// `Simulation.reloadNavigation` after the event), unless a later event moved the epoch on.
    case reloadCommits(page: Int32, epoch: UInt32)
    /// A host's connectivity returns (`offline` after `for`).
    case hostOnline(Int32)
    /// An attacker's page tries its `index`-th attack.
    case attack(page: Int32, index: Int32)
}

/// Scenario events (docs/contract.md, "events"): every event the loader accepts is carried out.
extension Simulation {
    func runScenarioEvent(_ event: ScenarioEvent) {
        // A partition names both sides (the trace and Perfetto named only the first).
        var other: String?
        if case .partition(_, let b, _) = event.action { other = b }
        emit(.scenario, peer: event.action.peer.flatMap { name in slotIndex[name].map { _ in name } },
             remote: other, value: event.action.kindName)
        // The validator walked the same rules before the run, so a refusal here is a breach.
        if let refusal = roster.take(event.action) {
            invariants.record(now, "eventPeerExists", peers: refusal.peers, "\(event.path): \(refusal.text)")
            return
        }
        switch event.action {
        case .join(let peer):
            let slot = slotIndex[peer.id]!
            if peers[slot].currentPage != nil { rejoins[slot] = now }
            if let host = peers[slot].host, network.hosts[Int(host.raw)].vanished || peer.newHost { peers[slot].host = nil }
            // A machine named by the event takes the place of the one the peer left from.
            if peer.machine != nil { peers[slot].machine = nil }
            let host = ensureHost(slot: slot, peer: peer)
            loadPage(slot: slot, uid: peer.id, host: host.raw, preloaded: peer.preloaded)
        case .refresh(let peer, let downtime, let clean):
            guard let (slot, page, uid) = livePeer(peer, event) else { return }
            reloads[slot, default: []].append((now, clean))
            peers[slot].reloadEpoch &+= 1
            // clean: the old document runs until the reload's navigation commits, then
            // Chromium closes every connection (SCTP ABORT) and the WebSocket on unload;
            // unclean (crash and session restore): nothing is closed, packets simply stop.
            // Reloaded again while still loading: the downtime starts over.
            if let page {
                if clean {
                    defer_(.reloadCommits(page: page, epoch: peers[slot].reloadEpoch), at: now + Self.reloadNavigation)
                } else {
                    unloadPage(page, closeConnections: false, closeSocket: false)
                }
            }
            peers[slot].reloadPending = uid
            defer_(.reload(slot: slot, uid: uid, epoch: peers[slot].reloadEpoch), at: now + downtime)
        case .duplicateTab(let peer, let name):
            guard let (source, _, uid) = livePeer(peer, event), let slot = slotIndex[name] else { return }
            let host = peers[source].host
            peers[slot].host = host
            // A tab of the same browser on the same computer.
            peers[slot].machine = peers[source].machine
            // The copy of sessionStorage carries the reclaim secret beside the uid (a tab still
            // reloading has its sessionStorage all the same).
            peers[slot].sessionSecret = peers[source].sessionSecret
            // The same document, so the same script (and its logging).
            peers[slot].devtoolsLogging = peers[source].devtoolsLogging
            // To the others, a new page of a known uid, as after a reload (for diagnosis: an
            // `online` of the copy ignored for the source's connection; QA, session 15).
            rejoins[slot] = now
            loadPage(slot: slot, uid: uid, host: host!.raw)
        case .wsDrop(let peer, let after):
            // A page still reloading has no WebSocket to drop.
            guard let (_, page, _) = livePeer(peer, event), let page else { return }
            pages[Int(page)].wsNextDelay = after
            pageClosesWebSocket(page)
            scheduleReconnect(page: page)
        case .leave(let peer):
            // The tab closes: its WebSocket closes at once; its connections vanish without an
            // SCTP abort, as when Chromium closes a tab (calibration exp3: remote channels stay open).
            // A tab closed while reloading never loads again.
            guard let (slot, page, _) = livePeer(peer, event) else { return }
            peers[slot].reloadEpoch &+= 1
            peers[slot].reloadPending = nil
            if let page { unloadPage(page, closeConnections: false, closeSocket: true) }
        case .crash(let peer):
            guard let (slot, _, _) = livePeer(peer, event) else { return }
            let host = peers[slot].host!.raw
            network.hosts[Int(host)].vanished = true
            // Every page on the machine goes with it, without a word to anyone.
            for p in pages.indices where pages[p].alive && pages[p].host == host {
                unloadPage(Int32(p), closeConnections: false, closeSocket: false)
            }
        case .offline(let peer, let duration):
            guard let (slot, _, _) = livePeer(peer, event) else { return }
            let host = peers[slot].host!.raw
            // Overlapping outages: connectivity returns when the last of them ends.
            let until = now + duration
            network.hosts[Int(host)].offlineUntil = max(network.hosts[Int(host)].offlineUntil, until)
            if network.hosts[Int(host)].online {
                network.hosts[Int(host)].online = false
                // Every page on the machine loses connectivity (a duplicated tab too).
                for p in pages.indices where pages[p].alive && pages[p].host == host {
                    emit(.host, peer: pages[p].name, value: "offline", page: Int32(p))
                }
            }
            defer_(.hostOnline(host), at: until)
        case .partition(let a, let b, let duration):
            guard let sa = slotIndex[a], let sb = slotIndex[b] else { return }
            network.partitions.append((peers[sa].host?.raw ?? -1, peers[sb].host?.raw ?? -1, now + duration))
        case .serverRestart(let downtime):
            serverGoesDown(for: downtime)
        case .network(let patch):
            let hadTURN = network.settings.turn
            network.settings = patch.applied(to: network.settings)
            // For diagnosis: a TURN server the run had, turned off (an outage), is not one to add.
            if hadTURN && !network.settings.turn { turnOffSince = now }
            if network.settings.turn { turnOffSince = nil }
        }
    }

    func runDeferred(_ action: DeferredAction) {
        switch action {
        case .reload(let slot, let uid, let epoch):
            let host = peers[slot].host!.raw
            guard epoch == peers[slot].reloadEpoch else { return }
            peers[slot].reloadPending = nil
            // A downtime shorter than the navigation: the old document goes now.
            if let old = peers[slot].currentPage?.raw, pages[Int(old)].alive {
                unloadPage(old, closeConnections: true, closeSocket: true, unload: .documentUnload)
            }
            guard !network.hosts[Int(host)].vanished else { return }
            loadPage(slot: slot, uid: uid, host: host)
        case .reloadCommits(let page, let epoch):
            guard epoch == peers[pages[Int(page)].slot].reloadEpoch else { return }
            unloadPage(page, closeConnections: true, closeSocket: true, unload: .documentUnload)
        case .hostOnline(let host):
            guard !network.hosts[Int(host)].vanished, !network.hosts[Int(host)].online,
                  now >= network.hosts[Int(host)].offlineUntil else { return }
            network.hosts[Int(host)].online = true
            for p in pages.indices where pages[p].alive && pages[p].host == host {
                emit(.host, peer: pages[p].name, value: "online", page: Int32(p))
            }
        case .attack(let page, let index):
            runAttack(page: page, index: index)
        }
    }

    /// How long a reloaded document keeps running before the new one commits: Chromium's
    /// `pagehide` came 13.9–25.5 ms after the crosscheck driver's reload (median 18.3 ms, idle
    /// recordings), a step of which is the driver's own `evaluate` before `page.reload()`
    /// (docs/model.md, "Teardown"). Its script, WebSocket and connections work meanwhile.
    static let reloadNavigation: Int64 = 16_000_000

    func defer_(_ action: DeferredAction, at time: Int64) {
        deferred.append(action)
        queue.push(.deferred(Int32(deferred.count - 1)), at: time)
    }

    /// The peer an event names, which the roster says exists: its slot, its live page (nil while
    /// a `refresh` is reloading it: the peer still exists, docs/contract.md) and the uid its
    /// sessionStorage holds. A world that disagrees with the roster is an invariant violation
    /// rather than a crash.
    private func livePeer(_ peer: String, _ event: ScenarioEvent) -> (slot: PeerID, page: Int32?, uid: String)? {
        guard let slot = slotIndex[peer] else {
            invariants.record(now, "eventPeerExists", peers: [peer], "\(event.path): unknown peer \(peer)")
            return nil
        }
        if let page = peers[slot].currentPage?.raw, pages[Int(page)].alive { return (slot, page, pages[Int(page)].uid) }
        // A reload is pending, and the host is still there to load it.
        if let uid = peers[slot].reloadPending, let host = peers[slot].host, !network.hosts[Int(host.raw)].vanished { return (slot, nil, uid) }
        invariants.record(now, "eventPeerExists", peers: [peer], "\(event.path): \(peer) exists by the rules of who exists when, but has no live page and no reload pending")
        return nil
    }

    /// An event that touches only what is not the mesh (an attacker's join, reload or leave, a
    /// partition with one): attackers are not members of the mesh, so it neither joins nor
    /// disrupts it (`convergedWithin`, `noRenegotiation`).
    func onlyTouchesAttackers(_ e: ScenarioEvent) -> Bool {
        switch e.action {
        case .partition(let a, let b, _): return isAttackerName(a) || isAttackerName(b)
        case .serverRestart, .network: return false
        default: return e.action.peer.map(isAttackerName) ?? false
        }
    }

    func isAttackerName(_ name: String) -> Bool {
        slotIndex[name].map { isAttacker(slot: $0) } ?? false
    }

    /// When the last join or disruption ends (docs/contract.md `convergedWithin`), counting only those
    /// that began before the run stopped (`--until` may stop it before the file's duration).
    var lastDisruptionEnd: Int64 { convergenceStart.time }

    /// What `convergedWithin` counts from: the moment, and in words what ended then ("the
    /// last join (p98)", "the last disruption (refresh of p07)"), so a report never calls a
    /// join a disruption. The latest wins; on a tie, the one written last.
    var convergenceStart: (time: Int64, what: String, isJoin: Bool) {
        var start: (time: Int64, what: String, isJoin: Bool) = (0, "the start of the run", true)
        for p in scenario.peers where p.join <= endTime && p.join >= start.time && !isAttackerName(p.id) {
            start = (p.join, "the last join (\(p.id))", true)
        }
        for e in scenario.events where e.at <= endTime && e.end >= start.time && !onlyTouchesAttackers(e) {
            start = e.isDisruptive ? (e.end, "the last disruption (\(e.summary))", false)
                                   : (e.end, "the last join (\(e.action.peer ?? ""))", true)
        }
        return start
    }
}
