/// An application message handed to `RTCDataChannel.send`, as the simulator carries it: its
/// length in bytes (the encoded envelope's) and a tag the sending page chose to recognise it
/// (flow and sequence number). The bytes themselves are not carried: their format is
/// `Envelope`, and nothing in the transport depends on their content.
public struct DataMessage: Sendable, Equatable {
    public var tag: UInt64
    public var length: Int

    public init(tag: UInt64, length: Int) {
        self.tag = tag
        self.length = length
    }
}

/// One DATA chunk of a data-channel message (RFC 9260 §3.3.1; RFC 8831 §6.6: PPID 53, binary).
/// A message larger than a packet is fragmented into chunks of consecutive TSNs, the first with
/// `begin`, the last with `end` (§6.9).
public struct DataFragment: Sendable, Equatable {
    public var tsn: UInt32
    public var stream: UInt16
    /// Stream sequence number; meaningful for ordered messages only.
    public var ssn: UInt16
    /// The U bit: deliver as soon as reassembled, regardless of `ssn`.
    public var unordered: Bool
    public var begin: Bool
    public var end: Bool
    /// User data bytes in this chunk.
    public var length: Int
    /// The whole message this chunk is part of.
    public var message: DataMessage
    /// A SACK bundled in the same packet ahead of the DATA chunk (RFC 9260 §6.2: a receiver
    /// with an acknowledgement due sends it with the DATA it has to send anyway).
    public var bundledAck: SelectiveAck? = nil

    /// Public so that code outside the module can build packets to drive a receiver.
    public init(tsn: UInt32, stream: UInt16, ssn: UInt16, unordered: Bool, begin: Bool, end: Bool,
                length: Int, message: DataMessage, bundledAck: SelectiveAck? = nil) {
        self.tsn = tsn
        self.stream = stream
        self.ssn = ssn
        self.unordered = unordered
        self.begin = begin
        self.end = end
        self.length = length
        self.message = message
        self.bundledAck = bundledAck
    }
}

/// A SACK (RFC 9260 §3.3.4): everything up to `cumulativeTSN` arrived, and the TSN ranges in
/// `gaps` above it.
public struct SelectiveAck: Sendable, Equatable {
    public var cumulativeTSN: UInt32
    public var gaps: [ClosedRange<UInt32>]

    public init(cumulativeTSN: UInt32, gaps: [ClosedRange<UInt32>] = []) {
        self.cumulativeTSN = cumulativeTSN
        self.gaps = gaps
    }
}

/// FORWARD-TSN (RFC 3758 §3.2): the receiver should consider every TSN up to
/// `newCumulativeTSN` received, and for ordered streams skip past the given sequence numbers.
public struct ForwardTSN: Sendable, Equatable {
    public struct Skipped: Sendable, Equatable {
        public var stream: UInt16
        public var ssn: UInt16

        public init(stream: UInt16, ssn: UInt16) {
            self.stream = stream
            self.ssn = ssn
        }
    }
    public var newCumulativeTSN: UInt32
    public var skipped: [Skipped]

    public init(newCumulativeTSN: UInt32, skipped: [Skipped] = []) {
        self.newCumulativeTSN = newCumulativeTSN
        self.skipped = skipped
    }
}

/// `RTCDataChannelInit`'s reliability and ordering (webrtc-pc §6.2; RFC 8831 §6.1). At most one
/// of `maxRetransmits` and `maxPacketLifeTime` (the W3C API refuses both with a TypeError).
public struct DataChannelOptions: Sendable, Equatable {
    public var ordered: Bool
    /// Give a message up after this many retransmissions (RFC 3758 "limited retransmission").
    public var maxRetransmits: Int?
    /// Give a message up once it has been this long (nanoseconds) since `send()` (RFC 3758
    /// "timed reliability").
    public var maxPacketLifeTime: Int64?

    public init(ordered: Bool = true, maxRetransmits: Int? = nil, maxPacketLifeTime: Int64? = nil) {
        self.ordered = ordered
        self.maxRetransmits = maxRetransmits
        self.maxPacketLifeTime = maxPacketLifeTime
    }

    public var isReliable: Bool { maxRetransmits == nil && maxPacketLifeTime == nil }

    /// Why `createDataChannel` throws a TypeError for these options, or nil: both limits set
    /// (webrtc-pc `createDataChannel`), or a limit outside the `[EnforceRange] unsigned short`
    /// of `RTCDataChannelInit` (`maxRetransmits` 0...65535, `maxPacketLifeTime` 0...65535 ms,
    /// here in nanoseconds, whole milliseconds counted as WebIDL truncates).
    public var typeError: String? {
        if maxRetransmits != nil && maxPacketLifeTime != nil {
            return "maxRetransmits and maxPacketLifeTime cannot both be set"
        }
        if let n = maxRetransmits, !(0...65_535).contains(n) { return "maxRetransmits \(n) is outside 0...65535" }
        if let t = maxPacketLifeTime, t < 0 || t / 1_000_000 > 65_535 {
            return "maxPacketLifeTime \(t) ns is outside 0...65535 ms"
        }
        return nil
    }

    static func refusal(_ reason: String) -> RTCError {
        RTCError(name: .typeError, message: "Failed to execute 'createDataChannel' on 'RTCPeerConnection': " + reason)
    }
}

/// Why `RTCDataChannel.send` threw (webrtc-pc §6.2 `send()`).
public enum DataSendError: Error, Sendable, Equatable {
    /// `InvalidStateError`: the channel is not `open` (still connecting, closing or closed).
    case invalidState
    /// `TypeError`: the message is larger than the transport's `maxMessageSize`.
    case tooLarge(length: Int, limit: Int)
    /// `OperationError`: the send buffer cannot take the message; Chromium closes the channel.
    case bufferFull(bufferedAmount: Int, limit: Int)
    /// `TypeError`: a negative length (no browser message has one; it would drive
    /// `bufferedAmount` below zero).
    case negativeLength(Int)

    public var w3cName: String {
        switch self {
        case .invalidState: return "InvalidStateError"
        case .tooLarge, .negativeLength: return "TypeError"
        case .bufferFull: return "OperationError"
        }
    }
}
