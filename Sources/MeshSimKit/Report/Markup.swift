/// What the SVG and HTML outputs share: escaping, numbers written the same way on every
/// machine, axis ticks, and the downsampling of step lines.
///
/// Everything here is pure: the same input gives the same bytes (no locale, no
/// `String(format:)`, no dictionary order).
enum Markup {
    /// Text for XML or HTML content and attribute values (double-quoted): `&`, `<`, `>`, `"`
    /// and `'` as entities, and what `oneLine` escapes (controls, line separators, bidi
    /// overrides) written as `\uXXXX` text, as are the noncharacters neither XML 1.0 nor HTML
    /// accepts. Names, descriptions and reasons come from a scenario file and may hold
    /// anything: nothing from input reaches a page as markup.
    static func escape(_ s: String) -> String {
        let clean = oneLine(s)
        guard clean.unicodeScalars.contains(where: { "&<>\"'".unicodeScalars.contains($0) || isNonCharacter($0) }) else {
            return clean
        }
        var out = ""
        out.reserveCapacity(clean.utf8.count + 16)
        for u in clean.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                if isNonCharacter(u) {
                    out += "\\u" + String(u.value, radix: 16)
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out
    }

    /// `s` as a page shows it (`oneLine`: an escaped control is six characters, `&` one),
    /// elided in the middle to at most `max` characters: names from a group or a `--vary`
    /// sweep share a start and differ at the end, so both ends are kept.
    static func elideMiddle(_ s: String, max: Int) -> String {
        let shown = oneLine(s)
        guard shown.count > max, max >= 3 else { return shown }
        let tail = (max - 1) / 2
        return String(shown.prefix(max - 1 - tail)) + "…" + String(shown.suffix(tail))
    }

    /// `s` as shown, cut at the end to at most `max` characters with an ellipsis.
    static func elideEnd(_ s: String, max: Int) -> String {
        let shown = oneLine(s)
        guard shown.count > max, max >= 2 else { return shown }
        return String(shown.prefix(max - 1)) + "…"
    }

    /// The content of an SVG `text` showing `shown` (escaped), with the full text as a
    /// tooltip (`title`) when `shown` is not all of it.
    static func label(_ full: String, shown: String) -> String {
        shown == oneLine(full) ? escape(shown) : "<title>\(escape(full))</title>\(escape(shown))"
    }

    /// How many characters of 11-pixel text fit in `pixels` (the width of a digit or a
    /// lower-case letter, about 6 pixels, with a little to spare).
    static func charsThatFit(_ pixels: Double, fontSize: Double = 11) -> Int {
        Swift.max(3, Int(pixels / (fontSize * 0.56) + 1e-9))
    }

    /// The width in pixels `s` takes as shown (what `charsThatFit` assumes per character).
    static func textWidth(_ s: String, fontSize: Double = 11) -> Double {
        Double(oneLine(s).count) * fontSize * 0.56
    }

    /// `escape` for text of several lines (a JUnit failure, a text report): each line escaped,
    /// the line breaks kept as character references, which survive in attributes too.
    static func escapeLines(_ s: String) -> String {
        s.split(separator: "\n", omittingEmptySubsequences: false).map { escape(String($0)) }.joined(separator: "&#10;")
    }

    private static func isNonCharacter(_ u: Unicode.Scalar) -> Bool {
        (0xFDD0...0xFDEF).contains(u.value) || u.value & 0xFFFE == 0xFFFE
    }

    /// A coordinate or length with one decimal, e.g. `12.5`, `-3`, `40` (never `-0`).
    static func num(_ v: Double) -> String {
        guard v.isFinite else { return "0" }
        let tenths = Int((v * 10).rounded())
        if tenths == 0 { return "0" }
        let sign = tenths < 0 ? "-" : ""
        let a = tenths.magnitude
        return a % 10 == 0 ? "\(sign)\(a / 10)" : "\(sign)\(a / 10).\(a % 10)"
    }

    /// A fraction (0...1) for opacities, three decimals.
    static func fraction(_ v: Double) -> String {
        let thousandths = Int((min(max(v, 0), 1) * 1000).rounded())
        if thousandths == 1000 { return "1" }
        var s = String(thousandths)
        s = String(repeating: "0", count: 3 - s.count) + s
        while s.hasSuffix("0") { s.removeLast() }
        return s.isEmpty ? "0" : "0." + s
    }

    // MARK: - ticks

    /// Tick positions for 0...maxNs (nanoseconds): a step of 1, 2 or 5 × 10^k ns giving at
    /// most `maxTicks` intervals, and the number of decimals a label in seconds needs.
    static func timeTicks(upTo maxNs: Int64, maxTicks: Int = 10) -> (ticks: [Int64], decimals: Int) {
        let span = max(maxNs, 1)
        var power: Int64 = 1
        var exponent = 0
        while true {
            for m: Int64 in [1, 2, 5] {
                let step = m * power
                if span / step <= Int64(maxTicks) {
                    var ticks: [Int64] = []
                    var t: Int64 = 0
                    while t <= span { ticks.append(t); t += step }
                    return (ticks, max(0, 9 - exponent))
                }
            }
            power *= 10
            exponent += 1
        }
    }

    /// `ns` in seconds with `decimals` decimals (a tick label): `0`, `2.5`, `10`.
    static func seconds(_ ns: Int64, decimals: Int) -> String {
        let whole = ns / 1_000_000_000
        guard decimals > 0 else { return String(whole) }
        var divisor: Int64 = 1
        for _ in 0..<(9 - decimals) { divisor *= 10 }
        var frac = String((ns % 1_000_000_000) / divisor)
        frac = String(repeating: "0", count: decimals - frac.count) + frac
        while frac.hasSuffix("0") { frac.removeLast() }
        return frac.isEmpty ? String(whole) : "\(whole).\(frac)"
    }

    /// Tick values for counts 0...maxValue: a step of 1, 2 or 5 × 10^k.
    static func countTicks(upTo maxValue: Int, maxTicks: Int = 6) -> [Int] {
        let span = max(maxValue, 1)
        var power = 1
        while true {
            for m in [1, 2, 5] {
                let step = m * power
                if span / step <= maxTicks {
                    return Array(stride(from: 0, through: span, by: step))
                }
            }
            power *= 10
        }
    }

    // MARK: - step lines

    /// An SVG path for a step function: `points` (time, value) in time order, each value
    /// holding from its time until the next point; the value is `start` before the first point
    /// and the line ends at `end`. Axis-aligned segments only (`M`, `H`, `V`, absolute).
    ///
    /// Up to `maxVertices / 2` points, every step is drawn as it is. Beyond that the time axis
    /// is cut into `maxVertices / 4` buckets and each bucket keeps, in the order they
    /// happened, the lowest and the highest value it reached and its last value: the line
    /// still covers every value the function took (no spike is lost) and every horizontal
    /// segment between buckets is exact; only the order of moves inside one bucket (a pixel or
    /// two wide) is simplified. At most `maxVertices` vertices plus the two ends.
    static func stepPath(_ points: [(time: Int64, value: Int)], start: Int = 0, end: Int64,
                         x: (Int64) -> Double, y: (Int) -> Double, maxVertices: Int = 2000) -> (d: String, vertices: Int) {
        var d = "M\(num(x(0))) \(num(y(start)))"
        var vertices = 1
        var cx = num(x(0)), cy = num(y(start))
        // A horizontal move is written only when a vertical one follows it (or at the end).
        var pendingX: String?
        func h(_ t: Int64) {
            let s = num(x(t))
            pendingX = s == cx ? nil : s
        }
        func v(_ value: Int) {
            let s = num(y(value))
            guard s != cy else { return }
            if let px = pendingX {
                d += "H" + px
                cx = px
                pendingX = nil
                vertices += 1
            }
            d += "V" + s
            cy = s
            vertices += 1
        }
        if points.count <= maxVertices / 2 {
            for p in points { h(p.time); v(p.value) }
        } else {
            let buckets = Int64(max(1, maxVertices / 4))
            let span = max(end, 1)
            var i = 0
            var current = start
            while i < points.count {
                let b = min(points[i].time * buckets / span, buckets - 1)
                var j = i
                var lo = points[i].value, hi = points[i].value
                var loAt = i, hiAt = i
                while j < points.count && min(points[j].time * buckets / span, buckets - 1) == b {
                    if points[j].value < lo { lo = points[j].value; loAt = j }
                    if points[j].value > hi { hi = points[j].value; hiAt = j }
                    j += 1
                }
                let last = points[j - 1].value
                h(points[i].time)
                // current → the extreme reached first → the other → last, without the
                // vertices that lie on a straight run between their neighbours.
                var moves = [current] + (loAt <= hiAt ? [lo, hi] : [hi, lo]) + [last]
                var k = 1
                while k < moves.count - 1 {
                    if min(moves[k - 1], moves[k + 1]) <= moves[k] && moves[k] <= max(moves[k - 1], moves[k + 1]) {
                        moves.remove(at: k)
                    } else {
                        k += 1
                    }
                }
                for m in moves.dropFirst() { v(m) }
                current = last
                i = j
            }
        }
        let endX = num(x(end))
        if endX != cx {
            d += "H" + endX
            vertices += 1
        }
        return (d, vertices)
    }
}
