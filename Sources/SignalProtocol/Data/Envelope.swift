/// One application message in the mesh's binary format (the original notes: data travels as
/// binary, in an extensible binary format).
///
/// Layout, big-endian (`EnvelopeCodec` reads and writes it):
///
/// ```
/// 0      2        3      4              6                  10
/// | "MS" | version | kind | extLength u16 | payloadLength u32 | extensions... | payload... |
/// ```
///
/// - `version` is the format's major version. A reader refuses a version it does not know
///   (`EnvelopeError.unsupportedVersion`); everything that can be added without breaking old
///   readers is added as an extension instead, so the version stays 1.
/// - `kind` says what the payload is to the application (`EnvelopeKind`); the codec carries any
///   value, so a page that does not know a kind can still decode, count and skip the message.
/// - Extensions are TLVs (`EnvelopeExtension`): type u8, length u16, value. A reader skips a
///   type it does not know, unless the type's high bit says "must understand"
///   (`EnvelopeExtension.isCritical`). This is how old and new pages interoperate.
/// - `payloadLength` is checked against the bytes present and against the reader's limit
///   before anything is allocated, so garbage is an `EnvelopeError`, never a trap or a huge
///   allocation.
public struct Envelope: Sendable, Equatable {
    public var kind: EnvelopeKind
    public var extensions: [EnvelopeExtension]
    public var payload: [UInt8]

    public init(kind: EnvelopeKind, extensions: [EnvelopeExtension] = [], payload: [UInt8] = []) {
        self.kind = kind
        self.extensions = extensions
        self.payload = payload
    }

    /// The first extension of `type`, if any.
    public func extensionValue(_ type: UInt8) -> [UInt8]? {
        extensions.first { $0.type == type }?.value
    }

    /// The chunk this envelope is, when it is one part of a larger message (`EnvelopeChunker`).
    public var chunk: EnvelopeChunk? {
        guard let v = extensionValue(EnvelopeExtension.chunkType) else { return nil }
        return EnvelopeChunk(decoding: v)
    }

    /// Why the chunk extension, when there is one, is not usable: it does not parse, there are
    /// two (a reader could not tell which one is meant), or it announces more chunks than
    /// payload bytes (`split` puts at least one byte in each chunk; the bound keeps a
    /// reassembler's bookkeeping proportional to the message). `nil` when fine or absent.
    var chunkError: EnvelopeError? {
        var found: [UInt8]?
        for x in extensions where x.type == EnvelopeExtension.chunkType {
            guard found == nil else { return .invalidChunk(messageID: nil) }
            found = x.value
        }
        guard let v = found else { return nil }
        guard let c = EnvelopeChunk(decoding: v) else { return .invalidChunk(messageID: nil) }
        guard UInt32(c.count) <= max(1, c.totalLength) else { return .invalidChunk(messageID: c.messageID) }
        return nil
    }

    /// Bytes on the wire: header, extensions, payload.
    public var encodedLength: Int {
        EnvelopeCodec.headerLength + extensions.reduce(0) { $0 + 3 + $1.value.count } + payload.count
    }
}

/// What a message is to the application. Any value is carried; the named ones are the mesh's.
public struct EnvelopeKind: RawRepresentable, Sendable, Equatable, Hashable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Application data (`traffic` flows).
    public static let data = EnvelopeKind(rawValue: 1)
    /// A liveness probe (the mesh's message on a channel that just opened).
    public static let probe = EnvelopeKind(rawValue: 2)
}

/// One extension field: a type, and a value of at most 65,535 bytes.
public struct EnvelopeExtension: Sendable, Equatable {
    public var type: UInt8
    public var value: [UInt8]

    public init(type: UInt8, value: [UInt8]) {
        self.type = type
        self.value = value
    }

    /// Types with the high bit set must be understood: a reader that does not know one refuses
    /// the message rather than misread it (`EnvelopeError.unknownCriticalExtension`).
    public var isCritical: Bool { type & 0x80 != 0 }

    /// Chunk of a larger message (`EnvelopeChunk`). Critical: a reader that ignored it would
    /// deliver a fragment as if it were the whole message.
    public static let chunkType: UInt8 = 0x81
    /// The flow and sequence number of a `traffic` message (u32 flow, u64 sequence).
    public static let sequenceType: UInt8 = 0x02
    /// When the message was handed to `send()`, in simulated nanoseconds (i64).
    public static let sentAtType: UInt8 = 0x03

    /// The extension types this reader understands.
    public static let knownTypes: [UInt8] = [chunkType, sequenceType, sentAtType]
}

/// The chunk extension's value: which part of which message this envelope carries.
public struct EnvelopeChunk: Sendable, Equatable {
    /// Chosen by the sender; unique among its messages in flight and its last
    /// `EnvelopeReassembler.rememberedMessages` (1,024 by default) finished ones: a
    /// reassembler ignores chunks of a message it finished so recently (a late duplicate).
    public var messageID: UInt32
    public var index: UInt16
    public var count: UInt16
    /// The whole message's payload length.
    public var totalLength: UInt32

    public init(messageID: UInt32, index: UInt16, count: UInt16, totalLength: UInt32) {
        self.messageID = messageID
        self.index = index
        self.count = count
        self.totalLength = totalLength
    }

    /// Bytes of the extension's value: messageID u32, index u16, count u16, totalLength u32.
    public static let encodedLength = 12

    /// Reads an extension value; `nil` when it is not 12 bytes or index ≥ count.
    public init?(decoding v: [UInt8]) {
        guard v.count == Self.encodedLength else { return nil }
        var r = ByteReader(v)
        messageID = r.u32()
        index = r.u16()
        count = r.u16()
        totalLength = r.u32()
        guard count > 0, index < count else { return nil }
    }

    /// The extension's value (big-endian), for a chunker of one's own.
    public var encoded: [UInt8] {
        var w = ByteWriter()
        w.u32(messageID)
        w.u16(index)
        w.u16(count)
        w.u32(totalLength)
        return w.bytes
    }
}
