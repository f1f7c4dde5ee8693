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
    /// The lines not yet hashed and flushed.
    private let out: ByteBuffer
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
        out = ByteBuffer(capacity: 2 * Self.flushAt)
    }

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
        out.append("{\"t\":")
        out.appendMillis(t)
        out.append(",\"kind\":\"")
        out.append(kind)
        out.appendByte(UInt8(ascii: "\""))
        if let peer {
            out.append(",\"peer\":")
            out.appendString(peer)
        }
        if let remote {
            out.append(",\"remote\":")
            out.appendString(remote)
        }
        out.append(",\"value\":")
        out.appendString(value)
        if let detail {
            out.append(",\"detail\":")
            out.appendString(detail)
        }
        if let pc {
            out.append(",\"pc\":")
            out.appendDecimal(UInt64(pc) + 1)
        }
        if let uid {
            out.append(",\"uid\":")
            out.appendString(uid)
        }
        out.append("}\n")
        lines += 1
        if out.count >= Self.flushAt { flush() }
    }

    func flush() {
        guard out.count > 0 else { return }
        out.withBytes { written in
            hash.update(written)
            if captured != nil { captured!.append(contentsOf: written) }
            if let sink, writeError == nil {
                do {
                    try sink.write(contentsOf: Data(buffer: written))
                } catch {
                    writeError = writeFailureReason(error)
                }
            }
        }
        out.removeAll()
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

/// The system's words for a failed write ("No space left on device"), not Foundation's whole
/// error description.
func writeFailureReason(_ error: Error) -> String {
    var e = error as NSError
    if let underlying = e.userInfo[NSUnderlyingErrorKey] as? NSError { e = underlying }
    if e.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(e.code))) }
    return e.localizedDescription
}
