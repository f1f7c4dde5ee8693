import Testing
@testable import MeshSimKit

/// The report's latency figures found by selection are the ones sorting gives (nearest rank),
/// whatever the order and the duplicates of the input.
@Suite struct LatencyPercentilesTests {
    static func sortedFigures(_ values: [Int64]) -> LatencyPercentiles { LatencyPercentiles(sorted: values.sorted()) }

    @Test(arguments: [0, 1, 2, 3, 16, 17, 18, 99, 100, 101, 1_000, 4_099, 20_000])
    func selectionAgreesWithSorting(count: Int) {
        var rng = SimRandom(seed: UInt64(count) + 1)
        var shapes: [[Int64]] = []
        shapes.append((0..<count).map { _ in Int64(rng.next(below: 1_000_000_000)) })  // spread
        shapes.append((0..<count).map { _ in Int64(rng.next(below: 5)) })  // many duplicates
        shapes.append((0..<count).map { Int64($0) })  // sorted
        shapes.append((0..<count).map { Int64(count - $0) })  // reversed
        shapes.append((0..<count).map { Int64(min($0, count - $0)) })  // organ pipe
        shapes.append(Array(repeating: 7, count: count))  // all equal
        for values in shapes {
            var work = values
            let got = LatencyPercentiles(selectingIn: &work)
            #expect(got == Self.sortedFigures(values), "count \(count)")
            #expect(work.sorted() == values.sorted(), "selection only reorders")
        }
    }

    @Test func nearestRankIsTheCeilingRank() {
        // p50 of 4 values is the 2nd, p99 of 100 the 99th, p99 of 101 the 100th.
        #expect(LatencyPercentiles.nearestRankIndex(0.5, count: 4) == 1)
        #expect(LatencyPercentiles.nearestRankIndex(0.99, count: 100) == 98)
        #expect(LatencyPercentiles.nearestRankIndex(0.99, count: 101) == 99)
        #expect(LatencyPercentiles.nearestRankIndex(0.5, count: 1) == 0)
        var empty: [Int64] = []
        #expect(LatencyPercentiles(selectingIn: &empty) == LatencyPercentiles())
    }

    @Test func aLedgerMessageStaysSmall() {
        // One per message sent: 545,262 of them in the 100-peer join with light traffic.
        #expect(MemoryLayout<TrafficLedger.Message>.stride <= 32)
    }
}
