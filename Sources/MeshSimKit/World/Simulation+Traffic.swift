import SignalProtocol

/// Application traffic over the mesh's data channels (scenario `traffic`, docs/model.md
/// "Application data"): each flow's senders send on a negotiated channel of their own on every
/// current connection to a receiver, and the ledger records what became of every message.
///
/// The page's script as a real application would write it: a rate flow sends one message per
/// interval to each receiver whose channel is open, skipping a message while the channel's
/// `bufferedAmount` is above a high-water mark (1 MiB); a bulk flow (`totalBytes` without
/// `rate`) fills the channel up to the mark and continues on `bufferedamountlow` (threshold
/// 256 KiB).
extension Simulation {
    /// A connection was created: open the negotiated channel of every flow between the two
    /// peers (both sides do, with the same id, so no DCEP is needed).
    func openTrafficChannels(connection c: Int32) {
        let slot = connections[Int(c)]
        // The data transport's timers get a timer of their own (`syncDataTimer`).
        slot.inPlace { $0.runDataTimersApart() }
        let me = pages[Int(slot.page)].uid
        for (i, f) in scenario.traffic.enumerated() where f.involves(me, slot.remoteUID) {
            let stream = TrafficLedger.stream(flow: i)
            callConnection(c) { slot, out in
                slot.pc.openDataChannel(label: "traffic\(i)", stream: stream, options: f.channelOptions, now: now, into: &out)
                slot.pc.setBufferedAmountLowThreshold(stream: stream, traffic!.lowWater(flow: i))
            }
        }
    }

    /// A page loaded: start the flows it sends in.
    func startTraffic(page: Int32) {
        let p = Int(page)
        let me = pages[p].uid
        for (i, f) in scenario.traffic.enumerated() where !f.isMedia {
            let sender: Bool
            switch f.pattern {
            case .allToAll: sender = true
            case .oneToAll, .pair: sender = f.from == me
            }
            guard sender else { continue }
            let stop = min(f.stop ?? endTime, endTime)
            var first = max(now, f.start)
            // Spread the senders of a rate flow over its interval, deterministically.
            if let interval = f.interval { first += interval * Int64(pages[p].slot.raw % 64) / 64 }
            if first < stop {
                queue.push(.trafficTick(page: page, flow: UInt32(i)), at: first)
                if f.interval != nil { traffic?.ticks[Int64(page) << 32 | Int64(i)] = (first, 0) }
            }
        }
    }

    /// A flow's time to send on a page: each current connection to a receiver gets its message
    /// (a rate flow) or is filled up to the high-water mark (a bulk flow).
    func trafficTick(page: Int32, flow fi: Int) {
        let p = Int(page)
        guard pages[p].alive, traffic != nil else { return }
        let f = scenario.traffic[fi]
        let stop = min(f.stop ?? endTime, endTime)
        guard now >= f.start, now < stop else { return }
        let list = tickConnections(page: page, flow: fi)
        if f.interval != nil { beginSendBatch(page: page, flow: fi, connections: list) }
        defer { traffic!.sendBatch = nil }
        if f.interval != nil { countUnreachedReceivers(page: page, flow: fi, connections: list) }
        for c in list {
            let slot = connections[Int(c)]
            guard !slot.closed else { continue }
            let d = traffic!.direction(connection: c, flow: Int32(fi), page: page, senderName: pages[p].name, receiver: { receiverName(c) })
            if f.interval != nil {
                sendTrafficMessage(page: page, connection: c, flow: fi, direction: d, bulk: false)
            } else {
                while pages[p].alive && !connections[Int(c)].closed
                        && sendTrafficMessage(page: page, connection: c, flow: fi, direction: d, bulk: true) {}
            }
        }
        if f.interval != nil, let rate = f.rate, let tick = traffic!.ticks[Int64(page) << 32 | Int64(fi)] {
            // Tick k at first + k/rate, exactly; beyond the longest run it never comes.
            let k = tick.count + 1
            let offset = (Double(k) * 1e9 / rate).rounded()
            if offset <= Double(TrafficFlow.longestInterval) {
                let next = tick.first + Int64(offset)
                if next < stop {
                    traffic!.ticks[Int64(page) << 32 | Int64(fi)] = (tick.first, k)
                    queue.push(.trafficTick(page: page, flow: UInt32(fi)), at: next)
                }
            }
        } else if let interval = f.interval, now + interval < stop {
            queue.push(.trafficTick(page: page, flow: UInt32(fi)), at: now + interval)
        }
    }

    /// The page's connections a tick of flow `fi` sends on, in link order: each the latest to its
    /// remote, the remote a receiver of the flow. Only a new connection (any page's: the count
    /// of connections) or a new uid of the page changes that, so the list is kept until then
    /// instead of looking each connection's remote up by name on every tick.
    private func tickConnections(page: Int32, flow fi: Int) -> [Int32] {
        let p = Int(page)
        let ledger = traffic!
        let k = p * scenario.traffic.count + fi
        while ledger.tickLists.count <= k { ledger.tickLists.append(TrafficLedger.TickList()) }
        if ledger.tickLists[k].connectionCount == connections.count && ledger.tickLists[k].uid == pages[p].uid {
            return ledger.tickLists[k].connections
        }
        let f = scenario.traffic[fi]
        let me = pages[p].uid
        var list: [Int32] = []
        for c in pages[p].linkConnections where c >= 0 {
            let remote = connections[Int(c)].remoteUID
            if pages[p].latestConnection[remote] == c && f.sends(from: me, to: remote) { list.append(c) }
        }
        ledger.tickLists[k] = TrafficLedger.TickList(connectionCount: connections.count, uid: me, connections: list)
        return list
    }

    /// A rate tick is one task of the page's script, as a timer callback that calls `send()` on
    /// each open channel in turn is in a browser: its sends are charged together, and each
    /// message leaves when its `send()` returns within the task. Counts first what the tick
    /// will send (the checks of `sendTrafficMessage`, without their side effects).
    private func beginSendBatch(page: Int32, flow fi: Int, connections list: [Int32]) {
        let ledger = traffic!
        let perMessage = Int64(ledger.chunkLengths[fi].count)
        var chunks: Int64 = 0
        for c in list where !connections[Int(c)].closed {
            let d = ledger.direction(connection: c, flow: Int32(fi), page: page, senderName: pages[Int(page)].name,
                                     receiver: { receiverName(c) })
            if trafficHold(connection: c, flow: fi, direction: d) == nil { chunks += perMessage }
        }
        guard chunks > 0 else { return }
        let (start, _) = chargeRepeated(.dataSend, count: chunks, page: page, readyAt: cursor)
        ledger.sendBatch = TrafficLedger.SendBatch(start: start, chunks: chunks)
    }

    /// The report name of the page at the other end of connection `c`: its remote connection's
    /// page once the descriptions named it, else the peer that holds the uid it was made for.
    private func receiverName(_ c: Int32) -> String {
        let slot = connections[Int(c)]
        if let sid = slot.inPlace({ $0.remoteSessionID }), sid >= 1, Int(sid) - 1 < connections.count {
            return pages[Int(connections[Int(sid) - 1].page)].name
        }
        if let s = uidSlots[slot.remoteUID]?.first { return peers[s].name }
        return slot.remoteUID
    }

    /// A rate tick's receivers this page holds no open connection to (never connected, or the
    /// connection closed and nothing replaced it): each misses its message, counted as not sent
    /// for want of an open channel, as docs/scenario-format.md says (QA, session 14: only
    /// receivers with a connection object were counted, so the count hung on the policy).
    private func countUnreachedReceivers(page: Int32, flow fi: Int, connections list: [Int32]) {
        let p = Int(page)
        var held = 0
        for c in list where !connections[Int(c)].closed { held += 1 }
        // Every live member but this page has a connection: nothing to look for.
        let f = scenario.traffic[fi]
        if f.pattern == .allToAll && held >= oracle.liveCount - 1 { return }
        let me = pages[p].uid
        for q in pages.indices where q != p && pages[q].alive && network.isReachable(pages[q].host)
            && !isAttacker(slot: pages[q].slot) && f.sends(from: me, to: pages[q].uid) {
            let uid = pages[q].uid
            if list.contains(where: { !connections[Int($0)].closed && connections[Int($0)].remoteUID == uid }) { continue }
            let d = traffic!.direction(flow: Int32(fi), page: page, senderName: pages[p].name, receiver: pages[q].name)
            traffic!.directions[Int(d)].notSent[0] += 1
        }
    }

    /// What keeps the page's script from sending flow `fi`'s next message on connection `c` now,
    /// or nil when nothing does: the flow's total reached, the channel not open, or its buffer
    /// above the high-water mark (the checks an application makes before `send()`).
    private enum TrafficHold { case totalReached, channelNotOpen, bufferHigh }
    private func trafficHold(connection c: Int32, flow fi: Int, direction d: Int32) -> TrafficHold? {
        let ledger = traffic!
        if let total = ledger.totalBytes[fi], ledger.directions[Int(d)].bytesSent >= total { return .totalReached }
        guard let channel = connections[Int(c)].pc.association.dataStorage?.channelStatus(stream: TrafficLedger.stream(flow: fi)),
              channel.state == .open else { return .channelNotOpen }
        // Under the high-water mark with this message, or at or below the low-water mark (the
        // page's `bufferedamountlow` handler sends at least one message: one above 768 KiB
        // never fits under 1 MiB on top of 256 KiB, and a bulk flow of those stopped for good).
        let buffered = channel.bufferedAmount
        guard buffered > 0, buffered + ledger.wireLength(flow: fi) > TrafficLedger.highWater,
              buffered > ledger.lowWater(flow: fi) else { return nil }
        return .bufferHigh
    }

    /// Send one message of direction `d` if the flow and the channel allow; whether one was sent.
    @discardableResult
    private func sendTrafficMessage(page: Int32, connection c: Int32, flow fi: Int, direction d: Int32, bulk: Bool) -> Bool {
        let ledger = traffic!
        let stream = TrafficLedger.stream(flow: fi)
        let payload = ledger.payloadSizes[fi]
        switch trafficHold(connection: c, flow: fi, direction: d) {
        case .totalReached: return false
        case .channelNotOpen:
            if !bulk { ledger.directions[Int(d)].notSent[0] += 1 }
            return false
        case .bufferHigh:
            if !bulk { ledger.directions[Int(d)].notSent[1] += 1 }
            return false
        case nil: break
        }
        let lengths = ledger.chunkLengths[fi]
        let tag = ledger.messages.count
        let sequence = ledger.directions[Int(d)].nextSequence
        ledger.directions[Int(d)].nextSequence += 1
        ledger.directions[Int(d)].bytesSent += payload
        ledger.messages.append(TrafficLedger.Message(sentAt: cursor, connection: c, direction: d, sequence: sequence,
                                                       chunks: Int32(lengths.count)))
        for length in lengths {
            if let batch = ledger.sendBatch, batch.sent < batch.chunks {
                ledger.sendBatch!.sent += 1
                cursor = batch.start + machines.duration(CPUWork.dataSend.cost * (batch.sent + 1), on: pages[Int(page)].machine)
            } else {
                cursor = charge(.dataSend, page: page, readyAt: cursor)
            }
            var result: Result<Void, DataSendError> = .success(())
            callConnection(c) { slot, out in
                result = slot.pc.sendData(stream: stream, DataMessage(tag: UInt64(tag), length: length), now: now, into: &out)
            }
            if case .failure(let error) = result {
                if case .bufferFull = error { ledger.overflowed.insert(Int64(c) << 16 | Int64(stream)) }
                if ledger.messages[tag].fate == .inFlight {
                    ledger.messages[tag].fate = .lost
                    ledger.messages[tag].cause = error == .invalidState ? .channelClosed : .sendBufferFull
                }
                return false
            }
        }
        return true
    }

    /// Put a data-path datagram on the network no earlier than the connection's previous one
    /// arrives. An access link is a queue: jitter delays packets but does not reorder a burst,
    /// whereas independent per-packet jitter would shuffle nearly every burst of a fast flow and
    /// make SCTP retransmit on reordering that real paths rarely show (docs/model.md).
    func sendInOrder(_ d: consuming Datagram, fromHost: Int32, connection c: Int32) {
        switch network.send(consume d, fromHost: fromHost, now: cursor, rng: &rng) {
        case .success(let (slot, at)):
            let i = Int(c)
            let ledger = traffic!
            while ledger.lastArrival.count <= i { ledger.lastArrival.append(0) }
            let t = max(at, ledger.lastArrival[i])
            ledger.lastArrival[i] = t
            queue.push(.datagramArrive(slot), at: t)
        case .failure:
            return
        }
    }

    /// Bring connection `c`'s data timer in line with its data transport's deadline, after a
    /// call. An earlier deadline gets a new timer event (the pending one withdrawn, or left to
    /// come due stale); a later one, or none, withdraws the pending event and pushes the new
    /// one at once, so a T3-rtx a SACK cancelled costs no event. Only when the pending event
    /// is too close to withdraw (the queue's current slot) does it come due early and re-arm.
    func syncDataTimer(_ c: Int32, _ slot: ConnectionSlot) {
        let d = slot.pc.dataDeadline ?? .max
        if d == slot.dataTimerAt { return }
        if slot.dataTimerTicket != 0 {
            if queue.withdraw(slot.dataTimerTicket, .dataTimer(c, epoch: slot.dataTimerEpoch)) {
                slot.dataTimerTicket = 0
                slot.dataTimerAt = .max
            } else {
                slot.dataTimerTicket = 0
            }
        }
        guard d < slot.dataTimerAt else { return }
        slot.dataTimerEpoch &+= 1
        slot.dataTimerAt = d
        slot.dataTimerTicket = queue.pushWithdrawable(.dataTimer(c, epoch: slot.dataTimerEpoch), at: max(d, now))
    }

    /// Connection `c`'s data timer event.
    func dataTimerDue(_ c: Int32, epoch: UInt32) {
        let slot = connections[Int(c)]
        guard slot.dataTimerEpoch == epoch, !slot.closed else {
            eventProfile?.count(.dataTimerStale)
            return
        }
        slot.dataTimerAt = .max
        slot.dataTimerTicket = 0
        if let d = slot.pc.dataDeadline, d > now {
            eventProfile?.count(.dataTimerEarly)
            syncDataTimer(c, slot)
            return
        }
        cursor = charge(.timer, page: slot.page, readyAt: now)
        callConnection(c) { slot, out in slot.pc.dataTimerFired(now: now, into: &out) }
    }

    /// A connection's data-channel event. Only connections of a run with `traffic` open
    /// negotiated channels, so without traffic nothing reaches here.
    func dataEvent(_ event: DataEvent, connection c: Int32) {
        guard let ledger = traffic else { return }
        switch event {
        case .message(_, let m):
            let i = Int(m.tag)
            guard i < ledger.messages.count else { return }
            // The script's `message` handler runs when the main thread gets to it.
            let at = charge(.dataMessage, page: connections[Int(c)].page, readyAt: cursor)
            ledger.receivedChunk(message: i, at: at)
        case .abandoned(_, let m):
            let i = Int(m.tag)
            guard i < ledger.messages.count, ledger.messages[i].fate == .inFlight else { return }
            ledger.messages[i].fate = .lost
            ledger.messages[i].cause = .partialReliability
        case .open(let stream), .bufferedAmountLow(let stream):
            // A bulk flow continues when its channel opens or drains (a task, not a nested call).
            let fi = TrafficLedger.flow(stream: stream)
            guard fi >= 0, fi < scenario.traffic.count, scenario.traffic[fi].interval == nil else { return }
            let page = connections[Int(c)].page
            guard pages[Int(page)].alive else { return }
            queue.push(.trafficTick(page: page, flow: UInt32(fi)), at: now)
        case .closed:
            // What it cost is judged at the end (`classifyTrafficLosses`).
            return
        }
    }

    /// At the end of the run: the cause of every message neither delivered nor already lost,
    /// or nothing when it could still arrive (in flight at the end).
    func classifyTrafficLosses() {
        guard traffic != nil else { return }
        /// Messages with a DATA fragment still on the wire, found on first need.
        var onTheWire: Set<UInt64>?
        for i in traffic!.messages.indices where traffic!.messages[i].fate == .inFlight {
            let m = traffic!.messages[i]
            let slot = connections[Int(m.connection)]
            let direction = traffic!.directions[Int(m.direction)]
            let stream = TrafficLedger.stream(flow: Int(direction.flow))
            var remoteAlive = true
            if let sid = slot.pc.remoteSessionID, sid >= 1, Int(sid) - 1 < connections.count {
                remoteAlive = pages[Int(connections[Int(sid) - 1].page)].alive
            }
            let channelOpen = slot.pc.association.dataStorage?.channel(stream: stream)?.state == .open
            let cause: TrafficLedger.LossCause?
            if traffic!.overflowed.contains(Int64(m.connection) << 16 | Int64(stream)) {
                cause = .sendBufferFull
            } else if !pages[Int(direction.senderPage)].alive {
                // Sent before the page went away and still travelling to a live receiver: it
                // lands (nothing is retransmitted any more, but nothing recalls it either), so
                // it is in flight, not lost (QA, session 15: lost, or delivered, by where the
                // run ended within one path delay).
                if onTheWire == nil { onTheWire = fragmentsOnTheWire() }
                let receiving = slot.pc.remoteSessionID.flatMap { sid in
                    sid >= 1 && Int(sid) - 1 < connections.count ? connections[Int(sid) - 1] : nil }
                if remoteAlive, let r = receiving, !r.closed, onTheWire!.contains(UInt64(i)) {
                    cause = nil
                } else {
                    cause = .senderPageGone
                }
            } else if !remoteAlive {
                cause = .receiverPageGone
            } else if slot.closed || !channelOpen {
                cause = .channelClosed
            } else {
                cause = nil
            }
            if let cause {
                traffic!.messages[i].fate = .lost
                traffic!.messages[i].cause = cause
            }
        }
    }

    /// The tags of the traffic messages with a DATA fragment in a datagram in flight (relayed
    /// ones included). A set only asked about, never iterated.
    private func fragmentsOnTheWire() -> Set<UInt64> {
        var tags = Set<UInt64>()
        network.forEachInFlight { d in
            switch d.packet {
            case .sctp(.fragment(let f)): tags.insert(f.message.tag)
            case .turn(.sendIndication(_, .sctp(.fragment(let f)))), .turn(.dataIndication(_, .sctp(.fragment(let f)))):
                tags.insert(f.message.tag)
            default: break
            }
        }
        return tags
    }
}
