import SignalProtocol

/// Every application message of a run with `traffic`: who sent it to whom, when, and what became
/// of it. The simulator writes it as pages send and receive; the report reads it
/// (`DataReport`). Judged from outside the transport: a message is delivered when the
/// receiving page's script gets it, lost when nothing can bring it any more. A class: the
/// simulator updates it in place on every message, never copies it.
final class TrafficLedger {
    enum Fate: UInt8 {
        case inFlight, delivered, lost
    }

    /// Why a message that was sent never arrived.
    enum LossCause: String, CaseIterable {
        case partialReliability = "partial reliability gave up"
        case senderPageGone = "sender's page went away (reload, close or crash)"
        case receiverPageGone = "receiver's page went away (reload, close or crash)"
        case channelClosed = "channel closed (the connection was closed or aborted)"
        case sendBufferFull = "channel closed: send buffer full (OperationError)"
    }

    /// Why a message the flow wanted to send was not handed to `send()`.
    enum NotSentCause: String, CaseIterable {
        case noOpenChannel = "no open channel to the receiver"
        case backpressure = "bufferedAmount above the page's high-water mark"
    }

    /// One message sent (index: its tag). Kept small (32 bytes), as a run keeps one per message
    /// sent: the flow, the sending page and the payload size are the direction's and the flow's.
    struct Message {
        /// Before delivery, when it was sent; once delivered, how long it took (the page's
        /// script got it minus when it was sent).
        var time: Int64
        /// The connection it went on, and its direction (`directions`).
        var connection: Int32
        var direction: Int32
        /// Its number in its direction, from 0 (order is judged by it).
        var sequence: Int32
        /// Envelope chunks still to arrive (a message above 256 KiB is several).
        var chunksLeft: Int32
        var fate: Fate = .inFlight
        var cause: LossCause?

        init(sentAt: Int64, connection: Int32, direction: Int32, sequence: Int32, chunks: Int32) {
            time = sentAt
            self.connection = connection
            self.direction = direction
            self.sequence = sequence
            chunksLeft = chunks
        }
    }

    /// One sender page → receiver page direction of one flow, both by their report names (a
    /// duplicated tab's `as`, not the uid it shares or takes: QA, session 14).
    struct Direction {
        var flow: Int32
        var senderPage: Int32
        var senderName: String
        var receiver: String
        var nextSequence: Int32 = 0
        var bytesSent = 0
        var highestDelivered: Int32 = -1
        var outOfOrder = 0
        var duplicated = 0
        var notSent: [Int] = Array(repeating: 0, count: NotSentCause.allCases.count)
    }

    struct DirectionKey: Hashable {
        var flow: Int32
        var page: Int32
        var receiver: String
    }

    /// Per flow: the encoded lengths of one message's envelopes (one, or the chunks of a
    /// message above 256 KiB), and the payload bytes it carries; computed once.
    let chunkLengths: [[Int]]
    let payloadSizes: [Int]
    let totalBytes: [Int?]

    init(flows: [TrafficFlow]) {
        chunkLengths = flows.map {
            switch EnvelopeChunker.encodedChunkLengths(payloadLength: $0.messageSize,
                                                       extensionsLength: Self.envelopeOverhead - EnvelopeCodec.headerLength,
                                                       maxMessageSize: DataTransport.maxMessageSize) {
            case .success(let lengths): return lengths
            // The loader keeps messageSize within 1...16 MiB: at most 65 chunks of 256 KiB.
            case .failure(let error): preconditionFailure("messageSize \($0.messageSize): \(error)")
            }
        }
        payloadSizes = flows.map(\.messageSize)
        totalBytes = flows.map(\.totalBytes)
    }

    var messages: [Message] = []
    var directions: [Direction] = []
    /// Lookup only (never iterated): `directions` keeps the order.
    var directionIndex: [DirectionKey: Int32] = [:]
    /// Connection << 16 | stream of the channels closed because a send overflowed the buffer.
    var overflowed: Set<Int64> = []  // membership only
    /// Page << 32 | flow → a rate flow's first tick on that page and the ticks since: tick k
    /// is at first + k/rate exactly (a rounded interval, added up, drifted: `rate` 3 sent 31
    /// messages in 10 s). Looked up by key only.
    var ticks: [Int64: (first: Int64, count: Int64)] = [:]

    /// The page's backpressure: a rate flow skips a message while the channel's
    /// `bufferedAmount` is above `highWater`; a bulk flow fills up to it and goes on at
    /// `bufferedamountlow`, whose threshold is `lowWater`.
    static let highWater = 1 << 20
    static let lowWater = 256 << 10

    /// Flow `fi`'s `bufferedamountlow` threshold: 256 KiB, or lower when a message would not
    /// fit in Chromium's 16 MiB send buffer on top of that (the page then waits for less).
    func lowWater(flow fi: Int) -> Int {
        min(Self.lowWater, max(0, DataTransport.maxBufferedAmount - wireLength(flow: fi)))
    }

    /// Flow `fi`'s bytes on the wire for one message (its envelope chunks).
    func wireLength(flow fi: Int) -> Int {
        let lengths = chunkLengths[fi]
        return lengths.count == 1 ? lengths[0] : lengths.reduce(0, +)
    }
    /// The envelope's header and the flow/sequence and send-time extensions.
    static let envelopeOverhead = Envelope.trafficMessage(flow: 0, sequence: 0, sentAt: 0, payload: []).encodedLength

    /// connection × flows + flow → direction (−1: not yet known): a connection belongs to one
    /// page and one remote, so this spares the keyed lookup on every message.
    private var directionOfConnection: [Int32] = []

    /// `receiver`: the receiving page's report name, asked for only the first time.
    func direction(connection c: Int32, flow: Int32, page: Int32, senderName: String, receiver: () -> String) -> Int32 {
        let k = Int(c) * chunkLengths.count + Int(flow)
        if k < directionOfConnection.count, directionOfConnection[k] >= 0 { return directionOfConnection[k] }
        while directionOfConnection.count <= k { directionOfConnection.append(-1) }
        let d = direction(flow: flow, page: page, senderName: senderName, receiver: receiver())
        directionOfConnection[k] = d
        return d
    }

    func direction(flow: Int32, page: Int32, senderName: String, receiver: String) -> Int32 {
        let key = DirectionKey(flow: flow, page: page, receiver: receiver)
        if let d = directionIndex[key] { return d }
        let d = Int32(directions.count)
        directions.append(Direction(flow: flow, senderPage: page, senderName: senderName, receiver: receiver))
        directionIndex[key] = d
        return d
    }

    /// A chunk of message `i` reached the receiving page's script at `at`: once all have, the
    /// message is delivered (or counted again, if it already was).
    func receivedChunk(message i: Int, at: Int64) {
        messages.withUnsafeMutableBufferPointer { all in
            all[i].chunksLeft -= 1
            guard all[i].chunksLeft <= 0 else { return }
            let d = Int(all[i].direction)
            if all[i].fate == .delivered {
                directions[d].duplicated += 1
                return
            }
            // A message partial reliability gave up on can still arrive (its SACK was lost).
            all[i].fate = .delivered
            all[i].cause = nil
            all[i].time = at - all[i].time
            let seq = all[i].sequence
            if seq < directions[d].highestDelivered {
                directions[d].outOfOrder += 1
            } else {
                directions[d].highestDelivered = seq
            }
        }
    }

    /// Per page × flow (page · flows + flow): the connections a tick sends on, as of when there
    /// were `connectionCount` connections and the page had `uid` (`Simulation.tickConnections`).
    struct TickList {
        var connectionCount = -1
        var uid = ""
        var connections: [Int32] = []
    }
    var tickLists: [TickList] = []

    /// A rate tick's `send()` calls, charged as one task of the page's script
    /// (`Simulation.trafficTick`): when it starts, how many chunks it sends and how many have
    /// been sent; nil outside a tick.
    struct SendBatch {
        let start: Int64
        let chunks: Int64
        var sent: Int64 = 0
    }
    var sendBatch: SendBatch?

    /// When each connection's latest data-path datagram arrives (index: connection), so that
    /// the next one does not overtake it (`Simulation.sendInOrder`).
    var lastArrival: [Int64] = []

    /// Application traffic's packets (DATA, SACK, FORWARD-TSN), direct or in a TURN Send indication.
    static func isDataPath(_ p: PeerPacket) -> Bool {
        switch p {
        case .sctp(.fragment), .sctp(.selectiveAck), .sctp(.forwardTSN): return true
        case .turn(.sendIndication(_, let data)): return isDataPath(data.packet)
        default: return false
        }
    }

    static func stream(flow: Int) -> UInt16 { UInt16(1_000 + flow) }
    static func flow(stream: UInt16) -> Int { Int(stream) - 1_000 }
}
