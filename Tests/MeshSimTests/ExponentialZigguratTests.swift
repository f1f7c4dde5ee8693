import Foundation
import Testing
@testable import MeshSimKit

/// The ziggurat is an exact sampler of Exp(1): its moments and tail probabilities must match
/// the distribution's (these fail if a table or the tail is wrong), and a seed fixes every draw.
@Suite struct ExponentialZigguratTests {
    @Test func momentsAndTailsMatchTheExponentialDistribution() {
        var rng = SimRandom(seed: 2024)
        let n = 2_000_000
        var sum = 0.0, sumSquares = 0.0
        var above1 = 0, above3 = 0, above8 = 0
        var minimum = Double.infinity
        for _ in 0..<n {
            let x = ExponentialZiggurat.shared.sample(&rng)
            sum += x
            sumSquares += x * x
            if x > 1 { above1 += 1 }
            if x > 3 { above3 += 1 }
            if x > 8 { above8 += 1 }  // beyond the base layer's edge (7.697): the tail path
            minimum = min(minimum, x)
        }
        let mean = sum / Double(n)
        let variance = sumSquares / Double(n) - mean * mean
        // Standard errors: mean 1/sqrt(n) = 0.0007; five of them.
        #expect(abs(mean - 1) < 0.0035)
        #expect(abs(variance - 1) < 0.01)
        #expect(minimum >= 0)
        func expectFraction(_ count: Int, _ p: Double) {
            let sd = (p * (1 - p) / Double(n)).squareRoot()
            #expect(abs(Double(count) / Double(n) - p) < 5 * sd, "P(X > t) = \(Double(count) / Double(n)), expected \(p)")
        }
        expectFraction(above1, exp(-1))
        expectFraction(above3, exp(-3))
        expectFraction(above8, exp(-8))
    }

    @Test func kolmogorovSmirnovDistanceToTheExponentialCDFIsSmall() {
        var rng = SimRandom(seed: 99)
        let n = 200_000
        var xs = (0..<n).map { _ in ExponentialZiggurat.shared.sample(&rng) }
        xs.sort()
        var worst = 0.0
        for (i, x) in xs.enumerated() {
            let cdf = 1 - exp(-x)
            worst = max(worst, abs(cdf - Double(i) / Double(n)), abs(cdf - Double(i + 1) / Double(n)))
        }
        // The 0.1 % critical value of the KS statistic is 1.95 / sqrt(n) = 0.0044.
        #expect(worst < 1.95 / Double(n).squareRoot())
    }

    @Test func roundedDrawsAreDeterministicPerSeed() {
        var a = SimRandom(seed: 5), b = SimRandom(seed: 5)
        let xs = (0..<1000).map { _ in a.exponential(mean: 100) }
        let ys = (0..<1000).map { _ in b.exponential(mean: 100) }
        #expect(xs == ys)
        #expect(xs.allSatisfy { $0 >= 0 })
        let mean = Double(xs.reduce(0, +)) / 1000
        #expect(abs(mean - 100) < 15)
    }
}
