import Foundation

/// Writes the run's trace as JSON Lines (docs/contract.md, "Trace") and hashes every byte of it.
///
/// The hash is always computed, with or without `--trace`, so `traceHash` in a report says
/// whether two runs' traces are byte-identical. Lines are built by hand from ASCII pieces (peer
/// ids are restricted to `[A-Za-z0-9._-]` by the loader, so nothing needs escaping except in
/// free-text `detail` values, which go through `appendString`).
///
/// A class over a raw byte buffer: a run writes a line for every state change of every
/// connection (about a third of all events), so appending must be a bounds-free copy, not a
/// generic `Array.append(contentsOf:)` per piece.
final class TraceWriter {
    /// Bytes of the lines not yet hashed and flushed; `count` of `capacity` used.
    private var bytes: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private var count = 0
    private var hash = TraceHash()
    private let sink: FileHandle?
    private(set) var lines = 0
    /// Why writing to the sink failed (a full disk, a closed pipe), if it did; later writes are
    /// skipped and the caller reports it. The hash still covers every line.
    private(set) var writeError: String?
    /// Every byte written, when asked for (tests read traces this way).
    private(set) var captured: [UInt8]?

    /// Flushed when this full; a line longer than the rest grows the buffer.
    private static let flushAt = 1 << 16

    init(sink: FileHandle?, capture: Bool = false) {
        self.sink = sink
        self.captured = capture ? [] : nil
        capacity = 2 * Self.flushAt
        bytes = .allocate(capacity: capacity)
    }

    deinit { bytes.deallocate() }

    /// The captured trace as lines of text.
    var capturedLines: [String] {
        guard let captured else { return [] }
        return String(decoding: captured, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    var hexDigest: String { hash.hexDigest }

    /// One line: `{"t":T,"kind":K[,"peer":P][,"remote":R],"value":V[,"detail":D][,"pc":N][,"uid":U]}`.
    /// `pc` names the RTCPeerConnection a line is about (its session id, unique in the run) and
    /// `uid` the uid a page loads with: with them a trace alone is enough to judge a run.
    func line(_ t: Int64, _ kind: StaticString, peer: String?, remote: String? = nil, value: String,
              detail: String? = nil, pc: Int32? = nil, uid: String? = nil) {
        append("{\"t\":")
        appendMillis(t)
        append(",\"kind\":\"")
        append(kind)
        appendByte(UInt8(ascii: "\""))
        if let peer {
            append(",\"peer\":")
            appendString(peer)
        }
        if let remote {
            append(",\"remote\":")
            appendString(remote)
        }
        append(",\"value\":")
        appendString(value)
        if let detail {
            append(",\"detail\":")
            appendString(detail)
        }
        if let pc {
            append(",\"pc\":")
            reserve(20)
            appendDecimal(UInt64(pc) + 1)
        }
        if let uid {
            append(",\"uid\":")
            appendString(uid)
        }
        append("}\n")
        lines += 1
        if count >= Self.flushAt { flush() }
    }

    func flush() {
        guard count > 0 else { return }
        let written = UnsafeBufferPointer(start: bytes, count: count)
        hash.update(written)
        if captured != nil { captured!.append(contentsOf: written) }
        if let sink, writeError == nil {
            do {
                try sink.write(contentsOf: Data(buffer: written))
            } catch {
                writeError = "\(error)"
            }
        }
        count = 0
    }

    /// Room for `n` more bytes.
    @inline(__always)
    private func reserve(_ n: Int) {
        if count + n > capacity { grow(count + n) }
    }

    private func grow(_ needed: Int) {
        var c = capacity
        while c < needed { c *= 2 }
        let b = UnsafeMutablePointer<UInt8>.allocate(capacity: c)
        b.update(from: bytes, count: count)
        bytes.deallocate()
        bytes = b
        capacity = c
    }

    @inline(__always)
    private func appendByte(_ b: UInt8) {
        reserve(1)
        bytes[count] = b
        count += 1
    }

    @inline(__always)
    private func appendBytes(_ p: UnsafeRawBufferPointer) {
        reserve(p.count)
        if let base = p.baseAddress { (bytes + count).update(from: base.assumingMemoryBound(to: UInt8.self), count: p.count) }
        count += p.count
    }

    private func append(_ s: StaticString) {
        s.withUTF8Buffer { appendBytes(UnsafeRawBufferPointer($0)) }
    }

    /// A JSON string literal (RFC 8259 escaping).
    private func appendString(_ s: String) {
        appendByte(UInt8(ascii: "\""))
        var s = s
        let plain = s.withUTF8 { utf8 -> Bool in
            for b in utf8 where b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") { return false }
            appendBytes(UnsafeRawBufferPointer(utf8))
            return true
        }
        if !plain {
            for b in s.utf8 {
                switch b {
                case UInt8(ascii: "\""): appendByte(UInt8(ascii: "\\")); appendByte(b)
                case UInt8(ascii: "\\"): appendByte(UInt8(ascii: "\\")); appendByte(b)
                case 0x0A: append("\\n")
                case 0x0D: append("\\r")
                case 0x09: append("\\t")
                case 0..<0x20:
                    let hex: [UInt8] = Array("0123456789abcdef".utf8)
                    append("\\u00")
                    appendByte(hex[Int(b >> 4)])
                    appendByte(hex[Int(b & 15)])
                default: appendByte(b)
                }
            }
        }
        appendByte(UInt8(ascii: "\""))
    }

    /// Nanoseconds as milliseconds with up to six decimals, exactly (no floating point).
    private func appendMillis(_ ns: Int64) {
        // At most "-" + 20 digits + "." + 6 digits.
        reserve(28)
        if ns < 0 { bytes[count] = UInt8(ascii: "-"); count += 1 }
        let v = ns.magnitude
        appendDecimal(v / 1_000_000)
        var frac = v % 1_000_000
        guard frac != 0 else { return }
        var digits = 6
        while frac % 10 == 0 { frac /= 10; digits -= 1 }
        bytes[count] = UInt8(ascii: ".")
        var i = count + digits
        count = i + 1
        while i > count - 1 - digits {
            bytes[i] = UInt8(ascii: "0") + UInt8(frac % 10)
            frac /= 10
            i -= 1
        }
    }

    /// Digits of `v` (room already reserved).
    private func appendDecimal(_ v: UInt64) {
        var n = 1
        var x = v
        while x >= 10 { x /= 10; n += 1 }
        var i = count + n - 1
        x = v
        repeat {
            bytes[i] = UInt8(ascii: "0") + UInt8(x % 10)
            x /= 10
            i -= 1
        } while i >= count
        count += n
    }
}

/// Nanoseconds as a decimal number of milliseconds, exact, without trailing zeros.
func formatMillis(_ ns: Int64) -> String {
    let negative = ns < 0
    let v = ns.magnitude
    let whole = v / 1_000_000
    var frac = v % 1_000_000
    var s = negative ? "-\(whole)" : "\(whole)"
    if frac != 0 {
        var digits = 6
        while frac % 10 == 0 { frac /= 10; digits -= 1 }
        let f = String(frac)
        s += "." + String(repeating: "0", count: digits - f.count) + f
    }
    return s
}

/// 64-bit FNV-1a over the trace bytes, run twice with different offsets and printed as 32 hex
/// digits: not cryptographic, only a fingerprint to compare traces by.
struct TraceHash {
    private var a: UInt64 = 0xcbf2_9ce4_8422_2325
    private var b: UInt64 = 0x8422_2325_cbf2_9ce4

    mutating func update(_ bytes: UnsafeBufferPointer<UInt8>) {
        var a = self.a, b = self.b
        for byte in bytes {
            a = (a ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
            b = (b ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 ^ (b >> 29)
        }
        self.a = a
        self.b = b
    }

    var hexDigest: String {
        func hex(_ x: UInt64) -> String {
            let s = String(x, radix: 16)
            return String(repeating: "0", count: 16 - s.count) + s
        }
        return hex(a) + hex(b)
    }
}
