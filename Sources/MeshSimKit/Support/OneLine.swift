/// Text that reaches a terminal or a log as exactly one line.
///
/// Scenario names, descriptions, policy names and file paths come from users and may hold
/// anything: a newline in a policy name used to print a second, forged line such as
/// `b.json: ok (2 peers)`, and an escape sequence would drive the terminal. Every line MeshSim
/// prints for a person (error lines, the text report, the compare table) passes through
/// `oneLine`, so one problem is one line and no control character reaches a terminal raw.
///
/// Escapes use JSON's spelling (`\n`, `\t`, `\u001b`), which a reader of MeshSim's JSON knows.
/// Escaped: every C0 and C1 control and DEL, the Unicode line and paragraph separators, and
/// the bidirectional formatting characters (they can make a line read in another order than
/// it is written, CVE-2021-42574).
func oneLine(_ s: String) -> String {
    guard s.unicodeScalars.contains(where: needsEscape) else { return s }
    var out = String.UnicodeScalarView()
    for u in s.unicodeScalars {
        guard needsEscape(u) else { out.append(u); continue }
        let text: String
        switch u {
        case "\n": text = "\\n"
        case "\r": text = "\\r"
        case "\t": text = "\\t"
        default:
            let hex = String(u.value, radix: 16)
            text = "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        }
        out.append(contentsOf: text.unicodeScalars)
    }
    return String(out)
}

private func needsEscape(_ u: Unicode.Scalar) -> Bool {
    switch u.value {
    case 0x00...0x1F, 0x7F...0x9F: return true
    case 0x2028, 0x2029: return true                       // line and paragraph separators
    case 0x200E, 0x200F, 0x061C: return true               // directional marks
    case 0x202A...0x202E, 0x2066...0x2069: return true     // embeddings, overrides, isolates
    default: return false
    }
}

/// "1 event", "3 events": a count and a noun, singular for one.
func counted(_ n: Int, _ singular: String, _ plural: String? = nil) -> String {
    "\(n) \(n == 1 ? singular : plural ?? singular + "s")"
}
