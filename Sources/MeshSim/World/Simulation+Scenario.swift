import SignalProtocol

/// The timed second half of a scenario event.
enum DeferredAction {
    /// A reloaded page loads again (`refresh` after its downtime).
    case reload(slot: Int32, uid: String)
    /// A host's connectivity returns (`offline` after `for`).
    case hostOnline(Int32)
    /// An attacker's page tries its `index`-th attack.
    case attack(page: Int32, index: Int32)
}

/// Scenario events (CONTRACT, "events"): every event the loader accepts is carried out.
extension Simulation {
    func runScenarioEvent(_ event: ScenarioEvent) {
        trace.line(now, "scenario", peer: event.action.peer.flatMap { name in slotIndex[name].map { _ in name } },
                   value: event.action.kindName)
        switch event.action {
        case .join(let peer):
            let slot = slotIndex[peer.id]!
            var host = slotHost[Int(slot)]
            if host < 0 || network.hosts[Int(host)].vanished {
                slotHost[Int(slot)] = -1
                host = ensureHost(slot: slot, peer: peer)
            }
            loadPage(slot: slot, uid: peer.id, host: host)
        case .refresh(let peer, let downtime, let clean):
            guard let (slot, page) = livePage(peer, event) else { return }
            let uid = pages[Int(page)].uid
            reloads[slot, default: []].append((now, clean))
            // clean: Chromium closes every connection (SCTP ABORT) and the WebSocket on unload;
            // unclean (crash and session restore): nothing is closed, packets simply stop.
            unloadPage(page, closeConnections: clean, closeSocket: clean)
            defer_(.reload(slot: slot, uid: uid), at: now + downtime)
        case .duplicateTab(let peer, let name):
            guard let (_, page) = livePage(peer, event), let slot = slotIndex[name] else { return }
            let host = pages[Int(page)].host
            slotHost[Int(slot)] = host
            // The copy of sessionStorage carries the reclaim secret beside the uid.
            sessionSecrets[Int(slot)] = sessionSecrets[Int(pages[Int(page)].slot)]
            loadPage(slot: slot, uid: pages[Int(page)].uid, host: host)
        case .wsDrop(let peer, let after):
            guard let (_, page) = livePage(peer, event) else { return }
            pages[Int(page)].wsNextDelay = after
            pageClosesWebSocket(page)
            scheduleReconnect(page: page)
        case .leave(let peer):
            // The tab closes: its WebSocket closes at once; its connections vanish without an
            // SCTP abort, as when Chromium closes a tab (calibration exp3: remote channels stay open).
            guard let (_, page) = livePage(peer, event) else { return }
            unloadPage(page, closeConnections: false, closeSocket: true)
        case .crash(let peer):
            guard let (slot, _) = livePage(peer, event) else { return }
            let host = slotHost[Int(slot)]
            network.hosts[Int(host)].vanished = true
            // Every page on the machine goes with it, without a word to anyone.
            for p in pages.indices where pages[p].alive && pages[p].host == host {
                unloadPage(Int32(p), closeConnections: false, closeSocket: false)
            }
        case .offline(let peer, let duration):
            guard let (slot, _) = livePage(peer, event) else { return }
            let host = slotHost[Int(slot)]
            network.hosts[Int(host)].online = false
            trace.line(now, "host", peer: peer, value: "offline")
            hostReachabilityChanged(host)
            defer_(.hostOnline(host), at: now + duration)
        case .partition(let a, let b, let duration):
            guard let sa = slotIndex[a], let sb = slotIndex[b] else { return }
            network.partitions.append((slotHost[Int(sa)], slotHost[Int(sb)], now + duration))
        case .serverRestart(let downtime):
            serverGoesDown(for: downtime)
        case .network(let patch):
            network.settings = patch.applied(to: network.settings)
        }
    }

    func runDeferred(_ action: DeferredAction) {
        switch action {
        case .reload(let slot, let uid):
            let host = slotHost[Int(slot)]
            guard !network.hosts[Int(host)].vanished else { return }
            loadPage(slot: slot, uid: uid, host: host)
        case .hostOnline(let host):
            guard !network.hosts[Int(host)].vanished else { return }
            network.hosts[Int(host)].online = true
            for p in pages.indices where pages[p].alive && pages[p].host == host {
                trace.line(now, "host", peer: pages[p].name, value: "online")
            }
            hostReachabilityChanged(host)
        case .attack(let page, let index):
            runAttack(page: page, index: index)
        }
    }

    func defer_(_ action: DeferredAction, at time: Int64) {
        deferred.append(action)
        queue.push(.deferred(Int32(deferred.count - 1)), at: time)
    }

    /// The live page of a peer an event names; the loader guarantees it exists, and a breach is
    /// an invariant violation rather than a crash.
    private func livePage(_ peer: String, _ event: ScenarioEvent) -> (Int32, Int32)? {
        guard let slot = slotIndex[peer] else {
            invariants.record(now, "eventPeerExists", peers: [peer], "\(event.path): unknown peer \(peer)")
            return nil
        }
        let page = currentPage[Int(slot)]
        guard page >= 0, pages[Int(page)].alive else {
            invariants.record(now, "eventPeerExists", peers: [peer], "\(event.path): \(peer) has no live page at this time")
            return nil
        }
        return (slot, page)
    }

    private func hostReachabilityChanged(_ host: Int32) {
        for p in pages.indices where pages[p].host == host {
            pageLiveChanged(slot: pages[p].slot)
        }
    }

    /// When the last join or disruption ends (CONTRACT `convergedWithin`).
    var lastDisruptionEnd: Int64 {
        let joins = scenario.peers.map(\.join).max() ?? 0
        return scenario.events.reduce(joins) { max($0, $1.end) }
    }
}
