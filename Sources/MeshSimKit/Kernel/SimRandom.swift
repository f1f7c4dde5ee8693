/// The run's one source of randomness: xoshiro256** seeded through SplitMix64.
///
/// Every random draw of a run (jitter, loss, ICE credentials, tie-breakers) comes from the single
/// instance the simulation owns, in event order, so a seed fixes the whole run. Never use the
/// system generator anywhere in the simulator (DESIGN.md, determinism rules).
struct SimRandom {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    init(seed: UInt64) {
        var x = seed
        func splitMix(_ x: inout UInt64) -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix(&x)
        s1 = splitMix(&x)
        s2 = splitMix(&x)
        s3 = splitMix(&x)
    }

    @inline(__always)
    mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }

    /// A digest of the generator's state: two runs whose draws so far were the same have the
    /// same one (`scenario --check-determinism` compares it event by event).
    var stateDigest: UInt64 {
        s0 ^ (s1 << 13 | s1 >> 51) ^ (s2 << 29 | s2 >> 35) ^ (s3 << 43 | s3 >> 21)
    }

    /// Uniform in [0, 1) with 53 bits of precision.
    @inline(__always)
    mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Uniform integer in `0..<bound` (bound > 0), without modulo bias (Lemire's method).
    mutating func next(below bound: UInt64) -> UInt64 {
        precondition(bound > 0)
        var m = next().multipliedFullWidth(by: bound)
        if m.low < bound {
            let threshold = (0 &- bound) % bound
            while m.low < threshold {
                m = next().multipliedFullWidth(by: bound)
            }
        }
        return m.high
    }

    /// True with probability `p`.
    @inline(__always)
    mutating func chance(_ p: Double) -> Bool {
        p > 0 && nextUnit() < p
    }

    /// An exponentially distributed value with the given mean, rounded to an integer (exact
    /// sampling by the ziggurat method, `ExponentialZiggurat`).
    @inline(__always)
    mutating func exponential(mean: Double) -> Int64 {
        let x = mean * ExponentialZiggurat.shared.sample(&self)
        // x.rounded() (half away from zero) without a call into libm: x >= 0, far below 2^52.
        let whole = Int64(x)
        return x - Double(whole) >= 0.5 ? whole + 1 : whole
    }
}
