/// Splits a message larger than the channel's maximum message size into envelopes that fit,
/// and puts them back together.
///
/// `send()` of more than `maxMessageSize` throws a TypeError (webrtc-pc, `RTCDataChannel.send`),
/// and Chromium's is 256 KiB (`EnvelopeCodec.chromiumMaxMessageSize`), so the application
/// chunks. Each chunk is an envelope of the same kind with a chunk extension (message id,
/// index, count, total length); the first chunk also carries the message's other extensions.
public enum EnvelopeChunker {
    /// Bytes a chunk extension adds to an envelope: type, length, 12-byte value.
    static let chunkOverhead = 3 + EnvelopeChunk.encodedLength

    /// The encoded lengths of the envelopes `split` makes of a message with this payload and
    /// extensions (without building them: the simulator sends lengths, not bytes). Fails
    /// exactly when `split` would, with the same error.
    public static func encodedChunkLengths(payloadLength: Int, extensionsLength: Int,
                                           maxMessageSize: Int) -> Result<[Int], EnvelopeError> {
        guard payloadLength >= 0 else { return .failure(.unencodable(length: payloadLength)) }
        guard (0...Int(UInt16.max)).contains(extensionsLength) else { return .failure(.unencodable(length: extensionsLength)) }
        guard payloadLength <= Int(UInt32.max) else { return .failure(.oversized(length: payloadLength, limit: Int(UInt32.max))) }
        let whole = EnvelopeCodec.headerLength + extensionsLength + payloadLength
        if whole <= maxMessageSize { return .success([whole]) }
        let firstOverhead = EnvelopeCodec.headerLength + extensionsLength + chunkOverhead
        let laterOverhead = EnvelopeCodec.headerLength + chunkOverhead
        return plan(payloadLength: payloadLength, firstOverhead: firstOverhead, laterOverhead: laterOverhead,
                    maxMessageSize: maxMessageSize).map { slices in
            slices.enumerated().map { i, r in (i == 0 ? firstOverhead : laterOverhead) + r.count }
        }
    }

    /// The envelopes to send for `envelope`, each at most `maxMessageSize` bytes encoded: the
    /// envelope itself if it fits. Refused: extensions the format cannot carry, a limit that
    /// leaves no payload room in a chunk, more than 65,535 chunks, and an envelope that is
    /// already a chunk (split the whole message instead).
    public static func split(_ envelope: Envelope, messageID: UInt32, maxMessageSize: Int) -> Result<[Envelope], EnvelopeError> {
        guard envelope.extensionValue(EnvelopeExtension.chunkType) == nil else { return .failure(.alreadyChunked) }
        let extensionsLength = envelope.extensions.reduce(0) { $0 + 3 + $1.value.count }
        guard extensionsLength <= Int(UInt16.max) else { return .failure(.unencodable(length: extensionsLength)) }
        let payloadLength = envelope.payload.count
        guard payloadLength <= Int(UInt32.max) else { return .failure(.oversized(length: payloadLength, limit: Int(UInt32.max))) }
        if envelope.encodedLength <= maxMessageSize { return .success([envelope]) }
        let firstOverhead = EnvelopeCodec.headerLength + extensionsLength + chunkOverhead
        let laterOverhead = EnvelopeCodec.headerLength + chunkOverhead
        return plan(payloadLength: payloadLength, firstOverhead: firstOverhead, laterOverhead: laterOverhead,
                    maxMessageSize: maxMessageSize).map { slices in
            slices.enumerated().map { i, range in
                let chunk = EnvelopeChunk(messageID: messageID, index: UInt16(i), count: UInt16(slices.count),
                                          totalLength: UInt32(payloadLength))
                let ext = EnvelopeExtension(type: EnvelopeExtension.chunkType, value: chunk.encoded)
                return Envelope(kind: envelope.kind, extensions: (i == 0 ? envelope.extensions : []) + [ext],
                                payload: Array(envelope.payload[range]))
            }
        }
    }

    /// The payload ranges of the chunks: the first one's room is smaller (it carries the
    /// message's extensions). Every chunk gets at least one byte, so the loop ends; the chunk
    /// count is computed before any array is built, so a hopeless limit costs nothing.
    private static func plan(payloadLength: Int, firstOverhead: Int, laterOverhead: Int,
                             maxMessageSize: Int) -> Result<[Range<Int>], EnvelopeError> {
        // Chunking only happens when the whole message does not fit, so payloadLength > 0 or the
        // extensions alone are too big, which the first chunk's room catches.
        guard maxMessageSize > firstOverhead, payloadLength > 0 else {
            return .failure(.limitTooSmall(limit: maxMessageSize, overhead: firstOverhead))
        }
        let firstRoom = maxMessageSize - firstOverhead
        let laterRoom = maxMessageSize - laterOverhead  // > firstRoom, so > 0
        let rest = max(0, payloadLength - firstRoom)
        let count = 1 + (rest + laterRoom - 1) / laterRoom
        guard count <= Int(UInt16.max) else { return .failure(.tooManyChunks(count: count)) }
        var slices: [Range<Int>] = []
        slices.reserveCapacity(count)
        var start = 0
        while start < payloadLength {
            let end = min(payloadLength, start + (slices.isEmpty ? firstRoom : laterRoom))
            slices.append(start..<end)
            start = end
        }
        return .success(slices)
    }
}

/// Collects chunks, in any order (an unordered channel delivers them so), and gives back each
/// message once all its chunks are in. Bounded: a message whose total length is above
/// `maxMessageLength`, or more than `maxPendingMessages` incomplete at once, is refused.
///
/// Linear: each chunk costs O(1) plus a search of the (few) pending messages and copying its
/// bytes once; the message is assembled once, when its last chunk arrives. What a pending
/// message holds is proportional to what arrived of it (its bytes, 8 bytes per chunk) plus a
/// bitmap of its `count` chunks (at most 8 KiB; a chunk that announces more chunks than
/// payload bytes is refused), never a buffer of the announced length, so forged counts and
/// lengths cost the sender about as much as the receiver.
///
/// Late duplicates: the ids of the last `rememberedMessages` messages finished (delivered,
/// refused or abandoned) are kept, in a ring, and a chunk of one of them is ignored, so a
/// duplicate arriving after its message completed neither delivers it twice nor holds a
/// pending slot. A sender must therefore not reuse a message id within that many messages.
public struct EnvelopeReassembler: Sendable {
    public let maxMessageLength: Int
    public let maxPendingMessages: Int
    public let rememberedMessages: Int

    private struct Pending: Sendable {
        var id: UInt32
        var kind: EnvelopeKind
        var count: UInt16
        var totalLength: UInt32
        var extensions: [EnvelopeExtension] = []
        /// Payload bytes in arrival order; `parts` says where each chunk's are.
        var bytes: [UInt8] = []
        var parts: [(index: UInt16, end: UInt32)] = []
        /// One bit per chunk index: received.
        var seen: [UInt64]
    }
    /// In arrival order of each message's first chunk; small, so a linear search.
    private var pending: [Pending] = []
    /// Ids of finished messages, oldest overwritten first (`nextFinished` is the slot).
    private var finished: [UInt32] = []
    private var nextFinished = 0

    public init(maxMessageLength: Int = 16 << 20, maxPendingMessages: Int = 64, rememberedMessages: Int = 1_024) {
        self.maxMessageLength = maxMessageLength
        self.maxPendingMessages = maxPendingMessages
        self.rememberedMessages = max(0, rememberedMessages)
    }

    public var pendingMessages: Int { pending.count }

    /// Feed one envelope: `nil` while its message is incomplete, the whole message when this
    /// was its last missing chunk, itself when it is not a chunk. A duplicate chunk is ignored,
    /// also one of a recently finished message. A malformed chunk extension is refused
    /// (`.invalidChunk`), never delivered as a whole message.
    public mutating func add(_ e: Envelope) -> Result<Envelope?, EnvelopeError> {
        if let error = e.chunkError { return .failure(error) }
        guard let c = e.chunk else { return .success(e) }
        guard Int(c.totalLength) <= maxMessageLength else {
            return .failure(.oversized(length: Int(c.totalLength), limit: maxMessageLength))
        }
        let i: Int
        if let k = pending.firstIndex(where: { $0.id == c.messageID }) {
            i = k
        } else {
            if finished.contains(c.messageID) { return .success(nil) }
            guard pending.count < maxPendingMessages else {
                return .failure(.tooManyPendingMessages(limit: maxPendingMessages))
            }
            pending.append(Pending(id: c.messageID, kind: e.kind, count: c.count, totalLength: c.totalLength,
                                   seen: Array(repeating: 0, count: (Int(c.count) + 63) / 64)))
            i = pending.count - 1
        }
        // Everything below mutates pending[i] in place: no copy of its arrays.
        guard pending[i].count == c.count, pending[i].totalLength == c.totalLength, pending[i].kind == e.kind else {
            return refuse(at: i)
        }
        let word = Int(c.index) / 64, bit = UInt64(1) << UInt64(c.index % 64)
        if pending[i].seen[word] & bit != 0 { return .success(nil) }
        guard pending[i].bytes.count + e.payload.count <= Int(c.totalLength) else { return refuse(at: i) }
        pending[i].seen[word] |= bit
        pending[i].bytes.append(contentsOf: e.payload)
        pending[i].parts.append((c.index, UInt32(pending[i].bytes.count)))
        if c.index == 0 { pending[i].extensions = e.extensions.filter { $0.type != EnvelopeExtension.chunkType } }
        guard pending[i].parts.count == Int(c.count) else { return .success(nil) }
        let p = pending.remove(at: i)
        remember(p.id)
        guard p.bytes.count == Int(p.totalLength) else { return .failure(.invalidChunk(messageID: p.id)) }
        return .success(Envelope(kind: p.kind, extensions: p.extensions, payload: Self.assemble(p)))
    }

    /// Forget an incomplete message (its chunks were abandoned by partial reliability); its
    /// chunks that still arrive are ignored.
    public mutating func abandon(messageID: UInt32) {
        guard let i = pending.firstIndex(where: { $0.id == messageID }) else { return }
        pending.remove(at: i)
        remember(messageID)
    }

    private mutating func refuse(at i: Int) -> Result<Envelope?, EnvelopeError> {
        let id = pending.remove(at: i).id
        remember(id)
        return .failure(.invalidChunk(messageID: id))
    }

    private mutating func remember(_ id: UInt32) {
        guard rememberedMessages > 0 else { return }
        if finished.count < rememberedMessages {
            finished.append(id)
        } else {
            finished[nextFinished] = id
            nextFinished = (nextFinished + 1) % rememberedMessages
        }
    }

    /// The payload in index order: one pass to find each chunk's place, one copy of the bytes.
    private static func assemble(_ p: Pending) -> [UInt8] {
        if p.parts.count == 1 { return p.bytes }
        var byIndex = [Int32](repeating: -1, count: p.parts.count)
        for (k, part) in p.parts.enumerated() { byIndex[Int(part.index)] = Int32(k) }
        var payload: [UInt8] = []
        payload.reserveCapacity(p.bytes.count)
        for k in byIndex {
            let start = k == 0 ? 0 : Int(p.parts[Int(k) - 1].end)
            payload.append(contentsOf: p.bytes[start..<Int(p.parts[Int(k)].end)])
        }
        return payload
    }
}
