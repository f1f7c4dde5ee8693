/// The latency figures a report shows of a set of delivered messages: the nearest-rank p50 and
/// p99 and the maximum, exact, found by selection (expected linear time) instead of sorting
/// every latency of the run, which at hundreds of thousands of messages cost more than the
/// rest of the report.
struct LatencyPercentiles: Equatable {
    var p50: Int64?
    var p99: Int64?
    var max: Int64?

    /// No latencies (nothing delivered).
    init() {}

    /// The figures of `values` (reordered in place: selection partitions the array).
    init(selectingIn values: inout [Int64]) {
        let n = values.count
        guard n > 0 else { return }
        let i50 = Self.nearestRankIndex(0.5, count: n)
        let i99 = Self.nearestRankIndex(0.99, count: n)
        Self.select(&values, index: i50, from: 0, to: n)
        // Everything at or above i50 is at least values[i50], so p99 and the maximum are there.
        Self.select(&values, index: i99, from: i50, to: n)
        var top = values[i99]
        for k in i99..<n where values[k] > top { top = values[k] }
        p50 = values[i50]
        p99 = values[i99]
        max = top
    }

    /// Of sorted values (tests, small sets).
    init(sorted: [Int64]) {
        guard !sorted.isEmpty else { return }
        p50 = sorted[Self.nearestRankIndex(0.5, count: sorted.count)]
        p99 = sorted[Self.nearestRankIndex(0.99, count: sorted.count)]
        max = sorted.last
    }

    /// The nearest-rank percentile's position in `count` sorted values (rank ⌈q·n⌉, from 1).
    static func nearestRankIndex(_ q: Double, count: Int) -> Int {
        let rank = Int((q * Double(count)).rounded(.up))
        return Swift.max(0, Swift.min(count - 1, rank - 1))
    }

    /// Reorder `a[from..<to]` so that `a[index]` holds the value sorting would put there, nothing
    /// after it is smaller and nothing before it larger (Hoare's selection, median-of-three
    /// pivots; a range that refuses to shrink is sorted instead, so the worst case is n log n).
    static func select(_ a: inout [Int64], index: Int, from: Int, to: Int) {
        var lo = from, hi = to - 1
        var budget = 2 * (Int.bitWidth - (to - from).leadingZeroBitCount) + 8
        while hi - lo > 16 {
            budget -= 1
            if budget == 0 {
                a[lo...hi].sort()
                return
            }
            let mid = lo + (hi - lo) / 2
            if a[mid] < a[lo] { a.swapAt(mid, lo) }
            if a[hi] < a[lo] { a.swapAt(hi, lo) }
            if a[hi] < a[mid] { a.swapAt(hi, mid) }
            let pivot = a[mid]
            var i = lo, j = hi
            while i <= j {
                while a[i] < pivot { i += 1 }
                while a[j] > pivot { j -= 1 }
                if i <= j {
                    a.swapAt(i, j)
                    i += 1
                    j -= 1
                }
            }
            // Now a[lo...j] ≤ pivot ≤ a[i...hi], and anything between equals the pivot.
            if index <= j {
                hi = j
            } else if index >= i {
                lo = i
            } else {
                return
            }
        }
        if lo < hi { a[lo...hi].sort() }
    }
}
