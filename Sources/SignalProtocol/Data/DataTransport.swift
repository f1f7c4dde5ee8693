/// Application data over one SCTP association, as Chromium's SCTP (dcSCTP) carries it: the
/// send queue, TSNs and SACKs, the retransmission timer, the congestion window, ordered and
/// unordered delivery and partial reliability. Sans-IO: it is given packets and the time, and
/// returns packets to send and what the page sees (`AssociationOutput`).
///
/// Responsibilities:
/// 1. Channels: negotiated channels (`negotiated: true, id`), open while the association is
///    established; `send()` refuses as webrtc-pc says (`DataSendError`).
/// 2. Sending: messages queue per association in send order (`bufferedAmount` counts the bytes
///    not yet transmitted once) and are fragmented into DATA chunks of at most
///    `maxFragmentPayload` bytes, one chunk per packet, as far as the congestion window and the
///    burst limit allow.
/// 3. Reliability: a SACK acknowledges a cumulative TSN and gap blocks (RFC 9260 §6.2). A chunk
///    reported missing by 3 SACKs is fast-retransmitted (§7.2.4); the T3-rtx timer retransmits
///    everything outstanding when it expires, backing off (§6.3.3). RTO from SRTT/RTTVAR (§6.3.1).
/// 4. Congestion control (§7.2): slow start below `ssthresh`, congestion avoidance above;
///    halved on fast retransmit, one MTU on a timeout.
/// 5. Partial reliability (RFC 3758): a message of a channel with `maxRetransmits` or
///    `maxPacketLifeTime` is abandoned when its limit passes; FORWARD-TSN tells the receiver.
/// 6. Receiving: duplicates dropped, fragments reassembled, ordered messages held until their
///    stream sequence number is next, unordered ones delivered when whole; SACK every second
///    packet or after 200 ms, at once when something is out of order.
///
/// The constants are dcSCTP's as Chromium configures it (docs/model.md, "Data channels"). Not
/// modelled: bundling several chunks into one packet, the receiver window (the page reads at
/// once), stream schedulers (one queue in send order), message interleaving (RFC 8260).
public struct DataTransport: Sendable {
    // MARK: Constants

    /// dcSCTP `DcSctpOptions::kMaxSafeMTUSize`: 1280 (IPv6 minimum) − 40 − 8 (UDP) − 24 − 13
    /// (DTLS) − 4 (TURN ChannelData).
    public static let mtu = 1191
    /// User data per DATA chunk: the MTU less the SCTP common header (12) and the DATA chunk
    /// header (16), padded down to 4 bytes.
    public static let maxFragmentPayload = 1160
    /// SCTP/DATA overhead per packet (common header and chunk header), for byte counts.
    public static let packetOverhead = 28
    /// Chromium's `maxMessageSize` (EnvelopeCodec.chromiumMaxMessageSize).
    public static let maxMessageSize = EnvelopeCodec.chromiumMaxMessageSize
    /// Chromium's data channel queue: beyond 16 MiB buffered, send fails and the channel closes
    /// (libwebrtc `SctpDataChannel` `kMaxQueuedSendDataBytes`; webrtc-facts "Max message size").
    public static let maxBufferedAmount = 16 * 1024 * 1024
    /// dcSCTP `rto_initial`, `rto_min`, `rto_max` (webrtc-facts T10; RFC 9260 §16 has 1 s, 1 s, 60 s).
    public static let rtoInitial: Int64 = 500_000_000
    public static let rtoMin: Int64 = 400_000_000
    public static let rtoMax: Int64 = 60_000_000_000
    /// Chromium's `kMaxTimerBackoffDuration`: a backed-off timer waits at most 3 s.
    public static let maxTimerBackoff: Int64 = 3_000_000_000
    /// dcSCTP `cwnd_mtus_initial` 10 and `cwnd_mtus_min` 4 (the floor after a fast retransmit).
    public static let initialCwnd = 10 * mtu
    public static let minCwnd = 4 * mtu
    /// dcSCTP `max_burst`: packets sent per opportunity (a send() or a SACK).
    public static let maxBurst = 4
    /// dcSCTP `delayed_ack_max_timeout`; RFC 9260 §6.2: at least every second packet.
    public static let delayedAck: Int64 = 200_000_000
    /// RFC 9260 §7.2.4: fast retransmit on the third miss indication.
    public static let fastRetransmitThreshold = 3

    // MARK: Channels

    public struct Channel: Sendable, Equatable {
        public var label: String
        public var stream: UInt16
        public var options: DataChannelOptions
        public var state: DataChannelState = .connecting
        public var bufferedAmount = 0
        public var bufferedAmountLowThreshold = 0
        var nextSSN: UInt16 = 0
        /// Receiving: the next ordered SSN to deliver, and complete messages waiting for it.
        var expectedSSN: UInt16 = 0
        var waiting: [(ssn: UInt16, message: DataMessage)] = []
        /// Messages complete before the channel opened (DATA in COOKIE-ECHOED, ahead of the
        /// COOKIE-ACK that establishes the association): delivered as it opens, as Chromium's
        /// SctpDataChannel queues what arrives while it is connecting.
        var beforeOpen: [DataMessage] = []

        public static func == (a: Channel, b: Channel) -> Bool {
            a.label == b.label && a.stream == b.stream && a.options == b.options && a.state == b.state
                && a.bufferedAmount == b.bufferedAmount
        }
    }
    public private(set) var channels: [Channel] = []

    // MARK: Sender state

    private struct Queued: Sendable {
        var stream: UInt16
        var ssn: UInt16
        var unordered: Bool
        var message: DataMessage
        var serial: UInt32
        var sent = 0
        var deadline: Int64?
        var maxRetransmits: Int?
    }
    private struct Outstanding: Sendable {
        var fragment: DataFragment
        var serial: UInt32
        var deadline: Int64?
        var maxRetransmits: Int?
        var transmissions = 1
        var acked = false
        var abandoned = false
        var inFlight = true
        var retransmit = false
        var misses = 0
        var fastRetransmitted = false
    }
    private var queue: [Queued] = []
    private var queueHead = 0
    /// Sent fragments not yet cumulatively acked, in TSN order, from `outstandingHead` on: the
    /// acked front is dropped by moving the head (compacted now and then), not by shifting the
    /// array on every SACK, which made a saturated flow's run slower the longer it ran.
    private var outstanding: [Outstanding] = []
    private var outstandingHead = 0
    /// How many outstanding fragments are marked for retransmission: with none, the scans for
    /// them are skipped (they were a saturated flow's cost).
    private var markedForRetransmit = 0
    /// The outstanding fragments' indices.
    private var live: Range<Int> { outstandingHead..<outstanding.count }
    private var nextTSN: UInt32 = 1
    private var nextSerial: UInt32 = 1
    private var lastCumAck: UInt32 = 0
    public private(set) var cwnd = DataTransport.initialCwnd
    public private(set) var ssthresh = Int.max
    public private(set) var flightSize = 0
    private var partialBytesAcked = 0
    private var fastRecoveryExit: UInt32?
    public private(set) var rto = DataTransport.rtoInitial
    private var srtt: Int64?
    private var rttvar: Int64 = 0
    private var timedTSN: (tsn: UInt32, at: Int64)?
    /// No FORWARD-TSN before this (`forwardIfAbandoned`).
    private var forwardTSNNotBefore: Int64 = .min
    private var t3At: Int64?
    private var t3Backoff = 0

    // MARK: Receiver state

    private var cumulativeTSN: UInt32 = 0
    private var receivedAbove: [UInt32] = []
    private var held: [DataFragment] = []
    private var unackedPackets = 0
    private var delayedAckAt: Int64?

    public init() {}

    // MARK: - Channels

    /// `createDataChannel(label, {negotiated: true, id: stream, ...})` on this side; `TypeError`
    /// for options the W3C API refuses (`DataChannelOptions.typeError`).
    @discardableResult
    public mutating func openChannel(label: String, stream: UInt16, options: DataChannelOptions,
                                     established: Bool, into out: inout [AssociationOutput]) -> Result<Void, RTCError> {
        if let reason = options.typeError { return .failure(DataChannelOptions.refusal(reason)) }
        guard !channels.contains(where: { $0.stream == stream }) else { return .success(()) }
        channels.append(Channel(label: label, stream: stream, options: options))
        if established { associationEstablished(into: &out) }
        return .success(())
    }

    public func channel(stream: UInt16) -> Channel? { channels.first { $0.stream == stream } }

    public mutating func setBufferedAmountLowThreshold(stream: UInt16, _ bytes: Int) {
        if let i = channels.firstIndex(where: { $0.stream == stream }) { channels[i].bufferedAmountLowThreshold = bytes }
    }

    /// The association is up: every connecting channel opens (negotiated channels need no DCEP).
    mutating func associationEstablished(into out: inout [AssociationOutput]) {
        for i in channels.indices where channels[i].state == .connecting {
            channels[i].state = .open
            out.append(.dataChannelOpen(stream: channels[i].stream))
            for m in channels[i].beforeOpen { out.append(.dataMessage(stream: channels[i].stream, message: m)) }
            channels[i].beforeOpen = []
        }
    }

    /// The association is gone (ABORT received or sent, `pc.close()`): every channel closes;
    /// whatever was queued or in flight goes nowhere. `error`: the remote aborted.
    mutating func closeAll(error: Bool, into out: inout [AssociationOutput]) {
        for i in channels.indices where channels[i].state != .closed {
            channels[i].state = .closed
            channels[i].bufferedAmount = 0
            channels[i].waiting.removeAll()
            out.append(.dataChannelClosed(stream: channels[i].stream, error: error))
        }
        queue.removeAll()
        queueHead = 0
        outstanding.removeAll()
        outstandingHead = 0
        markedForRetransmit = 0
        held.removeAll()
        flightSize = 0
        t3At = nil
        delayedAckAt = nil
    }

    // MARK: - Sending

    /// `RTCDataChannel.send` of a binary message: refused as webrtc-pc says, else queued and
    /// sent as the congestion window allows.
    public mutating func send(stream: UInt16, _ message: DataMessage, now: Int64,
                              into out: inout [AssociationOutput]) -> Result<Void, DataSendError> {
        guard let c = channels.firstIndex(where: { $0.stream == stream }), channels[c].state == .open else {
            return .failure(.invalidState)
        }
        guard message.length >= 0 else { return .failure(.negativeLength(message.length)) }
        guard message.length <= Self.maxMessageSize else {
            return .failure(.tooLarge(length: message.length, limit: Self.maxMessageSize))
        }
        guard channels[c].bufferedAmount + message.length <= Self.maxBufferedAmount else {
            // libwebrtc closes the channel abruptly ("failure to queue additional data").
            let buffered = channels[c].bufferedAmount
            closeChannel(c, into: &out)
            return .failure(.bufferFull(bufferedAmount: buffered, limit: Self.maxBufferedAmount))
        }
        let o = channels[c].options
        var q = Queued(stream: stream, ssn: 0, unordered: !o.ordered, message: message, serial: nextSerial)
        nextSerial &+= 1
        q.deadline = o.maxPacketLifeTime.map { now + $0 }
        q.maxRetransmits = o.maxRetransmits
        queue.append(q)
        channels[c].bufferedAmount += message.length
        transmit(now: now, into: &out)
        return .success(())
    }

    private mutating func closeChannel(_ c: Int, into out: inout [AssociationOutput]) {
        let stream = channels[c].stream
        channels[c].state = .closed
        channels[c].bufferedAmount = 0
        for k in queueHead..<queue.count where queue[k].stream == stream && queue[k].sent == 0 {
            queue[k].message.length = -1  // skipped by `transmit`
        }
        out.append(.dataChannelClosed(stream: stream, error: true))
    }

    /// Send what the window allows: retransmissions first, then new fragments, at most
    /// `maxBurst` packets (RFC 9260 §6.1, §7.2).
    private mutating func transmit(now: Int64, into out: inout [AssociationOutput]) {
        assert(markedForRetransmit == outstanding[live].filter(\.retransmit).count, "outstanding count drifted")
        var burst = 0
        var i = markedForRetransmit > 0 ? outstandingHead : outstanding.count
        while i < outstanding.count && burst < Self.maxBurst {
            defer { i += 1 }
            guard outstanding[i].retransmit, !outstanding[i].abandoned, !outstanding[i].acked else { continue }
            if gaveUp(outstanding[i], now: now) {
                abandon(serial: outstanding[i].serial, now: now, into: &out)
                continue
            }
            let length = outstanding[i].fragment.length
            guard flightSize == 0 || flightSize + length <= cwnd else { break }
            outstanding[i].retransmit = false
            markedForRetransmit -= 1
            outstanding[i].transmissions += 1
            outstanding[i].inFlight = true
            flightSize += length
            burst += 1
            var f = outstanding[i].fragment
            f.bundledAck = takeDueAck()
            out.append(.send(.sctp(.fragment(f))))
        }
        while queueHead < queue.count && burst < Self.maxBurst {
            var q = queue[queueHead]
            if q.message.length < 0 {
                queueHead += 1
                continue
            }
            if q.sent == 0, let d = q.deadline, now > d {
                // Expired before its first fragment left: discarded. A message already started
                // is sent to its end; its chunks expire only once marked for retransmission
                // (dcSCTP's send queue checks the lifetime only before a message's first
                // fragment, `OutgoingStream::Produce`).
                queueHead += 1
                reduceBuffered(stream: q.stream, by: q.message.length, into: &out)
                out.append(.dataAbandoned(stream: q.stream, message: q.message))
                continue
            }
            let length = min(Self.maxFragmentPayload, q.message.length - q.sent)
            guard flightSize == 0 || flightSize + length <= cwnd else { break }
            if q.sent == 0 && !q.unordered, let c = channels.firstIndex(where: { $0.stream == q.stream }) {
                // The SSN is taken when the first fragment goes out, so a message abandoned
                // before it was sent leaves no gap in the stream (as dcSCTP's send queue does).
                q.ssn = channels[c].nextSSN
                channels[c].nextSSN &+= 1
            }
            let f = DataFragment(tsn: nextTSN, stream: q.stream, ssn: q.ssn, unordered: q.unordered,
                                 begin: q.sent == 0, end: q.sent + length == q.message.length,
                                 length: length, message: q.message)
            nextTSN &+= 1
            q.sent += length
            outstanding.append(Outstanding(fragment: f, serial: q.serial, deadline: q.deadline, maxRetransmits: q.maxRetransmits))
            flightSize += length
            if timedTSN == nil { timedTSN = (f.tsn, now) }
            burst += 1
            var bundled = f
            bundled.bundledAck = takeDueAck()
            out.append(.send(.sctp(.fragment(bundled))))
            if f.end { queueHead += 1 } else { queue[queueHead] = q }
            reduceBuffered(stream: q.stream, by: length, into: &out)
        }
        if queueHead > 64 && queueHead * 2 > queue.count {
            queue.removeFirst(queueHead)
            queueHead = 0
        }
        if queueHead == queue.count && !queue.isEmpty {
            // A drained queue keeps a small buffer (a light flow queues one message at a time,
            // and would otherwise allocate and free one per message) but gives a large one back.
            queue.removeAll(keepingCapacity: queue.capacity <= 16)
            queueHead = 0
        }
        if burst > 0 && t3At == nil { t3At = now + timerDuration }
    }

    /// webrtc-pc: `bufferedamountlow` when `bufferedAmount` falls from above the threshold to
    /// at or below it.
    private mutating func reduceBuffered(stream: UInt16, by n: Int, into out: inout [AssociationOutput]) {
        guard let c = channels.firstIndex(where: { $0.stream == stream }), channels[c].state == .open else { return }
        let before = channels[c].bufferedAmount
        channels[c].bufferedAmount = max(0, before - n)
        let t = channels[c].bufferedAmountLowThreshold
        if before > t && channels[c].bufferedAmount <= t { out.append(.bufferedAmountLow(stream: stream)) }
    }

    private func gaveUp(_ o: Outstanding, now: Int64) -> Bool {
        if let m = o.maxRetransmits, o.transmissions > m { return true }
        if let d = o.deadline, now > d { return true }
        return false
    }

    /// RFC 3758 §3.5: abandon every chunk of the message, and the rest of it not yet sent.
    private mutating func abandon(serial: UInt32, now: Int64, into out: inout [AssociationOutput]) {
        var message: (UInt16, DataMessage)?
        for k in live where outstanding[k].serial == serial && !outstanding[k].abandoned {
            if outstanding[k].inFlight && !outstanding[k].acked { flightSize -= outstanding[k].fragment.length }
            outstanding[k].abandoned = true
            outstanding[k].inFlight = false
            if outstanding[k].retransmit { markedForRetransmit -= 1 }
            outstanding[k].retransmit = false
            message = (outstanding[k].fragment.stream, outstanding[k].fragment.message)
        }
        if queueHead < queue.count && queue[queueHead].serial == serial {
            let q = queue[queueHead]
            queueHead += 1
            reduceBuffered(stream: q.stream, by: q.message.length - q.sent, into: &out)
            message = (q.stream, q.message)
            if q.sent > 0 {
                // Its last fragment never left: a placeholder end takes a TSN of its own,
                // abandoned at once, so that a FORWARD-TSN covers the message (with its stream
                // sequence number) even when every fragment sent has been acked already. The
                // receiver would otherwise hold those fragments, and an ordered stream behind
                // them, forever (dcSCTP's `OutstandingData::AbandonAllFor` does the same).
                let end = DataFragment(tsn: nextTSN, stream: q.stream, ssn: q.ssn, unordered: q.unordered,
                                       begin: false, end: true, length: 0, message: q.message)
                nextTSN &+= 1
                var o = Outstanding(fragment: end, serial: serial, deadline: q.deadline, maxRetransmits: q.maxRetransmits)
                o.abandoned = true
                o.inFlight = false
                outstanding.append(o)
            }
        }
        if let (stream, m) = message { out.append(.dataAbandoned(stream: stream, message: m)) }
    }

    /// The T3-rtx timer's current duration: RTO, doubled per expiry, capped at Chromium's 3 s
    /// backoff limit (but never below the RTO itself).
    private var timerDuration: Int64 {
        var d = rto
        for _ in 0..<min(t3Backoff, 16) { d *= 2 }
        return min(d, max(rto, Self.maxTimerBackoff))
    }

    /// RFC 3758 §3.5 C1–C3: move the advanced peer ack point over abandoned chunks and tell the
    /// receiver with FORWARD-TSN, at most once per smoothed round trip (200 ms at most), as
    /// dcSCTP does (`TransmissionControlBlock::MaybeSendForwardTsn`, after RFC 3758's note on
    /// duplicate FORWARD-TSNs): sent on every SACK, each FORWARD-TSN drew a SACK that drew the
    /// next, and every SACK still on its way started one more such exchange. What the limit
    /// holds back goes with a later SACK or the T3 timer.
    private mutating func forwardIfAbandoned(now: Int64, into out: inout [AssociationOutput]) {
        guard now >= forwardTSNNotBefore else { return }
        var point = lastCumAck
        var skipped: [ForwardTSN.Skipped] = []
        for k in live {
            let o = outstanding[k]
            guard o.abandoned, o.fragment.tsn == point &+ 1 else { break }
            point = o.fragment.tsn
            if !o.fragment.unordered {
                let s = ForwardTSN.Skipped(stream: o.fragment.stream, ssn: o.fragment.ssn)
                if let k = skipped.firstIndex(where: { $0.stream == s.stream }) { skipped[k] = s } else { skipped.append(s) }
            }
        }
        if point != lastCumAck {
            out.append(.send(.sctp(.forwardTSN(ForwardTSN(newCumulativeTSN: point, skipped: skipped)))))
            forwardTSNNotBefore = now + min(Self.delayedAck, srtt ?? Self.delayedAck)
        }
    }

    mutating func receiveSack(_ s: SelectiveAck, now: Int64, into out: inout [AssociationOutput]) {
        guard s.cumulativeTSN >= lastCumAck, s.cumulativeTSN < nextTSN else { return }
        let flightBefore = flightSize
        let cumAdvanced = s.cumulativeTSN > lastCumAck
        var newlyAcked = 0
        var measured = false
        while outstandingHead < outstanding.count && outstanding[outstandingHead].fragment.tsn <= s.cumulativeTSN {
            let o = outstanding[outstandingHead]
            // Abandoned chunks count too: they left and arrived (dcSCTP's `AckChunk` counts every
            // chunk not acked before). Left out, a lifetime flow whose chunks expired behind a
            // small window never grew the window, and so everything expired.
            if !o.acked { newlyAcked += o.fragment.length }
            if o.inFlight && !o.acked { flightSize -= o.fragment.length }
            if let t = timedTSN, t.tsn == o.fragment.tsn {
                if o.transmissions == 1 && !o.abandoned {
                    observeRTT(now - t.at)
                    measured = true
                }
                timedTSN = nil
            }
            if o.retransmit { markedForRetransmit -= 1 }
            outstandingHead += 1
        }
        if outstandingHead == outstanding.count && !outstanding.isEmpty {
            // Everything acked: the acked front goes now, not at the next compaction. A light
            // flow (one message in flight at a time) never reaches 64 and kept up to 64 acked
            // fragments a connection, with their messages: 81 MB of the 100-peer traffic run.
            outstanding.removeAll(keepingCapacity: outstanding.capacity <= 16)
            outstandingHead = 0
        } else if outstandingHead > 64 && outstandingHead * 2 > outstanding.count {
            outstanding.removeFirst(outstandingHead)
            outstandingHead = 0
        }
        if let t = timedTSN, t.tsn <= s.cumulativeTSN { timedTSN = nil }
        lastCumAck = s.cumulativeTSN
        var highestGapAcked: UInt32 = 0
        for g in s.gaps {
            highestGapAcked = max(highestGapAcked, g.upperBound)
            for k in live where g.contains(outstanding[k].fragment.tsn) && !outstanding[k].acked {
                outstanding[k].acked = true
                if outstanding[k].inFlight { flightSize -= outstanding[k].fragment.length }
                outstanding[k].inFlight = false
                if outstanding[k].retransmit { markedForRetransmit -= 1 }
                outstanding[k].retransmit = false
                newlyAcked += outstanding[k].fragment.length
            }
        }
        if let exit = fastRecoveryExit, s.cumulativeTSN >= exit { fastRecoveryExit = nil }
        // Miss indications (§7.2.4): chunks below the highest gap-acked TSN not acked.
        var enterRecovery = false
        // In TSN order: the fragments below the highest gap-acked TSN are a prefix.
        for k in live {
            if outstanding[k].fragment.tsn >= highestGapAcked { break }
            guard !outstanding[k].acked && !outstanding[k].abandoned && !outstanding[k].fastRetransmitted else { continue }
            outstanding[k].misses += 1
            if outstanding[k].misses >= Self.fastRetransmitThreshold {
                outstanding[k].fastRetransmitted = true
                if !outstanding[k].retransmit { markedForRetransmit += 1 }
                outstanding[k].retransmit = true
                if outstanding[k].inFlight { flightSize -= outstanding[k].fragment.length }
                outstanding[k].inFlight = false
                enterRecovery = true
            }
        }
        if enterRecovery && fastRecoveryExit == nil {
            ssthresh = max(cwnd / 2, Self.minCwnd)
            cwnd = ssthresh
            partialBytesAcked = 0
            fastRecoveryExit = nextTSN &- 1
        } else if cumAdvanced && fastRecoveryExit == nil {
            // §7.2.1/§7.2.2: grow only when the window was in use.
            let full = flightBefore + Self.mtu >= cwnd
            if cwnd <= ssthresh {
                if full { cwnd += min(newlyAcked, Self.mtu) }
            } else {
                partialBytesAcked += newlyAcked
                if full && partialBytesAcked >= cwnd {
                    partialBytesAcked -= cwnd
                    cwnd += Self.mtu
                }
            }
        }
        // The backed-off RTO holds until a valid RTT measurement (RFC 9260 §6.3.3 E2, RFC 6298
        // §5.5-5.7, Karn): reset on any cumulative advance, a round trip above the unmeasured
        // 500 ms RTO expired T3 after every ack and never got a sample, and a lossless 600 ms
        // path carried 4 messages a second (QA, session 14).
        if measured { t3Backoff = 0 }
        // RFC 3758 §3.5 A2/A3: give up what is due for retransmission past its limit or its
        // lifetime, before anything is sent. Only what is marked for retransmission (nacked):
        // a chunk still in flight may have arrived, its SACK delayed or on its way (dcSCTP's
        // OutstandingData::ExpireOutstandingChunks). Expiring those too abandoned messages
        // already delivered on a lossless path and flooded it with FORWARD-TSNs.
        for k in (markedForRetransmit > 0 ? live : 0..<0) where !outstanding[k].acked && !outstanding[k].abandoned
            && outstanding[k].retransmit && gaveUp(outstanding[k], now: now) {
            abandon(serial: outstanding[k].serial, now: now, into: &out)
        }
        if live.isEmpty {
            t3At = nil
        } else if cumAdvanced {
            t3At = now + timerDuration
        }
        forwardIfAbandoned(now: now, into: &out)
        transmit(now: now, into: &out)
    }

    /// RFC 9260 §6.3.1, clamped to dcSCTP's bounds.
    private mutating func observeRTT(_ r: Int64) {
        guard r >= 0 else { return }
        if let s = srtt {
            rttvar = (3 * rttvar + abs(s - r)) / 4
            srtt = (7 * s + r) / 8
        } else {
            srtt = r
            rttvar = r / 2
        }
        rto = min(max(srtt! + 4 * rttvar, Self.rtoMin), Self.rtoMax)
    }

    /// T3-rtx expired (§6.3.3): back off, shrink the window to one MTU, mark everything
    /// outstanding for retransmission.
    private mutating func retransmissionTimeout(now: Int64, into out: inout [AssociationOutput]) {
        t3At = nil
        guard !live.isEmpty else { return }
        t3Backoff += 1
        guard outstanding[live].contains(where: { !$0.acked && !$0.abandoned }) else {
            // Only a FORWARD-TSN is unanswered: send it again, the window is not at fault.
            forwardIfAbandoned(now: now, into: &out)
            t3At = now + timerDuration
            return
        }
        ssthresh = max(cwnd / 2, Self.minCwnd)
        cwnd = Self.mtu
        partialBytesAcked = 0
        fastRecoveryExit = nil
        timedTSN = nil
        for k in live where !outstanding[k].acked && !outstanding[k].abandoned {
            if outstanding[k].inFlight { flightSize -= outstanding[k].fragment.length }
            outstanding[k].inFlight = false
            if !outstanding[k].retransmit { markedForRetransmit += 1 }
            outstanding[k].retransmit = true
        }
        // Abandon what its limits say to before retransmitting (RFC 3758 §3.5 A1-A3).
        for k in live where outstanding[k].retransmit && gaveUp(outstanding[k], now: now) {
            abandon(serial: outstanding[k].serial, now: now, into: &out)
        }
        forwardIfAbandoned(now: now, into: &out)
        transmit(now: now, into: &out)
        if t3At == nil { t3At = now + timerDuration }
    }

    // MARK: - Receiving

    mutating func receiveFragment(_ f: DataFragment, now: Int64, into out: inout [AssociationOutput]) {
        if let ack = f.bundledAck { receiveSack(ack, now: now, into: &out) }
        if f.tsn <= cumulativeTSN || receivedAbove.contains(f.tsn) {
            sack(into: &out)  // a duplicate: SACK at once (RFC 9260 §6.2)
            return
        }
        if f.tsn == cumulativeTSN &+ 1 {
            cumulativeTSN = f.tsn
            var k = 0
            while k < receivedAbove.count && receivedAbove[k] == cumulativeTSN &+ 1 {
                cumulativeTSN = receivedAbove[k]
                k += 1
            }
            if k > 0 { receivedAbove.removeFirst(k) }
        } else {
            let k = receivedAbove.firstIndex { $0 > f.tsn } ?? receivedAbove.count
            receivedAbove.insert(f.tsn, at: k)
        }
        if let c = channels.firstIndex(where: { $0.stream == f.stream }), channels[c].state == .open || channels[c].state == .connecting {
            if f.begin && f.end {
                complete(f, channel: c, into: &out)
            } else {
                let k = held.firstIndex { $0.tsn > f.tsn } ?? held.count
                held.insert(f, at: k)
                reassemble(around: k, channel: c, into: &out)
            }
        }
        unackedPackets += 1
        if !receivedAbove.isEmpty || unackedPackets >= 2 {
            sack(into: &out)
        } else if delayedAckAt == nil {
            delayedAckAt = now + Self.delayedAck
        }
    }

    /// If the fragment at `k` completes a message (consecutive TSNs from `begin` to `end`),
    /// take it out and deliver it.
    private mutating func reassemble(around k: Int, channel c: Int, into out: inout [AssociationOutput]) {
        var first = k
        while !held[first].begin {
            guard first > 0, held[first - 1].tsn == held[first].tsn &- 1 else { return }
            first -= 1
        }
        var last = k
        while !held[last].end {
            guard last + 1 < held.count, held[last + 1].tsn == held[last].tsn &+ 1 else { return }
            last += 1
        }
        let f = held[first]
        held.removeSubrange(first...last)
        complete(f, channel: c, into: &out)
    }

    private mutating func complete(_ f: DataFragment, channel c: Int, into out: inout [AssociationOutput]) {
        if f.unordered {
            deliver(f.message, channel: c, into: &out)
            return
        }
        if f.ssn == channels[c].expectedSSN {
            deliver(f.message, channel: c, into: &out)
            channels[c].expectedSSN &+= 1
            deliverWaiting(c, into: &out)
        } else if Int16(bitPattern: f.ssn &- channels[c].expectedSSN) > 0 {
            let k = channels[c].waiting.firstIndex { Int16(bitPattern: $0.ssn &- f.ssn) > 0 } ?? channels[c].waiting.count
            channels[c].waiting.insert((f.ssn, f.message), at: k)
        }
    }

    /// A complete message to its channel's page, or kept until the channel opens.
    private mutating func deliver(_ m: DataMessage, channel c: Int, into out: inout [AssociationOutput]) {
        if channels[c].state == .connecting {
            channels[c].beforeOpen.append(m)
        } else {
            out.append(.dataMessage(stream: channels[c].stream, message: m))
        }
    }

    private mutating func deliverWaiting(_ c: Int, into out: inout [AssociationOutput]) {
        while let w = channels[c].waiting.first, Int16(bitPattern: w.ssn &- channels[c].expectedSSN) <= 0 {
            channels[c].waiting.removeFirst()
            if w.ssn == channels[c].expectedSSN {
                deliver(w.message, channel: c, into: &out)
                channels[c].expectedSSN &+= 1
            }
        }
    }

    mutating func receiveForwardTSN(_ f: ForwardTSN, now: Int64, into out: inout [AssociationOutput]) {
        // RFC 3758 §3.6: a FORWARD-TSN that moves nothing is out of date (the SACK that answered
        // the last one may be lost): SACK at once. One that moves the cumulative TSN counts as a
        // DATA packet for the delayed-SACK rules (dcSCTP's DataTracker does both).
        let advances = f.newCumulativeTSN > cumulativeTSN
        if advances {
            cumulativeTSN = f.newCumulativeTSN
            receivedAbove.removeAll { $0 <= cumulativeTSN }
            var k = 0
            while k < receivedAbove.count && receivedAbove[k] == cumulativeTSN &+ 1 {
                cumulativeTSN = receivedAbove[k]
                k += 1
            }
            if k > 0 { receivedAbove.removeFirst(k) }
        }
        // Fragments up to the new cumulative TSN still held belong to abandoned messages (the
        // sender moves its point over abandoned chunks only, and a message's chunks are
        // consecutive): they can never complete. Also when the FORWARD-TSN comes after the
        // fragments themselves moved the cumulative TSN past it: a message abandoned after
        // its first fragments arrived would otherwise hold its stream forever.
        held.removeAll { $0.tsn <= f.newCumulativeTSN }
        for s in f.skipped {
            guard let c = channels.firstIndex(where: { $0.stream == s.stream }) else { continue }
            if Int16(bitPattern: s.ssn &- channels[c].expectedSSN) >= 0 {
                channels[c].expectedSSN = s.ssn &+ 1
                deliverWaiting(c, into: &out)
            }
        }
        unackedPackets += 1
        if !advances || !receivedAbove.isEmpty || unackedPackets >= 2 {
            sack(into: &out)
        } else if delayedAckAt == nil {
            delayedAckAt = now + Self.delayedAck
        }
    }

    /// A delayed acknowledgement that is due, to bundle with outgoing DATA (and then not sent
    /// on its own); nil when none is waiting.
    private mutating func takeDueAck() -> SelectiveAck? {
        guard delayedAckAt != nil || unackedPackets > 0 else { return nil }
        unackedPackets = 0
        delayedAckAt = nil
        return currentAck
    }

    private var currentAck: SelectiveAck {
        var gaps: [ClosedRange<UInt32>] = []
        for t in receivedAbove {
            if let last = gaps.last, last.upperBound &+ 1 == t { gaps[gaps.count - 1] = last.lowerBound...t } else { gaps.append(t...t) }
        }
        return SelectiveAck(cumulativeTSN: cumulativeTSN, gaps: gaps)
    }

    private mutating func sack(into out: inout [AssociationOutput]) {
        unackedPackets = 0
        delayedAckAt = nil
        out.append(.send(.sctp(.selectiveAck(currentAck))))
    }

    // MARK: - Time

    public var nextDeadline: Int64? {
        switch (t3At, delayedAckAt) {
        case (nil, nil): return nil
        case (let a?, nil): return a
        case (nil, let b?): return b
        case (let a?, let b?): return min(a, b)
        }
    }

    mutating func timerFired(now: Int64, into out: inout [AssociationOutput]) {
        if let t = delayedAckAt, t <= now { sack(into: &out) }
        if let t = t3At, t <= now { retransmissionTimeout(now: now, into: &out) }
    }

    // MARK: - Inspection (tests, reports)

    public var queuedMessages: Int { queue.count - queueHead }
    public var outstandingChunks: Int { live.count }
    /// Fragments the sender still holds, acked ones at the front included (tests: what a
    /// light flow keeps).
    var retainedFragments: Int { outstanding.count }
    public var smoothedRTT: Int64? { srtt }
    var debugState: String {
        "t3 \(String(describing: t3At)) cum \(lastCumAck) next \(nextTSN) flight \(flightSize) cwnd \(cwnd) queue \(queuedMessages) out \(outstanding[live].map { "\($0.fragment.tsn)a\($0.acked)r\($0.retransmit)f\($0.inFlight)x\($0.transmissions)" }) rcum \(cumulativeTSN) above \(receivedAbove) held \(held.count)"
    }
}
