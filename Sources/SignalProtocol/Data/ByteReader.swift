/// Big-endian integers in and out of byte arrays, for the envelope. The reader's callers check
/// `remaining` first; reading past the end is a programming error, not an input error.
struct ByteReader {
    private let bytes: [UInt8]
    private(set) var offset: Int

    init(_ bytes: [UInt8], offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    var remaining: Int { bytes.count - offset }

    mutating func u8() -> UInt8 {
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func u16() -> UInt16 {
        UInt16(u8()) << 8 | UInt16(u8())
    }

    mutating func u32() -> UInt32 {
        UInt32(u16()) << 16 | UInt32(u16())
    }

    mutating func u64() -> UInt64 {
        UInt64(u32()) << 32 | UInt64(u32())
    }

    mutating func take(_ n: Int) -> [UInt8] {
        defer { offset += n }
        return Array(bytes[offset..<offset + n])
    }
}

struct ByteWriter {
    var bytes: [UInt8] = []

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) {
        bytes.append(UInt8(v >> 8))
        bytes.append(UInt8(v & 0xFF))
    }
    mutating func u32(_ v: UInt32) {
        u16(UInt16(v >> 16))
        u16(UInt16(v & 0xFFFF))
    }
    mutating func u64(_ v: UInt64) {
        u32(UInt32(v >> 32))
        u32(UInt32(v & 0xFFFF_FFFF))
    }
    mutating func append(_ b: [UInt8]) { bytes.append(contentsOf: b) }
}
