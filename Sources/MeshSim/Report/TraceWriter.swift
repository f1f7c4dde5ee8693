import Foundation

/// Writes the run's trace as JSON Lines (CONTRACT, "Trace") and hashes every byte of it.
///
/// The hash is always computed, with or without `--trace`, so `traceHash` in a report says
/// whether two runs' traces are byte-identical. Lines are built by hand from ASCII pieces (peer
/// ids are restricted to `[A-Za-z0-9._-]` by the loader, so nothing needs escaping except in
/// free-text `detail` values, which go through `appendString`).
struct TraceWriter {
    private var buffer: [UInt8] = []
    private var hash = TraceHash()
    private let sink: FileHandle?
    private(set) var lines = 0
    /// Every byte written, when asked for (tests read traces this way).
    private(set) var captured: [UInt8]?

    init(sink: FileHandle?, capture: Bool = false) {
        self.sink = sink
        self.captured = capture ? [] : nil
        buffer.reserveCapacity(1 << 16)
    }

    /// The captured trace as lines of text.
    var capturedLines: [String] {
        guard let captured else { return [] }
        return String(decoding: captured, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    var hexDigest: String { hash.hexDigest }

    /// One line: `{"t":T,"kind":K[,"peer":P][,"remote":R],"value":V[,extra]}`.
    mutating func line(_ t: Int64, _ kind: StaticString, peer: String?, remote: String? = nil, value: String,
                       detail: String? = nil) {
        let start = buffer.count
        append("{\"t\":")
        appendMillis(t)
        append(",\"kind\":\"")
        append(kind)
        buffer.append(UInt8(ascii: "\""))
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
        append("}\n")
        lines += 1
        buffer.withUnsafeBufferPointer { hash.update(UnsafeBufferPointer(rebasing: $0[start...])) }
        if buffer.count >= 1 << 16 { flush() }
    }

    mutating func flush() {
        if captured != nil { captured!.append(contentsOf: buffer) }
        if let sink, !buffer.isEmpty {
            sink.write(Data(buffer))
        }
        buffer.removeAll(keepingCapacity: true)
    }

    private mutating func append(_ s: StaticString) {
        s.withUTF8Buffer { buffer.append(contentsOf: $0) }
    }

    private mutating func append(_ s: String) {
        buffer.append(contentsOf: s.utf8)
    }

    /// A JSON string literal (RFC 8259 escaping).
    private mutating func appendString(_ s: String) {
        buffer.append(UInt8(ascii: "\""))
        var s = s
        let plain = s.withUTF8 { bytes -> Bool in
            for b in bytes where b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") { return false }
            buffer.append(contentsOf: bytes)
            return true
        }
        if plain {
            buffer.append(UInt8(ascii: "\""))
            return
        }
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): buffer.append(UInt8(ascii: "\\")); buffer.append(b)
            case UInt8(ascii: "\\"): buffer.append(UInt8(ascii: "\\")); buffer.append(b)
            case 0x0A: append("\\n")
            case 0x0D: append("\\r")
            case 0x09: append("\\t")
            case 0..<0x20:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                append("\\u00")
                buffer.append(hex[Int(b >> 4)])
                buffer.append(hex[Int(b & 15)])
            default: buffer.append(b)
            }
        }
        buffer.append(UInt8(ascii: "\""))
    }

    /// Nanoseconds as milliseconds with up to six decimals, exactly (no floating point).
    private mutating func appendMillis(_ ns: Int64) {
        if ns < 0 { buffer.append(UInt8(ascii: "-")) }
        let v = ns.magnitude
        appendDecimal(v / 1_000_000)
        var frac = v % 1_000_000
        guard frac != 0 else { return }
        var digits = 6
        while frac % 10 == 0 { frac /= 10; digits -= 1 }
        buffer.append(UInt8(ascii: "."))
        var divisor: UInt64 = 1
        for _ in 1..<digits { divisor *= 10 }
        while divisor > 0 {
            buffer.append(UInt8(ascii: "0") + UInt8(frac / divisor % 10))
            divisor /= 10
        }
    }

    private mutating func appendDecimal(_ v: UInt64) {
        if v >= 10 { appendDecimal(v / 10) }
        buffer.append(UInt8(ascii: "0") + UInt8(v % 10))
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
