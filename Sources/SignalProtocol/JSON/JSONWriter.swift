/// Compact, deterministic JSON output: no whitespace, object members in insertion order,
/// numbers as their literal text, strings escaped per RFC 8259 (`\"`, `\\`, `\n`, `\r`, `\t`,
/// `\b`, `\f`, `\u00XX` for the other control characters; everything else, including
/// non-ASCII, written as UTF-8).
public enum JSONWriter {
    public static func write(_ v: JSONValue) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        append(v, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// A JSON string literal (with the quotes) for `s`.
    public static func quote(_ s: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count + 2)
        appendQuoted(s, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the compact JSON text of `v` to `out` (UTF-8).
    public static func append(_ v: JSONValue, to out: inout [UInt8]) {
        switch v {
        case .null:
            out.append(contentsOf: nullBytes)
        case .bool(let b):
            out.append(contentsOf: b ? trueBytes : falseBytes)
        case .number(let n):
            out.append(contentsOf: n.text.utf8)
        case .string(let s):
            appendQuoted(s, to: &out)
        case .array(let a):
            out.append(UInt8(ascii: "["))
            var first = true
            for e in a {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                append(e, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            out.append(UInt8(ascii: "{"))
            var first = true
            for e in o.entries {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                appendQuoted(e.key, to: &out)
                out.append(UInt8(ascii: ":"))
                append(e.value, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Appends a JSON string literal for `s` to `out` (UTF-8).
    public static func appendQuoted(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { appendEscaped($0, to: &out) }
        out.append(UInt8(ascii: "\""))
    }

    /// A character JSON allows raw that a terminal or a line splitter would act on: DEL, the C1
    /// controls (U+0085 is a line break to Python's `splitlines`), the line and paragraph
    /// separators, and the bidirectional marks, embeddings, overrides and isolates
    /// (CVE-2021-42574). Written as `\uXXXX`, so one JSON line stays one line and reads as
    /// written. Returns the code point and its UTF-8 length when `b[i...]` starts with one.
    @inline(__always)
    public static func mustEscape(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> (code: UInt32, length: Int)? {
        let c = b[i]
        if c == 0x7F { return (0x7F, 1) }
        if c == 0xC2, i + 1 < b.count, (0x80...0x9F).contains(b[i + 1]) { return (UInt32(b[i + 1]), 2) }
        if c == 0xD8, i + 1 < b.count, b[i + 1] == 0x9C { return (0x061C, 2) }
        if c == 0xE2, i + 2 < b.count {
            let x = b[i + 1], y = b[i + 2]
            if x == 0x80, y == 0x8E || y == 0x8F || (0xA8...0xAE).contains(y) { return (0x2000 + UInt32(y - 0x80), 3) }
            if x == 0x81, (0xA6...0xA9).contains(y) { return (0x2040 + UInt32(y - 0x80), 3) }
        }
        return nil
    }

    /// The inside of a JSON string literal: quote, backslash and C0 controls as RFC 8259
    /// requires, and what `mustEscape` names.
    public static func appendEscaped(_ utf8: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        var i = 0
        while i < utf8.count {
            let b = utf8[i]
            if b >= 0x7F, let (code, length) = mustEscape(utf8, i) {
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"),
                                        hexDigits[Int(code >> 12 & 0xF)], hexDigits[Int(code >> 8 & 0xF)],
                                        hexDigits[Int(code >> 4 & 0xF)], hexDigits[Int(code & 0xF)]])
                i += length
                continue
            }
            i += 1
            switch b {
            case UInt8(ascii: "\""): out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "\""))
            case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "\\"))
            case 0x0A: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "r"))
            case 0x09: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "t"))
            case 0x08: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "b"))
            case 0x0C: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "f"))
            case 0x00..<0x20:
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                        hexDigits[Int(b >> 4)], hexDigits[Int(b & 0xF)]])
            default:
                out.append(b)
            }
        }
    }

    private static let nullBytes: [UInt8] = Array("null".utf8)
    private static let trueBytes: [UInt8] = Array("true".utf8)
    private static let falseBytes: [UInt8] = Array("false".utf8)
    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
}
