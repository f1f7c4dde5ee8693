/// Where and why a JSON text was rejected.
public struct JSONParseError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    /// Byte offset (0-based) of the offending input.
    public var offset: Int
    /// 1-based line.
    public var line: Int
    /// 1-based column, counted in Unicode scalars from the start of the line.
    public var column: Int

    public init(message: String, offset: Int, line: Int, column: Int) {
        self.message = message
        self.offset = offset
        self.line = line
        self.column = column
    }

    /// For example `line 3, column 7: expected ',' or '}' after object member`.
    public var description: String { "line \(line), column \(column): \(message)" }
}

/// Resource limits; exceeding one is a parse error, never a crash.
public struct JSONParserLimits: Sendable {
    /// Maximum nesting of arrays and objects (the top-level container is depth 1).
    public var maxDepth: Int = 128
    /// Maximum input size; larger inputs are refused before parsing.
    public var maxBytes: Int = 64 << 20
    /// Maximum size of one string or key, in UTF-8 bytes after unescaping.
    public var maxStringBytes: Int = 1 << 20

    public init(maxDepth: Int = 128, maxBytes: Int = 64 << 20, maxStringBytes: Int = 1 << 20) {
        self.maxDepth = maxDepth
        self.maxBytes = maxBytes
        self.maxStringBytes = maxStringBytes
    }
}

/// A strict RFC 8259 parser: exactly one value of any type, optional whitespace around it,
/// no trailing commas, comments, NaN/Infinity or leading zeros; `\u` escapes must form valid
/// scalars (surrogate pairs allowed, lone surrogates not); the input must be valid UTF-8
/// (a leading UTF-8 byte order mark is ignored); duplicate object keys are an error.
/// Iterative (an explicit stack), so deep nesting is reported, never a stack overflow.
public enum JSONParser {
    public static func parse(_ bytes: [UInt8], limits: JSONParserLimits = .init()) throws(JSONParseError) -> JSONValue {
        var p = Parser(bytes: bytes, limits: limits)
        return try p.parseDocument()
    }

    public static func parse(_ text: String, limits: JSONParserLimits = .init()) throws(JSONParseError) -> JSONValue {
        try parse(Array(text.utf8), limits: limits)
    }
}

private struct Frame {
    var isObject: Bool
    var elements: [JSONValue] = []
    var members: [(key: String, value: JSONValue)] = []
    var keySet: Set<String> = []  // membership only; order comes from `members`
    var pendingKey: String = ""
}

private struct Parser {
    let bytes: [UInt8]
    let limits: JSONParserLimits
    var pos = 0

    init(bytes: [UInt8], limits: JSONParserLimits) {
        self.bytes = bytes
        self.limits = limits
    }

    // MARK: errors

    func error(_ message: String, at offset: Int) -> JSONParseError {
        let end = min(max(offset, 0), bytes.count)
        var line = 1
        var column = 1
        var i = 0
        while i < end {
            let b = bytes[i]
            if b == 0x0A {
                line += 1
                column = 1
            } else if b & 0xC0 != 0x80 {
                column += 1
            }
            i += 1
        }
        return JSONParseError(message: message, offset: end, line: line, column: column)
    }

    func describeByte(at i: Int) -> String {
        guard i < bytes.count else { return "end of input" }
        let b = bytes[i]
        if b >= 0x21 && b < 0x7F {
            return "'\(Character(Unicode.Scalar(b)))'"
        }
        if b < 0x80 {
            return "character U+\(hex4(UInt32(b)))"
        }
        // Non-ASCII: decode the scalar if valid, for a readable message.
        if let (scalar, _) = decodeUTF8(at: i) {
            // An invisible or format character (a second byte order mark, a zero-width space,
            // a bidi override) would print as nothing between the quotes: named by code point.
            switch scalar.properties.generalCategory {
            case .format, .control, .spaceSeparator, .lineSeparator, .paragraphSeparator,
                 .nonspacingMark, .enclosingMark, .spacingMark, .privateUse, .unassigned, .surrogate:
                return "character U+\(hex4(scalar.value))\(scalar.value == 0xFEFF ? " (a byte order mark)" : "")"
            default:
                return "'\(Character(scalar))'"
            }
        }
        return "invalid UTF-8 byte 0x\(String(b, radix: 16, uppercase: true))"
    }

    // MARK: document

    mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        if bytes.count > limits.maxBytes {
            throw JSONParseError(message: "input is larger than \(limits.maxBytes) bytes", offset: 0, line: 1, column: 1)
        }
        if bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF {
            pos = 3
        }
        skipWhitespace()
        if pos >= bytes.count {
            throw error("empty input", at: pos)
        }
        var stack: [Frame] = []

        outer: while true {
            // Parse the start of a value.
            skipWhitespace()
            var value: JSONValue
            guard pos < bytes.count else {
                throw error("unexpected end of input, expected a value", at: pos)
            }
            let b = bytes[pos]
            switch b {
            case UInt8(ascii: "["):
                if stack.count >= limits.maxDepth {
                    throw error("nesting deeper than \(limits.maxDepth) levels", at: pos)
                }
                pos += 1
                skipWhitespace()
                if pos < bytes.count && bytes[pos] == UInt8(ascii: "]") {
                    pos += 1
                    value = .array([])
                } else {
                    stack.append(Frame(isObject: false))
                    continue outer
                }
            case UInt8(ascii: "{"):
                if stack.count >= limits.maxDepth {
                    throw error("nesting deeper than \(limits.maxDepth) levels", at: pos)
                }
                pos += 1
                skipWhitespace()
                if pos < bytes.count && bytes[pos] == UInt8(ascii: "}") {
                    pos += 1
                    value = .object(JSONObject())
                } else {
                    var frame = Frame(isObject: true)
                    frame.pendingKey = try parseKey(into: &frame, afterComma: false)
                    stack.append(frame)
                    continue outer
                }
            case UInt8(ascii: "\""):
                value = .string(try parseString())
            case UInt8(ascii: "t"):
                try expectLiteral("true")
                value = .bool(true)
            case UInt8(ascii: "f"):
                try expectLiteral("false")
                value = .bool(false)
            case UInt8(ascii: "n"):
                try expectLiteral("null")
                value = .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                value = .number(try parseNumber())
            default:
                throw unexpectedValueStart()
            }

            // A value is complete: attach it to the enclosing containers, closing as many as end here.
            while true {
                guard !stack.isEmpty else {
                    skipWhitespace()
                    if pos < bytes.count {
                        throw error("unexpected \(describeByte(at: pos)) after the top-level value", at: pos)
                    }
                    return value
                }
                let top = stack.count - 1
                skipWhitespace()
                if stack[top].isObject {
                    stack[top].members.append((key: stack[top].pendingKey, value: value))
                    guard pos < bytes.count else {
                        throw error("unexpected end of input, expected ',' or '}' after object member", at: pos)
                    }
                    if bytes[pos] == UInt8(ascii: ",") {
                        pos += 1
                        skipWhitespace()
                        let key = try parseKey(into: &stack[top], afterComma: true)
                        stack[top].pendingKey = key
                        continue outer
                    } else if bytes[pos] == UInt8(ascii: "}") {
                        pos += 1
                        let frame = stack.removeLast()
                        value = .object(JSONObject(frame.members))
                    } else {
                        throw error("expected ',' or '}' after object member", at: pos)
                    }
                } else {
                    stack[top].elements.append(value)
                    guard pos < bytes.count else {
                        throw error("unexpected end of input, expected ',' or ']' after array element", at: pos)
                    }
                    if bytes[pos] == UInt8(ascii: ",") {
                        pos += 1
                        skipWhitespace()
                        if pos < bytes.count && bytes[pos] == UInt8(ascii: "]") {
                            throw error("trailing comma in array", at: pos)
                        }
                        continue outer
                    } else if bytes[pos] == UInt8(ascii: "]") {
                        pos += 1
                        let frame = stack.removeLast()
                        value = .array(frame.elements)
                    } else {
                        throw error("expected ',' or ']' after array element", at: pos)
                    }
                }
            }
        }
    }

    func unexpectedValueStart() -> JSONParseError {
        let rest = bytes[pos...]
        if rest.starts(with: Array("NaN".utf8)) || rest.starts(with: Array("Infinity".utf8)) {
            return error("NaN and Infinity are not valid JSON numbers", at: pos)
        }
        if bytes[pos] == UInt8(ascii: "/") {
            return error("comments are not allowed in JSON", at: pos)
        }
        if bytes[pos] == UInt8(ascii: "]") || bytes[pos] == UInt8(ascii: "}") || bytes[pos] == UInt8(ascii: ",") {
            return error("expected a value, got \(describeByte(at: pos))", at: pos)
        }
        if bytes[pos] == UInt8(ascii: "'") {
            return error("strings must use double quotes", at: pos)
        }
        return error("unexpected \(describeByte(at: pos)), expected a value", at: pos)
    }

    /// Parses `"key"` and the following `:`; rejects duplicates within the frame.
    mutating func parseKey(into frame: inout Frame, afterComma: Bool) throws(JSONParseError) -> String {
        guard pos < bytes.count else {
            throw error("unexpected end of input, expected a string key", at: pos)
        }
        if bytes[pos] != UInt8(ascii: "\"") {
            if afterComma && bytes[pos] == UInt8(ascii: "}") {
                throw error("trailing comma in object", at: pos)
            }
            if bytes[pos] == UInt8(ascii: "/") {
                throw error("comments are not allowed in JSON", at: pos)
            }
            throw error("expected a string key in double quotes, got \(describeByte(at: pos))", at: pos)
        }
        let keyStart = pos
        let key = try parseString()
        // Small objects: a linear scan; large ones: a set (membership only), built on demand.
        // `members` holds the keys before the current one (the pending key is not yet in it).
        let duplicate: Bool
        if frame.members.count < 16 {
            duplicate = frame.members.contains { $0.key == key }
        } else {
            if frame.keySet.isEmpty {
                for m in frame.members { frame.keySet.insert(m.key) }
            }
            duplicate = frame.keySet.contains(key)
            frame.keySet.insert(key)
        }
        if duplicate {
            throw error("duplicate key \(JSONWriter.quote(key))", at: keyStart)
        }
        skipWhitespace()
        guard pos < bytes.count, bytes[pos] == UInt8(ascii: ":") else {
            throw error("expected ':' after object key", at: pos)
        }
        pos += 1
        return key
    }

    mutating func skipWhitespace() {
        while pos < bytes.count {
            let b = bytes[pos]
            if b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 {
                pos += 1
            } else {
                return
            }
        }
    }

    mutating func expectLiteral(_ word: StaticString) throws(JSONParseError) {
        let start = pos
        let n = word.utf8CodeUnitCount
        let w = word.utf8Start
        var i = 0
        while i < n {
            guard pos + i < bytes.count, bytes[pos + i] == w[i] else {
                throw error("invalid literal, expected '\(word)'", at: start)
            }
            i += 1
        }
        pos += n
        // "trueish" and the like: the next byte must not continue a word.
        if pos < bytes.count {
            let b = bytes[pos]
            if (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z"))
                || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")) || b == UInt8(ascii: "_")
            {
                throw error("invalid literal, expected '\(word)'", at: start)
            }
        }
    }

    // MARK: numbers

    func isDigit(_ i: Int) -> Bool {
        i < bytes.count && bytes[i] >= UInt8(ascii: "0") && bytes[i] <= UInt8(ascii: "9")
    }

    mutating func parseNumber() throws(JSONParseError) -> JSONNumber {
        let start = pos
        if bytes[pos] == UInt8(ascii: "-") {
            pos += 1
            if pos < bytes.count && bytes[pos] == UInt8(ascii: "I") {
                throw error("NaN and Infinity are not valid JSON numbers", at: start)
            }
            guard isDigit(pos) else {
                throw error("expected a digit after '-'", at: pos)
            }
        }
        if bytes[pos] == UInt8(ascii: "0") {
            pos += 1
            if isDigit(pos) {
                throw error("leading zeros are not allowed in numbers", at: start)
            }
        } else {
            while isDigit(pos) { pos += 1 }
        }
        if pos < bytes.count && bytes[pos] == UInt8(ascii: ".") {
            pos += 1
            guard isDigit(pos) else {
                throw error("expected a digit after '.' in number", at: pos)
            }
            while isDigit(pos) { pos += 1 }
        }
        if pos < bytes.count && (bytes[pos] == UInt8(ascii: "e") || bytes[pos] == UInt8(ascii: "E")) {
            pos += 1
            if pos < bytes.count && (bytes[pos] == UInt8(ascii: "+") || bytes[pos] == UInt8(ascii: "-")) {
                pos += 1
            }
            guard isDigit(pos) else {
                throw error("expected a digit in number exponent", at: pos)
            }
            while isDigit(pos) { pos += 1 }
        }
        if pos - start > limits.maxStringBytes {
            throw error("number literal longer than \(limits.maxStringBytes) bytes", at: start)
        }
        return JSONNumber(validatedText: String(decoding: bytes[start..<pos], as: UTF8.self))
    }

    // MARK: strings

    /// Decodes one UTF-8 scalar at `i`, strictly (no overlongs, no surrogates, at most U+10FFFF).
    func decodeUTF8(at i: Int) -> (Unicode.Scalar, Int)? {
        let n = bytes.count
        let b0 = bytes[i]
        if b0 < 0x80 { return (Unicode.Scalar(b0), 1) }
        func cont(_ j: Int) -> UInt32? {
            guard j < n, bytes[j] & 0xC0 == 0x80 else { return nil }
            return UInt32(bytes[j] & 0x3F)
        }
        if b0 >= 0xC2 && b0 <= 0xDF {
            guard let c1 = cont(i + 1) else { return nil }
            let v = (UInt32(b0 & 0x1F) << 6) | c1
            return Unicode.Scalar(v).map { ($0, 2) }
        }
        if b0 >= 0xE0 && b0 <= 0xEF {
            guard let c1 = cont(i + 1), let c2 = cont(i + 2) else { return nil }
            let v = (UInt32(b0 & 0x0F) << 12) | (c1 << 6) | c2
            if v < 0x800 || (v >= 0xD800 && v <= 0xDFFF) { return nil }
            return Unicode.Scalar(v).map { ($0, 3) }
        }
        if b0 >= 0xF0 && b0 <= 0xF4 {
            guard let c1 = cont(i + 1), let c2 = cont(i + 2), let c3 = cont(i + 3) else { return nil }
            let v = (UInt32(b0 & 0x07) << 18) | (c1 << 12) | (c2 << 6) | c3
            if v < 0x10000 || v > 0x10FFFF { return nil }
            return Unicode.Scalar(v).map { ($0, 4) }
        }
        return nil
    }

    func hexValue(_ b: UInt8) -> UInt32? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(b - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(b - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(b - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }

    /// Reads the 4 hex digits of a `\u` escape whose backslash is at `escStart`; `pos` is after 'u'.
    mutating func readHex4(escStart: Int) throws(JSONParseError) -> UInt32 {
        var v: UInt32 = 0
        for k in 0..<4 {
            guard pos + k < bytes.count, let h = hexValue(bytes[pos + k]) else {
                throw error("invalid \\u escape: expected 4 hexadecimal digits", at: escStart)
            }
            v = (v << 4) | h
        }
        pos += 4
        return v
    }

    /// Parses a string literal; `pos` is at the opening quote.
    mutating func parseString() throws(JSONParseError) -> String {
        let start = pos
        pos += 1
        var out: [UInt8] = []
        var runStart = pos
        while true {
            guard pos < bytes.count else {
                throw error("unterminated string", at: start)
            }
            let b = bytes[pos]
            if b == UInt8(ascii: "\"") {
                out.append(contentsOf: bytes[runStart..<pos])
                pos += 1
                break
            } else if b == UInt8(ascii: "\\") {
                out.append(contentsOf: bytes[runStart..<pos])
                let escStart = pos
                guard pos + 1 < bytes.count else {
                    throw error("unterminated string", at: start)
                }
                let e = bytes[pos + 1]
                pos += 2
                switch e {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "/"): out.append(0x2F)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var v = try readHex4(escStart: escStart)
                    if v >= 0xDC00 && v <= 0xDFFF {
                        throw error("invalid \\u escape: lone low surrogate \\u\(hex4(v))", at: escStart)
                    }
                    if v >= 0xD800 && v <= 0xDBFF {
                        guard pos + 1 < bytes.count, bytes[pos] == UInt8(ascii: "\\"), bytes[pos + 1] == UInt8(ascii: "u") else {
                            throw error("invalid \\u escape: high surrogate \\u\(hex4(v)) not followed by a low surrogate", at: escStart)
                        }
                        let lowStart = pos
                        pos += 2
                        let low = try readHex4(escStart: lowStart)
                        guard low >= 0xDC00 && low <= 0xDFFF else {
                            throw error("invalid \\u escape: high surrogate \\u\(hex4(v)) not followed by a low surrogate", at: escStart)
                        }
                        v = 0x10000 + ((v - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let scalar = Unicode.Scalar(v) else {
                        throw error("invalid \\u escape", at: escStart)
                    }
                    out.append(contentsOf: String(Character(scalar)).utf8)
                default:
                    throw error("invalid escape \(describeEscape(e)) in string", at: escStart)
                }
                runStart = pos
            } else if b < 0x20 {
                throw error("unescaped control character U+\(hex4(UInt32(b))) in string", at: pos)
            } else if b < 0x80 {
                pos += 1
            } else {
                guard let (_, len) = decodeUTF8(at: pos) else {
                    throw error("invalid UTF-8 byte 0x\(String(b, radix: 16, uppercase: true))", at: pos)
                }
                pos += len
            }
            if out.count + (pos - runStart) > limits.maxStringBytes {
                throw error("string longer than \(limits.maxStringBytes) bytes", at: start)
            }
        }
        if out.count > limits.maxStringBytes {
            throw error("string longer than \(limits.maxStringBytes) bytes", at: start)
        }
        return String(decoding: out, as: UTF8.self)
    }

    func describeEscape(_ e: UInt8) -> String {
        if e >= 0x21 && e < 0x7F { return "'\\\(Character(Unicode.Scalar(e)))'" }
        return "'\\' followed by byte 0x\(String(e, radix: 16, uppercase: true))"
    }
}

private func hex4(_ v: UInt32) -> String {
    let s = String(v, radix: 16, uppercase: true)
    return String(repeating: "0", count: max(0, 4 - s.count)) + s
}
