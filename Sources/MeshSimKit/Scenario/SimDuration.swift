// Simulated time: integer nanoseconds, never floating point, never the wall clock.

/// A simulated instant or interval in nanoseconds.
typealias SimDuration = Int64

let nsPerUs: SimDuration = 1_000
let nsPerMs: SimDuration = 1_000_000
let nsPerSecond: SimDuration = 1_000_000_000
let nsPerMinute: SimDuration = 60 * nsPerSecond

/// The longest duration a scenario may write anywhere (30 days).
let maxScenarioDuration: SimDuration = 30 * 24 * 3600 * nsPerSecond

/// Why a duration string was rejected.
enum DurationTextError: Error, Equatable {
    /// Not `<non-negative decimal><unit>` with unit `us`, `ms`, `s` or `m`.
    case malformed
    /// Not a whole number of nanoseconds, e.g. "1.0000000001s".
    case finerThanNanosecond
    /// Longer than `maxScenarioDuration`.
    case tooLong
}

/// The same parser under the name the command line uses (`--until`).
typealias SimDurationParser = DurationText

/// Duration strings: a non-negative decimal number followed by a unit, one of `us`, `ms`, `s`,
/// `m` (minutes), with no sign, spaces or exponent: "250ms", "1.5s", "0.5us", "2m".
/// Conversion is exact: the digits are read as integers, never through `Double`.
enum DurationText {
    static func parse(_ text: String) -> Result<SimDuration, DurationTextError> {
        let b = Array(text.utf8)
        var i = 0
        var intDigits: [UInt8] = []
        while i < b.count, b[i] >= 48, b[i] <= 57 {
            intDigits.append(b[i] - 48)
            i += 1
        }
        if intDigits.isEmpty { return .failure(.malformed) }
        var fracDigits: [UInt8] = []
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                fracDigits.append(b[i] - 48)
                i += 1
            }
            if fracDigits.isEmpty { return .failure(.malformed) }
        }
        let unit: UInt128
        switch String(decoding: b[i...], as: UTF8.self) {
        case "us": unit = UInt128(nsPerUs)
        case "ms": unit = UInt128(nsPerMs)
        case "s": unit = UInt128(nsPerSecond)
        case "m": unit = UInt128(nsPerMinute)
        default: return .failure(.malformed)
        }
        // Leading zeros of the integer part and trailing zeros of the fraction change nothing.
        while let f = intDigits.first, f == 0, intDigits.count > 1 { intDigits.removeFirst() }
        while let l = fracDigits.last, l == 0 { fracDigits.removeLast() }
        // Beyond 18 significant fraction digits no unit here gives whole nanoseconds.
        if fracDigits.count > 18 { return .failure(.finerThanNanosecond) }
        var fracScale: UInt128 = 1
        var frac: UInt128 = 0
        for d in fracDigits {
            frac = frac * 10 + UInt128(d)
            fracScale *= 10
        }
        let fracNumerator = frac * unit  // < 10^18 * 6e10, fits
        if fracNumerator % fracScale != 0 { return .failure(.finerThanNanosecond) }
        // 14+ integer digits exceed the cap in every unit (30 days = 2.6e12 us).
        if intDigits.count > 13 { return .failure(.tooLong) }
        var whole: UInt128 = 0
        for d in intDigits { whole = whole * 10 + UInt128(d) }
        let total = whole * unit + fracNumerator / fracScale
        if total > UInt128(maxScenarioDuration) { return .failure(.tooLong) }
        return .success(SimDuration(total))
    }

    /// The shortest exact text in the largest unit not above the value: "0s", "20s",
    /// "1.5s", "250ms", "0.5us"; 90 s is "90s" (seconds, never minutes). Parses back exactly.
    static func format(_ d: SimDuration) -> String {
        if d == 0 { return "0s" }
        let negative = d < 0
        let m = d.magnitude
        let unit: UInt64
        let name: String
        if m >= UInt64(nsPerSecond) {
            unit = UInt64(nsPerSecond); name = "s"
        } else if m >= UInt64(nsPerMs) {
            unit = UInt64(nsPerMs); name = "ms"
        } else {
            unit = UInt64(nsPerUs); name = "us"
        }
        var s = String(m / unit)
        var rem = m % unit
        if rem != 0 {
            var digits = ""
            var scale = unit / 10
            while rem != 0 && scale != 0 {
                digits.append(Character(String(rem / scale)))
                rem %= scale
                scale /= 10
            }
            s += "." + digits
        }
        return (negative ? "-" : "") + s + name
    }
}
