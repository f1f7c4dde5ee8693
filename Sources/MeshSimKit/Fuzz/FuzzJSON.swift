import SignalProtocol

/// Pretty JSON for the scenario files `fuzz` writes: two-space indentation, one member per
/// line, and objects and arrays of scalars that fit kept on one line (an event, a pair), as the
/// files in Scenarios/ are written.
enum FuzzJSON {
    static func pretty(_ v: JSONValue, indent: Int = 0) -> String {
        let compact = JSONWriter.write(v)
        if indent > 0 && compact.count <= 100 && isFlat(v) { return spaced(v) }
        let pad = String(repeating: "  ", count: indent + 1)
        let close = String(repeating: "  ", count: indent)
        switch v {
        case .object(let o) where !o.isEmpty:
            let members = o.entries.map { "\(pad)\(JSONWriter.quote($0.key)): \(pretty($0.value, indent: indent + 1))" }
            return "{\n" + members.joined(separator: ",\n") + "\n\(close)}"
        case .array(let a) where !a.isEmpty:
            return "[\n" + a.map { pad + pretty($0, indent: indent + 1) }.joined(separator: ",\n") + "\n\(close)]"
        default:
            return spaced(v)
        }
    }

    /// No member is an object or array holding objects or arrays itself.
    private static func isFlat(_ v: JSONValue) -> Bool {
        switch v {
        case .object(let o): return o.entries.allSatisfy { isScalarOrScalarArray($0.value) }
        case .array(let a): return a.allSatisfy(isScalarOrScalarArray)
        default: return true
        }
    }

    private static func isScalarOrScalarArray(_ v: JSONValue) -> Bool {
        switch v {
        case .object(let o): return o.entries.allSatisfy { !isContainer($0.value) }
        case .array(let a): return a.allSatisfy { !isContainer($0) }
        default: return true
        }
    }

    private static func isContainer(_ v: JSONValue) -> Bool {
        switch v {
        case .object, .array: return true
        default: return false
        }
    }

    /// One line with a space after each colon and comma.
    private static func spaced(_ v: JSONValue) -> String {
        switch v {
        case .object(let o):
            return "{" + o.entries.map { "\(JSONWriter.quote($0.key)): \(spaced($0.value))" }.joined(separator: ", ") + "}"
        case .array(let a):
            return "[" + a.map(spaced).joined(separator: ", ") + "]"
        default:
            return JSONWriter.write(v)
        }
    }
}
