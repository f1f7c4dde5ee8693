import SignalProtocol

/// A growable byte buffer with bounds-free appends, for output written piece by piece in
/// bulk: the trace (a line for about a third of all events) and the Perfetto file (tens of
/// megabytes for 100 peers). A generic `Array.append(contentsOf:)` per piece costs several
/// times as much.
final class ByteBuffer {
    private var bytes: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private(set) var count = 0

    init(capacity: Int = 1 << 16) {
        self.capacity = max(capacity, 64)
        bytes = .allocate(capacity: self.capacity)
    }

    deinit { bytes.deallocate() }

    /// The bytes written so far.
    func withBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: bytes, count: count))
    }

    /// Forget the contents, keep the room.
    func removeAll() { count = 0 }

    /// Room for `n` more bytes.
    @inline(__always)
    func reserve(_ n: Int) {
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
    func appendByte(_ b: UInt8) {
        reserve(1)
        bytes[count] = b
        count += 1
    }

    @inline(__always)
    func appendBytes(_ p: UnsafeRawBufferPointer) {
        reserve(p.count)
        if let base = p.baseAddress { (bytes + count).update(from: base.assumingMemoryBound(to: UInt8.self), count: p.count) }
        count += p.count
    }

    @inline(__always)
    func append(_ s: StaticString) {
        s.withUTF8Buffer { appendBytes(UnsafeRawBufferPointer($0)) }
    }

    /// The digits of `v`.
    func appendDecimal(_ v: UInt64) {
        reserve(20)
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

    /// A decimal integer, with its sign.
    func appendInt(_ v: Int64) {
        if v < 0 { appendByte(UInt8(ascii: "-")) }
        appendDecimal(v.magnitude)
    }

    /// Nanoseconds as milliseconds with up to six decimals and no trailing zeros, exactly (no
    /// floating point): the trace's `t`.
    func appendMillis(_ ns: Int64) {
        if ns < 0 { appendByte(UInt8(ascii: "-")) }
        let v = ns.magnitude
        appendDecimal(v / 1_000_000)
        var frac = v % 1_000_000
        guard frac != 0 else { return }
        var digits = 6
        while frac % 10 == 0 { frac /= 10; digits -= 1 }
        reserve(digits + 1)
        bytes[count] = UInt8(ascii: ".")
        var i = count + digits
        count = i + 1
        while i > count - 1 - digits {
            bytes[i] = UInt8(ascii: "0") + UInt8(frac % 10)
            frac /= 10
            i -= 1
        }
    }

    /// Nanoseconds as microseconds with exactly three decimals ("1234.005"), negative as 0:
    /// Chrome trace event timestamps.
    func appendMicros(_ ns: Int64) {
        let ns = max(0, ns)
        appendDecimal(UInt64(ns / 1000))
        reserve(4)
        let frac = ns % 1000
        bytes[count] = UInt8(ascii: ".")
        bytes[count + 1] = UInt8(ascii: "0") + UInt8(frac / 100)
        bytes[count + 2] = UInt8(ascii: "0") + UInt8(frac / 10 % 10)
        bytes[count + 3] = UInt8(ascii: "0") + UInt8(frac % 10)
        count += 4
    }

    /// The inside of a JSON string literal (RFC 8259 escaping: quote, backslash, controls; and
    /// what `JSONWriter.mustEscape` names, so that no value splits or reorders a line).
    func appendEscaped(_ s: String) {
        var s = s
        s.withUTF8 { utf8 in
            var plain = true
            for b in utf8 where b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\")
                || b == 0x7F || b == 0xC2 || b == 0xD8 || b == 0xE2 {
                plain = false
                break
            }
            if plain {
                appendBytes(UnsafeRawBufferPointer(utf8))
                return
            }
            var out: [UInt8] = []
            out.reserveCapacity(utf8.count + 8)
            JSONWriter.appendEscaped(utf8, to: &out)
            out.withUnsafeBytes { appendBytes($0) }
        }
    }

    /// A JSON string literal, quotes included.
    @inline(__always)
    func appendString(_ s: String) {
        appendByte(UInt8(ascii: "\""))
        appendEscaped(s)
        appendByte(UInt8(ascii: "\""))
    }
}
