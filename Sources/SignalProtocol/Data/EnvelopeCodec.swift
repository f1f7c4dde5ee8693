/// Why bytes are not an envelope, or why an envelope cannot be encoded, split or put back
/// together. Every failure of the envelope API is one of these; none traps.
public enum EnvelopeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Fewer bytes than the header or the lengths it announces.
    case truncated(needed: Int, got: Int)
    /// More bytes than the header announces.
    case trailingBytes(count: Int)
    /// The first two bytes are not "MS".
    case badMagic
    case unsupportedVersion(UInt8)
    /// The envelope (or the reassembled message) is larger than the reader accepts.
    case oversized(length: Int, limit: Int)
    /// An extension whose length runs past the extension block.
    case malformedExtension(type: UInt8)
    /// A must-understand extension this reader does not know.
    case unknownCriticalExtension(type: UInt8)
    /// A chunk extension that does not describe a chunk (bad length, index ≥ count, count 0,
    /// more chunks than payload bytes, two chunk extensions), or disagrees with the other
    /// chunks of its message.
    case invalidChunk(messageID: UInt32?)
    /// The reassembler already holds its `maxPendingMessages` incomplete messages.
    case tooManyPendingMessages(limit: Int)
    /// Extensions above 65,535 bytes in all (the header's u16), or a negative length given to
    /// `EnvelopeChunker.encodedChunkLengths`: the format cannot carry it.
    case unencodable(length: Int)
    /// `maxMessageSize` cannot hold a chunk with at least one payload byte after its overhead.
    case limitTooSmall(limit: Int, overhead: Int)
    /// The message would need more than 65,535 chunks (the chunk extension's u16 count).
    case tooManyChunks(count: Int)
    /// `EnvelopeChunker.split` of an envelope that already is a chunk: its chunks would carry
    /// two chunk extensions that no reassembler can put back.
    case alreadyChunked

    public var description: String {
        switch self {
        case .truncated(let needed, let got): return "truncated envelope: needs \(needed) bytes, got \(got)"
        case .trailingBytes(let n): return "\(n) bytes after the end of the envelope"
        case .badMagic: return "not an envelope (no \"MS\" magic)"
        case .unsupportedVersion(let v): return "envelope version \(v) is not supported (this reader knows 1)"
        case .oversized(let length, let limit): return "envelope of \(length) bytes exceeds the limit of \(limit)"
        case .malformedExtension(let t): return "extension \(t) runs past the extension block"
        case .unknownCriticalExtension(let t): return "unknown must-understand extension \(t)"
        case .invalidChunk(let id): return "invalid chunk" + (id.map { " of message \($0)" } ?? "")
        case .tooManyPendingMessages(let limit): return "more than \(limit) incomplete chunked messages at once"
        case .unencodable(let length): return "a length of \(length) bytes cannot be encoded (extensions hold at most 65,535 bytes)"
        case .limitTooSmall(let limit, let overhead): return "a message size limit of \(limit) bytes leaves no room for payload after \(overhead) bytes of chunk overhead"
        case .tooManyChunks(let count): return "the message needs \(count) chunks (at most 65,535)"
        case .alreadyChunked: return "the envelope is already a chunk and cannot be split again"
        }
    }
}

/// Reads and writes `Envelope`s (layout in `Envelope`).
public enum EnvelopeCodec {
    public static let version: UInt8 = 1
    public static let magic: (UInt8, UInt8) = (0x4D, 0x53)  // "MS"
    public static let headerLength = 10
    /// Chromium's maximum data-channel message: 256 KiB, both the size it advertises in
    /// `a=max-message-size` and its send limit (libwebrtc `kSctpSendBufferSize`, dcSCTP
    /// `max_message_size`; docs/calibration/webrtc-facts.md, "Max message size").
    public static let chromiumMaxMessageSize = 262_144

    /// The envelope's bytes; `.unencodable` when its extensions add up to more than 65,535
    /// bytes and `.oversized` when its payload is above 4 GiB (the header's u16 and u32 lengths),
    /// since `Envelope`'s fields are public and hold anything.
    public static func encode(_ e: Envelope) -> Result<[UInt8], EnvelopeError> {
        let extLength = e.extensions.reduce(0) { $0 + 3 + $1.value.count }
        guard extLength <= Int(UInt16.max) else { return .failure(.unencodable(length: extLength)) }
        guard e.payload.count <= Int(UInt32.max) else {
            return .failure(.oversized(length: e.payload.count, limit: Int(UInt32.max)))
        }
        var w = ByteWriter()
        w.bytes.reserveCapacity(e.encodedLength)
        w.u8(magic.0)
        w.u8(magic.1)
        w.u8(version)
        w.u8(e.kind.rawValue)
        w.u16(UInt16(extLength))
        w.u32(UInt32(e.payload.count))
        for x in e.extensions {
            w.u8(x.type)
            w.u16(UInt16(x.value.count))
            w.append(x.value)
        }
        w.append(e.payload)
        return .success(w.bytes)
    }

    /// One envelope that must fill `bytes` exactly and be at most `limit` bytes long.
    public static func decode(_ bytes: [UInt8], limit: Int = chromiumMaxMessageSize) -> Result<Envelope, EnvelopeError> {
        guard bytes.count <= limit else { return .failure(.oversized(length: bytes.count, limit: limit)) }
        guard bytes.count >= 2 else { return .failure(bytes.count == 1 && bytes[0] != magic.0 ? .badMagic : .truncated(needed: headerLength, got: bytes.count)) }
        guard bytes[0] == magic.0, bytes[1] == magic.1 else { return .failure(.badMagic) }
        guard bytes.count >= headerLength else { return .failure(.truncated(needed: headerLength, got: bytes.count)) }
        var r = ByteReader(bytes)
        _ = r.u16()
        let version = r.u8()
        guard version == Self.version else { return .failure(.unsupportedVersion(version)) }
        let kind = EnvelopeKind(rawValue: r.u8())
        let extLength = Int(r.u16())
        let payloadLength = Int(r.u32())
        let total = headerLength + extLength + payloadLength
        guard total <= limit else { return .failure(.oversized(length: total, limit: limit)) }
        guard bytes.count >= total else { return .failure(.truncated(needed: total, got: bytes.count)) }
        guard bytes.count == total else { return .failure(.trailingBytes(count: bytes.count - total)) }
        var extensions: [EnvelopeExtension] = []
        let extEnd = headerLength + extLength
        while r.offset < extEnd {
            guard extEnd - r.offset >= 3 else { return .failure(.malformedExtension(type: r.u8())) }
            let type = r.u8()
            let length = Int(r.u16())
            guard extEnd - r.offset >= length else { return .failure(.malformedExtension(type: type)) }
            let value = r.take(length)
            if EnvelopeExtension.knownTypes.contains(type) {
                extensions.append(EnvelopeExtension(type: type, value: value))
            } else if type & 0x80 != 0 {
                return .failure(.unknownCriticalExtension(type: type))
            }
            // Unknown and not critical: skipped, so a newer page's fields do not stop an older one.
        }
        let envelope = Envelope(kind: kind, extensions: extensions, payload: r.take(payloadLength))
        if let error = envelope.chunkError { return .failure(error) }
        return .success(envelope)
    }
}

extension Envelope {
    /// A `traffic` message's identity: flow and sequence number, and the send time.
    public static func trafficMessage(flow: UInt32, sequence: UInt64, sentAt: Int64, payload: [UInt8]) -> Envelope {
        var seq = ByteWriter()
        seq.u32(flow)
        seq.u64(sequence)
        var at = ByteWriter()
        at.u64(UInt64(bitPattern: sentAt))
        return Envelope(kind: .data, extensions: [
            EnvelopeExtension(type: EnvelopeExtension.sequenceType, value: seq.bytes),
            EnvelopeExtension(type: EnvelopeExtension.sentAtType, value: at.bytes),
        ], payload: payload)
    }

    /// The flow and sequence number, when the sequence extension is present and well formed.
    public var sequence: (flow: UInt32, sequence: UInt64)? {
        guard let v = extensionValue(EnvelopeExtension.sequenceType), v.count == 12 else { return nil }
        var r = ByteReader(v)
        return (r.u32(), r.u64())
    }

    public var sentAt: Int64? {
        guard let v = extensionValue(EnvelopeExtension.sentAtType), v.count == 8 else { return nil }
        var r = ByteReader(v)
        return Int64(bitPattern: r.u64())
    }
}
