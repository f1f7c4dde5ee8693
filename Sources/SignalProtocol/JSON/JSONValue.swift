// A small, strict, deterministic JSON model (RFC 8259).
//
// Numbers keep their literal text so nothing is lost (integers beyond 2^53, beyond Int64 or
// UInt64, exponents) and so writing a parsed document gives back the same literal. Objects keep
// their members in insertion order; equality of objects is order-sensitive.

/// A JSON number, kept as the literal text it was written with (for example `-5`, `1e3`,
/// `18446744073709551616`). Two numbers are equal when their texts are equal, so `1` and `1.0`
/// are different values; compare `int64`, `uint64` or `double` to compare numerically.
public struct JSONNumber: Hashable, Sendable, CustomStringConvertible {
    /// The literal as written. Always a valid RFC 8259 number.
    public let text: String

    /// Creates a number from literal text that is already known to be a valid JSON number.
    /// Used by the parser; `text` is not re-validated.
    init(validatedText text: String) {
        self.text = text
    }

    /// A number from literal text; nil unless `text` is exactly one valid JSON number.
    public init?(text: String) {
        guard case .number(let n)? = try? JSONParser.parse(text), n.text == text else { return nil }
        self = n
    }

    public init(_ v: Int64) {
        self.text = String(v)
    }

    public init(_ v: UInt64) {
        self.text = String(v)
    }

    public init(_ v: Int) {
        self.text = String(v)
    }

    /// Shortest text that reads back as the same `Double`; nil for NaN and ±infinity, which
    /// JSON cannot write (RFC 8259 §6). Integral values print without a fraction or exponent
    /// ("3", not "3.0"; "1000000000000000", not "1e+15"), so `isInteger` and `int64`/`uint64`
    /// hold for them at any magnitude; -0.0 is "-0".
    public init?(_ v: Double) {
        guard v.isFinite else { return nil }
        if v == v.rounded() {
            if abs(v) < 9.2e18 {
                let i = Int64(v)
                self.text = (i == 0 && v.sign == .minus) ? "-0" : String(i)
            } else {
                // Beyond Int64: the exact integer, from the binary value (significand × 2^e).
                self.text = (v.sign == .minus ? "-" : "") + Self.decimal(of: v.magnitude)
            }
        } else {
            // Swift's description is the shortest round-trip form; its spellings ("1e-05",
            // "1.5e+20", "0.1") are all valid JSON numbers.
            self.text = v.description
        }
    }

    /// `v`'s JSON text, or `null` for NaN and ±infinity (as JavaScript's `JSON.stringify`).
    public static func literal(_ v: Double) -> String { JSONNumber(v)?.text ?? "null" }

    /// The decimal digits of a finite integral `v` ≥ 2^62: its 53-bit significand shifted left
    /// by `exponent - 52` bits, in base-10^9 limbs (at most 309 digits).
    private static func decimal(of v: Double) -> String {
        let billion: UInt64 = 1_000_000_000
        var limbs: [UInt64] = []  // little-endian, each < 10^9
        var significand = UInt64(v.significandBitPattern) | (1 << 52)
        while significand > 0 { limbs.append(significand % billion); significand /= billion }
        var shift = Int(v.exponent) - 52
        while shift > 0 {
            let step = min(shift, 30)
            shift -= step
            var carry: UInt64 = 0
            for k in limbs.indices {
                let x = limbs[k] << UInt64(step) + carry
                limbs[k] = x % billion
                carry = x / billion
            }
            while carry > 0 { limbs.append(carry % billion); carry /= billion }
        }
        var text = String(limbs.last!)
        for limb in limbs.dropLast().reversed() {
            let digits = String(limb)
            text += String(repeating: "0", count: 9 - digits.count) + digits
        }
        return text
    }

    /// No fraction and no exponent.
    public var isInteger: Bool {
        for b in text.utf8 where b == UInt8(ascii: ".") || b == UInt8(ascii: "e") || b == UInt8(ascii: "E") {
            return false
        }
        return true
    }

    /// The exact value if the literal is an integer (no fraction, no exponent) that fits.
    public var int64: Int64? {
        guard isInteger else { return nil }
        var negative = false
        var magnitude: UInt64 = 0
        for b in text.utf8 {
            if b == UInt8(ascii: "-") { negative = true; continue }
            guard b >= 48, b <= 57 else { return nil }
            let (m1, o1) = magnitude.multipliedReportingOverflow(by: 10)
            if o1 { return nil }
            let (m2, o2) = m1.addingReportingOverflow(UInt64(b - 48))
            if o2 { return nil }
            magnitude = m2
        }
        if negative {
            if magnitude <= UInt64(Int64.max) { return -Int64(magnitude) }
            if magnitude == UInt64(Int64.max) + 1 { return Int64.min }
            return nil
        }
        return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
    }

    /// The exact value if the literal is a non-negative integer (no fraction, no exponent) that
    /// fits in 64 bits. `-0` is 0.
    public var uint64: UInt64? {
        guard isInteger else { return nil }
        var negative = false
        var magnitude: UInt64 = 0
        for b in text.utf8 {
            if b == UInt8(ascii: "-") { negative = true; continue }
            guard b >= 48, b <= 57 else { return nil }
            let (m1, o1) = magnitude.multipliedReportingOverflow(by: 10)
            if o1 { return nil }
            let (m2, o2) = m1.addingReportingOverflow(UInt64(b - 48))
            if o2 { return nil }
            magnitude = m2
        }
        if negative && magnitude != 0 { return nil }
        return magnitude
    }

    /// The nearest `Double` (±infinity for literals beyond its range, ±0 below it).
    public var double: Double {
        if let d = Double(text) { return d }
        return 0
    }

    public var description: String { text }
}

/// Any JSON value.
public enum JSONValue: Hashable, Sendable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// "null", "boolean", "number", "string", "array" or "object", for error messages.
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    /// The member named `key` if this is an object that has one, otherwise nil.
    public subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    public var objectValue: JSONObject? {
        if case .object(let o) = self { return o }
        return nil
    }

    public var numberValue: JSONNumber? {
        if case .number(let n) = self { return n }
        return nil
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }
}

/// A JSON object: members in insertion order. Equality and hashing are order-sensitive.
public struct JSONObject: Hashable, Sendable {
    public var entries: [(key: String, value: JSONValue)]

    public init(_ entries: [(key: String, value: JSONValue)] = []) {
        self.entries = entries
    }

    /// Gets the member named `key`. Setting replaces the value of an existing member in place,
    /// appends a new member otherwise; setting nil removes the member.
    public subscript(key: String) -> JSONValue? {
        get {
            for e in entries where e.key == key { return e.value }
            return nil
        }
        set {
            if let i = entries.firstIndex(where: { $0.key == key }) {
                if let v = newValue {
                    entries[i].value = v
                } else {
                    entries.remove(at: i)
                }
            } else if let v = newValue {
                entries.append((key: key, value: v))
            }
        }
    }

    /// Member names in insertion order.
    public var keys: [String] { entries.map { $0.key } }

    public var count: Int { entries.count }

    public var isEmpty: Bool { entries.isEmpty }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.entries.count == rhs.entries.count else { return false }
        for i in lhs.entries.indices {
            if lhs.entries[i].key != rhs.entries[i].key || lhs.entries[i].value != rhs.entries[i].value {
                return false
            }
        }
        return true
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(entries.count)
        for e in entries {
            hasher.combine(e.key)
            hasher.combine(e.value)
        }
    }
}

extension JSONValue {
    /// A number, or `null` for NaN and ±infinity, which JSON cannot write (JavaScript's
    /// `JSON.stringify` writes `null` for them too).
    public init(_ v: Double) { self = JSONNumber(v).map(JSONValue.number) ?? .null }
}

// MARK: - Literals (convenient for building documents in code and tests)

extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int64) { self = .number(JSONNumber(value)) }
    /// A literal too large for a `Double` (`1e400`) is infinite, which JSON cannot write: `null`,
    /// as `init(_: Double)`.
    public init(floatLiteral value: Double) { self = JSONNumber(value).map(JSONValue.number) ?? .null }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    /// Keys in the order written. A repeated key keeps its first position and its last value.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        var o = JSONObject()
        for (k, v) in elements { o[k] = v }
        self = .object(o)
    }
}
