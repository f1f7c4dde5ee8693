import SignalProtocol

/// One direction of a host's access link that has a capacity (scenario `uplink`/`downlink`): the
/// bottleneck router's FIFO queue, which every datagram crossing the link shares with the media
/// streams' fluid demand (docs/model.md, "Access links").
///
/// The queue is kept as the bits waiting at one moment and brought forward lazily: between two
/// datagrams it drains at the capacity while the media tracks (a rate, set every media sample)
/// fill it, so a datagram costs two multiplications and no event. A datagram waits for what
/// is ahead of it and for its own serialisation (bits / capacity), and drop-tail drops it when
/// its bits do not fit in the buffer. While the tracks alone overfill the buffer, room frees as
/// fast as the link drains and datagrams compete for it with the tracks' packets: one is taken
/// with the share the link can serve (capacity / demand), drawn from the run's generator.
/// TCP (TURN over TCP) is delayed, never dropped: what the buffer cannot hold waits in the
/// sender's socket, and its bits leave at the link's rate.
struct AccessQueue {
    /// A home router's buffer, in time at the link's rate: a model choice (bufferbloat
    /// measurements of consumer routers commonly show hundreds of milliseconds; 250 ms here).
    static let maxQueueDelay: Int64 = 250_000_000

    /// Bits per second.
    let capacity: Int64
    /// The media tracks' rate into the queue now, bits per second (`Simulation.mediaTick`).
    var fluidRate: Int64 = 0
    /// Bits waiting at `updatedAt`.
    private(set) var backlog: Double = 0
    private(set) var updatedAt: Int64 = 0
    /// The tracks' bits the full buffer dropped.
    private(set) var fluidLost: Double = 0
    /// The longest a datagram waited for the bits ahead of it (not its own serialisation), ns.
    private(set) var maxWait: Int64 = 0

    init(capacity: Int64) {
        self.capacity = capacity
    }

    /// Whatever the rate, a router's buffer holds a couple of full-size packets: 250 ms of a
    /// link slower than 96 kbit/s is less than one DTLS flight, which would then never get in
    /// (QA, session 15: a pair at 32 kbit/s never connected).
    static let minimumBufferBits: Double = 2 * 1_500 * 8

    /// The buffer's size in bits.
    var limit: Double { max(Double(capacity) * Double(Self.maxQueueDelay) / 1e9, Self.minimumBufferBits) }
    /// When the last TCP bit given to the link has left it (TURN over TCP).
    private var tcpFreeAt: Int64 = 0

    /// Queueing delay of the bits waiting at `updatedAt`, ns.
    var delay: Int64 { Int64(backlog / Double(capacity) * 1e9) }

    /// Bring the queue forward to `t` at the current fluid rate (never backwards: a datagram
    /// that enters before `updatedAt`, as a downlink's may, waits behind what is there).
    mutating func advance(to t: Int64) {
        guard t > updatedAt else { return }
        let seconds = Double(t - updatedAt) / 1e9
        updatedAt = t
        backlog += Double(fluidRate - capacity) * seconds
        if backlog > limit {
            fluidLost += backlog - limit
            backlog = limit
        } else if backlog < 0 {
            backlog = 0
        }
    }

    /// A datagram of `bits` entering at `t`: when its last bit has left the link, or nil when the
    /// full buffer drops it.
    mutating func enqueue(bits: Int, at t: Int64, tcp: Bool, rng: inout SimRandom) -> Int64? {
        advance(to: t)
        let b = Double(bits)
        if tcp {
            // TCP is never dropped: what the router's buffer cannot hold waits in the sender's
            // socket, so its bits leave one after another at the link's rate, behind what is
            // queued (QA, session 15: capping the backlog let TURN over TCP through at any rate).
            maxWait = max(maxWait, delay)
            let start = max(tcpFreeAt, updatedAt + delay)
            tcpFreeAt = start + Int64((b / Double(capacity) * 1e9).rounded(.up))
            backlog = min(backlog + b, limit)
            return tcpFreeAt
        }
        if backlog + b > limit {
            guard fluidRate > capacity, rng.chance(Double(capacity) / Double(fluidRate)) else { return nil }
        }
        maxWait = max(maxWait, delay)
        backlog = min(backlog + b, max(limit, b))
        return updatedAt + Int64((backlog / Double(capacity) * 1e9).rounded(.up))
    }
}

extension Datagram {
    /// Bytes on the wire (IPv4 and UDP headers included), for the access links. SCTP packets of
    /// application data are counted exactly (chunk headers, DTLS record, TURN framing); the
    /// rest, which is rare and small beside them, by typical sizes (model choices).
    var wireBytes: Int {
        let ipUDP = Self.ipUDPHeaderBytes
        switch packet {
        case .stun: return ipUDP + 100
        case .dtls: return ipUDP + 1_000
        case .sctp(let s): return ipUDP + Self.dtlsRecord + Self.sctpBytes(s)
        case .turn(let m):
            switch m {
            case .sendIndication(_, let r), .dataIndication(_, let r):
                // Send/Data indication: STUN header, XOR-PEER-ADDRESS and DATA attribute headers.
                let inner: Int
                switch r {
                case .stun: inner = 100
                case .dtls: inner = 1_000
                case .sctp(let s): inner = Self.dtlsRecord + Self.sctpBytes(s)
                }
                return ipUDP + 36 + inner
            default: return ipUDP + 100
            }
        }
    }

    /// IPv4 and UDP headers.
    static let ipUDPHeaderBytes = 28

    /// DTLS 1.2 record overhead with AES-GCM: 13 header + 8 explicit nonce + 16 tag (dcSCTP's 37).
    private static let dtlsRecord = 37

    /// An SCTP packet: 12-byte common header and its chunks.
    private static func sctpBytes(_ s: SCTPPacket) -> Int {
        func sack(_ a: SelectiveAck) -> Int { 16 + 4 * a.gaps.count }
        switch s {
        case .fragment(let f): return 12 + 16 + ((f.length + 3) & ~3) + (f.bundledAck.map(sack) ?? 0)
        case .selectiveAck(let a): return 12 + sack(a)
        case .forwardTSN(let f): return 12 + 8 + 4 * f.skipped.count
        case .data(let d):
            if case .binary(let size) = d.content { return 12 + 16 + ((size + 3) & ~3) }
            return 12 + 16 + 32
        case .sack: return 12 + 16
        case .initiate, .initAck, .cookieEcho, .cookieAck, .abort: return 12 + 100
        }
    }
}

extension PeerPacket {
    /// A STUN message (Binding, or TURN's): what Chromium's network service throttles
    /// (`STUNThrottle`).
    @inline(__always) var isSTUNFormatted: Bool {
        switch self {
        case .stun, .turn: return true
        default: return false
        }
    }

    /// A STUN request or response (not an indication): receiving one makes its sender an
    /// address the socket has heard from (`STUNThrottle`).
    @inline(__always) var isSTUNRequestOrResponse: Bool {
        // No payload bound: a binding would copy the packet.
        switch self {
        case .stun: return true
        case .turn(.sendIndication), .turn(.dataIndication): return false
        case .turn: return true
        default: return false
        }
    }

    /// A STUN message's bytes as the throttle counts them: its datagram's, less the IP and UDP
    /// headers (the sizes `Datagram.wireBytes` uses for the access links).
    var stunBytes: Int {
        Datagram(from: TransportAddress(ip: 0, port: 0), to: TransportAddress(ip: 0, port: 0), packet: copy self).wireBytes
            - Datagram.ipUDPHeaderBytes
    }
}
