import SignalProtocol

/// One stuck pair as the report carries it (one JSON `stuck` entry per pair).
struct StuckPair: Sendable {
    /// The pair in slot order (the JSON `between`).
    var a: String
    var b: String
    var cause: StuckCause
    /// `explanation`, rendered: the JSON `reason`.
    var reason: String
    var explanation: ReasonText

    init(a: String, b: String, diagnosis: PairDiagnosis) {
        self.a = a
        self.b = b
        cause = diagnosis.cause
        explanation = diagnosis.reason
        reason = diagnosis.reason.rendered
    }

    /// The JSON object: `between`, `reason`, `cause`.
    var json: JSONValue {
        ["between": [.string(a), .string(b)], "reason": .string(reason), "cause": .string(cause.rawValue)]
    }
}

/// Stuck pairs with the same explanation: the same cause and the same reason once the pair's
/// two peers are written A and B and the measurements (counts of checks, times) are set aside.
///
/// A and B are assigned in the order the reason first names the pair's peers, not the order of
/// the pair, so that "p2's page reloaded ...; p1 still held ..." and "p2's page reloaded ...;
/// p3 still held ..." are one explanation (A = p2). Everything else stays literal: other peers'
/// names, uids, NAT types, error codes, policy names; two reasons that differ in any of those
/// are different explanations. Grouping works on `ReasonText` pieces, never on rendered text,
/// so a peer named like a word of the sentence (or like a prefix of another peer) cannot make
/// two explanations look alike.
struct StuckPairGroup {
    enum TemplatePiece: Hashable {
        case text(String)
        /// 0 = A, 1 = B.
        case role(Int)
        /// A peer other than the pair's two.
        case other(String)
        case count
        case time
    }

    struct Key: Hashable {
        var cause: StuckCause
        var template: [TemplatePiece]
    }

    struct Member {
        /// Index in the report's `stuck`.
        var index: Int
        /// The peers playing A and B.
        var first: String
        var second: String
        /// The counts and times, in the order of the template's `count`/`time` pieces.
        var measurements: [Int64]
    }

    var key: Key
    var members: [Member]

    var cause: StuckCause { key.cause }

    /// `pair`'s key, its A and B, and its measurements.
    static func abstract(_ pair: StuckPair) -> (key: Key, member: Member) {
        var roles: [String] = []
        var template: [TemplatePiece] = []
        var measurements: [Int64] = []
        for piece in pair.explanation.pieces {
            switch piece {
            case .text(let t):
                template.append(.text(t))
            case .peer(let n) where n == pair.a || n == pair.b:
                if let r = roles.firstIndex(of: n) {
                    template.append(.role(r))
                } else {
                    roles.append(n)
                    template.append(.role(roles.count - 1))
                }
            case .peer(let n):
                template.append(.other(n))
            case .count(let c):
                template.append(.count)
                measurements.append(Int64(c))
            case .time(let t):
                template.append(.time)
                measurements.append(t)
            }
        }
        // A pair whose reason names one peer (or neither): the unnamed ones follow in pair order.
        for n in [pair.a, pair.b] where !roles.contains(n) { roles.append(n) }
        return (Key(cause: pair.cause, template: template),
                Member(index: -1, first: roles[0], second: roles[1], measurements: measurements))
    }

    /// The groups of `stuck`, largest first; equal sizes in the order their first pair appears
    /// in `stuck`. Members keep `stuck`'s order. Deterministic: the dictionary only finds a
    /// group, it never orders anything.
    static func groups(_ stuck: [StuckPair]) -> [StuckPairGroup] {
        var groups: [StuckPairGroup] = []
        var index: [Key: Int] = [:]
        for (i, pair) in stuck.enumerated() {
            var (key, member) = abstract(pair)
            member.index = i
            if let g = index[key] {
                groups[g].members.append(member)
            } else {
                index[key] = groups.count
                groups.append(StuckPairGroup(key: key, members: [member]))
            }
        }
        // Stable: ties keep first-appearance order.
        return groups.enumerated().sorted { l, r in
            l.element.members.count != r.element.members.count ? l.element.members.count > r.element.members.count : l.offset < r.offset
        }.map(\.element)
    }

    /// The explanation with A and B for the pair's peers; a measurement shared by every member
    /// is written as it is, one that varies as its range ("313–321", "25.714–26.213 s").
    var template: String {
        var s = ""
        var m = 0
        for piece in key.template {
            switch piece {
            case .text(let t): s += t
            case .role(let r): s += r == 0 ? "A" : "B"
            case .other(let n): s += n
            case .count, .time:
                let values = members.map { $0.measurements[m] }
                let lo = values.min()!, hi = values.max()!
                m += 1
                if case .count = piece {
                    s += lo == hi ? String(lo) : "\(lo)–\(hi)"
                } else {
                    let l = formatSeconds(lo), h = formatSeconds(hi)
                    // Times apart by less than the printed precision read as one time.
                    if l == h {
                        s += l
                    } else if l.hasSuffix(" s") && h.hasSuffix(" s") {
                        s += "\(l.dropLast(2))–\(h)"
                    } else {
                        s += "\(l)–\(h)"
                    }
                }
            }
        }
        return s
    }

    /// The text report's lines for `stuck` (without the "stuck pairs (N):" heading): a pair
    /// alone with its explanation is printed as before, `A – B [cause]: reason`; a group as
    /// `N pairs [cause]: template` and its pairs as A–B, wrapped, at most `maxPairLines` lines.
    static func textLines(_ stuck: [StuckPair], indent: String = "    ", maxGroups: Int = 20,
                          width: Int = 100, maxPairLines: Int = 4) -> [String] {
        let all = groups(stuck)
        var lines: [String] = []
        for g in all.prefix(maxGroups) {
            if g.members.count == 1 {
                let p = stuck[g.members[0].index]
                lines.append("\(indent)\(p.a) – \(p.b) [\(g.cause.rawValue)]: \(p.reason)")
                continue
            }
            lines.append("\(indent)\(g.members.count) pairs [\(g.cause.rawValue)]: \(g.template)")
            let pairIndent = indent + "  "
            var line = pairIndent + "A–B:", onLine = 0, emitted = 0
            for (i, m) in g.members.enumerated() {
                let item = " \(m.first)–\(m.second)" + (i == g.members.count - 1 ? "" : ",")
                if onLine > 0 && line.count + item.count > width {
                    if emitted + 1 == maxPairLines {
                        line += " ... \(g.members.count - i) more (see --json)"
                        break
                    }
                    lines.append(line)
                    emitted += 1
                    line = pairIndent + "    "
                    onLine = 0
                }
                line += item
                onLine += 1
            }
            lines.append(line)
        }
        if all.count > maxGroups {
            let rest = all.dropFirst(maxGroups)
            lines.append("\(indent)... \(rest.count) more explanations for \(rest.reduce(0) { $0 + $1.members.count }) pairs (see --json)")
        }
        return lines
    }
}
