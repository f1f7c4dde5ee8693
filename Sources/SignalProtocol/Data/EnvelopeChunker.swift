/// Splits a message larger than the channel's maximum message size into envelopes that fit,
/// and puts them back together.
///
/// `send()` of more than `maxMessageSize` throws a TypeError (webrtc-pc, `RTCDataChannel.send`),
/// and Chromium's is 256 KiB (`EnvelopeCodec.chromiumMaxMessageSize`), so the application
/// chunks. Each chunk is an envelope of the same kind with a chunk extension (message id,
/// index, count, total length); the first chunk also carries the message's other extensions.
public enum EnvelopeChunker {
    /// The encoded lengths of the envelopes `split` makes of a message with this payload and
    /// extensions (without building them: the simulator sends lengths, not bytes).
    public static func encodedChunkLengths(payloadLength: Int, extensionsLength: Int, maxMessageSize: Int) -> [Int] {
        let whole = EnvelopeCodec.headerLength + extensionsLength + payloadLength
        if whole <= maxMessageSize { return [whole] }
        let chunkOverhead = 3 + EnvelopeChunk.encodedLength
        let firstOverhead = EnvelopeCodec.headerLength + extensionsLength + chunkOverhead
        let laterOverhead = EnvelopeCodec.headerLength + chunkOverhead
        var lengths: [Int] = []
        var start = 0
        while start < payloadLength {
            let overhead = lengths.isEmpty ? firstOverhead : laterOverhead
            let n = min(payloadLength - start, maxMessageSize - overhead)
            lengths.append(overhead + n)
            start += n
        }
        return lengths
    }

    /// The envelopes to send for `envelope`, each at most `maxMessageSize` bytes encoded: the
    /// envelope itself if it fits.
    public static func split(_ envelope: Envelope, messageID: UInt32, maxMessageSize: Int) -> [Envelope] {
        if envelope.encodedLength <= maxMessageSize { return [envelope] }
        let chunkOverhead = 3 + EnvelopeChunk.encodedLength
        let firstOverhead = envelope.encodedLength - envelope.payload.count + chunkOverhead
        let laterOverhead = EnvelopeCodec.headerLength + chunkOverhead
        precondition(maxMessageSize > firstOverhead, "maxMessageSize too small for the envelope's extensions")
        var slices: [Range<Int>] = []
        var start = 0
        while start < envelope.payload.count {
            let room = maxMessageSize - (slices.isEmpty ? firstOverhead : laterOverhead)
            let end = min(envelope.payload.count, start + room)
            slices.append(start..<end)
            start = end
        }
        precondition(slices.count <= Int(UInt16.max), "message needs more than 65,535 chunks")
        return slices.enumerated().map { i, range in
            let chunk = EnvelopeChunk(messageID: messageID, index: UInt16(i), count: UInt16(slices.count),
                                      totalLength: UInt32(envelope.payload.count))
            let ext = EnvelopeExtension(type: EnvelopeExtension.chunkType, value: chunk.encoded)
            return Envelope(kind: envelope.kind, extensions: (i == 0 ? envelope.extensions : []) + [ext],
                            payload: Array(envelope.payload[range]))
        }
    }
}

/// Collects chunks, in any order (an unordered channel delivers them so), and gives back each
/// message once all its chunks are in. Bounded: a message whose total length is above
/// `maxMessageLength`, or more than `maxPendingMessages` incomplete at once, is refused.
public struct EnvelopeReassembler: Sendable {
    public let maxMessageLength: Int
    public let maxPendingMessages: Int

    private struct Pending: Sendable {
        var kind: EnvelopeKind
        var count: UInt16
        var totalLength: UInt32
        var extensions: [EnvelopeExtension]
        var parts: [[UInt8]?]
        var received = 0
    }
    /// In arrival order of each message's first chunk; small, so a linear search.
    private var pending: [(id: UInt32, message: Pending)] = []

    public init(maxMessageLength: Int = 16 << 20, maxPendingMessages: Int = 64) {
        self.maxMessageLength = maxMessageLength
        self.maxPendingMessages = maxPendingMessages
    }

    public var pendingMessages: Int { pending.count }

    /// Feed one envelope: `nil` while its message is incomplete, the whole message when this
    /// was its last missing chunk, itself when it is not a chunk. A duplicate chunk is ignored.
    public mutating func add(_ e: Envelope) -> Result<Envelope?, EnvelopeError> {
        guard let c = e.chunk else { return .success(e) }
        guard Int(c.totalLength) <= maxMessageLength else {
            return .failure(.oversized(length: Int(c.totalLength), limit: maxMessageLength))
        }
        let others = e.extensions.filter { $0.type != EnvelopeExtension.chunkType }
        var k = pending.firstIndex { $0.id == c.messageID }
        if k == nil {
            guard pending.count < maxPendingMessages else {
                return .failure(.oversized(length: pending.count + 1, limit: maxPendingMessages))
            }
            pending.append((c.messageID, Pending(kind: e.kind, count: c.count, totalLength: c.totalLength,
                                                 extensions: [], parts: Array(repeating: nil, count: Int(c.count)))))
            k = pending.count - 1
        }
        let i = k!
        var p = pending[i].message
        guard p.count == c.count, p.totalLength == c.totalLength, p.kind == e.kind else {
            pending.remove(at: i)
            return .failure(.invalidChunk(messageID: c.messageID))
        }
        if p.parts[Int(c.index)] != nil { return .success(nil) }
        let have = p.parts.reduce(0) { $0 + ($1?.count ?? 0) }
        guard have + e.payload.count <= Int(p.totalLength) else {
            pending.remove(at: i)
            return .failure(.invalidChunk(messageID: c.messageID))
        }
        p.parts[Int(c.index)] = e.payload
        if c.index == 0 { p.extensions = others }
        p.received += 1
        guard p.received == Int(p.count) else {
            pending[i].message = p
            return .success(nil)
        }
        pending.remove(at: i)
        guard have + e.payload.count == Int(p.totalLength) else { return .failure(.invalidChunk(messageID: c.messageID)) }
        var payload: [UInt8] = []
        payload.reserveCapacity(Int(p.totalLength))
        for part in p.parts { payload.append(contentsOf: part!) }
        return .success(Envelope(kind: p.kind, extensions: p.extensions, payload: payload))
    }

    /// Forget an incomplete message (its chunks were abandoned by partial reliability).
    public mutating func abandon(messageID: UInt32) {
        pending.removeAll { $0.id == messageID }
    }
}
