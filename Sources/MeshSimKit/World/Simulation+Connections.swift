import SignalProtocol

/// Peer connections: carrying out the managers' and the connections' actions, datagrams.
extension Simulation {
    /// Carry out a page manager's actions.
    func execute(_ actions: [MeshAction], page: Int32) {
        let p = Int(page)
        for action in actions {
            switch action {
            case .createConnection(let link, let remote, let role):
                blockingCall(.createPeerConnection, page: page)
                createConnection(page: page, link: link, remote: remote, role: role)
            case .createDataChannel(let link, let label):
                let c = pages[p].linkConnections[Int(link.raw)]
                guard !connections[Int(c)].closed else { continue }
                blockingCall(.createDataChannel, page: page)
                callConnection(c) { slot, out in _ = slot.pc.createDataChannel(label: label, now: now, into: &out) }
            case .restartIce(let link):
                let c = pages[p].linkConnections[Int(link.raw)]
                guard !connections[Int(c)].closed else { continue }
                connections[Int(c)].pc.restartIce()
                stats.iceRestarts += 1
            case .operation(let link, let op):
                let c = pages[p].linkConnections[Int(link.raw)]
                guard !connections[Int(c)].refused else { continue }
                callConnection(c) { slot, out in slot.pc.enqueue(op, now: now, into: &out) }
            case .close(let link):
                let c = pages[p].linkConnections[Int(link.raw)]
                if !connections[Int(c)].closed { blockingCall(.closePeerConnection, page: page) }
                closeConnection(c)
            case .sendSignal(let to, let payload, let toInstance):
                cursor = charge(.sendMessage, page: page, readyAt: cursor)
                let serial = signalsSent
                signalsSent &+= 1
                emit(.signal, peer: pages[p].name, remote: to, value: payload.kindName, page: page, signal: serial)
                sendToServer(page: page, .signal(from: nil, to: to, payload: payload, toInstance: toInstance), signal: serial)
            case .sendData(let link, let label, let size):
                let c = pages[p].linkConnections[Int(link.raw)]
                callConnection(c) { slot, out in _ = slot.pc.send(label: label, size: size, now: now, into: &out) }
            case .note(let remote, let text):
                emit(.decision, peer: pages[p].name, remote: remote, value: text, page: page)
                var list = pages[p].decisions[remote, default: []]
                if list.count >= 6 { list.removeFirst() }
                list.append((now, text))
                pages[p].decisions[remote] = list
            case .setTimer(let remote, let token, let delay, let jitter):
                // The policy's jitter: a draw only when it asks for one, so policies without
                // jitter consume the generator as before.
                let stretched = jitter > 0 ? Int64(Double(delay) * (1 + jitter * (2 * rng.nextUnit() - 1))) : delay
                meshTimers.append((page, remote, token, cursor + max(0, stretched)))
                queue.push(.meshTimer(Int32(meshTimers.count - 1)), at: cursor + max(0, stretched))
            case .rejoin(let uid):
                rejoin(page: page, uid: uid)
            }
        }
    }

    private func createConnection(page: Int32, link: LinkID, remote: String, role: LinkRole) {
        let p = Int(page)
        let index = Int32(connections.count)
        let host = pages[p].host
        let cap = network.settings.ice.maxPeerConnections
        let refused = cap > 0 && pages[p].openConnections >= cap
        let port: UInt16 = refused ? 0 : allocatePort(host: host, connection: index)
        let identity = PeerConnectionIdentity(sessionID: UInt64(index) + 1, ufrag: token(8), pwd: token(12),
                                              fingerprint: "fp-\(index + 1)", tieBreaker: rng.next())
        // The operations chain runs as the page's signaling thread gets to it (`carryOut`).
        var configuration = PeerConnectionConfiguration(ice: network.settings.ice.configuration, operationDelay: 0)
        configuration.stunServer = network.settings.stun ? Network.stunServer : nil
        configuration.turnServer = network.settings.turn ? Network.turnServer : nil
        if sharedConfiguration?.value != configuration { sharedConfiguration = SharedConfiguration(configuration) }
        let pc = PeerConnection(shared: sharedConfiguration!, scratch: connectionScratch, identity: identity,
                                base: TransportAddress(ip: network.hosts[Int(host)].ip, port: port))
        connections.append(ConnectionSlot(pc: pc, page: page, link: link, remoteUID: remote, port: port))
        while pages[p].linkConnections.count <= Int(link.raw) { pages[p].linkConnections.append(-1) }
        pages[p].linkConnections[Int(link.raw)] = index
        pages[p].latestConnection[remote] = index
        stats.connectionsCreated += 1
        if refused {
            // Chromium throws on `new RTCPeerConnection` past its cap; the page's wrapper is left
            // with a peer that never does anything.
            connections[Int(index)].refused = true
            connections[Int(index)].closed = true
            stats.connectionsRefused += 1
            emit(.connection, peer: pages[p].name, remote: remote, value: "refused",
                 detail: "Chromium allows at most \(cap) RTCPeerConnections per page", page: Int32(p), connection: index)
        } else {
            pages[p].openConnections += 1
            emit(.connection, peer: pages[p].name, remote: remote, value: role == .active ? "active" : "passive", page: Int32(p), connection: index)
            if traffic != nil { openTrafficChannels(connection: index) }
        }
    }

    /// A duplicated tab that lost its uid takes a fresh one and connects again.
    private func rejoin(page: Int32, uid: String) {
        let p = Int(page)
        let slot = pages[p].slot
        let old = peers[slot].uid
        uidSlots[old]?.removeAll { $0 == slot }
        peers[slot].uid = uid
        uidSlots[uid, default: []].append(slot)
        pages[p].formerUids.append(pages[p].uid)
        pages[p].uid = uid
        pages[p].wsGaveUp = false
        pages[p].wsFailures = 0
        emit(.uid, peer: pages[p].name, value: uid, page: Int32(p))  // docs/contract.md's `page` is load/unload only
        if !pages[p].wsOpen { openWebSocket(page: page) }
    }

    /// A random token of ICE-char letters (ufrag, pwd), short enough to stay a small string.
    private func token(_ length: Int) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(length)
        var bits = rng.next()
        var left = 10
        for _ in 0..<length {
            if left == 0 {
                bits = rng.next()
                left = 10
            }
            bytes.append(alphabet[Int(bits & 63)])
            bits >>= 6
            left -= 1
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    func closeConnection(_ c: Int32) {
        let i = Int(c)
        guard !connections[i].closed else { return }
        callConnection(c) { slot, out in slot.pc.close(now: now, into: &out) }
        connections[i].closed = true
        connections[i].closedAt = now
        connections[i].closedBecause = pages[Int(connections[i].page)].decisions[connections[i].remoteUID]?.last.flatMap {
            $0.time == now ? $0.text : nil
        }
        let page = Int(connections[i].page)
        pages[page].openConnections -= 1
        hostSockets[Int(pages[page].host)].release(connections[i].port)
        emit(.connection, peer: pages[page].name, remote: connections[i].remoteUID, value: "closed",
             page: Int32(page), connection: c)
    }

    /// Carry out a connection's actions, then re-arm its timer.
    /// Each action is moved out of `actions` (a trivial placeholder takes its place), so that
    /// the packets and events it carries are not copied on their way out.
    func carryOut(_ actions: inout [PCAction], connection c: Int32) {
        let i = Int(c)
        let slot = connections[i]
        let page = slot.page
        for k in actions.indices {
            var action = PCAction.scheduleTask(at: 0)
            swap(&action, &actions[k])
            switch consume action {
            case .sendDatagram(let to, let packet):
                // `consume packet`: without it the datagram's fields were copied through the
                // runtime's generic tuple value witness (2 % of a 100-peer run).
                if traffic != nil && TrafficLedger.isDataPath(packet) {
                    sendInOrder(Datagram(from: slot.base, to: to, packet: consume packet, sender: c), fromHost: pages[Int(page)].host, connection: c)
                    continue
                }
                if packet.isSTUNFormatted, !slot.heardFrom.contains(to), !stunLeaves(packet, page: page) { continue }
                send(Datagram(from: slot.base, to: to, packet: consume packet, sender: c), fromHost: pages[Int(page)].host)
            case .sendOverTCP(let to, let packet):
                send(Datagram(from: slot.base, to: to, packet: consume packet, sender: c, tcp: true), fromHost: pages[Int(page)].host)
            case .scheduleTask(let at):
                // The next chained operation runs on the page's signaling thread, after
                // everything queued there before it.
                // Read in place: a getter on `slot.pc` would copy the whole connection.
                guard let work = slot.inPlace({ pc in
                    pc.nextOperation.map { CPUWork.operation($0, remoteDescription: pc.signaling.remoteDescription != nil) }
                }) else { continue }
                queue.push(.pcTask(c), at: charge(work, page: page, readyAt: max(at, cursor)))
            case .event(let event):
                if connections[i].closed {
                    invariants.record(now, "closedConnectionSilent", peers: [pages[Int(page)].name, connections[i].remoteUID], "\(pages[Int(page)].name)'s closed connection to \(connections[i].remoteUID) raised an event")
                    continue
                }
                checkRaised(event, connection: c)
                deliveries.append(Delivery(connection: c, event: event, readyAt: cursor))
            case .data(let event):
                dataEvent(event, connection: c)
            }
        }
        if let d = slot.pc.nextDeadline, d < slot.timerAt, !slot.closed { rearmTimer(c, at: d) }
        if traffic != nil, !slot.closed { syncDataTimer(c, slot) }
    }

    /// Schedule connection `c`'s timer for `d` (now if `d` has passed). The pending one is
    /// withdrawn from the queue if it still waits in a bucket, else it comes due stale; either
    /// way it counts as an event of the run (`Simulation.run`), so only the work changes.
    func rearmTimer(_ c: Int32, at d: Int64) {
        let slot = connections[Int(c)]
        if slot.timerTicket != 0 { queue.withdraw(slot.timerTicket, .pcTimer(c, epoch: slot.timerEpoch)) }
        slot.timerEpoch &+= 1
        slot.timerAt = d
        slot.timerTicket = queue.pushWithdrawable(.pcTimer(c, epoch: slot.timerEpoch), at: max(d, now))
    }

    /// What must hold of a connection when it raises an event (its state then, not when the
    /// page's script gets to the event).
    private func checkRaised(_ event: PCEvent, connection c: Int32) {
        let i = Int(c)
        switch event {
        case .iceConnectionStateChange(.failed):
            let name = pages[Int(connections[i].page)].name, remote = connections[i].remoteUID
            invariants.record(now, "noIceFailedState", peers: [name, remote], "\(name)'s connection to \(remote) reported iceConnectionState failed, which Chromium never reports")
        case .connectionStateChange(.connected) where connections[i].inPlace({ $0.signaling.remoteDescription == nil }):
            let name = pages[Int(connections[i].page)].name, remote = connections[i].remoteUID
            invariants.record(now, "connectedNeedsRemoteDescription", peers: [name, remote], "\(name)'s connection to \(remote) is connected without a remote description")
        case .dataChannelOpen(let label, _) where connections[i].pc.association.sctp != .established:
            let name = pages[Int(connections[i].page)].name, remote = connections[i].remoteUID
            invariants.record(now, "channelNeedsAssociation", peers: [name, remote], "\(name)'s data channel \(label) to \(remote) opened without an SCTP association")
        default:
            break
        }
    }

    /// Trace an event the page's script received and update what the oracle sees.
    func observe(_ event: PCEvent, connection c: Int32) {
        let i = Int(c)
        let name = pages[Int(connections[i].page)].name
        let remote = connections[i].remoteUID
        let page = connections[i].page
        func emitHere(_ kind: ObservationKind, _ value: String, detail: String? = nil) {
            emit(kind, peer: name, remote: remote, value: value, detail: detail, page: page, connection: c)
        }
        switch event {
        case .signalingStateChange(let s):
            emitHere(.signalingState, s.w3cName)
            // Applying a remote description tells the connection which remote connection it
            // belongs to (the description's session id): the association the oracle judges by.
            let remoteSession = connections[i].inPlace { $0.remoteSessionID }
            if remoteSession != connections[i].announcedRemoteSession {
                if connections[i].announcedRemoteSession != nil { connections[i].foreignOfferAt = now }
                connections[i].announcedRemoteSession = remoteSession
                if let remoteSession { emitHere(.association, String(remoteSession)) }
            }
        case .iceGatheringStateChange(let s):
            emitHere(.iceGatheringState, s.w3cName)
        case .iceConnectionStateChange(let s):
            if s == .connected {
                connections[i].iceEverConnected = true
                connections[i].iceConnectedSinceRestart = true
            }
            if s == .new { connections[i].iceConnectedSinceRestart = false }
            emitHere(.iceConnectionState, s.w3cName)
        case .connectionStateChange(let s):
            emitHere(.connectionState, s.w3cName)
            connections[i].observedConnection = s
            if s == .connected { connections[i].sawConnected = true }
            if s == .failed { pages[Int(connections[i].page)].failedWith.insert(remote) }
        case .iceCandidate(let candidate):
            if let candidate {
                // A TCP candidate says so (Chromium's TCP phase, docs/model.md section 5).
                emitHere(.candidate, candidate.type.description,
                         detail: candidate.transport == .tcp ? "tcp \(candidate.tcpType.map { "\($0)" } ?? "")" : nil)
            }
        case .candidateLearned(let candidate):
            emitHere(.candidate, candidate.type.description)
        case .selectedPairChange(let l, let r):
            connections[i].selectedRelay = l.type == .relay || r.type == .relay
            emitHere(.selectedPair, "\(l.type)/\(r.type)")
        case .dataChannelOpen:
            emitHere(.dataChannel, "open")
            connections[i].observedChannelOpen = true
        case .dataChannelClosing:
            emitHere(.dataChannel, "closing")
        case .dataChannelClosed(_, let error):
            if error {
                // Chromium's RTCErrorEvent before `close` when the remote aborted the association
                // (docs/calibration/chromium, experiment 3).
                emitHere(.error, "OperationError", detail: "data channel: User-Initiated Abort, reason=Close called (sctp-failure, SCTP cause 12)")
            }
            emitHere(.dataChannel, "closed")
            connections[i].observedChannelOpen = false
        case .dataChannelMessage(_, let size):
            emitHere(.data, "\(size)")
        case .operationComplete(let kind, let result):
            switch result {
            case .success:
                if kind == .createOffer {
                    stats.offersCreated += 1
                    offerLog.append(OfferRecord(time: now, slot: pages[Int(connections[i].page)].slot, remoteUID: remote))
                }
            case .failure(let e):
                stats.operationErrors += 1
                emitHere(.error, e.name.rawValue, detail: e.message)
            }
        }
    }

    // MARK: - Datagrams

    /// Put a datagram on the network (nil host: from the STUN or TURN server).
    func send(_ d: consuming Datagram, fromHost: Int32?) {
        // What a drop needs to know, so that the datagram itself moves into the network.
        let checkSender = Self.checkSender(d)
        switch network.send(d, fromHost: fromHost, now: cursor, rng: &rng) {
        case .success(let (slot, at)):
            queue.push(.datagramArrive(slot), at: at)
        case .failure(let drop):
            noteDrop(drop.reason, checkSender: checkSender)
        }
    }

    /// The connection that sent `d` if it is a connectivity check, else -1.
    private static func checkSender(_ d: borrowing Datagram) -> Int32 {
        guard d.sender >= 0, case .stun(let m) = d.packet, m.kind == .bindingRequest else { return -1 }
        return d.sender
    }

    /// Remember a dropped check on its sender, for diagnosis.
    private func noteDrop(_ reason: DropReason, _ d: Datagram) {
        noteDrop(reason, checkSender: Self.checkSender(d))
    }

    private func noteDrop(_ reason: DropReason, checkSender: Int32) {
        guard checkSender >= 0 else { return }
        connections[Int(checkSender)].checkDrops.record(reason)
    }

    func datagramArrived(_ slot: Int32) {
        var d = network.take(slot)
        switch network.route(&d, now: now) {
        case .stunServer:
            eventProfile?.count(.toServers)
            guard network.settings.stun, let response = STUNServer.answer(d) else { return }
            send(response, fromHost: nil)
        case .turnServer:
            eventProfile?.count(.toServers)
            guard network.settings.turn else { return }
            if let response = STUNServer.answer(d, from: Network.turnServer) {
                send(response, fromHost: nil)
                return
            }
            guard case .turn(let m) = d.packet else { return }
            callTURNServer { t, out in t.receiveFromClient(m, client: d.from, transport: d.tcp ? .tcp : .udp, now: now, into: &out) }
        case .turnRelay:
            eventProfile?.count(.toServers)
            guard network.settings.turn else { return }
            callTURNServer { t, out in t.receiveFromPeer(d.packet, peer: d.from, relayed: d.to, now: now, into: &out) }
        case .host(let host):
            guard network.isReachable(host), let c = hostSockets[Int(host)].owner(of: d.to.port),
                  !connections[Int(c)].closed else { return }
            eventProfile?.count(d.packet)
            let heardSTUN = d.packet.isSTUNRequestOrResponse
            callConnection(c) { slot, out in
                if heardSTUN { slot.heardFrom.insert(d.from) }
                // Charged before the connection sees it: what it sends leaves when the work ends.
                cursor = charge(receiveWork(CPUWork.packet(d.packet), slot: slot), page: slot.page, readyAt: now)
                slot.pc.receive(d.packet, from: d.from, overTCP: d.tcp, now: now, into: &out)
            }
        case .dropped(let reason):
            eventProfile?.count(.dropped)
            noteDrop(reason, d)
        }
    }

    /// Whether STUN `packet`, to an address its connection's socket has not heard from, leaves
    /// `page`'s browser: within the page's limit (`STUNThrottle`).
    @inline(never)
    private func stunLeaves(_ packet: PeerPacket, page: Int32) -> Bool {
        if pages[Int(page)].stunThrottle.admit(packet.stunBytes, at: cursor) { return true }
        stats.stunThrottled += 1
        return false
    }

    /// The network thread's work for a packet whose kind is `work`, received by the connection in
    /// `slot`: a copy of a DTLS flight already handled costs a packet, not the crypto.
    @inline(__always)
    private func receiveWork(_ work: CPUWork, slot: ConnectionSlot) -> CPUWork {
        guard let n = work.dtlsFlight, !slot.inPlace({ $0.association.receivingFlightDoesHandshakeWork(n) }) else { return work }
        return .dtlsRepeatedFlight
    }

    /// Carry out what the TURN server sends.
    func carryOut(_ outputs: [TURNServerOutput]) {
        for o in outputs {
            switch o {
            case .toClient(let client, let transport, let m):
                send(Datagram(from: Network.turnServer, to: client, packet: .turn(m), tcp: transport == .tcp), fromHost: nil)
            case .toPeer(let from, let to, let packet):
                send(Datagram(from: from, to: to, packet: packet), fromHost: nil)
            }
        }
    }
}

/// An offer some page created, for the `noRenegotiation` expectation.
struct OfferRecord {
    let time: Int64
    let slot: PeerID
    let remoteUID: String
}
