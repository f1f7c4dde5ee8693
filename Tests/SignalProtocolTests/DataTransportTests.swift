import Testing
@testable import SignalProtocol

// Application data over SCTP (DataTransport), one transition at a time: send() errors, the send
// queue and bufferedAmount, fragmentation, SACKs (delayed, immediate, gap blocks), fast
// retransmit, the T3 timer and its backoff, the congestion window, ordered and unordered
// delivery, and partial reliability. Two transports back to back over a fixed-delay link whose
// losses each test chooses.

private func ms(_ v: Int64) -> Int64 { v * 1_000_000 }
private func show(_ o: AssociationOutput) -> String { "\(o)" }
private func sendError(_ r: Result<Void, DataSendError>) -> DataSendError? {
    if case .failure(let e) = r { return e }
    return nil
}

private struct Link {
    struct InFlight {
        var at: Int64
        var seq: Int
        var to: Int
        var packet: SCTPPacket
    }
    var sides = [DataTransport(), DataTransport()]
    var flying: [InFlight] = []
    var seq = 0
    var now: Int64 = 0
    var oneWay: Int64 = ms(20)
    /// Packets sent so far by each side, by kind.
    var fragmentsSent = [0, 0]
    var sacksSent = [0, 0]
    var forwardTSNsSent = [0, 0]
    /// Return true to lose this packet (from side, packet, index among that side's packets).
    var lose: (Int, SCTPPacket, Int) -> Bool = { _, _, _ in false }
    var sentBy = [0, 0]
    var delivered: [[DataMessage]] = [[], []]
    var deliveredAt: [[Int64]] = [[], []]
    var events: [[AssociationOutput]] = [[], []]

    init(channel options: DataChannelOptions = DataChannelOptions(), stream: UInt16 = 1000) {
        for i in 0..<2 {
            var out: [AssociationOutput] = []
            sides[i].openChannel(label: "t", stream: stream, options: options, established: true, into: &out)
            take(i, out)
        }
    }

    mutating func take(_ i: Int, _ out: [AssociationOutput]) {
        for o in out {
            if case .send(.sctp(let p)) = o {
                switch p {
                case .fragment: fragmentsSent[i] += 1
                case .selectiveAck: sacksSent[i] += 1
                case .forwardTSN: forwardTSNsSent[i] += 1
                default: break
                }
                let k = sentBy[i]
                sentBy[i] += 1
                if lose(i, p, k) { continue }
                flying.append(InFlight(at: now + oneWay, seq: seq, to: 1 - i, packet: p))
                seq += 1
                continue
            }
            if case .dataMessage(_, let m) = o {
                delivered[i].append(m)
                deliveredAt[i].append(now)
            }
            events[i].append(o)
        }
    }

    mutating func send(_ i: Int, tag: UInt64, length: Int = 1_000, stream: UInt16 = 1000) -> Result<Void, DataSendError> {
        var out: [AssociationOutput] = []
        let r = sides[i].send(stream: stream, DataMessage(tag: tag, length: length), now: now, into: &out)
        take(i, out)
        return r
    }

    mutating func run(until: Int64) {
        while true {
            var next = Int64.max
            var what = -1  // -1 none, 0/1 timer of a side, 2 packet
            for i in 0..<2 {
                if let d = sides[i].nextDeadline, d < next {
                    next = d
                    what = i
                }
            }
            let k = flying.indices.min { (flying[$0].at, flying[$0].seq) < (flying[$1].at, flying[$1].seq) }
            if let k, flying[k].at <= next {
                next = flying[k].at
                what = 2
            }
            guard what >= 0, next <= until else { break }
            now = max(now, next)
            var out: [AssociationOutput] = []
            if what == 2 {
                let p = flying.remove(at: k!)
                switch p.packet {
                case .fragment(let f): sides[p.to].receiveFragment(f, now: now, into: &out)
                case .selectiveAck(let s): sides[p.to].receiveSack(s, now: now, into: &out)
                case .forwardTSN(let f): sides[p.to].receiveForwardTSN(f, now: now, into: &out)
                default: break
                }
                take(p.to, out)
            } else {
                sides[what].timerFired(now: now, into: &out)
                take(what, out)
            }
        }
        now = until
    }

    func tags(_ i: Int) -> [UInt64] { delivered[i].map(\.tag) }
}

struct DataTransportTests {
    // MARK: send() errors (webrtc-pc RTCDataChannel.send)

    @Test func sendBeforeOpenIsInvalidState() {
        var t = DataTransport()
        var out: [AssociationOutput] = []
        t.openChannel(label: "t", stream: 2, options: DataChannelOptions(), established: false, into: &out)
        #expect(out.isEmpty)
        #expect(sendError(t.send(stream: 2, DataMessage(tag: 1, length: 10), now: 0, into: &out)) == .invalidState)
        t.associationEstablished(into: &out)
        #expect(out.map(show) == [.dataChannelOpen(stream: 2)].map(show))
        #expect(sendError(t.send(stream: 2, DataMessage(tag: 1, length: 10), now: 0, into: &out)) == nil)
    }

    @Test func sendOnUnknownStreamOrAfterCloseIsInvalidState() {
        var link = Link()
        #expect(sendError(link.send(0, tag: 1, stream: 7)) == .invalidState)
        var out: [AssociationOutput] = []
        link.sides[0].closeAll(error: true, into: &out)
        #expect(out.map(show) == [.dataChannelClosed(stream: 1000, error: true)].map(show))
        #expect(sendError(link.send(0, tag: 1)) == .invalidState)
        #expect(link.sides[0].channel(stream: 1000)?.state == .closed)
    }

    @Test func sendAboveMaxMessageSizeIsTypeError() {
        var link = Link()
        #expect(sendError(link.send(0, tag: 1, length: 262_145)) == .tooLarge(length: 262_145, limit: 262_144))
        #expect(sendError(link.send(0, tag: 2, length: 262_144)) == nil)
        #expect(link.sides[0].channel(stream: 1000)?.state == .open)
    }

    @Test func sendPastTheBufferLimitIsOperationErrorAndClosesTheChannel() {
        var link = Link()
        link.lose = { _, _, _ in true }  // nothing drains the queue
        var tag: UInt64 = 0
        var result: Result<Void, DataSendError> = .success(())
        while case .success = result, tag < 1_000 {
            tag += 1
            result = link.send(0, tag: tag, length: 200_000)
        }
        guard case .failure(.bufferFull) = result else {
            Issue.record("no OperationError after \(tag) sends: \(result)")
            return
        }
        #expect(tag == UInt64(DataTransport.maxBufferedAmount / 200_000) + 1)
        #expect(link.events[0].map(show).contains(show(.dataChannelClosed(stream: 1000, error: true))))
        #expect(sendError(link.send(0, tag: tag + 1)) == .invalidState)
    }

    // MARK: Sending, bufferedAmount, congestion window

    @Test func bufferedAmountCountsBytesNotYetSentAndFiresLowEvent() {
        var link = Link()
        link.sides[0].setBufferedAmountLowThreshold(stream: 1000, 50_000)
        // 100 KiB in 1,160-byte fragments: the initial window (10 MTU) and the burst limit (4)
        // keep most of it queued.
        #expect(sendError(link.send(0, tag: 1, length: 100_000)) == nil)
        #expect(link.fragmentsSent[0] == DataTransport.maxBurst)
        #expect(link.sides[0].channel(stream: 1000)?.bufferedAmount == 100_000 - 4 * 1_160)
        #expect(!link.events[0].map(show).contains(show(.bufferedAmountLow(stream: 1000))))
        link.run(until: ms(5_000))
        #expect(link.sides[0].channel(stream: 1000)?.bufferedAmount == 0)
        #expect(link.events[0].map(show).filter { $0 == show(.bufferedAmountLow(stream: 1000)) }.count == 1)
        #expect(link.delivered[1] == [DataMessage(tag: 1, length: 100_000)])
        #expect(link.fragmentsSent[0] == (100_000 + 1_159) / 1_160)
    }

    @Test func channelStatusSaysWhatTheChannelSays() {
        var link = Link()
        #expect(link.sides[0].channelStatus(stream: 999) == nil)
        #expect(sendError(link.send(0, tag: 1, length: 100_000)) == nil)
        for queued in [true, false] {
            let c = link.sides[0].channel(stream: 1000)!
            let status = link.sides[0].channelStatus(stream: 1000)!
            #expect(status.state == c.state && status.bufferedAmount == c.bufferedAmount)
            #expect(status.state == .open && (status.bufferedAmount > 0) == queued)
            link.run(until: ms(5_000))
        }
        var out: [AssociationOutput] = []
        link.sides[0].closeAll(error: false, into: &out)
        #expect(link.sides[0].channelStatus(stream: 1000)!.state == .closed)
    }

    @Test func slowStartGrowsTheWindowOnlyWhileItIsUsed() {
        var link = Link()
        let initial = link.sides[0].cwnd
        #expect(initial == 10 * DataTransport.mtu)
        for k in 0..<200 { _ = link.send(0, tag: UInt64(k), length: 1_160) }
        link.run(until: ms(10_000))
        #expect(link.tags(1) == (0..<200).map(UInt64.init))
        #expect(link.sides[0].cwnd > initial)
        // An idle sender with one small message in flight does not grow the window.
        var idle = Link()
        for k in 0..<20 {
            _ = idle.send(0, tag: UInt64(k), length: 100)
            idle.run(until: idle.now + ms(100))
        }
        #expect(idle.sides[0].cwnd == initial)
    }

    /// A light flow (one message acked before the next) holds no acked fragment: they kept
    /// up to 64 a connection, with their messages, until a compaction that never came.
    @Test func aLightFlowKeepsNoAckedFragments() {
        var link = Link()
        for k in 0..<40 {
            _ = link.send(0, tag: UInt64(k), length: 100)
            link.run(until: link.now + ms(300))
            #expect(link.sides[0].outstandingChunks == 0)
            #expect(link.sides[0].retainedFragments == 0)
        }
        #expect(link.tags(1) == (0..<40).map(UInt64.init))
    }

    // MARK: SACKs

    @Test func aSinglePacketIsAcknowledgedAfterTheDelayedAckTimeout() {
        var link = Link()
        _ = link.send(0, tag: 1, length: 10)
        link.run(until: ms(20))
        #expect(link.delivered[1].count == 1)
        #expect(link.sacksSent[1] == 0)
        link.run(until: ms(219))
        #expect(link.sacksSent[1] == 0)
        link.run(until: ms(221))
        #expect(link.sacksSent[1] == 1)
    }

    @Test func everySecondPacketIsAcknowledgedAtOnce() {
        var link = Link()
        _ = link.send(0, tag: 1, length: 10)
        _ = link.send(0, tag: 2, length: 10)
        link.run(until: ms(21))
        #expect(link.sacksSent[1] == 1)
        link.run(until: ms(41))
        #expect(link.sides[0].outstandingChunks == 0)
        #expect(link.sides[0].smoothedRTT == ms(40))
    }

    @Test func aDueAcknowledgementRidesWithReverseData() {
        var link = Link()
        var bundled: [SelectiveAck] = []
        link.lose = { from, p, _ in
            if from == 1, case .fragment(let f) = p, let a = f.bundledAck { bundled.append(a) }
            return false
        }
        _ = link.send(0, tag: 1, length: 10)
        link.run(until: ms(30))  // arrived at 20 ms; the delayed ack is due at 220 ms
        _ = link.send(1, tag: 2, length: 10)
        link.run(until: ms(1_000))
        #expect(bundled.map(\.cumulativeTSN) == [1])
        #expect(link.sacksSent[1] == 0, "no SACK of its own")
        #expect(link.sides[0].outstandingChunks == 0)
        #expect(link.tags(0) == [2] && link.tags(1) == [1])
    }

    @Test func aDuplicateIsAcknowledgedAtOnceAndNotDeliveredTwice() {
        var t = DataTransport()
        var out: [AssociationOutput] = []
        t.openChannel(label: "t", stream: 1, options: DataChannelOptions(), established: true, into: &out)
        out.removeAll()
        let f = DataFragment(tsn: 1, stream: 1, ssn: 0, unordered: false, begin: true, end: true, length: 5,
                             message: DataMessage(tag: 9, length: 5))
        t.receiveFragment(f, now: 0, into: &out)
        #expect(out.map(show) == [.dataMessage(stream: 1, message: DataMessage(tag: 9, length: 5))].map(show))
        out.removeAll()
        t.receiveFragment(f, now: 1, into: &out)
        #expect(out.map(show) == [.send(.sctp(.selectiveAck(SelectiveAck(cumulativeTSN: 1, gaps: []))))].map(show))
    }

    @Test func aGapIsReportedInTheSackAtOnce() {
        var t = DataTransport()
        var out: [AssociationOutput] = []
        t.openChannel(label: "t", stream: 1, options: DataChannelOptions(ordered: false), established: true, into: &out)
        out.removeAll()
        for tsn: UInt32 in [1, 3, 4] {
            t.receiveFragment(DataFragment(tsn: tsn, stream: 1, ssn: 0, unordered: true, begin: true, end: true,
                                           length: 5, message: DataMessage(tag: UInt64(tsn), length: 5)), now: 0, into: &out)
        }
        #expect(out.last.map(show) == show(.send(.sctp(.selectiveAck(SelectiveAck(cumulativeTSN: 1, gaps: [3...4]))))))
        // Unordered: 3 and 4 delivered though 2 is missing.
        #expect(out.filter { if case .dataMessage = $0 { return true } else { return false } }.count == 3)
    }

    // MARK: Loss and retransmission

    @Test func reliableOrderedDeliversEverythingInOrderUnderLoss() {
        for every in [0, 100, 20, 10] {
            var link = Link()
            link.lose = { _, _, k in every > 0 && k % every == every - 1 }
            for k in 0..<300 {
                _ = link.send(0, tag: UInt64(k), length: 1_024)
                link.run(until: link.now + ms(10))
            }
            link.run(until: link.now + ms(60_000))
            #expect(link.tags(1) == (0..<300).map(UInt64.init), "loss every \(every)")
            #expect(link.sides[0].outstandingChunks == 0, "loss every \(every): \(link.sides[0].debugState) \(link.sides[1].debugState)")
        }
    }

    @Test func aLostFragmentIsFastRetransmittedBeforeTheTimer() {
        var link = Link()
        var lostOnce = false
        link.lose = { from, p, _ in
            if from == 0, case .fragment(let f) = p, f.tsn == 2, !lostOnce { lostOnce = true; return true }
            return false
        }
        for k in 0..<10 { _ = link.send(0, tag: UInt64(k), length: 1_000) }
        link.run(until: ms(2_000))
        #expect(link.tags(1) == (0..<10).map(UInt64.init))
        // Three SACKs reporting TSN 2 missing arrive long before the 500 ms RTO.
        #expect(link.deliveredAt[1][1] < ms(200))
        #expect(link.sides[0].cwnd >= DataTransport.minCwnd && link.sides[0].cwnd < 10 * DataTransport.mtu)
    }

    /// DATA that arrives while a negotiated channel is still connecting (the peer's DATA overtook
    /// the COOKIE-ACK) is acknowledged and kept; the channel delivers it as it opens.
    @Test func aConnectingChannelKeepsWhatArrivesUntilItOpens() {
        var a = DataTransport(), b = DataTransport()
        var out: [AssociationOutput] = []
        a.openChannel(label: "t", stream: 1000, options: DataChannelOptions(), established: true, into: &out)
        b.openChannel(label: "t", stream: 1000, options: DataChannelOptions(), established: false, into: &out)
        out = []
        _ = a.send(stream: 1000, DataMessage(tag: 7, length: 100), now: 0, into: &out)
        var fromB: [AssociationOutput] = []
        for o in out {
            if case .send(.sctp(.fragment(let f))) = o { b.receiveFragment(f, now: ms(20), into: &fromB) }
        }
        #expect(!fromB.contains { if case .dataMessage = $0 { return true } else { return false } })
        fromB = []
        b.associationEstablished(into: &fromB)
        #expect(fromB.map(show) == [show(.dataChannelOpen(stream: 1000)), show(.dataMessage(stream: 1000, message: DataMessage(tag: 7, length: 100)))])
    }

    @Test func theT3TimerRetransmitsBacksOffAndShrinksTheWindow() {
        var link = Link()
        var blackout = true
        link.lose = { from, _, _ in from == 0 && blackout }
        _ = link.send(0, tag: 1, length: 100)
        // Sent at 0; T3 at 500 ms (RTO initial), then 1 s later, then 2 s, then 3 s (Chromium's cap).
        link.run(until: ms(499))
        #expect(link.fragmentsSent[0] == 1)
        link.run(until: ms(500))
        #expect(link.fragmentsSent[0] == 2)
        #expect(link.sides[0].cwnd == DataTransport.mtu)
        link.run(until: ms(1_500))
        #expect(link.fragmentsSent[0] == 3)
        link.run(until: ms(3_500))
        #expect(link.fragmentsSent[0] == 4)
        link.run(until: ms(6_499))
        #expect(link.fragmentsSent[0] == 4)
        link.run(until: ms(6_500))
        #expect(link.fragmentsSent[0] == 5)
        blackout = false
        link.run(until: ms(12_000))
        #expect(link.tags(1) == [1])
        #expect(link.sides[0].outstandingChunks == 0)
    }

    // MARK: Unordered and partial reliability

    @Test func unorderedDeliversAroundALoss() {
        var link = Link(channel: DataChannelOptions(ordered: false))
        var lostOnce = false
        link.lose = { from, p, _ in
            if from == 0, case .fragment(let f) = p, f.message.tag == 0, !lostOnce { lostOnce = true; return true }
            return false
        }
        for k in 0..<5 { _ = link.send(0, tag: UInt64(k), length: 500) }
        link.run(until: ms(5_000))
        #expect(Set(link.tags(1)) == Set((0..<5).map(UInt64.init)))
        #expect(link.tags(1).count == 5)
        #expect(link.tags(1).first == 1)
    }

    @Test func orderedHoldsLaterMessagesUntilTheLostOneArrives() {
        var link = Link()
        var lostOnce = false
        link.lose = { from, p, _ in
            if from == 0, case .fragment(let f) = p, f.message.tag == 0, !lostOnce { lostOnce = true; return true }
            return false
        }
        for k in 0..<5 { _ = link.send(0, tag: UInt64(k), length: 500) }
        link.run(until: ms(5_000))
        #expect(link.tags(1) == [0, 1, 2, 3, 4])
        // All five arrive together when the retransmission does.
        #expect(Set(link.deliveredAt[1]).count == 1)
    }

    @Test func maxRetransmitsZeroGivesUpAfterOneLossAndTheStreamMovesOn() {
        var link = Link(channel: DataChannelOptions(ordered: true, maxRetransmits: 0))
        link.lose = { from, p, _ in
            if from == 0, case .fragment(let f) = p, f.message.tag == 1 { return true }
            return false
        }
        for k in 0..<6 { _ = link.send(0, tag: UInt64(k), length: 500) }
        link.run(until: ms(10_000))
        #expect(link.tags(1) == [0, 2, 3, 4, 5])
        #expect(link.events[0].map(show).contains(show(.dataAbandoned(stream: 1000, message: DataMessage(tag: 1, length: 500)))))
        #expect(link.fragmentsSent[0] == 6)  // never retransmitted
        #expect(link.forwardTSNsSent[0] >= 1)
        #expect(link.sides[0].outstandingChunks == 0)
    }

    @Test func maxRetransmitsTwoTriesThreeTimes() {
        var link = Link(channel: DataChannelOptions(ordered: false, maxRetransmits: 2))
        link.lose = { from, p, _ in
            if from == 0, case .fragment = p { return true }
            return false
        }
        _ = link.send(0, tag: 1, length: 100)
        link.run(until: ms(20_000))
        #expect(link.fragmentsSent[0] == 3)
        #expect(link.events[0].map(show).contains(show(.dataAbandoned(stream: 1000, message: DataMessage(tag: 1, length: 100)))))
        #expect(link.delivered[1].isEmpty)
    }

    @Test func maxPacketLifeTimeAbandonsWhatAPartitionHeldBack() {
        var link = Link(channel: DataChannelOptions(ordered: true, maxPacketLifeTime: ms(300)))
        var partitioned = true
        link.lose = { _, _, _ in partitioned }
        for k in 0..<3 { _ = link.send(0, tag: UInt64(k), length: 500) }
        link.run(until: ms(2_000))
        partitioned = false
        _ = link.send(0, tag: 10, length: 500)
        link.run(until: ms(10_000))
        #expect(link.tags(1) == [10])
        #expect(link.events[0].filter { if case .dataAbandoned = $0 { return true } else { return false } }.count == 3)
        #expect(link.sides[0].outstandingChunks == 0)
    }

    /// A lifetime shorter than the delayed SACK abandons nothing on a lossless path: a chunk
    /// in flight may have arrived, so only chunks marked for retransmission expire (dcSCTP).
    /// Every message arrives once, and no FORWARD-TSN goes out.
    @Test func maxPacketLifeTimeAbandonsNothingThatIsOnlyAwaitingItsSack() {
        // A message every 10 ms over a 200 ms round trip: when a SACK comes, the chunks sent in
        // the last round trip are still unacknowledged, some of them older than the lifetime.
        var link = Link(channel: DataChannelOptions(ordered: true, maxPacketLifeTime: ms(150)))
        link.oneWay = ms(100)
        for k in 0..<200 {
            _ = link.send(0, tag: UInt64(k), length: 500)
            link.run(until: link.now + ms(10))
        }
        link.run(until: link.now + ms(5_000))
        #expect(link.tags(1) == (0..<200).map(UInt64.init))
        #expect(link.events[0].filter { if case .dataAbandoned = $0 { return true } else { return false } }.isEmpty)
        #expect(link.forwardTSNsSent[0] == 0)
        #expect(link.sides[0].outstandingChunks == 0)
    }

    /// A flow faster than the window's slow start, with a 100 ms lifetime, on a lossless path:
    /// what waited too long in the queue is discarded before it starts; a started message goes
    /// out to its end; everything else arrives, and FORWARD-TSNs stay few (they were answered
    /// by SACKs that drew the next one, thousands of them, and the window never grew).
    @Test func aLifetimeFlowBehindSlowStartLosesOnlyWhatNeverStarted() {
        var link = Link(channel: DataChannelOptions(ordered: true, maxPacketLifeTime: ms(100)))
        for k in 0..<300 {
            _ = link.send(0, tag: UInt64(k), length: 20_000)
            link.run(until: link.now + ms(10))
        }
        link.run(until: link.now + ms(5_000))
        let abandoned = link.events[0].compactMap { o -> UInt64? in
            if case .dataAbandoned(_, let m) = o { return m.tag } else { return nil }
        }
        #expect(link.delivered[1].count + abandoned.count == 300)
        #expect(link.delivered[1].count >= 250)
        #expect(Set(link.tags(1)).isDisjoint(with: abandoned))
        #expect(link.tags(1) == link.tags(1).sorted())
        #expect(link.forwardTSNsSent[0] < 30)
        #expect(link.sides[0].outstandingChunks == 0)
        #expect(link.sides[0].cwnd > 10 * DataTransport.mtu)
    }

    /// A message abandoned while its tail is still queued: a placeholder end fragment takes a
    /// TSN and the FORWARD-TSN covers it, so the ordered stream moves on to the next message.
    @Test func aMessageAbandonedBeforeItsTailLeftLetsTheStreamMoveOn() {
        var link = Link(channel: DataChannelOptions(ordered: true, maxRetransmits: 0))
        link.lose = { from, p, k in
            if from == 0, case .fragment(let f) = p, f.tsn == 2 { return true }
            return false
        }
        _ = link.send(0, tag: 1, length: 100_000)  // 87 fragments, more than the first window
        _ = link.send(0, tag: 2, length: 500)
        link.run(until: ms(10_000))
        #expect(link.tags(1) == [2])
        #expect(link.events[0].contains { if case .dataAbandoned(_, let m) = $0 { return m.tag == 1 } else { return false } })
        #expect(link.sides[0].outstandingChunks == 0)
        #expect(link.sides[0].queuedMessages == 0)
    }

    @Test func aLargeMessageIsFragmentedAndReassembledOnceUnderLoss() {
        var link = Link()
        link.lose = { _, _, k in k % 9 == 4 }
        _ = link.send(0, tag: 1, length: 262_144)
        _ = link.send(0, tag: 2, length: 70_000)
        link.run(until: ms(60_000))
        #expect(link.delivered[1] == [DataMessage(tag: 1, length: 262_144), DataMessage(tag: 2, length: 70_000)])
    }

    @Test func bothDirectionsAtOnce() {
        var link = Link()
        link.lose = { _, _, k in k % 11 == 5 }
        for k in 0..<50 {
            _ = link.send(0, tag: UInt64(k), length: 2_000)
            _ = link.send(1, tag: UInt64(100 + k), length: 300)
            link.run(until: link.now + ms(15))
        }
        link.run(until: link.now + ms(30_000))
        #expect(link.tags(1) == (0..<50).map(UInt64.init))
        #expect(link.tags(0) == (100..<150).map(UInt64.init))
    }
}

/// Application data through two whole RTCPeerConnection models: the negotiated channels open
/// with the association, and messages cross the selected ICE pair under loss.
struct DataOverPeerConnectionTests {
    @Test func negotiatedChannelsOpenWithTheAssociationAndCarryDataUnderLoss() {
        var pair = PeerConnectionPair()
        for i in 0..<2 {
            var out: [PCAction] = []
            pair.pcs[i].openDataChannel(label: "traffic", stream: 1024, options: DataChannelOptions(), now: 0, into: &out)
            pair.apply(i, out)
        }
        var early: [PCAction] = []
        let refused = pair.pcs[0].sendData(stream: 1024, DataMessage(tag: 0, length: 10), now: 0, into: &early)
        #expect(refused.failureName == "InvalidStateError")
        pair.dial()
        pair.run(until: 3_000_000_000)
        #expect(pair.dataEvents[0] == [.open(stream: 1024)])
        #expect(pair.dataEvents[1] == [.open(stream: 1024)])
        pair.lossEvery = 10
        for k in 0..<100 {
            var out: [PCAction] = []
            let r = pair.pcs[k % 2].sendData(stream: 1024, DataMessage(tag: UInt64(k), length: 1_024), now: pair.now, into: &out)
            #expect(r.failureName == nil)
            pair.apply(k % 2, out)
            pair.run(until: pair.now + 20_000_000)
        }
        pair.run(until: pair.now + 30_000_000_000)
        let got = (0..<2).map { i in pair.dataEvents[i].compactMap { e -> UInt64? in
            if case .message(_, let m) = e { return m.tag }
            return nil
        } }
        #expect(got[1] == Array(stride(from: 0, to: 100, by: 2)).map(UInt64.init))
        #expect(got[0] == Array(stride(from: 1, to: 100, by: 2)).map(UInt64.init))
        // pc.close(): the channel is closed without an event, and send() throws.
        var out: [PCAction] = []
        pair.pcs[0].close(now: pair.now, into: &out)
        #expect(pair.pcs[0].sendData(stream: 1024, DataMessage(tag: 1, length: 1), now: pair.now, into: &out).failureName == "InvalidStateError")
        #expect(!out.contains { if case .data = $0 { return true } else { return false } })
        // The remote gets the ABORT: its channel closes with an error.
        pair.apply(0, out)
        pair.run(until: pair.now + 1_000_000_000)
        #expect(pair.dataEvents[1].last == .closed(stream: 1024, error: true))
    }
}

/// A connection whose owner runs the data transport's timers apart (a simulator's): the delayed
/// SACK is due on `dataDeadline` and sent by `dataTimerFired`, never by `timerFired`, and
/// `nextDeadline` is the rest's alone.
@Suite struct DataTimersApartTests {
    @Test func theDelayedSackWaitsForTheDataTimerAlone() {
        var pair = PeerConnectionPair.withTrafficChannel()
        #expect(pair.dataEvents[1] == [.open(stream: 1024)])
        let before = pair.pcs[1].nextDeadline
        pair.pcs[1].runDataTimersApart()
        #expect(pair.pcs[1].dataTimersApart && pair.pcs[1].dataDeadline == nil)
        #expect(pair.pcs[1].nextDeadline == before)
        // One message 0 -> 1: its DATA arrives one way later, and 1 owes a SACK 200 ms after.
        var out: [PCAction] = []
        #expect(pair.pcs[0].sendData(stream: 1024, DataMessage(tag: 7, length: 100), now: pair.now, into: &out).failureName == nil)
        let packets = out.compactMap { a -> PeerPacket? in if case .sendDatagram(_, let p) = a { return p } else { return nil } }
        #expect(packets.count == 1)
        let arrival = pair.now + pair.oneWay
        var got: [PCAction] = []
        pair.pcs[1].receive(packets[0], from: pair.pcs[0].base, now: arrival, into: &got)
        #expect(got.contains { if case .data(.message(_, let m)) = $0 { return m.tag == 7 } else { return false } })
        let due = arrival + DataTransport.delayedAck
        #expect(pair.pcs[1].dataDeadline == due)
        #expect(pair.pcs[1].nextDeadline.map { $0 != due } ?? true)
        // The connection's own timer at that moment sends no SACK; the data timer does.
        var control: [PCAction] = []
        pair.pcs[1].timerFired(now: due, into: &control)
        #expect(!control.contains { if case .sendDatagram(_, .sctp(.selectiveAck)) = $0 { return true } else { return false } })
        #expect(pair.pcs[1].dataDeadline == due)
        var data: [PCAction] = []
        pair.pcs[1].dataTimerFired(now: due, into: &data)
        #expect(data.count == 1)
        #expect(data.contains { if case .sendDatagram(_, .sctp(.selectiveAck(let s))) = $0 { return s.cumulativeTSN == 1 } else { return false } })
        #expect(pair.pcs[1].dataDeadline == nil)
    }
}

/// A DTLS or SCTP packet only notes that the selected pair received: the connection keeps the
/// agent's deadline as it was (early), and `refreshStaleDeadline` makes it exact.
@Suite struct StaleDeadlineTests {
    @Test func aDataPacketLeavesTheDeadlineEarlyUntilRefreshed() {
        // Receiving stops 1 s after the last packet, before the next consent check is due
        // (2.5 s): the keep-alive deadline counts from the last packet received.
        var ice = ICEConfiguration()
        ice.receivingTimeout = 1_000_000_000
        var pair = PeerConnectionPair.withTrafficChannel(ice: ice)
        pair.pcs[1].runDataTimersApart()
        #expect(pair.pcs[1].nextDeadline == pair.pcs[1].ice.nextDeadline)
        // A DATA packet 0 -> 1 long after the last consent check: the keep-alive and dead-pair
        // times count from it, so the agent's exact deadline moves later.
        var out: [PCAction] = []
        #expect(pair.pcs[0].sendData(stream: 1024, DataMessage(tag: 1, length: 100), now: pair.now, into: &out).failureName == nil)
        let packets = out.compactMap { a -> PeerPacket? in if case .sendDatagram(_, let p) = a { return p } else { return nil } }
        #expect(packets.count == 1)
        let before = pair.pcs[1].nextDeadline
        var got: [PCAction] = []
        pair.pcs[1].receive(packets[0], from: pair.pcs[0].base, now: pair.now + pair.oneWay, into: &got)
        let exact = pair.pcs[1].ice.nextDeadline
        #expect(pair.pcs[1].nextDeadline == before)
        #expect((pair.pcs[1].nextDeadline ?? .max) < (exact ?? .max))
        pair.pcs[1].refreshStaleDeadline()
        #expect(pair.pcs[1].nextDeadline == exact)
        // Consent checks go on (each STUN call makes it exact again) and the channel still works.
        pair.run(until: pair.now + 10_000_000_000)
        #expect(pair.dataEvents[1].contains { if case .message(_, let m) = $0 { return m.tag == 1 } else { return false } } || got.contains { if case .data(.message(_, let m)) = $0 { return m.tag == 1 } else { return false } })
        #expect(pair.log[1].last == "conn:connected" || !pair.log[1].contains("conn:failed"))
    }
}

extension PeerConnectionPair {
    /// Two connections, each with the negotiated channel `traffic` on stream 1024, dialled and
    /// run for 3 s: set up, the channel open.
    static func withTrafficChannel(ice: ICEConfiguration = ICEConfiguration()) -> PeerConnectionPair {
        var pair = PeerConnectionPair(ice: ice)
        for i in 0..<2 {
            var out: [PCAction] = []
            pair.pcs[i].openDataChannel(label: "traffic", stream: 1024, options: DataChannelOptions(), now: 0, into: &out)
            pair.apply(i, out)
        }
        pair.dial()
        pair.run(until: 3_000_000_000)
        return pair
    }
}

extension Result where Success == Void, Failure == DataSendError {
    var failureName: String? {
        if case .failure(let e) = self { return e.w3cName }
        return nil
    }
}
