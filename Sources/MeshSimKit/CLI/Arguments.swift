/// A usage error: printed as one line, exit status 2.
struct UsageError: Error {
    var message: String
    /// Further problems of the same input, one line each after `message` (a policy file with
    /// several wrong fields).
    var more: [String] = []
}

/// A tiny command-line parser: positional arguments and `--name value` / `--flag` options.
struct Arguments {
    private(set) var positional: [String] = []
    private var options: [(name: String, value: String?)] = []
    private var consumed: Set<String> = []

    /// `valued` lists options that take a value; `repeatable` those that take a value and may
    /// be given more than once (`values`); anything else starting with `--` is a flag.
    init(_ args: ArraySlice<String>, valued: Set<String>, flags: Set<String>, repeatable: Set<String> = []) throws(UsageError) {
        let valued = valued.union(repeatable)
        var i = args.startIndex
        var optionsEnded = false
        while i < args.endIndex {
            let a = args[i]
            if a == "--" && !optionsEnded {
                // POSIX: everything after `--` is an operand, even a file named `--json`.
                optionsEnded = true
            } else if a.hasPrefix("--") && a.count > 2 && !optionsEnded {
                var name = String(a.dropFirst(2))
                var inline: String?
                if let eq = name.firstIndex(of: "=") {
                    inline = String(name[name.index(after: eq)...])
                    name = String(name[..<eq])
                }
                if valued.contains(name) {
                    if let inline {
                        options.append((name, inline))
                    } else {
                        guard i + 1 < args.endIndex else { throw UsageError(message: "--\(name) needs a value") }
                        // `--trace --json`: a forgotten value, not a file named "--json" (and
                        // the report silently not JSON). Such a value is written `--trace=--json`.
                        let next = args[i + 1]
                        if next.hasPrefix("--"), next.count > 2 {
                            let other = String(next.dropFirst(2).prefix { $0 != "=" })
                            if valued.contains(other) || flags.contains(other) {
                                throw UsageError(message: "--\(name) needs a value, got the option \(oneLine(next)) (a value that starts with -- is written --\(name)=VALUE)")
                            }
                        }
                        options.append((name, next))
                        i += 1
                    }
                } else if flags.contains(name) {
                    guard inline == nil else { throw UsageError(message: "--\(name) takes no value") }
                    options.append((name, nil))
                } else {
                    throw UsageError(message: "unknown option --\(name)")
                }
            } else {
                positional.append(a)
            }
            i += 1
        }
    }

    func value(_ name: String) throws(UsageError) -> String? {
        let matches = options.filter { $0.name == name }
        guard matches.count <= 1 else { throw UsageError(message: "--\(name) given more than once") }
        return matches.first?.value
    }

    /// Every value of a repeatable option, in command-line order.
    func values(_ name: String) -> [String] {
        options.filter { $0.name == name }.compactMap(\.value)
    }

    func flag(_ name: String) -> Bool {
        options.contains { $0.name == name }
    }
}

/// A command-line number: ASCII digits only, as docs/cli.md says ("`--seed +5` is refused";
/// Swift's `Int("+5")` accepts the sign, and did in every option that used it).
func plainNumber<T: FixedWidthInteger>(_ text: some StringProtocol, as: T.Type = T.self) -> T? {
    guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
    return T(text)
}
